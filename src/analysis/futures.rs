//! Futures, crate-wide: which calls make a future that does nothing until it is polled (what
//! `unawaited_future` needs before it says that a dropped future's work never happens).

use super::index::{CrateIndex, Target};
use crate::syntax::facts::{FnId, Laziness};

/// How many sync fns deep a lazy tail call is followed (`fn a() -> impl Future { b() }`).
const MAX_LAZY_DEPTH: usize = 8;

impl CrateIndex<'_> {
    /// Whether call `call` returns a future known to be lazy: a crate `async fn`, a crate sync
    /// fn whose body only makes the future (an `async` block, or a call of a lazy future), or a
    /// library function the knowledge base marks lazy. A future from a fn that works first
    /// (sends a command, then returns a future that waits for the reply) is not: dropping it
    /// loses only the wait.
    pub fn makes_lazy_future(&self, call: usize) -> bool {
        self.lazy_call(call, 0)
    }

    /// Whether the crate fn `f` returns a future known to be lazy.
    pub fn returns_lazy_future(&self, f: FnId) -> bool {
        self.lazy_fn(f, 0)
    }

    fn lazy_call(&self, call: usize, depth: usize) -> bool {
        let kb = self.kb;
        match self.target_of(call) {
            Target::Local(f) => self.lazy_fn(*f, depth),
            Target::ExternFn(p) => kb.is_lazy_future_fn(p) && !kb.is_spawn_fn(p),
            Target::ExternMethod { ty, name } => kb.is_lazy_future_method(ty, name),
            Target::UnknownMethod(name) => {
                let crate_lazy = !kb.is_common_sync_name(name) && {
                    let methods = self.name_candidates(call);
                    !methods.is_empty() && methods.iter().all(|&f| self.lazy_fn(f, depth))
                };
                crate_lazy || kb.is_lazy_future_method_name(name)
            }
            Target::Unresolved => false,
        }
    }

    fn lazy_fn(&self, f: FnId, depth: usize) -> bool {
        let def = &self.facts.fns[f];
        def.returns_future
            && match def.lazy {
                Laziness::Lazy => true,
                Laziness::As(i) => depth < MAX_LAZY_DEPTH && self.lazy_call(i, depth + 1),
                Laziness::Unknown => false,
            }
    }
}
