//! Typed views over located JSON: which files are ADF/Synapse resources, and the PostgreSQL linked
//! services in them (of every connector in `crate::connector`).

use crate::connector::{Connector, Marker};
use crate::source::json::{Kind, Member, Node, PathStep};

/// A linked service's generation: the old one (`--fix` migrates it), the new one, or (a versioned
/// connector's `properties.version` with another value) unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// AzurePostgreSql: `version` absent (which means 1.0) or `"1.0"`; the legacy `PostgreSql` type.
    V1,
    /// AzurePostgreSql `"2.0"`; `PostgreSqlV2`.
    V2,
    /// Any other `version` of a versioned connector: reported, not migrated.
    Unknown,
}

/// A PostgreSQL linked service: the resource object (`name` + `properties`), where it sits, and its
/// connector.
#[derive(Debug, Clone)]
pub struct LinkedService<'a> {
    pub resource: &'a Node,
    pub name: &'a str,
    pub props: &'a Node,
    /// Path from the document root to `resource`: empty for a one-resource git file,
    /// `resources/<i>` in an ARM template.
    pub base: Vec<PathStep>,
    pub connector: &'static Connector,
}

impl<'a> LinkedService<'a> {
    pub fn version(&self) -> Version {
        if self.connector.marker == Marker::Type {
            let new = self.props.str_at("type") == Some(self.connector.ls_types[1]);
            return if new { Version::V2 } else { Version::V1 };
        }
        match self.props.get("version").map(|v| &v.kind) {
            None => Version::V1,
            Some(Kind::String { value, .. }) if value == "1.0" => Version::V1,
            Some(Kind::String { value, .. }) if value == "2.0" => Version::V2,
            _ => Version::Unknown,
        }
    }

    /// How reports name its generation: `1.0`, `2.0`, `legacy`, `V2` (or `unknown`).
    pub fn version_label(&self) -> &'static str {
        version_label(self.connector, self.version())
    }

    /// `properties.typeProperties`, when it is an object.
    pub fn type_props(&self) -> Option<&'a Node> {
        self.props
            .get("typeProperties")
            .filter(|n| n.members().is_some())
    }

    /// A member of `typeProperties`.
    pub fn tp(&self, key: &str) -> Option<&'a Member> {
        self.type_props()?.member(key)
    }

    /// The span to blame for the linked service as a whole: its `type` value.
    pub fn type_span(&self) -> std::ops::Range<usize> {
        self.props
            .get("type")
            .map_or(self.props.span.clone(), |n| n.span.clone())
    }

    /// JSON pointer of a path below the resource.
    pub fn pointer(&self, rel: &[&str]) -> String {
        let mut p: Vec<PathStep> = self.base.clone();
        p.extend(rel.iter().map(|k| PathStep::Key((*k).to_string())));
        crate::source::json::pointer(&p)
    }
}

/// How reports name a connector's generation.
pub fn version_label(c: &Connector, v: Version) -> &'static str {
    match v {
        Version::V1 => c.labels[0],
        Version::V2 => c.labels[1],
        Version::Unknown => "unknown",
    }
}

/// Is this object a linked-service resource of one of the connectors (`properties.type`)?
fn as_linked_service(resource: &Node, base: Vec<PathStep>) -> Option<LinkedService<'_>> {
    let props = resource.get("properties")?;
    let connector = crate::connector::by_ls_type(props.str_at("type")?)?;
    let raw = resource.str_at("name").unwrap_or("<unnamed>");
    Some(LinkedService {
        resource,
        name: arm_resource_name(raw),
        props,
        base,
        connector,
    })
}

/// `[concat(parameters('factoryName'), '/pg')]` (or `workspaceName` in Synapse) → `pg`; other names as
/// they are.
pub fn arm_resource_name(raw: &str) -> &str {
    let name = raw
        .strip_prefix("[concat(parameters('")
        .and_then(|r| r.split_once("'), '/"))
        .and_then(|(_, r)| r.strip_suffix("')]"));
    name.unwrap_or(raw)
}

