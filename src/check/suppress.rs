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
    used: bool,
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
                used: false,
            });
        }
    }
    if sups.is_empty() {
        return findings;
    }
    let mut kept = Vec::new();
    for f in findings {
        let hit = sups
            .iter_mut()
            .find(|s| Some(s.ls.as_str()) == f.resource.as_deref() && s.codes.contains(&f.code));
        match hit {
            Some(s) => s.used = true,
            None => kept.push(f),
        }
    }
    for s in &sups {
        let codes = s.codes.join(",");
        if s.reason.is_empty() {
            kept.extend(report(
                "suppression-without-reason",
                s.span.clone(),
                format!(
                    "suppression `{codes}` on linked service `{}` gives no reason",
                    s.ls
                ),
            ));
        }
        let unknown: Vec<&String> = s
            .codes
            .iter()
            .filter(|c| catalog.get(c).is_none())
            .collect();
        if !unknown.is_empty() || s.codes.is_empty() {
            kept.extend(report(
                "unused-suppression",
                s.span.clone(),
                format!(
                    "suppression on linked service `{}` names no known rule code ({codes:?})",
                    s.ls
                ),
            ));
        } else if !s.used {
            kept.extend(report(
                "unused-suppression",
                s.span.clone(),
                format!(
                    "suppression `{codes}` on linked service `{}` suppresses nothing: remove it",
                    s.ls
                ),
            ));
        }
    }
    kept.iter_mut()
        .filter(|f| f.resource.is_none())
        .for_each(|f| {
            if let Some(s) = sups.iter().find(|s| s.span == f.span) {
                f.resource = Some(s.ls.clone());
                f.pointer = s.pointer.clone();
            }
        });
    kept
}
