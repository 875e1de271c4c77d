// Starts `cargo-async-lint lsp` for Rust files; rust-analyzer keeps running beside it.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("async-lint");
  const command = config.get("path", "cargo-async-lint");
  client = new LanguageClient(
    "async-lint",
    "cargo-async-lint",
    { command, args: ["lsp"] },
    {
      documentSelector: [{ scheme: "file", language: "rust" }],
      initializationOptions: { lints: config.get("lints", {}) },
      synchronize: { configurationSection: "async-lint" },
    }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
