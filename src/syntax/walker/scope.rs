//! Name resolution: the scopes a walk is in (modules, blocks, fn bodies) and what a path
//! written there means. Paths are canonicalised through `use` declarations at module and block
//! level, local items, locals that shadow imports, globs, the prelude and `crate::` /
//! `self::` / `super::`; hands [`Resolved`] candidates to the walker and to type evidence
//! ([`super::types`], which adds its own methods to [`Scopes`]).

use crate::kb::Kb;
use crate::syntax::facts::Ty;
use crate::util::fxhash::FxHashMap as HashMap;
use std::cell::{Cell, RefCell};
use syn::{Item, UseTree};

/// How many imports resolution follows before giving up (import cycles exist in the wild).
const MAX_RESOLVE_DEPTH: usize = 16;

/// How many steps one path's resolution may take in all (alternatives branch).
const MAX_RESOLVE_STEPS: usize = 512;

/// One scope: a module's or a block's items, imports and (blocks only) locals.
#[derive(Default)]
pub(super) struct Scope {
    /// Names of the items defined here; each one's canonical path is `item_prefix::name`.
    pub(super) items: crate::util::fxhash::FxHashSet<String>,
    /// The module (or, for items in a fn body, the fn) the items belong to.
    pub(super) item_prefix: String,
    /// `use` imports: name -> raw segments as written.
    pub(super) uses: HashMap<String, Vec<String>>,
    /// Further imports of an already imported name (under other `#[cfg]`s): extra candidates.
    pub(super) alt_uses: HashMap<String, Vec<Vec<String>>>,
    pub(super) globs: Vec<Vec<String>>,
    /// Local bindings (blocks only): name -> type evidence.
    pub(super) locals: HashMap<String, Ty>,
    /// Which of `items` are `static`s.
    pub(super) statics: crate::util::fxhash::FxHashSet<String>,
}

impl Scope {
    fn add_use(&mut self, name: String, raw: Vec<String>) {
        match self.uses.get(&name) {
            Some(existing) if *existing != raw => {
                let alts = self.alt_uses.entry(name).or_default();
                if !alts.contains(&raw) {
                    alts.push(raw);
                }
            }
            Some(_) => {}
            None => {
                self.uses.insert(name, raw);
            }
        }
    }
}

/// The blocks (and their fn base) set aside while a module nested in a fn body is walked.
pub(super) struct SavedBlocks {
    blocks: Vec<Scope>,
    fn_base: usize,
}

/// A module's scope and its canonical path.
pub(super) struct ModScope {
    pub(super) path: String,
    pub(super) scope: Scope,
}

/// The scopes around the point being walked, innermost last, and the state name resolution
/// keeps between paths.
pub(super) struct Scopes<'a> {
    pub(super) kb: &'a Kb,
    /// Canonical name of the crate root (`mycrate`).
    pub(super) crate_root: String,
    /// Enclosing modules of the file (inline `mod { .. }` included).
    pub(super) mods: Vec<ModScope>,
    /// Enclosing blocks, innermost last: those of the current fn body from [`Self::fn_base`]
    /// on, below it the blocks of the fn bodies an item is nested in.
    pub(super) blocks: Vec<Scope>,
    /// The first block of the current fn body. A nested item sees the items and imports of
    /// the blocks around it but not their locals (`blocks[..fn_base]` give no locals).
    pub(super) fn_base: usize,
    /// The type `Self` names (in an `impl` or a trait).
    pub(super) impl_ty: Option<String>,
    /// Steps taken by the current path resolution (see [`Scopes::step`]).
    resolve_steps: Cell<usize>,
    /// Paths resolved in the innermost module's scope, by their segments: the same few paths
    /// (`io::Result`, `Poll::Ready`) recur all over a module. Cleared when the module changes.
    module_memo: RefCell<HashMap<Vec<String>, Option<Resolved>>>,
    /// Answers of the glob and prelude stage for paths the module scope does not name, while
    /// no enclosing block has glob imports of its own (cleared with `module_memo`).
    glob_memo: RefCell<HashMap<Vec<String>, Resolved>>,
}

