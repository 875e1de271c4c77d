//! Dependency summaries: facts read from the dependencies' own source, so that a call into a
//! dependency is judged as a call into the crate's own code would be.
//!
//! A dependency's library is walked with the same walker and indexed with the same crate index
//! as a workspace package (its lib target only: no tests, examples, benches or build script).
//! What the lints need is kept for every function, under every path a dependent may name it
//! by (its canonical path and the re-exports that lead to it):
//! - blocks: a sync function that reaches a blocking API (the chain is kept for messages); a
//!   function of a type also as that type's method;
//! - returns a plain type (receiver evidence for method calls on what it returns);
//! - returns a lazy future (an `async fn`, or a fn that only makes one), for `unawaited_future`;
//! - runs a closure parameter on a blocking thread (an island wrapper, as `spawn_blocking`), or
//!   in place (code in a closure handed to it runs where the call is).
//!
//! The facts enter the knowledge base under the name each dependent uses for the package (a
//! rename in `Cargo.toml`, or its lib name). The knowledge base stays the seed: a crate it
//! already describes (std, tokio, futures, ...) is not summarized, and an entry of `lints/` or of
//! the configuration wins over a derived one. A path that names more than one function (`cfg`
//! alternatives, such as a `#[cfg(test)]` variant) gives no fact, and a name that stands for two
//! packages (two versions of one crate) gives none.
//!
//! Which dependencies are summarized: those a workspace member names in its code, then those
//! that a summarized dependency's code names, dependencies first (each is indexed with the facts
//! of the ones it calls).

use super::options::Options;
use super::walk::walk_package;
use crate::analysis::index::CrateIndex;
use crate::kb::{
    ApiEntry, CancelEntry, Derived, FS_METADATA_LINT, HeldEntry, IslandEntry, Kb, first_segment,
};
use crate::lints::blocking_in_async::blocking_chains;
use crate::syntax::facts::{Callee, CrateFacts, Ty};
use crate::util::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use crate::workspace::discover::{Package, Seed, TargetInfo};
use crate::workspace::graph::{DepGraph, DepPackage};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

mod speculate;
use speculate::Guessed;
pub use speculate::{Lock, speculate};

/// What the lints need to know of one dependency, with paths as the dependency names itself
/// (its lib name first).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The lib name (`fs_err`).
    pub krate: String,
    pub blocking: Vec<BlockingFact>,
    pub islands: Vec<IslandFact>,
    /// Functions that call their closure parameter in place (`fn with<F: FnOnce()>(f: F) {
    /// f() }`): code in a closure handed to them runs where the call is.
    #[serde(default)]
    pub in_place: Vec<IslandFact>,
    /// What functions return, when it is a plain type path (receiver evidence:
    /// `let c = dep::connect(); c.fetch()`): (paths of the fn, paths of the type).
    #[serde(default)]
    pub returns: Vec<(Vec<String>, Vec<String>)>,
    /// Functions whose future does nothing until polled (an `async fn`, or a fn that only makes
    /// one): paths, and for a function of a type, the type's paths and the name.
    #[serde(default)]
    pub lazy_futures: Vec<(Vec<String>, Option<Method>)>,
    /// What methods return, when it is a plain type path: (the method, the type's paths).
    #[serde(default)]
    pub method_returns: Vec<(Method, Vec<String>)>,
    /// Types with an `impl Deref`: a method they lack is their target's.
    #[serde(default)]
    pub derefs: Vec<DerefFact>,
    /// Structs that hold a lock guard, a borrow or a `!Send` value in a field.
    #[serde(default)]
    pub held: Vec<HeldFact>,
    /// Functions whose future argument must be `Send`, as their signature declares (spawn
    /// wrappers): paths, and for a function of a type, the method.
    #[serde(default)]
    pub send_params: Vec<(Vec<String>, Option<Method>)>,
    /// Async functions that await an operation that is not cancel-safe.
    #[serde(default)]
    pub not_cancel_safe: Vec<CancelFact>,
    /// Sync functions that enter a runtime (`Handle::block_on`, a `blocking_*` method of a
    /// tokio type): they panic on a runtime thread.
    #[serde(default)]
    pub block_on: Vec<BlockingFact>,
}

/// A type with `impl Deref<Target = ..>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerefFact {
    pub types: Vec<String>,
    pub target: String,
    /// The type's own methods (inherent and trait impls of the dependency): those stay its.
    pub own: Vec<String>,
}

/// A struct that must not be held across an `.await`, for the family of one of its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldFact {
    pub types: Vec<String>,
    pub lint: String,
    pub what: String,
    pub help: String,
}

/// An async function that awaits an operation that is not cancel-safe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelFact {
    pub paths: Vec<String>,
    pub method: Option<Method>,
    /// What is lost when it is cancelled, with the chain to the operation.
    pub lost: String,
    pub fix: String,
    pub at: String,
}

/// A function of a type, as a method: every path of the type, and the function's name.
pub type Method = (Vec<String>, String);

/// A sync function that blocks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockingFact {
    /// Every path it can be named by (canonical first).
    pub paths: Vec<String>,
    /// For a function of a type (`impl Client { fn fetch(&self) }`): every path of the type,
    /// and the function's name, so that a method call on a value of that type matches too.
    #[serde(default)]
    pub method: Option<Method>,
    pub derived: Derived,
    /// It only queries file metadata (reported by `fs_metadata_in_async`).
    pub fs_metadata: bool,
}

/// A function that runs its closure parameter on a blocking thread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IslandFact {
    pub paths: Vec<String>,
    pub at: String,
}

/// The package the engine walks for a dependency: its library only.
fn lib_package(d: &DepPackage) -> Package {
    Package {
        name: d.lib_name.clone(),
        id: d.id.clone(),
        manifest: None,
        dir: d.dir.clone(),
        edition: d.edition.clone(),
        targets: vec![TargetInfo {
            name: d.lib_name.clone(),
            kind: vec!["lib".into()],
            crate_types: vec!["lib".into()],
            src_path: d.lib_src.clone(),
            edition: d.edition.clone(),
        }],
        seeds: vec![Seed {
            path: d.lib_src.clone(),
            module: d.lib_name.clone(),
            crate_root: d.lib_name.clone(),
            target: 0,
            fallback: false,
        }],
        follow_mods: true,
        report_only: None,
        deps: Vec::new(),
        features: Vec::new(),
        enabled_features: d
            .features
            .as_ref()
            .map(|f| std::sync::Arc::new(f.iter().cloned().collect())),
    }
}

/// A crate's imports (`module::name` -> target, globs as `module::*`) indexed by target, for
/// [`aliases`]; each with its place in the list, so aliases come out in the list's order.
struct Reexports<'a> {
    /// `pub use a::b as c;` (and plain imports): target -> (place, path).
    exact: HashMap<&'a str, Vec<(usize, &'a str)>>,
    /// `pub use a::*;` in `m`: the glob's module -> (place, `m`, the `::` in `m`).
    globs: HashMap<&'a str, Vec<(usize, &'a str, usize)>>,
    /// A glob whose target is not itself a glob path (`m::*` -> `a::b`): target -> (place, `m`,
    /// the `::` in `m`).
    module_globs: HashMap<&'a str, Vec<(usize, &'a str, usize)>>,
    /// Per type asked for, made once from its [`alias_list`] (a binding crate has thousands
    /// of functions of, or returning, a type re-exported through many globs): the paths
    /// [`method_of`] keeps, and the [`shortest`] alias.
    types: std::cell::RefCell<HashMap<String, TypePaths>>,
}

/// What a summary keeps of a type's aliases: the paths [`method_of`] keeps, and the
/// [`shortest`] one.
#[derive(Clone)]
struct TypePaths {
    method: std::rc::Rc<[String]>,
    shortest: Option<String>,
}

impl<'a> Reexports<'a> {
    fn new(reexports: &'a [(String, String)]) -> Self {
        let mut r = Reexports {
            exact: HashMap::default(),
            globs: HashMap::default(),
            module_globs: HashMap::default(),
            types: Default::default(),
        };
        for (k, (from, to)) in reexports.iter().enumerate() {
            match (from.strip_suffix("::*"), to.strip_suffix("::*")) {
                (Some(from_mod), Some(to_mod)) => {
                    let seps = from_mod.matches("::").count();
                    r.globs.entry(to_mod).or_default().push((k, from_mod, seps))
                }
                (Some(from_mod), None) => {
                    let seps = from_mod.matches("::").count();
                    r.module_globs
                        .entry(to.as_str())
                        .or_default()
                        .push((k, from_mod, seps))
                }
                (None, _) => r.exact.entry(to.as_str()).or_default().push((k, from)),
            }
        }
        r
    }

    /// The [`shortest`] of a type's [`aliases`], found once.
    fn shortest_type(&self, ty: &str) -> Option<String> {
        self.type_paths(ty).shortest
    }

