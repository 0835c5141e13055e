//! Checks that look beyond one linked service: datasets, copy sources and sinks, factory hygiene (file
//! names, duplicate names) and references to Key Vault linked services. They read the phase-1 index.

use crate::adf::{self, LinkedService, member_layout};
use crate::document::Layout;
use crate::factory::{Factory, Index, folder_kind};
use crate::finding::{Edit, Finding, Fix, Safety};
use crate::json::{Kind, Node, PathStep, pointer};
use crate::rules::Catalog;
use std::path::Path;
use std::sync::OnceLock;

/// The checks of this module, for the catalog's list of known checks.
pub const CHECKS: &[&str] = &[
    "file-name-mismatch",
    "duplicate-resource-name",
    "dataset-legacy-table-name",
    "dataset-unknown-linked-service",
    "dataset-linked-service-type",
    "copy-sink-spelling",
    "copy-write-method",
    "upsert-without-keys",
    "partition-settings",
    "invalid-timespan",
    "unknown-key-vault-linked-service",
    "arm-parameterization",
];

/// ADF's custom parameterisation file (at the root of the collaboration branch).
pub const PARAMETERIZATION_FILE: &str = "arm-template-parameters-definition.json";
const LS_SECTION: &str = "Microsoft.DataFactory/factories/linkedServices";
/// The 2.0 properties ADF's own publish step parameterises for AzurePostgreSql.
const PARAMETERISED: [&str; 3] = ["server", "database", "username"];

pub const DATASET_TYPE: &str = "AzurePostgreSqlTable";
pub const SOURCE_TYPE: &str = "AzurePostgreSqlSource";
pub const SINK_TYPE: &str = "AzurePostgreSqlSink";
pub const OLD_SINK_TYPE: &str = "AzurePostgreSQLSink";

pub struct FactoryCx<'a> {
    pub catalog: &'a Catalog,
    pub index: &'a Index,
    pub path: &'a Path,
    pub text: &'a str,
    /// The text's layout, worked out on first use (copy-object checks never need it).
    pub layout: std::cell::OnceCell<Layout>,
}

impl FactoryCx<'_> {
    fn finding(
        &self,
        check: &str,
        node_span: std::ops::Range<usize>,
        path: &[PathStep],
        args: &[(&str, String)],
    ) -> Option<Finding> {
        let mut f = self.catalog.finding(check, node_span, args)?;
        f.pointer = pointer(path);
        Some(f)
    }
}

impl FactoryCx<'_> {
    fn layout(&self) -> &Layout {
        self.layout
            .get_or_init(|| crate::document::layout_of(self.text))
    }

    fn factory(&self) -> &Factory {
        self.index.factory_of(self.path)
    }
}

pub fn check(cx: &FactoryCx, root: &Node, services: &[LinkedService]) -> Vec<Finding> {
    let mut out = Vec::new();
    if cx
        .path
        .file_name()
        .is_some_and(|n| n.eq_ignore_ascii_case(PARAMETERIZATION_FILE))
    {
        parameterization(cx, root, &mut out);
        return out;
    }
    hygiene(cx, root, &mut out);
    for (base, ds) in datasets(root) {
        dataset(cx, ds, &base, &mut out);
    }
    let mut path = Vec::new();
    copy_activities(cx, root, &mut path, &mut out);
    for ls in services {
        key_vault_refs(cx, ls, &mut out);
    }
    out
}

fn key(k: &str) -> PathStep {
    PathStep::Key(k.to_string())
}

// ---------- hygiene ----------

