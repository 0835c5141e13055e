//! Micro-benchmarks of the per-file hot paths, on files from the corpus generator:
//!
//! ```sh
//! cargo bench --bench hot_paths            # all
//! cargo bench --bench hot_paths -- skim    # a filter
//! ```
//!
//! - `prefilter`: the `AzurePostgreS` memmem over file bytes (every file pays it);
//! - `skim`: the validating fast path for files that only mention the type in passing;
//! - `load`: `Document::decode` + `parse` into the located tree (files that hold a linked service);
//! - `rules`: `check_linked_services` on a parsed linked service (the whole catalogue);
//! - `process`: `lint::process` on one file on disk: read, prefilter, skim or parse, rules;
//! - `fix`: `lint::process` computing the 1.0 → 2.0 migration (edits, apply, re-parse, re-lint, mask);
//! - `fix/write_*`: the atomic replacement of one file, and of 100 in one batch as `--fix` does.

#[path = "../examples/gen_corpus/corpus.rs"]
mod corpus;

use adfpg_migrate::document::Document;
use adfpg_migrate::lint::{self, FixMode, Settings};
use adfpg_migrate::rules::CheckOptions;
use adfpg_migrate::rules::{Catalog, check_linked_services};
use adfpg_migrate::skim::{Scratch, Skim, skim};
use corpus::Rng;
use divan::Bencher;
use divan::counter::BytesCount;
use std::path::PathBuf;
use std::sync::LazyLock;

fn main() {
    divan::main();
}

struct Inputs {
    /// A pipeline of 300 activities with AzurePostgreSqlSource/Sink (≈ 300 KB): passes the prefilter.
    big_pipeline: Vec<u8>,
    /// A 40-activity pipeline of the dense profile, laid out with 4 spaces.
    dense_pipeline: Vec<u8>,
    /// A 10-activity pipeline without PostgreSQL: fails the prefilter.
    small_pipeline: Vec<u8>,
    /// An AzurePostgreSqlTable dataset.
    pg_dataset: Vec<u8>,
    /// 1.0 linked services, one per form the generator knows.
    v1: Vec<Vec<u8>>,
    v2: Vec<u8>,
    /// 500 files of a generated factory, in memory.
    factory: Vec<Vec<u8>>,
    dir: tempfile::TempDir,
}

impl Inputs {
    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

static IN: LazyLock<Inputs> = LazyLock::new(|| {
    let mut r = Rng::new(7, 0);
    let ds = vec!["DS_PG_orders".to_string()];
    let ls = vec!["PgV1_sales".to_string()];
    let refs = corpus::PgRefs {
        datasets: &ds,
        linked_services: &ls,
        dense: false,
    };
    let big_pipeline = corpus::pipeline(&mut r, "PL_big", 300, Some(&refs));
    let small_pipeline = corpus::pipeline(&mut r, "PL_small", 10, None);
    let dense_refs = corpus::PgRefs {
        dense: true,
        ..refs
    };
    // the first that the generator laid out with 4 spaces (no BOM): the whitespace the skim skips
    let dense_pipeline = (0..)
        .map(|i| corpus::pipeline(&mut r, &format!("PL_dense_{i}"), 40, Some(&dense_refs)))
        .find(|p| p.starts_with(b"{\n    \"") || p.starts_with(b"{\r\n    \""))
        .expect("some pipeline has 4 spaces");
    let pg_dataset = corpus::dataset(&mut r, "DS_PG_orders", Some("PgV1_sales"));
    let v1: Vec<_> = (0..corpus::V1_FORMS)
        .map(|f| corpus::pg_v1(&mut r, &format!("PgV1_{f}"), f))
        .collect();
    let v2 = corpus::pg_v2(&mut r, "PgV2", 0);
    let plan = corpus::plan(500, 1, None, corpus::Profile::Sparse);
    let factory = (0..plan.files.len()).map(|i| plan.render(i)).collect();
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, b: &[u8]| std::fs::write(dir.path().join(name), b).expect("write");
    write("big_pipeline.json", &big_pipeline);
    write("small_pipeline.json", &small_pipeline);
    write("pg_dataset.json", &pg_dataset);
    write("v2.json", &v2);
    for (f, b) in v1.iter().enumerate() {
        write(&format!("v1_{f}.json"), b);
    }
    Inputs {
        big_pipeline,
        dense_pipeline,
        small_pipeline,
        pg_dataset,
        v1,
        v2,
        factory,
        dir,
    }
});

static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::builtin);

