//! The shared walker: one pass over a parsed file that every lint builds on.
//!
//! It owns three pieces of knowledge no lint should re-derive:
//! - **async context**: whether code runs in a future (`async fn`, `async` blocks and closures),
//!   in a sync island (closures handed to `spawn_blocking`, `std::thread::spawn`, rayon, ...) or
//!   in plain sync code (nested `fn` items reset it);
//! - **name resolution**: paths canonicalised through `use` declarations at module and block
//!   level, local items, locals that shadow imports, `crate::` / `self::` / `super::`;
//! - **type evidence** for receivers (constructors, annotations, parameters, fields), recorded
//!   lazily as [`Ty`] and resolved once the whole crate is indexed.
//!
//! The result is a [`CrateFacts`] for the file; the AST can be dropped right after.

use crate::kb::Kb;
use crate::syntax::facts::{
    CallSite, Callee, CrateFacts, Ctx, DropKind, Dropped, DroppedValue, FnDef, FnId,
    SelectBranchFact, SelectFact, Ty,
};
use crate::syntax::liveness::{Liveness, Part};
use crate::syntax::source::{FileId, Loc};
use crate::util::fxhash::FxHashMap as HashMap;
use proc_macro2::{Span, TokenStream, TokenTree};
use std::sync::Arc;
use syn::parse::{ParseStream, Parser};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Expr, ImplItem, Item, Pat, Stmt, TraitItem, Type, UseTree};

/// How deep the walker follows nested expressions before giving up on a subtree.
pub const MAX_DEPTH: usize = 400;

/// The single-word attributes the walker reads (`#[allow(clippy::..)]` for suppressions,
/// `#[path = ".."]` on `mod`). Attributes with a path (`#[tokio::main]`) are read too; every
/// other attribute is blanked before parsing (`engine::skippable_attribute`), so an attribute
/// that a new check reads must be listed here.
pub const ATTRIBUTES_READ: &[&str] = &["allow", "path", "wasm_bindgen_test"];

/// How many imports resolution follows before giving up (import cycles exist in the wild).
const MAX_RESOLVE_DEPTH: usize = 16;

/// How many steps one path's resolution may take in all (alternatives branch).
const MAX_RESOLVE_STEPS: usize = 512;

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
        crate_root: input.crate_root.clone(),
        out: FileOutput::default(),
        mods: Vec::new(),
        blocks: Vec::new(),
        ctx: Ctx::Sync,
        cur_fn: None,
        impl_ty: None,
        inline_parents: Vec::new(),
        depth: 0,
        awaited_next: false,
        local_async_next: false,
        negated: false,
        closure_of: None,
        params: Vec::new(),
        live: Liveness::default(),
        resolve_steps: std::cell::Cell::new(0),
        module_memo: Default::default(),
        glob_memo: Default::default(),
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

#[derive(Default)]
struct Scope {
    /// Names of the items defined here; each one's canonical path is `item_prefix::name`.
    items: crate::util::fxhash::FxHashSet<String>,
    /// The module (or, for items in a fn body, the fn) the items belong to.
    item_prefix: String,
    /// `use` imports: name -> raw segments as written.
    uses: HashMap<String, Vec<String>>,
    /// Further imports of an already imported name (under other `#[cfg]`s): extra candidates.
    alt_uses: HashMap<String, Vec<Vec<String>>>,
    globs: Vec<Vec<String>>,
    /// Local bindings (blocks only): name -> type evidence.
    locals: HashMap<String, Ty>,
}

impl Scope {
    fn add_use(&mut self, name: String, raw: Vec<String>) {
        match self.uses.get(&name) {
            Some(existing) if *existing != raw => {
                let alts = self.alt_uses.entry(name).or_default();
                if !alts.contains(&raw) {
                    alts.push(raw);
                }
            }
            Some(_) => {}
            None => {
                self.uses.insert(name, raw);
            }
        }
    }
}

struct ModScope {
    path: String,
    scope: Scope,
}

struct Walker<'a> {
    kb: &'a Kb,
    file: FileId,
    crate_root: String,
    out: FileOutput,
    mods: Vec<ModScope>,
    blocks: Vec<Scope>,
    ctx: Ctx,
    cur_fn: Option<FnId>,
    impl_ty: Option<String>,
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
    /// Values alive at each `.await` (see [`crate::syntax::liveness`]).
    live: Liveness,
    /// Steps taken by the current path resolution (see [`Walker::step`]).
    resolve_steps: std::cell::Cell<usize>,
    /// Paths resolved in the innermost module's scope, by their segments: the same few paths
    /// (`io::Result`, `Poll::Ready`) recur all over a module. Cleared when the module changes.
    module_memo: std::cell::RefCell<HashMap<Vec<String>, Option<Resolved>>>,
    /// Answers of the glob and prelude stage for paths the module scope does not name, while
    /// no enclosing block has glob imports of its own (cleared with `module_memo`).
    glob_memo: std::cell::RefCell<HashMap<Vec<String>, Resolved>>,
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

/// What a path resolved to.
#[derive(Clone)]
enum Resolved {
    /// A local variable (closure, binding): not an item.
    Local,
    /// Candidate canonical paths, best first.
    Paths(Vec<String>),
}

const PRELUDE: &[(&str, &str)] = &[
    ("drop", "std::mem::drop"),
    ("Box", "std::boxed::Box"),
    ("Vec", "std::vec::Vec"),
    ("String", "std::string::String"),
    ("Option", "std::option::Option"),
    ("Some", "std::option::Option::Some"),
    ("None", "std::option::Option::None"),
    ("Result", "std::result::Result"),
    ("Ok", "std::result::Result::Ok"),
    ("Err", "std::result::Result::Err"),
    ("ToString", "std::string::ToString"),
    ("Iterator", "std::iter::Iterator"),
    ("Default", "std::default::Default"),
    ("From", "std::convert::From"),
    ("Into", "std::convert::Into"),
];

/// The type evidence of a local bound to an async closure (calling it makes a future).
const ASYNC_CLOSURE: &str = "{async closure}";

/// Methods that take a guard by value and end it (`EnteredSpan::exit`).
const CONSUMING_METHODS: &[&str] = &["exit", "into_inner"];

const PRIMITIVES: &[&str] = &[
    "bool", "char", "u8", "u16", "u32", "u64", "u128", "usize", "i8", "i16", "i32", "i64", "i128",
    "isize", "f32", "f64",
];

/// Types that stand for their first type argument: `Result` / `Option` are what `?` and
/// `.unwrap()` see through (which the walker treats as transparent everywhere).
const TRANSPARENT: &[&str] = &[
    "std::result::Result",
    "std::io::Result",
    "std::option::Option",
    "anyhow::Result",
];

/// Smart pointers: kept as [`Ty::Wrap`] (an `Rc` matters in itself) and looked through for
/// methods they lack.
const POINTERS: &[&str] = &[
    "std::boxed::Box",
    "std::sync::Arc",
    "std::rc::Rc",
    "std::pin::Pin",
];

/// Macros whose arguments are ordinary Rust expressions (after an optional format string and
/// `name = ` prefixes). Keyed by the macro's last path segment.
const EXPR_MACROS: &[&str] = &[
    "println",
    "print",
    "eprintln",
    "eprint",
    "format",
    "format_args",
    "write",
    "writeln",
    "panic",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "vec",
    "dbg",
    "todo",
    "unimplemented",
    "unreachable",
    "join",
    "try_join",
    "pin",
    "matches",
    "trace",
    "debug",
    "info",
    "warn",
    "error",
    "anyhow",
    "bail",
    "ensure",
];

/// Crates whose macros we trust to keep their arguments as plain expressions.
const MACRO_CRATES: &[&str] = &[
    "std",
    "core",
    "alloc",
    "tokio",
    "futures",
    "log",
    "tracing",
    "anyhow",
    "futures_util",
];

fn path_segments(path: &syn::Path) -> Vec<String> {
    let mut segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    if path.leading_colon.is_some() {
        segs.insert(0, String::new());
    }
    segs
}

/// Names used in an expression (single-segment paths, and identifiers inside macro calls).
#[derive(Default)]
struct IdentCollector(Vec<String>);

impl<'ast> Visit<'ast> for IdentCollector {
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(i) = p.path.get_ident() {
            self.0.push(i.to_string());
        }
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        fn scan(ts: TokenStream, out: &mut Vec<String>) {
            for t in ts {
                match t {
                    TokenTree::Ident(i) => out.push(i.to_string()),
                    TokenTree::Group(g) => scan(g.stream(), out),
                    _ => {}
                }
            }
        }
        scan(m.tokens.clone(), &mut self.0);
    }

    // Nested items are not part of the body.
    fn visit_item(&mut self, _: &'ast Item) {}
}

/// How an attribute macro runs a fn's async body.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// No such attribute: the fn is what it says.
    Plain,
    /// `#[tokio::main]`, `#[tokio::test]`, ...: the body runs on a runtime (`block_on`), and the
    /// fn is sync for its callers.
    Runtime,
    /// `#[wasm_bindgen_test]`: the harness drives the returned future on a local executor.
    LocalTest,
}

impl Entry {
    fn of(attrs: &[syn::Attribute]) -> Entry {
        if is_runtime_entry(attrs) {
            Entry::Runtime
        } else if attrs.iter().any(|a| a.path().is_ident("wasm_bindgen_test")) {
            Entry::LocalTest
        } else {
            Entry::Plain
        }
    }
}

/// `#[tokio::main]`, `#[tokio::test]`, `#[async_std::main]`, `#[actix_web::main]`, ...: an
/// attribute macro that runs the async body on a runtime, making the fn sync for its callers.
fn is_runtime_entry(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let segs: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        segs.len() >= 2 && matches!(segs.last().map(String::as_str), Some("main" | "test"))
    })
}

/// Whether a declared return type is a future: `impl Future<..>`, `Pin<Box<dyn Future<..>>>`,
/// `BoxFuture<..>` or `LocalBoxFuture<..>`.
fn returns_future(ret: &syn::ReturnType) -> bool {
    fn is_future(ty: &Type) -> bool {
        let bounds_future = |b: &syn::punctuated::Punctuated<
            syn::TypeParamBound,
            syn::Token![+],
        >| {
            b.iter().any(|b| {
                matches!(b, syn::TypeParamBound::Trait(t) if t.path.segments.last().is_some_and(|s| s.ident == "Future"))
            })
        };
        match ty {
            Type::ImplTrait(t) => bounds_future(&t.bounds),
            Type::TraitObject(t) => bounds_future(&t.bounds),
            Type::Paren(p) => is_future(&p.elem),
            Type::Group(g) => is_future(&g.elem),
            Type::Path(p) => p.path.segments.last().is_some_and(|s| {
                if s.ident == "BoxFuture" || s.ident == "LocalBoxFuture" {
                    return true;
                }
                (s.ident == "Pin" || s.ident == "Box")
                    && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a)
                        if a.args.iter().any(|g| matches!(g, syn::GenericArgument::Type(t) if is_future(t))))
            }),
            _ => false,
        }
    }
    match ret {
        syn::ReturnType::Default => false,
        syn::ReturnType::Type(_, t) => is_future(t),
    }
}

