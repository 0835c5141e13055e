//! Baselines for brownfield factories: `--write-baseline FILE` records today's findings, `--baseline FILE`
//! reports only findings that are not in it, and lists the entries that no longer occur so the file can
//! shrink.
//!
//! An entry is keyed on (code, path, fingerprint). The path is relative to the baseline file's folder, so
//! the same file works from any working directory. The fingerprint is a hash of the code, that path, the
//! linked-service name, the JSON pointer of the value at fault and the finding's message (whitespace
//! collapsed; for file-level findings without a pointer, digits too, so that "line 3, column 5" or a file
//! size does not matter). None of these depend on line numbers, indentation or key order, so moving lines
//! or reformatting a file keeps every entry matched. Messages never carry secret values, and the hash is
//! taken over a masked copy anyway.
//!
//! Entries are matched as a multiset: two identical findings need two entries. Entries for files that
//! were not part of this run (a pre-commit run passes a few files) are left alone, unless the file no
//! longer exists, in which case they are reported as fixed. Entries whose rule is switched off in this run
//! are left alone too.

use crate::finding::Finding;
use crate::pipeline::FileOutcome;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub const FORMAT_VERSION: u32 = 1;

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub code: String,
    /// Relative to the baseline file's folder, `/`-separated.
    pub path: String,
    pub fingerprint: String,
    /// For people reading the file; not part of the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_service: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pointer: String,
    #[serde(default)]
    pub message: String,
}

impl Entry {
    fn key(&self) -> (String, String, String) {
        (
            self.code.clone(),
            self.path.clone(),
            self.fingerprint.clone(),
        )
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct BaselineFile {
    version: u32,
    #[serde(default)]
    comment: String,
    findings: Vec<Entry>,
}

/// What a baseline did to this run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// The `--baseline` file as given (None when only `--write-baseline` was used).
    pub file: Option<String>,
    /// Findings hidden because the baseline lists them.
    pub matched: usize,
    /// Entries whose finding no longer occurs: remove them (regenerate with `--write-baseline`).
    pub fixed: Vec<Entry>,
    /// `--write-baseline`: the file written and how many entries it holds.
    pub written: Option<(String, usize)>,
}

impl Comparison {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "file": self.file,
            "matched": self.matched,
            "fixed": self.fixed,
            "written": self.written.as_ref().map(|(f, n)| serde_json::json!({"file": f, "entries": n})),
        })
    }

    /// Lines for the human summary.
    pub fn render_summary(&self) -> String {
        let mut out = String::new();
        if let Some(file) = &self.file {
            let _ = write!(
                out,
                "Baseline {file}: {} finding{} already listed (not shown)",
                self.matched,
                if self.matched == 1 { "" } else { "s" }
            );
            if self.fixed.is_empty() {
                out.push_str(".\n");
            } else {
                let _ = writeln!(
                    out,
                    "; {} entr{} no longer found — shrink it with --write-baseline {file}:",
                    self.fixed.len(),
                    if self.fixed.len() == 1 { "y" } else { "ies" }
                );
                for e in &self.fixed {
                    // one line each, whatever the names in it contain (CI logs read commands)
                    let line = format!("  fixed: {}: {} {}", e.path, e.code, e.message);
                    let _ = writeln!(out, "{}", crate::text::log_safe(&line));
                }
            }
        }
        if let Some((file, n)) = &self.written {
            let _ = writeln!(
                out,
                "Wrote {n} finding{} to baseline {file}.",
                if *n == 1 { "" } else { "s" }
            );
        }
        out
    }
}

/// The fingerprint of a finding in a file whose baseline key path is `path`.
pub fn fingerprint(f: &Finding, path: &str) -> String {
    let message = normalize_message(&crate::mask::mask_by_pattern(&f.message), &f.pointer);
    // masked as the entry shows them: a hash of a secret is no better than the secret
    let resource = crate::mask::redact(f.resource.as_deref().unwrap_or(""));
    let pointer = crate::mask::redact(&f.pointer);
    let mut h = Fnv64::default();
    for part in [
        "adfpg-baseline-v1",
        &f.code,
        path,
        &resource,
        &pointer,
        &message,
    ] {
        h.write(part.as_bytes());
        h.write(&[0]);
    }
    format!("{:016x}", h.0)
}

