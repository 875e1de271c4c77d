//! Which values are alive at each `.await`: the held-value analysis of the shared walker.
//!
//! The walker drives it while it walks an async body (`async fn`, `async` block or closure):
//! values enter as `let` bindings (with the type evidence of what they are bound to) or as
//! temporaries of calls that may produce a guard; they die at the end of their block or
//! statement, when moved (`drop(x)`, passed by value, returned, captured by a `move` closure or
//! an `async move` block), or on every branch of an `if` / `match`. Every `.await` is noted on
//! each value alive in the same async body. A value that was alive across at least one `.await`
//! becomes a [`HeldValue`] fact; the lints decide from its resolved type whether it matters.
//!
//! Rules follow rustc's temporary scopes (knowledge base §3.2): temporaries live to the end of
//! their statement; `if` / `while` conditions are terminating scopes; `match`, `if let`,
//! `while let` and `for` scrutinee temporaries live for the whole construct (but edition 2024
//! drops `if let` temporaries before the `else` block); shadowing does not end a value's life;
//! `let _ = x` drops at once while `let _x = x` holds.

use super::facts::{FnId, HeldValue, ParamKind, Ty};
use super::source::{FileId, Loc};

#[derive(Debug)]
struct LiveVal {
    id: usize,
    /// The binding name while it still refers to this value (`None` for temporaries and
    /// after shadowing).
    name: Option<String>,
    /// The name the value was bound to, for messages (kept after shadowing).
    shown: Option<String>,
    /// For a temporary: where its whole expression is.
    expr: Option<Loc>,
    param: Option<ParamKind>,
    tys: Vec<Ty>,
    loc: Loc,
    awaits: Vec<Loc>,
    /// Block depth the value belongs to: it dies when that block ends.
    depth: usize,
    /// For temporaries: the statement at whose end it dies.
    stmt: Option<usize>,
    dead: bool,
}

#[derive(Debug, Default)]
struct Frame {
    live: Vec<LiveVal>,
    /// The body's future (see [`HeldValue::future`]).
    future: usize,
}

/// The analysis state of one file's walk.
#[derive(Debug, Default)]
pub struct Liveness {
    frames: Vec<Frame>,
    next_id: usize,
    depth: usize,
    next_stmt: usize,
    pub out: Vec<HeldValue>,
}

/// One value a binding holds: its type evidence, where it was created and the `.await`s it
/// was already held across.
#[derive(Debug, Clone)]
pub struct Part {
    pub tys: Vec<Ty>,
    pub loc: Loc,
    pub awaits: Vec<Loc>,
}

/// Async bodies set aside by [`Liveness::suspend`].
#[derive(Debug)]
pub struct FrameSet(Vec<Frame>);

/// The set of values killed along one branch, for merging branches.
#[derive(Debug, Clone)]
pub struct Killed(Vec<usize>);

impl Liveness {
    /// Whether an async body, or a sync closure (whose values an `async` block created in it
    /// may capture), is being walked (nothing is tracked in other sync code).
    pub fn active(&self) -> bool {
        !self.frames.is_empty()
    }

    /// Sets the async bodies aside while a nested sync body (a fn item, a sync closure) is
    /// walked: nothing in it belongs to them.
    pub fn suspend(&mut self) -> FrameSet {
        FrameSet(std::mem::take(&mut self.frames))
    }

    pub fn resume(&mut self, saved: FrameSet) {
        self.frames = saved.0;
    }

    /// Starts an async body, whose future is `future` (see [`HeldValue::future`]).
    pub fn enter_frame(&mut self, future: usize) {
        self.frames.push(Frame {
            live: Vec::new(),
            future,
        });
    }

    /// Starts the body of a sync closure: it never awaits, so nothing it binds is reported for
    /// it, but an `async` block (or async closure) created in it captures its values and holds
    /// them across its own awaits (`move || { let g = m.lock(); async move { .. } }`).
    pub fn enter_sync_frame(&mut self) {
        self.frames.push(Frame {
            live: Vec::new(),
            future: usize::MAX,
        });
    }

