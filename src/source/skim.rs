//! A validating skim of a JSON text that builds no tree and allocates nothing per value: it answers
//! "would the full pipeline (`json::parse`, duplicate keys, every rule) find nothing here?" in one pass
//! over the bytes.
//!
//! Many files that pass the `PostgreS` prefilter only mention the connector in passing: a query, a
//! description, an activity name. For those the full pipeline builds a located tree (an allocation per
//! key and string) only to find valid JSON with no duplicate key and nothing of the connector. The skim
//! proves exactly that; whenever it cannot (invalid JSON, a duplicate key, an escaped key, a string value
//! naming a connector type — a linked service, dataset, copy source or sink, which rules look at —
//! nesting deeper than the parser allows) it says [`Skim::NeedsParse`] and the caller runs the full
//! pipeline, which then produces the findings with their exact messages and spans. So the skim can only
//! skip work, never change a result. (Pipelines and data flows that name a PostgreSQL linked service or
//! dataset are never skimmed: the caller parses them for their references.)

use crate::source::json::MAX_DEPTH;
use crate::source::scan;

/// What every AzurePostgreSql type name starts with (`AzurePostgreSql`, `…Table`, `…Source`, `…Sink`,
/// and the older `AzurePostgreSQLSink`, which case variants of the names also match).
const CONNECTOR_PREFIX: &[u8] = b"AzurePostgreS";

/// What every other connector's type name starts with (`PostgreSql`, `PostgreSqlV2Table` …); those are
/// matched whole, so that prose ("PostgreSQL server") is no type.
const OTHER_PREFIX: &[u8] = b"PostgreS";

/// Every type name of the connectors that does not start with [`CONNECTOR_PREFIX`].
static OTHER_TYPES: std::sync::LazyLock<Vec<&'static [u8]>> = std::sync::LazyLock::new(|| {
    let mut v: Vec<&[u8]> = crate::connector::type_names()
        .map(str::as_bytes)
        .filter(|n| !n.starts_with(CONNECTOR_PREFIX))
        .collect();
    v.sort_unstable();
    v.dedup();
    v
});

/// Does a string value (without escapes) name a type of a connector?
fn names_type(value: &[u8]) -> bool {
    value.starts_with(CONNECTOR_PREFIX) || OTHER_TYPES.contains(&value)
}

/// Is a string value the `properties.type` of a linked service of one of the connectors?
fn is_linked_service_type(value: &[u8]) -> bool {
    crate::connector::ALL
        .iter()
        .any(|c| c.ls_types.iter().any(|t| t.as_bytes() == value))
}

/// Could an escaped string decode to a type name? Only if it starts with `A`, `P` or an escape and has
/// an escape within the bytes that could spell the prefix.
fn may_hide_prefix(raw: &[u8]) -> bool {
    let head = &raw[..raw.len().min(6 * CONNECTOR_PREFIX.len())];
    matches!(raw.first(), Some(b'A' | b'P' | b'\\')) && head.contains(&b'\\')
}

