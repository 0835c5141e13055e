//! One file through the pipeline: read, prefilter, decode, parse, check, fix (in a loop until nothing more
//! applies), verify, write. Every problem becomes a finding; nothing here panics on bad input.

use crate::adf::{self, Version};
use crate::config::Policy;
use crate::document::{DecodeError, Document, line_col_bytes};
use crate::factory::{self, Index};
use crate::finding::{Finding, Fix, Safety, Severity, apply_edits};
use crate::json::{Kind, Node, PathStep};
use crate::read::{Links, ReadError};
use crate::rules::factory::FactoryCx;
use crate::rules::{CheckOptions, check_linked_services};
use crate::skim;
use memchr::memmem;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// The bytes every file that can matter contains (`AzurePostgreSql`, `AzurePostgreSqlTable`,
/// `AzurePostgreSQLSink` …). Files without them are never parsed.
pub const NEEDLE: &[u8] = b"AzurePostgreS";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FixMode {
    /// Lint only.
    Off,
    /// Compute fixes (for `--fix` and `--diff`).
    Apply { unsafe_fixes: bool },
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// Rules, selection, severities, per-path ignores, sslMode policy and migration defaults.
    pub policy: Policy,
    /// Keep each reported file's (masked) text for source snippets: only the `full` format shows them,
    /// and dropping them keeps memory flat on big factories.
    pub keep_source: bool,
    /// Collect the references of pipelines and data flows (the plan needs them; the rules do not).
    pub collect_references: bool,
    /// Keep the masked before/after texts of fixed files, for unified diffs.
    pub keep_diff: bool,
    /// Keep the outcome of every parsed file, even with nothing to report (JUnit lists each as a test).
    pub keep_parsed: bool,
    /// Let the skim clear files (and check copy objects on their own); off only to test that it changes
    /// no result.
    pub use_skim: bool,
    /// Phase 1: every linked service and dataset of the factory by name.
    pub index: Index,
    pub max_file_size: u64,
    pub fix: FixMode,
    /// Write fixed files (`--fix`), or only show them (`--diff`).
    pub write: bool,
    pub unsafe_fixes: bool,
    /// `--credentials-to-key-vault`: the secrets the run moves credentials to (checked before phase 2).
    pub secrets: Vec<crate::key_vault::Secret>,
}

impl Settings {
    pub fn new(policy: Policy) -> Settings {
        Settings {
            max_file_size: policy
                .max_file_size
                .unwrap_or(64)
                .saturating_mul(1024 * 1024),
            policy,
            keep_source: true,
            collect_references: false,
            keep_diff: true,
            keep_parsed: true,
            use_skim: true,
            index: Index::default(),
            fix: FixMode::Off,
            write: false,
            unsafe_fixes: false,
            secrets: Vec::new(),
        }
    }

    /// The built-in rules with default policy and no config file (tests, fuzzing).
    pub fn builtin() -> Settings {
        let policy = crate::config::load(None, &crate::config::CliOverrides::default())
            .expect("defaults load");
        Settings::new(policy)
    }

    /// Would `--fix` (with the current `--unsafe-fixes`) apply this fix?
    pub fn applicable(&self, fix: &Fix) -> bool {
        fix.safety.applied_by_fix(self.unsafe_fixes)
    }
}

/// Settings resolved for one file: which codes are off here, and the options checks read.
struct FileCx<'a> {
    s: &'a Settings,
    path: &'a Path,
    ignored: HashSet<String>,
    opts: CheckOptions,
    /// The fix gate's view: every rule on, at its own severity, whatever the run selects, ignores or
    /// re-severs (suppressions and migration options still hold). What ADF accepts does not depend on
    /// the rules a run reports.
    every_rule: bool,
}

impl FileCx<'_> {
    fn new<'a>(s: &'a Settings, path: &'a Path) -> FileCx<'a> {
        let mut cx = FileCx {
            s,
            path,
            ignored: s.policy.ignored_codes(path),
            opts: CheckOptions {
                migration: s.policy.migration.clone(),
                ssl_minimum: s.policy.ssl_minimum_for(path),
                arm_values: Default::default(),
                arm_ls_strings: Default::default(),
                linked_template: is_linked_template(path),
                factory: None,
                self_hosted_runtimes: Vec::new(),
            },
            every_rule: false,
        };
        // credentials move only while ADFPG024 is on here (a 1.0 definition's move rides on ADFPG001's fix)
        if cx.opts.migration.key_vault.is_some() {
            if cx.enabled_check("credential-to-key-vault") {
                cx.opts.factory =
                    factory::factory_root(path).map(|r| crate::key_vault::factory_name(&r));
            } else {
                cx.opts.migration.key_vault = None;
            }
        }
        cx
    }

    /// The same file seen by the fix gate (see `every_rule`).
    fn judge(&self) -> FileCx<'_> {
        FileCx {
            s: self.s,
            path: self.path,
            ignored: HashSet::new(),
            opts: self.opts.clone(),
            every_rule: true,
        }
    }

    fn enabled(&self, code: &str) -> bool {
        self.every_rule || (!self.s.policy.disabled.contains(code) && !self.ignored.contains(code))
    }

    fn enabled_check(&self, check: &str) -> bool {
        self.s
            .policy
            .catalog
            .by_check(check)
            .is_some_and(|r| self.enabled(&r.code))
    }

    /// Keep a finding if its rule is on here, with the configured severity.
    fn keep(&self, mut f: Finding) -> Option<Finding> {
        if !self.enabled(&f.code) {
            return None;
        }
        if !self.every_rule {
            f.severity = self.s.policy.severity_of(&f.code, f.severity);
        }
        if let Some(x) = f.fix.as_mut() {
            x.safety = self.s.policy.fixes.safety(&f.code, x.safety);
        }
        // ADF's publish writes linked templates: a fix there is lost at the next publish and splits them
        // from the master template, so they are reported, never fixed
        if self.opts.linked_template {
            f.fix = None;
        }
        Some(f)
    }
}

