//! The bad-input matrix (issue 5): every odd file gives a clear finding or error that names the file and a
//! location, the run carries on with the other files, nothing panics, and the odd file is never written.
//! Issue 28: each case runs in every connector's shape (`shapes`): AzurePostgreSql 1.0, the legacy
//! PostgreSql and PostgreSqlV2, with the good file beside it of the same shape.

mod common;
mod shapes;
use common::*;
use shapes::*;
use std::fs;

/// A 1.0 linked service that `--fix` migrates with a safe fix: proof that the run carried on.
const GOOD_V1: &str = AZURE_V1.good;

fn assert_no_panic(code: i32, stderr: &str) {
    assert!(
        (0..=2).contains(&code) && !stderr.contains("panicked"),
        "exit {code}, stderr: {stderr}"
    );
}

/// Put `name` with `bytes` beside a good 1.0 file, run `--fix` (concise), and check: the expected line is
/// printed, the good file was migrated, the bad file kept its bytes. Returns the output.
fn fix_beside_good(name: &str, bytes: &[u8], expected: &str) -> String {
    fix_beside(&AZURE_V1, name, bytes, expected)
}

/// [`fix_beside_good`] with the good file of `shape`, fixed by that shape's safe fix.
fn fix_beside(shape: &Shape, name: &str, bytes: &[u8], expected: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join(name);
    fs::write(&bad, bytes).unwrap();
    fs::write(dir.path().join("good.json"), shape.good).unwrap();
    let (code, out, err) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
    assert_no_panic(code, &err);
    let what = shape.label;
    assert!(
        out.contains(expected),
        "{what} {name}: want {expected:?} in\n{out}"
    );
    assert_eq!(
        fs::read(&bad).unwrap(),
        bytes,
        "{what} {name} must be untouched"
    );
    let good = fs::read_to_string(dir.path().join("good.json")).unwrap();
    assert!(
        good.contains(shape.fixed) && out.contains(&format!("fixed good.json: {}", shape.fix_code)),
        "{what}: the run must carry on past {name}: {out}"
    );
    out
}