/// The PostgreSQL linked services of a parsed file: the root of a git-integration resource file
/// (ADF or Synapse), or each linked-service resource of an ARM template.
pub fn linked_services(root: &Node) -> Vec<LinkedService<'_>> {
    if !is_arm_template(root) {
        return as_linked_service(root, Vec::new()).into_iter().collect();
    }
    arm_resources(root, "/linkedservices")
        .filter_map(|(i, r)| {
            as_linked_service(
                r,
                vec![PathStep::Key("resources".into()), PathStep::Index(i)],
            )
        })
        .collect()
}

/// ARM template resources whose `type` ends with `suffix` (compared case-insensitively).
pub fn arm_resources<'a>(
    root: &'a Node,
    suffix: &'a str,
) -> impl Iterator<Item = (usize, &'a Node)> + 'a {
    root.get("resources")
        .and_then(Node::elements)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter(move |(_, r)| {
            r.str_at("type")
                .is_some_and(|t| t.to_ascii_lowercase().ends_with(suffix))
        })
}

pub fn is_arm_template(root: &Node) -> bool {
    root.str_at("$schema")
        .is_some_and(|s| s.contains("deploymentTemplate"))
        || (root
            .get("resources")
            .is_some_and(|r| r.elements().is_some())
            && root.get("properties").is_none())
}

/// `schema.table` split on the first `.` outside double quotes; quotes are kept as written.
/// Expressions are never split.
pub fn split_table_name(s: &str) -> Option<(Option<String>, String)> {
    if crate::source::connstr::is_expression(s) || s.trim().is_empty() {
        return None;
    }
    let mut in_quotes = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '.' if !in_quotes => return Some((Some(s[..i].to_string()), s[i + 1..].to_string())),
            _ => {}
        }
    }
    Some((None, s.to_string()))
}

/// A dataset's `typeProperties` (`tp`) with `tableName` split into (`schema`, `table`): `Ok(None)` without
/// a `tableName`; the reason when it cannot be split (an expression, not a string, or `schema`/`table`
/// beside it, when which one ADF reads is undocumented).
pub fn table_split(tp: &Node) -> Result<Option<(Option<String>, String)>, String> {
    let Some(tn) = tp.member("tableName") else {
        return Ok(None);
    };
    if tp.member("schema").is_some() || tp.member("table").is_some() {
        return Err(
            "it has `tableName` and `schema`/`table` both, and which one ADF reads is undocumented: keep one by hand"
                .into(),
        );
    }
    match tn.value.as_str() {
        Some(s) => split_table_name(s).map(Some).ok_or_else(|| {
            "its `tableName` is an expression, known only at run time: write `schema` and `table` by hand".into()
        }),
        None if is_expression_node(&tn.value) => Err(
            "its `tableName` is an expression, known only at run time: write `schema` and `table` by hand".into(),
        ),
        None => Err(format!("its `tableName` is a {}, not a string", tn.value.type_name())),
    }
}

/// A value given as an ADF expression: a string starting with `@` or an `{"type": "Expression"}` object.
pub fn is_expression_node(n: &Node) -> bool {
    match &n.kind {
        Kind::String { value, .. } => crate::source::connstr::is_expression(value),
        Kind::Object(_) => n.str_at("type") == Some("Expression"),
        _ => false,
    }
}

/// A secret reference: `AzureKeyVaultSecret` object.
pub fn is_key_vault_ref(n: &Node) -> bool {
    n.str_at("type") == Some("AzureKeyVaultSecret")
}

/// How the members of an object are laid out, so that new members look like their siblings.
#[derive(Debug, Clone)]
pub struct MemberLayout {
    /// Text before a member's key on its line (its indentation), or " " for inline objects.
    pub lead: String,
    /// Text between a key and its value (`": "`, `":  "`, `":"`).
    pub sep: String,
    pub multiline: bool,
}

