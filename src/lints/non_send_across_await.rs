use super::diag::Diagnostic;
use super::held::entry_and_what;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::CrateIndex;
use crate::analysis::send::SendReq;
use crate::syntax::facts::{ParamKind, Ty};
use crate::syntax::source::{FileId, Loc};
use crate::util::fxhash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;

crate::declare_lint! {
    /// ### What it does
    /// Finds an `Rc`, `rc::Weak` or other `!Send` value (not a guard; those have their own
    /// lints) alive across an `.await` in a future that **must be `Send`**: created in the async
    /// body by `Rc::new`, `Rc::clone`, `.clone()` of a known `Rc`, `Rc::downgrade`, or bound
    /// with a `let` typed `Rc<..>`; or a parameter of the async fn (parameters live in its
    /// future from the start): an `Rc`, or `&self` / `&T` of a struct with a `Cell`, `RefCell`
    /// or `Rc` field (a shared reference is `Send` only if its target is `Sync`).
    ///
    /// A future must be `Send` when it is handed to `tokio::spawn`, `Handle::spawn`,
    /// `Runtime::spawn`, `JoinSet::spawn`, `TaskTracker::spawn` or `.boxed()` (directly, as an
    /// `async` block or a call of the crate's async fn, or wrapped by `Box::pin`, `timeout` or
    /// `.instrument(..)`), returned by a fn declared `-> impl Future + Send`, `BoxFuture` or
    /// `Pin<Box<dyn Future + Send>>` (or implementing a method of the crate's trait declared
    /// so: every impl's future must then be `Send`, spawned or not), or is the body of an
    /// `#[async_trait]` method (without `?Send`); and so must every `async` block and crate async fn that such a future awaits,
    /// transitively. The finding names the value and, in a note and a label, the place that
    /// requires `Send`, with the chain of async fns in between.
    ///
    /// Futures that nothing requires to be `Send` may hold an `Rc`: the body of a
    /// `#[tokio::main]` / `#[tokio::test]` / `#[wasm_bindgen_test]` fn, futures handed to
    /// `spawn_local`, `block_on`, `LocalSet::run_until` or `.boxed_local()`, and async fns
    /// that the crate never spawns (single-threaded runtimes such as deno's are built so).
    ///
    /// ### Why is this bad?
    /// A future that holds a `!Send` value at an `.await` is itself `!Send`: `tokio::spawn`
    /// and every multi-threaded executor reject it, with an error that points at the spawn
    /// call, not at the value (which may be several awaited calls away). Ending the value's
    /// life before the `.await`, or using `Arc`, keeps the future `Send`.
    ///
    /// ### Known problems
    /// Only requirements visible in the crate count: an async fn that the crate never spawns
    /// is not reported, though a dependent crate (or a user of a library's `pub` async fn) may
    /// spawn it; Clippy's `future_not_send` checks every async fn's future instead. A future
    /// stored in a variable first (`let f = handler(); tokio::spawn(f)`), passed through a
    /// closure or an unknown function, or joined (`join!(a(), b())`) is not followed, nor is a
    /// crate's own spawn wrapper that calls `tokio::spawn` (only `spawn_local`-style wrappers
    /// are common, and those need no `Send`). A method's receiver type must be known for
    /// `Handle::spawn` and the like to count. A trait method declared
    /// `-> impl Future<Output = ..> + Send` makes its impls' futures `Send` only when the trait
    /// is declared in the same crate (a dependency's trait is not read), and the impl is matched
    /// by the trait's path and the method's name. An `async` block made in a sync closure is
    /// followed only where it is handed on inside the closure (`tokio::spawn(async move { .. })`):
    /// what the closure's caller does with the future it returns is not.
    /// Raw pointers and other `!Send` types are only recognised when listed in the
    /// configuration; a struct parameter is only looked into through the crate's own structs.
    /// `drop(rc)` before the `.await` ends the value's life here (as at run time), but rustc
    /// 1.95's `Send` analysis still counts an `Rc` used before the `drop` as held: end its
    /// scope with a block (`{ let rc = ..; .. }`) to satisfy the compiler too.
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn run() {
    ///     let shared = Rc::new(State::default());
    ///     tick().await;
    ///     shared.report();
    /// }
    ///
    /// tokio::spawn(run());
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn run() {
    ///     let shared = Arc::new(State::default());
    ///     tick().await;
    ///     shared.report();
    /// }
    ///
    /// tokio::spawn(run());
    /// ```
    pub NON_SEND_ACROSS_AWAIT, non_send_across_await, suspicious, Warn,
    "an `Rc` or other !Send value alive across an `.await` in a future that must be `Send` (spawned with `tokio::spawn`, boxed as `Send`)"
}

pub struct NonSendAcrossAwait;

impl Lint for NonSendAcrossAwait {
    fn meta(&self) -> &'static LintMeta {
        &NON_SEND_ACROSS_AWAIT
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        let index = cx.index;
        let lint = NON_SEND_ACROSS_AWAIT.name;
        // The values whose type is `!Send` (or, behind a shared reference, `!Sync`) first: most
        // crates have none, and then the futures need not be followed.
        let found: Vec<(usize, String, String, Option<String>)> = index
            .facts
            .held
            .iter()
            .zip(index.held_tys())
            .enumerate()
            .filter_map(|(i, (v, tys))| {
                let (what, help, reason) = match v.param {
                    None => {
                        let (e, what) = tys.iter().find_map(|t| entry_and_what(index, t, lint))?;
                        (what, e.help.clone(), e.reason.clone())
                    }
                    Some(kind) => {
                        let shared = kind == ParamKind::Shared;
                        let what = tys.iter().find_map(|t| not_send(index, t, shared, 0))?;
                        let what = if shared {
                            format!("a shared reference to {what}")
                        } else {
                            what
                        };
                        (what, PARAM_HELP.to_string(), None)
                    }
                };
                Some((i, what, help, reason))
            })
            .collect();
        if found.is_empty() {
            return;
        }
        let reqs = index.send_requirements();
        // One value may be held by several futures that must be `Send` (a binding used by a
        // nested `async` block is held by the block and by the body around it): one finding,
        // with the `.await`s of all, naming the first requirement.
        let mut seen: HashMap<(FileId, Loc, Option<&str>), usize> = HashMap::default();
        let mut values: Vec<Found<'_>> = Vec::new();
        for (i, what, help, reason) in found {
            let v = &index.facts.held[i];
            // A future that no one requires to be `Send` may hold it.
            let Some(req) = reqs.futures.get(v.future).and_then(Option::as_ref) else {
                continue;
            };
            match seen.entry((v.file, v.loc, v.name.as_deref())) {
                Entry::Occupied(e) => {
                    let awaits = &mut values[*e.get()].5;
                    awaits.extend(v.awaits.iter().copied());
                    awaits.sort_by_key(|a| (a.line, a.col));
                    awaits.dedup();
                }
                Entry::Vacant(e) => {
                    e.insert(values.len());
                    values.push((i, what, help, reason, req, v.awaits.clone()));
                }
            }
        }
        for (i, what, help, reason, req, awaits) in values {
            let v = &index.facts.held[i];
            let root = &reqs.roots[req.root];
            let d = super::held::diagnostic(cx, lint, v, &awaits, &what)
                .help(help)
                .note(requirement_note(index, req, &root.why))
                .secondary(root.file, root.loc, "`Send` is required here");
            let d = match reason {
                Some(r) => d.note(format!("listed in the configuration: {r}")),
                None => d,
            };
            out.push(d);
        }
    }
}

/// A value to report: (its held-value fact, what it is, the help, the configuration's reason,
/// the first `Send` requirement of a future that holds it, the `.await`s of all of them).
type Found<'r> = (usize, String, String, Option<String>, &'r SendReq, Vec<Loc>);

