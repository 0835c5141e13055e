//! The check stage: the rule catalog (`rules/*.toml`), the engine that runs a rule's check where its
//! JSONPath `given` matches, the checks themselves, the cross-file checks, suppressions, and the
//! configuration that selects rules and severities.

pub mod catalog;
mod checks;
pub mod config;
mod context;
pub mod cross_file;
mod dependents;
mod engine;
pub mod factory;
pub mod key_vault;
pub mod rule;
pub mod suppress;

pub use catalog::{Catalog, RuleError, parse_rule, render_template};
pub use context::{CheckOptions, Context};
pub use engine::check_linked_services;
pub use rule::{AppliesTo, Docs, Example, Examples, FixAvailability, Rule, Scope};
