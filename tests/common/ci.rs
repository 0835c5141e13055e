//! Run the steps of the GitHub Action (`action.yml`) and of the Azure Pipelines template
//! (`templates/adfpg-migrate-steps.yml`) here, as the runners do: each `run`/`script` body with bash, with
//! the environment variables the runner sets, the step's `env:` (its `${{ … }}` expressions resolved from
//! the inputs or parameters and the event), outputs passed on (`$GITHUB_OUTPUT`, `##vso[task.setvariable]`).
//! Steps that use another action or a task (cache, upload-sarif, PublishTestResults) cannot run here: they
//! are returned, for the tests to check their inputs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

pub fn load_yaml(path: &Path) -> Yaml {
    let text = fs::read_to_string(path).unwrap();
    YamlLoader::load_from_str(&text)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .remove(0)
}

/// The tools scripts/ci-tools installs (pre-commit, zizmor, check-jsonschema, maturin): never skipped.
pub fn tool(name: &str) -> PathBuf {
    let dir = std::env::var_os("ADFPG_CI_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| super::root().join("target/ci-tools"));
    let p = dir.join("bin").join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/ci-tools (scripts/test does) to install the pinned Python tools",
        p.display()
    );
    p
}

/// The steps that use an action or a task: its name and its inputs, resolved.
pub type Used = Vec<(String, BTreeMap<String, String>)>;

