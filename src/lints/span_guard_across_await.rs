use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};

crate::declare_lint! {
    /// ### What it does
    /// Finds a tracing span guard, `Entered` from `span.enter()` or `EnteredSpan` from
    /// `span.entered()`, alive across an `.await`.
    ///
    /// ### Why is this bad?
    /// Entering a span marks it current on the thread, not in the task. While the task is
    /// suspended the span stays entered, so events that other tasks on the same thread emit
    /// are recorded inside it, and when the task resumes elsewhere the span is exited on the
    /// wrong thread. Traces become misleading exactly when they are needed. The compiler does
    /// not catch this (`Entered` is `Send`).
    ///
    /// ### Known problems
    /// The span must be recognisable: from `tracing::info_span!` and the other span macros,
    /// `Span::current()`, a parameter or field typed `Span`. A span entered through a wrapper
    /// of the crate's own is not followed.
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn handle(req: Request) {
    ///     let span = tracing::info_span!("handle");
    ///     let _enter = span.enter();
    ///     process(req).await;
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// use tracing::Instrument;
    /// async fn handle(req: Request) {
    ///     process(req).instrument(tracing::info_span!("handle")).await;
    /// }
    /// ```
    pub SPAN_GUARD_ACROSS_AWAIT, span_guard_across_await, suspicious, Warn,
    "a tracing span guard alive across an `.await` records other tasks' events in the span"
}

pub struct SpanGuardAcrossAwait;

impl Lint for SpanGuardAcrossAwait {
    fn meta(&self) -> &'static LintMeta {
        &SPAN_GUARD_ACROSS_AWAIT
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        super::held::check(cx, SPAN_GUARD_ACROSS_AWAIT.name, None, |_| true, out);
    }
}
