//! Atomic replacement of files: each gets a temp file in its directory (owner-only until complete, then
//! the original's mode and owner), the temp files are flushed to disk together, each original is checked
//! to be unchanged since it was read and replaced by a rename, and each directory is flushed once. A crash
//! at any moment leaves every file with either its old bytes or its new bytes, never a mix; a batch costs
//! a few flushes in all rather than two per file (what `--fix` on a big factory needs).

use rayon::prelude::*;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use crate::source::read::Links;

pub fn replace_atomically(
    path: &Path,
    original: &[u8],
    new: &[u8],
    links: Links,
) -> io::Result<()> {
    replace_many(&[(path, original, new)], links)
        .pop()
        .expect("one result per file")
}

/// Write a whole file the tool generates (a baseline, a report) atomically: a temp file beside it,
/// flushed, renamed over it, the folder flushed. A full disk or any other failure leaves the old file as
/// it was (a plain write would leave it truncated). An existing file keeps its mode and owner, and is
/// refused for the reasons [`replace_many`] refuses one; a symlink at the path (named on the command
/// line) is written through.
pub fn write_whole(path: &Path, new: &[u8]) -> io::Result<()> {
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path)?,
        _ => path.to_path_buf(),
    };
    let dir = parent_dir(&target);
    let existing = fs::metadata(&target).ok();
    if let Some(m) = &existing {
        refuse_unsafe_target(&target, m)?;
    }
    let (tmp, mut file) = create_temp(&dir, &target)?;
    let r = (|| {
        file.write_all(new)?;
        match &existing {
            Some(m) => keep_mode_and_owner(&file, m)?,
            None => {
                #[cfg(unix)]
                file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))?;
            }
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, &target)
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r?;
    let _ = flush_all(&[dir.as_path()], false);
    Ok(())
}

fn parent_dir(target: &Path) -> PathBuf {
    target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// The original's mode, and its owner (matters when root fixes someone else's checkout; only root may
/// change it, and for anyone else the temp file's owner is already theirs).
fn keep_mode_and_owner(file: &File, meta: &fs::Metadata) -> io::Result<()> {
    file.set_permissions(meta.permissions())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    }
    Ok(())
}

/// One file to replace: its path, the bytes it had when read, the bytes to write.
pub type Replacement<'a> = (&'a Path, &'a [u8], &'a [u8]);

/// Replace many files, each atomically (see the module docs). Returns one result per file, in order.
/// `links`: whether a symlink at a path is written through ([`Links::Follow`]: the path was named on the
/// command line) or refused ([`Links::Refuse`]: the tool found it by name).
pub fn replace_many(files: &[Replacement], links: Links) -> Vec<io::Result<()>> {
    // 1. write every temp file (closed again: thousands of open files would hit the limit)
    let mut staged: Vec<io::Result<Staged>> = files
        .par_iter()
        .map(|&(path, _, new)| stage(path, new, links))
        .collect();
    // 2. flush them all at once
    let to_flush: Vec<&Path> = staged.iter().flatten().map(|s| s.tmp.as_path()).collect();
    let mut flushed = flush_all(&to_flush, true).into_iter();
    for s in staged.iter_mut() {
        if let Ok(st) = s
            && let Some(Err(e)) = flushed.next()
        {
            let _ = fs::remove_file(&st.tmp);
            *s = Err(e);
        }
    }
    // 3. compare just before the rename: another writer may have changed the file meanwhile
    let results: Vec<io::Result<bool>> = files
        .par_iter()
        .zip(staged.par_iter())
        .map(|(&(_, original, new), staged)| {
            let st = staged
                .as_ref()
                .map_err(|e| io::Error::new(e.kind(), e.to_string()))?;
            let r = swap_in(st, original, new);
            if !matches!(r, Ok(true)) {
                let _ = fs::remove_file(&st.tmp);
            }
            r
        })
        .collect();
    // 4. make the renames durable: each directory once
    let mut dirs: Vec<&Path> = staged
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, Ok(true)))
        .filter_map(|(s, _)| s.as_ref().ok().map(|s| s.dir.as_path()))
        .collect();
    dirs.sort();
    dirs.dedup();
    let _ = flush_all(&dirs, false);
    for d in &dirs {
        remove_stale_temps_once(d);
    }
    results.into_iter().map(|r| r.map(|_| ())).collect()
}

