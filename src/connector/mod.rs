//! The connectors the tool migrates, as data. Everything that differs between two PostgreSQL connectors
//! lives in one file per connector (`azure_postgresql.rs`, `postgresql.rs`): the type names of the linked
//! service, dataset, copy source and sink in each generation, how a definition says it is the new
//! generation, the properties the new generation's `typeProperties` holds (with their JSON types), the
//! order ADF Studio writes them in, how `port` is written, which connection-string keys have a property,
//! and what the old TLS settings become. The connection-string parser, the mapping engine, the ARM
//! migration, the plan and the Key Vault move read these tables and are shared. A third connector is a
//! third file here and an entry in [`ALL`].
//!
//! This module imports nothing of the crate: every stage may use it.

pub mod azure_postgresql;
pub mod postgresql;

/// A connector family: its old generation (what `--fix` migrates from) and its new one.
#[derive(Debug)]
pub struct Connector {
    /// The family's name in rule files (`connectors = [...]`) and reports: its old linked-service type.
    pub id: &'static str,
    /// What the product is called, for messages.
    pub title: &'static str,
    /// `properties.type` of an old and of a new linked service (the same for a versioned connector).
    pub ls_types: [&'static str; 2],
    /// How a definition says it is the new generation.
    pub marker: Marker,
    /// How reports name the two generations (`1.0`/`2.0`, `legacy`/`V2`).
    pub labels: [&'static str; 2],
    /// Dataset, copy source (old, new) type names; copy sink spellings (the REST model's first).
    pub dataset_types: [&'static str; 2],
    pub source_types: [&'static str; 2],
    pub sink_types: &'static [&'static str],
    /// The copy source has `partitionOption` and `partitionSettings`.
    pub source_partitions: bool,
    /// The properties an old definition's `typeProperties` may hold.
    pub old_properties: &'static [&'static str],
    /// The properties a new definition's `typeProperties` may hold, with the JSON type each takes.
    pub properties: &'static [(&'static str, PropertyType)],
    /// The properties a new definition must have (whatever its authentication).
    pub required: &'static [&'static str],
    /// Enumerated properties and their values.
    pub enums: &'static [(&'static str, &'static [&'static str])],
    /// Properties whose value is a secret.
    pub secrets: &'static [&'static str],
    /// The order ADF Studio writes a new definition's members in: what the migration writes, and where
    /// it moves an existing credential member to.
    pub member_order: &'static [&'static str],
    /// The order ADF's publish writes them in a template (the password, a parameter there, may sit
    /// elsewhere than in the git file).
    pub arm_member_order: &'static [&'static str],
    /// How the new generation writes `port`.
    pub port: PortForm,
    /// Connection-string settings with a property of the new generation: (the setting, in any spelling
    /// the connection-string parser reads, the property).
    pub options: &'static [(&'static str, &'static str)],
    /// The old connection string is read by an ODBC driver, which takes `{…}` as a quoted value.
    pub braced_values: bool,
    /// What the old TLS settings become.
    pub ssl: SslMapping,
    /// `user@server` (the Azure Single Server habit) is stripped to `user`.
    pub strips_user_at_server: bool,
    /// What to re-test after migrating, as the connector's docs say: (the notes a plan lists for every
    /// old linked service, and the data types the new generation maps differently, each with the words
    /// that name it in a column type or a query).
    pub retest: &'static [&'static str],
    pub type_changes: &'static [TypeChange],
    /// ARM parameter names ADF's publish creates for the new generation, `{ls}` the linked service:
    /// string parameters for these members (with the current value as default), and the secret one.
    pub arm_parameterised: &'static [&'static str],
}

/// A connector is its id.
impl PartialEq for Connector {
    fn eq(&self, other: &Connector) -> bool {
        self.id == other.id
    }
}

impl Eq for Connector {}

/// A data type the new generation maps differently: the lower-case words that name it in a column's type
/// or a query (`numeric(` also takes a precision over `min_precision`), and what changes.
#[derive(Debug)]
pub struct TypeChange {
    pub names: &'static [&'static str],
    pub min_precision: Option<u32>,
    pub change: &'static str,
}

/// How a definition of the new generation is told from the old one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// `properties.version` is `"2.0"` (absent or `"1.0"`: the old one; anything else: unknown).
    Version,
    /// The new generation has a type name of its own.
    Type,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyType {
    /// Checked by a rule of its own (sslMode, port, the enumerations).
    Own,
    /// A string (or an expression, or a Key Vault reference where ADF resolves one).
    Text,
    Integer,
    Boolean,
    /// SecureString or AzureKeyVaultSecret.
    Secret,
    CredentialReference,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortForm {
    /// `"5432"`: what Studio writes for AzurePostgreSql 2.0.
    String,
    /// `5432`: what Studio writes for PostgreSqlV2.
    Integer,
}

/// The new sslMode (0 Disable … 5 VerifyFull) for each old driver setting (`EncryptionMethod` and
/// `ValidateServerCertificate`, Progress DataDirect's options); `None` where the new generation has no
/// faithful mode, so the migration is held back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SslMapping {
    /// `EncryptionMethod` 0 or absent: no encryption.
    pub no_encryption: u8,
    /// 6 (RequestSSL): TLS when the server offers it, without and with certificate validation.
    pub request: u8,
    pub request_validated: Option<u8>,
    /// 1 (SSL) without certificate validation.
    pub encrypted: u8,
    /// 1 with `ValidateServerCertificate=1`: the certificate chain.
    pub validated: u8,
    /// With 1 and no validation, also write `trustServerCertificate: true`: Npgsql 6 and 7 refuse
    /// Require without it, and with it every Npgsql version validates nothing, as the old driver did.
    pub trust_when_encrypted: bool,
}

