//! Checks that look beyond one linked service: datasets, copy sources and sinks, factory hygiene (file
//! names, duplicate names) and references to Key Vault linked services. They read the phase-1 index.

pub use crate::check::factory::FactoryCx;
use crate::connector::{self, Connector};
use crate::finding::{Edit, Finding, Fix, Safety};
use crate::index::folder_kind;
use crate::source::adf::{self, LinkedService, member_layout};
use crate::source::json::{Kind, Member, Node, PathStep};
use std::path::Path;

/// ADF's custom parameterisation file (at the root of the collaboration branch).
pub const PARAMETERIZATION_FILE: &str = "arm-template-parameters-definition.json";
/// Synapse's, with its own section key.
pub const SYNAPSE_PARAMETERIZATION_FILE: &str = "template-parameters-definition.json";
const LS_SECTION: &str = "Microsoft.DataFactory/factories/linkedServices";
const SYNAPSE_LS_SECTION: &str = "Microsoft.Synapse/workspaces/linkedServices";

/// Is this a custom parameterisation file (ADF's or Synapse's)? Returns its linked-service section key.
pub fn parameterization_section(path: &Path) -> Option<&'static str> {
    let name = path.file_name()?.to_str()?;
    if name.eq_ignore_ascii_case(PARAMETERIZATION_FILE) {
        Some(LS_SECTION)
    } else if name.eq_ignore_ascii_case(SYNAPSE_PARAMETERIZATION_FILE) {
        Some(SYNAPSE_LS_SECTION)
    } else {
        None
    }
}

pub fn check(cx: &FactoryCx, root: &Node, services: &[LinkedService]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(section) = parameterization_section(cx.path) {
        for c in connector::ALL.iter().filter(|c| cx.index.has_connector(c)) {
            parameterization(cx, root, section, c, &mut out);
        }
        return out;
    }
    if adf::is_arm_template(root) {
        undeclared_parameters(cx, root, &mut out);
    }
    hygiene(cx, root, &mut out);
    for (base, ds) in datasets(root) {
        super::dependents::dataset(cx, root, ds, &base, &mut out);
    }
    let mut path = Vec::new();
    copy_activities(cx, root, root, &mut path, None, &mut out);
    for ls in services {
        key_vault_refs(cx, ls, &mut out);
    }
    out
}

fn key(k: &str) -> PathStep {
    PathStep::Key(k.to_string())
}

// ---------- hygiene ----------

