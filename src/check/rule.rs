//! A rule as its file (`rules/*.toml`) says it: where it applies (`scope`, `applies_to`, a JSONPath
//! `given`), which check runs there (`check`), and what the user reads (severity, message, help, docs).
//! The catalog parses and validates rule files into these; the checks and the engine read them.

use crate::finding::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Runs on each PostgreSQL linked service (of the rule's `connectors`); `given` is evaluated on the
    /// resource (`name`, `properties`).
    #[default]
    LinkedService,
    /// Raised by the pipeline itself about a whole file (parse errors, encodings, I/O).
    File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AppliesTo {
    #[default]
    Any,
    V1,
    V2,
}

/// The fix a rule can offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum FixAvailability {
    #[default]
    None,
    Safe,
    Unsafe,
    /// Safe in some cases, unsafe in others (the docs say which).
    SafeOrUnsafe,
    /// A suggestion shown with the finding; `--fix` applies it only when the rule is selected by name.
    DisplayOnly,
}

impl FixAvailability {
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "no",
            FixAvailability::Safe => "safe",
            FixAvailability::Unsafe => "unsafe",
            FixAvailability::SafeOrUnsafe => "safe/unsafe",
            FixAvailability::DisplayOnly => "display-only",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Docs {
    pub what: String,
    pub why: String,
    #[serde(default)]
    pub example: String,
    #[serde(default)]
    pub use_instead: String,
    #[serde(default)]
    pub fix_safety: String,
    #[serde(default)]
    pub options: String,
    #[serde(default)]
    pub references: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// A whole resource file.
    pub json: String,
    /// For invalid examples: the JSON pointer the finding must point at.
    #[serde(default)]
    pub at: Option<String>,
    /// A config file (adfpg.toml text) the example runs under, for rules that depend on policy.
    #[serde(default)]
    pub config: Option<String>,
    /// Where `json` is written, relative to the example's factory folder (for rules that read the folder
    /// layout), e.g. `dataset/Orders.json`.
    #[serde(default)]
    pub path: Option<String>,
    /// Other files of the example factory (relative path → content), for rules that follow references.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub valid: Vec<Example>,
    #[serde(default)]
    pub invalid: Vec<Example>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub code: String,
    pub name: String,
    pub summary: String,
    pub severity: Severity,
    #[serde(default)]
    pub scope: Scope,
    #[serde(default)]
    pub applies_to: AppliesTo,
    /// The connectors (ids: `AzurePostgreSql`, `PostgreSql`) whose linked services the rule runs on;
    /// empty: every connector.
    #[serde(default)]
    pub connectors: Vec<String>,
    /// JSONPath over the linked-service resource; each match is a target of the check.
    #[serde(default = "root_path")]
    pub given: String,
    pub check: String,
    /// For the generic checks: the member of each target to look at.
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub pattern: Option<String>,
    /// Template: `{ls}` is the linked service, other placeholders come from the check.
    pub message: String,
    pub help: String,
    #[serde(default)]
    pub fix: FixAvailability,
    /// The finding means the connector does not accept the value (a type, a range, an enumeration): a fix
    /// whose written bytes still carry such an error is held back, even when the input had it too.
    #[serde(default)]
    pub invalid_value: bool,
    pub docs: Docs,
    #[serde(default)]
    pub examples: Examples,
    /// Where the rule came from (for errors and `rule CODE`).
    #[serde(skip)]
    pub source: String,
    #[serde(skip)]
    pub(super) compiled: Option<Compiled>,
}

#[derive(Debug, Clone)]
pub(super) struct Compiled {
    pub(super) path: Option<jsonpath_rust::parser::model::JpQuery>,
    pub(super) pattern: Option<regex::Regex>,
}

fn root_path() -> String {
    "$".into()
}

impl Rule {
    pub fn docs_anchor(&self) -> String {
        format!("docs/rules.md#{}", self.code.to_ascii_lowercase())
    }
}
