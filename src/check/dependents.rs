//! Datasets and copy (or Lookup) sources, which depend on a PostgreSQL linked service: the linked service
//! exists and is of the dataset's connector (ADFPG031, ADFPG032), `tableName` (ADFPG030), and the datasets
//! and sources of a connector whose types change with the linked service's (`PostgreSqlTable` →
//! `PostgreSqlV2Table`, `PostgreSqlSource` → `PostgreSqlV2Source`: ADFPG061, ADFPG062; a generic
//! `RelationalTable` or `RelationalSource` on such a linked service is reported, not guessed: ADFPG063).
//!
//! A retyped dataset or source is right only beside a migrated linked service. In a factory's git files its
//! fix has the safety of that migration (the index's prediction of what `--fix` writes for the linked
//! service) and requires that file to be written in the same run; in a template, where everything is one
//! file, it comes a fix round after the linked service's own migration.

use super::factory::FactoryCx;
use crate::connector::{self, Connector, Generation};
use crate::finding::{Edit, Finding, Fix, Safety, Severity};
use crate::source::adf::{self, member_layout};
use crate::source::json::{Node, PathStep};
use std::path::PathBuf;

use crate::connector::{RELATIONAL_SOURCE, RELATIONAL_TABLE};

fn key(k: &str) -> PathStep {
    PathStep::Key(k.to_string())
}

/// What a dataset or source knows of the linked service it uses.
struct LinkedServiceFacts {
    /// Its `properties.type`.
    kind: String,
    /// Its file, when it is a factory's git resource (not a resource of the same template).
    file: Option<PathBuf>,
    /// For an old-generation one in a file: the safety of the migration `--fix` writes for it.
    migration: Option<Safety>,
}

/// What a source knows of its dataset.
struct DatasetFacts {
    kind: String,
    linked_service: Option<String>,
    file: Option<PathBuf>,
    /// Why its own retype is held back, when it is.
    blocked: Option<String>,
}

impl FactoryCx<'_> {
    /// The linked service `name` as a dataset of this file sees it: a resource of the same template, or
    /// the factory's file.
    fn linked_service_facts(&self, root: &Node, name: &str) -> Option<LinkedServiceFacts> {
        if adf::is_arm_template(root) {
            return adf::arm_resources(root, "/linkedservices")
                .find(|(_, r)| r.str_at("name").map(adf::arm_resource_name) == Some(name))
                .map(|(_, r)| LinkedServiceFacts {
                    kind: r
                        .get("properties")
                        .and_then(|p| p.str_at("type"))
                        .unwrap_or_default()
                        .to_string(),
                    file: None,
                    migration: None,
                });
        }
        let e = self.factory().linked_service(name)?;
        Some(LinkedServiceFacts {
            kind: e.kind.clone(),
            file: Some(e.path.clone()),
            migration: e.migration,
        })
    }

    fn dataset_facts(&self, root: &Node, name: &str) -> Option<DatasetFacts> {
        if adf::is_arm_template(root) {
            let (_, r) = adf::arm_resources(root, "/datasets")
                .find(|(_, r)| r.str_at("name").map(adf::arm_resource_name) == Some(name))?;
            let props = r.get("properties")?;
            return Some(DatasetFacts {
                kind: props.str_at("type").unwrap_or_default().to_string(),
                linked_service: linked_service_name(props).map(str::to_string),
                file: None,
                blocked: props
                    .get("typeProperties")
                    .and_then(|tp| adf::table_split(tp).err()),
            });
        }
        let e = self.factory().dataset(name)?;
        Some(DatasetFacts {
            kind: e.kind.clone(),
            linked_service: e.linked_service.clone(),
            file: Some(e.path.clone()),
            blocked: e.retype_blocked.clone(),
        })
    }
}

fn linked_service_name(props: &Node) -> Option<&str> {
    props
        .get("linkedServiceName")
        .and_then(|l| l.str_at("referenceName"))
        .filter(|n| !crate::source::connstr::is_expression(n))
}

/// Can a dataset or source of connector `c` take the new generation's type now, and with which safety
/// and required files; else why not.
fn with_linked_service(
    c: &Connector,
    name: &str,
    ls: &LinkedServiceFacts,
) -> Result<(Safety, Vec<PathBuf>), String> {
    if ls.kind == c.ls_types[1] {
        return Ok((Safety::Safe, Vec::new()));
    }
    if ls.kind != c.ls_types[0] {
        return Err(format!(
            "its linked service `{name}` is a {} linked service, not {}",
            ls.kind, c.ls_types[0]
        ));
    }
    match (ls.migration, &ls.file) {
        (Some(s), Some(f)) => Ok((s, vec![f.clone()])),
        (_, None) => Err(format!(
            "it changes type after its linked service `{name}`, in the fix round that follows that \
             migration (ADFPG060)"
        )),
        (None, Some(_)) => Err(format!(
            "its linked service `{name}` is not migrated by this run (ADFPG060 says why): migrate it first"
        )),
    }
}

