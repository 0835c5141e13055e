//! No data loss (issue 5): a `--fix` killed at any moment leaves every file either byte-identical to before
//! or fully migrated; read-only files and directories are reported and skipped; modes are kept; a file
//! changed on disk after it was read is not overwritten; two `--fix` runs at once corrupt nothing.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Copies of the example factory (1.0 linked services in every shape, plus unrelated files) in `copies`
/// sub-directories: the tree a crash test works on.
fn factory_tree(copies: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..copies {
        copy_into(&example(), &dir.path().join(format!("factory-{i:02}")));
    }
    dir
}

fn fresh_copy(src: &Path) -> tempfile::TempDir {
    copy_tree(src)
}

/// What an uninterrupted `--fix --unsafe-fixes` makes of `tree` (computed on a copy).
fn migrated(tree: &Path) -> BTreeMap<String, Vec<u8>> {
    let copy = fresh_copy(tree);
    let (code, out, err) = run_in(copy.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_eq!(code, 1, "findings remain after migration: {out}{err}");
    snapshot_tree(copy.path())
}

/// Is this leftover a temp file of ours: `.NAME.adfpg-PID-NANOS-N.tmp` beside NAME?
fn is_our_temp(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap();
    name.starts_with('.') && name.contains(".adfpg-") && name.ends_with(".tmp")
}

/// A tiny deterministic PRNG (xorshift64*), so a failing run can be replayed from the printed seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn spawn_fix(dir: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_adfpg-migrate"))
        .current_dir(dir)
        .args(["--fix", "--unsafe-fixes", "--output-format", "concise", "."])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// SIGKILL real `--fix` processes at random moments, at least 60 times (more, up to 240, until 6 kills
/// landed mid-write: under load the write window moves, and the aim follows it): every file is always either the original
/// bytes or exactly the uninterrupted run's output; the only possible leftovers are our hidden temp files,
/// which no run reads; and a later run finishes the job.
#[cfg(unix)]
#[test]
fn sigkill_at_any_moment_never_leaves_a_partial_file() {
    let template = factory_tree(10);
    let before = snapshot_tree(template.path());
    let after = migrated(template.path());
    let changed = before.keys().filter(|k| before[*k] != after[*k]).count();
    assert!(changed >= 80, "enough files to migrate: {changed}");

    // how long an uninterrupted run takes here, to spread the kills over it
    let probe = fresh_copy(template.path());
    let t = Instant::now();
    spawn_fix(probe.path()).wait().unwrap();
    let full_run = t.elapsed();

    let seed = std::env::var("ADFPG_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    eprintln!("crash test: seed {seed} (ADFPG_CRASH_SEED to replay), full run {full_run:?}");
    let mut rng = Rng(seed);
    const RUNS: usize = 60;
    // --fix reads and checks everything first, then stages, flushes and renames in one batch at the
    // end: the kills aim at that window. Its place moves with the machine's load, so the aim follows
    // the kills: later after one that found nothing written, earlier after one that found all done.
    let mut aim = full_run.as_micros() as f64 * 0.75;
    let (mut partial_runs, mut leftovers, mut cleaned) = (0, 0, 0);
    let mut run = 0;
    while run < RUNS || (partial_runs < RUNS / 10 && run < 4 * RUNS) {
        run += 1;
        let dir = fresh_copy(template.path());
        let mut child = spawn_fix(dir.path());
        // ±40% around the aim
        let delay = aim * (0.6 + (rng.next() % 800) as f64 / 1000.0);
        std::thread::sleep(Duration::from_micros(delay as u64));
        let _ = child.kill(); // SIGKILL
        child.wait().unwrap();

        let now = snapshot_tree(dir.path());
        let mut done = 0;
        for (path, bytes) in &now {
            if is_our_temp(path) {
                leftovers += 1;
                continue;
            }
            let old = before
                .get(path)
                .unwrap_or_else(|| panic!("run {run} (seed {seed}): unexpected file {path}"));
            if bytes == &after[path] && bytes != old {
                done += 1;
            } else {
                assert_eq!(
                    bytes, old,
                    "run {run} (seed {seed}): {path} is neither the original nor the migrated file"
                );
            }
        }
        for path in before.keys() {
            assert!(now.contains_key(path), "run {run}: {path} vanished");
        }
        // killed while writing: temp files staged but not all renamed, or some files renamed already
        // (--fix stages every temp file, flushes them together, then renames them all)
        let staged = now.keys().any(|p| is_our_temp(p));
        if done < changed && (done > 0 || staged) {
            partial_runs += 1;
        } else if done == 0 {
            aim *= 1.3;
        } else {
            aim *= 0.75;
        }
        // a later run completes the migration, undisturbed by leftover temp files, and removes those of
        // dead runs once they are over a minute old (backdated here) in the directories it writes to
        if run % 10 == 1 {
            let old = std::time::SystemTime::now() - Duration::from_secs(120);
            for path in now.keys().filter(|p| is_our_temp(p)) {
                let f = fs::File::options()
                    .write(true)
                    .open(dir.path().join(path))
                    .unwrap();
                f.set_modified(old).unwrap();
            }
            run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
            let fin = snapshot_tree(dir.path());
            cleaned += now
                .keys()
                .filter(|p| is_our_temp(p) && !fin.contains_key(*p))
                .count();
            for (path, bytes) in &after {
                assert_eq!(&fin[path], bytes, "run {run}: {path} after a second run");
            }
            for path in fin.keys().filter(|p| is_our_temp(p)) {
                let in_written_dir = fin.keys().any(|q| {
                    !is_our_temp(q)
                        && before[q] != after[q]
                        && Path::new(q).parent() == Path::new(path).parent()
                });
                assert!(!in_written_dir, "run {run}: stale {path} not removed");
            }
        }
    }
    eprintln!(
        "crash test: {partial_runs}/{run} runs killed mid-way, {leftovers} temp files left, {cleaned} removed by a later run"
    );
    assert!(
        partial_runs >= RUNS / 10,
        "the kills must land while files are being written ({partial_runs} of {run} did)"
    );
}

/// Leftover temp files of killed runs are removed by the next `--fix` that writes into their directory,
/// and only those: a young one (its run may be alive on another machine sharing the disk), one of a live
/// process, and look-alikes stay.
#[cfg(target_os = "linux")]
#[test]
fn stale_temp_files_of_dead_runs_are_removed_by_the_next_fix() {
    let dir = copy_tree(&example());
    let ls = dir.path().join("linkedService");
    let dead = 4_294_967_294u32; // above any pid_max
    let live = std::process::id();
    let names = [
        (
            format!(".PgStudio.json.adfpg-{dead}-1a2b-0.tmp"),
            120,
            false,
        ),
        (format!(".Gone.json.adfpg-{dead}-ff-3.tmp"), 7200, false),
        (format!(".PgStudio.json.adfpg-{dead}-1a2c-0.tmp"), 5, true),
        (
            format!(".PgStudio.json.adfpg-{live}-1a2d-0.tmp"),
            7200,
            true,
        ),
        (format!(".notes.adfpg-{dead}.tmp"), 7200, true),
        (format!("PgStudio.json.adfpg-{dead}-1a2e-0.tmp"), 7200, true),
    ];
    for (name, age, _) in &names {
        let p = ls.join(name);
        fs::write(&p, "partial {").unwrap();
        let f = fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(std::time::SystemTime::now() - Duration::from_secs(*age))
            .unwrap();
    }
    let (_, out, _) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert!(out.contains("fixed linkedService/PgStudio.json"), "{out}");
    for (name, _, kept) in &names {
        assert_eq!(ls.join(name).exists(), *kept, "{name}");
    }
}

#[cfg(unix)]
#[test]
fn read_only_files_and_directories_are_reported_and_skipped() {
    use std::os::unix::fs::PermissionsExt;
    let dir = copy_tree(&example());
    let ls = dir.path().join("linkedService");
    let ro_dir = dir.path().join("frozen");
    fs::create_dir(&ro_dir).unwrap();
    fs::copy(ls.join("PgPlainPassword.json"), ro_dir.join("Pg.json")).unwrap();
    fs::set_permissions(&ro_dir, fs::Permissions::from_mode(0o555)).unwrap();
    let ro_file = ls.join("PgSecureString.json");
    fs::set_permissions(&ro_file, fs::Permissions::from_mode(0o444)).unwrap();
    let before = snapshot_tree(dir.path());

    let (code, out, _) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
    assert_eq!(code, 2, "a file the tool could not write is exit 2: {out}");
    assert!(
        out.contains("frozen/Pg.json:1:1: ADFPG105 [error] fixes were not written: its directory is read-only"),
        "{out}"
    );
    assert!(
        out.contains("linkedService/PgSecureString.json:1:1: ADFPG105 [error] fixes were not written: file is read-only"),
        "{out}"
    );
    let after = snapshot_tree(dir.path());
    assert_eq!(after["frozen/Pg.json"], before["frozen/Pg.json"]);
    assert_eq!(
        after["linkedService/PgSecureString.json"],
        before["linkedService/PgSecureString.json"]
    );
    assert_ne!(
        after["linkedService/PgPlainPassword.json"], before["linkedService/PgPlainPassword.json"],
        "the others are fixed"
    );
    assert_eq!(fs::read_dir(&ro_dir).unwrap().count(), 1, "no temp file");
    fs::set_permissions(&ro_dir, fs::Permissions::from_mode(0o755)).unwrap();
}

#[cfg(unix)]
#[test]
fn file_mode_and_owner_are_preserved() {
    use std::os::unix::fs::PermissionsExt;
    let dir = copy_tree(&example());
    let ls = dir.path().join("linkedService");
    let modes = [
        ("PgPlainPassword.json", 0o600),
        ("PgSecureString.json", 0o640),
        ("PgNpgsqlCrlfBom.json", 0o755),
        ("PgStudio.json", 0o664),
    ];
    for (f, m) in modes {
        fs::set_permissions(ls.join(f), fs::Permissions::from_mode(m)).unwrap();
    }
    // the owner is kept too: as root, give one file to another user first (otherwise every file is ours
    // and stays ours, which the loop below checks as well)
    use std::os::unix::fs::MetadataExt;
    let root = fs::metadata(ls.join("PgStudio.json")).unwrap().uid() == 0
        && std::os::unix::fs::chown(ls.join("PgStudio.json"), Some(65534), Some(65534)).is_ok();
    let owners: Vec<(u32, u32)> = modes
        .iter()
        .map(|(f, _)| {
            let m = fs::metadata(ls.join(f)).unwrap();
            (m.uid(), m.gid())
        })
        .collect();
    if root {
        assert_eq!(owners[3], (65534, 65534));
    }
    let before = snapshot_tree(dir.path());
    run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    for ((f, _), owner) in modes.iter().zip(&owners) {
        let m = fs::metadata(ls.join(f)).unwrap();
        assert_eq!((m.uid(), m.gid()), *owner, "{f} keeps its owner");
    }
    for (f, m) in modes {
        let p = ls.join(f);
        assert_ne!(
            fs::read(&p).unwrap(),
            before[&format!("linkedService/{f}")],
            "{f} was fixed"
        );
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o7777,
            m,
            "{f} keeps its mode"
        );
    }
}

/// The compare-before-rename, through the library: another writer changed the file after the tool read
/// it, so the tool's result is not written and the other writer's bytes stay. (The same path through the
/// whole per-file pipeline, with the finding it reports, is `write::tests::
/// pipeline_reports_a_file_changed_between_read_and_write`, which uses a test-only hook.)
#[test]
fn a_file_changed_after_it_was_read_is_not_overwritten() {
    use adfpg_migrate::write::{Links, replace_atomically};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ls.json");
    let read = fs::read(example().join("linkedService/PgPlainPassword.json")).unwrap();
    fs::write(&p, &read).unwrap();
    // what the tool computed from `read`
    let fixed = adfpg_migrate::lint::fix_bytes(read.clone(), &{
        let mut s = adfpg_migrate::lint::Settings::builtin();
        s.fix = adfpg_migrate::lint::FixMode::Apply {
            unsafe_fixes: false,
        };
        s
    })
    .unwrap()
    .expect("a 1.0 file has a fix");
    // meanwhile, someone else saves the file
    let theirs = String::from_utf8(read.clone())
        .unwrap()
        .replace("Report-Pa55", "Changed-By-Them");
    fs::write(&p, &theirs).unwrap();
    let e = replace_atomically(&p, &read, fixed.as_bytes(), Links::Follow).unwrap_err();
    assert!(
        e.to_string()
            .contains("the file changed on disk since it was read; not overwritten"),
        "{e}"
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), theirs);
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "temp removed");
    // unchanged: written
    fs::write(&p, &read).unwrap();
    replace_atomically(&p, &read, fixed.as_bytes(), Links::Follow).unwrap();
    assert_eq!(fs::read_to_string(&p).unwrap(), fixed);
}

