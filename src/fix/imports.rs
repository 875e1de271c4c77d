//! Imports that a fix leaves unused. `use std::thread;` stops being used when the fixed
//! `thread::sleep(..)` was the file's last `thread::..`, and `-D warnings` then fails the build
//! on `unused_imports`. Before the edits of a file are applied, each rewritten path's first
//! segment is looked up: a path from `std` / `core` needs nothing; a name bound by exactly one
//! private `use` of a `std` / `core` path in the file is counted where it is used, and its
//! binding is removed when the rewritten calls were all its uses. Anything else (a name from a
//! glob, bound twice, `pub use`, reached through `crate::` / `self::` / `super::`) cannot be
//! checked from the file alone: those fixes are not applied, and their findings stay.
//!
//! Uses are counted on the file's tokens (macro bodies included, comments and strings not):
//! `thread::..` not after `.` or `::` for a module, `sleep` not after `.`, `::` or `as` and not
//! before `::` or `!` for a function. A local variable with the name of an imported function
//! counts as a use (the import is kept).

use crate::syntax::source::{LineIndex, Loc};
use proc_macro2::{Span, TokenStream, TokenTree};
use syn::visit::Visit;

/// What the import check decided for the edit groups of one file.
#[derive(Debug, Default)]
pub struct Plan {
    /// Per group (as given): whether it may be applied.
    pub keep: Vec<bool>,
    /// Byte ranges to replace, with their replacement: imports the kept groups leave unused.
    pub edits: Vec<(usize, usize, String)>,
}

/// One name a `use` item binds.
struct Binding {
    name: String,
    /// The imported path (`std::thread`).
    path: String,
    public: bool,
    /// The item (index into `Uses::items`), and the leaf's position in it.
    item: usize,
    leaf: Leaf,
}

/// Where a binding sits in its `use` tree: the chain of groups from the root to it, each as
/// (group index in `Uses::groups`, element index).
#[derive(Clone, Debug)]
struct Leaf {
    chain: Vec<(usize, usize)>,
}

/// A `{ .. }` group of a use tree: the byte ranges of its braces' contents and of each element,
/// and whether a comma follows the last element.
struct Group {
    /// From `{` to `}` inclusive.
    range: (usize, usize),
    elems: Vec<(usize, usize)>,
    /// The byte range of the comma after each element (None for the last without one).
    commas: Vec<Option<(usize, usize)>>,
}

#[derive(Default)]
struct Uses {
    /// Each `use` item's byte range (attributes included).
    items: Vec<(usize, usize)>,
    /// Whether each item has a glob (which binds names not listed).
    globs: Vec<bool>,
    groups: Vec<Group>,
    bindings: Vec<Binding>,
}

struct Collect<'a> {
    lines: &'a LineIndex<'a>,
    out: Uses,
}

impl Collect<'_> {
    fn range(&self, lo: Span, hi: Span) -> (usize, usize) {
        let loc = Loc::between(lo, hi);
        (
            self.lines.offset(loc.line, loc.col),
            self.lines.offset(loc.end_line, loc.end_col),
        )
    }

    fn tree(&mut self, t: &syn::UseTree, prefix: &str, item: usize, public: bool, leaf: &Leaf) {
        let join = |name: &str| {
            if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}::{name}")
            }
        };
        match t {
            syn::UseTree::Path(p) => {
                let prefix = join(&p.ident.to_string());
                self.tree(&p.tree, &prefix, item, public, leaf)
            }
            syn::UseTree::Name(n) => {
                let name = n.ident.to_string();
                let (name, path) = if name == "self" {
                    let last = prefix.rsplit("::").next().unwrap_or_default().to_string();
                    (last, prefix.to_string())
                } else {
                    let path = join(&name);
                    (name, path)
                };
                self.bind(name, path, item, public, leaf);
            }
            syn::UseTree::Rename(r) => {
                let alias = r.rename.to_string();
                if alias != "_" {
                    let path = if r.ident == "self" {
                        prefix.to_string()
                    } else {
                        join(&r.ident.to_string())
                    };
                    self.bind(alias, path, item, public, leaf);
                }
            }
            syn::UseTree::Glob(_) => self.out.globs[item] = true,
            syn::UseTree::Group(g) => {
                use syn::spanned::Spanned;
                let gi = self.out.groups.len();
                let elems: Vec<(usize, usize)> = g
                    .items
                    .iter()
                    .map(|e| {
                        let s = e.span();
                        self.range(s, s)
                    })
                    .collect();
                let commas = g
                    .items
                    .pairs()
                    .map(|p| p.punct().map(|c| self.range(c.span, c.span)))
                    .collect();
                let span = g.brace_token.span;
                self.out.groups.push(Group {
                    range: self.range(span.open(), span.close()),
                    elems,
                    commas,
                });
                for (i, e) in g.items.iter().enumerate() {
                    let mut l = leaf.clone();
                    l.chain.push((gi, i));
                    self.tree(e, prefix, item, public, &l);
                }
            }
        }
    }

    fn bind(&mut self, name: String, path: String, item: usize, public: bool, leaf: &Leaf) {
        self.out.bindings.push(Binding {
            name,
            path,
            public,
            item,
            leaf: leaf.clone(),
        });
    }
}

