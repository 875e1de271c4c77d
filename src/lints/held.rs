//! Shared by the four held-across-await lints: turns the walker's [`HeldValue`] facts into
//! diagnostics for the knowledge-base family (`lints/held.toml`) that a lint owns.

use super::diag::Diagnostic;
use super::lint::CrateCx;
use crate::analysis::index::CrateIndex;
use crate::kb::HeldEntry;
use crate::syntax::facts::{HeldValue, Ty};
use crate::syntax::source::{FileId, Loc};
use crate::util::fxhash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;

/// At most this many `.await`s get a label of their own; the rest are counted in a note.
const MAX_AWAIT_LABELS: usize = 4;

/// The held-type entry of one resolved type: a path, a smart pointer or its pointee, or any
/// element of a tuple.
fn entry_of<'k>(index: &'k CrateIndex<'_>, ty: &Ty, lint: &str) -> Option<&'k HeldEntry> {
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

/// Reports every value of the crate that holds a `lint` family type across an `.await`.
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
    let mut values: Vec<(&HeldValue, &HeldEntry, Vec<Loc>)> = Vec::new();
    let mut seen: HashMap<(FileId, Loc, Option<&str>), usize> = HashMap::default();
    for (v, tys) in index.facts.held.iter().zip(index.held_tys()) {
        if !applies(v) {
            continue;
        }
        let Some(entry) = tys.iter().find_map(|t| entry_of(index, t, lint)) else {
            continue;
        };
        match seen.entry((v.file, v.loc, v.name.as_deref())) {
            Entry::Occupied(e) => {
                let awaits = &mut values[*e.get()].2;
                awaits.extend(v.awaits.iter().copied());
                awaits.sort_by_key(|a| (a.line, a.col));
                awaits.dedup();
            }
            Entry::Vacant(e) => {
                e.insert(values.len());
                values.push((v, entry, v.awaits.clone()));
            }
        }
    }
    for (v, entry, awaits) in values {
        let subject = match &v.name {
            Some(n) if !n.starts_with('_') || n.len() > 1 => format!("`{n}`, {}", entry.what),
            _ => entry.what.clone(),
        };
        let count = awaits.len();
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
        .label("created here, and still alive at the `.await` below")
        .help(entry.help.clone())
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
        if let Some(n) = extra_note {
            d = d.note(n);
        }
        if let Some(reason) = &entry.reason {
            d = d.note(format!("listed in the configuration: {reason}"));
        }
        out.push(d);
    }
}
