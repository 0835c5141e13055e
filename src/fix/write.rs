//! Atomic replacement of files: each gets a temp file in its directory (owner-only until complete, then
//! the original's mode and owner), the temp files are flushed to disk together, each original is checked
//! to be unchanged since it was read and replaced by a rename, and each directory is flushed once. A crash
//! at any moment leaves every file with either its old bytes or its new bytes, never a mix; a batch costs
//! a few flushes in all rather than two per file (what `--fix` on a big factory needs).
//!
//! Every step goes through the file's folder as [`Folder`] opened it: never through a link below the
//! working directory or a path the command line named, and refused when the folder is no longer the one
//! the replacement started in (a folder swapped for a link while the run writes).

use super::folder::Folder;
use rayon::prelude::*;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

pub use super::folder::trust as trust_roots;
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

/// Write a whole file the tool generates (a report, a baseline, a summary) atomically, with the same
/// protections as a fixed file: a temp file beside it, flushed, renamed over it, the folder flushed; a
/// full disk or any other failure leaves the old file as it was. The path is never written through a
/// link — not at the file (a link committed where a CI recipe writes its report), not at a folder
/// below the working directory — and an existing file must be a regular one this user may write (see
/// [`replace_many`]); it keeps its mode and owner.
pub fn write_whole(path: &Path, new: &[u8]) -> io::Result<()> {
    let (dir, name) = split(path)?;
    let folder = Folder::open(&dir)?;
    let existing = match folder.read(&name) {
        Ok(f) => Some(f.metadata()?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(refused_at(&folder, &name, e)),
    };
    if let Some(m) = &existing {
        refuse_unsafe_target(&folder, &name, m)?;
    }
    let (tmp, mut file) = create_temp(&folder, &name)?;
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
        folder.rename(&tmp, &name)
    })();
    if r.is_err() {
        let _ = folder.remove(&tmp);
    }
    r?;
    let _ = folder.sync();
    Ok(())
}

/// A path's folder and file name.
fn split(path: &Path) -> io::Result<(PathBuf, PathBuf)> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    Ok((parent_dir(path), PathBuf::from(name)))
}

fn parent_dir(target: &Path) -> PathBuf {
    target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf()
}

/// Opening the file itself failed: a link there (refused, never followed), or another error.
fn refused_at(folder: &Folder, name: &Path, e: io::Error) -> io::Error {
    let link =
        fs::symlink_metadata(folder.path().join(name)).is_ok_and(|m| m.file_type().is_symlink());
    if link {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            "it is a symbolic link; nothing is written through a link",
        )
    } else {
        e
    }
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
    let to_flush: Vec<&Staged> = staged.iter().flatten().collect();
    let mut flushed = flush_all(&to_flush, |st| {
        let f = st.folder.reopen()?.write(&st.tmp)?;
        f.sync_all()?;
        #[cfg(test)]
        hook::flushed(&st.folder.path().join(&st.name));
        Ok(())
    })
    .into_iter();
    for s in staged.iter_mut() {
        if let Ok(st) = s
            && let Some(Err(e)) = flushed.next()
        {
            let _ = st.folder.remove(&st.tmp);
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
                let _ = st.folder.remove(&st.tmp);
            }
            r
        })
        .collect();
    // 4. make the renames durable: each directory once
    let mut dirs: Vec<&Folder> = Vec::new();
    for (s, _) in staged
        .iter()
        .zip(&results)
        .filter(|(_, r)| matches!(r, Ok(true)))
    {
        if let Ok(st) = s
            && !dirs.iter().any(|d| d.path() == st.folder.path())
        {
            dirs.push(&st.folder);
        }
    }
    let _ = flush_all(&dirs, |d| {
        d.reopen()?.sync()?;
        #[cfg(test)]
        hook::flushed(d.path());
        Ok(())
    });
    for d in &dirs {
        remove_stale_temps_once(d);
    }
    results.into_iter().map(|r| r.map(|_| ())).collect()
}

/// A temp file written beside its target, not yet flushed.
struct Staged {
    /// Its folder, as opened when the temp file was made there; each later step checks it is the same.
    folder: Folder,
    /// The file to replace, in the folder (a symlink's target: the link stays a link).
    name: PathBuf,
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
    let (dir, name) = split(&target)?;
    let folder = Folder::open(&dir)?;
    let meta = folder
        .read(&name)
        .map_err(|e| refused_at(&folder, &name, e))?
        .metadata()?;
    refuse_unsafe_target(&folder, &name, &meta)?;
    // by its mode bits, as for the file: root could write there, but the owner said no
    if folder.read_only()? {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "its directory is read-only",
        ));
    }
    let (tmp, mut file) = create_temp(&folder, &name)?;
    let r = (|| {
        file.write_all(new)?;
        #[cfg(test)]
        hook::after_temp_write(&target, &folder.path().join(&tmp));
        // only now, complete, may the temp file get the original's (perhaps wider) mode
        keep_mode_and_owner(&file, &meta)
    })();
    match r {
        Ok(()) => Ok(Staged { folder, name, tmp }),
        Err(e) => {
            let _ = folder.remove(&tmp);
            Err(e)
        }
    }
}

