use super::diag::{Diagnostic, Edit};
use super::held::entry_of;
use super::lint::{CrateCx, Lint, LintMeta};
use super::non_send_across_await::not_send;
use crate::analysis::index::{CrateIndex, Target};
use crate::kb::ApiEntry;
use crate::syntax::facts::{CallSite, Callee, Ty};
use crate::syntax::source::{FileId, Loc};
use crate::util::fxhash::FxHashSet as HashSet;

crate::declare_lint! {
    /// ### What it does
    /// Finds calls that block the current thread (`std::thread::sleep`, `std::fs`, `std::net`,
    /// synchronous channel receives, thread joins, `std::process::Command::output`, blocking
    /// HTTP and database clients, the `block_on` of executors other than tokio's
    /// (`futures::executor::block_on`, which does not panic under tokio but blocks, ...), ...) inside async code: `async fn` bodies, `async` blocks and
    /// async closures. It also follows calls into the crate's own synchronous functions and
    /// methods: an async fn that calls `load_config()`, which reads a file with
    /// `std::fs::read_to_string`, is reported at the call, with the chain of calls in a note.
    ///
    /// A sync closure written in async code is async context only where it runs in place: called
    /// on the spot, bound by a `let` and called later in the same body, or handed to a
    /// combinator that calls it before returning (`Option::map`, `Result::map_err`,
    /// `Iterator::for_each` and the iterator adapters, `sort_by`, `get_or_init`,
    /// `std::thread::scope`, ...: `[[in_place]]` in `lints/islands.toml`) or to one of the
    /// crate's own functions that calls its closure parameter. A closure handed to
    /// `tokio::task::spawn_blocking`, `block_in_place`, `std::thread::spawn` or rayon (also as
    /// the tail of a block argument, `spawn_blocking({ let x = ..; move || .. })`) runs off the
    /// async threads, and one that is stored, returned, or handed to an unknown function or a
    /// constructor (`Provider::new(move || ..)`) may run later on any thread: neither is
    /// checked, and neither is a nested `fn` item.
    ///
    /// ### Why is this bad?
    /// An async runtime runs many tasks on a few threads and can only switch tasks at an
    /// `.await`. A call that blocks holds its worker thread hostage: every other task scheduled
    /// on that thread stops, timers fire late, and on a current-thread runtime (the default of
    /// `#[tokio::test]`) the whole program stalls. Under load this shows up as latency spikes and
    /// timeouts far from the offending call.
    ///
    /// ### Known problems
    /// Without type information, a method call is only reported when the receiver's type is
    /// evident from the code: a known constructor (`File::open`, `TcpStream::connect`,
    /// `mpsc::channel`), a type annotation, a typed parameter or a struct field of a declared
    /// type. A receiver of a generic type or one returned from an unknown function is not
    /// checked. Calls through trait objects, function pointers, stored closures and macros
    /// other than the standard formatting / assertion / `tokio` ones are not followed. A
    /// closure handed to a dependency's function that runs it in place (not listed in
    /// `lints/islands.toml`) is missed; one handed to an unknown method named like a standard
    /// combinator (`map`, `with`, `then`, ...) that stores it is checked as if it ran in place.
    /// A call that resolves to more than one crate function is not followed. `std::sync::Mutex`
    /// locks are not reported here (a short critical section is fine; see `lock_across_await`).
    /// A blocking call that is fast in practice (reading a small file at start-up) is still
    /// reported: suppress it where the delay is acceptable. The one exception is the closure of
    /// `get_or_init` / `call_once` on a `static` (`lints/islands.toml` `[[once]]`): it runs
    /// once per process, so it is not reported and no chain follows into it; a static reached
    /// through an import (`use crate::config::CONFIG`) is not known as one, and its closure is
    /// checked as in place.
    ///
    /// Method calls on files, sockets and child pipes that come after the enclosing function
    /// switched a descriptor to non-blocking mode (`O_NONBLOCK`, `SOCK_NONBLOCK` or rustix's
    /// `NONBLOCK` named, or `set_nonblocking(true)` called, earlier in the same `fn` item) are
    /// taken to poll and are not reported, as in
    /// `OpenOptions::new().custom_flags(libc::O_NONBLOCK).open(fifo)`. The linter does not
    /// track which descriptor was switched: a blocking read on a second, blocking descriptor
    /// later in the same function is missed. Free functions (`std::fs::read`,
    /// `TcpStream::connect`) are always reported.
    ///
    /// `--fix` rewrites a call only for a package that depends on one async runtime that has a
    /// drop-in replacement, with the features it needs (`tokio` with `time`, or `fs` and `rt`),
    /// and only where no guard, `RefCell` borrow or `!Send` value the walker tracks is alive;
    /// a value it cannot see (a guard inside a struct returned by an unknown function) is not
    /// known to block the fix. A package on tokio that also drives some futures with another
    /// executor (`futures::executor::block_on`) gets tokio replacements there too, which panic
    /// outside a tokio runtime ("there is no reactor running"). Code under `#[cfg(test)]` in a
    /// library counts only the normal dependencies, not the dev-dependencies it may use.
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn handler() -> std::io::Result<String> {
    ///     std::thread::sleep(std::time::Duration::from_millis(50));
    ///     std::fs::read_to_string("config.toml")
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn handler() -> std::io::Result<String> {
    ///     tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    ///     tokio::fs::read_to_string("config.toml").await
    /// }
    /// ```
    /// or move the blocking work off the runtime with
    /// `tokio::task::spawn_blocking(move || ...).await`.
    pub BLOCKING_IN_ASYNC, blocking_in_async, suspicious, Warn,
    "a blocking call inside async code stalls the executor thread"
}

pub struct BlockingInAsync;

/// The knowledge-base entry a call target hits in the blocking table, with a display name:
/// among the entries that only query file metadata (`fs_metadata`, reported by
/// `fs_metadata_in_async`) or among the others.
pub fn blocking_entry<'k>(
    index: &'k CrateIndex<'_>,
    call: &CallSite,
    t: &Target,
    fs_metadata: bool,
) -> Option<(&'k ApiEntry, String)> {
    let kb = index.kb;
    let hit = match t {
        Target::ExternFn(p) => kb.blocking.function(p).map(|e| (e, p.clone())),
        Target::ExternMethod { ty, name } if !after_nonblocking_switch(index, call, ty) => kb
            .blocking
            .method(ty, name)
            .map(|e| (e, format!("{ty}::{name}"))),
        _ => None,
    };
    hit.filter(|(e, _)| e.is_fs_metadata() == fs_metadata)
}

/// Types whose I/O methods follow the descriptor's blocking mode.
const DESCRIPTOR_TYPES: &[&str] = &[
    "std::fs::File",
    "std::fs::OpenOptions",
    "std::net::TcpStream",
    "std::net::TcpListener",
    "std::net::UdpSocket",
    "std::os::unix::net::UnixStream",
    "std::os::unix::net::UnixListener",
    "std::os::unix::net::UnixDatagram",
    "std::process::ChildStdin",
    "std::process::ChildStdout",
    "std::process::ChildStderr",
];

/// A method call on a file, socket or pipe that comes after the enclosing function put a
/// descriptor in non-blocking mode (`.custom_flags(libc::O_NONBLOCK).open(..)`, `fcntl(..,
/// O_NONBLOCK)`, `set_nonblocking(true)`): such code polls, it does not wait.
fn after_nonblocking_switch(index: &CrateIndex<'_>, call: &CallSite, ty: &str) -> bool {
    DESCRIPTOR_TYPES.contains(&ty)
        && call
            .caller
            .and_then(|f| index.facts.fns[f].nonblocking_from)
            .is_some_and(|at| (at.line, at.col) <= (call.loc.line, call.loc.col))
}

impl Lint for BlockingInAsync {
    fn meta(&self) -> &'static LintMeta {
        &BLOCKING_IN_ASYNC
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        check_blocking_calls(cx, &BLOCKING_IN_ASYNC, out);
    }
}

