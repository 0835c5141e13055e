//! Strict JSON (RFC 8259) parsed into a *located* tree: every key and value knows its byte span.
//!
//! Why our own parser: we need byte spans on every key and value, every duplicate key kept (ADF keeps one
//! of them, which one is undocumented, so we report them), a hard nesting limit instead of a stack overflow,
//! and an owned tree that outlives the text borrow. The grammar is small; this file is the whole of it.

use crate::source::scan;
use std::ops::Range;

/// Nesting deeper than this is an error, not a stack overflow.
pub const MAX_DEPTH: usize = 256;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Range<usize>,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    /// The number exactly as written.
    Number(String),
    /// The decoded string; `escaped` tells whether the raw literal differs from it.
    String {
        value: String,
        escaped: bool,
    },
    Array(Vec<Node>),
    Object(Vec<Member>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub key: String,
    /// Span of the key literal, quotes included.
    pub key_span: Range<usize>,
    pub value: Node,
}

impl Member {
    /// From the key's opening quote to the end of the value.
    pub fn span(&self) -> Range<usize> {
        self.key_span.start..self.value.span.end
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub offset: usize,
    pub message: String,
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::String { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn members(&self) -> Option<&[Member]> {
        match &self.kind {
            Kind::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn elements(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Array(e) => Some(e),
            _ => None,
        }
    }

    /// The member named `key`; with duplicates, the last one (what serde_json and most readers keep).
    pub fn member(&self, key: &str) -> Option<&Member> {
        self.members()?.iter().rev().find(|m| m.key == key)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.member(key).map(|m| &m.value)
    }

    /// Case-insensitive lookup, for keys a user may have mis-cased.
    pub fn member_ci(&self, key: &str) -> Option<&Member> {
        self.members()?
            .iter()
            .rev()
            .find(|m| m.key.eq_ignore_ascii_case(key))
    }

    pub fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "boolean",
            Kind::Number(_) => "number",
            Kind::String { .. } => "string",
            Kind::Array(_) => "array",
            Kind::Object(_) => "object",
        }
    }

    /// Plain serde_json value (last duplicate wins), for JSONPath evaluation.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Number(n) => serde_json::from_str(n).unwrap_or(Value::Null),
            Kind::String { value, .. } => Value::String(value.clone()),
            Kind::Array(e) => Value::Array(e.iter().map(Node::to_value).collect()),
            Kind::Object(m) => {
                let mut map = serde_json::Map::new();
                for mem in m {
                    map.insert(mem.key.clone(), mem.value.to_value());
                }
                Value::Object(map)
            }
        }
    }

    /// Follow a path of object keys / array indices; keys resolve to the last duplicate.
    pub fn at_path(&self, path: &[PathStep]) -> Option<(Option<&Member>, &Node)> {
        let mut cur = self;
        let mut last = None;
        for step in path {
            match step {
                PathStep::Key(k) => {
                    let m = cur.member(k)?;
                    last = Some(m);
                    cur = &m.value;
                }
                PathStep::Index(i) => {
                    cur = cur.elements()?.get(*i)?;
                    last = None;
                }
            }
        }
        Some((last, cur))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// Render a path as an RFC 6901 JSON pointer.
pub fn pointer(path: &[PathStep]) -> String {
    let mut s = String::new();
    for step in path {
        s.push('/');
        match step {
            PathStep::Key(k) => s.push_str(&k.replace('~', "~0").replace('/', "~1")),
            PathStep::Index(i) => s.push_str(&i.to_string()),
        }
    }
    s
}

/// Map each byte offset of a decoded string to the byte offset in the raw literal (quotes included),
/// so that a span found inside a string value (a connection-string key, say) points at the file bytes.
/// The returned vector has one entry per decoded byte, plus one for the end.
pub fn string_offsets(raw_literal: &str) -> Vec<usize> {
    #[cfg(test)]
    OFFSET_BYTES.with(|c| c.set(c.get() + raw_literal.len()));
    let bytes = raw_literal.as_bytes();
    let end = bytes.len().saturating_sub(1); // the closing quote
    let mut map = Vec::with_capacity(bytes.len());
    let mut i = 1; // after the opening quote
    while i < end {
        let (raw_len, decoded_len) = match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'u')) => {
                let code = raw_literal
                    .get(i + 2..i + 6)
                    .and_then(|h| u32::from_str_radix(h, 16).ok());
                match code {
                    Some(hi)
                        if (0xD800..0xDC00).contains(&hi)
                            && raw_literal[i + 6..].starts_with("\\u") =>
                    {
                        (12, 4)
                    }
                    Some(c) => (6, char::from_u32(c).map_or(3, char::len_utf8)),
                    None => (6, 3),
                }
            }
            (b'\\', _) => (2, 1),
            _ => (1, 1),
        };
        map.extend(std::iter::repeat_n(i, decoded_len));
        i += raw_len;
    }
    map.push(i.min(end));
    map
}