    /// What is kept of a type's aliases, found once. Only those kept are written out: a type
    /// of a binding crate can have hundreds (ash: half a million for its types, 0.3 s).
    fn type_paths(&self, ty: &str) -> TypePaths {
        if let Some(t) = self.types.borrow().get(ty) {
            return t.clone();
        }
        let all = alias_list(ty, self);
        let method: std::rc::Rc<[String]> = if all.len() <= METHOD_TYPE_PATHS + 1 {
            all.iter().map(|a| a.to_path()).collect()
        } else {
            // The shortest; of paths as short, the first found.
            let mut others: Vec<(usize, usize)> =
                (1..all.len()).map(|i| (all[i].separators, i)).collect();
            others.select_nth_unstable(METHOD_TYPE_PATHS - 1);
            others.truncate(METHOD_TYPE_PATHS);
            others.sort_unstable();
            std::iter::once(0)
                .chain(others.into_iter().map(|(_, i)| i))
                .map(|i| all[i].to_path())
                .collect()
        };
        let shortest = shortest(&all).map(|a| a.to_path());
        let t = TypePaths { method, shortest };
        self.types.borrow_mut().insert(ty.to_string(), t.clone());
        t
    }
}

/// One path of [`aliases`] before it is written out, cut at its last `::`: a glob brings a
/// name into another module (`parent::last`) without a path being written. Two aliases are
/// the same path exactly when their parts are the same.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct Alias<'s> {
    parent: Option<&'s str>,
    last: &'s str,
    /// How many `::` the path holds (counted once: a type of a binding crate can have
    /// hundreds of aliases, each compared by it twice).
    separators: usize,
}

impl<'s> Alias<'s> {
    fn of(path: &'s str) -> Self {
        match path.rsplit_once("::") {
            Some((parent, last)) => Alias {
                parent: Some(parent),
                last,
                separators: parent.matches("::").count() + 1,
            },
            None => Alias {
                parent: None,
                last: path,
                separators: 0,
            },
        }
    }

    /// `module::last`, `module` holding `separators` `::`.
    fn in_module(module: &'s str, separators: usize, last: &'s str) -> Self {
        Alias {
            parent: Some(module),
            last,
            separators: separators + 1,
        }
    }

    fn to_path(self) -> String {
        match self.parent {
            Some(parent) => format!("{parent}::{}", self.last),
            None => self.last.to_string(),
        }
    }

    fn first_segment(&self) -> &'s str {
        first_segment(self.parent.unwrap_or(self.last))
    }
}

/// Every path a function can be named by: its canonical path, and the re-exports (`pub use`,
/// globs included, followed to a fixpoint) that lead to it. Private imports are included too:
/// a dependent cannot name them, so they never match.
fn aliases(canonical: &str, re: &Reexports<'_>) -> Vec<String> {
    alias_list(canonical, re)
        .iter()
        .map(|a| a.to_path())
        .collect()
}

/// [`aliases`], not written out.
fn alias_list<'s>(canonical: &'s str, re: &'s Reexports<'_>) -> Vec<Alias<'s>> {
    let mut out = vec![Alias::of(canonical)];
    // What `out` holds, for the check before each push (a path of a binding crate can have
    // dozens of aliases).
    let mut seen: HashSet<Alias<'s>> = HashSet::default();
    seen.insert(out[0]);
    let mut i = 0;
    let mut found: Vec<(usize, Alias<'s>)> = Vec::new();
    while i < out.len() && out.len() < 64 {
        let cur = out[i];
        let written;
        let path: &str = match cur.parent {
            None => cur.last,
            Some(_) => {
                written = cur.to_path();
                &written
            }
        };
        found.clear();
        for (k, from) in re.exact.get(path).into_iter().flatten() {
            found.push((*k, Alias::of(from)));
        }
        if let Some(parent) = cur.parent {
            for &(k, from_mod, seps) in re.globs.get(parent).into_iter().flatten() {
                found.push((k, Alias::in_module(from_mod, seps, cur.last)));
            }
        }
        let module_globs = [Some(path), cur.parent];
        for target in module_globs.into_iter().flatten() {
            for &(k, from_mod, seps) in re.module_globs.get(target).into_iter().flatten() {
                found.push((k, Alias::in_module(from_mod, seps, cur.last)));
            }
        }
        // In the order of the imports, as a scan of the list would find them.
        found.sort_by_key(|(k, _)| *k);
        for (_, a) in found.drain(..) {
            if seen.insert(a) {
                out.push(a);
            }
        }
        i += 1;
    }
    out
}

/// Summarizes one dependency whose walk gave `facts`, with `kb` holding the facts of the
/// dependencies it calls.
fn summarize(d: &DepPackage, files: &[PathBuf], facts: CrateFacts, kb: &Kb) -> Summary {
    let index = CrateIndex::new(facts, kb);
    let re = Reexports::new(&index.facts.reexports);
    let base = d.dir.parent().unwrap_or(&d.dir);
    let at = |file: usize, line: usize| {
        let p = files.get(file).map(|p| p.strip_prefix(base).unwrap_or(p));
        format!(
            "{}:{line}",
            p.map(|p| p.display().to_string()).unwrap_or_default()
        )
    };
    let mut out = Summary {
        krate: d.lib_name.clone(),
        ..Summary::default()
    };
    let mut done: HashSet<usize> = HashSet::default();
    for fs_metadata in [false, true] {
        let chains = blocking_chains(&index, fs_metadata);
        for (f, chain) in chains.iter().enumerate() {
            let Some(chain) = chain else { continue };
            let def = &index.facts.fns[f];
            // One function per path: a `cfg` alternative (a test-only variant) is no fact.
            if index.fns_at(&def.path).len() != 1 || !done.insert(f) {
                continue;
            }
            out.blocking.push(chain_fact(
                def,
                chain,
                &kb.blocking,
                &re,
                at(def.file, def.loc.line),
                files.get(def.file).cloned().unwrap_or_default(),
                fs_metadata,
            ));
        }
    }
    // Re-exports of another crate's functions or modules (`pub use deno_unsync as unsync;`,
    // `pub use std::fs::read;`): what the knowledge base says of the target holds for the
    // re-export's path too.
    for (from, to) in &index.facts.reexports {
        if first_segment(to) == d.lib_name || first_segment(from) != d.lib_name {
            continue;
        }
        let (from, to) = match (from.strip_suffix("::*"), to.strip_suffix("::*")) {
            (Some(f), Some(t)) => (f, t),
            (None, None) => (from.as_str(), to.as_str()),
            _ => continue,
        };
        let mut targets: Vec<(String, String)> = vec![(from.to_string(), to.to_string())];
        for (rest, _) in kb.blocking.functions_under(to) {
            targets.push((format!("{from}::{rest}"), format!("{to}::{rest}")));
        }
        for rest in kb.island_fns_under(to) {
            targets.push((format!("{from}::{rest}"), format!("{to}::{rest}")));
        }
        for (alias, target) in targets {
            if let Some(e) = kb.blocking.function(&target)
                && e.ty.is_none()
            {
                let derived = e.derived.clone().unwrap_or_else(|| Derived {
                    chain: vec![target.clone()],
                    at: String::new(),
                    file: PathBuf::new(),
                    line: 0,
                });
                out.blocking.push(BlockingFact {
                    paths: vec![alias.clone()],
                    method: None,
                    derived,
                    fs_metadata: e.is_fs_metadata(),
                });
            }
            if kb.is_island_fn(&target) {
                out.islands.push(IslandFact {
                    paths: vec![alias],
                    at: format!("re-export of `{target}`"),
                });
            }
        }
    }
    for (f, def) in index.facts.fns.iter().enumerate() {
        if index.fns_at(&def.path).len() != 1 {
            continue;
        }
        // The function's paths, found once when a fact needs them.
        let paths = std::cell::OnceCell::new();
        let fn_paths = || paths.get_or_init(|| aliases(&def.path, &re)).clone();
        let fact = || IslandFact {
            paths: fn_paths(),
            at: at(def.file, def.loc.line),
        };
        if index.island_wrappers[f] {
            out.islands.push(fact());
        } else if index.calls_param[f] {
            out.in_place.push(fact());
        }
        if def.returns_future && index.returns_lazy_future(f) {
            out.lazy_futures.push((fn_paths(), method_of(def, &re)));
        }
        // A declared return type that resolves to a type of this crate or another one.
        if let Some(Ty::Path(ty)) = index.resolve_ty(&def.ret, 0)
            && ty.contains("::")
        {
            // The type's best name only: the facts of a type are recorded under each of its
            // paths, so one names it (all its aliases, for each function of a large binding
            // crate, made summaries of a hundred megabytes).
            let tys: Vec<String> = re.shortest_type(&ty).into_iter().collect();
            if let Some(m) = method_of(def, &re) {
                out.method_returns.push((m, tys.clone()));
            }
            out.returns.push((fn_paths(), tys));
        }
        if def.send_param {
            out.send_params.push((fn_paths(), method_of(def, &re)));
        }
    }
    // Sync functions that enter a runtime, by the rule `block_on_in_async` applies to the
    // crate's own helpers.
    let chains = index.sync_reach(|_, t| {
        crate::lints::block_on_in_async::block_on_entry(&index, t).map(|(_, name)| name)
    });
    for (f, chain) in chains.iter().enumerate() {
        let Some(chain) = chain else { continue };
        let def = &index.facts.fns[f];
        if def.is_async || index.fns_at(&def.path).len() != 1 {
            continue;
        }
        out.block_on.push(chain_fact(
            def,
            chain,
            &kb.block_on,
            &re,
            at(def.file, def.loc.line),
            files.get(def.file).cloned().unwrap_or_default(),
            false,
        ));
    }
    derived_types(&index, &re, &mut out);
    not_cancel_safe(&index, &re, &at, &mut out);
    out
}

