//! A deterministic generator of realistic ADF git factories, shared by `examples/gen_corpus` (writes a tree)
//! and `benches/` (builds single files in memory). No RNG crate: a splitmix64 stream per file, seeded from
//! the run's seed and the file's index, so every file is the same whatever the thread count.

#![allow(dead_code)] // the bench and the example each use a part

use serde_json::{Value, json};

/// splitmix64: small, fast, good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: u64) -> Rng {
        let mut r = Rng(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next();
        r
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
    /// True with probability `pct`/100.
    pub fn pct(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// How a file is laid out on disk: the forms ADF Studio, editors and scripts write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// `None` = tabs, `Some(n)` = n spaces.
    pub spaces: Option<usize>,
    pub crlf: bool,
    pub bom: bool,
    pub final_newline: bool,
}

impl Style {
    /// What ADF Studio writes: tabs, LF, no BOM, no final newline.
    pub const STUDIO: Style = Style {
        spaces: None,
        crlf: false,
        bom: false,
        final_newline: false,
    };

    pub fn random(r: &mut Rng) -> Style {
        // most files come from Studio; the rest from editors and scripts
        if r.pct(70) {
            return Style::STUDIO;
        }
        Style {
            spaces: Some(*r.pick(&[2, 4, 4])),
            crlf: r.pct(50),
            bom: r.pct(20),
            final_newline: r.pct(60),
        }
    }

    /// Re-lay a tab-indented LF text (no final newline) in this style.
    pub fn apply(&self, tabbed: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(tabbed.len() + tabbed.len() / 8);
        if self.bom {
            out.extend_from_slice(b"\xEF\xBB\xBF");
        }
        let eol: &[u8] = if self.crlf { b"\r\n" } else { b"\n" };
        for (i, line) in tabbed.split('\n').enumerate() {
            if i > 0 {
                out.extend_from_slice(eol);
            }
            let body = line.trim_start_matches('\t');
            let tabs = line.len() - body.len();
            match self.spaces {
                None => out.extend(std::iter::repeat_n(b'\t', tabs)),
                Some(n) => out.extend(std::iter::repeat_n(b' ', tabs * n)),
            }
            out.extend_from_slice(body.as_bytes());
        }
        if self.final_newline {
            out.extend_from_slice(eol);
        }
        out
    }
}

/// Tab-indented pretty JSON, Studio's member separator `": "`.
pub fn tabbed(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::with_capacity(4096);
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"\t");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser).expect("serialises");
    String::from_utf8(buf).expect("utf-8")
}

const WORDS: &[&str] = &[
    "sales",
    "orders",
    "customer",
    "ledger",
    "finance",
    "hr",
    "payroll",
    "inventory",
    "stock",
    "shipment",
    "invoice",
    "member",
    "account",
    "share",
    "loan",
    "risk",
    "audit",
    "events",
    "clicks",
    "session",
    "product",
    "catalog",
    "region",
    "store",
    "budget",
    "forecast",
    "staging",
    "raw",
    "curated",
    "archive",
];

fn word(r: &mut Rng) -> &'static str {
    WORDS[(r.next() % WORDS.len() as u64) as usize]
}

fn name(r: &mut Rng, prefix: &str, i: usize) -> String {
    format!("{prefix}_{}_{}_{i}", word(r), word(r))
}

/// Base64-looking opaque text of `len` characters (Studio's `encryptedCredential`).
fn opaque(r: &mut Rng, len: usize) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..len)
        .map(|_| B64[(r.next() % 64) as usize] as char)
        .collect()
}

// ---------------------------------------------------------------- linked services

/// The AzurePostgreSql linked-service forms, version 1.0.
pub const V1_FORMS: usize = 8;
/// The AzurePostgreSql linked-service forms, version 2.0.
pub const V2_FORMS: usize = 5;

