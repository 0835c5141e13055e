//! Secrets never reach output: every text we show (source snippets, diffs) goes through `mask` first.
//! Secret bytes become `*` of the same length, so spans and line/column numbers stay valid.

use crate::source::connstr::{self, Key};
use crate::source::json::{Kind, Node, string_offsets};
use std::ops::Range;
use std::sync::OnceLock;

/// Is a member or connection-string key with this name a secret? By what the name says rather than a
/// closed list, so aliases and other connectors' keys are covered too: `password`, `Pwd`, `PSW`,
/// `TrustStorePassword`, `servicePrincipalKey`, `AccountKey`, `sasToken`, `clientSecret`,
/// `encryptedCredential`, SFTP's `privateKeyContent` and `passPhrase`, `sshPass` … A name that only
/// refers to a secret (`secretName`, `secretVersion`, `servicePrincipalCredentialType`) is not one.
pub fn secret_name(name: &str) -> bool {
    let n: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "passphrase",
        "pwd",
        "psw",
        "secret",
        "token",
        "credential",
        "embeddedcert",
        "privatekey",
        "sas",
    ];
    if names_a_reference(&n) {
        return false;
    }
    WORDS.iter().any(|w| n.contains(w))
        || (n.ends_with("key") && n.len() > 3)
        || ["sig", "pass", "pw"].contains(&n.as_str())
        // `sshPass`, `ftp_pw`: the short words only as words of the name, not inside others (`bypass`)
        || words(name).any(|w| w == "pass" || w == "pw")
}

/// Does a (normalised) name only point at a secret or describe one (`secretName`, `passwordType`)?
fn names_a_reference(normalised: &str) -> bool {
    const REFERS: &[&str] = &["name", "version", "type", "id", "reference", "store", "url"];
    REFERS.iter().any(|r| normalised.ends_with(r))
}

/// The words of a name, lower case: split at anything not alphanumeric and where camel case turns from
/// lower to upper (`sshPassPhrase` → ssh, pass, phrase).
fn words(name: &str) -> impl Iterator<Item = String> + '_ {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        let boundary = !c.is_ascii_alphanumeric() || (c.is_ascii_uppercase() && prev_lower);
        if boundary && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c.is_ascii_alphanumeric() {
            word.push(c.to_ascii_lowercase());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
    }
    if !word.is_empty() {
        out.push(word);
    }
    out.into_iter()
}

/// Under a secret name, which member keys are the structure around the secret (shown) rather than part
/// of it: a secret holder's `type` and `value`, a Key Vault reference's `secretName`, `store` …
fn structural_key(key: &str) -> bool {
    let n: String = key
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    names_a_reference(&n)
        || ["value", "defaultvalue", "metadata", "parameters"].contains(&n.as_str())
}

/// Connection-string key names safe to print (libpq, Npgsql and the ADF 1.0 driver's keys, normalised
/// like [`connstr::Key::from_name`]). A name outside this list may be a fragment of a password split by
/// a `;` inside it, so messages never print it.
pub fn known_key_name(name: &str) -> bool {
    if connstr::Key::from_name(name) != Key::Other {
        return true;
    }
    let n: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    const KNOWN: &[&str] = &[
        // libpq (postgresql.org/docs/current/libpq-connect.html#LIBPQ-PARAMKEYWORDS)
        "hostaddr",
        "dbname",
        "passfile",
        "requireauth",
        "channelbinding",
        "connecttimeout",
        "clientencoding",
        "options",
        "applicationname",
        "fallbackapplicationname",
        "keepalives",
        "keepalivesidle",
        "keepalivesinterval",
        "keepalivescount",
        "tcpusertimeout",
        "replication",
        "gssencmode",
        "requiressl",
        "sslnegotiation",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslpassword",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "sslminprotocolversion",
        "sslmaxprotocolversion",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "service",
        "targetsessionattrs",
        "loadbalancehosts",
        // Npgsql (npgsql.org/doc/connection-string-parameters.html)
        "sslcertificate",
        "rootcertificate",
        "checkcertificaterevocation",
        "persistsecurityinfo",
        "kerberosservicename",
        "includerealm",
        "includeerrordetail",
        "logparameters",
        "minimumpoolsize",
        "minpoolsize",
        "maximumpoolsize",
        "maxpoolsize",
        "connectionidlelifetime",
        "connectionpruninginterval",
        "connectionlifetime",
        "cancellationtimeout",
        "targetsessionattributes",
        "hostrecheckseconds",
        "keepalive",
        "tcpkeepalive",
        "tcpkeepalivetime",
        "tcpkeepaliveinterval",
        "writebuffersize",
        "socketreceivebuffersize",
        "socketsendbuffersize",
        "maxautoprepare",
        "autoprepareminusages",
        "noresetonclose",
        "enlist",
        "clientencoding",
        "arraynullabilitymode",
        "servercompatibilitymode",
        "multiplexing",
        "writecoalescingbuffersthreshholdbytes",
        "loadtabletypes",
        // the ADF 1.0 (DataDirect) driver
        "hostnameincertificate",
        "truststore",
        "truststorepassword",
        "cryptoprotocolversion",
        "alternateservers",
        "loadbalancing",
        "loginTimeout",
        "querytimeout",
        "maxstatementcachesize",
        "applicationusingthreads",
        "transactionerrorbehavior",
    ];
    KNOWN.iter().any(|k| k.eq_ignore_ascii_case(&n))
}

/// A connection-string key name for a message: a known key as written, anything else only by its length
/// (a password holding `;` splits into fragments that the parser takes for key names).
pub fn shown_key_name(key: &str) -> String {
    if known_key_name(key) && !secret_name(key) {
        key.to_string()
    } else {
        format!("(unrecognised name of {} characters)", key.chars().count())
    }
}

/// The spans of secret values in a parsed document (string contents, quotes excluded).
pub fn secret_spans(text: &str, root: &Node) -> Vec<Range<usize>> {
    secret_spans_with(text, root, &[])
}

/// [`secret_spans`], with the names of parameters some other file declares secure (an ARM parameters
/// file's values, by the template's `secureString`/`secureObject` declarations).
pub fn secret_spans_with(text: &str, root: &Node, secure: &[String]) -> Vec<Range<usize>> {
    let mut w = Walk {
        text,
        secure,
        out: Vec::new(),
    };
    w.node(root, Ctx::Plain);
    w.out
}

