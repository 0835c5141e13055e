//! Baselines: record today's findings, report only new ones, survive moved lines and reformatting,
//! and list the entries that were fixed so the file can shrink.

mod common;
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

const BASELINE: &str = ".adfpg-baseline.json";

fn concise(dir: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![".", "--output-format", "concise"];
    args.extend_from_slice(extra);
    let (code, out, err) = run_in(dir, &args);
    assert!(err.is_empty(), "{err}");
    (code, out)
}

fn finding_lines(out: &str) -> Vec<&str> {
    out.lines()
        .filter(|l| l.contains(": ADFPG") && !l.starts_with("  fixed: "))
        .collect()
}

/// A factory whose baseline holds today's 30 findings: 25 of the AzurePostgreSql linked services and their datasets and pipelines, 5 of the PostgreSql ones (the legacy linked service, its dataset, its two sources, the V2 one's sslMode 4).
fn baselined() -> tempfile::TempDir {
    let dir = copy_tree(&example());
    let (code, out) = concise(dir.path(), &["--write-baseline", BASELINE]);
    assert_eq!(code, 0, "writing a baseline accepts every finding: {out}");
    assert!(finding_lines(&out).is_empty(), "{out}");
    assert!(out.contains("Wrote 30 findings to baseline"), "{out}");
    dir
}

#[test]
fn a_baseline_hides_todays_findings_and_holds_no_secret() {
    let dir = baselined();
    let text = fs::read_to_string(dir.path().join(BASELINE)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["version"], 1);
    let entries = doc["findings"].as_array().unwrap();
    assert_eq!(entries.len(), 30);
    for e in entries {
        assert!(
            ["linkedService/", "dataset/", "pipeline/"]
                .iter()
                .any(|d| e["path"].as_str().unwrap().starts_with(d)),
            "{e}"
        );
        assert_eq!(e["fingerprint"].as_str().unwrap().len(), 16);
    }
    for secret in [
        "Report-Pa55",
        "S3cure",
        "Plain-Text-Pw1",
        "ew0KICAiVmVyc2lvbiI6",
    ] {
        assert!(!text.contains(secret), "{secret} in the baseline");
    }
    let (code, out) = concise(dir.path(), &["--baseline", BASELINE]);
    assert_eq!(code, 0, "{out}");
    assert!(finding_lines(&out).is_empty(), "{out}");
    assert!(
        out.contains("Baseline .adfpg-baseline.json: 30 findings already listed (not shown)."),
        "{out}"
    );
    // --check counts only the fixes of reported findings; --diff still shows every change
    let (code, out) = concise(dir.path(), &["--baseline", BASELINE, "--check"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("--fix would apply 0 fixes to 0 files."),
        "{out}"
    );
    let (code, out) = concise(dir.path(), &["--baseline", BASELINE, "--diff"]);
    assert_eq!(code, 1, "{out}");
    // writing is deterministic: the same findings give the same bytes
    let (_, _) = concise(dir.path(), &["--write-baseline", BASELINE]);
    assert_eq!(fs::read_to_string(dir.path().join(BASELINE)).unwrap(), text);
}

#[test]
fn a_new_finding_is_reported() {
    let dir = baselined();
    let p = dir.path().join("linkedService/PgGoodV2.json");
    let text = fs::read_to_string(&p).unwrap();
    let weak = text.replace("\"sslMode\": 5", "\"sslMode\": 1");
    assert_ne!(text, weak);
    fs::write(&p, weak).unwrap();
    let (code, out) = concise(dir.path(), &["--baseline", BASELINE]);
    assert_eq!(code, 1, "{out}");
    let lines = finding_lines(&out);
    assert_eq!(lines.len(), 1, "{out}");
    assert!(
        lines[0].contains("PgGoodV2.json") && lines[0].contains("ADFPG004"),
        "{out}"
    );
    // a second identical finding is new too: entries are matched one for one
    let (_, json, _) = run_in(
        dir.path(),
        &[".", "--baseline", BASELINE, "--output-format", "sarif"],
    );
    let log: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(log["runs"][0]["results"][0]["baselineState"], "new");
}

#[test]
fn moved_lines_and_reformatting_keep_entries_matched() {
    let dir = baselined();
    // reformat every linked service: two-space indentation, keys reordered, blank lines on top, CRLF
    for e in fs::read_dir(dir.path().join("linkedService")).unwrap() {
        let p = e.unwrap().path();
        let bytes = fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim_start_matches('\u{feff}');
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            continue;
        };
        let mut v = v;
        if let Some(props) = v.get_mut("properties").and_then(Value::as_object_mut) {
            // move `type` to the end (serde_json keeps key order here: the crate enables preserve_order)
            if let Some(t) = props.remove("type") {
                props.insert("type".into(), t);
            }
        }
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        fs::write(&p, format!("\n\n\n{}\r\n", pretty.replace('\n', "\r\n"))).unwrap();
    }
    let (code, out) = concise(dir.path(), &["--baseline", BASELINE]);
    assert_eq!(code, 0, "{out}");
    assert!(finding_lines(&out).is_empty(), "{out}");
    assert!(
        out.contains("30 findings already listed") && !out.contains("no longer found"),
        "{out}"
    );
}

