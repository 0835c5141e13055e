//! The one way the tool reads a file: regular files only (a FIFO, socket or device is refused before it
//! can block or stream without end), at most a size cap (checked before reading and again while reading,
//! so a file growing meanwhile is cut short), and symlinks only where the caller says a person chose the
//! path. Every file the tool opens goes through here: factory files, the ARM parameters beside a
//! template, the parameterisation file, config and house-rule files, baselines, `test-connection` files.

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether a symlink at the path itself may be read through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// The path was named by a person (a command-line argument, `--config`, `--baseline`): a link there is
    /// their choice. Walked files are never links (the walk does not follow them).
    Follow,
    /// The tool found the path by its name (a sibling file, a discovered config, a rule folder's entry):
    /// a link there was put by whoever wrote the repository, so it is refused.
    Refuse,
    /// The walk found the path as a regular file (its directory entry says so): read as with `Follow`,
    /// without a second look before opening; the check on what was opened still refuses anything else.
    Walked,
}

#[derive(Debug)]
pub enum ReadError {
    /// The file's size in bytes, over the cap.
    TooLarge(u64),
    Io(io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge(n) => write!(
                f,
                "file is {} MiB, over the {} MiB limit (--max-file-size)",
                n / MIB,
                limit() / MIB
            ),
            ReadError::Io(e) => e.fmt(f),
        }
    }
}

const MIB: u64 = 1024 * 1024;

/// The cap for files read outside the per-file pipeline (config, rules, siblings): `--max-file-size`.
static LIMIT: AtomicU64 = AtomicU64::new(64 * MIB);

/// Set the cap in MiB (from `--max-file-size` or the config); saturates instead of overflowing.
pub fn set_limit_mib(mib: u64) {
    LIMIT.store(mib.saturating_mul(MIB), Ordering::Relaxed);
}

pub fn limit() -> u64 {
    LIMIT.load(Ordering::Relaxed)
}

/// Read a whole file under the global cap.
pub fn read(path: &Path, links: Links) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    read_into(path, limit(), links, &mut buf)?;
    Ok(buf)
}

/// Read a whole UTF-8 file under the global cap; the error is a message without the path.
pub fn read_text(path: &Path, links: Links) -> Result<String, String> {
    let bytes = read(path, links).map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))
}

/// Read the whole file into `buf` (cleared first), refusing files over `max` bytes, anything that is not
/// a regular file, and (with [`Links::Refuse`]) a symlink.
pub fn read_into(path: &Path, max: u64, links: Links, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    buf.clear();
    let (f, len) = open_checked(path, max, links)?;
    read_rest(f, len, max, buf)
}

/// Files bigger than this are read a chunk at a time by [`read_into_if`].
pub const CHUNK: usize = 64 * 1024;

/// [`read_into`] for a caller that wants the file only if `wanted` says so of its bytes. A file over
/// [`CHUNK`] bytes is read a chunk at a time into `chunk`, which stays in the CPU's cache (copying a big
/// file into a buffer of its own size cost the kernel twice as much as the same bytes in chunks), and
/// `wanted` sees each chunk after the last `overlap` bytes of the one before (so a needle of up to
/// `overlap + 1` bytes is never split); the first time it says yes, the whole file is read into `buf`.
/// A smaller file is read whole and shown to `wanted` at once. Returns whether `buf` holds the file.
pub fn read_into_if(
    path: &Path,
    max: u64,
    links: Links,
    buf: &mut Vec<u8>,
    chunk: &mut Vec<u8>,
    overlap: usize,
    mut wanted: impl FnMut(&[u8]) -> bool,
) -> Result<bool, ReadError> {
    buf.clear();
    let (mut f, len) = open_checked(path, max, links)?;
    if len <= CHUNK as u64 {
        read_rest(f, len, max, buf)?;
        return Ok(wanted(buf));
    }
    chunk.resize(overlap + CHUNK, 0);
    let (mut kept, mut total) = (0, 0u64);
    loop {
        let n = match f.read(&mut chunk[kept..]) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadError::Io(e)),
        };
        if n == 0 {
            return Ok(false);
        }
        total += n as u64;
        if total > max {
            return Err(ReadError::TooLarge(total));
        }
        let end = kept + n;
        if wanted(&chunk[..end]) {
            // from the start: the chunks before this one were not kept
            use std::io::Seek;
            f.seek(io::SeekFrom::Start(0)).map_err(ReadError::Io)?;
            return read_rest(f, len, max, buf).map(|()| true);
        }
        kept = overlap.min(end);
        chunk.copy_within(end - kept..end, 0);
    }
}

/// Open, then check what was opened: a regular file within the cap. Returns it with its length.
fn open_checked(path: &Path, max: u64, links: Links) -> Result<(std::fs::File, u64), ReadError> {
    // look before opening: opening some devices has effects of its own (a walked file was looked at)
    let look = match links {
        Links::Follow => Some(std::fs::metadata(path)),
        Links::Refuse => Some(std::fs::symlink_metadata(path)),
        Links::Walked => None,
    };
    if let Some(meta) = look {
        check_kind(&meta.map_err(ReadError::Io)?)?;
    }
    let f = open(path, links).map_err(ReadError::Io)?;
    // and again on what was opened: the path may have been swapped for a FIFO or a link meanwhile
    let meta = f.metadata().map_err(ReadError::Io)?;
    check_kind(&meta)?;
    let len = meta.len();
    if len > max {
        return Err(ReadError::TooLarge(len));
    }
    Ok((f, len))
}

