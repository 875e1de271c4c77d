//! The crate index: every function of a crate, every call it makes, and resolution of calls and
//! type evidence once all files of the crate have been walked.

use crate::facts::{CallSite, Callee, CrateFacts, Ctx, FnId, Ty};
use crate::kb::{Kb, Returns};
use std::borrow::Cow;
use crate::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};

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
    pub facts: CrateFacts,
    pub kb: &'a Kb,
    by_path: HashMap<String, Vec<FnId>>,
    /// Names of every method defined in the crate (for name-only matches).
    method_names: HashMap<String, usize>,
    /// Call-site indices per calling function.
    calls_by_fn: Vec<Vec<usize>>,
    /// Types declared in the crate or given methods in it.
    local_types: HashSet<String>,
    /// Effective context of every call: [`CallSite::ctx`], except that code in a closure
    /// handed to one of the crate's own island wrappers (a fn that passes its parameter on to
    /// `spawn_blocking`, directly or through another wrapper) is an island.
    ctx: Vec<Ctx>,
    /// Crate functions that run a closure parameter in a sync island.
    pub island_wrappers: Vec<bool>,
    reexports: HashMap<String, String>,
    glob_reexports: HashMap<String, Vec<String>>,
    /// The target of every call, computed once.
    targets: Vec<Target>,
}

const MAX_RESOLVE_DEPTH: usize = 12;

impl<'a> CrateIndex<'a> {
    pub fn new(facts: CrateFacts, kb: &'a Kb) -> Self {
        let mut by_path: HashMap<String, Vec<FnId>> = HashMap::default();
        let mut method_names: HashMap<String, usize> = HashMap::default();
        for (id, f) in facts.fns.iter().enumerate() {
            by_path.entry(f.path.clone()).or_default().push(id);
            if f.name.contains("::") {
                let short = f.path.rsplit("::").next().unwrap_or_default().to_string();
                *method_names.entry(short).or_default() += 1;
            }
        }
        let mut local_types: HashSet<String> = facts.fields.keys().cloned().collect();
        for f in &facts.fns {
            if f.name.contains("::")
                && let Some((parent, _)) = f.path.rsplit_once("::")
            {
                local_types.insert(parent.to_string());
            }
        }
        let mut calls_by_fn = vec![Vec::new(); facts.fns.len()];
        for (i, c) in facts.calls.iter().enumerate() {
            if let Some(f) = c.caller {
                calls_by_fn[f].push(i);
            }
        }
        let ctx = facts.calls.iter().map(|c| c.ctx).collect();
        let island_wrappers = vec![false; facts.fns.len()];
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
        let mut index = CrateIndex {
            targets: Vec::new(),
            reexports,
            glob_reexports,
            facts,
            kb,
            by_path,
            method_names,
            calls_by_fn,
            local_types,
            ctx,
            island_wrappers,
        };
        index.targets = index.facts.calls.iter().map(|c| index.target(&c.callee)).collect();
        index.find_island_wrappers();
        index
    }

    /// Whether a call runs its closure arguments in a sync island. Generous on purpose (any
    /// candidate counts, `#[cfg]` variants included): an island only ever silences.
    fn is_island_target(&self, c: &CallSite, wrappers: &[bool]) -> bool {
        match &c.callee {
            Callee::Path(p) => p.iter().any(|p| {
                self.kb.is_island_fn(p)
                    || self.kb.is_island_fn(&self.canonical(p))
                    || self.all_fns(p).iter().any(|&g| wrappers[g])
            }),
            Callee::Method { name, .. } if self.kb.is_island_method(name) => true,
            Callee::Method { .. } => {
                matches!(self.target(&c.callee), Target::Local(g) if wrappers[g])
            }
        }
    }

    /// Every crate function a path may name: the functions at the path itself and at each step
    /// of the re-exports it goes through.
    fn all_fns(&self, path: &str) -> Vec<FnId> {
        let mut out = Vec::new();
        let mut cur = path.to_string();
        for _ in 0..8 {
            if let Some(ids) = self.by_path.get(&cur) {
                out.extend_from_slice(ids);
            }
            match self.follow_reexport(&cur) {
                Some(next) if next != cur => cur = next,
                _ => break,
            }
        }
        out
    }