/// What a path resolved to.
#[derive(Clone)]
pub(super) enum Resolved {
    /// A local variable (closure, binding): not an item.
    Local,
    /// Candidate canonical paths, best first.
    Paths(Vec<String>),
}

const PRELUDE: &[(&str, &str)] = &[
    ("drop", "std::mem::drop"),
    ("Box", "std::boxed::Box"),
    ("Vec", "std::vec::Vec"),
    ("String", "std::string::String"),
    ("Option", "std::option::Option"),
    ("Some", "std::option::Option::Some"),
    ("None", "std::option::Option::None"),
    ("Result", "std::result::Result"),
    ("Ok", "std::result::Result::Ok"),
    ("Err", "std::result::Result::Err"),
    ("ToString", "std::string::ToString"),
    ("Iterator", "std::iter::Iterator"),
    ("Default", "std::default::Default"),
    ("From", "std::convert::From"),
    ("Into", "std::convert::Into"),
];
pub(super) fn path_segments(path: &syn::Path) -> Vec<String> {
    let mut segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    if path.leading_colon.is_some() {
        segs.insert(0, String::new());
    }
    segs
}

pub(super) fn collect_use(tree: &UseTree, prefix: Vec<String>, scope: &mut Scope) {
    match tree {
        UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            collect_use(&p.tree, next, scope);
        }
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last().cloned() {
                    scope.add_use(last, prefix);
                }
            } else {
                let mut full = prefix;
                full.push(name.clone());
                scope.add_use(name, full);
            }
        }
        UseTree::Rename(r) => {
            let orig = r.ident.to_string();
            let alias = r.rename.to_string();
            if alias == "_" {
                return;
            }
            let mut full = prefix;
            if orig != "self" {
                full.push(orig);
            }
            scope.add_use(alias, full);
        }
        UseTree::Glob(_) => scope.globs.push(prefix),
        UseTree::Group(g) => {
            for t in &g.items {
                collect_use(t, prefix.clone(), scope);
            }
        }
    }
}

impl<'a> Scopes<'a> {
    pub(super) fn new(kb: &'a Kb, crate_root: String) -> Self {
        Scopes {
            kb,
            crate_root,
            mods: Vec::new(),
            blocks: Vec::new(),
            fn_base: 0,
            impl_ty: None,
            resolve_steps: Cell::new(0),
            module_memo: Default::default(),
            glob_memo: Default::default(),
        }
    }