fn normalize_message(message: &str, pointer: &str) -> String {
    let collapsed = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if pointer.is_empty() {
        // file-level findings (parse errors, encodings, sizes) carry positions and sizes in the text
        collapsed
            .split(|c: char| c.is_ascii_digit())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("#")
    } else {
        collapsed
    }
}

/// FNV-1a, 64 bit: stable across platforms and releases (std's hashers are not).
struct Fnv64(u64);

impl Default for Fnv64 {
    fn default() -> Self {
        Fnv64(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv64 {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// The folder a baseline file's paths are relative to (absolute).
pub fn base_dir(file: &Path) -> PathBuf {
    let abs = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
    let dir = crate::text::normalize(abs.parent().unwrap_or(Path::new("/")));
    // resolve symlinked folders (macOS /tmp, bind mounts) so that both sides compare equal
    dir.canonicalize().unwrap_or(dir)
}

/// A scanned file's path as a baseline key: relative to `base` when below it, else absolute.
pub fn path_key(file: &Path, base: &Path) -> String {
    let abs = crate::text::normalize(&std::path::absolute(file).unwrap_or_else(|_| file.into()));
    let abs = match (abs.parent(), abs.file_name()) {
        (Some(dir), Some(name)) => dir.canonicalize().map_or(abs.clone(), |d| d.join(name)),
        _ => abs,
    };
    match abs.strip_prefix(base) {
        Ok(rel) => crate::text::display_path(rel),
        Err(_) => crate::text::display_path(&abs),
    }
}

/// Every finding of the run as a baseline entry, sorted.
pub fn entries(outcomes: &[FileOutcome], base: &Path) -> Vec<Entry> {
    let mut out = Vec::new();
    for o in outcomes {
        let path = path_key(&o.path, base);
        for f in &o.findings {
            out.push(Entry {
                code: f.code.clone(),
                fingerprint: fingerprint(f, &path),
                path: path.clone(),
                linked_service: f
                    .resource
                    .as_deref()
                    .map(|r| crate::mask::redact(r).into_owned()),
                pointer: crate::mask::redact(&f.pointer).into_owned(),
                message: f.message.clone(),
            });
        }
    }
    out.sort();
    out
}

pub fn load(file: &Path) -> Result<Vec<Entry>, String> {
    let text =
        crate::source::read::read_text(file, crate::source::read::Links::Follow).map_err(|e| {
            format!(
                "cannot read baseline {}: {e} (create it with --write-baseline {})",
                file.display(),
                file.display()
            )
        })?;
    let parsed: BaselineFile = serde_json::from_str(&text)
        .map_err(|e| format!("baseline {} is not a valid baseline: {e}", file.display()))?;
    if parsed.version != FORMAT_VERSION {
        return Err(format!(
            "baseline {} has version {}; this adfpg-migrate reads version {FORMAT_VERSION}",
            file.display(),
            parsed.version
        ));
    }
    Ok(parsed.findings)
}

pub fn write(file: &Path, entries: &[Entry]) -> Result<(), String> {
    let doc = BaselineFile {
        version: FORMAT_VERSION,
        comment: "Findings accepted by `adfpg-migrate --write-baseline`; `--baseline` reports only findings not listed here. Regenerate this file to shrink it.".into(),
        findings: entries.to_vec(),
    };
    let text = serde_json::to_string_pretty(&doc).expect("baseline serialises") + "\n";
    // a file a CI step may print: guarded as every output (escapes that decode to the same text)
    let text = crate::mask::guard_output(&text, crate::mask::Encoding::Json);
    crate::fix::write::write_whole(file, text.as_bytes())
        .map_err(|e| format!("cannot write baseline {}: {e}", file.display()))
}

/// Remove the findings the baseline lists from `outcomes`; return how many were hidden and which
/// entries no longer occur. `active(code, file)` says whether a rule ran on a file in this run.
pub fn apply(
    baseline: &[Entry],
    base: &Path,
    outcomes: &mut [FileOutcome],
    active: &dyn Fn(&str, &Path) -> bool,
) -> (usize, Vec<Entry>) {
    let mut remaining: BTreeMap<(String, String, String), Vec<&Entry>> = BTreeMap::new();
    for e in baseline {
        remaining.entry(e.key()).or_default().push(e);
    }
    let mut scanned = HashSet::new();
    let mut matched = 0;
    for o in outcomes.iter_mut() {
        let path = path_key(&o.path, base);
        o.findings.retain(|f| {
            let key = (f.code.clone(), path.clone(), fingerprint(f, &path));
            match remaining.get_mut(&key).and_then(|v| v.pop()) {
                Some(_) => {
                    matched += 1;
                    false
                }
                None => true,
            }
        });
        scanned.insert(path);
    }
    let mut fixed: Vec<Entry> = remaining
        .into_values()
        .flatten()
        .filter(|e| {
            let file = base.join(&e.path);
            let in_run = scanned.contains(&e.path) && active(&e.code, &file);
            in_run || !file.exists()
        })
        .cloned()
        .collect();
    fixed.sort();
    (matched, fixed)
}

/// `--baseline` / `--write-baseline` for one run. Writing records every finding of the run; the findings
/// are then filtered by `--baseline` when given, else by what was just written (so the run is clean).
pub fn run(
    baseline: Option<&Path>,
    write_to: Option<&Path>,
    outcomes: &mut [FileOutcome],
    active: &dyn Fn(&str, &Path) -> bool,
) -> Result<Option<Comparison>, String> {
    if baseline.is_none() && write_to.is_none() {
        return Ok(None);
    }
    let mut cmp = Comparison::default();
    let old = match baseline {
        Some(file) => Some((file, load(file)?)),
        None => None,
    };
    let written = match write_to {
        Some(file) => {
            let list = entries(outcomes, &base_dir(file));
            write(file, &list)?;
            cmp.written = Some((file.display().to_string(), list.len()));
            Some((file, list))
        }
        None => None,
    };
    let (file, list) = old.or(written).expect("one of the two is given");
    let (matched, fixed) = apply(&list, &base_dir(file), outcomes, active);
    cmp.matched = matched;
    if baseline.is_some() {
        cmp.file = Some(file.display().to_string());
        cmp.fixed = fixed;
    }
    Ok(Some(cmp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;

    fn finding(code: &str, message: &str, pointer: &str) -> Finding {
        Finding {
            code: code.into(),
            severity: Severity::Warning,
            message: message.into(),
            help: String::new(),
            span: 10..20,
            label: String::new(),
            related: Vec::new(),
            fix: None,
            resource: Some("pg".into()),
            pointer: pointer.into(),
            start: (0, 0),
            end: (0, 0),
        }
    }

    #[test]
    fn fingerprint_ignores_spans_and_whitespace_but_not_the_pointer() {
        let a = finding(
            "ADFPG001",
            "linked service `pg`  uses 1.0",
            "/properties/type",
        );
        let mut b = a.clone();
        b.span = 500..510;
        b.message = "linked service `pg` uses\n1.0".into();
        assert_eq!(fingerprint(&a, "ls/pg.json"), fingerprint(&b, "ls/pg.json"));
        let c = finding(
            "ADFPG001",
            "linked service `pg` uses 1.0",
            "/properties/version",
        );
        assert_ne!(fingerprint(&a, "ls/pg.json"), fingerprint(&c, "ls/pg.json"));
        assert_ne!(
            fingerprint(&a, "ls/pg.json"),
            fingerprint(&a, "ls/other.json")
        );
        assert_eq!(fingerprint(&a, "ls/pg.json").len(), 16);
    }

    #[test]
    fn file_level_fingerprints_ignore_positions() {
        let a = finding(
            "ADFPG101",
            "not UTF-8 (first invalid byte at line 3, column 5)",
            "",
        );
        let b = finding(
            "ADFPG101",
            "not UTF-8 (first invalid byte at line 9, column 1)",
            "",
        );
        assert_eq!(fingerprint(&a, "x.json"), fingerprint(&b, "x.json"));
    }

    #[test]
    fn fingerprint_never_carries_the_message_text() {
        let f = finding("ADFPG008", "password=hunter2", "/p");
        let fp = fingerprint(&f, "x.json");
        assert!(fp.chars().all(|c| c.is_ascii_hexdigit()), "{fp}");
    }
}
