use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::{CrateIndex, Target};
use crate::syntax::facts::{Callee, DropKind, Dropped};

crate::declare_lint! {
    /// ### What it does
    /// Finds an expression statement that spawns a task and drops its `JoinHandle`:
    /// `tokio::spawn(..);`, `tokio::task::spawn_local(..);`, `spawn_blocking(..);` (also
    /// through `use` aliases) and `handle.spawn(..);` on a `tokio::runtime::Handle` or
    /// `Runtime`. Pedantic: allowed by default, `-W detached_spawn` turns it on.
    ///
    /// ### Why is this bad?
    /// Dropping a `JoinHandle` detaches the task: it keeps running, but its result and, worse,
    /// its panic are lost. tokio catches a task's panic and hands it to the `JoinHandle`; with
    /// the handle gone, a crashed background task fails silently and nothing notices the work
    /// stopped.
    ///
    /// ### Known problems
    /// Fire-and-forget tasks are sometimes intended; write `let _ = tokio::spawn(..)` to say so
    /// (that form is never reported). A spawn through the crate's own wrapper is not followed.
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

fn spawned(index: &CrateIndex<'_>, call: usize) -> Option<String> {
    let kb = index.kb;
    match index.target_of(call) {
        Target::ExternFn(p) if kb.is_spawn_fn(p) => Some(p.clone()),
        Target::ExternMethod { ty, name } if kb.is_spawn_method(ty, name) => {
            Some(format!("{ty}::{name}"))
        }
        _ => match &index.facts.calls[call].callee {
            Callee::Path(p) => p.iter().find(|p| kb.is_spawn_fn(p)).cloned(),
            Callee::Method { .. } => None,
        },
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
                    format!("the `JoinHandle` of `{name}` is dropped: the task is detached"),
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
