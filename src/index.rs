//! Whole-factory awareness, phase 1: an index of every linked service (any type) and every dataset by
//! name, built in parallel before the rules run, so that rules can follow references between files.
//! Only files in `linkedService/` and `dataset/` folders are read here (they are small and few).

use crate::source::adf::{self, Version};
use crate::source::document::Document;
use crate::source::json::{Kind, Node};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct LinkedServiceEntry {
    pub name: String,
    /// `properties.type`, e.g. `AzurePostgreSql`, `PostgreSqlV2`, `AzureKeyVault`.
    pub kind: String,
    /// For a PostgreSQL connector's linked service: its generation.
    pub version: Option<Version>,
    pub path: PathBuf,
    /// For an old-generation linked service whose datasets and sources change type with it: the safety
    /// of the migration `--fix` writes for it in this run (`None`: it is not migrated). Set after the
    /// index is built (`pipeline::predict_migrations`), because it takes the checks to know.
    pub migration: Option<crate::finding::Safety>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatasetEntry {
    pub name: String,
    pub kind: String,
    pub linked_service: Option<String>,
    pub path: PathBuf,
    /// For a dataset whose type changes with its linked service's: why that change is held back, if it is
    /// (a `tableName` that cannot be split).
    pub retype_blocked: Option<String>,
    /// The column types its `schema` lists, lower case, with a precision when given (`numeric(38)`): the
    /// plan's re-test list names the ones a connector maps differently.
    pub columns: Vec<String>,
}

/// The linked services and datasets of one factory (one folder holding `linkedService/`, `dataset/` …).
#[derive(Debug, Clone, Default)]
pub struct Factory {
    /// Was this factory's `linkedService/` folder indexed? Without it, "does not exist" cannot be said.
    pub has_linked_services: bool,
    pub linked_services: BTreeMap<String, Vec<LinkedServiceEntry>>,
    pub datasets: BTreeMap<String, Vec<DatasetEntry>>,
    /// What a published template is matched against (read on first use, only when several factory
    /// folders could have published it): the factory's own name and its pipelines' names.
    others: std::sync::OnceLock<OtherNames>,
}

/// The names of a factory folder that phase 1 does not read: `factory/<name>.json` (ADF's factory
/// resource, named after the factory) and the files of `pipeline/` (named after their pipelines).
#[derive(Debug, Clone, Default)]
struct OtherNames {
    factory: Vec<String>,
    pipelines: HashSet<String>,
}

/// The factory folder a published template (ARMTemplateForFactory.json, TemplateForWorkspace.json, a
/// linked template) was published from, decided by its content (see [`Index::template_home`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum TemplateHome {
    Root(PathBuf),
    /// Several folders match it equally: nothing is read from any of them.
    Ambiguous(Vec<PathBuf>),
    /// No factory folder was scanned.
    #[default]
    None,
}

impl Factory {
    pub fn linked_service(&self, name: &str) -> Option<&LinkedServiceEntry> {
        self.linked_services.get(name).and_then(|v| v.first())
    }

    pub fn dataset(&self, name: &str) -> Option<&DatasetEntry> {
        self.datasets.get(name).and_then(|v| v.first())
    }

    /// Is `name` a linked service of one of the connectors?
    pub fn has_old_generation_of(&self, c: &crate::connector::Connector) -> bool {
        self.linked_services
            .values()
            .flatten()
            .any(|l| l.version == Some(Version::V1) && c.ls_types.contains(&l.kind.as_str()))
    }

