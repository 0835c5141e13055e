//! The CI recipes and pre-commit hooks shipped in the repository: they parse as YAML, every
//! `adfpg-migrate` command in them is accepted by the CLI, the files they hand to other steps are the
//! ones they write, README shows them verbatim, and the hooks behave as pre-commit runs them.

#[path = "common/ci.rs"]
mod ci;
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

/// The command must be one the CLI accepts, and a lint run (not a subcommand).
fn parse(cmd: &[String]) -> Cli {
    let cli = Cli::try_parse_from(cmd).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(cli.command.is_none(), "{cmd:?}");
    cli
}

#[test]
fn the_cli_definition_is_consistent() {
    Cli::command().debug_assert();
    // help text is printed into CI logs too: it must not hold a logging command
    let help = Cli::command().render_long_help().to_string();
    assert!(!help.contains("##vso["), "{help}");
}

/// The workflow linters (installed by scripts/ci-tools from PyPI): zizmor (offline, with
/// .github/zizmor.yml) and check-jsonschema against SchemaStore's GitHub workflow, GitHub action and
/// Azure Pipelines schemas, which it ships. A broken copy of each file must fail, so the lint is real.
#[test]
fn workflows_action_and_template_pass_the_workflow_linters() {
    let zizmor = |files: &[std::path::PathBuf]| {
        std::process::Command::new(ci::tool("zizmor"))
            .args(["--offline", "--no-progress", "--config"])
            .arg(root().join(".github/zizmor.yml"))
            .args(files)
            .output()
            .unwrap()
    };
    let schema = |kind: &str, files: &[std::path::PathBuf]| {
        std::process::Command::new(ci::tool("check-jsonschema"))
            .args(["--regex-variant", "nonunicode", "--builtin-schema"])
            .arg(format!("vendor.{kind}"))
            .args(files)
            .output()
            .unwrap()
    };
    let show = |o: &std::process::Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };
    let f = |rel: &str| root().join(rel);
    let github = [f("action.yml"), f("ci-examples/github-workflow.yml")];
    let out = zizmor(&github);
    assert!(out.status.success(), "{}", show(&out));
    for (kind, files) in [
        ("github-actions", vec![f("action.yml")]),
        (
            "github-workflows",
            vec![
                f("ci-examples/github-workflow.yml"),
                f(".github/workflows/release.yml"),
            ],
        ),
        (
            "azure-pipelines",
            vec![
                f("ci-examples/azure-pipelines.yml"),
                f("templates/adfpg-migrate-steps.yml"),
            ],
        ),
    ] {
        let out = schema(kind, &files);
        assert!(out.status.success(), "{kind}: {}", show(&out));
    }
    // each linter rejects what it should: a misspelt key, a script fed an expression
    let dir = tempfile::tempdir().unwrap();
    let broken = |rel: &str, from: &str, to: &str| {
        let text = fs::read_to_string(root().join(rel)).unwrap();
        assert!(text.contains(from), "{rel}");
        let p = dir.path().join(rel.replace('/', "-"));
        fs::write(&p, text.replacen(from, to, 1)).unwrap();
        p
    };
    let p = broken("action.yml", "      shell: bash\n", "      shel: bash\n");
    assert!(!schema("github-actions", &[p]).status.success());
    let p = broken(
        "templates/adfpg-migrate-steps.yml",
        "  - script: |",
        "  - scrpt: |",
    );
    assert!(!schema("azure-pipelines", &[p]).status.success());
    let p = broken(
        "ci-examples/github-workflow.yml",
        "    runs-on: ubuntu-latest",
        "    runs_on: ubuntu-latest",
    );
    assert!(!schema("github-workflows", &[p]).status.success());
    let p = broken(
        "action.yml",
        "        cd \"$ACTION_PATH\"",
        "        cd \"${{ github.event.pull_request.title }}\"",
    );
    let out = zizmor(&[p]);
    assert!(
        !out.status.success() && show(&out).contains("template-injection"),
        "{}",
        show(&out)
    );
}

