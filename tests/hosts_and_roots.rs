//! Issue 18 through the binary: hosts written as URLs, several factory roots in one repository, and
//! ADFPG023 with self-hosted integration runtimes.

mod common;
use common::run_in;
use serde_json::Value;
use std::fs;
use std::path::Path;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn v1(root: &Path, rel: &str, cs: &str) {
    let name = Path::new(rel).file_stem().unwrap().to_str().unwrap();
    let ls = serde_json::json!({
        "name": name,
        "properties": { "type": "AzurePostgreSql", "typeProperties": { "connectionString": cs } }
    });
    write(root, rel, &serde_json::to_string_pretty(&ls).unwrap());
}

fn type_props(root: &Path, rel: &str) -> Value {
    let v: Value = serde_json::from_slice(&fs::read(root.join(rel)).unwrap()).unwrap();
    v["properties"]["typeProperties"].clone()
}

fn fix(dir: &Path) -> String {
    run_in(
        dir,
        &["--fix", "--unsafe-fixes", "--output-format", "concise", "."],
    )
    .1
}

const HOST: &str = "pg.postgres.database.azure.com";

#[test]
fn a_url_host_is_split_into_its_properties() {
    let dir = tempfile::tempdir().unwrap();
    v1(
        dir.path(),
        "linkedService/scheme.json",
        &format!("host=postgresql://{HOST};database=d;uid=u;password=p"),
    );
    v1(
        dir.path(),
        "linkedService/full.json",
        &format!("host=postgres://etl%40pg@{HOST}:6432/sales%20db;password=p"),
    );
    let out = fix(dir.path());
    let tp = type_props(dir.path(), "linkedService/scheme.json");
    assert_eq!(tp["server"], HOST, "{out}");
    let tp = type_props(dir.path(), "linkedService/full.json");
    assert_eq!(tp["server"], HOST, "{out}");
    assert_eq!(tp["port"], "6432");
    assert_eq!(tp["database"], "sales db", "percent-decoded");
    assert_eq!(
        tp["username"], "etl",
        "etl@pg decoded, then the Single Server suffix stripped"
    );
}

