//! Facts the shared walker extracts from one parse of each file.
//!
//! The AST of a file is dropped as soon as the walker is done with it; everything a lint needs
//! afterwards (including facts that depend on other files, such as which crate function a call
//! reaches and what type a receiver has) is kept here and resolved at crate level by
//! [`crate::analysis::index::CrateIndex`].

use super::source::{FileId, Loc};
use crate::util::fxhash::FxHashMap as HashMap;
use std::sync::Arc;

/// Index of a function in [`CrateFacts::fns`].
pub type FnId = usize;

/// Evidence of a value's type, resolved lazily once the whole crate is indexed. Inner types are
/// shared (`Arc`): each call of a method chain keeps its receiver's type, which would otherwise
/// copy the whole chain before it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    /// A canonical type path (`std::fs::File`, `mycrate::db::Pool`, `str`).
    Path(String),
    Tuple(Vec<Ty>),
    /// The value returned by a call to one of these candidate canonical paths.
    ReturnOf(Vec<String>),
    /// The value returned by method `.1` on a receiver of type `.0`.
    MethodRet(Arc<Ty>, String),
    /// Field `.1` of a value of type `.0`.
    Field(Arc<Ty>, String),
    /// Element `.1` of a tuple-typed value.
    Elem(Arc<Ty>, usize),
    /// A smart pointer (`std::rc::Rc`, `std::sync::Arc`, `std::boxed::Box`, `std::pin::Pin`)
    /// around a value: methods the pointer lacks are looked up on the inner value.
    Wrap(String, Arc<Ty>),
    Unknown,
}

/// What a call expression calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Callee {
    /// A path call `a::b::c(..)`: candidate canonical paths, best first (several only when glob
    /// imports leave it open).
    Path(Vec<String>),
    /// A method call `recv.name(..)`.
    Method { recv: Ty, name: String },
}

/// Where code runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ctx {
    /// Ordinary synchronous code.
    Sync,
    /// Code that runs as part of a future, on an executor thread.
    Async,
    /// Code inside a closure handed to `spawn_blocking`, `std::thread::spawn`, rayon, ...
    Island,
    /// Code inside a closure that runs later, somewhere else: stored (`Provider::new(move ||
    /// ..)`, a field, a `let` never called in the body), returned, or handed to a function not
    /// known to call it in place. Neither the enclosing async body nor the enclosing fn's own
    /// work.
    Deferred,
}

#[derive(Clone, Debug)]
pub struct CallSite {
    pub callee: Callee,
    pub file: FileId,
    /// The callee's path or the method name: where diagnostics point.
    pub loc: Loc,
    /// From the callee to the closing parenthesis, for calls in async context (where fixes
    /// append `.await`); elsewhere the same as `loc`.
    pub expr_loc: Loc,
    pub ctx: Ctx,
    /// The enclosing function item (None in consts and statics).
    pub caller: Option<FnId>,
    /// The call is the operand of `.await`.
    pub awaited: bool,
    /// When this call sits in a closure passed as an argument to another call (with no async
    /// boundary in between): that call's index in [`CrateFacts::calls`].
    pub closure_of: Option<usize>,
    /// Some argument is a bare parameter of the enclosing fn (`spawn_blocking(f)` in a wrapper).
    pub forwards_param: bool,
    /// Inside a sync closure (where `.await` cannot be written, so no fix may add one).
    pub in_sync_closure: bool,
    /// In a closure that runs elsewhere ([`Ctx::Deferred`]) because it was handed to this call,
    /// a function not known to call it in place. The crate index gives such code the context of
    /// that call when it is a crate function that calls its closure parameters.
    pub deferred_to: Option<usize>,
    /// Runs on a runtime known to be current_thread: in the body of an entry fn whose flavor
    /// is current_thread (`#[tokio::test]`), or in an `async` block handed to `block_on` of a
    /// runtime built by `Builder::new_current_thread()` (lints/block_on.toml). Islands inside
    /// such code keep the flag: their calls have [`Ctx::Island`].
    pub on_current_thread: bool,
}