/// An AzurePostgreSql linked service, version 1.0, in form `form % V1_FORMS`, laid out as that form is
/// usually found (Studio's tabs, a script's CRLF + BOM …).
pub fn pg_v1(r: &mut Rng, name: &str, form: usize) -> Vec<u8> {
    let host = format!("pg-{}-{}", word(r), r.range(1, 99));
    let fqdn = format!("{host}.postgres.database.azure.com");
    let db = word(r);
    let user = format!("{}_{}", word(r), r.range(1, 9));
    let kv = json!({"type": "AzureKeyVaultSecret", "store": {"referenceName": "KeyVault", "type": "LinkedServiceReference"}, "secretName": format!("pg-{db}")});
    let studio_type = "Microsoft.DataFactory/factories/linkedservices";
    let (v, style) = match form % V1_FORMS {
        // Studio: lower-case string, password only in encryptedCredential
        0 => (
            json!({"name": name, "type": studio_type, "properties": {"annotations": [], "type": "AzurePostgreSql", "typeProperties": {
                "connectionString": format!("host={fqdn};port=5432;database={db};uid={user};encryptionmethod={}", r.pick(&[0, 1])),
                "encryptedCredential": opaque(r, 320)}}}),
            Style::STUDIO,
        ),
        // password in Key Vault, 4 spaces, final newline
        1 => (
            json!({"name": name, "properties": {"type": "AzurePostgreSql", "typeProperties": {
                "connectionString": format!("host={fqdn};database={db};port=5432;uid={user};"),
                "password": kv}}}),
            Style {
                spaces: Some(4),
                crlf: false,
                bom: false,
                final_newline: true,
            },
        ),
        // SecureString connection string with a quoted password, 2 spaces
        2 => (
            json!({"name": name, "properties": {"type": "AzurePostgreSql", "typeProperties": {
                "connectionString": {"type": "SecureString", "value": format!("server={fqdn};db={db};user id={user};pwd='S3cure;Str''ing{}';EncryptionMethod=1", r.range(1, 999))}}}}),
            Style {
                spaces: Some(2),
                crlf: false,
                bom: false,
                final_newline: true,
            },
        ),
        // Npgsql keys, CRLF + BOM
        3 => (
            json!({"name": name, "properties": {"type": "AzurePostgreSql", "annotations": ["finance"], "typeProperties": {
                "connectionString": format!("Server={fqdn};Port=5432;Database={db};User Id={user}@{host};SSL Mode=Require;Trust Server Certificate=false;Command Timeout=120"),
                "password": kv}}}),
            Style {
                spaces: Some(4),
                crlf: true,
                bom: true,
                final_newline: true,
            },
        ),
        // the whole connection string in Key Vault (cannot be migrated automatically)
        4 => (
            json!({"name": name, "type": studio_type, "properties": {"annotations": [], "type": "AzurePostgreSql", "typeProperties": {
                "connectionString": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "KeyVault", "type": "LinkedServiceReference"}, "secretName": format!("{name}-cs")}}}}),
            Style::STUDIO,
        ),
        // parameterised with expressions
        5 => (
            json!({"name": name, "type": studio_type, "properties": {
                "parameters": {"DbName": {"type": "String", "defaultValue": db}},
                "annotations": ["team-data"], "type": "AzurePostgreSql", "typeProperties": {
                "connectionString": format!("host={fqdn};port=6432;database=@{{linkedService().DbName}};uid={user};encryptionmethod=1;validateservercertificate=0"),
                "password": kv}}}),
            Style::STUDIO,
        ),
        // plain password in the string, explicit version 1.0, connectVia
        6 => (
            json!({"name": name, "properties": {"type": "AzurePostgreSql", "version": "1.0", "description": "legacy connector", "typeProperties": {
                "connectionString": format!("Host={fqdn};Database={db};Port=5432;UID={user};Password=Pa55-{};EncryptionMethod=1;ValidateServerCertificate=1", r.range(100, 999))},
                "connectVia": {"referenceName": "SelfHostedIR", "type": "IntegrationRuntimeReference"}}}),
            Style {
                spaces: Some(4),
                crlf: true,
                bom: false,
                final_newline: false,
            },
        ),
        // RequestSSL, Studio
        _ => (
            json!({"name": name, "type": studio_type, "properties": {"annotations": [], "type": "AzurePostgreSql", "version": "1.0", "typeProperties": {
                "connectionString": format!("host={fqdn};port=5432;database={db};uid={user};encryptionmethod=6"),
                "encryptedCredential": opaque(r, 320)}}}),
            Style::STUDIO,
        ),
    };
    style.apply(&tabbed(&v))
}

