//! The rustdoc examples of tokio (from cargo's source cache): extracted and wrapped as rustdoc
//! does, each linted as a crate of its own file with the default levels. No `block_on_in_async`
//! finding, and every other finding is one that was read and judged true (listed below).
//! Skipped, with a printed reason, when tokio's source is not in the cache.

mod common;
use common::*;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The tokio version the reviewed findings below come from.
const TOKIO: &str = "tokio-1.54.1";

/// Examples tokio 1.54.1 has (fenced Rust code blocks in its doc comments that rustdoc tests).
const EXAMPLES: usize = 857;

/// Findings read and judged true: (example's source `file:line` in tokio, lint). A finding
/// not listed here fails the test until someone reads it; see the review in each comment.
const REVIEWED: &[(&str, &str)] = &[
    // `let future = options.read(true).open("foo.txt");` and nothing more: the future is
    // created and dropped, the file is never opened. True (the example only shows the call).
    ("src/fs/open_options.rs:116", "unawaited_future"),
    // `std::net::TcpStream::connect(..)` in `#[tokio::main] async fn main`, to show
    // `AsyncFd` / `TcpStream::from_std` on a std socket: a blocking connect on the runtime's
    // thread. True (harmless at the top of `main`, but it blocks).
    ("src/io/async_fd.rs:500", "blocking_in_async"),
    ("src/io/async_fd.rs:598", "blocking_in_async"),
    ("src/io/async_fd.rs:1029", "blocking_in_async"),
    ("src/io/async_fd.rs:1257", "blocking_in_async"),
    ("src/net/tcp/stream.rs:203", "blocking_in_async"),
    // `std::os::unix::net::UnixStream::connect(..)` in an `async fn`: blocking. True.
    ("src/net/unix/stream.rs:831", "blocking_in_async"),
    // `# let _ = command.output(); // assert borrow checker`: a hidden line that creates the
    // future only to type-check the example and drops it unrun. True (deliberate).
    ("src/process/mod.rs:310", "unawaited_future"),
    ("src/process/mod.rs:346", "unawaited_future"),
    ("src/process/mod.rs:355", "unawaited_future"),
    // `# handle.join().unwrap();` of a std thread, inside `rt.spawn(async { .. })`: joining
    // blocks the worker thread. True.
    ("src/runtime/handle.rs:110", "blocking_in_async"),
    // `sync_code.join().unwrap()` of a `std::thread::spawn` handle in `#[tokio::main] async
    // fn main`: blocks the runtime's thread until the thread ends. True.
    ("src/sync/broadcast.rs:1561", "blocking_in_async"),
    ("src/sync/mpsc/unbounded.rs:311", "blocking_in_async"),
    ("src/sync/oneshot.rs:1218", "blocking_in_async"),
];

/// tokio's source directory in cargo's registry cache: `TOKIO` when it is there, else the
/// newest tokio 1.x present.
fn tokio_source() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .filter_map(Result::ok)
        .flat_map(|index| std::fs::read_dir(index.path()).into_iter().flatten())
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("tokio-1."))
                && p.join("src/lib.rs").is_file()
        })
        .collect();
    found.sort_by_key(|p| {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        let v: Vec<u64> = name["tokio-".len()..]
            .split('.')
            .map(|s| s.parse().unwrap_or(0))
            .collect();
        (name == TOKIO, v)
    });
    found.pop()
}

/// One example: where it starts in tokio, and the code rustdoc compiles.
struct Example {
    origin: String,
    code: String,
}

/// The text of a doc-comment line (`///` or `//!`, not `////`) and which kind it is.
fn doc_line(line: &str) -> Option<(bool, &str)> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix("//!") {
        return Some((true, rest));
    }
    match t.strip_prefix("///") {
        Some(rest) if !rest.starts_with('/') => Some((false, rest)),
        _ => None,
    }
}

/// Whether rustdoc tests a code block with this info string: Rust (no tag, or only rustdoc's
/// own tags, or `rust`), and not `ignore` or `compile_fail`.
fn is_tested(info: &str) -> bool {
    let tags: Vec<&str> = info
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .collect();
    let rustdoc_tag = |t: &str| {
        matches!(
            t,
            "rust" | "no_run" | "should_panic" | "test_harness" | "standalone_crate"
        ) || t.starts_with("edition")
            || (t.starts_with('E') && t[1..].chars().all(|c| c.is_ascii_digit()))
            || t.starts_with('{')
    };
    let skipped = |t: &str| t == "ignore" || t.starts_with("ignore-") || t == "compile_fail";
    !tags.iter().any(|t| skipped(t))
        && (tags.contains(&"rust") || tags.iter().all(|t| rustdoc_tag(t)))
}

/// The code of a doc test as rustdoc builds it: hidden lines (`# `) kept without their mark,
/// `##` unescaped, crate attributes first, the rest wrapped in `fn main() { .. }` unless the
/// example has its own `fn main`.
fn wrap(lines: &[String]) -> String {
    let mut attrs = String::new();
    let mut body = String::new();
    for l in lines {
        let t = l.trim();
        let line = if let Some(rest) = t.strip_prefix("##") {
            format!("#{rest}")
        } else if let Some(rest) = t.strip_prefix("# ") {
            rest.to_string()
        } else if t == "#" {
            String::new()
        } else {
            l.clone()
        };
        if line.trim_start().starts_with("#![") {
            attrs.push_str(&line);
            attrs.push('\n');
        } else {
            body.push_str(&line);
            body.push('\n');
        }
    }
    // rustdoc looks for a `fn main` among the example's items (when they parse as items);
    // examples whose `fn main` sits inside a `# {` block get wrapped, which nests it.
    let has_main = syn::parse_file(&body).is_ok_and(|f| {
        f.items
            .iter()
            .any(|i| matches!(i, syn::Item::Fn(f) if f.sig.ident == "main"))
    });
    if has_main {
        format!("{attrs}{body}")
    } else {
        format!("{attrs}fn main() {{\n{body}}}\n")
    }
}