/// For every sync function of the crate, the first chain of calls through which it reaches a
/// blocking API (`fs_metadata`: one that only queries file metadata), ending with that API.
pub fn blocking_chains(index: &CrateIndex<'_>, fs_metadata: bool) -> Vec<Option<Vec<String>>> {
    index.sync_reach(|i, t| {
        blocking_entry(index, &index.facts.calls[i], t, fs_metadata).map(|(_, name)| name)
    })
}

/// Reports the calls in async code that hit the blocking table, directly or through the crate's
/// own sync helpers: for `lint` = `blocking_in_async` the calls that wait, for
/// `fs_metadata_in_async` those that only query file metadata.
pub(super) fn check_blocking_calls(
    cx: &CrateCx<'_>,
    lint: &'static LintMeta,
    out: &mut Vec<Diagnostic>,
) {
    let index = cx.index;
    let fs_metadata = lint.name == crate::kb::FS_METADATA_LINT;
    let reach = blocking_chains(index, fs_metadata);
    let held_at = held_at_fixable_calls(index);
    for (call, target) in index.async_calls() {
        if let Some((entry, name)) = blocking_entry(index, call, target, fs_metadata) {
            let holds = held_at.contains(&(call.file, call.loc));
            out.push(direct(cx, lint, call, entry, &name, holds));
        } else if let Target::Local(f) = *target {
            let def = &index.facts.fns[f];
            if def.is_async {
                continue;
            }
            if let Some(chain) = &reach[f] {
                out.push(through_helper(cx, lint, call, f, chain));
            }
        }
    }
}

