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

/// `fix`, requiring that `linkedService/pg.json` is left byte for byte (a held-back fix); its output.
fn fix_leaves_pg_unchanged(dir: &Path) -> String {
    let path = dir.join("linkedService/pg.json");
    let before = fs::read(&path).unwrap();
    let out = fix(dir);
    assert_eq!(fs::read(&path).unwrap(), before, "{out}");
    out
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
    let out = fix_leaves_pg_unchanged(dir.path());
    assert!(out.contains("names no database"), "{out}");
}

#[test]
fn a_key_given_twice_is_held_back_not_guessed() {
    for cs in [
        "Host=a.postgres.database.azure.com;Host=b.postgres.database.azure.com;Database=d;uid=u",
        "Server=a.postgres.database.azure.com;HostName=b.postgres.database.azure.com;Database=d;uid=u",
    ] {
        let dir = factory_with(cs);
        let out = fix_leaves_pg_unchanged(dir.path());
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
    let out = fix_leaves_pg_unchanged(dir.path());
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

// ---------- published ARM templates ----------

/// An ADF publish of linked service `pg` (1.0) whose connection string is a template parameter, and the
/// parameters file ADF exports beside it (secure strings as `""` unless `value` is given).
fn publish(root: &Path, folder: &str, extra_type_properties: &str, value: &str) {
    let template = format!(
        r#"{{
	"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
	"contentVersion": "1.0.0.0",
	"parameters": {{
		"factoryName": {{
			"type": "string"
		}},
		"pg_connectionString": {{
			"type": "secureString",
			"metadata": "Secure string for 'connectionString' of 'pg'"
		}}
	}},
	"variables": {{
		"factoryId": "[concat('Microsoft.DataFactory/factories/', parameters('factoryName'))]"
	}},
	"resources": [
		{{
			"name": "[concat(parameters('factoryName'), '/pg')]",
			"type": "Microsoft.DataFactory/factories/linkedServices",
			"apiVersion": "2018-06-01",
			"properties": {{
				"annotations": [],
				"type": "AzurePostgreSql",
				"typeProperties": {{
					"connectionString": "[parameters('pg_connectionString')]"{extra_type_properties}
				}}
			}},
			"dependsOn": []
		}}
	]
}}"#
    );
    let parameters = format!(
        "{{\n\t\"$schema\": \"https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#\",\n\t\"contentVersion\": \"1.0.0.0\",\n\t\"parameters\": {{\n\t\t\"factoryName\": {{\n\t\t\t\"value\": \"f\"\n\t\t}},\n\t\t\"pg_connectionString\": {{\n\t\t\t\"value\": {}\n\t\t}}\n\t}}\n}}",
        serde_json::to_string(value).unwrap()
    );
    write(
        root,
        &format!("{folder}/ARMTemplateForFactory.json"),
        &template,
    );
    write(
        root,
        &format!("{folder}/ARMTemplateParametersForFactory.json"),
        &parameters,
    );
}

const KEY_VAULT_PASSWORD: &str = r#",
					"password": {
						"type": "AzureKeyVaultSecret",
						"store": {
							"referenceName": "kv",
							"type": "LinkedServiceReference"
						},
						"secretName": "pg-password"
					}"#;

/// The JSON of a file, refusing a key given twice in one object (as ARM does).
fn strict(root: &Path, rel: &str) -> Value {
    let text = fs::read_to_string(root.join(rel)).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}\n{text}"));
    // serde_json keeps the last of two equal keys silently: the tool's ADFPG101 sees every one
    let (_, out, _) = run_in(root, &["--output-format", "concise", "--exit-zero", rel]);
    assert!(
        !out.contains("ADFPG101"),
        "{rel} holds a key twice:\n{out}\n{text}"
    );
    v
}

/// `--fix --unsafe-fixes` of the template folder `f` with the migration's own sslMode: without the unsafe
/// raise to VerifyFull that ADFPG004/005 offer. Its output.
fn fix_template_without_hardening(root: &Path) -> String {
    let args = [
        "--fix",
        "--unsafe-fixes",
        "--ignore",
        "ADFPG004,ADFPG005",
        "--output-format",
        "concise",
        "f",
    ];
    run_in(root, &args).1
}

