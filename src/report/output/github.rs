//! GitHub Actions workflow commands: one `::error` / `::warning` / `::notice` line per finding, which the
//! runner turns into annotations on the pull request's changed files.
//!
//! `::error file=PATH,line=L,endLine=L2,col=C,endColumn=C2,title=CODE name::message`, with
//! - the path relative to the repository root (absolute paths break inline display),
//! - `col`/`endColumn` only when the finding starts and ends on the same line (the runner drops the
//!   annotation otherwise),
//! - data escaped `%`→`%25`, CR→`%0D`, LF→`%0A`, and property values also `:`→`%3A`, `,`→`%2C`.
//!
//! GitHub shows only 10 errors and 10 warnings per step, so with this format the whole list also goes
//! to `$GITHUB_STEP_SUMMARY` as Markdown (see `super::markdown`).

use super::{Context, located, rule_name};
use crate::finding::Severity;
use crate::report::Run;
use std::fmt::Write as _;

/// Escape the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    // (`##vso[`, `##[` and the rest are broken by the output guard, the one sanitiser)
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`file=`, `title=` …).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn render(run: &Run, cx: &Context) -> String {
    let mut out = String::new();
    for l in located(run) {
        let f = l.finding;
        let mut props = vec![
            format!(
                "file={}",
                escape_property(&cx.repo_relative(&l.outcome.path))
            ),
            format!("line={}", l.start.0),
        ];
        let single_line = l.start.0 == l.end.0;
        if !single_line {
            props.push(format!("endLine={}", l.end.0));
        } else {
            props.push(format!("endLine={}", l.start.0));
            props.push(format!("col={}", l.start.1));
            if !f.span.is_empty() {
                props.push(format!("endColumn={}", l.end.1));
            }
        }
        props.push(format!(
            "title={}",
            escape_property(&format!("{} {}", f.code, rule_name(run, &f.code)))
        ));
        let mut message = f.message.clone();
        if !f.help.is_empty() {
            message.push_str("\nhelp: ");
            message.push_str(&f.help);
        }
        let _ = writeln!(
            out,
            "::{} {}::{}",
            command(f.severity),
            props.join(","),
            escape_data(&message)
        );
    }
    for t in &cx.turned_off {
        let _ = writeln!(
            out,
            "::warning file={},line={},title=adfpg-migrate configuration::{}",
            escape_property(&cx.repo_relative(&t.file)),
            t.line,
            escape_data(&t.message())
        );
    }
    for (p, e) in &run.walk_errors {
        let _ = writeln!(
            out,
            "::error title=adfpg-migrate::{}",
            escape_data(&format!("{p}: {e}"))
        );
    }
    out
}

/// Append the Markdown report to `$GITHUB_STEP_SUMMARY` when the runner set it.
pub fn write_step_summary(run: &Run, cx: &Context) -> Result<(), String> {
    let Some(file) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|v| !v.is_empty()) else {
        return Ok(());
    };
    use std::io::Write;
    // shown on the run's page: through the output guard as every other output
    let text = crate::mask::guard_output(
        &super::markdown::render(run, cx),
        crate::mask::Encoding::Text(&[]),
    );
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&file)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| {
            format!(
                "cannot write the step summary to {}: {e}",
                std::path::Path::new(&file).display()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\r\nc:d,e"), "a%25b%0D%0Ac:d,e");
        assert_eq!(escape_property("a%b\nc:d,e;f]"), "a%25b%0Ac%3Ad%2Ce;f]");
    }
}
