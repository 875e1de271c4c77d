//! Bounded property test over generated async Rust (issue 8): the linter never panics, never
//! hangs, its output is deterministic, and every diagnostic points inside its file.
//!
//! The generator is structure-aware (it emits syntactically valid Rust from random combinations
//! of the constructs the lints look at), plus deliberately broken inputs (byte flips,
//! truncations, non-UTF-8). Everything derives from one seed, printed on failure; override it
//! and the number of files with `ASYNC_LINT_PROPTEST_SEED` and `ASYNC_LINT_PROPTEST_CASES`.

mod common;
use cargo_async_lint::report::results::Report;
use common::*;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const DEFAULT_SEED: u64 = 0x5eed_a5c1_1a7e_0008;
const DEFAULT_CASES: usize = 300;
const FILES_PER_CRATE: usize = 30;
/// Far above the expected run time: only a hang gets there.
const HANG_LIMIT: Duration = Duration::from_secs(120);

/// splitmix64: tiny, deterministic, good enough to pick grammar productions.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    /// True with probability `pct`%.
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => {
            let v = v.trim();
            let parsed = v
                .strip_prefix("0x")
                .and_then(|h| u64::from_str_radix(h, 16).ok())
                .map(|n| n.to_string());
            parsed
                .as_deref()
                .unwrap_or(v)
                .parse()
                .unwrap_or_else(|_| panic!("{name}={v}: not a number"))
        }
        Err(_) => default,
    }
}

/// A function the generated code can call.
#[derive(Clone)]
struct Callee {
    name: String,
    is_async: bool,
    arity: usize,
}

/// Generates one file's text.
struct Gen {
    rng: Rng,
    out: String,
    indent: usize,
    counter: usize,
    /// Statements left to emit in the current function (bounds the file size).
    budget: isize,
    /// Functions of the file (free functions and `Type.method` calls).
    callees: Vec<Callee>,
    /// Imports in effect: `sleep` / `fs` / `thread` / `nap` / `rts` short names.
    has_sleep: bool,
    has_fs: bool,
    has_thread: bool,
    has_nap: bool,
    has_rts: bool,
}

