//! Tests of name resolution: [`Scopes`](super::Scopes) built directly, and paths through the walker.

use super::super::tests::{calls, paths};
use super::*;

/// Scopes for a crate `demo` whose root module holds the items of `src`.
fn module<'a>(kb: &'a Kb, src: &str) -> (Scopes<'a>, syn::File) {
    let file = syn::parse_file(src).unwrap();
    let mut scopes = Scopes::new(kb, "demo".into());
    let _ = scopes.enter_module("demo", &file.items);
    (scopes, file)
}

fn resolve(scopes: &Scopes<'_>, path: &str) -> Vec<String> {
    let segs: Vec<String> = path.split("::").map(String::from).collect();
    match scopes.resolve(&segs) {
        Resolved::Paths(p) => p,
        Resolved::Local => vec!["<local>".into()],
    }
}

#[test]
fn module_scope_resolves_without_a_walk() {
    let kb = Kb::default();
    let (scopes, _file) = module(
        &kb,
        r#"
        use std::fs;
        use tokio::time::{self, sleep as nap};
        use crate::inner::helper;
        mod inner { pub fn helper() {} }
        fn local() {}
    "#,
    );
    assert_eq!(resolve(&scopes, "fs::read"), ["std::fs::read"]);
    assert_eq!(resolve(&scopes, "nap"), ["tokio::time::sleep"]);
    assert_eq!(resolve(&scopes, "time::timeout"), ["tokio::time::timeout"]);
    assert_eq!(resolve(&scopes, "helper"), ["demo::inner::helper"]);
    assert_eq!(resolve(&scopes, "local"), ["demo::local"]);
    assert_eq!(resolve(&scopes, "self::local"), ["demo::local"]);
    assert_eq!(resolve(&scopes, "Vec::new"), ["std::vec::Vec::new"]);
    // Unknown names are taken as written (an extern crate path).
    assert_eq!(
        resolve(&scopes, "serde_json::from_str"),
        ["serde_json::from_str"]
    );
}

#[test]
fn imports_of_one_name_under_other_cfgs_are_all_candidates() {
    let kb = Kb::default();
    let (scopes, _file) = module(
        &kb,
        r#"
        #[cfg(unix)]
        use std::os::unix::net::UnixStream as Stream;
        #[cfg(windows)]
        use uds_windows::UnixStream as Stream;
    "#,
    );
    assert_eq!(
        resolve(&scopes, "Stream::connect"),
        [
            "std::os::unix::net::UnixStream::connect",
            "uds_windows::UnixStream::connect"
        ]
    );
}

#[test]
fn blocks_shadow_the_module_and_locals_shadow_imports() {
    let kb = Kb::default();
    let (mut scopes, _file) = module(&kb, "use std::thread::sleep;");
    assert_eq!(resolve(&scopes, "sleep"), ["std::thread::sleep"]);
    let block: syn::Block = syn::parse_str("{ use tokio::time::sleep; }").unwrap();
    let mut scope = Scope::default();
    let items = block.stmts.iter().filter_map(|s| match s {
        syn::Stmt::Item(i) => Some(i),
        _ => None,
    });
    scopes.collect_items(items, "demo::f", &mut scope);
    scopes.blocks.push(scope);
    assert_eq!(resolve(&scopes, "sleep"), ["tokio::time::sleep"]);
    scopes.add_local("sleep".into(), Ty::Unknown);
    assert_eq!(resolve(&scopes, "sleep"), ["<local>"]);
    scopes.blocks.pop();
    assert_eq!(resolve(&scopes, "sleep"), ["std::thread::sleep"]);
}

/// A scope holding the items and imports of block `src`, as the walker collects them.
fn block_scope(scopes: &Scopes<'_>, src: &str, prefix: &str) -> Scope {
    let block: syn::Block = syn::parse_str(src).unwrap();
    let mut scope = Scope::default();
    let items = block.stmts.iter().filter_map(|s| match s {
        syn::Stmt::Item(i) => Some(i),
        _ => None,
    });
    scopes.collect_items(items, prefix, &mut scope);
    scope
}