/// A temp file written beside its target, not yet flushed.
struct Staged {
    /// The file to replace (a symlink's target: the link stays a link).
    target: PathBuf,
    dir: PathBuf,
    tmp: PathBuf,
}

fn stage(path: &Path, new: &[u8], links: Links) -> io::Result<Staged> {
    // a symlink named on the command line: write its target, keep the link (renaming over the link
    // would replace it with a regular file); one the tool found by name is never written through
    let target = if fs::symlink_metadata(path)?.file_type().is_symlink() {
        if links == Links::Refuse {
            return Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "it is a symbolic link found beside the scanned files; links are not written through",
            ));
        }
        fs::canonicalize(path)?
    } else {
        path.to_path_buf()
    };
    let dir = parent_dir(&target);
    let meta = fs::metadata(&target)?;
    refuse_unsafe_target(&target, &meta)?;
    // by its mode bits, as for the file: root could write there, but the owner said no
    if fs::metadata(&dir)?.permissions().readonly() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "its directory is read-only",
        ));
    }
    let (tmp, mut file) = create_temp(&dir, &target)?;
    let r = (|| {
        file.write_all(new)?;
        #[cfg(test)]
        hook::after_temp_write(&target, &tmp);
        // only now, complete, may the temp file get the original's (perhaps wider) mode
        keep_mode_and_owner(&file, &meta)
    })();
    match r {
        Ok(()) => Ok(Staged { target, dir, tmp }),
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Files a rename would change in ways nobody asked for are left alone: read-only ones (by their mode
/// bits, even for root), ones the runner may not write (a writable folder would let the rename replace
/// another user's file), hard-linked ones (the rename would split the link silently), and setuid/setgid
/// ones (the bits cannot be kept for another owner).
fn refuse_unsafe_target(target: &Path, meta: &fs::Metadata) -> io::Result<()> {
    let refuse = |why: &str| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            why.to_string(),
        ))
    };
    if !meta.is_file() {
        return refuse("not a regular file");
    }
    if meta.permissions().readonly() {
        return refuse("file is read-only");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
        if meta.nlink() > 1 {
            return refuse(&format!(
                "file has {} hard links; replacing it would split them, so it is left alone",
                meta.nlink()
            ));
        }
        if meta.mode() & 0o6000 != 0 {
            return refuse("file has the setuid or setgid bit; left alone");
        }
        // may this user write the file itself? (opening for writing changes nothing; O_NONBLOCK in case
        // it was swapped for a FIFO)
        if let Err(e) = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
            .open(target)
        {
            return Err(io::Error::new(
                e.kind(),
                format!("you may not write this file ({e}); it is left alone"),
            ));
        }
    }
    Ok(())
}

/// Rename the flushed temp file over its target if the target still holds `original`. `Ok(false)`:
/// another run already wrote exactly `new`, nothing to do.
fn swap_in(st: &Staged, original: &[u8], new: &[u8]) -> io::Result<bool> {
    #[cfg(test)]
    hook::before_compare(&st.target);
    // bounded: anything longer than both texts is "changed" already
    let mut current = Vec::new();
    let cap = original.len().max(new.len()) as u64;
    match crate::source::read::read_into(&st.target, cap, Links::Refuse, &mut current) {
        Ok(()) | Err(crate::source::read::ReadError::TooLarge(_)) => {}
        Err(crate::source::read::ReadError::Io(e)) => return Err(e),
    }
    if current == new {
        return Ok(false);
    }
    if current != original {
        return Err(io::Error::other(
            "the file changed on disk since it was read; not overwritten",
        ));
    }
    fs::rename(&st.tmp, &st.target)?;
    Ok(true)
}

