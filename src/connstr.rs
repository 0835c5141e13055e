//! Version 1.0 connection strings: `key=value` pairs separated by `;`, keys case-insensitive (with or without
//! spaces, Npgsql style), values optionally quoted with `'` or `"` (the quote doubled inside), and ADF
//! expressions such as `@{linkedService().DbName}` kept whole even when they contain `;` or `=`.

use std::ops::Range;

#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The key as written, trimmed.
    pub key: String,
    pub canon: Key,
    /// The value with quotes removed and doubled quotes undone.
    pub value: String,
    /// Spans in the decoded connection string.
    pub key_span: Range<usize>,
    pub value_span: Range<usize>,
}

impl Pair {
    pub fn is_expression(&self) -> bool {
        is_expression(&self.value)
    }
}

/// The keys that mean something to the migration; every alias maps to one of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Server,
    Port,
    Database,
    Username,
    Password,
    SslMode,
    EncryptionMethod,
    ValidateServerCertificate,
    /// The 1.0 driver checks this name against the server certificate (with validation on).
    HostNameInCertificate,
    TrustServerCertificate,
    Timeout,
    CommandTimeout,
    ReadBufferSize,
    Timezone,
    Encoding,
    SearchPath,
    Pooling,
    /// No 2.0 equivalent: dropped by migration.
    Other,
}

impl Key {
    pub fn from_name(key: &str) -> Key {
        let norm: String = key
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
            .flat_map(char::to_lowercase)
            .collect();
        match norm.as_str() {
            // the 1.0 driver's own names (HostName, PortNumber, LogonID) and their aliases, and Npgsql's
            "host" | "hostname" | "server" => Key::Server,
            "port" | "portnumber" => Key::Port,
            "database" | "db" => Key::Database,
            "uid" | "userid" | "user" | "username" | "logonid" => Key::Username,
            "password" | "pwd" | "psw" => Key::Password,
            "sslmode" => Key::SslMode,
            "encryptionmethod" | "em" => Key::EncryptionMethod,
            "validateservercertificate" | "vsc" => Key::ValidateServerCertificate,
            "hostnameincertificate" => Key::HostNameInCertificate,
            "trustservercertificate" => Key::TrustServerCertificate,
            "timeout" | "connectiontimeout" => Key::Timeout,
            "commandtimeout" => Key::CommandTimeout,
            "readbuffersize" => Key::ReadBufferSize,
            "timezone" => Key::Timezone,
            "encoding" => Key::Encoding,
            "searchpath" => Key::SearchPath,
            "pooling" => Key::Pooling,
            _ => Key::Other,
        }
    }
}

/// A value resolved later: an ADF expression (`@...` as the whole value, or `@{...}` interpolated; `@@`
/// escapes a literal `@`), or an ARM template expression (`[parameters('x')]`) in published templates.
pub fn is_expression(value: &str) -> bool {
    let arm = value.starts_with('[') && value.ends_with(']') && !value.starts_with("[[");
    arm || (value.starts_with('@') && !value.starts_with("@@")) || has_interpolation(value)
}

/// Does `value` hold an `@{…}` interpolation? `@@` is ADF's escape for a literal `@`, so `@@{` is the
/// literal text `@{`, not the start of an expression.
fn has_interpolation(value: &str) -> bool {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'@' {
            match b.get(i + 1) {
                Some(b'@') => i += 2,
                Some(b'{') => return true,
                _ => i += 1,
            }
        } else {
            i += 1;
        }
    }
    false
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConnStr {
    pub pairs: Vec<Pair>,
    /// Text that is not a `key=value` pair (span in the decoded string).
    pub junk: Vec<Range<usize>>,
}

impl ConnStr {
    /// The last pair with this meaning: like Npgsql, a later key overrides an earlier one.
    pub fn get(&self, key: Key) -> Option<&Pair> {
        self.pairs.iter().rev().find(|p| p.canon == key)
    }

    pub fn value(&self, key: Key) -> Option<&str> {
        self.get(key).map(|p| p.value.as_str())
    }
}

pub fn parse(s: &str) -> ConnStr {
    let b = s.as_bytes();
    let mut out = ConnStr::default();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] == b';' || b[i].is_ascii_whitespace()) {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let key_start = i;
        while i < b.len() && b[i] != b'=' && b[i] != b';' {
            i += 1;
        }
        if i >= b.len() || b[i] == b';' {
            out.junk.push(key_start..i);
            continue;
        }
        let key_raw = &s[key_start..i];
        let key = key_raw.trim_end();
        let key_span = key_start..key_start + key.len();
        i += 1; // '='
        while i < b.len() && b[i] != b';' && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value_start = i;
        let value = if i < b.len() && (b[i] == b'\'' || b[i] == b'"') {
            let q = b[i];
            let mut v = String::new();
            i += 1;
            let mut seg = i;
            loop {
                if i >= b.len() {
                    v.push_str(&s[seg..i]);
                    break;
                }
                if b[i] == q {
                    v.push_str(&s[seg..i]);
                    if b.get(i + 1) == Some(&q) {
                        v.push(q as char);
                        i += 2;
                        seg = i;
                        continue;
                    }
                    i += 1;
                    break;
                }
                i += 1;
            }
            // anything between the closing quote and `;` is ignored, as Npgsql does with whitespace
            while i < b.len() && b[i] != b';' {
                i += 1;
            }
            v
        } else {
            i = scan_unquoted(b, i);
            s[value_start..i].trim_end().to_string()
        };
        let value_end = value_start + s[value_start..i].trim_end().len();
        if key.is_empty() {
            out.junk.push(key_start..value_end);
            continue;
        }
        out.pairs.push(Pair {
            key: key.to_string(),
            canon: Key::from_name(key),
            value,
            key_span,
            value_span: value_start..value_end,
        });
    }
    out
}