/// The copy source and sink types whose rules (ADFPG040–044) read only the object: objects of these types
/// are checked on their own (see `Fragments`). Another connector's source (a legacy one is retyped with
/// its dataset) makes the whole file parsed.
const COPY_TYPES: [&[u8]; 3] = [
    b"AzurePostgreSqlSource",
    b"AzurePostgreSqlSink",
    b"AzurePostgreSQLSink",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skim {
    /// Valid JSON (as `json::parse` accepts it), no object with a duplicate key, and nothing of the
    /// connector: the full pipeline would report nothing.
    Clean,
    /// As `Clean`, except for copy sources and sinks of the connector, which rules read: their objects
    /// are listed in [`Scratch::fragments`] (byte ranges and JSON paths) and only they need parsing.
    Fragments,
    /// Anything else: run the full pipeline.
    NeedsParse,
}

/// A copy source or sink object inside an otherwise clean file.
#[derive(Debug, Clone, PartialEq)]
pub struct Fragment {
    /// Byte range of the object in the skimmed text.
    pub range: std::ops::Range<usize>,
    /// Its steps from the root, in [`Fragments::path`]'s terms (kept raw: most fragments report
    /// nothing, so their paths are never spelled out).
    steps: std::ops::Range<usize>,
    /// How many objects and arrays enclose it.
    depth: usize,
}

/// The copy sources and sinks of a skim, in text order (nested ones after the one holding them).
#[derive(Debug, Clone, Default)]
pub struct Fragments {
    list: Vec<Fragment>,
    /// The steps of every fragment's path, one after the other.
    steps: Vec<Via>,
}

impl Fragment {
    /// How many objects and arrays enclose it.
    pub fn depth(&self) -> usize {
        self.depth
    }
}

impl Fragments {
    pub fn list(&self) -> &[Fragment] {
        &self.list
    }

    /// A fragment's path from the root; `text` is the text the skim read.
    pub fn path(&self, text: &str, f: &Fragment) -> Vec<crate::source::json::PathStep> {
        use crate::source::json::PathStep;
        self.steps[f.steps.clone()]
            .iter()
            .map(|via| match *via {
                // keys with escapes never reach a fragment (the skim gives up on them), so the raw
                // bytes are the key
                Via::Key(a, b) => PathStep::Key(text[a as usize..b as usize].to_string()),
                Via::Index(i) => PathStep::Index(i as usize),
                Via::Root => PathStep::Index(0),
            })
            .collect()
    }

    /// The fragments of the text that `edits` (ranges in the skimmed text, each with the length of
    /// its replacement; sorted, not overlapping) make, and which of them the edits changed. None when
    /// an edit is not strictly inside a fragment: then only a new skim can tell. (Paths stay as they
    /// were: a fragment's keys and array positions are outside the edits.)
    pub fn after_edits(
        &self,
        edits: &[(std::ops::Range<usize>, usize)],
    ) -> Option<(Fragments, Vec<bool>)> {
        let inside = |e: &std::ops::Range<usize>, f: &Fragment| {
            f.range.start < e.start && e.end < f.range.end
        };
        if !edits
            .iter()
            .all(|(e, _)| self.list.iter().any(|f| inside(e, f)))
        {
            return None;
        }
        // where a position of the old text is in the new one
        let moved = |at: usize| -> usize {
            let mut to = at as isize;
            for (e, len) in edits.iter().take_while(|(e, _)| e.end <= at) {
                to += *len as isize - e.len() as isize;
            }
            to as usize
        };
        let mut out = self.clone();
        let mut touched = Vec::with_capacity(self.list.len());
        for f in &mut out.list {
            touched.push(edits.iter().any(|(e, _)| inside(e, f)));
            f.range = moved(f.range.start)..moved(f.range.end);
        }
        Some((out, touched))
    }
}

/// Reusable buffers, so that skimming many files allocates once per thread.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The keys of the open objects: raw spans (keys without escapes compare equal iff their bytes do)
    /// and a [`fingerprint`] of each.
    keys: Vec<Key>,
    frames: Vec<Frame>,
    found: Fragments,
}

impl Scratch {
    /// The copy sources and sinks of the last skim that said [`Skim::Fragments`].
    pub fn fragments(&self) -> &Fragments {
        &self.found
    }
}

#[derive(Debug, Clone, Copy)]
struct Key {
    start: u32,
    end: u32,
    print: u64,
}

/// How a frame sits in its parent: under a key (its raw span) or at an array index.
#[derive(Debug, Clone, Copy)]
enum Via {
    Root,
    Key(u32, u32),
    Index(u32),
}

#[derive(Debug, Clone, Copy)]
struct Frame {
    object: bool,
    /// Index in `keys` of this object's first key.
    first_key: usize,
    /// This object is the root's `properties` value.
    root_props: bool,
    /// Where it starts, and (arrays) how many elements came before the current one.
    start: u32,
    count: u32,
    via: Via,
}

