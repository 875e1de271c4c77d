use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::{CrateIndex, Target};
use crate::kb::ApiEntry;
use crate::syntax::facts::{CallSite, Ctx};

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
    /// It also finds `tokio::task::block_in_place` called (directly, or through the crate's own
    /// sync helpers and async fns) in async code that runs on a runtime known to be
    /// current_thread: the body of a `#[tokio::test]` without `flavor = "multi_thread"`, of a
    /// `#[tokio::main(flavor = "current_thread")]`, of an actix entry (`#[actix_web::main]`,
    /// `#[actix_rt::test]`, ...), tasks spawned there, and an `async` block run by `block_on`
    /// of a runtime built with `Builder::new_current_thread()` in the same fn.
    ///
    /// ### Why is this bad?
    /// Tokio detects these calls on a runtime thread and panics: "Cannot start a runtime from
    /// within a runtime" or "Cannot block the current thread from within a runtime": a certain
    /// failure, hence the `deny` level. Other executors' `block_on` (`futures::executor`,
    /// `async_std::task`, smol, `pollster`) do not panic: they block the worker thread until
    /// the future completes, and deadlock only when that future needs the blocked thread. They
    /// are reported by `blocking_in_async`.
    /// `block_in_place` hands the worker's other tasks to another worker thread; a
    /// current_thread runtime has none, and tokio panics: "can call blocking only when running
    /// on the multi-threaded runtime".
    ///
    /// ### Known problems
    /// A `.block_on(..)` method and tokio's `blocking_*` method names are recognised by name
    /// alone, unless the crate defines a method of the same name itself, so pollster's
    /// `FutureExt::block_on` method on an untyped receiver is reported here. Calls reached only
    /// through trait objects or function pointers are not followed. Code that is only ever
    /// called from `spawn_blocking` but lives in an `async` block is still reported.
    /// `block_in_place` is reported only where the runtime is evident in the same fn (its entry
    /// attribute, or a `Builder::new_current_thread()` runtime whose `block_on` runs the
    /// `async` block): a library function that uses it, called from a current_thread runtime
    /// elsewhere, or a runtime handed in as a parameter, is not followed.
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

/// The knowledge-base entry of a call that enters a runtime (or blocks on one), with its
/// display name.
pub fn block_on_entry<'k>(index: &'k CrateIndex<'_>, t: &Target) -> Option<(&'k ApiEntry, String)> {
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

/// The knowledge-base entry of a call that panics on a current_thread runtime
/// (`block_in_place`), with its display name.
fn current_thread_panic<'k>(
    index: &'k CrateIndex<'_>,
    t: &Target,
) -> Option<(&'k ApiEntry, String)> {
    match t {
        Target::ExternFn(p) => index
            .kb
            .current_thread_panic
            .function(p)
            .map(|e| (e, p.clone())),
        _ => None,
    }
}

/// Calls of `block_in_place` (and the crate functions that reach one on the same thread) in
/// async code that runs on a runtime known to be current_thread: a certain panic.
fn check_current_thread(index: &CrateIndex<'_>, out: &mut Vec<Diagnostic>) {
    if !index.facts.calls.iter().any(|c| c.on_current_thread) {
        return;
    }
    let reach = index.thread_reach(|_, t| current_thread_panic(index, t).map(|(_, name)| name));
    let runtime_note = "this code runs on a current_thread runtime: `#[tokio::test]` without \
                        `flavor = \"multi_thread\"`, `flavor = \"current_thread\"`, an actix \
                        entry, or an `async` block run by `block_on` of a runtime built with \
                        `Builder::new_current_thread()`";
    for (i, call) in index.facts.calls.iter().enumerate() {
        if !call.on_current_thread || index.ctx_of(i) != Ctx::Async {
            continue;
        }
        let target = index.target_of(i);
        if let Some((entry, name)) = current_thread_panic(index, target) {
            out.push(
                Diagnostic::new(
                    BLOCK_ON_IN_ASYNC.name,
                    call.file,
                    call.loc,
                    format!("`{name}` called on a current_thread runtime"),
                )
                .label(
                    "this panics: \"can call blocking only when running on the multi-threaded \
                     runtime\"",
                )
                .note(runtime_note)
                .help(entry.replacement.clone())
                .item(enclosing(index, call)),
            );
        } else if let Target::Local(f) = *target
            && let Some(chain) = &reach[f]
        {
            let def = &index.facts.fns[f];
            let sink = chain.last().cloned().unwrap_or_default();
            let mut path = vec![format!("`{}`", def.name)];
            path.extend(chain.iter().map(|c| format!("`{c}`")));
            let help = index
                .kb
                .current_thread_panic
                .function(&sink)
                .map(|e| e.replacement.clone())
                .unwrap_or_default();
            out.push(
                Diagnostic::new(
                    BLOCK_ON_IN_ASYNC.name,
                    call.file,
                    call.loc,
                    format!(
                        "`{}` calls `{sink}`, which panics on the current_thread runtime this \
                         code runs on",
                        def.name
                    ),
                )
                .label("this call reaches a `block_in_place` that panics here")
                .secondary(def.file, def.loc, format!("`{}` is defined here", def.name))
                .note(format!("call chain: {}", path.join(" -> ")))
                .note(runtime_note)
                .help(help)
                .item(enclosing(index, call)),
            );
        }
    }
}

impl Lint for BlockOnInAsync {
    fn meta(&self) -> &'static LintMeta {
        &BLOCK_ON_IN_ASYNC
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        let index = cx.index;
        check_current_thread(index, out);
        let reach = index.sync_reach(|_, t| block_on_entry(index, t).map(|(_, name)| name));
        for (call, target) in index.async_calls() {
            if let Some((entry, name)) = block_on_entry(index, target) {
                if let Some(derived) = &entry.derived {
                    // A dependency's function that enters a runtime, from its summary.
                    let sink = derived.chain.last().map(String::as_str).unwrap_or_default();
                    out.push(
                        Diagnostic::new(
                            BLOCK_ON_IN_ASYNC.name,
                            call.file,
                            call.loc,
                            format!(
                                "`{name}` calls `{sink}`, which must not run inside async code"
                            ),
                        )
                        .label("this call panics or deadlocks when it runs on a runtime thread")
                        .through_dependency(&name, derived)
                        .help(format!("use {}", entry.replacement))
                        .item(enclosing(index, call)),
                    );
                } else {
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
                }
            } else if let Target::Local(f) = *target
                && !index.facts.fns[f].is_async
                && let Some(chain) = &reach[f]
            {
                let def = &index.facts.fns[f];
                let sink = chain.last().cloned().unwrap_or_default();
                let mut path = vec![format!("`{}`", def.name)];
                path.extend(chain.iter().map(|c| format!("`{}`", c)));
                // A sink in a dependency whose own source shows how: its chain goes on there.
                if let Some(derived) = index.kb.block_on.derived(&sink) {
                    derived.continue_chain(&mut path);
                }
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
