//! The layout's one rule: data flows one way. No top-level module or folder of `src/` imports (through
//! `crate::…` paths, transitively) one that imports it. docs/architecture.md draws the order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

mod common;

/// Top-level module or folder → the top-level modules or folders it names, each with a file that does.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

#[test]
fn no_module_imports_one_that_imports_it() {
    let graph = import_graph(&common::root().join("src"));
    // a parser that found nothing would pass any layout: the CLI wires every stage, so it must see some
    assert!(
        graph.get("cli").is_some_and(|t| t.len() >= 5),
        "the import scan found too little; graph: {graph:?}"
    );
    let cycles = cycles(&graph);
    assert!(
        cycles.is_empty(),
        "import cycles between top-level modules of src/ (each edge: the file that imports):\n{}",
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
fn grouped_and_nested_imports_are_seen() {
    let text = "use crate::{adf::{self, Version}, json::Node};\n// crate::commented\nlet x = crate::mask::printable(s);\nuse super::y;";
    assert_eq!(
        imported_modules(text),
        BTreeSet::from(["adf".into(), "json".into(), "mask".into()])
    );
}

/// The graph of `crate::` imports between top-level modules of `src`.
fn import_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let rel = file.strip_prefix(src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let from = first.trim_end_matches(".rs").to_string();
        if from == "lib" || from == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for to in imported_modules(&text) {
            if to != from {
                let shown = format!("src/{}", rel.display());
                graph
                    .entry(from.clone())
                    .or_default()
                    .entry(to)
                    .or_insert(shown);
            }
        }
    }
    graph
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

/// The first segment of every `crate::` path in `text` (comments left out), `crate::{a, b::c}` included.
fn imported_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            out.extend(top_level_items(group).into_iter().map(first_ident));
        } else {
            out.insert(first_ident(rest));
        }
    }
    out.retain(|m| !m.is_empty() && m != "self");
    out
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

fn first_ident(s: &str) -> String {
    s.trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
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