/// An AzurePostgreSql linked service, version 2.0, in form `form % V2_FORMS`.
pub fn pg_v2(r: &mut Rng, name: &str, form: usize) -> Vec<u8> {
    let fqdn = format!(
        "pg-{}-{}.postgres.database.azure.com",
        word(r),
        r.range(1, 99)
    );
    let db = word(r);
    let user = format!("{}_{}", word(r), r.range(1, 9));
    let kv = json!({"type": "AzureKeyVaultSecret", "store": {"referenceName": "KeyVault", "type": "LinkedServiceReference"}, "secretName": format!("pg-{db}")});
    let studio_type = "Microsoft.DataFactory/factories/linkedservices";
    let (v, style) = match form % V2_FORMS {
        0 => (
            json!({"name": name, "type": studio_type, "properties": {"annotations": [], "type": "AzurePostgreSql", "version": "2.0", "typeProperties": {
                "server": fqdn, "port": "5432", "database": db, "sslMode": 5, "username": user, "authenticationType": "Basic", "password": kv}}}),
            Style::STUDIO,
        ),
        1 => (
            json!({"name": name, "properties": {"type": "AzurePostgreSql", "annotations": [], "version": "2.0", "typeProperties": {
                "server": fqdn, "port": "5432", "database": "postgres", "sslMode": 3, "authenticationType": "SystemAssignedManagedIdentity"}}}),
            Style::STUDIO,
        ),
        2 => (
            json!({"name": name, "properties": {"type": "AzurePostgreSql", "version": "2.0", "typeProperties": {
                "server": fqdn, "port": 5432, "database": db, "sslMode": 2, "username": user, "authenticationType": "Basic",
                "password": {"type": "SecureString", "value": format!("Plain-{}", r.range(100, 999))}}}}),
            Style {
                spaces: Some(2),
                crlf: true,
                bom: false,
                final_newline: true,
            },
        ),
        3 => (
            json!({"name": name, "type": studio_type, "properties": {"annotations": [], "type": "AzurePostgreSql", "version": "2.0", "typeProperties": {
                "server": fqdn, "port": "5432", "database": db, "sslMode": 4, "username": "etl-app", "authenticationType": "ServicePrincipal",
                "tenant": "00000000-0000-0000-0000-000000000000", "servicePrincipalId": "11111111-1111-1111-1111-111111111111",
                "servicePrincipalCredentialType": "ServicePrincipalKey", "servicePrincipalKey": kv, "azureCloudType": "AzurePublic"}}}),
            Style::STUDIO,
        ),
        _ => (
            json!({"name": name, "properties": {"parameters": {"Server": {"type": "String"}}, "type": "AzurePostgreSql", "version": "2.0", "typeProperties": {
                "server": "@{linkedService().Server}", "port": "5432", "database": db, "sslMode": 5, "username": user, "authenticationType": "Basic", "password": kv}}}),
            Style {
                spaces: Some(4),
                crlf: false,
                bom: true,
                final_newline: true,
            },
        ),
    };
    style.apply(&tabbed(&v))
}

