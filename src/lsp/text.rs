//! Positions as the protocol counts them: a line and a column in UTF-8 bytes or UTF-16 code
//! units (negotiated at `initialize`), to and from byte offsets; `file://` URIs to and from paths;
//! incremental edits of a document.

use lsp_types::{Position, Range};
use std::path::PathBuf;

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

/// The byte offsets where lines start.
pub struct Lines<'a> {
    text: &'a str,
    starts: std::borrow::Cow<'a, [usize]>,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str) -> Self {
        Lines {
            text,
            starts: std::borrow::Cow::Owned(Lines::starts(text)),
        }
    }

    /// The offsets where `text`'s lines start (for [`Lines::with_starts`]).
    pub fn starts(text: &str) -> Vec<usize> {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        starts
    }

    /// The lines of `text`, whose [`Lines::starts`] were found before.
    pub fn with_starts(text: &'a str, starts: &'a [usize]) -> Self {
        Lines {
            text,
            starts: std::borrow::Cow::Borrowed(starts),
        }
    }

    /// The position of byte `offset` (clamped to the text, and back to a char boundary).
    pub fn position(&self, offset: usize, enc: Encoding) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let before = &self.text[self.starts[line]..offset];
        let col = match enc {
            Encoding::Utf8 => before.len(),
            Encoding::Utf16 => before.chars().map(char::len_utf16).sum(),
        };
        Position::new(line as u32, col as u32)
    }

    /// The byte offset of a position: a column past the line's end is its end (before the line
    /// break), a line past the last is the text's end, a column inside a character is its start.
    pub fn offset(&self, pos: Position, enc: Encoding) -> usize {
        let Some(&start) = self.starts.get(pos.line as usize) else {
            return self.text.len();
        };
        let end = self
            .starts
            .get(pos.line as usize + 1)
            .map_or(self.text.len(), |&e| e);
        let line = &self.text[start..end];
        let line = line.strip_suffix('\n').unwrap_or(line);
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0usize;
        for (i, c) in line.char_indices() {
            let n = match enc {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if units + n > pos.character as usize {
                return start + i;
            }
            units += n;
        }
        start + line.len()
    }

    pub fn range(&self, lo: usize, hi: usize, enc: Encoding) -> Range {
        Range::new(self.position(lo, enc), self.position(hi.max(lo), enc))
    }
}

/// Applies a `didChange` content change: a range and its new text, or (no range) the whole
/// text.
pub fn apply_change(text: &mut String, range: Option<Range>, new: &str, enc: Encoding) {
    match range {
        None => *text = new.to_string(),
        Some(r) => {
            let lines = Lines::new(text);
            let lo = lines.offset(r.start, enc);
            let hi = lines.offset(r.end, enc).max(lo);
            text.replace_range(lo..hi, new);
        }
    }
}

/// The path of a `file://` URI (percent-decoded); None for another scheme.
pub fn uri_to_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path` names another machine: only `file:///path` (or `localhost`) is ours.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let b = rest.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(h) = rest.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(h, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    let s = String::from_utf8(out).ok()?;
    // `file:///C:/src` on Windows.
    let s = if cfg!(windows) && s.get(2..3) == Some(":") {
        s[1..].to_string()
    } else {
        s
    };
    Some(PathBuf::from(s))
}

/// The `file://` URI of an absolute path.
pub fn path_to_uri(path: &std::path::Path) -> lsp_types::Uri {
    let s = crate::report::format::file_uri(path);
    s.parse()
        .unwrap_or_else(|_| "file:///".parse().expect("a constant URI parses"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_utf8_and_utf16() {
        // `é` is 2 bytes and 1 UTF-16 unit, `😀` 4 bytes and 2 units.
        let text = "fn a() {}\nlet s = \"é😀\"; sleep();\r\nlast";
        let l = Lines::new(text);
        let at = text.find("sleep").unwrap();
        assert_eq!(l.position(at, Encoding::Utf8), Position::new(1, 18));
        assert_eq!(l.position(at, Encoding::Utf16), Position::new(1, 15));
        assert_eq!(l.offset(Position::new(1, 18), Encoding::Utf8), at);
        assert_eq!(l.offset(Position::new(1, 15), Encoding::Utf16), at);
        // Past the end of a line: its end, before `\r\n`.
        let eol = text.find("\r\n").unwrap();
        assert_eq!(l.offset(Position::new(1, 99), Encoding::Utf16), eol);
        assert_eq!(l.offset(Position::new(9, 0), Encoding::Utf8), text.len());
        // Inside a character: its start.
        let emoji = text.find('😀').unwrap();
        assert_eq!(l.offset(Position::new(1, 11), Encoding::Utf16), emoji);
        assert_eq!(
            l.position(emoji + 2, Encoding::Utf8),
            l.position(emoji, Encoding::Utf8)
        );
    }

    #[test]
    fn incremental_changes() {
        let mut t = String::from("let é = 1;\nsleep();\n");
        apply_change(
            &mut t,
            Some(Range::new(Position::new(1, 0), Position::new(1, 5))),
            "nap",
            Encoding::Utf16,
        );
        assert_eq!(t, "let é = 1;\nnap();\n");
        apply_change(
            &mut t,
            Some(Range::new(Position::new(0, 5), Position::new(0, 5))),
            "x",
            Encoding::Utf16,
        );
        assert_eq!(t, "let éx = 1;\nnap();\n");
        apply_change(&mut t, None, "whole", Encoding::Utf8);
        assert_eq!(t, "whole");
    }

    #[test]
    fn uris_and_paths() {
        let p = std::path::Path::new("/tmp/a dir/é#1.rs");
        let uri = path_to_uri(p);
        assert_eq!(uri.as_str(), "file:///tmp/a%20dir/%C3%A9%231.rs");
        assert_eq!(uri_to_path(uri.as_str()).unwrap(), p);
        assert_eq!(
            uri_to_path("file://localhost/x/y.rs").unwrap(),
            std::path::Path::new("/x/y.rs")
        );
        assert!(uri_to_path("untitled:Untitled-1").is_none());
        assert!(uri_to_path("file://server/share/x.rs").is_none());
    }
}
