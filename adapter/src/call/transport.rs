//! The two wire formats behind one interface. A call is always expressed with named parameters
//! (`domain`, `fields`, ...), record ids apart and a context: JSON-2 takes exactly that, and
//! JSON-RPC's `execute_kw` takes the ids as its one positional argument and the rest as keywords.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use arc_swap::ArcSwap;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::{OdooConfig, OdooError, Secret, error::TransportFailure};

/// One call of a model method.
#[derive(Debug, Clone)]
pub struct OdooCall {
    pub model: String,
    pub method: String,
    /// Record ids for record methods (`read`, `write`...); `None` for model methods (`search_read`...).
    pub ids: Option<Vec<i64>>,
    /// Named parameters.
    pub params: Map<String, Value>,
    /// Odoo's context (`warehouse_id`, `lang`, `active_test`...).
    pub context: Map<String, Value>,
    /// Made by a background task (change capture), not for a waiting caller: bulk priority.
    pub background: bool,
}

impl OdooCall {
    pub fn new(model: &str, method: &str) -> Self {
        Self {
            model: model.to_owned(),
            method: method.to_owned(),
            ids: None,
            params: Map::new(),
            context: Map::new(),
            background: false,
        }
    }

    pub fn ids(mut self, ids: Vec<i64>) -> Self {
        self.ids = Some(ids);
        self
    }

    pub fn param(mut self, name: &str, value: Value) -> Self {
        self.params.insert(name.to_owned(), value);
        self
    }

    pub fn context(mut self, key: &str, value: Value) -> Self {
        self.context.insert(key.to_owned(), value);
        self
    }
}

/// The server's version as `common.version` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersion {
    pub major: i64,
    pub text: String,
}

/// A wire format, ready to send calls.
#[derive(Debug)]
pub(crate) enum Transport {
    JsonRpc(JsonRpc),
    Json2(Json2),
}

impl Transport {
    pub(crate) async fn call(&self, call: &OdooCall) -> Result<Value, OdooError> {
        match self {
            Self::JsonRpc(t) => t.call(call).await,
            Self::Json2(t) => t.call(call).await,
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::JsonRpc(_) => "jsonrpc",
            Self::Json2(_) => "json2",
        }
    }
}

pub(crate) fn map_reqwest(error: &reqwest::Error) -> OdooError {
    let failure = if error.is_timeout() {
        TransportFailure::Timeout
    } else if error.is_connect() {
        TransportFailure::Connect
    } else {
        TransportFailure::ConnectionLost
    };
    // reqwest's message names the URL, never credentials (they travel in the body or a header).
    OdooError::Transport { failure, message: error.to_string() }
}

fn http_failure(status: u16) -> OdooError {
    OdooError::Transport {
        failure: TransportFailure::HttpStatus(status),
        message: format!("odoo answered http {status}"),
    }
}

/// JSON-RPC over `POST /jsonrpc`.
#[derive(Debug)]
pub(crate) struct JsonRpc {
    http: reqwest::Client,
    url: String,
    database: String,
    login: String,
    secret: Arc<ArcSwap<Secret>>,
    uid: OnceCell<i64>,
    next_id: AtomicU64,
}

impl JsonRpc {
    pub(crate) fn new(http: reqwest::Client, config: &OdooConfig, secret: &Arc<ArcSwap<Secret>>) -> Self {
        Self {
            http,
            url: format!("{}/jsonrpc", config.url.trim_end_matches('/')),
            database: config.database.clone(),
            login: config.login.clone(),
            secret: secret.clone(),
            uid: OnceCell::new(),
            next_id: AtomicU64::new(1),
        }
    }

    /// Sends one JSON-RPC request and unwraps its envelope.
    pub(crate) async fn rpc(&self, service: &str, method: &str, args: Value) -> Result<Value, OdooError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": id});
        let response = self.http.post(&self.url).json(&body).send().await.map_err(|e| map_reqwest(&e))?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| map_reqwest(&e))?;
        jsonrpc_answer(status, &bytes)
    }

    async fn uid(&self) -> Result<i64, OdooError> {
        self.uid
            .get_or_try_init(|| async {
                let args = json!([self.database, self.login, self.secret.load().expose(), {}]);
                match self.rpc("common", "authenticate", args).await? {
                    Value::Number(n) => n.as_i64().ok_or(OdooError::AccessDenied),
                    // A wrong password answers `false`, not an error.
                    _ => Err(OdooError::AccessDenied),
                }
            })
            .await
            .copied()
    }

    async fn call(&self, call: &OdooCall) -> Result<Value, OdooError> {
        let uid = self.uid().await?;
        let mut kwargs = call.params.clone();
        // Values go positionally: Odoo 18's call_kw reads create's from args[0] (a keyword crashes
        // it), and many models override `write(self, values)`, so the keyword `vals` fails there.
        let positional = match (&call.ids, call.method.as_str()) {
            (None, "create") => json!([kwargs.remove("vals_list").unwrap_or_else(|| json!([]))]),
            (Some(ids), "write") => json!([ids, kwargs.remove("vals").unwrap_or_else(|| json!({}))]),
            (Some(ids), _) => json!([ids]),
            (None, _) => json!([]),
        };
        if !call.context.is_empty() {
            kwargs.insert("context".into(), Value::Object(call.context.clone()));
        }
        let args =
            json!([self.database, uid, self.secret.load().expose(), call.model, call.method, positional, kwargs]);
        self.rpc("object", "execute_kw", args).await
    }

    pub(crate) async fn version(&self) -> Result<ServerVersion, OdooError> {
        let result = self.rpc("common", "version", json!([])).await?;
        let major = result.pointer("/server_version_info/0").and_then(Value::as_i64).unwrap_or_default();
        let text = result.get("server_version").and_then(Value::as_str).unwrap_or_default().to_owned();
        Ok(ServerVersion { major, text })
    }
}

