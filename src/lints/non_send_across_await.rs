use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};

crate::declare_lint! {
    /// ### What it does
    /// Finds an `Rc`, `rc::Weak` or other `!Send` value (not a guard; those have their own
    /// lints) alive across an `.await`: created in the async body by `Rc::new`, `Rc::clone`,
    /// `.clone()` of a known `Rc`, `Rc::downgrade`, or bound with a `let` typed `Rc<..>`.
    ///
    /// Futures that nobody requires to be `Send` are left alone: the body of a
    /// `#[tokio::main]`, `#[tokio::test]` (or other runtime entry) or `#[wasm_bindgen_test]`
    /// fn, and an `async` block passed straight to `spawn_local`, `block_on` or `run_until`.
    /// A task spawned with `tokio::spawn` from inside one of them is still checked.
    ///
    /// ### Why is this bad?
    /// A future that holds a `!Send` value at an `.await` is itself `!Send`: `tokio::spawn`
    /// and every multi-threaded executor reject it, with an error that points at the spawn
    /// call, not at the value. Ending the value's life before the `.await`, or using `Arc`,
    /// keeps the future `Send`.
    ///
    /// ### Known problems
    /// A value that is only a parameter of the async fn is not reported: such a fn is clearly
    /// meant for a local executor (`spawn_local`, `LocalSet`). A future that is never spawned
    /// onto a multi-threaded executor is fine with an `Rc`, but only the shapes above are
    /// recognised: an `async` block stored in a variable first (`let f = async {..};
    /// spawn_local(f)`) or an async fn that is only ever run locally is still reported;
    /// suppress the lint there. Raw pointers and other `!Send` types are only recognised when
    /// listed in the configuration.
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
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn run() {
    ///     let shared = Arc::new(State::default());
    ///     tick().await;
    ///     shared.report();
    /// }
    /// ```
    pub NON_SEND_ACROSS_AWAIT, non_send_across_await, suspicious, Warn,
    "an `Rc` or other !Send value alive across an `.await` makes the future !Send"
}

pub struct NonSendAcrossAwait;

impl Lint for NonSendAcrossAwait {
    fn meta(&self) -> &'static LintMeta {
        &NON_SEND_ACROSS_AWAIT
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        let note = "the future is not `Send` while it holds this value, so `tokio::spawn` \
                    rejects it";
        // A future that no one requires to be `Send` may hold an `Rc`.
        super::held::check(
            cx,
            NON_SEND_ACROSS_AWAIT.name,
            Some(note),
            |v| !v.local,
            out,
        );
    }
}
