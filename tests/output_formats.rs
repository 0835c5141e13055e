//! The CI output formats end to end: snapshots on the example factory, SARIF against the official
//! SARIF 2.1.0 schema, JSON against the project's published schema, escaping of workflow and logging
//! commands, --output, --statistics, colour, and the side files CI runners read.

mod common;
use common::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

const FORMATS: [&str; 8] = [
    "full", "concise", "json", "sarif", "github", "azure", "junit", "markdown",
];

fn validator(schema_file: &Path) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(&fs::read_to_string(schema_file).unwrap()).unwrap();
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("{} is not a usable schema: {e}", schema_file.display()))
}

fn sarif_schema() -> jsonschema::Validator {
    validator(&root().join("tests/schemas/sarif-schema-2.1.0.json"))
}

fn json_schema() -> jsonschema::Validator {
    validator(&root().join("docs/json-output.schema.json"))
}

fn assert_valid(v: &jsonschema::Validator, doc: &Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}",
        errors.join("\n")
    );
}

fn example_in(format: &str) -> (i32, String) {
    let (code, out, err) = run_in(
        &root(),
        &["fixtures/example-factory", "--output-format", format],
    );
    assert!(err.is_empty(), "{format}: {err}");
    (code, out)
}

/// The parts of a SARIF log that are about this run (the rule catalog is checked on its own: it is
/// long and changes with every rule edit).
fn sarif_for_snapshot(out: &str) -> String {
    let mut v: Value = serde_json::from_str(out).unwrap();
    let driver = &mut v["runs"][0]["tool"]["driver"];
    let ids: Vec<Value> = driver["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].clone())
        .collect();
    driver["rules"] = Value::Array(ids);
    driver["version"] = "[VERSION]".into();
    driver["semanticVersion"] = "[VERSION]".into();
    serde_json::to_string_pretty(&v).unwrap()
}

#[test]
fn every_format_on_the_example_factory() {
    for format in ["sarif", "github", "azure", "junit", "markdown"] {
        let (code, out) = example_in(format);
        assert_eq!(
            code, 1,
            "exit code does not depend on the format ({format})"
        );
        let out = match format {
            "sarif" => sarif_for_snapshot(&out),
            "azure" => out.replace(&root().display().to_string(), "[ROOT]"),
            _ => out,
        };
        insta::assert_snapshot!(format!("format_{format}"), out);
    }
}

#[test]
fn exit_code_never_depends_on_the_format() {
    for format in FORMATS {
        let (code, _) = example_in(format);
        assert_eq!(code, 1, "{format}");
        let (code, _, _) = run_in(
            &root(),
            &[
                "fixtures/example-factory/linkedService/PgGoodV2.json",
                "--output-format",
                format,
            ],
        );
        assert_eq!(code, 0, "{format}");
        let (code, _, _) = run_in(
            &root(),
            &[
                "fixtures/example-factory",
                "--exit-zero",
                "--output-format",
                format,
            ],
        );
        assert_eq!(code, 0, "--exit-zero with {format}");
    }
}

/// Every SARIF log the tool writes, on every kind of input, passes the official schema and the rules
/// GitHub code scanning adds.
#[test]
fn sarif_is_valid_and_complete_for_github() {
    let schema = sarif_schema();
    let dir = copy_tree(&example());
    fs::write(
        dir.path().join("linkedService/Broken.json"),
        "{\"properties\": {\"type\": \"AzurePostgreSql\",}}",
    )
    .unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["."],
        vec![".", "--unsafe-fixes"],
        // (`--diff` prints the diff whatever the format: tests/ruff_habits.rs)
        vec![".", "--check"],
        vec![".", "no-such-dir"],
        vec!["linkedService/PgGoodV2.json"],
    ];
    for args in runs {
        let mut all = args.clone();
        all.extend(["--output-format", "sarif"]);
        let (_, out, err) = run_in(dir.path(), &all);
        let log: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}\n{err}"));
        assert_valid(&schema, &log, &format!("SARIF of {args:?}"));
        check_github_rules(&log, dir.path());
    }
    // the real factories too (ARM templates, invalid files, Key Vault strings)
    let (_, out, _) = run_in(
        &root(),
        &[
            "fixtures/real",
            "--output-format",
            "sarif",
            "--unsafe-fixes",
        ],
    );
    let log: Value = serde_json::from_str(&out).unwrap();
    assert_valid(&schema, &log, "SARIF of fixtures/real");
    check_github_rules(&log, &root());
    assert!(!log["runs"][0]["results"].as_array().unwrap().is_empty());
    // the schema does bite: a wrong level is rejected
    let mut bad = log.clone();
    bad["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!schema.is_valid(&bad));
}