#[test]
fn nested_items_see_the_blocks_items_and_imports_not_their_locals() {
    let kb = Kb::default();
    let (mut scopes, _file) = module(&kb, "use std::thread::sleep; fn main() {}");
    let outer = block_scope(
        &scopes,
        "{ use tokio::runtime::Runtime; const LIMIT: u8 = 1; fn helper() {} }",
        "demo::main",
    );
    scopes.blocks.push(outer);
    scopes.add_local("rt".into(), Ty::Path("tokio::runtime::Runtime".into()));
    scopes.add_local("sleep".into(), Ty::Unknown);
    assert_eq!(resolve(&scopes, "rt"), ["<local>"]);
    assert_eq!(resolve(&scopes, "sleep"), ["<local>"]);
    // `fn nested() { .. }` in that block: its body is a new fn body on top.
    let saved = scopes.enter_item_body();
    scopes.blocks.push(Scope::default());
    assert_eq!(
        resolve(&scopes, "Runtime::new"),
        ["tokio::runtime::Runtime::new"]
    );
    assert_eq!(resolve(&scopes, "helper"), ["demo::main::helper"]);
    assert_eq!(resolve(&scopes, "LIMIT"), ["demo::main::LIMIT"]);
    // The enclosing body's locals are not in scope: the names mean what the items do.
    assert_eq!(resolve(&scopes, "sleep"), ["std::thread::sleep"]);
    assert_eq!(resolve(&scopes, "rt"), ["rt"]);
    assert!(scopes.local_ty("rt").is_none());
    // The nested body's own locals are.
    scopes.add_local("rt".into(), Ty::Unknown);
    assert_eq!(resolve(&scopes, "rt"), ["<local>"]);
    scopes.leave_item_body(saved);
    assert_eq!(scopes.blocks.len(), 1);
    assert_eq!(scopes.fn_base, 0);
    assert!(scopes.local_ty("rt").is_some());
}

#[test]
fn a_module_in_a_fn_body_sees_nothing_of_the_blocks() {
    let kb = Kb::default();
    let (mut scopes, _file) = module(&kb, "");
    let outer = block_scope(&scopes, "{ use tokio::runtime::Runtime; }", "demo::main");
    scopes.blocks.push(outer);
    let saved = scopes.enter_module("demo::main::inner", []);
    assert_eq!(resolve(&scopes, "Runtime::new"), ["Runtime::new"]);
    scopes.leave_module(saved);
    assert_eq!(
        resolve(&scopes, "Runtime::new"),
        ["tokio::runtime::Runtime::new"]
    );
}

#[test]
fn fns_nested_in_a_body_resolve_through_its_imports() {
    // Every rustdoc example: `use` lines at the top of an implicit `fn main`, items beside.
    let src = r#"
        use std::thread::sleep;
        fn main() {
            use tokio::runtime::Runtime;
            use tokio::time::sleep;
            let sleep = 1;
            fn helper() { Runtime::new(); sleep(d); }
            async fn nested() {
                let Runtime = 2;
                fn deeper() { Runtime::new(); }
            }
        }
    "#;
    assert_eq!(
        paths(src),
        [
            "tokio::runtime::Runtime::new",
            "tokio::time::sleep",
            "tokio::runtime::Runtime::new",
        ]
    );
}

#[test]
fn reexports_are_resolved_and_sorted() {
    let kb = Kb::default();
    let (scopes, _file) = module(
        &kb,
        "pub use std::fs::read as load; pub use crate::inner::*; mod inner {}",
    );
    assert_eq!(
        scopes.reexports(),
        [
            ("demo::*".to_string(), "demo::inner".to_string()),
            ("demo::load".to_string(), "std::fs::read".to_string()),
        ]
    );
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
