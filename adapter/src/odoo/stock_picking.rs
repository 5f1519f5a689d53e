//! `stock.picking`: a transfer — a delivery, a receipt, a return, or an internal move.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{DecodeError, Field, Model, Odoo, Row, Schema};
use crate::{
    OdooError, SearchOptions,
    models::{Ref, ShipmentKind, ShipmentState},
};

pub(crate) const PICKING: Model = Model::new("stock.picking", "stock");
const NAME: Field = PICKING.field("name");
pub(crate) const STATE: Field = PICKING.field("state");
const CODE: Field = PICKING.field("picking_type_code");
const PARTNER: Field = PICKING.field("partner_id");
pub(crate) const SALES_ORDER: Field = PICKING.field("sale_id").from("sale_stock").optional();
const PURCHASE_ORDER: Field = PICKING.field("purchase_id").from("purchase_stock").optional();
pub(crate) const MOVES: Field = PICKING.field("move_ids");
const CARRIER: Field = PICKING.field("carrier_id").from("stock_delivery").optional();
pub(crate) const TRACKING: Field = PICKING.field("carrier_tracking_ref").from("stock_delivery").optional();
const BACKORDER_OF: Field = PICKING.field("backorder_id");
const RETURN_OF: Field = PICKING.field("return_id");
const SCHEDULED: Field = PICKING.field("scheduled_date");
const DONE_AT: Field = PICKING.field("date_done");
pub(crate) const UPDATED: Field = PICKING.field("write_date");

pub(crate) const FIELDS: &[Field] = &[
    NAME,
    STATE,
    CODE,
    PARTNER,
    SALES_ORDER,
    PURCHASE_ORDER,
    MOVES,
    CARRIER,
    TRACKING,
    BACKORDER_OF,
    RETURN_OF,
    SCHEDULED,
    DONE_AT,
    UPDATED,
];

const DONE: &str = "done";
const CANCELLED: &str = "cancel";

const STATES: &[(&str, ShipmentState)] = &[
    ("draft", ShipmentState::Draft),
    ("waiting", ShipmentState::Waiting),
    ("confirmed", ShipmentState::Confirmed),
    ("assigned", ShipmentState::Ready),
    (DONE, ShipmentState::Done),
    (CANCELLED, ShipmentState::Cancelled),
];

fn state(row: &Row<'_>) -> Result<ShipmentState, DecodeError> {
    Ok(row.selection(&STATE, STATES, ShipmentState::Other)?.unwrap_or(ShipmentState::Other))
}

/// A transfer's header; its moves are read apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Picking {
    pub(crate) id: i64,
    pub(crate) reference: String,
    pub(crate) kind: ShipmentKind,
    pub(crate) state: ShipmentState,
    pub(crate) partner: Option<Ref>,
    pub(crate) sales_order: Option<i64>,
    pub(crate) purchase_order: Option<i64>,
    pub(crate) moves: Vec<i64>,
    pub(crate) carrier: Option<Ref>,
    pub(crate) tracking_reference: Option<String>,
    pub(crate) backorder_of: Option<i64>,
    pub(crate) scheduled: Option<OffsetDateTime>,
    pub(crate) done_at: Option<OffsetDateTime>,
}

pub(crate) fn decode(row: &Row<'_>) -> Result<Picking, DecodeError> {
    let kind = match row.text(&CODE)? {
        _ if row.many2one(&RETURN_OF)?.is_some() => ShipmentKind::Return,
        Some("incoming") => ShipmentKind::Receipt,
        Some("outgoing") => ShipmentKind::Delivery,
        _ => ShipmentKind::Internal,
    };
    Ok(Picking {
        id: row.id(),
        reference: row.text(&NAME)?.unwrap_or_default().to_owned(),
        kind,
        state: state(row)?,
        partner: row.many2one(&PARTNER)?,
        sales_order: row.many2one(&SALES_ORDER)?.map(|o| o.id),
        purchase_order: row.many2one(&PURCHASE_ORDER)?.map(|o| o.id),
        moves: row.ids(&MOVES)?,
        carrier: row.many2one(&CARRIER)?,
        tracking_reference: row.text(&TRACKING)?.map(str::to_owned),
        backorder_of: row.many2one(&BACKORDER_OF)?.map(|b| b.id),
        scheduled: row.datetime(&SCHEDULED)?,
        done_at: row.datetime(&DONE_AT)?,
    })
}

/// Transfers still open, and those changed since `since`.
pub(crate) fn open_or_changed_since(schema: &Schema, since: OffsetDateTime) -> Value {
    json!([
        "|",
        schema.term(&STATE, "not in", json!([DONE, CANCELLED])),
        schema.term(&UPDATED, ">=", super::odoo_datetime(since))
    ])
}

/// The references of those among `ids` that are done: goods that have left (or arrived).
pub(crate) async fn done_among(odoo: &Odoo, schema: &Schema, ids: &[i64]) -> Result<Vec<String>, OdooError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let domain = json!([["id", "in", ids], schema.term(&STATE, "=", DONE)]);
    let rows = odoo.search(schema, PICKING, domain, &[NAME], &SearchOptions::ordered("id"), Map::new()).await?;
    rows.iter().map(|r| Ok(Row::new(PICKING, r)?.text(&NAME)?.unwrap_or_default().to_owned())).collect()
}
