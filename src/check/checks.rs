//! The built-in check functions that rule files name in `check`. Generic ones (`defined`, `undefined`,
//! `enumeration`, `pattern`) read their parameters from the rule; the others know the connector.

use super::Rule;
use super::engine::{Context, Target};
use crate::finding::{Edit, Fix, Safety};
use crate::fix::migrate::{self, Blocked};
use crate::source::adf::{LinkedService, Version, is_expression_node, is_key_vault_ref};
use crate::source::connstr::{self, Key, SSL_MODE_NAMES};
use crate::source::json::{Kind, Member, Node, PathStep, string_offsets};
use std::ops::Range;

pub struct Hit {
    pub span: Range<usize>,
    pub label: String,
    pub args: Vec<(&'static str, String)>,
    pub fix: Option<Fix>,
    /// Path below the linked-service resource, for the finding's JSON pointer.
    pub path: Vec<PathStep>,
    pub related: Vec<(Range<usize>, String)>,
    /// The finding's severity when it differs from the rule's default for this value (a policy's
    /// `[severity]` still overrides it).
    pub severity: Option<crate::finding::Severity>,
}

impl Hit {
    fn new(span: Range<usize>, label: impl Into<String>, path: Vec<PathStep>) -> Hit {
        Hit {
            span,
            label: label.into(),
            args: Vec::new(),
            fix: None,
            path,
            related: Vec::new(),
            severity: None,
        }
    }

    fn arg(mut self, k: &'static str, v: impl Into<String>) -> Hit {
        self.args.push((k, v.into()));
        self
    }

    fn fix(mut self, safety: Safety, title: impl Into<String>, edits: Vec<Edit>) -> Hit {
        self.fix = Some(Fix {
            safety,
            title: title.into(),
            edits,
        });
        self
    }
}

type CheckFn = fn(&Rule, &Context, &Target) -> Vec<Hit>;

const CHECKS: &[(&str, CheckFn)] = &[
    ("defined", defined),
    ("undefined", undefined),
    ("enumeration", enumeration),
    ("pattern", pattern),
    ("v1-linked-service", v1_linked_service),
    ("unknown-version", unknown_version),
    ("credential-to-key-vault", credential_to_key_vault),
    ("v2-required-properties", v2_required),
    ("credentials-for-authentication-type", credentials),
    ("weak-ssl-mode", weak_ssl_mode),
    ("server-not-verified", server_not_verified),
    ("invalid-ssl-mode", invalid_ssl_mode),
    ("invalid-enum-values", invalid_enums),
    ("plaintext-secret", plaintext_secret),
    (
        "connection-string-in-key-vault",
        connection_string_in_key_vault,
    ),
    (
        "password-only-in-encrypted-credential",
        password_only_encrypted,
    ),
    ("user-at-server", user_at_server),
    ("dropped-connection-string-keys", dropped_keys),
    ("conflicting-ssl-settings", conflicting_ssl),
    (
        "trust-server-certificate-with-verify",
        trust_server_certificate,
    ),
    ("invalid-port", invalid_port),
    ("ssl-mode-below-policy", ssl_below_policy),
    ("unknown-property", unknown_property),
    ("property-types", property_types),
    ("server-not-fqdn", server_not_fqdn),
];

/// Checks the pipeline raises itself (file-level conditions); rule files name them with `scope = "file"`.
const PIPELINE_CHECKS: &[&str] = &[
    "invalid-json",
    "duplicate-key",
    "unsupported-encoding",
    "file-too-large",
    "io-error",
    "fix-not-applied",
    "suppression-without-reason",
    "unused-suppression",
];

/// Every check a rule file may name.
pub fn names() -> Vec<&'static str> {
    CHECKS
        .iter()
        .map(|(n, _)| *n)
        .chain(PIPELINE_CHECKS.iter().copied())
        .chain(super::cross_file::CHECKS.iter().copied())
        .collect()
}

pub fn exists(name: &str) -> bool {
    names().contains(&name)
}

pub fn is_generic(name: &str) -> bool {
    matches!(name, "defined" | "undefined" | "enumeration" | "pattern")
}

pub fn run(rule: &Rule, cx: &Context, target: &Target) -> Vec<Hit> {
    match CHECKS.iter().find(|(n, _)| *n == rule.check) {
        Some((_, f)) => f(rule, cx, target),
        None => Vec::new(),
    }
}

// ---------- helpers ----------

fn tp_path(key: &str) -> Vec<PathStep> {
    ["properties", "typeProperties", key]
        .iter()
        .map(|k| PathStep::Key((*k).to_string()))
        .collect()
}

fn props_path(key: &str) -> Vec<PathStep> {
    vec![
        PathStep::Key("properties".into()),
        PathStep::Key(key.into()),
    ]
}

/// File span of a range inside a JSON string literal's decoded value.
fn inner_span(text: &str, literal: &Node, r: Range<usize>) -> Range<usize> {
    let map = string_offsets(&text[literal.span.clone()]);
    let at = |i: usize| literal.span.start + map[i.min(map.len() - 1)];
    at(r.start)..at(r.end)
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The integer in a JSON number node, if it is one.
fn int_of(n: &Node) -> Option<i64> {
    match &n.kind {
        Kind::Number(s) => s.parse().ok(),
        _ => None,
    }
}

fn auth_type<'a>(ls: &LinkedService<'a>) -> Option<&'a str> {
    ls.tp("authenticationType").and_then(|m| m.value.as_str())
}