fn enclosing_name(index: &CrateIndex<'_>, call: &CallSite) -> String {
    call.caller
        .map(|f| index.facts.fns[f].name.clone())
        .unwrap_or_default()
}

/// The fixable calls (see [`CrateFacts::fix_live`]) where a lock guard, a `RefCell` borrow, a
/// span guard or a !Send value is alive: an `.await` added there would hold it, creating the
/// bug the other lints report (a deadlock, a panic, a future that is no longer `Send`).
///
/// [`CrateFacts::fix_live`]: crate::syntax::facts::CrateFacts::fix_live
fn held_at_fixable_calls(index: &CrateIndex<'_>) -> HashSet<(FileId, Loc)> {
    let held = |t: &Ty| {
        let Some(t) = index.resolve_ty(t, 0) else {
            return false;
        };
        [
            "lock_across_await",
            "refcell_across_await",
            "span_guard_across_await",
            "non_send_across_await",
        ]
        .iter()
        .any(|l| entry_of(index, &t, l).is_some())
            || not_send(index, &t, false, 0).is_some()
    };
    index
        .facts
        .fix_live
        .iter()
        .filter(|(_, tys)| tys.iter().any(held))
        .map(|(i, _)| (index.facts.calls[*i].file, index.facts.calls[*i].loc))
        .collect()
}

/// Whether the file is in a test, bench or example target (dev-dependencies are there too),
/// and its edition.
fn target_of<'p>(cx: &'p CrateCx<'_>, file: FileId) -> (bool, &'p str) {
    let pkg = cx.package;
    let target = cx.files.get(file).and_then(|f| pkg.targets.get(f.target));
    let dev = target.is_some_and(|t| {
        t.kind
            .iter()
            .any(|k| matches!(k.as_str(), "test" | "bench" | "example"))
    });
    (
        dev,
        target.map_or(pkg.edition.as_str(), |t| t.edition.as_str()),
    )
}

