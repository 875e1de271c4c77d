//! Zed extension: starts `cargo-async-lint lsp` for Rust files, as a second language server
//! beside rust-analyzer. `lsp.async-lint` in Zed's settings may set the binary (`binary.path`,
//! `binary.arguments`), the levels sent at start (`initialization_options`) and the levels
//! sent on a settings change (`settings`), e.g. `{"lints": {"blocking_in_async": "deny"}}`.

use zed_extension_api::{self as zed, settings::LspSettings, LanguageServerId, Result};

const SERVER: &str = "async-lint";

struct AsyncLint;

impl zed::Extension for AsyncLint {
    fn new() -> Self {
        AsyncLint
    }

    fn language_server_command(
        &mut self,
        _id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<zed::Command> {
        let binary = LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|s| s.binary);
        let path = binary
            .as_ref()
            .and_then(|b| b.path.clone())
            .or_else(|| worktree.which("cargo-async-lint"))
            .ok_or_else(|| {
                "cargo-async-lint is not on the PATH (install it, or set \
                 lsp.async-lint.binary.path in Zed's settings)"
                    .to_string()
            })?;
        let args = binary
            .and_then(|b| b.arguments)
            .map(|extra| std::iter::once("lsp".to_string()).chain(extra).collect())
            .unwrap_or_else(|| vec!["lsp".to_string()]);
        Ok(zed::Command {
            command: path,
            args,
            env: worktree.shell_env(),
        })
    }

    fn language_server_initialization_options(
        &mut self,
        _id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        Ok(LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|s| s.initialization_options))
    }

    fn language_server_workspace_configuration(
        &mut self,
        _id: &LanguageServerId,
        worktree: &zed::Worktree,
    ) -> Result<Option<zed::serde_json::Value>> {
        let settings = LspSettings::for_worktree(SERVER, worktree)
            .ok()
            .and_then(|s| s.settings);
        Ok(settings.map(|s| zed::serde_json::json!({ SERVER: s })))
    }
}

zed::register_extension!(AsyncLint);