fn is_basic(auth: &str) -> bool {
    auth == "Basic" || auth == "BasicAuth"
}

/// The field a generic check looks at, inside a target object.
fn field_of<'a>(rule: &Rule, target: &Target<'a>) -> (&'a Node, Option<&'a Member>, Vec<PathStep>) {
    let field = rule.field.as_deref().unwrap_or_default();
    let m = target.node.member(field);
    let mut path = target.path.clone();
    path.push(PathStep::Key(field.to_string()));
    (target.node, m, path)
}

fn blame_span(target: &Target) -> Range<usize> {
    target
        .member
        .map_or(target.node.span.clone(), |m| m.key_span.clone())
}

// ---------- generic checks ----------

fn defined(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    if m.is_some() || t.node.members().is_none() {
        return Vec::new();
    }
    vec![
        Hit::new(
            blame_span(t),
            format!("no `{}` here", rule.field.as_deref().unwrap_or_default()),
            path,
        )
        .arg("field", rule.field.clone().unwrap_or_default()),
    ]
}

fn undefined(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    m.map(|m| Hit::new(m.key_span.clone(), "not expected here", path).arg("field", m.key.clone()))
        .into_iter()
        .collect()
}

fn enumeration(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    let Some(m) = m else { return Vec::new() };
    if is_expression_node(&m.value) {
        return Vec::new();
    }
    match m.value.as_str() {
        Some(v) if rule.values.iter().any(|x| x == v) => Vec::new(),
        v => vec![
            Hit::new(
                m.value.span.clone(),
                format!("expected one of: {}", rule.values.join(", ")),
                path,
            )
            .arg("field", m.key.clone())
            .arg("value", v.unwrap_or(m.value.type_name()).to_string())
            .arg("values", rule.values.join(", ")),
        ],
    }
}

fn pattern(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    let re = rule.compiled.as_ref().and_then(|c| c.pattern.as_ref());
    let (Some(m), Some(re)) = (m, re) else {
        return Vec::new();
    };
    match m.value.as_str() {
        Some(v) if re.is_match(v) => Vec::new(),
        v => vec![
            Hit::new(
                m.value.span.clone(),
                format!("does not match `{}`", re.as_str()),
                path,
            )
            .arg("field", m.key.clone())
            .arg("value", v.unwrap_or(m.value.type_name()).to_string())
            .arg("pattern", re.as_str().to_string()),
        ],
    }
}

// ---------- connector checks ----------

fn v1_linked_service(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let (span, label, path) = match ls.props.member("version") {
        Some(v) => (
            v.value.span.clone(),
            "version 1.0".to_string(),
            props_path("version"),
        ),
        None => (
            ls.type_span(),
            "no `version` here: absent means 1.0".to_string(),
            props_path("type"),
        ),
    };
    let hit = Hit::new(span, label, path);
    // --credentials-to-key-vault: the move and the migration are one fix, so the migration keeps the
    // Key Vault reference
    if let Some(f) = crate::check::key_vault::v1_with_move(cx) {
        let mut title = format!(
            "rewrite to version 2.0 with the password in Key Vault secret `{}`",
            f.secret
        );
        if !f.unsafe_reasons.is_empty() {
            title = format!("{title} (unsafe: {})", f.unsafe_reasons.join("; "));
        }
        return vec![hit.arg("detail", "").fix(f.safety, title, f.edits)];
    }
    let result = v1_migration(cx.text, cx.layout, cx.root, ls, cx.opts);
    match result {
        Ok(m) => {
            let mut title = "rewrite to version 2.0".to_string();
            if !m.unsafe_reasons.is_empty() {
                title = format!("{title} (unsafe: {})", m.unsafe_reasons.join("; "));
            }
            vec![hit.arg("detail", "").fix(m.safety, title, m.edits)]
        }
        Err(b) => vec![hit.arg(
            "detail",
            format!(" and cannot be migrated automatically: {}", b.reason()),
        )],
    }
}

/// What the 1.0 → 2.0 migration makes of a linked service: the edits of a linked-service file or of an
/// ARM template's resource, or why it is held back.
pub fn v1_migration(
    text: &str,
    layout: &crate::source::document::Layout,
    root: &Node,
    ls: &LinkedService,
    opts: &super::CheckOptions,
) -> Result<migrate::Migration, Blocked> {
    match migrate::migrate(text, layout, ls, &opts.migration) {
        Err(Blocked::ExpressionConnectionString) if !ls.base.is_empty() && opts.linked_template => {
            Err(Blocked::LinkedTemplate)
        }
        Err(Blocked::ExpressionConnectionString) if !ls.base.is_empty() => {
            crate::fix::arm::migrate(
                text,
                layout,
                root,
                ls,
                &opts.migration,
                (&opts.arm_values, &opts.arm_ls_strings),
            )
        }
        r => r,
    }
}

