//! Published templates and the factory they came from (issue 27 §4–§6): a template belongs to the factory
//! folder whose content it holds, wherever the publish branch keeps it; the plan announces exactly the
//! parameters the fix writes; a parameters file keeps the password its old parameter carried. Every test
//! goes through the binary on a repository written to a temp dir; expected values come from ADF's publish
//! rules (a 2.0 linked service's server, database and username become `<ls>_properties_typeProperties_*`
//! string parameters defaulting to the linked service's values, `<ls>_password` a secureString unless the
//! password is a Key Vault reference; port and sslMode stay literal).

mod common;
use common::run_in;
use serde_json::{Value, json};
use std::fs;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn read(root: &Path, rel: &str) -> Value {
    let text = fs::read_to_string(root.join(rel)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}\n{text}"))
}

/// A 1.0 linked service file (ADF git layout) named `name` with connection string `cs`.
fn linked_service(root: &Path, folder: &str, name: &str, cs: &str) {
    let v = json!({
        "name": name,
        "type": "Microsoft.DataFactory/factories/linkedservices",
        "properties": {
            "type": "AzurePostgreSql",
            "typeProperties": { "connectionString": cs, "encryptedCredential": "ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIg0KfQ==" }
        }
    });
    write(
        root,
        &format!("{folder}linkedService/{name}.json"),
        &serde_json::to_string_pretty(&v).unwrap(),
    );
}

fn dataset(root: &Path, folder: &str, name: &str, ls: &str) {
    let v = json!({
        "name": name,
        "properties": {
            "type": "AzurePostgreSqlTable",
            "linkedServiceName": { "referenceName": ls, "type": "LinkedServiceReference" },
            "typeProperties": { "schema": "public", "table": name }
        }
    });
    write(
        root,
        &format!("{folder}dataset/{name}.json"),
        &serde_json::to_string_pretty(&v).unwrap(),
    );
}

/// An ADF (or Synapse) publish of `factory` holding linked service `pg` (1.0, its connection string a
/// template parameter), datasets `datasets` on it, and the parameters file ADF exports beside it, which
/// gives `pg_connectionString` the value `value` (ADF exports `""`).
fn publish(
    root: &Path,
    folder: &str,
    synapse: bool,
    factory: Option<&str>,
    datasets: &[&str],
    value: &str,
) {
    let (param, kind, file, params_file) = if synapse {
        (
            "workspaceName",
            "Microsoft.Synapse/workspaces",
            "TemplateForWorkspace.json",
            "TemplateParametersForWorkspace.json",
        )
    } else {
        (
            "factoryName",
            "Microsoft.DataFactory/factories",
            "ARMTemplateForFactory.json",
            "ARMTemplateParametersForFactory.json",
        )
    };
    let mut name_param = json!({ "type": "string" });
    if let Some(f) = factory {
        name_param["defaultValue"] = json!(f);
    }
    let mut resources = vec![json!({
        "name": format!("[concat(parameters('{param}'), '/pg')]"),
        "type": format!("{kind}/linkedServices"),
        "apiVersion": "2018-06-01",
        "properties": {
            "annotations": [],
            "type": "AzurePostgreSql",
            "typeProperties": { "connectionString": "[parameters('pg_connectionString')]" }
        },
        "dependsOn": []
    })];
    for d in datasets {
        resources.push(json!({
            "name": format!("[concat(parameters('{param}'), '/{d}')]"),
            "type": format!("{kind}/datasets"),
            "apiVersion": "2018-06-01",
            "properties": {
                "type": "AzurePostgreSqlTable",
                "linkedServiceName": { "referenceName": "pg", "type": "LinkedServiceReference" },
                "typeProperties": {}
            }
        }));
    }
    let template = json!({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            param: name_param,
            "pg_connectionString": { "type": "secureString", "metadata": "Secure string for 'connectionString' of 'pg'" }
        },
        "resources": resources
    });
    let parameters = json!({
        "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
        "contentVersion": "1.0.0.0",
        "parameters": { param: { "value": factory.unwrap_or("f") }, "pg_connectionString": { "value": value } }
    });
    write(
        root,
        &format!("{folder}/{file}"),
        &serde_json::to_string_pretty(&template).unwrap(),
    );
    write(
        root,
        &format!("{folder}/{params_file}"),
        &serde_json::to_string_pretty(&parameters).unwrap(),
    );
}

fn fix(root: &Path) -> String {
    let (_, out, err) = run_in(
        root,
        &[
            "--no-config",
            "--fix",
            "--unsafe-fixes",
            "--ignore",
            "ADFPG004,ADFPG005",
            "--output-format",
            "concise",
            ".",
        ],
    );
    out + &err
}