    /// Ends an async body (or a sync closure's): every value still alive in it dies.
    pub fn exit_frame(&mut self, file: FileId, caller: Option<FnId>) {
        if let Some(frame) = self.frames.pop() {
            for v in frame.live {
                Self::finish(&mut self.out, v, file, caller, frame.future);
            }
        }
    }

    fn finish(
        out: &mut Vec<HeldValue>,
        v: LiveVal,
        file: FileId,
        caller: Option<FnId>,
        future: usize,
    ) {
        if !v.awaits.is_empty() && !v.tys.is_empty() {
            out.push(HeldValue {
                tys: v.tys,
                file,
                loc: v.loc,
                awaits: v.awaits,
                caller,
                name: v.name.or(v.shown),
                expr: v.expr,
                future,
                param: v.param,
            });
        }
    }

    pub fn enter_block(&mut self) {
        self.depth += 1;
    }

    /// Ends a block: values bound in it die.
    pub fn exit_block(&mut self, file: FileId, caller: Option<FnId>) {
        let depth = self.depth;
        self.depth -= 1;
        self.remove_where(file, caller, |v| v.depth >= depth && v.stmt.is_none());
    }

    /// Removes (and reports, when held across an await) the values matching `gone`, without
    /// allocating when there are none (the common case: this runs for every statement).
    fn remove_where(
        &mut self,
        file: FileId,
        caller: Option<FnId>,
        gone: impl Fn(&LiveVal) -> bool,
    ) {
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        if !frame.live.iter().any(&gone) {
            return;
        }
        let mut i = 0;
        while i < frame.live.len() {
            if gone(&frame.live[i]) {
                let v = frame.live.remove(i);
                Self::finish(&mut self.out, v, file, caller, frame.future);
            } else {
                i += 1;
            }
        }
    }

    /// A fresh statement id (temporaries created under it die at [`Liveness::end_stmt`]).
    pub fn new_stmt(&mut self) -> usize {
        self.next_stmt += 1;
        self.next_stmt
    }

    pub fn end_stmt(&mut self, stmt: usize, file: FileId, caller: Option<FnId>) {
        self.remove_where(file, caller, |v| v.stmt == Some(stmt));
    }

    /// A temporary produced by a call (`expr`: the whole expression), alive until the end of
    /// statement `stmt`.
    pub fn temp(&mut self, ty: Ty, loc: Loc, stmt: usize, expr: Loc) {
        let id = self.next_id;
        let depth = self.depth;
        if let Some(frame) = self.frames.last_mut() {
            self.next_id += 1;
            frame.live.push(LiveVal {
                id,
                name: None,
                shown: None,
                expr: Some(expr),
                param: None,
                tys: vec![ty],
                loc,
                awaits: Vec::new(),
                depth,
                stmt: Some(stmt),
                dead: false,
            });
        }
    }

    /// A new binding `name` holding `parts` (one tracked value each: type evidence and where
    /// it was created). Earlier values of that name stay alive, unreachable by the name.
    pub fn bind(&mut self, name: String, parts: Vec<Part>) {
        self.bind_as(name, parts, None);
    }

    /// A parameter of the async fn, held by its future from the start.
    pub fn bind_param(&mut self, name: String, ty: Ty, loc: Loc, kind: ParamKind) {
        let part = Part {
            tys: vec![ty],
            loc,
            awaits: Vec::new(),
        };
        self.bind_as(name, vec![part], Some(kind));
    }

    fn bind_as(&mut self, name: String, parts: Vec<Part>, param: Option<ParamKind>) {
        self.shadow(&name);
        let depth = self.depth;
        let Some(frame) = self.frames.last_mut() else {
            return;
        };
        for Part { tys, loc, awaits } in parts {
            frame.live.push(LiveVal {
                id: self.next_id,
                name: Some(name.clone()),
                shown: Some(name.clone()),
                expr: None,
                param,
                tys,
                loc,
                awaits,
                depth,
                stmt: None,
                dead: false,
            });
            self.next_id += 1;
        }
    }

    /// A binding of a name that holds nothing tracked: earlier values of the name are no
    /// longer reachable by it.
    pub fn shadow(&mut self, name: &str) {
        if let Some(frame) = self.frames.last_mut() {
            for v in frame
                .live
                .iter_mut()
                .filter(|v| v.name.as_deref() == Some(name))
            {
                v.name = None;
            }
        }
    }

