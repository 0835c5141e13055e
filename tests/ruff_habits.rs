//! ruff's command-line habits, through the binary: `--diff` whatever the output format (and a note on
//! hunks that hold masked secrets), rule selectors (prefixes, `ALL`, `--extend-select`,
//! `--extend-ignore`), `--exit-non-zero-on-fix`, "did you mean" for a mistyped subcommand, `plan` with
//! the global options, Markdown that renders as intended (checked with a CommonMark renderer), and
//! standard input as a file (`- --stdin-filename PATH`: lint, `--fix` printing the text, `--diff`).

mod common;
use common::*;
use std::fs;

fn codes(out: &str) -> std::collections::BTreeSet<String> {
    out.lines()
        .filter_map(|l| l.split(": ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter(|c| c.starts_with("ADFPG"))
        .map(str::to_string)
        .collect()
}

#[test]
fn diff_prints_the_diff_whatever_the_output_format() {
    let (code, human, _) = run_in(&example(), &[".", "--diff", "--quiet"]);
    assert_eq!(code, 1);
    assert!(
        human.contains("+++ b/linkedService/PgPlainPassword.json"),
        "{human}"
    );
    for format in [
        "json", "sarif", "github", "azure", "junit", "markdown", "full",
    ] {
        let (code, out, err) = run_in(
            &example(),
            &[".", "--diff", "--quiet", "--output-format", format],
        );
        assert_eq!(code, 1, "{format}: {err}");
        assert_eq!(out, human, "{format}");
        // and through the environment variable
        let out = cmd()
            .current_dir(example())
            .args([".", "--diff", "--quiet"])
            .env("ADFPG_OUTPUT_FORMAT", format)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), human, "{format}");
    }
}

/// A hunk that shows a masked secret is named before its file's diff (where `git apply` reads
/// commentary); a hunk without one is not.
#[test]
fn diff_says_which_hunks_hold_masked_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let ls = dir.path().join("linkedService");
    fs::create_dir(&ls).unwrap();
    fs::write(
        ls.join("Secret.json"),
        r#"{"name":"Secret","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":"host=h.example.com;database=d;uid=u;password=hunter2;sslmode=require"}}}"#,
    )
    .unwrap();
    fs::write(
        ls.join("Vault.json"),
        r#"{"name":"Vault","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":"host=h.example.com;database=d;uid=u;sslmode=require","password":{"type":"AzureKeyVaultSecret","store":{"referenceName":"KV","type":"LinkedServiceReference"},"secretName":"pg"}}}}"#,
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &[".", "--diff", "--quiet"]);
    assert_eq!(code, 1, "{err}");
    assert!(!out.contains("hunter2"), "{out}");
    let notes: Vec<&str> = out.lines().filter(|l| l.starts_with("note: ")).collect();
    assert_eq!(notes.len(), 1, "{out}");
    assert!(
        notes[0].starts_with("note: hunk @@ -1 +1")
            && notes[0].contains(" of linkedService/Secret.json shows secrets masked"),
        "{}",
        notes[0]
    );
    // the note comes before that file's diff, where patch tools skip text
    let at = out.find(notes[0]).unwrap();
    assert!(
        out[at..]
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("--- a/linkedService/Secret.json")
    );
    assert!(out.contains("--- a/linkedService/Vault.json"));
}