/// Files a rename would change in ways nobody asked for are left alone: anything but a regular file,
/// read-only ones (by their mode bits, even for root), ones the runner may not write (a writable folder
/// would let the rename replace another user's file), hard-linked ones (the rename would split the link
/// silently), and setuid/setgid ones (the bits cannot be kept for another owner).
fn refuse_unsafe_target(folder: &Folder, name: &Path, meta: &fs::Metadata) -> io::Result<()> {
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
        use std::os::unix::fs::MetadataExt;
        if meta.nlink() > 1 {
            return refuse(&format!(
                "file has {} hard links; replacing it would split them, so it is left alone",
                meta.nlink()
            ));
        }
        if meta.mode() & 0o6000 != 0 {
            return refuse("file has the setuid or setgid bit; left alone");
        }
    }
    // may this user write the file itself? (opening for writing changes nothing; not blocking in
    // case it was swapped for a FIFO, and not through a link)
    if let Err(e) = folder.write(name) {
        return Err(io::Error::new(
            e.kind(),
            format!("you may not write this file ({e}); it is left alone"),
        ));
    }
    Ok(())
}

/// Rename the flushed temp file over its target if the target still holds `original`. `Ok(false)`:
/// another run already wrote exactly `new`, nothing to do.
fn swap_in(st: &Staged, original: &[u8], new: &[u8]) -> io::Result<bool> {
    #[cfg(test)]
    hook::before_compare(&st.folder.path().join(&st.name));
    // the folder the temp file was made in, or nothing
    let folder = st.folder.reopen()?;
    // bounded: anything longer than both texts is "changed" already
    let cap = original.len().max(new.len()) as u64;
    let mut current = Vec::new();
    let f = folder
        .read(&st.name)
        .map_err(|e| refused_at(&folder, &st.name, e))?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::other(
            "not a regular file any more; not overwritten",
        ));
    }
    f.take(cap + 1).read_to_end(&mut current)?;
    if current == new {
        return Ok(false);
    }
    if current != original {
        return Err(io::Error::other(
            "the file changed on disk since it was read; not overwritten",
        ));
    }
    folder.rename(&st.tmp, &st.name)?;
    Ok(true)
}

/// Flush many files or folders at once with `flush`: a flush mostly waits for the disk, and waits
/// that overlap share one journal commit, so this takes a few flush times however many there are.
fn flush_all<T: Sync>(
    items: &[&T],
    flush: impl Fn(&T) -> io::Result<()> + Sync,
) -> Vec<io::Result<()>> {
    const CONCURRENT: usize = 64;
    if items.len() <= 1 {
        return items.iter().map(|p| flush(p)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<io::Result<()>>>> =
        items.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..CONCURRENT.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(p) = items.get(i) else { break };
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
                .expect("every item flushed")
        })
        .collect()
}

