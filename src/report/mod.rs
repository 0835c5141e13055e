//! One run's results and the renderers that turn them into text. Every renderer reads the same `Run`;
//! texts inside it are already masked (see `mask`), and messages never carry secret values.

pub mod baseline;
pub mod docs;
pub mod output;
pub mod plan;

use crate::check::Catalog;
use crate::finding::{Finding, Safety, Severity};
use crate::pipeline::FileOutcome;
use crate::source::adf::Version;
use crate::text::{display_path, log_safe, log_safe_path, shown_path};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde_json::json;
use std::fmt::Write as _;

pub struct Run<'a> {
    /// Files with something to report, sorted by path (quiet files are only counted).
    pub outcomes: Vec<FileOutcome>,
    pub files_scanned: usize,
    /// Files that passed the prefilter.
    pub files_parsed: usize,
    pub catalog: &'a Catalog,
    /// Paths that could not be walked (missing, unreadable directories …).
    pub walk_errors: Vec<(String, String)>,
    pub unsafe_fixes: bool,
    pub mode: Mode,
    /// Files `--fix` changes (or would change, with `--diff` / `--check`).
    pub files_to_change: usize,
    /// What `--baseline` / `--write-baseline` did (findings the baseline lists are already removed).
    pub baseline: Option<crate::report::baseline::Comparison>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Lint,
    Check,
    Diff,
    Fix,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub files_scanned: usize,
    pub files_parsed: usize,
    /// Distinct linked services: one per factory folder and name, however many templates copy it.
    pub linked_services: usize,
    pub linked_services_v1: usize,
    /// Copies of linked services in published ARM templates (and linked templates).
    pub template_copies: usize,
    /// The same counts per connector that has any (AzurePostgreSql first).
    pub connectors: Vec<ConnectorCount>,
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
    /// Findings whose fix `--fix` applies.
    pub fixable: usize,
    /// Findings whose fix needs `--unsafe-fixes` too.
    pub fixable_unsafe: usize,
    /// Findings whose fix is only a suggestion (display-only): `--fix` does not apply it.
    pub suggestions: usize,
    pub files_changed: usize,
    pub fixes_applied: usize,
}

/// The distinct linked services of one connector, and how many are of its old generation.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConnectorCount {
    pub connector: &'static str,
    pub linked_services: usize,
    pub old_generation: usize,
}

impl Run<'_> {
    pub fn findings(&self) -> impl Iterator<Item = (&FileOutcome, &Finding)> {
        self.outcomes
            .iter()
            .flat_map(|o| o.findings.iter().map(move |f| (o, f)))
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            files_scanned: self.files_scanned,
            files_parsed: self.files_parsed,
            files_changed: self.files_to_change,
            ..Summary::default()
        };
        let distinct = distinct_linked_services(&self.outcomes);
        s.linked_services = distinct.len();
        s.linked_services_v1 = distinct.values().filter(|v| **v == Version::V1).count();
        for c in crate::connector::ALL {
            let mine: Vec<&Version> = distinct
                .iter()
                .filter(|((_, _, id), _)| *id == c.id)
                .map(|(_, v)| v)
                .collect();
            if !mine.is_empty() {
                s.connectors.push(ConnectorCount {
                    connector: c.id,
                    linked_services: mine.len(),
                    old_generation: mine.iter().filter(|v| ***v == Version::V1).count(),
                });
            }
        }
        for o in &self.outcomes {
            if o.arm_template {
                s.template_copies += o.linked_services.len();
            }
            // with --fix, only what was written counts
            if let Some(c) = o
                .change
                .as_ref()
                .filter(|c| self.mode != Mode::Fix || c.written)
            {
                s.fixes_applied += c.applied.len();
            }
        }
        for (_, f) in self.findings() {
            match f.severity {
                Severity::Error => s.errors += 1,
                Severity::Warning => s.warnings += 1,
                Severity::Info => s.infos += 1,
            }
            match f.fix.as_ref().map(|x| x.safety) {
                Some(Safety::Safe) => s.fixable += 1,
                Some(Safety::Unsafe) => s.fixable_unsafe += 1,
                Some(Safety::DisplayOnly) => s.suggestions += 1,
                None => {}
            }
        }
        s
    }
}

/// Each linked service once, by factory folder and name, with its version: a file's own (a file outside
/// a factory folder is its own place), or for a linked service known only from templates, the first
/// template's, placed in the folder it was published from.
fn distinct_linked_services(
    outcomes: &[FileOutcome],
) -> std::collections::BTreeMap<(std::path::PathBuf, &str, &'static str), Version> {
    let mut out = std::collections::BTreeMap::new();
    for o in outcomes.iter().filter(|o| !o.arm_template) {
        let place = crate::index::factory_root(&o.path).unwrap_or_else(|| o.path.clone());
        for l in &o.linked_services {
            out.insert((place.clone(), l.name.as_str(), l.connector.id), l.version);
        }
    }
    for o in outcomes.iter().filter(|o| o.arm_template) {
        let place = match &o.template_home {
            crate::index::TemplateHome::Root(r) => r.clone(),
            _ => o.path.clone(),
        };
        for l in &o.linked_services {
            let key = (place.clone(), l.name.as_str(), l.connector.id);
            out.entry(key).or_insert(l.version);
        }
    }
    out
}