#[test]
fn select_takes_prefixes_all_and_extensions() {
    let run = |args: &[&str]| {
        let mut a = vec![".", "--output-format", "concise", "--quiet"];
        a.extend_from_slice(args);
        let (code, out, err) = run_in(&example(), &a);
        assert!(code == 0 || code == 1, "{args:?}: {err}");
        codes(&out)
    };
    let all = run(&[]);
    assert!(all.len() > 10, "{all:?}");
    let prefix = run(&["--select", "ADFPG00"]);
    let want: std::collections::BTreeSet<String> = all
        .iter()
        .filter(|c| c.starts_with("ADFPG00"))
        .cloned()
        .collect();
    assert_eq!(prefix, want);
    assert!(want.len() >= 5, "{want:?}");
    assert_eq!(run(&["--select", "ALL"]), all);
    // with ADFPG001 off, ADFPG010 states the fact ADFPG001's fix carries (one fact, one finding)
    let mut rest = &all - &want;
    rest.insert("ADFPG010".to_string());
    assert_eq!(run(&["--select", "all", "--ignore", "adfpg00"]), rest);
    assert_eq!(
        run(&[
            "--select",
            "ADFPG001",
            "--extend-select",
            "ADFPG015,ADFPG03"
        ]),
        all.iter()
            .filter(|c| *c == "ADFPG001" || *c == "ADFPG015" || c.starts_with("ADFPG03"))
            .cloned()
            .collect()
    );
    let mut without = all.clone();
    without.remove("ADFPG001");
    without.insert("ADFPG010".to_string());
    assert_eq!(run(&["--extend-ignore", "ADFPG001"]), without);
    // extend-select adds to the config's select, --select replaces it
    let dir = copy_tree(&example());
    fs::write(dir.path().join("adfpg.toml"), "select = [\"ADFPG01\"]\n").unwrap();
    let (_, out, _) = run_in(
        dir.path(),
        &[
            ".",
            "--output-format",
            "concise",
            "--extend-select",
            "ADFPG001",
        ],
    );
    let got = codes(&out);
    assert!(
        got.contains("ADFPG001") && got.contains("ADFPG011") && !got.contains("ADFPG008"),
        "{got:?}"
    );
    // a selector that names no rule is an error
    let (code, _, err) = run_in(&example(), &[".", "--select", "NOPE"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown rule code `NOPE`"), "{err}");
}

#[test]
fn exit_non_zero_on_fix_fails_a_run_that_fixed_files() {
    let dir = tempfile::tempdir().unwrap();
    let ls = dir.path().join("linkedService");
    fs::create_dir(&ls).unwrap();
    fs::write(
        ls.join("Pg.json"),
        r#"{"name":"Pg","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":"host=h.example.com;database=d;uid=u;sslmode=require","password":{"type":"AzureKeyVaultSecret","store":{"referenceName":"KV","type":"LinkedServiceReference"},"secretName":"pg"}}}}"#,
    )
    .unwrap();
    let select = ["--select", "ADFPG001"];
    let copy = copy_tree(dir.path());
    let (code, out, _) = run_in(copy.path(), &[&[".", "--fix"][..], &select].concat());
    assert_eq!(code, 0, "every finding fixed: {out}");
    let (code, out, _) = run_in(
        dir.path(),
        &[&[".", "--fix", "--exit-non-zero-on-fix"][..], &select].concat(),
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("fixed linkedService/Pg.json"), "{out}");
    let (code, _, _) = run_in(
        dir.path(),
        &[&[".", "--fix", "--exit-non-zero-on-fix"][..], &select].concat(),
    );
    assert_eq!(code, 0, "nothing left to fix");
    let (code, _, err) = run_in(dir.path(), &[".", "--exit-non-zero-on-fix"]);
    assert_eq!(code, 2, "needs --fix: {err}");
}

#[test]
fn a_mistyped_subcommand_is_answered_not_linted() {
    for (typo, meant) in [
        ("plna", "plan"),
        ("rlues", "rules"),
        ("test-conection", "test-connection"),
    ] {
        let (code, out, err) = run_in(&example(), &[typo, "."]);
        assert_eq!(code, 2, "{typo}: {out}");
        assert!(out.is_empty(), "nothing linted: {out}");
        assert!(err.contains(&format!("did you mean `{meant}`?")), "{err}");
    }
    // a folder that happens to be near a subcommand's name is a folder
    let dir = copy_tree(&example());
    fs::create_dir(dir.path().join("plans")).unwrap();
    let (code, _, err) = run_in(dir.path(), &["plans"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn plan_takes_the_global_color_quiet_and_output_file_options() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.md");
    let (code, out, err) = run_in(
        &example(),
        &[
            "plan",
            ".",
            "--output-format",
            "markdown",
            "--color",
            "never",
            "--quiet",
            "-o",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.is_empty(), "{out}{err}");
    let (_, shown, _) = run_in(&example(), &["plan", ".", "--output-format", "markdown"]);
    assert_eq!(fs::read_to_string(&file).unwrap(), shown);
    let (code, out, err) = run_in(
        &example(),
        &[
            "plan",
            ".",
            "--color",
            "always",
            "--output-file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty() && err.contains("wrote the plan to"), "{err}");
    let (_, text, _) = run_in(&example(), &["plan", "."]);
    assert_eq!(fs::read_to_string(&file).unwrap(), text);
}

/// The Markdown report rendered by a CommonMark renderer (GitHub's comments are CommonMark with GFM
/// tables): names in messages are code spans, no note is said twice, and a hostile name adds no markup.
#[test]
fn markdown_renders_code_spans_once_and_no_markup_from_the_factory() {
    use pulldown_cmark::{Options, Parser, html};
    let dir = copy_tree(&example());
    let hostile = dir.path().join("linkedService/Hostile.json");
    fs::write(
        &hostile,
        r#"{"name":"x*em*<img src=q>[l](http://e)","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":"host=h.example.com;database=d;uid=u;sslmode=require"}}}"#,
    )
    .unwrap();
    let (_, md, _) = run_in(dir.path(), &[".", "--output-format", "markdown"]);
    let mut rendered = String::new();
    html::push_html(&mut rendered, Parser::new_ext(&md, Options::ENABLE_TABLES));
    assert!(rendered.contains("<table>"), "{rendered}");
    assert!(
        rendered.contains("linked service <code>PgBadV2</code> holds a secret in plain text in <code>password</code>"),
        "{rendered}"
    );
    assert!(
        !rendered.contains('`'),
        "no backtick is left as text: {rendered}"
    );
    assert!(
        !rendered.contains("<img") && !rendered.contains("<em>") && !rendered.contains("<a "),
        "{rendered}"
    );
    assert!(
        rendered.contains("<code>x*em*&lt;img src=q&gt;[l](http://e)</code>"),
        "{rendered}"
    );
    for cell in rendered.split("<td>") {
        assert!(cell.matches("(unsafe").count() <= 1, "said twice: {cell}");
    }
    assert!(
        rendered.contains("needs <code>--unsafe-fixes</code>"),
        "{rendered}"
    );
}

// ---------- standard input: `adfpg-migrate - --stdin-filename PATH` ----------

/// A 1.0 linked service with host, port, database, uid and password (no TLS setting: sslMode 2).
const V1: &str = "{\n    \"name\": \"Pg\",\n    \"properties\": {\n        \"type\": \"AzurePostgreSql\",\n        \"typeProperties\": {\n            \"connectionString\": \"host=pg.example.com;port=5432;database=sales;uid=etl;password=Secret1\"\n        }\n    }\n}\n";

/// Run in `dir` with `input` on standard input: (exit code, stdout as bytes, stderr).
fn with_stdin(dir: &std::path::Path, input: &[u8], args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = cmd()
        .current_dir(dir)
        .args(args)
        .write_stdin(input.to_vec())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), out.stdout, err)
}

/// `line:column` (1-based) where `needle` starts in `text` (ASCII).
fn at(text: &str, needle: &str) -> String {
    let start = text.find(needle).unwrap();
    let line = text[..start].matches('\n').count() + 1;
    let column = start - text[..start].rfind('\n').map_or(0, |n| n + 1) + 1;
    format!("{line}:{column}")
}

/// A factory folder `f/` with a `.git` beside it (config discovery stops there) and the given files.
fn factory(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join(".git")).unwrap();
    for (name, text) in files {
        let p = dir.path().join("f").join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

/// Findings name the stdin filename at the input's own lines and columns, under the config that applies
/// to that path (found from its folder; its per-path ignores match it), and are those of the same text
/// as a file.
#[test]
fn stdin_is_linted_as_the_file_it_names() {
    let dir = factory(&[("linkedService/.keep", "")]);
    fs::write(
        dir.path().join("adfpg.toml"),
        "[per-path-ignores]\n\"f/linkedService/Pg.json\" = [\"ADFPG008\"]\n",
    )
    .unwrap();
    let args = ["-", "--stdin-filename", "f/linkedService/Pg.json"];
    let (code, out, err) = with_stdin(dir.path(), V1.as_bytes(), &args);
    assert_eq!(code, 1, "{err}");
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| l.contains(": ADFPG")).collect();
    assert_eq!(
        lines,
        [format!(
            "f/linkedService/Pg.json:{}: ADFPG001 [warning] linked service `Pg` uses AzurePostgreSql connector version 1.0 [*]",
            at(V1, "\"AzurePostgreSql\"")
        )],
        "{out}"
    );
    assert!(out.contains("Scanned 1 file (1 parsed)"), "{out}");
    // under another name the per-path ignore does not apply: ADFPG008 at the password
    let (_, other, _) = with_stdin(
        dir.path(),
        V1.as_bytes(),
        &["-", "--stdin-filename", "f/linkedService/Other.json"],
    );
    let other = String::from_utf8(other).unwrap();
    assert!(
        other.contains(&format!(
            "f/linkedService/Other.json:{}: ADFPG008 [error]",
            at(V1, "Secret1")
        )),
        "{other}"
    );
    // the same text as a file, passed on its own: the same report
    fs::write(dir.path().join("f/linkedService/Pg.json"), V1).unwrap();
    let (file_code, file_out, _) = run_in(dir.path(), &["f/linkedService/Pg.json"]);
    assert_eq!((file_code, file_out), (code, out));
    // a path the config excludes is not linted, and --fix hands the text back as it came
    fs::write(
        dir.path().join("adfpg.toml"),
        "exclude = [\"f/linkedService/**\"]\n",
    )
    .unwrap();
    let (code, out, err) = with_stdin(dir.path(), V1.as_bytes(), &args);
    let out = String::from_utf8(out).unwrap();
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("Scanned 0 files") && !out.contains("ADFPG"),
        "{out}"
    );
    let fix = [&args[..], &["--fix"]].concat();
    let (code, out, err) = with_stdin(dir.path(), V1.as_bytes(), &fix);
    assert_eq!((code, out.as_slice()), (0, V1.as_bytes()), "{err}");
}

/// The factory context is the stdin filename's factory folder, as for a file passed on its own: a
/// dataset whose linked service exists only as a file there is not dangling; one naming a missing
/// linked service is (ADFPG031), at the reference.
#[test]
fn stdin_sees_its_factory_folder() {
    let pg = fs::read_to_string(example().join("linkedService/PgGoodV2.json")).unwrap();
    let dir = factory(&[("linkedService/PgGoodV2.json", &pg)]);
    let dataset = |ls: &str| {
        format!(
            "{{\n  \"name\": \"Orders\",\n  \"properties\": {{\n    \"linkedServiceName\": {{\n      \"referenceName\": \"{ls}\",\n      \"type\": \"LinkedServiceReference\"\n    }},\n    \"type\": \"AzurePostgreSqlTable\",\n    \"typeProperties\": {{ \"schema\": \"public\", \"table\": \"orders\" }}\n  }}\n}}\n"
        )
    };
    let run = |text: &str, name: &str| {
        let (code, out, err) = with_stdin(
            dir.path(),
            text.as_bytes(),
            &["-", "--stdin-filename", name, "--quiet"],
        );
        assert!(code == 0 || code == 1, "{err}");
        String::from_utf8(out).unwrap()
    };
    assert_eq!(run(&dataset("PgGoodV2"), "f/dataset/Orders.json"), "");
    let missing = dataset("PgRetired");
    let out = run(&missing, "f/dataset/Orders.json");
    assert_eq!(
        out,
        format!(
            "f/dataset/Orders.json:{}: ADFPG031 [error] dataset `Orders` uses linked service `PgRetired`, which does not exist in this factory\n",
            at(&missing, "\"PgRetired\"")
        )
    );
    // named in a folder with no linked services, nothing can be said about the reference
    assert_eq!(run(&missing, "elsewhere/dataset/Orders.json"), "");
}

/// `--fix` prints the fixed text (the connector's 2.0 layout, as README describes) and writes nothing,
/// even with the named file on disk; with nothing to fix it prints the input unchanged, byte for byte.
#[test]
fn stdin_fix_prints_the_fixed_text_and_writes_nothing() {
    let dir = factory(&[("linkedService/Pg.json", V1)]);
    let before = snapshot_tree(dir.path());
    let args = ["-", "--stdin-filename", "f/linkedService/Pg.json", "--fix"];
    let (code, out, err) = with_stdin(dir.path(), V1.as_bytes(), &args);
    let want = "{\n    \"name\": \"Pg\",\n    \"properties\": {\n        \"type\": \"AzurePostgreSql\",\n        \"version\": \"2.0\",\n        \"typeProperties\": {\n            \"server\": \"pg.example.com\",\n            \"port\": \"5432\",\n            \"database\": \"sales\",\n            \"sslMode\": 2,\n            \"username\": \"etl\",\n            \"authenticationType\": \"Basic\",\n            \"password\": {\n                \"type\": \"SecureString\",\n                \"value\": \"Secret1\"\n            }\n        }\n    }\n}\n";
    assert_eq!(String::from_utf8(out).unwrap(), want, "{err}");
    // the report on stderr: the new text's findings (the plain-text password), at their place in it
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("fixed f/linkedService/Pg.json: ADFPG001"),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "f/linkedService/Pg.json:{}: ADFPG008 [error]",
            at(want, "\"Secret1\"")
        )),
        "{err}"
    );
    assert!(err.contains("Fixed 1 file (1 fix applied)."), "{err}");
    assert!(!err.contains("Secret1"), "{err}");
    assert_eq!(snapshot_tree(dir.path()), before, "nothing written");
    // the fixed text is clean of what --fix fixes: handed back unchanged, CRLF and no final newline kept
    let fixed = want.replace('\n', "\r\n");
    let fixed = fixed.trim_end();
    let (_, out, err) = with_stdin(dir.path(), fixed.as_bytes(), &args);
    assert_eq!(out, fixed.as_bytes(), "{err}");
    assert!(err.contains("Fixed 0 files"), "{err}");
    // bytes that are not UTF-8 are reported (ADFPG102) and handed back as they came
    let latin1 = V1.replace("Secret1", "S\u{e9}cret1");
    let latin1: Vec<u8> = latin1.chars().map(|c| c as u8).collect();
    let (code, out, err) = with_stdin(dir.path(), &latin1, &args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, latin1);
    assert!(err.contains("f/linkedService/Pg.json:"), "{err}");
    assert!(err.contains("ADFPG102"), "{err}");
    assert_eq!(snapshot_tree(dir.path()), before, "nothing written");
}

/// `--diff` prints the diff of what `--fix` would print, secrets masked, and exits 1; nothing to fix:
/// no diff, exit 0.
#[test]
fn stdin_diff_prints_the_diff() {
    let dir = factory(&[("linkedService/.keep", "")]);
    let args = ["-", "--stdin-filename", "f/linkedService/Pg.json", "--diff"];
    let (code, out, err) = with_stdin(dir.path(), V1.as_bytes(), &args);
    assert_eq!(code, 1, "{err}");
    let out = String::from_utf8(out).unwrap();
    for line in [
        "--- a/f/linkedService/Pg.json",
        "+++ b/f/linkedService/Pg.json",
        "+        \"version\": \"2.0\",",
        "+            \"server\": \"pg.example.com\",",
        "+            \"sslMode\": 2,",
        "+            \"authenticationType\": \"Basic\",",
    ] {
        assert!(out.lines().any(|l| l == line), "{line}: {out}");
    }
    assert!(!out.contains("Secret1"), "{out}");
    let v2 = fs::read(example().join("linkedService/PgGoodV2.json")).unwrap();
    let (code, out, err) = with_stdin(
        dir.path(),
        &v2,
        &[
            "-",
            "--stdin-filename",
            "f/linkedService/PgGoodV2.json",
            "--diff",
            "--quiet",
        ],
    );
    assert_eq!((code, out.as_slice()), (0, &b""[..]), "{err}");
}

/// Every output format reports the stdin filename; JSON and SARIF at the input's own location, and with
/// `--fix` the report (on stderr) is still the format's document.
#[test]
fn stdin_works_in_every_output_format() {
    let dir = factory(&[("linkedService/.keep", "")]);
    let line = |n: &str| at(V1, n).split(':').next().unwrap().parse::<u64>().unwrap();
    let run = |format: &str, fix: bool| {
        let mut args = vec!["-", "--stdin-filename", "f/linkedService/Pg.json"];
        args.extend(["--output-format", format]);
        if fix {
            args.push("--fix");
        }
        with_stdin(dir.path(), V1.as_bytes(), &args)
    };
    let (code, out, err) = run("json", false);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ADFPG001")
        .unwrap();
    assert_eq!(f["path"], "f/linkedService/Pg.json");
    assert_eq!(f["start"]["line"], line("\"AzurePostgreSql\""));
    let (code, out, err) = run("sarif", false);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let r = v["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "ADFPG008")
        .unwrap();
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "f/linkedService/Pg.json");
    assert_eq!(loc["region"]["startLine"], line("Secret1"));
    for format in ["full", "concise", "github", "azure", "junit", "markdown"] {
        let (code, out, err) = run(format, false);
        let out = String::from_utf8(out).unwrap();
        assert_eq!(code, 1, "{format}: {err}");
        assert!(
            out.contains("f/linkedService/Pg.json") && out.contains("ADFPG001"),
            "{format}: {out}"
        );
    }
    // --fix: stdout holds the fixed text alone, the report goes to stderr
    let (code, out, err) = run("json", true);
    assert_eq!(code, 1, "{err}");
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("\"version\": \"2.0\"")
    );
    let v: serde_json::Value = serde_json::from_str(&err).unwrap();
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"ADFPG008") && !codes.contains(&"ADFPG001"),
        "{codes:?}"
    );
}

