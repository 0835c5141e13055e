//! The legacy PostgreSQL connector (`"type": "PostgreSql"`, removed on 2025-09-30) migrated to `PostgreSqlV2`,
//! through the binary (issue 28). Every expected value is derived from the connector's published rules, and
//! a comment beside it says which one; none is recorded from a run:
//! - the V2 shape ADF Studio writes: members `server, port, database, username, [password], sslMode,
//!   authenticationType, [encryptedCredential]`, `port` a JSON integer, `authenticationType` `Basic` (the
//!   only value the V2 page allows), no `version` member (Microsoft Learn, "Copy data from PostgreSQL"; real
//!   Studio files such as thanhthuy250599/adf-covid19-pipeline in fixtures/real);
//! - the legacy connection string: an ODBC string read by Progress DataDirect's PostgreSQL Wire Protocol
//!   driver (keys `Server`/`Host`/`HostName`, `Port`/`PortNumber`, `Database`/`DB`, `UID`/`User`/`LogonID`,
//!   `Password`/`PWD`, `EncryptionMethod` (EM), `ValidateServerCertificate` (VSC), case-insensitive, values
//!   optionally ODBC-braced; default port 5432);
//! - ADFPG060's documented sslMode mapping (EM 0 or absent → 0; 6 → 2; 1 → 3 with
//!   `trustServerCertificate: true`; 1 with VSC=1 → 4, and with a `HostNameInCertificate` naming the server →
//!   5; EM=6 with VSC=1 and a certificate name of another host held back);
//! - the REST model's V2 dataset and source types (`PostgreSqlV2Table` with `schema`/`table`,
//!   `PostgreSqlV2Source` with the same members as `PostgreSqlSource`) and ADFPG030's `tableName` split;
//! - ADF's publish of a V2 linked service (Microsoft Learn, "Custom parameters in a Resource Manager
//!   template", and the real export of thanhthuy250599/adf-covid19-pipeline): `<ls>_properties_typeProperties_
//!   server/_database/_username` string parameters defaulting to the linked service's values, `<ls>_password`
//!   a secureString unless the password is a Key Vault reference, port/sslMode/authenticationType literal;
//! - the V2 page's "Differences between PostgreSQL V2 and V1" (money, timestamp/time with time zone, interval,
//!   numeric above precision 28) and its PostgreSQL 12 minimum.

mod common;
use common::{copy_into, root, run_in, snapshot_tree, ssl_mode_of_v1};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::Path;

type Tree = BTreeMap<String, Vec<u8>>;

// ---------- running the tool ----------

/// The tool with no config file, in `dir`: (exit code, stdout, stderr).
fn tool(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["--no-config"];
    all.extend_from_slice(args);
    run_in(dir, &all)
}

/// `--fix` (safe fixes only) or `--fix --unsafe-fixes` on the whole tree: what it printed.
fn fix(dir: &Path, unsafe_fixes: bool) -> String {
    let mut args = vec!["--fix", "--output-format", "concise", "."];
    if unsafe_fixes {
        args.insert(1, "--unsafe-fixes");
    }
    let (_, out, err) = tool(dir, &args);
    out + &err
}

/// The JSON lint report of the whole tree.
fn lint(dir: &Path) -> Value {
    let (_, out, err) = tool(dir, &["--output-format", "json", "."]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("lint JSON: {e}\n{out}\n{err}"))
}

/// The concise lint report of the whole tree.
fn concise(dir: &Path) -> String {
    let (_, out, err) = tool(dir, &["--output-format", "concise", "."]);
    out + &err
}

/// `plan --output-format json` of `--fix --unsafe-fixes`.
fn plan(dir: &Path) -> Value {
    let (_, out, err) = tool(
        dir,
        &["plan", ".", "--unsafe-fixes", "--output-format", "json"],
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("plan JSON: {e}\n{out}\n{err}"))
}

fn findings<'a>(report: &'a Value, path: &str, code: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["path"] == path && f["code"] == code)
        .collect()
}

/// The one finding with `code` on `path`.
fn one<'a>(report: &'a Value, path: &str, code: &str) -> &'a Value {
    let f = findings(report, path, code);
    assert_eq!(f.len(), 1, "one {code} on {path}: {report:#}");
    f[0]
}

/// The plan of linked service `name`.
fn plan_of<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["linked_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == name)
        .unwrap_or_else(|| panic!("no plan for {name}: {plan:#}"))
}

// ---------- files ----------

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn text(dir: &Path, rel: &str) -> String {
    fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// A file as strict JSON without a key twice.
fn doc(dir: &Path, rel: &str) -> Value {
    strict(&text(dir, rel), rel)
}

/// A copy of a real repository of fixtures/real in a temp dir.
fn real(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_into(&root().join("fixtures/real").join(name), dir.path());
    dir
}

/// JSON text laid out as ADF writes it (tabs, `": "`), no final newline.
fn adf_json(v: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"\t"),
    );
    serde::Serialize::serialize(v, &mut ser).unwrap();
    String::from_utf8(out).unwrap()
}

fn js(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

// ---------- strict JSON without duplicate keys ----------

/// Parses `text` as strict JSON (serde_json: no comments, no trailing commas, nothing after the value) and
/// refuses an object that names a key twice, which `serde_json::Value` would silently collapse to one.
fn strict(text: &str, what: &str) -> Value {
    let mut de = serde_json::Deserializer::from_str(text);
    let checked: Result<Unique, _> = serde::Deserialize::deserialize(&mut de);
    if let Err(e) = checked
        .map_err(|e| e.to_string())
        .and_then(|_| de.end().map_err(|e| e.to_string()))
    {
        panic!("{what} is not strict JSON without duplicate keys: {e}\n{text}");
    }
    serde_json::from_str(text).unwrap()
}

struct Unique;

impl<'de> serde::Deserialize<'de> for Unique {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Unique, D::Error> {
        d.deserialize_any(UniqueVisitor)
    }
}

struct UniqueVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueVisitor {
    type Value = Unique;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Unique, E> {
        Ok(Unique)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
        while seq.next_element::<Unique>()?.is_some() {}
        Ok(Unique)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unique, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!(
                    "key {key:?} twice in one object"
                )));
            }
            map.next_value::<Unique>()?;
        }
        Ok(Unique)
    }
}

