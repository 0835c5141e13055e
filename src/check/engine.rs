//! Run the linked-service rules of a catalog over one parsed document.

use super::catalog::{Catalog, render_template};
use super::checks::{self, Hit};
use super::context::{CheckOptions, Context, Target};
use super::rule::{AppliesTo, Rule, Scope};
use crate::finding::Finding;
use crate::source::adf::{LinkedService, Version};
use crate::source::document::Layout;
use crate::source::json::{Node, PathStep};
use std::collections::BTreeMap;

pub fn check_linked_services(
    catalog: &Catalog,
    text: &str,
    root: &Node,
    layout: &Layout,
    services: &[LinkedService],
    opts: &CheckOptions,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for ls in services {
        let version = ls.version();
        let cx = Context {
            text,
            root,
            layout,
            ls: ls.clone(),
            opts,
            conn: Default::default(),
        };
        // the resource as a serde_json value and its shape, built once and only if a rule needs JSONPath
        let mut value: Option<(serde_json::Value, Shape)> = None;
        for rule in catalog
            .rules
            .iter()
            .filter(|r| r.scope == Scope::LinkedService)
        {
            let connector_ok = rule.connectors.is_empty()
                || rule
                    .connectors
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(ls.connector.id));
            let applies = connector_ok
                && match rule.applies_to {
                    AppliesTo::Any => true,
                    AppliesTo::V1 => version == Version::V1,
                    AppliesTo::V2 => version == Version::V2,
                };
            if !applies {
                continue;
            }
            match targets(rule, ls.resource, &mut value) {
                Ok(targets) => {
                    for target in targets {
                        for hit in checks::run(rule, &cx, &target) {
                            out.push(to_finding(rule, ls, hit));
                        }
                    }
                }
                Err(cost) => out.extend(over_budget(catalog, rule, ls, cost)),
            }
        }
    }
    out
}

/// Where a rule's `given` selects in a linked service; `Err(cost)`: its evaluation could cost more than
/// [`JSONPATH_BUDGET`] here, so it is not evaluated.
fn targets<'a>(
    rule: &Rule,
    resource: &'a Node,
    value: &mut Option<(serde_json::Value, Shape)>,
) -> Result<Vec<Target<'a>>, u64> {
    let Some(path) = rule.compiled.as_ref().and_then(|c| c.path.as_ref()) else {
        return Ok(vec![Target {
            node: resource,
            member: None,
            path: Vec::new(),
        }]);
    };
    let (value, shape) = value.get_or_insert_with(|| (resource.to_value(), Shape::of(resource)));
    let cost = shape.cost(&path.segments, 1).1;
    if cost > JSONPATH_BUDGET {
        return Err(cost);
    }
    let Ok(hits) = jsonpath_rust::query::js_path_process(path, &*value) else {
        return Ok(Vec::new());
    };
    Ok(hits
        .into_iter()
        .filter_map(|h| {
            let steps = parse_normalized_path(&h.path)?;
            let (member, node) = resource.at_path(&steps)?;
            Some(Target {
                node,
                member,
                path: steps,
            })
        })
        .collect())
}

/// The most a rule's `given` may make jsonpath-rust hold for one linked service, in bytes: it keeps
/// every step's whole node list, each node with its normalized path, so a repository's house rule such as
/// `$..*..*..*` would otherwise grow with a power of the file's size (12.9 GB for 4.6 KB).
pub const JSONPATH_BUDGET: u64 = 64 << 20;

/// The finding for a rule whose `given` is over the budget in a linked service (ADFPG106).
fn over_budget(catalog: &Catalog, rule: &Rule, ls: &LinkedService, cost: u64) -> Option<Finding> {
    let detail = format!(
        "rule {} was not evaluated in linked service `{}`: its `given` `{}` could make the JSONPath evaluation hold about {} MiB of nodes here, over the {} MiB the tool allows",
        rule.code,
        ls.name,
        rule.given,
        cost >> 20,
        JSONPATH_BUDGET >> 20
    );
    let start = ls.resource.span.start;
    let mut f = catalog.finding("rule-over-budget", start..start, &[("detail", detail)])?;
    f.resource = Some(ls.name.to_string());
    f.pointer = crate::source::json::pointer(&ls.base);
    Some(f)
}