/// A run killed between creating its temp file and the rename (SIGKILL, Ctrl-C, power loss) leaves the
/// temp file behind: hidden, never a `*.json`, so no run reads it, but `git status` shows it. The first
/// write into a directory in a run removes such leftovers there: names of our exact pattern whose process
/// is gone (checked through /proc where there is one) and that are over a minute old; without /proc, over
/// an hour old. A live run's temp file exists for milliseconds and is never touched.
fn remove_stale_temps_once(dir: &Folder) {
    use std::collections::HashSet;
    use std::sync::{Mutex, OnceLock};
    static CLEANED: OnceLock<Mutex<HashSet<PathBuf>>> = OnceLock::new();
    let first = CLEANED
        .get_or_init(Mutex::default)
        .lock()
        .map(|mut done| done.insert(dir.path().to_path_buf()))
        .unwrap_or(false);
    if !first {
        return;
    }
    let Ok(folder) = dir.reopen() else {
        return;
    };
    let Ok(entries) = folder.entries() else {
        return;
    };
    let proc_fs = Path::new("/proc/self").exists();
    for (name, age) in entries {
        let Some(pid) = temp_pid(&name) else {
            continue;
        };
        let (alive, limit_secs) = if proc_fs {
            let alive = pid == std::process::id() || Path::new(&format!("/proc/{pid}")).exists();
            (alive, 60)
        } else {
            (false, 3600)
        };
        if !alive && age > std::time::Duration::from_secs(limit_secs) {
            let _ = folder.remove(Path::new(&name));
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

/// A new temp file for `name` in `folder`: its name (in the folder) and the file.
fn create_temp(folder: &Folder, name: &Path) -> io::Result<(PathBuf, File)> {
    let stem = name.to_string_lossy().into_owned();
    create_first_new(
        folder,
        (0..100u32).map(|attempt| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            PathBuf::from(format!(
                ".{stem}.adfpg-{}-{nanos:x}-{attempt}.tmp",
                std::process::id()
            ))
        }),
    )
}

/// Create the first of `names` that does not exist yet in `folder` (another run's temp file may hold
/// a name), owner-only: the file may hold secrets the original's mode protects. Any other failure ends
/// the attempts.
fn create_first_new(
    folder: &Folder,
    names: impl IntoIterator<Item = PathBuf>,
) -> io::Result<(PathBuf, File)> {
    for p in names {
        match folder.create_new(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("could not create a temporary file"))
}

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

    /// What the write stage made durable, in order: a file's temp file (by the file's path) or a
    /// folder, each recorded once its flush returned.
    static FLUSHED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

    pub fn flushed(path: &Path) {
        FLUSHED.lock().unwrap().push(path.to_path_buf());
    }

    /// The flushes recorded so far of paths below `dir`.
    pub fn flushes_below(dir: &Path) -> Vec<PathBuf> {
        FLUSHED
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.starts_with(dir))
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One result per item, each its own, in order, however many run at once.
    #[test]
    fn flush_all_reports_each_item() {
        let items: Vec<usize> = (0..200).collect();
        let refs: Vec<&usize> = items.iter().collect();
        let r = flush_all(&refs, |i| {
            if i % 7 == 3 {
                Err(io::Error::other(format!("{i}")))
            } else {
                Ok(())
            }
        });
        assert_eq!(r.len(), 200);
        for (i, r) in r.iter().enumerate() {
            assert_eq!(r.is_err(), i % 7 == 3, "{i}");
        }
    }

    /// A name another file holds is skipped; any other failure is reported as it is, at once.
    #[test]
    fn temp_files_take_the_first_free_name() {
        let d = tempfile::tempdir().unwrap();
        let folder = Folder::open(d.path()).unwrap();
        fs::write(d.path().join("taken"), "another run's").unwrap();
        let (p, _) = create_first_new(&folder, ["taken".into(), "free".into()]).unwrap();
        assert_eq!(p, Path::new("free"));
        assert_eq!(fs::read(d.path().join("taken")).unwrap(), b"another run's");
        let e = create_first_new(&folder, ["no/such/folder".into(), "later".into()]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(
            !d.path().join("later").exists(),
            "no attempt after a real failure"
        );
        let e = create_first_new(&folder, ["taken".into()]).unwrap_err();
        assert!(
            e.to_string().contains("could not create a temporary file"),
            "{e}"
        );
    }

    /// The last check before writing opens the file itself without following a link: a file swapped
    /// for a symlink after it was examined is refused.
    #[cfg(unix)]
    #[test]
    fn the_write_check_does_not_follow_a_link() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real.json");
        fs::write(&real, "x").unwrap();
        std::os::unix::fs::symlink(&real, d.path().join("link.json")).unwrap();
        let meta = fs::metadata(&real).unwrap();
        let folder = Folder::open(d.path()).unwrap();
        assert!(refuse_unsafe_target(&folder, Path::new("real.json"), &meta).is_ok());
        let e = refuse_unsafe_target(&folder, Path::new("link.json"), &meta).unwrap_err();
        assert!(e.to_string().contains("you may not write this file"), "{e}");
    }

    /// `n` files holding `old`, every other one in `dir/sub`: (sub, the files).
    fn old_files_in_two_folders(dir: &Path, n: usize) -> (PathBuf, Vec<PathBuf>) {
        let sub = dir.join("sub");
        fs::create_dir(&sub).unwrap();
        let paths: Vec<PathBuf> = (0..n)
            .map(|i| if i % 2 == 0 { dir } else { sub.as_path() }.join(format!("{i}.json")))
            .collect();
        for p in &paths {
            fs::write(p, "old").unwrap();
        }
        (sub, paths)
    }

    /// Issue 29, section 6: the batch flush is there. Every temp file of a batch is flushed before any
    /// file is renamed over, and every folder after its renames: a write stage that skipped a flush
    /// (which no crash test sees: a SIGKILL leaves the page cache) fails here.
    #[test]
    fn every_temp_file_is_flushed_before_the_renames_and_every_folder_after() {
        let d = tempfile::tempdir().unwrap();
        let (sub, paths) = old_files_in_two_folders(d.path(), 6);
        // when a file is compared (just before its rename), every temp file of the batch is flushed
        let (dir, expected) = (d.path().to_path_buf(), paths.clone());
        hook::set(
            &paths[0],
            Some(Box::new(move |_: &Path| {
                let flushed = hook::flushes_below(&dir);
                for p in &expected {
                    assert!(
                        flushed.contains(p),
                        "{p:?} not flushed before the renames: {flushed:?}"
                    );
                }
            })),
        );
        let items: Vec<Replacement> = paths
            .iter()
            .map(|p| (p.as_path(), &b"old"[..], &b"new"[..]))
            .collect();
        let results = replace_many(&items, Links::Follow);
        hook::set(&paths[0], None);
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let flushed = hook::flushes_below(d.path());
        // six files, each once, then the two folders, each once
        assert_eq!(flushed.len(), 8, "{flushed:?}");
        for p in &paths {
            assert_eq!(flushed.iter().filter(|f| *f == p).count(), 1, "{p:?}");
        }
        let folders = &flushed[6..];
        assert!(
            folders.iter().any(|f| f == d.path()) && folders.contains(&sub),
            "{flushed:?}"
        );
    }

    /// Issue 29, section 3: a folder swapped for a link to a copy elsewhere after the temp file was
    /// made there (between the flush and the rename) is not written through: the copy keeps its bytes,
    /// the file is reported, and the temp file does not stay behind.
    #[cfg(unix)]
    #[test]
    fn a_folder_swapped_for_a_link_mid_write_is_not_written_through() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let ls = d.path().join("linkedService");
        fs::create_dir(&ls).unwrap();
        let p = ls.join("a.json");
        fs::write(&p, "old").unwrap();
        fs::write(outside.path().join("a.json"), "old").unwrap();
        let (from, to, target) = (
            ls.clone(),
            d.path().join("moved"),
            outside.path().to_path_buf(),
        );
        hook::set(
            &p,
            Some(Box::new(move |_: &Path| {
                fs::rename(&from, &to).unwrap();
                std::os::unix::fs::symlink(&target, &from).unwrap();
            })),
        );
        let e = replace_atomically(&p, b"old", b"new", Links::Follow).unwrap_err();
        hook::set(&p, None);
        assert!(e.to_string().contains("was replaced"), "{e}");
        assert_eq!(fs::read(outside.path().join("a.json")).unwrap(), b"old");
        assert_eq!(fs::read(d.path().join("moved/a.json")).unwrap(), b"old");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);
        // a folder that is a link when the write starts, below a trusted folder: refused at once
        trust_roots(&[d.path().to_path_buf()]);
        let e = replace_atomically(&p, b"old", b"new", Links::Follow).unwrap_err();
        assert!(
            e.to_string()
                .contains("is a symbolic link; nothing is written through a link"),
            "{e}"
        );
        assert_eq!(fs::read(outside.path().join("a.json")).unwrap(), b"old");
    }

    /// An output file (a report, a baseline) is never written through a link, a folder link below a
    /// trusted folder included, and only over a regular file; a new one is created.
    #[cfg(unix)]
    #[test]
    fn output_files_are_not_written_through_links() {
        let (d, outside) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let victim = outside.path().join("victim");
        fs::write(&victim, "mine").unwrap();
        trust_roots(&[d.path().to_path_buf()]);
        std::os::unix::fs::symlink(&victim, d.path().join("report.sarif")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.path().join("out")).unwrap();
        for path in [
            d.path().join("report.sarif"),
            d.path().join("out/new.sarif"),
        ] {
            let e = write_whole(&path, b"report").unwrap_err();
            assert!(e.to_string().contains("link"), "{path:?}: {e}");
        }
        assert_eq!(fs::read(&victim).unwrap(), b"mine");
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);
        fs::create_dir(d.path().join("dir.json")).unwrap();
        let e = write_whole(&d.path().join("dir.json"), b"x").unwrap_err();
        assert!(
            e.to_string().contains("not a regular file") || e.kind() == io::ErrorKind::IsADirectory,
            "{e}"
        );
        write_whole(&d.path().join("fresh.json"), b"report").unwrap();
        assert_eq!(fs::read(d.path().join("fresh.json")).unwrap(), b"report");
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
        let (sub, paths) = old_files_in_two_folders(d.path(), 20);
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
        let (tp, _f) = create_temp(&Folder::open(d.path()).unwrap(), Path::new("a.json")).unwrap();
        assert_eq!(
            fs::metadata(d.path().join(tp))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
}