/// The check bites: a key twice, at any depth, and what serde_json itself refuses.
#[test]
fn the_strict_json_check_refuses_duplicate_keys() {
    for bad in [
        r#"{"a": 1, "a": 2}"#,
        r#"{"p": {"typeProperties": {"port": 5432, "port": "5432"}}}"#,
        r#"[{"x": [{"k": 1, "k": 1}]}]"#,
        r#"{"a": 1,}"#,
        r#"{"a": 1} {"b": 2}"#,
    ] {
        let r = std::panic::catch_unwind(|| strict(bad, "bad"));
        assert!(r.is_err(), "accepted {bad}");
    }
    assert_eq!(
        strict(r#"{"a": {"k": 1}, "b": {"k": 1}}"#, "good"),
        json!({"a": {"k": 1}, "b": {"k": 1}})
    );
}

// ---------- what every migration must leave ----------

/// What a run of `--fix` leaves must be final: every file it changed is strict JSON with no key twice (what
/// ADF and ARM accept), the tool's own lint reports nothing at error level in it — except ADFPG008 where
/// the input already held that password in plain text (the reference's rule carries an in-string password
/// into a `SecureString`) —, and the same `--fix` run again (`unsafe_fixes`: with `--unsafe-fixes`, as the
/// last run was) changes nothing. `report_before` is the JSON lint of the tree before any fix. Returns the
/// changed files.
fn assert_settled(
    dir: &Path,
    before: &Tree,
    report_before: &Value,
    unsafe_fixes: bool,
) -> Vec<String> {
    let after = snapshot_tree(dir);
    let changed: Vec<String> = after
        .keys()
        .filter(|k| before.get(*k) != after.get(*k))
        .cloned()
        .collect();
    assert!(!changed.is_empty(), "nothing was migrated");
    for k in &changed {
        let t = std::str::from_utf8(&after[k]).unwrap_or_else(|e| panic!("{k}: {e}"));
        strict(t, k);
    }
    let (_, out, err) = tool(dir, &["--check", "--output-format", "json", "."]);
    let check: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    let plaintext_before = |path: &Value| {
        report_before["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| &f["path"] == path && f["code"] == "ADFPG008")
    };
    let errors: Vec<String> = check["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .filter(|f| changed.iter().any(|c| f["path"] == c.as_str()))
        .filter(|f| !(f["code"] == "ADFPG008" && plaintext_before(&f["path"])))
        .map(|f| format!("{} {} {}", f["path"], f["code"], f["message"]))
        .collect();
    assert!(
        errors.is_empty(),
        "--check finds errors in migrated files:\n{}",
        errors.join("\n")
    );
    let again = fix(dir, unsafe_fixes);
    assert_same_tree(
        dir,
        &after,
        &format!("a second --fix must change nothing:\n{again}"),
    );
    changed
}

/// The tree under `dir` holds exactly `want`'s files and bytes; else the files that differ, with the first
/// one's text.
fn assert_same_tree(dir: &Path, want: &Tree, what: &str) {
    let now = snapshot_tree(dir);
    let differ: Vec<&String> = now
        .keys()
        .chain(want.keys())
        .filter(|k| now.get(*k) != want.get(*k))
        .collect();
    if let Some(first) = differ.first() {
        panic!(
            "{what}\nfiles that differ: {differ:?}\n--- {first} now:\n{}",
            now.get(*first)
                .map_or_else(String::new, |b| String::from_utf8_lossy(b).into_owned())
        );
    }
}

// ---------- linked services as ADF Studio writes them ----------

/// An `encryptedCredential` as Studio writes it (base64 of its metadata envelope, no secret).
const ENCRYPTED: &str = "ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIiwNCiAgIlByb3RlY3Rpb25Nb2RlIjogIktleSIsDQogICJTZWNyZXRDb250ZW50VHlwZSI6ICJQbGFpbnRleHQiDQp9";

/// A Key Vault `password` reference (the legacy page's Key Vault example), laid out as Studio nests it at
/// `typeProperties` depth.
const KV_PASSWORD: &str = "\"password\": {\n\t\t\t\t\"type\": \"AzureKeyVaultSecret\",\n\t\t\t\t\"store\": {\n\t\t\t\t\t\"referenceName\": \"Vault\",\n\t\t\t\t\t\"type\": \"LinkedServiceReference\"\n\t\t\t\t},\n\t\t\t\t\"secretName\": \"pg-password\"\n\t\t\t}";

fn kv_password() -> Value {
    json!({"type": "AzureKeyVaultSecret", "store": {"referenceName": "Vault", "type": "LinkedServiceReference"}, "secretName": "pg-password"})
}

const VAULT: &str = "{\n\t\"name\": \"Vault\",\n\t\"type\": \"Microsoft.DataFactory/factories/linkedservices\",\n\t\"properties\": {\n\t\t\"annotations\": [],\n\t\t\"type\": \"AzureKeyVault\",\n\t\t\"typeProperties\": {\n\t\t\t\"baseUrl\": \"https://factory-vault.vault.azure.net/\"\n\t\t}\n\t}\n}";

/// A linked service as ADF Studio writes it in git (reference §1.3): tabs, `name`, `type`, `properties {
/// annotations, type, typeProperties }`, no final newline. `members` are `typeProperties`' members as JSON
/// text; `after` follows `typeProperties` inside `properties` (`,\n\t\t"connectVia": …`).
fn studio(name: &str, ls_type: &str, members: &[String], after: &str) -> String {
    format!(
        "{{\n\t\"name\": \"{name}\",\n\t\"type\": \"Microsoft.DataFactory/factories/linkedservices\",\n\t\"properties\": {{\n\t\t\"annotations\": [],\n\t\t\"type\": \"{ls_type}\",\n\t\t\"typeProperties\": {{\n\t\t\t{}\n\t\t}}{after}\n\t}}\n}}",
        members.join(",\n\t\t\t")
    )
}

fn member(key: &str, json_text: &str) -> String {
    format!("{}: {json_text}", js(key))
}

/// `"connectionString": "<s>"`.
fn cs(s: &str) -> String {
    member("connectionString", &js(s))
}

fn encrypted() -> String {
    member("encryptedCredential", &js(ENCRYPTED))
}

/// The members a migrated definition holds, in ADF Studio's V2 order (reference §2.2: "Key order, always:
/// server, port, database, username, [password], sslMode, authenticationType, [encryptedCredential]"),
/// `authenticationType` "Basic" ("Only supports Basic"), then `rest` as given.
fn v2(
    server: &str,
    port: u16,
    database: &str,
    username: &str,
    password: Option<Value>,
    ssl: u8,
    rest: &[(&'static str, Value)],
) -> Vec<(&'static str, Value)> {
    let mut m = vec![
        ("server", json!(server)),
        ("port", json!(port)),
        ("database", json!(database)),
        ("username", json!(username)),
    ];
    if let Some(p) = password {
        m.push(("password", p));
    }
    m.push(("sslMode", json!(ssl)));
    m.push(("authenticationType", json!("Basic")));
    m.extend(rest.iter().cloned());
    m
}

/// `{"type": "SecureString", "value": …}`: a password from the string (reference §8: "in-string →
/// SecureString").
fn secure(v: &str) -> Value {
    json!({"type": "SecureString", "value": v})
}

/// A migrated linked service: type `PostgreSqlV2`, no `version` (Studio never writes one for V2), and
/// `typeProperties` exactly `want`, members in that order.
fn assert_v2(doc: &Value, want: &[(&str, Value)], what: &str) {
    assert_eq!(doc["properties"]["type"], "PostgreSqlV2", "{what}: {doc:#}");
    assert!(
        doc["properties"].get("version").is_none(),
        "{what}: V2 has no version: {doc:#}"
    );
    assert_members(&doc["properties"]["typeProperties"], want, what);
}

/// An object holds exactly these members, in this order, with these values.
fn assert_members(obj: &Value, want: &[(&str, Value)], what: &str) {
    let keys: Vec<&str> = obj
        .as_object()
        .unwrap_or_else(|| panic!("{what}: not an object: {obj}"))
        .keys()
        .map(String::as_str)
        .collect();
    let want_keys: Vec<&str> = want.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys, want_keys,
        "{what}: the members and their order: {obj:#}"
    );
    for (k, v) in want {
        assert_eq!(&obj[*k], v, "{what}: `{k}`");
    }
}

/// The V2 members of `original`'s Studio text, written where the connection string was: the text of a
/// Studio file after its migration, every other byte as it was.
fn studio_migrated(original: &str, connection_string: &str, members: &[(&str, &str)]) -> String {
    let block: Vec<String> = members.iter().map(|(k, v)| member(k, v)).collect();
    let old = format!("{},", cs(connection_string));
    assert!(original.contains(&old), "{old} not in\n{original}");
    let expected = original
        .replacen(
            "\t\t\"type\": \"PostgreSql\",",
            "\t\t\"type\": \"PostgreSqlV2\",",
            1,
        )
        .replacen(&old, &format!("{},", block.join(",\n\t\t\t")), 1);
    assert_ne!(expected, original);
    expected
}

// ---------- 1. Studio's string with encryptedCredential (real files) ----------

/// huyvan227/test: two legacy linked services exactly as ADF Studio writes them (lower-case DataDirect keys,
/// `encryptionmethod=0`, the password only in `encryptedCredential`).
#[test]
fn studio_string_with_encrypted_credential_is_an_unsafe_migration() {
    let dir = real("huyvan227__test");
    let files = [
        (
            "linkedService/SmartSales_DMS.json",
            "smartsales-db-replica-prod.cfsacd8e4ibr.ap-southeast-1.rds.amazonaws.com",
            "postgres",
            "dms",
        ),
        ("linkedService/PostgreSql.json", "d", "d", "d"),
    ];
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    for (path, ..) in files {
        let f = one(&report, path, "ADFPG060");
        // ADFPG060: the removed connector is an error, found at `properties.type`
        assert_eq!(
            (&f["severity"], &f["pointer"]),
            (&json!("error"), &json!("/properties/type")),
            "{f:#}"
        );
        // the issue: an encryptedCredential-only password makes the migration unsafe, with the note to
        // re-enter the password (Studio re-encrypts it)
        assert_eq!(f["fix"]["safety"], "unsafe", "{f:#}");
        assert_eq!(f["fix"]["applicable"], false, "not without --unsafe-fixes");
        assert!(
            f["fix"]["title"]
                .as_str()
                .unwrap()
                .contains("re-enter the password"),
            "{f:#}"
        );
    }
    // --fix applies safe fixes only: it holds the migration back and writes nothing
    let out = fix(dir.path(), false);
    assert_same_tree(dir.path(), &before, &out);
    // --diff shows what --fix would write: nothing (exit 0); with --unsafe-fixes the migration (exit 1)
    let (code, out, _) = tool(dir.path(), &["--diff", "."]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("+++ "), "{out}");
    let (code, diff, _) = tool(dir.path(), &["--diff", "--unsafe-fixes", "."]);
    assert_eq!(code, 1, "{diff}");
    for line in [
        "-\t\t\"type\": \"PostgreSql\",",
        "+\t\t\"type\": \"PostgreSqlV2\",",
        "+\t\t\t\"server\": \"smartsales-db-replica-prod.cfsacd8e4ibr.ap-southeast-1.rds.amazonaws.com\",",
        // port a JSON integer, as Studio writes V2
        "+\t\t\t\"port\": 5432,",
        "+\t\t\t\"username\": \"dms\",",
        // encryptionmethod=0: "data is not encrypted" → 0 (Disable), ADFPG060's mapping
        "+\t\t\t\"sslMode\": 0,",
        "+\t\t\t\"authenticationType\": \"Basic\",",
    ] {
        assert!(diff.lines().any(|l| l == line), "no {line:?} in\n{diff}");
    }
    assert_same_tree(dir.path(), &before, "--diff writes nothing");
    // --fix --unsafe-fixes: the connection string becomes Studio's V2 members (host → server, uid →
    // username), encryptedCredential kept last, every other byte as it was
    let out = fix(dir.path(), true);
    assert!(out.contains("re-enter the password"), "{out}");
    for (path, server, database, user) in files {
        let original = String::from_utf8(before[path].clone()).unwrap();
        let expected = studio_migrated(
            &original,
            &format!("host={server};port=5432;database={database};uid={user};encryptionmethod=0"),
            &[
                ("server", &js(server)),
                ("port", "5432"),
                ("database", &js(database)),
                ("username", &js(user)),
                ("sslMode", "0"),
                ("authenticationType", "\"Basic\""),
            ],
        );
        assert_eq!(text(dir.path(), path), expected, "{out}");
    }
    assert_settled(dir.path(), &before, &report, true);
}

/// kamalpathak10/CICD: Studio's shape with a bare IPv4 host and a `description`. The host is `server` as
/// written, `uid` the username, encryptionmethod=0 sslMode 0 (ADFPG060), the description and
/// encryptedCredential kept; its `RelationalTable` dataset is reported (ADFPG063) before and after, and
/// never changed.
#[test]
fn real_ip_host_with_a_description_migrates_and_its_relational_dataset_stays() {
    let dir = real("kamalpathak10__CICD");
    let ls = "linkedService/PostgreSql.json";
    let ds = "dataset/SourceDataset_Postgres.json";
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    let f = one(&report, ds, "ADFPG063");
    assert_eq!(f["pointer"], "/properties/type", "{f:#}");
    assert!(f["fix"].is_null(), "not guessed: {f:#}");
    let out = fix(dir.path(), true);
    let expected = studio_migrated(
        &String::from_utf8(before[ls].clone()).unwrap(),
        "host=40.122.114.21;port=5432;database=media_analytics;uid=media_user;encryptionmethod=0",
        &[
            ("server", "\"40.122.114.21\""),
            ("port", "5432"),
            ("database", "\"media_analytics\""),
            ("username", "\"media_user\""),
            ("sslMode", "0"),
            ("authenticationType", "\"Basic\""),
        ],
    );
    assert_eq!(text(dir.path(), ls), expected, "{out}");
    assert_eq!(text(dir.path(), ds).as_bytes(), &before[ds][..], "{out}");
    one(&lint(dir.path()), ds, "ADFPG063");
    assert_settled(dir.path(), &before, &report, true);
}

// ---------- 2. Key Vault password ----------

/// A Key Vault `password` beside the legacy string (the legacy page's Key Vault example) is kept as written
/// and sits where Studio writes V2's password, after `username`; the migration is safe (ADFPG060: "Safe when
/// the password is … in a Key Vault reference"), so `--fix` alone writes it. Both sides of the string.
#[test]
fn key_vault_password_is_kept_and_moved_to_studios_place() {
    let dir = tempfile::tempdir().unwrap();
    let string = "host=pg.example.com;port=5432;database=sales;uid=etl;encryptionmethod=0";
    write(dir.path(), "linkedService/Vault.json", VAULT);
    write(
        dir.path(),
        "linkedService/VaultAfter.json",
        &studio(
            "VaultAfter",
            "PostgreSql",
            &[cs(string), KV_PASSWORD.into()],
            "",
        ),
    );
    write(
        dir.path(),
        "linkedService/VaultBefore.json",
        &studio(
            "VaultBefore",
            "PostgreSql",
            &[KV_PASSWORD.into(), cs(string)],
            "",
        ),
    );
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    for name in ["VaultAfter", "VaultBefore"] {
        let f = one(&report, &format!("linkedService/{name}.json"), "ADFPG060");
        assert_eq!(f["fix"]["safety"], "safe", "{name}: {f:#}");
    }
    let out = fix(dir.path(), false);
    for name in ["VaultAfter", "VaultBefore"] {
        let path = format!("linkedService/{name}.json");
        assert_v2(
            &doc(dir.path(), &path),
            &v2(
                "pg.example.com",
                5432,
                "sales",
                "etl",
                Some(kv_password()),
                0,
                &[],
            ),
            &format!("{name}\n{out}"),
        );
        // the reference as written, not re-serialised
        assert!(text(dir.path(), &path).contains(KV_PASSWORD), "{name}");
    }
    assert_settled(dir.path(), &before, &report, false);
}

// ---------- 3. SecureString and Key Vault connection strings ----------

/// The 2019 page's form: `connectionString` a SecureString holding the legacy page's "typical connection
/// string" (`Server=…;Database=…;Port=…;UID=…;Password=…`). The password becomes V2's SecureString
/// `password` (reference §8); every key has a V2 property and the password is in the string, so the
/// migration is safe. The password never reaches the output.
#[test]
fn secure_string_connection_string_migrates_with_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let secure_cs = "\"connectionString\": {\n\t\t\t\t\"type\": \"SecureString\",\n\t\t\t\t\"value\": \"Server=pg.example.com;Database=sales;Port=5432;UID=etl;Password=S3cret-pw\"\n\t\t\t}";
    write(
        dir.path(),
        "linkedService/Secure.json",
        &studio("Secure", "PostgreSql", &[secure_cs.into()], ""),
    );
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    let f = one(&report, "linkedService/Secure.json", "ADFPG060");
    assert_eq!(f["fix"]["safety"], "safe", "{f:#}");
    let out = fix(dir.path(), false);
    assert_v2(
        &doc(dir.path(), "linkedService/Secure.json"),
        &v2(
            "pg.example.com",
            5432,
            "sales",
            "etl",
            Some(secure("S3cret-pw")),
            0,
            &[],
        ),
        &out,
    );
    let (_, diff, _) = tool(dir.path(), &["--diff", "--unsafe-fixes", "."]);
    for shown in [report.to_string(), out, diff] {
        assert!(
            !shown.contains("S3cret-pw"),
            "a secret in the output: {shown}"
        );
    }
    assert_settled(dir.path(), &before, &report, false);
}

/// `connectionString` an `AzureKeyVaultSecret` (the SDK allows it): the whole string is in Key Vault, which a
/// file rewrite cannot read (reference §8: "An AKV-referenced connection string means manual migration").
/// Nothing is written; ADFPG009 says why and ADFPG060 says it cannot be migrated automatically.
#[test]
fn key_vault_connection_string_is_held_back_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    let vault_cs = "\"connectionString\": {\n\t\t\t\t\"type\": \"AzureKeyVaultSecret\",\n\t\t\t\t\"store\": {\n\t\t\t\t\t\"referenceName\": \"Vault\",\n\t\t\t\t\t\"type\": \"LinkedServiceReference\"\n\t\t\t\t},\n\t\t\t\t\"secretName\": \"pg-connection-string\"\n\t\t\t}";
    write(dir.path(), "linkedService/Vault.json", VAULT);
    write(
        dir.path(),
        "linkedService/WholeInVault.json",
        &studio("WholeInVault", "PostgreSql", &[vault_cs.into()], ""),
    );
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    let path = "linkedService/WholeInVault.json";
    let kv = one(&report, path, "ADFPG009");
    assert!(
        kv["message"]
            .as_str()
            .unwrap()
            .contains("pg-connection-string"),
        "names the secret: {kv:#}"
    );
    let legacy = one(&report, path, "ADFPG060");
    assert!(legacy["fix"].is_null(), "{legacy:#}");
    let message = legacy["message"].as_str().unwrap();
    assert!(
        message.contains("cannot be migrated") && message.contains("Key Vault"),
        "{message}"
    );
    let out = fix(dir.path(), true);
    assert_same_tree(dir.path(), &before, &out);
}

// ---------- 4. hosts, DataDirect key spellings, ODBC braces ----------

enum Expect {
    /// Migrated by the safe `--fix`, `typeProperties` exactly these members.
    Migrates(Vec<(&'static str, Value)>),
    /// Held back: the file left byte for byte, and its ADFPG060 finding says it cannot be migrated and
    /// names this.
    HeldBack(&'static str),
}

struct Case {
    name: &'static str,
    members: Vec<String>,
    expect: Expect,
}

/// Writes the cases (and the Vault linked service) into one factory, runs the safe `--fix` once, checks each
/// file, then that the run settled.
fn run_cases(cases: &[Case]) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "linkedService/Vault.json", VAULT);
    for c in cases {
        write(
            dir.path(),
            &format!("linkedService/{}.json", c.name),
            &studio(c.name, "PostgreSql", &c.members, ""),
        );
    }
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    let out = fix(dir.path(), false);
    let mut wrong = Vec::new();
    for c in cases {
        let path = format!("linkedService/{}.json", c.name);
        let now = text(dir.path(), &path);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &c.expect {
            Expect::Migrates(want) => assert_v2(&strict(&now, &path), want, c.name),
            Expect::HeldBack(words) => {
                assert_eq!(now.as_bytes(), &before[&path][..], "must be held back");
                let f = one(&report, &path, "ADFPG060");
                let m = f["message"].as_str().unwrap();
                assert!(
                    m.contains("cannot be migrated") && m.contains(words),
                    "the finding must say why ({words}): {m}"
                );
            }
        }));
        if let Err(e) = result {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            wrong.push(format!("{}: {why}\n--- written:\n{now}", c.name));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases wrong:\n{}\n--- fix output:\n{out}",
        wrong.len(),
        cases.len(),
        wrong.join("\n\n")
    );
    if cases
        .iter()
        .any(|c| matches!(c.expect, Expect::Migrates(_)))
    {
        assert_settled(dir.path(), &before, &report, false);
    }
}

fn with_vault(string: &str) -> Vec<String> {
    vec![cs(string), KV_PASSWORD.into()]
}

fn migrates(server: &str, port: u16, database: &str, user: &str) -> Expect {
    Expect::Migrates(v2(
        server,
        port,
        database,
        user,
        Some(kv_password()),
        0,
        &[],
    ))
}

/// The host is the V2 `server` as written — an IPv4 address, the IPv6 loopback, a name — and the
/// DataDirect driver's spellings of each key are read ([DD]: `HostName (HOST)`, `PortNumber`, `LogonID
/// (UID)`; the legacy page's `Server`/`UID`; keys case-insensitive), a missing port is the driver's default
/// 5432, and ODBC braces quote a value that holds `;` (`}}` is a `}`).
#[test]
fn hosts_and_key_spellings() {
    run_cases(&[
        Case {
            name: "Ipv4",
            members: with_vault(
                "host=10.1.2.3;port=5432;database=sales;uid=etl;encryptionmethod=0",
            ),
            expect: migrates("10.1.2.3", 5432, "sales", "etl"),
        },
        Case {
            name: "Ipv6Loopback",
            members: with_vault("host=::1;port=5432;database=sales;uid=etl;encryptionmethod=0"),
            expect: migrates("::1", 5432, "sales", "etl"),
        },
        Case {
            // the legacy page's "typical connection string" keys
            name: "TypicalKeys",
            members: with_vault("Server=pg.internal.example.com;Database=sales;Port=5433;UID=etl"),
            expect: migrates("pg.internal.example.com", 5433, "sales", "etl"),
        },
        Case {
            name: "DataDirectLongNames",
            members: with_vault(
                "HostName=pg.example.com;PortNumber=6432;Database=sales;LogonID=etl;EncryptionMethod=0",
            ),
            expect: migrates("pg.example.com", 6432, "sales", "etl"),
        },
        Case {
            name: "ShortAliases",
            members: with_vault("HOST=pg.example.com;PORT=5432;DB=sales;User=etl;EM=0"),
            expect: migrates("pg.example.com", 5432, "sales", "etl"),
        },
        Case {
            // DataDirect: "Default port 5432"
            name: "NoPort",
            members: with_vault("host=pg.example.com;database=sales;uid=etl"),
            expect: migrates("pg.example.com", 5432, "sales", "etl"),
        },
        Case {
            // ODBC braces: `;` inside is text, `}}` one `}`; the braced password is the SecureString's value
            name: "BracedValues",
            members: vec![cs(
                "host={pg.example.com};port={5432};database={sales;2024};uid={etl};pwd={p;w}}d=x}",
            )],
            expect: Expect::Migrates(v2(
                "pg.example.com",
                5432,
                "sales;2024",
                "etl",
                Some(secure("p;w}d=x")),
                0,
                &[],
            )),
        },
        Case {
            // a whole Npgsql string braced into the host (a real Synapse file, [EX-liu]): the host is not a
            // host name, so the string is ambiguous and held back with a reason
            name: "ConnectionStringInHost",
            members: with_vault(
                "host={Host=pg.example.com;Port=5432;SSL Mode=Require;Trust Server Certificate=true};port=5432;database=sales;uid=etl",
            ),
            expect: Expect::HeldBack("host"),
        },
    ]);
}

// ---------- 5. sslMode ----------

fn ssl(options: &str) -> Vec<String> {
    with_vault(&format!(
        "host=pg.example.com;port=5432;database=sales;uid=etl{options}"
    ))
}

/// ADFPG060's documented mapping of the legacy driver's TLS settings (reference §6), one case per row:
/// EncryptionMethod 0 or absent → 0 (Disable: "data is not encrypted"); 6 (RequestSSL) → 2 (Prefer); 1 (SSL)
/// → 3 (Require) with `trustServerCertificate: true` (the legacy driver validated nothing); 1 with
/// ValidateServerCertificate=1 → 4 (VerifyCA), and with a HostNameInCertificate naming the server → 5
/// (VerifyFull); validation without encryption (EM=0) changes nothing. No faithful mode: EM=6 with VSC=1,
/// and a HostNameInCertificate naming another host, are held back. Short forms EM/VSC read as the long ones.
#[test]
fn ssl_mode_mapping() {
    let tsc = [("trustServerCertificate", json!(true))];
    let mode = |n: u8, rest: &[(&'static str, Value)]| {
        Expect::Migrates(v2(
            "pg.example.com",
            5432,
            "sales",
            "etl",
            Some(kv_password()),
            n,
            rest,
        ))
    };
    let cases = vec![
        ("EmAbsent", "", mode(0, &[])),
        ("Em0", ";EncryptionMethod=0", mode(0, &[])),
        (
            "Em0Vsc1",
            ";EncryptionMethod=0;ValidateServerCertificate=1",
            mode(0, &[]),
        ),
        ("Em1", ";EncryptionMethod=1", mode(3, &tsc)),
        (
            "Em1Vsc0",
            ";EncryptionMethod=1;ValidateServerCertificate=0",
            mode(3, &tsc),
        ),
        ("ShortEm1", ";EM=1", mode(3, &tsc)),
        (
            "Em1Vsc1",
            ";EncryptionMethod=1;ValidateServerCertificate=1",
            mode(4, &[]),
        ),
        ("ShortEm1Vsc1", ";EM=1;VSC=1", mode(4, &[])),
        (
            "LowerEm1Vsc1",
            ";encryptionmethod=1;validateservercertificate=1",
            mode(4, &[]),
        ),
        (
            "Em1Vsc1HnicServer",
            ";EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=pg.example.com",
            mode(5, &[]),
        ),
        ("Em6", ";EncryptionMethod=6", mode(2, &[])),
        (
            "Em6Vsc0",
            ";EncryptionMethod=6;ValidateServerCertificate=0",
            mode(2, &[]),
        ),
        ("ShortEm6", ";em=6", mode(2, &[])),
        (
            "Em6Vsc1",
            ";EncryptionMethod=6;ValidateServerCertificate=1",
            Expect::HeldBack("ValidateServerCertificate"),
        ),
        (
            "ShortEm6Vsc1",
            ";EM=6;VSC=1",
            Expect::HeldBack("ValidateServerCertificate"),
        ),
        (
            "Em1Vsc1HnicOther",
            ";EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=other.example.com",
            Expect::HeldBack("HostNameInCertificate"),
        ),
    ];
    run_cases(
        &cases
            .into_iter()
            .map(|(name, options, expect)| Case {
                name,
                members: ssl(options),
                expect,
            })
            .collect::<Vec<_>>(),
    );
}

/// A custom trust store (`TrustStore`, `TrustStorePassword`) has no V2 property (V2's `sslCertificate`/
/// `sslKey` are client certificates): the reference's table says "Flag". The safe `--fix` does not drop it
/// silently, and a finding on the file names it.
#[test]
fn a_trust_store_is_flagged_not_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "linkedService/Vault.json", VAULT);
    write(
        dir.path(),
        "linkedService/TrustStore.json",
        &studio(
            "TrustStore",
            "PostgreSql",
            &ssl(";EncryptionMethod=1;ValidateServerCertificate=1;TrustStore=C:\\certs\\root.pem"),
            "",
        ),
    );
    let before = snapshot_tree(dir.path());
    let lines = concise(dir.path());
    assert!(
        lines
            .lines()
            .any(|l| l.starts_with("linkedService/TrustStore.json") && l.contains("TrustStore")),
        "{lines}"
    );
    let out = fix(dir.path(), false);
    assert_same_tree(dir.path(), &before, &out);
}

// ---------- 6. self-hosted integration runtime ----------

/// A legacy linked service on a self-hosted runtime, with a description, parameters and annotations: the
/// migration replaces the type and the connection string only; `connectVia` and everything else stay byte
/// for byte (ADFPG060: "`encryptedCredential`, `connectVia`, `annotations`, `description`, `parameters` … stay
/// as they are; only the bytes that must change are touched").
#[test]
fn self_hosted_runtime_and_the_rest_are_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let string = "host=10.20.0.5;port=5432;database=crm;uid=crm_reader;encryptionmethod=0";
    let original = format!(
        "{{\n\t\"name\": \"OnPrem\",\n\t\"type\": \"Microsoft.DataFactory/factories/linkedservices\",\n\t\"properties\": {{\n\t\t\"description\": \"CRM replica in the data centre\",\n\t\t\"parameters\": {{\n\t\t\t\"env\": {{\n\t\t\t\t\"type\": \"String\",\n\t\t\t\t\"defaultValue\": \"prod\"\n\t\t\t}}\n\t\t}},\n\t\t\"annotations\": [\n\t\t\t\"crm\"\n\t\t],\n\t\t\"type\": \"PostgreSql\",\n\t\t\"typeProperties\": {{\n\t\t\t{},\n\t\t\t{}\n\t\t}},\n\t\t\"connectVia\": {{\n\t\t\t\"referenceName\": \"SelfHostedIR\",\n\t\t\t\"type\": \"IntegrationRuntimeReference\"\n\t\t}}\n\t}}\n}}",
        cs(string),
        encrypted()
    );
    write(dir.path(), "linkedService/OnPrem.json", &original);
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    let out = fix(dir.path(), true);
    let expected = studio_migrated(
        &original,
        string,
        &[
            ("server", "\"10.20.0.5\""),
            ("port", "5432"),
            ("database", "\"crm\""),
            ("username", "\"crm_reader\""),
            ("sslMode", "0"),
            ("authenticationType", "\"Basic\""),
        ],
    );
    assert_eq!(
        text(dir.path(), "linkedService/OnPrem.json"),
        expected,
        "{out}"
    );
    assert_settled(dir.path(), &before, &report, true);
}

