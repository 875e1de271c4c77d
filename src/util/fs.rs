//! File system helpers: [`write_atomically`], used by everything that writes a file (fixes,
//! baselines), so that no reader ever sees a half-written one, and [`write_cache_entry`] for the
//! caches.

use std::io::Write;
use std::path::Path;

/// A cache entry written as [`write_atomically`] does, without waiting for the disk (no
/// `fsync`, no permissions kept): readers never see a half-written entry, and after a crash an
/// entry that did not reach the disk fails its reader's checks (a checksum, or a parse) and is a
/// miss. An `fsync` per dependency summary took 1.4 s of a cold run on deno.
pub fn write_cache_entry(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_cache_entry_with(path, |f| f.write_all(bytes))
}

/// [`write_cache_entry`] of what `write` writes to the file (an error leaves nothing behind).
pub fn write_cache_entry_with(
    path: &Path,
    write: impl FnOnce(&mut std::io::BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temporary_for(path, std::process::id());
    let written = || -> std::io::Result<()> {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
        write(&mut f)?;
        f.flush()
    };
    let result = written().and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Writes through a temporary file in the same directory and renames it over `path`, keeping
/// the original's permissions, owner and group: a reader (or a crash) sees the old file or the
/// new one, never a half-written one.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    replace_atomically(path, bytes, |_| true)
}

/// [`write_atomically`], asking `unchanged` right before the rename, with the file's metadata
/// at that moment, whether it may still be replaced (a fix checks that nobody wrote the file
/// since it was read); `false` leaves the file alone and is an error.
pub fn replace_atomically(
    path: &Path,
    bytes: &[u8],
    unchanged: impl Fn(&std::fs::Metadata) -> bool,
) -> std::io::Result<()> {
    let tmp = temporary_for(path, std::process::id());
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
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                std::os::unix::fs::chown(&tmp, Some(meta.uid()), Some(meta.gid()))?;
            }
            if !unchanged(&meta) {
                return Err(std::io::Error::other(
                    "the file changed while it was being fixed",
                ));
            }
        }
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// The temporary file process `pid` writes `path` through: `.<name>.async-lint-<pid>.tmp`
/// beside it.
fn temporary_for(path: &Path, pid: u32) -> std::path::PathBuf {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{name}.async-lint-{pid}.tmp"))
}

/// Removes the temporary files that runs killed while writing `path` left beside it (those
/// of processes that no longer exist; where that cannot be told, none).
pub fn remove_stale_temporaries(path: &Path) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    remove_stale_temporaries_in(dir, |n| n == name);
}

/// Removes the temporary files in `dir` of writes to the files `named` accepts, left by runs
/// that no longer exist (where that cannot be told, none).
pub fn remove_stale_temporaries_in(dir: &Path, named: impl Fn(&str) -> bool) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let procs = Path::new("/proc/self").exists();
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some((name, pid)) = file
            .strip_prefix('.')
            .and_then(|r| r.strip_suffix(".tmp"))
            .and_then(|r| r.rsplit_once(".async-lint-"))
            .and_then(|(n, p)| Some((n, p.parse::<u32>().ok()?)))
        else {
            continue;
        };
        if named(name)
            && procs
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Keeps the newest `keep` files of `dir` whose names start with `prefix` and end with
/// `suffix` (`current`, just written, among them); removes the others.
pub fn keep_newest(dir: &Path, prefix: &str, suffix: &str, current: &Path, keep: usize) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(std::time::SystemTime, std::path::PathBuf)> = read
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(prefix) && name.ends_with(suffix)
        })
        .map(|e| e.path())
        .filter(|p| p != current)
        .map(|p| {
            let t = std::fs::metadata(&p)
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (t, p)
        })
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    for (_, p) in entries.into_iter().skip(keep.saturating_sub(1)) {
        let _ = std::fs::remove_file(p);
    }
}

/// [`std::fs::canonicalize`], with the canonical forms of folders kept in `dirs`: a path whose
/// last component is a name, and which is not itself a symbolic link, is its folder's canonical
/// form joined with that name. One `lstat` per file instead of a `readlink` per component of
/// its path (70 thousand of them, all failing, on a cold run on deno).
pub fn canonicalize_with(
    path: &Path,
    dirs: &mut std::collections::HashMap<std::path::PathBuf, std::path::PathBuf>,
) -> std::io::Result<std::path::PathBuf> {
    use std::path::Component;
    let (Some(parent), Some(Component::Normal(name))) =
        (path.parent(), path.components().next_back())
    else {
        return std::fs::canonicalize(path);
    };
    if parent.as_os_str().is_empty() || std::fs::symlink_metadata(path)?.file_type().is_symlink() {
        return std::fs::canonicalize(path);
    }
    if let Some(dir) = dirs.get(parent) {
        return Ok(dir.join(name));
    }
    let dir = std::fs::canonicalize(parent)?;
    let out = dir.join(name);
    dirs.insert(parent.to_path_buf(), dir);
    Ok(out)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn canonical_paths_through_remembered_folders_are_those_of_the_system() {
        let s = crate::util::scratch::Scratch::new("canonical");
        s.write("real/a.rs", "");
        s.write("real/sub/b.rs", "");
        std::os::unix::fs::symlink(s.join("real"), s.join("linked")).unwrap();
        std::os::unix::fs::symlink(s.join("real/a.rs"), s.join("real/sub/to_a.rs")).unwrap();
        std::os::unix::fs::symlink(s.join("nowhere.rs"), s.join("real/dangling.rs")).unwrap();
        let mut dirs = std::collections::HashMap::new();
        for rel in [
            "real/a.rs",
            "real/sub/b.rs",
            "linked/a.rs",
            "linked/sub/b.rs",
            "linked/sub/../a.rs",
            "real/sub/to_a.rs",
            "linked/sub/to_a.rs",
            "real/./sub/b.rs",
            "real/sub/..",
            "real/missing.rs",
            "real/dangling.rs",
            "linked/a.rs",
        ] {
            let p = s.join(rel);
            let ours = canonicalize_with(&p, &mut dirs).map_err(|e| e.kind());
            let system = std::fs::canonicalize(&p).map_err(|e| e.kind());
            assert_eq!(ours, system, "{rel}");
        }
        assert!(!dirs.is_empty(), "folders are remembered");
    }
}