#[derive(Clone, Debug)]
pub struct FnDef {
    /// Canonical path: `mycrate::util::load` or `mycrate::Server::run`.
    pub path: String,
    /// Short display name: `load`, `Server::run`.
    pub name: String,
    pub is_async: bool,
    pub file: FileId,
    pub loc: Loc,
    /// The declared return type (`Self` already replaced by the impl's type).
    pub ret: Ty,
    /// `async fn`, or declared to return a future (`impl Future`, `Pin<Box<dyn Future>>`,
    /// `BoxFuture`, `LocalBoxFuture`).
    pub returns_future: bool,
    /// For a fn that returns a future: whether that future is lazy (does all its work when
    /// polled) or the fn works before handing it back (see [`Laziness`]).
    pub lazy: Laziness,
    /// The first place in the body that puts a descriptor in non-blocking mode
    /// (`O_NONBLOCK`, `SOCK_NONBLOCK`, `set_nonblocking(true)`): I/O on files, sockets and pipes
    /// after it is taken not to block (see `blocking_in_async`'s known problems).
    pub nonblocking_from: Option<Loc>,
    /// The body calls one of the fn's parameters (`f(..)`): closures passed to it run in place.
    pub calls_param: bool,
    /// The fn's future is declared `Send`: where, and how (see [`SendDecl`]).
    pub send_decl: Option<SendDecl>,
    /// Declared in a trait (a default body, or a declaration without one, which has no body
    /// and no calls): a call through the trait reaches some impl, not another type's method of
    /// the same name.
    pub in_trait: bool,
    /// Has a body (false only for a trait method declared without a default).
    pub has_body: bool,
    /// A method of `impl Trait for T`: the trait's path (its candidates after `use`
    /// resolution). Its future must be `Send` when the trait declares the method's return
    /// type `Send` (`-> impl Future<..> + Send`).
    pub impl_of: Option<Vec<String>>,
    /// A future argument must be `Send`, as the signature declares: a parameter of type
    /// `impl Future + Send`, of a generic type bounded by both, or `BoxFuture`, and no future
    /// parameter without `Send` (a spawn wrapper such as `fn spawn<F: Future + Send>(f: F)`).
    pub send_param: bool,
}

/// Whether the future a fn returns does nothing until polled. An `async fn` is lazy; a sync fn
/// returning `impl Future` may do the work itself (send a command, spawn a task) and return a
/// future that only waits for an acknowledgement: dropping that one loses nothing but the wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Laziness {
    /// `async fn`, or a sync fn whose body is only an `async` block (possibly `Box::pin`ned or
    /// `.boxed()`), with no work before it.
    Lazy,
    /// A sync fn whose body is only a call that makes the future (`tokio::time::sleep(d)`,
    /// `Box::pin(fetch(id))`): as lazy as that call's future (an index into
    /// [`CrateFacts::calls`]).
    As(usize),
    /// A call or macro runs before the future is made (`clone()` aside), or the body is of
    /// another shape: the future is not known to be lazy.
    Unknown,
}

/// A declaration that a fn's future must be `Send`.
#[derive(Clone, Debug)]
pub struct SendDecl {
    pub loc: Loc,
    /// What declares it, for messages: "its declared return type is `BoxFuture`".
    pub what: String,
}

/// How a value was thrown away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DropKind {
    /// An expression statement `value;`.
    Statement,
    /// `let _ = value;`
    LetUnderscore,
    /// `drop(value)` / `std::mem::drop(value)`.
    Drop,
    /// `let name = value;` and `name` is never used again.
    UnusedBinding(String),
}

/// What was thrown away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dropped {
    /// The value of call `.0` (an index into [`CrateFacts::calls`]).
    Call(usize),
    /// An `async` block or closure's future.
    AsyncBlock,
}

/// A value created and thrown away without being used (the lints decide from what produced it
/// whether that matters: a future that never runs, a task handle that detaches).
#[derive(Clone, Debug)]
pub struct DroppedValue {
    pub what: Dropped,
    pub kind: DropKind,
    pub file: FileId,
    pub loc: Loc,
    pub caller: Option<FnId>,
    /// Where the value was created, when it was bound first and discarded later in the same
    /// block (`let f = save(); drop(f);`); `loc` is then the discard.
    pub origin: Option<Loc>,
}

