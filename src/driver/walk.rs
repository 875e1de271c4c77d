//! The walking phase of a package, shared by linting ([`super::engine`]) and dependency
//! summaries ([`super::summaries`]): its seed files, then the modules they declare (in parallel,
//! each as soon as its parent is walked), each read, prescanned, parsed (in parts when large)
//! and walked once.

use super::options::Options;
use crate::analysis::index::FnEdit;
use crate::kb::Kb;
use crate::lints::diag::Diagnostic;
use crate::lints::parse_error::PARSE_ERROR;
use crate::syntax::facts::{CrateFacts, Span};
use crate::syntax::prescan::{MAX_NESTING, MAX_OPERATOR_NESTING, prescan};
use crate::syntax::source::{Loc, SourceFile};
use crate::syntax::walker::{self, FileInput, ModDecl};
use crate::workspace::discover::{self, Package};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

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
    text: std::sync::Arc<str>,
    facts: CrateFacts,
    mods: Vec<ModDecl>,
    pub diags: Vec<Diagnostic>,
    unreadable: bool,
    /// The file was not found (not checked, nor counted as checked).
    missing: bool,
    items: Vec<(usize, usize)>,
    clippy_allows: Vec<(usize, usize, &'static str)>,
    /// [`crate::analysis::index::defs_fingerprint`] of `facts`, when walked with a memo.
    defs: Option<u64>,
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

    /// What the memo keeps of a walked file: all but its lists of facts (they go to the
    /// package's merged facts).
    fn for_memo(&self) -> FileResult {
        FileResult {
            facts: self.facts.maps_only(),
            ..self.without_facts()
        }
    }

    /// A copy of a file the memo keeps, for a walk that does not walk it again: its facts
    /// stay in the memo.
    fn without_facts(&self) -> FileResult {
        FileResult {
            text: self.text.clone(),
            facts: CrateFacts::default(),
            mods: self.mods.clone(),
            diags: self.diags.clone(),
            unreadable: self.unreadable,
            missing: self.missing,
            items: self.items.clone(),
            clippy_allows: self.clippy_allows.clone(),
            defs: self.defs,
        }
    }

    /// A file with nothing to report.
    fn empty(text: String) -> FileResult {
        FileResult {
            text: text.into(),
            facts: CrateFacts::default(),
            mods: Vec::new(),
            diags: Vec::new(),
            unreadable: false,
            missing: false,
            items: Vec::new(),
            clippy_allows: Vec::new(),
            defs: None,
        }
    }
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

#[derive(Clone, PartialEq)]
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
/// A package's files read, parsed and walked (what linting and dependency summaries share).
pub(crate) struct WalkedPackage {
    pub files: Vec<SourceFile>,
    pub file_facts: Vec<CrateFacts>,
    pub file_items: Vec<Vec<(usize, usize)>>,
    pub file_allows: Vec<Vec<(usize, usize, &'static str)>>,
    pub diags: Vec<Diagnostic>,
    pub input_errors: Vec<Diagnostic>,
    pub missed_modules: Vec<PathBuf>,
    /// Files that were not found (not checked).
    pub missing: usize,
    pub t_walk: std::time::Duration,
    /// Per file: walked now (else taken unchanged from the memo).
    pub fresh: Vec<bool>,
    /// With a memo: a fingerprint of the files' definitions (see
    /// [`crate::analysis::index::defs_fingerprint`]), in order.
    pub defs: Option<u64>,
    /// With a memo: the package's facts, merged (`file_facts` is then empty), and each file's
    /// share of their lists. Handed back with [`FileMemo::keep`] once linted.
    pub merged: Option<(
        CrateFacts,
        Vec<Span>,
        Option<crate::analysis::index::FnEdit>,
    )>,
}

/// A package's walked files kept from one walk to the next (the language server's): a file
/// queued again under the same number, module and target whose text did not change is not read
/// or walked again. The knowledge base must be the same from walk to walk.
#[derive(Default)]
pub(crate) struct FileMemo {
    /// By file number: how it was queued, its canonical path, what its walk gave.
    files: HashMap<usize, (Queued, PathBuf, FileResult)>,
    /// Canonical paths whose text changed since they were walked.
    pub changed: HashSet<PathBuf>,
    /// Where each `mod` declaration led (see [`ModuleFile`]), by [`mod_key`]: a remembered
    /// file's modules are not looked for on disk again (files created or removed since reach
    /// the server as watched-file events, which start a new memo).
    modules: HashMap<u64, ModuleFile>,
    /// What the crate index of the last lint can hand the next one (see
    /// [`crate::analysis::index::Reuse`]).
    pub index: Option<crate::analysis::index::Reuse>,
    /// The last walk that followed the module tree (see [`walk_changed_only`]).
    last: Option<LastWalk>,
    /// The package's facts as last merged (None while a lint has them), and each file's share
    /// of their lists.
    merged: Option<CrateFacts>,
    spans: Vec<Span>,
    /// Each file's [`crate::analysis::index::maps_fingerprint`].
    maps: Vec<u64>,
}

impl FileMemo {
    /// The package's facts from this walk's `results` (their lists taken): the last merged
    /// facts with the files walked again spliced in, when the files are those of last time
    /// (`same_files`), else merged anew. The maps are set again from every file's when a
    /// walked file's maps changed. With the facts, what the edit did to the functions, when
    /// nothing else the crate index reads changed.
    fn merge(
        &mut self,
        results: &mut [FileResult],
        fresh: &[bool],
        same_files: bool,
    ) -> (CrateFacts, Vec<Span>, Option<FnEdit>) {
        use crate::analysis::index::{fn_signature, maps_fingerprint};
        let maps: Vec<Option<u64>> = results
            .iter()
            .zip(fresh)
            .map(|(r, &f)| f.then(|| maps_fingerprint(&r.facts)))
            .collect();
        let last = self.merged.take();
        let (facts, spans, edit) = match last {
            Some(mut facts)
                if same_files
                    && self.spans.len() == results.len()
                    && self.maps.len() == results.len() =>
            {
                let old_spans = std::mem::take(&mut self.spans);
                let mut spans = old_spans.clone();
                let mut maps_changed = false;
                // What the edit did to the functions, for the crate index (None: more than
                // functions changed).
                let mut changed: Option<Vec<String>> = Some(Vec::new());
                let mut local_moves: Vec<Option<Vec<Option<usize>>>> = vec![None; results.len()];
                for (k, r) in results.iter_mut().enumerate().filter(|(k, _)| fresh[*k]) {
                    maps_changed |= maps[k] != Some(self.maps[k]);
                    let (at, was) = (Span::before(&spans, k), spans[k]);
                    let old_reexports =
                        &facts.reexports[at.reexports..at.reexports + was.reexports];
                    if old_reexports != r.facts.reexports.as_slice() {
                        changed = None;
                    }
                    if let Some(changed) = changed.as_mut() {
                        let old_fns = &facts.fns[at.fns..at.fns + was.fns];
                        let (moves, paths) = fn_changes(old_fns, &r.facts.fns, fn_signature);
                        changed.extend(paths);
                        local_moves[k] = Some(moves);
                    }
                    facts.splice_file(&mut spans, k, std::mem::take(&mut r.facts));
                }
                if maps_changed {
                    changed = None;
                    let mut ids: Vec<&usize> = self.files.keys().collect();
                    ids.sort();
                    facts.set_maps(ids.into_iter().map(|id| &self.files[id].2.facts));
                }
                let edit = changed.map(|changed| {
                    let mut remap = Vec::new();
                    let mut new_start = 0;
                    for (k, old) in old_spans.iter().enumerate() {
                        match &local_moves[k] {
                            Some(moves) => {
                                remap.extend(moves.iter().map(|m| m.map(|j| new_start + j)))
                            }
                            None => remap.extend((0..old.fns).map(|i| Some(new_start + i))),
                        }
                        new_start += spans[k].fns;
                    }
                    FnEdit { changed, remap }
                });
                (facts, spans, edit)
            }
            _ => {
                let parts: Vec<CrateFacts> = results
                    .iter_mut()
                    .map(|r| std::mem::take(&mut r.facts))
                    .collect();
                let spans = parts.iter().map(Span::of).collect();
                (CrateFacts::merge_all(parts), spans, None)
            }
        };
        // A file not walked again keeps its fingerprint (after a full walk, every file was).
        self.maps = if self.maps.len() == maps.len() {
            self.maps
                .iter()
                .zip(&maps)
                .map(|(old, new)| new.unwrap_or(*old))
                .collect()
        } else {
            maps.iter().map(|m| m.unwrap_or(0)).collect()
        };
        self.spans = spans.clone();
        (facts, spans, edit)
    }

    /// Keeps the merged facts a lint is done with, for the next walk.
    pub fn keep(&mut self, facts: CrateFacts) {
        self.merged = Some(facts);
    }
}

/// How a file's functions changed: for each old function (by position in the file), its new
/// position when its path names as many functions before and after, with the same signatures
/// in the same order; and the paths of the functions added, removed or changed.
fn fn_changes(
    old: &[crate::syntax::facts::FnDef],
    new: &[crate::syntax::facts::FnDef],
    sig: fn(&crate::syntax::facts::FnDef) -> u64,
) -> (Vec<Option<usize>>, Vec<String>) {
    let mut by_path: HashMap<&str, (Vec<usize>, Vec<usize>)> = HashMap::new();
    for (i, f) in old.iter().enumerate() {
        by_path.entry(f.path.as_str()).or_default().0.push(i);
    }
    for (j, f) in new.iter().enumerate() {
        by_path.entry(f.path.as_str()).or_default().1.push(j);
    }
    let mut moves = vec![None; old.len()];
    let mut changed = Vec::new();
    for (path, (was, now)) in by_path {
        // Functions that share a path (`fmt` of a type's `Debug` and `Display` impls) move
        // in order when their signatures are those of last time, in the same order.
        if was.len() == now.len()
            && was
                .iter()
                .zip(&now)
                .all(|(&i, &j)| sig(&old[i]) == sig(&new[j]))
        {
            for (&i, &j) in was.iter().zip(&now) {
                moves[i] = Some(j);
            }
        } else {
            changed.push(path.to_string());
        }
    }
    (moves, changed)
}

/// Where a `mod` declaration led: its file and that file's canonical path (None: no file), and
/// the paths looked for in vain (for `--verbose`).
#[derive(Clone)]
struct ModuleFile {
    found: Option<(PathBuf, PathBuf)>,
    missed: Vec<PathBuf>,
}

/// The key of a `mod` declaration of the file at `parent` in [`FileMemo::modules`].
fn mod_key(parent: &Path, is_mod_root: bool, m: &ModDecl) -> u64 {
    let mut h = crate::util::hash::Fnv::default();
    h.str(&parent.to_string_lossy());
    h.u64(is_mod_root as u64);
    for p in &m.inline_parents {
        h.str(p);
    }
    h.str("/");
    h.str(&m.name);
    h.str(m.path_attr.as_deref().unwrap_or("\0"));
    h.finish()
}

/// The state of a package's walk (see [`walk_package`]).
struct Walk {
    /// Every file queued, by number.
    queued: Vec<Queued>,
    /// Their canonical paths (a file reached twice is walked once).
    seen: HashSet<PathBuf>,
    /// The canonical paths of the folders they are in.
    canon_dirs: std::collections::HashMap<PathBuf, PathBuf>,
    /// The walked files' results, by number (None: not walked yet), and whether each was
    /// walked now (not taken from the [`FileMemo`]).
    results: Vec<Option<FileResult>>,
    fresh: Vec<bool>,
    /// Module files looked for on disk by this walk (for the memo).
    modules: Vec<(u64, ModuleFile)>,
    /// The first file whose modules are not queued yet.
    next: usize,
    /// Given files that no target's module tree reached are queued (last).
    fallbacks_queued: bool,
    missed_modules: Vec<PathBuf>,
    /// Input that could not be read: unreadable module directories (exit code 2, reported even
    /// outside the files given in `report_only`, so the reason is never hidden).
    input_errors: Vec<Diagnostic>,
}

/// What the tasks of a package's walk share.
struct WalkCx<'a> {
    pkg: &'a Package,
    root: &'a Path,
    kb: &'a Kb,
    opts: &'a Options,
    cwd: &'a Path,
    edition: u16,
    max_size: u64,
    /// `cfg(test)` is known to be off (see [`walk_package`]).
    test_off: bool,
    /// See [`ForSummary`].
    asked: Option<&'a crate::syntax::build_cfg::Asked>,
    /// Files walked before, reused when unchanged (see [`FileMemo`]).
    memo: Option<&'a FileMemo>,
    /// The host's cfg values, for a dependency (read as its build on the host reads it; see
    /// [`walk_package`]).
    platform: Option<&'static crate::workspace::platform::Platform>,
    state: std::sync::Mutex<Walk>,
}

impl WalkCx<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Walk> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues the modules of the walked files, in their numbering order, up to the first file
    /// not walked yet, and starts walking them; once every file is walked, the given files no
    /// module tree reached.
    fn expand<'s>(&'s self, scope: &rayon::Scope<'s>, w: &mut Walk) {
        loop {
            if w.next == w.queued.len() {
                if w.fallbacks_queued {
                    return;
                }
                w.fallbacks_queued = true;
                let from = w.queued.len();
                queue_seeds(self.pkg, self.opts, true, w);
                spawn_queued(scope, self, w, from);
                continue;
            }
            let parent = w.next;
            let Some(Some(r)) = w.results.get_mut(parent) else {
                return;
            };
            // Kept with the file when it is remembered for the next walk.
            let mods = if self.memo.is_some() {
                r.mods.clone()
            } else {
                std::mem::take(&mut r.mods)
            };
            w.next += 1;
            if !self.pkg.follow_mods {
                continue;
            }
            let q = w.queued[parent].clone();
            let from = w.queued.len();
            for m in &mods {
                let key = self.memo.map(|_| mod_key(&q.path, q.is_mod_root, m));
                let known = key.and_then(|k| self.memo?.modules.get(&k));
                let looked_up = match known {
                    Some(found) => Ok(found.clone()),
                    None => {
                        let mut missed = Vec::new();
                        discover::child_module_file(
                            &q.path,
                            q.is_mod_root,
                            &m.inline_parents,
                            &m.name,
                            m.path_attr.as_deref(),
                            &mut missed,
                        )
                        .map(|child| ModuleFile {
                            found: child.map(|c| {
                                let canon =
                                    crate::util::fs::canonicalize_with(&c, &mut w.canon_dirs)
                                        .unwrap_or_else(|_| c.clone());
                                (c, canon)
                            }),
                            missed,
                        })
                    }
                };
                let (child, canon) = match looked_up {
                    Ok(found) => {
                        w.missed_modules.extend(found.missed.iter().cloned());
                        if let (Some(k), None) = (key, known) {
                            w.modules.push((k, found.clone()));
                        }
                        match found.found {
                            Some(pair) => pair,
                            None => continue,
                        }
                    }
                    Err((path, e)) => {
                        // An unreadable module directory: an error naming the path.
                        let d = Diagnostic::new(
                            PARSE_ERROR.name,
                            parent,
                            m.loc,
                            format!(
                                "cannot read `{}`: {e}",
                                display_path(&path, self.root, self.cwd)
                            ),
                        )
                        .label(format!("module `{}` is declared here", m.name))
                        .note("the module was not checked");
                        w.input_errors.push(d);
                        continue;
                    }
                };
                if !self.opts.config.excluded(&child) && w.seen.insert(canon) {
                    let mut module = q.module.clone();
                    for p in &m.inline_parents {
                        module = format!("{module}::{p}");
                    }
                    let is_mod_root = child.file_name().is_some_and(|n| n == "mod.rs");
                    w.queued.push(Queued {
                        path: child,
                        module: format!("{module}::{}", m.name),
                        crate_root: q.crate_root.clone(),
                        is_mod_root,
                        target: q.target,
                    });
                }
            }
            spawn_queued(scope, self, w, from);
        }
    }
}

