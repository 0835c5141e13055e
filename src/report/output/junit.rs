//! JUnit XML for test-result viewers (Azure DevOps "Publish Test Results", GitLab, Jenkins): one
//! `<testcase>` per file that was checked (files the prefilter skipped are not listed), one `<failure>` per
//! finding at or above `--fail-on` (so the test outcome agrees with the exit code), and every finding of
//! the file in `<system-out>`.
//!
//! Azure DevOps reads only the first `<failure>` of a test case; findings are ordered worst first, and the
//! complete list is in `<system-out>`, which Azure attaches to the result.

use super::{Context, rule_name};
use crate::report::{Run, location};
use crate::text::display_path;
use std::fmt::Write as _;

/// Escape text for an XML 1.0 attribute or element; characters XML 1.0 cannot carry become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escape element text: markup characters and what XML 1.0 cannot carry; quotes and line breaks stay.
fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#13;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

pub fn render(run: &Run, cx: &Context) -> String {
    let cases: Vec<_> = run
        .outcomes
        .iter()
        .filter(|o| o.relevant || !o.findings.is_empty())
        .collect();
    let failed = cases
        .iter()
        .filter(|o| !o.failed && o.findings.iter().any(|f| f.severity >= cx.fail_on))
        .count();
    let errors = cases.iter().filter(|o| o.failed).count() + run.walk_errors.len();
    // the config's entries that turn findings off: one failing case each, whatever `fail-on` says
    // (the config may raise it too)
    let failed = failed + cx.turned_off.len();
    let tests = cases.len() + run.walk_errors.len() + cx.turned_off.len();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"adfpg-migrate\" tests=\"{tests}\" failures=\"{failed}\" errors=\"{errors}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"adfpg-migrate\" tests=\"{tests}\" failures=\"{failed}\" errors=\"{errors}\" skipped=\"0\">"
    );
    for o in cases {
        let path = display_path(&o.path);
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"adfpg-migrate\" file=\"{}\"",
            escape(&path),
            escape(&path)
        );
        if o.findings.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        let mut findings: Vec<_> = o.findings.iter().collect();
        // worst first, then file order (Azure shows the first failure only)
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let mut all = String::new();
        for f in &findings {
            let ((l, c), _) = location(o, f);
            let line = format!(
                "{path}:{l}:{c}: {} [{}] {}",
                f.code,
                f.severity.as_str(),
                f.message
            );
            let _ = writeln!(all, "{line}");
            if f.severity < cx.fail_on && !o.failed {
                continue;
            }
            let element = if o.failed { "error" } else { "failure" };
            let mut body = line.clone();
            if !f.help.is_empty() {
                let _ = write!(body, "\nhelp: {}", f.help);
            }
            let _ = write!(
                body,
                "\nrule: {} {} (adfpg-migrate rule {})",
                f.code,
                rule_name(run, &f.code),
                f.code
            );
            let _ = writeln!(
                out,
                "      <{element} type=\"{}\" message=\"{}\">{}</{element}>",
                escape(&f.code),
                escape(&format!(
                    "{} [{}] {}",
                    f.code,
                    f.severity.as_str(),
                    f.message
                )),
                escape_text(&body)
            );
        }
        let _ = writeln!(out, "      <system-out>{}</system-out>", escape_text(&all));
        out.push_str("    </testcase>\n");
    }
    for t in &cx.turned_off {
        let file = cx.repo_relative(&t.file);
        let message = t.message();
        let _ = writeln!(
            out,
            "    <testcase name=\"{}:{}\" classname=\"adfpg-migrate.configuration\" file=\"{}\">\n      <failure type=\"configuration\" message=\"{}\">{}:{}: {}</failure>\n    </testcase>",
            escape(&file),
            t.line,
            escape(&file),
            escape(&message),
            escape_text(&file),
            t.line,
            escape_text(&message)
        );
    }
    for (p, e) in &run.walk_errors {
        let _ = writeln!(
            out,
            "    <testcase name=\"{}\" classname=\"adfpg-migrate\">\n      <error message=\"{}\"/>\n    </testcase>",
            escape(p),
            escape(e)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_control_characters() {
        assert_eq!(
            escape("a<b>&\"c'\n\u{1}"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;\u{FFFD}"
        );
    }
}
