//! Whole-factory awareness, phase 1: an index of every linked service (any type) and every dataset by
//! name, built in parallel before the rules run, so that rules can follow references between files.
//! Only files in `linkedService/` and `dataset/` folders are read here (they are small and few).

use crate::source::adf::{self, Version};
use crate::source::document::Document;
use crate::source::json::{Kind, Node};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq)]
pub struct LinkedServiceEntry {
    pub name: String,
    /// `properties.type`, e.g. `AzurePostgreSql`, `AzureKeyVault`.
    pub kind: String,
    /// For AzurePostgreSql: the connector version.
    pub version: Option<Version>,
    pub path: PathBuf,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatasetEntry {
    pub name: String,
    pub kind: String,
    pub linked_service: Option<String>,
    pub path: PathBuf,
}

/// The linked services and datasets of one factory (one folder holding `linkedService/`, `dataset/` …).
#[derive(Debug, Clone, Default)]
pub struct Factory {
    /// Was this factory's `linkedService/` folder indexed? Without it, "does not exist" cannot be said.
    pub has_linked_services: bool,
    pub linked_services: BTreeMap<String, Vec<LinkedServiceEntry>>,
    pub datasets: BTreeMap<String, Vec<DatasetEntry>>,
}

impl Factory {
    pub fn linked_service(&self, name: &str) -> Option<&LinkedServiceEntry> {
        self.linked_services.get(name).and_then(|v| v.first())
    }

    pub fn dataset(&self, name: &str) -> Option<&DatasetEntry> {
        self.datasets.get(name).and_then(|v| v.first())
    }

    pub fn is_pg_linked_service(&self, name: &str) -> bool {
        self.linked_service(name)
            .is_some_and(|l| l.kind == adf::LS_TYPE)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Factory root folder → its resources. A repository may hold several factories.
    pub factories: BTreeMap<PathBuf, Factory>,
    /// Names of AzurePostgreSql linked services and of datasets on them, in any factory: a pipeline or
    /// data flow that mentions none of them cannot depend on the connector.
    pub pg_names: Vec<String>,
    /// Does any published template (ARMTemplateForFactory.json, TemplateForWorkspace.json) hold an
    /// AzurePostgreSql linked service?
    pub pg_in_templates: bool,
    finder: Option<aho_corasick::AhoCorasick>,
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
    let root = path.parent()?.parent()?;
    // lexical, and the working folder asked once: this runs several times for every file
    static CWD: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    let joined;
    let root = match CWD.get_or_init(|| std::env::current_dir().ok()) {
        Some(cwd) if root.is_relative() => {
            joined = cwd.join(root);
            joined.as_path()
        }
        _ => root,
    };
    Some(std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf()))
}

static EMPTY: std::sync::OnceLock<Factory> = std::sync::OnceLock::new();

impl Index {
    /// The factory a file belongs to (an empty one for files outside the git layout).
    pub fn factory_of(&self, path: &Path) -> &Factory {
        factory_root(path)
            .and_then(|r| self.factories.get(&r))
            .unwrap_or_else(|| EMPTY.get_or_init(Factory::default))
    }

    /// Does the text mention a PostgreSQL linked service or dataset by name?
    pub fn mentions_pg_name(&self, bytes: &[u8]) -> bool {
        self.finder.as_ref().is_some_and(|f| f.is_match(bytes))
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
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        matches!(folder_kind(path), Some("linkedService" | "dataset"))
            || name == "armtemplateforfactory.json"
            || name == "templateforworkspace.json"
    }

    /// Index every linked service and dataset among `files` (all of them read: what the plan needs).
    pub fn build(files: &[PathBuf]) -> Index {
        Index::build_with(files, true)
    }

    /// With `read_datasets` false, datasets are known by their file names only (ADF names each file after
    /// its resource), which is all the rules need: a lint reads no dataset twice.
    pub fn build_with(files: &[PathBuf], read_datasets: bool) -> Index {
        let entries: Vec<(PathBuf, Entry)> = files
            .par_iter()
            .filter(|p| matches!(folder_kind(p), Some("linkedService" | "dataset")))
            .filter_map(|p| Some((factory_root(p)?, index_file(p, read_datasets)?)))
            .collect();
        let mut index = Index::default();
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
                if v.iter().any(|l| l.kind == adf::LS_TYPE) {
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
                    .any(|d| on_pg(d) || d.kind == "AzurePostgreSqlTable")
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
        index.pg_in_templates = files.par_iter().any(|p| {
            let name = p
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            (name == "armtemplateforfactory.json" || name == "templateforworkspace.json")
                && crate::source::read::read(p, crate::source::read::Links::Follow)
                    .is_ok_and(|b| memchr::memmem::find(&b, b"\"AzurePostgreSql\"").is_some())
        });
        index
    }

    /// Files to index for explicit file arguments (as pre-commit passes them): the sibling
    /// `linkedService/` and `dataset/` folders of each file's factory root.
    pub fn related_files(paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = paths
            .iter()
            .filter(|p| p.is_file())
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
        && memchr::memmem::find(&bytes, b"AzurePostgreS").is_none()
    {
        // a dataset of another type: only its name matters (duplicates), and ADF names the file after it
        return Some(Entry::Ds(DatasetEntry {
            name: path.file_stem()?.to_str()?.to_string(),
            kind: String::new(),
            linked_service: None,
            path: path.to_path_buf(),
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
            }))
        }
        _ => Some(Entry::Ds(DatasetEntry {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
