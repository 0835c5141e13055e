//! PostgreSQL (`PostgreSql`, the legacy connector: end of support 2024-10-31, removed 2025-09-30) →
//! `PostgreSqlV2`, a type of its own. Sources: Microsoft Learn, "Copy data from PostgreSQL" (the V2
//! connector page, connector-postgresql) and "PostgreSQL (legacy)" (connector-postgresql-legacy); the
//! release-stages table (connector-release-stages-and-timelines); the Data Factory REST model
//! (`PostgreSqlV2LinkedServiceTypeProperties`, `PostgreSqlV2TableDataset`, `PostgreSqlV2Source` in
//! azure-mgmt-datafactory); the .NET model for the JSON types; Progress DataDirect's PostgreSQL Wire
//! Protocol driver docs for the legacy options; Npgsql's connection-string docs for the V2 ones.

use super::{Connector, Marker, PortForm, PropertyType::*, SslMapping, TypeChange};

const V2_ORDER: &[&str] = &[
    "server",
    "port",
    "database",
    "username",
    "password",
    "sslMode",
    "authenticationType",
];

pub static CONNECTOR: Connector = Connector {
    id: "PostgreSql",
    title: "PostgreSQL",
    ls_types: ["PostgreSql", "PostgreSqlV2"],
    marker: Marker::Type,
    labels: ["legacy", "V2"],
    dataset_types: ["PostgreSqlTable", "PostgreSqlV2Table"],
    source_types: ["PostgreSqlSource", "PostgreSqlV2Source"],
    // "Copy activity (source/-)": no sink in either generation
    sink_types: &[],
    // TabularSource and `query` only, in both generations
    source_partitions: false,
    old_properties: &["connectionString", "password", "encryptedCredential"],
    properties: &[
        ("server", Text),
        ("port", Own),
        ("database", Text),
        ("username", Text),
        ("password", Secret),
        ("sslMode", Own),
        ("authenticationType", Own),
        ("schema", Text),
        ("pooling", Boolean),
        ("connectionTimeout", Integer),
        ("commandTimeout", Integer),
        ("trustServerCertificate", Boolean),
        ("sslCertificate", Text),
        ("sslKey", Text),
        ("sslPassword", Secret),
        ("readBufferSize", Integer),
        ("logParameters", Boolean),
        ("timezone", Text),
        ("encoding", Text),
        ("encryptedCredential", Text),
    ],
    // the connector page and every SDK require these; sslMode only the SDKs (the page: default 2)
    required: &["server", "database", "username", "authenticationType"],
    // "Only supports Basic"
    enums: &[("authenticationType", &["Basic"])],
    secrets: &["password", "sslPassword"],
    // what ADF Studio writes for V2 (integer port, sslMode and authenticationType always present), in
    // git files and published templates alike
    member_order: V2_ORDER,
    arm_member_order: V2_ORDER,
    port: PortForm::Integer,
    options: &[
        ("Timeout", "connectionTimeout"),
        ("Command Timeout", "commandTimeout"),
        ("Trust Server Certificate", "trustServerCertificate"),
        ("Read Buffer Size", "readBufferSize"),
        ("Timezone", "timezone"),
        ("Encoding", "encoding"),
        ("Search Path", "schema"),
        ("Pooling", "pooling"),
        ("SSL Certificate", "sslCertificate"),
        ("SSL Key", "sslKey"),
        ("SSL Password", "sslPassword"),
        ("Log Parameters", "logParameters"),
    ],
    braced_values: true,
    // the legacy driver's own meaning, nothing stronger or weaker: no TLS change unasked
    ssl: SslMapping {
        no_encryption: 0,
        request: 2,
        request_validated: None,
        encrypted: 3,
        validated: 4,
        trust_when_encrypted: true,
    },
    strips_user_at_server: false,
    retest: &[
        "Check the server's version (`SELECT version()`): the V2 connector supports PostgreSQL 12 or newer only (the legacy one 7.4 and newer)",
        "Run Test connection from the integration runtime with the new sslMode: V2 is Npgsql-based and negotiates TLS according to sslMode 0–5 where the legacy driver used EncryptionMethod/ValidateServerCertificate",
    ],
    // the V2 page's "Differences between PostgreSQL V2 and V1" and its full mapping table
    type_changes: &[
        TypeChange {
            names: &["money"],
            min_precision: None,
            change: "money is read as Decimal (legacy: String)",
        },
        TypeChange {
            names: &["timestamptz", "timestamp with time zone"],
            min_precision: None,
            change: "timestamp with time zone is read as DateTime (legacy: String)",
        },
        TypeChange {
            names: &["timetz", "time with time zone"],
            min_precision: None,
            change: "time with time zone is read as DateTimeOffset (legacy: String)",
        },
        TypeChange {
            names: &["interval"],
            min_precision: None,
            change: "interval is read as TimeSpan (legacy: String)",
        },
        TypeChange {
            names: &["numeric", "decimal"],
            min_precision: Some(28),
            change: "numeric with a precision over 28 is not supported (legacy: String): convert it with to_char() in the query",
        },
    ],
    arm_parameterised: &["server", "database", "username"],
};
