//! The shapes of the knowledge base's TOML files (`lints/*.toml`): one entry type per table,
//! the file structures serde reads, and the lookup tables built from them. The loading and the
//! questions asked of the data are in [`super::Kb`].

use super::paths::last_segment;
use crate::util::fxhash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiEntry {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    pub replacement: String,
    /// blocking.toml: drop-in async replacements (same arguments, and the awaited output has
    /// the same type), one per runtime that has one.
    #[serde(default)]
    pub fix: Vec<FixEntry>,
    pub source: String,
    /// Set for entries added by a user's config: shown in the diagnostic.
    #[serde(default)]
    pub reason: Option<String>,
    /// blocking.toml: the lint that reports the call, when not `blocking_in_async` (calls that
    /// only query metadata: [`FS_METADATA_LINT`]).
    #[serde(default)]
    pub lint: Option<String>,
    /// Not from `lints/` but derived from a dependency's source: how the function gets to the
    /// blocking API it calls.
    #[serde(skip)]
    pub derived: Option<Derived>,
}

/// A fact read from a dependency's own source (see `driver::summaries`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Derived {
    /// The calls from the function to the API that makes the fact: `["fs_err::dir::create_dir_all",
    /// "std::fs::create_dir_all"]`.
    pub chain: Vec<String>,
    /// Where the function is defined: `fs-err-3.1.0/src/dir.rs:12`.
    pub at: String,
    /// The same place as a path and a line, for machine-readable output.
    #[serde(default)]
    pub file: std::path::PathBuf,
    #[serde(default)]
    pub line: usize,
}

impl Derived {
    /// Continues a displayed call chain (`` `helper` -> `dep::f` ``) that ends at this fact's
    /// function with the rest of its own chain, and where it is: `` (from dep-1.0/src/lib.rs:3)``.
    pub fn continue_chain(&self, path: &mut Vec<String>) {
        path.extend(self.chain.iter().skip(1).map(|c| format!("`{c}`")));
        if let Some(last) = path.last_mut().filter(|_| !self.at.is_empty()) {
            last.push_str(&format!(" (from {})", self.at));
        }
    }
}

/// One runtime's drop-in replacement of a blocking function.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixEntry {
    /// The runtime's package (a [`FixRuntime::package`]).
    pub runtime: String,
    /// The replacement's path, `{name}` standing for the blocking function's own name; its first
    /// segment is the runtime's crate name.
    pub path: String,
    /// The runtime's features the path needs (one that a feature in
    /// [`FixRuntime::implies`] turns on counts).
    #[serde(default)]
    pub features: Vec<String>,
}

/// blocking.toml `[[fix_runtime]]`: an async runtime. A package that depends on more than one
/// (or on one only behind a feature or a target) gets no fix: the replacement could need a
/// runtime that is not the one running it (`tokio::time::sleep` panics outside tokio).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixRuntime {
    pub package: String,
    /// The features on by default.
    #[serde(default)]
    pub default: Vec<String>,
    /// Features that turn on others (`full`).
    #[serde(default)]
    pub implies: std::collections::BTreeMap<String, Vec<String>>,
    pub source: String,
}

/// The lint of blocking.toml's entries that only query file metadata (one `stat`).
pub const FS_METADATA_LINT: &str = "fs_metadata_in_async";

impl ApiEntry {
    /// Whether a blocking.toml entry only queries file metadata (see [`FS_METADATA_LINT`]).
    pub fn is_fs_metadata(&self) -> bool {
        self.lint.as_deref() == Some(FS_METADATA_LINT)
    }

