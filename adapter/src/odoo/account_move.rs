//! `account.move` and its lines: customer invoices and credit notes, supplier bills and refunds.
//! A draft's `name` is `"/"` on Odoo 18 and `false` on 19 (recordings 082, 25): either is "no number
//! yet". `action_post` answers `false` (recording 083).

use rust_decimal::Decimal;
use serde_json::{Value, json};
use time::Date;

use super::{
    DecodeError, Field, Model, Row, Schema,
    currency::{Currencies, InCurrency},
};
use crate::{
    OdooCall,
    models::{Invoice, InvoiceKind, InvoiceLine, InvoiceQuery, InvoiceState, PaymentState},
};

pub(crate) const MOVE: Model = Model::new("account.move", "account");
const NUMBER: Field = MOVE.field("name");
pub(crate) const KIND: Field = MOVE.field("move_type");
pub(crate) const STATE: Field = MOVE.field("state");
pub(crate) const PAYMENT_STATE: Field = MOVE.field("payment_state");
pub(crate) const PARTNER: Field = MOVE.field("commercial_partner_id");
pub(crate) const LINES: Field = MOVE.field("invoice_line_ids");
const UNTAXED: Field = MOVE.field("amount_untaxed");
const TAX_AMOUNT: Field = MOVE.field("amount_tax");
const TOTAL: Field = MOVE.field("amount_total");
const RESIDUAL: Field = MOVE.field("amount_residual");
/// The residual in the company's currency, negative for credit notes.
pub(crate) const RESIDUAL_SIGNED: Field = MOVE.field("amount_residual_signed");
const CURRENCY: Field = MOVE.field("currency_id");
pub(crate) const INVOICE_DATE: Field = MOVE.field("invoice_date");
pub(crate) const DUE_DATE: Field = MOVE.field("invoice_date_due");
const ORIGIN: Field = MOVE.field("invoice_origin");
pub(crate) const REFERENCE: Field = MOVE.field("ref");
pub(crate) const REVERSAL_OF: Field = MOVE.field("reversed_entry_id");
pub(crate) const REVERSALS: Field = MOVE.field("reversal_move_ids");
pub(crate) const PAYMENTS: Field = MOVE.field("matched_payment_ids");
pub(crate) const JOURNAL: Field = MOVE.field("journal_id");
pub(crate) const UPDATED: Field = MOVE.field("write_date");

pub(crate) const FIELDS: &[Field] = &[
    NUMBER,
    KIND,
    STATE,
    PAYMENT_STATE,
    PARTNER,
    LINES,
    UNTAXED,
    TAX_AMOUNT,
    TOTAL,
    RESIDUAL,
    CURRENCY,
    INVOICE_DATE,
    DUE_DATE,
    ORIGIN,
    REFERENCE,
    REVERSAL_OF,
    REVERSALS,
    PAYMENTS,
    JOURNAL,
    UPDATED,
];

const KINDS: &[(&str, InvoiceKind)] = &[
    ("out_invoice", InvoiceKind::CustomerInvoice),
    ("out_refund", InvoiceKind::CustomerCreditNote),
    ("in_invoice", InvoiceKind::SupplierBill),
    ("in_refund", InvoiceKind::SupplierRefund),
];
/// The kinds that are invoices of some sort (not journal entries or receipts).
pub(crate) const INVOICE_KINDS: [&str; 4] = ["out_invoice", "out_refund", "in_invoice", "in_refund"];

const STATES: &[(&str, InvoiceState)] =
    &[("draft", InvoiceState::Draft), ("posted", InvoiceState::Posted), ("cancel", InvoiceState::Cancelled)];

const PAYMENT_STATES: &[(&str, PaymentState)] = &[
    ("not_paid", PaymentState::NotPaid),
    ("partial", PaymentState::Partial),
    ("in_payment", PaymentState::InPayment),
    ("paid", PaymentState::Paid),
    ("reversed", PaymentState::Reversed),
];

