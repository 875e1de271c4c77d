//! `cargo async-lint lsp` driven as an editor drives it: a scripted JSON-RPC client over the
//! child's stdin and stdout. Unsaved edits change the findings; an edit to a helper in another
//! file changes its caller's; code actions make the `--fix` edit and suppressions; positions
//! count UTF-16 units on non-ASCII lines; bad messages get errors, not a crash.

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const MANIFEST: &str = "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n\
                        [dependencies]\ntokio = { version = \"1\", features = [\"full\"] }\n";

const LIB: &str = "mod helper;
use std::time::Duration;

pub async fn handler() {
    std::thread::sleep(Duration::from_millis(5));
}

pub async fn caller() {
    helper::setup();
}

pub async fn unicode() {
    let s = \"é😀\"; std::thread::sleep(Duration::from_millis(s.len() as u64));
}
";

const HELPER: &str = "pub fn setup() {}\n";

struct Client {
    child: Child,
    stdin: ChildStdin,
    rx: Receiver<Value>,
    next_id: i64,
    /// Messages read while waiting for another one.
    seen: Vec<Value>,
}

impl Client {
    fn start(root: &Path) -> Client {
        Client::start_with(root, &[])
    }

    /// The server with options every run takes (`lsp -W all`).
    fn start_with(root: &Path, args: &[&str]) -> Client {
        Client::spawn(root, args, Stdio::inherit())
    }

    fn spawn(root: &Path, args: &[&str], stderr: Stdio) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .arg("lsp")
            .args(args)
            .current_dir(root)
            .env("XDG_CACHE_HOME", root.join("user-cache"))
            .env_remove("ASYNC_LINT_CATALOGUE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if out.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let l = line.trim_end();
                    if l.is_empty() {
                        break;
                    }
                    if let Some(v) = l.strip_prefix("Content-Length: ") {
                        len = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                out.read_exact(&mut body).unwrap();
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            rx,
            next_id: 0,
            seen: Vec::new(),
        }
    }

    fn raw(&mut self, body: &str) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, v: Value) {
        self.raw(&v.to_string());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// Sends a request and returns its response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait(|m| m["id"] == id && m.get("method").is_none())
    }

    /// The next message that satisfies `pred` (within 60 s).
    fn wait(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.seen.iter().position(&pred) {
            return self.seen.remove(i);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(m) if pred(&m) => return m,
                Ok(m) => self.seen.push(m),
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no such message in 60 s; seen: {:#?}", self.seen)
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("the server stopped; seen: {:#?}", self.seen)
                }
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "rust", "version": 1, "text": text}}),
        );
    }

    /// Replaces `(line, character)..(line, character)` (UTF-16) with `text`, unsaved.
    fn change(&mut self, uri: &str, version: i32, from: (u32, u32), to: (u32, u32), text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{
                    "range": {
                        "start": {"line": from.0, "character": from.1},
                        "end": {"line": to.0, "character": to.1},
                    },
                    "text": text,
                }],
            }),
        );
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
        m["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

fn uri(p: &Path) -> String {
    let p = common::canon(p);
    format!("file://{}", p.display())
}

/// (line, character, lint) of each diagnostic.
fn places(ds: &[Value]) -> Vec<(u64, u64, String)> {
    ds.iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_u64().unwrap(),
                d["range"]["start"]["character"].as_u64().unwrap(),
                d["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Applies text edits (non-overlapping, UTF-16 positions) to `text`.
fn apply(text: &str, edits: &[Value]) -> String {
    let offset = |pos: &Value| -> usize {
        let (line, ch) = (
            pos["line"].as_u64().unwrap() as usize,
            pos["character"].as_u64().unwrap() as usize,
        );
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        for (i, c) in text[start..].char_indices() {
            if units >= ch {
                return start + i;
            }
            units += c.len_utf16();
        }
        text.len()
    };
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|s| std::cmp::Reverse(s.0));
    let mut out = text.to_string();
    for (lo, hi, new) in spans {
        out.replace_range(lo..hi, &new);
    }
    out
}

fn workspace(name: &str) -> common::Scratch {
    common::Scratch::new(
        &format!("lsp-{name}"),
        &[
            ("Cargo.toml", MANIFEST),
            ("src/lib.rs", LIB),
            ("src/helper.rs", HELPER),
        ],
    )
}

fn initialize(c: &mut Client, root: &Path) {
    let r = c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(root),
            "capabilities": {"general": {"positionEncodings": ["utf-16"]}},
        }),
    );
    assert_eq!(
        r["result"]["capabilities"]["positionEncoding"], "utf-16",
        "{r}"
    );
    c.notify("initialized", json!({}));
}

