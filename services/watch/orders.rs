//! The watched view of recent sales orders: those changed within the retention window, kept
//! current by one capture task that polls `sale.order` and its deliveries by `write_date`, re-reads
//! the orders touched, and publishes state changes (confirmed, delivered, invoiced, cancelled).

use std::{sync::Arc, time::SystemTime};

use odoo_adapter::{
    ChangeFeed, OdooClient, OrderError, Orders, SALES_ORDER_SOURCES,
    models::{OrderQuery, SalesOrder},
};
use tokio::sync::Notify;

use super::{
    hub::{Hub, Watched},
    stock::CaptureSettings,
};

/// Orders read per page when the view is loaded.
const LOAD_PAGE: usize = 200;

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
        [
            ("state", self.state != before.state),
            ("delivery_status", self.delivery_status != before.delivery_status),
            ("invoice_status", self.invoice_status != before.invoice_status),
            ("lines", progress(self) != progress(before)),
        ]
        .into_iter()
        .filter_map(|(name, changed)| changed.then_some(name))
        .collect()
    }
}

/// The sales order view and what feeds it.
pub struct OrderView {
    pub hub: Arc<Hub<SalesOrder>>,
    wake: Notify,
}

impl OrderView {
    pub fn new(hub: Arc<Hub<SalesOrder>>) -> Self {
        Self { hub, wake: Notify::new() }
    }

    /// Asks for a poll now (Odoo's webhook fired).
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// The capture task: loads the recent orders, then polls until the process stops.
    pub async fn capture(self: Arc<Self>, orders: &Orders, odoo: Arc<OdooClient>, settings: CaptureSettings) {
        let retention = self.hub.retention();
        let mut feed = loop {
            let started = SystemTime::now();
            match self.load(orders, started.checked_sub(retention.window).unwrap_or(started)).await {
                Ok(()) => break ChangeFeed::new(odoo.clone(), SALES_ORDER_SOURCES, retention.overlap, started.into()),
                Err(error) => {
                    tracing::warn!(%error, "loading the sales order view failed; retrying");
                    metrics::counter!("odoo_mesh_watch_polls_total", "stream" => "sales_orders", "outcome" => "error")
                        .increment(1);
                    tokio::time::sleep(settings.poll_interval).await;
                }
            }
        };
        loop {
            tokio::select! {
                () = tokio::time::sleep(settings.poll_interval) => {}
                () = self.wake.notified() => tokio::time::sleep(settings.webhook_delay).await,
            }
            let started = SystemTime::now();
            let outcome = self.poll(orders, &mut feed, started).await;
            let label = if outcome.is_ok() { "ok" } else { "error" };
            metrics::counter!("odoo_mesh_watch_polls_total", "stream" => "sales_orders", "outcome" => label)
                .increment(1);
            match outcome {
                Ok(()) => {
                    let at = started.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
                    metrics::gauge!("odoo_mesh_watch_view_updated_timestamp_seconds", "stream" => "sales_orders")
                        .set(at.as_secs_f64());
                    self.hub.forget_unchanged_since(started.checked_sub(retention.window).unwrap_or(started));
                }
                Err(error) => tracing::warn!(%error, "sales order change poll failed; the view is not advancing"),
            }
        }
    }

    /// Loads the orders changed since `since`, page by page.
    async fn load(&self, orders: &Orders, since: SystemTime) -> Result<(), OrderError> {
        let started = SystemTime::now();
        let mut query = OrderQuery { limit: LOAD_PAGE, updated_since: Some(since.into()), ..OrderQuery::default() };
        let mut recent = Vec::new();
        loop {
            let (page, more) = orders.sales_orders(&query).await?;
            query.after_id = page.last().map_or(query.after_id, |o| o.id);
            recent.extend(page);
            if !more {
                break;
            }
        }
        tracing::info!(orders = recent.len(), "sales order view loaded");
        self.hub.load(recent, started);
        Ok(())
    }

    async fn poll(&self, orders: &Orders, feed: &mut ChangeFeed, started: SystemTime) -> Result<(), OrderError> {
        let polled = feed.poll().await?;
        if polled.records.is_empty() {
            feed.confirm(polled);
            self.hub.advance(started);
            return Ok(());
        }
        let ids: Vec<i64> = polled.records.keys().copied().collect();
        let changed = orders.sales_orders_by_id(&ids).await?;
        let stamped = changed
            .into_iter()
            .map(|order| {
                let at = polled.records.get(&order.id).map_or(started, |at| SystemTime::from(*at));
                (order, at)
            })
            .collect();
        let published = self.hub.apply(stamped, started);
        tracing::debug!(orders = ids.len(), published = published.len(), "sales order changes applied");
        feed.confirm(polled);
        Ok(())
    }
}