/// Invalid JSON and a stdin over `--max-file-size` get the diagnostics such a file gets; `--fix` hands
/// invalid JSON back unchanged, and fails (exit 2, nothing on stdout) on a stdin it did not read whole.
#[test]
fn stdin_that_is_invalid_or_too_big_is_reported() {
    let dir = factory(&[("linkedService/.keep", "")]);
    let name = "f/linkedService/Pg.json";
    let truncated = &V1[..V1.find("\"typeProperties\"").unwrap()];
    let (code, out, err) = with_stdin(
        dir.path(),
        truncated.as_bytes(),
        &["-", "--stdin-filename", name, "--quiet"],
    );
    assert_eq!(code, 1, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with(&format!("{name}:"))
            && out.contains(" ADFPG100 [error] file is not valid JSON"),
        "{out}"
    );
    let (code, fixed, err) = with_stdin(
        dir.path(),
        truncated.as_bytes(),
        &["-", "--stdin-filename", name, "--fix"],
    );
    assert_eq!((code, fixed.as_slice()), (1, truncated.as_bytes()), "{err}");
    // over 1 MiB: the same finding as a file of that size, and not read on
    let big = format!("{}{}", V1, " ".repeat(1024 * 1024));
    let cap = ["--max-file-size", "1", "--quiet"];
    let (code, out, err) = with_stdin(
        dir.path(),
        big.as_bytes(),
        &[&["-", "--stdin-filename", name][..], &cap].concat(),
    );
    assert_eq!(code, 1, "{err}");
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.starts_with(&format!(
            "{name}:1:1: ADFPG103 [warning] file is 1 MiB, over the 1 MiB limit (--max-file-size)"
        )),
        "{out}"
    );
    fs::write(dir.path().join(name), &big).unwrap();
    let (_, file_out, _) = run_in(dir.path(), &[&[name][..], &cap].concat());
    assert_eq!(file_out, out);
    let (code, out, err) = with_stdin(
        dir.path(),
        big.as_bytes(),
        &[&["-", "--stdin-filename", name, "--fix"][..], &cap].concat(),
    );
    assert_eq!((code, out.as_slice()), (2, &b""[..]), "{err}");
    assert!(err.contains("standard input was not read whole"), "{err}");
}