/// The span of the first name a pattern binds.
fn pat_ident_span(p: &Pat) -> Option<Span> {
    match p {
        Pat::Ident(pi) => Some(pi.ident.span()),
        Pat::Type(pt) => pat_ident_span(&pt.pat),
        Pat::Reference(r) => pat_ident_span(&r.pat),
        Pat::Paren(x) => pat_ident_span(&x.pat),
        Pat::Tuple(t) => t.elems.iter().find_map(pat_ident_span),
        Pat::TupleStruct(t) => t.elems.iter().find_map(pat_ident_span),
        Pat::Struct(s) => s.fields.iter().find_map(|f| pat_ident_span(&f.pat)),
        _ => None,
    }
}

/// Whether a condition is (or chains) an `if let` / `while let`.
fn has_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => has_let(&b.left) || has_let(&b.right),
        Expr::Paren(p) => has_let(&p.expr),
        _ => false,
    }
}

/// Whether a pattern binds any name.
fn pat_binds(p: &Pat) -> bool {
    let mut names = Vec::new();
    pat_idents(p, &mut names);
    !names.is_empty()
}

/// The expressions whose values end up in a binding initialised with `e`: through `?`,
/// `.await`, `.unwrap()`-like calls, and into tuples, arrays, struct literals and `Some(..)`.
fn binding_leaves<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Paren(p) => binding_leaves(&p.expr, out),
        Expr::Group(g) => binding_leaves(&g.expr, out),
        Expr::Try(t) => binding_leaves(&t.expr, out),
        Expr::Await(a) => binding_leaves(&a.base, out),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "unwrap" | "expect" | "unwrap_or_else" | "unwrap_or_default" | "unwrap_unchecked"
            ) =>
        {
            binding_leaves(&m.receiver, out)
        }
        Expr::Tuple(t) => t.elems.iter().for_each(|e| binding_leaves(e, out)),
        Expr::Array(a) => a.elems.iter().for_each(|e| binding_leaves(e, out)),
        Expr::Struct(s) => s.fields.iter().for_each(|f| binding_leaves(&f.expr, out)),
        Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if is_constructor_path(&p.path)) => {
            c.args.iter().for_each(|e| binding_leaves(e, out))
        }
        // `let r = &mut *m.lock().unwrap();`: the temporary behind the reference lives as long
        // as the binding (temporary lifetime extension).
        Expr::Reference(r) => extended_leaves(&r.expr, out),
        _ => out.push(e),
    }
}

/// The temporaries a `&place` initialiser extends: calls at the root of the place.
fn extended_leaves<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => extended_leaves(&u.expr, out),
        Expr::Field(f) => extended_leaves(&f.base, out),
        Expr::Index(i) => extended_leaves(&i.expr, out),
        Expr::Paren(p) => extended_leaves(&p.expr, out),
        Expr::MethodCall(_) | Expr::Call(_) => binding_leaves(e, out),
        _ => {}
    }
}

/// Whether control never continues after an expression (`return`, `break`, `continue`,
/// `panic!`), so a branch ending in it does not reach the code after the branches.
fn diverges(e: &Expr) -> bool {
    match e {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Block(b) => block_diverges(&b.block),
        Expr::Macro(m) => is_panic_macro(&m.mac),
        _ => false,
    }
}

fn block_diverges(b: &syn::Block) -> bool {
    match b.stmts.last() {
        Some(Stmt::Expr(e, _)) => diverges(e),
        Some(Stmt::Macro(m)) => is_panic_macro(&m.mac),
        _ => false,
    }
}

fn is_panic_macro(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        s.ident == "panic"
            || s.ident == "unreachable"
            || s.ident == "todo"
            || s.ident == "unimplemented"
    })
}

/// A path whose last segment is capitalised names a tuple struct or enum variant.
fn is_constructor_path(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|s| {
        s.ident
            .to_string()
            .starts_with(|c: char| c.is_ascii_uppercase())
    })
}

fn path_start(path: &syn::Path) -> Span {
    match (&path.leading_colon, path.segments.first()) {
        (Some(c), _) => c.spans[0],
        (None, Some(seg)) => seg.ident.span(),
        (None, None) => Span::call_site(),
    }
}

fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
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

    fn module_path(&self) -> &str {
        self.mods.last().map(|m| m.path.as_str()).unwrap_or("")
    }

    // ---------------------------------------------------------------- scopes and resolution

    fn collect_items<'i>(
        &self,
        items: impl IntoIterator<Item = &'i Item>,
        prefix: &str,
        scope: &mut Scope,
    ) {
        for item in items {
            let (name, is_use) = match item {
                Item::Fn(f) => (Some(f.sig.ident.to_string()), false),
                Item::Struct(s) => (Some(s.ident.to_string()), false),
                Item::Enum(e) => (Some(e.ident.to_string()), false),
                Item::Union(u) => (Some(u.ident.to_string()), false),
                Item::Trait(t) => (Some(t.ident.to_string()), false),
                Item::TraitAlias(t) => (Some(t.ident.to_string()), false),
                Item::Type(t) => (Some(t.ident.to_string()), false),
                Item::Mod(m) => (Some(m.ident.to_string()), false),
                Item::Const(c) => (Some(c.ident.to_string()), false),
                Item::Static(s) => (Some(s.ident.to_string()), false),
                Item::Use(u) => {
                    collect_use(&u.tree, Vec::new(), scope);
                    (None, true)
                }
                Item::ExternCrate(e) => {
                    let name = e.rename.as_ref().map(|(_, i)| i.to_string());
                    let orig = e.ident.to_string();
                    let orig = if orig == "self" {
                        self.crate_root.clone()
                    } else {
                        orig
                    };
                    scope.add_use(name.unwrap_or_else(|| orig.clone()), vec![orig]);
                    (None, true)
                }
                _ => (None, false),
            };
            if let (Some(name), false) = (name, is_use) {
                scope.items.insert(name);
            }
        }
        scope.item_prefix = prefix.to_string();
    }

    /// Resolves a path written in the current scope.
    fn resolve(&self, segs: &[String]) -> Resolved {
        self.resolve_steps.set(0);
        self.resolve_depth(segs, 0)
    }

    /// Counts a resolution step; false once a path has taken too many (import cycles with
    /// several alternatives per name grow exponentially: found by fuzzing).
    fn step(&self) -> bool {
        let n = self.resolve_steps.get() + 1;
        self.resolve_steps.set(n);
        n <= MAX_RESOLVE_STEPS
    }

    fn resolve_depth(&self, segs: &[String], depth: usize) -> Resolved {
        if segs.is_empty() || depth > MAX_RESOLVE_DEPTH {
            return Resolved::Paths(Vec::new());
        }
        let first = segs[0].as_str();
        let rest = &segs[1..];
        if first.is_empty() {
            // `::std::fs::read`: an extern crate path.
            return Resolved::Paths(vec![self.finish(rest.join("::"))]);
        }
        if segs.len() > 1 && matches!(first, "std" | "core" | "alloc") {
            // The standard library's crates are not shadowed in practice (not even by globs).
            return Resolved::Paths(vec![self.finish(segs.join("::"))]);
        }
        // Locals shadow everything for single-segment paths.
        if segs.len() == 1 {
            for b in self.blocks.iter().rev() {
                if b.locals.contains_key(first) {
                    return Resolved::Local;
                }
                if b.items.contains(first) || b.uses.contains_key(first) {
                    break;
                }
            }
        }
        for b in self.blocks.iter().rev() {
            if b.items.contains(first) {
                return Resolved::Paths(vec![self.join_item(&b.item_prefix, first, rest)]);
            }
            if let Some(raw) = b.uses.get(first) {
                let mi = self.mods.len().saturating_sub(1);
                let r = self.resolve_use(raw, rest, mi, depth + 1);
                return self.with_alternatives(r, b.alt_uses.get(first), rest, mi, depth);
            }
        }
        let mi = self.mods.len().saturating_sub(1);
        let in_module = if depth == 0 && first != "Self" {
            let memo = self.module_memo.borrow().get(segs).cloned();
            memo.unwrap_or_else(|| {
                let r = self.resolve_in_module(mi, segs, depth);
                self.module_memo
                    .borrow_mut()
                    .insert(segs.to_vec(), r.clone());
                r
            })
        } else {
            self.resolve_in_module(mi, segs, depth)
        };
        if let Some(r) = in_module {
            return r;
        }
        let memoize = depth == 0 && self.blocks.iter().all(|b| b.globs.is_empty());
        if memoize && let Some(r) = self.glob_memo.borrow().get(segs) {
            return r.clone();
        }
        let r = self.resolve_by_globs(segs, mi, depth);
        if memoize {
            self.glob_memo.borrow_mut().insert(segs.to_vec(), r.clone());
        }
        r
    }

    /// The glob and prelude stage of [`Self::resolve_depth`], for a path that no block and not
    /// the module's own items and imports name.
    fn resolve_by_globs(&self, segs: &[String], mi: usize, depth: usize) -> Resolved {
        let first = segs[0].as_str();
        let rest = &segs[1..];
        // Glob imports, innermost block first, then the module's (borrowed, not cloned: this
        // runs for most paths).
        let block_globs = self.blocks.iter().rev().flat_map(|b| b.globs.iter());
        let module_globs = self
            .mods
            .last()
            .into_iter()
            .flat_map(|m| m.scope.globs.iter());
        let globs: Vec<(&Vec<String>, usize)> =
            block_globs.chain(module_globs).map(|g| (g, mi)).collect();
        if !globs.is_empty() {
            let mut cands = Vec::new();
            for (g, mi) in globs {
                // `use super::*` of an inline parent module: resolve there directly.
                let mut raw: Vec<String> = g.clone();
                raw.extend(segs.iter().cloned());
                if let Resolved::Paths(p) = self.resolve_use(&raw, &[], mi, depth + 1) {
                    cands.extend(p);
                }
            }
            if let Some((_, p)) = PRELUDE.iter().find(|(n, _)| *n == first) {
                cands.push(self.join(p, rest));
            } else {
                cands.push(self.finish(segs.join("::")));
            }
            cands.dedup();
            return Resolved::Paths(cands);
        }
        if let Some((_, p)) = PRELUDE.iter().find(|(n, _)| *n == first) {
            return Resolved::Paths(vec![self.join(p, rest)]);
        }
        Resolved::Paths(vec![self.finish(segs.join("::"))])
    }

    /// Resolves `segs` by the items and imports of module scope `mi` (no globs).
    fn resolve_in_module(&self, mi: usize, segs: &[String], depth: usize) -> Option<Resolved> {
        if depth > MAX_RESOLVE_DEPTH || segs.is_empty() || !self.step() {
            return None;
        }
        let m = self.mods.get(mi)?;
        let first = segs[0].as_str();
        let rest = &segs[1..];
        match first {
            "crate" | "$crate" => {
                return Some(self.resolve_from(self.crate_root.clone(), rest, depth));
            }
            "self" => return Some(self.resolve_from(m.path.clone(), rest, depth)),
            "super" => {
                let mut path = m.path.clone();
                let mut rest = segs;
                while rest.first().map(String::as_str) == Some("super") {
                    if let Some(i) = path.rfind("::") {
                        path.truncate(i);
                    }
                    rest = &rest[1..];
                }
                return Some(self.resolve_from(path, rest, depth));
            }
            "Self" => {
                if let Some(t) = &self.impl_ty {
                    return Some(Resolved::Paths(vec![self.join(t, rest)]));
                }
            }
            _ => {}
        }
        if m.scope.items.contains(first) {
            return Some(Resolved::Paths(vec![self.join_item(
                &m.scope.item_prefix,
                first,
                rest,
            )]));
        }
        if let Some(raw) = m.scope.uses.get(first) {
            let r = self.resolve_use(raw, rest, mi, depth + 1);
            return Some(self.with_alternatives(r, m.scope.alt_uses.get(first), rest, mi, depth));
        }
        None
    }

    /// Adds the candidates of alternative imports of the same name.
    fn with_alternatives(
        &self,
        r: Resolved,
        alts: Option<&Vec<Vec<String>>>,
        rest: &[String],
        mi: usize,
        depth: usize,
    ) -> Resolved {
        match (r, alts) {
            (Resolved::Paths(mut p), Some(alts)) => {
                for raw in alts {
                    if let Resolved::Paths(more) = self.resolve_use(raw, rest, mi, depth + 1) {
                        p.extend(more);
                    }
                }
                p.dedup();
                Resolved::Paths(p)
            }
            (r, _) => r,
        }
    }

    /// Resolves `rest` relative to the module at canonical path `module`: through that module's
    /// items and imports when it is in this file, else by joining.
    fn resolve_from(&self, module: String, rest: &[String], depth: usize) -> Resolved {
        if !rest.is_empty()
            && let Some(mi) = self.mods.iter().rposition(|m| m.path == module)
            && let Some(r) = self.resolve_in_module(mi, rest, depth + 1)
        {
            return r;
        }
        Resolved::Paths(vec![self.join(&module, rest)])
    }

    /// Resolves an import's raw path (declared in module scope `mi`), then appends `rest`.
    fn resolve_use(&self, raw: &[String], rest: &[String], mi: usize, depth: usize) -> Resolved {
        let mut full: Vec<String> = raw.to_vec();
        full.extend(rest.iter().cloned());
        if depth > MAX_RESOLVE_DEPTH || !self.step() {
            // An import cycle (`use super::x` at a crate root, `use a as b; use b as a`).
            return Resolved::Paths(vec![self.finish(full.join("::"))]);
        }
        if full.is_empty() {
            return Resolved::Paths(Vec::new());
        }
        if full[0].is_empty() {
            return Resolved::Paths(vec![self.finish(full[1..].join("::"))]);
        }
        // `use super::*` inside an inline module resolves in the parent's scope when we have it.
        if full[0] == "super" && mi > 0 {
            let parent = &self.mods[mi - 1];
            let own = &self.mods[mi];
            if crate::kb::split_last_segment(&own.path).map(|(p, _)| p)
                == Some(parent.path.as_str())
                && full.len() > 1
                && let Some(r) = self.resolve_in_module(mi - 1, &full[1..], depth + 1)
            {
                return r;
            }
        }
        // Uniform paths: an import may start with a local item or another import, but not
        // with itself (`use tokio;` style re-imports of a crate name).
        if let Some(m) = self.mods.get(mi) {
            let first = full[0].as_str();
            if matches!(first, "crate" | "$crate" | "self" | "super" | "Self") {
                if let Some(r) = self.resolve_in_module(mi, &full, depth + 1) {
                    return r;
                }
            } else if m.scope.items.contains(first) {
                return Resolved::Paths(vec![self.join_item(
                    &m.scope.item_prefix,
                    first,
                    &full[1..],
                )]);
            } else if let Some(raw2) = m.scope.uses.get(first)
                && raw2.first().map(String::as_str) != Some(first)
            {
                return self.resolve_use(raw2, &full[1..], mi, depth + 1);
            }
        }
        Resolved::Paths(vec![self.finish(full.join("::"))])
    }

    fn join(&self, base: &str, rest: &[String]) -> String {
        if rest.is_empty() {
            self.finish(base.to_string())
        } else {
            self.finish(format!("{base}::{}", rest.join("::")))
        }
    }

    /// `prefix::name::rest..`, normalised: the path of a local item and what follows it.
    fn join_item(&self, prefix: &str, name: &str, rest: &[String]) -> String {
        let len = prefix.len() + 2 + name.len() + rest.iter().map(|r| r.len() + 2).sum::<usize>();
        let mut path = String::with_capacity(len);
        path.push_str(prefix);
        path.push_str("::");
        path.push_str(name);
        for r in rest {
            path.push_str("::");
            path.push_str(r);
        }
        self.finish(path)
    }

    fn finish(&self, path: String) -> String {
        self.kb.normalize_owned(path)
    }

    fn resolve_paths(&self, path: &syn::Path) -> Option<Vec<String>> {
        match self.resolve(&path_segments(path)) {
            Resolved::Paths(p) if !p.is_empty() => Some(p),
            _ => None,
        }
    }

    // ---------------------------------------------------------------- types

    fn ty_of_type(&self, ty: &Type) -> Ty {
        match ty {
            Type::Reference(r) => self.ty_of_type(&r.elem),
            Type::Paren(p) => self.ty_of_type(&p.elem),
            Type::Group(g) => self.ty_of_type(&g.elem),
            Type::Tuple(t) => Ty::Tuple(t.elems.iter().map(|e| self.ty_of_type(e)).collect()),
            Type::Path(tp) if tp.qself.is_none() => {
                if let Some(i) = tp.path.get_ident() {
                    if i == "str" {
                        return Ty::Path("str".into());
                    }
                    if PRIMITIVES.iter().any(|p| i == p) {
                        return Ty::Unknown;
                    }
                }
                let Some(paths) = self.resolve_paths(&tp.path) else {
                    return Ty::Unknown;
                };
                let first = paths[0].clone();
                let inner = match tp.path.segments.last().map(|s| &s.arguments) {
                    Some(syn::PathArguments::AngleBracketed(args)) => match args.args.first() {
                        Some(syn::GenericArgument::Type(inner)) => Some(inner),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(inner) = inner {
                    if TRANSPARENT.contains(&first.as_str()) {
                        return self.ty_of_type(inner);
                    }
                    if POINTERS.contains(&first.as_str()) {
                        return Ty::Wrap(first, Arc::new(self.ty_of_type(inner)));
                    }
                }
                // A single unresolved name (a generic parameter such as `M`) is no evidence.
                if paths.len() == 1 && first.contains("::") {
                    Ty::Path(first)
                } else {
                    Ty::Unknown
                }
            }
            _ => Ty::Unknown,
        }
    }

    /// Type evidence of an expression's value (`?`, `.unwrap()`, `.expect()`, `.await` are
    /// transparent).
    fn ty_of_expr(&self, e: &Expr) -> Ty {
        match e {
            // Only locals (and `self`) carry type evidence; a path to an item does not.
            Expr::Path(p) if p.qself.is_none() => match p.path.get_ident() {
                Some(i) if i == "self" => self.impl_ty.clone().map(Ty::Path).unwrap_or(Ty::Unknown),
                Some(i) => self.local_ty(&i.to_string()).unwrap_or(Ty::Unknown),
                None => Ty::Unknown,
            },
            Expr::Call(c) => match &*c.func {
                // `Some(x)`, `Ok(x)`: what `?` / `.unwrap()` would see.
                Expr::Path(p) if is_constructor_path(&p.path) => {
                    let last = p.path.segments.last().map(|s| s.ident.to_string());
                    match (last.as_deref(), c.args.first()) {
                        (Some("Some" | "Ok" | "Err"), Some(a)) => self.ty_of_expr(a),
                        _ => Ty::Unknown,
                    }
                }
                Expr::Path(p) if p.qself.is_none() => match self.resolve(&path_segments(&p.path)) {
                    Resolved::Paths(paths) if !paths.is_empty() => {
                        // `Arc::new(x)`, `Rc::new(x)`, `Box::pin(x)`: a pointer to `x`'s type;
                        // `Rc::clone(&x)`: `x`'s type.
                        let (owner, func) =
                            crate::kb::split_last_segment(&paths[0]).unwrap_or(("", ""));
                        match (POINTERS.contains(&owner), func, c.args.first()) {
                            (true, "new" | "pin" | "from", Some(a)) => {
                                Ty::Wrap(owner.to_string(), Arc::new(self.ty_of_expr(a)))
                            }
                            (true, "clone", Some(a)) => self.ty_of_expr(a),
                            _ => Ty::ReturnOf(paths),
                        }
                    }
                    _ => Ty::Unknown,
                },
                _ => Ty::Unknown,
            },
            Expr::Array(a) => a.elems.first().map_or(Ty::Unknown, |e| self.ty_of_expr(e)),
            Expr::Closure(c) if c.asyncness.is_some() => Ty::Path(ASYNC_CLOSURE.into()),
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                match name.as_str() {
                    "unwrap" | "expect" | "unwrap_or_default" | "unwrap_unchecked" | "as_ref"
                    | "as_mut" | "by_ref"
                        if m.args.len() <= 1 =>
                    {
                        self.ty_of_expr(&m.receiver)
                    }
                    // `rc.clone()` is an `Rc`, but `guard.clone()` clones the guarded value: decided
                    // once the receiver's type is known (see `CrateIndex::resolve_ty`).
                    _ => match self.ty_of_expr(&m.receiver) {
                        Ty::Unknown => Ty::Unknown,
                        recv => Ty::MethodRet(Arc::new(recv), name),
                    },
                }
            }
            Expr::Try(t) => self.ty_of_expr(&t.expr),
            Expr::Await(a) => self.ty_of_expr(&a.base),
            Expr::Paren(p) => self.ty_of_expr(&p.expr),
            Expr::Group(g) => self.ty_of_expr(&g.expr),
            Expr::Reference(r) => self.ty_of_expr(&r.expr),
            // `*guard` is the guarded value, not the guard: no evidence.
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => Ty::Unknown,
            // The tracing span macros make a `Span`.
            Expr::Macro(m)
                if m.mac.path.segments.last().is_some_and(|s| {
                    s.ident == "span"
                        || ["trace", "debug", "info", "warn", "error"]
                            .iter()
                            .any(|l| s.ident == format!("{l}_span"))
                }) =>
            {
                Ty::Path("tracing::span::Span".into())
            }
            Expr::Field(f) => match self.ty_of_expr(&f.base) {
                Ty::Unknown => Ty::Unknown,
                base => match &f.member {
                    syn::Member::Named(n) => Ty::Field(Arc::new(base), n.to_string()),
                    syn::Member::Unnamed(i) => match base {
                        Ty::Tuple(mut v) if (i.index as usize) < v.len() => {
                            v.swap_remove(i.index as usize)
                        }
                        base => Ty::Elem(Arc::new(base), i.index as usize),
                    },
                },
            },
            Expr::Struct(s) if s.qself.is_none() => match self.resolve_paths(&s.path) {
                Some(p) if p.len() == 1 => Ty::Path(p[0].clone()),
                _ => Ty::Unknown,
            },
            Expr::Cast(c) => self.ty_of_type(&c.ty),
            Expr::Lit(l) if matches!(l.lit, syn::Lit::Str(_)) => Ty::Path("str".into()),
            Expr::Tuple(t) => Ty::Tuple(t.elems.iter().map(|e| self.ty_of_expr(e)).collect()),
            _ => Ty::Unknown,
        }
    }

    /// Binds the names in a pattern, with type evidence `ty` for the whole value.
    fn bind_pat(&mut self, pat: &Pat, ty: Ty) {
        match pat {
            Pat::Ident(pi) => {
                if let Some((_, sub)) = &pi.subpat {
                    self.bind_pat(sub, ty.clone());
                }
                self.add_local(pi.ident.to_string(), ty);
            }
            Pat::Type(pt) => {
                let declared = self.ty_of_type(&pt.ty);
                let ty = if declared == Ty::Unknown {
                    ty
                } else {
                    declared
                };
                self.bind_pat(&pt.pat, ty);
            }
            Pat::Reference(r) => self.bind_pat(&r.pat, ty),
            Pat::Paren(p) => self.bind_pat(&p.pat, ty),
            Pat::Tuple(t) => {
                for (i, p) in t.elems.iter().enumerate() {
                    let elem = match &ty {
                        Ty::Tuple(v) => v.get(i).cloned().unwrap_or(Ty::Unknown),
                        Ty::Unknown => Ty::Unknown,
                        other => Ty::Elem(Arc::new(other.clone()), i),
                    };
                    self.bind_pat(p, elem);
                }
            }
            Pat::TupleStruct(ts) => {
                // `Ok(x)` / `Some(x)` unwrap like `?`; other variants give no evidence.
                let name = last_ident(&ts.path);
                let inner = if matches!(name.as_str(), "Ok" | "Some") {
                    ty
                } else {
                    Ty::Unknown
                };
                for p in &ts.elems {
                    self.bind_pat(p, inner.clone());
                }
            }
            Pat::Struct(ps) => {
                for f in &ps.fields {
                    self.bind_pat(&f.pat, Ty::Unknown);
                }
            }
            Pat::Slice(s) => {
                for p in &s.elems {
                    self.bind_pat(p, Ty::Unknown);
                }
            }
            Pat::Or(o) => {
                for p in &o.cases {
                    self.bind_pat(p, ty.clone());
                }
            }
            Pat::Guard(g) => self.bind_pat(&g.pat, ty),
            _ => {}
        }
    }

    /// The type evidence of a local binding in scope (items and imports of the same name in
    /// a nearer block hide it).
    fn local_ty(&self, name: &str) -> Option<Ty> {
        for b in self.blocks.iter().rev() {
            if let Some(ty) = b.locals.get(name) {
                return Some(ty.clone());
            }
            if b.items.contains(name) || b.uses.contains_key(name) {
                return None;
            }
        }
        None
    }

    fn add_local(&mut self, name: String, ty: Ty) {
        if let Some(b) = self.blocks.last_mut() {
            b.locals.insert(name, ty);
        }
    }

    // ---------------------------------------------------------------- items

    fn walk_module(&mut self, path: &str, items: &[Item]) {
        // Items wrapped in item-position macros (`cfg_rt! { ... }`) are items of this module.
        let expanded = expand_item_macros(items);
        let all = || {
            items.iter().enumerate().flat_map(|(i, item)| {
                match expanded.iter().find(|(j, _)| *j == i) {
                    Some((_, inner)) => inner.iter().collect::<Vec<_>>(),
                    None => vec![item],
                }
            })
        };
        let mut scope = Scope::default();
        self.collect_items(all(), path, &mut scope);
        self.mods.push(ModScope {
            path: path.to_string(),
            scope,
        });
        self.module_memo.borrow_mut().clear();
        self.glob_memo.borrow_mut().clear();
        self.record_reexports();
        let saved_blocks = std::mem::take(&mut self.blocks);
        for item in all() {
            self.walk_item(item);
        }
        self.blocks = saved_blocks;
        self.mods.pop();
        self.module_memo.borrow_mut().clear();
        self.glob_memo.borrow_mut().clear();
    }

    /// Records the module's imports, resolved, so paths through re-exports (`pub use`) can be
    /// followed crate-wide.
    fn record_reexports(&mut self) {
        let Some(m) = self.mods.last() else { return };
        let mi = self.mods.len() - 1;
        let mut out = Vec::new();
        for (name, raw) in &m.scope.uses {
            if let Resolved::Paths(p) = self.resolve_use(raw, &[], mi, 0)
                && let Some(target) = p.into_iter().next()
            {
                let from = format!("{}::{name}", m.path);
                if from != target {
                    out.push((from, target));
                }
            }
        }
        for g in &m.scope.globs {
            if let Resolved::Paths(p) = self.resolve_use(g, &[], mi, 0)
                && let Some(target) = p.into_iter().next()
            {
                out.push((format!("{}::*", m.path), target));
            }
        }
        out.sort();
        self.out.facts.reexports.extend(out);
    }

    fn item_prefix(&self) -> String {
        // Items inside a fn body get the fn's path as prefix, so they stay unique.
        match self.cur_fn {
            Some(id) => self.out.facts.fns[id].path.clone(),
            None => self.module_path().to_string(),
        }
    }

    /// Notes an item's line range, and the clippy allows on it that stand for our lints.
    fn note_item(&mut self, attrs: &[syn::Attribute], start: Span, end: Span) {
        let (first, last) = (start.start().line, end.end().line);
        self.out.items.push((first, last));
        for a in attrs.iter().filter(|a| a.path().is_ident("allow")) {
            let _ = a.parse_nested_meta(|m| {
                let segs: Vec<String> = m
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect();
                if segs.len() == 2
                    && segs[0] == "clippy"
                    && let Some(ours) = crate::kb::clippy_equivalent(&segs[1])
                {
                    self.out.clippy_allows.push((first, last, ours));
                }
                Ok(())
            });
        }
    }

    fn walk_item(&mut self, item: &Item) {
        match item {
            Item::Fn(f) => {
                self.note_item(
                    &f.attrs,
                    f.sig.fn_token.span,
                    f.block.brace_token.span.close(),
                );
                let path = format!("{}::{}", self.item_prefix(), f.sig.ident);
                let name = f.sig.ident.to_string();
                let entry = Entry::of(&f.attrs);
                self.walk_fn(path, name, &f.sig, Some(&f.block), None, entry);
            }
            Item::Impl(imp) => {
                self.note_item(
                    &imp.attrs,
                    imp.impl_token.span,
                    imp.brace_token.span.close(),
                );
                let self_ty = match self.ty_of_type(&imp.self_ty) {
                    Ty::Path(p) => Some(p),
                    _ => None,
                };
                let short = type_short_name(&imp.self_ty);
                let saved = std::mem::replace(&mut self.impl_ty, self_ty.clone());
                for ii in &imp.items {
                    match ii {
                        ImplItem::Fn(f) => {
                            self.note_item(
                                &f.attrs,
                                f.sig.fn_token.span,
                                f.block.brace_token.span.close(),
                            );
                            let base = self_ty.clone().unwrap_or_else(|| {
                                format!("{}::<impl {short}>", self.module_path())
                            });
                            let path = format!("{base}::{}", f.sig.ident);
                            let name = format!("{short}::{}", f.sig.ident);
                            let entry = Entry::of(&f.attrs);
                            let body = Some(&f.block);
                            self.walk_fn(path, name, &f.sig, body, self_ty.clone(), entry);
                        }
                        ImplItem::Const(c) => self.walk_detached_expr(&c.expr),
                        _ => {}
                    }
                }
                self.impl_ty = saved;
            }
            Item::Trait(t) => {
                self.note_item(&t.attrs, t.trait_token.span, t.brace_token.span.close());
                let trait_path = format!("{}::{}", self.item_prefix(), t.ident);
                let saved = self.impl_ty.replace(trait_path.clone());
                for ti in &t.items {
                    if let TraitItem::Fn(f) = ti
                        && let Some(body) = &f.default
                    {
                        let path = format!("{trait_path}::{}", f.sig.ident);
                        let name = format!("{}::{}", t.ident, f.sig.ident);
                        let trait_ty = Some(trait_path.clone());
                        self.walk_fn(path, name, &f.sig, Some(body), trait_ty, Entry::Plain);
                    }
                }
                self.impl_ty = saved;
            }
            Item::Mod(m) => {
                if let Some((brace, _)) = &m.content {
                    self.note_item(&m.attrs, m.mod_token.span, brace.span.close());
                }
                let path = format!("{}::{}", self.module_path(), m.ident);
                match &m.content {
                    Some((_, items)) => {
                        self.inline_parents.push(m.ident.to_string());
                        self.walk_module(&path, items);
                        self.inline_parents.pop();
                    }
                    None => {
                        let path_attr = m.attrs.iter().find_map(|a| {
                            if !a.path().is_ident("path") {
                                return None;
                            }
                            match &a.meta {
                                syn::Meta::NameValue(nv) => match &nv.value {
                                    Expr::Lit(syn::ExprLit {
                                        lit: syn::Lit::Str(s),
                                        ..
                                    }) => Some(s.value()),
                                    _ => None,
                                },
                                _ => None,
                            }
                        });
                        self.out.mods.push(ModDecl {
                            inline_parents: self.inline_parents.clone(),
                            name: m.ident.to_string(),
                            path_attr,
                        });
                    }
                }
            }
            Item::Struct(s) => {
                let path = format!("{}::{}", self.item_prefix(), s.ident);
                let fields = s.fields.iter().enumerate().map(|(i, f)| {
                    let name = f
                        .ident
                        .as_ref()
                        .map_or_else(|| i.to_string(), |i| i.to_string());
                    (name, self.ty_of_type(&f.ty))
                });
                let fields: Vec<_> = fields.collect();
                match self.out.facts.fields.entry(path) {
                    std::collections::hash_map::Entry::Occupied(mut e) => {
                        e.get_mut().extend(fields)
                    }
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(fields);
                    }
                }
            }
            Item::Const(c) => self.walk_detached_expr(&c.expr),
            Item::Static(s) => self.walk_detached_expr(&s.expr),
            _ => {}
        }
    }

    /// An expression outside any function (const / static initialisers).
    fn walk_detached_expr(&mut self, e: &Expr) {
        let saved_ctx = std::mem::replace(&mut self.ctx, Ctx::Sync);
        let saved_fn = self.cur_fn.take();
        self.blocks.push(Scope::default());
        self.walk_expr(e);
        self.blocks.pop();
        self.cur_fn = saved_fn;
        self.ctx = saved_ctx;
    }

    fn walk_fn(
        &mut self,
        path: String,
        name: String,
        sig: &syn::Signature,
        body: Option<&syn::Block>,
        self_ty: Option<String>,
        entry: Entry,
    ) {
        let ret = match &sig.output {
            syn::ReturnType::Default => Ty::Path("()".into()),
            syn::ReturnType::Type(_, t) => self.ty_of_type(t),
        };
        let id = self.out.facts.fns.len();
        self.out.facts.fns.push(FnDef {
            path,
            name,
            is_async: sig.asyncness.is_some(),
            file: self.file,
            loc: self.loc(sig.ident.span()),
            ret,
            // `#[tokio::main]` / `#[tokio::test]` turn an `async fn` into a sync one that runs
            // the body on a runtime: calling it returns no future.
            returns_future: entry != Entry::Runtime
                && (sig.asyncness.is_some() || returns_future(&sig.output)),
            nonblocking_from: None,
        });
        let Some(body) = body else { return };
        let saved_ctx = std::mem::replace(
            &mut self.ctx,
            if sig.asyncness.is_some() {
                Ctx::Async
            } else {
                Ctx::Sync
            },
        );
        let saved_fn = self.cur_fn.replace(id);
        let saved_closure = self.closure_of.take();
        let mut names = Vec::new();
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                pat_idents(&pt.pat, &mut names);
            }
        }
        let saved_params = std::mem::replace(&mut self.params, names);
        let saved_loops = std::mem::take(&mut self.loops);
        let saved_sc = std::mem::take(&mut self.sync_closures);
        // A nested fn cannot see the enclosing fn's locals.
        let saved_blocks = std::mem::take(&mut self.blocks);
        let mut params = Scope::default();
        for input in &sig.inputs {
            match input {
                syn::FnArg::Receiver(_) => {
                    if let Some(t) = &self_ty {
                        params.locals.insert("self".into(), Ty::Path(t.clone()));
                    }
                }
                syn::FnArg::Typed(_) => {}
            }
        }
        self.blocks.push(params);
        for input in &sig.inputs {
            if let syn::FnArg::Typed(pt) = input {
                let ty = self.ty_of_type(&pt.ty);
                self.bind_pat(&pt.pat, ty);
            }
        }
        // A nested fn's body is not part of the enclosing async body.
        let saved_frames = self.live.suspend();
        if sig.asyncness.is_some() {
            self.live.enter_frame(entry != Entry::Plain);
        }
        self.walk_block(body);
        if sig.asyncness.is_some() {
            self.live.exit_frame(self.file, Some(id));
        }
        self.live.resume(saved_frames);
        self.loops = saved_loops;
        self.sync_closures = saved_sc;
        self.blocks = saved_blocks;
        self.params = saved_params;
        self.closure_of = saved_closure;
        self.cur_fn = saved_fn;
        self.ctx = saved_ctx;
    }

    // ---------------------------------------------------------------- statements

    fn walk_block(&mut self, block: &syn::Block) {
        let mut scope = Scope::default();
        if block.stmts.iter().any(|s| matches!(s, Stmt::Item(_))) {
            let prefix = self.item_prefix();
            let items = block.stmts.iter().filter_map(|s| match s {
                Stmt::Item(i) => Some(i),
                _ => None,
            });
            self.collect_items(items, &prefix, &mut scope);
        }
        self.blocks.push(scope);
        self.live.enter_block();
        self.unused.push(Vec::new());
        let n = block.stmts.len();
        for (i, stmt) in block.stmts.iter().enumerate() {
            // Before edition 2024 a block's tail expression keeps its temporaries until the end
            // of the statement enclosing the block.
            if i + 1 == n && self.edition < 2024 && matches!(stmt, Stmt::Expr(_, None)) {
                self.walk_stmt_inner(stmt);
            } else {
                self.walk_stmt(stmt);
            }
        }
        self.live.exit_block(self.file, self.cur_fn);
        if let Some(unused) = self.unused.pop() {
            self.out
                .facts
                .dropped
                .extend(unused.into_iter().map(|(_, d)| d));
        }
        self.blocks.pop();
    }

    /// Notes that the value of `e` is thrown away, for the dropped-value facts: the call it
    /// evaluates to is recorded when the walk reaches it.
    fn watch_dropped(&mut self, e: &Expr, kind: DropKind) {
        match e {
            Expr::Paren(p) => self.watch_dropped(&p.expr, kind),
            Expr::Group(g) => self.watch_dropped(&g.expr, kind),
            // `Box::pin(fut());`: the inner future is what never runs.
            Expr::Call(c)
                if c.args.len() == 1
                    && matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "pin")) =>
            {
                self.watch_dropped(&c.args[0], kind)
            }
            // The value of an `if` / `match` statement is its branches' tail values.
            Expr::If(i) if kind == DropKind::Statement => {
                if let Some(Stmt::Expr(t, None)) = i.then_branch.stmts.last() {
                    self.watch_dropped(t, kind.clone());
                }
                if let Some((_, els)) = &i.else_branch {
                    self.watch_dropped(els, kind);
                }
            }
            Expr::Block(b) if kind == DropKind::Statement => {
                if let Some(Stmt::Expr(t, None)) = b.block.stmts.last() {
                    self.watch_dropped(t, kind);
                }
            }
            Expr::Match(m) if kind == DropKind::Statement => {
                for arm in &m.arms {
                    self.watch_dropped(&arm.body, kind.clone());
                }
            }
            Expr::Call(_) | Expr::MethodCall(_) => self.drop_watch.push((e as *const Expr, kind)),
            Expr::Async(a) => {
                let loc = self.loc(a.async_token.span);
                self.dropped(Dropped::AsyncBlock, kind, loc);
            }
            _ => {}
        }
    }

    /// Records a dropped-value fact (an unused binding waits until its block ends).
    fn dropped(&mut self, what: Dropped, kind: DropKind, loc: Loc) {
        let fact = DroppedValue {
            what,
            kind,
            file: self.file,
            loc,
            caller: self.cur_fn,
        };
        match &fact.kind {
            DropKind::UnusedBinding(name) => {
                let name = name.clone();
                if let Some(b) = self.unused.last_mut() {
                    b.push((name, fact));
                }
            }
            _ => self.out.facts.dropped.push(fact),
        }
    }

    /// A call just recorded as `idx`: if its value is watched as thrown away, note it.
    fn check_dropped_call(&mut self, e: &Expr, idx: usize, loc: Loc) {
        if let Some(pos) = self
            .drop_watch
            .iter()
            .position(|(p, _)| std::ptr::eq(*p, e))
        {
            let (_, kind) = self.drop_watch.swap_remove(pos);
            self.dropped(Dropped::Call(idx), kind, loc);
        }
    }

    /// A use of a name: a binding waiting to be reported as unused is used after all.
    fn note_use(&mut self, name: &str) {
        for b in self.unused.iter_mut() {
            b.retain(|(n, _)| n != name);
        }
    }

    fn walk_stmt(&mut self, stmt: &Stmt) {
        let watched = self.drop_watch.len();
        let stmt_id = self.live.new_stmt();
        let saved_stmt = std::mem::replace(&mut self.cur_stmt, stmt_id);
        self.walk_stmt_inner(stmt);
        self.cur_stmt = saved_stmt;
        self.live.end_stmt(stmt_id, self.file, self.cur_fn);
        // A watched expression the walk never recorded as a call (a closure call): forget it.
        self.drop_watch.truncate(watched);
    }

    fn walk_stmt_inner(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Local(local) => {
                let mut leaves = Vec::new();
                let wild = matches!(local.pat, Pat::Wild(_));
                let ty = match &local.init {
                    Some(init) => {
                        // What the pattern binds is not a temporary (`let _ = x` binds nothing).
                        if !wild {
                            binding_leaves(&init.expr, &mut leaves);
                        }
                        let saved = std::mem::replace(
                            &mut self.bound,
                            leaves.iter().map(|e| *e as *const Expr).collect(),
                        );
                        if wild {
                            self.watch_dropped(&init.expr, DropKind::LetUnderscore);
                        } else if init.diverge.is_none()
                            && let Pat::Ident(pi) = &local.pat
                        {
                            let name = pi.ident.to_string();
                            self.watch_dropped(&init.expr, DropKind::UnusedBinding(name));
                        }
                        // `let .. else` drops the initializer's temporaries before `else` runs.
                        let sub = init.diverge.as_ref().map(|_| self.live.new_stmt());
                        let outer = self.cur_stmt;
                        if let Some(sub) = sub {
                            self.cur_stmt = sub;
                        }
                        self.walk_expr(&init.expr);
                        self.bound = saved;
                        self.cur_stmt = outer;
                        if let Some(sub) = sub {
                            self.live.end_stmt(sub, self.file, self.cur_fn);
                        }
                        if let Some((_, diverge)) = &init.diverge {
                            self.walk_expr(diverge);
                        }
                        self.ty_of_expr(&init.expr)
                    }
                    None => Ty::Unknown,
                };
                if self.live.active() {
                    self.bind_live(&local.pat, &leaves);
                }
                self.bind_pat(&local.pat, ty);
            }
            Stmt::Item(item) => {
                let saved_ctx = self.ctx;
                self.walk_item(item);
                self.ctx = saved_ctx;
            }
            Stmt::Expr(e, semi) => {
                if semi.is_some() {
                    self.watch_dropped(e, DropKind::Statement);
                }
                self.walk_expr(e);
            }
            Stmt::Macro(m) => self.walk_macro(&m.mac),
        }
    }

    /// Registers the names a pattern binds as live values holding what `leaves` produce.
    fn bind_live(&mut self, pat: &Pat, leaves: &[&Expr]) {
        let mut names = Vec::new();
        pat_idents(pat, &mut names);
        if names.is_empty() {
            return;
        }
        let at_pat = pat_ident_span(pat).map(|s| self.loc(s)).unwrap_or_default();
        // One part per value the binding holds (two guards in an array are two findings).
        let mut parts: Vec<Part> = Vec::new();
        for leaf in leaves {
            // `let y = x;` moves a live value into the new binding.
            if let Expr::Path(p) = leaf
                && let Some(i) = p.path.get_ident()
            {
                let moved = self.live.take(&i.to_string());
                if !moved.is_empty() {
                    parts.extend(moved);
                    continue;
                }
            }
            let ty = self.ty_of_expr(leaf);
            if ty != Ty::Unknown {
                let loc = self.expr_loc(leaf);
                let loc = if loc.line > 0 { loc } else { at_pat };
                parts.push(Part {
                    tys: vec![ty],
                    loc,
                    awaits: Vec::new(),
                });
            }
        }
        if let Pat::Type(pt) = pat {
            let declared = self.ty_of_type(&pt.ty);
            if declared != Ty::Unknown {
                match parts.first_mut() {
                    Some(part) => part.tys.push(declared),
                    None => {
                        let loc = leaves
                            .first()
                            .map(|l| self.expr_loc(l))
                            .filter(|l| l.line > 0);
                        let loc = loc.unwrap_or(at_pat);
                        parts.push(Part {
                            tys: vec![declared],
                            loc,
                            awaits: Vec::new(),
                        });
                    }
                }
            }
        }
        for name in names {
            self.live.bind(name, parts.clone());
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

    /// Notes a call that may produce a held value as a temporary of the current statement
    /// (unless it flows into the binding being initialised).
    fn maybe_temp(&mut self, e: &Expr, produces: bool) {
        if produces && !self.bound.contains(&(e as *const Expr)) {
            let ty = self.ty_of_expr(e);
            if ty != Ty::Unknown {
                let loc = self.expr_loc(e);
                self.live.temp(ty, loc, self.cur_stmt);
            }
        }
    }

    /// Arguments passed by value (`drop(g)`, `consume(g)`) move a live value away.
    fn move_args<'e>(&mut self, args: impl IntoIterator<Item = &'e Expr>) {
        for a in args {
            if let Expr::Path(p) = a
                && let Some(i) = p.path.get_ident()
            {
                self.live.kill(&i.to_string());
            }
        }
    }

    // ---------------------------------------------------------------- expressions

    fn walk_expr(&mut self, e: &Expr) {
        if self.depth >= MAX_DEPTH {
            if self.out.too_deep.is_none() {
                self.out.too_deep = Some(self.loc(e.span()));
            }
            return;
        }
        self.depth += 1;
        self.walk_expr_inner(e);
        self.depth -= 1;
    }

    /// Remembers the first non-blocking mode switch in the enclosing fn item.
    fn note_nonblocking(&mut self, loc: Loc) {
        if let Some(f) = self.cur_fn
            && let Some(def) = self.out.facts.fns.get_mut(f)
            && def.nonblocking_from.is_none()
        {
            def.nonblocking_from = Some(loc);
        }
    }

    fn record_call<'e>(
        &mut self,
        callee: Callee,
        loc: Loc,
        expr_loc: Loc,
        args: impl IntoIterator<Item = &'e Expr>,
    ) -> usize {
        let awaited = std::mem::take(&mut self.awaited_next);
        let forwards_param = !self.params.is_empty()
            && args.into_iter().any(|a| match a {
                Expr::Path(p) => p
                    .path
                    .get_ident()
                    .is_some_and(|i| self.params.iter().any(|n| i == n)),
                _ => false,
            });
        self.out.facts.calls.push(CallSite {
            callee,
            file: self.file,
            loc,
            expr_loc,
            ctx: self.ctx,
            caller: self.cur_fn,
            awaited,
            closure_of: self.closure_of,
            forwards_param,
            in_sync_closure: self.sync_closures > 0,
        });
        self.out.facts.calls.len() - 1
    }

    /// Walks a call argument; a closure argument records which call it is passed to.
    fn walk_arg(&mut self, call: Option<usize>, arg: &Expr, island: bool) {
        match arg {
            Expr::Closure(c) if c.asyncness.is_none() => {
                let outer = self.closure_of;
                let saved = std::mem::replace(&mut self.closure_of, call.or(outer));
                if island {
                    self.walk_in_ctx(Ctx::Island, |w| w.walk_closure(c));
                } else {
                    self.walk_closure(c);
                }
                self.closure_of = saved;
            }
            Expr::Async(_) => {
                self.local_async_next = call.is_some_and(|i| self.drives_locally(i));
                self.walk_expr(arg);
                self.local_async_next = false;
            }
            _ => self.walk_expr(arg),
        }
    }

    /// Call `i` runs the future it is given where `Send` is not required: `spawn_local`
    /// (tokio, `LocalSet`, wasm-bindgen-futures), `block_on` (any runtime or executor),
    /// `LocalSet::run_until`.
    fn drives_locally(&self, i: usize) -> bool {
        const LOCAL_DRIVERS: &[&str] = &["spawn_local", "block_on", "run_until"];
        match &self.out.facts.calls[i].callee {
            Callee::Method { name, .. } => LOCAL_DRIVERS.contains(&name.as_str()),
            Callee::Path(paths) => paths
                .iter()
                .any(|p| LOCAL_DRIVERS.contains(&crate::kb::last_segment(p))),
        }
    }

    fn walk_in_ctx(&mut self, ctx: Ctx, f: impl FnOnce(&mut Self)) {
        let saved = std::mem::replace(&mut self.ctx, ctx);
        f(self);
        self.ctx = saved;
    }

    fn walk_closure(&mut self, c: &syn::ExprClosure) {
        self.blocks.push(Scope::default());
        for input in &c.inputs {
            self.bind_pat(input, Ty::Unknown);
        }
        if c.asyncness.is_some() {
            let saved = self.closure_of.take();
            let captured = self.capture_into_async(|v| v.visit_expr(&c.body), c.capture.is_some());
            self.live.enter_frame(false);
            self.live.enter_block();
            for (name, parts) in captured {
                self.live.bind(name, parts);
            }
            let saved_sc = std::mem::take(&mut self.sync_closures);
            self.walk_in_ctx(Ctx::Async, |w| w.walk_expr(&c.body));
            self.sync_closures = saved_sc;
            self.live.exit_block(self.file, self.cur_fn);
            self.live.exit_frame(self.file, self.cur_fn);
            self.closure_of = saved;
        } else {
            if c.capture.is_some() && self.live.active() {
                // A `move` closure takes the values it names.
                let mut names = IdentCollector::default();
                names.visit_expr(&c.body);
                self.live.capture(&names.0, true);
            }
            // A sync closure cannot await: what it binds is not part of the async body.
            let frames = self.live.suspend();
            self.sync_closures += 1;
            self.walk_expr(&c.body);
            self.sync_closures -= 1;
            self.live.resume(frames);
        }
        self.blocks.pop();
    }

    /// The live values of the enclosing async body that a nested async block or closure
    /// names: they are captured into it (and, with `move`, leave the enclosing body).
    fn capture_into_async(
        &mut self,
        visit: impl FnOnce(&mut IdentCollector),
        by_move: bool,
    ) -> Vec<(String, Vec<Part>)> {
        if !self.live.active() {
            return Vec::new();
        }
        let mut names = IdentCollector::default();
        visit(&mut names);
        self.live.capture(&names.0, by_move)
    }

    /// Walks an `if` / `while` condition in a scope of its own: a plain condition is a
    /// terminating scope (its temporaries die here); an `if let` / `while let` scrutinee's live
    /// on, under the returned statement id.
    fn walk_condition(&mut self, cond: &Expr) -> (usize, bool) {
        let is_let = has_let(cond);
        let cond_stmt = self.live.new_stmt();
        let saved_stmt = std::mem::replace(&mut self.cur_stmt, cond_stmt);
        self.blocks.push(Scope::default());
        self.live.enter_block();
        self.walk_expr(cond);
        self.cur_stmt = saved_stmt;
        if !is_let {
            self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
        }
        (cond_stmt, is_let)
    }

    fn walk_if(&mut self, i: &syn::ExprIf) {
        // A plain condition is a terminating scope; `if let` scrutinee temporaries live
        // through the then-branch, and through `else` too before edition 2024.
        let (cond_stmt, is_let) = self.walk_condition(&i.cond);
        let alive = self.live.alive();
        self.walk_block(&i.then_branch);
        self.live.exit_block(self.file, self.cur_fn);
        self.blocks.pop();
        let then_killed = self
            .live
            .branch_reset(&alive, block_diverges(&i.then_branch));
        if is_let && self.edition >= 2024 {
            self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
        }
        let else_killed = match &i.else_branch {
            Some((_, els)) => {
                self.walk_expr(els);
                self.live.branch_reset(&alive, diverges(els))
            }
            None => self.live.branch_reset(&alive, false),
        };
        self.live.branch_merge(&[then_killed, else_killed]);
        self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
    }

    /// Whether a method chain below `e` goes through a parallel-iterator adapter (rayon).
    fn chain_is_island(&self, e: &Expr) -> bool {
        let mut cur = e;
        loop {
            match cur {
                Expr::MethodCall(m) => {
                    if self.kb.is_chain_island_ident(&m.method) {
                        return true;
                    }
                    cur = &m.receiver;
                }
                Expr::Paren(p) => cur = &p.expr,
                Expr::Reference(r) => cur = &r.expr,
                Expr::Try(t) => cur = &t.expr,
                _ => return false,
            }
        }
    }

    fn walk_expr_inner(&mut self, e: &Expr) {
        match e {
            Expr::Call(c) => {
                let mut island = false;
                let mut idx = None;
                if let Expr::Path(p) = &*c.func
                    && p.qself.is_none()
                    && is_constructor_path(&p.path)
                {
                    // `Some(x)`, `Ok(x)`, `Poll::Ready(x)`, `Wrapper(x)`: a tuple struct or
                    // variant, not a function (by Rust's naming convention).
                    self.awaited_next = false;
                } else if let Expr::Path(p) = &*c.func
                    && p.qself.is_none()
                {
                    match self.resolve(&path_segments(&p.path)) {
                        Resolved::Paths(paths) if !paths.is_empty() => {
                            island = paths.iter().any(|p| self.kb.is_island_fn(p));
                            let loc = self.path_loc(&p.path);
                            let expr_loc =
                                self.call_loc(loc, path_start(&p.path), c.paren_token.span.close());
                            let is_drop = paths.iter().any(|p| p == "std::mem::drop");
                            let callee = Callee::Path(paths);
                            let i = self.record_call(callee, loc, expr_loc, &c.args);
                            idx = Some(i);
                            if !self.drop_watch.is_empty() {
                                self.check_dropped_call(e, i, loc);
                            }
                            if is_drop && let Some(arg) = c.args.first() {
                                self.watch_dropped(arg, DropKind::Drop);
                            }
                        }
                        _ => {
                            self.awaited_next = false;
                            // Calling a local async closure makes a future.
                            if !self.drop_watch.is_empty()
                                && let Some(i) = p.path.get_ident()
                                && self.local_ty(&i.to_string())
                                    == Some(Ty::Path(ASYNC_CLOSURE.into()))
                                && let Some(pos) = self
                                    .drop_watch
                                    .iter()
                                    .position(|(x, _)| std::ptr::eq(*x, e))
                            {
                                let (_, kind) = self.drop_watch.swap_remove(pos);
                                let loc = self.path_loc(&p.path);
                                self.dropped(Dropped::AsyncBlock, kind, loc);
                            }
                        }
                    }
                } else {
                    self.awaited_next = false;
                    self.walk_expr(&c.func);
                }
                for a in &c.args {
                    self.walk_arg(idx, a, island);
                }
                if self.live.active() {
                    self.move_args(&c.args);
                    let produces = match &*c.func {
                        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
                            let f = s.ident.to_string();
                            matches!(f.as_str(), "new" | "clone" | "downgrade" | "current")
                                && self.resolve_paths(&p.path).is_some_and(|ps| {
                                    ps.iter().any(|p| self.kb.may_produce_held_fn(p))
                                })
                        }),
                        _ => false,
                    };
                    self.maybe_temp(e, produces);
                }
            }
            Expr::MethodCall(m) => {
                let name = m.method.to_string();
                let recv = self.ty_of_expr(&m.receiver);
                let loc = self.loc(m.method.span());
                if name == "set_nonblocking"
                    && matches!(m.args.first(), Some(Expr::Lit(l)) if matches!(&l.lit, syn::Lit::Bool(b) if b.value))
                {
                    self.note_nonblocking(loc);
                }
                let expr_loc = self.call_loc(loc, m.method.span(), m.paren_token.span.close());
                let callee = Callee::Method {
                    recv,
                    name: name.clone(),
                };
                let idx = self.record_call(callee, loc, expr_loc, &m.args);
                if !self.drop_watch.is_empty() {
                    self.check_dropped_call(e, idx, loc);
                }
                self.walk_expr(&m.receiver);
                let island = self.kb.is_island_method(&name) || self.chain_is_island(&m.receiver);
                for a in &m.args {
                    self.walk_arg(Some(idx), a, island);
                }
                if self.live.active() {
                    self.move_args(&m.args);
                    if CONSUMING_METHODS.contains(&name.as_str()) {
                        self.move_args(std::iter::once(&*m.receiver));
                    }
                    self.maybe_temp(e, self.kb.may_produce_held_method(&name));
                }
            }
            Expr::Await(a) => {
                let mut base = &*a.base;
                while let Expr::Paren(p) = base {
                    base = &p.expr;
                }
                self.awaited_next = matches!(base, Expr::Call(_) | Expr::MethodCall(_));
                self.walk_expr(&a.base);
                self.awaited_next = false;
                if self.live.active() {
                    let loc = Loc::between(a.dot_token.span, a.await_token.span);
                    self.live.on_await(loc);
                }
            }
            Expr::Async(a) => {
                let local = std::mem::take(&mut self.local_async_next);
                let saved = self.closure_of.take();
                let captured =
                    self.capture_into_async(|v| v.visit_block(&a.block), a.capture.is_some());
                self.live.enter_frame(local);
                self.live.enter_block();
                for (name, parts) in captured {
                    self.live.bind(name, parts);
                }
                let saved_sc = std::mem::take(&mut self.sync_closures);
                self.walk_in_ctx(Ctx::Async, |w| w.walk_block(&a.block));
                self.sync_closures = saved_sc;
                self.live.exit_block(self.file, self.cur_fn);
                self.live.exit_frame(self.file, self.cur_fn);
                self.closure_of = saved;
            }
            Expr::Closure(c) => self.walk_closure(c),
            Expr::Block(b) => self.walk_block(&b.block),
            Expr::Unsafe(u) => self.walk_block(&u.block),
            Expr::Const(c) => self.walk_block(&c.block),
            Expr::TryBlock(t) => self.walk_block(&t.block),
            Expr::Loop(l) => {
                self.loops += 1;
                self.walk_block(&l.body);
                self.loops -= 1;
            }
            Expr::While(w) => {
                // `while cond`: the condition is a terminating scope; `while let` scrutinee
                // temporaries live through the body.
                let (cond_stmt, _) = self.walk_condition(&w.cond);
                self.loops += 1;
                self.walk_block(&w.body);
                self.loops -= 1;
                self.live.exit_block(self.file, self.cur_fn);
                self.blocks.pop();
                self.live.end_stmt(cond_stmt, self.file, self.cur_fn);
            }
            Expr::ForLoop(f) => {
                self.walk_expr(&f.expr);
                let recv = self.ty_of_expr(&f.expr);
                if recv != Ty::Unknown {
                    let loc = self.loc(f.expr.span());
                    let callee = Callee::Method {
                        recv,
                        name: "into_iter".into(),
                    };
                    self.record_call(callee, loc, loc, []);
                }
                self.blocks.push(Scope::default());
                self.bind_pat(&f.pat, Ty::Unknown);
                self.loops += 1;
                self.walk_block(&f.body);
                self.loops -= 1;
                self.blocks.pop();
            }
            Expr::If(i) => self.walk_if(i),
            Expr::Let(l) => {
                let mut leaves = Vec::new();
                if pat_binds(&l.pat) {
                    binding_leaves(&l.expr, &mut leaves);
                }
                let saved = std::mem::replace(
                    &mut self.bound,
                    leaves.iter().map(|e| *e as *const Expr).collect(),
                );
                self.walk_expr(&l.expr);
                self.bound = saved;
                if self.live.active() {
                    self.bind_live(&l.pat, &leaves);
                }
                let ty = self.ty_of_expr(&l.expr);
                self.bind_pat(&l.pat, ty);
            }
            Expr::Match(m) => {
                // Scrutinee temporaries live to the end of the enclosing statement; what an
                // arm's pattern binds lives in that arm.
                let mut leaves = Vec::new();
                if m.arms.iter().any(|a| pat_binds(&a.pat)) {
                    binding_leaves(&m.expr, &mut leaves);
                }
                let saved = std::mem::replace(
                    &mut self.bound,
                    leaves.iter().map(|e| *e as *const Expr).collect(),
                );
                self.walk_expr(&m.expr);
                self.bound = saved;
                let ty = self.ty_of_expr(&m.expr);
                let alive = self.live.alive();
                let mut killed = Vec::with_capacity(m.arms.len());
                for arm in &m.arms {
                    self.blocks.push(Scope::default());
                    self.live.enter_block();
                    if self.live.active() {
                        self.bind_live(&arm.pat, &leaves);
                    }
                    self.bind_pat(&arm.pat, ty.clone());
                    if let Pat::Guard(g) = &arm.pat {
                        self.walk_expr(&g.guard);
                    }
                    self.walk_expr(&arm.body);
                    self.live.exit_block(self.file, self.cur_fn);
                    self.blocks.pop();
                    killed.push(self.live.branch_reset(&alive, diverges(&arm.body)));
                }
                self.live.branch_merge(&killed);
            }
            Expr::Macro(m) => self.walk_macro(&m.mac),
            Expr::Array(a) => a.elems.iter().for_each(|e| self.walk_expr(e)),
            Expr::Tuple(t) => t.elems.iter().for_each(|e| self.walk_expr(e)),
            Expr::Assign(a) => {
                self.walk_expr(&a.left);
                self.walk_expr(&a.right);
            }
            Expr::Binary(b) => {
                self.walk_expr(&b.left);
                self.walk_expr(&b.right);
            }
            Expr::Unary(u) => {
                // `flags & !O_NONBLOCK` clears the flag: no switch to non-blocking mode.
                let saved = self.negated;
                self.negated = matches!(u.op, syn::UnOp::Not(_));
                self.walk_expr(&u.expr);
                self.negated = saved;
            }
            Expr::Break(b) => {
                if let Some(e) = &b.expr {
                    self.walk_expr(e);
                    self.move_args(std::iter::once(&**e));
                }
            }
            Expr::Return(r) => {
                if let Some(e) = &r.expr {
                    self.walk_expr(e);
                    self.move_args(std::iter::once(&**e));
                }
            }
            Expr::Yield(y) => {
                if let Some(e) = &y.expr {
                    self.walk_expr(e)
                }
            }
            Expr::Cast(c) => self.walk_expr(&c.expr),
            Expr::Field(f) => self.walk_expr(&f.base),
            Expr::Group(g) => self.walk_expr(&g.expr),
            Expr::Paren(p) => self.walk_expr(&p.expr),
            Expr::Index(i) => {
                self.walk_expr(&i.expr);
                self.walk_expr(&i.index);
            }
            Expr::Range(r) => {
                if let Some(s) = &r.start {
                    self.walk_expr(s)
                }
                if let Some(s) = &r.end {
                    self.walk_expr(s)
                }
            }
            Expr::Reference(r) => self.walk_expr(&r.expr),
            Expr::RawAddr(r) => self.walk_expr(&r.expr),
            Expr::Repeat(r) => {
                self.walk_expr(&r.expr);
                self.walk_expr(&r.len);
            }
            Expr::Struct(s) => {
                for f in &s.fields {
                    self.walk_expr(&f.expr);
                }
                if let Some(r) = &s.rest {
                    self.walk_expr(r);
                }
            }
            Expr::Try(t) => {
                // `fut().await?` keeps the await flag on the call below `?`.
                self.walk_expr(&t.expr)
            }
            Expr::Path(p) => {
                if !self.negated
                    && p.path.segments.last().is_some_and(|s| {
                        s.ident == "O_NONBLOCK"
                            || s.ident == "SOCK_NONBLOCK"
                            || s.ident == "NONBLOCK"
                    })
                {
                    let loc = self.path_loc(&p.path);
                    self.note_nonblocking(loc);
                }
                if self.unused.iter().any(|b| !b.is_empty())
                    && let Some(i) = p.path.get_ident()
                {
                    self.note_use(&i.to_string());
                }
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- macros

    fn walk_macro(&mut self, mac: &syn::Macro) {
        self.awaited_next = false;
        if self.unused.iter().any(|b| !b.is_empty()) {
            let mut names = IdentCollector::default();
            names.visit_macro(mac);
            for n in names.0 {
                self.note_use(&n);
            }
        }
        let Some(last) = mac.path.segments.last() else {
            return;
        };
        let is_select = last.ident == "select" || last.ident == "select_biased";
        if !is_select && !EXPR_MACROS.iter().any(|m| last.ident == m) {
            return;
        }
        let segs = path_segments(&mac.path);
        let name = segs.last().cloned().unwrap_or_default();
        let trusted = match segs.iter().find(|s| !s.is_empty()) {
            Some(first) if segs.iter().filter(|s| !s.is_empty()).count() > 1 => {
                MACRO_CRATES.contains(&first.as_str())
            }
            _ => {
                // Unqualified: trusted unless the crate defines or imports its own macro of
                // that name from elsewhere.
                match self.resolve(&segs) {
                    Resolved::Paths(p) => p.iter().any(|p| {
                        p == &name
                            || p.split_once("::")
                                .is_some_and(|(c, _)| MACRO_CRATES.contains(&c))
                    }),
                    Resolved::Local => false,
                }
            }
        };
        if !trusted {
            return;
        }
        let awaits = is_select || name == "join" || name == "try_join";
        if is_select {
            let at = self.path_loc(&mac.path);
            self.walk_select(mac.tokens.clone(), at);
        }
        if awaits && self.live.active() {
            // `select!` / `join!` await their futures.
            self.live.on_await(self.path_loc(&mac.path));
        }
        if is_select {
            return;
        }
        // tracing's `{ field = value, .. }` field sets hold arguments of their own.
        let field_sets = matches!(name.as_str(), "trace" | "debug" | "info" | "warn" | "error");
        self.walk_macro_args(mac.tokens.clone(), field_sets);
    }

    /// A trusted macro's arguments, split at top-level `,` and `;`, as expressions; only those
    /// that are parsed are copied.
    fn walk_macro_args(&mut self, tokens: TokenStream, field_sets: bool) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let args = tokens.split(
            |t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',' || p.as_char() == ';'),
        );
        for arg in args {
            let arg = &arg[macro_arg_prefix_len(arg)..];
            if field_sets
                && let [TokenTree::Group(g)] = arg
                && g.delimiter() == proc_macro2::Delimiter::Brace
            {
                self.walk_macro_args(g.stream(), false);
                continue;
            }
            // Without a delimited group there is no call, closure or block to see (a format
            // string, `x`, `self.field`): skip parsing it.
            if !arg.iter().any(|t| matches!(t, TokenTree::Group(_))) {
                continue;
            }
            if let Ok(e) = syn::parse2::<Expr>(arg.iter().cloned().collect()) {
                self.walk_expr(&e);
            }
        }
    }

    /// `tokio::select!` / `futures::select!`: branch futures, preconditions and handlers.
    fn walk_select(&mut self, tokens: TokenStream, at: Loc) {
        let parsed = (|input: ParseStream| -> syn::Result<Vec<SelectBranch>> {
            let mut branches = Vec::new();
            if input.peek(syn::Ident) && input.fork().parse::<syn::Ident>()? == "biased" {
                input.parse::<syn::Ident>()?;
                input.parse::<syn::Token![;]>()?;
            }
            while !input.is_empty() {
                if input.peek(syn::Token![else])
                    || input.peek(syn::Ident) && {
                        let f = input.fork();
                        f.parse::<syn::Ident>()
                            .map(|i| i == "default" || i == "complete")
                            .unwrap_or(false)
                            && f.peek(syn::Token![=>])
                    }
                {
                    if input.peek(syn::Token![else]) {
                        input.parse::<syn::Token![else]>()?;
                    } else {
                        input.parse::<syn::Ident>()?;
                    }
                    input.parse::<syn::Token![=>]>()?;
                    let handler: Expr = input.call(Expr::parse_with_earlier_boundary_rule)?;
                    input.parse::<Option<syn::Token![,]>>()?;
                    branches.push(SelectBranch {
                        pat: None,
                        fut: None,
                        cond: None,
                        handler,
                    });
                    continue;
                }
                let pat = Pat::parse_multi_with_leading_vert(input)?;
                input.parse::<syn::Token![=]>()?;
                let fut: Expr = input.parse()?;
                let mut cond = None;
                if input.peek(syn::Token![,]) && input.peek2(syn::Token![if]) {
                    input.parse::<syn::Token![,]>()?;
                    input.parse::<syn::Token![if]>()?;
                    cond = Some(input.parse::<Expr>()?);
                }
                input.parse::<syn::Token![=>]>()?;
                let handler: Expr = input.call(Expr::parse_with_earlier_boundary_rule)?;
                input.parse::<Option<syn::Token![,]>>()?;
                branches.push(SelectBranch {
                    pat: Some(pat),
                    fut: Some(fut),
                    cond,
                    handler,
                });
            }
            Ok(branches)
        })
        .parse2(tokens);
        let Ok(branches) = parsed else { return };
        let mut facts = Vec::new();
        for b in &branches {
            if let Some(f) = &b.fut {
                // The branch future's own call is the first one the walk records for it (the
                // walker records a call before its receiver and arguments), after any `.fuse()`.
                let mut peeled = f;
                let mut layers = 0;
                loop {
                    match peeled {
                        Expr::Paren(p) => peeled = &p.expr,
                        Expr::MethodCall(m) if m.method == "fuse" || m.method == "boxed" => {
                            layers += 1;
                            peeled = &m.receiver;
                        }
                        _ => break,
                    }
                }
                let before = self.out.facts.calls.len();
                self.walk_expr(f);
                let is_call = matches!(peeled, Expr::Call(_) | Expr::MethodCall(_));
                let call = (is_call && self.out.facts.calls.len() > before + layers)
                    .then_some(before + layers);
                let loc = call.map(|i| self.out.facts.calls[i].loc).unwrap_or(at);
                facts.push(SelectBranchFact { call, loc });
            }
            if let Some(c) = &b.cond {
                self.walk_expr(c);
            }
            self.blocks.push(Scope::default());
            if let Some(p) = &b.pat {
                self.bind_pat(p, Ty::Unknown);
            }
            self.walk_expr(&b.handler);
            self.blocks.pop();
        }
        self.out.facts.selects.push(SelectFact {
            file: self.file,
            loc: at,
            branches: facts,
            in_loop: self.loops > 0,
            caller: self.cur_fn,
        });
    }
}

