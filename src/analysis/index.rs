//! The crate index: every function of a crate, every call it makes, and resolution of calls and
//! type evidence once all files of the crate have been walked. The lints ask it their questions
//! ([`CrateIndex`]).

use crate::kb::{Kb, Returns};
use crate::syntax::facts::{CallSite, Callee, CrateFacts, Ctx, FnDef, FnId, Ty};
use crate::util::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use rayon::prelude::*;
use std::borrow::Cow;
use std::sync::Arc;

/// What a call resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Exactly one function of this crate.
    Local(FnId),
    /// A function outside the crate, by canonical path.
    ExternFn(String),
    /// A method on a receiver of a known canonical type outside the crate.
    ExternMethod { ty: String, name: String },
    /// A method whose receiver type is unknown.
    UnknownMethod(String),
    /// Several candidates, or nothing known: lints stay silent.
    Unresolved,
}

pub struct CrateIndex<'a> {
    /// The crate's facts: owned, or the language server's merged facts of the package, kept
    /// from edit to edit (the index never changes them).
    pub facts: Cow<'a, CrateFacts>,
    pub kb: &'a Kb,
    /// The resolved types of each held value (`facts.held`), computed once for the four lints
    /// that read them.
    held_tys: std::sync::OnceLock<Vec<Vec<Ty>>>,
    /// Those the last index of the package resolved (see [`Reuse`]).
    prior_held: std::sync::Mutex<Option<Vec<Option<Vec<Ty>>>>>,
    /// [`CrateIndex::structs_that_may_hold`], computed once for the lints that look into
    /// fields.
    pub(crate) may_hold: std::sync::OnceLock<crate::util::fxhash::FxHashSet<String>>,
    /// The tables built from the definitions (kept from edit to edit: see [`Reuse`]).
    defs: Defs,
    /// Call-site indices per calling function.
    calls_by_fn: Vec<Vec<usize>>,
    /// Effective context of every call: [`CallSite::ctx`], except that code in a closure
    /// handed to one of the crate's own island wrappers (a fn that passes its parameter on to
    /// `spawn_blocking`, directly or through another wrapper) is an island.
    ctx: Vec<Ctx>,
    /// Crate functions that run a closure parameter in a sync island.
    pub island_wrappers: Vec<bool>,
    /// Crate functions that call a closure parameter in place: [`FnDef::calls_param`], and
    /// those that hand it on to one that does.
    pub calls_param: Vec<bool>,
    /// The target of every call, computed once.
    targets: Vec<Target>,
    /// Calls that some other call sits in a closure argument of.
    has_children: Vec<bool>,
    /// Each call's [`mention_bits`], when a [`Prior`] brought them (else made for [`Reuse`]).
    mentions: Option<Vec<u64>>,
}

pub(crate) const MAX_RESOLVE_DEPTH: usize = 12;

/// What an index holds besides [`Reuse`] (freed once it is done; owned facts among them).
type Rest = (
    Option<CrateFacts>,
    Vec<Vec<usize>>,
    Vec<Ctx>,
    Vec<bool>,
    Vec<bool>,
    Vec<bool>,
);

/// The tables an index builds from the crate's definitions alone (its fns' paths, its types,
/// its imports), and the canonical paths found with them.
struct Defs {
    by_path: HashMap<String, Vec<FnId>>,
    /// Every method defined in the crate, by name (for name-only matches).
    method_names: HashMap<String, Vec<FnId>>,
    /// Types declared in the crate or given methods in it.
    local_types: HashSet<String>,
    reexports: HashMap<String, String>,
    glob_reexports: HashMap<String, Vec<String>>,
    /// First segments of every re-exporting module's path.
    reexport_roots: HashSet<String>,
    /// [`CrateIndex::canonical`] of every path callee, computed up front (None: unchanged).
    canon_cache: HashMap<String, Option<String>>,
}

/// What the index of one lint of a package hands the next lint of the same package (the
/// language server's edits): the tables built from the definitions and the target of every
/// call. A call's target depends only on its callee, the definitions and the knowledge base
/// (the same from lint to lint of a session), so while the definitions are the same
/// ([`defs_fingerprint`]: an edit inside a body), only the calls of the files walked again are
/// resolved again.
pub struct Reuse {
    fingerprint: u64,
    defs: Defs,
    targets: Vec<Target>,
    /// Each call's [`mention_bits`].
    mentions: Vec<u64>,
    /// The resolved types of the held values, when a lint asked for them.
    held: Option<Vec<Vec<Ty>>>,
    /// The number of calls and of held values of each file, in the order the files were
    /// merged.
    counts: Vec<FileCounts>,
}

/// How many calls and held values a file has (see [`Reuse`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FileCounts {
    pub calls: usize,
    pub held: usize,
}

impl FileCounts {
    pub fn of_span(span: &crate::syntax::facts::Span) -> FileCounts {
        FileCounts {
            calls: span.calls,
            held: span.held,
        }
    }
}

/// What a new index takes over from the last one (see [`Reuse::prior`]).
pub struct Prior {
    defs: Defs,
    /// The target of each call, None for one to resolve.
    targets: Vec<Option<Target>>,
    /// Each call's [`mention_bits`].
    mentions: Vec<u64>,
    /// The resolved types of each held value, None for one to resolve.
    held: Option<Vec<Option<Vec<Ty>>>>,
}

/// The items of the files not walked again, carried over in place; None for the others.
fn carry<T>(
    old: Vec<T>,
    was: impl Iterator<Item = usize>,
    now: impl Iterator<Item = usize>,
    fresh: &[bool],
) -> Vec<Option<T>> {
    let mut old = old.into_iter();
    let mut out = Vec::new();
    for ((was, now), &fresh) in was.zip(now).zip(fresh) {
        if fresh || was != now {
            old.by_ref().take(was).for_each(drop);
            out.extend(std::iter::repeat_with(|| None).take(now));
        } else {
            out.extend(old.by_ref().take(was).map(Some));
        }
    }
    out
}

