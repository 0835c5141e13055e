//! Suppression where JSON has no comments: a linked service may carry an annotation
//! `"adfpg-ignore: CODE[,CODE] reason"` in `properties.annotations` (ADF shows annotations as tags).
//! A suppression without a reason, and one that suppresses nothing, are reported.

use crate::check::catalog::Catalog;
use crate::finding::Finding;
use crate::source::adf::LinkedService;
use std::ops::Range;

pub const PREFIX: &str = "adfpg-ignore:";

/// Builds a pipeline finding from (check name, span, message); None when that rule is off.
pub type Reporter<'a> = dyn Fn(&str, Range<usize>, String) -> Option<Finding> + 'a;

struct Suppression {
    codes: Vec<String>,
    reason: String,
    span: Range<usize>,
    pointer: String,
    ls: String,
}

/// Drop findings suppressed by annotations and add findings about the suppressions themselves.
/// `report(check, span, message)` builds a pipeline finding (or None when that rule is off).
pub fn apply(
    findings: Vec<Finding>,
    services: &[LinkedService],
    catalog: &Catalog,
    report: &Reporter,
) -> Vec<Finding> {
    let mut sups = Vec::new();
    for ls in services {
        let Some(items) = ls.props.get("annotations").and_then(|a| a.elements()) else {
            continue;
        };
        for (i, item) in items.iter().enumerate() {
            let Some(text) = item.as_str() else { continue };
            let Some(rest) = text
                .trim_start()
                .get(..PREFIX.len())
                .filter(|p| p.eq_ignore_ascii_case(PREFIX))
                .map(|_| &text.trim_start()[PREFIX.len()..])
            else {
                continue;
            };
            let rest = rest.trim_start();
            let (codes, reason) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            sups.push(Suppression {
                codes: codes
                    .split(',')
                    .map(|c| c.trim().to_ascii_uppercase())
                    .filter(|c| !c.is_empty())
                    .collect(),
                reason: reason.trim().to_string(),
                span: item.span.clone(),
                pointer: ls.pointer(&["properties", "annotations", &i.to_string()]),
                ls: ls.name.to_string(),
            });
        }
    }
    if sups.is_empty() {
        return findings;
    }
    // the first suppression of each (linked service, code), found at once for every finding: a
    // hostile file holds hundreds of thousands of annotations, and findings as many
    let mut first: std::collections::HashMap<(&str, &str), usize> = Default::default();
    for (i, s) in sups.iter().enumerate() {
        for c in &s.codes {
            step();
            first.entry((s.ls.as_str(), c.as_str())).or_insert(i);
        }
    }
    let mut used = vec![false; sups.len()];
    let mut kept = Vec::new();
    for f in findings {
        step();
        let hit = f
            .resource
            .as_deref()
            .and_then(|ls| first.get(&(ls, f.code.as_str())));
        match hit {
            Some(&i) => used[i] = true,
            None => kept.push(f),
        }
    }
    for (s, used) in sups.iter().zip(used) {
        step();
        // a finding about a suppression belongs to its linked service, at the annotation
        let mut about = |f: Option<Finding>| {
            kept.extend(f.map(|mut f| {
                if f.resource.is_none() {
                    f.resource = Some(s.ls.clone());
                    f.pointer = s.pointer.clone();
                }
                f
            }))
        };
        let codes = s.codes.join(",");
        if s.reason.is_empty() {
            about(report(
                "suppression-without-reason",
                s.span.clone(),
                format!(
                    "suppression `{codes}` on linked service `{}` gives no reason",
                    s.ls
                ),
            ));
        }
        let unknown = s.codes.iter().any(|c| catalog.get(c).is_none());
        if unknown || s.codes.is_empty() {
            about(report(
                "unused-suppression",
                s.span.clone(),
                format!(
                    "suppression on linked service `{}` names no known rule code ({codes:?})",
                    s.ls
                ),
            ));
        } else if !used {
            about(report(
                "unused-suppression",
                s.span.clone(),
                format!(
                    "suppression `{codes}` on linked service `{}` suppresses nothing: remove it",
                    s.ls
                ),
            ));
        }
    }
    kept
}

/// One unit of work of [`apply`] (a suppression's code, a finding, a suppression), counted in tests.
fn step() {
    #[cfg(test)]
    tests::STEPS.with(|c| c.set(c.get() + 1));
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        pub(super) static STEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// Issue 29: suppressions are linear in annotations and findings: at N and 4N annotations (each
    /// naming a code no finding has, so each is reported), the work is a few steps per annotation and
    /// per finding (before: every finding searched every annotation, and every report did again).
    #[test]
    fn suppressions_are_linear_in_annotations_and_findings() {
        let catalog = Catalog::builtin();
        for n in [1_000, 4_000] {
            let annotations: Vec<String> = (0..n)
                .map(|i| format!("\"adfpg-ignore: ADFPG0{:02} reason {i}\"", i % 20))
                .collect();
            let text = format!(
                r#"{{"name": "pg", "properties": {{"type": "AzurePostgreSql", "annotations": [{}]}}}}"#,
                annotations.join(", ")
            );
            let root = crate::source::json::parse(&text).unwrap();
            let services = crate::source::adf::linked_services(&root);
            let findings: Vec<Finding> = (0..n)
                .map(|i| {
                    let mut f = catalog.finding("unknown-property", i..i + 1, &[]).unwrap();
                    f.resource = Some("pg".into());
                    f
                })
                .collect();
            let report =
                |check: &str, span: Range<usize>, _m: String| catalog.finding(check, span, &[]);
            STEPS.with(|c| c.set(0));
            let kept = apply(findings, &services, &catalog, &report);
            let steps = STEPS.with(|c| c.get());
            // n findings, n annotations of one code each, n reports
            assert!(steps <= 3 * n, "{n} annotations: {steps} steps");
            // every finding kept (ADFPG021 is not among the codes), and one report per annotation
            assert_eq!(kept.len(), 2 * n);
            assert!(kept.iter().all(|f| f.resource.as_deref() == Some("pg")));
        }
    }
}
