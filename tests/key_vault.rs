//! `--credentials-to-key-vault` (issue 15), through the binary: every credential form of 1.0 and 2.0
//! linked services and ARM templates becomes an `AzureKeyVaultSecret` reference; bad vaults and name
//! templates stop the run before anything is written; the plan and `--fix` list the secrets without
//! their values; `--export-secrets` writes them owner-only, once, outside the repository.

mod common;
use common::*;
use serde_json::{Value, json};
use std::fs;
use std::path::Path;

const VAULT: &str = r#"{"name": "Vault", "properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://corp-kv.vault.azure.net/"}}}"#;

/// Secret values: none may appear in any output.
const VALUES: &[&str] = &[
    "kvPlainCs1",
    "kvSecureCs2",
    "kvPlainV2x3",
    "kvSecureV2x4",
    "kvSpKey5",
    "kvUrlPw6",
];

fn ls(name: &str, props: Value) -> String {
    serde_json::to_string_pretty(&json!({"name": name, "properties": props})).unwrap()
}

fn v2(auth: &str, extra: Value) -> Value {
    let mut tp = json!({
        "server": "pg.postgres.database.azure.com", "port": "5432", "database": "sales", "sslMode": 5,
        "username": "etl", "authenticationType": auth
    });
    for (k, v) in extra.as_object().unwrap() {
        tp[k] = v.clone();
    }
    json!({"type": "AzurePostgreSql", "version": "2.0", "typeProperties": tp})
}

fn v1(tp: Value) -> Value {
    json!({"type": "AzurePostgreSql", "typeProperties": tp})
}

/// A factory with the vault and one linked service per credential form.
fn factory(dir: &Path) {
    let d = dir.join("linkedService");
    fs::create_dir_all(&d).unwrap();
    let cs = "host=pg.postgres.database.azure.com;database=sales;uid=etl;encryptionmethod=1;validateservercertificate=1";
    let files = [
        ("Vault", VAULT.to_string()),
        (
            "V1Plain",
            ls(
                "V1Plain",
                v1(json!({"connectionString": format!("{cs};password=kvPlainCs1")})),
            ),
        ),
        (
            "V1Url",
            ls(
                "V1Url",
                v1(
                    json!({"connectionString": "Host=postgresql://etl:kvUrlPw6@pg.postgres.database.azure.com/sales;EncryptionMethod=1;ValidateServerCertificate=1"}),
                ),
            ),
        ),
        (
            "V1Secure",
            ls(
                "V1Secure",
                v1(
                    json!({"connectionString": {"type": "SecureString", "value": format!("{cs};pwd=kvSecureCs2")}}),
                ),
            ),
        ),
        (
            "V1Encrypted",
            ls(
                "V1Encrypted",
                v1(json!({"connectionString": cs, "encryptedCredential": "ZW5jcnlwdGVk"})),
            ),
        ),
        (
            "V2Plain",
            ls("V2Plain", v2("Basic", json!({"password": "kvPlainV2x3"}))),
        ),
        (
            "V2Secure",
            ls(
                "V2Secure",
                v2(
                    "Basic",
                    json!({"password": {"type": "SecureString", "value": "kvSecureV2x4"}, "encryptedCredential": "ZW5j"}),
                ),
            ),
        ),
        (
            "V2Encrypted",
            ls(
                "V2Encrypted",
                v2("Basic", json!({"encryptedCredential": "ZW5jcnlwdGVk"})),
            ),
        ),
        (
            "V2Sp",
            ls(
                "V2Sp",
                v2(
                    "ServicePrincipal",
                    json!({"tenant": "t", "servicePrincipalId": "i", "servicePrincipalCredentialType": "ServicePrincipalKey", "servicePrincipalKey": {"type": "SecureString", "value": "kvSpKey5"}, "azureCloudType": "AzurePublic"}),
                ),
            ),
        ),
        (
            "V2InVault",
            ls(
                "V2InVault",
                v2(
                    "Basic",
                    json!({"password": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "Vault", "type": "LinkedServiceReference"}, "secretName": "kept"}}),
                ),
            ),
        ),
        (
            "V2Identity",
            ls("V2Identity", v2("SystemAssignedManagedIdentity", json!({}))),
        ),
    ];
    for (name, text) in files {
        fs::write(d.join(format!("{name}.json")), text + "\n").unwrap();
    }
}

