//! A Markdown summary fit for a pull-request comment or `$GITHUB_STEP_SUMMARY`: the totals, a table of the
//! linked services (file, connector version, status, findings, the changes `--fix` would make), and every
//! finding in a collapsed list. Text from the factory (names, messages, paths) is escaped so that it
//! cannot add markup, links or HTML.

use super::{Context, located};
use crate::finding::{Finding, Safety, Severity};
use crate::pipeline::FileOutcome;
use crate::report::{Mode, Run};
use crate::source::adf::Version;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Rows per table before the rest is summarised (GitHub comments hold 65,536 characters).
pub const MAX_ROWS: usize = 300;

/// Escape text for a table cell: Markdown punctuation is backslash-escaped (no emphasis, links, code
/// spans, issue references or @mentions), `<`/`>`/`&` become entities (no HTML), `|` cannot end the cell,
/// and line breaks become spaces.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' | '\n' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '@' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A name or path as a code span in a table cell: nothing inside is markup; `|` is escaped as GFM tables
/// require even inside code, and the fence is longer than any run of backticks in the text.
pub fn code(s: &str) -> String {
    let s: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace('|', "\\|");
    let longest = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// Text that marks names as code spans with backticks (messages, fix titles: `linked service `Pg``):
/// each backticked part becomes a code span ([`code`]), the rest is escaped ([`escape`]), so the text
/// renders as written and can still add no markup. An unpaired backtick is escaped text.
pub fn inline(s: &str) -> String {
    let parts: Vec<&str> = s.split('`').collect();
    let mut out = String::with_capacity(s.len() + 8);
    for (i, part) in parts.iter().enumerate() {
        let is_code = i % 2 == 1 && i + 1 < parts.len();
        if is_code {
            out.push_str(&code(part));
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&escape(part));
        }
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn status(findings: &[&Finding]) -> String {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let (e, w, i) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let mut parts = Vec::new();
    if e > 0 {
        parts.push(plural(e, "error", "errors"));
    }
    if w > 0 {
        parts.push(plural(w, "warning", "warnings"));
    }
    if i > 0 {
        parts.push(format!("{i} info"));
    }
    let icon = if e > 0 {
        "❌"
    } else if w > 0 {
        "⚠️"
    } else if i > 0 {
        "ℹ️"
    } else {
        "✅"
    };
    if parts.is_empty() {
        format!("{icon} ok")
    } else {
        format!("{icon} {}", parts.join(", "))
    }
}

fn codes(findings: &[&Finding]) -> String {
    let mut by_code: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *by_code.entry(&f.code).or_default() += 1;
    }
    let list: Vec<String> = by_code
        .into_iter()
        .map(|(c, n)| {
            if n == 1 {
                escape(c)
            } else {
                format!("{} ×{n}", escape(c))
            }
        })
        .collect();
    if list.is_empty() {
        "—".into()
    } else {
        list.join(", ")
    }
}

/// The fixes `--fix` would make (the dry run's, follow-up rounds included) to the linked service `name`,
/// or with `None` to the rest of the file; unsafe ones say so, and so do the unsafe fixes of `findings`
/// that need `--unsafe-fixes`.
fn planned(run: &Run, o: &FileOutcome, name: Option<&str>, findings: &[&Finding]) -> String {
    let mut list: Vec<String> = Vec::new();
    let ours = |a: &crate::pipeline::Applied| match name {
        Some(n) => a.resource.as_deref() == Some(n),
        None => !o
            .linked_services
            .iter()
            .any(|l| a.resource.as_deref() == Some(l.name.as_str())),
    };
    for a in o.change.iter().flat_map(|c| &c.applied).filter(|a| ours(a)) {
        let mut s = inline(&a.title);
        // an unsafe fix's title already says so, with the reason: say it once
        if a.safety != Safety::Safe && !a.title.contains("(unsafe") {
            s.push_str(" (unsafe)");
        }
        if !list.contains(&s) {
            list.push(s);
        }
    }
    let held_back = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|x| x.safety == Safety::Unsafe && !run.unsafe_fixes);
    for x in held_back {
        let s = if x.title.contains("(unsafe") {
            format!("{}, needs `--unsafe-fixes`", inline(&x.title))
        } else {
            format!("{} (unsafe: needs `--unsafe-fixes`)", inline(&x.title))
        };
        if !list.contains(&s) {
            list.push(s);
        }
    }
    if list.is_empty() {
        "—".into()
    } else {
        list.join("; ")
    }
}

