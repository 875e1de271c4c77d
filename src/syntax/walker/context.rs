//! Async context: whether code runs in a future (`async fn`, `async` blocks and closures), in
//! a sync island (closures handed to `spawn_blocking`, `std::thread::spawn`, rayon) or in plain
//! sync code, and which futures are driven locally (need not be `Send`).

use super::Walker;
use super::scope::Scope;
use super::shapes::{IdentCollector, tail_closure};
use crate::syntax::facts::{CallUse, Callee, Ctx, FutureFact, FutureUse, Ty};
use crate::syntax::liveness::Part;
use crate::syntax::source::Loc;
use syn::visit::Visit;
use syn::{Expr, Type};

/// How an attribute macro runs a fn's async body.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Entry {
    /// No such attribute: the fn is what it says.
    Plain,
    /// `#[tokio::main]`, `#[tokio::test]`, ...: the body runs on a runtime (`block_on`), and the
    /// fn is sync for its callers. `current_thread`: the runtime is known to be a current_thread
    /// one (`#[tokio::test]` without `flavor = "multi_thread"`, `#[tokio::main(flavor =
    /// "current_thread")]`, `#[actix_web::main]`: `lints/block_on.toml` [[runtime_entry]]).
    Runtime { current_thread: bool },
    /// `#[wasm_bindgen_test]`: the harness drives the returned future on a local executor.
    LocalTest,
}

impl Entry {
    pub(super) fn of(attrs: &[syn::Attribute], kb: &crate::kb::Kb) -> Entry {
        if is_runtime_entry(attrs) {
            Entry::Runtime {
                current_thread: attrs.iter().any(|a| runs_current_thread(a, kb)),
            }
        } else if attrs.iter().any(|a| a.path().is_ident("wasm_bindgen_test")) {
            Entry::LocalTest
        } else {
            Entry::Plain
        }
    }

    pub(super) fn is_runtime(self) -> bool {
        matches!(self, Entry::Runtime { .. })
    }
}

/// Whether this attribute is a runtime entry of the knowledge base whose arguments (`flavor =
/// ".."`, or none: the entry's default) make a current_thread runtime. Arguments that cannot be
/// read make the runtime unknown (false).
fn runs_current_thread(a: &syn::Attribute, kb: &crate::kb::Kb) -> bool {
    let path: Vec<String> = a
        .path()
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    let path = path.join("::");
    let mut flavor = None;
    let mut args = Vec::new();
    if let syn::Meta::List(_) = &a.meta {
        let read = a.parse_nested_meta(|m| {
            let name = m.path.segments.last().map(|s| s.ident.to_string());
            let name = name.unwrap_or_default();
            if m.input.peek(syn::Token![=]) {
                let value = m.value()?;
                if name == "flavor" {
                    flavor = Some(value.parse::<syn::LitStr>()?.value());
                } else {
                    value.parse::<Expr>()?;
                }
            }
            args.push(name);
            Ok(())
        });
        if read.is_err() {
            return false;
        }
    }
    kb.entry_is_current_thread(&path, flavor.as_deref(), &args)
        .unwrap_or(false)
}

/// Whether type evidence says a value comes from a constructor of a current_thread runtime
/// (`Builder::new_current_thread().enable_all().build()?`, and what its methods return).
pub(super) fn built_current_thread(ty: &Ty, kb: &crate::kb::Kb) -> bool {
    match ty {
        Ty::MethodRet(recv, _) | Ty::Wrap(_, recv) => built_current_thread(recv, kb),
        Ty::ReturnOf(paths) => paths.iter().any(|p| kb.is_current_thread_ctor(p)),
        _ => false,
    }
}

/// `#[tokio::main]`, `#[tokio::test]`, `#[async_std::main]`, `#[actix_web::main]`, ...: an
/// attribute macro that runs the async body on a runtime, making the fn sync for its callers.
pub(super) fn is_runtime_entry(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segs: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        segs.len() >= 2 && matches!(segs.last().map(String::as_str), Some("main" | "test"))
    })
}