/// Which generation a definition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    Old,
    New,
}

/// Bytes every type name of every connector contains (`AzurePostgreSql`, `AzurePostgreSQLSink`,
/// `PostgreSqlV2Source` …): a file without them cannot concern a connector.
pub const NEEDLE: &[u8] = b"PostgreS";

/// The generic dataset and copy-source types ADF also accepts on the legacy PostgreSql connector (its
/// page: "still supported as-is"), which the tool reports rather than retypes.
pub const RELATIONAL_TABLE: &str = "RelationalTable";
pub const RELATIONAL_SOURCE: &str = "RelationalSource";

/// Every connector the tool knows.
pub static ALL: [&Connector; 2] = [&azure_postgresql::CONNECTOR, &postgresql::CONNECTOR];

impl Connector {
    /// The linked-service type of a generation.
    pub fn ls_type(&self, g: Generation) -> &'static str {
        self.ls_types[g as usize]
    }

    pub fn label(&self, g: Generation) -> &'static str {
        self.labels[g as usize]
    }

    /// How a sentence names a generation: its version (`2.0`) or, for a connector whose generations
    /// are types, the type (`PostgreSqlV2`).
    pub fn generation_name(&self, g: Generation) -> &'static str {
        match self.marker {
            Marker::Version => self.label(g),
            Marker::Type => self.ls_type(g),
        }
    }

    /// The JSON type of a new-generation property, when the connector has that property.
    pub fn property(&self, name: &str) -> Option<PropertyType> {
        self.properties
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    pub fn property_names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.properties.iter().map(|(n, _)| *n)
    }

    /// Is this a type of the connector's datasets, copy sources or sinks, and which generation?
    pub fn dataset_generation(&self, t: &str) -> Option<Generation> {
        generation_of(&self.dataset_types, t)
    }

    pub fn source_generation(&self, t: &str) -> Option<Generation> {
        generation_of(&self.source_types, t)
    }
}

fn generation_of(types: &[&str; 2], t: &str) -> Option<Generation> {
    if types[1] == t {
        Some(Generation::New)
    } else if types[0] == t {
        Some(Generation::Old)
    } else {
        None
    }
}

/// The connector a linked-service type belongs to (the generation is the type's own only for
/// [`Marker::Type`] connectors: a versioned one says it in `properties.version`).
pub fn by_ls_type(t: &str) -> Option<&'static Connector> {
    ALL.iter().copied().find(|c| c.ls_types.contains(&t))
}

/// A connector by its id (`AzurePostgreSql`, `PostgreSql`), as rule files name it.
pub fn by_id(id: &str) -> Option<&'static Connector> {
    ALL.iter().copied().find(|c| c.id.eq_ignore_ascii_case(id))
}

/// The connector whose dataset type `t` is.
pub fn by_dataset_type(t: &str) -> Option<(&'static Connector, Generation)> {
    ALL.iter()
        .find_map(|c| Some((*c, c.dataset_generation(t)?)))
}

/// The connector whose copy (or Lookup) source type `t` is.
pub fn by_source_type(t: &str) -> Option<(&'static Connector, Generation)> {
    ALL.iter().find_map(|c| Some((*c, c.source_generation(t)?)))
}

/// The connector whose copy sink type `t` is (in any of its spellings).
pub fn by_sink_type(t: &str) -> Option<&'static Connector> {
    ALL.iter().copied().find(|c| c.sink_types.contains(&t))
}

/// Every type name of every connector: linked services, datasets, sources and sinks.
pub fn type_names() -> impl Iterator<Item = &'static str> {
    ALL.iter().flat_map(|c| {
        c.ls_types
            .iter()
            .chain(&c.dataset_types)
            .chain(&c.source_types)
            .chain(c.sink_types)
            .copied()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each type name belongs to one connector and one generation, and every table names only
    /// properties of its own generation.
    #[test]
    fn tables_are_consistent() {
        for n in type_names() {
            assert!(
                n.as_bytes().windows(NEEDLE.len()).any(|w| w == NEEDLE),
                "{n}"
            );
            let owners = ALL
                .iter()
                .filter(|c| {
                    c.ls_types.contains(&n)
                        || c.dataset_types.contains(&n)
                        || c.source_types.contains(&n)
                        || c.sink_types.contains(&n)
                })
                .count();
            assert_eq!(owners, 1, "{n}");
        }
        for c in ALL {
            for m in c
                .member_order
                .iter()
                .chain(c.arm_member_order)
                .chain(c.secrets)
                .chain(c.arm_parameterised)
            {
                assert!(c.property(m).is_some(), "{}: {m} is not a property", c.id);
            }
            for (_, p) in c.options {
                assert!(c.property(p).is_some(), "{}: option {p}", c.id);
            }
            for (p, _) in c.enums {
                assert!(c.property(p).is_some(), "{}: enum {p}", c.id);
            }
            assert_eq!(by_id(c.id).map(|x| x.id), Some(c.id));
        }
        assert_eq!(by_ls_type("PostgreSqlV2").map(|c| c.id), Some("PostgreSql"));
        assert_eq!(
            by_ls_type("AzurePostgreSql").map(|c| c.id),
            Some("AzurePostgreSql")
        );
        assert!(by_ls_type("MySql").is_none());
        assert_eq!(
            by_dataset_type("PostgreSqlTable").map(|(c, g)| (c.id, g)),
            Some(("PostgreSql", Generation::Old))
        );
        assert_eq!(
            by_source_type("PostgreSqlV2Source").map(|(c, g)| (c.id, g)),
            Some(("PostgreSql", Generation::New))
        );
        assert_eq!(
            by_sink_type("AzurePostgreSQLSink").map(|c| c.id),
            Some("AzurePostgreSql")
        );
    }
}