/// ADFPG024: with `--credentials-to-key-vault`, a password or service-principal key outside Key Vault
/// becomes a reference to the vault (see `crate::check::key_vault`).
fn credential_to_key_vault(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    use crate::check::key_vault;
    let Some(target) = &cx.opts.migration.key_vault else {
        return Vec::new();
    };
    let factory = cx
        .opts
        .factory
        .clone()
        .or_else(|| key_vault::template_factory_name(cx.root))
        .unwrap_or_default();
    let Some(result) = key_vault::file_move(
        cx.text, cx.layout, cx.root, &cx.ls, target, &factory, cx.opts,
    ) else {
        return Vec::new();
    };
    let ls = &cx.ls;
    let at = [
        "password",
        "servicePrincipalKey",
        "encryptedCredential",
        "connectionString",
    ]
    .into_iter()
    .find_map(|k| Some((ls.tp(k)?, k)));
    let (span, path) = match at {
        Some((m, k)) => (m.value.span.clone(), tp_path(k)),
        None => (ls.type_span(), props_path("type")),
    };
    let vault = target.vault.clone();
    let hit = |member: &str| {
        Hit::new(
            span.clone(),
            format!("`{member}` is not a Key Vault reference"),
            path.clone(),
        )
        .arg("member", member.to_string())
        .arg("vault", vault.clone())
    };
    let mv = match result {
        Ok(mv) if !ls.base.is_empty() && !key_vault::template_has_vault(cx.root, &vault) => {
            return vec![hit(mv.member).arg(
                "detail",
                format!(", and the move is held back: the template declares no AzureKeyVault linked service `{vault}` (ADFPG052)"),
            )];
        }
        // a 1.0 definition moves with its migration (ADFPG001's fix)
        Ok(_) if ls.version() == Version::V1 => return Vec::new(),
        Ok(mv) => mv,
        Err(why) => {
            return vec![hit(crate::check::key_vault::member_of(ls)).arg(
                "detail",
                format!(", and the move to `{vault}` is held back: {}", why.reason),
            )];
        }
    };
    let edits = key_vault::edits(cx.text, cx.layout, cx.root, ls, &mv, &vault);
    let reason = mv.source.unsafe_reason(&mv.secret, &vault);
    let mut title = format!(
        "move the {} to Key Vault secret `{}` of `{vault}`",
        mv.member, mv.secret
    );
    if let Some(r) = &reason {
        title = format!("{title} (unsafe: {r})");
    }
    let safety = if reason.is_some() {
        Safety::Unsafe
    } else {
        Safety::Safe
    };
    vec![
        hit(mv.member)
            .arg(
                "detail",
                format!(": it moves to secret `{}` of `{vault}`", mv.secret),
            )
            .fix(safety, title, edits),
    ]
}

fn unknown_version(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    if cx.ls.version() != Version::Unknown {
        return Vec::new();
    }
    let v = cx
        .ls
        .props
        .member("version")
        .expect("unknown version has a member");
    let shown = v
        .value
        .as_str()
        .map_or_else(|| cx.text[v.value.span.clone()].to_string(), str::to_string);
    vec![
        Hit::new(
            v.value.span.clone(),
            "expected \"1.0\" or \"2.0\"",
            props_path("version"),
        )
        .arg("value", shown),
    ]
}

fn v2_required(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let Some(tp) = ls.type_props() else {
        let span = ls
            .props
            .member("typeProperties")
            .map_or(ls.type_span(), |m| m.key_span.clone());
        return vec![
            Hit::new(
                span,
                "no `typeProperties` object",
                props_path("typeProperties"),
            )
            .arg("field", "typeProperties"),
        ];
    };
    let tp_key = ls
        .props
        .member("typeProperties")
        .map(|m| m.key_span.clone())
        .unwrap_or(tp.span.clone());
    // sslMode is optional (default 2, Prefer) and an absent authenticationType means Basic: the
    // connector page and the REST model say so, and Studio writes 2.0 files without it
    let mut required = vec!["server", "database"];
    if auth_type(ls).is_none_or(|a| is_basic(a) || a == "ServicePrincipal") {
        required.push("username");
    }
    required
        .into_iter()
        .filter_map(|k| {
            let hit = match tp.member(k) {
                None => Hit::new(tp_key.clone(), format!("`{k}` missing in here"), tp_path(k)),
                // null, or a text property given as a number/array/other object, is no value at all
                Some(m) if m.value.kind == Kind::Null => {
                    Hit::new(m.value.span.clone(), format!("`{k}` is null"), tp_path(k))
                }
                Some(m)
                    if matches!(k, "server" | "database" | "username")
                        && m.value.as_str().is_none()
                        && !crate::source::adf::is_expression_node(&m.value)
                        && !crate::source::adf::is_key_vault_ref(&m.value) =>
                {
                    Hit::new(
                        m.value.span.clone(),
                        format!("`{k}` is a {}, not a string", m.value.type_name()),
                        tp_path(k),
                    )
                }
                Some(_) => return None,
            };
            Some(hit.arg("field", k))
        })
        .collect()
}

const SP_FIELDS: &[&str] = &[
    "tenant",
    "servicePrincipalId",
    "servicePrincipalCredentialType",
    "servicePrincipalKey",
    "servicePrincipalEmbeddedCert",
    "servicePrincipalEmbeddedCertPassword",
    "azureCloudType",
];