/// The defaults a migrated template gives its new server, database and username parameters.
fn assert_new_parameter_defaults(template: &Value, [server, database, username]: [&str; 3]) {
    let default = |member: &str| {
        template["parameters"][format!("pg_properties_typeProperties_{member}")]["defaultValue"]
            .clone()
    };
    assert_eq!(default("server"), server);
    assert_eq!(default("database"), database);
    assert_eq!(default("username"), username);
}

fn arm_linked_service(v: &Value) -> &Value {
    &v["resources"][0]["properties"]
}

#[test]
fn a_key_vault_password_stays_and_gets_no_second_password() {
    let dir = tempfile::tempdir().unwrap();
    publish(
        dir.path(),
        "f",
        KEY_VAULT_PASSWORD,
        "host=pg.postgres.database.azure.com;port=5432;database=sales;uid=etl;EncryptionMethod=1",
    );
    let out = fix(dir.path());
    let v = strict(dir.path(), "f/ARMTemplateForFactory.json");
    let props = arm_linked_service(&v);
    assert_eq!(props["version"], "2.0", "{out}");
    assert_eq!(
        props["typeProperties"]["password"]["type"],
        "AzureKeyVaultSecret"
    );
    assert!(
        v["parameters"].get("pg_password").is_none(),
        "no unused password parameter"
    );
    let params = strict(dir.path(), "f/ARMTemplateParametersForFactory.json");
    assert!(params["parameters"].get("pg_password").is_none());
}

#[test]
fn arm_port_and_ssl_mode_come_from_the_linked_service_file() {
    let dir = tempfile::tempdir().unwrap();
    publish(dir.path(), "f", "", "");
    let ls = serde_json::json!({
        "name": "pg",
        "properties": {
            "type": "AzurePostgreSql",
            "typeProperties": {
                "connectionString": "host=pg.postgres.database.azure.com;port=6432;database=sales;uid=etl@pg;EncryptionMethod=1;Timeout=30;Keepalive=10",
                "encryptedCredential": "ZW5j"
            }
        }
    });
    write(
        dir.path(),
        "linkedService/pg.json",
        &serde_json::to_string_pretty(&ls).unwrap(),
    );
    // the template's own findings: the dropped option is reported there too
    let (_, lint, _) = run_in(dir.path(), &["--output-format", "concise", "f"]);
    assert!(
        lint.contains("ADFPG012") && lint.contains("Keepalive"),
        "{lint}"
    );
    let out = fix_template_without_hardening(dir.path());
    let v = strict(dir.path(), "f/ARMTemplateForFactory.json");
    let tp = &arm_linked_service(&v)["typeProperties"];
    assert_eq!(tp["port"], "6432", "{out}");
    assert_eq!(
        tp["sslMode"], 3,
        "EncryptionMethod=1 without validation is Require"
    );
    assert_eq!(tp["timeout"], 30, "options are carried over");
    assert_new_parameter_defaults(&v, ["pg.postgres.database.azure.com", "sales", "etl"]);
}

#[test]
fn arm_and_linked_service_migrate_to_the_same_port_and_ssl_mode() {
    let dir = tempfile::tempdir().unwrap();
    publish(dir.path(), "f", "", "");
    let ls = serde_json::json!({
        "name": "pg",
        "properties": {
            "type": "AzurePostgreSql",
            "typeProperties": {
                "connectionString": "HostName=pg.postgres.database.azure.com;PortNumber=6432;Database=sales;LogonID=etl;EncryptionMethod=1;ValidateServerCertificate=1",
                "encryptedCredential": "ZW5j"
            }
        }
    });
    write(
        dir.path(),
        "linkedService/pg.json",
        &serde_json::to_string_pretty(&ls).unwrap(),
    );
    let out = fix(dir.path());
    let arm = strict(dir.path(), "f/ARMTemplateForFactory.json");
    let json = strict(dir.path(), "linkedService/pg.json");
    let (a, j) = (
        &arm_linked_service(&arm)["typeProperties"],
        type_props(&json),
    );
    assert_eq!(a["port"], "6432", "{out}");
    assert_eq!(
        (&a["port"], &a["sslMode"]),
        (&j["port"], &j["sslMode"]),
        "{out}"
    );
}

