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

use crate::kb::Kb;
use crate::syntax::facts::{CrateFacts, Ctx, DropKind, DroppedValue, FnId, FutureUse};
use crate::syntax::liveness::Liveness;
use crate::syntax::source::{FileId, Loc};
use proc_macro2::Span;
use scope::Scopes;
use shapes::path_start;
use syn::Expr;

/// How deep the walker follows nested expressions before giving up on a subtree.
pub const MAX_DEPTH: usize = 400;

/// The single-word attributes the walker reads (`#[allow(clippy::..)]`, `#[expect(..)]` for
/// suppressions, `#[path = ".."]` on `mod`). Attributes with a path (`#[tokio::main]`) are read
/// too, and `cfg`s with an empty list (`#[cfg(any())]`, for [`shapes::cfg_never`]); every other
/// attribute is blanked before parsing (`syntax::prescan::skippable_attribute`), so an attribute
/// that a new check reads must be listed here.
pub const ATTRIBUTES_READ: &[&str] = &[
    "allow",
    "async_trait",
    "expect",
    "path",
    "wasm_bindgen_test",
];

/// Whether the outer attributes `text` (`#[cfg(feature = "x")]`) rule out the item they are on
/// in the build being read, as the walker decides it ([`shapes::cfg_never`]): for the prescan,
/// which then blanks the item (see `syntax::prescan`).
pub fn cfg_rules_out(text: &str) -> bool {
    let by_syn = || {
        syn::parse::Parser::parse_str(syn::Attribute::parse_outer, text)
            .is_ok_and(|attrs| shapes::cfg_never(&attrs))
    };
    // `#[cfg(..)]` in a common shape: read from its tokens (see `shapes::simple_cfg_value`).
    match simple_cfg_attribute(text) {
        Some(v) => {
            let never = v == Some(false);
            debug_assert_eq!(never, by_syn(), "{text}");
            never
        }
        None => by_syn(),
    }
}

/// The value of the predicate of `text` when it is one outer `#[cfg(..)]` whose predicate
/// [`shapes::simple_cfg_value`] reads.
fn simple_cfg_attribute(text: &str) -> Option<Option<bool>> {
    use proc_macro2::{Delimiter, TokenTree};
    let tokens: proc_macro2::TokenStream = text.parse().ok()?;
    let mut it = tokens.into_iter();
    let (Some(TokenTree::Punct(hash)), Some(TokenTree::Group(body)), None) =
        (it.next(), it.next(), it.next())
    else {
        return None;
    };
    if hash.as_char() != '#' || body.delimiter() != Delimiter::Bracket {
        return None;
    }
    let mut inner = body.stream().into_iter();
    let (Some(TokenTree::Ident(cfg)), Some(TokenTree::Group(pred)), None) =
        (inner.next(), inner.next(), inner.next())
    else {
        return None;
    };
    if cfg != "cfg" || pred.delimiter() != Delimiter::Parenthesis {
        return None;
    }
    shapes::simple_cfg_value(&pred.stream())
}

/// A sync closure met by the walk and where it runs: (the closure, where, the `closure_of` of the
/// calls in it, the call it is an argument of).
type ClosurePlace = (
    *const syn::ExprClosure,
    context::Runs,
    Option<usize>,
    Option<usize>,
);

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
    /// `mod name` (the keyword to the name), where a lookup problem is reported.
    pub loc: Loc,
}

