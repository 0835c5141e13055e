//! Azure Database for PostgreSQL (`AzurePostgreSql`): version 1.0 → 2.0 under the same type name, told
//! apart by `properties.version`. Sources: Microsoft Learn, "Copy and transform data in Azure Database for
//! PostgreSQL" (the connector page); the Data Factory REST model (`AzurePostgreSqlLinkedServiceTypeProperties`
//! in azure-mgmt-datafactory); what ADF Studio's own upgrade wrote to a real linked service.

use super::{Connector, Marker, PortForm, PropertyType::*, SslMapping};

pub static CONNECTOR: Connector = Connector {
    id: "AzurePostgreSql",
    title: "Azure Database for PostgreSQL",
    ls_types: ["AzurePostgreSql", "AzurePostgreSql"],
    marker: Marker::Version,
    labels: ["1.0", "2.0"],
    dataset_types: ["AzurePostgreSqlTable", "AzurePostgreSqlTable"],
    source_types: ["AzurePostgreSqlSource", "AzurePostgreSqlSource"],
    // the REST model's spelling first; older Studio output and the page's older examples wrote the other
    sink_types: &["AzurePostgreSqlSink", "AzurePostgreSQLSink"],
    source_partitions: true,
    old_properties: &["connectionString", "password", "encryptedCredential"],
    // the REST model's properties, and the connector page's `connectionTimeout`, `schema`, `pooling`
    properties: &[
        ("server", Text),
        ("port", Own),
        ("database", Text),
        ("sslMode", Own),
        ("authenticationType", Own),
        ("username", Text),
        ("password", Secret),
        ("tenant", Text),
        ("servicePrincipalId", Text),
        ("servicePrincipalCredentialType", Own),
        ("servicePrincipalKey", Secret),
        ("servicePrincipalEmbeddedCert", Secret),
        ("servicePrincipalEmbeddedCertPassword", Secret),
        ("azureCloudType", Own),
        ("credential", CredentialReference),
        ("timeout", Integer),
        ("connectionTimeout", Integer),
        ("commandTimeout", Integer),
        ("trustServerCertificate", Boolean),
        ("readBufferSize", Integer),
        ("timezone", Text),
        ("encoding", Text),
        ("schema", Text),
        ("pooling", Boolean),
        ("encryptedCredential", Text),
    ],
    // sslMode is optional (default 2, Prefer) and an absent authenticationType means Basic (username
    // required then): the connector page and the REST model say so, and Studio writes 2.0 files without it
    required: &["server", "database"],
    enums: &[
        (
            "authenticationType",
            &[
                "Basic",
                "BasicAuth",
                "ServicePrincipal",
                "SystemAssignedManagedIdentity",
                "UserAssignedManagedIdentity",
            ],
        ),
        (
            "servicePrincipalCredentialType",
            &["ServicePrincipalKey", "ServicePrincipalCert"],
        ),
        (
            "azureCloudType",
            &[
                "AzurePublic",
                "AzureChina",
                "AzureUsGovernment",
                "AzureGermany",
            ],
        ),
    ],
    secrets: &[
        "password",
        "servicePrincipalKey",
        "servicePrincipalEmbeddedCert",
        "servicePrincipalEmbeddedCertPassword",
    ],
    // Studio's upgrade: version after type, then these, then the credential
    member_order: &[
        "server",
        "port",
        "database",
        "sslMode",
        "username",
        "authenticationType",
        "password",
    ],
    // ADF's publish of a 2.0 linked service (real adf_publish exports)
    arm_member_order: &[
        "server",
        "port",
        "database",
        "sslMode",
        "username",
        "password",
        "authenticationType",
    ],
    port: PortForm::String,
    options: &[
        ("Timeout", "timeout"),
        ("Command Timeout", "commandTimeout"),
        ("Trust Server Certificate", "trustServerCertificate"),
        ("Read Buffer Size", "readBufferSize"),
        ("Timezone", "timezone"),
        ("Encoding", "encoding"),
        ("Search Path", "schema"),
        ("Pooling", "pooling"),
    ],
    braced_values: false,
    // Studio's own upgrade wrote 2 (Prefer) for encryptionmethod=0
    ssl: SslMapping {
        no_encryption: 2,
        request: 2,
        request_validated: Some(2),
        encrypted: 3,
        validated: 4,
        trust_when_encrypted: false,
    },
    strips_user_at_server: true,
    retest: &[
        "Run Test connection from the integration runtime with the new sslMode: 2.0 negotiates TLS (up to 1.3) according to sslMode 0–5 where 1.0 used EncryptionMethod/ValidateServerCertificate",
    ],
    // the connector page documents no data-type mapping change between 1.0 and 2.0
    type_changes: &[],
    arm_parameterised: &["server", "database", "username"],
};
