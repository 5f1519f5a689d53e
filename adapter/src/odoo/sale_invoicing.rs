//! `sale.advance.payment.inv`: Odoo's "Create Invoice" wizard of sales orders — the only way over
//! RPC, since `_create_invoices` is private (recording 078). Created with the orders as the
//! context's active records (079), `create_invoices` makes the draft invoices and answers an action
//! on them (080); the orders' `invoice_ids` name them all (081). "delivered" invoices what the
//! orders' invoicing policy allows (ordered or delivered quantities, a credit note when more was
//! invoiced than delivered, recording 098); "percentage" and "fixed" make a down payment.

use rust_decimal::Decimal;
use serde_json::json;

use super::{Field, Model, Schema, sale_order::ORDER};
use crate::OdooCall;

pub(crate) const WIZARD: Model = Model::new("sale.advance.payment.inv", "sale");
const METHOD: Field = WIZARD.field("advance_payment_method");
const PERCENT: Field = WIZARD.field("amount");
const FIXED: Field = WIZARD.field("fixed_amount");

pub(crate) const FIELDS: &[Field] = &[METHOD, PERCENT, FIXED];

/// What to invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Invoicing {
    /// What the orders' invoicing policy says is due.
    Due,
    /// A down payment of this percentage of the orders.
    DownPaymentPercent(Decimal),
    /// A down payment of this amount, in the orders' currency.
    DownPaymentFixed(Decimal),
}

/// The wizard's context: the orders invoiced are its active records.
fn invoicing(call: OdooCall, orders: &[i64]) -> OdooCall {
    call.context("active_model", json!(ORDER.name))
        .context("active_ids", json!(orders))
        .context("active_id", json!(orders.first()))
}

pub(crate) fn open(schema: &Schema, orders: &[i64], what: Invoicing) -> OdooCall {
    let vals = match what {
        Invoicing::Due => schema.vals([(&METHOD, json!("delivered"))]),
        Invoicing::DownPaymentPercent(p) => {
            let mut vals = schema.vals([(&METHOD, json!("percentage"))]);
            vals.extend(schema.vals([(&PERCENT, super::decimal_value(p))]));
            vals
        }
        Invoicing::DownPaymentFixed(amount) => {
            let mut vals = schema.vals([(&METHOD, json!("fixed"))]);
            vals.extend(schema.vals([(&FIXED, super::decimal_value(amount))]));
            vals
        }
    };
    invoicing(OdooCall::new(WIZARD.name, "create").param("vals_list", json!([vals])), orders)
}

pub(crate) fn create_invoices(wizard: i64, orders: &[i64]) -> OdooCall {
    invoicing(OdooCall::new(WIZARD.name, "create_invoices").ids(vec![wizard]), orders)
}
