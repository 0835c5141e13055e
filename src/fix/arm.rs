//! Published ARM templates (`adf_publish`): a 1.0 connection string there is a template parameter
//! (`[parameters('<ls>_connectionString')]`), so migrating rewrites the resource to the parameters ADF's own
//! publish step creates for 2.0 (`<ls>_properties_typeProperties_server`, `…_database`, `…_username` as
//! strings with defaults, `<ls>_password` as secureString; port, sslMode and authenticationType literal),
//! declares them in the template, and adds them to the parameters file next to it.

use crate::connector::Connector;
use crate::finding::{Edit, Safety};
use crate::fix::migrate::{Blocked, Migration, MigrationOptions, NewMember, Value};
use crate::index::TemplateHome;
use crate::source::adf::{LinkedService, member_layout};
use crate::source::connstr::{self, ConnStr, Key};
use crate::source::document::{Document, Layout};
use crate::source::json::{Member, Node};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// `[parameters('x')]` → `x`.
pub fn parameter_reference(s: &str) -> Option<&str> {
    s.trim().strip_prefix("[parameters('")?.strip_suffix("')]")
}

/// A 2.0 template parameter and the value split from the old connection string (empty if unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct NewParameter {
    pub name: String,
    /// The connector of the linked service it was made for.
    pub connector: &'static Connector,
    /// The `typeProperties` member it feeds: `server`, `database`, `username` or `password`.
    pub member: &'static str,
    pub value: String,
    pub secure: bool,
}

impl NewParameter {
    /// The linked service it was made for: its name less `_properties_typeProperties_<member>` or
    /// `_<member>`.
    pub fn linked_service(&self) -> &str {
        let infix = if self.secure {
            "_"
        } else {
            "_properties_typeProperties_"
        };
        self.name
            .strip_suffix(self.member)
            .and_then(|r| r.strip_suffix(infix))
            .unwrap_or(&self.name)
    }
}

/// The parameters that replace `<ls>_connectionString`, with values from `old_value` when known.
pub fn new_parameters(
    ls: &str,
    old: Option<&ConnStr>,
    opts: &MigrationOptions,
    c: &'static Connector,
) -> Vec<NewParameter> {
    let v = |k: Key| old.and_then(|c| c.value(k)).unwrap_or_default().to_string();
    let user = old
        .filter(|_| opts.strip_user_at_server && c.strips_user_at_server)
        .and_then(|c| {
            Some(crate::fix::migrate::strip_user_at_server(
                c.value(Key::Username)?,
                c.value(Key::Server)?,
            ))
        })
        .flatten()
        .unwrap_or_else(|| v(Key::Username));
    let param = |member: &'static str, value: String, secure: bool| NewParameter {
        name: if secure {
            format!("{ls}_{member}")
        } else {
            format!("{ls}_properties_typeProperties_{member}")
        },
        member,
        value,
        secure,
        connector: c,
    };
    vec![
        param("server", v(Key::Server), false),
        param("database", v(Key::Database), false),
        param("username", user, false),
        param("password", v(Key::Password), true),
    ]
}

/// What migrating a template's 1.0 linked services reads beside it: the parameter values of its
/// parameters files, and the linked-service files of the factory it was published from.
#[derive(Debug, Clone, Default)]
pub struct TemplateSources {
    /// Template parameter values from the parameters files beside it.
    pub values: BTreeMap<String, String>,
    /// The connection string of each 1.0 linked service's file of the same name in `home`.
    pub ls_strings: BTreeMap<String, String>,
    pub home: TemplateHome,
}

/// The sources of a template published from `home` whose 1.0 linked services are `v1`.
pub fn template_sources(path: &Path, home: TemplateHome, v1: &[&str]) -> TemplateSources {
    TemplateSources {
        values: sibling_parameter_values(path),
        ls_strings: linked_service_strings(&home, v1),
        home,
    }
}

/// A literal string as a template holds one: ARM reads a string opening with `[` as an expression, and
/// `[[` as a literal `[`.
fn literal(s: &str) -> std::borrow::Cow<'_, str> {
    if s.starts_with('[') {
        format!("[{s}").into()
    } else {
        s.into()
    }
}

