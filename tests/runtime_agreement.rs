//! The linter flags exactly the functions of the runtime fixtures crate that misbehave at run
//! time (`bad_*`, proven by that crate's own tests) and none of their fixed versions (`good_*`).

mod common;
use common::*;
use std::collections::BTreeSet;

#[test]
fn flags_exactly_the_misbehaving_functions() {
    let src = root().join("fixtures/runtime");
    let report = lint_with(&[src.join("src")], 0, true);
    let flagged: BTreeSet<String> = report
        .diagnostics()
        .filter(|(_, d)| d.lint != "parse_error")
        .map(|(_, d)| d.item.clone())
        .collect();
    let mut bad = BTreeSet::new();
    let mut good = BTreeSet::new();
    for f in rs_files(&src.join("src")) {
        let ast = syn::parse_file(&std::fs::read_to_string(&f).unwrap()).unwrap();
        for item in ast.items {
            if let syn::Item::Fn(func) = item {
                let name = func.sig.ident.to_string();
                if name.starts_with("bad_") {
                    bad.insert(name);
                } else if name.starts_with("good_") {
                    good.insert(name);
                }
            }
        }
    }
    assert!(
        bad.len() >= 8 && good.len() >= 8,
        "bad: {bad:?} good: {good:?}"
    );
    assert_eq!(
        flagged, bad,
        "the linter must flag exactly the bad_* functions"
    );
    assert!(flagged.is_disjoint(&good));
}
