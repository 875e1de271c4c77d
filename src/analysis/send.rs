//! Which futures of a crate must be `Send`: those handed to a call that requires it
//! (`tokio::spawn`, `.boxed()`: futures.toml `[[send_required]]`), returned by a fn declared
//! `Send` (`-> impl Future + Send`, `BoxFuture`, `#[async_trait]`) or by an impl of a crate
//! trait's method declared so, and everything such a future
//! polls: the `async` blocks and the crate's own async fns it awaits, and what it wraps
//! (`Box::pin(..)`, `.instrument(..)`). A future handed to `spawn_local`, `block_on` or
//! `run_until` (`[[send_not_required]]`), or to nothing known, need not be.
//!
//! The walker records where each future goes ([`FutureUse`] of [`CrateFacts::futures`] and
//! [`CrateFacts::call_uses`]); this pass follows those links from every requirement, breadth
//! first, so each future gets the shortest chain back to the place that requires `Send`.
//!
//! [`CrateFacts::futures`]: crate::syntax::facts::CrateFacts::futures
//! [`CrateFacts::call_uses`]: crate::syntax::facts::CrateFacts::call_uses

use super::index::{CrateIndex, Target};
use crate::syntax::facts::{Callee, FnId, FutureUse};
use crate::syntax::source::{FileId, Loc};
use std::collections::VecDeque;

/// The place that requires a future to be `Send`.
#[derive(Clone, Debug)]
pub struct SendRoot {
    pub file: FileId,
    pub loc: Loc,
    /// What it does, after the future it applies to: "is passed to `tokio::spawn`".
    pub why: String,
}

/// Why one future must be `Send`: the root, and the crate's async fns between it and the
/// future (outermost first: `[handler, helper]` when `handler(..)` is spawned and awaits
/// `helper(..)`, whose body holds the value).
#[derive(Clone, Debug)]
pub struct SendReq {
    pub root: usize,
    pub via: Vec<FnId>,
    /// What the root requires to be `Send` is an `async` block (which awaits the outermost of
    /// `via`, if any), not a call of the crate's fn.
    pub block_root: bool,
}

