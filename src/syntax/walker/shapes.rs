//! Pure functions over syntax, with no scope or state: what a pattern binds, whether a
//! branch diverges, which names an expression uses.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, Item, Pat, Stmt, Type};

/// Names used in an expression (single-segment paths, and identifiers inside macro calls).
#[derive(Default)]
pub(super) struct IdentCollector(pub(super) Vec<String>);

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

/// The span of the first name a pattern binds.
pub(super) fn pat_ident_span(p: &Pat) -> Option<Span> {
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
pub(super) fn has_let(e: &Expr) -> bool {
    match e {
        Expr::Let(_) => true,
        Expr::Binary(b) => has_let(&b.left) || has_let(&b.right),
        Expr::Paren(p) => has_let(&p.expr),
        _ => false,
    }
}

/// Whether control never continues after an expression (`return`, `break`, `continue`,
/// `panic!`), so a branch ending in it does not reach the code after the branches.
pub(super) fn diverges(e: &Expr) -> bool {
    match e {
        Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => true,
        Expr::Block(b) => block_diverges(&b.block),
        Expr::Macro(m) => is_panic_macro(&m.mac),
        _ => false,
    }
}

pub(super) fn block_diverges(b: &syn::Block) -> bool {
    match b.stmts.last() {
        Some(Stmt::Expr(e, _)) => diverges(e),
        Some(Stmt::Macro(m)) => is_panic_macro(&m.mac),
        _ => false,
    }
}

pub(super) fn is_panic_macro(m: &syn::Macro) -> bool {
    m.path.segments.last().is_some_and(|s| {
        s.ident == "panic"
            || s.ident == "unreachable"
            || s.ident == "todo"
            || s.ident == "unimplemented"
    })
}
pub(super) fn path_start(path: &syn::Path) -> Span {
    match (&path.leading_colon, path.segments.first()) {
        (Some(c), _) => c.spans[0],
        (None, Some(seg)) => seg.ident.span(),
        (None, None) => Span::call_site(),
    }
}
/// Every name an identifier pattern in `pat` introduces, as written (fn parameters, which
/// cannot name constants). See [`pat_bindings`] for patterns that may.
pub(super) fn pat_idents(pat: &Pat, out: &mut Vec<String>) {
    pat_bindings(pat, &|_| false, out)
}

/// An identifier pattern that may name a constant, a unit struct or a unit variant rather than
/// bind: capitalised, without `ref`, `mut` or an `@` subpattern (`None`, `MAX`, `Empty`).
pub(super) fn may_name_a_constant(pi: &syn::PatIdent) -> bool {
    pi.by_ref.is_none()
        && pi.mutability.is_none()
        && pi.subpat.is_none()
        && pi
            .ident
            .to_string()
            .starts_with(|c: char| c.is_ascii_uppercase())
}

/// The names a pattern binds. An identifier pattern for which [`may_name_a_constant`] holds
/// and that `names_item` says names an item in scope (`None`, a `const`, an imported variant)
/// is matched against that item and binds nothing.
pub(super) fn pat_bindings(pat: &Pat, names_item: &dyn Fn(&str) -> bool, out: &mut Vec<String>) {
    let rec = |p: &Pat, out: &mut Vec<String>| pat_bindings(p, names_item, out);
    match pat {
        Pat::Ident(pi) => {
            let name = pi.ident.to_string();
            if !(may_name_a_constant(pi) && names_item(&name)) {
                out.push(name);
            }
        }
        Pat::Type(pt) => rec(&pt.pat, out),
        Pat::Reference(r) => rec(&r.pat, out),
        Pat::Paren(p) => rec(&p.pat, out),
        Pat::Tuple(t) => t.elems.iter().for_each(|p| rec(p, out)),
        Pat::TupleStruct(t) => t.elems.iter().for_each(|p| rec(p, out)),
        Pat::Struct(s) => s.fields.iter().for_each(|f| rec(&f.pat, out)),
        _ => {}
    }
}

pub(super) fn type_short_name(ty: &Type) -> String {
    match ty {
        Type::Path(tp) => last_ident(&tp.path),
        Type::Reference(r) => type_short_name(&r.elem),
        _ => "_".into(),
    }
}

/// A path whose last segment is capitalised names a tuple struct or enum variant.
pub(super) fn is_constructor_path(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|s| {
        s.ident
            .to_string()
            .starts_with(|c: char| c.is_ascii_uppercase())
    })
}