// ---------- 7 and 8. datasets and sources ----------

/// A dataset as Studio writes it (the resource type last, reference §1.3): `extra` are members of
/// `properties` before `type` (`"parameters": …`), `columns` the `properties.schema` array's text.
fn dataset(
    name: &str,
    ls: &str,
    ds_type: &str,
    extra: &str,
    columns: &str,
    tp: &[String],
) -> String {
    format!(
        "{{\n\t\"name\": \"{name}\",\n\t\"properties\": {{\n\t\t\"linkedServiceName\": {{\n\t\t\t\"referenceName\": \"{ls}\",\n\t\t\t\"type\": \"LinkedServiceReference\"\n\t\t}},{extra}\n\t\t\"annotations\": [],\n\t\t\"type\": \"{ds_type}\",\n\t\t\"schema\": {columns},\n\t\t\"typeProperties\": {{\n\t\t\t{}\n\t\t}}\n\t}},\n\t\"type\": \"Microsoft.DataFactory/factories/datasets\"\n}}",
        tp.join(",\n\t\t\t")
    )
}

const COLUMNS: &str =
    "[\n\t\t\t{\n\t\t\t\t\"name\": \"id\",\n\t\t\t\t\"type\": \"integer\"\n\t\t\t}\n\t\t]";

const PARAMETERS: &str = "\n\t\t\"parameters\": {\n\t\t\t\"Schema\": {\n\t\t\t\t\"type\": \"string\"\n\t\t\t},\n\t\t\t\"Table\": {\n\t\t\t\t\"type\": \"string\"\n\t\t\t}\n\t\t},";

