//! Secrets never reach output (issue 5): distinct secret values planted in every place a secret can sit
//! must not appear, whole or in part, in any output format, diff or `--fix` report, under any flag
//! combination; and `--fix` keeps every one of them in the files.
//!
//! Adding an output format (or a baseline/plan writer) is one line in `FORMATS` (or `MODES`).

mod common;
use common::*;
use std::fs;
use std::path::Path;

/// Every `--output-format` value; `formats_cover_the_cli` fails when the CLI grows one not listed here.
const FORMATS: &[&str] = &[
    "full", "concise", "json", "sarif", "github", "azure", "junit", "markdown",
];

/// Flag combinations, each run with every format.
const MODES: &[&[&str]] = &[
    &[],
    &["--unsafe-fixes"],
    &["--check"],
    &["--check", "--unsafe-fixes"],
    &["--diff"],
    &["--diff", "--unsafe-fixes"],
    &["--quiet", "--diff"],
    &["--exit-zero", "--diff", "--color", "always"],
    &["--fix"],
    &["--fix", "--show-changes"],
    &["--fix", "--unsafe-fixes", "--show-changes"],
    &[
        "--fix",
        "--unsafe-fixes",
        "--show-changes",
        "--color",
        "always",
    ],
];

/// Secret values are built from these tokens; a token appearing in output is a leak (of all or part).
const TOKENS: &[&str] = &[
    "qxPlainCs1",
    "qxSecCs2a",
    "qxSecCs2b",
    "qxSecCs2c",
    "qxPwdAlias3a",
    "qxPwdAlias3b",
    "qxSecurePw4",
    "qxSpKey5",
    "qxCertB64x6",
    "qxCertPw7",
    "qxEncCred8",
    "qxBadJson9",
    "qxBadJsonCs10",
    "qxBadUtf11",
    "qxDupPw12a",
    "qxDupPw12b",
    "qxSpKeySecure13",
    "qxTrunc14",
    // issue 12: shapes that leaked, each a class (see `plant_hostile`)
    "qxSplit20a",
    "qxSplit20b",
    "qxBrace21a",
    "qxBrace21b",
    "qxQuote22a",
    "qxQuote22b",
    "qxTypo23",
    "qxUrl24",
    "qxV2Prop25",
    "qxDesc26",
    "qxAnno27",
    "qxPsw28",
    "qxArmDefault29",
    "qxParamFile30",
    "qxAccKey31",
    "qxSingle32",
    "qxUnquoted33",
    "qxEscKey34",
    "7736251904",
    "qxArr35",
    "qxObj36",
    "qxBadTrunc37",
    "qxLatinUrl38",
    "qxToken39",
    // issue 29: each a class (see `plant_issue_29`)
    "qxTwice50",
    "qxTwice51",
    "qxExpr52",
    "qxExpr53",
    "qxExpr54",
    "qxSql55",
    "qxProse56",
    "qxProse57",
    "qxProse58",
    "qxProse59",
    "qxKey60",
    "qxSftpKey61",
    "qxPhrase62",
    "qxMongo63",
    "qxOpaque64",
    "qxFtp65",
    "qxIdentified66",
    "qxComment67",
    "qxComment68",
    // issue 28: the legacy PostgreSql connector and PostgreSqlV2 (see `plant_issue_28`)
    "qxLegPw70",
    "qxLegPwd71",
    "qxLegBr72",
    "qxLegBr73",
    "qxLegQ74a",
    "qxLegQ74b",
    "qxLegSq75",
    "qxLegSecCs76",
    "qxLegEnc77",
    "qxLegSibPw78",
    "qxLegTrust79",
    "qxLegTrustPw80",
    "qxLegSslPw81",
    "qxLegTw82a",
    "qxLegTw82b",
    "qxLegDup83a",
    "qxLegDup83b",
    "qxLegBad84",
    "qxLegTrunc85",
    "qxLegUtf86",
    "qxLegNest87",
    "qxLegExpr88",
    "qxLegDesc89",
    "qxV2Pw90",
    "qxV2SslPw91",
    "qxV2Plain92",
    "qxV2SslPlain93",
    "qxV2Cs94",
    "qxV2Expr95",
    "qxV2Server96",
    "qxLegArmDef97",
    "qxV2ArmDef98",
    "qxLegParam99",
    "qxV2Param100",
    "qxSynParam101",
];