/// How an edit changed the crate's functions, when it changed nothing else the index reads
/// (imports, fields, aliases, `Deref`s): see [`Reuse::prior`].
pub struct FnEdit {
    /// Paths of the functions added, removed, or whose name, asyncness or return type changed.
    pub changed: Vec<String>,
    /// For each function id of the last index, its id now (None: gone, or changed).
    pub remap: Vec<Option<FnId>>,
}

/// The last segment of a path.
fn last_segment(p: &str) -> &str {
    p.rsplit("::").next().unwrap_or(p)
}

/// Whether path `p`'s last segment is one of `names` (a handful).
fn names_one(p: &str, names: &[&str]) -> bool {
    names.contains(&last_segment(p))
}

/// Calls `f` with every name an edit's changed functions are compared with in type evidence:
/// the last segment of each path, and each method or field name.
fn ty_names<'t>(ty: &'t Ty, f: &mut impl FnMut(&'t str)) {
    match ty {
        Ty::Path(p) => f(last_segment(p)),
        Ty::Tuple(v) => v.iter().for_each(|t| ty_names(t, f)),
        Ty::ReturnOf(c) => c.iter().for_each(|p| f(last_segment(p))),
        Ty::MethodRet(t, n) | Ty::Field(t, n) => {
            f(n);
            ty_names(t, f);
        }
        Ty::Elem(t, _) => ty_names(t, f),
        Ty::Wrap(o, t) => {
            f(last_segment(o));
            ty_names(t, f);
        }
        Ty::Unknown => {}
    }
}

/// [`ty_names`] for a callee: its candidate paths' last segments, or the method's name and
/// its receiver's names.
fn callee_names<'c>(c: &'c Callee, f: &mut impl FnMut(&'c str)) {
    match c {
        Callee::Path(cands) => cands.iter().for_each(|p| f(last_segment(p))),
        Callee::Method { recv, name } => {
            f(name);
            ty_names(recv, f);
        }
    }
}

/// Whether type evidence names anything whose last segment is in `names`.
fn ty_mentions(ty: &Ty, names: &[&str]) -> bool {
    let mut hit = false;
    ty_names(ty, &mut |n| hit |= names.contains(&n));
    hit
}

/// Whether a callee names anything whose last segment is in `names`.
fn callee_mentions(c: &Callee, names: &[&str]) -> bool {
    let mut hit = false;
    callee_names(c, &mut |n| hit |= names.contains(&n));
    hit
}

/// A one-bit summary of a name (of those [`callee_names`] gives).
fn name_bit(name: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = crate::util::fxhash::FxHasher::default();
    h.write(name.as_bytes());
    1 << (h.finish() >> 58)
}

/// The bits of every name [`callee_mentions`] compares with the changed ones: a call whose
/// bits miss all of theirs names none of them, which the check of an edit finds without
/// reading the call (tokio: 30,000 calls, whose reading took 3 ms an edit).
fn mention_bits(c: &Callee) -> u64 {
    let mut bits = 0;
    callee_names(c, &mut |n| bits |= name_bit(n));
    bits
}

impl Reuse {
    /// What an index of `facts` (with [`defs_fingerprint`] `fingerprint`, made of files with
    /// `counts` each; `fresh`: walked again, else the same as last time) can take over. When a
    /// definition changed: nothing, unless only functions did (`edit`) and no type became or
    /// stopped being the crate's; then the targets and types of the calls and held values that
    /// name none of the changed functions (by last segment, and through renaming imports) are
    /// kept, their function ids moved.
    pub fn prior(
        self,
        facts: &CrateFacts,
        fingerprint: u64,
        counts: &[FileCounts],
        fresh: &[bool],
        edit: Option<&FnEdit>,
    ) -> Option<Prior> {
        if self.counts.len() != counts.len() || fresh.len() != counts.len() {
            return None;
        }
        let Reuse {
            fingerprint: was,
            defs,
            targets,
            mentions,
            held,
            counts: old,
        } = self;
        // The same definitions: everything carried over stands. Only functions changed: what
        // names none of them, their ids moved.
        let (defs, edit, names) = if was == fingerprint {
            (defs, None, Vec::new())
        } else {
            let edit = edit?;
            let names = changed_names(facts, edit);
            let mut defs = defs.patched(facts, edit)?;
            defs.canon_cache.retain(|p, _| !names_one(p, &names));
            (defs, Some(edit), names)
        };
        let mut targets = carry(
            targets,
            old.iter().map(|c| c.calls),
            counts.iter().map(|c| c.calls),
            fresh,
        );
        let mentions: Vec<u64> = carry(
            mentions,
            old.iter().map(|c| c.calls),
            counts.iter().map(|c| c.calls),
            fresh,
        )
        .into_iter()
        .zip(&facts.calls)
        .map(|(m, c)| m.unwrap_or_else(|| mention_bits(&c.callee)))
        .collect();
        let mut held = held.map(|held| {
            carry(
                held,
                old.iter().map(|c| c.held),
                counts.iter().map(|c| c.held),
                fresh,
            )
        });
        if let Some(edit) = edit {
            let moved = |t: Target| match t {
                Target::Local(g) => edit.remap.get(g).copied().flatten().map(Target::Local),
                other => Some(other),
            };
            let wanted = names.iter().fold(0, |a, n| a | name_bit(n));
            for ((t, c), &bits) in targets.iter_mut().zip(&facts.calls).zip(&mentions) {
                if let Some(kept) = t.take()
                    && (bits & wanted == 0 || !callee_mentions(&c.callee, &names))
                {
                    *t = moved(kept);
                }
            }
            for (h, v) in held.iter_mut().flatten().zip(&facts.held) {
                if v.tys.iter().any(|t| ty_mentions(t, &names)) {
                    *h = None;
                }
            }
        }
        let fits = targets.len() == facts.calls.len()
            && held.as_ref().is_none_or(|h| h.len() == facts.held.len());
        fits.then_some(Prior {
            defs,
            targets,
            mentions,
            held,
        })
    }
}

/// The names whose lookups an edit of functions may change: the changed functions' last
/// segments, and the names imports give them (`pub use inner::run as start`).
fn changed_names<'f>(facts: &'f CrateFacts, edit: &'f FnEdit) -> Vec<&'f str> {
    let mut names: Vec<&str> = edit.changed.iter().map(|p| last_segment(p)).collect();
    loop {
        let before = names.len();
        for (from, to) in &facts.reexports {
            let from = last_segment(from);
            if names.contains(&last_segment(to)) && !names.contains(&from) {
                names.push(from);
            }
        }
        if names.len() == before {
            return names;
        }
    }
}

