//! The values `--fix` writes, pinned case by case. Every expected value is written from the connector's
//! rules (Microsoft Learn connector page, the 1.0 driver's connection-string options, the REST model), not
//! recorded from a run. Hardening is isolated: the rules whose fixes raise TLS settings are ignored, so no
//! other fix can hide a wrong mapping.
mod common;

use common::{cmd, walk};
use serde_json::{Value, json};
use std::fs;
use std::path::Path;

enum Expect {
    /// The migration is written: `properties.version` is "2.0", `connectionString` is gone, and each
    /// `typeProperties` member listed holds exactly this value.
    Writes(Vec<(&'static str, Value)>),
    /// The migration is written but these `typeProperties` members are absent.
    Omits(&'static [&'static str]),
    /// The fix is held back: the file is left byte for byte, and a finding on it says why (these words,
    /// outside the file's and the linked service's name).
    HeldBack(&'static str),
    /// The fix is held back: the file is left byte for byte (a run whose selection hides the reason).
    Unchanged,
}

struct Case {
    name: &'static str,
    conn: &'static str,
    /// Further `typeProperties` members, written after the connection string.
    extra: &'static str,
    expect: Expect,
}

/// A password kept out of the string, in Key Vault (the connector page's 1.0 example), so that every case
/// has a credential and only the value under test decides the outcome.
const KEY_VAULT_PASSWORD: &str = ",\n\t\t\t\"password\": { \"type\": \"AzureKeyVaultSecret\", \"store\": { \"referenceName\": \"Vault\", \"type\": \"LinkedServiceReference\" }, \"secretName\": \"pg-password\" }";

const VAULT: &str = r#"{"name": "Vault", "properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://v.vault.azure.net/"}}}"#;

fn case(name: &'static str, conn: &'static str, expect: Expect) -> Case {
    Case {
        name,
        conn,
        extra: KEY_VAULT_PASSWORD,
        expect,
    }
}

fn writes(members: &[(&'static str, Value)]) -> Expect {
    Expect::Writes(members.to_vec())
}

fn ssl(n: u8) -> Expect {
    writes(&[("sslMode", json!(n))])
}

/// A 1.0 linked service as ADF Studio writes it (tab indentation, no final newline).
fn linked_service(name: &str, conn: &str, extra_members: &str) -> String {
    format!(
        "{{\n\t\"name\": \"{name}\",\n\t\"properties\": {{\n\t\t\"type\": \"AzurePostgreSql\",\n\t\t\"typeProperties\": {{\n\t\t\t\"connectionString\": {}{extra_members}\n\t\t}}\n\t}}\n}}",
        serde_json::to_string(conn).unwrap()
    )
}

/// Writes every case into one factory, runs `--fix --unsafe-fixes` on it once, and checks each file.
fn run_table(cases: &[Case], extra_args: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let ls_dir = dir.path().join("linkedService");
    fs::create_dir_all(&ls_dir).unwrap();
    for c in cases {
        fs::write(
            ls_dir.join(format!("{}.json", c.name)),
            linked_service(c.name, c.conn, c.extra),
        )
        .unwrap();
    }
    fs::write(ls_dir.join("Vault.json"), VAULT).unwrap();
    let before: Vec<(String, Vec<u8>)> = walk(dir.path())
        .into_iter()
        .map(|p| (p.display().to_string(), fs::read(&p).unwrap()))
        .collect();
    // every rule runs (the fix gate re-lints with them) except those whose fixes harden TLS
    let mut args = vec![".", "--no-config", "--ignore", "ADFPG004,ADFPG005,ADFPG018"];
    args.extend_from_slice(extra_args);
    let lint = run(dir.path(), &args);
    args.extend_from_slice(&["--fix", "--unsafe-fixes"]);
    let fix = run(dir.path(), &args);
    let said = format!("{lint}\n{fix}");

    let mut failures = Vec::new();
    for c in cases {
        let path = ls_dir.join(format!("{}.json", c.name));
        let text = fs::read_to_string(&path).unwrap();
        let original = &before.iter().find(|(p, _)| Path::new(p) == path).unwrap().1;
        if let Err(why) = check(c, &text, original, &said) {
            failures.push(format!(
                "{} ({:?}): {why}\n--- written:\n{text}",
                c.name, c.conn
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases wrong:\n{}\n--- fix output:\n{fix}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = cmd()
        .current_dir(dir)
        .args(args)
        .args(["--output-format", "concise"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn check(c: &Case, text: &str, original: &[u8], said: &str) -> Result<(), String> {
    let held_back = text.as_bytes() == original;
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let tp = &doc["properties"]["typeProperties"];
    let migrated = || -> Result<(), String> {
        if held_back {
            return Err("not migrated".into());
        }
        if doc["properties"]["version"] != json!("2.0") {
            return Err("no version 2.0".into());
        }
        if tp.get("connectionString").is_some() {
            return Err("connectionString left behind".into());
        }
        Ok(())
    };
    match &c.expect {
        Expect::Writes(members) => {
            migrated()?;
            for (k, v) in members {
                if &tp[*k] != v {
                    return Err(format!("{k}: expected {v}, got {}", tp[*k]));
                }
            }
        }
        Expect::Omits(keys) => {
            migrated()?;
            for k in *keys {
                if tp.get(*k).is_some() {
                    return Err(format!("{k} must not be written, got {}", tp[*k]));
                }
            }
        }
        Expect::HeldBack(words) => {
            if !held_back {
                return Err("the fix must be held back, but the file changed".into());
            }
            let found = said
                .lines()
                .filter(|l| l.contains(&format!("{}.json", c.name)))
                .any(|l| {
                    l.replace(c.name, "")
                        .to_lowercase()
                        .contains(&words.to_lowercase())
                });
            if !found {
                return Err(format!(
                    "no finding on the file says {words:?}; the runs said:\n{said}"
                ));
            }
        }
        Expect::Unchanged => {
            if !held_back {
                return Err("the fix must be held back, but the file changed".into());
            }
        }
    }
    Ok(())
}

/// 1.0 driver options (EncryptionMethod, ValidateServerCertificate, HostNameInCertificate) and Npgsql's
/// `SSL Mode` → 2.0 sslMode (0 Disable, 1 Allow, 2 Prefer, 3 Require, 4 VerifyCA, 5 VerifyFull).
#[test]
fn ssl_mode_mapping() {
    let base = "host=pg.postgres.database.azure.com;database=d;uid=u";
    let cases: Vec<Case> = [
        // EncryptionMethod absent or 0: no encryption was the 1.0 default → Prefer, as Studio's upgrade writes
        ("EmAbsent", "", 2),
        ("Em0", ";EncryptionMethod=0", 2),
        ("Em0Lower", ";encryptionmethod=0", 2),
        // validation only applies when SSL is used
        ("Em0Vsc1", ";EncryptionMethod=0;ValidateServerCertificate=1", 2),
        // 6 = RequestSSL: SSL when the server offers it
        ("Em6", ";EncryptionMethod=6", 2),
        // 1 = SSL: encrypted, server not verified
        ("Em1", ";EncryptionMethod=1", 3),
        ("Em1Vsc0", ";EncryptionMethod=1;ValidateServerCertificate=0", 3),
        ("Em1Hnic", ";EncryptionMethod=1;HostNameInCertificate=pg.postgres.database.azure.com", 3),
        // certificate chain validated
        ("Em1Vsc1", ";EncryptionMethod=1;ValidateServerCertificate=1", 4),
        ("EmAliasVsc1", ";EM=1;VSC=1", 4),
        // chain and host name validated
        (
            "Em1Vsc1Hnic",
            ";EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=pg.postgres.database.azure.com",
            5,
        ),
        // Npgsql's SSL Mode names
        ("SslDisable", ";SSL Mode=Disable", 0),
        ("SslAllow", ";SSL Mode=Allow", 1),
        ("SslPrefer", ";SSL Mode=Prefer", 2),
        ("SslRequire", ";SSL Mode=Require", 3),
        ("SslVerifyCa", ";SslMode=VerifyCA", 4),
        ("SslVerifyFull", ";SslMode=VerifyFull", 5),
        ("SslVerifyCaDash", ";sslmode=verify-ca", 4),
        ("SslVerifyFullDash", ";sslmode=verify-full", 5),
        ("SslLower", ";ssl mode=require", 3),
        // SSL Mode wins over the 1.0 options when both are present
        ("SslWinsDown", ";SSL Mode=Disable;EncryptionMethod=1;ValidateServerCertificate=1", 0),
        ("SslWinsUp", ";SSL Mode=VerifyFull;EncryptionMethod=0", 5),
        ("SslWinsRequire", ";EncryptionMethod=1;ValidateServerCertificate=1;SSL Mode=Require", 3),
    ]
    .into_iter()
    .map(|(name, opts, n)| case(name, leak(format!("{base}{opts}")), ssl(n)))
    .chain([
        case(
            "EmUnknown",
            "host=pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=2",
            Expect::HeldBack("EncryptionMethod"),
        ),
        case(
            "SslUnknown",
            "host=pg.postgres.database.azure.com;database=d;uid=u;SSL Mode=Sometimes",
            Expect::HeldBack("SSL Mode"),
        ),
    ])
    .collect();
    run_table(&cases, &[]);
}

#[test]
fn conflicting_ssl_settings_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("linkedService")).unwrap();
    fs::write(
        dir.path().join("linkedService/Conflict.json"),
        linked_service(
            "Conflict",
            "host=pg.postgres.database.azure.com;database=d;uid=u;SSL Mode=Disable;EncryptionMethod=1",
            "",
        ),
    )
    .unwrap();
    fs::write(
        dir.path().join("linkedService/NoConflict.json"),
        linked_service(
            "NoConflict",
            "host=pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=1",
            "",
        ),
    )
    .unwrap();
    let out = run(dir.path(), &[".", "--no-config"]);
    assert!(
        out.lines()
            .any(|l| l.contains("Conflict.json") && l.contains("ADFPG013")),
        "{out}"
    );
    assert!(
        !out.lines()
            .any(|l| l.contains("NoConflict.json") && l.contains("ADFPG013")),
        "{out}"
    );
}

/// Every spelling of the keys that carry server, port, database, user and password: the 1.0 driver's
/// (HostName, PortNumber, LogonID …) and Npgsql's, case-insensitive.
#[test]
fn key_spellings() {
    let full = |server: &str, port: &str, db: &str, user: &str| {
        writes(&[
            ("server", json!(server)),
            ("port", json!(port)),
            ("database", json!(db)),
            ("username", json!(user)),
        ])
    };
    let cases = vec![
        case(
            "DriverNames",
            "HostName=h1.example.com;PortNumber=6432;Database=db1;LogonID=u1",
            full("h1.example.com", "6432", "db1", "u1"),
        ),
        case(
            "HostPortDb",
            "Host=h2.example.com;Port=6433;DB=db2;UID=u2",
            full("h2.example.com", "6433", "db2", "u2"),
        ),
        case(
            "ServerUser",
            "Server=h3.example.com;port=5433;database=db3;User=u3",
            full("h3.example.com", "5433", "db3", "u3"),
        ),
        case(
            "UserId",
            "SERVER=h4.example.com;DATABASE=db4;User Id=u4",
            full("h4.example.com", "5432", "db4", "u4"),
        ),
        case(
            "Username",
            "host=h5.example.com;database=db5;Username=u5",
            full("h5.example.com", "5432", "db5", "u5"),
        ),
        case(
            "UserName",
            "host=h6.example.com;database=db6;User Name=u6",
            full("h6.example.com", "5432", "db6", "u6"),
        ),
        case(
            "Spaces",
            " host = h7.example.com ; database = db7 ; uid = u7 ",
            full("h7.example.com", "5432", "db7", "u7"),
        ),
        case(
            "Quoted",
            "host='h8.example.com';database=\"db;8\";uid='o''brien'",
            full("h8.example.com", "5432", "db;8", "o'brien"),
        ),
        // the Single Server habit: user@server loses @server when it names the host's first label
        case(
            "UserAtServer",
            "host=pg.postgres.database.azure.com;database=d;uid=etl@pg",
            writes(&[("username", json!("etl"))]),
        ),
        case(
            "UserAtOther",
            "host=pg.postgres.database.azure.com;database=d;uid=etl@elsewhere",
            writes(&[("username", json!("etl@elsewhere"))]),
        ),
        // ADF expressions are kept verbatim
        case(
            "Expressions",
            "host=@{linkedService().Host};port=@{linkedService().Port};database=@{linkedService().Db};uid=u",
            writes(&[
                ("server", json!("@{linkedService().Host}")),
                ("port", json!("@{linkedService().Port}")),
                ("database", json!("@{linkedService().Db}")),
            ]),
        ),
        case(
            "NoDatabase",
            "host=h9.example.com;port=5432;uid=u9",
            Expect::HeldBack("database"),
        ),
        case(
            "HostTwice",
            "host=a.example.com;database=d;uid=u;Host=b.example.com",
            Expect::HeldBack("host"),
        ),
        case(
            "PortTwice",
            "host=a.example.com;port=5432;database=d;uid=u;PortNumber=6432",
            Expect::HeldBack("port"),
        ),
        case("NoHost", "database=d;uid=u", Expect::HeldBack("host")),
    ];
    run_table(&cases, &[]);
}

/// Each credential form: a password in the string becomes a SecureString whatever the key's spelling; a Key
/// Vault password and an `encryptedCredential` are kept as they are; authenticationType is Basic (what
/// Studio writes).
#[test]
fn credential_forms() {
    let in_string = |name, conn, p: &str| Case {
        name,
        conn,
        extra: "",
        expect: writes(&[
            ("password", json!({ "type": "SecureString", "value": p })),
            ("authenticationType", json!("Basic")),
        ]),
    };
    let base = "host=h.example.com;database=d;uid=u";
    let cases = vec![
        in_string(
            "Password",
            leak(format!("{base};Password=s3cret")),
            "s3cret",
        ),
        in_string("Pwd", leak(format!("{base};PWD=s3cret")), "s3cret"),
        in_string("Psw", leak(format!("{base};PSW=s3cret")), "s3cret"),
        in_string("PwdLower", leak(format!("{base};pwd=s3cret")), "s3cret"),
        in_string("Quoted", leak(format!("{base};Password='a;b=c'")), "a;b=c"),
        in_string("Doubled", leak(format!("{base};Password='it''s'")), "it's"),
        // `@@` is ADF's escape for a literal `@`: the password is plain text and the keys after it are
        // options, not part of an expression
        Case {
            name: "EscapedAt",
            conn: leak(format!(
                "{base};Password=x@@{{y;EncryptionMethod=1;ValidateServerCertificate=1"
            )),
            extra: "",
            expect: writes(&[
                (
                    "password",
                    json!({ "type": "SecureString", "value": "x@@{y" }),
                ),
                ("sslMode", json!(4)),
            ]),
        },
        case(
            "KeyVault",
            base,
            writes(&[
                (
                    "password",
                    json!({ "type": "AzureKeyVaultSecret", "store": { "referenceName": "Vault", "type": "LinkedServiceReference" }, "secretName": "pg-password" }),
                ),
                ("authenticationType", json!("Basic")),
            ]),
        ),
        // Studio's shape: the password only in encryptedCredential, kept byte for byte (an unsafe fix)
        Case {
            name: "Encrypted",
            conn: base,
            extra: ",\n\t\t\t\"encryptedCredential\": \"ZW5jcnlwdGVk\"",
            expect: writes(&[
                ("encryptedCredential", json!("ZW5jcnlwdGVk")),
                ("authenticationType", json!("Basic")),
            ]),
        },
        // no credential at all: a 2.0 Basic definition without one is an error, so nothing is written
        Case {
            name: "NoCredential",
            conn: base,
            extra: "",
            expect: Expect::HeldBack("password"),
        },
    ];
    run_table(&cases, &[]);
}

/// Npgsql options with a 2.0 property, with each value form.
#[test]
fn option_values() {
    let base = "host=h.example.com;database=d;uid=u;";
    let mut cases: Vec<Case> = Vec::new();
    for (i, (word, b)) in [
        ("true", true),
        ("True", true),
        ("yes", true),
        ("1", true),
        ("false", false),
        ("FALSE", false),
        ("no", false),
        ("0", false),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(case(
            leak(format!("Trust{i}")),
            leak(format!("{base}Trust Server Certificate={word}")),
            writes(&[("trustServerCertificate", json!(b))]),
        ));
        cases.push(case(
            leak(format!("Pooling{i}")),
            leak(format!("{base}Pooling={word}")),
            writes(&[("pooling", json!(b))]),
        ));
    }
    cases.extend([
        // nothing is invented: an option the string does not set is not written
        case(
            "NoOptions",
            "host=h.example.com;database=d;uid=u",
            Expect::Omits(&[
                "timeout",
                "connectionTimeout",
                "commandTimeout",
                "trustServerCertificate",
                "readBufferSize",
                "timezone",
                "encoding",
                "schema",
                "pooling",
            ]),
        ),
        case(
            "Timeout",
            leak(format!("{base}Timeout=30")),
            writes(&[("timeout", json!(30))]),
        ),
        case(
            "CommandTimeout",
            leak(format!("{base}Command Timeout=120")),
            writes(&[("commandTimeout", json!(120))]),
        ),
        case(
            "CommandTimeoutZero",
            leak(format!("{base}CommandTimeout=0")),
            writes(&[("commandTimeout", json!(0))]),
        ),
        case(
            "ReadBufferSize",
            leak(format!("{base}Read Buffer Size=16384")),
            writes(&[("readBufferSize", json!(16384))]),
        ),
        case(
            "Timezone",
            leak(format!("{base}Timezone=Europe/Paris")),
            writes(&[("timezone", json!("Europe/Paris"))]),
        ),
        case(
            "Encoding",
            leak(format!("{base}Encoding=UTF8")),
            writes(&[("encoding", json!("UTF8"))]),
        ),
        case(
            "SearchPath",
            leak(format!("{base}Search Path=sales")),
            writes(&[("schema", json!("sales"))]),
        ),
        case(
            "AllOptions",
            leak(format!(
                "{base}Timeout=15;Command Timeout=60;Trust Server Certificate=true;SSL Mode=Require"
            )),
            writes(&[
                ("timeout", json!(15)),
                ("commandTimeout", json!(60)),
                ("trustServerCertificate", json!(true)),
                ("sslMode", json!(3)),
                ("port", json!("5432")),
            ]),
        ),
    ]);
    run_table(&cases, &[]);
}

/// An option value that does not fit the property's type (a whole number of seconds, a boolean) is never
/// written with the wrong type: the migration is held back and the finding names the property.
#[test]
fn invalid_option_values_hold_the_fix_back() {
    run_table(&invalid_option_cases(Expect::HeldBack), &[]);
    // the gate judges what ADF accepts whatever rules the run selects, ignores or re-severs: a run that
    // shows only ADFPG001 (so not the reason, ADFPG105) still never writes a wrongly typed property
    let unchanged = |_| Expect::Unchanged;
    run_table(&invalid_option_cases(unchanged), &["--select", "ADFPG001"]);
    run_table(
        &invalid_option_cases(unchanged),
        &["--ignore", "ADFPG022,ADFPG105"],
    );
    run_table(
        &invalid_option_cases(unchanged),
        &["--severity", "ADFPG022=warning"],
    );
}

/// (name, option, the property the finding names)
fn invalid_option_cases(held_back: impl Fn(&'static str) -> Expect) -> Vec<Case> {
    let base = "host=h.example.com;database=d;uid=u;";
    [
        ("BadTimeout", "Timeout=soon", "timeout"),
        (
            "NegativeCommandTimeout",
            "Command Timeout=-5",
            "commandTimeout",
        ),
        (
            "BadTrust",
            "Trust Server Certificate=maybe",
            "trustServerCertificate",
        ),
        ("BadReadBuffer", "Read Buffer Size=big", "readBufferSize"),
    ]
    .into_iter()
    .map(|(name, opt, property)| case(name, leak(format!("{base}{opt}")), held_back(property)))
    .collect()
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}