/// Whether a declared return type is a future: `impl Future<..>`, `Pin<Box<dyn Future<..>>>`,
/// `BoxFuture<..>` or `LocalBoxFuture<..>`.
pub(super) fn returns_future(ret: &syn::ReturnType) -> bool {
    fn is_future(ty: &Type) -> bool {
        let bounds_future = |b: &syn::punctuated::Punctuated<
            syn::TypeParamBound,
            syn::Token![+],
        >| {
            b.iter().any(|b| {
                matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
            })
        };
        match ty {
            Type::ImplTrait(t) => bounds_future(&t.bounds),
            Type::TraitObject(t) => bounds_future(&t.bounds),
            Type::Paren(p) => is_future(&p.elem),
            Type::Group(g) => is_future(&g.elem),
            Type::Path(p) => p.path.segments.last().is_some_and(|s| {
                if s.ident == "BoxFuture" || s.ident == "LocalBoxFuture" {
                    return true;
                }
                (s.ident == "Pin" || s.ident == "Box")
                    && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                        if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if is_future(t))))
            }),
            _ => false,
        }
    }
    match ret {
        syn::ReturnType::Default => false,
        syn::ReturnType::Type(_, t) => is_future(t),
    }
}

/// Where a sync closure runs, decided where the walk meets it (as a call argument, bound by a
/// `let`, called on the spot) and applied when its body is walked.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Runs {
    /// Before the call that is given it returns (or when the future it belongs to is polled):
    /// it inherits the surrounding context.
    Here,
    /// Off the async threads (`spawn_blocking`, `std::thread::spawn`, ...).
    Island,
    /// Later, anywhere: stored, returned, or handed to an unknown function or a constructor.
    /// Not async context.
    Elsewhere,
}

/// Where a declared return type requires the returned future to be `Send`, and how, for
/// messages: `impl Future<..> + Send`, `Pin<Box<dyn Future<..> + Send>>`, `BoxFuture<..>`
/// (futures-core 0.3.34 `src/future.rs:18`: `Pin<Box<dyn Future<Output = T> + Send + 'a>>`).
pub(super) fn send_bound(ret: &syn::ReturnType) -> Option<(proc_macro2::Span, &'static str)> {
    type Bounds = syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>;
    fn sends(b: &Bounds) -> Option<proc_macro2::Span> {
        let is = |name: &str| {
            b.iter().find_map(|b| match b {
                syn::TypeParamBound::Trait(t)
                    if t.path.segments.last().is_some_and(|s| s.ident == name) =>
                {
                    t.path.segments.last().map(|s| s.ident.span())
                }
                _ => None,
            })
        };
        is("Future").and(is("Send"))
    }
    fn of(ty: &Type) -> Option<(proc_macro2::Span, &'static str)> {
        match ty {
            Type::ImplTrait(t) => sends(&t.bounds).map(|s| (s, "`impl Future + Send`")),
            Type::TraitObject(t) => sends(&t.bounds).map(|s| (s, "`dyn Future + Send`")),
            Type::Paren(p) => of(&p.elem),
            Type::Group(g) => of(&g.elem),
            Type::Path(p) => p.path.segments.last().and_then(|s| {
                if s.ident == "BoxFuture" {
                    return Some((
                        s.ident.span(),
                        "`BoxFuture` (`Pin<Box<dyn Future + Send>>`)",
                    ));
                }
                match &s.arguments {
                    syn::PathArguments::AngleBracketed(a)
                        if s.ident == "Pin" || s.ident == "Box" =>
                    {
                        a.args.iter().find_map(|g| match g {
                            syn::GenericArgument::Type(t) => of(t),
                            _ => None,
                        })
                    }
                    _ => None,
                }
            }),
            _ => None,
        }
    }
    match ret {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, t) => of(t),
    }
}