    /// The values a name refers to are moved into a new binding: returns them and ends them
    /// here (the `.await`s they were held across so far go along, so a value moved from one
    /// binding to another is still one finding).
    pub fn take(&mut self, name: &str) -> Vec<Part> {
        let Some(frame) = self.frames.last_mut() else {
            return Vec::new();
        };
        frame
            .live
            .iter_mut()
            .filter(|v| !v.dead && v.name.as_deref() == Some(name))
            .map(|v| {
                v.dead = true;
                Part {
                    tys: v.tys.clone(),
                    loc: v.loc,
                    awaits: std::mem::take(&mut v.awaits),
                }
            })
            .collect()
    }

    /// The values a name refers to are moved away (dropped, passed by value, returned). A
    /// parameter that is a shared reference is copied, not moved: it stays.
    pub fn kill(&mut self, name: &str) -> bool {
        let Some(frame) = self.frames.last_mut() else {
            return false;
        };
        let mut any = false;
        for v in frame.live.iter_mut().filter(|v| {
            !v.dead && v.name.as_deref() == Some(name) && v.param != Some(ParamKind::Shared)
        }) {
            v.dead = true;
            any = true;
        }
        any
    }

    /// An `.await` (or an implicitly awaiting macro) in the current async body.
    pub fn on_await(&mut self, loc: Loc) {
        if let Some(frame) = self.frames.last_mut() {
            for v in frame.live.iter_mut().filter(|v| !v.dead) {
                if v.awaits.last() != Some(&loc) {
                    v.awaits.push(loc);
                }
            }
        }
    }

    /// The type evidence of every value alive in the innermost body: what an `.await` added
    /// here would hold.
    pub fn alive_tys(&self) -> Vec<Ty> {
        self.frames
            .last()
            .map(|f| {
                f.live
                    .iter()
                    .filter(|v| !v.dead)
                    .flat_map(|v| v.tys.iter().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Values of the enclosing body referred to by `names`, for capture by a nested async
    /// block: (name, parts). With `by_move` they die in the enclosing body.
    pub fn capture(&mut self, names: &[String], by_move: bool) -> Vec<(String, Vec<Part>)> {
        let mut out = Vec::new();
        let Some(frame) = self.frames.last_mut() else {
            return out;
        };
        for name in names {
            if out.iter().any(|(n, _)| n == name) {
                continue;
            }
            let mut parts = Vec::new();
            for v in frame
                .live
                .iter_mut()
                .filter(|v| !v.dead && v.name.as_deref() == Some(name))
            {
                parts.push(Part {
                    tys: v.tys.clone(),
                    loc: v.loc,
                    awaits: Vec::new(),
                });
                if by_move {
                    v.dead = true;
                }
            }
            if !parts.is_empty() {
                out.push((name.clone(), parts));
            }
        }
        out
    }

    /// Ids of the values alive now (before walking branches).
    pub fn alive(&self) -> Vec<usize> {
        self.frames
            .last()
            .map(|f| f.live.iter().filter(|v| !v.dead).map(|v| v.id).collect())
            .unwrap_or_default()
    }

    /// Restores `alive` to alive (the state before a branch) and returns what the previous
    /// branch killed.
    pub fn branch_reset(&mut self, alive: &[usize], diverged: bool) -> Killed {
        let mut killed = Vec::new();
        if let Some(frame) = self.frames.last_mut() {
            for v in frame.live.iter_mut().filter(|v| alive.contains(&v.id)) {
                if v.dead || diverged {
                    killed.push(v.id);
                }
                v.dead = false;
            }
        }
        Killed(killed)
    }

    /// After all branches: a value is dead only if every branch killed it.
    pub fn branch_merge(&mut self, branches: &[Killed]) {
        if branches.is_empty() {
            return;
        }
        if let Some(frame) = self.frames.last_mut() {
            for v in frame.live.iter_mut() {
                if branches.iter().all(|k| k.0.contains(&v.id)) {
                    v.dead = true;
                }
            }
        }
    }
}