fn direct(
    cx: &CrateCx<'_>,
    lint: &'static LintMeta,
    call: &CallSite,
    entry: &ApiEntry,
    name: &str,
    holds: bool,
) -> Diagnostic {
    let short = crate::kb::last_segment(name);
    if let Some(derived) = &entry.derived {
        return through_dependency(cx, lint, call, entry, name, derived);
    }
    let (message, label) = if entry.is_fs_metadata() {
        (
            format!("blocking file metadata query `{name}` in async code"),
            "this `stat` blocks the executor thread until the filesystem answers",
        )
    } else {
        (
            format!("blocking call to `{name}` in async code"),
            "this blocks the executor thread until it returns",
        )
    };
    let mut d = Diagnostic::new(lint.name, call.file, call.loc, message)
        .label(label)
        .help(format!("use {}", entry.replacement_for(short)))
        .item(enclosing_name(cx.index, call));
    if let Some(reason) = &entry.reason {
        d = d.note(format!("listed as blocking in the configuration: {reason}"));
    }
    // A drop-in async replacement of a plain path call: swap the path and append `.await`,
    // when the package depends on a runtime that has one with the features it needs, and no
    // value alive here would be held across the new `.await`. Edition 2015 resolves
    // `tokio::..` from the current module, where the crate is not in scope.
    let (dev, edition) = target_of(cx, call.file);
    let fix = (matches!(call.callee, Callee::Path(_))
        && !call.in_sync_closure
        && !holds
        && edition != "2015")
        .then(|| cx.index.kb.fix_for(entry, short, &cx.package.deps, dev))
        .flatten();
    if let Some(fix) = fix {
        d.fix = vec![
            Edit {
                file: call.file,
                loc: call.loc,
                replacement: fix,
            },
            Edit {
                file: call.file,
                loc: call.expr_loc.end(),
                replacement: ".await".into(),
            },
        ];
    }
    d
}

/// A call into a dependency whose own source shows that it blocks (a dependency summary).
fn through_dependency(
    cx: &CrateCx<'_>,
    lint: &'static LintMeta,
    call: &CallSite,
    entry: &ApiEntry,
    name: &str,
    derived: &crate::kb::Derived,
) -> Diagnostic {
    let sink = derived.chain.last().map(String::as_str).unwrap_or_default();
    let (message, label) = if entry.is_fs_metadata() {
        (
            format!("`{name}` queries file metadata: it calls `{sink}`"),
            format!("this call reaches `{sink}`, a `stat` that blocks the executor thread"),
        )
    } else {
        (
            format!("`{name}` blocks: it calls `{sink}`"),
            format!("this call reaches `{sink}`, which blocks the executor thread"),
        )
    };
    Diagnostic::new(lint.name, call.file, call.loc, message)
        .label(label)
        .through_dependency(name, derived)
        .help(format!("use {}", entry.replacement))
        .item(enclosing_name(cx.index, call))
}

fn through_helper(
    cx: &CrateCx<'_>,
    lint: &'static LintMeta,
    call: &CallSite,
    f: usize,
    chain: &[String],
) -> Diagnostic {
    let def = &cx.index.facts.fns[f];
    let sink = chain.last().map(String::as_str).unwrap_or_default();
    let mut path = vec![format!("`{}`", def.name)];
    path.extend(chain.iter().map(|c| format!("`{c}`")));
    // A sink in a dependency whose own source shows why it blocks: its chain goes on there.
    let derived = cx.index.kb.blocking.derived(sink);
    if let Some(derived) = derived {
        derived.continue_chain(&mut path);
    }
    let (message, label) = if lint.name == crate::kb::FS_METADATA_LINT {
        (
            format!("`{}` queries file metadata: it calls `{sink}`", def.name),
            format!("this call reaches `{sink}`, a `stat` that blocks the executor thread"),
        )
    } else {
        (
            format!("`{}` blocks: it calls `{sink}`", def.name),
            format!("this call reaches `{sink}`, which blocks the executor thread"),
        )
    };
    let mut d = Diagnostic::new(lint.name, call.file, call.loc, message)
        .label(label)
        .secondary(
            def.file,
            def.loc,
            format!("`{}` is a synchronous function", def.name),
        );
    if let Some(derived) = derived {
        d = d.external(
            &derived.file,
            derived.line,
            format!("`{sink}` is defined here"),
        );
    }
    d.note(format!("call chain: {}", path.join(" -> ")))
        .help(format!(
            "make `{}` async with a non-blocking replacement, or run it with \
         `tokio::task::spawn_blocking(move || ...).await`",
            def.name
        ))
        .item(enclosing_name(cx.index, call))
}
