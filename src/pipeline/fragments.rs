//! Files whose only connector objects are copy sources and sinks: their findings from those objects
//! alone, and their fixes applied and re-checked without parsing the whole file.

use super::fix_loop::take_fixes;
use super::{Applied, Change, FileCx, FileOutcome, FixMode, PendingWrite, SCRATCH};
use crate::check::cross_file::FactoryCx;
use crate::finding::{Finding, apply_edits};
use crate::source::document::Document;
use crate::source::skim;
use std::path::Path;

/// The copy-object findings of a triaged file: kept as they are, or fixed when `--fix`/`--diff` applies
/// one and the fixed text settles on the copy objects alone. Returns the bytes when it does not settle:
/// then the full pipeline decides.
pub(super) fn settle(
    out: &mut FileOutcome,
    cx: &FileCx,
    findings: Vec<Finding>,
    text: Option<String>,
) -> Option<Vec<u8>> {
    let settings = cx.s;
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
            return None;
        }
    };
    let Some((new_text, applied, left)) = fix_fragments(&out.path, cx, &text, &findings) else {
        return Some(text.into_bytes());
    };
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
    out.change = Some(Box::new(Change {
        before,
        after,
        applied,
        written: false,
        pending,
    }));
    None
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
pub(super) fn fragment_findings(
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
        let mut node = crate::source::json::parse(text.get(start..end)?).ok()?;
        crate::source::document::shift_spans(&mut node, start);
        findings.extend(
            crate::check::cross_file::check_copy_object(&fcx, &node, &f.path)
                .into_iter()
                .filter_map(|f| cx.keep(f)),
        );
    }
    findings.sort_by_key(|f| (f.span.start, f.code.clone()));
    crate::finding::locate(&mut findings, text);
    Some(findings)
}
