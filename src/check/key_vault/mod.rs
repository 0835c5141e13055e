//! Moving credentials to Azure Key Vault while migrating (`--credentials-to-key-vault VAULT`): the
//! password (or service-principal key) of each AzurePostgreSql linked service becomes an
//! `AzureKeyVaultSecret` reference to VAULT, and the plaintext, `SecureString` or `encryptedCredential`
//! goes away. The move runs before the 1.0 → 2.0 migration (as its own fix, ADFPG024), so that the
//! migration then keeps the Key Vault reference as it keeps any (and an ARM template gets no
//! `<ls>_password` parameter). Secret values never reach an output; only `--export-secrets` writes them.
//!
//! The parts follow the stages of the rest of `check`: `names` (secret-name templates and their
//! placeholders, the factory and vault names), `plan` (what it checks: which credential a linked
//! service has, where its value is and whether it moves), `edits` (what it fixes: the reference, the
//! removals, the 1.0 linked service moved and migrated as one fix), `survey` (every move of the
//! factories, checked together before anything is written) and `report` (what the operator is told and
//! `--export-secrets`). Each imports only the ones before it; this file holds the types they share.

mod edits;
mod names;
mod plan;
mod report;
mod survey;

pub use edits::{V1Fix, edits, reference_text, v1_with_move};
pub use names::{
    DEFAULT_SECRET_NAME, PLACEHOLDERS, check_template, check_vault_name, factory_name,
    template_factory_name, valid_secret_name,
};
pub use plan::{file_move, member_of, plan_move, template_has_vault};
pub use report::{export, render_secrets, with_secrets_json};
pub use survey::survey;

use crate::source::json::Member;
use std::path::PathBuf;

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