#[derive(Debug, Default)]
pub struct FileOutcome {
    pub path: PathBuf,
    /// Did the file pass the prefilter (and so get parsed)?
    pub relevant: bool,
    pub findings: Vec<Finding>,
    /// The text the findings' spans refer to, with secrets masked.
    pub source: Option<String>,
    pub linked_services: Vec<(String, Version)>,
    /// References to linked services and datasets (pipelines and data flows), for the migration plan.
    pub references: Vec<factory::Reference>,
    /// Is this an ARM template (its linked services are published copies)?
    pub arm_template: bool,
    /// ARM template parameters the fixes replaced (old name → new parameters), for the parameters files.
    pub arm_renames: Vec<(String, Vec<crate::arm::NewParameter>)>,
    /// Masked before/after texts when fixes changed the file.
    pub change: Option<Change>,
    /// The tool could not do its job on this file (unreadable, not writable): exit code 2.
    pub failed: bool,
}

impl FileOutcome {
    /// Nothing to report, change, plan or count beyond "scanned" (and "parsed" when `relevant`): the CLI
    /// keeps only the counts of such files, so memory does not grow with their number.
    pub fn is_quiet(&self) -> bool {
        self.findings.is_empty()
            && self.change.is_none()
            && self.linked_services.is_empty()
            && self.references.is_empty()
            && self.arm_renames.is_empty()
            && self.source.is_none()
            && !self.failed
    }
}

#[derive(Debug)]
pub struct Change {
    pub before: String,
    pub after: String,
    /// Each fix applied, follow-up rounds included.
    pub applied: Vec<Applied>,
    pub written: bool,
    /// With `--fix`, until [`write_pending`] has run: what to write.
    pub pending: Option<PendingWrite>,
}

/// A fixed file not yet written.
#[derive(Debug)]
pub struct PendingWrite {
    /// The text as read (the file must still hold it when it is replaced).
    original: String,
    new_text: String,
    /// The findings and linked services of the new text: the outcome's once it is written.
    findings: Vec<Finding>,
    linked_services: Vec<(String, Version)>,
}

/// Write every pending fix (`--fix`) in one batch ([`crate::write::replace_many`]: a few disk flushes in
/// all rather than two per file), then make each outcome tell what happened: written (the findings and
/// source of the new text) or not (the old ones, plus why; the run fails).
pub fn write_pending(outcomes: &mut [FileOutcome], settings: &Settings) {
    let mut todo: Vec<(&mut FileOutcome, PendingWrite)> = outcomes
        .iter_mut()
        .filter_map(|o| {
            let p = o.change.as_mut()?.pending.take()?;
            Some((o, p))
        })
        .collect();
    if todo.is_empty() {
        return;
    }
    let items: Vec<crate::write::Replacement> = todo
        .iter()
        .map(|(o, p)| {
            (
                o.path.as_path(),
                p.original.as_bytes(),
                p.new_text.as_bytes(),
            )
        })
        .collect();
    let results = crate::write::replace_many(&items, Links::Follow);
    drop(items);
    for ((o, p), r) in todo.iter_mut().zip(results) {
        match r {
            Ok(()) => {
                o.findings = std::mem::take(&mut p.findings);
                o.linked_services = std::mem::take(&mut p.linked_services);
                if let Some(c) = o.change.as_mut() {
                    c.written = true;
                    if settings.keep_source {
                        o.source = Some(c.after.clone());
                    }
                }
            }
            Err(e) => {
                o.failed = true;
                // the template was not migrated: its parameters file must not be either
                o.arm_renames.clear();
                let path = o.path.clone();
                let cx = FileCx::new(settings, &path);
                push_pipeline(
                    &mut o.findings,
                    &cx,
                    "fix-not-applied",
                    0..0,
                    format!("fixes were not written: {e}"),
                    "",
                );
            }
        }
    }
}