/// A Copy activity reading `input` with `source` (its members' JSON text at source depth).
fn copy_activity(name: &str, input: &str, source: &str) -> String {
    format!(
        "{{\n\t\t\t\t\"name\": \"{name}\",\n\t\t\t\t\"type\": \"Copy\",\n\t\t\t\t\"dependsOn\": [],\n\t\t\t\t\"userProperties\": [],\n\t\t\t\t\"typeProperties\": {{\n\t\t\t\t\t\"source\": {{\n\t\t\t\t\t\t{source}\n\t\t\t\t\t}},\n\t\t\t\t\t\"sink\": {{\n\t\t\t\t\t\t\"type\": \"ParquetSink\"\n\t\t\t\t\t}},\n\t\t\t\t\t\"enableStaging\": false\n\t\t\t\t}},\n\t\t\t\t\"inputs\": [\n\t\t\t\t\t{{\n\t\t\t\t\t\t\"referenceName\": \"{input}\",\n\t\t\t\t\t\t\"type\": \"DatasetReference\"\n\t\t\t\t\t}}\n\t\t\t\t],\n\t\t\t\t\"outputs\": []\n\t\t\t}}"
    )
}

fn lookup_activity(name: &str, dataset: &str, source: &str) -> String {
    format!(
        "{{\n\t\t\t\t\"name\": \"{name}\",\n\t\t\t\t\"type\": \"Lookup\",\n\t\t\t\t\"dependsOn\": [],\n\t\t\t\t\"userProperties\": [],\n\t\t\t\t\"typeProperties\": {{\n\t\t\t\t\t\"source\": {{\n\t\t\t\t\t\t{source}\n\t\t\t\t\t}},\n\t\t\t\t\t\"dataset\": {{\n\t\t\t\t\t\t\"referenceName\": \"{dataset}\",\n\t\t\t\t\t\t\"type\": \"DatasetReference\"\n\t\t\t\t\t}},\n\t\t\t\t\t\"firstRowOnly\": true\n\t\t\t\t}}\n\t\t\t}}"
    )
}

fn pipeline(name: &str, activities: &[String]) -> String {
    format!(
        "{{\n\t\"name\": \"{name}\",\n\t\"properties\": {{\n\t\t\"activities\": [\n\t\t\t{}\n\t\t],\n\t\t\"annotations\": []\n\t}},\n\t\"type\": \"Microsoft.DataFactory/factories/pipelines\"\n}}",
        activities.join(",\n\t\t\t")
    )
}

/// `tableName` member text.
fn table_name(v: &str) -> String {
    member("tableName", v)
}

/// A factory with a legacy linked service `Pg` whose migration is safe (Key Vault password), another,
/// `PgStudio`, whose migration is unsafe (encryptedCredential only), their datasets and a pipeline.
fn dependents_factory(dir: &Path) {
    let string = "host=pg.example.com;port=5432;database=sales;uid=etl;encryptionmethod=0";
    write(dir, "linkedService/Vault.json", VAULT);
    write(
        dir,
        "linkedService/Pg.json",
        &studio("Pg", "PostgreSql", &with_vault(string), ""),
    );
    write(
        dir,
        "linkedService/PgStudio.json",
        &studio("PgStudio", "PostgreSql", &[cs(string), encrypted()], ""),
    );
    let pg_table = |name: &str, extra: &str, tp: &[String]| {
        write(
            dir,
            &format!("dataset/{name}.json"),
            &dataset(name, "Pg", "PostgreSqlTable", extra, COLUMNS, tp),
        );
    };
    pg_table("DotName", "", &[table_name("\"public.orders\"")]);
    pg_table(
        "QuotedName",
        "",
        &[table_name(&js("\"Sales\".\"Order.Lines\""))],
    );
    pg_table("BareName", "", &[table_name("\"orders\"")]);
    pg_table(
        "SchemaTable",
        "",
        &[member("schema", "\"public\""), member("table", "\"actor\"")],
    );
    pg_table(
        "Parameterised",
        PARAMETERS,
        &[
            member(
                "schema",
                "{\n\t\t\t\t\"value\": \"@dataset().Schema\",\n\t\t\t\t\"type\": \"Expression\"\n\t\t\t}",
            ),
            member(
                "table",
                "{\n\t\t\t\t\"value\": \"@dataset().Table\",\n\t\t\t\t\"type\": \"Expression\"\n\t\t\t}",
            ),
        ],
    );
    pg_table(
        "ExpressionName",
        PARAMETERS,
        &[table_name(
            "{\n\t\t\t\t\"value\": \"@concat(dataset().Schema, '.', dataset().Table)\",\n\t\t\t\t\"type\": \"Expression\"\n\t\t\t}",
        )],
    );
    pg_table(
        "NameAndSchema",
        "",
        &[
            table_name("\"public.orders\""),
            member("schema", "\"public\""),
        ],
    );
    write(
        dir,
        "dataset/Generic.json",
        &dataset(
            "Generic",
            "Pg",
            "RelationalTable",
            "",
            "[]",
            &[table_name(&js("\"public\".\"dim_age_group\""))],
        ),
    );
    write(
        dir,
        "dataset/StudioOrders.json",
        &dataset(
            "StudioOrders",
            "PgStudio",
            "PostgreSqlTable",
            "",
            "[]",
            &[
                member("schema", "\"public\""),
                member("table", "\"orders\""),
            ],
        ),
    );
    write(
        dir,
        "pipeline/Load.json",
        &pipeline(
            "Load",
            &[
                copy_activity(
                    "Copy orders",
                    "DotName",
                    "\"type\": \"PostgreSqlSource\",\n\t\t\t\t\t\t\"query\": \"SELECT * FROM \\\"public\\\".\\\"orders\\\"\",\n\t\t\t\t\t\t\"queryTimeout\": \"02:00:00\"",
                ),
                lookup_activity(
                    "Latest actor",
                    "SchemaTable",
                    "\"type\": \"PostgreSqlSource\",\n\t\t\t\t\t\t\"query\": {\n\t\t\t\t\t\t\t\"value\": \"@concat('SELECT max(actor_id) FROM ', pipeline().parameters.t)\",\n\t\t\t\t\t\t\t\"type\": \"Expression\"\n\t\t\t\t\t\t}",
                ),
            ],
        ),
    );
    write(
        dir,
        "pipeline/FromExpression.json",
        &pipeline(
            "FromExpression",
            &[copy_activity(
                "Copy any table",
                "ExpressionName",
                "\"type\": \"PostgreSqlSource\"",
            )],
        ),
    );
}

