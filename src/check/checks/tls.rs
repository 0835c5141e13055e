//! TLS checks: sslMode values, what each leaves open, conflicting 1.0 settings, the configured minimum.

use super::{Hit, int_of, tp_path};
use crate::check::context::{Context, Target};
use crate::check::rule::Rule;
use crate::finding::{Edit, Fix, Safety};
use crate::source::adf::{LinkedService, is_expression_node};
use crate::source::connstr::{self, Key, SSL_MODE_NAMES};
use crate::source::json::{Kind, Member};

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
        requires: Vec::new(),
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

pub(super) fn weak_ssl_mode(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    ssl_hits(cx, 0..=2)
}

pub(super) fn server_not_verified(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    ssl_hits(cx, 3..=4)
}

pub(super) fn invalid_ssl_mode(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

pub(super) fn conflicting_ssl_settings(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let Some(c) = cx.connection_string() else {
        return Vec::new();
    };
    let cs = &c.parsed;
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
                c.span(cx.text, p.key_span.clone()),
                "ignored: SSL Mode wins",
                tp_path("connectionString"),
            )
            .arg("key", p.key.clone())
            .arg("ssl", ssl.value.clone());
            h.related.push((
                c.span(cx.text, ssl.key_span.clone()),
                "this one is used".into(),
            ));
            h
        })
        .collect()
}

pub(super) fn trust_server_certificate_with_verify(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

pub(super) fn ssl_mode_below_policy(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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
