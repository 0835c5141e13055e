//! The application: one run over parsed options, whoever parsed them (the command line, tests). It wires
//! the phases — discovery, the index (phase 1), the Key Vault survey, every file through the pipeline in
//! parallel (phase 2), the batch write, the parameters files of migrated templates, the baseline — and
//! hands back what the run found and did; `cli` maps the command line to it, renders and sets the exit
//! code.

use crate::check::key_vault::Secret;
use crate::index::Index;
use crate::pipeline::{self, FileOutcome, Settings};
use crate::report::Mode;
use crate::report::baseline::Comparison;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What a lint, `--check`, `--diff` or `--fix` run asks for beyond the settings.
pub struct LintOptions<'a> {
    pub mode: Mode,
    /// Explicit paths whose absence is not an error (`--skip-missing-files`).
    pub skip_missing: &'a dyn Fn(&Path) -> bool,
    pub export_secrets: Option<&'a Path>,
    pub baseline: Option<&'a Path>,
    pub write_baseline: Option<&'a Path>,
}

/// What a run found and did, ready to render.
pub struct Linted {
    pub outcomes: Vec<FileOutcome>,
    pub walk_errors: Vec<(String, String)>,
    pub counts: Counts,
    /// The settings as the run ended (the secrets it moves; the index already freed).
    pub settings: Settings,
    pub baseline: Option<Comparison>,
    /// Files `--fix` changed (written), or would change with the same options.
    pub files_to_change: usize,
}

/// A lint, check, diff or fix run: scan (and with `--fix` write), then the baseline.
pub fn lint(paths: &[PathBuf], settings: Settings, o: &LintOptions) -> Result<Linted, String> {
    let scanned = scan(paths, settings, o.skip_missing, o.export_secrets)?;
    finish(scanned, o)
}

/// What a run on standard input found, and with `--fix` the text to print in the file's place.
pub struct LintedStdin {
    pub linted: Linted,
    /// With `--fix`: the fixed text, or the input as it came when nothing was fixed (as ruff does); None
    /// without `--fix`, or when the input could not be read whole (the run then fails: there is no text
    /// to hand back).
    pub text: Option<Vec<u8>>,
}

/// A lint, check, diff or fix run on `input` (standard input) as if it were the file `path`
/// (`--stdin-filename`): read under `--max-file-size` as a file is, checked with the factory context of
/// `path` (the `linkedService/` and `dataset/` files of its factory folder, as for a file passed on its
/// own), through the same pipeline. Nothing is written: with `--fix` the fixed text is handed back.
pub fn lint_stdin(
    path: &Path,
    input: impl std::io::Read,
    mut settings: Settings,
    o: &LintOptions,
) -> Result<LintedStdin, String> {
    if let Some(flag) = [
        (o.export_secrets.is_some(), "--export-secrets"),
        (o.write_baseline.is_some(), "--write-baseline"),
    ]
    .iter()
    .find_map(|(given, flag)| given.then_some(flag))
    {
        return Err(format!(
            "{flag} writes a file; a run on standard input (`-`) writes nothing"
        ));
    }
    let path_buf = path.to_path_buf();
    settings.index = Index::build_with(
        &Index::sibling_files(std::iter::once(&path_buf)),
        settings.collect_references,
    );
    key_vault_survey(&mut settings, &[], std::slice::from_ref(&path_buf), None)?;
    // read even when the path is excluded: the writer is not cut off, and --fix hands the text back
    let mut bytes = Vec::new();
    let read = crate::source::read::read_stream(input, settings.max_file_size, &mut bytes);
    let fix = o.mode == Mode::Fix;
    let unchanged = (fix && read.is_ok()).then(|| bytes.clone());
    let (mut outcomes, mut walk_errors, mut counts) = (Vec::new(), Vec::new(), Counts::default());
    let mut fixed = None;
    if !settings.policy.excluded(path) {
        let mut out = pipeline::process_bytes(path, read.map(|()| bytes), &settings);
        counts.files_scanned = 1;
        counts.files_parsed = usize::from(out.relevant);
        if fix {
            // settings.write makes the pipeline keep the fixed text: it is printed, never written
            fixed = pipeline::deliver_pending(&mut out, &settings);
        }
        if (settings.keep_parsed && out.relevant) || !out.is_quiet() {
            outcomes.push(out);
        }
    }
    let text = fixed.map(String::into_bytes).or(unchanged);
    if fix && text.is_none() {
        walk_errors.push((
            crate::text::shown_path(path),
            "standard input was not read whole, so --fix has no text to print back".to_string(),
        ));
    }
    let linted = finish((outcomes, walk_errors, settings, counts), o)?;
    Ok(LintedStdin {
        linted,
        text: text.filter(|_| fix),
    })
}

