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

pub fn discover(paths: &[PathBuf], excluded: &(dyn Fn(&Path) -> bool + Sync)) -> Discovered {
    let files = std::sync::Mutex::new(Vec::new());
    let errors = visit(paths, excluded, &|p| {
        files.lock().expect("not poisoned").push(p.to_path_buf())
    });
    let mut files = files.into_inner().expect("not poisoned");
    // by bytes, not by path components: as deterministic, and much cheaper for 100,000 paths
    files.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    files.dedup();
    Discovered { files, errors }
}

/// Call `visit` for every file [`discover`] lists, from several threads and in no set order, without
/// holding the list (memory stays flat however big the tree); returns the paths that could not be
/// walked, sorted.
pub fn visit(
    paths: &[PathBuf],
    excluded: &(dyn Fn(&Path) -> bool + Sync),
    visit: &(dyn Fn(&Path) + Sync),
) -> Vec<(PathBuf, String)> {
    visit_pruned(paths, excluded, |_| false, visit)
}

/// [`visit`], not descending into folders whose name `skip_dir` accepts.
pub fn visit_pruned(
    paths: &[PathBuf],
    excluded: &(dyn Fn(&Path) -> bool + Sync),
    skip_dir: fn(&std::ffi::OsStr) -> bool,
    visit: &(dyn Fn(&Path) + Sync),
) -> Vec<(PathBuf, String)> {
    use rayon::prelude::*;
    let errors = std::sync::Mutex::new(Vec::new());
    let mut files = Vec::new();
    for p in paths {
        match std::fs::symlink_metadata(p) {
            Err(e) => errors
                .lock()
                .expect("not poisoned")
                .push((p.clone(), e.to_string())),
            Ok(m) if m.is_dir() => walk(p, excluded, skip_dir, visit, &errors),
            Ok(_) => {
                if !excluded(p) {
                    files.push(p.clone());
                }
            }
        }
    }
    files.sort();
    files.dedup();
    files.par_iter().for_each(|f| visit(f));
    let mut errors = errors.into_inner().expect("not poisoned");
    errors.sort();
    errors
}

/// ripgrep's walker, pulled by whichever rayon worker is free: entries are read as they are needed, so
/// nothing queues up however big a folder is, and both cores share the walk and the work.
fn walk(
    dir: &Path,
    excluded: &(dyn Fn(&Path) -> bool + Sync),
    skip_dir: fn(&std::ffi::OsStr) -> bool,
    visit: &(dyn Fn(&Path) + Sync),
    errors: &std::sync::Mutex<Vec<(PathBuf, String)>>,
) {
    use rayon::prelude::*;
    ignore::WalkBuilder::new(dir)
        .follow_links(false)
        .filter_entry(move |e| {
            !(e.depth() > 0 && e.file_type().is_some_and(|t| t.is_dir()) && skip_dir(e.file_name()))
        })
        .build()
        .par_bridge()
        .for_each(|entry| match entry {
            Ok(e) => {
                let is_json = e
                    .path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("json"));
                if is_json && e.file_type().is_some_and(|t| t.is_file()) && !excluded(e.path()) {
                    visit(&clean(e.path()));
                }
            }
            Err(err) => {
                // the path is printed beside the message: keep only the cause in the message
                let (path, msg) = match &err {
                    ignore::Error::WithPath { path, err } => (clean(path), io_cause(err)),
                    _ => (dir.to_path_buf(), io_cause(&err)),
                };
                let msg = crate::mask::printable(&msg).into_owned();
                errors.lock().expect("not poisoned").push((path, msg));
            }
        });
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