impl<'ast> Visit<'ast> for Collect<'_> {
    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let first = u
            .attrs
            .first()
            .map(|a| a.pound_token.span)
            .unwrap_or_else(|| match &u.vis {
                syn::Visibility::Inherited => u.use_token.span,
                syn::Visibility::Public(p) => p.span,
                syn::Visibility::Restricted(r) => r.pub_token.span,
            });
        let item = self.out.items.len();
        let range = self.range(first, u.semi_token.span);
        self.out.items.push(range);
        self.out.globs.push(false);
        let public = !matches!(u.vis, syn::Visibility::Inherited);
        self.tree(&u.tree, "", item, public, &Leaf { chain: Vec::new() });
    }
}

/// How a rewritten path names what it calls.
enum Head {
    /// `std::..`, `core::..`: nothing imported.
    Rooted,
    /// `thread::sleep`: a module named by an import.
    Module(String),
    /// `sleep`: a function named by an import.
    Function(String),
    /// Anything else (`crate::`, `self::`, `super::`, `<T>::`).
    Unknown,
}

fn head_of(path: &str) -> Head {
    let path: String = path.chars().filter(|c| !c.is_whitespace()).collect();
    let path = path.strip_prefix("::").unwrap_or(&path);
    let segs: Vec<&str> = path.split("::").collect();
    let ident = |s: &str| {
        !s.is_empty()
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !s.starts_with(|c: char| c.is_ascii_digit())
    };
    if !segs.iter().all(|s| ident(s)) {
        return Head::Unknown;
    }
    match segs[..] {
        ["std" | "core", _, ..] => Head::Rooted,
        ["crate" | "self" | "super" | "Self", ..] => Head::Unknown,
        [one] => Head::Function(one.to_string()),
        [first, _, ..] => Head::Module(first.to_string()),
        [] => Head::Unknown,
    }
}

/// An identifier token's byte range and what surrounds it.
struct IdentTok {
    name: String,
    range: (usize, usize),
    /// After `.`, `::` or `as`.
    after_path_or_dot: bool,
    /// Before `::` (a path goes on) or `!` (a macro).
    before_path_or_bang: bool,
}

fn idents(ts: TokenStream, lines: &LineIndex<'_>, out: &mut Vec<IdentTok>) {
    let toks: Vec<TokenTree> = ts.into_iter().collect();
    for (i, t) in toks.iter().enumerate() {
        match t {
            TokenTree::Group(g) => idents(g.stream(), lines, out),
            TokenTree::Ident(id) => {
                let punct = |j: Option<usize>| match j.and_then(|j| toks.get(j)) {
                    Some(TokenTree::Punct(p)) => Some(p.as_char()),
                    _ => None,
                };
                let prev = punct(i.checked_sub(1));
                let prev2 = punct(i.checked_sub(2));
                let after = prev == Some('.')
                    || (prev == Some(':') && prev2 == Some(':'))
                    || matches!(i.checked_sub(1).and_then(|j| toks.get(j)), Some(TokenTree::Ident(a)) if a == "as");
                let next = punct(Some(i + 1));
                let before =
                    next == Some('!') || (next == Some(':') && punct(Some(i + 2)) == Some(':'));
                let loc = Loc::of(id.span());
                out.push(IdentTok {
                    name: id.to_string(),
                    range: (
                        lines.offset(loc.line, loc.col),
                        lines.offset(loc.end_line, loc.end_col),
                    ),
                    after_path_or_dot: after,
                    before_path_or_bang: before,
                });
            }
            _ => {}
        }
    }
}

