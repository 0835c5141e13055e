//! Fix policy through the binary: migrating never raises sslMode unasked, per-rule fix control with
//! ruff's names, and the counts a lint or a plan states are what `--fix` then applies.

mod common;
use common::{copy_tree, example, run_in, ssl_mode_of_v1};
use serde_json::Value;
use std::path::Path;

fn read_json(p: &Path) -> Value {
    let text = std::fs::read_to_string(p).unwrap();
    serde_json::from_str(text.trim_start_matches('\u{feff}')).unwrap()
}

/// The 1.0 connection string of a linked service file (plain or SecureString), if it has one literal.
fn v1_connection_string(v: &Value) -> Option<String> {
    let cs = &v["properties"]["typeProperties"]["connectionString"];
    cs.as_str()
        .or_else(|| {
            (cs["type"] == "SecureString")
                .then(|| cs["value"].as_str())
                .flatten()
        })
        .map(str::to_string)
}

fn ssl_mode(v: &Value) -> Option<i64> {
    v["properties"]["typeProperties"]["sslMode"].as_i64()
}

/// Every 1.0 linked service of the example factory with a literal connection string: (file, expected).
fn expected_modes(dir: &Path) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("linkedService")).unwrap() {
        let p = e.unwrap().path();
        let v = read_json(&p);
        if v["properties"]["type"] != "AzurePostgreSql" {
            continue;
        }
        if let Some(cs) = v1_connection_string(&v).filter(|cs| cs.contains('=')) {
            out.push((
                p.file_name().unwrap().to_string_lossy().into_owned(),
                ssl_mode_of_v1(&cs),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn unsafe_fixes_migrate_with_the_1_0_mapping_and_never_raise_ssl_mode() {
    let dir = copy_tree(&example());
    let expected = expected_modes(dir.path());
    assert!(expected.len() >= 6, "{expected:?}");
    // every branch of the mapping is exercised
    for mode in [2, 3, 4] {
        assert!(
            expected.iter().any(|(_, m)| *m == mode),
            "{mode}: {expected:?}"
        );
    }
    let (code, out, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "--no-config", "."]);
    assert!(code <= 1, "{code} {err}");
    assert!(
        !out.contains("ADFPG004 (unsafe)") && !out.contains("ADFPG005 (unsafe)"),
        "{out}"
    );
    for (file, mode) in &expected {
        let v = read_json(&dir.path().join("linkedService").join(file));
        if v["properties"]["version"] == "2.0" {
            assert_eq!(ssl_mode(&v), Some(*mode), "{file}");
        }
    }
    // 2.0 files keep their sslMode: 3 stays 3 (ADFPG005 only suggests 5)
    let mi = read_json(&dir.path().join("linkedService/PgManagedIdentity.json"));
    assert_eq!(ssl_mode(&mi), Some(3));
}

#[test]
fn an_ssl_policy_raises_to_its_minimum_and_no_further() {
    let dir = copy_tree(&example());
    std::fs::write(
        dir.path().join("adfpg.toml"),
        "[ssl]\nminimum = \"Require\"\n",
    )
    .unwrap();
    let expected = expected_modes(dir.path());
    let (code, _, err) = run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    assert!(code <= 1, "{code} {err}");
    for (file, mode) in &expected {
        let v = read_json(&dir.path().join("linkedService").join(file));
        if v["properties"]["version"] == "2.0" {
            assert_eq!(ssl_mode(&v), Some((*mode).max(3)), "{file}");
        }
    }
}

/// A 2.0 linked service with sslMode 2, in a folder of its own.
fn prefer_factory() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("linkedService")).unwrap();
    std::fs::write(
        dir.path().join("linkedService/Pg.json"),
        r#"{"name": "Pg", "properties": {"type": "AzurePostgreSql", "version": "2.0", "typeProperties": {"server": "h.example.com", "port": 5432, "database": "d", "sslMode": 2, "username": "u", "authenticationType": "Basic", "password": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "KV", "type": "LinkedServiceReference"}, "secretName": "s"}}}}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("linkedService/KV.json"),
        r#"{"name": "KV", "properties": {"type": "AzureKeyVault", "typeProperties": {"baseUrl": "https://kv.vault.azure.net/"}}}"#,
    )
    .unwrap();
    dir
}

fn pg_ssl_mode(dir: &Path) -> Option<i64> {
    ssl_mode(&read_json(&dir.join("linkedService/Pg.json")))
}

#[test]
fn the_ssl_raise_is_applied_only_when_selected_by_name() {
    let dir = prefer_factory();
    for args in [
        &["--fix", "--unsafe-fixes", "--no-config", "."][..],
        &[
            "--fix",
            "--unsafe-fixes",
            "--fixable",
            "ALL",
            "--no-config",
            ".",
        ],
        &["--fix", "--extend-fixable", "ADFPG004", "--no-config", "."],
    ] {
        run_in(dir.path(), args);
        assert_eq!(pg_ssl_mode(dir.path()), Some(2), "{args:?}");
    }
    let (code, out, _) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--extend-fixable",
            "ADFPG004",
            "--no-config",
            ".",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(pg_ssl_mode(dir.path()), Some(5));
}

#[test]
fn config_extend_safe_fixes_selects_the_ssl_raise_for_plain_fix() {
    let dir = prefer_factory();
    std::fs::write(
        dir.path().join("adfpg.toml"),
        "extend-safe-fixes = [\"ADFPG004\"]\n",
    )
    .unwrap();
    run_in(dir.path(), &["--fix", "."]);
    assert_eq!(pg_ssl_mode(dir.path()), Some(5));
}

#[test]
fn prefer_is_information_and_a_policy_makes_it_an_error() {
    let dir = prefer_factory();
    let (code, out, _) = run_in(
        dir.path(),
        &["--no-config", "--output-format", "concise", "."],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ADFPG004 [info]"), "{out}");
    let (code, out, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "--severity",
            "ADFPG004=error",
            "--output-format",
            "concise",
            ".",
        ],
    );
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("ADFPG004 [error]"), "{out}");
    // Disable and Allow stay warnings
    for (mode, level) in [(0, "warning"), (1, "warning")] {
        let p = dir.path().join("linkedService/Pg.json");
        let text = std::fs::read_to_string(&p).unwrap();
        let text = text.replace("\"sslMode\": 2", &format!("\"sslMode\": {mode}"));
        std::fs::write(
            &p,
            text.replace("\"sslMode\": 0", &format!("\"sslMode\": {mode}")),
        )
        .unwrap();
        let (code, out, _) = run_in(
            dir.path(),
            &["--no-config", "--output-format", "concise", "."],
        );
        assert_eq!(code, 1, "{out}");
        assert!(
            out.contains(&format!("ADFPG004 [{level}]")),
            "{mode}: {out}"
        );
    }
}

