//! `adfpg-migrate plan`: per linked service, what `--fix` will do, what it cannot do and why, the ARM
//! parameter renames migration implies (and every file that still names an old parameter), what uses the
//! linked service, and what a reviewer should re-test after the move to 2.0.

use crate::finding::Safety;
use crate::index::{DatasetEntry, Factory, Index, RefKind, TemplateHome};
use crate::pipeline::FileOutcome;
use crate::source::adf::Version;
use crate::text::display_path;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

pub const PLAN_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Plan {
    pub version: u32,
    /// The command whose changes `will_do` lists: `--fix`, or `--fix --unsafe-fixes`.
    pub fix_command: &'static str,
    pub linked_services: Vec<LinkedServicePlan>,
    /// Files that still name an ARM parameter that migration renames.
    pub stale_parameter_references: Vec<StaleReference>,
}

#[derive(Debug, Serialize)]
pub struct LinkedServicePlan {
    pub name: String,
    /// Its connector: `AzurePostgreSql` or `PostgreSql`.
    pub connector: &'static str,
    pub path: String,
    /// The generation: "1.0", "2.0" (AzurePostgreSql), "legacy", "V2" (PostgreSql), or "unknown".
    pub version: &'static str,
    /// Exactly the fixes `fix_command` (with the same rule options) applies, follow-up rounds included.
    pub will_do: Vec<Step>,
    /// Unsafe fixes left out because `--unsafe-fixes` was not given.
    pub needs_unsafe_fixes: Vec<Step>,
    /// Display-only fixes (raising sslMode): shown, applied only when the rule is selected by name.
    pub suggestions: Vec<Step>,
    pub cannot_do: Vec<Step>,
    pub arm_templates: Vec<ArmUse>,
    pub datasets: Vec<String>,
    pub used_by: Vec<Usage>,
    pub retest: Vec<Retest>,
}