/// After the scan: the baseline, and what `--check` and the counts report.
fn finish(scanned: Scanned, o: &LintOptions) -> Result<Linted, String> {
    let (mut outcomes, walk_errors, mut settings, counts) = scanned;
    // the report needs no index: free it before the output is built (peak memory on big factories)
    settings.index = Index::default();
    let baseline = crate::report::baseline::run(
        o.baseline,
        o.write_baseline,
        &mut outcomes,
        &|code, file| {
            !settings.policy.disabled.contains(code)
                && !settings.policy.ignored_codes(file).contains(code)
        },
    )?;
    if o.mode == Mode::Check && baseline.is_some() {
        // a baseline hides findings, and --check counts only the changes of findings it reports
        for o in &mut outcomes {
            let reported = o
                .findings
                .iter()
                .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)));
            if !reported {
                o.change = None;
            }
        }
    }
    let files_to_change = outcomes
        .iter()
        .filter_map(|x| x.change.as_ref())
        .filter(|c| o.mode != Mode::Fix || c.written)
        .count();
    Ok(Linted {
        outcomes,
        walk_errors,
        counts,
        settings,
        baseline,
        files_to_change,
    })
}

/// What `plan` hands back: the plan, the walk errors, whether the run failed, and the settings (the
/// secrets to create).
pub type Planned = (
    crate::report::plan::Plan,
    Vec<(String, String)>,
    bool,
    Settings,
);

/// The migration plan's run: the scan with references, then the plan.
pub fn plan(
    paths: &[PathBuf],
    settings: Settings,
    unsafe_fixes: bool,
    export_secrets: Option<&Path>,
) -> Result<Planned, String> {
    let (outcomes, errors, settings, _) = scan(paths, settings, &|_| false, export_secrets)?;
    let plan = crate::report::plan::build(&outcomes, &settings.index, paths, unsafe_fixes);
    let failed = !errors.is_empty() || outcomes.iter().any(|o| o.failed);
    Ok((plan, errors, failed, settings))
}

/// What a scan returns: the outcomes, the walk errors, the settings (with the index) and the counts.
pub type Scanned = (
    Vec<pipeline::FileOutcome>,
    Vec<(String, String)>,
    Settings,
    Counts,
);

