//! Configuration, rule selection, suppression, house rules and the rule catalog commands.

mod common;
use common::*;
use std::fs;

fn factory_with(config: &str) -> tempfile::TempDir {
    let dir = copy_tree(&example());
    fs::write(dir.path().join("adfpg.toml"), config).unwrap();
    dir
}

fn codes(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split(": ").nth(1))
        .filter_map(|r| r.split_whitespace().next())
        .filter(|t| {
            t.starts_with(|c: char| c.is_ascii_uppercase())
                && t.ends_with(|c: char| c.is_ascii_digit())
        })
        .map(str::to_string)
        .collect()
}

#[test]
fn config_is_discovered_from_the_scanned_path_upward() {
    let dir = factory_with("ignore = [\"ADFPG001\"]\n");
    // run from elsewhere, pointing at a subfolder: the config two levels up still applies
    let (_, out, _) = run_in(
        &root(),
        &[
            "--output-format",
            "concise",
            dir.path().join("linkedService").to_str().unwrap(),
        ],
    );
    assert!(!codes(&out).contains(&"ADFPG001".to_string()), "{out}");
    assert!(codes(&out).contains(&"ADFPG010".to_string()), "{out}");
    // --no-config ignores it
    let (_, out, _) = run_in(
        &root(),
        &[
            "--no-config",
            "--output-format",
            "concise",
            dir.path().to_str().unwrap(),
        ],
    );
    assert!(codes(&out).contains(&"ADFPG001".to_string()), "{out}");
}

#[test]
fn cli_overrides_config_over_defaults() {
    let dir = factory_with(
        "select = [\"ADFPG005\", \"ADFPG004\"]\nfail-on = \"error\"\n[severity]\nADFPG005 = \"error\"\n",
    );
    let (code, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    // sslMode 3 (PgManagedIdentity) and 4 (OtherPostgreSqlV2) check no host name: ADFPG005 twice
    assert_eq!(codes(&out), vec!["ADFPG005", "ADFPG005"], "{out}");
    assert!(
        out.contains("ADFPG005 [error]"),
        "config severity applies: {out}"
    );
    assert_eq!(code, 1, "an error fails the run");
    // CLI severity beats config severity; fail-on from config (error) keeps a warning from failing
    let (code, out, _) = run_in(
        dir.path(),
        &[
            "--output-format",
            "concise",
            "--severity",
            "ADFPG005=warning",
            ".",
        ],
    );
    assert!(out.contains("ADFPG005 [warning]"), "{out}");
    assert_eq!(code, 0, "fail-on = error in config: {out}");
    // CLI --fail-on beats config
    let (code, _, _) = run_in(
        dir.path(),
        &[
            "--severity",
            "ADFPG005=warning",
            "--fail-on",
            "warning",
            ".",
        ],
    );
    assert_eq!(code, 1);
    // CLI --select replaces the config's select; --ignore adds to it
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--output-format",
            "concise",
            "--select",
            "ADFPG010,ADFPG009",
            "--ignore",
            "ADFPG009",
            ".",
        ],
    );
    let mut c = codes(&out);
    c.dedup();
    assert_eq!(c, vec!["ADFPG010"], "{out}");
    // off switches a rule off
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--output-format",
            "concise",
            "--severity",
            "ADFPG005=off",
            ".",
        ],
    );
    assert!(codes(&out).is_empty(), "{out}");
}

#[test]
fn per_path_ignores_exclude_and_ssl_policy() {
    let cfg = r#"
exclude = ["linkedService/PgBadV2.json"]
[per-path-ignores]
"linkedService/PgStudio.json" = ["ADFPG010", "ADFPG001"]
[ssl]
minimum = "Require"
[ssl.paths]
"linkedService/PgManaged*" = "VerifyFull"
"#;
    let dir = factory_with(cfg);
    let (_, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(!out.contains("PgBadV2.json"), "excluded: {out}");
    assert!(!out.contains("PgStudio.json"), "per-path ignores: {out}");
    assert!(out.contains("PgManagedIdentity.json:11:15: ADFPG018 [error] linked service `PgManagedIdentity` uses sslMode 3 (Require); the policy for this path requires at least 5 (VerifyFull)"), "{out}");
    // excluded even when passed explicitly (as pre-commit does)
    let (_, out, _) = run_in(
        dir.path(),
        &["--output-format", "concise", "linkedService/PgBadV2.json"],
    );
    assert!(out.contains("Scanned 0 files"), "{out}");
}

#[test]
fn migration_defaults_come_from_config() {
    let dir = factory_with(
        "[migration]\nssl-mode-no-encryption = \"Require\"\nauthentication-type = \"BasicAuth\"\nstrip-user-at-server = false\n",
    );
    run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--ignore",
            "ADFPG004,ADFPG005",
            ".",
        ],
    );
    let studio = fs::read_to_string(dir.path().join("linkedService/PgStudio.json")).unwrap();
    assert!(
        studio.contains("\"sslMode\": 3,")
            && studio.contains("\"authenticationType\": \"BasicAuth\""),
        "{studio}"
    );
    let npg = fs::read_to_string(dir.path().join("linkedService/PgNpgsqlCrlfBom.json")).unwrap();
    assert!(npg.contains("\"username\": \"finance@pgfin\""), "{npg}");
    // `[migration]` is AzurePostgreSql's: the legacy service keeps its own mapping (encryptionmethod=0 is
    // sslMode 0) and V2's only authentication type
    let legacy =
        fs::read_to_string(dir.path().join("linkedService/LegacyPostgreSql.json")).unwrap();
    assert!(
        legacy.contains("\"sslMode\": 0,") && legacy.contains("\"authenticationType\": \"Basic\""),
        "{legacy}"
    );
}

