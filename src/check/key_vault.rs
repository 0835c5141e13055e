//! Moving credentials to Azure Key Vault while migrating (`--credentials-to-key-vault VAULT`): the
//! password (or service-principal key) of each AzurePostgreSql linked service becomes an
//! `AzureKeyVaultSecret` reference to VAULT, and the plaintext, `SecureString` or `encryptedCredential`
//! goes away. The move runs before the 1.0 → 2.0 migration (as its own fix, ADFPG024), so that the
//! migration then keeps the Key Vault reference as it keeps any (and an ARM template gets no
//! `<ls>_password` parameter). Secret values never reach an output; only `--export-secrets` writes them.

use crate::check::context::{CheckOptions, Context, v1_migration};
use crate::finding::Edit;
use crate::fix::migrate::VaultTarget;
use crate::mask::printable;
use crate::source::adf::{
    LinkedService, Version, is_expression_node, is_key_vault_ref, member_layout,
};
use crate::source::connstr::{self, ConnStr, Key};
use crate::source::document::Layout;
use crate::source::json::{Kind, Member, Node};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub const PLACEHOLDERS: [&str; 5] = ["factory", "ls", "server", "database", "username"];
/// The secret name when only the vault is given.
pub const DEFAULT_SECRET_NAME: &str = "{ls}-password";

/// A template's pieces: literal text or a placeholder name.
enum Piece<'t> {
    Text(&'t str),
    Slot(&'t str),
}

fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find(['{', '}']) {
            None => {
                out.push(Piece::Text(rest));
                rest = "";
            }
            Some(i) if rest.as_bytes()[i] == b'}' => {
                return Err(format!("`}}` without `{{` in secret-name `{template}`"));
            }
            Some(i) => {
                if i > 0 {
                    out.push(Piece::Text(&rest[..i]));
                }
                let end = rest[i..]
                    .find('}')
                    .ok_or_else(|| format!("`{{` without `}}` in secret-name `{template}`"))?;
                let name = &rest[i + 1..i + end];
                if !PLACEHOLDERS.contains(&name) {
                    return Err(format!(
                        "unknown placeholder `{{{name}}}` in secret-name `{template}`: use {}",
                        PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")
                    ));
                }
                out.push(Piece::Slot(name));
                rest = &rest[i + end + 1..];
            }
        }
    }
    Ok(out)
}

/// Is `name` a valid Key Vault secret name: 1–127 characters, ASCII letters, digits and dashes?
pub fn valid_secret_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

const NAME_RULE: &str = "Key Vault secret names are 1–127 characters: letters, digits and dashes";

/// Check a template before anything is read: known placeholders, and literal text Key Vault accepts.
pub fn check_template(template: &str) -> Result<(), String> {
    let parts = pieces(template)?;
    if parts.is_empty() {
        return Err("secret-name is empty".into());
    }
    for p in parts {
        if let Piece::Text(t) = p
            && !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(format!("secret-name `{template}` holds `{t}`: {NAME_RULE}"));
        }
    }
    Ok(())
}