#[test]
fn findings_follow_unsaved_edits_in_this_file_and_in_a_helper() {
    let ws = workspace("edits");
    let root = ws.0.clone();
    let (lib, helper) = (root.join("src/lib.rs"), root.join("src/helper.rs"));
    let (lib_uri, helper_uri) = (uri(&lib), uri(&helper));
    let mut c = Client::start(&root);
    initialize(&mut c, &root);
    c.open(&lib_uri, LIB);
    // The blocking calls of `handler` and `unicode`; on the non-ASCII line the column counts
    // UTF-16 units (`é` one, `😀` two).
    let ds = c.diagnostics(&lib_uri);
    let mut got = places(&ds);
    got.sort();
    assert_eq!(
        got,
        [
            (4, 4, "blocking_in_async".to_string()),
            (12, 19, "blocking_in_async".to_string())
        ],
        "{ds:#?}"
    );
    assert_eq!(ds[0]["source"], "async-lint");
    assert_eq!(ds[0]["severity"], 2);

    // The quick fix is the edit `--fix` makes.
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": {"uri": lib_uri},
            "range": {"start": {"line": 4, "character": 4}, "end": {"line": 4, "character": 4}},
            "context": {"diagnostics": []},
        }),
    );
    let actions = actions["result"].as_array().unwrap().clone();
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("Fix `blocking_in_async`")),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Allow `blocking_in_async` on this line"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Allow `blocking_in_async` for this function"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"Explain `blocking_in_async`"),
        "{titles:?}"
    );
    let fix = actions.iter().find(|a| a["isPreferred"] == true).unwrap();
    let edits = fix["edit"]["changes"][&lib_uri].as_array().unwrap();
    let by_lsp = apply(LIB, edits);
    let copy = common::Scratch::new(
        "lsp-fix-copy",
        &[
            ("Cargo.toml", MANIFEST),
            ("src/lib.rs", LIB),
            ("src/helper.rs", HELPER),
        ],
    );
    let o = common::run_bin(&["--fix", "--allow-no-vcs", "--no-cache"], &copy.0);
    assert!(o.status.code().is_some(), "{o:?}");
    let by_cli = std::fs::read_to_string(copy.0.join("src/lib.rs")).unwrap();
    assert_eq!(
        by_lsp.lines().nth(4),
        by_cli.lines().nth(4),
        "{by_lsp}\n---\n{by_cli}"
    );
    assert_ne!(by_lsp.lines().nth(4), LIB.lines().nth(4));
    // The suppression silences the finding once written.
    let allow = actions
        .iter()
        .find(|a| a["title"] == "Allow `blocking_in_async` for this function")
        .unwrap();
    let suppressed = apply(LIB, allow["edit"]["changes"][&lib_uri].as_array().unwrap());
    assert!(
        suppressed
            .contains("// async-lint: allow(blocking_in_async) -- reason\npub async fn handler"),
        "{suppressed}"
    );

    // Hover on the finding.
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": lib_uri}, "position": {"line": 4, "character": 8}}),
    );
    assert!(
        h["result"]["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("async_lint::blocking_in_async"),
        "{h}"
    );

    // Typing the fix, unsaved: the finding goes; the file on disk is untouched.
    c.change(
        &lib_uri,
        2,
        (4, 4),
        (4, 49),
        "tokio::time::sleep(Duration::from_millis(5)).await;",
    );
    let ds = c.diagnostics(&lib_uri);
    assert_eq!(
        places(&ds),
        [(12, 19, "blocking_in_async".to_string())],
        "{ds:#?}"
    );
    assert_eq!(std::fs::read_to_string(&lib).unwrap(), LIB);

    // A helper in another file starts to block, unsaved: its async caller is reported.
    c.open(&helper_uri, HELPER);
    c.change(
        &helper_uri,
        2,
        (0, 16),
        (0, 17),
        "\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}",
    );
    let ds = c.diagnostics(&lib_uri);
    let mut got = places(&ds);
    got.sort();
    assert_eq!(
        got,
        [
            (8, 4, "blocking_in_async".to_string()),
            (12, 19, "blocking_in_async".to_string())
        ],
        "{ds:#?}"
    );
    let caller = ds
        .iter()
        .find(|d| d["range"]["start"]["line"] == 8)
        .unwrap();
    assert!(
        caller["message"]
            .as_str()
            .unwrap()
            .contains("`setup` blocks: it calls `std::thread::sleep`"),
        "{caller}"
    );
    // The helper's definition, as related information.
    let related = caller["relatedInformation"].as_array().unwrap();
    assert!(
        related.iter().any(|r| r["location"]["uri"] == helper_uri),
        "{caller}"
    );

    // Closing the helper without saving: the disk's text is linted again.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": helper_uri}}),
    );
    let ds = c.diagnostics(&lib_uri);
    assert_eq!(
        places(&ds),
        [(12, 19, "blocking_in_async".to_string())],
        "{ds:#?}"
    );

    shutdown(c);
}

