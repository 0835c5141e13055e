//! Issue 29, section 3: writes and reads a pull request chooses. Output files (`-o`, `--write-baseline`)
//! get the protections of fixed files — no link followed, regular files only, atomic replacement —
//! and the write stage of `--fix` never writes outside the tree while a folder is swapped for a link.
#![cfg(unix)]

mod common;
mod shapes;
use common::*;
use shapes::*;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

/// A 1.0 linked service `--fix` migrates with a safe fix.
fn v1(name: &str) -> String {
    format!(
        r#"{{"name": "{name}", "properties": {{"type": "AzurePostgreSql", "typeProperties": {{"connectionString": "host={name}.postgres.database.azure.com;port=5432;database=d;uid=u;password=p;sslmode=Require"}}}}}}
"#
    )
}

/// Links a pull request commits where the CI recipes write their reports: at the report's path, at
/// the baseline's, and a folder of the report path. None is written through, every victim keeps its
/// bytes, and the run says why (exit 2).
#[test]
fn output_files_are_never_written_through_a_committed_link() {
    let repo = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    fs::create_dir(repo.path().join("linkedService")).unwrap();
    fs::write(repo.path().join("linkedService/pg.json"), v1("pg")).unwrap();
    let victim = outside.path().join("victim");
    fs::write(&victim, "the CI user's file").unwrap();
    symlink(&victim, repo.path().join("results.sarif")).unwrap();
    symlink(&victim, repo.path().join(".adfpg-baseline.json")).unwrap();
    symlink(outside.path(), repo.path().join("reports")).unwrap();
    let absolute = repo.path().join("results.sarif").display().to_string();
    for args in [
        &["-o", "results.sarif", "."][..],
        &["--output", &absolute, "."],
        &["--output-format", "junit", "-o", "reports/junit.xml", "."],
        &["--write-baseline", ".adfpg-baseline.json", "."],
        &["--write-baseline", "reports/b.json", "."],
    ] {
        let (code, out, err) = run_in(repo.path(), args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            err.contains("symbolic link") && err.contains("nothing is written through a link"),
            "{args:?}: {err}"
        );
        assert_eq!(fs::read_to_string(&victim).unwrap(), "the CI user's file");
        assert_eq!(
            fs::read_dir(outside.path()).unwrap().count(),
            1,
            "{args:?}: a file appeared outside"
        );
    }
    // a FIFO or a folder where the report goes: refused, without blocking
    let fifo = repo.path().join("out.sarif");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    fs::create_dir(repo.path().join("dir.sarif")).unwrap();
    for target in ["out.sarif", "dir.sarif"] {
        let out = cmd()
            .current_dir(repo.path())
            .args(["-o", target, "."])
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{target}: {out:?}");
    }
    // a regular file is replaced whole, keeping its mode; a new one is created
    let report = repo.path().join("ok.sarif");
    fs::write(&report, "old").unwrap();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&report, fs::Permissions::from_mode(0o640)).unwrap();
    let (code, _, err) = run_in(repo.path(), &["-o", "ok.sarif", "--exit-zero", "."]);
    assert_eq!(code, 0, "{err}");
    let text = fs::read_to_string(&report).unwrap();
    assert!(text.contains("\"version\": \"2.1.0\""), "{text}");
    assert_eq!(
        fs::metadata(&report).unwrap().permissions().mode() & 0o777,
        0o640
    );
    let (code, _, err) = run_in(repo.path(), &["--write-baseline", "new-baseline.json", "."]);
    assert!(code == 0 || code == 1, "{err}");
    assert!(repo.path().join("new-baseline.json").is_file());
}

