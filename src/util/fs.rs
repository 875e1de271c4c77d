//! File system helpers: [`write_atomically`], used by everything that writes a file (fixes,
//! baselines, the caches), so that no reader ever sees a half-written one.

use std::io::Write;
use std::path::Path;

/// Writes through a temporary file in the same directory and renames it over `path`, keeping
/// the original's permissions: a reader (or a crash) sees the old file or the new one, never a
/// half-written one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.async-lint-{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        // Fault injection for the kill-mid-fix test: widen the window before the rename.
        if let Some(ms) = std::env::var("ASYNC_LINT_FIX_DELAY_MS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
        if let Ok(meta) = std::fs::metadata(path) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
