//! Running from a pre-commit hook, which passes the staged file names as arguments.
//!
//! - Files outside the usual folders (`package.json`, editor settings, ARM templates …) need no special
//!   case: files that do not contain `AzurePostgreS` are never parsed and produce no output.
//! - A file in the list may no longer exist (deleted or renamed in the commit, `pre-commit run --files`).
//!   With `--skip-missing-files` (the hooks pass it) an explicit path that does not exist is skipped
//!   quietly *when its name ends in `.json`*; any other missing path — a mistyped directory, say — is
//!   still an error (exit 2). Without the flag every missing path is an error, so a typo on the command
//!   line is never hidden.

use std::path::Path;

/// Is `path`, which could not be found, one that `--skip-missing-files` skips quietly?
pub fn skippable_missing(path: &Path) -> bool {
    let missing = matches!(
        std::fs::symlink_metadata(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound
    );
    missing
        && path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_missing_json_files_are_skippable() {
        let dir = std::env::temp_dir();
        assert!(skippable_missing(&dir.join("adfpg-no-such-file-7.json")));
        assert!(skippable_missing(&dir.join("no-such-dir-7/x.JSON")));
        assert!(!skippable_missing(&dir.join("adfpg-no-such-dir-7")));
        assert!(!skippable_missing(&dir));
    }
}
