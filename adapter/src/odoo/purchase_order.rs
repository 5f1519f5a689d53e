//! `purchase.order` and `purchase.order.line`. Odoo 19 renamed the line's unit `product_uom` →
//! `product_uom_id` (and taxes `taxes_id` → `tax_ids`), dropped the state `done` for a `locked`
//! flag, and records a supplier's acknowledgement in `acknowledged`, where 18 has only
//! `mail_reminder_confirmed` (set when the supplier confirms the reminder) to serve that end.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{
    Capability, DecodeError, Field, Method, Model, Odoo, Record, Row, Schema,
    ir_model_data::{self, Import, Loaded},
    orders::{self, Filters, Headers, Lines, OrderModel, Stage},
    warehouse,
};
use crate::{
    OdooCall, OdooError,
    models::{OrderQuery, OrderState, PurchaseOrder, PurchaseOrderLine, PurchaseOrderState, ReceiptStatus, Ref},
};

pub(crate) const ORDER: Model = Model::new("purchase.order", "purchase");
const NUMBER: Field = ORDER.field("name");
const SUPPLIER: Field = ORDER.field("partner_id");
const SUPPLIER_REFERENCE: Field = ORDER.field("partner_ref");
const STATE: Field = ORDER.field("state");
/// Odoo 19: a confirmed order locked against changes (18 has the state `done` for it).
const LOCKED: Field = ORDER.field("locked").optional();
const RECEIPT_STATUS: Field = ORDER.field("receipt_status").from("purchase_stock");
const LINES: Field = ORDER.field("order_line");
const UNTAXED: Field = ORDER.field("amount_untaxed");
const TOTAL: Field = ORDER.field("amount_total");
const CURRENCY: Field = ORDER.field("currency_id");
const RECEIPT_TYPE: Field = ORDER.field("picking_type_id").from("purchase_stock");
const RECEIPTS: Field = ORDER.field("picking_ids").from("purchase_stock");
const ACKNOWLEDGED: Field = ORDER.field("acknowledged").before_19("mail_reminder_confirmed");
const CREATED: Field = ORDER.field("create_date");
const UPDATED: Field = ORDER.field("write_date");

pub(crate) const FIELDS: &[Field] = &[
    NUMBER,
    SUPPLIER,
    SUPPLIER_REFERENCE,
    STATE,
    LOCKED,
    RECEIPT_STATUS,
    LINES,
    UNTAXED,
    TOTAL,
    CURRENCY,
    RECEIPT_TYPE,
    RECEIPTS,
    ACKNOWLEDGED,
    CREATED,
    UPDATED,
];

pub(crate) const LINE: Model = Model::new("purchase.order.line", "purchase");
const PRODUCT: Field = LINE.field("product_id");
const QUANTITY: Field = LINE.field("product_qty");
const LINE_UOM: Field = LINE.field("product_uom_id").before_19("product_uom");
const RECEIVED: Field = LINE.field("qty_received");
const PRICE: Field = LINE.field("price_unit");
const EXPECTED: Field = LINE.field("date_planned");
/// Set on sections and notes.
const DISPLAY: Field = LINE.field("display_type");

pub(crate) const LINE_FIELDS: &[Field] = &[PRODUCT, QUANTITY, LINE_UOM, RECEIVED, PRICE, EXPECTED, DISPLAY];

pub(crate) const ORDER_LINES: Lines = Lines::new(LINES, LINE_FIELDS, PRODUCT, QUANTITY, LINE_UOM, PRICE);

const CONFIRM: &str = "button_confirm";
const CANCEL: &str = "button_cancel";
pub(crate) const METHODS: &[Method] = &orders::methods(ORDER, CONFIRM, CANCEL);

/// `done` is Odoo 18's locked state; 19 keeps `purchase` and sets `locked` (see `states_terms`).
const STATES: &[(&str, PurchaseOrderState)] = &[
    ("draft", PurchaseOrderState::Rfq),
    ("sent", PurchaseOrderState::RfqSent),
    ("to approve", PurchaseOrderState::ToApprove),
    ("purchase", PurchaseOrderState::Confirmed),
    ("done", PurchaseOrderState::Locked),
    ("cancel", PurchaseOrderState::Cancelled),
];
const RECEIPT_STATUSES: &[(&str, ReceiptStatus)] =
    &[("pending", ReceiptStatus::Pending), ("partial", ReceiptStatus::Partial), ("full", ReceiptStatus::Full)];