/// Skim `text` (the JSON body, after any BOM). See the module docs.
pub fn skim(text: &str, scratch: &mut Scratch) -> Skim {
    if text.len() >= u32::MAX as usize {
        return Skim::NeedsParse;
    }
    scratch.keys.clear();
    scratch.frames.clear();
    scratch.found.list.clear();
    scratch.found.steps.clear();
    let mut s = Skimmer {
        s: text.as_bytes(),
        pos: 0,
        sc: scratch,
        last_key_is_type: false,
        base: 0,
    };
    match s.run() {
        Some(()) if scratch.found.list.is_empty() => Skim::Clean,
        Some(()) => Skim::Fragments,
        None => Skim::NeedsParse,
    }
}

/// Does `text`, a copy source or sink `depth` levels deep in a text the skim cleared (see
/// [`Fragment`]) and changed since by a fix, still clear as that fragment alone? The text around it is
/// as it was, so the skim of the whole new text would reach the same verdict as before with this
/// object in place: it is as valid, has no duplicate key, names the connector only in its `type`.
pub fn fragment_clears(text: &str, depth: usize, scratch: &mut Scratch) -> bool {
    if text.len() >= u32::MAX as usize {
        return false;
    }
    scratch.keys.clear();
    scratch.frames.clear();
    scratch.found.list.clear();
    scratch.found.steps.clear();
    let mut s = Skimmer {
        s: text.as_bytes(),
        pos: 0,
        sc: scratch,
        last_key_is_type: false,
        base: depth,
    };
    s.run().is_some() && matches!(&scratch.found.list[..], [f] if f.range == (0..text.len()))
}

struct Skimmer<'a> {
    s: &'a [u8],
    pos: usize,
    sc: &'a mut Scratch,
    /// The value being read is the member `type` of an object.
    last_key_is_type: bool,
    /// How many objects and arrays enclose the text (a fragment skimmed alone: [`fragment_clears`]).
    base: usize,
}

/// `None` means "not provably clean": the caller parses fully.
type R<T> = Option<T>;