fn credentials(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let Some(auth_m) = ls.tp("authenticationType") else {
        return Vec::new();
    };
    let Some(auth) = auth_m.value.as_str() else {
        return Vec::new();
    };
    if is_expression_node(&auth_m.value) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    let missing = |hits: &mut Vec<Hit>, field: &str, why: &str| {
        hits.push(
            Hit::new(
                auth_m.value.span.clone(),
                format!("{auth} needs `{field}`"),
                tp_path(field),
            )
            .arg("field", field)
            .arg("auth", auth)
            .arg("problem", format!("needs `{field}`{why}")),
        );
    };
    let foreign = |hits: &mut Vec<Hit>, field: &str, belongs: &str| {
        if let Some(m) = ls.tp(field) {
            hits.push(
                Hit::new(
                    m.key_span.clone(),
                    format!("belongs to {belongs}"),
                    tp_path(field),
                )
                .arg("field", field)
                .arg("auth", auth)
                .arg(
                    "problem",
                    format!("has `{field}`, which belongs to {belongs} authentication"),
                ),
            );
        }
    };
    match auth {
        a if is_basic(a) => {
            if ls.tp("password").is_none() && ls.tp("encryptedCredential").is_none() {
                missing(
                    &mut hits,
                    "password",
                    " (a SecureString or an AzureKeyVaultSecret reference)",
                );
            }
            for f in SP_FIELDS {
                foreign(&mut hits, f, "ServicePrincipal");
            }
            foreign(&mut hits, "credential", "UserAssignedManagedIdentity");
        }
        "ServicePrincipal" => {
            for f in [
                "tenant",
                "servicePrincipalId",
                "servicePrincipalCredentialType",
            ] {
                if ls.tp(f).is_none() {
                    missing(&mut hits, f, "");
                }
            }
            match ls
                .tp("servicePrincipalCredentialType")
                .and_then(|m| m.value.as_str())
            {
                Some("ServicePrincipalKey") if ls.tp("servicePrincipalKey").is_none() => missing(
                    &mut hits,
                    "servicePrincipalKey",
                    " (servicePrincipalCredentialType is ServicePrincipalKey)",
                ),
                Some("ServicePrincipalCert") if ls.tp("servicePrincipalEmbeddedCert").is_none() => {
                    missing(
                        &mut hits,
                        "servicePrincipalEmbeddedCert",
                        " (servicePrincipalCredentialType is ServicePrincipalCert)",
                    )
                }
                _ => {}
            }
            foreign(&mut hits, "password", "Basic");
            foreign(&mut hits, "credential", "UserAssignedManagedIdentity");
        }
        "SystemAssignedManagedIdentity" | "UserAssignedManagedIdentity" => {
            if auth == "UserAssignedManagedIdentity" && ls.tp("credential").is_none() {
                missing(
                    &mut hits,
                    "credential",
                    " (a CredentialReference to the user-assigned identity)",
                );
            }
            if auth == "SystemAssignedManagedIdentity" {
                foreign(&mut hits, "credential", "UserAssignedManagedIdentity");
            }
            foreign(&mut hits, "password", "Basic");
            for f in SP_FIELDS.iter().filter(|f| **f != "azureCloudType") {
                foreign(&mut hits, f, "ServicePrincipal");
            }
        }
        _ => {}
    }
    hits
}

/// The sslMode number of a 2.0 definition, with its member; None when absent, not a number or an expression.
fn ssl_mode_of<'a>(ls: &LinkedService<'a>) -> Option<(&'a Member, i64)> {
    let m = ls.tp("sslMode")?;
    int_of(&m.value).map(|n| (m, n))
}

/// A suggestion only (display-only): raising sslMode is a hardening decision, never part of a migration.
/// It is applied when the user selects it by name (`--extend-fixable ADFPG004`) or asks for a minimum
/// (`[ssl]` policy: ADFPG018 raises to that minimum).
fn raise_to_verify_full(m: &Member) -> Fix {
    Fix {
        safety: Safety::DisplayOnly,
        title: "set sslMode to 5 (VerifyFull); test the connection: it fails if the server's certificate is not trusted for its host name".into(),
        edits: vec![Edit::replace(m.value.span.clone(), "5")],
    }
}

fn mode_name(n: i64) -> &'static str {
    usize::try_from(n)
        .ok()
        .and_then(|i| SSL_MODE_NAMES.get(i))
        .copied()
        .unwrap_or("invalid")
}

/// What an sslMode leaves open: 0–2 are weak (ADFPG004), 3–4 do not fully verify the server (ADFPG005).
fn ssl_concern(n: i64) -> Option<&'static str> {
    Some(match n {
        0 => "the connection is never encrypted",
        1 => "encryption is used only if the server insists",
        2 => "encryption falls back to plain text if TLS fails",
        3 => "the connection is encrypted but the server certificate is not checked",
        4 => "the certificate chain is checked but not the host name",
        _ => return None,
    })
}

/// A finding on sslMode when its value is in `modes`, with the unsafe fix that raises it to 5.
fn ssl_hits(cx: &Context, modes: std::ops::RangeInclusive<i64>) -> Vec<Hit> {
    let Some((m, n)) = ssl_mode_of(&cx.ls) else {
        return Vec::new();
    };
    let Some(why) = ssl_concern(n).filter(|_| modes.contains(&n)) else {
        return Vec::new();
    };
    let mut h = Hit::new(
        m.value.span.clone(),
        format!("{} ({})", n, mode_name(n)),
        tp_path("sslMode"),
    )
    .arg("value", n.to_string())
    .arg("mode", mode_name(n))
    .arg("why", why);
    h.fix = Some(raise_to_verify_full(m));
    // Prefer (2) is the connector's documented default and what the migration of a 1.0 string without
    // encryption writes: information, not a warning (a policy can still make it one)
    if n == 2 {
        h.severity = Some(crate::finding::Severity::Info);
    }
    vec![h]
}

fn weak_ssl_mode(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    ssl_hits(cx, 0..=2)
}

fn server_not_verified(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    ssl_hits(cx, 3..=4)
}

