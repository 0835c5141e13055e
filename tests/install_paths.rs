//! Every way in, installed for real from this tree: the from-source paths (pre-commit's `language: rust`
//! hook, the Action's and the Azure template's cached cargo builds) and the published path (the wheel
//! pip installs once a release is on PyPI, served here from a local folder as the index would serve it).
//!
//! Builds use the `release` profile at opt-level 0 and one shared target folder
//! (`target/install-paths`): what is tested is that each installer builds, installs and runs the tool,
//! not how fast the binary is, and this keeps the suite's time small (the dependencies build once).

#[path = "common/ci.rs"]
mod ci;
mod common;
use common::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The environment every build here gets (see the module doc).
fn cheap_build(c: &mut Command) -> &mut Command {
    c.env("CARGO_TARGET_DIR", root().join("target/install-paths"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "0")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "256")
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("ADFPG_OUTPUT_FORMAT")
}

/// This tree as a user would clone it: the files git would commit (working-tree contents), in a
/// repository of its own, committed. Made once per test binary.
fn source_repo() -> &'static (tempfile::TempDir, String) {
    static REPO: OnceLock<(tempfile::TempDir, String)> = OnceLock::new();
    REPO.get_or_init(|| {
        let out = Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(out.status.success());
        let dir = tempfile::tempdir().unwrap();
        for rel in String::from_utf8(out.stdout).unwrap().split('\0') {
            let from = root().join(rel);
            if rel.is_empty() || !from.is_file() {
                continue;
            }
            let to = dir.path().join(rel);
            fs::create_dir_all(to.parent().unwrap()).unwrap();
            fs::copy(&from, &to).unwrap();
        }
        let rev = ci::git_commit_all(dir.path(), "adfpg-migrate");
        (dir, rev)
    })
}

fn show(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A user's repository: the example factory, committed, with `config` as its .pre-commit-config.yaml.
fn user_repo(config: &str) -> tempfile::TempDir {
    let dir = copy_tree(&example());
    fs::write(dir.path().join(".pre-commit-config.yaml"), config).unwrap();
    ci::git_commit_all(dir.path(), "factory");
    dir
}

/// `pre-commit run --all-files` in `repo` with its own PRE_COMMIT_HOME; the hook must have found the
/// example factory's findings, in one run of the tool (one summary: `require_serial`).
fn pre_commit_finds_the_findings(repo: &Path, home: &Path, extra_env: &[(&str, &str)]) {
    let mut c = Command::new(ci::tool("pre-commit"));
    c.args(["run", "--all-files", "--color", "never"])
        .current_dir(repo)
        .env("PRE_COMMIT_HOME", home)
        .env_remove("PRE_COMMIT_NO_CONCURRENCY")
        .envs(extra_env.iter().copied());
    let out = cheap_build(&mut c).output().unwrap();
    let text = show(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("linkedService/PgPlainPassword.json:4:17: ADFPG001"),
        "{text}"
    );
    assert_eq!(
        text.matches("Scanned ").count(),
        1,
        "one summary per run: {text}"
    );
}

/// ci-examples/pre-commit-config.yaml, its repo and rev pointed at a clone of this tree: pre-commit
/// builds the `language: rust` hook with cargo and runs it over the whole factory in one process.
#[test]
fn pre_commit_builds_the_hook_from_source() {
    let (src, rev) = source_repo();
    let config = fs::read_to_string(root().join("ci-examples/pre-commit-config.yaml")).unwrap();
    let config = config
        .replace(
            "https://github.com/OWNER/adfpg-migrate",
            &src.path().display().to_string(),
        )
        .replace("rev: COMMIT", &format!("rev: {rev}"));
    assert!(
        !config.contains("OWNER") && !config.contains("COMMIT"),
        "{config}"
    );
    let repo = user_repo(&config);
    let home = tempfile::tempdir().unwrap();
    pre_commit_finds_the_findings(repo.path(), home.path(), &[]);
    // the hook pre-commit installed is a cargo build of the rust hook
    let installed: Vec<PathBuf> = walk(home.path())
        .into_iter()
        .filter(|p| p.ends_with("bin/adfpg-migrate") && p.to_string_lossy().contains("rustenv-"))
        .collect();
    assert_eq!(installed.len(), 1, "{installed:?}");
}

/// A `cargo` that logs its arguments and, for `cargo install … --root DIR`, puts the binary under test
/// in DIR/bin, as the real one would after building it (pre_commit_builds_the_hook_from_source runs the
/// real `cargo install --path` of this tree; here only the steps' scripts around it are under test).
#[cfg(unix)]
fn cargo_stub(dir: &Path) -> (PathBuf, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("stub-bin");
    fs::create_dir_all(&bin).unwrap();
    let log = dir.join("cargo.log");
    fs::write(
        bin.join("cargo"),
        format!(
            "#!/bin/bash\necho \"$*\" >> '{log}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=$2; shift; done\n\
             mkdir -p \"$root/bin\" && cp '{exe}' \"$root/bin/adfpg-migrate\"\n",
            log = log.display(),
            exe = env!("CARGO_BIN_EXE_adfpg-migrate")
        ),
    )
    .unwrap();
    fs::set_permissions(bin.join("cargo"), fs::Permissions::from_mode(0o755)).unwrap();
    (bin, log)
}

/// The Action's install step with `install: source`: cargo builds the action's own checkout into the
/// cached folder; with a cache hit nothing is built again.
#[cfg(unix)]
#[test]
fn action_builds_from_source_then_reuses_its_cache() {
    let factory = copy_tree(&example());
    let scratch = tempfile::tempdir().unwrap();
    let home = scratch.path().join("home");
    fs::create_dir(&home).unwrap();
    let (stub, log) = cargo_stub(scratch.path());
    let action = ci::load_yaml(&root().join("action.yml"));
    for hit in ["", "true"] {
        let mut run = ci::GithubRun::new(
            &action,
            factory.path(),
            scratch.path(),
            &[("output-formats", "")],
        );
        run.skip.insert(
            "cache".into(),
            [("cache-hit".to_string(), hit.to_string())].into(),
        );
        run.env.insert("HOME".into(), home.display().to_string());
        run.env
            .insert("PATH".into(), format!("{}:/usr/bin:/bin", stub.display()));
        let (ran, _) = run.run(&action);
        let install = ran
            .iter()
            .find(|s| s.name == "Install adfpg-migrate")
            .unwrap();
        assert_eq!(install.code, 0, "cache hit {hit:?}: {install:?}");
        assert_eq!(
            run.values["steps.install.outputs.bin"],
            home.join(".adfpg-migrate/bin/adfpg-migrate")
                .display()
                .to_string()
        );
        let lint = ran.iter().find(|s| s.name == "Lint").unwrap();
        assert_eq!(lint.code, 1, "{lint:?}");
        assert!(lint.stdout.contains("title=ADFPG001"), "{}", lint.stdout);
    }
    // built once, from the action's checkout, with the locked dependencies
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        format!(
            "install --locked --path {} --root {}\n",
            root().display(),
            home.join(".adfpg-migrate").display()
        )
    );
}

