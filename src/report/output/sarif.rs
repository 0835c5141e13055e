//! SARIF 2.1.0 for GitHub code scanning (and Azure DevOps' SARIF viewer): hand-written serde structs for
//! the subset we emit.
//!
//! What GitHub reads and we fill in: `tool.driver` with every rule (`id`, `name`, short and full
//! description ≤ 1024 characters, `help.text` + `help.markdown`, `defaultConfiguration.level`); results
//! with `ruleId`, `ruleIndex`, `level`, `message.text`, one physical location with a repository-relative
//! `uri` and a 1-based region (`endColumn` one past the end), `partialFingerprints.primaryLocationLineHash`
//! (stable across line shifts, so re-uploads do not duplicate alerts), `fixes` with the edits as
//! replacements; and `run.automationDetails.id`. No code snippets are included (they could carry secrets);
//! replacement texts are masked, so a fix that writes a password shows `*` in its place.

use super::{Context, located};
use crate::finding::{Finding, Safety, Severity};
use crate::pipeline::FileOutcome;
use crate::report::Run;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// `category/` (GitHub treats the part before the last `/` as the analysis category).
pub const AUTOMATION_ID: &str = "adfpg-migrate/";
/// GitHub's limit for rule descriptions.
pub const MAX_DESCRIPTION: usize = 1024;

#[derive(Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    pub schema: &'static str,
    pub version: &'static str,
    pub runs: Vec<SarifRun>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifRun {
    pub tool: Tool,
    pub automation_details: AutomationDetails,
    pub column_kind: &'static str,
    pub invocations: Vec<Invocation>,
    pub results: Vec<SarifResult>,
}

#[derive(Serialize)]
pub struct Tool {
    pub driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    pub name: &'static str,
    pub version: &'static str,
    pub semantic_version: &'static str,
    pub rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub short_description: Text,
    pub full_description: Text,
    pub help: Help,
    pub default_configuration: Configuration,
    pub properties: RuleProperties,
}

#[derive(Serialize)]
pub struct Text {
    pub text: String,
}

#[derive(Serialize)]
pub struct Help {
    pub text: String,
    pub markdown: String,
}

#[derive(Serialize)]
pub struct Configuration {
    pub level: &'static str,
}

