//! What a fresh machine needs to build and test the tool, and what the distribution ships: the
//! dependency graph links no system library, the README says what a machine needs.

mod common;
use common::*;
use std::fs;

/// Packages in Cargo.lock (every platform, every feature: a superset of what any build compiles).
fn locked_packages() -> Vec<String> {
    let lock = fs::read_to_string(root().join("Cargo.lock")).unwrap();
    lock.lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|n| n.trim_end_matches('"').to_string())
        .collect()
}

#[test]
fn no_system_tls_library_is_linked() {
    let packages = locked_packages();
    assert!(packages.iter().any(|p| p == "rustls"), "{packages:?}");
    // openssl-sys needs libssl-dev and pkg-config; aws-lc-sys needs cmake (and nasm on Windows)
    for banned in ["openssl-sys", "openssl", "aws-lc-sys", "native-tls"] {
        assert!(
            !packages.iter().any(|p| p == banned),
            "Cargo.lock holds {banned}: a fresh machine would need a system library or build tool"
        );
    }
}

#[test]
fn rust_version_is_declared_and_readme_says_what_a_machine_needs() {
    let manifest: toml::Table = fs::read_to_string(root().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let rv = manifest["package"]["rust-version"].as_str().unwrap();
    let minor: u32 = rv.split('.').nth(1).unwrap().parse().unwrap();
    // edition 2024 needs 1.85 at least
    assert!(minor >= 85, "rust-version {rv}");
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let before_commands = &readme[..readme.find("```sh").unwrap()];
    assert!(
        before_commands.contains(&format!("Rust toolchain, {rv} or newer")),
        "README must say, above its commands, which Rust the build needs:\n{before_commands}"
    );
}

/// A PATH holding only the tools scripts/test needs, plus stubs that log their arguments instead of
/// installing anything: `scripts/test` on a machine without PostgreSQL, as a user with sudo.
#[cfg(unix)]
fn fresh_machine(with_apt: bool) -> (tempfile::TempDir, std::process::Output, String) {
    machine(with_apt, false)
}

#[cfg(unix)]
fn machine(
    with_apt: bool,
    with_postgresql: bool,
) -> (tempfile::TempDir, std::process::Output, String) {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    fs::create_dir(&bin).unwrap();
    for tool in ["bash", "ls", "sort", "dirname", "cat"] {
        let real = which(tool);
        symlink(real, bin.join(tool)).unwrap();
    }
    let log = dir.path().join("log");
    let stub = |name: &str, body: &str| {
        let p = bin.join(name);
        fs::write(&p, format!("#!{}\n{body}\n", which("bash").display())).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    };
    let logs = format!("echo \"$(basename \"$0\") $*\" >> '{}'", log.display());
    let logs = logs.replace("$(basename \"$0\")", "${0##*/}");
    stub("id", "echo 1000");
    stub("cargo", &format!("{logs}\nexit 0"));
    if with_apt {
        stub("apt-get", &format!("{logs}\nexit 0"));
        // logs instead of running anything as root; `sudo test -e policy-rc.d` succeeds, so nothing is written
        stub("sudo", &format!("{logs}\nexit 0"));
    }
    if with_postgresql {
        for tool in ["initdb", "pg_ctl", "psql", "openssl"] {
            stub(tool, &format!("{logs}\nexit 0"));
        }
        // Python with venv is there too (scripts/ci-tools then fails to install into the stub: a warning)
        stub("python3", "exit 0");
    }
    let out = std::process::Command::new(bin.join("bash"))
        .arg(root().join("scripts/test"))
        .args(["--test", "cli"])
        .env_clear()
        .env("PATH", &bin)
        .env("ADFPG_PG_SEARCH", dir.path().join("no-postgresql"))
        .output()
        .unwrap();
    let logged = fs::read_to_string(&log).unwrap_or_default();
    (dir, out, logged)
}

#[cfg(unix)]
fn which(tool: &str) -> std::path::PathBuf {
    ["/usr/bin", "/bin"]
        .iter()
        .map(|d| std::path::Path::new(d).join(tool))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("{tool} not found in /usr/bin or /bin"))
}