/// The Azure template's install step with `install: source`: the same cargo build of the checked-out
/// source, its path handed to the next steps with `##vso[task.setvariable]`.
#[cfg(unix)]
#[test]
fn azure_template_builds_from_source() {
    let factory = copy_tree(&example());
    let scratch = tempfile::tempdir().unwrap();
    let (stub, log) = cargo_stub(scratch.path());
    let template = ci::load_yaml(&root().join("templates/adfpg-migrate-steps.yml"));
    let source = root().display().to_string();
    let mut run = ci::AzureRun::new(
        &template,
        factory.path(),
        scratch.path(),
        &[("sourceDirectory", &source)],
    );
    run.agent_env
        .insert("PATH".into(), format!("{}:/usr/bin:/bin", stub.display()));
    let (ran, _) = run.run(&template, scratch.path());
    assert_eq!(ran[0].code, 0, "{:?}", ran[0]);
    let installed = format!("{}/.adfpg-migrate", run.agent_env["PIPELINE_WORKSPACE"]);
    assert_eq!(
        run.agent_env["ADFPG_MIGRATE"],
        format!("{installed}/bin/adfpg-migrate")
    );
    assert_eq!(
        fs::read_to_string(&log).unwrap(),
        format!("install --locked --path {source} --root {installed}\n")
    );
    let lint = ran
        .iter()
        .find(|s| s.name == "adfpg-migrate (lint)")
        .unwrap();
    assert_eq!(lint.code, 1, "{lint:?}");
    // a restored cache builds nothing
    fs::remove_file(&log).unwrap();
    let mut run = ci::AzureRun::new(
        &template,
        factory.path(),
        scratch.path(),
        &[("sourceDirectory", &source)],
    );
    run.agent_env
        .insert("PATH".into(), format!("{}:/usr/bin:/bin", stub.display()));
    run.agent_env
        .insert("ADFPG_MIGRATE_CACHE_RESTORED".into(), "true".into());
    let (ran, _) = run.run(&template, scratch.path());
    assert_eq!(ran[0].code, 0, "{:?}", ran[0]);
    assert!(!log.exists(), "nothing built");
}