/// The git folder was migrated before the last publish: the template (still 1.0) takes its values from
/// the 2.0 definition, whose server, port, database, username and sslMode are what the factory runs with.
#[test]
fn arm_values_come_from_a_linked_service_file_already_at_2_0() {
    let dir = tempfile::tempdir().unwrap();
    publish(dir.path(), "f", "", "");
    let ls = serde_json::json!({
        "name": "pg",
        "properties": {
            "type": "AzurePostgreSql",
            "version": "2.0",
            "typeProperties": {
                "server": "pg2.postgres.database.azure.com",
                "port": 6432,
                "database": "sales2",
                "username": "etl2",
                "sslMode": 4,
                "authenticationType": "Basic"
            }
        }
    });
    write(
        dir.path(),
        "linkedService/pg.json",
        &serde_json::to_string_pretty(&ls).unwrap(),
    );
    let out = fix_template_without_hardening(dir.path());
    let v = strict(dir.path(), "f/ARMTemplateForFactory.json");
    let tp = &arm_linked_service(&v)["typeProperties"];
    assert_eq!(tp["port"], "6432", "{out}");
    assert_eq!(tp["sslMode"], 4, "VerifyCA, as the 2.0 file says");
    assert_eq!(tp["authenticationType"], "Basic");
    assert_eq!(
        tp["password"],
        serde_json::json!({"type": "SecureString", "value": "[parameters('pg_password')]"})
    );
    // declared as ADF's own export declares a linked service's password
    assert_eq!(
        v["parameters"]["pg_password"],
        serde_json::json!({"type": "secureString", "metadata": "Secure string for 'password' of 'pg'"})
    );
    assert_new_parameter_defaults(&v, ["pg2.postgres.database.azure.com", "sales2", "etl2"]);
}

/// The fix offered for a template says what it costs: the renamed template parameter always, the dropped
/// connection-string keys only when there are some.
#[test]
fn arm_fix_titles_name_the_dropped_keys_only_when_there_are_some() {
    let title = |connection_string: &str| -> String {
        let dir = tempfile::tempdir().unwrap();
        publish(dir.path(), "f", "", connection_string);
        let (_, out, _) = run_in(dir.path(), &["--output-format", "json", "--exit-zero", "f"]);
        let v: Value = serde_json::from_str(&out).unwrap();
        let titles: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["code"] == "ADFPG001")
            .map(|f| f["fix"]["title"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(titles.len(), 1, "{out}");
        titles[0].clone()
    };
    let base =
        "host=pg.postgres.database.azure.com;port=5432;database=sales;uid=etl;EncryptionMethod=1";
    let plain = title(base);
    assert!(
        plain.contains("template parameter `pg_connectionString` is replaced by"),
        "{plain}"
    );
    assert!(!plain.contains("dropped"), "{plain}");
    let dropped = title(&format!("{base};Keepalive=10"));
    assert!(
        dropped.contains("connection-string keys with no 2.0 property are dropped: Keepalive"),
        "{dropped}"
    );
}

/// Only ARM parameters files (`ARMTemplateParameters*.json`, Synapse's `TemplateParametersForWorkspace*.json`)
/// beside a template gain the new parameters: another JSON file there, even one shaped like them, is left
/// as it is.
#[test]
fn only_parameters_files_beside_a_template_gain_the_new_parameters() {
    let dir = tempfile::tempdir().unwrap();
    publish(
        dir.path(),
        "f",
        "",
        "host=pg.postgres.database.azure.com;port=5432;database=sales;uid=etl;EncryptionMethod=1",
    );
    let params = dir.path().join("f/ARMTemplateParametersForFactory.json");
    let before = fs::read(&params).unwrap();
    let lookalike = dir.path().join("f/release-overrides.json");
    fs::write(&lookalike, &before).unwrap();
    let out = fix(dir.path());
    let after = strict(dir.path(), "f/ARMTemplateParametersForFactory.json");
    assert_eq!(
        after["parameters"]["pg_properties_typeProperties_server"]["value"],
        "pg.postgres.database.azure.com",
        "{out}"
    );
    assert_eq!(fs::read(&lookalike).unwrap(), before, "{out}");
}

#[test]
fn arm_without_any_value_is_held_back_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    publish(dir.path(), "f", "", "");
    let before = fs::read(dir.path().join("f/ARMTemplateForFactory.json")).unwrap();
    let out = fix(dir.path());
    assert_eq!(
        fs::read(dir.path().join("f/ARMTemplateForFactory.json")).unwrap(),
        before,
        "{out}"
    );
    assert!(out.contains("port and sslMode"), "{out}");
    assert!(out.contains("linkedService/pg.json"), "{out}");
}