/// Decides which edit groups of a file may be applied, and which imports they leave unused.
/// `groups` holds, per finding, its edits as byte ranges of `text` with their replacements.
pub fn plan(text: &str, groups: &[Vec<(usize, usize, &str)>]) -> Plan {
    let mut plan = Plan {
        keep: vec![true; groups.len()],
        edits: Vec::new(),
    };
    // The rewritten paths, by group.
    let heads: Vec<Vec<(Head, (usize, usize))>> = groups
        .iter()
        .map(|g| {
            g.iter()
                .filter(|(lo, hi, _)| lo < hi)
                .map(|&(lo, hi, _)| (head_of(text.get(lo..hi).unwrap_or("")), (lo, hi)))
                .collect()
        })
        .collect();
    let needs_imports = heads
        .iter()
        .flatten()
        .any(|(h, _)| !matches!(h, Head::Rooted));
    if !needs_imports {
        return plan;
    }
    let body = text.trim_start_matches('\u{feff}');
    let (Ok(file), Ok(tokens)) = (syn::parse_file(body), body.parse::<TokenStream>()) else {
        // Cannot check: apply only what needs no import.
        for (k, h) in plan.keep.iter_mut().zip(&heads) {
            *k = h.iter().all(|(h, _)| matches!(h, Head::Rooted));
        }
        return plan;
    };
    let lines = LineIndex::new(text);
    let mut c = Collect {
        lines: &lines,
        out: Uses::default(),
    };
    c.visit_file(&file);
    let uses = c.out;
    let mut toks = Vec::new();
    idents(tokens, &lines, &mut toks);

    // Names whose imports are checked: (name, is a module).
    let mut names: Vec<(String, bool)> = Vec::new();
    for (g, hs) in heads.iter().enumerate() {
        for (h, _) in hs {
            let (name, module) = match h {
                Head::Rooted => continue,
                Head::Module(n) => (n, true),
                Head::Function(n) => (n, false),
                Head::Unknown => {
                    plan.keep[g] = false;
                    continue;
                }
            };
            let bound: Vec<&Binding> = uses.bindings.iter().filter(|b| &b.name == name).collect();
            let checkable = bound.len() == 1
                && !bound[0].public
                && (bound[0].path.starts_with("std::") || bound[0].path.starts_with("core::"));
            if !checkable {
                plan.keep[g] = false;
            } else if !names.iter().any(|(n, _)| n == name) {
                names.push((name.clone(), module));
            }
        }
    }
    // Removed bindings, by item.
    let mut removed: Vec<&Binding> = Vec::new();
    for (name, module) in &names {
        let used_at = |t: &&IdentTok| {
            &t.name == name
                && !t.after_path_or_dot
                && if *module {
                    t.before_path_or_bang
                } else {
                    !t.before_path_or_bang
                }
        };
        let covered = |t: &IdentTok| {
            heads.iter().zip(&plan.keep).any(|(hs, keep)| {
                *keep
                    && hs
                        .iter()
                        .any(|(_, (lo, hi))| *lo <= t.range.0 && t.range.1 <= *hi)
            })
        };
        let remaining = toks.iter().filter(used_at).filter(|t| !covered(t)).count();
        if remaining == 0
            && let Some(b) = uses.bindings.iter().find(|b| &b.name == name)
        {
            removed.push(b);
        }
    }
    for item in 0..uses.items.len() {
        let gone: Vec<&Binding> = removed.iter().copied().filter(|b| b.item == item).collect();
        if gone.is_empty() {
            continue;
        }
        let all = uses.bindings.iter().filter(|b| b.item == item).count();
        if gone.len() == all && !uses.globs[item] {
            plan.edits.push(remove_item(text, uses.items[item]));
        } else {
            remove_leaves(text, &uses, &gone, &mut plan.edits);
        }
    }
    plan
}

/// Removes a whole `use` item: its lines when it has them to itself.
fn remove_item(text: &str, (lo, hi): (usize, usize)) -> (usize, usize, String) {
    let line_start = text[..lo].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[hi..].find('\n').map_or(text.len(), |i| hi + i + 1);
    let before_blank = text[line_start..lo].trim().is_empty();
    let after_blank = text[hi..line_end].trim().is_empty();
    if before_blank && after_blank {
        (line_start, line_end, String::new())
    } else {
        (lo, hi, String::new())
    }
}

