#![allow(dead_code)]
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn example() -> PathBuf {
    root().join("fixtures/example-factory")
}

/// A fresh copy of a fixture tree in a temp dir (tests that write never touch the repo).
pub fn copy_tree(src: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_into(src, dir.path());
    dir
}

pub fn copy_into(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_into(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

pub fn cmd() -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(env!("CARGO_BIN_EXE_adfpg-migrate"));
    c.env_remove("ADFPG_OUTPUT_FORMAT").env("NO_COLOR", "1");
    // CI runners set these; the github and azure formats write side files when they are set
    c.env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("AGENT_TEMPDIRECTORY");
    c
}

/// Run in `dir` and return (exit code, stdout, stderr).
pub fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = cmd().current_dir(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file below `dir` with its bytes, keyed by relative path.
pub fn snapshot_tree(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    for e in walk(dir) {
        out.insert(
            e.strip_prefix(dir).unwrap().to_string_lossy().into_owned(),
            std::fs::read(&e).unwrap(),
        );
    }
    out
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The sslMode the 1.0 driver's settings mean, from the connector's mapping: Npgsql's `SSL Mode` as
/// written (any spelling of the key); else `EncryptionMethod` 0, 6 or absent → 2 (Prefer), 1 → 3 (Require), 1 with
/// `ValidateServerCertificate=1` → 4 (VerifyCA), and with `HostNameInCertificate` too → 5 (VerifyFull).
pub fn ssl_mode_of_v1(connection_string: &str) -> i64 {
    let get = |key: &str| {
        connection_string.split(';').find_map(|kv| {
            let (k, v) = kv.split_once('=')?;
            // Npgsql ignores spaces and case in key names (`SSL Mode`, `SslMode`, `sslmode`)
            k.replace(' ', "")
                .eq_ignore_ascii_case(&key.replace(' ', ""))
                .then(|| v.trim().replace(' ', "").to_ascii_lowercase())
        })
    };
    if let Some(mode) = get("SSL Mode") {
        let names = [
            "disable",
            "allow",
            "prefer",
            "require",
            "verifyca",
            "verifyfull",
        ];
        return names.iter().position(|n| *n == mode).unwrap() as i64;
    }
    match (
        get("EncryptionMethod").as_deref(),
        get("ValidateServerCertificate").as_deref(),
    ) {
        // the driver then also checked the host name
        (Some("1"), Some("1")) if get("HostNameInCertificate").is_some() => 5,
        (Some("1"), Some("1")) => 4,
        (Some("1"), _) => 3,
        _ => 2,
    }
}

/// The tool as a std `Command` (for what assert_cmd cannot do) with its data segment — the heap, and on
/// Linux every private writable mapping — capped at `mib` MiB (RLIMIT_DATA): a run that reads without
/// bound aborts instead of passing.
#[cfg(target_os = "linux")]
pub fn heap_capped(mib: u64) -> std::process::Command {
    use std::os::unix::process::CommandExt;
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_adfpg-migrate"));
    c.env("NO_COLOR", "1");
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec
    unsafe {
        c.pre_exec(move || {
            let cap = libc::rlimit {
                rlim_cur: mib << 20,
                rlim_max: mib << 20,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &cap) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    c
}