#[derive(Clone, Debug, Default)]
pub struct FileOutput {
    /// (first, last) lines of the file's fns, impls, mods and traits (suppression scopes).
    pub items: Vec<(usize, usize)>,
    /// Items and statements with `#[allow(..)]` / `#[expect(..)]` of lints with an equivalent
    /// of ours (clippy's, and rustc's `unused_must_use` on futures dropped as statements):
    /// (first line, last line, our lint).
    pub clippy_allows: Vec<(usize, usize, &'static str)>,
    pub facts: CrateFacts,
    pub mods: Vec<ModDecl>,
    /// Set when some subtree was nested deeper than [`MAX_DEPTH`] and was skipped.
    pub too_deep: Option<Loc>,
}

pub fn walk_file(input: &FileInput<'_>, file: &syn::File) -> FileOutput {
    let mut w = Walker::new(input);
    // `#![cfg(any())]` at the top of a file: none of it compiles.
    if !shapes::cfg_never(&file.attrs) {
        w.walk_module(&input.module, &file.items);
    }
    w.out.facts.held = std::mem::take(&mut w.live.out);
    w.out
}

/// [`walk_file`] for a large file cut into parts (runs of whole top-level items, `starts` the
/// offsets of the parts after the first, from [`crate::syntax::prescan::Prescan::parts`]):
/// each part is parsed on its own, so only one part's syntax tree is alive at a time (a syntax
/// tree takes about 90 times the size of its source). The module-level names and imports of
/// every part are collected first, from `shallow` (the text with the items' bodies blanked,
/// [`crate::syntax::prescan::Prescan::shallow`], cheap to parse), then the parts of `text` are
/// parsed and walked in order: the same facts as the whole file's walk. None when a part does not parse (the caller parses the
/// whole file). Frees proc-macro2's spans after each part.
pub fn walk_file_in_parts(
    input: &FileInput<'_>,
    text: &str,
    shallow: &str,
    starts: &[usize],
) -> Option<FileOutput> {
    let bounds: Vec<(usize, usize)> = std::iter::once(0)
        .chain(starts.iter().copied())
        .zip(starts.iter().copied().chain(std::iter::once(text.len())))
        .collect();
    // A part as a file of its own, after as many newlines as lines before it, so its spans
    // have the whole file's lines and columns (every part starts a line).
    let parse_of = |text: &str, (a, b): (usize, usize)| -> Option<syn::File> {
        let lines = memchr::memchr_iter(b'\n', &text.as_bytes()[..a]).count();
        let mut src = String::with_capacity(lines + b - a);
        src.extend(std::iter::repeat_n('\n', lines));
        src.push_str(&text[a..b]);
        let parsed = syn::parse_file(&src).ok();
        drop(src);
        parsed
    };
    let parse = |part| parse_of(text, part);
    let mut w = Walker::new(input);
    let mut scope = scope::Scope::default();
    let mut never = false;
    // The first pass reads the text with the items' bodies blanked (the part as written, should
    // that not parse).
    for (k, &part) in bounds.iter().enumerate() {
        let file = parse_of(shallow, part).or_else(|| parse(part));
        let ok = match &file {
            Some(file) => {
                if k == 0 {
                    never = shapes::cfg_never(&file.attrs);
                }
                // Inner attributes past the start: the cut was not between items.
                let cut_between_items = k == 0 || file.attrs.is_empty();
                if !never && cut_between_items {
                    let expanded = macros::expand_item_macros(&file.items);
                    w.scopes.collect_items(
                        module_items(&file.items, &expanded),
                        &input.module,
                        &mut scope,
                    );
                }
                cut_between_items
            }
            None => false,
        };
        drop(file);
        proc_macro2::extra::invalidate_current_thread_spans();
        if !ok {
            return None;
        }
    }
    if !never {
        let saved = w.scopes.enter_module_scope(&input.module, scope);
        let reexports = w.scopes.reexports();
        w.out.facts.reexports.extend(reexports);
        for &part in &bounds {
            let file = parse(part)?;
            let expanded = macros::expand_item_macros(&file.items);
            for item in module_items(&file.items, &expanded) {
                w.walk_item(item);
            }
            drop(expanded);
            drop(file);
            // Nothing may point into a freed tree (a later part's nodes may reuse the memory).
            w.forget_nodes();
            proc_macro2::extra::invalidate_current_thread_spans();
        }
        w.scopes.leave_module(saved);
    }
    w.out.facts.held = std::mem::take(&mut w.live.out);
    Some(w.out)
}

/// The items of a module, those of item-position macros (`cfg_rt! { .. }`) in their place.
fn module_items<'x>(
    items: &'x [syn::Item],
    expanded: &'x [(usize, Vec<syn::Item>)],
) -> impl Iterator<Item = &'x syn::Item> {
    items.iter().enumerate().flat_map(move |(i, item)| {
        match expanded.iter().find(|(j, _)| *j == i) {
            Some((_, inner)) => inner.iter().collect::<Vec<_>>(),
            None => vec![item],
        }
    })
}

