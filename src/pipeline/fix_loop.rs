//! The fix loop: apply the applicable, non-overlapping fixes, re-parse and re-check until nothing more
//! applies, then let the gate refuse a result that is worse than the input.

use super::check::{duplicate_keys, lint_text};
use super::{Applied, Change, FileCx, FileOutcome, FixMode, PendingWrite, Settings, push_pipeline};
use crate::check::catalog::Catalog;
use crate::finding::{Finding, Fix, Severity, apply_edits, inside, written_ranges};
use crate::source::adf;
use crate::source::document::Document;
use crate::source::json::Node;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// With `--fix` or `--diff` and an applicable fix: run the fix loop and record the change (masked
/// before/after texts; with `--fix`, the pending write) or why it was not applied (ADFPG105). True when the
/// text changed.
pub(super) fn fix_file(out: &mut FileOutcome, doc: &Document, root: &Node, cx: &FileCx) -> bool {
    let settings = cx.s;
    let applicable = out
        .findings
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)));
    if settings.fix == FixMode::Off || !applicable {
        return false;
    }
    let fixed = match fix_loop(doc, root, out.findings.clone(), cx) {
        Ok(Some(fixed)) if fixed.doc.text != doc.text => fixed,
        Ok(_) => return false,
        Err(msg) => {
            push_pipeline(&mut out.findings, cx, "fix-not-applied", 0..0, msg, "");
            return false;
        }
    };
    if out.arm_template {
        out.arm_renames =
            crate::fix::arm::renames(root, &fixed.root, &cx.opts.migration, &cx.opts.template);
    }
    // masked texts for diffs and snippets, only when something shows them
    let (before, after) = if settings.keep_diff || settings.keep_source {
        (
            crate::mask::mask_parsed(&doc.text, root),
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
        requires: fixed
            .applied
            .iter()
            .flat_map(|a| a.requires.clone())
            .collect(),
        linked_services: adf::linked_services(&fixed.root)
            .iter()
            .map(super::SeenLinkedService::of)
            .collect(),
        original: doc.text.clone(),
        new_text: fixed.doc.text,
        findings: fixed.findings,
    });
    out.change = Some(Box::new(Change {
        before,
        after,
        applied: fixed.applied,
        written: false,
        pending,
    }));
    true
}

/// What the fix loop made of a file: the final text, parsed, the fixes applied and the findings left.
pub(super) struct Fixed {
    pub(super) doc: Document,
    pub(super) root: Node,
    pub(super) applied: Vec<Applied>,
    pub(super) findings: Vec<Finding>,
}

/// The applicable fixes of `findings`, each taken whole, in the order their edits start: a fix whose
/// edits overlap one taken before is left out (for a later round). Returns the edits to apply, the
/// fixes taken, and how many were left out.
pub(super) fn take_fixes<'a>(
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
            requires: x.requires.clone(),
        });
    }
    (edits, applied, left_out)
}

/// Apply applicable fixes, re-parse and re-lint, until nothing more applies. `findings` are those of
/// `doc` (parsed as `root`) already, so the first round parses nothing again. `Ok(None)`: no fix
/// applied; an error when a fix would break the file or the fixes do not settle.
pub(super) fn fix_loop(
    doc: &Document,
    root: &Node,
    findings: Vec<Finding>,
    cx: &FileCx,
) -> Result<Option<Fixed>, String> {
    let settings = cx.s;
    let judge = cx.judge();
    let input = GateInput::of(doc, root, &judged(doc, root, cx, &judge, &findings));
    let mut current: Option<(Document, Node)> = None;
    let mut findings = findings;
    let mut applied = Vec::new();
    // the bytes of the current text that fixes wrote
    let mut written: Vec<std::ops::Range<usize>> = Vec::new();
    for _ in 0..10 {
        let cur = current.as_ref().map_or(doc, |(d, _)| d);
        let (edits, taken, _) = take_fixes(&findings, settings);
        if taken.is_empty() {
            let Some((doc, root)) = current else {
                return Ok(None);
            };
            let output = Output {
                doc: &doc,
                root: &root,
                findings: &judged(&doc, &root, cx, &judge, &findings),
                written: &written,
            };
            gate(&input, &output, &settings.policy.catalog)?;
            return Ok(Some(Fixed {
                doc,
                root,
                applied,
                findings,
            }));
        }
        applied.extend(taken);
        written = written_ranges(&cur.text, &edits, &written);
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

/// The judge's findings of a text whose findings through `cx` are `seen`: `seen` itself when both views
/// see the same rules (the default policy: a fixed file is then linted once per round, not twice), else a
/// lint of the judge's own.
fn judged<'a>(
    doc: &Document,
    root: &Node,
    cx: &FileCx,
    judge: &FileCx,
    seen: &'a [Finding],
) -> Cow<'a, [Finding]> {
    if cx.sees_as_judge() {
        debug_assert_eq!(seen, lint_text(doc, root, judge), "the views differ");
        Cow::Borrowed(seen)
    } else {
        Cow::Owned(lint_text(doc, root, judge))
    }
}

