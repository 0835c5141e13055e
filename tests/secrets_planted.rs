//! Every secret key and alias, planted in valid, invalid, truncated and non-UTF-8 files, never reaches any
//! output format. The keys are listed here from what holds secrets in ADF and its connection strings, not
//! read from the masking code, so dropping one from the masking fails this test.
//!
//! Each file is one line, with a visible marker right before its secret: a format that shows source shows
//! that line, so the marker proves the secret was on screen (masked), not merely left out.

mod common;
mod shapes;
use common::*;
use shapes::*;
use std::fs;
use std::path::Path;

/// Members whose values are secrets in ADF linked services (secure properties of the REST model, and the
/// names other services' linked services use for keys and tokens), with case variants.
const SECRET_MEMBERS: &[&str] = &[
    "password",
    "Password",
    "pwd",
    "servicePrincipalKey",
    "servicePrincipalEmbeddedCert",
    "servicePrincipalEmbeddedCertPassword",
    "encryptedCredential",
    "accountKey",
    "sasToken",
    "clientSecret",
    "secret",
    "accessToken",
    // PostgreSqlV2's client-certificate key password (issue 28)
    "sslPassword",
];

/// Connection-string keys whose values are secrets: the password's spellings (libpq/Npgsql `Password`,
/// the 1.0 and legacy drivers' `PWD`, `PSW`), the legacy DataDirect driver's trust-store password,
/// Npgsql's client-key password, and other services' key and token keys.
const SECRET_PAIRS: &[&str] = &[
    "password",
    "Password",
    "PASSWORD",
    "pwd",
    "PWD",
    "psw",
    "PSW",
    "TrustStorePassword",
    "SSL Password",
    "AccountKey",
    "SharedAccessKey",
    "ClientSecret",
    "sig",
];

const FORMATS: &[&str] = &[
    "full", "concise", "json", "sarif", "github", "azure", "junit", "markdown",
];

const MODES: &[&[&str]] = &[&[], &["--show-diff", "--unsafe-fixes"], &["--diff"]];

/// One planted secret: its file, the file's bytes, its marker and its token.
struct Plant {
    file: String,
    bytes: Vec<u8>,
    marker: String,
    token: String,
}

