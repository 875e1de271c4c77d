//! Types that must not be held across an `.await` by construction: a struct of the crate with
//! a field that is one (`struct StateGuard<'a> { guard: MutexGuard<'a, State> }` holds a lock for
//! as long as it lives; `struct Ctx { cache: Rc<Cache> }` is `!Send`).

use super::index::CrateIndex;
use crate::kb::HeldEntry;
use crate::syntax::facts::Ty;

/// How deep struct fields are followed (`A { b: B }`, `B { g: MutexGuard }`).
const MAX_DEPTH: usize = 4;

impl CrateIndex<'_> {
    /// The held-across-await family (of `lint`, or any) that a struct of the crate named `ty`
    /// holds in one of its fields, with a noun phrase for messages ("a `StateGuard` (whose field
    /// `guard` is a `std::sync::MutexGuard`)"). A field is followed into the crate's own
    /// structs, and through smart pointers for guards (an `Arc<MutexGuard>` still holds the
    /// lock); an `Rc` counts only where it is the field's type itself, and a struct the crate
    /// declares `Send` (`unsafe impl Send`) is not `!Send`.
    pub fn held_in_fields(&self, ty: &str, lint: Option<&str>) -> Option<(&HeldEntry, String)> {
        // Most types hold nothing: found without following their fields (four lints ask for
        // each held value; on tokio that took 3 ms an edit).
        if !self.may_hold().contains(ty) {
            return None;
        }
        self.fields_hold(ty, lint, 0)
    }

    /// [`Self::structs_that_may_hold`], computed once.
    pub fn may_hold(&self) -> &crate::util::fxhash::FxHashSet<String> {
        self.may_hold.get_or_init(|| {
            let found = self.structs_that_may_hold();
            found.into_iter().map(str::to_string).collect()
        })
    }

    /// The crate's structs that may hold a held-across-await type in a field, directly or
    /// through other structs of the crate: a superset of those [`Self::fields_hold`] finds (as
    /// many pointers deep as a type resolves), in one pass over the fields (resolving each
    /// once) and a fixpoint over the structs.
    fn structs_that_may_hold(&self) -> crate::util::fxhash::FxHashSet<&str> {
        let mut held = crate::util::fxhash::FxHashSet::default();
        // Per struct, the crate structs its fields name (through pointers too).
        let mut names: Vec<(&str, Vec<String>)> = Vec::new();
        for (ty, fields) in &self.facts.fields {
            let mut inner = Vec::new();
            let mut direct = false;
            for (_, fty) in fields {
                let mut t = self.resolve_ty(fty, 0);
                for _ in 0..=super::index::MAX_RESOLVE_DEPTH {
                    match t {
                        Some(Ty::Path(p)) => {
                            direct |= self.kb.held(&p).is_some();
                            inner.push(p);
                            break;
                        }
                        Some(Ty::Wrap(outer, w)) => {
                            direct |= self.kb.held(&outer).is_some();
                            t = self.resolve_ty(&w, 0);
                        }
                        _ => break,
                    }
                }
            }
            if direct {
                held.insert(ty.as_str());
            } else {
                names.push((ty.as_str(), inner));
            }
        }
        loop {
            let before = held.len();
            names.retain(|(ty, inner)| {
                let holds = inner.iter().any(|p| held.contains(p.as_str()));
                if holds {
                    held.insert(ty);
                }
                !holds
            });
            if held.len() == before {
                return held;
            }
        }
    }

    fn fields_hold(
        &self,
        ty: &str,
        lint: Option<&str>,
        depth: usize,
    ) -> Option<(&HeldEntry, String)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let fields = self.facts.fields.get(ty)?;
        let declared_send = self.facts.send_impls.contains(ty);
        let wanted = |e: &&HeldEntry| {
            lint.is_none_or(|l| e.lint == l)
                && !(declared_send && e.lint == crate::kb::NON_SEND_LINT)
        };
        let short = crate::kb::last_segment(ty);
        fields.iter().find_map(|(name, fty)| {
            let (entry, inner) = self.type_holds(fty, lint, depth)?;
            wanted(&entry).then(|| {
                (
                    entry,
                    format!("a `{short}` (whose field `{name}` is {inner})"),
                )
            })
        })
    }

    /// The held family a field's type evidence holds, and its phrase.
    fn type_holds(
        &self,
        ty: &Ty,
        lint: Option<&str>,
        depth: usize,
    ) -> Option<(&HeldEntry, String)> {
        let direct = |p: &str| {
            self.kb
                .held(p)
                .filter(|e| lint.is_none_or(|l| e.lint == l))
                .map(|e| (e, e.what.clone()))
        };
        match self.resolve_ty(ty, depth + 1)? {
            Ty::Path(p) => direct(&p).or_else(|| self.fields_hold(&p, lint, depth + 1)),
            Ty::Wrap(outer, inner) => direct(&outer).or_else(|| {
                let (e, what) = self.type_holds(&inner, lint, depth + 1)?;
                // An `Arc<Rc<..>>` or `Box<Rc<..>>`: whether it is `Send` is subtler; guards
                // are held whatever points at them.
                (e.lint != crate::kb::NON_SEND_LINT).then_some((e, what))
            }),
            _ => None,
        }
    }
}