fn reference(secret: &str) -> Value {
    json!({"type": "AzureKeyVaultSecret", "store": {"referenceName": "Vault", "type": "LinkedServiceReference"}, "secretName": secret})
}

fn type_props(dir: &Path, name: &str) -> Value {
    let text = fs::read_to_string(dir.join(format!("linkedService/{name}.json"))).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
    assert_eq!(v["properties"]["version"], "2.0", "{name}: {text}");
    v["properties"]["typeProperties"].clone()
}

fn no_value_in(text: &str) {
    for v in VALUES {
        assert!(!text.contains(v), "secret value {v} in output:\n{text}");
    }
}

#[test]
fn every_credential_form_moves_to_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    factory(dir.path());
    let before = snapshot_tree(dir.path());
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--credentials-to-key-vault",
            "Vault",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "exit {code}: {err}\n{out}");
    no_value_in(&out);
    no_value_in(&err);
    for name in [
        "V1Plain",
        "V1Url",
        "V1Secure",
        "V1Encrypted",
        "V2Plain",
        "V2Secure",
        "V2Encrypted",
    ] {
        let tp = type_props(dir.path(), name);
        assert_eq!(
            tp["password"],
            reference(&format!("{name}-password")),
            "{name}: {tp:#}"
        );
        for gone in ["encryptedCredential", "connectionString"] {
            assert!(tp.get(gone).is_none(), "{name} keeps {gone}: {tp:#}");
        }
        assert_eq!(tp["username"], "etl", "{name}");
    }
    // the service principal's key moves; it has no password
    let sp = type_props(dir.path(), "V2Sp");
    assert_eq!(sp["servicePrincipalKey"], reference("V2Sp-password"));
    assert!(sp.get("password").is_none());
    // already in the vault, or no secret at all: untouched
    let after = snapshot_tree(dir.path());
    for name in ["V2InVault", "V2Identity", "Vault"] {
        let k = format!("linkedService/{name}.json");
        assert_eq!(before[&k], after[&k], "{name} changed");
    }
    // the summary says what to create, with the vault's own name and never a value on the command line
    for name in [
        "V1Plain",
        "V1Url",
        "V1Secure",
        "V1Encrypted",
        "V2Plain",
        "V2Secure",
        "V2Encrypted",
        "V2Sp",
    ] {
        let line = format!(
            "az keyvault secret set --vault-name corp-kv --name {name}-password --file <file holding the value>"
        );
        assert!(out.contains(&line), "want {line:?} in\n{out}");
    }
    assert!(!out.contains("--value"), "{out}");
    // nothing left to move, and no new finding of the moved secrets (ADFPG008 is gone)
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(
        !out.contains("ADFPG024") && !out.contains("ADFPG008"),
        "{out}"
    );
}