fn inner(span: &Range<usize>) -> Range<usize> {
    span.start + 1..span.end - 1
}

/// Where a value sits.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    /// Anywhere: only its content can make it a secret (a connection string, a URL with credentials).
    Plain,
    /// Under a secret name, or the value of a SecureString: every leaf is secret, whatever its JSON type.
    Secret,
}

struct Walk<'a> {
    text: &'a str,
    secure: &'a [String],
    out: Vec<Range<usize>>,
}

impl Walk<'_> {
    /// The parts of a string literal at `span` (decoded `value`) at `ranges` of the decoded text.
    fn push_decoded(&mut self, span: &Range<usize>, ranges: Vec<Range<usize>>) {
        if ranges.is_empty() {
            return;
        }
        let offsets = string_offsets(&self.text[span.clone()]);
        for r in ranges {
            self.out
                .push(span.start + offsets[r.start]..span.start + offsets[r.end]);
        }
    }

    fn node(&mut self, n: &Node, ctx: Ctx) {
        match &n.kind {
            Kind::String { value, .. } => {
                // a whole connection string kept as a secret still shows its host and database
                if ctx == Ctx::Secret && !is_connection_string(value) {
                    match reference_spans(value) {
                        // an expression: its literals are what may be secret
                        Some(literals) => self.push_decoded(&n.span, literals),
                        None => self.out.push(inner(&n.span)),
                    }
                } else {
                    self.push_decoded(&n.span, content_spans(value));
                }
            }
            Kind::Array(items) => items.iter().for_each(|i| self.node(i, ctx)),
            Kind::Object(members) => self.object(n, members, ctx),
            Kind::Number(_) | Kind::Bool(_) if ctx == Ctx::Secret => self.out.push(n.span.clone()),
            _ => {}
        }
    }

    fn object(&mut self, n: &Node, members: &[crate::source::json::Member], ctx: Ctx) {
        // a SecureString (ADF), an ARM secureString/secureObject parameter, or an object under a
        // secret name: its value is secret, its type and references (a Key Vault secret's name) not
        let holder = ctx == Ctx::Secret
            || n.str_at("type").is_some_and(|t| {
                t.eq_ignore_ascii_case("securestring") || t.eq_ignore_ascii_case("secureobject")
            });
        for m in members {
            // under a secret name every key but the structure is part of the secret; elsewhere a key
            // is masked by what it holds (`"Password=…": …`), as any string is
            let part_of_secret = ctx == Ctx::Secret && !structural_key(&m.key);
            if part_of_secret {
                self.out.push(inner(&m.key_span));
            } else {
                self.push_decoded(&m.key_span, content_spans(&m.key));
            }
            let value_of_holder = holder
                && ["value", "defaultValue"]
                    .iter()
                    .any(|k| k.eq_ignore_ascii_case(&m.key));
            let child = if value_of_holder || part_of_secret || secret_name(&m.key) {
                Ctx::Secret
            } else {
                Ctx::Plain
            };
            match &m.value.kind {
                Kind::Object(params) if m.key == "parameters" && child == Ctx::Plain => {
                    for p in params {
                        self.push_decoded(&p.key_span, content_spans(&p.key));
                        let ctx = self.parameter_ctx(&p.key);
                        self.node(&p.value, ctx);
                    }
                }
                _ => self.node(&m.value, child),
            }
        }
    }

    /// An ARM parameter (in a template or a parameters file) by its name: the names ADF generates for
    /// secure values (`<linked service>_connectionString`, `_password`, `_servicePrincipalKey`,
    /// `_privateKeyContent` …) hold secrets even in a parameters file, which does not say `secureString`;
    /// and so does any parameter the template beside it declares secure.
    fn parameter_ctx(&self, name: &str) -> Ctx {
        if secret_name(name)
            || name.to_ascii_lowercase().contains("connectionstring")
            || self.secure.iter().any(|s| s.eq_ignore_ascii_case(name))
        {
            Ctx::Secret
        } else {
            Ctx::Plain
        }
    }
}

/// The parameters a template declares secure (`secureString`, `secureObject`): their values in a
/// parameters file are secrets whatever their names.
pub fn secure_parameters(template: &str) -> Vec<String> {
    let body = crate::source::document::body_start(template);
    let Ok(root) = crate::source::json::parse(&template[body..]) else {
        return Vec::new();
    };
    let Some(params) = root.get("parameters").and_then(Node::members) else {
        return Vec::new();
    };
    params
        .iter()
        .filter(|p| {
            p.value.str_at("type").is_some_and(|t| {
                t.eq_ignore_ascii_case("securestring") || t.eq_ignore_ascii_case("secureobject")
            })
        })
        .map(|p| p.key.clone())
        .collect()
}

/// A connection string rather than a secret that happens to hold `=`: two keys or more that we know.
fn is_connection_string(value: &str) -> bool {
    value.contains('=')
        && connstr::parse_as(value, true)
            .pairs
            .iter()
            .filter(|p| known_key_name(&p.key) && !secret_name(&p.key))
            .count()
            >= 2
}

/// A value that only points at a secret, or computes one: a placeholder of `*`, a whole ARM
/// expression (`[parameters('x')]`), an ADF expression (`@{linkedService().password}`,
/// `@concat(…)`, `@pipeline()…`) or text with `@{…}` inside. Returns the parts of it that may be the
/// secret itself: every literal of the expression (a string, a number) but the name a
/// `parameters('…')`/`variables('…')`-like call takes, and any text around an `@{…}`. `None`: not an
/// expression, so the whole value is secret.
fn reference_spans(v: &str) -> Option<Vec<Range<usize>>> {
    let lead = v.len() - v.trim_start().len();
    let t = v.trim();
    if t.chars().all(|c| c == '*') {
        return Some(Vec::new());
    }
    let mut out = Vec::new();
    if t.starts_with('[') && t.ends_with(']') && t.contains('(') && !t.starts_with("[[") {
        expression_literals(&t[1..t.len() - 1], lead + 1, &mut out);
        return Some(out);
    }
    let call = t.strip_prefix('@').is_some_and(|rest| {
        let name = rest
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
            .count();
        rest.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && rest.as_bytes().get(name) == Some(&b'(')
    });
    if call && !t.contains("@{") {
        expression_literals(&t[1..], lead + 1, &mut out);
        return Some(out);
    }
    let b = v.as_bytes();
    let mut literal_from = 0;
    let mut found = false;
    let mut i = 0;
    while i < b.len() {
        match (b[i], b.get(i + 1)) {
            (b'@', Some(b'@')) => i += 2,
            (b'@', Some(b'{')) => {
                let close = interpolation_end(b, i + 2)?;
                if literal_from < i {
                    out.push(literal_from..i);
                }
                expression_literals(&v[i + 2..close], i + 2, &mut out);
                found = true;
                i = close + 1;
                literal_from = i;
            }
            _ => i += 1,
        }
    }
    if !found {
        return None;
    }
    if literal_from < v.len() {
        out.push(literal_from..v.len());
    }
    Some(out)
}