impl Skimmer<'_> {
    /// Skip whitespace (see `scan::skip_ws`).
    #[inline]
    fn ws(&mut self) {
        self.pos = scan::skip_ws(self.s, self.pos);
    }

    /// How many objects and arrays are open here, counting those around the skimmed text.
    #[inline]
    fn depth(&self) -> usize {
        self.base + self.sc.frames.len()
    }

    fn run(&mut self) -> R<()> {
        self.ws();
        // after a key in the root object: is it `properties`?
        let mut pending_root_props = false;
        // after the key `type` inside the root's `properties`
        let mut pending_type = false;
        loop {
            // a value starts here
            match *self.s.get(self.pos)? {
                b'{' => {
                    if self.open(true, pending_root_props)? {
                        (pending_root_props, pending_type) = self.key()?;
                        continue;
                    }
                }
                b'[' => {
                    if self.open(false, false)? {
                        pending_root_props = false;
                        pending_type = false;
                        continue;
                    }
                }
                b'"' => self.string_value(pending_type)?,
                b't' => self.word(b"true")?,
                b'f' => self.word(b"false")?,
                b'n' => self.word(b"null")?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            }
            match self.after_value()? {
                Some(pending) => (pending_root_props, pending_type) = pending,
                // the root value is complete
                None => return Some(()),
            }
        }
    }

    /// An object or array opens at `pos`: its frame is pushed; returns whether it has contents (else it
    /// closed at once, and is a complete value).
    #[inline]
    fn open(&mut self, object: bool, root_props: bool) -> R<bool> {
        if self.depth() >= MAX_DEPTH {
            return None;
        }
        let via = self.via();
        self.sc.frames.push(Frame {
            object,
            first_key: self.sc.keys.len(),
            root_props,
            start: self.pos as u32,
            count: 0,
            via,
        });
        self.pos += 1;
        self.ws();
        let close = if object { b'}' } else { b']' };
        if self.s.get(self.pos) == Some(&close) {
            self.pos += 1;
            self.sc.frames.pop();
            Some(false)
        } else {
            Some(true)
        }
    }

    /// A string value at `pos`; `pending_type` says it is the root's `properties.type`. None when it
    /// names, or may name, a type of a connector that the whole file must be parsed for.
    #[inline]
    fn string_value(&mut self, pending_type: bool) -> R<()> {
        let start = self.pos;
        let escaped = self.string()?;
        let value = &self.s[start + 1..self.pos - 1];
        // most values neither name a connector nor have escapes: nothing more to ask
        if escaped || value.starts_with(CONNECTOR_PREFIX) || value.starts_with(OTHER_PREFIX) {
            // `properties.type` of the root that is, or may decode to, a linked service's
            if pending_type && (escaped || is_linked_service_type(value)) {
                return None;
            }
            // a copy source or sink: its object alone is checked; any other connector type
            // as a value (a linked service, a dataset), or one an escape near the start may
            // spell, needs the whole file
            let in_object = self.sc.frames.last().is_some_and(|f| f.object);
            if !escaped
                && in_object
                && self.last_key_is_type
                && self.depth() >= 3
                && COPY_TYPES.contains(&value)
            {
                self.record_fragment();
            } else if (escaped && may_hide_prefix(value)) || names_type(value) {
                return None;
            }
        }
        Some(())
    }

    /// After a value: `,` (and in an object the next key) or closing brackets, possibly several, up to
    /// where the next value starts. Returns what `key` says of the next member (`(false, false)` for an
    /// array element), or None inside Some when the root value is complete and nothing follows it.
    #[inline]
    fn after_value(&mut self) -> R<Option<(bool, bool)>> {
        loop {
            self.ws();
            let Some(frame) = self.sc.frames.last().copied() else {
                return (self.pos == self.s.len()).then_some(None);
            };
            match *self.s.get(self.pos)? {
                b',' => {
                    self.pos += 1;
                    self.ws();
                    if !frame.object
                        && let Some(f) = self.sc.frames.last_mut()
                    {
                        f.count += 1;
                    }
                    if frame.object {
                        return self.key().map(Some);
                    } else if self.s.get(self.pos) == Some(&b']') {
                        return None; // trailing comma
                    }
                    return Some(Some((false, false)));
                }
                b'}' if frame.object => {
                    self.pos += 1;
                    self.close_object(frame)?;
                }
                b']' if !frame.object => {
                    self.pos += 1;
                    self.sc.frames.pop();
                }
                _ => return None,
            }
        }
    }

    /// A member's key and its `:`; returns whether it is the root's `properties` and whether it is
    /// `type` inside the root's `properties`.
    fn key(&mut self) -> R<(bool, bool)> {
        if self.s.get(self.pos) != Some(&b'"') {
            return None;
        }
        let start = self.pos;
        if self.string()? {
            return None; // an escaped key: duplicates need decoding; let the parser decide
        }
        let key = &self.s[start + 1..self.pos - 1];
        let frame = *self.sc.frames.last()?;
        let first = frame.first_key;
        let print = fingerprint(self.s, start + 1, self.pos - 1);
        // equal keys have equal fingerprints: the bytes are compared only when those agree
        if self.sc.keys.len() - first < SMALL_OBJECT
            && self.sc.keys[first..]
                .iter()
                .any(|k| k.print == print && &self.s[k.start as usize..k.end as usize] == key)
        {
            return None; // a duplicate key: reported by the full pipeline
        }
        self.sc.keys.push(Key {
            start: start as u32 + 1,
            end: self.pos as u32 - 1,
            print,
        });
        self.last_key_is_type = key == b"type";
        // most keys are followed by `: ` and the value: that costs no whitespace loop
        if self.s.get(self.pos) != Some(&b':') {
            self.ws();
            if self.s.get(self.pos) != Some(&b':') {
                return None;
            }
        }
        self.pos += 1;
        if self.s.get(self.pos) == Some(&b' ') {
            self.pos += 1;
        }
        self.ws();
        Some((
            self.depth() == 1 && key == b"properties",
            frame.root_props && key == b"type",
        ))
    }

    fn close_object(&mut self, frame: Frame) -> R<()> {
        let keys = &mut self.sc.keys[frame.first_key..];
        if keys.len() > SMALL_OBJECT {
            // big objects were not checked key by key: sort and compare neighbours
            let s = self.s;
            let bytes = |k: &Key| &s[k.start as usize..k.end as usize];
            keys.sort_unstable_by(|a, b| bytes(a).cmp(bytes(b)));
            if keys.windows(2).any(|w| bytes(&w[0]) == bytes(&w[1])) {
                return None;
            }
        }
        if let Some(f) = self.sc.found.list.last_mut()
            && f.range.start == frame.start as usize
            && f.range.end == 0
        {
            f.range.end = self.pos;
        }
        self.sc.keys.truncate(frame.first_key);
        self.sc.frames.pop();
        Some(())
    }

    /// How a value starting now sits in the innermost open frame.
    fn via(&self) -> Via {
        match self.sc.frames.last() {
            None => Via::Root,
            Some(f) if f.object => self
                .sc
                .keys
                .last()
                .map_or(Via::Root, |k| Via::Key(k.start, k.end)),
            Some(f) => Via::Index(f.count),
        }
    }

    /// The innermost object is a copy source or sink: note its start and path (its end comes when it
    /// closes).
    fn record_fragment(&mut self) {
        let Some(frame) = self.sc.frames.last() else {
            return;
        };
        if self
            .sc
            .found
            .list
            .last()
            .is_some_and(|f| f.range.start == frame.start as usize)
        {
            return;
        }
        let first = self.sc.found.steps.len();
        let frames = &self.sc.frames[1..];
        self.sc.found.steps.extend(frames.iter().map(|f| f.via));
        let start = frame.start as usize;
        self.sc.found.list.push(Fragment {
            range: start..0,
            steps: first..self.sc.found.steps.len(),
            depth: self.depth() - 1,
        });
    }

    fn word(&mut self, w: &[u8]) -> R<()> {
        if self.s[self.pos..].starts_with(w) {
            self.pos += w.len();
            Some(())
        } else {
            None
        }
    }

    /// The grammar `json::Parser::number` accepts.
    fn number(&mut self) -> R<()> {
        let digits = |p: &mut Self| {
            let s = p.pos;
            while let Some(b'0'..=b'9') = p.s.get(p.pos) {
                p.pos += 1;
            }
            p.pos > s
        };
        if self.s[self.pos] == b'-' {
            self.pos += 1;
        }
        if self.s.get(self.pos) == Some(&b'0') {
            self.pos += 1;
            if let Some(b'0'..=b'9') = self.s.get(self.pos) {
                return None;
            }
        } else if !digits(self) {
            return None;
        }
        if self.s.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.s.get(self.pos) {
                self.pos += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        Some(())
    }

    /// A string literal starting at `pos` (the opening quote); returns whether it has escapes. Escapes
    /// are checked as strictly as the parser checks them; a `\u` escape of a surrogate is left to it.
    fn string(&mut self) -> R<bool> {
        self.pos += 1;
        let mut escaped = false;
        loop {
            self.pos = scan::next_special(self.s, self.pos)?;
            match self.s[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Some(escaped);
                }
                b'\\' => {
                    escaped = true;
                    match *self.s.get(self.pos + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 2,
                        b'u' => {
                            let hex = self.s.get(self.pos + 2..self.pos + 6)?;
                            if !hex.iter().all(u8::is_ascii_hexdigit) {
                                return None;
                            }
                            // surrogates (D800–DFFF) have pairing rules: the parser checks them
                            if matches!(hex[0], b'd' | b'D')
                                && matches!(hex[1], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
                            {
                                return None;
                            }
                            self.pos += 6;
                        }
                        _ => return None,
                    }
                }
                _ => return None, // a control character
            }
        }
    }
}

