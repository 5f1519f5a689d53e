//! `sale.order` and `sale.order.line`. Odoo 19 renamed the line's unit `product_uom` →
//! `product_uom_id` and its taxes `tax_id` → `tax_ids`; statuses and methods are the same in both.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{
    Capability, DecodeError, Field, Method, Model, Odoo, Record, Row, Schema,
    ir_model_data::{self, Import, Loaded},
    orders::{self, Filters, Headers, Lines, OrderModel, Stage},
};
use crate::{
    OdooCall, OdooError,
    models::{DeliveryStatus, InvoiceStatus, OrderQuery, OrderState, SalesOrder, SalesOrderLine, SalesOrderState},
};

pub(crate) const ORDER: Model = Model::new("sale.order", "sale");
const NUMBER: Field = ORDER.field("name");
const CUSTOMER: Field = ORDER.field("partner_id");
const INVOICE_ADDRESS: Field = ORDER.field("partner_invoice_id");
const DELIVERY_ADDRESS: Field = ORDER.field("partner_shipping_id");
const CUSTOMER_REFERENCE: Field = ORDER.field("client_order_ref");
pub(crate) const STATE: Field = ORDER.field("state");
const DELIVERY_STATUS: Field = ORDER.field("delivery_status").from("sale_stock");
const INVOICE_STATUS: Field = ORDER.field("invoice_status");
const LINES: Field = ORDER.field("order_line");
const UNTAXED: Field = ORDER.field("amount_untaxed");
const TAX: Field = ORDER.field("amount_tax");
const TOTAL: Field = ORDER.field("amount_total");
const CURRENCY: Field = ORDER.field("currency_id");
const WAREHOUSE: Field = ORDER.field("warehouse_id").from("sale_stock");
const PRICELIST: Field = ORDER.field("pricelist_id");
const COMMITMENT: Field = ORDER.field("commitment_date");
const DELIVERIES: Field = ORDER.field("picking_ids").from("sale_stock");
const INVOICES: Field = ORDER.field("invoice_ids");
const NOTE: Field = ORDER.field("note");
const CREATED: Field = ORDER.field("create_date");
pub(crate) const UPDATED: Field = ORDER.field("write_date");

pub(crate) const FIELDS: &[Field] = &[
    NUMBER,
    CUSTOMER,
    INVOICE_ADDRESS,
    DELIVERY_ADDRESS,
    CUSTOMER_REFERENCE,
    STATE,
    DELIVERY_STATUS,
    INVOICE_STATUS,
    LINES,
    UNTAXED,
    TAX,
    TOTAL,
    CURRENCY,
    WAREHOUSE,
    PRICELIST,
    COMMITMENT,
    DELIVERIES,
    INVOICES,
    NOTE,
    CREATED,
    UPDATED,
];

pub(crate) const LINE: Model = Model::new("sale.order.line", "sale");
const PRODUCT: Field = LINE.field("product_id");
const QUANTITY: Field = LINE.field("product_uom_qty");
pub(crate) const LINE_UOM: Field = LINE.field("product_uom_id").before_19("product_uom");
const DELIVERED: Field = LINE.field("qty_delivered");
const INVOICED: Field = LINE.field("qty_invoiced");
const PRICE: Field = LINE.field("price_unit");
pub(crate) const DISCOUNT: Field = LINE.field("discount");
const SUBTOTAL: Field = LINE.field("price_subtotal");
/// Set on sections and notes.
const DISPLAY: Field = LINE.field("display_type");
/// Down payments invoiced ahead become lines of their own, without a product.
const DOWN_PAYMENT: Field = LINE.field("is_downpayment");

pub(crate) const LINE_FIELDS: &[Field] =
    &[PRODUCT, QUANTITY, LINE_UOM, DELIVERED, INVOICED, PRICE, DISCOUNT, SUBTOTAL, DISPLAY, DOWN_PAYMENT];

pub(crate) const ORDER_LINES: Lines = Lines::new(LINES, LINE_FIELDS, PRODUCT, QUANTITY, LINE_UOM, PRICE);

const CONFIRM: &str = "action_confirm";
const CANCEL: &str = "action_cancel";
pub(crate) const METHODS: &[Method] = &orders::methods(ORDER, CONFIRM, CANCEL);

