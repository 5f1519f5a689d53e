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

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::{
    OdooError, SearchOptions,
    odoo::{
        self, Field, Model, Odoo, Row, Schema, account_move, mail_message, sale_order, stock_move, stock_picking,
        stock_quant,
    },
};

/// A kind of row whose changes touch a watched record.
#[derive(Debug, Clone, Copy)]
pub struct Source {
    model: Model,
    /// Narrows the rows, if they need it.
    only: Option<fn(&Schema) -> Value>,
    /// Which record the row touches.
    touches: Touches,
    /// The row's `write_date`.
    stamp: Field,
    /// The values whose change matters (besides the stamp).
    values: &'static [Field],
}

/// Which record a changed row touches.
#[derive(Debug, Clone, Copy)]
enum Touches {
    /// The row is the record itself.
    Itself,
    /// The record its many2one names.
    Many2one(Field),
    /// The record whose id it holds (a message's `res_id`).
    Id(Field),
}

/// A product's stock moves with its internal quants and its moves.
pub const STOCK_SOURCES: &[Source] = &[
    Source {
        model: stock_quant::QUANT,
        only: Some(stock_quant::internal_only),
        touches: Touches::Many2one(stock_quant::PRODUCT),
        stamp: stock_quant::UPDATED,
        values: &[stock_quant::QUANTITY, stock_quant::RESERVED],
    },
    Source {
        model: stock_move::MOVE,
        only: None,
        touches: Touches::Many2one(stock_move::PRODUCT),
        stamp: stock_move::UPDATED,
        values: &[stock_move::STATE, stock_move::DEMAND, stock_move::QUANTITY],
    },
];

/// A sales order moves with itself and with its deliveries. Odoo stamps the order when its stored
/// statuses are recomputed (`_write_multi` sets `write_date` for computed fields too), but a line's
/// delivered quantity is the line's: a second partial delivery changes no field of the order.
pub const SALES_ORDER_SOURCES: &[Source] = &[
    Source {
        model: sale_order::ORDER,
        only: None,
        touches: Touches::Itself,
        stamp: sale_order::UPDATED,
        values: &[sale_order::STATE],
    },
    Source {
        model: stock_picking::PICKING,
        only: Some(|schema| schema.term(&stock_picking::SALES_ORDER, "!=", false)),
        touches: Touches::Many2one(stock_picking::SALES_ORDER),
        stamp: stock_picking::UPDATED,
        values: &[stock_picking::STATE],
    },
];

/// An invoice moves with itself: posted, paid (a payment reconciled with it stamps it), reversed.
pub const INVOICE_SOURCES: &[Source] = &[Source {
    model: account_move::MOVE,
    only: Some(account_move::invoices_only),
    touches: Touches::Itself,
    stamp: account_move::UPDATED,
    values: &[account_move::STATE, account_move::PAYMENT_STATE, account_move::RESIDUAL_SIGNED],
}];