#[test]
fn migration_config_applies_to_templates() {
    let dir = tempfile::tempdir().unwrap();
    publish(
        dir.path(),
        "f",
        "",
        "host=pg.postgres.database.azure.com;database=sales;uid=etl@pg;password=x",
    );
    write(
        dir.path(),
        "adfpg.toml",
        "ignore = [\"ADFPG004\", \"ADFPG005\"]\n[migration]\nstrip-user-at-server = false\nssl-mode-no-encryption = \"Require\"\n",
    );
    let out = fix(dir.path());
    let v = strict(dir.path(), "f/ARMTemplateForFactory.json");
    assert_eq!(
        v["parameters"]["pg_properties_typeProperties_username"]["defaultValue"], "etl@pg",
        "{out}"
    );
    assert_eq!(
        arm_linked_service(&v)["typeProperties"]["sslMode"],
        3,
        "{out}"
    );
}

/// ADF's publish generates `linkedTemplates/`: findings are reported there, but no fix edits them (the
/// next publish would overwrite it, and a lone edit splits them from the master template).
#[test]
fn no_fix_edits_a_generated_linked_template() {
    let dir = tempfile::tempdir().unwrap();
    let template = r#"{
	"$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
	"contentVersion": "1.0.0.0",
	"parameters": { "factoryName": { "type": "string" } },
	"resources": [
		{
			"name": "[concat(parameters('factoryName'), '/Copy')]",
			"type": "Microsoft.DataFactory/factories/pipelines",
			"apiVersion": "2018-06-01",
			"properties": {
				"activities": [
					{
						"name": "Copy",
						"type": "Copy",
						"typeProperties": {
							"source": { "type": "ParquetSource" },
							"sink": { "type": "AzurePostgreSQLSink" }
						}
					}
				]
			}
		}
	]
}"#;
    write(dir.path(), "f/linkedTemplates/ArmTemplate_0.json", template);
    write(dir.path(), "f/ARMTemplateForFactory.json", template);
    let before = fs::read(dir.path().join("f/linkedTemplates/ArmTemplate_0.json")).unwrap();
    let (_, lint, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(
        lint.contains("linkedTemplates/ArmTemplate_0.json") && lint.contains("ADFPG040"),
        "{lint}"
    );
    let out = fix(dir.path());
    assert_eq!(
        fs::read(dir.path().join("f/linkedTemplates/ArmTemplate_0.json")).unwrap(),
        before,
        "{out}"
    );
    let top = fs::read_to_string(dir.path().join("f/ARMTemplateForFactory.json")).unwrap();
    assert!(
        top.contains("AzurePostgreSqlSink"),
        "the top-level template is fixed: {out}"
    );
}

// ---------- custom parameterisation ----------

/// A type block replaces `*` for that type (ADF's documented rule): the block the fix adds carries every
/// `*` entry, so a 1.0 connection string stays parameterised. Synapse's file is read the same way.
#[test]
fn the_parameterisation_fix_carries_every_star_entry() {
    for (file, section) in [
        (
            "arm-template-parameters-definition.json",
            "Microsoft.DataFactory/factories/linkedServices",
        ),
        (
            "template-parameters-definition.json",
            "Microsoft.Synapse/workspaces/linkedServices",
        ),
    ] {
        let dir = factory_with("host=h.postgres.database.azure.com;database=d;uid=u;password=p");
        let star = serde_json::json!({
            "properties": {
                "typeProperties": { "connectionString": "|:-connectionString:secureString", "port": "-::int" },
                "connectVia": { "referenceName": "=" }
            }
        });
        let def = serde_json::json!({ section: { "*": star } });
        write(
            dir.path(),
            file,
            &serde_json::to_string_pretty(&def).unwrap(),
        );
        let out = fix(dir.path());
        let v = strict(dir.path(), file);
        let block = &v[section]["AzurePostgreSql"];
        assert_eq!(
            block["properties"]["connectVia"], star["properties"]["connectVia"],
            "{file}: {out}"
        );
        let tp = &block["properties"]["typeProperties"];
        assert_eq!(
            tp["connectionString"], "|:-connectionString:secureString",
            "{file}"
        );
        assert_eq!(tp["port"], "-::int", "{file}");
        for p in ["server", "database", "username"] {
            assert_eq!(tp[p], "=", "{file}: {p}");
        }
        assert_eq!(v[section]["*"], star, "{file}: `*` itself is untouched");
    }
}

