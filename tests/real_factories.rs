//! What `--fix --unsafe-fixes` writes on the real public factories (fixtures/real) is what Azure accepts:
//! strict JSON, no key twice, no new ADFPG100/ADFPG101/ADFPG002, and a migrated ARM template states the
//! same port and sslMode as the migrated linked-service file of the same name.

mod common;
use common::{copy_tree, root, run_in, walk};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// (path, code) → count, for the structural codes.
fn structural_findings(dir: &Path) -> BTreeMap<(String, String), usize> {
    let (_, out, _) = run_in(
        dir,
        &["--no-config", "--exit-zero", "--output-format", "json", "."],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let mut counts = BTreeMap::new();
    for f in v["findings"].as_array().unwrap() {
        let code = f["code"].as_str().unwrap();
        if matches!(code, "ADFPG100" | "ADFPG101" | "ADFPG002") {
            let key = (f["path"].as_str().unwrap().to_string(), code.to_string());
            *counts.entry(key).or_insert(0) += 1;
        }
    }
    counts
}

fn strict_json(bytes: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(bytes).ok()?;
    serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()
}

#[test]
fn fix_on_real_factories_writes_only_what_azure_accepts() {
    let dir = copy_tree(&root().join("fixtures/real"));
    let before_files: BTreeMap<_, _> = walk(dir.path())
        .into_iter()
        .map(|p| (p.clone(), fs::read(&p).unwrap()))
        .collect();
    let before = structural_findings(dir.path());
    let (_, out, _) = run_in(dir.path(), &["--no-config", "--fix", "--unsafe-fixes", "."]);
    let after = structural_findings(dir.path());
    for (key, n) in &after {
        assert!(
            *n <= before.get(key).copied().unwrap_or(0),
            "--fix introduced {key:?}:\n{out}"
        );
    }
    let mut changed = 0;
    for (path, old) in &before_files {
        let new = fs::read(path).unwrap();
        if &new != old {
            changed += 1;
            assert!(
                strict_json(&new).is_some(),
                "{} is not strict JSON after --fix",
                path.display()
            );
        }
    }
    assert!(
        changed > 0,
        "the real factories have 1.0 linked services to migrate: {out}"
    );
}

#[test]
fn migrated_templates_agree_with_their_linked_service_files() {
    let dir = copy_tree(&root().join("fixtures/real"));
    let (_, out, _) = run_in(dir.path(), &["--no-config", "--fix", "--unsafe-fixes", "."]);
    let mut compared = 0;
    for template in walk(dir.path()).into_iter().filter(|p| {
        p.file_name()
            .is_some_and(|n| n == "ARMTemplateForFactory.json" || n == "TemplateForWorkspace.json")
    }) {
        let Some(v) = strict_json(&fs::read(&template).unwrap()) else {
            continue;
        };
        // the template as it was: only what the fix migrated is compared (a template already at 2.0 may
        // come from another factory than the files beside it)
        let rel = template.strip_prefix(dir.path()).unwrap();
        let original = strict_json(&fs::read(root().join("fixtures/real").join(rel)).unwrap());
        for (i, r) in v["resources"].as_array().into_iter().flatten().enumerate() {
            let props = &r["properties"];
            if props["type"] != "AzurePostgreSql" || props["version"] != "2.0" {
                continue;
            }
            let was = original
                .as_ref()
                .map(|o| &o["resources"][i]["properties"]["version"]);
            if was.is_some_and(|w| w == "2.0") {
                continue;
            }
            let name = r["name"].as_str().unwrap();
            let name = name
                .rsplit_once("'/")
                .map_or(name, |(_, n)| n.trim_end_matches("')]"));
            // the factory's linked-service file: in the template's folder or the one above it
            let ls = template
                .ancestors()
                .skip(1)
                .take(2)
                .map(|d| d.join("linkedService").join(format!("{name}.json")))
                .find(|p| p.is_file());
            let Some(ls) = ls.and_then(|p| strict_json(&fs::read(p).unwrap())) else {
                continue;
            };
            let (a, j) = (
                &props["typeProperties"],
                &ls["properties"]["typeProperties"],
            );
            if ls["properties"]["version"] != "2.0" {
                continue;
            }
            assert_eq!(
                (&a["port"], &a["sslMode"]),
                (&j["port"], &j["sslMode"]),
                "{} `{name}` disagrees with its linked-service file:\n{out}",
                template.display()
            );
            // the new parameters default to the file's server, database and user (where the template
            // names them by parameter, as ADF's publish does)
            for member in ["server", "database", "username"] {
                let param = format!("{name}_properties_typeProperties_{member}");
                if a[member] == format!("[parameters('{param}')]") {
                    assert_eq!(
                        v["parameters"][&param]["defaultValue"],
                        j[member],
                        "{} `{name}`: the default of {param}:\n{out}",
                        template.display()
                    );
                }
            }
            compared += 1;
        }
    }
    assert!(
        compared >= 5,
        "only {compared} template/file pairs compared: {out}"
    );
}