/// Starts walking the queued files from number `from` on.
fn spawn_queued<'s>(scope: &rayon::Scope<'s>, cx: &'s WalkCx<'s>, w: &mut Walk, from: usize) {
    w.results.resize_with(w.queued.len(), || None);
    w.fresh.resize(w.queued.len(), false);
    for id in from..w.queued.len() {
        let q = w.queued[id].clone();
        // Every file is walked here (the memo's files keep no lists of facts: see
        // [`walk_changed_only`] for the walk that reuses them).
        scope.spawn(move |scope| {
            super::cancel::check();
            let r = walk_one(cx, id, &q);
            let mut w = cx.lock();
            w.results[id] = Some(r);
            w.fresh[id] = true;
            cx.expand(scope, &mut w);
        });
    }
}

/// Reads, parses and walks file `id` of the package.
fn walk_one(cx: &WalkCx<'_>, id: usize, q: &Queued) -> FileResult {
    use crate::syntax::build_cfg::{
        noting_features_asked, with_cfg_test_off, with_features, with_platform,
    };
    // A dependency is read as its build on the host reads it.
    let r = with_cfg_test_off(cx.test_off, || {
        with_platform(cx.platform, || {
            with_features(&cx.pkg.enabled_features, || {
                noting_features_asked(cx.asked, || {
                    process_file(cx.kb, id, q, cx.edition, cx.max_size, cx.test_off)
                })
            })
        })
    });
    super::progress::file_parsed();
    let mut r = r;
    if cx.memo.is_some() {
        r.defs = Some(crate::analysis::index::defs_fingerprint(&r.facts));
    }
    r
}

