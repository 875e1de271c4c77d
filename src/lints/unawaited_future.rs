use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::{CrateIndex, Target};
use crate::syntax::facts::{DropKind, Dropped, DroppedValue};

crate::declare_lint! {
    /// ### What it does
    /// Finds a future that is created and then thrown away without being awaited, spawned,
    /// polled, returned, stored or passed on: an expression statement (`fut();`,
    /// `obj.async_method();`, `Box::pin(fut());`, `async { .. };`, also as the value of an `if`
    /// or `match` statement), `let _ = fut();`, `drop(fut())` / `std::mem::drop(fut())`, and a
    /// binding that is never used again (`let f = fut();`). It works in sync code too.
    ///
    /// What returns a future: the crate's `async fn`s and async methods, functions declared to
    /// return `impl Future`, `Pin<Box<dyn Future>>`, `BoxFuture` or `LocalBoxFuture`, `async`
    /// blocks, and the library functions and methods listed in `lints/futures.toml` (tokio's
    /// time, fs, net and sync futures, channel sends, futures-util combinators, ...).
    ///
    /// ### Why is this bad?
    /// Futures are lazy: nothing in one runs until it is awaited or polled. A forgotten
    /// `.await` means the work silently never happens: the message is not sent, the file not
    /// written, the timer not waited for. rustc warns about a bare `fut();`, but not about
    /// `let _ = fut();`, `drop(fut())` or an unused binding, and not at all for code that does
    /// not compile yet.
    ///
    /// ### Known problems
    /// A method call on a receiver of unknown type is only reported when every method of that
    /// name in the crate (trait method declarations included) is async and the name is not a
    /// common std or trait method name. A receiver whose type is known (a lock guard, another
    /// crate type, a type alias of one) is never matched by name to an async method of a
    /// different type: only its own methods and those of the crate's traits count. A method
    /// reached through a lock guard's `Deref` (`mutex.lock().await.flush()`) is not looked up
    /// on the guarded type. A
    /// future that is thrown away on purpose (dropping it cancels work that was never started)
    /// is still reported; write `drop` with a comment and suppress it. Calls through trait
    /// objects and function pointers are not followed. A spawned task's `JoinHandle` is not
    /// this lint's business (see `detached_spawn`).
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn notify(tx: &tokio::sync::mpsc::Sender<Event>, e: Event) {
    ///     let _ = tx.send(e); // never sent
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn notify(tx: &tokio::sync::mpsc::Sender<Event>, e: Event) {
    ///     let _ = tx.send(e).await;
    /// }
    /// ```
    pub UNAWAITED_FUTURE, unawaited_future, correctness, Warn,
    "a future created and dropped without being awaited never runs"
}

pub struct UnawaitedFuture;

/// Whether a call's value is a future, and how to name it in messages.
pub fn future_of(index: &CrateIndex<'_>, call: usize) -> Option<String> {
    let kb = index.kb;
    match index.target_of(call) {
        Target::Local(f) => {
            let def = &index.facts.fns[*f];
            def.returns_future.then(|| format!("`{}`", def.name))
        }
        Target::ExternFn(p) => (kb.is_future_fn(p) && !kb.is_spawn_fn(p)).then(|| format!("`{p}`")),
        Target::ExternMethod { ty, name } => kb
            .is_future_method(ty, name)
            .then(|| format!("`{ty}::{name}`")),
        Target::UnknownMethod(name) => {
            let methods = index.name_candidates(call);
            let crate_async = !methods.is_empty()
                && !kb.is_common_sync_name(name)
                && methods.iter().all(|&f| index.facts.fns[f].returns_future);
            (crate_async || kb.is_future_method_name(name)).then(|| format!("`.{name}()`"))
        }
        Target::Unresolved => None,
    }
}

impl Lint for UnawaitedFuture {
    fn meta(&self) -> &'static LintMeta {
        &UNAWAITED_FUTURE
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        let index = cx.index;
        for d in &index.facts.dropped {
            let what = match d.what {
                Dropped::Call(i) => match future_of(index, i) {
                    Some(w) => format!("the future returned by {w}"),
                    None => continue,
                },
                Dropped::AsyncBlock => "this `async` block's future".to_string(),
            };
            out.push(report(index, d, &what));
        }
    }
}

fn report(index: &CrateIndex<'_>, d: &DroppedValue, what: &str) -> Diagnostic {
    let (message, label) = match &d.kind {
        DropKind::Statement => (
            format!("{what} is dropped without being awaited"),
            "this future is created and dropped at the end of the statement",
        ),
        DropKind::LetUnderscore => (
            format!("`let _ =` drops {what} without running it"),
            "`let _` drops the future at once",
        ),
        DropKind::Drop => (
            format!("{what} is dropped without ever running"),
            "never polled",
        ),
        DropKind::UnusedBinding(_) => (
            format!("{what} is bound but never awaited or used"),
            "this future never runs",
        ),
    };
    let mut diag = Diagnostic::new(UNAWAITED_FUTURE.name, d.file, d.loc, message)
        .label(label)
        .note("futures do nothing until they are awaited or polled")
        .help(
            "add `.await`, or hand the future to `tokio::spawn` if it should run in the background",
        )
        .item(
            d.caller
                .map(|f| index.facts.fns[f].name.clone())
                .unwrap_or_default(),
        );
    if let DropKind::UnusedBinding(name) = &d.kind {
        diag = diag.note(format!("`{name}` is not used after this statement"));
    }
    diag
}