/// JSON-2 over `POST /json/2/<model>/<method>` (Odoo 19 and later).
#[derive(Debug)]
pub(crate) struct Json2 {
    http: reqwest::Client,
    url: String,
    database: String,
    secret: Arc<ArcSwap<Secret>>,
    /// Models whose `write` names its parameter `values` rather than `vals`. JSON-2 binds
    /// arguments by their Python names, and models override `write` with either; a refusal to
    /// bind (before the method runs) teaches which.
    writes_values: std::sync::Mutex<std::collections::HashSet<String>>,
}

impl Json2 {
    pub(crate) fn new(http: reqwest::Client, config: &OdooConfig, secret: &Arc<ArcSwap<Secret>>) -> Self {
        Self {
            http,
            url: config.url.trim_end_matches('/').to_owned(),
            database: config.database.clone(),
            secret: secret.clone(),
            writes_values: std::sync::Mutex::default(),
        }
    }

    async fn call(&self, call: &OdooCall) -> Result<Value, OdooError> {
        if call.method != "write" {
            return self.send(call, call.params.clone()).await;
        }
        let learned = self.writes_values.lock().map(|m| m.contains(&call.model)).unwrap_or(false);
        let result = self.send(call, write_params(call, learned)).await;
        match &result {
            Err(OdooError::InvalidCall { message, .. })
                if message.contains(if learned { "'values'" } else { "'vals'" }) =>
            {
                if let Ok(mut models) = self.writes_values.lock() {
                    if learned {
                        models.remove(&call.model);
                    } else {
                        models.insert(call.model.clone());
                    }
                }
                self.send(call, write_params(call, !learned)).await
            }
            _ => result,
        }
    }

    async fn send(&self, call: &OdooCall, mut body: Map<String, Value>) -> Result<Value, OdooError> {
        if let Some(ids) = &call.ids {
            body.insert("ids".into(), json!(ids));
        }
        // JSON-2 replaces the user's context with the one sent: always send it, even empty.
        body.insert("context".into(), Value::Object(call.context.clone()));
        let url = format!("{}/json/2/{}/{}", self.url, call.model, call.method);
        let response = self
            .http
            .post(url)
            .header("Authorization", format!("bearer {}", self.secret.load().expose()))
            .header("X-Odoo-Database", &self.database)
            .json(&body)
            .send()
            .await
            .map_err(|e| map_reqwest(&e))?;
        let status = response.status().as_u16();
        let is_json = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.starts_with("application/json"));
        let bytes = response.bytes().await.map_err(|e| map_reqwest(&e))?;
        json2_answer(status, is_json, &bytes)
    }
}

/// A JSON-RPC answer's result, or Odoo's exception in its error envelope.
pub(crate) fn jsonrpc_answer(status: u16, bytes: &[u8]) -> Result<Value, OdooError> {
    if status != 200 {
        return Err(http_failure(status));
    }
    let mut envelope: Value = serde_json::from_slice(bytes)
        .map_err(|e| OdooError::Protocol { message: format!("json-rpc answer is not json: {e}") })?;
    if let Some(error) = envelope.get("error") {
        let name = error.pointer("/data/name").and_then(Value::as_str).unwrap_or("unknown");
        let message = error.pointer("/data/message").and_then(Value::as_str).unwrap_or_default();
        return Err(OdooError::from_exception(name, message));
    }
    // A method that returns None yields an envelope without `result`.
    Ok(envelope.get_mut("result").map(Value::take).unwrap_or(Value::Null))
}

/// A JSON-2 answer: the result itself, or Odoo's exception as the body of an error status.
pub(crate) fn json2_answer(status: u16, is_json: bool, bytes: &[u8]) -> Result<Value, OdooError> {
    if !is_json {
        return Err(http_failure(status));
    }
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| OdooError::Protocol { message: format!("json-2 answer is not json: {e}") })?;
    if status == 200 {
        return Ok(value);
    }
    let name = value.get("name").and_then(Value::as_str).unwrap_or("unknown");
    let message = value.get("message").and_then(Value::as_str).unwrap_or_default();
    Err(OdooError::from_exception(name, message))
}

/// A `write`'s named parameters, with the values under `vals` or `values`.
fn write_params(call: &OdooCall, as_values: bool) -> Map<String, Value> {
    let mut params = call.params.clone();
    if as_values && let Some(vals) = params.remove("vals") {
        params.insert("values".into(), vals);
    }
    params
}