/// The legacy PostgreSql connector (issue 28): its migration to PostgreSqlV2 moves the password to the
/// vault as AzurePostgreSql's does, and a PostgreSqlV2 password moves on its own; the V2 result has no
/// `version` and keeps Studio's V2 order, the password where Studio writes it (after `username`).
#[test]
fn legacy_and_v2_passwords_move_to_the_vault() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("linkedService");
    fs::create_dir_all(&d).unwrap();
    let cs = "host=10.1.2.3;port=5432;database=crm;uid=etl;encryptionmethod=1";
    let legacy = |tp: Value| json!({"type": "PostgreSql", "typeProperties": tp});
    let files = [
        ("Vault", VAULT.to_string()),
        (
            "LegPlain",
            ls(
                "LegPlain",
                legacy(json!({"connectionString": format!("{cs};pwd={{kvLeg;Braced}}}}7}}")})),
            ),
        ),
        (
            "LegSecure",
            ls(
                "LegSecure",
                legacy(
                    json!({"connectionString": {"type": "SecureString", "value": format!("{cs};password=kvLegSecure8")}}),
                ),
            ),
        ),
        (
            "LegEncrypted",
            ls(
                "LegEncrypted",
                legacy(json!({"connectionString": cs, "encryptedCredential": "ZW5jcnlwdGVk"})),
            ),
        ),
        (
            "NewPlain",
            ls(
                "NewPlain",
                json!({"type": "PostgreSqlV2", "typeProperties": {"server": "10.1.2.3", "port": 5432, "database": "crm", "username": "etl", "password": {"type": "SecureString", "value": "kvNewV2x9"}, "sslMode": 3, "authenticationType": "Basic"}}),
            ),
        ),
    ];
    for (name, text) in files {
        fs::write(d.join(format!("{name}.json")), text + "\n").unwrap();
    }
    let values = [
        "kvLeg;Braced}7",
        "kvLeg",
        "Braced",
        "kvLegSecure8",
        "kvNewV2x9",
    ];
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--credentials-to-key-vault",
            "Vault",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "exit {code}: {err}\n{out}");
    for v in values {
        assert!(
            !out.contains(v) && !err.contains(v),
            "{v} in output:\n{out}{err}"
        );
    }
    for name in ["LegPlain", "LegSecure", "LegEncrypted", "NewPlain"] {
        let text = fs::read_to_string(d.join(format!("{name}.json"))).unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["properties"]["type"], "PostgreSqlV2", "{name}: {text}");
        assert!(v["properties"].get("version").is_none(), "{name}: {text}");
        let tp = v["properties"]["typeProperties"].as_object().unwrap();
        assert_eq!(
            tp["password"],
            reference(&format!("{name}-password")),
            "{name}"
        );
        for gone in ["encryptedCredential", "connectionString"] {
            assert!(tp.get(gone).is_none(), "{name} keeps {gone}: {text}");
        }
        let keys: Vec<&str> = tp.keys().map(String::as_str).collect();
        // Studio's V2 order: server, port, database, username, password, sslMode, authenticationType
        let at = |k: &str| keys.iter().position(|x| *x == k).unwrap();
        assert!(
            at("username") < at("password") && at("password") < at("sslMode"),
            "{name}: {keys:?}"
        );
        // EncryptionMethod=1 (TLS, no validation) is Require with trustServerCertificate (ADFPG060)
        if name != "NewPlain" {
            assert_eq!(
                (&tp["sslMode"], &tp["trustServerCertificate"]),
                (&json!(3), &json!(true)),
                "{name}"
            );
        }
        for v in values {
            assert!(!text.contains(v), "{name} still holds {v}: {text}");
        }
    }
    for name in ["LegPlain", "LegSecure", "LegEncrypted", "NewPlain"] {
        let line = format!("--name {name}-password --file <file holding the value>");
        assert!(out.contains(&line), "want {line:?} in\n{out}");
    }
    // the braced ODBC value is the secret as the driver reads it: `}}` is one `}`
    let export = tempfile::tempdir().unwrap();
    let file = export.path().join("secrets.json");
    let fresh = tempfile::tempdir().unwrap();
    fs::create_dir_all(fresh.path().join("linkedService")).unwrap();
    fs::write(fresh.path().join("linkedService/Vault.json"), VAULT).unwrap();
    fs::write(
        fresh.path().join("linkedService/LegPlain.json"),
        ls(
            "LegPlain",
            legacy(json!({"connectionString": format!("{cs};pwd={{kvLeg;Braced}}}}7}}")})),
        ),
    )
    .unwrap();
    let (code, out, err) = run_in(
        fresh.path(),
        &[
            "--fix",
            "--credentials-to-key-vault",
            "Vault",
            "--export-secrets",
            file.to_str().unwrap(),
            ".",
        ],
    );
    assert!(code < 2, "exit {code}: {err}\n{out}");
    let exported = fs::read_to_string(&file).unwrap();
    assert!(exported.contains("kvLeg;Braced}7"), "{exported}");
}

