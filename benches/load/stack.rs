//! odoo-mesh over mutual TLS in front of the simulator, each a process of its own: odoo-mesh
//! pinned to the server core, the simulator to the load core. Its watched views load once at start
//! and do not poll, so the Odoo calls counted during a run are the ones the requests cost.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    process::ExitStatus,
    time::Duration,
};

use super::{
    Fixture,
    client::{Call, Target, mutual_tls, until_answered},
    process::{LOAD_CORE, SERVER_CORE, Server, free_addr, until},
    sim::{DEFAULT_ODOO, Sim},
    until_quiet,
};

/// `odoo-mesh serve`'s flag that keeps the watched views from polling Odoo during a run.
const NO_POLLS: &str = "--watch-poll-interval=1h";

/// The two processes, killed when dropped (odoo-mesh first), and what reaches them.
pub(crate) struct Stack {
    pub(crate) mesh: Server,
    pub(crate) sim: Sim,
    /// odoo-mesh's admin port (metrics).
    pub(crate) admin: SocketAddr,
    /// odoo-mesh's gRPC port, with the demo client's certificate.
    pub(crate) target: Target,
    /// Held for its files (certificates, policy, key), removed when dropped.
    fixture: Fixture,
    /// How odoo-mesh was started, to start it again the same way.
    args: Vec<String>,
    /// The file odoo-mesh's stderr goes to, if kept.
    log: Option<PathBuf>,
}

impl Stack {
    /// Starts the simulator as Odoo 18 and odoo-mesh in front of it; `name` names the fixture's
    /// directory.
    pub(crate) async fn start(name: &str) -> Self {
        Self::start_odoo(name, DEFAULT_ODOO).await
    }

    /// Starts the simulator presenting Odoo `major` (18 or 19) and odoo-mesh in front of it, which
    /// picks the wire by the version (JSON-2 from 19).
    pub(crate) async fn start_odoo(name: &str, major: u8) -> Self {
        Self::start_with(name, major, &[NO_POLLS.to_owned()], false).await
    }

    /// Starts the simulator presenting Odoo `major` and odoo-mesh in front of it with these
    /// further `serve` flags; with `logged`, odoo-mesh's stderr goes to a file in the fixture's
    /// directory ([`Stack::mesh_log`]) instead of the bench's.
    pub(crate) async fn start_with(name: &str, major: u8, flags: &[String], logged: bool) -> Self {
        let fixture = Fixture::new(name);
        let sim = Sim::start_odoo(LOAD_CORE, major).await;
        let (addr, admin) = (free_addr(), free_addr());
        let mut args = fixture.serve_args(addr, admin, sim.addr(), true);
        args.extend_from_slice(flags);
        let log = logged.then(|| fixture.dir.join("odoo-mesh.log"));
        let mesh = start_mesh(addr, &args, log.as_deref());
        let pki = &fixture.pki;
        let target = Target { addr, tls: Some(mutual_tls(&pki.ca_pem, &pki.client.cert, &pki.client.key)) };
        Self { mesh, sim, admin, target, fixture, args, log }
    }

    /// The certificates, policy and key odoo-mesh was started with.
    pub(crate) fn fixture(&self) -> &Fixture {
        &self.fixture
    }

    /// Where odoo-mesh's stderr goes, of every process started so far (see [`Stack::start_with`]).
    pub(crate) fn mesh_log(&self) -> Option<&Path> {
        self.log.as_deref()
    }

    /// Stops odoo-mesh as an orchestrator does (SIGTERM: it drains, for at most its
    /// `--shutdown-grace`, within `patience`), then starts a fresh process with the same flags on
    /// the same ports. How the old one ended (`None`: it had to be killed).
    /// The new process starts once Odoo has finished what the old one asked of it, as the one
    /// before a restart can no longer count those calls against its `--odoo-max-concurrency`.
    pub(crate) async fn restart_mesh(&mut self, patience: Duration) -> Option<ExitStatus> {
        let ended = self.mesh.terminate(patience).await;
        let sim = &self.sim;
        until("odoo finishes the calls of the stopped odoo-mesh", patience, || async {
            sim.stats().await.in_flight == 0
        })
        .await;
        self.mesh = start_mesh(self.target.addr, &self.args, self.log.as_deref());
        ended
    }

    /// Waits until odoo-mesh answers `call`, then until it has stopped calling Odoo.
    pub(crate) async fn ready(&self, call: &Call) {
        until_answered(&self.target, call).await;
        until_quiet(self.admin, Duration::from_millis(500)).await;
    }
}

/// `odoo-mesh serve args` on the server core, its stderr to `log` when given.
fn start_mesh(addr: SocketAddr, args: &[String], log: Option<&Path>) -> Server {
    let binary = Path::new(env!("CARGO_BIN_EXE_odoo-mesh"));
    match log {
        Some(log) => Server::start_logged("odoo-mesh", addr, SERVER_CORE, binary, args, log),
        None => Server::start("odoo-mesh", addr, SERVER_CORE, binary, args),
    }
}
