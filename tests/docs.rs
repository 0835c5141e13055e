//! docs/rules.md is generated from rules/*.toml; this test fails when it is stale (and rewrites it when
//! UPDATE_DOCS=1), so docs and behaviour cannot drift.

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
