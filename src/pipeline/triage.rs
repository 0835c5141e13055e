//! Read a file and triage it: the memchr prefilter, then the skim, decide how much of the pipeline it
//! needs (nothing, its copy objects alone, or a full parse).

use super::fragments::fragment_findings;
use super::{FileCx, FileOutcome, FixMode, NEEDLE, SCRATCH, push_pipeline};
use crate::finding::Finding;
use crate::index::{self, Index};
use crate::source::document::Document;
use crate::source::read::{self, Links, ReadError};
use crate::source::skim;
use memchr::memmem;
use std::path::Path;

/// Built once: building a memmem searcher costs more than searching a small file.
static FINDER: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(NEEDLE));

/// What the cheap look at a file decided.
pub(super) enum Triage {
    /// Nothing in it can concern the connector (`relevant` stays false), or the skim proved the full
    /// pipeline would report nothing (`relevant` becomes true: the file counts as parsed).
    Done,
    /// Only copy sources and sinks concern the connector: their findings, from their objects alone, and
    /// the file's text when a fix or a source snippet will need it.
    Fragments {
        findings: Vec<Finding>,
        text: Option<String>,
        /// The copy objects, when a fix may change them.
        fragments: Option<skim::Fragments>,
    },
    /// Run the full pipeline on these bytes.
    Parse(Vec<u8>),
}

/// Read a file and decide how much of the pipeline it needs. The read buffer is reused, so files that
/// need nothing allocate nothing; a file to parse takes the buffer with it (rather than a copy). `given`:
/// the file's bytes, already read whole (standard input), decided on without reading.
pub(super) fn triage(
    path: &Path,
    cx: &FileCx,
    given: Option<Vec<u8>>,
    relevant: &mut bool,
) -> Result<Triage, ReadError> {
    let settings = cx.s;
    SCRATCH.with_borrow_mut(|(buf, chunk, scratch)| {
        // the custom ARM parameterisation file names no connector type but matters when there is one
        let parameterization = (!settings.index.pg_names.is_empty()
            || settings.index.pg_in_templates)
            && crate::check::cross_file::parameterization_section(path).is_some();
        // only the plan reads references, so only it needs pipelines that name PostgreSQL resources
        // the plan reads references; a factory with a legacy connector's linked services also needs the
        // datasets and pipelines that name them (a generic RelationalTable or RelationalSource, ADFPG063)
        let names_matter = (settings.collect_references || settings.index.retyped)
            && matches!(
                index::folder_kind(path),
                Some("pipeline" | "dataflow" | "dataset")
            );
        // `process` gets the paths the walk found as regular files
        let mut mentions = false;
        let read = if let Some(bytes) = given {
            *buf = bytes;
            Ok(true)
        } else if parameterization || names_matter {
            read::read_into(path, settings.max_file_size, Links::Walked, buf).map(|()| true)
        } else {
            // most files are passed over on their bytes alone: a big one is not even held whole
            let mut first = true;
            read::read_into_if(
                path,
                settings.max_file_size,
                Links::Walked,
                buf,
                chunk,
                NEEDLE.len() - 1,
                |w| {
                    mentions = FINDER.find(w).is_some();
                    mentions || (std::mem::replace(&mut first, false) && might_be_relevant(w))
                },
            )
        };
        let r = read.map(|whole| {
            if !whole {
                return Triage::Done;
            }
            let named = names_matter && mentions_pg_resource(path, buf, &settings.index);
            // searched again only when what was read whole was not read for the needle
            let mentions = mentions || FINDER.find(buf).is_some();
            if !(might_be_relevant(buf) || parameterization || named || mentions) {
                return Triage::Done;
            }
            *relevant = true;
            if !mentions || named || parameterization || !settings.use_skim {
                return Triage::Parse(std::mem::take(buf));
            }
            match Document::decode_borrowed(buf) {
                Ok((text, body)) => match skim::skim(&text[body..], scratch) {
                    skim::Skim::Clean => Triage::Done,
                    skim::Skim::Fragments => {
                        let fragments = scratch.fragments();
                        match fragment_findings(path, cx, text, body, fragments) {
                            Some(findings) => {
                                // the file's text, only when a fix or a source snippet will need it
                                let needs_text = !findings.is_empty()
                                    && (settings.keep_source || settings.fix != FixMode::Off);
                                Triage::Fragments {
                                    text: needs_text.then(|| text.to_string()),
                                    fragments: (needs_text && settings.fix != FixMode::Off)
                                        .then(|| fragments.clone()),
                                    findings,
                                }
                            }
                            None => Triage::Parse(std::mem::take(buf)),
                        }
                    }
                    skim::Skim::NeedsParse => Triage::Parse(std::mem::take(buf)),
                },
                Err(_) => Triage::Parse(std::mem::take(buf)),
            }
        });
        // one huge file must not pin its buffer for the rest of the run
        if buf.capacity() > 8 << 20 {
            *buf = Vec::new();
        }
        r
    })
}

/// Could a file starting with `head` (its first chunk, or all of it) be relevant without naming the
/// connector? A UTF-16 one (reported as such), or a blank one (never valid JSON: often a truncated
/// linked service); a blank file's first chunk is blank too, so a file whose is not is decided on the
/// needle alone.
fn might_be_relevant(head: &[u8]) -> bool {
    head.starts_with(&[0xFF, 0xFE])
        || head.starts_with(&[0xFE, 0xFF])
        || head
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(head)
            .iter()
            .all(u8::is_ascii_whitespace)
}

/// Pipelines and data flows name linked services and datasets only by name (Script activities,
/// data-flow sources): the second prefilter looks for the names of the PostgreSQL ones.
fn mentions_pg_resource(path: &Path, bytes: &[u8], index: &Index) -> bool {
    matches!(
        index::folder_kind(path),
        Some("pipeline" | "dataflow" | "dataset")
    ) && index.mentions_pg_name(bytes)
}

/// A file that could not be read: over `--max-file-size` (ADFPG103) or an I/O error (ADFPG104, the run
/// fails).
pub(super) fn unreadable(out: &mut FileOutcome, cx: &FileCx, e: ReadError) {
    out.relevant = true;
    match e {
        ReadError::TooLarge(size) => {
            let msg = format!(
                "file is {} MiB, over the {} MiB limit (--max-file-size); it was not checked",
                size / (1024 * 1024),
                cx.s.max_file_size / (1024 * 1024)
            );
            push_pipeline(&mut out.findings, cx, "file-too-large", 0..0, msg, "");
        }
        ReadError::Io(e) => {
            out.failed = true;
            push_pipeline(
                &mut out.findings,
                cx,
                "io-error",
                0..0,
                format!("cannot read file: {e}"),
                "",
            );
        }
    }
}
