//! The CI recipes and pre-commit hooks shipped in the repository: they parse as YAML, every
//! `adfpg-migrate` command in them is accepted by the CLI, the files they hand to other steps are the
//! ones they write, README shows them verbatim, and the hooks behave as pre-commit runs them.

mod common;
use adfpg_migrate::cli::Cli;
use clap::{CommandFactory, Parser};
use common::*;
use std::fs;
use yaml_rust2::{Yaml, YamlLoader};

fn load(rel: &str) -> (String, Yaml) {
    let text = fs::read_to_string(root().join(rel)).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}");
    (text, docs.remove(0))
}

/// Split a shell command line into words (quotes removed; no expansion).
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                started = false;
            }
            (None, c) => cur.push(c),
        }
    }
    assert!(quote.is_none(), "unbalanced quotes: {line}");
    if started || !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Every `adfpg-migrate …` command line in a script (continuation lines joined, comments skipped).
fn commands(script: &str) -> Vec<Vec<String>> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .map(words)
        .filter(|w| w.first().is_some_and(|c| c == "adfpg-migrate"))
        .collect()
}

/// The command must be one the CLI accepts, and a lint run (not a subcommand).
fn parse(cmd: &[String]) -> Cli {
    let cli = Cli::try_parse_from(cmd).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(cli.command.is_none(), "{cmd:?}");
    cli
}

fn steps(doc: &Yaml) -> Vec<&Yaml> {
    let mut out = Vec::new();
    if let Some(steps) = doc["steps"].as_vec() {
        out.extend(steps);
    }
    if let Some(jobs) = doc["jobs"].as_hash() {
        for job in jobs.values() {
            out.extend(job["steps"].as_vec().into_iter().flatten());
        }
    }
    out
}

fn option(cmd: &[String], flag: &str) -> Option<String> {
    cmd.iter()
        .position(|w| w == flag)
        .map(|i| cmd[i + 1].clone())
}

#[test]
fn the_cli_definition_is_consistent() {
    Cli::command().debug_assert();
    // help text is printed into CI logs too: it must not hold a logging command
    let help = Cli::command().render_long_help().to_string();
    assert!(!help.contains("##vso["), "{help}");
}

#[test]
fn github_workflow_lints_and_uploads_its_sarif() {
    let (_, doc) = load("ci-examples/github-workflow.yml");
    assert_eq!(
        doc["permissions"]["security-events"].as_str(),
        Some("write")
    );
    let steps = steps(&doc);
    let cmds: Vec<Vec<String>> = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .flat_map(commands)
        .collect();
    assert!(cmds.len() >= 2, "{cmds:?}");
    let mut sarif_file = None;
    for cmd in &cmds {
        let cli = parse(cmd);
        if option(cmd, "--output-format").as_deref() == Some("sarif") {
            sarif_file = cli.output.clone();
        }
    }
    let gate = cmds
        .iter()
        .find(|c| option(c, "--output-format").as_deref() == Some("github"))
        .expect("a lint step with annotations");
    assert!(
        !gate.contains(&"--exit-zero".to_string()),
        "the lint step gates"
    );
    let sarif_file = sarif_file.expect("a step writes SARIF");
    let upload = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("an upload-sarif step");
    assert_eq!(
        upload["with"]["sarif_file"].as_str(),
        sarif_file.to_str(),
        "upload-sarif reads the file adfpg-migrate writes"
    );
}