/// A linked service of another type (most of a factory's linked services).
pub fn other_ls(r: &mut Rng, name: &str) -> Vec<u8> {
    let tp = match r.range(0, 7) {
        0 => {
            json!({"type": "AzureKeyVault", "typeProperties": {"baseUrl": format!("https://kv-{}.vault.azure.net/", word(r))}})
        }
        1 => {
            json!({"type": "AzureBlobFS", "typeProperties": {"url": format!("https://dl{}.dfs.core.windows.net/", word(r))}})
        }
        2 => {
            json!({"type": "AzureSqlDatabase", "typeProperties": {"connectionString": format!("Integrated Security=False;Encrypt=True;Connection Timeout=30;Data Source=sql-{}.database.windows.net;Initial Catalog={}", word(r), word(r))}})
        }
        // no other PostgreSQL connector here: the tool migrates PostgreSql and PostgreSqlV2 too, and these
        // profiles measure factories without them
        3 => {
            json!({"type": "AzureMySql", "typeProperties": {"connectionString": format!("server=mysql-{};port=3306;database={};uid=u", word(r), word(r))}})
        }
        4 => {
            json!({"type": "SqlServer", "typeProperties": {"connectionString": "Data Source=onprem-sql;Initial Catalog=db;Integrated Security=False;User ID=u"}})
        }
        5 => {
            json!({"type": "AzureBlobStorage", "typeProperties": {"serviceEndpoint": format!("https://st{}.blob.core.windows.net/", word(r)), "accountKind": "StorageV2"}})
        }
        6 => {
            json!({"type": "RestService", "typeProperties": {"url": format!("https://api.example.com/{}", word(r)), "enableServerCertificateValidation": true, "authenticationType": "Anonymous"}})
        }
        _ => {
            json!({"type": "AzureDatabricks", "typeProperties": {"domain": "https://adb-1.azuredatabricks.net", "newClusterNodeType": "Standard_DS3_v2", "newClusterNumOfWorker": "2"}})
        }
    };
    let mut props = serde_json::Map::new();
    props.insert("annotations".into(), json!([]));
    for (k, v) in tp.as_object().expect("object") {
        props.insert(k.clone(), v.clone());
    }
    let v = json!({"name": name, "type": "Microsoft.DataFactory/factories/linkedservices", "properties": props});
    Style::random(r).apply(&tabbed(&v))
}

// ---------------------------------------------------------------- datasets, triggers, data flows

pub fn dataset(r: &mut Rng, name: &str, pg_ls: Option<&str>) -> Vec<u8> {
    let v = match pg_ls {
        Some(ls) => {
            let tp = if r.pct(50) {
                json!({"schema": "public", "table": word(r)})
            } else {
                json!({"tableName": format!("\"{}\".\"{}\"", word(r), word(r))})
            };
            json!({"name": name, "properties": {"linkedServiceName": {"referenceName": ls, "type": "LinkedServiceReference"},
                "annotations": [], "type": "AzurePostgreSqlTable", "schema": columns(r, 12), "typeProperties": tp},
                "type": "Microsoft.DataFactory/factories/datasets"})
        }
        None => {
            json!({"name": name, "properties": {"linkedServiceName": {"referenceName": "DataLake", "type": "LinkedServiceReference"},
                "annotations": [], "type": "DelimitedText", "typeProperties": {"location": {"type": "AzureBlobFSLocation",
                "fileName": format!("{}.csv", word(r)), "folderPath": format!("{}/{}", word(r), word(r)), "fileSystem": "landing"},
                "columnDelimiter": ",", "escapeChar": "\\", "firstRowAsHeader": true, "quoteChar": "\""},
                "schema": columns(r, 20)}, "type": "Microsoft.DataFactory/factories/datasets"})
        }
    };
    Style::random(r).apply(&tabbed(&v))
}

fn columns(r: &mut Rng, max: u64) -> Value {
    let n = r.range(2, max);
    Value::Array(
        (0..n)
            .map(|i| json!({"name": format!("{}_{i}", word(r)), "type": *r.pick(&["String", "Int32", "DateTime", "Decimal"])}))
            .collect(),
    )
}

