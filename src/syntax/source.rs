//! Source files and locations: a file's path and text ([`SourceFile`]) and positions in it
//! ([`Loc`], resolved to byte offsets by [`LineIndex`]). Every later stage points into files
//! with these.

use std::path::PathBuf;

/// Index of a file in the files of a package (as the engine lists them).
pub type FileId = usize;

/// A source location: byte range plus 1-based line and column (columns count chars, as rustc's).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Loc {
    pub lo: usize,
    pub hi: usize,
    pub line: usize,
    pub col: usize,
    pub end_line: usize,
    pub end_col: usize,
}

impl Loc {
    /// The lines and columns of a syn / proc-macro2 span. Byte offsets are filled in later by
    /// [`LineIndex::resolve`], only for locations that end up in a diagnostic: proc-macro2
    /// answers line/column with a binary search, but byte offsets by counting characters, which
    /// for every call site would cost a large share of the walk.
    pub fn of(span: proc_macro2::Span) -> Loc {
        Loc::between(span, span)
    }

    /// From the start of one span to the end of another.
    pub fn between(start: proc_macro2::Span, end: proc_macro2::Span) -> Loc {
        let (a, b) = (start.start(), end.end());
        Loc {
            lo: 0,
            hi: 0,
            line: a.line,
            col: a.column + 1,
            end_line: b.line,
            end_col: b.column + 1,
        }
    }

    /// An empty location at the end of `self` (an insertion point).
    pub fn end(self) -> Loc {
        Loc {
            lo: self.hi,
            line: self.end_line,
            col: self.end_col,
            ..self
        }
    }

    /// A location at a byte offset of a text.
    pub fn at_offset(text: &str, offset: usize) -> Loc {
        let index = LineIndex::new(text);
        let (line, col) = index.line_col(offset);
        Loc {
            lo: offset,
            hi: offset,
            line,
            col,
            end_line: line,
            end_col: col,
        }
    }
}

/// Line starts of a text, to convert between byte offsets and 1-based lines and char columns
/// (columns count chars, as rustc's do; a UTF-8 BOM is not part of line 1's columns, as syn
/// never sees it).
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let mut starts = vec![bom];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { text, starts }
    }

    /// (line, column) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1].min(offset);
        let col = self
            .text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, col)
    }

    /// Byte offset of a (line, column).
    pub fn offset(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = self.text.get(start..).unwrap_or("");
        match rest.char_indices().nth(col.saturating_sub(1)) {
            Some((i, _)) => start + i,
            None => self.text.len(),
        }
    }

    /// Fills in the byte offsets of a location from its lines and columns.
    pub fn resolve(&self, loc: &mut Loc) {
        if loc.line == 0 {
            return;
        }
        loc.lo = self.offset(loc.line, loc.col);
        loc.hi = self.offset(loc.end_line, loc.end_col).max(loc.lo);
    }
}

/// One file: where it is and its text (kept only while its crate is being reported).
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or found (absolute or relative to the working directory).
    pub path: PathBuf,
    /// The path shown in diagnostics: relative to the workspace root when possible.
    pub display: String,
    pub text: std::sync::Arc<str>,
    /// The cargo target whose module tree reached the file (an index into the package's
    /// targets; the first one to reach it, as the library comes first).
    pub target: usize,
    /// Byte offsets where its lines start, computed once when output first needs them.
    pub line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    /// Byte offsets of the start of every line (0, and after each `\n`).
    pub fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', self.text.as_bytes()).map(|i| i + 1))
                .collect()
        })
    }

    /// The text of 1-based line `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let starts = self.line_starts();
        let start = *starts.get(line.checked_sub(1)?)?;
        let end = starts.get(line).copied().unwrap_or(self.text.len());
        let s = self.text.get(start..end)?;
        Some(s.strip_suffix('\n').unwrap_or(s).trim_end_matches('\r'))
    }
}