/// What the gate compares a fixed text with: the input's duplicate keys and error-level findings (every
/// rule's, at its own severity: see `FileCx::every_rule`).
struct GateInput<'a> {
    /// The input, asked whether a strict reader accepts it only when the fixed text is refused by one
    /// (the tool's own parser also reads what strict readers refuse, such as lone surrogate escapes;
    /// nesting past serde_json's limit is not strict-checked).
    doc: &'a Document,
    duplicate_keys: usize,
    errors: BTreeMap<String, usize>,
}

impl GateInput<'_> {
    fn of<'a>(doc: &'a Document, root: &Node, findings: &[Finding]) -> GateInput<'a> {
        GateInput {
            doc,
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
    duplicate_keys(root, &mut |_, _, _, _| n += 1);
    n
}

fn error_counts(findings: &[Finding]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for f in findings.iter().filter(|f| f.severity == Severity::Error) {
        *out.entry(f.code.clone()).or_insert(0) += 1;
    }
    out
}

/// A fixed text as the gate sees it: parsed, the judge's findings, and the bytes the fixes wrote.
struct Output<'a> {
    doc: &'a Document,
    root: &'a Node,
    findings: &'a [Finding],
    written: &'a [std::ops::Range<usize>],
}

/// The fix gate: fixed text is written only if it is strict JSON, holds no duplicate key the input did
/// not have, has no error-level finding the input did not have, and no error saying the connector refuses
/// a value (a rule with `invalid_value`) on bytes a fix wrote, even one the input had (a 1.0 `port=abc`
/// written as `"port": "abc"`). The findings are the judge's: every rule at its own severity, so
/// `--select`, `--ignore` and `--severity` cannot let a broken file through. Otherwise the reason.
fn gate(input: &GateInput, out: &Output, catalog: &Catalog) -> Result<(), String> {
    // only an input a strict reader accepts is held to it (deep nesting passes the tool, not serde_json)
    if let Err(e) = strict_json(out.doc)
        && strict_json(input.doc).is_ok()
    {
        return Err(format!(
            "the fixed text would not be strict JSON ({e}); nothing was written"
        ));
    }
    if count_duplicate_keys(out.root) > input.duplicate_keys {
        return Err(
            "the fixed text would hold a key twice in one object, which ADF and ARM reject; nothing was written"
                .into(),
        );
    }
    let refused = out.findings.iter().find(|f| {
        f.severity == Severity::Error
            && inside(out.written, &f.span)
            && catalog.get(&f.code).is_some_and(|r| r.invalid_value)
    });
    if let Some(f) = refused {
        return Err(format!(
            "the fix would write a value the connector does not accept ({}: {}); nothing was written",
            f.code, f.message
        ));
    }
    let after = error_counts(out.findings);
    for (code, n) in &after {
        if *n > input.errors.get(code).copied().unwrap_or(0) {
            let example = out
                .findings
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

#[cfg(test)]
mod tests {
    use super::*;

    fn gate_of(before: &str, after: &str, after_findings: &[Finding]) -> Result<(), String> {
        let doc = Document::decode(before.as_bytes().to_vec()).unwrap();
        let input = GateInput::of(&doc, &doc.parse().unwrap(), &[]);
        let next = Document::decode(after.as_bytes().to_vec()).unwrap();
        let root = next.parse().unwrap();
        let out = Output {
            doc: &next,
            root: &root,
            findings: after_findings,
            written: &[],
        };
        gate(&input, &out, &Settings::builtin().policy.catalog)
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
        // an input strict readers already refuse is not held to them
        assert_eq!(
            gate_of(r#"{"a": "\ud800", "b": 1}"#, r#"{"a": "\ud800"}"#, &[]),
            Ok(())
        );
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
                safety: crate::finding::Safety::Safe,
                title: text.into(),
                edits: vec![crate::finding::Edit::replace(range, text)],
                requires: Vec::new(),
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
