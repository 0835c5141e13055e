//! Version 1.0 → 2.0 as byte-range edits, the way ADF Studio's own upgrade writes it: `version` right after
//! `type`, then server, port, database, sslMode, username, authenticationType, the credential, and the
//! other mapped options. Every byte outside the edited spans stays as it was.

use crate::finding::{Edit, Safety};
use crate::source::adf::{LinkedService, member_layout};
use crate::source::connstr::{self, ConnStr, Key};
use crate::source::document::Layout;
use crate::source::json::{Kind, Member, Node};

/// Migration defaults (the reference's mapping); config may change them.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationOptions {
    /// sslMode written for EncryptionMethod 0 or absent.
    pub ssl_no_encryption: u8,
    /// sslMode for EncryptionMethod 6 (RequestSSL).
    pub ssl_request: u8,
    /// sslMode for EncryptionMethod 1 without certificate validation.
    pub ssl_encrypted: u8,
    /// sslMode for EncryptionMethod 1 with ValidateServerCertificate 1.
    pub ssl_validated: u8,
    /// Strip `@server` from `user@server` when it names the host's first label.
    pub strip_user_at_server: bool,
    /// `Basic` (what Studio writes) or `BasicAuth` (the how-to page's spelling).
    pub authentication_type: String,
    /// `--credentials-to-key-vault`: where passwords and keys move (ADFPG024).
    pub key_vault: Option<VaultTarget>,
}

impl Default for MigrationOptions {
    fn default() -> Self {
        MigrationOptions {
            ssl_no_encryption: 2,
            ssl_request: 2,
            ssl_encrypted: 3,
            ssl_validated: 4,
            strip_user_at_server: true,
            authentication_type: "Basic".into(),
            key_vault: None,
        }
    }
}

/// Where credentials go: the factory's AzureKeyVault linked service and the secret-name template.
#[derive(Debug, Clone, PartialEq)]
pub struct VaultTarget {
    pub vault: String,
    pub secret_name: String,
}

