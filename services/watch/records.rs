//! Watched views of recent records — sales orders, shipments — each kept current by one capture
//! task that polls the rows that move them (`ChangeFeed`), re-reads the records touched, and
//! publishes what changed. A view holds the records changed within the retention window (and,
//! for shipments, those still open): what `send_initial` sends.

use std::{future::Future, sync::Arc, time::SystemTime};

use odoo_adapter::{
    ChangeFeed, Finance, FlowError, INVOICE_SOURCES, Odoo, OdooError, SALES_ORDER_SOURCES, SHIPMENT_SOURCES, Sales,
    Shipments, Source,
    models::{Invoice, OrderQuery, SalesOrder, Shipment},
};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::{
    hub::{Hub, Watched},
    stock::{CaptureSettings, PollClock, missing_capability, record_poll},
};

/// Orders read per page when the view is loaded.
const LOAD_PAGE: usize = 200;

/// How a kind of record is read from Odoo.
pub trait Reader: Send + Sync + 'static {
    type Item: Watched<Key = i64>;
    type Error: std::fmt::Display + Send;
    /// The stream name in metrics.
    const NAME: &'static str;
    /// The rows whose changes touch a record.
    const SOURCES: &'static [Source];
    /// What a new view holds: records changed since `since` (and any still open).
    fn recent(&self, since: OffsetDateTime) -> impl Future<Output = Result<Vec<Self::Item>, Self::Error>> + Send;
    /// The records with these ids that exist.
    fn by_id(&self, ids: &[i64]) -> impl Future<Output = Result<Vec<Self::Item>, Self::Error>> + Send;
    /// Why the records cannot be read from this Odoo at all, when that is what `error` says.
    fn missing_capability(error: &Self::Error) -> Option<String>;
}

impl Reader for Sales {
    type Item = SalesOrder;
    type Error = FlowError;
    const NAME: &'static str = "sales_orders";
    const SOURCES: &'static [Source] = SALES_ORDER_SOURCES;

    async fn recent(&self, since: OffsetDateTime) -> Result<Vec<SalesOrder>, FlowError> {
        let mut query = OrderQuery { limit: LOAD_PAGE, updated_since: Some(since), ..OrderQuery::default() };
        let mut recent = Vec::new();
        loop {
            let page = self.list(&query).await?;
            // After the last order read, decoded or not: a page of undecodable orders must not
            // stop the load, nor loop on them.
            query.after_id = page.last_id.unwrap_or(query.after_id);
            recent.extend(page.items);
            if !page.more {
                return Ok(recent);
            }
        }
    }

    async fn by_id(&self, ids: &[i64]) -> Result<Vec<SalesOrder>, FlowError> {
        Sales::by_id(self, ids).await
    }

    fn missing_capability(error: &FlowError) -> Option<String> {
        match error {
            FlowError::Odoo(error) => missing_capability(error),
            _ => None,
        }
    }
}

impl Reader for Shipments {
    type Item = Shipment;
    type Error = OdooError;
    const NAME: &'static str = "shipments";
    const SOURCES: &'static [Source] = SHIPMENT_SOURCES;

    async fn recent(&self, since: OffsetDateTime) -> Result<Vec<Shipment>, OdooError> {
        self.open_or_changed_since(since).await
    }

    async fn by_id(&self, ids: &[i64]) -> Result<Vec<Shipment>, OdooError> {
        Shipments::by_id(self, ids).await
    }

    fn missing_capability(error: &OdooError) -> Option<String> {
        missing_capability(error)
    }
}

impl Reader for Finance {
    type Item = Invoice;
    type Error = OdooError;
    const NAME: &'static str = "invoices";
    const SOURCES: &'static [Source] = INVOICE_SOURCES;

    async fn recent(&self, since: OffsetDateTime) -> Result<Vec<Invoice>, OdooError> {
        self.changed_since(since).await
    }

    async fn by_id(&self, ids: &[i64]) -> Result<Vec<Invoice>, OdooError> {
        Finance::by_id(self, ids).await
    }

    fn missing_capability(error: &OdooError) -> Option<String> {
        missing_capability(error)
    }
}

