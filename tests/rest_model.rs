//! Migrated shapes against the Data Factory REST model, in `cargo test`: the property names of
//! `AzurePostgreSqlLinkedService` and its type properties as azure-mgmt-datafactory 10.0.0 declares them
//! (tests/rest_model/check.py reads them from the installed SDK). Every 1.0 option the migration maps is
//! written once, and every property it writes must be one the model knows, or one the connector page
//! documents that the model lacks.

mod common;
use common::{copy_tree, root, run_in, walk};
use serde_json::Value;
use std::fs;

/// `AzurePostgreSqlLinkedServiceTypeProperties` in azure-mgmt-datafactory 10.0.0.
const MODEL_TYPE_PROPERTIES: &[&str] = &[
    "azureCloudType",
    "commandTimeout",
    "connectionString",
    "credential",
    "database",
    "encoding",
    "encryptedCredential",
    "password",
    "port",
    "readBufferSize",
    "server",
    "servicePrincipalCredentialType",
    "servicePrincipalEmbeddedCert",
    "servicePrincipalEmbeddedCertPassword",
    "servicePrincipalId",
    "servicePrincipalKey",
    "sslMode",
    "tenant",
    "timeout",
    "timezone",
    "trustServerCertificate",
    "username",
];

/// `AzurePostgreSqlLinkedService` (the linked service's `properties`).
const MODEL_PROPERTIES: &[&str] = &[
    "type",
    "version",
    "connectVia",
    "description",
    "parameters",
    "annotations",
    "typeProperties",
];

/// On the connector page, not in the model (the SDK keeps them as raw extra keys).
const EXPECTED_EXTRAS: &[&str] = &["authenticationType", "schema", "pooling"];

fn unexpected(props: &Value) -> Vec<String> {
    let mut out: Vec<String> = props
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !MODEL_PROPERTIES.contains(&k.as_str()))
        .cloned()
        .collect();
    out.extend(
        props["typeProperties"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| {
                !MODEL_TYPE_PROPERTIES.contains(&k.as_str())
                    && !EXPECTED_EXTRAS.contains(&k.as_str())
            })
            .cloned(),
    );
    out
}

#[test]
fn every_mapped_option_lands_on_a_model_property() {
    let dir = tempfile::tempdir().unwrap();
    let cs = "HostName=pg.postgres.database.azure.com;PortNumber=6432;Database=sales;LogonID=etl;PSW=pw;\
              SSL Mode=VerifyFull;Timeout=30;Command Timeout=60;Trust Server Certificate=false;\
              Read Buffer Size=8192;Timezone=UTC;Encoding=UTF8;Search Path=public;Pooling=true";
    let ls = serde_json::json!({
        "name": "pg",
        "properties": {
            "type": "AzurePostgreSql",
            "annotations": [],
            "description": "d",
            "connectVia": {"referenceName": "ir", "type": "IntegrationRuntimeReference"},
            "typeProperties": {"connectionString": cs}
        }
    });
    fs::create_dir_all(dir.path().join("linkedService")).unwrap();
    fs::write(
        dir.path().join("linkedService/pg.json"),
        serde_json::to_string_pretty(&ls).unwrap(),
    )
    .unwrap();
    run_in(dir.path(), &["--no-config", "--fix", "--unsafe-fixes", "."]);
    let v: Value =
        serde_json::from_slice(&fs::read(dir.path().join("linkedService/pg.json")).unwrap())
            .unwrap();
    assert_eq!(v["properties"]["version"], "2.0");
    let tp = &v["properties"]["typeProperties"];
    // each option was carried over (not silently dropped) …
    for key in [
        "server",
        "port",
        "database",
        "sslMode",
        "username",
        "password",
        "timeout",
        "commandTimeout",
        "trustServerCertificate",
        "readBufferSize",
        "timezone",
        "encoding",
    ] {
        assert!(tp.get(key).is_some(), "`{key}` missing: {tp}");
    }
    // … onto a property the REST model knows
    assert_eq!(unexpected(&v["properties"]), Vec::<String>::new());
}

#[test]
fn migrated_real_factories_use_only_model_properties() {
    let dir = copy_tree(&root().join("fixtures/real"));
    run_in(dir.path(), &["--no-config", "--fix", "--unsafe-fixes", "."]);
    let mut checked = 0;
    for p in walk(dir.path()) {
        let Ok(v) = serde_json::from_slice::<Value>(&fs::read(&p).unwrap()) else {
            continue;
        };
        let resources: Vec<&Value> = match v["resources"].as_array() {
            Some(rs) => rs.iter().collect(),
            None => vec![&v],
        };
        for r in resources {
            let props = &r["properties"];
            if props["type"] == "AzurePostgreSql" && props["version"] == "2.0" {
                assert_eq!(unexpected(props), Vec::<String>::new(), "{}", p.display());
                checked += 1;
            }
        }
    }
    assert!(checked >= 10, "only {checked} 2.0 linked services checked");
}