/// What GitHub needs beyond the schema; `base` is where relative URIs point.
fn check_github_rules(log: &Value, base: &Path) {
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert!(
        run["automationDetails"]["id"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 20);
    for r in rules {
        for key in ["shortDescription", "fullDescription"] {
            let text = r[key]["text"].as_str().unwrap();
            assert!(
                !text.is_empty() && text.chars().count() <= 1024,
                "{key} of {}",
                r["id"]
            );
        }
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
        assert!(r["help"]["markdown"].as_str().unwrap().starts_with("# "));
        assert!(
            ["error", "warning", "note"]
                .contains(&r["defaultConfiguration"]["level"].as_str().unwrap())
        );
    }
    for res in run["results"].as_array().unwrap() {
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
        assert!(
            res["partialFingerprints"]["primaryLocationLineHash"]
                .as_str()
                .is_some_and(|s| !s.is_empty())
        );
        assert!(res.get("snippet").is_none() && !res.to_string().contains("\"snippet\""));
        let loc = &res["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains("://"), "{uri}");
        let region = &loc["region"];
        let (sl, sc) = (
            region["startLine"].as_u64().unwrap(),
            region["startColumn"].as_u64().unwrap(),
        );
        assert!(sl >= 1 && sc >= 1);
        if let Some(el) = region["endLine"].as_u64() {
            assert!(el >= sl);
            if el == sl {
                assert!(region["endColumn"].as_u64().unwrap() > sc, "{res}");
            }
        }
        // every replacement's line/column region and byte range agree with the file
        let text = fs::read_to_string(base.join(uri)).unwrap();
        for fix in res["fixes"].as_array().into_iter().flatten() {
            for change in fix["artifactChanges"].as_array().unwrap() {
                assert_eq!(change["artifactLocation"]["uri"], uri);
                for r in change["replacements"].as_array().unwrap() {
                    let d = &r["deletedRegion"];
                    let off = d["byteOffset"].as_u64().unwrap() as usize;
                    let len = d["byteLength"].as_u64().unwrap() as usize;
                    let (line, col) = line_col(&text, off);
                    assert_eq!(
                        (line, col),
                        (
                            d["startLine"].as_u64().unwrap() as usize,
                            d["startColumn"].as_u64().unwrap() as usize
                        )
                    );
                    let (line, col) = line_col(&text, off + len);
                    assert_eq!(
                        (line, col),
                        (
                            d["endLine"].as_u64().unwrap() as usize,
                            d["endColumn"].as_u64().unwrap() as usize
                        )
                    );
                }
            }
        }
    }
}

/// 1-based line and column in characters, the BOM not counted (as the tool reports them).
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        line,
        before[start..]
            .trim_start_matches('\u{feff}')
            .chars()
            .count()
            + 1,
    )
}

