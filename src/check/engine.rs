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
        // the resource as a serde_json value, built once and only if a rule needs JSONPath
        let mut value: Option<serde_json::Value> = None;
        for rule in catalog
            .rules
            .iter()
            .filter(|r| r.scope == Scope::LinkedService)
        {
            let applies = match rule.applies_to {
                AppliesTo::Any => true,
                AppliesTo::V1 => version == Version::V1,
                AppliesTo::V2 => version == Version::V2,
            };
            if !applies {
                continue;
            }
            for target in targets(rule, ls.resource, &mut value) {
                for hit in checks::run(rule, &cx, &target) {
                    out.push(to_finding(rule, ls, hit));
                }
            }
        }
    }
    out
}

fn targets<'a>(
    rule: &Rule,
    resource: &'a Node,
    value: &mut Option<serde_json::Value>,
) -> Vec<Target<'a>> {
    let Some(path) = rule.compiled.as_ref().and_then(|c| c.path.as_ref()) else {
        return vec![Target {
            node: resource,
            member: None,
            path: Vec::new(),
        }];
    };
    let value = value.get_or_insert_with(|| resource.to_value());
    let Ok(hits) = jsonpath_rust::query::js_path_process(path, value) else {
        return Vec::new();
    };
    hits.into_iter()
        .filter_map(|h| {
            let steps = parse_normalized_path(&h.path)?;
            let (member, node) = resource.at_path(&steps)?;
            Some(Target {
                node,
                member,
                path: steps,
            })
        })
        .collect()
}

fn to_finding(rule: &Rule, ls: &LinkedService, hit: Hit) -> Finding {
    let mut args: BTreeMap<&str, String> = hit.args.into_iter().collect();
    args.insert("ls", ls.name.to_string());
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
