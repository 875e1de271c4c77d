// An allocation-heavy workload (ASTs, facts): mimalloc is markedly faster than the system
// allocator here, for parsing and analysis alike. Built without transparent huge pages
// (`no_thp`): for a run this short, zeroing whole 2 MiB pages on first touch (and compacting
// memory to find them) costs as much as it saves, and doubled the peak RSS (tokio: 104 -> 57 MB).
// Syntax trees get a heap of their own (see `cargo_async_lint::syntax::alloc`).
#[global_allocator]
static ALLOC: cargo_async_lint::syntax::alloc::Alloc = cargo_async_lint::syntax::alloc::Alloc;

fn main() {
    cargo_async_lint::util::timing::enabled();
    let code = cargo_async_lint::driver::cli::main_with_args(std::env::args().collect());
    std::process::exit(code);
}