pub(super) fn last_ident(path: &syn::Path) -> String {
    path.segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// The sync closure an expression evaluates to: the closure itself, or the tail of a block
/// (`{ let x = ..; move || .. }`), through parentheses.
pub(super) fn tail_closure(e: &Expr) -> Option<&syn::ExprClosure> {
    match e {
        Expr::Closure(c) if c.asyncness.is_none() => Some(c),
        Expr::Paren(p) => tail_closure(&p.expr),
        Expr::Group(g) => tail_closure(&g.expr),
        Expr::Block(b) if b.label.is_none() => match b.block.stmts.last() {
            Some(Stmt::Expr(tail, None)) => tail_closure(tail),
            _ => None,
        },
        _ => None,
    }
}

/// Whether `stmts` call a local named `name` (`name(..)`), also inside macro arguments.
pub(super) fn calls_local(stmts: &[Stmt], name: &str) -> bool {
    struct Finder<'n> {
        name: &'n str,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Finder<'_> {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            if let Expr::Path(p) = &*c.func
                && p.path.is_ident(self.name)
            {
                self.found = true;
            }
            syn::visit::visit_expr_call(self, c);
        }

        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            fn scan(ts: TokenStream, name: &str) -> bool {
                let mut prev_is_name = false;
                for t in ts {
                    match t {
                        TokenTree::Group(g) => {
                            if prev_is_name && g.delimiter() == proc_macro2::Delimiter::Parenthesis
                            {
                                return true;
                            }
                            if scan(g.stream(), name) {
                                return true;
                            }
                            prev_is_name = false;
                        }
                        TokenTree::Ident(i) => prev_is_name = i == name,
                        _ => prev_is_name = false,
                    }
                }
                false
            }
            if scan(m.tokens.clone(), self.name) {
                self.found = true;
            }
        }

        // Nested items are not part of the body.
        fn visit_item(&mut self, _: &'ast Item) {}
    }
    let mut f = Finder { name, found: false };
    for s in stmts {
        f.visit_stmt(s);
        if f.found {
            return true;
        }
    }
    false
}

/// The name a `let` pattern binds when it is a single name (`f`, `mut f`, `f: F`).
pub(super) fn local_name(p: &Pat) -> Option<String> {
    match p {
        Pat::Ident(pi) if pi.subpat.is_none() => Some(pi.ident.to_string()),
        Pat::Type(pt) => local_name(&pt.pat),
        _ => None,
    }
}

/// How the body of a sync fn that returns a future makes that future.
pub(super) enum FutureTail<'e> {
    /// An `async` block (possibly `Box::pin`ned or `.boxed()`): nothing runs before it is polled.
    Block,
    /// A call whose future is returned (possibly pinned or boxed): as lazy as that call.
    Call(&'e Expr),
    /// Something runs before the future is made, or the body is of another shape.
    Unknown,
}

/// How `block`, the body of a sync fn returning a future, makes it: only when no statement
/// before the tail does work (calls a function or a method other than `clone()`, or expands a
/// macro) is the tail looked at.
pub(super) fn future_tail(block: &syn::Block) -> FutureTail<'_> {
    let Some((last, before)) = block.stmts.split_last() else {
        return FutureTail::Unknown;
    };
    let tail = match last {
        Stmt::Expr(Expr::Return(r), _) => match &r.expr {
            Some(e) => &**e,
            None => return FutureTail::Unknown,
        },
        Stmt::Expr(e, None) => e,
        _ => return FutureTail::Unknown,
    };
    if before.iter().any(stmt_works) {
        return FutureTail::Unknown;
    }
    future_core(tail)
}

fn future_core(e: &Expr) -> FutureTail<'_> {
    match e {
        Expr::Paren(p) => future_core(&p.expr),
        Expr::Group(g) => future_core(&g.expr),
        Expr::Async(_) => FutureTail::Block,
        Expr::Block(b) if b.label.is_none() => future_tail(&b.block),
        // `Box::pin(fut)`: the same future, boxed.
        Expr::Call(c)
            if c.args.len() == 1
                && matches!(&*c.func, Expr::Path(p) if {
                    let s: Vec<String> = p.path.segments.iter().map(|s| s.ident.to_string()).collect();
                    s.len() >= 2 && s[s.len() - 2] == "Box" && s[s.len() - 1] == "pin"
                }) =>
        {
            future_core(&c.args[0])
        }
        // `fut.boxed()` / `fut.boxed_local()` (`futures::FutureExt`): the same future, boxed.
        Expr::MethodCall(m)
            if m.args.is_empty() && (m.method == "boxed" || m.method == "boxed_local") =>
        {
            future_core(&m.receiver)
        }
        Expr::Call(c) if matches!(&*c.func, Expr::Path(p) if !is_constructor_path(&p.path)) => {
            FutureTail::Call(e)
        }
        Expr::MethodCall(_) => FutureTail::Call(e),
        _ => FutureTail::Unknown,
    }
}

