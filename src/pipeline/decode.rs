//! Bytes to a located tree: decode the text (UTF-8, BOM, line endings), then parse it. Either step may
//! end the file's story with a finding (ADFPG102 unsupported encoding, ADFPG100 invalid JSON).

use super::{FileCx, FileOutcome, push_pipeline};
use crate::source::document::{DecodeError, Document, line_col_bytes};
use crate::source::json::Node;
use crate::source::read::Links;

/// The file's text, or None after an unsupported-encoding finding (located in the valid prefix).
pub(super) fn decode(out: &mut FileOutcome, cx: &FileCx, bytes: Vec<u8>) -> Option<Document> {
    let settings = cx.s;
    let e = match Document::decode(bytes) {
        Ok(d) => return Some(d),
        Err(e) => e,
    };
    let (span, source) = match &e {
        DecodeError::InvalidUtf8 { offset } => {
            // the valid prefix is exact text for the offsets up to the bad byte
            let mut bytes = Vec::new();
            let _ = crate::source::read::read_into(
                &out.path,
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
    push_pipeline(&mut out.findings, cx, "unsupported-encoding", span, msg, "");
    if let Some((prefix, _, _)) = &source {
        crate::finding::locate(&mut out.findings, prefix);
    }
    out.source = source
        .filter(|_| settings.keep_source)
        .map(|(p, _, _)| crate::mask::mask_by_pattern(&p));
    None
}

/// The located tree, or None after an invalid-JSON finding.
pub(super) fn parse(out: &mut FileOutcome, cx: &FileCx, doc: &Document) -> Option<Node> {
    let e = match doc.parse() {
        Ok(r) => return Some(r),
        Err(e) => e,
    };
    let end = (e.offset + 1..=e.offset + 4)
        .find(|i| doc.text.is_char_boundary(*i))
        .unwrap_or(e.offset)
        .min(doc.text.len());
    push_pipeline(
        &mut out.findings,
        cx,
        "invalid-json",
        e.offset..end,
        e.message.clone(),
        &e.message,
    );
    crate::finding::locate(&mut out.findings, &doc.text);
    if cx.s.keep_source {
        out.source = Some(crate::mask::mask(&doc.text));
    }
    None
}