#[test]
fn only_plaintext_moves_without_unsafe_fixes() {
    let dir = tempfile::tempdir().unwrap();
    factory(dir.path());
    let before = snapshot_tree(dir.path());
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--fix",
            "--credentials-to-key-vault",
            "Vault",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "{err}");
    assert_eq!(
        type_props(dir.path(), "V1Plain")["password"],
        reference("V1Plain-password")
    );
    assert_eq!(
        type_props(dir.path(), "V2Plain")["password"],
        reference("V2Plain-password")
    );
    assert_eq!(
        type_props(dir.path(), "V1Url")["password"],
        reference("V1Url-password")
    );
    let after = snapshot_tree(dir.path());
    // SecureString and encryptedCredential moves are unsafe: the secret must exist before deploy
    for name in ["V1Secure", "V1Encrypted", "V2Secure", "V2Encrypted", "V2Sp"] {
        let k = format!("linkedService/{name}.json");
        assert_eq!(
            before[&k], after[&k],
            "{name} changed without --unsafe-fixes"
        );
    }
    // the summary lists only what moved
    assert!(out.contains("--name V1Plain-password"), "{out}");
    assert!(!out.contains("--name V2Secure-password"), "{out}");
}

/// The move is ADFPG024's fix: with the rule off nothing moves, not even inside a 1.0 definition's
/// migration (ADFPG001), which then keeps the password where it was.
#[test]
fn nothing_moves_with_the_key_vault_rule_off() {
    let dir = tempfile::tempdir().unwrap();
    factory(dir.path());
    let before = snapshot_tree(dir.path());
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--credentials-to-key-vault",
            "Vault",
            "--ignore",
            "ADFPG024",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "exit {code}: {err}\n{out}");
    no_value_in(&out);
    let after = snapshot_tree(dir.path());
    assert_eq!(
        before["linkedService/V2Plain.json"],
        after["linkedService/V2Plain.json"]
    );
    let tp = type_props(dir.path(), "V1Plain");
    assert_ne!(tp["password"]["type"], "AzureKeyVaultSecret", "{tp:#}");
    assert!(!out.contains("az keyvault secret set"), "{out}");
}

