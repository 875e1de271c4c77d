//! `cargo async-lint lsp`: a language server over stdio that lints the buffers an editor has
//! open, saved or not, and pushes the findings as diagnostics.
//!
//! One synchronous main loop (as rust-analyzer's `lsp-server` scaffold is made for): messages are
//! read on a thread of the transport; edits mark the state dirty, and once no message has come
//! for [`DEBOUNCE`] the workspace is linted again with the open buffers' text in place of the
//! files' ([`crate::driver::overlay`]), through the same engine as a command-line run. Packages
//! whose files did not change are served from the result cache, which keys them by content, the
//! open buffers' included. Diagnostics are republished for every file whose findings changed
//! (an edit to a sync helper changes them at its callers in other files).
//!
//! Requests (code actions, hover) are answered from the findings of the text as it is: a request
//! that comes while an edit waits is answered after linting it.

mod actions;
mod text;
mod transport;

use crate::driver::overlay;
use crate::lints::diag::{Diagnostic, Level};
use crate::lints::registry::Levels;
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types as lt;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use text::{Encoding, Lines};

/// How long the server waits after an edit for the next one before linting.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// How long the editor must be idle before the memory analyses freed is returned.
const IDLE: Duration = Duration::from_secs(1);

/// The command a code action runs to open a lint's documentation.
const EXPLAIN: &str = "async-lint.explain";

/// Runs the server on stdin/stdout until the client says `exit`; `args` are command-line options
/// every run takes (`-W all`, `--config FILE`, `--no-deps`, ...).
pub fn serve(args: &[String]) -> i32 {
    let (conn, io) = transport::stdio();
    let code = match Server::start(conn, args) {
        Ok(mut server) => {
            server.run();
            0
        }
        Err(e) => {
            eprintln!("async-lint lsp: {e}");
            1
        }
    };
    io.join();
    code
}

/// An open document.
struct Doc {
    uri: lt::Uri,
    version: i32,
    text: String,
}

/// A finding as published, with what code actions and hover need.
#[derive(Clone, Debug, PartialEq)]
struct Finding {
    diag: lt::Diagnostic,
    lint: &'static str,
    /// The machine-applicable fix: (file, range, new text).
    fix: Vec<(PathBuf, lt::Range, String)>,
    helps: Vec<String>,
}

struct Server {
    conn: transport::Connection,
    enc: Encoding,
    root: PathBuf,
    args: Vec<String>,
    /// Levels from `initializationOptions` / `workspace/didChangeConfiguration` (after the
    /// configuration file's).
    levels: Vec<(String, Level)>,
    /// Open documents by canonical path.
    docs: HashMap<PathBuf, Doc>,
    /// What was last published, by canonical path.
    published: BTreeMap<PathBuf, Vec<Finding>>,
    dirty: bool,
    watch: bool,
    /// What the last full run linted, for linting one package again on an edit.
    session: Option<Session>,
    /// Canonical paths of the buffers edited, opened or closed since the last analysis.
    edited: std::collections::HashSet<PathBuf>,
    /// Something else changed (files on disk, the configuration): the next analysis is a full
    /// run.
    full: bool,
    /// An analysis freed memory that is not yet returned to the system.
    freed: bool,
    /// Canonical paths of the files findings were in, found once between full runs (tokio's
    /// test files: 300 system calls an edit).
    canonical: std::cell::RefCell<HashMap<PathBuf, PathBuf>>,
}

/// The workspace as the last full run linted it.
struct Session {
    ws: crate::workspace::discover::Workspace,
    /// The options of that run, and the same with the dependencies' summaries (made on the
    /// first edit).
    base: crate::driver::options::Options,
    opts: Option<crate::driver::options::Options>,
    /// Each package's report, and its walked files for the next edit.
    packages: Vec<(
        crate::report::results::PackageReport,
        crate::driver::walk::FileMemo,
    )>,
    /// The package of each file, by canonical path.
    owner: HashMap<PathBuf, usize>,
    /// Each package's findings as the protocol shows them, made again only when the package is
    /// linted again (on deno, making them all took 50 ms an edit).
    shown: Vec<Shown>,
}

