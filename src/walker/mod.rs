//! The shared walker: one pass over a parsed file that every lint builds on.
//!
//! It owns the pieces of knowledge no lint should re-derive:
//! - **async context**: whether code runs in a future (`async fn`, `async` blocks and closures),
//!   in a sync island (closures handed to `spawn_blocking`, `std::thread::spawn`, rayon, ...) or
//!   in plain sync code (nested `fn` items reset it);
//! - **name resolution**: paths canonicalised through `use` declarations at module and block
//!   level, local items, locals that shadow imports, `crate::` / `self::` / `super::`;
//! - **type evidence** for receivers (constructors, annotations, parameters, fields), recorded
//!   lazily as [`Ty`] and resolved once the whole crate is indexed.
//!
//! Here: the [`Walker`]'s state and the entry point [`walk_file`]. The traversal is in
//! [`visit`]; it delegates to [`scope`] (name resolution: the scopes and what a path means
//! there), [`types`] (type evidence, on top of the scopes), [`context`] (async context and
//! islands), [`held`] (values alive across awaits, values dropped unused), [`macros`] and
//! [`select`]; [`items`] walks modules, fns, impls and traits, and [`shapes`] holds pure
//! functions over syntax. The result is a [`FileOutput`] whose [`CrateFacts`] the crate index
//! resolves; the AST can be dropped right after.

mod context;
mod held;
mod items;
mod macros;
mod scope;
mod select;
mod shapes;
mod types;
mod visit;

use crate::facts::{CrateFacts, Ctx, DropKind, DroppedValue, FnId};
use crate::kb::Kb;
use crate::liveness::Liveness;
use crate::source::{FileId, Loc};
use proc_macro2::Span;
use scope::Scopes;
use shapes::path_start;
use syn::Expr;

/// How deep the walker follows nested expressions before giving up on a subtree.
pub const MAX_DEPTH: usize = 400;

/// The single-word attributes the walker reads (`#[allow(clippy::..)]` for suppressions,
/// `#[path = ".."]` on `mod`). Attributes with a path (`#[tokio::main]`) are read too; every
/// other attribute is blanked before parsing (`engine::skippable_attribute`), so an attribute
/// that a new check reads must be listed here.
pub const ATTRIBUTES_READ: &[&str] = &["allow", "path", "wasm_bindgen_test"];

/// What the walker needs to know about the file's place in its crate.
pub struct FileInput<'a> {
    pub kb: &'a Kb,
    pub file: FileId,
    /// Canonical path of the file's module (`mycrate`, `mycrate::util::io`).
    pub module: String,
    /// Canonical name of the crate root (`mycrate`).
    pub crate_root: String,
    /// The crate's edition (2015, 2018, 2021, 2024): temporary scopes depend on it.
    pub edition: u16,
}

/// Non-inline `mod` declarations found in a file, for following the module tree.
#[derive(Debug, Clone)]
pub struct ModDecl {
    /// Module path segments below the file's module (inline parents included).
    pub inline_parents: Vec<String>,
    pub name: String,
    /// A `#[path = ".."]` attribute.
    pub path_attr: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct FileOutput {
    /// (first, last) lines of the file's fns, impls, mods and traits (suppression scopes).
    pub items: Vec<(usize, usize)>,
    /// Items with `#[allow(clippy::..)]` for lints with an equivalent of ours:
    /// (first line, last line, our lint).
    pub clippy_allows: Vec<(usize, usize, &'static str)>,
    pub facts: CrateFacts,
    pub mods: Vec<ModDecl>,
    /// Set when some subtree was nested deeper than [`MAX_DEPTH`] and was skipped.
    pub too_deep: Option<Loc>,
}

pub fn walk_file(input: &FileInput<'_>, file: &syn::File) -> FileOutput {
    let mut w = Walker {
        kb: input.kb,
        file: input.file,
        scopes: Scopes::new(input.kb, input.crate_root.clone()),
        out: FileOutput::default(),
        ctx: Ctx::Sync,
        cur_fn: None,
        inline_parents: Vec::new(),
        depth: 0,
        awaited_next: false,
        local_async_next: false,
        negated: false,
        closure_of: None,
        params: Vec::new(),
        live: Liveness::default(),
        edition: input.edition,
        cur_stmt: 0,
        bound: Vec::new(),
        drop_watch: Vec::new(),
        unused: Vec::new(),
        loops: 0,
        sync_closures: 0,
    };
    w.walk_module(&input.module, &file.items);
    w.out.facts.held = std::mem::take(&mut w.live.out);
    w.out
}
struct Walker<'a> {
    kb: &'a Kb,
    file: FileId,
    /// Name resolution and type evidence: the modules, blocks and locals around the point.
    scopes: Scopes<'a>,
    out: FileOutput,
    ctx: Ctx,
    cur_fn: Option<FnId>,
    inline_parents: Vec<String>,
    depth: usize,
    /// The next call recorded is the operand of `.await`.
    awaited_next: bool,
    /// The `async` block walked next is handed straight to a local driver (`spawn_local`,
    /// `block_on`, `run_until`): its future need not be `Send`.
    local_async_next: bool,
    /// Inside the operand of a `!` (a flag named there is being cleared, not set).
    negated: bool,
    /// The call whose closure argument is being walked (reset at async boundaries and fns).
    closure_of: Option<usize>,
    /// Parameter names of the enclosing fn.
    params: Vec<String>,
    /// Values alive at each `.await` (see [`crate::liveness`]).
    live: Liveness,
    edition: u16,
    /// The statement being walked (temporaries die at its end).
    cur_stmt: usize,
    /// Expressions whose values flow into the binding being initialised (not temporaries).
    bound: Vec<*const Expr>,
    /// Expressions whose value is thrown away (a statement, `let _ =`, `drop(..)`), noted when
    /// the walk reaches them.
    drop_watch: Vec<(*const Expr, DropKind)>,
    /// Per block: bindings of a call's value not yet used (name, the dropped-value fact).
    unused: Vec<Vec<(String, DroppedValue)>>,
    /// Loops around the current point in the current function.
    loops: usize,
    /// Sync closures around the current point in the current async body.
    sync_closures: usize,
}

impl Walker<'_> {
    fn loc(&self, span: Span) -> Loc {
        Loc::of(span)
    }

