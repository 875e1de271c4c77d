// An allocation-heavy workload (ASTs, facts): mimalloc is markedly faster than the system
// allocator here, for parsing and analysis alike. Built without transparent huge pages
// (`no_thp`): for a run this short, zeroing whole 2 MiB pages on first touch (and compacting
// memory to find them) costs as much as it saves, and doubled the peak RSS (tokio: 104 -> 57 MB).
// Syntax trees get a heap of their own (see `cargo_async_lint::syntax::alloc`).
#[global_allocator]
static ALLOC: cargo_async_lint::syntax::alloc::Alloc = cargo_async_lint::syntax::alloc::Alloc;

fn main() {
    cargo_async_lint::util::timing::enabled();
    let argv: Vec<String> = std::env::args().collect();
    // `cargo async-lint lsp` (run by cargo as `cargo-async-lint async-lint lsp`): the language
    // server; a folder named `lsp` is linted as `./lsp`.
    let skip = if argv.get(1).map(String::as_str) == Some("async-lint") {
        2
    } else {
        1
    };
    let code = if argv.get(skip).map(String::as_str) == Some("lsp") {
        cargo_async_lint::lsp::serve(&argv[skip + 1..])
    } else {
        cargo_async_lint::driver::cli::main_with_args(argv)
    };
    std::process::exit(code);
}
