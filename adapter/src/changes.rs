//! Change capture: which products' stock may have changed since the last look, from the
//! `write_date` of `stock.quant` and `stock.move` rows.
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

const QUANT_FIELDS: &[&str] = &["id", "product_id", "quantity", "reserved_quantity", "write_date"];
const MOVE_FIELDS: &[&str] = &["id", "product_id", "state", "product_uom_qty", "quantity", "write_date"];

/// The products touched since the previous poll, each with the newest stamp that touched it.
pub type ChangedProducts = BTreeMap<i64, OffsetDateTime>;

/// What one poll found, to be confirmed once applied.
#[derive(Debug)]
pub struct Polled {
    pub products: ChangedProducts,
    seen: Vec<((&'static str, i64), String)>,
    watermark: String,
}

/// Polls Odoo for stock rows changed since the last poll. One per process, whatever the number of
/// subscribers.
#[derive(Debug)]
pub struct StockChanges {
    odoo: Arc<OdooClient>,
    overlap: Duration,
    /// Newest `write_date` seen, as Odoo formats it (lexical order is time order).
    watermark: String,
    /// What each row looked like when last seen, for rows inside the overlap window.
    seen: HashMap<(&'static str, i64), String>,
}

impl StockChanges {
    /// Starts watching from `since`: rows stamped earlier are assumed to be reflected already.
    pub fn new(odoo: Arc<OdooClient>, overlap: Duration, since: OffsetDateTime) -> Self {
        Self { odoo, overlap, watermark: fields::odoo_datetime(since), seen: HashMap::new() }
    }

    /// One poll: the products whose quants or moves changed since the last confirmed poll. Nothing
    /// is remembered until `confirm`, so a poll whose follow-up read fails is simply done again.
    pub async fn poll(&self) -> Result<Polled, OdooError> {
        let since = self.window_start();
        // Quants of internal locations only: the counterpart quants in virtual locations
        // (inventory adjustment, customers) say nothing about a warehouse's stock.
        let quants =
            self.rows_since("stock.quant", json!(["location_id.usage", "=", "internal"]), QUANT_FIELDS, &since);
        let moves = self.rows_since("stock.move", Value::Null, MOVE_FIELDS, &since);
        let (quants, moves) = futures::try_join!(quants, moves)?;
        let mut polled =
            Polled { products: ChangedProducts::new(), seen: Vec::new(), watermark: self.watermark.clone() };
        for (model, rows, values) in [
            ("stock.quant", &quants, &["quantity", "reserved_quantity"][..]),
            ("stock.move", &moves, &["state", "product_uom_qty", "quantity"][..]),
        ] {
            for row in rows.iter() {
                let stamp = fields::text(row, "write_date").unwrap_or_default();
                let fingerprint = fingerprint(row, &stamp, values);
                let key = (model, fields::id(row)?);
                if self.seen.get(&key) == Some(&fingerprint) {
                    continue;
                }
                polled.seen.push((key, fingerprint));
                if let (Some(product), Some(at)) =
                    (fields::many2one(row, "product_id")?, fields::datetime(row, "write_date")?)
                {
                    let newest = polled.products.entry(product.id).or_insert(at);
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

    async fn rows_since(
        &self,
        model: &str,
        extra: Value,
        fields: &[&str],
        since: &str,
    ) -> Result<Vec<Record>, OdooError> {
        let mut domain = vec![json!(["write_date", ">=", since])];
        if !extra.is_null() {
            domain.push(extra);
        }
        let options = SearchOptions::ordered("write_date asc, id asc").in_background();
        self.odoo.search_read(model, Value::Array(domain), fields, &options, Map::new()).await
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