/// File name and duplicate names, for the connectors' own resources: their linked services and datasets
/// (other resources are not this tool's business).
fn hygiene(cx: &FactoryCx, root: &Node, out: &mut Vec<Finding>) {
    let Some(kind) = folder_kind(cx.path) else {
        return;
    };
    let ty = root.get("properties").and_then(|p| p.str_at("type"));
    let ours = ty.is_some_and(|t| {
        connector::by_ls_type(t).is_some() || connector::by_dataset_type(t).is_some()
    });
    if !ours {
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
    // the files of this name (sorted by path, as indexed); a name thousands of files share must not
    // make each of them list, or compare itself with, every other: a few are named, the rest counted
    let f = cx.factory();
    let paths: Vec<&std::path::PathBuf> = match kind {
        "linkedService" => f.linked_services.get(name).map_or(Vec::new(), |v| {
            v.iter().take(SHOWN_OTHERS + 2).map(|e| &e.path).collect()
        }),
        "dataset" => f.datasets.get(name).map_or(Vec::new(), |v| {
            v.iter().take(SHOWN_OTHERS + 2).map(|e| &e.path).collect()
        }),
        _ => Vec::new(),
    };
    let total = match kind {
        "linkedService" => f.linked_services.get(name).map_or(0, Vec::len),
        "dataset" => f.datasets.get(name).map_or(0, Vec::len),
        _ => 0,
    };
    // the same path names the same file: resolving paths (a system call per component) only when they
    // differ keeps this off the hot path, where the only entry is the file itself
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let me = std::cell::OnceCell::new();
    let is_me = |p: &Path| p == cx.path || canonical(p) == *me.get_or_init(|| canonical(cx.path));
    let mut others: Vec<String> = paths
        .iter()
        .filter(|p| !is_me(p))
        .take(SHOWN_OTHERS)
        .map(|p| crate::text::display_path(p))
        .collect();
    // the file itself is one of them (it was indexed), unless it was not among those looked at
    let looked_at_me = paths.iter().any(|p| is_me(p));
    let more =
        total.saturating_sub(others.len() + usize::from(looked_at_me || total > paths.len()));
    if more > 0 {
        others.push(format!("{more} more"));
    }
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

/// The connectors' datasets (and generic `RelationalTable` ones, reported when they sit on a PostgreSQL
/// linked service): a git resource file's root, or ARM template dataset resources.
fn datasets(root: &Node) -> Vec<(Vec<PathStep>, &Node)> {
    let ours = |r: &Node| {
        r.get("properties")
            .and_then(|p| p.str_at("type"))
            .is_some_and(|t| {
                connector::by_dataset_type(t).is_some() || t == connector::RELATIONAL_TABLE
            })
    };
    if adf::is_arm_template(root) {
        return adf::arm_resources(root, "/datasets")
            .filter(|(_, r)| ours(r))
            .map(|(i, r)| (vec![key("resources"), PathStep::Index(i)], r))
            .collect();
    }
    if ours(root) {
        vec![(Vec::new(), root)]
    } else {
        Vec::new()
    }
}

/// How many of the other files of a resource name ADFPG051 names (the rest are counted).
const SHOWN_OTHERS: usize = 3;

// ---------- copy activities ----------

/// Every copy source and sink of a connector below `n`, and (for the sources whose type changes with the
/// linked service's, see `dependents`) the Copy or Lookup activity holding it.
fn copy_activities<'a>(
    cx: &FactoryCx,
    root: &Node,
    n: &'a Node,
    path: &mut Vec<PathStep>,
    activity: Option<&'a Node>,
    out: &mut Vec<Finding>,
) {
    match &n.kind {
        Kind::Object(members) => {
            if let Some(t) = n
                .member("type")
                .filter(|t| t.value.as_str().is_some_and(is_copy_type))
            {
                source_or_sink(cx, n, t, path, out);
            }
            if matches!(path.last(), Some(PathStep::Key(k)) if k == "source") {
                super::dependents::source(cx, root, n, path, activity, out);
            }
            let activity = match n.str_at("type") {
                Some("Copy" | "Lookup") if n.get("typeProperties").is_some() => Some(n),
                _ => activity,
            };
            for m in members {
                path.push(key(&m.key));
                copy_activities(cx, root, &m.value, path, activity, out);
                path.pop();
            }
        }
        Kind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                copy_activities(cx, root, item, path, activity, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A copy source or sink type of a connector (either generation).
fn is_copy_type(t: &str) -> bool {
    connector::by_source_type(t).is_some() || connector::by_sink_type(t).is_some()
}

/// `[-][d.]hh:mm:ss[.fffffff]` (hours 0–23 in one or two digits; ASCII digits, as ADF's TimeSpan reads
/// them), around any whitespace. Written out rather than as a regex: every copy source and sink has
/// one, and a regex search costs more than the rest of the object's checks.
fn timespan_ok(s: &str) -> bool {
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let s = s.trim();
    let s = s.strip_prefix('-').unwrap_or(s);
    let mut parts = s.split(':');
    let (Some(head), Some(mm), Some(rest), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let hours = match head.split_once('.') {
        Some((days, hours)) if digits(days) => hours,
        Some(_) => return false,
        None => head,
    };
    let hours_ok = match hours.as_bytes() {
        [h] => h.is_ascii_digit(),
        [b'0' | b'1', h] => h.is_ascii_digit(),
        [b'2', h] => (b'0'..=b'3').contains(h),
        _ => false,
    };
    let sixty = |t: &str| matches!(t.as_bytes(), [b'0'..=b'5', d] if d.is_ascii_digit());
    let (ss, fraction) = rest.split_once('.').unwrap_or((rest, "1"));
    hours_ok && sixty(mm) && sixty(ss) && digits(fraction) && fraction.len() <= 7
}

/// The members of a copy source or sink its checks read. A copy object checked on its own is parsed
/// with only these (`json::parse_members`): a check that reads another one lists it here, and reads go
/// through [`copy_member`], which panics in debug builds (every test) on a member not listed.
pub const COPY_OBJECT_KEYS: [&str; 7] = [
    "type",
    "queryTimeout",
    "writeBatchTimeout",
    "writeMethod",
    "upsertSettings",
    "partitionOption",
    "partitionSettings",
];

fn copy_member<'a>(n: &'a Node, key: &str) -> Option<&'a crate::source::json::Member> {
    debug_assert!(
        COPY_OBJECT_KEYS.contains(&key),
        "the copy-object checks read `{key}`: list it in COPY_OBJECT_KEYS"
    );
    n.member(key)
}

/// The checks of one copy source or sink object parsed on its own (a fragment of a file the skim found
/// otherwise clean, with the members in [`COPY_OBJECT_KEYS`]): `node`'s spans are file offsets, `path`
/// its JSON path.
pub fn check_copy_object(cx: &FactoryCx, node: &Node, path: &[PathStep]) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(t) = copy_member(node, "type") {
        source_or_sink(cx, node, t, path, &mut out);
    }
    out
}

fn source_or_sink(
    cx: &FactoryCx,
    n: &Node,
    t: &crate::source::json::Member,
    path: &[PathStep],
    out: &mut Vec<Finding>,
) {
    let at = |k: &str| -> Vec<PathStep> { path.iter().cloned().chain([key(k)]).collect() };
    let ty = t.value.as_str().unwrap_or_default();
    let sink = connector::by_sink_type(ty);
    let preferred = sink.and_then(|c| c.sink_types.first()).copied();
    if let Some(want) = preferred.filter(|w| *w != ty) {
        let mut f = cx.finding(
            "copy-sink-spelling",
            t.value.span.clone(),
            &at("type"),
            &[("value", ty.to_string())],
        );
        if let Some(f) = f.as_mut() {
            f.fix = Some(Fix {
                safety: Safety::Safe,
                title: format!("write `{want}`"),
                edits: vec![Edit::replace(t.value.span.clone(), format!("\"{want}\""))],
                requires: Vec::new(),
            });
        }
        out.extend(f);
    }
    for field in ["queryTimeout", "writeBatchTimeout"] {
        if let Some(m) = copy_member(n, field) {
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
    if sink.is_some() {
        if let Some(wm) =
            copy_member(n, "writeMethod").filter(|m| !adf::is_expression_node(&m.value))
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
                let keys = copy_member(n, "upsertSettings").and_then(|u| u.value.get("keys"));
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
    if connector::by_source_type(ty).is_some_and(|(c, _)| c.source_partitions) {
        partition(cx, n, path, out);
    }
}

fn partition(cx: &FactoryCx, n: &Node, path: &[PathStep], out: &mut Vec<Finding>) {
    let at = |k: &str| -> Vec<PathStep> { path.iter().cloned().chain([key(k)]).collect() };
    let option = copy_member(n, "partitionOption");
    let settings = copy_member(n, "partitionSettings");
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
        let Some(name) = store
            .as_str()
            .filter(|n| !crate::source::connstr::is_expression(n))
        else {
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

// ---------- ARM template expressions ----------

/// `[parameters('X')]` (anywhere in an ARM expression) with no `X` under the template's `parameters`:
/// the deployment fails. Reported once per name, at its first use.
fn undeclared_parameters(cx: &FactoryCx, root: &Node, out: &mut Vec<Finding>) {
    let declared = root
        .get("parameters")
        .and_then(Node::members)
        .unwrap_or_default();
    let mut seen: Vec<String> = Vec::new();
    let mut path = Vec::new();
    walk_strings(root, &mut path, &mut |node, value, path| {
        for name in referenced_parameters(value) {
            if declared.iter().any(|m| m.key == name) || seen.iter().any(|s| s == name) {
                continue;
            }
            seen.push(name.to_string());
            out.extend(cx.finding(
                "arm-undeclared-parameter",
                node.span.clone(),
                path,
                &[("parameter", name.to_string())],
            ));
        }
    });
}

/// The parameter names an ARM expression string (`[…]`, not the `[[` escape) refers to.
fn referenced_parameters(value: &str) -> Vec<&str> {
    let t = value.trim();
    if !(t.starts_with('[') && t.ends_with(']')) || t.starts_with("[[") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(i) = rest.find("parameters('") {
        // `variables('parameters(')`-like text inside a string literal is not a call: require a call start
        let before = rest[..i].chars().next_back();
        rest = &rest[i + "parameters('".len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(end) = rest.find('\'') {
            out.push(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out
}

fn walk_strings<'a>(
    n: &'a Node,
    path: &mut Vec<PathStep>,
    f: &mut impl FnMut(&'a Node, &'a str, &[PathStep]),
) {
    match &n.kind {
        Kind::String { value, .. } => f(n, value, path),
        Kind::Object(members) => {
            for m in members {
                path.push(PathStep::Key(m.key.clone()));
                walk_strings(&m.value, path, f);
                path.pop();
            }
        }
        Kind::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(PathStep::Index(i));
                walk_strings(item, path, f);
                path.pop();
            }
        }
        _ => {}
    }
}

// ---------- custom ARM parameterisation ----------

/// With a custom parameterisation file, only what it lists becomes a template parameter: a connector's
/// new-generation linked services (AzurePostgreSql 2.0, PostgreSqlV2) need server, database and username
/// there. A type block (`"AzurePostgreSql": {…}`) replaces the `"*"` block for that type, so it must also
/// carry every `*` entry the type has (a 1.0 `connectionString` would otherwise publish unparameterised).
fn parameterization(
    cx: &FactoryCx,
    root: &Node,
    section_key: &str,
    c: &Connector,
    out: &mut Vec<Finding>,
) {
    let ls_type = c.ls_types[1];
    let section = root.member(section_key);
    let block = |ty: &str| {
        section
            .and_then(|s| s.value.get(ty))
            .and_then(|t| t.get("properties"))
            .and_then(|p| p.get("typeProperties"))
    };
    let own = section.and_then(|s| s.value.get(ls_type));
    // the block that applies to the type: its own when it has one, else `*`
    let effective = if own.is_some() {
        block(ls_type)
    } else {
        block("*")
    };
    let mut missing: Vec<String> = c
        .arm_parameterised
        .iter()
        .filter(|p| effective.is_none_or(|tp| tp.member(p).is_none()))
        .map(|p| format!("`{p}`"))
        .collect();
    if own.is_some() {
        let star = block("*").and_then(Node::members).unwrap_or_default();
        missing.extend(
            star.iter()
                .filter(|m| {
                    c.old_properties.contains(&m.key.as_str()) || c.property(&m.key).is_some()
                })
                .filter(|m| effective.is_none_or(|tp| tp.member(&m.key).is_none()))
                .map(|m| {
                    format!(
                        "`{}` (listed under `*`, which the {ls_type} block hides)",
                        m.key
                    )
                }),
        );
    }
    if missing.is_empty() {
        return;
    }
    let (span, path) = match section {
        Some(s) => (s.key_span.clone(), vec![key(section_key)]),
        None => (root.span.start..root.span.start + 1, Vec::new()),
    };
    let entry = format!(
        "\"{ls_type}\": {{ \"properties\": {{ \"typeProperties\": {{ {} }} }} }} (plus every entry of \"*\")",
        c.arm_parameterised
            .iter()
            .map(|p| format!("\"{p}\": \"=\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let file = cx
        .path
        .file_name()
        .map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let Some(mut f) = cx.finding(
        "arm-parameterization",
        span,
        &path,
        &[
            ("missing", missing.join(", ")),
            ("ls_type", ls_type.to_string()),
            ("entry", entry),
            ("file", file),
            ("section", section_key.to_string()),
        ],
    ) else {
        return;
    };
    // the fix adds the entry when the section exists and has no entry of its own for the type
    if let Some(s) = section.filter(|_| own.is_none())
        && let Some(first) = s.value.members().and_then(|m| m.first())
        && let Some(text) = type_block_text(cx, s, first, c)
    {
        f.fix = Some(Fix {
            safety: Safety::Unsafe,
            title: format!(
                "add a {ls_type} entry that carries every `*` entry and parameterises {}",
                c.arm_parameterised.join(", ")
            ),
            edits: vec![Edit::replace(
                first.key_span.start..first.key_span.start,
                text,
            )],
            requires: Vec::new(),
        });
    }
    out.push(f);
}

/// `"AzurePostgreSql": {…},` (the connector's new linked-service type) to insert before the section's
/// first member: a copy of the `*` block (so nothing it parameterises is lost for this type) with server,
/// database and username added.
fn type_block_text(
    cx: &FactoryCx,
    section: &Member,
    first: &Member,
    c: &Connector,
) -> Option<String> {
    let mut block = match section.value.get("*") {
        Some(star) => serde_json::from_str(&cx.text[star.span.clone()]).ok()?,
        None => serde_json::json!({}),
    };
    let tp = block
        .as_object_mut()?
        .entry("properties")
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()?
        .entry("typeProperties")
        .or_insert_with(|| serde_json::json!({}))
        .as_object_mut()?;
    for p in c.arm_parameterised {
        tp.entry(*p).or_insert_with(|| serde_json::json!("="));
    }
    let l = member_layout(cx.text, first);
    let value = if l.multiline {
        let indent = cx.layout().indent.as_bytes();
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        serde::Serialize::serialize(&block, &mut ser).ok()?;
        let pretty = String::from_utf8(buf).ok()?;
        // serde_json writes `": "` and LF; the file's own separator, line ending and depth win
        pretty
            .replace("\": ", &format!("\"{}", l.sep))
            .replace('\n', &format!("{}{}", cx.layout().eol, l.lead))
    } else {
        serde_json::to_string(&block).ok()?
    };
    let nl = if l.multiline {
        format!("{}{}", cx.layout().eol, l.lead)
    } else {
        " ".to_string()
    };
    Some(format!("\"{}\"{}{value},{nl}", c.ls_types[1], l.sep))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_named_by_arm_expressions() {
        assert_eq!(
            referenced_parameters("[concat(parameters('factoryName'), '/pg')]"),
            vec!["factoryName"]
        );
        assert_eq!(
            referenced_parameters("[parameters('a')]x[parameters('b')]"),
            vec!["a", "b"]
        );
        assert!(referenced_parameters("[[parameters('literal')]").is_empty());
        assert!(referenced_parameters("parameters('not an expression')").is_empty());
    }

    #[test]
    fn timespans() {
        for ok in [
            "02:00:00",
            "0.12:00:00",
            "1.00:00:00.5",
            "-00:00:30",
            " 7:05:09 ",
            "23:59:59.1234567",
        ] {
            assert!(timespan_ok(ok), "{ok}");
        }
        for bad in [
            "120",
            "2h",
            "25:00:00",
            "24:00:00",
            "00:60:00",
            "00:00:60",
            "",
            "1.",
            ".01:00:00",
            "1..01:00:00",
            "01:00",
            "01:00:00:00",
            "01:00:00.",
            "01:00:00.12345678",
            "001:00:00",
            "1:0:00",
            "--01:00:00",
            "01:00:0x",
            "\u{661}:00:00",
        ] {
            assert!(!timespan_ok(bad), "{bad}");
        }
    }

    /// The same strings as the grammar written as a regular expression (ASCII digits): every string
    /// of the characters that matter up to five long, and valid timespans with one or two characters
    /// replaced, or one dropped or doubled.
    #[test]
    fn timespans_agree_with_the_grammar() {
        let re = regex::Regex::new(
            r"^-?([0-9]+\.)?([01]?[0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,7})?$",
        )
        .unwrap();
        let alphabet = ['0', '1', '2', '3', '5', '6', '9', ':', '.', '-', ' ', 'x'];
        let mut checked = 0;
        let mut same = |s: &str| {
            assert_eq!(timespan_ok(s), re.is_match(s.trim()), "{s:?}");
            checked += 1;
        };
        let mut strings = vec![String::new()];
        for _ in 0..5 {
            strings = strings
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            strings.iter().for_each(|s| same(s));
        }
        let replace = |s: &str, i: usize, c: char| format!("{}{c}{}", &s[..i], &s[i + 1..]);
        for base in ["12.23:59:59.1234567", "-1.09:05:00", "0:00:00.0"] {
            for i in 0..base.len() {
                same(&format!("{}{}", &base[..i], &base[i + 1..]));
                same(&format!("{}{}", &base[..i + 1], &base[i..]));
                for c in alphabet {
                    let once = replace(base, i, c);
                    same(&once);
                    for j in i + 1..base.len() {
                        alphabet.iter().for_each(|&d| same(&replace(&once, j, d)));
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }
}
