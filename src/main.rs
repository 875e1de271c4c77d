fn main() {
    let code = cargo_async_lint::cli::main_with_args(std::env::args().collect());
    std::process::exit(code);
}
