-- cargo-async-lint's language server for Rust buffers, beside rust-analyzer, for Neovim 0.7 to
-- 0.10 (on 0.11 and later, `vim.lsp.config` is shorter: see the README). Put this file in your
-- config (`~/.config/nvim/plugin/async-lint.lua`) with `cargo-async-lint` on your PATH.
local clients = {}

vim.api.nvim_create_autocmd("FileType", {
  pattern = "rust",
  callback = function(args)
    -- The workspace: the outermost folder with a Cargo.toml above the file.
    local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ":p:h")
    local root = dir
    local manifest = vim.fn.findfile("Cargo.toml", dir .. ";", -1)
    if #manifest > 0 then
      root = vim.fn.fnamemodify(manifest[#manifest], ":p:h")
    end
    if not clients[root] then
      clients[root] = vim.lsp.start_client({
        name = "async-lint",
        cmd = { "cargo-async-lint", "lsp" },
        root_dir = root,
      })
    end
    if clients[root] then
      vim.lsp.buf_attach_client(args.buf, clients[root])
    end
  end,
})
