//! The factory-wide survey before anything is written: every move of the scanned factories and
//! published templates, the secrets they need, and every reason the run must stop (no vault, an invalid
//! name, one secret name for two credentials).

use super::names::{factory_name, template_factory_name, valid_secret_name};
use super::plan::{file_move, member_of, template_vault, v1_connection_string, values};
use super::{Move, Secret};
use crate::check::context::CheckOptions;
use crate::fix::migrate::VaultTarget;
use crate::mask::printable;
use crate::source::adf::{LinkedService, Version, is_key_vault_ref};
use crate::source::json::Node;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every move of the scanned factories, checked before anything is written: the vault exists and is
/// AzureKeyVault, names are valid, and one name holds one credential. Err: every problem, one a line.
pub fn survey(
    index: &crate::index::Index,
    templates: &[PathBuf],
    target: &VaultTarget,
    opts: &CheckOptions,
    max_size: u64,
) -> Result<Vec<Secret>, String> {
    let mut secrets: BTreeMap<String, (Secret, (String, String))> = BTreeMap::new();
    let mut problems = Vec::new();
    for (root, factory) in &index.factories {
        let name = factory_name(root);
        let mut moved_here: Vec<String> = Vec::new();
        // secrets of this vault the factory already references: secret name → (linked service, login)
        let mut existing: BTreeMap<String, (String, (String, String))> = BTreeMap::new();
        let entries = factory
            .linked_services
            .values()
            .flatten()
            .filter(|e| crate::connector::by_ls_type(&e.kind).is_some());
        for entry in entries {
            let Some(doc) = read(&entry.path, max_size) else {
                continue;
            };
            let Ok(node) = doc.parse() else { continue };
            let layout = doc.layout();
            for ls in crate::source::adf::linked_services(&node)
                .iter()
                .filter(|l| l.name == entry.name)
            {
                if let Some(secret) = referenced_secret(ls, &target.vault) {
                    let cs = v1_connection_string(ls, opts);
                    let v = values(ls, cs.as_ref(), &opts.migration);
                    let login = (v.server.unwrap_or_default(), v.username.unwrap_or_default());
                    existing.insert(secret, (ls.name.to_string(), login));
                }
                let Some(result) = file_move(&doc.text, &layout, &node, ls, target, &name, opts)
                else {
                    continue;
                };
                let shown = crate::text::display_path(&entry.path);
                let mv = match result {
                    Ok(mv) => mv,
                    // held back here only: ADFPG024 reports it, the rest of the run goes on
                    Err(why) if !why.fatal => continue,
                    Err(why) => {
                        problems.push(format!(
                            "{shown}: linked service `{}`: {}",
                            ls.name, why.reason
                        ));
                        continue;
                    }
                };
                moved_here.push(mv.secret.clone());
                record(
                    &mut secrets,
                    &mut problems,
                    &mv,
                    ls.name,
                    &entry.path,
                    &target.vault,
                );
            }
        }
        // a new secret must not overwrite one another linked service already reads for another login
        for secret in &moved_here {
            let (Some((s, identity)), Some((other, login))) =
                (secrets.get(secret), existing.get(secret))
            else {
                continue;
            };
            if identity != login {
                problems.push(format!(
                    "{}: secret `{secret}` is already read by linked service `{other}` for another login, and storing `{}`'s password there would break it: choose another secret-name",
                    crate::text::display_path(root),
                    s.linked_services[0].0
                ));
            }
        }
        if !moved_here.is_empty() {
            match factory.linked_service(&target.vault) {
                Some(l) if l.kind == "AzureKeyVault" => {
                    let resource = vault_resource(&l.path, max_size);
                    for name in &moved_here {
                        if let Some((s, _)) = secrets.get_mut(name) {
                            s.vault_resource.clone_from(&resource);
                        }
                    }
                }
                Some(l) => problems.push(format!(
                    "{}: the vault `{}` is a {} linked service, not AzureKeyVault (ADFPG052)",
                    crate::text::display_path(root),
                    target.vault,
                    l.kind
                )),
                None => problems.push(format!(
                    "{}: the factory has no linked service `{}`: create the AzureKeyVault linked service first (ADFPG052)",
                    crate::text::display_path(root),
                    target.vault
                )),
            }
        }
    }
    // published templates (not linked templates, which no fix edits) that declare the vault
    for t in templates.iter().filter(|t| !in_linked_templates(t)) {
        let Some(doc) = read(t, max_size) else {
            continue;
        };
        let Ok(node) = doc.parse() else { continue };
        let Some(vault_props) = template_vault(&node, &target.vault) else {
            continue; // ADFPG024 reports the move held back
        };
        let resource = vault_resource_of(vault_props);
        let services = crate::source::adf::linked_services(&node);
        let v1: Vec<&str> = services
            .iter()
            .filter(|l| l.version() == Version::V1)
            .map(|l| l.name)
            .collect();
        let opts = CheckOptions {
            template: crate::fix::arm::template_sources(t, index.template_home(t, &node), &v1),
            ..opts.clone()
        };
        let factory = template_factory_name(&node).unwrap_or_default();
        let layout = doc.layout();
        for ls in &services {
            let Some(result) = file_move(&doc.text, &layout, &node, ls, target, &factory, &opts)
            else {
                continue;
            };
            match result {
                Ok(mv) => {
                    record(&mut secrets, &mut problems, &mv, ls.name, t, &target.vault);
                    if let Some((s, _)) = secrets.get_mut(&mv.secret) {
                        s.vault_resource = s.vault_resource.take().or_else(|| resource.clone());
                    }
                }
                Err(why) if why.fatal => problems.push(format!(
                    "{}: linked service `{}`: {}",
                    crate::text::display_path(t),
                    ls.name,
                    why.reason
                )),
                Err(_) => {}
            }
        }
    }
    if problems.is_empty() {
        Ok(secrets.into_values().map(|(s, _)| s).collect())
    } else {
        // names and paths come from the factory: no control character reaches the terminal
        let lines: Vec<String> = problems.iter().map(|p| printable(p).into_owned()).collect();
        Err(lines.join("\n"))
    }
}

