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

/// Deepest nesting without brackets accepted before parsing, as [`Nesting`] estimates it:
/// prefix operators in a row (`&&&x`, `!!!x`, `*const *const u8`, `|| || 0`, `return return`),
/// generic arguments (`Vec<Vec<u8>>`) and right-associative chains (`-> impl Fn() -> ..`,
/// `a = b = c`), added up through enclosing brackets. syn recurses once per level of each;
/// with the workers' 256 MiB stack the release build overflows from about 43,000 levels
/// (`Vec<Vec<..>>`, the cheapest form), so real code (below 100) and the limit are far from it.
pub const MAX_OPERATOR_NESTING: usize = 4_000;

/// What a lexer-lite scan of a file finds before it is parsed.
#[derive(Debug, Default, PartialEq)]
pub struct Prescan {
    /// Where bracket nesting first passes [`MAX_NESTING`], and the depth there.
    pub too_deep: Option<(usize, usize)>,
    /// Where the nesting estimated without brackets first passes [`MAX_OPERATOR_NESTING`], and
    /// the estimate there (see [`Nesting`]).
    pub too_deep_operators: Option<(usize, usize)>,
    /// Offsets of the byte that makes a comment a doc comment (the third `/` of `///`, the `!`
    /// of `//!`, the second `*` of `/**`, the `!` of `/*!`).
    doc_markers: Vec<usize>,
    /// Offsets of every line comment's first `/` (doc comments included), in order: where a
    /// suppression comment may start (not in a string or a block comment).
    pub line_comments: Vec<usize>,
    /// Byte ranges of attributes the walker never reads (`#[cfg(..)]`, `#[derive(..)]`,
    /// `#[doc = ".."]`, `#[inline]`, ...): see [`skippable_attribute`].
    skipped_attrs: Vec<(usize, usize)>,
    /// Byte ranges of inline test modules (`#[cfg(test)] mod tests { .. }`) when `cfg(test)` is
    /// known to be off (a dependency's library, see [`super::build_cfg`]): the walker would
    /// skip them, so they are not parsed either. Unit tests are about a tenth of the bytes of
    /// the crates an application depends on.
    test_modules: Vec<(usize, usize)>,
    /// Byte ranges of items a `cfg` rules out in the build being read, when that build is known
    /// (a dependency's library: `cfg(test)` off, its features and the host's platform; see
    /// [`super::build_cfg`]): `#[cfg(windows)] mod sys { .. }`, `#[cfg(feature = "off")] impl ..`,
    /// from their first attribute to their `;` or closing `}`. Only items of the file, of
    /// inline modules and of `impl` and `trait` blocks, which the walker skips whole under such a
    /// `cfg` (see [`ItemScan`]); the walker decides the `cfg` ([`crate::syntax::walker::cfg_rules_out`]).
    ruled_out: Vec<(usize, usize)>,
    /// Byte ranges inside the bodies of `macro_rules!` definitions (their rules), when the
    /// build is known as for [`Prescan::ruled_out`]: the walker never reads a macro's
    /// definition, and rules are 3% of the bytes an application's dependencies are read for.
    macro_rules: Vec<(usize, usize)>,
    /// Byte ranges inside the braces of enums and `extern` blocks at an item level, when the
    /// build is known as for [`Prescan::ruled_out`]: the walker reads an enum's name and
    /// attributes only, never its variants, and nothing of a foreign block but its attributes
    /// (enum bodies are 2% of the bytes an application's dependencies are read for).
    unread_bodies: Vec<(usize, usize)>,
    /// Byte ranges inside large arrays of literals only (`[0x1f, 0x2a, ..]`, `[('a', 'z'),
    /// ..]`: the tables of `encoding_rs`, `brotli`, `unicode-width`): nothing in them is read by
    /// the walker, and syn spends a tenth of a large application's dependencies' parse on them.
    /// Blanked to an empty array (see [`Table::Literals`]). With the build known (a
    /// dependency's library), also the data tables of `const` and `static` values at an item
    /// level: strings, paths and struct literals too (`[D { l: 0, t: 0, i: 1002 }, ..]`,
    /// `&[(b"AElig", "\u{00C6}"), ..]`; see [`Table::Data`]).
    literal_arrays: Vec<(usize, usize)>,
    /// Offsets just past every `}` that closes a bracket at the top level (the end of an item
    /// with a body, mostly): where a large file may be cut into parts (see [`Prescan::parts`]).
    top_level_closes: Vec<usize>,
    /// Byte ranges inside the top-level items' braces (`fn` bodies, `impl` and `trait` blocks,
    /// inline modules, struct fields), but those of `use` trees and macros: what the first
    /// pass of a walk in parts, which collects the names a module declares, never reads (see
    /// [`Prescan::shallow`]).
    item_bodies: Vec<(usize, usize)>,
}

/// What a top-level `{` follows, for [`Prescan::item_bodies`].
#[derive(Clone, Copy, PartialEq)]
enum Top {
    Other,
    /// `!` (a macro: `name! {`).
    Bang,
    /// The name after a `!` (`macro_rules! name {`).
    MacroName,
    /// `::` or `use` (a `use` tree).
    UseTree,
}

impl Prescan {
    /// The text to parse: `text` with doc-comment markers and skipped attributes turned into
    /// spaces (same length, same lines and columns), or `None` when there is nothing to blank.
    pub fn blanked(&self, text: &str) -> Option<String> {
        if self.doc_markers.is_empty()
            && self.skipped_attrs.is_empty()
            && self.test_modules.is_empty()
            && self.ruled_out.is_empty()
            && self.macro_rules.is_empty()
            && self.unread_bodies.is_empty()
            && self.literal_arrays.is_empty()
        {
            return None;
        }
        let mut bytes = text.as_bytes().to_vec();
        for &m in &self.doc_markers {
            bytes[m] = b' ';
        }
        // A test module may hold non-ASCII text: each of its bytes becomes a space, which keeps
        // the text valid UTF-8, its length and its lines (columns after a multi-byte character
        // on the module's last line move, which nothing reads of a dependency).
        for &(a, b) in self
            .skipped_attrs
            .iter()
            .chain(&self.test_modules)
            .chain(&self.ruled_out)
            .chain(&self.macro_rules)
            .chain(&self.unread_bodies)
            .chain(&self.literal_arrays)
        {
            for c in &mut bytes[a..b] {
                if *c != b'\n' {
                    *c = b' ';
                }
            }
        }
        // Whole characters were replaced (skipped attributes are all ASCII; a test module or a
        // ruled-out item starts with `#` and ends with `}` or `;`; a macro's rules start after
        // an opening bracket and end before its closing one; an array's inside starts after
        // `[` and ends before `]`, its char literals whole), by ASCII spaces.
        Some(String::from_utf8(bytes).expect("spaces for whole characters keep UTF-8 valid"))
    }
}