/// The race of issue 29: a process swaps `linkedService/` for a link to a folder of copies, back and
/// forth, while `--fix` runs over hundreds of files. Whatever the timing, no byte is written outside the
/// tree: the copies keep their bytes; each file of the tree is either as it was or fixed; the run ends
/// (0, 1 or 2) without a crash. Each run in another connector's shape (issue 28): the 1.0 migration,
/// the legacy one, a PostgreSqlV2 fix.
#[test]
fn fixing_while_a_folder_is_swapped_for_a_link_never_writes_outside() {
    const FILES: usize = 300;
    let repo = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let ls = repo.path().join("linkedService");
    let away = repo.path().join("linkedService.away");
    for (run, shape) in SHAPES.into_iter().enumerate() {
        let file = |name: &str| shape.one_line(name, "");
        let _ = fs::remove_dir_all(&ls);
        fs::create_dir(&ls).unwrap();
        for i in 0..FILES {
            fs::write(ls.join(format!("pg{i}.json")), file(&format!("pg{i}"))).unwrap();
            fs::write(
                outside.path().join(format!("pg{i}.json")),
                file(&format!("pg{i}")),
            )
            .unwrap();
        }
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let swapper = {
            let (stop, ls, away, target) = (
                stop.clone(),
                ls.clone(),
                away.clone(),
                outside.path().to_path_buf(),
            );
            std::thread::spawn(move || {
                let mut swaps = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    fs::rename(&ls, &away).unwrap();
                    symlink(&target, &ls).unwrap();
                    std::thread::sleep(std::time::Duration::from_micros(300));
                    fs::remove_file(&ls).unwrap();
                    fs::rename(&away, &ls).unwrap();
                    std::thread::sleep(std::time::Duration::from_micros(300));
                    swaps += 1;
                }
                swaps
            })
        };
        let out = cmd()
            .current_dir(repo.path())
            .args(["--fix", "--output-format", "concise", "."])
            .timeout(std::time::Duration::from_secs(120))
            .output()
            .unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let swaps = swapper.join().unwrap();
        assert!(swaps > 0, "run {run}: the folder was never swapped");
        let code = out.status.code();
        assert!(matches!(code, Some(0..=2)), "run {run}: {out:?}");
        let what = shape.label;
        for i in 0..FILES {
            let name = format!("pg{i}.json");
            assert_eq!(
                fs::read_to_string(outside.path().join(&name)).unwrap(),
                file(&format!("pg{i}")),
                "run {run} ({what}): {name} outside the tree was written"
            );
            let inside = fs::read_to_string(ls.join(&name)).unwrap();
            assert!(
                inside == file(&format!("pg{i}")) || inside.contains(shape.fixed),
                "run {run} ({what}): {name}: {inside}"
            );
        }
        let stray: Vec<_> = fs::read_dir(outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| !n.to_string_lossy().starts_with("pg"))
            .collect();
        assert!(stray.is_empty(), "run {run}: left outside: {stray:?}");
    }
    assert!(Path::new(&ls).is_dir());
}

/// A house rule a folder outside the repository would add (read, it would show up in `rules`).
const OUTSIDE_RULE: &str = r#"
code = "OUTSIDE1"
name = "outside"
summary = "a rule from outside the repository"
severity = "error"
given = "$.properties"
check = "defined"
field = "connectVia"
message = "m"
help = "h"
[docs]
what = "w"
why = "y"
"#;