    pub fn is_pg_linked_service(&self, name: &str) -> bool {
        self.linked_service(name)
            .is_some_and(|l| crate::connector::by_ls_type(&l.kind).is_some())
    }
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Factory root folder → its resources. A repository may hold several factories.
    pub factories: BTreeMap<PathBuf, Factory>,
    /// Names of PostgreSQL linked services (every connector) and of datasets on them, in any factory: a
    /// pipeline or data flow that mentions none of them cannot depend on a connector.
    pub pg_names: Vec<String>,
    /// Does any published template (ARMTemplateForFactory.json, TemplateForWorkspace.json) hold a
    /// PostgreSQL linked service?
    pub pg_in_templates: bool,
    /// The connectors (ids) whose type names the published templates hold.
    pub template_connectors: Vec<&'static str>,
    /// A factory holds a linked service of a connector whose datasets and sources change type with it
    /// (`PostgreSql`, `PostgreSqlV2`): its datasets were read whole, and the files naming them matter.
    pub retyped: bool,
    finder: Option<aho_corasick::AhoCorasick>,
    /// The factory folders scoring best for a template's facts, by those facts: identical templates
    /// (copies of one factory in a monorepo) are scored against every folder once, not once each.
    best_scored: std::sync::Arc<std::sync::Mutex<HashMap<TemplateFacts, Vec<PathBuf>>>>,
}

/// A file's name in lower case (empty when it has none or it is not UTF-8).
pub fn lower_file_name(path: &Path) -> String {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// A published template: ADF's `ARMTemplateForFactory.json` or Synapse's `TemplateForWorkspace.json`.
pub fn is_published_template(path: &Path) -> bool {
    matches!(
        lower_file_name(path).as_str(),
        "armtemplateforfactory.json" | "templateforworkspace.json"
    )
}

/// ADF / Synapse git folder that holds a kind of resource, if `path` sits directly in one.
pub fn folder_kind(path: &Path) -> Option<&'static str> {
    let dir = path.parent()?.file_name()?.to_str()?;
    [
        "linkedService",
        "dataset",
        "pipeline",
        "dataflow",
        "trigger",
        "integrationRuntime",
        "credential",
    ]
    .into_iter()
    .find(|k| k.eq_ignore_ascii_case(dir))
}

/// The factory folder a resource file belongs to (the parent of its `linkedService/` … folder).
pub fn factory_root(path: &Path) -> Option<PathBuf> {
    folder_kind(path)?;
    Some(absolute(path.parent()?.parent()?))
}

/// The working folder, asked once.
fn cwd() -> Option<&'static PathBuf> {
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    CWD.get_or_init(|| std::env::current_dir().ok()).as_ref()
}

