//! Dependencies walked while cargo resolves the graph, with the graph and the features guessed
//! from `Cargo.lock` ([`speculate`]); a walk is used only where cargo's answer agrees with the
//! guess on everything the walk read ([`Guessed::fits`]).

use super::*;

/// A dependency walked before cargo's answer, with the features the lock file suggests
/// ([`speculate`]).
pub(super) struct Guessed {
    /// The package as the lock file describes it, with the guessed features.
    pub(super) d: DepPackage,
    /// The features its code asked about.
    pub(super) asked: std::collections::BTreeSet<String>,
    pub(super) walked: Walked,
}

impl Guessed {
    /// Whether the walk is the one cargo's description of the package (`d`) gives: the same
    /// library, read for the same build, and every feature its code asked about on in both
    /// or off in both (the reading of the code learns the features only by asking).
    pub(super) fn fits(&self, d: &DepPackage) -> bool {
        let g = &self.d;
        let (Some(real), Some(guess)) = (&d.features, &g.features) else {
            return false;
        };
        g.id == d.id
            && g.lib_name == d.lib_name
            && g.proc_macro == d.proc_macro
            && g.dir == d.dir
            && g.lib_src == d.lib_src
            && g.edition == d.edition
            && g.member == d.member
            && self
                .asked
                .iter()
                .all(|f| real.contains(f) == guess.contains(f))
    }
}

/// What the workspace needs to guess its graph from `Cargo.lock` ([`speculate`]).
pub struct Lock<'a> {
    pub path: &'a Path,
    /// The members: (package id, name, manifest dir).
    pub members: &'a [(String, String, PathBuf)],
    pub target_dir: Option<&'a Path>,
}

/// While cargo resolves the graph, once the members' libraries are walked ([`prewalk_members`]):
/// the dependencies the members reach are walked in the order the discovery would find them,
/// with the graph and the features read from `Cargo.lock` and the manifests (cargo's resolver
/// guessed: [`crate::workspace::lockfile::metadata`]), each noting the
/// features its code asks about. Once cargo has answered (`stop`), no other walk starts (one
/// under way goes on: [`InFlight`]).
/// The discovery then takes a walk only when it fits cargo's answer ([`Guessed::fits`]), and
/// walks the package again otherwise: what it finds is the same either way. A package some
/// summary is cached for is left to the discovery (it is most likely cached for this build).
pub fn speculate(
    packages: &[Package],
    lock: &Lock<'_>,
    opts: &Options,
    stop: &std::sync::atomic::AtomicBool,
    into: &mut Prewalked,
) {
    let Some(meta) =
        crate::workspace::lockfile::metadata(lock.path, lock.members, lock.target_dir, Some(stop))
    else {
        return;
    };
    crate::util::timing::mark(|| "guessing: lock file read".into());
    speculate_on(packages, &meta, opts, stop, into);
}

/// [`speculate`] with the graph guessed (`cargo metadata`-shaped, with features).
fn speculate_on(
    packages: &[Package],
    meta: &serde_json::Value,
    opts: &Options,
    stop: &std::sync::atomic::AtomicBool,
    into: &mut Prewalked,
) {
    use std::sync::atomic::Ordering::Relaxed;
    if stop.load(Relaxed) {
        return;
    }
    let graph = crate::workspace::graph::from_metadata(meta, &|p: &Path| p.exists());
    let (all, member_deps) = with_member_libs(&graph, packages);
    let (_, roots) = roots_of(&graph, packages, &member_deps, Some(stop));
    crate::util::timing::mark(|| "guessing: roots found".into());
    let known = known_crates();
    let mut seen = vec![false; all.len()];
    let mut queue: std::collections::VecDeque<usize> = roots.into();
    while let Some(i) = queue.pop_front() {
        if stop.load(Relaxed) {
            return;
        }
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        let d = &all[i];
        if d.member
            || d.features.is_none()
            || known.contains(&d.lib_name)
            || (opts.summary_cache && super::super::summary_cache::stored_any(d))
        {
            continue;
        }
        let walk = InFlight::start(d, opts, rayon::current_num_threads());
        let Some(ended) = walk.wait_unless(stop) else {
            // Cargo has answered: the walk goes on, for the discovery to take.
            crate::util::timing::mark(|| format!("guessing: left walking {}", d.id));
            into.in_flight = Some(walk);
            return;
        };
        crate::util::timing::mark(|| format!("guessing: walked {}", d.id));
        let Some(g) = ended else {
            return;
        };
        queue.extend(children(d, &g.walked.named));
        into.guessed.insert(d.id.clone(), g);
    }
}

/// A walk with guessed features on a thread of its own ([`InFlight::start`]): when cargo
/// answers while it runs, it goes on, and the discovery waits for it when it reaches the
/// package, rather than half a walk being dropped and the package walked again (a walk of
/// `nix`, 50 ms, on tokio).
pub(super) struct InFlight {
    pub(super) id: String,
    /// None while the walk runs; then the walk (None if it failed).
    slot: std::sync::Mutex<Option<Option<Guessed>>>,
    ended: std::sync::Condvar,
}

