use super::lint::{Lint, LintMeta};

crate::declare_lint! {
    /// ### What it does
    /// Reports `// async-lint: allow(..)` comments that silence nothing: the finding they were
    /// written for is gone, or the lint name is misspelt.
    ///
    /// ### Why is this bad?
    /// A stale suppression hides nothing today, but silences the next real finding on that
    /// line or item without anyone deciding it should. A misspelt lint name never worked.
    ///
    /// ### Known problems
    /// A suppression of a lint that is allowed in this run is not reported (it may be needed
    /// where the lint is on). Suppressions coming from clippy `#[allow]` attributes are never
    /// reported.
    ///
    /// ### Example
    /// ```rust,ignore
    /// // async-lint: allow(blocking_in_async) -- the sleep was removed long ago
    /// async fn tick() { tokio::time::sleep(D).await }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn tick() { tokio::time::sleep(D).await }
    /// ```
    pub UNUSED_SUPPRESSION, unused_suppression, pedantic, Allow,
    "an `async-lint: allow(..)` comment that silences nothing"
}

/// Computed by the engine after every other lint (see `crate::report::suppress`).
pub struct UnusedSuppression;

impl Lint for UnusedSuppression {
    fn meta(&self) -> &'static LintMeta {
        &UNUSED_SUPPRESSION
    }
}