/// What bounds a JSONPath evaluation over a value: its nodes, the most children one node has, and the
/// longest normalized path (`$['a'][0]…`) of a node, in bytes.
#[derive(Debug, Clone, Copy)]
struct Shape {
    nodes: u64,
    fan: u64,
    path: u64,
}

/// The bytes a node in an evaluation's list costs beyond its path (a pointer and the list's slot).
const NODE_BYTES: u64 = 48;

impl Shape {
    fn of(n: &Node) -> Shape {
        fn walk(n: &Node, path: u64, s: &mut Shape) {
            s.nodes += 1;
            s.path = s.path.max(path);
            match &n.kind {
                crate::source::json::Kind::Array(items) => {
                    s.fan = s.fan.max(items.len() as u64);
                    for (i, item) in items.iter().enumerate() {
                        walk(item, path + 2 + i.to_string().len() as u64, s);
                    }
                }
                crate::source::json::Kind::Object(members) => {
                    s.fan = s.fan.max(members.len() as u64);
                    for m in members {
                        // `['key']`, escapes at most doubling the key
                        walk(&m.value, path + 4 + 2 * m.key.len() as u64, s);
                    }
                }
                _ => {}
            }
        }
        let mut s = Shape {
            nodes: 0,
            fan: 0,
            path: 0,
        };
        walk(n, 1, &mut s);
        s
    }

    /// An upper bound of what evaluating `segments` from `len` nodes holds: (the nodes it ends with,
    /// the bytes of every step's list and of every sub-query a filter runs on each candidate). Bounds
    /// follow what each segment can produce from a list of `len` nodes, duplicates included (RFC 9535
    /// keeps them): a name or an index at most one node each, a wildcard, slice or filter at most
    /// `fan` children each, and a descendant segment each node's whole subtree (at most `nodes`), then
    /// its selector on those, a wildcard there at most `nodes` per starting node in all.
    fn cost(&self, segments: &[jsonpath_rust::parser::model::Segment], len: u64) -> (u64, u64) {
        use jsonpath_rust::parser::model::{Segment, Selector};
        let per = NODE_BYTES + self.path;
        let (mut len, mut bytes) = (len, len.saturating_mul(per));
        for seg in segments {
            let (next, work) = match seg {
                Segment::Descendant(inner) => {
                    let expanded = len.saturating_mul(self.nodes);
                    let (next, work) = match &**inner {
                        Segment::Selector(Selector::Wildcard) => (expanded, 0),
                        other => self.cost(std::slice::from_ref(other), expanded),
                    };
                    (next, work.saturating_add(expanded.saturating_mul(per)))
                }
                Segment::Selector(s) => self.selector(s, len),
                Segment::Selectors(all) => all.iter().fold((0u64, 0u64), |(n, w), s| {
                    let (sn, sw) = self.selector(s, len);
                    (n.saturating_add(sn), w.saturating_add(sw))
                }),
            };
            len = next;
            bytes = bytes
                .saturating_add(work)
                .saturating_add(next.saturating_mul(per));
        }
        (len, bytes)
    }

    /// What one selector makes of `len` nodes: (nodes, bytes of its filter's sub-queries).
    fn selector(&self, s: &jsonpath_rust::parser::model::Selector, len: u64) -> (u64, u64) {
        use jsonpath_rust::parser::model::Selector;
        match s {
            Selector::Name(_) | Selector::Index(_) => (len, 0),
            Selector::Wildcard | Selector::Slice(..) => (len.saturating_mul(self.fan), 0),
            Selector::Filter(f) => {
                let candidates = len.saturating_mul(self.fan);
                (candidates, candidates.saturating_mul(self.filter(f)))
            }
        }
    }

    /// The bytes one candidate's filter expression may cost (its sub-queries run from one node).
    fn filter(&self, f: &jsonpath_rust::parser::model::Filter) -> u64 {
        use jsonpath_rust::parser::model::{Filter, FilterAtom};
        match f {
            Filter::Or(all) | Filter::And(all) => all
                .iter()
                .fold(0u64, |w, f| w.saturating_add(self.filter(f))),
            Filter::Atom(FilterAtom::Filter { expr, .. }) => self.filter(expr),
            Filter::Atom(FilterAtom::Test { expr, .. }) => self.test(expr),
            Filter::Atom(FilterAtom::Comparison(c)) => {
                let (a, b) = c.vals();
                self.comparable(a).saturating_add(self.comparable(b))
            }
        }
    }