fn lint_settings() -> Settings {
    Settings::builtin()
}

fn fix_settings() -> Settings {
    let mut s = Settings::builtin();
    s.fix = FixMode::Apply { unsafe_fixes: true };
    s.unsafe_fixes = true;
    s
}

const V1_FORMS: &[usize] = &[0, 1, 2, 3, 4, 5, 6, 7];

mod prefilter {
    use super::*;
    use memchr::memmem;

    /// Every byte of a 500-file factory.
    #[divan::bench]
    fn factory_500_files(b: Bencher) {
        let finder = memmem::Finder::new(lint::NEEDLE);
        let total: usize = IN.factory.iter().map(Vec::len).sum();
        b.counter(BytesCount::new(total)).bench(|| {
            IN.factory
                .iter()
                .filter(|f| finder.find(f).is_some())
                .count()
        });
    }

    #[divan::bench]
    fn small_pipeline_miss(b: Bencher) {
        let f = &IN.small_pipeline;
        b.counter(BytesCount::of_slice(f))
            .bench(|| memmem::find(divan::black_box(f), lint::NEEDLE));
    }
}

mod skim_path {
    use super::*;

    /// Its copy sources and sinks become fragments, checked on their own.
    #[divan::bench]
    fn big_pipeline(b: Bencher) {
        let text = std::str::from_utf8(&IN.big_pipeline).expect("utf-8");
        let mut scratch = Scratch::default();
        b.counter(BytesCount::of_str(text)).bench_local(|| {
            assert_eq!(skim(divan::black_box(text), &mut scratch), Skim::Fragments);
        });
    }

    /// A pipeline of the dense profile: copies, lookups and scripts on PostgreSQL, 4-space indented.
    #[divan::bench]
    fn dense_pipeline(b: Bencher) {
        let text = std::str::from_utf8(&IN.dense_pipeline).expect("utf-8");
        let mut scratch = Scratch::default();
        b.counter(BytesCount::of_str(text)).bench_local(|| {
            assert_eq!(skim(divan::black_box(text), &mut scratch), Skim::Fragments);
        });
    }

    /// A dataset of the connector: the skim gives up at its type (the full pipeline checks it).
    #[divan::bench]
    fn pg_dataset(b: Bencher) {
        let text = std::str::from_utf8(&IN.pg_dataset).expect("utf-8");
        let mut scratch = Scratch::default();
        b.counter(BytesCount::of_str(text)).bench_local(|| {
            assert_eq!(skim(divan::black_box(text), &mut scratch), Skim::NeedsParse);
        });
    }
}

mod load {
    use super::*;

    /// What the fast path avoids: the located tree of a big pipeline.
    #[divan::bench]
    fn big_pipeline(b: Bencher) {
        b.counter(BytesCount::of_slice(&IN.big_pipeline))
            .with_inputs(|| IN.big_pipeline.clone())
            .bench_values(|bytes| {
                Document::decode(bytes)
                    .expect("utf-8")
                    .parse()
                    .expect("json")
            });
    }

    #[divan::bench(args = V1_FORMS)]
    fn linked_service_v1(b: Bencher, form: usize) {
        let f = &IN.v1[form];
        b.counter(BytesCount::of_slice(f))
            .with_inputs(|| f.clone())
            .bench_values(|bytes| {
                Document::decode(bytes)
                    .expect("utf-8")
                    .parse()
                    .expect("json")
            });
    }
}

mod rules {
    use super::*;

