//! The prescan: one cheap pass over a file's bytes before it is parsed. It finds nesting too
//! deep to parse, and blanks doc comments and attributes that no lint reads, so syn parses less.
//! It hands the engine a [`Prescan`] and the text to parse ([`text_to_parse`]).

use crate::syntax::walker::ATTRIBUTES_READ;

/// The text the engine hands to syn for a file's `text`: doc comments and attributes that no
/// lint reads blanked to spaces (`None`: the text as written). Public for the benchmark, whose
/// second floor parses the same text as the engine.
pub fn text_to_parse(text: &str) -> Option<String> {
    prescan(text).blanked(text)
}

/// Deepest bracket nesting accepted before parsing (real code stays far below it).
pub const MAX_NESTING: usize = 1_000;

/// What a lexer-lite scan of a file finds before it is parsed.
#[derive(Debug, Default, PartialEq)]
pub struct Prescan {
    /// Where bracket nesting first passes [`MAX_NESTING`], and the depth there.
    pub too_deep: Option<(usize, usize)>,
    /// Offsets of the byte that makes a comment a doc comment (the third `/` of `///`, the `!`
    /// of `//!`, the second `*` of `/**`, the `!` of `/*!`).
    doc_markers: Vec<usize>,
    /// Offsets of every line comment's first `/` (doc comments included), in order: where a
    /// suppression comment may start (not in a string or a block comment).
    pub line_comments: Vec<usize>,
    /// Byte ranges of attributes the walker never reads (`#[cfg(..)]`, `#[derive(..)]`,
    /// `#[doc = ".."]`, `#[inline]`, ...): see [`skippable_attribute`].
    skipped_attrs: Vec<(usize, usize)>,
    /// Offsets just past every `}` that closes a bracket at the top level (the end of an item
    /// with a body, mostly): where a large file may be cut into parts (see [`Prescan::parts`]).
    top_level_closes: Vec<usize>,
}

impl Prescan {
    /// The text to parse: `text` with doc-comment markers and skipped attributes turned into
    /// spaces (same length, same lines and columns), or `None` when there is nothing to blank.
    pub fn blanked(&self, text: &str) -> Option<String> {
        if self.doc_markers.is_empty() && self.skipped_attrs.is_empty() {
            return None;
        }
        let mut bytes = text.as_bytes().to_vec();
        for &m in &self.doc_markers {
            bytes[m] = b' ';
        }
        for &(a, b) in &self.skipped_attrs {
            for c in &mut bytes[a..b] {
                if *c != b'\n' {
                    *c = b' ';
                }
            }
        }
        // Only ASCII bytes were replaced (skipped attributes are all ASCII), by ASCII spaces.
        Some(String::from_utf8(bytes).expect("ASCII for ASCII keeps UTF-8 valid"))
    }
}

impl Prescan {
    /// Where to cut `text` into parts of at least `size` bytes for a walk in parts: the
    /// starts of the parts after the first, each the start of the line after a top-level `}`
    /// that ends its line. Cut there, each part is a run of whole items, unless the scan was
    /// wrong (then a part does not parse, and the caller parses the whole file instead).
    pub fn parts(&self, text: &str, size: usize) -> Vec<usize> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let mut last = 0;
        for &end in &self.top_level_closes {
            if end - last < size {
                continue;
            }
            let mut j = end;
            while matches!(b.get(j), Some(b' ' | b'\t' | b'\r')) {
                j += 1;
            }
            if b.get(j) == Some(&b'\n') && j + 1 < b.len() {
                out.push(j + 1);
                last = j + 1;
            }
        }
        out
    }
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Bytes at which the scan has something to do; everything else is skipped in a tight loop.
static SCAN_STOPS: [bool; 256] = {
    let mut t = [false; 256];
    let stops = b"()[]{}/\"r'#";
    let mut i = 0;
    while i < stops.len() {
        t[stops[i] as usize] = true;
        i += 1;
    }
    t
};

