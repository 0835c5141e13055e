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
