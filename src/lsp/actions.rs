//! Code actions for a finding: its machine-applicable fix (the edit `--fix` makes), a
//! suppression comment on its line or above its function, and its documentation.

use super::text::{Encoding, Lines};
use super::{EXPLAIN, Finding};
use lsp_types as lt;
use std::collections::HashMap;

// `lsp_types::WorkspaceEdit` keys its changes by `Uri`, whose parsed form clippy takes for
// interior mutability; the keys are never changed.
#[allow(clippy::mutable_key_type)]
pub(super) fn for_finding(
    f: &Finding,
    uri: &lt::Uri,
    text: &str,
    enc: Encoding,
) -> Vec<lt::CodeActionOrCommand> {
    let mut out = Vec::new();
    let action = |title: String, changes: HashMap<lt::Uri, Vec<lt::TextEdit>>, preferred: bool| {
        lt::CodeActionOrCommand::CodeAction(lt::CodeAction {
            title,
            kind: Some(lt::CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![f.diag.clone()]),
            edit: Some(lt::WorkspaceEdit {
                changes: Some(changes),
                ..Default::default()
            }),
            is_preferred: preferred.then_some(true),
            ..Default::default()
        })
    };
    if !f.fix.is_empty() {
        let mut changes: HashMap<lt::Uri, Vec<lt::TextEdit>> = HashMap::new();
        for (path, range, new) in &f.fix {
            changes
                .entry(super::text::path_to_uri(path))
                .or_default()
                .push(lt::TextEdit::new(*range, new.clone()));
        }
        let title = match f.helps.first() {
            Some(h) => format!("Fix `{}`: {h}", f.lint),
            None => format!("Fix `{}`", f.lint),
        };
        out.push(action(title, changes, true));
    }
    let comment = format!("// async-lint: allow({}) -- reason", f.lint);
    let line = f.diag.range.start.line as usize;
    if let Some(edit) = allow_line(text, line, &comment, enc) {
        out.push(action(
            format!("Allow `{}` on this line", f.lint),
            HashMap::from([(uri.clone(), vec![edit])]),
            false,
        ));
    }
    if let Some(first) = enclosing_fn_line(text, line + 1) {
        out.push(action(
            format!("Allow `{}` for this function", f.lint),
            HashMap::from([(uri.clone(), vec![insert_above(text, first - 1, &comment)])]),
            false,
        ));
    }
    out.push(lt::CodeActionOrCommand::Command(lt::Command {
        title: format!("Explain `{}`", f.lint),
        command: EXPLAIN.into(),
        arguments: Some(vec![serde_json::Value::String(f.lint.to_string())]),
    }));
    out
}

/// The suppression for line `line` (0-based): at its end, or on a line of its own above it when
/// the line already ends in a comment.
fn allow_line(text: &str, line: usize, comment: &str, enc: Encoding) -> Option<lt::TextEdit> {
    let content = text.lines().nth(line)?;
    if content.contains("//") {
        return Some(insert_above(text, line, comment));
    }
    // The line's end, before its `\r\n` or `\n`.
    let lines = Lines::new(text);
    let end = lines.position(
        lines.offset(lt::Position::new(line as u32, u32::MAX), enc),
        enc,
    );
    Some(lt::TextEdit::new(
        lt::Range::new(end, end),
        format!("  {comment}"),
    ))
}

/// A line of its own before line `line` (0-based), indented as that line.
fn insert_above(text: &str, line: usize, comment: &str) -> lt::TextEdit {
    let content = text.lines().nth(line).unwrap_or("");
    let indent: String = content
        .chars()
        .take_while(|c| c.is_whitespace() && *c != '\n')
        .collect();
    let at = lt::Position::new(line as u32, 0);
    lt::TextEdit::new(lt::Range::new(at, at), format!("{indent}{comment}\n"))
}

/// The first line (1-based, its attributes and doc comments included) of the innermost
/// function whose text holds line `line` (1-based); None when the text does not parse.
fn enclosing_fn_line(text: &str, line: usize) -> Option<usize> {
    use syn::spanned::Spanned;
    struct Find {
        line: usize,
        best: Option<(usize, usize)>,
    }
    impl Find {
        fn consider(&mut self, span: proc_macro2::Span) {
            let (a, b) = (span.start().line, span.end().line);
            if a <= self.line && self.line <= b && self.best.is_none_or(|(ba, bb)| b - a <= bb - ba)
            {
                self.best = Some((a, b));
            }
        }
    }
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
            self.consider(i.span());
            syn::visit::visit_item_fn(self, i);
        }
        fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
            self.consider(i.span());
            syn::visit::visit_impl_item_fn(self, i);
        }
        fn visit_trait_item_fn(&mut self, i: &'ast syn::TraitItemFn) {
            self.consider(i.span());
            syn::visit::visit_trait_item_fn(self, i);
        }
    }
    let file = syn::parse_file(text).ok()?;
    let mut find = Find { line, best: None };
    syn::visit::Visit::visit_file(&mut find, &file);
    find.best.map(|(a, _)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppressions_go_where_the_linter_reads_them() {
        let text = "/// Docs.\n#[inline]\nasync fn f() {\n    sleep(d);\n    g(); // note\n}\n";
        assert_eq!(enclosing_fn_line(text, 4), Some(1));
        assert_eq!(enclosing_fn_line("fn (", 1), None);
        let c = "// async-lint: allow(x) -- reason";
        let e = allow_line(text, 3, c, Encoding::Utf16).unwrap();
        assert_eq!(e.range.start, lt::Position::new(3, 13));
        assert_eq!(e.new_text, format!("  {c}"));
        // CRLF line ends: the end is before the `\r`.
        let crlf = text.replace('\n', "\r\n");
        let e = allow_line(&crlf, 3, c, Encoding::Utf16).unwrap();
        assert_eq!(e.range.start, lt::Position::new(3, 13));
        // A line that ends in a comment gets one above it, indented as it.
        let e = allow_line(text, 4, c, Encoding::Utf16).unwrap();
        assert_eq!(e.range.start, lt::Position::new(4, 0));
        assert_eq!(e.new_text, format!("    {c}\n"));
    }
}
