//! Issue 29, section 3: writes and reads a pull request chooses. Output files (`-o`, `--write-baseline`)
//! get the protections of fixed files — no link followed, regular files only, atomic replacement —
//! and the write stage of `--fix` never writes outside the tree while a folder is swapped for a link.
#![cfg(unix)]

mod common;
use common::*;
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
/// (0, 1 or 2) without a crash.
#[test]
fn fixing_while_a_folder_is_swapped_for_a_link_never_writes_outside() {
    const FILES: usize = 300;
    let repo = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let ls = repo.path().join("linkedService");
    let away = repo.path().join("linkedService.away");
    for run in 0..3 {
        let _ = fs::remove_dir_all(&ls);
        fs::create_dir(&ls).unwrap();
        for i in 0..FILES {
            fs::write(ls.join(format!("pg{i}.json")), v1(&format!("pg{i}"))).unwrap();
            fs::write(
                outside.path().join(format!("pg{i}.json")),
                v1(&format!("pg{i}")),
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
        for i in 0..FILES {
            let name = format!("pg{i}.json");
            assert_eq!(
                fs::read_to_string(outside.path().join(&name)).unwrap(),
                v1(&format!("pg{i}")),
                "run {run}: {name} outside the tree was written"
            );
            let inside = fs::read_to_string(ls.join(&name)).unwrap();
            assert!(
                inside == v1(&format!("pg{i}")) || inside.contains("\"version\": \"2.0\""),
                "run {run}: {name}: {inside}"
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