/// `-` and `--stdin-filename` go together, `-` alone, and no option that writes a file: exit 2 with
/// a message, before anything is read or linted.
#[test]
fn stdin_usage_errors_exit_2() {
    let dir = factory(&[("linkedService/Pg.json", V1)]);
    let before = snapshot_tree(dir.path());
    let name = "f/linkedService/Pg.json";
    for (args, says) in [
        (
            vec!["-"],
            "`-` reads the file from standard input and needs --stdin-filename PATH",
        ),
        (
            vec!["--stdin-filename", name],
            "pass `-` as the path to read it",
        ),
        (
            vec![name, "--stdin-filename", name],
            "pass `-` as the path to read it",
        ),
        (
            vec!["-", "f", "--stdin-filename", name],
            "cannot be mixed with other paths",
        ),
        (
            vec!["-", "-", "--stdin-filename", name],
            "cannot be mixed with other paths",
        ),
        (
            vec!["-", "--stdin-filename", name, "--fix", "--show-changes"],
            "--show-changes cannot be used with `-`",
        ),
        (
            vec!["-", "--stdin-filename", name, "-o", "report.json"],
            "--output writes a file",
        ),
        (
            vec!["-", "--stdin-filename", name, "--write-baseline", "b.json"],
            "--write-baseline writes a file",
        ),
        (
            vec![
                "-",
                "--stdin-filename",
                name,
                "--fix",
                "--credentials-to-key-vault",
                "KV",
                "--export-secrets",
                "s.json",
            ],
            "--export-secrets writes a file",
        ),
    ] {
        let (code, out, err) = with_stdin(dir.path(), V1.as_bytes(), &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty(), "{args:?}");
        assert!(
            err.starts_with("error: ") && err.contains(says),
            "{args:?}: {err}"
        );
        assert!(!err.contains("Scanned"), "{args:?}: {err}");
    }
    assert_eq!(snapshot_tree(dir.path()), before, "nothing written");
}

