//! Write a realistic, deterministic ADF git factory for benchmarks:
//!
//! ```sh
//! cargo run --release --example gen_corpus -- --files 10000 --seed 1 --out /tmp/factory-10k
//! cargo run --release --example gen_corpus -- --files 10000 --v1-linked-services 2000 --out /tmp/fix-10k
//! cargo run --release --example gen_corpus -- --files 10000 --profile dense --out /tmp/dense-10k
//! ```
//!
//! `--files N` resource files in ADF git layout (`linkedService/`, `dataset/`, `pipeline/`, `trigger/`,
//! `dataflow/`), plus `.git/` with a few binary files, a `.gitignore` and the directory it ignores, and a
//! README: the kind of tree a PR lint job walks. The same seed always writes the same bytes.

mod corpus;

use clap::Parser;
use rayon::prelude::*;
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Generate a deterministic ADF git factory for benchmarks")]
struct Args {
    /// Number of resource files.
    #[arg(long, default_value_t = 1000)]
    files: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory (created; must be empty or absent).
    #[arg(long)]
    out: PathBuf,
    /// Exactly this many AzurePostgreSql 1.0 linked services (default: about 0.5% of the files).
    #[arg(long)]
    v1_linked_services: Option<usize>,
    /// `sparse`: the connector here and there (10% of the pipelines); `dense`: a factory built around
    /// PostgreSQL (90% of the pipelines, with copies, lookups and scripts on it, and 60% of the datasets).
    #[arg(long, value_enum, default_value_t = Profile::Sparse)]
    profile: Profile,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Profile {
    Sparse,
    Dense,
}

fn main() {
    let a = Args::parse();
    if a.out.exists()
        && std::fs::read_dir(&a.out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        eprintln!("error: {} exists and is not empty", a.out.display());
        std::process::exit(2);
    }
    let profile = match a.profile {
        Profile::Sparse => corpus::Profile::Sparse,
        Profile::Dense => corpus::Profile::Dense,
    };
    let plan = corpus::plan(a.files, a.seed, a.v1_linked_services, profile);
    for dir in [
        "linkedService",
        "dataset",
        "pipeline",
        "trigger",
        "dataflow",
    ] {
        std::fs::create_dir_all(a.out.join(dir)).expect("create dir");
    }
    let bytes: u64 = (0..plan.files.len())
        .into_par_iter()
        .map(|i| {
            let data = plan.render(i);
            std::fs::write(a.out.join(&plan.files[i].0), &data).expect("write file");
            data.len() as u64
        })
        .sum();
    let extra = extras(&a.out, a.seed);
    let v1 = plan
        .files
        .iter()
        .filter(|(_, k)| matches!(k, corpus::Kind::PgV1(_)))
        .count();
    eprintln!(
        "wrote {} resource files ({:.1} MB; {} AzurePostgreSql linked services, {} of them 1.0; {} AzurePostgreSqlTable datasets) + {extra} others to {}",
        plan.files.len(),
        bytes as f64 / 1e6,
        plan.pg_ls.len(),
        v1,
        plan.pg_datasets.len(),
        a.out.display()
    );
}

/// The files around the resources: `.git/` (binary, hidden: never read), `.gitignore` and what it
/// ignores, a factory file, a README. Returns how many.
fn extras(out: &std::path::Path, seed: u64) -> usize {
    let mut r = corpus::Rng::new(seed, u64::MAX - 1);
    let mut blob = |len: usize| -> Vec<u8> { (0..len).map(|_| r.next() as u8).collect() };
    let git = out.join(".git");
    std::fs::create_dir_all(git.join("objects/pack")).expect("mkdir .git");
    std::fs::create_dir_all(git.join("refs/heads")).expect("mkdir .git");
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        (git.join("HEAD"), b"ref: refs/heads/main\n".to_vec()),
        (
            git.join("config"),
            b"[core]\n\trepositoryformatversion = 0\n\tbare = false\n".to_vec(),
        ),
        (
            git.join("refs/heads/main"),
            b"0123456789abcdef0123456789abcdef01234567\n".to_vec(),
        ),
        (git.join("index"), blob(64 * 1024)),
        (git.join("objects/pack/pack-0001.pack"), blob(1024 * 1024)),
        (git.join("objects/pack/pack-0001.idx"), blob(32 * 1024)),
        (
            out.join(".gitignore"),
            b"# local scratch copies of resources\nscratch/\n*.tmp\n".to_vec(),
        ),
        (
            out.join("README.md"),
            b"# Data factory\n\nGit integration folder of the factory (AzurePostgreSql sources).\n"
                .to_vec(),
        ),
        (
            out.join("publish_config.json"),
            b"{\n\t\"publishBranch\": \"adf_publish\"\n}".to_vec(),
        ),
    ];
    std::fs::create_dir_all(out.join("scratch")).expect("mkdir scratch");
    std::fs::create_dir_all(out.join("factory")).expect("mkdir factory");
    files.push((
        out.join("factory/factory.json"),
        b"{\n\t\"name\": \"factory\",\n\t\"location\": \"westeurope\",\n\t\"properties\": {\n\t\t\"publicNetworkAccess\": \"Enabled\"\n\t}\n}".to_vec(),
    ));
    for i in 0..5 {
        // ignored by .gitignore: neither tool reads them
        let mut rr = corpus::Rng::new(seed, 1 << 40 | i);
        files.push((
            out.join(format!("scratch/PgScratch{i}.json")),
            corpus::pg_v1(&mut rr, &format!("PgScratch{i}"), i as usize),
        ));
    }
    for (p, b) in &files {
        std::fs::write(p, b).expect("write extra");
    }
    files.len()
}