/// Where the `@{…}` opened before `from` closes (braces nest, `'…'` strings are skipped).
fn interpolation_end(b: &[u8], from: usize) -> Option<usize> {
    let (mut depth, mut i) = (0usize, from);
    while i < b.len() {
        match b[i] {
            b'\'' => {
                i += 1;
                while i < b.len() && b[i] != b'\'' {
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' if depth == 0 => return Some(i),
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// The literals of an expression's text (`base`: where it starts in the value): `'…'` strings (`''`
/// inside one) and numbers; the first argument of a call that names something declared elsewhere
/// (`parameters('pw')`, `variables`, `activity`, `reference`, `resourceId`) is a name, not a literal.
fn expression_literals(e: &str, base: usize, out: &mut Vec<Range<usize>>) {
    const NAMING: &[&str] = &[
        "parameters",
        "variables",
        "activity",
        "reference",
        "resourceid",
        "item",
    ];
    let b = e.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' => {
                let start = i + 1;
                let mut end = start;
                while end < b.len() && !(b[end] == b'\'' && b.get(end + 1) != Some(&b'\'')) {
                    end += if b[end] == b'\'' { 2 } else { 1 };
                }
                let before = e[..i].trim_end();
                let names = before.strip_suffix('(').is_some_and(|f| {
                    let f = f.trim_end();
                    let name_len = f
                        .bytes()
                        .rev()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                        .count();
                    NAMING.contains(&f[f.len() - name_len..].to_ascii_lowercase().as_str())
                });
                if !names && start < end.min(b.len()) {
                    out.push(base + start..base + end.min(b.len()));
                }
                i = end + 1;
            }
            c if c.is_ascii_digit()
                && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')) =>
            {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.') {
                    i += 1;
                }
                out.push(base + start..base + i);
            }
            c if c.is_ascii_alphanumeric() || c == b'_' => {
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
}

/// Secret parts of a free text (decoded string content, a key, a message, a comment), found by what
/// the text holds: URL credentials (`postgres://user:pw@host`), a shared access signature, a password
/// assignment written anywhere ([`assignment_spans`]), and in a connection string every secret value
/// up to the next known key (a `;` inside a password splits it into fragments that look like keys),
/// with every unknown key and stray text.
pub fn content_spans(value: &str) -> Vec<Range<usize>> {
    let mut out = assignment_spans(value);
    if value.contains('=') {
        out.extend(connection_string_spans(value));
    }
    out.retain(|r| r.start < r.end);
    out
}

/// The secrets a text spells out wherever it is, found by pattern rather than by structure: URL
/// credentials, `sig=` of a shared access signature, `password: x` / `pwd=x` / `pw: 'x'` / `token =
/// "x"` (any quoting), SQL's `PASSWORD 'x'` and `IDENTIFIED BY 'x'`, and prose ("the password is x").
pub fn assignment_spans(text: &str) -> Vec<Range<usize>> {
    static RE: OnceLock<[regex::Regex; 4]> = OnceLock::new();
    let res = RE.get_or_init(|| {
        const VALUE: &str = r#"(?:'([^'\n]*)'|"([^"\n]*)"|([^\s;,"'&]+))"#;
        [
            url_credentials().clone(),
            // a shared access signature in a URL's query
            regex::Regex::new(r#"(?i)[?&]sig=([^&\s"'#]+)"#).unwrap(),
            regex::Regex::new(&format!(
                r#"(?i)(?:\b(?:pw|pass)\b|(?:password|passwd|passphrase|pwd|psw|secret|token|accountkey|accesskey|sharedaccesskey|apikey|privatekey)[a-z0-9_\-]*)[a-z_ ]*\s*[:=]\s*{VALUE}"#
            ))
            .unwrap(),
            regex::Regex::new(&format!(
                r#"(?i)\b(?:password|passwd|passphrase|pwd|pw|secret|token)s?\s+(?:is|was|are)\s+{VALUE}|\b(?:password|identified\s+by)\s+(?:'([^'\n]*)'|"([^"\n]*)")"#
            ))
            .unwrap(),
        ]
    });
    let mut out = Vec::new();
    for re in res {
        for c in re.captures_iter(text) {
            if let Some(m) = c.iter().skip(1).flatten().next() {
                out.push(m.range());
            }
        }
    }
    out.retain(|r| r.start < r.end);
    out
}

fn connection_string_spans(value: &str) -> Vec<Range<usize>> {
    // read as ODBC does: a braced value's span holds all Npgsql would read as the value, and more
    let cs = connstr::parse_as(value, true);
    let secretish = cs.pairs.iter().any(|p| secret_name(&p.key))
        || cs.junk.iter().any(|j| secret_name(&value[j.clone()]));
    if !secretish {
        return Vec::new();
    }
    let mut out: Vec<Range<usize>> = cs.junk.clone();
    let mut open: Option<usize> = None;
    for p in &cs.pairs {
        let known = known_key_name(&p.key);
        if known && !secret_name(&p.key) {
            if let Some(start) = open.take() {
                let end = value[..p.key_span.start]
                    .trim_end_matches([';', ' ', '\t'])
                    .len();
                out.push(start..end.max(start));
            }
        } else if secret_name(&p.key) {
            // an expression shows, but for its literals (when written unquoted, as it is decoded)
            let literals =
                reference_spans(&p.value).filter(|_| value[p.value_span.clone()] == p.value);
            match literals {
                _ if open.is_some() => {}
                Some(literals) => out.extend(
                    literals
                        .into_iter()
                        .map(|r| r.start + p.value_span.start..r.end + p.value_span.start),
                ),
                None => open = Some(p.value_span.start),
            }
            if !known {
                out.push(p.key_span.clone());
            }
        } else {
            out.push(p.key_span.start..p.value_span.end);
        }
    }
    if let Some(start) = open {
        out.push(start..value.len());
    }
    out
}

/// `scheme://user:PASSWORD@host`: group 1 is the password.
fn url_credentials() -> &'static regex::Regex {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r#"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s:@"']*:([^@\s"']*)@"#).unwrap()
    })
}

/// Free text (a message argument, a server's reply) with its secret parts masked by content.
pub fn redact(text: &str) -> std::borrow::Cow<'_, str> {
    let spans = content_spans(text);
    if spans.is_empty() {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(apply(text, &spans))
}

/// Characters that must never reach a terminal or a log raw: C0/C1 controls, DEL, bidirectional
/// overrides and marks (which reorder what a reader sees), the line and paragraph separators U+2028 and
/// U+2029 (line breaks to a log viewer or a JavaScript reader of JSON), and every character that is
/// invisible by definition (Unicode's Default_Ignorable_Code_Point: zero-width space and joiners, soft
/// hyphen, word joiner, variation selectors, tags …), which a reader cannot see and which .NET's
/// culture-aware comparisons — the CI runners are .NET programs — skip over as if absent.
fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}')
}

/// A value from the file, a server or the file system (a name, a path, a message …) made safe to
/// print anywhere in a line, in every text output and on stderr: [`sanitize_line`] with every line
/// break and tab escaped too, so a hostile value cannot move the cursor, recolour or retitle the
/// user's terminal, forge output lines, or hold a CI log command (`##vso\u{5b}`, `\u{3a}:`,
/// `##\u{5b}`).
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let lead = s.trim_start_matches(char::is_whitespace);
    if !s.contains("##") && !lead.starts_with("::") && !s.chars().any(is_unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    sanitize_line(s, true, Encoding::Text(&[]), Line::Value, &mut out);
    std::borrow::Cow::Owned(out)
}

/// What [`sanitize_line`] sanitises: a value placed inside a line, or a whole line of an output (which
/// keeps its tabs, its line end and, when the tool coloured it, its colour sequences).
#[derive(Clone, Copy, PartialEq)]
enum Line {
    Value,
    Plain,
    Coloured,
}

/// The one sanitiser every line that leaves the process goes through, whatever produced it ([`printable`]
/// for a value inside a line, [`guard_output`] for a whole output): the CI runners' log commands are
/// broken by escaping one character, and no character is written raw that a terminal or a log would
/// act on or hide. The runners' rules, as their sources read:
/// - GitHub Actions (`ActionCommand.TryParseV2`): `::command::` at the start of a line once leading
///   white space is trimmed; (`ActionCommand.TryParse`, legacy) `##[command]` anywhere in a line;
/// - Azure Pipelines (`Command.TryParse`): `##vso[` anywhere in a line (matched here without case);
/// - both read lines ending at LF, CR or CRLF, so a lone CR is escaped, and both compare strings the
///   .NET way, which skips ignorable characters: every invisible character is escaped
///   ([`is_unsafe_char`]), so none can hide a command from this check.
///
/// `at_line_start`: `line` starts a line (not after one of the tool's own command prefixes).
fn sanitize_line(line: &str, at_line_start: bool, enc: Encoding, kind: Line, out: &mut String) {
    let b = line.as_bytes();
    let escaped = |c: char| is_unsafe_char(c) && !(kind != Line::Value && matches!(c, '\t' | '\n'));
    // where `::` would be a command: after the white space the runner trims, kept raw here
    let lead = if at_line_start {
        line.len()
            - line
                .trim_start_matches(|c: char| c.is_whitespace() && !escaped(c))
                .len()
    } else {
        usize::MAX
    };
    // the last character written as it is: a variation selector or joiner right after a non-ASCII one
    // is part of an emoji (⚠️, 👩‍💻), and cannot hide a command, whose words are ASCII
    let mut after_non_ascii = false;
    let mut i = 0;
    while i < line.len() {
        let rest = &line[i..];
        if b.len() >= i + 6 && b[i..i + 6].eq_ignore_ascii_case(b"##vso[") {
            out.push_str(&rest[..5]);
            out.push_str(&escape_char('[', enc));
            i += 6;
            continue;
        }
        if rest.starts_with("##[") {
            out.push_str("##");
            out.push_str(&escape_char('[', enc));
            i += 3;
            continue;
        }
        if i == lead && rest.starts_with("::") {
            out.push_str(&escape_char(':', enc));
            i += 1;
            continue;
        }
        let c = rest.chars().next().expect("in bounds");
        if kind == Line::Coloured
            && c == '\u{1b}'
            && let Some(n) = sgr_len(rest)
        {
            out.push_str(&rest[..n]);
            i += n;
            continue;
        }
        // a CRLF line end (a diff of a CRLF file) moves nothing; a lone CR rewrites the line
        let line_end = kind != Line::Value && c == '\r' && rest[1..].starts_with('\n');
        let emoji = after_non_ascii && joins_emoji(c);
        after_non_ascii = false;
        if escaped(c) && !line_end && !emoji {
            if matches!(enc, Encoding::Xml) && (c as u32) < 0x20 && c != '\r' {
                // not allowed in XML 1.0 even as a reference
                out.push('?');
            } else {
                out.push_str(&escape_char(c, enc));
            }
        } else {
            out.push(c);
            after_non_ascii = !c.is_ascii();
        }
        i += c.len_utf8();
    }
}

/// Invisible characters that emoji are made of: variation selectors (⚠️ is U+26A0 U+FE0F), the zero
/// width joiner (👩‍💻) and the tag characters of flags.
fn joins_emoji(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{200D}' | '\u{E0020}'..='\u{E007F}')
}

/// How a whole output is encoded, so that [`guard_output`] keeps it valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Xml,
    /// Lines of text; lines starting with one of these prefixes are the tool's own log commands.
    Text(&'static [&'static str]),
}