/// Discover, index the factory (phase 1), then check every file in parallel (phase 2).
pub fn scan(
    paths: &[PathBuf],
    mut settings: Settings,
    skip_missing: &dyn Fn(&Path) -> bool,
    export_secrets: Option<&Path>,
) -> Result<Scanned, String> {
    let excluded = |p: &Path| settings.policy.excluded(p);
    // phase 1: the index, which also covers the sibling folders of files passed one by one (pre-commit)
    let wanted = Mutex::new(Vec::new());
    // folders of pipelines, data flows, triggers … hold neither linked services, datasets nor templates
    crate::discover::visit_pruned(paths, &excluded, Index::holds_nothing_indexed, &|p| {
        if Index::wants(p) {
            wanted.lock().expect("not poisoned").push(p.to_path_buf());
        }
    });
    let walked = wanted.into_inner().expect("not poisoned");
    let mut index_files = walked.clone();
    index_files.extend(Index::related_files(paths));
    index_files.sort();
    index_files.dedup();
    let index = Index::build_with(&index_files, settings.collect_references);
    settings.index = index;
    // what --fix writes for the legacy linked services this run checks, which their datasets follow
    pipeline::predict_migrations(&mut settings, &walked);
    let templates: Vec<PathBuf> = index_files
        .into_iter()
        .filter(|p| crate::index::is_published_template(p))
        .collect();
    key_vault_survey(&mut settings, &templates, paths, export_secrets)?;
    // phase 2, walking again rather than holding every path: files with nothing to report are only
    // counted, so memory stays flat however big the factory (parsed files stay for JUnit's test cases)
    let (scanned, parsed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let kept = Mutex::new(Vec::new());
    let keep_parsed = settings.keep_parsed;
    let mut walk_errors = crate::discover::visit(paths, &|p| settings.policy.excluded(p), &|p| {
        let o = pipeline::process(p, &settings);
        scanned.fetch_add(1, Ordering::Relaxed);
        parsed.fetch_add(usize::from(o.relevant), Ordering::Relaxed);
        if (keep_parsed && o.relevant) || !o.is_quiet() {
            kept.lock().expect("not poisoned").push(o);
        }
    });
    // pre-commit passes deleted files (`--skip-missing-files`); a mistyped folder is still an error
    walk_errors.retain(|(p, _)| !skip_missing(p));
    let mut outcomes: Vec<pipeline::FileOutcome> = kept.into_inner().expect("not poisoned");
    outcomes.sort_unstable_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    pipeline::write_pending(&mut outcomes, &settings);
    update_parameter_files(&mut outcomes, &settings);
    let errors = walk_errors
        .iter()
        // escaped here, once, for every format: a path named on the command line may hold anything
        .map(|(p, e)| (crate::text::shown_path(p), e.clone()))
        .collect();
    let counts = Counts {
        files_scanned: scanned.into_inner(),
        files_parsed: parsed.into_inner(),
    };
    Ok((outcomes, errors, settings, counts))
}

/// `--credentials-to-key-vault`: check every move before anything is written (exit 2 on a problem),
/// keep the secrets for the plan and the summary, and export the values when asked.
fn key_vault_survey(
    settings: &mut Settings,
    templates: &[PathBuf],
    paths: &[PathBuf],
    export: Option<&Path>,
) -> Result<(), String> {
    let Some(target) = settings.policy.migration.key_vault.clone() else {
        return match export {
            Some(_) => Err("--export-secrets needs a vault: --credentials-to-key-vault VAULT or [migration.key-vault] linked-service".into()),
            None => Ok(()),
        };
    };
    let opts = crate::check::CheckOptions {
        migration: settings.policy.migration.clone(),
        ..Default::default()
    };
    settings.secrets = crate::check::key_vault::survey(
        &settings.index,
        templates,
        &target,
        &opts,
        settings.max_file_size,
    )
    .map_err(|e| format!("cannot move credentials to Key Vault; nothing was written:\n{e}"))?;
    if let Some(file) = export {
        let n = crate::check::key_vault::export(file, &settings.secrets, paths)?;
        crate::mask::eprint_line(&format!(
            "wrote {n} secret value(s) to {} (owner-only): upload them, then delete the file",
            crate::mask::printable(&file.display().to_string())
        ));
    }
    Ok(())
}

/// How many files a run looked at, and how many of those passed the prefilter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub files_scanned: usize,
    pub files_parsed: usize,
}

