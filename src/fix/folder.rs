//! Folders the write stage writes into, opened without following a link and then used by file
//! descriptor, so that every step of a replacement (the temp file, the compare, the rename, the flush)
//! happens in the folder that was opened, whatever is renamed or swapped for a link meanwhile.
//!
//! Below a trusted folder — the working directory, and each path the command line named — no
//! component of a path is followed if it is a symbolic link: what is below them came with the
//! repository (a pull request can commit a link, or a process swap a folder for one while the run
//! writes). A trusted folder itself, and an absolute path outside every trusted folder (a CI temp
//! directory), are taken as they are written. A folder is known by its device and inode: each later
//! step opens it again and refuses to go on if it is no longer the same folder.

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// The folders named on the command line (absolute), below which no link is followed.
static TRUSTED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Trust these folders as they are written (the ones a person named; a file's folder is not named):
/// below them, no link is followed when writing.
pub fn trust(paths: &[PathBuf]) {
    let mut trusted = TRUSTED.lock().unwrap_or_else(|e| e.into_inner());
    for p in paths {
        let Ok(abs) = std::path::absolute(p) else {
            continue;
        };
        let dir = crate::text::normalize(&abs);
        if std::fs::metadata(&dir).is_ok_and(|m| m.is_dir()) && !trusted.contains(&dir) {
            trusted.push(dir);
        }
    }
}

/// Where to start opening `dir` (absolute, normalised): the longest trusted folder that holds it
/// (the working directory always is one), and the components below it; `None`: outside them all.
fn split_at_trusted(dir: &Path) -> Option<(PathBuf, Vec<std::ffi::OsString>)> {
    let cwd = std::env::current_dir().ok();
    let trusted = TRUSTED.lock().unwrap_or_else(|e| e.into_inner());
    let root = trusted
        .iter()
        .chain(cwd.as_ref())
        .filter(|r| dir.starts_with(r))
        .max_by_key(|r| r.components().count())?
        .clone();
    let below = dir
        .strip_prefix(&root)
        .expect("starts with it")
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            _ => None,
        })
        .collect();
    Some((root, below))
}

fn refused_link(name: &std::ffi::OsStr, dir: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "`{}` in {} is a symbolic link; nothing is written through a link",
            crate::mask::printable(&name.to_string_lossy()),
            crate::text::shown_path(dir)
        ),
    )
}

fn changed(dir: &Path) -> io::Error {
    io::Error::other(format!(
        "its folder {} was replaced (by a link or another folder) while the tool ran; nothing written there",
        crate::text::shown_path(dir)
    ))
}

#[cfg(unix)]
pub use unix::Folder;

#[cfg(unix)]
mod unix {
    use super::*;
    use rustix::fs::{AtFlags, Mode, OFlags};
    use std::os::fd::{AsFd, OwnedFd};

    /// An open folder and its identity.
    pub struct Folder {
        fd: OwnedFd,
        dev: u64,
        ino: u64,
        path: PathBuf,
    }

    const DIR: OFlags = OFlags::DIRECTORY
        .union(OFlags::RDONLY)
        .union(OFlags::CLOEXEC);

    impl Folder {
        /// Open `dir` without following a link below a trusted folder (see the module docs).
        pub fn open(dir: &Path) -> io::Result<Folder> {
            let abs = crate::text::normalize(&std::path::absolute(dir)?);
            let fd = match split_at_trusted(&abs) {
                Some((root, below)) => {
                    let mut fd = rustix::fs::open(&root, DIR, Mode::empty())?;
                    for name in &below {
                        fd = match rustix::fs::openat(
                            &fd,
                            name,
                            DIR | OFlags::NOFOLLOW,
                            Mode::empty(),
                        ) {
                            Ok(next) => next,
                            Err(e) => {
                                let link = rustix::fs::statat(&fd, name, AtFlags::SYMLINK_NOFOLLOW)
                                    .is_ok_and(|st| {
                                        rustix::fs::FileType::from_raw_mode(st.st_mode)
                                            == rustix::fs::FileType::Symlink
                                    });
                                return Err(if link {
                                    refused_link(name, dir)
                                } else {
                                    e.into()
                                });
                            }
                        };
                    }
                    fd
                }
                None => rustix::fs::open(&abs, DIR, Mode::empty())?,
            };
            let st = rustix::fs::fstat(&fd)?;
            Ok(Folder {
                fd,
                dev: st.st_dev as u64,
                ino: st.st_ino as u64,
                path: dir.to_path_buf(),
            })
        }

        /// Open the folder again: the same one, or an error.
        pub fn reopen(&self) -> io::Result<Folder> {
            let again = Folder::open(&self.path)?;
            if (again.dev, again.ino) != (self.dev, self.ino) {
                return Err(changed(&self.path));
            }
            Ok(again)
        }