fn action() -> Yaml {
    ci::load_yaml(&root().join("action.yml"))
}

fn template() -> Yaml {
    ci::load_yaml(&root().join("templates/adfpg-migrate-steps.yml"))
}

/// The action's own build or the wheel is replaced by the binary under test.
fn github_run(
    workspace: &std::path::Path,
    scratch: &std::path::Path,
    with: &[(&str, &str)],
) -> ci::GithubRun {
    let mut run = ci::GithubRun::new(&action(), workspace, scratch, with);
    run.skip.insert(
        "install".into(),
        [(
            "bin".to_string(),
            env!("CARGO_BIN_EXE_adfpg-migrate").to_string(),
        )]
        .into(),
    );
    run
}

fn step<'a>(ran: &'a [ci::StepRun], name: &str) -> &'a ci::StepRun {
    ran.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("step {name} did not run: {ran:?}"))
}

/// On a push, the action's steps as the runner runs them: report files outside the workspace, the SARIF
/// one handed to upload-sarif, no comment outside a pull request, annotations, the job summary, and the
/// check fails on the example factory's findings.
#[test]
fn action_lints_the_example_factory_on_a_push() {
    let factory = copy_tree(&example());
    let scratch = tempfile::tempdir().unwrap();
    let mut run = github_run(
        factory.path(),
        scratch.path(),
        &[("output-formats", "sarif, junit")],
    );
    let before = snapshot_tree(factory.path());
    let (ran, used) = run.run(&action());
    let lint = step(&ran, "Lint");
    assert_eq!(lint.code, 1, "{ran:?}");
    assert!(
        lint.stdout
            .contains("::error file=linkedService/PgPlainPassword.json,line=7,"),
        "{}",
        lint.stdout
    );
    assert_eq!(
        step(&ran, "Configuration").stdout,
        "",
        "a push uses the checked-out config"
    );
    let reports = run.runner_temp.join("adfpg-migrate");
    let sarif = fs::read_to_string(reports.join("report.sarif")).unwrap();
    assert!(sarif.contains("\"version\": \"2.1.0\"") && sarif.contains("ADFPG008"));
    assert!(
        fs::read_to_string(reports.join("report.xml"))
            .unwrap()
            .contains("<failure ")
    );
    let upload = used
        .iter()
        .find(|(u, _)| u.starts_with("github/codeql-action/upload-sarif@"))
        .unwrap();
    assert_eq!(
        upload.1["sarif_file"],
        reports.join("report.sarif").display().to_string()
    );
    assert!(
        step(&ran, "Pull-request comment")
            .stdout
            .contains("no pull-request comment")
    );
    let summary = fs::read_to_string(&run.summary).unwrap();
    assert!(
        summary.starts_with("## adfpg-migrate") && summary.contains("PgPlainPassword"),
        "{summary}"
    );
    assert_eq!(
        before,
        snapshot_tree(factory.path()),
        "nothing written into the repository"
    );
    // the cache is keyed by the sources the build reads
    let key = &run.values["steps.source.outputs.key"];
    assert_eq!(key.len(), 32, "{key}");
    let cache = used
        .iter()
        .find(|(u, _)| u.starts_with("actions/cache@"))
        .unwrap();
    assert_eq!(cache.1["key"], format!("adfpg-migrate-Linux-{key}"));
}

/// A factory repository with a base commit (its adfpg.toml ignores ADFPG008) and a pull request that
/// switches everything off, committing its config as a link to a file outside the repository.
fn pull_request_repo(outside: &std::path::Path) -> (tempfile::TempDir, String) {
    let repo = copy_tree(&example());
    fs::write(repo.path().join("adfpg.toml"), "ignore = [\"ADFPG008\"]\n").unwrap();
    let base = ci::git_commit_all(repo.path(), "base");
    fs::remove_file(repo.path().join("adfpg.toml")).unwrap();
    fs::write(outside, "exclude = [\"**\"]\n").unwrap();
    std::os::unix::fs::symlink(outside, repo.path().join("adfpg.toml")).unwrap();
    fs::write(repo.path().join(".adfpg.toml"), "exclude = [\"**\"]\n").unwrap();
    ci::git_commit_all(repo.path(), "pull request");
    (repo, base)
}

