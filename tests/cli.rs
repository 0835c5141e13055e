//! The binary end to end on the example factory and on hostile input.

mod common;
use common::*;
use std::fs;

#[test]
fn lint_example_factory_reports_and_exits_1() {
    let (code, out, _) = run_in(
        &root(),
        &["fixtures/example-factory", "--output-format", "concise"],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("lint_concise", out);
}

#[test]
fn full_output_has_code_span_help_and_docs() {
    let (code, out, _) = run_in(
        &root(),
        &[
            "fixtures/example-factory/linkedService/PgStudio.json",
            "--output-format",
            "full",
        ],
    );
    assert_eq!(code, 1);
    insta::assert_snapshot!("full_pgstudio", out);
}

#[test]
fn diff_writes_nothing_and_exits_1() {
    let dir = copy_tree(&example());
    let before = snapshot_tree(dir.path());
    let (code, out, _) = run_in(dir.path(), &["--diff", "."]);
    assert_eq!(code, 1);
    assert_eq!(before, snapshot_tree(dir.path()), "--diff must not write");
    insta::assert_snapshot!("diff_safe", out);
    let (_, unsafe_out, _) = run_in(dir.path(), &["--diff", "--unsafe-fixes", "."]);
    insta::assert_snapshot!("diff_unsafe", unsafe_out);
}

#[test]
fn check_exits_1_when_fix_would_change_and_0_when_clean() {
    let dir = copy_tree(&example());
    let ls = dir.path().join("linkedService");
    let (code, out, _) = run_in(&ls, &["--check", "PgPlainPassword.json"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("--fix would apply 1 fix to 1 file."), "{out}");
    let (code, out, _) = run_in(&ls, &["--check", "PgGoodV2.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No findings"), "{out}");
}

#[test]
fn fix_migrates_every_form_and_is_idempotent() {
    let dir = copy_tree(&example());
    let (code, out, _) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert!(code == 1, "remaining findings exit 1: {out}");
    assert!(
        out.contains("fixed linkedService/PgStudio.json: ADFPG001 (unsafe)"),
        "{out}"
    );
    // the unsafe migration says, when it is applied, what a person must do next
    assert!(
        out.contains("fixed linkedService/PgStudio.json: ADFPG001 (unsafe)\n  warning: rewrite to version 2.0 (unsafe: the password is held only in `encryptedCredential`, which ADF Studio re-encrypts on upgrade: re-enter the password in Studio"),
        "{out}"
    );
    let after = snapshot_tree(dir.path());
    for (path, bytes) in &after {
        if path.starts_with("linkedService/Pg") {
            insta::assert_snapshot!(
                format!("fixed__{}", path.replace('/', "__")),
                String::from_utf8_lossy(bytes)
            );
        }
    }
    let (_, out2, _) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_eq!(
        after,
        snapshot_tree(dir.path()),
        "second --fix must change nothing: {out2}"
    );
    assert!(out2.contains("Fixed 0 files"), "{out2}");
    // no v1 left, unrelated files untouched
    let (_, lint, _) = run_in(dir.path(), &["."]);
    // the only 1.0 linked service left is the one no file rewrite can migrate (its whole string is a
    // Key Vault secret)
    let v1_left: Vec<&str> = lint
        .lines()
        .filter(|l| l.contains("ADFPG001 [warning] linked service `"))
        .filter_map(|l| l.split('`').nth(1))
        .collect();
    assert_eq!(v1_left, ["PgWholeStringInKeyVault"], "{lint}");
    // the legacy connector: `encryptionmethod=0` is no encryption (sslMode 0), the port an integer,
    // `uid` the username, Basic the only authentication; the Studio credential is kept, in V2 order
    let legacy: serde_json::Value =
        serde_json::from_slice(&after["linkedService/LegacyPostgreSql.json"]).unwrap();
    assert_eq!(legacy["properties"]["type"], "PostgreSqlV2");
    let tp = legacy["properties"]["typeProperties"].as_object().unwrap();
    assert_eq!(
        tp.keys().map(String::as_str).collect::<Vec<_>>(),
        [
            "server",
            "port",
            "database",
            "username",
            "sslMode",
            "authenticationType",
            "encryptedCredential"
        ]
    );
    assert_eq!(
        (&tp["server"], &tp["port"], &tp["database"], &tp["username"]),
        (
            &serde_json::json!("10.20.0.5"),
            &serde_json::json!(5432),
            &serde_json::json!("crm"),
            &serde_json::json!("crm_reader")
        )
    );
    assert_eq!(
        (&tp["sslMode"], &tp["authenticationType"]),
        (&serde_json::json!(0), &serde_json::json!("Basic"))
    );
    // its dataset and copy/lookup sources are retyped with it
    let dataset: serde_json::Value =
        serde_json::from_slice(&after["dataset/LegacyCustomers.json"]).unwrap();
    assert_eq!(dataset["properties"]["type"], "PostgreSqlV2Table");
    assert_eq!(
        dataset["properties"]["typeProperties"],
        serde_json::json!({"schema": "public", "table": "customers"})
    );
    let pipeline = String::from_utf8(after["pipeline/CopyCustomers.json"].clone()).unwrap();
    assert_eq!(
        pipeline.matches("\"PostgreSqlV2Source\"").count(),
        2,
        "{pipeline}"
    );
    assert!(!pipeline.contains("\"PostgreSqlSource\""), "{pipeline}");
    for f in [
        "linkedService/KeyVault.json",
        "linkedService/OtherPostgreSqlV2.json",
        "dataset/SalesOrders.json",
        "pipeline/CopyOrders.json",
    ] {
        assert_eq!(
            after[f],
            fs::read(example().join(f)).unwrap(),
            "{f} must be untouched"
        );
    }
}

#[test]
fn safe_fix_only_holds_back_unsafe_migrations() {
    let dir = copy_tree(&example());
    let (_, out, _) = run_in(dir.path(), &["--fix", "."]);
    let studio = fs::read_to_string(dir.path().join("linkedService/PgStudio.json")).unwrap();
    assert!(
        studio.contains("connectionString"),
        "encryptedCredential-only migration is unsafe: held back"
    );
    let plain = fs::read_to_string(dir.path().join("linkedService/PgPlainPassword.json")).unwrap();
    assert!(
        plain.contains("\"version\": \"2.0\""),
        "plain password migration is safe"
    );
    assert!(
        out.contains("more with an unsafe fix (--unsafe-fixes)"),
        "{out}"
    );
}

fn fix_one(name: &str) -> (Vec<u8>, Vec<u8>) {
    let dir = copy_tree(&example());
    let p = dir.path().join("linkedService").join(name);
    let before = fs::read(&p).unwrap();
    run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    (before, fs::read(&p).unwrap())
}

/// Bytes before the first and after the last change are identical, and every added line is indented
/// like a sibling.
fn assert_minimal(before: &[u8], after: &[u8], indent: &str) {
    let prefix = before.iter().zip(after).take_while(|(a, b)| a == b).count();
    let suffix = before
        .iter()
        .rev()
        .zip(after.iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    assert!(
        prefix > 20 && suffix > 20,
        "edits must be local (prefix {prefix}, suffix {suffix})"
    );
    let a = String::from_utf8(after.to_vec()).unwrap();
    let b = String::from_utf8(before.to_vec()).unwrap();
    for line in a.lines().filter(|l| !b.contains(*l)) {
        let lead: String = line.chars().take_while(|c| c.is_whitespace()).collect();
        assert!(
            !lead.is_empty() && lead.chars().all(|c| indent.contains(c)),
            "line {line:?} indented with {lead:?}"
        );
    }
}

#[test]
fn preserves_tabs_lf_and_missing_final_newline() {
    let (before, after) = fix_one("PgStudio.json");
    assert!(!before.ends_with(b"\n") && !after.ends_with(b"\n"));
    assert!(!after.contains(&b'\r'));
    assert_minimal(&before, &after, "\t");
}

#[test]
fn preserves_four_spaces_and_final_newline() {
    let (before, after) = fix_one("PgPlainPassword.json");
    assert!(before.ends_with(b"}\n") && after.ends_with(b"}\n"));
    assert_minimal(&before, &after, " ");
}

#[test]
fn preserves_two_spaces() {
    let (before, after) = fix_one("PgSecureString.json");
    assert_minimal(&before, &after, " ");
    let a = String::from_utf8(after).unwrap();
    assert!(
        a.contains("\n      \"server\": \"pg-hr.postgres.database.azure.com\",\n"),
        "{a}"
    );
}

#[test]
fn preserves_crlf_and_bom() {
    let (before, after) = fix_one("PgNpgsqlCrlfBom.json");
    assert!(before.starts_with(b"\xef\xbb\xbf") && after.starts_with(b"\xef\xbb\xbf"));
    let a = String::from_utf8(after.clone()).unwrap();
    assert_eq!(
        a.matches('\n').count(),
        a.matches("\r\n").count(),
        "no bare LF: {a:?}"
    );
    assert!(a.ends_with("}\r\n"));
    assert!(
        a.contains("\"username\": \"finance\""),
        "user@server stripped: {a}"
    );
    assert_minimal(&before, &after, " ");
}

#[test]
fn no_secret_reaches_any_output() {
    let secrets = [
        "Report-Pa55",
        "S3cure;Str'ing",
        "S3cure;Str''ing",
        "Plain-Text-Pw1",
        "ew0KICAiVmVyc2lvbiI6",
    ];
    let dir = copy_tree(&example());
    let runs: Vec<Vec<&str>> = vec![
        vec!["."],
        vec![".", "--output-format", "full"],
        vec![".", "--output-format", "json"],
        vec![".", "--diff", "--unsafe-fixes"],
        vec![".", "--diff", "--output-format", "full"],
        vec![".", "--output-format", "json", "--unsafe-fixes"],
        vec![".", "--output-format", "sarif", "--unsafe-fixes"],
        vec![".", "--output-format", "github"],
        vec![".", "--output-format", "azure"],
        vec![".", "--output-format", "junit"],
        vec![".", "--output-format", "markdown", "--unsafe-fixes"],
        vec![".", "--statistics"],
        vec![".", "-o", "out.sarif", "--write-baseline", "baseline.json"],
        vec![".", "-o", "out.md", "--baseline", "baseline.json"],
    ];
    for args in runs {
        let (_, out, err) = run_in(dir.path(), &args);
        for s in secrets {
            assert!(
                !out.contains(s) && !err.contains(s),
                "secret {s:?} leaked with {args:?}"
            );
        }
    }
    for file in ["out.sarif", "out.md", "baseline.json"] {
        let text = fs::read_to_string(dir.path().join(file)).unwrap();
        for s in secrets {
            assert!(!text.contains(s), "secret {s:?} leaked into {file}");
        }
    }
    let (_, out, _) = run_in(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--show-changes", "."],
    );
    for s in secrets {
        assert!(!out.contains(s), "secret {s:?} leaked by --fix output");
    }
    // and the secrets did survive the migration in the files themselves (never lose data)
    let plain = fs::read_to_string(dir.path().join("linkedService/PgPlainPassword.json")).unwrap();
    assert!(plain.contains("\"value\": \"Report-Pa55\""));
}

#[test]
fn malformed_json_is_a_finding_with_location_and_is_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.json");
    let text = "{\n  \"name\": \"x\",\n  \"properties\": {\"type\": \"AzurePostgreSql\",}\n}";
    fs::write(&p, text).unwrap();
    let (code, out, _) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
    assert_eq!(code, 1);
    assert!(
        out.contains("broken.json:3:44: ADFPG100 [error] file is not valid JSON: trailing comma"),
        "{out}"
    );
    assert_eq!(fs::read_to_string(&p).unwrap(), text);
}

#[test]
fn read_only_file_is_reported_not_crashed() {
    use std::os::unix::fs::PermissionsExt;
    let dir = copy_tree(&example());
    let p = dir.path().join("linkedService/PgPlainPassword.json");
    let before = fs::read(&p).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o444)).unwrap();
    let (code, out, _) = run_in(
        dir.path(),
        &[
            "--fix",
            "--output-format",
            "concise",
            "linkedService/PgPlainPassword.json",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("ADFPG105 [error] fixes were not written: file is read-only"),
        "{out}"
    );
    assert_eq!(fs::read(&p).unwrap(), before);
}

#[test]
fn missing_path_exits_2() {
    let (code, out, err) = run_in(&root(), &["no/such/dir"]);
    assert_eq!(code, 2);
    // tool errors on stderr only, and a failed run is no all-clear
    assert!(err.contains("error: no/such/dir"), "{err}");
    assert!(
        !out.contains("error") && !out.contains("No findings."),
        "{out}"
    );
}

#[test]
fn json_output_is_versioned_and_located() {
    let (code, out, _) = run_in(
        &root(),
        &[
            "fixtures/example-factory/linkedService/PgBadV2.json",
            "--output-format",
            "json",
        ],
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["version"], 1);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "ADFPG006")
        .unwrap();
    assert_eq!(f["start"]["line"], 10);
    assert_eq!(f["pointer"], "/properties/typeProperties/sslMode");
    assert_eq!(f["fix"]["safety"], "safe");
    assert_eq!(f["fix"]["edits"][0]["content"], "2");
}