fn invalid_ssl_mode(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let Some(m) = cx.ls.tp("sslMode") else {
        return Vec::new();
    };
    if is_expression_node(&m.value) || int_of(&m.value).is_some_and(|n| (0..=5).contains(&n)) {
        return Vec::new();
    }
    let shown = match m.value.as_str() {
        Some(s) => format!("\"{s}\""),
        None => cx.text[m.value.span.clone()].chars().take(40).collect(),
    };
    let h = Hit::new(
        m.value.span.clone(),
        "expected an integer 0–5",
        tp_path("sslMode"),
    )
    .arg("value", shown);
    let number = m.value.as_str().and_then(|s| {
        s.trim()
            .parse::<u8>()
            .ok()
            .filter(|n| *n <= 5)
            .or_else(|| connstr::ssl_mode_number(s))
    });
    match number {
        Some(n) => vec![h.fix(
            Safety::Safe,
            format!(
                "write sslMode as the number {n} ({})",
                SSL_MODE_NAMES[n as usize]
            ),
            vec![Edit::replace(m.value.span.clone(), n.to_string())],
        )],
        None => vec![h],
    }
}

pub const ENUMS: &[(&str, &[&str])] = &[
    (
        "authenticationType",
        &[
            "Basic",
            "BasicAuth",
            "ServicePrincipal",
            "SystemAssignedManagedIdentity",
            "UserAssignedManagedIdentity",
        ],
    ),
    (
        "servicePrincipalCredentialType",
        &["ServicePrincipalKey", "ServicePrincipalCert"],
    ),
    (
        "azureCloudType",
        &[
            "AzurePublic",
            "AzureChina",
            "AzureUsGovernment",
            "AzureGermany",
        ],
    ),
];

fn invalid_enums(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (field, allowed) in ENUMS {
        let Some(m) = cx.ls.tp(field) else { continue };
        if is_expression_node(&m.value) {
            continue;
        }
        let value = m.value.as_str();
        if value.is_some_and(|v| allowed.contains(&v)) {
            continue;
        }
        let shown = value.map_or_else(|| m.value.type_name().to_string(), |v| format!("\"{v}\""));
        let h = Hit::new(
            m.value.span.clone(),
            format!("expected one of: {}", allowed.join(", ")),
            tp_path(field),
        )
        .arg("field", *field)
        .arg("value", shown)
        .arg("values", allowed.join(", "));
        let exact = value.and_then(|v| allowed.iter().find(|a| a.eq_ignore_ascii_case(v.trim())));
        hits.push(match exact {
            Some(a) => h.fix(
                Safety::Safe,
                format!("write `{a}`"),
                vec![Edit::replace(m.value.span.clone(), json_str(a))],
            ),
            None => h,
        });
    }
    hits
}

/// Properties that hold a secret in a 2.0 definition.
pub const SECRET_FIELDS: &[&str] = &[
    "password",
    "servicePrincipalKey",
    "servicePrincipalEmbeddedCert",
    "servicePrincipalEmbeddedCertPassword",
];

/// A literal secret value: not empty, not an ADF or ARM expression, not a `****` placeholder.
pub fn is_literal_secret(v: &str) -> bool {
    let t = v.trim();
    let arm_expression = t.starts_with('[') && t.ends_with(']');
    let placeholder = t.chars().all(|c| c == '*'); // also true for ""
    !(placeholder || arm_expression || connstr::is_expression(t))
}

fn plaintext_secret(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let mut hits = Vec::new();
    if let Some(c) = cx.connection_string() {
        let (literal, cs) = (c.literal, &c.parsed);
        for p in cs
            .pairs
            .iter()
            .filter(|p| p.canon == Key::Password && is_literal_secret(&p.value))
        {
            hits.push(
                Hit::new(
                    inner_span(cx.text, literal, p.value_span.clone()),
                    "password in plain text",
                    tp_path("connectionString"),
                )
                .arg("where", "the connection string"),
            );
        }
        for (p, range) in cs.pairs.iter().filter_map(|p| Some((p, url_password(p)?))) {
            hits.push(
                Hit::new(
                    inner_span(cx.text, literal, range),
                    "password in plain text in the host URL",
                    tp_path("connectionString"),
                )
                .arg("where", format!("the host URL of `{}`", p.key)),
            );
        }
    }
    for field in SECRET_FIELDS {
        let Some(m) = ls.tp(field) else { continue };
        let secret = match &m.value.kind {
            Kind::String { value, .. } => Some((&m.value, value.as_str())),
            Kind::Object(_) if m.value.str_at("type") == Some("SecureString") => m
                .value
                .get("value")
                .and_then(|v| v.as_str().map(|s| (v, s))),
            _ => None,
        };
        if let Some((node, _)) = secret.filter(|(_, v)| is_literal_secret(v)) {
            hits.push(
                Hit::new(node.span.clone(), "secret in plain text", tp_path(field))
                    .arg("where", format!("`{field}`")),
            );
        }
    }
    hits
}

/// The span (in the decoded connection string) of a literal password inside a URL-form host.
pub fn url_password(p: &connstr::Pair) -> Option<std::ops::Range<usize>> {
    if p.canon != Key::Server {
        return None;
    }
    let url = connstr::host_url(&p.value)?.ok()?;
    let r = url.password_range?;
    if !is_literal_secret(url.password.as_deref()?) {
        return None;
    }
    // the span maps onto the string as written only when the value was not quoted
    let quoted = p.value_span.len() != p.value.len();
    (!quoted).then(|| p.value_span.start + r.start..p.value_span.start + r.end)
}

