//! `stock.picking`: a transfer — a delivery, a receipt, a return, or an internal move — and how
//! it is validated. `button_validate` on a partial pick answers the backorder wizard and validates
//! nothing, and that wizard driven without the action's context silently does nothing (recordings
//! 068–070 of Odoo 18, 19–21 of 19); the first customer delivery of a company on Odoo 19 answers
//! the SMS wizard instead. So odoo-mesh never drives a wizard: one `button_validate` carries the
//! context that answers them all (`skip_backorder`, `picking_ids_not_to_backorder`, `skip_sms`),
//! and validation is one call — one transaction, on JSON-2 too.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{DecodeError, Field, Model, Odoo, Row, Schema, warehouse};
use crate::{
    OdooCall, OdooError, SearchOptions,
    models::{Ref, Rest, ShipmentKind, ShipmentQuery, ShipmentState},
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
pub(crate) const BACKORDER_OF: Field = PICKING.field("backorder_id");
const BACKORDERS: Field = PICKING.field("backorder_ids");
pub(crate) const RETURN_OF: Field = PICKING.field("return_id");
const RETURNS: Field = PICKING.field("return_ids");
const TYPE: Field = PICKING.field("picking_type_id");
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
    BACKORDERS,
    RETURN_OF,
    RETURNS,
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
    pub(crate) tracking_references: Vec<String>,
    pub(crate) backorder_of: Option<i64>,
    pub(crate) backorders: Vec<i64>,
    pub(crate) return_of: Option<i64>,
    pub(crate) returns: Vec<i64>,
    pub(crate) scheduled: Option<OffsetDateTime>,
    pub(crate) done_at: Option<OffsetDateTime>,
}

pub(crate) fn decode(row: &Row<'_>) -> Result<Picking, DecodeError> {
    let return_of = row.many2one(&RETURN_OF)?.map(|r| r.id);
    let kind = match row.text(&CODE)? {
        _ if return_of.is_some() => ShipmentKind::Return,
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
        tracking_references: row.text(&TRACKING)?.map(split_references).unwrap_or_default(),
        backorder_of: row.many2one(&BACKORDER_OF)?.map(|b| b.id),
        backorders: row.ids(&BACKORDERS)?,
        return_of,
        returns: row.ids(&RETURNS)?,
        scheduled: row.datetime(&SCHEDULED)?,
        done_at: row.datetime(&DONE_AT)?,
    })
}

/// Odoo keeps a shipment's parcels in one text; carriers' connectors separate them with commas.
const REFERENCE_SEPARATOR: &str = ",";

fn split_references(text: &str) -> Vec<String> {
    text.split(REFERENCE_SEPARATOR).map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect()
}

/// Sets a shipment's carrier (when given) and its parcels' tracking references; Odoo lets both
/// change after the shipment is done (recording 077).
pub(crate) fn set_tracking(schema: &Schema, id: i64, carrier: Option<i64>, references: &[String]) -> OdooCall {
    let mut vals = schema.vals([(&TRACKING, json!(references.join(REFERENCE_SEPARATOR)))]);
    if let Some(carrier) = carrier {
        vals.extend(schema.vals([(&CARRIER, json!(carrier))]));
    }
    super::write(PICKING, id, vals)
}

/// Validates a transfer in one call, with the context that answers every wizard Odoo would
/// otherwise return: the backorder question, and (Odoo 19) the first delivery's SMS question.
/// Odoo answers `true` once done; anything else means it validated nothing.
pub(crate) fn validate(id: i64, rest: Rest) -> OdooCall {
    let call = OdooCall::new(PICKING.name, "button_validate")
        .ids(vec![id])
        .context("skip_backorder", json!(true))
        .context("skip_sms", json!(true));
    match rest {
        Rest::Backorder => call,
        Rest::Cancel => call.context("picking_ids_not_to_backorder", json!([id])),
    }
}

/// Plans a transfer for `at` (Odoo moves its moves' dates along).
pub(crate) fn schedule(schema: &Schema, id: i64, at: OffsetDateTime) -> OdooCall {
    super::write(PICKING, id, schema.vals([(&SCHEDULED, json!(super::odoo_datetime(at)))]))
}

/// The calls that undo a transfer's creation: cancel it, then delete it.
pub(crate) fn remove(id: i64) -> Vec<OdooCall> {
    vec![
        OdooCall::new(PICKING.name, "action_cancel").ids(vec![id]),
        OdooCall::new(PICKING.name, "unlink").ids(vec![id]),
    ]
}

/// The transfers made of what `id` left to do, newest last.
pub(crate) async fn backorders_of(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Vec<i64>, OdooError> {
    let domain = json!([schema.term(&BACKORDER_OF, "=", id)]);
    ids(odoo, schema, domain).await
}

async fn ids(odoo: &Odoo, schema: &Schema, domain: Value) -> Result<Vec<i64>, OdooError> {
    let rows = odoo.search(schema, PICKING, domain, &[], &SearchOptions::ordered("id"), Map::new()).await?;
    rows.iter().map(|r| Ok(Row::new(PICKING, r)?.id())).collect()
}

/// A page's filters, after the query's last id. Internal transfers are not shipments.
pub(crate) async fn page_domain(odoo: &Odoo, schema: &Schema, query: &ShipmentQuery) -> Result<Value, OdooError> {
    let mut domain = vec![json!(["id", ">", query.after_id])];
    domain.push(match query.kind {
        Some(ShipmentKind::Return) => schema.term(&RETURN_OF, "!=", false),
        Some(ShipmentKind::Delivery) => schema.term(&CODE, "=", "outgoing"),
        Some(ShipmentKind::Receipt) => schema.term(&CODE, "=", "incoming"),
        Some(ShipmentKind::Internal) | None => schema.term(&CODE, "in", json!(["outgoing", "incoming"])),
    });
    if matches!(query.kind, Some(ShipmentKind::Delivery | ShipmentKind::Receipt)) {
        domain.push(schema.term(&RETURN_OF, "=", false));
    }
    if !query.states.is_empty() {
        let names: Vec<&str> =
            STATES.iter().filter(|(_, state)| query.states.contains(state)).map(|(name, _)| *name).collect();
        domain.push(schema.term(&STATE, "in", json!(names)));
    }
    if let Some(order) = query.sales_order {
        domain.push(schema.term(&SALES_ORDER, "=", order));
    }
    if let Some(order) = query.purchase_order {
        domain.push(schema.term(&PURCHASE_ORDER, "=", order));
    }
    if let Some(carrier) = query.carrier {
        domain.push(schema.term(&CARRIER, "=", carrier));
    }
    if let Some(warehouse) = query.warehouse {
        let types = warehouse::picking_types_of(odoo, schema, warehouse).await?;
        domain.push(schema.term(&TYPE, "in", json!(types)));
    }
    if let Some(since) = query.updated_since {
        domain.push(schema.term(&UPDATED, ">=", super::odoo_datetime(since)));
    }
    Ok(Value::Array(domain))
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