fn plant(dir: &Path) {
    let ls = dir.join("linkedService");
    fs::create_dir_all(&ls).unwrap();
    let files: &[(&str, String)] = &[
        // 1.0, password in a plain connection string (safe fix moves it into a SecureString)
        (
            "v1-plain.json",
            r#"{
    "name": "v1-plain",
    "properties": {
        "type": "AzurePostgreSql",
        "typeProperties": {
            "connectionString": "host=a.postgres.database.azure.com;port=5432;database=d;uid=u;password=qxPlainCs1;sslmode=Require"
        }
    }
}
"#
            .into(),
        ),
        // 1.0, SecureString connection string, password quoted with `;` and a doubled quote inside
        (
            "v1-secure.json",
            r#"{
  "name": "v1-secure",
  "properties": {
    "type": "AzurePostgreSql",
    "typeProperties": {
      "connectionString": {
        "type": "SecureString",
        "value": "server=b.postgres.database.azure.com;db=d;user id=u;Password='qxSecCs2a;qxSecCs2b''qxSecCs2c';EncryptionMethod=1"
      },
      "encryptedCredential": "qxEncCred8ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIiwNCiAgIlByb3RlY3Rpb25Nb2RlIjogIktleSIs"
    }
  }
}"#
            .into(),
        ),
        // 1.0, `pwd` alias with a double-quoted value holding `;` and `"`, CRLF
        (
            "v1-alias.json",
            "{\r\n\t\"name\": \"v1-alias\",\r\n\t\"properties\": {\r\n\t\t\"type\": \"AzurePostgreSql\",\r\n\t\t\"typeProperties\": {\r\n\t\t\t\"connectionString\": \"host=c;database=d;uid=u;pwd=\\\"qxPwdAlias3a;\\\"\\\"qxPwdAlias3b\\\";timeout=30\"\r\n\t\t}\r\n\t}\r\n}\r\n".into(),
        ),
        // 1.0, password only in encryptedCredential (unsafe fix)
        (
            "v1-studio.json",
            r#"{"name": "v1-studio", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=d;port=5432;database=d;uid=u;encryptionmethod=0", "encryptedCredential": "qxEncCred8AAAA"}}}"#.into(),
        ),
        // 2.0 Basic, SecureString password next to a fixable sslMode (so diffs show its lines)
        (
            "v2-basic.json",
            r#"{
    "name": "v2-basic",
    "properties": {
        "type": "AzurePostgreSql",
        "version": "2.0",
        "typeProperties": {
            "server": "e",
            "database": "d",
            "sslMode": "Require",
            "password": {"type": "SecureString", "value": "qxSecurePw4"},
            "username": "u",
            "authenticationType": "Basic"
        }
    }
}
"#
            .into(),
        ),
        // 2.0 service principal: key in plain text, embedded cert and its password, all near a fix
        (
            "v2-sp.json",
            r#"{
    "name": "v2-sp",
    "properties": {
        "type": "AzurePostgreSql",
        "version": "2.0",
        "typeProperties": {
            "server": "f",
            "database": "d",
            "servicePrincipalKey": "qxSpKey5",
            "sslMode": "verify-full",
            "servicePrincipalEmbeddedCert": {"type": "SecureString", "value": "qxCertB64x6MIIDdzCCAl+gAwIBAgIEAgAAuTANBgkqhkiG9w0BAQUFADBaMQswCQYDVQQGEwJJRTES"},
            "servicePrincipalEmbeddedCertPassword": {"type": "SecureString", "value": "qxCertPw7"},
            "username": "u",
            "authenticationType": "ServicePrincipal",
            "servicePrincipalCredentialType": "ServicePrincipalCert",
            "servicePrincipalId": "id",
            "tenant": "t"
        }
    }
}
"#
            .into(),
        ),
        (
            "v2-sp-secure.json",
            r#"{"name": "v2-sp-secure", "properties": {"type": "AzurePostgreSql", "version": "2.0", "typeProperties": {"server": "g", "database": "d", "sslMode": "2", "username": "u", "authenticationType": "ServicePrincipal", "servicePrincipalId": "id", "servicePrincipalCredentialType": "ServicePrincipalKey", "servicePrincipalKey": {"type": "SecureString", "value": "qxSpKeySecure13"}, "tenant": "t"}}}"#.into(),
        ),
        // invalid JSON: masked by pattern
        (
            "bad.json",
            r#"{"name": "bad", "properties": {"type": "AzurePostgreSql", "typeProperties": {"password": "qxBadJson9", "connectionString": "host=h;Password=qxBadJsonCs10;uid=u",}}}"#.into(),
        ),
        // truncated inside the secret
        (
            "trunc.json",
            r#"{"name": "t", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=h;password=qxTrunc14"#.into(),
        ),
        // duplicate keys, a secret in each copy
        (
            "dup.json",
            r#"{"name": "dup", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=h;password=qxDupPw12a", "connectionString": "host=h;password=qxDupPw12b"}}}"#.into(),
        ),
    ];
    for (name, text) in files {
        fs::write(ls.join(name), text).unwrap();
    }
    plant_hostile(dir);
    plant_issue_29(dir);
    plant_issue_28(dir);
    // not UTF-8 after the secrets: the valid prefix is shown, masked
    let mut bytes =
        br#"{"name": "u", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=h;password=qxBadUtf11", "x": ""#
            .to_vec();
    bytes.extend_from_slice(b"\xff\"}}}");
    fs::write(ls.join("latin1.json"), bytes).unwrap();
}

