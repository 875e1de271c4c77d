//! Held and dropped values: the bookkeeping behind the `*_across_await` lints (bindings and
//! temporaries alive at each `.await`, handed to [`crate::syntax::liveness`]) and behind
//! `unawaited_future` / `detached_spawn` (values thrown away or bound and never used).

use super::Walker;
use super::shapes::{is_constructor_path, pat_bindings, pat_ident_span, pat_idents};
use crate::kb::UNAWAITED_FUTURE;
use crate::syntax::facts::{DropKind, Dropped, DroppedValue, Ty};
use crate::syntax::liveness::Part;
use crate::syntax::source::Loc;
use syn::{Expr, Pat, Stmt};

/// Methods that take a guard by value and end it (`EnteredSpan::exit`).
pub(super) const CONSUMING_METHODS: &[&str] = &["exit", "into_inner"];
/// The expressions whose values end up in a binding initialised with `e`: through `?`,
/// `.await`, `.unwrap()`-like calls, and into tuples, arrays, struct literals and `Some(..)`.
pub(super) fn binding_leaves<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Paren(p) => binding_leaves(&p.expr, out),
        Expr::Group(g) => binding_leaves(&g.expr, out),
        Expr::Try(t) => binding_leaves(&t.expr, out),
        Expr::Await(a) => binding_leaves(&a.base, out),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "unwrap" | "expect" | "unwrap_or_else" | "unwrap_or_default" | "unwrap_unchecked"
            ) =>
        {
            binding_leaves(&m.receiver, out)
        }
        Expr::Tuple(t) => t.elems.iter().for_each(|e| binding_leaves(e, out)),
        Expr::Array(a) => a.elems.iter().for_each(|e| binding_leaves(e, out)),
        Expr::Struct(s) => s.fields.iter().for_each(|f| binding_leaves(&f.expr, out)),
        Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if is_constructor_path(&p.path)) => {
            c.args.iter().for_each(|e| binding_leaves(e, out))
        }
        // `let r = &mut *m.lock().unwrap();`: the temporary behind the reference lives as long
        // as the binding (temporary lifetime extension).
        Expr::Reference(r) => extended_leaves(&r.expr, out),
        _ => out.push(e),
    }
}

/// The temporaries a `&place` initialiser extends: calls at the root of the place.
pub(super) fn extended_leaves<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => extended_leaves(&u.expr, out),
        Expr::Field(f) => extended_leaves(&f.base, out),
        Expr::Index(i) => extended_leaves(&i.expr, out),
        Expr::Paren(p) => extended_leaves(&p.expr, out),
        Expr::MethodCall(_) | Expr::Call(_) => binding_leaves(e, out),
        _ => {}
    }
}