/// `path` made absolute lexically, the working folder asked once: this runs several times for every file.
pub fn absolute(path: &Path) -> PathBuf {
    let joined;
    let path = match cwd() {
        Some(cwd) if path.is_relative() => {
            joined = cwd.join(path);
            joined.as_path()
        }
        _ => path,
    };
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// A factory folder as messages show it: relative to the working folder when it is below it.
pub fn shown_root(root: &Path) -> String {
    match cwd().and_then(|c| root.strip_prefix(c).ok()) {
        Some(rel) if rel.as_os_str().is_empty() => ".".into(),
        Some(rel) => crate::text::display_path(rel),
        None => crate::text::display_path(root),
    }
}

static EMPTY: std::sync::OnceLock<Factory> = std::sync::OnceLock::new();

impl Index {
    /// The factory a file belongs to (an empty one for files outside the git layout).
    pub fn factory_of(&self, path: &Path) -> &Factory {
        factory_root(path)
            .and_then(|r| self.factories.get(&r))
            .unwrap_or_else(|| EMPTY.get_or_init(Factory::default))
    }

    /// The factory folder a published template was published from, decided by what it holds (ADF's
    /// publish writes templates wherever the publish branch keeps them: beside the factory folders, in
    /// `publish/` or `ARM/`, or at the top of a repository holding several workspaces). In order: the
    /// folder whose factory carries the template's `factoryName` (`factory/<name>.json`); then the one
    /// sharing most linked-service, dataset and pipeline names with it; then, only to break a tie, the
    /// folder the template sits in, else the nearest. Still tied: ambiguous, and nothing is read. With
    /// no factory folder among the scanned paths, the nearest one above the template.
    pub fn template_home(&self, template: &Path, root: &Node) -> TemplateHome {
        // each factory with its names, looked up once (not once per name compared)
        let all: Vec<(&PathBuf, &Factory)> = self.factories.iter().collect();
        match all.as_slice() {
            [] => return nearest_factory_above(template),
            [(one, _)] => return TemplateHome::Root((*one).clone()),
            _ => {}
        }
        let facts = TemplateFacts::of(root);
        let named: Vec<(&PathBuf, &Factory)> = match &facts.factory {
            Some(name) => all
                .iter()
                .copied()
                .filter(|&rf| {
                    others(rf)
                        .factory
                        .iter()
                        .any(|f| f.eq_ignore_ascii_case(name))
                })
                .collect(),
            None => Vec::new(),
        };
        let cached = self
            .best_scored
            .lock()
            .expect("not poisoned")
            .get(&facts)
            .cloned();
        let winners: Vec<(&PathBuf, &Factory)> = match cached {
            Some(roots) => roots
                .iter()
                .filter_map(|r| self.factories.get_key_value(r))
                .collect(),
            None => {
                let winners = self.best_scored_for(&facts, all, named);
                let roots = winners.iter().map(|(r, _)| (*r).clone()).collect();
                self.best_scored
                    .lock()
                    .expect("not poisoned")
                    .insert(facts, roots);
                winners
            }
        };
        let dir = absolute(template.parent().unwrap_or(Path::new(".")));
        let proximity = |(r, _): (&PathBuf, &Factory)| {
            let common = r
                .components()
                .zip(dir.components())
                .take_while(|(a, b)| a == b)
                .count();
            (dir.starts_with(r), common)
        };
        let winners = best_by(winners, proximity);
        match winners.as_slice() {
            [(one, _)] => TemplateHome::Root((*one).clone()),
            many => TemplateHome::Ambiguous(many.iter().map(|(r, _)| (*r).clone()).collect()),
        }
    }

    /// The factory folders sharing most names with a template (among those named like its factory).
    fn best_scored_for<'f>(
        &self,
        facts: &TemplateFacts,
        all: Vec<(&'f PathBuf, &'f Factory)>,
        named: Vec<(&'f PathBuf, &'f Factory)>,
    ) -> Vec<(&'f PathBuf, &'f Factory)> {
        let pool = if named.is_empty() { all } else { named };
        let score = |rf: (&PathBuf, &Factory)| {
            let (f, o) = (rf.1, others(rf));
            let ls = facts
                .linked_services
                .iter()
                .filter(|n| f.linked_services.contains_key(*n));
            let ds = facts
                .datasets
                .iter()
                .filter(|n| f.datasets.contains_key(*n));
            let pl = facts.pipelines.iter().filter(|n| o.pipelines.contains(*n));
            ls.count() + ds.count() + pl.count()
        };
        best_by(pool, score)
    }

    /// Does the text mention a PostgreSQL linked service or dataset by name?
    pub fn mentions_pg_name(&self, bytes: &[u8]) -> bool {
        self.finder.as_ref().is_some_and(|f| f.is_match(bytes))
    }

    /// Does any factory, or any published template, hold a linked service of connector `c`?
    pub fn has_connector(&self, c: &crate::connector::Connector) -> bool {
        self.template_connectors.contains(&c.id)
            || self.factories.values().any(|f| {
                f.linked_services
                    .values()
                    .flatten()
                    .any(|l| c.ls_types.contains(&l.kind.as_str()))
            })
    }

    /// A folder phase 1 need not enter: the ADF/Synapse folders of resources that are not indexed.
    pub fn holds_nothing_indexed(name: &std::ffi::OsStr) -> bool {
        let name = name.to_string_lossy();
        [
            "pipeline",
            "dataflow",
            "trigger",
            "integrationRuntime",
            "credential",
            "managedVirtualNetwork",
            "notebook",
            "sqlscript",
        ]
        .iter()
        .any(|k| k.eq_ignore_ascii_case(&name))
    }

    /// Does phase 1 read this file? Linked services, datasets and published templates.
    pub fn wants(path: &Path) -> bool {
        matches!(folder_kind(path), Some("linkedService" | "dataset"))
            || is_published_template(path)
    }

    /// Index every linked service and dataset among `files` (all of them read: what the plan needs).
    pub fn build(files: &[PathBuf]) -> Index {
        Index::build_with(files, true)
    }

    /// With `read_datasets` false, datasets are known by their file names only (ADF names each file after
    /// its resource), which is all the rules need while no linked service is of the legacy generation of
    /// a connector whose datasets and sources change type (`PostgreSql`): a lint reads no dataset twice.
    /// With one, the datasets are read, so that each dataset and copy source knows its linked service.
    pub fn build_with(files: &[PathBuf], read_datasets: bool) -> Index {
        let of_kind = |kind: &'static str| {
            files
                .par_iter()
                .filter(move |p| folder_kind(p) == Some(kind))
        };
        let mut entries: Vec<(PathBuf, Entry)> = of_kind("linkedService")
            .filter_map(|p| Some((factory_root(p)?, index_file(p, read_datasets)?)))
            .collect();
        let retyped = entries.iter().any(|(_, e)| {
            matches!(e, Entry::Ls(l) if crate::connector::by_ls_type(&l.kind)
                .is_some_and(|c| c.dataset_types[0] != c.dataset_types[1]))
        });
        entries
            .par_extend(of_kind("dataset").filter_map(|p| {
                Some((factory_root(p)?, index_file(p, read_datasets || retyped)?))
            }));
        let mut index = Index {
            retyped,
            ..Index::default()
        };
        for (root, e) in entries {
            let f = index.factories.entry(root).or_default();
            match e {
                Entry::Ls(l) => {
                    f.has_linked_services = true;
                    f.linked_services
                        .entry(l.name.clone())
                        .or_insert_with(one)
                        .push(l);
                }
                Entry::Ds(d) => f.datasets.entry(d.name.clone()).or_insert_with(one).push(d),
            }
        }
        let mut names: HashSet<String> = HashSet::new();
        for f in index.factories.values() {
            for (n, v) in &f.linked_services {
                if v.iter().any(|l| l.version.is_some()) {
                    names.insert(n.clone());
                }
            }
        }
        for f in index.factories.values() {
            for (n, v) in &f.datasets {
                let on_pg = |d: &DatasetEntry| {
                    d.linked_service
                        .as_deref()
                        .is_some_and(|l| names.contains(l))
                };
                if v.iter()
                    .any(|d| on_pg(d) || crate::connector::by_dataset_type(&d.kind).is_some())
                {
                    names.insert(n.clone());
                }
            }
        }
        let mut pg_names: Vec<String> = names.into_iter().collect();
        pg_names.sort();
        // quoted, as references write them: fewer false hits on short names
        let needles: Vec<String> = pg_names.iter().map(|n| format!("\"{n}\"")).collect();
        index.finder = (!needles.is_empty())
            .then(|| aho_corasick::AhoCorasick::new(&needles).expect("names build"));
        index.pg_names = pg_names;
        let in_templates: Vec<Vec<&'static str>> = files
            .par_iter()
            .filter(|p| is_published_template(p))
            .filter_map(|p| crate::source::read::read(p, crate::source::read::Links::Follow).ok())
            .map(|b| {
                crate::connector::ALL
                    .iter()
                    .filter(|c| {
                        c.ls_types.iter().any(|t| {
                            memchr::memmem::find(&b, format!("\"{t}\"").as_bytes()).is_some()
                        })
                    })
                    .map(|c| c.id)
                    .collect()
            })
            .collect();
        let mut ids: Vec<&'static str> = in_templates.into_iter().flatten().collect();
        ids.sort_unstable();
        ids.dedup();
        index.pg_in_templates = !ids.is_empty();
        index.template_connectors = ids;
        index
    }

    /// Files to index for explicit file arguments (as pre-commit passes them): the sibling
    /// `linkedService/` and `dataset/` folders of each file's factory root.
    pub fn related_files(paths: &[PathBuf]) -> Vec<PathBuf> {
        Index::sibling_files(paths.iter().filter(|p| p.is_file()))
    }

    /// The sibling `linkedService/` and `dataset/` files of resource files, which need not exist (the
    /// file standard input stands for may not be saved yet).
    pub fn sibling_files<'a>(files: impl Iterator<Item = &'a PathBuf>) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = files
            .filter_map(|p| {
                folder_kind(p).and_then(|_| p.parent()?.parent().map(Path::to_path_buf))
            })
            .collect();
        roots.sort();
        roots.dedup();
        let mut out = Vec::new();
        for root in roots {
            for sub in ["linkedService", "dataset"] {
                if let Ok(rd) = std::fs::read_dir(root.join(sub)) {
                    out.extend(rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| {
                        p.extension()
                            .is_some_and(|x| x.eq_ignore_ascii_case("json"))
                            // found by name: a regular file, not a link (as the walk sees them)
                            && std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file())
                    }));
                }
            }
        }
        out
    }
}

