//! One file through the pipeline, one stage per module, in the order `process` calls them:
//! `triage` (bounded read, memchr prefilter, skim) → `fragments` (files whose only connector objects are
//! copy sources and sinks) → `decode` (text, then the located tree) → `siblings` (what an ARM template's
//! parameters files and the factory's runtimes tell the checks) → `check` (rules, cross-file checks,
//! suppressions, policy) → `fix_loop` (fixes until nothing more applies, then the gate) → `pending` (the
//! batch write, after every file). Every problem becomes a finding; nothing here panics on bad input.

mod check;
mod decode;
mod fix_loop;
mod fragments;
mod pending;
mod siblings;
mod triage;

pub use pending::{PendingWrite, deliver_pending, write_pending};

use crate::check::CheckOptions;
use crate::check::config::Policy;
use crate::finding::{Finding, Fix, Safety};
use crate::index::{self, Index};
use crate::source::adf::{self, Version};
use crate::source::document::Document;
use crate::source::json::Node;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use triage::Triage;

/// The bytes every file that can matter contains (`AzurePostgreSql`, `AzurePostgreSqlTable`,
/// `AzurePostgreSQLSink`, `PostgreSql`, `PostgreSqlV2Source` …: every type name of every connector).
/// Files without them are never parsed.
pub const NEEDLE: &[u8] = crate::connector::NEEDLE;

