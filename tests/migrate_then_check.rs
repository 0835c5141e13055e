//! A migrated factory passes the CI check: `--fix --unsafe-fixes`, then `--check` exits 0, on
//! Studio-shaped factories (the example factory's Studio forms, and real public factories).

mod common;
use common::{copy_into, example, root, run_in, ssl_mode_of_v1};
use serde_json::Value;
use std::path::Path;

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

/// The example factory's Studio-shaped linked services (encryptedCredential-only, Key Vault password,
/// parameterised, Npgsql string with CRLF and BOM, 2.0 ones) with a dataset and a pipeline using them.
fn studio_factory() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "linkedService/KeyVault.json",
        "linkedService/PgStudio.json",
        "linkedService/PgRequestSsl.json",
        "linkedService/PgKeyVaultPassword.json",
        "linkedService/PgParameterised.json",
        "linkedService/PgNpgsqlCrlfBom.json",
        "linkedService/PgGoodV2.json",
        "linkedService/PgManagedIdentity.json",
        "dataset/SalesOrders.json",
        "dataset/LegacyOrders.json",
        "pipeline/CopyOrders.json",
    ] {
        let to = dir.path().join(f);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(example().join(f), to).unwrap();
    }
    dir
}

/// (file, sslMode the 1.0 string means) for every 1.0 linked service with a literal string.
fn v1_modes(dir: &Path) -> Vec<(std::path::PathBuf, i64)> {
    common::walk(dir)
        .into_iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "linkedService"))
        .filter_map(|p| {
            let v = read_json(&p);
            let cs = v["properties"]["typeProperties"]["connectionString"].as_str()?;
            (v["properties"]["type"] == "AzurePostgreSql" && cs.contains('='))
                .then(|| (p.clone(), ssl_mode_of_v1(cs)))
        })
        .collect()
}

/// Migrate, then check: `--check` passes, but for `held` lines (substrings naming linked services a
/// file rewrite cannot migrate), which are then the only errors or warnings left.
fn migrate_then_check(dir: &Path) -> String {
    migrate_then_check_holding(dir, &[])
}

fn migrate_then_check_holding(dir: &Path, held: &[&str]) -> String {
    let modes = v1_modes(dir);
    assert!(!modes.is_empty());
    let (before, out, _) = run_in(
        dir,
        &["--no-config", "--check", "--output-format", "concise", "."],
    );
    assert_eq!(
        before, 1,
        "a factory with 1.0 linked services fails the check: {out}"
    );
    let (code, out, err) = run_in(
        dir,
        &[
            "--no-config",
            "--fix",
            "--unsafe-fixes",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code <= 1, "{code}: {out}{err}");
    for (file, mode) in &modes {
        let v = read_json(file);
        assert_eq!(v["properties"]["version"], "2.0", "{}", file.display());
        assert_eq!(
            v["properties"]["typeProperties"]["sslMode"].as_i64(),
            Some(*mode),
            "{}: the 1.0 mapping, not raised",
            file.display()
        );
    }
    let (code, out, err) = run_in(
        dir,
        &["--no-config", "--check", "--output-format", "concise", "."],
    );
    let left: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("[error]") || l.contains("[warning]"))
        .collect();
    assert_eq!(left.len(), held.len(), "{out}");
    for (line, h) in left.iter().zip(held) {
        assert!(line.contains(h), "{line} is not {h}");
    }
    assert_eq!(
        code,
        i32::from(!held.is_empty()),
        "--check right after --fix --unsafe-fixes: {out}{err}"
    );
    assert!(
        out.contains("--fix would apply 0 fixes to 0 files."),
        "{out}"
    );
    out
}

#[test]
fn studio_shaped_example_factory_passes_check_after_migrating() {
    let dir = studio_factory();
    let out = migrate_then_check(dir.path());
    // what is left is information: Prefer (2) from encryptionmethod=0 and 6, and suggestions
    assert!(
        out.contains("PgStudio.json") && out.contains("ADFPG004 [info]"),
        "{out}"
    );
    assert!(
        !out.contains("[warning]") && !out.contains("[error]"),
        "{out}"
    );
}

#[test]
fn real_factories_pass_check_after_migrating() {
    // the published template's two legacy `PostgreSql` linked services take their whole connection
    // string from a secure parameter with no value anywhere in the repository, and the factory folder
    // has no file of theirs: nothing to split, so they stay, as errors (the connector is removed)
    let no_values = |ls: &str| {
        format!(
            "ADFPG060 [error] linked service `{ls}` uses the legacy PostgreSQL connector (`PostgreSql`), removed on 2025-09-30 and cannot be migrated automatically: port and sslMode stay literal in a PostgreSqlV2 template, but `{ls}_connectionString` has no value"
        )
    };
    let rahul = [
        no_values("PostgreSql1_Rakesh_Fra_Admin"),
        no_values("PostgreSql1_Rakesh_Ind_Postal"),
    ];
    let held: [&[String]; 2] = [&rahul, &[]];
    for (name, held) in ["rahulsahu-tomtom__otl-data-fatory", "SeeyaXi__ADFRepo"]
        .into_iter()
        .zip(held)
    {
        let dir = tempfile::tempdir().unwrap();
        copy_into(&root().join("fixtures/real").join(name), dir.path());
        // migrate_then_check asserts the factory has 1.0 linked services to migrate
        let held: Vec<&str> = held.iter().map(String::as_str).collect();
        migrate_then_check_holding(dir.path(), &held);
    }
}

#[test]
fn a_generated_linked_template_is_reported_once_as_information() {
    let dir = tempfile::tempdir().unwrap();
    copy_into(
        &root().join("fixtures/real/rahulsahu-tomtom__otl-data-fatory"),
        dir.path(),
    );
    let (_, out, _) = run_in(
        dir.path(),
        &["--no-config", "--output-format", "concise", "."],
    );
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("linkedTemplates/"))
        .collect();
    // once per connector: its five AzurePostgreSql 1.0 and its two legacy PostgreSql linked services
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].contains(
            "ADFPG001 [info] generated linked template: 5 AzurePostgreSql linked services"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains(
            "ADFPG060 [info] generated linked template: 2 PostgreSql linked services of the removed PostgreSql type (PostgreSql1_Rakesh_Fra_Admin, PostgreSql1_Rakesh_Ind_Postal)"
        ),
        "{}",
        lines[1]
    );
    // the help says what to do: re-publish, or exclude generated files
    let (_, json, _) = run_in(dir.path(), &["--no-config", "--output-format", "json", "."]);
    let v: Value = serde_json::from_str(&json).unwrap();
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().contains("linkedTemplates/"))
        .unwrap();
    let help = f["help"].as_str().unwrap();
    assert!(
        help.contains("re-publish") && help.contains("**/linkedTemplates/**"),
        "{help}"
    );
    assert!(f["fix"].is_null());
    // a policy can still make it fail
    let (code, out, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "--severity",
            "ADFPG001=error",
            "--output-format",
            "concise",
            "adfmappoc/linkedTemplates",
        ],
    );
    assert_eq!(code, 1, "{out}");
    // and the exclude the help names leaves it out
    std::fs::write(
        dir.path().join("adfpg.toml"),
        "exclude = [\"**/linkedTemplates/**\"]\n",
    )
    .unwrap();
    let (_, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(!out.contains("linkedTemplates/"), "{out}");
}