impl Prescan {
    /// `text` (the text to parse) with the insides of the top-level items' braces blanked,
    /// but those of `use` trees and macros: the names, imports and item macros of the module,
    /// which is all the first pass of a walk in parts reads (`walker::walk_file_in_parts`), at
    /// a fraction of the parse (a 5 MiB generated visitor is mostly method bodies).
    pub fn shallow(&self, text: &str) -> String {
        let mut bytes = text.as_bytes().to_vec();
        for &(a, b) in &self.item_bodies {
            for c in &mut bytes[a..b] {
                if *c != b'\n' {
                    *c = b' ';
                }
            }
        }
        String::from_utf8(bytes).expect("a body's bytes between its braces are whole characters")
    }

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

/// The size from which an array of literals is blanked (smaller ones cost syn little).
const LITERAL_ARRAY_MIN: usize = 512;

/// The offset just past the raw string whose `#`s or `"` start at `b[j]`, after its `r`, `br`
/// or `cr` (the end of the text if it never closes); `Err` with the offset past the `#`s when
/// no `"` follows them (a raw identifier, `r#type`).
fn raw_string_end(b: &[u8], mut j: usize) -> Result<usize, usize> {
    let hashes_at = j;
    while b.get(j) == Some(&b'#') {
        j += 1;
    }
    if b.get(j) != Some(&b'"') {
        return Err(j);
    }
    let hashes = &b[hashes_at..j];
    let rest = &b[j + 1..];
    let close = memchr::memchr_iter(b'"', rest).find(|&q| rest[q + 1..].starts_with(hashes));
    Ok(j + 1 + close.map_or(rest.len(), |q| q + 1 + hashes.len()))
}

/// What a table blanked before parsing may hold (see [`table_end`]).
#[derive(Clone, Copy, PartialEq)]
enum Table {
    /// Literals only: numbers (`0x1f`, `-1.5e3`, `7u8`), char and byte literals (`'a'`,
    /// `'\u{1F600}'`, `b'\n'`), nested arrays and tuples of them, commas, whitespace and line
    /// comments. Anything else (a name, a path, a string, an operator but `-`) and it is not one.
    Literals,
    /// Data: elements that only name and build values, without running code: literals
    /// (strings too), paths, struct literals (`D { l: 0, t: 0, i: 1 }`), tuples, nested
    /// arrays, references and arithmetic (`&[("a", Kind::A)]`, `[(0, 31, Category::Control)]`),
    /// block comments. No call (a `(` after a name, `)`, `]` or `>`: `Some(1)` is taken as
    /// one), method call or field (`.`), macro (`!`), closure (`|`), attribute (`#`), `;`, `=`,
    /// `?`, lifetime or keyword that makes or runs code (`async`, `move`, `unsafe`, `if`,
    /// `match`, `loop`, `let`, `return`, ...). Read only in a `const` or `static` value at an
    /// item level of a dependency's file (see [`ItemScan::value`]), where the walker reads
    /// nothing of such an array: no call is in it, no local, and no enclosing function (whose
    /// `O_NONBLOCK` flags or unused bindings a path could touch).
    Data,
}

/// Whether the `[` at `b[i]` opens a table of the `kind` given, and if so the offset just past
/// its `]`.
fn table_end(b: &[u8], i: usize, kind: Table) -> Option<usize> {
    let data = kind == Table::Data;
    // Whether the previous token ends an operand a `(` would call (a name, `)`, `]`, `>`).
    let mut callable = false;
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        let c = b[j];
        let mut ends_callable = false;
        match c {
            b'[' | b'(' | b'{' => {
                if c == b'(' && callable || c == b'{' && !data {
                    return None;
                }
                depth += 1;
            }
            b']' | b')' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return (c == b']').then_some(j + 1);
                }
                ends_callable = c != b'}';
            }
            b' ' | b'\t' | b'\n' | b'\r' => {
                j += 1;
                continue;
            }
            b',' | b'-' => {}
            b'+' | b'*' | b'%' | b'^' | b'&' | b':' | b'<' if data => {}
            b'>' if data => ends_callable = true,
            b'/' => match b.get(j + 1) {
                Some(b'/') => j += memchr::memchr(b'\n', &b[j..])?,
                Some(b'*') if data => j = block_comment_end(b, j)?,
                _ if data => {}
                _ => return None,
            },
            b'0'..=b'9' => j = number_last(b, j),
            b'"' if data => j = string_end(b, j),
            b'\'' => j = char_literal_end(b, j)?,
            c if is_word_start(c) => {
                let end = word_end(b, j);
                let word = &b[j..end];
                match (word, b.get(end)) {
                    (b"b", Some(b'\'')) => j = char_literal_end(b, end)?,
                    _ if !data => return None,
                    (b"b" | b"c", Some(b'"')) => j = string_end(b, end),
                    (b"r" | b"br" | b"cr", Some(b'#' | b'"')) => {
                        j = raw_string_end(b, end).ok()? - 1;
                    }
                    _ => {
                        if matches!(
                            word,
                            // Code that runs or is made later.
                            b"async" | b"await" | b"move" | b"unsafe" | b"const" | b"static"
                                | b"fn" | b"dyn" | b"let" | b"if" | b"else" | b"match"
                                | b"loop" | b"while" | b"for" | b"return" | b"break"
                                | b"continue" | b"yield" | b"become" | b"try" | b"gen"
                                | b"box"
                                // An item in a block.
                                | b"impl" | b"mod" | b"struct" | b"enum" | b"union"
                                | b"trait" | b"type" | b"use" | b"extern" | b"pub"
                                | b"where" | b"macro_rules"
                        ) {
                            return None;
                        }
                        j = end;
                        callable = true;
                        continue;
                    }
                }
            }
            _ => return None,
        }
        callable = ends_callable;
        j += 1;
    }
    None
}