#[cfg(test)]
thread_local! {
    /// Bytes of string literals [`string_offsets`] mapped on this thread (work counted in tests).
    pub static OFFSET_BYTES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

pub fn parse(text: &str) -> Result<Node, ParseError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 0,
    };
    p.skip_ws();
    if p.pos == p.src.len() {
        return Err(p.err(if text.is_empty() {
            "the file is empty"
        } else {
            "the file holds only whitespace"
        }));
    }
    let v = p.value()?;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.err("unexpected content after the end of the JSON value"));
    }
    Ok(v)
}

/// An object with only the members named in `keep`, the values of the others passed over unbuilt
/// (spans as [`parse`] gives them). For text already found strictly valid with no duplicate key (a
/// copy object the skim cleared): what it passes over is skipped, not checked. The copy-object checks
/// read a handful of members, and building the rest (queries, scripts, mappings) cost more than the
/// checks themselves.
pub fn parse_members(text: &str, keep: &[&str]) -> Result<Node, ParseError> {
    let mut p = Parser {
        src: text.as_bytes(),
        text,
        pos: 0,
        depth: 1,
    };
    p.skip_ws();
    let start = p.pos;
    if p.src.get(p.pos) != Some(&b'{') {
        return Err(p.err("expected an object"));
    }
    p.pos += 1;
    let mut members = Vec::new();
    loop {
        p.skip_ws();
        match p.src.get(p.pos) {
            Some(b'}') => {
                p.pos += 1;
                break;
            }
            Some(b',') => {
                p.pos += 1;
                continue;
            }
            Some(b'"') => {}
            _ => return Err(p.err("expected a key")),
        }
        let ks = p.pos;
        p.skip_string()?;
        let key_span = ks..p.pos;
        let raw = &text[ks + 1..p.pos - 1];
        // the skim leaves keys with escapes to the full parser; here they would need decoding
        if raw.contains('\\') {
            return Err(p.err("a key with escapes"));
        }
        p.skip_ws();
        if p.src.get(p.pos) != Some(&b':') {
            return Err(p.err("expected `:` after the key"));
        }
        p.pos += 1;
        p.skip_ws();
        if keep.contains(&raw) {
            let value = p.value()?;
            members.push(Member {
                key: raw.to_string(),
                key_span,
                value,
            });
        } else {
            p.skip_value()?;
        }
    }
    let span = start..p.pos;
    p.skip_ws();
    if p.pos < p.src.len() {
        return Err(p.err("unexpected content after the end of the JSON value"));
    }
    Ok(Node {
        span,
        kind: Kind::Object(members),
    })
}