    fn test(&self, t: &jsonpath_rust::parser::model::Test) -> u64 {
        use jsonpath_rust::parser::model::Test;
        match t {
            Test::RelQuery(segments) => self.cost(segments, 1).1,
            Test::AbsQuery(q) => self.cost(&q.segments, 1).1,
            Test::Function(f) => self.function(f),
        }
    }

    /// A function call: its arguments, and a regex built for `match`/`search` (bounded by the rule).
    fn function(&self, f: &jsonpath_rust::parser::model::TestFunction) -> u64 {
        use jsonpath_rust::parser::model::{FnArg, TestFunction};
        const CALL: u64 = 4096;
        let arg = |a: &FnArg| match a {
            FnArg::Literal(_) => NODE_BYTES,
            FnArg::Test(t) => self.test(t),
            FnArg::Filter(f) => self.filter(f),
        };
        let args = match f {
            TestFunction::Custom(_, all) => all.iter().fold(0u64, |w, a| w.saturating_add(arg(a))),
            TestFunction::Length(a) => arg(a),
            TestFunction::Value(a) | TestFunction::Count(a) => arg(a),
            TestFunction::Search(a, b) | TestFunction::Match(a, b) => arg(a).saturating_add(arg(b)),
        };
        args.saturating_add(CALL)
    }

    fn comparable(&self, c: &jsonpath_rust::parser::model::Comparable) -> u64 {
        use jsonpath_rust::parser::model::Comparable;
        match c {
            Comparable::Literal(_) | Comparable::SingularQuery(_) => NODE_BYTES + self.path,
            Comparable::Function(f) => self.function(f),
        }
    }
}

fn to_finding(rule: &Rule, ls: &LinkedService, hit: Hit) -> Finding {
    let mut args: BTreeMap<&str, String> = hit.args.into_iter().collect();
    args.insert("ls", ls.name.to_string());
    // the generations as a sentence names them (`1.0`/`2.0`, `PostgreSql`/`PostgreSqlV2`)
    let c = ls.connector;
    args.insert(
        "old",
        c.generation_name(crate::connector::Generation::Old).into(),
    );
    args.insert(
        "new",
        c.generation_name(crate::connector::Generation::New).into(),
    );
    let mut pointer = ls.base.clone();
    pointer.extend(hit.path);
    Finding {
        code: rule.code.clone(),
        severity: hit.severity.unwrap_or(rule.severity),
        message: render_template(&rule.message, &args),
        help: render_template(&rule.help, &args),
        span: hit.span,
        label: hit.label,
        related: hit.related,
        fix: hit.fix,
        resource: Some(ls.name.to_string()),
        pointer: crate::source::json::pointer(&pointer),
        start: (0, 0),
        end: (0, 0),
    }
}