pub fn trigger(r: &mut Rng, name: &str, pipelines: &[String]) -> Vec<u8> {
    let refs: Vec<Value> = (0..r.range(1, 3))
        .map(|_| json!({"pipelineReference": {"referenceName": r.pick(pipelines), "type": "PipelineReference"}, "parameters": {}}))
        .collect();
    let v = json!({"name": name, "properties": {"annotations": [], "runtimeState": "Started", "pipelines": refs,
        "type": "ScheduleTrigger", "typeProperties": {"recurrence": {"frequency": "Day", "interval": 1,
        "startTime": "2024-01-01T02:00:00Z", "timeZone": "UTC", "schedule": {"minutes": [r.range(0, 59)], "hours": [r.range(0, 23)]}}}}});
    Style::random(r).apply(&tabbed(&v))
}

pub fn dataflow(r: &mut Rng, name: &str) -> Vec<u8> {
    let cols = r.range(10, 80);
    let mut lines = vec![Value::String("source(output(".into())];
    for i in 0..cols {
        lines.push(Value::String(format!(
            "          {}_{i} as string,",
            word(r).to_uppercase()
        )));
    }
    lines.push(Value::String("     ),".into()));
    lines.push(Value::String("     allowSchemaDrift: true,".into()));
    lines.push(Value::String(
        "     validateSchema: false) ~> SOURCE".into(),
    ));
    lines.push(Value::String(
        "SOURCE derive(LOAD_TS = currentTimestamp()) ~> DERIVED".into(),
    ));
    lines.push(Value::String("DERIVED sink(allowSchemaDrift: true,".into()));
    lines.push(Value::String("     validateSchema: false,".into()));
    lines.push(Value::String("     deletable:false,".into()));
    lines.push(Value::String("     insertable:true) ~> SINK".into()));
    let v = json!({"name": name, "properties": {"folder": {"name": "DATAFLOWS"}, "type": "MappingDataFlow", "typeProperties": {
        "sources": [{"dataset": {"referenceName": format!("ds_{}", word(r)), "type": "DatasetReference"}, "name": "SOURCE"}],
        "sinks": [{"dataset": {"referenceName": format!("ds_{}", word(r)), "type": "DatasetReference"}, "name": "SINK"}],
        "transformations": [{"name": "DERIVED"}], "scriptLines": lines}}});
    Style::random(r).apply(&tabbed(&v))
}

// ---------------------------------------------------------------- pipelines

/// Where a pipeline's copy activities read and write PostgreSQL.
pub struct PgRefs<'a> {
    pub datasets: &'a [String],
    pub linked_services: &'a [String],
    /// A pipeline built around PostgreSQL (the dense profile): most activities copy from or to it,
    /// look rows up in it or run scripts on it.
    pub dense: bool,
}