#[test]
fn unfixable_and_extend_unsafe_fixes_hold_fixes_back() {
    let dir = copy_tree(&example());
    let before = common::snapshot_tree(dir.path());
    run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--unfixable",
            "ADFPG001",
            "--no-config",
            ".",
        ],
    );
    for f in ["PgStudio.json", "PgPlainPassword.json"] {
        let v = read_json(&dir.path().join("linkedService").join(f));
        assert!(v["properties"]["version"].is_null(), "{f} was migrated");
    }
    // config: ADFPG030's safe fix made unsafe, so --fix alone leaves the dataset alone
    let dir = copy_tree(&example());
    std::fs::write(
        dir.path().join("adfpg.toml"),
        "extend-unsafe-fixes = [\"ADFPG030\"]\n",
    )
    .unwrap();
    run_in(dir.path(), &["--fix", "."]);
    assert_eq!(
        std::fs::read(dir.path().join("dataset/LegacyOrders.json")).unwrap(),
        before["dataset/LegacyOrders.json"]
    );
    // and config `unfixable` keeps the migration out even with --unsafe-fixes
    let dir = copy_tree(&example());
    std::fs::write(
        dir.path().join("adfpg.toml"),
        "unfixable = [\"ADFPG001\"]\n",
    )
    .unwrap();
    run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    let v = read_json(&dir.path().join("linkedService/PgStudio.json"));
    assert!(v["properties"]["version"].is_null());
}

#[test]
fn unknown_code_in_fix_lists_is_an_error() {
    let (code, _, err) = run_in(
        &example(),
        &["--no-config", "--extend-fixable", "ADFPG999", "."],
    );
    assert_eq!(code, 2);
    assert!(err.contains("ADFPG999"), "{err}");
}

fn summary(dir: &Path, args: &[&str]) -> (u64, u64) {
    let mut all = vec!["--no-config", "--output-format", "json"];
    all.extend_from_slice(args);
    all.push(".");
    let (_, out, err) = run_in(dir, &all);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    let s = &v["summary"];
    (
        s["files_changed"].as_u64().unwrap(),
        s["fixes_applied"].as_u64().unwrap(),
    )
}