fn plan(root: &Path) -> Value {
    let (_, out, err) = run_in(
        root,
        &[
            "--no-config",
            "plan",
            ".",
            "--unsafe-fixes",
            "--ignore",
            "ADFPG004,ADFPG005",
            "--output-format",
            "json",
        ],
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"))
}

/// The new parameter defaults and the literal port and sslMode of `pg` in a migrated template.
fn migrated(template: &Value) -> (Value, Value, Value, Value, Value) {
    let p = &template["parameters"];
    let default = |m: &str| p[format!("pg_properties_typeProperties_{m}")]["defaultValue"].clone();
    let tp = &template["resources"][0]["properties"]["typeProperties"];
    (
        default("server"),
        default("database"),
        default("username"),
        tp["port"].clone(),
        tp["sslMode"].clone(),
    )
}

const SALES: &str =
    "host=sales.postgres.database.azure.com;port=6432;database=sales;uid=etl;EncryptionMethod=1";
const HR: &str = "host=hr.postgres.database.azure.com;port=5432;database=hr;uid=people;EncryptionMethod=1;ValidateServerCertificate=1";

/// `factory/` holds the only factory's git files and `publish/` beside it its templates: the template is
/// that factory's, so its port and sslMode come from `factory/linkedService/pg.json` (6432; EncryptionMethod
/// 1 → 3) and its new parameters default to that file's server, database and user; the plan attaches it to
/// that file.
#[test]
fn templates_beside_the_factory_folder_belong_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    linked_service(root, "factory/", "pg", SALES);
    dataset(root, "factory/", "orders", "pg");
    publish(root, "publish", false, None, &["orders"], "");
    let p = plan(root);
    let ls = &p["linked_services"];
    assert_eq!(
        ls.as_array().unwrap().len(),
        1,
        "one linked service, not a template-only twin: {p:#}"
    );
    assert_eq!(ls[0]["path"], "factory/linkedService/pg.json");
    assert_eq!(
        ls[0]["arm_templates"][0]["path"],
        "publish/ARMTemplateForFactory.json"
    );
    let renames = &ls[0]["arm_templates"][0]["renames"];
    assert_eq!(renames[0]["old"], "pg_connectionString", "{p:#}");
    let out = fix(root);
    assert!(!out.contains("has no `linkedService/pg.json`"), "{out}");
    let t = read(root, "publish/ARMTemplateForFactory.json");
    assert_eq!(
        migrated(&t),
        (
            json!("sales.postgres.database.azure.com"),
            json!("sales"),
            json!("etl"),
            json!("6432"),
            json!(3)
        ),
        "{out}"
    );
    // and the summary counts the template's copy apart, not as a second linked service
    let (_, lint, _) = run_in(root, &["--no-config", "--output-format", "concise", "."]);
    assert!(
        lint.contains(
            "1 AzurePostgreSql linked service, 0 at version 1.0, with 1 copy in ARM templates"
        ),
        "{lint}"
    );
}

/// Two Synapse workspaces: A's git files at the top of the repository, B's in `workspace-b/`, both with a
/// linked service `pg` (another server each), both workspaces' templates in folders at the top. Each
/// template takes its values from the workspace whose names it shares (B alone has dataset `payroll`),
/// not from the folder above it, which is A's.
#[test]
fn two_workspaces_each_template_takes_its_own_values() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    linked_service(root, "", "pg", SALES);
    dataset(root, "", "orders", "pg");
    linked_service(root, "workspace-b/", "pg", HR);
    dataset(root, "workspace-b/", "payroll", "pg");
    publish(root, "publish-a", true, Some("ws-a"), &["orders"], "");
    publish(root, "publish-b", true, Some("ws-b"), &["payroll"], "");
    let p = plan(root);
    let of = |path: &str| {
        p["linked_services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["path"] == path)
            .unwrap_or_else(|| panic!("{path}: {p:#}"))
            .clone()
    };
    let a = of("linkedService/pg.json");
    let b = of("workspace-b/linkedService/pg.json");
    assert_eq!(a["arm_templates"].as_array().unwrap().len(), 1, "{a:#}");
    assert_eq!(
        a["arm_templates"][0]["path"],
        "publish-a/TemplateForWorkspace.json"
    );
    assert_eq!(
        b["arm_templates"][0]["path"],
        "publish-b/TemplateForWorkspace.json"
    );
    let out = fix(root);
    let ta = read(root, "publish-a/TemplateForWorkspace.json");
    let tb = read(root, "publish-b/TemplateForWorkspace.json");
    assert_eq!(
        migrated(&ta),
        (
            json!("sales.postgres.database.azure.com"),
            json!("sales"),
            json!("etl"),
            json!("6432"),
            json!(3)
        ),
        "{out}"
    );
    assert_eq!(
        migrated(&tb),
        (
            json!("hr.postgres.database.azure.com"),
            json!("hr"),
            json!("people"),
            json!("5432"),
            json!(4)
        ),
        "B's template gets B's server, not A's: {out}"
    );
}