/// jsonpath-rust reports matches as normalized paths (`$['a'][0]['b\'c']`); turn one back into steps.
pub fn parse_normalized_path(p: &str) -> Option<Vec<PathStep>> {
    let b = p.as_bytes();
    if b.first() != Some(&b'$') {
        return None;
    }
    let mut i = 1;
    let mut steps = Vec::new();
    while i < b.len() {
        if b[i] != b'[' {
            return None;
        }
        i += 1;
        if b.get(i) == Some(&b'\'') {
            i += 1;
            let mut key = String::new();
            loop {
                let c = p[i..].chars().next()?;
                i += c.len_utf8();
                match c {
                    '\'' => break,
                    '\\' => {
                        let e = p[i..].chars().next()?;
                        i += e.len_utf8();
                        match e {
                            'b' => key.push('\u{8}'),
                            'f' => key.push('\u{c}'),
                            'n' => key.push('\n'),
                            'r' => key.push('\r'),
                            't' => key.push('\t'),
                            'u' => {
                                let code = u32::from_str_radix(p.get(i..i + 4)?, 16).ok()?;
                                key.push(char::from_u32(code)?);
                                i += 4;
                            }
                            other => key.push(other),
                        }
                    }
                    c => key.push(c),
                }
            }
            steps.push(PathStep::Key(key));
        } else {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            steps.push(PathStep::Index(p[start..i].parse().ok()?));
        }
        if b.get(i) != Some(&b']') {
            return None;
        }
        i += 1;
    }
    Some(steps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_paths_round_trip() {
        assert_eq!(
            parse_normalized_path(r"$['a'][12]['b\'c']").unwrap(),
            vec![
                PathStep::Key("a".into()),
                PathStep::Index(12),
                PathStep::Key("b'c".into())
            ]
        );
        assert_eq!(parse_normalized_path("$").unwrap(), vec![]);
        assert!(parse_normalized_path("$.a").is_none());
    }

    /// The bound is a bound: for queries of every kind on a few shapes of value, the nodes a query
    /// ends with never exceed the estimate (so the bytes held, each node with its path, do not either).
    #[test]
    fn the_jsonpath_bound_holds_what_the_evaluation_holds() {
        let docs = [
            r#"{"name":"x","properties":{"type":"AzurePostgreSql","annotations":["a","b",{"c":[1,2,{"d":3}]}],"typeProperties":{"server":"h","a":{"b":{"c":{"d":[1,2,3]}}}}}}"#,
            r#"{"a":[[[[1,[2,[3]]]]]],"b":{"b":{"b":{"b":1}}},"c":[{"x":1},{"x":2},{"y":[{"x":3}]}]}"#,
        ];
        let queries = [
            "$",
            "$.properties.typeProperties",
            "$.*",
            "$..*",
            "$..b",
            "$..*..*",
            "$..*..*..*",
            "$..[0]",
            "$..[*]",
            "$..[0:2]",
            "$[*][*][*]",
            "$..[?@.x]",
            "$..[?@.x == 3]",
            "$..[?@..x]",
            "$..*[?count(@..*) > 1]",
            "$['a','b','c']..*",
            "$..[?match(@, 'h.*')]",
        ];
        for doc in docs {
            let root = crate::source::json::parse(doc).unwrap();
            let value = root.to_value();
            let shape = Shape::of(&root);
            for q in queries {
                let path = jsonpath_rust::parser::parse_json_path(q).unwrap();
                let actual = jsonpath_rust::query::js_path_process(&path, &value)
                    .map(|h| h.len() as u64)
                    .unwrap_or(0);
                let (estimate, bytes) = shape.cost(&path.segments, 1);
                assert!(actual <= estimate, "{q} on {doc}: {actual} > {estimate}");
                assert!(bytes >= estimate * (NODE_BYTES + 1), "{q}: {bytes}");
            }
        }
    }

    /// Issue 29: `$..*..*..*` on a 4.6 KB linked service is over the budget (it held 12.9 GB), at that
    /// size and at 4×; the rules a catalog ships, and a single descent, are far under it.
    #[test]
    fn a_power_of_the_file_is_over_the_budget_and_ordinary_paths_are_not() {
        for n in [130, 520] {
            let members: String = (0..n)
                .map(|i| format!(r#","k{i}":{{"a":[1,2,{{"b":"c"}}],"d":"e"}}"#))
                .collect();
            let doc = format!(
                r#"{{"name":"x","properties":{{"type":"AzurePostgreSql","typeProperties":{{"server":"h"{members}}}}}}}"#
            );
            assert!(doc.len() >= 4_600, "{}", doc.len());
            let shape = Shape::of(&crate::source::json::parse(&doc).unwrap());
            let cost = |q: &str| {
                let path = jsonpath_rust::parser::parse_json_path(q).unwrap();
                shape.cost(&path.segments, 1).1
            };
            assert!(
                cost("$..*..*..*") > JSONPATH_BUDGET,
                "{n}: {}",
                cost("$..*..*..*")
            );
            for ordinary in [
                "$.properties.typeProperties",
                "$..server",
                "$..*",
                "$.properties.typeProperties[?@.a]",
            ] {
                assert!(
                    cost(ordinary) < JSONPATH_BUDGET / 8,
                    "{ordinary}: {}",
                    cost(ordinary)
                );
            }
        }
    }

    #[test]
    fn jsonpath_matches_map_to_spans() {
        let text = r#"{"name":"x","properties":{"type":"AzurePostgreSql","typeProperties":{"a":1,"sslMode":9}}}"#;
        let root = crate::source::json::parse(text).unwrap();
        let path =
            jsonpath_rust::parser::parse_json_path("$.properties.typeProperties.sslMode").unwrap();
        let v = root.to_value();
        let hits = jsonpath_rust::query::js_path_process(&path, &v).unwrap();
        let steps = parse_normalized_path(&hits[0].path).unwrap();
        let (m, n) = root.at_path(&steps).unwrap();
        assert_eq!(&text[n.span.clone()], "9");
        assert_eq!(&text[m.unwrap().key_span.clone()], "\"sslMode\"");
    }
}