/// The fact of a function whose `chain` reaches an entry of `table` (a sink that is itself
/// derived, a dependency's function, goes on with its own chain).
fn chain_fact(
    def: &crate::syntax::facts::FnDef,
    chain: &[String],
    table: &crate::kb::ApiTable,
    reexports: &Reexports<'_>,
    at: String,
    file: PathBuf,
    fs_metadata: bool,
) -> BlockingFact {
    let mut full = vec![def.path.clone()];
    full.extend(chain.iter().cloned());
    if let Some(inner) = chain.last().and_then(|last| table.derived(last)) {
        full.extend(inner.chain.iter().skip(1).cloned());
    }
    BlockingFact {
        paths: aliases(&def.path, reexports),
        method: method_of(def, reexports),
        derived: Derived {
            chain: full,
            at,
            file,
            line: def.loc.line,
        },
        fs_metadata,
    }
}

/// The facts of a dependency's types: `Deref` targets, and structs that hold what must not
/// live across an `.await`.
fn derived_types(index: &CrateIndex<'_>, re: &Reexports<'_>, out: &mut Summary) {
    // The own methods of each type with a `Deref` (the walker names a method `Type::name`).
    let mut own: HashMap<&str, Vec<String>> = HashMap::default();
    for def in &index.facts.fns {
        if def.name.contains("::")
            && let Some((ty, name)) = def.path.rsplit_once("::")
            && index.facts.derefs.contains_key(ty)
        {
            own.entry(ty).or_default().push(name.to_string());
        }
    }
    let mut derefs: Vec<(&String, &Ty)> = index.facts.derefs.iter().collect();
    derefs.sort_by(|a, b| a.0.cmp(b.0));
    for (ty, target) in derefs {
        if let Some(Ty::Path(target)) = index.resolve_ty(target, 0)
            && target.contains("::")
        {
            let mut methods = own.get(ty.as_str()).cloned().unwrap_or_default();
            methods.sort();
            methods.dedup();
            out.derefs.push(DerefFact {
                types: aliases(ty, re),
                target,
                own: methods,
            });
        }
    }
    // Only the structs that may hold one are followed field by field (a bindgen crate has
    // thousands of nested structs that hold nothing).
    let mut structs: Vec<&str> = index.may_hold().iter().map(String::as_str).collect();
    structs.sort_unstable();
    for ty in structs {
        if let Some((e, what)) = index.held_in_fields(ty, None) {
            out.held.push(HeldFact {
                types: aliases(ty, re),
                lint: e.lint.clone(),
                what,
                help: e.help.clone(),
            });
        }
    }
}

/// Async functions of the dependency that await a not-cancel-safe operation (the rule
/// `select_cancel_unsafe` applies to the crate's own helpers).
fn not_cancel_safe(
    index: &CrateIndex<'_>,
    re: &Reexports<'_>,
    at: &dyn Fn(usize, usize) -> String,
    out: &mut Summary,
) {
    use crate::lints::select_cancel_unsafe::unsafe_op;
    let reach = index.async_reach(|i, t| unsafe_op(index, i, t).map(|(_, name)| name));
    for (f, chain) in reach.iter().enumerate() {
        let Some(chain) = chain else { continue };
        let def = &index.facts.fns[f];
        if !def.is_async || index.fns_at(&def.path).len() != 1 {
            continue;
        }
        let sink = chain.last().cloned().unwrap_or_default();
        let entry = index.kb.not_cancel_safe_sink(&sink);
        let mut path = vec![format!("`{}`", def.path)];
        path.extend(chain.iter().map(|c| format!("`{c}`")));
        let lost = entry.and_then(|e| e.lost.clone()).unwrap_or_default();
        let at = at(def.file, def.loc.line);
        out.not_cancel_safe.push(CancelFact {
            paths: aliases(&def.path, re),
            method: method_of(def, re),
            lost: format!(
                "{}{}it awaits {} ({at})",
                lost,
                if lost.is_empty() { "" } else { "; " },
                path.join(" -> ")
            ),
            fix: entry.and_then(|e| e.fix.clone()).unwrap_or_default(),
            at,
        });
    }
}

/// For a function of a type (`Type::method`: its short name has the type), the type's paths
/// and the function's name.
///
/// A type's paths are its canonical one and its [`METHOD_TYPE_PATHS`] shortest others: a
/// dependent names a type by a public path, which is short, and every method repeats the list
/// (a binding crate whose types are re-exported through many globs, such as `ash`, made
/// summaries of 150 MB with all of them).
fn method_of(def: &crate::syntax::facts::FnDef, reexports: &Reexports<'_>) -> Option<Method> {
    let (ty, name) = def.path.rsplit_once("::")?;
    if !def.name.contains("::") {
        return None;
    }
    Some((reexports.type_paths(ty).method.to_vec(), name.to_string()))
}

/// How many paths of a type besides its canonical one a method fact keeps ([`method_of`]).
const METHOD_TYPE_PATHS: usize = 4;

/// Replaces a path's first segment (the dependency's lib name) by the name a dependent uses.
fn renamed(path: &str, krate: &str, name: &str) -> String {
    match path.strip_prefix(krate) {
        Some(rest) if name != krate && (rest.is_empty() || rest.starts_with("::")) => {
            format!("{name}{rest}")
        }
        _ => path.to_string(),
    }
}

/// The help of a derived blocking entry.
const DERIVED_REPLACEMENT: &str = "`tokio::task::spawn_blocking(move || ..).await` around the call, or a non-blocking alternative";

/// Adds a derived fact of a function that blocks (or, with `block_on`, enters a runtime) to
/// its table, under its paths and as a method of its type; what the table already says wins.
fn add_api_fact(kb: &mut Kb, s: &Summary, name: &str, b: &BlockingFact, block_on: bool) {
    fn table(kb: &Kb, block_on: bool) -> &crate::kb::ApiTable {
        if block_on { &kb.block_on } else { &kb.blocking }
    }
    let sink = b
        .derived
        .chain
        .last()
        .map(String::as_str)
        .unwrap_or_default();
    let entry = |paths: Vec<String>, ty: Option<String>, methods: Vec<String>| ApiEntry {
        paths,
        ty,
        methods,
        replacement: DERIVED_REPLACEMENT.into(),
        fix: Vec::new(),
        source: format!("derived from {} (it calls `{sink}`)", b.derived.at),
        reason: None,
        lint: b.fs_metadata.then(|| FS_METADATA_LINT.to_string()),
        derived: Some(b.derived.clone()),
    };
    let add = |kb: &mut Kb, e: ApiEntry| {
        if block_on {
            kb.add_block_on(e)
        } else {
            kb.add_blocking(e)
        }
    };
    let paths: Vec<String> = b
        .paths
        .iter()
        .map(|p| renamed(p, &s.krate, name))
        .filter(|p| table(kb, block_on).function(p).is_none())
        .filter(|p| {
            // `Type::method` of a type the knowledge base says never blocks.
            block_on
                || !p
                    .rsplit_once("::")
                    .is_some_and(|(ty, _)| kb.is_not_blocking_type(ty))
        })
        .collect();
    if !paths.is_empty() {
        add(kb, entry(paths, None, Vec::new()));
    }
    for (ty, method) in b
        .method
        .iter()
        .flat_map(|(types, m)| types.iter().map(move |t| (t, m)))
    {
        let ty = renamed(ty, &s.krate, name);
        if !block_on && kb.is_not_blocking_type(&ty) {
            continue;
        }
        if table(kb, block_on).method(&ty, method).is_none() {
            add(kb, entry(Vec::new(), Some(ty), vec![method.clone()]));
        }
    }
}

