//! `tokio::select!` / `futures::select!`: the branches are parsed (futures, preconditions,
//! handlers), walked, and recorded as a [`SelectFact`] for `select_cancel_unsafe`.

use super::Walker;
use super::scope::Scope;
use crate::syntax::facts::{SelectBranchFact, SelectFact, Ty};
use crate::syntax::source::Loc;
use proc_macro2::TokenStream;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Pat};

impl Walker<'_> {
    /// `tokio::select!` / `futures::select!`: branch futures, preconditions and handlers.
    pub(super) fn walk_select(&mut self, tokens: TokenStream, at: Loc) {
        let Ok(branches) = parse_select.parse2(tokens) else {
            return;
        };
        let mut facts = Vec::new();
        for b in &branches {
            if let Some(f) = &b.fut {
                // The branch future's own call is the first one the walk records for it (the
                // walker records a call before its receiver and arguments), after any `.fuse()`.
                let mut peeled = f;
                let mut layers = 0;
                loop {
                    match peeled {
                        Expr::Paren(p) => peeled = &p.expr,
                        Expr::MethodCall(m) if m.method == "fuse" || m.method == "boxed" => {
                            layers += 1;
                            peeled = &m.receiver;
                        }
                        _ => break,
                    }
                }
                let before = self.out.facts.calls.len();
                self.walk_expr(f);
                let is_call = matches!(peeled, Expr::Call(_) | Expr::MethodCall(_));
                let call = (is_call && self.out.facts.calls.len() > before + layers)
                    .then_some(before + layers);
                let loc = call.map(|i| self.out.facts.calls[i].loc).unwrap_or(at);
                facts.push(SelectBranchFact { call, loc });
            }
            if let Some(c) = &b.cond {
                self.walk_expr(c);
            }
            self.scopes.blocks.push(Scope::default());
            if let Some(p) = &b.pat {
                self.scopes.bind_pat(p, Ty::Unknown);
            }
            self.walk_expr(&b.handler);
            self.scopes.blocks.pop();
        }
        self.out.facts.selects.push(SelectFact {
            file: self.file,
            loc: at,
            branches: facts,
            in_loop: self.loops > 0,
            caller: self.cur_fn,
        });
    }
}

struct SelectBranch {
    pat: Option<Pat>,
    fut: Option<Expr>,
    cond: Option<Expr>,
    handler: Expr,
}

/// The branches of a `select!` body: `biased;`, then `pat = fut [, if cond] => handler`
/// branches and `else` / `default` / `complete` handlers.
fn parse_select(input: ParseStream) -> syn::Result<Vec<SelectBranch>> {
    let mut branches = Vec::new();
    if input.peek(syn::Ident) && input.fork().parse::<syn::Ident>()? == "biased" {
        input.parse::<syn::Ident>()?;
        input.parse::<syn::Token![;]>()?;
    }
    while !input.is_empty() {
        if input.peek(syn::Token![else])
            || input.peek(syn::Ident) && {
                let f = input.fork();
                f.parse::<syn::Ident>()
                    .map(|i| i == "default" || i == "complete")
                    .unwrap_or(false)
                    && f.peek(syn::Token![=>])
            }
        {
            if input.peek(syn::Token![else]) {
                input.parse::<syn::Token![else]>()?;
            } else {
                input.parse::<syn::Ident>()?;
            }
            input.parse::<syn::Token![=>]>()?;
            let handler: Expr = input.call(Expr::parse_with_earlier_boundary_rule)?;
            input.parse::<Option<syn::Token![,]>>()?;
            branches.push(SelectBranch {
                pat: None,
                fut: None,
                cond: None,
                handler,
            });
            continue;
        }
        let pat = Pat::parse_multi_with_leading_vert(input)?;
        input.parse::<syn::Token![=]>()?;
        let fut: Expr = input.parse()?;
        let mut cond = None;
        if input.peek(syn::Token![,]) && input.peek2(syn::Token![if]) {
            input.parse::<syn::Token![,]>()?;
            input.parse::<syn::Token![if]>()?;
            cond = Some(input.parse::<Expr>()?);
        }
        input.parse::<syn::Token![=>]>()?;
        let handler: Expr = input.call(Expr::parse_with_earlier_boundary_rule)?;
        input.parse::<Option<syn::Token![,]>>()?;
        branches.push(SelectBranch {
            pat: Some(pat),
            fut: Some(fut),
            cond,
            handler,
        });
    }
    Ok(branches)
}