/// Two identical `--fix` runs on the same tree at once, 15 times: every file ends byte-identical to a single
/// run's output, and neither run fails: finding the other's identical result on disk is not a conflict.
#[cfg(unix)]
#[test]
fn two_fix_runs_at_once_corrupt_nothing() {
    let template = factory_tree(6);
    let after = migrated(template.path());
    let mut conflicts = 0;
    for round in 0..15 {
        let dir = fresh_copy(template.path());
        let spawn = || {
            Command::new(env!("CARGO_BIN_EXE_adfpg-migrate"))
                .current_dir(dir.path())
                .args(["--fix", "--unsafe-fixes", "--output-format", "concise", "."])
                .env("NO_COLOR", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let o = child.wait_with_output().unwrap();
            let out = String::from_utf8_lossy(&o.stdout);
            match o.status.code() {
                Some(1) => {}
                Some(2) => {
                    conflicts += 1;
                    only_conflicts(&out, round);
                    assert!(
                        !out.contains("ADFPG104"),
                        "round {round}: a file was unreadable mid-run: {out}"
                    );
                }
                other => panic!("round {round}: exit {other:?}: {out}"),
            }
        }
        let now = snapshot_tree(dir.path());
        assert_eq!(
            conflicts, 0,
            "round {round}: the same result twice is no conflict"
        );
        assert_eq!(
            now.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "round {round}: no file added (temp files removed) or lost"
        );
        for (path, bytes) in &after {
            assert_eq!(&now[path], bytes, "round {round}: {path}");
        }
    }
    eprintln!("concurrency test: {conflicts} runs reported a conflict");
}

/// Every run-failing finding of `out` is a lost race: the file changed on disk since it was read, or a
/// file held back because one it goes with (a dataset's linked service) lost one or was held back too.
fn only_conflicts(out: &str, round: usize) {
    for line in out
        .lines()
        .filter(|l| l.contains("[error]") && l.contains("ADFPG10"))
    {
        assert!(
            line.contains("ADFPG105")
                && (line.contains("the file changed on disk since it was read; not overwritten")
                    || line.contains("belong with the migration of")),
            "round {round}: only conflicts may fail: {line}"
        );
        if let Some(ls) = line
            .split("belong with the migration of `")
            .nth(1)
            .and_then(|r| r.split('`').next())
        {
            assert!(
                out.lines()
                    .any(|l| l.starts_with(&format!("{ls}:")) && l.contains("ADFPG105")),
                "round {round}: {line} without a conflict on {ls}: {out}"
            );
        }
    }
}

/// Two runs that write different results (authenticationType `Basic` and, by another config,
/// `BasicAuth`) at once, at least 10 times and until a race was lost: every file ends as one of the two
/// single-run results, never a mix, and a run that lost a race reports the conflict (ADFPG105, exit 2)
/// and left that file as the other run wrote it.
#[cfg(unix)]
#[test]
fn two_different_fix_runs_at_once_end_in_one_of_their_results() {
    let template = factory_tree(6);
    let cfg_dir = tempfile::tempdir().unwrap();
    let basic_auth = cfg_dir.path().join("basic-auth.toml");
    fs::write(
        &basic_auth,
        "[migration]\nauthentication-type = \"BasicAuth\"\n",
    )
    .unwrap();
    let flags: [Vec<&str>; 2] = [
        vec!["--no-config"],
        vec!["--config", basic_auth.to_str().unwrap()],
    ];
    let results: Vec<BTreeMap<String, Vec<u8>>> = flags
        .iter()
        .map(|f| {
            let copy = fresh_copy(template.path());
            let mut args = vec!["--fix", "--unsafe-fixes", "."];
            args.extend(f);
            run_in(copy.path(), &args);
            snapshot_tree(copy.path())
        })
        .collect();
    let differ = results[0]
        .keys()
        .filter(|k| results[0][*k] != results[1][*k])
        .count();
    assert!(differ >= 12, "{differ}");
    let (mut round, mut conflicts) = (0, 0);
    // both runs read every file before writing any, so rounds race often; the bound keeps a loaded
    // machine from failing the test for want of a lost race
    while round < 10 || (conflicts == 0 && round < 60) {
        round += 1;
        let dir = fresh_copy(template.path());
        let spawn = |extra: &[&str]| {
            Command::new(env!("CARGO_BIN_EXE_adfpg-migrate"))
                .current_dir(dir.path())
                .args(["--fix", "--unsafe-fixes", "--output-format", "concise", "."])
                .args(extra)
                .env("NO_COLOR", "1")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let children = [spawn(&flags[0]), spawn(&flags[1])];
        let mut outs = Vec::new();
        for child in children {
            let o = child.wait_with_output().unwrap();
            let out = String::from_utf8_lossy(&o.stdout).into_owned();
            assert!(
                matches!(o.status.code(), Some(1 | 2)),
                "round {round}: {out}"
            );
            conflicts += usize::from(o.status.code() == Some(2));
            only_conflicts(&out, round);
            outs.push(out);
        }
        let now = snapshot_tree(dir.path());
        for (path, bytes) in &now {
            assert!(
                results.iter().any(|r| r.get(path) == Some(bytes)),
                "round {round}: {path} is neither run's result"
            );
        }
        // the loser of a race on a file left it as the winner wrote it
        for (i, out) in outs.iter().enumerate() {
            for line in out.lines().filter(|l| l.contains("ADFPG105")) {
                let path = line.split(':').next().unwrap();
                assert!(now.contains_key(path), "round {round}: {line}");
                assert_eq!(
                    now.get(path),
                    results[1 - i].get(path),
                    "round {round}: {path}: {line}"
                );
            }
        }
        assert_eq!(
            now.len(),
            results[0].len(),
            "round {round}: no temp file left"
        );
    }
    eprintln!("concurrency test: {conflicts} conflicts reported in {round} rounds");
    assert!(
        conflicts > 0,
        "no run lost a race in {round} rounds: the test proved nothing"
    );
}

/// A 1.0 linked service a safe `--fix` migrates (ADFPG001), padded with a description of `pad` bytes.
fn v1_file(name: &str, pad: usize) -> String {
    format!(
        r#"{{
    "name": "{name}",
    "properties": {{
        "type": "AzurePostgreSql",
        "description": "{}",
        "typeProperties": {{
            "connectionString": "host=pg.postgres.database.azure.com;port=5432;database=sales;uid=etl;password=pw;sslmode=Require"
        }}
    }}
}}
"#,
        "d".repeat(pad)
    )
}