/// A repository's `adfpg.toml` names house-rule folders: only inside the repository, never through a
/// link; a folder elsewhere is an error at the entry (exit 2) and nothing there is read. The command
/// line may still name any folder (`--rules`).
#[test]
fn a_config_reads_house_rules_only_from_inside_the_repository() {
    let top = tempfile::tempdir().unwrap();
    let repo = top.path().join("repo");
    let outside = top.path().join("outside");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::create_dir_all(repo.join("linkedService")).unwrap();
    fs::write(repo.join("linkedService/pg.json"), v1("pg")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("OUTSIDE1.toml"), OUTSIDE_RULE).unwrap();
    symlink(&outside, repo.join("house-link")).unwrap();
    fs::create_dir(repo.join("sub")).unwrap();
    symlink(&outside, repo.join("sub/inner")).unwrap();
    let abs = outside.display().to_string();
    for (entry, says) in [
        (abs.as_str(), "is outside the repository"),
        ("../outside", "is outside the repository"),
        ("house-link", "is reached through a symbolic link"),
        ("sub/inner", "is reached through a symbolic link"),
    ] {
        fs::write(repo.join("adfpg.toml"), format!("rules = [{entry:?}]\n")).unwrap();
        let (code, out, err) = run_in(&repo, &["rules"]);
        assert_eq!(code, 2, "{entry}: {out}{err}");
        assert!(err.contains(says), "{entry}: {err}");
        assert!(err.contains("adfpg.toml:1:"), "{entry}: located: {err}");
        assert!(!out.contains("OUTSIDE1"), "{entry}: {out}");
    }
    // the command line may name it; a folder inside the repository is fine too
    fs::remove_file(repo.join("adfpg.toml")).unwrap();
    let (code, out, err) = run_in(&repo, &["--rules", &abs, "rules"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("OUTSIDE1"), "{out}");
    fs::create_dir(repo.join("house")).unwrap();
    fs::write(repo.join("house/OUTSIDE1.toml"), OUTSIDE_RULE).unwrap();
    fs::write(repo.join("adfpg.toml"), "rules = [\"house\"]\n").unwrap();
    let (code, out, err) = run_in(&repo, &["rules"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("OUTSIDE1"), "{out}");
}

/// The lines a config or rule file error quotes are masked like any output: a token in a credentials
/// file read as a rule file, a password in a comment of the config.
#[test]
fn config_and_rule_file_errors_show_their_lines_masked() {
    let repo = tempfile::tempdir().unwrap();
    fs::create_dir(repo.path().join("house")).unwrap();
    fs::write(
        repo.path().join("house/credentials.toml"),
        "[registry]\ntoken = \"qxCredToken70\"\npassword = 'qxCredPw71'\n",
    )
    .unwrap();
    fs::write(repo.path().join("adfpg.toml"), "rules = [\"house\"]\n").unwrap();
    let (code, _, err) = run_in(repo.path(), &["rules"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("credentials.toml"), "{err}");
    assert!(
        err.contains("token = \"*************\""),
        "the line is shown, masked: {err}"
    );
    assert!(!err.contains("qxCred"), "{err}");
    fs::write(
        repo.path().join("adfpg.toml"),
        "# the password is qxCfgPw72\nselect = [\"ADFPG001\"]\nunknown-key = \"pwd=qxCfgPw73\"\n",
    )
    .unwrap();
    let (code, _, err) = run_in(repo.path(), &["."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown-key"), "{err}");
    assert!(!err.contains("qxCfgPw"), "{err}");
}

/// A hook of `.pre-commit-hooks.yaml` as pre-commit runs it: entry, args, then the file names.
fn hook_command(id: &str) -> Vec<String> {
    let text = fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let docs = yaml_rust2::YamlLoader::load_from_str(&text).unwrap();
    let hook = docs[0]
        .as_vec()
        .unwrap()
        .iter()
        .find(|h| h["id"].as_str() == Some(id))
        .unwrap()
        .clone();
    let mut cmd: Vec<String> = hook["entry"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .map(String::from)
        .collect();
    cmd.extend(
        hook["args"]
            .as_vec()
            .into_iter()
            .flatten()
            .map(|a| a.as_str().unwrap().to_string()),
    );
    cmd.remove(0);
    cmd
}

/// Files a pull request adds at the repository's root, named like options. Passed by the hooks (after
/// `--`), or by a hook whose `args` dropped the `--`, they never become options: the run refuses them
/// (exit 2), says why, and neither reports "No findings." nor writes a report into the repository.
#[test]
fn file_names_like_options_never_become_options() {
    let repo = tempfile::tempdir().unwrap();
    fs::create_dir(repo.path().join(".git")).unwrap();
    fs::create_dir(repo.path().join("linkedService")).unwrap();
    fs::write(repo.path().join("linkedService/pg.json"), v1("pg")).unwrap();
    fs::write(
        repo.path().join("empty-baseline.json"),
        "{\"version\": 1, \"findings\": []}",
    )
    .unwrap();
    let names = [
        "--baseline=empty-baseline.json",
        "--config=evil.toml",
        "-oreport.sarif",
        "--fix",
        "--exit-zero",
    ];
    for n in names {
        fs::write(repo.path().join(n), "{}").unwrap();
    }
    fs::write(repo.path().join("evil.toml"), "exclude = [\"**\"]\n").unwrap();
    let before = snapshot_tree(repo.path());
    for id in ["adfpg-migrate", "adfpg-migrate-fix"] {
        let hook = hook_command(id);
        assert_eq!(
            hook.last().map(String::as_str),
            Some("--"),
            "{id}: the hook passes `--`"
        );
        let without_dash_dash = &hook[..hook.len() - 1];
        for cmd in [&hook[..], without_dash_dash] {
            for n in names {
                let mut args: Vec<&str> = cmd.iter().map(String::as_str).collect();
                args.extend([n, "linkedService/pg.json"]);
                let (code, out, err) = run_in(repo.path(), &args);
                assert_eq!(code, 2, "{args:?}: {out}{err}");
                // (a file named `--fix` also makes the fix hook's own `--fix` ambiguous: refused too)
                assert!(
                    (err.contains(&format!("`{n}`")) || err.contains("`--fix`"))
                        && err.contains("refused"),
                    "{args:?}: {err}"
                );
                assert!(!out.contains("No findings"), "{args:?}: {out}");
                assert_eq!(
                    before,
                    snapshot_tree(repo.path()),
                    "{args:?}: wrote something"
                );
            }
        }
    }
    // outside a hook, after `--`, such a name is a file like any other
    let (code, out, err) = run_in(repo.path(), &["--", "--fix", "linkedService/pg.json"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("ADFPG001"), "{out}");
}

/// A file named on the command line that is a link to a file outside the repository: checked (and
/// fixed) where it points, and the run says so; from a hook it is refused. In each shape (issue 28).
#[test]
fn a_link_to_a_file_outside_the_repository_is_announced_or_refused() {
    for shape in SHAPES {
        link_outside_the_repository(shape);
    }
}

fn link_outside_the_repository(shape: &Shape) {
    let file = |name: &str| shape.one_line(name, "");
    let what = shape.label;
    let top = tempfile::tempdir().unwrap();
    let repo = top.path().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    fs::create_dir_all(repo.join("linkedService")).unwrap();
    let outside = top.path().join("elsewhere.json");
    fs::write(&outside, file("elsewhere")).unwrap();
    symlink(&outside, repo.join("linkedService/ext.json")).unwrap();
    let hook = hook_command("adfpg-migrate-fix");
    let mut args: Vec<&str> = hook.iter().map(String::as_str).collect();
    args.push("linkedService/ext.json");
    let (code, out, err) = run_in(&repo, &args);
    assert_eq!(code, 2, "{what}: {out}{err}");
    assert!(
        err.contains("`linkedService/ext.json` is a link to")
            && err.contains("outside the repository: refused from a pre-commit hook"),
        "{what}: {err}"
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), file("elsewhere"));
    // by hand: fixed where it points, and said
    let (code, out, err) = run_in(&repo, &["--fix", "linkedService/ext.json"]);
    assert!(code == 0 || code == 1, "{what}: {out}{err}");
    assert!(
        err.contains("warning: linkedService/ext.json is a link to")
            && err.contains(
                "outside the repository: that file is checked (and with --fix written) there"
            ),
        "{what}: {err}"
    );
    assert!(
        fs::read_to_string(&outside).unwrap().contains(shape.fixed),
        "{what}"
    );
    assert!(
        fs::symlink_metadata(repo.join("linkedService/ext.json"))
            .unwrap()
            .is_symlink()
    );
}

/// Issue 29, section 5: a config that turns findings off is itself reported in the CI formats, each
/// entry where it is (a pull request can add `exclude = ["**"]`); without a config, nothing is.
#[test]
fn a_config_that_turns_findings_off_is_reported_in_ci_formats() {
    let repo = tempfile::tempdir().unwrap();
    fs::create_dir(repo.path().join(".git")).unwrap();
    fs::create_dir(repo.path().join("linkedService")).unwrap();
    fs::write(repo.path().join("linkedService/pg.json"), v1("pg")).unwrap();
    fs::write(
        repo.path().join("adfpg.toml"),
        "exclude = [\"**\"]\nignore = [\"ADFPG008\"]\nfail-on = \"error\"\n\n[severity]\nADFPG001 = \"off\"\n\n[per-path-ignores]\n\"linkedService/*.json\" = [\"ADFPG003\"]\n",
    )
    .unwrap();
    let expected = [
        (1, "`exclude` `**` hides every file it matches"),
        (2, "`ignore` turns ADFPG008 off"),
        (3, "`fail-on = \"error\"`: warnings no longer fail the run"),
        (6, "`severity` turns ADFPG001 off"),
        (
            9,
            "`per-path-ignores` turns ADFPG003 off in files matching `linkedService/*.json`",
        ),
    ];
    let run = |format: &str, extra: &[&str]| {
        let mut args = vec!["--output-format", format, "."];
        args.extend(extra);
        let (code, out, err) = run_in(repo.path(), &args);
        assert!(code == 0 || code == 1, "{format}: {out}{err}");
        out
    };
    let out = run("github", &[]);
    for (line, what) in expected {
        let want = format!(
            "::warning file=adfpg.toml,line={line},title=adfpg-migrate configuration::the configuration turns findings off: {what}. A pull request can change its configuration"
        );
        assert!(out.contains(&want), "want {want:?} in\n{out}");
    }
    let out = run("azure", &[]);
    let abs = repo.path().canonicalize().unwrap().join("adfpg.toml");
    for (line, what) in expected {
        let want = format!(
            "##vso[task.logissue type=warning;sourcepath={};linenumber={line};]the configuration turns findings off: {what}.",
            abs.display()
        );
        assert!(out.contains(&want), "want {want:?} in\n{out}");
    }
    let sarif: serde_json::Value = serde_json::from_str(&run("sarif", &[])).unwrap();
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(root().join("tests/schemas/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let notes = sarif["runs"][0]["invocations"][0]["toolConfigurationNotifications"]
        .as_array()
        .unwrap();
    assert_eq!(notes.len(), expected.len());
    for (n, (line, what)) in notes.iter().zip(expected) {
        assert_eq!(n["level"], "warning");
        assert!(n["message"]["text"].as_str().unwrap().contains(what), "{n}");
        let loc = &n["locations"][0]["physicalLocation"];
        assert_eq!(loc["artifactLocation"]["uri"], "adfpg.toml");
        assert_eq!(loc["region"]["startLine"], line);
    }
    let junit = run("junit", &[]);
    for (line, _) in expected {
        assert!(
            junit.contains(&format!(
                "<testcase name=\"adfpg.toml:{line}\" classname=\"adfpg-migrate.configuration\""
            )),
            "{junit}"
        );
    }
    let markdown = run("markdown", &[]);
    assert_eq!(
        markdown.matches("`adfpg.toml:").count(),
        expected.len(),
        "{markdown}"
    );
    // the human formats do not carry CI annotations; without the config nothing is reported
    assert!(!run("concise", &[]).contains("turns findings off"));
    for format in ["github", "azure", "sarif", "junit", "markdown"] {
        assert!(
            !run(format, &["--no-config"]).contains("turns findings off"),
            "{format}"
        );
    }
}