/// Whether an attribute that the walker never reads starts at `b[i]` (a `#`), and if so the
/// offset just past its closing `]`. The walker reads only single-word attributes named in
/// [`ATTRIBUTES_READ`], attributes with a path (`#[tokio::main]`) and `cfg`s with an empty list
/// (`#[cfg(any())]`); every other attribute (`cfg`, `derive`, `doc`, `repr`, `inline`, `test`,
/// ...) costs syn a parse (and its string literals an unescape) for nothing, so it is blanked
/// before parsing. Attributes with
/// anything unusual inside (a comment, a char or raw string literal, non-ASCII text, unbalanced
/// brackets) are left as they are.
fn skippable_attribute(b: &[u8], i: usize) -> Option<usize> {
    let space = |mut j: usize| {
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        j
    };
    let mut j = i + 1;
    if b.get(j) == Some(&b'!') {
        j += 1;
    }
    j = space(j);
    if b.get(j) != Some(&b'[') {
        return None;
    }
    let name_start = space(j + 1);
    j = name_start;
    while j < b.len() && is_ident_byte(b[j]) {
        j += 1;
    }
    let name = &b[name_start..j];
    if name.is_empty()
        || name[0].is_ascii_digit()
        || ATTRIBUTES_READ.iter().any(|a| a.as_bytes() == name)
        || matches!(b.get(space(j)), Some(b':' | b'#'))
    {
        return None;
    }
    // A `cfg` with an empty list (`any()`, `all()`) may be one no build satisfies: the walker
    // reads those (`walker::shapes::cfg_never`) and skips the code under them.
    let cfg = name == b"cfg";
    let mut depth = 1usize;
    while j < b.len() {
        match b[j] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING || (cfg && b.get(space(j + 1)) == Some(&b')')) {
                    return None;
                }
            }
            c @ (b')' | b']' | b'}') => {
                depth -= 1;
                if depth == 0 {
                    return (c == b']').then_some(j + 1);
                }
            }
            b'"' => {
                if matches!(b[j - 1], b'r' | b'#') {
                    return None;
                }
                j += 1;
                loop {
                    match b.get(j) {
                        None => return None,
                        Some(b'"') => break,
                        Some(b'\\') => j += 2,
                        Some(c) if *c >= 0x80 => return None,
                        Some(_) => j += 1,
                    }
                }
            }
            b'/' if matches!(b.get(j + 1), Some(b'/' | b'*')) => return None,
            b'\'' => return None,
            c if c >= 0x80 => return None,
            _ => {}
        }
        j += 1;
    }
    None
}

