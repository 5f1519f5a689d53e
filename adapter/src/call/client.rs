//! The Odoo client: one pooled keep-alive HTTP client, the wire format chosen by configuration or by
//! the server's version, typed helpers for the ORM methods, and a metric for every call.

use std::{sync::Arc, time::Instant};

use arc_swap::ArcSwap;

use serde_json::{Map, Value, json};
use tokio::sync::OnceCell;

use crate::{
    OdooConfig, OdooError, Protocol, Secret,
    call::{
        breaker::Breaker,
        coalesce::{self, Coalescer},
        governor::{Governor, Priority, Slot},
        retry::Retries,
        transport::{Json2, JsonRpc, OdooCall, ServerVersion, Transport, map_reqwest},
    },
};

/// Paging and ordering of a search.
#[derive(Debug, Clone, Default)]
pub struct SearchOptions {
    pub limit: Option<usize>,
    pub offset: Option<usize>,
    pub order: Option<String>,
    /// For a background task rather than a waiting caller (see `OdooCall::background`).
    pub background: bool,
}

impl SearchOptions {
    /// Results in this order, for example `"id"` or `"write_date asc, id asc"`.
    pub fn ordered(order: &str) -> Self {
        Self { order: Some(order.to_owned()), ..Self::default() }
    }

    /// Marks the read as a background task's.
    #[must_use]
    pub fn in_background(mut self) -> Self {
        self.background = true;
        self
    }

    /// At most `limit` results.
    #[must_use]
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// A client for one Odoo database. Cheap to share behind an `Arc`; calls run concurrently.
#[derive(Debug)]
pub struct OdooClient {
    config: OdooConfig,
    http: reqwest::Client,
    /// JSON-RPC is always available: it answers `common.version` on every supported version.
    jsonrpc: JsonRpc,
    /// Shared with the calls in flight, which may outlive their callers (see `attempt`).
    transport: OnceCell<Arc<Transport>>,
    /// The current secret, shared with the transports so a rotated key applies to the next call.
    secret: Arc<ArcSwap<Secret>>,
    governor: Governor,
    breaker: Breaker,
    retries: Retries,
    coalescer: Coalescer,
}

impl OdooClient {
    pub fn new(config: OdooConfig) -> Result<Self, OdooError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .tcp_keepalive(std::time::Duration::from_secs(30))
            .tcp_nodelay(true)
            .build()
            .map_err(|e| map_reqwest(&e))?;
        let secret = Arc::new(ArcSwap::from_pointee(config.secret.clone()));
        let jsonrpc = JsonRpc::new(http.clone(), &config, &secret);
        let governor = Governor::new(config.max_concurrency, config.queue_timeout);
        let breaker = Breaker::new(config.breaker);
        Ok(Self {
            config,
            http,
            jsonrpc,
            transport: OnceCell::new(),
            secret,
            governor,
            breaker,
            retries: Retries::new(),
            coalescer: Coalescer::default(),
        })
    }

    pub fn config(&self) -> &OdooConfig {
        &self.config
    }

