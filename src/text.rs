//! Small text and path helpers every stage may use: a path as shown, text safe in one line of a CI log.
//! They sit below everything else so that no stage reaches up to a renderer for them.

use std::path::{Component, Path, PathBuf};

/// A path for people: control and bidi characters escaped, so a file name cannot drive the terminal.
pub fn shown_path(p: &Path) -> String {
    crate::mask::printable(&display_path(p)).into_owned()
}

/// A path as it is (machine formats escape it their own way).
pub fn display_path(p: &Path) -> String {
    let s = p.to_string_lossy().replace('\\', "/");
    match s.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => s,
    }
}

/// Resolve `.` and `..` without touching the file system (the file may be gone, or a symlink).
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                // `..` above the root stays at the root; above a relative start it is kept
                if !out.pop() && !out.has_root() {
                    out.push(c);
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// Make text from the factory (names, messages, paths) safe to print as part of one line of a CI log:
/// line breaks and other control characters become spaces (GitHub reads `::command::` at the start of
/// any line, and the Azure agent splits lines on a bare CR), and `##vso[` — which the Azure agent obeys
/// anywhere in a line — is broken with an invisible word joiner.
pub fn log_safe(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.replace("##vso[", "##vso\u{2060}[")
}

/// A path at the start of a log line: like `log_safe`, and never starting with `::`.
pub fn log_safe_path(s: &str) -> String {
    let s = log_safe(s);
    if s.trim_start().starts_with("::") {
        format!("./{s}")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_cannot_carry_commands() {
        let s = log_safe("a\n::error::x\r##vso[task.setvariable variable=A]b");
        assert!(
            !s.contains('\n') && !s.contains('\r') && !s.contains("##vso["),
            "{s}"
        );
        assert_eq!(log_safe_path("::warning::x.json"), "./::warning::x.json");
        assert_eq!(log_safe_path("ls/a.json"), "ls/a.json");
    }
}
