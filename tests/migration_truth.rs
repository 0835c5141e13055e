//! What `--fix` writes agrees with the connector's rules (the 1.0 driver's key names, ADF's expression
//! syntax, the 2.0 REST model), or is held back with a finding saying why. Every test goes through the
//! binary on a small factory written to a temp dir.

mod common;
use common::run_in;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// A factory with one 1.0 linked service `pg` whose connection string is `cs`.
fn factory_with(cs: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ls = serde_json::json!({
        "name": "pg",
        "properties": {
            "type": "AzurePostgreSql",
            "typeProperties": { "connectionString": cs }
        }
    });
    write(
        dir.path(),
        "linkedService/pg.json",
        &serde_json::to_string_pretty(&ls).unwrap(),
    );
    dir
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn read_json(root: &Path, rel: &str) -> Value {
    serde_json::from_slice(&fs::read(root.join(rel)).unwrap()).unwrap()
}

fn fix(dir: &Path) -> String {
    run_in(
        dir,
        &["--fix", "--unsafe-fixes", "--output-format", "concise", "."],
    )
    .1
}

/// Safe fixes only: the migration, without the unsafe raise of sslMode to 5 that would hide its value.
fn fix_safe(dir: &Path) -> String {
    run_in(dir, &["--fix", "--output-format", "concise", "."]).1
}

fn type_props(v: &Value) -> &Value {
    &v["properties"]["typeProperties"]
}

#[test]
fn the_drivers_own_key_names_are_migrated() {
    let dir = factory_with(
        "HostName=pg.postgres.database.azure.com;PortNumber=6432;DB=sales;LogonID=etl;PSW=s3cret-Pw",
    );
    let out = fix(dir.path());
    let v = read_json(dir.path(), "linkedService/pg.json");
    let tp = type_props(&v);
    assert_eq!(v["properties"]["version"], "2.0", "{out}");
    assert_eq!(tp["server"], "pg.postgres.database.azure.com");
    assert_eq!(tp["port"], "6432", "PortNumber is the port");
    assert_eq!(tp["database"], "sales");
    assert_eq!(tp["username"], "etl", "LogonID is the user name");
    assert_eq!(
        tp["password"],
        serde_json::json!({"type": "SecureString", "value": "s3cret-Pw"}),
        "PSW is the password: it must not be lost"
    );
    assert!(!out.contains("s3cret-Pw"), "{out}");
}

#[test]
fn host_name_in_certificate_with_validation_is_verify_full() {
    let dir = factory_with(
        "host=h.postgres.database.azure.com;database=d;uid=u;password=pw;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=h.postgres.database.azure.com",
    );
    fix_safe(dir.path());
    let v = read_json(dir.path(), "linkedService/pg.json");
    assert_eq!(type_props(&v)["sslMode"], 5);
    // without the host name the driver checked only the chain: VerifyCA
    let dir = factory_with(
        "host=h.postgres.database.azure.com;database=d;uid=u;password=pw;EncryptionMethod=1;ValidateServerCertificate=1",
    );
    fix_safe(dir.path());
    assert_eq!(
        type_props(&read_json(dir.path(), "linkedService/pg.json"))["sslMode"],
        4
    );
}

#[test]
fn escaped_at_in_a_password_is_text() {
    let cs = "host=h.postgres.database.azure.com;database=d;uid=u;password=p@@{w;EncryptionMethod=1;ValidateServerCertificate=1";
    let dir = factory_with(cs);
    let (_, lint, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(
        lint.contains("ADFPG008"),
        "a literal password is a plaintext secret: {lint}"
    );
    fix_safe(dir.path());
    let v = read_json(dir.path(), "linkedService/pg.json");
    let tp = type_props(&v);
    assert_eq!(tp["sslMode"], 4, "the keys after the password are read");
    assert_eq!(tp["password"]["value"], "p@@{w");
}

#[test]
fn a_string_without_database_is_held_back_with_a_reason() {
    let dir = factory_with("host=h.postgres.database.azure.com;uid=u;EncryptionMethod=1");
    let before = fs::read(dir.path().join("linkedService/pg.json")).unwrap();
    let out = fix(dir.path());
    assert_eq!(
        fs::read(dir.path().join("linkedService/pg.json")).unwrap(),
        before,
        "{out}"
    );
    assert!(out.contains("names no database"), "{out}");
}

#[test]
fn a_key_given_twice_is_held_back_not_guessed() {
    for cs in [
        "Host=a.postgres.database.azure.com;Host=b.postgres.database.azure.com;Database=d;uid=u",
        "Server=a.postgres.database.azure.com;HostName=b.postgres.database.azure.com;Database=d;uid=u",
    ] {
        let dir = factory_with(cs);
        let before = fs::read(dir.path().join("linkedService/pg.json")).unwrap();
        let out = fix(dir.path());
        assert_eq!(
            fs::read(dir.path().join("linkedService/pg.json")).unwrap(),
            before,
            "{out}"
        );
        assert!(out.contains("sets the same thing twice"), "{out}");
    }
}

/// The fix gate: a 1.0 string with neither user name nor credential would become a 2.0 definition its
/// own lint calls an error (ADFPG002/ADFPG003). Nothing is written, ADFPG105 says why, and the counts
/// count only what was written.
#[test]
fn the_gate_keeps_a_fix_that_adds_an_error_and_counts_nothing() {
    let dir = factory_with("host=h.postgres.database.azure.com;database=d");
    let before = fs::read(dir.path().join("linkedService/pg.json")).unwrap();
    let out = fix(dir.path());
    assert_eq!(
        fs::read(dir.path().join("linkedService/pg.json")).unwrap(),
        before,
        "{out}"
    );
    assert!(out.contains("ADFPG105"), "{out}");
    assert!(out.contains("would have a new error"), "{out}");
    assert!(out.contains("Fixed 0 files (0 fixes applied)"), "{out}");
    let (_, json, _) = run_in(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--output-format", "json", "."],
    );
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["summary"]["files_changed"], 0, "{json}");
    assert_eq!(v["summary"]["fixes_applied"], 0, "{json}");
    assert_eq!(
        fs::read(dir.path().join("linkedService/pg.json")).unwrap(),
        before
    );
}