impl InFlight {
    /// Starts walking `d` with its guessed features (and the base knowledge base `opts` gives,
    /// as every dependency walk), on a thread of its own with a pool of `threads` threads.
    fn start(d: &DepPackage, opts: &Options, threads: usize) -> std::sync::Arc<InFlight> {
        let walk = std::sync::Arc::new(InFlight {
            id: d.id.clone(),
            slot: std::sync::Mutex::new(None),
            ended: std::sync::Condvar::new(),
        });
        let (mine, d, opts) = (walk.clone(), d.clone(), opts.clone());
        let stack = crate::syntax::STACK_SIZE;
        let spawned = std::thread::Builder::new()
            .stack_size(stack)
            .spawn(move || {
                // Set when the thread ends, however it ends: a walk that panicked is None,
                // and the discovery walks the package itself.
                let mut ended = Ended(mine, None);
                let base = opts.kb.as_deref().unwrap_or_else(|| Kb::builtin());
                let asked = crate::syntax::build_cfg::Asked::default();
                let run = || walk_dependency_with(&d, base, &opts, None, Some(&asked));
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .stack_size(stack)
                    .build();
                let walked = match pool {
                    Ok(pool) => pool.install(run),
                    Err(_) => run(),
                };
                let asked = std::mem::take(
                    &mut *asked
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                ended.1 = Some(Guessed { d, asked, walked });
            });
        if spawned.is_err() {
            walk.end(None);
        }
        walk
    }

    fn end(&self, g: Option<Guessed>) {
        *self
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(g);
        self.ended.notify_all();
    }

    /// The walk once it has ended (None if it failed), or None (outer) as soon as `stop` is
    /// true while it runs.
    fn wait_unless(&self, stop: &std::sync::atomic::AtomicBool) -> Option<Option<Guessed>> {
        let mut slot = self
            .slot
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        loop {
            if let Some(g) = slot.take() {
                return Some(g);
            }
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            // Cargo's answer is not signalled: looked at every few milliseconds.
            slot = self
                .ended
                .wait_timeout(slot, std::time::Duration::from_millis(2))
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// The walk, once it has ended (None if it failed). Taken once.
    pub(super) fn wait(&self) -> Option<Guessed> {
        let never = std::sync::atomic::AtomicBool::new(false);
        self.wait_unless(&never).flatten()
    }
}

/// Ends an [`InFlight`] walk when dropped, with what it holds.
struct Ended(std::sync::Arc<InFlight>, Option<Guessed>);

impl Drop for Ended {
    fn drop(&mut self) {
        self.0.end(self.1.take());
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::input;
    use super::*;

    /// A scratch registry (in a folder of its own per test, `name`) with `kit`, whose code asks about its feature `slow` only, and a
    /// workspace whose member `app` turns `slow` on: its graph guessed from its lock file.
    fn kit_and_app(name: &str) -> (crate::util::scratch::Scratch, serde_json::Value, Package) {
        let dir = crate::util::scratch::Scratch::new(name);
        let write = |rel: &str, text: &str| dir.write(rel, text);
        write(
            "registry/src/index/kit-1.0.0/Cargo.toml",
            "[package]\nname = \"kit\"\nedition = \"2021\"\n\
             [features]\ndefault = [\"fast\"]\nfast = []\nslow = []\n",
        );
        write(
            "registry/src/index/kit-1.0.0/src/lib.rs",
            "#[cfg(feature = \"slow\")]\n\
             pub fn run() {\n    std::thread::sleep(std::time::Duration::from_secs(1));\n}\n\
             #[cfg(not(feature = \"slow\"))]\npub fn run() {}\n",
        );
        write(
            "ws/app/Cargo.toml",
            "[package]\nname = \"app\"\nedition = \"2021\"\n\
             [dependencies]\nkit = { version = \"1\", features = [\"slow\"] }\n",
        );
        write(
            "ws/app/src/lib.rs",
            "pub async fn go() {\n    kit::run();\n}\n",
        );
        let reg = "registry+https://github.com/rust-lang/crates.io-index";
        write(
            "ws/Cargo.lock",
            &format!(
                "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\
                 dependencies = [\"kit\"]\n\n\
                 [[package]]\nname = \"kit\"\nversion = \"1.0.0\"\nsource = \"{reg}\"\n"
            ),
        );
        let (members, host) = crate::workspace::lockfile::app_on_linux(&dir);
        let meta = crate::workspace::lockfile::metadata_in(
            &dir.join("ws/Cargo.lock"),
            &members,
            None,
            &[dir.join("registry/src/index")],
            &|| Some(host),
            Some(&std::sync::atomic::AtomicBool::new(false)),
        )
        .unwrap();
        let app = lib_package(&DepPackage {
            id: members[0].0.clone(),
            dir: dir.join("ws/app"),
            lib_src: dir.join("ws/app/src/lib.rs"),
            member: true,
            ..input("app", vec![])
        });
        (dir, meta, app)
    }

    fn assert_blocks(summary: &Summary, path: &str) {
        assert!(
            summary
                .blocking
                .iter()
                .any(|b| b.paths.iter().any(|p| p == path)),
            "{summary:?}"
        );
    }

    /// The summary of `d` walked again with cargo's features, and its hash.
    fn walked_again(d: &DepPackage, opts: &Options) -> (Summary, u64) {
        let base = Kb::builtin();
        let walked = walk_dependency(d, base, opts, None);
        let none = HashMap::default();
        summary_of(d, Found::Walked(Box::new(walked)), base, base, opts, &none)
    }

    #[test]
    fn a_walk_with_guessed_features_is_taken_only_if_cargo_agrees_on_each_feature_it_asked_about() {
        let (dir, meta, app) = kit_and_app("guessed");
        let reg = "registry+https://github.com/rust-lang/crates.io-index";
        let (base, opts) = (Kb::builtin(), Options::default());
        let not_yet = std::sync::atomic::AtomicBool::new(false);
        let mut p = Prewalked::default();
        speculate_on(std::slice::from_ref(&app), &meta, &opts, &not_yet, &mut p);
        // Once cargo has answered, nothing is walked.
        let mut late = Prewalked::default();
        let answered = std::sync::atomic::AtomicBool::new(true);
        speculate_on(
            std::slice::from_ref(&app),
            &meta,
            &opts,
            &answered,
            &mut late,
        );
        let kit_id = format!("{reg}#kit@1.0.0");
        let g = p.guessed.remove(&kit_id).expect("kit walked");
        assert!(late.guessed.is_empty());
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(g.d.features, Some(strings(&["default", "fast", "slow"])));
        assert_eq!(g.asked.iter().collect::<Vec<_>>(), ["slow"]);
        // Cargo's answer: features that agree on `slow` take the walk; others do not, nor a
        // package whose library is elsewhere.
        let cargo = |features: Option<&[&str]>| DepPackage {
            features: features.map(strings),
            ..g.d.clone()
        };
        assert!(g.fits(&cargo(Some(&["default", "fast", "slow"]))));
        assert!(g.fits(&cargo(Some(&["slow"]))));
        assert!(!g.fits(&cargo(Some(&["default", "fast"]))));
        assert!(!g.fits(&cargo(None)));
        let moved = DepPackage {
            lib_src: dir.join("registry/src/index/kit-1.0.0/lib.rs"),
            ..cargo(Some(&["slow"]))
        };
        assert!(!g.fits(&moved));
        // A walk taken gives the summary a walk with cargo's features gives.
        let real = cargo(Some(&["slow"]));
        let none = HashMap::default();
        let (again, hash_again) = walked_again(&real, &opts);
        let (taken, hash_taken) = summary_of(
            &real,
            Found::Walked(Box::new(g.walked)),
            base,
            base,
            &opts,
            &none,
        );
        assert_eq!(hash_taken, hash_again);
        assert_eq!(taken, again);
        assert_blocks(&taken, "kit::run");
    }

    #[test]
    fn a_walk_left_running_when_cargo_answers_is_taken_by_the_discovery() {
        let (_dir, meta, app) = kit_and_app("in-flight");
        let (base, opts) = (Kb::builtin(), Options::default());
        let kit_id = "registry+https://github.com/rust-lang/crates.io-index#kit@1.0.0";
        let mut p = Prewalked::default();
        let not_yet = std::sync::atomic::AtomicBool::new(false);
        speculate_on(std::slice::from_ref(&app), &meta, &opts, &not_yet, &mut p);
        let guessed = p.guessed.remove(kit_id).expect("kit walked");
        // The walk started again, and cargo answers at once: it is left running.
        let walk = InFlight::start(&guessed.d, &opts, 1);
        let answered = std::sync::atomic::AtomicBool::new(true);
        let walk = match walk.wait_unless(&answered) {
            None => walk,
            // (Ended before it was asked: the discovery finds it ended.)
            Some(ended) => std::sync::Arc::new(InFlight {
                id: kit_id.to_string(),
                slot: std::sync::Mutex::new(Some(ended)),
                ended: std::sync::Condvar::new(),
            }),
        };
        let real = DepPackage {
            features: Some(vec!["slow".to_string()]),
            ..guessed.d.clone()
        };
        let discovery = Discovery {
            deps: std::slice::from_ref(&real),
            base,
            opts: &opts,
            known: HashSet::default(),
            prewalked: std::sync::Mutex::new(Prewalked {
                in_flight: Some(walk),
                ..Prewalked::default()
            }),
            found: std::sync::Mutex::new(vec![(false, None)]),
        };
        let found = discovery.find(0);
        assert!(discovery.prewalked.lock().unwrap().in_flight.is_none());
        let none = HashMap::default();
        let (taken, _) = summary_of(&real, found, base, base, &opts, &none);
        let (again, _) = walked_again(&real, &opts);
        assert_eq!(taken, again);
        assert_blocks(&taken, "kit::run");
    }
}