/// A value that is alive across at least one `.await` of the async body that created it.
#[derive(Clone, Debug)]
pub struct HeldValue {
    /// Type evidence of the value and of everything wrapped with it (a tuple, `Some(..)`, an
    /// array or struct literal holds each of its parts).
    pub tys: Vec<Ty>,
    pub file: FileId,
    /// Where the value is created: the call that produces it, or the `let` initialiser.
    pub loc: Loc,
    /// The `.await`s it is alive across (at least one).
    pub awaits: Vec<Loc>,
    pub caller: Option<FnId>,
    /// The binding's name, when it is bound (`None` for a temporary; kept after shadowing).
    pub name: Option<String>,
    /// For a temporary: where its whole expression is (for messages).
    pub expr: Option<Loc>,
    /// The async body holding it (an index into [`CrateFacts::futures`]).
    pub future: usize,
    /// How the value is a parameter of the async fn, if it is one.
    pub param: Option<ParamKind>,
}

/// How an async fn's parameter is held by its future: a parameter lives in the future from
/// the start, so it is alive across every `.await` it is not moved out before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// By value (`rc: Rc<T>`, `self`) or by unique reference (`&mut self`): the future is `Send`
    /// only if the value's type is `Send`.
    Owned,
    /// By shared reference (`&self`, `x: &T`): the future is `Send` only if `T` is `Sync`.
    Shared,
}

/// Where an async body's future goes, as far as its file shows. The crate index decides from it
/// whether the future must be `Send` ([`crate::analysis::index::CrateIndex::send_required`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FutureUse {
    /// The body of async fn `.0`: its callers (and `#[async_trait]`) decide.
    FnBody(FnId),
    /// Driven where `Send` is not required: the body of a `#[tokio::main]`, `#[tokio::test]`
    /// (or other runtime entry) or `#[wasm_bindgen_test]` fn.
    Local,
    /// Handed to call `.0` as an argument, or as the receiver of a method on it
    /// (`async {..}.boxed()`).
    Arg(usize),
    /// Polled by the enclosing async body: `.await`ed there, or bound in it.
    Inner,
    /// The value of the enclosing fn item (its tail expression or a `return`).
    Returned(FnId),
    /// Anything else (stored, passed on, returned from a closure): nothing is known.
    Unknown,
}

/// One async body: an `async fn`'s, an `async` block's or an async closure's.
#[derive(Clone, Debug)]
pub struct FutureFact {
    pub file: FileId,
    pub loc: Loc,
    /// The async body it is nested in, with no sync closure or fn item in between (an index
    /// into [`CrateFacts::futures`]).
    pub parent: Option<usize>,
    pub used: FutureUse,
}

/// Where the value of a call goes, when it may be a future that must be `Send`: awaited in an
/// async body (`Inner`), handed to another call (`Arg`), or returned (`Returned`).
#[derive(Clone, Debug)]
pub struct CallUse {
    pub call: usize,
    /// The async body the call is in (an index into [`CrateFacts::futures`]).
    pub future: Option<usize>,
    pub used: FutureUse,
}

/// One branch of a `select!`.
#[derive(Clone, Debug)]
pub struct SelectBranchFact {
    /// The call that creates the branch future (an index into [`CrateFacts::calls`]); `None`
    /// when the future is not a call (`&mut fut`, a variable).
    pub call: Option<usize>,
    pub loc: Loc,
    /// Every path through the branch's handler leaves the loop around the `select!` (`break`,
    /// `break 'label` of an enclosing loop, `return`, `Err(..)?`, `panic!`, `bail!`, ...): when
    /// this branch wins, the futures of the others are not created again.
    pub leaves_loop: bool,
}

/// A `tokio::select!` / `futures::select!` invocation.
#[derive(Clone, Debug)]
pub struct SelectFact {
    pub file: FileId,
    /// The macro's path.
    pub loc: Loc,
    pub branches: Vec<SelectBranchFact>,
    /// Inside a loop of the enclosing function (so a dropped future is recreated each time).
    pub in_loop: bool,
    pub caller: Option<FnId>,
}