fn applied(o: &FileOutcome) -> String {
    match o.change.as_ref().filter(|c| c.written) {
        Some(c) => {
            let list: Vec<String> = c
                .applied
                .iter()
                .map(|a| match a.safety {
                    Safety::Safe => escape(&a.code),
                    _ => format!("{} (unsafe)", escape(&a.code)),
                })
                .collect();
            format!("fixed: {}", list.join(", "))
        }
        None => "—".into(),
    }
}

pub fn render(run: &Run, cx: &Context) -> String {
    let mut out = totals(run, cx);
    let changes = if run.mode == Mode::Fix {
        "Changes applied"
    } else {
        "Planned changes"
    };
    let rows = rows(run, cx);
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "\n| Linked service | File | Version | Status | Findings | {changes} |\n| --- | --- | --- | --- | --- | --- |"
        );
        for r in rows.iter().take(MAX_ROWS) {
            let _ = writeln!(out, "{r}");
        }
        if rows.len() > MAX_ROWS {
            let _ = writeln!(out, "\n… and {} more rows.", rows.len() - MAX_ROWS);
        }
    }

    out.push_str(&details(run, cx));
    for (p, e) in &run.walk_errors {
        let _ = writeln!(out, "\n**error**: {}: {}", escape(p), escape(e));
    }
    out
}

/// The headline: what was scanned, the findings, what `--fix` would do (or did), the baseline.
fn totals(run: &Run, cx: &Context) -> String {
    let s = run.summary();
    let mut out = String::from("## adfpg-migrate\n\n");
    let _ = write!(
        out,
        "Scanned {} ({} parsed): {}{}. ",
        plural(s.files_scanned, "file", "files"),
        s.files_parsed,
        crate::report::connector_counts(&s, "**"),
        match s.template_copies {
            0 => String::new(),
            n => format!(
                ", with {}",
                plural(n, "copy in ARM templates", "copies in ARM templates")
            ),
        }
    );
    let total = s.errors + s.warnings + s.infos;
    if total == 0 {
        out.push_str("No findings.");
    } else {
        let _ = write!(
            out,
            "**{}**: {}, {}, {} info.",
            plural(total, "finding", "findings"),
            plural(s.errors, "error", "errors"),
            plural(s.warnings, "warning", "warnings"),
            s.infos
        );
        if s.fixable_unsafe > 0 && !run.unsafe_fixes {
            let _ = write!(
                out,
                " {} more with an unsafe fix (`--unsafe-fixes`).",
                s.fixable_unsafe
            );
        }
        if s.suggestions > 0 {
            let _ = write!(
                out,
                " {} with a suggested change that `--fix` does not apply.",
                s.suggestions
            );
        }
    }
    out.push('\n');
    match run.mode {
        Mode::Fix => {
            let _ = writeln!(
                out,
                "\n`--fix` changed {}.",
                plural(s.files_changed, "file", "files")
            );
        }
        // the dry run's counts: what `--fix` with the same options then applies
        Mode::Lint if s.fixes_applied == 0 => {}
        Mode::Lint | Mode::Check | Mode::Diff => {
            let _ = writeln!(
                out,
                "\n`--fix{}` would apply {} to {}.",
                if run.unsafe_fixes {
                    " --unsafe-fixes"
                } else {
                    ""
                },
                plural(s.fixes_applied, "fix", "fixes"),
                plural(s.files_changed, "file", "files")
            );
        }
    }
    for t in &cx.turned_off {
        let _ = writeln!(
            out,
            "\n⚠️ {}: {}",
            code(&format!("{}:{}", cx.repo_relative(&t.file), t.line)),
            escape(&t.message())
        );
    }
    if let Some((b, file)) = run
        .baseline
        .as_ref()
        .and_then(|b| b.file.as_ref().map(|f| (b, f)))
    {
        let _ = writeln!(
            out,
            "\nBaseline {}: {} already listed (not shown); {} no longer found.",
            code(file),
            plural(b.matched, "finding", "findings"),
            plural(b.fixed.len(), "entry", "entries")
        );
    }

    out
}

