use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};

crate::declare_lint! {
    /// ### What it does
    /// Finds a `RefCell` borrow (`Ref` from `borrow()`, `RefMut` from `borrow_mut()`) that is
    /// alive across an `.await`, as a binding or as a temporary of its statement; also a borrow
    /// made in a sync closure and captured by an `async` block made there, at that block's
    /// awaits.
    ///
    /// ### Why is this bad?
    /// While the task is suspended the borrow stays active. Any other task on the same thread
    /// (a `LocalSet`, a current-thread runtime) that borrows the same cell mutably panics with
    /// `BorrowMutError`, at a place unrelated to the one that holds the borrow. The borrow also
    /// makes the future `!Send`.
    ///
    /// ### Known problems
    /// The cell must be recognisable from syntax: `RefCell::new`, a typed parameter
    /// (`&RefCell<T>`, `Rc<RefCell<T>>`), a `let` annotation or a struct field of the crate.
    /// The same scope rules and limits as `lock_across_await` apply.
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn add(items: &RefCell<Vec<u32>>) {
    ///     let mut v = items.borrow_mut();
    ///     v.push(fetch().await);
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn add(items: &RefCell<Vec<u32>>) {
    ///     let x = fetch().await;
    ///     items.borrow_mut().push(x);
    /// }
    /// ```
    pub REFCELL_ACROSS_AWAIT, refcell_across_await, suspicious, Warn,
    "a `RefCell` borrow alive across an `.await` can panic with `BorrowMutError`"
}

pub struct RefcellAcrossAwait;

impl Lint for RefcellAcrossAwait {
    fn meta(&self) -> &'static LintMeta {
        &REFCELL_ACROSS_AWAIT
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        super::held::check(cx, REFCELL_ACROSS_AWAIT.name, None, |_| true, out);
    }
}
