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
    /// The location of a syn / proc-macro2 span. `base` is added to byte offsets (a stripped BOM).
    pub fn of(span: proc_macro2::Span, base: usize) -> Loc {
        let start = span.start();
        let end = span.end();
        let range = span.byte_range();
        Loc {
            lo: range.start + base,
            hi: range.end + base,
            line: start.line,
            col: start.column + 1,
            end_line: end.line,
            end_col: end.column + 1,
        }
    }

    /// A location covering `self` through `other`.
    pub fn to(self, other: Loc) -> Loc {
        Loc {
            hi: other.hi,
            end_line: other.end_line,
            end_col: other.end_col,
            ..self
        }
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