/// Removes some elements of a use tree's groups (not all of the item's bindings).
fn remove_leaves(
    text: &str,
    uses: &Uses,
    gone: &[&Binding],
    edits: &mut Vec<(usize, usize, String)>,
) {
    // Elements removed per group; a group left empty removes its own element from its parent.
    let mut by_group: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
    for b in gone {
        let mut chain = b.leaf.chain.clone();
        while let Some((g, e)) = chain.pop() {
            let list = by_group.entry(g).or_default();
            if !list.contains(&e) {
                list.push(e);
            }
            if list.len() < uses.groups[g].elems.len() {
                break;
            }
        }
    }
    for (g, mut gone) in by_group {
        let group = &uses.groups[g];
        if gone.len() == group.elems.len() {
            continue; // removed with its parent's element
        }
        gone.sort_unstable();
        let kept: Vec<usize> = (0..group.elems.len())
            .filter(|e| !gone.contains(e))
            .collect();
        if kept.len() == 1 {
            let (lo, hi) = group.elems[kept[0]];
            let single_line = !text[group.range.0..group.range.1].contains('\n');
            if single_line {
                edits.push((group.range.0, group.range.1, text[lo..hi].to_string()));
                continue;
            }
        }
        // Runs of removed elements: up to the next kept element, or for a run at the end,
        // from the last kept element's end (or its comma, when the group has a trailing one).
        let mut i = 0;
        while i < gone.len() {
            let mut j = i;
            while j + 1 < gone.len() && gone[j + 1] == gone[j] + 1 {
                j += 1;
            }
            let (first, last) = (gone[i], gone[j]);
            if last + 1 < group.elems.len() {
                edits.push((group.elems[first].0, group.elems[last + 1].0, String::new()));
            } else {
                let prev = first - 1; // some element is kept, and none after `last`
                let trailing = group.commas[last].is_some();
                let lo = if trailing {
                    group.commas[prev].map_or(group.elems[prev].1, |c| c.1)
                } else {
                    group.elems[prev].1
                };
                let hi = group.commas[last].map_or(group.elems[last].1, |c| c.1);
                edits.push((lo, hi, String::new()));
            }
            i = j + 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies the plan to `text` with every group's edits.
    fn fixed(text: &str, groups: &[Vec<(usize, usize, &str)>]) -> String {
        let p = plan(text, groups);
        let mut edits: Vec<(usize, usize, String)> = p.edits.clone();
        for (g, keep) in groups.iter().zip(&p.keep) {
            if *keep {
                edits.extend(g.iter().map(|(lo, hi, r)| (*lo, *hi, r.to_string())));
            }
        }
        edits.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
        let mut out = text.to_string();
        for (lo, hi, r) in edits {
            out.replace_range(lo..hi, &r);
        }
        out
    }

    /// The groups for every occurrence of `call` (rewritten to `to`, `.await` appended after
    /// the closing parenthesis of its argument list `(..)`).
    fn groups<'a>(text: &str, call: &str, to: &'a str) -> Vec<Vec<(usize, usize, &'a str)>> {
        text.match_indices(call)
            .map(|(at, _)| {
                let close = at + text[at..].find(')').unwrap() + 1;
                vec![(at, at + call.len(), to), (close, close, ".await")]
            })
            .collect()
    }

    #[test]
    fn a_module_import_whose_last_use_is_fixed_goes() {
        let src = "use std::thread;\nuse std::time::Duration;\n\nasync fn f() {\n    thread::sleep(Duration::ZERO);\n}\n";
        let g = groups(src, "thread::sleep", "tokio::time::sleep");
        assert_eq!(
            fixed(src, &g),
            "use std::time::Duration;\n\nasync fn f() {\n    tokio::time::sleep(Duration::ZERO).await;\n}\n"
        );
    }

    #[test]
    fn an_import_still_used_elsewhere_stays() {
        let src = "use std::fs;\n\nasync fn f() {\n    fs::read(\"a\");\n}\nfn g() {\n    fs::read(\"b\");\n}\n";
        let g = vec![groups(src, "fs::read", "tokio::fs::read").remove(0)];
        let out = fixed(src, &g);
        assert!(out.starts_with("use std::fs;\n"), "{out}");
        assert!(out.contains("tokio::fs::read(\"a\").await"), "{out}");
        // A use inside a macro's arguments counts too.
        let src = "use std::fs;\nasync fn f() {\n    fs::read(\"a\");\n    println!(\"{:?}\", fs::metadata(\"b\"));\n}\n";
        let out = fixed(src, &groups(src, "fs::read", "tokio::fs::read"));
        assert!(out.starts_with("use std::fs;\n"), "{out}");
    }

    #[test]
    fn group_elements_and_self() {
        let src =
            "use std::{fs, thread};\nasync fn f() {\n    thread::sleep(d);\n    fs::read(p);\n}\n";
        let g = groups(src, "thread::sleep", "tokio::time::sleep");
        assert!(
            fixed(src, &g).starts_with("use std::fs;\n"),
            "{}",
            fixed(src, &g)
        );
        let src = "use std::fs::{self, File};\nasync fn f(_: File) {\n    fs::read(p);\n}\n";
        let g = groups(src, "fs::read", "tokio::fs::read");
        assert!(
            fixed(src, &g).starts_with("use std::fs::File;\n"),
            "{}",
            fixed(src, &g)
        );
        let src = "use std::{\n    fs,\n    io,\n    thread,\n};\nasync fn f(_: io::Error) {\n    thread::sleep(d);\n    fs::read(p);\n}\n";
        let g = groups(src, "thread::sleep", "tokio::time::sleep");
        assert!(
            fixed(src, &g).starts_with("use std::{\n    fs,\n    io,\n};\n"),
            "{}",
            fixed(src, &g)
        );
        let mut g = groups(src, "thread::sleep", "tokio::time::sleep");
        g.extend(groups(src, "fs::read", "tokio::fs::read"));
        assert!(
            fixed(src, &g).starts_with("use std::{\n    io,\n};\n"),
            "{}",
            fixed(src, &g)
        );
        // Every binding of the item: the item goes.
        let src =
            "use std::{fs, thread};\nasync fn f() {\n    thread::sleep(d);\n    fs::read(p);\n}\n";
        let mut g = groups(src, "thread::sleep", "tokio::time::sleep");
        g.extend(groups(src, "fs::read", "tokio::fs::read"));
        assert!(
            fixed(src, &g).starts_with("async fn f"),
            "{}",
            fixed(src, &g)
        );
    }

    #[test]
    fn a_function_import_and_a_rename() {
        let src = "use std::thread::sleep;\nasync fn f() {\n    sleep(d);\n}\n";
        let g = groups(src, "    sleep", "    tokio::time::sleep");
        assert_eq!(
            fixed(src, &g),
            "async fn f() {\n    tokio::time::sleep(d).await;\n}\n"
        );
        let src = "use std::thread::sleep as nap;\nasync fn f() {\n    nap(d);\n}\n";
        let g = groups(src, "    nap", "    tokio::time::sleep");
        assert_eq!(
            fixed(src, &g),
            "async fn f() {\n    tokio::time::sleep(d).await;\n}\n"
        );
    }

    #[test]
    fn what_cannot_be_checked_is_not_fixed() {
        // From a glob, from `pub use`, bound twice, through `crate::`: the fix is left out.
        for src in [
            "use std::thread::*;\nasync fn f() {\n    sleep(d);\n}\n",
            "pub use std::thread;\nasync fn f() {\n    thread::sleep(d);\n}\n",
            "use std::thread;\nmod m {\n    use std::thread;\n    async fn f() {\n        thread::sleep(d);\n    }\n}\n",
            "async fn f() {\n    crate::thread::sleep(d);\n}\n",
        ] {
            let call = if src.contains("crate::") {
                "crate::thread::sleep"
            } else if src.contains("thread::sleep(") {
                "thread::sleep"
            } else {
                "    sleep"
            };
            let g = groups(src, call, "tokio::time::sleep");
            assert_eq!(fixed(src, &g), src);
        }
        // A full path needs nothing.
        let src = "async fn f() {\n    std::thread::sleep(d);\n}\n";
        let g = groups(src, "std::thread::sleep", "tokio::time::sleep");
        assert_eq!(
            fixed(src, &g),
            "async fn f() {\n    tokio::time::sleep(d).await;\n}\n"
        );
    }
}