#[test]
fn lint_and_check_counts_are_what_fix_applies() {
    for unsafe_fixes in [false, true] {
        let flags: &[&str] = if unsafe_fixes {
            &["--unsafe-fixes"]
        } else {
            &[]
        };
        let dir = copy_tree(&example());
        let lint = summary(dir.path(), flags);
        let check = summary(dir.path(), &[&["--check"], flags].concat());
        let fixed = summary(dir.path(), &[&["--fix"], flags].concat());
        assert!(lint.1 > 0, "{lint:?}");
        assert_eq!(lint, check, "unsafe={unsafe_fixes}");
        assert_eq!(lint, fixed, "unsafe={unsafe_fixes}");
    }
    // the text summary says the same numbers
    let dir = copy_tree(&example());
    let (files, fixes) = summary(dir.path(), &["--unsafe-fixes"]);
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "--output-format",
            "concise",
            "--unsafe-fixes",
            ".",
        ],
    );
    assert!(
        out.contains(&format!(
            "--fix --unsafe-fixes would apply {fixes} fixes to {files} files."
        )),
        "{out}"
    );
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "--output-format",
            "concise",
            "--fix",
            "--unsafe-fixes",
            ".",
        ],
    );
    assert!(
        out.contains(&format!("Fixed {files} files ({fixes} fixes applied).")),
        "{out}"
    );
}

fn plan(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["plan", "--no-config", "--output-format", "json"];
    all.extend_from_slice(args);
    all.push(".");
    let (code, out, err) = run_in(dir, &all);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

fn steps<'a>(plan: &'a Value, ls: &str, list: &str) -> Vec<&'a str> {
    plan["linked_services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == ls)
        .unwrap_or_else(|| panic!("{ls}"))[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect()
}

#[test]
fn plan_lists_what_fix_with_the_same_options_applies() {
    let dir = copy_tree(&example());
    let safe = plan(dir.path(), &[]);
    assert_eq!(safe["fix_command"], "--fix");
    assert_eq!(steps(&safe, "PgStudio", "will_do"), Vec::<&str>::new());
    assert_eq!(steps(&safe, "PgStudio", "needs_unsafe_fixes"), ["ADFPG001"]);
    assert_eq!(steps(&safe, "PgPlainPassword", "will_do"), ["ADFPG001"]);
    assert_eq!(
        steps(&safe, "PgManagedIdentity", "suggestions"),
        ["ADFPG005"]
    );

    let all = plan(dir.path(), &["--unsafe-fixes"]);
    assert_eq!(all["fix_command"], "--fix --unsafe-fixes");
    assert_eq!(steps(&all, "PgStudio", "will_do"), ["ADFPG001"]);
    assert_eq!(
        steps(&all, "PgStudio", "needs_unsafe_fixes"),
        Vec::<&str>::new()
    );
    // the plan's linked-service fixes add up to what --fix applies to linked services
    let planned: usize = all["linked_services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["will_do"].as_array().unwrap().len())
        .sum();
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--no-config",
            "--output-format",
            "json",
            "--fix",
            "--unsafe-fixes",
            "linkedService",
        ],
    );
    let fixed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        planned as u64,
        fixed["summary"]["fixes_applied"].as_u64().unwrap()
    );

    // rule selection as in a lint run
    let ignored = plan(dir.path(), &["--unsafe-fixes", "--ignore", "ADFPG001"]);
    assert_eq!(steps(&ignored, "PgStudio", "will_do"), Vec::<&str>::new());
    let selected = plan(
        dir.path(),
        &["--select", "ADFPG005", "--severity", "ADFPG005=error"],
    );
    assert_eq!(
        steps(&selected, "PgPlainPassword", "will_do"),
        Vec::<&str>::new()
    );
    assert_eq!(
        steps(&selected, "PgManagedIdentity", "suggestions"),
        ["ADFPG005"]
    );
}

#[test]
fn fixable_limits_fix_to_the_named_rules() {
    let dir = copy_tree(&example());
    let before = common::snapshot_tree(dir.path());
    let (_, out, _) = run_in(
        dir.path(),
        &[
            "--fix",
            "--unsafe-fixes",
            "--fixable",
            "ADFPG030",
            "--no-config",
            ".",
        ],
    );
    let after = common::snapshot_tree(dir.path());
    let changed: Vec<&String> = after.keys().filter(|k| before[*k] != after[*k]).collect();
    assert_eq!(changed, ["dataset/LegacyOrders.json"], "{out}");
    // the same from the config file
    let dir = copy_tree(&example());
    std::fs::write(dir.path().join("adfpg.toml"), "fixable = [\"ADFPG030\"]\n").unwrap();
    run_in(dir.path(), &["--fix", "--unsafe-fixes", "."]);
    let after = common::snapshot_tree(dir.path());
    let changed: Vec<&String> = after
        .keys()
        .filter(|k| before.get(*k) != Some(&after[*k]))
        .collect();
    assert_eq!(changed, ["adfpg.toml", "dataset/LegacyOrders.json"]);
}