/// A fingerprint of everything a call's target depends on in the crate's facts: each fn's path,
/// name, asyncness and return type (in order, so that fn ids are the same too), the imports,
/// and the fields, aliases and `Deref`s of its types.
pub fn defs_fingerprint(facts: &CrateFacts) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::util::fxhash::FxHasher::default();
    facts.fns.len().hash(&mut h);
    for f in &facts.fns {
        fn_signature(f).hash(&mut h);
    }
    facts.reexports.hash(&mut h);
    maps_fingerprint(facts).hash(&mut h);
    h.finish()
}

/// A hash of what a call's target depends on in a function's definition.
pub fn fn_signature(f: &FnDef) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = crate::util::fxhash::FxHasher::default();
    (&f.path, &f.name, f.is_async, &f.ret).hash(&mut h);
    h.finish()
}

/// A fingerprint of the facts' maps (fields, aliases, `Deref`s, `Send` impls), in any order.
pub fn maps_fingerprint(facts: &CrateFacts) -> u64 {
    use std::hash::{Hash, Hasher};
    let one = |f: &dyn Fn(&mut crate::util::fxhash::FxHasher)| {
        let mut h = crate::util::fxhash::FxHasher::default();
        f(&mut h);
        h.finish()
    };
    let mut h = crate::util::fxhash::FxHasher::default();
    // The sum of their entries' hashes.
    let mut maps = 0u64;
    for (k, v) in &facts.fields {
        maps = maps.wrapping_add(one(&|h| (0u8, k, v).hash(h)));
    }
    for (k, v) in &facts.aliases {
        maps = maps.wrapping_add(one(&|h| (1u8, k, v).hash(h)));
    }
    for (k, v) in &facts.derefs {
        maps = maps.wrapping_add(one(&|h| (2u8, k, v).hash(h)));
    }
    for k in &facts.send_impls {
        maps = maps.wrapping_add(one(&|h| (3u8, k).hash(h)));
    }
    let lens = (facts.fields.len(), facts.aliases.len(), facts.derefs.len());
    (lens, facts.send_impls.len(), maps).hash(&mut h);
    h.finish()
}

impl<'a> CrateIndex<'a> {
    pub fn new(facts: CrateFacts, kb: &'a Kb) -> Self {
        CrateIndex::new_with(Cow::Owned(facts), kb, None)
    }

    /// The index, taking over what `prior` holds (see [`Reuse`]).
    pub fn new_with(facts: Cow<'a, CrateFacts>, kb: &'a Kb, prior: Option<Prior>) -> Self {
        let t0 = std::time::Instant::now();
        let (prior_defs, prior_targets, mentions, prior_held) = match prior {
            Some(p) => (Some(p.defs), Some(p.targets), Some(p.mentions), p.held),
            None => (None, None, None, None),
        };
        // The maps over functions and those over calls are independent: build them in
        // parallel.
        let (defs, (calls_by_fn, has_children)) = rayon::join(
            || prior_defs.unwrap_or_else(|| Defs::of(&facts)),
            || {
                let mut calls_by_fn = vec![Vec::new(); facts.fns.len()];
                let mut has_children = vec![false; facts.calls.len()];
                for (i, c) in facts.calls.iter().enumerate() {
                    if let Some(f) = c.caller {
                        calls_by_fn[f].push(i);
                    }
                    if let Some(j) = c.closure_of {
                        has_children[j] = true;
                    }
                }
                (calls_by_fn, has_children)
            },
        );
        let ctx = facts.calls.iter().map(|c| c.ctx).collect();
        let island_wrappers = vec![false; facts.fns.len()];
        let calls_param = facts.fns.iter().map(|f| f.calls_param).collect();
        let mut index = CrateIndex {
            calls_param,
            has_children,
            defs,
            targets: Vec::new(),
            facts,
            kb,
            calls_by_fn,
            ctx,
            island_wrappers,
            held_tys: std::sync::OnceLock::new(),
            may_hold: std::sync::OnceLock::new(),
            prior_held: std::sync::Mutex::new(prior_held),
            mentions,
        };
        // Canonical paths of every distinct path callee (not known yet), then every call's
        // target: both in parallel, as this is the largest serial step of a crate.
        let t_setup = t0.elapsed();
        // With targets taken over, only the calls to resolve again can name a path not seen.
        let to_resolve = |i: usize| prior_targets.as_ref().is_none_or(|t| t[i].is_none());
        let paths: HashSet<&str> = index
            .facts
            .calls
            .par_iter()
            .enumerate()
            .filter(|&(i, _)| to_resolve(i))
            .filter_map(|(_, c)| match &c.callee {
                Callee::Path(p) => Some(
                    p.iter()
                        .map(String::as_str)
                        .filter(|p| !index.defs.canon_cache.contains_key(*p))
                        .collect::<Vec<_>>(),
                ),
                Callee::Method { .. } => None,
            })
            .flatten()
            .collect();
        let paths: Vec<&str> = paths.into_iter().collect();
        let found: Vec<(String, Option<String>)> = paths
            .par_iter()
            .map(|p| {
                let c = index.canonical_uncached(p);
                (p.to_string(), (c != *p).then(|| c.into_owned()))
            })
            .collect();
        index.defs.canon_cache.extend(found);
        let t1 = t0.elapsed();
        index.targets = match prior_targets {
            Some(prior) => index
                .facts
                .calls
                .par_iter()
                .zip(prior)
                .map(|(c, t)| t.unwrap_or_else(|| index.target(&c.callee)))
                .collect(),
            None => index
                .facts
                .calls
                .par_iter()
                .map(|c| index.target(&c.callee))
                .collect(),
        };
        let t2 = t0.elapsed();
        index.find_island_wrappers();
        index.run_closures_of_local_fns_in_place();
        if crate::util::timing::enabled() {
            eprintln!(
                "index: setup {t_setup:?} +canon {t1:?}, targets {:?}, islands {:?}",
                t2 - t1,
                t0.elapsed() - t2
            );
        }
        index
    }

