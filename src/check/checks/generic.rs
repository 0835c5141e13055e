//! Generic checks: their parameters (`field`, `values`, `pattern`) come from the rule file.

use super::Hit;
use crate::check::context::{Context, Target};
use crate::check::rule::Rule;
use crate::source::adf::is_expression_node;
use crate::source::json::{Member, Node, PathStep};
use std::ops::Range;

/// The field a generic check looks at, inside a target object.
fn field_of<'a>(rule: &Rule, target: &Target<'a>) -> (&'a Node, Option<&'a Member>, Vec<PathStep>) {
    let field = rule.field.as_deref().unwrap_or_default();
    let m = target.node.member(field);
    let mut path = target.path.clone();
    path.push(PathStep::Key(field.to_string()));
    (target.node, m, path)
}

fn blame_span(target: &Target) -> Range<usize> {
    target
        .member
        .map_or(target.node.span.clone(), |m| m.key_span.clone())
}

pub(super) fn defined(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    if m.is_some() || t.node.members().is_none() {
        return Vec::new();
    }
    vec![
        Hit::new(
            blame_span(t),
            format!("no `{}` here", rule.field.as_deref().unwrap_or_default()),
            path,
        )
        .arg("field", rule.field.clone().unwrap_or_default()),
    ]
}

pub(super) fn undefined(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    m.map(|m| Hit::new(m.key_span.clone(), "not expected here", path).arg("field", m.key.clone()))
        .into_iter()
        .collect()
}

pub(super) fn enumeration(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    let Some(m) = m else { return Vec::new() };
    if is_expression_node(&m.value) {
        return Vec::new();
    }
    match m.value.as_str() {
        Some(v) if rule.values.iter().any(|x| x == v) => Vec::new(),
        v => vec![
            Hit::new(
                m.value.span.clone(),
                format!("expected one of: {}", rule.values.join(", ")),
                path,
            )
            .arg("field", m.key.clone())
            .arg("value", v.unwrap_or(m.value.type_name()).to_string())
            .arg("values", rule.values.join(", ")),
        ],
    }
}

pub(super) fn pattern(rule: &Rule, _: &Context, t: &Target) -> Vec<Hit> {
    let (_, m, path) = field_of(rule, t);
    let re = rule.compiled.as_ref().and_then(|c| c.pattern.as_ref());
    let (Some(m), Some(re)) = (m, re) else {
        return Vec::new();
    };
    match m.value.as_str() {
        Some(v) if re.is_match(v) => Vec::new(),
        v => vec![
            Hit::new(
                m.value.span.clone(),
                format!("does not match `{}`", re.as_str()),
                path,
            )
            .arg("field", m.key.clone())
            .arg("value", v.unwrap_or(m.value.type_name()).to_string())
            .arg("pattern", re.as_str().to_string()),
        ],
    }
}
