//! The lint catalogue: one static HTML page (styles and script inline) that lists every lint
//! with its documentation, group, default level and the APIs the knowledge base knows for it
//! (with their citations), a search box and filters, and a stable anchor per lint
//! (`#blocking_in_async`). `cargo async-lint --emit-catalogue DIR` writes it.

use crate::lints::lint::{Group, LintMeta, unindent_docs};
use crate::lints::registry;
use std::fmt::Write as _;
use std::path::Path;

/// Where the catalogue is published: `$ASYNC_LINT_CATALOGUE_URL` (a team that serves the
/// page itself), else the package's `homepage` (Cargo.toml), when it has one. Diagnostics,
/// SARIF `helpUri` and `--explain` link to `<this>#<lint>`.
pub fn published_url() -> Option<String> {
    std::env::var("ASYNC_LINT_CATALOGUE_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .or_else(|| {
            let home = env!("CARGO_PKG_HOMEPAGE");
            (!home.is_empty()).then(|| home.to_string())
        })
}

/// The link to a lint's entry in the published catalogue.
pub fn lint_url(lint: &str) -> Option<String> {
    published_url().map(|u| format!("{}#{lint}", u.trim_end_matches('#')))
}

/// Writes `index.html` into `dir` (created if needed).
pub fn write(dir: &Path) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("index.html");
    std::fs::write(&path, page())?;
    Ok(path)
}

/// One API the knowledge base knows, with where that is documented.
struct Known {
    api: String,
    source: String,
}

/// The knowledge base's entries for each lint, read from the embedded `lints/*.toml` (the
/// reviewed data, with its citations).
fn known_apis(lint: &str) -> Vec<Known> {
    // The files' tables that describe the APIs a lint knows.
    let tables: &[&str] = match lint {
        "blocking_in_async" | "fs_metadata_in_async" => &["function", "method"],
        "block_on_in_async" => &[
            "runtime_entry",
            "method",
            "method_name",
            "current_thread_panic",
        ],
        "select_cancel_unsafe" => &["not_cancel_safe", "not_cancel_safe_fn"],
        "unawaited_future" => &["future_fn", "future_method"],
        "detached_spawn" => &["spawn", "detaching_handle"],
        "non_send_across_await" => &["send_required", "held"],
        "lock_across_await" | "refcell_across_await" | "span_guard_across_await" => &["held"],
        _ => &[],
    };
    let mut out = Vec::new();
    for text in crate::kb::EMBEDDED_TOML {
        let Ok(doc) = toml::from_str::<toml::Table>(text) else {
            continue;
        };
        // A table of the same name in another file is another thing (`method` in blocking
        // and in block_on): the file is told apart by what its entries hold.
        let is_blocking = doc.contains_key("function");
        let is_block_on = doc.contains_key("runtime_entry");
        for table in tables {
            let wanted_file = match lint {
                "blocking_in_async" | "fs_metadata_in_async" => is_blocking,
                "block_on_in_async" => is_block_on,
                _ => true,
            };
            if !wanted_file {
                continue;
            }
            let Some(entries) = doc.get(*table).and_then(toml::Value::as_array) else {
                continue;
            };
            for e in entries.iter().filter_map(toml::Value::as_table) {
                // Entries that name their lint go to that lint only (a held type's family, a
                // blocking call that only reads file metadata).
                let entry_lint = e.get("lint").and_then(toml::Value::as_str);
                let belongs = match (*table, entry_lint) {
                    ("held", l) => l == Some(lint),
                    ("function" | "method", l) if is_blocking => {
                        l.unwrap_or("blocking_in_async") == lint
                    }
                    _ => true,
                };
                if !belongs {
                    continue;
                }
                if let Some(k) = known(e) {
                    out.push(k);
                }
            }
        }
    }
    out
}