/// Adds a summary's facts to `kb` under `name`; what `kb` already says of a path wins.
pub fn apply(kb: &mut Kb, s: &Summary, name: &str) {
    for b in &s.blocking {
        add_api_fact(kb, s, name, b, false);
    }
    for i in &s.islands {
        let paths: Vec<String> = i
            .paths
            .iter()
            .map(|p| renamed(p, &s.krate, name))
            .filter(|p| !kb.is_island_fn(p))
            .collect();
        if !paths.is_empty() {
            kb.add_island(IslandEntry {
                paths,
                methods: Vec::new(),
                chain_methods: Vec::new(),
                source: format!("derived from {}", i.at),
            });
        }
    }
    for (paths, method) in &s.lazy_futures {
        for p in paths {
            let p = renamed(p, &s.krate, name);
            if !kb.is_future_fn(&p) {
                kb.add_lazy_future(Some(p), None);
            }
        }
        if let Some((types, m)) = method {
            for ty in types.iter().map(|t| renamed(t, &s.krate, name)) {
                if !kb.is_future_method(&ty, m) {
                    kb.add_lazy_future(None, Some((ty, m.clone())));
                }
            }
        }
    }
    for b in &s.block_on {
        add_api_fact(kb, s, name, b, true);
    }
    // Held types first: a method that returns one is then a producer of it.
    for h in &s.held {
        let types: Vec<String> = h
            .types
            .iter()
            .map(|t| renamed(t, &s.krate, name))
            .filter(|t| kb.held(t).is_none())
            .collect();
        if !types.is_empty() {
            kb.add_held(HeldEntry {
                lint: h.lint.clone(),
                types,
                what: h.what.clone(),
                help: h.help.clone(),
                source: format!("derived from the fields of `{}`", h.types[0]),
                reason: None,
            });
        }
    }
    for ((types, m), rets) in &s.method_returns {
        // `summarize` keeps the type's best path only.
        let Some(ret) = rets.first() else { continue };
        let ret = renamed(ret, &s.krate, name);
        for ty in types {
            kb.add_returns_method(renamed(ty, &s.krate, name), m.clone(), ret.clone());
        }
    }
    for d in &s.derefs {
        let target = renamed(&d.target, &s.krate, name);
        for ty in &d.types {
            kb.add_deref(renamed(ty, &s.krate, name), target.clone(), d.own.clone());
        }
    }
    for (paths, method) in &s.send_params {
        for p in paths {
            kb.add_send_required_fn(renamed(p, &s.krate, name));
        }
        if let Some((types, m)) = method {
            for ty in types {
                kb.add_send_required_method(renamed(ty, &s.krate, name), m.clone());
            }
        }
    }
    for c in &s.not_cancel_safe {
        let paths: Vec<String> = c
            .paths
            .iter()
            .map(|p| renamed(p, &s.krate, name))
            .filter(|p| kb.not_cancel_safe_fn(p).is_none())
            .collect();
        let entry = |paths: Vec<String>, ty: Option<String>, methods: Vec<String>| CancelEntry {
            methods,
            paths,
            owner: None,
            ty,
            lost: Some(c.lost.clone()),
            fix: (!c.fix.is_empty()).then(|| c.fix.clone()),
            source: format!("derived from {}", c.at),
        };
        if !paths.is_empty() {
            kb.add_not_cancel_safe(entry(paths, None, Vec::new()));
        }
        if let Some((types, m)) = &c.method {
            for ty in types {
                let ty = renamed(ty, &s.krate, name);
                if kb.not_cancel_safe_method(Some(&ty), m).is_none() {
                    kb.add_not_cancel_safe(entry(Vec::new(), Some(ty), vec![m.clone()]));
                }
            }
        }
    }
    for (fns, tys) in &s.returns {
        let Some(ty) = tys.first() else { continue };
        let ty = renamed(ty, &s.krate, name);
        for f in fns {
            kb.add_returns_fn(renamed(f, &s.krate, name), ty.clone());
        }
    }
    for i in &s.in_place {
        for p in &i.paths {
            let p = renamed(p, &s.krate, name);
            if !kb.is_island_fn(&p) {
                kb.add_in_place_fn(p);
            }
        }
    }
}

/// The path a type is best named by in messages: its shortest (a public re-export such as
/// `fs_err::OpenOptions` rather than the private module's `fs_err::open_options::OpenOptions`);
/// the facts of the type are recorded under every path, so any of them matches.
/// A type of another crate keeps its own path (the dependency's imports of it are private).
fn shortest<'a>(paths: &'a [Alias<'_>]) -> Option<&'a Alias<'a>> {
    let krate = paths.first()?.first_segment();
    paths
        .iter()
        .enumerate()
        .filter(|(_, a)| a.first_segment() == krate)
        .min_by_key(|(i, a)| (a.separators, *i))
        .map(|(_, a)| a)
}

/// The first segments of the paths a package's calls name (the crates it calls into).
fn named_crates(facts: &CrateFacts) -> HashSet<String> {
    let mut out = HashSet::default();
    for c in &facts.calls {
        if let Callee::Path(paths) = &c.callee {
            for p in paths {
                out.insert(first_segment(p).to_string());
            }
        }
    }
    out
}

/// What the first phase found of a dependency (see [`kb_with_dependencies`]).
enum Found {
    /// A crate the knowledge base describes: never summarized.
    Known,
    /// Its cache entry (still to be checked against its children's summaries), and its key.
    Cached(Box<Entry>, u64),
    /// Its library's walk.
    Walked(Box<Walked>),
    /// Its summary and the summary's hash, made as soon as it was walked: its code names no
    /// dependency that was found, so its summary reads the base knowledge base only, as it
    /// would at the first height (and its walk's facts are freed before the other walks end).
    Summarized(Box<(Summary, u64)>),
}

/// A dependency's walk, and the cache key to store its summary under.
struct Walked {
    files: Vec<PathBuf>,
    facts: CrateFacts,
    /// The dependencies its code names (in the order of its declared dependencies).
    named: Vec<String>,
    key: Option<u64>,
}

impl Found {
    /// The dependencies the package's code names.
    fn named(&self) -> &[String] {
        match self {
            Found::Known => &[],
            Found::Cached(e, _) => &e.named,
            Found::Walked(w) => &w.named,
            Found::Summarized(_) => &[],
        }
    }
}

/// The first phase: every dependency the roots reach through the crates their code names,
/// each walked (or read from the cache) as soon as a package that names it is; packages side by
/// side, on the engine's threads.
///
/// A dependency is walked with the base knowledge base (what `lints/` and the configuration
/// say), never with other dependencies' summaries: its facts are then the same whatever the
/// order of the walks, and so is its summary.
struct Discovery<'a> {
    deps: &'a [DepPackage],
    base: &'a Kb,
    opts: &'a Options,
    known: HashSet<String>,
    /// What was found of members' libraries before the graph was known.
    prewalked: std::sync::Mutex<Prewalked>,
    /// Per dependency: claimed for a walk, and what was found.
    found: std::sync::Mutex<Vec<(bool, Option<Found>)>>,
}

impl<'a> Discovery<'a> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(bool, Option<Found>)>> {
        self.found
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Finds dependency `i` (unless another task has), then the dependencies its code names.
    fn visit<'s>(&'s self, scope: &rayon::Scope<'s>, i: usize) {
        if std::mem::replace(&mut self.lock()[i].0, true) {
            return;
        }
        scope.spawn(move |scope| {
            super::cancel::check();
            let mut found = self.find(i);
            if let Found::Walked(w) = &found
                && w.named.is_empty()
            {
                let no_children = HashMap::default();
                let made = summary_of(
                    &self.deps[i],
                    found,
                    self.base,
                    self.base,
                    self.opts,
                    &no_children,
                );
                found = Found::Summarized(Box::new(made));
            }
            let children = children(&self.deps[i], found.named());
            self.lock()[i].1 = Some(found);
            for j in children {
                self.visit(scope, j);
            }
        });
    }

    fn find(&self, i: usize) -> Found {
        let d = &self.deps[i];
        let (prewalked, guessed, in_flight) = self
            .prewalked
            .lock()
            .map(|mut p| {
                let in_flight = p.in_flight.take_if(|w| w.id == d.id);
                (p.members.remove(&d.id), p.guessed.remove(&d.id), in_flight)
            })
            .unwrap_or_default();
        // The walk left running when cargo answered, once it ends.
        let guessed = guessed.or_else(|| in_flight.and_then(|w| w.wait()));
        match (prewalked, guessed) {
            // Walked without the graph: the dependencies its code names are read now.
            (Some(Found::Walked(mut w)), _) => {
                w.named = named_of(d, &named_crates(&w.facts));
                Found::Walked(w)
            }
            (Some(found), _) => found,
            // Walked with guessed features that agree with cargo's on every feature its code
            // asked about: the walk cargo's features give.
            (None, Some(g)) if g.fits(d) => {
                crate::util::timing::mark(|| format!("guessed walk taken: {}", d.id));
                let mut w = g.walked;
                w.named = named_of(d, &named_crates(&w.facts));
                w.key = cache_key(d, self.opts);
                Found::Walked(Box::new(w))
            }
            (None, g) => {
                if let Some(g) = g {
                    crate::util::timing::mark(|| {
                        let real = d.features.clone().unwrap_or_default();
                        let guess = g.d.features.clone().unwrap_or_default();
                        let differ: Vec<&String> = g
                            .asked
                            .iter()
                            .filter(|f| real.contains(f) != guess.contains(f))
                            .collect();
                        format!(
                            "guessed walk refused: {} (features asked that differ: {differ:?})",
                            d.id
                        )
                    });
                }
                find(d, self.base, self.opts, &self.known)
            }
        }
    }
}

