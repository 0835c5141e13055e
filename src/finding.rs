//! What a check reports: a finding at a byte span, with an optional fix made of byte-range edits.

use serde::{Deserialize, Serialize};
use std::ops::Range;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Fix safety, as in ruff: safe fixes keep behaviour; unsafe ones may change it and need `--unsafe-fixes`;
/// display-only ones are shown as a suggestion and applied only when the rule's fix is selected by name
/// (`--extend-fixable CODE`, `extend-safe-fixes`, `extend-unsafe-fixes`; see `config::FixRules`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Safety {
    Safe,
    Unsafe,
    DisplayOnly,
}

impl Safety {
    /// Does `--fix` (with or without `--unsafe-fixes`) apply a fix of this safety?
    pub fn applied_by_fix(self, unsafe_fixes: bool) -> bool {
        match self {
            Safety::Safe => true,
            Safety::Unsafe => unsafe_fixes,
            Safety::DisplayOnly => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Safety::Safe => "safe",
            Safety::Unsafe => "unsafe",
            Safety::DisplayOnly => "display-only",
        }
    }
}

/// Replace the bytes in `range` of the original file with `text`.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
    /// Parts of `text` that are secret values: masked wherever the edit is shown.
    pub secrets: Vec<Range<usize>>,
    /// 1-based (line, column) of `range`'s ends, filled by [`locate`] ((0, 0) until then).
    pub start: (usize, usize),
    pub end: (usize, usize),
}

impl Edit {
    pub fn replace(range: Range<usize>, text: impl Into<String>) -> Edit {
        Edit {
            range,
            text: text.into(),
            secrets: Vec::new(),
            start: (0, 0),
            end: (0, 0),
        }
    }

    /// The text with secret parts replaced by `*`.
    pub fn masked_text(&self) -> String {
        let mut t = self.text.clone();
        for r in &self.secrets {
            t.replace_range(r.clone(), &"*".repeat(self.text[r.clone()].chars().count()));
        }
        t
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    pub safety: Safety,
    /// One line: what applying it does.
    pub title: String,
    pub edits: Vec<Edit>,
    /// Files whose fixes this one only makes sense with (a dataset's new type needs its linked
    /// service's migration): the file is written only when they are, in the same run.
    pub requires: Vec<std::path::PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub code: String,
    pub severity: Severity,
    pub message: String,
    pub help: String,
    /// Byte span in the file (BOM included) of the key or value at fault.
    pub span: Range<usize>,
    /// The primary label shown under the span, and secondary spans.
    pub label: String,
    pub related: Vec<(Range<usize>, String)>,
    pub fix: Option<Fix>,
    /// The linked service (or other resource) the finding is about, when there is one.
    pub resource: Option<String>,
    /// JSON pointer of the value at fault: stable across reformatting (baselines, suppressions).
    pub pointer: String,
    /// 1-based (line, column) of `span`'s ends, filled by [`locate`] ((0, 0) until then), so that the
    /// report needs no copy of the file's text.
    pub start: (usize, usize),
    pub end: (usize, usize),
}

impl Finding {
    /// The same finding in a text where its bytes moved by `by` (an edit before them changed the
    /// length); line and column are [`locate`]d again.
    pub fn moved(mut self, by: isize) -> Finding {
        let at = |r: &mut Range<usize>| {
            *r = r.start.wrapping_add_signed(by)..r.end.wrapping_add_signed(by);
        };
        at(&mut self.span);
        self.related.iter_mut().for_each(|(r, _)| at(r));
        for e in self.fix.iter_mut().flat_map(|x| x.edits.iter_mut()) {
            at(&mut e.range);
        }
        self
    }
}

/// Line starts of a text, for 1-based line/column lookups without rescanning the text each time.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        LineIndex { text, starts }
    }

    /// 1-based line and column (in characters; a BOM is not a column) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset =
            crate::source::document::floor_char_boundary(self.text, offset.min(self.text.len()));
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let col = self.text[start..offset]
            .trim_start_matches('\u{feff}')
            .chars()
            .count()
            + 1;
        (line, col)
    }
}