/// What an entry names (paths, a type's methods, types, method names) and its citation.
fn known(e: &toml::Table) -> Option<Known> {
    let strs = |k: &str| -> Vec<String> {
        match e.get(k) {
            Some(toml::Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(toml::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    };
    let mut names: Vec<String> = strs("paths");
    let ty = strs("type").into_iter().next();
    let methods = strs("methods");
    match &ty {
        Some(t) => names.extend(methods.iter().map(|m| format!("{t}::{m}"))),
        None => names.extend(methods.iter().map(|m| format!(".{m}()"))),
    }
    names.extend(strs("types"));
    names.extend(strs("names").iter().map(|m| format!(".{m}()")));
    if names.is_empty() {
        return None;
    }
    let source = strs("source").into_iter().next().unwrap_or_default();
    Some(Known {
        api: names.join(", "),
        source,
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Inline Markdown of the docs: `code` spans, on escaped text.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in s.split('`').enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<code>{}</code>", escape(part));
        } else {
            out.push_str(&escape(part));
        }
    }
    out
}

/// The lints' docs (headings, paragraphs, fenced code, `code`) as HTML.
fn docs_html(docs: &str) -> String {
    let mut out = String::new();
    let mut para: Vec<&str> = Vec::new();
    let mut code: Option<Vec<&str>> = None;
    let flush = |para: &mut Vec<&str>, out: &mut String| {
        if !para.is_empty() {
            let _ = writeln!(out, "<p>{}</p>", inline(&para.join(" ")));
            para.clear();
        }
    };
    for line in docs.lines() {
        if let Some(block) = code.as_mut() {
            if line.trim_start().starts_with("```") {
                let _ = writeln!(out, "<pre><code>{}</code></pre>", escape(&block.join("\n")));
                code = None;
            } else {
                block.push(line);
            }
            continue;
        }
        if line.trim_start().starts_with("```") {
            flush(&mut para, &mut out);
            code = Some(Vec::new());
        } else if let Some(h) = line.strip_prefix("### ") {
            flush(&mut para, &mut out);
            let _ = writeln!(out, "<h3>{}</h3>", inline(h));
        } else if line.trim().is_empty() {
            flush(&mut para, &mut out);
        } else {
            para.push(line.trim());
        }
    }
    flush(&mut para, &mut out);
    out
}

fn lint_section(l: &LintMeta) -> String {
    let known = known_apis(l.name);
    let mut apis = String::new();
    if !known.is_empty() {
        let _ = writeln!(
            apis,
            "<details class=\"apis\"><summary>APIs the knowledge base knows ({})</summary><ul>",
            known.len()
        );
        for k in &known {
            let _ = writeln!(
                apis,
                "<li><code>{}</code> <span class=\"src\">{}</span></li>",
                escape(&k.api),
                inline(&k.source)
            );
        }
        apis.push_str("</ul></details>\n");
    }
    format!(
        "<section class=\"lint\" id=\"{name}\" data-group=\"{group}\" data-level=\"{level}\">\n\
         <h2><a class=\"anchor\" href=\"#{name}\">{name}</a> \
         <span class=\"badge group\">{group}</span> <span class=\"badge level {level}\">{level}</span></h2>\n\
         <p class=\"summary\">{summary}</p>\n\
         <p class=\"howto\">Set it with <code>-A {name}</code> / <code>-W {name}</code> / <code>-D {name}</code>, \
         <code>{name} = \"deny\"</code> under <code>[lints]</code>, or <code>// async-lint: allow({name})</code>; \
         <code>cargo async-lint --explain {name}</code> prints this text.</p>\n\
         <div class=\"docs\">{docs}</div>\n{apis}</section>\n",
        name = l.name,
        group = l.group.as_str(),
        level = l.default_level,
        summary = inline(l.summary),
        docs = docs_html(&unindent_docs(l.docs)),
    )
}

/// The whole page.
pub fn page() -> String {
    let lints = registry::all();
    let mut sections = String::new();
    for l in lints {
        sections.push_str(&lint_section(l));
    }
    let groups: String = Group::ALL
        .iter()
        .map(|g| format!("<option value=\"{0}\">{0}</option>", g.as_str()))
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cargo-async-lint: lints</title>
<style>{STYLE}</style>
</head>
<body>
<header>
<h1>cargo-async-lint <span class="version">{version}</span>: {count} lints</h1>
<div class="filters">
<input id="search" type="search" placeholder="Search lints, APIs, docs" autofocus>
<select id="group"><option value="">every group</option>{groups}</select>
<select id="level"><option value="">every level</option><option value="deny">deny</option><option value="warn">warn</option><option value="allow">allow</option></select>
<span id="shown"></span>
</div>
</header>
<main>
{sections}</main>
<script>{SCRIPT}</script>
</body>
</html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        count = lints.len(),
    )
}

const STYLE: &str = r#"
body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d1d1f; background: #fafafa; }
header { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd; padding: 0.6em 1.5em; z-index: 1; }
h1 { font-size: 1.3em; margin: 0 0 0.4em; } .version { color: #777; font-weight: normal; }
.filters { display: flex; gap: 0.6em; align-items: center; flex-wrap: wrap; }
#search { flex: 1; min-width: 16em; padding: 0.4em; font-size: 1em; }
main { max-width: 60em; margin: 0 auto; padding: 1em 1.5em; }
section.lint { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 0.4em 1.2em; margin: 1em 0; }
section.lint[hidden] { display: none; }
h2 { font-size: 1.2em; } h2 a.anchor { color: inherit; text-decoration: none; font-family: ui-monospace, monospace; }
.badge { font-size: 0.7em; padding: 0.1em 0.5em; border-radius: 1em; background: #eee; vertical-align: middle; }
.level.deny { background: #fdd; } .level.warn { background: #ffd; } .level.allow { background: #ddf; }
pre { background: #f3f3f3; padding: 0.6em; overflow-x: auto; }
code { font-family: ui-monospace, monospace; font-size: 0.92em; }
.apis ul { font-size: 0.9em; } .apis .src { color: #666; }
.howto { color: #555; font-size: 0.9em; }
"#;

const SCRIPT: &str = r#"
(function () {
  var search = document.getElementById('search');
  var group = document.getElementById('group');
  var level = document.getElementById('level');
  var shown = document.getElementById('shown');
  var lints = Array.prototype.slice.call(document.querySelectorAll('section.lint'));
  function apply() {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    lints.forEach(function (s) {
      var text = s.textContent.toLowerCase();
      var ok = words.every(function (w) { return text.indexOf(w) >= 0; })
        && (!group.value || s.dataset.group === group.value)
        && (!level.value || s.dataset.level === level.value);
      s.hidden = !ok;
      if (ok) { n += 1; }
    });
    shown.textContent = n + ' of ' + lints.length + ' shown';
  }
  // `?search=..&group=..&level=..` fills the filters (links, and the tests).
  var params = new URLSearchParams(window.location.search);
  search.value = params.get('search') || '';
  group.value = params.get('group') || '';
  level.value = params.get('level') || '';
  [search, group, level].forEach(function (el) { el.addEventListener('input', apply); });
  apply();
  // An anchor (`#blocking_in_async`) opens that lint's known APIs.
  if (window.location.hash) {
    var target = document.getElementById(window.location.hash.slice(1));
    if (target) { var d = target.querySelector('details'); if (d) { d.open = true; } }
  }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lint_has_a_section_and_the_knowledge_base_shows() {
        let p = page();
        for l in registry::all() {
            assert!(p.contains(&format!("id=\"{}\"", l.name)), "{}", l.name);
        }
        // Citations of the data are on the page.
        assert!(known_apis("blocking_in_async").len() > 50);
        assert!(
            known_apis("blocking_in_async")
                .iter()
                .all(|k| !k.source.is_empty())
        );
        assert!(!known_apis("span_guard_across_await").is_empty());
        assert!(p.contains("std::thread::sleep"));
        // Docs are rendered: headings and code blocks, escaped.
        let d = docs_html("### Example\n```rust\nlet a = b < c;\n```\nSee `x<y>`.");
        assert_eq!(
            d,
            "<h3>Example</h3>\n<pre><code>let a = b &lt; c;</code></pre>\n<p>See <code>x&lt;y&gt;</code>.</p>\n"
        );
    }
}