/// The walk of an edit that declares the same modules as before in every changed file: the
/// files are those of the last walk, under the same numbers, so the changed ones are walked
/// and the others copied from the memo, side by side, with no module lookup. None (and a full
/// walk, which reuses nothing of this one) when a changed file's modules differ, or the last
/// walk met unreadable input.
fn walk_changed_only(cx: &WalkCx<'_>, memo: &FileMemo) -> Option<Walk> {
    use rayon::prelude::*;
    let last = memo.last.as_ref().filter(|l| l.clean)?;
    let n = last.queued.len();
    // The unchanged files' lists are in the last merged facts: without them (a lint that never
    // finished), nothing can be copied.
    if memo.merged.is_none() || memo.spans.len() != n || memo.maps.len() != n {
        return None;
    }
    let mut entries = Vec::with_capacity(n);
    for id in 0..n {
        let (q, canon, r) = memo.files.get(&id)?;
        if *q != last.queued[id] {
            return None;
        }
        entries.push((id, q, memo.changed.contains(canon), r));
    }
    let walked: Vec<(FileResult, bool)> = entries
        .par_iter()
        .map(|&(id, q, changed, r)| {
            super::cancel::check();
            if changed {
                (walk_one(cx, id, q), true)
            } else {
                // Its lists of facts are in the memo's merged facts already, and its maps in
                // the memo's entry (see [`FileMemo::merge`]).
                (r.without_facts(), false)
            }
        })
        .collect();
    let same_modules = |a: &[ModDecl], b: &[ModDecl]| {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                (&x.inline_parents, &x.name, &x.path_attr)
                    == (&y.inline_parents, &y.name, &y.path_attr)
            })
    };
    for ((_, _, changed, old), (new, _)) in entries.iter().zip(&walked) {
        if *changed && !same_modules(&old.mods, &new.mods) {
            return None;
        }
    }
    let (results, fresh): (Vec<_>, Vec<_>) = walked.into_iter().map(|(r, f)| (Some(r), f)).unzip();
    Some(Walk {
        queued: last.queued.clone(),
        seen: HashSet::new(),
        canon_dirs: Default::default(),
        results,
        fresh,
        modules: Vec::new(),
        next: n,
        fallbacks_queued: true,
        missed_modules: last.missed_modules.clone(),
        input_errors: Vec::new(),
    })
}

