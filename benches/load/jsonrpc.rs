//! A service calling Odoo directly: `execute_kw` over JSON-RPC to the simulator, as the reference
//! odoo-mesh is measured against. It counts the calls it makes. Also the simulator's fault
//! endpoint, to make Odoo slow.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU64, Ordering},
};

use serde_json::{Value, json};

use super::DEMO_API_KEY;

/// The simulator's database (`odoo-mesh sim`'s default) and its administrator.
const DATABASE: &str = "odoo";
const LOGIN: &str = "admin";

/// A JSON-RPC client of the simulator, logged in as its administrator with the API key.
pub(crate) struct Direct {
    http: reqwest::Client,
    url: String,
    uid: i64,
    calls: AtomicU64,
}

impl Direct {
    pub(crate) async fn login(sim: SocketAddr) -> Self {
        let mut direct = Self {
            http: reqwest::Client::new(),
            url: format!("http://{sim}/jsonrpc"),
            uid: 0,
            calls: AtomicU64::new(0),
        };
        let uid = direct.call("common", "login", json!([DATABASE, LOGIN, DEMO_API_KEY])).await;
        direct.uid = uid.as_i64().expect("a uid");
        direct
    }

    /// `model.method(*args, **kwargs)`; panics when Odoo refuses it.
    pub(crate) async fn execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let args = json!([DATABASE, self.uid, DEMO_API_KEY, model, method, args, kwargs]);
        self.call("object", "execute_kw", args).await
    }

    /// Odoo calls made so far.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    async fn call(&self, service: &str, method: &str, args: Value) -> Value {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 1});
        let answer: Value =
            self.http.post(&self.url).json(&body).send().await.expect("sent").json().await.expect("json");
        answer.get("result").cloned().unwrap_or_else(|| panic!("odoo refused: {answer}"))
    }
}

/// Makes every `model.method` call to the simulator at `sim` take `millis` longer, from now on.
pub(crate) async fn inject_latency(sim: SocketAddr, model: &str, method: &str, millis: u64) {
    let rule = json!({"fault": {"kind": "latency", "millis": millis}, "model": model, "method": method});
    let answer = reqwest::Client::new()
        .post(format!("http://{sim}/__sim/faults"))
        .json(&rule)
        .send()
        .await
        .expect("the fault endpoint answers");
    assert!(answer.status().is_success(), "the simulator takes the fault: {}", answer.status());
}