    /// What the next index of the same package can take over (see [`Reuse`]); the rest is
    /// freed on another thread.
    pub fn into_reuse(mut self, fingerprint: u64, counts: Vec<FileCounts>) -> Reuse {
        let mentions = self.mentions.take().unwrap_or_else(|| {
            let calls = &self.facts.calls;
            calls.iter().map(|c| mention_bits(&c.callee)).collect()
        });
        let (kept, rest) = self.split(fingerprint, counts, mentions);
        let _ = std::thread::Builder::new().spawn(move || drop(rest));
        kept
    }

    /// Frees the index on another thread: for a large crate that takes milliseconds (tokio:
    /// 6 ms), which would otherwise be the last serial step of its lint. Should no thread be
    /// available, `spawn` drops it here.
    pub fn free_in_background(self) {
        let parts = self.split(0, Vec::new(), Vec::new());
        let _ = std::thread::Builder::new().spawn(move || drop(parts));
    }

    /// What [`CrateIndex::into_reuse`] keeps, and the rest.
    fn split(self, fingerprint: u64, counts: Vec<FileCounts>, mentions: Vec<u64>) -> (Reuse, Rest) {
        let CrateIndex {
            facts,
            kb: _,
            held_tys,
            prior_held: _,
            may_hold: _,
            defs,
            calls_by_fn,
            ctx,
            island_wrappers,
            calls_param,
            targets,
            has_children,
            mentions: _,
        } = self;
        // Borrowed facts stay with their owner.
        let facts = match facts {
            Cow::Owned(f) => Some(f),
            Cow::Borrowed(_) => None,
        };
        let rest = (
            facts,
            calls_by_fn,
            ctx,
            island_wrappers,
            has_children,
            calls_param,
        );
        let kept = Reuse {
            fingerprint,
            held: held_tys.into_inner(),
            defs,
            targets,
            mentions,
            counts,
        };
        (kept, rest)
    }
}

impl Defs {
    /// The tables of the last index moved to the functions of `facts` after `edit` (ids
    /// moved, the changed functions' entries replaced); None when a type became the crate's or
    /// may have stopped being it.
    fn patched(mut self, facts: &CrateFacts, edit: &FnEdit) -> Option<Defs> {
        let moved = |ids: &mut Vec<FnId>| {
            ids.retain_mut(|g| match edit.remap.get(*g).copied().flatten() {
                Some(n) => {
                    *g = n;
                    true
                }
                None => false,
            })
        };
        let mut removed_parents: Vec<String> = Vec::new();
        for (path, ids) in self.by_path.iter_mut() {
            let before = ids.len();
            moved(ids);
            if ids.len() != before
                && let Some((parent, _)) = crate::kb::split_last_segment(path)
            {
                removed_parents.push(parent.to_string());
            }
        }
        self.method_names.values_mut().for_each(moved);
        // The changed functions as they are now: those no old function moved to.
        let mut reached = vec![false; facts.fns.len()];
        for &n in edit.remap.iter().flatten() {
            if let Some(r) = reached.get_mut(n) {
                *r = true;
            }
        }
        for (id, f) in facts.fns.iter().enumerate().filter(|&(id, _)| !reached[id]) {
            let ids = self.by_path.entry(f.path.clone()).or_default();
            ids.push(id);
            ids.sort_unstable();
            if f.name.contains("::")
                && let Some((parent, short)) = crate::kb::split_last_segment(&f.path)
            {
                let ids = self.method_names.entry(short.to_string()).or_default();
                ids.push(id);
                ids.sort_unstable();
                if !self.local_types.contains(parent) {
                    return None;
                }
            }
        }
        self.by_path.retain(|_, ids| !ids.is_empty());
        self.method_names.retain(|_, ids| !ids.is_empty());
        // A type whose method went is still the crate's if a field, an alias or another
        // method says so.
        for parent in removed_parents {
            let prefix = format!("{parent}::");
            let still = facts.fields.contains_key(&parent)
                || facts.aliases.contains_key(&parent)
                || self.by_path.keys().any(|p| {
                    p.strip_prefix(&prefix)
                        .is_some_and(|rest| !rest.contains("::"))
                        && self.by_path[p]
                            .iter()
                            .any(|&g| facts.fns[g].name.contains("::"))
                });
            if self.local_types.contains(&parent) && !still {
                return None;
            }
        }
        Some(self)
    }

    fn of(facts: &CrateFacts) -> Defs {
        let mut by_path: HashMap<String, Vec<FnId>> = HashMap::default();
        let mut method_names: HashMap<String, Vec<FnId>> = HashMap::default();
        let mut local_types: HashSet<String> = facts.fields.keys().cloned().collect();
        local_types.extend(facts.aliases.keys().cloned());
        for (id, f) in facts.fns.iter().enumerate() {
            by_path.entry(f.path.clone()).or_default().push(id);
            if f.name.contains("::")
                && let Some((parent, short)) = crate::kb::split_last_segment(&f.path)
            {
                method_names.entry(short.to_string()).or_default().push(id);
                local_types.insert(parent.to_string());
            }
        }
        let mut reexports = HashMap::default();
        let mut glob_reexports: HashMap<String, Vec<String>> = HashMap::default();
        for (from, to) in &facts.reexports {
            match from.strip_suffix("::*") {
                Some(module) => glob_reexports
                    .entry(module.to_string())
                    .or_default()
                    .push(to.clone()),
                None => {
                    reexports.entry(from.clone()).or_insert_with(|| to.clone());
                }
            }
        }
        let reexport_roots = facts
            .reexports
            .iter()
            .map(|(from, _)| crate::kb::first_segment(from).to_string())
            .collect();
        Defs {
            by_path,
            method_names,
            local_types,
            reexports,
            glob_reexports,
            reexport_roots,
            canon_cache: HashMap::default(),
        }
    }
}

