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
        self.fields_hold(ty, lint, 0)
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
