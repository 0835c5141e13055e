//! The bad-input matrix (issue 5): every odd file gives a clear finding or error that names the file and a
//! location, the run carries on with the other files, nothing panics, and the odd file is never written.

mod common;
use common::*;
use std::fs;

/// A 1.0 linked service that `--fix` migrates with a safe fix: proof that the run carried on.
const GOOD_V1: &str = r#"{
    "name": "PgGood",
    "properties": {
        "type": "AzurePostgreSql",
        "typeProperties": {
            "connectionString": "host=pg.postgres.database.azure.com;port=5432;database=sales;uid=etl;password=pw;sslmode=Require"
        }
    }
}
"#;

fn assert_no_panic(code: i32, stderr: &str) {
    assert!(
        (0..=2).contains(&code) && !stderr.contains("panicked"),
        "exit {code}, stderr: {stderr}"
    );
}

/// Put `name` with `bytes` beside a good 1.0 file, run `--fix` (concise), and check: the expected line is
/// printed, the good file was migrated, the bad file kept its bytes. Returns the output.
fn fix_beside_good(name: &str, bytes: &[u8], expected: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join(name);
    fs::write(&bad, bytes).unwrap();
    fs::write(dir.path().join("good.json"), GOOD_V1).unwrap();
    let (code, out, err) = run_in(dir.path(), &["--fix", "--output-format", "concise", "."]);
    assert_no_panic(code, &err);
    assert!(
        out.contains(expected),
        "{name}: want {expected:?} in\n{out}"
    );
    assert_eq!(fs::read(&bad).unwrap(), bytes, "{name} must be untouched");
    let good = fs::read_to_string(dir.path().join("good.json")).unwrap();
    assert!(
        good.contains("\"version\": \"2.0\"") && out.contains("fixed good.json: ADFPG001"),
        "the run must carry on past {name}: {out}"
    );
    out
}

