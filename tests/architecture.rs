//! The layout's one rule: data flows one way. Within `src/` and within each of its folders, no part (a
//! file or a sub-folder) imports, through `crate::…` or `super::…` paths and transitively, a part that
//! imports it. A folder's `mod.rs` (and `lib.rs` for `src/`) is its front door, which wires its parts and
//! holds what they share: it is not a part. docs/architecture.md draws the order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;

/// Part → the parts of the same folder it imports, each with a file that does.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn no_module_imports_one_that_imports_it() {
    let graphs = folder_graphs(&common::root().join("src"));
    // a parser that found nothing would pass any layout: the application wires every stage, so it must
    // see some, and the command line reaches the stages through it
    let top = graphs.get("src/").expect("top-level modules");
    assert!(
        top.get("app").is_some_and(|t| t.len() >= 5),
        "the import scan found too little: {graphs:?}"
    );
    assert!(top["cli"].contains_key("app"), "{:?}", top["cli"]);
    assert!(!top["app"].contains_key("cli"), "{:?}", top["app"]);
    let cycles: Vec<String> = graphs
        .iter()
        .flat_map(|(folder, g)| {
            cycles(g)
                .into_iter()
                .map(move |c| format!("in {folder}: {c}"))
        })
        .collect();
    assert!(
        cycles.is_empty(),
        "import cycles (each edge: the file that imports):\n{}",
        cycles.join("\n")
    );
}

#[test]
fn the_cycle_finder_names_a_planted_cycle() {
    let edge = |from: &str, to: &str| (from.to_string(), to.to_string());
    let mut graph = Graph::new();
    for (from, to) in [
        edge("cli", "report"),
        edge("report", "check"),
        edge("check", "source"),
    ] {
        graph.entry(from).or_default().insert(to, "x.rs".into());
    }
    assert!(cycles(&graph).is_empty(), "{:?}", cycles(&graph));
    graph
        .entry("source".into())
        .or_default()
        .insert("report".into(), "src/source/json.rs".into());
    assert_eq!(
        cycles(&graph),
        vec!["check → source (x.rs) → report (src/source/json.rs) → check (x.rs)".to_string()]
    );
}

#[test]
fn grouped_nested_and_relative_imports_are_seen() {
    let text = "use crate::{adf::{self, Version}, json::Node};\n// crate::commented\n\
                let x = crate::mask::printable(s);\nuse super::fix_loop::take_fixes;\nuse crate::check::{catalog::Rule, engine};";
    let seen: BTreeSet<String> = imported_paths(text)
        .into_iter()
        .map(|(relative, p)| format!("{}{}", if relative { "super::" } else { "" }, p.join("::")))
        .collect();
    let want = [
        "adf",
        "adf::Version",
        "json::Node",
        "mask::printable",
        "super::fix_loop::take_fixes",
        "check::catalog::Rule",
        "check::engine",
    ];
    assert_eq!(seen, want.iter().map(|s| s.to_string()).collect());
}

#[test]
fn parts_are_compared_inside_their_common_folder() {
    let modules: BTreeSet<Vec<String>> = [
        "pipeline",
        "pipeline/triage",
        "pipeline/fragments",
        "check",
        "check/engine",
    ]
    .iter()
    .map(|m| m.split('/').map(str::to_string).collect())
    .collect();
    let module = |m: &str| -> Vec<String> { m.split('/').map(str::to_string).collect() };
    // a sibling file: an edge in the folder's graph
    assert_eq!(
        part_edge(&module("pipeline/triage"), &module("pipeline/fragments")),
        Some(("src/pipeline/".into(), "triage".into(), "fragments".into()))
    );
    // another top-level folder: an edge between top-level parts
    assert_eq!(
        part_edge(&module("pipeline/triage"), &module("check/engine")),
        Some(("src/".into(), "pipeline".into(), "check".into()))
    );
    // the folder's own mod.rs: its front door, not a part
    assert_eq!(
        part_edge(&module("pipeline/triage"), &module("pipeline")),
        None
    );
    assert_eq!(
        resolve(&modules, &module("check/engine/Context")),
        Some(module("check/engine"))
    );
}

