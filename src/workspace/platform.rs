//! The host platform, to tell which `[target.'cfg(..)'.dependencies]` a build uses: the
//! target triple (`rustc --print host-tuple`, or `rustc -vV`) and the `cfg` values (`rustc
//! --print cfg`), as cargo applies them, and with them a dependency's code
//! is read (see `syntax::build_cfg`). Read once per process.

use std::process::Command;

/// The `cfg` values of the platform the code is built for, as `rustc --print cfg` gives them:
/// names (`unix`) and pairs (`target_os = "linux"`). Only the platform's own keys are decided
/// by it ([`PLATFORM_KEYS`], `unix`, `windows`); `debug_assertions`, `panic`, `target_feature`
/// and the cfgs build scripts set stay unknown.
#[derive(Debug, Default)]
pub struct Platform {
    pub names: std::collections::HashSet<String>,
    pub pairs: std::collections::HashSet<(String, String)>,
}

/// The `key = "value"` cfgs a platform decides.
pub const PLATFORM_KEYS: &[&str] = &[
    "target_os",
    "target_arch",
    "target_family",
    "target_env",
    "target_pointer_width",
    "target_endian",
    "target_vendor",
    "target_abi",
    "target_has_atomic",
];

/// The name cfgs a platform decides.
pub const PLATFORM_NAMES: &[&str] = &["unix", "windows"];

impl Platform {
    /// Whether the platform sets `name` (`unix`): None for a name it does not decide.
    pub fn name(&self, name: &str) -> Option<bool> {
        PLATFORM_NAMES
            .contains(&name)
            .then(|| self.names.contains(name))
    }

    /// Whether the platform sets `key = "value"`: None for a key it does not decide.
    pub fn pair(&self, key: &str, value: &str) -> Option<bool> {
        PLATFORM_KEYS
            .contains(&key)
            .then(|| self.pairs.contains(&(key.to_string(), value.to_string())))
    }
}

/// The `rustc` cargo runs: `$RUSTC` if set; else, as cargo does, the toolchain's own `rustc`
/// when the one on `PATH` is a rustup proxy (which would only pick that toolchain and run it,
/// 7 ms later); else `rustc`.
fn rustc() -> std::ffi::OsString {
    static RUSTC: std::sync::OnceLock<std::ffi::OsString> = std::sync::OnceLock::new();
    RUSTC
        .get_or_init(|| {
            let env = |k: &str| std::env::var_os(k);
            env("RUSTC")
                .or_else(|| past_rustup_proxy(&env).map(Into::into))
                .unwrap_or_else(|| "rustc".into())
        })
        .clone()
}