/// With no factory folder scanned (a run on the publish folder alone): the nearest folder above the
/// template that holds `linkedService/`, two levels up at most and not past the repository's top.
fn nearest_factory_above(template: &Path) -> TemplateHome {
    let dir = absolute(template.parent().unwrap_or(Path::new(".")));
    for d in dir.ancestors().take(3) {
        if std::fs::symlink_metadata(d.join("linkedService")).is_ok_and(|m| m.is_dir()) {
            return TemplateHome::Root(d.to_path_buf());
        }
        if d.join(".git").exists() {
            break;
        }
    }
    TemplateHome::None
}

/// The items with the highest `key`.
fn best_by<T: Copy, K: Ord>(items: Vec<T>, key: impl Fn(T) -> K) -> Vec<T> {
    let keys: Vec<K> = items.iter().map(|&i| key(i)).collect();
    let Some(best) = keys.iter().max() else {
        return Vec::new();
    };
    items
        .iter()
        .zip(&keys)
        .filter(|(_, k)| *k == best)
        .map(|(i, _)| *i)
        .collect()
}

/// A factory folder's names that phase 1 does not read, read on first use.
fn others<'f>((r, f): (&PathBuf, &'f Factory)) -> &'f OtherNames {
    f.others.get_or_init(|| OtherNames::read(r))
}