pub fn process(path: &Path, settings: &Settings) -> FileOutcome {
    let mut cx = FileCx::new(settings, path);
    let mut out = FileOutcome {
        path: path.to_path_buf(),
        ..FileOutcome::default()
    };
    let bytes = match triage(path, &cx, &mut out.relevant) {
        Ok(Triage::Parse(b)) => b,
        Ok(Triage::Done) => return out,
        Ok(Triage::Fragments { findings, text }) => {
            let fixable = settings.fix != FixMode::Off
                && findings
                    .iter()
                    .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)));
            let text = match text {
                Some(text) if fixable => text,
                text => {
                    out.source = text
                        .filter(|_| settings.keep_source)
                        .map(|t| crate::mask::mask(&t));
                    out.findings = findings;
                    return out;
                }
            };
            match fix_fragments(path, &cx, &text, &findings) {
                Some((new_text, applied, left)) => {
                    let shown = settings.keep_diff || settings.keep_source;
                    let before = if shown {
                        crate::mask::mask(&text)
                    } else {
                        String::new()
                    };
                    let after = if shown {
                        crate::mask::mask(&new_text)
                    } else {
                        String::new()
                    };
                    if settings.keep_source {
                        out.source = Some(before.clone());
                    }
                    out.findings = findings;
                    let pending = settings.write.then(|| PendingWrite {
                        original: text,
                        new_text,
                        findings: left,
                        linked_services: Vec::new(),
                    });
                    out.change = Some(Change {
                        before,
                        after,
                        applied,
                        written: false,
                        pending,
                    });
                    return out;
                }
                // the fixes did not settle on the copy objects alone: the full pipeline decides
                None => text.into_bytes(),
            }
        }
        Err(ReadError::TooLarge(size)) => {
            out.relevant = true;
            let msg = format!(
                "file is {} MiB, over the {} MiB limit (--max-file-size); it was not checked",
                size / (1024 * 1024),
                settings.max_file_size / (1024 * 1024)
            );
            push_pipeline(&mut out.findings, &cx, "file-too-large", 0..0, msg, "");
            return out;
        }
        Err(ReadError::Io(e)) => {
            out.relevant = true;
            out.failed = true;
            push_pipeline(
                &mut out.findings,
                &cx,
                "io-error",
                0..0,
                format!("cannot read file: {e}"),
                "",
            );
            return out;
        }
    };
    let doc = match Document::decode(bytes) {
        Ok(d) => d,
        Err(e) => {
            let (span, source) = match &e {
                DecodeError::InvalidUtf8 { offset } => {
                    // the valid prefix is exact text for the offsets up to the bad byte
                    let mut bytes = Vec::new();
                    let _ = crate::read::read_into(
                        path,
                        settings.max_file_size,
                        Links::Follow,
                        &mut bytes,
                    );
                    let offset = &(*offset).min(bytes.len());
                    let (line, col) = line_col_bytes(&bytes, *offset);
                    let prefix = String::from_utf8_lossy(&bytes[..*offset]).into_owned();
                    (*offset..*offset, Some((prefix, line, col)))
                }
                _ => (0..0, None),
            };
            let msg = match &source {
                Some((_, line, col)) => format!(
                    "{} (first invalid byte at line {line}, column {col})",
                    e.message()
                ),
                None => e.message(),
            };
            push_pipeline(
                &mut out.findings,
                &cx,
                "unsupported-encoding",
                span,
                msg,
                "",
            );
            if let Some((prefix, _, _)) = &source {
                crate::finding::locate(&mut out.findings, prefix);
            }
            out.source = source
                .filter(|_| settings.keep_source)
                .map(|(p, _, _)| crate::mask::mask_by_pattern(&p));
            return out;
        }
    };
    let root = match doc.parse() {
        Ok(r) => r,
        Err(e) => {
            let end = (e.offset + 1..=e.offset + 4)
                .find(|i| doc.text.is_char_boundary(*i))
                .unwrap_or(e.offset)
                .min(doc.text.len());
            push_pipeline(
                &mut out.findings,
                &cx,
                "invalid-json",
                e.offset..end,
                e.message.clone(),
                &e.message,
            );
            crate::finding::locate(&mut out.findings, &doc.text);
            if settings.keep_source {
                out.source = Some(crate::mask::mask(&doc.text));
            }
            return out;
        }
    };
    out.linked_services = adf::linked_services(&root)
        .iter()
        .map(|l| (l.name.to_string(), l.version()))
        .collect();
    out.arm_template = adf::is_arm_template(&root);
    if out.arm_template && out.linked_services.iter().any(|(_, v)| *v == Version::V1) {
        cx.opts.arm_values = crate::arm::sibling_parameter_values(path);
        let v1: Vec<&str> = out
            .linked_services
            .iter()
            .filter(|(_, v)| *v == Version::V1)
            .map(|(n, _)| n.as_str())
            .collect();
        cx.opts.arm_ls_strings = crate::arm::linked_service_strings(path, &v1);
    }
    cx.opts.self_hosted_runtimes = self_hosted_runtimes(path, &root);
    if settings.collect_references
        && matches!(factory::folder_kind(path), Some("pipeline" | "dataflow"))
    {
        out.references = factory::references(&root);
    }
    out.findings = lint_text(&doc, &root, &cx);

    if let FixMode::Apply { .. } = settings.fix
        && out
            .findings
            .iter()
            .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)))
    {
        match fix_loop(&doc, &root, out.findings.clone(), &cx) {
            Ok(Some(fixed)) if fixed.doc.text != doc.text => {
                if out.arm_template {
                    out.arm_renames = crate::arm::renames(
                        &root,
                        &fixed.root,
                        &cx.opts.migration,
                        (&cx.opts.arm_values, &cx.opts.arm_ls_strings),
                    );
                }
                // masked texts for diffs and snippets, only when something shows them
                let (before, after) = if settings.keep_diff || settings.keep_source {
                    (
                        crate::mask::mask_parsed(&doc.text, &root),
                        crate::mask::mask_parsed(&fixed.doc.text, &fixed.root),
                    )
                } else {
                    Default::default()
                };
                if settings.keep_source {
                    out.source = Some(before.clone());
                }
                // with --fix, `write_pending` then writes every changed file in one batch
                let pending = settings.write.then(|| PendingWrite {
                    linked_services: adf::linked_services(&fixed.root)
                        .iter()
                        .map(|l| (l.name.to_string(), l.version()))
                        .collect(),
                    original: doc.text.clone(),
                    new_text: fixed.doc.text,
                    findings: fixed.findings,
                });
                out.change = Some(Change {
                    before,
                    after,
                    applied: fixed.applied,
                    written: false,
                    pending,
                });
                return out;
            }
            Ok(_) => {}
            Err(msg) => push_pipeline(&mut out.findings, &cx, "fix-not-applied", 0..0, msg, ""),
        }
    }
    if settings.keep_source && !out.findings.is_empty() {
        out.source = Some(crate::mask::mask_parsed(&doc.text, &root));
    }
    out
}

