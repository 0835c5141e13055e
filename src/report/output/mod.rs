//! Machine-readable and CI outputs: SARIF, GitHub workflow commands, Azure Pipelines logging commands,
//! JUnit XML, a Markdown summary and per-rule statistics. Every renderer reads the same `report::Run`
//! (texts in it are already masked) plus a `Context` with what the run itself does not know: the
//! `--fail-on` threshold and the folders paths are reported against.

pub mod azure;
pub mod github;
pub mod junit;
pub mod markdown;
pub mod sarif;
pub mod statistics;

use crate::finding::Severity;
use crate::report::{self, Run};
use crate::text::{display_path, normalize};
use std::path::{Path, PathBuf};

/// What the renderers need beyond the `Run`.
#[derive(Debug, Clone)]
pub struct Context {
    /// The lowest severity that fails the run (findings below it are not JUnit failures).
    pub fail_on: Severity,
    /// The working directory, to make paths absolute.
    pub cwd: PathBuf,
    /// The folder repository-relative paths are relative to: the enclosing git work tree of `cwd`
    /// (GitHub code scanning and annotations want paths from the repository root), else `cwd`.
    pub root: PathBuf,
    /// The config's entries that turn findings off: the CI formats report each one.
    pub turned_off: Vec<crate::check::config::TurnedOff>,
}

impl Context {
    pub fn new(fail_on: Severity) -> Context {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        let root = git_root(&cwd).unwrap_or_else(|| cwd.clone());
        Context::with_root(fail_on, cwd, root)
    }

    /// Context for tests and library users: explicit folders.
    pub fn with_root(fail_on: Severity, cwd: PathBuf, root: PathBuf) -> Context {
        Context {
            fail_on,
            cwd,
            root,
            turned_off: Vec::new(),
        }
    }

    /// The absolute, lexically normalised path of a reported file.
    pub fn absolute(&self, p: &Path) -> PathBuf {
        normalize(&self.cwd.join(p))
    }

    /// The path relative to the repository root with `/` separators, or the absolute path when the file
    /// lies outside it.
    pub fn repo_relative(&self, p: &Path) -> String {
        let abs = self.absolute(p);
        match abs.strip_prefix(&self.root) {
            Ok(rel) => display_path(rel),
            Err(_) => display_path(&abs),
        }
    }
}

/// The nearest folder at or above `dir` that holds `.git` (a directory, or a file in a worktree).
pub fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

/// Cut `s` to at most `max` characters, ending with `…` when it was cut.
pub fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The findings of a run in report order, with their 1-based locations.
pub struct Located<'a> {
    pub outcome: &'a crate::pipeline::FileOutcome,
    pub finding: &'a crate::finding::Finding,
    pub start: (usize, usize),
    pub end: (usize, usize),
}

pub fn located<'a>(run: &'a Run) -> impl Iterator<Item = Located<'a>> + 'a {
    run.findings().map(|(o, f)| {
        let (start, end) = report::location(o, f);
        Located {
            outcome: o,
            finding: f,
            start,
            end,
        }
    })
}

/// The rule's name for a code, or the code itself for a code the catalog does not know.
pub fn rule_name<'a>(run: &'a Run, code: &'a str) -> &'a str {
    run.catalog.get(code).map_or(code, |r| r.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_and_relativizes() {
        let cx = Context::with_root(
            Severity::Warning,
            PathBuf::from("/repo/sub"),
            PathBuf::from("/repo"),
        );
        assert_eq!(cx.repo_relative(Path::new("a/./b.json")), "sub/a/b.json");
        assert_eq!(cx.repo_relative(Path::new("../x.json")), "x.json");
        assert_eq!(
            cx.repo_relative(Path::new("/elsewhere/y.json")),
            "/elsewhere/y.json"
        );
        assert_eq!(cx.absolute(Path::new("../../../z")), PathBuf::from("/z"));
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_chars("abc", 3), "abc");
        assert_eq!(truncate_chars("äöüß", 3), "äö…");
    }
}
