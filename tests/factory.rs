//! Whole-factory awareness: index, dataset and activity rules, Synapse layout, ARM templates, the plan.

mod common;
use common::*;
use std::fs;

#[test]
fn plan_in_every_format() {
    let (code, text, _) = run_in(
        &root(),
        &["--no-config", "plan", "fixtures/example-factory"],
    );
    assert_eq!(code, 0);
    insta::assert_snapshot!("plan_text", text);
    let (_, md, _) = run_in(
        &root(),
        &[
            "--no-config",
            "plan",
            "fixtures/example-factory",
            "--output-format",
            "markdown",
        ],
    );
    insta::assert_snapshot!("plan_markdown", md);
    let (_, json, _) = run_in(
        &root(),
        &[
            "--no-config",
            "plan",
            "fixtures/example-factory",
            "--output-format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["version"], 1);
    let studio = v["linked_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "PgStudio")
        .unwrap();
    assert_eq!(studio["version"], "1.0");
    assert_eq!(studio["datasets"], serde_json::json!(["SalesOrders"]));
    let users: Vec<&str> = studio["used_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["resource"].as_str().unwrap())
        .collect();
    // CopyCustomers writes to SalesOrders, PgStudio's dataset
    assert_eq!(
        users,
        ["OrdersToLake", "CopyCustomers", "CopyOrders", "LoadStaging"]
    );
    assert_eq!(studio["needs_unsafe_fixes"][0]["code"], "ADFPG001");
    assert_eq!(studio["connector"], "AzurePostgreSql");
    // the legacy linked service: its connector and generation, its dataset, the two activities reading
    // it, and the documented type change its `::money` query meets (Money: V2 Decimal, legacy String)
    let legacy = v["linked_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "LegacyPostgreSql")
        .unwrap();
    assert_eq!(
        (&legacy["connector"], &legacy["version"]),
        (
            &serde_json::json!("PostgreSql"),
            &serde_json::json!("legacy")
        )
    );
    assert_eq!(legacy["needs_unsafe_fixes"][0]["code"], "ADFPG060");
    assert_eq!(legacy["datasets"], serde_json::json!(["LegacyCustomers"]));
    let activities: Vec<&str> = legacy["used_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["activity"].as_str().unwrap())
        .collect();
    assert_eq!(activities, ["Latest change", "Copy customers"]);
    let retest: Vec<&str> = legacy["retest"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["what"].as_str().unwrap())
        .collect();
    assert!(
        retest
            .iter()
            .any(|r| r.contains("money is read as Decimal (legacy: String)")),
        "{retest:?}"
    );
    assert!(
        retest.iter().any(|r| r.contains("PostgreSQL 12 or newer")),
        "{retest:?}"
    );
    let param = v["linked_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "PgParameterised")
        .unwrap();
    assert_eq!(
        param["used_by"][0]["activity"], "Truncate staging",
        "Script activities reference the linked service by name"
    );
}

#[test]
fn arm_plan_lists_parameter_renames_and_stale_references() {
    let dir = copy_tree(&root().join("fixtures/real/rahulsahu-tomtom__otl-data-fatory"));
    fs::create_dir_all(dir.path().join("deployment")).unwrap();
    fs::write(
        dir.path().join("deployment/release.yml"),
        "overrideParameters: -AzurePostgreSql2_connectionString $(pg2)\n",
    )
    .unwrap();
    let plan = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["--no-config", "plan", ".", "--output-format", "json"];
        args.extend_from_slice(extra);
        let (_, json, _) = run_in(dir.path(), &args);
        serde_json::from_str(&json).unwrap()
    };
    let ls_of = |v: &serde_json::Value| {
        v["linked_services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["name"] == "AzurePostgreSql2")
            .unwrap()
            .clone()
    };
    // the template's migration is an unsafe fix: `--fix` alone renames nothing, so the plan of `--fix`
    // announces no rename, and says what `--unsafe-fixes` would do instead
    let v = plan(&[]);
    let ls = ls_of(&v);
    assert_eq!(ls["arm_templates"][0]["renames"], serde_json::json!([]));
    assert!(
        v["stale_parameter_references"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let v = plan(&["--unsafe-fixes"]);
    let ls = ls_of(&v);
    let arm = &ls["arm_templates"][0];
    assert_eq!(
        arm["renames"][0]["old"],
        "AzurePostgreSql2_connectionString"
    );
    assert_eq!(
        arm["renames"][0]["new"][0],
        "AzurePostgreSql2_properties_typeProperties_server"
    );
    assert_eq!(arm["renames"][0]["new"][3], "AzurePostgreSql2_password");
    let stale = v["stale_parameter_references"].as_array().unwrap();
    assert!(
        stale.iter().any(|s| s["path"] == "deployment/release.yml"
            && s["line"] == 1
            && s["parameter"] == "AzurePostgreSql2_connectionString"),
        "{stale:#?}"
    );
    assert!(
        stale
            .iter()
            .any(|s| s["path"] == "adfmappoc/linkedTemplates/ArmTemplate_master.json"),
        "the master template passes the old parameter to linked templates"
    );
    assert!(
        !stale
            .iter()
            .any(|s| s["path"] == "adfmappoc/ARMTemplateParametersForFactory.json"),
        "--fix maintains it"
    );
}

#[test]
fn fix_touches_only_what_it_must_across_the_factory() {
    let dir = copy_tree(&example());
    let before = snapshot_tree(dir.path());
    run_in(dir.path(), &["--no-config", "--fix", "."]);
    let after = snapshot_tree(dir.path());
    let legacy = String::from_utf8(after["dataset/LegacyOrders.json"].clone()).unwrap();
    assert!(
        legacy.contains(
            "\t\t\t\"schema\": \"\\\"Sales\\\"\",\n\t\t\t\"table\": \"\\\"Order.Lines\\\"\"\n"
        ),
        "{legacy}"
    );
    let load = String::from_utf8(after["pipeline/LoadStaging.json"].clone()).unwrap();
    assert!(
        load.contains("\"type\": \"AzurePostgreSqlSink\"") && !load.contains("AzurePostgreSQLSink")
    );
    // everything else that no fix concerns is byte-identical
    for f in [
        "dataset/SalesOrders.json",
        "dataset/DanglingOrders.json",
        "pipeline/CopyOrders.json",
        "dataflow/OrdersToLake.json",
        "linkedService/KeyVault.json",
        "linkedService/PgGoodV2.json",
    ] {
        assert_eq!(before[f], after[f], "{f}");
    }
    let changed = after.keys().filter(|k| before[*k] != after[*k]).count();
    assert_eq!(
        changed, 7,
        "4 safe migrations, PgBadV2's safe fixes, the dataset and the sink"
    );
}

#[test]
fn files_passed_one_by_one_still_see_the_factory() {
    // as pre-commit does: only the dataset is passed, its linked services are found next to it
    let (_, out, _) = run_in(
        &example(),
        &[
            "--no-config",
            "--output-format",
            "concise",
            "dataset/DanglingOrders.json",
            "dataset/SalesOrders.json",
        ],
    );
    assert!(
        out.contains("dataset/DanglingOrders.json:5:21: ADFPG031"),
        "{out}"
    );
    assert!(!out.contains("SalesOrders.json"), "{out}");
}

#[test]
fn synapse_workspace_layout() {
    let dir = copy_tree(&root().join("fixtures/synapse-workspace"));
    let (code, out, _) = run_in(
        dir.path(),
        &["--no-config", "--fix", "--output-format", "concise", "."],
    );
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("linkedService/SynapsePg.json")).unwrap())
            .unwrap();
    assert_eq!(v["type"], "Microsoft.Synapse/workspaces/linkedservices");
    assert_eq!(v["properties"]["version"], "2.0");
    assert_eq!(v["properties"]["typeProperties"]["sslMode"], 4);
    assert_eq!(
        v["properties"]["typeProperties"]["password"]["store"]["referenceName"],
        "SynapseKeyVault"
    );
}

#[test]
fn adf_publish_export_is_migrated_with_its_parameters() {
    let dir = copy_tree(&root().join("fixtures/adf-publish"));
    let (_, diff, _) = run_in(
        dir.path(),
        &["--no-config", "--diff", "--unsafe-fixes", "."],
    );
    insta::assert_snapshot!("adf_publish_diff", diff);
    assert!(
        !diff.contains("Arm-Secret-9"),
        "the parameter value's password is masked"
    );
    // the template's migration is unsafe: the plan of `--fix --unsafe-fixes` renames its parameter
    let (_, plan, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "plan",
            ".",
            "--unsafe-fixes",
            "--output-format",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&plan).unwrap();
    let stale: Vec<String> = v["stale_parameter_references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("{}:{}", s["path"].as_str().unwrap(), s["line"]))
        .collect();
    assert_eq!(stale, ["deployment/release-prod.yml:7"]);

    run_in(dir.path(), &["--no-config", "--fix", "--unsafe-fixes", "."]);
    let params: serde_json::Value = serde_json::from_slice(
        &fs::read(
            dir.path()
                .join("factory-prod/ARMTemplateParametersForFactory.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let p = &params["parameters"];
    assert_eq!(
        p["PgSales_properties_typeProperties_server"]["value"],
        "pg-sales.postgres.database.azure.com"
    );
    assert_eq!(
        p["PgSales_properties_typeProperties_username"]["value"], "etl",
        "user@server stripped"
    );
    assert_eq!(
        p["PgSales_password"]["value"], "Arm-Secret-9",
        "the file gave the old parameter the password: it is carried over, not left empty (a deployment \
         would set an empty password)"
    );
    assert!(
        p["PgSales_connectionString"].is_object(),
        "the old parameter stays: the template still declares it"
    );
    let t: serde_json::Value = serde_json::from_slice(
        &fs::read(dir.path().join("factory-prod/ARMTemplateForFactory.json")).unwrap(),
    )
    .unwrap();
    let ls = &t["resources"][0]["properties"];
    assert_eq!(ls["version"], "2.0");
    assert_eq!(
        ls["typeProperties"]["server"],
        "[parameters('PgSales_properties_typeProperties_server')]"
    );
    assert_eq!(t["parameters"]["PgSales_password"]["type"], "secureString");
    let def: serde_json::Value = serde_json::from_slice(
        &fs::read(dir.path().join("arm-template-parameters-definition.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        def["Microsoft.DataFactory/factories/linkedServices"]["AzurePostgreSql"]["properties"]["typeProperties"]
            ["server"],
        "="
    );
    let once = snapshot_tree(dir.path());
    run_in(dir.path(), &["--no-config", "--fix", "--unsafe-fixes", "."]);
    assert_eq!(
        once,
        snapshot_tree(dir.path()),
        "idempotent, parameters file included"
    );
}

#[test]
fn linked_templates_are_not_migrated_alone() {
    // the whole repository: the template's port and sslMode come from its linked-service files
    let repo = copy_tree(&root().join("fixtures/real/rahulsahu-tomtom__otl-data-fatory"));
    let dir = repo.path().join("adfmappoc");
    let before = fs::read(dir.join("linkedTemplates/ArmTemplate_0.json")).unwrap();
    let (_, out, _) = run_in(
        &dir,
        &[
            "--no-config",
            "--fix",
            "--unsafe-fixes",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert_eq!(
        before,
        fs::read(dir.join("linkedTemplates/ArmTemplate_0.json")).unwrap()
    );
    assert!(
        out.contains(
            "this is a linked template, whose parameters come from ArmTemplate_master.json"
        ),
        "{out}"
    );
    assert!(
        out.contains("fixed ARMTemplateForFactory.json")
            && out.contains("fixed ARMTemplateParametersForFactory.json"),
        "{out}"
    );
}

#[test]
fn synapse_workspace_template_is_migrated_too() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("fixtures/adf-publish/factory-prod");
    let t = fs::read_to_string(src.join("ARMTemplateForFactory.json")).unwrap();
    let t = t.replace("factoryName", "workspaceName").replace(
        "Microsoft.DataFactory/factories",
        "Microsoft.Synapse/workspaces",
    );
    fs::write(dir.path().join("TemplateForWorkspace.json"), t).unwrap();
    let p = fs::read_to_string(src.join("ARMTemplateParametersForFactory.json"))
        .unwrap()
        .replace("factoryName", "workspaceName");
    fs::write(dir.path().join("TemplateParametersForWorkspace.json"), p).unwrap();
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "--fix",
            "--unsafe-fixes",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(
        out.contains("fixed TemplateForWorkspace.json")
            && out.contains("fixed TemplateParametersForWorkspace.json"),
        "{out}"
    );
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("TemplateForWorkspace.json")).unwrap())
            .unwrap();
    assert_eq!(
        v["resources"][0]["properties"]["typeProperties"]["database"],
        "[parameters('PgSales_properties_typeProperties_database')]"
    );
}