/// The self-hosted integration runtimes the linked services of a factory file connect via: read from the
/// factory's `integrationRuntime/<name>.json` (type `SelfHosted`). A runtime without a file there (an
/// Azure one such as AutoResolveIntegrationRuntime, or one shared from another factory) is not counted.
fn self_hosted_runtimes(path: &Path, root: &Node) -> Vec<String> {
    let Some(factory) = factory::factory_root(path) else {
        return Vec::new();
    };
    adf::linked_services(root)
        .iter()
        .filter_map(|l| l.props.get("connectVia")?.str_at("referenceName"))
        .filter(|name| {
            let file = factory
                .join("integrationRuntime")
                .join(format!("{name}.json"));
            // found by name: never through a link, never a FIFO or device
            crate::read::read(&file, Links::Refuse)
                .ok()
                .and_then(|b| Document::decode(b).ok())
                .and_then(|d| d.parse().ok())
                .is_some_and(|r| {
                    r.get("properties").and_then(|p| p.str_at("type")) == Some("SelfHosted")
                })
        })
        .map(str::to_string)
        .collect()
}

/// A linked template generated by ADF's publish (`linkedTemplates/ArmTemplate_N.json`).
fn is_linked_template(path: &Path) -> bool {
    path.parent()
        .and_then(|d| d.file_name())
        .is_some_and(|d| d.eq_ignore_ascii_case("linkedTemplates"))
}

/// Pipelines and data flows name linked services and datasets only by name (Script activities,
/// data-flow sources): the second prefilter looks for the names of the PostgreSQL ones.
fn mentions_pg_resource(path: &Path, bytes: &[u8], index: &Index) -> bool {
    matches!(factory::folder_kind(path), Some("pipeline" | "dataflow"))
        && index.mentions_pg_name(bytes)
}

/// Lint already-parsed text: duplicate keys, the linked-service rules, suppressions.
fn lint_text(doc: &Document, root: &Node, cx: &FileCx) -> Vec<Finding> {
    let (text, layout) = (doc.text.as_str(), doc.layout());
    let mut findings = Vec::new();
    if cx.enabled_check("duplicate-key") {
        duplicate_keys(root, &mut Vec::new(), &mut |first, second, key, pointer| {
            let msg = format!(
                "key `{key}` appears more than once in the same object; ADF keeps only one"
            );
            let mut f = pipeline_finding(cx, "duplicate-key", second, msg, "");
            if let Some(f) = f.as_mut() {
                f.related.push((first, "first here".into()));
                f.pointer = pointer;
            }
            findings.extend(f);
        });
    }
    let services = adf::linked_services(root);
    let fcx = FactoryCx {
        catalog: &cx.s.policy.catalog,
        index: &cx.s.index,
        path: cx.path,
        text,
        layout: layout.clone().into(),
    };
    findings.extend(
        crate::rules::factory::check(&fcx, root, &services)
            .into_iter()
            .filter_map(|f| cx.keep(f)),
    );
    if !services.is_empty() {
        let all = check_linked_services(
            &cx.s.policy.catalog,
            text,
            root,
            &layout,
            &services,
            &cx.opts,
        );
        let all =
            crate::suppress::apply(all, &services, &cx.s.policy.catalog, &|check, span, msg| {
                pipeline_finding(cx, check, span, msg, "")
            });
        findings.extend(all.into_iter().filter_map(|f| cx.keep(f)));
    }
    if cx.opts.linked_template {
        collapse_generated(&mut findings, cx);
    }
    findings.sort_by_key(|f| (f.span.start, f.code.clone()));
    crate::finding::locate(&mut findings, text);
    findings
}

