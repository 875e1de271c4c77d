//! The engine: parse every file of a package once (in parallel), walk it, drop the AST, then
//! resolve crate-wide facts and run the lints.

use crate::diag::Diagnostic;
use crate::facts::CrateFacts;
use crate::index::CrateIndex;
use crate::kb::Kb;
use crate::lints::unused_suppression::UNUSED_SUPPRESSION;
use crate::lints::{self, CrateCx};
use crate::registry::{Level, Levels, PARSE_ERROR};
use crate::source::{LineIndex, Loc, SourceFile};
use crate::suppress;
use crate::walker::{self, FileInput, ModDecl};
use crate::workspace::discover::{self, Package, Workspace};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Stack size of the worker threads: syn and the walker recurse on nested code.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub levels: Levels,
    /// Worker threads; 0 = one per core.
    pub jobs: usize,
    /// The knowledge base with a configuration's additions (None: the built-in one).
    pub kb: Option<std::sync::Arc<Kb>>,
    /// The configuration (exclude globs).
    pub config: crate::config::Loaded,
    /// Report findings even where a comment or clippy `#[allow]` suppresses them.
    pub ignore_suppressions: bool,
    /// Reuse (and store) results of packages whose files, configuration and tool version are
    /// unchanged, under `target/async-lint-cache/` (see [`crate::cache`]).
    pub cache: bool,
}

/// The findings of one package, with the text of the files they point into.
#[derive(Debug)]
pub struct PackageReport {
    pub package: Package,
    /// Indexed by `FileId`; the text is kept only for files with diagnostics.
    pub files: Vec<SourceFile>,
    pub diagnostics: Vec<Diagnostic>,
    /// Files that could not be read at all (exit code 2).
    pub unreadable: usize,
    pub files_checked: usize,
}

#[derive(Debug)]
pub struct Report {
    pub root: PathBuf,
    pub packages: Vec<PackageReport>,
}

impl Report {
    pub fn diagnostics(&self) -> impl Iterator<Item = (&PackageReport, &Diagnostic)> {
        self.packages
            .iter()
            .flat_map(|p| p.diagnostics.iter().map(move |d| (p, d)))
    }
}

