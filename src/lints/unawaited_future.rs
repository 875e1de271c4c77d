use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::{CrateIndex, Target};
use crate::syntax::facts::{DropKind, Dropped, DroppedValue};

crate::declare_lint! {
    /// ### What it does
    /// Finds a future that is created and then thrown away without being awaited, spawned,
    /// polled, returned, stored or passed on: an expression statement (`fut();`,
    /// `obj.async_method();`, `Box::pin(fut());`, `async { .. };`, also as the value of an `if`
    /// or `match` statement), `let _ = fut();`, `drop(fut())` / `std::mem::drop(fut())`, a
    /// binding that is never used again (`let f = fut();`), and a binding thrown away later in
    /// its block with nothing in between (`let f = fut(); .. let _ = f;` or `drop(f);`, reported
    /// at the discard with a label where the future is made). It works in sync code too.
    ///
    /// Only futures known to be lazy (nothing runs until they are polled) are reported: the
    /// crate's `async fn`s and async methods, `async` blocks, the crate's sync fns returning a
    /// future (`impl Future`, `Pin<Box<dyn Future>>`, `BoxFuture`, `LocalBoxFuture`) whose body
    /// is only that future (an `async` block, or a call of a lazy future, possibly `Box::pin`ned
    /// or `.boxed()`, after nothing but `let`s and `clone()`s), and the library functions and
    /// methods that `lints/futures.toml` marks `lazy` (tokio's time, fs, net and sync futures,
    /// channel sends, futures-util combinators, ...).
    ///
    /// ### Why is this bad?
    /// Futures are lazy: nothing in one runs until it is awaited or polled. A forgotten
    /// `.await` means the work silently never happens: the message is not sent, the file not
    /// written, the timer not waited for. rustc warns about a bare `fut();`, but not about
    /// `let _ = fut();`, `drop(fut())` or an unused binding, and not at all for code that does
    /// not compile yet.
    ///
    /// ### Known problems
    /// A sync fn that does work before it returns its future (sends a command, spawns, emits an
    /// event: actix-server's `ServerHandle::stop`, hyper's `send_request`) is not reported, as
    /// dropping its future loses only the wait for the result; any call or macro before the
    /// future counts as such work (`clone()` aside), so a lazy fn that logs or computes an
    /// argument first is missed too, as are futures made by a fn the linter cannot see (a
    /// dependency's fn not in `lints/futures.toml`). The arguments of the call a sync fn returns
    /// the future of are not looked at (`fn f() -> impl Future { wait(send_now()) }` counts as
    /// lazy when `wait` is).
    ///
    /// A method call on a receiver of unknown type is only reported when every method of that
    /// name in the crate (trait method declarations included) returns a lazy future and the
    /// name is not a common std or trait method name. A receiver whose type is known (a lock
    /// guard, another crate type, a type alias of one) is never matched by name to a method of
    /// a different type: only its own methods and those of the crate's traits count. A method
    /// reached through a lock guard's `Deref` (`mutex.lock().await.flush()`) is not looked up
    /// on the guarded type. Calls through trait objects and function pointers are not followed. A future that
    /// is thrown away on purpose (dropping it cancels work that was never started) is still
    /// reported; silence it as rustc and clippy are silenced: `#[allow]` or `#[expect]` of
    /// `clippy::let_underscore_future` on the item or the statement silences every form, and of
    /// `unused_must_use` (or `unused`) the expression-statement form, the only one rustc warns
    /// about. A binding discarded in a nested block or on one branch only (`if c { drop(f) }`)
    /// is not reported, as another path may still await it. A spawned task's `JoinHandle` is
    /// not this lint's business (see `detached_spawn`).
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

/// Whether a call's value is a future that does nothing until polled (see
/// [`CrateIndex::makes_lazy_future`]), and how to name it in messages.
pub fn future_of(index: &CrateIndex<'_>, call: usize) -> Option<String> {
    if !index.makes_lazy_future(call) {
        return None;
    }
    match index.target_of(call) {
        Target::Local(f) => Some(format!("`{}`", index.facts.fns[*f].name)),
        Target::ExternFn(p) => Some(format!("`{p}`")),
        Target::ExternMethod { ty, name } => Some(format!("`{ty}::{name}`")),
        Target::UnknownMethod(name) => Some(format!("`.{name}()`")),
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
    if let Some(origin) = d.origin {
        diag = diag
            .secondary(d.file, origin, "the future is created here")
            .note("nothing awaits, polls, pins or moves it between where it is made and here");
    }
    diag
}