/// Statement context: can it `.await`, how deep, which locals exist.
#[derive(Clone)]
struct Cx {
    is_async: bool,
    depth: usize,
    max_depth: usize,
    locals: Vec<String>,
    in_loop: bool,
    in_method: bool,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            rng: Rng::new(seed),
            out: String::new(),
            indent: 0,
            counter: 0,
            budget: 0,
            callees: Vec::new(),
            has_sleep: false,
            has_fs: false,
            has_thread: false,
            has_nap: false,
            has_rts: false,
        }
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}{}", self.counter)
    }

    fn line(&mut self, s: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(s);
        self.out.push('\n');
    }

    /// Emits `head {`, the body, then `}` + `tail`.
    fn block(&mut self, head: &str, tail: &str, body: impl FnOnce(&mut Gen)) {
        self.line(&format!("{head} {{"));
        self.indent += 1;
        body(self);
        self.indent -= 1;
        self.line(&format!("}}{tail}"));
    }

    fn file(&mut self, mods: &[String]) -> String {
        let deep = self.rng.chance(15);
        for m in mods {
            self.line(&format!("mod {m};"));
        }
        self.uses();
        self.line("static STATE: std::sync::Mutex<u32> = std::sync::Mutex::new(0);");
        // Declare the functions first, so bodies can call any of them.
        let n = self.rng.range(1, 6);
        let mut fns = Vec::new();
        for _ in 0..n {
            let is_async = self.rng.chance(65);
            let name = self.fresh(if is_async { "a" } else { "s" });
            let arity = self.rng.below(3);
            let c = Callee {
                name,
                is_async,
                arity,
            };
            self.callees.push(c.clone());
            fns.push(c);
        }
        let types = self.rng.below(3);
        let mut impls = Vec::new();
        for _ in 0..types {
            let ty = self.fresh("T");
            let methods: Vec<Callee> = (0..self.rng.range(1, 3))
                .map(|_| {
                    let is_async = self.rng.chance(60);
                    Callee {
                        name: self.fresh(if is_async { "am" } else { "sm" }),
                        is_async,
                        arity: 0,
                    }
                })
                .collect();
            for m in &methods {
                self.callees.push(Callee {
                    name: format!("{ty}.{}", m.name),
                    ..m.clone()
                });
            }
            impls.push((ty, methods));
        }
        for (i, f) in fns.iter().enumerate() {
            let max_depth = if deep && i == 0 {
                self.rng.range(20, 30)
            } else {
                self.rng.range(2, 5)
            };
            self.function(f, max_depth, false, deep && i == 0);
        }
        for (ty, methods) in impls {
            self.line(&format!("pub struct {ty};"));
            self.block(&format!("impl {ty}"), "", |g| {
                for m in &methods {
                    g.function(m, 3, true, false);
                }
            });
        }
        if self.rng.chance(30) {
            let m = self.fresh("inner");
            self.block(&format!("mod {m}"), "", |g| {
                g.line("use super::*;");
                let is_async = g.rng.chance(70);
                let f = Callee {
                    name: g.fresh("n"),
                    is_async,
                    arity: 0,
                };
                g.function(&f, 3, false, false);
            });
        }
        std::mem::take(&mut self.out)
    }

    fn uses(&mut self) {
        let all = [
            "use std::fs;",
            "use std::thread;",
            "use tokio::time::sleep as sleep;",
            "use std::sync::*;",
            "use std::fs::read_to_string as rts;",
            "use std::thread::sleep as nap;",
            "use std::time::Duration;",
            "use tokio::io::AsyncReadExt;",
            "use std::{cell::RefCell, rc::Rc};",
        ];
        for u in all {
            if self.rng.chance(45) {
                self.line(u);
                match u {
                    "use std::fs;" => self.has_fs = true,
                    "use std::thread;" => self.has_thread = true,
                    "use tokio::time::sleep as sleep;" => self.has_sleep = true,
                    "use std::fs::read_to_string as rts;" => self.has_rts = true,
                    "use std::thread::sleep as nap;" => self.has_nap = true,
                    _ => {}
                }
            }
        }
    }

    fn function(&mut self, f: &Callee, max_depth: usize, method: bool, deep: bool) {
        if !method && self.rng.chance(20) {
            self.line("#[tokio::main]");
        }
        let mut params: Vec<String> = Vec::new();
        if method {
            params.push(self.rng.pick(&["&self", "&mut self", "self"]).to_string());
        }
        let mut locals = Vec::new();
        for i in 0..f.arity {
            params.push(format!("p{i}: u32"));
            locals.push(format!("p{i}"));
        }
        let kw = if f.is_async { "async fn" } else { "fn" };
        let vis = if self.rng.chance(50) { "pub " } else { "" };
        let head = format!("{vis}{kw} {}({})", f.name, params.join(", "));
        // Each function gets its own statement budget, so later ones are not left empty.
        self.budget = self.rng.range(3, 30) as isize;
        let cx = Cx {
            is_async: f.is_async,
            depth: 0,
            max_depth,
            locals,
            in_loop: false,
            in_method: method,
        };
        self.block(&head, "", |g| {
            if deep {
                g.deep_chain(&cx, max_depth);
            } else {
                g.stmts(&cx, 1, 6);
            }
        });
    }

    /// A chain of nested blocks / ifs / loops `n` levels deep, with statements at each level.
    fn deep_chain(&mut self, cx: &Cx, n: usize) {
        if n == 0 {
            self.stmts(cx, 1, 2);
            return;
        }
        let mut inner = cx.clone();
        inner.depth += 1;
        self.stmt(cx);
        let head = match self.rng.below(5) {
            0 => "if true".to_string(),
            1 => "loop".to_string(),
            2 if cx.is_async => "async move".to_string(),
            _ => String::new(),
        };
        let tail = match head.as_str() {
            "async move" => ".await;",
            _ => "",
        };
        if head == "loop" {
            inner.in_loop = true;
        }
        let h = if head.is_empty() {
            "".to_string()
        } else {
            head
        };
        self.line(&format!("{h} {{"));
        self.indent += 1;
        self.deep_chain(&inner, n - 1);
        if h == "loop" {
            self.line("break;");
        }
        self.indent -= 1;
        self.line(&format!("}}{tail}"));
    }

    fn stmts(&mut self, cx: &Cx, lo: usize, hi: usize) {
        let n = self.rng.range(lo, hi);
        let mut cx = cx.clone();
        for _ in 0..n {
            if self.budget <= 0 {
                break;
            }
            self.stmt_into(&mut cx);
        }
    }

    fn stmt(&mut self, cx: &Cx) {
        let mut cx = cx.clone();
        self.stmt_into(&mut cx);
    }

    fn call_expr(&mut self, c: &Callee) -> String {
        let args: Vec<String> = (0..c.arity).map(|i| format!("{}", i + 1)).collect();
        if let Some((ty, m)) = c.name.split_once('.') {
            format!("{ty}.{m}()")
        } else {
            format!("{}({})", c.name, args.join(", "))
        }
    }

    fn sleep_expr(&mut self) -> String {
        let n = self.rng.below(100);
        if self.has_sleep && self.rng.chance(60) {
            format!("sleep(std::time::Duration::from_millis({n}))")
        } else {
            format!("tokio::time::sleep(std::time::Duration::from_millis({n}))")
        }
    }

    fn blocking_stmt(&mut self) -> String {
        let mut opts = vec![
            "std::thread::sleep(std::time::Duration::from_secs(1));",
            "let _ = std::fs::read_to_string(\"Cargo.toml\");",
            "let _ = std::fs::File::open(\"x\");",
        ];
        if self.has_fs {
            opts.push("let _ = fs::read(\"a\");");
        }
        if self.has_thread {
            opts.push("thread::sleep(Duration::from_millis(5));");
        }
        if self.has_nap {
            opts.push("nap(std::time::Duration::from_millis(5));");
        }
        if self.has_rts {
            opts.push("let _ = rts(\"b\");");
        }
        self.rng.pick(&opts).to_string()
    }

    fn stmt_into(&mut self, cx: &mut Cx) {
        self.budget -= 1;
        let nested = cx.depth < cx.max_depth;
        let mut inner = cx.clone();
        inner.depth += 1;
        let choice = self.rng.below(if nested { 30 } else { 14 });
        match choice {
            0 => {
                let g = self.fresh("g");
                self.line(&format!("let {g} = STATE.lock().unwrap();"));
                cx.locals.push(g);
            }
            1 => {
                let c = self.fresh("cell");
                let b = self.fresh("b");
                self.line(&format!("let {c} = std::cell::RefCell::new(1u32);"));
                let m = if self.rng.chance(50) {
                    "borrow"
                } else {
                    "borrow_mut"
                };
                self.line(&format!("let {b} = {c}.{m}();"));
                cx.locals.push(b);
            }
            2 => {
                let r = self.fresh("rc");
                self.line(&format!("let {r} = std::rc::Rc::new(5u32);"));
                cx.locals.push(r);
            }
            3 if cx.is_async => {
                let s = self.sleep_expr();
                self.line(&format!("{s}.await;"));
            }
            3 | 4 => {
                let callees: Vec<Callee> = self.callees.clone();
                let c = self.rng.pick(&callees).clone();
                let call = self.call_expr(&c);
                if c.is_async && cx.is_async {
                    let v = self.fresh("v");
                    if self.rng.chance(50) {
                        self.line(&format!("let {v} = {call}.await;"));
                        cx.locals.push(v);
                    } else {
                        self.line(&format!("{call}.await;"));
                    }
                } else if c.is_async && self.rng.chance(50) {
                    self.line(&format!("let _ = {call};"));
                } else {
                    self.line(&format!("{call};"));
                }
            }
            5 => {
                if let Some(x) = cx.locals.pop() {
                    self.line(&format!("drop({x});"));
                } else {
                    self.line("drop(1u32);");
                }
            }
            6 => {
                let s = self.blocking_stmt();
                self.line(&s);
            }
            7 => {
                let m = *self.rng.pick(&[
                    "println!(\"{}\", 1);",
                    "assert!(1 + 1 == 2, \"math {}\", 2);",
                    "let _v = vec![1, 2, 3];",
                    "let _s = format!(\"{:?}\", (1, 2));",
                    "eprintln!(\"x\");",
                ]);
                self.line(m);
            }
            8 => {
                let asyncs: Vec<Callee> = self
                    .callees
                    .iter()
                    .filter(|c| c.is_async)
                    .cloned()
                    .collect();
                if asyncs.is_empty() {
                    self.line("let _ = 0u8;");
                } else {
                    let c = self.rng.pick(&asyncs).clone();
                    let call = self.call_expr(&c);
                    self.line(&format!("let _ = {call};"));
                }
            }
            9 => {
                let v = self.fresh("x");
                let n = self.rng.below(10);
                self.line(&format!("let mut {v}: u32 = {n};"));
                self.line(&format!("{v} += 1;"));
                cx.locals.push(v);
            }
            10 if cx.in_loop => {
                let s = if self.rng.chance(50) {
                    "break;"
                } else {
                    "continue;"
                };
                self.line(s);
            }
            10 => self.line("let _ = ();"),
            11 if cx.in_method => {
                self.line("let _me = &self;");
            }
            11 => self.line("return;"),
            12 => {
                let c = self.fresh("c");
                self.line(&format!("let {c} = |x: u32| x + 1;"));
                self.line(&format!("let _ = {c}(2);"));
            }
            13 => {
                if let Some(x) = cx.locals.last().cloned() {
                    self.line(&format!("let _ = &{x};"));
                } else {
                    self.line("let _ = 1;");
                }
            }
            // Compound statements from here on.
            14 => self.block("if STATE.lock().unwrap().eq(&1)", "", |g| {
                g.stmts(&inner, 1, 3)
            }),
            15 => {
                self.block("if true", " else {", |g| g.stmts(&inner, 1, 3));
                self.indent += 1;
                self.stmts(&inner, 0, 2);
                self.indent -= 1;
                self.line("}");
            }
            16 => {
                let n = self.rng.below(4);
                self.block(&format!("match {n}u32"), "", |g| {
                    for arm in ["0", "1 | 2", "_"] {
                        g.block(&format!("{arm} =>"), "", |g| g.stmts(&inner, 0, 2));
                    }
                });
            }
            17 => {
                let mut l = inner.clone();
                l.in_loop = true;
                self.block("loop", "", |g| {
                    g.stmts(&l, 1, 3);
                    g.line("break;");
                });
            }
            18 => {
                let mut l = inner.clone();
                l.in_loop = true;
                let it = self.fresh("it");
                self.line(&format!("let mut {it} = vec![1u32, 2].into_iter();"));
                self.block(&format!("while let Some(_e) = {it}.next()"), "", |g| {
                    g.stmts(&l, 1, 3)
                });
            }
            19 => {
                let mut l = inner.clone();
                l.in_loop = true;
                self.block("for _i in 0..3", "", |g| g.stmts(&l, 1, 3));
            }
            20 if cx.is_async => self.select(&inner),
            20 | 21 => self.block("", "", |g| g.stmts(&inner, 1, 3)),
            22 => {
                let mut a = inner.clone();
                a.is_async = true;
                a.in_loop = false;
                self.block("tokio::spawn(async move", ");", |g| g.stmts(&a, 1, 3));
            }
            23 => {
                let mut s = inner.clone();
                s.is_async = false;
                s.in_loop = false;
                let head = if self.rng.chance(50) {
                    "std::thread::spawn(|| {"
                } else {
                    "tokio::task::spawn_blocking(move || {"
                };
                self.line(head);
                self.indent += 1;
                self.stmts(&s, 1, 3);
                self.indent -= 1;
                self.line("});");
            }
            24 => {
                // Closures: sync or async, `move` or not, called or not.
                let c = self.fresh("cl");
                let is_async = self.rng.chance(50);
                let mv = if self.rng.chance(50) { "move " } else { "" };
                let asy = if is_async { "async " } else { "" };
                let mut s = inner.clone();
                s.is_async = is_async;
                s.in_loop = false;
                self.line(&format!("let {c} = {asy}{mv}|| {{"));
                self.indent += 1;
                self.stmts(&s, 1, 3);
                self.indent -= 1;
                self.line("};");
                if is_async && cx.is_async && self.rng.chance(60) {
                    self.line(&format!("{c}().await;"));
                } else if !is_async {
                    self.line(&format!("{c}();"));
                }
            }
            25 if cx.is_async => {
                let mut a = inner.clone();
                a.is_async = true;
                a.in_loop = false;
                self.block("async", ".await;", |g| g.stmts(&a, 1, 3));
            }
            25 => {
                let mut a = inner.clone();
                a.is_async = true;
                a.in_loop = false;
                self.block("let _f = async move", ";", |g| g.stmts(&a, 1, 3));
            }
            26 => {
                let f = Callee {
                    name: self.fresh("nested"),
                    is_async: self.rng.chance(50),
                    arity: 0,
                };
                let kw = if f.is_async { "async fn" } else { "fn" };
                let s = Cx {
                    is_async: f.is_async,
                    depth: inner.depth,
                    max_depth: inner.max_depth,
                    locals: Vec::new(),
                    in_loop: false,
                    in_method: false,
                };
                self.block(&format!("{kw} {}()", f.name), "", |g| g.stmts(&s, 1, 3));
                let call = self.call_expr(&f);
                if f.is_async && cx.is_async {
                    self.line(&format!("{call}.await;"));
                } else if !f.is_async {
                    self.line(&format!("{call};"));
                }
            }
            27 if cx.is_async => {
                let s = self.sleep_expr();
                let g = self.fresh("g");
                self.line(&format!("let {g} = STATE.lock().unwrap();"));
                self.line(&format!("{s}.await;"));
                if self.rng.chance(50) {
                    self.line(&format!("drop({g});"));
                }
            }
            _ => {
                let s = self.blocking_stmt();
                self.block("if false", "", |g| g.line(&s));
            }
        }
    }

    fn select(&mut self, inner: &Cx) {
        let n = self.rng.range(1, 3);
        let biased = self.rng.chance(30);
        let has_else = self.rng.chance(30);
        let rx = self.fresh("rx");
        let iv = self.fresh("iv");
        let rd = self.fresh("rd");
        self.line(&format!(
            "let (_tx, mut {rx}) = tokio::sync::mpsc::channel::<u32>(1);"
        ));
        self.line(&format!(
            "let mut {iv} = tokio::time::interval(std::time::Duration::from_millis(10));"
        ));
        self.line(&format!("let mut {rd} = tokio::io::empty();"));
        self.line("let mut buf = [0u8; 4];");
        self.line("tokio::select! {");
        self.indent += 1;
        if biased {
            self.line("biased;");
        }
        for _ in 0..n {
            let head = match self.rng.below(3) {
                0 => format!("r = {rd}.read_exact(&mut buf) =>"),
                1 => format!("Some(v) = {rx}.recv() =>"),
                _ => format!("_ = {iv}.tick() =>"),
            };
            self.block(&head, "", |g| g.stmts(inner, 0, 2));
        }
        if has_else {
            self.block("else =>", "", |g| g.stmts(inner, 0, 1));
        }
        self.indent -= 1;
        self.line("}");
    }
}