fn connection_string_in_key_vault(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    match migrate::connection_string(&cx.ls) {
        Err(Blocked::KeyVaultConnectionString) => {
            let m = cx.ls.tp("connectionString").expect("checked");
            let secret = m.value.str_at("secretName").unwrap_or("?").to_string();
            let store = m
                .value
                .get("store")
                .and_then(|s| s.str_at("referenceName"))
                .unwrap_or("?")
                .to_string();
            vec![
                Hit::new(
                    m.value.span.clone(),
                    "the whole connection string is a Key Vault secret",
                    tp_path("connectionString"),
                )
                .arg("secret", secret)
                .arg("store", store),
            ]
        }
        _ => Vec::new(),
    }
}

fn password_only_encrypted(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let Some(ec) = ls.tp("encryptedCredential") else {
        return Vec::new();
    };
    if ls.tp("password").is_some() {
        return Vec::new();
    }
    let in_string = cx
        .connection_string()
        .is_some_and(|c| c.parsed.get(Key::Password).is_some());
    let cs_in_key_vault = ls
        .tp("connectionString")
        .is_some_and(|m| is_key_vault_ref(&m.value));
    if in_string || cs_in_key_vault {
        return Vec::new();
    }
    vec![Hit::new(
        ec.key_span.clone(),
        "the password lives only in here",
        tp_path("encryptedCredential"),
    )]
}

fn user_at_server(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    match ls.version() {
        Version::V2 => {
            let (Some(u), Some(server)) = (
                ls.tp("username"),
                ls.tp("server").and_then(|m| m.value.as_str()),
            ) else {
                return Vec::new();
            };
            let Some(user) = u.value.as_str() else {
                return Vec::new();
            };
            let Some(plain) = migrate::strip_user_at_server(user, server) else {
                return Vec::new();
            };
            let h = Hit::new(
                u.value.span.clone(),
                "Single Server user name",
                tp_path("username"),
            )
            .arg("user", user)
            .arg("plain", plain.clone());
            // the migration option that keeps `user@server` also holds this fix back
            if !cx.opts.migration.strip_user_at_server {
                return vec![h];
            }
            vec![h.fix(
                Safety::Safe,
                format!("write `{plain}`"),
                vec![Edit::replace(u.value.span.clone(), json_str(&plain))],
            )]
        }
        _ => {
            let Some(c) = cx.connection_string() else {
                return Vec::new();
            };
            let (literal, cs) = (c.literal, &c.parsed);
            let (Some(u), Some(server)) = (cs.get(Key::Username), cs.value(Key::Server)) else {
                return Vec::new();
            };
            let Some(plain) = migrate::strip_user_at_server(&u.value, server) else {
                return Vec::new();
            };
            vec![
                Hit::new(
                    inner_span(cx.text, literal, u.value_span.clone()),
                    "Single Server user name",
                    tp_path("connectionString"),
                )
                .arg("user", u.value.clone())
                .arg("plain", plain),
            ]
        }
    }
}

fn dropped_keys(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let Some(c) = cx.connection_string() else {
        return arm_dropped_keys(cx);
    };
    let (literal, s, cs) = (c.literal, &c.text, &c.parsed);
    let mut hits: Vec<Hit> = cs
        .pairs
        .iter()
        .filter(|p| p.canon == Key::Other)
        .map(|p| {
            Hit::new(
                inner_span(cx.text, literal, p.key_span.clone()),
                "no 2.0 equivalent",
                tp_path("connectionString"),
            )
            .arg("key", crate::mask::shown_key_name(&p.key))
        })
        .collect();
    for j in &cs.junk {
        // stray text may be a fragment of a password split by a `;`: located, never printed
        let shown = format!("(text of {} characters)", s[j.clone()].chars().count());
        hits.push(
            Hit::new(
                inner_span(cx.text, literal, j.clone()),
                "not a key=value pair",
                tp_path("connectionString"),
            )
            .arg("key", shown),
        );
    }
    hits
}

/// In a template, the keys of the string behind `[parameters(P)]` (read from the parameters file or the
/// linked-service file) that its migration drops, blamed on the parameter reference.
fn arm_dropped_keys(cx: &Context) -> Vec<Hit> {
    let Some(m) = cx
        .ls
        .tp("connectionString")
        .filter(|_| !cx.ls.base.is_empty())
    else {
        return Vec::new();
    };
    let Some(param) = m
        .value
        .as_str()
        .and_then(crate::fix::arm::parameter_reference)
    else {
        return Vec::new();
    };
    let Some(cs) = crate::fix::arm::source_string(
        param,
        cx.ls.name,
        &cx.opts.arm_values,
        &cx.opts.arm_ls_strings,
    ) else {
        return Vec::new();
    };
    migrate::dropped_keys(&cs)
        .into_iter()
        .map(|key| {
            Hit::new(
                m.value.span.clone(),
                "its value has a key with no 2.0 equivalent",
                tp_path("connectionString"),
            )
            .arg("key", key)
        })
        .collect()
}