#[test]
fn real_public_factories_are_handled() {
    let dir = copy_tree(&root().join("fixtures/real"));
    let (code, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert_eq!(code, 1);
    // the one invalid file is reported with its location
    assert!(
        out.contains("dataset/AZ_PG_INSCRIPCIONES_LOOKUPS.json:12:11: ADFPG100"),
        "{out}"
    );
    // published ARM templates are linted with the same rules: the main template is migratable (unsafe:
    // parameters are renamed), a linked template is explained
    assert!(out.contains("adfmappoc/ARMTemplateForFactory.json:3210:13: ADFPG001 [warning] linked service `AzurePostgreSql1` uses AzurePostgreSql connector version 1.0 [unsafe fix]"), "{out}");
    assert!(out.contains("adfmappoc/linkedTemplates/ArmTemplate_0.json:57:13: ADFPG001 [info] generated linked template: 5 AzurePostgreSql linked services at connector version 1.0 (AzurePostgreSql1, AzurePostgreSql2, AzurePostgreSql3, Pointsinput_linkedservice, pointoutput_linkedService); this is a linked template"), "{out}");
    // Key Vault connection strings are explained, not migrated
    assert!(
        out.contains("LS_SQL_ELYSEE_RENDER.json:7:24: ADFPG009"),
        "{out}"
    );
    let before = snapshot_tree(dir.path());
    let (_, fixed, _) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    let after = snapshot_tree(dir.path());
    let changed: Vec<_> = after
        .keys()
        .filter(|k| before[*k] != after[*k] && k.contains("/linkedService/"))
        .collect();
    for k in after
        .keys()
        .filter(|k| before[*k] != after[*k] && !k.contains("/linkedService/"))
    {
        assert!(
            k.to_ascii_lowercase().contains("armtemplate"),
            "only linked services and ARM templates change: {k}"
        );
        serde_json::from_slice::<serde_json::Value>(&after[k]).unwrap();
    }
    // 12 migrations of AzurePostgreSql 1.0 (the two Key Vault strings cannot be) and 3 of legacy
    // PostgreSql; 2.0 and V2 files keep their sslMode
    let was = |k: &str| {
        let old: serde_json::Value = serde_json::from_slice(&before[k]).unwrap();
        old["properties"]["type"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let legacy: Vec<_> = changed.iter().filter(|k| was(k) == "PostgreSql").collect();
    assert_eq!(changed.len(), 15, "{changed:#?}\n{fixed}");
    assert_eq!(legacy.len(), 3, "{changed:#?}");
    for k in &changed {
        assert!(
            k.contains("/linkedService/"),
            "only linked services change: {k}"
        );
        let old: serde_json::Value = serde_json::from_slice(&before[*k]).unwrap();
        let new: serde_json::Value = serde_json::from_slice(&after[*k]).unwrap();
        let cs = old["properties"]["typeProperties"]["connectionString"]
            .as_str()
            .unwrap();
        if was(k) == "PostgreSql" {
            // a type of its own and no `version`; every real legacy string says encryptionmethod=0,
            // which the legacy mapping keeps as no encryption (sslMode 0)
            assert_eq!(new["properties"]["type"], "PostgreSqlV2", "{k}");
            assert!(new["properties"].get("version").is_none(), "{k}");
            assert!(cs.ends_with("encryptionmethod=0"), "{k}: {cs}");
            assert_eq!(new["properties"]["typeProperties"]["sslMode"], 0, "{k}");
        } else {
            assert_eq!(new["properties"]["version"], "2.0", "{k}");
            // the 1.0 mapping, never raised: hardening is not part of migrating
            assert_eq!(
                new["properties"]["typeProperties"]["sslMode"],
                common::ssl_mode_of_v1(cs),
                "{k}"
            );
        }
        let ec = &old["properties"]["typeProperties"]["encryptedCredential"];
        assert_eq!(
            &new["properties"]["typeProperties"]["encryptedCredential"], ec,
            "{k} keeps its encryptedCredential"
        );
        assert_eq!(
            new["properties"]["connectVia"], old["properties"]["connectVia"],
            "{k}"
        );
        assert_eq!(
            new["properties"]["parameters"], old["properties"]["parameters"],
            "{k}"
        );
    }
    let (_, _, _) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_eq!(after, snapshot_tree(dir.path()), "idempotent on real files");
}