/// A broken variant of a valid file: byte flips, truncation, deletion, stray brackets, or
/// non-UTF-8 bytes.
fn mutate(rng: &mut Rng, valid: &[u8]) -> Vec<u8> {
    let mut b = valid.to_vec();
    if b.is_empty() {
        return vec![0xff];
    }
    match rng.below(6) {
        0 => {
            for _ in 0..rng.range(1, 4) {
                let i = rng.below(b.len());
                b[i] = rng.next() as u8;
            }
        }
        1 => b.truncate(rng.below(b.len())),
        2 => {
            let i = rng.below(b.len());
            let j = (i + rng.range(1, 40)).min(b.len());
            b.drain(i..j);
        }
        3 => {
            for _ in 0..rng.range(1, 3) {
                let i = rng.below(b.len() + 1);
                b.insert(i, *rng.pick(b"{}()[]<>;,.:#!\"'"));
            }
        }
        4 => {
            let i = rng.below(b.len() + 1);
            b.splice(i..i, [0xffu8, 0xfe, 0xc3]);
        }
        _ => {
            b = (0..rng.range(0, 300)).map(|_| rng.next() as u8).collect();
        }
    }
    b
}

/// One generated crate: manifest, lib.rs declaring the modules, the modules.
struct GenCrate {
    name: String,
    /// (path relative to the crate, bytes, case number, deliberately broken)
    files: Vec<(String, Vec<u8>, usize, bool)>,
}

