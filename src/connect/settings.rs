//! What `test-connection` connects to: host, port, database, user, sslMode, trustServerCertificate and
//! where the secret is, resolved from a 2.0 linked service's properties, a 1.0 connection string, or (with
//! `--as-migrated`) the text the 1.0 → 2.0 migration writes, re-read as 2.0. Linked-service parameters
//! (`@{linkedService().X}`, `@linkedService().X`) are substituted from `--param`, else from the
//! parameter's `defaultValue`; anything else that is only known at run time is reported, never guessed.
//!
//! Pure code: no network, no TLS; compiled with or without the `test-connection` feature.

use crate::finding::apply_edits;
use crate::fix::migrate::{self, MigrationOptions};
use crate::source::adf::{self, LinkedService, Version};
use crate::source::connstr::{self, Key};
use crate::source::document::Document;
use crate::source::json::{Kind, Node};

/// The six libpq sslmodes, numbered as the 2.0 `sslMode` property numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub const ALL: [SslMode; 6] = [
        SslMode::Disable,
        SslMode::Allow,
        SslMode::Prefer,
        SslMode::Require,
        SslMode::VerifyCa,
        SslMode::VerifyFull,
    ];

    pub fn from_number(n: u8) -> Option<SslMode> {
        Self::ALL.get(usize::from(n)).copied()
    }

    pub fn number(self) -> u8 {
        self as u8
    }

    /// The 2.0 name (`VerifyCA`), as ADF Studio shows it.
    pub fn adf_name(self) -> &'static str {
        connstr::SSL_MODE_NAMES[usize::from(self.number())]
    }

    /// libpq's name (`verify-ca`), as `psql "sslmode=…"` takes it.
    pub fn libpq_name(self) -> &'static str {
        [
            "disable",
            "allow",
            "prefer",
            "require",
            "verify-ca",
            "verify-full",
        ][usize::from(self.number())]
    }
}

/// Where the tested settings come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    V2,
    V1,
    AsMigrated,
}

impl Origin {
    /// Where the settings come from, in the connector's words (`version 1.0 connection string`,
    /// `legacy PostgreSql connection string` …).
    pub fn describe(self, c: &crate::connector::Connector) -> String {
        let generation = |i: usize| match c.marker {
            crate::connector::Marker::Version => format!("version {}", c.labels[i]),
            crate::connector::Marker::Type if i == 0 => format!("legacy {}", c.ls_types[0]),
            crate::connector::Marker::Type => c.ls_types[1].to_string(),
        };
        match self {
            Origin::V2 => format!("{} properties", generation(1)),
            Origin::V1 => format!("{} connection string", generation(0)),
            Origin::AsMigrated => format!(
                "{}, as migrated to {} by --fix",
                generation(0),
                c.generation_name(crate::connector::Generation::New)
            ),
        }
    }
}

/// What the file says about the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A literal in the file (a `SecureString` value, or `password=` in a 1.0 connection string).
    Literal(String),
    KeyVault {
        store: String,
        secret_name: String,
    },
    /// Only in `encryptedCredential`, which only the integration runtime can decrypt.
    EncryptedCredential,
    /// A masked placeholder (`**********`).
    Masked,
    None,
}

