//! The traversal: blocks, statements and expressions, in evaluation order. It records calls
//! with their async context and delegates to the concerns beside it: name resolution and type
//! evidence ([`super::scope`], [`super::types`]), context ([`super::context`]), held and dropped
//! values ([`super::held`]), macros and `select!` ([`super::macros`], [`super::select`]).

use super::context::Runs;
use super::held::{CONSUMING_METHODS, binding_leaves};
use super::scope::{Resolved, Scope, path_segments};
use super::shapes::{
    block_diverges, calls_local, diverges, expr_attrs, has_let, is_constructor_path, local_name,
    path_start, tail_closure,
};
use super::types::ASYNC_CLOSURE;
use super::{MAX_DEPTH, Walker};
use crate::syntax::facts::{CallSite, Callee, DropKind, Dropped, FutureUse, ParamCall, Ty};
use crate::syntax::source::Loc;
use syn::spanned::Spanned;
use syn::{Expr, Pat, Stmt};

impl Walker<'_> {
    pub(super) fn walk_block(&mut self, block: &syn::Block) {
        let mut scope = Scope::default();
        if block.stmts.iter().any(|s| matches!(s, Stmt::Item(_))) {
            let prefix = self.item_prefix();
            let items = block.stmts.iter().filter_map(|s| match s {
                Stmt::Item(i) => Some(i),
                _ => None,
            });
            self.scopes.collect_items(items, &prefix, &mut scope);
        }
        self.scopes.blocks.push(scope);
        self.live.enter_block();
        self.unused.push(Vec::new());
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            // `let f = || ..;` runs in place when the block calls `f(..)` afterwards.
            let marked = self.closure_places.len();
            if let Stmt::Local(l) = stmt
                && let Some(init) = &l.init
                && let Some(c) = tail_closure(&init.expr)
                && let Some(name) = local_name(&l.pat)
                && calls_local(&block.stmts[i + 1..], &name)
            {
                self.closure_places
                    .push((c, Runs::Here, self.closure_of, None));
            }
            // Before edition 2024 a block's tail expression keeps its temporaries until the end
            // of the statement enclosing the block.
            if i + 1 == n && self.edition < 2024 && matches!(stmt, Stmt::Expr(_, None)) {
                self.walk_stmt_inner(stmt);
            } else {
                self.walk_stmt(stmt);
            }
            self.closure_places.truncate(marked);
        }
        self.live.exit_block(self.file, self.cur_fn);
        if let Some(unused) = self.unused.pop() {
            self.out
                .facts
                .dropped
                .extend(unused.into_iter().map(|(_, _, d)| d));
        }
        self.scopes.blocks.pop();
    }

    pub(super) fn walk_stmt(&mut self, stmt: &Stmt) {
        let watched = self.drop_watch.len();
        let stmt_id = self.live.new_stmt();
        let saved_stmt = std::mem::replace(&mut self.cur_stmt, stmt_id);
        let futures_watched = self.future_watch.len();
        self.walk_stmt_inner(stmt);
        self.cur_stmt = saved_stmt;
        self.live.end_stmt(stmt_id, self.file, self.cur_fn);
        // A watched expression the walk never recorded as a call (a closure call): forget it.
        self.drop_watch.truncate(watched);
        self.future_watch.truncate(futures_watched);
    }

    pub(super) fn walk_stmt_inner(&mut self, stmt: &Stmt) {
        // `#[allow(..)]` / `#[expect(..)]` on the statement itself.
        let attrs = match stmt {
            Stmt::Local(l) => &l.attrs[..],
            Stmt::Expr(e, _) => expr_attrs(e),
            Stmt::Macro(m) => &m.attrs[..],
            Stmt::Item(_) => &[],
        };
        if attrs.is_empty() {
            self.walk_stmt_kind(stmt);
        } else if super::shapes::cfg_never(attrs) {
            // Compiled out (`#[cfg(any())]`, `#[cfg(test)]` in a dependency, a feature that
            // `--features` rules out): nothing of it runs.
        } else {
            let span = stmt.span();
            let (first, last) = (span.start().line, span.end().line);
            let must_use = usize::from(self.note_allows(attrs, first, last));
            self.must_use_allowed += must_use;
            self.walk_stmt_kind(stmt);
            self.must_use_allowed -= must_use;
        }
    }

    fn walk_stmt_kind(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Local(local) => {
                let mut leaves = Vec::new();
                let wild = matches!(local.pat, Pat::Wild(_));
                let ty = match &local.init {
                    Some(init) => {
                        // What the pattern binds is not a temporary (`let _ = x` binds nothing).
                        if !wild {
                            binding_leaves(&init.expr, &mut leaves);
                        }
                        let saved = std::mem::replace(
                            &mut self.bound,
                            leaves.iter().map(|e| *e as *const Expr).collect(),
                        );
                        if wild {
                            self.watch_dropped(&init.expr, DropKind::LetUnderscore);
                            self.discard_binding(&init.expr, DropKind::LetUnderscore);
                        } else if init.diverge.is_none()
                            && let Pat::Ident(pi) = &local.pat
                        {
                            let name = pi.ident.to_string();
                            self.watch_dropped(&init.expr, DropKind::UnusedBinding(name));
                        }
                        // `let .. else` drops the initializer's temporaries before `else` runs.
                        let sub = init.diverge.as_ref().map(|_| self.live.new_stmt());
                        let outer = self.cur_stmt;
                        if let Some(sub) = sub {
                            self.cur_stmt = sub;
                        }
                        self.walk_expr(&init.expr);
                        self.bound = saved;
                        self.cur_stmt = outer;
                        if let Some(sub) = sub {
                            self.live.end_stmt(sub, self.file, self.cur_fn);
                        }
                        if let Some((_, diverge)) = &init.diverge {
                            self.walk_expr(diverge);
                        }
                        self.scopes.ty_of_expr(&init.expr)
                    }
                    None => Ty::Unknown,
                };
                if self.live.active() {
                    self.bind_live(&local.pat, &leaves);
                }
                self.shadow_unused(&local.pat);
                self.scopes.bind_pat(&local.pat, ty);
            }
            Stmt::Item(item) => {
                let saved_ctx = self.ctx;
                self.walk_item(item);
                self.ctx = saved_ctx;
            }
            Stmt::Expr(e, semi) => {
                if semi.is_some() {
                    self.watch_dropped(e, DropKind::Statement);
                }
                let saved = std::mem::replace(&mut self.stmt_root, e as *const Expr);
                self.walk_expr(e);
                self.stmt_root = saved;
            }
            Stmt::Macro(m) => self.walk_macro(&m.mac),
        }
    }

    pub(super) fn walk_expr(&mut self, e: &Expr) {
        if self.depth >= MAX_DEPTH {
            if self.out.too_deep.is_none() {
                self.out.too_deep = Some(self.loc(e.span()));
            }
            return;
        }
        self.depth += 1;
        self.walk_expr_inner(e);
        self.depth -= 1;
    }

    /// Remembers the first non-blocking mode switch in the enclosing fn item.
    pub(super) fn note_nonblocking(&mut self, loc: Loc) {
        if let Some(f) = self.cur_fn
            && let Some(def) = self.out.facts.fns.get_mut(f)
            && def.nonblocking_from.is_none()
        {
            def.nonblocking_from = Some(loc);
        }
    }

    pub(super) fn record_call<'e>(
        &mut self,
        callee: Callee,
        loc: Loc,
        expr_loc: Loc,
        args: impl IntoIterator<Item = &'e Expr>,
    ) -> usize {
        let awaited = std::mem::take(&mut self.awaited_next);
        let forwards_param = !self.params.is_empty()
            && args.into_iter().any(|a| match a {
                Expr::Path(p) => p
                    .path
                    .get_ident()
                    .is_some_and(|i| self.params.iter().any(|n| i == n)),
                _ => false,
            });
        self.out.facts.calls.push(CallSite {
            callee,
            file: self.file,
            loc,
            expr_loc,
            ctx: self.ctx,
            caller: self.cur_fn,
            awaited,
            closure_of: self.closure_of,
            forwards_param,
            in_sync_closure: self.sync_closures > 0,
            deferred_to: self.deferred_to,
            on_current_thread: self.current_thread,
        });
        self.out.facts.calls.len() - 1
    }

    /// Walks an `if` / `while` condition in a scope of its own: a plain condition is a
    /// terminating scope (its temporaries die here); an `if let` / `while let` scrutinee's live
    /// on, under the returned statement id.
    pub(super) fn walk_condition(&mut self, cond: &Expr) -> (usize, bool) {
        let is_let = has_let(cond);
        let cond_stmt = self.live.new_stmt();
        let saved_stmt = std::mem::replace(&mut self.cur_stmt, cond_stmt);
        self.scopes.blocks.push(Scope::default());
        self.live.enter_block();
        self.walk_expr(cond);
        self.cur_stmt = saved_stmt;
        if !is_let {
            self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
        }
        (cond_stmt, is_let)
    }

    pub(super) fn walk_if(&mut self, i: &syn::ExprIf) {
        // A plain condition is a terminating scope; `if let` scrutinee temporaries live
        // through the then-branch, and through `else` too before edition 2024.
        let (cond_stmt, is_let) = self.walk_condition(&i.cond);
        let alive = self.live.alive();
        self.walk_block(&i.then_branch);
        self.live.exit_block(self.file, self.cur_fn);
        self.scopes.blocks.pop();
        let then_killed = self
            .live
            .branch_reset(&alive, block_diverges(&i.then_branch));
        if is_let && self.edition >= 2024 {
            self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
        }
        let else_killed = match &i.else_branch {
            Some((_, els)) => {
                self.walk_expr(els);
                self.live.branch_reset(&alive, diverges(els))
            }
            None => self.live.branch_reset(&alive, false),
        };
        self.live.branch_merge(&[then_killed, else_killed]);
        self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
    }

    /// One expression: the plain forms are walked here, the rest by a method each.
    fn walk_expr_inner(&mut self, e: &Expr) {
        match e {
            Expr::Call(c) => self.walk_call(e, c),
            Expr::MethodCall(m) => self.walk_method_call(e, m),
            Expr::Await(a) => self.walk_await(a),
            Expr::Async(a) => self.walk_async_block(e, a),
            Expr::Closure(c) => self.walk_closure(c),
            Expr::Block(b) => self.walk_block(&b.block),
            Expr::Unsafe(u) => self.walk_block(&u.block),
            Expr::Const(c) => self.walk_block(&c.block),
            Expr::TryBlock(t) => self.walk_block(&t.block),
            Expr::Loop(l) => {
                self.loops.push(label_name(&l.label));
                self.walk_block(&l.body);
                self.loops.pop();
            }
            Expr::While(w) => self.walk_while(w),
            Expr::ForLoop(f) => self.walk_for(f),
            Expr::If(i) => self.walk_if(i),
            Expr::Let(l) => self.walk_let_expr(l),
            Expr::Match(m) => self.walk_match(m),
            Expr::Macro(m) => self.walk_macro(&m.mac),
            Expr::Array(a) => a.elems.iter().for_each(|e| self.walk_expr(e)),
            Expr::Tuple(t) => t.elems.iter().for_each(|e| self.walk_expr(e)),
            Expr::Assign(a) => {
                self.walk_expr(&a.left);
                self.walk_expr(&a.right);
            }
            Expr::Binary(b) => {
                // `a + b + c + ..` nests to the left: walk the chain flat (rustc takes hundreds
                // of terms), in evaluation order.
                let mut rights = vec![&*b.right];
                let mut left = &*b.left;
                while let Expr::Binary(inner) = left {
                    rights.push(&inner.right);
                    left = &inner.left;
                }
                self.walk_expr(left);
                for r in rights.into_iter().rev() {
                    self.walk_expr(r);
                }
            }
            Expr::Unary(u) => {
                // `flags & !O_NONBLOCK` clears the flag: no switch to non-blocking mode.
                let saved = self.negated;
                self.negated = matches!(u.op, syn::UnOp::Not(_));
                self.walk_expr(&u.expr);
                self.negated = saved;
            }
            Expr::Break(b) => {
                if let Some(e) = &b.expr {
                    self.walk_expr(e);
                    self.move_args(std::iter::once(&**e));
                }
            }
            Expr::Return(r) => {
                if let Some(e) = &r.expr {
                    if let Some(f) = self.returning_future_fn() {
                        self.watch_future(e, FutureUse::Returned(f));
                    }
                    self.walk_expr(e);
                    self.move_args(std::iter::once(&**e));
                }
            }
            Expr::Yield(y) => {
                if let Some(e) = &y.expr {
                    self.walk_expr(e)
                }
            }
            Expr::Cast(c) => self.walk_expr(&c.expr),
            Expr::Field(f) => self.walk_expr(&f.base),
            Expr::Group(g) => self.walk_expr(&g.expr),
            Expr::Paren(p) => self.walk_expr(&p.expr),
            Expr::Index(i) => {
                self.walk_expr(&i.expr);
                self.walk_expr(&i.index);
            }
            Expr::Range(r) => {
                if let Some(s) = &r.start {
                    self.walk_expr(s)
                }
                if let Some(s) = &r.end {
                    self.walk_expr(s)
                }
            }
            Expr::Reference(r) => self.walk_expr(&r.expr),
            Expr::RawAddr(r) => self.walk_expr(&r.expr),
            Expr::Repeat(r) => {
                self.walk_expr(&r.expr);
                self.walk_expr(&r.len);
            }
            Expr::Struct(s) => {
                for f in &s.fields {
                    self.walk_expr(&f.expr);
                }
                if let Some(r) = &s.rest {
                    self.walk_expr(r);
                }
            }
            Expr::Try(t) => {
                // `fut().await?` keeps the await flag on the call below `?`.
                self.walk_expr(&t.expr)
            }
            Expr::Path(p) => self.walk_path_expr(p),
            _ => {}
        }
    }

    /// A call `f(args)`: resolved, recorded with its context; its arguments walked (closures
    /// handed to an island in the island's context).
    fn walk_call(&mut self, e: &Expr, c: &syn::ExprCall) {
        let mut island = false;
        let mut idx = None;
        if let Expr::Path(p) = &*c.func
            && p.qself.is_none()
            && is_constructor_path(&p.path)
        {
            // `Some(x)`, `Ok(x)`, `Poll::Ready(x)`, `Wrapper(x)`: a tuple struct or
            // variant, not a function (by Rust's naming convention).
            self.awaited_next = false;
        } else if let Expr::Path(p) = &*c.func
            && p.qself.is_none()
        {
            match self.scopes.resolve(&path_segments(&p.path)) {
                Resolved::Paths(paths) if !paths.is_empty() => {
                    island = paths.iter().any(|p| self.kb.is_island_fn(p));
                    let loc = self.path_loc(&p.path);
                    let expr_loc =
                        self.call_loc(loc, path_start(&p.path), c.paren_token.span.close());
                    let is_drop = paths.iter().any(|p| p == "std::mem::drop");
                    let callee = Callee::Path(paths);
                    let name = p.path.segments.last().map(|s| s.ident.to_string());
                    let i = self.record_call(callee, loc, expr_loc, &c.args);
                    idx = Some(i);
                    // `drop(..)`'s own value is `()`: only its argument is watched.
                    self.note_call_use(e, i);
                    self.watch_args(i, name.as_deref().unwrap_or(""), &c.args);
                    if !self.drop_watch.is_empty() && !is_drop {
                        self.check_dropped_call(e, i, loc);
                    }
                    if is_drop && let Some(arg) = c.args.first() {
                        self.watch_dropped(arg, DropKind::Drop);
                        // `drop(f);` as a statement of its own.
                        if std::ptr::eq(e, self.stmt_root) {
                            self.discard_binding(arg, DropKind::Drop);
                        }
                    }
                }
                _ => {
                    self.awaited_next = false;
                    // `f(..)` on a parameter: closures passed to this fn run in place, or,
                    // when the call is in a closure, where that closure runs (the crate index
                    // decides: in place, on a blocking thread, or later elsewhere).
                    if let Some(i) = p.path.get_ident()
                        && self.params.iter().any(|n| i == n)
                        && let Some(f) = self.cur_fn
                    {
                        if self.closure_of.is_none() {
                            if let Some(def) = self.out.facts.fns.get_mut(f) {
                                def.calls_param = true;
                            }
                        } else {
                            self.out.facts.param_calls.push(ParamCall {
                                func: f,
                                ctx: self.ctx,
                                closure_of: self.closure_of,
                            });
                        }
                    }
                    // Calling a local async closure makes a future.
                    if !self.drop_watch.is_empty()
                        && let Some(i) = p.path.get_ident()
                        && self.scopes.local_ty(&i.to_string())
                            == Some(Ty::Path(ASYNC_CLOSURE.into()))
                        && let Some(pos) = self
                            .drop_watch
                            .iter()
                            .position(|(x, _)| std::ptr::eq(*x, e))
                    {
                        let (_, kind) = self.drop_watch.swap_remove(pos);
                        let loc = self.path_loc(&p.path);
                        self.dropped(Dropped::AsyncBlock, kind, loc);
                    }
                }
            }
        } else {
            self.awaited_next = false;
            // `(|| ..)()`: the closure runs right here.
            let marked = self.closure_places.len();
            if let Some(closure) = tail_closure(&c.func) {
                self.closure_places
                    .push((closure, Runs::Here, self.closure_of, None));
            }
            self.walk_expr(&c.func);
            self.closure_places.truncate(marked);
        }
        for a in &c.args {
            self.walk_arg(idx, a, island);
        }
        if self.live.active() {
            // A call `--fix` may make awaited: what an `.await` after it would hold (before
            // its arguments move into it, as they would move into the future).
            if let (Some(i), Expr::Path(p)) = (idx, &*c.func)
                && self.sync_closures == 0
                && p.path
                    .segments
                    .last()
                    .is_some_and(|s| self.kb.may_be_fixed(&s.ident))
            {
                let tys = self.live.alive_tys();
                if !tys.is_empty() {
                    self.out.facts.fix_live.push((i, tys));
                }
            }
            self.move_args(&c.args);
            let produces = match &*c.func {
                Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
                    let f = s.ident.to_string();
                    matches!(f.as_str(), "new" | "clone" | "downgrade" | "current")
                        && self
                            .scopes
                            .resolve_paths(&p.path)
                            .is_some_and(|ps| ps.iter().any(|p| self.kb.may_produce_held_fn(p)))
                }),
                _ => false,
            };
            self.maybe_temp(e, produces);
        }
    }

    /// A method call `recv.m(args)`: recorded with the receiver's type evidence, then the
    /// receiver and the arguments are walked.
    fn walk_method_call(&mut self, e: &Expr, m: &syn::ExprMethodCall) {
        // A chain `x.a().b().c()` (builders take hundreds of calls) is walked in the order
        // nested calls would be (each call recorded before its receiver, its arguments after),
        // without a level of nesting per call.
        let mut chain = vec![(e, m)];
        let mut base = &*m.receiver;
        while let Expr::MethodCall(inner) = base {
            chain.push((base, inner));
            base = &inner.receiver;
        }
        let heads: Vec<(usize, String, bool)> = chain
            .iter()
            .map(|(e, m)| self.method_call_head(e, m))
            .collect();
        self.walk_expr(base);
        for ((e, m), (idx, name, current_thread)) in chain.into_iter().zip(heads).rev() {
            self.method_call_tail(e, m, idx, &name, current_thread);
        }
    }

    /// A method call before its receiver is walked: recorded, and watched as a dropped value.
    /// Returns the call's index, its name, and whether it drives a current_thread runtime.
    fn method_call_head(&mut self, e: &Expr, m: &syn::ExprMethodCall) -> (usize, String, bool) {
        let name = m.method.to_string();
        let recv = self.scopes.ty_of_expr(&m.receiver);
        let loc = self.loc(m.method.span());
        if name == "set_nonblocking"
            && matches!(m.args.first(), Some(Expr::Lit(l)) if matches!(&l.lit, syn::Lit::Bool(b) if b.value))
        {
            self.note_nonblocking(loc);
        }
        let expr_loc = self.call_loc(loc, m.method.span(), m.paren_token.span.close());
        // `rt.block_on(async { .. })` of a runtime built as current_thread here.
        let current_thread =
            name == "block_on" && super::context::built_current_thread(&recv, self.kb);
        let callee = Callee::Method {
            recv,
            name: name.clone(),
        };
        let idx = self.record_call(callee, loc, expr_loc, &m.args);
        if !self.drop_watch.is_empty() {
            self.check_dropped_call(e, idx, loc);
        }
        self.note_call_use(e, idx);
        self.watch_args(idx, &name, std::iter::once(&*m.receiver).chain(&m.args));
        (idx, name, current_thread)
    }

    /// A method call after its receiver is walked: its arguments, and the values it moves or
    /// produces.
    fn method_call_tail(
        &mut self,
        e: &Expr,
        m: &syn::ExprMethodCall,
        idx: usize,
        name: &str,
        current_thread: bool,
    ) {
        let island = self.kb.is_island_method(name) || self.chain_is_island(&m.receiver);
        let saved_ct = self.current_thread;
        self.current_thread |= current_thread;
        // `CONFIG.get_or_init(|| ..)` on a `static`: the closure runs at most once per process.
        let once = self.kb.runs_closure_once_method(name)
            && matches!(&*m.receiver, Expr::Path(p) if p.qself.is_none()
                && p.path.get_ident().is_some_and(|i| self.scopes.is_static(&i.to_string())));
        let saved_once = std::mem::replace(&mut self.once_call, once.then_some(idx));
        for a in &m.args {
            self.walk_arg(Some(idx), a, island);
        }
        self.once_call = saved_once;
        self.current_thread = saved_ct;
        if self.live.active() {
            self.move_args(&m.args);
            if CONSUMING_METHODS.contains(&name) {
                self.move_args(std::iter::once(&*m.receiver));
            }
            self.maybe_temp(e, self.kb.may_produce_held_method(name));
        }
    }

    /// `fut.await`: marks the call below as awaited; values alive here are held across it.
    fn walk_await(&mut self, a: &syn::ExprAwait) {
        let mut base = &*a.base;
        while let Expr::Paren(p) = base {
            base = &p.expr;
        }
        self.awaited_next = matches!(base, Expr::Call(_) | Expr::MethodCall(_));
        self.walk_expr(&a.base);
        self.awaited_next = false;
        if self.live.active() {
            let loc = Loc::between(a.dot_token.span, a.await_token.span);
            self.live.on_await(loc);
        }
    }

    /// `while cond { .. }` / `while let`.
    fn walk_while(&mut self, w: &syn::ExprWhile) {
        // `while cond`: the condition is a terminating scope; `while let` scrutinee
        // temporaries live through the body.
        let (cond_stmt, _) = self.walk_condition(&w.cond);
        self.loops.push(label_name(&w.label));
        self.walk_block(&w.body);
        self.loops.pop();
        self.live.exit_block(self.file, self.cur_fn);
        self.scopes.blocks.pop();
        self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
    }

    /// `for pat in expr { .. }`: the implicit `into_iter` call is recorded too.
    fn walk_for(&mut self, f: &syn::ExprForLoop) {
        self.walk_expr(&f.expr);
        let recv = self.scopes.ty_of_expr(&f.expr);
        if recv != Ty::Unknown {
            let loc = self.loc(f.expr.span());
            let callee = Callee::Method {
                recv,
                name: "into_iter".into(),
            };
            self.record_call(callee, loc, loc, []);
        }
        self.scopes.blocks.push(Scope::default());
        self.scopes.bind_pat(&f.pat, Ty::Unknown);
        self.loops.push(label_name(&f.label));
        self.walk_block(&f.body);
        self.loops.pop();
        self.scopes.blocks.pop();
    }

    /// `let pat = expr` in a condition: what it binds lives in the branch.
    fn walk_let_expr(&mut self, l: &syn::ExprLet) {
        let mut leaves = Vec::new();
        if self.pat_binds(&l.pat) {
            binding_leaves(&l.expr, &mut leaves);
        }
        let saved = std::mem::replace(
            &mut self.bound,
            leaves.iter().map(|e| *e as *const Expr).collect(),
        );
        self.walk_expr(&l.expr);
        self.bound = saved;
        if self.live.active() {
            self.bind_live(&l.pat, &leaves);
        }
        let ty = self.scopes.ty_of_expr(&l.expr);
        self.scopes.bind_pat(&l.pat, ty);
    }

    /// `match`: each arm in a scope of its own; values its pattern binds live in that arm.
    fn walk_match(&mut self, m: &syn::ExprMatch) {
        // Scrutinee temporaries live to the end of the enclosing statement; what an
        // arm's pattern binds lives in that arm.
        let mut leaves = Vec::new();
        if m.arms.iter().any(|a| self.pat_binds(&a.pat)) {
            binding_leaves(&m.expr, &mut leaves);
        }
        let saved = std::mem::replace(
            &mut self.bound,
            leaves.iter().map(|e| *e as *const Expr).collect(),
        );
        self.walk_expr(&m.expr);
        self.bound = saved;
        let ty = self.scopes.ty_of_expr(&m.expr);
        let alive = self.live.alive();
        let mut killed = Vec::with_capacity(m.arms.len());
        for arm in &m.arms {
            self.scopes.blocks.push(Scope::default());
            self.live.enter_block();
            if self.live.active() {
                self.bind_live(&arm.pat, &leaves);
            }
            self.scopes.bind_pat(&arm.pat, ty.clone());
            if let Pat::Guard(g) = &arm.pat {
                self.walk_expr(&g.guard);
            }
            self.walk_expr(&arm.body);
            self.live.exit_block(self.file, self.cur_fn);
            self.scopes.blocks.pop();
            killed.push(self.live.branch_reset(&alive, diverges(&arm.body)));
        }
        self.live.branch_merge(&killed);
    }

    /// A path used as a value: a non-blocking flag being set, or a use of a binding.
    fn walk_path_expr(&mut self, p: &syn::ExprPath) {
        if !self.negated
            && p.path.segments.last().is_some_and(|s| {
                s.ident == "O_NONBLOCK" || s.ident == "SOCK_NONBLOCK" || s.ident == "NONBLOCK"
            })
        {
            let loc = self.path_loc(&p.path);
            self.note_nonblocking(loc);
        }
        if self.unused.iter().any(|b| !b.is_empty())
            && let Some(i) = p.path.get_ident()
        {
            self.note_use(&i.to_string());
        }
    }
}

/// The name of a loop's label (`'outer: loop`), without the quote.
fn label_name(label: &Option<syn::Label>) -> Option<String> {
    label.as_ref().map(|l| l.name.ident.to_string())
}