/// The tested code blocks of one file's doc comments.
fn examples_of(path: &Path, rel: &str, out: &mut Vec<Example>) {
    let text = std::fs::read_to_string(path).unwrap();
    // (fence, indentation, first line, lines) of the open block.
    let mut open: Option<(String, usize, usize, bool, Vec<String>)> = None;
    let mut kind = None;
    for (i, line) in text.lines().enumerate() {
        let Some((inner, doc)) = doc_line(line) else {
            // A doc comment ended: so did any block in it.
            open = None;
            kind = None;
            continue;
        };
        if kind != Some(inner) {
            open = None;
            kind = Some(inner);
        }
        // One space after the marker is the comment's, not the text's.
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        let indent = doc.len() - doc.trim_start().len();
        let t = doc.trim_start();
        match &mut open {
            None => {
                let fence: String = t.chars().take_while(|c| *c == '`' || *c == '~').collect();
                if fence.len() >= 3 && fence.chars().all(|c| c == fence.as_bytes()[0] as char) {
                    let info = &t[fence.len()..];
                    open = Some((fence, indent, i + 1, is_tested(info), Vec::new()));
                }
            }
            Some((fence, fence_indent, first, tested, lines)) => {
                if t.starts_with(fence.as_str())
                    && t.trim_end().chars().all(|c| c == '`' || c == '~')
                {
                    if *tested {
                        out.push(Example {
                            origin: format!("{rel}:{first}"),
                            code: wrap(lines),
                        });
                    }
                    open = None;
                } else {
                    let strip = indent.min(*fence_indent);
                    lines.push(doc[strip..].to_string());
                }
            }
        }
    }
}

#[test]
fn tokio_doc_examples_have_no_false_findings() {
    let Some(tokio) = tokio_source() else {
        println!(
            "skipped: no tokio 1.x source in cargo's registry cache (`cargo fetch --manifest-path corpus/Cargo.toml`)"
        );
        return;
    };
    let version = tokio.file_name().unwrap().to_string_lossy().into_owned();
    let mut examples = Vec::new();
    for f in rs_files(&tokio.join("src")) {
        let rel = f
            .strip_prefix(&tokio)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        examples_of(&f, &rel, &mut examples);
    }
    println!("{version}: {} doc examples", examples.len());
    if version == TOKIO {
        assert_eq!(
            examples.len(),
            EXAMPLES,
            "examples extracted from {version}"
        );
    }
    let files: Vec<(String, String)> = examples
        .iter()
        .enumerate()
        .map(|(i, e)| (format!("ex{i:04}.rs"), e.code.clone()))
        .collect();
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let scratch = Scratch::new("doc-examples", &refs);
    // To read the examples as linted, or lint them with another binary.
    if let Some(keep) = std::env::var_os("ASYNC_LINT_KEEP_DOC_EXAMPLES") {
        for (p, t) in &refs {
            std::fs::create_dir_all(&keep).unwrap();
            std::fs::write(Path::new(&keep).join(p), t).unwrap();
        }
    }
    let ws = cargo_async_lint::workspace::discover::from_paths(std::slice::from_ref(&scratch.0))
        .unwrap();
    let report = cargo_async_lint::driver::engine::run(
        ws,
        &cargo_async_lint::driver::options::Options::default(),
    );
    let mut found = Vec::new();
    let mut listing = String::new();
    for (pkg, d) in report.diagnostics() {
        let p = d.primary();
        let file = &pkg.files[p.file].path;
        let n: usize = file.file_stem().unwrap().to_string_lossy()[2..]
            .parse()
            .unwrap();
        let e = &examples[n];
        let line = e.code.lines().nth(p.loc.line - 1).unwrap_or("").trim();
        writeln!(
            listing,
            "{} (example line {}): {} {}\n    {line}",
            e.origin, p.loc.line, d.lint, d.message
        )
        .unwrap();
        found.push((e.origin.clone(), d.lint));
    }
    println!("{} findings:\n{listing}", found.len());
    assert!(
        !found.iter().any(|(_, l)| *l == "block_on_in_async"),
        "block_on_in_async in tokio's doc examples:\n{listing}"
    );
    if version == TOKIO {
        for (origin, lint) in REVIEWED {
            if !found.iter().any(|(o, l)| o == origin && l == lint) {
                println!("no longer reported (remove from REVIEWED): {origin} {lint}");
            }
        }
        let unreviewed: Vec<_> = found
            .iter()
            .filter(|(o, l)| !REVIEWED.contains(&(o.as_str(), *l)))
            .collect();
        assert!(
            unreviewed.is_empty(),
            "findings nobody has judged yet (read each, then list it in REVIEWED): {unreviewed:?}\n{listing}"
        );
    }
}