/// An order's header with the warehouse its receipts go to (looked up apart, by receipt type),
/// and the ids of its lines.
pub(crate) fn decode(row: &Row<'_>, warehouses: &HashMap<i64, Ref>) -> Result<(PurchaseOrder, Vec<i64>), DecodeError> {
    let state = match row.selection(&STATE, STATES, PurchaseOrderState::Other)? {
        Some(PurchaseOrderState::Confirmed) if row.boolean(&LOCKED)? => PurchaseOrderState::Locked,
        Some(state) => state,
        None => PurchaseOrderState::Other,
    };
    let currency = row.reference(&CURRENCY)?.name;
    let order = PurchaseOrder {
        id: row.id(),
        number: row.text(&NUMBER)?.unwrap_or_default().to_owned(),
        supplier: row.reference(&SUPPLIER)?,
        supplier_reference: row.text(&SUPPLIER_REFERENCE)?.map(str::to_owned),
        state,
        receipt_status: row.selection(&RECEIPT_STATUS, RECEIPT_STATUSES, ReceiptStatus::Other)?,
        lines: Vec::new(),
        amount_untaxed: row.amount(&UNTAXED, &currency)?,
        amount_total: row.amount(&TOTAL, &currency)?,
        warehouse: row.many2one(&RECEIPT_TYPE)?.and_then(|t| warehouses.get(&t.id).cloned()),
        receipts: row.ids(&RECEIPTS)?,
        acknowledged: row.boolean(&ACKNOWLEDGED)?,
        created_at: row.datetime(&CREATED)?,
        updated_at: row.datetime(&UPDATED)?,
    };
    Ok((order, row.ids(&LINES)?))
}

/// The receipt type of an order (which warehouse it delivers to), if it can be read: an order
/// whose type cannot is reported by its own decoding.
fn receipt_type(record: &Record) -> Option<i64> {
    Some(Row::new(ORDER, record).ok()?.many2one(&RECEIPT_TYPE).ok()??.id)
}

/// Purchase orders, as the flows use them alike with sales orders (the kind of `Purchases`).
#[derive(Debug)]
pub struct PurchaseOrders;

impl OrderModel for PurchaseOrders {
    type Order = PurchaseOrder;
    type Line = PurchaseOrderLine;
    const CAPABILITY: Capability = Capability::PurchaseOrders;
    const ORDER: Model = ORDER;
    const FIELDS: &'static [Field] = FIELDS;
    const LINES: Lines = ORDER_LINES;
    const COLLECTION: &'static str = "purchaseOrders";
    const FILTERS: Filters =
        Filters { partner: SUPPLIER, reference: SUPPLIER_REFERENCE, created: CREATED, updated: UPDATED };

    /// With the warehouse each order delivers to, read by receipt type in one call.
    async fn decode(odoo: &Odoo, schema: &Schema, rows: &[Record]) -> Result<Headers<PurchaseOrder>, OdooError> {
        let types: Vec<i64> = rows.iter().filter_map(receipt_type).collect();
        let warehouses = warehouse::of_picking_types(odoo, schema, &types).await?;
        odoo.decode_each(ORDER, rows, |row| decode(row, &warehouses))
    }

    fn decode_line(
        row: &Row<'_>,
        order: &PurchaseOrder,
        skus: &HashMap<i64, String>,
    ) -> Result<Option<PurchaseOrderLine>, DecodeError> {
        if row.text(&DISPLAY)?.is_some() {
            return Ok(None);
        }
        let product = row.reference(&PRODUCT)?;
        Ok(Some(PurchaseOrderLine {
            id: row.id(),
            sku: skus.get(&product.id).cloned(),
            product,
            quantity: row.decimal(&QUANTITY)?.normalize(),
            unit: row.reference(&LINE_UOM)?,
            received: row.decimal(&RECEIVED)?.normalize(),
            unit_price: row.amount(&PRICE, &order.amount_total.currency)?,
            expected: row.datetime(&EXPECTED)?,
        }))
    }

    fn set_lines(order: &mut PurchaseOrder, lines: Vec<PurchaseOrderLine>) {
        order.lines = lines;
    }

    fn id(order: &PurchaseOrder) -> i64 {
        order.id
    }

    fn state_terms(schema: &Schema, query: &OrderQuery) -> Vec<Value> {
        let wanted: Vec<PurchaseOrderState> = query
            .states
            .iter()
            .filter_map(|s| match s {
                OrderState::Purchase(s) => Some(*s),
                OrderState::Sales(_) => None,
            })
            .collect();
        states_terms(schema, &wanted)
    }

    fn stage(order: &PurchaseOrder) -> Stage {
        match order.state {
            // Odoo decides what confirming an order in a state odoo-mesh does not know means.
            PurchaseOrderState::Rfq
            | PurchaseOrderState::RfqSent
            | PurchaseOrderState::ToApprove
            | PurchaseOrderState::Other => Stage::Draft,
            PurchaseOrderState::Confirmed | PurchaseOrderState::Locked => Stage::Confirmed,
            PurchaseOrderState::Cancelled => Stage::Cancelled,
        }
    }

