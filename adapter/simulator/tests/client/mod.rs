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

/// What a call of either wire format came to: the method's answer (`None` when it returned
/// nothing: no `result` key on JSON-RPC, `null` on JSON-2), or Odoo's exception.
pub(crate) type Answer = Result<Option<Value>, OdooException>;

/// An exception as the client sees it: its class and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OdooException {
    pub(crate) name: String,
    pub(crate) message: String,
}

/// A simulated Odoo called the way odoo-mesh calls that version: JSON-RPC `execute_kw` on 18,
/// JSON-2 on 19, with every argument by name and the context sent along.
pub(crate) struct Odoo {
    pub(crate) sim: RunningSimulator,
    pub(crate) version: OdooVersion,
}

impl Odoo {
    pub(crate) async fn start(version: OdooVersion) -> Self {
        Self { sim: start(version, &[]).await, version }
    }

    pub(crate) fn simulator(&self) -> &Simulator {
        self.sim.simulator()
    }

    /// Calls `model.method` on `ids` (none for model-level methods).
    pub(crate) async fn call(&self, model: &str, method: &str, ids: &[i64], kwargs: Value, context: Value) -> Answer {
        let mut kwargs = kwargs.as_object().cloned().unwrap_or_default();
        if !context.is_null() {
            kwargs.insert("context".into(), context);
        }
        match self.version {
            OdooVersion::V18 => {
                let args = if ids.is_empty() { json!([]) } else { json!([ids]) };
                let envelope = jsonrpc(&self.sim, model, method, args, Value::Object(kwargs)).await;
                if let Some(error) = envelope.get("error") {
                    return Err(OdooException {
                        name: error["data"]["name"].as_str().unwrap_or_default().to_owned(),
                        message: error["data"]["message"].as_str().unwrap_or_default().to_owned(),
                    });
                }
                Ok(envelope.get("result").cloned())
            }
            OdooVersion::V19 => {
                if !ids.is_empty() {
                    kwargs.insert("ids".into(), json!(ids));
                }
                let (status, body) = json2(&self.sim, model, method, Value::Object(kwargs)).await;
                if status != 200 {
                    return Err(OdooException {
                        name: body["name"].as_str().unwrap_or_default().to_owned(),
                        message: body["message"].as_str().unwrap_or_default().to_owned(),
                    });
                }
                Ok((!body.is_null()).then_some(body))
            }
        }
    }

    /// A call expected to succeed and answer something.
    pub(crate) async fn ok(&self, model: &str, method: &str, ids: &[i64], kwargs: Value, context: Value) -> Value {
        match self.call(model, method, ids, kwargs, context).await {
            Ok(Some(value)) => value,
            other => panic!("{:?}: {model}.{method} answered {other:?}", self.version),
        }
    }

    /// Creates one record; its id. (Odoo 18's JSON-RPC wants create's values by position.)
    pub(crate) async fn create(&self, model: &str, values: Value, context: Value) -> i64 {
        let created = match self.version {
            OdooVersion::V18 => {
                let kwargs = if context.is_null() { json!({}) } else { json!({"context": context}) };
                let envelope = jsonrpc(&self.sim, model, "create", json!([[values]]), kwargs).await;
                envelope.get("result").cloned().unwrap_or_else(|| panic!("{model}.create failed: {envelope}"))
            }
            OdooVersion::V19 => self.ok(model, "create", &[], json!({"vals_list": [values]}), context).await,
        };
        created.as_i64().or_else(|| created[0].as_i64()).unwrap_or_else(|| panic!("an id, not {created}"))
    }

    pub(crate) async fn write(&self, model: &str, ids: &[i64], values: Value) {
        let written = self.ok(model, "write", ids, json!({"vals": values}), Value::Null).await;
        assert_eq!(written, json!(true), "{:?}: {model}.write", self.version);
    }

    /// One record's fields.
    pub(crate) async fn read(&self, model: &str, id: i64, fields: &[&str]) -> Value {
        let records = self.ok(model, "read", &[id], json!({"fields": fields}), Value::Null).await;
        records[0].clone()
    }

    pub(crate) async fn search_read(&self, model: &str, domain: Value, fields: &[&str]) -> Vec<Value> {
        let kwargs = json!({"domain": domain, "fields": fields, "order": "id"});
        self.ok(model, "search_read", &[], kwargs, Value::Null).await.as_array().cloned().unwrap_or_default()
    }
}