/// The trust model (issue 29 §5): on a pull request the configuration is the base branch's, put back in
/// place without writing through the link the pull request committed; from a fork, none at all.
#[cfg(unix)]
#[test]
fn action_on_pull_requests_takes_the_config_from_the_base_branch_or_none() {
    let scratch = tempfile::tempdir().unwrap();
    let outside = scratch.path().join("outside.toml");
    let (repo, base) = pull_request_repo(&outside);
    // the pull request's own config silences the lint
    let (code, out, _) = run_in(repo.path(), &["."]);
    assert_eq!(code, 0, "{out}");

    let mut run = github_run(repo.path(), scratch.path(), &[("output-formats", "")]);
    run.pull_request("contoso/factory", &base, "7");
    let (ran, _) = run.run(&action());
    let config = step(&ran, "Configuration");
    assert!(
        config
            .stdout
            .contains("configuration from the base branch: adfpg.toml"),
        "{ran:?}"
    );
    let top = fs::canonicalize(repo.path()).unwrap();
    assert_eq!(
        run.values["steps.config.outputs.args"],
        format!("--config {}/adfpg.toml", top.display())
    );
    assert_eq!(
        fs::read_to_string(&outside).unwrap(),
        "exclude = [\"**\"]\n",
        "link not followed"
    );
    assert_eq!(
        fs::read_to_string(repo.path().join("adfpg.toml")).unwrap(),
        "ignore = [\"ADFPG008\"]\n"
    );
    let lint = step(&ran, "Lint");
    assert_eq!(lint.code, 1, "{}", lint.stdout);
    // ADFPG008 is off: no finding of it, only the notice that the config turns it off
    assert!(
        lint.stdout.contains("ADFPG001") && !reports(&lint.stdout, "ADFPG008"),
        "{}",
        lint.stdout
    );

    // from a fork: no configuration at all, so the findings the base config ignores are back
    let (repo, base) = pull_request_repo(&outside);
    let mut run = github_run(repo.path(), scratch.path(), &[("output-formats", "")]);
    run.pull_request("mallory/factory", &base, "8");
    let (ran, _) = run.run(&action());
    assert_eq!(run.values["steps.config.outputs.args"], "--no-config");
    assert!(
        step(&ran, "Configuration")
            .stdout
            .contains("pull request from a fork")
    );
    let lint = step(&ran, "Lint");
    assert_eq!(lint.code, 1);
    assert!(lint.stdout.contains("ADFPG008"), "{}", lint.stdout);

    // a base branch without a config: none, whatever the pull request adds
    let repo = copy_tree(&example());
    let base = ci::git_commit_all(repo.path(), "base");
    fs::write(repo.path().join("adfpg.toml"), "exclude = [\"**\"]\n").unwrap();
    ci::git_commit_all(repo.path(), "pull request");
    let mut run = github_run(repo.path(), scratch.path(), &[("output-formats", "")]);
    run.pull_request("contoso/factory", &base, "9");
    let (ran, _) = run.run(&action());
    assert_eq!(run.values["steps.config.outputs.args"], "--no-config");
    assert_eq!(step(&ran, "Lint").code, 1);
}