/// `[migration.postgresql]` maps the legacy connector's TLS settings, and only its own.
#[test]
fn the_legacy_mapping_comes_from_its_own_table() {
    let dir = factory_with("[migration.postgresql]\nssl-mode-no-encryption = \"Require\"\n");
    run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    let legacy =
        fs::read_to_string(dir.path().join("linkedService/LegacyPostgreSql.json")).unwrap();
    assert!(legacy.contains("\"sslMode\": 3,"), "{legacy}");
    // PgStudio (AzurePostgreSql, encryptionmethod=0) keeps the 1.0 default, 2
    let studio = fs::read_to_string(dir.path().join("linkedService/PgStudio.json")).unwrap();
    assert!(studio.contains("\"sslMode\": 2,"), "{studio}");
    let dir = factory_with("[migration.postgresql]\nssl-mode-no-encryption = 9\n");
    let (code, _, err) = run_in(dir.path(), &["."]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("adfpg.toml:2:"), "{err}");
}

#[test]
fn config_errors_point_into_the_file_and_exit_2() {
    let dir = factory_with("select = [\"ADFPG001\"]\nfail_on = \"error\"\n");
    let (code, _, err) = run_in(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown field `fail_on`") && err.contains("adfpg.toml:2:1"),
        "{err}"
    );
    let dir = factory_with("ignore = [\"ADFPG999\"]\n");
    let (code, _, err) = run_in(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown rule code `ADFPG999`") && err.contains("adfpg.toml:1:11"),
        "{err}"
    );
    let dir = factory_with("[ssl]\nminimum = \"Strict\"\n");
    let (code, _, err) = run_in(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("expected an sslMode") && err.contains("adfpg.toml:2:11"),
        "{err}"
    );
    let (code, _, err) = run_in(dir.path(), &["--config", "nope.toml", "."]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read config"), "{err}");
}

const HOUSE_RULE: &str = r#"
code = "HOUSE001"
name = "connect-via-required"
summary = "PostgreSQL linked services must run on our self-hosted integration runtime"
severity = "error"
given = "$.properties"
check = "defined"
field = "connectVia"
message = "linked service `{ls}` has no `connectVia`"
help = "add connectVia: SelfHostedIR"
[docs]
what = "House rule."
why = "Network policy."
"#;

#[test]
fn house_rules_from_a_folder() {
    let dir = copy_tree(&example());
    let rules = dir.path().join("house-rules");
    fs::create_dir(&rules).unwrap();
    fs::write(rules.join("HOUSE001.toml"), HOUSE_RULE).unwrap();
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--rules",
            "house-rules",
            "--select",
            "HOUSE001",
            "--output-format",
            "concise",
            "linkedService",
        ],
    );
    assert!(
        out.contains(
            "PgStudio.json:4:2: HOUSE001 [error] linked service `PgStudio` has no `connectVia`"
        ),
        "{out}"
    );
    assert!(
        !out.contains("PgPlainPassword.json"),
        "it has connectVia: {out}"
    );
    // and via config, listed by `rules`
    fs::write(dir.path().join("adfpg.toml"), "rules = [\"house-rules\"]\n").unwrap();
    let (_, list, _) = run_in(dir.path(), &["rules"]);
    assert!(list.contains("HOUSE001"), "{list}");
    // a broken rule file names the file and line, exit 2
    fs::write(rules.join("BAD.toml"), "code = \"BAD1\"\nname = \"x\"\nsummary = \"s\"\nseverity = \"error\"\ncheck = \"no-such-check\"\nmessage = \"m\"\nhelp = \"h\"\n[docs]\nwhat = \"w\"\nwhy = \"y\"\n").unwrap();
    let (code, _, err) = run_in(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert!(
        err.contains("BAD.toml:5:1") && err.contains("unknown check `no-such-check`"),
        "{err}"
    );
}

