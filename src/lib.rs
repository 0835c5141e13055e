//! adfpg-migrate: find, lint and migrate Azure Data Factory / Synapse PostgreSQL linked services
//! (`AzurePostgreSql` 1.0 → 2.0, legacy `PostgreSql` → `PostgreSqlV2`).
//!
//! The folders follow the data (see docs/architecture.md): `discover` finds the files; per file, in
//! parallel, `pipeline` reads them through `source` (bounded read, text, located JSON, linked-service
//! views), runs `check` (the rules, with the phase-1 `index` of the whole factory), applies `fix` edits and
//! writes them; `report` renders the run. `connect` is the `test-connection` subcommand; `app` wires the phases of
//! a run and `cli` maps the command line to it. Below every stage: `finding` (findings and edits), `mask` (secrets and control characters out of
//! every output) and `text` (paths and log-safe text). Each module imports only from the ones before it.

pub mod app;
pub mod check;
pub mod cli;
pub mod connect;
pub mod connector;
pub mod discover;
pub mod finding;
pub mod fix;
pub mod index;
pub mod mask;
pub mod pipeline;
pub mod report;
pub mod source;
pub mod text;

// The public facade: the paths tests, benches and fuzz targets have always named, kept whatever folder
// now holds the code.
pub use check::config;
pub use fix::write;
pub use report::docs;
pub use source::{adf, connstr, document, json, skim};
pub use {check as rules, index as factory, pipeline as lint};
