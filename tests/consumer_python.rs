//! The Python consumer template (`examples/python/`) as a Python team runs it: stubs generated from
//! `proto/` with grpcio-tools, then its scenario against `odoo-mesh demo` over mutual TLS — an
//! order retried after a timeout, stock read and watched, a watch resumed, errors decoded — on the
//! Odoo 18 (JSON-RPC) and the Odoo 19 (JSON-2) simulator.
//!
//! The Python comes from `ODOO_MESH_PYTHON`, a virtualenv `tests/run` makes from
//! `examples/python/requirements.txt`; without it the tests are skipped, except in CI.

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const BINARY: &str = env!("CARGO_BIN_EXE_odoo-mesh");

/// How long the demo may take to print its commands.
const STARTUP: Duration = Duration::from_secs(60);

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

/// A running `odoo-mesh demo`: killed, and its directory removed, when dropped.
struct Demo {
    child: Child,
    dir: PathBuf,
    /// The embedded Odoo simulator's URL, for the scenario's fault injection.
    odoo_url: String,
    /// The gRPC address as the printed grpcurl commands name it (the certificate's host).
    target: String,
    /// The rest of the demo's standard output (its log lines), as it comes.
    printed: Option<mpsc::Receiver<String>>,
}

impl Demo {
    fn start(odoo_version: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-python-{odoo_version}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let errors = File::create(dir.join("stderr")).expect("a file for the demo's standard error");
        let child = Command::new(BINARY)
            .arg("demo")
            .arg("--dir")
            .arg(dir.join("certs"))
            .args(["--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--odoo-listen", "127.0.0.1:0"])
            .args(["--odoo-version", odoo_version])
            .stdout(Stdio::piped())
            .stderr(errors)
            .spawn()
            .expect("the odoo-mesh binary starts");
        let mut demo = Self { child, dir, odoo_url: String::new(), target: String::new(), printed: None };
        let header = demo.printed_until("Press Ctrl-C");
        // "... Odoo 19 simulator (http://127.0.0.1:PORT, database odoo-mesh-demo)."
        demo.odoo_url = header
            .iter()
            .find_map(|line| line.split_once("simulator (")?.1.split_once(',').map(|(url, _)| url.to_owned()))
            .unwrap_or_else(|| panic!("the demo names its simulator's url:\n{}", header.join("\n")));
        // "  grpcurl -cacert ... localhost:PORT list"
        demo.target = header
            .iter()
            .find_map(|line| line.trim().strip_prefix("grpcurl ")?.strip_suffix(" list")?.rsplit(' ').next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("the demo prints a grpcurl list command:\n{}", header.join("\n")));
        demo
    }

    /// The demo's standard output up to the first line containing `marker`: read on a thread, so
    /// that a demo that never prints it fails the test after `STARTUP` instead of hanging it.
    fn printed_until(&mut self, marker: &str) -> Vec<String> {
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let (lines, printed) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Kept for a failure message; read on regardless, so the pipe never fills.
                let _ = lines.send(line);
            }
        });
        let deadline = Instant::now() + STARTUP;
        let mut read = Vec::new();
        while !read.last().is_some_and(|line: &String| line.contains(marker)) {
            match printed.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => read.push(line),
                Err(_) => {
                    panic!("the demo did not print {marker:?} within {STARTUP:?}:\n{}\n{}", read.join("\n"), self.log())
                }
            }
        }
        self.printed = Some(printed);
        read
    }

    fn certs(&self) -> PathBuf {
        self.dir.join("certs")
    }

    /// What the demo printed after its commands (its log) and to its standard error, so far.
    fn log(&self) -> String {
        let printed: Vec<String> = self.printed.iter().flat_map(mpsc::Receiver::try_iter).collect();
        let errors = std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default();
        format!("odoo-mesh demo's output:\n{}\n{errors}", printed.join("\n"))
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// What a process printed, both streams, for a failure message.
fn printed(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

fn the_python_scenario_passes_against(odoo_version: &str) {
    let Some(python) = python() else { return };
    let demo = Demo::start(odoo_version);
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