thread_local! {
    /// Per worker thread: the read buffer, the chunk buffer of big files and the skim's scratch, reused
    /// from file to file.
    static SCRATCH: std::cell::RefCell<(Vec<u8>, Vec<u8>, crate::source::skim::Scratch)> = Default::default();
}

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
    pub secrets: Vec<crate::check::key_vault::Secret>,
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
        let policy =
            crate::check::config::load(None, &crate::check::config::CliOverrides::default())
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
                template: Default::default(),
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
                    index::factory_root(path).map(|r| crate::check::key_vault::factory_name(&r));
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

    /// Does the fix gate's view ([`FileCx::judge`]) see what this one sees: no rule off, run-wide or
    /// here, and no severity changed (the default policy)? Then a lint through either is the same.
    fn sees_as_judge(&self) -> bool {
        self.every_rule
            || (self.s.policy.disabled.is_empty()
                && self.ignored.is_empty()
                && self.s.policy.severity.is_empty())
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

/// A linked service a file holds: its name, generation and connector.
#[derive(Debug, Clone, PartialEq)]
pub struct SeenLinkedService {
    pub name: String,
    pub version: Version,
    pub connector: &'static crate::connector::Connector,
    /// The integration runtime it connects via (`connectVia`), when it names one.
    pub runtime: Option<String>,
}

impl SeenLinkedService {
    pub fn of(l: &adf::LinkedService) -> SeenLinkedService {
        SeenLinkedService {
            name: l.name.to_string(),
            version: l.version(),
            connector: l.connector,
            runtime: l
                .props
                .get("connectVia")
                .and_then(|c| c.str_at("referenceName"))
                .map(str::to_string),
        }
    }

    /// How reports name its generation (`1.0`, `2.0`, `legacy`, `V2`).
    pub fn version_label(&self) -> &'static str {
        adf::version_label(self.connector, self.version)
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
    pub linked_services: Vec<SeenLinkedService>,
    /// References to linked services and datasets (pipelines and data flows), for the migration plan.
    pub references: Vec<index::Reference>,
    /// The query of each Copy or Lookup source (pipelines), by activity, for the plan's re-test list.
    pub queries: Vec<(String, String)>,
    /// Is this an ARM template (its linked services are published copies)?
    pub arm_template: bool,
    /// For an ARM template: the factory folder it was published from.
    pub template_home: crate::index::TemplateHome,
    /// ARM template parameters the fixes replaced (old name → new parameters), for the parameters files.
    pub arm_renames: Vec<(String, Vec<crate::fix::arm::NewParameter>)>,
    /// Masked before/after texts when fixes changed the file; boxed because most kept outcomes (findings
    /// only) have none, and every kept outcome stays in memory until the report.
    pub change: Option<Box<Change>>,
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

    /// Give back the spare capacity of what the report keeps: a finding vector grown by pushes holds
    /// room for several findings, and every kept outcome lives until the end of the run.
    fn shrink_to_fit(&mut self) {
        self.findings.shrink_to_fit();
        self.linked_services.shrink_to_fit();
        if let Some(c) = self.change.as_mut() {
            c.applied.shrink_to_fit();
        }
    }
}

#[derive(Debug)]
pub struct Change {
    pub before: String,
    pub after: String,
    /// Each fix applied, follow-up rounds included.
    pub applied: Vec<Applied>,
    /// `--fix` wrote the new text (standard input: printed it in the file's place).
    pub written: bool,
    /// With `--fix`, until [`write_pending`] has run: what to write.
    pub pending: Option<PendingWrite>,
}

/// One file through the pipeline ([`run_stages`]), its outcome trimmed to what it holds: the CLI keeps
/// every outcome with something to report until the end of the run.
pub fn process(path: &Path, settings: &Settings) -> FileOutcome {
    let mut out = run_stages(path, None, settings);
    out.shrink_to_fit();
    out
}

/// [`process`] on the bytes of `path` as the caller read them (standard input, `--stdin-filename`
/// naming `path`): the same stages without the read, `read` being what reading them gave (bounded by
/// `max_file_size` as files are). The file at `path`, if there is one, is never read.
pub fn process_bytes(
    path: &Path,
    read: Result<Vec<u8>, crate::source::read::ReadError>,
    settings: &Settings,
) -> FileOutcome {
    let mut out = run_stages(path, Some(read), settings);
    out.shrink_to_fit();
    out
}

/// One file, top-down: each stage either hands the next its input or ends the file's story (nothing to
/// do, or a finding that says why not), writing what it found into the outcome. `given`: the bytes, when
/// the caller read them.
fn run_stages(
    path: &Path,
    given: Option<Result<Vec<u8>, crate::source::read::ReadError>>,
    settings: &Settings,
) -> FileOutcome {
    let mut cx = FileCx::new(settings, path);
    let mut out = FileOutcome {
        path: path.to_path_buf(),
        ..FileOutcome::default()
    };
    let triaged = match given {
        None => triage::triage(path, &cx, None, &mut out.relevant),
        Some(read) => read.and_then(|b| triage::triage(path, &cx, Some(b), &mut out.relevant)),
    };
    let bytes = match triaged {
        Ok(Triage::Parse(bytes)) => bytes,
        Ok(Triage::Done) => return out,
        Ok(Triage::Fragments {
            findings,
            text,
            fragments,
        }) => match fragments::settle(&mut out, &cx, findings, text, fragments) {
            Some(bytes) => bytes,
            None => return out,
        },
        Err(e) => {
            triage::unreadable(&mut out, &cx, e);
            return out;
        }
    };
    let Some(doc) = decode::decode(&mut out, &cx, bytes) else {
        return out;
    };
    let Some(root) = decode::parse(&mut out, &cx, &doc) else {
        return out;
    };
    describe(&mut out, &root, settings);
    siblings::read(&mut cx, &out, &root);
    out.findings = check::lint_text(&doc, &root, &cx);
    let fixed = fix_loop::fix_file(&mut out, &doc, &root, &cx);
    if !fixed && settings.keep_source && !out.findings.is_empty() {
        out.source = Some(crate::mask::mask_parsed(&doc.text, &root));
    }
    out
}

/// What the outcome tells about the file beyond findings: its linked services and their versions, whether
/// it is an ARM template, and (for the plan) the references of a pipeline or data flow.
fn describe(out: &mut FileOutcome, root: &Node, settings: &Settings) {
    out.linked_services = adf::linked_services(root)
        .iter()
        .map(SeenLinkedService::of)
        .collect();
    out.arm_template = adf::is_arm_template(root);
    if out.arm_template && !out.linked_services.is_empty() {
        out.template_home = settings.index.template_home(&out.path, root);
    }
    if settings.collect_references
        && matches!(index::folder_kind(&out.path), Some("pipeline" | "dataflow"))
    {
        out.references = index::references(root);
        out.queries = index::activity_queries(root);
    }
}

/// A linked template generated by ADF's publish (`linkedTemplates/ArmTemplate_N.json`).
fn is_linked_template(path: &Path) -> bool {
    path.parent()
        .and_then(|d| d.file_name())
        .is_some_and(|d| d.eq_ignore_ascii_case("linkedTemplates"))
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
    /// Files that must be written in the same run for this fix to be written (see `Fix::requires`).
    pub requires: Vec<PathBuf>,
}

/// For each old-generation linked service among `in_scope` (files this run checks) whose connector's
/// datasets and sources change type with it: the safety of the migration `--fix --unsafe-fixes` writes for
/// it (a dry run of its file), stored in the index so that its datasets' and sources' fixes come with it
/// (`check::dependents`). Run after phase 1, before phase 2; the settings are as they were after it.
pub fn predict_migrations(settings: &mut Settings, in_scope: &[PathBuf]) {
    if !settings.index.retyped {
        return;
    }
    let scope: HashSet<PathBuf> = in_scope.iter().map(|p| index::absolute(p)).collect();
    let candidates: Vec<PathBuf> = settings
        .index
        .factories
        .values()
        .flat_map(|f| f.linked_services.values().flatten())
        .filter(|l| {
            l.version == Some(Version::V1)
                && crate::connector::by_ls_type(&l.kind)
                    .is_some_and(|c| c.dataset_types[0] != c.dataset_types[1])
                && scope.contains(&index::absolute(&l.path))
        })
        .map(|l| l.path.clone())
        .collect();
    let saved = (
        settings.fix,
        settings.write,
        settings.unsafe_fixes,
        settings.keep_diff,
        settings.keep_source,
    );
    settings.fix = FixMode::Apply { unsafe_fixes: true };
    (settings.write, settings.unsafe_fixes) = (false, true);
    (settings.keep_diff, settings.keep_source) = (false, false);
    let migration_codes: Vec<String> = settings
        .policy
        .catalog
        .rules
        .iter()
        .filter(|r| r.check == "v1-linked-service")
        .map(|r| r.code.clone())
        .collect();
    let predicted: Vec<(PathBuf, Vec<(String, Safety)>)> = candidates
        .iter()
        .map(|p| {
            let out = process(p, settings);
            let applied = out
                .change
                .iter()
                .flat_map(|c| &c.applied)
                .filter(|a| migration_codes.contains(&a.code))
                .filter_map(|a| Some((a.resource.clone()?, a.safety)))
                .collect();
            (p.clone(), applied)
        })
        .collect();
    (
        settings.fix,
        settings.write,
        settings.unsafe_fixes,
        settings.keep_diff,
        settings.keep_source,
    ) = saved;
    for f in settings.index.factories.values_mut() {
        for l in f.linked_services.values_mut().flatten() {
            l.migration = predicted
                .iter()
                .filter(|(p, _)| *p == l.path)
                .flat_map(|(_, a)| a)
                .find(|(name, _)| *name == l.name)
                .map(|(_, s)| *s);
        }
    }
}

/// The fix pipeline without the file system, for property tests and fuzzing: decode, parse, lint and
/// fix `bytes` exactly as `process` does before writing. `Ok(None)`: nothing to change; `Err`: the bytes
/// cannot be read as JSON, or the fixes would break them (the reason).
pub fn fix_bytes(bytes: Vec<u8>, settings: &Settings) -> Result<Option<String>, String> {
    let doc = Document::decode(bytes).map_err(|e| e.message())?;
    let root = doc.parse().map_err(|e| e.message)?;
    let cx = FileCx::new(settings, Path::new("fix_bytes.json"));
    let findings = check::lint_text(&doc, &root, &cx);
    if !findings
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)))
    {
        return Ok(None);
    }
    let fixed = fix_loop::fix_loop(&doc, &root, findings, &cx)?;
    Ok(fixed.map(|f| f.doc.text).filter(|t| *t != doc.text))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The outcome the CLI keeps holds no spare room: a factory's findings stay in memory until the
    /// report, and a pushed-to vector reserves room for four (issue 17: peak RSS at 100k files).
    #[test]
    fn kept_outcome_holds_no_spare_capacity() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ls.json");
        // a 1.0 linked service: ADFPG001 and friends, with a fix
        std::fs::write(&p, r#"{"name":"pg","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":"host=h;database=d;uid=u;password=pw;sslmode=require"}}}"#).unwrap();
        // as every CLI run: the fixes --fix would apply are computed (and kept, for the counts)
        let mut settings = Settings::builtin();
        settings.fix = FixMode::Apply {
            unsafe_fixes: false,
        };
        let out = process(&p, &settings);
        assert!(!out.findings.is_empty());
        assert_eq!(out.findings.capacity(), out.findings.len());
        assert_eq!(out.linked_services.capacity(), out.linked_services.len());
        let applied = &out.change.as_ref().expect("what --fix would apply").applied;
        assert!(!applied.is_empty());
        assert_eq!(applied.capacity(), applied.len());
    }

    /// Issue 29: one line holding N findings of each shape a hostile file used — unknown properties,
    /// duplicate keys, suppression annotations — is located in one pass at N and at 4N (before, each
    /// finding's column was counted from the line's start: a 17 MB line of 10⁶ keys ran for minutes).
    #[test]
    fn findings_on_one_line_are_located_in_linear_work() {
        let d = tempfile::tempdir().unwrap();
        let settings = Settings::builtin();
        let base = r#""server": "h.postgres.database.azure.com", "database": "d", "sslMode": 5, "username": "u", "authenticationType": "Basic""#;
        type Item = fn(usize) -> String;
        let shapes: [(&str, Item); 3] = [
            ("unknown property", |i| format!(r#", "k{i}": 1"#)),
            ("duplicate key", |_| r#", "server": "x""#.to_string()),
            ("annotation", |i| {
                format!(r#", "adfpg-ignore: ADFPG0{:02} r{i}""#, i % 20)
            }),
        ];
        for (shape, item) in shapes {
            for n in [1_000, 4_000] {
                let items: String = (0..n).map(item).collect();
                let text = if shape == "annotation" {
                    format!(
                        r#"{{"name": "pg", "properties": {{"type": "AzurePostgreSql", "version": "2.0", "annotations": ["x"{items}], "typeProperties": {{{base}}}}}}}"#
                    )
                } else {
                    format!(
                        r#"{{"name": "pg", "properties": {{"type": "AzurePostgreSql", "version": "2.0", "typeProperties": {{{base}{items}}}}}}}"#
                    )
                };
                let p = d.path().join("ls.json");
                std::fs::write(&p, &text).unwrap();
                crate::finding::COLUMN_BYTES.with(|c| c.set(0));
                let out = process(&p, &settings);
                let work = crate::finding::COLUMN_BYTES.with(|c| c.get());
                // (an annotation naming a rule that does find something suppresses it instead)
                assert!(
                    out.findings.len() + 20 >= n,
                    "{shape} × {n}: {}",
                    out.findings.len()
                );
                assert!(
                    work <= text.len(),
                    "{shape} × {n}: {work} bytes counted for a file of {}",
                    text.len()
                );
            }
        }
    }

    /// Issue 29: a connection string of N unknown keys (a finding each, located inside the string) is
    /// mapped to file offsets a bounded number of times, at N and at 4N keys (before: once per key).
    #[test]
    fn many_connection_string_keys_cost_linear_work() {
        let d = tempfile::tempdir().unwrap();
        let settings = Settings::builtin();
        for n in [1_000, 4_000] {
            let keys: String = (0..n).map(|i| format!("k{i}=\\\"v\\\";")).collect();
            let text = format!(
                r#"{{"name":"pg","properties":{{"type":"AzurePostgreSql","typeProperties":{{"connectionString":"host=h;database=d;uid=u;{keys}"}}}}}}"#
            );
            let p = d.path().join("ls.json");
            std::fs::write(&p, &text).unwrap();
            crate::source::json::OFFSET_BYTES.with(|c| c.set(0));
            let out = process(&p, &settings);
            let mapped = crate::source::json::OFFSET_BYTES.with(|c| c.get());
            assert!(
                out.findings.iter().filter(|f| f.code == "ADFPG012").count() >= n,
                "{n}: {}",
                out.findings.len()
            );
            assert!(
                mapped <= 8 * text.len(),
                "{n} keys: {mapped} bytes mapped for a file of {}",
                text.len()
            );
        }
    }

    /// The gate may take a file's own findings for its judge's only when nothing is off and no severity
    /// is changed: a rule off for the run, off for this path, or re-severed makes the views differ.
    #[test]
    fn the_judge_sees_as_the_file_only_under_the_default_policy() {
        let path = Path::new("f/linkedService/pg.json");
        let builtin = Settings::builtin();
        let cx = FileCx::new(&builtin, path);
        assert!(cx.sees_as_judge());
        assert!(cx.judge().sees_as_judge());
        let mut off = Settings::builtin();
        off.policy.disabled.insert("ADFPG022".into());
        assert!(!FileCx::new(&off, path).sees_as_judge());
        assert!(FileCx::new(&off, path).judge().sees_as_judge());
        let mut severe = Settings::builtin();
        severe
            .policy
            .severity
            .insert("ADFPG022".into(), crate::finding::Severity::Warning);
        assert!(!FileCx::new(&severe, path).sees_as_judge());
        let mut here = FileCx::new(&builtin, path);
        here.ignored.insert("ADFPG022".into());
        assert!(!here.sees_as_judge());
    }

    /// Files over one read chunk: the connector past the first chunk is found, and a blank or UTF-16
    /// file is still reported, not passed over for naming nothing.
    #[test]
    fn big_files_are_triaged_on_all_their_bytes() {
        let d = tempfile::tempdir().unwrap();
        let settings = Settings::builtin();
        let codes = |name: &str, bytes: &[u8]| -> Vec<String> {
            let p = d.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let out = process(&p, &settings);
            assert!(out.relevant, "{name}");
            out.findings.into_iter().map(|f| f.code).collect()
        };
        let pad = " ".repeat(2 * crate::source::read::CHUNK);
        let late = format!(
            r#"{{"name":"pg",{pad}"properties":{{"type":"AzurePostgreSql","typeProperties":{{"connectionString":"host=h;database=d;uid=u;password=pw;sslmode=require"}}}}}}"#
        );
        assert!(codes("late.json", late.as_bytes()).contains(&"ADFPG001".to_string()));
        assert!(!codes("blank.json", pad.as_bytes()).is_empty());
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(late.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert!(!codes("utf16.json", &utf16).is_empty());
        // and one that names nothing is passed over
        let p = d.path().join("plain.json");
        std::fs::write(&p, format!("{{{pad}}}")).unwrap();
        assert!(!process(&p, &settings).relevant);
    }

    /// The whole pipeline (`process` with `--fix`): a file another writer changes after it was read
    /// is reported (ADFPG105) and keeps the other writer's bytes.
    #[test]
    fn pipeline_reports_a_file_changed_between_read_and_write() {
        use crate::fix::write::hook;
        use std::fs;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("ls.json");
        let v1 = r#"{"name":"pg","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":"host=h;database=d;uid=u;password=pw;sslmode=require"}}}"#;
        fs::write(&p, v1).unwrap();
        let theirs = v1.replace("database=d", "database=theirs");
        let mut settings = Settings::builtin();
        settings.fix = FixMode::Apply {
            unsafe_fixes: false,
        };
        settings.write = true;
        let fix = |settings: &Settings| -> FileOutcome {
            let mut out = process(&p, settings);
            write_pending(std::slice::from_mut(&mut out), settings);
            out
        };
        let their_text = theirs.clone();
        hook::set(
            &p,
            Some(Box::new(move |path: &Path| {
                fs::write(path, &their_text).unwrap()
            })),
        );
        let out = fix(&settings);
        hook::set(&p, None);
        assert!(out.failed);
        let f = out.findings.iter().find(|f| f.code == "ADFPG105").unwrap();
        assert!(
            f.message
                .contains("changed on disk since it was read; not overwritten"),
            "{}",
            f.message
        );
        assert_eq!(fs::read_to_string(&p).unwrap(), theirs);
        assert_eq!(
            fs::read_dir(d.path()).unwrap().count(),
            1,
            "temp file removed"
        );
        // without the other writer the same run migrates the file
        fs::write(&p, v1).unwrap();
        let out = fix(&settings);
        assert!(!out.failed && out.change.is_some_and(|c| c.written));
        assert!(fs::read_to_string(&p).unwrap().contains("\"version\""));
    }
}
