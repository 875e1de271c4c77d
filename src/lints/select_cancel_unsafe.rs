use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};
use crate::analysis::index::{CrateIndex, Target};
use crate::kb::CancelEntry;
use crate::syntax::facts::Callee;

crate::declare_lint! {
    /// ### What it does
    /// Finds a `tokio::select!` / `futures::select!` / `select_biased!` branch whose future is
    /// not cancel-safe: a known operation that loses progress when dropped (`read_exact`,
    /// `read_to_end`, `read_line`, `write_all`, the multi-byte `read_u32` family, mpsc
    /// `Sender::send`, `SinkExt::send`, `tokio::io::copy`, ... as listed in
    /// `lints/cancel.toml` from tokio's own `# Cancel safety` sections), or a call to one of the
    /// crate's async functions that awaits such an operation (the chain is shown), when the
    /// `select!` has another branch that can win, inside a loop, when some other branch's
    /// handler lets the loop go on: a branch that always leaves the loop (`break`, `break
    /// 'outer`, `return`, `Err(..)?`, `bail!`, `panic!`) cancels the others on purpose.
    ///
    /// ### Why is this bad?
    /// When one branch of a `select!` completes, the futures of the other branches are dropped.
    /// A future that had already done part of its work loses it: bytes read into a buffer, half
    /// a frame written, a message moved into a `send` future. In a loop that goes on, the next
    /// iteration creates a new future that starts from nothing, mid-stream, and the protocol
    /// breaks in ways that look like random connection errors.
    ///
    /// ### Known problems
    /// The operation is recognised by its method name (within a `select!` branch future, a
    /// sync method of the same name cannot appear); a `send` on a receiver known to be a
    /// `tokio::net::UdpSocket` is not reported (it is cancel-safe). A future built by a
    /// function of another crate is followed only in cargo mode, through the dependency's
    /// summary (not with `--no-deps`, nor into another member of the workspace).
    /// In a loop, a handler counts as leaving it only when every path through it does so
    /// syntactically (`return`, `break`, `Err(..)?`, a diverging macro, an `if`/`else` or
    /// `match` whose every branch does): a shutdown branch that clears a flag the loop
    /// condition reads, or calls a function that never returns, lets the loop go on, and the
    /// branch is reported. A one-shot `select!` outside a loop is not reported: whether the
    /// dropped progress matters depends on what is done with the stream afterwards (a read cut
    /// in the middle of a frame leaves the stream misaligned if it is used again; a timeout or
    /// cancellation branch usually closes it), which the linter cannot see. A
    /// `futures::select!` `default` branch is not taken into account.
    ///
    /// ### Example
    /// ```rust,ignore
    /// loop {
    ///     tokio::select! {
    ///         r = stream.read_exact(&mut header) => handle(r?, &header),
    ///         _ = tick.tick() => send_heartbeat().await,
    ///     }
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// let mut frames = tokio_util::codec::FramedRead::new(stream, MyCodec);
    /// loop {
    ///     tokio::select! {
    ///         f = frames.next() => handle(f),   // StreamExt::next is cancel-safe
    ///         _ = tick.tick() => send_heartbeat().await,
    ///     }
    /// }
    /// ```
    /// or create the future once outside the loop, `tokio::pin!` it and select on `&mut fut`.
    pub SELECT_CANCEL_UNSAFE, select_cancel_unsafe, suspicious, Warn,
    "a future that is not cancel-safe raced in `select!` loses progress when another branch wins"
}

pub struct SelectCancelUnsafe;

/// The not-cancel-safe operation a call is, if any, with its display name.
pub fn unsafe_op<'k>(
    index: &'k CrateIndex<'_>,
    call: usize,
    t: &Target,
) -> Option<(&'k CancelEntry, String)> {
    let kb = index.kb;
    match t {
        Target::ExternFn(p) => kb.not_cancel_safe_fn(p).map(|e| (e, p.clone())),
        Target::ExternMethod { ty, name } => kb
            .not_cancel_safe_method(Some(ty), name)
            .map(|e| (e, format!("{ty}::{name}"))),
        Target::UnknownMethod(name) => kb.not_cancel_safe_method(None, name).map(|e| {
            let owner = e.owner.clone().unwrap_or_default();
            (
                e,
                if owner.is_empty() {
                    name.clone()
                } else {
                    format!("{owner}::{name}")
                },
            )
        }),
        Target::Unresolved => match &index.facts.calls[call].callee {
            Callee::Path(p) => p
                .iter()
                .find_map(|p| kb.not_cancel_safe_fn(p).map(|e| (e, p.clone()))),
            Callee::Method { .. } => None,
        },
        Target::Local(_) => None,
    }
}