impl<'a> CrateIndex<'a> {
    /// How call `i` may run its closure arguments in a sync island: directly (a knowledge-base
    /// island such as `spawn_blocking`), or when one of these crate functions is an island
    /// wrapper. Generous on purpose (any candidate counts, `#[cfg]` variants included): an
    /// island only ever silences.
    fn island_route(&self, i: usize) -> (bool, Vec<FnId>) {
        match &self.facts.calls[i].callee {
            Callee::Path(p) => {
                let direct = p
                    .iter()
                    .any(|p| self.kb.is_island_fn(p) || self.kb.is_island_fn(&self.canonical(p)));
                let fns = if direct {
                    Vec::new()
                } else {
                    p.iter().flat_map(|p| self.all_fns(p)).collect()
                };
                (direct, fns)
            }
            Callee::Method { name, .. } if self.kb.is_island_method(name) => (true, Vec::new()),
            Callee::Method { .. } => match self.targets[i] {
                Target::Local(g) => (false, vec![g]),
                _ => (false, Vec::new()),
            },
        }
    }

    /// Every crate function a path may name: the functions at the path itself and at each step
    /// of the re-exports it goes through.
    fn all_fns(&self, path: &str) -> Vec<FnId> {
        let mut out = Vec::new();
        let mut cur = path.to_string();
        for _ in 0..8 {
            if let Some(ids) = self.defs.by_path.get(&cur) {
                out.extend_from_slice(ids);
            }
            match self.follow_reexport(&cur) {
                Some(next) if next != cur => cur = next,
                _ => break,
            }
        }
        out
    }