/// Finds a dependency: a crate the knowledge base describes, its cache entry, or its walk.
fn find(d: &DepPackage, base: &Kb, opts: &Options, known: &HashSet<String>) -> Found {
    if known.contains(&d.lib_name) {
        return Found::Known;
    }
    let key = cache_key(d, opts);
    let cached: Option<Entry> = key
        .and_then(|k| super::summary_cache::load(d, k))
        .and_then(|b| serde_json::from_slice(&b).ok());
    match (cached, key) {
        (Some(entry), Some(key)) => Found::Cached(Box::new(entry), key),
        _ => Found::Walked(Box::new(walk_dependency(d, base, opts, key))),
    }
}

/// The key of a package's summary in the per-machine cache: the package's own key (its id or
/// contents, the tool), and the configuration; the entry also records the dependencies its
/// code names and a fingerprint of their summaries, which must still match (checked in the
/// second phase). None: not cached.
fn cache_key(d: &DepPackage, opts: &Options) -> Option<u64> {
    super::summary_cache::key(d, opts).map(|k| {
        let mut h = crate::util::hash::Fnv::default();
        h.u64(k);
        h.str(opts.config.key_text());
        h.finish()
    })
}

/// Walks a dependency's library with the base knowledge base.
fn walk_dependency(d: &DepPackage, base: &Kb, opts: &Options, key: Option<u64>) -> Walked {
    walk_dependency_with(d, base, opts, key, None)
}

/// [`walk_dependency`], noting the features its code asks about in `asked`.
fn walk_dependency_with(
    d: &DepPackage,
    base: &Kb,
    opts: &Options,
    key: Option<u64>,
    asked: Option<&crate::syntax::build_cfg::Asked>,
) -> Walked {
    // A member's library is read for every platform, as its lint reads it.
    let how = super::walk::ForSummary {
        host: !d.member,
        asked,
    };
    let walked = walk_package(&lib_package(d), Path::new(""), base, opts, Some(&how), None);
    let files: Vec<PathBuf> = walked.files.iter().map(|f| f.path.clone()).collect();
    drop(walked.files);
    // (Each file's facts are those a summary reads: see `walk_package`'s `test_off`.)
    let facts = CrateFacts::merge_all(walked.file_facts);
    let named = named_of(d, &named_crates(&facts));
    Walked {
        files,
        facts,
        named,
        key,
    }
}

/// The dependencies of `d` its code names (`all`: the crates it names), in the order of its
/// declared dependencies.
fn named_of(d: &DepPackage, all: &HashSet<String>) -> Vec<String> {
    let mut named: Vec<String> = Vec::new();
    for (name, _) in &d.deps {
        if all.contains(name) && !named.contains(name) {
            named.push(name.clone());
        }
    }
    named
}

/// The dependencies (indices) of `d` that its code names.
fn children(d: &DepPackage, named: &[String]) -> Vec<usize> {
    named
        .iter()
        .filter_map(|name| d.deps.iter().find(|(n, _)| n == name).map(|(_, j)| *j))
        .collect()
}

/// The height of each found dependency over the "names" edges: 0 for one that names no found
/// dependency, else one more than its highest child. An edge that closes a circle (followed
/// depth-first from the roots, in order) is left out, as the child is not summarized yet.
fn heights(deps: &[DepPackage], found: &[Option<Found>], roots: &[usize]) -> Vec<Option<usize>> {
    fn go(
        i: usize,
        deps: &[DepPackage],
        found: &[Option<Found>],
        out: &mut Vec<Option<usize>>,
        on_stack: &mut Vec<bool>,
    ) {
        if out[i].is_some() || on_stack[i] {
            return;
        }
        on_stack[i] = true;
        let mut h = 0;
        let named = found[i].as_ref().map_or(&[][..], Found::named);
        for j in children(&deps[i], named) {
            go(j, deps, found, out, on_stack);
            if let Some(hj) = out[j] {
                h = h.max(hj + 1);
            }
        }
        on_stack[i] = false;
        out[i] = Some(h);
    }
    let mut out = vec![None; deps.len()];
    let mut on_stack = vec![false; deps.len()];
    for &r in roots {
        if found[r].is_some() {
            go(r, deps, found, &mut out, &mut on_stack);
        }
    }
    out
}

/// The process's resident and peak memory, for `ASYNC_LINT_TIMING` (empty where `/proc` cannot
/// tell).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|l| l.starts_with("VmRSS") || l.starts_with("VmHWM"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fingerprint of the summaries of the dependencies `named` of dependency `d` (`done`: the
/// hash of each summarized dependency's summary, None for one the knowledge base knows).
fn children_fingerprint(
    d: &DepPackage,
    named: &[String],
    done: &HashMap<usize, Option<u64>>,
) -> u64 {
    let mut h = crate::util::hash::Fnv::default();
    for name in named {
        h.str(name);
        let child = d.deps.iter().find(|(n, _)| n == name);
        match child.and_then(|(_, j)| done.get(j)) {
            Some(Some(hash)) => h.u64(*hash),
            Some(None) => h.str("known"),
            None => h.str("none"),
        }
    }
    h.finish()
}

/// The summary of a found dependency, with `kb` holding the summaries of the ones below it,
/// and its hash. A cache entry whose children's summaries changed is walked again; a new
/// summary is stored in the cache.
fn summary_of(
    d: &DepPackage,
    found: Found,
    kb: &Kb,
    base: &Kb,
    opts: &Options,
    done: &HashMap<usize, Option<u64>>,
) -> (Summary, u64) {
    let walked = match found {
        Found::Known => unreachable!("a known crate has no summary"),
        Found::Cached(entry, key) => {
            if entry.children == children_fingerprint(d, &entry.named, done) {
                return (entry.summary, entry.hash);
            }
            walk_dependency(d, base, opts, Some(key))
        }
        Found::Walked(w) => *w,
        Found::Summarized(made) => return *made,
    };
    let Walked {
        files,
        facts,
        named,
        key,
    } = walked;
    let children = children_fingerprint(d, &named, done);
    let t0 = std::time::Instant::now();
    let summary = summarize(d, &files, facts, kb);
    if crate::util::timing::enabled() && t0.elapsed().as_millis() >= 50 {
        eprintln!(
            "timing dependencies: summary of {} in {:?}",
            d.id,
            t0.elapsed()
        );
    }
    // Serialized once: for its hash, and for the cache.
    let (hash, bytes) = Entry::bytes(&named, children, &summary);
    if let Some(k) = key {
        super::summary_cache::store(d, k, &bytes);
    }
    (summary, hash)
}

/// A summary cache entry.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The dependencies the package's code names.
    named: Vec<String>,
    /// [`State::children_fingerprint`] of them when the summary was made.
    children: u64,
    /// The hash of the summary's JSON (read back, not computed again: a summary can be
    /// megabytes).
    hash: u64,
    summary: Summary,
}

impl Entry {
    /// The hash of the summary's JSON, and the entry's JSON (the summary serialized once, in
    /// place: a summary can be megabytes).
    fn bytes(named: &[String], children: u64, summary: &Summary) -> (u64, Vec<u8>) {
        let mut out = b"{\"named\":".to_vec();
        let _ = serde_json::to_writer(&mut out, named);
        out.extend_from_slice(format!(",\"children\":{children},\"summary\":").as_bytes());
        let start = out.len();
        let _ = serde_json::to_writer(&mut out, summary);
        let hash = crate::util::hash::hash_bytes(&out[start..]);
        out.extend_from_slice(format!(",\"hash\":{hash}}}").as_bytes());
        (hash, out)
    }
}

/// The dependencies of the graph the workspace's calls do not reach: never read.
#[derive(Debug, Default, PartialEq)]
pub struct Unreached {
    pub packages: usize,
    /// The `.rs` files under their libraries' folders (counted with `-v` only).
    pub files: usize,
}