/// For each folder of `src` (`src/` itself included), the import graph between its parts.
fn folder_graphs(src: &Path) -> BTreeMap<String, Graph> {
    let files = rust_files(src);
    let module_of = |file: &Path| -> Vec<String> {
        let rel = file.strip_prefix(src).unwrap().with_extension("");
        let mut m: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(m.last().map(String::as_str), Some("mod" | "lib" | "main")) {
            m.pop();
        }
        m
    };
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let mut graphs: BTreeMap<String, Graph> = BTreeMap::new();
    for file in &files {
        let from = module_of(file);
        let text = std::fs::read_to_string(file).unwrap();
        for (relative, path) in imported_paths(&text) {
            let mut full = if relative {
                from[..from.len().saturating_sub(1)].to_vec()
            } else {
                Vec::new()
            };
            full.extend(path);
            let Some(to) = resolve(&modules, &full) else {
                continue;
            };
            if let Some((folder, a, b)) = part_edge(&from, &to) {
                let shown = format!("src/{}", file.strip_prefix(src).unwrap().display());
                graphs
                    .entry(folder)
                    .or_default()
                    .entry(a)
                    .or_default()
                    .entry(b)
                    .or_insert(shown);
            }
        }
    }
    graphs
}

/// The module a path names: its longest prefix that is a module of the crate.
fn resolve(modules: &BTreeSet<Vec<String>>, path: &[String]) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| modules.contains(p))
}

/// Module `from` importing module `to` is an edge between two parts of their closest common folder,
/// unless one contains the other (a folder's front door and its parts).
fn part_edge(from: &[String], to: &[String]) -> Option<(String, String, String)> {
    let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
    if from.len() == common || to.len() == common {
        return None;
    }
    let folder = format!(
        "src/{}",
        from[..common]
            .iter()
            .map(|s| format!("{s}/"))
            .collect::<String>()
    );
    Some((folder, from[common].clone(), to[common].clone()))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Every `crate::…` and `super::…` path in `text` (comments left out), groups `{a, b::c}` expanded; the
/// flag says the path is relative to the parent module (`super::`).
fn imported_paths(text: &str) -> Vec<(bool, Vec<String>)> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    for (prefix, relative) in [("crate::", false), ("super::", true)] {
        for (at, _) in code.match_indices(prefix) {
            let before = code[..at].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            for path in paths(&code[at + prefix.len()..]) {
                out.push((relative, path));
            }
        }
    }
    out.retain(|(_, p)| !p.is_empty() && p[0] != "self");
    out
}

/// The paths at the start of `s`: `a::b::c`, or `a::{b, c::d}` expanded (`self` in a group is `a`).
fn paths(s: &str) -> Vec<Vec<String>> {
    let mut segments = Vec::new();
    let mut rest = s;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !ident.is_empty() {
            rest = &rest[ident.len()..];
            if ident != "self" {
                segments.push(ident);
            }
            match rest.strip_prefix("::") {
                Some(r) => rest = r,
                None => return vec![segments],
            }
        } else if let Some(group) = rest.strip_prefix('{') {
            return top_level_items(group)
                .into_iter()
                .map(str::trim_start)
                .filter(|item| !item.is_empty())
                .flat_map(paths)
                .map(|tail| segments.iter().cloned().chain(tail).collect())
                .collect();
        } else {
            return vec![segments];
        }
    }
}

/// The comma-separated items of a `{…}` group up to its closing brace, nested groups kept whole.
fn top_level_items(group: &str) -> Vec<&str> {
    let (mut depth, mut start, mut items) = (0usize, 0, Vec::new());
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(&group[start..i]);
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items
}

/// One cycle per group of modules that reach each other, as `a → b (file) → … → a (file)`.
fn cycles(graph: &Graph) -> Vec<String> {
    let mut seen_in_cycle = BTreeSet::new();
    let mut out = Vec::new();
    for start in graph.keys() {
        if seen_in_cycle.contains(start) {
            continue;
        }
        if let Some(path) = path_back(graph, start) {
            seen_in_cycle.extend(path.iter().cloned());
            let mut text = start.clone();
            let mut from = start;
            for to in path.iter().skip(1).chain(std::iter::once(start)) {
                text += &format!(" → {to} ({})", graph[from][to]);
                from = to;
            }
            out.push(text);
        }
    }
    out
}

/// The shortest route `start → … → start`, as the nodes from `start` on (breadth first).
fn path_back(graph: &Graph, start: &String) -> Option<Vec<String>> {
    let mut parent: BTreeMap<&String, &String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for next in graph.get(node).into_iter().flat_map(|t| t.keys()) {
            if next == start {
                let mut path = vec![node.clone()];
                while let Some(p) = parent.get(path.last().unwrap()) {
                    path.push((*p).clone());
                }
                path.reverse();
                return Some(path);
            }
            if !parent.contains_key(next) {
                parent.insert(next, node);
                queue.push_back(next);
            }
        }
    }
    None
}
