//! What `--fix` pays the file system alone, for `bench/compare.sh`: every file under TARGET whose bytes
//! differ from the file of the same name under FIXED (a copy `--fix` already ran on) is replaced by
//! FIXED's bytes, and the seconds the replacement took are printed. Reading and comparing the trees is
//! not timed.
//!
//!   write_floor tool    FIXED TARGET   # the tool's own batch write (`write::replace_many`)
//!   write_floor minimal FIXED TARGET   # the least a durable atomic replacement can do: temp file,
//!                                      # write, fsync (many at once), rename, each folder fsynced once
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, fixed, target] = args.as_slice() else {
        eprintln!("usage: write_floor tool|minimal FIXED TARGET");
        std::process::exit(2);
    };
    let mut files: Vec<(PathBuf, Vec<u8>, Vec<u8>)> = Vec::new();
    collect(Path::new(fixed), Path::new(target), &mut files);
    let started = Instant::now();
    match mode.as_str() {
        "tool" => {
            let items: Vec<_> = files
                .iter()
                .map(|(p, old, new)| (p.as_path(), old.as_slice(), new.as_slice()))
                .collect();
            let failed =
                adfpg_migrate::write::replace_many(&items, adfpg_migrate::write::Links::Refuse)
                    .iter()
                    .filter(|r| r.is_err())
                    .count();
            assert_eq!(failed, 0, "every file is replaced");
        }
        "minimal" => minimal(&files),
        _ => {
            eprintln!("mode: tool or minimal");
            std::process::exit(2);
        }
    }
    println!("{} {:.6}", files.len(), started.elapsed().as_secs_f64());
}

/// The files of `target` (recursively) whose bytes differ from `fixed`'s: (path, old bytes, new bytes).
fn collect(fixed: &Path, target: &Path, out: &mut Vec<(PathBuf, Vec<u8>, Vec<u8>)>) {
    for e in fs::read_dir(target).expect("target folder").flatten() {
        let (t, f) = (e.path(), fixed.join(e.file_name()));
        if e.file_type().expect("file type").is_dir() {
            collect(&f, &t, out);
        } else if let (Ok(old), Ok(new)) = (fs::read(&t), fs::read(&f))
            && old != new
        {
            out.push((t, old, new));
        }
    }
}

fn minimal(files: &[(PathBuf, Vec<u8>, Vec<u8>)]) {
    let temps: Vec<PathBuf> = files
        .iter()
        .map(|(p, _, new)| {
            let tmp = p.with_file_name(format!(
                ".{}.floor.tmp",
                p.file_name().unwrap().to_string_lossy()
            ));
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .expect("temp file");
            f.write_all(new).expect("write");
            tmp
        })
        .collect();
    // fsyncs overlap, as in the tool
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..64 {
            s.spawn(|| {
                while let Some(t) =
                    temps.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
                {
                    File::options()
                        .write(true)
                        .open(t)
                        .unwrap()
                        .sync_all()
                        .unwrap();
                }
            });
        }
    });
    for (tmp, (p, _, _)) in temps.iter().zip(files) {
        fs::rename(tmp, p).expect("rename");
    }
    let mut dirs: Vec<&Path> = files.iter().filter_map(|(p, _, _)| p.parent()).collect();
    dirs.sort();
    dirs.dedup();
    for d in dirs {
        File::open(d).unwrap().sync_all().unwrap();
    }
}