/// The last line of defence for a whole output (stdout, stderr, a report file, a summary file): every
/// line through [`sanitize_line`], the tool's own log commands (the encoding's prefixes, at a line's
/// start) excepted. Values are escaped where they are inserted ([`printable`]); this catches what slips
/// through, and what no renderer built (a server's text, a file system error).
pub fn guard_output(text: &str, enc: Encoding) -> String {
    guard(text, enc, false)
}

/// [`guard_output`] for text the tool coloured itself: colour sequences `ESC[…m` pass.
pub fn guard_coloured(text: &str, enc: Encoding) -> String {
    guard(text, enc, true)
}

/// A line on stderr, through the output guard (messages may hold file, config or server text).
pub fn eprint_line(line: &str) {
    eprint!(
        "{}",
        guard_output(&format!("{line}\n"), Encoding::Text(&[]))
    );
}

fn guard(text: &str, enc: Encoding, colour: bool) -> String {
    let text = &without_known_secrets(text);
    let kind = if colour { Line::Coloured } else { Line::Plain };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let own = match enc {
            Encoding::Text(prefixes) => prefixes
                .iter()
                .find(|p| line.starts_with(**p))
                .map_or(0, |p| p.len()),
            _ => 0,
        };
        out.push_str(&line[..own]);
        sanitize_line(&line[own..], own == 0, enc, kind, &mut out);
    }
    out
}