/// Whether a statement does work when it runs: calls a function or method (cloning aside:
/// `let this = self.clone();` before `async move { .. }` only prepares the future), or expands a
/// macro (which may do anything). Nested items run nothing.
fn stmt_works(stmt: &Stmt) -> bool {
    #[derive(Default)]
    struct Work(bool);
    impl<'ast> Visit<'ast> for Work {
        fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
            match &*c.func {
                Expr::Path(p)
                    if is_constructor_path(&p.path)
                        || p.path.segments.last().is_some_and(|s| s.ident == "clone") =>
                {
                    syn::visit::visit_expr_call(self, c)
                }
                _ => self.0 = true,
            }
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "clone" && m.args.is_empty() {
                syn::visit::visit_expr_method_call(self, m)
            } else {
                self.0 = true
            }
        }
        fn visit_macro(&mut self, _: &'ast syn::Macro) {
            self.0 = true
        }
        fn visit_expr_await(&mut self, _: &'ast syn::ExprAwait) {
            self.0 = true
        }
        fn visit_item(&mut self, _: &'ast Item) {}
    }
    let mut w = Work::default();
    w.visit_stmt(stmt);
    w.0
}

/// The outer attributes of an expression (those written before an expression statement).
pub(super) fn expr_attrs(e: &Expr) -> &[syn::Attribute] {
    match e {
        Expr::Call(x) => &x.attrs,
        Expr::MethodCall(x) => &x.attrs,
        Expr::Await(x) => &x.attrs,
        Expr::Async(x) => &x.attrs,
        Expr::Block(x) => &x.attrs,
        Expr::Unsafe(x) => &x.attrs,
        Expr::If(x) => &x.attrs,
        Expr::Match(x) => &x.attrs,
        Expr::Macro(x) => &x.attrs,
        Expr::Paren(x) => &x.attrs,
        Expr::Path(x) => &x.attrs,
        Expr::Assign(x) => &x.attrs,
        Expr::Try(x) => &x.attrs,
        Expr::Field(x) => &x.attrs,
        Expr::Loop(x) => &x.attrs,
        Expr::While(x) => &x.attrs,
        Expr::ForLoop(x) => &x.attrs,
        Expr::Tuple(x) => &x.attrs,
        _ => &[],
    }
}

/// What a `cfg` predicate is whatever the platform, features and flags: `Some(false)` for
/// `any()` (and so `all(any())`, `not(all())`, ...), `Some(true)` for `all()`, `None` when it
/// depends on the build.
/// With `cfg(test)` known to be off ([`crate::syntax::build_cfg::with_cfg_test_off`]), `test`
/// is `Some(false)`.
fn cfg_value(meta: &syn::Meta) -> Option<bool> {
    Cfg::of_meta(meta).value()
}

/// Whether attributes hold a `#[cfg(..)]` that no build satisfies (`#[cfg(any())]`,
/// `#[cfg(all(any()))]`, `#[cfg(not(all()))]`): the item never compiles. The prescan keeps
/// only `cfg` attributes with an empty list for this (see `syntax::prescan`).
pub(super) fn cfg_never(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        if !a.path().is_ident("cfg") {
            return false;
        }
        let by_syn = || a.parse_args::<syn::Meta>().ok().and_then(|m| cfg_value(&m));
        let value = match &a.meta {
            syn::Meta::List(list) => match simple_cfg_value(&list.tokens) {
                Some(v) => {
                    debug_assert_eq!(v, by_syn(), "{}", list.tokens);
                    v
                }
                None => by_syn(),
            },
            _ => by_syn(),
        };
        value == Some(false)
    })
}

