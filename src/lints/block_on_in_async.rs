use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::{CrateIndex, Target};
use crate::kb::ApiEntry;
use crate::syntax::facts::CallSite;

crate::declare_lint! {
    /// ### What it does
    /// Finds code inside async context that tries to run a future to completion on the current
    /// thread with tokio: `Runtime::block_on`, `Handle::block_on`, `LocalSet::block_on` and any
    /// other `.block_on(..)` method, and tokio's synchronous
    /// `blocking_*` methods (`Mutex::blocking_lock`, `mpsc::Receiver::blocking_recv`,
    /// `Sender::blocking_send`, `RwLock::blocking_read` / `blocking_write`,
    /// `Semaphore::blocking_acquire`, ...). Calls through the crate's own synchronous helpers are
    /// followed, and closures count as async context only where they run in place, as for
    /// `blocking_in_async` (a closure stored by a constructor and run later on another thread
    /// may call `blocking_read`).
    ///
    /// ### Why is this bad?
    /// Tokio detects these calls on a runtime thread and panics: "Cannot start a runtime from
    /// within a runtime" or "Cannot block the current thread from within a runtime": a certain
    /// failure, hence the `deny` level. Other executors' `block_on` (`futures::executor`,
    /// `async_std::task`, smol, `pollster`) do not panic: they block the worker thread until
    /// the future completes, and deadlock only when that future needs the blocked thread. They
    /// are reported by `blocking_in_async`.
    ///
    /// ### Known problems
    /// A `.block_on(..)` method and tokio's `blocking_*` method names are recognised by name
    /// alone, unless the crate defines a method of the same name itself, so pollster's
    /// `FutureExt::block_on` method on an untyped receiver is reported here. Calls reached only
    /// through trait objects or function pointers are not followed. Code that is only ever
    /// called from `spawn_blocking` but lives in an `async` block is still reported.
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn total(m: &tokio::sync::Mutex<u64>) -> u64 {
    ///     let rt = tokio::runtime::Handle::current();
    ///     rt.block_on(async { *m.blocking_lock() })
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn total(m: &tokio::sync::Mutex<u64>) -> u64 {
    ///     *m.lock().await
    /// }
    /// ```
    /// Where synchronous code must wait for a future, run it with
    /// `tokio::task::spawn_blocking` and call `Handle::block_on` there.
    pub BLOCK_ON_IN_ASYNC, block_on_in_async, correctness, Deny,
    "entering a tokio runtime or a tokio `blocking_*` method inside async code panics"
}

pub struct BlockOnInAsync;

fn block_on_entry<'k>(index: &'k CrateIndex<'_>, t: &Target) -> Option<(&'k ApiEntry, String)> {
    let kb = index.kb;
    match t {
        Target::ExternFn(p) => kb.block_on.function(p).map(|e| (e, p.clone())),
        Target::ExternMethod { ty, name } => kb
            .block_on
            .method(ty, name)
            .map(|e| (e, format!("{ty}::{name}")))
            .or_else(|| {
                kb.block_on
                    .method_name(name)
                    .map(|e| (e, format!("{ty}::{name}")))
            }),
        Target::UnknownMethod(name) if !index.defines_method(name) => kb
            .block_on
            .method_name(name)
            .map(|e| (e, format!(".{name}()"))),
        _ => None,
    }
}

impl Lint for BlockOnInAsync {
    fn meta(&self) -> &'static LintMeta {
        &BLOCK_ON_IN_ASYNC
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        let index = cx.index;
        let reach = index.sync_reach(|_, t| block_on_entry(index, t).map(|(_, name)| name));
        for (call, target) in index.async_calls() {
            if let Some((entry, name)) = block_on_entry(index, target) {
                let short = name
                    .rsplit("::")
                    .next()
                    .unwrap_or(&name)
                    .trim_start_matches('.');
                let short = short.trim_end_matches("()");
                out.push(
                    Diagnostic::new(
                        BLOCK_ON_IN_ASYNC.name,
                        call.file,
                        call.loc,
                        format!("`{}` called inside async code", name),
                    )
                    .label("this panics or deadlocks when called on a runtime thread")
                    .help(entry.replacement_for(short))
                    .item(enclosing(index, call)),
                );
            } else if let Target::Local(f) = *target
                && !index.facts.fns[f].is_async
                && let Some(chain) = &reach[f]
            {
                let def = &index.facts.fns[f];
                let sink = chain.last().cloned().unwrap_or_default();
                let mut path = vec![format!("`{}`", def.name)];
                path.extend(chain.iter().map(|c| format!("`{}`", c)));
                out.push(
                    Diagnostic::new(
                        BLOCK_ON_IN_ASYNC.name,
                        call.file,
                        call.loc,
                        format!(
                            "`{}` calls `{}`, which must not run inside async code",
                            def.name, sink
                        ),
                    )
                    .label("this call panics or deadlocks when it runs on a runtime thread")
                    .secondary(
                        def.file,
                        def.loc,
                        format!("`{}` is a synchronous function", def.name),
                    )
                    .note(format!("call chain: {}", path.join(" -> ")))
                    .help(format!(
                        "make `{}` async and `.await` the future, or call it through \
                         `tokio::task::spawn_blocking`",
                        def.name
                    ))
                    .item(enclosing(index, call)),
                );
            }
        }
    }
}

fn enclosing(index: &CrateIndex<'_>, call: &CallSite) -> String {
    call.caller
        .map(|f| index.facts.fns[f].name.clone())
        .unwrap_or_default()
}
