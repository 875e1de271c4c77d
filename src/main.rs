// An allocation-heavy workload (ASTs, facts): mimalloc is markedly faster than the system
// allocator here, for parsing and analysis alike.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let code = cargo_async_lint::cli::main_with_args(std::env::args().collect());
    std::process::exit(code);
}