/// One dataset under check: its factory context, where it sits, and what it names.
struct DatasetCx<'a, 'c> {
    cx: &'c FactoryCx<'a>,
    props: &'c Node,
    base: &'c [PathStep],
    name: String,
    ty: &'c str,
    ls_ref: Option<&'c Node>,
    /// The linked service's name, when it is a literal.
    ls_name: Option<&'c str>,
    facts: Option<LinkedServiceFacts>,
}

impl DatasetCx<'_, '_> {
    fn at(&self, rel: &[&str]) -> Vec<PathStep> {
        self.base
            .iter()
            .cloned()
            .chain(rel.iter().map(|k| key(k)))
            .collect()
    }

    /// A finding of rule `name` about this dataset.
    fn finding(
        &self,
        rule: &str,
        span: std::ops::Range<usize>,
        rel: &[&str],
        args: &[(&str, String)],
    ) -> Option<Finding> {
        let mut f = self.cx.finding(rule, span, &self.at(rel), args)?;
        f.resource = Some(self.name.clone());
        Some(f)
    }
}

/// The checks of one dataset (a git resource file's root, or a template's dataset resource at `base`).
pub(super) fn dataset(
    cx: &FactoryCx,
    root: &Node,
    ds: &Node,
    base: &[PathStep],
    out: &mut Vec<Finding>,
) {
    let Some(props) = ds.get("properties") else {
        return;
    };
    let ls_ref = props
        .get("linkedServiceName")
        .and_then(|l| l.get("referenceName"));
    let ls_name = ls_ref
        .and_then(Node::as_str)
        .filter(|n| !crate::source::connstr::is_expression(n));
    let d = DatasetCx {
        cx,
        props,
        base,
        name: adf::arm_resource_name(ds.str_at("name").unwrap_or("<unnamed>")).to_string(),
        ty: props.str_at("type").unwrap_or_default(),
        ls_ref,
        ls_name,
        facts: ls_name.and_then(|n| cx.linked_service_facts(root, n)),
    };
    if d.ty == RELATIONAL_TABLE {
        out.extend(relational_dataset(&d));
        return;
    }
    let Some((c, generation)) = connector::by_dataset_type(d.ty) else {
        return;
    };
    out.extend(linked_service_reference(&d, root, c, generation));
    if generation == Generation::Old && c.dataset_types[0] != c.dataset_types[1] {
        out.extend(legacy_dataset(&d, c));
    } else {
        out.extend(table_name(&d, c));
    }
}

/// A generic `RelationalTable` on a linked service of a connector whose datasets change type
/// (ADFPG063); another database's generic dataset is not this tool's business.
fn relational_dataset(d: &DatasetCx) -> Option<Finding> {
    let (facts, n) = d.facts.as_ref().zip(d.ls_name)?;
    let c =
        connector::by_ls_type(&facts.kind).filter(|c| c.dataset_types[0] != c.dataset_types[1])?;
    let span = d
        .props
        .get("type")
        .map_or(d.props.span.clone(), |t| t.span.clone());
    d.finding(
        "relational-on-postgresql",
        span,
        &["properties", "type"],
        &[
            ("what", format!("dataset `{}`", d.name)),
            ("kind", RELATIONAL_TABLE.into()),
            ("ls", n.to_string()),
            ("ls_kind", facts.kind.clone()),
            ("want", c.dataset_types[1].into()),
        ],
    )
}

/// The linked service it names exists (ADFPG031) and is of its connector and generation (ADFPG032).
fn linked_service_reference(
    d: &DatasetCx,
    root: &Node,
    c: &Connector,
    generation: Generation,
) -> Option<Finding> {
    let (ls_ref, n) = d.ls_ref.zip(d.ls_name)?;
    let ref_path = ["properties", "linkedServiceName", "referenceName"];
    match &d.facts {
        None if d.cx.factory().has_linked_services && !adf::is_arm_template(root) => d.finding(
            "dataset-unknown-linked-service",
            ls_ref.span.clone(),
            &ref_path,
            &[
                ("dataset", d.name.clone()),
                ("linked_service", n.to_string()),
            ],
        ),
        // a legacy dataset on its V2 linked service is ADFPG061's: its fix says what to do; a V2
        // dataset on a legacy linked service this run migrates is the state the migration ends
        Some(l) if !fits(c, generation, l) => d.finding(
            "dataset-linked-service-type",
            ls_ref.span.clone(),
            &ref_path,
            &[
                ("dataset", d.name.clone()),
                ("dataset_kind", d.ty.to_string()),
                ("linked_service", n.to_string()),
                ("kind", l.kind.clone()),
            ],
        ),
        _ => None,
    }
}

