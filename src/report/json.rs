//! The `json` format: cargo's message shape (`{"reason":"compiler-message", ..., "message": <rustc
//! diagnostic>}`), one line per finding, then cargo's `build-finished` line.

use super::format::level_word;
use super::human::render_human;
use super::results::{PackageReport, Report};
use crate::lints::diag::{Diagnostic, Label};
use crate::workspace::discover::TargetInfo;
use serde_json::{Value, json};

fn span_json(pkg: &PackageReport, l: &Label, replacement: Option<&str>) -> Value {
    let f = &pkg.files[l.file];
    // Through the file's line index: one lookup per line, not a scan from the top.
    let text: Vec<Value> = (l.loc.line.max(1)..=l.loc.end_line.max(l.loc.line))
        .map_while(|n| f.line_text(n))
        .enumerate()
        .map(|(i, line)| {
            let start = if i == 0 { l.loc.col } else { 1 };
            let end = if l.loc.line + i == l.loc.end_line {
                l.loc.end_col
            } else {
                line.chars().count() + 1
            };
            json!({"text": line, "highlight_start": start, "highlight_end": end})
        })
        .collect();
    json!({
        "file_name": f.display,
        "byte_start": l.loc.lo,
        "byte_end": l.loc.hi,
        "line_start": l.loc.line,
        "line_end": l.loc.end_line,
        "column_start": l.loc.col,
        "column_end": l.loc.end_col,
        "is_primary": l.primary,
        "text": text,
        "label": if l.message.is_empty() { Value::Null } else { Value::String(l.message.clone()) },
        "suggested_replacement": replacement,
        "suggestion_applicability": replacement.map(|_| "MachineApplicable"),
        "expansion": null,
    })
}

/// A target as cargo describes it in its messages (`doc`, `doctest`, `test` as cargo's
/// defaults for the kind).
fn target_json(t: &TargetInfo) -> Value {
    let kind = t.kind.first().map(String::as_str).unwrap_or("lib");
    let lib = kind.contains("lib") || kind == "proc-macro";
    json!({
        "kind": t.kind,
        "crate_types": t.crate_types,
        "name": t.name,
        "src_path": t.src_path,
        "edition": t.edition,
        "doc": lib || kind == "bin",
        "doctest": lib,
        "test": lib || kind == "bin" || kind == "test",
    })
}

fn child(level: &str, message: &str, spans: Vec<Value>) -> Value {
    json!({
        "message": message,
        "code": null,
        "level": level,
        "spans": spans,
        "children": [],
        "rendered": null,
    })
}

pub fn compiler_message(
    report: &Report,
    pkg: &PackageReport,
    d: &Diagnostic,
    rendered: String,
) -> Value {
    let mut spans: Vec<Value> = d.labels.iter().map(|l| span_json(pkg, l, None)).collect();
    // Places in a dependency's source: the file and line, as rustc gives spans in other crates.
    spans.extend(d.external.iter().map(|e| {
        json!({
            "file_name": e.path.to_string_lossy(),
            "byte_start": 0,
            "byte_end": 0,
            "line_start": e.line,
            "line_end": e.line,
            "column_start": 1,
            "column_end": 1,
            "is_primary": false,
            "text": [],
            "label": e.message,
            "suggested_replacement": null,
            "suggestion_applicability": null,
            "expansion": null,
        })
    }));
    let mut children: Vec<Value> = d.notes.iter().map(|n| child("note", n, vec![])).collect();
    for (i, h) in d.helps.iter().enumerate() {
        // The fix, when there is one, rides on the first help as rustc's suggestions do.
        let spans = if i == 0 && !d.fix.is_empty() {
            d.fix
                .iter()
                .map(|e| {
                    let l = Label {
                        file: e.file,
                        loc: e.loc,
                        message: String::new(),
                        primary: true,
                    };
                    span_json(pkg, &l, Some(&e.replacement))
                })
                .collect()
        } else {
            vec![]
        };
        children.push(child("help", h, spans));
    }
    // The target whose module tree holds the finding's file, as cargo names the target it
    // compiled when rustc reported.
    let targets = &pkg.package.targets;
    let file = pkg.files.get(d.primary().file);
    let target = file
        .and_then(|f| targets.get(f.target))
        .or_else(|| targets.first())
        .map(target_json)
        .unwrap_or(Value::Null);
    let _ = report;
    json!({
        "reason": "compiler-message",
        "package_id": pkg.package.id,
        "manifest_path": pkg.package.manifest.as_ref().map(|m| m.to_string_lossy().into_owned()).unwrap_or_default(),
        "target": target,
        "message": {
            "$message_type": "diagnostic",
            "message": d.message,
            "code": {"code": format!("async_lint::{}", d.lint), "explanation": null},
            "level": level_word(d.level),
            "spans": spans,
            "children": children,
            "rendered": rendered,
        }
    })
}

/// One JSON object per line, as `cargo --message-format json` writes them.
pub fn json_line(
    report: &Report,
    pkg: &PackageReport,
    d: &Diagnostic,
    style: crate::report::format::Rendered,
) -> String {
    use crate::report::format::Rendered;
    let rendered = match style {
        Rendered::Plain => render_human(pkg, d, false),
        Rendered::Ansi => render_human(pkg, d, true),
        Rendered::Short => crate::report::human::short_line(pkg, d),
    };
    let v: Value = compiler_message(report, pkg, d, rendered);
    v.to_string()
}

/// The final line cargo writes in JSON mode.
pub fn json_finished(success: bool) -> String {
    json!({"reason": "build-finished", "success": success}).to_string()
}