/// The `Send` requirements of a crate's futures.
#[derive(Debug, Default)]
pub struct SendReqs {
    pub roots: Vec<SendRoot>,
    /// Per future (index into `facts.futures`).
    pub futures: Vec<Option<SendReq>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Node {
    Future(usize),
    Fn(FnId),
    Call(usize),
}

/// What a call does with the futures it is given.
enum Handling {
    /// Requires them to be `Send`: the root's `why`.
    Requires(String),
    /// Runs them where `Send` is not required.
    Local,
    /// Holds them in what it returns, or polls them (an awaited call).
    PassesOn,
    Unknown,
}

impl CrateIndex<'_> {
    /// Which futures of the crate must be `Send`, and why (see the module docs).
    pub fn send_requirements(&self) -> SendReqs {
        let facts = &self.facts;
        let (nf, nfn, nc) = (facts.futures.len(), facts.fns.len(), facts.calls.len());
        // Edges, from a node that must be `Send` to the nodes that must then be `Send` too.
        let mut fut_edges: Vec<Vec<Node>> = vec![Vec::new(); nf];
        let mut fn_edges: Vec<Vec<Node>> = vec![Vec::new(); nfn];
        let mut call_edges: Vec<Vec<Node>> = vec![Vec::new(); nc];
        let mut roots: Vec<SendRoot> = Vec::new();
        // Seeds: (node, root).
        let mut seeds: Vec<(Node, usize)> = Vec::new();
        let mut handling: Vec<Option<Handling>> = (0..nc).map(|_| None).collect();
        let mut call_root: Vec<Option<usize>> = vec![None; nc];
        let mut link = |node: Node,
                        from: Option<usize>,
                        used: &FutureUse,
                        roots: &mut Vec<SendRoot>,
                        seeds: &mut Vec<(Node, usize)>| match used {
            FutureUse::FnBody(f) => fn_edges[*f].push(node),
            FutureUse::Returned(f) => fn_edges[*f].push(node),
            FutureUse::Inner => {
                if let Some(k) = from {
                    fut_edges[k].push(node)
                }
            }
            FutureUse::Arg(c) => {
                let h = handling[*c].get_or_insert_with(|| self.handling(*c));
                match h {
                    Handling::Requires(why) => {
                        let r = *call_root[*c].get_or_insert_with(|| {
                            let site = &facts.calls[*c];
                            roots.push(SendRoot {
                                file: site.file,
                                loc: site.loc,
                                why: why.clone(),
                            });
                            roots.len() - 1
                        });
                        seeds.push((node, r));
                    }
                    Handling::PassesOn => call_edges[*c].push(node),
                    Handling::Local | Handling::Unknown => {}
                }
            }
            FutureUse::Local | FutureUse::Unknown => {}
        };
        for (b, f) in facts.futures.iter().enumerate() {
            link(Node::Future(b), f.parent, &f.used, &mut roots, &mut seeds);
        }
        for u in &facts.call_uses {
            link(
                Node::Call(u.call),
                u.future,
                &u.used,
                &mut roots,
                &mut seeds,
            );
        }
        // A call of the crate's own fn that returns a future: that fn's future.
        for u in &facts.call_uses {
            if let Target::Local(g) = self.target_of(u.call)
                && facts.fns[*g].returns_future
            {
                call_edges[u.call].push(Node::Fn(*g));
            }
        }
        for (f, def) in facts.fns.iter().enumerate() {
            if let Some(d) = &def.send_decl {
                roots.push(SendRoot {
                    file: def.file,
                    loc: d.loc,
                    why: format!("must be `Send`: {}", d.what),
                });
                seeds.push((Node::Fn(f), roots.len() - 1));
            }
        }
        // A method of `impl Trait for T` whose declaration in the crate's trait declares its
        // future `Send` (`-> impl Future<..> + Send`, `BoxFuture`): every impl's future must be.
        for (f, def) in facts.fns.iter().enumerate() {
            let Some(traits) = &def.impl_of else { continue };
            if def.send_decl.is_some() {
                continue;
            }
            let method = def.path.rsplit("::").next().unwrap_or_default();
            let decl = traits.iter().find_map(|t| {
                self.fns_at(&format!("{t}::{method}"))
                    .iter()
                    .map(|&d| &facts.fns[d])
                    .find(|d| d.in_trait && d.send_decl.is_some())
            });
            if let Some(decl) = decl
                && let Some(d) = &decl.send_decl
            {
                roots.push(SendRoot {
                    file: decl.file,
                    loc: d.loc,
                    why: match d.what.strip_prefix("its declared return type is ") {
                        Some(ty) => format!(
                            "must be `Send`: it implements `{}`, whose declared return type is {ty}",
                            decl.name
                        ),
                        None => format!(
                            "must be `Send`: it implements `{}` ({})",
                            decl.name, d.what
                        ),
                    },
                });
                seeds.push((Node::Fn(f), roots.len() - 1));
            }
        }
        // Breadth first from every seed: the predecessor of each node reached, and its root.
        let mut fut_seen: Vec<Option<(Option<Node>, usize)>> = vec![None; nf];
        let mut fn_seen: Vec<Option<(Option<Node>, usize)>> = vec![None; nfn];
        let mut call_seen: Vec<Option<(Option<Node>, usize)>> = vec![None; nc];
        let mut queue: VecDeque<(Node, Option<Node>, usize)> =
            seeds.into_iter().map(|(n, r)| (n, None, r)).collect();
        while let Some((node, pred, root)) = queue.pop_front() {
            let (slot, edges) = match node {
                Node::Future(i) => (&mut fut_seen[i], &fut_edges[i]),
                Node::Fn(i) => (&mut fn_seen[i], &fn_edges[i]),
                Node::Call(i) => (&mut call_seen[i], &call_edges[i]),
            };
            if slot.is_some() {
                continue;
            }
            *slot = Some((pred, root));
            for next in edges {
                queue.push_back((*next, Some(node), root));
            }
        }
        let chain = |mut node: Node| {
            let mut via = Vec::new();
            let mut block_root;
            loop {
                block_root = matches!(node, Node::Future(_));
                let seen = match node {
                    Node::Future(i) => fut_seen[i],
                    Node::Fn(i) => {
                        via.push(i);
                        fn_seen[i]
                    }
                    Node::Call(i) => call_seen[i],
                };
                match seen.and_then(|(p, _)| p) {
                    Some(p) if via.len() < 64 => node = p,
                    _ => break,
                }
            }
            via.reverse();
            (via, block_root)
        };
        let futures = (0..nf)
            .map(|b| {
                fut_seen[b].map(|(_, root)| {
                    let (via, block_root) = chain(Node::Future(b));
                    SendReq {
                        root,
                        via,
                        block_root,
                    }
                })
            })
            .collect();
        SendReqs { roots, futures }
    }

    /// What call `c` does with the futures handed to it.
    fn handling(&self, c: usize) -> Handling {
        let kb = self.kb;
        let site = &self.facts.calls[c];
        match &site.callee {
            Callee::Path(cands) => {
                let canon: Vec<_> = cands.iter().map(|p| self.canonical(p)).collect();
                if let Some(p) = canon.iter().find(|p| kb.send_required.function(p)) {
                    return Handling::Requires(format!("is passed to `{p}`"));
                }
                if canon.iter().any(|p| kb.send_not_required.function(p)) {
                    return Handling::Local;
                }
                if site.awaited || canon.iter().any(|p| kb.future_wrappers.function(p)) {
                    return Handling::PassesOn;
                }
            }
            Callee::Method { name, .. } => {
                let ty = match self.target_of(c) {
                    Target::ExternMethod { ty, .. } => Some(ty.as_str()),
                    _ => None,
                };
                if kb.send_required.future_method(name) {
                    return Handling::Requires(format!(
                        "is boxed by `.{name}()`, which requires `Send`"
                    ));
                }
                if kb.send_required.method(ty, name) {
                    let short = ty.map(crate::kb::last_segment).unwrap_or_default();
                    return Handling::Requires(format!("is passed to `{short}::{name}`"));
                }
                if kb.send_not_required.method(ty, name) || kb.send_not_required.future_method(name)
                {
                    return Handling::Local;
                }
                if site.awaited || kb.future_wrappers.future_method(name) {
                    return Handling::PassesOn;
                }
            }
        }
        Handling::Unknown
    }
}
