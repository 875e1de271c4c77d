//! The engine: parse every file of a package once (in parallel), walk it, drop the AST, then
//! resolve crate-wide facts and run the lints. It hands back a [`Report`] of every package.

use super::cache::Entry;
use super::options::Options;
use crate::analysis::index::CrateIndex;
use crate::kb::Kb;
use crate::lints::diag::{Diagnostic, Level};
use crate::lints::lint::CrateCx;
use crate::lints::parse_error::PARSE_ERROR;
use crate::lints::registry;
use crate::lints::unused_suppression::UNUSED_SUPPRESSION;
use crate::report::results::{PackageReport, Report};
use crate::report::suppress;
use crate::syntax::facts::CrateFacts;
use crate::syntax::prescan::{MAX_NESTING, MAX_OPERATOR_NESTING, prescan};
use crate::syntax::source::{LineIndex, Loc, SourceFile};
use crate::syntax::walker::{self, FileInput, ModDecl};
use crate::workspace::discover::{self, Package, Workspace};
use rayon::prelude::*;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Stack size of the worker threads: syn and the walker recurse on nested code.
pub const STACK_SIZE: usize = 256 * 1024 * 1024;

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

/// The most worker threads a run starts, whatever `-j` asks for: more than a few per core only
/// costs memory (each thread has a large stack for deep syntax trees).
fn max_jobs() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores * 4).clamp(4, 256)
}

pub fn run(ws: Workspace, opts: &Options) -> Report {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.min(max_jobs()))
        .stack_size(STACK_SIZE)
        .build()
        .expect("thread pool");
    let root = ws.root.clone();
    let target_dir = ws.target_dir.as_deref();
    // Dependency summaries (a cargo workspace only): the knowledge base gains what the
    // dependencies the workspace calls into do. The result cache's key takes a fingerprint of
    // every dependency (its id, or its contents for path and git ones), cheap to compute, so
    // that a run whose packages all hit the cache never builds or reads a summary.
    let deps = match (&ws.cargo, opts.deps) {
        (Some(_), true) => load_graph(&ws, opts),
        (None, _) => {
            note(opts, "off (no cargo workspace)");
            None
        }
        (Some(_), false) => {
            note(opts, "off (--no-deps)");
            None
        }
    };
    let keyed;
    let opts = match &deps {
        Some(g) => {
            keyed = Options {
                derived: deps_fingerprint(g, opts),
                ..opts.clone()
            };
            &keyed
        }
        None => opts,
    };
    // Packages are independent: lint them side by side too (the order of results is kept).
    // First what the cache has, then (with the summaries, when some package missed) the rest.
    let first: Vec<Result<PackageReport, Missed>> = pool.install(|| {
        ws.packages
            .clone()
            .into_par_iter()
            .map(|p| cached(p, &root, target_dir, opts))
            .collect()
    });
    let missed = first.iter().any(Result::is_err);
    let with_summaries = match (&deps, missed) {
        (Some(g), true) => pool.install(|| with_dependencies(&ws, g, opts)),
        _ => None,
    };
    let lint_opts = with_summaries.as_ref().unwrap_or(opts);
    let packages = pool.install(|| {
        first
            .into_par_iter()
            .map(|r| match r {
                Ok(report) => report,
                Err(missed) => {
                    let (p, entry) = *missed;
                    let report = lint_missed(p, lint_opts, &root);
                    if let Some(entry) = entry {
                        // Under the key it was looked up with (the summaries' knowledge base
                        // is not part of it: their fingerprint is).
                        entry.store(&report, &root, target_dir, opts);
                    }
                    report
                }
            })
            .collect()
    });
    Report {
        root,
        packages,
        unreadable: ws.unreadable,
    }
}

/// The workspace's dependency graph (None: cargo could not answer and there is no usable
/// `Cargo.lock`), with `-v` notes.
fn load_graph(ws: &Workspace, opts: &Options) -> Option<crate::workspace::graph::DepGraph> {
    let verbose = opts.verbose;
    let members: Vec<(String, String, PathBuf)> = ws
        .packages
        .iter()
        .map(|p| (p.id.clone(), p.name.clone(), p.dir.clone()))
        .collect();
    let cargo = ws.cargo.as_ref()?;
    let lock = ws.root.join("Cargo.lock");
    match crate::workspace::graph::load_or_lockfile(
        cargo.manifest_path.as_deref(),
        &lock,
        &members,
        ws.target_dir.as_deref(),
        cargo.cache,
    ) {
        Ok((g, why)) => {
            if verbose {
                if let Some(why) = why {
                    eprintln!("note: dependency graph read from Cargo.lock: {why}");
                }
                note(
                    opts,
                    &format!("{} packages, {} skipped", g.packages.len(), g.skipped.len()),
                );
                for (id, why) in &g.skipped {
                    eprintln!("note: skipped dependency {id}: {why}");
                }
            }
            Some(g)
        }
        Err(e) => {
            note(opts, &format!("off: {e}"));
            None
        }
    }
}