/// The span of a JSON syntax error covers the offending character whole: one byte for ASCII, every
/// byte of a multi-byte one (so editors and SARIF viewers underline it, and no span splits a character).
#[test]
fn a_syntax_error_spans_the_whole_offending_character() {
    let prefix = r#"{"type": "AzurePostgreSql", "a": "#;
    let mut cases: Vec<(String, u64, u64)> = [("x", 1), ("\u{e9}", 2), ("\u{1F600}", 4)]
        .into_iter()
        .map(|(bad, len)| (format!("{prefix}{bad}}}"), prefix.len() as u64, len))
        .collect();
    // at the very first byte
    cases.push((r#"x{"type": "AzurePostgreSql"}"#.to_string(), 0, 1));
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
    fix_beside_good(
        "empty.json",
        b"",
        "empty.json:1:1: ADFPG100 [error] file is not valid JSON: the file is empty",
    );
    fix_beside_good(
        "blank.json",
        b"\xEF\xBB\xBF \r\n\t\n",
        "blank.json:3:1: ADFPG100 [error] file is not valid JSON: the file holds only whitespace",
    );
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
}

#[test]
fn trailing_garbage() {
    let text = format!("{GOOD_V1}\n<<<<<<< HEAD\n");
    fix_beside_good(
        "merge.json",
        text.as_bytes(),
        "merge.json:11:1: ADFPG100 [error] file is not valid JSON: unexpected content after the end of the JSON value",
    );
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
    let wrong = [
        serde_json::json!("AzurePostgreSql"),
        serde_json::json!(-1.5e300),
        serde_json::json!(["AzurePostgreSql"]),
        serde_json::json!({}),
        serde_json::json!({"type": "SecureString", "value": 7}),
        serde_json::json!({"type": "AzureKeyVaultSecret"}),
        serde_json::json!(null),
        serde_json::json!(true),
    ];
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
    for (base_name, base) in [("v1", &v1), ("v2", &v2)] {
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
    assert!(written.len() > 300, "{}", written.len());
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
    for (file, code, pointer) in [
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
    ] {
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
    assert!(!findings.iter().any(|f| f["path"] == "v1_properties-0.json"));

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
    let head = br#"{"name": "x", "properties": {"type": "AzurePostgreSql", "description": ""#;
    {
        let f = fs::File::create(&p).unwrap();
        use std::io::Write;
        (&f).write_all(head).unwrap();
        f.set_len(200 * 1024 * 1024).unwrap(); // the rest is a hole of NUL bytes
    }
    fs::write(dir.path().join("good.json"), GOOD_V1).unwrap();
    // never read: with its heap capped below the file's size, a run that read it would abort
    let (code, out, err) = run_with_heap_cap(dir.path(), &["--fix", "."]);
    assert_no_panic(code, &err);
    assert!(
        out.contains("huge.json:1:1: ADFPG103 [warning] file is 200 MiB, over the 64 MiB limit (--max-file-size); it was not checked"),
        "{out}"
    );
    assert!(out.contains("fixed good.json"), "{out}");
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
    // just under the limit: parsed, checked and migrated, every format rendered
    let ok = GOOD_V1.replace(
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
    assert!(out.contains("fixed nested.json"), "{out}");
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
    let dir = tempfile::tempdir().unwrap();
    let escaped = r#"{"name": "x\u001b]0;owned\u0007\u009b31m", "properties": {"type": "AzurePostgreSql", "version": "2.0",
        "typeProperties": {"server": "h\u001b[2J", "port": "\u001b[1A", "sslMode": 9}}}"#;
    fs::write(dir.path().join("esc.json"), escaped).unwrap();
    fs::write(dir.path().join("raw.json"), &raw).unwrap();
    fs::write(dir.path().join("ctl\x1b[31m\nname.json"), GOOD_V1).unwrap();
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

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_loops_and_outside_targets() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("outside.json"), GOOD_V1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path();
    fs::create_dir(tree.join("sub")).unwrap();
    fs::write(tree.join("sub/good.json"), GOOD_V1).unwrap();
    symlink(tree, tree.join("sub/loop")).unwrap();
    symlink("..", tree.join("sub/up")).unwrap();
    symlink(outside.path(), tree.join("out-dir")).unwrap();
    symlink(
        outside.path().join("outside.json"),
        tree.join("out-file.json"),
    )
    .unwrap();
    symlink(tree.join("missing.json"), tree.join("dangling.json")).unwrap();
    let t = std::time::Instant::now();
    let (code, out, err) = run_in(tree, &["--fix", "--output-format", "concise", "."]);
    assert_no_panic(code, &err);
    assert!(t.elapsed().as_secs() < 20, "no loop");
    assert!(out.contains("fixed sub/good.json"), "{out}");
    assert!(out.contains("Scanned 1 file"), "only the real file: {out}");
    assert_eq!(
        fs::read_to_string(outside.path().join("outside.json")).unwrap(),
        GOOD_V1,
        "a file outside the tree is never written"
    );
    assert!(
        fs::symlink_metadata(tree.join("out-file.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    // a symlink named on the command line is the user's choice: read, and written through (the link stays)
    let (_, out, _) = run_in(tree, &["--fix", "out-file.json"]);
    assert!(out.contains("fixed out-file.json"), "{out}");
    assert!(
        fs::symlink_metadata(tree.join("out-file.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        fs::read_to_string(outside.path().join("outside.json"))
            .unwrap()
            .contains("\"version\": \"2.0\"")
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
    for kind in ["zero", "fifo", "link"] {
        let dir = copy_tree(&root().join("fixtures/adf-publish"));
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
    fs::write(dir.path().join("good.json"), GOOD_V1).unwrap();
    mkfifo(&dir.path().join("ca.pem"));
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.pem")).unwrap();
    for ca in ["ca.pem", "zero.pem"] {
        let out = cmd()
            .current_dir(dir.path())
            .args([
                "test-connection",
                "good.json",
                "--password-env",
                "ADFPG_TEST_PW",
            ])
            .args(["--as-migrated", "--ca-file", ca])
            .env("ADFPG_TEST_PW", "x")
            .timeout(std::time::Duration::from_secs(30))
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{ca}: {err}");
        assert!(
            err.contains(&format!("--ca-file {ca}: not a regular file")),
            "{ca}: {err}"
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
