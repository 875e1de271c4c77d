//! Items: modules (with item-position macros expanded), fns, impls, traits and structs. Each
//! fn becomes an [`FnDef`] fact and its body is walked in the right async context; module
//! re-exports and struct fields are recorded for the crate index.

use super::context::{Entry, async_trait_send, returns_future, send_bound, send_future_param};
use super::macros::expand_item_macros;
use super::scope::Scope;
use super::shapes::{FutureTail, cfg_never, future_tail, item_attrs, pat_idents, type_short_name};
use super::{ModDecl, Walker};
use crate::syntax::facts::{Ctx, FnDef, FutureUse, Laziness, ParamKind, SendDecl, Ty};
use crate::syntax::source::Loc;
use proc_macro2::Span;
use syn::{Expr, ImplItem, Item, TraitItem};

impl Walker<'_> {
    pub(super) fn walk_module(&mut self, path: &str, items: &[Item]) {
        // Items wrapped in item-position macros (`cfg_rt! { ... }`) are items of this module.
        let expanded = expand_item_macros(items);
        let all = || {
            items.iter().enumerate().flat_map(|(i, item)| {
                match expanded.iter().find(|(j, _)| *j == i) {
                    Some((_, inner)) => inner.iter().collect::<Vec<_>>(),
                    None => vec![item],
                }
            })
        };
        let saved_blocks = self.scopes.enter_module(path, all());
        let reexports = self.scopes.reexports();
        self.out.facts.reexports.extend(reexports);
        for item in all() {
            self.walk_item(item);
        }
        self.scopes.leave_module(saved_blocks);
    }

    pub(super) fn item_prefix(&self) -> String {
        // Items inside a fn body get the fn's path as prefix, so they stay unique.
        match self.cur_fn {
            Some(id) => self.out.facts.fns[id].path.clone(),
            None => self.scopes.module_path().to_string(),
        }
    }

    /// Notes an item's line range, and the allows on it that stand for our lints; returns
    /// whether it allows `unused_must_use` (see [`Walker::note_allows`]).
    pub(super) fn note_item(&mut self, attrs: &[syn::Attribute], start: Span, end: Span) -> bool {
        let (first, last) = (start.start().line, end.end().line);
        self.out.items.push((first, last));
        self.note_allows(attrs, first, last)
    }

    /// Records the `#[allow(..)]` / `#[expect(..)]` of clippy lints that stand for ours over
    /// lines `first..=last`; returns whether rustc's `unused_must_use` (or `unused`) is allowed
    /// there, which the caller applies to the values dropped as statements inside.
    pub(super) fn note_allows(
        &mut self,
        attrs: &[syn::Attribute],
        first: usize,
        last: usize,
    ) -> bool {
        let mut must_use = false;
        for a in attrs
            .iter()
            .filter(|a| a.path().is_ident("allow") || a.path().is_ident("expect"))
        {
            let _ = a.parse_nested_meta(|m| {
                let segs: Vec<String> = m
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if segs.len() == 2
                    && segs[0] == "clippy"
                    && let Some(ours) = crate::kb::clippy_equivalent(&segs[1])
                {
                    self.out.clippy_allows.push((first, last, ours));
                } else if segs.len() == 1 && crate::kb::allows_dropped_statements(&segs[0]) {
                    must_use = true;
                }
                // `#[expect(lint, reason = "..")]`: skip the value.
                if m.input.peek(syn::Token![=]) {
                    let _: syn::Expr = m.value()?.parse()?;
                }
                Ok(())
            });
        }
        must_use
    }

    pub(super) fn walk_item(&mut self, item: &Item) {
        // `#[cfg(any())]`: code that no build compiles is not linted.
        if cfg_never(item_attrs(item)) {
            return;
        }
        match item {
            Item::Fn(f) => {
                let must_use = self.note_item(
                    &f.attrs,
                    f.sig.fn_token.span,
                    f.block.brace_token.span.close(),
                );
                let path = format!("{}::{}", self.item_prefix(), f.sig.ident);
                let name = f.sig.ident.to_string();
                let entry = Entry::of(&f.attrs, self.kb);
                self.must_use_allowed += usize::from(must_use);
                self.walk_fn(path, name, &f.sig, Some(&f.block), None, entry);
                self.must_use_allowed -= usize::from(must_use);
            }
            Item::Impl(imp) => {
                let impl_must_use = self.note_item(
                    &imp.attrs,
                    imp.impl_token.span,
                    imp.brace_token.span.close(),
                );
                self.must_use_allowed += usize::from(impl_must_use);
                let self_ty = match self.scopes.ty_of_type(&imp.self_ty) {
                    Ty::Path(p) => Some(p),
                    _ => None,
                };
                let short = type_short_name(&imp.self_ty);
                let saved = std::mem::replace(&mut self.scopes.impl_ty, self_ty.clone());
                let boxes = async_trait_send(&imp.attrs).map(|s| self.loc(s));
                let saved_boxes = std::mem::replace(&mut self.async_trait_send, boxes);
                let impl_of = imp
                    .trait_
                    .as_ref()
                    .and_then(|(path, _)| self.scopes.resolve_paths(path));
                if let (Some(ty), Some((path, _))) = (&self_ty, &imp.trait_)
                    && imp.unsafety.is_some()
                    && path.segments.last().is_some_and(|s| s.ident == "Send")
                {
                    self.out.facts.send_impls.insert(ty.clone());
                }
                // `impl Deref for T { type Target = U; }`: a method T lacks is U's.
                if let (Some(ty), Some(traits)) = (&self_ty, &impl_of)
                    && traits
                        .iter()
                        .any(|t| t == "std::ops::Deref" || t == "core::ops::Deref")
                {
                    let target = imp.items.iter().find_map(|ii| match ii {
                        ImplItem::Type(t) if t.ident == "Target" && !cfg_never(&t.attrs) => {
                            Some(self.scopes.ty_of_type(&t.ty))
                        }
                        _ => None,
                    });
                    if let Some(target) = target.filter(|t| *t != Ty::Unknown) {
                        self.out.facts.derefs.insert(ty.clone(), target);
                    }
                }
                for ii in &imp.items {
                    match ii {
                        ImplItem::Fn(f) if cfg_never(&f.attrs) => {}
                        ImplItem::Const(c) if cfg_never(&c.attrs) => {}
                        ImplItem::Fn(f) => {
                            let must_use = self.note_item(
                                &f.attrs,
                                f.sig.fn_token.span,
                                f.block.brace_token.span.close(),
                            );
                            let base = self_ty.clone().unwrap_or_else(|| {
                                format!("{}::<impl {short}>", self.scopes.module_path())
                            });
                            let path = format!("{base}::{}", f.sig.ident);
                            let name = format!("{short}::{}", f.sig.ident);
                            let entry = Entry::of(&f.attrs, self.kb);
                            let body = Some(&f.block);
                            self.must_use_allowed += usize::from(must_use);
                            let id = self.out.facts.fns.len();
                            self.walk_fn(path, name, &f.sig, body, self_ty.clone(), entry);
                            self.out.facts.fns[id].impl_of.clone_from(&impl_of);
                            self.must_use_allowed -= usize::from(must_use);
                        }
                        ImplItem::Const(c) => self.walk_detached_expr(&c.expr),
                        _ => {}
                    }
                }
                self.async_trait_send = saved_boxes;
                self.scopes.impl_ty = saved;
                self.must_use_allowed -= usize::from(impl_must_use);
            }
            Item::Trait(t) => {
                let must_use =
                    self.note_item(&t.attrs, t.trait_token.span, t.brace_token.span.close());
                self.must_use_allowed += usize::from(must_use);
                let trait_path = format!("{}::{}", self.item_prefix(), t.ident);
                let saved = self.scopes.impl_ty.replace(trait_path.clone());
                let boxes = async_trait_send(&t.attrs).map(|s| self.loc(s));
                let saved_boxes = std::mem::replace(&mut self.async_trait_send, boxes);
                for ti in &t.items {
                    // A declaration without a default body is recorded too (with no calls): a
                    // call through the trait reaches some impl, and its signature says whether
                    // it returns a future.
                    if let TraitItem::Fn(f) = ti
                        && !cfg_never(&f.attrs)
                    {
                        let path = format!("{trait_path}::{}", f.sig.ident);
                        let name = format!("{}::{}", t.ident, f.sig.ident);
                        let trait_ty = Some(trait_path.clone());
                        let id = self.out.facts.fns.len();
                        let body = f.default.as_ref();
                        self.walk_fn(path, name, &f.sig, body, trait_ty, Entry::Plain);
                        self.out.facts.fns[id].in_trait = true;
                    }
                }
                self.async_trait_send = saved_boxes;
                self.scopes.impl_ty = saved;
                self.must_use_allowed -= usize::from(must_use);
            }
            Item::Mod(m) => {
                let must_use = match &m.content {
                    Some((brace, _)) => {
                        self.note_item(&m.attrs, m.mod_token.span, brace.span.close())
                    }
                    None => false,
                };
                self.must_use_allowed += usize::from(must_use);
                let path = format!("{}::{}", self.scopes.module_path(), m.ident);
                match &m.content {
                    Some((_, items)) => {
                        self.inline_parents.push(m.ident.to_string());
                        self.walk_module(&path, items);
                        self.inline_parents.pop();
                    }
                    None => {
                        let path_attr = m.attrs.iter().find_map(|a| {
                            if !a.path().is_ident("path") {
                                return None;
                            }
                            match &a.meta {
                                syn::Meta::NameValue(nv) => match &nv.value {
                                    Expr::Lit(syn::ExprLit {
                                        lit: syn::Lit::Str(s),
                                        ..
                                    }) => Some(s.value()),
                                    _ => None,
                                },
                                _ => None,
                            }
                        });
                        self.out.mods.push(ModDecl {
                            inline_parents: self.inline_parents.clone(),
                            name: m.ident.to_string(),
                            path_attr,
                            loc: Loc::between(m.mod_token.span, m.ident.span()),
                        });
                    }
                }
                self.must_use_allowed -= usize::from(must_use);
            }
            Item::Struct(s) => {
                let path = format!("{}::{}", self.item_prefix(), s.ident);
                let fields = s.fields.iter().enumerate().map(|(i, f)| {
                    let name = f
                        .ident
                        .as_ref()
                        .map_or_else(|| i.to_string(), |i| i.to_string());
                    (name, self.scopes.ty_of_type(&f.ty))
                });
                let fields: Vec<_> = fields.collect();
                match self.out.facts.fields.entry(path) {
                    std::collections::hash_map::Entry::Occupied(mut e) => {
                        e.get_mut().extend(fields)
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(fields);
                    }
                }
            }
            Item::Type(t) if t.generics.params.is_empty() => {
                let path = format!("{}::{}", self.item_prefix(), t.ident);
                let ty = self.scopes.ty_of_type(&t.ty);
                if ty != Ty::Unknown {
                    self.out.facts.aliases.insert(path, ty);
                }
            }
            Item::Const(c) => self.walk_detached_expr(&c.expr),
            Item::Static(s) => self.walk_detached_expr(&s.expr),
            _ => {}
        }
    }

    /// An expression outside any function (const / static initialisers).
    pub(super) fn walk_detached_expr(&mut self, e: &Expr) {
        let saved_ctx = std::mem::replace(&mut self.ctx, Ctx::Sync);
        let saved_fn = self.cur_fn.take();
        let outer = self.scopes.enter_item_body();
        self.scopes.blocks.push(Scope::default());
        self.walk_expr(e);
        self.scopes.leave_item_body(outer);
        self.cur_fn = saved_fn;
        self.ctx = saved_ctx;
    }

    pub(super) fn walk_fn(
        &mut self,
        path: String,
        name: String,
        sig: &syn::Signature,
        body: Option<&syn::Block>,
        self_ty: Option<String>,
        entry: Entry,
    ) {
        let ret = match &sig.output {
            syn::ReturnType::Default => Ty::Path("()".into()),
            syn::ReturnType::Type(_, t) => self.scopes.ty_of_type(t),
        };
        let id = self.out.facts.fns.len();
        // `#[tokio::main]` / `#[tokio::test]` turn an `async fn` into a sync one that runs the
        // body on a runtime: calling it returns no future.
        let returns_future =
            !entry.is_runtime() && (sig.asyncness.is_some() || returns_future(&sig.output));
        let send_decl = match (&sig.asyncness, self.async_trait_send) {
            (Some(_), Some(loc)) => Some(SendDecl {
                loc,
                what: "`#[async_trait]` (without `?Send`) boxes it as `dyn Future + Send`".into(),
            }),
            _ => send_bound(&sig.output).map(|(span, what)| SendDecl {
                loc: self.loc(span),
                what: format!("its declared return type is {what}"),
            }),
        };
        self.out.facts.fns.push(FnDef {
            path,
            name,
            is_async: sig.asyncness.is_some(),
            file: self.file,
            loc: self.loc(sig.ident.span()),
            ret,
            returns_future,
            lazy: if sig.asyncness.is_some() {
                Laziness::Lazy
            } else {
                Laziness::Unknown
            },
            nonblocking_from: None,
            calls_param: false,
            send_decl,
            in_trait: false,
            has_body: body.is_some(),
            impl_of: None,
            send_param: send_future_param(sig),
        });
        let Some(body) = body else { return };
        // Items nested in the body get no `#[async_trait]` of their own.
        let saved_boxes = self.async_trait_send.take();
        let saved_ctx = std::mem::replace(
            &mut self.ctx,
            if sig.asyncness.is_some() {
                Ctx::Async
            } else {
                Ctx::Sync
            },
        );
        let saved_fn = self.cur_fn.replace(id);
        let saved_ct = std::mem::replace(
            &mut self.current_thread,
            matches!(
                entry,
                Entry::Runtime {
                    current_thread: true
                }
            ),
        );
        let saved_closure = self.closure_of.take();
        let saved_deferred = self.deferred_to.take();
        let mut names = Vec::new();
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                pat_idents(&pt.pat, &mut names);
            }
        }
        let saved_params = std::mem::replace(&mut self.params, names);
        let saved_loops = std::mem::take(&mut self.loops);
        let saved_sc = std::mem::take(&mut self.sync_closures);
        // A nested fn sees the items and imports of the blocks around it, not their locals.
        let outer_blocks = self.scopes.enter_item_body();
        let mut params = Scope::default();
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => {
                    if let Some(t) = &self_ty {
                        params.locals.insert("self".into(), Ty::Path(t.clone()));
                    }
                }
                syn::FnArg::Typed(_) => {}
            }
        }
        self.scopes.blocks.push(params);
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let ty = self.scopes.ty_of_type(&pt.ty);
                self.scopes.bind_pat(&pt.pat, ty);
            }
        }
        // A nested fn's body is not part of the enclosing async body.
        let saved_frames = self.live.suspend();
        let saved_future = self.cur_future.take();
        if sig.asyncness.is_some() {
            let used = if entry == Entry::Plain {
                FutureUse::FnBody(id)
            } else {
                FutureUse::Local
            };
            let loc = self.loc(sig.ident.span());
            self.enter_future(loc, used);
            self.bind_params(sig, self_ty.as_deref());
        } else if self.out.facts.fns[id].returns_future
            && let Some(syn::Stmt::Expr(tail, None)) = body.stmts.last()
        {
            // The future a sync fn returns: its tail expression.
            self.watch_future(tail, FutureUse::Returned(id));
        }
        let first_call = self.out.facts.calls.len();
        self.walk_block(body);
        if sig.asyncness.is_some() {
            self.live.exit_frame(self.file, Some(id));
        } else if returns_future {
            self.out.facts.fns[id].lazy = self.laziness(body, first_call);
        }
        self.cur_future = saved_future;
        self.async_trait_send = saved_boxes;
        self.live.resume(saved_frames);
        self.loops = saved_loops;
        self.sync_closures = saved_sc;
        self.scopes.leave_item_body(outer_blocks);
        self.params = saved_params;
        self.closure_of = saved_closure;
        self.deferred_to = saved_deferred;
        self.cur_fn = saved_fn;
        self.current_thread = saved_ct;
        self.ctx = saved_ctx;
    }

    /// Whether the future a sync fn's `body` returns is lazy; `first_call` is the index of the
    /// first call recorded in the body (the tail call is found among those by its location).
    fn laziness(&self, body: &syn::Block, first_call: usize) -> Laziness {
        match future_tail(body) {
            FutureTail::Block => Laziness::Lazy,
            FutureTail::Call(e) => {
                let loc = self.expr_loc(e);
                let calls = &self.out.facts.calls[first_call..];
                match calls.iter().position(|c| c.loc == loc) {
                    Some(i) => Laziness::As(first_call + i),
                    None => Laziness::Unknown,
                }
            }
            FutureTail::Unknown => Laziness::Unknown,
        }
    }

    /// The parameters of an async fn live in its future from the start: each one whose type
    /// may matter for `Send` (an `Rc`-family pointer, a type of this crate or a dependency,
    /// `self` of a crate type) is a live value of its body.
    fn bind_params(&mut self, sig: &syn::Signature, self_ty: Option<&str>) {
        let shared = |t: &syn::Type| matches!(t, syn::Type::Reference(r) if r.mutability.is_none());
        for input in &sig.inputs {
            let (name, ty, kind, span) = match input {
                syn::FnArg::Receiver(r) => {
                    let (ty, kind) = match (&r.kind, self_ty) {
                        (syn::ReceiverKind::Typed(_, t), _) => {
                            let kind = if shared(t) {
                                ParamKind::Shared
                            } else {
                                ParamKind::Owned
                            };
                            (self.scopes.ty_of_type(t), kind)
                        }
                        (syn::ReceiverKind::Reference(_, _, None), Some(t)) => {
                            (Ty::Path(t.to_string()), ParamKind::Shared)
                        }
                        (_, Some(t)) => (Ty::Path(t.to_string()), ParamKind::Owned),
                        (_, None) => continue,
                    };
                    ("self".to_string(), ty, kind, r.self_token.span)
                }
                syn::FnArg::Typed(pt) => {
                    let syn::Pat::Ident(pi) = &*pt.pat else {
                        continue;
                    };
                    let kind = if shared(&pt.ty) {
                        ParamKind::Shared
                    } else {
                        ParamKind::Owned
                    };
                    let ty = self.scopes.ty_of_type(&pt.ty);
                    (pi.ident.to_string(), ty, kind, pi.ident.span())
                }
            };
            if self.param_ty_may_matter(&ty) {
                let loc = self.loc(span);
                self.live.bind_param(name, ty, loc, kind);
            }
        }
    }

    /// Whether a parameter's type can make a future `!Send`: an `Rc`-family pointer (or a
    /// pointer to one), or a type outside `std` whose fields the crate index may know. `std`
    /// types and primitives are left out (they cost a fact each and never matter).
    fn param_ty_may_matter(&self, ty: &Ty) -> bool {
        match ty {
            Ty::Path(p) => {
                self.kb.held(p).is_some() || (p.contains("::") && !p.starts_with("std::"))
            }
            Ty::Wrap(outer, inner) => {
                self.kb.held(outer).is_some() || self.param_ty_may_matter(inner)
            }
            Ty::Tuple(v) => v.iter().any(|t| self.param_ty_may_matter(t)),
            _ => false,
        }
    }

    /// The sync fn whose returned future a `return` here hands over (not inside a closure or
    /// an async block).
    pub(super) fn returning_future_fn(&self) -> Option<usize> {
        let f = self.cur_fn?;
        let def = &self.out.facts.fns[f];
        (def.returns_future
            && !def.is_async
            && self.cur_future.is_none()
            && self.sync_closures == 0)
            .then_some(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::walk_src;
    use crate::kb::Kb;
    use crate::syntax::facts::Laziness;

    /// (fn name, laziness) of every fn returning a future in `src`; `As` as the callee's name.
    fn laziness(src: &str) -> Vec<(String, String)> {
        let out = walk_src(Kb::builtin(), src);
        let facts = &out.facts;
        facts
            .fns
            .iter()
            .filter(|f| f.returns_future)
            .map(|f| {
                let l = match f.lazy {
                    Laziness::Lazy => "lazy".to_string(),
                    Laziness::Unknown => "unknown".to_string(),
                    Laziness::As(i) => match &facts.calls[i].callee {
                        crate::syntax::facts::Callee::Path(p) => format!("as {}", p[0]),
                        crate::syntax::facts::Callee::Method { name, .. } => format!("as .{name}"),
                    },
                };
                (f.name.clone(), l)
            })
            .collect()
    }

    #[test]
    fn a_sync_fn_returning_a_future_is_lazy_only_when_it_does_nothing_first() {
        let src = r#"
            use std::future::Future;
            async fn a() {}
            fn block(x: u64) -> impl Future<Output = u64> { let y = x; async move { y } }
            fn cloned(s: &S) -> impl Future<Output = ()> { let s = s.clone(); Box::pin(async move { s.go().await }) }
            fn tail(d: u64) -> impl Future<Output = ()> { tokio::time::sleep(Duration::from_millis(d)) }
            fn boxed() -> BoxFuture<'static, ()> { a().boxed() }
            fn returned() -> impl Future<Output = ()> { return a(); }
            fn sends(tx: &Tx) -> impl Future<Output = ()> { let (t, r) = channel(); tx.send(t); async move { r.await; } }
            fn logs() -> impl Future<Output = ()> { println!("x"); async {} }
            fn branch(c: bool) -> BoxFuture<'static, ()> { if c { Box::pin(a()) } else { Box::pin(async {}) } }
        "#;
        let got = laziness(src);
        let want = [
            ("a", "lazy"),
            ("block", "lazy"),
            ("cloned", "lazy"),
            ("tail", "as tokio::time::sleep"),
            ("boxed", "as demo::a"),
            ("returned", "as demo::a"),
            ("sends", "unknown"),
            ("logs", "unknown"),
            ("branch", "unknown"),
        ];
        let want: Vec<(String, String)> = want
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(got, want);
    }
}