/// A `-v` note about dependency summaries.
fn note(opts: &Options, msg: &str) {
    if opts.verbose {
        eprintln!("note: dependency summaries: {msg}");
    }
}

/// A fingerprint of every dependency in the graph: what the summaries can depend on.
fn deps_fingerprint(g: &crate::workspace::graph::DepGraph, opts: &Options) -> u64 {
    let mut h = crate::util::hash::Fnv::default();
    h.str("dependency summaries");
    for p in &g.packages {
        h.str(&p.id);
        h.str(&p.lib_name);
        match p.kind {
            crate::workspace::graph::SourceKind::Registry => {}
            _ => h.u64(super::summary_cache::content_key(p).unwrap_or(0)),
        }
        for (name, i) in &p.deps {
            h.str(name);
            h.u64(*i as u64);
        }
    }
    let mut members: Vec<_> = g.members.iter().collect();
    members.sort_by(|a, b| a.0.cmp(b.0));
    for (id, deps) in members {
        h.str(id);
        for (name, i, _) in deps {
            h.str(name);
            h.u64(*i as u64);
        }
    }
    let _ = opts;
    h.finish().max(1)
}

/// The options with a knowledge base that holds the summaries of the dependencies the
/// workspace reaches (None: nothing to add).
fn with_dependencies(
    ws: &Workspace,
    graph: &crate::workspace::graph::DepGraph,
    opts: &Options,
) -> Option<Options> {
    let base = opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
    let t0 = std::time::Instant::now();
    let (kb, _, n) = super::summaries::kb_with_dependencies(base, graph, &ws.packages, opts)?;
    note(
        opts,
        &format!(
            "{n} of {} packages summarized in {:?}",
            graph.packages.len(),
            t0.elapsed()
        ),
    );
    Some(Options {
        kb: Some(std::sync::Arc::new(kb)),
        ..opts.clone()
    })
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
    /// The target (index into the package's targets) whose root the file was reached from.
    target: usize,
}

/// Lints one package, through the result cache when it is enabled. A cache problem (unreadable,
/// corrupt or unwritable) is a miss: it never changes the results.
/// A package the result cache did not have, with its cache entry (to store its report in).
type Missed = Box<(Package, Option<Entry>)>;

/// A package's report from the result cache, or the package and its cache entry (to store
/// the report in once linted). A cache problem (unreadable, corrupt or unwritable) is a miss:
/// it never changes the results.
fn cached(
    pkg: Package,
    root: &Path,
    target_dir: Option<&Path>,
    opts: &Options,
) -> Result<PackageReport, Missed> {
    let entry = if opts.cache {
        Entry::open(&pkg, root, target_dir, opts)
    } else {
        None
    };
    match entry.as_ref().and_then(Entry::load) {
        Some(c) => Ok(c.into_report(pkg)),
        None => Err(Box::new((pkg, entry))),
    }
}

/// Lints a package the cache did not have.
fn lint_missed(pkg: Package, opts: &Options, root: &Path) -> PackageReport {
    // The built-in knowledge base is parsed on first use: a run served from the cache skips it.
    let kb = opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
    lint_package_uncached(pkg, root, kb, opts)
}

