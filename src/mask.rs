//! Secrets never reach output: every text we show (source snippets, diffs) goes through `mask` first.
//! Secret bytes become `*` of the same length, so spans and line/column numbers stay valid.

use crate::connstr::{self, Key};
use crate::json::{Kind, Node, string_offsets};
use crate::rules::is_literal_secret;
use std::ops::Range;
use std::sync::OnceLock;

/// Member names whose values are secrets, wherever they appear (compared case-insensitively).
const SECRET_KEYS: &[&str] = &[
    "password",
    "pwd",
    "servicePrincipalKey",
    "servicePrincipalEmbeddedCert",
    "servicePrincipalEmbeddedCertPassword",
    "encryptedCredential",
    "accountKey",
    "sasToken",
    "clientSecret",
    "secret",
    "accessToken",
];

fn is_secret_key(k: &str) -> bool {
    SECRET_KEYS.iter().any(|s| s.eq_ignore_ascii_case(k))
}

/// The spans of secret values in a parsed document (string contents, quotes excluded).
pub fn secret_spans(text: &str, root: &Node) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    walk(text, root, &mut out);
    out
}

fn inner(n: &Node) -> Range<usize> {
    n.span.start + 1..n.span.end - 1
}

fn walk(text: &str, n: &Node, out: &mut Vec<Range<usize>>) {
    match &n.kind {
        Kind::Array(items) => items.iter().for_each(|i| walk(text, i, out)),
        Kind::Object(members) => {
            let secure = n.str_at("type") == Some("SecureString");
            for m in members {
                let Kind::String { value, .. } = &m.value.kind else {
                    walk(text, &m.value, out);
                    continue;
                };
                if is_secret_key(&m.key) && is_literal_secret(value) {
                    out.push(inner(&m.value));
                } else if looks_like_connection_string(value) {
                    // mask the secret pairs only, so host and database stay readable
                    let cs = connstr::parse(value);
                    let offsets = string_offsets(&text[m.value.span.clone()]);
                    for p in cs.pairs.iter().filter(|p| secret_pair(p)) {
                        out.push(
                            m.value.span.start + offsets[p.value_span.start]
                                ..m.value.span.start + offsets[p.value_span.end],
                        );
                    }
                    // a password inside a URL-form host (`postgresql://user:pw@host`)
                    for r in cs.pairs.iter().filter_map(crate::rules::url_password) {
                        out.push(
                            m.value.span.start + offsets[r.start]
                                ..m.value.span.start + offsets[r.end],
                        );
                    }
                } else if secure && m.key == "value" && is_literal_secret(value) {
                    out.push(inner(&m.value));
                }
            }
        }
        _ => {}
    }
}

/// A string with `key=value` pairs of which at least one is a connection-string key we know.
fn looks_like_connection_string(value: &str) -> bool {
    value.contains('=')
        && connstr::parse(value)
            .pairs
            .iter()
            .any(|p| p.canon != Key::Other)
}

fn secret_pair(p: &connstr::Pair) -> bool {
    if !is_literal_secret(&p.value) {
        return false;
    }
    p.canon == Key::Password || {
        let k: String = p
            .key
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        matches!(
            k.as_str(),
            "accountkey" | "sharedaccesskey" | "clientsecret" | "sig"
        )
    }
}

