//! Shared by the four held-across-await lints: turns the walker's [`HeldValue`] facts into
//! diagnostics for the knowledge-base family (`lints/held.toml`) that a lint owns.

use super::diag::Diagnostic;
use super::lint::CrateCx;
use crate::analysis::index::CrateIndex;
use crate::kb::HeldEntry;
use crate::syntax::facts::{HeldValue, Ty};
use crate::syntax::source::{FileId, LineIndex, Loc};
use crate::util::fxhash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;

/// At most this many `.await`s get a label of their own; the rest are counted in a note.
const MAX_AWAIT_LABELS: usize = 4;

/// The held-type entry of one resolved type: a path, a smart pointer or its pointee, or any
/// element of a tuple.
pub(super) fn entry_of<'k>(
    index: &'k CrateIndex<'_>,
    ty: &Ty,
    lint: &str,
) -> Option<&'k HeldEntry> {
    let kb = index.kb;
    let hit = |p: &str| kb.held(p).filter(|e| e.lint == lint);
    match ty {
        Ty::Path(p) => hit(p),
        Ty::Wrap(outer, inner) => hit(outer).or_else(|| entry_of(index, inner, lint)),
        Ty::Tuple(v) => v.iter().find_map(|t| {
            index
                .resolve_ty(t, 0)
                .and_then(|t| entry_of(index, &t, lint))
        }),
        _ => None,
    }
}

/// [`entry_of`], or else the family a struct of the crate holds in a field (a guard
/// wrapper, a struct with an `Rc`): the entry and a phrase for it.
pub(super) fn entry_and_what<'k>(
    index: &'k CrateIndex<'_>,
    ty: &Ty,
    lint: &str,
) -> Option<(&'k HeldEntry, String)> {
    if let Some(e) = entry_of(index, ty, lint) {
        return Some((e, e.what.clone()));
    }
    match ty {
        Ty::Path(p) => index.held_in_fields(p, Some(lint)),
        _ => None,
    }
}

/// Reports every value of the crate that holds a `lint` family type across an `.await`
/// (parameters are left to `non_send_across_await`, the only lint that reads them).
pub fn check(
    cx: &CrateCx<'_>,
    lint: &'static str,
    extra_note: Option<&str>,
    applies: impl Fn(&HeldValue) -> bool,
    out: &mut Vec<Diagnostic>,
) {
    let index = cx.index;
    // One value may be held by several futures: a binding that a nested `async` block uses is
    // held by the block (by reference) and by the body around it, each with its own `.await`s.
    // It is one finding, with the `.await`s of both.
    let mut values: Vec<(&HeldValue, &HeldEntry, String, Vec<Loc>)> = Vec::new();
    let mut seen: HashMap<(FileId, Loc, Option<&str>), usize> = HashMap::default();
    for (v, tys) in index.facts.held.iter().zip(index.held_tys()) {
        if v.param.is_some() || !applies(v) {
            continue;
        }
        let Some((entry, what)) = tys.iter().find_map(|t| entry_and_what(index, t, lint)) else {
            continue;
        };
        match seen.entry((v.file, v.loc, v.name.as_deref())) {
            Entry::Occupied(e) => {
                let awaits = &mut values[*e.get()].3;
                awaits.extend(v.awaits.iter().copied());
                awaits.sort_by_key(|a| (a.line, a.col));
                awaits.dedup();
            }
            Entry::Vacant(e) => {
                e.insert(values.len());
                values.push((v, entry, what, v.awaits.clone()));
            }
        }
    }
    for (v, entry, what, awaits) in values {
        let mut d = diagnostic(cx, lint, v, &awaits, &what).help(entry.help.clone());
        if let Some(n) = extra_note {
            d = d.note(n);
        }
        if let Some(reason) = &entry.reason {
            d = d.note(format!("listed in the configuration: {reason}"));
        }
        out.push(d);
    }
}

/// The finding for value `v`, described as `what` ("an `Rc`"): named by its binding or, for a
/// temporary, by its expression; labelled where it is created and at the `.await`s (`awaits`:
/// those of `v`, or of every future that holds it).
pub(super) fn diagnostic(
    cx: &CrateCx<'_>,
    lint: &'static str,
    v: &HeldValue,
    awaits: &[Loc],
    what: &str,
) -> Diagnostic {
    let index = cx.index;
    let subject = match (&v.name, v.expr) {
        (Some(n), _) if v.param.is_some() => format!("parameter `{n}` ({what})"),
        (Some(n), _) if !n.starts_with('_') || n.len() > 1 => format!("`{n}`, {what}"),
        (_, Some(expr)) => match snippet(cx, v.file, expr) {
            Some(text) => format!("the temporary `{text}`, {what}"),
            None => format!("a temporary, {what}"),
        },
        _ => what.to_string(),
    };
    let count = awaits.len();
    let created = if v.param.is_some() {
        "a parameter lives in the future from its start, and is still alive at the `.await` below"
    } else {
        "created here, and still alive at the `.await` below"
    };
    let mut d = Diagnostic::new(
        lint,
        v.file,
        v.loc,
        format!(
            "{} is held across {}",
            subject,
            if count == 1 {
                "an `.await`"
            } else {
                "`.await`s"
            }
        ),
    )
    .label(created)
    .item(
        v.caller
            .map(|f| index.facts.fns[f].name.clone())
            .unwrap_or_default(),
    );
    for a in awaits.iter().take(MAX_AWAIT_LABELS) {
        d = d.secondary(v.file, *a, "the task may suspend here while it is held");
    }
    if count > MAX_AWAIT_LABELS {
        d = d.note(format!(
            "held across {} more `.await`s",
            count - MAX_AWAIT_LABELS
        ));
    }
    d
}

/// The source text at `loc`, for naming a temporary: short expressions whole, longer ones as
/// `callee(..)`.
fn snippet(cx: &CrateCx<'_>, file: usize, loc: Loc) -> Option<String> {
    let text = &cx.files.get(file)?.text;
    let lines = LineIndex::new(text);
    let (lo, hi) = (
        lines.offset(loc.line, loc.col),
        lines.offset(loc.end_line, loc.end_col),
    );
    let s = text.get(lo..hi)?.trim();
    if s.is_empty() {
        return None;
    }
    if s.len() <= 40 && !s.contains('\n') {
        return Some(s.to_string());
    }
    let head = s.find('(').map_or(s, |i| &s[..i]);
    let head: String = head.split_whitespace().collect();
    (!head.is_empty() && head.len() <= 60).then(|| format!("{head}(..)"))
}