    /// The location of a path, from its first to its last segment (without `Spanned`, which
    /// would print the path into tokens first).
    fn path_loc(&self, path: &syn::Path) -> Loc {
        match (&path.leading_colon, path.segments.len()) {
            (None, 1) => self.loc(path.segments[0].ident.span()),
            _ => {
                let end = path
                    .segments
                    .last()
                    .map_or_else(|| path_start(path), |s| s.ident.span());
                Loc::between(path_start(path), end)
            }
        }
    }

    /// The span of a whole call, from `start` to its closing parenthesis. Only calls in async
    /// context need it (for fixes that append `.await`); elsewhere the callee's span stands in,
    /// as turning spans into byte offsets is a large share of the walk's cost.
    fn call_loc(&self, callee: Loc, start: Span, close: Span) -> Loc {
        if self.ctx == Ctx::Async {
            Loc::between(start, close)
        } else {
            callee
        }
    }

    /// Where a value-producing expression points: a call's callee, else its first token.
    fn expr_loc(&self, e: &Expr) -> Loc {
        match e {
            Expr::MethodCall(m) => self.loc(m.method.span()),
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) => self.path_loc(&p.path),
                _ => self.loc(c.paren_token.span.open()),
            },
            Expr::Path(p) => self.path_loc(&p.path),
            Expr::Macro(m) => self.path_loc(&m.mac.path),
            _ => Loc::default(),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::facts::Callee;

    /// Walks `src` as the root file of a crate named `demo`.
    pub(crate) fn walk_src(kb: &Kb, src: &str) -> FileOutput {
        let ast = syn::parse_file(src).unwrap();
        let input = FileInput {
            kb,
            file: 0,
            module: "demo".into(),
            crate_root: "demo".into(),
            edition: 2021,
        };
        walk_file(&input, &ast)
    }

    /// Callee paths (first candidate) and contexts of every path call in `src`.
    fn calls(src: &str) -> Vec<(String, Ctx)> {
        walk_src(&Kb::default(), src)
            .facts
            .calls
            .iter()
            .filter_map(|c| match &c.callee {
                Callee::Path(p) => Some((p[0].clone(), c.ctx)),
                Callee::Method { .. } => None,
            })
            .collect()
    }

    fn paths(src: &str) -> Vec<String> {
        calls(src).into_iter().map(|(p, _)| p).collect()
    }

    #[test]
    fn use_forms_resolve() {
        let src = r#"
            use std::thread;
            use std::fs::read as r;
            use std::{fs, thread::sleep as nap};
            use std::io::{self, Read};
            fn f() {
                thread::sleep(d);
                r(p);
                fs::write(p, b);
                nap(d);
                io::stdin();
                ::std::process::exit(1);
                core::mem::drop(x);
            }
        "#;
        assert_eq!(
            paths(src),
            [
                "std::thread::sleep",
                "std::fs::read",
                "std::fs::write",
                "std::thread::sleep",
                "std::io::stdin",
                "std::process::exit",
                "std::mem::drop",
            ]
        );
    }