#[test]
fn a_fixed_finding_is_reported_so_the_baseline_can_shrink() {
    let dir = baselined();
    let p = dir.path().join("linkedService/PgBadV2.json");
    let text = fs::read_to_string(&p).unwrap();
    fs::write(&p, text.replace("\"70000\"", "\"5432\"")).unwrap();
    let (code, out) = concise(dir.path(), &["--baseline", BASELINE]);
    assert_eq!(code, 0, "a stale entry is not an error: {out}");
    assert!(finding_lines(&out).is_empty(), "{out}");
    assert!(
        out.contains("29 findings already listed (not shown); 1 entry no longer found"),
        "{out}"
    );
    assert!(
        out.contains(
            "  fixed: linkedService/PgBadV2.json: ADFPG015 linked service `PgBadV2` has port"
        ),
        "{out}"
    );
    let (_, json, _) = run_in(
        dir.path(),
        &[".", "--baseline", BASELINE, "--output-format", "json"],
    );
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["baseline"]["matched"], 29);
    assert_eq!(doc["baseline"]["fixed"][0]["code"], "ADFPG015");
    // regenerating drops it
    concise(
        dir.path(),
        &["--baseline", BASELINE, "--write-baseline", BASELINE],
    );
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join(BASELINE)).unwrap()).unwrap();
    assert_eq!(doc["findings"].as_array().unwrap().len(), 29);
    let (_, out) = concise(dir.path(), &["--baseline", BASELINE]);
    assert!(!out.contains("no longer found"), "{out}");
}

#[test]
fn fix_then_compare_reports_the_migrated_findings_as_fixed() {
    let dir = baselined();
    let (code, out, _) = run_in(
        dir.path(),
        &[
            "--fix",
            "--baseline",
            BASELINE,
            "--output-format",
            "concise",
            "linkedService/PgPlainPassword.json",
        ],
    );
    // the migration fixes ADFPG001; the plain-text password moves from the connection string to a
    // `password` SecureString, which is a different finding (new pointer and message): reported as new
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("2 entries no longer found"), "{out}");
    assert!(
        out.contains("fixed: linkedService/PgPlainPassword.json: ADFPG001"),
        "{out}"
    );
    assert!(
        out.contains("fixed: linkedService/PgPlainPassword.json: ADFPG008 linked service `PgPlainPassword` holds a secret in plain text in the connection string"),
        "{out}"
    );
    let new = finding_lines(&out);
    assert!(
        new.iter()
            .any(|l| l.contains("ADFPG008") && l.contains("in `password`")),
        "{out}"
    );
    assert!(
        new.iter().all(|l| l.contains("PgPlainPassword.json")),
        "{out}"
    );
}

