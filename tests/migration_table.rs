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

fn ssl_n(n: u8) -> Expect {
    writes(&[("sslMode", json!(n))])
}

/// A 1.0 linked service as ADF Studio writes it (tab indentation, no final newline). A `conn` that starts
/// with `{` is the connection string's JSON as it is (a SecureString or Key Vault object).
fn linked_service(name: &str, conn: &str, extra_members: &str) -> String {
    let conn = if conn.starts_with('{') {
        conn.to_string()
    } else {
        serde_json::to_string(conn).unwrap()
    };
    format!(
        "{{\n\t\"name\": \"{name}\",\n\t\"properties\": {{\n\t\t\"type\": \"AzurePostgreSql\",\n\t\t\"typeProperties\": {{\n\t\t\t\"connectionString\": {conn}{extra_members}\n\t\t}}\n\t}}\n}}"
    )
}

/// Writes every case into one factory, runs `--fix --unsafe-fixes` on it once, and checks each file.
/// Returns what the lint run (before the fix) said.
fn run_table(cases: &[Case], extra_args: &[&str]) -> String {
    run_table_with_config(cases, extra_args, None)
}

/// [`run_table`] with an `adfpg.toml` holding `config` (its `[migration]` options) instead of none.
fn run_table_with_config(cases: &[Case], extra_args: &[&str], config: Option<&str>) -> String {
    let dir = tempfile::tempdir().unwrap();
    if let Some(text) = config {
        fs::write(dir.path().join("adfpg.toml"), text).unwrap();
    }
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
    let mut args = vec![".", "--ignore", "ADFPG004,ADFPG005,ADFPG018"];
    if config.is_none() {
        args.push("--no-config");
    }
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
    lint
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
    .map(|(name, opts, n)| case(name, leak(format!("{base}{opts}")), ssl_n(n)))
    .chain([
        case(
            "EmUnknown",
            "host=pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=2",
            Expect::HeldBack("EncryptionMethod"),
        ),
        // VerifyFull checks the certificate against `server`: 1.0's HostNameInCertificate must name it
        // (in any letter case, by a wildcard covering it, or as the driver's #SERVERNAME#) ...
        case(
            "HnicCase",
            "host=pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=PG.Postgres.Database.Azure.com",
            ssl_n(5),
        ),
        case(
            "HnicWildcard",
            "host=pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=*.postgres.database.azure.com",
            ssl_n(5),
        ),
        case(
            "HnicServerName",
            "host=pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=#SERVERNAME#",
            ssl_n(5),
        ),
        // ... or 2.0 cannot say what 1.0 checked: held back, never a silent VerifyFull on the wrong name
        case(
            "HnicIpServer",
            "host=10.1.2.3;database=d;uid=u;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=pg1.postgres.database.azure.com",
            Expect::HeldBack("checks it against the server name `10.1.2.3`"),
        ),
        case(
            "HnicOtherHost",
            "host=pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=alias.example.com",
            Expect::HeldBack("HostNameInCertificate `alias.example.com`"),
        ),
        case(
            "HnicWildcardTooDeep",
            "host=a.pg.postgres.database.azure.com;database=d;uid=u;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=*.postgres.database.azure.com",
            Expect::HeldBack("HostNameInCertificate `*.postgres.database.azure.com`"),
        ),
        // without validation (or without SSL) 1.0 ignored it: dropped, nothing held back
        case(
            "HnicIgnoredWithoutValidation",
            "host=10.1.2.3;database=d;uid=u;EncryptionMethod=1;HostNameInCertificate=pg1.postgres.database.azure.com",
            ssl_n(3),
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

/// What the 1.0 settings mean as a 2.0 sslMode, written from the connector's rules: `SSL Mode` wins when
/// present; otherwise EncryptionMethod 0 (the default) and 6 (RequestSSL) → 2 Prefer, and 1 (SSL) → 3
/// Require, 4 VerifyCA with ValidateServerCertificate=1, 5 VerifyFull when HostNameInCertificate is given
/// too (the driver then checks the host name).
fn expected_ssl_mode(em: Option<&str>, vsc: Option<&str>, hnic: bool, ssl: Option<&str>) -> u8 {
    if let Some(name) = ssl {
        return [
            "disable",
            "allow",
            "prefer",
            "require",
            "verifyca",
            "verifyfull",
        ]
        .iter()
        .position(|n| n.eq_ignore_ascii_case(name))
        .unwrap() as u8;
    }
    match (em, vsc == Some("1"), hnic) {
        (None | Some("0") | Some("6"), _, _) => 2,
        (Some("1"), false, _) => 3,
        (Some("1"), true, false) => 4,
        (Some("1"), true, true) => 5,
        _ => unreachable!(),
    }
}

/// Every EncryptionMethod × ValidateServerCertificate × HostNameInCertificate × `SSL Mode` combination:
/// the sslMode written, and ADFPG013 reported exactly when `SSL Mode` overrides a 1.0 SSL key.
#[test]
fn ssl_mode_every_combination() {
    let mut cases = Vec::new();
    let mut overrides = Vec::new();
    for em in [None, Some("0"), Some("1"), Some("6")] {
        for vsc in [None, Some("0"), Some("1")] {
            for hnic in [false, true] {
                for ssl in [
                    None,
                    Some("Disable"),
                    Some("Allow"),
                    Some("Prefer"),
                    Some("Require"),
                    Some("VerifyCA"),
                    Some("VerifyFull"),
                ] {
                    let name = leak(format!(
                        "C{}{}{}{}",
                        em.unwrap_or("x"),
                        vsc.unwrap_or("x"),
                        u8::from(hnic),
                        ssl.unwrap_or("x")
                    ));
                    let mut conn =
                        "host=pg.postgres.database.azure.com;database=d;uid=u".to_string();
                    if let Some(v) = em {
                        conn += &format!(";EncryptionMethod={v}");
                    }
                    if let Some(v) = vsc {
                        conn += &format!(";ValidateServerCertificate={v}");
                    }
                    if hnic {
                        conn += ";HostNameInCertificate=pg.postgres.database.azure.com";
                    }
                    if let Some(v) = ssl {
                        conn += &format!(";SSL Mode={v}");
                    }
                    let n = expected_ssl_mode(em, vsc, hnic, ssl);
                    cases.push(case(name, leak(conn), ssl_n(n)));
                    if ssl.is_some() && (em.is_some() || vsc.is_some() || hnic) {
                        overrides.push(name);
                    }
                }
            }
        }
    }
    assert_eq!(cases.len(), 4 * 3 * 2 * 7);
    let lint = run_table(&cases, &[]);
    for c in &cases {
        let file = format!("{}.json:", c.name);
        let reported = lint
            .lines()
            .any(|l| l.starts_with(&format!("linkedService/{file}")) && l.contains("ADFPG013"));
        assert_eq!(
            reported,
            overrides.contains(&c.name),
            "ADFPG013 on {} ({:?})\n{lint}",
            c.name,
            c.conn
        );
    }
}

/// The value forms the 1.0 driver's boolean option takes, and spellings of the SSL options' values.
#[test]
fn ssl_option_value_forms() {
    let base = "host=pg.postgres.database.azure.com;database=d;uid=u";
    let cases: Vec<Case> = [
        (
            "VscTrue",
            ";EncryptionMethod=1;ValidateServerCertificate=true",
            4,
        ),
        (
            "VscYes",
            ";EncryptionMethod=1;ValidateServerCertificate=yes",
            4,
        ),
        (
            "VscFalse",
            ";EncryptionMethod=1;ValidateServerCertificate=false",
            3,
        ),
        (
            "VscNo",
            ";EncryptionMethod=1;ValidateServerCertificate=no",
            3,
        ),
        (
            "VscSpaced",
            ";EncryptionMethod= 1 ;ValidateServerCertificate= 1 ",
            4,
        ),
        (
            "EmQuoted",
            ";EncryptionMethod='1';ValidateServerCertificate=\"1\"",
            4,
        ),
        ("Em6Alias", ";EM=6;VSC=1", 2),
        // an empty HostNameInCertificate names no host to check
        (
            "HnicEmpty",
            ";EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=",
            4,
        ),
        (
            "HnicNoVsc",
            ";EncryptionMethod=1;HostNameInCertificate=pg.postgres.database.azure.com",
            3,
        ),
        ("SslSpaced", ";SSL Mode= Require ", 3),
        ("SslUpper", ";SSLMODE=VERIFYFULL", 5),
        ("SslQuoted", ";SSL Mode='VerifyCA'", 4),
    ]
    .into_iter()
    .map(|(name, opts, n)| case(name, leak(format!("{base}{opts}")), ssl_n(n)))
    .chain([
        // an expression is kept verbatim: its value is only known at run time
        case(
            "SslExpression",
            leak(format!("{base};SSL Mode=@{{linkedService().Ssl}}")),
            writes(&[("sslMode", json!("@{linkedService().Ssl}"))]),
        ),
        case(
            "EmSeven",
            leak(format!("{base};EncryptionMethod=7")),
            Expect::HeldBack("EncryptionMethod"),
        ),
        case(
            "SslNumber",
            leak(format!("{base};SSL Mode=3")),
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
        case(
            "ServerPortNumber",
            "Server=h10.example.com;PortNumber=1;Db=db10;user id=u10",
            full("h10.example.com", "1", "db10", "u10"),
        ),
        case(
            "LogonIdUpper",
            "HOSTNAME=h11.example.com;PORT=65535;DATABASE=db11;LOGONID=u11",
            full("h11.example.com", "65535", "db11", "u11"),
        ),
        // a key given twice under two spellings is ambiguous: drivers differ on which wins
        case(
            "UserTwice",
            "host=h.example.com;database=d;uid=a;Username=b",
            Expect::HeldBack("twice"),
        ),
        case(
            "DatabaseTwice",
            "host=h.example.com;database=d;DB=e;uid=u",
            Expect::HeldBack("twice"),
        ),
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
        // an empty password is no credential either
        Case {
            name: "EmptyPassword",
            conn: leak(format!("{base};Password=")),
            extra: "",
            expect: Expect::HeldBack("password"),
        },
        // a password typed into the string next to Studio's encryptedCredential: both kept, nothing lost
        Case {
            name: "PasswordAndEncrypted",
            conn: leak(format!("{base};Password=s3cret")),
            extra: ",\n\t\t\t\"encryptedCredential\": \"ZW5jcnlwdGVk\"",
            expect: writes(&[
                (
                    "password",
                    json!({ "type": "SecureString", "value": "s3cret" }),
                ),
                ("encryptedCredential", json!("ZW5jcnlwdGVk")),
            ]),
        },
        // the whole string as a SecureString: split like a plain one, the password kept secret
        Case {
            name: "SecureStringConn",
            conn: r#"{ "type": "SecureString", "value": "host=h.example.com;port=6432;database=d;uid=u;pwd=s3cret" }"#,
            extra: "",
            expect: writes(&[
                ("server", json!("h.example.com")),
                ("port", json!("6432")),
                (
                    "password",
                    json!({ "type": "SecureString", "value": "s3cret" }),
                ),
                ("authenticationType", json!("Basic")),
            ]),
        },
        // the whole string in Key Vault: a file rewrite cannot read it
        Case {
            name: "KeyVaultConn",
            conn: r#"{ "type": "AzureKeyVaultSecret", "store": { "referenceName": "Vault", "type": "LinkedServiceReference" }, "secretName": "pg-conn" }"#,
            extra: "",
            expect: Expect::HeldBack("Key Vault"),
        },
        // a connection string known only at run time, or masked, cannot be split
        Case {
            name: "ExpressionObjectConn",
            conn: r#"{ "type": "Expression", "value": "@linkedService().cs" }"#,
            extra: "",
            expect: Expect::HeldBack("expression"),
        },
        Case {
            name: "ExpressionStringConn",
            conn: "@linkedService().cs",
            extra: "",
            expect: Expect::HeldBack("expression"),
        },
        Case {
            name: "MaskedConn",
            conn: "**********",
            extra: "",
            expect: Expect::HeldBack("masked"),
        },
        Case {
            name: "ObjectConn",
            conn: "{}",
            extra: "",
            expect: Expect::HeldBack("is an object, not a string"),
        },
        Case {
            name: "SecureStringNoValue",
            conn: r#"{ "type": "SecureString" }"#,
            extra: "",
            expect: Expect::HeldBack("SecureString without a string value"),
        },
        // libpq's URL form (percent-decoded), user and password in it
        Case {
            name: "UrlCredentials",
            conn: "host=postgresql://etl:p%40ss%3Bw@pg.example.com:6432/sales",
            extra: "",
            expect: writes(&[
                ("server", json!("pg.example.com")),
                ("port", json!("6432")),
                ("database", json!("sales")),
                ("username", json!("etl")),
                (
                    "password",
                    json!({ "type": "SecureString", "value": "p@ss;w" }),
                ),
            ]),
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
    // each documented key spelling (Npgsql's keys, with or without spaces, any case) and value form:
    // whole seconds or bytes as JSON numbers (quoted or spaced in the string), text as written, and an
    // ADF expression kept verbatim as a string
    for (i, (opt, property, value)) in [
        ("Timeout=0", "timeout", json!(0)),
        ("TIMEOUT= 45 ", "timeout", json!(45)),
        ("Timeout='30'", "timeout", json!(30)),
        ("CommandTimeout=300", "commandTimeout", json!(300)),
        ("command timeout=7", "commandTimeout", json!(7)),
        ("Command Timeout=\"0\"", "commandTimeout", json!(0)),
        ("ReadBufferSize=8192", "readBufferSize", json!(8192)),
        (
            "read buffer size=4294967295",
            "readBufferSize",
            json!(4294967295u32),
        ),
        (
            "TrustServerCertificate=true",
            "trustServerCertificate",
            json!(true),
        ),
        (
            "trust server certificate=False",
            "trustServerCertificate",
            json!(false),
        ),
        (
            "Trust Server Certificate=' yes '",
            "trustServerCertificate",
            json!(true),
        ),
        ("POOLING=No", "pooling", json!(false)),
        ("SearchPath=sales,public", "schema", json!("sales,public")),
        ("search path='a;b'", "schema", json!("a;b")),
        ("TimeZone=UTC", "timezone", json!("UTC")),
        (
            "timezone='America/New_York'",
            "timezone",
            json!("America/New_York"),
        ),
        ("ENCODING=LATIN1", "encoding", json!("LATIN1")),
        (
            "Timeout=@{linkedService().T}",
            "timeout",
            json!("@{linkedService().T}"),
        ),
        (
            "Pooling=@{linkedService().P}",
            "pooling",
            json!("@{linkedService().P}"),
        ),
        (
            "Encoding=@{linkedService().E}",
            "encoding",
            json!("@{linkedService().E}"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        cases.push(case(
            leak(format!("Form{i}")),
            leak(format!("{base}{opt}")),
            writes(&[(property, value)]),
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
        ("FractionTimeout", "Timeout=1.5", "timeout"),
        ("NegativeTimeout", "Timeout=-1", "timeout"),
        ("EmptyTimeout", "Timeout=", "timeout"),
        (
            "WordCommandTimeout",
            "CommandTimeout=true",
            "commandTimeout",
        ),
        (
            "NegativeReadBuffer",
            "ReadBufferSize=-8192",
            "readBufferSize",
        ),
        (
            "HugeReadBuffer",
            "ReadBufferSize=4294967296",
            "readBufferSize",
        ),
        (
            "TwoTrust",
            "TrustServerCertificate=2",
            "trustServerCertificate",
        ),
        (
            "EmptyTrust",
            "Trust Server Certificate=",
            "trustServerCertificate",
        ),
        ("BadPooling", "Pooling=maybe", "pooling"),
        ("OnPooling", "Pooling=on", "pooling"),
    ]
    .into_iter()
    .map(|(name, opt, property)| case(name, leak(format!("{base}{opt}")), held_back(property)))
    .collect()
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// A port 2.0 cannot hold is never written: the property the fix would write still carries ADFPG015 (a
/// port is a number from 1 to 65535), so the migration is held back with that reason even though the 1.0
/// string had the same error already. The boundaries are written.
#[test]
fn ports_2_0_cannot_hold_hold_the_fix_back() {
    let base = "host=h.example.com;database=d;uid=u";
    let held = Expect::HeldBack;
    let cases: Vec<Case> = [
        ("PortWord", "port=abc", held("does not accept (ADFPG015")),
        (
            "PortTooBig",
            "port=70000",
            held("does not accept (ADFPG015"),
        ),
        (
            "PortJustOver",
            "port=65536",
            held("does not accept (ADFPG015"),
        ),
        ("PortZero", "port=0", held("does not accept (ADFPG015")),
        ("PortNegative", "port=-1", held("does not accept (ADFPG015")),
        (
            "PortFraction",
            "port=5432.5",
            held("does not accept (ADFPG015"),
        ),
        ("PortLowest", "port=1", writes(&[("port", json!("1"))])),
        (
            "PortHighest",
            "port=65535",
            writes(&[("port", json!("65535"))]),
        ),
    ]
    .into_iter()
    .map(|(name, opt, expect)| case(name, leak(format!("{base};{opt}")), expect))
    .collect();
    run_table(&cases, &[]);
}

/// A password in the string and a `password` property (the table's Key Vault reference): the conflict is
/// reported on the 1.0 file (ADFPG025), and the migration keeps the property, as an unsafe fix whose note
/// says so; without the string's password there is no conflict.
#[test]
fn a_password_given_twice_is_reported_and_the_property_kept() {
    let kv = json!({
        "type": "AzureKeyVaultSecret",
        "store": { "referenceName": "Vault", "type": "LinkedServiceReference" },
        "secretName": "pg-password"
    });
    let cases = vec![
        case(
            "Twice",
            "host=h.example.com;database=d;uid=u;password=in-the-string",
            writes(&[("password", kv.clone())]),
        ),
        case(
            "TwicePwd",
            "host=h.example.com;database=d;uid=u;PWD=in-the-string",
            writes(&[("password", kv.clone())]),
        ),
        case(
            "Once",
            "host=h.example.com;database=d;uid=u",
            writes(&[("password", kv)]),
        ),
    ];
    let lint = run_table(&cases, &[]);
    let on = |name: &str, code: &str| {
        lint.lines()
            .any(|l| l.starts_with(&format!("linkedService/{name}.json:")) && l.contains(code))
    };
    assert!(
        on("Twice", "ADFPG025") && on("TwicePwd", "ADFPG025"),
        "{lint}"
    );
    assert!(!on("Once", "ADFPG025"), "{lint}");
    // the migration of a password given twice is unsafe: `--fix` alone leaves the file as it is
    let dir = tempfile::tempdir().unwrap();
    let ls_dir = dir.path().join("linkedService");
    fs::create_dir_all(&ls_dir).unwrap();
    let text = linked_service(
        "Twice",
        "host=h.example.com;database=d;uid=u;password=in-the-string",
        KEY_VAULT_PASSWORD,
    );
    fs::write(ls_dir.join("Twice.json"), &text).unwrap();
    fs::write(ls_dir.join("Vault.json"), VAULT).unwrap();
    let safe = run(dir.path(), &[".", "--no-config", "--fix"]);
    assert_eq!(
        fs::read_to_string(ls_dir.join("Twice.json")).unwrap(),
        text,
        "{safe}"
    );
    let unsafe_run = run(dir.path(), &[".", "--no-config", "--fix", "--unsafe-fixes"]);
    assert!(
        unsafe_run.contains("keeps the `password` property")
            && !unsafe_run.contains("in-the-string"),
        "the note names the password kept, never the value: {unsafe_run}"
    );
}

/// A key with no 2.0 property is dropped, so the migration is an unsafe fix that names it: written with
/// `--unsafe-fixes` (without the key), left alone by `--fix` alone.
#[test]
fn keys_without_a_2_0_property_are_dropped_only_as_an_unsafe_fix() {
    let conn = "host=h.example.com;database=d;uid=u;Application Name=etl;Keepalive=30";
    let cases = vec![case(
        "Dropped",
        conn,
        Expect::Omits(&[
            "Application Name",
            "applicationName",
            "Keepalive",
            "keepalive",
        ]),
    )];
    let lint = run_table(&cases, &[]);
    for key in ["`Application Name`", "`Keepalive`"] {
        let named = lint.lines().any(|l| {
            l.starts_with("linkedService/Dropped.json:")
                && l.contains("ADFPG012")
                && l.contains(key)
        });
        assert!(named, "{key}: {lint}");
    }

    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("linkedService")).unwrap();
    let path = dir.path().join("linkedService/Dropped.json");
    let original = linked_service("Dropped", conn, KEY_VAULT_PASSWORD);
    fs::write(&path, &original).unwrap();
    fs::write(dir.path().join("linkedService/Vault.json"), VAULT).unwrap();
    run(dir.path(), &[".", "--no-config", "--fix"]);
    assert_eq!(fs::read_to_string(&path).unwrap(), original);
}

/// The `[migration]` options each change only their own case: the sslMode of each EncryptionMethod,
/// stripping `@server` from user names, and the authenticationType spelling.
#[test]
fn migration_options_change_what_is_written() {
    let config = r#"
[migration]
ssl-mode-no-encryption = "Require"
ssl-mode-request-ssl = 1
ssl-mode-encrypted = "VerifyFull"
ssl-mode-validated = 0
strip-user-at-server = false
authentication-type = "BasicAuth"
"#;
    let base = "host=pg.postgres.database.azure.com;database=d";
    let cases: Vec<Case> = [
        ("OptNoEncryption", ";uid=u", 3),
        ("OptEm0", ";uid=u;EncryptionMethod=0", 3),
        ("OptRequest", ";uid=u;EncryptionMethod=6", 1),
        ("OptEncrypted", ";uid=u;EncryptionMethod=1", 5),
        ("OptValidated", ";uid=u;EncryptionMethod=1;ValidateServerCertificate=1", 0),
        // HostNameInCertificate is the driver's own VerifyFull, not an option
        (
            "OptHostChecked",
            ";uid=u;EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=pg.postgres.database.azure.com",
            5,
        ),
        // SSL Mode by name is never remapped
        ("OptSslMode", ";uid=u;SSL Mode=Prefer", 2),
    ]
    .into_iter()
    .map(|(name, opts, n)| case(name, leak(format!("{base}{opts}")), ssl_n(n)))
    .chain([case(
        "OptUserAtServer",
        leak(format!("{base};uid=etl@pg")),
        writes(&[
            ("username", json!("etl@pg")),
            ("authenticationType", json!("BasicAuth")),
        ]),
    )])
    .collect();
    run_table_with_config(&cases, &[], Some(config));
}

/// Smaller decisions of the rewrite: a `database` member already there stands in for the key, user
/// names keep an `@` that is not the Single Server habit, an empty string names no host, and a key
/// `SSL Mode` overrides is dropped, which makes the migration an unsafe fix.
#[test]
fn rewrite_details() {
    let cases = vec![
        Case {
            name: "DatabaseMember",
            conn: "host=h.example.com;uid=u",
            extra: leak(format!("{KEY_VAULT_PASSWORD},\n\t\t\t\"database\": \"d0\"")),
            expect: writes(&[
                ("database", json!("d0")),
                ("server", json!("h.example.com")),
            ]),
        },
        case(
            "UserAtServerUpper",
            "host=pg.postgres.database.azure.com;database=d;uid=etl@PG",
            writes(&[("username", json!("etl"))]),
        ),
        // a value that starts with @ is an ADF expression: kept whole
        case(
            "UserOnlyAtServer",
            "host=pg.postgres.database.azure.com;database=d;uid=@pg",
            writes(&[("username", json!("@pg"))]),
        ),
        // an expression is only known at run time: kept whole
        case(
            "UserExpression",
            "host=pg.postgres.database.azure.com;database=d;uid=@{linkedService().u}@pg",
            writes(&[("username", json!("@{linkedService().u}@pg"))]),
        ),
        case("EmptyConn", "", Expect::HeldBack("host")),
        // a URL-form host whose parts agree with the string's own keys is split; one that disagrees is
        // held back (which one the driver used is unknown)
        case(
            "UrlAgrees",
            "host=postgresql://pg.example.com:6432/sales;Port=6432;Database=sales;uid=u",
            writes(&[
                ("server", json!("pg.example.com")),
                ("port", json!("6432")),
                ("database", json!("sales")),
            ]),
        ),
        case(
            "UrlDisagrees",
            "host=postgresql://pg.example.com:6432/sales;Port=5432;uid=u",
            Expect::HeldBack("disagrees"),
        ),
        // only a whole `[…]` is an ARM expression: a value that ends with `]` is text
        case(
            "BracketValue",
            "host=h.example.com;uid=u;database=db[1]",
            writes(&[("database", json!("db[1]"))]),
        ),
        case(
            "ArmExpressionConn",
            "[parameters('cs')]",
            Expect::HeldBack("expression"),
        ),
    ];
    run_table(&cases, &[]);

    // EncryptionMethod next to SSL Mode is dropped: `--fix` alone leaves the file, and says why
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("linkedService")).unwrap();
    let path = dir.path().join("linkedService/Overridden.json");
    let original = linked_service(
        "Overridden",
        "host=h.example.com;database=d;uid=u;SSL Mode=Require;EncryptionMethod=1",
        KEY_VAULT_PASSWORD,
    );
    fs::write(&path, &original).unwrap();
    fs::write(dir.path().join("linkedService/Vault.json"), VAULT).unwrap();
    let out = run(dir.path(), &[".", "--no-config", "--fix"]);
    assert_eq!(fs::read_to_string(&path).unwrap(), original, "{out}");
    assert!(out.contains("[unsafe fix]"), "{out}");
}