/// What a published template says about the factory it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct TemplateFacts {
    /// The `factoryName` (or Synapse `workspaceName`) parameter's default.
    factory: Option<String>,
    linked_services: Vec<String>,
    datasets: Vec<String>,
    pipelines: Vec<String>,
}

impl TemplateFacts {
    fn of(root: &Node) -> TemplateFacts {
        let names = |suffix| {
            adf::arm_resources(root, suffix)
                .filter_map(|(_, r)| r.str_at("name"))
                .map(|n| adf::arm_resource_name(n).to_string())
                .collect()
        };
        let params = root.get("parameters");
        let factory = ["factoryName", "workspaceName"].into_iter().find_map(|p| {
            let v = params?.get(p)?.str_at("defaultValue")?;
            Some(v.to_string()).filter(|v| !v.is_empty())
        });
        TemplateFacts {
            factory,
            linked_services: names("/linkedservices"),
            datasets: names("/datasets"),
            pipelines: names("/pipelines"),
        }
    }
}

impl OtherNames {
    /// `factory/*.json`'s resource names and `pipeline/*.json`'s file names: small reads, never through
    /// a link, bounded.
    fn read(root: &Path) -> OtherNames {
        let jsons = |sub: &str| -> Vec<PathBuf> {
            let Ok(rd) = std::fs::read_dir(root.join(sub)) else {
                return Vec::new();
            };
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("json"))
                })
                .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
                .take(100_000)
                .collect()
        };
        let factory = jsons("factory")
            .iter()
            .take(16)
            .filter_map(|p| {
                let mut bytes = Vec::new();
                crate::source::read::read_into(
                    p,
                    1 << 20,
                    crate::source::read::Links::Refuse,
                    &mut bytes,
                )
                .ok()?;
                let root = Document::decode(bytes).ok()?.parse().ok()?;
                Some(root.str_at("name")?.to_string())
            })
            .collect();
        let pipelines = jsons("pipeline")
            .iter()
            .filter_map(|p| Some(p.file_stem()?.to_str()?.to_string()))
            .collect();
        OtherNames { factory, pipelines }
    }
}

