//! Rust source built from the input bytes with a tiny grammar (fn / async fn / let / .await /
//! lock guards / select! / spawn / use / mod / blocking calls ...), so that most inputs parse
//! and reach the lints. Some inputs also get a `src/m.rs` for an out-of-line `mod m;`.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;

struct Gen<'a> {
    data: &'a [u8],
    pos: usize,
    out: String,
    depth: usize,
}

const IDENTS: &[&str] = &["a", "b", "g", "x", "rx", "tx", "m", "f", "h", "s", "fut"];
const EXPR_IDENTS: &[&str] = &["a", "g", "x", "rx", "m", "self", "fut", "MUTEX"];
const PATHS: &[&str] = &[
    "std::thread::sleep",
    "std::fs::read_to_string",
    "tokio::time::sleep",
    "tokio::spawn",
    "tokio::task::spawn_blocking",
    "std::sync::Mutex",
    "tokio::sync::Mutex",
    "std::cell::RefCell",
    "std::rc::Rc",
    "futures::future::join",
    "crate::m::f",
    "super::g",
    "self::h",
    "async_std::task::block_on",
    "futures::executor::block_on",
    "std::io::Read",
    "std::thread",
    "std::fs",
    "thread::sleep",
    "fs::read",
    "sleep",
    "std::{fs, thread}",
    "std::{\n    fs,\n    thread,\n}",
    "std::fs::{self, File}",
    "std::thread::*",
];
const TYPES: &[&str] = &[
    "std::sync::Mutex<u8>",
    "tokio::sync::Mutex<u8>",
    "std::sync::RwLock<String>",
    "std::rc::Rc<u8>",
    "std::cell::RefCell<u8>",
    "std::sync::Arc<std::sync::Mutex<u8>>",
    "tokio::sync::mpsc::Receiver<u8>",
    "std::time::Duration",
    "impl std::future::Future<Output = ()>",
    "u8",
];