#[test]
fn partial_runs_leave_other_files_entries_alone_and_deleted_files_are_fixed() {
    let dir = baselined();
    // a pre-commit run passes a few files: entries of the others are neither matched nor fixed
    let (code, out, _) = run_in(
        dir.path(),
        &[
            "--baseline",
            BASELINE,
            "--output-format",
            "concise",
            "linkedService/PgBadV2.json",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("5 findings already listed (not shown).") && !out.contains("no longer found"),
        "{out}"
    );
    // --select narrows the rules: entries of switched-off rules are not "fixed"
    let (_, out) = concise(
        dir.path(),
        &["--baseline", BASELINE, "--select", "ADFPG001"],
    );
    assert!(
        out.contains("8 findings already listed (not shown)."),
        "{out}"
    );
    // a deleted file's entries are fixed, even when the file is not among the paths
    fs::remove_file(dir.path().join("linkedService/PgStudio.json")).unwrap();
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--baseline",
            BASELINE,
            "--output-format",
            "concise",
            "linkedService/PgBadV2.json",
        ],
    );
    assert!(out.contains("1 entry no longer found"), "{out}");
    assert!(
        out.contains("fixed: linkedService/PgStudio.json: ADFPG001"),
        "{out}"
    );
}

#[test]
fn baseline_paths_do_not_depend_on_the_working_directory() {
    let dir = baselined();
    // from inside a subfolder, with the baseline given relative to it
    let (code, out, _) = run_in(
        &dir.path().join("linkedService"),
        &[
            ".",
            "--baseline",
            "../.adfpg-baseline.json",
            "--output-format",
            "concise",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("21 findings already listed"), "{out}"); // the linkedService folder alone
    // from elsewhere, with absolute paths
    let base = dir.path().join(BASELINE);
    let (code, out, _) = run_in(
        &root(),
        &[
            dir.path().to_str().unwrap(),
            "--baseline",
            base.to_str().unwrap(),
            "--output-format",
            "concise",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("30 findings already listed"), "{out}");
}

#[test]
fn a_missing_or_broken_baseline_is_an_error() {
    let dir = copy_tree(&example());
    let (code, _, err) = run_in(dir.path(), &[".", "--baseline", "nope.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("--write-baseline"), "{err}");
    fs::write(
        dir.path().join("bad.json"),
        "{\"version\": 9, \"findings\": []}",
    )
    .unwrap();
    let (code, _, err) = run_in(dir.path(), &[".", "--baseline", "bad.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("version 9"), "{err}");
}

/// Issue 29: a report or baseline path that is a symlink is refused, not written through (a pull
/// request can commit a link where a CI recipe writes its report): the file it points to keeps its
/// bytes, the link stays, the run says why (exit 2). Write to the real path instead.
#[cfg(unix)]
#[test]
fn report_and_baseline_paths_that_are_symlinks_are_refused() {
    let dir = copy_tree(&example());
    let elsewhere = tempfile::tempdir().unwrap();
    for name in ["report.txt", "baseline.json"] {
        fs::write(elsewhere.path().join(name), "old").unwrap();
        std::os::unix::fs::symlink(elsewhere.path().join(name), dir.path().join(name)).unwrap();
    }
    for args in [
        &["-o", "report.txt"][..],
        &["--write-baseline", "baseline.json"],
    ] {
        let (code, out, err) = run_in(dir.path(), &[&["."][..], args].concat());
        assert_eq!(code, 2, "{args:?}: {out}");
        assert!(
            err.contains("nothing is written through a link"),
            "{args:?}: {err}"
        );
    }
    for name in ["report.txt", "baseline.json"] {
        let link = dir.path().join(name);
        assert!(
            fs::symlink_metadata(&link).unwrap().is_symlink(),
            "{name}: the link stays"
        );
        let kept = fs::read_to_string(elsewhere.path().join(name)).unwrap();
        assert_eq!(kept, "old", "{name}: its target is not written");
    }
    // the real paths work as ever
    let (code, out) = concise(
        dir.path(),
        &[
            "-o",
            "real-report.txt",
            "--write-baseline",
            "real-baseline.json",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let report = fs::read_to_string(dir.path().join("real-report.txt")).unwrap();
    assert!(report.contains("Wrote 30 findings to baseline"), "{report}");
    let baseline: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("real-baseline.json")).unwrap())
            .unwrap();
    assert_eq!(baseline["findings"].as_array().unwrap().len(), 30);
}