/// Read a stream (standard input) to its end into `buf` (cleared first), under the same cap as files: past
/// `max` bytes it stops reading, with [`ReadError::TooLarge`] holding how many it read.
pub fn read_stream(r: impl Read, max: u64, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    read_rest(r, 0, max, buf)
}

/// Read from where `f` is to its end into `buf`, at most `max` bytes in all (`len`: the size seen).
fn read_rest(f: impl Read, len: u64, max: u64, buf: &mut Vec<u8>) -> Result<(), ReadError> {
    buf.clear();
    // one spare byte, so that the read that finds the end needs no reallocation
    buf.reserve(usize::try_from(len).unwrap_or(0).saturating_add(1));
    // bounded even if the file grows while we read it
    f.take(max.saturating_add(1))
        .read_to_end(buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > max {
        return Err(ReadError::TooLarge(buf.len() as u64));
    }
    Ok(())
}

fn check_kind(meta: &std::fs::Metadata) -> Result<(), ReadError> {
    let t = meta.file_type();
    if t.is_dir() {
        Err(ReadError::Io(io::Error::other("is a directory")))
    } else if t.is_symlink() {
        Err(ReadError::Io(io::Error::other(
            "is a symbolic link found by name; links are only followed when named on the command line",
        )))
    } else if !t.is_file() {
        Err(ReadError::Io(io::Error::other(
            "not a regular file (a FIFO, socket or device)",
        )))
    } else {
        Ok(())
    }
}

/// Open for reading without blocking on a FIFO swapped in after the check, and without following a
/// final symlink when links are refused.
fn open(path: &Path, links: Links) -> io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if links == Links::Refuse {
            libc::O_NOFOLLOW
        } else {
            0
        };
        opts.custom_flags(libc::O_NONBLOCK | nofollow);
    }
    #[cfg(not(unix))]
    let _ = links;
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cap_near_u64_max_still_reads_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.json");
        std::fs::write(&p, "{}").unwrap();
        let mut buf = Vec::new();
        read_into(&p, u64::MAX, Links::Refuse, &mut buf).unwrap();
        assert_eq!(buf, b"{}");
    }

    /// A big file is read whole exactly when a chunk (with the tail of the one before) is wanted: a
    /// needle is found wherever it falls, across a chunk boundary too, and nothing is kept otherwise.
    #[test]
    fn big_files_are_read_whole_only_when_a_chunk_is_wanted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.json");
        let needle = b"AzurePostgreS";
        let (mut buf, mut chunk) = (Vec::new(), Vec::new());
        let mut read = |bytes: &[u8], buf: &mut Vec<u8>| {
            std::fs::write(&p, bytes).unwrap();
            read_into_if(
                &p,
                1 << 30,
                Links::Walked,
                buf,
                &mut chunk,
                needle.len() - 1,
                |w| memchr::memmem::find(w, needle).is_some(),
            )
            .unwrap()
        };
        for at in [
            0,
            CHUNK - needle.len(),
            CHUNK - 7,
            CHUNK - 1,
            CHUNK,
            3 * CHUNK - 5,
            4 * CHUNK - needle.len(),
        ] {
            let mut bytes = vec![b' '; 4 * CHUNK];
            bytes[at..at + needle.len()].copy_from_slice(needle);
            assert!(read(&bytes, &mut buf), "needle at {at}");
            assert_eq!(buf, bytes, "the whole file, needle at {at}");
        }
        let plain = vec![b'x'; 3 * CHUNK + 5];
        assert!(!read(&plain, &mut buf));
        assert!(buf.is_empty(), "nothing of a file not wanted");
        // a small file is shown whole, once
        assert!(read(b"{\"t\":\"AzurePostgreSql\"}", &mut buf));
        assert_eq!(buf, b"{\"t\":\"AzurePostgreSql\"}");
        // the cap holds as for a whole read
        std::fs::write(&p, vec![b' '; 2 * CHUNK]).unwrap();
        let e = read_into_if(
            &p,
            CHUNK as u64,
            Links::Walked,
            &mut buf,
            &mut Vec::new(),
            0,
            |_| false,
        );
        assert!(matches!(e, Err(ReadError::TooLarge(n)) if n == 2 * CHUNK as u64));
    }

    #[cfg(unix)]
    #[test]
    fn links_devices_and_fifos_are_refused_where_asked() {
        let d = tempfile::tempdir().unwrap();
        let link = d.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let mut buf = Vec::new();
        // `Walked` skips the look before opening: the check after opening refuses the device
        for links in [Links::Follow, Links::Refuse, Links::Walked] {
            let e = read_into(&link, 1 << 20, links, &mut buf).unwrap_err();
            assert!(matches!(e, ReadError::Io(_)), "{links:?}: {e}");
        }
        let real = d.path().join("real.json");
        std::fs::write(&real, "x").unwrap();
        let link = d.path().join("link.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        assert!(read_into(&link, 10, Links::Refuse, &mut buf).is_err());
        read_into(&link, 10, Links::Follow, &mut buf).unwrap();
        assert_eq!(buf, b"x");
        read_into(&real, 10, Links::Walked, &mut buf).unwrap();
        assert_eq!(buf, b"x");
    }

    /// A FIFO swapped in after the walk looked: opened without blocking, refused after opening.
    #[cfg(unix)]
    #[test]
    fn a_walked_path_that_became_a_fifo_is_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("f.json");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(
            made.is_ok_and(|s| s.success()),
            "mkfifo is part of coreutils"
        );
        let mut buf = Vec::new();
        let e = read_into(&fifo, 1 << 20, Links::Walked, &mut buf).unwrap_err();
        assert!(e.to_string().contains("not a regular file"), "{e}");
    }
}