    fn number(order: &PurchaseOrder) -> &str {
        &order.number
    }

    /// Odoo treats a second confirmation as a no-op.
    fn confirm(id: i64) -> OdooCall {
        OdooCall::new(ORDER.name, CONFIRM).ids(vec![id])
    }

    /// Odoo deletes only cancelled purchase orders.
    fn remove(id: i64) -> Vec<OdooCall> {
        let cancel = OdooCall::new(ORDER.name, CANCEL).ids(vec![id]);
        vec![cancel, OdooCall::new(ORDER.name, "unlink").ids(vec![id])]
    }
}

fn state_names(state: PurchaseOrderState) -> Vec<&'static str> {
    STATES.iter().filter(|(_, known)| *known == state).map(|(name, _)| *name).collect()
}

/// The domain tokens of "in any of these states" (prefix notation). Odoo 19 tells confirmed from
/// locked by its `locked` flag.
fn states_terms(schema: &Schema, wanted: &[PurchaseOrderState]) -> Vec<Value> {
    if wanted.is_empty() {
        return Vec::new();
    }
    let Some(locked) = schema.name(&LOCKED) else {
        let names: Vec<&str> = wanted.iter().flat_map(|s| state_names(*s)).collect();
        return vec![schema.term(&STATE, "in", json!(names))];
    };
    let state = schema.name(&STATE).unwrap_or(STATE.name);
    let mut tokens: Vec<Value> = vec![json!("|"); wanted.len().saturating_sub(1)];
    for wanted in wanted {
        match wanted {
            PurchaseOrderState::Confirmed | PurchaseOrderState::Locked => {
                let is_locked = *wanted == PurchaseOrderState::Locked;
                tokens.extend([json!("&"), json!([state, "=", "purchase"]), json!([locked, "=", is_locked])]);
            }
            other => tokens.push(json!([state, "in", state_names(*other)])),
        }
    }
    tokens
}

/// A purchase order to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewOrder<'a> {
    pub(crate) supplier: i64,
    pub(crate) supplier_reference: Option<&'a str>,
    /// The receipt type of the warehouse to deliver to; Odoo's default when `None`.
    pub(crate) receipt_type: Option<i64>,
    pub(crate) lines: Vec<NewLine>,
}

/// A line to import, with the date it is expected, if the caller knows it (Odoo computes it from
/// the supplier's lead time otherwise).
pub(crate) type NewLine = orders::NewLine<Option<OffsetDateTime>>;

/// Imports an order with its lines under odoo-mesh's external id `name`, create-only.
pub(crate) async fn load(odoo: &Odoo, schema: &Schema, name: &str, order: &NewOrder<'_>) -> Result<Loaded, OdooError> {
    let mut header = Import::new(name);
    header.record(schema, &SUPPLIER, order.supplier);
    header.optional(schema, &SUPPLIER_REFERENCE, order.supplier_reference.map(str::to_owned));
    if let Some(receipt_type) = order.receipt_type {
        header.record(schema, &RECEIPT_TYPE, receipt_type);
    }
    let lines = &order.lines;
    let mut table = ORDER_LINES.table(schema, name, lines);
    if lines.iter().any(|l| l.extra.is_some()) {
        table.value(schema, &EXPECTED, lines.iter().map(|l| l.extra.map(super::odoo_datetime).unwrap_or_default()));
    }
    let (columns, rows) = header.with_lines(table);
    ir_model_data::load(odoo, ORDER, &columns, rows).await
}

pub(crate) fn post_message(id: i64, body: &str) -> OdooCall {
    super::mail_message::post(ORDER, id, body)
}

/// Marks an order acknowledged by its supplier (`false` undoes it).
pub(crate) fn set_acknowledged(schema: &Schema, id: i64, acknowledged: bool) -> OdooCall {
    super::write(ORDER, id, schema.vals([(&ACKNOWLEDGED, json!(acknowledged))]))
}

/// What a supplier confirmed on a line: its quantity and expected date (moving the receipt's).
pub(crate) fn write_line(
    schema: &Schema,
    line: i64,
    quantity: Option<Decimal>,
    expected: Option<OffsetDateTime>,
) -> OdooCall {
    let mut vals = serde_json::Map::new();
    if let Some(quantity) = quantity {
        vals.extend(schema.vals([(&QUANTITY, super::decimal_value(quantity))]));
    }
    if let Some(expected) = expected {
        vals.extend(schema.vals([(&EXPECTED, json!(super::odoo_datetime(expected)))]));
    }
    super::write(LINE, line, vals)
}
