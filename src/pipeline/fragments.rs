//! Files whose only connector objects are copy sources and sinks: their findings from those objects
//! alone, and their fixes applied and re-checked without parsing the whole file.

use super::fix_loop::take_fixes;
use super::{Applied, Change, FileCx, FileOutcome, FixMode, PendingWrite, SCRATCH};
use crate::check::cross_file::FactoryCx;
use crate::finding::{Finding, apply_edits};
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
    fragments: Option<skim::Fragments>,
) -> Option<Vec<u8>> {
    let settings = cx.s;
    let fixable = settings.fix != FixMode::Off
        && findings
            .iter()
            .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)));
    let (text, fragments) = match (text, fragments) {
        (Some(text), Some(fragments)) if fixable => (text, fragments),
        (text, _) => {
            out.source = text
                .filter(|_| settings.keep_source)
                .map(|t| crate::mask::mask(&t));
            out.findings = findings;
            return None;
        }
    };
    let Some((new_text, applied, left)) =
        fix_fragments(&out.path, cx, &text, &fragments, &findings)
    else {
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
        requires: Vec::new(),
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
    fragments: &skim::Fragments,
    findings: &[Finding],
) -> Option<(String, Vec<Applied>, Vec<Finding>)> {
    let settings = cx.s;
    let (edits, applied, left_out) = take_fixes(findings, settings);
    if left_out > 0 {
        return None;
    }
    let (new_text, done) = apply_edits(text, &edits);
    if done != edits.len() {
        return None;
    }
    // edits are inside the JSON body: a BOM stays as it was
    let body = crate::source::document::body_start(text);
    if crate::source::document::body_start(&new_text) != body {
        return None;
    }
    let left = SCRATCH.with_borrow_mut(|(_, _, scratch)| {
        match moved_fragments(&new_text, body, fragments, &edits, scratch) {
            Some((moved, touched)) => {
                // an object no edit changed keeps its findings, moved with it
                let nested = fragments
                    .list()
                    .windows(2)
                    .any(|w| w[1].range.start < w[0].range.end);
                let kept = |i: usize| -> Option<Vec<Finding>> {
                    if nested || touched[i] {
                        return None;
                    }
                    let (was, now) = (&fragments.list()[i].range, &moved.list()[i].range);
                    let by = now.start as isize - was.start as isize;
                    let inside = |f: &&Finding| {
                        f.span
                            .start
                            .checked_sub(body)
                            .is_some_and(|s| was.contains(&s))
                    };
                    Some(
                        findings
                            .iter()
                            .filter(inside)
                            .map(|f| f.clone().moved(by))
                            .collect(),
                    )
                };
                findings_of(path, cx, &new_text, body, &moved, kept)
            }
            // an edit outside the copy objects: the whole text is skimmed again
            None => match skim::skim(&new_text[body..], scratch) {
                skim::Skim::Clean => Some(Vec::new()),
                skim::Skim::Fragments => {
                    fragment_findings(path, cx, &new_text, body, scratch.fragments())
                }
                skim::Skim::NeedsParse => None,
            },
        }
    })?;
    if left
        .iter()
        .any(|f| f.fix.as_ref().is_some_and(|x| settings.applicable(x)))
    {
        return None;
    }
    Some((new_text, applied, left))
}

/// The copy objects of the fixed text when every edit fell inside one and each object an edit changed
/// still clears on its own (then the rest of the text, byte for byte as before, clears as before).
fn moved_fragments(
    new_text: &str,
    body: usize,
    fragments: &skim::Fragments,
    edits: &[&crate::finding::Edit],
    scratch: &mut skim::Scratch,
) -> Option<(skim::Fragments, Vec<bool>)> {
    let mut in_body: Vec<(std::ops::Range<usize>, usize)> = edits
        .iter()
        .map(|e| {
            Some((
                e.range.start.checked_sub(body)?..e.range.end - body,
                e.text.len(),
            ))
        })
        .collect::<Option<_>>()?;
    in_body.sort_by_key(|(r, _)| (r.start, r.end));
    let (moved, touched) = fragments.after_edits(&in_body)?;
    let new_body = &new_text[body..];
    for (f, &changed) in moved.list().iter().zip(&touched) {
        if changed && !skim::fragment_clears(new_body.get(f.range.clone())?, f.depth(), scratch) {
            return None;
        }
    }
    Some((moved, touched))
}

/// The findings of a file's copy sources and sinks, each parsed on its own; None if one does not parse
/// on its own (then the caller parses the whole file).
pub(super) fn fragment_findings(
    path: &Path,
    cx: &FileCx,
    text: &str,
    body: usize,
    fragments: &skim::Fragments,
) -> Option<Vec<Finding>> {
    findings_of(path, cx, text, body, fragments, |_| None)
}

/// [`fragment_findings`], taking from `kept` the findings of the objects (by index) it already knows.
fn findings_of(
    path: &Path,
    cx: &FileCx,
    text: &str,
    body: usize,
    fragments: &skim::Fragments,
    kept: impl Fn(usize) -> Option<Vec<Finding>>,
) -> Option<Vec<Finding>> {
    let fcx = FactoryCx {
        catalog: &cx.s.policy.catalog,
        index: &cx.s.index,
        path,
        text,
        layout: Default::default(),
    };
    let mut findings = Vec::new();
    for (i, f) in fragments.list().iter().enumerate() {
        if let Some(known) = kept(i) {
            findings.extend(known);
            continue;
        }
        let (start, end) = (body + f.range.start, body + f.range.end);
        // only what the checks read is built
        let mut node = crate::source::json::parse_members(
            text.get(start..end)?,
            &crate::check::cross_file::COPY_OBJECT_KEYS,
        )
        .ok()?;
        crate::source::document::shift_spans(&mut node, start);
        // checked as if at the root, then placed: a pointer to the object followed by one inside it is
        // the pointer from the root (most objects report nothing, so their path is rarely spelled out)
        let mut here = None;
        for mut found in crate::check::cross_file::check_copy_object(&fcx, &node, &[])
            .into_iter()
            .filter_map(|f| cx.keep(f))
        {
            let at = here.get_or_insert_with(|| {
                crate::source::json::pointer(&fragments.path(&text[body..], f))
            });
            found.pointer.insert_str(0, at);
            findings.push(found);
        }
    }
    findings.sort_by(|a, b| (a.span.start, &a.code).cmp(&(b.span.start, &b.code)));
    crate::finding::locate(&mut findings, text);
    Some(findings)
}
