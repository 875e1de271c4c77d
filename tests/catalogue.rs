//! The lint catalogue page, opened in headless Chromium: every lint is on it, the search box
//! and the filters work, the page logs no console message, and a screenshot is kept
//! (`target/tmp/catalogue.png`). Without Chromium (CI installs Debian's `chromium` in
//! `.ci/run`) the browser part is skipped with a message.

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    [
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ]
    .iter()
    .find_map(|name| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()?;
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
    })
}

/// Runs headless Chromium on `url` with `args`: (stdout, stderr).
fn browse(chrome: &Path, args: &[&str], url: &str) -> (String, String) {
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalogue-profile");
    let out = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lint sections of a dumped DOM: (id, hidden).
fn sections(dom: &str) -> Vec<(String, bool)> {
    dom.split("<section class=\"lint\" id=\"")
        .skip(1)
        .map(|rest| {
            let id = rest.split('"').next().unwrap_or_default().to_string();
            let tag = rest.split('>').next().unwrap_or_default();
            (id, tag.contains("hidden"))
        })
        .collect()
}

#[test]
fn the_catalogue_lists_every_lint_and_filters_in_a_browser() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalogue");
    let o = Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
        .args(["--emit-catalogue"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let names: Vec<&str> = cargo_async_lint::lints::registry::all()
        .iter()
        .map(|l| l.name)
        .collect();
    for name in &names {
        assert!(page.contains(&format!("id=\"{name}\"")), "{name}");
    }
    let Some(chrome) = chromium() else {
        eprintln!(
            "skipped: no Chromium on PATH (Debian's `chromium` package; .ci/run installs it)"
        );
        return;
    };
    let url = format!("file://{}", dir.join("index.html").display());
    // Loaded as it is: every lint shown, and nothing logged to the console.
    let (dom, log) = browse(
        &chrome,
        &["--enable-logging=stderr", "--v=0", "--dump-dom"],
        &url,
    );
    let all = sections(&dom);
    assert_eq!(
        all.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        names
    );
    assert!(all.iter().all(|(_, hidden)| !hidden), "{all:?}");
    assert!(dom.contains(&format!("{} of {} shown", names.len(), names.len())));
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The search box filters (filled from the query string, as a link would).
    let (dom, _) = browse(&chrome, &["--dump-dom"], &format!("{url}?search=refcell"));
    let shown: Vec<String> = sections(&dom)
        .into_iter()
        .filter(|(_, hidden)| !hidden)
        .map(|(id, _)| id)
        .collect();
    assert!(
        shown.contains(&"refcell_across_await".to_string()),
        "{shown:?}"
    );
    assert!(!shown.contains(&"detached_spawn".to_string()), "{shown:?}");
    assert!(shown.len() < names.len(), "{shown:?}");
    // And the group filter.
    let (dom, _) = browse(&chrome, &["--dump-dom"], &format!("{url}?group=pedantic"));
    for (id, hidden) in sections(&dom) {
        let group = cargo_async_lint::lints::registry::find(&id).unwrap().group;
        assert_eq!(hidden, group.as_str() != "pedantic", "{id}");
    }
    // A screenshot, kept for people to look at.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalogue.png");
    let _ = std::fs::remove_file(&shot);
    browse(
        &chrome,
        &[
            "--window-size=1280,1600",
            &format!("--screenshot={}", shot.display()),
        ],
        &url,
    );
    assert!(
        std::fs::metadata(&shot).is_ok_and(|m| m.len() > 10_000),
        "no screenshot"
    );
    eprintln!("catalogue screenshot: {}", shot.display());
}

/// Published somewhere (`ASYNC_LINT_CATALOGUE_URL`, else Cargo.toml's `homepage`), the
/// catalogue's anchors are linked from SARIF (`helpUri`), the human note and `--explain`.
#[test]
fn findings_link_to_the_published_catalogue() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalogue-links");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.rs"),
        "async fn f() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_cargo-async-lint"))
            .args(args)
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env(
                "ASYNC_LINT_CATALOGUE_URL",
                "https://lints.example.test/async/",
            )
            .output()
            .unwrap()
    };
    let url = "https://lints.example.test/async/#blocking_in_async";
    let o = run(&["a.rs", "--message-format", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rule = &log["runs"][0]["tool"]["driver"]["rules"][0];
    assert_eq!(rule["helpUri"], url, "{rule}");
    let o = run(&["a.rs"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains(&format!("or see {url}")));
    let o = run(&["--explain", "blocking_in_async"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(&format!("In the catalogue: {url}")));
}