#[test]
fn azure_pipeline_lints_and_publishes_junit() {
    let (_, doc) = load("ci-examples/azure-pipelines.yml");
    let steps = steps(&doc);
    let cmds: Vec<Vec<String>> = steps
        .iter()
        .filter_map(|s| s["script"].as_str())
        .flat_map(commands)
        .collect();
    assert!(cmds.len() >= 2, "{cmds:?}");
    let mut junit_file = None;
    for cmd in &cmds {
        let cli = parse(cmd);
        if option(cmd, "--output-format").as_deref() == Some("junit") {
            junit_file = cli.output.clone();
        }
    }
    assert!(
        cmds.iter()
            .any(|c| option(c, "--output-format").as_deref() == Some("azure")
                && !c.contains(&"--exit-zero".to_string())),
        "a gating lint step with azure output"
    );
    let publish = steps
        .iter()
        .find(|s| s["task"].as_str() == Some("PublishTestResults@2"))
        .expect("a PublishTestResults step");
    assert_eq!(
        publish["inputs"]["testResultsFormat"].as_str(),
        Some("JUnit")
    );
    assert_eq!(
        publish["inputs"]["testResultsFiles"].as_str(),
        junit_file.as_deref().and_then(|p| p.to_str()),
        "PublishTestResults reads the file adfpg-migrate writes"
    );
    assert_eq!(publish["condition"].as_str(), Some("succeededOrFailed()"));
}

/// Both recipes install the released wheel at a pinned version (this one), never build from source.
#[test]
fn recipes_install_the_pinned_release_instead_of_building_it() {
    for (f, vars) in [
        ("ci-examples/github-workflow.yml", "env"),
        ("ci-examples/azure-pipelines.yml", "variables"),
    ] {
        let (text, doc) = load(f);
        assert_eq!(
            doc[vars]["ADFPG_MIGRATE_VERSION"].as_str(),
            Some(env!("CARGO_PKG_VERSION")),
            "{f} pins the version"
        );
        assert!(!text.contains("cargo "), "{f} must not build the tool");
        let installs: Vec<&str> = steps(&doc)
            .iter()
            .filter_map(|s| s["run"].as_str().or(s["script"].as_str()))
            .filter(|s| s.contains("pip install"))
            .collect();
        assert_eq!(installs.len(), 1, "{f}");
        assert!(
            installs[0].contains("\"adfpg-migrate==$ADFPG_MIGRATE_VERSION\"")
                || installs[0].contains("\"adfpg-migrate==$(ADFPG_MIGRATE_VERSION)\""),
            "{f}: {}",
            installs[0]
        );
    }
}

/// Annotations must not depend on code scanning: without Advanced Security (private repositories) or
/// with a fork's read-only token the SARIF upload fails, and the lint step still runs after it.
#[test]
fn github_lint_step_runs_even_when_the_sarif_upload_fails() {
    let (_, doc) = load("ci-examples/github-workflow.yml");
    let steps = steps(&doc);
    let upload = steps
        .iter()
        .position(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .unwrap();
    let lint = steps
        .iter()
        .position(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("--output-format github"))
        })
        .unwrap();
    assert_eq!(steps[upload]["continue-on-error"].as_bool(), Some(true));
    if lint > upload {
        assert_eq!(steps[lint]["if"].as_str(), Some("always()"));
    }
}

#[test]
fn azure_recipe_says_pull_requests_need_a_branch_policy() {
    let (text, _) = load("ci-examples/azure-pipelines.yml");
    let comments: String = text
        .lines()
        .filter(|l| l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        comments.contains("Azure Repos Git, `pr:` triggers are ignored")
            && comments.contains("branch policy")
            && comments.contains("Build validation"),
        "{comments}"
    );
}

/// Run the recipes' commands on the example factory, with the pipeline variables filled in.
#[test]
fn recipe_commands_do_what_the_next_steps_expect() {
    let dir = copy_tree(&example());
    let results = tempfile::tempdir().unwrap();
    let scripts: Vec<String> = [
        "ci-examples/github-workflow.yml",
        "ci-examples/azure-pipelines.yml",
    ]
    .iter()
    .flat_map(|f| {
        let (_, doc) = load(f);
        steps(&doc)
            .iter()
            .filter_map(|s| s["run"].as_str().or(s["script"].as_str()))
            .map(str::to_string)
            .collect::<Vec<_>>()
    })
    .collect();
    for script in scripts {
        for cmd in commands(&script) {
            let args: Vec<String> = cmd[1..]
                .iter()
                .map(|a| {
                    a.replace(
                        "$(Common.TestResultsDirectory)",
                        results.path().to_str().unwrap(),
                    )
                })
                .collect();
            let (code, out, err) = run_in(
                dir.path(),
                &args.iter().map(String::as_str).collect::<Vec<_>>(),
            );
            assert!(err.is_empty(), "{args:?}: {err}");
            let exit_zero = args.iter().any(|a| a == "--exit-zero");
            assert_eq!(code, if exit_zero { 0 } else { 1 }, "{args:?}: {out}");
        }
    }
    let sarif = fs::read_to_string(dir.path().join("adfpg-migrate.sarif")).unwrap();
    assert!(sarif.contains("\"version\": \"2.1.0\""));
    let junit = fs::read_to_string(results.path().join("adfpg-migrate.xml")).unwrap();
    assert!(junit.starts_with("<?xml") && junit.contains("<failure "));
}