impl Walker<'_> {
    /// Notes that the value of `e` is thrown away, for the dropped-value facts: the call it
    /// evaluates to is recorded when the walk reaches it.
    pub(super) fn watch_dropped(&mut self, e: &Expr, kind: DropKind) {
        match e {
            Expr::Paren(p) => self.watch_dropped(&p.expr, kind),
            Expr::Group(g) => self.watch_dropped(&g.expr, kind),
            // `Box::pin(fut());`: the inner future is what never runs.
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "pin")) =>
            {
                self.watch_dropped(&c.args[0], kind)
            }
            // The value of an `if` / `match` statement is its branches' tail values.
            Expr::If(i) if kind == DropKind::Statement => {
                if let Some(Stmt::Expr(t, None)) = i.then_branch.stmts.last() {
                    self.watch_dropped(t, kind.clone());
                }
                if let Some((_, els)) = &i.else_branch {
                    self.watch_dropped(els, kind);
                }
            }
            Expr::Block(b) if kind == DropKind::Statement => {
                if let Some(Stmt::Expr(t, None)) = b.block.stmts.last() {
                    self.watch_dropped(t, kind);
                }
            }
            Expr::Match(m) if kind == DropKind::Statement => {
                for arm in &m.arms {
                    self.watch_dropped(&arm.body, kind.clone());
                }
            }
            Expr::Call(_) | Expr::MethodCall(_) => self.drop_watch.push((e as *const Expr, kind)),
            Expr::Async(a) => {
                let loc = self.loc(a.async_token.span);
                self.dropped(Dropped::AsyncBlock, kind, loc);
            }
            _ => {}
        }
    }

    /// Records a dropped-value fact (an unused binding waits until its block ends).
    pub(super) fn dropped(&mut self, what: Dropped, kind: DropKind, loc: Loc) {
        let fact = DroppedValue {
            what,
            kind,
            file: self.file,
            loc,
            caller: self.cur_fn,
            origin: None,
        };
        match &fact.kind {
            DropKind::UnusedBinding(name) => {
                let name = name.clone();
                let stmt = self.cur_stmt;
                if let Some(b) = self.unused.last_mut() {
                    b.push((name, stmt, fact));
                }
            }
            kind => {
                // Under `#[allow(unused_must_use)]`, a value dropped as a statement is dropped
                // on purpose (that is the rustc lint it silences).
                if *kind == DropKind::Statement && self.must_use_allowed > 0 {
                    let line = fact.loc.line;
                    self.out.clippy_allows.push((line, line, UNAWAITED_FUTURE));
                }
                self.out.facts.dropped.push(fact)
            }
        }
    }

    /// `let _ = f;` / `drop(f);` as a statement of the block where `let f = ..` bound a value
    /// not used since: the value is thrown away here, unused (`origin` keeps where it was made).
    /// A use in between (an await, a poll, a pin, a move) already took the binding off the list.
    pub(super) fn discard_binding(&mut self, e: &Expr, kind: DropKind) {
        let Expr::Path(p) = e else { return };
        let Some(ident) = p.path.get_ident() else {
            return;
        };
        let Some(block) = self.unused.last_mut() else {
            return;
        };
        let Some(pos) = block.iter().position(|(n, _, _)| ident == n) else {
            return;
        };
        let (_, _, mut fact) = block.remove(pos);
        fact.origin = Some(fact.loc);
        fact.loc = self.path_loc(&p.path);
        fact.kind = kind;
        self.out.facts.dropped.push(fact);
    }

    /// A `let` binding names again in the block where an unused binding of the same name waits
    /// (made by an earlier statement): that earlier value can never be used any more.
    pub(super) fn shadow_unused(&mut self, pat: &Pat) {
        if self.unused.last().is_none_or(|b| b.is_empty()) {
            return;
        }
        let mut names = Vec::new();
        pat_idents(pat, &mut names);
        let stmt = self.cur_stmt;
        let Some(block) = self.unused.last_mut() else {
            return;
        };
        let mut i = 0;
        while i < block.len() {
            if block[i].1 != stmt && names.contains(&block[i].0) {
                let (_, _, fact) = block.remove(i);
                self.out.facts.dropped.push(fact);
            } else {
                i += 1;
            }
        }
    }

    /// A call just recorded as `idx`: if its value is watched as thrown away, note it.
    pub(super) fn check_dropped_call(&mut self, e: &Expr, idx: usize, loc: Loc) {
        if let Some(pos) = self
            .drop_watch
            .iter()
            .position(|(p, _)| std::ptr::eq(*p, e))
        {
            let (_, kind) = self.drop_watch.swap_remove(pos);
            self.dropped(Dropped::Call(idx), kind, loc);
        }
    }

    /// A use of a name: a binding waiting to be reported as unused is used after all.
    pub(super) fn note_use(&mut self, name: &str) {
        for b in self.unused.iter_mut() {
            b.retain(|(n, _, _)| n != name);
        }
    }
    /// The names a pattern binds (`None`, a constant or an imported unit variant binds none).
    pub(super) fn pat_names(&self, pat: &Pat) -> Vec<String> {
        let mut names = Vec::new();
        pat_bindings(pat, &|n| self.scopes.names_item(n), &mut names);
        names
    }

    /// Whether a pattern binds any name.
    pub(super) fn pat_binds(&self, pat: &Pat) -> bool {
        !self.pat_names(pat).is_empty()
    }

    /// Registers the names a pattern binds as live values holding what `leaves` produce.
    pub(super) fn bind_live(&mut self, pat: &Pat, leaves: &[&Expr]) {
        let names = self.pat_names(pat);
        if names.is_empty() {
            return;
        }
        let at_pat = pat_ident_span(pat).map(|s| self.loc(s)).unwrap_or_default();
        // One part per value the binding holds (two guards in an array are two findings).
        let mut parts: Vec<Part> = Vec::new();
        for leaf in leaves {
            // `let y = x;` moves a live value into the new binding.
            if let Expr::Path(p) = leaf
                && let Some(i) = p.path.get_ident()
            {
                let moved = self.live.take(&i.to_string());
                if !moved.is_empty() {
                    parts.extend(moved);
                    continue;
                }
            }
            let ty = self.scopes.ty_of_expr(leaf);
            if ty != Ty::Unknown {
                let loc = self.expr_loc(leaf);
                let loc = if loc.line > 0 { loc } else { at_pat };
                parts.push(Part {
                    tys: vec![ty],
                    loc,
                    awaits: Vec::new(),
                });
            }
        }
        if let Pat::Type(pt) = pat {
            let declared = self.scopes.ty_of_type(&pt.ty);
            if declared != Ty::Unknown {
                match parts.first_mut() {
                    Some(part) => part.tys.push(declared),
                    None => {
                        let loc = leaves
                            .first()
                            .map(|l| self.expr_loc(l))
                            .filter(|l| l.line > 0);
                        let loc = loc.unwrap_or(at_pat);
                        parts.push(Part {
                            tys: vec![declared],
                            loc,
                            awaits: Vec::new(),
                        });
                    }
                }
            }
        }
        for name in names {
            self.live.bind(name, parts.clone());
        }
    }

    /// Notes a call that may produce a held value as a temporary of the current statement
    /// (unless it flows into the binding being initialised).
    pub(super) fn maybe_temp(&mut self, e: &Expr, produces: bool) {
        if produces && !self.bound.contains(&(e as *const Expr)) {
            let ty = self.scopes.ty_of_expr(e);
            if ty != Ty::Unknown {
                let loc = self.expr_loc(e);
                // Rare (a call that may produce a held value, in an async body): worth the
                // span join.
                let whole = self.loc(syn::spanned::Spanned::span(e));
                self.live.temp(ty, loc, self.cur_stmt, whole);
            }
        }
    }

    /// Arguments passed by value (`drop(g)`, `consume(g)`) move a live value away.
    pub(super) fn move_args<'e>(&mut self, args: impl IntoIterator<Item = &'e Expr>) {
        for a in args {
            if let Expr::Path(p) = a
                && let Some(i) = p.path.get_ident()
            {
                self.live.kill(&i.to_string());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::walk_src;
    use crate::kb::Kb;

    /// (binding name or "tmp", number of awaits) of every held value in `src`.
    fn held(src: &str) -> Vec<(String, usize)> {
        walk_src(Kb::builtin(), src)
            .facts
            .held
            .iter()
            .map(|h| {
                (
                    h.name.clone().unwrap_or_else(|| "tmp".into()),
                    h.awaits.len(),
                )
            })
            .collect()
    }

    #[test]
    fn temporaries_live_to_the_end_of_their_statement() {
        let src = r#"
            async fn c(m: &std::sync::Mutex<Vec<u32>>) {
                m.lock().unwrap().push(f().await);
                let n = m.lock().unwrap().len();
                g().await;
            }
        "#;
        // `n` is recorded too (its type is resolved, and dismissed, at crate level).
        assert_eq!(held(src), [("tmp".to_string(), 1), ("n".to_string(), 1)]);
    }
}