#[test]
fn a_type_block_hiding_a_star_entry_is_reported() {
    let dir = factory_with("host=h.postgres.database.azure.com;database=d;uid=u;password=p");
    let def = serde_json::json!({ "Microsoft.DataFactory/factories/linkedServices": {
        "AzurePostgreSql": { "properties": { "typeProperties": { "server": "=", "database": "=", "username": "=" } } },
        "*": { "properties": { "typeProperties": { "connectionString": "|:-connectionString:secureString" } } }
    }});
    write(
        dir.path(),
        "arm-template-parameters-definition.json",
        &serde_json::to_string_pretty(&def).unwrap(),
    );
    let (_, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(
        out.contains("ADFPG053")
            && out.contains(
                "`connectionString` (listed under `*`, which the AzurePostgreSql block hides)"
            ),
        "{out}"
    );
}

/// ADFPG054: an expression naming an undeclared parameter cannot deploy. Reported in a template the tool
/// only reads, and never produced by a migration (every parameter it writes is declared).
#[test]
fn undeclared_template_parameters_are_reported_and_never_written() {
    let dir = tempfile::tempdir().unwrap();
    publish(
        dir.path(),
        "f",
        "",
        "host=pg.postgres.database.azure.com;database=sales;uid=etl;password=pw",
    );
    let (_, lint, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(!lint.contains("ADFPG054"), "{lint}");
    let out = fix(dir.path());
    assert!(out.contains("fixed f/ARMTemplateForFactory.json"), "{out}");
    let (_, relint, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(!relint.contains("ADFPG054"), "{relint}");
    // a hand edit that drops a declaration
    let p = dir.path().join("f/ARMTemplateForFactory.json");
    let text = fs::read_to_string(&p).unwrap().replace(
        "\"pg_properties_typeProperties_database\": {",
        "\"pg_properties_typeProperties_db\": {",
    );
    fs::write(&p, text).unwrap();
    let (_, edited, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(
        edited.contains(
            "ADFPG054 [error] ARM expression uses parameter `pg_properties_typeProperties_database`"
        ),
        "{edited}"
    );
}

// ---------- issue 27: what is dropped is said, one fact is one finding ----------

/// HostNameInCertificate has no 2.0 property: ADFPG012 says on the 1.0 file that it is dropped, and
/// what that changes (nothing when 1.0 ignored it or when sslMode 5 checks the same name).
#[test]
fn a_dropped_host_name_in_certificate_is_said_on_the_file() {
    let said = |cs: &str| {
        let dir = factory_with(cs);
        let (_, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
        out.lines()
            .find(|l| l.contains("ADFPG012") && l.contains("`HostNameInCertificate`"))
            .unwrap_or_else(|| panic!("no ADFPG012 for HostNameInCertificate: {out}"))
            .to_string()
    };
    let host = "host=h.postgres.database.azure.com;database=d;uid=u;password=p";
    let kept = said(&format!(
        "{host};EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=h.postgres.database.azure.com"
    ));
    assert!(kept.contains("its check is kept"), "{kept}");
    let ignored = said(&format!(
        "{host};EncryptionMethod=1;HostNameInCertificate=other.example.com"
    ));
    assert!(ignored.contains("1.0 ignores it unless"), "{ignored}");
    let held = said(&format!(
        "{host};EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate=other.example.com"
    ));
    assert!(held.contains("the migration is held back"), "{held}");
}

/// ADF Studio's 1.0 shape (password only in `encryptedCredential`): one finding, ADFPG001, whose unsafe
/// fix says to re-enter the password; ADFPG010 states the same fact only when ADFPG001 is off.
#[test]
fn a_studio_file_gets_one_finding_for_one_fact() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "linkedService/pg.json",
        r#"{"name": "pg", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=h.postgres.database.azure.com;port=5432;database=d;uid=u;encryptionmethod=0", "encryptedCredential": "ew0K"}}}"#,
    );
    let codes = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["--output-format", "json", "--exit-zero", "."];
        a.extend_from_slice(args);
        let (_, out, _) = run_in(dir.path(), &a);
        let v: Value = serde_json::from_str(&out).unwrap();
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(codes(&[]), ["ADFPG001"]);
    let (_, out, _) = run_in(dir.path(), &["--output-format", "json", "--exit-zero", "."]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let title = v["findings"][0]["fix"]["title"].as_str().unwrap();
    assert!(
        title.contains("held only in `encryptedCredential`"),
        "{title}"
    );
    assert_eq!(codes(&["--ignore", "ADFPG001"]), ["ADFPG010"]);
}