#[test]
fn sarif_fixes_reproduce_what_fix_writes() {
    // PgBadV2 has only safe, secret-free single-edit fixes: applying the SARIF replacements (each fix
    // on its own, in reverse order) must give what --fix writes
    let dir = copy_tree(&example());
    let file = "linkedService/PgBadV2.json";
    let before = fs::read_to_string(dir.path().join(file)).unwrap();
    let (_, out, _) = run_in(dir.path(), &[file, "--output-format", "sarif"]);
    let log: Value = serde_json::from_str(&out).unwrap();
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for res in log["runs"][0]["results"].as_array().unwrap() {
        for fix in res["fixes"].as_array().into_iter().flatten() {
            for r in fix["artifactChanges"][0]["replacements"]
                .as_array()
                .unwrap()
            {
                let d = &r["deletedRegion"];
                edits.push((
                    d["byteOffset"].as_u64().unwrap() as usize,
                    d["byteLength"].as_u64().unwrap() as usize,
                    r["insertedContent"]["text"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    assert!(edits.len() >= 3, "{edits:?}");
    edits.sort();
    let mut fixed = before.clone();
    for (off, len, text) in edits.iter().rev() {
        fixed.replace_range(*off..off + len, text);
    }
    run_in(dir.path(), &["--fix", file]);
    assert_eq!(fixed, fs::read_to_string(dir.path().join(file)).unwrap());
}

#[test]
fn json_output_matches_the_published_schema() {
    let schema = json_schema();
    let dir = copy_tree(&example());
    fs::write(
        dir.path().join("linkedService/Broken.json"),
        "{\"properties\": {\"type\": \"AzurePostgreSql\",}}",
    )
    .unwrap();
    let runs: Vec<Vec<&str>> = vec![
        vec!["."],
        vec![".", "--unsafe-fixes"],
        vec![".", "--check"],
        vec![".", "no-such-dir"],
        vec![".", "--write-baseline", "baseline.json"],
        vec![".", "--baseline", "baseline.json"],
    ];
    for args in runs {
        let mut all = args.clone();
        all.extend(["--output-format", "json"]);
        let (_, out, err) = run_in(dir.path(), &all);
        let doc: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}\n{err}"));
        assert_valid(&schema, &doc, &format!("JSON of {args:?}"));
    }
    // a baseline that lists a finding which is gone: `fixed` entries are valid too
    let doc = fs::read_to_string(dir.path().join("baseline.json")).unwrap();
    fs::write(
        dir.path().join("baseline.json"),
        doc.replace("linkedService/PgBadV2.json", "linkedService/Gone.json"),
    )
    .unwrap();
    let (_, out, _) = run_in(
        dir.path(),
        &[
            ".",
            "--baseline",
            "baseline.json",
            "--output-format",
            "json",
        ],
    );
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert!(
        !doc["baseline"]["fixed"].as_array().unwrap().is_empty(),
        "{doc}"
    );
    assert_valid(&schema, &doc, "JSON with fixed baseline entries");
    // --fix in place
    let (_, out, _) = run_in(
        dir.path(),
        &[".", "--fix", "--unsafe-fixes", "--output-format", "json"],
    );
    assert_valid(
        &schema,
        &serde_json::from_str(&out).unwrap(),
        "JSON of --fix",
    );
    // and the schema is strict: an undocumented member fails it
    let mut doc: Value = serde_json::from_str(&out).unwrap();
    doc["surprise"] = 1.into();
    assert!(!schema.is_valid(&doc));
}

/// A file name and a linked-service name full of the characters the command syntaxes use.
fn hostile_factory() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let name = "pg%25 a:b,c;d]e\nf\r::error::x ##vso[task.setvariable variable=PWNED]1";
    let file = "ls 100%:,;]\nodd.json";
    let json = serde_json::json!({
        "name": name,
        "properties": {
            "type": "AzurePostgreSql",
            "typeProperties": {"connectionString": "host=h.postgres.database.azure.com;database=d;uid=u"},
            "connectVia": {"referenceName": "ir", "type": "IntegrationRuntimeReference"}
        }
    });
    fs::write(
        dir.path().join(file),
        serde_json::to_string_pretty(&json).unwrap(),
    )
    .unwrap();
    (dir, file.to_string(), name.to_string())
}

fn unescape_github(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

fn unescape_azure(s: &str) -> String {
    s.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3B", ";")
        .replace("%5D", "]")
        .replace("%AZP25", "%")
}

#[test]
fn github_commands_escape_paths_and_messages() {
    let (dir, file, name) = hostile_factory();
    let (code, out, _) = run_in(dir.path(), &[".", "--output-format", "github", "--quiet"]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        // one command per line, and nothing else starts a command
        let (cmd, rest) = line[2..].split_once(' ').unwrap();
        assert!(
            line.starts_with("::") && ["error", "warning", "notice"].contains(&cmd),
            "{line}"
        );
        let (props, message) = rest.split_once("::").unwrap();
        let props: Vec<(&str, &str)> = props
            .split(',')
            .map(|p| p.split_once('=').unwrap())
            .collect();
        let get = |k: &str| props.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        assert_eq!(unescape_github(get("file").unwrap()), file);
        let message = unescape_github(message);
        let shown = adfpg_migrate::mask::printable(&name).replace("##vso[", "##vso\u{2060}[");
        assert!(message.contains(&shown), "{message:?}");
        let (l, el) = (get("line").unwrap(), get("endLine").unwrap());
        if l != el {
            assert!(get("col").is_none() && get("endColumn").is_none(), "{line}");
        }
        assert!(get("title").unwrap().starts_with("ADFPG"));
    }
}

#[test]
fn azure_commands_escape_paths_and_messages() {
    let (dir, file, name) = hostile_factory();
    let (code, out, _) = run_in(dir.path(), &[".", "--output-format", "azure", "--quiet"]);
    assert_eq!(code, 1, "{out}");
    let abs = dir.path().canonicalize().unwrap().join(&file);
    let lines: Vec<&str> = out.lines().collect();
    assert!(!lines.is_empty());
    for line in lines {
        let body = line
            .strip_prefix("##vso[task.logissue ")
            .unwrap_or_else(|| panic!("{line}"));
        let (props, message) = body.split_once(']').unwrap();
        let props: Vec<(&str, &str)> = props
            .split(';')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap())
            .collect();
        let get = |k: &str| {
            props
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| *v)
                .unwrap()
        };
        assert!(["error", "warning"].contains(&get("type")));
        let source = unescape_azure(get("sourcepath"));
        assert!(Path::new(&source).is_absolute(), "{source}");
        assert_eq!(
            Path::new(&source).canonicalize().unwrap(),
            abs,
            "sourcepath round-trips"
        );
        assert!(get("linenumber").parse::<usize>().unwrap() >= 1);
        assert!(get("columnnumber").parse::<usize>().unwrap() >= 1);
        assert!(get("code").starts_with("ADFPG"));
        assert!(!message.contains('\n') && !message.contains("%0D%0A::"));
        let shown = adfpg_migrate::mask::printable(&name).replace("##vso[", "##vso\u{2060}[");
        assert!(unescape_azure(message).contains(&shown), "{message}");
    }
}

/// Text from the factory never becomes a command in a CI log: GitHub reads `::` at the start of a
/// line, the Azure agent reads `##vso[` anywhere in a line (and splits lines on a bare CR).
#[test]
fn factory_text_cannot_inject_log_commands() {
    let (dir, _, _) = hostile_factory();
    for format in ["concise", "github", "azure"] {
        let (_, out, err) = run_in(dir.path(), &[".", "--output-format", format]);
        for line in out.lines().chain(err.lines()) {
            assert!(!line.contains('\r'), "{format}: {line:?}");
            match line.find("##vso[") {
                None => {}
                Some(0) => assert!(line.starts_with("##vso[task.logissue "), "{format}: {line}"),
                Some(_) => panic!("{format}: ##vso[ inside a line: {line}"),
            }
            if line.trim_start().starts_with("::") {
                assert_eq!(format, "github", "{line}");
            }
        }
    }
}

#[test]
fn junit_and_markdown_escape_what_the_factory_contains() {
    let (dir, _, _) = hostile_factory();
    let (_, xml, _) = run_in(dir.path(), &[".", "--output-format", "junit"]);
    // no raw line break inside a tag: attribute values escape them
    for tag in xml.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap();
        assert!(!tag.contains('\n'), "{tag:?}");
    }
    assert!(
        xml.contains("]&#10;odd.json") && xml.contains("]e\\u{a}f"),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 1, "{xml}");
    assert!(xml.contains("<failure "), "{xml}");
    assert!(
        !xml.chars()
            .any(|c| (c as u32) < 0x20 && !"\n\t".contains(c)),
        "{xml:?}"
    );
    let (_, md, _) = run_in(dir.path(), &[".", "--output-format", "markdown"]);
    for line in md.lines().filter(|l| l.starts_with('|')) {
        // each table row keeps its six (or four) cells: nothing in a cell ends it
        let cells = line.replace("\\|", "").matches('|').count();
        assert!(cells == 7 || cells == 5, "{line}");
    }
}

#[test]
fn output_file_gets_the_report_and_the_terminal_the_human_summary() {
    let dir = copy_tree(&example());
    let (code, out, _) = run_in(
        dir.path(),
        &[".", "--output-format", "sarif", "--output", "report.sarif"],
    );
    assert_eq!(code, 1);
    assert!(out.contains("ADFPG001 [warning]"), "{out}");
    assert!(out.contains("Scanned 22 files"), "{out}");
    let log: Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("report.sarif")).unwrap())
            .unwrap();
    assert_valid(&sarif_schema(), &log, "--output report.sarif");
    // the format follows the file name when --output-format is not given
    for (file, start) in [
        ("r.sarif", "{\n  \"$schema\""),
        ("r.json", "{\n  \"version\": 1"),
        ("r.xml", "<?xml"),
        ("r.md", "## adfpg-migrate"),
        ("r.txt", "dataset/DanglingOrders.json:5:21: ADFPG031"),
    ] {
        let (code, _, _) = run_in(dir.path(), &[".", "-o", file]);
        assert_eq!(code, 1);
        let text = fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.starts_with(start), "{file}: {text}");
        assert!(!text.contains('\x1b'), "no colour in files");
    }
    // an unwritable report file is exit 2
    let (code, _, err) = run_in(dir.path(), &[".", "-o", "no/such/dir/r.sarif"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn statistics_count_findings_per_rule() {
    let (code, out, _) = run_in(
        &root(),
        &[
            "fixtures/example-factory",
            "--statistics",
            "--output-format",
            "concise",
        ],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("statistics", out);
    let (_, json, _) = run_in(
        &root(),
        &[
            "fixtures/example-factory",
            "--statistics",
            "--output-format",
            "json",
        ],
    );
    let rows: Value = serde_json::from_str(&json).unwrap();
    let total: u64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    // 27 before ADFPG010 was folded into ADFPG001's fix on the two Studio 1.0 files (one fact, one finding);
    // the legacy files add five: the linked service (ADFPG060), its dataset (ADFPG061), the two sources
    // reading it (ADFPG062) and the V2 linked service's sslMode 4 (ADFPG005)
    assert_eq!(total, 30);
    assert_eq!(rows[0]["code"], "ADFPG001");
    let (code, _, err) = run_in(
        &root(),
        &[
            "fixtures/example-factory",
            "--statistics",
            "--output-format",
            "sarif",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--statistics"), "{err}");
}

#[test]
fn quiet_drops_the_summary_in_every_text_format() {
    for format in ["concise", "full", "github", "azure"] {
        let (_, out, _) = run_in(
            &root(),
            &[
                "fixtures/example-factory",
                "--quiet",
                "--output-format",
                format,
            ],
        );
        assert!(!out.contains("Scanned "), "{format}: {out}");
        assert!(out.contains("ADFPG001"), "{format}");
        let (_, out, _) = run_in(
            &root(),
            &["fixtures/example-factory", "--output-format", format],
        );
        assert!(out.contains("Scanned 22 files"), "{format}");
    }
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let run = |args: &[&str], no_color: bool| {
        let mut c = cmd();
        if !no_color {
            c.env_remove("NO_COLOR");
        }
        let out = c.current_dir(root()).args(args).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let full = ["fixtures/example-factory", "--output-format", "full"];
    let with = |extra: &[&'static str]| {
        let mut v = full.to_vec();
        v.extend_from_slice(extra);
        v
    };
    assert!(run(&with(&["--color", "always"]), true).contains('\x1b'));
    assert!(!run(&with(&["--color", "never"]), false).contains('\x1b'));
    // auto: not a terminal here, so no colour, with or without NO_COLOR
    assert!(!run(&with(&[]), false).contains('\x1b'));
    assert!(!run(&with(&["--diff"]), true).contains('\x1b'));
    // machine formats never carry colour, even when asked
    for format in ["json", "sarif", "github", "azure", "junit", "markdown"] {
        let out = run(
            &[
                "fixtures/example-factory",
                "--color",
                "always",
                "--output-format",
                format,
            ],
            false,
        );
        assert!(!out.contains('\x1b'), "{format}");
    }
}

#[test]
fn github_format_writes_the_step_summary() {
    let dir = copy_tree(&example());
    let summary = dir.path().join("summary.md");
    fs::write(&summary, "earlier step\n").unwrap();
    for _ in 0..2 {
        let out = cmd()
            .current_dir(dir.path())
            .env("GITHUB_STEP_SUMMARY", &summary)
            .args([".", "--output-format", "github"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
    }
    let text = fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n## adfpg-migrate"),
        "appended: {text}"
    );
    assert_eq!(text.matches("## adfpg-migrate").count(), 2);
    assert!(text.contains("| `PgBadV2` |"), "{text}");
    // other formats leave it alone
    cmd()
        .current_dir(dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .args([".", "--output-format", "concise"])
        .output()
        .unwrap();
    assert_eq!(fs::read_to_string(&summary).unwrap(), text);
}

#[test]
fn azure_format_attaches_the_markdown_summary() {
    let dir = copy_tree(&example());
    let tmp = tempfile::tempdir().unwrap();
    let out = cmd()
        .current_dir(dir.path())
        .env("AGENT_TEMPDIRECTORY", tmp.path())
        .args([".", "--output-format", "azure"])
        .output()
        .unwrap();
    let out = String::from_utf8(out.stdout).unwrap();
    let file = tmp.path().join("adfpg-migrate-summary-1.md");
    assert!(
        out.contains(&format!("##vso[task.uploadsummary]{}", file.display())),
        "{out}"
    );
    assert!(
        fs::read_to_string(file)
            .unwrap()
            .starts_with("## adfpg-migrate")
    );
}