#[test]
fn the_plan_lists_each_secret_and_says_which_moves_are_unsafe() {
    let dir = tempfile::tempdir().unwrap();
    factory(dir.path());
    let before = snapshot_tree(dir.path());
    let (code, out, err) = run_in(
        dir.path(),
        &["plan", ".", "--credentials-to-key-vault", "Vault"],
    );
    assert_eq!(code, 0, "{err}");
    no_value_in(&out);
    assert!(
        out.contains("V1Encrypted-password in vault linked service `Vault`: used by `V1Encrypted`; the value is only in encryptedCredential (unsafe move: the secret must exist before deploy)"),
        "{out}"
    );
    assert!(
        out.contains("V2Plain-password in vault linked service `Vault`: used by `V2Plain`; the value is plaintext in the repository\n"),
        "{out}"
    );
    assert!(
        out.contains("az keyvault secret set --vault-name corp-kv --name V2Sp-password --file"),
        "{out}"
    );
    let (_, json_out, _) = run_in(
        dir.path(),
        &[
            "plan",
            ".",
            "--credentials-to-key-vault",
            "Vault",
            "--output-format",
            "json",
        ],
    );
    no_value_in(&json_out);
    let v: Value = serde_json::from_str(&json_out).unwrap();
    let secrets = v["key_vault_secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 8, "{secrets:#?}");
    let sp = secrets
        .iter()
        .find(|s| s["name"] == "V2Sp-password")
        .unwrap();
    assert_eq!(sp["linked_services"], json!(["V2Sp"]));
    assert_eq!(sp["vault"], "corp-kv");
    assert_eq!(sp["unsafe"], true);
    assert_eq!(before, snapshot_tree(dir.path()), "plan wrote");
}

/// Run with a bad vault or name template: exit 2, a message naming the problem, nothing written.
fn refused(dir: &Path, args: &[&str], want: &str) {
    let before = snapshot_tree(dir);
    let mut all = vec!["--fix", "--unsafe-fixes", "--output-format", "concise"];
    all.extend(args);
    all.push(".");
    let (code, out, err) = run_in(dir, &all);
    assert_eq!(code, 2, "{args:?}: {out}\n{err}");
    assert!(err.contains(want), "{args:?}: want {want:?} in\n{err}");
    no_value_in(&out);
    no_value_in(&err);
    assert_eq!(before, snapshot_tree(dir), "{args:?} wrote");
}

#[test]
fn bad_vaults_and_names_stop_the_run_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    factory(dir.path());
    let p = dir.path();
    refused(
        p,
        &["--credentials-to-key-vault", "Nope"],
        "the factory has no linked service `Nope`",
    );
    refused(
        p,
        &["--credentials-to-key-vault", "V2Plain"],
        "the vault `V2Plain` is a AzurePostgreSql linked service, not AzureKeyVault",
    );
    refused(
        p,
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--secret-name",
            "pg-{host}",
        ],
        "unknown placeholder `{host}`",
    );
    refused(
        p,
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--secret-name",
            "pg_{ls}",
        ],
        "holds `pg_`",
    );
    refused(
        p,
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--secret-name",
            "{ls",
        ],
        "`{` without `}`",
    );
    // a value that is not valid in a name: dots in the server
    refused(
        p,
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--secret-name",
            "{server}",
        ],
        "secret name `pg.postgres.database.azure.com` is not valid",
    );
    // one name for linked services with different passwords
    refused(
        p,
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--secret-name",
            "pg-{username}",
        ],
        "would share secret `pg-etl` but hold different credentials",
    );
    refused(
        p,
        &["--secret-name", "{ls}"],
        "--secret-name needs --credentials-to-key-vault",
    );
    // the config's table, checked the same way
    fs::write(
        p.join("adfpg.toml"),
        "[migration.key-vault]\nsecret-name = \"{ls}\"\n",
    )
    .unwrap();
    refused(p, &[], "[migration.key-vault] needs `linked-service`");
    fs::write(
        p.join("adfpg.toml"),
        "[migration.key-vault]\nlinked-service = \"Vault\"\nsecret-name = \"pg-{nope}\"\n",
    )
    .unwrap();
    refused(p, &[], "unknown placeholder `{nope}`");
}

#[test]
fn config_table_and_shared_secrets_when_the_template_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("linkedService");
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join("Vault.json"), VAULT).unwrap();
    // two linked services, one login (server and user agree, the password is not in the repository)
    for name in ["SalesA", "SalesB"] {
        fs::write(
            d.join(format!("{name}.json")),
            ls(name, v2("Basic", json!({"encryptedCredential": "ZW5j"}))),
        )
        .unwrap();
    }
    fs::write(
        dir.path().join("adfpg.toml"),
        "[migration.key-vault]\nlinked-service = \"Vault\"\nsecret-name = \"pg-{username}\"\n",
    )
    .unwrap();
    let (code, out, err) = run_in(
        dir.path(),
        &["--fix", "--unsafe-fixes", "--output-format", "concise", "."],
    );
    assert!(code < 2, "{err}");
    for name in ["SalesA", "SalesB"] {
        assert_eq!(
            type_props(dir.path(), name)["password"],
            reference("pg-etl")
        );
    }
    assert!(
        out.contains("pg-etl in vault linked service `Vault`: used by `SalesA`, `SalesB`"),
        "{out}"
    );
    assert_eq!(out.matches("az keyvault secret set").count(), 1, "{out}");
}

