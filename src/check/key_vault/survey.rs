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

/// Secret name → the secret, and the login (server, user name) whose password it holds.
type Secrets = BTreeMap<String, (Secret, (String, String))>;

/// Secret name → the linked service already reading it from the vault, and its login.
type Existing = BTreeMap<String, (String, (String, String))>;

/// Every move of the scanned factories, checked before anything is written: the vault exists and is
/// AzureKeyVault, names are valid, and one name holds one credential. Err: every problem, one a line.
pub fn survey(
    index: &crate::index::Index,
    templates: &[PathBuf],
    target: &VaultTarget,
    opts: &CheckOptions,
    max_size: u64,
) -> Result<Vec<Secret>, String> {
    let mut survey = Survey {
        target,
        opts,
        max_size,
        secrets: Secrets::new(),
        problems: Vec::new(),
    };
    for (root, factory) in &index.factories {
        let (moved_here, existing) = survey.factory_moves(factory, &factory_name(root));
        survey.no_secret_overwritten(root, &moved_here, &existing);
        if !moved_here.is_empty() {
            survey.factory_vault(root, factory, &moved_here);
        }
    }
    // published templates (not linked templates, which no fix edits) that declare the vault
    for t in templates.iter().filter(|t| !in_linked_templates(t)) {
        survey.template_moves(index, t);
    }
    let Survey {
        secrets, problems, ..
    } = survey;
    if problems.is_empty() {
        Ok(secrets.into_values().map(|(s, _)| s).collect())
    } else {
        // names and paths come from the factory: no control character reaches the terminal
        let lines: Vec<String> = problems.iter().map(|p| printable(p).into_owned()).collect();
        Err(lines.join("\n"))
    }
}

/// The survey under way: what it reads, and the secrets and problems found so far.
struct Survey<'a> {
    target: &'a VaultTarget,
    opts: &'a CheckOptions,
    max_size: u64,
    secrets: Secrets,
    problems: Vec<String>,
}

impl Survey<'_> {
    /// The moves of one factory folder's linked services (`name`: the factory's), recorded: the secret
    /// names they write, and the secrets of the vault the factory already references.
    fn factory_moves(
        &mut self,
        factory: &crate::index::Factory,
        name: &str,
    ) -> (Vec<String>, Existing) {
        let (target, opts) = (self.target, self.opts);
        let mut moved_here: Vec<String> = Vec::new();
        let mut existing = Existing::new();
        let entries = factory
            .linked_services
            .values()
            .flatten()
            .filter(|e| crate::connector::by_ls_type(&e.kind).is_some());
        for entry in entries {
            let Some(doc) = read(&entry.path, self.max_size) else {
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
                let Some(result) = file_move(&doc.text, &layout, &node, ls, target, name, opts)
                else {
                    continue;
                };
                let shown = crate::text::display_path(&entry.path);
                let mv = match result {
                    Ok(mv) => mv,
                    // held back here only: ADFPG024 reports it, the rest of the run goes on
                    Err(why) if !why.fatal => continue,
                    Err(why) => {
                        self.problems.push(format!(
                            "{shown}: linked service `{}`: {}",
                            ls.name, why.reason
                        ));
                        continue;
                    }
                };
                moved_here.push(mv.secret.clone());
                record(
                    &mut self.secrets,
                    &mut self.problems,
                    &mv,
                    ls.name,
                    &entry.path,
                    &target.vault,
                );
            }
        }
        (moved_here, existing)
    }

    /// A new secret must not overwrite one another linked service already reads for another login.
    fn no_secret_overwritten(&mut self, root: &Path, moved_here: &[String], existing: &Existing) {
        for secret in moved_here {
            let (Some((s, identity)), Some((other, login))) =
                (self.secrets.get(secret), existing.get(secret))
            else {
                continue;
            };
            if identity != login {
                self.problems.push(format!(
                    "{}: secret `{secret}` is already read by linked service `{other}` for another login, and storing `{}`'s password there would break it: choose another secret-name",
                    crate::text::display_path(root),
                    s.linked_services[0].0
                ));
            }
        }
    }

    /// The factory's vault linked service, which the moves in it need: an AzureKeyVault one, whose Key
    /// Vault name the secrets moved there take.
    fn factory_vault(
        &mut self,
        root: &Path,
        factory: &crate::index::Factory,
        moved_here: &[String],
    ) {
        let vault = &self.target.vault;
        match factory.linked_service(vault) {
            Some(l) if l.kind == "AzureKeyVault" => {
                let resource = vault_resource(&l.path, self.max_size);
                for name in moved_here {
                    if let Some((s, _)) = self.secrets.get_mut(name) {
                        s.vault_resource.clone_from(&resource);
                    }
                }
            }
            Some(l) => self.problems.push(format!(
                "{}: the vault `{}` is a {} linked service, not AzureKeyVault (ADFPG052)",
                crate::text::display_path(root),
                vault,
                l.kind
            )),
            None => self.problems.push(format!(
                "{}: the factory has no linked service `{}`: create the AzureKeyVault linked service first (ADFPG052)",
                crate::text::display_path(root),
                vault
            )),
        }
    }

    /// The moves of a published template that declares the vault, recorded.
    fn template_moves(&mut self, index: &crate::index::Index, t: &Path) {
        let target = self.target;
        let Some(doc) = read(t, self.max_size) else {
            return;
        };
        let Ok(node) = doc.parse() else { return };
        let Some(vault_props) = template_vault(&node, &target.vault) else {
            return; // ADFPG024 reports the move held back
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
            ..self.opts.clone()
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
                    record(
                        &mut self.secrets,
                        &mut self.problems,
                        &mv,
                        ls.name,
                        t,
                        &target.vault,
                    );
                    if let Some((s, _)) = self.secrets.get_mut(&mv.secret) {
                        s.vault_resource = s.vault_resource.take().or_else(|| resource.clone());
                    }
                }
                Err(why) if why.fatal => self.problems.push(format!(
                    "{}: linked service `{}`: {}",
                    crate::text::display_path(t),
                    ls.name,
                    why.reason
                )),
                Err(_) => {}
            }
        }
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
    secrets: &mut Secrets,
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