/// [`cfg_value`] of a `cfg` predicate in its common shapes, read from its tokens without
/// syn's parse (a tenth of a binding crate's walk, whose every item has a `cfg`): `name`,
/// `key = "value"`, and `not(..)`, `any(..)`, `all(..)` of those. None for any other shape (a
/// path with `::`, a string with escapes, a trailing comma, ...), which [`cfg_value`] reads.
pub(super) fn simple_cfg_value(tokens: &proc_macro2::TokenStream) -> Option<Option<bool>> {
    // Read whole before any of it is decided (deciding a feature notes it as asked), as
    // `Cfg::of_meta` reads syn's parse.
    Some(Cfg::read(tokens.clone())?.value())
}

/// A `cfg` predicate, read from syn's parse ([`Cfg::of_meta`]) or, in its common shapes, from
/// its tokens ([`Cfg::read`]), and decided in one place ([`Cfg::value`]).
enum Cfg {
    /// `test`, `unix`.
    Name(String),
    /// `feature = "x"`, `target_os = "linux"`.
    Pair(String, String),
    /// `any(..)` (false), `all(..)` (true).
    AnyAll(bool, Vec<Cfg>),
    Not(Vec<Cfg>),
    /// Anything else (`foo(..)`, a path with `::`, a literal that is not a string, a list whose
    /// arguments do not parse): unknown.
    Unknown,
}

impl Cfg {
    /// A predicate as syn parsed it (a list's arguments parsed here, all before any is decided,
    /// as the arguments of one list are).
    fn of_meta(meta: &syn::Meta) -> Cfg {
        let ident = |p: &syn::Path| p.get_ident().map(ToString::to_string);
        match meta {
            syn::Meta::Path(p) => ident(p).map_or(Cfg::Unknown, Cfg::Name),
            syn::Meta::NameValue(nv) => match (&nv.value, ident(&nv.path)) {
                (
                    syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(s),
                        ..
                    }),
                    Some(key),
                ) => Cfg::Pair(key, s.value()),
                _ => Cfg::Unknown,
            },
            syn::Meta::List(list) => {
                let args = || {
                    list.parse_args_with(
                        syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
                    )
                    .ok()
                    .map(|args| args.iter().map(Cfg::of_meta).collect())
                };
                let list_of = |f: fn(Vec<Cfg>) -> Cfg| args().map_or(Cfg::Unknown, f);
                if list.path.is_ident("any") {
                    list_of(|parts| Cfg::AnyAll(false, parts))
                } else if list.path.is_ident("all") {
                    list_of(|parts| Cfg::AnyAll(true, parts))
                } else if list.path.is_ident("not") {
                    list_of(Cfg::Not)
                } else {
                    Cfg::Unknown
                }
            }
        }
    }

    fn read(tokens: proc_macro2::TokenStream) -> Option<Cfg> {
        use proc_macro2::{Delimiter, Spacing, TokenTree};
        let mut it = tokens.into_iter();
        let TokenTree::Ident(name) = it.next()? else {
            return None;
        };
        let second = it.next();
        let third = it.next();
        if it.next().is_some() {
            return None;
        }
        Some(match (second, third) {
            (None, _) => Cfg::Name(name.to_string()),
            (Some(TokenTree::Punct(eq)), Some(TokenTree::Literal(lit)))
                if eq.as_char() == '=' && eq.spacing() == Spacing::Alone =>
            {
                let lit = lit.to_string();
                let value = lit.strip_prefix('"')?.strip_suffix('"')?;
                if value.contains(['\\', '"']) {
                    return None;
                }
                Cfg::Pair(name.to_string(), value.to_string())
            }
            (Some(TokenTree::Group(g)), None) if g.delimiter() == Delimiter::Parenthesis => {
                let name = name.to_string();
                let all = match name.as_str() {
                    "any" => false,
                    "all" => true,
                    "not" => return Some(Cfg::Not(Self::read_list(g.stream())?)),
                    _ => return Some(Cfg::Unknown),
                };
                Cfg::AnyAll(all, Self::read_list(g.stream())?)
            }
            _ => return None,
        })
    }

    /// The predicates of a list, separated by commas (none after the last).
    fn read_list(tokens: proc_macro2::TokenStream) -> Option<Vec<Cfg>> {
        let mut parts = Vec::new();
        let mut part = proc_macro2::TokenStream::new();
        let mut trailing = false;
        for t in tokens {
            match &t {
                proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                    parts.push(Self::read(std::mem::take(&mut part))?);
                    trailing = true;
                }
                _ => {
                    part.extend([t]);
                    trailing = false;
                }
            }
        }
        if trailing {
            return None;
        }
        if !part.is_empty() {
            parts.push(Self::read(part)?);
        }
        Some(parts)
    }

    /// Its value: see [`cfg_value`].
    fn value(&self) -> Option<bool> {
        use crate::syntax::build_cfg::{cfg_test_off, feature_on, platform};
        match self {
            Cfg::Name(name) => {
                if name == "test" && cfg_test_off() {
                    return Some(false);
                }
                platform().and_then(|p| p.name(name))
            }
            Cfg::Pair(key, value) if key == "feature" => feature_on(value),
            Cfg::Pair(key, value) => platform().and_then(|p| p.pair(key, value)),
            Cfg::AnyAll(all, parts) => {
                // `all(..)` is false once one part is, `any(..)` true once one part is.
                let mut known = true;
                for p in parts {
                    match p.value() {
                        Some(v) if v != *all => return Some(v),
                        Some(_) => {}
                        None => known = false,
                    }
                }
                known.then_some(*all)
            }
            Cfg::Not(parts) => match parts.as_slice() {
                [one] => one.value().map(|v| !v),
                _ => None,
            },
            Cfg::Unknown => None,
        }
    }
}

