//! Azure Pipelines logging commands: `##vso[task.logissue type=error|warning;sourcepath=…;linenumber=…;
//! columnnumber=…;code=…]message`, one per line. Errors and warnings become issues on the run's summary
//! page; `info` findings have no issue type and are printed as plain lines.
//!
//! - `sourcepath` is absolute, as the documentation asks.
//! - The message is escaped `%`→`%AZP25`, CR→`%0D`, LF→`%0A`; property values also `;`→`%3B`, `]`→`%5D`.
//!
//! When the agent's temp folder is known (`$AGENT_TEMPDIRECTORY`), the Markdown report is written there
//! and attached to the run with `##vso[task.uploadsummary]`.

use super::{Context, located};
use crate::finding::Severity;
use crate::report::Run;
use crate::text::{display_path, log_safe, log_safe_path};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Escape the message part of a logging command.
pub fn escape_data(s: &str) -> String {
    // (any other `##vso[` of the line, ours being first, is broken by the output guard)
    s.replace('%', "%AZP25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`sourcepath=`, `code=` …).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(';', "%3B").replace(']', "%5D")
}

pub fn render(run: &Run, cx: &Context) -> String {
    let mut out = String::new();
    for l in located(run) {
        let f = l.finding;
        let kind = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => {
                let _ = writeln!(
                    out,
                    "{}:{}:{}: {} [info] {}",
                    log_safe_path(&display_path(&l.outcome.path)),
                    l.start.0,
                    l.start.1,
                    f.code,
                    log_safe(&f.message)
                );
                continue;
            }
        };
        let mut message = format!("{} {}", f.code, f.message);
        if !f.help.is_empty() {
            message.push_str("\nhelp: ");
            message.push_str(&f.help);
        }
        let _ = writeln!(
            out,
            "##vso[task.logissue type={kind};sourcepath={};linenumber={};columnnumber={};code={};]{}",
            escape_property(&display_path(&cx.absolute(&l.outcome.path))),
            l.start.0,
            l.start.1,
            escape_property(&f.code),
            escape_data(&message)
        );
    }
    for t in &cx.turned_off {
        let _ = writeln!(
            out,
            "##vso[task.logissue type=warning;sourcepath={};linenumber={};]{}",
            escape_property(&display_path(&cx.absolute(&t.file))),
            t.line,
            escape_data(&t.message())
        );
    }
    for (p, e) in &run.walk_errors {
        let _ = writeln!(
            out,
            "##vso[task.logissue type=error;]{}",
            escape_data(&format!("{p}: {e}"))
        );
    }
    out
}

/// With `$AGENT_TEMPDIRECTORY` set: write the Markdown report there and return the
/// `##vso[task.uploadsummary]` line that attaches it to the run.
pub fn upload_summary(run: &Run, cx: &Context) -> Result<Option<String>, String> {
    let Some(dir) = std::env::var_os("AGENT_TEMPDIRECTORY").filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let dir = PathBuf::from(dir);
    // a fresh name per run: the agent reads the file when the step ends
    let file = (1..)
        .map(|n| dir.join(format!("adfpg-migrate-summary-{n}.md")))
        .find(|p| !p.exists())
        .expect("some name is free");
    let text = crate::mask::guard_output(
        &super::markdown::render(run, cx),
        crate::mask::Encoding::Text(&[]),
    );
    crate::fix::write::write_whole(&file, text.as_bytes())
        .map_err(|e| format!("cannot write the summary to {}: {e}", file.display()))?;
    Ok(Some(format!(
        "##vso[task.uploadsummary]{}\n",
        escape_data(&display_path(&file))
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("a%b\r\nc;d]"), "a%AZP25b%0D%0Ac;d]");
        assert_eq!(escape_property("a%b\nc;d]e:f,"), "a%AZP25b%0Ac%3Bd%5De:f,");
    }
}