#[test]
fn a_linked_service_parameter_stays_an_expression_in_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("linkedService");
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join("Vault.json"), VAULT).unwrap();
    let mut props = v2(
        "Basic",
        json!({"database": "@{linkedService().DbName}", "encryptedCredential": "ZW5j"}),
    );
    props["parameters"] = json!({"DbName": {"type": "String"}});
    fs::write(d.join("Param.json"), ls("Param", props)).unwrap();
    // an ARM expression cannot be known before deployment: held back, with the reason
    let mut arm = v2(
        "Basic",
        json!({"database": "[parameters('db')]", "encryptedCredential": "ZW5j"}),
    );
    arm["description"] = json!("x");
    fs::write(d.join("Arm.json"), ls("Arm", arm)).unwrap();
    let arm_before = fs::read(d.join("Arm.json")).unwrap();
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--credentials-to-key-vault",
            "Vault",
            "--secret-name",
            "pg-{database}",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "{err}");
    assert_eq!(
        type_props(dir.path(), "Param")["password"],
        reference("pg-@{linkedService().DbName}")
    );
    assert!(
        out.contains("  # `pg-@{linkedService().DbName}` holds an expression: create one secret per value it takes\n  az keyvault secret set --vault-name corp-kv --name 'pg-<value>' --file"),
        "{out}"
    );
    // held back for that linked service only, with the reason
    assert_eq!(fs::read(d.join("Arm.json")).unwrap(), arm_before);
    assert!(
        out.contains("ADFPG024 [warning] linked service `Arm` keeps its `password` outside Key Vault, and the move to `Vault` is held back: `{database}` is an ARM expression here, known only at deployment"),
        "{out}"
    );
}