/// The location of a finding: 1-based line/column of its start and end.
pub fn location(o: &FileOutcome, f: &Finding) -> ((usize, usize), (usize, usize)) {
    if f.start.0 > 0 {
        return (f.start, f.end);
    }
    match &o.source {
        Some(text) => (
            crate::source::document::line_col(text, f.span.start),
            crate::source::document::line_col(text, f.span.end),
        ),
        None => ((1, 1), (1, 1)),
    }
}

// ---------- full (miette) ----------

pub fn render_full(run: &Run, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(110)
        .with_links(false);
    let mut out = String::new();
    for o in &run.outcomes {
        for f in &o.findings {
            let diag = diagnostic(run, f);
            // miette panics on a label column past u16::MAX, and a megabyte line is no snippet anyway
            let source = o.source.as_ref().filter(|src| snippet_fits(src, f));
            let report = match source {
                Some(src) => miette::Report::new(diag)
                    .with_source_code(NamedSource::new(shown_path(&o.path), src.clone())),
                None => miette::Report::new(diag),
            };
            let mut s = String::new();
            if handler.render_report(&mut s, report.as_ref()).is_err() {
                s = format!("{}: {} {}\n", shown_path(&o.path), f.code, f.message);
            }
            if source.is_none() {
                let ((l, c), _) = location(o, f);
                s = format!("  --> {}:{l}:{c}\n{s}", shown_path(&o.path));
            }
            out.push_str(&s);
            out.push('\n');
        }
    }
    out
}

/// Longest line (in bytes) shown as a source snippet.
const MAX_SNIPPET_LINE: usize = 2000;

/// Are the lines a finding's labels sit on (and their neighbours) short enough to show?
fn snippet_fits(src: &str, f: &Finding) -> bool {
    std::iter::once(&f.span)
        .chain(f.related.iter().map(|(r, _)| r))
        .all(|r| {
            // bytes, not str slices: no char-boundary panics whatever the span
            let b = src.as_bytes();
            let nl = |i: &usize| b[*i] == b'\n';
            let (start, end) = (
                r.start.min(b.len()),
                r.end.min(b.len()).max(r.start.min(b.len())),
            );
            // from the line before the span's first line to the line after its last
            let before = (0..start).rev().find(nl).unwrap_or(0);
            let from = (0..before).rev().find(nl).unwrap_or(0);
            let after = (end..b.len()).find(nl).map_or(b.len(), |i| i + 1);
            let to = (after..b.len()).find(nl).unwrap_or(b.len());
            b[from..to]
                .split(|&c| c == b'\n')
                .all(|l| l.len() <= MAX_SNIPPET_LINE)
        })
}

fn diagnostic(run: &Run, f: &Finding) -> MietteDiagnostic {
    let severity = match f.severity {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    };
    let mut help = f.help.clone();
    if let Some(fix) = &f.fix {
        let _ = match fix.safety {
            Safety::Safe => write!(help, "\nfix: {} — with --fix", fix.title),
            Safety::Unsafe if run.unsafe_fixes => {
                write!(help, "\nfix: {} — with --fix --unsafe-fixes", fix.title)
            }
            Safety::Unsafe => write!(
                help,
                "\nfix: {} — with --fix --unsafe-fixes (unsafe fix: review it)",
                fix.title
            ),
            Safety::DisplayOnly => write!(
                help,
                "\nsuggestion: {} — not applied by --fix unless selected: --extend-fixable {} --unsafe-fixes",
                fix.title, f.code
            ),
        };
    }
    if let Some(rule) = run.catalog.get(&f.code) {
        let _ = write!(help, "\ndocs: adfpg-migrate rule {}", rule.code);
    }
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        (!f.label.is_empty()).then(|| f.label.clone()),
        (f.span.start, f.span.end.saturating_sub(f.span.start)),
    )];
    for (r, l) in &f.related {
        labels.push(LabeledSpan::new_with_span(
            Some(l.clone()),
            (r.start, r.end - r.start),
        ));
    }
    MietteDiagnostic::new(f.message.clone())
        .with_code(f.code.clone())
        .with_severity(severity)
        .with_help(help)
        .with_labels(labels)
}

// ---------- concise ----------