/// `comment: true` posts the Markdown report once, then updates that comment (found by its marker).
#[cfg(unix)]
#[test]
fn action_posts_one_pull_request_comment_then_updates_it() {
    use std::os::unix::fs::PermissionsExt;
    let repo = copy_tree(&example());
    let base = ci::git_commit_all(repo.path(), "base");
    let scratch = tempfile::tempdir().unwrap();
    let bin = scratch.path().join("bin");
    fs::create_dir(&bin).unwrap();
    let log = scratch.path().join("gh.log");
    let existing = scratch.path().join("existing-id");
    // gh: logs its arguments and the body it sends; lists the comment id once one was posted
    fs::write(
        bin.join("gh"),
        format!(
            "#!/bin/bash\necho \"$*\" >> '{log}'\nfor a in \"$@\"; do case \"$a\" in body=@*) cp \"${{a#body=@}}\" '{log}.body' ;; esac; done\n\
             case \"$*\" in *--paginate*) cat '{existing}' 2>/dev/null ;; *POST*) echo 4242 > '{existing}' ;; esac\nexit 0\n",
            log = log.display(),
            existing = existing.display()
        ),
    )
    .unwrap();
    fs::set_permissions(bin.join("gh"), fs::Permissions::from_mode(0o755)).unwrap();
    for round in ["posted a comment", "updated comment 4242"] {
        let mut run = github_run(
            repo.path(),
            scratch.path(),
            &[("comment", "true"), ("output-formats", "")],
        );
        run.pull_request("contoso/factory", &base, "12");
        run.env.insert(
            "PATH".into(),
            format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()),
        );
        let (ran, _) = run.run(&action());
        let comment = step(&ran, "Pull-request comment");
        assert_eq!(comment.code, 0, "{comment:?}");
        assert!(comment.stdout.contains(round), "{comment:?}");
        let body = fs::read_to_string(format!("{}.body", log.display())).unwrap();
        assert!(
            body.starts_with("<!-- adfpg-migrate -->\n## adfpg-migrate\n"),
            "{body}"
        );
        assert!(body.contains("PgPlainPassword"));
    }
    let calls = fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert!(calls[1].starts_with("api --method POST repos/contoso/factory/issues/12/comments"));
    assert!(calls[3].starts_with("api --method PATCH repos/contoso/factory/issues/comments/4242"));
}

fn azure_run(
    workspace: &std::path::Path,
    scratch: &std::path::Path,
    params: &[(&str, &str)],
) -> ci::AzureRun {
    let mut run = ci::AzureRun::new(&template(), workspace, scratch, params);
    run.skip.push("Install adfpg-migrate".into());
    run.agent_env.insert(
        "ADFPG_MIGRATE".into(),
        env!("CARGO_BIN_EXE_adfpg-migrate").into(),
    );
    run
}

/// The Azure template's scripts as the agent runs them: JUnit and SARIF where the publishing tasks read
/// them, issues, the Markdown summary attached, and the run fails on findings.
#[test]
fn azure_template_lints_the_example_factory() {
    let factory = copy_tree(&example());
    let scratch = tempfile::tempdir().unwrap();
    let mut run = azure_run(factory.path(), scratch.path(), &[]);
    let (ran, tasks) = run.run(&template(), scratch.path());
    let lint = step(&ran, "adfpg-migrate (lint)");
    assert_eq!(lint.code, 1, "{ran:?}");
    assert!(
        lint.stdout
            .contains("##vso[task.logissue type=error;sourcepath="),
        "{}",
        lint.stdout
    );
    let summary = lint
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("##vso[task.uploadsummary]"))
        .expect("the summary attached");
    assert!(
        fs::read_to_string(summary)
            .unwrap()
            .starts_with("## adfpg-migrate")
    );
    let publish = &tasks
        .iter()
        .find(|(t, _)| t == "PublishTestResults@2")
        .unwrap()
        .1;
    assert_eq!(publish["condition"], "succeededOrFailed()");
    assert!(
        fs::read_to_string(&publish["testResultsFiles"])
            .unwrap()
            .contains("<failure ")
    );
    let artifact = &tasks
        .iter()
        .find(|(t, _)| t == "PublishBuildArtifacts@1")
        .unwrap()
        .1;
    assert_eq!(artifact["ArtifactName"], "CodeAnalysisLogs");
    let sarif = std::path::Path::new(&artifact["PathtoPublish"]).join("adfpg-migrate.sarif");
    assert!(
        fs::read_to_string(sarif)
            .unwrap()
            .contains("\"version\": \"2.1.0\"")
    );
    let cache = &tasks.iter().find(|(t, _)| t == "Cache@2").unwrap().1;
    assert_eq!(cache["condition"], "eq('source', 'source')");
    assert_eq!(cache["cacheHitVar"], "ADFPG_MIGRATE_CACHE_RESTORED");
}

