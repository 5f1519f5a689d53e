//! The Odoo simulator as a process of its own (`odoo-mesh sim`), driven over HTTP as any other
//! client of Odoo would drive it: JSON-RPC for data, `/__sim/faults` to slow it down and
//! `/__sim/stats` for what it served.

use std::{net::SocketAddr, path::Path};

use odoo_simulator::{Fault, FaultRule};
use serde_json::Value;

use super::{
    jsonrpc::Direct,
    process::{Server, free_addr},
};

/// The Odoo version the simulator presents unless told otherwise.
pub(crate) const DEFAULT_ODOO: u8 = 18;

/// A running simulator process and a JSON-RPC session with it as its administrator (Odoo 19
/// still answers JSON-RPC).
pub(crate) struct Sim {
    pub(crate) process: Server,
    pub(crate) direct: Direct,
    /// The Odoo major version it presents (18 or 19).
    pub(crate) odoo: u8,
    http: reqwest::Client,
}

/// What the simulator has served so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    /// Calls of any model and method.
    pub(crate) calls: u64,
    /// Requests it is serving now.
    pub(crate) in_flight: u64,
    /// The most requests it was serving at once.
    pub(crate) max_in_flight: u64,
}

impl Sim {
    /// Starts `odoo-mesh sim` as Odoo 18, pinned to `core`, and logs in once it answers.
    pub(crate) async fn start(core: &str) -> Self {
        Self::start_odoo(core, DEFAULT_ODOO).await
    }

    /// Starts `odoo-mesh sim` presenting Odoo `major` (18 or 19), pinned to `core`, and logs in
    /// once it answers.
    pub(crate) async fn start_odoo(core: &str, major: u8) -> Self {
        let addr = free_addr();
        let binary = Path::new(env!("CARGO_BIN_EXE_odoo-mesh"));
        let args = ["sim".into(), format!("--listen={addr}"), format!("--odoo-version={major}")];
        let process = Server::start("simulator", addr, core, binary, &args);
        Self { process, direct: Direct::login(addr).await, odoo: major, http: reqwest::Client::new() }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.process.addr
    }

    /// `execute_kw(model, method, args, kwargs)`: Odoo's answer, or a panic with its error.
    pub(crate) async fn execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        self.direct.execute(model, method, args, kwargs).await
    }

    /// Adds a fault rule (for example a latency on a model's reads).
    pub(crate) async fn inject(&self, rule: &FaultRule) {
        let url = format!("http://{}/__sim/faults", self.addr());
        let response = self.http.post(url).json(rule).send().await.expect("fault injected");
        assert!(response.status().is_success(), "the simulator refused the fault: {}", response.status());
    }

    /// Removes every fault rule.
    pub(crate) async fn clear_faults(&self) {
        let url = format!("http://{}/__sim/faults", self.addr());
        let response = self.http.delete(url).send().await.expect("faults cleared");
        assert!(response.status().is_success(), "the simulator refused to clear faults: {}", response.status());
    }

    /// Makes every `model.method` call take `millis` longer, from now on.
    pub(crate) async fn slow_down(&self, model: &str, method: &str, millis: u64) {
        self.inject(&FaultRule::always(Fault::Latency { millis }).on(model, method)).await;
    }

    pub(crate) async fn stats(&self) -> Stats {
        let url = format!("http://{}/__sim/stats", self.addr());
        let stats: Value = self.http.get(url).send().await.expect("stats").json().await.expect("stats json");
        let calls = stats["calls"].as_object().map_or(0, |calls| calls.values().filter_map(Value::as_u64).sum());
        Stats {
            calls,
            in_flight: stats["in_flight"].as_u64().expect("in_flight"),
            max_in_flight: stats["max_in_flight"].as_u64().expect("max_in_flight"),
        }
    }
}