/// The attributes of an item.
pub(super) fn item_attrs(item: &Item) -> &[syn::Attribute] {
    match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never(src: &str) -> bool {
        let item: Item = syn::parse_str(src).unwrap();
        cfg_never(item_attrs(&item))
    }

    #[test]
    fn cfgs_that_no_build_satisfies() {
        assert!(never("#[cfg(any())] fn f() {}"));
        assert!(never("#[cfg(all(any()))] fn f() {}"));
        assert!(never("#[cfg(all(unix, any()))] fn f() {}"));
        assert!(never("#[cfg(not(all()))] mod m {}"));
        assert!(never("#[cfg(any(any(), not(all())))] mod m;"));
        assert!(never("#[cfg(unix)] #[cfg(any( ))] use a::b;"));
        assert!(never("mod m { #![cfg(any())] }"));
        // Anything a build may satisfy is linted.
        assert!(!never("#[cfg(unix)] fn f() {}"));
        assert!(!never("#[cfg(all())] fn f() {}"));
        assert!(!never("#[cfg(not(any()))] fn f() {}"));
        assert!(!never("#[cfg(any(unix, any()))] fn f() {}"));
        assert!(!never("#[cfg(all(feature = \"x\", not(any())))] fn f() {}"));
        assert!(!never("#[cfg_attr(any(), allow(x))] fn f() {}"));
        assert!(!never("fn f() {}"));
    }
}

#[cfg(test)]
mod cfg_test_off_tests {
    use super::*;

    #[test]
    fn cfg_test_is_off_only_when_said() {
        let item: syn::ItemFn = syn::parse_quote! { #[cfg(test)] fn f() {} };
        assert!(!cfg_never(&item.attrs));
        use crate::syntax::build_cfg::with_cfg_test_off;
        assert!(with_cfg_test_off(true, || cfg_never(&item.attrs)));
        let not: syn::ItemFn = syn::parse_quote! { #[cfg(not(test))] fn f() {} };
        assert!(!with_cfg_test_off(true, || cfg_never(&not.attrs)));
        assert!(!cfg_never(&item.attrs));
    }
}

#[cfg(test)]
mod platform_tests {
    use super::*;
    use crate::syntax::build_cfg::with_platform;
    use crate::workspace::platform::Platform;

    #[test]
    fn a_known_platform_decides_only_its_own_keys() {
        let linux: &'static Platform = Box::leak(Box::new(Platform {
            names: ["unix", "debug_assertions"].map(String::from).into(),
            pairs: [("target_os", "linux"), ("target_arch", "x86_64")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
        }));
        let never = |src: &str| {
            let item: Item = syn::parse_str(src).unwrap();
            with_platform(Some(linux), || cfg_never(item_attrs(&item)))
        };
        assert!(never("#[cfg(windows)] fn f() {}"));
        assert!(never("#[cfg(target_arch = \"arm\")] mod m;"));
        assert!(never(
            "#[cfg(all(unix, not(target_os = \"linux\")))] fn f() {}"
        ));
        assert!(!never("#[cfg(unix)] fn f() {}"));
        assert!(!never(
            "#[cfg(any(windows, target_os = \"linux\"))] fn f() {}"
        ));
        // Keys a platform does not decide stay unknown.
        assert!(!never("#[cfg(not(debug_assertions))] fn f() {}"));
        assert!(!never(
            "#[cfg(all(windows_sys_custom, not(panic = \"abort\")))] fn f() {}"
        ));
        assert!(!never(
            "#[cfg(all(not(tokio_unstable), windows_like))] fn f() {}"
        ));
        // Without the platform, nothing is decided.
        let item: Item = syn::parse_str("#[cfg(windows)] fn f() {}").unwrap();
        assert!(!cfg_never(item_attrs(&item)));
    }
}

