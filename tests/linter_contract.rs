//! The linter contract users know from ruff, through the binary: `--diff` exit codes, tool errors on
//! stderr (and as CI annotations), a misplaced subcommand, rule docs from the binary, colour, help text.

mod common;
use common::{copy_tree, example, run_in};

#[test]
fn diff_exits_1_exactly_when_it_shows_a_diff() {
    let dir = copy_tree(&example());
    let (code, out, _) = run_in(dir.path(), &["--diff", "--unsafe-fixes", "."]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("+++ b/linkedService/PgStudio.json"), "{out}");
    // only the diff: no finding lines
    assert!(!out.contains("ADFPG031 [error]"), "{out}");
    run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    // nothing left to change: 0, although errors remain (a lint says so)
    let (code, out, _) = run_in(dir.path(), &["--diff", "--unsafe-fixes", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("+++ "), "{out}");
    let (code, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ADFPG031 [error]"), "{out}");
}

#[test]
fn tool_errors_go_to_stderr_and_become_annotations_in_ci_formats() {
    let dir = copy_tree(&example());
    let (code, out, err) = run_in(dir.path(), &["--output-format", "concise", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("error: nope:"), "{err}");
    assert!(
        !out.contains("error") && !out.contains("No findings."),
        "{out}"
    );

    let (code, out, err) = run_in(dir.path(), &["--output-format", "github", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("error: nope:"), "{err}");
    assert!(out.contains("::error title=adfpg-migrate::nope: "), "{out}");
    let (code, out, _) = run_in(dir.path(), &["--output-format", "azure", "nope"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("##vso[task.logissue type=error;]nope: "),
        "{out}"
    );
    // plan too: no "nothing found" after a failed run
    let (code, out, err) = run_in(dir.path(), &["plan", "nope"]);
    assert_eq!(code, 2);
    assert!(err.contains("error: nope:"), "{err}");
    assert!(out.is_empty(), "{out}");

    // an error before any file is read (a broken config) too
    std::fs::write(dir.path().join("adfpg.toml"), "fail-on = \"never\"\n").unwrap();
    let (code, out, err) = run_in(dir.path(), &["--output-format", "github", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("fail-on") || err.contains("never"), "{err}");
    assert!(out.starts_with("::error title=adfpg-migrate::"), "{out}");
    assert_eq!(
        out.lines().count(),
        1,
        "one annotation, newlines escaped: {out}"
    );
    let (_, out, _) = run_in(dir.path(), &["--output-format", "azure", "."]);
    assert!(out.starts_with("##vso[task.logissue type=error;]"), "{out}");
    let (_, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(out.is_empty(), "{out}");
}

#[test]
fn a_subcommand_after_the_path_gets_a_did_you_mean() {
    let dir = copy_tree(&example());
    let (code, out, err) = run_in(dir.path(), &["./linkedService", "plan"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        err.contains("did you mean `adfpg-migrate plan ./linkedService`?"),
        "{err}"
    );
    assert!(out.is_empty(), "{out}");
    // a folder that really has the name is a path
    std::fs::create_dir(dir.path().join("plan")).unwrap();
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "linkedService/PgGoodV2.json",
            "plan",
            "--output-format",
            "concise",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn diagnostics_point_to_the_rule_command_and_sarif_carries_the_full_docs() {
    let (_, out, _) = run_in(
        &example(),
        &["--output-format", "full", "linkedService/PgStudio.json"],
    );
    assert!(out.contains("docs: adfpg-migrate rule ADFPG001"), "{out}");
    assert!(!out.contains("docs/rules.md"), "{out}");

    let (_, sarif, _) = run_in(&example(), &["--output-format", "sarif", "."]);
    let v: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let rules = v["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() > 30);
    for r in rules {
        let code = r["id"].as_str().unwrap();
        let (_, doc, _) = run_in(&example(), &["rule", code]);
        assert_eq!(r["help"]["markdown"].as_str().unwrap(), doc, "{code}");
        assert!(
            !r["help"]["text"]
                .as_str()
                .unwrap()
                .contains("docs/rules.md"),
            "{code}"
        );
    }
}

#[test]
fn concise_output_is_coloured_like_ruff_only_when_asked_or_on_a_terminal() {
    let file = "linkedService/PgStudio.json";
    let (_, out, _) = run_in(
        &example(),
        &["--output-format", "concise", "--color", "always", file],
    );
    assert!(
        out.contains("\x1b[1mlinkedService/PgStudio.json\x1b[0m:"),
        "{out:?}"
    );
    assert!(
        out.contains("\x1b[1;33mADFPG001\x1b[0m [warning]"),
        "{out:?}"
    );
    // not a terminal (auto), or never: plain
    for args in [&["--color", "auto"][..], &["--color", "never"]] {
        let mut all = vec!["--output-format", "concise", file];
        all.extend_from_slice(args);
        let (_, out, _) = run_in(&example(), &all);
        assert!(!out.contains('\x1b'), "{args:?}: {out:?}");
        assert!(
            out.contains("linkedService/PgStudio.json:6:11: ADFPG001 [warning]"),
            "{out}"
        );
    }
}

#[test]
fn help_texts_say_each_default_once_and_document_the_rule_argument() {
    let (_, help, _) = run_in(&example(), &["plan", "--help"]);
    assert_eq!(help.matches("default: .").count(), 1, "{help}");
    assert!(
        help.contains("--select") && help.contains("--unsafe-fixes"),
        "{help}"
    );
    let (_, help, _) = run_in(&example(), &["rule", "--help"]);
    assert!(
        help.contains("<CODE>  The rule's code, e.g. ADFPG001"),
        "{help}"
    );
}

#[test]
fn one_diff_flag_and_fix_and_show_named_plainly() {
    let dir = copy_tree(&example());
    let (code, _, err) = run_in(dir.path(), &["--show-diff", "."]);
    assert_eq!(code, 2, "the old flag is gone: {err}");
    let (code, _, err) = run_in(dir.path(), &["--show-changes", "."]);
    assert_eq!(code, 2, "--show-changes needs --fix: {err}");
    let (_, out, _) = run_in(dir.path(), &["--fix", "--show-changes", "."]);
    assert!(
        out.contains("+++ b/linkedService/PgPlainPassword.json"),
        "{out}"
    );
    assert!(
        out.contains("fixed linkedService/PgPlainPassword.json"),
        "{out}"
    );
    let (_, out, _) = run_in(dir.path(), &["--diff", "."]);
    assert!(!out.contains("+++ "), "--fix wrote what it showed: {out}");
}
