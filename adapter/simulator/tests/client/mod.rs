//! A client of the simulator as tests call it over the wire: one JSON-RPC or JSON-2 call at a time,
//! answered with what a client sees (the envelope, or the HTTP status and body).
#![allow(dead_code)]

use odoo_simulator::{OdooVersion, RunningSimulator, SimConfig, Simulator};
use serde_json::{Value, json};

pub(crate) const KEY: &str = "odoo-mesh-demo-key";

pub(crate) async fn start(version: OdooVersion, missing_modules: &[&str]) -> RunningSimulator {
    let config = SimConfig {
        version,
        missing_modules: missing_modules.iter().map(|m| (*m).to_owned()).collect(),
        ..SimConfig::default()
    };
    Simulator::new(config).start("127.0.0.1:0".parse().expect("address")).await.expect("simulator starts")
}

/// A JSON-RPC `execute_kw` call: the whole envelope.
pub(crate) async fn jsonrpc(sim: &RunningSimulator, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw", "args": ["odoo", 2, "admin", model, method, args, kwargs],
    }});
    let response =
        reqwest::Client::new().post(format!("{}/jsonrpc", sim.url())).json(&body).send().await.expect("answer");
    assert_eq!(response.status(), 200, "JSON-RPC answers errors with HTTP 200");
    response.json().await.expect("a JSON-RPC envelope")
}

/// A JSON-2 call: the HTTP status and the body.
pub(crate) async fn json2(sim: &RunningSimulator, model: &str, method: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{}/json/2/{model}/{method}", sim.url()))
        .bearer_auth(KEY)
        .json(&body)
        .send()
        .await
        .expect("answer");
    (response.status().as_u16(), response.json().await.expect("a JSON body"))
}

/// The class and message of a JSON-RPC error, and its code.
pub(crate) fn rpc_error(envelope: &Value) -> (i64, &str, &str) {
    let error = &envelope["error"];
    (
        error["code"].as_i64().unwrap_or(-1),
        error["data"]["name"].as_str().unwrap_or_else(|| panic!("an error, got {envelope}")),
        error["data"]["message"].as_str().unwrap_or_default(),
    )
}
