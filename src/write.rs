//! Atomic replacement of a file: temp file in the same directory, same permissions, fsync, check that the
//! original did not change since we read it, rename over it, fsync the directory. A crash at any moment
//! leaves either the old bytes or the new bytes, never a mix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub fn replace_atomically(path: &Path, original: &[u8], new: &[u8]) -> io::Result<()> {
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
    let (tmp_path, mut tmp) = create_temp(dir, path)?;
    let result = (|| {
        tmp.write_all(new)?;
        tmp.set_permissions(meta.permissions())?;
        tmp.sync_all()?;
        // compare just before the rename: another writer may have changed the file meanwhile
        if fs::read(path)? != original {
            return Err(io::Error::other(
                "the file changed on disk since it was read; not overwritten",
            ));
        }
        fs::rename(&tmp_path, path)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
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
        match OpenOptions::new().write(true).create_new(true).open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("could not create a temporary file"))
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
        let e = replace_atomically(&p, b"old", b"newer").unwrap_err();
        assert!(e.to_string().contains("changed on disk"));
        assert_eq!(fs::read(&p).unwrap(), b"new");
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "no temp file left behind"
        );
    }
}