    fn find_island_wrappers(&mut self) {
        let mut wrappers = vec![false; self.facts.fns.len()];
        loop {
            let mut changed = false;
            for c in &self.facts.calls {
                if let Some(f) = c.caller
                    && c.forwards_param
                    && !wrappers[f]
                    && self.is_island_target(c, &wrappers)
                {
                    wrappers[f] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        if wrappers.iter().any(|w| *w) {
            for i in 0..self.facts.calls.len() {
                let mut k = self.facts.calls[i].closure_of;
                while let Some(j) = k {
                    let outer = &self.facts.calls[j];
                    if self.is_island_target(outer, &wrappers) {
                        self.ctx[i] = Ctx::Island;
                        break;
                    }
                    k = outer.closure_of;
                }
            }
        }
        self.island_wrappers = wrappers;
    }

    /// The effective context of call `i` (see [`CrateIndex::ctx`]).
    pub fn ctx_of(&self, i: usize) -> Ctx {
        self.ctx[i]
    }

    /// The calls a function makes, with their effective context.
    /// The calls a function makes (by index), with their effective context.
    pub fn calls_of(&self, f: FnId) -> impl Iterator<Item = (usize, Ctx)> {
        self.calls_by_fn[f].iter().map(|&i| (i, self.ctx[i]))
    }

    /// What call `i` calls (computed once per crate).
    pub fn target_of(&self, i: usize) -> &Target {
        &self.targets[i]
    }

    /// Whether the crate itself defines a method with this name.
    pub fn defines_method(&self, name: &str) -> bool {
        self.method_names.contains_key(name)
    }

    /// The crate functions at a canonical path (after following re-exports).
    pub fn fns_at(&self, path: &str) -> &[FnId] {
        self.by_path
            .get(self.canonical(path).as_ref())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Follows `use` re-exports (`pub use self::inner::run;`, globs too) from `path` until it
    /// names a crate function or type, or nothing more is known.
    pub fn canonical<'p>(&self, path: &'p str) -> Cow<'p, str> {
        let mut cur: Cow<'p, str> = Cow::Borrowed(path);
        for _ in 0..8 {
            if self.by_path.contains_key(cur.as_ref()) || self.local_types.contains(cur.as_ref()) {
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
        if let Some(t) = self.reexports.get(path) {
            return Some(t.clone());
        }
        // A re-exported module: `pub use self::imp as sys;` then `sys::run`.
        let mut split = path.len();
        while let Some(i) = path[..split].rfind("::") {
            let (prefix, suffix) = (&path[..i], &path[i..]);
            if let Some(t) = self.reexports.get(prefix) {
                return Some(format!("{t}{suffix}"));
            }
            split = i;
        }
        // A glob re-export: `pub use self::imp::*;`, first target that defines the name.
        let (module, name) = path.rsplit_once("::")?;
        let globs = self.glob_reexports.get(module)?;
        globs
            .iter()
            .map(|g| format!("{g}::{name}"))
            .find(|cand| self.by_path.contains_key(cand) || self.local_types.contains(cand))
    }

    /// Resolves what a call calls.
    pub fn target(&self, callee: &Callee) -> Target {
        match callee {
            Callee::Path(cands) => {
                let mut locals: Vec<FnId> = Vec::new();
                for c in cands {
                    locals.extend_from_slice(self.fns_at(c));
                }
                match locals.len() {
                    1 => return Target::Local(locals[0]),
                    0 => {}
                    _ => return Target::Unresolved,
                }
                // No crate fn: the first candidate the knowledge base knows, else the first.
                let cands: Vec<String> = cands
                    .iter()
                    .map(|c| self.canonical(c).into_owned())
                    .collect();
                let known = cands.iter().find(|c| {
                    self.kb.blocking.function(c).is_some()
                        || self.kb.block_on.function(c).is_some()
                        || self.kb.returns_of_fn(c).is_some()
                        || self.kb.is_island_fn(c)
                });
                match (known, cands.len()) {
                    (Some(k), _) => Target::ExternFn(k.clone()),
                    (None, 1) => Target::ExternFn(cands[0].clone()),
                    _ => Target::Unresolved,
                }
            }
            Callee::Method { recv, name } => match self.resolve_ty(recv, 0) {
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
        self.local_types.contains(ty)
    }

    /// Resolves type evidence to a canonical path or tuple, or None when it is unknown.
    pub fn resolve_ty(&self, ty: &Ty, depth: usize) -> Option<Ty> {
        if depth > MAX_RESOLVE_DEPTH {
            return None;
        }
        match ty {
            Ty::Path(p) => Some(Ty::Path(self.canonical(p).into_owned())),
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
                    _ => None,
                }
            }
            Ty::MethodRet(recv, name) => {
                let Some(Ty::Path(recv)) = self.resolve_ty(recv, depth + 1) else {
                    return None;
                };
                let path = format!("{recv}::{name}");
                match self.fns_at(&path) {
                    [one] => self.resolve_ty(&self.facts.fns[*one].ret.clone(), depth + 1),
                    [] => self.kb.returns_of_method(&recv, name).map(returns_ty),
                    _ => None,
                }
            }
            Ty::Field(base, field) => {
                let Some(Ty::Path(base)) = self.resolve_ty(base, depth + 1) else {
                    return None;
                };
                let fty = self.facts.fields.get(&base)?.get(field)?.clone();
                self.resolve_ty(&fty, depth + 1)
            }
            Ty::Elem(base, i) => match self.resolve_ty(base, depth + 1)? {
                Ty::Tuple(v) => v.get(*i).and_then(|t| self.resolve_ty(t, depth + 1)),
                _ => None,
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
        is_sink: impl Fn(&Target) -> Option<String>,
    ) -> Vec<Option<Vec<String>>> {
        let n = self.facts.fns.len();
        let mut reach: Vec<Option<Vec<String>>> = vec![None; n];
        // Direct sinks first.
        let mut targets: Vec<Vec<&Target>> = Vec::with_capacity(n);
        for (f, slot) in reach.iter_mut().enumerate() {
            let mut ts = Vec::new();
            if !self.facts.fns[f].is_async {
                for (i, ctx) in self.calls_of(f) {
                    if ctx == Ctx::Sync {
                        ts.push(&self.targets[i]);
                    }
                }
            }
            *slot = ts.iter().find_map(|t| is_sink(t)).map(|sink| vec![sink]);
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
                        && !self.facts.fns[*g].is_async
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