impl Secret {
    /// Why the file's secret cannot be used, for the message that asks for `--password-env`.
    pub fn unavailable_reason(&self) -> Option<String> {
        match self {
            Secret::Literal(_) | Secret::None => None,
            Secret::KeyVault { store, secret_name } => Some(format!(
                "the Key Vault secret `{secret_name}` (via linked service `{store}`) holds the password, and this tool does not read Key Vault"
            )),
            Secret::EncryptedCredential => Some(
                "only `encryptedCredential` holds the password, and only the integration runtime can decrypt it"
                    .into(),
            ),
            Secret::Masked => Some("the file holds a masked placeholder instead of the password".into()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    Basic,
    /// Microsoft Entra ID (`ServicePrincipal`, `SystemAssignedManagedIdentity`,
    /// `UserAssignedManagedIdentity`): an access token is sent as the password.
    Entra(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub linked_service: String,
    pub connector: &'static crate::connector::Connector,
    pub origin: Origin,
    pub host: String,
    pub port: u16,
    pub database: String,
    pub username: String,
    pub ssl_mode: SslMode,
    pub trust_server_certificate: bool,
    pub auth: Auth,
    pub secret: Secret,
    /// The file's `timeout` / `connectionTimeout` (seconds), when it is a number.
    pub timeout: Option<u64>,
    /// How values were derived (defaults used, parameters substituted, overrides).
    pub notes: Vec<String>,
}

/// What the command line adds.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// `--param NAME=VALUE`, in order.
    pub params: Vec<(String, String)>,
    pub as_migrated: bool,
    /// `--host-override HOST[:PORT]`.
    pub host_override: Option<(String, Option<u16>)>,
}

/// Parse `NAME=VALUE`.
pub fn parse_param(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((n, v)) if !n.trim().is_empty() => Ok((n.trim().to_string(), v.to_string())),
        _ => Err(format!("`--param {s}`: expected NAME=VALUE")),
    }
}

/// Parse `HOST`, `HOST:PORT`, `[v6]` or `[v6]:PORT`.
pub fn parse_host_override(s: &str) -> Result<(String, Option<u16>), String> {
    let bad = || format!("`--host-override {s}`: expected HOST[:PORT] (IPv6 as [ADDR]:PORT)");
    let port = |p: &str| p.parse::<u16>().ok().filter(|n| *n > 0).ok_or_else(bad);
    if let Some(rest) = s.strip_prefix('[') {
        let (h, tail) = rest.split_once(']').ok_or_else(bad)?;
        return match tail {
            "" => Ok((h.to_string(), None)),
            t => Ok((
                h.to_string(),
                Some(port(t.strip_prefix(':').ok_or_else(bad)?)?),
            )),
        };
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && !h.is_empty() => Ok((h.to_string(), Some(port(p)?))),
        Some(_) => Err(bad()),
        None if !s.is_empty() => Ok((s.to_string(), None)),
        None => Err(bad()),
    }
}

/// Resolve the settings of the (first) PostgreSQL linked service in a file's bytes (AzurePostgreSql 1.0 or
/// 2.0, the legacy PostgreSql, PostgreSqlV2).
pub fn resolve(bytes: Vec<u8>, inputs: &Inputs) -> Result<Settings, String> {
    let doc = Document::decode(bytes).map_err(|e| e.message())?;
    let root = doc.parse().map_err(|e| {
        let (line, col) = crate::source::document::line_col(&doc.text, e.offset);
        format!("invalid JSON at line {line}, column {col}: {}", e.message)
    })?;
    let services = adf::linked_services(&root);
    let Some(ls) = services.first() else {
        return Err(if adf::is_arm_template(&root) {
            "this is an ARM template; test the linked service's own file (linkedService/NAME.json) instead"
                .into()
        } else {
            "the file holds no PostgreSQL linked service (AzurePostgreSql, PostgreSql or PostgreSqlV2)".into()
        });
    };
    match ls.version() {
        Version::Unknown => Err(format!(
            "linked service `{}` has a `version` this tool does not know (expected \"1.0\" or \"2.0\")",
            ls.name
        )),
        Version::V2 => {
            let mut s = read_v2(ls, inputs, Origin::V2)?;
            if inputs.as_migrated {
                s.notes.insert(
                    0,
                    format!("--as-migrated: the file is already {}", ls.version_label()),
                );
            }
            Ok(s)
        }
        Version::V1 if inputs.as_migrated => {
            let m = migrate::migrate(&doc.text, &doc.layout(), ls, &MigrationOptions::default())
                .map_err(|b| {
                    format!(
                        "--as-migrated: linked service `{}` cannot be migrated: {}",
                        ls.name,
                        b.reason(ls.connector)
                    )
                })?;
            let edits: Vec<_> = m.edits.iter().collect();
            let (text, _) = apply_edits(&doc.text, &edits);
            let new = Document::decode(text.into_bytes()).map_err(|e| e.message())?;
            let root = new.parse().map_err(|e| {
                format!(
                    "--as-migrated: the migration produced invalid JSON: {}",
                    e.message
                )
            })?;
            let services = adf::linked_services(&root);
            let ls2 = services
                .first()
                .ok_or("--as-migrated: the migrated text lost its linked service")?;
            let mut s = read_v2(ls2, inputs, Origin::AsMigrated)?;
            for r in m.unsafe_reasons {
                s.notes.push(format!("migration: {r}"));
            }
            Ok(s)
        }
        Version::V1 => read_v1(ls, inputs),
    }
}

/// Parameter values: `--param` first, then the declared `defaultValue`s.
struct Params {
    given: Vec<(String, String)>,
    defaults: Vec<(String, String)>,
    /// Names substituted, with where the value came from, for the notes.
    used: Vec<String>,
    missing: Vec<(String, &'static str)>,
    unsupported: Vec<(String, &'static str)>,
}

impl Params {
    fn new(ls: &LinkedService, given: &[(String, String)]) -> Params {
        let mut defaults = Vec::new();
        if let Some(members) = ls.props.get("parameters").and_then(Node::members) {
            for m in members {
                if let Some(v) = m.value.get("defaultValue").and_then(scalar) {
                    defaults.push((m.key.clone(), v));
                }
            }
        }
        Params {
            given: given.to_vec(),
            defaults,
            used: Vec::new(),
            missing: Vec::new(),
            unsupported: Vec::new(),
        }
    }

    fn lookup(&mut self, name: &str, field: &'static str) -> Option<String> {
        let find = |list: &[(String, String)]| {
            list.iter()
                .rev()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        if let Some(v) = find(&self.given) {
            if crate::mask::secret_name(name) || field == "password" {
                crate::mask::register_secret(&v);
            }
            push_unique(&mut self.used, format!("{name} from --param"));
            return Some(v);
        }
        if let Some(v) = find(&self.defaults) {
            // a secret's default is used, never shown
            let shown = if crate::mask::secret_name(name) || field == "password" {
                crate::mask::register_secret(&v);
                format!("{name} from its defaultValue")
            } else {
                format!("{name} from its defaultValue `{}`", crate::mask::redact(&v))
            };
            push_unique(&mut self.used, shown);
            return Some(v);
        }
        if !self
            .missing
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            self.missing.push((name.to_string(), field));
        }
        None
    }

    /// Substitute the linked-service parameters in a value; `None` when something is missing or
    /// cannot be evaluated (recorded, and reported together by `finish`).
    fn subst(&mut self, value: &str, field: &'static str) -> Option<String> {
        if let Some(rest) = value.strip_prefix("@@") {
            return Some(format!("@{rest}"));
        }
        if let Some(body) = value.strip_prefix('@')
            && !body.starts_with('{')
        {
            return match param_name(body) {
                Some(name) => self.lookup(name, field),
                None => {
                    self.unsupported.push((value.to_string(), field));
                    None
                }
            };
        }
        let mut out = String::new();
        let mut rest = value;
        let mut ok = true;
        while let Some(i) = rest.find("@{") {
            out.push_str(&rest[..i]);
            let after = &rest[i + 2..];
            let Some(end) = after.find('}') else {
                self.unsupported.push((value.to_string(), field));
                return None;
            };
            match param_name(&after[..end]) {
                Some(name) => match self.lookup(name, field) {
                    Some(v) => out.push_str(&v),
                    None => ok = false,
                },
                None => {
                    self.unsupported.push((value.to_string(), field));
                    return None;
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        ok.then_some(out)
    }

    fn finish(&self, notes: &mut Vec<String>) -> Result<(), String> {
        let mut errors = Vec::new();
        if !self.missing.is_empty() {
            let list: Vec<String> = self
                .missing
                .iter()
                .map(|(n, f)| format!("`{n}` (used in {f})"))
                .collect();
            let example = &self.missing[0].0;
            let hint = if self
                .missing
                .iter()
                .any(|(n, f)| crate::mask::secret_name(n) || *f == "password")
            {
                format!(
                    "pass --param-env {example}=VAR with the value in environment variable VAR (secrets never go on the command line)"
                )
            } else {
                format!("pass --param {example}=VALUE")
            };
            errors.push(format!(
                "linked-service parameter{} not supplied and without a defaultValue: {}; {hint}",
                if self.missing.len() == 1 { "" } else { "s" },
                list.join(", "),
            ));
        }
        for (expr, field) in &self.unsupported {
            // an expression for a secret may hold the secret itself (`@concat('pa', 'ss')`): not shown
            let expr = if *field == "password" || crate::mask::secret_name(field) {
                "(not shown: it is the password)".to_string()
            } else {
                format!("`{}`", crate::mask::redact(expr))
            };
            errors.push(format!(
                "{field} is the expression {expr}, which only a pipeline run can evaluate; only \
                 @{{linkedService().NAME}} parameters can be substituted (--param NAME=VALUE){}",
                if matches!(*field, "server" | "port") {
                    ", or give the address with --host-override HOST:PORT"
                } else {
                    ""
                }
            ));
        }
        if !errors.is_empty() {
            return Err(errors.join("\n"));
        }
        if !self.used.is_empty() {
            notes.push(format!("parameters: {}", self.used.join(", ")));
        }
        Ok(())
    }
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

/// `linkedService().NAME` (spaces allowed around the parts) → NAME.
fn param_name(expr: &str) -> Option<&str> {
    let e = expr.trim();
    let (head, name) = e.split_once('.')?;
    let head: String = head.chars().filter(|c| !c.is_whitespace()).collect();
    let name = name.trim();
    (head.eq_ignore_ascii_case("linkedService()")
        && !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
    .then_some(name)
}

/// A scalar JSON value as text (strings as they are, numbers as written, booleans).
fn scalar(n: &Node) -> Option<String> {
    match &n.kind {
        Kind::String { value, .. } => Some(value.clone()),
        Kind::Number(s) => Some(s.clone()),
        Kind::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A `typeProperties` value as text: a scalar, or the `value` of an `{"type": "Expression"}` object.
fn tp_text(ls: &LinkedService, key: &str) -> Option<String> {
    let n = &ls.tp(key)?.value;
    if n.str_at("type") == Some("Expression") {
        return n.str_at("value").map(str::to_string);
    }
    scalar(n)
}

fn parse_port(s: &str) -> Result<u16, String> {
    s.trim()
        .parse::<u16>()
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| format!("port `{s}` is not a number from 1 to 65535"))
}

fn parse_bool(s: &str, what: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Ok(true),
        "false" | "no" | "0" => Ok(false),
        _ => Err(format!("{what} `{s}` is not true or false")),
    }
}

fn is_masked(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c == '*')
}

/// The secret a `password` (or other secret) member holds.
fn secret_of(n: &Node) -> Secret {
    if adf::is_key_vault_ref(n) {
        return Secret::KeyVault {
            store: n
                .get("store")
                .and_then(|s| s.str_at("referenceName"))
                .unwrap_or("?")
                .to_string(),
            secret_name: n
                .get("secretName")
                .and_then(scalar)
                .unwrap_or_else(|| "?".into()),
        };
    }
    let value = match &n.kind {
        Kind::String { value, .. } => Some(value.as_str()),
        Kind::Object(_) => n.str_at("value"),
        _ => None,
    };
    match value {
        Some(v) if is_masked(v) => Secret::Masked,
        Some(v) => Secret::Literal(v.to_string()),
        None => Secret::None,
    }
}

/// The note for `--host-override`, given the file's own (unsubstituted) server and port.
fn override_note(s: &mut Settings, inputs: &Inputs, server: Option<String>, port: Option<String>) {
    if inputs.host_override.is_some() {
        s.notes.push(format!(
            "--host-override: connecting to {}:{} instead of the file's {}:{}; the certificate is checked against `{}`",
            s.host,
            s.port,
            server.unwrap_or_else(|| "(no server)".into()),
            port.unwrap_or_else(|| "5432".into()),
            s.host
        ));
    }
}

fn read_v2(ls: &LinkedService, inputs: &Inputs, origin: Origin) -> Result<Settings, String> {
    if ls.type_props().is_none() {
        return Err(format!(
            "linked service `{}` has no `typeProperties` object",
            ls.name
        ));
    }
    let mut notes = Vec::new();
    let mut p = Params::new(ls, &inputs.params);
    let overridden = inputs.host_override.as_ref();
    let mut field = |key: &str, label: &'static str| -> Option<String> {
        tp_text(ls, key).and_then(|v| p.subst(&v, label))
    };
    let host = match overridden {
        Some((h, _)) => Some(h.clone()),
        None => field("server", "server"),
    };
    let port = match overridden {
        Some((_, Some(port))) => Some(port.to_string()),
        _ => field("port", "port"),
    };
    let database = field("database", "database");
    let username = field("username", "username");
    let ssl = field("sslMode", "sslMode");
    let trust = field("trustServerCertificate", "trustServerCertificate");
    let timeout = tp_text(ls, "timeout")
        .or_else(|| tp_text(ls, "connectionTimeout"))
        .and_then(|v| v.trim().parse::<u64>().ok());
    // a SecureString password written as @{linkedService().NAME} is the parameter's value
    let password_from_parameter = ls
        .tp("password")
        .and_then(|m| match &m.value.kind {
            Kind::String { value, .. } => Some(value.clone()),
            Kind::Object(_) => m.value.str_at("value").map(str::to_string),
            _ => None,
        })
        .filter(|v| connstr::is_expression(v))
        .and_then(|v| p.subst(&v, "password"));
    p.finish(&mut notes)?;
    let present = |k: &str| ls.tp(k).is_some();

    let host = match host {
        Some(h) if !h.trim().is_empty() => h.trim().to_string(),
        _ if present("server") => return Err("`server` is empty".into()),
        _ => {
            return Err(format!(
                "linked service `{}` has no `server` (use --host-override HOST:PORT to give one)",
                ls.name
            ));
        }
    };
    let port = match port {
        Some(p) => parse_port(&p)?,
        None => {
            notes.push("`port` is absent: using 5432".into());
            5432
        }
    };
    let database = database
        .filter(|d| !d.is_empty())
        .ok_or_else(|| format!("linked service `{}` has no `database`", ls.name))?;
    let username = username
        .filter(|u| !u.is_empty())
        .ok_or_else(|| format!("linked service `{}` has no `username`", ls.name))?;
    let ssl_mode = v2_ssl_mode(ssl, &mut notes)?;
    let trust_server_certificate = match trust {
        Some(v) => parse_bool(&v, "trustServerCertificate")?,
        None => false,
    };
    let auth = v2_auth(ls)?;
    let secret = match &auth {
        Auth::Entra(_) => Secret::None,
        Auth::Basic => match ls.tp("password") {
            Some(_) if password_from_parameter.is_some() => {
                let v = password_from_parameter.expect("checked");
                crate::mask::register_secret(&v);
                Secret::Literal(v)
            }
            Some(m) => secret_of(&m.value),
            None if ls.tp("encryptedCredential").is_some() => Secret::EncryptedCredential,
            None => Secret::None,
        },
    };
    let mut s = Settings {
        linked_service: ls.name.to_string(),
        connector: ls.connector,
        origin,
        host,
        port,
        database,
        username,
        ssl_mode,
        trust_server_certificate,
        auth,
        secret,
        timeout,
        notes,
    };
    override_note(&mut s, inputs, tp_text(ls, "server"), tp_text(ls, "port"));
    Ok(s)
}

fn read_v1(ls: &LinkedService, inputs: &Inputs) -> Result<Settings, String> {
    let (_, _, text) = migrate::connection_string(ls).map_err(|b| {
        format!(
            "linked service `{}`: {} (a connection string is needed to test a {} linked service)",
            ls.name,
            b.reason(ls.connector),
            ls.version_label()
        )
    })?;
    let cs = connstr::parse_as(&text, ls.connector.braced_values);
    let mut notes = Vec::new();
    let mut p = Params::new(ls, &inputs.params);
    let overridden = inputs.host_override.as_ref();
    let mut value = |key: Key, label: &'static str| -> Option<String> {
        cs.value(key).and_then(|v| p.subst(v, label))
    };
    let host = match overridden {
        Some((h, _)) => Some(h.clone()),
        None => value(Key::Server, "server"),
    };
    let port = match overridden {
        Some((_, Some(port))) => Some(port.to_string()),
        _ => value(Key::Port, "port"),
    };
    let database = value(Key::Database, "database");
    let username = value(Key::Username, "username");
    let ssl_name = value(Key::SslMode, "sslMode");
    let em = value(Key::EncryptionMethod, "EncryptionMethod");
    let vsc = value(Key::ValidateServerCertificate, "ValidateServerCertificate");
    let trust = value(Key::TrustServerCertificate, "Trust Server Certificate");
    let password = value(Key::Password, "password");
    let timeout = value(Key::Timeout, "timeout").and_then(|v| v.trim().parse::<u64>().ok());
    p.finish(&mut notes)?;

    let host = host
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .ok_or_else(|| {
            format!(
                "linked service `{}`: the connection string names no host",
                ls.name
            )
        })?;
    let port = match port {
        Some(p) => parse_port(&p)?,
        None => 5432,
    };
    let database = database.filter(|d| !d.is_empty()).ok_or_else(|| {
        format!(
            "linked service `{}`: the connection string names no database",
            ls.name
        )
    })?;
    let username = username.filter(|u| !u.is_empty()).ok_or_else(|| {
        format!(
            "linked service `{}`: the connection string names no user (uid)",
            ls.name
        )
    })?;
    let ssl_mode = v1_ssl_mode(ssl_name, em, vsc, &mut notes)?;
    let trust_server_certificate = match trust {
        Some(v) => parse_bool(&v, "Trust Server Certificate")?,
        None => false,
    };
    let secret = match password.filter(|p| !p.is_empty()) {
        Some(pw) if is_masked(&pw) => Secret::Masked,
        Some(pw) => Secret::Literal(pw),
        None => match ls.tp("password") {
            Some(m) => secret_of(&m.value),
            None if ls.tp("encryptedCredential").is_some() => Secret::EncryptedCredential,
            None => Secret::None,
        },
    };
    let mut s = Settings {
        linked_service: ls.name.to_string(),
        connector: ls.connector,
        origin: Origin::V1,
        host,
        port,
        database,
        username,
        ssl_mode,
        trust_server_certificate,
        auth: Auth::Basic,
        secret,
        timeout,
        notes,
    };
    override_note(
        &mut s,
        inputs,
        cs.value(Key::Server).map(str::to_string),
        cs.value(Key::Port).map(str::to_string),
    );
    Ok(s)
}

/// A 2.0 `sslMode` (a number, or a libpq name); absent is the connector's default, 2 (Prefer).
fn v2_ssl_mode(ssl: Option<String>, notes: &mut Vec<String>) -> Result<SslMode, String> {
    Ok(match ssl {
        Some(v) => {
            let t = v.trim();
            t.parse::<u8>()
                .ok()
                .and_then(SslMode::from_number)
                .or_else(|| connstr::ssl_mode_number(t).and_then(SslMode::from_number))
                .ok_or_else(|| format!("sslMode `{v}` is not 0 to 5"))?
        }
        None => {
            notes.push("`sslMode` is absent: using 2 (Prefer), the connector's default".into());
            SslMode::Prefer
        }
    })
}

/// A 2.0 `authenticationType`: a password, or an Entra token as the password.
fn v2_auth(ls: &LinkedService) -> Result<Auth, String> {
    let auth_type = ls
        .tp("authenticationType")
        .and_then(|m| m.value.as_str())
        .unwrap_or("Basic");
    Ok(match auth_type {
        "Basic" | "BasicAuth" => Auth::Basic,
        "ServicePrincipal" | "SystemAssignedManagedIdentity" | "UserAssignedManagedIdentity" => {
            Auth::Entra(auth_type.to_string())
        }
        other => {
            return Err(format!(
                "authenticationType `{other}` is not one this tool knows"
            ));
        }
    })
}

/// A 1.0 connection string's TLS: Npgsql's `SSL Mode` as written, else the 1.0 driver's
/// `EncryptionMethod` and `ValidateServerCertificate` (the note says how it was read).
fn v1_ssl_mode(
    ssl_name: Option<String>,
    em: Option<String>,
    vsc: Option<String>,
    notes: &mut Vec<String>,
) -> Result<SslMode, String> {
    Ok(if let Some(name) = ssl_name {
        connstr::ssl_mode_number(&name)
            .and_then(SslMode::from_number)
            .ok_or_else(|| format!("`SSL Mode={name}` is not a mode this tool knows"))?
    } else {
        let em = em.as_deref().map(str::trim).unwrap_or("0").to_string();
        let validate =
            vsc.is_some_and(|v| parse_bool(&v, "ValidateServerCertificate").unwrap_or(false));
        let mode = match (em.as_str(), validate) {
            ("0", _) => SslMode::Disable,
            ("6", _) => SslMode::Prefer,
            ("1", false) => SslMode::Require,
            ("1", true) => SslMode::VerifyCa,
            (other, _) => return Err(format!("`EncryptionMethod={other}` is not 0, 1 or 6")),
        };
        notes.push(format!(
            "EncryptionMethod={em}{}: tested as sslmode {} ({}), as the old driver meant it; --as-migrated tests what the migrated definition would use",
            if validate { ", ValidateServerCertificate=1" } else { "" },
            mode.libpq_name(),
            match mode {
                SslMode::Disable => "the old driver's default: no encryption",
                SslMode::Prefer => "RequestSSL: TLS when the server offers it",
                SslMode::Require => "TLS, certificate not validated",
                _ => "TLS, certificate chain validated",
            }
        ));
        mode
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve_str(json: &str, inputs: &Inputs) -> Result<Settings, String> {
        resolve(json.as_bytes().to_vec(), inputs)
    }

    const V2: &str = r#"{"name":"Pg","properties":{"type":"AzurePostgreSql","version":"2.0","typeProperties":{
        "server":"pg.postgres.database.azure.com","port":"6432","database":"sales","sslMode":5,
        "username":"etl","authenticationType":"Basic","trustServerCertificate":true,
        "password":{"type":"AzureKeyVaultSecret","store":{"referenceName":"KV","type":"LinkedServiceReference"},"secretName":"pg-pw"}}}}"#;

    #[test]
    fn v2_properties() {
        let s = resolve_str(V2, &Inputs::default()).unwrap();
        assert_eq!(s.origin, Origin::V2);
        assert_eq!(
            (
                s.host.as_str(),
                s.port,
                s.database.as_str(),
                s.username.as_str()
            ),
            ("pg.postgres.database.azure.com", 6432, "sales", "etl")
        );
        assert_eq!(s.ssl_mode, SslMode::VerifyFull);
        assert!(s.trust_server_certificate);
        assert_eq!(
            s.secret,
            Secret::KeyVault {
                store: "KV".into(),
                secret_name: "pg-pw".into()
            }
        );
        assert!(s.secret.unavailable_reason().unwrap().contains("Key Vault"));
    }

    #[test]
    fn v1_uses_the_1_0_driver_semantics_and_as_migrated_the_2_0_ones() {
        let v1 = r#"{"name":"Old","properties":{"type":"AzurePostgreSql","typeProperties":{
            "connectionString":"host=pg.postgres.database.azure.com;port=5432;database=db;uid=etl@pg;encryptionmethod=0;password=pw"}}}"#;
        let s = resolve_str(v1, &Inputs::default()).unwrap();
        assert_eq!(s.origin, Origin::V1);
        assert_eq!(s.ssl_mode, SslMode::Disable);
        assert_eq!(s.username, "etl@pg");
        assert_eq!(s.secret, Secret::Literal("pw".into()));
        let m = resolve_str(
            v1,
            &Inputs {
                as_migrated: true,
                ..Inputs::default()
            },
        )
        .unwrap();
        assert_eq!(m.origin, Origin::AsMigrated);
        assert_eq!(m.ssl_mode, SslMode::Prefer);
        assert_eq!(m.username, "etl");
        assert_eq!(m.secret, Secret::Literal("pw".into()));
        let vsc = v1.replace(
            "encryptionmethod=0",
            "EncryptionMethod=1;ValidateServerCertificate=1",
        );
        assert_eq!(
            resolve_str(&vsc, &Inputs::default()).unwrap().ssl_mode,
            SslMode::VerifyCa
        );
        let npgsql = v1.replace(
            "encryptionmethod=0",
            "SSL Mode=VerifyFull;Trust Server Certificate=true",
        );
        let n = resolve_str(&npgsql, &Inputs::default()).unwrap();
        assert_eq!(n.ssl_mode, SslMode::VerifyFull);
        assert!(n.trust_server_certificate);
    }

    #[test]
    fn parameters_from_the_command_line_defaults_or_reported_missing() {
        let f = r#"{"name":"P","properties":{"type":"AzurePostgreSql",
            "parameters":{"DbName":{"type":"String","defaultValue":"staging"},"Host":{"type":"String"}},
            "typeProperties":{"connectionString":"host=@{linkedService().Host};database=@{linkedService().DbName};uid=u"}}}"#;
        let err = resolve_str(f, &Inputs::default()).unwrap_err();
        assert!(err.contains("`Host` (used in server)"), "{err}");
        assert!(err.contains("--param Host=VALUE"), "{err}");
        let s = resolve_str(
            f,
            &Inputs {
                params: vec![("host".into(), "db.example".into())],
                ..Inputs::default()
            },
        )
        .unwrap();
        assert_eq!(s.host, "db.example");
        assert_eq!(s.database, "staging");
        assert!(
            s.notes
                .iter()
                .any(|n| n.contains("DbName from its defaultValue"))
        );
        let whole = f.replace("@{linkedService().Host}", "@linkedService().Host");
        let s = resolve_str(
            &whole,
            &Inputs {
                params: vec![("Host".into(), "h2".into()), ("DbName".into(), "d2".into())],
                ..Inputs::default()
            },
        )
        .unwrap();
        assert_eq!((s.host.as_str(), s.database.as_str()), ("h2", "d2"));
        let pipeline = f.replace("@{linkedService().Host}", "@{pipeline().parameters.h}");
        let err = resolve_str(&pipeline, &Inputs::default()).unwrap_err();
        assert!(err.contains("only a pipeline run can evaluate"), "{err}");
        assert!(err.contains("--host-override"), "{err}");
    }