struct SelectBranch {
    pat: Option<Pat>,
    fut: Option<Expr>,
    cond: Option<Expr>,
    handler: Expr,
}

/// Splits macro input at top-level `,` and `;`.
/// The length of a format / tracing argument's `name =`, `name:` (not `::`), `%` and `?`
/// prefixes.
fn macro_arg_prefix_len(tts: &[TokenTree]) -> usize {
    let mut start = 0;
    // `a.b.c = expr` / `name = expr` (tracing fields), `target: expr`.
    let mut i = 0;
    while i < tts.len() {
        match &tts[i] {
            TokenTree::Ident(_) => i += 1,
            TokenTree::Punct(p) if p.as_char() == '.' => i += 1,
            _ => break,
        }
    }
    if i > 0 && i < tts.len() {
        if let TokenTree::Punct(p) = &tts[i] {
            let next_is_punct = matches!(tts.get(i + 1), Some(TokenTree::Punct(q)) if q.as_char() == '=' || q.as_char() == ':' || q.as_char() == '>');
            if (p.as_char() == '=' || p.as_char() == ':')
                && !next_is_punct
                && p.spacing() == proc_macro2::Spacing::Alone
            {
                start = i + 1;
            }
        }
    }
    if let Some(TokenTree::Punct(p)) = tts.get(start)
        && (p.as_char() == '%' || p.as_char() == '?')
    {
        start += 1;
    }
    start
}