/// The factory's own name decides first: two factories with the same linked service and dataset names,
/// told apart only by `factory/<name>.json` and the template's `factoryName` default.
#[test]
fn the_factory_name_decides_before_shared_names() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for (folder, name, cs) in [("dev/", "adf-dev", SALES), ("prod/", "adf-prod", HR)] {
        linked_service(root, folder, "pg", cs);
        dataset(root, folder, "orders", "pg");
        write(
            root,
            &format!("{folder}factory/{name}.json"),
            &json!({ "name": name, "location": "westeurope" }).to_string(),
        );
    }
    publish(root, "adf-prod", false, Some("adf-prod"), &["orders"], "");
    let out = fix(root);
    let t = read(root, "adf-prod/ARMTemplateForFactory.json");
    assert_eq!(
        migrated(&t).0,
        json!("hr.postgres.database.azure.com"),
        "{out}"
    );
}

/// Two sibling factory folders holding the same names and a template naming neither factory: which one it
/// came from cannot be told, so nothing is read from either and the migration is held back saying so —
/// never "there is no linked-service file", since each folder has one.
#[test]
fn an_ambiguous_template_reads_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    linked_service(root, "one/", "pg", SALES);
    linked_service(root, "two/", "pg", HR);
    publish(root, "publish", false, None, &[], "");
    let before = fs::read(root.join("publish/ARMTemplateForFactory.json")).unwrap();
    let out = fix(root);
    assert_eq!(
        fs::read(root.join("publish/ARMTemplateForFactory.json")).unwrap(),
        before,
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.starts_with("publish/ARMTemplateForFactory.json:") && l.contains("ADFPG001"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("several factory folders match the template equally"),
        "{line}"
    );
    assert!(line.contains("`one`") && line.contains("`two`"), "{line}");
    assert!(!line.contains("has no `linkedService"), "{line}");
}

/// A parameters file that gives the old connection-string parameter its value (password included) gives
/// the new parameters theirs, the password too: it is already in that file, and an empty `<ls>_password`
/// would deploy an empty password. One that gives `""` (ADF's export) gets the template's defaults and an
/// empty password, as ADF's own export of a 2.0 linked service has it. One that takes the value from Key
/// Vault cannot be split: it is held back with the reason, and nothing is added to it.
#[test]
fn parameters_files_keep_the_password_they_had() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    linked_service(root, "", "pg", SALES);
    let full = "host=prod.postgres.database.azure.com;port=6432;database=sales;uid=etl@prod;password=Pr0d-Secret;EncryptionMethod=1";
    publish(root, "publish", false, Some("f"), &[], full);
    // a second parameters file beside it, as ADF exports it
    write(
        root,
        "publish/ARMTemplateParametersForFactory.test.json",
        &json!({ "parameters": { "factoryName": { "value": "f" }, "pg_connectionString": { "value": "" } } }).to_string(),
    );
    write(
        root,
        "publish/ARMTemplateParametersForFactory.vault.json",
        &json!({ "parameters": { "pg_connectionString": { "reference": {
            "keyVault": { "id": "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v" },
            "secretName": "pg-cs" } } } }).to_string(),
    );
    let vault_before =
        fs::read(root.join("publish/ARMTemplateParametersForFactory.vault.json")).unwrap();
    let out = fix(root);
    assert!(!out.contains("Pr0d-Secret"), "never shown: {out}");
    let p = read(root, "publish/ARMTemplateParametersForFactory.json");
    let p = &p["parameters"];
    assert_eq!(p["pg_password"]["value"], "Pr0d-Secret", "{out}");
    assert_eq!(
        p["pg_properties_typeProperties_server"]["value"],
        "prod.postgres.database.azure.com"
    );
    assert_eq!(
        p["pg_properties_typeProperties_username"]["value"], "etl",
        "user@server stripped"
    );
    let empty = read(root, "publish/ARMTemplateParametersForFactory.test.json");
    let empty = &empty["parameters"];
    assert_eq!(empty["pg_password"]["value"], "");
    // no value here: the template's defaults, which came from the first parameters file's value
    assert_eq!(
        empty["pg_properties_typeProperties_server"]["value"],
        "prod.postgres.database.azure.com"
    );
    assert_eq!(
        fs::read(root.join("publish/ARMTemplateParametersForFactory.vault.json")).unwrap(),
        vault_before
    );
    let held = out
        .lines()
        .find(|l| {
            l.starts_with("publish/ARMTemplateParametersForFactory.vault.json")
                && l.contains("ADFPG105")
        })
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        held.contains("takes its value from a Key Vault secret here"),
        "{held}"
    );
}

