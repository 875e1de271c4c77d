use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::{CrateIndex, Target};
use crate::kb::Returns;
use crate::syntax::facts::{Callee, DropKind, Dropped, Ty};

crate::declare_lint! {
    /// ### What it does
    /// Finds an expression statement that spawns a task and drops its `JoinHandle`:
    /// `tokio::spawn(..);`, `tokio::task::spawn_local(..);`, `spawn_blocking(..);` (also
    /// through `use` aliases) and `handle.spawn(..);` on a `tokio::runtime::Handle` or
    /// `Runtime`; also a call of a function declared to return a tokio or async-std
    /// `JoinHandle` (a spawn wrapper: `server.start();`), the crate's own or, in cargo mode, a
    /// dependency's. Pedantic: allowed by default, `-W detached_spawn` turns it on.
    ///
    /// ### Why is this bad?
    /// Dropping a `JoinHandle` detaches the task: it keeps running, but its result and, worse,
    /// its panic are lost. tokio catches a task's panic and hands it to the `JoinHandle`; with
    /// the handle gone, a crashed background task fails silently and nothing notices the work
    /// stopped.
    ///
    /// ### Known problems
    /// Fire-and-forget tasks are sometimes intended; write `let _ = tokio::spawn(..)` to say so
    /// (that form is never reported). A wrapper is recognised by its declared return type
    /// only: one that returns `impl Future`, a struct holding the handle, or
    /// `Result<JoinHandle, _>` dropped with `?` is not followed.
    /// `JoinSet::spawn` is not reported: the set owns the task.
    ///
    /// ### Example
    /// ```rust,ignore
    /// tokio::spawn(async move { flush(buffer).await.unwrap() });
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// let flusher = tokio::spawn(async move { flush(buffer).await });
    /// // ... later
    /// flusher.await??;
    /// ```
    /// or collect tasks in a `tokio::task::JoinSet`, or handle the error inside the task.
    pub DETACHED_SPAWN, detached_spawn, pedantic, Allow,
    "a spawned task's `JoinHandle` is dropped, so its panic or error is never observed"
}

pub struct DetachedSpawn;

/// What a dropped call spawned: a spawn of the knowledge base (`Spawn`), or a function
/// declared to return a handle that detaches when dropped (`Returns`: the crate's own, or a
/// dependency's from its summary).
enum Spawned {
    Spawn(String),
    Returns(String),
}

fn spawned(index: &CrateIndex<'_>, call: usize) -> Option<Spawned> {
    let kb = index.kb;
    let detaches =
        |r: Option<&Returns>| matches!(r, Some(Returns::One(t)) if kb.is_detaching_handle(t));
    // A spawn the knowledge base lists, by any of the call's paths (also inside the crate
    // that defines it).
    if let Callee::Path(p) = &index.facts.calls[call].callee
        && let Some(p) = p.iter().find(|p| kb.is_spawn_fn(p))
    {
        return Some(Spawned::Spawn(p.clone()));
    }
    match index.target_of(call) {
        Target::ExternFn(p) if kb.is_spawn_fn(p) => Some(Spawned::Spawn(p.clone())),
        Target::ExternMethod { ty, name } if kb.is_spawn_method(ty, name) => {
            Some(Spawned::Spawn(format!("{ty}::{name}")))
        }
        Target::ExternFn(p) if detaches(kb.returns_of_fn(p)) && !kb.detach_intended(p) => {
            Some(Spawned::Returns(p.clone()))
        }
        Target::ExternMethod { ty, name }
            if detaches(kb.returns_of_method(ty, name)) && !kb.detach_intended(ty) =>
        {
            Some(Spawned::Returns(format!("{ty}::{name}")))
        }
        Target::Local(f) => {
            let def = &index.facts.fns[*f];
            let owner = def.path.rsplit_once("::").map_or("", |(o, _)| o);
            let ret = index.resolve_ty(&def.ret, 0);
            (!def.returns_future
                && !kb.detach_intended(owner)
                && matches!(&ret, Some(Ty::Path(t)) if kb.is_detaching_handle(t)))
            .then(|| Spawned::Returns(def.name.clone()))
        }
        _ => None,
    }
}

impl Lint for DetachedSpawn {
    fn meta(&self) -> &'static LintMeta {
        &DETACHED_SPAWN
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        let index = cx.index;
        for d in &index.facts.dropped {
            let (Dropped::Call(i), DropKind::Statement) = (&d.what, &d.kind) else {
                continue;
            };
            let Some(name) = spawned(index, *i) else {
                continue;
            };
            out.push(
                Diagnostic::new(
                    DETACHED_SPAWN.name,
                    d.file,
                    d.loc,
                    match name {
                        Spawned::Spawn(name) => {
                            format!("the `JoinHandle` of `{name}` is dropped: the task is detached")
                        }
                        Spawned::Returns(name) => format!(
                            "the `JoinHandle` returned by `{name}` is dropped: its task is detached"
                        ),
                    },
                )
                .label("its panic or error will never be observed")
                .help(
                    "keep the handle and `.await` it, add the task to a `tokio::task::JoinSet`, \
                     or handle errors inside the task; `let _ = ..` marks a deliberate detach",
                )
                .item(
                    d.caller
                        .map(|f| index.facts.fns[f].name.clone())
                        .unwrap_or_default(),
                ),
            );
        }
    }
}
