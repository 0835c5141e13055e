//! The linked-service shapes of the connectors the tool reads, so that a bad-input or secrets test runs
//! the same case in each (issue 28, "Bad input"): AzurePostgreSql 1.0 and the legacy PostgreSql (one
//! connection string; the legacy one is read by an ODBC driver, where `{…}` quotes a value) and the
//! new generations, AzurePostgreSql 2.0 and PostgreSqlV2 (separate properties). Each shape comes as a
//! pretty file (four-space indent, one member a line, as Studio writes) and as a one-line file, both
//! fixed by a safe fix: a test shows that the run carried on past a hostile file by that fix.
#![allow(dead_code)]

/// Where a linked service of a shape keeps its connection settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// One connection string (`typeProperties.connectionString`).
    ConnectionString,
    /// Separate properties (`server`, `port`, `sslMode` …).
    Properties,
}

#[derive(Debug)]
pub struct Shape {
    /// For messages: the connector type, with the version where the type has two.
    pub label: &'static str,
    /// `properties.type`.
    pub ls_type: &'static str,
    pub form: Form,
    /// A linked service named `PgGood` that `--fix` fixes with a safe fix, its password `pw`.
    pub good: &'static str,
    /// The rule of that fix.
    pub fix_code: &'static str,
    /// Text every fixed file of the shape holds, and no unfixed one.
    pub fixed: &'static str,
    /// The text right before the password in `good`.
    pub password_prefix: &'static str,
    /// The dataset and copy source types of the connector (the old ones for an old generation).
    pub dataset_type: &'static str,
    pub source_type: &'static str,
}

pub const AZURE_V1: Shape = Shape {
    label: "AzurePostgreSql 1.0",
    ls_type: "AzurePostgreSql",
    form: Form::ConnectionString,
    good: r#"{
    "name": "PgGood",
    "properties": {
        "type": "AzurePostgreSql",
        "typeProperties": {
            "connectionString": "host=pg.postgres.database.azure.com;port=5432;database=sales;uid=etl;password=pw;sslmode=Require"
        }
    }
}
"#,
    fix_code: "ADFPG001",
    fixed: "\"version\": \"2.0\"",
    password_prefix: "password=",
    dataset_type: "AzurePostgreSqlTable",
    source_type: "AzurePostgreSqlSource",
};

pub const AZURE_V2: Shape = Shape {
    label: "AzurePostgreSql 2.0",
    ls_type: "AzurePostgreSql",
    form: Form::Properties,
    good: r#"{
    "name": "PgGood",
    "properties": {
        "type": "AzurePostgreSql",
        "version": "2.0",
        "typeProperties": {
            "server": "pg.postgres.database.azure.com",
            "port": 5432,
            "database": "sales",
            "sslMode": "Require",
            "username": "etl",
            "authenticationType": "Basic",
            "password": {"type": "SecureString", "value": "pw"}
        }
    }
}
"#,
    fix_code: "ADFPG006",
    fixed: "\"sslMode\": 3",
    password_prefix: "\"value\": \"",
    dataset_type: "AzurePostgreSqlTable",
    source_type: "AzurePostgreSqlSource",
};

/// Studio's legacy shape (lower-case keys, `encryptionmethod=0`), the password in the string.
pub const LEGACY: Shape = Shape {
    label: "PostgreSql (legacy)",
    ls_type: "PostgreSql",
    form: Form::ConnectionString,
    good: r#"{
    "name": "PgGood",
    "properties": {
        "type": "PostgreSql",
        "typeProperties": {
            "connectionString": "host=pg.example.com;port=5432;database=sales;uid=etl;password=pw;encryptionmethod=0"
        }
    }
}
"#,
    fix_code: "ADFPG060",
    fixed: "\"type\": \"PostgreSqlV2\"",
    password_prefix: "password=",
    dataset_type: "PostgreSqlTable",
    source_type: "PostgreSqlSource",
};