/// Issue 12: the shapes an attacker tried, one file each (every shape is a class: split, quoted and braced
/// passwords, typos, URLs with credentials, secrets in any property or in free text, other connectors'
/// keys, ARM secureString defaults and parameter files, invalid JSON around a secret, wrong JSON types).
fn plant_hostile(dir: &Path) {
    let ls = dir.join("linkedService");
    let v1 = |name: &str, cs: &str, extra: &str| {
        format!(
            r#"{{
    "name": "{name}",
    "properties": {{
        "type": "AzurePostgreSql",{extra}
        "typeProperties": {{
            "connectionString": "{cs}"
        }}
    }}
}}
"#
        )
    };
    let files: Vec<(&str, String)> = vec![
        ("split.json", v1("split", "host=h;database=d;uid=u;Password=qxSplit20a;qxSplit20b;sslmode=Require", "")),
        ("brace.json", v1("brace", "host=h;database=d;uid=u;Password={qxBrace21a;qxBrace21b};sslmode=Require", "")),
        ("quote.json", v1("quote", r#"host=h;database=d;uid=u;Password=\"qxQuote22a;qxQuote22b;sslmode=Require"#, "")),
        ("typo.json", v1("typo", "host=h;database=d;uid=u;Password:qxTypo23;sslmode=Require", "")),
        ("url.json", v1("url", "postgres://etl:qxUrl24@h.postgres.database.azure.com:5432/d?sslmode=require", "")),
        ("psw.json", v1("psw", "Host=h;Database=d;Username=u;PSW=qxPsw28;SSL Mode=Require", "")),
        (
            "desc.json",
            v1(
                "desc",
                "host=h;database=d;uid=u;sslmode=Require",
                r#"
        "description": "old: host=h;database=d;uid=u;password=qxDesc26",
        "annotations": ["Server=h;User Id=u;Password=qxAnno27", "https://u:qxToken39@example.com/x"],"#,
            ),
        ),
        (
            "v2-prop.json",
            r#"{"name": "v2-prop", "properties": {"type": "AzurePostgreSql", "version": "2.0", "typeProperties": {"server": "h;Password=qxV2Prop25", "database": "d", "sslMode": "Require", "username": "u", "authenticationType": "Basic"}}}"#.into(),
        ),
        (
            "types.json",
            r#"{"name": "types", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=h;database=d;uid=u;sslmode=Require", "password": 7736251904, "pwd": ["qxArr35"], "servicePrincipalKey": {"value": "qxObj36"}}}}"#.into(),
        ),
        // invalid JSON around a password
        ("single.json", r#"{'name': 'single', 'properties': {'type': 'AzurePostgreSql', 'typeProperties': {'password': 'qxSingle32'}}}"#.into()),
        ("unquoted.json", "{name: unquoted, properties: {type: AzurePostgreSql, typeProperties: {password: qxUnquoted33}}}".into()),
        ("esckey.json", r#"{"name": "esc", "properties": {"type": "AzurePostgreSql", "typeProperties": {"pass\u0077ord": "qxEscKey34",}}}"#.into()),
        ("badtrunc.json", r#"{"name": "bt", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "Server=h;Pwd=qxBadTrunc37"#.into()),
    ];
    for (name, text) in files {
        fs::write(ls.join(name), text).unwrap();
    }
    let mut bytes = br#"{"name": "lu", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "postgresql://u:qxLatinUrl38@h/d", "x": ""#.to_vec();
    bytes.extend_from_slice(b"\xe9\"}}}");
    fs::write(ls.join("latin-url.json"), bytes).unwrap();
    // an ARM template: a secureString parameter's defaultValue, a storage account key, and the
    // parameters file beside it (whose values are shown as diff context when --fix adds parameters)
    let arm = dir.join("arm");
    fs::create_dir_all(&arm).unwrap();
    fs::write(
        arm.join("ARMTemplateForFactory.json"),
        r#"{
    "$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {
        "factoryName": {"type": "string", "defaultValue": "f"},
        "Pg_connectionString": {"type": "secureString", "defaultValue": "qxArmDefault29"},
        "Blob_connectionString": {"type": "string", "defaultValue": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=qxAccKey31;EndpointSuffix=core.windows.net"}
    },
    "resources": [
        {
            "name": "[concat(parameters('factoryName'), '/Pg')]",
            "type": "Microsoft.DataFactory/factories/linkedServices",
            "apiVersion": "2018-06-01",
            "properties": {
                "type": "AzurePostgreSql",
                "typeProperties": {
                    "connectionString": "[parameters('Pg_connectionString')]"
                }
            }
        }
    ]
}
"#,
    )
    .unwrap();
    fs::write(
        arm.join("ARMTemplateParametersForFactory.json"),
        r#"{
    "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {
        "factoryName": {"value": "f"},
        "Pg_connectionString": {"value": "qxParamFile30"}
    }
}
"#,
    )
    .unwrap();
}

/// Issue 29: shapes a hostile pull request used, each a class: a password named twice (the second
/// quoted or braced), literals inside expressions under a secret name, SQL and prose in ordinary strings,
/// a secret as a key, a comment in a file that is not JSON, and other connectors' secrets in an ARM
/// parameters file (by name, and by the template's `secureString` declaration), shown as diff context.
fn plant_issue_29(dir: &Path) {
    let ls = dir.join("linkedService");
    let v1 = |name: &str, cs: &str, extra: &str| {
        format!(
            r#"{{
    "name": "{name}",
    "properties": {{
        "type": "AzurePostgreSql",
        "description": "password: 'qxProse56 and more'; pw: qxProse57; pwd: qxProse58; the password is qxProse59",
        "typeProperties": {{
            "connectionString": "{cs}"{extra}
        }}
    }}
}}
"#
        )
    };
    let files: Vec<(&str, String)> = vec![
        (
            "twice.json",
            v1(
                "twice",
                r#"host=h;database=d;uid=u;password=a;Password=\"qxTwice50\";sslmode=Require"#,
                "",
            ),
        ),
        (
            "twicebrace.json",
            v1(
                "twicebrace",
                "host=h;database=d;uid=u;password=a;Password={qxTwice51};sslmode=Require",
                "",
            ),
        ),
        (
            "expr.json",
            v1(
                "expr",
                "host=h;database=d;uid=u;sslmode=Require;password=[concat('qxExpr54')]",
                r#",
            "password": "@{'qxExpr52'}",
            "servicePrincipalKey": "[concat('qxExpr53', parameters('p'))]",
            "Password=qxKey60": "x""#,
            ),
        ),
    ];
    for (name, text) in files {
        fs::write(ls.join(name), text).unwrap();
    }
    // not JSON: a comment that spells a password out, shown as a source snippet
    fs::write(
        ls.join("comment.json"),
        "{\n    \"name\": \"comment\",\n    // the password is qxComment67, pw: qxComment68\n    \"properties\": {\"type\": \"AzurePostgreSql\", \"typeProperties\": {\"connectionString\": \"host=h;database=d;uid=u\"}}\n}\n",
    )
    .unwrap();
    let pipeline = dir.join("pipeline");
    fs::create_dir_all(&pipeline).unwrap();
    fs::write(
        pipeline.join("sql.json"),
        r#"{
    "name": "sql",
    "properties": {
        "activities": [
            {
                "name": "copy",
                "type": "Copy",
                "typeProperties": {
                    "source": {"type": "DelimitedTextSource"},
                    "sink": {
                        "type": "AzurePostgreSQLSink",
                        "preCopyScript": "ALTER ROLE etl WITH PASSWORD 'qxSql55'",
                        "writeBatchSize": 1000
                    },
                    "description": "CREATE USER u IDENTIFIED BY \"qxIdentified66\""
                }
            }
        ]
    }
}
"#,
    )
    .unwrap();
    // the parameters file beside the template of `plant_hostile`: other connectors' secrets around
    // the parameter the migration adds parameters after, so that its diff shows them as context
    let arm = dir.join("arm");
    let template = fs::read_to_string(arm.join("ARMTemplateForFactory.json")).unwrap();
    let template = template.replace(
        r#""factoryName": {"type": "string", "defaultValue": "f"},"#,
        r#""factoryName": {"type": "string", "defaultValue": "f"},
        "Mongo_opaque": {"type": "secureString"},"#,
    );
    fs::write(arm.join("ARMTemplateForFactory.json"), template).unwrap();
    fs::write(
        arm.join("ARMTemplateParametersForFactory.json"),
        r#"{
    "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {
        "factoryName": {"value": "f"},
        "Sftp_passPhrase": {"value": "qxPhrase62"},
        "Mongo_properties_typeProperties_password": {"value": "qxMongo63"},
        "Pg_connectionString": {"value": "host=pg.postgres.database.azure.com;database=d;uid=u;password=qxParamFile30;sslmode=Require"},
        "Sftp_privateKeyContent": {"value": "qxSftpKey61"},
        "Mongo_opaque": {"value": "qxOpaque64"},
        "Ftp_pass": {"value": "qxFtp65"}
    }
}
"#,
    )
    .unwrap();
}