/// Why a 1.0 linked service cannot be rewritten by the tool.
#[derive(Debug, Clone, PartialEq)]
pub enum Blocked {
    NoTypeProperties,
    NoConnectionString,
    KeyVaultConnectionString,
    ExpressionConnectionString,
    MaskedConnectionString,
    WrongType(&'static str),
    NoServer,
    UnknownSslMode(String),
    UnknownEncryptionMethod(String),
    LinkedTemplate,
    /// `properties` or `typeProperties` names a key twice: ADF keeps one, which one is undocumented.
    DuplicateKey(String),
    /// The connection string gives one setting twice (`Host=a;Server=b`): drivers differ on which wins.
    DuplicateConnectionKey(String, String),
    /// No `Database` key: a 2.0 definition requires `database`, and the tool will not guess one.
    NoDatabase,
    /// The host is written as a URL that cannot be migrated as it is (the reason).
    HostUrl(String),
    /// An ARM template's `[parameters(P)]` connection string whose value is nowhere to read: (parameter,
    /// where the tool looked and why it found nothing).
    ArmValuesUnknown(String, String),
    /// 1.0 checked the certificate against `HostNameInCertificate`, which names another host than the
    /// server: 2.0's VerifyFull checks `server` (certificate host, server).
    CertificateHostDiffers(String, String),
}

impl Blocked {
    pub fn reason(&self) -> String {
        match self {
            Blocked::NoTypeProperties => "`typeProperties` is missing or not an object".into(),
            Blocked::NoConnectionString => "there is no `connectionString` to split".into(),
            Blocked::KeyVaultConnectionString => {
                "the whole connection string is a Key Vault secret, which a file rewrite cannot read".into()
            }
            Blocked::ExpressionConnectionString => {
                "the connection string is an expression, so its parts are only known at run time".into()
            }
            Blocked::MaskedConnectionString => "the connection string is a masked placeholder".into(),
            Blocked::WrongType(t) => {
                let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                format!("`connectionString` is {article} {t}, not a string")
            }
            Blocked::NoServer => "the connection string names no host/server".into(),
            Blocked::UnknownSslMode(v) => format!("`SSL Mode={v}` is not a mode this tool knows"),
            Blocked::UnknownEncryptionMethod(v) => format!("`EncryptionMethod={v}` is not 0, 1 or 6"),
            Blocked::LinkedTemplate => "this is a linked template, whose parameters come from ArmTemplate_master.json: \
                 migrate ARMTemplateForFactory.json (or the collaboration branch) and re-publish"
                .into(),
            Blocked::DuplicateKey(k) => format!(
                "`{k}` appears twice (ADFPG101) and which one ADF uses is undocumented: remove one by hand first"
            ),
            Blocked::DuplicateConnectionKey(a, b) => format!(
                "the connection string sets the same thing twice (`{a}` and `{b}`) and drivers differ on which \
                 one wins: keep one by hand first"
            ),
            Blocked::HostUrl(why) => format!(
                "the host is written as a URL: {why}; write host, port, database and user name as separate keys"
            ),
            Blocked::ArmValuesUnknown(param, looked) => format!(
                "port and sslMode stay literal in a 2.0 template, but `{param}` has no value in the parameters \
                 file and {looked}: migrate the linked service in the factory and re-publish, or give \
                 `{param}` its value"
            ),
            Blocked::NoDatabase => "the connection string names no database, which 2.0 requires: add \
                 `Database=<name>` to it (or write `database` by hand)"
                .into(),
            Blocked::CertificateHostDiffers(cert, server) => format!(
                "1.0 checked the server certificate against HostNameInCertificate `{cert}`, but 2.0's \
                 VerifyFull (sslMode 5) checks it against the server name `{server}`, so the migrated \
                 service could not connect: write the host as the certificate's name (`host={cert}`), or \
                 choose a weaker mode by hand (`SSL Mode=VerifyCA` keeps the certificate-chain check)"
            ),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub edits: Vec<Edit>,
    pub safety: Safety,
    /// Why the fix is unsafe, when it is.
    pub unsafe_reasons: Vec<String>,
    /// Connection-string keys with no 2.0 property.
    pub dropped: Vec<String>,
}

/// The connection string of a 1.0 linked service, with the member that holds it and the literal's node.
pub fn connection_string<'a>(
    ls: &LinkedService<'a>,
) -> Result<(&'a Member, &'a Node, String), Blocked> {
    if ls.type_props().is_none() {
        return Err(Blocked::NoTypeProperties);
    }
    let m = ls
        .tp("connectionString")
        .ok_or(Blocked::NoConnectionString)?;
    let literal = match &m.value.kind {
        Kind::String { .. } => &m.value,
        Kind::Object(_) if m.value.str_at("type") == Some("Expression") => {
            return Err(Blocked::ExpressionConnectionString);
        }
        Kind::Object(_) if crate::source::adf::is_key_vault_ref(&m.value) => {
            return Err(Blocked::KeyVaultConnectionString);
        }
        Kind::Object(_) if m.value.str_at("type") == Some("SecureString") => m
            .value
            .get("value")
            .filter(|v| v.as_str().is_some())
            .ok_or(Blocked::WrongType("SecureString without a string value"))?,
        _ => return Err(Blocked::WrongType(m.value.type_name())),
    };
    let s = literal.as_str().unwrap_or_default().to_string();
    let trimmed = s.trim();
    if (trimmed.starts_with('@') && !trimmed.starts_with("@@") && !trimmed.contains('='))
        || (trimmed.starts_with('[') && trimmed.ends_with(']'))
    {
        return Err(Blocked::ExpressionConnectionString);
    }
    if !trimmed.is_empty() && trimmed.chars().all(|c| c == '*') {
        return Err(Blocked::MaskedConnectionString);
    }
    Ok((m, literal, s))
}

/// The sslMode the migration writes: a number, or an expression kept verbatim.
pub fn ssl_mode(cs: &ConnStr, opts: &MigrationOptions) -> Result<Result<u8, String>, Blocked> {
    if let Some(p) = cs.get(Key::SslMode) {
        if p.is_expression() {
            return Ok(Err(p.value.clone()));
        }
        return connstr::ssl_mode_number(&p.value)
            .map(Ok)
            .ok_or_else(|| Blocked::UnknownSslMode(p.value.clone()));
    }
    let em = cs
        .value(Key::EncryptionMethod)
        .map(str::trim)
        .unwrap_or("0");
    let validate = validates_certificate(cs);
    Ok(Ok(match em {
        "0" => opts.ssl_no_encryption,
        "6" => opts.ssl_request,
        "1" if validate => match certificate_host(cs) {
            None => opts.ssl_validated,
            Some(CertificateHost::Server) => 5,
            Some(CertificateHost::Other(cert)) => {
                let server = cs.value(Key::Server).unwrap_or_default().trim().to_string();
                return Err(Blocked::CertificateHostDiffers(cert, server));
            }
        },
        "1" => opts.ssl_encrypted,
        other => return Err(Blocked::UnknownEncryptionMethod(other.to_string())),
    }))
}

/// `ValidateServerCertificate` is on.
fn validates_certificate(cs: &ConnStr) -> bool {
    cs.value(Key::ValidateServerCertificate)
        .is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// What a `HostNameInCertificate` names, when the string has one.
pub enum CertificateHost {
    /// The server itself (its name, or the driver's `#SERVERNAME#`): VerifyFull checks the same name.
    Server,
    Other(String),
}

pub fn certificate_host(cs: &ConnStr) -> Option<CertificateHost> {
    let cert = cs
        .value(Key::HostNameInCertificate)
        .map(str::trim)
        .filter(|v| !v.is_empty())?;
    let server = cs.value(Key::Server).unwrap_or_default().trim();
    Some(
        if cert.eq_ignore_ascii_case("#SERVERNAME#") || names_host(cert, server) {
            CertificateHost::Server
        } else {
            CertificateHost::Other(cert.to_string())
        },
    )
}

/// Does a certificate name `cert` cover `host`, as a certificate check of `host` against it would? The
/// same name (letter case aside), or a wildcard `*.rest` standing for exactly the first label of `host`
/// (`*.postgres.database.azure.com`, the name Azure's certificates carry, covers `pg1.postgres…`).
fn names_host(cert: &str, host: &str) -> bool {
    if cert.eq_ignore_ascii_case(host) {
        return true;
    }
    let Some(rest) = cert.strip_prefix("*.").filter(|r| !r.is_empty()) else {
        return false;
    };
    host.split_once('.').is_some_and(|(first, tail)| {
        !first.is_empty() && !first.contains('*') && tail.eq_ignore_ascii_case(rest)
    })
}

/// What dropping `HostNameInCertificate` (2.0 has no such property) changes: nothing when 1.0 ignored
/// it or when sslMode 5 checks the same name; otherwise the migration is held back.
pub fn certificate_host_dropped(cs: &ConnStr) -> &'static str {
    let ssl = cs.value(Key::EncryptionMethod).map(str::trim) == Some("1");
    if cs.get(Key::SslMode).is_some() {
        "`SSL Mode` decides the TLS settings, so 1.0 ignored it too"
    } else if !(ssl && validates_certificate(cs)) {
        "1.0 ignores it unless EncryptionMethod=1 and ValidateServerCertificate=1"
    } else if matches!(certificate_host(cs), Some(CertificateHost::Server)) {
        "its check is kept, as sslMode 5 (VerifyFull) checks the certificate against `server`, the same host"
    } else {
        "2.0 checks the certificate against `server`, another host, so the migration is held back"
    }
}

/// The string with a URL-form host (`postgresql://user:pw@host:6432/db`) split into the keys it stands
/// for, when every part agrees with the string's own keys; the string as it is when the host is plain.
pub fn expand_host_url(cs: &ConnStr) -> Result<ConnStr, Blocked> {
    let Some(server) = cs.get(Key::Server) else {
        return Ok(cs.clone());
    };
    let url = match connstr::host_url(&server.value) {
        None => return Ok(cs.clone()),
        Some(Err(why)) => return Err(Blocked::HostUrl(why)),
        Some(Ok(url)) => url,
    };
    let mut out = cs.clone();
    for p in out.pairs.iter_mut().filter(|p| p.canon == Key::Server) {
        p.value = url.host.clone();
    }
    for (key, part, what) in [
        (Key::Port, &url.port, "port"),
        (Key::Database, &url.database, "database"),
        (Key::Username, &url.user, "user name"),
        (Key::Password, &url.password, "password"),
    ] {
        let Some(v) = part else { continue };
        match cs.value(key) {
            Some(existing) if existing.trim() != v => {
                // never a secret in a message
                let shown = if key == Key::Password {
                    String::new()
                } else {
                    format!(" `{v}`")
                };
                return Err(Blocked::HostUrl(format!(
                    "its {what}{shown} disagrees with the string's own {what}"
                )));
            }
            Some(_) => {}
            None => out.pairs.push(connstr::Pair {
                key: format!("{} (from the host URL)", server.key),
                canon: key,
                value: v.clone(),
                key_span: server.key_span.clone(),
                value_span: server.value_span.clone(),
            }),
        }
    }
    Ok(out)
}

/// A setting the string gives twice, under the same or another spelling: (first key, second key).
pub fn duplicate_setting(cs: &ConnStr) -> Option<(String, String)> {
    cs.pairs.iter().enumerate().find_map(|(i, p)| {
        let first = cs.pairs[..i]
            .iter()
            .find(|o| o.canon == p.canon && p.canon != Key::Other)?;
        Some((first.key.clone(), p.key.clone()))
    })
}

/// `user@server` → `user` when `server` is the host's first label (the Single Server habit).
pub fn strip_user_at_server(user: &str, host: &str) -> Option<String> {
    if connstr::is_expression(user) || connstr::is_expression(host) {
        return None;
    }
    let (name, server) = user.rsplit_once('@')?;
    let first_label = host.split('.').next()?;
    (!name.is_empty() && server.eq_ignore_ascii_case(first_label)).then(|| name.to_string())
}

struct NewMember {
    key: &'static str,
    value: Value,
}

enum Value {
    Str(String),
    Int(String),
    Bool(bool),
    SecureString(String),
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

pub fn migrate(
    text: &str,
    layout: &Layout,
    ls: &LinkedService,
    opts: &MigrationOptions,
) -> Result<Migration, Blocked> {
    let (cs_member, _, cs_text) = connection_string(ls)?;
    // the rewrite reads and replaces members of these two objects: with a key twice it could migrate the
    // copy ADF ignores and leave the other behind
    for obj in [
        ls.props,
        ls.type_props().expect("checked by connection_string"),
    ] {
        let members = obj.members().unwrap_or_default();
        for (i, m) in members.iter().enumerate() {
            if members[..i].iter().any(|o| o.key == m.key) {
                return Err(Blocked::DuplicateKey(m.key.clone()));
            }
        }
    }
    let parsed = connstr::parse(&cs_text);
    if let Some((a, b)) = duplicate_setting(&parsed) {
        return Err(Blocked::DuplicateConnectionKey(a, b));
    }
    let cs = expand_host_url(&parsed)?;
    let server = cs
        .value(Key::Server)
        .filter(|s| !s.trim().is_empty())
        .ok_or(Blocked::NoServer)?;
    let ssl = ssl_mode(&cs, opts)?;
    let tp = ls.type_props().expect("checked by connection_string");
    let existing = |k: &str| tp.member(k).is_some();

    let mut members: Vec<NewMember> = Vec::new();
    let mut push = |key: &'static str, value: Value| {
        if !existing(key) {
            members.push(NewMember { key, value });
        }
    };
    push("server", Value::Str(server.to_string()));
    push(
        "port",
        Value::Str(cs.value(Key::Port).unwrap_or("5432").to_string()),
    );
    match cs.value(Key::Database).filter(|d| !d.trim().is_empty()) {
        Some(db) => push("database", Value::Str(db.to_string())),
        None if !existing("database") => return Err(Blocked::NoDatabase),
        None => {}
    }
    push(
        "sslMode",
        match ssl {
            Ok(n) => Value::Int(n.to_string()),
            Err(expr) => Value::Str(expr),
        },
    );
    if let Some(user) = cs.value(Key::Username) {
        let user = match strip_user_at_server(user, server) {
            Some(u) if opts.strip_user_at_server => u,
            _ => user.to_string(),
        };
        push("username", Value::Str(user));
    }
    push(
        "authenticationType",
        Value::Str(opts.authentication_type.clone()),
    );
    let password_in_string = cs.get(Key::Password).filter(|p| !p.value.is_empty());
    if let Some(pw) = password_in_string {
        push("password", Value::SecureString(pw.value.clone()));
    }
    for (name, value) in options(&cs) {
        push(name, value);
    }
    let dropped = dropped_keys(&cs);