#[cfg(unix)]
#[test]
fn test_script_installs_postgresql_with_apt_then_runs_every_test() {
    let (_dir, out, logged) = fresh_machine(true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = logged.lines().collect();
    assert_eq!(
        lines,
        [
            "sudo test -e /usr/sbin/policy-rc.d",
            "sudo apt-get update -q",
            "sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
             postgresql postgresql-client openssl python3-venv",
            "cargo test --locked --no-fail-fast --test cli",
        ],
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn test_script_says_what_to_install_without_apt_and_still_runs_the_tests() {
    let (_dir, out, logged) = fresh_machine(false);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for system in ["Debian/Ubuntu:", "Fedora/RHEL:", "Arch:", "macOS:"] {
        assert!(stderr.contains(system), "{stderr}");
    }
    // the real-server test then fails loudly; here the stub cargo only records that it ran
    assert_eq!(
        logged.trim(),
        "cargo test --locked --no-fail-fast --test cli"
    );
}

#[test]
fn readme_and_ci_run_the_same_test_command() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let first_block = readme.split("```sh").nth(1).unwrap();
    let first_block = &first_block[..first_block.find("```").unwrap()];
    assert!(
        first_block.lines().any(|l| l.starts_with("scripts/test ")),
        "{first_block}"
    );
    let ci = fs::read_to_string(root().join(".ci/run")).unwrap();
    let calls: Vec<&str> = ci
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter(|l| l.contains("scripts/test") || l.contains("cargo test"))
        .collect();
    assert_eq!(calls, ["scripts/test"], "{ci}");
    assert!(
        !ci.contains("libssl-dev") && !ci.contains("pkg-config"),
        "{ci}"
    );
}

#[test]
fn completions_for_every_shell_come_from_the_clap_definitions() {
    for (shell, marker) in [
        ("bash", "complete -F _adfpg__migrate"),
        ("zsh", "#compdef adfpg-migrate"),
        ("fish", "complete -c adfpg-migrate"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[adfpg-migrate]"),
    ] {
        let (code, out, err) = run_in(&root(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: {out}");
        // flags and subcommands of the real CLI, not a canned script
        for word in ["--unsafe-fixes", "test-connection", "--output-format"] {
            assert!(out.contains(word), "{shell} lacks {word}");
        }
    }
    let (code, _, err) = run_in(&root(), &["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
}

#[cfg(unix)]
#[test]
fn bash_completion_script_is_valid_bash() {
    let (_, script, _) = run_in(&root(), &["completions", "bash"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("adfpg-migrate.bash");
    fs::write(&file, script).unwrap();
    let check = std::process::Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
}

#[test]
fn man_page_documents_the_options_and_subcommands() {
    let (code, page, err) = run_in(&root(), &["man"]);
    assert_eq!(code, 0, "{err}");
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        page.contains(&format!(".TH adfpg-migrate 1  \"adfpg-migrate {version}\"")),
        "{page}"
    );
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "missing {section}");
    }
    // roff escapes '-' as '\-'
    for word in [r"\-\-unsafe\-fixes", r"test\-connection", "completions"] {
        assert!(page.contains(word), "man page lacks {word}");
    }
    // the man page and completions need no configuration: a broken adfpg.toml does not stop them
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("adfpg.toml"), "this is not toml [").unwrap();
    let (code, _, err) = run_in(dir.path(), &["man"]);
    assert_eq!(code, 0, "{err}");
}

/// The release workflow cannot run here (actionlint checks its syntax); this pins what it promises:
/// on a version tag, a wheel for each of the five platforms, archives with the man page and
/// completions, checksums, and PyPI given only wheels and the sdist.
#[test]
fn release_workflow_builds_every_platform_with_checksums() {
    use yaml_rust2::YamlLoader;
    let text = fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let doc = &YamlLoader::load_from_str(&text).unwrap()[0];
    let tags = doc["on"]["push"]["tags"].as_vec().unwrap();
    assert_eq!(tags[0].as_str(), Some("v*"));
    let build = &doc["jobs"]["build"];
    let targets: Vec<&str> = build["strategy"]["matrix"]["include"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|m| m["target"].as_str().unwrap())
        .collect();
    assert_eq!(
        targets,
        [
            "x86_64-unknown-linux-gnu",
            "aarch64-unknown-linux-gnu",
            "x86_64-apple-darwin",
            "aarch64-apple-darwin",
            "x86_64-pc-windows-msvc"
        ]
    );
    let wheel_step = build["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| s["uses"].as_str() == Some("PyO3/maturin-action@v1"))
        .expect("maturin builds the wheels");
    assert!(
        wheel_step["with"]["args"]
            .as_str()
            .unwrap()
            .contains("--locked")
    );
    let release = doc["jobs"]["release"]["steps"].as_vec().unwrap();
    let script = release
        .iter()
        .find(|s| s["name"].as_str() == Some("Archives and checksums"))
        .unwrap()["run"]
        .as_str()
        .unwrap();
    for needle in [
        "man > docs-gen/adfpg-migrate.1",
        "completions \"$shell\"",
        "sha256sum",
        "SHA256SUMS",
        "is not Cargo.toml's version",
    ] {
        assert!(script.contains(needle), "release script lacks {needle}");
    }
    let pypi = release
        .iter()
        .find(|s| s["name"].as_str() == Some("PyPI"))
        .unwrap();
    assert_eq!(pypi["with"]["packages-dir"].as_str(), Some("pypi/"));
}

#[cfg(unix)]
#[test]
fn test_script_installs_nothing_when_postgresql_is_there() {
    let (_dir, out, logged) = machine(true, true);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        logged.trim(),
        "cargo test --locked --no-fail-fast --test cli",
        "{stderr}"
    );
}