/// Issue 28: every shape a secret takes in a legacy `PostgreSql` linked service and in a `PostgreSqlV2`
/// one, each a class: the password under each spelling the legacy driver reads (`Password`, `PWD`, any
/// case), braced as ODBC quotes it (`{p;w}}d}`), quoted, in a SecureString connection string, as a
/// sibling SecureString, given twice, beside the trust store's password and an `SSL Password`; in invalid,
/// truncated and non-UTF-8 files; V2's `password` and `sslPassword` as SecureStrings and as plain strings,
/// a leftover `connectionString`, a literal inside an expression, a password in `server`; and the ARM
/// templates (factory and Synapse) of both types with their parameters files.
fn plant_issue_28(dir: &Path) {
    let ls = dir.join("linkedService");
    let legacy = |name: &str, cs: &str, extra: &str| {
        format!(
            r#"{{
    "name": "{name}",
    "properties": {{
        "annotations": [],
        "type": "PostgreSql",
        "typeProperties": {{
            "connectionString": "{cs}"{extra}
        }}
    }}
}}
"#
        )
    };
    let v2 = |name: &str, tp: &str| {
        format!(
            r#"{{
    "name": "{name}",
    "properties": {{
        "type": "PostgreSqlV2",
        "typeProperties": {{
            "server": "pg.example.com",
            "port": 5432,
            "database": "d",
            "username": "u",
            {tp}
            "sslMode": "Require",
            "authenticationType": "Basic"
        }}
    }}
}}
"#
        )
    };
    let files: Vec<(&str, String)> = vec![
        // Studio's lower-case shape, the password written in (a safe migration moves it)
        (
            "pg-plain.json",
            legacy(
                "pg-plain",
                "host=pg.example.com;port=5432;database=sales;uid=etl;Password=qxLegPw70;encryptionmethod=0",
                "",
            ),
        ),
        // the driver's `PWD`, CRLF line ends
        (
            "pg-pwd.json",
            legacy(
                "pg-pwd",
                "HostName=pg.example.com;PortNumber=5432;Database=sales;LogonID=etl;PWD=qxLegPwd71;EncryptionMethod=1",
                "",
            )
            .replace('\n', "\r\n"),
        ),
        // ODBC braces: `;` inside, `}}` for a `}`
        (
            "pg-brace.json",
            legacy(
                "pg-brace",
                "host=pg.example.com;database=sales;uid=etl;Password={qxLegBr72;w}}qxLegBr73};encryptionmethod=0",
                "",
            ),
        ),
        // double and single quotes, a doubled quote and `;` inside
        (
            "pg-quote.json",
            legacy(
                "pg-quote",
                r#"host=pg.example.com;database=sales;uid=etl;pwd=\"qxLegQ74a;\"\"qxLegQ74b\";encryptionmethod=0"#,
                "",
            ),
        ),
        (
            "pg-squote.json",
            legacy(
                "pg-squote",
                "host=pg.example.com;database=sales;uid=etl;pAsSwOrD='qxLegSq75;x';encryptionmethod=0",
                "",
            ),
        ),
        // a SecureString connection string (the 2019 docs' shape), and encryptedCredential
        (
            "pg-secure.json",
            legacy("pg-secure", "", "")
                .replace(
                    r#""connectionString": """#,
                    r#""connectionString": {"type": "SecureString", "value": "Server=pg.example.com;Database=sales;Port=5432;UID=etl;Password={qxLegSecCs76}"},
            "encryptedCredential": "qxLegEnc77ew0KICAiVmVyc2lvbiI6ICIyMDE3LTExLTMwIiwNCiAgIlByb3RlY3Rpb25Nb2RlIjogIktleSIs""#,
                ),
        ),
        // the password as a sibling SecureString
        (
            "pg-sibling.json",
            legacy(
                "pg-sibling",
                "host=pg.example.com;database=sales;uid=etl;encryptionmethod=0",
                r#",
            "password": {"type": "SecureString", "value": "qxLegSibPw78"}"#,
            ),
        ),
        // the trust store's password (no V2 property: the unsafe migration drops it, and says so)
        (
            "pg-trust.json",
            legacy(
                "pg-trust",
                "host=pg.example.com;database=sales;uid=etl;pwd=qxLegTrustPw80;EncryptionMethod=1;ValidateServerCertificate=1;TrustStore=C:\\\\certs\\\\ca.pem;TrustStorePassword=qxLegTrust79",
                "",
            ),
        ),
        // Npgsql's client-certificate password, which V2 has as `sslPassword`
        (
            "pg-sslpw.json",
            legacy(
                "pg-sslpw",
                "host=pg.example.com;database=sales;uid=etl;pwd=p;SSL Key=C:\\\\k.pem;SSL Password=qxLegSslPw81;encryptionmethod=0",
                "",
            ),
        ),
        // the password twice, the second braced
        (
            "pg-twice.json",
            legacy(
                "pg-twice",
                "host=pg.example.com;database=sales;uid=etl;password=qxLegTw82a;PWD={qxLegTw82b}",
                "",
            ),
        ),
        // a connection string in another's braced host (a real file's shape), a literal in an expression
        (
            "pg-nest.json",
            legacy(
                "pg-nest",
                "host={Host=pg.example.com;Port=5432;Password=qxLegNest87};database=sales;uid=etl",
                "",
            ),
        ),
        (
            "pg-expr.json",
            legacy(
                "pg-expr",
                "host=pg.example.com;database=sales;uid=etl;password=@{concat('qxLegExpr88', 'x')}",
                "",
            ),
        ),
        (
            "pg-desc.json",
            legacy(
                "pg-desc",
                "host=pg.example.com;database=sales;uid=etl;encryptionmethod=0",
                "",
            )
            .replace(
                r#""annotations": [],"#,
                r#""annotations": [],
        "description": "was: Server=pg;UID=etl;PWD={qxLegDesc89}","#,
            ),
        ),
        // the password only in Key Vault, beside a string that names a password key with no value
        (
            "pg-kv.json",
            legacy(
                "pg-kv",
                "host=pg.example.com;database=sales;uid=etl;Password=;encryptionmethod=0",
                r#",
            "password": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "Vault", "type": "LinkedServiceReference"}, "secretName": "pg"}"#,
            ),
        ),
        // PostgreSqlV2: SecureStrings next to a fixable sslMode (so diffs show their lines)
        (
            "pgv2-secure.json",
            v2(
                "pgv2-secure",
                r#""password": {"type": "SecureString", "value": "qxV2Pw90"},
            "sslPassword": {"type": "SecureString", "value": "qxV2SslPw91"},
            "sslKey": "C:\\k.pem","#,
            ),
        ),
        (
            "pgv2-plain.json",
            v2(
                "pgv2-plain",
                r#""password": "qxV2Plain92",
            "sslPassword": "qxV2SslPlain93","#,
            ),
        ),
        (
            "pgv2-cs.json",
            v2(
                "pgv2-cs",
                r#""connectionString": "host=pg.example.com;password=qxV2Cs94","#,
            ),
        ),
        (
            "pgv2-expr.json",
            v2(
                "pgv2-expr",
                r#""password": {"type": "SecureString", "value": "@{concat('qxV2Expr95', '')}"},"#,
            ),
        ),
        (
            "pgv2-server.json",
            v2("pgv2-server", "").replace(
                r#""server": "pg.example.com""#,
                r#""server": "pg.example.com;Password=qxV2Server96""#,
            ),
        ),
        // invalid JSON around a braced password, a truncated one, and bytes that are not UTF-8
        (
            "pg-bad.json",
            r#"{"name": "pg-bad", "properties": {"type": "PostgreSql", "typeProperties": {"connectionString": "host=h;uid=u;PWD={qxLegBad84;x}",}}}"#.into(),
        ),
        (
            "pg-trunc.json",
            r#"{"name": "pg-trunc", "properties": {"type": "PostgreSql", "typeProperties": {"connectionString": "host=h;uid=u;Password={qxLegTrunc85;"#.into(),
        ),
        // duplicate connection strings, a secret in each
        (
            "pg-dup.json",
            r#"{"name": "pg-dup", "properties": {"type": "PostgreSql", "typeProperties": {"connectionString": "host=h;database=d;uid=u;pwd=qxLegDup83a", "connectionString": "host=h;database=d;uid=u;Password={qxLegDup83b}"}}}"#.into(),
        ),
    ];
    for (name, text) in files {
        fs::write(ls.join(name), text).unwrap();
    }
    let mut bytes = br#"{"name": "pg-latin1", "properties": {"type": "PostgreSql", "typeProperties": {"connectionString": "host=h;database=d;uid=u;pwd={qxLegUtf86}", "x": ""#.to_vec();
    bytes.extend_from_slice(b"\xe9\"}}}");
    fs::write(ls.join("pg-latin1.json"), bytes).unwrap();

    // published templates of both types: a secureString default, and the parameters file's values (the
    // migration adds parameters after the legacy one, so its diff shows them as context)
    let template = |kind: &str, ls_type: &str| {
        format!(
            r#"{{
    "$schema": "http://schema.management.azure.com/schemas/2015-01-01/deploymentTemplate.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {{
        "{kind}Name": {{"type": "string", "defaultValue": "f"}},
        "PgLegacy_connectionString": {{"type": "secureString", "defaultValue": "host=h;database=d;uid=u;PWD=qxLegArmDef97"}},
        "PgV2_password": {{"type": "secureString", "defaultValue": "qxV2ArmDef98"}}
    }},
    "resources": [
        {{
            "name": "[concat(parameters('{kind}Name'), '/PgLegacy')]",
            "type": "{ls_type}",
            "apiVersion": "2018-06-01",
            "properties": {{
                "annotations": [],
                "type": "PostgreSql",
                "typeProperties": {{
                    "connectionString": "[parameters('PgLegacy_connectionString')]"
                }}
            }}
        }},
        {{
            "name": "[concat(parameters('{kind}Name'), '/PgV2')]",
            "type": "{ls_type}",
            "apiVersion": "2018-06-01",
            "properties": {{
                "annotations": [],
                "type": "PostgreSqlV2",
                "typeProperties": {{
                    "server": "pg.example.com",
                    "port": 5432,
                    "database": "d",
                    "username": "u",
                    "password": {{"type": "SecureString", "value": "[parameters('PgV2_password')]"}},
                    "sslMode": "Require",
                    "authenticationType": "Basic"
                }}
            }}
        }}
    ]
}}
"#
        )
    };
    let parameters = |kind: &str, password: &str| {
        format!(
            r#"{{
    "$schema": "https://schema.management.azure.com/schemas/2015-01-01/deploymentParameters.json#",
    "contentVersion": "1.0.0.0",
    "parameters": {{
        "{kind}Name": {{"value": "f"}},
        "PgLegacy_connectionString": {{"value": "host=pg.example.com;port=5432;database=sales;uid=etl;Password={{{password};x}}}}y}};encryptionmethod=0"}},
        "PgV2_password": {{"value": "qxV2Param100"}}
    }}
}}
"#
        )
    };
    let factory = dir.join("arm-pg");
    fs::create_dir_all(&factory).unwrap();
    fs::write(
        factory.join("ARMTemplateForFactory.json"),
        template("factory", "Microsoft.DataFactory/factories/linkedServices"),
    )
    .unwrap();
    fs::write(
        factory.join("ARMTemplateParametersForFactory.json"),
        parameters("factory", "qxLegParam99"),
    )
    .unwrap();
    let synapse = dir.join("synapse-pg");
    fs::create_dir_all(&synapse).unwrap();
    fs::write(
        synapse.join("TemplateForWorkspace.json"),
        template("workspace", "Microsoft.Synapse/workspaces/linkedServices"),
    )
    .unwrap();
    fs::write(
        synapse.join("TemplateParametersForWorkspace.json"),
        parameters("workspace", "qxSynParam101"),
    )
    .unwrap();
}

