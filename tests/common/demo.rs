//! `odoo-mesh demo` as a process of its own: the service and its simulator on free ports, for
//! tests that use the binary as people do (consumer templates, abuse with the server's own memory).

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const BINARY: &str = env!("CARGO_BIN_EXE_odoo-mesh");

/// How long the demo may take to print its commands.
const STARTUP: Duration = Duration::from_secs(60);

/// A running `odoo-mesh demo`: killed, and its directory removed, when dropped.
pub struct Demo {
    child: Child,
    pub dir: PathBuf,
    /// The embedded Odoo simulator's URL, for the scenario's fault injection.
    pub odoo_url: String,
    /// The gRPC address as the printed grpcurl commands name it (the certificate's host).
    pub target: String,
    /// The rest of the demo's standard output (its log lines), as it comes.
    printed: Option<mpsc::Receiver<String>>,
}

impl Demo {
    /// Starts `odoo-mesh demo` presenting Odoo `odoo_version` ("18" or "19"), on free ports, with
    /// its certificates and files under a new directory named after `purpose`.
    pub fn start(purpose: &str, odoo_version: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-{purpose}-{odoo_version}-{}", std::process::id()));
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

    /// The CA, client certificate and key the demo wrote (`ca.pem`, `client.pem`, `client.key`).
    pub fn certs(&self) -> PathBuf {
        self.dir.join("certs")
    }

    /// The demo's process id, to read its memory in `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The gRPC port.
    pub fn grpc_port(&self) -> u16 {
        self.target.rsplit(':').next().and_then(|port| port.parse().ok()).expect("the target has a port")
    }

    /// What the demo printed after its commands (its log) and to its standard error, so far.
    pub fn log(&self) -> String {
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
