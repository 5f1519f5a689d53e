//! The Python consumer template (`examples/python/`) as a Python team runs it: stubs generated from
//! `proto/` with grpcio-tools, then its scenario against `odoo-mesh demo` over mutual TLS — an
//! order retried after a timeout, stock read and watched, a watch resumed, errors decoded — on the
//! Odoo 18 (JSON-RPC) and the Odoo 19 (JSON-2) simulator.
//!
//! The Python comes from `ODOO_MESH_PYTHON`, a virtualenv `tests/run` makes from
//! `examples/python/requirements.txt`; without it the tests are skipped, except in CI.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use common::demo::Demo;

/// The virtualenv's python, or `None` (after saying so) where the tests are to be skipped.
fn python() -> Option<PathBuf> {
    if let Some(python) = std::env::var_os("ODOO_MESH_PYTHON") {
        return Some(PathBuf::from(python));
    }
    assert!(std::env::var_os("CI").is_none(), "ODOO_MESH_PYTHON is required in CI: tests/run installs it");
    eprintln!("skipped: ODOO_MESH_PYTHON not set (tests/run makes the python consumer's virtualenv and sets it)");
    None
}

fn example(file: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/python").join(file)
}

/// What a process printed, both streams, for a failure message.
fn printed(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn the_python_scenario_passes_against(odoo_version: &str) {
    let Some(python) = python() else { return };
    let demo = Demo::start("python", odoo_version);
    let stubs = demo.dir.join("stubs");
    let generated = Command::new(&python)
        .arg(example("generate.py"))
        .arg("--out")
        .arg(&stubs)
        .output()
        .expect("python runs generate.py");
    assert!(generated.status.success(), "generate.py failed:\n{}", printed(&generated));

    let scenario = Command::new(&python)
        .arg(example("scenario.py"))
        .args(["--target", &demo.target, "--odoo-url", &demo.odoo_url])
        .arg("--certs")
        .arg(demo.certs())
        .arg("--stubs")
        .arg(&stubs)
        .output()
        .expect("python runs scenario.py");
    let output = printed(&scenario);
    assert!(scenario.status.success(), "the python scenario failed ({}):\n{output}\n{}", scenario.status, demo.log());
    println!("{output}");
    assert!(output.contains("scenario passed"), "{output}");
}

#[test]
fn the_python_consumer_scenario_passes_on_odoo_18_json_rpc() {
    the_python_scenario_passes_against("18");
}

#[test]
fn the_python_consumer_scenario_passes_on_odoo_19_json_2() {
    the_python_scenario_passes_against("19");
}
