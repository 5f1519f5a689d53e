//! A stateful stand-in for Odoo that speaks Odoo 18's JSON-RPC and Odoo 19's JSON-2 with the same
//! response shapes and error bodies as a real server, serves each version's own fields, reproduces
//! the business behaviour odoo-mesh relies on, and injects faults on demand. It runs in-process for
//! tests and standalone for demos.
//!
//! It reads like a small Odoo: `orm` is the generic ORM (records, domains, the registry of models
//! per version and installed modules), `models` holds one module per Odoo model with its fields per
//! version and its behaviour, `wire` the two wire formats.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = odoo_simulator::Simulator::new(odoo_simulator::SimConfig::default());
//! let running = sim.start("127.0.0.1:0".parse().unwrap()).await?;
//! println!("Odoo simulator at {}", running.url());
//! # Ok(()) }
//! ```

mod error;
mod faults;
mod models;
mod orm;
mod seed;
mod wire;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Request, body::Incoming, service::service_fn};
use hyper_util::{rt::TokioExecutor, rt::TokioIo, server::conn::auto};
use parking_lot::Mutex;
use serde_json::{Map, Value};
use tokio::{net::TcpListener, sync::watch};

pub use error::{Raised, SimError};
pub use faults::{Fault, FaultRule, Faults};
pub use orm::{OdooVersion, Rights, domain::like};
pub use seed::SeedUser;

use orm::{
    Database, Env, Registry,
    methods::{Outcome, Signature},
};

/// How the simulated server presents itself.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub version: OdooVersion,
    /// The one database this server serves.
    pub database: String,
    /// The administrator (uid 2) and its password and API key.
    pub admin: SeedUser,
    /// Odoo modules that are not installed (`"purchase"`, `"sale_stock"`, ...). Their models, and
    /// the fields and behaviours they add to other models, are absent, as are those of every
    /// module depending on them.
    pub missing_modules: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            version: OdooVersion::V18,
            database: "odoo".into(),
            admin: SeedUser { login: "admin".into(), password: "admin".into(), api_key: "odoo-mesh-demo-key".into() },
            missing_modules: Vec::new(),
        }
    }
}

/// The simulator: state, faults and call statistics. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    db: Mutex<Database>,
    faults: Faults,
    calls: Mutex<BTreeMap<String, u64>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    /// Sends webhook notifications.
    http: reqwest::Client,
    /// External ids being created by a `load` that has not committed yet.
    pending_loads: Mutex<std::collections::HashSet<String>>,
}

/// How long Odoo waits for a webhook's receiver.
const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// How long a `load` creating a new record keeps its transaction open: long enough for concurrent
/// imports of the same external id to collide, as they do on a real Odoo.
const LOAD_TRANSACTION_TIME: std::time::Duration = std::time::Duration::from_millis(25);

/// A call stopped by fault injection before it ran.
pub(crate) enum Execution {
    Failed(SimError),
    Drop,
    HttpStatus(u16),
}

/// Whether a call may run, after fault injection had its say.
pub(crate) enum Admission {
    Proceed { lose_response: bool, stamped_at: Option<String> },
    Stop(Execution),
}

/// One model method call, after authentication and argument binding.
pub(crate) struct Call<'a> {
    pub(crate) uid: i64,
    pub(crate) model: &'a str,
    pub(crate) method: &'a str,
    pub(crate) ids: Vec<i64>,
    pub(crate) params: Map<String, Value>,
    pub(crate) context: Map<String, Value>,
    pub(crate) readonly: bool,
    /// The transaction's time, when it began before the call ran (`Fault::LateCommit`).
    pub(crate) stamped_at: Option<String>,
}

impl Simulator {
    pub fn new(config: SimConfig) -> Self {
        let registry = Registry::build(config.version, models::MODELS, models::MODULES, &config.missing_modules);
        let mut db = Database::new(registry);
        seed::seed(&mut db, &config.admin);
        Self {
            inner: Arc::new(Inner {
                config,
                db: Mutex::new(db),
                faults: Faults::default(),
                calls: Mutex::new(BTreeMap::new()),
                in_flight: AtomicUsize::new(0),
                max_in_flight: AtomicUsize::new(0),
                pending_loads: Mutex::new(std::collections::HashSet::new()),
                http: reqwest::Client::new(),
            }),
        }
    }

    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The fault rules; add one with `faults().inject(...)`.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// How many calls of `model.method` reached the simulator (faulted ones included).
    pub fn call_count(&self, model: &str, method: &str) -> u64 {
        self.inner.calls.lock().get(&format!("{model}.{method}")).copied().unwrap_or(0)
    }