/// `ASYNC_LINT_READ_DELAY_MS`: a pause before each file is read, so that tests can change the
/// file system between discovery and reading (a file deleted while the run is under way).
fn test_read_delay() -> Option<std::time::Duration> {
    static DELAY: std::sync::OnceLock<Option<std::time::Duration>> = std::sync::OnceLock::new();
    *DELAY.get_or_init(|| {
        std::env::var("ASYNC_LINT_READ_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map(std::time::Duration::from_millis)
    })
}

/// `50.0 MiB`-style sizes for messages (binary units, as `max-file-size` defaults to 10 MiB).
fn human_size(n: u64) -> String {
    match n {
        0..1024 => format!("{n} bytes"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}

/// Result of reading, parsing and walking one file.
struct FileResult {
    text: String,
    facts: CrateFacts,
    mods: Vec<ModDecl>,
    diags: Vec<Diagnostic>,
    unreadable: bool,
    items: Vec<(usize, usize)>,
    clippy_allows: Vec<(usize, usize, &'static str)>,
}

impl FileResult {
    /// A file that was not walked: one diagnostic says why.
    fn unchecked(text: String, d: Diagnostic, unreadable: bool) -> FileResult {
        FileResult {
            diags: vec![d],
            unreadable,
            ..FileResult::empty(text)
        }
    }

    /// A file with nothing to report.
    fn empty(text: String) -> FileResult {
        FileResult {
            text,
            facts: CrateFacts::default(),
            mods: Vec::new(),
            diags: Vec::new(),
            unreadable: false,
            items: Vec::new(),
            clippy_allows: Vec::new(),
        }
    }
}

pub fn run(ws: Workspace, opts: &Options) -> Report {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .stack_size(STACK_SIZE)
        .build()
        .expect("thread pool");
    let root = ws.root.clone();
    let target_dir = ws.target_dir.as_deref();
    // Packages are independent: lint them side by side too (the order of results is kept).
    let packages = pool.install(|| {
        ws.packages
            .into_par_iter()
            .map(|p| lint_package(p, &root, target_dir, opts))
            .collect()
    });
    Report { root, packages }
}

fn display_path(path: &Path, root: &Path, cwd: &Path) -> String {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let rel = abs.strip_prefix(root).map(Path::to_path_buf).unwrap_or(abs);
    rel.to_string_lossy().into_owned()
}

struct Queued {
    path: PathBuf,
    module: String,
    crate_root: String,
    is_mod_root: bool,
}

/// Lints one package, through the result cache when it is enabled. A cache problem (unreadable,
/// corrupt or unwritable) is a miss: it never changes the results.
fn lint_package(
    pkg: Package,
    root: &Path,
    target_dir: Option<&Path>,
    opts: &Options,
) -> PackageReport {
    // The built-in knowledge base is parsed on first use: a run served from the cache skips it.
    let kb = || opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
    let entry = if opts.cache {
        crate::cache::Entry::open(&pkg, root, target_dir, opts)
    } else {
        None
    };
    let Some(entry) = entry else {
        return lint_package_uncached(pkg, root, kb(), opts);
    };
    if let Some(cached) = entry.load() {
        return cached.into_report(pkg);
    }
    let report = lint_package_uncached(pkg, root, kb(), opts);
    entry.store(&report, root, target_dir, opts);
    report
}

fn lint_package_uncached(pkg: Package, root: &Path, kb: &Kb, opts: &Options) -> PackageReport {
    let timing = std::env::var_os("ASYNC_LINT_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let mut queued: Vec<Queued> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    for s in &pkg.seeds {
        // Module-tree following can reach a file twice (through symlinks or `#[path]`); given
        // files are already distinct paths.
        let key = if pkg.follow_mods {
            std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone())
        } else {
            s.path.clone()
        };
        if !opts.config.excluded(&s.path) && seen.insert(key) {
            queued.push(Queued {
                path: s.path.clone(),
                module: s.module.clone(),
                crate_root: s.crate_root.clone(),
                is_mod_root: true,
            });
        }
    }
    let edition: u16 = pkg.edition.parse().unwrap_or(2015);
    let max_size = opts.config.max_file_size();
    let mut results: Vec<FileResult> = Vec::new();
    let mut start = 0;
    // Waves: parse the queued files in parallel, then queue the modules they declare.
    while start < queued.len() {
        let wave: Vec<FileResult> = queued[start..]
            .par_iter()
            .enumerate()
            .map(|(i, q)| process_file(kb, start + i, q, edition, max_size))
            .collect();
        let end = queued.len();
        if pkg.follow_mods {
            for (i, r) in wave.iter().enumerate() {
                let q = &queued[start + i];
                let mut children = Vec::new();
                for m in &r.mods {
                    if let Some(child) = discover::child_module_file(
                        &q.path,
                        q.is_mod_root,
                        &m.inline_parents,
                        &m.name,
                        m.path_attr.as_deref(),
                    ) {
                        let canon = std::fs::canonicalize(&child).unwrap_or_else(|_| child.clone());
                        if !opts.config.excluded(&child) && seen.insert(canon) {
                            let mut module = q.module.clone();
                            for p in &m.inline_parents {
                                module = format!("{module}::{p}");
                            }
                            let is_mod_root = child.file_name().is_some_and(|n| n == "mod.rs");
                            children.push(Queued {
                                path: child,
                                module: format!("{module}::{}", m.name),
                                crate_root: q.crate_root.clone(),
                                is_mod_root,
                            });
                        }
                    }
                }
                queued.extend(children);
            }
        }
        results.extend(wave);
        start = end;
    }

    let t_walk = t0.elapsed();
    let mut file_facts = Vec::with_capacity(results.len());
    let mut file_items = Vec::with_capacity(results.len());
    let mut file_allows = Vec::with_capacity(results.len());
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut diags = Vec::new();
    let mut files = Vec::with_capacity(results.len());
    let mut unreadable = 0;
    for (r, q) in results.into_iter().zip(&queued) {
        file_items.push(r.items);
        file_allows.push(r.clippy_allows);
        file_facts.push(r.facts);
        diags.extend(r.diags);
        unreadable += usize::from(r.unreadable);
        files.push(SourceFile {
            path: q.path.clone(),
            display: display_path(&q.path, root, &cwd),
            text: r.text,
        });
    }
    let facts = CrateFacts::merge_all(file_facts);
    let files_checked = files.len();
    let t_merge = t0.elapsed();
    let index = CrateIndex::new(facts, kb);
    let t_index = t0.elapsed();
    let cx = CrateCx {
        index: &index,
        files: &files,
    };
    // Lints are independent: run them side by side (the output is sorted afterwards).
    let found: Vec<Diagnostic> = lints::ALL
        .par_iter()
        .filter(|lint| opts.levels.get(lint.meta().name) != Level::Allow)
        .flat_map_iter(|lint| {
            let mut out = Vec::new();
            lint.check_crate(&cx, &mut out);
            out
        })
        .collect();
    diags.extend(found);
    let t_lints = t0.elapsed();
    index.free_in_background();
    if timing {
        eprintln!(
            "timing {}: parse+walk {:?}, merge {:?}, index {:?}, lints {:?}",
            pkg.name,
            t_walk,
            t_merge - t_walk,
            t_index - t_merge,
            t_lints - t_index
        );
    }
    // Inline suppressions and clippy allows, then `unused_suppression`.
    let mut sups = Vec::new();
    for (id, f) in files.iter().enumerate() {
        sups.extend(suppress::scan(id, &f.text, &file_items[id]));
        for &(first, last, lint) in &file_allows[id] {
            sups.push(suppress::Suppression {
                file: id,
                loc: Loc::default(),
                lints: vec![lint.to_string()],
                scope: suppress::Scope::Lines(first, last),
                used: vec![false],
                from_clippy: true,
            });
        }
    }
    if !sups.is_empty() && !opts.ignore_suppressions {
        let (parse_errors, mut rest): (Vec<_>, Vec<_>) =
            diags.into_iter().partition(|d| d.lint == PARSE_ERROR.name);
        suppress::apply(&mut rest, &mut sups);
        if opts.levels.get(UNUSED_SUPPRESSION.name) != Level::Allow {
            rest.extend(suppress::unused(&sups, |l| opts.levels.get(l)));
        }
        diags = parse_errors;
        diags.extend(rest);
    }
    // Changed files: the whole crate was analysed, only their findings are reported.
    if let Some(only) = &pkg.report_only {
        let canon: Vec<PathBuf> = files
            .iter()
            .map(|f| std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()))
            .collect();
        diags.retain(|d| only.contains(&canon[d.primary().file]));
    }
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(diags.len());
    for mut d in diags {
        d.level = if d.lint == PARSE_ERROR.name {
            Level::Deny
        } else {
            opts.levels.get(d.lint)
        };
        if d.level != Level::Allow {
            kept.push(d);
        }
    }
    // Byte offsets, only for the locations that are reported (labels and fixes).
    let mut line_indexes: HashMap<usize, LineIndex<'_>> = HashMap::new();
    for d in &mut kept {
        let labels = d.labels.iter_mut().map(|l| (l.file, &mut l.loc));
        for (file, loc) in labels.chain(d.fix.iter_mut().map(|e| (e.file, &mut e.loc))) {
            if let Some(f) = files.get(file) {
                line_indexes
                    .entry(file)
                    .or_insert_with(|| LineIndex::new(&f.text))
                    .resolve(loc);
            }
        }
    }
    drop(line_indexes);
    kept.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    kept.dedup();
    // Keep the text only of files that diagnostics point into.
    let mut used = vec![false; files.len()];
    for d in &kept {
        for l in &d.labels {
            if let Some(u) = used.get_mut(l.file) {
                *u = true;
            }
        }
    }
    for (f, u) in files.iter_mut().zip(used) {
        if !u {
            f.text = String::new();
        }
    }
    PackageReport {
        package: pkg,
        files,
        diagnostics: kept,
        unreadable,
        files_checked,
    }
}

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
struct Prescan {
    /// Where bracket nesting first passes [`MAX_NESTING`], and the depth there.
    too_deep: Option<(usize, usize)>,
    /// Offsets of the byte that makes a comment a doc comment (the third `/` of `///`, the `!`
    /// of `//!`, the second `*` of `/**`, the `!` of `/*!`).
    doc_markers: Vec<usize>,
    /// Byte ranges of attributes the walker never reads (`#[cfg(..)]`, `#[derive(..)]`,
    /// `#[doc = ".."]`, `#[inline]`, ...): see [`skippable_attribute`].
    skipped_attrs: Vec<(usize, usize)>,
}

impl Prescan {
    /// The text to parse: `text` with doc-comment markers and skipped attributes turned into
    /// spaces (same length, same lines and columns), or `None` when there is nothing to blank.
    fn blanked(&self, text: &str) -> Option<String> {
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
/// [`crate::walker::ATTRIBUTES_READ`] and attributes with a path (`#[tokio::main]`); every other
/// attribute (`cfg`, `derive`, `doc`, `repr`, `inline`, `test`, ...) costs syn a parse (and its
/// string literals an unescape) for nothing, so it is blanked before parsing. Attributes with
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
        || crate::walker::ATTRIBUTES_READ
            .iter()
            .any(|a| a.as_bytes() == name)
        || matches!(b.get(space(j)), Some(b':' | b'#'))
    {
        return None;
    }
    let mut depth = 1usize;
    while j < b.len() {
        match b[j] {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
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
fn prescan(text: &str) -> Prescan {
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
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b'#' => {
                if let Some(end) = skippable_attribute(b, i) {
                    out.skipped_attrs.push((i, end));
                    i = end;
                    continue;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
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

fn process_file(kb: &Kb, file: usize, q: &Queued, edition: u16, max_size: u64) -> FileResult {
    let at_start = Loc {
        line: 1,
        col: 1,
        end_line: 1,
        end_col: 1,
        ..Loc::default()
    };
    // A FIFO or device given by name (or reached through `mod`) would block a read forever.
    let meta = std::fs::metadata(&q.path);
    if let Ok(m) = &meta
        && m.is_file()
        && m.len() > max_size
    {
        let d = Diagnostic::new(
            PARSE_ERROR.name,
            file,
            at_start,
            format!(
                "file is {}, larger than `max-file-size` ({}): it was not checked",
                human_size(m.len()),
                human_size(max_size)
            ),
        )
        .help("exclude the file (`exclude` in async-lint.toml) or raise `max-file-size`");
        return FileResult::unchecked(String::new(), d, false);
    }
    if let Some(delay) = test_read_delay() {
        std::thread::sleep(delay);
    }
    let bytes = match meta.map(|m| m.is_file()) {
        Ok(false) => Err(std::io::Error::other("not a regular file")),
        _ => std::fs::read(&q.path),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Deleted since the files were listed (a branch switch, a generated file): there
            // is nothing left to check, which is not a failure of the run.
            eprintln!(
                "warning: {} was removed while the run was under way; not checked",
                q.path.display()
            );
            return FileResult::empty(String::new());
        }
        Err(e) => {
            let d = Diagnostic::new(
                PARSE_ERROR.name,
                file,
                at_start,
                format!("cannot read file: {e}"),
            );
            return FileResult::unchecked(String::new(), d, true);
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let loc = Loc::at_offset(&text, at);
            let d = Diagnostic::new(
                PARSE_ERROR.name,
                file,
                loc,
                format!(
                    "file is not valid UTF-8 (invalid byte at offset {at}), so it was not checked"
                ),
            )
            .label("invalid UTF-8 here");
            return FileResult::unchecked(text, d, true);
        }
    };
    // syn strips a UTF-8 BOM itself; `LineIndex` accounts for it in byte offsets.
    let body = text.as_str();
    let scan = prescan(body);
    // syn parses nested code recursively: refuse absurd nesting before it can exhaust the stack.
    if let Some((depth_at, depth)) = scan.too_deep {
        let loc = Loc::at_offset(&text, depth_at);
        let d = Diagnostic::new(
            PARSE_ERROR.name,
            file,
            loc,
            format!("brackets nested {depth} levels deep (more than {MAX_NESTING}): the file was not checked"),
        )
        .label("nesting passes the limit here")
        .note("generated code this deep is usually best excluded (`exclude` in async-lint.toml)");
        return FileResult::unchecked(text, d, false);
    }
    // Doc comments become `#[doc = "..."]` attributes that proc-macro2 escapes and syn unescapes
    // again (a tenth of the parse time of well-documented code), and attributes such as
    // `#[cfg(feature = "..")]` on every item of a binding crate are a sixth of its parse; no lint
    // reads either. Both are blanked to spaces, which keeps every line and column. Should that
    // ever not parse, the file as written is parsed instead.
    let parsed = match scan.blanked(body) {
        None => crate::alloc::parsing(|| syn::parse_file(body)),
        Some(plain) => {
            crate::alloc::parsing(|| syn::parse_file(&plain).or_else(|_| syn::parse_file(body)))
        }
    };
    let (facts, mods, diags, items, clippy_allows) = match parsed {
        Ok(ast) => {
            let input = FileInput {
                kb,
                file,
                module: q.module.clone(),
                crate_root: q.crate_root.clone(),
                edition,
            };
            // The walker's scratch allocations (scopes, candidate paths, parsed macro
            // arguments) go to the syntax-tree heap, freed with the tree; the facts it keeps are
            // copied out, compact, into the long-lived heap (tokio: 4% faster, 10% less RSS).
            let scratch = crate::alloc::parsing(|| walker::walk_file(&input, &ast));
            let out = scratch.clone();
            crate::alloc::parsing(|| drop(scratch));
            drop(ast);
            let mut diags = Vec::new();
            if let Some(loc) = out.too_deep {
                diags.push(
                    Diagnostic::new(
                        PARSE_ERROR.name,
                        file,
                        loc,
                        "code nested too deeply to check; the nested part was skipped",
                    )
                    .label(format!(
                        "nesting deeper than {} levels starts here",
                        walker::MAX_DEPTH
                    )),
                );
            }
            (out.facts, out.mods, diags, out.items, out.clippy_allows)
        }
        Err(e) => {
            let loc = Loc::of(e.span());
            let d = Diagnostic::new(
                PARSE_ERROR.name,
                file,
                loc,
                format!("could not parse file: {e}"),
            )
            .label(e.to_string())
            .note("the file was not checked; fix the syntax error or exclude the file");
            (
                CrateFacts::default(),
                Vec::new(),
                vec![d],
                Vec::new(),
                Vec::new(),
            )
        }
    };
    // Spans of this file are no longer needed; free proc-macro2's per-thread source map.
    proc_macro2::extra::invalidate_current_thread_spans();
    FileResult {
        text,
        facts,
        mods,
        diags,
        unreadable: false,
        items,
        clippy_allows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
                   #[tokio::main]\nasync fn main() { std::thread::sleep(std::time::Duration::ZERO); }\n";
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
