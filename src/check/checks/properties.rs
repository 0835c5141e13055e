//! Property checks: required, known, well-typed and well-formed `typeProperties` of a 2.0 definition.

use super::{Hit, auth_type, int_of, is_basic, json_str, props_path, tp_path};
use crate::check::context::{Context, Target};
use crate::check::rule::Rule;
use crate::finding::{Edit, Safety};
use crate::source::adf::{
    V1_PROPERTIES, V2_PROPERTIES, Version, is_expression_node, is_key_vault_ref,
};
use crate::source::connstr::{self, Key};
use crate::source::json::{Kind, Node};

pub(super) fn v2_required_properties(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

const ENUMS: &[(&str, &[&str])] = &[
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

pub(super) fn invalid_enum_values(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

fn port_ok(v: &str) -> bool {
    v.trim()
        .parse::<u32>()
        .is_ok_and(|p| (1..=65535).contains(&p))
}

pub(super) fn invalid_port(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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
    let cs = &c.parsed;
    match cs.get(Key::Port) {
        Some(p) if !p.is_expression() && !port_ok(&p.value) => vec![
            Hit::new(
                c.span(cx.text, p.value_span.clone()),
                "expected 1–65535",
                tp_path("connectionString"),
            )
            .arg("value", p.value.chars().take(40).collect::<String>()),
        ],
        _ => Vec::new(),
    }
}

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

pub(super) fn unknown_property(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

pub(super) fn property_types(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

pub(super) fn server_not_fqdn(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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
