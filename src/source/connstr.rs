//! Old-generation connection strings (AzurePostgreSql 1.0, the legacy PostgreSql connector): `key=value`
//! pairs separated by `;`, keys case-insensitive (with or without spaces, Npgsql style), values optionally
//! quoted with `'` or `"` (the quote doubled inside) or braced as ODBC does (`{a;b}`, `}}` for a `}`), and
//! ADF expressions such as `@{linkedService().DbName}` kept whole even when they contain `;` or `=`.

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
    /// Npgsql's client-certificate and logging keys.
    SslCertificate,
    SslKey,
    SslPassword,
    LogParameters,
    /// Known to no connector's new generation: dropped by migration.
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
            "sslcertificate" => Key::SslCertificate,
            "sslkey" => Key::SslKey,
            "sslpassword" => Key::SslPassword,
            "logparameters" => Key::LogParameters,
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
    parse_as(s, false)
}

/// Parse as an ODBC driver does when `braced`: a value opening with `{` runs to its matching `}`
/// (Npgsql has no such quoting: there `{` is text).
pub fn parse_as(s: &str, braced_values: bool) -> ConnStr {
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
        let value = if let Some((v, end)) = (braced_values && b.get(i) == Some(&b'{'))
            .then(|| braced(s, i))
            .flatten()
        {
            i = end;
            i = after_closing(s, i, &mut out.junk);
            v
        } else if i < b.len() && (b[i] == b'\'' || b[i] == b'"') {
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
            i = after_closing(s, i, &mut out.junk);
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

/// Past a closing quote or brace, up to the next `;`: whitespace there is nothing (Npgsql skips it), but
/// other text is not part of the value and not a pair either (`Password="a"tail`: the drivers refuse
/// such a string): it is junk, which keeps a migration from treating the value as whole.
fn after_closing(s: &str, mut i: usize, junk: &mut Vec<Range<usize>>) -> usize {
    let b = s.as_bytes();
    let from = i;
    while i < b.len() && b[i] != b';' {
        i += 1;
    }
    let rest = &s[from..i];
    if !rest.trim().is_empty() {
        let lead = rest.len() - rest.trim_start().len();
        junk.push(from + lead..from + rest.trim_end().len());
    }
    i
}

/// An ODBC braced value starting at `s[open]` (`{`): the text up to the matching `}`, with `}}` standing
/// for one `}`, and where the scan stopped. None when no `}` closes it: then the `{` is text.
fn braced(s: &str, open: usize) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut v = String::new();
    let mut i = open + 1;
    let mut seg = i;
    while i < b.len() {
        if b[i] == b'}' {
            v.push_str(&s[seg..i]);
            if b.get(i + 1) == Some(&b'}') {
                v.push('}');
                i += 2;
                seg = i;
                continue;
            }
            return Some((v, i + 1));
        }
        i += 1;
    }
    None
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

/// A host written as a URL (`postgresql://user:pw@host:6432/db`), as libpq accepts it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HostUrl {
    pub host: String,
    pub port: Option<String>,
    pub user: Option<String>,
    pub password: Option<String>,
    pub database: Option<String>,
    /// Where the password sits in the text as written (percent-encoded), for masking.
    pub password_range: Option<Range<usize>>,
}

/// Is this host value written as a URL (or another driver's prefix form, or an IPv6 address in
/// brackets, `[::1]` or `[::1]:5433`, as the DataDirect driver takes one)? `None`: a plain host name.
/// `Some(Err(why))`: a form this tool will not read on its own.
pub fn host_url(value: &str) -> Option<Result<HostUrl, String>> {
    let v = value.trim();
    if v.starts_with('[') {
        // the new generation's `server` is the address itself (Npgsql takes `::1`, not `[::1]`; and in a
        // template a string opening with `[` would be an ARM expression)
        return Some(parse_url_rest(v, value.len() - value.trim_start().len()));
    }
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("tcp:") {
        return Some(Err(
            "`tcp:host,port` is SQL Server's form, not a PostgreSQL host".into(),
        ));
    }
    let scheme_end = lower.find("://")?;
    let scheme = &lower[..scheme_end];
    if scheme != "postgresql" && scheme != "postgres" {
        return Some(Err(format!("`{scheme}://` is not a PostgreSQL URL")));
    }
    let offset = value.len() - value.trim_start().len() + scheme_end + 3;
    Some(parse_url_rest(&v[scheme_end + 3..], offset))
}

fn parse_url_rest(rest: &str, offset: usize) -> Result<HostUrl, String> {
    if rest.contains('?') {
        return Err("URL parameters (`?…`) are not read: write them as keys of the string".into());
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut url = HostUrl::default();
    let hostport = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            url.user = Some(percent_decode(user)?).filter(|u| !u.is_empty());
            if let Some(p) = password {
                let start = offset + user.len() + 1;
                url.password_range = Some(start..start + p.len());
                url.password = Some(percent_decode(p)?);
            }
            hostport
        }
        None => authority,
    };
    if hostport.contains(',') {
        return Err("the URL names several hosts".into());
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or("an unclosed `[` in the host")?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    url.host = percent_decode(host)?;
    if url.host.is_empty() {
        return Err("the URL names no host".into());
    }
    if let Some(p) = port.filter(|p| !p.is_empty()) {
        if !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err("the URL's port is not a number".into());
        }
        url.port = Some(p.to_string());
    }
    url.database = Some(percent_decode(path)?).filter(|d| !d.is_empty());
    Ok(url)
}

