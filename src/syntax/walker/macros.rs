//! Macros: the arguments of trusted expression macros (`println!`, `assert!`, tracing's
//! field sets, ...) are parsed and walked as expressions; item-position macro bodies that parse
//! as items are expanded into their module.

use super::Walker;
use super::scope::{Resolved, path_segments};
use super::shapes::IdentCollector;
use crate::util::fxhash::FxHashMap as HashMap;
use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;
use syn::{Expr, Item};

/// Macros whose arguments are ordinary Rust expressions (after an optional format string and
/// `name = ` prefixes). Keyed by the macro's last path segment.
pub(super) const EXPR_MACROS: &[&str] = &[
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
pub(super) const MACRO_CRATES: &[&str] = &[
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
/// Splits macro input at top-level `,` and `;`.
/// The length of a format / tracing argument's `name =`, `name:` (not `::`), `%` and `?`
/// prefixes.
pub(super) fn macro_arg_prefix_len(tts: &[TokenTree]) -> usize {
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
/// For each item-position macro invocation (not `macro_rules!`) whose body parses as items:
/// its index and those items, with nested macros expanded the same way.
/// Whether a macro body has, at its top level, a keyword that starts an item the walker uses
/// (a cheap test before parsing the body as items).
pub(super) fn has_item_keyword(tokens: &TokenStream) -> bool {
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

pub(super) fn expand_item_macros(items: &[Item]) -> Vec<(usize, Vec<Item>)> {
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

impl Walker<'_> {
    pub(super) fn walk_macro(&mut self, mac: &syn::Macro) {
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
                match self.scopes.resolve(&segs) {
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
    pub(super) fn walk_macro_args(&mut self, tokens: TokenStream, field_sets: bool) {
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
}

#[cfg(test)]
mod tests {
    use super::super::tests::paths;

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