/// Run the binary with a file-size limit of `blocks` × 512 bytes (RLIMIT_FSIZE, SIGXFSZ ignored): every
/// write past it fails with EFBIG, as a full disk fails with ENOSPC, while smaller files still fit.
fn run_with_file_size_limit(dir: &Path, blocks: u32, args: &[&str]) -> (i32, String, String) {
    let script = format!("trap '' XFSZ; ulimit -f {blocks}; exec \"$0\" \"$@\"");
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_adfpg-migrate"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("ADFPG_OUTPUT_FORMAT")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 12, item 3: an unprivileged user running `--fix` in a world-writable folder may not replace
/// another user's 0644 file (the folder would let the rename through): ADFPG105, exit 2, the file keeps
/// its bytes and its owner; the user's own file beside it is fixed. Needs root to create the other
/// user's file, and fails loudly without it.
#[cfg(unix)]
#[test]
fn another_users_file_in_a_world_writable_folder_is_left_alone() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    fs::write(tree.join("theirs.json"), v1_file("theirs", 0)).unwrap();
    fs::write(tree.join("mine.json"), v1_file("mine", 0)).unwrap();
    let is_root = fs::metadata(tree.join("theirs.json")).unwrap().uid() == 0;
    assert!(
        is_root,
        "this test needs root: it makes a file of another user and runs the tool as `nobody`"
    );
    fs::set_permissions(tree, fs::Permissions::from_mode(0o777)).unwrap();
    fs::set_permissions(tree.join("theirs.json"), fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::chown(tree.join("mine.json"), Some(65534), Some(65534)).unwrap();
    let theirs_before = fs::read(tree.join("theirs.json")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_adfpg-migrate"))
        .current_dir(tree)
        .args(["--fix", "--output-format", "concise", "."])
        .env("NO_COLOR", "1")
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.stdout.is_empty(),
        "the binary must run as nobody (is target/ readable by all?): {out:?}"
    );
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("theirs.json:1:1: ADFPG105 [error] fixes were not written: you may not write this file (Permission denied"),
        "{text}"
    );
    assert!(text.contains("fixed mine.json: ADFPG001"), "{text}");
    assert!(text.contains("Fixed 1 file"), "{text}");
    assert_eq!(fs::read(tree.join("theirs.json")).unwrap(), theirs_before);
    assert_eq!(fs::metadata(tree.join("theirs.json")).unwrap().uid(), 0);
    assert_eq!(fs::read_dir(tree).unwrap().count(), 2, "no temp file left");
}

