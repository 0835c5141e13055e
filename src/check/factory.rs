//! What a check over the whole factory sees (`cross_file`, `dependents`): the catalog, the index, the file.

use crate::source::document::Layout;
use crate::source::json::PathStep;

pub struct FactoryCx<'a> {
    pub catalog: &'a crate::check::catalog::Catalog,
    pub index: &'a crate::index::Index,
    pub path: &'a std::path::Path,
    pub text: &'a str,
    /// The text's layout, worked out on first use (copy-object checks never need it).
    pub layout: std::cell::OnceCell<Layout>,
}

impl FactoryCx<'_> {
    /// A finding of the rule whose check is `check`, at the JSON path `path`.
    pub(crate) fn finding(
        &self,
        check: &str,
        node_span: std::ops::Range<usize>,
        path: &[PathStep],
        args: &[(&str, String)],
    ) -> Option<crate::finding::Finding> {
        let mut f = self.catalog.finding(check, node_span, args)?;
        f.pointer = crate::source::json::pointer(path);
        Some(f)
    }

    pub(crate) fn layout(&self) -> &Layout {
        self.layout
            .get_or_init(|| crate::source::document::layout_of(self.text))
    }

    pub(crate) fn factory(&self) -> &crate::index::Factory {
        self.index.factory_of(self.path)
    }
}
