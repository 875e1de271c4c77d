//! Async context: whether code runs in a future (`async fn`, `async` blocks and closures), in
//! a sync island (closures handed to `spawn_blocking`, `std::thread::spawn`, rayon) or in plain
//! sync code, and which futures are driven locally (need not be `Send`).

use super::Walker;
use super::scope::Scope;
use super::shapes::IdentCollector;
use crate::syntax::facts::{Callee, Ctx, Ty};
use crate::syntax::liveness::Part;
use syn::visit::Visit;
use syn::{Expr, Type};

/// How an attribute macro runs a fn's async body.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Entry {
    /// No such attribute: the fn is what it says.
    Plain,
    /// `#[tokio::main]`, `#[tokio::test]`, ...: the body runs on a runtime (`block_on`), and the
    /// fn is sync for its callers.
    Runtime,
    /// `#[wasm_bindgen_test]`: the harness drives the returned future on a local executor.
    LocalTest,
}

impl Entry {
    pub(super) fn of(attrs: &[syn::Attribute]) -> Entry {
        if is_runtime_entry(attrs) {
            Entry::Runtime
        } else if attrs.iter().any(|a| a.path().is_ident("wasm_bindgen_test")) {
            Entry::LocalTest
        } else {
            Entry::Plain
        }
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

impl Walker<'_> {
    /// Walks a call argument; a closure argument records which call it is passed to.
    pub(super) fn walk_arg(&mut self, call: Option<usize>, arg: &Expr, island: bool) {
        match arg {
            Expr::Closure(c) if c.asyncness.is_none() => {
                let outer = self.closure_of;
                let saved = std::mem::replace(&mut self.closure_of, call.or(outer));
                if island {
                    self.walk_in_ctx(Ctx::Island, |w| w.walk_closure(c));
                } else {
                    self.walk_closure(c);
                }
                self.closure_of = saved;
            }
            Expr::Async(_) => {
                self.local_async_next = call.is_some_and(|i| self.drives_locally(i));
                self.walk_expr(arg);
                self.local_async_next = false;
            }
            // `spawn_blocking({ let x = x.clone(); move || .. })`: the block's value, its tail
            // closure, is the argument.
            Expr::Block(b) if b.label.is_none() => {
                let tail = match b.block.stmts.last() {
                    Some(syn::Stmt::Expr(t @ Expr::Closure(_), None)) => Some(t as *const Expr),
                    _ => None,
                };
                let saved = std::mem::replace(&mut self.tail_arg, tail.map(|t| (t, call, island)));
                self.walk_expr(arg);
                self.tail_arg = saved;
            }
            _ => self.walk_expr(arg),
        }
    }

    /// Call `i` runs the future it is given where `Send` is not required: `spawn_local`
    /// (tokio, `LocalSet`, wasm-bindgen-futures), `block_on` (any runtime or executor),
    /// `LocalSet::run_until`.
    pub(super) fn drives_locally(&self, i: usize) -> bool {
        const LOCAL_DRIVERS: &[&str] = &["spawn_local", "block_on", "run_until"];
        match &self.out.facts.calls[i].callee {
            Callee::Method { name, .. } => LOCAL_DRIVERS.contains(&name.as_str()),
            Callee::Path(paths) => paths
                .iter()
                .any(|p| LOCAL_DRIVERS.contains(&crate::kb::last_segment(p))),
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
            self.walk_future_body(captured, false, |w| w.walk_expr(&c.body));
        } else {
            if c.capture.is_some() && self.live.active() {
                // A `move` closure takes the values it names.
                let mut names = IdentCollector::default();
                names.visit_expr(&c.body);
                self.live.capture(&names.0, true);
            }
            // A sync closure cannot await: what it binds is not part of the async body.
            let frames = self.live.suspend();
            self.sync_closures += 1;
            self.walk_expr(&c.body);
            self.sync_closures -= 1;
            self.live.resume(frames);
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

    /// An `async` block: a future of its own, with the live values it captures; driven
    /// locally (no `Send` needed) when handed straight to `spawn_local` / `block_on`.
    pub(super) fn walk_async_block(&mut self, a: &syn::ExprAsync) {
        let local = std::mem::take(&mut self.local_async_next);
        let captured = self.capture_into_async(|v| v.visit_block(&a.block), a.capture.is_some());
        self.walk_future_body(captured, local, |w| w.walk_block(&a.block));
    }

    /// The body of an `async` block or closure: async context, a liveness frame of its own
    /// holding the `captured` values (`local`: driven where `Send` is not required), and no
    /// enclosing closure call or sync closure.
    fn walk_future_body(
        &mut self,
        captured: Vec<(String, Vec<Part>)>,
        local: bool,
        walk: impl FnOnce(&mut Self),
    ) {
        let saved = self.closure_of.take();
        self.live.enter_frame(local);
        self.live.enter_block();
        for (name, parts) in captured {
            self.live.bind(name, parts);
        }
        let saved_sc = std::mem::take(&mut self.sync_closures);
        self.walk_in_ctx(Ctx::Async, walk);
        self.sync_closures = saved_sc;
        self.live.exit_block(self.file, self.cur_fn);
        self.live.exit_frame(self.file, self.cur_fn);
        self.closure_of = saved;
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
        // With an empty knowledge base spawn_blocking is not an island: only data decides.
        assert_eq!(ctx("three"), Some(Ctx::Async));
        assert_eq!(ctx("four"), Some(Ctx::Sync));
        assert_eq!(ctx("five"), Some(Ctx::Async));
        assert_eq!(ctx("six"), Some(Ctx::Sync));
        assert_eq!(ctx("seven"), Some(Ctx::Async));
        assert_eq!(ctx("eight"), Some(Ctx::Async));
    }
}