    fn run(bytes: &[u8], b: Bencher) {
        let doc = Document::decode(bytes.to_vec()).expect("utf-8");
        let root = doc.parse().expect("json");
        let layout = doc.layout();
        let opts = CheckOptions::default();
        b.bench(|| {
            let services = adfpg_migrate::adf::linked_services(&root);
            check_linked_services(&CATALOG, &doc.text, &root, &layout, &services, &opts)
        });
    }

    /// All rules on one 1.0 linked service (including building the migration fix).
    #[divan::bench(args = V1_FORMS)]
    fn linked_service_v1(b: Bencher, form: usize) {
        run(&IN.v1[form], b);
    }

    #[divan::bench]
    fn linked_service_v2(b: Bencher) {
        run(&IN.v2, b);
    }
}

mod process {
    use super::*;

    /// One file end to end (read from the page cache, prefilter, skim or parse, rules).
    #[divan::bench(args = ["small_pipeline.json", "big_pipeline.json", "pg_dataset.json", "v1_0.json", "v2.json"])]
    fn lint_file(b: Bencher, name: &str) {
        let settings = lint_settings();
        let path = IN.path(name);
        b.bench(|| lint::process(&path, &settings));
    }
}

mod fix {
    use super::*;

    /// The whole fix of one 1.0 linked service, without writing: migration edits, apply, re-parse and
    /// re-lint until settled, masked before/after texts.
    #[divan::bench(args = V1_FORMS)]
    fn migrate_linked_service(b: Bencher, form: usize) {
        let settings = fix_settings();
        let path = IN.path(&format!("v1_{form}.json"));
        b.bench(|| {
            let o = lint::process(&path, &settings);
            debug_assert!(o.change.is_some() || form == 4);
            o
        });
    }

    /// Writing one fixed file atomically (temp file, fsync, compare, rename, directory fsync); flips
    /// between the 1.0 and 2.0 texts.
    #[divan::bench(sample_count = 50, sample_size = 1)]
    fn write_atomically(b: Bencher) {
        let settings = fix_settings();
        let path = IN.path("write_target.json");
        std::fs::write(&path, &IN.v1[0]).expect("write");
        let o = lint::process(&path, &settings);
        let c = o.change.expect("a 1.0 linked service changes");
        // the unmasked new text: fix again from the file, the masked texts are for display only
        let before = IN.v1[0].clone();
        let after = {
            let mut s = settings.clone();
            s.write = true;
            let mut outcomes = vec![lint::process(&path, &s)];
            lint::write_pending(&mut outcomes, &s);
            std::fs::read(&path).expect("read")
        };
        assert_ne!(before, after, "{}", c.after);
        let mut state = true;
        b.bench_local(|| {
            let (from, to) = if state {
                (&after, &before)
            } else {
                (&before, &after)
            };
            adfpg_migrate::write::replace_atomically(
                &path,
                from,
                to,
                adfpg_migrate::write::Links::Follow,
            )
            .expect("replace");
            state = !state;
        });
    }

    /// What `--fix` does for 100 changed files: one batch (temp files, flushed together, renamed).
    #[divan::bench(sample_count = 20, sample_size = 1)]
    fn write_batch_of_100(b: Bencher) {
        let dir = IN.path("batch");
        std::fs::create_dir_all(&dir).expect("mkdir");
        let before = b"{\"a\": 1}".to_vec();
        let after = b"{\"a\": 2}".to_vec();
        let paths: Vec<PathBuf> = (0..100).map(|i| dir.join(format!("{i}.json"))).collect();
        for p in &paths {
            std::fs::write(p, &before).expect("write");
        }
        let mut state = true;
        b.bench_local(|| {
            let (from, to) = if state {
                (&before, &after)
            } else {
                (&after, &before)
            };
            let items: Vec<adfpg_migrate::write::Replacement> = paths
                .iter()
                .map(|p| (p.as_path(), from.as_slice(), to.as_slice()))
                .collect();
            let results =
                adfpg_migrate::write::replace_many(&items, adfpg_migrate::write::Links::Follow);
            assert!(results.iter().all(Result::is_ok));
            state = !state;
        });
    }
}