    /// Every call so far, by `model.method`.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.inner.calls.lock().clone()
    }

    /// The most requests that were in progress at once, from their arrival to their answer (the
    /// injected latency included): what Odoo's workers would have been busy with.
    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }

    /// Adds a user with the given rights. Returns the uid.
    pub fn add_user(&self, login: &str, password: &str, api_key: &str, rights: Rights) -> i64 {
        let mut db = self.inner.db.lock();
        let id = db.table("res.users").next_id;
        let mut row = orm::Row::new();
        for (k, v) in [
            ("name", Value::from(login)),
            ("login", Value::from(login)),
            ("company_id", Value::from(1)),
            ("__password", Value::from(password)),
            ("__api_key", Value::from(api_key)),
            ("__rights", Value::from(rights != Rights::None)),
            ("__access_rights", Value::from(rights == Rights::Administrator)),
        ] {
            row.insert(k.into(), v);
        }
        db.insert_raw("res.users", id, row);
        id
    }

    /// Replaces a user's API key, as rotating it in Odoo's preferences does.
    pub fn set_api_key(&self, uid: i64, api_key: &str) {
        let mut db = self.inner.db.lock();
        if let Some(row) = db.tables.get_mut("res.users").and_then(|t| t.rows.get_mut(&uid)) {
            row.insert("__api_key".into(), Value::from(api_key));
        }
    }

    /// Reads records directly (no faults, no statistics): for tests that check Odoo's state.
    pub fn search_read(
        &self,
        model: &str,
        domain: &Value,
        fields: &[&str],
        context: Map<String, Value>,
    ) -> Result<Vec<Value>, SimError> {
        let db = self.inner.db.lock();
        let model = db.model(model)?;
        let env = Env { uid: seed::ADMIN_UID, context };
        let ids = db.search(model, domain, 0, None, None, &env)?;
        let fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
        db.read(model, &ids, Some(&fields), &env)
    }

    /// Writes records directly (no faults, no statistics): for tests that change Odoo's state.
    pub fn write(&self, model: &str, ids: &[i64], vals: &Map<String, Value>) -> Result<(), SimError> {
        let mut db = self.inner.db.lock();
        db.write(model, ids, vals, &Env::new(seed::ADMIN_UID))
    }

    /// The model a relational field points to (`None` for other fields): lets test harnesses
    /// translate record ids between databases.
    pub fn relation(&self, model: &str, field: &str) -> Option<String> {
        let db = self.inner.db.lock();
        db.model(model).ok()?.field(field)?.ftype.relation().map(str::to_owned)
    }

    pub(crate) fn model_exists(&self, model: &str) -> Result<(), SimError> {
        self.inner.db.lock().model(model).map(|_| ())
    }

    /// The signature of a method of a model, or why it cannot be called.
    pub(crate) fn signature(&self, model: &str, method: &str) -> Result<Signature, SimError> {
        let db = self.inner.db.lock();
        orm::methods::signature(&db, db.model(model)?, method)
            .ok_or_else(|| SimError::UnknownMethod { model: model.to_owned(), method: method.to_owned() })
    }

    pub(crate) fn database_matches(&self, db: &str) -> bool {
        db == self.inner.config.database
    }

    /// The uid of a login and password (or API key), as `common.authenticate` checks them.
    pub(crate) fn authenticate(&self, login: &str, secret: &str) -> Option<i64> {
        let db = self.inner.db.lock();
        db.table("res.users").rows.iter().find_map(|(id, row)| {
            let text = |k: &str| row.get(k).and_then(Value::as_str);
            (text("login") == Some(login) && (text("__password") == Some(secret) || text("__api_key") == Some(secret)))
                .then_some(*id)
        })
    }

    /// Checks a uid and password (or API key) as `execute_kw` does.
    pub(crate) fn check_credentials(&self, uid: i64, secret: &str) -> Result<(), SimError> {
        let db = self.inner.db.lock();
        let Some(row) = db.row("res.users", uid) else {
            return Err(SimError::missing("res.users", &[uid], uid));
        };
        let text = |k: &str| row.get(k).and_then(Value::as_str);
        if text("__password") == Some(secret) || text("__api_key") == Some(secret) {
            Ok(())
        } else {
            Err(SimError::Raise(Raised::new(error::ACCESS_DENIED, "Access Denied")))
        }
    }

    /// The uid owning an API key (JSON-2's bearer authentication).
    pub(crate) fn uid_for_key(&self, key: &str) -> Option<i64> {
        let db = self.inner.db.lock();
        db.table("res.users")
            .rows
            .iter()
            .find_map(|(id, row)| (row.get("__api_key").and_then(Value::as_str) == Some(key)).then_some(*id))
    }

    /// Counts a call and applies the faults planned for it.
    pub(crate) async fn admit(&self, model: &str, method: &str) -> Admission {
        *self.inner.calls.lock().entry(format!("{model}.{method}")).or_default() += 1;
        let plan = self.inner.faults.plan(model, method);
        if let Some(Fault::LateCommit { millis }) = plan.failure {
            let began = orm::now();
            tokio::time::sleep(std::time::Duration::from_millis(millis)).await;
            return Admission::Proceed { lose_response: false, stamped_at: Some(began) };
        }
        if !plan.delay.is_zero() {
            tokio::time::sleep(plan.delay).await;
        }
        let stop = |e| Admission::Stop(e);
        match plan.failure {
            None | Some(Fault::Latency { .. } | Fault::LateCommit { .. }) => {
                Admission::Proceed { lose_response: false, stamped_at: None }
            }
            Some(Fault::LoseResponse) => Admission::Proceed { lose_response: true, stamped_at: None },
            Some(Fault::DropConnection) => stop(Execution::Drop),
            Some(Fault::HttpStatus { status }) => stop(Execution::HttpStatus(status)),
            Some(Fault::OdooError { name, message }) => {
                stop(Execution::Failed(SimError::Raise(Raised::new(&name, message))))
            }
            Some(Fault::SerializationFailure) => stop(Execution::Failed(orm::methods::serialization_failure())),
        }
    }

    /// Runs one call. A `load` that creates a new external id holds it for a moment; another
    /// `load` of the same id meanwhile loses the race with PostgreSQL's serialization failure,
    /// reported in `messages` as Odoo does.
    pub(crate) async fn execute(&self, call: Call<'_>) -> Result<Outcome, SimError> {
        if call.method != "load" {
            return self.run_and_notify(call).await;
        }
        let fresh = {
            let db = self.inner.db.lock();
            let env = Env { uid: call.uid, context: call.context.clone() };
            orm::load::new_header_xids(&db, call.model, &call.params, &env)
        };
        {
            let mut pending = self.inner.pending_loads.lock();
            if fresh.iter().any(|x| pending.contains(x)) {
                return Ok(Outcome::Value(serde_json::json!({
                    "ids": false,
                    "messages": [{"rows": {"from": 0, "to": 0}, "record": 0, "type": "error", "message": error::SERIALIZATION_MESSAGE}],
                    "nextrow": 0,
                })));
            }
            pending.extend(fresh.iter().cloned());
        }
        if !fresh.is_empty() {
            tokio::time::sleep(LOAD_TRANSACTION_TIME).await;
        }
        let result = self.run_and_notify(call).await;
        let mut pending = self.inner.pending_loads.lock();
        for xid in &fresh {
            pending.remove(xid);
        }
        result
    }

    /// Runs one call, then sends the webhook notifications its writes triggered (also when it
    /// failed: Odoo sends them from inside the transaction), one at a time, before answering.
    async fn run_and_notify(&self, call: Call<'_>) -> Result<Outcome, SimError> {
        let (result, webhooks) = self.run(call);
        for hook in webhooks {
            let sent = self.inner.http.post(&hook.url).json(&hook.body).timeout(WEBHOOK_TIMEOUT).send().await;
            if let Err(error) = sent {
                tracing::debug!(url = %hook.url, %error, "webhook notification failed; odoo does not retry");
            }
        }
        result
    }

    /// Runs one call as one transaction: a failure rolls back everything the call changed.
    fn run(&self, call: Call<'_>) -> (Result<Outcome, SimError>, Vec<models::automation::Webhook>) {
        let mut db = self.inner.db.lock();
        let snapshot = (!call.readonly).then(|| db.clone());
        let env = Env { uid: call.uid, context: call.context };
        db.clock = call.stamped_at;
        db.touched.clear();
        let result = orm::methods::execute(&mut db, &env, call.model, call.method, &call.ids, &call.params);
        let webhooks = models::automation::due(&db);
        db.clock = None;
        db.touched.clear();
        if result.is_err()
            && let Some(snapshot) = snapshot
        {
            *db = snapshot;
        }
        (result, webhooks)
    }

    /// Serves both wire formats on a listener until `shutdown` turns true.
    pub async fn serve(self, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
        loop {
            let (stream, _) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        tracing::warn!(%error, "simulator accept failed");
                        continue;
                    }
                },
                _ = shutdown.changed() => return,
            };
            let sim = self.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let sim = sim.clone();
                    // Odoo's worker carries on with a call whose client went away (it commits, and
                    // stays busy, all the same): the call runs to its end in a task of its own.
                    let call = tokio::spawn(async move { sim.handle(req).await });
                    async move {
                        match call.await {
                            Ok(answer) => answer,
                            Err(failed) => std::panic::resume_unwind(failed.into_panic()),
                        }
                    }
                });
                // Errors here are the injected dropped connections, or clients going away.
                let _ = auto::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(stream), service).await;
            });
        }
    }

    /// Binds `addr` and serves in the background.
    pub async fn start(self, addr: SocketAddr) -> std::io::Result<RunningSimulator> {
        self.start_on(TcpListener::bind(addr).await?)
    }

    /// Serves in the background on a listener already bound.
    pub fn start_on(self, listener: TcpListener) -> std::io::Result<RunningSimulator> {
        let local = listener.local_addr()?;
        let (tx, rx) = watch::channel(false);
        let task = tokio::spawn(self.clone().serve(listener, rx));
        Ok(RunningSimulator { addr: local, shutdown: tx, task, simulator: self })
    }

    async fn handle(&self, req: Request<Incoming>) -> Result<wire::HttpResponse, wire::Dropped> {
        let (parts, body) = req.into_parts();
        let body: Bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        let path = parts.uri.path().to_owned();
        let content_type =
            parts.headers.get(hyper::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let v19 = self.inner.config.version == OdooVersion::V19;
        if path == "/__sim/faults" {
            return Ok(self.fault_endpoint(&parts.method, &body));
        }
        if path == "/__sim/stats" {
            return Ok(self.stats_endpoint(&parts.method));
        }
        // From here to the answer, injected latency included: the time an Odoo worker is busy.
        let _busy = InFlight::enter(&self.inner);
        if path == "/jsonrpc" {
            return wire::jsonrpc::handle(self, &parts.method, &content_type, &body).await;
        }
        if v19 && (path == "/web/version" || path == "/json/version") {
            return Ok(wire::json2::version(self, &parts.method, &path));
        }
        if v19 && (path == "/json/2" || path.starts_with("/json/2/")) {
            return wire::json2::handle(self, &parts, &content_type, &body).await;
        }
        Ok(wire::werkzeug_page(
            hyper::StatusCode::NOT_FOUND,
            "The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.",
        ))
    }

    /// `POST /__sim/faults` with a `FaultRule` adds it; `DELETE` clears them all. For tests that
    /// drive a standalone simulator from another process.
    fn fault_endpoint(&self, method: &hyper::Method, body: &Bytes) -> wire::HttpResponse {
        match *method {
            hyper::Method::DELETE => {
                self.faults().clear();
                wire::json_response(hyper::StatusCode::OK, &Value::Bool(true))
            }
            hyper::Method::POST => match serde_json::from_slice::<FaultRule>(body) {
                Ok(rule) => {
                    self.faults().inject(rule);
                    wire::json_response(hyper::StatusCode::OK, &Value::Bool(true))
                }
                Err(error) => wire::json_response(hyper::StatusCode::BAD_REQUEST, &Value::from(error.to_string())),
            },
            _ => wire::werkzeug_page(hyper::StatusCode::METHOD_NOT_ALLOWED, "use POST or DELETE"),
        }
    }

    /// `GET /__sim/stats`: the calls so far by `model.method`, the requests in progress, and the
    /// most that were in progress at once. For benchmarks of a standalone simulator.
    fn stats_endpoint(&self, method: &hyper::Method) -> wire::HttpResponse {
        if *method != hyper::Method::GET {
            return wire::werkzeug_page(hyper::StatusCode::METHOD_NOT_ALLOWED, "use GET");
        }
        let stats = serde_json::json!({
            "calls": self.calls(),
            "in_flight": self.inner.in_flight.load(Ordering::SeqCst),
            "max_in_flight": self.max_in_flight(),
        });
        wire::json_response(hyper::StatusCode::OK, &stats)
    }
}

/// Counts a request in progress while alive.
struct InFlight<'a>(&'a Inner);

impl<'a> InFlight<'a> {
    fn enter(inner: &'a Inner) -> Self {
        let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
        Self(inner)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A simulator serving on a port; stops when dropped.
pub struct RunningSimulator {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    simulator: Simulator,
}

impl RunningSimulator {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn simulator(&self) -> &Simulator {
        &self.simulator
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        self.task.abort();
    }
}