/// A dataset of the old generation of a connector whose datasets change type (ADFPG061): retyped, its
/// `tableName` split, with its linked service's migration — or why not yet.
fn legacy_dataset(d: &DatasetCx, c: &Connector) -> Option<Finding> {
    let type_m = d.props.member("type")?;
    let tp = d.props.get("typeProperties");
    let decision = match (&d.facts, d.ls_name) {
        (Some(l), Some(n)) => with_linked_service(c, n, l),
        _ => Err("it names no linked service of this factory".into()),
    };
    let edits = tp.map_or(Ok(Vec::new()), |tp| split_edits(d.cx, tp));
    let new_type = c.dataset_types[1];
    let mut f = d.finding(
        "legacy-dataset",
        type_m.value.span.clone(),
        &["properties", "type"],
        &[
            ("dataset", d.name.clone()),
            ("kind", d.ty.to_string()),
            ("new", new_type.to_string()),
            ("detail", String::new()),
        ],
    )?;
    match decision.and_then(|dec| edits.map(|e| (dec, e))) {
        Ok(((safety, requires), mut edits)) => {
            edits.push(Edit::replace(type_m.value.span.clone(), json(new_type)));
            f.fix = Some(Fix {
                safety,
                title: format!(
                    "write type `{new_type}`{}{}",
                    split_title(tp),
                    with_note(safety, d.ls_name.unwrap_or_default())
                ),
                edits,
                requires,
            });
        }
        Err(why) => f.message = format!("{} and cannot be migrated yet: {why}", f.message),
    }
    Some(f)
}

/// `tableName` (ADFPG030): the 2.0 datasets still read it, V2 ones have `schema` and `table` only.
fn table_name(d: &DatasetCx, c: &Connector) -> Option<Finding> {
    let tp = d.props.get("typeProperties")?;
    let tn = tp.member("tableName")?;
    let mut f = d.finding(
        "dataset-table-name",
        tn.key_span.clone(),
        &["properties", "typeProperties", "tableName"],
        &[("dataset", d.name.clone()), ("kind", d.ty.to_string())],
    )?;
    if c.dataset_types[0] != c.dataset_types[1] {
        f.severity = Severity::Warning;
    }
    if let Ok(edits) = split_edits(d.cx, tp)
        && !edits.is_empty()
    {
        f.fix = Some(Fix {
            safety: Safety::Safe,
            title: format!(
                "write {}",
                split_title(Some(tp)).trim_start_matches(", with ")
            ),
            edits,
            requires: Vec::new(),
        });
    }
    Some(f)
}

/// Is a dataset of connector `c`'s `generation` right on linked service `ls`? A versioned connector's
/// dataset fits both versions; a legacy dataset on its V2 linked service is for ADFPG061; a V2 dataset
/// fits a legacy linked service whose migration this run writes (its write comes first).
fn fits(c: &Connector, generation: Generation, ls: &LinkedServiceFacts) -> bool {
    let kind = ls.kind.as_str();
    match generation {
        Generation::New if c.dataset_types[0] != c.dataset_types[1] => {
            kind == c.ls_types[1] || (kind == c.ls_types[0] && ls.migration.is_some())
        }
        _ => c.ls_types.contains(&kind),
    }
}