/// A pipeline with `activities` activities (about 1 KB each, pretty-printed). With `pg`, some of them copy
/// from or to AzurePostgreSql (`AzurePostgreSqlSource` / `AzurePostgreSqlSink`) or run a Script on it;
/// with `pg.dense`, most of them do, and lookups read AzurePostgreSql too.
pub fn pipeline(r: &mut Rng, name: &str, activities: usize, pg: Option<&PgRefs>) -> Vec<u8> {
    let mut acts = Vec::with_capacity(activities);
    for i in 0..activities {
        let prev = if i > 0 {
            vec![
                json!({"activity": format!("step_{}", i - 1), "dependencyConditions": ["Succeeded"]}),
            ]
        } else {
            vec![]
        };
        let policy = json!({"timeout": "0.12:00:00", "retry": r.range(0, 3), "retryIntervalInSeconds": 30, "secureOutput": false, "secureInput": false});
        let kind = match pg {
            // copies (0..=2) and scripts (3) twice as often, lookups (9) on PostgreSQL
            Some(pg) if pg.dense => *r.pick(&[0, 0, 1, 1, 2, 2, 3, 3, 4, 6, 7, 9, 9]),
            _ => r.range(0, 9),
        };
        let a = match (kind, pg) {
            (0..=2, Some(pg)) if !pg.datasets.is_empty() => {
                let table = word(r);
                let source = if r.pct(50) {
                    json!({"type": "AzurePostgreSqlSource", "query": format!("SELECT *\nFROM \"{table}\"\nWHERE updated_at > '@{{pipeline().parameters.since}}'"),
                        "queryTimeout": "02:00:00", "partitionOption": "None"})
                } else {
                    json!({"type": "DelimitedTextSource", "storeSettings": {"type": "AzureBlobFSReadSettings", "recursive": true}})
                };
                let sink = if source["type"] == "AzurePostgreSqlSource" {
                    json!({"type": "ParquetSink", "storeSettings": {"type": "AzureBlobFSWriteSettings"}})
                } else {
                    json!({"type": sink_type(r, pg.dense), "writeBatchSize": 1000000, "writeMethod": *r.pick(&["CopyCommand", "BulkInsert"]),
                        "preCopyScript": format!("TRUNCATE TABLE \"{table}\";")})
                };
                json!({"name": format!("step_{i}"), "type": "Copy", "dependsOn": prev, "policy": policy, "userProperties": [],
                    "typeProperties": {"source": source, "sink": sink, "enableStaging": false,
                        "translator": {"type": "TabularTranslator", "typeConversion": true, "typeConversionSettings": {"allowDataTruncation": true, "treatBooleanAsNumber": false}}},
                    "inputs": [{"referenceName": r.pick(pg.datasets), "type": "DatasetReference"}],
                    "outputs": [{"referenceName": format!("ds_{}", word(r)), "type": "DatasetReference"}]})
            }
            (3, Some(pg)) if !pg.linked_services.is_empty() => {
                json!({"name": format!("step_{i}"), "type": "Script", "dependsOn": prev, "policy": policy, "userProperties": [],
                "linkedServiceName": {"referenceName": r.pick(pg.linked_services), "type": "LinkedServiceReference"},
                "typeProperties": {"scripts": [{"type": "Query", "text": {"value": format!("@concat('insert into audit.job_run (pl_name, run_id) values (''', pipeline().Pipeline, ''', ''', pipeline().RunId, ''')')"), "type": "Expression"}}],
                    "scriptBlockExecutionTimeout": "02:00:00"}})
            }
            (0..=3, _) => {
                json!({"name": format!("step_{i}"), "type": "Copy", "dependsOn": prev, "policy": policy, "userProperties": [],
                "typeProperties": {"source": {"type": "AzureSqlSource", "sqlReaderQuery": format!("SELECT * FROM dbo.{} WHERE id > @{{activity('lookup').output.firstRow.id}}", word(r)), "queryTimeout": "02:00:00", "partitionOption": "None"},
                    "sink": {"type": "ParquetSink", "storeSettings": {"type": "AzureBlobFSWriteSettings"}, "formatSettings": {"type": "ParquetWriteSettings"}},
                    "enableStaging": false, "translator": {"type": "TabularTranslator", "typeConversion": true}},
                "inputs": [{"referenceName": format!("ds_{}", word(r)), "type": "DatasetReference"}],
                "outputs": [{"referenceName": format!("ds_{}", word(r)), "type": "DatasetReference"}]})
            }
            (4 | 5, _) => {
                json!({"name": format!("step_{i}"), "type": "SetVariable", "dependsOn": prev, "policy": {"secureOutput": false, "secureInput": false}, "userProperties": [],
                "typeProperties": {"variableName": word(r), "value": {"value": "@formatDateTime(utcNow(), 'yyyy-MM-dd HH:mm:ss')", "type": "Expression"}}})
            }
            (6, _) => {
                json!({"name": format!("step_{i}"), "type": "ExecuteDataFlow", "dependsOn": prev, "policy": policy, "userProperties": [],
                "typeProperties": {"dataflow": {"referenceName": format!("df_{}", word(r)), "type": "DataFlowReference"}, "compute": {"coreCount": 8, "computeType": "General"}, "traceLevel": "Fine"}})
            }
            (7, _) => {
                json!({"name": format!("step_{i}"), "type": "WebActivity", "dependsOn": prev, "policy": policy, "userProperties": [],
                "typeProperties": {"method": "POST", "url": format!("https://logic.example.com/workflows/{}/run", opaque(r, 24)),
                    "body": {"value": "{\n  \"pipeline\": \"@{pipeline().Pipeline}\",\n  \"status\": \"ok — done ✓\"\n}", "type": "Expression"}}})
            }
            (9, Some(pg)) if pg.dense && !pg.datasets.is_empty() => {
                json!({"name": format!("step_{i}"), "type": "Lookup", "dependsOn": prev, "policy": policy, "userProperties": [],
                "typeProperties": {"source": {"type": "AzurePostgreSqlSource", "query": format!("SELECT max(updated_at) AS watermark\nFROM \"{}\"", word(r)), "queryTimeout": "00:10:00", "partitionOption": "None"},
                    "dataset": {"referenceName": r.pick(pg.datasets), "type": "DatasetReference"}, "firstRowOnly": true}})
            }
            _ => {
                json!({"name": format!("step_{i}"), "type": "Lookup", "dependsOn": prev, "policy": policy, "userProperties": [],
                "typeProperties": {"source": {"type": "AzureSqlSource", "sqlReaderStoredProcedureName": "[dbo].[get_watermark]", "queryTimeout": "02:00:00"},
                    "dataset": {"referenceName": format!("ds_{}", word(r)), "type": "DatasetReference"}, "firstRowOnly": true}})
            }
        };
        acts.push(a);
    }
    let v = json!({"name": name, "properties": {"activities": acts, "parameters": {"since": {"type": "string", "defaultValue": "2024-01-01"}},
        "variables": {"start_time": {"type": "String"}}, "folder": {"name": word(r)}, "annotations": [], "lastPublishTime": "2025-01-01T00:00:00Z"},
        "type": "Microsoft.DataFactory/factories/pipelines"});
    Style::random(r).apply(&tabbed(&v))
}

