//! The skim (the lint fast path) may only skip work: whenever it calls a text clean, the full parser must
//! accept it, find no duplicate key and no AzurePostgreSql linked service. Checked on every fixture file
//! and on thousands of damaged variants of them, and on generated factories of both benchmark profiles
//! (`examples/gen_corpus`), the dense one built around PostgreSQL copies, lookups and scripts.

#[path = "../examples/gen_corpus/corpus.rs"]
mod corpus;

use adfpg_migrate::document::Document;
use adfpg_migrate::json::{Kind, Node};
use adfpg_migrate::skim::{Scratch, Skim, skim};
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "json") {
            out.push(p);
        }
    }
}

fn has_duplicates(n: &Node) -> bool {
    match &n.kind {
        Kind::Object(m) => {
            let mut keys: Vec<&str> = m.iter().map(|m| m.key.as_str()).collect();
            keys.sort_unstable();
            keys.windows(2).any(|w| w[0] == w[1]) || m.iter().any(|m| has_duplicates(&m.value))
        }
        Kind::Array(items) => items.iter().any(has_duplicates),
        _ => false,
    }
}

/// Panics when the skim says clean but the full pipeline would have something to say.
fn check(bytes: &[u8], what: &str, scratch: &mut Scratch) -> Skim {
    let Ok((text, body)) = Document::decode_borrowed(bytes) else {
        return Skim::NeedsParse;
    };
    let verdict = skim(&text[body..], scratch);
    if verdict == Skim::Clean {
        let doc = Document::decode(bytes.to_vec()).unwrap();
        let root = doc
            .parse()
            .unwrap_or_else(|e| panic!("{what}: skim said clean, parser says {e:?}"));
        assert!(!has_duplicates(&root), "{what}: duplicate keys missed");
        assert!(
            adfpg_migrate::adf::linked_services(&root).is_empty(),
            "{what}: linked service missed"
        );
    }
    verdict
}

#[test]
fn skim_never_hides_what_the_parser_reports() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    assert!(all.len() > 50, "{}", all.len());
    let mut scratch = Scratch::default();
    let (mut clean, mut variants) = (0, 0);
    for p in &all {
        let bytes = std::fs::read(p).unwrap();
        let name = p.display().to_string();
        if check(&bytes, &name, &mut scratch) == Skim::Clean {
            clean += 1;
        }
        // damaged copies: truncations, and single bytes replaced by JSON's structural characters
        let step = (bytes.len() / 12).max(1);
        for i in (0..bytes.len()).step_by(step) {
            variants += 1;
            check(&bytes[..i], &format!("{name} cut at {i}"), &mut scratch);
            for c in [b'"', b'\\', b'}', 0x01] {
                let mut b = bytes.clone();
                b[i] = c;
                check(&b, &format!("{name} byte {i} = {c:#x}"), &mut scratch);
            }
        }
    }
    // the fixtures hold pipelines, datasets and ARM templates the skim clears, not only linked services
    assert!(clean > 10, "{clean} clean files");
    assert!(variants > 1000, "{variants}");
}

/// The whole per-file pipeline gives the same findings (codes, spans, messages, fixes) with the skim and
/// its copy-object fragments as without them, on every fixture file.
#[test]
fn the_fast_path_changes_no_finding() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut all = Vec::new();
    files(&root, &mut all);
    let (with_findings, fixed) = same_with_and_without_skim(&all);
    assert!(fixed > 10, "{fixed}");
    assert!(with_findings > 20, "{with_findings}");
}

/// The same on generated factories, sparse and dense: pipelines full of PostgreSQL copy sources and
/// sinks (some with the older sink spelling, which has a fix), lookups and scripts, the connector's
/// datasets and 1.0 linked services in every form the generator knows. Their damaged variants too.
#[test]
fn the_fast_path_changes_no_finding_on_generated_factories() {
    for profile in [corpus::Profile::Sparse, corpus::Profile::Dense] {
        let plan = corpus::plan(300, 5, Some(16), profile);
        let dir = tempfile::tempdir().unwrap();
        let mut all = Vec::new();
        let mut scratch = Scratch::default();
        let mut fragments = 0;
        for i in 0..plan.files.len() {
            let path = dir.path().join(&plan.files[i].0);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let bytes = plan.render(i);
            let name = path.display().to_string();
            if check(&bytes, &name, &mut scratch) == Skim::Fragments {
                fragments += 1;
                // damaged copies of the files the fast path checks by fragments
                if fragments % 10 == 0 {
                    let step = (bytes.len() / 8).max(1);
                    for at in (0..bytes.len()).step_by(step) {
                        check(&bytes[..at], &format!("{name} cut at {at}"), &mut scratch);
                        let mut b = bytes.clone();
                        b[at] = b'"';
                        check(&b, &format!("{name} byte {at}"), &mut scratch);
                    }
                }
            }
            std::fs::write(&path, bytes).unwrap();
            all.push(path);
        }
        let (with_findings, fixed) = same_with_and_without_skim(&all);
        // the fast path ran, on files that have findings and fixes
        let pipelines = plan
            .files
            .iter()
            .filter(|(_, k)| matches!(k, corpus::Kind::Pipeline { pg: true }))
            .count();
        assert!(
            fragments * 10 >= pipelines * 8,
            "{profile:?}: {fragments} of {pipelines}"
        );
        assert!(with_findings > 20, "{profile:?}: {with_findings}");
        assert!(fixed > 20, "{profile:?}: {fixed}");
    }
}

