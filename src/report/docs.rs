//! Rule documentation, all generated from the rule files: `rules`, `rule CODE` and docs/rules.md.

use crate::check::{Catalog, Rule};
use std::fmt::Write as _;

pub fn rules_list(catalog: &Catalog, json: bool) -> String {
    if json {
        let rules: Vec<_> = catalog
            .rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code, "name": r.name, "severity": r.severity,
                    "fix": r.fix.as_str(), "summary": r.summary, "docs": r.docs_anchor(),
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rules).expect("json") + "\n";
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<9} {:<38} {:<8} {:<12} summary",
        "code", "name", "severity", "fix"
    );
    for r in &catalog.rules {
        let _ = writeln!(
            out,
            "{:<9} {:<38} {:<8} {:<12} {}",
            r.code,
            r.name,
            r.severity.as_str(),
            r.fix.as_str(),
            r.summary
        );
    }
    out
}

/// A rule's whole documentation, as `rule CODE` prints it and docs/rules.md holds it.
pub fn rule_doc(r: &Rule) -> String {
    let d = &r.docs;
    let mut out = String::new();
    let _ = writeln!(out, "# {} {}\n", r.code, r.name);
    let _ = writeln!(out, "{}\n", r.summary);
    let _ = writeln!(
        out,
        "Default severity: {}. Fix: {}. Source: `{}`.\n",
        r.severity.as_str(),
        r.fix.as_str(),
        r.source
    );
    let mut section = |title: &str, body: &str| {
        if !body.trim().is_empty() {
            let _ = writeln!(out, "## {title}\n\n{}\n", body.trim_end());
        }
    };
    section("What it does", &d.what);
    section("Why is this bad?", &d.why);
    section("Example", &fence(&d.example));
    section("Use instead", &fence(&d.use_instead));
    section("Fix safety", &d.fix_safety);
    section("Options", &d.options);
    let refs: String = d.references.iter().map(|r| format!("- {r}\n")).collect();
    section("References", &refs);
    out
}

fn fence(code: &str) -> String {
    if code.trim().is_empty() {
        String::new()
    } else {
        format!("```json\n{}\n```", code.trim_end())
    }
}

/// docs/rules.md: every rule's documentation on one page.
/// The catalog as a Markdown table, each code linking to `{link}#code` (docs/rules.md's own anchors, or
/// from the README).
pub fn rules_table(catalog: &Catalog, link: &str) -> String {
    let mut out = String::from(
        "| code | name | connectors | severity | fix | summary |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in &catalog.rules {
        let connectors = if r.connectors.is_empty() {
            "all".to_string()
        } else {
            r.connectors.join(", ")
        };
        let _ = writeln!(
            out,
            "| [{}]({link}#{}) | {} | {connectors} | {} | {} | {} |",
            r.code,
            r.code.to_ascii_lowercase(),
            r.name,
            r.severity.as_str(),
            r.fix.as_str(),
            r.summary.replace('|', "\\|")
        );
    }
    out
}

pub fn rules_markdown(catalog: &Catalog) -> String {
    let mut out = String::from(
        "<!-- generated from rules/*.toml by `cargo test` (tests/docs.rs); do not edit by hand -->\n# Rules\n\n",
    );
    out.push_str(&rules_table(catalog, ""));
    out.push('\n');
    for r in &catalog.rules {
        let _ = writeln!(out, "<a id=\"{}\"></a>\n", r.code.to_ascii_lowercase());
        out.push_str(
            &rule_doc(r)
                .replacen("# ", "## ", 1)
                .replace("\n## ", "\n### "),
        );
    }
    out
}
