//! What ADFPG024 fixes: the credential member becomes an `AzureKeyVaultSecret` reference laid out like
//! its neighbours, `encryptedCredential` goes, an ARM resource depends on the vault; and a 1.0 linked
//! service is moved and migrated as one fix.

use super::Move;
use super::names::template_factory_name;
use super::plan::{file_move, template_has_vault};
use crate::check::context::{Context, v1_migration};
use crate::finding::Edit;
use crate::source::adf::{LinkedService, member_layout};
use crate::source::document::Layout;
use crate::source::json::{Member, Node};

fn json(s: &str) -> String {
    serde_json::to_string(s).expect("strings serialise")
}

/// The `AzureKeyVaultSecret` object, laid out like the member it goes into (`lead` is that member's
/// indentation).
pub fn reference_text(
    layout: &Layout,
    lead: &str,
    sep: &str,
    multiline: bool,
    vault: &str,
    secret: &str,
) -> String {
    if !multiline {
        return format!(
            "{{ \"type\"{sep}\"AzureKeyVaultSecret\", \"store\"{sep}{{ \"referenceName\"{sep}{}, \"type\"{sep}\"LinkedServiceReference\" }}, \"secretName\"{sep}{} }}",
            json(vault),
            json(secret)
        );
    }
    let (eol, ind) = (&layout.eol, &layout.indent);
    let l1 = format!("{lead}{ind}");
    let l2 = format!("{l1}{ind}");
    format!(
        "{{{eol}{l1}\"type\"{sep}\"AzureKeyVaultSecret\",{eol}{l1}\"store\"{sep}{{{eol}{l2}\"referenceName\"{sep}{},{eol}{l2}\"type\"{sep}\"LinkedServiceReference\"{eol}{l1}}},{eol}{l1}\"secretName\"{sep}{}{eol}{lead}}}",
        json(vault),
        json(secret)
    )
}

/// Remove a member of `obj` with the comma that joins it to a neighbour.
fn removal(obj: &Node, m: &Member) -> Edit {
    let members = obj.members().unwrap_or_default();
    let i = members
        .iter()
        .position(|o| o.key_span == m.key_span)
        .expect("a member of its object");
    let range = if i > 0 {
        members[i - 1].value.span.end..m.value.span.end
    } else if let Some(next) = members.get(1) {
        m.key_span.start..next.key_span.start
    } else {
        m.span()
    };
    Edit::replace(range, "")
}

/// The edits of a move: the credential member becomes the reference (or the reference takes the place
/// of `encryptedCredential`, or follows the 1.0 connection string), and `encryptedCredential` goes.
pub fn edits(
    text: &str,
    layout: &Layout,
    root: &Node,
    ls: &LinkedService,
    mv: &Move,
    vault: &str,
) -> Vec<Edit> {
    let tp = ls.type_props().expect("a move has typeProperties");
    let reference = |anchor: &Member| {
        let l = member_layout(text, anchor);
        (
            reference_text(layout, &l.lead, &l.sep, l.multiline, vault, &mv.secret),
            l,
        )
    };
    let mut out = Vec::new();
    match (mv.existing, mv.encrypted, mv.connection_string) {
        (Some(m), enc, _) => {
            out.push(Edit::replace(m.value.span.clone(), reference(m).0));
            out.extend(enc.map(|e| removal(tp, e)));
        }
        (None, Some(e), _) => {
            let (r, l) = reference(e);
            out.push(Edit::replace(
                e.span(),
                format!("{}{}{r}", json(mv.member), l.sep),
            ));
        }
        (None, None, Some(cs)) => {
            let (r, l) = reference(cs);
            let join = if l.multiline {
                format!(",{}{}", layout.eol, l.lead)
            } else {
                ", ".into()
            };
            let at = cs.value.span.end;
            out.push(Edit::replace(
                at..at,
                format!("{join}{}{}{r}", json(mv.member), l.sep),
            ));
        }
        (None, None, None) => {}
    }
    // ADF's templates name the factory in `variables('factoryId')`; without it, no dependency is guessed
    if root
        .get("variables")
        .and_then(|v| v.get("factoryId"))
        .is_some()
    {
        out.extend(depends_on_vault(text, layout, ls, vault));
    }
    out
}

/// In an ARM template, the resource depends on the vault's linked service, as ADF's publish writes it
/// (`[concat(variables('factoryId'), '/linkedServices/<vault>')]`), so that it is deployed first.
fn depends_on_vault(text: &str, layout: &Layout, ls: &LinkedService, vault: &str) -> Option<Edit> {
    if ls.base.is_empty() {
        return None;
    }
    let dep = json(&format!(
        "[concat(variables('factoryId'), '/linkedServices/{vault}')]"
    ));
    let resource = ls.resource;
    match resource.member("dependsOn") {
        Some(m) => {
            let items = m.value.elements()?;
            if items.iter().any(|e| {
                e.as_str()
                    .is_some_and(|s| s.contains(&format!("/linkedServices/{vault}'")))
            }) {
                return None;
            }
            match items.last() {
                Some(last) => {
                    let l = crate::source::adf::element_lead(text, last);
                    Some(Edit::replace(
                        last.span.end..last.span.end,
                        format!(",{l}{dep}"),
                    ))
                }
                None => Some(Edit::replace(m.value.span.clone(), format!("[ {dep} ]"))),
            }
        }
        None => {
            let props = resource.member("properties")?;
            let l = member_layout(text, props);
            let (open, close, join) = if l.multiline {
                (
                    format!("[{}{}{}", layout.eol, l.lead, layout.indent),
                    format!("{}{}]", layout.eol, l.lead),
                    format!(",{}{}", layout.eol, l.lead),
                )
            } else {
                ("[ ".into(), " ]".into(), ", ".into())
            };
            let at = props.value.span.end;
            Some(Edit::replace(
                at..at,
                format!("{join}\"dependsOn\"{}{open}{dep}{close}", l.sep),
            ))
        }
    }
}