fn collect_use(tree: &UseTree, prefix: Vec<String>, scope: &mut Scope) {
    match tree {
        UseTree::Path(p) => {
            let mut next = prefix;
            next.push(p.ident.to_string());
            collect_use(&p.tree, next, scope);
        }
        UseTree::Name(n) => {
            let name = n.ident.to_string();
            if name == "self" {
                if let Some(last) = prefix.last().cloned() {
                    scope.add_use(last, prefix);
                }
            } else {
                let mut full = prefix;
                full.push(name.clone());
                scope.add_use(name, full);
            }
        }
        UseTree::Rename(r) => {
            let orig = r.ident.to_string();
            let alias = r.rename.to_string();
            if alias == "_" {
                return;
            }
            let mut full = prefix;
            if orig != "self" {
                full.push(orig);
            }
            scope.add_use(alias, full);
        }
        UseTree::Glob(_) => scope.globs.push(prefix),
        UseTree::Group(g) => {
            for t in &g.items {
                collect_use(t, prefix.clone(), scope);
            }
        }
    }
}

/// For each item-position macro invocation (not `macro_rules!`) whose body parses as items:
/// its index and those items, with nested macros expanded the same way.
/// Whether a macro body has, at its top level, a keyword that starts an item the walker uses
/// (a cheap test before parsing the body as items).
fn has_item_keyword(tokens: &TokenStream) -> bool {
    // Items start with a word (`pub`, `fn`, a macro's path) or an attribute; anything else
    // (`link!("kernel32.dll" "system" fn ..)`, thousands in windows-sys) cannot parse as items.
    let starts_like_item = match tokens.clone().into_iter().next() {
        Some(TokenTree::Ident(_)) => true,
        Some(TokenTree::Punct(p)) => matches!(p.as_char(), '#' | ':'),
        _ => false,
    };
    starts_like_item
        && tokens.clone().into_iter().any(|t| {
        matches!(&t, TokenTree::Ident(i) if ["fn", "mod", "use", "impl", "struct", "enum", "trait", "static", "const", "type", "union", "extern"].iter().any(|k| i == k))
    })
}

