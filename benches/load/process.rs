//! Servers under test as processes of their own, pinned to one core with one Tokio worker, so a
//! figure is what one core of the server does; the load generator runs on another core.

use std::{
    net::SocketAddr,
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    time::{Duration, Instant},
};

/// The core servers run on; the bench itself (the load) runs on `LOAD_CORE`.
pub(crate) const SERVER_CORE: &str = "0";
pub(crate) const LOAD_CORE: &str = "1";

/// A child process, killed when dropped.
pub(crate) struct Server {
    pub(crate) name: &'static str,
    pub(crate) addr: SocketAddr,
    child: Child,
}

impl Server {
    /// Starts `program args` pinned to `core`, with one Tokio worker.
    pub(crate) fn start(name: &'static str, addr: SocketAddr, core: &str, program: &Path, args: &[String]) -> Self {
        Self::spawn(name, addr, core, program, args, Stdio::inherit())
    }

    /// As [`Server::start`], its stderr (logs, and a panic's message) appended to `log`, to be
    /// searched afterwards.
    pub(crate) fn start_logged(
        name: &'static str,
        addr: SocketAddr,
        core: &str,
        program: &Path,
        args: &[String],
        log: &Path,
    ) -> Self {
        let file = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log file");
        Self::spawn(name, addr, core, program, args, Stdio::from(file))
    }

    fn spawn(name: &'static str, addr: SocketAddr, core: &str, program: &Path, args: &[String], stderr: Stdio) -> Self {
        let child = Command::new("taskset")
            .arg("-c")
            .arg(core)
            .arg(program)
            .args(args)
            .env("TOKIO_WORKER_THREADS", "1")
            .env("ODOO_MESH_LOG_FORMAT", "text")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("{name} starts (taskset from util-linux is needed): {e}"));
        Self { name, addr, child }
    }

    /// How the process ended, if it has (without waiting).
    pub(crate) fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("process status")
    }

    /// Sends SIGTERM (as Kubernetes does) and waits up to `patience` for the process to end;
    /// kills it after that. How it ended; `None` when it had to be killed.
    pub(crate) async fn terminate(&mut self, patience: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.exited() {
            return Some(status);
        }
        let sent = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status().expect("kill runs");
        assert!(sent.success(), "SIGTERM sent to {}", self.name);
        let deadline = Instant::now() + patience;
        while Instant::now() < deadline {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    /// The process id (taskset runs the program in its own process).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// CPU time the process has used so far (user and system), from `/proc`.
    pub(crate) fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).expect("/proc stat");
        // Fields after the command name, which is in parentheses and may hold spaces.
        let after = &stat[stat.rfind(')').expect("comm") + 2..];
        let fields: Vec<&str> = after.split(' ').collect();
        let ticks: u64 = fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
        Duration::from_secs_f64(ticks as f64 / clock_ticks_per_second())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clock_ticks_per_second() -> f64 {
    let output = Command::new("getconf").arg("CLK_TCK").output().expect("getconf");
    String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(100.0)
}

/// A free port on the loopback interface.
pub(crate) fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("addr")
}

/// Waits until `check` holds, polling; panics with `what` after `patience`.
pub(crate) async fn until<F, Fut>(what: &str, patience: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + patience;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {patience:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Re-runs this benchmark pinned to the load core, once: returns `Some(exit code)` in the parent.
pub(crate) fn pin_self_to_load_core() -> Option<i32> {
    const PINNED: &str = "ODOO_MESH_BENCH_PINNED";
    if std::env::var_os(PINNED).is_some() {
        return None;
    }
    let status = Command::new("taskset")
        .arg("-c")
        .arg(LOAD_CORE)
        .arg(std::env::current_exe().expect("own path"))
        .args(std::env::args_os().skip(1))
        .env(PINNED, "1")
        .status()
        .expect("taskset runs the bench");
    Some(status.code().unwrap_or(1))
}

/// A benchmark's `main`: re-runs itself pinned to the load core, then runs `body` on one thread,
/// told whether a short smoke run (`--smoke`) was asked for.
pub(crate) fn run_pinned<F: Future<Output = ()>>(body: impl FnOnce(bool) -> F) {
    if let Some(code) = pin_self_to_load_core() {
        std::process::exit(code);
    }
    let smoke = std::env::args().any(|a| a == "--smoke");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(body(smoke));
}