/// Secrets the run holds in memory (a password given to `test-connection`, a secure parameter's value):
/// [`guard_output`] masks them wherever they appear, whatever echoed them (a server's error text, an
/// expression in a message).
static KNOWN_SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Remember a secret so that no output shows it. Very short values are not (they would mask ordinary
/// words); they are still masked where they are found by structure or content.
pub fn register_secret(secret: &str) {
    if secret.chars().count() >= 4
        && reference_spans(secret).is_none()
        && let Ok(mut known) = KNOWN_SECRETS.lock()
    {
        known.push(secret.to_string());
    }
}

/// Registered secrets, and the password of any URL with credentials (never printed on purpose).
fn without_known_secrets(text: &str) -> std::borrow::Cow<'_, str> {
    let Ok(known) = KNOWN_SECRETS.lock() else {
        return std::borrow::Cow::Borrowed(text);
    };
    let urls: Vec<Range<usize>> = url_credentials()
        .captures_iter(text)
        .filter_map(|c| c.get(1))
        .map(|m| m.range())
        .collect();
    let mut out = if urls.is_empty() {
        std::borrow::Cow::Borrowed(text)
    } else {
        std::borrow::Cow::Owned(apply_keeping_controls(text, &urls))
    };
    for s in known.iter().filter(|s| text.contains(s.as_str())) {
        out = std::borrow::Cow::Owned(out.replace(s.as_str(), &"*".repeat(s.chars().count())));
    }
    out
}

fn escape_char(c: char, enc: Encoding) -> String {
    match enc {
        Encoding::Json => format!("\\u{:04x}", c as u32),
        Encoding::Xml => format!("&#x{:x};", c as u32),
        Encoding::Text(_) => format!("\\u{{{:x}}}", c as u32),
    }
}

/// The length of a colour sequence `ESC [ digits/; m` at the start of `s`.
fn sgr_len(s: &str) -> Option<usize> {
    let rest = s.strip_prefix("\u{1b}[")?;
    let n = rest
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b';')
        .count();
    (rest.as_bytes().get(n) == Some(&b'm')).then_some(n + 3)
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

/// [`apply`] without touching control characters (the output guard escapes them next).
fn apply_keeping_controls(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = text.to_string();
    for r in merged(text, spans).into_iter().rev() {
        out.replace_range(r.clone(), &"*".repeat(r.end - r.start));
    }
    out
}

/// Replace the given spans with `*` (one per character, so byte offsets after them move only by the
/// difference between a multi-byte character and `*`, and never for ASCII secrets).
pub fn apply(text: &str, spans: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in merged(text, spans) {
        out.push_str(&text[at..r.start]);
        // same byte length keeps every later span valid
        out.push_str(&"*".repeat(r.end - r.start));
        at = r.end;
    }
    out.push_str(&text[at..]);
    neutralise_controls(out)
}

/// The spans inside `text` on character boundaries, sorted, overlapping ones joined: a span inside
/// or across another (`password=a;Password="X"`, found by two rules) masks the union of both.
fn merged(text: &str, spans: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut spans: Vec<_> = spans
        .iter()
        .filter(|r| {
            r.start < r.end
                && r.end <= text.len()
                && text.is_char_boundary(r.start)
                && text.is_char_boundary(r.end)
        })
        .cloned()
        .collect();
    spans.sort_by_key(|r| r.start);
    let mut out: Vec<Range<usize>> = Vec::with_capacity(spans.len());
    for r in spans {
        match out.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => out.push(r),
        }
    }
    out
}

/// [`mask`] for a text already parsed: `root`'s spans are offsets into `text` (BOM included), as
/// `Document::parse` gives them.
pub fn mask_parsed(text: &str, root: &Node) -> String {
    apply(text, &secret_spans(text, root))
}

/// Mask a whole file's text: precisely when it parses, by pattern when it does not.
pub fn mask(text: &str) -> String {
    mask_with(text, &[])
}

/// [`mask`], with the parameters another file declares secure ([`secure_parameters`] of the template
/// beside an ARM parameters file).
pub fn mask_with(text: &str, secure: &[String]) -> String {
    let body = crate::source::document::body_start(text);
    match crate::source::json::parse(&text[body..]) {
        Ok(root) => {
            let spans: Vec<_> = secret_spans_with(&text[body..], &root, secure)
                .into_iter()
                .map(|r| r.start + body..r.end + body)
                .collect();
            apply(text, &spans)
        }
        Err(_) => mask_by_pattern(text),
    }
}