/// `PostgreSqlTable` → `PostgreSqlV2Table` with its linked service (REST model: V2 has `schema` and `table`
/// only). A literal `tableName` is split as ADFPG030 splits it (first `.` outside double quotes, quoted
/// identifiers kept as written, no dot: `table` only); `schema`/`table` literals, expressions and dataset
/// parameters migrate by the type alone, the column list untouched; an expression `tableName`, or one beside
/// `schema`/`table`, cannot be split safely and is held back with the reason. A `RelationalTable` on the
/// legacy linked service is reported (ADFPG063), not changed. A retyped dataset has its linked service's
/// safety: the safe `--fix` retypes the datasets of `Pg` and leaves `PgStudio`'s for `--unsafe-fixes`.
#[test]
fn datasets_follow_their_linked_service() {
    let dir = tempfile::tempdir().unwrap();
    dependents_factory(dir.path());
    let before = snapshot_tree(dir.path());
    let original = |rel: &str| String::from_utf8(before[rel].clone()).unwrap();
    let report = lint(dir.path());
    for name in ["DotName", "SchemaTable", "ExpressionName", "StudioOrders"] {
        one(&report, &format!("dataset/{name}.json"), "ADFPG061");
    }
    let generic = one(&report, "dataset/Generic.json", "ADFPG063");
    assert!(generic["fix"].is_null(), "{generic:#}");
    let retyped = |rel: &str| {
        original(rel).replacen(
            "\t\t\"type\": \"PostgreSqlTable\",",
            "\t\t\"type\": \"PostgreSqlV2Table\",",
            1,
        )
    };
    let out = fix(dir.path(), false);
    // split: the `tableName` member replaced by `schema` and `table` in its own layout
    for (name, old, schema, table) in [
        (
            "DotName",
            "\"public.orders\"",
            Some("\"public\""),
            "\"orders\"",
        ),
        (
            "QuotedName",
            r#""\"Sales\".\"Order.Lines\"""#,
            Some(r#""\"Sales\"""#),
            r#""\"Order.Lines\"""#,
        ),
        ("BareName", "\"orders\"", None, "\"orders\""),
    ] {
        let rel = format!("dataset/{name}.json");
        let new_members = match schema {
            Some(s) => format!("{},\n\t\t\t{}", member("schema", s), member("table", table)),
            None => member("table", table),
        };
        let expected = retyped(&rel).replacen(&table_name(old), &new_members, 1);
        assert_eq!(text(dir.path(), &rel), expected, "{name}\n{out}");
    }
    // the type alone
    for name in ["SchemaTable", "Parameterised"] {
        let rel = format!("dataset/{name}.json");
        assert_eq!(text(dir.path(), &rel), retyped(&rel), "{name}\n{out}");
    }
    // held back, saying why; the generic dataset, and the unsafe linked service's, unchanged
    let after = lint(dir.path());
    for (name, why) in [
        ("ExpressionName", "expression"),
        ("NameAndSchema", "tableName"),
    ] {
        let rel = format!("dataset/{name}.json");
        assert_eq!(text(dir.path(), &rel), original(&rel), "{name}\n{out}");
        let m = one(&after, &rel, "ADFPG061")["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            m.contains("cannot be migrated") && m.contains(why),
            "{name}: {m}"
        );
    }
    for rel in ["dataset/Generic.json", "dataset/StudioOrders.json"] {
        assert_eq!(text(dir.path(), rel), original(rel), "{rel}\n{out}");
    }
    one(&after, "dataset/Generic.json", "ADFPG063");
    // with --unsafe-fixes, the unsafe linked service and its dataset together
    let out = fix(dir.path(), true);
    assert_eq!(
        text(dir.path(), "dataset/StudioOrders.json"),
        retyped("dataset/StudioOrders.json"),
        "{out}"
    );
    assert_eq!(
        doc(dir.path(), "linkedService/PgStudio.json")["properties"]["type"],
        "PostgreSqlV2"
    );
    assert_settled(dir.path(), &before, &report, true);
}

/// Copy and Lookup sources `PostgreSqlSource` → `PostgreSqlV2Source` (REST model: the same members), `query`
/// (a literal or an expression) and `queryTimeout` kept byte for byte, with the safety of their linked
/// service (`Pg`'s is safe, so the safe `--fix` retypes them); a source whose dataset is held back waits for
/// it, saying so.
#[test]
fn copy_and_lookup_sources_follow_their_dataset() {
    let dir = tempfile::tempdir().unwrap();
    dependents_factory(dir.path());
    let before = snapshot_tree(dir.path());
    let original = |rel: &str| String::from_utf8(before[rel].clone()).unwrap();
    let report = lint(dir.path());
    let sources = findings(&report, "pipeline/Load.json", "ADFPG062");
    assert_eq!(sources.len(), 2, "{report:#}");
    let out = fix(dir.path(), false);
    assert_eq!(
        text(dir.path(), "pipeline/Load.json"),
        original("pipeline/Load.json").replace("\"PostgreSqlSource\"", "\"PostgreSqlV2Source\""),
        "{out}"
    );
    assert_eq!(
        text(dir.path(), "pipeline/FromExpression.json"),
        original("pipeline/FromExpression.json"),
        "{out}"
    );
    let after = lint(dir.path());
    let waiting = one(&after, "pipeline/FromExpression.json", "ADFPG062");
    let m = waiting["message"].as_str().unwrap();
    assert!(
        m.contains("cannot be migrated") && m.contains("ExpressionName"),
        "{m}"
    );
    assert_settled(dir.path(), &before, &report, false);
}

/// A `RelationalSource` reading a `RelationalTable` on a legacy linked service (kamalpathak10/CICD's
/// dataset, and the Copy activity that read it) is reported (ADFPG063; reference §8: "`RelationalSource` in
/// Copy/Lookup whose dataset points at such an LS"), not changed — whatever the linked service is called:
/// the real one's name is `PostgreSql`, the same factory with it named `Crm` must be reported the same way.
#[test]
fn relational_source_on_a_legacy_linked_service_is_reported_not_changed() {
    let mut wrong = Vec::new();
    for ls in ["PostgreSql", "Crm"] {
        let dir = real("kamalpathak10__CICD");
        let root = dir.path();
        if ls != "PostgreSql" {
            let rename = |rel: &str| {
                text(root, rel)
                    .replace(
                        "\"PostgreSql\",\n\t\"type\": \"Microsoft",
                        &format!("\"{ls}\",\n\t\"type\": \"Microsoft"),
                    )
                    .replace(
                        "\"referenceName\": \"PostgreSql\"",
                        &format!("\"referenceName\": \"{ls}\""),
                    )
            };
            let ls_text = rename("linkedService/PostgreSql.json");
            assert!(
                ls_text.contains(&format!("\"name\": \"{ls}\"")),
                "{ls_text}"
            );
            fs::remove_file(root.join("linkedService/PostgreSql.json")).unwrap();
            write(root, &format!("linkedService/{ls}.json"), &ls_text);
            let ds_text = rename("dataset/SourceDataset_Postgres.json");
            assert!(
                ds_text.contains(&format!("\"referenceName\": \"{ls}\"")),
                "{ds_text}"
            );
            write(root, "dataset/SourceDataset_Postgres.json", &ds_text);
        }
        let pipeline_text = pipeline(
            "CopyPipeline-DB-to-ADLS",
            &[copy_activity(
                "Copy dim_age_group",
                "SourceDataset_Postgres",
                "\"type\": \"RelationalSource\",\n\t\t\t\t\t\t\"query\": \"select * from \\\"public\\\".\\\"dim_age_group\\\"\"",
            )
            .replace(
                "\"referenceName\": \"SourceDataset_Postgres\",\n\t\t\t\t\t\t\"type\": \"DatasetReference\"",
                "\"referenceName\": \"SourceDataset_Postgres\",\n\t\t\t\t\t\t\"type\": \"DatasetReference\",\n\t\t\t\t\t\t\"parameters\": {\n\t\t\t\t\t\t\t\"cw_tableName\": \"\\\"public\\\".\\\"dim_age_group\\\"\"\n\t\t\t\t\t\t}",
            )],
        );
        write(
            root,
            "pipeline/CopyPipeline-DB-to-ADLS.json",
            &pipeline_text,
        );
        strict(&pipeline_text, "the pipeline");
        let before = snapshot_tree(root);
        let report = lint(root);
        let reported = findings(&report, "pipeline/CopyPipeline-DB-to-ADLS.json", "ADFPG063");
        match reported.as_slice() {
            [f] => {
                if f["pointer"] != "/properties/activities/0/typeProperties/source/type"
                    || !f["fix"].is_null()
                {
                    wrong.push(format!("{ls}: {f:#}"));
                }
            }
            other => wrong.push(format!(
                "{ls}: {} ADFPG063 findings on the pipeline, want 1",
                other.len()
            )),
        }
        let out = fix(root, true);
        for rel in [
            "pipeline/CopyPipeline-DB-to-ADLS.json",
            "dataset/SourceDataset_Postgres.json",
        ] {
            if snapshot_tree(root)[rel] != before[rel] {
                wrong.push(format!("{ls}: {rel} changed\n{out}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---------- 9. ARM and Synapse templates ----------

/// `[parameters('<p>')]`.
fn param(p: &str) -> Value {
    json!(format!("[parameters('{p}')]"))
}

/// Every `parameters('…')` a template's resources name is declared in its `parameters` (ARM refuses
/// anything else).
fn assert_declared(template: &Value, what: &str) {
    let resources = template["resources"].to_string();
    let declared = template["parameters"].as_object().unwrap();
    for part in resources.split("parameters('").skip(1) {
        let name = part.split('\'').next().unwrap();
        assert!(
            declared.contains_key(name),
            "{what}: `{name}` is not declared"
        );
    }
}

/// The legacy linked-service resource of a published template (reference §5.1): its whole connection string
/// one secureString parameter `<ls>_connectionString`.
fn arm_legacy_ls(
    kind: &str,
    name_param: &str,
    id_var: &str,
    name: &str,
    extra_tp: &[(&str, Value)],
    runtime: &str,
    depends: &[String],
) -> Value {
    let mut tp = Map::new();
    tp.insert(
        "connectionString".into(),
        param(&format!("{name}_connectionString")),
    );
    for (k, v) in extra_tp {
        tp.insert((*k).into(), v.clone());
    }
    let mut depends_on = vec![json!(format!(
        "[concat(variables('{id_var}'), '/integrationRuntimes/{runtime}')]"
    ))];
    depends_on.extend(depends.iter().map(|d| json!(d)));
    json!({
        "name": format!("[concat(parameters('{name_param}'), '/{name}')]"),
        "type": format!("{kind}/linkedServices"),
        "apiVersion": if kind.contains("Synapse") { "2019-06-01-preview" } else { "2018-06-01" },
        "properties": {
            "annotations": [],
            "type": "PostgreSql",
            "typeProperties": tp,
            "connectVia": { "referenceName": runtime, "type": "IntegrationRuntimeReference" }
        },
        "dependsOn": depends_on
    })
}

fn secure_param(ls: &str, what: &str) -> Value {
    json!({"type": "secureString", "metadata": format!("Secure string for '{what}' of '{ls}'")})
}

/// ADF's publish of a V2 linked service `ls` (reference §5.2, the real export in fixtures/real/thanhthuy…):
/// `server`, `database` and `username` become string parameters defaulting to the linked service's values.
fn assert_string_params(parameters: &Value, ls: &str, server: &str, database: &str, user: &str) {
    for (m, v) in [
        ("server", server),
        ("database", database),
        ("username", user),
    ] {
        assert_eq!(
            parameters[format!("{ls}_properties_typeProperties_{m}")],
            json!({"type": "string", "defaultValue": v}),
            "{ls}.{m}: {parameters:#}"
        );
    }
}

/// The parameters file's entries for them: the current values, and `""` for a secureString password.
fn assert_file_values(file: &Value, ls: &str, values: &[(&str, &str)]) {
    for (m, v) in values {
        let name = if *m == "password" {
            format!("{ls}_password")
        } else {
            format!("{ls}_properties_typeProperties_{m}")
        };
        assert_eq!(
            file["parameters"][&name],
            json!({"value": v}),
            "{name}: {file:#}"
        );
    }
}

/// An ADF factory in git (linked services, a dataset, its factory file) with the ARM export ADF's publish
/// writes beside it (`<factory>/ARMTemplateForFactory.json` and its parameters file, reference §5.1): the
/// legacy `<ls>_connectionString` becomes V2's parameters with defaults from the migrated git file,
/// `<ls>_password` a secureString where the password is not in Key Vault (none where it is: the reference
/// is copied literally), port/sslMode/authenticationType literal, members in ADF's V2 order; the dataset
/// resource takes `PostgreSqlV2Table`; the parameters file gains the new entries; `plan` names the renames.
#[test]
fn arm_template_and_parameters_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "linkedService/Vault.json", VAULT);
    write(
        root,
        "linkedService/LegacyPg.json",
        &studio(
            "LegacyPg",
            "PostgreSql",
            &[
                cs("host=pg.example.com;port=5432;database=sales;uid=etl;encryptionmethod=0"),
                encrypted(),
            ],
            ",\n\t\t\"connectVia\": {\n\t\t\t\"referenceName\": \"integrationRuntime\",\n\t\t\t\"type\": \"IntegrationRuntimeReference\"\n\t\t}",
        ),
    );
    write(
        root,
        "linkedService/LegacyVault.json",
        &studio(
            "LegacyVault",
            "PostgreSql",
            &with_vault(
                "host=hr.example.com;port=6432;database=hr;uid=hr_app;encryptionmethod=1;validateservercertificate=1",
            ),
            ",\n\t\t\"connectVia\": {\n\t\t\t\"referenceName\": \"integrationRuntime\",\n\t\t\t\"type\": \"IntegrationRuntimeReference\"\n\t\t}",
        ),
    );
    write(
        root,
        "dataset/LegacyOrders.json",
        &dataset(
            "LegacyOrders",
            "LegacyPg",
            "PostgreSqlTable",
            "",
            "[]",
            &[
                member("schema", "\"public\""),
                member("table", "\"orders\""),
            ],
        ),
    );
    write(
        root,
        "factory/adf-legacy.json",
        "{\n\t\"name\": \"adf-legacy\",\n\t\"location\": \"westeurope\"\n}",
    );
    let factory_id = "[concat('Microsoft.DataFactory/factories/', parameters('factoryName'))]";
    let template = json!({
        "$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "factoryName": { "type": "string", "metadata": "Data Factory name", "defaultValue": "adf-legacy" },
            "LegacyPg_connectionString": secure_param("LegacyPg", "connectionString"),
            "LegacyVault_connectionString": secure_param("LegacyVault", "connectionString")
        },
        "variables": { "factoryId": factory_id },
        "resources": [
            arm_legacy_ls("Microsoft.DataFactory/factories", "factoryName", "factoryId", "LegacyPg", &[], "integrationRuntime", &[]),
            arm_legacy_ls(
                "Microsoft.DataFactory/factories", "factoryName", "factoryId", "LegacyVault",
                &[("password", kv_password())], "integrationRuntime",
                &["[concat(variables('factoryId'), '/linkedServices/Vault')]".to_string()],
            ),
            {
                "name": "[concat(parameters('factoryName'), '/Vault')]",
                "type": "Microsoft.DataFactory/factories/linkedServices",
                "apiVersion": "2018-06-01",
                "properties": { "annotations": [], "type": "AzureKeyVault", "typeProperties": { "baseUrl": "https://factory-vault.vault.azure.net/" } },
                "dependsOn": []
            },
            {
                "name": "[concat(parameters('factoryName'), '/LegacyOrders')]",
                "type": "Microsoft.DataFactory/factories/datasets",
                "apiVersion": "2018-06-01",
                "properties": {
                    "linkedServiceName": { "referenceName": "LegacyPg", "type": "LinkedServiceReference" },
                    "annotations": [],
                    "type": "PostgreSqlTable",
                    "schema": [],
                    "typeProperties": { "schema": "public", "table": "orders" }
                },
                "dependsOn": [ "[concat(variables('factoryId'), '/linkedServices/LegacyPg')]" ]
            }
        ]
    });
    let parameters = json!({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "factoryName": { "value": "adf-legacy" },
            "LegacyPg_connectionString": { "value": "" },
            "LegacyVault_connectionString": { "value": "" }
        }
    });
    write(
        root,
        "adf-legacy/ARMTemplateForFactory.json",
        &adf_json(&template),
    );
    write(
        root,
        "adf-legacy/ARMTemplateParametersForFactory.json",
        &adf_json(&parameters),
    );
    // a release pipeline that overrides the old parameter (reference §5: "CI/CD overrideParameters that set
    // <ls>_connectionString stop matching")
    write(
        root,
        "ci/release.yml",
        "steps:\n  - task: AzureResourceManagerTemplateDeployment@3\n    inputs:\n      overrideParameters: -factoryName adf-prod -LegacyPg_connectionString $(pg-connection-string)\n",
    );
    let before = snapshot_tree(root);
    let report = lint(root);
    one(&report, "adf-legacy/ARMTemplateForFactory.json", "ADFPG061");
    assert_eq!(
        findings(&report, "adf-legacy/ARMTemplateForFactory.json", "ADFPG060").len(),
        2,
        "{report:#}"
    );
    // the plan: `<ls>_connectionString` → the parameters ADF's publish writes for V2
    let p = plan(root);
    for (ls, mut want) in [
        (
            "LegacyPg",
            vec![
                "LegacyPg_properties_typeProperties_server",
                "LegacyPg_properties_typeProperties_database",
                "LegacyPg_properties_typeProperties_username",
                "LegacyPg_password",
            ],
        ),
        (
            "LegacyVault",
            vec![
                "LegacyVault_properties_typeProperties_server",
                "LegacyVault_properties_typeProperties_database",
                "LegacyVault_properties_typeProperties_username",
            ],
        ),
    ] {
        let l = plan_of(&p, ls);
        assert_eq!(l["path"], format!("linkedService/{ls}.json"), "{l:#}");
        let arm = &l["arm_templates"][0];
        assert_eq!(
            arm["path"], "adf-legacy/ARMTemplateForFactory.json",
            "{l:#}"
        );
        assert_eq!(
            arm["renames"][0]["old"],
            format!("{ls}_connectionString"),
            "{l:#}"
        );
        let mut new: Vec<&str> = arm["renames"][0]["new"]
            .as_array()
            .unwrap_or_else(|| panic!("{l:#}"))
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        new.sort();
        want.sort();
        assert_eq!(new, want, "{ls}");
    }
    // the override that names the old parameter is listed, at its line
    let stale: Vec<(&str, u64, &str)> = p["stale_parameter_references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["path"].as_str().unwrap(),
                r["line"].as_u64().unwrap(),
                r["parameter"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stale,
        [("ci/release.yml", 4, "LegacyPg_connectionString")],
        "{p:#}"
    );

    let out = fix(root, true);
    let t = doc(root, "adf-legacy/ARMTemplateForFactory.json");
    let ps = &t["parameters"];
    // defaults from the migrated git files
    assert_string_params(ps, "LegacyPg", "pg.example.com", "sales", "etl");
    assert_string_params(ps, "LegacyVault", "hr.example.com", "hr", "hr_app");
    assert_eq!(
        ps["LegacyPg_password"],
        secure_param("LegacyPg", "password"),
        "{out}"
    );
    assert!(
        ps.get("LegacyVault_password").is_none(),
        "Key Vault: no password parameter"
    );
    assert_declared(&t, "ARMTemplateForFactory.json");
    let resource = |name: &str| {
        t["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == format!("[concat(parameters('factoryName'), '/{name}')]"))
            .unwrap()
            .clone()
    };
    let tpl_ls = |r: &Value, ls: &str, port: u16, password: Value, ssl: u8| {
        assert_eq!(r["properties"]["type"], "PostgreSqlV2", "{r:#}");
        assert_members(
            &r["properties"]["typeProperties"],
            &[
                (
                    "server",
                    param(&format!("{ls}_properties_typeProperties_server")),
                ),
                ("port", json!(port)),
                (
                    "database",
                    param(&format!("{ls}_properties_typeProperties_database")),
                ),
                (
                    "username",
                    param(&format!("{ls}_properties_typeProperties_username")),
                ),
                ("password", password),
                ("sslMode", json!(ssl)),
                ("authenticationType", json!("Basic")),
            ],
            ls,
        );
    };
    let pg = resource("LegacyPg");
    // encryptionmethod=0 → 0; the password a SecureString from `<ls>_password`, as ADF's V2 publish
    tpl_ls(
        &pg,
        "LegacyPg",
        5432,
        json!({"type": "SecureString", "value": "[parameters('LegacyPg_password')]"}),
        0,
    );
    // encryptionmethod=1;validateservercertificate=1 → 4; the Key Vault reference copied literally
    let vault = resource("LegacyVault");
    tpl_ls(&vault, "LegacyVault", 6432, kv_password(), 4);
    for (r, name) in [(&pg, "LegacyPg"), (&vault, "LegacyVault")] {
        let was = &template["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == r["name"])
            .unwrap();
        assert_eq!(
            r["properties"]["connectVia"], was["properties"]["connectVia"],
            "{name}"
        );
        assert_eq!(r["dependsOn"], was["dependsOn"], "{name}");
    }
    assert_eq!(
        resource("LegacyOrders")["properties"]["type"],
        "PostgreSqlV2Table",
        "{out}"
    );
    assert_eq!(
        resource("LegacyOrders")["properties"]["typeProperties"],
        json!({"schema": "public", "table": "orders"})
    );
    let file = doc(root, "adf-legacy/ARMTemplateParametersForFactory.json");
    assert_file_values(
        &file,
        "LegacyPg",
        &[
            ("server", "pg.example.com"),
            ("database", "sales"),
            ("username", "etl"),
            ("password", ""),
        ],
    );
    assert_file_values(
        &file,
        "LegacyVault",
        &[
            ("server", "hr.example.com"),
            ("database", "hr"),
            ("username", "hr_app"),
        ],
    );
    assert!(
        file["parameters"].get("LegacyVault_password").is_none(),
        "{file:#}"
    );
    // and the git files of the same factory
    assert_eq!(
        doc(root, "linkedService/LegacyPg.json")["properties"]["type"],
        "PostgreSqlV2"
    );
    assert_eq!(
        doc(root, "dataset/LegacyOrders.json")["properties"]["type"],
        "PostgreSqlV2Table"
    );
    assert_settled(root, &before, &report, true);
}

/// A Synapse workspace in git and its publish (`TemplateForWorkspace.json`, `TemplateParametersForWorkspace.json`;
/// reference §5.1: `Microsoft.Synapse/workspaces/linkedServices`, apiVersion 2019-06-01-preview,
/// `workspaceName`, `variables('workspaceId')`): the same parameters as an ADF export.
#[test]
fn synapse_template_and_parameters_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "linkedService/PostgreSql1.json",
        &studio(
            "PostgreSql1",
            "PostgreSql",
            &[
                cs("host=syn-pg.example.com;port=5432;database=lake;uid=loader;encryptionmethod=6"),
                encrypted(),
            ],
            "",
        )
        .replace(
            "Microsoft.DataFactory/factories/linkedservices",
            "Microsoft.Synapse/workspaces/linkedservices",
        ),
    );
    let template = json!({
        "$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "workspaceName": { "type": "string", "metadata": "Workspace name", "defaultValue": "syn-ws" },
            "PostgreSql1_connectionString": secure_param("PostgreSql1", "connectionString")
        },
        "variables": { "workspaceId": "[concat('Microsoft.Synapse/workspaces/', parameters('workspaceName'))]" },
        "resources": [
            arm_legacy_ls("Microsoft.Synapse/workspaces", "workspaceName", "workspaceId", "PostgreSql1", &[], "AutoResolveIntegrationRuntime", &[])
        ]
    });
    let parameters = json!({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "workspaceName": { "value": "syn-ws" },
            "PostgreSql1_connectionString": { "value": "" }
        }
    });
    write(
        root,
        "syn-ws/TemplateForWorkspace.json",
        &adf_json(&template),
    );
    write(
        root,
        "syn-ws/TemplateParametersForWorkspace.json",
        &adf_json(&parameters),
    );
    let before = snapshot_tree(root);
    let report = lint(root);
    one(&report, "syn-ws/TemplateForWorkspace.json", "ADFPG060");
    let out = fix(root, true);
    let t = doc(root, "syn-ws/TemplateForWorkspace.json");
    assert_string_params(
        &t["parameters"],
        "PostgreSql1",
        "syn-pg.example.com",
        "lake",
        "loader",
    );
    assert_eq!(
        t["parameters"]["PostgreSql1_password"],
        secure_param("PostgreSql1", "password"),
        "{out}"
    );
    assert_declared(&t, "TemplateForWorkspace.json");
    let r = &t["resources"][0];
    assert_eq!(r["type"], "Microsoft.Synapse/workspaces/linkedServices");
    assert_eq!(r["properties"]["type"], "PostgreSqlV2", "{out}");
    assert_members(
        &r["properties"]["typeProperties"],
        &[
            (
                "server",
                param("PostgreSql1_properties_typeProperties_server"),
            ),
            ("port", json!(5432)),
            (
                "database",
                param("PostgreSql1_properties_typeProperties_database"),
            ),
            (
                "username",
                param("PostgreSql1_properties_typeProperties_username"),
            ),
            (
                "password",
                json!({"type": "SecureString", "value": "[parameters('PostgreSql1_password')]"}),
            ),
            // encryptionmethod=6 (RequestSSL) → 2 (Prefer)
            ("sslMode", json!(2)),
            ("authenticationType", json!("Basic")),
        ],
        "Synapse",
    );
    assert_eq!(
        r["properties"]["connectVia"],
        template["resources"][0]["properties"]["connectVia"]
    );
    let file = doc(root, "syn-ws/TemplateParametersForWorkspace.json");
    assert_file_values(
        &file,
        "PostgreSql1",
        &[
            ("server", "syn-pg.example.com"),
            ("database", "lake"),
            ("username", "loader"),
            ("password", ""),
        ],
    );
    let ls = doc(root, "linkedService/PostgreSql1.json");
    assert_v2(
        &ls,
        &v2(
            "syn-pg.example.com",
            5432,
            "lake",
            "loader",
            None,
            2,
            &[("encryptedCredential", json!(ENCRYPTED))],
        ),
        "Synapse git file",
    );
    assert_settled(root, &before, &report, true);
}

/// The legacy twin of a real V2 factory (fixtures/real/thanhthuy250599__adf-covid19-pipeline: Studio's V2
/// file and ADF's own ARM export of it): its linked service written as Studio writes a legacy one, with the
/// legacy settings that mean sslMode 4 (`encryptionmethod=1;validateservercertificate=1`, ADFPG060), and
/// its template and parameters file as ADF's publish writes a legacy linked service (reference §5.1). The
/// migration must give back what Studio and ADF's publish wrote for V2: the git file byte for byte, the
/// template's linked service and parameters, the parameters file's values.
#[test]
fn the_legacy_twin_of_a_real_v2_factory_migrates_to_it() {
    let real_v2 = root().join("fixtures/real/thanhthuy250599__adf-covid19-pipeline");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ls_rel = "linkedService/PostgreSql.json";
    let tpl_rel = "demopipelinetu99/ARMTemplateForFactory.json";
    let par_rel = "demopipelinetu99/ARMTemplateParametersForFactory.json";
    let v2_ls = fs::read_to_string(real_v2.join(ls_rel)).unwrap();
    let v2_tpl = strict(&fs::read_to_string(real_v2.join(tpl_rel)).unwrap(), tpl_rel);
    let v2_par = strict(&fs::read_to_string(real_v2.join(par_rel)).unwrap(), par_rel);

    // the git file: Studio's legacy members in place of the V2 ones, every other byte as it is
    let v2_members = "\"server\": \"thuy-pg-host.postgres.database.azure.com\",\n\t\t\t\"port\": 5432,\n\t\t\t\"database\": \"coviddb\",\n\t\t\t\"username\": \"pgadmin\",\n\t\t\t\"sslMode\": 4,\n\t\t\t\"authenticationType\": \"Basic\",";
    assert!(v2_ls.contains(v2_members), "{v2_ls}");
    let legacy_ls = v2_ls
        .replacen("\"type\": \"PostgreSqlV2\"", "\"type\": \"PostgreSql\"", 1)
        .replacen(
            v2_members,
            &format!(
                "{},",
                cs("host=thuy-pg-host.postgres.database.azure.com;port=5432;database=coviddb;uid=pgadmin;encryptionmethod=1;validateservercertificate=1")
            ),
            1,
        );
    write(root, ls_rel, &legacy_ls);

    // the template: `PostgreSql_connectionString` instead of V2's four parameters, the resource legacy
    let v2_params = [
        "PostgreSql_password",
        "PostgreSql_properties_typeProperties_server",
        "PostgreSql_properties_typeProperties_database",
        "PostgreSql_properties_typeProperties_username",
    ];
    let mut legacy_tpl = v2_tpl.clone();
    let mut params = Map::new();
    for (k, v) in v2_tpl["parameters"].as_object().unwrap() {
        if k == "factoryName" {
            params.insert(k.clone(), v.clone());
            params.insert(
                "PostgreSql_connectionString".into(),
                secure_param("PostgreSql", "connectionString"),
            );
        } else if !v2_params.contains(&k.as_str()) {
            params.insert(k.clone(), v.clone());
        }
    }
    legacy_tpl["parameters"] = Value::Object(params);
    let i = v2_tpl["resources"]
        .as_array()
        .unwrap()
        .iter()
        .position(|r| r["name"] == "[concat(parameters('factoryName'), '/PostgreSql')]")
        .unwrap();
    legacy_tpl["resources"][i]["properties"]["type"] = json!("PostgreSql");
    legacy_tpl["resources"][i]["properties"]["typeProperties"] =
        json!({"connectionString": "[parameters('PostgreSql_connectionString')]"});
    write(root, tpl_rel, &adf_json(&legacy_tpl));
    let mut legacy_par = v2_par.clone();
    let mut values = Map::new();
    for (k, v) in v2_par["parameters"].as_object().unwrap() {
        if k == "factoryName" {
            values.insert(k.clone(), v.clone());
            values.insert("PostgreSql_connectionString".into(), json!({"value": ""}));
        } else if !v2_params.contains(&k.as_str()) {
            values.insert(k.clone(), v.clone());
        }
    }
    legacy_par["parameters"] = Value::Object(values);
    write(root, par_rel, &adf_json(&legacy_par));

    let before = snapshot_tree(root);
    let report = lint(root);
    one(&report, ls_rel, "ADFPG060");
    one(&report, tpl_rel, "ADFPG060");
    let out = fix(root, true);
    assert_eq!(
        text(root, ls_rel),
        v2_ls,
        "the git file Studio wrote for V2\n{out}"
    );
    let t = doc(root, tpl_rel);
    let want = &v2_tpl["resources"][i]["properties"]["typeProperties"];
    let want: Vec<(&str, Value)> = want
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    assert_eq!(
        t["resources"][i]["properties"]["type"], "PostgreSqlV2",
        "{out}"
    );
    assert_members(
        &t["resources"][i]["properties"]["typeProperties"],
        &want,
        "ADF's V2 publish",
    );
    for p in v2_params {
        assert_eq!(t["parameters"][p], v2_tpl["parameters"][p], "{p}\n{out}");
    }
    let file = doc(root, par_rel);
    for p in v2_params {
        assert_eq!(file["parameters"][p], v2_par["parameters"][p], "{p}\n{out}");
    }
    assert_settled(root, &before, &report, true);
}

/// A factory already at V2 (real: Studio's V2 file and ADF's export) is not legacy: no ADFPG060, the plan
/// says `PostgreSql` `V2`, and `--fix --unsafe-fixes` leaves its files as they are.
#[test]
fn a_real_v2_factory_is_left_as_it_is() {
    let dir = real("thanhthuy250599__adf-covid19-pipeline");
    let before = snapshot_tree(dir.path());
    let report = lint(dir.path());
    let legacy: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            ["ADFPG060", "ADFPG061", "ADFPG062", "ADFPG002", "ADFPG022"]
                .contains(&f["code"].as_str().unwrap())
        })
        .collect();
    assert!(legacy.is_empty(), "{legacy:#?}");
    let p = plan(dir.path());
    let l = plan_of(&p, "PostgreSql");
    assert_eq!(
        (&l["connector"], &l["version"]),
        (&json!("PostgreSql"), &json!("V2")),
        "{l:#}"
    );
    let out = fix(dir.path(), true);
    assert_same_tree(dir.path(), &before, &out);
}