/// Azure pull requests: the target branch's config (as fetched by the checkout), from a fork none.
#[cfg(unix)]
#[test]
fn azure_template_on_pull_requests_takes_the_config_from_the_target_branch_or_none() {
    let scratch = tempfile::tempdir().unwrap();
    let outside = scratch.path().join("outside.toml");
    for (fork, want) in [("False", "ADFPG001"), ("True", "ADFPG008")] {
        let (repo, base) = pull_request_repo(&outside);
        let git = std::process::Command::new("git")
            .args(["update-ref", "refs/remotes/origin/main", &base])
            .current_dir(repo.path())
            .status()
            .unwrap();
        assert!(git.success());
        let mut run = azure_run(repo.path(), scratch.path(), &[]);
        for (k, v) in [
            ("BUILD_REASON", "PullRequest"),
            ("SYSTEM_PULLREQUEST_ISFORK", fork),
            ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/main"),
        ] {
            run.agent_env.insert(k.into(), v.into());
        }
        let (ran, _) = run.run(&template(), scratch.path());
        let lint = step(&ran, "adfpg-migrate (lint)");
        assert_eq!(lint.code, 1, "fork {fork}: {ran:?}");
        assert!(lint.stdout.contains(want), "{}", lint.stdout);
        if fork == "False" {
            assert!(
                !reports(&lint.stdout, "ADFPG008"),
                "the target branch ignores it"
            );
            assert!(run.agent_env["ADFPG_CONFIG_ARGS"].starts_with("--config "));
        } else {
            assert_eq!(run.agent_env["ADFPG_CONFIG_ARGS"], "--no-config");
        }
        assert_eq!(
            fs::read_to_string(&outside).unwrap(),
            "exclude = [\"**\"]\n"
        );
    }
}

