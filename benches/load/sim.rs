//! The Odoo simulator as a process of its own (`odoo-mesh sim`), driven over HTTP as any other
//! client of Odoo would drive it: JSON-RPC for data, `/__sim/faults` to slow it down and
//! `/__sim/stats` for what it served.

use std::{net::SocketAddr, path::Path, time::Duration};

use odoo_simulator::FaultRule;
use serde_json::{Value, json};

use super::{
    DEMO_API_KEY,
    process::{Server, free_addr, until},
};

/// The simulator's database (`odoo-mesh sim`'s default).
const DATABASE: &str = "odoo";

/// A running simulator process and a JSON-RPC session with it as its administrator.
pub(crate) struct Sim {
    pub(crate) process: Server,
    http: reqwest::Client,
    uid: i64,
}

/// What the simulator has served so far.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    /// Calls of any model and method.
    pub(crate) calls: u64,
    /// The most requests it was serving at once.
    pub(crate) max_in_flight: u64,
}

impl Sim {
    /// Starts `odoo-mesh sim` pinned to `core` and logs in once it answers.
    pub(crate) async fn start(core: &str) -> Self {
        let addr = free_addr();
        let binary = Path::new(env!("CARGO_BIN_EXE_odoo-mesh"));
        let process = Server::start("simulator", addr, core, binary, &["sim".into(), format!("--listen={addr}")]);
        let http = reqwest::Client::new();
        let mut sim = Self { process, http, uid: 0 };
        until("the simulator answers", Duration::from_secs(30), || async {
            sim.try_call("common", "login", json!([DATABASE, "admin", DEMO_API_KEY])).await.is_some()
        })
        .await;
        let uid = sim.call("common", "login", json!([DATABASE, "admin", DEMO_API_KEY])).await;
        sim.uid = uid.as_i64().expect("a uid");
        sim
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.process.addr
    }

    /// `execute_kw(model, method, args, kwargs)`: Odoo's answer, or a panic with its error.
    pub(crate) async fn execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let args = json!([DATABASE, self.uid, DEMO_API_KEY, model, method, args, kwargs]);
        self.call("object", "execute_kw", args).await
    }

    /// Adds a fault rule (for example a latency on a model's reads).
    pub(crate) async fn inject(&self, rule: &FaultRule) {
        let url = format!("http://{}/__sim/faults", self.addr());
        let response = self.http.post(url).json(rule).send().await.expect("fault injected");
        assert!(response.status().is_success(), "the simulator refused the fault: {}", response.status());
    }

    pub(crate) async fn stats(&self) -> Stats {
        let url = format!("http://{}/__sim/stats", self.addr());
        let stats: Value = self.http.get(url).send().await.expect("stats").json().await.expect("stats json");
        let calls = stats["calls"].as_object().map_or(0, |calls| calls.values().filter_map(Value::as_u64).sum());
        Stats { calls, max_in_flight: stats["max_in_flight"].as_u64().expect("max_in_flight") }
    }

    async fn call(&self, service: &str, method: &str, args: Value) -> Value {
        self.try_call(service, method, args).await.unwrap_or_else(|| panic!("{service}.{method} answered"))
    }

    /// A JSON-RPC call: its result, `None` when the simulator cannot be reached yet; a panic when
    /// it answers with an error.
    async fn try_call(&self, service: &str, method: &str, args: Value) -> Option<Value> {
        let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"service": service, "method": method, "args": args}});
        let url = format!("http://{}/jsonrpc", self.addr());
        let answer: Value = self.http.post(url).json(&body).send().await.ok()?.json().await.ok()?;
        Some(answer.get("result").cloned().unwrap_or_else(|| panic!("odoo refused {service}.{method}: {answer}")))
    }
}