// ---------- 10. both connectors in one factory ----------

/// A factory holding both connectors, as the issue's new user tried (an `AzurePostgreSql` 1.0 service and a
/// `PostgreSql` one used by the same pipeline): both are found, counted per connector, planned with the
/// pipeline that uses them, and migrated in one run; a second run changes nothing.
#[test]
fn a_factory_with_both_connectors_migrates_both() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let azure_cs = "host=az.postgres.database.azure.com;port=5432;database=dwh;uid=loader;encryptionmethod=1;validateservercertificate=1";
    write(
        root,
        "linkedService/AzurePg.json",
        &studio(
            "AzurePg",
            "AzurePostgreSql",
            &[cs(azure_cs), encrypted()],
            "",
        ),
    );
    write(
        root,
        "linkedService/LegacyPg.json",
        &studio(
            "LegacyPg",
            "PostgreSql",
            &[
                cs("host=10.0.0.4;port=5432;database=crm;uid=crm_reader;encryptionmethod=0"),
                encrypted(),
            ],
            "",
        ),
    );
    write(
        root,
        "dataset/Customers.json",
        &dataset(
            "Customers",
            "LegacyPg",
            "PostgreSqlTable",
            "",
            "[]",
            &[
                member("schema", "\"public\""),
                member("table", "\"customers\""),
            ],
        ),
    );
    write(
        root,
        "dataset/DwhCustomers.json",
        &dataset(
            "DwhCustomers",
            "AzurePg",
            "AzurePostgreSqlTable",
            "",
            "[]",
            &[
                member("schema", "\"stage\""),
                member("table", "\"customers\""),
            ],
        ),
    );
    let copy = copy_activity("Copy customers", "Customers", "\"type\": \"PostgreSqlSource\"")
        .replace(
            "\"type\": \"ParquetSink\"",
            "\"type\": \"AzurePostgreSqlSink\",\n\t\t\t\t\t\t\"writeMethod\": \"CopyCommand\"",
        )
        .replace(
            "\"outputs\": []",
            "\"outputs\": [\n\t\t\t\t\t{\n\t\t\t\t\t\t\"referenceName\": \"DwhCustomers\",\n\t\t\t\t\t\t\"type\": \"DatasetReference\"\n\t\t\t\t\t}\n\t\t\t\t]",
        );
    write(root, "pipeline/Sync.json", &pipeline("Sync", &[copy]));
    let before = snapshot_tree(root);
    let report = lint(root);
    one(&report, "linkedService/AzurePg.json", "ADFPG001");
    one(&report, "linkedService/LegacyPg.json", "ADFPG060");
    // one linked service of each connector, each at its old generation
    assert_eq!(
        report["summary"]["connectors"],
        json!([
            {"connector": "AzurePostgreSql", "linked_services": 1, "old_generation": 1},
            {"connector": "PostgreSql", "linked_services": 1, "old_generation": 1}
        ]),
        "{:#}",
        report["summary"]
    );
    let lines = concise(root);
    assert!(
        lines.contains("1 AzurePostgreSql linked service, 1 at version 1.0; 1 PostgreSql linked service, 1 legacy"),
        "the summary line counts both connectors: {lines}"
    );
    // the plan covers both, each used by the pipeline's one activity
    let p = plan(root);
    for (ls, connector, version) in [
        ("AzurePg", "AzurePostgreSql", "1.0"),
        ("LegacyPg", "PostgreSql", "legacy"),
    ] {
        let l = plan_of(&p, ls);
        assert_eq!(
            (&l["connector"], &l["version"]),
            (&json!(connector), &json!(version)),
            "{l:#}"
        );
        let users: Vec<(&str, &str)> = l["used_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                (
                    u["resource"].as_str().unwrap(),
                    u["activity"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(users, [("Sync", "Copy customers")], "{ls}: {l:#}");
    }
    let out = fix(root, true);
    let azure = doc(root, "linkedService/AzurePg.json");
    assert_eq!(azure["properties"]["type"], "AzurePostgreSql", "{out}");
    assert_eq!(azure["properties"]["version"], "2.0", "{out}");
    // the Azure connector's own mapping (EncryptionMethod=1 with validation → 4, tests/common)
    assert_eq!(
        azure["properties"]["typeProperties"]["sslMode"],
        ssl_mode_of_v1(azure_cs)
    );
    assert_v2(
        &doc(root, "linkedService/LegacyPg.json"),
        &v2(
            "10.0.0.4",
            5432,
            "crm",
            "crm_reader",
            None,
            0,
            &[("encryptedCredential", json!(ENCRYPTED))],
        ),
        &out,
    );
    assert_eq!(
        doc(root, "dataset/Customers.json")["properties"]["type"],
        "PostgreSqlV2Table"
    );
    let sync = doc(root, "pipeline/Sync.json");
    let tp = &sync["properties"]["activities"][0]["typeProperties"];
    assert_eq!(tp["source"]["type"], "PostgreSqlV2Source", "{out}");
    assert_eq!(
        tp["sink"],
        json!({"type": "AzurePostgreSqlSink", "writeMethod": "CopyCommand"})
    );
    let after = lint(root);
    assert_eq!(
        after["summary"]["connectors"],
        json!([
            {"connector": "AzurePostgreSql", "linked_services": 1, "old_generation": 0},
            {"connector": "PostgreSql", "linked_services": 1, "old_generation": 0}
        ]),
        "{:#}",
        after["summary"]
    );
    assert_settled(root, &before, &report, true);
}

// ---------- 12. the plan's re-test list ----------

/// A factory whose legacy linked service `Typed` runs on a self-hosted runtime, with a dataset whose columns
/// and activities whose queries use types the V2 page maps differently, and `Plain`, whose columns and
/// queries use none of them (plain `timestamp`, `numeric(28)`, `numeric(10,2)`).
fn plan_factory(dir: &Path) {
    write(dir, "linkedService/Vault.json", VAULT);
    write(
        dir,
        "linkedService/Typed.json",
        &studio(
            "Typed",
            "PostgreSql",
            &with_vault(
                "host=ledger.example.com;port=5432;database=ledger;uid=reader;encryptionmethod=0",
            ),
            ",\n\t\t\"connectVia\": {\n\t\t\t\"referenceName\": \"SelfHostedIR\",\n\t\t\t\"type\": \"IntegrationRuntimeReference\"\n\t\t}",
        ),
    );
    write(
        dir,
        "linkedService/Plain.json",
        &studio(
            "Plain",
            "PostgreSql",
            &with_vault(
                "host=plain.example.com;port=5432;database=app;uid=reader;encryptionmethod=0",
            ),
            "",
        ),
    );
    let columns = |cols: &[Value]| adf_json(&Value::Array(cols.to_vec())).replace('\n', "\n\t\t");
    write(
        dir,
        "dataset/Amounts.json",
        &dataset(
            "Amounts",
            "Typed",
            "PostgreSqlTable",
            "",
            &columns(&[
                json!({"name": "id", "type": "integer"}),
                json!({"name": "amount", "type": "money"}),
                json!({"name": "booked", "type": "timestamp with time zone"}),
                json!({"name": "total", "type": "numeric", "precision": 38, "scale": 2}),
            ]),
            &[
                member("schema", "\"public\""),
                member("table", "\"amounts\""),
            ],
        ),
    );
    write(
        dir,
        "dataset/Users.json",
        &dataset(
            "Users",
            "Plain",
            "PostgreSqlTable",
            "",
            &columns(&[
                json!({"name": "id", "type": "integer"}),
                json!({"name": "name", "type": "text"}),
                json!({"name": "created", "type": "timestamp"}),
                json!({"name": "balance", "type": "numeric", "precision": 28, "scale": 2}),
            ]),
            &[member("schema", "\"public\""), member("table", "\"users\"")],
        ),
    );
    write(
        dir,
        "pipeline/Report.json",
        &pipeline(
            "Report",
            &[
                copy_activity(
                    "Copy amounts",
                    "Amounts",
                    "\"type\": \"PostgreSqlSource\",\n\t\t\t\t\t\t\"query\": \"SELECT id, opened::timetz, span::interval FROM public.amounts\"",
                ),
                lookup_activity(
                    "Last booking",
                    "Amounts",
                    "\"type\": \"PostgreSqlSource\",\n\t\t\t\t\t\t\"query\": \"SELECT max(booked) FROM public.amounts\"",
                ),
                copy_activity(
                    "Copy users",
                    "Users",
                    "\"type\": \"PostgreSqlSource\",\n\t\t\t\t\t\t\"query\": \"SELECT id, name, created::timestamp, price::numeric(10,2) FROM public.users\"",
                ),
            ],
        ),
    );
}

fn retest(l: &Value) -> Vec<String> {
    l["retest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap().to_string())
        .collect()
}

/// For a legacy linked service the plan names its connector and generation, its datasets, the activities
/// using it, and re-test items for each documented type change its columns and queries meet (the V2 page:
/// money → Decimal, timestamp with time zone → DateTime, time with time zone → DateTimeOffset, interval →
/// TimeSpan, numeric above precision 28 unsupported), the PostgreSQL 12 minimum, and the self-hosted runtime
/// (automatic upgrade needs 5.58 or later).
#[test]
fn plan_lists_users_and_the_documented_type_changes() {
    let dir = tempfile::tempdir().unwrap();
    plan_factory(dir.path());
    let p = plan(dir.path());
    let l = plan_of(&p, "Typed");
    assert_eq!(
        (&l["connector"], &l["version"]),
        (&json!("PostgreSql"), &json!("legacy")),
        "{l:#}"
    );
    assert_eq!(l["datasets"], json!(["Amounts"]), "{l:#}");
    let users: Vec<(&str, &str, &str)> = l["used_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["path"].as_str().unwrap(),
                u["activity"].as_str().unwrap(),
                u["via_dataset"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        users,
        [
            ("pipeline/Report.json", "Copy amounts", "Amounts"),
            ("pipeline/Report.json", "Last booking", "Amounts")
        ],
        "{l:#}"
    );
    let items = retest(l);
    let lower: Vec<String> = items.iter().map(|i| i.to_lowercase()).collect();
    let named = |words: &[&str]| lower.iter().any(|i| words.iter().all(|w| i.contains(w)));
    // the column `money`
    assert!(named(&["money", "decimal"]), "{items:#?}");
    // the column `timestamp with time zone`
    assert!(
        named(&["timestamp with time zone", "datetime"]),
        "{items:#?}"
    );
    // the query's `::timetz`
    assert!(
        named(&["time with time zone", "datetimeoffset"]),
        "{items:#?}"
    );
    // the query's `::interval`
    assert!(named(&["interval", "timespan"]), "{items:#?}");
    // the column `numeric` with precision 38
    assert!(named(&["numeric", "28"]), "{items:#?}");
    // "PostgreSQL version 12 and above"
    assert!(named(&["postgresql 12"]), "{items:#?}");
    // SHIR: "it requires SHIR version 5.58 or above" for automatic upgrade
    assert!(named(&["selfhostedir", "5.58"]), "{items:#?}");
    assert!(
        l["retest"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["basis"] == "documented" || r["basis"] == "inference")
    );
}

/// A legacy linked service none of whose columns or queries uses a type the V2 page maps differently gets
/// nothing about type changes in its re-test list (plain `timestamp`, `numeric(28)` and `numeric(10,2)` are
/// not among them), but still the PostgreSQL 12 minimum; and no self-hosted runtime item without one.
#[test]
fn plan_says_nothing_of_type_changes_no_column_or_query_meets() {
    let dir = tempfile::tempdir().unwrap();
    plan_factory(dir.path());
    let p = plan(dir.path());
    let l = plan_of(&p, "Plain");
    assert_eq!(l["datasets"], json!(["Users"]), "{l:#}");
    let items = retest(l);
    let lower: Vec<String> = items.iter().map(|i| i.to_lowercase()).collect();
    assert!(
        lower.iter().any(|i| i.contains("postgresql 12")),
        "{items:#?}"
    );
    assert!(
        !lower.iter().any(|i| i.contains("5.58")),
        "no runtime: {items:#?}"
    );
    // no change is claimed for a column or a query here …
    for claim in ["is read as", "not supported", "use types"] {
        assert!(
            !lower.iter().any(|i| i.contains(claim)),
            "{claim}: {items:#?}"
        );
    }
    // … and nothing about type changes at all
    for word in [
        "money",
        "time zone",
        "timestamptz",
        "timetz",
        "interval",
        "precision",
    ] {
        assert!(
            !lower.iter().any(|i| i.contains(word)),
            "`{word}` named though nothing here uses it: {items:#?}"
        );
    }
}