/// The knowledge base with the summaries of the dependencies that `packages` (workspace members)
/// reach, how many were summarized, and what was not reached. None when nothing was summarized.
pub fn kb_with_dependencies(
    base: &Kb,
    graph: &DepGraph,
    packages: &[Package],
    opts: &Options,
    prewalked: Prewalked,
) -> Option<(Kb, usize, Unreached)> {
    // The graph's packages, then the libraries of the members other members depend on.
    let (all, member_deps) = with_member_libs(graph, packages);
    crate::util::timing::mark(|| "dependencies: members' libraries listed".into());
    let (roots_named, roots) = roots_of(graph, packages, &member_deps, None);
    if roots_named.is_empty() {
        return None;
    }
    let timing = crate::util::timing::enabled();
    let t0 = std::time::Instant::now();
    crate::util::timing::mark(|| "dependencies: walks start".into());
    // First: find what the roots reach, walking packages side by side.
    let discovery = Discovery {
        deps: &all,
        base,
        opts,
        known: known_crates(),
        prewalked: std::sync::Mutex::new(prewalked),
        found: std::sync::Mutex::new((0..all.len()).map(|_| (false, None)).collect()),
    };
    rayon::scope(|scope| {
        for &i in &roots {
            discovery.visit(scope, i);
        }
    });
    let mut found: Vec<Option<Found>> = discovery
        .found
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    let t_found = t0.elapsed();
    let cpu_found = crate::util::timing::cpu_seconds();
    crate::util::timing::mark(|| "dependencies: walked".into());
    if timing {
        eprintln!("timing dependencies: memory after the walks: {}", memory());
    }
    // Then: summarize them from the bottom up, a height at a time. The packages of one height
    // are summarized side by side against the same knowledge base (the base and the summaries
    // of every lower height), and added to it in the order of the list: the knowledge base,
    // and so every summary, is the same whatever the threads do.
    let unreached = unreached(&all, &found, opts.verbose);
    let heights = heights(&all, &found, &roots);
    let mut levels: Vec<Vec<usize>> = Vec::new();
    let mut done: HashMap<usize, Option<u64>> = HashMap::default();
    for (i, h) in heights.iter().enumerate() {
        let Some(h) = *h else { continue };
        if matches!(found[i], Some(Found::Known)) {
            done.insert(i, None);
            continue;
        }
        if levels.len() <= h {
            levels.resize_with(h + 1, Vec::new);
        }
        levels[h].push(i);
    }
    let names = names_of(&graph.packages, &roots_named);
    let mut kb = base.clone();
    for level in &levels {
        let t_level = std::time::Instant::now();
        let work: Vec<(usize, Found)> = level
            .iter()
            .filter_map(|&i| Some((i, found[i].take()?)))
            .collect();
        let made: Vec<(usize, Summary, u64)> = {
            use rayon::prelude::*;
            let (kb, done) = (&kb, &done);
            work.into_par_iter()
                .map(|(i, f)| {
                    super::cancel::check();
                    let (s, hash) = summary_of(&all[i], f, kb, base, opts, done);
                    (i, s, hash)
                })
                .collect()
        };
        for (i, summary, hash) in made {
            for name in names.get(&i).into_iter().flatten() {
                apply(&mut kb, &summary, name);
            }
            done.insert(i, Some(hash));
        }
        if timing {
            eprintln!(
                "timing dependencies: height of {} packages in {:?}",
                level.len(),
                t_level.elapsed()
            );
        }
    }
    if timing {
        eprintln!(
            "timing dependencies: {} found in {t_found:?} ({:.2} s of CPU so far), {} heights, summarized in {:?} ({:.2} s of CPU so far); memory: {}",
            done.len(),
            cpu_found,
            levels.len(),
            t0.elapsed() - t_found,
            crate::util::timing::cpu_seconds(),
            memory()
        );
    }
    // The summaries made are written to the per-machine cache together (one file).
    super::summary_cache::flush();
    let summarized = done.values().filter(|h| h.is_some()).count();
    (summarized > 0).then_some((kb, summarized, unreached))
}

/// The dependencies the discovery did not reach (`found` None; members' libraries are linted
/// anyway), with their files counted when `count_files`.
fn unreached(all: &[DepPackage], found: &[Option<Found>], count_files: bool) -> Unreached {
    let left: Vec<&DepPackage> = all
        .iter()
        .zip(found)
        .filter(|(d, f)| f.is_none() && !d.member)
        .map(|(d, _)| d)
        .collect();
    Unreached {
        packages: left.len(),
        files: if count_files {
            left.iter()
                .filter_map(|d| d.lib_src.parent())
                .map(rs_files_under)
                .sum()
        } else {
            0
        },
    }
}

/// How many `.rs` files a folder holds, its subfolders included (`target/` and hidden folders
/// left out, as the result cache lists a package's files).
fn rs_files_under(dir: &Path) -> usize {
    super::cache::package_files(dir, &mut crate::util::hash::Fnv::default())
        .iter()
        .filter(|f| f.extension().is_some_and(|x| x == "rs"))
        .count()
}

