//! Atomic replacement of a file: temp file in the same directory (owner-only until complete, then the
//! original's mode and owner), fsync, check that the original did not change since we read it, rename over
//! it, fsync the directory. A crash at any moment leaves either the old bytes or the new bytes, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub fn replace_atomically(path: &Path, original: &[u8], new: &[u8]) -> io::Result<()> {
    // a symlink named on the command line: write its target, keep the link (renaming over the link
    // would replace it with a regular file)
    let resolved;
    let path = if fs::symlink_metadata(path)?.file_type().is_symlink() {
        resolved = fs::canonicalize(path)?;
        resolved.as_path()
    } else {
        path
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let meta = fs::metadata(path)?;
    if meta.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "file is read-only",
        ));
    }
    // by its mode bits, as for the file: root could write there, but the owner said no
    if fs::metadata(dir)?.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "its directory is read-only",
        ));
    }
    let (tmp_path, mut tmp) = create_temp(dir, path)?;
    let result = (|| {
        tmp.write_all(new)?;
        tmp.set_permissions(meta.permissions())?;
        // keep the owner too (matters when root fixes someone else's checkout); only root may change
        // it, and for anyone else the temp file's owner is already theirs
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let _ = std::os::unix::fs::fchown(&tmp, Some(meta.uid()), Some(meta.gid()));
        }
        tmp.sync_all()?;
        #[cfg(test)]
        hook::before_compare(path);
        // compare just before the rename: another writer may have changed the file meanwhile
        let current = fs::read(path)?;
        if current == new {
            // another run already wrote exactly this: nothing to do
            return Ok(false);
        }
        if current != original {
            return Err(io::Error::other(
                "the file changed on disk since it was read; not overwritten",
            ));
        }
        fs::rename(&tmp_path, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(true)
    })();
    if !matches!(result, Ok(true)) {
        let _ = fs::remove_file(&tmp_path);
    }
    remove_stale_temps_once(dir);
    result.map(|_| ())
}

/// A run killed between creating its temp file and the rename (SIGKILL, Ctrl-C, power loss) leaves the
/// temp file behind: hidden, never a `*.json`, so no run reads it, but `git status` shows it. The first
/// write into a directory in a run removes such leftovers there: names of our exact pattern whose process
/// is gone (checked through /proc where there is one) and that are over a minute old; without /proc, over
/// an hour old. A live run's temp file exists for milliseconds and is never touched.
fn remove_stale_temps_once(dir: &Path) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static CLEANED: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let first = CLEANED
        .get_or_init(Mutex::default)
        .lock()
        .map(|mut done| done.insert(dir.to_path_buf()))
        .unwrap_or(false);
    if !first {
        return;
    }
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let proc_fs = Path::new("/proc/self").exists();
    for e in entries.flatten() {
        let Some(pid) = temp_pid(&e.file_name().to_string_lossy()) else {
            continue;
        };
        let age = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .unwrap_or_default();
        let stale = if proc_fs {
            pid != std::process::id()
                && !Path::new(&format!("/proc/{pid}")).exists()
                && age > std::time::Duration::from_secs(60)
        } else {
            age > std::time::Duration::from_secs(3600)
        };
        if stale {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// The process id in a temp file name of ours, `.NAME.adfpg-PID-NANOS-ATTEMPT.tmp`.
fn temp_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tail) = rest.rsplit_once(".adfpg-")?;
    let mut parts = tail.split('-');
    let pid = parts.next()?.parse().ok()?;
    u32::from_str_radix(parts.next()?, 16).ok()?;
    parts.next()?.parse::<u32>().ok()?;
    parts.next().is_none().then_some(pid)
}

fn create_temp(dir: &Path, target: &Path) -> io::Result<(PathBuf, File)> {
    let stem = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for attempt in 0..100u32 {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let p = dir.join(format!(
            ".{stem}.adfpg-{}-{nanos:x}-{attempt}.tmp",
            std::process::id()
        ));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        // owner-only until it is complete: the file may hold secrets the original's mode protects
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        match opts.open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("could not create a temporary file"))
}