    /// Enters a module whose items (item macros expanded) are `items`: its scope becomes the
    /// innermost, and the enclosing fn's blocks (if any) are set aside until
    /// [`Self::leave_module`] restores them (a module sees nothing of the blocks around it).
    pub(super) fn enter_module<'i>(
        &mut self,
        path: &str,
        items: impl IntoIterator<Item = &'i Item>,
    ) -> SavedBlocks {
        let mut scope = Scope::default();
        self.collect_items(items, path, &mut scope);
        self.enter_module_scope(path, scope)
    }

    /// [`Self::enter_module`] with the module's items already collected into `scope`.
    pub(super) fn enter_module_scope(&mut self, path: &str, scope: Scope) -> SavedBlocks {
        self.mods.push(ModScope {
            path: path.to_string(),
            scope,
        });
        self.clear_memos();
        SavedBlocks {
            blocks: std::mem::take(&mut self.blocks),
            fn_base: std::mem::take(&mut self.fn_base),
        }
    }

    pub(super) fn leave_module(&mut self, saved: SavedBlocks) {
        self.blocks = saved.blocks;
        self.fn_base = saved.fn_base;
        self.mods.pop();
        self.clear_memos();
    }

    /// Enters the body of an item nested where the walk is (a fn, a const initialiser): the
    /// blocks around it stay visible for their items and imports, not for their locals.
    /// Returns what [`Self::leave_item_body`] restores.
    pub(super) fn enter_item_body(&mut self) -> (usize, usize) {
        let outer = (self.blocks.len(), self.fn_base);
        self.fn_base = self.blocks.len();
        outer
    }

    pub(super) fn leave_item_body(&mut self, (len, fn_base): (usize, usize)) {
        self.blocks.truncate(len);
        self.fn_base = fn_base;
    }

    fn clear_memos(&mut self) {
        self.module_memo.get_mut().clear();
        self.glob_memo.get_mut().clear();
    }

    /// The innermost module's imports, resolved (`(module::name, target)`, sorted), so paths
    /// through re-exports (`pub use`) can be followed crate-wide.
    pub(super) fn reexports(&self) -> Vec<(String, String)> {
        let Some(m) = self.mods.last() else {
            return Vec::new();
        };
        let mi = self.mods.len() - 1;
        let mut out = Vec::new();
        for (name, raw) in &m.scope.uses {
            if let Resolved::Paths(p) = self.resolve_use(raw, &[], mi, 0)
                && let Some(target) = p.into_iter().next()
            {
                let from = format!("{}::{name}", m.path);
                if from != target {
                    out.push((from, target));
                }
            }
        }
        for g in &m.scope.globs {
            if let Resolved::Paths(p) = self.resolve_use(g, &[], mi, 0)
                && let Some(target) = p.into_iter().next()
            {
                out.push((format!("{}::*", m.path), target));
            }
        }
        out.sort();
        out
    }

    pub(super) fn module_path(&self) -> &str {
        self.mods.last().map(|m| m.path.as_str()).unwrap_or("")
    }
    pub(super) fn collect_items<'i>(
        &self,
        items: impl IntoIterator<Item = &'i Item>,
        prefix: &str,
        scope: &mut Scope,
    ) {
        for item in items {
            if super::shapes::cfg_never(super::shapes::item_attrs(item)) {
                continue;
            }
            let (name, is_use) = match item {
                Item::Fn(f) => (Some(f.sig.ident.to_string()), false),
                Item::Struct(s) => (Some(s.ident.to_string()), false),
                Item::Enum(e) => (Some(e.ident.to_string()), false),
                Item::Union(u) => (Some(u.ident.to_string()), false),
                Item::Trait(t) => (Some(t.ident.to_string()), false),
                Item::TraitAlias(t) => (Some(t.ident.to_string()), false),
                Item::Type(t) => (Some(t.ident.to_string()), false),
                Item::Mod(m) => (Some(m.ident.to_string()), false),
                Item::Const(c) => (Some(c.ident.to_string()), false),
                Item::Static(s) => {
                    scope.statics.insert(s.ident.to_string());
                    (Some(s.ident.to_string()), false)
                }
                Item::Use(u) => {
                    collect_use(&u.tree, Vec::new(), scope);
                    (None, true)
                }
                Item::ExternCrate(e) => {
                    let name = e.rename.as_ref().map(|(_, i)| i.to_string());
                    let orig = e.ident.to_string();
                    let orig = if orig == "self" {
                        self.crate_root.clone()
                    } else {
                        orig
                    };
                    scope.add_use(name.unwrap_or_else(|| orig.clone()), vec![orig]);
                    (None, true)
                }
                _ => (None, false),
            };
            if let (Some(name), false) = (name, is_use) {
                scope.items.insert(name);
            }
        }
        scope.item_prefix = prefix.to_string();
    }

    /// Whether a single name written here is a `static` item of an enclosing block or module
    /// (not a local, nor an import: a static of another module is not known as one).
    pub(super) fn is_static(&self, name: &str) -> bool {
        for (i, b) in self.blocks.iter().enumerate().rev() {
            if i >= self.fn_base && b.locals.contains_key(name) {
                return false;
            }
            if b.items.contains(name) {
                return b.statics.contains(name);
            }
            if b.uses.contains_key(name) {
                return false;
            }
        }
        self.mods
            .last()
            .is_some_and(|m| m.scope.statics.contains(name))
    }

    /// Resolves a path written in the current scope.
    pub(super) fn resolve(&self, segs: &[String]) -> Resolved {
        self.resolve_steps.set(0);
        self.resolve_depth(segs, 0)
    }

    /// Counts a resolution step; false once a path has taken too many (import cycles with
    /// several alternatives per name grow exponentially: found by fuzzing).
    fn step(&self) -> bool {
        let n = self.resolve_steps.get() + 1;
        self.resolve_steps.set(n);
        n <= MAX_RESOLVE_STEPS
    }

    fn resolve_depth(&self, segs: &[String], depth: usize) -> Resolved {
        if segs.is_empty() || depth > MAX_RESOLVE_DEPTH {
            return Resolved::Paths(Vec::new());
        }
        let first = segs[0].as_str();
        let rest = &segs[1..];
        if first.is_empty() {
            // `::std::fs::read`: an extern crate path.
            return Resolved::Paths(vec![self.finish(rest.join("::"))]);
        }
        if segs.len() > 1 && matches!(first, "std" | "core" | "alloc") {
            // The standard library's crates are not shadowed in practice (not even by globs).
            return Resolved::Paths(vec![self.finish(segs.join("::"))]);
        }
        // Locals shadow everything for single-segment paths.
        if segs.len() == 1 {
            for b in self.blocks[self.fn_base..].iter().rev() {
                if b.locals.contains_key(first) {
                    return Resolved::Local;
                }
                if b.items.contains(first) || b.uses.contains_key(first) {
                    break;
                }
            }
        }
        for b in self.blocks.iter().rev() {
            if b.items.contains(first) {
                return Resolved::Paths(vec![self.join_item(&b.item_prefix, first, rest)]);
            }
            if let Some(raw) = b.uses.get(first) {
                let mi = self.mods.len().saturating_sub(1);
                let r = self.resolve_use(raw, rest, mi, depth + 1);
                return self.with_alternatives(r, b.alt_uses.get(first), rest, mi, depth);
            }
        }
        let mi = self.mods.len().saturating_sub(1);
        let in_module = if depth == 0 && first != "Self" {
            let memo = self.module_memo.borrow().get(segs).cloned();
            memo.unwrap_or_else(|| {
                let r = self.resolve_in_module(mi, segs, depth);
                self.module_memo
                    .borrow_mut()
                    .insert(segs.to_vec(), r.clone());
                r
            })
        } else {
            self.resolve_in_module(mi, segs, depth)
        };
        if let Some(r) = in_module {
            return r;
        }
        let memoize = depth == 0 && self.blocks.iter().all(|b| b.globs.is_empty());
        if memoize && let Some(r) = self.glob_memo.borrow().get(segs) {
            return r.clone();
        }
        let r = self.resolve_by_globs(segs, mi, depth);
        if memoize {
            self.glob_memo.borrow_mut().insert(segs.to_vec(), r.clone());
        }
        r
    }

    /// The glob and prelude stage of [`Self::resolve_depth`], for a path that no block and not
    /// the module's own items and imports name.
    fn resolve_by_globs(&self, segs: &[String], mi: usize, depth: usize) -> Resolved {
        let first = segs[0].as_str();
        let rest = &segs[1..];
        // Glob imports, innermost block first, then the module's (borrowed, not cloned: this
        // runs for most paths).
        let block_globs = self.blocks.iter().rev().flat_map(|b| b.globs.iter());
        let module_globs = self
            .mods
            .last()
            .into_iter()
            .flat_map(|m| m.scope.globs.iter());
        let globs: Vec<(&Vec<String>, usize)> =
            block_globs.chain(module_globs).map(|g| (g, mi)).collect();
        if !globs.is_empty() {
            let mut cands = Vec::new();
            for (g, mi) in globs {
                // `use super::*` of an inline parent module: resolve there directly.
                let mut raw: Vec<String> = g.clone();
                raw.extend(segs.iter().cloned());
                if let Resolved::Paths(p) = self.resolve_use(&raw, &[], mi, depth + 1) {
                    cands.extend(p);
                }
            }
            if let Some((_, p)) = PRELUDE.iter().find(|(n, _)| *n == first) {
                cands.push(self.join(p, rest));
            } else {
                cands.push(self.finish(segs.join("::")));
            }
            cands.dedup();
            return Resolved::Paths(cands);
        }
        if let Some((_, p)) = PRELUDE.iter().find(|(n, _)| *n == first) {
            return Resolved::Paths(vec![self.join(p, rest)]);
        }
        Resolved::Paths(vec![self.finish(segs.join("::"))])
    }

    /// Resolves `segs` by the items and imports of module scope `mi` (no globs).
    fn resolve_in_module(&self, mi: usize, segs: &[String], depth: usize) -> Option<Resolved> {
        if depth > MAX_RESOLVE_DEPTH || segs.is_empty() || !self.step() {
            return None;
        }
        let m = self.mods.get(mi)?;
        let first = segs[0].as_str();
        let rest = &segs[1..];
        match first {
            "crate" | "$crate" => {
                return Some(self.resolve_from(self.crate_root.clone(), rest, depth));
            }
            "self" => return Some(self.resolve_from(m.path.clone(), rest, depth)),
            "super" => {
                let mut path = m.path.clone();
                let mut rest = segs;
                while rest.first().map(String::as_str) == Some("super") {
                    if let Some(i) = path.rfind("::") {
                        path.truncate(i);
                    }
                    rest = &rest[1..];
                }
                return Some(self.resolve_from(path, rest, depth));
            }
            "Self" => {
                if let Some(t) = &self.impl_ty {
                    return Some(Resolved::Paths(vec![self.join(t, rest)]));
                }
            }
            _ => {}
        }
        if m.scope.items.contains(first) {
            return Some(Resolved::Paths(vec![self.join_item(
                &m.scope.item_prefix,
                first,
                rest,
            )]));
        }
        if let Some(raw) = m.scope.uses.get(first) {
            let r = self.resolve_use(raw, rest, mi, depth + 1);
            return Some(self.with_alternatives(r, m.scope.alt_uses.get(first), rest, mi, depth));
        }
        None
    }

    /// Adds the candidates of alternative imports of the same name.
    fn with_alternatives(
        &self,
        r: Resolved,
        alts: Option<&Vec<Vec<String>>>,
        rest: &[String],
        mi: usize,
        depth: usize,
    ) -> Resolved {
        match (r, alts) {
            (Resolved::Paths(mut p), Some(alts)) => {
                for raw in alts {
                    if let Resolved::Paths(more) = self.resolve_use(raw, rest, mi, depth + 1) {
                        p.extend(more);
                    }
                }
                p.dedup();
                Resolved::Paths(p)
            }
            (r, _) => r,
        }
    }

    /// Resolves `rest` relative to the module at canonical path `module`: through that module's
    /// items and imports when it is in this file, else by joining.
    fn resolve_from(&self, module: String, rest: &[String], depth: usize) -> Resolved {
        if !rest.is_empty()
            && let Some(mi) = self.mods.iter().rposition(|m| m.path == module)
            && let Some(r) = self.resolve_in_module(mi, rest, depth + 1)
        {
            return r;
        }
        Resolved::Paths(vec![self.join(&module, rest)])
    }

    /// Resolves an import's raw path (declared in module scope `mi`), then appends `rest`.
    fn resolve_use(&self, raw: &[String], rest: &[String], mi: usize, depth: usize) -> Resolved {
        let mut full: Vec<String> = raw.to_vec();
        full.extend(rest.iter().cloned());
        if depth > MAX_RESOLVE_DEPTH || !self.step() {
            // An import cycle (`use super::x` at a crate root, `use a as b; use b as a`).
            return Resolved::Paths(vec![self.finish(full.join("::"))]);
        }
        if full.is_empty() {
            return Resolved::Paths(Vec::new());
        }
        if full[0].is_empty() {
            return Resolved::Paths(vec![self.finish(full[1..].join("::"))]);
        }
        // `use super::*` inside an inline module resolves in the parent's scope when we have it.
        if full[0] == "super" && mi > 0 {
            let parent = &self.mods[mi - 1];
            let own = &self.mods[mi];
            if crate::kb::split_last_segment(&own.path).map(|(p, _)| p)
                == Some(parent.path.as_str())
                && full.len() > 1
                && let Some(r) = self.resolve_in_module(mi - 1, &full[1..], depth + 1)
            {
                return r;
            }
        }
        // Uniform paths: an import may start with a local item or another import, but not
        // with itself (`use tokio;` style re-imports of a crate name).
        if let Some(m) = self.mods.get(mi) {
            let first = full[0].as_str();
            if matches!(first, "crate" | "$crate" | "self" | "super" | "Self") {
                if let Some(r) = self.resolve_in_module(mi, &full, depth + 1) {
                    return r;
                }
            } else if m.scope.items.contains(first) {
                return Resolved::Paths(vec![self.join_item(
                    &m.scope.item_prefix,
                    first,
                    &full[1..],
                )]);
            } else if let Some(raw2) = m.scope.uses.get(first)
                && raw2.first().map(String::as_str) != Some(first)
            {
                return self.resolve_use(raw2, &full[1..], mi, depth + 1);
            }
        }
        Resolved::Paths(vec![self.finish(full.join("::"))])
    }

    fn join(&self, base: &str, rest: &[String]) -> String {
        if rest.is_empty() {
            self.finish(base.to_string())
        } else {
            self.finish(format!("{base}::{}", rest.join("::")))
        }
    }

    /// `prefix::name::rest..`, normalised: the path of a local item and what follows it.
    fn join_item(&self, prefix: &str, name: &str, rest: &[String]) -> String {
        let len = prefix.len() + 2 + name.len() + rest.iter().map(|r| r.len() + 2).sum::<usize>();
        let mut path = String::with_capacity(len);
        path.push_str(prefix);
        path.push_str("::");
        path.push_str(name);
        for r in rest {
            path.push_str("::");
            path.push_str(r);
        }
        self.finish(path)
    }

    fn finish(&self, path: String) -> String {
        self.kb.normalize_owned(path)
    }

    pub(super) fn resolve_paths(&self, path: &syn::Path) -> Option<Vec<String>> {
        match self.resolve(&path_segments(path)) {
            Resolved::Paths(p) if !p.is_empty() => Some(p),
            _ => None,
        }
    }
    /// The type evidence of a local binding in scope (items and imports of the same name in
    /// a nearer block hide it).
    pub(super) fn local_ty(&self, name: &str) -> Option<Ty> {
        for b in self.blocks[self.fn_base..].iter().rev() {
            if let Some(ty) = b.locals.get(name) {
                return Some(ty.clone());
            }
            if b.items.contains(name) || b.uses.contains_key(name) {
                return None;
            }
        }
        None
    }

    /// Whether `name` names an item in scope (an item or import of a block or of the module,
    /// or the prelude's `None`): an identifier pattern of that name, when it may be a constant
    /// ([`super::shapes::may_name_a_constant`]), matches that item and binds nothing. Glob
    /// imports are not searched: the name is then taken as a binding.
    pub(super) fn names_item(&self, name: &str) -> bool {
        let declared = |s: &Scope| s.items.contains(name) || s.uses.contains_key(name);
        name == "None"
            || self.blocks.iter().any(declared)
            || self.mods.last().is_some_and(|m| declared(&m.scope))
    }

    pub(super) fn add_local(&mut self, name: String, ty: Ty) {
        if let Some(b) = self.blocks.last_mut() {
            b.locals.insert(name, ty);
        }
    }
}

#[cfg(test)]
#[path = "scope_tests.rs"]
mod tests;