    /// Re-reads the secret file, if the secret came from one; the next call uses a changed secret.
    /// Returns whether it changed. An unreadable or empty file keeps the current secret.
    pub fn refresh_secret(&self) -> bool {
        let Some(path) = &self.config.secret_file else { return false };
        match Secret::from_file(path) {
            Ok(secret) if !secret.expose().is_empty() && secret != **self.secret.load() => {
                self.secret.store(Arc::new(secret));
                tracing::info!(path = %path.display(), "odoo secret reloaded");
                true
            }
            Ok(_) => false,
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "odoo secret file unreadable; keeping the current secret");
                false
            }
        }
    }

    /// The server's version; needs no credentials. Used for protocol detection and `check`.
    pub async fn version(&self) -> Result<ServerVersion, OdooError> {
        self.jsonrpc.version().await
    }

    /// The server's version as a health probe, within the governor's limit like any read. With
    /// `skip_if_busy`, `None` at once when every read slot is taken — Odoo is busy with our calls,
    /// and a probe must neither add to its load nor wait behind it; without, it queues for a slot
    /// (while Odoo has not been seen up yet, there is no answer to fall back on).
    pub async fn probe_version(&self, skip_if_busy: bool) -> Option<Result<ServerVersion, OdooError>> {
        let _slot = match skip_if_busy {
            true => self.governor.try_admit(Priority::Read)?,
            false => match self.governor.admit(Priority::Read).await {
                Ok(slot) => slot,
                Err(refused) => return Some(Err(refused)),
            },
        };
        Some(self.jsonrpc.version().await)
    }

    async fn transport(&self) -> Result<&Arc<Transport>, OdooError> {
        self.transport
            .get_or_try_init(|| async {
                let protocol = match self.config.protocol {
                    Protocol::Auto if self.version().await?.major >= 19 => Protocol::Json2,
                    Protocol::Auto => Protocol::JsonRpc,
                    chosen => chosen,
                };
                let transport = match protocol {
                    Protocol::Json2 => Transport::Json2(Json2::new(self.http.clone(), &self.config, &self.secret)),
                    _ => Transport::JsonRpc(JsonRpc::new(self.http.clone(), &self.config, &self.secret)),
                };
                tracing::info!(protocol = transport.name(), url = %self.config.url, database = %self.config.database, "connected to odoo");
                Ok(Arc::new(transport))
            })
            .await
    }

    /// The wire format in use (after detection).
    pub async fn protocol(&self) -> Result<&'static str, OdooError> {
        Ok(self.transport().await?.name())
    }

    /// Whether calls are failing fast because Odoo was found down.
    pub fn circuit_open(&self) -> bool {
        self.breaker.is_open()
    }

    /// Runs one call: reads share an identical read already in flight (see `coalesce`); the rest
    /// go through the breaker and the governor, and are retried when that is safe (see `retry`).
    pub async fn call(&self, call: OdooCall) -> Result<Value, OdooError> {
        if Priority::of(&call) == Priority::Critical {
            let result = self.governed(&call).await;
            // Also after a failure: a lost answer may hide a committed write.
            self.coalescer.wrote();
            return result;
        }
        self.coalescer.run(coalesce::key(&call), self.governed(&call)).await
    }

    async fn governed(&self, call: &OdooCall) -> Result<Value, OdooError> {
        self.breaker.admit()?;
        let slot = Arc::new(self.governor.admit(Priority::of(call)).await?);
        self.retries.deposit();
        let mut attempt = 1;
        loop {
            let result = self.attempt(call, &slot).await;
            let Err(error) = &result else { return result };
            let Some(backoff) = self.retries.backoff(call, error, attempt) else { return result };
            tracing::debug!(model = %call.model, method = %call.method, %error, ?backoff, attempt, "retrying odoo call");
            tokio::time::sleep(backoff).await;
            self.breaker.admit()?;
            attempt += 1;
        }
    }

    /// One attempt at a call, recording its outcome and duration. The request runs in a task of
    /// its own holding a share of the call's slot: a caller that stops waiting (its deadline
    /// passed, its client went away) does not stop Odoo's worker, which carries on with the call,
    /// so the slot is only given back once Odoo has answered — Odoo never has more of our calls
    /// in progress than the limit.
    async fn attempt(&self, call: &OdooCall, slot: &Arc<Slot>) -> Result<Value, OdooError> {
        let started = Instant::now();
        let result = match self.transport().await {
            Ok(transport) => {
                let (transport, request, slot) = (transport.clone(), call.clone(), slot.clone());
                let sent = tokio::spawn(async move {
                    let _slot = slot;
                    transport.call(&request).await
                });
                match sent.await {
                    Ok(answer) => answer,
                    Err(failed) if failed.is_panic() => std::panic::resume_unwind(failed.into_panic()),
                    // Only when the runtime shuts down.
                    Err(failed) => Err(OdooError::Protocol { message: format!("the odoo call was stopped: {failed}") }),
                }
            }
            Err(error) => Err(error),
        };
        self.breaker.record(&result);
        let outcome = match &result {
            Ok(_) => "ok",
            Err(OdooError::Transport { .. }) => "transport_error",
            Err(e) if e.is_transient() => "transient_error",
            Err(_) => "odoo_error",
        };
        let labels = [("model", call.model.clone()), ("method", call.method.clone()), ("outcome", outcome.to_owned())];
        metrics::counter!("odoo_mesh_odoo_calls_total", &labels).increment(1);
        metrics::histogram!("odoo_mesh_odoo_call_duration_seconds", &labels[..2])
            .record(started.elapsed().as_secs_f64());
        if let Err(error) = &result {
            tracing::debug!(model = %call.model, method = %call.method, %error, "odoo call failed");
        }
        result
    }

    /// `search_read(domain, fields, offset, limit, order)` with a context.
    pub async fn search_read(
        &self,
        model: &str,
        domain: Value,
        fields: &[&str],
        options: &SearchOptions,
        context: Map<String, Value>,
    ) -> Result<Vec<Map<String, Value>>, OdooError> {
        let mut call = OdooCall::new(model, "search_read").param("domain", domain).param("fields", json!(fields));
        if let Some(limit) = options.limit {
            call = call.param("limit", json!(limit));
        }
        if let Some(offset) = options.offset {
            call = call.param("offset", json!(offset));
        }
        if let Some(order) = &options.order {
            call = call.param("order", json!(order));
        }
        call.context = context;
        call.background = options.background;
        records(self.call(call).await?)
    }

    /// `read(ids, fields)`; ids that do not exist are left out, as Odoo does.
    pub async fn read(
        &self,
        model: &str,
        ids: Vec<i64>,
        fields: &[&str],
    ) -> Result<Vec<Map<String, Value>>, OdooError> {
        records(self.call(OdooCall::new(model, "read").ids(ids).param("fields", json!(fields))).await?)
    }
}

fn records(value: Value) -> Result<Vec<Map<String, Value>>, OdooError> {
    let Value::Array(items) = value else {
        return Err(OdooError::Protocol { message: "expected a list of records".into() });
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Object(map) => Ok(map),
            _ => Err(OdooError::Protocol { message: "expected a record".into() }),
        })
        .collect()
}