const STATES: &[(&str, SalesOrderState)] = &[
    ("draft", SalesOrderState::Quotation),
    ("sent", SalesOrderState::QuotationSent),
    ("sale", SalesOrderState::Confirmed),
    ("cancel", SalesOrderState::Cancelled),
];
const DELIVERY_STATUSES: &[(&str, DeliveryStatus)] = &[
    ("pending", DeliveryStatus::Pending),
    ("started", DeliveryStatus::Started),
    ("partial", DeliveryStatus::Partial),
    ("full", DeliveryStatus::Full),
];
const INVOICE_STATUSES: &[(&str, InvoiceStatus)] = &[
    ("no", InvoiceStatus::Nothing),
    ("to invoice", InvoiceStatus::ToInvoice),
    ("invoiced", InvoiceStatus::Invoiced),
    ("upselling", InvoiceStatus::Upselling),
];

/// An order's header, and the ids of its lines (read apart, for any number of orders at once).
pub(crate) fn decode(row: &Row<'_>) -> Result<(SalesOrder, Vec<i64>), DecodeError> {
    let currency = row.reference(&CURRENCY)?.name;
    let order = SalesOrder {
        id: row.id(),
        number: row.text(&NUMBER)?.unwrap_or_default().to_owned(),
        customer: row.reference(&CUSTOMER)?,
        invoice_address: row.many2one(&INVOICE_ADDRESS)?,
        delivery_address: row.many2one(&DELIVERY_ADDRESS)?,
        customer_reference: row.text(&CUSTOMER_REFERENCE)?.map(str::to_owned),
        state: row.selection(&STATE, STATES, SalesOrderState::Other)?.unwrap_or(SalesOrderState::Other),
        delivery_status: row.selection(&DELIVERY_STATUS, DELIVERY_STATUSES, DeliveryStatus::Other)?,
        invoice_status: row
            .selection(&INVOICE_STATUS, INVOICE_STATUSES, InvoiceStatus::Other)?
            .unwrap_or(InvoiceStatus::Nothing),
        lines: Vec::new(),
        amount_untaxed: row.amount(&UNTAXED, &currency)?,
        amount_tax: row.amount(&TAX, &currency)?,
        amount_total: row.amount(&TOTAL, &currency)?,
        warehouse: row.many2one(&WAREHOUSE)?,
        pricelist: row.many2one(&PRICELIST)?,
        commitment: row.datetime(&COMMITMENT)?,
        pickings: row.ids(&DELIVERIES)?,
        invoices: row.ids(&INVOICES)?,
        note: row.text(&NOTE)?.map(str::to_owned),
        created_at: row.datetime(&CREATED)?,
        updated_at: row.datetime(&UPDATED)?,
    };
    Ok((order, row.ids(&LINES)?))
}

/// Sales orders, as the flows use them alike with purchase orders (the kind of `Sales`).
#[derive(Debug)]
pub struct SalesOrders;

impl OrderModel for SalesOrders {
    type Order = SalesOrder;
    type Line = SalesOrderLine;
    const CAPABILITY: Capability = Capability::SalesOrders;
    const ORDER: Model = ORDER;
    const FIELDS: &'static [Field] = FIELDS;
    const LINES: Lines = ORDER_LINES;
    const COLLECTION: &'static str = "salesOrders";
    const FILTERS: Filters =
        Filters { partner: CUSTOMER, reference: CUSTOMER_REFERENCE, created: CREATED, updated: UPDATED };

    async fn decode(odoo: &Odoo, _schema: &Schema, rows: &[Record]) -> Result<Headers<SalesOrder>, OdooError> {
        odoo.decode_each(ORDER, rows, decode)
    }

    /// Amounts in the order's currency.
    fn decode_line(
        row: &Row<'_>,
        order: &SalesOrder,
        skus: &HashMap<i64, String>,
    ) -> Result<Option<SalesOrderLine>, DecodeError> {
        if row.text(&DISPLAY)?.is_some() || row.boolean(&DOWN_PAYMENT)? {
            return Ok(None);
        }
        let product = row.reference(&PRODUCT)?;
        let currency = &order.amount_total.currency;
        Ok(Some(SalesOrderLine {
            id: row.id(),
            sku: skus.get(&product.id).cloned(),
            product,
            quantity: row.decimal(&QUANTITY)?.normalize(),
            unit: row.reference(&LINE_UOM)?,
            delivered: row.decimal(&DELIVERED)?.normalize(),
            invoiced: row.decimal(&INVOICED)?.normalize(),
            unit_price: row.amount(&PRICE, currency)?,
            discount: row.decimal(&DISCOUNT)?.normalize(),
            subtotal: row.amount(&SUBTOTAL, currency)?,
        }))
    }

    fn set_lines(order: &mut SalesOrder, lines: Vec<SalesOrderLine>) {
        order.lines = lines;
    }

    fn id(order: &SalesOrder) -> i64 {
        order.id
    }

