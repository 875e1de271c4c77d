//! Baselines, for adopting the gate on an existing codebase: `--write-baseline FILE` records
//! today's findings, `--baseline FILE` hides them. Findings are matched by fingerprint (lint,
//! file, enclosing item and the text of the primary line, not its number), so unrelated edits
//! that move lines do not resurrect them; a finding that appears twice must be recorded twice.

use super::results::{Report, fingerprint};
use crate::util::fs::write_atomically;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

#[derive(Serialize, Deserialize)]
struct Entry {
    fingerprint: String,
    lint: String,
    file: String,
    item: String,
    message: String,
}

#[derive(Serialize, Deserialize)]
struct Baseline {
    tool: String,
    version: u32,
    findings: Vec<Entry>,
}

/// Writes the report's findings; returns how many.
pub fn write(report: &Report, path: &Path) -> Result<usize, String> {
    let mut findings: Vec<Entry> = report
        .diagnostics()
        .map(|(pkg, d)| Entry {
            fingerprint: fingerprint(pkg, d),
            lint: d.lint.to_string(),
            file: pkg.files[d.primary().file].display.replace('\\', "/"),
            item: d.item.clone(),
            message: d.message.clone(),
        })
        .collect();
    findings.sort_by(|a, b| (&a.file, &a.fingerprint).cmp(&(&b.file, &b.fingerprint)));
    let n = findings.len();
    let b = Baseline {
        tool: "cargo-async-lint".into(),
        version: 1,
        findings,
    };
    let text = serde_json::to_string_pretty(&b).map_err(|e| e.to_string())? + "\n";
    write_atomically(path, text.as_bytes())
        .map_err(|e| format!("cannot write baseline {}: {e}", path.display()))?;
    Ok(n)
}

/// Removes the findings recorded in a baseline; returns how many were hidden.
pub fn filter(report: &mut Report, path: &Path) -> Result<usize, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read baseline {}: {e}", path.display()))?;
    let b: Baseline = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a cargo-async-lint baseline: {e}", path.display()))?;
    if b.version != 1 {
        return Err(format!(
            "{}: unsupported baseline version {}",
            path.display(),
            b.version
        ));
    }
    let mut known: HashMap<String, usize> = HashMap::new();
    for e in b.findings {
        *known.entry(e.fingerprint).or_default() += 1;
    }
    let mut hidden = 0;
    for pkg in &mut report.packages {
        let fps: Vec<String> = pkg
            .diagnostics
            .iter()
            .map(|d| fingerprint(pkg, d))
            .collect();
        let mut keep = fps.iter().map(|fp| match known.get_mut(fp) {
            Some(n) if *n > 0 => {
                *n -= 1;
                hidden += 1;
                false
            }
            _ => true,
        });
        pkg.diagnostics.retain(|_| keep.next().unwrap_or(true));
    }
    Ok(hidden)
}
