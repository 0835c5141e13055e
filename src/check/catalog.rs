//! The rule catalog: rules are data (`rules/*.toml`, embedded at build time). A rule says where it applies
//! (`scope`, `applies_to`, a JSONPath `given`), which check runs there (a built-in function named by
//! `check`), and what the user reads (severity, message template, help, docs).

use crate::finding::{Finding, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// Runs on each AzurePostgreSql linked service; `given` is evaluated on the resource (`name`, `properties`).
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

/// A rule file that cannot be used: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub rules: Vec<Rule>,
}

impl Catalog {
    pub fn builtin() -> Catalog {
        let mut c = Catalog::default();
        for (name, text) in EMBEDDED_RULES {
            let rule =
                parse_rule(name, text).unwrap_or_else(|e| panic!("built-in rule is broken: {e}"));
            c.rules.push(rule);
        }
        c.rules.sort_by(|a, b| a.code.cmp(&b.code));
        c
    }

    pub fn get(&self, code: &str) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.code.eq_ignore_ascii_case(code))
    }

    /// The rule that reports a pipeline-level condition (`check` name), if it is in the catalog.
    pub fn by_check(&self, check: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.check == check)
    }

    /// A finding of the rule whose `check` is `check`, its message and help rendered with `args`.
    pub fn finding(
        &self,
        check: &str,
        span: std::ops::Range<usize>,
        args: &[(&str, String)],
    ) -> Option<Finding> {
        let rule = self.by_check(check)?;
        let args: BTreeMap<&str, String> = args.iter().cloned().collect();
        Some(Finding {
            code: rule.code.clone(),
            severity: rule.severity,
            message: render_template(&rule.message, &args),
            help: render_template(&rule.help, &args),
            span,
            label: String::new(),
            related: Vec::new(),
            fix: None,
            resource: None,
            pointer: String::new(),
            start: (0, 0),
            end: (0, 0),
        })
    }
}

pub fn parse_rule(file: &str, text: &str) -> Result<Rule, RuleError> {
    let err = |line: Option<usize>, message: String| RuleError {
        file: file.to_string(),
        line,
        message,
    };
    let mut rule: Rule = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        err(line, e.message().to_string())
    })?;
    let line_of = |key: &str| {
        text.lines()
            .position(|l| l.trim_start().starts_with(key))
            .map(|i| i + 1)
    };
    rule.source = file.to_string();
    if !rule
        .code
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        || rule.code.is_empty()
    {
        return Err(err(
            line_of("code"),
            format!("code `{}` must be letters, digits, `-` or `_`", rule.code),
        ));
    }
    if !super::checks::exists(&rule.check) {
        return Err(err(
            line_of("check"),
            format!(
                "unknown check `{}`; known: {}",
                rule.check,
                super::checks::names().join(", ")
            ),
        ));
    }
    if super::checks::is_generic(&rule.check) && rule.field.is_none() {
        return Err(err(
            line_of("check"),
            format!("check `{}` needs `field`", rule.check),
        ));
    }
    let path = if rule.given == "$" {
        None
    } else {
        Some(
            jsonpath_rust::parser::parse_json_path(&rule.given).map_err(|e| {
                err(
                    line_of("given"),
                    format!("invalid JSONPath `{}`: {e}", rule.given),
                )
            })?,
        )
    };
    let pattern = match &rule.pattern {
        Some(p) => Some(
            regex::Regex::new(p)
                .map_err(|e| err(line_of("pattern"), format!("invalid pattern: {e}")))?,
        ),
        None if rule.check == "pattern" => {
            return Err(err(
                line_of("check"),
                "check `pattern` needs `pattern`".into(),
            ));
        }
        None => None,
    };
    rule.compiled = Some(Compiled { path, pattern });
    Ok(rule)
}

/// Fill `{name}` placeholders; unknown names stay as written.
pub fn render_template(template: &str, args: &BTreeMap<&str, String>) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if args.contains_key(&after[..close]) => {
                // values come from the file: no secret (by content) and no raw control characters
                let value = crate::mask::redact(&args[&after[..close]]);
                out.push_str(&crate::mask::printable(&value));
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_loads_with_unique_codes() {
        let c = Catalog::builtin();
        assert!(c.rules.len() >= 15, "{}", c.rules.len());
        let mut codes: Vec<_> = c.rules.iter().map(|r| r.code.clone()).collect();
        codes.dedup();
        assert_eq!(codes.len(), c.rules.len());
    }

    #[test]
    fn bad_rule_files_name_the_line() {
        let e = parse_rule(
            "x.toml",
            "code = \"X1\"\nname = \"n\"\nsummary = \"s\"\nseverity = \"fatal\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        let text = "code = \"X1\"\nname = \"n\"\nsummary = \"s\"\nseverity = \"error\"\ncheck = \"nope\"\nmessage = \"m\"\nhelp = \"h\"\n[docs]\nwhat = \"w\"\nwhy = \"y\"\n";
        let e = parse_rule("x.toml", text).unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.message.contains("unknown check"));
    }

    #[test]
    fn templates() {
        let mut a = BTreeMap::new();
        a.insert("ls", "pg".to_string());
        assert_eq!(render_template("`{ls}` {x} {", &a), "`pg` {x} {");
        a.insert("ls", "p\u{1b}[31mg\n".to_string());
        assert_eq!(render_template("`{ls}`", &a), "`p\\u{1b}[31mg\\u{a}`");
    }
}