/// Findings as the protocol shows them, by canonical path.
type Shown = BTreeMap<PathBuf, Vec<Finding>>;

/// Sorts each file's findings by their ranges (then lint), keeping the report's order among
/// equal ones.
fn sort_findings(shown: &mut Shown) {
    for v in shown.values_mut() {
        v.sort_by_key(|f| (f.diag.range.start, f.diag.range.end, f.lint));
    }
}

/// Every package's findings together.
fn merged(shown: &[Shown]) -> Shown {
    let mut now = Shown::new();
    for s in shown {
        for (path, found) in s {
            now.entry(path.clone())
                .or_default()
                .extend(found.iter().cloned());
        }
    }
    sort_findings(&mut now);
    now
}

impl Server {
    fn start(conn: transport::Connection, args: &[String]) -> Result<Server, String> {
        let (id, params) = conn.initialize_start()?;
        let params: lt::InitializeParams = serde_json::from_value(params)
            .map_err(|e| format!("bad `initialize` parameters: {e}"))?;
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.clone())
            .unwrap_or_default();
        let enc = if offered.contains(&lt::PositionEncodingKind::UTF8) {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        #[allow(deprecated)]
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .and_then(|f| text::uri_to_path(f.uri.as_str()))
            .or_else(|| {
                params
                    .root_uri
                    .as_ref()
                    .and_then(|u| text::uri_to_path(u.as_str()))
            })
            .or_else(|| std::env::current_dir().ok())
            .ok_or("no workspace folder")?;
        let watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files)
            .and_then(|w| w.dynamic_registration)
            .unwrap_or(false);
        let result = lt::InitializeResult {
            capabilities: lt::ServerCapabilities {
                position_encoding: Some(match enc {
                    Encoding::Utf8 => lt::PositionEncodingKind::UTF8,
                    Encoding::Utf16 => lt::PositionEncodingKind::UTF16,
                }),
                text_document_sync: Some(lt::TextDocumentSyncCapability::Options(
                    lt::TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(lt::TextDocumentSyncKind::INCREMENTAL),
                        save: Some(lt::TextDocumentSyncSaveOptions::Supported(true)),
                        ..Default::default()
                    },
                )),
                code_action_provider: Some(lt::CodeActionProviderCapability::Options(
                    lt::CodeActionOptions {
                        code_action_kinds: Some(vec![lt::CodeActionKind::QUICKFIX]),
                        ..Default::default()
                    },
                )),
                hover_provider: Some(lt::HoverProviderCapability::Simple(true)),
                execute_command_provider: Some(lt::ExecuteCommandOptions {
                    commands: vec![EXPLAIN.to_string()],
                    ..Default::default()
                }),
                ..Default::default()
            },
            server_info: Some(lt::ServerInfo {
                name: "cargo-async-lint".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        };
        conn.initialize_finish(id, serde_json::to_value(result).unwrap_or_default())?;
        let mut server = Server {
            conn,
            enc,
            root,
            args: args.to_vec(),
            levels: Vec::new(),
            docs: HashMap::new(),
            published: BTreeMap::new(),
            dirty: true,
            watch,
            session: None,
            edited: Default::default(),
            full: true,
            freed: false,
            canonical: Default::default(),
        };
        if let Some(opts) = &params.initialization_options {
            server.levels = levels_of(opts);
        }
        Ok(server)
    }

