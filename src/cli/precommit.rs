//! Running from a pre-commit hook, which passes the staged file names as arguments.
//!
//! - Files outside the usual folders (`package.json`, editor settings, ARM templates …) need no special
//!   case: files that do not contain `AzurePostgreS` are never parsed and produce no output.
//! - A file in the list may no longer exist (deleted or renamed in the commit, `pre-commit run --files`).
//!   With `--skip-missing-files` (the hooks pass it) an explicit path that does not exist is skipped
//!   quietly *when its name ends in `.json`*; any other missing path — a mistyped folder, say — is
//!   still an error (exit 2). Without the flag every missing path is an error, so a typo on the command
//!   line is never hidden.
//! - The names come from the repository, so a pull request chooses them. The hooks pass `--` before
//!   them; and whoever runs the tool, an argument taken for an option that also names an existing file
//!   (`--baseline=x.json`, `-oreport.sarif`, a file named `--fix`) is refused: which was meant cannot be
//!   told, and either reading turns the hook into something else. Under `--skip-missing-files` (the
//!   hooks' entry: the tool runs as a hook) a file name that starts with `-` and a link to a file
//!   outside the repository are refused too; elsewhere such a link is checked (and fixed) where it
//!   points, and the run says so.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

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

/// The arguments (before `--`) that read as options but name an existing file or folder.
pub fn options_naming_files(args: impl IntoIterator<Item = OsString>) -> Vec<String> {
    args.into_iter()
        .take_while(|a| a != "--")
        .filter(|a| a.to_string_lossy().starts_with('-'))
        .filter(|a| std::fs::symlink_metadata(a).is_ok())
        .map(|a| a.to_string_lossy().into_owned())
        .collect()
}

/// Refuse a run whose arguments include an option that names an existing file (see the module docs).
pub fn refuse_options_naming_files(args: impl IntoIterator<Item = OsString>) -> Result<(), String> {
    let found = options_naming_files(args);
    if found.is_empty() {
        return Ok(());
    }
    let shown: Vec<String> = found
        .iter()
        .map(|a| format!("`{}`", crate::mask::printable(a)))
        .collect();
    Err(format!(
        "{} {} both an option and a file here (pre-commit passes file names as they are): refused, nothing was checked; rename the file, or pass `--` before the file names (hooks: `args: [..., --]`)",
        shown.join(", "),
        if found.len() == 1 { "is" } else { "are" }
    ))
}

/// A path named on the command line that is a link to a file outside its repository (the nearest
/// folder holding `.git`, else the working directory): the link and where it points.
pub fn link_out_of_repository(path: &Path) -> Option<PathBuf> {
    if !std::fs::symlink_metadata(path)
        .ok()?
        .file_type()
        .is_symlink()
    {
        return None;
    }
    let abs = crate::text::normalize(&std::path::absolute(path).ok()?);
    let folder = abs.parent()?;
    let root = folder
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok())?;
    let root = std::fs::canonicalize(root).ok()?;
    let target = std::fs::canonicalize(path).ok()?;
    (!target.starts_with(&root)).then_some(target)
}

/// As a hook (`--skip-missing-files`): refuse file names that start with `-` and links to files
/// outside the repository. Otherwise: the warnings to print for such links.
pub fn check_paths(paths: &[PathBuf], hook: bool) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    for p in paths {
        let shown = crate::text::shown_path(p);
        if hook && p.to_string_lossy().starts_with('-') {
            return Err(format!(
                "`{shown}`: a file name that starts with `-` is refused from a pre-commit hook (it reads as an option); rename it"
            ));
        }
        if let Some(target) = link_out_of_repository(p) {
            let target = crate::text::shown_path(&target);
            if hook {
                return Err(format!(
                    "`{shown}` is a link to {target}, outside the repository: refused from a pre-commit hook, nothing was checked"
                ));
            }
            warnings.push(format!(
                "{shown} is a link to {target}, outside the repository: that file is checked (and with --fix written) there"
            ));
        }
    }
    Ok(warnings)
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
