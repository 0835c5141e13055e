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
/// line breaks and other control characters become spaces (a message stays readable on its one line),
/// then the one sanitiser ([`crate::mask::printable`]) breaks what a runner would obey and escapes what
/// a reader would not see.
pub fn log_safe(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    crate::mask::printable(&flat).into_owned()
}

/// A path at the start of a log line: like `log_safe`, and never starting with `::`.
pub fn log_safe_path(s: &str) -> String {
    if s.trim_start().starts_with("::") {
        log_safe(&format!("./{s}"))
    } else {
        log_safe(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_cannot_carry_commands() {
        let s = log_safe("a\n::error::x\r##vso[task.setvariable variable=A]b ##[error]c \u{200b}");
        assert_eq!(
            s,
            "a ::error::x ##vso\\u{5b}task.setvariable variable=A]b ##\\u{5b}error]c \\u{200b}"
        );
        assert_eq!(log_safe_path("::warning::x.json"), "./::warning::x.json");
        assert_eq!(log_safe_path("ls/a.json"), "ls/a.json");
    }
}
