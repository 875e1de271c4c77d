//! The `sarif` format: SARIF 2.1.0, as GitHub code scanning accepts it, one log for the whole run
//! with every lint's documentation as its rules.

use super::format::level_word;
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
            json!({
                "id": format!("async_lint::{}", l.name),
                "name": l.name,
                "shortDescription": {"text": l.summary},
                "fullDescription": {"text": l.summary},
                "help": {"text": docs, "markdown": docs},
                "defaultConfiguration": {"level": sarif_level(l.default_level)},
                "properties": {"tags": [l.group.as_str()]},
            })
        })
        .collect();
    let mut results = Vec::new();
    for (pkg, d) in report.diagnostics() {
        results.push(result(pkg, d, lints.iter().position(|l| l.name == d.lint)));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cargo-async-lint",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/cargo-async-lint/cargo-async-lint",
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": format!("file://{}/", report.root.display())}},
            "results": results,
        }],
    })
}

fn result(pkg: &PackageReport, d: &Diagnostic, rule_index: Option<usize>) -> Value {
    let location = |l: &Label| {
        json!({"physicalLocation": {
            "artifactLocation": {"uri": pkg.files[l.file].display.replace('\\', "/"), "uriBaseId": "%SRCROOT%"},
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
                "artifactLocation": {"uri": format!("file://{}", e.path.to_string_lossy().replace('\\', "/"))},
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
        "partialFingerprints": {"asyncLintFingerprint/v1": fingerprint(pkg, d)},
    });
    if let Some(i) = rule_index {
        v["ruleIndex"] = json!(i);
    }
    if !related.is_empty() {
        v["relatedLocations"] = json!(related);
    }
    v
}