/// The dependencies the members name (in the graph, then the libraries of other members, as
/// [`with_member_libs`] lists them), as (the name their code uses, index), and those of them
/// their sources mention: where the walks start. Once `stop` is true, no other member's
/// sources are read (the roots are then incomplete).
fn roots_of(
    graph: &DepGraph,
    packages: &[Package],
    member_deps: &MemberDeps,
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> (Vec<(String, usize)>, Vec<usize>) {
    let mut roots_named: Vec<(String, usize)> = Vec::new();
    let mut searched: Vec<(&Path, Vec<&str>)> = Vec::new();
    for pkg in packages {
        let Some(member) = graph.members.get(&pkg.id) else {
            continue;
        };
        let mut names: Vec<&str> = member.iter().map(|(n, _, _)| n.as_str()).collect();
        for (name, i, _) in member {
            if !graph.packages[*i].proc_macro {
                roots_named.push((name.clone(), *i));
            }
        }
        for (name, i) in member_deps.get(&pkg.id).into_iter().flatten() {
            names.push(name);
            roots_named.push((name.clone(), *i));
        }
        searched.push((&pkg.dir, names));
    }
    // The members' sources are read side by side (20 MB for deno's, before any walk starts).
    let texts_named = names_in_sources(&searched, stop);
    let roots: Vec<usize> = roots_named
        .iter()
        .filter(|(name, _)| texts_named.contains(name))
        .map(|(_, i)| *i)
        .collect();
    (roots_named, roots)
}

/// A member's library target, when it has one other members can call (not a proc-macro).
fn member_lib(pkg: &Package) -> Option<&TargetInfo> {
    pkg.targets.iter().find(|t| {
        t.kind.iter().any(|k| k == "lib" || k == "rlib")
            && !t.kind.iter().any(|k| k == "proc-macro")
    })
}

/// A member's library as a dependency of other members (its dependencies not filled in).
fn member_dep_package(pkg: &Package) -> Option<DepPackage> {
    let lib = member_lib(pkg)?;
    Some(DepPackage {
        id: pkg.id.clone(),
        name: pkg.name.clone(),
        version: String::new(),
        lib_name: lib.name.replace('-', "_"),
        proc_macro: false,
        dir: pkg.dir.clone(),
        lib_src: lib.src_path.clone(),
        edition: lib.edition.clone(),
        kind: crate::workspace::graph::SourceKind::Path,
        deps: Vec::new(),
        features: None,
        member: true,
    })
}

/// The libraries of the members other members call, found (read from the summary cache, or
/// walked) before the dependency graph is known: [`kb_with_dependencies`] takes them, so that
/// their walks run while cargo resolves the graph. By package id.
#[derive(Default)]
pub struct Prewalked {
    members: HashMap<String, Found>,
    /// Dependencies walked with guessed features ([`speculate`]).
    guessed: HashMap<String, Guessed>,
    /// The walk with guessed features still running when cargo answered, if any.
    in_flight: Option<std::sync::Arc<speculate::InFlight>>,
}

/// See [`Prewalked`]. No library is started once `stop` is true (the dependencies' walks then
/// find the others).
pub fn prewalk_members(
    base: &Kb,
    packages: &[Package],
    opts: &Options,
    stop: &std::sync::atomic::AtomicBool,
) -> Prewalked {
    use rayon::prelude::*;
    let mut called: Vec<usize> = member_library_deps(packages)
        .into_iter()
        .flat_map(|(_, members)| members)
        .collect();
    called.sort_unstable();
    called.dedup();
    let libs: Vec<DepPackage> = called
        .into_iter()
        .filter_map(|i| member_dep_package(&packages[i]))
        .collect();
    let known = known_crates();
    Prewalked {
        members: libs
            .par_iter()
            .filter(|_| !stop.load(std::sync::atomic::Ordering::Relaxed))
            .map(|d| (d.id.clone(), find(d, base, opts, &known)))
            .collect(),
        guessed: HashMap::default(),
        in_flight: None,
    }
}

/// For each package (index into `packages`) that calls other members' libraries (through
/// their summaries), those members, transitively (a library that calls another member's
/// library passes it on): indices into `packages`. Read from the packages' declared
/// dependencies alone (no graph), so a registry crate named like a member counts too: the
/// results of its dependents are then keyed by that member's contents for nothing, never the
/// other way round.
pub fn member_library_deps(packages: &[Package]) -> Vec<(usize, Vec<usize>)> {
    use crate::workspace::deps::DepKind;
    let lib_of: HashMap<&str, usize> = packages
        .iter()
        .enumerate()
        .filter(|(_, p)| member_lib(p).is_some())
        .map(|(i, p)| (p.name.as_str(), i))
        .collect();
    let on_members = |i: usize, kinds: &[DepKind]| -> Vec<usize> {
        packages[i]
            .deps
            .iter()
            .filter(|d| kinds.contains(&d.kind) && d.package != packages[i].name)
            .filter_map(|d| lib_of.get(d.package.as_str()).copied())
            .collect()
    };
    let mut out = Vec::new();
    for i in 0..packages.len() {
        let mut seen: Vec<usize> = Vec::new();
        let mut stack = on_members(i, &[DepKind::Normal, DepKind::Dev]);
        while let Some(j) = stack.pop() {
            if j == i || seen.contains(&j) {
                continue;
            }
            seen.push(j);
            stack.extend(on_members(j, &[DepKind::Normal]));
        }
        if !seen.is_empty() {
            seen.sort_unstable();
            out.push((i, seen));
        }
    }
    out
}

/// Per member id, its dependencies on other members' libraries: (the name its code uses, index
/// into the package list [`with_member_libs`] returns).
type MemberDeps = HashMap<String, Vec<(String, usize)>>;

/// The graph's packages followed by the libraries of the workspace members that other members
/// depend on (a path dependency inside the workspace, a dev-dependency on a test helper crate):
/// calls from one member into another are judged by the other's summary, as calls into a
/// dependency are. Also, per member id, its dependencies among those libraries: (the name its
/// code uses, index into the returned list).
fn with_member_libs(graph: &DepGraph, packages: &[Package]) -> (Vec<DepPackage>, MemberDeps) {
    use crate::workspace::deps::DepKind;
    let mut all = graph.packages.clone();
    let mut lib_of: HashMap<&str, usize> = HashMap::default();
    for pkg in packages {
        let Some(d) = member_dep_package(pkg) else {
            continue;
        };
        lib_of.insert(pkg.name.as_str(), all.len());
        all.push(d);
    }
    let mut member_deps = MemberDeps::default();
    for pkg in packages {
        let outside = graph.members.get(&pkg.id);
        // The declared dependencies on another member (a name the graph resolves outside
        // the workspace is a registry crate of the same name).
        let on_members: Vec<(String, usize, DepKind)> = pkg
            .deps
            .iter()
            .filter(|d| d.kind != DepKind::Build && d.package != pkg.name)
            .filter(|d| !outside.is_some_and(|o| o.iter().any(|(n, _, _)| *n == d.name)))
            .filter_map(|d| Some((d.name.clone(), *lib_of.get(d.package.as_str())?, d.kind)))
            .collect();
        // As a library, a member calls its normal dependencies, members and others alike.
        if let Some(&me) = lib_of.get(pkg.name.as_str()) {
            let normal = outside.into_iter().flatten().chain(&on_members);
            for (n, i, _) in normal.filter(|(_, _, k)| *k == DepKind::Normal) {
                if !all[me].deps.iter().any(|(m, _)| m == n) {
                    all[me].deps.push((n.clone(), *i));
                }
            }
        }
        let mut list: Vec<(String, usize)> = Vec::new();
        for (name, i, _) in on_members {
            if !list.iter().any(|(n, _)| *n == name) {
                list.push((name, i));
            }
        }
        if !list.is_empty() {
            member_deps.insert(pkg.id.clone(), list);
        }
    }
    (all, member_deps)
}

/// Which of the names each package (its folder) lists its Rust sources mention as a path root
/// (`name::`) or in a `use` / `extern crate` (`use name`, `extern crate name`): a cheap text
/// search, before any parse. Files are searched side by side (deno's are 20 MB, most of them
/// in one member), each for the names of its package no file has shown yet. Once `stop` is
/// true, no other file is read.
fn names_in_sources(
    packages: &[(&Path, Vec<&str>)],
    stop: Option<&std::sync::atomic::AtomicBool>,
) -> HashSet<String> {
    use rayon::prelude::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    let mut all: Vec<&str> = packages
        .iter()
        .flat_map(|(_, n)| n.iter().copied())
        .collect();
    all.sort_unstable();
    all.dedup();
    let found: Vec<AtomicBool> = all.iter().map(|_| AtomicBool::new(false)).collect();
    let index = |n: &str| all.binary_search(&n).unwrap_or(0);
    let wanted: Vec<Vec<usize>> = packages
        .iter()
        .map(|(_, names)| names.iter().map(|n| index(n)).collect())
        .collect();
    // The files the result cache keys a package by: its `.rs` files, `target/` and hidden
    // folders left out.
    let files: Vec<(usize, PathBuf)> = packages
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, (dir, _))| {
            super::cache::package_files(dir, &mut crate::util::hash::Fnv::default())
                .into_iter()
                .filter(|f| f.extension().is_some_and(|x| x == "rs"))
                .map(move |f| (i, f))
        })
        .collect();
    files.par_iter().for_each(|(i, f)| {
        if stop.is_some_and(|s| s.load(Ordering::Relaxed)) {
            return;
        }
        let left: Vec<usize> = wanted[*i]
            .iter()
            .copied()
            .filter(|&n| !found[n].load(Ordering::Relaxed))
            .collect();
        if left.is_empty() {
            return;
        }
        let Ok(text) = std::fs::read_to_string(f) else {
            return;
        };
        for n in left {
            if !found[n].load(Ordering::Relaxed) && mentions(&text, all[n]) {
                found[n].store(true, Ordering::Relaxed);
            }
        }
    });
    all.iter()
        .zip(&found)
        .filter(|(_, f)| f.load(Ordering::Relaxed))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// Whether `text` mentions the crate `n` as a path root or in a `use` / `extern crate`.
fn mentions(text: &str, n: &str) -> bool {
    memchr::memmem::find_iter(text.as_bytes(), n.as_bytes()).any(|at| {
        let before = text.as_bytes()[..at].last().copied();
        let after = &text.as_bytes()[at + n.len()..];
        let word_start = !before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        word_start
            && (after.starts_with(b"::")
                || text[..at].trim_end().ends_with("use")
                || text[..at].trim_end().ends_with("crate"))
    })
}

/// Every name each dependency is known by (its lib name, and the names its dependents use).
///
/// A name that stands for two packages (two versions of a crate, or a rename that collides
/// with another crate's name) is left out for both: the knowledge base is one for the whole
/// workspace, so a fact of one version would be taken for the other's.
fn names_of(deps: &[DepPackage], roots: &[(String, usize)]) -> HashMap<usize, Vec<String>> {
    let mut names: HashMap<usize, Vec<String>> = HashMap::default();
    for (name, i) in roots.iter().chain(deps.iter().flat_map(|d| d.deps.iter())) {
        let list = names.entry(*i).or_default();
        if !list.contains(name) {
            list.push(name.clone());
        }
    }
    for (i, d) in deps.iter().enumerate() {
        let list = names.entry(i).or_default();
        if !list.contains(&d.lib_name) {
            list.push(d.lib_name.clone());
        }
    }
    let mut owners: HashMap<&str, usize> = HashMap::default();
    for list in names.values() {
        for n in list {
            *owners.entry(n.as_str()).or_default() += 1;
        }
    }
    let shared: HashSet<String> = owners
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(name, _)| name.to_string())
        .collect();
    for list in names.values_mut() {
        list.retain(|n| !shared.contains(n));
    }
    names
}