impl Gen<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn more(&self) -> bool {
        self.pos < self.data.len()
    }
    fn pick<'s>(&mut self, xs: &[&'s str]) -> &'s str {
        xs[self.byte() as usize % xs.len()]
    }
    fn ident(&mut self) -> &'static str {
        self.pick(IDENTS)
    }
    fn expr(&mut self) {
        if self.depth > 12 {
            self.out.push_str("0");
            return;
        }
        self.depth += 1;
        match self.byte() % 18 {
            0 => {
                let i = self.pick(EXPR_IDENTS);
                self.out.push_str(i);
            }
            1 => {
                let p = self.pick(PATHS);
                self.out.push_str(p);
                self.out.push('(');
                self.expr();
                self.out.push(')');
            }
            2 => {
                self.expr();
                self.out.push_str(".await");
            }
            3 => {
                self.expr();
                self.out.push_str(".lock()");
                if self.byte() % 2 == 0 {
                    self.out.push_str(".unwrap()");
                } else {
                    self.out.push_str(".await");
                }
            }
            4 => {
                self.out.push_str("async { ");
                self.block_body();
                self.out.push_str(" }");
            }
            5 => {
                self.out.push_str("async move { ");
                self.block_body();
                self.out.push_str(" }");
            }
            6 => {
                self.out.push_str("tokio::select! { ");
                let n = self.byte() % 3 + 1;
                for _ in 0..n {
                    let i = self.ident();
                    self.out.push_str(&format!("{i} = "));
                    self.expr();
                    self.out.push_str(" => { ");
                    self.block_body();
                    self.out.push_str(" } ");
                }
                self.out.push('}');
            }
            7 => {
                self.out.push_str("tokio::spawn(");
                self.expr();
                self.out.push(')');
            }
            8 => {
                self.out.push_str("|| ");
                self.expr();
            }
            9 => {
                self.out.push_str("async || ");
                self.expr();
            }
            10 => {
                self.expr();
                self.out.push('.');
                {
                    let w = self.pick_owned(&[
                        "borrow_mut()",
                        "read()",
                        "write()",
                        "recv()",
                        "clone()",
                        "drop()",
                        "get()",
                    ]);
                    self.out.push_str(&w);
                }
            }
            11 => {
                self.out.push_str("drop(");
                self.expr();
                self.out.push(')');
            }
            12 => {
                self.out.push_str("if ");
                self.expr();
                self.out.push_str(" { ");
                self.block_body();
                self.out.push_str(" } else { ");
                self.block_body();
                self.out.push_str(" }");
            }
            13 => {
                self.out.push_str("loop { ");
                self.block_body();
                self.out.push_str(" break; }");
            }
            14 => {
                self.out.push_str("match ");
                self.expr();
                self.out.push_str(" { _ => { ");
                self.block_body();
                self.out.push_str(" } }");
            }
            15 => {
                let i = self.ident();
                self.out.push_str(&format!("{i}("));
                self.expr();
                self.out.push_str(")?");
            }
            16 => self.out.push_str("std::time::Duration::from_secs(1)"),
            _ => {
                self.out.push('{');
                self.block_body();
                self.out.push('}');
            }
        }
        self.depth -= 1;
    }
    fn pick_owned(&mut self, xs: &[&str]) -> String {
        xs[self.byte() as usize % xs.len()].to_string()
    }
    fn stmt(&mut self) {
        match self.byte() % 9 {
            0 | 1 => {
                let i = self.ident();
                let kw = if self.byte() % 2 == 0 {
                    "let"
                } else {
                    "let mut"
                };
                self.out.push_str(&format!("{kw} {i}"));
                if self.byte() % 3 == 0 {
                    let t = self.pick(TYPES);
                    self.out.push_str(&format!(": {t}"));
                }
                self.out.push_str(" = ");
                self.expr();
                self.out.push_str("; ");
            }
            2 => {
                let i = self.ident();
                self.out.push_str(&format!("let _{i} = "));
                self.expr();
                self.out.push_str("; ");
            }
            3 => {
                self.out.push_str("// async-lint: allow(");
                {
                    let w = self.pick_owned(&[
                        "all",
                        "blocking_in_async",
                        "lock_across_await",
                        "unawaited_future",
                        "select_cancel_unsafe",
                        "refcell_across_await",
                        "detached_spawn",
                    ]);
                    self.out.push_str(&w);
                }
                self.out.push_str(")\n");
            }
            8 => {
                // A guard (lock / borrow / span) followed by an await in the same scope.
                let g = self.ident();
                let recv = self.pick(&["m", "MUTEX", "cell", "lock", "span"]);
                if self.byte() % 4 != 0 {
                    // Give the receiver a type the lints know.
                    let t = self.pick(&[
                        "std::sync::Mutex<u8>",
                        "tokio::sync::Mutex<u8>",
                        "std::sync::RwLock<u8>",
                        "std::cell::RefCell<u8>",
                        "parking_lot::Mutex<u8>",
                        "tracing::Span",
                        "&std::sync::Mutex<u8>",
                    ]);
                    self.out.push_str(&format!("let {recv}: {t} = todo!(); "));
                }
                let take = self.pick(&[
                    "lock().unwrap()",
                    "lock().await",
                    "borrow_mut()",
                    "read().unwrap()",
                    "write().unwrap()",
                    "enter()",
                ]);
                self.out.push_str(&format!("let {g} = {recv}.{take}; "));
                self.expr();
                self.out.push_str(".await; ");
                if self.byte() % 2 == 0 {
                    self.out.push_str(&format!("drop({g}); "));
                }
            }
            4 => {
                self.out.push_str("return ");
                self.expr();
                self.out.push_str("; ");
            }
            _ => {
                self.expr();
                self.out.push_str("; ");
            }
        }
    }
    fn block_body(&mut self) {
        if self.depth > 12 {
            return;
        }
        self.depth += 1;
        let n = self.byte() % 5;
        for _ in 0..n {
            if !self.more() {
                break;
            }
            self.stmt();
        }
        self.depth -= 1;
    }
    fn item(&mut self) {
        match self.byte() % 10 {
            0..=3 => {
                let asyncness = if self.byte() % 3 != 0 { "async " } else { "" };
                let name = self.ident();
                let attr = match self.byte() % 6 {
                    0 => "#[tokio::main]\n",
                    1 => "#[tokio::test]\n",
                    2 => "#[allow(clippy::await_holding_lock)]\n",
                    _ => "",
                };
                let args = match self.byte() % 4 {
                    0 => String::new(),
                    1 => "&self".into(),
                    _ => {
                        let i = self.ident();
                        let t = self.pick(TYPES);
                        format!("{i}: {t}")
                    }
                };
                self.out
                    .push_str(&format!("{attr}pub {asyncness}fn {name}({args}) {{ "));
                self.block_body();
                self.out.push_str("}\n");
            }
            4 => {
                let p = self.pick(PATHS);
                self.out.push_str(&format!("use {p};\n"));
            }
            5 => {
                let p = self.pick(PATHS);
                let i = self.ident();
                self.out.push_str(&format!("use {p} as {i};\n"));
            }
            6 => {
                let i = self.ident();
                self.out.push_str(&format!("mod {i} {{ "));
                if self.depth < 6 {
                    self.depth += 1;
                    let n = self.byte() % 4;
                    for _ in 0..n {
                        self.item();
                    }
                    self.depth -= 1;
                }
                self.out.push_str("}\n");
            }
            7 => {
                let i = self.ident();
                self.out.push_str(&format!("struct S{i}; impl S{i} {{ "));
                // Only fns are valid in an impl.
                let asyncness = if self.byte() % 2 == 0 { "async " } else { "" };
                let name = self.ident();
                self.out
                    .push_str(&format!("{asyncness}fn {name}(&self) {{ "));
                self.block_body();
                self.out.push_str("} }\n");
            }
            8 => {
                let i = self.ident();
                let t = self.pick(TYPES);
                self.out
                    .push_str(&format!("static {}: {t} = todo!();\n", i.to_uppercase()));
            }
            _ => {
                self.out.push_str("trait T { async fn t(&self) { ");
                self.block_body();
                self.out.push_str("} }\n");
            }
        }
    }
}

