//! Following stock levels with a watch that outlives its streams. The watch keeps the newest
//! resume token (from every change and heartbeat) and, when a stream drops — the connection broke,
//! the server restarted or drained, this consumer fell behind — opens a new one after that token:
//! every level that changed meanwhile comes again, on this server or another replica. Levels are
//! absolute, so one delivered twice is harmless. When the server can no longer resume from the
//! token (too old, or made with another key) the watch starts over with the current levels.

use std::{collections::BTreeMap, time::Duration};

use odoo_mesh_client::{
    Retry, error_reason, field_violations,
    proto::inventory::v1::{
        StockLevel, WatchEventType, WatchStockLevelsRequest, WatchStockLevelsResponse,
        inventory_service_client::InventoryServiceClient,
    },
    resume_token,
    tonic::{Code, Status, Streaming, transport::Channel},
};

/// The first wait before opening a stream again when the server does not say how long.
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// The longest wait between tries.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// A stock watch of some SKUs and warehouses, and the levels it has seen.
pub(crate) struct StockWatch {
    client: InventoryServiceClient<Channel>,
    skus: Vec<String>,
    warehouses: Vec<String>,
    /// Where to resume; empty to start with the current levels (`send_initial`).
    resume_token: String,
    /// Of the last event; comparable within one stream only.
    revision: i64,
    stream: Option<Streaming<WatchStockLevelsResponse>>,
    /// The newest levels by SKU and warehouse.
    levels: BTreeMap<(String, String), StockLevel>,
    backoff: Duration,
}

impl StockWatch {
    /// A watch of `skus` in `warehouses` (resource names; empty for all), starting with their
    /// current levels.
    pub(crate) fn new(client: InventoryServiceClient<Channel>, skus: Vec<String>, warehouses: Vec<String>) -> Self {
        Self {
            client,
            skus,
            warehouses,
            resume_token: String::new(),
            revision: 0,
            stream: None,
            levels: BTreeMap::new(),
            backoff: FIRST_BACKOFF,
        }
    }

    /// Continues after `token`, kept from an earlier watch of the same filter (by a previous run
    /// of this service): only what changed since comes.
    pub(crate) fn resuming_after(mut self, token: String) -> Self {
        self.resume_token = token;
        self
    }

    /// The token to resume after everything delivered so far; empty before the snapshot ended.
    pub(crate) fn resume_token(&self) -> &str {
        &self.resume_token
    }

    /// The revision of the last event.
    pub(crate) fn revision(&self) -> i64 {
        self.revision
    }

    /// The newest levels of `sku` in `warehouse` seen.
    pub(crate) fn level(&self, sku: &str, warehouse: &str) -> Option<&StockLevel> {
        self.levels.get(&(sku.to_owned(), warehouse.to_owned()))
    }

    /// The next snapshot, snapshot-end or change event (heartbeats only move the resume token),
    /// opening streams as needed. Fails only when the watch cannot go on: the server refuses it
    /// (a bad filter, not allowed).
    pub(crate) async fn next(&mut self) -> Result<WatchStockLevelsResponse, Status> {
        loop {
            let received = match &mut self.stream {
                Some(stream) => stream.message().await,
                None => match self.open().await {
                    Ok(stream) => {
                        self.stream = Some(stream);
                        continue;
                    }
                    Err(status) => Err(status),
                },
            };
            match received {
                Ok(Some(event)) => {
                    self.backoff = FIRST_BACKOFF;
                    if let Some(event) = self.apply(event) {
                        return Ok(event);
                    }
                }
                // The server closes a stream with a status; without one the connection went away.
                Ok(None) => self.recover(Status::unavailable("the stream ended without a status")).await?,
                Err(status) => self.recover(status).await?,
            }
        }
    }

    async fn open(&mut self) -> Result<Streaming<WatchStockLevelsResponse>, Status> {
        let request = WatchStockLevelsRequest {
            skus: self.skus.clone(),
            warehouses: self.warehouses.clone(),
            send_initial: self.resume_token.is_empty(),
            resume_token: self.resume_token.clone(),
            locations: Vec::new(),
        };
        Ok(self.client.watch_stock_levels(request).await?.into_inner())
    }

    /// Keeps what `event` says; the event if the caller should see it.
    fn apply(&mut self, event: WatchStockLevelsResponse) -> Option<WatchStockLevelsResponse> {
        // Snapshot events carry no token: a stream broken during its snapshot starts over.
        if !event.resume_token.is_empty() {
            self.resume_token.clone_from(&event.resume_token);
            self.revision = event.revision;
        }
        match event.r#type() {
            WatchEventType::Snapshot | WatchEventType::Changed => {
                let level = event.level.clone()?;
                let warehouse = level.warehouse.as_ref().map(|w| w.name.clone()).unwrap_or_default();
                self.levels.insert((event.sku.clone(), warehouse), level);
                Some(event)
            }
            WatchEventType::SnapshotEnd => Some(event),
            WatchEventType::Heartbeat | WatchEventType::Unspecified => None,
        }
    }

    /// After the stream ended with `status`: resume, start over, or give up.
    async fn recover(&mut self, status: Status) -> Result<(), Status> {
        self.stream = None;
        if needs_resync(&status) {
            eprintln!("stock watch: cannot resume ({}); starting over with the current levels", status.message());
            self.resume_token.clear();
            self.levels.clear();
            return Ok(());
        }
        // A stream the server ended itself says where to resume.
        if let Some(token) = resume_token(&status) {
            self.resume_token = token;
        }
        let wait = match Retry::of(&status) {
            Retry::After(delay) => delay,
            Retry::Backoff => self.backoff,
            // A broken connection shows as one of these, whatever broke it; a watch is a read and
            // safe to open again.
            Retry::Never if matches!(status.code(), Code::Unknown | Code::Internal | Code::Cancelled) => self.backoff,
            Retry::Never => return Err(status),
        };
        eprintln!("stock watch: stream ended ({:?}: {}); resuming in {wait:?}", status.code(), status.message());
        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        tokio::time::sleep(wait).await;
        Ok(())
    }
}

/// Whether the server cannot resume from the token: it is older than the history kept
/// (`RESUME_TOKEN_EXPIRED`), or not one it can read (another deployment, a changed key).
fn needs_resync(status: &Status) -> bool {
    match status.code() {
        Code::FailedPrecondition => error_reason(status).as_deref() == Some("RESUME_TOKEN_EXPIRED"),
        Code::InvalidArgument => field_violations(status).iter().any(|v| v.field == "resume_token"),
        _ => false,
    }
}