/// A shipment moves with itself (state, carrier, tracking reference) and with its moves (what is
/// reserved and picked).
pub const SHIPMENT_SOURCES: &[Source] = &[
    Source {
        model: stock_picking::PICKING,
        only: None,
        touches: Touches::Itself,
        stamp: stock_picking::UPDATED,
        values: &[stock_picking::STATE, stock_picking::TRACKING],
    },
    Source {
        model: stock_move::MOVE,
        only: Some(|schema| schema.term(&stock_move::PICKING, "!=", false)),
        touches: Touches::Many2one(stock_move::PICKING),
        stamp: stock_move::UPDATED,
        values: &[stock_move::STATE, stock_move::DEMAND, stock_move::QUANTITY, stock_move::PICKED],
    },
    // The notes odoo-mesh keeps on a shipment (milestones, notices): adding one stamps no field
    // of the transfer.
    Source {
        model: mail_message::MESSAGE,
        only: Some(|schema| mail_message::on_model(schema, stock_picking::PICKING)),
        touches: Touches::Id(mail_message::DOCUMENT),
        stamp: mail_message::UPDATED,
        values: &[],
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
    odoo: Arc<Odoo>,
    sources: &'static [Source],
    overlap: Duration,
    /// Newest `write_date` seen, as Odoo formats it (lexical order is time order).
    watermark: String,
    /// What each row looked like when last seen, for rows inside the overlap window.
    seen: HashMap<(&'static str, i64), String>,
}

impl ChangeFeed {
    /// Starts watching from `since`: rows stamped earlier are assumed to be reflected already.
    pub fn new(odoo: Arc<Odoo>, sources: &'static [Source], overlap: Duration, since: OffsetDateTime) -> Self {
        Self { odoo, sources, overlap, watermark: odoo::odoo_datetime(since), seen: HashMap::new() }
    }

    /// One poll: the records whose rows changed since the last confirmed poll. Nothing is
    /// remembered until `confirm`, so a poll whose follow-up read fails is simply done again.
    pub async fn poll(&self) -> Result<Polled, OdooError> {
        let schema = self.odoo.schema().await?;
        let since = self.window_start();
        let reads = self.sources.iter().map(|source| self.rows_since(&schema, source, &since));
        let all = futures::future::try_join_all(reads).await?;
        let mut polled = Polled { records: Changed::new(), seen: Vec::new(), watermark: self.watermark.clone() };
        for (source, rows) in self.sources.iter().zip(&all) {
            // A row whose stamp or record cannot be read is left out (and reported): the poll,
            // and every watcher, goes on without it.
            let decoded = self.odoo.decode_each(source.model, rows, |row| {
                let stamp = row.text(&source.stamp)?.unwrap_or_default().to_owned();
                let touched = match &source.touches {
                    Touches::Itself => Some(row.id()),
                    Touches::Many2one(field) => row.many2one(field)?.map(|r| r.id),
                    Touches::Id(field) => Some(row.integer(field)?).filter(|id| *id > 0),
                };
                Ok((row.id(), fingerprint(row, &stamp, source.values), touched, row.datetime(&source.stamp)?, stamp))
            })?;
            for (id, fingerprint, touched, at, stamp) in decoded.items {
                let key = (source.model.name, id);
                if self.seen.get(&key) == Some(&fingerprint) {
                    continue;
                }
                polled.seen.push((key, fingerprint));
                if let (Some(record), Some(at)) = (touched, at) {
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
        let watermark = odoo::parse_odoo_datetime(&self.watermark).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        odoo::odoo_datetime(watermark - self.overlap)
    }

    async fn rows_since(&self, schema: &Schema, source: &Source, since: &str) -> Result<Vec<odoo::Record>, OdooError> {
        let mut domain = vec![schema.term(&source.stamp, ">=", since)];
        if let Some(only) = source.only {
            domain.push(only(schema));
        }
        let mut fields = vec![source.stamp];
        if let Touches::Many2one(field) | Touches::Id(field) = source.touches {
            fields.push(field);
        }
        fields.extend(source.values);
        let options = SearchOptions::ordered("write_date asc, id asc").in_background();
        self.odoo.search(schema, source.model, Value::Array(domain), &fields, &options, Map::new()).await
    }
}

/// A row's stamp and stock-relevant values, starting with the stamp so the window can prune by it.
fn fingerprint(row: &Row<'_>, stamp: &str, values: &[Field]) -> String {
    let mut text = stamp.to_owned();
    for field in values {
        text.push('|');
        text.push_str(&row.raw(field).map(Value::to_string).unwrap_or_default());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_same_stamp_with_other_values_is_a_change() {
        let record = |qty: f64| {
            serde_json::from_value::<odoo::Record>(json!({"id": 1, "quantity": qty, "reserved_quantity": 0.0}))
                .expect("a record")
        };
        let stamp = "2026-11-23 04:16:02";
        let values = &[stock_quant::QUANTITY, stock_quant::RESERVED];
        let print = |qty| fingerprint(&Row::new(stock_quant::QUANT, &record(qty)).expect("id"), stamp, values);
        assert_eq!(print(5.0), print(5.0));
        assert_ne!(print(5.0), print(4.0));
    }
}