/// Scan an unquoted value up to `;`, treating `@{ … }` (with nested braces and `'…'` strings) as atomic.
fn scan_unquoted(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b';' {
        // `@@` is an escaped literal `@`: what follows it is text, even `{`
        if b[i] == b'@' && b.get(i + 1) == Some(&b'@') {
            i += 2;
            continue;
        }
        if b[i] == b'@' && b.get(i + 1) == Some(&b'{') {
            let mut depth = 0usize;
            let mut in_str = false;
            while i < b.len() {
                match b[i] {
                    b'\'' => in_str = !in_str,
                    b'{' if !in_str => depth += 1,
                    b'}' if !in_str => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        i += 1;
    }
    i.min(b.len())
}

/// Npgsql `SSL Mode` names to the 2.0 `sslMode` number.
pub fn ssl_mode_number(name: &str) -> Option<u8> {
    let norm: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_' && !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    Some(match norm.as_str() {
        "disable" => 0,
        "allow" => 1,
        "prefer" => 2,
        "require" => 3,
        "verifyca" => 4,
        "verifyfull" => 5,
        _ => return None,
    })
}

pub const SSL_MODE_NAMES: [&str; 6] = [
    "Disable",
    "Allow",
    "Prefer",
    "Require",
    "VerifyCA",
    "VerifyFull",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn studio_string() {
        let c = parse(
            "host=x.postgres.database.azure.com;port=5432;database=postgres;uid=pgadmin;encryptionmethod=0",
        );
        assert_eq!(c.value(Key::Server), Some("x.postgres.database.azure.com"));
        assert_eq!(c.value(Key::Username), Some("pgadmin"));
        assert_eq!(c.value(Key::EncryptionMethod), Some("0"));
        assert!(c.junk.is_empty());
    }

    #[test]
    fn quoting_expressions_and_npgsql_keys() {
        let s = "Server=h;Database=@{linkedService().DbName};User Id='a;b''c';Password=\"p\"\"w\";SSL Mode=Require;x=@{concat('a;b', '}')}";
        let c = parse(s);
        assert_eq!(c.value(Key::Database), Some("@{linkedService().DbName}"));
        assert!(c.get(Key::Database).unwrap().is_expression());
        assert_eq!(c.value(Key::Username), Some("a;b'c"));
        assert_eq!(c.value(Key::Password), Some("p\"w"));
        assert_eq!(c.value(Key::SslMode), Some("Require"));
        let x = c.pairs.last().unwrap();
        assert_eq!(x.value, "@{concat('a;b', '}')}");
        assert_eq!(&s[x.key_span.clone()], "x");
        let pw = c.get(Key::Password).unwrap();
        assert_eq!(&s[pw.value_span.clone()], "\"p\"\"w\"");
    }

    #[test]
    fn junk_and_empty() {
        let c = parse(";;  garbage ; =v; k = v ");
        assert_eq!(c.pairs.len(), 1);
        assert_eq!(c.pairs[0].key, "k");
        assert_eq!(c.pairs[0].value, "v");
        assert_eq!(c.junk.len(), 2);
        assert!(parse("").pairs.is_empty());
    }

    #[test]
    fn driver_key_spellings() {
        let c = parse("HostName=h;PortNumber=6432;DB=d;LogonID=u;PSW=p;HostNameInCertificate=h");
        assert_eq!(c.value(Key::Server), Some("h"));
        assert_eq!(c.value(Key::Port), Some("6432"));
        assert_eq!(c.value(Key::Database), Some("d"));
        assert_eq!(c.value(Key::Username), Some("u"));
        assert_eq!(c.value(Key::Password), Some("p"));
        assert_eq!(c.value(Key::HostNameInCertificate), Some("h"));
    }

    #[test]
    fn escaped_at_is_text_not_an_expression() {
        let c = parse("host=h;password=a@@{b;EncryptionMethod=1;ValidateServerCertificate=1");
        assert_eq!(c.value(Key::Password), Some("a@@{b"));
        assert!(!c.get(Key::Password).unwrap().is_expression());
        assert_eq!(c.value(Key::EncryptionMethod), Some("1"));
        assert_eq!(c.value(Key::ValidateServerCertificate), Some("1"));
        assert!(is_expression("x@{y}"));
        assert!(
            is_expression("@@@{y}"),
            "an escaped @ then an interpolation"
        );
        assert!(!is_expression("@@x"));
    }

    #[test]
    fn ssl_names() {
        assert_eq!(ssl_mode_number("verify-full"), Some(5));
        assert_eq!(ssl_mode_number("VerifyCA"), Some(4));
        assert_eq!(ssl_mode_number("Require"), Some(3));
        assert_eq!(ssl_mode_number("strict"), None);
    }
}
