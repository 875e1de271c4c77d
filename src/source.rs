//! Source files and locations.

use std::path::PathBuf;

/// Index of a file in a [`crate::engine::Run`].
pub type FileId = usize;

/// A source location: byte range plus 1-based line and column (columns count chars, as rustc's).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Loc {
    pub lo: usize,
    pub hi: usize,
    pub line: usize,
    pub col: usize,
    pub end_line: usize,
    pub end_col: usize,
}

impl Loc {
    /// The byte range of a syn / proc-macro2 span; `base` is added to offsets (a stripped BOM).
    /// Lines and columns are filled in later by [`LineIndex::resolve`], only for locations that
    /// end up in a diagnostic (computing them for every call site would cost more than parsing).
    pub fn of(span: proc_macro2::Span, base: usize) -> Loc {
        let range = span.byte_range();
        Loc { lo: range.start + base, hi: range.end + base, ..Loc::default() }
    }

    /// From the start of one span to the end of another.
    pub fn between(start: proc_macro2::Span, end: proc_macro2::Span, base: usize) -> Loc {
        let (a, b) = (start.byte_range(), end.byte_range());
        Loc { lo: a.start + base, hi: b.end.max(a.start) + base, ..Loc::default() }
    }

    /// A location covering `self` through `other`.
    pub fn to(self, other: Loc) -> Loc {
        Loc { hi: other.hi, end_line: other.end_line, end_col: other.end_col, ..self }
    }
}

/// Line starts of a text, to turn byte offsets into 1-based lines and char columns.
pub struct LineIndex<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> LineIndex<'t> {
    pub fn new(text: &'t str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// (line, column) of a byte offset, both 1-based; columns count chars as rustc's do.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = self.text.get(start..offset).map(|s| s.chars().count()).unwrap_or(0) + 1;
        (line, col)
    }

    /// Fills in the lines and columns of a location.
    pub fn resolve(&self, loc: &mut Loc) {
        (loc.line, loc.col) = self.line_col(loc.lo);
        (loc.end_line, loc.end_col) = self.line_col(loc.hi);
    }
}

/// One file: where it is and its text (kept only while its crate is being reported).
#[derive(Debug)]
pub struct SourceFile {
    /// The path as given or found (absolute or relative to the working directory).
    pub path: PathBuf,
    /// The path shown in diagnostics: relative to the workspace root when possible.
    pub display: String,
    pub text: String,
}