/// What [`walk_changed_only`] needs of the last full walk of a package.
struct LastWalk {
    queued: Vec<Queued>,
    missed_modules: Vec<PathBuf>,
    /// No input was unreadable.
    clean: bool,
}

/// Queues the package's seeds: the targets' roots, or (`fallback`) the given files.
fn queue_seeds(pkg: &Package, opts: &Options, fallback: bool, w: &mut Walk) {
    for s in pkg.seeds.iter().filter(|s| s.fallback == fallback) {
        // Module-tree following can reach a file twice (through symlinks or `#[path]`); given
        // files are already distinct paths.
        let key = if pkg.follow_mods {
            std::fs::canonicalize(&s.path).unwrap_or_else(|_| s.path.clone())
        } else {
            s.path.clone()
        };
        if !opts.config.excluded(&s.path) && w.seen.insert(key) {
            w.queued.push(Queued {
                path: s.path.clone(),
                module: s.module.clone(),
                crate_root: s.crate_root.clone(),
                is_mod_root: true,
                target: s.target,
            });
        }
    }
}

/// How a library is read for its summary (see [`walk_package`]).
pub(crate) struct ForSummary<'a> {
    /// For the host only: the code of other platforms than the host (`#[cfg(windows)]`,
    /// `#[cfg(target_arch = "arm")]`) is not read (a dependency, built for the host; not a
    /// member's library, which its lint reads for every platform).
    pub host: bool,
    /// Where the features its code asks about are noted.
    pub asked: Option<&'a crate::syntax::build_cfg::Asked>,
}

