//! Items: modules (with item-position macros expanded), fns, impls, traits and structs. Each
//! fn becomes an [`FnDef`] fact and its body is walked in the right async context; module
//! re-exports and struct fields are recorded for the crate index.

use super::context::{Entry, returns_future};
use super::macros::expand_item_macros;
use super::scope::Scope;
use super::shapes::{cfg_never, item_attrs, pat_idents, type_short_name};
use super::{ModDecl, Walker};
use crate::syntax::facts::{Ctx, FnDef, Ty};
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

    /// Notes an item's line range, and the clippy allows on it that stand for our lints.
    pub(super) fn note_item(&mut self, attrs: &[syn::Attribute], start: Span, end: Span) {
        let (first, last) = (start.start().line, end.end().line);
        self.out.items.push((first, last));
        for a in attrs.iter().filter(|a| a.path().is_ident("allow")) {
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
                }
                Ok(())
            });
        }
    }

    pub(super) fn walk_item(&mut self, item: &Item) {
        // `#[cfg(any())]`: code that no build compiles is not linted.
        if cfg_never(item_attrs(item)) {
            return;
        }
        match item {
            Item::Fn(f) => {
                self.note_item(
                    &f.attrs,
                    f.sig.fn_token.span,
                    f.block.brace_token.span.close(),
                );
                let path = format!("{}::{}", self.item_prefix(), f.sig.ident);
                let name = f.sig.ident.to_string();
                let entry = Entry::of(&f.attrs);
                self.walk_fn(path, name, &f.sig, Some(&f.block), None, entry);
            }
            Item::Impl(imp) => {
                self.note_item(
                    &imp.attrs,
                    imp.impl_token.span,
                    imp.brace_token.span.close(),
                );
                let self_ty = match self.scopes.ty_of_type(&imp.self_ty) {
                    Ty::Path(p) => Some(p),
                    _ => None,
                };
                let short = type_short_name(&imp.self_ty);
                let saved = std::mem::replace(&mut self.scopes.impl_ty, self_ty.clone());
                for ii in &imp.items {
                    match ii {
                        ImplItem::Fn(f) if cfg_never(&f.attrs) => {}
                        ImplItem::Const(c) if cfg_never(&c.attrs) => {}
                        ImplItem::Fn(f) => {
                            self.note_item(
                                &f.attrs,
                                f.sig.fn_token.span,
                                f.block.brace_token.span.close(),
                            );
                            let base = self_ty.clone().unwrap_or_else(|| {
                                format!("{}::<impl {short}>", self.scopes.module_path())
                            });
                            let path = format!("{base}::{}", f.sig.ident);
                            let name = format!("{short}::{}", f.sig.ident);
                            let entry = Entry::of(&f.attrs);
                            let body = Some(&f.block);
                            self.walk_fn(path, name, &f.sig, body, self_ty.clone(), entry);
                        }
                        ImplItem::Const(c) => self.walk_detached_expr(&c.expr),
                        _ => {}
                    }
                }
                self.scopes.impl_ty = saved;
            }
            Item::Trait(t) => {
                self.note_item(&t.attrs, t.trait_token.span, t.brace_token.span.close());
                let trait_path = format!("{}::{}", self.item_prefix(), t.ident);
                let saved = self.scopes.impl_ty.replace(trait_path.clone());
                for ti in &t.items {
                    if let TraitItem::Fn(f) = ti
                        && let Some(body) = &f.default
                        && !cfg_never(&f.attrs)
                    {
                        let path = format!("{trait_path}::{}", f.sig.ident);
                        let name = format!("{}::{}", t.ident, f.sig.ident);
                        let trait_ty = Some(trait_path.clone());
                        self.walk_fn(path, name, &f.sig, Some(body), trait_ty, Entry::Plain);
                    }
                }
                self.scopes.impl_ty = saved;
            }
            Item::Mod(m) => {
                if let Some((brace, _)) = &m.content {
                    self.note_item(&m.attrs, m.mod_token.span, brace.span.close());
                }
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
                        });
                    }
                }
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
        self.out.facts.fns.push(FnDef {
            path,
            name,
            is_async: sig.asyncness.is_some(),
            file: self.file,
            loc: self.loc(sig.ident.span()),
            ret,
            // `#[tokio::main]` / `#[tokio::test]` turn an `async fn` into a sync one that runs
            // the body on a runtime: calling it returns no future.
            returns_future: entry != Entry::Runtime
                && (sig.asyncness.is_some() || returns_future(&sig.output)),
            nonblocking_from: None,
        });
        let Some(body) = body else { return };
        let saved_ctx = std::mem::replace(
            &mut self.ctx,
            if sig.asyncness.is_some() {
                Ctx::Async
            } else {
                Ctx::Sync
            },
        );
        let saved_fn = self.cur_fn.replace(id);
        let saved_closure = self.closure_of.take();
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
        if sig.asyncness.is_some() {
            self.live.enter_frame(entry != Entry::Plain);
        }
        self.walk_block(body);
        if sig.asyncness.is_some() {
            self.live.exit_frame(self.file, Some(id));
        }
        self.live.resume(saved_frames);
        self.loops = saved_loops;
        self.sync_closures = saved_sc;
        self.scopes.leave_item_body(outer_blocks);
        self.params = saved_params;
        self.closure_of = saved_closure;
        self.cur_fn = saved_fn;
        self.ctx = saved_ctx;
    }
}