/// Facts of one file (ids local to the file) or, merged, of one crate.
#[derive(Clone, Debug, Default)]
pub struct CrateFacts {
    pub fns: Vec<FnDef>,
    pub calls: Vec<CallSite>,
    /// Struct path -> (field name, declared type), in declaration order; when a struct is
    /// declared more than once (under different `#[cfg]`s) the last declaration of a field wins.
    pub fields: HashMap<String, Vec<(String, Ty)>>,
    /// Type aliases without generic parameters (`type LockedWal = Arc<Mutex<Wal>>;`): alias
    /// path -> the aliased type's evidence.
    pub aliases: HashMap<String, Ty>,
    /// Types with an `impl Deref` (`impl Deref for Child { type Target = std::process::Child;
    /// }`): type path -> the target's evidence. A method the type does not have is the
    /// target's.
    pub derefs: HashMap<String, Ty>,
    /// Types the crate declares `Send` (`unsafe impl Send for T {}`): `!Send` fields or not.
    pub send_impls: crate::util::fxhash::FxHashSet<String>,
    /// Imports of each module as (`module::name`, canonical target); globs as `module::*`.
    pub reexports: Vec<(String, String)>,
    /// Values alive across an `.await` (resolved to types by the lints).
    pub held: Vec<HeldValue>,
    /// Values thrown away unused.
    pub dropped: Vec<DroppedValue>,
    pub selects: Vec<SelectFact>,
    /// Every async body, and where its future goes.
    pub futures: Vec<FutureFact>,
    /// Where the values of calls that may be futures go.
    pub call_uses: Vec<CallUse>,
    /// Calls in async code that `--fix` may rewrite to an awaited call ([`Kb::may_be_fixed`]),
    /// with the type evidence of every value alive there: the added `.await` would hold them.
    /// Only calls with some value alive are listed.
    ///
    /// [`Kb::may_be_fixed`]: crate::kb::Kb::may_be_fixed
    pub fix_live: Vec<(usize, Vec<Ty>)>,
    /// Calls of a fn's own parameter (`f(..)`) made inside a closure: where they run decides
    /// whether the fn runs its closure arguments in place or on a blocking thread.
    pub param_calls: Vec<ParamCall>,
}

/// `f(..)` where `f` is a parameter of `func`, inside a closure (a call in the fn's own body
/// sets [`FnDef::calls_param`] at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParamCall {
    pub func: FnId,
    /// Where the closure's code runs, as the walker saw it.
    pub ctx: Ctx,
    /// The call the closure was handed to.
    pub closure_of: Option<usize>,
}

impl CrateFacts {
    /// Drops what only the lints of the crate's own code read (values alive across an
    /// `.await`, values thrown away, `select!`s, futures and where they go, fix data): a
    /// dependency's facts are read for its summary only, and are kept until the summary is
    /// made. Nothing left refers to what is dropped.
    pub fn keep_for_summary(&mut self) {
        self.held = Vec::new();
        self.dropped = Vec::new();
        self.selects = Vec::new();
        self.futures = Vec::new();
        self.call_uses = Vec::new();
        self.fix_live = Vec::new();
    }

