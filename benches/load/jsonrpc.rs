//! A service calling Odoo directly, the reference odoo-mesh is measured against: `execute_kw` over
//! JSON-RPC, or Odoo 19's JSON-2 (`POST /json/2/<model>/<method>`), to the simulator. It counts the
//! calls it makes, by `model.method` too.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use serde_json::{Map, Value, json};

use super::{DEMO_API_KEY, process::until};

/// The simulator's database (`odoo-mesh sim`'s default) and its administrator.
const DATABASE: &str = "odoo";
const LOGIN: &str = "admin";

/// How the client speaks to Odoo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wire {
    /// `POST /jsonrpc`, `object.execute_kw` with the uid and API key in the body (Odoo 18).
    JsonRpc,
    /// `POST /json/2/<model>/<method>`, named arguments, the API key as a bearer token and the
    /// database in a header (Odoo 19).
    Json2,
}

impl Wire {
    /// The wire odoo-mesh picks for a server of this major version (`--odoo-protocol=auto`).
    pub(crate) fn of_version(major: u8) -> Self {
        if major >= 19 { Self::Json2 } else { Self::JsonRpc }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::JsonRpc => "JSON-RPC",
            Self::Json2 => "JSON-2",
        }
    }
}

/// A client of the simulator as its administrator with the API key, on one wire.
pub(crate) struct Direct {
    http: reqwest::Client,
    wire: Wire,
    /// The simulator's base URL.
    url: String,
    /// The administrator's id (JSON-RPC only: JSON-2 knows the user by the key).
    uid: i64,
    calls: AtomicU64,
    by_method: Mutex<BTreeMap<String, u64>>,
}

impl Direct {
    /// A JSON-RPC session, logged in once the simulator answers.
    pub(crate) async fn login(sim: SocketAddr) -> Self {
        Self::connect(sim, Wire::JsonRpc).await
    }

    /// A session on `wire`, once the simulator answers (JSON-RPC logs in first).
    pub(crate) async fn connect(sim: SocketAddr, wire: Wire) -> Self {
        let mut direct = Self {
            http: reqwest::Client::new(),
            wire,
            url: format!("http://{sim}"),
            uid: 0,
            calls: AtomicU64::new(0),
            by_method: Mutex::default(),
        };
        let login = || direct.try_rpc("common", "login", json!([DATABASE, LOGIN, DEMO_API_KEY]));
        until("the simulator answers", Duration::from_secs(30), || async { login().await.is_some() }).await;
        if wire == Wire::JsonRpc {
            let uid = login().await.expect("logged in");
            direct.uid = uid.as_i64().expect("a uid");
        }
        direct
    }

    /// `model.method(*args, **kwargs)` over JSON-RPC; panics when Odoo refuses it.
    pub(crate) async fn execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        assert_eq!(self.wire, Wire::JsonRpc, "positional arguments are JSON-RPC's");
        self.count(model, method);
        let args = json!([DATABASE, self.uid, DEMO_API_KEY, model, method, args, kwargs]);
        self.try_rpc("object", "execute_kw", args).await.unwrap_or_else(|| panic!("{model}.{method} answered"))
    }

    /// `model.method` with named parameters, on records `ids` (a record method) or none (a model
    /// method), under `context`, sent as odoo-mesh's adapter sends it on this wire: JSON-RPC takes
    /// the ids as the one positional argument and the rest, the context included when there is
    /// one, as keywords; JSON-2 takes everything by name, the context always. Panics when Odoo
    /// refuses it.
    pub(crate) async fn call(
        &self,
        model: &str,
        method: &str,
        ids: Option<&[i64]>,
        mut params: Map<String, Value>,
        context: Map<String, Value>,
    ) -> Value {
        match self.wire {
            Wire::JsonRpc => {
                let positional = ids.map_or_else(|| json!([]), |ids| json!([ids]));
                if !context.is_empty() {
                    params.insert("context".into(), Value::Object(context));
                }
                self.execute(model, method, positional, Value::Object(params)).await
            }
            Wire::Json2 => {
                self.count(model, method);
                if let Some(ids) = ids {
                    params.insert("ids".into(), json!(ids));
                }
                params.insert("context".into(), Value::Object(context));
                let response = self
                    .http
                    .post(format!("{}/json/2/{model}/{method}", self.url))
                    .header("Authorization", format!("bearer {DEMO_API_KEY}"))
                    .header("X-Odoo-Database", DATABASE)
                    .json(&params)
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{model}.{method} sent: {e}"));
                let status = response.status();
                let answer: Value = response.json().await.unwrap_or_else(|e| panic!("{model}.{method} json: {e}"));
                assert!(status.is_success(), "odoo refused {model}.{method}: {status} {answer}");
                answer
            }
        }
    }

    /// Odoo calls made so far.
    pub(crate) fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Odoo calls made so far, by `model.method`.
    pub(crate) fn calls_by_method(&self) -> BTreeMap<String, u64> {
        self.by_method.lock().expect("counts").clone()
    }

    fn count(&self, model: &str, method: &str) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        *self.by_method.lock().expect("counts").entry(format!("{model}.{method}")).or_default() += 1;
    }

    /// A JSON-RPC call (not counted: logins are not Odoo calls of a request): its result, `None` when the simulator cannot be reached; a panic when it
    /// answers with an error.
    async fn try_rpc(&self, service: &str, method: &str, args: Value) -> Option<Value> {
        let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1,
            "params": {"service": service, "method": method, "args": args}});
        let url = format!("{}/jsonrpc", self.url);
        let answer: Value = self.http.post(url).json(&body).send().await.ok()?.json().await.ok()?;
        Some(answer.get("result").cloned().unwrap_or_else(|| panic!("odoo refused {service}.{method}: {answer}")))
    }
}
