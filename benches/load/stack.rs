//! odoo-mesh over mutual TLS in front of the simulator, each a process of its own: odoo-mesh
//! pinned to the server core, the simulator to the load core. Its watched views load once at start
//! and do not poll, so the Odoo calls counted during a run are the ones the requests cost.

use std::{net::SocketAddr, path::Path, time::Duration};

use super::{
    Fixture,
    client::{Call, Target, mutual_tls, until_answered},
    process::{LOAD_CORE, SERVER_CORE, Server, free_addr},
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
        let fixture = Fixture::new(name);
        let binary = Path::new(env!("CARGO_BIN_EXE_odoo-mesh"));
        let sim = Sim::start_odoo(LOAD_CORE, major).await;
        let (addr, admin) = (free_addr(), free_addr());
        let mut args = fixture.serve_args(addr, admin, sim.addr(), true);
        args.push(NO_POLLS.to_owned());
        let mesh = Server::start("odoo-mesh", addr, SERVER_CORE, binary, &args);
        let pki = &fixture.pki;
        let target = Target { addr, tls: Some(mutual_tls(&pki.ca_pem, &pki.client.cert, &pki.client.key)) };
        Self { mesh, sim, admin, target, fixture }
    }

    /// Waits until odoo-mesh answers `call`, then until it has stopped calling Odoo.
    pub(crate) async fn ready(&self, call: &Call) {
        until_answered(&self.target, call).await;
        until_quiet(self.admin, Duration::from_millis(500)).await;
    }
}