/// What a step printed and how it ended.
#[derive(Debug)]
pub struct StepRun {
    pub name: String,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Replace every `${{ expr }}` in `text` with `values[expr]` (an expression it does not know, other than
/// a step's output, is a bug in the test or the file: it panics).
pub fn expand(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("${{") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("}}").expect("closed expression") + at;
        let expr = rest[at + 3..end].trim();
        match values.get(expr) {
            Some(value) => out.push_str(value),
            // the outputs of a step that did not run (the cache, when installing from PyPI) are empty
            None if expr.starts_with("steps.") => {}
            None => panic!("no value for `{expr}` in {text}"),
        }
        rest = &rest[end + 2..];
    }
    out + rest
}

fn run_bash(
    script: &str,
    cwd: &Path,
    env: &BTreeMap<String, String>,
    scratch: &Path,
) -> (i32, String, String) {
    let file = scratch.join("step.sh");
    fs::write(&file, script).unwrap();
    let out = std::process::Command::new("bash")
        .args(["--noprofile", "--norc", "-e", "-o", "pipefail"])
        .arg(&file)
        .current_dir(cwd)
        .envs(env)
        .env_remove("ADFPG_OUTPUT_FORMAT")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A GitHub Actions job running the composite action: the event, the runner's folders and the values
/// of `${{ … }}` expressions (`inputs.*` filled from the action's defaults, then `with`).
pub struct GithubRun {
    pub workspace: PathBuf,
    pub runner_temp: PathBuf,
    pub summary: PathBuf,
    pub values: BTreeMap<String, String>,
    /// Extra environment (PATH for stubs, HOME …).
    pub env: BTreeMap<String, String>,
    /// Steps (by id) not run, with the outputs to pretend they gave.
    pub skip: BTreeMap<String, BTreeMap<String, String>>,
}

impl GithubRun {
    pub fn new(
        action: &Yaml,
        workspace: &Path,
        scratch: &Path,
        with: &[(&str, &str)],
    ) -> GithubRun {
        let runner_temp = scratch.join("runner-temp");
        fs::create_dir_all(&runner_temp).unwrap();
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for (name, spec) in action["inputs"].as_hash().unwrap() {
            let default = spec["default"].as_str().unwrap_or("");
            values.insert(
                format!("inputs.{}", name.as_str().unwrap()),
                default.to_string(),
            );
        }
        values.insert("github.token".into(), "gh-token-for-tests".into());
        let resolved: Vec<(String, String)> = values
            .iter()
            .map(|(k, v)| (k.clone(), expand(v, &values)))
            .collect();
        values.extend(resolved);
        for (k, v) in with {
            assert!(values.contains_key(&format!("inputs.{k}")), "no input {k}");
            values.insert(format!("inputs.{k}"), v.to_string());
        }
        values.insert(
            "github.action_path".into(),
            super::root().display().to_string(),
        );
        values.insert("runner.os".into(), "Linux".into());
        values.insert("runner.temp".into(), runner_temp.display().to_string());
        for key in [
            "github.event.pull_request.head.repo.full_name",
            "github.event.pull_request.base.sha",
            "github.event.pull_request.number",
        ] {
            values.insert(key.into(), String::new());
        }
        values.insert("github.event_name".into(), "push".into());
        values.insert("github.repository".into(), "contoso/factory".into());
        GithubRun {
            workspace: workspace.to_path_buf(),
            summary: scratch.join("step-summary.md"),
            runner_temp,
            values,
            env: BTreeMap::new(),
            skip: BTreeMap::new(),
        }
    }

    /// A `pull_request` event from `head_repository` (the same as `github.repository`, or a fork).
    pub fn pull_request(&mut self, head_repository: &str, base_sha: &str, number: &str) {
        for (k, v) in [
            ("github.event_name", "pull_request"),
            (
                "github.event.pull_request.head.repo.full_name",
                head_repository,
            ),
            ("github.event.pull_request.base.sha", base_sha),
            ("github.event.pull_request.number", number),
        ] {
            self.values.insert(k.into(), v.into());
        }
    }

    /// Run the action's steps in order, up to the first failing one (unless it may fail). Returns the
    /// steps that ran and the `uses:` steps (with their `with:` resolved) in between.
    pub fn run(&mut self, action: &Yaml) -> (Vec<StepRun>, Used) {
        let mut ran = Vec::new();
        let mut used = Vec::new();
        let scratch = self.runner_temp.join("..").join("steps");
        fs::create_dir_all(&scratch).unwrap();
        for step in action["runs"]["steps"].as_vec().unwrap() {
            let id = step["id"].as_str().unwrap_or("").to_string();
            let name = step["name"].as_str().unwrap_or("").to_string();
            if let Some(outputs) = self.skip.get(&id) {
                for (k, v) in outputs {
                    self.values
                        .insert(format!("steps.{id}.outputs.{k}"), v.clone());
                }
                continue;
            }
            if let Some(uses) = step["uses"].as_str() {
                let with = step["with"]
                    .as_hash()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        (
                            k.as_str().unwrap().to_string(),
                            expand(v.as_str().unwrap_or(""), &self.values),
                        )
                    })
                    .collect();
                used.push((uses.to_string(), with));
                continue;
            }
            let script = step["run"].as_str().expect("a run step");
            assert!(
                !script.contains("${{"),
                "step `{name}`: expressions go through env:, never into the script"
            );
            assert_eq!(step["shell"].as_str(), Some("bash"), "{name}");
            let output = scratch.join(format!("output-{}", ran.len()));
            fs::write(&output, "").unwrap();
            let mut env = self.env.clone();
            for (k, v) in [
                ("CI", "true".to_string()),
                ("GITHUB_ACTIONS", "true".into()),
                ("GITHUB_OUTPUT", output.display().to_string()),
                ("GITHUB_STEP_SUMMARY", self.summary.display().to_string()),
                ("GITHUB_WORKSPACE", self.workspace.display().to_string()),
                ("RUNNER_TEMP", self.runner_temp.display().to_string()),
                (
                    "GITHUB_ACTION_PATH",
                    self.values["github.action_path"].clone(),
                ),
            ] {
                env.insert(k.into(), v);
            }
            for (k, v) in step["env"].as_hash().into_iter().flatten() {
                env.insert(
                    k.as_str().unwrap().into(),
                    expand(v.as_str().unwrap(), &self.values),
                );
            }
            let (code, stdout, stderr) = run_bash(script, &self.workspace, &env, &scratch);
            for line in fs::read_to_string(&output).unwrap().lines() {
                let (k, v) = line.split_once('=').expect("name=value");
                self.values
                    .insert(format!("steps.{id}.outputs.{k}"), v.to_string());
            }
            let may_fail = step["continue-on-error"].as_bool() == Some(true);
            ran.push(StepRun {
                name,
                code,
                stdout,
                stderr,
            });
            if code != 0 && !may_fail {
                break;
            }
        }
        (ran, used)
    }
}

/// An Azure Pipelines job running the steps template: the agent's variables (as environment variables,
/// as the agent maps them), the template's parameters, and the variables steps set.
pub struct AzureRun {
    pub workspace: PathBuf,
    pub agent_env: BTreeMap<String, String>,
    pub parameters: BTreeMap<String, String>,
    pub skip: Vec<String>,
}

impl AzureRun {
    pub fn new(
        template: &Yaml,
        workspace: &Path,
        scratch: &Path,
        params: &[(&str, &str)],
    ) -> AzureRun {
        let dir = |name: &str| {
            let p = scratch.join(name);
            fs::create_dir_all(&p).unwrap();
            p.display().to_string()
        };
        let mut agent_env = BTreeMap::new();
        for (k, v) in [
            ("TF_BUILD", "True".to_string()),
            ("AGENT_OS", "Linux".into()),
            ("AGENT_TEMPDIRECTORY", dir("agent-temp")),
            ("PIPELINE_WORKSPACE", dir("pipeline")),
            ("COMMON_TESTRESULTSDIRECTORY", dir("test-results")),
            ("BUILD_ARTIFACTSTAGINGDIRECTORY", dir("staging")),
            ("BUILD_SOURCESDIRECTORY", workspace.display().to_string()),
            ("BUILD_REASON", "IndividualCI".into()),
        ] {
            agent_env.insert(k.to_string(), v);
        }
        let mut parameters = BTreeMap::new();
        for p in template["parameters"].as_vec().unwrap() {
            let default = match &p["default"] {
                Yaml::String(s) => s.clone(),
                other => panic!("parameter defaults are strings: {other:?}"),
            };
            parameters.insert(p["name"].as_str().unwrap().to_string(), default);
        }
        for (k, v) in params {
            assert!(parameters.contains_key(*k), "no parameter {k}");
            parameters.insert(k.to_string(), v.to_string());
        }
        AzureRun {
            workspace: workspace.to_path_buf(),
            agent_env,
            parameters,
            skip: Vec::new(),
        }
    }

