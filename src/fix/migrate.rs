//! An old-generation linked service (AzurePostgreSql 1.0, the legacy `PostgreSql`) rewritten to the new one
//! (2.0, `PostgreSqlV2`) as byte-range edits, driven by the connector's tables (`crate::connector`): the
//! version or type that says the new generation, then the members in the order ADF Studio writes them
//! (AzurePostgreSql: server, port, database, sslMode, username, authenticationType, the credential;
//! PostgreSqlV2: server, port, database, username, password, sslMode, authenticationType), then the other
//! mapped options. Every byte outside the edited spans stays as it was.

use crate::connector::{Connector, Generation, Marker, PortForm, SslMapping};
use crate::finding::{Edit, Safety};
use crate::source::adf::{LinkedService, member_layout};
use crate::source::connstr::{self, ConnStr, Key};
use crate::source::document::Layout;
use crate::source::json::{Kind, Member, Node};

/// Migration defaults (each connector's table); config may change them.
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationOptions {
    /// The sslMode written for each old TLS setting, per connector (id): `[migration]` for
    /// AzurePostgreSql, `[migration.postgresql]` for the legacy connector.
    pub ssl: Vec<(&'static str, SslMapping)>,
    /// Strip `@server` from `user@server` when it names the host's first label (connectors that have
    /// the habit: AzurePostgreSql).
    pub strip_user_at_server: bool,
    /// AzurePostgreSql: `Basic` (what Studio writes) or `BasicAuth` (the how-to page's spelling).
    /// PostgreSqlV2 supports only `Basic`, which it always gets.
    pub authentication_type: String,
    /// `--credentials-to-key-vault`: where passwords and keys move (ADFPG024).
    pub key_vault: Option<VaultTarget>,
}

impl Default for MigrationOptions {
    fn default() -> Self {
        MigrationOptions {
            ssl: crate::connector::ALL
                .iter()
                .map(|c| (c.id, c.ssl))
                .collect(),
            strip_user_at_server: true,
            authentication_type: "Basic".into(),
            key_vault: None,
        }
    }
}

impl MigrationOptions {
    /// The sslMode mapping for a connector.
    pub fn ssl(&self, c: &Connector) -> SslMapping {
        self.ssl
            .iter()
            .find(|(id, _)| *id == c.id)
            .map_or(c.ssl, |(_, m)| *m)
    }

    pub fn ssl_mut(&mut self, c: &Connector) -> &mut SslMapping {
        if !self.ssl.iter().any(|(id, _)| *id == c.id) {
            self.ssl.push((c.id, c.ssl));
        }
        let i = self
            .ssl
            .iter()
            .position(|(id, _)| *id == c.id)
            .expect("pushed");
        &mut self.ssl[i].1
    }

    /// The authenticationType the migration writes for a connector: the configured one where the
    /// connector takes it, else the connector's only value.
    pub fn authentication_type_for(&self, c: &Connector) -> String {
        let allowed = c
            .enums
            .iter()
            .find(|(p, _)| *p == "authenticationType")
            .map(|(_, v)| *v)
            .unwrap_or(&[]);
        if allowed.contains(&self.authentication_type.as_str()) {
            self.authentication_type.clone()
        } else {
            allowed
                .first()
                .map_or_else(|| "Basic".into(), |a| (*a).to_string())
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
    /// `EncryptionMethod=6` (TLS if the server offers it) with certificate validation: the new
    /// generation has no mode that does both (Prefer does not validate, VerifyCA never falls back).
    RequestSslValidated,
    /// The host is not a host name (it holds `=` or `;`: a connection string braced inside the value).
    NotAHost,
}

impl Blocked {
    /// Why, in words naming connector `c`'s generations.
    pub fn reason(&self, c: &Connector) -> String {
        let old = c.generation_name(Generation::Old);
        let new = c.generation_name(Generation::New);
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
                "port and sslMode stay literal in a {new} template, but `{param}` has no value in the parameters \
                 file and {looked}: migrate the linked service in the factory and re-publish, or give \
                 `{param}` its value"
            ),
            Blocked::NoDatabase => format!(
                "the connection string names no database, which {new} requires: add `Database=<name>` to it \
                 (or write `database` by hand)"
            ),
            Blocked::RequestSslValidated => "`EncryptionMethod=6` with `ValidateServerCertificate=1` (TLS when the \
                 server offers it, and then a validated certificate) has no equivalent sslMode: Prefer (2) \
                 validates nothing and VerifyCA (4) never falls back to plain text; choose one by hand \
                 (`SSL Mode=Prefer` or `SSL Mode=VerifyCA`)"
                .into(),
            Blocked::NotAHost => "the host is not a host name (it holds an equals sign or a semicolon, as a \
                 connection string put inside a braced value does): write the host, the port and each \
                 setting as a key of the string itself"
                .into(),
            Blocked::CertificateHostDiffers(cert, server) => format!(
                "{old} checked the server certificate against HostNameInCertificate `{cert}`, but {new}'s \
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

/// The sslMode the migration writes for connector `c`: a number, or an expression kept verbatim.
pub fn ssl_mode(
    cs: &ConnStr,
    c: &Connector,
    opts: &MigrationOptions,
) -> Result<Result<u8, String>, Blocked> {
    if let Some(p) = cs.get(Key::SslMode) {
        if p.is_expression() {
            return Ok(Err(p.value.clone()));
        }
        return connstr::ssl_mode_number(&p.value)
            .map(Ok)
            .ok_or_else(|| Blocked::UnknownSslMode(p.value.clone()));
    }
    let map = opts.ssl(c);
    let em = cs
        .value(Key::EncryptionMethod)
        .map(str::trim)
        .unwrap_or("0");
    let validate = validates_certificate(cs);
    Ok(Ok(match em {
        "0" => map.no_encryption,
        "6" if validate => map.request_validated.ok_or(Blocked::RequestSslValidated)?,
        "6" => map.request,
        "1" if validate => match certificate_host(cs) {
            None => map.validated,
            Some(CertificateHost::Server) => 5,
            Some(CertificateHost::Other(cert)) => {
                let server = cs.value(Key::Server).unwrap_or_default().trim().to_string();
                return Err(Blocked::CertificateHostDiffers(cert, server));
            }
        },
        "1" => map.encrypted,
        other => return Err(Blocked::UnknownEncryptionMethod(other.to_string())),
    }))
}

/// `EncryptionMethod=1` without certificate validation (and no `SSL Mode` deciding instead): the old
/// driver encrypted and checked nothing.
pub(crate) fn encrypts_unvalidated(cs: &ConnStr) -> bool {
    cs.get(Key::SslMode).is_none()
        && cs.value(Key::EncryptionMethod).map(str::trim) == Some("1")
        && !validates_certificate(cs)
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

/// A member the migration writes: its key and value.
pub(crate) struct NewMember {
    pub(crate) key: &'static str,
    pub(crate) value: Value,
}

pub(crate) enum Value {
    Str(String),
    Int(String),
    Bool(bool),
    SecureString(String),
    /// JSON text written as it is (an ARM parameter reference, an object laid out by the caller).
    Raw(String),
    /// The file's own text at this range (a member moved into place), its secrets masked in output.
    Copied(std::ops::Range<usize>),
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The port as the connector writes it: AzurePostgreSql a string (`"5432"`), PostgreSqlV2 an integer
/// (`5432`); an expression, or a value that is no number (the fix gate then holds it back), as a string.
pub(crate) fn port_value(c: &Connector, port: &str) -> Value {
    let t = port.trim();
    match c.port {
        PortForm::Integer if !connstr::is_expression(t) && t.parse::<u16>().is_ok() => {
            Value::Int(t.parse::<u16>().expect("checked").to_string())
        }
        _ => Value::Str(port.to_string()),
    }
}

pub fn migrate(
    text: &str,
    layout: &Layout,
    ls: &LinkedService,
    opts: &MigrationOptions,
) -> Result<Migration, Blocked> {
    let c = ls.connector;
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
    let parsed = connstr::parse_as(&cs_text, c.braced_values);
    if let Some((a, b)) = duplicate_setting(&parsed) {
        return Err(Blocked::DuplicateConnectionKey(a, b));
    }
    let cs = expand_host_url(&parsed)?;
    let server = cs
        .value(Key::Server)
        .filter(|s| !s.trim().is_empty())
        .ok_or(Blocked::NoServer)?;
    if !connstr::is_expression(server) && server.contains(['=', ';']) {
        return Err(Blocked::NotAHost);
    }
    let ssl = ssl_mode(&cs, c, opts)?;
    let tp = ls.type_props().expect("checked by connection_string");
    let existing = |k: &str| tp.member(k).is_some();

    let mut members: Vec<NewMember> = Vec::new();
    let mut push = |key: &'static str, value: Value| {
        if !existing(key) {
            members.push(NewMember { key, value });
        }
    };
    push("server", Value::Str(server.to_string()));
    push("port", port_value(c, cs.value(Key::Port).unwrap_or("5432")));
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
        let strip = c.strips_user_at_server && opts.strip_user_at_server;
        let user = match strip_user_at_server(user, server) {
            Some(u) if strip => u,
            _ => user.to_string(),
        };
        push("username", Value::Str(user));
    }
    push(
        "authenticationType",
        Value::Str(opts.authentication_type_for(c)),
    );
    let password_in_string = cs.get(Key::Password).filter(|p| !p.value.is_empty());
    if let Some(pw) = password_in_string {
        push("password", Value::SecureString(pw.value.clone()));
    }
    for (name, value) in options(&cs, c) {
        push(name, value);
    }
    // the old driver checked nothing over SSL: Npgsql 6 and 7 refuse Require without this
    if opts.ssl(c).trust_when_encrypted && encrypts_unvalidated(&cs) {
        push("trustServerCertificate", Value::Bool(true));
    }
    let dropped = dropped_keys(&cs, c);

    let mut unsafe_reasons = Vec::new();
    if password_in_string.is_some() && existing("password") {
        unsafe_reasons.push(password_twice_note());
    }
    if password_in_string.is_none() && !existing("password") && existing("encryptedCredential") {
        unsafe_reasons.push(ENCRYPTED_CREDENTIAL_NOTE.to_string());
    }
    if !dropped.is_empty() {
        unsafe_reasons.push(format!(
            "connection-string keys with no {} property are dropped: {}",
            c.labels[1],
            dropped.join(", ")
        ));
    }

    let mut edits = vec![generation_edit(text, layout, ls)];
    edits.push(members_edit(
        text,
        layout,
        tp,
        cs_member,
        members,
        c.member_order,
    ));
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
     the `password` property (it is what the new definition reads) and drops the one in the string; check \
     which one is current"
        .to_string()
}

/// The new generation's properties of the string's other options (timeouts, trustServerCertificate …),
/// as connector `c` names them.
fn options(cs: &ConnStr, c: &Connector) -> Vec<(&'static str, Value)> {
    c.options
        .iter()
        .filter_map(|(setting, name)| {
            let key = Key::from_name(setting);
            Some((*name, typed(key, cs.value(key)?)))
        })
        .collect()
}

/// The options as (property, JSON text), for templates.
pub fn option_members(cs: &ConnStr, c: &Connector) -> Vec<(&'static str, String)> {
    options(cs, c)
        .into_iter()
        .map(|(name, v)| (name, value_text(&v)))
        .collect()
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Str(s) | Value::SecureString(s) => json_str(s),
        Value::Int(n) | Value::Raw(n) => n.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Copied(_) => unreachable!("copied with its secrets by members_edit"),
    }
}

/// Keys with no property in connector `c`'s new generation (and the old SSL keys when `SSL Mode`
/// overrides them).
pub fn dropped_keys(cs: &ConnStr, c: &Connector) -> Vec<String> {
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
        .filter(|p| !has_property(p.canon, c) || overridden(p.canon))
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

/// Does the new generation of `c` take the setting `k` (as a property, or as what sslMode is made of)?
/// The connection-string keys a migration to `c`'s new generation maps, for help texts.
pub fn mapped_keys(c: &Connector) -> String {
    let mut keys = vec![
        "host/server",
        "port",
        "database",
        "uid/user",
        "password",
        "SSL Mode",
        "EncryptionMethod",
        "ValidateServerCertificate",
    ];
    keys.extend(c.options.iter().map(|(setting, _)| *setting));
    keys.join(", ")
}

pub fn has_property(k: Key, c: &Connector) -> bool {
    match k {
        Key::Other => false,
        Key::Server
        | Key::Port
        | Key::Database
        | Key::Username
        | Key::Password
        | Key::SslMode
        | Key::EncryptionMethod
        | Key::ValidateServerCertificate
        | Key::HostNameInCertificate => true,
        k => c
            .options
            .iter()
            .any(|(setting, _)| Key::from_name(setting) == k),
    }
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
        Key::TrustServerCertificate | Key::Pooling | Key::LogParameters => {
            match t.to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" => Value::Bool(true),
                "false" | "no" | "0" => Value::Bool(false),
                _ => Value::Str(v.to_string()),
            }
        }
        Key::SslPassword => Value::SecureString(v.to_string()),
        _ => Value::Str(v.to_string()),
    }
}

/// What says the new generation: `"version": "2.0"` right after `type` (or the existing `version`
/// value replaced) for a versioned connector; the new type name for one whose generations are types.
pub fn generation_edit(text: &str, layout: &Layout, ls: &LinkedService) -> Edit {
    let ty = ls
        .props
        .member("type")
        .expect("a linked service has a type");
    if ls.connector.marker == Marker::Type {
        return Edit::replace(ty.value.span.clone(), json_str(ls.connector.ls_types[1]));
    }
    if let Some(v) = ls.props.member("version") {
        return Edit::replace(v.value.span.clone(), "\"2.0\"");
    }
    let l = member_layout(text, ty);
    let text = if l.multiline {
        format!(",{}{}\"version\"{}\"2.0\"", layout.eol, l.lead, l.sep)
    } else {
        format!(", \"version\"{}\"2.0\"", l.sep)
    };
    Edit::replace(ty.value.span.end..ty.value.span.end, text)
}

/// Replace the `connectionString` member with the new members, laid out like it and in the connector's
/// `order`. An existing member of `tp` that `order` puts among the new members (a Key Vault `password`,
/// which PostgreSqlV2 writes after `username`) moves into place, its text as written, whether it sat
/// before or after the connection string; the members between it and the connection string stay, as
/// they were, before (or after) the new block. Every new member `order` does not name comes after the
/// ordered ones.
pub(crate) fn members_edit(
    text: &str,
    layout: &Layout,
    tp: &Node,
    cs: &Member,
    members: Vec<NewMember>,
    order: &[&str],
) -> Edit {
    let all = tp.members().unwrap_or_default();
    let at = all
        .iter()
        .position(|m| std::ptr::eq(m, cs))
        .expect("a member of typeProperties");
    let (before, after) = (&all[..at], &all[at + 1..]);
    let position = |k: &str| order.iter().position(|o| *o == k);
    let new_positions = || members.iter().filter_map(|m| position(m.key));
    // an existing member moves when the order puts it after a new member (it sat before the string) or
    // before one (it sat after)
    let (first_new, last_new) = (new_positions().min(), new_positions().max());
    let moved_before: Vec<&Member> = before
        .iter()
        .filter(|m| position(&m.key).zip(first_new).is_some_and(|(p, f)| p > f))
        .collect();
    let moved_after: Vec<&Member> = after
        .iter()
        .filter(|m| position(&m.key).zip(last_new).is_some_and(|(p, l)| p < l))
        .collect();
    let mut written: Vec<(String, Value)> = members
        .into_iter()
        .map(|m| (m.key.to_string(), m.value))
        .collect();
    written.extend(
        moved_before
            .iter()
            .chain(&moved_after)
            .map(|m| (m.key.clone(), Value::Copied(m.value.span.clone()))),
    );
    // ordered members first, in the order; the others after them, as pushed
    written.sort_by_key(|(k, _)| position(k).unwrap_or(usize::MAX));
    // the block runs from the first moved member before the string to the last moved one after it; the
    // members in between that do not move are kept, on their side of the new ones
    let start = moved_before
        .first()
        .map_or(cs.span().start, |m| m.span().start);
    let end = moved_after.last().map_or(cs.span().end, |m| m.span().end);
    let moved = |m: &Member| {
        moved_before
            .iter()
            .chain(&moved_after)
            .any(|x| std::ptr::eq(*x, m))
    };
    let kept_before: Vec<&Member> = before
        .iter()
        .filter(|m| m.span().start >= start && !moved(m))
        .collect();
    let kept: Vec<&Member> = after
        .iter()
        .take_while(|m| m.span().end <= end)
        .filter(|m| !moved(m))
        .collect();
    let l = member_layout(text, cs);
    let joiner = if l.multiline {
        format!(",{}{}", layout.eol, l.lead)
    } else {
        ", ".to_string()
    };
    // the file's text copied into the edit keeps its secrets marked, so that every output masks them
    let file_secrets = crate::mask::secret_spans(text, tp);
    let copy =
        |out: &mut String, secrets: &mut Vec<std::ops::Range<usize>>, r: std::ops::Range<usize>| {
            let at = out.len();
            out.push_str(&text[r.clone()]);
            secrets.extend(
                file_secrets
                    .iter()
                    .filter(|s| s.start >= r.start && s.end <= r.end)
                    .map(|s| s.start - r.start + at..s.end - r.start + at),
            );
        };
    let mut out = String::new();
    let mut secrets = Vec::new();
    for m in kept_before {
        copy(&mut out, &mut secrets, m.span());
        out.push_str(&joiner);
    }
    for (i, (key, value)) in written.iter().enumerate() {
        if i > 0 {
            out.push_str(&joiner);
        }
        out.push_str(&json_str(key));
        out.push_str(&l.sep);
        match value {
            Value::SecureString(secret) => {
                secure_string(&mut out, &mut secrets, secret, layout, &l);
            }
            Value::Copied(r) => copy(&mut out, &mut secrets, r.clone()),
            v => out.push_str(&value_text(v)),
        }
    }
    for m in kept {
        out.push_str(&joiner);
        copy(&mut out, &mut secrets, m.span());
    }
    Edit {
        start: (0, 0),
        end: (0, 0),
        range: start..end,
        text: out,
        secrets,
    }
}

/// `{"type": "SecureString", "value": secret}` laid out like its member, the secret's span recorded.
fn secure_string(
    out: &mut String,
    secrets: &mut Vec<std::ops::Range<usize>>,
    secret: &str,
    layout: &Layout,
    l: &crate::source::adf::MemberLayout,
) {
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
    let start = out.len() + 1;
    out.push_str(&json_str(secret));
    secrets.push(start..out.len() - 1);
    out.push_str(&close);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::document::Document;

    /// A reason is the tool's own words: masking by content (every message is masked so) must find
    /// nothing in it to hide, for every connector, or a user is held back with no reason to read.
    #[test]
    fn reasons_survive_masking() {
        let s = || "x".to_string();
        let all = [
            Blocked::NoTypeProperties,
            Blocked::NoConnectionString,
            Blocked::KeyVaultConnectionString,
            Blocked::ExpressionConnectionString,
            Blocked::MaskedConnectionString,
            Blocked::WrongType("number"),
            Blocked::NoServer,
            Blocked::UnknownSslMode(s()),
            Blocked::UnknownEncryptionMethod(s()),
            Blocked::LinkedTemplate,
            Blocked::DuplicateKey("port".into()),
            Blocked::DuplicateConnectionKey("Host".into(), "Server".into()),
            Blocked::NoDatabase,
            Blocked::HostUrl("it names no host".into()),
            Blocked::ArmValuesUnknown("pg_connectionString".into(), s()),
            Blocked::CertificateHostDiffers("db.example.com".into(), "10.0.0.1".into()),
            Blocked::RequestSslValidated,
            Blocked::NotAHost,
        ];
        for c in crate::connector::ALL {
            for b in &all {
                let r = b.reason(c);
                assert_eq!(crate::mask::redact(&r), r, "{b:?} for {}", c.id);
            }
        }
    }

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