fn expand_item_macros(items: &[Item]) -> Vec<(usize, Vec<Item>)> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if let Item::Macro(m) = item
            && m.ident.is_none()
            && has_item_keyword(&m.mac.tokens)
            && let Ok(file) = syn::parse2::<syn::File>(m.mac.tokens.clone())
            && !file.items.is_empty()
        {
            let mut inner: HashMap<usize, Vec<Item>> =
                expand_item_macros(&file.items).into_iter().collect();
            let mut flat = Vec::with_capacity(file.items.len());
            for (j, it) in file.items.into_iter().enumerate() {
                match inner.remove(&j) {
                    Some(expansion) => flat.extend(expansion),
                    None => flat.push(it),
                }
            }
            out.push((i, flat));
        }
    }
    out
}

fn pat_idents(pat: &Pat, out: &mut Vec<String>) {
    match pat {
        Pat::Ident(pi) => out.push(pi.ident.to_string()),
        Pat::Type(pt) => pat_idents(&pt.pat, out),
        Pat::Reference(r) => pat_idents(&r.pat, out),
        Pat::Paren(p) => pat_idents(&p.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| pat_idents(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| pat_idents(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| pat_idents(&f.pat, out)),
        _ => {}
    }
}

fn type_short_name(ty: &Type) -> String {
    match ty {
        Type::Path(tp) => last_ident(&tp.path),
        Type::Reference(r) => type_short_name(&r.elem),
        _ => "_".into(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

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