/// A linked template (`linkedTemplates/`) is generated by ADF's publish from the collaboration branch:
/// its 1.0 linked services are one piece of information for the whole file (re-publish after migrating),
/// not a warning per linked service that fails CI until the next publish.
fn collapse_generated(findings: &mut Vec<Finding>, cx: &FileCx) {
    let (v1, rest): (Vec<Finding>, Vec<Finding>) =
        findings.drain(..).partition(|f| f.code == "ADFPG001");
    *findings = rest;
    let Some(first) = v1.first() else {
        return;
    };
    let names: Vec<&str> = v1.iter().filter_map(|f| f.resource.as_deref()).collect();
    let mut f = first.clone();
    f.message = format!(
        "generated linked template: {} AzurePostgreSql linked service{} at connector version 1.0 ({}); {}",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        crate::migrate::Blocked::LinkedTemplate.reason()
    );
    f.help = "ADF's publish regenerates this file: re-publish after migrating; to leave generated files \
              out of the check, add `exclude = [\"**/linkedTemplates/**\"]` to adfpg.toml"
        .into();
    f.label = "generated by ADF's publish".into();
    f.severity =
        cx.s.policy
            .severity_of(&f.code, crate::finding::Severity::Info);
    f.fix = None;
    f.resource = None;
    findings.push(f);
}

/// A fix applied (or, without `--fix`, that `--fix` would apply).
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub code: String,
    pub safety: Safety,
    /// What it does; an unsafe fix's title says what a person must follow up.
    pub title: String,
    /// The linked service (or other resource) it changes, when there is one.
    pub resource: Option<String>,
}

/// What the fix loop made of a file: the final text, parsed, the fixes applied and the findings left.
struct Fixed {
    doc: Document,
    root: Node,
    applied: Vec<Applied>,
    findings: Vec<Finding>,
}

/// The applicable fixes of `findings`, each taken whole, in the order their edits start: a fix whose
/// edits overlap one taken before is left out (for a later round). Returns the edits to apply, the
/// fixes taken, and how many were left out.
fn take_fixes<'a>(
    findings: &'a [Finding],
    settings: &Settings,
) -> (Vec<&'a crate::finding::Edit>, Vec<Applied>, usize) {
    let mut fixes: Vec<(&Finding, &Fix)> = findings
        .iter()
        .filter_map(|f| {
            f.fix
                .as_ref()
                .filter(|x| settings.applicable(x))
                .map(|x| (f, x))
        })
        .collect();
    fixes.sort_by_key(|(_, x)| x.edits.iter().map(|e| e.range.start).min());
    let mut taken: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut edits, mut applied, mut left_out) = (Vec::new(), Vec::new(), 0);
    for (f, x) in fixes {
        let overlaps = x.edits.iter().any(|e| {
            taken
                .iter()
                .any(|t| e.range.start < t.end && t.start < e.range.end.max(e.range.start + 1))
        });
        if overlaps {
            left_out += 1;
            continue;
        }
        taken.extend(x.edits.iter().map(|e| e.range.clone()));
        edits.extend(x.edits.iter());
        applied.push(Applied {
            code: f.code.clone(),
            safety: x.safety,
            title: x.title.clone(),
            resource: f.resource.clone(),
        });
    }
    (edits, applied, left_out)
}

/// Apply applicable fixes, re-parse and re-lint, until nothing more applies. `findings` are those of
/// `doc` (parsed as `root`) already, so the first round parses nothing again. `Ok(None)`: no fix
/// applied; an error when a fix would break the file or the fixes do not settle.
fn fix_loop(
    doc: &Document,
    root: &Node,
    findings: Vec<Finding>,
    cx: &FileCx,
) -> Result<Option<Fixed>, String> {
    let settings = cx.s;
    let judge = cx.judge();
    let input = GateInput::of(doc, root, &lint_text(doc, root, &judge));
    let mut current: Option<(Document, Node)> = None;
    let mut findings = findings;
    let mut applied = Vec::new();
    for _ in 0..10 {
        let cur = current.as_ref().map_or(doc, |(d, _)| d);
        let (edits, taken, _) = take_fixes(&findings, settings);
        if taken.is_empty() {
            let Some((doc, root)) = current else {
                return Ok(None);
            };
            gate(&input, &doc, &root, &lint_text(&doc, &root, &judge))?;
            return Ok(Some(Fixed {
                doc,
                root,
                applied,
                findings,
            }));
        }
        applied.extend(taken);
        let next = Document::decode(apply_edits(&cur.text, &edits).0.into_bytes())
            .map_err(|e| e.message())?;
        let next_root = next.parse().map_err(|e| {
            format!(
                "a fix produced invalid JSON ({}); nothing was written",
                e.message
            )
        })?;
        findings = lint_text(&next, &next_root, cx);
        current = Some((next, next_root));
    }
    Err("fixes did not settle after 10 rounds; nothing was written".into())
}

