//! The write stage: every fixed file of the run written in one batch (`fix::write::replace_many`), each
//! outcome then saying what happened. A file whose fixes require others (a dataset retyped with its linked
//! service's migration) is written in a second batch, and only when those were written.

use super::{FileCx, FileOutcome, Settings, push_pipeline};
use crate::finding::Finding;

use crate::source::read::Links;

/// A fixed file not yet written.
#[derive(Debug)]
pub struct PendingWrite {
    /// The text as read (the file must still hold it when it is replaced).
    pub(super) original: String,
    pub(super) new_text: String,
    /// The findings and linked services of the new text: the outcome's once it is written.
    pub(super) findings: Vec<Finding>,
    pub(super) linked_services: Vec<super::SeenLinkedService>,
    /// Files that must be written in the same run before this one is (see `Fix::requires`).
    pub(super) requires: Vec<std::path::PathBuf>,
}

/// Write every pending fix (`--fix`) in one batch ([`crate::fix::write::replace_many`]: a few disk flushes in
/// all rather than two per file), then make each outcome tell what happened: written (the findings and
/// source of the new text) or not (the old ones, plus why; the run fails).
pub fn write_pending(outcomes: &mut [FileOutcome], settings: &Settings) {
    let requires = |o: &FileOutcome| -> Vec<std::path::PathBuf> {
        o.change
            .as_ref()
            .and_then(|c| c.pending.as_ref())
            .map_or_else(Vec::new, |p| p.requires.clone())
    };
    let pending = |o: &FileOutcome| o.change.as_ref().is_some_and(|c| c.pending.is_some());
    let mut written: std::collections::HashSet<std::path::PathBuf> = Default::default();
    // a required file this run does not write may be at the new generation already (migrated since
    // phase 1 read it: by hand, or by another run): then what requires it may be written too
    let writing: std::collections::HashSet<std::path::PathBuf> = outcomes
        .iter()
        .filter(|o| pending(o))
        .map(|o| crate::index::absolute(&o.path))
        .collect();
    let mut required: Vec<std::path::PathBuf> = outcomes
        .iter()
        .flat_map(requires)
        .map(|r| crate::index::absolute(&r))
        .filter(|r| !writing.contains(r))
        .collect();
    required.sort();
    required.dedup();
    written.extend(
        required
            .into_iter()
            .filter(|r| at_new_generation(r, settings.max_file_size)),
    );
    // batches in dependency order: first what requires nothing, then what requires only what is
    // written (a dataset after its linked service, a pipeline after its dataset)
    loop {
        let ready = |o: &FileOutcome| {
            pending(o)
                && requires(o)
                    .iter()
                    .all(|r| written.contains(&crate::index::absolute(r)))
        };
        if !outcomes.iter().any(&ready) {
            break;
        }
        write_batch(outcomes, settings, &ready);
        written.extend(
            outcomes
                .iter()
                .filter(|o| o.change.as_ref().is_some_and(|c| c.written))
                .map(|o| crate::index::absolute(&o.path)),
        );
    }
    for o in outcomes.iter_mut().filter(|o| pending(o)) {
        let missing = requires(o)
            .into_iter()
            .find(|r| !written.contains(&crate::index::absolute(r)))
            .unwrap_or_default();
        o.change.as_mut().expect("pending").pending = None;
        not_written(
            o,
            settings,
            &format!(
                "they belong with the migration of `{}`, which this run did not write",
                crate::text::shown_path(&missing)
            ),
        );
    }
}

/// Does the file, now, hold its resource at the new generation: its linked services all new, or a
/// dataset of a new type (what a retyped dataset or source requires of it)?
fn at_new_generation(path: &std::path::Path, max_size: u64) -> bool {
    let mut bytes = Vec::new();
    if crate::source::read::read_into(path, max_size, Links::Refuse, &mut bytes).is_err() {
        return false;
    }
    let Ok(doc) = crate::source::document::Document::decode(bytes) else {
        return false;
    };
    let Ok(root) = doc.parse() else { return false };
    let services = crate::source::adf::linked_services(&root);
    if !services.is_empty() {
        return services
            .iter()
            .all(|l| l.version() == crate::source::adf::Version::V2);
    }
    root.get("properties")
        .and_then(|p| p.str_at("type"))
        .and_then(crate::connector::by_dataset_type)
        .is_some_and(|(_, g)| g == crate::connector::Generation::New)
}

/// The outcome's fixes were not written, and why (ADFPG105): the run fails.
fn not_written(o: &mut FileOutcome, settings: &Settings, why: &str) {
    o.failed = true;
    // the template was not migrated: its parameters file must not be either
    o.arm_renames.clear();
    let path = o.path.clone();
    let cx = FileCx::new(settings, &path);
    push_pipeline(
        &mut o.findings,
        &cx,
        "fix-not-applied",
        0..0,
        format!("fixes were not written: {why}"),
        "",
    );
}

/// Write the pending fixes of the outcomes `chosen` selects in one batch.
fn write_batch(
    outcomes: &mut [FileOutcome],
    settings: &Settings,
    chosen: &dyn Fn(&FileOutcome) -> bool,
) {
    let mut todo: Vec<(&mut FileOutcome, PendingWrite)> = outcomes
        .iter_mut()
        .filter(|o| chosen(o))
        .filter_map(|o| {
            let p = o.change.as_mut()?.pending.take()?;
            Some((o, p))
        })
        .collect();
    if todo.is_empty() {
        return;
    }
    let items: Vec<crate::fix::write::Replacement> = todo
        .iter()
        .map(|(o, p)| {
            (
                o.path.as_path(),
                p.original.as_bytes(),
                p.new_text.as_bytes(),
            )
        })
        .collect();
    let results = crate::fix::write::replace_many(&items, Links::Follow);
    drop(items);
    for ((o, p), r) in todo.iter_mut().zip(results) {
        match r {
            Ok(()) => now_holds_new_text(o, p, settings),
            Err(e) => not_written(o, settings, &e.to_string()),
        }
    }
}

/// when nothing was fixed.
pub fn deliver_pending(o: &mut FileOutcome, settings: &Settings) -> Option<String> {
    let mut p = o.change.as_mut()?.pending.take()?;
    now_holds_new_text(o, &mut p, settings);
    Some(p.new_text)
}

/// The fixed text took the file's place: the outcome reports the new text.
fn now_holds_new_text(o: &mut FileOutcome, p: &mut PendingWrite, settings: &Settings) {
    o.findings = std::mem::take(&mut p.findings);
    o.linked_services = std::mem::take(&mut p.linked_services);
    if let Some(c) = o.change.as_mut() {
        c.written = true;
        if settings.keep_source {
            o.source = Some(c.after.clone());
        }
    }
}