/// The documented sink type, or the older spelling (ADFPG040): half the time in the sparse profile; in
/// the dense one, a factory kept up to date by Studio, one sink in twenty.
fn sink_type(r: &mut Rng, dense: bool) -> &'static str {
    const TYPES: [&str; 2] = ["AzurePostgreSqlSink", "AzurePostgreSQLSink"];
    if dense {
        TYPES[usize::from(r.pct(5))]
    } else {
        TYPES[(r.next() % 2) as usize] // as `pick` does: the sparse bytes stay as they were
    }
}

/// How many activities a pipeline gets: most are small, a few are huge (a few hundred KB).
pub fn pipeline_size(r: &mut Rng) -> usize {
    match r.range(0, 99) {
        0..=69 => r.range(3, 16) as usize,
        70..=96 => r.range(16, 50) as usize,
        _ => r.range(100, 300) as usize,
    }
}

// ---------------------------------------------------------------- a whole factory

/// What kind each file of a factory is, in order; file `i` is generated from `Rng::new(seed, i)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    PgV1(usize),
    PgV2(usize),
    OtherLs,
    PgDataset,
    Dataset,
    Pipeline { pg: bool },
    Trigger,
    DataFlow,
}

/// How much of a factory is about PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// A factory that uses the connector here and there: 10% of the pipelines and 15% of the datasets.
    Sparse,
    /// A factory built around PostgreSQL: 90% of the pipelines (most of their activities) and 60% of the
    /// datasets.
    Dense,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub profile: Profile,
    pub files: Vec<(String, Kind)>,
    pub pg_ls: Vec<String>,
    pub pg_datasets: Vec<String>,
    pub pipelines: Vec<String>,
}