/// What the gate compares a fixed text with: the input's duplicate keys and error-level findings (every
/// rule's, at its own severity: see `FileCx::every_rule`).
struct GateInput {
    /// Does a strict reader accept the input? (The tool's own parser also reads what strict readers
    /// refuse, such as lone surrogate escapes; nesting past serde_json's limit is not strict-checked.)
    strict: bool,
    duplicate_keys: usize,
    errors: BTreeMap<String, usize>,
}

impl GateInput {
    fn of(doc: &Document, root: &Node, findings: &[Finding]) -> GateInput {
        GateInput {
            strict: strict_json(doc).is_ok(),
            duplicate_keys: count_duplicate_keys(root),
            errors: error_counts(findings),
        }
    }
}

fn strict_json(doc: &Document) -> Result<(), serde_json::Error> {
    serde_json::from_str::<serde_json::Value>(&doc.text[doc.body_start..]).map(drop)
}

fn count_duplicate_keys(root: &Node) -> usize {
    let mut n = 0;
    duplicate_keys(root, &mut Vec::new(), &mut |_, _, _, _| n += 1);
    n
}

fn error_counts(findings: &[Finding]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in findings.iter().filter(|f| f.severity == Severity::Error) {
        *out.entry(f.code.clone()).or_insert(0) += 1;
    }
    out
}

/// The fix gate: fixed text is written only if it is strict JSON, holds no duplicate key the input did
/// not have, and has no error-level finding the input did not have (`findings` are the judge's: every
/// rule at its own severity, so `--select`, `--ignore` and `--severity` cannot let a broken file
/// through). Otherwise the reason.
fn gate(
    input: &GateInput,
    doc: &Document,
    root: &Node,
    findings: &[Finding],
) -> Result<(), String> {
    // only an input a strict reader accepts is held to it (deep nesting passes the tool, not serde_json)
    if input.strict
        && let Err(e) = strict_json(doc)
    {
        return Err(format!(
            "the fixed text would not be strict JSON ({e}); nothing was written"
        ));
    }
    if count_duplicate_keys(root) > input.duplicate_keys {
        return Err(
            "the fixed text would hold a key twice in one object, which ADF and ARM reject; nothing was written"
                .into(),
        );
    }
    let after = error_counts(findings);
    for (code, n) in &after {
        if *n > input.errors.get(code).copied().unwrap_or(0) {
            let example = findings
                .iter()
                .find(|f| &f.code == code)
                .map_or(String::new(), |f| format!(": {}", f.message));
            return Err(format!(
                "the fixed text would have a new error ({code}{example}); nothing was written"
            ));
        }
    }
    Ok(())
}

/// The fix pipeline without the file system, for property tests and fuzzing: decode, parse, lint and
/// fix `bytes` exactly as `process` does before writing. `Ok(None)`: nothing to change; `Err`: the bytes
/// cannot be read as JSON, or the fixes would break them (the reason).
pub fn fix_bytes(bytes: Vec<u8>, settings: &Settings) -> Result<Option<String>, String> {
    let doc = Document::decode(bytes).map_err(|e| e.message())?;
    let root = doc.parse().map_err(|e| e.message)?;
    let cx = FileCx::new(settings, Path::new("fix_bytes.json"));
    let findings = lint_text(&doc, &root, &cx);
    if !findings
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)))
    {
        return Ok(None);
    }
    let fixed = fix_loop(&doc, &root, findings, &cx)?;
    Ok(fixed.map(|f| f.doc.text).filter(|t| *t != doc.text))
}

fn duplicate_keys(
    n: &Node,
    path: &mut Vec<PathStep>,
    report: &mut impl FnMut(std::ops::Range<usize>, std::ops::Range<usize>, &str, String),
) {
    match &n.kind {
        Kind::Object(members) => {
            let mut seen: BTreeMap<&str, &std::ops::Range<usize>> = BTreeMap::new();
            for m in members {
                if let Some(first) = seen.insert(&m.key, &m.key_span) {
                    path.push(PathStep::Key(m.key.clone()));
                    report(
                        first.clone(),
                        m.key_span.clone(),
                        &m.key,
                        crate::json::pointer(path),
                    );
                    path.pop();
                }
            }
            for m in members {
                path.push(PathStep::Key(m.key.clone()));
                duplicate_keys(&m.value, path, report);
                path.pop();
            }
        }
        Kind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                duplicate_keys(item, path, report);
                path.pop();
            }
        }
        _ => {}
    }
}