/// Issue 28: the `--fix` of a legacy linked service whose password is an ODBC braced value (`;` inside,
/// `}}` for a `}`): `--diff` shows it masked on both sides, and `--fix` writes a SecureString holding
/// the exact password, unbraced; in the template's parameters file too.
#[test]
fn a_braced_legacy_password_is_masked_in_the_diff_and_written_unbraced() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let (_, diff, err) = run_in(
        dir.path(),
        &[
            "--diff",
            "--unsafe-fixes",
            "linkedService/pg-brace.json",
            "arm-pg",
        ],
    );
    // (a mask of ten or more characters is eight `*`)
    for line in [
        "-            \"connectionString\": \"host=pg.example.com;database=sales;uid=etl;Password=********;encryptionmethod=0\"",
        "+                \"value\": \"********\"",
        "         \"PgLegacy_connectionString\": {\"value\": \"host=pg.example.com;port=5432;database=sales;uid=etl;Password=********;encryptionmethod=0\"},",
    ] {
        assert!(diff.lines().any(|l| l == line), "want {line:?} in\n{diff}");
    }
    assert!(
        leaks(&diff).is_empty() && leaks(&err).is_empty(),
        "{diff}{err}"
    );
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "linkedService/pg-brace.json",
            "arm-pg",
        ],
    );
    assert!(leaks(&out).is_empty(), "{out}");
    let fixed: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("linkedService/pg-brace.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(fixed["properties"]["type"], "PostgreSqlV2", "{out}");
    assert_eq!(
        fixed["properties"]["typeProperties"]["password"],
        serde_json::json!({"type": "SecureString", "value": "qxLegBr72;w}qxLegBr73"}),
        "{fixed}"
    );
    let params: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(
            dir.path()
                .join("arm-pg/ARMTemplateParametersForFactory.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        params["parameters"]["PgLegacy_password"]["value"], "qxLegParam99;x}y",
        "{params}"
    );
}

