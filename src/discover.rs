//! Which files to look at: explicit files as given (a pre-commit hook passes them), and every `*.json`
//! below a directory, walked like ripgrep walks (honours .gitignore, skips hidden entries such as `.git`,
//! does not follow symlinks). The result is sorted so that output order never depends on threads.

use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct Discovered {
    pub files: Vec<PathBuf>,
    /// Paths that could not be walked or do not exist, with the reason.
    pub errors: Vec<(PathBuf, String)>,
}

pub fn discover(paths: &[PathBuf], excluded: &dyn Fn(&Path) -> bool) -> Discovered {
    let mut out = Discovered::default();
    for p in paths {
        match std::fs::symlink_metadata(p) {
            Err(e) => out.errors.push((p.clone(), e.to_string())),
            Ok(m) if m.is_dir() => walk(p, excluded, &mut out),
            Ok(_) => {
                if !excluded(p) {
                    out.files.push(p.clone());
                }
            }
        }
    }
    out.files.sort();
    out.files.dedup();
    out
}

fn walk(dir: &Path, excluded: &dyn Fn(&Path) -> bool, out: &mut Discovered) {
    let walker = ignore::WalkBuilder::new(dir).follow_links(false).build();
    for entry in walker {
        match entry {
            Ok(e) => {
                let is_json = e
                    .path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("json"));
                if is_json && e.file_type().is_some_and(|t| t.is_file()) && !excluded(e.path()) {
                    out.files.push(clean(e.path()));
                }
            }
            Err(err) => {
                // the path is printed beside the message: keep only the cause in the message
                let (path, msg) = match &err {
                    ignore::Error::WithPath { path, err } => (clean(path), io_cause(err)),
                    _ => (dir.to_path_buf(), io_cause(&err)),
                };
                out.errors
                    .push((path, crate::mask::printable(&msg).into_owned()));
            }
        }
    }
}

/// "Permission denied (os error 13)" rather than "IO error for operation on ./x: Permission denied …".
fn io_cause(err: &ignore::Error) -> String {
    let Some(io) = err.io_error() else {
        return err.to_string();
    };
    // walkdir wraps the OS error in a message that repeats the path: take the innermost cause
    let mut cause: &dyn std::error::Error = io;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// `./a/b.json` → `a/b.json`, so that paths print the way users type them.
fn clean(p: &Path) -> PathBuf {
    p.strip_prefix(".")
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| p.to_path_buf())
}