fn json(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The edits that write a literal `tableName` as `schema` and `table` (none without `tableName`), or why
/// it cannot be split.
fn split_edits(cx: &FactoryCx, tp: &Node) -> Result<Vec<Edit>, String> {
    let Some((schema, table)) = adf::table_split(tp)? else {
        return Ok(Vec::new());
    };
    let tn = tp.member("tableName").expect("split from it");
    let l = member_layout(cx.text, tn);
    let join = if l.multiline {
        format!(",{}{}", cx.layout().eol, l.lead)
    } else {
        ", ".to_string()
    };
    let mut text = String::new();
    if let Some(s) = &schema {
        text.push_str(&format!("\"schema\"{}{}{join}", l.sep, json(s)));
    }
    text.push_str(&format!("\"table\"{}{}", l.sep, json(&table)));
    Ok(vec![Edit::replace(tn.span(), text)])
}

/// `, with schema `s` and table `t`` when a literal `tableName` is split.
fn split_title(tp: Option<&Node>) -> String {
    match tp.map(adf::table_split) {
        Some(Ok(Some((Some(s), t)))) => format!(", with schema `{s}` and table `{t}`"),
        Some(Ok(Some((None, t)))) => format!(", with table `{t}`"),
        _ => String::new(),
    }
}

/// A copy or Lookup source of a connector whose source type changes (or a generic `RelationalSource`),
/// in `activity`, whose dataset decides whether it can change now.
pub(super) fn source(
    cx: &FactoryCx,
    root: &Node,
    n: &Node,
    path: &[PathStep],
    activity: Option<&Node>,
    out: &mut Vec<Finding>,
) {
    let Some(t) = n.member("type") else { return };
    let ty = t.value.as_str().unwrap_or_default();
    let retyped = connector::by_source_type(ty)
        .filter(|(c, g)| *g == Generation::Old && c.source_types[0] != c.source_types[1]);
    if retyped.is_none() && ty != RELATIONAL_SOURCE {
        return;
    }
    let at = |k: &str| -> Vec<PathStep> { path.iter().cloned().chain([key(k)]).collect() };
    let activity_name = activity
        .and_then(|a| a.str_at("name"))
        .unwrap_or("?")
        .to_string();
    let ds_name = activity.and_then(activity_dataset);
    let ds = ds_name.and_then(|d| cx.dataset_facts(root, d));
    let ls = ds
        .as_ref()
        .and_then(|d| d.linked_service.as_deref())
        .and_then(|l| Some((l, cx.linked_service_facts(root, l)?)));
    let Some((c, _)) = retyped else {
        // RelationalSource: reported when it reads a dataset on the legacy connector's linked service
        let Some((ls_name, facts)) = &ls else { return };
        if let Some(c) =
            connector::by_ls_type(&facts.kind).filter(|c| c.source_types[0] != c.source_types[1])
        {
            out.extend(cx.finding(
                "relational-on-postgresql",
                t.value.span.clone(),
                &at("type"),
                &[
                    ("what", format!("the source of activity `{activity_name}`")),
                    ("kind", RELATIONAL_SOURCE.into()),
                    ("ls", ls_name.to_string()),
                    ("ls_kind", facts.kind.clone()),
                    ("want", c.source_types[1].into()),
                ],
            ));
        }
        return;
    };
    let new_type = c.source_types[1];
    let decision = source_decision(c, ds_name, ds.as_ref(), ls.as_ref());
    let Some(mut f) = cx.finding(
        "legacy-source",
        t.value.span.clone(),
        &at("type"),
        &[
            ("activity", activity_name),
            ("kind", ty.to_string()),
            ("new", new_type.to_string()),
        ],
    ) else {
        return;
    };
    match decision {
        Ok((safety, requires)) => {
            let ls_name = ls.as_ref().map_or("", |(n, _)| n);
            f.fix = Some(Fix {
                safety,
                title: format!(
                    "write type `{new_type}` (query and queryTimeout kept){}",
                    with_note(safety, ls_name)
                ),
                edits: vec![Edit::replace(t.value.span.clone(), json(new_type))],
                requires,
            })
        }
        Err(why) => f.message = format!("{} and cannot be migrated yet: {why}", f.message),
    }
    out.push(f);
}

/// Why a retype is unsafe, in its title: it goes with its linked service's unsafe migration.
fn with_note(safety: Safety, ls: &str) -> String {
    if safety == Safety::Unsafe {
        format!(
            " (unsafe: it goes with the migration of linked service `{ls}`, which needs a person)"
        )
    } else {
        String::new()
    }
}

/// The dataset an activity reads: a Copy activity's first input, a Lookup activity's `dataset`.
fn activity_dataset(a: &Node) -> Option<&str> {
    let r = match a.str_at("type")? {
        "Copy" => a.get("inputs")?.elements()?.first()?,
        "Lookup" => a.get("typeProperties")?.get("dataset")?,
        _ => return None,
    };
    r.str_at("referenceName")
        .filter(|n| !crate::source::connstr::is_expression(n))
}

/// Can a source of connector `c` take the new type now: when its dataset does (or has), and its linked
/// service does (or has).
fn source_decision(
    c: &Connector,
    ds_name: Option<&str>,
    ds: Option<&DatasetFacts>,
    ls: Option<&(&str, LinkedServiceFacts)>,
) -> Result<(Safety, Vec<PathBuf>), String> {
    let (Some(d_name), Some(ds)) = (ds_name, ds) else {
        return Err("its activity names no dataset of this factory".into());
    };
    let Some((ls_name, ls)) = ls else {
        return Err(format!(
            "its dataset `{d_name}` names no linked service of this factory"
        ));
    };
    let (safety, mut requires) = with_linked_service(c, ls_name, ls)?;
    if ds.kind == c.dataset_types[1] {
        return Ok((safety, requires));
    }
    if ds.kind != c.dataset_types[0] {
        return Err(format!(
            "its dataset `{d_name}` is a {} dataset, not {}",
            ds.kind, c.dataset_types[0]
        ));
    }
    if let Some(why) = &ds.blocked {
        return Err(format!("its dataset `{d_name}` cannot be migrated: {why}"));
    }
    match &ds.file {
        Some(f) => {
            requires.push(f.clone());
            Ok((safety, requires))
        }
        None => Err(format!(
            "it changes type after its dataset `{d_name}`, in the fix round that follows that migration"
        )),
    }
}