fn pipeline_finding(
    cx: &FileCx,
    check: &str,
    span: std::ops::Range<usize>,
    detail: String,
    label: &str,
) -> Option<Finding> {
    let mut f =
        cx.s.policy
            .catalog
            .finding(check, span, &[("detail", detail)])?;
    f.label = label.to_string();
    cx.keep(f)
}

fn push_pipeline(
    out: &mut Vec<Finding>,
    cx: &FileCx,
    check: &str,
    span: std::ops::Range<usize>,
    detail: String,
    label: &str,
) {
    out.extend(pipeline_finding(cx, check, span, detail, label));
}

/// Built once: building a memmem searcher costs more than searching a small file.
static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(NEEDLE));

thread_local! {
    /// Per worker thread: the read buffer and the skim's scratch, reused from file to file.
    static SCRATCH: std::cell::RefCell<(Vec<u8>, skim::Scratch)> = Default::default();
}

/// What the cheap look at a file decided.
enum Triage {
    /// Nothing in it can concern the connector (`relevant` stays false), or the skim proved the full
    /// pipeline would report nothing (`relevant` becomes true: the file counts as parsed).
    Done,
    /// Only copy sources and sinks concern the connector: their findings, from their objects alone, and
    /// the file's text when a fix or a source snippet will need it.
    Fragments {
        findings: Vec<Finding>,
        text: Option<String>,
    },
    /// Run the full pipeline on these bytes.
    Parse(Vec<u8>),
}

/// Read a file and decide how much of the pipeline it needs. The read buffer is reused, so files that
/// need nothing allocate nothing.
fn triage(path: &Path, cx: &FileCx, relevant: &mut bool) -> Result<Triage, ReadError> {
    let settings = cx.s;
    SCRATCH.with_borrow_mut(|(buf, scratch)| {
        let r =
            crate::read::read_into(path, settings.max_file_size, Links::Follow, buf).map(|()| {
                let utf16_bom = buf.starts_with(&[0xFF, 0xFE]) || buf.starts_with(&[0xFE, 0xFF]);
                // an empty (or blank) *.json file is never valid: often a truncated linked service
                let blank = buf
                    .strip_prefix(b"\xEF\xBB\xBF")
                    .unwrap_or(buf)
                    .iter()
                    .all(u8::is_ascii_whitespace);
                // the custom ARM parameterisation file names no connector type but matters when there is one
                let parameterization = (!settings.index.pg_names.is_empty()
                    || settings.index.pg_in_templates)
                    && crate::rules::factory::parameterization_section(path).is_some();
                // only the plan reads references, so only it needs pipelines that name PostgreSQL resources
                let named =
                    settings.collect_references && mentions_pg_resource(path, buf, &settings.index);
                let mentions = FINDER.find(buf).is_some();
                if !(utf16_bom || blank || parameterization || named || mentions) {
                    return Triage::Done;
                }
                *relevant = true;
                if !mentions || named || parameterization || !settings.use_skim {
                    return Triage::Parse(buf.clone());
                }
                match Document::decode_borrowed(buf) {
                    Ok((text, body)) => match skim::skim(&text[body..], scratch) {
                        skim::Skim::Clean => Triage::Done,
                        skim::Skim::Fragments => {
                            match fragment_findings(path, cx, text, body, scratch.fragments()) {
                                Some(findings) => {
                                    // the file's text, only when a fix or a source snippet will need it
                                    let needs_text = !findings.is_empty()
                                        && (settings.keep_source || settings.fix != FixMode::Off);
                                    Triage::Fragments {
                                        text: needs_text.then(|| text.to_string()),
                                        findings,
                                    }
                                }
                                None => Triage::Parse(buf.clone()),
                            }
                        }
                        skim::Skim::NeedsParse => Triage::Parse(buf.clone()),
                    },
                    Err(_) => Triage::Parse(buf.clone()),
                }
            });
        // one huge file must not pin its buffer for the rest of the run
        if buf.capacity() > 8 << 20 {
            *buf = Vec::new();
        }
        r
    })
}