#[test]
fn export_writes_plaintext_values_owner_only_once_and_outside_the_repository() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    factory(&repo);
    fs::create_dir(repo.join(".git")).unwrap();
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("secrets.json");
    let f = file.to_str().unwrap();
    // inside the scanned folder, or its repository: refused, nothing written
    refused(
        &repo,
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--export-secrets",
            "linkedService/s.json",
        ],
        "inside the scanned files or their repository",
    );
    fs::create_dir(repo.join("sub")).unwrap();
    let before = snapshot_tree(&repo);
    let (code, _, err) = run_in(
        &repo.join("sub"),
        &[
            "--fix",
            "--credentials-to-key-vault",
            "Vault",
            "--export-secrets",
            "s.json",
            "../linkedService",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert_eq!(before, snapshot_tree(&repo));

    let (code, out, err) = run_in(
        &repo,
        &[
            "--fix",
            "--unsafe-fixes",
            "--credentials-to-key-vault",
            "Vault",
            "--export-secrets",
            f,
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "{err}");
    no_value_in(&out);
    no_value_in(&err);
    let exported: Value = serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    // every value that was in the repository, under its secret's name; encryptedCredential cannot be
    assert_eq!(
        exported,
        json!({
            "V1Plain-password": "kvPlainCs1",
            "V1Url-password": "kvUrlPw6",
            "V1Secure-password": "kvSecureCs2",
            "V2Plain-password": "kvPlainV2x3",
            "V2Secure-password": "kvSecureV2x4",
            "V2Sp-password": "kvSpKey5",
        })
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // the az lines read the value from the file, through jq, never from the command line
    let line = format!(
        "az keyvault secret set --vault-name corp-kv --name V2Plain-password --file <(jq -j --arg n V2Plain-password '.[$n]' {f})"
    );
    assert!(out.contains(&line), "want {line:?} in\n{out}");
    assert!(err.contains("upload them, then delete the file"), "{err}");
    // an existing file is never replaced
    let again = tempfile::tempdir().unwrap();
    factory(again.path());
    let (code, _, err) = run_in(
        again.path(),
        &[
            "--fix",
            "--credentials-to-key-vault",
            "Vault",
            "--export-secrets",
            f,
            ".",
        ],
    );
    assert_eq!(code, 2);
    assert!(err.contains("exists; name a new file"), "{err}");
    assert_eq!(
        serde_json::from_str::<Value>(&fs::read_to_string(&file).unwrap()).unwrap(),
        exported
    );
}

#[test]
fn arm_templates_get_the_reference_inline_without_a_password_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let template = json!({
        "$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "parameters": {
            "factoryName": {"type": "string", "defaultValue": "adf-sales"},
            "Pg_connectionString": {"type": "secureString"}
        },
        "variables": {"factoryId": "[concat('Microsoft.DataFactory/factories/', parameters('factoryName'))]"},
        "resources": [
            {"name": "[concat(parameters('factoryName'), '/Vault')]", "type": "Microsoft.DataFactory/factories/linkedServices", "apiVersion": "2018-06-01",
             "properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://corp-kv.vault.azure.net/"}}},
            {"name": "[concat(parameters('factoryName'), '/Pg')]", "type": "Microsoft.DataFactory/factories/linkedServices", "apiVersion": "2018-06-01",
             "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "[parameters('Pg_connectionString')]"}}}
        ]
    });
    fs::write(
        dir.path().join("ARMTemplateForFactory.json"),
        serde_json::to_string_pretty(&template).unwrap(),
    )
    .unwrap();
    let params = json!({"$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#", "contentVersion": "1.0.0.0",
        "parameters": {"factoryName": {"value": "adf-sales"}, "Pg_connectionString": {"value": "host=pg.postgres.database.azure.com;database=sales;uid=etl;encryptionmethod=1"}}});
    fs::write(
        dir.path().join("ARMTemplateParametersForFactory.json"),
        serde_json::to_string_pretty(&params).unwrap(),
    )
    .unwrap();
    // a repository of published templates only: the plan and the summary list the template's secret
    let kv = [
        "--credentials-to-key-vault",
        "Vault",
        "--secret-name",
        "{factory}-{ls}",
    ];
    let (code, plan, err) = run_in(dir.path(), &["plan", ".", kv[0], kv[1], kv[2], kv[3]]);
    assert_eq!(code, 0, "{err}");
    assert!(
        plan.contains("adf-sales-Pg in vault linked service `Vault`: used by `Pg`; the value is an ARM template parameter (unsafe move: the secret must exist before deploy)"),
        "{plan}"
    );
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            kv[0],
            kv[1],
            kv[2],
            kv[3],
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "{err}\n{out}");
    assert!(
        out.contains("az keyvault secret set --vault-name corp-kv --name adf-sales-Pg --file <file holding the value>"),
        "{out}"
    );
    let t: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("ARMTemplateForFactory.json")).unwrap(),
    )
    .unwrap();
    let pg = &t["resources"][1]["properties"];
    assert_eq!(pg["version"], "2.0", "{t:#}");
    assert_eq!(
        pg["typeProperties"]["password"],
        reference("adf-sales-Pg"),
        "{t:#}"
    );
    assert_eq!(
        pg["typeProperties"]["server"],
        "[parameters('Pg_properties_typeProperties_server')]"
    );
    assert!(t["parameters"].get("Pg_password").is_none(), "{t:#}");
    // deployed after the vault's linked service, as ADF's publish orders it
    assert_eq!(
        t["resources"][1]["dependsOn"],
        json!(["[concat(variables('factoryId'), '/linkedServices/Vault')]"]),
        "{t:#}"
    );
    let p: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("ARMTemplateParametersForFactory.json")).unwrap(),
    )
    .unwrap();
    assert!(p["parameters"].get("Pg_password").is_none(), "{p:#}");
    assert!(
        p["parameters"]
            .get("Pg_properties_typeProperties_server")
            .is_some(),
        "{p:#}"
    );

    // a template without the vault: the move is held back (the migration proceeds as usual)
    let mut bare = template.clone();
    bare["resources"].as_array_mut().unwrap().remove(0);
    fs::write(
        dir.path().join("ARMTemplateForFactory.json"),
        serde_json::to_string_pretty(&bare).unwrap(),
    )
    .unwrap();
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--credentials-to-key-vault",
            "Vault",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(
        out.contains("the template declares no AzureKeyVault linked service `Vault` (ADFPG052)"),
        "{out}"
    );
}