/// Eight bytes that equal keys share: the first and last eight bytes of the key `s[a..b]` and its
/// length, mixed. Read as whole words (a key is never the text's last bytes but its loads may reach
/// past it, masked off).
#[inline]
fn fingerprint(s: &[u8], a: usize, b: usize) -> u64 {
    let n = b - a;
    let word = |at: usize| {
        s.get(at..at + 8)
            .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes")))
    };
    let head = match word(a) {
        Some(w) if n >= 8 => w,
        Some(w) => w & ((1u64 << (8 * n)) - 1),
        None => s[a..b].iter().rev().fold(0, |w, &x| w << 8 | x as u64),
    };
    let tail = if n > 8 { word(b - 8).unwrap_or(0) } else { 0 };
    head ^ tail.rotate_left(29) ^ (n as u64).rotate_right(8)
}

/// Objects with fewer keys are checked for duplicates as each key arrives; bigger ones when they close.
const SMALL_OBJECT: usize = 24;

#[cfg(test)]
mod tests {
    use super::*;

    fn sk(t: &str) -> Skim {
        skim(t, &mut Scratch::default())
    }

    #[test]
    fn clean_files() {
        for t in [
            "{}",
            "[]",
            " {\"a\": [1, -2.5e+3, true, false, null, \"x\\n\\u00e9\"], \"b\": {}} ",
            // the connector named in passing: a query, a description
            "{\"name\":\"p\",\"properties\":{\"query\":\"select 1 -- from AzurePostgreSql\"}}",
            "{\"AzurePostgreSqlNote\":{\"x\":\"B\\u0075\"}}",
            "\"just a string\"",
            "0",
        ] {
            assert_eq!(sk(t), Skim::Clean, "{t}");
        }
    }

