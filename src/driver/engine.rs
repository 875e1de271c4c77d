//! The engine: parse every file of a package once (in parallel), walk it, drop the AST, then
//! resolve crate-wide facts and run the lints. It hands back a [`Report`] of every package.

use super::cache::Entry;
use super::options::Options;
use super::walk::WalkedPackage;
use crate::analysis::index::{CrateIndex, FileCounts, defs_fingerprint};
use crate::kb::Kb;
use crate::lints::diag::{Diagnostic, Level};
use crate::lints::lint::CrateCx;
use crate::lints::registry;
use crate::lints::unused_suppression::UNUSED_SUPPRESSION;
use crate::report::results::{PackageReport, Report};
use crate::report::suppress;
use crate::syntax::facts::CrateFacts;
use crate::syntax::source::{LineIndex, Loc};
use crate::workspace::discover::{Package, Workspace};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub use crate::syntax::STACK_SIZE;

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
    // While cargo resolves the graph (when it is not cached), the libraries of the members
    // other members call are walked for their summaries: they need no graph. Cargo works on one
    // core, left to it (on two cores, it answers in 0.6 s rather than 1.2 s on deno), and once
    // it has answered no other library is started: the walks of the dependencies (those
    // libraries' too) start as soon as the graph is read.
    let prewalked = std::sync::Mutex::new(super::summaries::Prewalked::default());
    let prewalk = |answered: &std::sync::atomic::AtomicBool| {
        if test_no_prewalk() {
            return;
        }
        let base = opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
        crate::util::timing::mark(|| "members' libraries: prewalk starts".into());
        let beside_cargo = rayon::ThreadPoolBuilder::new()
            .num_threads(pool.current_num_threads().saturating_sub(1).max(1))
            .stack_size(STACK_SIZE)
            .build();
        // Then, while cargo still works, the dependencies with the graph guessed from
        // `Cargo.lock` (see `summaries::speculate`).
        let guess_all = test_guess_all();
        let never = std::sync::atomic::AtomicBool::new(false);
        let answered = if guess_all { &never } else { answered };
        let walk = || {
            let mut p = if guess_all {
                super::summaries::Prewalked::default()
            } else {
                super::summaries::prewalk_members(base, &ws.packages, opts, answered)
            };
            if let Some(cargo) = &ws.cargo
                && !answered.load(std::sync::atomic::Ordering::Relaxed)
            {
                crate::util::timing::mark(|| "members' libraries: prewalk done".into());
                let lock = super::summaries::Lock {
                    path: &ws.root.join("Cargo.lock"),
                    members: &cargo.members,
                    target_dir: ws.target_dir.as_deref(),
                };
                super::summaries::speculate(&ws.packages, &lock, opts, answered, &mut p);
            }
            p
        };
        let p = match &beside_cargo {
            Ok(beside) => beside.install(walk),
            Err(_) => pool.install(walk),
        };
        crate::util::timing::mark(|| "dependencies: walks beside cargo done".into());
        *prewalked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = p;
    };
    // The members' files are listed and hashed for the result cache's keys while the graph
    // loads (deno: 20 MB in 80 folders, 0.2-0.4 s after cargo's answer otherwise, on about
    // one core: one member holds most of them).
    let (mut deps, contents) = std::thread::scope(|s| {
        let hashing = opts.cache.then(|| {
            s.spawn(|| {
                pool.install(|| {
                    ws.packages
                        .par_iter()
                        .map(|p| {
                            p.dir
                                .is_absolute()
                                .then(|| super::cache::Contents::read(&p.dir))
                        })
                        .collect::<Vec<_>>()
                })
            })
        });
        let deps = match (&ws.cargo, opts.deps) {
            (Some(_), true) => {
                crate::util::timing::mark(|| "dependency graph: loading".into());
                // In the pool: the graph read from the lock file (cargo failing) reads the
                // manifests side by side.
                let g = pool.install(|| load_graph(&ws, opts, &prewalk));
                crate::util::timing::mark(|| "dependency graph: loaded".into());
                g
            }
            (None, _) => {
                note(opts, "off (no cargo workspace)");
                None
            }
            (Some(_), false) => {
                note(opts, "off (--no-deps)");
                None
            }
        };
        let contents = hashing.and_then(|h| h.join().ok());
        (deps, contents)
    });
    let contents = contents.unwrap_or_else(|| ws.packages.iter().map(|_| None).collect());
    let keyed;
    let opts = match &deps {
        Some(g) => {
            keyed = Options {
                derived: deps_fingerprint(g),
                ..opts.clone()
            };
            &keyed
        }
        None => opts,
    };
    crate::util::timing::mark(|| "dependencies: fingerprint".into());
    // Packages are independent: lint them side by side too (the order of results is kept).
    // First what the cache has, then (with the summaries, when some package missed) the rest.
    let mut entries: Vec<Option<Entry>> = pool.install(|| {
        ws.packages
            .par_iter()
            .zip(contents)
            .map(|(p, c)| {
                opts.cache
                    .then(|| Entry::open_with(p, &root, target_dir, opts, c))
                    .flatten()
            })
            .collect()
    });
    // A member that calls another member's library is linted with that library's summary:
    // its results also depend on that library's contents (and on those it calls in turn).
    if ws.cargo.is_some() && opts.deps {
        for (i, members) in super::summaries::member_library_deps(&ws.packages) {
            let mut h = crate::util::hash::Fnv::default();
            for j in members {
                h.u64(entries[j].as_ref().map_or(0, Entry::content));
            }
            if let Some(e) = entries[i].as_mut() {
                e.rekey(h.finish());
            }
        }
    }
    let first: Vec<Result<PackageReport, Missed>> = pool.install(|| {
        ws.packages
            .clone()
            .into_par_iter()
            .zip(entries)
            .map(|(p, entry)| match entry.as_ref().and_then(Entry::load) {
                Some(c) => Ok(c.into_report(p)),
                None => Err(Box::new((p, entry))),
            })
            .collect()
    });
    let missed = first.iter().any(Result::is_err);
    crate::util::timing::mark(|| "results cache: looked up".into());
    let with_summaries = match (&mut deps, missed) {
        (Some(g), true) => {
            let graph = g.graph();
            let prewalked = prewalked
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            pool.install(|| with_dependencies(&ws, graph, opts, prewalked))
        }
        _ => None,
    };
    let lint_opts = with_summaries.as_ref().unwrap_or(opts);
    crate::util::timing::mark(|| "members: lint starts".into());
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
    crate::util::timing::mark(|| "members: linted".into());
    // The knowledge base with every summary and the dependency graph (on deno, 50 ms of
    // small frees) are freed beside the report's output, not before it.
    let _ = std::thread::Builder::new().spawn(move || drop((with_summaries, deps)));
    Report {
        root,
        packages,
        unreadable: ws.unreadable,
    }
}