#[cfg(test)]
mod simple_cfg_tests {
    use super::*;
    use crate::syntax::build_cfg::{with_cfg_test_off, with_features, with_platform};
    use crate::workspace::platform::Platform;

    /// The predicates of the common shapes are read from their tokens, to the value syn's parse
    /// gives, whatever is known of the build; other shapes are left to syn.
    #[test]
    fn common_cfg_shapes_are_read_from_tokens_as_syn_reads_them() {
        let linux: &'static Platform = Box::leak(Box::new(Platform {
            names: ["unix"].map(String::from).into(),
            pairs: [("target_os", "linux")]
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .into(),
        }));
        let simple = [
            "feature = \"a\"",
            "feature = \"b-c\"",
            "not(feature = \"a\")",
            "not(not(feature = \"b\"))",
            "test",
            "not(test)",
            "unix",
            "windows",
            "target_os = \"linux\"",
            "not(target_os = \"macos\")",
            "panic = \"abort\"",
            "any(feature = \"a\", unix)",
            "all(feature = \"b\", not(test))",
            "any(windows, all(unix, not(feature = \"b\")))",
            "all()",
            "any()",
            "not(feature = \"a\", unix)",
            "docsrs_like(anything = 1)",
        ];
        let left_to_syn = [
            "any(feature = \"a\", unix,)",
            "all(a::b)",
            "feature = \"a\\u{62}\"",
            "feature = r\"a\"",
            "not(feature = \"a\",)",
            "not[feature = \"a\"]",
            "feature = 1",
            "feature == \"a\"",
        ];
        let features = Some(std::sync::Arc::new(
            ["a".to_string()]
                .into_iter()
                .collect::<std::collections::BTreeSet<String>>(),
        ));
        for off in [false, true] {
            for f in [None, features.clone()] {
                for p in [None, Some(linux)] {
                    let check = |pred: &str, expect_simple: bool| {
                        let tokens: proc_macro2::TokenStream = pred.parse().unwrap();
                        let fast = simple_cfg_value(&tokens);
                        assert_eq!(fast.is_some(), expect_simple, "{pred}");
                        if let (Some(fast), Ok(meta)) = (fast, syn::parse_str::<syn::Meta>(pred)) {
                            assert_eq!(fast, cfg_value(&meta), "{pred} (test off: {off})");
                        }
                        // The item check and the prescan's check agree with syn too.
                        let src = format!("#[cfg({pred})] fn f() {{}}");
                        let item: Item = syn::parse_str(&src).unwrap();
                        let by_syn = syn::parse_str::<syn::Meta>(pred)
                            .ok()
                            .and_then(|m| cfg_value(&m))
                            == Some(false);
                        assert_eq!(cfg_never(item_attrs(&item)), by_syn, "{pred}");
                        assert_eq!(
                            super::super::cfg_rules_out(&format!("#[cfg({pred})]")),
                            by_syn,
                            "{pred}"
                        );
                    };
                    with_cfg_test_off(off, || {
                        with_features(&f, || {
                            with_platform(p, || {
                                for pred in simple {
                                    check(pred, true);
                                }
                                for pred in left_to_syn {
                                    check(pred, false);
                                }
                            })
                        })
                    });
                }
            }
        }
        // Decided as expected (not only as syn does): a feature that is off rules the item out.
        with_features(&features, || {
            assert!(super::super::cfg_rules_out("#[cfg(feature = \"b\")]"));
            assert!(!super::super::cfg_rules_out("#[cfg(feature = \"a\")]"));
            assert!(super::super::cfg_rules_out("#[cfg(not(feature = \"a\"))]"));
        });
    }
}