#[test]
fn readme_shows_the_recipes_verbatim() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    for f in [
        "ci-examples/github-workflow.yml",
        "ci-examples/azure-pipelines.yml",
        "ci-examples/pre-commit-config.yaml",
    ] {
        let text = fs::read_to_string(root().join(f)).unwrap();
        assert!(
            readme.contains(&format!("```yaml\n{text}```")),
            "README.md must show {f} verbatim in a ```yaml block"
        );
    }
    assert!(readme.contains("(.pre-commit-hooks.yaml)"));
}

#[test]
fn pre_commit_hooks_are_well_formed() {
    let (_, doc) = load(".pre-commit-hooks.yaml");
    let hooks = doc.as_vec().unwrap();
    let ids: Vec<&str> = hooks.iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "adfpg-migrate",
            "adfpg-migrate-fix",
            "adfpg-migrate-python",
            "adfpg-migrate-fix-python"
        ]
    );
    for h in hooks {
        let id = h["id"].as_str().unwrap();
        let language = if id.ends_with("-python") {
            "python"
        } else {
            "rust"
        };
        assert_eq!(h["language"].as_str(), Some(language), "{id}");
        assert_eq!(
            h["types"].as_vec().unwrap(),
            &vec![Yaml::String("json".into())]
        );
        assert!(
            h["files"].is_badvalue(),
            "not limited to linkedService/: datasets, pipelines and ARM templates matter too"
        );
        assert!(h["name"].as_str().is_some() && h["minimum_pre_commit_version"].as_str().is_some());
        // pre-commit appends the file names to entry + args
        let mut cmd = words(h["entry"].as_str().unwrap());
        cmd.extend(["linkedService/a.json".to_string(), "b.json".into()]);
        let cli = parse(&cmd);
        assert!(cli.skip_missing_files);
        assert_eq!(cli.fix, id.starts_with("adfpg-migrate-fix"));
    }
    // the python hooks run exactly what the rust ones run
    for id in ["adfpg-migrate", "adfpg-migrate-fix"] {
        assert_eq!(hook_entry(id), hook_entry(&format!("{id}-python")));
    }
}

/// ci-examples/pre-commit-config.yaml installs the released wheel: a `repo: local` python hook whose
/// only package is adfpg-migrate pinned to this version, running what the repository's hook runs.
#[test]
fn pre_commit_config_installs_the_pinned_wheel() {
    let (_, doc) = load("ci-examples/pre-commit-config.yaml");
    let repos = doc["repos"].as_vec().unwrap();
    assert_eq!(repos.len(), 1);
    assert_eq!(repos[0]["repo"].as_str(), Some("local"));
    let hook = &repos[0]["hooks"][0];
    assert_eq!(hook["language"].as_str(), Some("python"));
    assert_eq!(
        hook["additional_dependencies"].as_vec().unwrap(),
        &vec![Yaml::String(format!(
            "adfpg-migrate=={}",
            env!("CARGO_PKG_VERSION")
        ))]
    );
    assert_eq!(
        words(hook["entry"].as_str().unwrap()),
        hook_entry("adfpg-migrate")
    );
    assert_eq!(
        hook["types"].as_vec().unwrap(),
        &vec![Yaml::String("json".into())]
    );
}

