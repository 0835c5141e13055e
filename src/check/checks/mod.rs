//! The built-in check functions that rule files name in `check`, one file per family: `generic`
//! (`defined`, `undefined`, `enumeration`, `pattern`: their parameters come from the rule), `migration`
//! (connector 1.0 → 2.0), `credentials`, `tls` (sslMode) and `properties` (2.0 `typeProperties`). A
//! rule's `check = "weak-ssl-mode"` runs the function of that name, `tls::weak_ssl_mode`: `CHECKS` below
//! says where each lives. Checks over the whole factory are in `super::cross_file` (`CROSS_FILE_CHECKS`
//! lists them), checks the pipeline raises itself in `crate::pipeline` (`PIPELINE_CHECKS`).

mod credentials;
mod generic;
mod migration;
mod properties;
mod tls;

use crate::check::context::{Context, Target};
use crate::check::rule::Rule;
use crate::finding::{Edit, Fix, Safety};
use crate::source::adf::LinkedService;
use crate::source::json::{Kind, Node, PathStep};
use std::ops::Range;

pub struct Hit {
    pub span: Range<usize>,
    pub label: String,
    pub args: Vec<(&'static str, String)>,
    pub fix: Option<Fix>,
    /// Path below the linked-service resource, for the finding's JSON pointer.
    pub path: Vec<PathStep>,
    pub related: Vec<(Range<usize>, String)>,
    /// The finding's severity when it differs from the rule's default for this value (a policy's
    /// `[severity]` still overrides it).
    pub severity: Option<crate::finding::Severity>,
}

impl Hit {
    fn new(span: Range<usize>, label: impl Into<String>, path: Vec<PathStep>) -> Hit {
        Hit {
            span,
            label: label.into(),
            args: Vec::new(),
            fix: None,
            path,
            related: Vec::new(),
            severity: None,
        }
    }

    fn arg(mut self, k: &'static str, v: impl Into<String>) -> Hit {
        self.args.push((k, v.into()));
        self
    }

    fn fix(mut self, safety: Safety, title: impl Into<String>, edits: Vec<Edit>) -> Hit {
        self.fix = Some(Fix {
            safety,
            title: title.into(),
            edits,
            requires: Vec::new(),
        });
        self
    }
}

type CheckFn = fn(&Rule, &Context, &Target) -> Vec<Hit>;

/// Every check a rule's `check = "…"` names, and where it lives: `check = "weak-ssl-mode"` runs
/// `tls::weak_ssl_mode` (src/check/checks/tls.rs). Whole-factory checks are in `cross_file`.
const CHECKS: &[(&str, CheckFn)] = &[
    ("defined", generic::defined),
    ("undefined", generic::undefined),
    ("enumeration", generic::enumeration),
    ("pattern", generic::pattern),
    ("v1-linked-service", migration::v1_linked_service),
    ("unknown-version", migration::unknown_version),
    (
        "credential-to-key-vault",
        credentials::credential_to_key_vault,
    ),
    ("v2-required-properties", properties::v2_required_properties),
    (
        "credentials-for-authentication-type",
        credentials::credentials_for_authentication_type,
    ),
    ("weak-ssl-mode", tls::weak_ssl_mode),
    ("server-not-verified", tls::server_not_verified),
    ("invalid-ssl-mode", tls::invalid_ssl_mode),
    ("invalid-enum-values", properties::invalid_enum_values),
    ("plaintext-secret", credentials::plaintext_secret),
    (
        "connection-string-in-key-vault",
        credentials::connection_string_in_key_vault,
    ),
    (
        "password-only-in-encrypted-credential",
        credentials::password_only_in_encrypted_credential,
    ),
    ("password-given-twice", credentials::password_given_twice),
    ("user-at-server", migration::user_at_server),
    (
        "dropped-connection-string-keys",
        migration::dropped_connection_string_keys,
    ),
    ("conflicting-ssl-settings", tls::conflicting_ssl_settings),
    (
        "trust-server-certificate-with-verify",
        tls::trust_server_certificate_with_verify,
    ),
    ("invalid-port", properties::invalid_port),
    ("ssl-mode-below-policy", tls::ssl_mode_below_policy),
    ("unknown-property", properties::unknown_property),
    ("property-types", properties::property_types),
    ("server-not-fqdn", properties::server_not_fqdn),
];

/// Checks the pipeline raises itself (file-level conditions); rule files name them with `scope = "file"`.
const PIPELINE_CHECKS: &[&str] = &[
    "invalid-json",
    "duplicate-key",
    "unsupported-encoding",
    "file-too-large",
    "io-error",
    "fix-not-applied",
    "suppression-without-reason",
    "unused-suppression",
    "rule-over-budget",
];

/// Checks over the whole factory (`cross_file`); each comment names the function there that raises it.
const CROSS_FILE_CHECKS: &[&str] = &[
    "file-name-mismatch",               // hygiene
    "duplicate-resource-name",          // hygiene
    "dataset-table-name",               // dataset
    "dataset-unknown-linked-service",   // dataset
    "dataset-linked-service-type",      // dataset
    "legacy-dataset",                   // dependents::dataset
    "legacy-source",                    // dependents::source
    "relational-on-postgresql",         // dependents::dataset, dependents::source
    "copy-sink-spelling",               // source_or_sink
    "copy-write-method",                // source_or_sink
    "upsert-without-keys",              // source_or_sink
    "partition-settings",               // partition
    "invalid-timespan",                 // source_or_sink
    "unknown-key-vault-linked-service", // key_vault_refs
    "arm-parameterization",             // parameterization
    "arm-undeclared-parameter",         // undeclared_parameters
];

/// Every check a rule file may name.
pub fn names() -> Vec<&'static str> {
    CHECKS
        .iter()
        .map(|(n, _)| *n)
        .chain(PIPELINE_CHECKS.iter().copied())
        .chain(CROSS_FILE_CHECKS.iter().copied())
        .collect()
}

pub fn exists(name: &str) -> bool {
    names().contains(&name)
}

pub fn is_generic(name: &str) -> bool {
    matches!(name, "defined" | "undefined" | "enumeration" | "pattern")
}

pub fn run(rule: &Rule, cx: &Context, target: &Target) -> Vec<Hit> {
    match CHECKS.iter().find(|(n, _)| *n == rule.check) {
        Some((_, f)) => f(rule, cx, target),
        None => Vec::new(),
    }
}

fn tp_path(key: &str) -> Vec<PathStep> {
    ["properties", "typeProperties", key]
        .iter()
        .map(|k| PathStep::Key((*k).to_string()))
        .collect()
}

fn props_path(key: &str) -> Vec<PathStep> {
    vec![
        PathStep::Key("properties".into()),
        PathStep::Key(key.into()),
    ]
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The integer in a JSON number node, if it is one.
fn int_of(n: &Node) -> Option<i64> {
    match &n.kind {
        Kind::Number(s) => s.parse().ok(),
        _ => None,
    }
}

fn auth_type<'a>(ls: &LinkedService<'a>) -> Option<&'a str> {
    ls.tp("authenticationType").and_then(|m| m.value.as_str())
}

fn is_basic(auth: &str) -> bool {
    auth == "Basic" || auth == "BasicAuth"
}