/// After ARM templates were migrated: add the new parameters to the parameters files beside them.
fn update_parameter_files(outcomes: &mut Vec<pipeline::FileOutcome>, settings: &Settings) {
    let mut per_file: std::collections::BTreeMap<
        PathBuf,
        Vec<(String, Vec<crate::fix::arm::NewParameter>)>,
    > = Default::default();
    // what the templates declare secure: the parameters file's values for them are secrets, whatever
    // connector they belong to (its diff shows them as context)
    let mut secure: std::collections::BTreeMap<PathBuf, Vec<String>> = Default::default();
    for o in outcomes.iter().filter(|o| !o.arm_renames.is_empty()) {
        let template = crate::source::read::read_text(&o.path, crate::source::read::Links::Refuse);
        let declared = crate::mask::secure_parameters(&template.unwrap_or_default());
        for f in crate::fix::arm::parameter_files(&o.path) {
            secure
                .entry(f.clone())
                .or_default()
                .extend(declared.clone());
            per_file
                .entry(f)
                .or_default()
                .extend(o.arm_renames.iter().cloned());
        }
    }
    for (path, renames) in per_file {
        let secure = secure.remove(&path).unwrap_or_default();
        let mut out = pipeline::FileOutcome {
            path: path.clone(),
            relevant: true,
            ..Default::default()
        };
        // found by name beside the template: never through a link
        let before = match crate::source::read::read_text(&path, crate::source::read::Links::Refuse)
        {
            Ok(t) => t,
            Err(e) => {
                out.failed = true;
                out.findings.extend(settings.policy.catalog.finding(
                    "fix-not-applied",
                    0..0,
                    &[(
                        "detail",
                        format!("parameters not added: cannot read it: {e}"),
                    )],
                ));
                outcomes.retain(|o| o.path != path);
                outcomes.push(out);
                continue;
            }
        };
        let after = match crate::fix::arm::update_parameters_file(
            &before,
            &renames,
            &settings.policy.migration,
        ) {
            Ok(Some(after)) => after,
            Ok(None) => continue,
            Err(why) => {
                out.findings.extend(settings.policy.catalog.finding(
                    "fix-not-applied",
                    0..0,
                    &[("detail", format!("parameters not added: {why}"))],
                ));
                merge_outcome(outcomes, out);
                continue;
            }
        };
        let written = settings.write && {
            match crate::fix::write::replace_atomically(
                &path,
                before.as_bytes(),
                after.as_bytes(),
                crate::source::read::Links::Refuse,
            ) {
                Ok(()) => true,
                Err(e) => {
                    out.failed = true;
                    out.findings.extend(settings.policy.catalog.finding(
                        "fix-not-applied",
                        0..0,
                        &[("detail", format!("parameters not added: {e}"))],
                    ));
                    false
                }
            }
        };
        out.change = Some(Box::new(pipeline::Change {
            before: crate::mask::mask_with(&before, &secure),
            after: crate::mask::mask_with(&after, &secure),
            applied: vec![pipeline::Applied {
                code: renames
                    .iter()
                    .flat_map(|(_, new)| new.first())
                    .find_map(|n| settings.policy.catalog.migration_code(n.connector))
                    .unwrap_or_default(),
                safety: crate::finding::Safety::Unsafe,
                title: "parameters of the migrated template added beside the old ones".into(),
                resource: None,
                requires: Vec::new(),
            }],
            written,
            pending: None,
        }));
        merge_outcome(outcomes, out);
    }
    outcomes.sort_by(|a, b| a.path.cmp(&b.path));
}

/// The parameters file may already be in the list (it is scanned too): keep its findings.
fn merge_outcome(outcomes: &mut Vec<pipeline::FileOutcome>, out: pipeline::FileOutcome) {
    match outcomes.iter_mut().find(|o| o.path == out.path) {
        Some(scanned) => {
            scanned.change = out.change.or(scanned.change.take());
            scanned.failed |= out.failed;
            scanned.findings.extend(out.findings);
        }
        None => outcomes.push(out),
    }
}

/// The secrets whose move a `--fix` run applied (an ADFPG024 fix naming the secret, in a file of one
/// of its linked services).
pub fn moved_secrets(secrets: &[Secret], outcomes: &[FileOutcome]) -> Vec<Secret> {
    secrets
        .iter()
        .filter(|s| {
            let needle = format!("secret `{}`", s.name);
            outcomes.iter().any(|o| {
                s.linked_services.iter().any(|(_, p)| *p == o.path)
                    && o.change.as_ref().is_some_and(|c| {
                        c.written
                            && c.applied.iter().any(|a| {
                                matches!(a.code.as_str(), "ADFPG024" | "ADFPG001" | "ADFPG060")
                                    && a.title.contains(&needle)
                            })
                    })
            })
        })
        .cloned()
        .collect()
}