enum Entry {
    Ls(LinkedServiceEntry),
    Ds(DatasetEntry),
}

/// Room for one entry: a name is almost always unique, and a pushed-to empty vector reserves four.
fn one<T>() -> Vec<T> {
    Vec::with_capacity(1)
}

fn index_file(path: &Path, read_datasets: bool) -> Option<Entry> {
    if !read_datasets && folder_kind(path) == Some("dataset") {
        return Some(Entry::Ds(DatasetEntry {
            name: path.file_stem()?.to_str()?.to_string(),
            kind: String::new(),
            linked_service: None,
            path: path.to_path_buf(),
            retype_blocked: None,
            columns: Vec::new(),
        }));
    }
    let mut bytes = Vec::new();
    crate::source::read::read_into(
        path,
        8 * 1024 * 1024,
        crate::source::read::Links::Follow,
        &mut bytes,
    )
    .ok()?;
    if folder_kind(path) == Some("dataset")
        && memchr::memmem::find(&bytes, crate::connector::NEEDLE).is_none()
        && memchr::memmem::find(&bytes, crate::connector::RELATIONAL_TABLE.as_bytes()).is_none()
    {
        // a dataset of another type: only its name matters (duplicates), and ADF names the file after it
        // (a generic `RelationalTable` is read: on a legacy PostgreSql linked service it is reported)
        return Some(Entry::Ds(DatasetEntry {
            name: path.file_stem()?.to_str()?.to_string(),
            kind: String::new(),
            linked_service: None,
            path: path.to_path_buf(),
            retype_blocked: None,
            columns: Vec::new(),
        }));
    }
    let doc = Document::decode(bytes).ok()?;
    let root = doc.parse().ok()?;
    let name = root.str_at("name")?.to_string();
    let props = root.get("properties")?;
    let kind = props.str_at("type").unwrap_or_default().to_string();
    match folder_kind(path)? {
        "linkedService" => {
            let version = adf::linked_services(&root).first().map(|l| l.version());
            Some(Entry::Ls(LinkedServiceEntry {
                name,
                kind,
                version,
                path: path.to_path_buf(),
                migration: None,
            }))
        }
        _ => Some(Entry::Ds(DatasetEntry {
            columns: columns(props),
            retype_blocked: crate::connector::by_dataset_type(&kind)
                .filter(|(c, _)| c.dataset_types[0] == kind && c.dataset_types[1] != kind)
                .and_then(|_| adf::table_split(props.get("typeProperties")?).err()),
            name,
            kind,
            linked_service: props
                .get("linkedServiceName")
                .and_then(|l| l.str_at("referenceName"))
                .map(str::to_string),
            path: path.to_path_buf(),
        })),
    }
}

/// The column types of a dataset's `schema` (`[{"name": …, "type": "numeric", "precision": 38}, …]`).
fn columns(props: &Node) -> Vec<String> {
    props
        .get("schema")
        .and_then(Node::elements)
        .unwrap_or_default()
        .iter()
        .filter_map(|c| {
            let t = c.str_at("type")?.to_ascii_lowercase();
            Some(match c.get("precision").map(|p| &p.kind) {
                Some(Kind::Number(n)) => format!("{t}({n})"),
                _ => t,
            })
        })
        .take(10_000)
        .collect()
}

/// The query of every Copy or Lookup source of a pipeline, with its activity's name.
pub fn activity_queries(root: &Node) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_queries(root, &mut out);
    out
}