const PARAM_HELP: &str = "a parameter lives in the async fn's future until the end of its body: \
                          pass a `Send` type (`Arc`, `Mutex`, owned data), or take what the \
                          future needs out of it before the first `.await`";

/// "this future must be `Send` because `helper` is awaited by `handler`, which is passed to
/// `tokio::spawn`".
fn requirement_note(index: &CrateIndex<'_>, req: &SendReq, why: &str) -> String {
    // Outermost first: the async block the root requires (if it is one), then the fns.
    let mut names: Vec<String> = Vec::new();
    if req.block_root && !req.via.is_empty() {
        names.push("an `async` block".into());
    }
    names.extend(
        req.via
            .iter()
            .map(|f| format!("`{}`", index.facts.fns[*f].name)),
    );
    let subject = match names.as_slice() {
        [] => format!("it {why}"),
        [one] => format!("{one} {why}"),
        [outer @ .., inner] => {
            let awaiters: Vec<&str> = outer.iter().rev().map(String::as_str).collect();
            format!(
                "{inner} is awaited by {}, which {why}",
                awaiters.join(", awaited by ")
            )
        }
    };
    format!("this future must be `Send` because {subject}")
}

/// What makes a value of (resolved) type `ty` `!Send`, as a noun phrase; with `shared`, held
/// behind a shared reference, so `!Sync` is enough. Looks into the crate's own structs'
/// fields and through `Box` / `Pin` / `Arc` (an `Arc<T>` is `Send` only if `T` is `Sync`).
pub(super) fn not_send(
    index: &CrateIndex<'_>,
    ty: &Ty,
    shared: bool,
    depth: usize,
) -> Option<String> {
    const MAX_DEPTH: usize = 4;
    if depth > MAX_DEPTH {
        return None;
    }
    let kb = index.kb;
    let lint = NON_SEND_ACROSS_AWAIT.name;
    let direct = |p: &str| {
        kb.held(p)
            .filter(|e| e.lint == lint)
            .map(|e| e.what.clone())
            .or_else(|| {
                shared
                    .then(|| kb.not_sync(p).map(|e| e.what.clone()))
                    .flatten()
            })
    };
    match ty {
        Ty::Path(p) => direct(p).or_else(|| {
            // `unsafe impl Send for T {}`: the crate vouches for its fields.
            if index.facts.send_impls.contains(p) {
                return None;
            }
            let fields = index.facts.fields.get(p)?;
            fields.iter().find_map(|(name, fty)| {
                let fty = index.resolve_ty(fty, 0)?;
                let w = not_send(index, &fty, shared, depth + 1)?;
                let short = crate::kb::last_segment(p);
                Some(format!("`{short}`, whose field `{name}` is {w}"))
            })
        }),
        Ty::Wrap(outer, inner) => direct(outer).or_else(|| {
            let is_arc = outer == "std::sync::Arc";
            let inner = index.resolve_ty(inner, 0)?;
            let w = not_send(index, &inner, shared || is_arc, depth + 1)?;
            Some(if is_arc {
                format!("an `Arc` of {w}")
            } else {
                w
            })
        }),
        Ty::Tuple(v) => v.iter().find_map(|t| {
            let t = index.resolve_ty(t, 0)?;
            not_send(index, &t, shared, depth + 1)
        }),
        _ => None,
    }
}