/// Reads, parses and walks the files of a package: its seeds, then the modules they declare
/// (in parallel, numbered in a breadth-first order: see [`WalkCx::expand`]), then given files
/// no module tree reached. `for_summary`: `cfg(test)` code is known not to be built (a
/// library read for its summary, which keeps only the facts a summary reads): it is neither
/// walked nor followed into (`#[cfg(test)] mod tests;`); see [`ForSummary`] for the rest.
/// With `memo`, unchanged files are taken from it and the new ones kept in it.
pub(crate) fn walk_package(
    pkg: &Package,
    root: &Path,
    kb: &Kb,
    opts: &Options,
    for_summary: Option<&ForSummary<'_>>,
    memo: Option<&mut FileMemo>,
) -> WalkedPackage {
    let test_off = for_summary.is_some();
    let host = for_summary.is_some_and(|s| s.host);
    let t0 = std::time::Instant::now();
    super::progress::package(false);
    let cwd = std::env::current_dir().unwrap_or_default();
    let walk = Walk {
        queued: Vec::new(),
        seen: HashSet::new(),
        canon_dirs: Default::default(),
        results: Vec::new(),
        fresh: Vec::new(),
        modules: Vec::new(),
        next: 0,
        fallbacks_queued: false,
        missed_modules: Vec::new(),
        input_errors: Vec::new(),
    };
    let cx = WalkCx {
        pkg,
        root,
        kb,
        opts,
        cwd: &cwd,
        edition: pkg.edition.parse().unwrap_or(2015),
        max_size: opts.config.max_file_size(),
        test_off,
        asked: for_summary.and_then(|s| s.asked),
        memo: memo.as_deref(),
        platform: if host {
            crate::workspace::platform::Host::detect().map(|h| h.cfg())
        } else {
            None
        },
        state: std::sync::Mutex::new(walk),
    };
    let fast = cx.memo.and_then(|m| walk_changed_only(&cx, m));
    let changed_only = fast.is_some();
    let walk = match fast {
        Some(w) => w,
        None => {
            rayon::scope(|scope| {
                let mut w = cx.lock();
                // (Not for a walk of changed files only: canonical paths of every target's
                // root, 300 system calls an edit on tokio's integration tests.)
                queue_seeds(pkg, opts, false, &mut w);
                spawn_queued(scope, &cx, &mut w, 0);
                cx.expand(scope, &mut w);
            });
            cx.state
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        }
    };
    super::progress::package(true);
    let Walk {
        queued,
        results,
        fresh,
        modules,
        mut missed_modules,
        mut input_errors,
        ..
    } = walk;
    let mut results: Vec<FileResult> = results.into_iter().flatten().collect();
    let file_fresh: Vec<bool> = (0..results.len())
        .map(|i| fresh.get(i).copied().unwrap_or(true))
        .collect();
    let defs = memo.as_ref().and_then(|_| {
        let mut h = crate::util::hash::Fnv::default();
        for r in &results {
            h.u64(r.defs?);
        }
        Some(h.finish())
    });
    let mut merged = None;
    if let Some(memo) = memo {
        // The files walked now replace theirs (without their lists of facts, which go to the
        // merged facts); a number no longer queued is dropped.
        memo.files.retain(|id, _| *id < queued.len());
        for (id, (r, q)) in results.iter().zip(&queued).enumerate() {
            if file_fresh[id] {
                // A file walked again under the same number keeps its canonical path.
                let canon = match memo.files.get(&id) {
                    Some((was, canon, _)) if was == q => canon.clone(),
                    _ => std::fs::canonicalize(&q.path).unwrap_or_else(|_| q.path.clone()),
                };
                memo.files.insert(id, (q.clone(), canon, r.for_memo()));
            }
        }
        merged = Some(memo.merge(&mut results, &file_fresh, changed_only));
        memo.changed.clear();
        memo.modules.extend(modules);
        if !changed_only {
            memo.last = Some(LastWalk {
                queued: queued.clone(),
                missed_modules: missed_modules.clone(),
                clean: input_errors.is_empty(),
            });
        }
    }
    missed_modules.sort();
    missed_modules.dedup();
    let t_walk = t0.elapsed();
    let mut file_facts = Vec::with_capacity(results.len());
    let mut file_items = Vec::with_capacity(results.len());
    let mut file_allows = Vec::with_capacity(results.len());
    let mut diags = Vec::new();
    let mut files = Vec::with_capacity(results.len());
    let missing = results.iter().filter(|r| r.missing).count();
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
        missing,
        t_walk,
        fresh: file_fresh,
        defs,
        merged,
    }
}