/// The factory's files: about 3% linked services (a third of them AzurePostgreSql, unless `v1` asks for
/// a given number of 1.0 ones), 20% datasets (15% of them AzurePostgreSqlTable), 5% triggers, 4% data
/// flows, the rest pipelines (10% of them with PostgreSQL copy activities). The dense profile has more of
/// the connector: see [`Profile`].
pub fn plan(n: usize, seed: u64, v1: Option<usize>, profile: Profile) -> Plan {
    let dense = profile == Profile::Dense;
    let ls_total = (n * 3 / 100).max(12);
    let default_pg = ls_total / 3;
    let n_v1 = v1.unwrap_or(default_pg / 2);
    let n_v2 = default_pg - default_pg / 2;
    let n_other = ls_total.saturating_sub(n_v1 + n_v2).max(4);
    let n_ds = n / 5;
    let pg_ds_pct = if dense { 60 } else { 15 };
    let n_pg_ds = if n_v1 + n_v2 > 0 {
        n_ds * pg_ds_pct / 100
    } else {
        0
    };
    let n_tr = n / 20;
    let n_df = n / 25;
    let fixed = n_v1 + n_v2 + n_other + n_ds + n_tr + n_df;
    let n_pl = n.saturating_sub(fixed).max(1);
    let mut p = Plan {
        seed,
        profile,
        files: Vec::with_capacity(n),
        pg_ls: Vec::new(),
        pg_datasets: Vec::new(),
        pipelines: Vec::new(),
    };
    let mut r = Rng::new(seed, u64::MAX);
    let add = |p: &mut Plan, dir: &str, name: String, k: Kind| {
        p.files.push((format!("{dir}/{name}.json"), k));
    };
    for i in 0..n_v1 {
        let nm = name(&mut r, "PgV1", i);
        p.pg_ls.push(nm.clone());
        add(&mut p, "linkedService", nm, Kind::PgV1(i));
    }
    for i in 0..n_v2 {
        let nm = name(&mut r, "PgV2", i);
        p.pg_ls.push(nm.clone());
        add(&mut p, "linkedService", nm, Kind::PgV2(i));
    }
    for i in 0..n_other {
        let nm = name(&mut r, "LS", i);
        add(&mut p, "linkedService", nm, Kind::OtherLs);
    }
    for i in 0..n_ds {
        if i < n_pg_ds {
            let nm = name(&mut r, "DS_PG", i);
            p.pg_datasets.push(nm.clone());
            add(&mut p, "dataset", nm, Kind::PgDataset);
        } else {
            let nm = name(&mut r, "DS", i);
            add(&mut p, "dataset", nm, Kind::Dataset);
        }
    }
    for i in 0..n_pl {
        let nm = name(&mut r, "PL", i);
        p.pipelines.push(nm.clone());
        add(
            &mut p,
            "pipeline",
            nm,
            Kind::Pipeline {
                pg: if dense { i % 10 != 3 } else { i % 10 == 3 },
            },
        );
    }
    for i in 0..n_tr {
        let nm = name(&mut r, "TR", i);
        add(&mut p, "trigger", nm, Kind::Trigger);
    }
    for i in 0..n_df {
        let nm = name(&mut r, "DF", i);
        add(&mut p, "dataflow", nm, Kind::DataFlow);
    }
    p
}

impl Plan {
    /// The bytes of file `i`.
    pub fn render(&self, i: usize) -> Vec<u8> {
        let (path, kind) = &self.files[i];
        let mut r = Rng::new(self.seed, i as u64);
        let name = path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".json"))
            .unwrap_or("x");
        match *kind {
            Kind::PgV1(form) => pg_v1(&mut r, name, form),
            Kind::PgV2(form) => pg_v2(&mut r, name, form),
            Kind::OtherLs => other_ls(&mut r, name),
            Kind::PgDataset => {
                let ls = r.pick(&self.pg_ls).clone();
                dataset(&mut r, name, Some(&ls))
            }
            Kind::Dataset => dataset(&mut r, name, None),
            Kind::Pipeline { pg } => {
                let refs = PgRefs {
                    datasets: &self.pg_datasets,
                    linked_services: &self.pg_ls,
                    dense: self.profile == Profile::Dense,
                };
                let size = pipeline_size(&mut r);
                pipeline(&mut r, name, size, pg.then_some(&refs))
            }
            Kind::Trigger => trigger(&mut r, name, &self.pipelines),
            Kind::DataFlow => dataflow(&mut r, name),
        }
    }
}
