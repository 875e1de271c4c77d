use super::lint::{Lint, LintMeta};

crate::declare_lint! {
    /// ### What it does
    /// Reports a file that was not checked: it does not parse as Rust (with syn's message), it is
    /// nested too deeply to parse safely (brackets more than 1,000 levels deep, or more than
    /// 4,000 levels of operators, closures or generic arguments in a row), it is larger than
    /// `max-file-size`, it is not UTF-8 or contains a NUL byte, or it could not be read. Code
    /// nested more than 400 levels deep inside a file that parses is reported too (the deeper
    /// part was skipped).
    ///
    /// ### Why is this bad?
    /// None of the file's code was checked, so its findings go unreported and a clean run means
    /// less than it seems.
    ///
    /// ### Known problems
    /// syn parses current Rust, not every edition's: valid code that rustc accepts can fail to
    /// parse (edition-2015 bare trait objects such as `Box<Fn(u8) -> u8>`, anonymous trait
    /// parameters, unstable syntax), and so do template files that are not Rust. That is why it
    /// warns by default and a warning does not fail the run (exit status 0): a limitation of
    /// the parser cannot break a CI gate. `-D parse_error` (or `parse_error = "deny"` in
    /// `[lints]`) makes every file count; a file that could not be read still exits 2.
    ///
    /// ### Example
    /// ```rust,ignore
    /// // src/legacy.rs, edition 2015
    /// fn handlers() -> Vec<Box<Fn(u8) -> u8>> { Vec::new() }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// //! async-lint: allow(parse_error) -- edition-2015 syntax, checked by rustc
    /// fn handlers() -> Vec<Box<dyn Fn(u8) -> u8>> { Vec::new() }
    /// ```
    /// Update the syntax where you can; otherwise allow the lint for the file as above (a
    /// `//!` comment at the top, read without parsing the file), exclude the file (`exclude`
    /// in async-lint.toml), or `-A parse_error`.
    pub PARSE_ERROR, parse_error, correctness, Warn,
    "a file could not be read or parsed, so it was not checked"
}

/// Reported by the engine while it reads and parses files (see `crate::driver::engine`).
pub struct ParseError;

impl Lint for ParseError {
    fn meta(&self) -> &'static LintMeta {
        &PARSE_ERROR
    }
}