/// Fill in the line/column of findings and their edits, from the text their spans refer to.
pub fn locate(findings: &mut [Finding], text: &str) {
    if findings.is_empty() {
        return;
    }
    let mut offsets: Vec<usize> = Vec::with_capacity(findings.len() * 2);
    for f in findings.iter() {
        offsets.extend([f.span.start, f.span.end]);
        for e in f.fix.iter().flat_map(|x| x.edits.iter()) {
            offsets.extend([e.range.start, e.range.end]);
        }
    }
    offsets.sort_unstable();
    offsets.dedup();
    let places = line_cols(text, &offsets);
    let at = |o: usize| places[offsets.binary_search(&o).expect("every offset is listed")];
    for f in findings {
        f.start = at(f.span.start);
        f.end = at(f.span.end);
        for e in f.fix.iter_mut().flat_map(|x| x.edits.iter_mut()) {
            e.start = at(e.range.start);
            e.end = at(e.range.end);
        }
    }
}

/// [`LineIndex::line_col`] of each of the `sorted` offsets, in one pass over the text up to the last of
/// them: a file with findings often has many lines and few findings, and indexing every line cost more
/// than the rest of its copy-activity checks. Each byte is looked at once, however many offsets share a
/// line (a hostile one-line file holds a million findings): the column carries on from the offset
/// before instead of being counted again from the line's start.
fn line_cols(text: &str, sorted: &[usize]) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    // characters from the line's start to `pos`, and the BOMs that open the line (not columns)
    let (mut pos, mut line, mut col) = (0, 1, 0);
    let mut lead = leading_boms(text);
    sorted
        .iter()
        .map(|&o| {
            let o = crate::source::document::floor_char_boundary(text, o.min(text.len()));
            let passed = &bytes[pos..o];
            let newlines = crate::source::document::count_newlines(passed);
            if newlines > 0 {
                line += newlines;
                let line_start = pos + memchr::memrchr(b'\n', passed).expect("counted") + 1;
                col = counted(&text[line_start..o]);
                lead = leading_boms(&text[line_start..]);
            } else {
                col += counted(&text[pos..o]);
            }
            pos = o;
            (line, col - col.min(lead) + 1)
        })
        .collect()
}

/// Characters in `s`, each byte looked at once (the work [`line_cols`] does, counted in tests).
fn counted(s: &str) -> usize {
    #[cfg(test)]
    COLUMN_BYTES.with(|c| c.set(c.get() + s.len()));
    s.chars().count()
}

/// How many U+FEFF open a line (a BOM is not a column).
fn leading_boms(line: &str) -> usize {
    line.chars().take_while(|c| *c == '\u{feff}').count()
}

#[cfg(test)]
thread_local! {
    /// Bytes [`line_cols`] counted characters in, on this thread.
    pub(crate) static COLUMN_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Apply non-overlapping edits to `src`. Edits are sorted by start; an edit that overlaps an earlier one is
/// skipped and returned, so that the caller can try it again on the new text.
pub fn apply_edits(src: &str, edits: &[&Edit]) -> (String, usize) {
    let placed = place_edits(src.len(), edits);
    let mut out = String::with_capacity(src.len() + 256);
    let mut at = 0;
    for p in &placed {
        out.push_str(&src[at..p.edit.range.start]);
        out.push_str(&p.edit.text);
        at = p.edit.range.end;
    }
    out.push_str(&src[at..]);
    (out, placed.len())
}

/// An edit [`apply_edits`] applies, and where its text lands in the result.
struct Placed<'a> {
    edit: &'a Edit,
    new: Range<usize>,
}

