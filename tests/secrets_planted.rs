//! Every secret key and alias, planted in valid, invalid, truncated and non-UTF-8 files, never reaches any
//! output format. The keys are listed here from what holds secrets in ADF and its connection strings, not
//! read from the masking code, so dropping one from the masking fails this test.
//!
//! Each file is one line, with a visible marker right before its secret: a format that shows source shows
//! that line, so the marker proves the secret was on screen (masked), not merely left out.

mod common;
use common::*;
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
];

/// Connection-string keys whose values are secrets: the password's spellings (libpq/Npgsql `Password`,
/// the 1.0 driver's `PWD`, `PSW`) and other services' key and token keys.
const SECRET_PAIRS: &[&str] = &[
    "password",
    "Password",
    "PASSWORD",
    "pwd",
    "PWD",
    "psw",
    "PSW",
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

/// Each place a secret can sit, in a valid single-line 1.0 linked service: (text, marker, token), the
/// marker and token holding `tag` so that every file's are its own.
fn valid_texts(tag: &str) -> Vec<(String, String, String)> {
    let ls = |tp: String| {
        format!(
            r#"{{"name": "pg", "properties": {{"type": "AzurePostgreSql", "typeProperties": {{{tp}}}}}}}"#
        )
    };
    let cs = |rest: &str| format!("host=pg.postgres.database.azure.com;uid=u;{rest}");
    let ids = |kind: &str, i: usize| (format!("qvis{tag}{kind}{i}v"), format!("qz{tag}{kind}{i}z"));
    let mut out = Vec::new();
    for (i, key) in SECRET_MEMBERS.iter().enumerate() {
        let (marker, token) = ids("M", i);
        let tp = format!(
            r#""connectionString": "{}", "note": "{marker}", "{key}": "{token}""#,
            cs("database=d")
        );
        out.push((ls(tp), marker, token));
    }
    for (i, key) in SECRET_PAIRS.iter().enumerate() {
        let (marker, token) = ids("P", i);
        let tp = format!(
            r#""connectionString": "{}""#,
            cs(&format!("database={marker};{key}={token};port=5432"))
        );
        out.push((ls(tp), marker, token));
    }
    // a password inside a URL-form host, and a SecureString under a name that says nothing
    let (marker, token) = ids("U", 0);
    let tp = format!(
        r#""connectionString": "database={marker};host=postgresql://u:{token}@pg.postgres.database.azure.com""#
    );
    out.push((ls(tp), marker, token));
    let (marker, token) = ids("S", 0);
    let tp = format!(
        r#""connectionString": "{}", "note": "{marker}", "other": {{"type": "SecureString", "value": "{token}"}}"#,
        cs("database=d")
    );
    out.push((ls(tp), marker, token));
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
    assert_eq!(
        plants.len(),
        4 * (SECRET_MEMBERS.len() + SECRET_PAIRS.len() + 2)
    );
    let dir = tempfile::tempdir().unwrap();
    plant_all(dir.path(), &plants);
    let mut full = String::new();
    for mode in MODES {
        for format in FORMATS {
            let mut args = vec![".", "--no-config", "--output-format", format];
            args.extend_from_slice(mode);
            let (_, stdout, stderr) = run_in(dir.path(), &args);
            let said = format!("{stdout}{stderr}");
            for p in &plants {
                assert!(
                    !said.contains(&p.token),
                    "{} leaked from {} with {format} {mode:?}:\n{said}",
                    p.token,
                    p.file
                );
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
    assert!(unseen.is_empty(), "never shown: {unseen:?}\n{full}");
    // nothing here was written
    for p in &plants {
        assert_eq!(
            fs::read(dir.path().join("linkedService").join(&p.file)).unwrap(),
            p.bytes
        );
    }
}