/// The span of a JSON syntax error covers the offending character whole: one byte for ASCII, every
/// byte of a multi-byte one (so editors and SARIF viewers underline it, and no span splits a character).
#[test]
fn a_syntax_error_spans_the_whole_offending_character() {
    let mut cases: Vec<(String, u64, u64)> = Vec::new();
    for shape in SHAPES {
        let prefix = format!(r#"{{"type": "{}", "a": "#, shape.ls_type);
        cases.extend(
            [("x", 1), ("\u{e9}", 2), ("\u{1F600}", 4)]
                .into_iter()
                .map(|(bad, len)| (format!("{prefix}{bad}}}"), prefix.len() as u64, len)),
        );
        // at the very first byte
        cases.push((format!(r#"x{{"type": "{}"}}"#, shape.ls_type), 0, 1));
    }
    for (text, start, len) in cases {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("bad.json"), &text).unwrap();
        let (_, out, _) = run_in(dir.path(), &["--output-format", "json", "--exit-zero", "."]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        let f = &v["findings"][0];
        assert_eq!(f["code"], "ADFPG100", "{out}");
        assert_eq!(
            (f["span"]["start"].as_u64(), f["span"]["end"].as_u64()),
            (Some(start), Some(start + len)),
            "{text}: {out}"
        );
    }
}

#[test]
fn empty_and_blank_files_are_invalid_json() {
    for shape in SHAPES {
        fix_beside(
            shape,
            "empty.json",
            b"",
            "empty.json:1:1: ADFPG100 [error] file is not valid JSON: the file is empty",
        );
        fix_beside(
            shape,
            "blank.json",
            b"\xEF\xBB\xBF \r\n\t\n",
            "blank.json:3:1: ADFPG100 [error] file is not valid JSON: the file holds only whitespace",
        );
    }
}

#[test]
fn truncated_json() {
    let full = GOOD_V1.as_bytes();
    fix_beside_good(
        "truncated.json",
        &full[..120],
        "truncated.json:6:13: ADFPG100 [error] file is not valid JSON: unterminated string",
    );
    fix_beside_good(
        "cut.json",
        &full[..full.len() - 8],
        "cut.json:8:1: ADFPG100 [error] file is not valid JSON: unexpected end of file: expected `,` or `}`",
    );
    // each shape cut inside its password (the string that never ends is located at its opening
    // quote: the connection string's, or the password's own) and before its last two closing braces
    for shape in SHAPES {
        let full = shape.good.as_bytes();
        let cut = &full[..shape.password_at(shape.good) + 1];
        let quote = cut.iter().rposition(|b| *b == b'"').unwrap();
        fix_beside(
            shape,
            "truncated.json",
            cut,
            &format!(
                "truncated.json:{}: ADFPG100 [error] file is not valid JSON: unterminated string",
                at(cut, quote)
            ),
        );
        let cut = &full[..full.len() - 8];
        fix_beside(
            shape,
            "cut.json",
            cut,
            &format!(
                "cut.json:{}: ADFPG100 [error] file is not valid JSON: unexpected end of file: expected `,` or `}}`",
                at(cut, cut.len())
            ),
        );
    }
}

#[test]
fn trailing_garbage() {
    let text = format!("{GOOD_V1}\n<<<<<<< HEAD\n");
    fix_beside_good(
        "merge.json",
        text.as_bytes(),
        "merge.json:11:1: ADFPG100 [error] file is not valid JSON: unexpected content after the end of the JSON value",
    );
    for shape in SHAPES {
        let text = format!("{}\n<<<<<<< HEAD\n", shape.good);
        fix_beside(
            shape,
            "merge.json",
            text.as_bytes(),
            &format!(
                "merge.json:{}: ADFPG100 [error] file is not valid JSON: unexpected content after the end of the JSON value",
                at(text.as_bytes(), shape.good.len() + 1)
            ),
        );
    }
}

#[test]
fn comments_and_trailing_commas() {
    let comment = GOOD_V1.replace("\"name\"", "// the linked service\n    \"name\"");
    fix_beside_good(
        "comment.json",
        comment.as_bytes(),
        "comment.json:2:5: ADFPG100 [error] file is not valid JSON: expected a double-quoted key, found `/`",
    );
    let block = GOOD_V1.replacen('{', "/* c */ {", 1);
    fix_beside_good(
        "block.json",
        block.as_bytes(),
        "block.json:1:1: ADFPG100 [error] file is not valid JSON: comments are not allowed in JSON",
    );
    let comma = GOOD_V1.replace("sslmode=Require\"", "sslmode=Require\",");
    fix_beside_good(
        "comma.json",
        comma.as_bytes(),
        "comma.json:7:9: ADFPG100 [error] file is not valid JSON: trailing comma before `}`",
    );
    let array = r#"{"name": "x", "properties": {"type": "AzurePostgreSql", "annotations": [1,]}}"#;
    fix_beside_good(
        "array.json",
        array.as_bytes(),
        "array.json:1:75: ADFPG100 [error] file is not valid JSON: trailing comma before `]`",
    );
    for shape in SHAPES {
        let comment = shape
            .good
            .replace("\"name\"", "// the linked service\n    \"name\"");
        fix_beside(
            shape,
            "comment.json",
            comment.as_bytes(),
            &format!(
                "comment.json:{}: ADFPG100 [error] file is not valid JSON: expected a double-quoted key, found `/`",
                at(comment.as_bytes(), comment.find("//").unwrap())
            ),
        );
        let block = shape.good.replacen('{', "/* c */ {", 1);
        fix_beside(
            shape,
            "block.json",
            block.as_bytes(),
            "block.json:1:1: ADFPG100 [error] file is not valid JSON: comments are not allowed in JSON",
        );
        // a comma after the last member of `typeProperties`
        let end = "\n        }\n    }\n}";
        let comma = shape.good.replace(end, &format!(",{end}"));
        fix_beside(
            shape,
            "comma.json",
            comma.as_bytes(),
            &format!(
                "comma.json:{}: ADFPG100 [error] file is not valid JSON: trailing comma before `}}`",
                at(comma.as_bytes(), comma.find(end).unwrap() + 9)
            ),
        );
        let array = format!(
            r#"{{"name": "x", "properties": {{"type": "{}", "annotations": [1,]}}}}"#,
            shape.ls_type
        );
        fix_beside(
            shape,
            "array.json",
            array.as_bytes(),
            &format!(
                "array.json:{}: ADFPG100 [error] file is not valid JSON: trailing comma before `]`",
                at(array.as_bytes(), array.find(",]").unwrap() + 1)
            ),
        );
    }
}

#[test]
fn duplicate_keys_are_reported_and_block_the_migration() {
    let dup = GOOD_V1.replace(
        "\"connectionString\"",
        "\"connectionString\": \"host=other;database=d;uid=u\",\n            \"connectionString\"",
    );
    let out = fix_beside_good(
        "dup.json",
        dup.as_bytes(),
        "dup.json:7:13: ADFPG101 [warning] key `connectionString` appears more than once in the same object; ADF keeps only one",
    );
    assert!(
        out.contains("dup.json:4:17: ADFPG001 [warning] linked service `PgGood` uses AzurePostgreSql connector version 1.0 and cannot be migrated automatically: `connectionString` appears twice"),
        "{out}"
    );
    // a duplicate `typeProperties` blocks it too; a duplicate elsewhere is only reported
    let dup_tp = GOOD_V1.replace(
        "\"typeProperties\"",
        "\"typeProperties\": {},\n        \"typeProperties\"",
    );
    let out = fix_beside_good("duptp.json", dup_tp.as_bytes(), "duptp.json:6:9: ADFPG101");
    assert!(out.contains("`typeProperties` appears twice"), "{out}");
}

/// The reason a connection-string shape's migration is held back, on the line of its finding.
fn assert_held_back(out: &str, file: &str, shape: &Shape, reason: &str) {
    assert!(
        out.lines().any(|l| l.starts_with(&format!("{file}:"))
            && l.contains(&format!(" {} ", shape.fix_code))
            && l.contains(&format!("cannot be migrated automatically: {reason}"))),
        "{}: {file}: want {reason:?} in\n{out}",
        shape.label
    );
}

/// Issue 28: the duplicates of `duplicate_keys_are_reported_and_block_the_migration` in each
/// connection-string shape, and a setting given twice inside the string under two of the driver's
/// spellings (`host=a;server=b`, `password=…;PWD=…`): each blocks the migration and says why; the good
/// file beside it is migrated.
#[test]
fn duplicate_keys_block_the_migration_in_every_shape() {
    for shape in [&AZURE_V1, &LEGACY] {
        let good = shape.good;
        let dup = good.replace(
            "\"connectionString\"",
            "\"connectionString\": \"host=other;database=d;uid=u\",\n            \"connectionString\"",
        );
        let second = dup.rfind("\"connectionString\"").unwrap();
        let out = fix_beside(
            shape,
            "dup.json",
            dup.as_bytes(),
            &format!(
                "dup.json:{}: ADFPG101 [warning] key `connectionString` appears more than once in the same object; ADF keeps only one",
                at(dup.as_bytes(), second)
            ),
        );
        assert_held_back(&out, "dup.json", shape, "`connectionString` appears twice");
        let dup_tp = good.replace(
            "\"typeProperties\"",
            "\"typeProperties\": {},\n        \"typeProperties\"",
        );
        let second = dup_tp.rfind("\"typeProperties\"").unwrap();
        let out = fix_beside(
            shape,
            "duptp.json",
            dup_tp.as_bytes(),
            &format!("duptp.json:{}: ADFPG101", at(dup_tp.as_bytes(), second)),
        );
        assert_held_back(&out, "duptp.json", shape, "`typeProperties` appears twice");
        let ty = format!("\"type\": \"{}\",", shape.ls_type);
        let dup_type = good.replacen(&ty, &format!("{ty}\n        {ty}"), 1);
        let second = dup_type.rfind(&ty).unwrap();
        let out = fix_beside(
            shape,
            "duptype.json",
            dup_type.as_bytes(),
            &format!("duptype.json:{}: ADFPG101", at(dup_type.as_bytes(), second)),
        );
        assert_held_back(&out, "duptype.json", shape, "`type` appears twice");
        // one setting twice in the string: which one a driver takes differs
        for (from, to, keys) in [
            ("host=", "host=a;server=", "(`host` and `server`)"),
            (
                "password=pw",
                "password=pw;PWD=other",
                "(`password` and `PWD`)",
            ),
        ] {
            let twice = good.replacen(from, to, 1);
            let out = fix_beside(shape, "twice.json", twice.as_bytes(), "twice.json:");
            assert_held_back(
                &out,
                "twice.json",
                shape,
                &format!("the connection string sets the same thing twice {keys}"),
            );
        }
    }
}

/// Issue 28: a duplicate member in a new-generation definition (PostgreSqlV2 as AzurePostgreSql 2.0) is
/// reported at its second key; `--fix` never adds one, nor removes one (which copy ADF reads is
/// undocumented), and the file stays strict JSON.
#[test]
fn duplicate_keys_are_reported_in_new_generation_definitions() {
    for shape in [&AZURE_V2, &PG_V2] {
        for (key, copy) in [
            (
                "\"server\"",
                "\"server\": \"other.example.com\",\n            \"server\"",
            ),
            (
                "\"password\"",
                "\"password\": {\"type\": \"SecureString\", \"value\": \"other\"},\n            \"password\"",
            ),
            (
                "\"typeProperties\"",
                "\"typeProperties\": {},\n        \"typeProperties\"",
            ),
            ("\"type\"", "\"type\": \"MySql\",\n        \"type\""),
        ] {
            let text = shape.good.replacen(key, copy, 1);
            let dir = tempfile::tempdir().unwrap();
            fs::write(dir.path().join("dup.json"), &text).unwrap();
            let (code, out, err) = run_in(dir.path(), &["--output-format", "concise", "."]);
            assert_no_panic(code, &err);
            let name = key.trim_matches('"');
            let want = format!(
                "dup.json:{}: ADFPG101 [warning] key `{name}` appears more than once in the same object; ADF keeps only one",
                at(
                    text.as_bytes(),
                    text.find(copy).unwrap() + copy.len() - key.len()
                )
            );
            assert!(
                out.contains(&want),
                "{}: want {want:?} in\n{out}",
                shape.label
            );
            let (code, out, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
            assert_no_panic(code, &err);
            let after = fs::read_to_string(dir.path().join("dup.json")).unwrap();
            assert_eq!(
                after.matches(key).count(),
                text.matches(key).count(),
                "{}: {name}: {out}\n{after}",
                shape.label
            );
            serde_json::from_str::<serde_json::Value>(&after)
                .unwrap_or_else(|e| panic!("{}: {name}: {e}: {after}", shape.label));
        }
    }
}

/// A value of each JSON type where a property is read (a string that names a type, a huge float, an
/// array, an empty object, a SecureString holding a number, a Key Vault reference without its store,
/// null, a boolean).
fn wrong_values() -> [serde_json::Value; 8] {
    [
        serde_json::json!("AzurePostgreSql"),
        serde_json::json!(-1.5e300),
        serde_json::json!(["AzurePostgreSql"]),
        serde_json::json!({}),
        serde_json::json!({"type": "SecureString", "value": 7}),
        serde_json::json!({"type": "AzureKeyVaultSecret"}),
        serde_json::json!(null),
        serde_json::json!(true),
    ]
}

/// Every JSON pointer below `v` (object members and array items).
fn pointers(v: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    let children: Vec<(String, &serde_json::Value)> = match v {
        serde_json::Value::Object(m) => m.iter().map(|(k, c)| (k.clone(), c)).collect(),
        serde_json::Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, c)| (i.to_string(), c))
            .collect(),
        _ => Vec::new(),
    };
    for (k, c) in children {
        let p = format!("{at}/{k}");
        out.push(p.clone());
        pointers(c, &p, out);
    }
}

/// Issue 28: the same matrix over the legacy connector's dataset and Copy/Lookup sources, in a factory
/// whose legacy linked service `--fix` migrates (so their fixes are tried): every member of a
/// `PostgreSqlTable` dataset and of a pipeline's activities given each wrong type, one file each. No
/// panic in any format; each dataset still of the legacy type is ADFPG061, each source still
/// `PostgreSqlSource` ADFPG062, whatever its other members; the fix leaves valid JSON and is idempotent.
#[test]
fn wrong_types_in_legacy_datasets_and_sources() {
    let dir = tempfile::tempdir().unwrap();
    for sub in ["linkedService", "dataset", "pipeline"] {
        fs::create_dir(dir.path().join(sub)).unwrap();
    }
    fs::write(dir.path().join("linkedService/PgGood.json"), LEGACY.good).unwrap();
    let dataset = |name: &str| {
        serde_json::json!({
            "name": name,
            "properties": {
                "linkedServiceName": {"referenceName": "PgGood", "type": "LinkedServiceReference"},
                "parameters": {"t": {"type": "string"}},
                "annotations": [],
                "type": "PostgreSqlTable",
                "schema": [{"name": "amount", "type": "money"}],
                "typeProperties": {"tableName": "public.orders"}
            }
        })
    };
    fs::write(
        dir.path().join("dataset/Orders.json"),
        serde_json::to_string_pretty(&dataset("Orders")).unwrap(),
    )
    .unwrap();
    let pipeline = |name: &str| {
        serde_json::json!({
            "name": name,
            "properties": {
                "activities": [
                    {
                        "name": "Copy orders", "type": "Copy",
                        "inputs": [{"referenceName": "Orders", "type": "DatasetReference"}],
                        "outputs": [],
                        "typeProperties": {
                            "source": {"type": "PostgreSqlSource", "query": "select 1", "queryTimeout": "02:00:00"},
                            "sink": {"type": "ParquetSink"}
                        }
                    },
                    {
                        "name": "Look up", "type": "Lookup",
                        "typeProperties": {
                            "source": {"type": "PostgreSqlSource", "query": {"value": "@pipeline().parameters.q", "type": "Expression"}},
                            "dataset": {"referenceName": "Orders", "type": "DatasetReference"},
                            "firstRowOnly": false
                        }
                    }
                ]
            }
        })
    };
    let mut written = Vec::new();
    for (kind, base) in [("dataset", dataset("ds")), ("pipeline", pipeline("pl"))] {
        let mut ps = Vec::new();
        pointers(&base, "", &mut ps);
        for p in &ps {
            for (i, w) in wrong_values().iter().enumerate() {
                let mut doc = base.clone();
                *doc.pointer_mut(p).unwrap() = w.clone();
                let name = format!("{}{}-{i}", &kind[..2], p.replace('/', "_"));
                if let Some(n) = doc.get_mut("name").filter(|n| n.is_string()) {
                    *n = serde_json::json!(name);
                }
                let file = format!("{kind}/{name}.json");
                fs::write(
                    dir.path().join(&file),
                    serde_json::to_string_pretty(&doc).unwrap(),
                )
                .unwrap();
                written.push((file, doc));
            }
        }
    }
    assert!(written.len() > 200, "{}", written.len());
    let mut json_out = String::new();
    for format in [
        "full", "concise", "json", "sarif", "github", "azure", "junit", "markdown",
    ] {
        let (code, out, err) = run_in(dir.path(), &["--output-format", format, "."]);
        assert_no_panic(code, &err);
        assert_eq!(
            code, 1,
            "{format}: findings, and nothing the tool could not do: {err}"
        );
        if format == "json" {
            json_out = out;
        }
    }
    let report: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let mut missed = Vec::new();
    for (file, doc) in &written {
        let has = |code: &str| {
            findings
                .iter()
                .any(|f| f["path"] == *file && f["code"] == code)
        };
        if doc.pointer("/properties/type") == Some(&serde_json::json!("PostgreSqlTable"))
            && !has("ADFPG061")
        {
            missed.push(format!("{file}: want ADFPG061"));
        }
        let activities = doc
            .pointer("/properties/activities")
            .and_then(|a| a.as_array())
            .cloned()
            .unwrap_or_default();
        let sources = activities
            .iter()
            .filter(|a| {
                a.pointer("/typeProperties/source/type")
                    == Some(&serde_json::json!("PostgreSqlSource"))
                    && a["name"].is_string()
            })
            .count();
        let reported = findings
            .iter()
            .filter(|f| f["path"] == *file && f["code"] == "ADFPG062")
            .count();
        if reported < sources {
            missed.push(format!(
                "{file}: want ADFPG062 on {sources} sources, have {reported}"
            ));
        }
    }
    assert!(missed.is_empty(), "{missed:#?}");
    let before = snapshot_tree(dir.path());
    let (code, _, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_no_panic(code, &err);
    let after = snapshot_tree(dir.path());
    assert_ne!(
        before["linkedService/PgGood.json"], after["linkedService/PgGood.json"],
        "migrated"
    );
    for (name, bytes) in &after {
        if before[name] != *bytes {
            serde_json::from_slice::<serde_json::Value>(bytes)
                .unwrap_or_else(|e| panic!("{name}: the fix broke the JSON: {e}"));
        }
    }
    let (code, out, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_no_panic(code, &err);
    assert_eq!(after, snapshot_tree(dir.path()), "idempotent: {out}");
}

/// One linked-service document per wrong type at every place a property is read, all in one directory:
/// no panic in any output format, each file either untouched or fixed into valid JSON, and the properties
/// the rules read get a finding that points at them.
#[test]
fn wrong_types_everywhere() {
    let v1 = serde_json::json!({
        "name": "pg",
        "properties": {
            "type": "AzurePostgreSql",
            "version": "1.0",
            "annotations": [],
            "connectVia": {"referenceName": "ir", "type": "IntegrationRuntimeReference"},
            "parameters": {"db": {"type": "String"}},
            "typeProperties": {
                "connectionString": {"type": "SecureString", "value": "host=h.postgres.database.azure.com;database=d;uid=u@h;password=p;EncryptionMethod=1;ValidateServerCertificate=1"},
                "password": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "kv", "type": "LinkedServiceReference"}, "secretName": "s"},
                "encryptedCredential": "abc"
            }
        }
    });
    let v2 = serde_json::json!({
        "name": "pg2",
        "properties": {
            "type": "AzurePostgreSql",
            "version": "2.0",
            "typeProperties": {
                "server": "h", "port": 5432, "database": "d", "sslMode": 3, "username": "u",
                "authenticationType": "ServicePrincipal", "servicePrincipalId": "id",
                "servicePrincipalCredentialType": "ServicePrincipalKey",
                "servicePrincipalKey": {"type": "SecureString", "value": "k"},
                "tenant": "t", "azureCloudType": "AzurePublic", "trustServerCertificate": false,
                "timeout": 30, "commandTimeout": 30, "readBufferSize": 8192, "pooling": true,
                "connectionString": "host=h"
            }
        }
    });
    // issue 28: the legacy connector's members (an ODBC string, its password braced) and PostgreSqlV2's
    let legacy = serde_json::json!({
        "name": "pg3",
        "properties": {
            "type": "PostgreSql",
            "annotations": [],
            "connectVia": {"referenceName": "ir", "type": "IntegrationRuntimeReference"},
            "parameters": {"db": {"type": "String"}},
            "typeProperties": {
                "connectionString": {"type": "SecureString", "value": "host=h.example.com;port=5432;database=d;uid=u;pwd={p;w}}d};EncryptionMethod=1;ValidateServerCertificate=1"},
                "password": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "kv", "type": "LinkedServiceReference"}, "secretName": "s"},
                "encryptedCredential": "abc"
            }
        }
    });
    let pgv2 = serde_json::json!({
        "name": "pg4",
        "properties": {
            "type": "PostgreSqlV2",
            "typeProperties": {
                "server": "h.example.com", "port": 5432, "database": "d", "username": "u",
                "password": {"type": "SecureString", "value": "p"},
                "sslMode": 4, "authenticationType": "Basic", "schema": "public", "pooling": true,
                "connectionTimeout": 30, "commandTimeout": 30, "trustServerCertificate": false,
                "sslCertificate": "c", "sslKey": "k", "sslPassword": {"type": "SecureString", "value": "sp"},
                "readBufferSize": 8192, "logParameters": false, "timezone": "UTC", "encoding": "UTF8",
                "encryptedCredential": "abc"
            }
        }
    });
    let wrong = wrong_values();
    fn paths(v: &serde_json::Value, at: String, out: &mut Vec<String>) {
        if let Some(m) = v.as_object() {
            for (k, c) in m {
                let p = format!("{at}/{k}");
                out.push(p.clone());
                paths(c, p, out);
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for (base_name, base) in [
        ("v1", &v1),
        ("v2", &v2),
        ("legacy", &legacy),
        ("pgv2", &pgv2),
    ] {
        let mut ps = Vec::new();
        paths(base, String::new(), &mut ps);
        for p in &ps {
            for (i, w) in wrong.iter().enumerate() {
                let mut doc = base.clone();
                *doc.pointer_mut(p).unwrap() = w.clone();
                let name = format!("{base_name}{}-{i}.json", p.replace('/', "_"));
                let text = serde_json::to_string_pretty(&doc).unwrap();
                fs::write(dir.path().join(&name), &text).unwrap();
                written.push((name, p.clone(), i, text));
            }
        }
    }
    assert!(written.len() > 600, "{}", written.len());
    let before = snapshot_tree(dir.path());
    let mut json_out = String::new();
    // every output format (as the README promises), each whole: the JSON ones parse
    for format in [
        "full", "concise", "json", "sarif", "github", "azure", "junit", "markdown",
    ] {
        let (code, out, err) = run_in(dir.path(), &["--output-format", format, "."]);
        assert_no_panic(code, &err);
        assert_eq!(
            code, 1,
            "{format}: findings, and nothing the tool could not do"
        );
        assert!(
            out.contains("v2_properties_typeProperties_port-3.json"),
            "{format}: {out}"
        );
        if matches!(format, "json" | "sarif") {
            serde_json::from_str::<serde_json::Value>(&out)
                .unwrap_or_else(|e| panic!("{format} is not JSON ({e}): {out}"));
        }
        if format == "json" {
            json_out = out;
        }
    }
    let report: serde_json::Value = serde_json::from_str(&json_out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let hit = |file: &str, code: &str, pointer: &str| {
        findings
            .iter()
            .any(|f| f["path"] == file && f["code"] == code && f["pointer"] == pointer)
    };
    // the properties the rules read, given a wrong type (index into `wrong`)
    let mut missed = Vec::new();
    let expected = [
        (
            "v1_properties_typeProperties-2.json",
            "ADFPG001",
            "/properties/version",
        ),
        (
            "v1_properties_typeProperties_connectionString-1.json",
            "ADFPG001",
            "/properties/version",
        ),
        (
            "v1_properties_version-1.json",
            "ADFPG017",
            "/properties/version",
        ),
        (
            "v2_properties_typeProperties_port-3.json",
            "ADFPG015",
            "/properties/typeProperties/port",
        ),
        (
            "v2_properties_typeProperties_sslMode-2.json",
            "ADFPG006",
            "/properties/typeProperties/sslMode",
        ),
        (
            "v2_properties_typeProperties_authenticationType-1.json",
            "ADFPG007",
            "/properties/typeProperties/authenticationType",
        ),
        (
            "v2_properties_typeProperties_azureCloudType-7.json",
            "ADFPG007",
            "/properties/typeProperties/azureCloudType",
        ),
        (
            "v2_properties_typeProperties_server-6.json",
            "ADFPG002",
            "/properties/typeProperties/server",
        ),
        (
            "v2_properties_typeProperties_server-1.json",
            "ADFPG002",
            "/properties/typeProperties/server",
        ),
        (
            "v2_properties_typeProperties_database-2.json",
            "ADFPG002",
            "/properties/typeProperties/database",
        ),
        (
            "v2_properties_typeProperties_username-3.json",
            "ADFPG002",
            "/properties/typeProperties/username",
        ),
        (
            "v2_properties_typeProperties-0.json",
            "ADFPG002",
            "/properties/typeProperties",
        ),
    ];
    // issue 28: the legacy connection string as a number, an array, an object, a boolean, and
    // `typeProperties` that is not an object: the legacy finding (at the type, as for every legacy
    // service), whose migration is held back
    let mut new_types: Vec<(String, &str, &str)> = Vec::new();
    for i in [1, 2, 3, 7] {
        new_types.push((
            format!("legacy_properties_typeProperties_connectionString-{i}.json"),
            "ADFPG060",
            "/properties/type",
        ));
    }
    for i in [0, 2, 7] {
        new_types.push((
            format!("legacy_properties_typeProperties-{i}.json"),
            "ADFPG060",
            "/properties/type",
        ));
    }
    // PostgreSqlV2: port, sslMode and authenticationType of any wrong type; a required property missing
    // (null, or of a type that cannot hold it); every typed property of the connector's table
    let tp = "/properties/typeProperties";
    for (member, code, wrongs) in [
        ("port", "ADFPG015", &[0, 1, 2, 3, 7][..]),
        ("sslMode", "ADFPG006", &[0, 1, 2, 3, 7]),
        ("authenticationType", "ADFPG007", &[0, 1, 2, 7]),
        ("server", "ADFPG002", &[1, 6]),
        ("database", "ADFPG002", &[2, 6]),
        ("username", "ADFPG002", &[3, 6]),
        ("authenticationType", "ADFPG002", &[6]),
        ("password", "ADFPG022", &[1, 2, 7]),
        ("sslPassword", "ADFPG022", &[1, 2, 7]),
        ("trustServerCertificate", "ADFPG022", &[0, 2]),
        ("pooling", "ADFPG022", &[0, 3]),
        ("logParameters", "ADFPG022", &[1]),
        ("connectionTimeout", "ADFPG022", &[2, 7]),
        ("commandTimeout", "ADFPG022", &[3]),
        ("readBufferSize", "ADFPG022", &[7]),
        ("schema", "ADFPG022", &[1, 3]),
        ("timezone", "ADFPG022", &[2]),
        ("encoding", "ADFPG022", &[7]),
        ("sslCertificate", "ADFPG022", &[1]),
        ("sslKey", "ADFPG022", &[2]),
    ] {
        for i in wrongs {
            new_types.push((
                format!("pgv2_properties_typeProperties_{member}-{i}.json"),
                code,
                "",
            ));
        }
    }
    new_types.push((
        "pgv2_properties_typeProperties-0.json".into(),
        "ADFPG002",
        tp,
    ));
    let pointers: Vec<(String, &str, String)> = new_types
        .into_iter()
        .map(|(file, code, pointer)| {
            let pointer = if pointer.is_empty() {
                let member = file
                    .trim_start_matches("pgv2_properties_typeProperties_")
                    .split('-')
                    .next()
                    .unwrap();
                format!("{tp}/{member}")
            } else {
                pointer.to_string()
            };
            (file, code, pointer)
        })
        .collect();
    for (file, code, pointer) in expected.iter().copied().chain(
        pointers
            .iter()
            .map(|(f, c, p)| (f.as_str(), *c, p.as_str())),
    ) {
        if !hit(file, code, pointer) {
            missed.push(format!(
                "{file}: want {code} at {pointer}, have {:?}",
                findings
                    .iter()
                    .filter(|f| f["path"] == file)
                    .map(|f| (&f["code"], &f["pointer"]))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(missed.is_empty(), "{missed:#?}");
    // `properties` that is not an object: not recognisable as a linked service, so nothing to say
    for file in [
        "v1_properties-0.json",
        "legacy_properties-0.json",
        "pgv2_properties-0.json",
    ] {
        assert!(!findings.iter().any(|f| f["path"] == file), "{file}");
    }
    // the legacy string of a wrong type says why it cannot be migrated
    for (i, kind) in [
        (1, "a number"),
        (2, "an array"),
        (3, "an object"),
        (7, "a boolean"),
    ] {
        let file = format!("legacy_properties_typeProperties_connectionString-{i}.json");
        let why = format!("`connectionString` is {kind}, not a string");
        assert!(
            findings
                .iter()
                .any(|f| f["path"] == file && f["message"].as_str().unwrap().contains(&why)),
            "{file}: want {why:?}"
        );
    }

    let (code, _, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_no_panic(code, &err);
    let after = snapshot_tree(dir.path());
    for (name, ..) in &written {
        if before[name] != after[name] {
            serde_json::from_slice::<serde_json::Value>(&after[name])
                .unwrap_or_else(|e| panic!("{name}: the fix broke the JSON: {e}"));
        }
    }
    let (code, out, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_no_panic(code, &err);
    assert_eq!(after, snapshot_tree(dir.path()), "idempotent: {out}");
}

/// Issue 28: out-of-range values in each shape, where the connector reads them: a port that is not a
/// number from 1 to 65535 (a word, a fraction, past u64, 0, 65536, negative) is ADFPG015 at the property
/// or at the connection string; an sslMode that is not an integer from 0 to 5 is ADFPG006; an
/// authenticationType the connector does not know is ADFPG007. No fix writes any of them: every file keeps
/// its bytes under `--fix --unsafe-fixes`.
#[test]
fn out_of_range_values_are_located_in_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let mut want: Vec<(String, &str, String)> = Vec::new();
    let ports = ["x", "5432.5", "99999999999999999999", "0", "65536", "-1"];
    let cs = "/properties/typeProperties/connectionString";
    for shape in ALL_SHAPES {
        let tag = shape.ls_type.to_lowercase()
            + if shape.label.ends_with("2.0") {
                "2"
            } else {
                ""
            };
        match shape.form {
            Form::ConnectionString => {
                let base = match shape.ls_type {
                    "PostgreSql" => "host=pg.example.com;database=d;uid=u;password=p",
                    _ => "host=pg.postgres.database.azure.com;database=d;uid=u;password=p",
                };
                for (i, port) in ports.iter().enumerate() {
                    let tp = format!(r#""connectionString": "{base};port={port}""#);
                    let file = format!("{tag}-port{i}.json");
                    fs::write(
                        dir.path().join(&file),
                        shape.with_type_properties("pg", &tp),
                    )
                    .unwrap();
                    want.push((file, "ADFPG015", cs.to_string()));
                }
                // the legacy driver's spelling of the key
                let tp = format!(r#""connectionString": "{base};PortNumber=70000""#);
                let file = format!("{tag}-portnumber.json");
                fs::write(
                    dir.path().join(&file),
                    shape.with_type_properties("pg", &tp),
                )
                .unwrap();
                want.push((file, "ADFPG015", cs.to_string()));
            }
            Form::Properties => {
                let member = |name: &str, value: &str| {
                    // (sslMode as a name has a fix of its own: written as VerifyCA here)
                    let good = shape
                        .one_line("pg", "")
                        .replace("\"sslMode\": \"Require\"", "\"sslMode\": 4");
                    let start = good.find(&format!("\"{name}\": ")).unwrap() + name.len() + 4;
                    let end = start + good[start..].find([',', '}']).unwrap();
                    format!("{}{value}{}", &good[..start], &good[end..])
                };
                let tp = "/properties/typeProperties";
                for (i, port) in ports.iter().enumerate() {
                    for (j, text) in [port.to_string(), format!("\"{port}\"")].iter().enumerate() {
                        // a word is a JSON string only
                        if j == 0 && port.parse::<f64>().is_err() {
                            continue;
                        }
                        let file = format!("{tag}-port{i}-{j}.json");
                        fs::write(dir.path().join(&file), member("port", text)).unwrap();
                        want.push((file, "ADFPG015", format!("{tp}/port")));
                    }
                }
                for (i, ssl) in [
                    "6",
                    "-1",
                    "2.5",
                    "\"9\"",
                    "99999999999999999999",
                    "\"Sometimes\"",
                ]
                .iter()
                .enumerate()
                {
                    let file = format!("{tag}-ssl{i}.json");
                    fs::write(dir.path().join(&file), member("sslMode", ssl)).unwrap();
                    want.push((file, "ADFPG006", format!("{tp}/sslMode")));
                }
                for (i, auth) in ["\"Anonymous\"", "\"\"", "1"].iter().enumerate() {
                    let file = format!("{tag}-auth{i}.json");
                    fs::write(dir.path().join(&file), member("authenticationType", auth)).unwrap();
                    want.push((file, "ADFPG007", format!("{tp}/authenticationType")));
                }
            }
        }
    }
    // PostgreSqlV2 has Basic authentication only
    let sp = PG_V2
        .one_line("pg", "")
        .replace("\"Basic\"", "\"ServicePrincipal\"")
        .replace("\"sslMode\": \"Require\"", "\"sslMode\": 4");
    fs::write(dir.path().join("postgresqlv2-sp.json"), &sp).unwrap();
    want.push((
        "postgresqlv2-sp.json".into(),
        "ADFPG007",
        "/properties/typeProperties/authenticationType".into(),
    ));
    let before = snapshot_tree(dir.path());
    let (code, out, err) = run_in(dir.path(), &["--output-format", "json", "."]);
    assert_no_panic(code, &err);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let findings = report["findings"].as_array().unwrap();
    let missed: Vec<String> = want
        .iter()
        .filter(|(file, code, pointer)| {
            !findings
                .iter()
                .any(|f| f["path"] == *file && f["code"] == *code && f["pointer"] == *pointer)
        })
        .map(|(file, code, pointer)| {
            format!(
                "{file}: want {code} at {pointer}, have {:?}",
                findings
                    .iter()
                    .filter(|f| f["path"] == *file)
                    .map(|f| (&f["code"], &f["pointer"]))
                    .collect::<Vec<_>>()
            )
        })
        .collect();
    assert!(missed.is_empty(), "{missed:#?}");
    let (code, out, err) = run_in(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--output-format", "concise", "."],
    );
    assert_no_panic(code, &err);
    let after = snapshot_tree(dir.path());
    let changed: Vec<&String> = before.keys().filter(|k| before[*k] != after[*k]).collect();
    assert!(changed.is_empty(), "written: {changed:?}\n{out}");
}

/// Issue 28: ADF expressions in every value of each shape. A whole connection string that is an
/// expression (object or `@` string, in a SecureString too) cannot be split: held back, saying so. An
/// expression in each part of the string is kept, verbatim, in the property it becomes. In a
/// new-generation definition every member may be an expression: no type or range finding, nothing fixed.
#[test]
fn expressions_in_every_value_of_every_shape() {
    for shape in [&AZURE_V1, &LEGACY] {
        let what = shape.label;
        let cs_start = shape.good.find("\"connectionString\": ").unwrap() + 20;
        let cs_end = shape.good[cs_start..].find('\n').unwrap() + cs_start;
        for (i, whole) in [
            r#"{"type": "Expression", "value": "@linkedService().cs"}"#,
            r#""@linkedService().cs""#,
            r#""@{linkedService().cs}""#,
            r#"{"type": "SecureString", "value": "@{linkedService().cs}"}"#,
        ]
        .iter()
        .enumerate()
        {
            let text = format!(
                "{}{whole}{}",
                &shape.good[..cs_start],
                &shape.good[cs_end..]
            );
            let out = fix_beside(shape, &format!("whole{i}.json"), text.as_bytes(), "ADFPG");
            assert_held_back(
                &out,
                &format!("whole{i}.json"),
                shape,
                "the connection string is an expression, so its parts are only known at run time",
            );
        }
        // the old TLS setting as an expression: no sslMode can be written for it
        let text = shape
            .good
            .replacen(";sslmode=Require", "", 1)
            .replacen(";encryptionmethod=0", "", 1)
            .replacen(
                "password=pw",
                "password=pw;EncryptionMethod=@{linkedService().em}",
                1,
            );
        let out = fix_beside(shape, "em.json", text.as_bytes(), "em.json:");
        assert_held_back(
            &out,
            "em.json",
            shape,
            "`EncryptionMethod=@{linkedService().em}` is not 0, 1 or 6",
        );
        // each part an expression: migrated, each kept as written
        let parts = "host=@{linkedService().h};port=@{linkedService().p};database=@{linkedService().d};uid=@{linkedService().u};password=@{linkedService().pw}";
        let text = format!(
            "{}\"{parts}\"{}",
            &shape.good[..cs_start],
            &shape.good[cs_end..]
        );
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("parts.json"), &text).unwrap();
        let (code, out, err) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
        assert_no_panic(code, &err);
        assert!(
            out.contains(&format!("fixed parts.json: {}", shape.fix_code)),
            "{what}: {out}"
        );
        let fixed: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.path().join("parts.json")).unwrap())
                .unwrap();
        let tp = &fixed["properties"]["typeProperties"];
        for (member, expr) in [
            ("server", "@{linkedService().h}"),
            ("port", "@{linkedService().p}"),
            ("database", "@{linkedService().d}"),
            ("username", "@{linkedService().u}"),
        ] {
            assert_eq!(tp[member], expr, "{what}: {member}: {fixed}");
        }
        assert_eq!(
            tp["password"],
            serde_json::json!({"type": "SecureString", "value": "@{linkedService().pw}"}),
            "{what}: {fixed}"
        );
    }
    for shape in [&AZURE_V2, &PG_V2] {
        let what = shape.label;
        let members: &[&str] = if shape.ls_type == "PostgreSqlV2" {
            &[
                "server",
                "port",
                "database",
                "username",
                "sslMode",
                "authenticationType",
                "connectionTimeout",
                "commandTimeout",
                "trustServerCertificate",
                "pooling",
                "readBufferSize",
                "logParameters",
                "schema",
                "timezone",
                "encoding",
            ]
        } else {
            &[
                "server",
                "port",
                "database",
                "username",
                "sslMode",
                "authenticationType",
                "timeout",
                "commandTimeout",
                "trustServerCertificate",
                "readBufferSize",
                "timezone",
                "encoding",
            ]
        };
        let dir = tempfile::tempdir().unwrap();
        for (form, value) in [
            (
                "object",
                r#"{"value": "@linkedService().{m}", "type": "Expression"}"#,
            ),
            ("string", r#""@{linkedService().{m}}""#),
        ] {
            let tp: Vec<String> = members
                .iter()
                .map(|m| format!(r#""{m}": {}"#, value.replace("{m}", m)))
                .chain([
                    r#""password": {"type": "SecureString", "value": "@{linkedService().pw}"}"#
                        .to_string(),
                ])
                .collect();
            fs::write(
                dir.path().join(format!("{form}.json")),
                shape.with_type_properties("pg", &tp.join(", ")),
            )
            .unwrap();
        }
        let before = snapshot_tree(dir.path());
        let (code, out, err) = run_in(dir.path(), &["--output-format", "concise", "."]);
        assert_no_panic(code, &err);
        for code in [
            "ADFPG002", "ADFPG006", "ADFPG007", "ADFPG015", "ADFPG022", "ADFPG100",
        ] {
            assert!(
                !out.contains(code),
                "{what}: {code} on an expression:\n{out}"
            );
        }
        assert!(out.contains("Scanned 2 files (2 parsed)"), "{what}: {out}");
        let (code, out, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
        assert_no_panic(code, &err);
        assert_eq!(before, snapshot_tree(dir.path()), "{what}: {out}");
    }
}

/// Issue 28: a whole connection string put in the braced value of the legacy `host` (a real factory's
/// shape: `host={Host=…;Port=5432;SSL Mode=Require;…}`) is no host name: held back, with a reason the
/// user can read in every format, and without printing what the braces hold (a password, here).
#[test]
fn a_connection_string_inside_a_braced_host_is_held_back_with_a_readable_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = LEGACY.good.replace(
        "host=pg.example.com",
        "host={Host=pg.example.com;Port=5432;SSL Mode=Require;Password=qxInBraces}",
    );
    fs::write(dir.path().join("nested.json"), &text).unwrap();
    for format in ["concise", "full", "json", "github", "azure", "markdown"] {
        let (code, out, err) = run_in(dir.path(), &["--output-format", format, "."]);
        assert_no_panic(code, &err);
        assert!(!out.contains("qxInBraces"), "{format}: {out}");
        assert!(
            out.contains("cannot be migrated automatically: the host is not a host name"),
            "{format}: the reason is not readable:\n{out}"
        );
    }
    let (_, out, _) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert_eq!(
        fs::read_to_string(dir.path().join("nested.json")).unwrap(),
        text,
        "{out}"
    );
}

/// Text after a closing quote (Npgsql, the legacy driver) or a closing brace (the legacy ODBC driver)
/// before the next `;` — `Password="a"b`, `Password={a}b}` — is not part of any reading of the value:
/// the string is malformed, and which password the service really uses is unknown. A safe `--fix` must
/// not settle it by dropping that text (a password cut short, and the rest of it lost from the file):
/// every byte of it is still in the file after `--fix`.
#[test]
fn text_after_a_closing_quote_or_brace_is_never_dropped_by_a_safe_fix() {
    let mut cases: Vec<(&Shape, &str, &str)> = vec![
        (
            &AZURE_V1,
            "password=pw",
            "Password=\\\"qxQuoted\\\"qxAfterQuote",
        ),
        (
            &LEGACY,
            "password=pw",
            "Password=\\\"qxQuoted\\\"qxAfterQuote",
        ),
        (&LEGACY, "password=pw", "Password='qxQuoted'qxAfterQuote"),
    ];
    cases.push((&LEGACY, "password=pw", "Password={qxBraced}qxAfterBrace}"));
    cases.push((&LEGACY, "password=pw", "Password={qxBraced} qxAfterBrace"));
    let mut dropped = Vec::new();
    for (shape, from, to) in cases {
        let text = shape.good.replacen(from, to, 1);
        let tail = if to.contains("qxAfterQuote") {
            "qxAfterQuote"
        } else {
            "qxAfterBrace"
        };
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("tail.json"), &text).unwrap();
        let (code, out, err) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
        assert_no_panic(code, &err);
        assert!(
            !out.contains("qxQuoted") && !out.contains(tail),
            "{}: {to}: {out}",
            shape.label
        );
        let after = fs::read_to_string(dir.path().join("tail.json")).unwrap();
        if !after.contains(tail) {
            dropped.push(format!("{}: `{to}`:\n{after}", shape.label));
        }
    }
    assert!(
        dropped.is_empty(),
        "a safe fix dropped the text after the closing quote or brace:\n{}",
        dropped.join("\n")
    );
}

#[test]
fn non_utf8_bytes_name_the_first_bad_byte() {
    let mut bytes = GOOD_V1.as_bytes().to_vec();
    let at = GOOD_V1.find("password=pw").unwrap() + 9;
    bytes[at] = 0xE9; // Latin-1 é
    fix_beside_good(
        "latin1.json",
        &bytes,
        "latin1.json:6:112: ADFPG102 [error] file is not valid UTF-8 (first invalid byte at line 6, column 112)",
    );
    // in each shape, the bad byte in the password
    for shape in SHAPES {
        let mut bytes = shape.good.as_bytes().to_vec();
        let bad = shape.password_at(shape.good);
        bytes[bad] = 0xE9;
        let here = shapes::at(&bytes, bad);
        let (line, col) = here.split_once(':').unwrap();
        fix_beside(
            shape,
            "latin1.json",
            &bytes,
            &format!(
                "latin1.json:{here}: ADFPG102 [error] file is not valid UTF-8 (first invalid byte at line {line}, column {col})"
            ),
        );
    }
}

/// Issue 28: each shape saved with a byte-order mark and CRLF line ends (Windows editors): the findings
/// are located as in the plain file (the BOM not counted), and `--fix` keeps the BOM and writes CRLF on
/// every line it adds.
#[test]
fn bom_and_crlf_are_kept_by_the_fix_in_every_shape() {
    for shape in SHAPES {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("lf.json"), shape.good).unwrap();
        let crlf = format!("\u{feff}{}", shape.good.replace('\n', "\r\n"));
        fs::write(dir.path().join("crlf.json"), &crlf).unwrap();
        let (_, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
        let located = |file: &str| -> Vec<String> {
            out.lines()
                .filter_map(|l| l.strip_prefix(file))
                .map(String::from)
                .collect()
        };
        assert!(
            located("lf.json:")
                .iter()
                .any(|l| l.contains(&format!(" {} ", shape.fix_code))),
            "{}: {out}",
            shape.label
        );
        assert_eq!(
            located("lf.json:"),
            located("crlf.json:"),
            "{}: {out}",
            shape.label
        );
        let (code, out, err) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
        assert_no_panic(code, &err);
        assert!(
            out.contains(&format!("fixed crlf.json: {}", shape.fix_code)),
            "{}: {out}",
            shape.label
        );
        let fixed = fs::read(dir.path().join("crlf.json")).unwrap();
        assert!(
            fixed.starts_with(b"\xEF\xBB\xBF"),
            "{}: BOM kept",
            shape.label
        );
        let text = String::from_utf8(fixed[3..].to_vec()).unwrap();
        assert!(text.contains(shape.fixed), "{}: {text}", shape.label);
        assert_eq!(
            text.matches('\n').count(),
            text.matches("\r\n").count(),
            "{}: a bare LF in a CRLF file:\n{text:?}",
            shape.label
        );
        serde_json::from_str::<serde_json::Value>(&text).unwrap();
        // the same edits as in the LF file, line ends aside
        let lf = fs::read_to_string(dir.path().join("lf.json")).unwrap();
        assert_eq!(text.replace("\r\n", "\n"), lf, "{}", shape.label);
    }
}

#[test]
fn utf16_and_utf32_are_unsupported_encodings() {
    let le: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(GOOD_V1.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let be: Vec<u8> = [0xFE, 0xFF]
        .into_iter()
        .chain(GOOD_V1.encode_utf16().flat_map(u16::to_be_bytes))
        .collect();
    let utf32: Vec<u8> = [0xFF, 0xFE, 0, 0]
        .into_iter()
        .chain(GOOD_V1.chars().flat_map(|c| (c as u32).to_le_bytes()))
        .collect();
    let msg = "ADFPG102 [error] file is UTF-16 encoded; ADF writes UTF-8: re-save it as UTF-8";
    fix_beside_good("le.json", &le, &format!("le.json:1:1: {msg}"));
    fix_beside_good("be.json", &be, &format!("be.json:1:1: {msg}"));
    fix_beside_good(
        "u32.json",
        &utf32,
        "u32.json:1:1: ADFPG102 [error] file is UTF-32 encoded",
    );
    for shape in SHAPES {
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(shape.good.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        fix_beside(shape, "le.json", &le, &format!("le.json:1:1: {msg}"));
    }
}

/// A 200 MB file, sparse (no disk used): the default cap stops it with a clear message and without
/// reading it, and the run goes on. Memory is bounded by the cap: a file over it is never read.
/// Run the tool with its data segment (heap, and on Linux every private writable mapping) capped at
/// 128 MiB (RLIMIT_DATA): far above what a run over small files needs, below a 200 MiB file.
#[cfg(target_os = "linux")]
fn run_with_heap_cap(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = heap_capped(128)
        .current_dir(dir)
        .args(args)
        .args(["--output-format", "concise"])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[cfg(target_os = "linux")]
#[test]
fn a_200_mb_file_hits_the_size_cap() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.json");
    // in each shape (the last one stays for the rest of the test)
    for shape in SHAPES.iter().rev() {
        let head = format!(
            r#"{{"name": "x", "properties": {{"type": "{}", "description": ""#,
            shape.ls_type
        );
        {
            let f = fs::File::create(&p).unwrap();
            use std::io::Write;
            (&f).write_all(head.as_bytes()).unwrap();
            f.set_len(200 * 1024 * 1024).unwrap(); // the rest is a hole of NUL bytes
        }
        fs::write(dir.path().join("good.json"), shape.good).unwrap();
        // never read: with its heap capped below the file's size, a run that read it would abort
        let (code, out, err) = run_with_heap_cap(dir.path(), &["--fix", "."]);
        assert_no_panic(code, &err);
        assert!(
            out.contains("huge.json:1:1: ADFPG103 [warning] file is 200 MiB, over the 64 MiB limit (--max-file-size); it was not checked"),
            "{}: {out}",
            shape.label
        );
        assert!(
            out.contains(&format!("fixed good.json: {}", shape.fix_code)),
            "{}: {out}",
            shape.label
        );
    }
    fs::write(dir.path().join("good.json"), GOOD_V1).unwrap();
    // the cap bites: allowed past the size limit, the same run cannot read the file
    let (code, out, err) = run_with_heap_cap(dir.path(), &["--max-file-size", "300", "huge.json"]);
    assert!(
        code != 0 && code != 1 && !out.contains("ADFPG103"),
        "reading 200 MiB under the cap must fail: exit {code}\n{out}\n{err}"
    );
    // the cap is configurable (MiB): a 2 MiB linked service is refused under 1 and checked under 3
    let big = GOOD_V1.replace(
        "\"PgGood\"",
        &format!("\"PgGood\", \"description\": \"{}\"", "d".repeat(2 << 20)),
    );
    fs::write(dir.path().join("big.json"), &big).unwrap();
    let (_, out, _) = run_in(dir.path(), &["--max-file-size", "1", "big.json"]);
    assert!(
        out.contains("big.json:1:1: ADFPG103 [warning] file is 2 MiB, over the 1 MiB limit"),
        "{out}"
    );
    let (_, out, _) = run_in(dir.path(), &["--max-file-size", "3", "--fix", "big.json"]);
    assert!(out.contains("fixed big.json"), "{out}");
    let (_, out, _) = run_in(dir.path(), &["--max-file-size", "0", "good.json"]);
    assert!(out.contains("over the 0 MiB limit"), "{out}");
}

#[test]
fn deep_nesting_is_a_located_error_not_a_stack_overflow() {
    let deep = format!(
        "{{\"name\": \"x\", \"properties\": {{\"type\": \"AzurePostgreSql\", \"annotations\": {}{}}}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    fix_beside_good(
        "deep.json",
        deep.as_bytes(),
        "deep.json:1:326: ADFPG100 [error] file is not valid JSON: nesting deeper than 256 levels",
    );
    for shape in SHAPES {
        // the object, `properties` and 254 arrays make 256 levels: the next `[` is one too many
        let prefix = format!(
            "{{\"name\": \"x\", \"properties\": {{\"type\": \"{}\", \"annotations\": ",
            shape.ls_type
        );
        let deep = format!("{prefix}{}{}}}}}", "[".repeat(10_000), "]".repeat(10_000));
        fix_beside(
            shape,
            "deep.json",
            deep.as_bytes(),
            &format!(
                "deep.json:1:{}: ADFPG100 [error] file is not valid JSON: nesting deeper than 256 levels",
                prefix.len() + 255
            ),
        );
        // just under the limit: parsed, checked and fixed, every format rendered
        let ok = shape.good.replace(
            "\"typeProperties\"",
            &format!(
                "\"annotations\": {}{},\n        \"typeProperties\"",
                "[".repeat(250),
                "]".repeat(250)
            ),
        );
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("nested.json"), &ok).unwrap();
        for format in ["full", "concise", "json"] {
            let (code, _, err) = run_in(dir.path(), &["--diff", "--output-format", format, "."]);
            assert_no_panic(code, &err);
        }
        let (_, out, _) = run_in(dir.path(), &["--fix", "."]);
        assert!(
            out.contains(&format!("fixed nested.json: {}", shape.fix_code)),
            "{}: {out}",
            shape.label
        );
        assert!(
            fs::read_to_string(dir.path().join("nested.json"))
                .unwrap()
                .contains(shape.fixed)
        );
    }
}

#[test]
fn control_characters_never_reach_the_terminal() {
    // raw in a string: invalid JSON, located; escaped: valid, and shown escaped
    let raw = GOOD_V1.replace("PgGood", "Pg\x1b[2JGood");
    fix_beside_good(
        "raw.json",
        raw.as_bytes(),
        "raw.json:2:16: ADFPG100 [error] file is not valid JSON: control character inside a string (must be escaped)",
    );
    for shape in SHAPES {
        let raw = shape.good.replace("PgGood", "Pg\x1b[2JGood");
        fix_beside(
            shape,
            "raw.json",
            raw.as_bytes(),
            "raw.json:2:16: ADFPG100 [error] file is not valid JSON: control character inside a string (must be escaped)",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let escaped = r#"{"name": "x\u001b]0;owned\u0007\u009b31m", "properties": {"type": "AzurePostgreSql", "version": "2.0",
        "typeProperties": {"server": "h\u001b[2J", "port": "\u001b[1A", "sslMode": 9}}}"#;
    fs::write(dir.path().join("esc.json"), escaped).unwrap();
    // issue 28: the same escapes in a PostgreSqlV2 definition and in a legacy connection string
    let escaped_v2 = r#"{"name": "y\u001b]0;owned\u0007\u009b31m", "properties": {"type": "PostgreSqlV2",
        "typeProperties": {"server": "h\u001b[2J", "port": "\u001b[1A", "database": "d", "username": "u", "sslMode": 9, "authenticationType": "Basic"}}}"#;
    fs::write(dir.path().join("esc-v2.json"), escaped_v2).unwrap();
    let escaped_legacy = r#"{"name": "z\u001b]0;owned\u0007\u009b31m", "properties": {"type": "PostgreSql",
        "typeProperties": {"connectionString": "host=h\u001b[2J;port=\u001b[1A;database=d;uid=u\u0007;pwd={p\u001b[2J}"}}}"#;
    fs::write(dir.path().join("esc-legacy.json"), escaped_legacy).unwrap();
    fs::write(dir.path().join("raw.json"), &raw).unwrap();
    fs::write(dir.path().join("ctl\x1b[31m\nname.json"), GOOD_V1).unwrap();
    fs::write(dir.path().join("ctl\x1b[31m\nlegacy.json"), LEGACY.good).unwrap();
    fs::write(dir.path().join("ctl\x1b[31m\nv2.json"), PG_V2.good).unwrap();
    // findings and diffs: --diff prints only the diff
    for (format, mode) in ["full", "concise", "json"]
        .into_iter()
        .flat_map(|f| [(f, "--exit-zero"), (f, "--diff")])
    {
        let (code, out, err) = run_in(dir.path(), &[mode, "--output-format", format, "."]);
        assert_no_panic(code, &err);
        for c in out.chars() {
            // JSON carries exact values (its linked_service field holds the raw name): serde_json escapes
            // C0 controls there, and C1 ones are plain characters to a JSON reader
            let allowed = c == '\n' || (format == "json" && !c.is_ascii_control());
            assert!(
                !c.is_control() || allowed,
                "{format}: control character U+{:04X} in output:\n{out}",
                c as u32
            );
        }
        if format == "concise" && mode != "--diff" {
            assert!(
                out.contains("linked service `x\\u{1b}]0;owned\\u{7}\\u{9b}31m` has port"),
                "{out}"
            );
            assert!(
                out.contains("ctl\\u{1b}[31m\\u{a}name.json:4:17: ADFPG001"),
                "{out}"
            );
            for who in ["y", "z"] {
                assert!(
                    out.contains(&format!(
                        "linked service `{who}\\u{{1b}}]0;owned\\u{{7}}\\u{{9b}}31m` has port"
                    )),
                    "{who}: {out}"
                );
            }
            assert!(
                out.contains("ctl\\u{1b}[31m\\u{a}legacy.json:4:17: ADFPG060"),
                "{out}"
            );
            assert!(
                out.contains("ctl\\u{1b}[31m\\u{a}v2.json:11:24: ADFPG006"),
                "{out}"
            );
        }
    }
}

#[test]
fn very_long_lines_in_values() {
    // a 3 MB value and a 100 kB password on the line of the finding (ADFPG008 points into it)
    let long = "x".repeat(3_000_000);
    let text = GOOD_V1
        .replace(
            "\"connectionString\": \"",
            &format!("\"description\": \"{long}\", \"connectionString\": \""),
        )
        .replace("password=pw", &format!("password={}", "p".repeat(100_000)));
    let line6 = text.lines().nth(5).unwrap();
    let col = line6.find("password=").unwrap() + 10;
    let at = format!("long.json:6:{col}");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("long.json"), &text).unwrap();
    for format in ["full", "concise", "json"] {
        let (code, out, err) = run_in(dir.path(), &["--output-format", format, "."]);
        assert_no_panic(code, &err);
        assert!(!out.contains(&"p".repeat(100)), "password leaked");
        if format != "json" {
            assert!(
                out.contains(&at) && out.len() < 10_000,
                "{format}: located, and no megabyte snippet:\n{}",
                &out[..out.len().min(3000)]
            );
        }
    }
    let (_, out, _) = run_in(dir.path(), &["--fix", "."]);
    assert!(
        out.contains("fixed long.json"),
        "{}",
        &out[..out.len().min(3000)]
    );
    let fixed = fs::read_to_string(dir.path().join("long.json")).unwrap();
    assert!(fixed.contains(&long) && fixed.contains(&"p".repeat(100_000)));
}

/// Issue 28: the legacy string and a PostgreSqlV2 password on a 3 MB line: located, never printed.
#[test]
fn very_long_lines_in_values_of_the_new_types() {
    let long = "x".repeat(3_000_000);
    for shape in [&LEGACY, &PG_V2] {
        // a 3 MB property on the line of the password
        let before = match shape.form {
            Form::ConnectionString => "\"connectionString\": \"",
            Form::Properties => "\"password\": {",
        };
        let text = shape
            .good
            .replace(before, &format!("\"description\": \"{long}\", {before}"))
            .replace(
                &format!("{}pw", shape.password_prefix),
                &format!("{}{}", shape.password_prefix, "p".repeat(100_000)),
            );
        let here = format!(
            "long.json:{}: ADFPG008",
            at(text.as_bytes(), shape.plaintext_finding_at(&text))
        );
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("long.json"), &text).unwrap();
        for format in ["full", "concise", "json", "sarif"] {
            let (code, out, err) = run_in(dir.path(), &["--output-format", format, "."]);
            assert_no_panic(code, &err);
            assert!(
                !out.contains(&"p".repeat(100)),
                "{} {format}: password leaked",
                shape.label
            );
            if format == "concise" || format == "full" {
                assert!(
                    out.len() < 10_000,
                    "{} {format}: no megabyte snippet:\n{}",
                    shape.label,
                    &out[..out.len().min(3000)]
                );
            }
            if format == "concise" {
                assert!(
                    out.contains(&here),
                    "{}: want {here:?} in {out}",
                    shape.label
                );
            }
        }
        let (_, out, _) = run_in(dir.path(), &["--fix", "."]);
        assert!(
            out.contains("fixed long.json") && out.len() < 10_000,
            "{}: {}",
            shape.label,
            &out[..out.len().min(3000)]
        );
        let fixed = fs::read_to_string(dir.path().join("long.json")).unwrap();
        assert!(fixed.contains(&long) && fixed.contains(&"p".repeat(100_000)));
    }
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_loops_and_outside_targets() {
    for shape in SHAPES {
        symlinks_in(shape);
    }
}

/// A tree of `shape`'s good files with links: a loop, `..`, a folder and a file outside, a dangling one.
#[cfg(unix)]
fn symlinks_in(shape: &Shape) {
    use std::os::unix::fs::symlink;
    let what = shape.label;
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("outside.json"), shape.good).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    fs::create_dir(tree.join("sub")).unwrap();
    fs::write(tree.join("sub/good.json"), shape.good).unwrap();
    symlink(tree, tree.join("sub/loop")).unwrap();
    symlink("..", tree.join("sub/up")).unwrap();
    symlink(outside.path(), tree.join("out-dir")).unwrap();
    symlink(
        outside.path().join("outside.json"),
        tree.join("out-file.json"),
    )
    .unwrap();
    symlink(tree.join("missing.json"), tree.join("dangling.json")).unwrap();
    let (code, out, err) = run_bounded(tree, &["--fix", "--output-format", "concise", "."]);
    assert_no_panic(code, &err);
    assert!(
        out.contains(&format!("fixed sub/good.json: {}", shape.fix_code)),
        "{what}: {out}"
    );
    assert!(
        out.contains("Scanned 1 file"),
        "{what}: only the real file: {out}"
    );
    assert_eq!(
        fs::read_to_string(outside.path().join("outside.json")).unwrap(),
        shape.good,
        "{what}: a file outside the tree is never written"
    );
    assert!(
        fs::symlink_metadata(tree.join("out-file.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // a symlink named on the command line is the user's choice: read, and written through (the link stays)
    let (_, out, _) = run_in(tree, &["--fix", "out-file.json"]);
    assert!(out.contains("fixed out-file.json"), "{what}: {out}");
    assert!(
        fs::symlink_metadata(tree.join("out-file.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(outside.path().join("outside.json"))
            .unwrap()
            .contains(shape.fixed),
        "{what}"
    );
    // a dangling one is an error naming it
    let (code, out, _) = run_in(tree, &["--output-format", "concise", "dangling.json"]);
    assert_eq!(code, 2);
    assert!(
        out.contains(
            "dangling.json:1:1: ADFPG104 [error] cannot read file: No such file or directory"
        ),
        "{out}"
    );
}

/// Issue 28: a read-only file, and a file in a read-only folder, of each shape: `--fix` reports each
/// (ADFPG105, exit 2), leaves its bytes and leaves no temporary file; the writable one beside is fixed.
#[cfg(unix)]
#[test]
fn read_only_files_and_folders_are_never_written_in_any_shape() {
    use std::os::unix::fs::PermissionsExt;
    for shape in SHAPES {
        let what = shape.label;
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path();
        fs::create_dir(tree.join("frozen")).unwrap();
        for f in ["good.json", "ro.json", "frozen/pg.json"] {
            fs::write(tree.join(f), shape.good).unwrap();
        }
        fs::set_permissions(tree.join("ro.json"), fs::Permissions::from_mode(0o444)).unwrap();
        fs::set_permissions(tree.join("frozen"), fs::Permissions::from_mode(0o555)).unwrap();
        let (code, out, err) = run_in(tree, &["--fix", "--output-format", "concise", "."]);
        fs::set_permissions(tree.join("frozen"), fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(
            code, 2,
            "{what}: a file the tool could not write is exit 2: {out}{err}"
        );
        for (f, why) in [
            ("ro.json", "file is read-only"),
            ("frozen/pg.json", "its directory is read-only"),
        ] {
            assert!(
                out.contains(&format!(
                    "{f}:1:1: ADFPG105 [error] fixes were not written: {why}"
                )),
                "{what}: {f}: {out}"
            );
            assert_eq!(
                fs::read_to_string(tree.join(f)).unwrap(),
                shape.good,
                "{what}: {f}"
            );
        }
        assert!(
            out.contains(&format!("fixed good.json: {}", shape.fix_code)),
            "{what}: {out}"
        );
        assert_eq!(
            fs::read_dir(tree.join("frozen")).unwrap().count(),
            1,
            "{what}: no temp file"
        );
        assert_eq!(
            fs::read_dir(tree).unwrap().count(),
            3,
            "{what}: no temp file"
        );
    }
}

#[cfg(unix)]
#[test]
fn fifo_named_on_the_command_line_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.json");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(
        made.is_ok_and(|s| s.success()),
        "mkfifo is part of coreutils"
    );
    fs::write(dir.path().join("good.json"), GOOD_V1).unwrap();
    let (code, out, err) = run_in(
        dir.path(),
        &["--output-format", "concise", "pipe.json", "good.json", "."],
    );
    assert_no_panic(code, &err);
    assert_eq!(code, 2);
    assert!(
        out.contains("pipe.json:1:1: ADFPG104 [error] cannot read file: not a regular file"),
        "{out}"
    );
    assert!(out.contains("good.json:4:17: ADFPG001"), "{out}");
}

/// Who can make a file unreadable: as root, mode 000 does not stop reads. Then the test runs the binary
/// as `nobody` (when the binary is reachable for that user), and otherwise asserts, and says, what root
/// sees instead. It never silently passes without checking either behaviour.
#[cfg(unix)]
#[test]
fn unreadable_files_and_directories_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    fs::set_permissions(tree, fs::Permissions::from_mode(0o755)).unwrap();
    for f in ["noread.json", "good.json", "locked/inner.json"] {
        fs::create_dir_all(tree.join(f).parent().unwrap()).unwrap();
        fs::write(tree.join(f), GOOD_V1).unwrap();
    }
    fs::set_permissions(tree.join("noread.json"), fs::Permissions::from_mode(0o000)).unwrap();
    fs::set_permissions(tree.join("locked"), fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = fs::read(tree.join("noread.json")).is_ok();

    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_adfpg-migrate"));
    cmd.current_dir(tree)
        .args(["--output-format", "concise", "."])
        .env("NO_COLOR", "1");
    if privileged {
        cmd.uid(65534).gid(65534);
    }
    let out = cmd.output();
    let unprivileged_ran = out
        .as_ref()
        .is_ok_and(|o| o.status.code().is_some_and(|c| c <= 2) && !o.stdout.is_empty());
    if unprivileged_ran {
        let o = out.unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(2), "{text}");
        assert!(
            text.contains("noread.json:1:1: ADFPG104 [error] cannot read file: Permission denied"),
            "{text}"
        );
        let errors = String::from_utf8_lossy(&o.stderr);
        assert!(
            errors.contains("error: locked: Permission denied"),
            "{errors}"
        );
        assert!(
            text.contains("good.json:4:17: ADFPG001"),
            "carries on: {text}"
        );
    } else {
        // root, and the binary is out of `nobody`'s reach (a target dir under /root): mode bits do not
        // stop root from reading, so the files are checked like any other
        assert!(
            privileged,
            "unprivileged yet the binary did not run: {out:?}"
        );
        eprintln!(
            "note: running as root; mode 000 does not stop reads, asserting root's behaviour"
        );
        let (code, text, _) = run_in(tree, &["--output-format", "concise", "."]);
        assert_eq!(code, 1, "{text}");
        assert!(text.contains("noread.json:4:17: ADFPG001"), "{text}");
        assert!(text.contains("locked/inner.json:4:17: ADFPG001"), "{text}");
    }
    fs::set_permissions(tree.join("locked"), fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn paths_with_spaces_and_non_ascii_names() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("my factory/linked sérvice");
    fs::create_dir_all(&sub).unwrap();
    let name = "Pg Ünïcødé 数据.json";
    fs::write(sub.join(name), GOOD_V1).unwrap();
    let (code, out, err) = run_in(
        dir.path(),
        &["--fix", "--output-format", "concise", "my factory"],
    );
    assert_no_panic(code, &err);
    assert!(
        out.contains(&format!("fixed my factory/linked sérvice/{name}: ADFPG001")),
        "{out}"
    );
    assert!(
        fs::read_to_string(sub.join(name))
            .unwrap()
            .contains("\"version\": \"2.0\"")
    );
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--output-format",
            "json",
            &format!("my factory/linked sérvice/{name}"),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["findings"][0]["path"],
        format!("my factory/linked sérvice/{name}")
    );
    // a name that is not UTF-8 at all is still processed, printed lossily
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"odd-\xff.json");
        fs::write(dir.path().join(odd), GOOD_V1).unwrap();
        let (_, out, _) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
        assert!(out.contains("fixed odd-\u{FFFD}.json"), "{out}");
        assert!(
            fs::read_to_string(dir.path().join(odd))
                .unwrap()
                .contains("2.0")
        );
    }
}

/// Run with a deadline: a hang is a failure, not a stuck CI job. Returns (exit code, stdout, stderr).
fn run_bounded(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let t = std::time::Instant::now();
    let out = cmd()
        .current_dir(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(
        t.elapsed().as_secs() < 30 && out.status.code().is_some(),
        "{args:?} hung or was killed: {out:?}"
    );
    let (code, err) = (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_no_panic(code, &err);
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), err)
}

#[cfg(unix)]
fn mkfifo(p: &std::path::Path) {
    let made = std::process::Command::new("mkfifo").arg(p).status();
    assert!(
        made.is_ok_and(|s| s.success()),
        "mkfifo is part of coreutils"
    );
}

/// Each special thing a repository can put where the tool reads a file by its name: a link to an
/// endless device, a FIFO nobody writes, a link to a regular file out of the tree.
#[cfg(unix)]
fn plant_special(p: &std::path::Path, kind: &str, outside: &std::path::Path) {
    let _ = fs::remove_file(p);
    match kind {
        "zero" => std::os::unix::fs::symlink("/dev/zero", p).unwrap(),
        "fifo" => mkfifo(p),
        "link" => std::os::unix::fs::symlink(outside, p).unwrap(),
        _ => unreachable!(),
    }
}

/// Issue 12, item 1: every file read by its name (the ARM parameters beside a template, the
/// parameterisation file, house rule files, a config's rule folders) goes through one bounded,
/// regular-file-only reader: a `/dev/zero` link or a FIFO there neither hangs nor eats memory, in lint,
/// `--diff`, `--fix` and `plan`.
#[cfg(unix)]
#[test]
fn files_read_by_name_are_bounded_and_regular_only() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.json");
    fs::write(
        &secret,
        r#"{"parameters":{"PgSales_connectionString":{"value":"host=h;password=OutsideSecret1"}}}"#,
    )
    .unwrap();
    for (kind, legacy) in ["zero", "fifo", "link"]
        .into_iter()
        .flat_map(|k| [(k, false), (k, true)])
    {
        let dir = if legacy {
            legacy_publish_tree()
        } else {
            copy_tree(&root().join("fixtures/adf-publish"))
        };
        let tree = dir.path();
        plant_special(
            &tree.join("factory-prod/ARMTemplateParametersForFactory.json"),
            kind,
            &secret,
        );
        plant_special(&tree.join(".extra-param.json"), kind, &secret);
        fs::rename(
            tree.join(".extra-param.json"),
            tree.join("factory-prod/ArmTemplateParameters_master.json"),
        )
        .unwrap();
        for args in [
            &["--output-format", "full", "."][..],
            &["--diff", "."],
            &["plan", "."],
            &["plan", "--output-format", "markdown", "."],
        ] {
            let (_, out, err) = run_bounded(tree, args);
            assert!(
                !out.contains("OutsideSecret1") && !err.contains("OutsideSecret1"),
                "{kind} {args:?}: a file out of the tree is never read through a link: {out}"
            );
        }
        // the parameters file is not read through the link: the template's migration is held back
        // for want of its values, or (when the template is migrated) the file is not updated (ADFPG105)
        let (_, out, _) = run_bounded(tree, &["--fix", "--unsafe-fixes", "."]);
        assert!(
            out.contains("`PgSales_connectionString` has no value in the parameters file")
                || (out.contains("ARMTemplateParametersForFactory.json:1:1: ADFPG105")
                    && out.contains("parameters not added: cannot read it:")),
            "{kind}: {out}"
        );
        assert!(!out.contains("OutsideSecret1"), "{out}");
        // nothing was written through the link, and it is still a link
        assert!(
            fs::read_to_string(&secret)
                .unwrap()
                .contains("OutsideSecret1")
                && !fs::read_to_string(&secret)
                    .unwrap()
                    .contains("PgSales_server")
        );
        let planted = tree.join("factory-prod/ARMTemplateParametersForFactory.json");
        assert!(!fs::symlink_metadata(&planted).unwrap().is_file(), "{kind}");

        // the parameterisation file, house rule files, and the rule folder a repository's config names
        plant_special(
            &tree.join("arm-template-parameters-definition.json"),
            kind,
            &secret,
        );
        let (_, out, _) = run_bounded(tree, &["--output-format", "concise", "."]);
        assert!(
            out.contains("Scanned 1 file"),
            "{kind}: the run goes on: {out}"
        );
        fs::create_dir_all(tree.join("house")).unwrap();
        plant_special(&tree.join("house/rule.toml"), kind, &secret);
        let (code, _, err) = run_bounded(tree, &["--rules", "house", "."]);
        assert_eq!(code, 2, "{kind}: {err}");
        assert!(
            err.contains("cannot read rule file:") && !err.contains("OutsideSecret1"),
            "{kind}: {err}"
        );
        fs::write(tree.join("adfpg.toml"), "rules = [\"house\"]\n").unwrap();
        let (code, _, err) = run_bounded(tree, &["."]);
        assert_eq!(code, 2, "{kind}: {err}");
        assert!(err.contains("cannot read rule file:"), "{kind}: {err}");
    }
}

/// Issue 28: the published factory of `fixtures/adf-publish` with the other connector: `PgSales` a legacy
/// `PostgreSql` service (its connection string the same secure parameter), `PgReport` a PostgreSqlV2 one,
/// the dataset a `PostgreSqlTable`.
fn legacy_publish_tree() -> tempfile::TempDir {
    let dir = copy_tree(&root().join("fixtures/adf-publish"));
    let template = dir.path().join("factory-prod/ARMTemplateForFactory.json");
    let text = fs::read_to_string(&template).unwrap();
    let legacy = text
        .replacen(
            "\"type\": \"AzurePostgreSql\",\n\t\t\t\t\"typeProperties\"",
            "\"type\": \"PostgreSql\",\n\t\t\t\t\"typeProperties\"",
            1,
        )
        .replacen(
            "\"type\": \"AzurePostgreSql\",\n\t\t\t\t\"version\": \"2.0\",",
            "\"type\": \"PostgreSqlV2\",",
            1,
        )
        .replace("\"port\": \"5432\"", "\"port\": 5432")
        .replace("\"AzurePostgreSqlTable\"", "\"PostgreSqlTable\"");
    assert!(
        !legacy.contains("AzurePostgreSql") && legacy.contains("\"type\": \"PostgreSql\","),
        "{legacy}"
    );
    fs::write(&template, legacy).unwrap();
    dir
}

/// Issue 12, item 1: a FIFO or a `/dev/zero` link named on the command line inside a `linkedService/`
/// folder (where the factory index reads it too) is ADFPG104, and the run goes on.
#[cfg(unix)]
#[test]
fn special_files_named_in_a_linked_service_folder_do_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let ls = dir.path().join("linkedService");
    fs::create_dir(&ls).unwrap();
    fs::write(ls.join("good.json"), GOOD_V1).unwrap();
    mkfifo(&ls.join("pipe.json"));
    std::os::unix::fs::symlink("/dev/zero", ls.join("zero.json")).unwrap();
    for sub in [&[][..], &["--diff"], &["plan"]] {
        let mut args = sub.to_vec();
        args.extend([
            "--output-format",
            "concise",
            "linkedService/pipe.json",
            "linkedService/zero.json",
            "linkedService/good.json",
        ]);
        if sub == ["plan"] {
            args.retain(|a| *a != "--output-format" && *a != "concise");
        }
        let (code, out, _) = run_bounded(dir.path(), &args);
        if sub.is_empty() {
            assert_eq!(code, 2, "{args:?}: {out}");
            for f in ["pipe.json", "zero.json"] {
                assert!(
                    out.contains(&format!(
                        "linkedService/{f}:1:1: ADFPG104 [error] cannot read file: not a regular file"
                    )),
                    "{args:?}: {out}"
                );
            }
        }
    }
}

/// `test-connection --ca-file` goes through the same bounded reader: a FIFO or `/dev/zero` named there is
/// refused (exit 2) before any connection, instead of hanging or growing memory.
#[test]
fn ca_file_is_bounded_and_regular_only() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("ca.pem"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.pem")).unwrap();
    // each shape: the old ones as migrated, PostgreSqlV2 as it is
    for (shape, ca) in SHAPES
        .into_iter()
        .flat_map(|s| [(s, "ca.pem"), (s, "zero.pem")])
    {
        fs::write(dir.path().join("good.json"), shape.good).unwrap();
        let as_migrated: &[&str] = match shape.form {
            Form::ConnectionString => &["--as-migrated"],
            Form::Properties => &[],
        };
        let out = cmd()
            .current_dir(dir.path())
            .args([
                "test-connection",
                "good.json",
                "--password-env",
                "ADFPG_TEST_PW",
            ])
            .args(as_migrated)
            .args(["--ca-file", ca])
            .env("ADFPG_TEST_PW", "x")
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let what = shape.label;
        assert_eq!(out.status.code(), Some(2), "{what} {ca}: {err}");
        assert!(
            err.contains(&format!("--ca-file {ca}: not a regular file")),
            "{what} {ca}: {err}"
        );
    }
}

/// Issue 12: `--max-file-size` near 2^44 MiB used to overflow to a zero cap, so every file read as
/// empty (ADFPG100 on each). Now it saturates: the file is checked as usual.
#[test]
fn a_huge_max_file_size_does_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.json"), GOOD_V1).unwrap();
    for mib in ["17592186044416", "18446744073709551615"] {
        let (code, out, _) = run_bounded(
            dir.path(),
            &["--output-format", "concise", "--max-file-size", mib, "."],
        );
        assert_eq!(code, 1, "{mib}: {out}");
        assert!(out.contains("good.json:4:17: ADFPG001"), "{mib}: {out}");
        assert!(!out.contains("ADFPG100"), "{mib}: {out}");
    }
}

/// Every line of an output that a CI log or a terminal would obey: the tool's own log commands are
/// allowed only in their format, at a line's start; nothing else may start with `::` or `##[`, hold
/// `##vso[` anywhere, or hold a raw control character (colour is off: NO_COLOR) or a bidi override.
fn assert_log_safe(what: &str, text: &str, own: &[&str]) {
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mine = own.iter().find(|p| line.starts_with(**p));
        let rest = &line[mine.map_or(0, |p| p.len())..];
        assert!(
            !rest.to_ascii_lowercase().contains("##vso["),
            "{what}: `##vso[` obeyed in {line:?}"
        );
        if mine.is_none() {
            assert!(
                !line.starts_with("::") && !line.starts_with("##["),
                "{what}: log command at line start: {line:?}"
            );
        }
        let bad = line.chars().find(|c| {
            (c.is_control() && *c != '\t')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        });
        assert!(bad.is_none(), "{what}: raw {bad:?} in {line:?}");
    }
}

/// Issue 12: factory, file-name, config and rule-file text cannot inject log commands or drive the
/// terminal, in every output format, every subcommand and on stderr: LF/CR/ESC/BEL, bidi overrides,
/// `##vso[` anywhere, `::` at a line start, and a backtick inside a Markdown code span.
#[cfg(unix)]
#[test]
fn no_log_injection_in_any_format_or_subcommand() {
    const FORMATS: &[(&str, &[&str])] = &[
        ("full", &[]),
        ("concise", &[]),
        ("json", &[]),
        ("sarif", &[]),
        ("junit", &[]),
        ("markdown", &[]),
        ("github", &["::error ", "::warning ", "::notice "]),
        ("azure", &["##vso[task.logissue "]),
    ];
    let hostile = "Pg`tick\\n::error::forged ##vso[task.setvariable variable=x]1 \\u001b]0;title\\u0007 \\r##[error]x \\u202e";
    let dir = tempfile::tempdir().unwrap();
    let ls = dir.path().join("linkedService");
    fs::create_dir(&ls).unwrap();
    let file = |name: &str| {
        format!(
            r#"{{"name": "{name}", "properties": {{"type": "AzurePostgreSql", "description": "{name}", "annotations": ["{name}"], "typeProperties": {{"connectionString": "host={name};port=x;database=d;uid=u;sslmode=Prefer;{name}=1"}}}}}}
"#
        )
    };
    fs::write(ls.join("plain.json"), file(hostile)).unwrap();
    // issue 28: the same text in a legacy string (a braced value too) and in PostgreSqlV2 properties
    let legacy = |name: &str| {
        format!(
            r#"{{"name": "{name}", "properties": {{"type": "PostgreSql", "description": "{name}", "annotations": ["{name}"], "typeProperties": {{"connectionString": "host={name};port=x;database=d;uid={{{name}}};encryptionmethod={name};{name}=1"}}}}}}
"#
        )
    };
    fs::write(ls.join("legacy.json"), legacy(hostile)).unwrap();
    fs::write(
        ls.join("v2.json"),
        format!(
            r#"{{"name": "{hostile}", "properties": {{"type": "PostgreSqlV2", "description": "{hostile}", "annotations": ["{hostile}"], "typeProperties": {{"server": "{hostile}", "port": "{hostile}", "database": "d", "username": "u", "sslMode": "{hostile}", "authenticationType": "{hostile}", "{hostile}": 1}}}}}}"#
        ),
    )
    .unwrap();
    fs::write(
        ls.join("::warning::legacy ##vso[task.complete]\u{1b}[2J.json"),
        legacy("l"),
    )
    .unwrap();
    // the file name itself: `##vso[`, `::` and ESC/BEL in it
    fs::write(
        ls.join("##vso[task.complete result=Failed]\u{1b}[2J\u{7}.json"),
        file("n"),
    )
    .unwrap();
    fs::write(ls.join("::error::name.json"), file("m")).unwrap();
    let pipeline = dir.path().join("pipeline");
    fs::create_dir(&pipeline).unwrap();
    fs::write(
        pipeline.join("p.json"),
        format!(
            r#"{{"name": "{hostile}", "properties": {{"activities": [{{"name": "{hostile}", "type": "Lookup", "typeProperties": {{"source": {{"type": "AzurePostgreSqlSource"}}, "dataset": {{"referenceName": "ds", "type": "DatasetReference"}}}}}}]}}}}"#
        ),
    )
    .unwrap();
    let ds = dir.path().join("dataset");
    fs::create_dir(&ds).unwrap();
    fs::write(
        ds.join("ds.json"),
        format!(
            r#"{{"name": "ds", "properties": {{"type": "AzurePostgreSqlTable", "linkedServiceName": {{"referenceName": "{hostile}", "type": "LinkedServiceReference"}}}}}}"#
        ),
    )
    .unwrap();
    for (file, ty) in [
        ("ds-legacy.json", "PostgreSqlTable"),
        ("ds-v2.json", "PostgreSqlV2Table"),
    ] {
        fs::write(
            ds.join(file),
            format!(
                r#"{{"name": "{hostile}", "properties": {{"type": "{ty}", "linkedServiceName": {{"referenceName": "{hostile}", "type": "LinkedServiceReference"}}, "typeProperties": {{"tableName": "{hostile}"}}}}}}"#
            ),
        )
        .unwrap();
    }
    fs::write(
        pipeline.join("p-legacy.json"),
        format!(
            r#"{{"name": "{hostile}", "properties": {{"activities": [{{"name": "{hostile}", "type": "Copy", "inputs": [{{"referenceName": "{hostile}", "type": "DatasetReference"}}], "typeProperties": {{"source": {{"type": "PostgreSqlSource", "query": "{hostile}"}}, "sink": {{"type": "ParquetSink"}}}}}}]}}}}"#
        ),
    )
    .unwrap();
    let missing = "missing\n::error::walk ##vso[task.complete]\u{1b}[31m.json";
    for mode in [&[][..], &["--diff", "--unsafe-fixes"], &["--unsafe-fixes"]] {
        for (format, own) in FORMATS {
            let mut args = mode.to_vec();
            args.extend(["--output-format", format, ".", missing]);
            let (code, out, err) = run_bounded(dir.path(), &args);
            assert_eq!(code, 2, "{args:?}: {out}{err}");
            assert!(
                out.len() + err.len() > 200,
                "{args:?}: said something: {out}{err}"
            );
            assert_log_safe(&format!("{args:?} stdout"), &out, own);
            assert_log_safe(&format!("{args:?} stderr"), &err, &[]);
        }
    }
    for format in ["text", "json", "markdown"] {
        let (_, out, err) = run_bounded(
            dir.path(),
            &["plan", "--output-format", format, ".", missing],
        );
        assert!(out.len() > 100, "plan {format}: {out}");
        assert_log_safe(&format!("plan {format}"), &out, &[]);
        assert_log_safe(&format!("plan {format} stderr"), &err, &[]);
        if format == "markdown" {
            // a backtick in a name lengthens the code span's fence instead of ending it
            assert!(out.contains("``Pg`tick"), "{out}");
            assert!(!out.contains(" `Pg`tick"), "{out}");
        }
    }
    // config and house-rule text
    fs::write(
        dir.path().join("bad.toml"),
        "select = [\"ADFPG001\", \"X\\n::error::cfg ##vso[task.complete]\\u001b[2J\\u0007\"]\n",
    )
    .unwrap();
    let (code, out, err) = run_bounded(dir.path(), &["--config", "bad.toml", "."]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("bad.toml"), "{err}");
    assert_log_safe("config error", &err, &[]);
    fs::create_dir(dir.path().join("house")).unwrap();
    fs::write(
        dir.path().join("house/HOUSE001.toml"),
        "code = \"HOUSE001\"\nname = \"x\\n::error::rule ##vso[task.complete]\"\nsummary = \"\\u001b[2J ##vso[x]\"\nseverity = \"error\"\napplies_to = \"any\"\ncheck = \"nonexistent\"\nmessage = \"m ##vso[y]\"\n",
    )
    .unwrap();
    let (code, out, err) = run_bounded(dir.path(), &["--rules", "house", "."]);
    assert_eq!(code, 2, "{out}{err}");
    assert_log_safe("house rule stdout", &out, &[]);
    assert_log_safe("house rule stderr", &err, &[]);
}