    #[test]
    fn host_override_and_entra_and_errors() {
        let s = resolve_str(
            V2,
            &Inputs {
                host_override: Some(("localhost".into(), Some(55432))),
                ..Inputs::default()
            },
        )
        .unwrap();
        assert_eq!((s.host.as_str(), s.port), ("localhost", 55432));
        let sp = V2.replace("\"Basic\"", "\"ServicePrincipal\"");
        let s = resolve_str(&sp, &Inputs::default()).unwrap();
        assert_eq!(s.auth, Auth::Entra("ServicePrincipal".into()));
        assert_eq!(s.secret, Secret::None);
        assert!(
            resolve_str(
                r#"{"name":"x","properties":{"type":"PostgreSqlV2"}}"#,
                &Inputs::default()
            )
            .is_err()
        );
        assert!(
            resolve_str("{", &Inputs::default())
                .unwrap_err()
                .contains("invalid JSON")
        );
        let kv = r#"{"name":"K","properties":{"type":"AzurePostgreSql","typeProperties":{"connectionString":{"type":"AzureKeyVaultSecret","store":{"referenceName":"KV","type":"LinkedServiceReference"},"secretName":"cs"}}}}"#;
        assert!(
            resolve_str(kv, &Inputs::default())
                .unwrap_err()
                .contains("Key Vault")
        );
    }

    #[test]
    fn parse_cli_values() {
        assert_eq!(
            parse_host_override("localhost:55432").unwrap(),
            ("localhost".into(), Some(55432))
        );
        assert_eq!(parse_host_override("h").unwrap(), ("h".into(), None));
        assert_eq!(
            parse_host_override("[::1]:5").unwrap(),
            ("::1".into(), Some(5))
        );
        assert!(parse_host_override("h:0").is_err());
        assert!(parse_host_override("::1").is_err());
        assert_eq!(parse_param("A=b=c").unwrap(), ("A".into(), "b=c".into()));
        assert!(parse_param("=x").is_err());
        assert_eq!(SslMode::VerifyCa.libpq_name(), "verify-ca");
        assert_eq!(SslMode::VerifyCa.adf_name(), "VerifyCA");
    }
}
