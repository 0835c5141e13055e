//! `--statistics`: how many findings each rule produced, most frequent first (as ruff prints it).

use super::rule_name;
use crate::finding::Severity;
use crate::report::Run;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub count: usize,
    /// Findings whose fix `--fix` applies (with `--unsafe-fixes` when it was given).
    pub fixable: usize,
}

pub fn rows(run: &Run) -> Vec<Row> {
    let mut by_code: BTreeMap<&str, Row> = BTreeMap::new();
    for (_, f) in run.findings() {
        let row = by_code.entry(&f.code).or_insert_with(|| Row {
            code: f.code.clone(),
            name: rule_name(run, &f.code).to_string(),
            severity: f.severity,
            count: 0,
            fixable: 0,
        });
        row.count += 1;
        row.severity = row.severity.max(f.severity);
        if f.fix
            .as_ref()
            .is_some_and(|x| x.safety.applied_by_fix(run.unsafe_fixes))
        {
            row.fixable += 1;
        }
    }
    let mut rows: Vec<Row> = by_code.into_values().collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    rows
}

pub fn text(run: &Run) -> String {
    let rows = rows(run);
    let mut out = String::new();
    if rows.is_empty() {
        return out;
    }
    let _ = writeln!(
        out,
        "{:>5}  {:<9} {:<8} {:<7} name",
        "count", "code", "severity", "fixable"
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "{:>5}  {:<9} {:<8} {:<7} {}",
            r.count,
            r.code,
            r.severity.as_str(),
            r.fixable,
            r.name
        );
    }
    out
}

pub fn json(run: &Run) -> String {
    serde_json::to_string_pretty(&rows(run)).expect("statistics serialise") + "\n"
}