    /// Finds the crate's island wrappers (functions that pass a parameter on to an island, such
    /// as `async fn run_blocking(f: F) { spawn_blocking(f).await }`, directly or through
    /// another wrapper), then marks code in closures handed to them as islands.
    fn find_island_wrappers(&mut self) {
        let n = self.facts.calls.len();
        // Calls that forward a parameter somewhere an island could be: (caller, route).
        let forwarding: Vec<(FnId, bool, Vec<FnId>)> = (0..n)
            .into_par_iter()
            .filter_map(|i| {
                let c = &self.facts.calls[i];
                let f = c.caller.filter(|_| c.forwards_param)?;
                let (direct, fns) = self.island_route(i);
                (direct || !fns.is_empty()).then_some((f, direct, fns))
            })
            .collect();
        // A parameter called inside a closure that runs on a blocking thread: the fn runs its
        // closure arguments there (`spawn_blocking(move || f(path))`).
        let mut forwarding = forwarding;
        for pc in &self.facts.param_calls {
            match (pc.ctx, pc.closure_of) {
                (Ctx::Island, _) => forwarding.push((pc.func, true, Vec::new())),
                (Ctx::Deferred, Some(j)) => {
                    let (direct, fns) = self.island_route(j);
                    if direct || !fns.is_empty() {
                        forwarding.push((pc.func, direct, fns));
                    }
                }
                _ => {}
            }
        }
        // Called where the closure runs in place (a combinator that runs it, or a crate fn
        // that calls its own parameter in place): the fn calls its parameter in place.
        loop {
            let mut changed = false;
            for i in 0..self.facts.param_calls.len() {
                let pc = self.facts.param_calls[i];
                let in_place = match (pc.ctx, pc.closure_of) {
                    (Ctx::Sync | Ctx::Async, _) => true,
                    (Ctx::Deferred, Some(j)) => matches!(self.targets[j],
                        Target::Local(g) if self.calls_param[g]),
                    _ => false,
                };
                if in_place && !self.calls_param[pc.func] {
                    self.calls_param[pc.func] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let mut wrappers = vec![false; self.facts.fns.len()];
        loop {
            let mut changed = false;
            for (f, direct, fns) in &forwarding {
                if !wrappers[*f] && (*direct || fns.iter().any(|g| wrappers[*g])) {
                    wrappers[*f] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        if wrappers.iter().any(|w| *w) {
            // Which calls hand their closures to an island, then each call's chain of
            // enclosing closure-taking calls.
            let island_call: Vec<bool> = (0..n)
                .into_par_iter()
                .map(|j| {
                    self.has_closure_children(j) && {
                        let (direct, fns) = self.island_route(j);
                        direct || fns.iter().any(|g| wrappers[*g])
                    }
                })
                .collect();
            for i in 0..n {
                let mut k = self.facts.calls[i].closure_of;
                while let Some(j) = k {
                    if island_call[j] {
                        self.ctx[i] = Ctx::Island;
                        break;
                    }
                    k = self.facts.calls[j].closure_of;
                }
            }
        }
        self.island_wrappers = wrappers;
    }

    /// Code in a closure handed to a crate function that calls its closure parameters (`fn
    /// with_conn(f: impl FnOnce(&Conn)) { f(&conn) }`) runs in place: it gets the context of
    /// the call it was handed to (calls are in source order, so that call's context is final).
    fn run_closures_of_local_fns_in_place(&mut self) {
        for i in 0..self.facts.calls.len() {
            if self.ctx[i] != Ctx::Deferred {
                continue;
            }
            if let Some(j) = self.facts.calls[i].deferred_to
                && let Target::Local(g) = self.targets[j]
                && self.calls_param[g]
            {
                self.ctx[i] = self.ctx[j];
            }
        }
    }

    fn has_closure_children(&self, j: usize) -> bool {
        self.has_children.get(j).copied().unwrap_or(false)
    }
    /// The calls a function makes, with their effective context.
    /// The calls a function makes (by index), with their effective context.
    pub fn calls_of(&self, f: FnId) -> impl Iterator<Item = (usize, Ctx)> {
        self.calls_by_fn[f].iter().map(|&i| (i, self.ctx[i]))
    }

    /// The effective context of call `i` ([`CallSite::ctx`], with the crate's own island
    /// wrappers applied).
    pub fn ctx_of(&self, i: usize) -> Ctx {
        self.ctx[i]
    }

    /// What call `i` calls (computed once per crate).
    pub fn target_of(&self, i: usize) -> &Target {
        &self.targets[i]
    }

    /// The crate's methods of this name (in any impl or trait).
    pub fn methods_named(&self, name: &str) -> &[FnId] {
        self.defs
            .method_names
            .get(name)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The crate methods that call `i`, a method call whose target is
    /// [`Target::UnknownMethod`], may reach by its name alone. Every method of that name when
    /// nothing is known of the receiver's type; when its type is known (a crate type without a
    /// method of that name, a tuple), only the methods declared in the crate's traits (default
    /// bodies and declarations): another type's inherent method of the same name is not what
    /// it calls. Empty for other calls.
    pub fn name_candidates(&self, i: usize) -> Vec<FnId> {
        let Callee::Method { recv, name } = &self.facts.calls[i].callee else {
            return Vec::new();
        };
        let named = self.methods_named(name);
        // Without a method of that name in the crate, the receiver's type does not matter.
        if !matches!(self.targets[i], Target::UnknownMethod(_)) || named.is_empty() {
            return Vec::new();
        }
        let known = self
            .resolve_ty(recv, 0)
            .and_then(|t| self.method_owner(t, name))
            .is_some_and(|t| t != Ty::Unknown);
        named
            .iter()
            .copied()
            .filter(|&f| !known || self.facts.fns[f].in_trait)
            .collect()
    }

    /// Whether the crate itself defines a method with this name (with a body: a trait's
    /// declaration without a default is implemented elsewhere).
    pub fn defines_method(&self, name: &str) -> bool {
        self.methods_named(name)
            .iter()
            .any(|&f| self.facts.fns[f].has_body)
    }

    /// The crate functions at a canonical path (after following re-exports).
    pub fn fns_at(&self, path: &str) -> &[FnId] {
        self.defs
            .by_path
            .get(self.canonical(path).as_ref())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The resolved types of each of `facts.held`, in order.
    pub fn held_tys(&self) -> &[Vec<Ty>] {
        self.held_tys.get_or_init(|| {
            let prior = self
                .prior_held
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take();
            let resolve = |v: &crate::syntax::facts::HeldValue| -> Vec<Ty> {
                v.tys.iter().filter_map(|t| self.resolve_ty(t, 0)).collect()
            };
            match prior {
                Some(prior) => self
                    .facts
                    .held
                    .iter()
                    .zip(prior)
                    .map(|(v, p)| p.unwrap_or_else(|| resolve(v)))
                    .collect(),
                None => self.facts.held.iter().map(resolve).collect(),
            }
        })
    }

    /// Follows `use` re-exports (`pub use self::inner::run;`, globs too) from `path` until it
    /// names a crate function or type, or nothing more is known.
    pub fn canonical<'p>(&'p self, path: &'p str) -> Cow<'p, str> {
        // Every path callee was canonicalised up front.
        match self.defs.canon_cache.get(path) {
            Some(Some(c)) => return Cow::Borrowed(c.as_str()),
            Some(None) => return Cow::Borrowed(path),
            None => {}
        }
        if self.defs.by_path.contains_key(path) || self.defs.local_types.contains(path) {
            return Cow::Borrowed(path);
        }
        let root = crate::kb::first_segment(path);
        if !self.defs.reexport_roots.contains(root) {
            return Cow::Borrowed(path);
        }
        self.canonical_uncached(path)
    }

    fn canonical_uncached<'p>(&self, path: &'p str) -> Cow<'p, str> {
        let mut cur: Cow<'p, str> = Cow::Borrowed(path);
        for _ in 0..8 {
            if self.defs.by_path.contains_key(cur.as_ref())
                || self.defs.local_types.contains(cur.as_ref())
            {
                break;
            }
            match self.follow_reexport(&cur) {
                Some(next) if next != cur.as_ref() => cur = Cow::Owned(next),
                _ => break,
            }
        }
        cur
    }

    fn follow_reexport(&self, path: &str) -> Option<String> {
        // Re-exports are recorded per module of this crate: other roots (`std`) have none.
        let root = crate::kb::first_segment(path);
        if !self.defs.reexport_roots.contains(root) {
            return None;
        }
        if let Some(t) = self.defs.reexports.get(path) {
            return Some(t.clone());
        }
        // A re-exported module: `pub use self::imp as sys;` then `sys::run`.
        let mut split = path.len();
        while let Some(i) = path[..split].rfind(':').and_then(|j| j.checked_sub(1)) {
            let (prefix, suffix) = (&path[..i], &path[i..]);
            if let Some(t) = self.defs.reexports.get(prefix) {
                return Some(format!("{t}{suffix}"));
            }
            split = i;
        }
        // A glob re-export: `pub use self::imp::*;`, first target that defines the name.
        let (module, name) = crate::kb::split_last_segment(path)?;
        let globs = self.defs.glob_reexports.get(module)?;
        globs.iter().map(|g| format!("{g}::{name}")).find(|cand| {
            self.defs.by_path.contains_key(cand) || self.defs.local_types.contains(cand)
        })
    }

    /// Resolves what a call calls.
    pub fn target(&self, callee: &Callee) -> Target {
        match callee {
            Callee::Path(cands) => {
                let mut local = None;
                let mut count = 0;
                for c in cands {
                    let ids = self.fns_at(c);
                    count += ids.len();
                    local = local.or(ids.first().copied());
                }
                match (count, local) {
                    (1, Some(f)) => return Target::Local(f),
                    (0, _) => {}
                    _ => return Target::Unresolved,
                }
                // No crate fn: the first candidate the knowledge base knows. An extern path the
                // knowledge base does not know leads nowhere.
                cands
                    .iter()
                    .map(|c| self.canonical(c))
                    .find(|c| self.kb.knows_function(c))
                    .map_or(Target::Unresolved, |c| Target::ExternFn(c.into_owned()))
            }
            // Only a method name the crate defines or the knowledge base knows can lead
            // anywhere: skip resolving the receiver of every other call.
            Callee::Method { name, .. }
                if !self.defs.method_names.contains_key(name.as_str())
                    && !self.kb.knows_method_name(name) =>
            {
                Target::UnknownMethod(name.clone())
            }
            Callee::Method { recv, name } => match self
                .resolve_ty(recv, 0)
                .and_then(|t| self.method_owner(t, name))
            {
                Some(Ty::Path(ty)) => {
                    let path = format!("{ty}::{name}");
                    match self.fns_at(&path) {
                        [one] => Target::Local(*one),
                        [] => {
                            if self.is_local_type(&ty) {
                                // A trait method or an unknown one on a crate type.
                                Target::UnknownMethod(name.clone())
                            } else {
                                Target::ExternMethod {
                                    ty,
                                    name: name.clone(),
                                }
                            }
                        }
                        _ => Target::Unresolved,
                    }
                }
                _ => Target::UnknownMethod(name.clone()),
            },
        }
    }

    fn is_local_type(&self, ty: &str) -> bool {
        self.defs.local_types.contains(ty)
    }

    /// The type a method call on a value of type `ty` reaches: the type itself, or, through
    /// smart pointers (`Arc<Mutex<T>>`), the first wrapped type that has such a method.
    fn method_owner(&self, mut ty: Ty, name: &str) -> Option<Ty> {
        let knows = |ty: &str| {
            !self.fns_at(&format!("{ty}::{name}")).is_empty()
                || self.kb.returns_of_method(ty, name).is_some()
                || self.kb.blocking.method(ty, name).is_some()
                || self.kb.block_on.method(ty, name).is_some()
        };
        for _ in 0..4 {
            match ty {
                Ty::Wrap(outer, inner) => {
                    if knows(&outer) {
                        return Some(Ty::Path(outer));
                    }
                    ty = Arc::unwrap_or_clone(inner);
                }
                // A method the type does not have, on a type that derefs to another (`impl
                // Deref`), is the target's.
                Ty::Path(p) if !name.is_empty() && self.may_deref(&p) && !knows(&p) => {
                    match self.deref_target(&p, name) {
                        Some(target) => ty = target,
                        None => return Some(Ty::Path(p)),
                    }
                }
                other => return Some(other),
            }
        }
        None
    }

    /// Whether `ty` has an `impl Deref` the crate or a dependency's summary knows of.
    fn may_deref(&self, ty: &str) -> bool {
        self.facts.derefs.contains_key(ty) || self.kb.has_deref(ty)
    }

    /// What a value of type `ty` derefs to for a call of `name`, if `ty` has an `impl Deref` (of
    /// this crate, or of a dependency whose summary says so and lists no such method of `ty`).
    fn deref_target(&self, ty: &str, name: &str) -> Option<Ty> {
        match self.facts.derefs.get(ty) {
            Some(target) => self.resolve_ty(target, 1),
            None => self
                .kb
                .deref_for_method(ty, name)
                .map(|t| Ty::Path(t.to_string())),
        }
    }

    /// Resolves type evidence to a canonical path or tuple, or None when it is unknown.
    pub fn resolve_ty(&self, ty: &Ty, depth: usize) -> Option<Ty> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        match ty {
            Ty::Path(p) => {
                let p = self.canonical(p);
                // A type alias of the crate stands for the aliased type.
                match self.facts.aliases.get(p.as_ref()) {
                    Some(aliased) => self.resolve_ty(aliased, depth + 1),
                    None => Some(Ty::Path(p.into_owned())),
                }
            }
            Ty::Tuple(v) => Some(Ty::Tuple(v.clone())),
            Ty::Unknown => None,
            Ty::ReturnOf(cands) => {
                let mut locals = Vec::new();
                for c in cands {
                    locals.extend_from_slice(self.fns_at(c));
                }
                if let [one] = locals.as_slice() {
                    let f = &self.facts.fns[*one];
                    if f.is_async {
                        // `.await` is transparent in the walker: the awaited output is `ret`.
                    }
                    return self.resolve_ty(&f.ret.clone(), depth + 1);
                }
                if !locals.is_empty() {
                    return None;
                }
                let found: Vec<&Returns> = cands
                    .iter()
                    .filter_map(|c| self.kb.returns_of_fn(c))
                    .collect();
                match found.as_slice() {
                    [r] => Some(returns_ty(r)),
                    [] => constructed_type(cands).map(Ty::Path),
                    _ => None,
                }
            }
            Ty::MethodRet(recv, name) if name == "clone" => {
                // A clone has the receiver's type, except for a guard or a borrow, which is
                // not `Clone`: auto-deref clones what it guards.
                let t = self.resolve_ty(recv, depth + 1)?;
                match &t {
                    Ty::Path(p)
                        if self
                            .kb
                            .held(p)
                            .is_some_and(|e| e.lint != "non_send_across_await") =>
                    {
                        None
                    }
                    _ => Some(t),
                }
            }
            Ty::MethodRet(recv, name) => {
                let Some(Ty::Path(recv)) = self
                    .resolve_ty(recv, depth + 1)
                    .and_then(|t| self.method_owner(t, name))
                else {
                    return None;
                };
                let path = format!("{recv}::{name}");
                match self.fns_at(&path) {
                    [one] => self.resolve_ty(&self.facts.fns[*one].ret.clone(), depth + 1),
                    [] => self.kb.returns_of_method(&recv, name).map(returns_ty),
                    _ => None,
                }
            }
            Ty::Wrap(outer, inner) => Some(Ty::Wrap(
                outer.clone(),
                Arc::new(self.resolve_ty(inner, depth + 1).unwrap_or(Ty::Unknown)),
            )),
            Ty::Field(base, field) => {
                let Some(Ty::Path(base)) = self
                    .resolve_ty(base, depth + 1)
                    .and_then(|t| self.method_owner(t, ""))
                else {
                    return None;
                };
                let fields = self.facts.fields.get(&base)?;
                let fty = fields.iter().rev().find(|(n, _)| n == field)?.1.clone();
                self.resolve_ty(&fty, depth + 1)
            }
            Ty::Elem(base, i) => match self.resolve_ty(base, depth + 1)? {
                Ty::Tuple(v) => v.get(*i).and_then(|t| self.resolve_ty(t, depth + 1)),
                // A tuple struct's field (`self.0` of `struct OpenOptions(fs::OpenOptions)`).
                t => {
                    let Some(Ty::Path(base)) = self.method_owner(t, "") else {
                        return None;
                    };
                    let fields = self.facts.fields.get(&base)?;
                    let name = i.to_string();
                    let fty = fields.iter().rev().find(|(n, _)| *n == name)?.1.clone();
                    self.resolve_ty(&fty, depth + 1)
                }
            },
        }
    }

    /// Call sites that run in async context, in source order, with their targets.
    pub fn async_calls(&self) -> impl Iterator<Item = (&CallSite, &Target)> {
        self.facts
            .calls
            .iter()
            .zip(&self.ctx)
            .zip(&self.targets)
            .filter(|((_, x), _)| **x == Ctx::Async)
            .map(|((c, _), t)| (c, t))
    }

    /// For every sync crate function, the first chain of calls through which it reaches an API
    /// that `is_sink` accepts: `[helper, inner_helper, "std::fs::read"]`. Cycles are handled by
    /// iterating to a fixpoint.
    pub fn sync_reach(
        &self,
        is_sink: impl Fn(usize, &Target) -> Option<String>,
    ) -> Vec<Option<Vec<String>>> {
        self.reach(|f| !f.is_async, |_, ctx| ctx == Ctx::Sync, is_sink)
    }

    /// For every crate function, sync or async, the first chain of calls that run on the thread
    /// (and runtime) that runs it, through which it reaches an API that `is_sink` accepts:
    /// every call outside a sync island, into sync helpers and async functions alike (an async
    /// function's body runs on the runtime that polls it).
    pub fn thread_reach(
        &self,
        is_sink: impl Fn(usize, &Target) -> Option<String>,
    ) -> Vec<Option<Vec<String>>> {
        // Not islands, nor closures that run later elsewhere; a crate function that returns a
        // future runs here only when that future is awaited here (one handed to
        // `handle.spawn(..)` may run on another runtime).
        self.reach(
            |_| true,
            |i, ctx| {
                matches!(ctx, Ctx::Sync | Ctx::Async)
                    && (self.facts.calls[i].awaited
                        || !matches!(self.targets[i], Target::Local(g) if self.facts.fns[g].returns_future))
            },
            is_sink,
        )
    }

    /// For every async crate function, the first chain of awaited calls through which it
    /// reaches an operation that `is_sink` accepts (for cancel safety: a function whose future
    /// awaits `read_exact` loses the same progress when dropped).
    pub fn async_reach(
        &self,
        is_sink: impl Fn(usize, &Target) -> Option<String>,
    ) -> Vec<Option<Vec<String>>> {
        self.reach(
            |f| f.is_async,
            |i, ctx| ctx == Ctx::Async && self.facts.calls[i].awaited,
            is_sink,
        )
    }

    /// Chains through the functions that `kind` accepts (callers and callees alike).
    fn reach(
        &self,
        kind: impl Fn(&FnDef) -> bool,
        follows: impl Fn(usize, Ctx) -> bool,
        is_sink: impl Fn(usize, &Target) -> Option<String>,
    ) -> Vec<Option<Vec<String>>> {
        let n = self.facts.fns.len();
        let mut reach: Vec<Option<Vec<String>>> = vec![None; n];
        // Direct sinks first.
        let mut targets: Vec<Vec<&Target>> = Vec::with_capacity(n);
        for (f, slot) in reach.iter_mut().enumerate() {
            let mut ts = Vec::new();
            if kind(&self.facts.fns[f]) {
                for (i, ctx) in self.calls_of(f) {
                    if follows(i, ctx) {
                        if slot.is_none() {
                            *slot = is_sink(i, &self.targets[i]).map(|sink| vec![sink]);
                        }
                        ts.push(&self.targets[i]);
                    }
                }
            }
            targets.push(ts);
        }
        loop {
            let mut changed = false;
            for (f, ts) in targets.iter().enumerate() {
                if reach[f].is_some() {
                    continue;
                }
                for t in ts {
                    if let Target::Local(g) = t
                        && *g != f
                        && kind(&self.facts.fns[*g])
                        && let Some(chain) = &reach[*g]
                    {
                        let mut c = vec![self.facts.fns[*g].name.clone()];
                        c.extend(chain.iter().cloned());
                        reach[f] = Some(c);
                        changed = true;
                        break;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        reach
    }
}

fn returns_ty(r: &Returns) -> Ty {
    match r {
        Returns::One(p) => Ty::Path(p.clone()),
        Returns::Tuple(v) => Ty::Tuple(v.iter().map(|p| Ty::Path(p.clone())).collect()),
    }
}

/// The type a constructor call makes, by Rust's naming convention for functions that return
/// `Self` (or `Result<Self, _>` / `Option<Self>`, which `?` and `.unwrap()` see through):
/// `T::new(..)`, `T::default()`, `T::from(..)`, `T::with_capacity(..)` on a capitalised type
/// path (`String::from(..)`, `ffi::Handle::new()`), when every candidate path agrees. Used only
/// when neither the crate nor the knowledge base knows the function.
fn constructed_type(cands: &[String]) -> Option<String> {
    const CONSTRUCTORS: &[&str] = &["new", "default", "from", "with_capacity"];
    let mut owner: Option<&str> = None;
    for c in cands {
        let (ty, f) = crate::kb::split_last_segment(c)?;
        let short = crate::kb::last_segment(ty);
        if !CONSTRUCTORS.contains(&f)
            || !ty.contains("::")
            || !short.starts_with(|c: char| c.is_ascii_uppercase())
            || owner.is_some_and(|o| o != ty)
        {
            return None;
        }
        owner = Some(ty);
    }
    owner.map(str::to_string)
}

#[cfg(test)]
mod constructor_tests {
    use super::constructed_type;

    fn paths(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn constructors_by_convention_make_their_type() {
        let ty = |p: &[&str]| constructed_type(&paths(p));
        assert_eq!(
            ty(&["std::fs::File::from"]).as_deref(),
            Some("std::fs::File")
        );
        assert_eq!(ty(&["ffi::Handle::new"]).as_deref(), Some("ffi::Handle"));
        assert_eq!(
            ty(&["a::Pool::default", "a::Pool::default"]).as_deref(),
            Some("a::Pool")
        );
        // Not a constructor name, not a type, or candidates that disagree.
        assert_eq!(ty(&["std::fs::File::open"]), None);
        assert_eq!(ty(&["tokio::fs::new"]), None);
        assert_eq!(ty(&["Handle::new"]), None);
        assert_eq!(ty(&["a::A::new", "b::B::new"]), None);
    }
}
