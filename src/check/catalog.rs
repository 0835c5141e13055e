//! The rule catalog: rules are data (`rules/*.toml`, embedded at build time), parsed into `Rule`s and
//! checked here (a known `check`, its parameters, a valid JSONPath `given` and pattern).

use super::rule::{Compiled, Rule};
use crate::finding::Finding;
use std::collections::BTreeMap;

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

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

    /// The code of the rule whose fix migrates connector `c`'s old linked services (ADFPG001, ADFPG060).
    pub fn migration_code(&self, c: &crate::connector::Connector) -> Option<String> {
        self.rules
            .iter()
            .find(|r| {
                r.check == "v1-linked-service"
                    && (r.connectors.is_empty()
                        || r.connectors.iter().any(|id| id.eq_ignore_ascii_case(c.id)))
            })
            .map(|r| r.code.clone())
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
    if let Some(c) = rule
        .connectors
        .iter()
        .find(|c| crate::connector::by_id(c).is_none())
    {
        return Err(err(
            line_of("connectors"),
            format!(
                "unknown connector `{c}`; known: {}",
                crate::connector::ALL
                    .iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
                    .join(", ")
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
