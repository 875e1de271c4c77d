//! The editor set-up the README gives really starts the language server: headless Neovim (0.7.2
//! from Debian's packages, which `.ci/run` installs) with `editors/nvim/async-lint.lua` opens a
//! file and the finding shows up in `vim.diagnostic.get()`. Skipped, saying so, without `nvim`.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

#[test]
fn neovim_config_from_the_readme_shows_the_finding() {
    if Command::new("nvim").arg("--version").output().is_err() {
        println!("skipped: no `nvim` on PATH (`.ci/run` installs Debian's neovim)");
        return;
    }
    let ws = common::Scratch::new(
        "nvim",
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"p\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
            ),
            (
                "src/lib.rs",
                "pub async fn handler() {\n    std::thread::sleep(std::time::Duration::from_millis(5));\n}\n",
            ),
        ],
    );
    let config = common::root().join("editors/nvim/async-lint.lua");
    // The README's config is what runs; the test only waits and writes what Neovim has.
    let out = ws.0.join("diagnostics.txt");
    let check = format!(
        "lua vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50); \
         local f = io.open('{}', 'w'); \
         for _, d in ipairs(vim.diagnostic.get(0)) do \
           f:write(string.format('%d:%d %s %s\\n', d.lnum, d.col, d.source or '', d.code or '')) \
         end; f:close()",
        out.display()
    );
    let bin_dir: PathBuf = PathBuf::from(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new("nvim")
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&config)
        .args(["src/lib.rs", "-c", &check, "-c", "qa!"])
        .current_dir(&ws.0)
        .env("PATH", path)
        .env("XDG_CACHE_HOME", ws.0.join("cache"))
        .env("XDG_STATE_HOME", ws.0.join("state"))
        .env("XDG_DATA_HOME", ws.0.join("data"))
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("nvim did not finish in 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = std::fs::read_to_string(&out).unwrap_or_default();
    println!("diagnostics in Neovim: {got:?}");
    assert!(
        got.contains("1:4 async-lint blocking_in_async"),
        "diagnostics in Neovim: {got:?}"
    );
}

/// The Zed extension in `editors/zed/` declares the server for Rust under the name its code
/// looks its settings up by, and builds against `zed_extension_api` (checked for the host, as
/// Zed compiles it to WebAssembly itself). Skipped, saying so, when the registry is out of
/// reach.
#[test]
fn zed_extension_declares_the_server_and_builds() {
    let dir = common::root().join("editors/zed");
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(dir.join("extension.toml")).unwrap()).unwrap();
    let server = &manifest["language_servers"]["async-lint"];
    assert_eq!(
        server["languages"].as_array().unwrap(),
        &[toml::Value::from("Rust")]
    );
    let code = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(
        code.contains("const SERVER: &str = \"async-lint\";"),
        "{code}"
    );
    assert!(
        code.contains("\"lsp\""),
        "the server is started as `cargo-async-lint lsp`"
    );
    // A copy, so that the check writes no lock file into the source tree.
    let copy = common::Scratch::new(
        "zed-extension",
        &[
            (
                "Cargo.toml",
                &std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
            ),
            (
                "extension.toml",
                &std::fs::read_to_string(dir.join("extension.toml")).unwrap(),
            ),
            ("src/lib.rs", &code),
        ],
    );
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["check", "--quiet", "--manifest-path"])
        .arg(copy.0.join("Cargo.toml"))
        .env(
            "CARGO_TARGET_DIR",
            common::root().join("target/zed-extension"),
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let offline = [
        "failed to download",
        "failed to get",
        "Unable to update",
        "failed to query",
    ]
    .iter()
    .any(|m| stderr.contains(m));
    if !out.status.success() && offline {
        println!(
            "skipped the build: the registry is out of reach ({})",
            stderr.lines().last().unwrap_or("")
        );
        return;
    }
    assert!(out.status.success(), "{stderr}");
}

/// `editors/vscode/extension.js`, run by Node with VS Code's API and the language client
/// stubbed: on activation it starts `<async-lint.path> lsp` for Rust files, with the levels of
/// `async-lint.lints` as initialization options and the `async-lint` settings synchronized
/// (the server reads them from `workspace/didChangeConfiguration`); package.json points at it
/// and activates it for Rust. Skipped, saying so, without `node`. (Not run inside VS Code.)
#[test]
fn vscode_extension_starts_the_server_for_rust() {
    if Command::new("node").arg("--version").output().is_err() {
        println!("skipped: no `node` on PATH");
        return;
    }
    let dir = common::root().join("editors/vscode");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("package.json")).unwrap()).unwrap();
    assert_eq!(manifest["main"], "./extension.js");
    assert_eq!(
        manifest["activationEvents"],
        serde_json::json!(["onLanguage:rust"])
    );
    let script = format!(
        r#"
const Module = require("module");
const load = Module._load;
let made = null;
const settings = {{ path: "/opt/bin/cargo-async-lint", lints: {{ blocking_in_async: "deny" }} }};
Module._load = function (name, parent, main) {{
  if (name === "vscode") {{
    return {{ workspace: {{ getConfiguration: (section) => ({{
      get: (key, fallback) => (section === "async-lint" && key in settings ? settings[key] : fallback),
    }}) }} }};
  }}
  if (name === "vscode-languageclient/node") {{
    return {{ LanguageClient: class {{
      constructor(id, name, server, client) {{ made = {{ id, name, server, client }}; }}
      start() {{ return Promise.resolve(); }}
      stop() {{ return Promise.resolve(); }}
    }} }};
  }}
  return load.apply(this, arguments);
}};
const ext = require({path:?});
const context = {{ subscriptions: [] }};
Promise.resolve(ext.activate(context)).then(() => {{
  process.stdout.write(JSON.stringify({{ made, subscriptions: context.subscriptions.length }}));
}});
"#,
        path = dir.join("extension.js").to_string_lossy()
    );
    let out = Command::new("node")
        .arg("-e")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let made = &got["made"];
    assert_eq!(
        made["server"],
        serde_json::json!({"command": "/opt/bin/cargo-async-lint", "args": ["lsp"]})
    );
    assert_eq!(
        made["client"]["documentSelector"],
        serde_json::json!([{"scheme": "file", "language": "rust"}])
    );
    assert_eq!(
        made["client"]["initializationOptions"],
        serde_json::json!({"lints": {"blocking_in_async": "deny"}})
    );
    assert_eq!(
        made["client"]["synchronize"]["configurationSection"],
        "async-lint"
    );
    assert_eq!(
        got["subscriptions"], 1,
        "the client is stopped with the extension"
    );
}