    fn state_terms(schema: &Schema, query: &OrderQuery) -> Vec<Value> {
        let states: Vec<&str> = query
            .states
            .iter()
            .filter_map(|s| match s {
                OrderState::Sales(s) => STATES.iter().find(|(_, state)| state == s).map(|(name, _)| *name),
                OrderState::Purchase(_) => None,
            })
            .collect();
        if states.is_empty() { Vec::new() } else { vec![schema.term(&STATE, "in", json!(states))] }
    }

    fn stage(order: &SalesOrder) -> Stage {
        match order.state {
            // Odoo decides what confirming an order in a state odoo-mesh does not know means.
            SalesOrderState::Quotation | SalesOrderState::QuotationSent | SalesOrderState::Other => Stage::Draft,
            SalesOrderState::Confirmed => Stage::Confirmed,
            SalesOrderState::Cancelled => Stage::Cancelled,
        }
    }

    fn number(order: &SalesOrder) -> &str {
        &order.number
    }

    fn confirm(id: i64) -> OdooCall {
        OdooCall::new(ORDER.name, CONFIRM).ids(vec![id])
    }

    fn remove(id: i64) -> Vec<OdooCall> {
        vec![cancel(id), OdooCall::new(ORDER.name, "unlink").ids(vec![id])]
    }
}

/// A sales order to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewOrder<'a> {
    pub(crate) customer: i64,
    pub(crate) invoice_address: Option<i64>,
    pub(crate) delivery_address: Option<i64>,
    pub(crate) pricelist: Option<i64>,
    pub(crate) warehouse: Option<i64>,
    pub(crate) customer_reference: Option<&'a str>,
    pub(crate) note: Option<&'a str>,
    pub(crate) commitment: Option<OffsetDateTime>,
    pub(crate) lines: Vec<NewLine>,
}

/// A line to import, with its discount (a percentage), if any.
pub(crate) type NewLine = orders::NewLine<Option<Decimal>>;

/// Imports an order with its lines under odoo-mesh's external id `name` (each line under
/// `{name}_l{n}`), create-only, in one transaction.
pub(crate) async fn load(odoo: &Odoo, schema: &Schema, name: &str, order: &NewOrder<'_>) -> Result<Loaded, OdooError> {
    let mut header = Import::new(name);
    header.record(schema, &CUSTOMER, order.customer);
    for (field, id) in [
        (&INVOICE_ADDRESS, order.invoice_address),
        (&DELIVERY_ADDRESS, order.delivery_address),
        (&PRICELIST, order.pricelist),
        (&WAREHOUSE, order.warehouse),
    ] {
        if let Some(id) = id {
            header.record(schema, field, id);
        }
    }
    header.optional(schema, &CUSTOMER_REFERENCE, order.customer_reference.map(str::to_owned));
    header.optional(schema, &NOTE, order.note.map(str::to_owned));
    header.optional(schema, &COMMITMENT, order.commitment.map(super::odoo_datetime));
    let lines = &order.lines;
    let mut table = ORDER_LINES.table(schema, name, lines);
    if lines.iter().any(|l| l.extra.is_some()) {
        table.value(schema, &DISCOUNT, lines.iter().map(|l| super::decimal_cell(l.extra.unwrap_or_default())));
    }
    let (columns, rows) = header.with_lines(table);
    ir_model_data::load(odoo, ORDER, &columns, rows).await
}

/// Cancels without Odoo's confirmation wizard (which it returns instead of cancelling otherwise).
pub(crate) fn cancel(id: i64) -> OdooCall {
    OdooCall::new(ORDER.name, CANCEL).ids(vec![id]).context("disable_cancel_warning", json!(true))
}

pub(crate) fn post_message(id: i64, body: &str) -> OdooCall {
    super::mail_message::post(ORDER, id, body)
}

/// What confirmed orders still have to invoice, with taxes.
const TO_INVOICE: Field = ORDER.field("amount_to_invoice");

pub(crate) const TO_INVOICE_FIELDS: &[Field] = &[TO_INVOICE, CURRENCY];

/// What a customer's confirmed orders still have to invoice: `(currency, amount)` per order.
pub(crate) async fn to_invoice_of(
    odoo: &Odoo,
    schema: &Schema,
    customer: i64,
) -> Result<Vec<(i64, Decimal)>, OdooError> {
    let domain = json!([schema.term(&CUSTOMER, "child_of", json!([customer])), schema.term(&STATE, "=", "sale")]);
    let options = crate::SearchOptions::ordered("id");
    let rows = odoo.search(schema, ORDER, domain, TO_INVOICE_FIELDS, &options, serde_json::Map::new()).await?;
    rows.iter()
        .map(|r| {
            let row = Row::new(ORDER, r)?;
            Ok((row.reference(&CURRENCY)?.id, row.decimal(&TO_INVOICE)?))
        })
        .collect()
}