fn conflicting_ssl(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let Some(c) = cx.connection_string() else {
        return Vec::new();
    };
    let (literal, cs) = (c.literal, &c.parsed);
    let Some(ssl) = cs.get(Key::SslMode) else {
        return Vec::new();
    };
    cs.pairs
        .iter()
        .filter(|p| {
            matches!(
                p.canon,
                Key::EncryptionMethod | Key::ValidateServerCertificate | Key::HostNameInCertificate
            )
        })
        .map(|p| {
            let mut h = Hit::new(
                inner_span(cx.text, literal, p.key_span.clone()),
                "ignored: SSL Mode wins",
                tp_path("connectionString"),
            )
            .arg("key", p.key.clone())
            .arg("ssl", ssl.value.clone());
            h.related.push((
                inner_span(cx.text, literal, ssl.key_span.clone()),
                "this one is used".into(),
            ));
            h
        })
        .collect()
}

fn trust_server_certificate(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let Some(t) = cx.ls.tp("trustServerCertificate") else {
        return Vec::new();
    };
    let on = matches!(t.value.kind, Kind::Bool(true))
        || t.value
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case("true"));
    let Some((_, n)) = ssl_mode_of(&cx.ls) else {
        return Vec::new();
    };
    if !on || !(4..=5).contains(&n) {
        return Vec::new();
    }
    vec![
        Hit::new(
            t.value.span.clone(),
            "switches certificate validation off",
            tp_path("trustServerCertificate"),
        )
        .arg("value", n.to_string())
        .arg("mode", mode_name(n))
        .fix(
            Safety::Unsafe,
            "set trustServerCertificate to false; test the connection: the certificate is now validated",
            vec![Edit::replace(t.value.span.clone(), "false")],
        ),
    ]
}

fn port_ok(v: &str) -> bool {
    v.trim()
        .parse::<u32>()
        .is_ok_and(|p| (1..=65535).contains(&p))
}

fn invalid_port(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    if ls.version() == Version::V2 {
        let Some(m) = ls.tp("port") else {
            return Vec::new();
        };
        let ok = is_expression_node(&m.value)
            || int_of(&m.value).is_some_and(|p| (1..=65535).contains(&p))
            || m.value.as_str().is_some_and(port_ok);
        if ok {
            return Vec::new();
        }
        let shown: String = cx.text[m.value.span.clone()].chars().take(40).collect();
        return vec![
            Hit::new(m.value.span.clone(), "expected 1–65535", tp_path("port")).arg("value", shown),
        ];
    }
    let Some(c) = cx.connection_string() else {
        return Vec::new();
    };
    let (literal, cs) = (c.literal, &c.parsed);
    match cs.get(Key::Port) {
        Some(p) if !p.is_expression() && !port_ok(&p.value) => vec![
            Hit::new(
                inner_span(cx.text, literal, p.value_span.clone()),
                "expected 1–65535",
                tp_path("connectionString"),
            )
            .arg("value", p.value.chars().take(40).collect::<String>()),
        ],
        _ => Vec::new(),
    }
}

fn ssl_below_policy(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let (Some(min), Some((m, n))) = (cx.opts.ssl_minimum, ssl_mode_of(&cx.ls)) else {
        return Vec::new();
    };
    if n >= i64::from(min) {
        return Vec::new();
    }
    let want = SSL_MODE_NAMES[min as usize];
    vec![
        Hit::new(
            m.value.span.clone(),
            format!("policy: at least {min} ({want})"),
            tp_path("sslMode"),
        )
        .arg("value", n.to_string())
        .arg("mode", mode_name(n))
        .arg("minimum", min.to_string())
        .arg("minimum_name", want)
        .fix(
            Safety::Unsafe,
            format!("set sslMode to {min} ({want}); test the connection with the stricter mode"),
            vec![Edit::replace(m.value.span.clone(), min.to_string())],
        ),
    ]
}

/// The properties each version's `typeProperties` may hold.
pub const V2_PROPERTIES: &[&str] = &[
    "server",
    "port",
    "database",
    "sslMode",
    "authenticationType",
    "username",
    "password",
    "tenant",
    "servicePrincipalId",
    "servicePrincipalCredentialType",
    "servicePrincipalKey",
    "servicePrincipalEmbeddedCert",
    "servicePrincipalEmbeddedCertPassword",
    "azureCloudType",
    "credential",
    "timeout",
    "connectionTimeout",
    "commandTimeout",
    "trustServerCertificate",
    "readBufferSize",
    "timezone",
    "encoding",
    "schema",
    "pooling",
    "encryptedCredential",
];
pub const V1_PROPERTIES: &[&str] = &["connectionString", "password", "encryptedCredential"];

/// Levenshtein distance, for did-you-mean suggestions on short property names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + usize::from(ca != *cb))
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

