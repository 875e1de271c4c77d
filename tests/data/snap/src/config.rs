pub fn load() -> String {
    read_file("app.toml")
}

fn read_file(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
