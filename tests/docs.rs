//! docs/rules.md is generated from rules/*.toml; this test fails when it is stale (and rewrites it when
//! UPDATE_DOCS=1), so docs and behaviour cannot drift.

mod common;

use adfpg_migrate::docs::rules_markdown;
use adfpg_migrate::rules::Catalog;

#[test]
fn rules_reference_is_in_sync() {
    let want = rules_markdown(&Catalog::builtin());
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is stale: run `UPDATE_DOCS=1 cargo test --test docs`"
    );
}

/// Product text cites public sources (the connector page, the REST model, driver docs): users do not have
/// the team's internal notes.
#[test]
fn product_text_cites_no_internal_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut offenders = Vec::new();
    for dir in ["rules", "src", "docs"] {
        for e in common::walk(&root.join(dir)) {
            let text = std::fs::read_to_string(&e).unwrap_or_default();
            if text.contains("shared/reference") || text.contains("shared/fixtures") {
                offenders.push(e.display().to_string());
            }
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    if readme.contains("shared/reference") {
        offenders.push("README.md".into());
    }
    assert!(
        offenders.is_empty(),
        "cite public sources instead: {offenders:?}"
    );
}