/// Check a vault linked-service name (the `referenceName` written): a literal ADF resource name.
pub fn check_vault_name(vault: &str) -> Result<(), String> {
    let ok = !vault.is_empty()
        && vault.len() <= 260
        && !vault.starts_with('@')
        && vault
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' ' | '.'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{vault}` is not a linked-service name (letters, digits, `_`, `-`, `.` and spaces)"
        ))
    }
}

/// Where the credential's value is, which decides the fix's safety and what can be exported.
#[derive(Clone, PartialEq)]
pub enum Source {
    /// A plaintext value: in the connection string or a plain string member.
    Plain(String),
    /// A `SecureString` with a literal value (a connection string or a member).
    SecureString(String),
    /// Only `encryptedCredential`: the value is not in the repository.
    Encrypted,
    /// A masked placeholder (`****`) or an ARM template parameter: not in the repository.
    NotInRepository(&'static str),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the value
        f.write_str(self.describe())
    }
}

impl Source {
    pub fn value(&self) -> Option<&str> {
        match self {
            Source::Plain(v) | Source::SecureString(v) => Some(v),
            _ => None,
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Source::Plain(_) => "plaintext in the repository",
            Source::SecureString(_) => "a SecureString in the repository",
            Source::Encrypted => "only in encryptedCredential",
            Source::NotInRepository(why) => why,
        }
    }

    /// Why moving it is unsafe, if it is: the secret must exist in the vault before deploy, and for
    /// these forms the operator has to take care of it (the tool cannot, or ADF deployed it as given).
    pub fn unsafe_reason(&self, secret: &str, vault: &str) -> Option<String> {
        match self {
            Source::Plain(_) => None,
            Source::SecureString(_) => Some(format!(
                "the SecureString value must be stored as secret `{secret}` in `{vault}` before deploy (--export-secrets writes it)"
            )),
            Source::Encrypted | Source::NotInRepository(_) => Some(format!(
                "the repository does not hold the password ({}): store it as secret `{secret}` in `{vault}` before deploy, then test the connection",
                self.describe()
            )),
        }
    }
}

/// One credential to move, as found in a linked service.
#[derive(Debug)]
pub struct Move<'a> {
    /// `password` or `servicePrincipalKey`.
    pub member: &'static str,
    pub secret: String,
    pub source: Source,
    /// Server and user name: two linked services may share a secret only if these agree.
    pub identity: (String, String),
    existing: Option<&'a Member>,
    encrypted: Option<&'a Member>,
    connection_string: Option<&'a Member>,
}

/// Why a credential does not move. `fatal`: the name template cannot serve this factory (an invalid
/// name), which stops the run before anything is written; otherwise only this linked service stays as
/// it is, and ADFPG024 says why.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub reason: String,
    pub fatal: bool,
}

impl From<String> for Held {
    fn from(reason: String) -> Held {
        Held {
            reason,
            fatal: false,
        }
    }
}

/// The values the secret-name placeholders read.
struct Values {
    server: Option<String>,
    database: Option<String>,
    username: Option<String>,
}

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

fn values(
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

/// A placeholder's value as it goes into a secret name: literal text, or an ADF expression written as
/// an `@{…}` interpolation (ADF resolves `secretName` expressions, linked-service parameters included).
fn slot_text(name: &str, value: Option<&str>) -> Result<String, String> {
    let v = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("`{{{name}}}` has no value in this linked service"))?;
    if v.starts_with('[') && v.ends_with(']') {
        return Err(format!(
            "`{{{name}}}` is an ARM expression here, known only at deployment"
        ));
    }
    if v.starts_with("@{") || (connstr::is_expression(v) && !v.starts_with('@')) {
        return Ok(v.to_string());
    }
    if let Some(expr) = v.strip_prefix('@').filter(|_| !v.starts_with("@@")) {
        return Ok(format!("@{{{expr}}}"));
    }
    Ok(v.replace("@@", "@"))
}

/// The secret name for a linked service, or why none can be made.
fn secret_name(template: &str, factory: &str, ls: &str, v: &Values) -> Result<String, Held> {
    let fatal = |reason: String| Held {
        reason,
        fatal: true,
    };
    let mut out = String::new();
    for p in pieces(template).map_err(fatal)? {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot(s) => out.push_str(&match s {
                "factory" => slot_text(s, Some(factory))?,
                "ls" => slot_text(s, Some(ls))?,
                "server" => slot_text(s, v.server.as_deref())?,
                "database" => slot_text(s, v.database.as_deref())?,
                _ => slot_text(s, v.username.as_deref())?,
            }),
        }
    }
    // only the literal text can be checked; an expression's value is known at run time
    let literal = strip_interpolations(&out);
    let valid = if literal.len() == out.len() {
        valid_secret_name(&out)
    } else {
        literal.len() <= 127
            && literal
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if !valid {
        return Err(fatal(format!(
            "secret name `{out}` is not valid: {NAME_RULE}"
        )));
    }
    Ok(out)
}

fn strip_interpolations(s: &str) -> String {
    strip_interpolations_to(s, "")
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

fn json(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The `AzureKeyVaultSecret` object, laid out like the member it goes into (`lead` is that member's
/// indentation).
pub fn reference_text(
    layout: &Layout,
    lead: &str,
    sep: &str,
    multiline: bool,
    vault: &str,
    secret: &str,
) -> String {
    if !multiline {
        return format!(
            "{{ \"type\"{sep}\"AzureKeyVaultSecret\", \"store\"{sep}{{ \"referenceName\"{sep}{}, \"type\"{sep}\"LinkedServiceReference\" }}, \"secretName\"{sep}{} }}",
            json(vault),
            json(secret)
        );
    }
    let (eol, ind) = (&layout.eol, &layout.indent);
    let l1 = format!("{lead}{ind}");
    let l2 = format!("{l1}{ind}");
    format!(
        "{{{eol}{l1}\"type\"{sep}\"AzureKeyVaultSecret\",{eol}{l1}\"store\"{sep}{{{eol}{l2}\"referenceName\"{sep}{},{eol}{l2}\"type\"{sep}\"LinkedServiceReference\"{eol}{l1}}},{eol}{l1}\"secretName\"{sep}{}{eol}{lead}}}",
        json(vault),
        json(secret)
    )
}

/// Remove a member of `obj` with the comma that joins it to a neighbour.
fn removal(obj: &Node, m: &Member) -> Edit {
    let members = obj.members().unwrap_or_default();
    let i = members
        .iter()
        .position(|o| o.key_span == m.key_span)
        .expect("a member of its object");
    let range = if i > 0 {
        members[i - 1].value.span.end..m.value.span.end
    } else if let Some(next) = members.get(1) {
        m.key_span.start..next.key_span.start
    } else {
        m.span()
    };
    Edit::replace(range, "")
}

/// The edits of a move: the credential member becomes the reference (or the reference takes the place
/// of `encryptedCredential`, or follows the 1.0 connection string), and `encryptedCredential` goes.
pub fn edits(
    text: &str,
    layout: &Layout,
    root: &Node,
    ls: &LinkedService,
    mv: &Move,
    vault: &str,
) -> Vec<Edit> {
    let tp = ls.type_props().expect("a move has typeProperties");
    let reference = |anchor: &Member| {
        let l = member_layout(text, anchor);
        (
            reference_text(layout, &l.lead, &l.sep, l.multiline, vault, &mv.secret),
            l,
        )
    };
    let mut out = Vec::new();
    match (mv.existing, mv.encrypted, mv.connection_string) {
        (Some(m), enc, _) => {
            out.push(Edit::replace(m.value.span.clone(), reference(m).0));
            out.extend(enc.map(|e| removal(tp, e)));
        }
        (None, Some(e), _) => {
            let (r, l) = reference(e);
            out.push(Edit::replace(
                e.span(),
                format!("{}{}{r}", json(mv.member), l.sep),
            ));
        }
        (None, None, Some(cs)) => {
            let (r, l) = reference(cs);
            let join = if l.multiline {
                format!(",{}{}", layout.eol, l.lead)
            } else {
                ", ".into()
            };
            let at = cs.value.span.end;
            out.push(Edit::replace(
                at..at,
                format!("{join}{}{}{r}", json(mv.member), l.sep),
            ));
        }
        (None, None, None) => {}
    }
    // ADF's templates name the factory in `variables('factoryId')`; without it, no dependency is guessed
    if root
        .get("variables")
        .and_then(|v| v.get("factoryId"))
        .is_some()
    {
        out.extend(depends_on_vault(text, layout, ls, vault));
    }
    out
}

/// In an ARM template, the resource depends on the vault's linked service, as ADF's publish writes it
/// (`[concat(variables('factoryId'), '/linkedServices/<vault>')]`), so that it is deployed first.
fn depends_on_vault(text: &str, layout: &Layout, ls: &LinkedService, vault: &str) -> Option<Edit> {
    if ls.base.is_empty() {
        return None;
    }
    let dep = json(&format!(
        "[concat(variables('factoryId'), '/linkedServices/{vault}')]"
    ));
    let resource = ls.resource;
    match resource.member("dependsOn") {
        Some(m) => {
            let items = m.value.elements()?;
            if items.iter().any(|e| {
                e.as_str()
                    .is_some_and(|s| s.contains(&format!("/linkedServices/{vault}'")))
            }) {
                return None;
            }
            match items.last() {
                Some(last) => {
                    let l = crate::source::adf::element_lead(text, last);
                    Some(Edit::replace(
                        last.span.end..last.span.end,
                        format!(",{l}{dep}"),
                    ))
                }
                None => Some(Edit::replace(m.value.span.clone(), format!("[ {dep} ]"))),
            }
        }
        None => {
            let props = resource.member("properties")?;
            let l = member_layout(text, props);
            let (open, close, join) = if l.multiline {
                (
                    format!("[{}{}{}", layout.eol, l.lead, layout.indent),
                    format!("{}{}]", layout.eol, l.lead),
                    format!(",{}{}", layout.eol, l.lead),
                )
            } else {
                ("[ ".into(), " ]".into(), ", ".into())
            };
            let at = props.value.span.end;
            Some(Edit::replace(
                at..at,
                format!("{join}\"dependsOn\"{}{open}{dep}{close}", l.sep),
            ))
        }
    }
}

/// The factory name `{factory}` stands for: the resource in the factory's `factory/` folder (an ADF
/// git repository keeps one there), else the factory folder's name.
pub fn factory_name(root: &Path) -> String {
    let from_file = std::fs::read_dir(root.join("factory")).ok().and_then(|rd| {
        rd.filter_map(|e| e.ok())
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "json").then(|| p.file_stem()?.to_str().map(str::to_string))?
            })
            .next()
    });
    from_file.unwrap_or_else(|| {
        root.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    })
}

/// An ARM template's factory name: the `factoryName` (or `workspaceName`) parameter's default.
pub fn template_factory_name(root: &Node) -> Option<String> {
    let params = root.get("parameters")?;
    ["factoryName", "workspaceName"]
        .iter()
        .find_map(|p| params.get(p)?.str_at("defaultValue").map(str::to_string))
}

/// Does an ARM template declare the vault as an AzureKeyVault linked service?
pub fn template_has_vault(root: &Node, vault: &str) -> bool {
    template_vault(root, vault).is_some()
}

/// The `properties` of the vault's AzureKeyVault linked service in an ARM template.
fn template_vault<'a>(root: &'a Node, vault: &str) -> Option<&'a Node> {
    crate::source::adf::arm_resources(root, "/linkedservices")
        .filter(|(_, r)| r.str_at("name").map(crate::source::adf::arm_resource_name) == Some(vault))
        .find_map(|(_, r)| {
            r.get("properties")
                .filter(|p| p.str_at("type") == Some("AzureKeyVault"))
        })
}

/// One secret to create, with the linked services that read it (never its value in any output).
#[derive(Debug, Clone)]
pub struct Secret {
    pub name: String,
    pub vault: String,
    /// (linked service, file) pairs.
    pub linked_services: Vec<(String, PathBuf)>,
    pub source: Source,
    pub unsafe_move: bool,
    /// The Key Vault's own name (from the vault linked service's `baseUrl`), for `az --vault-name`.
    pub vault_resource: Option<String>,
}

impl Secret {
    /// The names of the linked services that read it, each once (a template repeats a file's).
    pub fn users(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for (ls, _) in &self.linked_services {
            if !out.contains(&ls.as_str()) {
                out.push(ls);
            }
        }
        out
    }
}

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
fn v1_connection_string(ls: &LinkedService, opts: &CheckOptions) -> Option<ConnStr> {
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

/// The operator's part, for `plan` and the `--fix` summary: each secret, and the `az` line that stores
/// it with the value read from a file (never from the command line).
pub fn render_secrets(secrets: &[Secret], export: Option<&Path>) -> String {
    if secrets.is_empty() {
        return String::new();
    }
    let mut out = String::from("Key Vault secrets to create before deploying:\n");
    for s in secrets {
        let users: Vec<String> = s
            .users()
            .into_iter()
            .map(|ls| format!("`{}`", printable(ls)))
            .collect();
        out.push_str(&format!(
            "  {} in vault linked service `{}`: used by {}; the value is {}{}\n",
            printable(&s.name),
            printable(&s.vault),
            users.join(", "),
            s.source.describe(),
            if s.unsafe_move {
                " (unsafe move: the secret must exist before deploy)"
            } else {
                ""
            }
        ));
    }
    out.push_str("Store each value from a file (never on the command line):\n");
    for s in secrets {
        let file = match (export, s.source.value()) {
            (Some(p), Some(_)) => format!(
                "<(jq -j --arg n {} '.[$n]' {})",
                shell_quote(&s.name),
                shell_quote(&p.display().to_string())
            ),
            _ => "<file holding the value>".to_string(),
        };
        let vault = match &s.vault_resource {
            Some(v) => v.clone(),
            None => format!("<the vault of `{}`>", printable(&s.vault)),
        };
        // an expression in the name: ADF resolves it per run, so one secret per value it takes
        let name = if s.name.contains("@{") {
            out.push_str(&format!(
                "  # `{}` holds an expression: create one secret per value it takes\n",
                printable(&s.name)
            ));
            shell_quote(&printable(&strip_interpolations_to(&s.name, "<value>")))
        } else {
            shell_quote(&printable(&s.name))
        };
        out.push_str(&format!(
            "  az keyvault secret set --vault-name {vault} --name {name} --file {file}\n"
        ));
    }
    out
}

/// `pg-@{linkedService().DbName}` → `pg-<value>`.
fn strip_interpolations_to(s: &str, with: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find("@{") {
        out.push_str(&rest[..i]);
        match rest[i..].find('}') {
            Some(end) => {
                out.push_str(with);
                rest = &rest[i + end + 1..];
            }
            // not an interpolation: kept, so that the name check sees `@{`
            None => return out + &rest[i..],
        }
    }
    out + rest
}

fn shell_quote(s: &str) -> String {
    if s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// `--export-secrets FILE`: the values of the secrets whose value is in the repository, as a JSON object
/// (secret name → value) for `jq -j`. Owner-only (0600), a new file only, never inside a scanned path or
/// its git repository (it must not be committed), written atomically (temp file, flush, hard link).
pub fn export(file: &Path, secrets: &[Secret], scanned: &[PathBuf]) -> Result<usize, String> {
    let shown = file.display();
    if file.symlink_metadata().is_ok() {
        return Err(format!("--export-secrets: {shown} exists; name a new file"));
    }
    let dir = match file.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => d.to_path_buf(),
        None => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&dir)
        .map_err(|e| format!("--export-secrets: cannot use folder {}: {e}", dir.display()))?;
    for p in scanned {
        let Ok(p) = std::fs::canonicalize(p) else {
            continue;
        };
        let root = if p.is_dir() {
            p.clone()
        } else {
            p.parent().map(Path::to_path_buf).unwrap_or(p.clone())
        };
        let repo = root.ancestors().find(|a| a.join(".git").exists());
        if dir.starts_with(&root) || repo.is_some_and(|r| dir.starts_with(r)) {
            return Err(format!(
                "--export-secrets: {shown} is inside the scanned files or their repository, where it could be committed; write it elsewhere"
            ));
        }
    }
    let values: serde_json::Map<String, serde_json::Value> = secrets
        .iter()
        .filter_map(|s| Some((s.name.clone(), serde_json::Value::from(s.source.value()?))))
        .collect();
    let n = values.len();
    let mut bytes =
        serde_json::to_vec_pretty(&serde_json::Value::Object(values)).expect("a map serialises");
    bytes.push(b'\n');
    let name = file
        .file_name()
        .ok_or_else(|| format!("--export-secrets: {shown} names no file"))?;
    let target = dir.join(name);
    let tmp = dir.join(format!(
        ".{}.adfpg-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        // a link, not a rename: it fails rather than replace a file created meanwhile
        std::fs::hard_link(&tmp, &target)?;
        std::fs::File::open(&dir)?.sync_all()
    };
    let result = write();
    let _ = std::fs::remove_file(&tmp);
    result.map_err(|e| format!("--export-secrets: cannot write {shown}: {e}"))?;
    Ok(n)
}

/// The plan's JSON with `key_vault_secrets`: name, vault, linked services, where the value is, safety.
pub fn with_secrets_json(plan: String, secrets: &[Secret]) -> String {
    if secrets.is_empty() {
        return plan;
    }
    let Ok(serde_json::Value::Object(mut doc)) = serde_json::from_str::<serde_json::Value>(&plan)
    else {
        return plan;
    };
    let list: Vec<serde_json::Value> = secrets
        .iter()
        .map(|s| {
            serde_json::json!({
                "name": s.name,
                "vault_linked_service": s.vault,
                "vault": s.vault_resource,
                "linked_services": s.users(),
                "value": s.source.describe(),
                "unsafe": s.unsafe_move,
            })
        })
        .collect();
    doc.insert("key_vault_secrets".into(), serde_json::Value::Array(list));
    let mut out =
        serde_json::to_string_pretty(&serde_json::Value::Object(doc)).expect("serialises");
    out.push('\n');
    out
}

/// A 1.0 linked service whose credential moves: the move and the 1.0 → 2.0 migration as one fix (one
/// edit per run of changed lines), so that the migration keeps the Key Vault reference
/// (and an ARM template gets no `<ls>_password` parameter). None when nothing moves, or when the move or
/// the migration is held back (the caller then migrates as usual and ADFPG024 says why).
pub struct V1Fix {
    pub edits: Vec<Edit>,
    pub safety: crate::finding::Safety,
    pub secret: String,
    pub unsafe_reasons: Vec<String>,
}

pub fn v1_with_move(cx: &Context) -> Option<V1Fix> {
    let target = cx.opts.migration.key_vault.as_ref()?;
    if !cx.ls.base.is_empty() && !template_has_vault(cx.root, &target.vault) {
        return None;
    }
    let factory = file_factory(cx);
    let mv = file_move(
        cx.text, cx.layout, cx.root, &cx.ls, target, &factory, cx.opts,
    )?
    .ok()?;
    let moved = edits(cx.text, cx.layout, cx.root, &cx.ls, &mv, &target.vault);
    let (text, _) = crate::finding::apply_edits(cx.text, &moved.iter().collect::<Vec<_>>());
    let doc = crate::source::document::Document::decode(text.into_bytes()).ok()?;
    let root = doc.parse().ok()?;
    let services = crate::source::adf::linked_services(&root);
    let ls = services
        .iter()
        .find(|l| l.base == cx.ls.base && l.name == cx.ls.name)?;
    let migration = v1_migration(&doc.text, &doc.layout(), &root, ls, cx.opts).ok()?;
    let (fin, _) =
        crate::finding::apply_edits(&doc.text, &migration.edits.iter().collect::<Vec<_>>());
    let mut unsafe_reasons: Vec<String> = mv
        .source
        .unsafe_reason(&mv.secret, &target.vault)
        .into_iter()
        .collect();
    // the move put the string's own password in the vault: the reference and the string now hold the
    // same one, which is no conflict unless the file had a `password` property already
    let twice = crate::fix::migrate::password_twice_note();
    let had_property = cx.ls.tp("password").is_some();
    unsafe_reasons.extend(
        migration
            .unsafe_reasons
            .into_iter()
            .filter(|r| had_property || *r != twice),
    );
    let safety = if unsafe_reasons.is_empty() {
        crate::finding::Safety::Safe
    } else {
        crate::finding::Safety::Unsafe
    };
    Some(V1Fix {
        edits: line_edits(cx.text, &fin),
        safety,
        secret: mv.secret,
        unsafe_reasons,
    })
}

/// `{factory}` for the file at hand: its factory folder's, or an ARM template's `factoryName`.
fn file_factory(cx: &Context) -> String {
    cx.opts
        .factory
        .clone()
        .or_else(|| template_factory_name(cx.root))
        .unwrap_or_default()
}

/// The edits turning `before` into `after`: one per run of changed lines, so that the fixes of several
/// linked services in one ARM template touch disjoint ranges and apply in the same round.
fn line_edits(before: &str, after: &str) -> Vec<Edit> {
    let starts = |t: &str| {
        let mut v = vec![0];
        v.extend(t.split_inclusive('\n').scan(0, |at, l| {
            *at += l.len();
            Some(*at)
        }));
        v
    };
    let (old, new) = (starts(before), starts(after));
    let secrets = crate::source::document::Document::decode(after.as_bytes().to_vec())
        .ok()
        .and_then(|d| Some(crate::mask::secret_spans(after, &d.parse().ok()?)))
        .unwrap_or_default();
    let diff = similar::TextDiff::from_lines(before, after);
    let mut hunks: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    for op in diff.ops() {
        if op.tag() == similar::DiffTag::Equal {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        match hunks.last_mut() {
            Some((lo, ln)) if lo.end == o.start && ln.end == n.start => {
                lo.end = o.end;
                ln.end = n.end;
            }
            _ => hunks.push((o, n)),
        }
    }
    hunks
        .into_iter()
        .map(|(o, n)| {
            let (from, to) = (new[n.start], new[n.end]);
            let mut edit = Edit::replace(old[o.start]..old[o.end], &after[from..to]);
            // mask any secret value the new text still holds, wherever the edit is shown
            edit.secrets = secrets
                .iter()
                .filter(|s| s.start >= from && s.end <= to)
                .map(|s| s.start - from..s.end - from)
                .collect();
            edit
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_vault_secret_names() {
        assert!(valid_secret_name(&"a".repeat(127)));
        assert!(!valid_secret_name(&"a".repeat(128)));
        assert!(!valid_secret_name(""));
        assert!(valid_secret_name("Pg-Sales-9"));
        for bad in ["pg_sales", "pg.sales", "pg sales", "pgé"] {
            assert!(!valid_secret_name(bad), "{bad}");
        }
    }

    #[test]
    fn templates_are_checked_before_use() {
        assert!(check_template("pg-{factory}-{ls}-{server}-{database}-{username}").is_ok());
        assert!(
            check_template("{lsname}")
                .unwrap_err()
                .contains("unknown placeholder `{lsname}`")
        );
        assert!(
            check_template("pg-}")
                .unwrap_err()
                .contains("`}` without `{`")
        );
        assert!(check_template("").unwrap_err().contains("empty"));
        assert!(
            check_template("pg.{ls}")
                .unwrap_err()
                .contains("holds `pg.`")
        );
    }

    #[test]
    fn placeholders_keep_adf_expressions_and_refuse_arm_ones() {
        assert_eq!(
            slot_text("database", Some("@{linkedService().Db}")).unwrap(),
            "@{linkedService().Db}"
        );
        assert_eq!(
            slot_text("database", Some("@linkedService().Db")).unwrap(),
            "@{linkedService().Db}"
        );
        assert_eq!(slot_text("username", Some("a@@b")).unwrap(), "a@b");
        assert!(slot_text("server", Some("[parameters('s')]")).is_err());
        assert!(
            slot_text("username", None)
                .unwrap_err()
                .contains("has no value")
        );
    }

    #[test]
    fn the_reference_is_the_documented_shape_inline_and_multiline() {
        let want = serde_json::json!({"type": "AzureKeyVaultSecret", "store": {"referenceName": "Vault", "type": "LinkedServiceReference"}, "secretName": "pg"});
        let layout = Layout {
            eol: "\r\n",
            indent: "\t".into(),
        };
        for multiline in [true, false] {
            let text = reference_text(&layout, "\t\t", ": ", multiline, "Vault", "pg");
            let got: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(got, want);
            assert_eq!(text.contains("\r\n\t\t\t\"type\""), multiline, "{text}");
        }
    }

    #[test]
    fn line_edits_touch_only_changed_lines() {
        let before = "a\nb\nc\nd\ne\n";
        let after = "a\nB\nc\nd\nE\nf\n";
        let edits = line_edits(before, after);
        assert_eq!(edits.len(), 2, "{edits:?}");
        let refs: Vec<&Edit> = edits.iter().collect();
        assert_eq!(crate::finding::apply_edits(before, &refs).0, after);
    }
}