/// Issue 12, item 3: a hard-linked file is left alone (a rename would split the link silently), and so is
/// a setuid/setgid one (the bits would not survive); both are ADFPG105, the others are fixed.
#[cfg(unix)]
#[test]
fn hard_linked_and_setuid_files_are_left_alone() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let (tree, elsewhere) = (dir.path().join("tree"), dir.path().join("elsewhere"));
    fs::create_dir_all(&tree).unwrap();
    fs::create_dir_all(&elsewhere).unwrap();
    for n in ["linked", "setuid", "setgid", "plain"] {
        fs::write(tree.join(format!("{n}.json")), v1_file(n, 0)).unwrap();
    }
    fs::hard_link(tree.join("linked.json"), elsewhere.join("same.json")).unwrap();
    fs::set_permissions(tree.join("setuid.json"), fs::Permissions::from_mode(0o4644)).unwrap();
    fs::set_permissions(tree.join("setgid.json"), fs::Permissions::from_mode(0o2644)).unwrap();
    let before = snapshot_tree(&tree);
    let (code, out, _) = run_in(&tree, &["--fix", "--output-format", "concise", "."]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("linked.json:1:1: ADFPG105 [error] fixes were not written: file has 2 hard links; replacing it would split them, so it is left alone"),
        "{out}"
    );
    for n in ["setuid", "setgid"] {
        assert!(
            out.contains(&format!("{n}.json:1:1: ADFPG105 [error] fixes were not written: file has the setuid or setgid bit; left alone")),
            "{out}"
        );
    }
    assert!(out.contains("fixed plain.json: ADFPG001"), "{out}");
    assert!(out.contains("Fixed 1 file"), "{out}");
    let after = snapshot_tree(&tree);
    for n in ["linked.json", "setuid.json", "setgid.json"] {
        assert_eq!(after[n], before[n], "{n}");
    }
    assert_eq!(
        fs::read(elsewhere.join("same.json")).unwrap(),
        before["linked.json"],
        "the other name of the hard link sees the same bytes"
    );
}