fn generate(seed: u64, cases: usize) -> Vec<GenCrate> {
    let mut crates = Vec::new();
    let mut case = 0;
    let mut k = 0;
    while case < cases {
        let n = FILES_PER_CRATE.min(cases - case);
        let name = format!("pcrate{k}");
        let mut files = Vec::new();
        let mods: Vec<String> = (1..n).map(|i| format!("m{i}")).collect();
        for i in 0..n {
            let case_seed = seed ^ (case as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d);
            let mut g = Gen::new(case_seed);
            let (path, text) = if i == 0 {
                ("src/lib.rs".to_string(), g.file(&mods))
            } else {
                (format!("src/m{i}.rs"), g.file(&[]))
            };
            let broken = i > 0 && g.rng.chance(20);
            let bytes = if broken {
                mutate(&mut g.rng, text.as_bytes())
            } else {
                text.into_bytes()
            };
            files.push((path, bytes, case, broken));
            case += 1;
        }
        crates.push(GenCrate { name, files });
        k += 1;
    }
    crates
}

fn write_crates(dir: &Path, crates: &[GenCrate]) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    for c in crates {
        let cdir = dir.join(&c.name);
        std::fs::create_dir_all(cdir.join("src")).unwrap();
        std::fs::write(
            cdir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
                c.name
            ),
        )
        .unwrap();
        for (path, bytes, _, _) in &c.files {
            std::fs::write(cdir.join(path), bytes).unwrap();
        }
        dirs.push(cdir);
    }
    dirs
}

