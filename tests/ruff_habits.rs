//! ruff's command-line habits, through the binary: `--diff` whatever the output format (and a note on
//! hunks that hold masked secrets), rule selectors (prefixes, `ALL`, `--extend-select`,
//! `--extend-ignore`), `--exit-non-zero-on-fix`, "did you mean" for a mistyped subcommand, `plan` with
//! the global options, and Markdown that renders as intended (checked with a CommonMark renderer).

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