/// Issue 28: each legacy password spelling and quoting, migrated by `--fix`, is the SecureString's exact
/// value (the rest of each string kept out of it); a password the safe fix cannot move stays in its file.
#[test]
fn legacy_passwords_are_moved_exactly() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let (_, out, _) = run_in(dir.path(), &["--fix", "linkedService"]);
    assert!(leaks(&out).is_empty(), "{out}");
    let mut wrong = Vec::new();
    for (file, password) in [
        ("pg-plain.json", "qxLegPw70"),
        ("pg-pwd.json", "qxLegPwd71"),
        ("pg-brace.json", "qxLegBr72;w}qxLegBr73"),
        ("pg-quote.json", "qxLegQ74a;\"qxLegQ74b"),
        ("pg-squote.json", "qxLegSq75;x"),
        ("pg-secure.json", "qxLegSecCs76"),
        ("pg-sibling.json", "qxLegSibPw78"),
        ("pg-sslpw.json", "p"),
    ] {
        let text = fs::read_to_string(dir.path().join("linkedService").join(file)).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let tp = &v["properties"]["typeProperties"];
        if v["properties"]["type"] != "PostgreSqlV2"
            || tp["password"] != serde_json::json!({"type": "SecureString", "value": password})
        {
            wrong.push(format!("{file}: want password {password:?}:\n{text}"));
        }
    }
    // `SSL Password` becomes V2's `sslPassword`, a secret like the password
    let text = fs::read_to_string(dir.path().join("linkedService/pg-sslpw.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    if v["properties"]["typeProperties"]["sslPassword"]
        != serde_json::json!({"type": "SecureString", "value": "qxLegSslPw81"})
    {
        wrong.push(format!(
            "pg-sslpw.json: want sslPassword qxLegSslPw81:\n{text}"
        ));
    }
    assert!(wrong.is_empty(), "{}\n{out}", wrong.join("\n"));
}

/// Issue 29: the ARM parameters file's diff shows the other connectors' parameters around the new
/// ones, masked (so the test above proves they were on screen, not left out).
#[test]
fn the_parameters_file_diff_masks_every_connectors_secrets() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let (_, out, _) = run_in(dir.path(), &["--diff", "--unsafe-fixes", "arm"]);
    // (a diff line holding a mask of ten or more shortens it to eight `*`)
    for line in [
        "         \"Sftp_passPhrase\": {\"value\": \"********\"},",
        "         \"Mongo_properties_typeProperties_password\": {\"value\": \"*********\"},",
        "         \"Sftp_privateKeyContent\": {\"value\": \"********\"},",
        "         \"Mongo_opaque\": {\"value\": \"********\"},",
        "         \"Ftp_pass\": {\"value\": \"*******\"}",
    ] {
        assert!(out.lines().any(|l| l == line), "want {line:?} in\n{out}");
    }
}

/// Stray text (a password fragment after a `;`, a `Password:` typo) and keys with no 2.0 property
/// (`PSW` while it is not a password alias), which the unsafe migration announces it drops.
const DROPPED_BY_UNSAFE_FIXES: &[&str] = &[
    "qxSplit20b",
    "qxBrace21b",
    "qxTypo23",
    "qxPsw28",
    // the legacy trust store's password: V2 has no trust-store property (ADFPG012)
    "qxLegTrust79",
];

fn leaks(text: &str) -> Vec<&'static str> {
    TOKENS
        .iter()
        .copied()
        .filter(|t| text.contains(t))
        .collect()
}

#[test]
fn every_token_is_planted_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let all: String = snapshot_tree(dir.path())
        .values()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    for t in TOKENS {
        assert!(all.contains(t), "{t} is not planted");
    }
}

#[test]
fn no_secret_in_any_format_mode_or_diff() {
    let template = tempfile::tempdir().unwrap();
    plant(template.path());
    let mut runs = 0;
    // every leak of every run, then the first run's output that leaked
    let mut leaked: Vec<String> = Vec::new();
    let mut first = String::new();
    for mode in MODES {
        for format in FORMATS {
            // a fresh copy each time: --fix writes
            let dir = copy_tree(template.path());
            let mut args: Vec<&str> = mode.to_vec();
            args.extend(["--output-format", format, "."]);
            let (code, out, err) = run_in(dir.path(), &args);
            assert!((0..=2).contains(&code), "{args:?}: exit {code}: {err}");
            assert!(
                out.len() > 200,
                "{args:?}: the run must have said something: {out}"
            );
            for (stream, text) in [("stdout", &out), ("stderr", &err)] {
                let found = leaks(text);
                if !found.is_empty() {
                    leaked.push(format!("{args:?}: {stream} leaks {found:?}"));
                    if first.is_empty() {
                        first = text.clone();
                    }
                }
            }
            if mode.contains(&"--fix") {
                // never lose a secret either: every token is still in the files
                let all: String = snapshot_tree(dir.path())
                    .values()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect();
                for t in TOKENS {
                    // text after a `;` inside an unquoted password is not a key=value pair: a safe fix
                    // keeps it (the migration is unsafe), --unsafe-fixes drops it as it says it does
                    if mode.contains(&"--unsafe-fixes") && DROPPED_BY_UNSAFE_FIXES.contains(t) {
                        continue;
                    }
                    assert!(all.contains(t), "{args:?}: --fix lost {t}");
                }
            }
            runs += 1;
        }
    }
    assert!(leaked.is_empty(), "{leaked:#?}\n{first}");
    assert_eq!(runs, MODES.len() * FORMATS.len());
}