/// Lints on another thread: Err(message) on a panic, and a test failure on a hang.
fn lint_guarded(paths: &[PathBuf], jobs: usize) -> Result<Report, String> {
    let (tx, rx) = mpsc::channel();
    let n = paths.len();
    let paths = paths.to_vec();
    std::thread::spawn(move || {
        let r = std::panic::catch_unwind(|| lint_all(&paths, jobs)).map_err(|e| {
            e.downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into())
        });
        let _ = tx.send(r);
    });
    rx.recv_timeout(HANG_LIMIT)
        .unwrap_or_else(|_| panic!("linting {n} path(s) hung (> {HANG_LIMIT:?})"))
}

fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Narrows a library panic down to one file and fails with it.
fn report_panic(seed: u64, scratch: &Path, crates: &[GenCrate], msg: &str) -> ! {
    for c in crates {
        let cdir = scratch.join(&c.name);
        if lint_guarded(std::slice::from_ref(&cdir), 1).is_ok() {
            continue;
        }
        for (path, bytes, case, broken) in &c.files {
            let one = Scratch::new(&format!("prop-one-{case}"), &[]);
            let single = GenCrate {
                name: c.name.clone(),
                files: vec![("src/lib.rs".into(), bytes.clone(), *case, *broken)],
            };
            let dirs = write_crates(&one.0, std::slice::from_ref(&single));
            if let Err(m) = lint_guarded(&dirs, 1) {
                panic!(
                    "linter panicked ({m}) on case {case} ({}/{path}), seed {seed:#x}:\n{}",
                    c.name,
                    show(bytes)
                );
            }
        }
        panic!(
            "linter panicked ({msg}) on crate {} (seed {seed:#x}), no single file reproduces it",
            c.name
        );
    }
    panic!("linter panicked ({msg}) with seed {seed:#x}, not reproducible per crate");
}