/// For text that is not valid JSON (truncated, single quotes, unquoted names, comments, escaped names)
/// and for config and rule files: a lenient look at every `name: value` (any quoting, `\u` escapes in
/// the name decoded) masks the value of a secret name or of `value`/`defaultValue`, every string-like
/// run is masked by content, and so is the whole text (a comment, a `token = "…"` line).
pub fn mask_by_pattern(text: &str) -> String {
    static RE: OnceLock<[regex::Regex; 2]> = OnceLock::new();
    let [member, string] = RE.get_or_init(|| {
        [
            regex::Regex::new(
                r#"(?:"((?:[^"\\\n]|\\.)+)"|'([^'\n]+)'|([A-Za-z_$][A-Za-z0-9_$]*))\s*:\s*"#,
            )
            .unwrap(),
            regex::Regex::new(r#""(?:[^"\\\n]|\\.)*(?:"|$)|'[^'\n]*(?:'|$)"#).unwrap(),
        ]
    });
    let mut spans = Vec::new();
    // members inside a value already masked are skipped: the scan stays linear however deep they nest
    let mut covered = 0;
    for c in member.captures_iter(text) {
        let start = c.get(0).expect("whole match").end();
        if start < covered {
            continue;
        }
        let name = c
            .get(1)
            .or(c.get(2))
            .or(c.get(3))
            .map_or("", |m| m.as_str());
        let name = decode_escapes(name);
        let holder = ["value", "defaultValue"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&name));
        if secret_name(&name) || holder {
            covered = start + lenient_value_len(&text[start..]);
            spans.push(start..covered);
        }
    }
    // a comment, a prose line or a TOML `token = "…"` outside any string
    spans.extend(assignment_spans(text));
    for m in string.find_iter(text) {
        let body = m.as_str();
        let inner_start = m.start() + 1;
        let inner = &body[1..];
        let inner = inner.strip_suffix(['"', '\'']).unwrap_or(inner);
        for r in content_spans(inner) {
            spans.push(inner_start + r.start..inner_start + r.end);
        }
    }
    apply(text, &spans)
}

/// `\u0077` → `w` in a member name written with escapes (`pass\u0077ord`).
fn decode_escapes(name: &str) -> String {
    if !name.contains('\\') {
        return name.to_string();
    }
    serde_json::from_str::<String>(&format!("\"{name}\"")).unwrap_or_else(|_| name.to_string())
}