/// One line per finding; on a terminal coloured like ruff's: the path bold, the code bold in its
/// severity's colour, the fix marker cyan.
pub fn render_concise(run: &Run, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = String::new();
    for (o, f) in run.findings() {
        let ((l, c), _) = location(o, f);
        let fix = match f.fix.as_ref().map(|x| x.safety) {
            Some(Safety::Safe) => format!(" {}", paint("36", "[*]")),
            Some(Safety::Unsafe) => format!(" {}", paint("36", "[unsafe fix]")),
            Some(Safety::DisplayOnly) | None => String::new(),
        };
        let severity_colour = match f.severity {
            Severity::Error => "1;31",
            Severity::Warning => "1;33",
            Severity::Info => "1;34",
        };
        let _ = writeln!(
            out,
            "{}:{l}:{c}: {} [{}] {}{fix}",
            paint("1", &log_safe_path(&shown_path(&o.path))),
            paint(severity_colour, &f.code),
            f.severity.as_str(),
            log_safe(&f.message)
        );
    }
    out
}

// ---------- json ----------

pub const JSON_SCHEMA_VERSION: u32 = 1;

pub fn render_json(run: &Run) -> String {
    let findings: Vec<_> = run
        .findings()
        .map(|(o, f)| {
            let ((sl, sc), (el, ec)) = location(o, f);
            let fix = f.fix.as_ref().map(|x| {
                json!({
                    "safety": x.safety,
                    "title": x.title,
                    "applicable": x.safety.applied_by_fix(run.unsafe_fixes),
                    "edits": x.edits.iter().map(|e| json!({
                        "start": e.range.start, "end": e.range.end, "content": e.masked_text(),
                    })).collect::<Vec<_>>(),
                })
            });
            json!({
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "help": f.help,
                "path": display_path(&o.path),
                "start": {"line": sl, "column": sc},
                "end": {"line": el, "column": ec},
                "span": {"start": f.span.start, "end": f.span.end},
                // keys and names come from the file: masked by what they hold, as any text
                "pointer": crate::mask::redact(&f.pointer),
                "linked_service": f.resource.as_deref().map(crate::mask::redact),
                "fix": fix,
            })
        })
        .collect();
    let mut doc = json!({
        "version": JSON_SCHEMA_VERSION,
        "tool": {"name": "adfpg-migrate", "version": env!("CARGO_PKG_VERSION")},
        "findings": findings,
        "errors": run.walk_errors.iter().map(|(p, e)| json!({"path": p, "message": e})).collect::<Vec<_>>(),
        "summary": run.summary(),
    });
    if let Some(b) = &run.baseline {
        doc["baseline"] = b.to_json();
    }
    serde_json::to_string_pretty(&doc).expect("json serialises") + "\n"
}

// ---------- diffs and summary ----------

pub fn render_diffs(run: &Run, color: bool) -> String {
    let mut out = String::new();
    for o in &run.outcomes {
        let Some(c) = &o.change else { continue };
        let p = shown_path(&o.path);
        let p = p.trim_start_matches('/');
        let diff = similar::TextDiff::from_lines(&c.before, &c.after);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{p}"), &format!("b/{p}"))
            .to_string();
        // commentary before the file's `---` line, which `git apply` and `patch` skip
        for hunk in masked_hunks(&text) {
            let _ = writeln!(
                out,
                "note: hunk {hunk} of {p} shows secrets masked as `*`: `git apply` refuses it; `--fix` writes the real text"
            );
        }
        for line in text.split_inclusive('\n') {
            let shortened;
            let line = if line.contains("**********") {
                // long masked secrets (encryptedCredential) add nothing to a diff but width
                shortened = shorten_masks(line);
                shortened.as_str()
            } else {
                line
            };
            if !color {
                out.push_str(line);
                continue;
            }
            let code = match line.as_bytes().first() {
                Some(b'+') if !line.starts_with("+++") => "32",
                Some(b'-') if !line.starts_with("---") => "31",
                Some(b'@') => "36",
                Some(b'+' | b'-') => "1",
                _ => "",
            };
            if code.is_empty() {
                out.push_str(line);
            } else {
                let body = line.trim_end_matches('\n');
                let _ = write!(out, "\x1b[{code}m{body}\x1b[0m");
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    out
}

/// The headers (`@@ -a,b +c,d @@`) of the hunks of a unified diff whose lines hold a masked secret (a
/// run of `*`, as `mask` writes one): applied, they would write the masks.
fn masked_hunks(diff: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    let mut header = None;
    for line in diff.lines() {
        if line.starts_with("@@") {
            header = Some(line.trim_end());
        } else if !line.starts_with("+++")
            && !line.starts_with("---")
            && line.contains("**")
            && let Some(h) = header.take()
        {
            out.push(h);
        }
    }
    out
}

/// With `--fix`: which files were rewritten, and by which rules.
pub fn render_fixed(run: &Run) -> String {
    let mut out = String::new();
    for o in &run.outcomes {
        let Some(c) = o.change.as_ref().filter(|c| c.written) else {
            continue;
        };
        let fixes: Vec<String> = c
            .applied
            .iter()
            .map(|a| match a.safety {
                Safety::Safe => a.code.clone(),
                _ => format!("{} (unsafe)", a.code),
            })
            .collect();
        let _ = writeln!(out, "fixed {}: {}", shown_path(&o.path), fixes.join(", "));
        // an unsafe fix leaves work for a person (re-enter a password, update release overrides): say it
        let mut follow_ups: Vec<&str> = c
            .applied
            .iter()
            .filter(|a| a.safety != Safety::Safe)
            .map(|a| a.title.as_str())
            .collect();
        follow_ups.dedup();
        for t in follow_ups {
            let _ = writeln!(out, "  warning: {}", crate::mask::printable(t));
        }
    }
    out
}

fn shorten_masks(line: &str) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"\*{9,}").unwrap())
        .replace_all(line, "********")
        .into_owned()
}