fn render(report: &Report) -> Vec<String> {
    report
        .diagnostics()
        .map(|(pkg, d)| cargo_async_lint::report::human::render_human(pkg, d, false))
        .collect()
}

#[test]
fn generated_async_rust_never_crashes_hangs_or_varies() {
    let seed: u64 = env_or("ASYNC_LINT_PROPTEST_SEED", DEFAULT_SEED);
    let cases: usize = env_or("ASYNC_LINT_PROPTEST_CASES", DEFAULT_CASES);
    eprintln!("property test: seed {seed:#x}, {cases} cases (ASYNC_LINT_PROPTEST_SEED / _CASES)");
    let t0 = Instant::now();
    let crates = generate(seed, cases);
    let scratch = Scratch::new(&format!("prop-{seed:x}"), &[]);
    let dirs = write_crates(&scratch.0, &crates);
    let by_path: std::collections::HashMap<PathBuf, (&[u8], usize, bool)> = crates
        .iter()
        .flat_map(|c| {
            let cdir = scratch.0.join(&c.name);
            c.files.iter().map(move |(p, b, case, broken)| {
                (canon(&cdir.join(p)), (b.as_slice(), *case, *broken))
            })
        })
        .collect();
    let file_of = |p: &Path| -> (&[u8], usize, bool) {
        *by_path
            .get(&canon(p))
            .unwrap_or_else(|| panic!("diagnostic in an unknown file {}", p.display()))
    };

    // 1. No panic (narrowed to the file if one happens), no hang.
    let one = match lint_guarded(&dirs, 1) {
        Ok(r) => r,
        Err(m) => report_panic(seed, &scratch.0, &crates, &m),
    };
    let two = match lint_guarded(&dirs, 2) {
        Ok(r) => r,
        Err(m) => report_panic(seed, &scratch.0, &crates, &m),
    };

    // 2. Deterministic output, whatever the number of threads.
    let (r1, r2) = (render(&one), render(&two));
    if r1 != r2 {
        let first = r1
            .iter()
            .zip(&r2)
            .position(|(a, b)| a != b)
            .unwrap_or(r1.len().min(r2.len()));
        panic!(
            "seed {seed:#x}: output differs between 1 and 2 threads ({} vs {} diagnostics), \
             first difference at #{first}:\n--- jobs=1\n{}\n--- jobs=2\n{}",
            r1.len(),
            r2.len(),
            r1.get(first).map_or("<none>", String::as_str),
            r2.get(first).map_or("<none>", String::as_str),
        );
    }

    // 3. Every label lies within its file.
    let mut parse_errors = 0;
    for (pkg, d) in one.diagnostics() {
        let is_parse = d.lint == "parse_error";
        parse_errors += is_parse as usize;
        for l in &d.labels {
            let f = &pkg.files[l.file];
            let (bytes, case, broken) = file_of(&f.path);
            let ctx = || {
                format!(
                    "seed {seed:#x}, case {case} ({}), {} at {:?}:\n{}\n--- file:\n{}",
                    f.display,
                    d.lint,
                    l.loc,
                    cargo_async_lint::report::human::render_human(pkg, d, false),
                    show(bytes)
                )
            };
            assert!(
                !is_parse || broken,
                "the generator wrote invalid Rust: {}",
                ctx()
            );
            let lines = show(bytes).lines().count();
            assert!(
                l.loc.line >= 1 && l.loc.line <= lines + 1,
                "line outside the file ({lines} lines): {}",
                ctx()
            );
            if !is_parse {
                let text = &f.text;
                assert!(
                    l.loc.lo <= l.loc.hi && l.loc.hi <= text.len(),
                    "byte range outside the text ({} bytes): {}",
                    text.len(),
                    ctx()
                );
                assert!(
                    text.is_char_boundary(l.loc.lo) && text.is_char_boundary(l.loc.hi),
                    "byte range not on char boundaries: {}",
                    ctx()
                );
            }
        }
    }
    let t_lib = t0.elapsed();

    // 1b. The binary on the same crates: exit 0, 1 or 2, no panic, no hang.
    let (tx, rx) = mpsc::channel();
    let cwd = scratch.0.clone();
    std::thread::spawn(move || {
        let _ = tx.send(run_bin(
            &[".", "-W", "all", "--message-format", "short"],
            &cwd,
        ));
    });
    let out = rx
        .recv_timeout(HANG_LIMIT)
        .unwrap_or_else(|_| panic!("seed {seed:#x}: the binary hung (> {HANG_LIMIT:?})"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0..=2)) && !stderr.contains("panicked"),
        "seed {seed:#x}: binary exited with {:?}:\n{stderr}",
        out.status
    );
    let short = common::stdout_and_short(&out);
    let bin_findings = short.lines().filter(|l| l.contains(": warning: ")).count();

    eprintln!(
        "property test: {cases} files in {} crates, {} diagnostics ({parse_errors} parse errors, \
         {bin_findings} binary warnings); library {:.1?}, total {:.1?}",
        crates.len(),
        r1.len(),
        t_lib,
        t0.elapsed()
    );
    assert!(r1.len() > cases, "the generator should trigger lints");
    assert!(
        parse_errors > 0,
        "the broken inputs should give parse errors"
    );
}