/// The recipes reference the Action and the template with inputs and parameters they declare, and
/// point the template at the folders they check out.
#[test]
fn recipes_use_the_action_and_the_template_as_declared() {
    let (_, workflow) = load("ci-examples/github-workflow.yml");
    let steps = workflow["jobs"]["adfpg-migrate"]["steps"].as_vec().unwrap();
    let uses = steps
        .iter()
        .find(|s| s["uses"].as_str() == Some("OWNER/adfpg-migrate@COMMIT"))
        .expect("the recipe uses the Action");
    let inputs = action()["inputs"].as_hash().unwrap().clone();
    for (k, _) in uses["with"].as_hash().unwrap() {
        assert!(inputs.contains_key(k), "{k:?}");
    }
    assert_eq!(
        workflow["permissions"]["security-events"].as_str(),
        Some("write")
    );
    assert_eq!(
        workflow["permissions"]["pull-requests"].as_str(),
        Some("write")
    );
    // the base branch is the merge commit's first parent
    assert_eq!(steps[0]["with"]["fetch-depth"].as_i64(), Some(2));

    let (text, pipeline) = load("ci-examples/azure-pipelines.yml");
    let steps = pipeline["steps"].as_vec().unwrap();
    let template_step = steps.iter().find(|s| !s["template"].is_badvalue()).unwrap();
    assert_eq!(
        template_step["template"].as_str(),
        Some("templates/adfpg-migrate-steps.yml@adfpg")
    );
    let declared: Vec<String> = template()["parameters"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    let params = template_step["parameters"].as_hash().unwrap();
    for (k, _) in params {
        assert!(declared.contains(&k.as_str().unwrap().to_string()), "{k:?}");
    }
    let path_of = |repo: &str| {
        steps
            .iter()
            .find(|s| s["checkout"].as_str() == Some(repo))
            .and_then(|s| s["path"].as_str())
            .unwrap()
            .to_string()
    };
    assert_eq!(
        params[&Yaml::String("workingDirectory".into())].as_str(),
        Some(format!("$(Pipeline.Workspace)/{}", path_of("self")).as_str())
    );
    assert_eq!(
        params[&Yaml::String("sourceDirectory".into())].as_str(),
        Some(format!("$(Pipeline.Workspace)/{}", path_of("adfpg")).as_str())
    );
    assert_eq!(
        pipeline["resources"]["repositories"][0]["repository"].as_str(),
        Some("adfpg")
    );
    assert!(
        text.contains("Azure Repos Git, `pr:` triggers are ignored")
            && text.contains("Build validation")
    );
}

/// test-connection sends a password to the server a file names: no recipe, Action or template runs it,
/// on pull requests or anywhere else.
#[test]
fn no_recipe_runs_test_connection() {
    for f in [
        "action.yml",
        "templates/adfpg-migrate-steps.yml",
        "ci-examples/github-workflow.yml",
        "ci-examples/azure-pipelines.yml",
        "ci-examples/pre-commit-config.yaml",
        "ci-examples/pre-commit-config-pypi.yaml",
        ".pre-commit-hooks.yaml",
    ] {
        let text = fs::read_to_string(root().join(f)).unwrap();
        let code: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .filter(|l| l.contains("test-connection"))
            .collect();
        assert!(code.is_empty(), "{f}: {code:?}");
    }
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    let ci = &readme[readme.find("## CI and pre-commit").unwrap()..];
    assert!(
        ci.contains("### Pull requests are untrusted"),
        "the README says why"
    );
}

#[test]
fn readme_shows_the_recipes_verbatim() {
    let readme = fs::read_to_string(root().join("README.md")).unwrap();
    for f in [
        "ci-examples/github-workflow.yml",
        "ci-examples/azure-pipelines.yml",
        "ci-examples/pre-commit-config.yaml",
        "ci-examples/pre-commit-config-pypi.yaml",
    ] {
        let text = fs::read_to_string(root().join(f)).unwrap();
        assert!(
            readme.contains(&format!("```yaml\n{text}```")),
            "README.md must show {f} verbatim in a ```yaml block"
        );
    }
    assert!(readme.contains("(.pre-commit-hooks.yaml)"));
    assert!(
        readme.contains("(action.yml)") && readme.contains("(templates/adfpg-migrate-steps.yml)")
    );
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
        // one run, one summary: pre-commit would otherwise split the files over one process per core
        assert_eq!(h["require_serial"].as_bool(), Some(true), "{id}");
    }
    // the python hooks run exactly what the rust ones run
    for id in ["adfpg-migrate", "adfpg-migrate-fix"] {
        assert_eq!(hook_entry(id), hook_entry(&format!("{id}-python")));
    }
}

/// The from-source config names a hook of this repository; the published one (marked as working once a
/// release exists) pins this version's wheel and runs what the repository's hook runs, serially.
#[test]
fn pre_commit_configs_name_the_hooks_and_the_pinned_wheel() {
    let (text, doc) = load("ci-examples/pre-commit-config.yaml");
    let repo = &doc["repos"][0];
    assert_eq!(
        repo["repo"].as_str(),
        Some("https://github.com/OWNER/adfpg-migrate")
    );
    assert!(text.contains("Replace the repo with where you host adfpg-migrate's source"));
    assert_eq!(repo["hooks"][0]["id"].as_str(), Some("adfpg-migrate"));

    let (text, doc) = load("ci-examples/pre-commit-config-pypi.yaml");
    assert!(
        text.contains("works once a release is published on PyPI"),
        "{text}"
    );
    let repos = doc["repos"].as_vec().unwrap();
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
    assert_eq!(hook["require_serial"].as_bool(), Some(true));
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

/// Does a lint's output report a finding of `code` (not just name it, as the notice of a config that
/// turns it off does)?
fn reports(out: &str, code: &str) -> bool {
    out.lines()
        .any(|l| l.contains(code) && !l.contains("turns findings off"))
}
