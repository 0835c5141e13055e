//! Every rule file's examples: each invalid one raises exactly that rule at the expected place, each
//! valid one does not raise it (the ast-grep / Spectral habit). Runs the real per-file pipeline.

use adfpg_migrate::config::{CliOverrides, load};
use adfpg_migrate::factory::Index;
use adfpg_migrate::lint::{FileOutcome, Settings, process};
use adfpg_migrate::rules::Example;
use std::path::Path;

/// Run one example in a folder of its own: its other files, its config, then the file under test.
fn run(dir: &Path, name: &str, ex: &Example, default: &Settings) -> (FileOutcome, String) {
    let root = dir.join(name);
    for (rel, text) in &ex.files {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text.trim()).unwrap();
    }
    let p = root.join(ex.path.as_deref().unwrap_or("example.json"));
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, ex.json.trim()).unwrap();
    let mut settings = match &ex.config {
        Some(cfg) => {
            let c = root.join("adfpg.toml");
            std::fs::write(&c, cfg).unwrap();
            Settings::new(load(Some(&c), &CliOverrides::default()).unwrap())
        }
        None => default.clone(),
    };
    let files: Vec<_> = walk(&root);
    settings.index = Index::build(&files);
    (process(&p, &settings), std::fs::read_to_string(&p).unwrap())
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}

#[test]
fn every_rule_has_examples_and_they_hold() {
    let policy = load(None, &CliOverrides::default()).unwrap();
    let catalog = policy.catalog.clone();
    let settings = Settings::new(policy);
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for rule in &catalog.rules {
        let file_level_without_examples = matches!(
            rule.check.as_str(),
            "unsupported-encoding"
                | "file-too-large"
                | "io-error"
                | "fix-not-applied"
                // raised only for a house rule's `given` (tests/bounded_work.rs)
                | "rule-over-budget"
        );
        if !file_level_without_examples {
            assert!(
                !rule.examples.invalid.is_empty(),
                "{} has no invalid example",
                rule.code
            );
            assert!(
                !rule.examples.valid.is_empty(),
                "{} has no valid example",
                rule.code
            );
        }
        for (i, ex) in rule.examples.invalid.iter().enumerate() {
            let name = format!("{}-invalid-{i}", rule.code);
            let (out, text) = run(dir.path(), &name, ex, &settings);
            let hits: Vec<_> = out
                .findings
                .iter()
                .filter(|f| f.code == rule.code)
                .collect();
            assert!(
                !hits.is_empty(),
                "{} invalid example {i} raised nothing: {:#?}",
                rule.code,
                out.findings
            );
            if let Some(at) = &ex.at {
                assert!(
                    hits.iter().any(|f| &f.pointer == at),
                    "{} invalid example {i}: expected a finding at {at}, got {:?}",
                    rule.code,
                    hits.iter().map(|f| &f.pointer).collect::<Vec<_>>()
                );
            }
            for f in &hits {
                assert!(
                    f.span.end <= text.len(),
                    "{}: span out of the file",
                    rule.code
                );
            }
            checked += 1;
        }
        for (i, ex) in rule.examples.valid.iter().enumerate() {
            let name = format!("{}-valid-{i}", rule.code);
            let (out, _) = run(dir.path(), &name, ex, &settings);
            let hits: Vec<_> = out
                .findings
                .iter()
                .filter(|f| f.code == rule.code)
                .collect();
            assert!(
                hits.is_empty(),
                "{} valid example {i} raised: {hits:#?}",
                rule.code
            );
            checked += 1;
        }
    }
    assert!(checked >= 40, "only {checked} examples ran");
}