/// A value from the file (a name, a path, a port …) made safe to print inside a one-line message: control
/// characters (ESC, BEL, CR, LF, the C1 range …) and bidirectional overrides become `\u{..}` escapes, so a
/// hostile file cannot move the cursor, recolour or retitle the user's terminal, or forge output lines.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Control characters in a text shown as a source snippet (invalid JSON may hold raw ESC bytes) become `?`,
/// one per byte, so that every span and line number stays valid. Tab, LF and CR are kept.
fn neutralise_controls(text: String) -> String {
    let bad = |c: char| c.is_control() && !matches!(c, '\t' | '\n' | '\r');
    if !text.chars().any(bad) {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if bad(c) {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    out
}

/// Replace the given spans with `*` (one per character, so byte offsets after them move only by the
/// difference between a multi-byte character and `*`, and never for ASCII secrets).
pub fn apply(text: &str, spans: &[Range<usize>]) -> String {
    let mut spans: Vec<_> = spans
        .iter()
        .filter(|r| r.start < r.end && r.end <= text.len())
        .cloned()
        .collect();
    spans.sort_by_key(|r| r.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in spans {
        if r.start < at || !text.is_char_boundary(r.start) || !text.is_char_boundary(r.end) {
            continue;
        }
        out.push_str(&text[at..r.start]);
        // same byte length keeps every later span valid
        out.push_str(&"*".repeat(r.end - r.start));
        at = r.end;
    }
    out.push_str(&text[at..]);
    neutralise_controls(out)
}

/// [`mask`] for a text already parsed: `root`'s spans are offsets into `text` (BOM included), as
/// `Document::parse` gives them.
pub fn mask_parsed(text: &str, root: &Node) -> String {
    apply(text, &secret_spans(text, root))
}

/// Mask a whole file's text: precisely when it parses, by pattern when it does not.
pub fn mask(text: &str) -> String {
    let body = if text.starts_with('\u{feff}') { 3 } else { 0 };
    match crate::json::parse(&text[body..]) {
        Ok(root) => {
            let spans: Vec<_> = secret_spans(&text[body..], &root)
                .into_iter()
                .map(|r| r.start + body..r.end + body)
                .collect();
            apply(text, &spans)
        }
        Err(_) => mask_by_pattern(text),
    }
}

/// For text that is not valid JSON: secret-looking members and `password=` pairs.
pub fn mask_by_pattern(text: &str) -> String {
    static RE: OnceLock<[regex::Regex; 3]> = OnceLock::new();
    let res = RE.get_or_init(|| {
        [
            regex::Regex::new(r#"(?i)"(?:password|pwd|servicePrincipalKey|servicePrincipalEmbeddedCert|servicePrincipalEmbeddedCertPassword|encryptedCredential|accountKey|sasToken|clientSecret|secret|value)"\s*:\s*"((?:[^"\\]|\\.)*)""#).unwrap(),
            regex::Regex::new(r#"(?i)(?:password|pwd|accountkey|sharedaccesskey)\s*=\s*([^;"]*)"#).unwrap(),
            // a password inside a URL: scheme://user:PASSWORD@host
            regex::Regex::new(r#"://[^:/@\s;"]*:([^@/\s;"]*)@"#).unwrap(),
        ]
    });
    let mut spans = Vec::new();
    for re in res {
        for c in re.captures_iter(text) {
            if let Some(m) = c.get(1) {
                spans.push(m.range());
            }
        }
    }
    apply(text, &spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_secret_place() {
        let t = r#"{"properties":{"typeProperties":{
            "connectionString":"host=h;Password='s1;x';uid=u",
            "password":{"type":"SecureString","value":"s2"},
            "servicePrincipalKey":"s3",
            "encryptedCredential":"s4",
            "other":{"type":"SecureString","value":"s5"},
            "kv":{"type":"AzureKeyVaultSecret","secretName":"visible"},
            "expr":{"type":"SecureString","value":"[parameters('x')]"}}}}"#;
        let m = mask(t);
        for s in ["s1;x", "s2", "s3", "s4", "s5"] {
            assert!(
                !m.contains(&format!("{s}\"")) && !m.contains(&format!("'{s}'")),
                "{s} leaked: {m}"
            );
        }
        assert!(m.contains("visible") && m.contains("[parameters('x')]") && m.contains("uid=u"));
        assert_eq!(m.len(), t.len());
    }

    #[test]
    fn shown_text_has_no_terminal_controls() {
        assert_eq!(
            printable("a\u{1b}[2Jb\n\u{202e}"),
            "a\\u{1b}[2Jb\\u{a}\\u{202e}"
        );
        assert_eq!(printable("plain é"), "plain é");
        let t = "{\"a\": \"x\u{1b}]0;t\u{7}\u{9b}y\"}\r\n";
        let m = mask(t);
        assert_eq!(m, "{\"a\": \"x?]0;t???y\"}\r\n");
        assert_eq!(m.len(), t.len());
    }

    #[test]
    fn masks_invalid_json_by_pattern() {
        let m = mask(r#"{"connectionString": "host=h;password=hunter2;", "password": "p2" "#);
        assert!(!m.contains("hunter2") && !m.contains("p2"), "{m}");
    }
}