fn generate(data: &[u8]) -> String {
    let mut g = Gen {
        data,
        pos: 0,
        out: String::new(),
        depth: 0,
    };
    while g.more() {
        g.item();
    }
    g.out
}

fuzz_target!(|data: &[u8]| {
    // First byte: whether the crate gets an out-of-line `mod m;`; the rest splits into the two
    // files at a position chosen by the second byte.
    let (flags, rest) = data.split_first().unwrap_or((&0, &[]));
    if flags & 1 == 1 && rest.len() > 1 {
        let cut = (rest[0] as usize * rest.len() / 256).max(1);
        let mut lib = String::from("mod m;\n");
        lib.push_str(&generate(&rest[1..cut]));
        let m = generate(&rest[cut..]);
        common::write_src(&[("lib.rs", lib.as_bytes()), ("m.rs", m.as_bytes())]);
    } else {
        let lib = generate(rest);
        common::write_src(&[("lib.rs", lib.as_bytes())]);
    }
    let n = common::lint();
    if std::env::var_os("ASYNC_LINT_FUZZ_PRINT").is_some() {
        // Debugging aid: `ASYNC_LINT_FUZZ_PRINT=1 cargo fuzz run lint_structured <input>`.
        let src = common::crate_dir().join("src");
        for f in ["lib.rs", "m.rs"] {
            if let Ok(text) = std::fs::read_to_string(src.join(f)) {
                eprintln!("--- {f}\n{text}");
            }
        }
        eprintln!("--- {n} diagnostic(s)");
    }
});
