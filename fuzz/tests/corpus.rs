//! Replays every committed input of every target — the seed corpus (`corpus/<target>/`) and the
//! inputs that once crashed (`regressions/<target>/`) — on the stable toolchain, as ordinary tests:
//! `tests/run`'s `cargo test --workspace` runs them, no nightly or libFuzzer needed.

use std::{
    panic::{AssertUnwindSafe, catch_unwind},
    path::{Path, PathBuf},
};

use odoo_mesh_fuzz::{TARGETS, Target};

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).filter(|p| p.is_file()).collect();
    paths.sort();
    paths
}

/// Runs each input through its target; the names of those that panicked.
fn replay(target: Target, paths: &[PathBuf]) -> Vec<String> {
    paths
        .iter()
        .filter_map(|path| {
            let bytes = std::fs::read(path).expect("readable");
            catch_unwind(AssertUnwindSafe(|| target(&bytes))).is_err().then(|| path.display().to_string())
        })
        .collect()
}

#[test]
fn every_corpus_input_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failed = Vec::new();
    for (name, target) in TARGETS {
        let paths = inputs(&root.join("corpus").join(name));
        assert!(
            !paths.is_empty(),
            "no seed corpus for {name}: run `cargo test -p odoo-mesh-fuzz --test seed -- --ignored`"
        );
        failed.extend(replay(*target, &paths));
    }
    assert!(failed.is_empty(), "inputs that panic: {failed:#?}");
}

/// Every crash the fuzzers found stays fixed.
#[test]
fn every_input_that_once_crashed_runs_without_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failed = Vec::new();
    for (name, target) in TARGETS {
        failed.extend(replay(*target, &inputs(&root.join("regressions").join(name))));
    }
    assert!(failed.is_empty(), "inputs that panic again: {failed:#?}");
}