impl<'a> Walker<'a> {
    fn new(input: &FileInput<'a>) -> Walker<'a> {
        Walker {
            kb: input.kb,
            file: input.file,
            scopes: Scopes::new(input.kb, input.crate_root.clone()),
            out: FileOutput::default(),
            ctx: Ctx::Sync,
            cur_fn: None,
            inline_parents: Vec::new(),
            depth: 0,
            awaited_next: false,
            cur_future: None,
            async_trait_send: None,
            future_watch: Vec::new(),
            negated: false,
            closure_of: None,
            params: Vec::new(),
            live: Liveness::default(),
            edition: input.edition,
            cur_stmt: 0,
            bound: Vec::new(),
            drop_watch: Vec::new(),
            unused: Vec::new(),
            closure_places: Vec::new(),
            once_call: None,
            deferred_to: None,
            must_use_allowed: 0,
            stmt_root: std::ptr::null(),
            loops: Vec::new(),
            current_thread: false,
            sync_closures: 0,
        }
    }

    /// Drops every pointer to a syntax node (the tree they point into is being freed).
    fn forget_nodes(&mut self) {
        self.future_watch.clear();
        self.bound.clear();
        self.drop_watch.clear();
        self.stmt_root = std::ptr::null();
    }
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
    /// The async body being walked (an index into `facts.futures`; `None` in sync code and in
    /// sync closures).
    cur_future: Option<usize>,
    /// Expressions (`async` blocks, calls) whose future goes somewhere known (handed to a call,
    /// returned), noted when the walk reaches them.
    future_watch: Vec<(*const Expr, FutureUse)>,
    /// Inside an `impl` or `trait` with `#[async_trait]` (not `?Send`): where the attribute is.
    async_trait_send: Option<Loc>,
    /// Inside the operand of a `!` (a flag named there is being cleared, not set).
    negated: bool,
    /// The call whose closure argument is being walked (reset at async boundaries and fns).
    closure_of: Option<usize>,
    /// Parameter names of the enclosing fn.
    params: Vec<String>,
    /// Values alive at each `.await` (see [`crate::syntax::liveness`]).
    live: Liveness,
    edition: u16,
    /// The statement being walked (temporaries die at its end).
    cur_stmt: usize,
    /// Expressions whose values flow into the binding being initialised (not temporaries).
    bound: Vec<*const Expr>,
    /// Expressions whose value is thrown away (a statement, `let _ =`, `drop(..)`), noted when
    /// the walk reaches them.
    drop_watch: Vec<(*const Expr, DropKind)>,
    /// Per block: bindings of a call's value not yet used (name, the statement that bound it,
    /// the dropped-value fact).
    unused: Vec<Vec<(String, usize, DroppedValue)>>,
    /// Items and statements around the point under `#[allow(unused_must_use)]` (or `expect`).
    must_use_allowed: usize,
    /// The expression of the expression statement being walked.
    stmt_root: *const Expr,
    /// Where the sync closures met so far but not yet walked run (see [`context::Runs`]), with
    /// the call they are passed to.
    /// (closure, where it runs, the `closure_of` of its calls, the call it is an argument of).
    closure_places: Vec<ClosurePlace>,
    /// The call whose closure arguments run at most once per process (`get_or_init` on a
    /// `static`), while its arguments are walked.
    once_call: Option<usize>,
    /// Inside a closure that runs elsewhere because it was handed to this call (see
    /// [`CallSite::deferred_to`](crate::syntax::facts::CallSite::deferred_to)).
    deferred_to: Option<usize>,
    /// Loops around the current point in the current function, innermost last, with their
    /// labels (`'outer: loop` -> `Some("outer")`).
    loops: Vec<Option<String>>,
    /// The code walked runs on a current_thread runtime (see [`CallSite::on_current_thread`]).
    ///
    /// [`CallSite::on_current_thread`]: crate::syntax::facts::CallSite::on_current_thread
    current_thread: bool,
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
    use crate::syntax::facts::Callee;

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
    pub(crate) fn calls(src: &str) -> Vec<(String, Ctx)> {
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

    /// The first candidate path of every path call in `src`.
    pub(crate) fn paths(src: &str) -> Vec<String> {
        calls(src).into_iter().map(|(p, _)| p).collect()
    }
}

#[cfg(test)]
mod parts_tests {
    use super::*;

    /// Walked in parts cut after every top-level item, each fixture gives exactly the facts of
    /// its walk as one file.
    #[test]
    fn a_walk_in_parts_gives_the_facts_of_the_whole_walk() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let kb = Kb::builtin();
        let (mut compared, mut cut, mut shallow_parsed) = (0, 0, 0);
        for entry in walkdir::WalkDir::new(root).sort_by_file_name() {
            let entry = entry.unwrap();
            if entry.path().extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let scan = crate::syntax::prescan::prescan(&text);
            let plain = scan.blanked(&text);
            let text = plain.as_deref().unwrap_or(&text);
            let input = FileInput {
                kb,
                file: 0,
                module: "fixture".into(),
                crate_root: "fixture".into(),
                edition: 2021,
            };
            let Ok(ast) = syn::parse_file(text) else {
                continue;
            };
            let whole = format!("{:?}", walk_file(&input, &ast));
            drop(ast);
            proc_macro2::extra::invalidate_current_thread_spans();
            let starts = scan.parts(text, 1);
            if starts.is_empty() {
                continue;
            }
            // The first pass's text parses, part by part, wherever the text does.
            let shallow = scan.shallow(text);
            let bounds = std::iter::once(0)
                .chain(starts.iter().copied())
                .zip(starts.iter().copied().chain(std::iter::once(text.len())));
            for (a, b) in bounds {
                let pad = "\n".repeat(text[..a].matches('\n').count());
                if syn::parse_file(&format!("{pad}{}", &text[a..b])).is_ok() {
                    assert!(
                        syn::parse_file(&format!("{pad}{}", &shallow[a..b])).is_ok(),
                        "{}: the part at {a}..{b} does not parse with its bodies blanked",
                        entry.path().display()
                    );
                    shallow_parsed += 1;
                }
                proc_macro2::extra::invalidate_current_thread_spans();
            }
            let parts = walk_file_in_parts(&input, text, &shallow, &starts)
                .unwrap_or_else(|| panic!("{}: a part does not parse", entry.path().display()));
            assert_eq!(
                whole,
                format!("{parts:?}"),
                "{}: cut at {starts:?}",
                entry.path().display()
            );
            compared += 1;
            cut += starts.len();
        }
        assert!(compared > 50 && cut > 200, "{compared} files, {cut} cuts");
        assert!(shallow_parsed > 250, "{shallow_parsed} parts");
    }
}