/// Apply the applicable fixes of copy-object findings and check the result the way the fix loop does
/// (it must still be clean but for copy objects, and leave no applicable fix), without parsing the file.
/// Returns the new text, the fixes applied and the findings left; None when that does not hold.
fn fix_fragments(
    path: &Path,
    cx: &FileCx,
    text: &str,
    findings: &[Finding],
) -> Option<(String, Vec<Applied>, Vec<Finding>)> {
    let settings = cx.s;
    let (edits, applied, left_out) = take_fixes(findings, settings);
    if left_out > 0 {
        return None;
    }
    let new_text = apply_edits(text, &edits).0;
    let (_, body) = Document::decode_borrowed(new_text.as_bytes()).ok()?;
    let left =
        SCRATCH.with_borrow_mut(
            |(_, scratch)| match skim::skim(&new_text[body..], scratch) {
                skim::Skim::Clean => Some(Vec::new()),
                skim::Skim::Fragments => {
                    fragment_findings(path, cx, &new_text, body, scratch.fragments())
                }
                skim::Skim::NeedsParse => None,
            },
        )?;
    if left
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)))
    {
        return None;
    }
    Some((new_text, applied, left))
}

/// The findings of a file's copy sources and sinks, each parsed on its own; None if one does not parse
/// on its own (then the caller parses the whole file).
fn fragment_findings(
    path: &Path,
    cx: &FileCx,
    text: &str,
    body: usize,
    fragments: &[skim::Fragment],
) -> Option<Vec<Finding>> {
    let fcx = FactoryCx {
        catalog: &cx.s.policy.catalog,
        index: &cx.s.index,
        path,
        text,
        layout: Default::default(),
    };
    let mut findings = Vec::new();
    for f in fragments {
        let (start, end) = (body + f.range.start, body + f.range.end);
        let mut node = crate::json::parse(text.get(start..end)?).ok()?;
        crate::document::shift_spans(&mut node, start);
        findings.extend(
            crate::rules::factory::check_copy_object(&fcx, &node, &f.path)
                .into_iter()
                .filter_map(|f| cx.keep(f)),
        );
    }
    findings.sort_by_key(|f| (f.span.start, f.code.clone()));
    crate::finding::locate(&mut findings, text);
    Some(findings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gate_of(before: &str, after: &str, after_findings: &[Finding]) -> Result<(), String> {
        let doc = Document::decode(before.as_bytes().to_vec()).unwrap();
        let input = GateInput::of(&doc, &doc.parse().unwrap(), &[]);
        let next = Document::decode(after.as_bytes().to_vec()).unwrap();
        let root = next.parse().unwrap();
        gate(&input, &next, &root, after_findings)
    }

    #[test]
    fn gate_refuses_a_new_duplicate_key_but_not_an_old_one() {
        let err = gate_of(r#"{"a": 1}"#, r#"{"a": 1, "a": 2}"#, &[]).unwrap_err();
        assert!(err.contains("key twice"), "{err}");
        assert_eq!(
            gate_of(r#"{"a": 1, "a": 2}"#, r#"{"a": 1, "a": 3}"#, &[]),
            Ok(())
        );
    }

    #[test]
    fn gate_refuses_text_that_is_not_strict_json() {
        // a lone surrogate escape: the tool's parser reads it (as U+FFFD), strict JSON readers refuse it
        let err = gate_of(r#"{"a": 1}"#, r#"{"a": "\ud800"}"#, &[]).unwrap_err();
        assert!(err.contains("strict JSON"), "{err}");
    }

    /// Fixes whose edits touch are applied one round apart: an insertion at the very byte where a
    /// replacement already taken starts counts as overlapping it (the order of the two would decide the
    /// text); one right after the replaced bytes does not.
    #[test]
    fn an_insertion_where_a_replacement_starts_waits_for_the_next_round() {
        let settings = Settings::builtin();
        let with_fix = |range: std::ops::Range<usize>, text: &str| {
            let mut f = settings
                .policy
                .catalog
                .finding(
                    "v2-required-properties",
                    0..1,
                    &[("ls", "pg".into()), ("field", "port".into())],
                )
                .unwrap();
            f.fix = Some(Fix {
                safety: Safety::Safe,
                title: text.into(),
                edits: vec![crate::finding::Edit::replace(range, text)],
            });
            f
        };
        let findings = [with_fix(5..9, "replaced"), with_fix(5..5, "inserted")];
        let (edits, applied, left_out) = take_fixes(&findings, &settings);
        assert_eq!((edits.len(), applied.len(), left_out), (1, 1, 1));
        assert_eq!(applied[0].title, "replaced");
        // apart, both apply in one round
        let findings = [with_fix(5..9, "replaced"), with_fix(9..9, "inserted")];
        assert_eq!(take_fixes(&findings, &settings).2, 0);
    }

    #[test]
    fn gate_refuses_a_new_error_finding() {
        let catalog = &Settings::builtin().policy.catalog;
        let f = catalog
            .finding(
                "v2-required-properties",
                0..1,
                &[("ls", "pg".into()), ("field", "database".into())],
            )
            .unwrap();
        assert_eq!(f.severity, Severity::Error);
        let err = gate_of(r#"{"a": 1}"#, r#"{"a": 2}"#, &[f]).unwrap_err();
        assert!(err.contains("ADFPG002"), "{err}");
        assert_eq!(gate_of(r#"{"a": 1}"#, r#"{"a": 2}"#, &[]), Ok(()));
    }
}