impl Lint for SelectCancelUnsafe {
    fn meta(&self) -> &'static LintMeta {
        &SELECT_CANCEL_UNSAFE
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        let index = cx.index;
        if index.facts.selects.is_empty() {
            return;
        }
        let reach = index.async_reach(|i, t| unsafe_op(index, i, t).map(|(_, name)| name));
        for sel in &index.facts.selects {
            // A lone branch is never cancelled by the `select!` (an `else` never races).
            if sel.branches.len() < 2 {
                continue;
            }
            // Outside a loop nothing starts the dropped future over: whether its lost progress
            // matters depends on what the code does with the stream afterwards, which the linter
            // cannot see (a one-shot `select!` with a timeout or a cancellation usually closes
            // it). Only a loop that goes on is certain to reuse what was half done.
            if !sel.in_loop {
                continue;
            }
            let others = sel.branches.len() - 1;
            for (k, b) in sel.branches.iter().enumerate() {
                let Some(call) = b.call else { continue };
                // In a loop, cancelling is only a loss when the loop goes on after another
                // branch wins: a branch that leaves the loop (`break`, `return`, ...) cancels
                // the others on purpose, and nothing reads their progress again.
                if sel
                    .branches
                    .iter()
                    .enumerate()
                    .all(|(j, o)| j == k || o.leaves_loop)
                {
                    continue;
                }
                let target = index.target_of(call);
                let (op, lost, fix, chain) = if let Some((e, name)) = unsafe_op(index, call, target)
                {
                    (
                        name,
                        e.lost.clone().unwrap_or_default(),
                        e.fix.clone().unwrap_or_default(),
                        None,
                    )
                } else if let Target::Local(f) = target
                    && let Some(chain) = &reach[*f]
                {
                    let def = &index.facts.fns[*f];
                    let sink = chain.last().cloned().unwrap_or_default();
                    let entry = index.kb.not_cancel_safe_sink(&sink);
                    let mut path = vec![format!("`{}`", def.name)];
                    path.extend(chain.iter().map(|c| format!("`{c}`")));
                    (
                        def.name.clone(),
                        entry.and_then(|e| e.lost.clone()).unwrap_or_default(),
                        entry.and_then(|e| e.fix.clone()).unwrap_or_default(),
                        Some(path.join(" -> ")),
                    )
                } else {
                    continue;
                };
                let mut d = Diagnostic::new(
                    SELECT_CANCEL_UNSAFE.name,
                    sel.file,
                    b.loc,
                    format!("`{op}` is not cancel-safe, but it is raced in `select!`"),
                )
                .label(
                    "dropped when another branch completes, and the progress it made is lost: \
                     the loop creates a new future on its next iteration",
                )
                .secondary(sel.file, sel.loc, {
                    let going_on = sel
                        .branches
                        .iter()
                        .enumerate()
                        .filter(|(j, o)| *j != k && !o.leaves_loop)
                        .count();
                    format!(
                        "{others} other branch{} can complete first, and the loop can go on after {}",
                        if others == 1 { "" } else { "es" },
                        match (others, going_on) {
                            (1, _) => "it".to_string(),
                            (_, 1) => "one of them".to_string(),
                            (o, g) if o == g => "any of them".to_string(),
                            (_, g) => format!("{g} of them"),
                        }
                    )
                });
                if !lost.is_empty() {
                    d = d.note(format!("when cancelled, {lost}"));
                }
                if let Some(chain) = chain {
                    d = d.note(format!("call chain: {chain}"));
                }
                if !fix.is_empty() {
                    d = d.help(fix);
                }
                d = d
                    .help(
                        "or create the future once outside the loop, `tokio::pin!` it and select on \
                         `&mut fut`, or move the work into a task fed by a channel",
                    )
                    .item(sel.caller.map(|f| index.facts.fns[f].name.clone()).unwrap_or_default());
                out.push(d);
            }
        }
    }
}