/// Assert that every file gets the same findings and the same fixed text with the fast path as without
/// it; return how many had findings and how many a fix changed.
fn same_with_and_without_skim(all: &[PathBuf]) -> (usize, usize) {
    use adfpg_migrate::lint::{Settings, process};
    let fast = Settings::builtin();
    let mut slow = Settings::builtin();
    slow.use_skim = false;
    let mut with_findings = 0;
    let mut fast_fix = Settings::builtin();
    fast_fix.fix = adfpg_migrate::lint::FixMode::Apply { unsafe_fixes: true };
    fast_fix.unsafe_fixes = true;
    let mut slow_fix = fast_fix.clone();
    slow_fix.use_skim = false;
    let mut fixed = 0;
    for p in all {
        let (a, b) = (process(p, &fast), process(p, &slow));
        let key = |o: &adfpg_migrate::lint::FileOutcome| {
            o.findings
                .iter()
                .map(|f| {
                    (
                        f.code.clone(),
                        f.span.clone(),
                        f.start,
                        f.end,
                        f.message.clone(),
                        f.pointer.clone(),
                        f.fix.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b), "{}", p.display());
        with_findings += usize::from(!a.findings.is_empty());
        // and the same fixed text (what --diff shows and --fix writes)
        let (a, b) = (process(p, &fast_fix), process(p, &slow_fix));
        let after =
            |o: &adfpg_migrate::lint::FileOutcome| o.change.as_ref().map(|c| c.after.clone());
        assert_eq!(after(&a), after(&b), "{} fixed", p.display());
        if a.change.is_some() {
            fixed += 1;
            // written (a copy alone in a new folder, the same for both paths): the same bytes on
            // disk and the same findings left in them
            let written = |settings: &Settings| {
                let dir = tempfile::tempdir().unwrap();
                let copy = dir.path().join(p.file_name().unwrap());
                std::fs::copy(p, &copy).unwrap();
                let mut settings = settings.clone();
                settings.write = true;
                let mut out = vec![process(&copy, &settings)];
                adfpg_migrate::lint::write_pending(&mut out, &settings);
                let written = out[0].change.as_ref().is_some_and(|c| c.written);
                (
                    written,
                    std::fs::read_to_string(&copy).unwrap(),
                    key(&out[0]),
                )
            };
            assert_eq!(
                written(&fast_fix),
                written(&slow_fix),
                "{} written",
                p.display()
            );
        }
    }
    (with_findings, fixed)
}

/// A pipeline whose first copy sink has a fix and whose later copy objects keep findings without one:
/// after the fix, those findings are the same (spans, lines, pointers) as a full parse of the new text
/// finds.
#[test]
fn findings_of_objects_a_fix_did_not_change_stay_in_place() {
    let activity = |name: &str, source: &str, sink: &str| {
        format!(
            r#"{{"name": "{name}", "type": "Copy", "typeProperties": {{"source": {source}, "sink": {sink}}}}}"#
        )
    };
    let text = format!(
        "{{\n  \"name\": \"p\",\n  \"properties\": {{\n    \"activities\": [\n      {},\n      {},\n      {}\n    ]\n  }}\n}}\n",
        activity(
            "old sink",
            r#"{"type": "DelimitedTextSource"}"#,
            r#"{"type": "AzurePostgreSQLSink", "writeMethod": "BulkInsert"}"#
        ),
        activity(
            "bad timeout",
            r#"{"type": "AzurePostgreSqlSource", "queryTimeout": "120"}"#,
            r#"{"type": "ParquetSink"}"#
        ),
        activity(
            "bad method",
            r#"{"type": "DelimitedTextSource"}"#,
            r#"{"type": "AzurePostgreSqlSink", "writeMethod": "Merge"}"#
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pipeline").join("p.json");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, &text).unwrap();
    assert_eq!(same_with_and_without_skim(std::slice::from_ref(&p)), (1, 1));
    // and the fast path did take it: its copy objects are fragments
    let mut scratch = Scratch::default();
    assert_eq!(
        check(text.as_bytes(), "p.json", &mut scratch),
        Skim::Fragments
    );
    // what --fix leaves: the two findings without a fix, where they are
    use adfpg_migrate::lint::{FixMode, Settings, process, write_pending};
    let mut settings = Settings::builtin();
    settings.fix = FixMode::Apply {
        unsafe_fixes: false,
    };
    settings.write = true;
    let mut out = vec![process(&p, &settings)];
    write_pending(&mut out, &settings);
    let left: Vec<(&str, &str, usize)> = out[0]
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.pointer.as_str(), f.start.0))
        .collect();
    assert_eq!(
        left,
        vec![
            (
                "ADFPG044",
                "/properties/activities/1/typeProperties/source/queryTimeout",
                6
            ),
            (
                "ADFPG041",
                "/properties/activities/2/typeProperties/sink/writeMethod",
                7
            ),
        ]
    );
    assert!(
        std::fs::read_to_string(&p)
            .unwrap()
            .contains("\"AzurePostgreSqlSink\", \"writeMethod\": \"BulkInsert\"")
    );
}