/// Issue 12, item 4: `--write-baseline` (whose shrink workflow rewrites the file it reads) and
/// `-o/--output` write atomically: when the disk refuses the write (here a file-size limit, as a full
/// disk), the old file keeps every byte and no temp file is left, and the run says so (exit 2).
#[cfg(unix)]
#[test]
fn baseline_and_report_files_survive_a_failed_write() {
    let dir = copy_tree(&example());
    let tree = dir.path();
    let (code, _, err) = run_in(tree, &["--write-baseline", "base.json", "."]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_in(tree, &["-o", "report.json", "--output-format", "json", "."]);
    assert_eq!(code, 1, "{err}");
    let base = fs::read(tree.join("base.json")).unwrap();
    let report = fs::read(tree.join("report.json")).unwrap();
    assert!(
        base.len() > 1024 && report.len() > 1024,
        "both are bigger than the limit below"
    );
    // the documented shrink workflow: read the baseline, write it again
    for args in [
        &[
            "--baseline",
            "base.json",
            "--write-baseline",
            "base.json",
            ".",
        ][..],
        &["-o", "report.json", "--output-format", "json", "."],
    ] {
        let (code, _, err) = run_with_file_size_limit(tree, 2, args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(
            err.contains("cannot write") && err.contains("File too large"),
            "{args:?}: {err}"
        );
        assert_eq!(fs::read(tree.join("base.json")).unwrap(), base, "{args:?}");
        assert_eq!(
            fs::read(tree.join("report.json")).unwrap(),
            report,
            "{args:?}"
        );
        let temps: Vec<String> = snapshot_tree(tree)
            .into_keys()
            .filter(|k| is_our_temp(k))
            .collect();
        assert!(temps.is_empty(), "{temps:?}");
    }
    // and the baseline still loads: nothing new
    let (code, out, _) = run_in(
        tree,
        &["--baseline", "base.json", "--output-format", "concise", "."],
    );
    assert_eq!(code, 0, "{out}");
}

/// Issue 12, item 5: the summary and the JSON count only files really written. A 0444 file, a name too
/// long for the temp file beside it, and a write past the disk's limit (EFBIG, as ENOSPC) are each
/// ADFPG105; only the file that was written counts as fixed.
#[cfg(unix)]
#[test]
fn only_files_really_written_count_as_fixed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    let long = format!("{}.json", "l".repeat(240));
    fs::write(tree.join("small.json"), v1_file("small", 0)).unwrap();
    fs::write(tree.join("ro.json"), v1_file("ro", 0)).unwrap();
    fs::write(tree.join(&long), v1_file("long", 0)).unwrap();
    fs::write(tree.join("big.json"), v1_file("big", 4000)).unwrap();
    fs::set_permissions(tree.join("ro.json"), fs::Permissions::from_mode(0o444)).unwrap();
    let before = snapshot_tree(tree);
    let (code, out, err) =
        run_with_file_size_limit(tree, 4, &["--fix", "--output-format", "concise", "."]);
    assert_eq!(code, 2, "{out}{err}");
    for (f, why) in [
        ("ro.json", "file is read-only"),
        (long.as_str(), "File name too long"),
        ("big.json", "File too large"),
    ] {
        assert!(
            out.lines()
                .any(|l| l.starts_with(&format!("{f}:1:1: ADFPG105")) && l.contains(why)),
            "{f}: {why}: {out}"
        );
        assert_eq!(snapshot_tree(tree)[f], before[f], "{f}");
    }
    assert!(out.contains("fixed small.json: ADFPG001"), "{out}");
    assert!(out.contains("Fixed 1 file (1 fix applied)."), "{out}");
    let (_, json, _) =
        run_with_file_size_limit(tree, 4, &["--fix", "--output-format", "json", "."]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["summary"]["files_changed"], 0,
        "small.json is done; the others fail again: {json}"
    );
    assert_eq!(v["summary"]["fixes_applied"], 0, "{json}");
}