/// The crates the knowledge base describes: the first segments of the paths in its files.
fn known_crates() -> HashSet<String> {
    let mut out = HashSet::default();
    for text in crate::kb::EMBEDDED_TOML {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'"' || b[i] == b'\'' {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                    j += 1;
                }
                if j > start && b[j..].starts_with(b"::") {
                    out.insert(text[start..j].to_string());
                }
                i = j.max(i + 1);
            } else {
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn input(lib: &str, deps: Vec<(String, usize)>) -> DepPackage {
        DepPackage {
            id: lib.into(),
            name: lib.into(),
            version: "1.0.0".into(),
            lib_name: lib.into(),
            proc_macro: false,
            dir: PathBuf::new(),
            lib_src: PathBuf::new(),
            edition: "2021".into(),
            kind: crate::workspace::graph::SourceKind::Registry,
            deps,
            features: None,
            member: false,
        }
    }

    #[test]
    fn a_type_the_knowledge_base_says_never_blocks_gets_no_derived_blocking() {
        // once_cell's `OnceCell::get_or_init` ends in `std::thread::park`, as std's `OnceLock`
        // does; blocking.toml's [[not_blocking]] says neither blocks.
        let fact = |ty: &str, method: &str| BlockingFact {
            paths: vec![format!("{ty}::{method}")],
            method: Some((vec![ty.to_string()], method.to_string())),
            derived: crate::kb::Derived {
                chain: vec![format!("{ty}::{method}"), "std::thread::park".into()],
                at: "lib.rs:1".into(),
                file: PathBuf::new(),
                line: 1,
            },
            fs_metadata: false,
        };
        let summary = Summary {
            krate: "once_cell".into(),
            blocking: vec![
                fact("once_cell::sync::OnceCell", "get_or_init"),
                fact("once_cell::sync::Waiter", "wait"),
            ],
            ..Summary::default()
        };
        let mut kb = Kb::builtin().clone();
        apply(&mut kb, &summary, "once_cell");
        let ty = "once_cell::sync::OnceCell";
        assert!(kb.blocking.method(ty, "get_or_init").is_none());
        assert!(
            kb.blocking
                .function(&format!("{ty}::get_or_init"))
                .is_none()
        );
        // Another type of the crate keeps its fact.
        assert!(
            kb.blocking
                .method("once_cell::sync::Waiter", "wait")
                .is_some()
        );
    }

    #[test]
    fn names_are_found_as_path_roots_and_in_use_and_extern_crate() {
        let dir = crate::util::scratch::Scratch::new("named");
        dir.write(
            "src/lib.rs",
            "use anyhow::Result;\nextern crate serde;\nmod more;\n\
             fn f() { let _ = my_bytes::x(); let random = 1; }\n",
        );
        dir.write(
            "src/more.rs",
            "use std::libc;\npub fn g() {\n    tokio::spawn(async {});\n}\n",
        );
        dir.write("src/notes.txt", "rand::thread_rng()\n");
        let names = ["anyhow", "serde", "tokio", "bytes", "rand", "libc", "tokio"];
        let found = names_in_sources(&[(&dir, names.to_vec())], None);
        let mut found: Vec<String> = found.into_iter().collect();
        found.sort();
        // Not `bytes` (inside `my_bytes`), `rand` (a word of its own only as `random`, and a
        // path root only in a file that is not Rust), `libc` (not a path root).
        assert_eq!(found, ["anyhow", "serde", "tokio"]);
        // Each package's files for its own names: `bytes` is mentioned by the second package
        // only, which does not list it; `rand` by the second, which does.
        let other = crate::util::scratch::Scratch::new("named-other");
        other.write("src/lib.rs", "fn h() { bytes::x(); rand::y(); }\n");
        let both = [
            (&*dir, vec!["bytes", "tokio"]),
            (&*other, vec!["rand", "tokio"]),
        ];
        let mut found: Vec<String> = names_in_sources(&both, None).into_iter().collect();
        found.sort();
        assert_eq!(found, ["rand", "tokio"]);
        let stopped = std::sync::atomic::AtomicBool::new(true);
        assert!(
            names_in_sources(&both, Some(&stopped)).is_empty(),
            "stopped"
        );
    }

    #[test]
    fn a_name_for_two_packages_gets_no_facts() {
        // Two versions of `rand` (0 and 1), and `fs_err` renamed `fs` by the member.
        let deps = [
            input("rand", vec![]),
            input("rand", vec![]),
            input("fs_err", vec![]),
            input("app_dep", vec![("rand".into(), 1)]),
        ];
        let roots = [("rand".to_string(), 0), ("fs".to_string(), 2)];
        let names = names_of(&deps, &roots);
        assert!(names[&0].is_empty() && names[&1].is_empty(), "{names:?}");
        assert_eq!(names[&2], ["fs", "fs_err"]);
    }

    #[test]
    fn heights_put_every_package_above_the_ones_it_names() {
        // 0 names 1 and 2; 1 names 2; 2 names 3 (a known crate); 4 names 5 and 5 names 4 (a
        // circle, cut where the walk from the roots closes it); 6 is found by no one.
        let dep = |n: usize| (format!("d{n}"), n);
        let deps = [
            input("d0", vec![dep(1), dep(2)]),
            input("d1", vec![dep(2)]),
            input("d2", vec![dep(3)]),
            input("d3", vec![]),
            input("d4", vec![dep(5)]),
            input("d5", vec![dep(4)]),
            input("d6", vec![]),
        ];
        let cached = |named: &[usize]| {
            Some(Found::Cached(
                Box::new(Entry {
                    named: named.iter().map(|n| format!("d{n}")).collect(),
                    children: 0,
                    hash: 0,
                    summary: Summary::default(),
                }),
                0,
            ))
        };
        let found = [
            cached(&[1, 2]),
            cached(&[2]),
            cached(&[3]),
            Some(Found::Known),
            cached(&[5]),
            cached(&[4]),
            cached(&[]),
        ];
        let h = heights(&deps, &found, &[0, 4]);
        assert_eq!(
            h,
            [Some(3), Some(2), Some(1), Some(0), Some(1), Some(0), None]
        );
    }

    #[test]
    fn dependencies_not_reached_are_counted_with_their_files() {
        let dir = crate::util::scratch::Scratch::new("unreached");
        dir.write("far/src/lib.rs", "pub fn f() {}\n");
        dir.write("far/src/a/b.rs", "pub fn g() {}\n");
        dir.write("far/src/notes.md", "not code\n");
        let at = |name: &str, member: bool| DepPackage {
            lib_src: dir.join(format!("{name}/src/lib.rs")),
            member,
            ..input(name, vec![])
        };
        let all = [
            at("far", false),
            at("near", false),
            at("known", false),
            at("member", true),
        ];
        let found = [
            None,
            Some(Found::Summarized(Box::default())),
            Some(Found::Known),
            None,
        ];
        assert_eq!(
            unreached(&all, &found, true),
            Unreached {
                packages: 1,
                files: 2
            }
        );
        assert_eq!(
            unreached(&all, &found, false),
            Unreached {
                packages: 1,
                files: 0
            }
        );
    }

    #[test]
    fn a_method_keeps_its_types_canonical_path_and_the_four_shortest_first_found() {
        // `kit::a::b` glob-imported by six modules, in this order.
        let mods = [
            "kit::x::y",
            "kit::m",
            "kit::n",
            "kit::p::q",
            "kit",
            "kit::z",
        ];
        let re: Vec<(String, String)> = mods
            .iter()
            .map(|m| (format!("{m}::*"), "kit::a::b::*".to_string()))
            .collect();
        let re = Reexports::new(&re);
        assert_eq!(
            aliases("kit::a::b::T", &re),
            [
                "kit::a::b::T",
                "kit::x::y::T",
                "kit::m::T",
                "kit::n::T",
                "kit::p::q::T",
                "kit::T",
                "kit::z::T"
            ]
        );
        let t = re.type_paths("kit::a::b::T");
        assert_eq!(
            &t.method[..],
            [
                "kit::a::b::T",
                "kit::T",
                "kit::m::T",
                "kit::n::T",
                "kit::z::T"
            ]
        );
        assert_eq!(t.shortest.as_deref(), Some("kit::T"));
        // Kept once: asked again, the same.
        assert_eq!(&re.type_paths("kit::a::b::T").method[..], &t.method[..]);
    }

    #[test]
    fn a_type_is_named_by_its_shortest_path_in_its_own_crate() {
        let path = Alias::of;
        let own = [
            path("fs_err::open_options::OpenOptions"),
            Alias {
                parent: Some("fs_err"),
                last: "OpenOptions",
                separators: 1,
            },
        ];
        assert_eq!(shortest(&own).unwrap().to_path(), "fs_err::OpenOptions");
        // The dependency's private import of std's guard is no name for it.
        let foreign = [path("std::sync::MutexGuard"), path("kit::MutexGuard")];
        assert_eq!(
            shortest(&foreign).unwrap().to_path(),
            "std::sync::MutexGuard"
        );
    }

    #[test]
    fn an_entry_reads_back_with_its_hash() {
        let summary = Summary {
            krate: "fs_err".into(),
            in_place: vec![IslandFact {
                paths: vec!["fs_err::with".into()],
                at: "fs_err-1.0.0/src/lib.rs:3".into(),
            }],
            ..Summary::default()
        };
        let named = vec!["tokio".to_string()];
        let (hash, bytes) = Entry::bytes(&named, 7, &summary);
        let e: Entry = serde_json::from_slice(&bytes).unwrap();
        assert_eq!((e.named, e.children, e.hash), (named, 7, hash));
        assert_eq!(e.summary, summary);
        let other = Summary {
            krate: "fs".into(),
            ..summary.clone()
        };
        assert_ne!(Entry::bytes(&[], 7, &other).0, hash);
    }

    #[test]
    fn aliases_follow_reexports_and_globs() {
        let re = vec![
            ("fs_err::*".to_string(), "fs_err::dir::*".to_string()),
            (
                "fs_err::prelude::mk".to_string(),
                "fs_err::create_dir_all".to_string(),
            ),
            (
                "fs_err::other".to_string(),
                "fs_err::file::open".to_string(),
            ),
            // A glob of a module re-exported under another name.
            ("fs_err::os::*".to_string(), "fs_err::unix".to_string()),
        ];
        let re_index = Reexports::new(&re);
        assert_eq!(
            aliases("fs_err::unix::chown", &re_index),
            ["fs_err::unix::chown", "fs_err::os::chown"]
        );
        let a = aliases("fs_err::dir::create_dir_all", &re_index);
        assert_eq!(
            a,
            [
                "fs_err::dir::create_dir_all",
                "fs_err::create_dir_all",
                "fs_err::prelude::mk"
            ]
        );
        assert_eq!(
            renamed("fs_err::create_dir_all", "fs_err", "fs"),
            "fs::create_dir_all"
        );
        // A crate whose name starts like another one is not renamed with it.
        assert_eq!(renamed("fs_err::x", "fs", "files"), "fs_err::x");
        assert!(known_crates().contains("tokio"));
        assert!(!known_crates().contains("fs_err"));
    }
}
