//! The least work a correct lint does, for `bench/compare.sh`: walk the trees with the tool's own walker
//! (`discover::visit`: ripgrep's walker, .gitignore honoured, no symlinks, both cores), read every
//! `*.json` it yields, and validate with serde_json each file that names a connector type (the bytes the
//! tool's prefilter looks for). Nothing else: no located tree, no rules, no report. Prints the count of
//! files read, of files validated, and of invalid ones.
//!
//!   lint_floor PATH…
use std::sync::atomic::{AtomicUsize, Ordering};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    if paths.is_empty() {
        eprintln!("usage: lint_floor PATH…");
        std::process::exit(2);
    }
    let finder = memchr::memmem::Finder::new(adfpg_migrate::connector::NEEDLE);
    let (read, validated, invalid) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let errors = adfpg_migrate::discover::visit(&paths, &|_| false, &|p| {
        let Ok(bytes) = std::fs::read(p) else { return };
        read.fetch_add(1, Ordering::Relaxed);
        if finder.find(&bytes).is_none() {
            return;
        }
        validated.fetch_add(1, Ordering::Relaxed);
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        if serde_json::from_slice::<serde::de::IgnoredAny>(text).is_err() {
            invalid.fetch_add(1, Ordering::Relaxed);
        }
    });
    for (p, e) in &errors {
        eprintln!("{}: {e}", p.display());
    }
    println!(
        "{} read, {} validated, {} invalid",
        read.into_inner(),
        validated.into_inner(),
        invalid.into_inner()
    );
}
