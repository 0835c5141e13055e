//! What ADFPG024 checks: which credential a linked service's authentication uses, where its value is
//! (plaintext, a SecureString, only `encryptedCredential`, not in the repository), and whether and how it
//! moves to the vault (a `Move`) or why it stays (`Held`).

use super::names::secret_name;
use super::{Held, Move, Source, Values};
use crate::check::context::{CheckOptions, v1_migration};
use crate::fix::migrate::VaultTarget;
use crate::source::adf::{LinkedService, Version, is_expression_node, is_key_vault_ref};
use crate::source::connstr::{self, ConnStr, Key};
use crate::source::document::Layout;
use crate::source::json::{Kind, Member, Node};

fn v2_value(ls: &LinkedService, key: &str) -> Option<String> {
    let m = ls.tp(key)?;
    match &m.value.kind {
        Kind::String { value, .. } => Some(value.clone()),
        Kind::Number(n) => Some(n.clone()),
        Kind::Object(_) if m.value.str_at("type") == Some("Expression") => {
            m.value.str_at("value").map(str::to_string)
        }
        _ => None,
    }
}

pub(super) fn values(
    ls: &LinkedService,
    cs: Option<&ConnStr>,
    opts: &crate::fix::migrate::MigrationOptions,
) -> Values {
    match cs {
        Some(cs) => {
            let server = cs.value(Key::Server).map(str::to_string);
            let username = cs.value(Key::Username).map(|u| {
                server
                    .as_deref()
                    .and_then(|s| crate::fix::migrate::strip_user_at_server(u, s))
                    .filter(|_| opts.strip_user_at_server)
                    .unwrap_or_else(|| u.to_string())
            });
            Values {
                server,
                database: cs.value(Key::Database).map(str::to_string),
                username,
            }
        }
        None => Values {
            server: v2_value(ls, "server"),
            database: v2_value(ls, "database"),
            username: v2_value(ls, "username"),
        },
    }
}

/// The credential member the linked service's authentication uses (`password` when none applies).
pub fn member_of(ls: &LinkedService) -> &'static str {
    credential_member(ls).unwrap_or("password")
}

/// The credential member an authentication type uses, or None (managed identities, certificates).
fn credential_member(ls: &LinkedService) -> Option<&'static str> {
    if ls.version() == Version::V1 {
        return Some("password");
    }
    // ADFPG007 fixes the spelling; the credential is the same
    let auth = ls
        .tp("authenticationType")
        .and_then(|m| m.value.as_str())
        .map(str::to_ascii_lowercase);
    match auth.as_deref() {
        None | Some("basic" | "basicauth") => Some("password"),
        Some("serviceprincipal")
            if ls
                .tp("servicePrincipalCredentialType")
                .and_then(|m| m.value.as_str())
                .is_none_or(|t| t == "ServicePrincipalKey") =>
        {
            Some("servicePrincipalKey")
        }
        _ => None,
    }
}

fn is_masked(v: &str) -> bool {
    !v.is_empty() && v.chars().all(|c| c == '*')
}

/// Where a credential member's value is; None when it is already a reference, Err when it stays.
fn member_source(m: &Member) -> Option<Result<Source, String>> {
    let v = &m.value;
    if is_key_vault_ref(v) {
        return None;
    }
    let (text, secure) = match &v.kind {
        Kind::String { value, .. } => (value.as_str(), false),
        Kind::Object(_) if v.str_at("type") == Some("SecureString") => {
            (v.str_at("value").unwrap_or_default(), true)
        }
        _ if is_expression_node(v) => {
            return Some(Err(format!(
                "`{}` is an ADF expression, left as it is",
                m.key
            )));
        }
        _ => {
            return Some(Err(format!(
                "`{}` is {}, not a secret",
                m.key,
                v.type_name()
            )));
        }
    };
    let t = text.trim();
    Some(Ok(if t.starts_with('[') && t.ends_with(']') {
        Source::NotInRepository("an ARM template parameter")
    } else if connstr::is_expression(t) {
        return Some(Err(format!(
            "`{}` is an ADF expression, left as it is",
            m.key
        )));
    } else if is_masked(t) || t.is_empty() {
        Source::NotInRepository("a masked placeholder")
    } else if secure {
        Source::SecureString(text.to_string())
    } else {
        Source::Plain(text.to_string())
    }))
}