/// For every template shape of the migration tests, the plan of `--fix --unsafe-fixes` announces exactly
/// the parameters the fix then declares and refers to: none for a held-back template (the whole connection
/// string in Key Vault, values nowhere to read), no `<ls>_password` for a Key Vault password.
#[test]
fn plan_and_fix_agree_on_every_template_rename() {
    const KV_PASSWORD: &str = r#"{"type": "AzureKeyVaultSecret", "store": {"referenceName": "kv", "type": "LinkedServiceReference"}, "secretName": "pg-password"}"#;
    let cases: [(&str, &str, Option<&str>); 5] = [
        ("inline password", SALES, None),
        ("key vault password", SALES, Some(KV_PASSWORD)),
        (
            "password in the parameters file",
            "host=h.example.com;database=d;uid=u;password=p",
            None,
        ),
        (
            "dropped key",
            "host=h.example.com;database=d;uid=u;Keepalive=30",
            None,
        ),
        ("no value anywhere", "", None),
    ];
    for (what, cs, password) in cases {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        if !cs.is_empty() && what != "password in the parameters file" {
            linked_service(root, "", "pg", cs);
        } else {
            linked_service(root, "", "other", SALES);
        }
        let value = if what == "password in the parameters file" {
            cs
        } else {
            ""
        };
        publish(root, "publish", false, Some("f"), &[], value);
        if let Some(pw) = password {
            let path = root.join("publish/ARMTemplateForFactory.json");
            let mut t: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
            t["resources"][0]["properties"]["typeProperties"]["password"] =
                serde_json::from_str(pw).unwrap();
            fs::write(&path, serde_json::to_string_pretty(&t).unwrap()).unwrap();
        }
        let before = read(root, "publish/ARMTemplateForFactory.json");
        let p = plan(root);
        let announced: Vec<(String, Vec<String>)> = p["linked_services"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["arm_templates"].as_array().unwrap().clone())
            .flat_map(|a| a["renames"].as_array().unwrap().clone())
            .map(|r| {
                let new = r["new"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|n| n.as_str().unwrap().to_string());
                (r["old"].as_str().unwrap().to_string(), new.collect())
            })
            .collect();
        let out = fix(root);
        let after = read(root, "publish/ARMTemplateForFactory.json");
        let declared: Vec<String> = after["parameters"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| before["parameters"].get(k.as_str()).is_none())
            .cloned()
            .collect();
        let used = after["resources"][0]["properties"]["typeProperties"].to_string();
        match announced.as_slice() {
            [] => assert!(
                declared.is_empty(),
                "{what}: the plan announced nothing but the fix declared {declared:?}\n{out}"
            ),
            [(old, new)] => {
                assert_eq!(old, "pg_connectionString", "{what}");
                let mut sorted = new.clone();
                sorted.sort();
                let mut declared = declared.clone();
                declared.sort();
                assert_eq!(
                    sorted, declared,
                    "{what}: plan {new:?}, fix {declared:?}\n{out}"
                );
                for n in new {
                    assert!(
                        used.contains(&format!("parameters('{n}')")),
                        "{what}: {n} unused: {used}"
                    );
                }
            }
            more => panic!("{what}: one linked service, renames {more:?}"),
        }
        let expect_password = !matches!(what, "key vault password" | "no value anywhere");
        assert_eq!(
            declared.iter().any(|d| d == "pg_password"),
            expect_password,
            "{what}: {declared:?}\n{out}"
        );
        if what == "no value anywhere" {
            assert!(announced.is_empty() && declared.is_empty(), "{what}: {out}");
        }
    }
}

/// A template whose parameters file gives a port 2.0 cannot hold: the port stays literal in a 2.0
/// template, so the migration would write `"port": "70000"`: held back like the linked-service file's.
#[test]
fn a_template_port_2_0_cannot_hold_is_held_back() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    linked_service(root, "", "other", SALES);
    publish(
        root,
        "publish",
        false,
        Some("f"),
        &[],
        "host=h.example.com;port=70000;database=d;uid=u;password=p",
    );
    let before = fs::read(root.join("publish/ARMTemplateForFactory.json")).unwrap();
    let out = fix(root);
    assert_eq!(
        fs::read(root.join("publish/ARMTemplateForFactory.json")).unwrap(),
        before,
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("publish/ARMTemplateForFactory.json")
                && l.contains("ADFPG105")
                && l.contains("does not accept (ADFPG015")),
        "{out}"
    );
}