/// An unsaved edit to a member's helper changes the findings of another member that calls it
/// under another name (through the first member's summary, made from the buffer's text).
#[test]
fn an_edit_to_a_member_reaches_the_members_that_call_it() {
    let member = |name: &str, deps: &str| {
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\n{deps}"
        )
    };
    let ws = common::Scratch::new(
        "lsp-members",
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"a\", \"b\"]\nresolver = \"2\"\n",
            ),
            ("a/Cargo.toml", &member("a", "")),
            ("a/src/lib.rs", "pub fn setup() {}\n"),
            // Renamed by its dependent: the server knows it is `a` all the same.
            (
                "b/Cargo.toml",
                &member("b", "setup_crate = { package = \"a\", path = \"../a\" }\n"),
            ),
            (
                "b/src/lib.rs",
                "pub async fn run() {\n    setup_crate::setup();\n}\n",
            ),
        ],
    );
    let root = ws.0.clone();
    // Cargo wants a lock file for the dependency graph; `cargo metadata` writes none offline.
    let lock = std::process::Command::new("cargo")
        .args(["generate-lockfile", "--offline"])
        .current_dir(&root)
        .output()
        .unwrap();
    assert!(lock.status.success(), "{lock:?}");
    let (a_uri, b_uri) = (
        uri(&root.join("a/src/lib.rs")),
        uri(&root.join("b/src/lib.rs")),
    );
    let mut c = Client::start(&root);
    initialize(&mut c, &root);
    c.open(
        &b_uri,
        "pub async fn run() {\n    setup_crate::setup();\n}\n",
    );
    c.open(&a_uri, "pub fn setup() {}\n");
    // Linted once as they are (a request waits for the pending analysis).
    let h = c.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": b_uri}, "position": {"line": 1, "character": 8}}),
    );
    assert!(h["result"].is_null(), "{h}");
    c.change(
        &a_uri,
        2,
        (0, 16),
        (0, 17),
        "\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}",
    );
    let ds = c.diagnostics(&b_uri);
    assert_eq!(
        places(&ds),
        [(1, 4, "blocking_in_async".to_string())],
        "{ds:#?}"
    );
    shutdown(c);
}

