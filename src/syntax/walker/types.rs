//! Type evidence: what the syntax says about a value's type (annotations, constructors,
//! parameters, fields, `Arc::new(x)`, method chains), recorded lazily as [`Ty`] through the
//! scopes' name resolution and resolved once the whole crate is indexed.

use super::scope::{Resolved, Scopes, path_segments};
use super::shapes::{is_constructor_path, last_ident, may_name_a_constant};
use crate::syntax::facts::Ty;
use std::sync::Arc;
use syn::{Expr, Pat, Type};

/// The type evidence of a local bound to an async closure (calling it makes a future).
pub(super) const ASYNC_CLOSURE: &str = "{async closure}";

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

impl Scopes<'_> {
    pub(super) fn ty_of_type(&self, ty: &Type) -> Ty {
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
    pub(super) fn ty_of_expr(&self, e: &Expr) -> Ty {
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
    pub(super) fn bind_pat(&mut self, pat: &Pat, ty: Ty) {
        match pat {
            Pat::Ident(pi) => {
                if let Some((_, sub)) = &pi.subpat {
                    self.bind_pat(sub, ty.clone());
                }
                let name = pi.ident.to_string();
                // `None`, a constant, a unit variant: matched against, not bound.
                if !(may_name_a_constant(pi) && self.names_item(&name)) {
                    self.add_local(name, ty);
                }
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::Kb;
    use crate::syntax::walker::scope::Scope;

    /// Scopes inside a fn body of crate `demo`, whose root module holds `items`.
    fn scopes<'a>(kb: &'a Kb, items: &str) -> Scopes<'a> {
        let file = syn::parse_file(items).unwrap();
        let mut s = Scopes::new(kb, "demo".into());
        let _ = s.enter_module("demo", &file.items);
        s.blocks.push(Scope::default());
        s
    }

    fn ty(s: &str) -> Type {
        syn::parse_str(s).unwrap()
    }

    fn expr(s: &str) -> Expr {
        syn::parse_str(s).unwrap()
    }

    fn path(p: &str) -> Ty {
        Ty::Path(p.into())
    }

    #[test]
    fn declared_types_resolve_and_see_through_result_and_references() {
        let kb = Kb::default();
        let s = scopes(&kb, "use std::sync::{Arc, Mutex}; struct Db;");
        assert_eq!(s.ty_of_type(&ty("&Mutex<u32>")), path("std::sync::Mutex"));
        assert_eq!(s.ty_of_type(&ty("std::io::Result<Db>")), path("demo::Db"));
        assert_eq!(
            s.ty_of_type(&ty("Arc<Mutex<u32>>")),
            Ty::Wrap("std::sync::Arc".into(), Arc::new(path("std::sync::Mutex")))
        );
        assert_eq!(
            s.ty_of_type(&ty("(Db, &str)")),
            Ty::Tuple(vec![path("demo::Db"), path("str")])
        );
        // Primitives and single unresolved names (generic parameters) are no evidence.
        assert_eq!(s.ty_of_type(&ty("u64")), Ty::Unknown);
        assert_eq!(s.ty_of_type(&ty("M")), Ty::Unknown);
    }

    #[test]
    fn expressions_carry_evidence_through_constructors_and_chains() {
        let kb = Kb::default();
        let mut s = scopes(&kb, "use std::rc::Rc; use std::cell::RefCell; struct Conn;");
        assert_eq!(
            s.ty_of_expr(&expr("RefCell::new(1)")),
            Ty::ReturnOf(vec!["std::cell::RefCell::new".into()])
        );
        assert_eq!(
            s.ty_of_expr(&expr("Rc::new(Conn {})")),
            Ty::Wrap("std::rc::Rc".into(), Arc::new(path("demo::Conn")))
        );
        s.add_local("c".into(), path("demo::Conn"));
        // `?`, `.await`, `.unwrap()` and references are transparent; other methods are kept
        // for the crate index to resolve.
        assert_eq!(s.ty_of_expr(&expr("(&c).unwrap()")), path("demo::Conn"));
        assert_eq!(
            s.ty_of_expr(&expr("c.lock().await?.field")),
            Ty::Field(
                Arc::new(Ty::MethodRet(Arc::new(path("demo::Conn")), "lock".into())),
                "field".into()
            )
        );
        // `*guard` is the guarded value, not the guard; an unknown local is no evidence.
        assert_eq!(s.ty_of_expr(&expr("*c")), Ty::Unknown);
        assert_eq!(s.ty_of_expr(&expr("other.lock()")), Ty::Unknown);
    }

    #[test]
    fn patterns_bind_their_names_with_the_evidence_of_their_part() {
        let kb = Kb::default();
        let mut s = scopes(&kb, "struct A; struct B;");
        let pat = |src: &str| -> Pat {
            let stmt: syn::Stmt = syn::parse_str(&format!("let {src} = x;")).unwrap();
            match stmt {
                syn::Stmt::Local(l) => l.pat,
                _ => unreachable!(),
            }
        };
        let both = Ty::Tuple(vec![path("demo::A"), path("demo::B")]);
        s.bind_pat(&pat("(a, Some(b))"), both);
        assert_eq!(s.local_ty("a"), Some(path("demo::A")));
        assert_eq!(s.local_ty("b"), Some(path("demo::B")));
        // An annotation wins over the initialiser's evidence.
        s.bind_pat(&pat("c: B"), path("demo::A"));
        assert_eq!(s.local_ty("c"), Some(path("demo::B")));
        // Variants other than `Ok` / `Some` give no evidence.
        s.bind_pat(&pat("Err(e)"), path("demo::A"));
        assert_eq!(s.local_ty("e"), Some(Ty::Unknown));
    }
}