fn unknown_property(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let known: &[&str] = match cx.ls.version() {
        Version::V1 => V1_PROPERTIES,
        Version::V2 => V2_PROPERTIES,
        Version::Unknown => return Vec::new(),
    };
    let Some(members) = cx.ls.type_props().and_then(Node::members) else {
        return Vec::new();
    };
    let mut hits = Vec::new();
    for m in members.iter().filter(|m| !known.contains(&m.key.as_str())) {
        let same_but_case = known.iter().find(|k| k.eq_ignore_ascii_case(&m.key));
        let close = known
            .iter()
            .map(|k| {
                (
                    distance(&m.key.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                    k,
                )
            })
            .min();
        let suggestion = same_but_case.or(close.filter(|(d, _)| *d <= 2).map(|(_, k)| k));
        let hint = suggestion.map_or(String::new(), |k| format!("; did you mean `{k}`?"));
        let mut h = Hit::new(m.key_span.clone(), "unknown property", tp_path(&m.key))
            .arg("field", m.key.clone())
            .arg("hint", hint);
        if let Some(k) = same_but_case.filter(|k| cx.ls.tp(k).is_none()) {
            h = h.fix(
                Safety::Safe,
                format!("rename to `{k}`"),
                vec![Edit::replace(m.key_span.clone(), json_str(k))],
            );
        }
        hits.push(h);
    }
    hits
}

#[derive(Clone, Copy)]
enum Expect {
    /// A string (or an expression, or a Key Vault reference where ADF resolves one).
    Text,
    Integer,
    Boolean,
    /// SecureString or AzureKeyVaultSecret.
    Secret,
    CredentialReference,
}

const PROPERTY_TYPES: &[(&str, Expect)] = &[
    ("server", Expect::Text),
    ("database", Expect::Text),
    ("username", Expect::Text),
    ("tenant", Expect::Text),
    ("servicePrincipalId", Expect::Text),
    ("timezone", Expect::Text),
    ("encoding", Expect::Text),
    ("schema", Expect::Text),
    ("encryptedCredential", Expect::Text),
    ("timeout", Expect::Integer),
    ("connectionTimeout", Expect::Integer),
    ("commandTimeout", Expect::Integer),
    ("readBufferSize", Expect::Integer),
    ("trustServerCertificate", Expect::Boolean),
    ("pooling", Expect::Boolean),
    ("password", Expect::Secret),
    ("servicePrincipalKey", Expect::Secret),
    ("servicePrincipalEmbeddedCert", Expect::Secret),
    ("servicePrincipalEmbeddedCertPassword", Expect::Secret),
    ("credential", Expect::CredentialReference),
];

fn property_types(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (field, expect) in PROPERTY_TYPES {
        let Some(m) = cx.ls.tp(field) else { continue };
        let v = &m.value;
        if is_expression_node(v) {
            continue;
        }
        let (ok, want, fix) = match expect {
            Expect::Text => (
                v.as_str().is_some() || is_key_vault_ref(v),
                "a string",
                None,
            ),
            Expect::Integer => {
                let ok = int_of(v).is_some_and(|n| n >= 0)
                    || v.as_str().is_some_and(|s| s.trim().parse::<u32>().is_ok());
                (ok, "a non-negative integer", None)
            }
            Expect::Boolean => {
                let as_bool =
                    v.as_str()
                        .and_then(|s| match s.trim().to_ascii_lowercase().as_str() {
                            "true" => Some("true"),
                            "false" => Some("false"),
                            _ => None,
                        });
                (
                    matches!(v.kind, Kind::Bool(_)),
                    "a boolean (true or false)",
                    as_bool,
                )
            }
            Expect::Secret => (
                matches!(
                    v.str_at("type"),
                    Some("SecureString" | "AzureKeyVaultSecret")
                ),
                "a SecureString or AzureKeyVaultSecret object",
                None,
            ),
            Expect::CredentialReference => (
                v.str_at("type") == Some("CredentialReference")
                    && v.str_at("referenceName").is_some(),
                "a CredentialReference object (referenceName + type)",
                None,
            ),
        };
        if ok {
            continue;
        }
        let got = match &v.kind {
            Kind::String { value, .. }
                if *field != "password" && !field.starts_with("servicePrincipal") =>
            {
                format!(
                    "the string \"{}\"",
                    value.chars().take(30).collect::<String>()
                )
            }
            _ => format!("a {}", v.type_name()),
        };
        let mut h = Hit::new(v.span.clone(), format!("expected {want}"), tp_path(field))
            .arg("field", *field)
            .arg("want", want)
            .arg("got", got);
        if let Some(b) = fix {
            h = h.fix(
                Safety::Safe,
                format!("write {b}"),
                vec![Edit::replace(v.span.clone(), b)],
            );
        }
        hits.push(h);
    }
    hits
}

fn server_not_fqdn(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let Some(m) = cx.ls.tp("server") else {
        return Vec::new();
    };
    let Some(server) = m.value.as_str() else {
        return Vec::new();
    };
    if connstr::is_expression(server) {
        return Vec::new();
    }
    let s = server.trim();
    // a self-hosted runtime resolves names in its own network (`localhost`, a private host name)
    let self_hosted = cx
        .ls
        .props
        .get("connectVia")
        .and_then(|c| c.str_at("referenceName"))
        .is_some_and(|ir| cx.opts.self_hosted_runtimes.iter().any(|n| n == ir));
    let problem = if s.contains("://") {
        "has a URL scheme"
    } else if s.contains(':') && !s.starts_with('[') {
        "has a port (use `port`)"
    } else if s.contains('/') || s.contains(char::is_whitespace) {
        "is not a host name"
    } else if !self_hosted && !s.contains('.') && s.parse::<std::net::IpAddr>().is_err() {
        "is not a fully qualified host name"
    } else {
        return Vec::new();
    };
    // a password in a URL-form server is a secret: never in a message
    let shown = match connstr::host_url(server) {
        Some(Ok(connstr::HostUrl {
            password_range: Some(r),
            ..
        })) => format!(
            "{}{}{}",
            &server[..r.start],
            "*".repeat(r.len()),
            &server[r.end..]
        ),
        _ => server.to_string(),
    };
    vec![
        Hit::new(m.value.span.clone(), problem, tp_path("server"))
            .arg("value", shown)
            .arg("problem", problem),
    ]
}