/// fsync every file (`files`) or directory, many at once: a flush mostly waits for the disk, and waits
/// that overlap share one journal commit, so this takes a few flush times however many there are.
fn flush_all(paths: &[&Path], files: bool) -> Vec<io::Result<()>> {
    const CONCURRENT: usize = 64;
    let flush = |p: &Path| {
        // a file is opened for writing (what Windows needs to flush it); a directory read-only
        OpenOptions::new()
            .read(!files)
            .write(files)
            .open(p)?
            .sync_all()
    };
    if paths.len() <= 1 {
        return paths.iter().map(|p| flush(p)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<io::Result<()>>>> =
        paths.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..CONCURRENT.min(paths.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = paths.get(i) else { break };
                    *results[i].lock().expect("not poisoned") = Some(flush(p));
                }
            });
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .expect("not poisoned")
                .expect("every path flushed")
        })
        .collect()
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
        let (alive, limit_secs) = if proc_fs {
            let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
            (alive, 60)
        } else {
            (false, 3600)
        };
        if !alive && age > std::time::Duration::from_secs(limit_secs) {
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
    create_first_new((0..100u32).map(|attempt| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        dir.join(format!(
            ".{stem}.adfpg-{}-{nanos:x}-{attempt}.tmp",
            std::process::id()
        ))
    }))
}

