//! Fixes as byte edits: a 1.0 linked service rewritten as 2.0 (`migrate`), the same for published ARM
//! templates and their parameters files (`arm`), and atomic replacement of the files (`write`).

pub mod arm;
mod folder;
pub mod migrate;
pub mod write;