/// The move for one linked service: None when there is nothing to move (already in Key Vault, no
/// credential, an identity-based authentication), Err with the reason when it is held back.
pub fn plan_move<'a>(
    ls: &LinkedService<'a>,
    target: &VaultTarget,
    factory: &str,
    v1_string: Option<&ConnStr>,
    opts: &crate::fix::migrate::MigrationOptions,
) -> Option<Result<Move<'a>, Held>> {
    let member = credential_member(ls)?;
    let existing = ls.tp(member);
    let encrypted = ls.tp("encryptedCredential");
    let connection_string = ls
        .tp("connectionString")
        .filter(|_| ls.version() == Version::V1);
    let source = match existing.map(member_source) {
        Some(None) => return None,
        Some(Some(s)) => s,
        None => {
            let in_string = v1_string
                .and_then(|c| c.get(Key::Password))
                .filter(|p| !p.value.is_empty());
            match in_string {
                Some(p) if p.is_expression() => Err(
                    "the connection string gives its password as an ADF expression, left as it is"
                        .into(),
                ),
                Some(p) => {
                    let secure = connection_string
                        .is_some_and(|m| m.value.str_at("type") == Some("SecureString"));
                    Ok(if secure {
                        Source::SecureString(p.value.clone())
                    } else {
                        Source::Plain(p.value.clone())
                    })
                }
                None if encrypted.is_some() => Ok(Source::Encrypted),
                // an ARM template's 1.0 connection string is a secure parameter, exported empty
                None if connection_string
                    .and_then(|m| m.value.as_str())
                    .and_then(crate::fix::arm::parameter_reference)
                    .is_some() =>
                {
                    Ok(Source::NotInRepository("an ARM template parameter"))
                }
                None => return None,
            }
        }
    };
    let v = values(ls, v1_string, opts);
    let result = source.map_err(Held::from).and_then(|source| {
        let secret = secret_name(&target.secret_name, factory, ls.name, &v)?;
        Ok(Move {
            member,
            secret,
            source,
            identity: (
                v.server.clone().unwrap_or_default(),
                v.username.clone().unwrap_or_default(),
            ),
            existing,
            encrypted,
            connection_string,
        })
    });
    Some(result)
}

/// Does an ARM template declare the vault as an AzureKeyVault linked service?
pub fn template_has_vault(root: &Node, vault: &str) -> bool {
    template_vault(root, vault).is_some()
}

/// The `properties` of the vault's AzureKeyVault linked service in an ARM template.
pub(super) fn template_vault<'a>(root: &'a Node, vault: &str) -> Option<&'a Node> {
    crate::source::adf::arm_resources(root, "/linkedservices")
        .filter(|(_, r)| r.str_at("name").map(crate::source::adf::arm_resource_name) == Some(vault))
        .find_map(|(_, r)| {
            r.get("properties")
                .filter(|p| p.str_at("type") == Some("AzureKeyVault"))
        })
}

/// The move of a linked service in a file, given what the 1.0 migration would do: a 1.0 definition
/// moves only when it can then be migrated (else the Key Vault reference would sit beside a
/// connection string that still holds the password).
pub fn file_move<'a>(
    text: &str,
    layout: &Layout,
    root: &'a Node,
    ls: &LinkedService<'a>,
    target: &VaultTarget,
    factory: &str,
    opts: &CheckOptions,
) -> Option<Result<Move<'a>, Held>> {
    let v1_string = match ls.version() {
        Version::V1 => {
            if let Err(b) = v1_migration(text, layout, root, ls, opts) {
                // nothing to say when there is nothing to move anyway
                return plan_move(ls, target, factory, None, &opts.migration).map(|_| {
                    Err(format!("held back with the migration: {}", b.reason(ls.connector)).into())
                });
            }
            Some(v1_connection_string(ls, opts))
        }
        Version::V2 => None,
        Version::Unknown => return None,
    };
    plan_move(
        ls,
        target,
        factory,
        v1_string.flatten().as_ref(),
        &opts.migration,
    )
}

/// The 1.0 connection string a migration splits: the literal, or an ARM template's source string.
pub(super) fn v1_connection_string(ls: &LinkedService, opts: &CheckOptions) -> Option<ConnStr> {
    let parsed = match crate::fix::migrate::connection_string(ls) {
        Ok((_, _, s)) if crate::fix::arm::parameter_reference(&s).is_none() => {
            connstr::parse_as(&s, ls.connector.braced_values)
        }
        _ => {
            let param = ls
                .tp("connectionString")?
                .value
                .as_str()
                .and_then(crate::fix::arm::parameter_reference)?;
            crate::fix::arm::source_string(param, ls, &opts.template)?
        }
    };
    // a URL host (`postgresql://user:pw@host/db`) holds the values the migration splits out of it
    Some(crate::fix::migrate::expand_host_url(&parsed).unwrap_or(parsed))
}
