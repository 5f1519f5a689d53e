//! Change capture: which records may have changed since the last look, from the `write_date` of
//! the rows that move them — `stock.quant` and `stock.move` for a product's stock, `sale.order` and
//! its `stock.picking`s for an order.
//!
//! Odoo stamps `write_date` with the transaction's *start* time, returns it truncated to whole
//! seconds, and a long transaction can commit rows stamped well before rows already seen. So every
//! poll re-reads an overlap window behind the newest stamp seen, and a row counts as changed only
//! when its stamp or its stock-relevant values differ from what was seen before. Comparing values,
//! not just stamps, matters: two writes within the same second carry the same truncated stamp.
//! Quants are deleted when they empty, but the move that emptied them is seen, so nothing is lost.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::{
    OdooClient, OdooError, SearchOptions,
    fields::{self, Record},
};

/// A kind of row whose changes touch a watched record.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    pub model: &'static str,
    /// A domain term narrowing the rows, if any.
    pub only: Option<(&'static str, &'static str, &'static str)>,
    /// The many2one naming the touched record (`id` for the record itself).
    pub touches: &'static str,
    /// The values whose change matters (besides the stamp).
    pub values: &'static [&'static str],
}

/// A product's stock moves with its internal quants and its moves.
pub const STOCK_SOURCES: &[Source] = &[
    // Quants of internal locations only: the counterpart quants in virtual locations
    // (inventory adjustment, customers) say nothing about a warehouse's stock.
    Source {
        model: "stock.quant",
        only: Some(("location_id.usage", "=", "internal")),
        touches: "product_id",
        values: &["quantity", "reserved_quantity"],
    },
    Source {
        model: "stock.move",
        only: None,
        touches: "product_id",
        values: &["state", "product_uom_qty", "quantity"],
    },
];

/// A sales order moves with itself and with its deliveries. Odoo stamps the order when its stored
/// statuses are recomputed (`_write_multi` sets `write_date` for computed fields too), but a line's
/// delivered quantity is the line's: a second partial delivery changes no field of the order.
pub const SALES_ORDER_SOURCES: &[Source] = &[
    Source { model: "sale.order", only: None, touches: "id", values: &["state"] },
    Source { model: "stock.picking", only: Some(("sale_id", "!=", "")), touches: "sale_id", values: &["state"] },
];

/// A shipment moves with itself (state, carrier, tracking reference) and with its moves (what is
/// reserved and picked).
pub const SHIPMENT_SOURCES: &[Source] = &[
    Source { model: "stock.picking", only: None, touches: "id", values: &["state", "carrier_tracking_ref"] },
    Source {
        model: "stock.move",
        only: Some(("picking_id", "!=", "")),
        touches: "picking_id",
        values: &["state", "product_uom_qty", "quantity", "picked"],
    },
];

/// The records touched since the previous poll, each with the newest stamp that touched it.
pub type Changed = BTreeMap<i64, OffsetDateTime>;

/// What one poll found, to be confirmed once applied.
#[derive(Debug)]
pub struct Polled {
    pub records: Changed,
    seen: Vec<((&'static str, i64), String)>,
    watermark: String,
}

/// Polls Odoo for rows changed since the last poll. One per watched kind and process, whatever the
/// number of subscribers.
#[derive(Debug)]
pub struct ChangeFeed {
    odoo: Arc<OdooClient>,
    sources: &'static [Source],
    overlap: Duration,
    /// Newest `write_date` seen, as Odoo formats it (lexical order is time order).
    watermark: String,
    /// What each row looked like when last seen, for rows inside the overlap window.
    seen: HashMap<(&'static str, i64), String>,
}

impl ChangeFeed {
    /// Starts watching from `since`: rows stamped earlier are assumed to be reflected already.
    pub fn new(odoo: Arc<OdooClient>, sources: &'static [Source], overlap: Duration, since: OffsetDateTime) -> Self {
        Self { odoo, sources, overlap, watermark: fields::odoo_datetime(since), seen: HashMap::new() }
    }

    /// One poll: the records whose rows changed since the last confirmed poll. Nothing is
    /// remembered until `confirm`, so a poll whose follow-up read fails is simply done again.
    pub async fn poll(&self) -> Result<Polled, OdooError> {
        let since = self.window_start();
        let reads = self.sources.iter().map(|source| self.rows_since(source, &since));
        let all = futures::future::try_join_all(reads).await?;
        let mut polled = Polled { records: Changed::new(), seen: Vec::new(), watermark: self.watermark.clone() };
        for (source, rows) in self.sources.iter().zip(&all) {
            for row in rows {
                let stamp = fields::text(row, "write_date").unwrap_or_default();
                let fingerprint = fingerprint(row, &stamp, source.values);
                let key = (source.model, fields::id(row)?);
                if self.seen.get(&key) == Some(&fingerprint) {
                    continue;
                }
                polled.seen.push((key, fingerprint));
                let touched = match source.touches {
                    "id" => Some(key.1),
                    field => fields::many2one(row, field)?.map(|r| r.id),
                };
                if let (Some(record), Some(at)) = (touched, fields::datetime(row, "write_date")?) {
                    let newest = polled.records.entry(record).or_insert(at);
                    *newest = (*newest).max(at);
                }
                if stamp > polled.watermark {
                    polled.watermark = stamp;
                }
            }
        }
        Ok(polled)
    }

    /// Remembers a poll whose changes have been applied.
    pub fn confirm(&mut self, polled: Polled) {
        self.seen.extend(polled.seen);
        self.watermark = polled.watermark;
        let horizon = self.window_start();
        self.seen.retain(|_, fingerprint| fingerprint.get(..19).unwrap_or_default() >= horizon.as_str());
    }

    /// Start of the window re-read by every poll: the watermark minus the overlap.
    fn window_start(&self) -> String {
        let watermark = fields::parse_odoo_datetime(&self.watermark).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        fields::odoo_datetime(watermark - self.overlap)
    }

    async fn rows_since(&self, source: &Source, since: &str) -> Result<Vec<Record>, OdooError> {
        let mut domain = vec![json!(["write_date", ">=", since])];
        if let Some((field, operator, value)) = source.only {
            // An empty value stands for Odoo's `False` ("is set" with `!=`).
            let value = if value.is_empty() { json!(false) } else { json!(value) };
            domain.push(json!([field, operator, value]));
        }
        let mut fields = vec!["id", "write_date"];
        if source.touches != "id" {
            fields.push(source.touches);
        }
        fields.extend(source.values);
        let options = SearchOptions::ordered("write_date asc, id asc").in_background();
        self.odoo.search_read(source.model, Value::Array(domain), &fields, &options, Map::new()).await
    }
}

/// A row's stamp and stock-relevant values, starting with the stamp so the window can prune by it.
fn fingerprint(row: &Record, stamp: &str, values: &[&str]) -> String {
    let mut text = stamp.to_owned();
    for field in values {
        text.push('|');
        text.push_str(&row.get(*field).map(Value::to_string).unwrap_or_default());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_stamp_with_other_values_is_a_change() {
        let row = |qty: f64| {
            serde_json::from_value::<Record>(json!({"quantity": qty, "reserved_quantity": 0.0})).expect("a record")
        };
        let stamp = "2026-11-23 04:16:02";
        let values = &["quantity", "reserved_quantity"];
        assert_eq!(fingerprint(&row(5.0), stamp, values), fingerprint(&row(5.0), stamp, values));
        assert_ne!(fingerprint(&row(5.0), stamp, values), fingerprint(&row(4.0), stamp, values));
    }
}
