//! The knowledge base: the data in the top-level `lints/` folder, embedded at build time.
//!
//! Code asks questions ("does `std::fs::read` block?", "what does `File::open` return?"); the
//! answers and their citations live in the TOML files, never in code. It hands on [`Kb`] to the
//! walker, the crate index, the lints and the configuration (which adds to it), and
//! [`clippy_equivalent`] / [`allows_dropped_statements`] (clippy and rustc lints that mean the
//! same as ours) to the walker.

use crate::util::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::OnceLock;

mod entries;
mod paths;
#[cfg(test)]
mod tests;

pub use entries::*;
pub use paths::{first_segment, last_segment, split_last_segment};

/// The lint that reports futures dropped unpolled (named here for the allows that stand for it).
pub const UNAWAITED_FUTURE: &str = "unawaited_future";
/// The lint of `!Send` values (`lints/held.toml` entries of it are `Send`-only matters).
pub const NON_SEND_LINT: &str = "non_send_across_await";

/// Our lints that a clippy lint name stands for: clippy's `#[allow]` / `#[expect]` of it on an
/// item or a statement silences ours there (the walker records such allows, suppressions apply
/// them).
pub fn clippy_equivalent(clippy: &str) -> Option<&'static str> {
    match clippy {
        "await_holding_lock" => Some("lock_across_await"),
        "await_holding_refcell_ref" => Some("refcell_across_await"),
        // `let _ = future;` on purpose (clippy's default-on suspicious lint).
        "let_underscore_future" => Some(UNAWAITED_FUTURE),
        // A future that is meant to be `!Send` (clippy's nursery lint).
        "future_not_send" => Some("non_send_across_await"),
        _ => None,
    }
}

/// Whether allowing this rustc lint (or lint group) means that values dropped as expression
/// statements are dropped on purpose: `unused_must_use` warns about `fut();` because `Future`
/// is `#[must_use]` ("futures do nothing unless you `.await` or poll them",
/// library/core/src/future/future.rs), and it is in the `unused` group. It says nothing about
/// `let _ = fut;` or `drop(fut)`, which it never warns about, so only [`UNAWAITED_FUTURE`]'s
/// statement findings are silenced by it.
pub fn allows_dropped_statements(rustc: &str) -> bool {
    matches!(rustc, "unused_must_use" | "unused")
}

/// The loaded knowledge base.
#[derive(Clone, Debug, Default)]
pub struct Kb {
    pub blocking: ApiTable,
    pub block_on: ApiTable,
    /// Calls that panic on a current_thread runtime (`block_in_place`).
    pub current_thread_panic: ApiTable,
    runtime_entries: Vec<RuntimeEntry>,
    /// blocking.toml `[[fix_runtime]]`.
    fix_runtimes: Vec<FixRuntime>,
    /// Last segments of the blocking functions that have a fix (the walker notes what is alive
    /// at calls of these names).
    fixable_names: HashSet<String>,
    current_thread_ctors: HashSet<String>,
    returns_fn: HashMap<String, Returns>,
    returns_method: HashMap<(String, String), Returns>,
    /// Types that deref to another (dependency summaries): type -> (target, its own methods).
    derefs: HashMap<String, (String, HashSet<String>)>,
    aliases: Vec<(String, String)>,
    /// First segments of alias sources, to skip the alias scan for most paths.
    alias_roots: HashSet<String>,
    /// Every method name any table mentions.
    method_names: HashSet<String>,
    held: Vec<HeldEntry>,
    held_by_type: HashMap<String, usize>,
    not_sync: Vec<NotSyncEntry>,
    /// Method names and function paths that may produce a held type (or a smart pointer to
    /// one), so the walker only tracks calls that can matter.
    held_producer_methods: HashSet<String>,
    held_producer_fns: HashSet<String>,
    future_fns: HashSet<String>,
    future_methods: HashSet<(String, String)>,
    future_method_names: HashSet<String>,
    /// The entries of the three sets above whose future is lazy (`lazy = true`).
    lazy_future_fns: HashSet<String>,
    lazy_future_methods: HashSet<(String, String)>,
    lazy_future_method_names: HashSet<String>,
    spawn_fns: HashSet<String>,
    /// Handle types that detach their task when dropped (futures.toml `[[detaching_handle]]`).
    detaching_handles: HashSet<String>,
    /// Types (or functions) whose detaching handles are meant to be dropped.
    intended_detach: HashSet<String>,
    /// Method names std or most libraries define as sync (see `lints/futures.toml`).
    common_sync_names: HashSet<String>,
    /// (receiver type, method) pairs that spawn a detached task.
    spawn_methods: HashSet<(String, String)>,
    cancel: Vec<CancelEntry>,
    /// Method name -> index into `cancel` of its not-cancel-safe family.
    not_cancel_safe_methods: HashMap<String, usize>,
    not_cancel_safe_fns: HashMap<String, usize>,
    /// (type, method) -> not-cancel-safe family, for names that are fine on other types.
    not_cancel_safe_typed: HashMap<(String, String), usize>,
    /// (type, method) pairs documented cancel-safe although the name is not in general.
    cancel_safe_methods: HashSet<(String, String)>,
    island_fns: HashMap<String, ()>,
    /// The paths of `island_fns`, sorted: those under a module are one range
    /// ([`Kb::island_fns_under`], asked for each re-export a summary reads).
    island_fns_sorted: std::collections::BTreeSet<String>,
    island_methods: HashMap<String, ()>,
    /// Calls that run their closure arguments in place (islands.toml `[[in_place]]`).
    in_place_fns: HashSet<String>,
    in_place_methods: HashSet<String>,
    /// Methods whose closure runs at most once for their receiver (islands.toml `[[once]]`).
    once_methods: HashSet<String>,
    /// Types whose methods are not blocking whatever their code calls (blocking.toml
    /// `[[not_blocking]]`).
    not_blocking_types: HashSet<String>,
    chain_methods: HashMap<String, ()>,
    /// Calls whose future argument must be `Send` (futures.toml `[[send_required]]`).
    pub send_required: SendTable,
    /// Calls that run their future where `Send` is not required (`[[send_not_required]]`).
    pub send_not_required: SendTable,
    /// Calls whose result holds their future argument (`[[future_wrapper]]`).
    pub future_wrappers: SendTable,
    /// The last segments and method names of the three tables above: the calls whose future
    /// arguments the walker notes.
    takes_future_names: HashSet<String>,
}