        /// Is the folder read-only by its mode bits?
        pub fn read_only(&self) -> io::Result<bool> {
            Ok(rustix::fs::fstat(&self.fd)?.st_mode & 0o222 == 0)
        }

        /// Open a file of this folder (never through a link) with `flags`.
        fn open_file(&self, name: &Path, flags: OFlags, mode: u32) -> io::Result<std::fs::File> {
            let fd = rustix::fs::openat(
                &self.fd,
                name,
                flags | OFlags::NOFOLLOW | OFlags::CLOEXEC,
                Mode::from_raw_mode(mode),
            )?;
            Ok(std::fs::File::from(fd))
        }

        /// A file of this folder, to read (not blocking on a FIFO).
        pub fn read(&self, name: &Path) -> io::Result<std::fs::File> {
            self.open_file(name, OFlags::RDONLY | OFlags::NONBLOCK, 0)
        }

        /// A file of this folder, to write (not blocking on a FIFO): may this user write it?
        pub fn write(&self, name: &Path) -> io::Result<std::fs::File> {
            self.open_file(name, OFlags::WRONLY | OFlags::NONBLOCK, 0)
        }

        /// Create a new file (owner-only) in this folder; `AlreadyExists` if the name is taken.
        pub fn create_new(&self, name: &Path) -> io::Result<std::fs::File> {
            self.open_file(name, OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL, 0o600)
        }

        pub fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            Ok(rustix::fs::renameat(&self.fd, from, &self.fd, to)?)
        }

        pub fn remove(&self, name: &Path) -> io::Result<()> {
            Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
        }

        /// Flush the folder itself (its entries: a rename made durable).
        pub fn sync(&self) -> io::Result<()> {
            Ok(rustix::fs::fsync(&self.fd)?)
        }

        /// The names in the folder with their age.
        pub fn entries(&self) -> io::Result<Vec<(String, std::time::Duration)>> {
            let mut out = Vec::new();
            for e in rustix::fs::Dir::read_from(self.fd.as_fd())?.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let Ok(st) = rustix::fs::statat(&self.fd, e.file_name(), AtFlags::SYMLINK_NOFOLLOW)
                else {
                    continue;
                };
                let modified = std::time::UNIX_EPOCH
                    + std::time::Duration::from_secs(st.st_mtime.max(0) as u64);
                out.push((name, modified.elapsed().unwrap_or_default()));
            }
            Ok(out)
        }

        pub fn path(&self) -> &Path {
            &self.path
        }
    }
}

#[cfg(not(unix))]
pub use other::Folder;

/// Elsewhere (Windows): the same operations by path; links there need privileges to create.
#[cfg(not(unix))]
mod other {
    use super::*;
    use std::fs::{self, OpenOptions};

    pub struct Folder {
        path: PathBuf,
    }

    impl Folder {
        pub fn open(dir: &Path) -> io::Result<Folder> {
            if fs::symlink_metadata(dir)?.file_type().is_symlink() {
                return Err(refused_link(dir.as_os_str(), dir));
            }
            Ok(Folder {
                path: dir.to_path_buf(),
            })
        }

        pub fn reopen(&self) -> io::Result<Folder> {
            Folder::open(&self.path)
        }

        pub fn read_only(&self) -> io::Result<bool> {
            Ok(fs::metadata(&self.path)?.permissions().readonly())
        }

        pub fn read(&self, name: &Path) -> io::Result<fs::File> {
            fs::File::open(self.path.join(name))
        }

        pub fn write(&self, name: &Path) -> io::Result<fs::File> {
            OpenOptions::new().write(true).open(self.path.join(name))
        }

        pub fn create_new(&self, name: &Path) -> io::Result<fs::File> {
            OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(self.path.join(name))
        }

        pub fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            fs::rename(self.path.join(from), self.path.join(to))
        }

        pub fn remove(&self, name: &Path) -> io::Result<()> {
            fs::remove_file(self.path.join(name))
        }

        pub fn sync(&self) -> io::Result<()> {
            // Windows cannot open a folder to flush it; the rename is durable once the file is
            Ok(())
        }

        pub fn entries(&self) -> io::Result<Vec<(String, std::time::Duration)>> {
            Ok(fs::read_dir(&self.path)?
                .flatten()
                .map(|e| {
                    let age = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.elapsed().ok())
                        .unwrap_or_default();
                    (e.file_name().to_string_lossy().into_owned(), age)
                })
                .collect())
        }

        pub fn path(&self) -> &Path {
            &self.path
        }
    }
}