fn percent_decode(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or("a bad `%` escape in the URL")?;
            out.push(hex);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the URL decodes to invalid UTF-8".to_string())
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

    /// Inside an expression, braces and semicolons in a '…' string are text: they neither open nor
    /// close the expression, nor end the value.
    #[test]
    fn braces_and_semicolons_in_expression_strings_are_text() {
        let c = parse("host=h;x=@{concat('}', ';x')};y=@{concat('{', ';y')};database=d");
        let values: Vec<&str> = c.pairs.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(
            values,
            ["h", "@{concat('}', ';x')}", "@{concat('{', ';y')}", "d"]
        );
    }

    /// ODBC braces quote a value (`}}` is a `}` inside); an unclosed brace is text, as before; for
    /// Npgsql a brace is text.
    #[test]
    fn braced_values() {
        let s = "host={Host=a;Port=1};port=5432;pwd={p;w}}x};database={d}";
        let c = parse_as(s, true);
        assert_eq!(c.value(Key::Server), Some("Host=a;Port=1"));
        assert_eq!(c.value(Key::Port), Some("5432"));
        assert_eq!(c.value(Key::Password), Some("p;w}x"));
        assert_eq!(c.value(Key::Database), Some("d"));
        let pw = c.get(Key::Password).unwrap();
        assert_eq!(&s[pw.value_span.clone()], "{p;w}}x}");
        assert_eq!(parse(s).value(Key::Server), Some("{Host=a"));
        // text after a closing quote or brace is neither the value nor a pair: junk, never dropped
        for (t, braced) in [(r#"Password="a"tail ;x=1"#, false), ("pwd={a} tail", true)] {
            let c = parse_as(t, braced);
            assert_eq!(c.value(Key::Password), Some("a"), "{t}");
            assert_eq!(
                c.junk.iter().map(|j| &t[j.clone()]).collect::<Vec<_>>(),
                ["tail"],
                "{t}"
            );
        }
        assert!(
            parse(r#"Password="a"  ;x=1"#).junk.is_empty(),
            "whitespace is nothing"
        );
        assert_eq!(parse("pwd={}").value(Key::Password), Some("{}"));
        let open = parse_as("host=h;password={abc;database=d", true);
        assert_eq!(open.value(Key::Password), Some("{abc"));
        assert_eq!(open.value(Key::Database), Some("d"));
        assert_eq!(
            Key::from_name("SSL Password"),
            Key::SslPassword,
            "not the login password"
        );
        assert_eq!(Key::from_name("Log Parameters"), Key::LogParameters);
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
    fn host_urls() {
        assert_eq!(host_url("pg.example.com"), None);
        let u = host_url("postgresql://pg.example.com").unwrap().unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.database),
            ("pg.example.com", None, None)
        );
        let raw = "postgres://etl%40x:p%3Bw@pg.example.com:6432/sales%20db";
        let u = host_url(raw).unwrap().unwrap();
        assert_eq!(u.host, "pg.example.com");
        assert_eq!(u.port.as_deref(), Some("6432"));
        assert_eq!(u.user.as_deref(), Some("etl@x"));
        assert_eq!(u.password.as_deref(), Some("p;w"));
        assert_eq!(u.database.as_deref(), Some("sales db"));
        assert_eq!(&raw[u.password_range.unwrap()], "p%3Bw");
        assert_eq!(
            host_url("postgresql://[::1]:5433").unwrap().unwrap().host,
            "::1"
        );
        // a bracketed IPv6 address alone, with or without a port
        let b = host_url(" [2001:db8::5]:5433").unwrap().unwrap();
        assert_eq!(
            (b.host.as_str(), b.port.as_deref()),
            ("2001:db8::5", Some("5433"))
        );
        let b = host_url("[::1]").unwrap().unwrap();
        assert_eq!((b.host.as_str(), b.port), ("::1", None));
        assert!(host_url("[::1").unwrap().is_err());
        assert_eq!(host_url("::1"), None, "a bare address is a host");
        assert!(host_url("tcp:pg.example.com,1433").unwrap().is_err());
        assert!(host_url("postgresql://a,b/db").unwrap().is_err());
        assert!(
            host_url("postgresql://h/db?sslmode=require")
                .unwrap()
                .is_err()
        );
        assert!(host_url("mysql://h").unwrap().is_err());
    }

    #[test]
    fn key_names_ignore_case_spaces_underscores_and_dashes() {
        for name in ["SSL Mode", "sslmode", "Ssl_Mode", "ssl-mode", " SSLMODE "] {
            assert_eq!(Key::from_name(name), Key::SslMode, "{name}");
        }
        for name in ["Trust Server Certificate", "trust_server_certificate"] {
            assert_eq!(Key::from_name(name), Key::TrustServerCertificate, "{name}");
        }
        assert_eq!(Key::from_name("Application Name"), Key::Other);
    }

    #[test]
    fn arm_and_adf_expressions() {
        assert!(is_expression("[parameters('cs')]"));
        // `[[` is ARM's escape for a literal `[`
        assert!(!is_expression("[[literal]"));
        assert!(!is_expression("[no closing"));
        assert!(!is_expression("no opening]"));
        assert!(is_expression("@pipeline().x"));
        assert!(!is_expression("plain"));
    }

    #[test]
    fn ssl_names() {
        assert_eq!(ssl_mode_number("verify-full"), Some(5));
        assert_eq!(ssl_mode_number("VerifyCA"), Some(4));
        assert_eq!(ssl_mode_number("Require"), Some(3));
        assert_eq!(ssl_mode_number("strict"), None);
    }
}