fn collect_queries(n: &Node, out: &mut Vec<(String, String)>) {
    match &n.kind {
        Kind::Object(members) => {
            if let (Some(name), Some(q)) = (
                n.str_at("name"),
                n.get("typeProperties")
                    .and_then(|t| t.get("source"))
                    .and_then(|s| s.get("query")),
            ) {
                let text = q.as_str().or_else(|| q.str_at("value"));
                if let Some(t) = text {
                    out.push((name.to_string(), t.to_string()));
                }
            }
            members.iter().for_each(|m| collect_queries(&m.value, out));
        }
        Kind::Array(items) => items.iter().for_each(|i| collect_queries(i, out)),
        _ => {}
    }
}

/// A reference from a pipeline or data flow to a linked service or dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// `LinkedServiceReference` or `DatasetReference`.
    pub kind: RefKind,
    pub name: String,
    /// The enclosing activity (pipelines) or source/sink (data flows), if named.
    pub user: Option<String>,
    pub span: std::ops::Range<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    LinkedService,
    Dataset,
}

/// Every `{"referenceName": …, "type": "LinkedServiceReference" | "DatasetReference"}` in a document,
/// with the name of the activity (or data-flow source/sink) it sits in.
pub fn references(root: &Node) -> Vec<Reference> {
    let mut out = Vec::new();
    collect_refs(root, None, &mut out);
    out
}

fn collect_refs(n: &Node, user: Option<&str>, out: &mut Vec<Reference>) {
    match &n.kind {
        Kind::Object(members) => {
            if let (Some(name), Some(t)) = (n.get("referenceName"), n.str_at("type")) {
                let kind = match t {
                    "LinkedServiceReference" => Some(RefKind::LinkedService),
                    "DatasetReference" => Some(RefKind::Dataset),
                    _ => None,
                };
                if let (Some(kind), Some(s)) = (kind, name.as_str()) {
                    out.push(Reference {
                        kind,
                        name: s.to_string(),
                        user: user.map(str::to_string),
                        span: name.span.clone(),
                    });
                }
            }
            // an object with a name and a type (or typeProperties) names an activity / source / sink
            let here = match (
                n.str_at("name"),
                n.get("type").is_some()
                    || n.get("typeProperties").is_some()
                    || n.get("linkedService").is_some()
                    || n.get("dataset").is_some(),
            ) {
                (Some(name), true) => Some(name),
                _ => user,
            };
            for m in members {
                collect_refs(&m.value, here, out);
            }
        }
        Kind::Array(items) => items.iter().for_each(|i| collect_refs(i, user, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_their_activity() {
        let t = r#"{"name":"p","properties":{"activities":[{"name":"Run script","type":"Script","linkedServiceName":{"referenceName":"pg","type":"LinkedServiceReference"}},{"name":"Copy","type":"Copy","inputs":[{"referenceName":"ds","type":"DatasetReference"}]}]}}"#;
        let r = references(&crate::source::json::parse(t).unwrap());
        assert_eq!(r.len(), 2);
        assert_eq!(
            (r[0].kind, r[0].name.as_str(), r[0].user.as_deref()),
            (RefKind::LinkedService, "pg", Some("Run script"))
        );
        assert_eq!(
            (r[1].kind, r[1].name.as_str(), r[1].user.as_deref()),
            (RefKind::Dataset, "ds", Some("Copy"))
        );
        assert_eq!(
            folder_kind(Path::new("a/pipeline/x.json")),
            Some("pipeline")
        );
        assert_eq!(
            folder_kind(Path::new("a/linkedservice/x.json")),
            Some("linkedService")
        );
    }

    /// The factory folder is absolute and free of `.` parts, whether the path was given relative or
    /// absolute, so both spellings of one factory are one factory; a file outside the layout has none.
    #[test]
    fn factory_root_is_absolute_and_lexical() {
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            factory_root(Path::new("./f/./linkedService/a.json")),
            Some(cwd.join("f"))
        );
        assert_eq!(
            factory_root(Path::new("/x/f/dataset/a.json")),
            Some(PathBuf::from("/x/f"))
        );
        assert_eq!(
            factory_root(Path::new("linkedService/a.json")),
            Some(cwd.clone())
        );
        assert_eq!(factory_root(Path::new("f/other/a.json")), None);
    }
}
