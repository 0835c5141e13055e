//! Reading a factory's files: the bounded reader, bytes to text, the located JSON tree, the fast skim that
//! clears most files without one, typed views of linked services, and 1.0 connection strings.

pub mod adf;
pub mod connstr;
pub mod document;
pub mod json;
pub mod read;
pub mod scan;
pub mod skim;