#[derive(Debug, Serialize)]
pub struct Step {
    pub code: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct ArmUse {
    pub path: String,
    pub version: &'static str,
    /// `<ls>_connectionString` → the parameters the fix of this template creates (none when the plan's
    /// fix command does not migrate it).
    pub renames: Vec<Rename>,
    /// The template's own copy of the linked service: what the fix command does to it, what it leaves
    /// for `--unsafe-fixes`, and what it cannot do.
    pub will_do: Vec<Step>,
    pub needs_unsafe_fixes: Vec<Step>,
    pub cannot_do: Vec<Step>,
}

#[derive(Debug, Serialize, Clone)]
pub struct Rename {
    pub old: String,
    pub new: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Usage {
    pub path: String,
    /// `pipeline` or `dataflow`.
    pub kind: String,
    pub resource: String,
    /// The activity (or data-flow source/sink) that uses it.
    pub activity: Option<String>,
    /// The dataset it goes through, when not direct.
    pub via_dataset: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Retest {
    pub what: String,
    /// `documented` (Microsoft docs or Studio's observed behaviour) or `inference` (ours).
    pub basis: &'static str,
}

#[derive(Debug, Serialize)]
pub struct StaleReference {
    pub path: String,
    pub line: usize,
    pub parameter: String,
}

/// The plan of a dry `--fix` run: `outcomes` carry the changes it would make (`unsafe_fixes`: whether
/// it had `--unsafe-fixes`).
pub fn build(
    outcomes: &[FileOutcome],
    index: &Index,
    roots: &[PathBuf],
    unsafe_fixes: bool,
) -> Plan {
    let look = Lookup::new(outcomes, index);
    let mut plans = Vec::new();
    let mut renames_all: Vec<Rename> = Vec::new();
    for (i, o) in outcomes.iter().enumerate().filter(|(_, o)| !o.arm_template) {
        let root = look.root[i];
        for seen in &o.linked_services {
            // a template's copy belongs to the file of its home folder, never to a same-named linked
            // service of another factory
            let arm = match root {
                Some(_) => arm_uses(&look, root, &seen.name, |_| true),
                None => Vec::new(),
            };
            renames_all.extend(arm.iter().flat_map(|a| a.renames.iter().cloned()));
            plans.push(plan_one(&look, i, seen, arm));
        }
    }
    // linked services known only from ARM templates (their home folder has no file of that name, or
    // which folder is their home is not known)
    let without_file =
        |t: usize, name: &str| look.home[t].is_none_or(|r| !look.files.contains(&(Some(r), name)));
    let mut arm_only: BTreeMap<(Option<usize>, &str), ()> = BTreeMap::new();
    for (i, o) in outcomes.iter().enumerate().filter(|(_, o)| o.arm_template) {
        for seen in &o.linked_services {
            let name = seen.name.as_str();
            let home = look.home[i];
            if without_file(i, name) && arm_only.insert((home, name), ()).is_none() {
                let arm = arm_uses(&look, home, name, |t| without_file(t, name));
                renames_all.extend(arm.iter().flat_map(|a| a.renames.iter().cloned()));
                plans.push(plan_one(&look, i, seen, arm));
            }
        }
    }
    renames_all.sort_by(|a, b| a.old.cmp(&b.old));
    renames_all.dedup_by(|a, b| a.old == b.old);
    Plan {
        version: PLAN_SCHEMA_VERSION,
        fix_command: if unsafe_fixes {
            "--fix --unsafe-fixes"
        } else {
            "--fix"
        },
        linked_services: plans,
        stale_parameter_references: stale_references(roots, &renames_all),
    }
}

/// A reference's factory folder, kind and the name it references.
type RefKey<'a> = (Option<usize>, RefKind, &'a str);

/// What the plan looks up for each linked service, gathered in one pass over the outcomes and the index
/// (so that a repository of many factories costs in proportion to its size): factory folders as small
/// numbers, each outcome's folder and each template's home folder, the linked-service files by (folder,
/// name), the templates holding a linked service by (home, name), the references of pipelines and data
/// flows by (folder, kind, name referenced), and the datasets by (folder, linked service).
struct Lookup<'a> {
    outcomes: &'a [FileOutcome],
    /// The factory folder of each outcome (None: not in one; outcomes outside folders share that).
    root: Vec<Option<usize>>,
    /// The home folder of each template outcome (None for other files, and where it is unknown).
    home: Vec<Option<usize>>,
    files: std::collections::HashSet<(Option<usize>, &'a str)>,
    templates: HashMap<(Option<usize>, &'a str), Vec<usize>>,
    /// (outcome, reference) pairs, in outcome then reference order.
    references: HashMap<RefKey<'a>, Vec<(usize, usize)>>,
    datasets: HashMap<(Option<usize>, &'a str), Vec<&'a DatasetEntry>>,
}

impl<'a> Lookup<'a> {
    fn new(outcomes: &'a [FileOutcome], index: &'a Index) -> Self {
        let mut folders: HashMap<PathBuf, usize> = HashMap::new();
        let mut id = |p: Option<PathBuf>| {
            let n = folders.len();
            p.map(|p| *folders.entry(p).or_insert(n))
        };
        let root: Vec<Option<usize>> = outcomes
            .iter()
            .map(|o| id(crate::index::factory_root(&o.path)))
            .collect();
        let home: Vec<Option<usize>> = outcomes
            .iter()
            .map(|o| match &o.template_home {
                TemplateHome::Root(r) if o.arm_template => id(Some(r.clone())),
                _ => None,
            })
            .collect();
        let datasets_of: Vec<(Option<usize>, &Factory)> = index
            .factories
            .iter()
            .map(|(r, f)| (id(Some(r.clone())), f))
            .collect();
        let mut look = Lookup {
            outcomes,
            root,
            home,
            files: Default::default(),
            templates: HashMap::new(),
            references: HashMap::new(),
            datasets: HashMap::new(),
        };
        for (i, o) in outcomes.iter().enumerate() {
            for l in &o.linked_services {
                if o.arm_template {
                    let key = (look.home[i], l.name.as_str());
                    look.templates.entry(key).or_default().push(i);
                } else if look.root[i].is_some() {
                    look.files.insert((look.root[i], l.name.as_str()));
                }
            }
            for (j, r) in o.references.iter().enumerate() {
                let key = (look.root[i], r.kind, r.name.as_str());
                look.references.entry(key).or_default().push((i, j));
            }
        }
        for (r, f) in datasets_of {
            for d in f.datasets.values().flatten() {
                if let Some(ls) = &d.linked_service {
                    look.datasets.entry((r, ls.as_str())).or_default().push(d);
                }
            }
        }
        look
    }

    fn datasets(&self, root: Option<usize>, ls: &'a str) -> &[&'a DatasetEntry] {
        self.datasets.get(&(root, ls)).map_or(&[], Vec::as_slice)
    }
}

/// The templates with home folder `home` that hold linked service `name` and that `belongs` accepts,
/// with the parameter renames the dry run's fix of each made (none where the fix was held back or not
/// applied).
fn arm_uses(
    look: &Lookup,
    home: Option<usize>,
    name: &str,
    belongs: impl Fn(usize) -> bool,
) -> Vec<ArmUse> {
    let Some(found) = look.templates.get(&(home, name)) else {
        return Vec::new();
    };
    found
        .iter()
        .filter(|t| belongs(**t))
        .filter_map(|&t| {
            let o = &look.outcomes[t];
            let seen = o.linked_services.iter().find(|l| l.name == name)?;
            let renames = o
                .arm_renames
                .iter()
                .filter(|(_, new)| new.first().is_some_and(|n| n.linked_service() == name))
                .map(|(old, new)| Rename {
                    old: old.clone(),
                    new: new.iter().map(|n| n.name.clone()).collect(),
                })
                .collect();
            let steps = steps_of(o, name);
            Some(ArmUse {
                path: display_path(&o.path),
                version: seen.version_label(),
                renames,
                will_do: steps.will_do,
                needs_unsafe_fixes: steps.needs_unsafe_fixes,
                cannot_do: steps.cannot_do,
            })
        })
        .collect()
}

/// What the dry run did and left for linked service `name` of one file: the fixes it applied (follow-up
/// rounds included), the unsafe ones it left for `--unsafe-fixes`, the suggestions, and what it cannot do.
#[derive(Default)]
struct Steps {
    will_do: Vec<Step>,
    needs_unsafe_fixes: Vec<Step>,
    suggestions: Vec<Step>,
    cannot_do: Vec<Step>,
}

fn steps_of(o: &FileOutcome, name: &str) -> Steps {
    let mut s = Steps {
        will_do: o
            .change
            .iter()
            .flat_map(|c| &c.applied)
            .filter(|a| a.resource.as_deref() == Some(name))
            .map(|a| Step {
                code: a.code.clone(),
                text: a.title.clone(),
            })
            .collect(),
        ..Steps::default()
    };
    for f in o
        .findings
        .iter()
        .filter(|f| f.resource.as_deref() == Some(name))
    {
        let step = |text: &str| Step {
            code: f.code.clone(),
            text: text.to_string(),
        };
        match &f.fix {
            Some(_) if s.will_do.iter().any(|x| x.code == f.code) => {}
            Some(x) if x.safety == Safety::DisplayOnly => s.suggestions.push(step(&format!(
                "{} (suggestion: applied only with --extend-fixable {} --unsafe-fixes)",
                x.title, f.code
            ))),
            Some(x) if x.safety == Safety::Unsafe => s.needs_unsafe_fixes.push(step(&x.title)),
            // a safe fix that the dry run did not apply (it overlapped another, or a fix failed)
            Some(x) => s.cannot_do.push(step(&x.title)),
            None => s.cannot_do.push(step(&f.message)),
        }
    }
    s
}

fn plan_one<'a>(
    look: &Lookup<'a>,
    i: usize,
    seen: &'a crate::pipeline::SeenLinkedService,
    arm_templates: Vec<ArmUse>,
) -> LinkedServicePlan {
    let o = &look.outcomes[i];
    let name = seen.name.as_str();
    let Steps {
        will_do,
        needs_unsafe_fixes,
        suggestions,
        cannot_do,
    } = steps_of(o, name);
    let root = look.root[i];
    let own = look.datasets(root, name);
    let datasets: Vec<String> = own.iter().map(|d| d.name.clone()).collect();
    // the references to it and to its datasets in its factory's pipelines and data flows, in file order
    let mut refs: Vec<(usize, usize)> = std::iter::once((RefKind::LinkedService, name))
        .chain(datasets.iter().map(|d| (RefKind::Dataset, d.as_str())))
        .filter_map(|(kind, n)| look.references.get(&(root, kind, n)))
        .flatten()
        .copied()
        .collect();
    refs.sort_unstable();
    refs.dedup();
    let mut used_by: Vec<Usage> = Vec::new();
    let mut users: Vec<usize> = Vec::new();
    let mut listed = std::collections::HashSet::new();
    for (u, j) in refs {
        let user = &look.outcomes[u];
        let r = &user.references[j];
        let usage = Usage {
            path: display_path(&user.path),
            kind: crate::index::folder_kind(&user.path)
                .unwrap_or("pipeline")
                .to_string(),
            resource: user
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
            activity: r.user.clone(),
            via_dataset: (r.kind == RefKind::Dataset).then(|| r.name.clone()),
        };
        if listed.insert((u, usage.activity.clone(), usage.via_dataset.clone())) {
            if users.last() != Some(&u) {
                users.push(u);
            }
            used_by.push(usage);
        }
    }
    // the column types of its datasets and the queries of the activities using it
    let mut seen_types: Vec<String> = own.iter().flat_map(|d| d.columns.iter().cloned()).collect();
    for &u in &users {
        let user = &look.outcomes[u];
        let path = display_path(&user.path);
        seen_types.extend(
            user.queries
                .iter()
                .filter(|(activity, _)| {
                    used_by
                        .iter()
                        .any(|x| x.path == path && x.activity.as_deref() == Some(activity))
                })
                .map(|(_, q)| q.clone()),
        );
    }
    // the columns are all known when it has datasets and each lists its schema
    let complete = !own.is_empty() && own.iter().all(|d| !d.columns.is_empty());
    let retest = retest(o, seen, &used_by, &seen_types, complete);
    LinkedServicePlan {
        name: name.to_string(),
        connector: seen.connector.id,
        path: display_path(&o.path),
        version: seen.version_label(),
        will_do,
        needs_unsafe_fixes,
        suggestions,
        cannot_do,
        arm_templates,
        datasets,
        used_by,
        retest,
    }
}

fn retest(
    o: &FileOutcome,
    seen: &crate::pipeline::SeenLinkedService,
    used_by: &[Usage],
    seen_types: &[String],
    columns_complete: bool,
) -> Vec<Retest> {
    let (name, version, c) = (seen.name.as_str(), seen.version, seen.connector);
    let has = |code: &str| {
        o.findings
            .iter()
            .any(|f| f.resource.as_deref() == Some(name) && f.code == code)
    };
    let mut r = Vec::new();
    if version != Version::V1 {
        return r;
    }
    r.extend(c.retest.iter().map(|what| Retest {
        what: (*what).to_string(),
        basis: "documented",
    }));
    // the fact is ADFPG010's, or (said once) the follow-up of the migration
    let encrypted_only = has("ADFPG010")
        || o.findings.iter().any(|f| {
            f.resource.as_deref() == Some(name)
                && f.fix.as_ref().is_some_and(|x| {
                    x.title
                        .contains(crate::fix::migrate::ENCRYPTED_CREDENTIAL_NOTE)
                })
        });
    if encrypted_only {
        r.push(Retest {
            what: "Re-enter the password in ADF Studio (or reference Key Vault): Studio re-encrypts encryptedCredential when it upgrades a linked service".into(),
            basis: "documented",
        });
    }
    if has("ADFPG012") {
        r.push(Retest {
            what: format!(
                "Connection-string options with no {} property are dropped: check that nothing relied on them",
                c.labels[1]
            ),
            basis: "inference",
        });
    }
    if has("ADFPG011") {
        r.push(Retest { what: "The login name loses its `@server` suffix: check the role exists under the plain name".into(), basis: "inference" });
    }
    if let Some(ir) = seen
        .runtime
        .as_deref()
        .filter(|ir| *ir != "AutoResolveIntegrationRuntime")
        && !c.type_changes.is_empty()
    {
        r.push(Retest {
            what: format!(
                "It runs on integration runtime `{ir}`: a self-hosted runtime needs version 5.58 or later for Microsoft's automatic upgrade, and the V2 connector's own minimum is not documented: update the runtime and test on it"
            ),
            basis: "documented",
        });
    }
    if !used_by.is_empty() {
        r.push(Retest {
            what: format!(
                "Re-run the {} pipeline/data-flow activities listed above: {} uses a different driver, so timeouts, pooling and error texts may differ",
                used_by.len(),
                c.labels[1]
            ),
            basis: "inference",
        });
    }
    if c.type_changes.is_empty() {
        if !used_by.is_empty() {
            r.push(Retest {
                what: "Microsoft documents no data-type mapping change for this connector; still compare a copy of numeric, date/time and json/array columns".into(),
                basis: "documented",
            });
        }
        return r;
    }
    let changes: Vec<&str> = c
        .type_changes
        .iter()
        .filter(|t| seen_types.iter().any(|s| names_type(s, t)))
        .map(|t| t.change)
        .collect();
    // every column is known and none has such a type: nothing to say
    if changes.is_empty() && columns_complete {
        return r;
    }
    r.push(Retest {
        what: if changes.is_empty() {
            format!(
                "{} maps some data types differently ({}); the datasets do not list every column they read, so compare a copy of any such column",
                c.labels[1],
                c.type_changes
                    .iter()
                    .map(|t| t.names[0])
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            format!(
                "The datasets' columns or the queries use types {} maps differently: {}; compare a copy before and after",
                c.labels[1],
                changes.join("; ")
            )
        },
        basis: "documented",
    });
    r
}

/// Does a column type or a query (lower case) name the data type `t`: one of its names as a whole
/// word, and, for a type with a precision bound, a precision over it (`numeric(38)`, `numeric(40, 2)`)?
fn names_type(text: &str, t: &crate::connector::TypeChange) -> bool {
    let text = text.to_ascii_lowercase();
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    t.names.iter().any(|n| {
        text.match_indices(n).any(|(i, _)| {
            let before = text[..i].chars().next_back();
            let rest = &text[i + n.len()..];
            if word(before) || word(rest.chars().next()) {
                return false;
            }
            match t.min_precision {
                None => true,
                Some(min) => rest
                    .trim_start()
                    .strip_prefix('(')
                    .map(|p| p.trim_start())
                    .and_then(|p| p.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|d| d.parse::<u32>().ok())
                    .is_some_and(|p| p > min),
            }
        })
    })
}

/// Every line in the scanned trees (YAML pipelines, deployment configs, parameter files …) that names an
/// ARM parameter migration renames.
fn stale_references(roots: &[PathBuf], renames: &[Rename]) -> Vec<StaleReference> {
    if renames.is_empty() {
        return Vec::new();
    }
    let needles: Vec<&str> = renames.iter().map(|r| r.old.as_str()).collect();
    let finder = aho_corasick::AhoCorasick::new(&needles).expect("names build");
    let mut out = Vec::new();
    for root in roots.iter().filter(|r| r.is_dir()) {
        for entry in ignore::WalkBuilder::new(root).build().flatten() {
            let p = entry.path();
            // --fix itself updates the main template and its parameters file (the old declaration stays,
            // unused); what is left for people are overrides, configs, linked templates
            let name = crate::index::lower_file_name(p);
            let maintained = [
                "armtemplateforfactory.json",
                "armtemplateparametersforfactory.json",
                "templateforworkspace.json",
                "templateparametersforworkspace.json",
            ];
            if maintained.contains(&name.as_str()) {
                continue;
            }
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let mut bytes = Vec::new();
            if crate::source::read::read_into(
                p,
                4 << 20,
                crate::source::read::Links::Refuse,
                &mut bytes,
            )
            .is_err()
            {
                continue;
            }
            if bytes.contains(&0) {
                continue;
            }
            for m in finder.find_iter(&bytes) {
                // a declaration inside a template's own `parameters` block is not a stale override
                let line = crate::source::document::count_newlines(&bytes[..m.start()]) + 1;
                out.push(StaleReference {
                    path: display_path(p),
                    line,
                    parameter: needles[m.pattern().as_usize()].to_string(),
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    out.dedup_by(|a, b| a.path == b.path && a.line == b.line && a.parameter == b.parameter);
    out
}

// ---------- renderers ----------

pub fn render_json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).expect("plan serialises") + "\n"
}

pub fn render_text(plan: &Plan) -> String {
    let mut out = String::new();
    if plan.linked_services.is_empty() {
        out.push_str("No PostgreSQL linked services found.\n");
    }
    for ls in &plan.linked_services {
        let _ = writeln!(
            out,
            "{} ({} {}) — {}",
            p(&ls.name),
            ls.connector,
            p(ls.version),
            p(&ls.path)
        );
        section(&mut out, &format!("{} will", plan.fix_command), &ls.will_do);
        section(
            &mut out,
            "with --unsafe-fixes, --fix would also",
            &ls.needs_unsafe_fixes,
        );
        section(&mut out, "suggested, not applied", &ls.suggestions);
        section(&mut out, "cannot be fixed automatically", &ls.cannot_do);
        for a in &ls.arm_templates {
            let _ = writeln!(
                out,
                "  ARM template {} (version {})",
                p(&a.path),
                p(a.version)
            );
            for r in &a.renames {
                let _ = writeln!(
                    out,
                    "    parameter {} becomes {}",
                    p(&r.old),
                    p(&r.new.join(", "))
                );
            }
            for (title, steps) in [
                (format!("{} will", plan.fix_command), &a.will_do),
                (
                    "with --unsafe-fixes, --fix would also".to_string(),
                    &a.needs_unsafe_fixes,
                ),
                ("cannot be fixed automatically".to_string(), &a.cannot_do),
            ] {
                for st in steps {
                    let _ = writeln!(out, "    {title}: {} {}", st.code, p(&st.text));
                }
            }
        }
        if !ls.datasets.is_empty() {
            let _ = writeln!(out, "  datasets: {}", p(&ls.datasets.join(", ")));
        }
        if !ls.used_by.is_empty() {
            let note = if ls.version == "1.0" {
                " (these run on connector 1.0 until it is migrated)"
            } else {
                ""
            };
            let _ = writeln!(out, "  used by{note}:");
            for u in &ls.used_by {
                let _ = writeln!(
                    out,
                    "    {} {}{}{}",
                    p(&u.kind),
                    p(&u.resource),
                    p(&activity(u)),
                    p(&via(u))
                );
            }
        }
        if !ls.retest.is_empty() {
            let _ = writeln!(out, "  re-test after migrating:");
            for r in &ls.retest {
                let _ = writeln!(out, "    - [{}] {}", p(r.basis), p(&r.what));
            }
        }
        out.push('\n');
    }
    if !plan.stale_parameter_references.is_empty() {
        let _ = writeln!(
            out,
            "Files that still name a renamed ARM parameter (update release overrides and deployment configs):"
        );
        for s in &plan.stale_parameter_references {
            let _ = writeln!(out, "  {}:{}: {}", p(&s.path), s.line, p(&s.parameter));
        }
    }
    out
}

fn section(out: &mut String, title: &str, steps: &[Step]) {
    if steps.is_empty() {
        return;
    }
    let _ = writeln!(out, "  {title}:");
    for s in steps {
        let _ = writeln!(out, "    - {} {}", s.code, p(&s.text));
    }
}

fn activity(u: &Usage) -> String {
    u.activity
        .as_ref()
        .map_or(String::new(), |a| format!(" / {a}"))
}

fn via(u: &Usage) -> String {
    u.via_dataset
        .as_ref()
        .map_or(String::new(), |d| format!(" (via dataset {d})"))
}

/// Text from the factory on a terminal or in a log: escaped controls, no log commands.
fn p(s: &str) -> String {
    crate::mask::printable(s).into_owned()
}

/// Text from the factory in a PR comment: the markdown report's escaping (no mentions, links or HTML).
fn md(s: &str) -> String {
    crate::report::output::markdown::escape(s)
}

/// A name from the factory in a Markdown code span: a backtick in it cannot end the span.
fn code(s: &str) -> String {
    crate::report::output::markdown::code(s)
}

pub fn render_markdown(plan: &Plan) -> String {
    let mut out = String::from("## PostgreSQL migration plan\n\n");
    let _ = writeln!(
        out,
        "| linked service | version | `{}` | needs --unsafe-fixes | suggested | manual | used by |\n| --- | --- | --- | --- | --- | --- | --- |",
        plan.fix_command
    );
    for ls in &plan.linked_services {
        let list = |s: &[Step]| {
            s.iter()
                .map(|x| md(&format!("{} {}", x.code, x.text)))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            code(&ls.name),
            md(&format!("{} {}", ls.connector, ls.version)),
            list(&ls.will_do),
            list(&ls.needs_unsafe_fixes),
            list(&ls.suggestions),
            list(&ls.cannot_do),
            ls.used_by.len()
        );
    }
    for ls in plan
        .linked_services
        .iter()
        .filter(|l| !l.used_by.is_empty() || !l.retest.is_empty() || !l.arm_templates.is_empty())
    {
        let _ = writeln!(out, "\n### {}\n", code(&ls.name));
        for a in &ls.arm_templates {
            for r in &a.renames {
                let _ = writeln!(
                    out,
                    "- ARM {}: parameter {} becomes {}",
                    code(&a.path),
                    code(&r.old),
                    r.new.iter().map(|n| code(n)).collect::<Vec<_>>().join(", ")
                );
            }
        }
        for u in &ls.used_by {
            let _ = writeln!(
                out,
                "- used by {} {}{}{}",
                md(&u.kind),
                code(&u.resource),
                md(&activity(u)),
                md(&via(u))
            );
        }
        for r in &ls.retest {
            let _ = writeln!(out, "- [ ] re-test ({}): {}", md(r.basis), md(&r.what));
        }
    }
    if !plan.stale_parameter_references.is_empty() {
        out.push_str("\n### Files that still name a renamed ARM parameter\n\n");
        for s in &plan.stale_parameter_references {
            let _ = writeln!(
                out,
                "- {} {}",
                code(&format!("{}:{}", s.path, s.line)),
                code(&s.parameter)
            );
        }
    }
    out
}