/// The wheel of this tree (maturin, as the release workflow builds it), in a folder pip reads as its
/// index. Built once per test binary.
fn wheel_index() -> &'static tempfile::TempDir {
    static WHEELS: OnceLock<tempfile::TempDir> = OnceLock::new();
    WHEELS.get_or_init(|| {
        let (src, _) = source_repo();
        let dir = tempfile::tempdir().unwrap();
        let mut c = Command::new(ci::tool("maturin"));
        c.args(["build", "--release", "--locked", "--out"])
            .arg(dir.path())
            .current_dir(src.path());
        let out = cheap_build(&mut c).output().unwrap();
        assert!(out.status.success(), "{}", show(&out));
        let wheels: Vec<PathBuf> = walk(dir.path());
        assert_eq!(wheels.len(), 1, "{wheels:?}");
        let name = wheels[0]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(
            name.starts_with(&format!("adfpg_migrate-{}-", env!("CARGO_PKG_VERSION"))),
            "{name}"
        );
        dir
    })
}

/// pip's environment to install from the local wheel folder only, as it would from PyPI.
fn from_wheel_index() -> Vec<(String, String)> {
    vec![
        ("PIP_NO_INDEX".into(), "1".into()),
        (
            "PIP_FIND_LINKS".into(),
            wheel_index().path().display().to_string(),
        ),
        ("PATH".into(), std::env::var("PATH").unwrap()),
        ("HOME".into(), std::env::var("HOME").unwrap()),
    ]
}

/// The published path, once a release is on PyPI: the Action and the Azure template with
/// `install: pypi`, and ci-examples/pre-commit-config-pypi.yaml, each pip-install the pinned version's
/// wheel and run it.
#[test]
fn published_path_installs_the_pinned_wheel() {
    let factory = copy_tree(&example());
    let scratch = tempfile::tempdir().unwrap();

    let action = ci::load_yaml(&root().join("action.yml"));
    let mut run = ci::GithubRun::new(
        &action,
        factory.path(),
        scratch.path(),
        &[("install", "pypi"), ("output-formats", "")],
    );
    run.env.extend(from_wheel_index());
    let (ran, _) = run.run(&action);
    let install = ran
        .iter()
        .find(|s| s.name == "Install adfpg-migrate")
        .unwrap();
    assert_eq!(install.code, 0, "{install:?}");
    assert_eq!(
        run.values["steps.install.outputs.bin"],
        run.runner_temp
            .join("adfpg-migrate-venv/bin/adfpg-migrate")
            .display()
            .to_string()
    );
    assert_eq!(ran.last().unwrap().code, 1, "{ran:?}");

    let template = ci::load_yaml(&root().join("templates/adfpg-migrate-steps.yml"));
    let mut run = ci::AzureRun::new(
        &template,
        factory.path(),
        scratch.path(),
        &[("install", "pypi")],
    );
    run.agent_env.extend(from_wheel_index());
    let (ran, _) = run.run(&template, scratch.path());
    assert_eq!(ran[0].code, 0, "{:?}", ran[0]);
    assert!(run.agent_env["ADFPG_MIGRATE"].ends_with("adfpg-migrate-venv/bin/adfpg-migrate"));
    let lint = ran
        .iter()
        .find(|s| s.name == "adfpg-migrate (lint)")
        .unwrap();
    assert_eq!(lint.code, 1, "{lint:?}");

    // pre-commit's `repo: local` package needs setuptools from the index: the wheel comes from the local
    // folder all the same (pip prefers no index over another, and none publishes adfpg-migrate yet), and
    // the installed command is compared with the wheel's
    let config =
        fs::read_to_string(root().join("ci-examples/pre-commit-config-pypi.yaml")).unwrap();
    let repo = user_repo(&config);
    let home = tempfile::tempdir().unwrap();
    let wheels = wheel_index().path().display().to_string();
    pre_commit_finds_the_findings(repo.path(), home.path(), &[("PIP_FIND_LINKS", &wheels)]);
    let hooked: Vec<PathBuf> = walk(home.path())
        .into_iter()
        .filter(|p| p.ends_with("bin/adfpg-migrate") && p.to_string_lossy().contains("py_env-"))
        .collect();
    assert_eq!(hooked.len(), 1, "{hooked:?}");
    let wheel = &walk(wheel_index().path())[0];
    let out = Command::new(ci::tool("python"))
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); \
             sys.stdout.buffer.write(z.read(next(n for n in z.namelist() if n.endswith('/scripts/adfpg-migrate'))))",
        ])
        .arg(wheel)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        out.stdout == fs::read(&hooked[0]).unwrap(),
        "the hook runs the wheel's binary"
    );
}
