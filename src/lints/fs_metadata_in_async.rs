use super::blocking_in_async::check_blocking_calls;
use super::diag::Diagnostic;
use super::lint::{CrateCx, Lint, LintMeta};

crate::declare_lint! {
    /// ### What it does
    /// Finds calls that only query file metadata inside async code: `std::fs::metadata`,
    /// `symlink_metadata` and `exists`; `Path::exists`, `try_exists`, `is_file`, `is_dir`,
    /// `is_symlink`, `metadata` and `symlink_metadata` (also on `PathBuf`); `File::metadata`
    /// and `DirEntry::metadata` / `file_type`. Like `blocking_in_async` it follows calls into
    /// the crate's own synchronous helpers, and code in `spawn_blocking` or thread closures is
    /// not async context.
    ///
    /// These calls used to be reported by `blocking_in_async`; they are a lint of their own,
    /// allowed by default, because each is one `stat` syscall that usually returns in
    /// microseconds.
    ///
    /// ### Why is this bad?
    /// A `stat` is a synchronous syscall: the executor thread waits in the kernel until the
    /// filesystem answers, and no other task on that thread runs meanwhile. On a local disk with
    /// a warm cache that is microseconds; on a network filesystem (NFS, SMB, FUSE), a spun-down
    /// disk or a path behind an automounter it can take milliseconds to seconds, and in a loop
    /// over many paths the waits add up.
    ///
    /// ### Known problems
    /// Most of these calls are harmless in practice, which is why the lint is pedantic: enable
    /// it (`-W fs_metadata_in_async`) for services that touch network filesystems or stat many
    /// paths per request. Method calls need evidence of the receiver's type (`&Path`,
    /// `PathBuf`, `Path::new(..)`, a `File` from `File::open`), as for `blocking_in_async`; a
    /// path of an unknown type is not checked.
    ///
    /// ### Example
    /// ```rust,ignore
    /// async fn cached(path: &std::path::Path) -> bool {
    ///     path.exists()
    /// }
    /// ```
    ///
    /// ### Use instead
    /// ```rust,ignore
    /// async fn cached(path: &std::path::Path) -> bool {
    ///     tokio::fs::try_exists(path).await.unwrap_or(false)
    /// }
    /// ```
    pub FS_METADATA_IN_ASYNC, fs_metadata_in_async, pedantic, Allow,
    "a file metadata query (`Path::exists`, `fs::metadata`, ...) blocks the executor thread on a `stat`"
}

pub struct FsMetadataInAsync;

impl Lint for FsMetadataInAsync {
    fn meta(&self) -> &'static LintMeta {
        &FS_METADATA_IN_ASYNC
    }

    fn check_crate(&self, cx: &CrateCx<'_>, out: &mut Vec<Diagnostic>) {
        check_blocking_calls(cx, &FS_METADATA_IN_ASYNC, out);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_knowledge_base_names_this_lint() {
        assert_eq!(
            super::FS_METADATA_IN_ASYNC.name,
            crate::kb::FS_METADATA_LINT
        );
    }
}