    let mut unsafe_reasons = Vec::new();
    if password_in_string.is_some() && existing("password") {
        unsafe_reasons.push(password_twice_note());
    }
    if password_in_string.is_none() && !existing("password") && existing("encryptedCredential") {
        unsafe_reasons.push(ENCRYPTED_CREDENTIAL_NOTE.to_string());
    }
    if !dropped.is_empty() {
        unsafe_reasons.push(format!(
            "connection-string keys with no 2.0 property are dropped: {}",
            dropped.join(", ")
        ));
    }

    let mut edits = vec![version_edit(text, layout, ls)];
    edits.push(members_edit(text, layout, cs_member, &members));
    Ok(Migration {
        edits,
        safety: if unsafe_reasons.is_empty() {
            Safety::Safe
        } else {
            Safety::Unsafe
        },
        unsafe_reasons,
        dropped,
    })
}

/// The follow-up of a migration whose password is held only in `encryptedCredential` (the fact ADFPG010
/// states, said once: in the fix, not beside it).
pub const ENCRYPTED_CREDENTIAL_NOTE: &str = "the password is held only in `encryptedCredential`, which ADF \
     Studio re-encrypts on upgrade: re-enter the password in Studio (or move it to Key Vault) and test the \
     connection";

/// The follow-up note of a migration that drops the connection string's password for the `password`
/// property (ADFPG025).
pub fn password_twice_note() -> String {
    "the password is given twice, in the connection string and as the `password` property: the fix keeps \
     the `password` property (it is what the 2.0 definition reads) and drops the one in the string; check \
     which one is current"
        .to_string()
}

/// The 2.0 properties of the string's other options (timeouts, trustServerCertificate …).
fn options(cs: &ConnStr) -> Vec<(&'static str, Value)> {
    [
        (Key::Timeout, "timeout"),
        (Key::CommandTimeout, "commandTimeout"),
        (Key::TrustServerCertificate, "trustServerCertificate"),
        (Key::ReadBufferSize, "readBufferSize"),
        (Key::Timezone, "timezone"),
        (Key::Encoding, "encoding"),
        (Key::SearchPath, "schema"),
        (Key::Pooling, "pooling"),
    ]
    .into_iter()
    .filter_map(|(key, name)| Some((name, typed(key, cs.value(key)?))))
    .collect()
}

/// The options as (property, JSON text), for templates.
pub fn option_members(cs: &ConnStr) -> Vec<(&'static str, String)> {
    options(cs)
        .into_iter()
        .map(|(name, v)| {
            let text = match v {
                Value::Str(s) | Value::SecureString(s) => json_str(&s),
                Value::Int(n) => n,
                Value::Bool(b) => b.to_string(),
            };
            (name, text)
        })
        .collect()
}

/// Keys with no 2.0 property (and the 1.0 SSL keys when `SSL Mode` overrides them).
pub fn dropped_keys(cs: &ConnStr) -> Vec<String> {
    let overridden = |k: Key| {
        cs.get(Key::SslMode).is_some()
            && matches!(
                k,
                Key::EncryptionMethod | Key::ValidateServerCertificate | Key::HostNameInCertificate
            )
    };
    let mut dropped: Vec<String> = cs
        .pairs
        .iter()
        .filter(|p| p.canon == Key::Other || overridden(p.canon))
        // an unknown name may be the rest of a password that holds a `;`: shown by its length only
        .map(|p| crate::mask::shown_key_name(&p.key))
        .collect();
    // stray text is dropped too
    dropped.extend(
        cs.junk
            .iter()
            .map(|j| format!("(text of {} characters)", j.len())),
    );
    dropped
}

fn typed(key: Key, v: &str) -> Value {
    let t = v.trim();
    if connstr::is_expression(t) {
        return Value::Str(v.to_string());
    }
    match key {
        Key::Timeout | Key::CommandTimeout | Key::ReadBufferSize if t.parse::<u32>().is_ok() => {
            Value::Int(t.parse::<u32>().expect("checked").to_string())
        }
        Key::TrustServerCertificate | Key::Pooling => match t.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Value::Bool(true),
            "false" | "no" | "0" => Value::Bool(false),
            _ => Value::Str(v.to_string()),
        },
        _ => Value::Str(v.to_string()),
    }
}

/// `"version": "2.0"` right after `type`, or the existing `version` value replaced.
pub fn version_edit(text: &str, layout: &Layout, ls: &LinkedService) -> Edit {
    if let Some(v) = ls.props.member("version") {
        return Edit::replace(v.value.span.clone(), "\"2.0\"");
    }
    let ty = ls
        .props
        .member("type")
        .expect("a linked service has a type");
    let l = member_layout(text, ty);
    let text = if l.multiline {
        format!(",{}{}\"version\"{}\"2.0\"", layout.eol, l.lead, l.sep)
    } else {
        format!(", \"version\"{}\"2.0\"", l.sep)
    };
    Edit::replace(ty.value.span.end..ty.value.span.end, text)
}

/// Replace the `connectionString` member with the 2.0 members, laid out like it.
fn members_edit(text: &str, layout: &Layout, cs: &Member, members: &[NewMember]) -> Edit {
    let l = member_layout(text, cs);
    let joiner = if l.multiline {
        format!(",{}{}", layout.eol, l.lead)
    } else {
        ", ".to_string()
    };
    let mut out = String::new();
    let mut secrets = Vec::new();
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            out.push_str(&joiner);
        }
        out.push_str(&json_str(m.key));
        out.push_str(&l.sep);
        match &m.value {
            Value::Str(s) => out.push_str(&json_str(s)),
            Value::Int(n) => out.push_str(n),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::SecureString(secret) => {
                let (open, inner_join, close) = if l.multiline {
                    let inner = format!("{}{}{}", layout.eol, l.lead, layout.indent);
                    (
                        format!("{{{inner}"),
                        format!(",{inner}"),
                        format!("{}{}}}", layout.eol, l.lead),
                    )
                } else {
                    ("{ ".to_string(), ", ".to_string(), " }".to_string())
                };
                out.push_str(&open);
                out.push_str(&format!(
                    "\"type\"{}\"SecureString\"{}\"value\"{}",
                    l.sep, inner_join, l.sep
                ));
                let lit = json_str(secret);
                let start = out.len() + 1;
                out.push_str(&lit);
                secrets.push(start..out.len() - 1);
                out.push_str(&close);
            }
        }
    }
    Edit {
        start: (0, 0),
        end: (0, 0),
        range: cs.span(),
        text: out,
        secrets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::document::Document;

    /// A certificate name covers the host it names, in any letter case, and a wildcard covers exactly
    /// one first label (RFC 6125's rule, which both drivers' host-name checks follow).
    #[test]
    fn certificate_names_cover_hosts() {
        let azure = "pg1.postgres.database.azure.com";
        assert!(names_host("PG1.postgres.database.AZURE.com", azure));
        assert!(names_host("*.postgres.database.azure.com", azure));
        assert!(!names_host("*.database.azure.com", azure), "one label only");
        assert!(!names_host(
            "*.postgres.database.azure.com",
            "postgres.database.azure.com"
        ));
        assert!(!names_host("pg2.postgres.database.azure.com", azure));
        assert!(!names_host("*.", "a."));
        assert!(!names_host("pg1.postgres.database.azure.com", "10.1.2.3"));
        let cs = |hnic: &str| {
            connstr::parse(&format!(
                "host={azure};EncryptionMethod=1;ValidateServerCertificate=1;HostNameInCertificate={hnic}"
            ))
        };
        assert!(matches!(
            certificate_host(&cs("#SERVERNAME#")),
            Some(CertificateHost::Server)
        ));
        assert!(matches!(
            certificate_host(&cs("other.example.com")),
            Some(CertificateHost::Other(c)) if c == "other.example.com"
        ));
        assert!(certificate_host(&cs(" ")).is_none());
    }

    /// The edit's masked text (what the JSON report shows of a fix) hides exactly the password's
    /// characters, quotes and layout kept, in both layouts.
    #[test]
    fn the_written_password_is_masked_exactly_in_the_edit() {
        for compact in [true, false] {
            let text = if compact {
                r#"{"name": "pg", "properties": {"type": "AzurePostgreSql", "typeProperties": {"connectionString": "host=h;database=d;uid=u;password=s3cr\"t"}}}"#.to_string()
            } else {
                "{\n  \"name\": \"pg\",\n  \"properties\": {\n    \"type\": \"AzurePostgreSql\",\n    \"typeProperties\": {\n      \"connectionString\": \"host=h;database=d;uid=u;password=s3cr\\\"t\"\n    }\n  }\n}\n".to_string()
            };
            let doc = Document::decode(text.into_bytes()).unwrap();
            let root = doc.parse().unwrap();
            let ls = &crate::source::adf::linked_services(&root)[0];
            let m = migrate(&doc.text, &doc.layout(), ls, &MigrationOptions::default()).unwrap();
            let edit = &m.edits[1];
            assert!(edit.text.contains(r#""value": "s3cr\"t""#), "{}", edit.text);
            // the JSON literal `s3cr\"t` is 7 bytes: each becomes one `*`, the quotes stay
            assert!(
                edit.masked_text().contains(r#""value": "*******""#),
                "{}",
                edit.masked_text()
            );
            assert!(!edit.masked_text().contains("s3cr"));
        }
    }
}
