//! Credential checks: the credentials each authentication type needs, secrets in plain text, Key Vault
//! references, and moving credentials to Key Vault.

use super::{Hit, is_basic, props_path, tp_path};
use crate::check::context::{Context, Target};
use crate::check::rule::Rule;
use crate::finding::Safety;
use crate::fix::migrate::{self, Blocked};
use crate::source::adf::{Version, is_expression_node, is_key_vault_ref};
use crate::source::connstr::{self, Key};
use crate::source::json::Kind;

/// ADFPG024: with `--credentials-to-key-vault`, a password or service-principal key outside Key Vault
/// becomes a reference to the vault (see `crate::check::key_vault`).
pub(super) fn credential_to_key_vault(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

const SP_FIELDS: &[&str] = &[
    "tenant",
    "servicePrincipalId",
    "servicePrincipalCredentialType",
    "servicePrincipalKey",
    "servicePrincipalEmbeddedCert",
    "servicePrincipalEmbeddedCertPassword",
    "azureCloudType",
];

pub(super) fn credentials_for_authentication_type(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

/// A literal secret value: not empty, not an ADF or ARM expression, not a `****` placeholder.
fn is_literal_secret(v: &str) -> bool {
    let t = v.trim();
    let arm_expression = t.starts_with('[') && t.ends_with(']');
    let placeholder = t.chars().all(|c| c == '*'); // also true for ""
    !(placeholder || arm_expression || connstr::is_expression(t))
}

pub(super) fn plaintext_secret(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let mut hits = Vec::new();
    if let Some(c) = cx.connection_string() {
        let cs = &c.parsed;
        // the login password, and every other password a key names (`SSL Password`, the DataDirect
        // `TrustStorePassword` …): one finding each, as each becomes a property of its own (or is dropped)
        // when migrated
        for p in cs.pairs.iter().filter(|p| {
            (matches!(p.canon, Key::Password | Key::SslPassword)
                || p.key.to_ascii_lowercase().contains("password"))
                && is_literal_secret(&p.value)
        }) {
            let label = if p.canon == Key::Password {
                "password in plain text".to_string()
            } else {
                format!(
                    "secret in plain text (`{}`)",
                    crate::mask::shown_key_name(&p.key)
                )
            };
            hits.push(
                Hit::new(
                    c.span(cx.text, p.value_span.clone()),
                    label,
                    tp_path("connectionString"),
                )
                .arg("where", "the connection string"),
            );
        }
        for (p, range) in cs.pairs.iter().filter_map(|p| Some((p, url_password(p)?))) {
            hits.push(
                Hit::new(
                    c.span(cx.text, range),
                    "password in plain text in the host URL",
                    tp_path("connectionString"),
                )
                .arg("where", format!("the host URL of `{}`", p.key)),
            );
        }
    }
    for field in ls.connector.secrets {
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
fn url_password(p: &connstr::Pair) -> Option<std::ops::Range<usize>> {
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

pub(super) fn connection_string_in_key_vault(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
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

pub(super) fn password_only_in_encrypted_credential(
    _: &Rule,
    cx: &Context,
    _: &Target,
) -> Vec<Hit> {
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

/// ADFPG025: a 1.0 connection string with a password in it and a `password` property beside it (in a
/// template, the string behind the `[parameters(…)]` reference). Which one the 1.0 connector used is
/// undocumented; the migration keeps the property, so the string's one is dropped.
pub(super) fn password_given_twice(_: &Rule, cx: &Context, _: &Target) -> Vec<Hit> {
    let ls = &cx.ls;
    let Some(property) = ls.tp("password") else {
        return Vec::new();
    };
    let kind = if is_key_vault_ref(&property.value) {
        "a Key Vault reference"
    } else {
        "a secret given in the file"
    };
    let hit = |span, label: &str| {
        let mut h = Hit::new(span, label, tp_path("connectionString")).arg("kind", kind);
        h.related
            .push((property.key_span.clone(), "the `password` property".into()));
        h
    };
    if let Some(c) = cx.connection_string() {
        return c
            .parsed
            .get(Key::Password)
            .filter(|p| !p.value.is_empty())
            .map(|p| {
                hit(
                    c.span(cx.text, p.key_span.clone()),
                    "a password in the string",
                )
            })
            .into_iter()
            .collect();
    }
    let Some(m) = ls.tp("connectionString").filter(|_| !ls.base.is_empty()) else {
        return Vec::new();
    };
    let Some(param) = m
        .value
        .as_str()
        .and_then(crate::fix::arm::parameter_reference)
    else {
        return Vec::new();
    };
    crate::fix::arm::source_string(param, ls, &cx.opts.template)
        .filter(|cs| cs.value(Key::Password).is_some_and(|p| !p.is_empty()))
        .map(|_| hit(m.value.span.clone(), "its value holds a password"))
        .into_iter()
        .collect()
}