#[test]
fn a_new_secret_never_takes_the_name_of_one_another_login_reads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("linkedService");
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join("Vault.json"), VAULT).unwrap();
    let mut existing = v2("Basic", json!({"password": reference("pg-sales")}));
    existing["typeProperties"]["username"] = json!("reader");
    fs::write(d.join("Existing.json"), ls("Existing", existing)).unwrap();
    fs::write(
        d.join("New.json"),
        ls("New", v2("Basic", json!({"password": "kvPlainV2x3"}))),
    )
    .unwrap();
    let args = [
        "--credentials-to-key-vault",
        "Vault",
        "--secret-name",
        "pg-{database}",
    ];
    refused(
        dir.path(),
        &args,
        "secret `pg-sales` is already read by linked service `Existing` for another login",
    );
    // the same login may share it: the template says so
    let mut same = v2("Basic", json!({"password": "kvPlainV2x3"}));
    same["typeProperties"]["username"] = json!("reader");
    fs::write(d.join("New.json"), ls("New", same)).unwrap();
    let mut all = vec!["--fix", "--output-format", "concise", "."];
    all.extend(args);
    let (code, _, err) = run_in(dir.path(), &all);
    assert!(code < 2, "{err}");
    assert_eq!(
        type_props(dir.path(), "New")["password"],
        reference("pg-sales")
    );
}

/// Twelve linked services in one template: each fix touches its own lines, so all move and migrate in one
/// run (the fix loop stops after 10 rounds; one fix per round would not get there).
#[test]
fn many_linked_services_of_one_template_move_together() {
    let dir = tempfile::tempdir().unwrap();
    let mut params = json!({"factoryName": {"type": "string", "defaultValue": "adf"}});
    let mut values = json!({});
    let mut resources = vec![
        json!({"name": "[concat(parameters('factoryName'), '/Vault')]", "type": "Microsoft.DataFactory/factories/linkedServices",
        "properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://corp-kv.vault.azure.net/"}}}),
    ];
    for i in 0..12 {
        params[format!("Pg{i}_connectionString")] = json!({"type": "secureString"});
        values[format!("Pg{i}_connectionString")] = json!({"value": format!("host=pg{i}.postgres.database.azure.com;database=d{i};uid=u{i};encryptionmethod=1")});
        resources.push(json!({"name": format!("[concat(parameters('factoryName'), '/Pg{i}')]"), "type": "Microsoft.DataFactory/factories/linkedServices",
            "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": format!("[parameters('Pg{i}_connectionString')]")}}}));
    }
    let template = json!({"$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#", "contentVersion": "1.0.0.0",
        "parameters": params, "resources": resources});
    fs::write(
        dir.path().join("ARMTemplateForFactory.json"),
        serde_json::to_string_pretty(&template).unwrap(),
    )
    .unwrap();
    fs::write(
        dir.path().join("ARMTemplateParametersForFactory.json"),
        serde_json::to_string_pretty(&json!({"parameters": values})).unwrap(),
    )
    .unwrap();
    let (code, out, err) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--credentials-to-key-vault",
            "Vault",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert!(code < 2, "{err}\n{out}");
    let t: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("ARMTemplateForFactory.json")).unwrap(),
    )
    .unwrap();
    for i in 0..12 {
        let pg = &t["resources"][i + 1]["properties"];
        assert_eq!(pg["version"], "2.0", "Pg{i}: {pg:#}");
        assert_eq!(
            pg["typeProperties"]["password"],
            reference(&format!("Pg{i}-password")),
            "Pg{i}"
        );
        assert!(t["parameters"].get(format!("Pg{i}_password")).is_none());
        assert!(
            t["parameters"]
                .get(format!("Pg{i}_properties_typeProperties_server"))
                .is_some()
        );
    }
}

#[test]
fn factory_text_in_a_refusal_is_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("linkedService");
    fs::create_dir_all(&d).unwrap();
    fs::write(d.join("Vault.json"), VAULT).unwrap();
    // a name Key Vault refuses, holding an escape sequence that would recolour the terminal
    let name = "Pg\u{1b}[31mRed";
    fs::write(
        d.join("Pg.json"),
        ls(name, v2("Basic", json!({"password": "kvPlainV2x3"}))),
    )
    .unwrap();
    let (code, _, err) = run_in(
        dir.path(),
        &["--fix", "--credentials-to-key-vault", "Vault", "."],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert!(err.contains("Pg\\u{1b}[31mRed"), "{err}");
}
