//! Tests of the embedded knowledge base and its lookups.

mod loading {
    use super::super::*;

    #[test]
    fn send_tables() {
        let kb = Kb::builtin();
        assert!(kb.send_required.function("tokio::spawn"));
        assert!(
            kb.send_required
                .method(Some("tokio::task::JoinSet"), "spawn")
        );
        // A `spawn` on an unknown receiver (a `LocalExecutor`?) requires nothing known.
        assert!(!kb.send_required.method(None, "spawn"));
        assert!(kb.send_required.future_method("boxed"));
        assert!(!kb.send_required.function("tokio::task::spawn_local"));
        assert!(kb.send_not_required.function("tokio::task::spawn_local"));
        assert!(kb.send_not_required.method(None, "run_until"));
        assert!(kb.send_not_required.future_method("boxed_local"));
        assert!(kb.future_wrappers.function("std::boxed::Box::pin"));
        assert!(kb.takes_future_name("spawn") && kb.takes_future_name("pin"));
        assert!(kb.not_sync("std::cell::RefCell").is_some());
        assert!(kb.not_sync("std::sync::Mutex").is_none());
    }

    #[test]
    fn embedded_knowledge_base_loads_and_cites_every_entry() {
        let kb = Kb::from_sources().unwrap();
        assert!(
            kb.blocking.len() >= 80,
            "{} blocking entries",
            kb.blocking.len()
        );
        assert!(kb.block_on.len() >= 15);
        // Executors that do not panic under tokio block (blocking_in_async); only tokio's,
        // which panic, are block_on_in_async's.
        assert!(kb.blocking.function("futures_executor::block_on").is_some());
        assert!(kb.block_on.function("futures_executor::block_on").is_none());
        assert!(
            kb.block_on
                .method("tokio::runtime::Handle", "block_on")
                .is_some()
        );
        for e in kb.blocking.entries().iter().chain(kb.block_on.entries()) {
            assert!(!e.source.trim().is_empty(), "entry without source: {e:?}");
            assert!(
                !e.paths.is_empty() || !e.methods.is_empty(),
                "empty entry: {e:?}"
            );
        }
        assert!(kb.blocking.function("std::thread::sleep").is_some());
        assert!(kb.blocking.method("std::fs::File", "read_to_end").is_some());
        assert!(kb.blocking.function("tokio::time::sleep").is_none());
        // Metadata queries are routed to fs_metadata_in_async; calls that wait are not.
        let stat = kb.blocking.method("std::path::PathBuf", "exists").unwrap();
        assert!(stat.is_fs_metadata());
        assert!(
            !kb.blocking
                .function("std::fs::read")
                .unwrap()
                .is_fs_metadata()
        );
        assert!(
            !kb.blocking
                .function("std::fs::canonicalize")
                .unwrap()
                .is_fs_metadata()
        );
        assert!(kb.is_island_fn("tokio::task::spawn_blocking"));
        assert_eq!(kb.normalize("core::mem::drop"), "std::mem::drop");
        assert_eq!(
            kb.normalize("crossbeam::channel::unbounded"),
            "crossbeam_channel::unbounded"
        );
    }

    #[test]
    fn future_entries_say_whether_they_are_lazy() {
        let kb = Kb::from_sources().unwrap();
        // Every lazy entry is a future entry, and every future entry was asked (loading fails
        // on one without `lazy`).
        assert!(kb.lazy_future_fns.is_subset(&kb.future_fns));
        assert!(kb.lazy_future_methods.is_subset(&kb.future_methods));
        assert!(kb.is_lazy_future_fn("tokio::time::sleep"));
        assert!(kb.is_lazy_future_method("tokio::sync::mpsc::Sender", "send"));
        assert!(kb.is_lazy_future_method_name("join_next"));
        // hyper hands the request to the connection before returning the future.
        let send = ("hyper::client::conn::http1::SendRequest", "send_request");
        assert!(kb.is_future_method(send.0, send.1));
        assert!(!kb.is_lazy_future_method(send.0, send.1));
        let missing = "[[future_fn]]\npaths = [\"a\"]\nsource = \"c\"\n";
        let file: FuturesFile = toml::from_str(missing).unwrap();
        assert_eq!(file.future_fn[0].lazy, None);
    }

    #[test]
    fn unknown_keys_are_rejected() {
        let bad = "[[function]]\npaths = [\"a\"]\nreplacement = \"b\"\nsource = \"c\"\nsorce = \"typo\"\n";
        assert!(toml::from_str::<ApiFile>(bad).is_err());
    }
}

mod cancel_tests {
    use super::super::*;

    #[test]
    fn barrier_wait_is_keyed_by_type() {
        let kb = Kb::from_sources().unwrap();
        assert!(
            kb.not_cancel_safe_method(Some("tokio::sync::Barrier"), "wait")
                .is_some()
        );
        assert!(kb.not_cancel_safe_method(None, "wait").is_none());
        assert!(kb.not_cancel_safe_method(None, "read_exact").is_some());
        assert!(
            kb.not_cancel_safe_method(Some("tokio::net::UdpSocket"), "send")
                .is_none()
        );
    }
}

mod path_tests {
    use super::super::*;

    #[test]
    fn segments() {
        assert_eq!(first_segment("std::fs::read"), "std");
        assert_eq!(first_segment("sleep"), "sleep");
        assert_eq!(
            split_last_segment("std::fs::read"),
            Some(("std::fs", "read"))
        );
        assert_eq!(split_last_segment("a::b"), Some(("a", "b")));
        assert_eq!(split_last_segment("read"), None);
        assert_eq!(last_segment("std::fs::read"), "read");
        assert_eq!(last_segment("read"), "read");
    }
}

mod prefix_lookups {
    use super::super::*;

    #[test]
    fn paths_under_a_module_are_found_in_order_and_no_others() {
        let mut table = entries::ApiTable::default();
        let paths = [
            "kit::fs::write",
            "kit::fsx::open",
            "kit::fs",
            "kit::fs::sub::deep",
            "kit::fs::read",
            "kat::fs::read",
        ];
        for p in paths {
            let e: ApiEntry = toml::from_str(&format!(
                "paths = [\"{p}\"]\nreplacement = \"r\"\nsource = \"s\"\n"
            ))
            .unwrap();
            table.add(e, false);
        }
        let rests: Vec<&str> = table
            .functions_under("kit::fs")
            .into_iter()
            .map(|(rest, e)| {
                assert!(e.paths[0].ends_with(rest));
                rest
            })
            .collect();
        assert_eq!(rests, ["read", "sub::deep", "write"]);
        assert!(table.functions_under("kit::none").is_empty());
        assert!(table.functions_under("none").is_empty());

        let mut kb = Kb::default();
        kb.add_island(IslandEntry {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            methods: Vec::new(),
            chain_methods: Vec::new(),
            source: "s".into(),
        });
        assert_eq!(
            kb.island_fns_under("kit::fs"),
            ["read", "sub::deep", "write"]
        );
        assert!(kb.is_island_fn("kit::fs::read"));
    }
}
