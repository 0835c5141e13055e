//! A file as text: encoding checks, layout facts (BOM, EOL, indent, final newline) and line/column lookup.
//! Offsets everywhere in the tool are byte offsets into the *file* (BOM included), so that edits splice
//! straight into the original bytes.

use crate::source::json::{self, Node, ParseError};

pub const UTF8_BOM: &str = "\u{feff}";

#[derive(Debug)]
pub struct Document {
    /// The whole file as text, BOM included.
    pub text: String,
    /// 3 when the file starts with a UTF-8 BOM, else 0: JSON starts at this offset.
    pub body_start: usize,
}

/// Why the bytes cannot be read as a JSON text.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodeError {
    Utf16,
    Utf32,
    InvalidUtf8 { offset: usize },
}

impl DecodeError {
    pub fn message(&self) -> String {
        match self {
            DecodeError::Utf16 => {
                "file is UTF-16 encoded; ADF writes UTF-8: re-save it as UTF-8".into()
            }
            DecodeError::Utf32 => {
                "file is UTF-32 encoded; ADF writes UTF-8: re-save it as UTF-8".into()
            }
            DecodeError::InvalidUtf8 { .. } => "file is not valid UTF-8".into(),
        }
    }
}

/// Layout facts a fix must imitate.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub eol: &'static str,
    /// One level of indentation: a tab or N spaces.
    pub indent: String,
}

impl Document {
    pub fn decode(bytes: Vec<u8>) -> Result<Document, DecodeError> {
        check_not_utf16_or_32(&bytes)?;
        let text = String::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
            offset: e.utf8_error().valid_up_to(),
        })?;
        let body_start = body_start(&text);
        Ok(Document { text, body_start })
    }

    /// The checks of [`Document::decode`] on borrowed bytes, without copying them: the text and the
    /// offset its JSON body starts at (after a BOM).
    pub fn decode_borrowed(bytes: &[u8]) -> Result<(&str, usize), DecodeError> {
        check_not_utf16_or_32(bytes)?;
        let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
            offset: e.valid_up_to(),
        })?;
        Ok((text, body_start(text)))
    }

    /// Parse the JSON body; spans in the tree are file offsets.
    pub fn parse(&self) -> Result<Node, ParseError> {
        let mut node = json::parse(&self.text[self.body_start..]).map_err(|mut e| {
            e.offset += self.body_start;
            e
        })?;
        if self.body_start > 0 {
            shift(&mut node, self.body_start);
        }
        Ok(node)
    }

    pub fn layout(&self) -> Layout {
        layout_of(&self.text)
    }
}

/// The layout facts of a text.
pub fn layout_of(text: &str) -> Layout {
    let eol = match text.find('\n') {
        Some(i) if i > 0 && text.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    };
    Layout {
        eol,
        indent: detect_indent(text),
    }
}

/// Move every span of a tree by `by` bytes (a fragment parsed on its own, or a body after a BOM).
pub fn shift_spans(node: &mut Node, by: usize) {
    shift(node, by)
}

fn check_not_utf16_or_32(bytes: &[u8]) -> Result<(), DecodeError> {
    if bytes.starts_with(&[0, 0, 0xFE, 0xFF]) || bytes.starts_with(&[0xFF, 0xFE, 0, 0]) {
        return Err(DecodeError::Utf32);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(DecodeError::Utf16);
    }
    // UTF-16 without a BOM: ASCII JSON then has a NUL in every other byte
    if bytes.len() >= 2 && (bytes[0] == 0 || bytes[1] == 0) {
        return Err(DecodeError::Utf16);
    }
    Ok(())
}

/// Where the JSON body of a decoded text starts: after a UTF-8 BOM, if any.
pub fn body_start(text: &str) -> usize {
    if text.starts_with(UTF8_BOM) { 3 } else { 0 }
}

fn shift(node: &mut Node, by: usize) {
    node.span = node.span.start + by..node.span.end + by;
    match &mut node.kind {
        json::Kind::Array(items) => items.iter_mut().for_each(|n| shift(n, by)),
        json::Kind::Object(members) => {
            for m in members {
                m.key_span = m.key_span.start + by..m.key_span.end + by;
                shift(&mut m.value, by);
            }
        }
        _ => {}
    }
}

/// The indentation unit: a tab if the first indented line uses tabs, else the smallest space indent.
fn detect_indent(text: &str) -> String {
    let mut smallest = usize::MAX;
    for line in text.lines().take(200) {
        if line.starts_with('\t') {
            if smallest == usize::MAX {
                return "\t".into();
            }
            continue;
        }
        let n = line.len() - line.trim_start_matches(' ').len();
        if n > 0 && n < line.len() {
            smallest = smallest.min(n);
        }
    }
    if smallest == usize::MAX {
        "    ".into()
    } else {
        " ".repeat(smallest)
    }
}

/// 1-based line and column (in characters) of a byte offset; the BOM does not count as a column.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = count_newlines(before.as_bytes()) + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = before[line_start..]
        .trim_start_matches('\u{feff}')
        .chars()
        .count()
        + 1;
    (line, col)
}

/// How many line feeds `bytes` holds (memchr's vectorised count: several times the plain filter-count).
pub fn count_newlines(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// 1-based line/column for a byte offset in bytes that may not be valid UTF-8.
pub fn line_col_bytes(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = count_newlines(before) + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (
        line,
        String::from_utf8_lossy(&before[line_start..])
            .chars()
            .count()
            + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_offsets_are_file_offsets() {
        let text = "\u{feff}{\r\n\t\"a\": 1\r\n}";
        let doc = Document::decode(text.as_bytes().to_vec()).unwrap();
        let n = doc.parse().unwrap();
        let m = &n.members().unwrap()[0];
        assert_eq!(&doc.text[m.key_span.clone()], "\"a\"");
        assert_eq!(
            doc.layout(),
            Layout {
                eol: "\r\n",
                indent: "\t".into()
            }
        );
        assert_eq!(line_col(&doc.text, m.key_span.start), (2, 2));
        assert_eq!(line_col(&doc.text, 3), (1, 1));
    }

    #[test]
    fn detects_encodings() {
        assert_eq!(
            Document::decode(vec![0xFF, 0xFE, b'{', 0]).unwrap_err(),
            DecodeError::Utf16
        );
        assert_eq!(
            Document::decode(b"{\"a\": \"\xff\"}".to_vec()).unwrap_err(),
            DecodeError::InvalidUtf8 { offset: 7 }
        );
        assert_eq!(detect_indent("{\n  \"a\": {\n    \"b\": 1\n  }\n}"), "  ");
    }
}