/// One table row per linked service (and one for a file's other findings).
fn rows(run: &Run, cx: &Context) -> Vec<String> {
    let mut rows = Vec::new();
    for o in &run.outcomes {
        let path = code(&cx.repo_relative(&o.path));
        let mut claimed = vec![false; o.findings.len()];
        for seen in &o.linked_services {
            let (name, v) = (&seen.name, &seen.version);
            let mine: Vec<&Finding> = o
                .findings
                .iter()
                .enumerate()
                .filter(|(_, f)| f.resource.as_deref() == Some(name.as_str()))
                .map(|(i, f)| {
                    claimed[i] = true;
                    f
                })
                .collect();
            let migration = run.catalog.migration_code(seen.connector);
            let fixed_v1 = *v == Version::V1
                && o.change.as_ref().is_some_and(|c| {
                    c.written
                        && c.applied
                            .iter()
                            .any(|a| Some(&a.code) == migration.as_ref())
                });
            let shown = if fixed_v1 {
                format!(
                    "{} → {}",
                    seen.connector.labels[0], seen.connector.labels[1]
                )
            } else {
                seen.version_label().to_string()
            };
            rows.push(format!(
                "| {} | {path} | {} | {} | {} | {} |",
                code(name),
                shown,
                status(&mine),
                codes(&mine),
                if run.mode == Mode::Fix {
                    applied(o)
                } else {
                    planned(run, o, Some(name), &mine)
                }
            ));
        }
        let rest: Vec<&Finding> = o
            .findings
            .iter()
            .zip(&claimed)
            .filter(|(_, c)| !**c)
            .map(|(f, _)| f)
            .collect();
        if !rest.is_empty() {
            rows.push(format!(
                "| — | {path} | — | {} | {} | {} |",
                status(&rest),
                codes(&rest),
                if run.mode == Mode::Fix {
                    applied(o)
                } else {
                    planned(run, o, None, &rest)
                }
            ));
        }
    }
    rows
}

/// Every finding, in a collapsed table.
fn details(run: &Run, cx: &Context) -> String {
    let mut out = String::new();
    let s = run.summary();
    let total = s.errors + s.warnings + s.infos;
    if total > 0 {
        let _ = writeln!(
            out,
            "\n<details><summary>{}</summary>\n\n| Severity | Code | Location | Message |\n| --- | --- | --- | --- |",
            plural(total, "finding", "findings")
        );
        for l in located(run).take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                l.finding.severity.as_str(),
                l.finding.code,
                code(&format!(
                    "{}:{}:{}",
                    cx.repo_relative(&l.outcome.path),
                    l.start.0,
                    l.start.1
                )),
                inline(&l.finding.message)
            );
        }
        if total > MAX_ROWS {
            let _ = writeln!(out, "\n… and {} more.", total - MAX_ROWS);
        }
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape("a|b <img src=x> [l](https://u) `c`\n*d*"),
            "a\\|b &lt;img src=x&gt; \\[l\\](https://u) \\`c\\` \\*d\\*"
        );
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x`y"), "``x`y``");
        assert_eq!(code("`y"), "`` `y ``");
    }
}
