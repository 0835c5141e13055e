//! Property checks: required, known, well-typed and well-formed `typeProperties` of a 2.0 definition.

use super::{Hit, auth_type, int_of, is_basic, json_str, props_path, tp_path};
use crate::check::context::{Context, Target};
use crate::check::rule::Rule;
use crate::connector::PropertyType as Expect;
use crate::finding::{Edit, Safety};
use crate::source::adf::{Version, is_expression_node, is_key_vault_ref};
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
    let mut required = ls.connector.required.to_vec();
    // an absent authenticationType means Basic, which needs a username, as ServicePrincipal does
    if !required.contains(&"username")
        && auth_type(ls).is_none_or(|a| is_basic(a) || a == "ServicePrincipal")
    {
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
                    if matches!(k, "server" | "database" | "username" | "authenticationType")
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

pub(super) fn invalid_enum_values(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (field, allowed) in cx.ls.connector.enums {
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
    let c = cx.ls.connector;
    let known: Vec<&str> = match cx.ls.version() {
        Version::V1 => c.old_properties.to_vec(),
        Version::V2 => c.property_names().collect(),
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

pub(super) fn property_types(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (field, expect) in cx.ls.connector.properties {
        let Some(m) = cx.ls.tp(field) else { continue };
        let v = &m.value;
        if is_expression_node(v) {
            continue;
        }
        let (ok, want, fix) = match expect {
            Expect::Own => continue,
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
            Kind::String { value, .. } if !cx.ls.connector.secrets.contains(field) => {
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
    let ip = s.parse::<std::net::IpAddr>().is_ok();
    let problem = if s.contains("://") {
        "has a URL scheme"
    } else if s.contains(':') && !s.starts_with('[') && !ip {
        "has a port (use `port`)"
    } else if s.contains('/') || s.contains(char::is_whitespace) {
        "is not a host name"
    } else if !self_hosted && !s.contains('.') && !ip {
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