    #[test]
    fn local_items_shadow_and_crate_paths() {
        let src = r#"
            mod fs { pub fn read() {} }
            fn sleep() {}
            mod inner {
                use super::fs;
                pub fn g() { fs::read(); super::sleep(); crate::sleep(); self::h(); }
                fn h() {}
            }
            fn f() { fs::read(); sleep(); inner::g(); }
        "#;
        assert_eq!(
            paths(src),
            [
                "demo::fs::read",
                "demo::sleep",
                "demo::sleep",
                "demo::inner::h",
                "demo::fs::read",
                "demo::sleep",
                "demo::inner::g",
            ]
        );
    }

    #[test]
    fn block_level_use_and_locals_shadow_imports() {
        let src = r#"
            use std::thread::sleep;
            async fn f() {
                sleep(d);
                {
                    use tokio::time::sleep;
                    sleep(d);
                }
                let sleep = |d| ();
                sleep(d);
            }
        "#;
        assert_eq!(paths(src), ["std::thread::sleep", "tokio::time::sleep"]);
    }

    #[test]
    fn import_cycles_terminate() {
        let src = r#"
            use super::helper;
            use self::a as b;
            use self::b as a;
            fn f() { helper(); a(); b::c(); }
        "#;
        assert_eq!(paths(src).len(), 3);
    }

    #[test]
    fn globs_and_super_glob() {
        let src = r#"
            use std::fs::*;
            fn helper() {}
            fn f() { read(p); helper(); }
            mod tests {
                use super::*;
                fn t() { helper(); }
            }
        "#;
        let p = calls(src);
        assert_eq!(p[0].0, "std::fs::read");
        assert_eq!(p[1].0, "demo::helper");
        assert_eq!(p[2].0, "demo::helper");
    }

    #[test]
    fn async_context_and_islands() {
        let src = r#"
            async fn a() {
                one();
                let c = || two();
                tokio::task::spawn_blocking(|| three());
                fn nested() { four(); }
                async fn nested_async() { five(); }
            }
            fn s() {
                six();
                let fut = async { seven(); };
                let ac = async || eight();
            }
        "#;
        let kb_calls = calls(src);
        let ctx = |name: &str| {
            kb_calls
                .iter()
                .find(|(p, _)| p.ends_with(name))
                .map(|(_, c)| *c)
        };
        assert_eq!(ctx("one"), Some(Ctx::Async));
        assert_eq!(ctx("two"), Some(Ctx::Async));
        // With an empty knowledge base spawn_blocking is not an island: only data decides.
        assert_eq!(ctx("three"), Some(Ctx::Async));
        assert_eq!(ctx("four"), Some(Ctx::Sync));
        assert_eq!(ctx("five"), Some(Ctx::Async));
        assert_eq!(ctx("six"), Some(Ctx::Sync));
        assert_eq!(ctx("seven"), Some(Ctx::Async));
        assert_eq!(ctx("eight"), Some(Ctx::Async));
    }

    #[test]
    fn macros_with_expression_arguments_are_walked() {
        let src = r#"
            async fn a() {
                println!("{}", one());
                let v = vec![two(); 3];
                assert_eq!(three(), 1, "msg {}", four());
                tokio::select! {
                    biased;
                    x = five() => { six(x) }
                    _ = seven(), if eight() => nine(),
                    else => ten(),
                }
                tracing::info!(field = %eleven(), "text");
                my_macro!(twelve());
                tracing::warn!(parent: None, { a = thirteen(), b.c = ?fourteen() }, "m {}", 1);
                println!("{:?}", { fifteen() });
            }
        "#;
        let p = paths(src);
        for name in [
            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
            "eleven", "thirteen", "fourteen", "fifteen",
        ] {
            assert!(
                p.iter().any(|x| x.ends_with(name)),
                "{name} missing from {p:?}"
            );
        }
        assert!(
            !p.iter().any(|x| x.ends_with("twelve")),
            "unknown macros are not walked"
        );
    }
}

#[cfg(test)]
mod held_tests {
    use super::*;

    /// (binding name or "tmp", number of awaits) of every held value in `src`.
    fn held(src: &str) -> Vec<(String, usize)> {
        super::tests::walk_src(Kb::builtin(), src)
            .facts
            .held
            .iter()
            .map(|h| {
                (
                    h.name.clone().unwrap_or_else(|| "tmp".into()),
                    h.awaits.len(),
                )
            })
            .collect()
    }

    #[test]
    fn temporaries_live_to_the_end_of_their_statement() {
        let src = r#"
            async fn c(m: &std::sync::Mutex<Vec<u32>>) {
                m.lock().unwrap().push(f().await);
                let n = m.lock().unwrap().len();
                g().await;
            }
        "#;
        // `n` is recorded too (its type is resolved, and dismissed, at crate level).
        assert_eq!(held(src), [("tmp".to_string(), 1), ("n".to_string(), 1)]);
    }
}