/// The old connection string behind `[parameters('param')]` of linked service `ls`: the parameter's
/// value in the parameters files (ADF exports secure strings as `""`, so often there is none), else the
/// connection string of the linked-service file of that name in the template's factory.
pub fn source_string(
    param: &str,
    ls: &LinkedService,
    sources: &TemplateSources,
) -> Option<ConnStr> {
    let known = |v: &&String| !v.trim().is_empty();
    sources
        .values
        .get(param)
        .filter(known)
        .or_else(|| sources.ls_strings.get(ls.name).filter(known))
        .map(|v| connstr::parse_as(v, ls.connector.braced_values))
}

/// For each 1.0 linked service of a template, the connection string of `linkedService/<name>.json` in
/// the factory folder it was published from (none when that is ambiguous). A 2.0 file gives its
/// properties as an equivalent 1.0 string.
fn linked_service_strings(home: &TemplateHome, names: &[&str]) -> BTreeMap<String, String> {
    let TemplateHome::Root(dir) = home else {
        return BTreeMap::new();
    };
    names
        .iter()
        .filter_map(|name| {
            let file = dir.join("linkedService").join(format!("{name}.json"));
            Some(((*name).to_string(), connection_string_of_file(&file, name)?))
        })
        .collect()
}

/// Why a template's linked service has no file to read values from, said without claiming it exists
/// nowhere: where the tool looked.
pub fn missing_file_reason(home: &TemplateHome, ls: &str) -> String {
    match home {
        TemplateHome::Root(dir) => format!(
            "the factory folder it was published from, `{}`, has no `linkedService/{ls}.json`",
            crate::index::shown_root(dir)
        ),
        TemplateHome::Ambiguous(dirs) => format!(
            "several factory folders match the template equally ({}), so none of their files is read (the \
             template's `factoryName` default, naming a factory's `factory/<name>.json`, tells them apart)",
            dirs.iter()
                .map(|d| format!("`{}`", crate::index::shown_root(d)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        TemplateHome::None => {
            format!("no factory folder was scanned to read `linkedService/{ls}.json` from")
        }
    }
}

fn connection_string_of_file(path: &Path, name: &str) -> Option<String> {
    let (_, root) = read_json(path)?;
    let services = crate::source::adf::linked_services(&root);
    let ls = services.iter().find(|l| l.name == name)?;
    match ls.version() {
        crate::source::adf::Version::V1 => Some(crate::fix::migrate::connection_string(ls).ok()?.2),
        crate::source::adf::Version::V2 => Some(v2_as_string(ls)),
        crate::source::adf::Version::Unknown => None,
    }
}

/// A 2.0 definition's literal settings written as the 1.0 string that migrates to them.
fn v2_as_string(ls: &LinkedService) -> String {
    let quote = |v: &str| format!("\"{}\"", v.replace('"', "\"\""));
    let mut pairs = Vec::new();
    for (prop, key) in [
        ("server", "Host"),
        ("port", "Port"),
        ("database", "Database"),
        ("username", "Username"),
    ] {
        let Some(m) = ls.tp(prop) else { continue };
        let v = match &m.value.kind {
            crate::source::json::Kind::String { value, .. } => value.clone(),
            crate::source::json::Kind::Number(n) => n.clone(),
            _ => continue,
        };
        pairs.push(format!("{key}={}", quote(&v)));
    }
    if let Some(crate::source::json::Kind::Number(n)) = ls.tp("sslMode").map(|m| &m.value.kind)
        && let Some(name) = n
            .parse::<usize>()
            .ok()
            .and_then(|i| connstr::SSL_MODE_NAMES.get(i))
    {
        pairs.push(format!("SSL Mode={name}"));
    }
    pairs.join(";")
}

/// Values of template parameters from the parameters files beside a template
/// (`ARMTemplateParametersForFactory.json`, `ArmTemplateParameters_master.json`).
pub fn sibling_parameter_values(template: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in parameter_files(template) {
        let Some((_, root)) = read_json(&p) else {
            continue;
        };
        for m in root
            .get("parameters")
            .and_then(Node::members)
            .unwrap_or_default()
        {
            if let Some(v) = m.value.get("value").and_then(Node::as_str) {
                out.entry(m.key.clone()).or_insert_with(|| v.to_string());
            }
        }
    }
    out
}

/// Parameters files in the template's folder.
pub fn parameter_files(template: &Path) -> Vec<PathBuf> {
    let dir = template
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = crate::index::lower_file_name(p);
            (n.starts_with("armtemplateparameters")
                || n.starts_with("templateparametersforworkspace"))
                && n.ends_with(".json")
        })
        .collect();
    files.sort();
    files
}

fn read_json(p: &Path) -> Option<(Document, Node)> {
    // found by name beside the template: never through a link, never a FIFO or device
    let doc =
        Document::decode(crate::source::read::read(p, crate::source::read::Links::Refuse).ok()?)
            .ok()?;
    let root = doc.parse().ok()?;
    Some((doc, root))
}

fn json(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// A multi-line (or inline) object literal laid out like a sibling member.
fn object(
    layout: &Layout,
    lead: &str,
    sep: &str,
    multiline: bool,
    members: &[(&str, String)],
) -> String {
    if !multiline {
        let inner: Vec<String> = members
            .iter()
            .map(|(k, v)| format!("{}{sep}{v}", json(k)))
            .collect();
        return format!("{{ {} }}", inner.join(", "));
    }
    let inner_lead = format!("{lead}{}", layout.indent);
    let inner: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{inner_lead}{}{sep}{v}", json(k)))
        .collect();
    format!(
        "{{{eol}{}{eol}{lead}}}",
        inner.join(&format!(",{}", layout.eol)),
        eol = layout.eol
    )
}

/// Rewrite an old-generation ARM linked-service resource whose connection string is a template
/// parameter. Port, sslMode and the options stay literal, as ADF's publish writes them, so they must be
/// known: from the parameter's value or the linked-service file of the same name ([`source_string`]),
/// else the fix is held back.
pub fn migrate(
    text: &str,
    layout: &Layout,
    root: &Node,
    ls: &LinkedService,
    opts: &MigrationOptions,
    sources: &TemplateSources,
) -> Result<Migration, Blocked> {
    let (cs_member, param, old) = template_string(ls, sources)?;
    let c = ls.connector;
    let ssl = crate::fix::migrate::ssl_mode(&old, c, opts)?;
    let tp = ls.type_props().ok_or(Blocked::NoTypeProperties)?;
    // a member the resource already has (a Key Vault `password`) stays; its parameter is not created
    let new: Vec<NewParameter> = new_parameters(ls.name, Some(&old), opts, c)
        .into_iter()
        .filter(|n| tp.member(n.member).is_none())
        .collect();
    let members = template_members(text, layout, tp, cs_member, &old, &new, ssl, opts, c);
    let mut edits = vec![
        crate::fix::migrate::generation_edit(text, layout, ls),
        crate::fix::migrate::members_edit(text, layout, tp, cs_member, members, c.arm_member_order),
    ];
    edits.extend(declarations(text, layout, root, param, &new));
    let mut unsafe_reasons = vec![format!(
        "template parameter `{param}` is replaced by {}: release-pipeline overrides and deployment configs that set it must be updated (see `adfpg-migrate plan`)",
        new.iter()
            .map(|n| format!("`{}`", n.name))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    if old.value(Key::Password).is_some_and(|p| !p.is_empty()) && tp.member("password").is_some() {
        unsafe_reasons.push(crate::fix::migrate::password_twice_note());
    }
    let dropped = crate::fix::migrate::dropped_keys(&old, c);
    if !dropped.is_empty() {
        unsafe_reasons.push(format!(
            "connection-string keys with no {} property are dropped: {}",
            c.labels[1],
            dropped.join(", ")
        ));
    }
    Ok(Migration {
        edits,
        safety: Safety::Unsafe,
        unsafe_reasons,
        dropped,
    })
}

/// The template resource's `connectionString` member, the parameter it names, and the connection string
/// that parameter stands for (host URL expanded), when it can be migrated.
fn template_string<'a>(
    ls: &LinkedService<'a>,
    sources: &TemplateSources,
) -> Result<(&'a Member, &'a str, ConnStr), Blocked> {
    let cs_member = ls
        .tp("connectionString")
        .ok_or(Blocked::NoConnectionString)?;
    let param = cs_member
        .value
        .as_str()
        .and_then(parameter_reference)
        .ok_or(Blocked::ExpressionConnectionString)?;
    let unknown = || {
        Blocked::ArmValuesUnknown(
            param.to_string(),
            missing_file_reason(&sources.home, ls.name),
        )
    };
    if let TemplateHome::Ambiguous(_) = sources.home {
        return Err(unknown());
    }
    let old = source_string(param, ls, sources).ok_or_else(unknown)?;
    if let Some((a, b)) = crate::fix::migrate::duplicate_setting(&old) {
        return Err(Blocked::DuplicateConnectionKey(a, b));
    }
    let old = crate::fix::migrate::expand_host_url(&old)?;
    let present = |k: Key| old.value(k).is_some_and(|s| !s.trim().is_empty());
    if !present(Key::Server) {
        return Err(Blocked::NoServer);
    }
    if !present(Key::Database) {
        return Err(Blocked::NoDatabase);
    }
    if old
        .value(Key::Server)
        .is_some_and(|s| !connstr::is_expression(s) && s.contains(['=', ';']))
    {
        return Err(Blocked::NotAHost);
    }
    Ok((cs_member, param, old))
}

/// The members a migrated template resource gets, in ADF's publish order: parameter references for the
/// parameterised ones, port, sslMode and authenticationType literal, then the options the string sets.
#[allow(clippy::too_many_arguments)]
fn template_members(
    text: &str,
    layout: &Layout,
    tp: &Node,
    cs_member: &Member,
    old: &ConnStr,
    new: &[NewParameter],
    ssl: Result<u8, String>,
    opts: &MigrationOptions,
    c: &Connector,
) -> Vec<NewMember> {
    let port = old.value(Key::Port).unwrap_or("5432");
    let p = |n: &NewParameter| json(&format!("[parameters('{}')]", n.name));
    let l = member_layout(text, cs_member);
    let param_of = |member: &str| new.iter().find(|n| n.member == member);
    let mut members: Vec<NewMember> = Vec::new();
    for member in c.arm_member_order {
        if tp.member(member).is_some() {
            continue;
        }
        let value = match *member {
            "port" => crate::fix::migrate::port_value(c, port),
            "sslMode" => match &ssl {
                Ok(n) => Value::Int(n.to_string()),
                Err(expr) => Value::Str(expr.clone()),
            },
            "authenticationType" => Value::Str(opts.authentication_type_for(c)),
            "password" => {
                let Some(n) = param_of(member) else { continue };
                Value::Raw(object(
                    layout,
                    &l.lead,
                    &l.sep,
                    l.multiline,
                    &[("type", json("SecureString")), ("value", p(n))],
                ))
            }
            _ => match param_of(member) {
                Some(n) => Value::Raw(p(n)),
                None => continue,
            },
        };
        members.push(NewMember { key: member, value });
    }
    for (key, v) in crate::fix::migrate::option_members(old, c) {
        if tp.member(key).is_none() {
            members.push(NewMember {
                key,
                value: Value::Raw(v),
            });
        }
    }
    if opts.ssl(c).trust_when_encrypted
        && crate::fix::migrate::encrypts_unvalidated(old)
        && tp.member("trustServerCertificate").is_none()
        && !members.iter().any(|m| m.key == "trustServerCertificate")
    {
        members.push(NewMember {
            key: "trustServerCertificate",
            value: Value::Bool(true),
        });
    }
    members
}

/// Declarations of the new parameters in the template's `parameters`, right after the old one.
fn declarations(
    text: &str,
    layout: &Layout,
    root: &Node,
    old: &str,
    new: &[NewParameter],
) -> Option<Edit> {
    let params = root.get("parameters")?;
    let anchor: &Member = params.member(old).or_else(|| params.members()?.last())?;
    let l = member_layout(text, anchor);
    let mut out = String::new();
    for n in new.iter().filter(|n| params.member(&n.name).is_none()) {
        let fields = if n.secure {
            vec![
                ("type", json("secureString")),
                (
                    "metadata",
                    json(&format!(
                        "Secure string for 'password' of '{}'",
                        n.linked_service()
                    )),
                ),
            ]
        } else {
            vec![
                ("type", json("string")),
                ("defaultValue", json(&literal(&n.value))),
            ]
        };
        let lead = if l.multiline {
            format!("{}{}", layout.eol, l.lead)
        } else {
            " ".into()
        };
        out.push_str(&format!(
            ",{lead}{}{}{}",
            json(&n.name),
            l.sep,
            object(layout, &l.lead, &l.sep, l.multiline, &fields)
        ));
    }
    (!out.is_empty()).then(|| Edit::replace(anchor.value.span.end..anchor.value.span.end, out))
}

/// The parameter renames between a template and its fixed text: every linked service that was 1.0 with
/// `[parameters('P')]` whose migrated resource uses new parameters (a held-back one uses none).
pub fn renames(
    before: &Node,
    after: &Node,
    opts: &MigrationOptions,
    sources: &TemplateSources,
) -> Vec<(String, Vec<NewParameter>)> {
    crate::source::adf::linked_services(before)
        .iter()
        .filter(|l| l.version() == crate::source::adf::Version::V1)
        .filter_map(|l| {
            let p = parameter_reference(l.tp("connectionString")?.value.as_str()?)?;
            let old = source_string(p, l, sources)
                .map(|c| crate::fix::migrate::expand_host_url(&c).unwrap_or(c));
            // the parameters the migrated resource uses (a kept Key Vault password has none)
            let now = after_resource_text(after, l.name);
            let new: Vec<NewParameter> = new_parameters(l.name, old.as_ref(), opts, l.connector)
                .into_iter()
                .filter(|n| now.contains(&n.name))
                .collect();
            // none: the resource was held back (still 1.0) and its parameter stays as it is
            (!new.is_empty()).then(|| (p.to_string(), new))
        })
        .collect()
}

/// The parameter names a linked-service resource of `root` refers to, as one string to search.
fn after_resource_text(root: &Node, name: &str) -> String {
    let services = crate::source::adf::linked_services(root);
    let Some(ls) = services.iter().find(|l| l.name == name) else {
        return String::new();
    };
    let Some(tp) = ls.type_props() else {
        return String::new();
    };
    let mut out = String::new();
    collect_strings(tp, &mut out);
    out
}

fn collect_strings(n: &Node, out: &mut String) {
    match &n.kind {
        crate::source::json::Kind::String { value, .. } => {
            out.push_str(value);
            out.push('\n');
        }
        crate::source::json::Kind::Object(members) => {
            members.iter().for_each(|m| collect_strings(&m.value, out))
        }
        crate::source::json::Kind::Array(items) => {
            items.iter().for_each(|i| collect_strings(i, out))
        }
        _ => {}
    }
}

/// Add `{"value": …}` entries for new parameters to a parameters file, after the old parameter's entry.
/// The values come from what this file gives the old parameter: its connection string split as the
/// template's was (the password included: it is already in this file), or, when it gives the empty
/// value ADF exports for secure strings, the template's defaults and an empty password, as ADF's own
/// export of a 2.0 linked service writes it. `Ok(None)`: nothing to add; `Err`: why the file is held
/// back (a value the file takes from Key Vault cannot be split).
pub fn update_parameters_file(
    text: &str,
    renames: &[(String, Vec<NewParameter>)],
    opts: &MigrationOptions,
) -> Result<Option<String>, String> {
    let Ok(doc) = Document::decode(text.as_bytes().to_vec()) else {
        return Ok(None);
    };
    let Ok(root) = doc.parse() else {
        return Ok(None);
    };
    let layout = doc.layout();
    let Some(params) = root.get("parameters") else {
        return Ok(None);
    };
    let mut edits = Vec::new();
    for (old, new) in renames {
        let Some(anchor) = params.member(old) else {
            continue;
        };
        let new: Vec<&NewParameter> = new
            .iter()
            .filter(|n| params.member(&n.name).is_none())
            .collect();
        if new.is_empty() {
            continue;
        }
        let values = file_values(old, &anchor.value, &new, opts)?;
        let l = member_layout(&doc.text, anchor);
        let mut out = String::new();
        for (n, value) in new.iter().zip(values) {
            let lead = if l.multiline {
                format!("{}{}", layout.eol, l.lead)
            } else {
                " ".into()
            };
            let obj = object(
                &layout,
                &l.lead,
                &l.sep,
                l.multiline,
                &[("value", json(&value))],
            );
            out.push_str(&format!(",{lead}{}{}{obj}", json(&n.name), l.sep));
        }
        edits.push(Edit::replace(
            anchor.value.span.end..anchor.value.span.end,
            out,
        ));
    }
    if edits.is_empty() {
        return Ok(None);
    }
    let refs: Vec<&Edit> = edits.iter().collect();
    Ok(Some(crate::finding::apply_edits(&doc.text, &refs).0))
}

/// The values a parameters file gives the new parameters, from its entry for the old one (`entry`).
fn file_values(
    old: &str,
    entry: &Node,
    new: &[&NewParameter],
    opts: &MigrationOptions,
) -> Result<Vec<String>, String> {
    if entry.get("reference").is_some() {
        return Err(format!(
            "`{old}` takes its value from a Key Vault secret here, which a file rewrite cannot split: add {} by hand",
            new.iter()
                .map(|n| format!("`{}`", n.name))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let given = entry
        .get("value")
        .and_then(Node::as_str)
        .filter(|v| !v.trim().is_empty());
    let Some(given) = given else {
        // ADF's export: string parameters with their current value, secure ones empty
        return Ok(new
            .iter()
            .map(|n| {
                if n.secure {
                    String::new()
                } else {
                    n.value.clone()
                }
            })
            .collect());
    };
    let Some(first) = new.first() else {
        return Ok(Vec::new());
    };
    let parsed = connstr::parse_as(given, first.connector.braced_values);
    let cs = crate::fix::migrate::expand_host_url(&parsed).unwrap_or(parsed);
    let here = new_parameters(first.linked_service(), Some(&cs), opts, first.connector);
    Ok(new
        .iter()
        .map(|n| {
            here.iter()
                .find(|h| h.member == n.member)
                .map_or_else(String::new, |h| h.value.clone())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    const AZURE: &Connector = &crate::connector::azure_postgresql::CONNECTOR;

    /// A default opening with `[` would be evaluated by ARM: it is written escaped, `[[`.
    #[test]
    fn literal_defaults_are_escaped() {
        assert_eq!(literal("[sales]"), "[[sales]");
        assert_eq!(literal("sales[1]"), "sales[1]");
        assert_eq!(literal(""), "");
    }

    #[test]
    fn parameters_file_gains_entries_after_the_old_one() {
        let text = "{\n\t\"parameters\": {\n\t\t\"factoryName\": {\n\t\t\t\"value\": \"f\"\n\t\t},\n\t\t\"pg_connectionString\": {\n\t\t\t\"value\": \"\"\n\t\t}\n\t}\n}";
        let cs = connstr::parse("host=h.example.com;database=d;uid=u@h;password=secret");
        let out = update_parameters_file(
            text,
            &[(
                "pg_connectionString".into(),
                new_parameters("pg", Some(&cs), &MigrationOptions::default(), AZURE),
            )],
            &MigrationOptions::default(),
        )
        .unwrap()
        .unwrap();
        assert!(out.contains("\t\t\"pg_properties_typeProperties_server\": {\n\t\t\t\"value\": \"h.example.com\"\n\t\t},"), "{out}");
        assert!(
            out.contains(
                "\"pg_properties_typeProperties_username\": {\n\t\t\t\"value\": \"u\"\n\t\t}"
            ),
            "{out}"
        );
        assert!(
            out.contains("\"pg_password\": {\n\t\t\t\"value\": \"\"\n\t\t}\n\t}\n}"),
            "{out}"
        );
        // the file gave the old parameter "": the password is left for the pipeline, as ADF exports it
        assert!(!out.contains("secret"));
        assert!(
            update_parameters_file(
                &out,
                &[(
                    "pg_connectionString".into(),
                    new_parameters("pg", Some(&cs), &MigrationOptions::default(), AZURE)
                )],
                &MigrationOptions::default(),
            )
            .unwrap()
            .is_none(),
            "idempotent"
        );
    }
}