/// File name and duplicate names, for the connector's own resources: AzurePostgreSql linked services and
/// AzurePostgreSqlTable datasets (other resources are not this tool's business).
fn hygiene(cx: &FactoryCx, root: &Node, out: &mut Vec<Finding>) {
    let Some(kind) = folder_kind(cx.path) else {
        return;
    };
    let ty = root.get("properties").and_then(|p| p.str_at("type"));
    if !matches!(ty, Some(adf::LS_TYPE | DATASET_TYPE)) {
        return;
    }
    let Some(name_m) = root.member("name") else {
        return;
    };
    let Some(name) = name_m.value.as_str() else {
        return;
    };
    let stem = cx
        .path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if name != stem {
        out.extend(cx.finding(
            "file-name-mismatch",
            name_m.value.span.clone(),
            &[key("name")],
            &[("name", name.to_string()), ("file", format!("{stem}.json"))],
        ));
    }
    let entries: Vec<&std::path::PathBuf> = match kind {
        "linkedService" => cx
            .factory()
            .linked_services
            .get(name)
            .map(|v| v.iter().map(|e| &e.path).collect()),
        "dataset" => cx
            .factory()
            .datasets
            .get(name)
            .map(|v| v.iter().map(|e| &e.path).collect()),
        _ => None,
    }
    .unwrap_or_default();
    // the same path names the same file: resolving paths (a system call per component) only when they
    // differ keeps this off the hot path, where the only entry is the file itself
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let me = std::cell::OnceCell::new();
    let others: Vec<String> = entries
        .into_iter()
        .filter(|p| {
            p.as_path() != cx.path && canonical(p) != *me.get_or_init(|| canonical(cx.path))
        })
        .map(|p| crate::report::display_path(p))
        .collect();
    if !others.is_empty() {
        out.extend(cx.finding(
            "duplicate-resource-name",
            name_m.value.span.clone(),
            &[key("name")],
            &[("name", name.to_string()), ("others", others.join(", "))],
        ));
    }
}

// ---------- datasets ----------

/// AzurePostgreSqlTable datasets: a git resource file's root, or ARM template dataset resources.
fn datasets(root: &Node) -> Vec<(Vec<PathStep>, &Node)> {
    let is_pg = |r: &Node| r.get("properties").and_then(|p| p.str_at("type")) == Some(DATASET_TYPE);
    if adf::is_arm_template(root) {
        return adf::arm_resources(root, "/datasets")
            .filter(|(_, r)| is_pg(r))
            .map(|(i, r)| (vec![key("resources"), PathStep::Index(i)], r))
            .collect();
    }
    if is_pg(root) {
        vec![(Vec::new(), root)]
    } else {
        Vec::new()
    }
}

fn dataset(cx: &FactoryCx, ds: &Node, base: &[PathStep], out: &mut Vec<Finding>) {
    let props = ds.get("properties").expect("checked by datasets()");
    let name = adf::arm_resource_name(ds.str_at("name").unwrap_or("<unnamed>")).to_string();
    let at = |rel: &[&str]| -> Vec<PathStep> {
        base.iter()
            .cloned()
            .chain(rel.iter().map(|k| key(k)))
            .collect()
    };
    let with_resource = |mut f: Finding| {
        f.resource = Some(name.clone());
        f
    };
    if let Some(ls_ref) = props
        .get("linkedServiceName")
        .and_then(|l| l.get("referenceName"))
        && let Some(ls_name) = ls_ref
            .as_str()
            .filter(|n| !crate::connstr::is_expression(n))
    {
        match cx.factory().linked_service(ls_name) {
            None if cx.factory().has_linked_services => out.extend(
                cx.finding(
                    "dataset-unknown-linked-service",
                    ls_ref.span.clone(),
                    &at(&["properties", "linkedServiceName", "referenceName"]),
                    &[
                        ("dataset", name.clone()),
                        ("linked_service", ls_name.to_string()),
                    ],
                )
                .map(with_resource),
            ),
            Some(l) if l.kind != adf::LS_TYPE => out.extend(
                cx.finding(
                    "dataset-linked-service-type",
                    ls_ref.span.clone(),
                    &at(&["properties", "linkedServiceName", "referenceName"]),
                    &[
                        ("dataset", name.clone()),
                        ("linked_service", ls_name.to_string()),
                        ("kind", l.kind.clone()),
                    ],
                )
                .map(with_resource),
            ),
            _ => {}
        }
    }

    let Some(tp) = props.get("typeProperties") else {
        return;
    };
    let Some(tn) = tp.member("tableName") else {
        return;
    };
    let mut f = match cx.finding(
        "dataset-legacy-table-name",
        tn.key_span.clone(),
        &at(&["properties", "typeProperties", "tableName"]),
        &[("dataset", name.clone())],
    ) {
        Some(f) => with_resource(f),
        None => return,
    };
    let split = tn.value.as_str().and_then(split_table_name);
    if let Some((schema, table)) =
        split.filter(|_| tp.member("schema").is_none() && tp.member("table").is_none())
    {
        let l = member_layout(cx.text, tn);
        let join = if l.multiline {
            format!(",{}{}", cx.layout().eol, l.lead)
        } else {
            ", ".to_string()
        };
        let json = |s: &str| serde_json::to_string(s).expect("strings serialise");
        let mut text = String::new();
        if let Some(s) = &schema {
            text.push_str(&format!("\"schema\"{}{}{join}", l.sep, json(s)));
        }
        text.push_str(&format!("\"table\"{}{}", l.sep, json(&table)));
        f.fix = Some(Fix {
            safety: Safety::Safe,
            title: match &schema {
                Some(s) => format!("write schema `{s}` and table `{table}`"),
                None => format!("write table `{table}`"),
            },
            edits: vec![Edit::replace(tn.span(), text)],
        });
    }
    out.push(f);
}