/// Odoo's name of a kind, state or payment state, for domains.
fn name_of<T: PartialEq + Copy>(table: &[(&'static str, T)], value: T) -> Option<&'static str> {
    table.iter().find(|(_, v)| *v == value).map(|(name, _)| *name)
}

/// The currencies these rows are in.
pub(crate) fn currencies_of(schema: &Schema, rows: &[super::Record]) -> Vec<i64> {
    let name = schema.name(&CURRENCY).unwrap_or(CURRENCY.name);
    rows.iter().filter_map(|r| r.get(name)?.get(0)?.as_i64()).collect()
}

/// An invoice's header, its lines, payments and orders read apart.
pub(crate) fn decode(row: &Row<'_>, currencies: &Currencies) -> Result<Invoice, DecodeError> {
    let currency = row.reference(&CURRENCY)?.id;
    let amount = |field: &Field| Ok::<_, DecodeError>(currencies.amount(row.decimal(field)?, currency));
    // A draft has no number: "/" on Odoo 18, false on 19.
    let number = row.text(&NUMBER)?.filter(|n| *n != "/").map(str::to_owned);
    Ok(Invoice {
        id: row.id(),
        number,
        kind: row.selection(&KIND, KINDS, InvoiceKind::Other)?.unwrap_or(InvoiceKind::Other),
        state: row.selection(&STATE, STATES, InvoiceState::Other)?.unwrap_or(InvoiceState::Other),
        payment_state: row
            .selection(&PAYMENT_STATE, PAYMENT_STATES, PaymentState::Other)?
            .unwrap_or(PaymentState::Other),
        partner: row.many2one(&PARTNER)?,
        lines: Vec::new(),
        line_ids: row.ids(&LINES)?,
        untaxed: amount(&UNTAXED)?,
        tax: amount(&TAX_AMOUNT)?,
        total: amount(&TOTAL)?,
        residual: amount(&RESIDUAL)?,
        currency_id: currency,
        invoice_date: date(row, &INVOICE_DATE)?,
        due_date: date(row, &DUE_DATE)?,
        origin: row.text(&ORIGIN)?.map(str::to_owned),
        reference: row.text(&REFERENCE)?.map(str::to_owned),
        sales_orders: Vec::new(),
        purchase_orders: Vec::new(),
        reversal_of: row.many2one(&REVERSAL_OF)?.map(|r| r.id),
        credit_notes: row.ids(&REVERSALS)?,
        payment_ids: row.ids(&PAYMENTS)?,
        payments: Vec::new(),
        journal: row.many2one(&JOURNAL)?.map(|j| j.id),
        updated: row.datetime(&UPDATED)?,
    })
}

/// A date field ("2026-12-01"); Odoo keeps dates without a time or zone.
pub(crate) fn date(row: &Row<'_>, field: &Field) -> Result<Option<Date>, DecodeError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    match row.text(field)? {
        None => Ok(None),
        Some(text) => Date::parse(text, &format).map(Some).map_err(|_| row.mismatch(field, "a date")),
    }
}

/// A date as Odoo writes it.
pub(crate) fn odoo_date(date: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    date.format(&format).unwrap_or_default()
}

/// Filters of a page of invoices, keyset-paged by id.
pub(crate) fn page_domain(schema: &Schema, query: &InvoiceQuery, today: Date) -> Value {
    let mut domain = vec![json!(["id", ">", query.after_id])];
    match query.kind.and_then(|k| name_of(KINDS, k)) {
        Some(kind) => domain.push(schema.term(&KIND, "=", kind)),
        None => domain.push(invoices_only(schema)),
    }
    let states: Vec<&str> = query.states.iter().filter_map(|s| name_of(STATES, *s)).collect();
    if !states.is_empty() {
        domain.push(schema.term(&STATE, "in", json!(states)));
    }
    let paid: Vec<&str> = query.payment_states.iter().filter_map(|s| name_of(PAYMENT_STATES, *s)).collect();
    if !paid.is_empty() {
        domain.push(schema.term(&PAYMENT_STATE, "in", json!(paid)));
    }
    if let Some(partner) = query.partner {
        domain.push(schema.term(&PARTNER, "=", partner));
    }
    if let Some(since) = query.updated_since {
        domain.push(schema.term(&UPDATED, ">=", super::odoo_datetime(since)));
    }
    if query.overdue {
        domain.extend(overdue(schema, today));
    }
    Value::Array(domain)
}

/// A domain term keeping invoices, bills and credit notes (not journal entries).
pub(crate) fn invoices_only(schema: &Schema) -> Value {
    schema.term(&KIND, "in", json!(INVOICE_KINDS))
}

/// Posted, not fully paid, and due before `today`.
pub(crate) fn overdue(schema: &Schema, today: Date) -> [Value; 3] {
    [
        schema.term(&STATE, "=", "posted"),
        schema.term(&PAYMENT_STATE, "in", json!(["not_paid", "partial"])),
        schema.term(&DUE_DATE, "<", odoo_date(today)),
    ]
}

/// Posts a draft; Odoo answers `false`.
pub(crate) fn post(ids: &[i64]) -> OdooCall {
    OdooCall::new(MOVE.name, "action_post").ids(ids.to_vec())
}

/// The calls that undo a draft's creation (a posted one cannot be deleted).
pub(crate) fn remove(id: i64) -> Vec<OdooCall> {
    vec![OdooCall::new(MOVE.name, "unlink").ids(vec![id])]
}

/// Sets what Odoo needs on a draft before posting: the supplier's number and the bill's date.
pub(crate) fn set_bill_details(schema: &Schema, id: i64, reference: Option<&str>, date: Option<Date>) -> OdooCall {
    let mut vals = serde_json::Map::new();
    if let Some(reference) = reference {
        vals.extend(schema.vals([(&REFERENCE, json!(reference))]));
    }
    if let Some(date) = date {
        vals.extend(schema.vals([(&INVOICE_DATE, json!(odoo_date(date)))]));
    }
    super::write(MOVE, id, vals)
}

pub(crate) const LINE: Model = Model::new("account.move.line", "account");
const PRODUCT: Field = LINE.field("product_id");
const LABEL: Field = LINE.field("name");
pub(crate) const QUANTITY: Field = LINE.field("quantity");
const UNIT: Field = LINE.field("product_uom_id");
const PRICE: Field = LINE.field("price_unit");
const DISCOUNT: Field = LINE.field("discount");
const SUBTOTAL: Field = LINE.field("price_subtotal");
const LINE_TOTAL: Field = LINE.field("price_total");
pub(crate) const TAXES: Field = LINE.field("tax_ids");
const DISPLAY: Field = LINE.field("display_type");

pub(crate) const LINE_FIELDS: &[Field] =
    &[PRODUCT, LABEL, QUANTITY, UNIT, PRICE, DISCOUNT, SUBTOTAL, LINE_TOTAL, TAXES, DISPLAY];

/// An invoice line as read: `None` for the lines that are not products (sections, notes), which
/// `invoice_line_ids` also holds (recording 085). Tax names are filled in apart.
pub(crate) fn decode_line(
    row: &Row<'_>,
    currency: &InCurrency<'_>,
) -> Result<Option<(InvoiceLine, Vec<i64>)>, DecodeError> {
    if row.text(&DISPLAY)?.is_some_and(|d| d != "product") {
        return Ok(None);
    }
    let line = InvoiceLine {
        id: row.id(),
        product: row.many2one(&PRODUCT)?,
        label: row.text(&LABEL)?.unwrap_or_default().to_owned(),
        quantity: row.decimal(&QUANTITY)?.normalize(),
        uom: row.many2one(&UNIT)?,
        unit_price: Decimal::normalize(&row.decimal(&PRICE)?),
        discount: row.decimal(&DISCOUNT)?.normalize(),
        subtotal: currency.amount(row.decimal(&SUBTOTAL)?),
        total: currency.amount(row.decimal(&LINE_TOTAL)?),
        taxes: Vec::new(),
    };
    Ok(Some((line, row.ids(&TAXES)?)))
}

/// Sets a draft's line quantities, removing the lines whose quantity is `None`, in one write.
pub(crate) fn set_line_quantities(schema: &Schema, invoice: i64, lines: &[(i64, Option<Decimal>)]) -> OdooCall {
    let commands: Vec<Value> = lines
        .iter()
        .map(|(line, quantity)| match quantity {
            Some(q) => json!([1, line, schema.vals([(&QUANTITY, super::decimal_value(*q))])]),
            None => json!([2, line, 0]),
        })
        .collect();
    super::write(MOVE, invoice, schema.vals([(&LINES, json!(commands))]))
}

pub(crate) const TAX: Model = Model::new("account.tax", "account");
pub(crate) const TAX_NAME: Field = TAX.field("name");
pub(crate) const TAX_FIELDS: &[Field] = &[TAX_NAME];