#[test]
fn a_newer_edit_cancels_the_analysis_in_flight() {
    // A crate large enough that its first analysis takes a second or more (6 MB: about 2 s in
    // a debug build, 0.6 s in a release build), and a change typed 0.2 s into it.
    let mut files: Vec<(String, String)> = vec![
        ("Cargo.toml".into(), MANIFEST.into()),
        (
            "src/lib.rs".into(),
            (0..400).map(|i| format!("pub mod g{i};\n")).collect(),
        ),
    ];
    for i in 0..400 {
        let body: String = (0..60)
            .map(|j| {
                format!(
                    "pub async fn f{j}(x: u64) -> u64 {{\n    let v: Vec<u64> = (0..x).map(|i| i * {j}).collect();\n    let s = format!(\"{{}}\", v.len());\n    helper_{j}(s.len() as u64).await + v.iter().sum::<u64>()\n}}\nasync fn helper_{j}(y: u64) -> u64 {{\n    y + {j}\n}}\n"
                )
            })
            .collect();
        files.push((format!("src/g{i}.rs"), body));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let ws = common::Scratch::new("lsp-cancel", &refs);
    let root = ws.0.clone();
    let log = root.join("server.log");
    let mut c = Client::spawn(
        &root,
        &[],
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    initialize(&mut c, &root);
    let file = root.join("src/g0.rs");
    let file_uri = uri(&file);
    // Version 1 blocks in an async fn; version 2, typed while version 1 is analysed, has a
    // line more above it, so each version's finding has its own line.
    let v1 = format!(
        "{}async fn late() {{\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}}\n",
        files[2].1
    );
    let sleep_line = v1.lines().count() as u64 - 2;
    c.open(&file_uri, &v1);
    std::thread::sleep(Duration::from_millis(200));
    let at = (sleep_line - 1) as u32;
    c.change(&file_uri, 2, (at, 0), (at, 0), "// typed\n");
    let published = c.wait(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == file_uri
            && m["params"]["version"] == 2
    });
    let ds = published["params"]["diagnostics"].as_array().unwrap();
    assert_eq!(
        places(ds),
        vec![(sleep_line + 1, 4, "blocking_in_async".to_string())],
        "{ds:#?}"
    );
    // Nothing of version 1 reached the editor: its analysis stopped before publishing.
    let stale: Vec<&Value> = c
        .seen
        .iter()
        .filter(|m| m["params"]["uri"] == file_uri)
        .collect();
    assert!(
        stale.is_empty(),
        "version 1's findings were published: {stale:#?}"
    );
    shutdown(c);
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(
        log.contains("analysis cancelled by a newer change"),
        "the first analysis was not in flight when the change came (make the crate larger?): {log}"
    );
}

#[test]
fn an_edit_to_a_field_type_reaches_the_code_that_holds_the_field() {
    let ws = common::Scratch::new(
        "lsp-fields",
        &[
            ("Cargo.toml", MANIFEST),
            ("src/lib.rs", "pub mod handler;\npub mod state;\n"),
            (
                "src/state.rs",
                "pub struct State {\n    pub m: std::sync::Mutex<u8>,\n}\n",
            ),
            (
                "src/handler.rs",
                "use crate::state::State;\n\npub async fn run(s: &State) {\n    let g = s.m.lock().unwrap();\n    tick().await;\n    drop(g);\n}\n\nasync fn tick() {}\n",
            ),
        ],
    );
    let root = ws.0.clone();
    let (state, handler) = (
        uri(&root.join("src/state.rs")),
        uri(&root.join("src/handler.rs")),
    );
    let mut c = Client::start(&root);
    initialize(&mut c, &root);
    c.open(
        &handler,
        &std::fs::read_to_string(root.join("src/handler.rs")).unwrap(),
    );
    let codes = |ds: &[Value]| -> Vec<String> {
        let mut v: Vec<String> = places(ds)
            .into_iter()
            .map(|(l, _, c)| format!("{l}:{c}"))
            .collect();
        v.sort();
        v
    };
    assert_eq!(codes(&c.diagnostics(&handler)), ["3:lock_across_await"]);
    // A body edit: the package's facts are merged for the memo (the next edit splices into them).
    c.change(
        &handler,
        2,
        (6, 0),
        (6, 0),
        "    std::thread::sleep(std::time::Duration::from_millis(1));\n",
    );
    assert_eq!(
        codes(&c.diagnostics(&handler)),
        ["3:lock_across_await", "6:blocking_in_async"]
    );
    // The field's type changes in another file: the merged facts' fields follow.
    c.open(
        &state,
        &std::fs::read_to_string(root.join("src/state.rs")).unwrap(),
    );
    c.change(&state, 2, (1, 11), (1, 27), "tokio::sync::Mutex");
    assert_eq!(codes(&c.diagnostics(&handler)), ["6:blocking_in_async"]);
    shutdown(c);
}

#[test]
fn a_function_added_in_another_file_is_what_calls_there_now_reach() {
    let b_text = "pub async fn run() {\n    crate::a::helper();\n}\n\npub async fn wait() {\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";
    let ws = common::Scratch::new(
        "lsp-added-fn",
        &[
            ("Cargo.toml", MANIFEST),
            ("src/lib.rs", "pub mod a;\npub mod b;\n"),
            ("src/a.rs", "pub fn other() {}\n"),
            ("src/b.rs", b_text),
        ],
    );
    let root = ws.0.clone();
    let (a, b) = (uri(&root.join("src/a.rs")), uri(&root.join("src/b.rs")));
    let mut c = Client::start(&root);
    initialize(&mut c, &root);
    let lines = |ds: &[Value]| -> Vec<u64> {
        let mut v: Vec<u64> = places(ds).into_iter().map(|(l, _, _)| l).collect();
        v.sort();
        v
    };
    c.open(&b, b_text);
    assert_eq!(lines(&c.diagnostics(&b)), [5]);
    // A body edit first: the package's facts and index are kept for the edits after it.
    c.change(
        &b,
        2,
        (6, 0),
        (6, 0),
        "    std::thread::sleep(std::time::Duration::from_millis(2));\n",
    );
    assert_eq!(lines(&c.diagnostics(&b)), [5, 6]);
    // `helper` appears in `a.rs`: the call in `b.rs` that named nothing now reaches it.
    c.open(&a, "pub fn other() {}\n");
    c.change(
        &a,
        2,
        (0, 0),
        (0, 0),
        "pub fn helper() {\n    std::thread::sleep(std::time::Duration::from_millis(3));\n}\n",
    );
    assert_eq!(lines(&c.diagnostics(&b)), [1, 5, 6]);
    // And goes again.
    c.change(&a, 3, (0, 0), (3, 0), "");
    assert_eq!(lines(&c.diagnostics(&b)), [5, 6]);
    shutdown(c);
}

#[test]
fn bad_messages_get_errors_and_the_session_goes_on() {
    let ws = workspace("errors");
    let root = ws.0.clone();
    let mut c = Client::start(&root);
    initialize(&mut c, &root);
    let r = c.request("textDocument/notAThing", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    let r = c.request("textDocument/hover", json!({"position": "nowhere"}));
    assert_eq!(r["error"]["code"], -32602, "{r}");
    c.raw("{not json");
    let r = c.wait(|m| m["id"].is_null() && m.get("error").is_some());
    assert_eq!(r["error"]["code"], -32700, "{r}");
    // Still answering.
    let r = c.request("textDocument/notAThing", json!({}));
    assert_eq!(r["error"]["code"], -32601, "{r}");
    shutdown(c);
}

/// Levels from the server's command line (`lsp -W ..`) and from the client's
/// `initializationOptions`, then from `workspace/didChangeConfiguration`.
#[test]
fn levels_from_the_command_line_and_the_client() {
    let src = "pub async fn f() {\n    let _ = std::path::Path::new(\"x\").exists();\n    std::thread::sleep(std::time::Duration::from_millis(1));\n}\n";
    let ws = common::Scratch::new(
        "lsp-levels",
        &[("Cargo.toml", MANIFEST), ("src/lib.rs", src)],
    );
    let root = ws.0.clone();
    let lib_uri = uri(&root.join("src/lib.rs"));
    let mut c = Client::start_with(&root, &["-W", "fs_metadata_in_async"]);
    let r = c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(&root),
            "capabilities": {},
            "initializationOptions": {"lints": {"blocking_in_async": "deny"}},
        }),
    );
    assert!(r.get("error").is_none(), "{r}");
    c.notify("initialized", json!({}));
    c.open(&lib_uri, src);
    // `fs_metadata_in_async` is allowed by default; `-W` turns it on. `blocking_in_async` is
    // an error, as the client asked.
    let ds = c.diagnostics(&lib_uri);
    let mut got: Vec<(String, u64)> = ds
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["severity"].as_u64().unwrap(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("blocking_in_async".to_string(), 1),
            ("fs_metadata_in_async".to_string(), 2)
        ],
        "{ds:#?}"
    );
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"async-lint": {"lints": {"blocking_in_async": "allow"}}}}),
    );
    let ds = c.diagnostics(&lib_uri);
    assert_eq!(
        places(&ds),
        [(1, 38, "fs_metadata_in_async".to_string())],
        "{ds:#?}"
    );
    shutdown(c);
}