#[test]
fn a_url_that_disagrees_or_is_foreign_is_held_back_on_the_1_0_file() {
    for (cs, why) in [
        (
            format!("host=postgres://{HOST}:6432/sales;port=5432;uid=u;password=p"),
            "its port `6432` disagrees",
        ),
        (
            format!("host=postgres://{HOST}/sales;database=other;uid=u;password=p"),
            "its database `sales` disagrees",
        ),
        (
            format!("host=tcp:{HOST},1433;database=d;uid=u;password=p"),
            "SQL Server's form",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        v1(dir.path(), "linkedService/pg.json", &cs);
        let before = fs::read(dir.path().join("linkedService/pg.json")).unwrap();
        let out = fix(dir.path());
        assert_eq!(
            fs::read(dir.path().join("linkedService/pg.json")).unwrap(),
            before,
            "{cs}: {out}"
        );
        assert!(
            out.contains("linkedService/pg.json")
                && out.contains("the host is written as a URL")
                && out.contains(why),
            "{cs}: {out}"
        );
    }
}

#[test]
fn a_password_in_a_url_is_a_secret() {
    let secret = "S3cr3tInUrl";
    let dir = tempfile::tempdir().unwrap();
    v1(
        dir.path(),
        "linkedService/pg.json",
        &format!("host=postgresql://etl:{secret}@{HOST}:5432/sales;EncryptionMethod=1"),
    );
    let (_, lint, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(
        lint.contains("ADFPG008") && lint.contains("host URL"),
        "{lint}"
    );
    for args in [
        vec!["--output-format", "full", "."],
        vec!["--output-format", "json", "."],
        vec!["--diff", "--unsafe-fixes", "."],
        vec!["--fix", "--unsafe-fixes", "--show-changes", "."],
    ] {
        let (_, out, err) = run_in(dir.path(), &args);
        assert!(
            !out.contains(secret) && !err.contains(secret),
            "{args:?} leaked it:\n{out}{err}"
        );
    }
    let tp = type_props(dir.path(), "linkedService/pg.json");
    assert_eq!(
        tp["password"],
        serde_json::json!({"type": "SecureString", "value": secret}),
        "kept in the file"
    );
    assert_eq!(tp["server"], HOST);
}

#[test]
fn server_not_fqdn_is_silent_behind_a_self_hosted_runtime() {
    let dir = tempfile::tempdir().unwrap();
    for (name, ir) in [("viaShir", "shir"), ("viaAzure", "azureIr")] {
        let ls = serde_json::json!({
            "name": name,
            "properties": {
                "type": "AzurePostgreSql", "version": "2.0",
                "typeProperties": {
                    "server": "localhost", "port": "5432", "database": "d", "sslMode": 2,
                    "username": "u", "authenticationType": "Basic", "encryptedCredential": "x"
                },
                "connectVia": { "referenceName": ir, "type": "IntegrationRuntimeReference" }
            }
        });
        write(
            dir.path(),
            &format!("linkedService/{name}.json"),
            &ls.to_string(),
        );
    }
    write(
        dir.path(),
        "integrationRuntime/shir.json",
        r#"{"name": "shir", "properties": {"type": "SelfHosted"}}"#,
    );
    write(
        dir.path(),
        "integrationRuntime/azureIr.json",
        r#"{"name": "azureIr", "properties": {"type": "Managed", "typeProperties": {"computeProperties": {"location": "AutoResolve"}}}}"#,
    );
    let (_, out, _) = run_in(dir.path(), &["--output-format", "concise", "."]);
    assert!(
        !out.contains("`viaShir` has server"),
        "a self-hosted runtime resolves localhost: {out}"
    );
    assert!(
        out.contains("ADFPG023") && out.contains("`viaAzure` has server \"localhost\""),
        "{out}"
    );
}

/// Two factory roots (the repository root and a subfolder), each with its own `pg` and its own publish:
/// each template reads the linked-service file of its own root.
#[test]
fn each_template_reads_its_own_roots_linked_service() {
    let dir = tempfile::tempdir().unwrap();
    let template = r#"{
	"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
	"contentVersion": "1.0.0.0",
	"parameters": {
		"factoryName": { "type": "string" },
		"pg_connectionString": { "type": "secureString" }
	},
	"resources": [
		{
			"name": "[concat(parameters('factoryName'), '/pg')]",
			"type": "Microsoft.DataFactory/factories/linkedServices",
			"apiVersion": "2018-06-01",
			"properties": {
				"type": "AzurePostgreSql",
				"typeProperties": {
					"connectionString": "[parameters('pg_connectionString')]"
				}
			}
		}
	]
}"#;
    v1(
        dir.path(),
        "linkedService/pg.json",
        &format!("host=root.{HOST};port=6432;database=a;uid=u;password=p"),
    );
    v1(
        dir.path(),
        "second/linkedService/pg.json",
        &format!("host=second.{HOST};port=7000;database=b;uid=u;password=p"),
    );
    write(dir.path(), "publish/ARMTemplateForFactory.json", template);
    write(
        dir.path(),
        "second/publish/ARMTemplateForFactory.json",
        template,
    );
    let out = fix(dir.path());
    for (t, port, server) in [
        (
            "publish/ARMTemplateForFactory.json",
            "6432",
            format!("root.{HOST}"),
        ),
        (
            "second/publish/ARMTemplateForFactory.json",
            "7000",
            format!("second.{HOST}"),
        ),
    ] {
        let v: Value = serde_json::from_slice(&fs::read(dir.path().join(t)).unwrap()).unwrap();
        assert_eq!(
            v["resources"][0]["properties"]["typeProperties"]["port"], port,
            "{t}: {out}"
        );
        assert_eq!(
            v["parameters"]["pg_properties_typeProperties_server"]["defaultValue"],
            server.as_str(),
            "{t}"
        );
    }
}

/// `plan` lists for each linked service only the templates of its own factory root.
#[test]
fn plan_ties_templates_to_their_own_root() {
    let dir = tempfile::tempdir().unwrap();
    let template = fs::read_to_string(
        common::root().join("fixtures/adf-publish/factory-prod/ARMTemplateForFactory.json"),
    )
    .unwrap();
    v1(
        dir.path(),
        "linkedService/PgSales.json",
        &format!("host=root.{HOST};database=a;uid=u;password=p"),
    );
    v1(
        dir.path(),
        "second/linkedService/PgSales.json",
        &format!("host=second.{HOST};database=b;uid=u;password=p"),
    );
    write(dir.path(), "publish/ARMTemplateForFactory.json", &template);
    write(
        dir.path(),
        "second/publish/ARMTemplateForFactory.json",
        &template,
    );
    let (_, out, err) = run_in(dir.path(), &["plan", "--output-format", "json", "."]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
    let plans: Vec<&Value> = v["linked_services"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["name"] == "PgSales")
        .collect();
    assert_eq!(plans.len(), 2, "{out}");
    for p in plans {
        let file = p["path"].as_str().unwrap_or_default().to_string();
        let templates: Vec<&str> = p["arm_templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["path"].as_str().unwrap())
            .collect();
        let expected = if file.starts_with("second/") {
            "second/publish/ARMTemplateForFactory.json"
        } else {
            "publish/ARMTemplateForFactory.json"
        };
        assert_eq!(templates, vec![expected], "{file}: {out}");
    }
}