fn hook_entry(id: &str) -> Vec<String> {
    let (_, doc) = load(".pre-commit-hooks.yaml");
    let hook = doc
        .as_vec()
        .unwrap()
        .iter()
        .find(|h| h["id"].as_str() == Some(id))
        .unwrap()
        .clone();
    words(hook["entry"].as_str().unwrap())
}

/// Run a hook as pre-commit does: entry, then the staged file names.
fn run_hook(dir: &std::path::Path, id: &str, files: &[&str]) -> (i32, String, String) {
    let entry = hook_entry(id);
    let mut args: Vec<&str> = entry[1..].iter().map(String::as_str).collect();
    args.extend_from_slice(files);
    run_in(dir, &args)
}

/// A factory plus the JSON files a real repository also has, outside the ADF folders.
fn repo_with_other_json() -> tempfile::TempDir {
    let dir = copy_tree(&example());
    for (f, text) in [
        (
            "package.json",
            "{\"name\": \"factory-tools\", \"private\": true}",
        ),
        (".vscode/settings.json", "{\"editor.tabSize\": 4}"),
        (
            "arm/ARMTemplateParametersForFactory.json",
            "{\"parameters\": {\"factoryName\": {\"value\": \"adf-dev\"}}}",
        ),
        (
            "publish_config.json",
            "{\"publishBranch\": \"adf_publish\"}",
        ),
    ] {
        let p = dir.path().join(f);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn hooks_skip_files_outside_the_factory_folders_quietly() {
    let dir = repo_with_other_json();
    let others = [
        "package.json",
        ".vscode/settings.json",
        "arm/ARMTemplateParametersForFactory.json",
        "publish_config.json",
    ];
    for id in ["adfpg-migrate", "adfpg-migrate-fix"] {
        let before = snapshot_tree(dir.path());
        let (code, out, err) = run_hook(dir.path(), id, &others);
        assert_eq!(code, 0, "{id}: {out}{err}");
        assert!(err.is_empty(), "{err}");
        assert!(!out.contains("ADFPG") && !out.contains("error"), "{out}");
        assert!(
            out.contains("Scanned 4 files (0 parsed)"),
            "prefilter skipped them: {out}"
        );
        assert_eq!(before, snapshot_tree(dir.path()), "{id} changed nothing");
    }
}

#[test]
fn hooks_skip_deleted_files_but_not_typos_of_folders() {
    let dir = repo_with_other_json();
    let files = [
        "linkedService/PgPlainPassword.json",
        "linkedService/DeletedInThisCommit.json",
        "gone/folder/Renamed.json",
        "package.json",
    ];
    let (code, out, err) = run_hook(dir.path(), "adfpg-migrate", &files);
    assert_eq!(code, 1, "findings in the one relevant file: {out}{err}");
    assert!(
        err.is_empty() && !out.contains("Deleted") && !out.contains("Renamed"),
        "{out}{err}"
    );
    assert!(
        out.contains("linkedService/PgPlainPassword.json:4:17: ADFPG001"),
        "{out}"
    );
    // the fix hook migrates the file (pre-commit then fails the commit because a file changed)
    let (_, out, _) = run_hook(dir.path(), "adfpg-migrate-fix", &files);
    assert!(
        out.contains("fixed linkedService/PgPlainPassword.json: ADFPG001"),
        "{out}"
    );
    let fixed = fs::read_to_string(dir.path().join("linkedService/PgPlainPassword.json")).unwrap();
    assert!(fixed.contains("\"version\": \"2.0\""));
    // a missing path without a .json name (a mistyped folder) is still an error
    let (code, out, err) = run_hook(dir.path(), "adfpg-migrate", &["linkedServce"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("error: linkedServce"), "{err}");
    // and without the flag a missing file is an error too: a typo is never hidden
    let (code, out, _) = run_in(dir.path(), &["linkedService/PgStudo.json"]);
    assert_eq!(code, 2, "{out}");
}