/// `schema.table` split on the first `.` outside double quotes; quotes are kept as written.
/// Expressions are never split.
pub fn split_table_name(s: &str) -> Option<(Option<String>, String)> {
    if crate::connstr::is_expression(s) || s.trim().is_empty() {
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

// ---------- copy activities ----------

fn copy_activities(cx: &FactoryCx, n: &Node, path: &mut Vec<PathStep>, out: &mut Vec<Finding>) {
    match &n.kind {
        Kind::Object(members) => {
            if let Some(t) = n.member("type").filter(|t| {
                matches!(
                    t.value.as_str(),
                    Some(SOURCE_TYPE | SINK_TYPE | OLD_SINK_TYPE)
                )
            }) {
                source_or_sink(cx, n, t, path, out);
            }
            for m in members {
                path.push(key(&m.key));
                copy_activities(cx, &m.value, path, out);
                path.pop();
            }
        }
        Kind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                copy_activities(cx, item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn timespan_ok(s: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"^-?(\d+\.)?([01]?\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,7})?$").unwrap()
    })
    .is_match(s.trim())
}

/// The checks of one copy source or sink object parsed on its own (a fragment of a file the skim found
/// otherwise clean): `node`'s spans are file offsets, `path` its JSON path.
pub fn check_copy_object(cx: &FactoryCx, node: &Node, path: &[PathStep]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(t) = node.member("type") {
        source_or_sink(cx, node, t, path, &mut out);
    }
    out
}

fn source_or_sink(
    cx: &FactoryCx,
    n: &Node,
    t: &crate::json::Member,
    path: &[PathStep],
    out: &mut Vec<Finding>,
) {
    let at = |k: &str| -> Vec<PathStep> { path.iter().cloned().chain([key(k)]).collect() };
    let ty = t.value.as_str().unwrap_or_default();
    if ty == OLD_SINK_TYPE {
        let mut f = cx.finding(
            "copy-sink-spelling",
            t.value.span.clone(),
            &at("type"),
            &[("value", ty.to_string())],
        );
        if let Some(f) = f.as_mut() {
            f.fix = Some(Fix {
                safety: Safety::Safe,
                title: format!("write `{SINK_TYPE}`"),
                edits: vec![Edit::replace(
                    t.value.span.clone(),
                    format!("\"{SINK_TYPE}\""),
                )],
            });
        }
        out.extend(f);
    }
    for field in ["queryTimeout", "writeBatchTimeout"] {
        if let Some(m) = n.member(field) {
            let ok = adf::is_expression_node(&m.value) || m.value.as_str().is_some_and(timespan_ok);
            if !ok {
                let shown: String = cx.text[m.value.span.clone()].chars().take(40).collect();
                out.extend(cx.finding(
                    "invalid-timespan",
                    m.value.span.clone(),
                    &at(field),
                    &[("field", field.to_string()), ("value", shown)],
                ));
            }
        }
    }
    if ty != SOURCE_TYPE {
        if let Some(wm) = n
            .member("writeMethod")
            .filter(|m| !adf::is_expression_node(&m.value))
        {
            let v = wm.value.as_str();
            if !matches!(v, Some("CopyCommand" | "BulkInsert" | "Upsert")) {
                let shown: String = cx.text[wm.value.span.clone()].chars().take(40).collect();
                out.extend(cx.finding(
                    "copy-write-method",
                    wm.value.span.clone(),
                    &at("writeMethod"),
                    &[("value", shown)],
                ));
            }
            if v == Some("Upsert") {
                let keys = n.get("upsertSettings").and_then(|u| u.get("keys"));
                let ok = keys.is_some_and(|k| {
                    adf::is_expression_node(k) || k.elements().is_some_and(|e| !e.is_empty())
                });
                if !ok {
                    out.extend(cx.finding(
                        "upsert-without-keys",
                        wm.value.span.clone(),
                        &at("writeMethod"),
                        &[],
                    ));
                }
            }
        }
        return;
    }
    partition(cx, n, path, out);
}

fn partition(cx: &FactoryCx, n: &Node, path: &[PathStep], out: &mut Vec<Finding>) {
    let at = |k: &str| -> Vec<PathStep> { path.iter().cloned().chain([key(k)]).collect() };
    let option = n.member("partitionOption");
    let settings = n.member("partitionSettings");
    if option.is_some_and(|o| adf::is_expression_node(&o.value)) {
        return;
    }
    let opt = option.and_then(|o| o.value.as_str()).unwrap_or("None");
    let allowed: &[&str] = match opt {
        "None" => &[],
        "PhysicalPartitionsOfTable" => &["partitionNames"],
        "DynamicRange" => &[
            "partitionColumnName",
            "partitionUpperBound",
            "partitionLowerBound",
        ],
        other => {
            let o = option.expect("a named option has a member");
            out.extend(cx.finding(
                "partition-settings",
                o.value.span.clone(),
                &at("partitionOption"),
                &[("problem", format!("partitionOption `{other}` is not None, PhysicalPartitionsOfTable or DynamicRange"))],
            ));
            return;
        }
    };
    let Some(s) = settings else { return };
    for m in s.value.members().unwrap_or_default() {
        if !allowed.contains(&m.key.as_str()) {
            out.extend(cx.finding(
                "partition-settings",
                m.key_span.clone(),
                &[at("partitionSettings"), vec![key(&m.key)]].concat(),
                &[(
                    "problem",
                    format!("`{}` does nothing with partitionOption {opt}", m.key),
                )],
            ));
        }
    }
}

// ---------- Key Vault references ----------

fn key_vault_refs(cx: &FactoryCx, ls: &LinkedService, out: &mut Vec<Finding>) {
    if !cx.factory().has_linked_services {
        return;
    }
    let Some(tp) = ls.type_props() else { return };
    for m in tp.members().unwrap_or_default() {
        let kv = if adf::is_key_vault_ref(&m.value) {
            Some(&m.value)
        } else {
            None
        };
        let Some(store) = kv
            .and_then(|v| v.get("store"))
            .and_then(|s| s.get("referenceName"))
        else {
            continue;
        };
        let Some(name) = store.as_str().filter(|n| !crate::connstr::is_expression(n)) else {
            continue;
        };
        let problem = match cx.factory().linked_service(name) {
            None => format!("no linked service `{name}` exists"),
            Some(l) if l.kind != "AzureKeyVault" => {
                format!("`{name}` is a {} linked service, not AzureKeyVault", l.kind)
            }
            Some(_) => continue,
        };
        let mut f = cx.finding(
            "unknown-key-vault-linked-service",
            store.span.clone(),
            &[
                ls.base.clone(),
                vec![
                    key("properties"),
                    key("typeProperties"),
                    key(&m.key),
                    key("store"),
                    key("referenceName"),
                ],
            ]
            .concat(),
            &[
                ("ls", ls.name.to_string()),
                ("field", m.key.clone()),
                ("problem", problem),
            ],
        );
        if let Some(f) = f.as_mut() {
            f.resource = Some(ls.name.to_string());
        }
        out.extend(f);
    }
}

// ---------- custom ARM parameterisation ----------

/// With a custom `arm-template-parameters-definition.json`, only what it lists becomes a template
/// parameter: 2.0 AzurePostgreSql linked services need server, database and username there.
fn parameterization(cx: &FactoryCx, root: &Node, out: &mut Vec<Finding>) {
    if cx.index.pg_names.is_empty() && !cx.index.pg_in_templates {
        return;
    }
    let section = root.member(LS_SECTION);
    let listed = |ty: &str, prop: &str| {
        section
            .and_then(|s| s.value.get(ty))
            .and_then(|t| t.get("properties"))
            .and_then(|p| p.get("typeProperties"))
            .is_some_and(|tp| tp.member(prop).is_some())
    };
    let missing: Vec<&str> = PARAMETERISED
        .iter()
        .copied()
        .filter(|p| !listed("AzurePostgreSql", p) && !listed("*", p))
        .collect();
    if missing.is_empty() {
        return;
    }
    let (span, path) = match section {
        Some(s) => (s.key_span.clone(), vec![key(LS_SECTION)]),
        None => (root.span.start..root.span.start + 1, Vec::new()),
    };
    let entry = format!(
        "\"AzurePostgreSql\": {{ \"properties\": {{ \"typeProperties\": {{ {} }} }} }}",
        PARAMETERISED
            .iter()
            .map(|p| format!("\"{p}\": \"=\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut f = match cx.finding(
        "arm-parameterization",
        span,
        &path,
        &[("missing", missing.join(", ")), ("entry", entry)],
    ) {
        Some(f) => f,
        None => return,
    };
    // the fix adds the entry when the section exists and has no AzurePostgreSql entry of its own
    if let Some(s) = section.filter(|s| s.value.get("AzurePostgreSql").is_none())
        && let Some(first) = s.value.members().and_then(|m| m.first())
    {
        let l = member_layout(cx.text, first);
        let (nl, inner) = if l.multiline {
            (
                format!("{}{}", cx.layout().eol, l.lead),
                cx.layout().indent.clone(),
            )
        } else {
            (" ".to_string(), String::new())
        };
        let ind = |n: usize| {
            if l.multiline {
                format!("{}{}{}", cx.layout().eol, l.lead, inner.repeat(n))
            } else {
                " ".into()
            }
        };
        let props: Vec<String> = PARAMETERISED
            .iter()
            .map(|p| format!("{}\"{p}\"{}\"=\"", ind(3), l.sep))
            .collect();
        let text = format!(
            "\"AzurePostgreSql\"{sep}{{{}\"properties\"{sep}{{{}\"typeProperties\"{sep}{{{}{}}}{}}}{}}},{nl}",
            ind(1),
            ind(2),
            props.join(","),
            ind(2),
            ind(1),
            ind(0),
            sep = l.sep
        );
        f.fix = Some(Fix {
            safety: Safety::Unsafe,
            title: "add an AzurePostgreSql entry that parameterises server, database and username"
                .into(),
            edits: vec![Edit::replace(
                first.key_span.start..first.key_span.start,
                text,
            )],
        });
    }
    out.push(f);
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn timespans() {
        for ok in ["02:00:00", "0.12:00:00", "1.00:00:00.5", "-00:00:30"] {
            assert!(timespan_ok(ok), "{ok}");
        }
        for bad in ["120", "2h", "25:00:00", "00:60:00", ""] {
            assert!(!timespan_ok(bad), "{bad}");
        }
    }
}