/// A 1.0 linked service whose credential moves: the move and the 1.0 → 2.0 migration as one fix (one
/// edit per run of changed lines), so that the migration keeps the Key Vault reference
/// (and an ARM template gets no `<ls>_password` parameter). None when nothing moves, or when the move or
/// the migration is held back (the caller then migrates as usual and ADFPG024 says why).
pub struct V1Fix {
    pub edits: Vec<Edit>,
    pub safety: crate::finding::Safety,
    pub secret: String,
    pub unsafe_reasons: Vec<String>,
}

pub fn v1_with_move(cx: &Context) -> Option<V1Fix> {
    let target = cx.opts.migration.key_vault.as_ref()?;
    if !cx.ls.base.is_empty() && !template_has_vault(cx.root, &target.vault) {
        return None;
    }
    let factory = file_factory(cx);
    let mv = file_move(
        cx.text, cx.layout, cx.root, &cx.ls, target, &factory, cx.opts,
    )?
    .ok()?;
    let moved = edits(cx.text, cx.layout, cx.root, &cx.ls, &mv, &target.vault);
    let (text, _) = crate::finding::apply_edits(cx.text, &moved.iter().collect::<Vec<_>>());
    let doc = crate::source::document::Document::decode(text.into_bytes()).ok()?;
    let root = doc.parse().ok()?;
    let services = crate::source::adf::linked_services(&root);
    let ls = services
        .iter()
        .find(|l| l.base == cx.ls.base && l.name == cx.ls.name)?;
    let migration = v1_migration(&doc.text, &doc.layout(), &root, ls, cx.opts).ok()?;
    let (fin, _) =
        crate::finding::apply_edits(&doc.text, &migration.edits.iter().collect::<Vec<_>>());
    let mut unsafe_reasons: Vec<String> = mv
        .source
        .unsafe_reason(&mv.secret, &target.vault)
        .into_iter()
        .collect();
    // the move put the string's own password in the vault: the reference and the string now hold the
    // same one, which is no conflict unless the file had a `password` property already
    let twice = crate::fix::migrate::password_twice_note();
    let had_property = cx.ls.tp("password").is_some();
    unsafe_reasons.extend(
        migration
            .unsafe_reasons
            .into_iter()
            .filter(|r| had_property || *r != twice),
    );
    let safety = if unsafe_reasons.is_empty() {
        crate::finding::Safety::Safe
    } else {
        crate::finding::Safety::Unsafe
    };
    Some(V1Fix {
        edits: line_edits(cx.text, &fin),
        safety,
        secret: mv.secret,
        unsafe_reasons,
    })
}

/// `{factory}` for the file at hand: its factory folder's, or an ARM template's `factoryName`.
fn file_factory(cx: &Context) -> String {
    cx.opts
        .factory
        .clone()
        .or_else(|| template_factory_name(cx.root))
        .unwrap_or_default()
}

/// The edits turning `before` into `after`: one per run of changed lines, so that the fixes of several
/// linked services in one ARM template touch disjoint ranges and apply in the same round.
fn line_edits(before: &str, after: &str) -> Vec<Edit> {
    let starts = |t: &str| {
        let mut v = vec![0];
        v.extend(t.split_inclusive('\n').scan(0, |at, l| {
            *at += l.len();
            Some(*at)
        }));
        v
    };
    let (old, new) = (starts(before), starts(after));
    let secrets = crate::source::document::Document::decode(after.as_bytes().to_vec())
        .ok()
        .and_then(|d| Some(crate::mask::secret_spans(after, &d.parse().ok()?)))
        .unwrap_or_default();
    let diff = similar::TextDiff::from_lines(before, after);
    let mut hunks: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> = Vec::new();
    for op in diff.ops() {
        if op.tag() == similar::DiffTag::Equal {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        match hunks.last_mut() {
            Some((lo, ln)) if lo.end == o.start && ln.end == n.start => {
                lo.end = o.end;
                ln.end = n.end;
            }
            _ => hunks.push((o, n)),
        }
    }
    hunks
        .into_iter()
        .map(|(o, n)| {
            let (from, to) = (new[n.start], new[n.end]);
            let mut edit = Edit::replace(old[o.start]..old[o.end], &after[from..to]);
            // mask any secret value the new text still holds, wherever the edit is shown
            edit.secrets = secrets
                .iter()
                .filter(|s| s.start >= from && s.end <= to)
                .map(|s| s.start - from..s.end - from)
                .collect();
            edit
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_the_documented_shape_inline_and_multiline() {
        let want = serde_json::json!({"type": "AzureKeyVaultSecret", "store": {"referenceName": "Vault", "type": "LinkedServiceReference"}, "secretName": "pg"});
        let layout = Layout {
            eol: "\r\n",
            indent: "\t".into(),
        };
        for multiline in [true, false] {
            let text = reference_text(&layout, "\t\t", ": ", multiline, "Vault", "pg");
            let got: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(got, want);
            assert_eq!(text.contains("\r\n\t\t\t\"type\""), multiline, "{text}");
        }
    }

    #[test]
    fn line_edits_touch_only_changed_lines() {
        let before = "a\nb\nc\nd\ne\n";
        let after = "a\nB\nc\nd\nE\nf\n";
        let edits = line_edits(before, after);
        assert_eq!(edits.len(), 2, "{edits:?}");
        let refs: Vec<&Edit> = edits.iter().collect();
        assert_eq!(crate::finding::apply_edits(before, &refs).0, after);
    }
}
