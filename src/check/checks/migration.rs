//! Connector version checks: 1.0 linked services and their migration to 2.0 (what it rewrites, what it
//! drops, what holds it back), unknown versions.

use super::{Hit, json_str, props_path, tp_path};
use crate::check::context::{Context, Target, v1_migration};
use crate::check::rule::Rule;
use crate::finding::{Edit, Safety};
use crate::fix::migrate;
use crate::source::adf::Version;
use crate::source::connstr::Key;

pub(super) fn v1_linked_service(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let c = ls.connector;
    let (span, label, path) = match (c.marker, ls.props.member("version")) {
        (crate::connector::Marker::Type, _) => (
            ls.type_span(),
            format!(
                "the legacy type: `{}` takes its place",
                c.ls_type(crate::connector::Generation::New)
            ),
            props_path("type"),
        ),
        (_, Some(v)) => (
            v.value.span.clone(),
            format!("version {}", c.labels[0]),
            props_path("version"),
        ),
        (_, None) => (
            ls.type_span(),
            format!("no `version` here: absent means {}", c.labels[0]),
            props_path("type"),
        ),
    };
    let hit = Hit::new(span, label, path);
    // --credentials-to-key-vault: the move and the migration are one fix, so the migration keeps the
    // Key Vault reference
    let target = rewrite_target(ls.connector);
    if let Some(f) = crate::check::key_vault::v1_with_move(cx) {
        let mut title = format!(
            "{target} with the password in Key Vault secret `{}`",
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
            let mut title = target;
            if !m.unsafe_reasons.is_empty() {
                title = format!("{title} (unsafe: {})", m.unsafe_reasons.join("; "));
            }
            vec![hit.arg("detail", "").fix(m.safety, title, m.edits)]
        }
        Err(b) => vec![hit.arg(
            "detail",
            format!(
                " and cannot be migrated automatically: {}",
                b.reason(ls.connector)
            ),
        )],
    }
}

/// What the migration fix does, in its title: `rewrite to version 2.0`, `rewrite to PostgreSqlV2`.
fn rewrite_target(c: &crate::connector::Connector) -> String {
    match c.marker {
        crate::connector::Marker::Version => format!("rewrite to version {}", c.labels[1]),
        crate::connector::Marker::Type => format!("rewrite to {}", c.ls_types[1]),
    }
}

pub(super) fn unknown_version(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

pub(super) fn user_at_server(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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
            let cs = &c.parsed;
            let (Some(u), Some(server)) = (cs.get(Key::Username), cs.value(Key::Server)) else {
                return Vec::new();
            };
            let Some(plain) = migrate::strip_user_at_server(&u.value, server) else {
                return Vec::new();
            };
            vec![
                Hit::new(
                    c.span(cx.text, u.value_span.clone()),
                    "Single Server user name",
                    tp_path("connectionString"),
                )
                .arg("user", u.value.clone())
                .arg("plain", plain),
            ]
        }
    }
}

pub(super) fn dropped_connection_string_keys(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let Some(c) = cx.connection_string() else {
        return arm_dropped_keys(cx);
    };
    let (s, cs) = (&c.text, &c.parsed);
    let mut hits: Vec<Hit> = cs
        .pairs
        .iter()
        .filter(|p| !migrate::has_property(p.canon, cx.ls.connector))
        .map(|p| {
            Hit::new(
                c.span(cx.text, p.key_span.clone()),
                "no equivalent property",
                tp_path("connectionString"),
            )
            .arg("key", crate::mask::shown_key_name(&p.key))
            .arg("detail", "")
            .arg("mapped", migrate::mapped_keys(cx.ls.connector))
        })
        .collect();
    // HostNameInCertificate has no 2.0 property either: said here, and whether its check survives
    if let Some(p) = cs.get(Key::HostNameInCertificate) {
        hits.push(
            Hit::new(
                c.span(cx.text, p.key_span.clone()),
                "no equivalent property",
                tp_path("connectionString"),
            )
            .arg("key", p.key.clone())
            .arg("mapped", migrate::mapped_keys(cx.ls.connector))
            .arg(
                "detail",
                format!(": {}", migrate::certificate_host_dropped(cs)),
            ),
        );
    }
    for j in &cs.junk {
        // stray text may be a fragment of a password split by a `;`: located, never printed
        let shown = format!("(text of {} characters)", s[j.clone()].chars().count());
        hits.push(
            Hit::new(
                c.span(cx.text, j.clone()),
                "not a key=value pair",
                tp_path("connectionString"),
            )
            .arg("key", shown)
            .arg("detail", "")
            .arg("mapped", migrate::mapped_keys(cx.ls.connector)),
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
    let Some(cs) = crate::fix::arm::source_string(param, &cx.ls, &cx.opts.template) else {
        return Vec::new();
    };
    migrate::dropped_keys(&cs, cx.ls.connector)
        .into_iter()
        .map(|key| {
            Hit::new(
                m.value.span.clone(),
                "its value has a key with no equivalent property",
                tp_path("connectionString"),
            )
            .arg("key", key)
            .arg("detail", "")
            .arg("mapped", migrate::mapped_keys(cx.ls.connector))
        })
        .collect()
}