/// The stdin filename is text from whoever runs the tool: escaped in every output like any path (no
/// terminal escape, no line that starts a CI command), and no CI side file is written.
#[test]
fn stdin_filename_is_sanitised_and_no_side_file_is_written() {
    let dir = factory(&[("linkedService/.keep", "")]);
    let name = "f/linkedService/Pg\u{1b}[31m\n::error::pwned.json";
    let summary = dir.path().join("summary.md");
    for format in ["concise", "full", "github", "azure", "markdown", "junit"] {
        for mode in ["--check", "--fix"] {
            let out = cmd()
                .current_dir(dir.path())
                .args([
                    "-",
                    "--stdin-filename",
                    name,
                    "--output-format",
                    format,
                    mode,
                ])
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("AGENT_TEMPDIRECTORY", dir.path())
                .write_stdin(V1)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1), "{format} {mode}");
            let report = if mode == "--fix" {
                &out.stderr
            } else {
                &out.stdout
            };
            let report = String::from_utf8_lossy(report);
            assert!(report.contains("pwned"), "{format} {mode}: {report}");
            for text in [report.as_ref(), &String::from_utf8_lossy(&out.stderr)] {
                assert!(!text.contains('\u{1b}'), "{format} {mode}: {text}");
                assert!(
                    !text.lines().any(|l| l.starts_with("::error::pwned")),
                    "{format} {mode}: {text}"
                );
            }
        }
    }
    assert!(!summary.exists(), "GITHUB_STEP_SUMMARY written");
    let files: Vec<_> = walk(dir.path());
    assert!(
        files
            .iter()
            .all(|p| !p.to_string_lossy().contains("pwned")
                && p.extension().is_none_or(|e| e != "md")),
        "{files:?}"
    );
}

/// A published template on stdin: `--fix` prints what `--fix` writes to that file, and updates no
/// parameters file beside it (a run on standard input writes nothing).
#[test]
fn stdin_fix_of_a_template_prints_it_and_writes_no_parameters_file() {
    let (on_disk, untouched) = (
        copy_tree(&root().join("fixtures/adf-publish")),
        copy_tree(&root().join("fixtures/adf-publish")),
    );
    let template = "factory-prod/ARMTemplateForFactory.json";
    let (code, _, err) = run_in(on_disk.path(), &[template, "--fix", "--unsafe-fixes"]);
    assert_eq!(code, 0, "{err}");
    let written = fs::read(on_disk.path().join(template)).unwrap();
    let before = snapshot_tree(untouched.path());
    let input = fs::read(untouched.path().join(template)).unwrap();
    assert_ne!(written, input);
    let (code, out, err) = with_stdin(
        untouched.path(),
        &input,
        &["-", "--stdin-filename", template, "--fix", "--unsafe-fixes"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, written);
    assert_eq!(snapshot_tree(untouched.path()), before, "nothing written");
}