/// Names the fields of `pairs` whose values differ.
fn differing(pairs: &[(&'static str, bool)]) -> Vec<&'static str> {
    pairs.iter().filter_map(|(name, changed)| changed.then_some(*name)).collect()
}

impl Watched for SalesOrder {
    type Key = i64;

    fn key(&self) -> Self::Key {
        self.id
    }

    /// What a client following an order's progress cares about; amounts and addresses change
    /// only on quotations, which `state` covers.
    fn changed_fields(&self, before: Option<&Self>) -> Vec<&'static str> {
        let Some(before) = before else {
            return vec!["state", "delivery_status", "invoice_status", "lines"];
        };
        let progress = |o: &SalesOrder| -> Vec<_> {
            o.lines.iter().map(|l| (l.id, l.quantity, l.delivered, l.invoiced)).collect()
        };
        differing(&[
            ("state", self.state != before.state),
            ("delivery_status", self.delivery_status != before.delivery_status),
            ("invoice_status", self.invoice_status != before.invoice_status),
            ("lines", progress(self) != progress(before)),
        ])
    }
}

impl Watched for Shipment {
    type Key = i64;

    fn key(&self) -> Self::Key {
        self.id
    }

    /// Assigned, done, cancelled, tracking changed (parcels, milestones), quantities reserved or
    /// picked, a notice of what the supplier sent.
    fn changed_fields(&self, before: Option<&Self>) -> Vec<&'static str> {
        let Some(before) = before else {
            return vec!["state", "tracking_reference", "carrier", "lines", "tracking_events", "asn"];
        };
        differing(&[
            ("state", self.state != before.state),
            ("tracking_reference", self.tracking_references != before.tracking_references),
            ("carrier", self.carrier != before.carrier),
            ("lines", self.lines != before.lines),
            ("tracking_events", self.tracking_events != before.tracking_events),
            ("asn", self.asn != before.asn),
        ])
    }
}

/// The view of one kind of record and what feeds it.
pub struct RecordView<R: Reader> {
    pub hub: Arc<Hub<R::Item>>,
    wake: Notify,
}

impl<R: Reader> RecordView<R> {
    pub fn new(hub: Arc<Hub<R::Item>>) -> Self {
        Self { hub, wake: Notify::new() }
    }

    /// Asks for a poll now (Odoo's webhook fired).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// The capture task: loads the recent records, then polls until the process stops.
    pub async fn capture(self: Arc<Self>, reader: &R, odoo: Arc<Odoo>, settings: CaptureSettings) {
        let retention = self.hub.retention();
        let mut feed = loop {
            let started = SystemTime::now();
            let since = started.checked_sub(retention.window).unwrap_or(started);
            match reader.recent(since.into()).await {
                Ok(recent) => {
                    let _ = self.hub.set_unavailable(None);
                    tracing::info!(stream = R::NAME, records = recent.len(), "view loaded");
                    self.hub.load(recent, started);
                    break ChangeFeed::new(odoo.clone(), R::SOURCES, retention.overlap, started.into());
                }
                Err(error) => {
                    let missing = R::missing_capability(&error);
                    // A missing module is said once; it answers every watch until it is installed.
                    if self.hub.set_unavailable(missing.clone()) || missing.is_none() {
                        tracing::warn!(stream = R::NAME, %error, "loading the view failed; retrying");
                    }
                    metrics::counter!("odoo_mesh_watch_polls_total", "stream" => R::NAME, "outcome" => "error")
                        .increment(1);
                    tokio::time::sleep(settings.poll_interval).await;
                }
            }
        };
        let mut clock = PollClock::new(&self.wake, settings);
        loop {
            clock.tick().await;
            let started = SystemTime::now();
            let outcome = self.poll(reader, &mut feed, started).await;
            if outcome.is_ok() {
                self.hub.forget_unchanged_since(started.checked_sub(retention.window).unwrap_or(started));
            }
            record_poll(R::NAME, outcome.as_ref().map_err(Clone::clone), started);
        }
    }

    async fn poll(&self, reader: &R, feed: &mut ChangeFeed, started: SystemTime) -> Result<(), String> {
        let polled = feed.poll().await.map_err(|e| e.to_string())?;
        if polled.records.is_empty() {
            feed.confirm(polled);
            self.hub.advance(started);
            return Ok(());
        }
        let ids: Vec<i64> = polled.records.keys().copied().collect();
        let changed = reader.by_id(&ids).await.map_err(|e| e.to_string())?;
        let stamped = changed
            .into_iter()
            .map(|record| {
                let at = polled.records.get(&record.key()).map_or(started, |at| SystemTime::from(*at));
                (record, at)
            })
            .collect();
        let published = self.hub.apply(stamped, started);
        tracing::debug!(stream = R::NAME, records = ids.len(), published = published.len(), "changes applied");
        feed.confirm(polled);
        Ok(())
    }
}

impl Watched for Invoice {
    type Key = i64;

    fn key(&self) -> Self::Key {
        self.id
    }

    /// Posted, paid (in part), reversed, cancelled — what billing systems follow.
    fn changed_fields(&self, before: Option<&Self>) -> Vec<&'static str> {
        let Some(before) = before else {
            return vec!["state", "payment_state", "amount_residual", "payments", "credit_notes"];
        };
        differing(&[
            ("state", self.state != before.state),
            ("payment_state", self.payment_state != before.payment_state),
            ("amount_residual", self.residual != before.residual),
            ("payments", self.payments != before.payments),
            ("credit_notes", self.credit_notes != before.credit_notes),
        ])
    }
}
