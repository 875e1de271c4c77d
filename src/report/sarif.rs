//! The `sarif` format: SARIF 2.1.0, as GitHub code scanning accepts it, one log for the whole run
//! with every lint's documentation as its rules.

use super::format::{file_uri, level_word, slash_path, uri_path};
use super::results::{PackageReport, Report, fingerprint};
use crate::lints::diag::{Diagnostic, Label, Level};
use crate::lints::lint::unindent_docs;
use crate::lints::registry;
use crate::syntax::source::Loc;
use serde_json::{Value, json};

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

fn region(loc: &Loc) -> Value {
    json!({
        "startLine": loc.line,
        "startColumn": loc.col,
        "endLine": loc.end_line,
        "endColumn": loc.end_col,
        "byteOffset": loc.lo,
        "byteLength": loc.hi.saturating_sub(loc.lo),
    })
}

/// The whole log for a run.
pub fn log(report: &Report) -> Value {
    let lints = registry::all();
    let rules: Vec<Value> = lints
        .iter()
        .map(|l| {
            let docs = unindent_docs(l.docs);
            let mut rule = json!({
                "id": format!("async_lint::{}", l.name),
                "name": l.name,
                "shortDescription": {"text": l.summary},
                "fullDescription": {"text": l.summary},
                "help": {"text": docs, "markdown": docs},
                "defaultConfiguration": {"level": sarif_level(l.default_level)},
                "properties": {"tags": [l.group.as_str()]},
            });
            if let Some(url) = crate::report::catalogue::lint_url(l.name) {
                rule["helpUri"] = json!(url);
            }
            rule
        })
        .collect();
    let mut results = Vec::new();
    for (pkg, d) in report.diagnostics() {
        results.push(result(pkg, d, lints.iter().position(|l| l.name == d.lint)));
    }
    let mut driver = json!({
        "name": "cargo-async-lint",
        "version": env!("CARGO_PKG_VERSION"),
        "rules": rules,
    });
    // The repository (Cargo.toml's `repository`), when the package names one.
    let repository = env!("CARGO_PKG_REPOSITORY");
    if !repository.is_empty() {
        driver["informationUri"] = json!(repository);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": format!("{}/", file_uri(&report.root).trim_end_matches('/'))}},
            "results": results,
        }],
    })
}

fn result(pkg: &PackageReport, d: &Diagnostic, rule_index: Option<usize>) -> Value {
    let location = |l: &Label| {
        // A file below the root is relative to it; one elsewhere (given by an absolute path
        // outside the workspace) is a `file://` URI of its own.
        let display = &pkg.files[l.file].display;
        let artifact = if std::path::Path::new(display).is_absolute() {
            json!({"uri": file_uri(std::path::Path::new(display))})
        } else {
            json!({"uri": uri_path(&slash_path(display)), "uriBaseId": "%SRCROOT%"})
        };
        json!({"physicalLocation": {
            "artifactLocation": artifact,
            "region": region(&l.loc),
        }})
    };
    let primary = d.primary();
    let mut related: Vec<Value> = d
        .labels
        .iter()
        .filter(|l| !l.primary)
        .enumerate()
        .map(|(i, l)| {
            let mut v = location(l);
            v["id"] = json!(i + 1);
            v["message"] = json!({"text": l.message});
            v
        })
        .collect();
    // Places in a dependency's source, by absolute URI.
    for e in &d.external {
        let id = related.len() + 1;
        related.push(json!({
            "id": id,
            "physicalLocation": {
                "artifactLocation": {"uri": file_uri(&e.path)},
                "region": {"startLine": e.line},
            },
            "message": {"text": e.message},
        }));
    }
    let mut text = d.message.clone();
    for n in &d.notes {
        text.push_str(&format!("\nnote: {n}"));
    }
    for h in &d.helps {
        text.push_str(&format!("\nhelp: {h}"));
    }
    let mut v = json!({
        "ruleId": format!("async_lint::{}", d.lint),
        "level": level_word(d.level),
        "message": {"text": text},
        "locations": [location(primary)],
        "partialFingerprints": {
            "asyncLintFingerprint/v1": fingerprint(pkg, d),
            "primaryLocationLineHash": line_hash(pkg, d),
        },
    });
    if let Some(i) = rule_index {
        v["ruleIndex"] = json!(i);
    }
    if !related.is_empty() {
        v["relatedLocations"] = json!(related);
    }
    v
}

/// GitHub's `primaryLocationLineHash` (`<hash>:<n>`): a hash of the primary line's text
/// without its whitespace, which moves with the line (the `n` is 1: one finding per line and
/// lint is the rule, and our own fingerprint tells findings on one line apart).
fn line_hash(pkg: &PackageReport, d: &Diagnostic) -> String {
    let p = d.primary();
    let line = pkg.files[p.file].line_text(p.loc.line.max(1)).unwrap_or("");
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in line.bytes().filter(|b| !b.is_ascii_whitespace()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}:1")
}
