//! adfpg-migrate: find, lint and migrate Azure Data Factory / Synapse `AzurePostgreSql` linked services.
//!
//! Data flows: `discover` (paths → files) → `lint::process` per file in parallel (read, prefilter, decode,
//! `json` parse with spans, `adf` views, `rules` checks, `migrate` fixes as byte edits, `write`) →
//! `report` renderers. See docs/architecture.md.

pub mod adf;
pub mod arm;
pub mod baseline;
pub mod cli;
pub mod config;
pub mod connect;
pub mod connstr;
pub mod discover;
pub mod docs;
pub mod document;
pub mod factory;
pub mod finding;
pub mod json;
pub mod key_vault;
pub mod lint;
pub mod mask;
pub mod migrate;
pub mod output;
pub mod plan;
pub mod precommit;
pub mod read;
pub mod report;
pub mod rules;
pub mod skim;
pub mod suppress;
pub mod text;
pub mod write;
