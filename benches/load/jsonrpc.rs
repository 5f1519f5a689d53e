//! A service calling Odoo directly: `execute_kw` over JSON-RPC to the simulator, the reference
//! odoo-mesh is measured against. It counts the calls it makes.

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use serde_json::{Value, json};

use super::{DEMO_API_KEY, process::until};

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
    /// Logs in, waiting until the simulator answers.
    pub(crate) async fn login(sim: SocketAddr) -> Self {
        let mut direct = Self {
            http: reqwest::Client::new(),
            url: format!("http://{sim}/jsonrpc"),
            uid: 0,
            calls: AtomicU64::new(0),
        };
        let login = || direct.try_call("common", "login", json!([DATABASE, LOGIN, DEMO_API_KEY]));
        until("the simulator answers", Duration::from_secs(30), || async { login().await.is_some() }).await;
        let uid = login().await.expect("logged in");
        direct.uid = uid.as_i64().expect("a uid");
        direct.calls = AtomicU64::new(0);
        direct
    }

    /// `model.method(*args, **kwargs)`; panics when Odoo refuses it.
    pub(crate) async fn execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        let args = json!([DATABASE, self.uid, DEMO_API_KEY, model, method, args, kwargs]);
        self.try_call("object", "execute_kw", args).await.unwrap_or_else(|| panic!("{model}.{method} answered"))
    }

    /// Odoo calls made so far.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// A JSON-RPC call: its result, `None` when the simulator cannot be reached; a panic when it
    /// answers with an error.
    async fn try_call(&self, service: &str, method: &str, args: Value) -> Option<Value> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"service": service, "method": method, "args": args}});
        let answer: Value = self.http.post(&self.url).json(&body).send().await.ok()?.json().await.ok()?;
        Some(answer.get("result").cloned().unwrap_or_else(|| panic!("odoo refused {service}.{method}: {answer}")))
    }
}
