//! What a check sees: the file, the linked service, the options resolved for the file, and the place a
//! rule's `given` selected. The engine builds it; the checks read it.

use crate::fix::migrate::{self, Blocked, MigrationOptions};
use crate::source::adf::LinkedService;
use crate::source::document::Layout;
use crate::source::json::{Node, PathStep};

/// What a check sees: the file text, its layout, the linked service and the options.
pub struct Context<'a> {
    pub text: &'a str,
    /// The whole document (an ARM template's `parameters` live outside the resource).
    pub root: &'a Node,
    pub layout: &'a Layout,
    pub ls: LinkedService<'a>,
    pub opts: &'a CheckOptions,
    /// Parsed on first use (see `connection_string`).
    pub(super) conn: std::cell::OnceCell<Option<ConnectionString<'a>>>,
}

/// A 1.0 linked service's connection string: the JSON string holding it, its decoded text, and its pairs.
pub struct ConnectionString<'a> {
    pub literal: &'a Node,
    pub text: String,
    pub parsed: crate::source::connstr::ConnStr,
    /// The literal's byte offset of each decoded byte, mapped once for all the spans the checks ask
    /// for (a string of a million keys gets a finding per key).
    offsets: std::cell::OnceCell<Vec<usize>>,
}

impl ConnectionString<'_> {
    /// The file span of a range of the decoded string (`text` is the file's text).
    pub fn span(&self, text: &str, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let map = self
            .offsets
            .get_or_init(|| crate::source::json::string_offsets(&text[self.literal.span.clone()]));
        let at = |i: usize| self.literal.span.start + map[i.min(map.len() - 1)];
        at(r.start)..at(r.end)
    }
}

impl<'a> Context<'a> {
    /// The connection string, parsed once for all the checks of a linked service (None when there is
    /// no string to read: absent, a Key Vault secret, an expression …).
    pub fn connection_string(&self) -> Option<&ConnectionString<'a>> {
        self.conn
            .get_or_init(|| {
                let (_, literal, text) = crate::fix::migrate::connection_string(&self.ls).ok()?;
                let parsed =
                    crate::source::connstr::parse_as(&text, self.ls.connector.braced_values);
                Some(ConnectionString {
                    literal,
                    text,
                    parsed,
                    offsets: Default::default(),
                })
            })
            .as_ref()
    }
}

/// Options that checks read, resolved for the file at hand.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub migration: MigrationOptions,
    /// The weakest sslMode the policy accepts for this file (ADFPG018), if a policy is set.
    pub ssl_minimum: Option<u8>,
    /// For ARM templates: what the parameters files beside it and the factory it was published from say.
    pub template: crate::fix::arm::TemplateSources,
    /// A linked template (`linkedTemplates/`): its parameters come from the master template.
    pub linked_template: bool,
    /// The factory's name (`{factory}` in Key Vault secret names), for files in a factory folder.
    pub factory: Option<String>,
    /// Integration runtimes of this file's factory that are self-hosted (`integrationRuntime/<name>.json`
    /// with type `SelfHosted`), among those its linked services connect via.
    pub self_hosted_runtimes: Vec<String>,
}

/// A place a rule's `given` selected, relative to the linked-service resource.
pub struct Target<'a> {
    pub node: &'a Node,
    /// The member whose value `node` is, when it is one.
    pub member: Option<&'a crate::source::json::Member>,
    pub path: Vec<PathStep>,
}

/// What the 1.0 → 2.0 migration makes of a linked service: the edits of a linked-service file or of an
/// ARM template's resource, or why it is held back.
pub fn v1_migration(
    text: &str,
    layout: &Layout,
    root: &Node,
    ls: &LinkedService,
    opts: &CheckOptions,
) -> Result<migrate::Migration, Blocked> {
    match migrate::migrate(text, layout, ls, &opts.migration) {
        Err(Blocked::ExpressionConnectionString) if !ls.base.is_empty() && opts.linked_template => {
            Err(Blocked::LinkedTemplate)
        }
        Err(Blocked::ExpressionConnectionString) if !ls.base.is_empty() => {
            crate::fix::arm::migrate(text, layout, root, ls, &opts.migration, &opts.template)
        }
        r => r,
    }
}