/// A test seam: run code between writing the temp file and the compare-before-rename, to play the part
/// of another writer deterministically. Compiled only into the crate's own unit tests.
#[cfg(test)]
pub(crate) mod hook {
    use std::cell::RefCell;
    use std::path::Path;

    type Hook = Box<dyn Fn(&Path)>;
    thread_local!(static BEFORE_COMPARE: RefCell<Option<Hook>> = const { RefCell::new(None) });

    pub fn set(f: Option<Hook>) {
        BEFORE_COMPARE.with(|h| *h.borrow_mut() = f);
    }

    pub fn before_compare(path: &Path) {
        BEFORE_COMPARE.with(|h| {
            if let Some(f) = h.borrow().as_ref() {
                f(path)
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_and_refuses_changed_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        fs::write(&p, "old").unwrap();
        replace_atomically(&p, b"old", b"new").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        // another run wrote the same result meanwhile: fine, nothing to write
        replace_atomically(&p, b"old", b"new").unwrap();
        let e = replace_atomically(&p, b"old", b"newer").unwrap_err();
        assert!(e.to_string().contains("changed on disk"));
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    /// The whole pipeline (`lint::process` with `--fix`): a file another writer changes after it was read
    /// is reported (ADFPG105) and keeps the other writer's bytes.
    #[test]
    fn pipeline_reports_a_file_changed_between_read_and_write() {
        use crate::lint::{FixMode, Settings, process};
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ls.json");
        let v1 = r#"{"name":"pg","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":"host=h;database=d;uid=u;password=pw;sslmode=require"}}}"#;
        fs::write(&p, v1).unwrap();
        let theirs = v1.replace("database=d", "database=theirs");
        let mut settings = Settings::builtin();
        settings.fix = FixMode::Apply {
            unsafe_fixes: false,
        };
        settings.write = true;
        let their_text = theirs.clone();
        hook::set(Some(Box::new(move |path: &Path| {
            fs::write(path, &their_text).unwrap()
        })));
        let out = process(&p, &settings);
        hook::set(None);
        assert!(out.failed);
        let f = out.findings.iter().find(|f| f.code == "ADFPG105").unwrap();
        assert!(
            f.message
                .contains("changed on disk since it was read; not overwritten"),
            "{}",
            f.message
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), theirs);
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "temp file removed"
        );
        // without the other writer the same run migrates the file
        fs::write(&p, v1).unwrap();
        let out = process(&p, &settings);
        assert!(!out.failed && out.change.is_some_and(|c| c.written));
        assert!(fs::read_to_string(&p).unwrap().contains("\"version\""));
    }

    #[test]
    fn temp_names_are_recognised() {
        assert_eq!(temp_pid(".a b.json.adfpg-4242-1f3a-0.tmp"), Some(4242));
        assert_eq!(temp_pid(".x.adfpg-1.json.adfpg-7-ff-3.tmp"), Some(7));
        for other in [
            "a.json",
            ".a.json.tmp",
            ".a.json.adfpg-x-1-0.tmp",
            ".a.json.adfpg-1-zz-0.tmp",
            ".a.json.adfpg-1-1-0-9.tmp",
            "a.json.adfpg-1-1-0.tmp",
        ] {
            assert_eq!(temp_pid(other), None, "{other}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn temp_file_is_owner_only_until_complete_and_mode_is_kept() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o640)).unwrap();
        let dir = d.path().to_path_buf();
        hook::set(Some(Box::new(move |_: &Path| {
            let tmp = fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(".tmp"))
                .unwrap();
            // set_permissions ran already; before it the mode was 0600 (checked below via create_temp)
            assert_eq!(
                fs::metadata(tmp).unwrap().permissions().mode() & 0o777,
                0o640
            );
        })));
        replace_atomically(&p, b"old", b"new").unwrap();
        hook::set(None);
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o640
        );
        let (tp, _f) = create_temp(d.path(), &p).unwrap();
        assert_eq!(
            fs::metadata(&tp).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}