/// Files larger than this are walked in parts of at least [`PART_SIZE`] bytes
/// ([`walker::walk_file_in_parts`]): each part is parsed twice (first with its items' bodies
/// blanked), and the peak memory of a 10 MiB
/// file falls from about 90 to about 30 times its size.
const PARTS_ABOVE: usize = 1 << 20;
const PART_SIZE: usize = 512 << 10;

/// A parsed file: its syntax tree, or (walked in parts) the walker's output.
enum Walked {
    Tree(syn::File),
    Scratch(Box<walker::FileOutput>),
}

/// With `for_summary` (a dependency's library), only the facts a summary reads are kept
/// ([`CrateFacts::keep_for_summary`]).
fn process_file(
    kb: &Kb,
    file: usize,
    q: &Queued,
    edition: u16,
    max_size: u64,
    for_summary: bool,
) -> FileResult {
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
        _ => super::overlay::read(&q.path),
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Deleted since the files were listed (a branch switch, a generated file), or the
            // root of a target whose file was never written (`[[test]] path = ..`, which cargo
            // lists all the same): there is nothing to check, which is not a failure of the run.
            eprintln!(
                "warning: {} was not found (removed while the run was under way, or a target's \
                 file that does not exist); not checked",
                q.path.display()
            );
            return FileResult {
                missing: true,
                ..FileResult::empty(String::new())
            };
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
    if crate::util::timing::list_parsed() {
        eprintln!("parsed {}", q.path.display());
    }
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
            let shallow = scan.shallow(to_parse);
            crate::syntax::alloc::parsing(|| {
                walker::walk_file_in_parts(&input, to_parse, &shallow, &starts)
            })
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
            let mut scratch = match walked {
                Walked::Scratch(scratch) => *scratch,
                Walked::Tree(ast) => {
                    let scratch = crate::syntax::alloc::parsing(|| walker::walk_file(&input, &ast));
                    crate::syntax::alloc::parsing(|| drop(ast));
                    scratch
                }
            };
            // A dependency's facts are read for its summary only: the others are not copied.
            if for_summary {
                crate::syntax::alloc::parsing(|| scratch.facts.keep_for_summary());
            }
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
        text: text.into(),
        facts,
        mods,
        diags,
        unreadable: false,
        missing: false,
        items,
        clippy_allows,
        defs: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::index::fn_signature;
    use crate::syntax::walker::tests::walk_src;

    const TWO_FMTS: &str = "struct X;
        impl std::fmt::Debug for X { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { Ok(()) } }
        impl std::fmt::Display for X { fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result { Ok(()) } }
        fn run() {}";

    #[test]
    fn functions_that_share_a_path_move_in_order_when_unchanged() {
        let kb = crate::kb::Kb::builtin();
        let old = walk_src(kb, TWO_FMTS).facts.fns;
        let fmts = old.iter().filter(|f| f.name.ends_with("fmt")).count();
        assert_eq!(fmts, 2, "both impls' `fmt` share a path");
        // A function added before them: only its path changed, and both `fmt`s moved down.
        let new = walk_src(kb, &format!("fn added() {{}}\n{TWO_FMTS}"))
            .facts
            .fns;
        let (moves, changed) = fn_changes(&old, &new, fn_signature);
        assert_eq!(changed, vec!["demo::added".to_string()]);
        assert_eq!(moves, (1..=old.len()).map(Some).collect::<Vec<_>>());
        // One of them re-signed: their shared path changed, and neither moves.
        let resigned = TWO_FMTS.replacen("-> std::fmt::Result { Ok(()) }", "-> u8 { 0 }", 1);
        let new = walk_src(kb, &resigned).facts.fns;
        let (moves, changed) = fn_changes(&old, &new, fn_signature);
        assert_eq!(changed.len(), 1, "{changed:?}");
        assert_eq!(moves.iter().filter(|m| m.is_none()).count(), 2);
    }
}