/// Studio's V2 shape and member order, sslMode written as a name (ADFPG006 fixes it).
pub const PG_V2: Shape = Shape {
    label: "PostgreSqlV2",
    ls_type: "PostgreSqlV2",
    form: Form::Properties,
    good: r#"{
    "name": "PgGood",
    "properties": {
        "type": "PostgreSqlV2",
        "typeProperties": {
            "server": "pg.example.com",
            "port": 5432,
            "database": "sales",
            "username": "etl",
            "password": {"type": "SecureString", "value": "pw"},
            "sslMode": "Require",
            "authenticationType": "Basic"
        }
    }
}
"#,
    fix_code: "ADFPG006",
    fixed: "\"sslMode\": 3",
    password_prefix: "\"value\": \"",
    dataset_type: "PostgreSqlV2Table",
    source_type: "PostgreSqlV2Source",
};

/// The shapes `--fix` migrates from, and the new generation of the new connector: the hostile cases
/// run in each.
pub const SHAPES: [&Shape; 3] = [&AZURE_V1, &LEGACY, &PG_V2];

/// Every generation of both connectors.
pub const ALL_SHAPES: [&Shape; 4] = [&AZURE_V1, &AZURE_V2, &LEGACY, &PG_V2];

impl Shape {
    /// A one-line linked service named `name` (a JSON string's contents) that `--fix` fixes with the
    /// shape's safe fix; `extra` (members, each starting with `, `) ends its `typeProperties`.
    pub fn one_line(&self, name: &str, extra: &str) -> String {
        let tp = match (self.ls_type, self.form) {
            ("AzurePostgreSql", Form::ConnectionString) => {
                r#""connectionString": "host=pg.postgres.database.azure.com;port=5432;database=d;uid=u;password=p;sslmode=Require""#
            }
            ("AzurePostgreSql", Form::Properties) => {
                r#""server": "pg.postgres.database.azure.com", "port": 5432, "database": "d", "sslMode": "Require", "username": "u", "authenticationType": "Basic", "password": {"type": "SecureString", "value": "p"}"#
            }
            ("PostgreSql", _) => {
                r#""connectionString": "host=pg.example.com;port=5432;database=d;uid=u;password=p;encryptionmethod=0""#
            }
            _ => {
                r#""server": "pg.example.com", "port": 5432, "database": "d", "username": "u", "password": {"type": "SecureString", "value": "p"}, "sslMode": "Require", "authenticationType": "Basic""#
            }
        };
        let version = if self.label == AZURE_V2.label {
            r#", "version": "2.0""#
        } else {
            ""
        };
        format!(
            r#"{{"name": "{name}", "properties": {{"type": "{}"{version}, "typeProperties": {{{tp}{extra}}}}}}}
"#,
            self.ls_type
        )
    }

    /// A one-line linked service of the shape's type named `name` whose `typeProperties` are `tp`.
    pub fn with_type_properties(&self, name: &str, tp: &str) -> String {
        let version = if self.label == AZURE_V2.label {
            r#", "version": "2.0""#
        } else {
            ""
        };
        format!(
            r#"{{"name": "{name}", "properties": {{"type": "{}"{version}, "typeProperties": {{{tp}}}}}}}"#,
            self.ls_type
        )
    }

    /// Byte offset of the password's first byte in `text` (a variant of `good`).
    pub fn password_at(&self, text: &str) -> usize {
        text.find(self.password_prefix)
            .expect("the shape's password is in the text")
            + self.password_prefix.len()
    }

    /// Where ADFPG008 points for the password of `text`: at the password inside a connection string,
    /// at the JSON string (its opening quote) when the password is a property's whole value.
    pub fn plaintext_finding_at(&self, text: &str) -> usize {
        match self.form {
            Form::ConnectionString => self.password_at(text),
            Form::Properties => self.password_at(text) - 1,
        }
    }

    /// Is the shape a connection string read by the legacy ODBC driver (where `{…}` quotes a value)?
    pub fn braced(&self) -> bool {
        self.ls_type == "PostgreSql"
    }
}

/// 1-based `line:column` of byte `offset` of ASCII `text` (as the concise format prints it; a leading
/// BOM is not counted).
pub fn at(text: &[u8], offset: usize) -> String {
    let body = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let offset = offset - (text.len() - body.len());
    let before = &body[..offset];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    format!("{line}:{}", offset - start + 1)
}

#[test]
fn at_counts_lines_and_columns_from_one() {
    assert_eq!(at(b"ab\ncd", 0), "1:1");
    assert_eq!(at(b"ab\ncd", 4), "2:2");
    assert_eq!(at(b"\xEF\xBB\xBFab\r\ncd", 8), "2:2");
}
