//! What the benchmarks share: a simulator and how odoo-mesh reaches it.

use std::time::Duration;

use odoo_adapter::{BreakerConfig, OdooConfig, Protocol, Secret};
use odoo_simulator::{OdooVersion, RunningSimulator, SeedUser, SimConfig, Simulator};

const DATABASE: &str = "bench";
const API_KEY: &str = "bench-key";

/// An Odoo 18 simulator serving on a free port.
pub(crate) async fn simulator() -> RunningSimulator {
    let admin = SeedUser { login: "admin".into(), password: "admin".into(), api_key: API_KEY.into() };
    Simulator::new(SimConfig { version: OdooVersion::V18, database: DATABASE.into(), admin, ..SimConfig::default() })
        .start("127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator")
}

/// Odoo client settings for that simulator, over JSON-RPC, with patient timeouts.
pub(crate) fn odoo(sim: &RunningSimulator) -> OdooConfig {
    OdooConfig {
        url: sim.url(),
        database: DATABASE.into(),
        login: "admin".into(),
        secret: Secret::new(API_KEY),
        secret_file: None,
        protocol: Protocol::JsonRpc,
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(30),
        max_concurrency: odoo_adapter::DEFAULT_MAX_CONCURRENCY,
        queue_timeout: Duration::from_secs(30),
        breaker: BreakerConfig::default(),
    }
}