/// Whether a fn's signature requires its future arguments to be `Send`: some parameter is a
/// future declared `Send` (`impl Future + Send`, a generic `F` bounded by `Future` and `Send`
/// inline or in the `where` clause, `BoxFuture`, `Pin<Box<dyn Future + Send>>`) and none is a
/// future without it (`impl Future`, `F: Future`, `LocalBoxFuture`).
pub(super) fn send_future_param(sig: &syn::Signature) -> bool {
    type Bounds = syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>;
    fn names(b: &Bounds) -> (bool, bool) {
        let is = |name: &str| {
            b.iter().any(|b| {
                matches!(b, syn::TypeParamBound::Trait(t)
                    if t.path.segments.last().is_some_and(|s| s.ident == name))
            })
        };
        (is("Future") || is("IntoFuture"), is("Send"))
    }
    // Each generic parameter's bounds, inline and in the `where` clause: (future, send).
    let mut generic: Vec<(&syn::Ident, (bool, bool))> = Vec::new();
    for p in &sig.generics.params {
        if let syn::GenericParam::Type(t) = p {
            generic.push((&t.ident, names(&t.bounds)));
        }
    }
    for pred in sig.generics.where_clause.iter().flat_map(|w| &w.predicates) {
        if let syn::WherePredicate::Type(pt) = pred
            && let Type::Path(tp) = &pt.bounded_ty
            && let Some(id) = tp.path.get_ident()
            && let Some((_, (fut, send))) = generic.iter_mut().find(|(g, _)| *g == id)
        {
            let (f, s) = names(&pt.bounds);
            *fut |= f;
            *send |= s;
        }
    }
    // What a parameter of this type is: Some(true) a `Send` future, Some(false) a future not
    // declared `Send`, None no future.
    fn of(ty: &Type, generic: &[(&syn::Ident, (bool, bool))]) -> Option<bool> {
        let of_bounds = |b: &Bounds| match names(b) {
            (true, send) => Some(send),
            _ => None,
        };
        match ty {
            Type::ImplTrait(t) => of_bounds(&t.bounds),
            Type::TraitObject(t) => of_bounds(&t.bounds),
            Type::Paren(p) => of(&p.elem, generic),
            Type::Group(g) => of(&g.elem, generic),
            Type::Path(p) if p.qself.is_none() => {
                if let Some(id) = p.path.get_ident() {
                    return generic
                        .iter()
                        .find(|(g, _)| *g == id)
                        .and_then(|(_, (fut, send))| fut.then_some(*send));
                }
                let last = p.path.segments.last()?;
                match last.ident.to_string().as_str() {
                    "BoxFuture" => Some(true),
                    "LocalBoxFuture" => Some(false),
                    "Pin" | "Box" => match &last.arguments {
                        syn::PathArguments::AngleBracketed(a) => {
                            a.args.iter().find_map(|g| match g {
                                syn::GenericArgument::Type(t) => of(t, generic),
                                _ => None,
                            })
                        }
                        _ => None,
                    },
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let mut any = false;
    for input in &sig.inputs {
        if let syn::FnArg::Typed(pt) = input {
            match of(&pt.ty, &generic) {
                Some(true) => any = true,
                Some(false) => return false,
                None => {}
            }
        }
    }
    any
}

/// `#[async_trait]` (any path ending so) without `?Send`: the methods' futures are boxed as
/// `Pin<Box<dyn Future + Send>>` (async-trait 0.1.92 `src/lib.rs:147`; `?Send` opts out,
/// `src/lib.rs:162-166`). Returns the attribute's span.
pub(super) fn async_trait_send(attrs: &[syn::Attribute]) -> Option<proc_macro2::Span> {
    attrs.iter().find_map(|a| {
        let last = a.path().segments.last()?;
        if last.ident != "async_trait" {
            return None;
        }
        let opts_out = match &a.meta {
            syn::Meta::List(l) => l.tokens.to_string().replace(' ', "").contains("?Send"),
            _ => false,
        };
        (!opts_out).then(|| last.ident.span())
    })
}

impl Walker<'_> {
    /// Walks a call argument; a closure argument (also the tail closure of a block argument,
    /// `spawn_blocking({ let x = ..; move || .. })`) records which call it is passed to and
    /// runs where that call runs it: on an island, in place (a combinator the knowledge base
    /// lists), or elsewhere.
    pub(super) fn walk_arg(&mut self, call: Option<usize>, arg: &Expr, island: bool) {
        let marked = self.closure_places.len();
        if let Some(c) = tail_closure(arg) {
            let place = if island {
                Runs::Island
            } else if call.is_some() && call == self.once_call {
                // Once per process, whenever the first caller comes: its cost is paid once.
                Runs::Elsewhere
            } else if call.is_some_and(|i| self.runs_closure_in_place(i)) {
                Runs::Here
            } else {
                Runs::Elsewhere
            };
            self.closure_places
                .push((c, place, call.or(self.closure_of), call));
        }
        self.walk_expr(arg);
        self.closure_places.truncate(marked);
    }

    /// Call `i` runs the closures it is given in place (`Option::map`, `Iterator::for_each`,
    /// `std::thread::scope`, ...: islands.toml `[[in_place]]`).
    fn runs_closure_in_place(&self, i: usize) -> bool {
        match &self.out.facts.calls[i].callee {
            Callee::Method { name, .. } => self.kb.runs_closure_in_place_method(name),
            Callee::Path(paths) => paths.iter().any(|p| self.kb.runs_closure_in_place_fn(p)),
        }
    }

    /// Where the sync closure `c` runs, as decided where the walk met it (else elsewhere), the
    /// `closure_of` of the calls in it, and the call it was handed to.
    fn take_place(&mut self, c: &syn::ExprClosure) -> (Runs, Option<usize>, Option<usize>) {
        match self
            .closure_places
            .iter()
            .rposition(|(p, ..)| std::ptr::eq(*p, c))
        {
            Some(i) => {
                let (_, place, closure_of, call) = self.closure_places.swap_remove(i);
                (place, closure_of, call)
            }
            None => (Runs::Elsewhere, self.closure_of, None),
        }
    }

    pub(super) fn walk_in_ctx(&mut self, ctx: Ctx, f: impl FnOnce(&mut Self)) {
        let saved = std::mem::replace(&mut self.ctx, ctx);
        f(self);
        self.ctx = saved;
    }

    pub(super) fn walk_closure(&mut self, c: &syn::ExprClosure) {
        self.scopes.blocks.push(Scope::default());
        for input in &c.inputs {
            self.scopes.bind_pat(input, Ty::Unknown);
        }
        if c.asyncness.is_some() {
            let captured = self.capture_into_async(|v| v.visit_expr(&c.body), c.capture.is_some());
            let loc = c
                .asyncness
                .as_ref()
                .map(|a| self.loc(a.span))
                .unwrap_or_default();
            // What calls the closure, and where its futures go, is not followed.
            let used = FutureUse::Unknown;
            self.walk_future_body(captured, loc, used, |w| w.walk_expr(&c.body));
        } else {
            let (place, closure_of, call) = self.take_place(c);
            let ctx = match place {
                Runs::Island => Ctx::Island,
                // A closure that runs later is neither the enclosing async body nor the
                // enclosing fn's own work.
                Runs::Elsewhere => Ctx::Deferred,
                Runs::Here => self.ctx,
            };
            let saved_closure = std::mem::replace(&mut self.closure_of, closure_of);
            let saved_ctx = std::mem::replace(&mut self.ctx, ctx);
            let saved_deferred = match place {
                Runs::Elsewhere => std::mem::replace(&mut self.deferred_to, call),
                _ => self.deferred_to,
            };
            if c.capture.is_some() && self.live.active() {
                // A `move` closure takes the values it names.
                let mut names = IdentCollector::default();
                names.visit_expr(&c.body);
                self.live.capture(&names.0, true);
            }
            // A sync closure cannot await: what it binds is not part of the async body. It
            // gets a frame of its own, never awaited in, so that an `async` block it makes
            // captures the values it binds (`|| { let g = m.lock(); async move { .. } }`).
            let frames = self.live.suspend();
            self.live.enter_sync_frame();
            // Nor are the futures it makes polled by the enclosing body.
            let future = self.cur_future.take();
            self.sync_closures += 1;
            self.walk_expr(&c.body);
            self.sync_closures -= 1;
            self.cur_future = future;
            self.live.exit_frame(self.file, self.cur_fn);
            self.live.resume(frames);
            self.ctx = saved_ctx;
            self.closure_of = saved_closure;
            self.deferred_to = saved_deferred;
        }
        self.scopes.blocks.pop();
    }

    /// The live values of the enclosing async body that a nested async block or closure
    /// names: they are captured into it (and, with `move`, leave the enclosing body).
    pub(super) fn capture_into_async(
        &mut self,
        visit: impl FnOnce(&mut IdentCollector),
        by_move: bool,
    ) -> Vec<(String, Vec<Part>)> {
        if !self.live.active() {
            return Vec::new();
        }
        let mut names = IdentCollector::default();
        visit(&mut names);
        self.live.capture(&names.0, by_move)
    }

    /// Whether a method chain below `e` goes through a parallel-iterator adapter (rayon).
    pub(super) fn chain_is_island(&self, e: &Expr) -> bool {
        let mut cur = e;
        loop {
            match cur {
                Expr::MethodCall(m) => {
                    if self.kb.is_chain_island_ident(&m.method) {
                        return true;
                    }
                    cur = &m.receiver;
                }
                Expr::Paren(p) => cur = &p.expr,
                Expr::Reference(r) => cur = &r.expr,
                Expr::Try(t) => cur = &t.expr,
                _ => return false,
            }
        }
    }

    /// An `async` block (the expression `e`): a future of its own, with the live values it
    /// captures. Where it goes: handed to a call or returned (noted by [`Walker::watch_future`]
    /// before the walk reaches it), else polled by the enclosing async body if there is one.
    pub(super) fn walk_async_block(&mut self, e: &Expr, a: &syn::ExprAsync) {
        let used = self
            .take_future_use(e)
            .unwrap_or(if self.cur_future.is_some() {
                FutureUse::Inner
            } else {
                FutureUse::Unknown
            });
        let captured = self.capture_into_async(|v| v.visit_block(&a.block), a.capture.is_some());
        let loc = self.loc(a.async_token.span);
        self.walk_future_body(captured, loc, used, |w| w.walk_block(&a.block));
    }

    /// Notes where the value of `e` goes if it is a future (an `async` block or a call): the
    /// walk records it when it reaches `e`.
    pub(super) fn watch_future(&mut self, e: &Expr, used: FutureUse) {
        match e {
            Expr::Paren(p) => self.watch_future(&p.expr, used),
            Expr::Group(g) => self.watch_future(&g.expr, used),
            Expr::Async(_) | Expr::Call(_) | Expr::MethodCall(_) => {
                self.future_watch.push((e as *const Expr, used))
            }
            _ => {}
        }
    }

    /// Where the value of `e` goes, if [`Walker::watch_future`] noted it.
    pub(super) fn take_future_use(&mut self, e: &Expr) -> Option<FutureUse> {
        let pos = self
            .future_watch
            .iter()
            .position(|(p, _)| std::ptr::eq(*p, e))?;
        Some(self.future_watch.swap_remove(pos).1)
    }

    /// A call just recorded as `idx` (the expression `e`): notes where its value goes when that
    /// matters for `Send` (awaited in an async body, handed to another call, returned).
    pub(super) fn note_call_use(&mut self, e: &Expr, idx: usize) {
        let used = match self.take_future_use(e) {
            Some(u) => u,
            None if self.out.facts.calls[idx].awaited && self.cur_future.is_some() => {
                FutureUse::Inner
            }
            None => return,
        };
        self.out.facts.call_uses.push(CallUse {
            call: idx,
            future: self.cur_future,
            used,
        });
    }

    /// The arguments (and receiver) of call `idx` that are futures handed to it: noted when
    /// the call may take a future that must be `Send` (its name is one the knowledge base lists
    /// as taking a future) or when it is awaited (what it returns is polled here).
    pub(super) fn watch_args<'e>(
        &mut self,
        idx: usize,
        name: &str,
        args: impl IntoIterator<Item = &'e Expr>,
    ) {
        if self.out.facts.calls[idx].awaited || self.kb.takes_future_name(name) {
            for a in args {
                self.watch_future(a, FutureUse::Arg(idx));
            }
        }
    }

    /// The body of an `async` block or closure: async context, a liveness frame of its own
    /// holding the `captured` values, and no enclosing closure call or sync closure. Its future
    /// is recorded with where it goes (`used`).
    fn walk_future_body(
        &mut self,
        captured: Vec<(String, Vec<Part>)>,
        loc: Loc,
        used: FutureUse,
        walk: impl FnOnce(&mut Self),
    ) {
        let saved = self.closure_of.take();
        let saved_deferred = self.deferred_to.take();
        let future = self.enter_future(loc, used);
        self.live.enter_block();
        for (name, parts) in captured {
            self.live.bind(name, parts);
        }
        let saved_sc = std::mem::take(&mut self.sync_closures);
        self.walk_in_ctx(Ctx::Async, walk);
        self.sync_closures = saved_sc;
        self.live.exit_block(self.file, self.cur_fn);
        self.live.exit_frame(self.file, self.cur_fn);
        self.cur_future = future;
        self.closure_of = saved;
        self.deferred_to = saved_deferred;
    }

    /// Starts an async body: records its future (nested in the current one) and opens its
    /// liveness frame. Returns the enclosing future, to restore when the body ends.
    pub(super) fn enter_future(&mut self, loc: Loc, used: FutureUse) -> Option<usize> {
        let id = self.out.facts.futures.len();
        self.out.facts.futures.push(FutureFact {
            file: self.file,
            loc,
            parent: self.cur_future,
            used,
        });
        self.live.enter_frame(id);
        self.cur_future.replace(id)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::calls;
    use crate::syntax::facts::Ctx;

    #[test]
    fn async_context_and_islands() {
        let src = r#"
            async fn a() {
                one();
                let c = || two();
                c();
                let stored = || twelve();
                tokio::task::spawn_blocking(|| three());
                fn nested() { four(); }
                async fn nested_async() { five(); }
            }
            fn s() {
                six();
                let fut = async { seven(); };
                let ac = async || eight();
            }
        "#;
        let kb_calls = calls(src);
        let ctx = |name: &str| {
            kb_calls
                .iter()
                .find(|(p, _)| p.ends_with(name))
                .map(|(_, c)| *c)
        };
        assert_eq!(ctx("one"), Some(Ctx::Async));
        assert_eq!(ctx("two"), Some(Ctx::Async));
        // Bound and never called here: it runs later, elsewhere.
        assert_eq!(ctx("twelve"), Some(Ctx::Deferred));
        // With an empty knowledge base spawn_blocking is neither an island nor known to run
        // its closure in place (only data decides): the closure runs elsewhere.
        assert_eq!(ctx("three"), Some(Ctx::Deferred));
        assert_eq!(ctx("four"), Some(Ctx::Sync));
        assert_eq!(ctx("five"), Some(Ctx::Async));
        assert_eq!(ctx("six"), Some(Ctx::Sync));
        assert_eq!(ctx("seven"), Some(Ctx::Async));
        assert_eq!(ctx("eight"), Some(Ctx::Async));
    }
}