/// Each place a secret can sit, in a valid single-line linked service of each shape (issue 28): (text,
/// marker, token), the marker and token holding `tag` so that every file's are its own. In the
/// connection-string shapes (AzurePostgreSql 1.0, the legacy PostgreSql) as members and as keys of the
/// string, the legacy one also braced as its ODBC driver quotes a value; in PostgreSqlV2 as members and as
/// keys of a string in `server`.
fn valid_texts(tag: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (letter, shape) in [("A", &AZURE_V1), ("L", &LEGACY), ("V", &PG_V2)] {
        let ids = |kind: &str, i: usize| {
            (
                format!("qvis{tag}{letter}{kind}{i}v"),
                format!("qz{tag}{letter}{kind}{i}z"),
            )
        };
        let host = match shape.ls_type {
            "AzurePostgreSql" => "pg.postgres.database.azure.com",
            _ => "pg.example.com",
        };
        // the settings of a linked service of the shape, with a string holding `rest` where it has one
        let settings = |rest: &str| match shape.form {
            Form::ConnectionString => {
                format!(r#""connectionString": "host={host};uid=u;{rest}""#)
            }
            Form::Properties => format!(
                r#""server": "{host}{}", "port": 5432, "database": "d", "username": "u", "sslMode": "Require", "authenticationType": "Basic""#,
                if rest.is_empty() {
                    String::new()
                } else {
                    format!(";{rest}")
                }
            ),
        };
        for (i, key) in SECRET_MEMBERS.iter().enumerate() {
            let (marker, token) = ids("M", i);
            let tp = format!(
                r#"{}, "note": "{marker}", "{key}": "{token}""#,
                settings("database=d")
            );
            out.push((shape.with_type_properties("pg", &tp), marker, token));
        }
        for (i, key) in SECRET_PAIRS.iter().enumerate() {
            let (marker, token) = ids("P", i);
            let tp = settings(&format!("database={marker};{key}={token};port=5432"));
            out.push((shape.with_type_properties("pg", &tp), marker, token));
            if shape.braced() {
                // `{…}` quotes the value: `;` inside, `}}` for a `}`
                let (marker, token) = ids("B", i);
                let tp = settings(&format!(
                    "database={marker};{key}={{{token};x}}}}y}};port=5432"
                ));
                out.push((shape.with_type_properties("pg", &tp), marker, token));
            }
        }
        // a password inside a URL-form host
        if shape.form == Form::ConnectionString {
            let (marker, token) = ids("U", 0);
            let tp = format!(
                r#""connectionString": "database={marker};host=postgresql://u:{token}@{host}""#
            );
            out.push((shape.with_type_properties("pg", &tp), marker, token));
        }
        // a SecureString under a name that says nothing
        let (marker, token) = ids("S", 0);
        let tp = format!(
            r#"{}, "note": "{marker}", "other": {{"type": "SecureString", "value": "{token}"}}"#,
            settings("database=d")
        );
        out.push((shape.with_type_properties("pg", &tp), marker, token));
    }
    out
}

/// Every place in four shapes: valid, invalid (junk after it), truncated right after the secret, and
/// with invalid UTF-8 bytes right after the secret.
fn plants() -> Vec<Plant> {
    let mut out = Vec::new();
    for variant in ["valid", "invalid", "truncated", "nonutf8"] {
        for (i, (text, marker, token)) in valid_texts(variant).into_iter().enumerate() {
            let after_secret = text.find(&token).unwrap() + token.len() + 1;
            let bytes = match variant {
                "valid" => text.into_bytes(),
                "invalid" => format!("{text} ,").into_bytes(),
                "truncated" => text.as_bytes()[..after_secret].to_vec(),
                _ => [
                    &text.as_bytes()[..after_secret],
                    b"\xff\xfe",
                    &text.as_bytes()[after_secret..],
                ]
                .concat(),
            };
            out.push(Plant {
                file: format!("{variant}{i}.json"),
                bytes,
                marker,
                token,
            });
        }
    }
    out
}

fn plant_all(dir: &Path, plants: &[Plant]) {
    let ls = dir.join("linkedService");
    fs::create_dir_all(&ls).unwrap();
    for p in plants {
        fs::write(ls.join(&p.file), &p.bytes).unwrap();
    }
}

#[test]
fn every_secret_key_in_every_file_shape_is_masked_in_every_format() {
    let plants = plants();
    let (members, pairs) = (SECRET_MEMBERS.len(), SECRET_PAIRS.len());
    // per variant: 1.0 and legacy (the latter braced too) with a URL and a SecureString, V2 with a SecureString
    let per_variant = (members + pairs + 2) + (members + 2 * pairs + 2) + (members + pairs + 1);
    assert_eq!(plants.len(), 4 * per_variant);
    let dir = tempfile::tempdir().unwrap();
    plant_all(dir.path(), &plants);
    let mut full = String::new();
    // every leak: (file, its text, the runs that printed its token)
    let mut leaked: std::collections::BTreeMap<&str, (String, Vec<String>)> = Default::default();
    for mode in MODES {
        for format in FORMATS {
            let mut args = vec![".", "--no-config", "--output-format", format];
            args.extend_from_slice(mode);
            let (_, stdout, stderr) = run_in(dir.path(), &args);
            let said = format!("{stdout}{stderr}");
            for p in plants.iter().filter(|p| said.contains(&p.token)) {
                leaked
                    .entry(&p.file)
                    .or_insert_with(|| (String::from_utf8_lossy(&p.bytes).into_owned(), Vec::new()))
                    .1
                    .push(format!("{format} {mode:?}"));
            }
            if *format == "full" {
                full += &said;
            }
        }
    }
    // the lines were shown: every file's marker, right before its secret, is in the full output
    let unseen: Vec<&str> = plants
        .iter()
        .filter(|p| !full.contains(&p.marker))
        .map(|p| p.file.as_str())
        .collect();
    assert!(
        leaked.is_empty() && unseen.is_empty(),
        "secrets leaked: {leaked:#?}\nnever shown: {unseen:?}"
    );
    // nothing here was written
    for p in &plants {
        assert_eq!(
            fs::read(dir.path().join("linkedService").join(&p.file)).unwrap(),
            p.bytes
        );
    }
}