    #[test]
    fn copy_sources_and_sinks_are_fragments() {
        use crate::source::json::PathStep::{Index, Key};
        let t = "{\"name\":\"p\",\"properties\":{\"activities\":[{\"name\":\"a\"},{\"typeProperties\":{\"sink\":{\"writeMethod\":\"Upsert\",\"type\":\"AzurePostgreSQLSink\",\"x\":{}}}}]}}";
        let mut sc = Scratch::default();
        assert_eq!(skim(t, &mut sc), Skim::Fragments);
        let f = &sc.fragments().list()[0];
        let path = sc.fragments().path(t, f);
        assert_eq!(
            &t[f.range.clone()],
            "{\"writeMethod\":\"Upsert\",\"type\":\"AzurePostgreSQLSink\",\"x\":{}}"
        );
        let k = |s: &str| Key(s.to_string());
        assert_eq!(
            path,
            vec![
                k("properties"),
                k("activities"),
                Index(1),
                k("typeProperties"),
                k("sink")
            ]
        );
        // a type in an array, or at the root, is not a copy object
        assert_eq!(
            sk("{\"a\":{\"b\":{\"type\":[\"AzurePostgreSqlSink\"]}}}"),
            Skim::NeedsParse
        );
    }

    #[test]
    fn anything_the_pipeline_reports_needs_a_parse() {
        let many: String = (0..40).map(|i| format!("\"k{i}\":1,")).collect();
        for t in [
            // linked services, however spelled
            "{\"properties\":{\"type\":\"AzurePostgreSql\"}}",
            // datasets, copy sources and sinks, linked services inside ARM templates: rules read them
            "{\"name\":\"p\",\"properties\":{\"type\":\"AzurePostgreSqlTable\"}}",
            "{\"resources\":[{\"properties\":{\"type\":\"AzurePostgreSql\"}}]}",
            "{\"a\":\"\\u0041zurePostgreSqlSource\"}",
            "{\"properties\":{\"a\":1,\"type\":\"AzurePostgre\\u0053ql\"}}",
            // a connector type as a value, with an escape far from its start
            &format!("{{\"a\":\"AzurePostgreSqlTable{}\\n\"}}", "x".repeat(100)),
            // duplicates, small and big objects, and escaped keys
            "{\"a\":1,\"b\":{\"c\":1,\"c\":2}}",
            &format!("{{{many}\"k7\":2}}"),
            "{\"\\u0061\":1,\"a\":2}",
            // invalid JSON of every kind
            "",
            "{",
            "{\"a\":1,}",
            "[1,]",
            "{\"a\" 1}",
            "{'a':1}",
            "{\"a\":01}",
            "{\"a\":1.}",
            "{\"a\":-}",
            "{\"a\":tru}",
            "{} x",
            "\"\t\"",
            "\"\\x\"",
            "\"\\ud800\"",
            "[1 2]",
            "{\"a\":1]",
            "[1}",
        ] {
            assert_eq!(sk(t), Skim::NeedsParse, "{t}");
        }
        assert_eq!(sk(&"[".repeat(MAX_DEPTH + 1)), Skim::NeedsParse);
    }