/// Test hook: with `ASYNC_LINT_NO_PREWALK` set, no member library is walked beside cargo, as
/// when cargo answers at once; the dependencies' walks find them all (`tests/dependencies.rs`
/// checks that both ways give the same findings).
fn test_no_prewalk() -> bool {
    std::env::var_os("ASYNC_LINT_NO_PREWALK").is_some()
}

/// Test hook: with `ASYNC_LINT_GUESS_ALL` set, no member library is walked beside cargo and
/// the walks with guessed features go on until every dependency the guess reaches is walked,
/// whenever cargo answers (`tests/dependencies.rs` checks that the findings are the same).
fn test_guess_all() -> bool {
    std::env::var_os("ASYNC_LINT_GUESS_ALL").is_some()
}

/// The workspace's dependency graph (None: cargo could not answer and there is no usable
/// `Cargo.lock`), with `-v` notes.
fn load_graph(
    ws: &Workspace,
    opts: &Options,
    meanwhile: &(dyn Fn(&std::sync::atomic::AtomicBool) + Sync),
) -> Option<crate::workspace::graph::Loaded> {
    let verbose = opts.verbose;
    let cargo = ws.cargo.as_ref()?;
    // Every member, selected or not: the graph (and its cache) is the workspace's.
    let members = &cargo.members;
    let lock = ws.root.join("Cargo.lock");
    let asked = crate::workspace::graph::Asked {
        manifest_path: cargo.manifest_path.as_deref(),
        cache: cargo.cache,
        seen: &cargo.checked,
        ahead: cargo.ahead.as_deref(),
    };
    match crate::workspace::graph::load_or_lockfile(
        &asked,
        &lock,
        members,
        ws.target_dir.as_deref(),
        meanwhile,
    ) {
        Ok(mut loaded) => {
            if verbose {
                if let Some(why) = &loaded.why {
                    eprintln!("note: dependency graph read from Cargo.lock: {why}");
                }
                let g = loaded.graph();
                note(
                    opts,
                    &format!("{} packages, {} skipped", g.packages.len(), g.skipped.len()),
                );
                for (id, why) in &g.skipped {
                    eprintln!("note: skipped dependency {id}: {why}");
                }
            }
            Some(loaded)
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

/// A fingerprint of every dependency in the graph: what the summaries can depend on (what the
/// graph says, and the files of its path and git packages).
fn deps_fingerprint(g: &crate::workspace::graph::Loaded) -> u64 {
    let mut h = crate::util::hash::Fnv::default();
    h.str("dependency summaries");
    h.u64(g.structure);
    for p in &g.local {
        h.str(&p.id);
        h.u64(super::summary_cache::content_key(p).unwrap_or(0));
    }
    h.finish().max(1)
}

/// The options with a knowledge base that holds the summaries of the dependencies the
/// workspace reaches (None: nothing to add).
fn with_dependencies(
    ws: &Workspace,
    graph: &crate::workspace::graph::DepGraph,
    opts: &Options,
    prewalked: super::summaries::Prewalked,
) -> Option<Options> {
    let base = opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
    let t0 = std::time::Instant::now();
    let (kb, n, unreached) =
        super::summaries::kb_with_dependencies(base, graph, &ws.packages, opts, prewalked)?;
    note(
        opts,
        &format!(
            "{n} packages summarized in {:?} ({} in the graph, and the members other members call); {} not reached by the workspace's calls, {} `.rs` files under their libraries left unread",
            t0.elapsed(),
            graph.packages.len(),
            unreached.packages,
            unreached.files
        ),
    );
    Some(Options {
        kb: Some(std::sync::Arc::new(kb)),
        ..opts.clone()
    })
}

/// A package the result cache did not have, with its cache entry (to store its report in).
type Missed = Box<(Package, Option<Entry>)>;

/// Lints a package the cache did not have.
fn lint_missed(pkg: Package, opts: &Options, root: &Path) -> PackageReport {
    // The built-in knowledge base is parsed on first use: a run served from the cache skips it.
    let kb = opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
    lint_package_uncached(pkg, root, kb, opts, None)
}

/// The options packages are linted with: `opts` with the summaries of the dependencies the
/// workspace reaches in its knowledge base (from the summary cache when they are there); for
/// the language server, which lints package by package between full runs.
pub fn options_with_summaries(ws: &Workspace, opts: &Options) -> Options {
    let summaries = match (&ws.cargo, opts.deps) {
        (Some(_), true) => load_graph(ws, opts, &|_| {})
            .and_then(|mut g| with_dependencies(ws, g.graph(), opts, Default::default())),
        _ => None,
    };
    summaries.unwrap_or_else(|| opts.clone())
}

/// Lints a package with `opts` (see [`options_with_summaries`]), its files taken from `memo`
/// when unchanged, and kept there for the next time.
pub(crate) fn lint_package_memo(
    pkg: Package,
    root: &Path,
    opts: &Options,
    memo: &mut super::walk::FileMemo,
) -> PackageReport {
    let kb = opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
    lint_package_uncached(pkg, root, kb, opts, Some(memo))
}

fn lint_package_uncached(
    pkg: Package,
    root: &Path,
    kb: &Kb,
    opts: &Options,
    mut memo: Option<&mut super::walk::FileMemo>,
) -> PackageReport {
    super::cancel::check();
    let timing = crate::util::timing::enabled();
    let t0 = std::time::Instant::now();
    let WalkedPackage {
        mut files,
        file_facts,
        file_items,
        file_allows,
        mut diags,
        input_errors,
        missed_modules,
        missing,
        t_walk,
        fresh,
        defs,
        merged,
    } = super::walk::walk_package(&pkg, root, kb, opts, None, memo.as_deref_mut());
    // The language server's memo merges the facts itself, keeping the last merge.
    let (facts, counts, fn_edit) = match merged {
        Some((facts, spans, edit)) => {
            (facts, spans.iter().map(FileCounts::of_span).collect(), edit)
        }
        // Without a memo, nothing is handed to a next lint: no counts.
        None => (CrateFacts::merge_all(file_facts), Vec::new(), None),
    };
    // A target's file that does not exist was named in a warning, not checked.
    let files_checked = files.len() - missing;
    let t_merge = t0.elapsed();
    // A newer edit may stop the language server's lint from here on (see `super::cancel`):
    // the memo then keeps the merged facts, so the next walk still copies unchanged files.
    let linted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        super::cancel::check();
        // The language server's next lint of the package resolves again only the calls of
        // the files it walks again, when no definition changed.
        let fingerprint = memo
            .is_some()
            .then(|| defs.unwrap_or_else(|| defs_fingerprint(&facts)));
        let prior = memo
            .as_deref_mut()
            .and_then(|m| m.index.take())
            .zip(fingerprint)
            .and_then(|(r, fp)| r.prior(&facts, fp, &counts, &fresh, fn_edit.as_ref()));
        let index = CrateIndex::new_with(std::borrow::Cow::Borrowed(&facts), kb, prior);
        let t_index = t0.elapsed();
        super::cancel::check();
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
        (fingerprint, index, t_index, found)
    }));
    let (fingerprint, index, t_index, found) = match linted {
        Ok(done) => done,
        Err(p) => {
            if let Some(m) = memo {
                m.keep(facts);
            }
            std::panic::resume_unwind(p)
        }
    };
    diags.extend(found);
    let t_lints = t0.elapsed();
    match (memo, fingerprint) {
        (Some(m), Some(fp)) => {
            m.index = Some(index.into_reuse(fp, counts));
            m.keep(facts);
        }
        _ => {
            index.free_in_background();
            // The facts it borrowed, the same way.
            let _ = std::thread::Builder::new().spawn(move || drop(facts));
        }
    }
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
            f.text = "".into();
        }
    }
    if timing {
        eprintln!(
            "timing {}: suppressions and report {:?}",
            pkg.name,
            t0.elapsed() - t_lints
        );
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

#[cfg(test)]
mod memo_tests {
    use super::*;

    /// The files of a crate whose `a.rs` and `b.rs` each block in an async fn.
    fn scratch_crate(name: &str) -> crate::util::scratch::Scratch {
        let dir = crate::util::scratch::Scratch::new(name);
        dir.write("lib.rs", "mod a;\nmod b;\n");
        for f in ["a", "b"] {
            dir.write(
                &format!("{f}.rs"),
                &format!("pub async fn {f}() {{\n    std::thread::sleep(std::time::Duration::ZERO);\n}}\n"),
            );
        }
        dir
    }

    fn blocking_in(report: &PackageReport) -> Vec<String> {
        let mut out: Vec<String> = report
            .diagnostics
            .iter()
            .filter(|d| d.lint == "blocking_in_async")
            .map(|d| report.files[d.labels[0].file].display.clone())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn a_lint_cancelled_after_its_walk_leaves_the_memo_whole() {
        let dir = scratch_crate("memo-cancel");
        let argv: Vec<String> = ["cargo-async-lint", dir.to_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (ws, opts) = crate::driver::cli::prepare(&argv, &|_| {}).expect("prepared");
        let pkg = ws.packages[0].clone();
        let mut memo = super::super::walk::FileMemo::default();
        let first = lint_package_memo(pkg.clone(), &ws.root, &opts, &mut memo);
        assert_eq!(blocking_in(&first).len(), 2, "{:?}", blocking_in(&first));

        // An edit to `a.rs`, whose lint a newer edit stops once its walk is done (the first
        // checkpoint on this thread is the lint's start, the second follows the walk).
        let a = std::fs::canonicalize(dir.join("a.rs")).unwrap();
        std::fs::write(&a, "pub async fn a() {}\n").unwrap();
        memo.changed = [a.clone()].into();
        crate::driver::cancel::cancel_on_this_thread_after(1);
        let cancelled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lint_package_memo(pkg.clone(), &ws.root, &opts, &mut memo)
        }));
        let payload = cancelled.expect_err("the lint is cancelled");
        assert!(crate::driver::cancel::is_cancelled(payload.as_ref()));

        // The next analysis walks the edited file again and copies `b.rs`, whose finding stays.
        memo.changed = [a].into();
        let next = lint_package_memo(pkg, &ws.root, &opts, &mut memo);
        let shown = blocking_in(&next);
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(shown[0].ends_with("b.rs"), "{shown:?}");
    }
}