/// The diffs really contain the lines around the secrets (otherwise the test above proves little).
#[test]
fn diffs_show_the_masked_secret_lines() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let (_, out, _) = run_in(dir.path(), &["--diff", "--unsafe-fixes", "."]);
    for line in [
        "-            \"connectionString\": \"host=a.postgres.database.azure.com;port=5432;database=d;uid=u;password=********;sslmode=Require\"",
        "-        \"value\": \"server=b.postgres.database.azure.com;db=d;user id=u;Password=********;EncryptionMethod=1\"",
        "             \"password\": {\"type\": \"SecureString\", \"value\": \"********\"},",
        "             \"servicePrincipalKey\": \"********\",",
        "             \"servicePrincipalEmbeddedCert\": {\"type\": \"SecureString\", \"value\": \"********\"},",
        "             \"servicePrincipalEmbeddedCertPassword\": {\"type\": \"SecureString\", \"value\": \"*********\"},",
        // issue 28: the legacy string, both sides of the move, and PostgreSqlV2's secrets as context
        "-            \"connectionString\": \"host=pg.example.com;port=5432;database=sales;uid=etl;Password=*********;encryptionmethod=0\"",
        "-            \"connectionString\": \"host=pg.example.com;database=sales;uid=etl;pAsSwOrD=********;encryptionmethod=0\"",
        "-            \"connectionString\": \"host=pg.example.com;database=sales;uid=etl;pwd=********;EncryptionMethod=1;ValidateServerCertificate=1;TrustStore=C:\\\\certs\\\\ca.pem;TrustStorePassword=********\"",
        "-            \"connectionString\": {\"type\": \"SecureString\", \"value\": \"Server=pg.example.com;Database=sales;Port=5432;UID=etl;Password=********\"},",
        "-            \"password\": {\"type\": \"SecureString\", \"value\": \"********\"}",
        "+            \"password\": {\"type\": \"SecureString\", \"value\": \"********\"},",
        "+                \"value\": \"*********\"",
        "             \"sslPassword\": {\"type\": \"SecureString\", \"value\": \"********\"},",
        "             \"password\": \"********\",",
        "             \"sslPassword\": \"********\",",
        "             \"connectionString\": \"host=pg.example.com;password=********\",",
        "             \"password\": {\"type\": \"SecureString\", \"value\": \"@{concat('********', '')}\"},",
        "         \"PgLegacy_connectionString\": {\"type\": \"secureString\", \"defaultValue\": \"host=h;database=d;uid=u;PWD=********\"},",
        "         \"PgV2_password\": {\"value\": \"********\"}",
    ] {
        assert!(out.lines().any(|l| l == line), "want {line:?} in\n{out}");
    }
    assert!(
        out.matches("+                \"value\": \"********\"")
            .count()
            >= 1,
        "{out}"
    );
}

/// When the CLI offers an output format this test does not know, fail: add it to `FORMATS`.
#[test]
fn formats_cover_the_cli() {
    let (_, help, _) = run_in(&root(), &["--help"]);
    let section = help
        .split("--output-format <OUTPUT_FORMAT>")
        .nth(1)
        .expect("--output-format in --help");
    let section = section.split("[env:").next().unwrap();
    let offered: Vec<&str> = section
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .filter_map(|l| l.split(':').next())
        .collect();
    assert!(!offered.is_empty(), "{section}");
    for f in &offered {
        assert!(
            FORMATS.contains(f),
            "output format `{f}` is not in FORMATS: add it so it is checked for secrets"
        );
    }
}

#[test]
fn no_secret_in_the_plan_or_a_baseline() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    for format in ["text", "json", "markdown"] {
        let (code, out, err) = run_in(dir.path(), &["plan", ".", "--output-format", format]);
        assert_eq!(code, 0, "{err}");
        assert!(out.len() > 200, "{format}: {out}");
        let found = leaks(&out);
        assert!(found.is_empty(), "plan {format} leaks {found:?}:\n{out}");
    }
    let (_, _, _) = run_in(dir.path(), &[".", "--write-baseline", "b.json"]);
    let baseline = std::fs::read_to_string(dir.path().join("b.json")).unwrap();
    assert!(baseline.len() > 100);
    let found = leaks(&baseline);
    assert!(found.is_empty(), "baseline leaks {found:?}");
}

/// Issue 12: a connection-string key name that is not a known key is never printed (it may be the rest
/// of a password holding `;`), stray text neither; known keys still are, and the finding stays located.
#[test]
fn unknown_connection_string_key_names_are_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    plant(dir.path());
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--output-format",
            "concise",
            "linkedService/split.json",
            "linkedService/brace.json",
        ],
    );
    assert!(
        out.contains("linkedService/split.json:6:78: ADFPG012 [warning] connection-string key `(text of 10 characters)` of linked service `split`"),
        "{out}"
    );
    assert!(out.contains("linkedService/brace.json:6:"), "{out}");
    let found = leaks(&out);
    assert!(found.is_empty(), "{found:?}: {out}");
    let ls = dir.path().join("linkedService");
    fs::write(
        ls.join("keepalive.json"),
        r#"{"name": "k", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=h;database=d;uid=u;Keepalive=30;Wibble=qxWibble"}}}"#,
    )
    .unwrap();
    let (_, out, _) = run_in(
        dir.path(),
        &["--output-format", "concise", "linkedService/keepalive.json"],
    );
    assert!(
        out.contains("connection-string key `Keepalive` of linked service `k`"),
        "{out}"
    );
    assert!(
        out.contains("connection-string key `(unrecognised name of 6 characters)`"),
        "{out}"
    );
    assert!(
        !out.contains("Wibble") && !out.contains("qxWibble"),
        "{out}"
    );
}