    #[test]
    fn agrees_with_the_parser_on_validity() {
        // every prefix of a valid document: the skim never calls invalid JSON clean
        let doc = "{\"name\": \"x\", \"properties\": {\"activities\": [{\"a\": [1, 2.5e-3, \"s\\\"q\"]}, null, true]}}";
        for i in 0..doc.len() {
            let t = &doc[..i];
            if crate::source::json::parse(t).is_err() {
                assert_eq!(sk(t), Skim::NeedsParse, "{t}");
            }
        }
        assert_eq!(sk(doc), Skim::Clean);
    }

    #[test]
    fn indentation_of_every_width_is_skipped_exactly() {
        for (n, unit) in (0..20).flat_map(|n| [(n, " "), (n, "\t"), (n, " \t")]) {
            let pad = unit.repeat(n);
            let t = format!("{{\n{pad}\"a\":{pad}[{pad}1{pad}]{pad}\r\n{pad}}}{pad}");
            assert_eq!(sk(&t), Skim::Clean, "{t:?}");
            // a byte that is not whitespace right after the run is seen
            for bad in ["x", "\u{b}", "\u{c}", "\u{a0}"] {
                let t = format!("{{\n{pad}{bad}\"a\": 1}}");
                assert_eq!(sk(&t), Skim::NeedsParse, "{t:?}");
            }
        }
    }