/// The literal secret name a linked service's credential already reads from `vault`, if it does.
fn referenced_secret(ls: &LinkedService, vault: &str) -> Option<String> {
    let m = ls.tp(member_of(ls))?;
    if !is_key_vault_ref(&m.value) {
        return None;
    }
    let store = m.value.get("store")?.str_at("referenceName")?;
    (store == vault).then(|| m.value.str_at("secretName").map(str::to_string))?
}

/// Add a move to the secrets: a new secret, or one more user of a secret with the same login.
fn record(
    secrets: &mut BTreeMap<String, (Secret, (String, String))>,
    problems: &mut Vec<String>,
    mv: &Move,
    ls: &str,
    path: &Path,
    vault: &str,
) {
    let unsafe_move = mv.source.unsafe_reason("", "").is_some();
    let Some((s, identity)) = secrets.get_mut(&mv.secret) else {
        let secret = Secret {
            name: mv.secret.clone(),
            vault: vault.to_string(),
            linked_services: vec![(ls.to_string(), path.to_path_buf())],
            source: mv.source.clone(),
            unsafe_move,
            vault_resource: None,
        };
        secrets.insert(mv.secret.clone(), (secret, mv.identity.clone()));
        return;
    };
    let values_differ = match (s.source.value(), mv.source.value()) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    };
    if *identity != mv.identity || values_differ {
        problems.push(format!(
            "{}: linked services `{}` and `{ls}` would share secret `{}` but hold different credentials: put `{{ls}}` (or `{{server}}`/`{{username}}`) in the secret-name template",
            crate::text::display_path(path),
            s.linked_services[0].0,
            mv.secret
        ));
    }
    s.linked_services.push((ls.to_string(), path.to_path_buf()));
    s.unsafe_move |= unsafe_move;
    if s.source.value().is_none() && mv.source.value().is_some() {
        s.source = mv.source.clone();
    }
}

fn in_linked_templates(path: &Path) -> bool {
    path.components()
        .any(|c| c.as_os_str().eq_ignore_ascii_case("linkedTemplates"))
}

/// `https://example-kv.vault.azure.net/` → `example-kv` (None for an expression or another form).
fn vault_resource(path: &Path, max_size: u64) -> Option<String> {
    let doc = read(path, max_size)?;
    let root = doc.parse().ok()?;
    vault_resource_of(root.get("properties")?)
}

/// The Key Vault's name from an AzureKeyVault linked service's `properties`.
fn vault_resource_of(props: &Node) -> Option<String> {
    let url = props.get("typeProperties")?.str_at("baseUrl")?;
    let host = url
        .trim()
        .strip_prefix("https://")?
        .split(['/', ':'])
        .next()?;
    let name = host.split('.').next()?;
    (host.contains(".vault.") && valid_secret_name(name)).then(|| name.to_string())
}

fn read(path: &Path, max_size: u64) -> Option<crate::source::document::Document> {
    use std::io::Read;
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .ok()?
        .take(max_size.saturating_add(1))
        .read_to_end(&mut buf)
        .ok()?;
    (buf.len() as u64 <= max_size).then_some(())?;
    crate::source::document::Document::decode(buf).ok()
}
