use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};

crate::declare_lint! {
    /// ### What it does
    /// Finds a synchronous lock guard (`std::sync::Mutex` / `RwLock`, parking_lot, lock_api or
    /// spin guards) that is alive across an `.await`: bound with `let`, or a temporary that
    /// lives to the end of its statement (`m.lock().unwrap().push(f().await)`), a `match` /
    /// `if let` / `while let` scrutinee, or wrapped in a tuple, `Some(..)`, an array or a
    /// struct; also a value of a struct that holds a guard in a field (`struct QueueGuard<'a>
    /// { guard: MutexGuard<'a, Vec<Job>> }`, the crate's or, in cargo mode, a dependency's),
    /// and a guard returned by a dependency's method (`registry.state()` declared `->
    /// MutexGuard<'_, State>`). A guard dropped before the `.await` (`drop(guard)`, the end of its block, moved
    /// into a function) is not reported; a drop on only some branches still is. A guard taken
    /// in a sync closure and captured by an `async` block (or async closure) made there is held
    /// across that block's awaits (`stream.then(|r| { let g = m.lock().unwrap(); async move {
    /// work(&g).await } })`); the closure itself never awaits.
    ///
    /// ### Why is this bad?
    /// While the task is suspended it still holds the lock. Another task on the same thread
    /// that locks the mutex blocks the thread, and the first task can never run to release it:
    /// on a current-thread runtime (the default of `#[tokio::test]`) that is a deadlock. The
    /// guard also makes the future `!Send` (std and parking_lot guards), so `tokio::spawn`
    /// rejects it with a hard-to-read error; spin guards are `Send` but live-lock instead.
    ///
    /// ### Known problems
    /// Types are inferred from syntax: a `Mutex` is recognised through its constructor, a
    /// `use` import, a typed parameter, a `let` annotation or a struct field declared in the
    /// crate; a lock reached through a generic or a function of unknown return type is not
    /// checked. A guard moved into another binding's container (`vec.push(guard)`) is taken as
    /// dropped. A guard passed to a function that returns it is taken as moved. Control flow
    /// is followed through `if`, `match` and early exits, but not through loops (a guard
    /// dropped in a later iteration still counts as held at the first). A `match` arm's
    /// bindings are taken to hold the scrutinee's guard whatever the variant (`Err(e)` of
    /// `lock()` does: a `PoisonError` owns the guard); an arm pattern that names an item
    /// (`None`, an imported variant, a constant) binds nothing, but a variant reached only
    /// through a glob import (`use Kind::*`) is taken as a binding. Values bound in a sync
    /// `fn` (not a closure) that returns an `async` block capturing them are not followed.
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn bump(m: &std::sync::Mutex<u64>) {
    ///     let mut n = m.lock().unwrap();
    ///     *n += 1;
    ///     save().await; // still locked here
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn bump(m: &std::sync::Mutex<u64>) {
    ///     {
    ///         let mut n = m.lock().unwrap();
    ///         *n += 1;
    ///     } // unlocked here
    ///     save().await;
    /// }
    /// ```
    /// or use `tokio::sync::Mutex`, whose guard may be held across `.await`.
    pub LOCK_ACROSS_AWAIT, lock_across_await, suspicious, Warn,
    "a synchronous lock guard alive across an `.await` can deadlock and makes the future !Send"
}

pub struct LockAcrossAwait;

impl Lint for LockAcrossAwait {
    fn meta(&self) -> &'static LintMeta {
        &LOCK_ACROSS_AWAIT
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        super::held::check(cx, LOCK_ACROSS_AWAIT.name, None, |_| true, out);
    }
}