    /// The facts of a crate from those of its files, in order: ids are renumbered in parallel,
    /// then each vector is concatenated into room reserved up front.
    pub fn merge_all(mut parts: Vec<CrateFacts>) -> CrateFacts {
        use rayon::prelude::*;
        let mut offsets = Vec::with_capacity(parts.len());
        let (mut fns, mut calls, mut futures) = (0, 0, 0);
        for p in &parts {
            offsets.push((fns, calls, futures));
            fns += p.fns.len();
            calls += p.calls.len();
            futures += p.futures.len();
        }
        parts
            .par_iter_mut()
            .zip(offsets)
            .for_each(|(p, (f, c, u))| p.renumber(f, c, u));
        fn concat<T>(
            parts: &mut [CrateFacts],
            field: fn(&mut CrateFacts) -> &mut Vec<T>,
        ) -> Vec<T> {
            let total = parts.iter_mut().map(|p| field(p).len()).sum();
            let mut all = Vec::with_capacity(total);
            for p in parts.iter_mut() {
                all.append(field(p));
            }
            all
        }
        let mut all = CrateFacts {
            fns: concat(&mut parts, |p| &mut p.fns),
            calls: concat(&mut parts, |p| &mut p.calls),
            fields: HashMap::default(),
            aliases: HashMap::default(),
            derefs: HashMap::default(),
            send_impls: Default::default(),
            reexports: concat(&mut parts, |p| &mut p.reexports),
            held: concat(&mut parts, |p| &mut p.held),
            dropped: concat(&mut parts, |p| &mut p.dropped),
            selects: concat(&mut parts, |p| &mut p.selects),
            futures: concat(&mut parts, |p| &mut p.futures),
            call_uses: concat(&mut parts, |p| &mut p.call_uses),
            fix_live: concat(&mut parts, |p| &mut p.fix_live),
            param_calls: concat(&mut parts, |p| &mut p.param_calls),
        };
        all.fields
            .reserve(parts.iter().map(|p| p.fields.len()).sum());
        for p in parts {
            all.aliases.extend(p.aliases);
            all.derefs.extend(p.derefs);
            all.send_impls.extend(p.send_impls);
            for (k, v) in p.fields {
                match all.fields.entry(k) {
                    std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().extend(v),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(v);
                    }
                }
            }
        }
        all
    }

    /// Shifts the function, call and future ids of one file's facts by the counts of the files
    /// before it.
    fn renumber(&mut self, fn_offset: usize, call_offset: usize, future_offset: usize) {
        self.shift_from(
            Span::default(),
            fn_offset as isize,
            call_offset as isize,
            future_offset as isize,
        );
    }

    /// Shifts the function, call and future ids held by the items from `from` on (the lists'
    /// positions) by `df`, `dc` and `du`. The items of a file refer only to items of the same
    /// file, so shifting a file's items and everything after it keeps every reference right.
    fn shift_from(&mut self, from: Span, df: isize, dc: isize, du: isize) {
        if (df, dc, du) == (0, 0, 0) {
            return;
        }
        let f = |i: usize| i.wrapping_add_signed(df);
        let c = |i: usize| i.wrapping_add_signed(dc);
        let u = |i: usize| i.wrapping_add_signed(du);
        for call in &mut self.calls[from.calls..] {
            call.caller = call.caller.map(f);
            call.closure_of = call.closure_of.map(c);
            call.deferred_to = call.deferred_to.map(c);
        }
        for def in &mut self.fns[from.fns..] {
            if let Laziness::As(i) = &mut def.lazy {
                *i = c(*i);
            }
        }
        for d in &mut self.dropped[from.dropped..] {
            d.caller = d.caller.map(f);
            if let Dropped::Call(i) = &mut d.what {
                *i = c(*i);
            }
        }
        for sel in &mut self.selects[from.selects..] {
            sel.caller = sel.caller.map(f);
            for b in &mut sel.branches {
                b.call = b.call.map(c);
            }
        }
        for h in &mut self.held[from.held..] {
            h.caller = h.caller.map(f);
            h.future = u(h.future);
        }
        let shift_use = |used: &mut FutureUse| match used {
            FutureUse::FnBody(g) | FutureUse::Returned(g) => *g = f(*g),
            FutureUse::Arg(i) => *i = c(*i),
            FutureUse::Local | FutureUse::Inner | FutureUse::Unknown => {}
        };
        for fut in &mut self.futures[from.futures..] {
            fut.parent = fut.parent.map(u);
            shift_use(&mut fut.used);
        }
        for (i, _) in &mut self.fix_live[from.fix_live..] {
            *i = c(*i);
        }
        for p in &mut self.param_calls[from.param_calls..] {
            p.func = f(p.func);
            p.closure_of = p.closure_of.map(c);
        }
        for cu in &mut self.call_uses[from.call_uses..] {
            cu.call = c(cu.call);
            cu.future = cu.future.map(u);
            shift_use(&mut cu.used);
        }
    }

    /// In facts merged from files with `spans` (each file's share of every list), replaces the
    /// lists of file `k` with those of `file` (its facts as walked, ids its own); the ids of the
    /// files after it shift. The maps (fields, aliases, `Deref`s, `Send` impls) are left as
    /// they are.
    pub fn splice_file(&mut self, spans: &mut [Span], k: usize, mut file: CrateFacts) {
        let start = Span::before(spans, k);
        let old = spans[k];
        let new = Span::of(&file);
        file.renumber(start.fns, start.calls, start.futures);
        fn put<T>(list: &mut Vec<T>, at: usize, old: usize, new: Vec<T>) {
            list.splice(at..at + old, new);
        }
        put(&mut self.fns, start.fns, old.fns, file.fns);
        put(&mut self.calls, start.calls, old.calls, file.calls);
        put(
            &mut self.reexports,
            start.reexports,
            old.reexports,
            file.reexports,
        );
        put(&mut self.held, start.held, old.held, file.held);
        put(&mut self.dropped, start.dropped, old.dropped, file.dropped);
        put(&mut self.selects, start.selects, old.selects, file.selects);
        put(&mut self.futures, start.futures, old.futures, file.futures);
        put(
            &mut self.call_uses,
            start.call_uses,
            old.call_uses,
            file.call_uses,
        );
        put(
            &mut self.fix_live,
            start.fix_live,
            old.fix_live,
            file.fix_live,
        );
        put(
            &mut self.param_calls,
            start.param_calls,
            old.param_calls,
            file.param_calls,
        );
        let delta = |new: usize, old: usize| new as isize - old as isize;
        self.shift_from(
            start.plus(&new),
            delta(new.fns, old.fns),
            delta(new.calls, old.calls),
            delta(new.futures, old.futures),
        );
        spans[k] = new;
    }

    /// Sets the maps of merged facts to those of `parts` (each file's, in order), as
    /// [`CrateFacts::merge_all`] merges them.
    pub fn set_maps<'f>(&mut self, parts: impl Iterator<Item = &'f CrateFacts>) {
        self.fields.clear();
        self.aliases.clear();
        self.derefs.clear();
        self.send_impls.clear();
        for p in parts {
            self.aliases
                .extend(p.aliases.iter().map(|(k, v)| (k.clone(), v.clone())));
            self.derefs
                .extend(p.derefs.iter().map(|(k, v)| (k.clone(), v.clone())));
            self.send_impls.extend(p.send_impls.iter().cloned());
            for (k, v) in &p.fields {
                self.fields
                    .entry(k.clone())
                    .or_default()
                    .extend(v.iter().cloned());
            }
        }
    }

    /// The maps alone (what the language server's memo keeps of a file once its lists are in
    /// the package's merged facts).
    pub fn maps_only(&self) -> CrateFacts {
        CrateFacts {
            fields: self.fields.clone(),
            aliases: self.aliases.clone(),
            derefs: self.derefs.clone(),
            send_impls: self.send_impls.clone(),
            ..CrateFacts::default()
        }
    }
}