/// `$RUSTUP_HOME/toolchains/$RUSTUP_TOOLCHAIN/bin/rustc`, when `RUSTUP_TOOLCHAIN` names a
/// toolchain (not a path), the `rustc` on `PATH` is a rustup proxy (rustup installs its
/// proxies as copies of itself: the same size as the `rustup` on `PATH`), and that file
/// exists: cargo's own rule for skipping the proxies.
fn past_rustup_proxy(
    env: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<std::path::PathBuf> {
    use std::path::{Path, PathBuf};
    let toolchain = env("RUSTUP_TOOLCHAIN")?;
    if toolchain.to_str()?.contains(['/', '\\']) {
        return None;
    }
    let on_path = |name: &str| -> Option<PathBuf> {
        let exe = Path::new(name).with_extension(std::env::consts::EXE_EXTENSION);
        std::env::split_paths(&env("PATH")?)
            .map(|d| d.join(&exe))
            .find(|p| p.is_file())
    };
    let size = |p: &Path| std::fs::metadata(p).ok().map(|m| m.len());
    if size(&on_path("rustc")?)? != size(&on_path("rustup")?)? {
        return None;
    }
    let home = env("RUSTUP_HOME").map(PathBuf::from).or_else(|| {
        env("HOME")
            .or_else(|| env("USERPROFILE"))
            .map(|h| PathBuf::from(h).join(".rustup"))
    })?;
    let exe = Path::new("rustc").with_extension(std::env::consts::EXE_EXTENSION);
    let rustc = home
        .join("toolchains")
        .join(toolchain)
        .join("bin")
        .join(exe);
    rustc.is_file().then_some(rustc)
}

/// What `rustc` says of the host: its target triple, and its `--print cfg` output (None when
/// that cannot be asked). One process where rustc can print both (`--print host-tuple`, rustc
/// 1.84 and later), else `rustc -vV` and `rustc --print cfg`. Asked once per process.
fn probe() -> &'static (Result<String, String>, Option<String>) {
    static PROBE: std::sync::OnceLock<(Result<String, String>, Option<String>)> =
        std::sync::OnceLock::new();
    PROBE.get_or_init(|| {
        let both = Command::new(rustc())
            .args(["--print", "host-tuple", "--print", "cfg"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| split_probe(&String::from_utf8_lossy(&o.stdout)));
        if let Some((triple, cfg)) = both {
            return (Ok(triple), Some(cfg));
        }
        let triple = Command::new(rustc())
            .arg("-vV")
            .output()
            .map_err(|e| format!("could not run `rustc -vV`: {e}"))
            .and_then(|out| {
                String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .find_map(|l| l.strip_prefix("host: "))
                    .map(|h| h.trim().to_string())
                    .ok_or_else(|| "`rustc -vV` printed no host triple".to_string())
            });
        let cfg = Command::new(rustc())
            .args(["--print", "cfg"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
        (triple, cfg)
    })
}

/// `rustc --print host-tuple --print cfg` output split into the triple (its first line) and
/// the cfg lines; None unless the first line is a triple and a cfg line follows.
fn split_probe(out: &str) -> Option<(String, String)> {
    let (first, rest) = out.split_once('\n')?;
    let triple = first.trim();
    let is_triple = triple.contains('-') && !triple.contains(['=', ' ', '"']);
    (is_triple && !rest.trim().is_empty()).then(|| (triple.to_string(), rest.to_string()))
}

/// The host target triple, from `rustc` (asked once per process, see [`probe`]).
pub fn host_triple() -> Result<String, String> {
    probe().0.clone()
}

/// What the host's build sets.
#[derive(Debug, Default)]
pub struct Host {
    triple: String,
    /// `unix`, `debug_assertions`, ... and `target_os="linux"` as (key, value).
    cfg: Platform,
}

impl Host {
    /// The host of this machine's `rustc` (`$RUSTC` if set), or None when it cannot be asked.
    pub fn detect() -> Option<&'static Host> {
        static HOST: std::sync::OnceLock<Option<Host>> = std::sync::OnceLock::new();
        HOST.get_or_init(|| {
            let (triple, cfg) = probe();
            Some(Host::new(triple.as_ref().ok()?, cfg.as_ref()?))
        })
        .as_ref()
    }

    /// A host from a triple and `rustc --print cfg` output.
    pub fn new(triple: &str, print_cfg: &str) -> Host {
        let mut h = Host {
            triple: triple.to_string(),
            ..Host::default()
        };
        for line in print_cfg.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match line.split_once('=') {
                Some((k, v)) => {
                    h.cfg
                        .pairs
                        .insert((k.trim().to_string(), v.trim().trim_matches('"').to_string()));
                }
                None => {
                    h.cfg.names.insert(line.to_string());
                }
            }
        }
        h
    }

    /// The host's `cfg` values, to read a dependency's code as its build does.
    pub fn cfg(&self) -> &Platform {
        &self.cfg
    }

    /// Whether a dependency declared for `platform` (`cfg(windows)`, `cfg(all(unix, not(target_os
    /// = "macos")))`, or a target triple) is used on this host; true when the expression cannot
    /// be read (nothing is left out on a guess).
    pub fn uses(&self, platform: &str) -> bool {
        let p = platform.trim();
        let Some(rest) = p.strip_prefix("cfg(") else {
            return p == self.triple;
        };
        let Some(expr) = rest.strip_suffix(')') else {
            return true;
        };
        let tokens = tokenize(expr);
        let mut pos = 0;
        match self.eval(&tokens, &mut pos) {
            Some(v) if pos == tokens.len() => v,
            _ => true,
        }
    }

    /// One predicate from `tokens[pos..]`: `name`, `key = "value"`, `all(..)`, `any(..)`,
    /// `not(..)`.
    fn eval(&self, tokens: &[Token], pos: &mut usize) -> Option<bool> {
        let Token::Ident(name) = tokens.get(*pos)? else {
            return None;
        };
        *pos += 1;
        match tokens.get(*pos) {
            Some(Token::Eq) => {
                *pos += 1;
                let Token::Str(value) = tokens.get(*pos)? else {
                    return None;
                };
                *pos += 1;
                Some(self.cfg.pairs.contains(&(name.clone(), value.clone())))
            }
            Some(Token::Open) => {
                *pos += 1;
                let mut values = Vec::new();
                while !matches!(tokens.get(*pos), Some(Token::Close)) {
                    values.push(self.eval(tokens, pos)?);
                    if matches!(tokens.get(*pos), Some(Token::Comma)) {
                        *pos += 1;
                    }
                }
                *pos += 1;
                match name.as_str() {
                    "all" => Some(values.iter().all(|v| *v)),
                    "any" => Some(values.iter().any(|v| *v)),
                    "not" if values.len() == 1 => Some(!values[0]),
                    _ => None,
                }
            }
            _ => Some(self.cfg.names.contains(name)),
        }
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    Eq,
    Open,
    Close,
    Comma,
}

fn tokenize(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            '=' => out.push(Token::Eq),
            '"' => {
                let mut v = String::new();
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    v.push(c);
                }
                out.push(Token::Str(v));
            }
            c if c.is_alphanumeric() || c == '_' => {
                let mut v = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' {
                        v.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Ident(v));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::Host;

    #[test]
    fn platforms_of_dependencies_as_cargo_reads_them() {
        let linux = Host::new(
            "x86_64-unknown-linux-gnu",
            "debug_assertions\npanic=\"unwind\"\ntarget_arch=\"x86_64\"\ntarget_family=\"unix\"\n\
             target_os=\"linux\"\nunix\n",
        );
        assert!(linux.uses("cfg(unix)"));
        assert!(!linux.uses("cfg(windows)"));
        assert!(linux.uses("cfg(target_os = \"linux\")"));
        assert!(!linux.uses("cfg(target_os = \"macos\")"));
        assert!(linux.uses("cfg(all(unix, not(target_os = \"macos\")))"));
        assert!(!linux.uses("cfg(any(target_os = \"windows\", target_arch = \"wasm32\"))"));
        assert!(linux.uses("x86_64-unknown-linux-gnu"));
        assert!(!linux.uses("x86_64-pc-windows-msvc"));
        // Unreadable: kept.
        assert!(linux.uses("cfg(all(unix"));
        assert!(linux.uses("cfg(foo(bar))"));
    }

    #[test]
    fn one_rustc_call_gives_the_triple_and_the_cfg() {
        use super::split_probe;
        let out = "x86_64-unknown-linux-gnu\ndebug_assertions\ntarget_os=\"linux\"\nunix\n";
        let (triple, cfg) = split_probe(out).unwrap();
        assert_eq!(triple, "x86_64-unknown-linux-gnu");
        let host = Host::new(&triple, &cfg);
        assert!(host.uses("cfg(unix)") && host.uses("x86_64-unknown-linux-gnu"));
        // What is not that shape (a rustc that printed only its cfg, or nothing after the
        // triple) is asked again the old way.
        assert_eq!(split_probe("debug_assertions\ntarget_os=\"linux\"\n"), None);
        assert_eq!(split_probe("x86_64-unknown-linux-gnu\n"), None);
        assert_eq!(split_probe(""), None);
        // This machine's rustc, asked once, agrees with `rustc -vV`.
        let vv = std::process::Command::new(super::rustc())
            .arg("-vV")
            .output();
        if let Ok(vv) = vv {
            let text = String::from_utf8_lossy(&vv.stdout).into_owned();
            let host = text.lines().find_map(|l| l.strip_prefix("host: "));
            assert_eq!(super::host_triple().ok().as_deref(), host.map(str::trim));
        }
    }

    #[test]
    fn the_toolchain_rustc_is_run_past_a_rustup_proxy_only() {
        let s = crate::util::scratch::Scratch::new("rustup-proxy");
        let exe = |n: &str| format!("{n}{}", std::env::consts::EXE_SUFFIX);
        s.write(&format!("cargo-home/bin/{}", exe("rustup")), "proxy binary");
        s.write(&format!("cargo-home/bin/{}", exe("rustc")), "proxy binary");
        s.write(
            &format!("rustup/toolchains/stable-x/bin/{}", exe("rustc")),
            "rustc",
        );
        s.write(&format!("other/bin/{}", exe("rustc")), "a rustc of its own");
        let run = |vars: &[(&str, std::path::PathBuf)]| {
            let env = |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.clone().into_os_string())
            };
            super::past_rustup_proxy(&env)
        };
        let path = |dirs: &[&str]| {
            std::env::join_paths(dirs.iter().map(|d| s.join(d)))
                .unwrap()
                .into()
        };
        let home = || ("RUSTUP_HOME", s.join("rustup"));
        let proxied = [
            ("RUSTUP_TOOLCHAIN", "stable-x".into()),
            ("PATH", path(&["cargo-home/bin"])),
            home(),
        ];
        assert_eq!(
            run(&proxied),
            Some(s.join("rustup/toolchains/stable-x/bin").join(exe("rustc")))
        );
        // Not under rustup, a toolchain given as a path, a `rustc` first on PATH that is no
        // proxy, a toolchain without rustc: `rustc` as found on PATH.
        assert_eq!(run(&proxied[1..]), None);
        let mut by_path = proxied.clone();
        by_path[0].1 = s.join("rustup/toolchains/stable-x");
        assert_eq!(run(&by_path), None);
        let mut own = proxied.clone();
        own[1].1 = path(&["other/bin", "cargo-home/bin"]);
        assert_eq!(run(&own), None);
        let mut missing = proxied.clone();
        missing[0].1 = "nightly-x".into();
        assert_eq!(run(&missing), None);
    }
}