/// A package's files read, parsed and walked (what linting and dependency summaries share).
pub(crate) struct WalkedPackage {
    pub files: Vec<SourceFile>,
    pub file_facts: Vec<CrateFacts>,
    file_items: Vec<Vec<(usize, usize)>>,
    file_allows: Vec<Vec<(usize, usize, &'static str)>>,
    diags: Vec<Diagnostic>,
    input_errors: Vec<Diagnostic>,
    missed_modules: Vec<PathBuf>,
    t_walk: std::time::Duration,
}

/// Reads, parses and walks the files of a package: its seeds, then the modules they declare
/// (in waves, in parallel), then given files no module tree reached.
pub(crate) fn walk_package(pkg: &Package, root: &Path, kb: &Kb, opts: &Options) -> WalkedPackage {
    let t0 = std::time::Instant::now();
    let mut queued: Vec<Queued> = Vec::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let queue_seeds = |fallback: bool, queued: &mut Vec<Queued>, seen: &mut HashSet<PathBuf>| {
        for s in pkg.seeds.iter().filter(|s| s.fallback == fallback) {
            // Module-tree following can reach a file twice (through symlinks or `#[path]`);
            // given files are already distinct paths.
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
                    target: s.target,
                });
            }
        }
    };
    queue_seeds(false, &mut queued, &mut seen);
    let edition: u16 = pkg.edition.parse().unwrap_or(2015);
    let max_size = opts.config.max_file_size();
    let mut results: Vec<FileResult> = Vec::new();
    let mut start = 0;
    let mut fallbacks_queued = false;
    let cwd = std::env::current_dir().unwrap_or_default();
    let mut missed_modules: Vec<PathBuf> = Vec::new();
    // Input that could not be read: unreadable files and module directories (exit code 2,
    // reported even outside the files given in `report_only`, so the reason is never hidden).
    let mut input_errors: Vec<Diagnostic> = Vec::new();
    // Waves: parse the queued files in parallel, then queue the modules they declare. Given
    // files that no target's module tree reached come last, linted on their own.
    loop {
        if start == queued.len() {
            if fallbacks_queued {
                break;
            }
            fallbacks_queued = true;
            queue_seeds(true, &mut queued, &mut seen);
            continue;
        }
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
                    let child = match discover::child_module_file(
                        &q.path,
                        q.is_mod_root,
                        &m.inline_parents,
                        &m.name,
                        m.path_attr.as_deref(),
                        &mut missed_modules,
                    ) {
                        Ok(Some(child)) => child,
                        Ok(None) => continue,
                        Err((path, e)) => {
                            // An unreadable module directory: an error naming the path.
                            let d = Diagnostic::new(
                                PARSE_ERROR.name,
                                start + i,
                                m.loc,
                                format!("cannot read `{}`: {e}", display_path(&path, root, &cwd)),
                            )
                            .label(format!("module `{}` is declared here", m.name))
                            .note("the module was not checked");
                            input_errors.push(d);
                            continue;
                        }
                    };
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
                            target: q.target,
                        });
                    }
                }
                queued.extend(children);
            }
        }
        results.extend(wave);
        start = end;
    }

    missed_modules.sort();
    missed_modules.dedup();
    let t_walk = t0.elapsed();
    let mut file_facts = Vec::with_capacity(results.len());
    let mut file_items = Vec::with_capacity(results.len());
    let mut file_allows = Vec::with_capacity(results.len());
    let mut diags = Vec::new();
    let mut files = Vec::with_capacity(results.len());
    for (r, q) in results.into_iter().zip(&queued) {
        file_items.push(r.items);
        file_allows.push(r.clippy_allows);
        file_facts.push(r.facts);
        if r.unreadable {
            input_errors.extend(r.diags);
        } else {
            diags.extend(r.diags);
        }
        files.push(SourceFile {
            path: q.path.clone(),
            display: display_path(&q.path, root, &cwd),
            text: r.text,
            target: q.target,
            line_starts: Default::default(),
        });
    }
    WalkedPackage {
        files,
        file_facts,
        file_items,
        file_allows,
        diags,
        input_errors,
        missed_modules,
        t_walk,
    }
}

fn lint_package_uncached(pkg: Package, root: &Path, kb: &Kb, opts: &Options) -> PackageReport {
    let timing = std::env::var_os("ASYNC_LINT_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let WalkedPackage {
        mut files,
        file_facts,
        file_items,
        file_allows,
        mut diags,
        input_errors,
        missed_modules,
        t_walk,
    } = walk_package(&pkg, root, kb, opts);
    let facts = CrateFacts::merge_all(file_facts);
    let files_checked = files.len();
    let t_merge = t0.elapsed();
    let index = CrateIndex::new(facts, kb);
    let t_index = t0.elapsed();
    let cx = CrateCx {
        index: &index,
        files: &files,
        package: &pkg,
    };
    // Lints are independent: run them side by side (the output is sorted afterwards).
    let found: Vec<Diagnostic> = registry::ALL
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
    // A file that does not parse has no items, but its comments are found all the same (by
    // the prescan's lexer): `//! async-lint: allow(parse_error)` silences it.
    if !sups.is_empty() && !opts.ignore_suppressions {
        suppress::apply(&mut diags, &mut sups);
        if opts.levels.get(UNUSED_SUPPRESSION.name) != Level::Allow {
            diags.extend(suppress::unused(&sups, |l| opts.levels.get(l)));
        }
    }
    // Changed files: the whole crate was analysed, only their findings are reported.
    if let Some(only) = &pkg.report_only {
        let canon: Vec<PathBuf> = files
            .iter()
            .map(|f| std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()))
            .collect();
        diags.retain(|d| only.contains(&canon[d.primary().file]));
    }
    // Unreadable input fails the run (exit 2) when it is reported: `-A parse_error` says it
    // does not matter.
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(diags.len() + input_errors.len());
    let mut unreadable = 0;
    let all = diags.into_iter().map(|d| (d, false));
    for (mut d, input) in all.chain(input_errors.into_iter().map(|d| (d, true))) {
        d.level = opts.levels.get(d.lint);
        if d.level != Level::Allow {
            unreadable += usize::from(input);
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
    crate::lints::diag::merge_duplicates(&mut kept);
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
        missed_modules,
    }
}