/// `initialize` with UTF-8 offered: columns count bytes.
#[test]
fn utf8_positions_when_the_client_offers_them() {
    let ws = workspace("utf8");
    let root = ws.0.clone();
    let lib_uri = uri(&root.join("src/lib.rs"));
    let mut c = Client::start(&root);
    let r = c.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri(&root),
            "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}},
        }),
    );
    assert_eq!(
        r["result"]["capabilities"]["positionEncoding"], "utf-8",
        "{r}"
    );
    c.notify("initialized", json!({}));
    c.open(&lib_uri, LIB);
    let ds = c.diagnostics(&lib_uri);
    let mut got = places(&ds);
    got.sort();
    // `é` is two bytes, `😀` four.
    assert_eq!(got[1], (12, 22, "blocking_in_async".to_string()), "{ds:#?}");
    shutdown(c);
}

fn shutdown(mut c: Client) {
    let r = c.request("shutdown", Value::Null);
    assert!(r.get("error").is_none(), "{r}");
    c.notify("exit", Value::Null);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = c.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            return;
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The directory of a package of the corpus (`corpus/Cargo.toml`'s dependencies, fetched by
/// `.ci/run`), if cargo has it.
fn corpus_package(name: &str) -> Option<std::path::PathBuf> {
    let out = std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--manifest-path",
        ])
        .arg(common::root().join("corpus/Cargo.toml"))
        .output()
        .ok()?;
    let meta: Value = serde_json::from_slice(&out.stdout).ok()?;
    meta["packages"].as_array()?.iter().find_map(|p| {
        (p["name"] == name).then(|| {
            Path::new(p["manifest_path"].as_str().unwrap())
                .parent()
                .unwrap()
                .to_path_buf()
        })
    })
}