/// How far a secret's value runs in text that is not valid JSON: a quoted string to its closing quote
/// (across lines: better too much masked than a secret's second line shown), an array or an object to
/// its matching bracket, a bare word to `,` `}` `]` or the end of the line; the end of the text if
/// unclosed.
fn lenient_value_len(rest: &str) -> usize {
    let b = rest.as_bytes();
    let until = |stop: &dyn Fn(u8) -> bool, from: usize| {
        (from..b.len()).find(|&i| stop(b[i])).unwrap_or(b.len())
    };
    match b.first() {
        None => 0,
        Some(&q @ (b'"' | b'\'')) => {
            let mut i = 1;
            while i < b.len() && b[i] != q {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i.min(b.len()) + usize::from(i < b.len() && b[i] == q)
        }
        Some(&open @ (b'[' | b'{')) => {
            let close = if open == b'[' { b']' } else { b'}' };
            let (mut depth, mut quote, mut i) = (0usize, None::<u8>, 0);
            while i < b.len() {
                match (quote, b[i]) {
                    (Some(_), b'\\') => i += 1,
                    (Some(q), c) if c == q => quote = None,
                    (None, c @ (b'"' | b'\'')) => quote = Some(c),
                    (None, c) if c == open => depth += 1,
                    (None, c) if c == close => {
                        depth -= 1;
                        if depth == 0 {
                            return i + 1;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            b.len()
        }
        Some(_) => until(&|c| matches!(c, b',' | b'}' | b']' | b'\n' | b'\r'), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `…key` names a secret (`accountKey`, `apiKey`), but a bare `key` (a map's key, a partition key)
    /// does not.
    #[test]
    fn a_bare_key_is_not_a_secret_name() {
        assert!(!secret_name("key"));
        assert!(!secret_name("Key"));
        for name in ["apiKey", "AccountKey", "x_key", "pw", "sig"] {
            assert!(secret_name(name), "{name}");
        }
    }

    /// Exactly what a CI log command becomes: only the character that makes it one is escaped.
    #[test]
    fn log_commands_are_broken_by_one_escaped_character() {
        assert_eq!(printable("::error::x"), "\\u{3a}:error::x");
        assert_eq!(printable("##[group]x"), "##\\u{5b}group]x");
        assert_eq!(printable("a ##VSO[task.x]b"), "a ##VSO\\u{5b}task.x]b");
        let text = Encoding::Text(&[]);
        assert_eq!(
            guard_output("##vso[task.setvariable]x\n::error::y\n##[group]z\n", text),
            "##vso\\u{5b}task.setvariable]x\n\\u{3a}:error::y\n##\\u{5b}group]z\n"
        );
    }

    /// Issue 29: the runners' own rules — `::` after leading white space, the legacy `##[` anywhere in
    /// a line, ignorable characters that .NET's comparisons skip, U+2028/U+2029 — in a value and in a
    /// whole output; an emoji's variation selector stays.
    #[test]
    fn the_sanitiser_follows_the_runners_rules() {
        for (value, shown) in [
            ("   ::error::x", "   \\u{3a}:error::x"),
            ("\u{2003}::error::x", "\u{2003}\\u{3a}:error::x"),
            ("a ##[error]x", "a ##\\u{5b}error]x"),
            ("#\u{200b}#[error]x", "#\\u{200b}#[error]x"),
            ("x\u{2028}y\u{2029}z", "x\\u{2028}y\\u{2029}z"),
            (
                "\u{ad}\u{2060}\u{feff}\u{e0001}",
                "\\u{ad}\\u{2060}\\u{feff}\\u{e0001}",
            ),
            ("warn \u{26a0}\u{fe0f} ok", "warn \u{26a0}\u{fe0f} ok"),
            ("#\u{fe0f}#[x]", "#\\u{fe0f}#[x]"),
        ] {
            assert_eq!(printable(value), shown, "{value:?}");
        }
        let text = Encoding::Text(&["::error "]);
        assert_eq!(
            guard_output(
                "\t::warning::a\n::error file=x::m ##[error]b\n  ##[group]c\r\n",
                text
            ),
            "\t\\u{3a}:warning::a\n::error file=x::m ##\\u{5b}error]b\n  ##\\u{5b}group]c\r\n"
        );
        assert_eq!(
            guard_output("{\"a\": \"##[x] \u{2028}\"}", Encoding::Json),
            "{\"a\": \"##\\u005bx] \\u2028\"}"
        );
    }

    /// A secret the run holds (a password given to `test-connection`) is masked wherever any output
    /// echoes it; a value under four characters is not registered (it would mask ordinary words).
    #[test]
    fn registered_secrets_are_masked_in_every_output() {
        register_secret("Zq9-held-secret");
        register_secret("ab1");
        let out = guard_output(
            "server said: password Zq9-held-secret rejected (ab1)\n",
            Encoding::Text(&[]),
        );
        assert!(!out.contains("Zq9-held-secret"), "{out}");
        assert!(out.contains("(ab1)"), "{out}");
        assert!(
            !guard_output("{\"e\": \"Zq9-held-secret\"}", Encoding::Json)
                .contains("Zq9-held-secret")
        );
    }

    /// How far a secret's value runs in text that is not JSON: a string to its closing quote (escapes
    /// skipped), an object or array to its matching bracket (brackets inside strings are text), a bare
    /// word to `,` `}` `]` or the line's end; anything unclosed to the end.
    #[test]
    fn lenient_values_end_where_they_close() {
        for (rest, want) in [
            (r#""ab\"c", "host": "h""#, 7),
            (r#"'s3' , x"#, 4),
            (r#""unclosed"#, 9),
            (r#"{"a": {"b": 1}, "c": "}"} tail"#, 25),
            (r#"[1, [2]], x"#, 8),
            (r#"{"a": 1"#, 7),
            (r#"{"a": "x\"}", "b": 1} tail"#, 21),
            (r#"[{"#, 2),
            ("bare, next", 4),
            ("bare\nnext", 4),
            ("", 0),
        ] {
            assert_eq!(lenient_value_len(rest), want, "{rest}");
        }
    }

    /// A span that does not fall on character boundaries is not applied (and never panics).
    #[test]
    fn spans_off_character_boundaries_are_skipped() {
        assert_eq!(
            apply("a\u{e9} b", std::slice::from_ref(&(1..2))),
            "a\u{e9} b"
        );
        assert_eq!(
            apply("a\u{e9} b", std::slice::from_ref(&(2..4))),
            "a\u{e9} b"
        );
        assert_eq!(apply("a\u{e9} b", &[1..3, 4..5]), "a** *");
    }

    /// An expression shows but for its literals (any of which may be the secret); text around an
    /// `@{…}` is literal too; a value that is no expression is secret whole (`None`).
    #[test]
    fn an_expression_shows_but_for_its_literals() {
        let shown = |v: &str| {
            let spans = reference_spans(v)?;
            Some(apply(v, &spans))
        };
        for (value, masked) in [
            ("@{linkedService().password}", "@{linkedService().password}"),
            ("[parameters('pw')]", "[parameters('pw')]"),
            ("********", "********"),
            ("@pipeline().parameters.pw1", "@pipeline().parameters.pw1"),
            ("@{'s3cret'}", "@{'******'}"),
            ("[concat('s3', 'cret')]", "[concat('**', '****')]"),
            (
                "@concat('a''b', parameters('p'))",
                "@concat('****', parameters('p'))",
            ),
            (
                "[concat(variables('v'), 12345)]",
                "[concat(variables('v'), *****)]",
            ),
            ("@{linkedService().p}s3cret", "@{linkedService().p}******"),
            ("s3cret@{linkedService().p}", "******@{linkedService().p}"),
            (
                "p@@{x}@{activity('A').output}",
                "******@{activity('A').output}",
            ),
        ] {
            assert_eq!(shown(value).as_deref(), Some(masked), "{value}");
        }
        for literal in [
            "[s3cret",
            "s3cret]",
            "[s3cret]",
            "[[parameters('x')]",
            "s3(cret)",
            "@s3cret",
            "@@concat(x)",
            "@1(x)",
            "p@@{x}",
            "@{unclosed",
        ] {
            assert_eq!(reference_spans(literal), None, "{literal}");
        }
    }

    /// In coloured output only complete colour sequences pass; any other ESC is escaped.
    #[test]
    fn coloured_output_passes_colour_sequences_only() {
        assert_eq!(
            guard_coloured(
                "x\u{1b}[31mred\u{1b}[0m \u{1b}]0;title\u{7} \u{1b}",
                Encoding::Text(&[])
            ),
            "x\u{1b}[31mred\u{1b}[0m \\u{1b}]0;title\\u{7} \\u{1b}"
        );
    }

    /// Spans that are empty, reversed or past the end are ignored.
    #[test]
    fn spans_outside_the_text_are_ignored() {
        let reversed = std::ops::Range { start: 2, end: 1 };
        assert_eq!(apply("abc", &[reversed, 1..9, 0..1]), "*bc");
    }

    /// A file with a byte-order mark is masked at the right bytes: the mark shifts every span by three.
    #[test]
    fn masks_after_a_byte_order_mark_at_the_right_bytes() {
        assert_eq!(
            mask("\u{feff}{\"password\": \"s3\", \"host\": \"h\"}"),
            "\u{feff}{\"password\": \"**\", \"host\": \"h\"}"
        );
    }

    /// XML 1.0 allows no C0 control but tab, LF and CR, not even as a character reference: they become
    /// `?`; other unsafe characters become references.
    #[test]
    fn xml_output_replaces_c0_controls_and_escapes_the_rest() {
        assert_eq!(
            guard_output("a\u{7}b\u{1b}c\u{85}d\u{202e}e\r\n", Encoding::Xml),
            "a?b?c&#x85;d&#x202e;e\r\n"
        );
    }

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

    #[test]
    fn printable_breaks_log_commands_in_linear_time() {
        assert_eq!(printable("a ##VSO[x] ::b"), "a ##VSO\\u{5b}x] ::b");
        assert_eq!(printable("::error::x"), "\\u{3a}:error::x");
        // a hostile value of a million brackets is escaped at once, not in quadratic time
        let t = std::time::Instant::now();
        let long = format!("##vso{}", "[".repeat(1_000_000));
        assert!(printable(&long).starts_with("##vso\\u{5b}["));
        assert!(t.elapsed().as_secs() < 5);
    }

    /// Issue 29: what the data holds decides, wherever it is: a password named twice (the second quoted
    /// or braced), a literal inside an expression under a secret name, SQL and prose in any string, a
    /// secret as a key, other connectors' secret names, keys under a secret name.
    #[test]
    fn masks_what_the_data_holds_wherever_it_is() {
        for (text, secret) in [
            (
                r#"{"a": "host=h;password=a;Password=\"QX1\";sslmode=Require"}"#,
                "QX1",
            ),
            (r#"{"a": "host=h;password=a;Password={QX2};port=1"}"#, "QX2"),
            (r#"{"password": "@{'QX3'}"}"#, "QX3"),
            (r#"{"password": "[concat('QX4')]"}"#, "QX4"),
            (
                r#"{"a": "host=h;database=d;password=[concat('QX5')]"}"#,
                "QX5",
            ),
            (
                r#"{"preCopyScript": "ALTER ROLE x WITH PASSWORD 'QX6'"}"#,
                "QX6",
            ),
            (r#"{"q": "CREATE USER u IDENTIFIED BY \"QX7\""}"#, "QX7"),
            (r#"{"description": "password: 'QX8 with spaces'"}"#, "QX8"),
            (r#"{"description": "pw: QX9"}"#, "QX9"),
            (r#"{"description": "pwd: QX10"}"#, "QX10"),
            (r#"{"description": "the password is QX11."}"#, "QX11"),
            (r#"{"description": "token = \"QX12\""}"#, "QX12"),
            (r#"{"Password=QX13": 1}"#, "QX13"),
            (r#"{"password": {"QX14": true}}"#, "QX14"),
            (r#"{"password": {"v": "QX15"}}"#, "QX15"),
            (r#"{"privateKeyContent": "QX16"}"#, "QX16"),
            (r#"{"passPhrase": "QX17"}"#, "QX17"),
            (r#"{"sshPass": "QX18"}"#, "QX18"),
            (
                r#"{"parameters": {"Sftp_privateKeyContent": {"value": "QX19"}}}"#,
                "QX19",
            ),
            (r#"{"parameters": {"Ftp_pass": {"value": "QX20"}}}"#, "QX20"),
            // not JSON: a comment, and a TOML line
            ("{\"a\": 1, // the password is QX21\n}", "QX21"),
            ("[registry]\ntoken = \"QX22\"\n", "QX22"),
            ("# pw: QX23\nx = 1", "QX23"),
        ] {
            let m = mask(text);
            assert!(!m.contains(secret), "{text} → {m}");
            assert_eq!(m.len(), text.len(), "{text}");
        }
        // a name the template declares secure, whatever it says
        let params = r#"{"parameters": {"Mongo_opaque": {"value": "QX24"}}}"#;
        let root = crate::source::json::parse(params).unwrap();
        let spans = secret_spans_with(params, &root, &["Mongo_opaque".to_string()]);
        assert!(!apply(params, &spans).contains("QX24"));
        assert_eq!(
            secure_parameters(
                r#"{"parameters": {"a": {"type": "SecureString"}, "b": {"type": "string"}, "c": {"type": "secureObject"}}}"#
            ),
            ["a", "c"]
        );
        // the structure around a secret stays readable, and so does ordinary prose
        for shown in [
            r#"{"password": {"type": "AzureKeyVaultSecret", "store": {"referenceName": "kv", "type": "LinkedServiceReference"}, "secretName": "pg-pw"}}"#,
            r#"{"password": {"type": "SecureString", "value": "**"}}"#,
            r#"{"bypassProxy": "yes", "compass": "north", "description": "reset the password in Studio"}"#,
        ] {
            assert_eq!(mask(shown), shown);
        }
        for (name, secret) in [
            ("privateKeyContent", true),
            ("passPhrase", true),
            ("sshPass", true),
            ("ftp_pw", true),
            ("bypass", false),
            ("passwordSecretName", false),
            ("privateKeyPath", true),
        ] {
            assert_eq!(secret_name(name), secret, "{name}");
        }
    }

    #[test]
    fn masks_by_structure_and_by_content() {
        for (text, secret) in [
            (r#"{"a": "host=h;Password=s3c;r3t;sslmode=Require"}"#, "r3t"),
            (r#"{"a": "host=h;Password={s3c;r3t};port=1"}"#, "r3t"),
            (r#"{"description": "postgres://u:s3cr3t@h/db"}"#, "s3cr3t"),
            (r#"{"a": ["Server=h;PSW=s3cr3t"]}"#, "s3cr3t"),
            (r#"{"a": "host=h;Password:s3cr3t;port=1"}"#, "s3cr3t"),
            (
                r#"{"x": "DefaultEndpointsProtocol=https;AccountKey=s3cr3t"}"#,
                "s3cr3t",
            ),
            (r#"{"password": 12345678}"#, "12345678"),
            (
                r#"{"parameters": {"pw": {"type": "String", "defaultValue": "s3cr3t"}}}"#,
                "s3cr3t",
            ),
            (r#"{"a": "host=h;database=d;Pass=s3cr3t"}"#, "s3cr3t"),
            (
                r#"{"u": "https://a.blob.core.windows.net/c?sv=2022&sig=s3cr3t%3D"}"#,
                "s3cr3t",
            ),
            (r#"{"sasUri": "https://a.blob.core.windows.net/c"}"#, "blob"),
            (r#"{"pwd": ["s3cr3t"]}"#, "s3cr3t"),
            (r#"{"servicePrincipalKey": {"value": "s3cr3t"}}"#, "s3cr3t"),
            (
                r#"{"parameters": {"p": {"type": "secureString", "defaultValue": "s3cr3t"}}}"#,
                "s3cr3t",
            ),
            (
                r#"{"parameters": {"Ls_connectionString": {"value": "s3cr3t"}}}"#,
                "s3cr3t",
            ),
            (r#"{'password': 's3cr3t'}"#, "s3cr3t"),
            (r#"{password: s3cr3t}"#, "s3cr3t"),
            (r#"{"pass\u0077ord": "s3cr3t",}"#, "s3cr3t"),
            (r#"{"a": "host=h;pwd=s3cr3t"#, "s3cr3t"),
            (r#"{"password": {"v": "s3cr3t"},}"#, "s3cr3t"),
            ("{\"password\": \"line1\ns3cr3t\", x}", "s3cr3t"),
        ] {
            let m = mask(text);
            assert!(!m.contains(secret), "{text} → {m}");
            assert_eq!(m.len(), text.len());
        }
        // references to a secret stay readable
        let t = r#"{"password": {"type": "AzureKeyVaultSecret", "secretName": "pg-pw"}, "p": "@{linkedService().password}"}"#;
        assert_eq!(mask(t), t);
        assert_eq!(
            redact("server=h;Password=x1y2z3"),
            "server=h;Password=******"
        );
    }
}