#[test]
fn annotation_suppressions_with_reasons_and_unused_ones() {
    let dir = tempfile::tempdir().unwrap();
    let ls = |ann: &str, ssl: u8| {
        format!(
            r#"{{"name": "pg", "properties": {{"type": "AzurePostgreSql", "version": "2.0", "annotations": [{ann}], "typeProperties": {{"server": "h.example.com", "database": "d", "sslMode": {ssl}, "username": "u", "authenticationType": "Basic", "encryptedCredential": "x"}}}}}}"#
        )
    };
    fs::write(
        dir.path().join("a.json"),
        ls("\"adfpg-ignore: ADFPG004 private network, no TLS\"", 2),
    )
    .unwrap();
    fs::write(
        dir.path().join("b.json"),
        ls("\"adfpg-ignore: ADFPG004\"", 2),
    )
    .unwrap();
    fs::write(
        dir.path().join("c.json"),
        ls("\"adfpg-ignore: ADFPG004 old\", \"tag\"", 5),
    )
    .unwrap();
    let (code, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(!out.contains("a.json"), "suppressed with a reason: {out}");
    assert!(
        out.contains("b.json:1:92: ADFPG019 [warning] suppression `ADFPG004` on linked service `pg` gives no reason"),
        "{out}"
    );
    assert!(
        !out.contains("b.json:1:1: ADFPG004") && !out.contains("ADFPG004 [warning]"),
        "{out}"
    );
    assert!(
        out.contains(
            "c.json:1:92: ADFPG020 [warning] suppression `ADFPG004` on linked service `pg` suppresses nothing"
        ),
        "{out}"
    );
    assert_eq!(code, 1);
}

#[test]
fn rules_and_rule_commands() {
    let (code, list, _) = run_in(&root(), &["--no-config", "rules"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("rules_list", list);
    let (_, json, _) = run_in(
        &root(),
        &["--no-config", "rules", "--output-format", "json"],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "ADFPG001" && r["fix"] == "safe/unsafe")
    );
    let (code, doc, _) = run_in(&root(), &["--no-config", "rule", "adfpg001"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("rule_adfpg001", doc);
    let (_, explain, _) = run_in(&root(), &["--no-config", "explain", "ADFPG004"]);
    assert!(
        explain.contains("## Why is this bad?") && explain.contains("## Fix safety"),
        "{explain}"
    );
    let (code, _, err) = run_in(&root(), &["--no-config", "rule", "NOPE1"]);
    assert_eq!(code, 2);
    assert!(err.contains("no rule `NOPE1`"), "{err}");
}

/// Issue 12: a config above the repository (a parent folder's `adfpg.toml` with `exclude = ["**"]`
/// would make every run pass) does not apply: discovery stops at the folder holding `.git`, and
/// `--verbose` says which config applies; a link named `adfpg.toml` is not a config.
#[test]
fn config_discovery_stops_at_the_repository_root_and_says_which_applies() {
    let outer = tempfile::tempdir().unwrap();
    fs::write(outer.path().join("adfpg.toml"), "exclude = [\"**\"]\n").unwrap();
    let repo = outer.path().join("repo");
    fs::create_dir_all(repo.join(".git")).unwrap();
    copy_into(&example(), &repo.join("factory"));
    let (code, out, err) = run_in(
        &repo,
        &["--verbose", "--output-format", "concise", "factory"],
    );
    assert_eq!(code, 1, "the parent's exclude does not apply: {out}");
    assert!(out.contains("ADFPG001"), "{out}");
    assert!(
        err.contains("config: none found up to the repository root"),
        "{err}"
    );
    assert!(
        err.contains(".ignore"),
        "the walk's ignore files are named: {err}"
    );
    // inside the repository, the config applies and is named
    fs::write(repo.join("adfpg.toml"), "exclude = [\"**\"]\n").unwrap();
    let (code, _, err) = run_in(&repo, &["--verbose", "factory"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("config: ") && err.contains("adfpg.toml"),
        "{err}"
    );
    // a link named like a config is not one
    fs::remove_file(repo.join("adfpg.toml")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(outer.path().join("adfpg.toml"), repo.join("adfpg.toml"))
            .unwrap();
        let (code, out, _) = run_in(&repo, &["--output-format", "concise", "factory"]);
        assert_eq!(code, 1, "{out}");
    }
}
