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
        let loop_labels: Vec<String> = self.loops.iter().flatten().cloned().collect();
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
                let leaves_loop = !self.loops.is_empty() && leaves(&b.handler, &loop_labels);
                facts.push(SelectBranchFact {
                    call,
                    loc,
                    leaves_loop,
                });
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
            in_loop: !self.loops.is_empty(),
            caller: self.cur_fn,
        });
    }
}

/// Whether every path through a `select!` handler leaves the loop around the `select!`:
/// `return`, a `break` (unlabelled, or labelled with one of `loop_labels`, the labels of the
/// enclosing loops), `Err(..)?`, a diverging macro or `std::process::exit`, or a block, `if` /
/// `else` or `match` whose every branch does. A `continue`, a `?` on a value that may be `Ok`, a
/// `break` inside a loop of the handler itself or one that leaves a labelled block: no.
fn leaves(e: &Expr, loop_labels: &[String]) -> bool {
    match e {
        Expr::Return(_) => true,
        Expr::Break(b) => match &b.label {
            None => true,
            Some(l) => loop_labels.iter().any(|x| l.ident == x),
        },
        Expr::Try(t) => is_err_call(&t.expr),
        Expr::Block(b) => block_leaves(&b.block, loop_labels),
        Expr::Unsafe(u) => block_leaves(&u.block, loop_labels),
        Expr::Paren(p) => leaves(&p.expr, loop_labels),
        Expr::Group(g) => leaves(&g.expr, loop_labels),
        Expr::If(i) => {
            block_leaves(&i.then_branch, loop_labels)
                && i.else_branch
                    .as_ref()
                    .is_some_and(|(_, e)| leaves(e, loop_labels))
        }
        Expr::Match(m) => !m.arms.is_empty() && m.arms.iter().all(|a| leaves(&a.body, loop_labels)),
        Expr::Macro(m) => diverging_macro(&m.mac),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => {
                let segs: Vec<String> = p
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                segs.ends_with(&["process".to_string(), "exit".to_string()])
                    || segs.ends_with(&["process".to_string(), "abort".to_string()])
            }
            _ => false,
        },
        _ => false,
    }
}

fn block_leaves(b: &syn::Block, loop_labels: &[String]) -> bool {
    b.stmts.iter().any(|s| match s {
        syn::Stmt::Expr(e, _) => leaves(e, loop_labels),
        syn::Stmt::Local(l) => l
            .init
            .as_ref()
            .is_some_and(|i| leaves(&i.expr, loop_labels)),
        syn::Stmt::Macro(m) => diverging_macro(&m.mac),
        syn::Stmt::Item(_) => false,
    })
}

/// `Err(..)`: `Err(e)?` always returns.
fn is_err_call(e: &Expr) -> bool {
    match e {
        Expr::Call(c) => {
            matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Err"))
        }
        Expr::Paren(p) => is_err_call(&p.expr),
        _ => false,
    }
}

/// Macros that never complete: `panic!`, `unreachable!`, `todo!`, `unimplemented!`, and the
/// early returns of anyhow / eyre / snafu (`bail!`, `whatever!`).
fn diverging_macro(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        [
            "panic",
            "unreachable",
            "todo",
            "unimplemented",
            "bail",
            "whatever",
        ]
        .iter()
        .any(|n| s.ident == n)
    })
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