/// The offset of the `/` that closes the block comment (nested ones included) opening at
/// `b[i]`.
fn block_comment_end(b: &[u8], mut i: usize) -> Option<usize> {
    let mut nest = 0usize;
    while i + 1 < b.len() {
        if b[i] == b'/' && b[i + 1] == b'*' {
            nest += 1;
            i += 1;
        } else if b[i] == b'*' && b[i + 1] == b'/' {
            nest -= 1;
            i += 1;
            if nest == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// The offset of the last byte of the number literal that starts at `b[j]`, with its suffix,
/// exponent and dot (`0xFF_u8`, `1.5e3f64`, `1.`). A `.` before a name or another `.` is not
/// the number's (`1.0.max(2.0)`, `1..2`): a scan that refuses `.` then refuses the method call
/// or range.
fn number_last(b: &[u8], mut j: usize) -> usize {
    while let Some(&c) = b.get(j + 1) {
        let dot = c == b'.' && !b.get(j + 2).is_some_and(|&n| n == b'.' || is_word_start(n));
        if !(is_ident_byte(c) || dot) {
            break;
        }
        j += 1;
    }
    j
}

/// The offset of the closing `'` of the char literal whose opening `'` is at `b[i]` (`'a'`,
/// `'é'`, `'\n'`, `'\''`, `'\u{10FFFF}'`); None when it is not one (a lifetime).
fn char_literal_end(b: &[u8], i: usize) -> Option<usize> {
    let j = i + 1;
    match *b.get(j)? {
        b'\\' => {
            // `\'` and `\\` are one escaped character; others end at the first `'`.
            let from = if matches!(b.get(j + 1), Some(b'\'' | b'\\')) {
                j + 2
            } else {
                j + 1
            };
            let end = from + memchr::memchr(b'\'', b.get(from..)?)?;
            (end - j <= 10).then_some(end)
        }
        b'\'' | b'\n' => None,
        c => {
            // One character of 1 to 4 bytes.
            let len = match c {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                _ => 4,
            };
            (b.get(j + len) == Some(&b'\'')).then_some(j + len)
        }
    }
}

/// Whether `#[cfg(test)]` starts at `b[i]` and opens an inline module (`#[cfg(test)]`, other
/// simple attributes, `pub` or `pub(..)`, `mod name {`): the offset of its `{`.
fn cfg_test_module(b: &[u8], i: usize) -> Option<usize> {
    let space = |j: usize| skip_space(b, j);
    let mut j = i + 1;
    for token in [&b"["[..], b"cfg", b"(", b"test", b")", b"]"] {
        j = space(j);
        if !b[j.min(b.len())..].starts_with(token) {
            return None;
        }
        j += token.len();
    }
    let word = |j: usize, w: &[u8]| {
        b[j.min(b.len())..].starts_with(w)
            && !b.get(j + w.len()).copied().is_some_and(is_ident_byte)
    };
    loop {
        j = space(j);
        if b.get(j) != Some(&b'#') {
            break;
        }
        // Another attribute: plain text up to its `]` (anything else, and the module is parsed).
        let end = j + memchr::memchr(b']', &b[j..])?;
        if b.get(j + 1) != Some(&b'[')
            || b[j + 2..end]
                .iter()
                .any(|c| matches!(c, b'"' | b'\'' | b'/' | b'['))
        {
            return None;
        }
        j = end + 1;
    }
    if word(j, b"pub") {
        j = space(j + 3);
        if b.get(j) == Some(&b'(') {
            j += 1 + memchr::memchr(b')', &b[j..])?;
            j += 1;
        }
        j = space(j);
    }
    if !word(j, b"mod") {
        return None;
    }
    j = after_name(b, j + 3)?;
    (b.get(j) == Some(&b'{')).then_some(j)
}

/// The offset past whitespace from `b[j]`.
fn skip_space(b: &[u8], mut j: usize) -> usize {
    while j < b.len() && b[j].is_ascii_whitespace() {
        j += 1;
    }
    j
}

/// The offset past a name (and the whitespace around it) from `b[j]`, if one is there.
fn after_name(b: &[u8], j: usize) -> Option<usize> {
    let j = skip_space(b, j);
    let name_end = word_end(b, j);
    (name_end > j && is_word_start(b[j])).then(|| skip_space(b, name_end))
}

/// Whether an attribute's text names `word` (`test`, `feature`) as a word.
fn names_word(attr: &[u8], word: &[u8]) -> bool {
    memchr::memmem::find_iter(attr, word).any(|at| {
        let before = at.checked_sub(1).map(|k| attr[k]);
        let after = attr.get(at + word.len()).copied();
        !before.is_some_and(is_ident_byte) && !after.is_some_and(is_ident_byte)
    })
}

/// Whether a `cfg` attribute's text names a key or name the platform decides.
fn names_platform(attr: &[u8]) -> bool {
    // Every platform key starts with `target_`.
    names_word(attr, b"unix")
        || names_word(attr, b"windows")
        || memchr::memmem::find(attr, b"target_").is_some()
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Whether an attribute that the walker never reads starts at `b[i]` (a `#`), and if so the
/// offset just past its closing `]`. The walker reads only single-word attributes named in
/// [`ATTRIBUTES_READ`], attributes with a path (`#[tokio::main]`) and `cfg`s with an empty list
/// (`#[cfg(any())]`); every other attribute (`cfg`, `derive`, `doc`, `repr`, `inline`, `test`,
/// ...) costs syn a parse (and its string literals an unescape) for nothing, so it is blanked
/// before parsing. Attributes with
/// anything unusual inside (a comment, a char or raw string literal, non-ASCII text, unbalanced
/// brackets) are left as they are.
fn skippable_attribute(b: &[u8], i: usize) -> Option<Attr> {
    let space = |j: usize| skip_space(b, j);
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
                    if c != b']' {
                        return None;
                    }
                    // With `cfg(test)` off, a `cfg` naming `test` decides what is walked; with
                    // the features known, one naming `feature` does too; with the platform
                    // known, one naming one of its keys.
                    let attr = &b[i..j];
                    if cfg
                        && ((super::build_cfg::cfg_test_off() && names_word(attr, b"test"))
                            || (super::build_cfg::features_known() && names_word(attr, b"feature"))
                            || (super::build_cfg::platform().is_some() && names_platform(attr)))
                    {
                        return Some(Attr::Decides(j + 1));
                    }
                    return Some(Attr::Skipped(j + 1));
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

/// An attribute the prescan knows what to do with (see [`skippable_attribute`]), and the offset
/// just past its `]`.
enum Attr {
    /// Read by nothing: blanked.
    Skipped(usize),
    /// A `cfg` the known build decides: kept for the walker, and read by the prescan too (the
    /// item it rules out is not parsed at all).
    Decides(usize),
}

/// What the prescan follows of the items of one container whose items the walker skips whole
/// under a `cfg` that rules them out (the file, an inline module, an `impl` or `trait` block),
/// to blank such items ([`Prescan::ruled_out`]). Only with the build known (`cfg(test)` off: a
/// dependency's library, read for its summary).
#[derive(Clone, Copy)]
struct ItemScan {
    /// The depth inside the container's braces (0: the file).
    level: usize,
    /// Where the item being scanned starts (its first attribute or word).
    start: Option<usize>,
    kind: ItemKind,
    /// Whether the item's braces are open (its body: it ends where they close).
    open: bool,
    /// Whether one of its `cfg`s rules it out.
    ruled_out: bool,
    /// Whether only attributes were met so far: those are the item's (an attribute further on
    /// is a generic parameter's, `impl<#[cfg(unix)] F: AsFd>`).
    head: bool,
    /// Whether the item is a `const` or `static` (not a `const fn`), and whether its value
    /// (after its `=`) is being scanned: where a data table may be blanked
    /// ([`Table::Data`]).
    constant: bool,
    value: bool,
    /// Whether the item is an `enum`, or an `extern` not followed by a name (`fn`, `crate`):
    /// a foreign block. Its body's inside is blanked ([`Prescan::unread_bodies`]) from
    /// `unread_from`.
    enum_item: bool,
    foreign: bool,
    unread_from: Option<usize>,
}

/// What the first words of an item say of where it ends.
#[derive(Clone, Copy, PartialEq)]
enum ItemKind {
    /// Only `pub`, `unsafe`, `async`, ... so far.
    Undecided,
    /// `const`, then maybe `unsafe`, `async` or `extern` (a `const fn` may follow).
    Const,
    /// `const`, `static`, `type`, `use`: it ends at its `;` (braces in it are expressions).
    Semi,
    /// `fn`, `struct`, `enum`, `extern`: it ends at its `;` or its body's `}`.
    Body,
    /// `mod`, `impl`, `trait`: the same, and its body is a container too.
    Container,
    /// Anything else (a macro, a `union`): never blanked; it ends at its `;` or `}`.
    Other,
}

impl ItemScan {
    fn new(level: usize) -> ItemScan {
        ItemScan {
            level,
            start: None,
            kind: ItemKind::Undecided,
            open: false,
            ruled_out: false,
            head: true,
            constant: false,
            value: false,
            enum_item: false,
            foreign: false,
            unread_from: None,
        }
    }

    /// The item's next word at the container's level.
    fn word(&mut self, word: &[u8], at: usize) {
        self.start.get_or_insert(at);
        self.head = false;
        // `extern fn`, `extern crate`: not a foreign block.
        self.foreign = false;
        self.kind = match (self.kind, word) {
            (
                ItemKind::Undecided,
                b"pub" | b"unsafe" | b"async" | b"default" | b"auto" | b"safe",
            ) => ItemKind::Undecided,
            (ItemKind::Undecided, b"const") => ItemKind::Const,
            (ItemKind::Undecided, b"static") => {
                self.constant = true;
                ItemKind::Semi
            }
            (ItemKind::Undecided, b"type" | b"use") => ItemKind::Semi,
            (ItemKind::Undecided, b"mod" | b"impl" | b"trait") => ItemKind::Container,
            // (Not `union`, a word that may name a macro: `union! { .. }`.)
            (ItemKind::Undecided, b"enum") => {
                self.enum_item = true;
                ItemKind::Body
            }
            (ItemKind::Undecided, b"extern") => {
                self.foreign = true;
                ItemKind::Body
            }
            (ItemKind::Undecided, b"fn" | b"struct") => ItemKind::Body,
            // `const fn`, `const unsafe fn`; not `const F: fn() = ..`.
            (ItemKind::Const, b"fn") => ItemKind::Body,
            (ItemKind::Const, b"unsafe" | b"async" | b"extern") => ItemKind::Const,
            (ItemKind::Const, _) => {
                self.constant = true;
                ItemKind::Semi
            }
            (ItemKind::Undecided, _) => ItemKind::Other,
            (kind, _) => kind,
        };
    }

    /// The item ends at `end`: its range when a `cfg` ruled it out (and it is an item the
    /// walker skips whole: not a macro).
    fn end(&mut self, end: usize) -> Option<(usize, usize)> {
        let out = match (self.start, self.kind) {
            (
                Some(start),
                ItemKind::Const | ItemKind::Semi | ItemKind::Body | ItemKind::Container,
            ) if self.ruled_out => Some((start, end)),
            _ => None,
        };
        *self = ItemScan::new(self.level);
        out
    }
}

/// What [`Nesting`] knows of the previous token.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum Prev {
    /// An identifier that is not a keyword the estimate knows: it ends an operand, and a `<`
    /// after it may open generic arguments.
    Word,
    /// A literal, `)`, `]` or `?`: it ends an operand, and a `<` after it is a comparison.
    Close,
    /// Anything else (an operator, an opening bracket, a keyword, the start of the file): a
    /// `&`, `*`, `-`, `!` or `|` after it is a prefix operator.
    #[default]
    Punct,
}

/// The estimate of one bracket level, saved while a nested one is scanned.
#[derive(Clone, Copy, Debug, Default)]
struct Level {
    /// The estimate where the level's opening bracket is (one more than outside it).
    base: u32,
    /// Prefix operators in a row, up to the current token (`& & mut * const !`).
    run: u32,
    /// `<` not yet closed by a `>` in this statement (generic arguments, qualified paths).
    angles: u32,
    /// `->`, `=` and compound assignments since the last `,` or `;`: right-associative.
    chain: u32,
    /// Inside a closure's parameter list (`|x: u8|`), which adds nothing.
    params: bool,
}

/// A linear, token-level estimate of how deep syn will recurse on code that nests without
/// brackets: the prefix operators in a row before an operand (`&&&x`, `!!x`, `--x`, `**x`,
/// `&mut &mut T`, `*const *const T`, closures `|| || 0` and `|x| |x| 0`, `impl`, `dyn`,
/// `return`, `break`, `yield`, `box`, `if`, `match`, `while`; `const`, `mut`, `move`, lifetimes
/// and a few other keywords are transparent), the open `<` of generic arguments in a statement
/// and the `->` / `=` chains since the last `,` or `;`, added up through enclosing brackets (each
/// of which counts one). It errs upwards (a comparison `a < b` counts as an open `<` until the
/// statement ends), which costs nothing as long as the limit is far above real code.
#[derive(Debug, Default)]
struct Nesting {
    cur: Level,
    outer: Vec<Level>,
    prev: Prev,
}

impl Nesting {
    fn estimate(&self) -> usize {
        // Saturating adds, one after the other: summed as a vector, the four fields were loaded
        // at once right after one of them was stored, which stalls the load (a fifth of the
        // prescan's time).
        let c = &self.cur;
        c.base
            .saturating_add(c.run)
            .saturating_add(c.angles)
            .saturating_add(c.chain) as usize
    }

    fn open(&mut self) {
        let base = self.estimate() as u32 + 1;
        self.outer.push(self.cur);
        self.cur = Level {
            base,
            ..Level::default()
        };
        self.prev = Prev::Punct;
    }

    /// `)` or `]`: back to the enclosing level, after an operand.
    fn close(&mut self) {
        self.cur = self.outer.pop().unwrap_or_default();
        self.prev = Prev::Close;
    }

    /// `}`: back to the enclosing level, at the start of a statement.
    fn close_brace(&mut self) {
        let saved = self.outer.pop().unwrap_or_default();
        self.cur = Level {
            base: saved.base,
            params: saved.params,
            ..Level::default()
        };
        self.prev = Prev::Punct;
    }

    /// An operand: a literal (`Prev::Close`) or an identifier (`Prev::Word`).
    fn operand(&mut self, prev: Prev) {
        if !self.cur.params {
            self.cur.run = 0;
            self.prev = prev;
        }
    }

    /// A prefix operator or keyword that adds a level.
    fn prefix(&mut self, n: u32) {
        self.cur.run += n;
        self.prev = Prev::Punct;
    }

    /// A token that ends a run of prefix operators (a binary operator, `.`, `:`).
    fn reset(&mut self) {
        self.cur.run = 0;
        self.prev = Prev::Punct;
    }

    fn after_operand(&self) -> bool {
        self.prev != Prev::Punct
    }

    /// A keyword or identifier.
    fn word(&mut self, w: &[u8]) {
        if self.cur.params {
            return;
        }
        match w {
            b"impl" | b"dyn" | b"return" | b"break" | b"yield" | b"box" | b"if" | b"match"
            | b"while" => self.prefix(1),
            b"const" | b"mut" | b"move" | b"async" | b"raw" | b"static" | b"in" | b"as"
            | b"let" | b"else" | b"unsafe" | b"where" | b"for" | b"fn" => {
                self.prev = Prev::Punct;
            }
            _ => self.operand(Prev::Word),
        }
    }

    /// The punctuation at `b[i]` (not a bracket, a comment, a quote or `#`): its length.
    fn punct(&mut self, b: &[u8], i: usize) -> usize {
        let next = b.get(i + 1).copied().unwrap_or(0);
        let next2 = b.get(i + 2).copied().unwrap_or(0);
        if self.cur.params {
            if b[i] == b'|' {
                self.cur.params = false;
                self.prev = Prev::Punct;
            }
            return 1;
        }
        let prefix = !self.after_operand();
        let assign = |s: &mut Self, len: usize| {
            s.cur.chain += 1;
            s.reset();
            len
        };
        match (b[i], next) {
            (b'&' | b'|' | b'*' | b'-' | b'+' | b'/' | b'%' | b'^', b'=') => assign(self, 2),
            (b'<', b'<') | (b'>', b'>') if next2 == b'=' => assign(self, 3),
            (b'-', b'>') => assign(self, 2),
            (b'=' | b'!' | b'<' | b'>', b'=') | (b'=', b'>') | (b'&' | b'|', b'&' | b'|') => {
                if prefix && b[i] == next {
                    // `&&x` is two references, `|| x` a closure.
                    self.prefix(if next == b'&' { 2 } else { 1 });
                } else {
                    self.reset();
                }
                2
            }
            (b'=', _) => assign(self, 1),
            (b'&' | b'*' | b'-' | b'!', _) if prefix => {
                self.prefix(1);
                1
            }
            (b'|', _) if prefix => {
                self.prefix(1);
                self.cur.params = true;
                1
            }
            (b'<', b'<') => {
                if prefix {
                    self.cur.angles += 2;
                }
                self.reset();
                2
            }
            (b'<', _) => {
                if self.prev != Prev::Close {
                    self.cur.angles += 1;
                }
                self.reset();
                1
            }
            (b'>', b'>') => {
                self.cur.angles = self.cur.angles.saturating_sub(2);
                self.reset();
                2
            }
            (b'>', _) => {
                self.cur.angles = self.cur.angles.saturating_sub(1);
                self.reset();
                1
            }
            (b';', _) => {
                self.cur = Level {
                    base: self.cur.base,
                    ..Level::default()
                };
                self.prev = Prev::Punct;
                1
            }
            (b',', _) => {
                self.cur.chain = 0;
                self.reset();
                1
            }
            (b'?', _) => {
                self.operand(Prev::Close);
                1
            }
            (b'.', b'.') => {
                // `..`, `...`, `..=`: a range, not an assignment.
                self.reset();
                if matches!(next2, b'=' | b'.') { 3 } else { 2 }
            }
            (b':', b':') => {
                self.reset();
                2
            }
            _ => {
                self.reset();
                1
            }
        }
    }
}

/// Whether `c` can start an identifier (or a keyword), counting any non-ASCII byte.
fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn word_end(b: &[u8], mut j: usize) -> usize {
    while j < b.len() && (is_ident_byte(b[j]) || b[j] >= 0x80) {
        j += 1;
    }
    j
}

/// One pass over the bytes, skipping strings, chars and comments (cheap, and errs on the side
/// of parsing): the nesting depth (brackets, and [`Nesting`]'s estimate without them), the doc
/// comments and the attributes nothing reads.
pub fn prescan(text: &str) -> Prescan {
    let b = text.as_bytes();
    let mut out = Prescan::default();
    let mut nest = Nesting::default();
    let (mut i, mut depth) = (0, 0usize);
    let test_off = super::build_cfg::cfg_test_off();
    // The start of the inline test module being scanned, and the depth inside its braces.
    let mut test_module: Option<(usize, usize)> = None;
    // The start of the rules of the `macro_rules!` being scanned, and the depth inside them.
    let mut macro_rules: Option<(usize, usize)> = None;
    // What the last top-level token was, and where the body of the top-level item being
    // scanned starts (see `Prescan::item_bodies`).
    let mut top = Top::Other;
    let mut body: Option<usize> = None;
    // The item containers open around the scan, innermost last (see `ItemScan`); the item
    // being scanned is that of the last one when the scan is at its level.
    let mut items: Vec<ItemScan> = if test_off {
        vec![ItemScan::new(0)]
    } else {
        Vec::new()
    };
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' => {
                // A run of whitespace (indentation, mostly) changes neither the depth nor the
                // estimate: skipped at once.
                i += 1;
                while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => {
                if b[i] == b'['
                    && let Some(end) = table_end(b, i, Table::Literals)
                    && end - i >= LITERAL_ARRAY_MIN
                {
                    out.literal_arrays.push((i + 1, end - 1));
                    nest.operand(Prev::Close);
                    i = end;
                    continue;
                }
                if b[i] == b'['
                    && items.last().is_some_and(|it| it.level == depth && it.value)
                    && let Some(end) = table_end(b, i, Table::Data)
                    && end - i >= LITERAL_ARRAY_MIN
                    // The whole value (`= [..];`, `= &[..];`), not a receiver (`[..].len()`,
                    // whose element type the walker would read) nor an operand.
                    && b.get(skip_space(b, end)) == Some(&b';')
                {
                    out.literal_arrays.push((i + 1, end - 1));
                    nest.operand(Prev::Close);
                    i = end;
                    continue;
                }
                if depth == 0
                    && b[i] == b'{'
                    && !matches!(top, Top::Bang | Top::MacroName | Top::UseTree)
                {
                    body = Some(i + 1);
                }
                // An item's body opens (not a brace in a `const`'s value): it ends where the
                // body closes, and a module's, `impl`'s or `trait`'s body holds items too.
                let mut container = false;
                if b[i] == b'{'
                    && let Some(it) = items.last_mut()
                    && it.level == depth
                {
                    it.start.get_or_insert(i);
                    it.head = false;
                    if !matches!(it.kind, ItemKind::Const | ItemKind::Semi) && !it.open {
                        it.open = true;
                        container = it.kind == ItemKind::Container;
                        if it.enum_item || it.foreign {
                            it.unread_from = Some(i + 1);
                        }
                    }
                }
                depth += 1;
                if container {
                    items.push(ItemScan::new(depth));
                }
                if depth > MAX_NESTING {
                    out.too_deep = Some((i, depth));
                    return out;
                }
                nest.open();
                if nest.estimate() > MAX_OPERATOR_NESTING {
                    out.too_deep_operators = Some((i, nest.estimate()));
                    return out;
                }
            }
            b')' | b']' => {
                close_macro_rules(&mut macro_rules, depth, i, &mut out);
                depth = depth.saturating_sub(1);
                nest.close();
                top = Top::Other;
            }
            b'}' => {
                if let Some((start, inside)) = test_module
                    && depth == inside
                {
                    out.test_modules.push((start, i + 1));
                    test_module = None;
                }
                close_macro_rules(&mut macro_rules, depth, i, &mut out);
                depth = depth.saturating_sub(1);
                if items.len() > 1 && items.last().is_some_and(|it| it.level > depth) {
                    items.pop();
                }
                if let Some(it) = items.last_mut()
                    && it.level == depth
                    && it.open
                {
                    if let Some(from) = it.unread_from {
                        out.unread_bodies.push((from, i));
                    }
                    if let Some(range) = it.end(i + 1) {
                        out.ruled_out.push(range);
                    }
                }
                nest.close_brace();
                if depth == 0 {
                    out.top_level_closes.push(i + 1);
                    if let Some(start) = body.take() {
                        out.item_bodies.push((start, i));
                    }
                    top = Top::Other;
                }
            }
            b'#' => {
                // An outer attribute starts the item it is on (an inner one, `#![..]`, belongs
                // to the container).
                let outer = items
                    .last()
                    .is_some_and(|it| it.level == depth && !inner_attribute(b, i));
                let mut start = i;
                if outer && let Some(it) = items.last_mut() {
                    start = *it.start.get_or_insert(i);
                }
                if test_off
                    && test_module.is_none()
                    && let Some(open) = cfg_test_module(b, i)
                {
                    // Scanned on from its `{` (its attributes and name are blanked with it,
                    // those before its `cfg(test)` too: `#[cfg(feature = "std")]`).
                    test_module = Some((start, depth + 1));
                    i = open;
                    continue;
                }
                match skippable_attribute(b, i) {
                    Some(Attr::Skipped(end)) => {
                        out.skipped_attrs.push((i, end));
                        i = end;
                        continue;
                    }
                    // Scanned on as written (the walker reads it too).
                    Some(Attr::Decides(end)) => {
                        if outer
                            && let Some(it) = items.last_mut()
                            && it.head
                            && !it.ruled_out
                        {
                            it.ruled_out = crate::syntax::walker::cfg_rules_out(&text[i..end]);
                        }
                    }
                    None => {}
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
                // (Unclosed: the scan ends.)
                i = block_comment_end(b, i).unwrap_or(b.len());
            }
            b'"' => {
                i = string_end(b, i);
                nest.operand(Prev::Close);
            }
            b'\'' => {
                // A char literal ('x', '\n', '\u{..}', 'é') or a lifetime ('a, transparent).
                if b.get(i + 1) == Some(&b'\\') {
                    while i + 1 < b.len() && b[i + 1] != b'\'' {
                        i += 1;
                    }
                    i += 1;
                    nest.operand(Prev::Close);
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 2;
                    nest.operand(Prev::Close);
                } else {
                    let end = word_end(b, i + 1);
                    if end > i + 1 && b.get(end) == Some(&b'\'') {
                        i = end;
                        nest.operand(Prev::Close);
                    } else {
                        i = end.max(i + 1);
                        continue;
                    }
                }
            }
            b'0'..=b'9' => {
                i = word_end(b, i);
                nest.operand(Prev::Close);
                continue;
            }
            c if is_word_start(c) => {
                let end = word_end(b, i);
                let word = &b[i..end];
                // A raw string `r"…"`, `r#"…"#`, also as bytes or C string (`br"…"`, `cr#"…"#`),
                // or a raw identifier `r#type`.
                if matches!(word, b"r" | b"br" | b"cr") && matches!(b.get(end), Some(b'#' | b'"')) {
                    match raw_string_end(b, end) {
                        Ok(past) => {
                            i = past;
                            nest.operand(Prev::Close);
                        }
                        Err(hashes_end) => {
                            i = word_end(b, hashes_end);
                            nest.operand(Prev::Word);
                        }
                    }
                    continue;
                }
                if let Some(it) = items.last_mut()
                    && it.level == depth
                {
                    it.word(word, i);
                }
                if depth == 0 {
                    top = match (word, top) {
                        (b"use", _) => Top::UseTree,
                        (_, Top::Bang) => Top::MacroName,
                        _ => Top::Other,
                    };
                }
                // `macro_rules! name {`: scanned on from its bracket (the rules blanked).
                if test_off
                    && macro_rules.is_none()
                    && word == b"macro_rules"
                    && let Some(open) = macro_rules_open(b, end)
                {
                    macro_rules = Some((open + 1, depth + 1));
                    if depth == 0 {
                        top = Top::MacroName;
                    }
                    i = open;
                    continue;
                }
                nest.word(word);
                i = end;
                // A keyword may start a run of prefix operators (`return return ..`).
                if nest.estimate() > MAX_OPERATOR_NESTING {
                    out.too_deep_operators = Some((end, nest.estimate()));
                    return out;
                }
                continue;
            }
            _ => {
                if let Some(it) = items.last_mut()
                    && it.level == depth
                {
                    match b[i] {
                        b';' => {
                            if let Some(range) = it.end(i + 1) {
                                out.ruled_out.push(range);
                            }
                        }
                        // The `!` of an inner attribute (`#![..]`) starts no item.
                        b'!' if previous_token_byte(b, i) == Some(b'#') => {}
                        c => {
                            it.start.get_or_insert(i);
                            it.head = false;
                            // A constant's value starts (not `==` nor `=>`; `<=`, `>=` and
                            // `!=` are read whole from their first byte by `Nesting::punct`).
                            if c == b'='
                                && it.constant
                                && !matches!(b.get(i + 1), Some(b'=' | b'>'))
                            {
                                it.value = true;
                            }
                        }
                    }
                }
                if depth == 0 {
                    top = match (b[i], b.get(i + 1)) {
                        (b'!', _) => Top::Bang,
                        (b':', Some(b':')) => Top::UseTree,
                        _ => Top::Other,
                    };
                }
                i += nest.punct(b, i);
                if nest.estimate() > MAX_OPERATOR_NESTING {
                    out.too_deep_operators = Some((i - 1, nest.estimate()));
                    return out;
                }
                continue;
            }
        }
        // (The estimate grows only at an opening bracket, a word or punctuation, each checked
        // there: closing brackets, literals and comments never raise it.)
        i += 1;
    }
    out
}

/// The `macro_rules!` rules being scanned end at the closing bracket `b[i]` when it is theirs
/// (`depth` before it closes): their range is kept.
fn close_macro_rules(
    rules: &mut Option<(usize, usize)>,
    depth: usize,
    i: usize,
    out: &mut Prescan,
) {
    if let Some((start, inside)) = *rules
        && depth == inside
    {
        out.macro_rules.push((start, i));
        *rules = None;
    }
}

/// Whether the `#` at `b[i]` starts an inner attribute (`#![..]`, `# ! [..]`).
fn inner_attribute(b: &[u8], i: usize) -> bool {
    b[i + 1..].iter().find(|c| !c.is_ascii_whitespace()) == Some(&b'!')
}

/// The last byte before `b[i]` that is not whitespace.
fn previous_token_byte(b: &[u8], i: usize) -> Option<u8> {
    b[..i]
        .iter()
        .rev()
        .find(|c| !c.is_ascii_whitespace())
        .copied()
}

/// The offset of the opening bracket of a `macro_rules!` definition's rules, when `b[i..]`
/// follows its `macro_rules` word: `! name {` (or `(`, `[`), spaces allowed between.
fn macro_rules_open(b: &[u8], i: usize) -> Option<usize> {
    let j = skip_space(b, i);
    if b.get(j) != Some(&b'!') {
        return None;
    }
    let j = after_name(b, j + 1)?;
    matches!(b.get(j), Some(b'{' | b'(' | b'[')).then_some(j)
}

/// The offset of the closing quote of the string that opens at `b[i]` (or the end of the text).
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    loop {
        match memchr::memchr2(b'"', b'\\', b.get(i..).unwrap_or_default()) {
            Some(n) if b[i + n] == b'"' => return i + n,
            Some(n) => i += n + 2,
            None => return b.len(),
        }
    }
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

    /// Runs `f` as a dependency's library is read: `cfg(test)` off, the features `on` and
    /// `default` enabled, for Linux on x86_64.
    fn as_a_dependency<R>(f: impl FnOnce() -> R) -> R {
        use crate::syntax::build_cfg::{with_cfg_test_off, with_features, with_platform};
        use crate::workspace::platform::Platform;
        static LINUX: std::sync::OnceLock<Platform> = std::sync::OnceLock::new();
        let linux = LINUX.get_or_init(|| Platform {
            names: ["unix", "debug_assertions"].map(String::from).into(),
            pairs: [("target_os", "linux"), ("target_arch", "x86_64")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
        });
        let features = Some(std::sync::Arc::new(
            ["on", "default"].map(String::from).into(),
        ));
        with_cfg_test_off(true, || {
            with_features(&features, || with_platform(Some(linux), f))
        })
    }

    #[test]
    fn items_a_known_build_rules_out_are_blanked_whole() {
        let src = "use std::fmt;\n\
            #[cfg(feature = \"off\")]\n#[inline]\n/// doc\npub fn gone_fn() { let s = \"}\"; }\n\
            #[cfg(feature = \"on\")]\npub fn kept_fn() {}\n\
            #[cfg(windows)]\nmod gone_windows { pub fn w() {} }\n\
            #[cfg(all(unix, not(feature = \"on\")))]\nconst GONE_CONST: S = S { a: 1 };\n\
            #[cfg(not(feature = \"off\"))]\nstatic KEPT_STATIC: u8 = 1;\n\
            #[cfg(feature = \"off\")]\nmod gone_decl;\n\
            #[cfg(test)]\n#[path = \"t.rs\"]\nmod gone_tests;\n\
            pub struct S { #[cfg(feature = \"off\")] pub kept_field: u8, a: u8 }\n\
            impl S {\n    #[cfg(feature = \"off\")]\n    pub const fn gone_method(&self) -> u8 { 0 }\n\
            \x20   pub fn kept_method(&self) {}\n    #[cfg(feature = \"off\")]\n    kept_mac!();\n}\n\
            #[cfg(feature = \"off\")]\nkept_item_macro! { fn m() {} }\n\
            #[cfg(feature = \"off\")]\nunion! { fn kept_union_macro() {} }\n\
            mod m {\n    #[cfg(target_os = \"windows\")]\n    impl super::S { fn gone_in_mod(&self) {} }\n\
            \x20   fn kept_in_mod() {}\n}\n\
            trait T {\n    #[cfg(feature = \"off\")]\n    fn gone_in_trait();\n    fn kept_in_trait();\n}\n\
            fn body() {\n    #[cfg(feature = \"off\")]\n    let kept_stmt = 1;\n}\n\
            #[cfg(feature = \"off\")]\nfn gone_generic<const N: usize>() -> [u8; N] where [u8; N]: Sized { [0; N] }\n\
            #[cfg(unix)]\n#[cfg(feature = \"off\")]\nfn gone_twice() {}\nfn kept_last() {}\n\
            #[cfg(feature = \"off\")]\nconst GONE_FN_TYPE: fn() = || { let x = 1; };\n\
            #[cfg(feature = \"off\")]\npub const unsafe fn gone_const_fn() {}\n\
            impl<T: Clone, const N: usize> Kept<T> for [T; N] { fn kept_generic() {} }\n\
            impl<#[cfg(unix)] F: Clone, #[cfg(not(unix))] F> KeptCfgParams for F { fn kept_cfg_params() {} }\n\
            #[cfg(feature = \"on\")]\n#[cfg(test)]\nmod gone_test_module { fn t() {} }\n";
        let gone = [
            "gone_fn",
            "inline",
            "gone_windows",
            "GONE_CONST",
            "gone_decl",
            "gone_tests",
            "gone_method",
            "gone_in_mod",
            "gone_in_trait",
            "gone_generic",
            "gone_twice",
            "#[cfg(unix)]\n",
            "GONE_FN_TYPE",
            "gone_const_fn",
            "gone_test_module",
            "feature = \"on\")]\n#[cfg(test)]",
        ];
        let kept = [
            "kept_fn",
            "KEPT_STATIC",
            "kept_field",
            "kept_method",
            "kept_mac",
            "kept_item_macro",
            "kept_union_macro",
            "kept_in_mod",
            "kept_in_trait",
            "kept_stmt",
            "kept_last",
            "kept_generic",
            "kept_cfg_params",
        ];
        let read = as_a_dependency(|| prescan(src).blanked(src)).unwrap();
        assert_eq!(
            (read.len(), read.lines().count()),
            (src.len(), src.lines().count())
        );
        assert!(syn::parse_file(&read).is_ok(), "{read}");
        for name in gone {
            assert!(!read.contains(name), "{name} in\n{read}");
        }
        for name in kept {
            assert!(read.contains(name), "{name} not in\n{read}");
        }
        // The walker sees the same either way.
        let walk = |t: &str| {
            as_a_dependency(|| format!("{:?}", walker::tests::walk_src(Kb::builtin(), t)))
        };
        assert_eq!(walk(src), walk(&read));
        // The workspace's own code (`cfg(test)` unknown) keeps every item.
        let own = crate::syntax::build_cfg::with_cfg_test_off(false, || prescan(src).blanked(src));
        let items = gone.iter().filter(|n| n.to_lowercase().starts_with("gone"));
        let own = own.unwrap_or_else(|| src.to_string());
        for name in items {
            assert!(own.contains(name), "{name} not in\n{own}");
        }
    }

    #[test]
    fn macro_rules_are_blanked_only_when_the_build_is_known() {
        let src = "macro_rules! top {\n    ($x:expr) => { std::thread::sleep($x) };\n}\n\
                   macro_rules! paren ( () => { \"}\" } );\n\
                   fn f() {\n    macro_rules ! inner [ ($a:ident) => { let $a = '}'; } ];\n    inner!(x);\n}\n\
                   pub fn macro_rules() {}\nfn g() { top!(D); macro_rules(); }\n";
        let read = as_a_dependency(|| prescan(src).blanked(src)).unwrap();
        assert_eq!(
            (read.len(), read.lines().count()),
            (src.len(), src.lines().count())
        );
        assert!(syn::parse_file(&read).is_ok(), "{read}");
        for gone in ["sleep", "$x", "$a", "\"}\""] {
            assert!(!read.contains(gone), "{gone} in\n{read}");
        }
        for kept in [
            "macro_rules! top {",
            "macro_rules! paren (",
            "inner!(x)",
            "pub fn macro_rules() {}",
            "top!(D); macro_rules();",
        ] {
            assert!(read.contains(kept), "{kept} not in\n{read}");
        }
        let walk = |t: &str| {
            as_a_dependency(|| format!("{:?}", walker::tests::walk_src(Kb::builtin(), t)))
        };
        assert_eq!(walk(src), walk(&read));
        // The workspace's own code: kept.
        let own =
            crate::syntax::build_cfg::with_cfg_test_off(false, || prescan(src).macro_rules.len());
        assert_eq!(own, 0);
    }

    #[test]
    fn blanking_ruled_out_items_changes_nothing_the_walker_sees_in_any_fixture() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let (mut checked, mut blanked) = (0, 0);
        for entry in walkdir::WalkDir::new(&root) {
            let path = entry.unwrap().into_path();
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            if syn::parse_file(&text).is_err() {
                continue;
            }
            let scan = as_a_dependency(|| prescan(&text));
            let Some(plain) = scan.blanked(&text) else {
                continue;
            };
            blanked += usize::from(!scan.ruled_out.is_empty());
            let walk = |t: &str| {
                as_a_dependency(|| format!("{:?}", walker::tests::walk_src(Kb::builtin(), t)))
            };
            assert!(walk(&text) == walk(&plain), "{}", path.display());
            checked += 1;
        }
        assert!(checked > 40, "only {checked} fixture files checked");
        assert!(
            blanked > 2,
            "only {blanked} fixture files with ruled-out items"
        );
    }

    #[test]
    fn large_arrays_of_literals_only_are_blanked() {
        let arr = |inner: &str| format!("[{}]", inner.repeat(LITERAL_ARRAY_MIN / inner.len() + 1));
        let end = |s: &str| table_end(s.as_bytes(), 0, Table::Literals);
        // Numbers, chars, bytes, tuples, nested arrays, comments.
        for inner in [
            "0x1f, 0b1010_1010u8, -12, 1.5e3f64, 7usize, 1., (2.),\n",
            "('a', 'z'), ('\\u{1F600}', '\\''), ('é', '\\\\'),\n",
            "[b'a', b'\\n', 3], // a row\n",
        ] {
            let src = arr(inner);
            assert_eq!(end(&src), Some(src.len()), "{src}");
        }
        // Anything that names or computes something is not one.
        for inner in [
            "1, X, ",
            "f(1), ",
            "\"s\", ",
            "1 + 2, ",
            "&1, ",
            "std::u8::MAX, ",
            "'a: loop {}, ",
            "1; ",
            "1.0.max(2.0), ",
            "1..2, ",
        ] {
            assert_eq!(end(&arr(inner)), None, "{inner}");
        }
        // Blanked inside, lines and columns kept; code after it is walked as before.
        let table = arr("0x1f, 'x', -3,\n");
        let src =
            format!("static T: [u16; 4] = {table};\nasync fn f() {{ std::thread::sleep(D); }}\n");
        let scan = prescan(&src);
        assert_eq!(scan.literal_arrays.len(), 1, "{scan:?}");
        let plain = scan.blanked(&src).unwrap();
        assert_eq!(plain.len(), src.len());
        assert_eq!(plain.lines().count(), src.lines().count());
        assert!(plain.starts_with("static T: [u16; 4] = [ "));
        assert!(syn::parse_file(&plain).is_ok());
        let walk = |text: &str| format!("{:?}", walker::tests::walk_src(Kb::builtin(), text));
        assert_eq!(walk(&src), walk(&plain));
        // A small one is left to syn.
        assert!(
            prescan("const A: [u8; 3] = [1, 2, 3];")
                .literal_arrays
                .is_empty()
        );
    }

    #[test]
    fn data_tables_in_a_dependency_constant_are_blanked() {
        let rows = |row: &str| row.repeat(LITERAL_ARRAY_MIN / row.len() + 1);
        let end = |s: &str| table_end(s.as_bytes(), 0, Table::Data);
        // Literals, strings of every kind, paths, struct literals, tuples, references,
        // arithmetic, casts, nested arrays, comments.
        for row in [
            "D { l: 0, t: 0, i: 1002 },\n",
            "(0, 31, GeneralCategory::Control), ('\\u{9}', SC_Sp),\n",
            "(b\"AElig\", \"\\u{00C6}\", c\"x\", r#\"\"Ḋ\"#, br\"y\"), // a row\n",
            "&[(\"agda\", &[\"*.agda\"])], [1 << 3, -2 * 4 % 3 ^ 1], 0x1f_u8 as u32,\n",
            "Entry::<u8> { name: \"a\", kind: Kind::A, next: None }, /* row */ 1.5e-3,\n",
            "{ 1 + 2 },\n",
        ] {
            let src = format!("[{}]", rows(row));
            assert_eq!(end(&src), Some(src.len()), "{src}");
        }
        // Anything that runs code, or could, is not one.
        for row in [
            "Some(1), ",
            "f(1), ",
            "X::new(), ",
            "[1][0](), ",
            "a.b, ",
            "1.0.max(2.0), ",
            "vec![1], ",
            "|x| x, ",
            "async {}, ",
            "move || 1, ",
            "unsafe { X }, ",
            "if a { 1 } else { 2 }, ",
            "{ let a = 1; a }, ",
            "'a: loop {}, ",
            "x?, ",
            "#[cfg(unix)] 1, ",
            "{ struct S { a: u8 } 1 }, ",
            "a == b, ",
            "r#type, ",
        ] {
            assert_eq!(end(&format!("[{}]", rows(row))), None, "{row}");
        }
        // In a dependency's `const` or `static` value at an item level: blanked, the walk
        // unchanged. In a function, or in the workspace's own code: left to syn.
        let table = format!("[{}]", rows("D { l: 0, t: 0, i: 7 }, (\"a\", Kind::A),\n"));
        let src = format!(
            "pub static WORDS: [D; 9] = {table};\n\
             mod m {{ pub(crate) const T: &[D] = &{table}; }}\n\
             impl D {{ const ALL: [D; 9] = {table}; }}\n\
             const fn f() -> u8 {{ let t = {table}; 1 }}\n\
             async fn g() {{ std::thread::sleep(D); }}\n"
        );
        let scan = as_a_dependency(|| prescan(&src));
        assert_eq!(scan.literal_arrays.len(), 3, "{scan:?}");
        let plain = scan.blanked(&src).unwrap();
        assert_eq!(plain.len(), src.len());
        assert_eq!(plain.lines().count(), src.lines().count());
        assert!(plain.starts_with("pub static WORDS: [D; 9] = [ "));
        assert!(plain.contains("let t = [D {"));
        assert!(syn::parse_file(&plain).is_ok());
        let walk = |t: &str| {
            as_a_dependency(|| format!("{:?}", walker::tests::walk_src(Kb::builtin(), t)))
        };
        assert_eq!(walk(&src), walk(&plain));
        let own = crate::syntax::build_cfg::with_cfg_test_off(false, || prescan(&src));
        assert!(own.literal_arrays.is_empty(), "{own:?}");
        // Neither a `const fn`'s body nor a type alias is a constant's value; a table that is
        // not the whole value (a receiver, an operand) is left to syn too.
        for not_a_value in [
            format!("const N: usize = {table}.len();"),
            format!("const U: bool = {table} == X;"),
            format!("const fn c() -> u8 {{ {table}; 0 }}"),
            format!("type T = [u8; 1];\nfn f() {{ {table}; }}"),
        ] {
            let scan = as_a_dependency(|| prescan(&not_a_value));
            assert!(scan.literal_arrays.is_empty(), "{not_a_value}");
        }
    }

    #[test]
    fn enum_bodies_and_foreign_blocks_of_a_dependency_are_blanked() {
        let src = "pub enum Kind<T: Copy> where T: Default {\n    A = f(),\n    #[cfg(unix)]\n    \
                   B { x: u8, y: [u8; 2] },\n    C(T),\n}\n\
                   unsafe extern \"C\" {\n    fn strlen(s: *const u8) -> usize;\n}\n\
                   extern { static errno: i32; }\n\
                   pub extern \"C\" fn exported() { std::thread::sleep(D); }\n\
                   extern crate alloc;\n\
                   mod m { pub(crate) enum E { X } impl E { fn f(&self) { enum Local { Y } } } }\n\
                   async fn g() { let e = Kind::A; std::fs::read(P); }\n";
        let scan = as_a_dependency(|| prescan(src));
        let insides: Vec<&str> = scan
            .unread_bodies
            .iter()
            .map(|&(a, b)| src[a..b].trim())
            .collect();
        // The enum's variants, both foreign blocks, the enum in a module; not a function's
        // body (`extern "C" fn`), nor an enum inside a function.
        assert_eq!(
            insides,
            [
                "A = f(),\n    #[cfg(unix)]\n    B { x: u8, y: [u8; 2] },\n    C(T),",
                "fn strlen(s: *const u8) -> usize;",
                "static errno: i32;",
                "X",
            ]
        );
        let plain = scan.blanked(src).unwrap();
        assert_eq!(plain.len(), src.len());
        assert_eq!(plain.lines().count(), src.lines().count());
        assert!(syn::parse_file(&plain).is_ok());
        assert!(plain.contains("enum Local { Y }"));
        let walk = |t: &str| {
            as_a_dependency(|| format!("{:?}", walker::tests::walk_src(Kb::builtin(), t)))
        };
        assert_eq!(walk(src), walk(&plain));
        // The workspace's own code: kept.
        let own = crate::syntax::build_cfg::with_cfg_test_off(false, || prescan(src));
        assert!(own.unread_bodies.is_empty());
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

    #[test]
    fn prescan_estimates_nesting_without_brackets() {
        let n = MAX_OPERATOR_NESTING + 1;
        for deep in [
            format!("type T = {}u8{};", "Vec<".repeat(n), ">".repeat(n)),
            format!("type T = {}u8;", "& 'a mut ".repeat(n)),
            format!("fn f() -> {}u8 {{}}", "impl Fn() -> ".repeat(n)),
            format!("fn f() {{ {}0 }}", "move |x: u8| ".repeat(n)),
            format!("fn f() {{ {}0 }}", "return ".repeat(n)),
            format!("fn f() {{ {}x }}", "! - * & /* c */ ".repeat(n / 4 + 1)),
            format!("fn f() {{ {}0; }}", "a = ".repeat(n)),
            // Added up through brackets.
            format!("fn f() {{ {}0 }}", "|| || || || || (".repeat(700)),
        ] {
            let (at, estimate) = prescan(&deep).too_deep_operators.expect(&deep[..40]);
            assert!(at < deep.len() && estimate > MAX_OPERATOR_NESTING);
            assert_eq!(prescan(&deep).too_deep, None);
        }
        // Long flat code is not deep: chains, comparisons, lists, ranges, matches, enums.
        let terms = 3 * MAX_OPERATOR_NESTING;
        let join = |sep: &str, f: &dyn Fn(usize) -> String| {
            (0..terms).map(f).collect::<Vec<_>>().join(sep)
        };
        for flat in [
            format!("fn f() {{ {} }}", join(" + ", &|i| i.to_string())),
            format!("fn f() {{ {} }}", join(" || ", &|_| "!a && *b".into())),
            format!("fn f() {{ x{} }}", join("", &|_| ".arg(&y)?".into())),
            format!(
                "fn f() {{ {} }}",
                join(" ", &|_| "if a < b { c = -d; }".into())
            ),
            format!("fn f() {{ {} }}", join(" ", &|_| "while x > 1 {}".into())),
            format!(
                "const T: [u64; 9] = [{}];",
                join(", ", &|i| format!("1 << {i}"))
            ),
            format!("enum E {{ {} }}", join(", ", &|i| format!("A{i} = {i}"))),
            format!(
                "fn f(c: char) -> bool {{ match c {{ {} => true, _ => false }} }}",
                join(" | ", &|_| "'\\u{E0100}'..='\\u{E01EF}'".into())
            ),
            format!(
                "fn f() {{ g({}) }}",
                join(", ", &|_| "|x: &u8| -> u8 { *x }".into())
            ),
            format!(
                "type T = ({});",
                join(", ", &|_| "&'a mut Vec<Box<dyn Fn() -> u8>>".into())
            ),
        ] {
            assert_eq!(prescan(&flat).too_deep_operators, None, "{}", &flat[..60]);
        }
    }

    #[test]
    fn inline_test_modules_are_blanked_only_when_test_is_off() {
        let src = "fn keep() {}\n#[cfg(test)]\n#[allow(unused)]\npub(crate) mod tests {\n    \
                   fn t() { let s = \"}\"; let c = '}'; /* } */ let é = 1; }\n}\nfn after() {}\n\
                   #[cfg(test)]\nmod outside;\n#[cfg(test)]\n#[path = \"x.rs\"]\nmod pathed {}\n\
                   mod m {\n    #[cfg(test)] mod inner { fn t() {} }\n    fn kept() {}\n}\n";
        let text = |off: bool| {
            crate::syntax::build_cfg::with_cfg_test_off(off, || prescan(src).blanked(src))
                .unwrap_or_else(|| src.to_string())
        };
        let off = text(true);
        assert_eq!(
            (off.len(), off.lines().count()),
            (src.len(), src.lines().count())
        );
        for kept in ["fn keep()", "fn after()", "fn kept()"] {
            assert!(off.contains(kept), "{kept} in {off}");
        }
        // The test modules, and the other items under `cfg(test)` (ruled out as items).
        for gone in [
            "mod tests",
            "fn t()",
            "let s",
            "mod inner",
            "mod outside",
            "mod pathed",
            "path",
        ] {
            assert!(!off.contains(gone), "{gone} in {off}");
        }
        assert!(syn::parse_file(&off).is_ok(), "{off}");
        // The workspace's own code is linted with its tests.
        assert!(text(false).contains("mod tests") && text(false).contains("mod inner"));
    }

    #[test]
    fn cfg_test_is_kept_only_when_test_is_off() {
        let src = "#[cfg(test)]\nmod tests;\n#[cfg(all(unix, not(test)))]\nfn f() {}\n#[cfg(testing)]\nfn g() {}\n";
        let blanked = |off: bool| {
            crate::syntax::build_cfg::with_cfg_test_off(off, || prescan(src).skipped_attrs.len())
        };
        // Unknown: every such `cfg` is blanked; off: the two naming `test` are kept.
        assert_eq!(blanked(false), 3);
        assert_eq!(blanked(true), 1);
    }
}