/// One pass over the bytes, skipping strings, chars and comments (cheap, and errs on the side
/// of parsing): the nesting depth, the doc comments and the attributes nothing reads.
pub fn prescan(text: &str) -> Prescan {
    let b = text.as_bytes();
    let mut out = Prescan::default();
    let (mut i, mut depth) = (0, 0usize);
    while i < b.len() {
        if !SCAN_STOPS[b[i] as usize] {
            i += 1;
            continue;
        }
        match b[i] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    out.too_deep = Some((i, depth));
                    return out;
                }
            }
            b')' | b']' => depth = depth.saturating_sub(1),
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.top_level_closes.push(i + 1);
                }
            }
            b'#' => {
                if let Some(end) = skippable_attribute(b, i) {
                    out.skipped_attrs.push((i, end));
                    i = end;
                    continue;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                out.line_comments.push(i);
                match (b.get(i + 2), b.get(i + 3)) {
                    (Some(b'!'), _) => out.doc_markers.push(i + 2),
                    (Some(b'/'), next) if next != Some(&b'/') => out.doc_markers.push(i + 2),
                    _ => {}
                }
                i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                match (b.get(i + 2), b.get(i + 3)) {
                    (Some(b'!'), _) => out.doc_markers.push(i + 2),
                    (Some(b'*'), Some(next)) if *next != b'*' && *next != b'/' => {
                        out.doc_markers.push(i + 2)
                    }
                    _ => {}
                }
                let mut nest = 0usize;
                while i + 1 < b.len() {
                    if b[i] == b'/' && b[i + 1] == b'*' {
                        nest += 1;
                        i += 1;
                    } else if b[i] == b'*' && b[i + 1] == b'/' {
                        nest -= 1;
                        i += 1;
                        if nest == 0 {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                loop {
                    match memchr::memchr2(b'"', b'\\', b.get(i..).unwrap_or_default()) {
                        Some(n) if b[i + n] == b'"' => {
                            i += n;
                            break;
                        }
                        Some(n) => i += n + 2,
                        None => {
                            i = b.len();
                            break;
                        }
                    }
                }
            }
            // A raw string `r"…"`, `r#"…"#`, also as bytes or C string (`br"…"`, `cr#"…"#`).
            b'r' if matches!(b.get(i + 1), Some(b'#' | b'"'))
                && (i == 0
                    || !is_ident_byte(b[i - 1])
                    || (matches!(b[i - 1], b'b' | b'c')
                        && (i < 2 || !is_ident_byte(b[i - 2])))) =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&b'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) == Some(&b'"') {
                    let close: Vec<u8> = std::iter::once(b'"')
                        .chain(std::iter::repeat_n(b'#', hashes))
                        .collect();
                    let rest = &b[j + 1..];
                    let end = rest
                        .windows(close.len())
                        .position(|w| w == close.as_slice());
                    i = j + 1 + end.map_or(rest.len(), |e| e + close.len()) - 1;
                } else {
                    i = j - 1;
                }
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}') or a lifetime ('a): skip a char literal only.
                if b.get(i + 2) == Some(&b'\'') {
                    i += 2;
                } else if b.get(i + 1) == Some(&b'\\') {
                    while i + 1 < b.len() && b[i + 1] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Kb;
    use crate::syntax::walker;

    fn markers(src: &str) -> Vec<&str> {
        prescan(src)
            .doc_markers
            .iter()
            .map(|&m| &src[m - 2..m + 1])
            .collect()
    }

    #[test]
    fn prescan_finds_doc_comments_only() {
        let src = "//! inner\n/// outer\n//// plain\n// plain\n/** block */\n/*! inner block */\n\
                   /*** plain */\n/**/\nfn f() { let s = \"/// not a comment\"; let r = r#\"//! raw\"#; \
                   let c = '/'; let q = '\"'; } /// after code\n";
        assert_eq!(
            markers(src),
            ["//!", "///", "/**", "/*!", "///"],
            "{:?}",
            prescan(src)
        );
        // Lifetimes are not char literals; a doc comment after one is still found.
        assert_eq!(markers("fn f<'a>(x: &'a str) {} /// d\n"), ["///"]);
        // Raw byte strings end at their own close, not at an escaped-looking quote.
        assert_eq!(
            markers("let a = br\"\\\"; let s = \"/// in a string\"; /// d\n"),
            ["///"]
        );
        assert_eq!(markers("let a = cr#\"\\\"#; /// d\n"), ["///"]);
        // Nested block comments end at their own close.
        assert_eq!(markers("/* a /* b */ /** c */ */ /** d */"), ["/**"]);
    }

    /// The attributes blanked before parsing, as written.
    fn skipped(src: &str) -> Vec<&str> {
        prescan(src)
            .skipped_attrs
            .iter()
            .map(|&(a, b)| &src[a..b])
            .collect()
    }

    #[test]
    fn prescan_blanks_only_attributes_nothing_reads() {
        let src = "#![cfg_attr(docsrs, feature(doc_cfg))]\n#![allow(clippy::await_holding_lock)]\n\
                   #[cfg(feature = \"a]b\\\"\")] #[derive(Debug, Clone)]\n# [ repr ( C ) ]\n\
                   struct S { #[doc = \"x\"] f: u8 }\n#[tokio::main] #[path = \"p.rs\"] mod m;\n\
                   #[cfg(unix)]\n#[test]\nfn t() { let s = \"#[cfg(x)]\"; // #[cfg(y)]\n }\n\
                   #[cfg(any())] #[cfg(all(unix, any( )))] #[cfg(not(all()))] #[cfg(all(x))]\n\
                   macro_rules! m { ($(#[$m:meta])*) => { #[$m] } }\n#[r#raw] #[a /* c */] \
                   #[b = 'c'] #[d = \"é\"] #[e = r\"x\"]\n#[unclosed(";
        assert_eq!(
            skipped(src),
            [
                "#![cfg_attr(docsrs, feature(doc_cfg))]",
                "#[cfg(feature = \"a]b\\\"\")]",
                "#[derive(Debug, Clone)]",
                "# [ repr ( C ) ]",
                "#[doc = \"x\"]",
                "#[cfg(unix)]",
                "#[test]",
                "#[cfg(all(x))]",
            ]
        );
        // Blanking keeps the length and every newline, so lines and columns stay as written.
        let multi = "#[doc = \"a\nb\"]\nfn f() {}\n";
        let blanked = prescan(multi).blanked(multi).unwrap();
        assert_eq!(
            blanked,
            format!("{}\n{}\nfn f() {{}}\n", " ".repeat(10), " ".repeat(3))
        );
        // Nothing to blank: the text is parsed as it is.
        assert_eq!(prescan("fn f() {}").blanked("fn f() {}"), None);
    }

    #[test]
    fn blanking_attributes_keeps_what_the_walker_reads() {
        // The walker's view of a file is the same with and without the blanking.
        let src = "#[cfg(test)]\n#[allow(clippy::await_holding_lock)]\nasync fn f(m: &std::sync::Mutex<u8>) {\n\
                   #[cfg(unix)] let g = m.lock().unwrap();\n    #[inline] async fn h() {}\n    h().await;\n    drop(g);\n}\n\
                   #[derive(Debug)] #[cfg(feature = \"x\")] #[path = \"y.rs\"] mod y;\n\
                   #[tokio::main]\nasync fn main() { std::thread::sleep(std::time::Duration::ZERO); }\n\
                   #[cfg(all(any()))] async fn never() { std::thread::sleep(std::time::Duration::ZERO); }\n";
        let scan = prescan(src);
        assert_eq!(scan.skipped_attrs.len(), 5, "{scan:?}");
        let plain = scan.blanked(src).unwrap();
        let walk = |text: &str| format!("{:?}", walker::tests::walk_src(Kb::builtin(), text));
        assert_eq!(walk(src), walk(&plain));
    }

    #[test]
    fn blanking_changes_nothing_the_walker_sees_in_any_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut checked = 0;
        for entry in walkdir::WalkDir::new(&root) {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let (Some(plain), Ok(_)) = (text_to_parse(&text), syn::parse_file(&text)) else {
                continue;
            };
            let walk = |t: &str| format!("{:?}", walker::tests::walk_src(Kb::builtin(), t));
            assert!(walk(&text) == walk(&plain), "{}", path.display());
            checked += 1;
        }
        assert!(checked > 40, "only {checked} fixture files checked");
    }

    #[test]
    fn prescan_stops_at_the_nesting_limit() {
        let deep = format!(
            "{}{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert_eq!(
            prescan(&deep).too_deep,
            Some((MAX_NESTING, MAX_NESTING + 1))
        );
        let quoted = format!("\"{}\"", "(".repeat(MAX_NESTING + 1));
        assert_eq!(prescan(&quoted).too_deep, None);
    }
}