    /// The replacement text with `{name}` filled in.
    pub fn replacement_for(&self, name: &str) -> String {
        self.replacement.replace("{name}", name)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Returns {
    One(String),
    Tuple(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnsEntry {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    pub returns: Returns,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasEntry {
    pub from: String,
    pub to: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IslandEntry {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub chain_methods: Vec<String>,
    pub source: String,
}

/// block_on.toml: an attribute macro that runs an async fn on a runtime, and which of its
/// flavors build a current_thread runtime.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuntimeEntry {
    pub attributes: Vec<String>,
    /// The flavor without a `flavor = ".."` argument.
    pub default_flavor: String,
    pub current_thread_flavors: Vec<String>,
    /// Arguments that make the runtime unknown (a user-supplied system or builder).
    #[serde(default)]
    pub unknown_with: Vec<String>,
    pub source: String,
}

/// block_on.toml: functions that build a current_thread runtime.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PathsEntry {
    pub(super) paths: Vec<String>,
    pub(super) source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ApiFile {
    #[serde(default)]
    pub(super) function: Vec<ApiEntry>,
    #[serde(default)]
    pub(super) method: Vec<ApiEntry>,
    #[serde(default)]
    pub(super) method_name: Vec<ApiEntry>,
    /// block_on.toml only: calls that panic on a current_thread runtime.
    #[serde(default)]
    pub(super) current_thread_panic: Vec<ApiEntry>,
    #[serde(default)]
    pub(super) runtime_entry: Vec<RuntimeEntry>,
    #[serde(default)]
    pub(super) current_thread_runtime: Vec<PathsEntry>,
    /// blocking.toml only: the runtimes fixes may come from.
    #[serde(default)]
    pub(super) fix_runtime: Vec<FixRuntime>,
    /// blocking.toml only: types whose methods wait only briefly (see [`NotBlockingEntry`]).
    #[serde(default)]
    pub(super) not_blocking: Vec<NotBlockingEntry>,
}

/// blocking.toml: types whose methods wait only while another thread finishes a short step
/// (a one-time initialisation), as std's `OnceLock` does: not blocking by the knowledge base's
/// rule, though their code ends in a blocking primitive (`std::thread::park`) that a dependency
/// summary would follow. A summary never makes their methods, or the calls that only wait on
/// them, blocking.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NotBlockingEntry {
    pub(super) types: Vec<String>,
    pub(super) source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TypesFile {
    #[serde(default)]
    pub(super) returns: Vec<ReturnsEntry>,
    #[serde(default)]
    pub(super) alias: Vec<AliasEntry>,
}

/// A family of types that must not live across an `.await`, and the lint that reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldEntry {
    pub lint: String,
    pub types: Vec<String>,
    /// A noun phrase for messages: "a `std::sync::MutexGuard`".
    pub what: String,
    pub help: String,
    pub source: String,
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HeldFile {
    #[serde(default)]
    pub(super) held: Vec<HeldEntry>,
    #[serde(default)]
    pub(super) not_sync: Vec<NotSyncEntry>,
}

/// Types that are `Send` but not `Sync` (held.toml `[[not_sync]]`): a shared reference to one
/// is `!Send`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotSyncEntry {
    pub types: Vec<String>,
    /// A noun phrase for messages.
    pub what: String,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FutureEntry {
    #[serde(default)]
    pub(super) paths: Vec<String>,
    #[serde(rename = "type", default)]
    pub(super) ty: Option<String>,
    #[serde(default)]
    pub(super) methods: Vec<String>,
    #[serde(default)]
    pub(super) types: Vec<String>,
    /// Future tables only, required there: whether the future does nothing until polled
    /// (`true`: an `async fn`, or a future type whose work starts at the first poll) or the
    /// call works before returning it (`false`: dropping the future loses only the wait).
    #[serde(default)]
    pub(super) lazy: Option<bool>,
    pub(super) source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct FuturesFile {
    #[serde(default)]
    pub(super) future_fn: Vec<FutureEntry>,
    #[serde(default)]
    pub(super) future_method: Vec<FutureEntry>,
    #[serde(default)]
    pub(super) future_method_name: Vec<FutureEntry>,
    #[serde(default)]
    pub(super) spawn: Vec<FutureEntry>,
    #[serde(default)]
    pub(super) detaching_handle: Vec<FutureEntry>,
    #[serde(default)]
    pub(super) intended_detach: Vec<FutureEntry>,
    #[serde(default)]
    pub(super) common_sync_names: Vec<FutureEntry>,
    #[serde(default)]
    pub(super) send_required: Vec<SendEntry>,
    #[serde(default)]
    pub(super) send_not_required: Vec<SendEntry>,
    #[serde(default)]
    pub(super) future_wrapper: Vec<SendEntry>,
}

/// One entry of futures.toml's `Send` tables: functions, methods on typed receivers, and
/// methods of the future itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SendEntry {
    #[serde(default)]
    pub(super) paths: Vec<String>,
    #[serde(default)]
    pub(super) methods: Vec<String>,
    #[serde(default)]
    pub(super) types: Vec<String>,
    #[serde(default)]
    pub(super) future_methods: Vec<String>,
    pub(super) source: String,
}

/// What a call does with the future it is given, for `Send` (futures.toml's `Send` tables).
#[derive(Clone, Debug, Default)]
pub struct SendTable {
    fns: HashSet<String>,
    /// (receiver type, method); with no types listed, the method on any receiver.
    methods: HashSet<(String, String)>,
    any_receiver: HashSet<String>,
    future_methods: HashSet<String>,
}

impl SendTable {
    pub(super) fn add(&mut self, e: SendEntry) {
        self.fns.extend(e.paths);
        if e.types.is_empty() {
            self.any_receiver.extend(e.methods);
        } else {
            for t in &e.types {
                for m in &e.methods {
                    self.methods.insert((t.clone(), m.clone()));
                }
            }
        }
        self.future_methods.extend(e.future_methods);
    }

    pub fn function(&self, path: &str) -> bool {
        self.fns.contains(path)
    }

    pub(super) fn add_fn(&mut self, path: String) {
        self.fns.insert(path);
    }

    pub(super) fn add_method(&mut self, ty: String, method: String) {
        self.methods.insert((ty, method));
    }

    /// A method on a receiver of type `ty` (None: unknown type).
    pub fn method(&self, ty: Option<&str>, name: &str) -> bool {
        self.any_receiver.contains(name)
            || ty.is_some_and(|t| self.methods.contains(&(t.to_string(), name.to_string())))
    }

    /// A method called on the future itself.
    pub fn future_method(&self, name: &str) -> bool {
        self.future_methods.contains(name)
    }

    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.fns
            .iter()
            .map(|p| last_segment(p))
            .chain(self.methods.iter().map(|(_, m)| m.as_str()))
            .chain(self.any_receiver.iter().map(String::as_str))
            .chain(self.future_methods.iter().map(String::as_str))
    }
}

/// A family of operations that lose progress when their future is dropped.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelEntry {
    #[serde(default)]
    pub methods: Vec<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub lost: Option<String>,
    #[serde(default)]
    pub fix: Option<String>,
    pub source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CancelFile {
    #[serde(default)]
    pub(super) not_cancel_safe: Vec<CancelEntry>,
    #[serde(default)]
    pub(super) not_cancel_safe_fn: Vec<CancelEntry>,
    #[serde(default)]
    pub(super) cancel_safe: Vec<CancelEntry>,
    #[serde(default)]
    pub(super) queue_only: Vec<CancelEntry>,
    #[serde(default)]
    pub(super) cancel_safe_method: Vec<CancelEntry>,
}

/// A call that runs its closure arguments in place (islands.toml `[[in_place]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InPlaceEntry {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub methods: Vec<String>,
    pub source: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct IslandsFile {
    #[serde(default)]
    pub(super) island: Vec<IslandEntry>,
    #[serde(default)]
    pub(super) in_place: Vec<InPlaceEntry>,
    #[serde(default)]
    pub(super) once: Vec<InPlaceEntry>,
}

/// A table of API entries answering "is this function / method in here?".
#[derive(Clone, Debug, Default)]
pub struct ApiTable {
    entries: Vec<ApiEntry>,
    by_path: HashMap<String, usize>,
    /// The paths of `by_path` by their first segment (the crate), for
    /// [`ApiTable::functions_under`]: with the summaries of hundreds of dependencies the table
    /// holds many thousands of paths, and a scan of all of them per re-export was most of a
    /// large application's summarizing time. Sorted: those under a module are one range (a
    /// member library re-exporting a thousand paths of another member's thousands scanned
    /// them all for each).
    by_crate: HashMap<String, std::collections::BTreeSet<String>>,
    by_method: HashMap<(String, String), usize>,
    by_name: HashMap<String, usize>,
}

impl ApiTable {
    pub(super) fn add(&mut self, e: ApiEntry, name_only: bool) {
        let idx = self.entries.len();
        for p in &e.paths {
            if let std::collections::hash_map::Entry::Vacant(v) = self.by_path.entry(p.clone()) {
                v.insert(idx);
                self.by_crate
                    .entry(super::first_segment(p).to_string())
                    .or_default()
                    .insert(p.clone());
            }
        }
        for m in &e.methods {
            if name_only {
                self.by_name.entry(m.clone()).or_insert(idx);
            } else if let Some(ty) = &e.ty {
                self.by_method.entry((ty.clone(), m.clone())).or_insert(idx);
            }
        }
        self.entries.push(e);
    }

    pub fn function(&self, path: &str) -> Option<&ApiEntry> {
        self.by_path.get(path).map(|&i| &self.entries[i])
    }

    /// The functions whose path starts with `prefix::`, with the rest of their path.
    pub fn functions_under<'s>(&'s self, prefix: &str) -> Vec<(&'s str, &'s ApiEntry)> {
        let Some(paths) = self.by_crate.get(super::first_segment(prefix)) else {
            return Vec::new();
        };
        // In the order of their rest (the paths' order, since they share the prefix).
        under(paths, prefix)
            .filter_map(|(p, rest)| Some((rest, &self.entries[*self.by_path.get(p)?])))
            .collect()
    }

    pub fn method(&self, ty: &str, name: &str) -> Option<&ApiEntry> {
        self.by_method
            .get(&(ty.to_string(), name.to_string()))
            .map(|&i| &self.entries[i])
    }

    /// The derived fact (a dependency summary's) of a chain's last element: a function path,
    /// or `Type::method` of a dependency's type.
    pub fn derived(&self, sink: &str) -> Option<&Derived> {
        let e = self.function(sink).or_else(|| {
            let (ty, name) = crate::kb::split_last_segment(sink)?;
            self.method(ty, name)
        })?;
        e.derived.as_ref()
    }

    pub fn method_name(&self, name: &str) -> Option<&ApiEntry> {
        self.by_name.get(name).map(|&i| &self.entries[i])
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[ApiEntry] {
        &self.entries
    }
}

/// The paths of a sorted set that start with `prefix::`, with the rest of each, in order.
pub(super) fn under<'s>(
    paths: &'s std::collections::BTreeSet<String>,
    prefix: &str,
) -> impl Iterator<Item = (&'s str, &'s str)> {
    let start = format!("{prefix}::");
    paths
        .range::<str, _>((
            std::ops::Bound::Included(start.as_str()),
            std::ops::Bound::Unbounded,
        ))
        .map_while(move |p| Some((p.as_str(), p.strip_prefix(start.as_str())?)))
}