    /// A copy object changed by a fix clears on its own exactly when the whole text, with it in place,
    /// still skims as before: the same verdict as a skim of the whole new text.
    #[test]
    fn a_changed_fragment_clears_alone_as_in_the_whole_text() {
        let around = |o: &str| {
            format!(
                "{{\"properties\":{{\"activities\":[{{\"typeProperties\":{{\"sink\":{o}}}}}]}}}}"
            )
        };
        let sink = "{\"type\":\"AzurePostgreSqlSink\",\"writeMethod\":\"Upsert\"}";
        let mut sc = Scratch::default();
        assert_eq!(skim(&around(sink), &mut sc), Skim::Fragments);
        let depth = sc.fragments().list()[0].depth();
        assert_eq!(
            depth, 5,
            "the root, properties, activities, the activity, typeProperties"
        );
        for (object, clears) in [
            (sink, true),
            (
                "{\"type\":\"AzurePostgreSqlSource\",\"query\":\"select\"}",
                true,
            ),
            // a duplicate key, invalid JSON, a type that is not a copy object, a connector value
            // elsewhere, a nested copy object, an escaped key: not the same as before
            (
                "{\"type\":\"AzurePostgreSqlSink\",\"type\":\"AzurePostgreSqlSink\"}",
                false,
            ),
            ("{\"type\":\"AzurePostgreSqlSink\",}", false),
            ("{\"type\":\"AzurePostgreSqlSink\"} ", false),
            ("{\"type\":\"AzurePostgreSqlTable\"}", false),
            ("{\"type\":\"SqlSink\"}", false),
            (
                "{\"type\":\"AzurePostgreSqlSink\",\"x\":\"AzurePostgreSql\"}",
                false,
            ),
            (
                "{\"type\":\"AzurePostgreSqlSink\",\"x\":{\"type\":\"AzurePostgreSqlSink\"}}",
                false,
            ),
            ("{\"type\":\"AzurePostgreSqlSink\",\"\\u0061\":1}", false),
            ("[{\"type\":\"AzurePostgreSqlSink\"}]", false),
        ] {
            assert_eq!(fragment_clears(object, depth, &mut sc), clears, "{object}");
            // the whole text agrees: one fragment, this object, or something else
            let whole = around(object);
            let alone = skim(&whole, &mut sc) == Skim::Fragments
                && sc.fragments().list().len() == 1
                && whole[sc.fragments().list()[0].range.clone()] == *object;
            assert_eq!(alone, clears, "{whole}");
        }
        // nesting: the objects around it count toward the parser's limit
        let deep = |n: usize, o: &str| format!("{}{o}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(skim(&deep(MAX_DEPTH, sink), &mut sc), Skim::NeedsParse);
        assert!(!fragment_clears(sink, MAX_DEPTH, &mut sc));
        assert_eq!(skim(&deep(MAX_DEPTH - 1, sink), &mut sc), Skim::Fragments);
        assert_eq!(sc.fragments().list()[0].depth(), MAX_DEPTH - 1);
        assert!(fragment_clears(sink, MAX_DEPTH - 1, &mut sc));
        let nested = "{\"type\":\"AzurePostgreSqlSink\",\"x\":{}}";
        assert_eq!(
            skim(&deep(MAX_DEPTH - 1, nested), &mut sc),
            Skim::NeedsParse
        );
        assert!(!fragment_clears(nested, MAX_DEPTH - 1, &mut sc));
    }

    /// Edits inside copy objects move the objects after them by the change in length; an edit
    /// anywhere else (or on an object's brackets) leaves the question to a new skim.
    #[test]
    fn fragments_move_with_the_edits_inside_them() {
        let t = "{\"a\":[{\"x\":{\"type\":\"AzurePostgreSQLSink\"}},{\"x\":{\"type\":\"AzurePostgreSqlSource\"}}]}";
        let mut sc = Scratch::default();
        assert_eq!(skim(t, &mut sc), Skim::Fragments);
        let found = sc.fragments().clone();
        let [first, second] = found.list() else {
            panic!("two fragments")
        };
        let value = t.find("\"AzurePostgreSQLSink\"").unwrap();
        let edit = |at: usize, len: usize, new: usize| vec![(at..at + len, new)];
        // three bytes longer: the second object moves by three, the first grows by three
        let (moved, touched) = found.after_edits(&edit(value, 21, 24)).unwrap();
        assert_eq!(touched, vec![true, false]);
        assert_eq!(
            moved.list()[0].range,
            first.range.start..first.range.end + 3
        );
        assert_eq!(
            moved.list()[1].range,
            second.range.start + 3..second.range.end + 3
        );
        assert_eq!(moved.path(t, &moved.list()[1]), found.path(t, second));
        // outside every object, or on its brackets
        assert!(found.after_edits(&edit(1, 3, 3)).is_none());
        assert!(found.after_edits(&edit(first.range.start, 1, 1)).is_none());
        assert!(
            found
                .after_edits(&edit(first.range.end - 1, 1, 1))
                .is_none()
        );
        // several edits: each moves what follows it
        let both = vec![
            (value..value + 21, 19),
            (second.range.start + 2..second.range.start + 6, 10),
        ];
        let (moved, touched) = found.after_edits(&both).unwrap();
        assert_eq!(touched, vec![true, true]);
        assert_eq!(
            moved.list()[1].range,
            second.range.start - 2..second.range.end + 4
        );
    }
}