struct Parser<'a> {
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError {
            offset: self.pos.min(self.src.len()),
            message: message.into(),
        }
    }

    fn skip_ws(&mut self) {
        self.pos = scan::skip_ws(self.src, self.pos);
    }

    fn value(&mut self) -> Result<Node, ParseError> {
        let start = self.pos;
        let kind = match self.src.get(self.pos) {
            None => return Err(self.err("unexpected end of file: expected a value")),
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => {
                let (value, escaped) = self.string()?;
                Kind::String { value, escaped }
            }
            Some(b't') => self.word("true", Kind::Bool(true))?,
            Some(b'f') => self.word("false", Kind::Bool(false))?,
            Some(b'n') => self.word("null", Kind::Null)?,
            Some(b'-' | b'0'..=b'9') => Kind::Number(self.number()?),
            Some(b'/') => return Err(self.err("comments are not allowed in JSON")),
            Some(b'\'') => return Err(self.err("strings must use double quotes")),
            Some(_) => return Err(self.err(format!("unexpected character {}", self.describe()))),
        };
        Ok(Node {
            span: start..self.pos,
            kind,
        })
    }

    fn describe(&self) -> String {
        match self.text.get(self.pos..).and_then(|s| s.chars().next()) {
            Some(c) if c.is_control() => format!("U+{:04X}", c as u32),
            Some(c) => format!("`{c}`"),
            None => "at end of file".into(),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> Result<Kind, ParseError>) -> Result<Kind, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn word(&mut self, w: &str, kind: Kind) -> Result<Kind, ParseError> {
        if self.src[self.pos..].starts_with(w.as_bytes()) {
            self.pos += w.len();
            Ok(kind)
        } else {
            Err(self.err(format!("unexpected character {}", self.describe())))
        }
    }

    fn number(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let s = p.pos;
            while let Some(b'0'..=b'9') = p.src.get(p.pos) {
                p.pos += 1;
            }
            p.pos > s
        };
        if self.src[self.pos] == b'-' {
            self.pos += 1;
        }
        if self.src.get(self.pos) == Some(&b'0') {
            self.pos += 1;
            if let Some(b'0'..=b'9') = self.src.get(self.pos) {
                return Err(self.err("numbers must not have leading zeros"));
            }
        } else if !digits(self) {
            return Err(self.err("invalid number"));
        }
        if self.src.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(self.err("invalid number: expected digits after `.`"));
            }
        }
        if let Some(b'e' | b'E') = self.src.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.src.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(self.err("invalid number: expected digits in the exponent"));
            }
        }
        Ok(self.text[start..self.pos].to_string())
    }

    /// Past a string literal, decoding nothing (see [`parse_members`]).
    fn skip_string(&mut self) -> Result<(), ParseError> {
        self.pos += 1;
        loop {
            self.pos = scan::next_special(self.src, self.pos)
                .ok_or_else(|| self.err("unterminated string"))?;
            match self.src[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => self.pos += 2,
                _ => return Err(self.err("control character inside a string (must be escaped)")),
            }
        }
    }

    /// Past a value, building nothing (see [`parse_members`]): strings and brackets are followed, any
    /// other byte is part of a scalar.
    fn skip_value(&mut self) -> Result<(), ParseError> {
        let mut depth = 0usize;
        loop {
            match self.src.get(self.pos) {
                None => return Err(self.err("unexpected end of file")),
                Some(b'"') => self.skip_string()?,
                Some(b'{' | b'[') => {
                    depth += 1;
                    self.pos += 1;
                }
                Some(b'}' | b']') if depth > 0 => {
                    depth -= 1;
                    self.pos += 1;
                }
                Some(b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') if depth == 0 => {
                    return Ok(());
                }
                Some(_) => self.pos += 1,
            }
            if depth == 0 && matches!(self.src.get(self.pos - 1), Some(b'"' | b'}' | b']')) {
                return Ok(());
            }
        }
    }

    fn string(&mut self) -> Result<(String, bool), ParseError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        let mut escaped = false;
        loop {
            // copy the run of plain bytes in one go
            let run_start = self.pos;
            self.pos = scan::next_special(self.src, self.pos).unwrap_or(self.src.len());
            let run = &self.text[run_start..self.pos];
            match self.src.get(self.pos) {
                None => {
                    return Err(ParseError {
                        offset: open,
                        message: "unterminated string".into(),
                    });
                }
                Some(b'"') => {
                    self.pos += 1;
                    // most strings have no escape: one allocation of the right size, nothing pushed
                    if !escaped {
                        return Ok((run.to_string(), false));
                    }
                    out.push_str(run);
                    return Ok((out, escaped));
                }
                Some(b'\\') => {
                    escaped = true;
                    out.push_str(run);
                    self.escape(&mut out)?;
                }
                Some(_) => {
                    return Err(self.err("control character inside a string (must be escaped)"));
                }
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), ParseError> {
        self.pos += 1;
        let c = match self.src.get(self.pos) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4()?;
                let code =
                    if (0xD800..0xDC00).contains(&hi) && self.src[self.pos..].starts_with(b"\\u") {
                        self.pos += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&lo) {
                            return Err(self.err("invalid surrogate pair in \\u escape"));
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    } else {
                        hi
                    };
                // a lone surrogate cannot be held in a Rust string: keep a replacement character
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                return Ok(());
            }
            _ => return Err(self.err("invalid escape sequence")),
        };
        out.push(c);
        self.pos += 1;
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let hex = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.err("invalid \\u escape: expected 4 hex digits"))?;
        self.pos += 4;
        Ok(u32::from_str_radix(hex, 16).expect("checked hex digits"))
    }

    fn array(&mut self) -> Result<Kind, ParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            return Ok(Kind::Array(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value()?);
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.src.get(self.pos) == Some(&b']') {
                        return Err(self.err("trailing comma before `]`"));
                    }
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Kind::Array(items));
                }
                None => return Err(self.err("unexpected end of file: expected `,` or `]`")),
                _ => {
                    return Err(self.err(format!("expected `,` or `]`, found {}", self.describe())));
                }
            }
        }
    }

    fn object(&mut self) -> Result<Kind, ParseError> {
        self.pos += 1;
        let mut members = Vec::new();
        self.skip_ws();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            return Ok(Kind::Object(members));
        }
        loop {
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b'"') => {}
                None => return Err(self.err("unexpected end of file: expected a key")),
                Some(b'}') => return Err(self.err("trailing comma before `}`")),
                _ => {
                    return Err(self.err(format!(
                        "expected a double-quoted key, found {}",
                        self.describe()
                    )));
                }
            }
            let ks = self.pos;
            let (key, _) = self.string()?;
            let key_span = ks..self.pos;
            self.skip_ws();
            if self.src.get(self.pos) != Some(&b':') {
                return Err(self.err(format!(
                    "expected `:` after the key, found {}",
                    self.describe()
                )));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value()?;
            members.push(Member {
                key,
                key_span,
                value,
            });
            self.skip_ws();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Kind::Object(members));
                }
                None => return Err(self.err("unexpected end of file: expected `,` or `}`")),
                _ => {
                    return Err(
                        self.err(format!("expected `,` or `}}`, found {}", self.describe()))
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_point_at_keys_and_values() {
        let t = "{\n  \"a\": [1, \"x\"],\n  \"a\": null\n}";
        let n = parse(t).unwrap();
        let m = n.members().unwrap();
        assert_eq!(m.len(), 2, "duplicate keys are kept");
        assert_eq!(&t[m[0].key_span.clone()], "\"a\"");
        assert_eq!(&t[m[0].value.span.clone()], "[1, \"x\"]");
        assert_eq!(n.get("a").unwrap().kind, Kind::Null, "last duplicate wins");
    }

    /// The members kept are the ones `parse` builds, spans and all; the others are passed over whatever
    /// they hold (brackets and quotes inside strings, escapes, nesting, every kind of scalar).
    #[test]
    fn parse_members_keeps_the_named_members_as_parse_builds_them() {
        let t = " {\"query\": \"select '}]\\\" from t\", \"type\" : \"AzurePostgreSqlSource\",\n\t\"x\": {\"a\": [1, {\"b\": \"]\"}], \"c\": -1.5e3},\"n\":null,\"t\":true,\"f\":false,\"num\":12,\"partitionSettings\": {\"partitionNames\": [\"p1\"]}, \"e\": [], \"o\": {}} ";
        let full = parse(t).unwrap();
        let shallow = parse_members(t, &["type", "partitionSettings", "missing"]).unwrap();
        assert_eq!(shallow.span, full.span);
        let kept: Vec<&Member> = full
            .members()
            .unwrap()
            .iter()
            .filter(|m| m.key == "type" || m.key == "partitionSettings")
            .collect();
        assert_eq!(shallow.members().unwrap().iter().collect::<Vec<_>>(), kept);
        assert_eq!(
            parse_members("{}", &["type"]).unwrap().members(),
            Some(&[][..])
        );
        // what the skim would have sent to the full parser is refused, never misread
        for bad in [
            "{\"ty\\u0070e\": \"x\"}",
            "{\"type\": \"x\"} x",
            "[1]",
            "{\"a\": [1, 2}",
            "{\"a\": \"open",
        ] {
            assert!(parse_members(bad, &["type"]).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_non_strict_json() {
        for bad in [
            "{\"a\":1,}",
            "[1,]",
            "{'a':1}",
            "// c\n{}",
            "{\"a\":01}",
            "{} x",
            "",
            "{\"a\"",
            "\"\t\"",
            " \r\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn empty_input_says_so() {
        assert_eq!(parse("").unwrap_err().message, "the file is empty");
        assert_eq!(
            parse(" \n").unwrap_err().message,
            "the file holds only whitespace"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let e = parse(&deep).unwrap_err();
        assert!(e.message.contains("nesting"), "{e:?}");
    }

    #[test]
    fn decodes_escapes_and_maps_offsets_back() {
        let raw = r#""a\"b\u00e9c\ud83d\ude00d""#;
        let n = parse(raw).unwrap();
        let s = n.as_str().unwrap();
        assert_eq!(s, "a\"béc\u{1F600}d");
        let map = string_offsets(raw);
        assert_eq!(map.len(), s.len() + 1);
        let d = s.rfind('d').unwrap();
        assert_eq!(&raw[map[d]..map[d] + 1], "d");
        let b = s.find('b').unwrap();
        assert_eq!(&raw[map[b]..map[b] + 1], "b");
    }
}
