//! Issue 29, section 4: work a pull request can make unbounded. Each shape runs at N and at 4N and is
//! checked on a deterministic measure (what is printed, what is reported, a heap cap), never a clock.
//! The per-line shapes (a million findings on one line, duplicate keys, annotations, connection-string
//! keys) are counted in unit tests: `finding::tests`, `check::suppress::tests`, `pipeline::tests`.

mod common;
mod shapes;
use common::*;
use shapes::*;
use std::fs;
use std::path::Path;

fn linked_service(name: &str, extra: &str) -> String {
    format!(
        r#"{{"name": "{name}", "properties": {{"type": "AzurePostgreSql", "version": "2.0", "typeProperties": {{"server": "h.postgres.database.azure.com", "database": "d", "sslMode": 5, "username": "u", "authenticationType": "Basic", "password": {{"type": "SecureString", "value": "x"}}{extra}}}}}}}
"#
    )
}

/// N files holding one resource name: each names three of the others and counts the rest, so the
/// report grows with N, not N² (2,000 such files took ~50 s and printed 114 MB). In each connector's
/// shape (issue 28), and with all of them at once.
#[test]
fn files_sharing_a_name_report_a_bounded_line_each() {
    let write: [&dyn Fn(usize) -> String; 4] = [
        &|_| linked_service("same", ""),
        &|_| LEGACY.one_line("same", ""),
        &|_| PG_V2.one_line("same", ""),
        &|i| {
            [
                linked_service("same", ""),
                AZURE_V1.one_line("same", ""),
                LEGACY.one_line("same", ""),
                PG_V2.one_line("same", ""),
            ][i % 4]
                .clone()
        },
    ];
    for (shape, file) in write.iter().enumerate() {
        for n in [40usize, 160] {
            let dir = tempfile::tempdir().unwrap();
            let ls = dir.path().join("linkedService");
            fs::create_dir(&ls).unwrap();
            for i in 0..n {
                fs::write(ls.join(format!("pg{i:03}.json")), file(i)).unwrap();
            }
            let (_, out, err) = run_in(dir.path(), &["--output-format", "concise", "."]);
            let lines: Vec<&str> = out.lines().filter(|l| l.contains("ADFPG051")).collect();
            assert_eq!(lines.len(), n, "shape {shape}: {err}");
            let more = format!(", {} more", n - 4);
            for l in &lines {
                let named = l.matches("linkedService/pg").count();
                // the file itself, then three others
                assert_eq!(named, 4, "shape {shape}: {l}");
                assert!(l.ends_with(&more), "shape {shape}: {l}");
            }
        }
    }
}

/// A house rule a pull request adds whose `given` grows with a power of the file (`$..*..*..*` held
/// 12.9 GB on a 4.6 KB file): not evaluated, reported as ADFPG106 naming the rule, at 4.6 KB and at 4×,
/// with the heap capped at 128 MiB; the other rules of the run still run.
#[cfg(target_os = "linux")]
#[test]
fn a_house_rule_over_the_jsonpath_budget_is_reported_not_run() {
    let rule = |code: &str, given: &str| {
        format!(
            "code = \"{code}\"\nname = \"{code}-rule\"\nsummary = \"s\"\nseverity = \"error\"\ngiven = {given:?}\ncheck = \"defined\"\nfield = \"connectVia\"\nmessage = \"no connectVia in `{{ls}}`\"\nhelp = \"h\"\n[docs]\nwhat = \"w\"\nwhy = \"y\"\n"
        )
    };
    // in each shape (issue 28): the 2.0 one, the legacy one, PostgreSqlV2
    let shapes: [&dyn Fn(&str) -> String; 3] = [
        &|extra| linked_service("pg", extra),
        &|extra| LEGACY.one_line("pg", extra),
        &|extra| PG_V2.one_line("pg", extra),
    ];
    for (members, file) in [130usize, 520]
        .into_iter()
        .flat_map(|m| shapes.iter().map(move |f| (m, f)))
    {
        let dir = tempfile::tempdir().unwrap();
        let house = dir.path().join("house");
        fs::create_dir(&house).unwrap();
        fs::write(house.join("HOUSE001.toml"), rule("HOUSE001", "$..*..*..*")).unwrap();
        fs::write(
            house.join("HOUSE002.toml"),
            rule("HOUSE002", "$.properties"),
        )
        .unwrap();
        fs::write(dir.path().join("adfpg.toml"), "rules = [\"house\"]\n").unwrap();
        fs::create_dir(dir.path().join("linkedService")).unwrap();
        let extra: String = (0..members)
            .map(|i| format!(r#", "k{i}": {{"a": [1, 2, {{"b": "c"}}], "d": "e"}}"#))
            .collect();
        let text = file(&extra);
        assert!(text.len() >= 4_600);
        fs::write(dir.path().join("linkedService/pg.json"), &text).unwrap();
        let out = heap_capped(128)
            .current_dir(dir.path())
            .args(["--output-format", "concise", "."])
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        assert_eq!(out.status.code(), Some(1), "{members}: {stdout}{stderr}");
        assert!(
            stdout.contains("ADFPG106 [error] rule HOUSE001 was not evaluated in linked service `pg`: its `given` `$..*..*..*`"),
            "{members}: {stdout}"
        );
        assert!(
            stdout.contains("HOUSE002 [error] no connectVia in `pg`"),
            "{members}: the other house rule ran: {stdout}"
        );
        assert!(!stdout.contains("HOUSE001 [error]"), "{stdout}");
    }
}

/// A repository's config may not lift the file-size cap (it bounds memory): over 256 MiB is an error at
/// the entry; the command line may.
#[test]
fn a_config_cannot_lift_the_file_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("linkedService")).unwrap();
    fs::write(
        dir.path().join("linkedService/pg.json"),
        linked_service("pg", ""),
    )
    .unwrap();
    for (value, ok) in [
        ("9223372036854775807", false),
        ("257", false),
        ("256", true),
        ("1", true),
    ] {
        fs::write(
            dir.path().join("adfpg.toml"),
            format!("max-file-size = {value}\n"),
        )
        .unwrap();
        let (code, out, err) = run_in(dir.path(), &["--output-format", "concise", "."]);
        if ok {
            assert!(code == 0 || code == 1, "{value}: {out}{err}");
        } else {
            assert_eq!(code, 2, "{value}: {out}{err}");
            assert!(
                err.contains("over the 256 MiB a config may set") && err.contains("adfpg.toml:1:"),
                "{value}: {err}"
            );
        }
    }
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--max-file-size",
            "100000",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code == 0 || code == 1, "{out}{err}");
    assert!(Path::new(&dir.path().join("adfpg.toml")).exists());
}