pub fn render_summary(run: &Run) -> String {
    let s = run.summary();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Scanned {} file{} ({} parsed): {}{}.",
        s.files_scanned,
        plural(s.files_scanned),
        s.files_parsed,
        connector_counts(&s, ""),
        match s.template_copies {
            0 => String::new(),
            n => format!(
                ", with {n} cop{} in ARM templates",
                if n == 1 { "y" } else { "ies" }
            ),
        }
    );
    match run.mode {
        Mode::Fix => {
            let _ = writeln!(
                out,
                "Fixed {} file{} ({} fix{} applied).",
                s.files_changed,
                plural(s.files_changed),
                s.fixes_applied,
                if s.fixes_applied == 1 { "" } else { "es" }
            );
        }
        // the counts of the dry run: what a --fix run with the same options then reports as applied
        Mode::Lint if s.fixes_applied == 0 => {}
        Mode::Lint | Mode::Diff | Mode::Check => {
            let _ = writeln!(
                out,
                "--fix{} would apply {} fix{} to {} file{}.",
                if run.unsafe_fixes {
                    " --unsafe-fixes"
                } else {
                    ""
                },
                s.fixes_applied,
                if s.fixes_applied == 1 { "" } else { "es" },
                s.files_changed,
                plural(s.files_changed),
            );
        }
    }
    let total = s.errors + s.warnings + s.infos;
    let failed = !run.walk_errors.is_empty() || run.outcomes.iter().any(|o| o.failed);
    if total == 0 && failed {
        // the tool did not do its job: the errors are on stderr, and this is no all-clear
        let _ = writeln!(
            out,
            "Nothing found in the files checked, but the run failed (see stderr)."
        );
    } else if total == 0 {
        let _ = writeln!(out, "No findings.");
    } else {
        let _ = write!(
            out,
            "Found {total} finding{}: {} error{}, {} warning{}, {} info.",
            plural(total),
            s.errors,
            plural(s.errors),
            s.warnings,
            plural(s.warnings),
            s.infos
        );
        if s.fixable_unsafe > 0 && !run.unsafe_fixes {
            let _ = write!(
                out,
                " {} more with an unsafe fix (--unsafe-fixes).",
                s.fixable_unsafe
            );
        }
        if s.suggestions > 0 {
            let _ = write!(
                out,
                " {} with a suggested change that --fix does not apply.",
                s.suggestions
            );
        }
        out.push('\n');
    }
    out
}

/// `20 AzurePostgreSql linked services, 14 at version 1.0; 3 PostgreSql linked services, 2 legacy …`:
/// each connector that has any (the first when none has); the counts wrapped in `strong` (`**` in Markdown).
pub fn connector_counts(s: &Summary, strong: &str) -> String {
    let first = ConnectorCount {
        connector: crate::connector::ALL[0].id,
        ..ConnectorCount::default()
    };
    let counts = if s.connectors.is_empty() {
        std::slice::from_ref(&first)
    } else {
        s.connectors.as_slice()
    };
    counts
        .iter()
        .map(|c| {
            let connector = crate::connector::by_id(c.connector).expect("a connector's id");
            let old = match connector.marker {
                crate::connector::Marker::Version => format!("at version {}", connector.labels[0]),
                crate::connector::Marker::Type if c.old_generation > 0 => format!(
                    "{} (`{}`, removed: migrate to `{}`)",
                    connector.labels[0], connector.ls_types[0], connector.ls_types[1]
                ),
                crate::connector::Marker::Type => connector.labels[0].to_string(),
            };
            format!(
                "{strong}{} {} linked service{}{strong}, {strong}{}{strong} {old}",
                c.linked_services,
                c.connector,
                plural(c.linked_services),
                c.old_generation
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
