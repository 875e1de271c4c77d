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
/// features its code asks about. Once cargo has answered (`stop`), no other file is read.
/// The discovery then takes a walk only when it fits cargo's answer ([`Guessed::fits`]), and
/// walks the package again otherwise: what it finds is the same either way. A package some
/// summary is cached for is left to the discovery (it is most likely cached for this build).
pub fn speculate(
    base: &Kb,
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
    speculate_on(base, packages, &meta, opts, stop, into);
}

/// [`speculate`] with the graph guessed (`cargo metadata`-shaped, with features).
fn speculate_on(
    base: &Kb,
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
        let asked = crate::syntax::build_cfg::Asked::default();
        let walked = walk_dependency_with(d, base, opts, None, Some(&asked), Some(stop));
        crate::util::timing::mark(|| format!("guessing: walked {}", d.id));
        if stop.load(Relaxed) {
            // (Perhaps incomplete.)
            return;
        }
        queue.extend(children(d, &walked.named));
        let asked = std::mem::take(
            &mut *asked
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        into.guessed.insert(
            d.id.clone(),
            Guessed {
                d: d.clone(),
                asked,
                walked,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::input;
    use super::*;

    #[test]
    fn a_walk_with_guessed_features_is_taken_only_if_cargo_agrees_on_each_feature_it_asked_about() {
        // A scratch registry with `kit`, whose code asks about its feature `slow` only, and a
        // workspace whose member `app` turns `slow` on: its graph guessed from its lock file.
        let dir = crate::util::scratch::Scratch::new("guessed");
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
        let (base, opts) = (Kb::builtin(), Options::default());
        let not_yet = std::sync::atomic::AtomicBool::new(false);
        let mut p = Prewalked::default();
        speculate_on(
            base,
            std::slice::from_ref(&app),
            &meta,
            &opts,
            &not_yet,
            &mut p,
        );
        // Once cargo has answered, nothing is walked.
        let mut late = Prewalked::default();
        let answered = std::sync::atomic::AtomicBool::new(true);
        speculate_on(
            base,
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
        let walked_again = walk_dependency(&real, base, &opts, None);
        let (again, hash_again) = summary_of(
            &real,
            Found::Walked(Box::new(walked_again)),
            base,
            base,
            &opts,
            &none,
        );
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
        assert!(
            taken
                .blocking
                .iter()
                .any(|b| b.paths.contains(&"kit::run".to_string())),
            "{taken:?}"
        );
    }
}