    /// `$(Build.SourcesDirectory)` and friends, as the agent expands macros.
    fn macros(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (name, var) in [
            ("Build.SourcesDirectory", "BUILD_SOURCESDIRECTORY"),
            ("Pipeline.Workspace", "PIPELINE_WORKSPACE"),
            ("Common.TestResultsDirectory", "COMMON_TESTRESULTSDIRECTORY"),
            (
                "Build.ArtifactStagingDirectory",
                "BUILD_ARTIFACTSTAGINGDIRECTORY",
            ),
            ("Agent.OS", "AGENT_OS"),
        ] {
            out = out.replace(&format!("$({name})"), &self.agent_env[var]);
        }
        out
    }

    fn parameter_values(&self) -> BTreeMap<String, String> {
        self.parameters
            .iter()
            .map(|(k, v)| (format!("parameters.{k}"), self.macros(v)))
            .collect()
    }

    /// Run the template's script steps in order, up to the first failing one. Returns the script steps run and the tasks, with their
    /// inputs and condition resolved.
    pub fn run(&mut self, template: &Yaml, scratch: &Path) -> (Vec<StepRun>, Used) {
        let values = self.parameter_values();
        let mut ran = Vec::new();
        let mut tasks = Vec::new();
        // after a failed script the agent skips the scripts (condition succeeded()), not the tasks
        let mut failed = false;
        for step in template["steps"].as_vec().unwrap() {
            let name = step["displayName"].as_str().unwrap_or("").to_string();
            if let Some(task) = step["task"].as_str() {
                let mut inputs: BTreeMap<String, String> = step["inputs"]
                    .as_hash()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| {
                        let v = match v {
                            Yaml::Boolean(b) => b.to_string(),
                            v => v.as_str().unwrap_or("").to_string(),
                        };
                        (
                            k.as_str().unwrap().to_string(),
                            self.macros(&expand(&v, &values)),
                        )
                    })
                    .collect();
                inputs.insert(
                    "condition".into(),
                    expand(step["condition"].as_str().unwrap_or(""), &values),
                );
                tasks.push((task.to_string(), inputs));
                continue;
            }
            if failed || self.skip.contains(&name) {
                continue;
            }
            let script = step["script"].as_str().expect("a script step");
            let macro_in_script = script.match_indices("$(").any(|(at, _)| {
                let name: String = script[at + 2..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '.')
                    .collect();
                name.contains('.') && script[at + 2 + name.len()..].starts_with(')')
            });
            assert!(
                !script.contains("${{") && !macro_in_script,
                "step `{name}`: parameters and variables go through env:, never into the script"
            );
            let mut env = self.agent_env.clone();
            for (k, v) in step["env"].as_hash().into_iter().flatten() {
                env.insert(
                    k.as_str().unwrap().into(),
                    self.macros(&expand(v.as_str().unwrap(), &values)),
                );
            }
            let cwd = step["workingDirectory"]
                .as_str()
                .map(|w| PathBuf::from(self.macros(&expand(w, &values))))
                .unwrap_or_else(|| self.workspace.clone());
            let (code, stdout, stderr) = run_bash(script, &cwd, &env, scratch);
            for line in stdout.lines() {
                if let Some(rest) = line.strip_prefix("##vso[task.setvariable variable=") {
                    let (k, v) = rest.split_once(']').unwrap();
                    self.agent_env.insert(k.to_string(), v.to_string());
                }
            }
            ran.push(StepRun {
                name,
                code,
                stdout,
                stderr,
            });
            failed = code != 0;
        }
        (ran, tasks)
    }
}

/// A git repository in `dir` with everything in it committed; returns the commit.
pub fn git_commit_all(dir: &Path, message: &str) -> String {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@localhost"])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    if !dir.join(".git").exists() {
        git(&["init", "-q", "-b", "main"]);
    }
    git(&["add", "-A"]);
    git(&["commit", "-q", "--allow-empty", "-m", message]);
    git(&["rev-parse", "HEAD"])
}