/// One file's share of each list of merged facts (see [`CrateFacts::splice_file`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub fns: usize,
    pub calls: usize,
    pub reexports: usize,
    pub held: usize,
    pub dropped: usize,
    pub selects: usize,
    pub futures: usize,
    pub call_uses: usize,
    pub fix_live: usize,
    pub param_calls: usize,
}

impl Span {
    pub fn of(f: &CrateFacts) -> Span {
        Span {
            fns: f.fns.len(),
            calls: f.calls.len(),
            reexports: f.reexports.len(),
            held: f.held.len(),
            dropped: f.dropped.len(),
            selects: f.selects.len(),
            futures: f.futures.len(),
            call_uses: f.call_uses.len(),
            fix_live: f.fix_live.len(),
            param_calls: f.param_calls.len(),
        }
    }

    /// Where file `k`'s items start in each list of facts merged from files with `spans`.
    pub fn before(spans: &[Span], k: usize) -> Span {
        spans[..k].iter().fold(Span::default(), |a, s| a.plus(s))
    }

    fn plus(&self, o: &Span) -> Span {
        Span {
            fns: self.fns + o.fns,
            calls: self.calls + o.calls,
            reexports: self.reexports + o.reexports,
            held: self.held + o.held,
            dropped: self.dropped + o.dropped,
            selects: self.selects + o.selects,
            futures: self.futures + o.futures,
            call_uses: self.call_uses + o.call_uses,
            fix_live: self.fix_live + o.fix_live,
            param_calls: self.param_calls + o.param_calls,
        }
    }
}