pub const BLOCKING_TOML: &str = include_str!("../../lints/blocking.toml");
pub const BLOCK_ON_TOML: &str = include_str!("../../lints/block_on.toml");
pub const TYPES_TOML: &str = include_str!("../../lints/types.toml");
pub const ISLANDS_TOML: &str = include_str!("../../lints/islands.toml");
pub const HELD_TOML: &str = include_str!("../../lints/held.toml");
pub const FUTURES_TOML: &str = include_str!("../../lints/futures.toml");
pub const CANCEL_TOML: &str = include_str!("../../lints/cancel.toml");
/// Every file of the built-in knowledge base.
pub const EMBEDDED_TOML: [&str; 7] = [
    BLOCKING_TOML,
    BLOCK_ON_TOML,
    TYPES_TOML,
    ISLANDS_TOML,
    HELD_TOML,
    FUTURES_TOML,
    CANCEL_TOML,
];

impl Kb {
    /// The built-in knowledge base (parsed once per process).
    pub fn builtin() -> &'static Kb {
        static KB: OnceLock<Kb> = OnceLock::new();
        KB.get_or_init(|| Kb::from_sources().expect("the embedded knowledge base is valid"))
    }

    /// Parses the embedded files. `tests/kb.rs` checks this succeeds.
    pub fn from_sources() -> Result<Kb, String> {
        let mut kb = Kb::default();
        let blocking: ApiFile =
            toml::from_str(BLOCKING_TOML).map_err(|e| format!("lints/blocking.toml: {e}"))?;
        let block_on: ApiFile =
            toml::from_str(BLOCK_ON_TOML).map_err(|e| format!("lints/block_on.toml: {e}"))?;
        let types: TypesFile =
            toml::from_str(TYPES_TOML).map_err(|e| format!("lints/types.toml: {e}"))?;
        let islands: IslandsFile =
            toml::from_str(ISLANDS_TOML).map_err(|e| format!("lints/islands.toml: {e}"))?;
        let held: HeldFile =
            toml::from_str(HELD_TOML).map_err(|e| format!("lints/held.toml: {e}"))?;
        let cancel: CancelFile =
            toml::from_str(CANCEL_TOML).map_err(|e| format!("lints/cancel.toml: {e}"))?;
        for e in cancel
            .not_cancel_safe
            .into_iter()
            .chain(cancel.not_cancel_safe_fn)
        {
            if e.source.trim().is_empty() || e.lost.is_none() || e.fix.is_none() {
                return Err(format!(
                    "lints/cancel.toml: an entry lacks source, lost or fix: {e:?}"
                ));
            }
            let i = kb.cancel.len();
            for m in &e.methods {
                match &e.ty {
                    Some(ty) => {
                        kb.not_cancel_safe_typed.insert((ty.clone(), m.clone()), i);
                    }
                    None => {
                        kb.not_cancel_safe_methods.entry(m.clone()).or_insert(i);
                    }
                }
            }
            for p in &e.paths {
                kb.not_cancel_safe_fns.entry(p.clone()).or_insert(i);
            }
            kb.cancel.push(e);
        }
        for e in cancel.cancel_safe_method {
            if let Some(ty) = &e.ty {
                for m in &e.methods {
                    kb.cancel_safe_methods.insert((ty.clone(), m.clone()));
                }
            }
        }
        // `cancel_safe` and `queue_only` document what is never reported; nothing to index.
        let _ = (cancel.cancel_safe, cancel.queue_only);
        let futures: FuturesFile =
            toml::from_str(FUTURES_TOML).map_err(|e| format!("lints/futures.toml: {e}"))?;
        let all = futures.future_fn.iter().chain(&futures.future_method);
        let all = all.chain(&futures.future_method_name).chain(&futures.spawn);
        let all = all
            .chain(&futures.detaching_handle)
            .chain(&futures.intended_detach);
        let all = all.chain(&futures.common_sync_names);
        if let Some(f) = all.into_iter().find(|f| f.source.trim().is_empty()) {
            return Err(format!(
                "lints/futures.toml: an entry has no `source`: {f:?}"
            ));
        }
        let future_tables = futures.future_fn.iter().chain(&futures.future_method);
        let future_tables = future_tables.chain(&futures.future_method_name);
        if let Some(f) = future_tables.into_iter().find(|f| f.lazy.is_none()) {
            return Err(format!(
                "lints/futures.toml: a future entry does not say whether it is `lazy`: {f:?}"
            ));
        }
        if let Some(f) = (futures.spawn.iter().chain(&futures.common_sync_names))
            .chain(&futures.detaching_handle)
            .find(|f| f.lazy.is_some())
        {
            return Err(format!(
                "lints/futures.toml: `lazy` is for [[future_*]] entries only: {f:?}"
            ));
        }
        let send = futures.send_required.iter();
        let send = send
            .chain(&futures.send_not_required)
            .chain(&futures.future_wrapper);
        if let Some(f) = send.into_iter().find(|f| f.source.trim().is_empty()) {
            return Err(format!(
                "lints/futures.toml: an entry has no `source`: {f:?}"
            ));
        }
        for (table, entries) in [
            (&mut kb.send_required, futures.send_required),
            (&mut kb.send_not_required, futures.send_not_required),
            (&mut kb.future_wrappers, futures.future_wrapper),
        ] {
            for e in entries {
                // Typed methods need their receiver resolved by the crate index.
                if !e.types.is_empty() {
                    kb.method_names.extend(e.methods.iter().cloned());
                }
                table.add(e);
            }
        }
        let names: HashSet<String> = [
            &kb.send_required,
            &kb.send_not_required,
            &kb.future_wrappers,
        ]
        .into_iter()
        .flat_map(|t| t.names().map(str::to_string).collect::<Vec<_>>())
        .collect();
        kb.takes_future_names = names;
        for f in futures.future_fn {
            if f.lazy == Some(true) {
                kb.lazy_future_fns.extend(f.paths.iter().cloned());
            }
            kb.future_fns.extend(f.paths);
        }
        for f in futures.future_method {
            let ty =
                f.ty.ok_or("lints/futures.toml: [[future_method]] needs a `type`")?;
            for m in f.methods {
                kb.method_names.insert(m.clone());
                if f.lazy == Some(true) {
                    kb.lazy_future_methods.insert((ty.clone(), m.clone()));
                }
                kb.future_methods.insert((ty.clone(), m));
            }
        }
        for f in futures.future_method_name {
            kb.method_names.extend(f.methods.iter().cloned());
            if f.lazy == Some(true) {
                kb.lazy_future_method_names
                    .extend(f.methods.iter().cloned());
            }
            kb.future_method_names.extend(f.methods);
        }
        for f in futures.common_sync_names {
            kb.common_sync_names.extend(f.methods);
        }
        for f in futures.detaching_handle {
            kb.detaching_handles.extend(f.types);
        }
        for f in futures.intended_detach {
            kb.intended_detach.extend(f.types);
            kb.intended_detach.extend(f.paths);
        }
        for f in futures.spawn {
            kb.spawn_fns.extend(f.paths);
            for t in &f.types {
                for m in &f.methods {
                    kb.method_names.insert(m.clone());
                    kb.spawn_methods.insert((t.clone(), m.clone()));
                }
            }
        }
        for e in held.not_sync {
            if e.source.trim().is_empty() {
                return Err(format!(
                    "lints/held.toml: [[not_sync]] without a `source`: {e:?}"
                ));
            }
            kb.not_sync.push(e);
        }
        for h in held.held {
            for t in &h.types {
                kb.held_by_type.insert(t.clone(), kb.held.len());
            }
            kb.held.push(h);
        }
        for a in types.alias {
            kb.alias_roots.insert(first_segment(&a.from).to_string());
            kb.aliases.push((a.from, a.to));
        }
        // Longest prefixes first so the most specific alias wins.
        kb.aliases
            .sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        if let Some(r) = blocking
            .fix_runtime
            .iter()
            .find(|r| r.source.trim().is_empty())
        {
            return Err(format!(
                "lints/blocking.toml: a [[fix_runtime]] has no source: {r:?}"
            ));
        }
        kb.fix_runtimes = blocking.fix_runtime;
        for e in blocking.function.into_iter().chain(blocking.method) {
            if let Some(lint) = e.lint.as_deref().filter(|l| *l != FS_METADATA_LINT) {
                return Err(format!(
                    "lints/blocking.toml: `lint = \"{lint}\"`: only \"{FS_METADATA_LINT}\" may be set (the default is blocking_in_async)"
                ));
            }
            for f in &e.fix {
                let Some(rt) = kb.fix_runtimes.iter().find(|r| r.package == f.runtime) else {
                    return Err(format!(
                        "lints/blocking.toml: a fix names runtime `{}`, which has no [[fix_runtime]]",
                        f.runtime
                    ));
                };
                if first_segment(&f.path) != rt.package.replace('-', "_") {
                    return Err(format!(
                        "lints/blocking.toml: fix path `{}` does not start with the crate of `{}`",
                        f.path, f.runtime
                    ));
                }
                if e.ty.is_some() || e.paths.is_empty() {
                    return Err(format!(
                        "lints/blocking.toml: only [[function]] entries may have a fix: {e:?}"
                    ));
                }
                kb.fixable_names
                    .extend(e.paths.iter().map(|p| last_segment(p).to_string()));
            }
            kb.blocking.add(e, false);
        }
        for e in blocking.not_blocking {
            if e.source.trim().is_empty() || e.types.is_empty() {
                return Err(format!(
                    "lints/blocking.toml: a [[not_blocking]] lacks types or source: {e:?}"
                ));
            }
            kb.not_blocking_types.extend(e.types);
        }
        if !block_on.not_blocking.is_empty() {
            return Err(
                "lints/block_on.toml: [[not_blocking]] is only allowed in blocking.toml".into(),
            );
        }
        if !blocking.method_name.is_empty()
            || !blocking.current_thread_panic.is_empty()
            || !blocking.runtime_entry.is_empty()
            || !blocking.current_thread_runtime.is_empty()
        {
            return Err(
                "lints/blocking.toml: [[method_name]], [[current_thread_panic]], \
                 [[runtime_entry]] and [[current_thread_runtime]] are only allowed in block_on.toml"
                    .into(),
            );
        }
        if block_on
            .function
            .iter()
            .chain(&block_on.method)
            .chain(&block_on.method_name)
            .any(|e| e.lint.is_some())
        {
            return Err("lints/block_on.toml: `lint` is only allowed in blocking.toml".into());
        }
        for e in block_on.function.into_iter().chain(block_on.method) {
            kb.block_on.add(e, false);
        }
        for e in block_on.method_name {
            kb.block_on.add(e, true);
        }
        for e in block_on.current_thread_panic {
            if e.lint.is_some() || !e.methods.is_empty() {
                return Err(
                    "lints/block_on.toml: [[current_thread_panic]] takes `paths` only".into(),
                );
            }
            kb.current_thread_panic.add(e, false);
        }
        if let Some(e) = block_on
            .runtime_entry
            .iter()
            .find(|e| e.source.trim().is_empty() || e.attributes.is_empty())
        {
            return Err(format!(
                "lints/block_on.toml: a [[runtime_entry]] lacks attributes or source: {e:?}"
            ));
        }
        kb.runtime_entries = block_on.runtime_entry;
        for e in block_on.current_thread_runtime {
            if e.source.trim().is_empty() {
                return Err(format!(
                    "lints/block_on.toml: a [[current_thread_runtime]] has no source: {e:?}"
                ));
            }
            kb.current_thread_ctors.extend(e.paths);
        }
        for r in types.returns {
            for p in &r.paths {
                kb.returns_fn.insert(p.clone(), r.returns.clone());
            }
            if let Some(ty) = &r.ty {
                for m in &r.methods {
                    kb.returns_method
                        .insert((ty.clone(), m.clone()), r.returns.clone());
                }
            }
        }
        for t in [&kb.blocking, &kb.block_on] {
            for e in t.entries() {
                kb.method_names.extend(e.methods.iter().cloned());
            }
        }
        kb.method_names
            .extend(kb.returns_method.keys().map(|(_, m)| m.clone()));
        let produces_held = |r: &Returns| match r {
            Returns::One(t) => kb.held_by_type.contains_key(t),
            Returns::Tuple(v) => v.iter().any(|t| kb.held_by_type.contains_key(t)),
        };
        let methods: Vec<String> = kb
            .returns_method
            .iter()
            .filter(|(_, r)| produces_held(r))
            .map(|((_, m), _)| m.clone())
            .collect();
        let fns: Vec<String> = kb
            .returns_fn
            .iter()
            .filter(|(_, r)| produces_held(r))
            .map(|(p, _)| p.clone())
            .collect();
        kb.held_producer_methods.extend(methods);
        kb.held_producer_fns.extend(fns);
        for i in islands.island {
            for p in i.paths {
                kb.island_fns_sorted.insert(p.clone());
                kb.island_fns.insert(p, ());
            }
            for m in i.methods {
                kb.island_methods.insert(m, ());
            }
            for m in i.chain_methods {
                kb.chain_methods.insert(m, ());
            }
        }
        for e in islands.in_place {
            kb.in_place_fns.extend(e.paths);
            kb.in_place_methods.extend(e.methods);
        }
        for e in islands.once {
            if e.source.trim().is_empty() || !e.paths.is_empty() {
                return Err(format!(
                    "lints/islands.toml: a [[once]] entry lists `methods` only, and needs a `source`: {e:?}"
                ));
            }
            kb.once_methods.extend(e.methods);
        }
        Ok(kb)
    }

    /// Folds `core::`/`alloc::` into `std::` and applies the alias table.
    pub fn normalize(&self, path: &str) -> String {
        self.normalize_owned(path.to_string())
    }

    /// [`Kb::normalize`] without copying a path that needs no change (the common case).
    pub fn normalize_owned(&self, path: String) -> String {
        let first = first_segment(&path);
        if first != "core" && first != "alloc" && !self.alias_roots.contains(first) {
            return path;
        }
        let mut p = if let Some(rest) = path.strip_prefix("core::") {
            format!("std::{rest}")
        } else if let Some(rest) = path.strip_prefix("alloc::") {
            format!("std::{rest}")
        } else {
            path
        };
        for (from, to) in &self.aliases {
            if p == *from {
                p = to.clone();
                break;
            }
            if let Some(rest) = p.strip_prefix(from.as_str())
                && rest.starts_with("::")
            {
                p = format!("{to}{rest}");
                break;
            }
        }
        p
    }

    /// Whether a call whose path ends in `last` could get a fix (looked up by identifier,
    /// without allocating a `String`: the walker asks at every call in async code).
    pub fn may_be_fixed(&self, last: &proc_macro2::Ident) -> bool {
        self.fixable_names.iter().any(|n| last == n)
    }

    /// The path that replaces the blocking function of `entry` (named `name`) in code that
    /// depends on `deps` (dev-dependencies too when `dev`): the fix of the one runtime the
    /// package depends on unconditionally, when that runtime has one and its features are on,
    /// with the crate named as the package names it. None otherwise (no runtime, several
    /// runtimes, a runtime behind a feature or a target, a feature missing).
    pub fn fix_for(
        &self,
        entry: &ApiEntry,
        name: &str,
        deps: &[crate::workspace::deps::Dep],
        dev: bool,
    ) -> Option<String> {
        use crate::workspace::deps::DepKind;
        if entry.fix.is_empty() {
            return None;
        }
        let usable = |k: DepKind| k == DepKind::Normal || (dev && k == DepKind::Dev);
        let mut runtimes = deps
            .iter()
            .filter(|d| usable(d.kind))
            .filter_map(|d| self.fix_runtimes.iter().find(|r| r.package == d.package));
        let rt = runtimes.next()?;
        if runtimes.any(|r| r.package != rt.package) {
            return None;
        }
        let decls: Vec<_> = deps
            .iter()
            .filter(|d| usable(d.kind) && d.package == rt.package && !d.conditional)
            .collect();
        let first = decls.first()?;
        // The same name everywhere it is declared, or the code may not see it under one.
        if decls.iter().any(|d| d.name != first.name) {
            return None;
        }
        let mut on: Vec<&str> = decls
            .iter()
            .flat_map(|d| d.features.iter().map(String::as_str))
            .collect();
        if decls.iter().any(|d| d.default_features) {
            on.extend(rt.default.iter().map(String::as_str));
        }
        let mut i = 0;
        while i < on.len() {
            if let Some(more) = rt.implies.get(on[i]) {
                for m in more {
                    if !on.contains(&m.as_str()) {
                        on.push(m);
                    }
                }
            }
            i += 1;
        }
        let fix = entry.fix.iter().find(|f| {
            f.runtime == rt.package && f.features.iter().all(|x| on.contains(&x.as_str()))
        })?;
        let path = fix.path.replace("{name}", name);
        let krate = rt.package.replace('-', "_");
        let rest = path.strip_prefix(krate.as_str())?;
        Some(format!("{}{rest}", first.name))
    }

    /// Whether an entry attribute (its path as written, `tokio::test`) with this `flavor`
    /// argument runs the fn on a current_thread runtime: None when the attribute is not a known
    /// runtime entry or an argument makes its runtime unknown.
    pub fn entry_is_current_thread(
        &self,
        attribute: &str,
        flavor: Option<&str>,
        args: &[String],
    ) -> Option<bool> {
        let attribute = attribute.trim_start_matches("::");
        let e = self
            .runtime_entries
            .iter()
            .find(|e| e.attributes.iter().any(|a| a == attribute))?;
        if args.iter().any(|a| e.unknown_with.contains(a)) {
            return None;
        }
        let flavor = flavor.unwrap_or(&e.default_flavor);
        Some(e.current_thread_flavors.iter().any(|f| f == flavor))
    }

    /// Whether the knowledge base says `ty`'s methods never block (`[[not_blocking]]`), so a
    /// dependency summary must not say they do.
    pub fn is_not_blocking_type(&self, ty: &str) -> bool {
        self.not_blocking_types.contains(ty)
    }

    /// Whether calling this function path builds a current_thread runtime (builder).
    pub fn is_current_thread_ctor(&self, path: &str) -> bool {
        self.current_thread_ctors.contains(path)
    }

    /// Adds what a function returns (a dependency summary's fact); what is known wins.
    pub fn add_returns_fn(&mut self, path: String, ty: String) {
        if self.held_by_type.contains_key(&ty) {
            self.held_producer_fns.insert(path.clone());
        }
        self.returns_fn.entry(path).or_insert(Returns::One(ty));
    }

    /// Adds what a method of a type returns (a dependency summary's fact); what is known wins.
    pub fn add_returns_method(&mut self, ty: String, method: String, ret: String) {
        if self.held_by_type.contains_key(&ret) {
            self.held_producer_methods.insert(method.clone());
        }
        self.method_names.insert(method.clone());
        self.returns_method
            .entry((ty, method))
            .or_insert(Returns::One(ret));
    }

    /// Adds a type that derefs to `target` (a dependency summary's fact): a method call that
    /// the type does not have itself (`own` lists the methods it has) reaches the target's.
    pub fn add_deref(&mut self, ty: String, target: String, own: Vec<String>) {
        self.derefs
            .entry(ty)
            .or_insert_with(|| (target, own.into_iter().collect()));
    }

    /// Whether a dependency's summary says `ty` derefs to another type.
    pub fn has_deref(&self, ty: &str) -> bool {
        self.derefs.contains_key(ty)
    }

    /// The type a value of `ty` derefs to for a call of method `name`, when `ty` is known to
    /// deref and has no method of that name itself.
    pub fn deref_for_method(&self, ty: &str, name: &str) -> Option<&str> {
        let (target, own) = self.derefs.get(ty)?;
        (!own.contains(name)).then_some(target.as_str())
    }

    /// Adds a function whose future argument must be `Send`: a dependency's spawn wrapper,
    /// declared so (a dependency summary's fact).
    pub fn add_send_required_fn(&mut self, path: String) {
        if self.send_not_required.function(&path) {
            return;
        }
        if let Some(last) = path.rsplit("::").next() {
            self.takes_future_names.insert(last.to_string());
        }
        self.send_required.add_fn(path);
    }

    /// Adds a method whose future argument must be `Send` (a dependency summary's fact).
    pub fn add_send_required_method(&mut self, ty: String, method: String) {
        if self.send_not_required.method(Some(&ty), &method) {
            return;
        }
        self.takes_future_names.insert(method.clone());
        self.method_names.insert(method.clone());
        self.send_required.add_method(ty, method);
    }

    pub fn returns_of_fn(&self, path: &str) -> Option<&Returns> {
        self.returns_fn.get(path)
    }

    pub fn returns_of_method(&self, ty: &str, method: &str) -> Option<&Returns> {
        self.returns_method
            .get(&(ty.to_string(), method.to_string()))
    }

    /// Adds an API that enters a runtime (a dependency summary's fact).
    pub fn add_block_on(&mut self, e: ApiEntry) {
        self.method_names.extend(e.methods.iter().cloned());
        self.block_on.add(e, false);
    }

    /// Adds a blocking API (from a user's configuration).
    pub fn add_blocking(&mut self, e: ApiEntry) {
        self.method_names.extend(e.methods.iter().cloned());
        self.blocking.add(e, false);
    }

    /// Adds a non-cancel-safe family (from a user's configuration).
    pub fn add_not_cancel_safe(&mut self, e: CancelEntry) {
        if e.ty.is_some() {
            self.method_names.extend(e.methods.iter().cloned());
        }
        let i = self.cancel.len();
        for m in &e.methods {
            match &e.ty {
                Some(ty) => {
                    self.not_cancel_safe_typed
                        .insert((ty.clone(), m.clone()), i);
                }
                None => {
                    self.not_cancel_safe_methods.insert(m.clone(), i);
                }
            }
        }
        for p in &e.paths {
            self.not_cancel_safe_fns.insert(p.clone(), i);
        }
        self.cancel.push(e);
    }

    /// Adds types that must not live across an `.await` (from a user's configuration).
    pub fn add_held(&mut self, e: HeldEntry) {
        for t in &e.types {
            self.held_by_type.insert(t.clone(), self.held.len());
        }
        self.held.push(e);
    }

    /// Adds island functions (from a user's configuration).
    pub fn add_island(&mut self, e: IslandEntry) {
        for p in e.paths {
            self.island_fns_sorted.insert(p.clone());
            self.island_fns.insert(p, ());
        }
        for m in e.methods {
            self.island_methods.insert(m, ());
        }
    }

    /// The held-across-await entry of a canonical type, if it is one.
    pub fn held(&self, ty: &str) -> Option<&HeldEntry> {
        self.held_by_type.get(ty).map(|&i| &self.held[i])
    }
    /// The `[[not_sync]]` entry of a canonical type: `Send` but not `Sync`.
    pub fn not_sync(&self, ty: &str) -> Option<&NotSyncEntry> {
        self.not_sync
            .iter()
            .find(|e| e.types.iter().any(|t| t == ty))
    }

    /// Whether a method of this name may return a held type (the walker's pre-filter).
    pub fn may_produce_held_method(&self, name: &str) -> bool {
        self.held_producer_methods.contains(name)
    }

    /// Whether a function path may return a held type.
    pub fn may_produce_held_fn(&self, path: &str) -> bool {
        self.held_producer_fns.contains(path)
    }

    /// The not-cancel-safe family of a method, unless the receiver type is documented as
    /// cancel-safe for it (`UdpSocket::send`).
    pub fn not_cancel_safe_method(&self, ty: Option<&str>, name: &str) -> Option<&CancelEntry> {
        if let Some(ty) = ty {
            let key = (ty.to_string(), name.to_string());
            if let Some(&i) = self.not_cancel_safe_typed.get(&key) {
                return Some(&self.cancel[i]);
            }
            if self.cancel_safe_methods.contains(&key) {
                return None;
            }
        }
        self.not_cancel_safe_methods
            .get(name)
            .map(|&i| &self.cancel[i])
    }

    /// The not-cancel-safe family of the last step of a chain: a function path, or else the
    /// method named by its last segment.
    pub fn not_cancel_safe_sink(&self, sink: &str) -> Option<&CancelEntry> {
        self.not_cancel_safe_fn(sink)
            .or_else(|| self.not_cancel_safe_method(None, last_segment(sink)))
    }

    pub fn not_cancel_safe_fn(&self, path: &str) -> Option<&CancelEntry> {
        self.not_cancel_safe_fns.get(path).map(|&i| &self.cancel[i])
    }

    /// Whether calling this function path returns a future.
    pub fn is_future_fn(&self, path: &str) -> bool {
        self.future_fns.contains(path)
    }

    /// Whether this method on this receiver type returns a future.
    pub fn is_future_method(&self, ty: &str, name: &str) -> bool {
        self.future_methods
            .contains(&(ty.to_string(), name.to_string()))
    }

    /// Whether calling this function path returns a future that does nothing until polled.
    pub fn is_lazy_future_fn(&self, path: &str) -> bool {
        self.lazy_future_fns.contains(path)
    }

    /// Whether this method on this receiver type returns a future that does nothing until
    /// polled.
    /// Adds a function (with `ty`, a method of that type) whose future is lazy: a dependency
    /// summary's fact.
    pub fn add_lazy_future(&mut self, path: Option<String>, ty: Option<(String, String)>) {
        if let Some(path) = path {
            self.future_fns.insert(path.clone());
            self.lazy_future_fns.insert(path);
        }
        if let Some((ty, name)) = ty {
            self.method_names.insert(name.clone());
            self.future_methods.insert((ty.clone(), name.clone()));
            self.lazy_future_methods.insert((ty, name));
        }
    }

    pub fn is_lazy_future_method(&self, ty: &str, name: &str) -> bool {
        self.lazy_future_methods
            .contains(&(ty.to_string(), name.to_string()))
    }

    /// Whether a method of this name returns a lazy future on any receiver.
    pub fn is_lazy_future_method_name(&self, name: &str) -> bool {
        self.lazy_future_method_names.contains(name)
    }

    /// Whether std or most libraries define a sync method of this name.
    pub fn is_common_sync_name(&self, name: &str) -> bool {
        self.common_sync_names.contains(name)
    }

    /// Whether a method of this name returns a future on any receiver.
    pub fn is_future_method_name(&self, name: &str) -> bool {
        self.future_method_names.contains(name)
    }

    /// Whether this function spawns a task that a dropped handle detaches.
    pub fn is_spawn_fn(&self, path: &str) -> bool {
        self.spawn_fns.contains(path)
    }

    /// Whether a dropped value of this type detaches a task (a tokio `JoinHandle`).
    pub fn is_detaching_handle(&self, ty: &str) -> bool {
        self.detaching_handles.contains(ty)
    }

    /// Whether dropping the handles this type's functions (or this function) return is the
    /// intended use (`TaskTracker::spawn`).
    pub fn detach_intended(&self, path: &str) -> bool {
        self.intended_detach.contains(path)
            || path
                .rsplit_once("::")
                .is_some_and(|(owner, _)| self.intended_detach.contains(owner))
    }

    pub fn is_spawn_method(&self, ty: &str, name: &str) -> bool {
        self.spawn_methods
            .contains(&(ty.to_string(), name.to_string()))
    }

    /// Whether a call of this name (a path's last segment or a method) may take a future whose
    /// `Send` requirement matters (see futures.toml's `Send` tables).
    pub fn takes_future_name(&self, name: &str) -> bool {
        self.takes_future_names.contains(name)
    }

    /// Whether any table mentions this function path.
    pub fn knows_function(&self, path: &str) -> bool {
        self.send_required.function(path)
            || self.send_not_required.function(path)
            || self.future_wrappers.function(path)
            || self.future_fns.contains(path)
            || self.not_cancel_safe_fns.contains_key(path)
            || self.spawn_fns.contains(path)
            || self.blocking.function(path).is_some()
            || self.block_on.function(path).is_some()
            || self.current_thread_panic.function(path).is_some()
            || self.returns_fn.contains_key(path)
            || self.island_fns.contains_key(path)
    }

    /// Whether any table mentions a method of this name (on any type).
    pub fn knows_method_name(&self, name: &str) -> bool {
        self.method_names.contains(name)
    }

    pub fn is_island_fn(&self, path: &str) -> bool {
        self.island_fns.contains_key(path)
    }

    /// The island functions whose path starts with `prefix::`: the rest of their path.
    pub fn island_fns_under(&self, prefix: &str) -> Vec<&str> {
        entries::under(&self.island_fns_sorted, prefix)
            .map(|(_, rest)| rest)
            .collect()
    }

    pub fn is_island_method(&self, name: &str) -> bool {
        self.island_methods.contains_key(name)
    }

    /// Whether a function runs its closure arguments in place (before it returns, or when
    /// the future it returns is polled), so they inherit the caller's async context.
    pub fn runs_closure_in_place_fn(&self, path: &str) -> bool {
        self.in_place_fns.contains(path)
    }

    /// Adds a function that runs its closure arguments in place (a dependency summary's fact).
    pub fn add_in_place_fn(&mut self, path: String) {
        self.in_place_fns.insert(path);
    }

    /// Whether a method of this name (on any receiver) runs its closure arguments in place.
    /// Whether a method of this name runs its closure at most once for its receiver
    /// (`OnceLock::get_or_init`): on a `static`, once per process.
    pub fn runs_closure_once_method(&self, name: &str) -> bool {
        self.once_methods.contains(name)
    }

    pub fn runs_closure_in_place_method(&self, name: &str) -> bool {
        self.in_place_methods.contains(name)
    }

    /// Whether a method name starts a chain island (looked up by identifier,
    /// without allocating a `String`).
    pub fn is_chain_island_ident(&self, ident: &proc_macro2::Ident) -> bool {
        self.chain_methods.keys().any(|m| ident == m)
    }
}