/// Issue 12: `test-connection` resolves a 2.0 SecureString `@{linkedService().password}` from a
/// parameter (instead of sending the expression), offers `--param-env NAME=VAR` for it rather than a
/// secret on the command line, and no secret reaches its report, notes or errors: not the password
/// from the environment, not a URL's credentials in a parameter's defaultValue.
#[test]
fn test_connection_resolves_secret_parameters_and_never_prints_them() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("ls.json"),
        r#"{"name": "pgp", "properties": {"type": "AzurePostgreSql", "version": "2.0",
 "parameters": {"password": {"type": "String"}, "db": {"type": "String", "defaultValue": "postgres://u:qxDefUrl40@h/d"}},
 "typeProperties": {"server": "127.0.0.1", "port": "1", "database": "@{linkedService().db}", "sslMode": 2, "username": "u",
 "authenticationType": "Basic", "password": {"type": "SecureString", "value": "@{linkedService().password}"}}}}"#,
    )
    .unwrap();
    let (code, out, err) = run_in(dir.path(), &["test-connection", "ls.json"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("`password` (used in password); pass --param-env password=VAR"),
        "{err}"
    );
    for format in ["text", "json"] {
        let out = cmd()
            .current_dir(dir.path())
            .env("ADFPG_T_PW", "qxParamEnvPw41")
            .args([
                "test-connection",
                "ls.json",
                "--param-env",
                "password=ADFPG_T_PW",
            ])
            .args(["--timeout", "2", "--output-format", format])
            .output()
            .unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
        // refused (nothing listens on port 1): the test ran with the resolved settings (this and
        // the assertions below are what proves it: the expression itself would also be refused)
        assert_eq!(out.status.code(), Some(11), "{format}: {stdout}{stderr}");
        assert!(
            stdout.contains("password from --param"),
            "{format}: {stdout}"
        );
        for secret in [
            "qxParamEnvPw41",
            "qxDefUrl40",
            "@{linkedService().password}",
        ] {
            assert!(
                !stdout.contains(secret) && !stderr.contains(secret),
                "{format}: {secret} in {stdout}{stderr}"
            );
        }
    }
    // an expression the tool cannot evaluate may hold the password itself: it is not echoed
    let text = fs::read_to_string(dir.path().join("ls.json"))
        .unwrap()
        .replace("@{linkedService().password}", "@{concat('qxExprPw', '42')}");
    fs::write(dir.path().join("expr.json"), text).unwrap();
    let (code, out, err) = run_in(dir.path(), &["test-connection", "expr.json"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("password is the expression (not shown"),
        "{err}"
    );
    assert!(
        !out.contains("qxExprPw") && !err.contains("qxExprPw"),
        "{out}{err}"
    );
}

/// Issue 28: `test-connection` of a legacy service (as it is, and `--as-migrated`) whose password is
/// braced, beside a trust-store password, and of a PostgreSqlV2 one with a SecureString password and
/// `sslPassword`: the report, in text and JSON, and its errors name no secret (nothing listens on port 1:
/// the test runs to its end, refused).
#[test]
fn test_connection_of_the_new_types_never_prints_their_secrets() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("legacy.json"),
        r#"{"name": "tc", "properties": {"type": "PostgreSql", "typeProperties": {"connectionString": "host=127.0.0.1;port=1;database=d;uid=u;Password={qxTcLeg;1}}x};encryptionmethod=0;TrustStorePassword=qxTcTrust"}}}"#,
    )
    .unwrap();
    fs::write(
        dir.path().join("v2.json"),
        r#"{"name": "tv", "properties": {"type": "PostgreSqlV2", "typeProperties": {"server": "127.0.0.1", "port": 1, "database": "d", "username": "u", "password": {"type": "SecureString", "value": "qxTcV2"}, "sslMode": 0, "authenticationType": "Basic", "sslPassword": {"type": "SecureString", "value": "qxTcSsl"}}}}"#,
    )
    .unwrap();
    for (file, extra) in [
        ("legacy.json", &[][..]),
        ("legacy.json", &["--as-migrated"]),
        ("v2.json", &[]),
    ] {
        for format in ["text", "json"] {
            let mut args = vec![
                "test-connection",
                file,
                "--timeout",
                "2",
                "--output-format",
                format,
            ];
            args.extend(extra);
            let (code, out, err) = run_in(dir.path(), &args);
            assert_eq!(code, 11, "{args:?}: {out}{err}");
            assert!(out.contains("127.0.0.1"), "{args:?}: {out}");
            for secret in ["qxTcLeg", "qxTcTrust", "qxTcV2", "qxTcSsl"] {
                assert!(
                    !out.contains(secret) && !err.contains(secret),
                    "{args:?}: {secret} in {out}{err}"
                );
            }
        }
    }
}

/// `--credentials-to-key-vault` (issue 15): the moves, their summary, the plan and `--export-secrets`
/// print no secret, in any format; the values leave the files only for the export file.
#[test]
fn no_secret_when_credentials_move_to_key_vault() {
    let template = tempfile::tempdir().unwrap();
    plant(template.path());
    fs::write(
        template.path().join("linkedService/Vault.json"),
        r#"{"name": "Vault", "properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://kv.vault.azure.net/"}}}"#,
    )
    .unwrap();
    let kv = ["--credentials-to-key-vault", "Vault"];
    let modes: &[&[&str]] = &[
        &[],
        &["--diff", "--unsafe-fixes"],
        &["--fix", "--show-changes"],
        &[
            "--fix",
            "--unsafe-fixes",
            "--show-changes",
            "--export-secrets",
        ],
    ];
    let mut moved_any = false;
    for mode in modes {
        for format in FORMATS {
            let dir = copy_tree(template.path());
            let outside = tempfile::tempdir().unwrap();
            let export = outside.path().join("secrets.json");
            let mut args: Vec<String> = kv.iter().map(|s| s.to_string()).collect();
            for a in *mode {
                args.push(a.to_string());
                if *a == "--export-secrets" {
                    args.push(export.display().to_string());
                }
            }
            args.extend(["--output-format".into(), format.to_string(), ".".into()]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let (code, out, err) = run_in(dir.path(), &args);
            assert!((0..=2).contains(&code), "{args:?}: exit {code}: {err}");
            assert!(!out.is_empty(), "{args:?}: the run said nothing");
            let found = leaks(&out);
            assert!(found.is_empty(), "{args:?}: stdout leaks {found:?}:\n{out}");
            let found = leaks(&err);
            assert!(found.is_empty(), "{args:?}: stderr leaks {found:?}:\n{err}");
            if mode.contains(&"--export-secrets") {
                let files: String = snapshot_tree(dir.path())
                    .values()
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect();
                let exported = fs::read_to_string(&export).unwrap();
                // what moved out of the files is in the export file (encryptedCredential cannot be)
                for t in TOKENS.iter().filter(|t| !files.contains(*t)) {
                    moved_any = true;
                    assert!(
                        // stray text the unsafe migration drops (issue 12) is not a secret it moves
                        exported.contains(t)
                            || *t == "qxEncCred8"
                            || *t == "qxLegEnc77"
                            || DROPPED_BY_UNSAFE_FIXES.contains(t),
                        "{args:?}: {t} left the files but is not exported"
                    );
                }
            }
        }
    }
    assert!(moved_any, "no secret moved: the test proves nothing");
    for format in ["text", "json", "markdown"] {
        let dir = copy_tree(template.path());
        let (code, out, err) = run_in(
            dir.path(),
            &["plan", ".", "--output-format", format, kv[0], kv[1]],
        );
        assert_eq!(code, 0, "{err}");
        // the legacy connector's moves too (issue 28)
        for secret in [
            "v1-plain-password",
            "pg-plain-password",
            "pg-brace-password",
        ] {
            assert!(
                out.contains(secret),
                "plan {format} does not list {secret}:\n{out}"
            );
        }
        let found = leaks(&out);
        assert!(found.is_empty(), "plan {format} leaks {found:?}:\n{out}");
    }
}