#[derive(Serialize)]
pub struct RuleProperties {
    pub tags: Vec<&'static str>,
    pub precision: &'static str,
    /// The fix the rule can offer: no, safe, unsafe, safe/unsafe.
    pub fix: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomationDetails {
    pub id: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invocation {
    pub execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_execution_notifications: Vec<Notification>,
    /// The config's entries that turn findings off.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_configuration_notifications: Vec<Notification>,
}

#[derive(Serialize)]
pub struct Notification {
    pub level: &'static str,
    pub message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<Location>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    pub rule_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_index: Option<usize>,
    pub level: &'static str,
    pub message: Text,
    pub locations: Vec<Location>,
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    /// `new` when a baseline filtered the run (only findings not in it are reported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline_state: Option<&'static str>,
    pub properties: ResultProperties,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultProperties {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_service: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pointer: String,
    pub severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    pub artifact_location: ArtifactLocation,
    pub region: Region,
}

#[derive(Serialize, Clone)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactLocation {
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    pub name: String,
    pub fully_qualified_name: String,
    pub kind: &'static str,
}

#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    pub start_line: usize,
    pub start_column: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_column: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_offset: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byte_length: Option<usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    pub description: Text,
    pub artifact_changes: Vec<ArtifactChange>,
}

#[derive(Serialize)]
pub struct ArtifactChange {
    #[serde(rename = "artifactLocation")]
    pub artifact_location: ArtifactLocation,
    pub replacements: Vec<Replacement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Replacement {
    pub deleted_region: Region,
    pub inserted_content: Text,
}

pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// Percent-encode a `/`-separated path for a URI: everything but unreserved characters and `/`.
pub fn encode_uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A repository-relative URI (with `uriBaseId` `%SRCROOT%`), or a `file://` URI for a file outside the
/// repository.
fn artifact(cx: &Context, o: &FileOutcome) -> ArtifactLocation {
    artifact_of(cx, &o.path)
}

fn artifact_of(cx: &Context, path: &std::path::Path) -> ArtifactLocation {
    let rel = cx.repo_relative(path);
    if rel.starts_with('/') {
        ArtifactLocation {
            uri: format!("file://{}", encode_uri_path(&rel)),
            uri_base_id: None,
        }
    } else {
        ArtifactLocation {
            uri: encode_uri_path(&rel),
            uri_base_id: Some("%SRCROOT%"),
        }
    }
}

fn region(start: (usize, usize), end: (usize, usize), empty: bool) -> Region {
    if empty {
        // a point (file-level findings): the start only; SARIF then means "to the end of that line"
        return Region {
            start_line: start.0,
            start_column: start.1,
            ..Region::default()
        };
    }
    Region {
        start_line: start.0,
        start_column: start.1,
        end_line: Some(end.0),
        end_column: Some(end.1),
        ..Region::default()
    }
}

/// Rule help is a template; outside a finding its `{placeholders}` read better as `<placeholders>`.
fn placeholders(template: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\{([a-z_]+)\}").expect("valid regex"))
        .replace_all(template, "<$1>")
        .into_owned()
}

fn rules(run: &Run) -> Vec<Rule> {
    run.catalog
        .rules
        .iter()
        .map(|r| {
            let mut help = placeholders(&r.help);
            help.push_str(&format!(
                "\n\nRun `adfpg-migrate rule {}` for the full documentation.",
                r.code
            ));
            Rule {
                id: r.code.clone(),
                name: r.name.clone(),
                short_description: Text {
                    text: super::truncate_chars(r.summary.trim(), MAX_DESCRIPTION),
                },
                full_description: Text {
                    text: super::truncate_chars(
                        &r.docs.what.split_whitespace().collect::<Vec<_>>().join(" "),
                        MAX_DESCRIPTION,
                    ),
                },
                help: Help {
                    text: help,
                    markdown: crate::report::docs::rule_doc(r),
                },
                default_configuration: Configuration {
                    level: level(r.severity),
                },
                properties: RuleProperties {
                    tags: vec!["azure-data-factory", "postgresql"],
                    precision: "very-high",
                    fix: r.fix.as_str(),
                },
            }
        })
        .collect()
}

fn fix(cx: &Context, o: &FileOutcome, f: &Finding) -> Option<Fix> {
    let x = f.fix.as_ref()?;
    // edits are located when the finding is; an unlocated one (no text) gets no fix
    if x.edits.iter().any(|e| e.start.0 == 0) {
        return None;
    }
    let how = match x.safety {
        Safety::Safe => "safe fix: applied by `adfpg-migrate --fix`",
        Safety::Unsafe => "unsafe fix: applied by `adfpg-migrate --fix --unsafe-fixes`; review it",
        Safety::DisplayOnly => {
            "suggestion only: `adfpg-migrate --fix` applies it only when the rule's fix is selected by name (`--extend-fixable CODE --unsafe-fixes`)"
        }
    };
    let secret = x.edits.iter().any(|e| !e.secrets.is_empty());
    let mut description = format!("{} ({how})", x.title);
    if secret {
        description.push_str("; secret values are shown as `*`: let adfpg-migrate apply it");
    }
    let replacements = x
        .edits
        .iter()
        .map(|e| {
            let (start, end) = (e.start, e.end);
            Replacement {
                deleted_region: Region {
                    start_line: start.0,
                    start_column: start.1,
                    end_line: Some(end.0),
                    end_column: Some(end.1),
                    byte_offset: Some(e.range.start),
                    byte_length: Some(e.range.end - e.range.start),
                },
                inserted_content: Text {
                    text: e.masked_text(),
                },
            }
        })
        .collect();
    Some(Fix {
        description: Text { text: description },
        artifact_changes: vec![ArtifactChange {
            artifact_location: artifact(cx, o),
            replacements,
        }],
    })
}

pub fn log(run: &Run, cx: &Context) -> Log {
    let rules = rules(run);
    let index: HashMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let results = located(run)
        .map(|l| {
            let (o, f) = (l.outcome, l.finding);
            let path = cx.repo_relative(&o.path);
            let fp = crate::report::baseline::fingerprint(f, &path);
            let n = occurrences.entry(fp.clone()).or_default();
            *n += 1;
            let mut text = f.message.clone();
            if !f.help.is_empty() {
                text.push_str("\n\n");
                text.push_str(&f.help);
            }
            let logical_locations = f
                .resource
                .iter()
                .map(|name| crate::mask::redact(name).into_owned())
                .map(|name| LogicalLocation {
                    fully_qualified_name: format!("{name}#{}", crate::mask::redact(&f.pointer)),
                    name,
                    kind: "resource",
                })
                .collect();
            SarifResult {
                rule_id: f.code.clone(),
                rule_index: index.get(f.code.as_str()).copied(),
                level: level(f.severity),
                message: Text { text },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: artifact(cx, o),
                        region: region(l.start, l.end, f.span.is_empty()),
                    },
                    logical_locations,
                }],
                partial_fingerprints: BTreeMap::from([(
                    "primaryLocationLineHash",
                    format!("{fp}:{n}"),
                )]),
                fixes: fix(cx, o, f).into_iter().collect(),
                baseline_state: run
                    .baseline
                    .as_ref()
                    .and_then(|b| b.file.as_ref())
                    .map(|_| "new"),
                properties: ResultProperties {
                    linked_service: f
                        .resource
                        .as_deref()
                        .map(|r| crate::mask::redact(r).into_owned()),
                    pointer: crate::mask::redact(&f.pointer).into_owned(),
                    severity: f.severity.as_str(),
                },
            }
        })
        .collect();
    let notifications = run
        .walk_errors
        .iter()
        .map(|(p, e)| Notification {
            level: "error",
            message: Text {
                text: format!("{p}: {e}"),
            },
            locations: Vec::new(),
        })
        .collect();
    let configuration = cx
        .turned_off
        .iter()
        .map(|t| Notification {
            level: "warning",
            message: Text { text: t.message() },
            locations: vec![Location {
                physical_location: PhysicalLocation {
                    artifact_location: artifact_of(cx, &t.file),
                    region: region((t.line, 1), (t.line, 1), true),
                },
                logical_locations: Vec::new(),
            }],
        })
        .collect();
    Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: vec![SarifRun {
            tool: Tool {
                driver: Driver {
                    name: "adfpg-migrate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            automation_details: AutomationDetails { id: AUTOMATION_ID },
            column_kind: "unicodeCodePoints",
            invocations: vec![Invocation {
                execution_successful: run.walk_errors.is_empty()
                    && !run.outcomes.iter().any(|o| o.failed),
                tool_execution_notifications: notifications,
                tool_configuration_notifications: configuration,
            }],
            results,
        }],
    }
}

pub fn render(run: &Run, cx: &Context) -> String {
    serde_json::to_string_pretty(&log(run, cx)).expect("sarif serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encoding() {
        assert_eq!(
            encode_uri_path("linkedService/a b%;:,].json"),
            "linkedService/a%20b%25%3B%3A%2C%5D.json"
        );
        assert_eq!(encode_uri_path("ü"), "%C3%BC");
    }
}