    fn run(&mut self) {
        loop {
            let msg = if self.dirty {
                match self.conn.receiver.recv_timeout(DEBOUNCE) {
                    Ok(m) => m,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        self.analyse();
                        continue;
                    }
                    Err(_) => return,
                }
            } else if self.freed {
                // Once the editor has been idle for a while, what the analyses freed goes back
                // to the system (doing it after each one costs the next one a tenth more).
                match self.conn.receiver.recv_timeout(IDLE) {
                    Ok(m) => m,
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        crate::syntax::alloc::release_freed_memory();
                        self.freed = false;
                        continue;
                    }
                    Err(_) => return,
                }
            } else {
                match self.conn.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return,
                }
            };
            match msg {
                Message::Request(req) => {
                    if req.method == "shutdown" {
                        self.respond(Response::new_ok(req.id, ()));
                        continue;
                    }
                    if self.dirty {
                        self.analyse();
                    }
                    let resp = self.request(req);
                    self.respond(resp);
                }
                Message::Notification(n) => {
                    if n.method == "exit" {
                        return;
                    }
                    self.notification(n);
                }
                Message::Response(_) => {}
            }
        }
    }

    fn respond(&self, r: Response) {
        self.conn.send(Message::Response(r));
    }

    fn notify(&self, method: &str, params: impl serde::Serialize) {
        self.conn.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    fn request(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let bad = |id: RequestId, e: serde_json::Error| {
            Response::new_err(id, ErrorCode::InvalidParams as i32, e.to_string())
        };
        match req.method.as_str() {
            "textDocument/codeAction" => {
                match serde_json::from_value::<lt::CodeActionParams>(req.params) {
                    Ok(p) => Response::new_ok(id, self.code_actions(&p)),
                    Err(e) => bad(id, e),
                }
            }
            "textDocument/hover" => match serde_json::from_value::<lt::HoverParams>(req.params) {
                Ok(p) => Response::new_ok(id, self.hover(&p)),
                Err(e) => bad(id, e),
            },
            "workspace/executeCommand" => {
                match serde_json::from_value::<lt::ExecuteCommandParams>(req.params) {
                    Ok(p) => {
                        self.execute(&p);
                        Response::new_ok(id, serde_json::Value::Null)
                    }
                    Err(e) => bad(id, e),
                }
            }
            m => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("unknown method `{m}`"),
            ),
        }
    }

    fn notification(&mut self, n: Notification) {
        match n.method.as_str() {
            "initialized" if self.watch => self.register_watchers(),
            "textDocument/didOpen" => {
                if let Ok(p) = serde_json::from_value::<lt::DidOpenTextDocumentParams>(n.params)
                    && let Some(path) = canonical(p.text_document.uri.as_str())
                {
                    overlay::set(&path, Some(Arc::from(p.text_document.text.as_str())));
                    self.edited.insert(path.clone());
                    self.docs.insert(
                        path,
                        Doc {
                            uri: p.text_document.uri,
                            version: p.text_document.version,
                            text: p.text_document.text,
                        },
                    );
                    self.dirty = true;
                }
            }
            "textDocument/didChange" => {
                if let Ok(p) = serde_json::from_value::<lt::DidChangeTextDocumentParams>(n.params)
                    && let Some(path) = canonical(p.text_document.uri.as_str())
                    && let Some(doc) = self.docs.get_mut(&path)
                {
                    for c in &p.content_changes {
                        text::apply_change(&mut doc.text, c.range, &c.text, self.enc);
                    }
                    doc.version = p.text_document.version;
                    overlay::set(&path, Some(Arc::from(doc.text.as_str())));
                    self.edited.insert(path);
                    self.dirty = true;
                }
            }
            "textDocument/didClose" => {
                if let Ok(p) = serde_json::from_value::<lt::DidCloseTextDocumentParams>(n.params)
                    && let Some(path) = canonical(p.text_document.uri.as_str())
                {
                    self.docs.remove(&path);
                    overlay::set(&path, None);
                    self.edited.insert(path);
                    self.dirty = true;
                }
            }
            // Saved, or changed on disk (a checkout, another tool): read again.
            "textDocument/didSave" | "workspace/didChangeWatchedFiles" => {
                self.full = true;
                self.dirty = true;
            }
            "workspace/didChangeConfiguration" => {
                if let Ok(p) = serde_json::from_value::<lt::DidChangeConfigurationParams>(n.params)
                {
                    let settings = p.settings.get("async-lint").unwrap_or(&p.settings);
                    self.levels = levels_of(settings);
                    self.full = true;
                    self.dirty = true;
                }
            }
            _ => {}
        }
    }

    /// Asks the client to report changes to Rust files and the configuration.
    fn register_watchers(&self) {
        let watchers = [
            "**/*.rs",
            "**/async-lint.toml",
            "**/Cargo.toml",
            "**/clippy.toml",
        ]
        .into_iter()
        .map(|g| lt::FileSystemWatcher {
            glob_pattern: lt::GlobPattern::String(g.to_string()),
            kind: None,
        })
        .collect();
        let reg = lt::Registration {
            id: "async-lint-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(lt::DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        self.conn.send(Message::Request(Request::new(
            RequestId::from("async-lint-register".to_string()),
            "client/registerCapability".into(),
            lt::RegistrationParams {
                registrations: vec![reg],
            },
        )));
    }

    /// Lints what changed and publishes the findings that changed: the edited buffers' packages
    /// alone when nothing else changed and no other member depends on them, else the workspace.
    fn analyse(&mut self) {
        let t0 = std::time::Instant::now();
        self.dirty = false;
        let edited = std::mem::take(&mut self.edited);
        let full = std::mem::take(&mut self.full);
        // Messages that arrive from now on stop this analysis (see `transport::read_loop`).
        crate::driver::cancel::reset();
        // A bug that panics in one analysis must not end the editor's session: it is said on
        // stderr (the client's log) and the next analysis starts over from a full run.
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if full || !self.incremental(&edited) {
                self.analyse_all();
            }
        }));
        match run {
            Ok(()) => {}
            // A newer edit (or the end of the session) stopped it: what it was to do is done
            // by the next analysis, with the newer text.
            Err(p) if crate::driver::cancel::is_cancelled(p.as_ref()) => {
                eprintln!("async-lint lsp: analysis cancelled by a newer change");
                self.edited.extend(edited);
                self.full |= full;
                self.dirty = true;
            }
            Err(_) => {
                eprintln!("async-lint lsp: the analysis failed (a bug: please report it)");
                self.session = None;
                self.full = true;
            }
        }
        self.freed = true;
        if crate::util::timing::enabled() {
            eprintln!("timing lsp: analysis in {:?}", t0.elapsed());
        }
    }

    /// Lints again the packages of the edited files, their unchanged files taken from the last
    /// walk; false when that cannot be done (a file no package has). An edit to a member other
    /// members depend on schedules a run over the workspace after this one.
    fn incremental(&mut self, edited: &std::collections::HashSet<PathBuf>) -> bool {
        let Some(mut session) = self.session.take() else {
            return false;
        };
        // Kept through a cancellation: a package's report and walked files are replaced only
        // once its lint is done, so the session stays as the last finished analysis left it.
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.lint_edited(&mut session, edited)
        }));
        self.session = Some(session);
        done.unwrap_or_else(|p| std::panic::resume_unwind(p))
    }

    fn lint_edited(
        &mut self,
        session: &mut Session,
        edited: &std::collections::HashSet<PathBuf>,
    ) -> bool {
        let mut touched: Vec<usize> = Vec::new();
        for path in edited {
            let Some(&i) = session.owner.get(path) else {
                return false;
            };
            if !touched.contains(&i) {
                touched.push(i);
            }
        }
        // By package name: a dependent may rename it (`x = { package = "a", path = ".." }`).
        let depended_on = |i: usize| {
            let name = &session.ws.packages[i].name;
            session
                .ws
                .packages
                .iter()
                .enumerate()
                .any(|(j, p)| j != i && p.deps.iter().any(|d| d.package == *name))
        };
        // Other members' findings may change too: the workspace is linted after the edited
        // packages' findings are out.
        if touched.iter().any(|&i| depended_on(i)) {
            self.full = true;
            self.dirty = true;
        }
        let opts = session.opts.get_or_insert_with(|| {
            crate::driver::engine::options_with_summaries(&session.ws, &session.base)
        });
        for &i in &touched {
            let (report, memo) = &mut session.packages[i];
            memo.changed = edited.clone();
            *report = crate::driver::engine::lint_package_memo(
                session.ws.packages[i].clone(),
                &session.ws.root,
                opts,
                memo,
            );
        }
        for &i in &touched {
            session.shown[i] = self.findings(&session.packages[i].0);
        }
        self.publish(merged(&session.shown));
        true
    }

    /// The command line of a run: the workspace's members (or the folder), and the options the
    /// server was started with.
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["cargo-async-lint".to_string()];
        let manifest = self.root.join("Cargo.toml");
        if manifest.is_file() {
            argv.extend([
                "--workspace".to_string(),
                "--manifest-path".to_string(),
                manifest.to_string_lossy().into_owned(),
            ]);
        } else {
            argv.push(self.root.to_string_lossy().into_owned());
        }
        argv.extend(self.args.iter().cloned());
        argv
    }

    /// Applies the levels the client set.
    fn level_setter(&self) -> impl Fn(&mut Levels) + use<> {
        let levels = self.levels.clone();
        move |l: &mut Levels| {
            for (spec, level) in &levels {
                let _ = l.apply(spec, *level);
            }
        }
    }

    /// Lints the whole workspace (packages whose files did not change from the result cache).
    fn analyse_all(&mut self) {
        // Files may have moved or become links since.
        self.canonical.get_mut().clear();
        let Ok((ws, opts)) = crate::driver::cli::prepare(&self.argv(), &self.level_setter()) else {
            return;
        };
        let kept = ws.clone();
        let report = crate::driver::engine::run(ws, &opts);
        let shown: Vec<Shown> = report.packages.iter().map(|p| self.findings(p)).collect();
        self.publish(merged(&shown));
        let mut owner = HashMap::new();
        for (i, p) in report.packages.iter().enumerate() {
            for f in &p.files {
                owner.insert(
                    std::fs::canonicalize(&f.path).unwrap_or_else(|_| f.path.clone()),
                    i,
                );
            }
        }
        // The report's packages are the workspace's, in order.
        let same = report.packages.len() == kept.packages.len();
        self.session = same.then(|| Session {
            ws: kept,
            base: opts,
            opts: None,
            packages: report
                .packages
                .into_iter()
                .map(|r| (r, Default::default()))
                .collect(),
            owner,
            shown,
        });
        self.ready_for_edits();
    }

    /// Makes ready, once the findings of a full run are out, what the first edit of an open
    /// file would otherwise wait for: the options with the dependencies' summaries, and the
    /// walked files of the packages of the open files (on tokio, 0.4 s of the first edit).
    /// A newer message stops it like an analysis; the first edit then does what is left.
    fn ready_for_edits(&mut self) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let mut open: Vec<usize> = self
            .docs
            .keys()
            .filter_map(|p| session.owner.get(p).copied())
            .collect();
        open.sort_unstable();
        open.dedup();
        if open.is_empty() {
            return;
        }
        let ready = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let opts = session.opts.get_or_insert_with(|| {
                crate::driver::engine::options_with_summaries(&session.ws, &session.base)
            });
            for i in open {
                let (_, memo) = &mut session.packages[i];
                // Its findings are those of the full run: only the memo is kept.
                let _ = crate::driver::engine::lint_package_memo(
                    session.ws.packages[i].clone(),
                    &session.ws.root,
                    opts,
                    memo,
                );
            }
        }));
        if let Err(p) = ready
            && !crate::driver::cancel::is_cancelled(p.as_ref())
        {
            std::panic::resume_unwind(p);
        }
    }

    /// Publishes the findings of every file whose findings changed.
    fn publish(&mut self, mut now: Shown) {
        let gone: Vec<PathBuf> = self
            .published
            .keys()
            .filter(|p| !now.contains_key(*p))
            .cloned()
            .collect();
        let paths: Vec<PathBuf> = gone.into_iter().chain(now.keys().cloned()).collect();
        for path in paths {
            let new = now.remove(&path).unwrap_or_default();
            if self.published.get(&path) == Some(&new) {
                continue;
            }
            let (uri, version) = match self.docs.get(&path) {
                Some(d) => (d.uri.clone(), Some(d.version)),
                None => (text::path_to_uri(&path), None),
            };
            self.notify(
                "textDocument/publishDiagnostics",
                lt::PublishDiagnosticsParams {
                    uri,
                    diagnostics: new.iter().map(|f| f.diag.clone()).collect(),
                    version,
                },
            );
            if new.is_empty() {
                self.published.remove(&path);
            } else {
                self.published.insert(path, new);
            }
        }
    }

    /// The text a file was linted with: the open buffer's, else the report's, else the disk's.
    fn text_of(&self, path: &Path, reported: &str) -> String {
        if let Some(d) = self.docs.get(path) {
            return d.text.clone();
        }
        if !reported.is_empty() {
            return reported.to_string();
        }
        std::fs::read_to_string(path).unwrap_or_default()
    }

    /// A package's findings as the protocol shows them, by canonical path.
    fn findings(&self, pkg: &crate::report::results::PackageReport) -> Shown {
        // Per file: its text and line starts, found once however many findings point into it.
        let mut texts: HashMap<PathBuf, (String, Vec<usize>)> = HashMap::new();
        let mut out: Shown = BTreeMap::new();
        let mut canonical: HashMap<usize, PathBuf> = HashMap::new();
        let mut range_in = |i: usize, lo: usize, hi: usize| -> (PathBuf, lt::Range) {
            let path = canonical
                .entry(i)
                .or_insert_with(|| {
                    let p = &pkg.files[i].path;
                    let mut known = self.canonical.borrow_mut();
                    let c = known
                        .entry(p.clone())
                        .or_insert_with(|| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()));
                    c.clone()
                })
                .clone();
            let (text, starts) = texts.entry(path.clone()).or_insert_with(|| {
                let text = self.text_of(&path, &pkg.files[i].text);
                let starts = Lines::starts(&text);
                (text, starts)
            });
            let range = Lines::with_starts(text, starts).range(lo, hi, self.enc);
            (path, range)
        };
        for d in &pkg.diagnostics {
            if d.level == Level::Allow {
                continue;
            }
            let p = d.primary();
            let (path, range) = range_in(p.file, p.loc.lo, p.loc.hi);
            let mut related = Vec::new();
            for l in d.labels.iter().filter(|l| !l.primary) {
                let (lpath, lrange) = range_in(l.file, l.loc.lo, l.loc.hi);
                related.push(lt::DiagnosticRelatedInformation {
                    location: lt::Location::new(text::path_to_uri(&lpath), lrange),
                    message: l.message.clone(),
                });
            }
            for e in &d.external {
                let line = e.line.saturating_sub(1) as u32;
                related.push(lt::DiagnosticRelatedInformation {
                    location: lt::Location::new(
                        text::path_to_uri(&e.path),
                        lt::Range::new(lt::Position::new(line, 0), lt::Position::new(line, 0)),
                    ),
                    message: e.message.clone(),
                });
            }
            let here = lt::Location::new(text::path_to_uri(&path), range);
            for n in &d.notes {
                related.push(lt::DiagnosticRelatedInformation {
                    location: here.clone(),
                    message: format!("note: {n}"),
                });
            }
            let fix = d
                .fix
                .iter()
                .map(|e| {
                    let (fpath, frange) = range_in(e.file, e.loc.lo, e.loc.hi);
                    (fpath, frange, e.replacement.clone())
                })
                .collect();
            out.entry(path).or_default().push(Finding {
                diag: to_lsp(d, range, related),
                lint: d.lint,
                fix,
                helps: d.helps.clone(),
            });
        }
        sort_findings(&mut out);
        out
    }

    fn code_actions(&self, p: &lt::CodeActionParams) -> Vec<lt::CodeActionOrCommand> {
        let Some(path) = canonical(p.text_document.uri.as_str()) else {
            return Vec::new();
        };
        let Some(found) = self.published.get(&path) else {
            return Vec::new();
        };
        let text = self.text_of(&path, "");
        let mut out = Vec::new();
        for f in found.iter().filter(|f| overlaps(f.diag.range, p.range)) {
            out.extend(actions::for_finding(
                f,
                &p.text_document.uri,
                &text,
                self.enc,
            ));
        }
        out
    }

    fn hover(&self, p: &lt::HoverParams) -> Option<lt::Hover> {
        let pos = p.text_document_position_params.position;
        let path = canonical(p.text_document_position_params.text_document.uri.as_str())?;
        let found: Vec<&Finding> = self
            .published
            .get(&path)?
            .iter()
            .filter(|f| f.diag.range.start <= pos && pos <= f.diag.range.end)
            .collect();
        if found.is_empty() {
            return None;
        }
        let mut md = String::new();
        for f in found {
            let meta = crate::lints::registry::find(f.lint);
            md.push_str(&format!(
                "**async_lint::{}**: {}\n\n",
                f.lint,
                meta.map_or("", |m| m.summary)
            ));
            for h in &f.helps {
                md.push_str(&format!("help: {h}\n\n"));
            }
        }
        Some(lt::Hover {
            contents: lt::HoverContents::Markup(lt::MarkupContent {
                kind: lt::MarkupKind::Markdown,
                value: md.trim_end().to_string(),
            }),
            range: None,
        })
    }

    /// `async-lint.explain LINT`: opens the lint's entry in the catalogue (the published one,
    /// else one written under the target directory).
    fn execute(&self, p: &lt::ExecuteCommandParams) {
        if p.command != EXPLAIN {
            return;
        }
        let Some(lint) = p.arguments.first().and_then(|a| a.as_str()) else {
            return;
        };
        let url = crate::report::catalogue::lint_url(lint).or_else(|| {
            let dir = self.root.join("target").join("async-lint-catalogue");
            let page = crate::report::catalogue::write(&dir).ok()?;
            Some(format!("{}#{lint}", crate::report::format::file_uri(&page)))
        });
        match url.and_then(|u| u.parse::<lt::Uri>().ok()) {
            Some(uri) => self.conn.send(Message::Request(Request::new(
                RequestId::from(format!("async-lint-explain-{lint}")),
                "window/showDocument".into(),
                lt::ShowDocumentParams {
                    uri,
                    external: Some(true),
                    take_focus: Some(true),
                    selection: None,
                },
            ))),
            None => self.notify(
                "window/showMessage",
                lt::ShowMessageParams {
                    typ: lt::MessageType::INFO,
                    message: format!("run `cargo async-lint --explain {lint}`"),
                },
            ),
        }
    }
}