/// The edits [`apply_edits`] applies, in order: sorted by position, an edit that overlaps one before it
/// or reaches past the text left out.
fn place_edits<'a>(len: usize, edits: &[&'a Edit]) -> Vec<Placed<'a>> {
    let mut sorted: Vec<&Edit> = edits.to_vec();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let (mut at, mut shift) = (0usize, 0isize);
    let mut out = Vec::with_capacity(sorted.len());
    for e in sorted {
        if e.range.start < at || e.range.end > len {
            continue;
        }
        let start = (e.range.start as isize + shift) as usize;
        out.push(Placed {
            edit: e,
            new: start..start + e.text.len(),
        });
        shift += e.text.len() as isize - e.range.len() as isize;
        at = e.range.end;
    }
    out
}

/// The bytes of the text [`apply_edits`] makes that the edits wrote, together with `marked` (ranges of
/// `src` written by earlier edits) carried into the result: a marked range moves with the text around
/// it and grows to cover an edit inside it. Sorted and merged, for [`inside`].
pub fn written_ranges(src: &str, edits: &[&Edit], marked: &[Range<usize>]) -> Vec<Range<usize>> {
    let placed = place_edits(src.len(), edits);
    // shifts[i]: how far the edits before the i-th move the text after them
    let mut shifts = Vec::with_capacity(placed.len() + 1);
    shifts.push(0isize);
    for x in &placed {
        let last = *shifts.last().expect("one pushed");
        shifts.push(last + x.edit.text.len() as isize - x.edit.range.len() as isize);
    }
    // a position of `src` in the result; strictly inside an edit, the start (or end) of its new text
    let map = |p: usize, end: bool| -> usize {
        let i = placed.partition_point(|x| x.edit.range.end <= p);
        match placed.get(i) {
            Some(x) if x.edit.range.start < p => {
                if end {
                    x.new.end
                } else {
                    x.new.start
                }
            }
            _ => (p as isize + shifts[i]) as usize,
        }
    };
    let mut out: Vec<Range<usize>> = placed.iter().map(|x| x.new.clone()).collect();
    out.extend(marked.iter().map(|r| map(r.start, false)..map(r.end, true)));
    out.sort_by_key(|r| (r.start, r.end));
    // merged where they overlap or touch, so that [`inside`] is one binary search
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(out.len());
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Does `span` lie within one of `ranges` (sorted and disjoint, as [`written_ranges`] returns them)?
pub fn inside(ranges: &[Range<usize>], span: &Range<usize>) -> bool {
    let i = ranges.partition_point(|r| r.start <= span.start);
    i > 0 && span.end <= ranges[i - 1].end
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the edits wrote, and earlier written ranges carried through them: moved by the edits before
    /// them, grown over an edit inside them, merged where they touch.
    #[test]
    fn written_ranges_follow_the_text() {
        let src = "0123456789abcdef";
        let a = Edit::replace(2..4, "XYZ"); // "01XYZ456789abcdef": +1
        let b = Edit::replace(8..8, "++"); // insertion: +2
        let (text, _) = apply_edits(src, &[&a, &b]);
        assert_eq!(text, "01XYZ4567++89abcdef");
        let w = written_ranges(src, &[&b, &a], &[]);
        assert_eq!(w, vec![2..5, 9..11]);
        assert_eq!(&text[2..5], "XYZ");
        assert_eq!(&text[9..11], "++");
        // a marked range after both moves by three; one around `a` grows over its new text
        let w = written_ranges(src, &[&a, &b], &[12..14, 1..5]);
        assert_eq!(w, vec![1..6, 9..11, 15..17]);
        assert_eq!(&text[15..17], &src[12..14]);
        assert_eq!(&text[1..6], "1XYZ4");
        // touching ranges merge; `inside` needs the whole span within one
        let w = written_ranges(src, &[&a], std::slice::from_ref(&(4..6)));
        assert_eq!(w, vec![2..7]);
        assert!(inside(&w, &(3..7)));
        assert!(!inside(&w, &(1..3)));
        assert!(!inside(&w, &(6..8)));
        assert!(!inside(&[], &(0..0)));
        // an edit left out by apply_edits (overlapping one before it) writes nothing
        let c = Edit::replace(3..5, "?");
        assert_eq!(written_ranges(src, &[&a, &c], &[]), vec![2..5]);
    }

    /// Issue 29: locating findings is linear in the text, however many share one line: at N and at 4N
    /// findings on a one-line file, each byte is counted once at most (before, the column of each was
    /// counted from the line's start: N² bytes), and every place is what `LineIndex` says.
    #[test]
    fn locating_many_findings_on_one_line_looks_at_each_byte_once() {
        for n in [2_000, 8_000] {
            let text = format!(
                "\u{feff}{{{}}}",
                (0..n)
                    .map(|i| format!("\"k\u{e9}{i}\": 1, "))
                    .collect::<String>()
            );
            let offsets: Vec<usize> = text.match_indices("\"k").map(|(i, _)| i).collect();
            assert_eq!(offsets.len(), n);
            COLUMN_BYTES.with(|c| c.set(0));
            let places = line_cols(&text, &offsets);
            let work = COLUMN_BYTES.with(|c| c.get());
            assert!(
                work <= text.len(),
                "{n} findings: {work} bytes counted for a text of {}",
                text.len()
            );
            let index = LineIndex::new(&text);
            for (o, p) in offsets.iter().zip(&places) {
                assert_eq!(*p, index.line_col(*o), "offset {o}");
            }
        }
        // and across lines, with a BOM and characters of several bytes
        let text = "\u{feff}ab\n\u{e9}\u{e9}x\ny";
        let offsets = [0, 3, 4, 6, 8, 10, 12, 13];
        let index = LineIndex::new(text);
        let places = line_cols(text, &offsets);
        for (o, p) in offsets.iter().zip(&places) {
            assert_eq!(*p, index.line_col(*o), "offset {o}");
        }
    }

    #[test]
    fn a_moved_finding_moves_its_span_related_spans_and_edits() {
        let f = Finding {
            code: "ADFPG040".into(),
            severity: Severity::Info,
            message: String::new(),
            help: String::new(),
            span: 10..20,
            label: String::new(),
            related: vec![(30..31, "there".into())],
            fix: Some(Fix {
                safety: Safety::Safe,
                title: String::new(),
                edits: vec![Edit::replace(12..15, "x"), Edit::replace(40..40, "y")],
                requires: Vec::new(),
            }),
            resource: None,
            pointer: "/a".into(),
            start: (1, 11),
            end: (1, 21),
        };
        let ranges = |f: &Finding| {
            let edits = f
                .fix
                .iter()
                .flat_map(|x| x.edits.iter().map(|e| e.range.clone()));
            [f.span.clone(), f.related[0].0.clone()]
                .into_iter()
                .chain(edits)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ranges(&f.clone().moved(3)),
            vec![13..23, 33..34, 15..18, 43..43]
        );
        assert_eq!(
            ranges(&f.clone().moved(-10)),
            vec![0..10, 20..21, 2..5, 30..30]
        );
        assert_eq!(f.clone().moved(0), f);
    }

    #[test]
    fn edits_splice_and_skip_overlaps() {
        let a = Edit::replace(1..2, "XY");
        let b = Edit::replace(1..3, "Z");
        let c = Edit::replace(4..4, "!");
        let (out, n) = apply_edits("abcde", &[&c, &a, &b]);
        assert_eq!(out, "aXYcd!e");
        assert_eq!(n, 2);
    }

    #[test]
    fn masks_secret_parts() {
        let e = Edit {
            start: (0, 0),
            end: (0, 0),
            range: 0..0,
            text: "\"value\": \"hunter2\"".into(),
            secrets: std::iter::once(10..17).collect(),
        };
        assert_eq!(e.masked_text(), "\"value\": \"*******\"");
    }
}