pub fn member_layout(text: &str, m: &Member) -> MemberLayout {
    let ks = m.key_span.start;
    let line_start = text[..ks].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..ks];
    let sep = text[m.key_span.end..m.value.span.start].to_string();
    if lead.bytes().all(|b| b == b' ' || b == b'\t') {
        MemberLayout {
            lead: lead.to_string(),
            sep,
            multiline: true,
        }
    } else {
        MemberLayout {
            lead: " ".into(),
            sep,
            multiline: false,
        }
    }
}

/// The text that separates an array element from the one before it: `\n` plus its indentation when the
/// element starts a line, else a space.
pub fn element_lead(text: &str, element: &Node) -> String {
    let start = element.span.start;
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let lead = &text[line_start..start];
    if lead.bytes().all(|b| b == b' ' || b == b'\t') {
        let eol = if text[..line_start].ends_with("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        format!("{eol}{lead}")
    } else {
        " ".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::json::parse;

    #[test]
    fn finds_linked_service_and_version() {
        let root =
            parse(r#"{"name":"a","properties":{"type":"AzurePostgreSql","typeProperties":{}}}"#)
                .unwrap();
        let ls = linked_services(&root);
        assert_eq!(ls.len(), 1);
        assert_eq!(ls[0].name, "a");
        assert_eq!(ls[0].version(), Version::V1);
        let other = parse(r#"{"name":"b","properties":{"type":"MySql"}}"#).unwrap();
        assert!(linked_services(&other).is_empty());
        // the legacy connector and its successor: told apart by type, never by `version`
        for (t, v) in [("PostgreSql", Version::V1), ("PostgreSqlV2", Version::V2)] {
            let root = parse(&format!(
                r#"{{"name":"g","properties":{{"type":"{t}","version":"2.0"}}}}"#
            ))
            .unwrap();
            let ls = &linked_services(&root)[0];
            assert_eq!((ls.connector.id, ls.version()), ("PostgreSql", v), "{t}");
        }
        let arm = parse(r#"{"$schema":"https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#","resources":[
            {"name":"[concat(parameters('factoryName'), '/pg')]","type":"Microsoft.DataFactory/factories/linkedServices","properties":{"type":"AzurePostgreSql"}},
            {"name":"x","type":"Microsoft.DataFactory/factories/datasets","properties":{"type":"AzurePostgreSql"}}]}"#).unwrap();
        assert!(is_arm_template(&arm));
        let ls = linked_services(&arm);
        assert_eq!(ls.len(), 1);
        assert_eq!(ls[0].name, "pg");
        assert_eq!(ls[0].pointer(&["properties"]), "/resources/0/properties");
        assert_eq!(
            arm_resource_name("[concat(parameters('workspaceName'), '/syn')]"),
            "syn"
        );
        assert_eq!(arm_resource_name("plain"), "plain");
    }

    #[test]
    fn table_names_split_on_the_first_unquoted_dot() {
        assert_eq!(
            split_table_name("public.orders"),
            Some((Some("public".into()), "orders".into()))
        );
        assert_eq!(
            split_table_name("\"My.Schema\".\"T.1\""),
            Some((Some("\"My.Schema\"".into()), "\"T.1\"".into()))
        );
        assert_eq!(split_table_name("orders"), Some((None, "orders".into())));
        assert_eq!(
            split_table_name("a.b.c"),
            Some((Some("a".into()), "b.c".into()))
        );
        assert_eq!(split_table_name("@{dataset().t}"), None);
    }

    #[test]
    fn layout_of_members() {
        let t = "{\n\t\t\"type\":  \"x\", \"b\": 1}";
        let root = parse(t).unwrap();
        let m = root.members().unwrap();
        let l = member_layout(t, &m[0]);
        assert_eq!(
            (l.lead.as_str(), l.sep.as_str(), l.multiline),
            ("\t\t", ":  ", true)
        );
        assert!(!member_layout(t, &m[1]).multiline);
    }
}