/// The diagnostic of a finding.
fn to_lsp(
    d: &Diagnostic,
    range: lt::Range,
    related: Vec<lt::DiagnosticRelatedInformation>,
) -> lt::Diagnostic {
    let mut message = d.message.clone();
    for h in &d.helps {
        message.push_str(&format!("\nhelp: {h}"));
    }
    lt::Diagnostic {
        range,
        severity: Some(match d.level {
            Level::Deny => lt::DiagnosticSeverity::ERROR,
            _ => lt::DiagnosticSeverity::WARNING,
        }),
        code: Some(lt::NumberOrString::String(d.lint.to_string())),
        code_description: crate::report::catalogue::lint_url(d.lint)
            .and_then(|u| u.parse().ok())
            .map(|href| lt::CodeDescription { href }),
        source: Some("async-lint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: (d.lint == crate::lints::unused_suppression::UNUSED_SUPPRESSION.name)
            .then(|| vec![lt::DiagnosticTag::UNNECESSARY]),
        data: None,
    }
}

/// Levels from settings: `{"lints": {"blocking_in_async": "deny", "all": "warn"}}`.
fn levels_of(v: &serde_json::Value) -> Vec<(String, Level)> {
    let mut out = Vec::new();
    if let Some(m) = v.get("lints").and_then(|l| l.as_object()) {
        for (k, level) in m {
            if let Some(l) = level.as_str().and_then(Level::parse) {
                out.push((k.clone(), l));
            }
        }
    }
    out
}

fn canonical(uri: &str) -> Option<PathBuf> {
    let p = text::uri_to_path(uri)?;
    Some(std::fs::canonicalize(&p).unwrap_or(p))
}

/// Whether two ranges share a line (a code action asked on a line gets that line's findings).
fn overlaps(a: lt::Range, b: lt::Range) -> bool {
    a.start.line <= b.end.line && b.start.line <= a.end.line
}