/// Files larger than this are walked in parts of at least [`PART_SIZE`] bytes
/// ([`walker::walk_file_in_parts`]): each part is parsed twice, and the peak memory of a 10 MiB
/// file falls from about 90 to about 30 times its size.
const PARTS_ABOVE: usize = 1 << 20;
const PART_SIZE: usize = 512 << 10;

/// A parsed file: its syntax tree, or (walked in parts) the walker's output.
enum Walked {
    Tree(syn::File),
    Scratch(Box<walker::FileOutput>),
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
    // Text that is not Rust source: bytes that are not UTF-8, or a NUL byte (valid UTF-8, never
    // Rust); said with the position, rather than syn's message.
    let (text, bad) = match String::from_utf8(bytes) {
        Ok(t) => {
            let nul = memchr::memchr(0, t.as_bytes()).map(|at| (at, false));
            (t, nul)
        }
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            (
                String::from_utf8_lossy(e.as_bytes()).into_owned(),
                Some((at, true)),
            )
        }
    };
    if let Some((at, invalid_utf8)) = bad {
        let loc = Loc::at_offset(&text, at);
        let (message, label) = if invalid_utf8 {
            (
                format!(
                    "file is not valid UTF-8 (invalid byte at offset {at}), so it was not checked"
                ),
                "invalid UTF-8 here",
            )
        } else {
            (
                format!(
                    "file contains a NUL byte (line {}, column {}, byte offset {at}): it is not Rust source, so it was not checked",
                    loc.line, loc.col
                ),
                "NUL byte here",
            )
        };
        let d = Diagnostic::new(PARSE_ERROR.name, file, loc, message).label(label);
        return FileResult::unchecked(text, d, true);
    }
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
    // The same for nesting without brackets (`&&&&x`, `|| || 0`, `Vec<Vec<..>>`, `-> impl Fn() ->`).
    if let Some((at, _)) = scan.too_deep_operators {
        let loc = Loc::at_offset(&text, at);
        let d = Diagnostic::new(
            PARSE_ERROR.name,
            file,
            loc,
            format!("code nested more than {MAX_OPERATOR_NESTING} levels deep without brackets (prefix operators, closures, generic arguments or `->` in a row): the file was not checked"),
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
    let plain = scan.blanked(body);
    let to_parse = plain.as_deref().unwrap_or(body);
    let input = FileInput {
        kb,
        file,
        module: q.module.clone(),
        crate_root: q.crate_root.clone(),
        edition,
    };
    // A large file is parsed and walked in parts, so that only one part's syntax tree is
    // alive at a time (a whole tree takes about 90 times the size of its source).
    let in_parts = if to_parse.len() > PARTS_ABOVE {
        let starts = scan.parts(to_parse, PART_SIZE);
        if starts.is_empty() {
            None
        } else {
            crate::syntax::alloc::parsing(|| walker::walk_file_in_parts(&input, to_parse, &starts))
        }
    } else {
        None
    };
    let parsed = match (in_parts, &plain) {
        (Some(scratch), _) => Ok(Walked::Scratch(Box::new(scratch))),
        (None, None) => crate::syntax::alloc::parsing(|| syn::parse_file(body)).map(Walked::Tree),
        (None, Some(plain)) => crate::syntax::alloc::parsing(|| {
            syn::parse_file(plain).or_else(|_| syn::parse_file(body))
        })
        .map(Walked::Tree),
    };
    drop(plain);
    let (facts, mods, diags, items, clippy_allows) = match parsed {
        Ok(walked) => {
            // The walker's scratch allocations (scopes, candidate paths, parsed macro
            // arguments) go to the syntax-tree heap, freed with the tree; the facts it keeps are
            // copied out, compact, into the long-lived heap (tokio: 4% faster, 10% less RSS).
            let scratch = match walked {
                Walked::Scratch(scratch) => *scratch,
                Walked::Tree(ast) => {
                    let scratch = crate::syntax::alloc::parsing(|| walker::walk_file(&input, &ast));
                    crate::syntax::alloc::parsing(|| drop(ast));
                    scratch
                }
            };
            let out = scratch.clone();
            crate::syntax::alloc::parsing(|| drop(scratch));
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
