//! What finance reads of sales and purchase orders alike: number, whether confirmed, whether
//! something is to invoice (`invoice_status` "to invoice"), and the invoices made so far — and
//! which orders an invoice comes from (the orders whose `invoice_ids` hold it).

use std::collections::HashMap;

use serde_json::{Map, json};

use super::{Field, Model, Odoo, Row, Schema, purchase_order, sale_order};
use crate::{OdooCall, OdooError, SearchOptions};

/// Sales or purchase orders, as billing sees them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Billed {
    pub(crate) model: Model,
    number: Field,
    state: Field,
    status: Field,
    pub(crate) invoices: Field,
    /// The states in which an order is confirmed.
    confirmed: &'static [&'static str],
}

pub(crate) const SALES: Billed = Billed {
    model: sale_order::ORDER,
    number: sale_order::ORDER.field("name"),
    state: sale_order::ORDER.field("state"),
    status: sale_order::ORDER.field("invoice_status"),
    invoices: sale_order::ORDER.field("invoice_ids"),
    confirmed: &["sale", "done"],
};

/// Optional: finance serves customer invoices on a database without purchasing.
pub(crate) const PURCHASES: Billed = Billed {
    model: purchase_order::ORDER,
    number: purchase_order::ORDER.field("name").optional(),
    state: purchase_order::ORDER.field("state").optional(),
    status: purchase_order::ORDER.field("invoice_status").optional(),
    invoices: purchase_order::ORDER.field("invoice_ids").optional(),
    confirmed: &["purchase", "done"],
};

pub(crate) const SALES_FIELDS: &[Field] = &[SALES.number, SALES.state, SALES.status, SALES.invoices];
pub(crate) const PURCHASE_FIELDS: &[Field] = &[PURCHASES.number, PURCHASES.state, PURCHASES.status, PURCHASES.invoices];

/// An order as billing sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Billing {
    pub(crate) id: i64,
    pub(crate) number: String,
    pub(crate) confirmed: bool,
    pub(crate) to_invoice: bool,
    pub(crate) invoices: Vec<i64>,
}

impl Billed {
    fn fields(&self) -> [Field; 4] {
        [self.number, self.state, self.status, self.invoices]
    }

    /// These orders, those that exist.
    pub(crate) async fn read(&self, odoo: &Odoo, schema: &Schema, ids: &[i64]) -> Result<Vec<Billing>, OdooError> {
        let rows = odoo.read(schema, self.model, ids, &self.fields()).await?;
        rows.iter()
            .map(|r| {
                let row = Row::new(self.model, r)?;
                Ok(Billing {
                    id: row.id(),
                    number: row.text(&self.number)?.unwrap_or_default().to_owned(),
                    confirmed: row.text(&self.state)?.is_some_and(|s| self.confirmed.contains(&s)),
                    to_invoice: row.text(&self.status)? == Some("to invoice"),
                    invoices: row.ids(&self.invoices)?,
                })
            })
            .collect()
    }

    /// The orders each of these invoices comes from.
    pub(crate) async fn of_invoices(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        invoices: &[i64],
    ) -> Result<HashMap<i64, Vec<i64>>, OdooError> {
        let mut by_invoice: HashMap<i64, Vec<i64>> = HashMap::new();
        if invoices.is_empty() || schema.name(&self.invoices).is_none() {
            return Ok(by_invoice);
        }
        let domain = json!([schema.term(&self.invoices, "in", json!(invoices))]);
        let rows = odoo
            .search(schema, self.model, domain, &[self.invoices], &SearchOptions::ordered("id"), Map::new())
            .await?;
        for r in &rows {
            let row = Row::new(self.model, r)?;
            for invoice in row.ids(&self.invoices)?.into_iter().filter(|i| invoices.contains(i)) {
                by_invoice.entry(invoice).or_default().push(row.id());
            }
        }
        Ok(by_invoice)
    }
}

/// Makes the draft bill of what a purchase order has received and not been billed for.
pub(crate) fn create_bill(order: i64) -> OdooCall {
    OdooCall::new(PURCHASES.model.name, "action_create_invoice").ids(vec![order])
}