/// Create the first of `names` that does not exist yet (another run's temp file may hold a name);
/// any other failure ends the attempts.
fn create_first_new(names: impl IntoIterator<Item = PathBuf>) -> io::Result<(PathBuf, File)> {
    for p in names {
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
    use std::path::{Path, PathBuf};
    use std::sync::Mutex;

    type Hook = Box<dyn Fn(&Path) + Send>;
    /// Hooks by file: the compare runs on rayon's threads, and tests running in parallel must not see
    /// each other's hooks.
    static BEFORE_COMPARE: Mutex<Vec<(PathBuf, Hook)>> = Mutex::new(Vec::new());

    /// Run `f` just before `path` (canonical) is compared; `None` removes the hook.
    pub fn set(path: &Path, f: Option<Hook>) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut hooks = BEFORE_COMPARE.lock().unwrap();
        hooks.retain(|(p, _)| *p != path);
        if let Some(f) = f {
            hooks.push((path, f));
        }
    }

    pub fn before_compare(path: &Path) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let hooks = BEFORE_COMPARE.lock().unwrap();
        if let Some((_, f)) = hooks.iter().find(|(p, _)| *p == path) {
            f(&path)
        }
    }

    /// Hooks by file, run with the temp file's path once its bytes are written, before its mode is set.
    static AFTER_TEMP_WRITE: Mutex<Vec<(PathBuf, Hook)>> = Mutex::new(Vec::new());

    /// Run `f` on `path`'s temp file right after its bytes are written; `None` removes the hook.
    pub fn set_after_temp_write(path: &Path, f: Option<Hook>) {
        let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let mut hooks = AFTER_TEMP_WRITE.lock().unwrap();
        hooks.retain(|(p, _)| *p != path);
        if let Some(f) = f {
            hooks.push((path, f));
        }
    }

    pub fn after_temp_write(target: &Path, tmp: &Path) {
        let target = std::fs::canonicalize(target).unwrap_or_else(|_| target.to_path_buf());
        let hooks = AFTER_TEMP_WRITE.lock().unwrap();
        if let Some((_, f)) = hooks.iter().find(|(p, _)| *p == target) {
            f(tmp)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One result per path, each its own: a path that cannot be opened fails alone; a folder is opened
    /// read-only (it cannot be opened for writing) and a file for writing.
    #[test]
    fn flush_all_reports_each_path() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("f.json");
        fs::write(&file, "x").unwrap();
        let missing = d.path().join("missing.json");
        for (paths, files) in [
            (vec![missing.as_path(), file.as_path()], true),
            (vec![d.path(), missing.as_path()], false),
        ] {
            let r = flush_all(&paths, files);
            assert_eq!(r.len(), 2);
            assert_eq!(
                r.iter().map(|r| r.is_ok()).collect::<Vec<_>>(),
                [paths[0] != missing, paths[1] != missing]
            );
        }
        assert!(flush_all(&[d.path()], false)[0].is_ok(), "a folder alone");
        assert!(flush_all(&[missing.as_path()], true)[0].is_err());
    }

    /// A name another file holds is skipped; any other failure is reported as it is, at once.
    #[test]
    fn temp_files_take_the_first_free_name() {
        let d = tempfile::tempdir().unwrap();
        let taken = d.path().join("taken");
        fs::write(&taken, "another run's").unwrap();
        let free = d.path().join("free");
        let (p, _) = create_first_new([taken.clone(), free.clone()]).unwrap();
        assert_eq!(p, free);
        assert_eq!(fs::read(&taken).unwrap(), b"another run's");
        let later = d.path().join("later");
        let e = create_first_new([d.path().join("no/such/folder"), later.clone()]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(!later.exists(), "no attempt after a real failure");
        let e = create_first_new([taken]).unwrap_err();
        assert!(
            e.to_string().contains("could not create a temporary file"),
            "{e}"
        );
    }

    /// The last check before writing opens the path itself without following a link: a file swapped for
    /// a symlink after it was examined is refused.
    #[cfg(unix)]
    #[test]
    fn the_write_check_does_not_follow_a_link() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.json");
        fs::write(&real, "x").unwrap();
        let link = d.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let meta = fs::metadata(&real).unwrap();
        assert!(refuse_unsafe_target(&real, &meta).is_ok());
        let e = refuse_unsafe_target(&link, &meta).unwrap_err();
        assert!(e.to_string().contains("you may not write this file"), "{e}");
    }

    #[test]
    fn replaces_and_refuses_changed_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        fs::write(&p, "old").unwrap();
        replace_atomically(&p, b"old", b"new", Links::Follow).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new");
        // another run wrote the same result meanwhile: fine, nothing to write
        replace_atomically(&p, b"old", b"new", Links::Follow).unwrap();
        let e = replace_atomically(&p, b"old", b"newer", Links::Follow).unwrap_err();
        assert!(e.to_string().contains("changed on disk"));
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }

    #[test]
    fn replaces_many_and_reports_each_file() {
        let d = tempfile::tempdir().unwrap();
        let sub = d.path().join("sub");
        fs::create_dir(&sub).unwrap();
        let paths: Vec<PathBuf> = (0..20)
            .map(|i| if i % 2 == 0 { d.path() } else { sub.as_path() }.join(format!("{i}.json")))
            .collect();
        for p in &paths {
            fs::write(p, "old").unwrap();
        }
        fs::write(&paths[3], "changed meanwhile").unwrap();
        let mut ro = fs::metadata(&paths[5]).unwrap().permissions();
        ro.set_readonly(true);
        fs::set_permissions(&paths[5], ro).unwrap();
        let items: Vec<Replacement> = paths
            .iter()
            .map(|p| (p.as_path(), &b"old"[..], &b"new"[..]))
            .collect();
        let results = replace_many(&items, Links::Follow);
        for (i, (p, r)) in paths.iter().zip(&results).enumerate() {
            match i {
                3 => assert!(
                    r.as_ref()
                        .unwrap_err()
                        .to_string()
                        .contains("changed on disk")
                ),
                5 => assert!(r.is_err()),
                _ => assert_eq!(fs::read(p).unwrap(), b"new", "{i}: {r:?}"),
            }
        }
        assert_eq!(fs::read(&paths[3]).unwrap(), b"changed meanwhile");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            11,
            "no temp file left"
        );
        assert_eq!(fs::read_dir(&sub).unwrap().count(), 10, "no temp file left");
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
        // complete and still owner-only: the bytes are all written before the mode is widened
        let seen = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let saw = seen.clone();
        hook::set_after_temp_write(
            &p,
            Some(Box::new(move |tmp: &Path| {
                assert_eq!(fs::read(tmp).unwrap(), b"new");
                assert_eq!(
                    fs::metadata(tmp).unwrap().permissions().mode() & 0o777,
                    0o600
                );
                saw.store(true, Ordering::SeqCst);
            })),
        );
        let dir = d.path().to_path_buf();
        hook::set(
            &p,
            Some(Box::new(move |_: &Path| {
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
            })),
        );
        replace_atomically(&p, b"old", b"new", Links::Follow).unwrap();
        hook::set(&p, None);
        hook::set_after_temp_write(&p, None);
        assert!(seen.load(Ordering::SeqCst), "the temp file was never seen");
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