/// Real code: after edits to several files of tokio's sources (a blocking helper added in one
/// file and called from async code in another, removed again, blocking calls typed and
/// deleted), what the server shows is what a run on the same text finds, file by file.
#[test]
fn after_edits_to_real_code_the_findings_are_a_runs_on_the_same_text() {
    let Some(tokio) = corpus_package("tokio") else {
        println!("skipped: tokio's sources are not in cargo's cache (`.ci/run` fetches them)");
        return;
    };
    let ws = common::Scratch::new("lsp-tokio", &[]);
    let root = ws.0.clone();
    for entry in walkdir::WalkDir::new(tokio.join("src")) {
        let entry = entry.unwrap();
        let to = root.join(entry.path().strip_prefix(&tokio).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    std::fs::copy(tokio.join("Cargo.toml"), root.join("Cargo.toml")).unwrap();
    let files = ["src/sync/mutex.rs", "src/fs/file.rs", "src/task/spawn.rs"];
    let mut texts: Vec<String> = files
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).unwrap())
        .collect();
    let uris: Vec<String> = files.iter().map(|f| uri(&root.join(f))).collect();
    let mut c = Client::start(&root);
    initialize(&mut c, &root);
    for (u, t) in uris.iter().zip(&texts) {
        c.open(u, t);
    }
    let end = |t: &str| (t.lines().count() as u32, 0u32);
    let edits: [(usize, &str); 6] = [
        // A sync helper that blocks, at the end of mutex.rs ...
        (
            0,
            "pub(crate) fn __blocking_helper() { std::thread::sleep(std::time::Duration::from_millis(1)); }\n",
        ),
        // ... called from async code in file.rs: reported there.
        (
            1,
            "pub(crate) async fn __calls_helper() { crate::sync::mutex::__blocking_helper(); }\n",
        ),
        // A blocking call typed in spawn.rs.
        (2, "async fn __typed() { let _ = std::fs::read(\"x\"); }\n"),
        // More in file.rs, then a helper in spawn.rs that does not block.
        (
            1,
            "async fn __more() { std::thread::sleep(std::time::Duration::from_millis(2)); }\n",
        ),
        (2, "pub(crate) fn __quiet() -> u32 { 1 }\n"),
        (
            0,
            "async fn __uses_quiet() { let _ = crate::task::spawn::__quiet(); }\n",
        ),
    ];
    // Each edit linted before the next (a request is answered after the pending analysis), so
    // that every one but the first reuses the walk before it.
    let settle = |c: &mut Client, u: &str| {
        c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": {"line": 0, "character": 0}}),
        );
    };
    settle(&mut c, &uris[0]);
    let mut version = 1;
    for (f, add) in edits {
        version += 1;
        let at = end(&texts[f]);
        c.change(&uris[f], version, at, at, add);
        texts[f].push_str(add);
        settle(&mut c, &uris[f]);
    }
    // The helper is taken out again: its caller's finding goes.
    version += 1;
    let helper = texts[0].find("pub(crate) fn __blocking_helper").unwrap();
    let line = texts[0][..helper].lines().count() as u32;
    c.change(&uris[0], version, (line, 0), (line + 1, 0), "");
    let next = texts[0][helper..].find('\n').unwrap() + helper + 1;
    texts[0].replace_range(helper..next, "");
    // Wait for the analysis, then read the last publishes.
    settle(&mut c, &uris[0]);
    let mut last: std::collections::HashMap<String, Vec<Value>> = Default::default();
    for m in c.seen.drain(..) {
        if m["method"] == "textDocument/publishDiagnostics" {
            last.insert(
                m["params"]["uri"].as_str().unwrap().to_string(),
                m["params"]["diagnostics"].as_array().unwrap().clone(),
            );
        }
    }
    while let Ok(m) = c.rx.try_recv() {
        if m["method"] == "textDocument/publishDiagnostics" {
            last.insert(
                m["params"]["uri"].as_str().unwrap().to_string(),
                m["params"]["diagnostics"].as_array().unwrap().clone(),
            );
        }
    }
    shutdown(c);
    // A run on the same text: the edited files written out.
    for (f, t) in files.iter().zip(&texts) {
        std::fs::write(root.join(f), t).unwrap();
    }
    let o = common::run_bin(&["--no-cache", "--message-format", "json"], &root);
    let mut by_run: std::collections::BTreeMap<String, Vec<(u64, String)>> = Default::default();
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        let Ok(m) = serde_json::from_str::<Value>(l) else {
            continue;
        };
        if m["reason"] != "compiler-message" {
            continue;
        }
        let span = m["message"]["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["is_primary"] == true)
            .unwrap();
        let file = uri(&root.join(span["file_name"].as_str().unwrap()));
        let code = m["message"]["code"]["code"].as_str().unwrap();
        by_run.entry(file).or_default().push((
            span["line_start"].as_u64().unwrap() - 1,
            code.trim_start_matches("async_lint::").to_string(),
        ));
    }
    let mut shown: std::collections::BTreeMap<String, Vec<(u64, String)>> = Default::default();
    for (u, ds) in last {
        let mut v: Vec<(u64, String)> = places(&ds).into_iter().map(|(l, _, c)| (l, c)).collect();
        v.sort();
        if !v.is_empty() {
            shown.insert(u, v);
        }
    }
    for v in by_run.values_mut() {
        v.sort();
    }
    // The edited files' findings: the added blocking calls are there, the removed helper's
    // caller is not.
    let file_rs = &shown[&uris[1]];
    assert!(
        file_rs.iter().any(|(_, c)| c == "blocking_in_async"),
        "{file_rs:?}"
    );
    assert!(shown.contains_key(&uris[2]), "{shown:?}");
    for u in &uris {
        assert_eq!(shown.get(u), by_run.get(u), "{u}");
    }
    // Every file the server published for agrees with the run.
    for (u, v) in &shown {
        assert_eq!(Some(v), by_run.get(u), "{u}");
    }
}
