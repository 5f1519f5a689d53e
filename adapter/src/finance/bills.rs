//! CreateSupplierBill: the draft bill of what a purchase order received and was not billed for
//! (Odoo's `action_create_invoice`), with the supplier's number and the bill's date (Odoo needs
//! one to post it), named under the request's key (`{key}_bill`).

use std::collections::HashSet;

use serde::Serialize;
use time::Date;

use super::{one, today};
use crate::{
    command::{Command, FlowError, Key, Undo, refusal},
    models::Invoice,
    odoo::{
        Capability, Model, Odoo, Schema,
        account_move::{self, MOVE},
        billing::{self, PURCHASES},
        ir_model_data,
    },
};

#[derive(Debug, Serialize)]
pub(super) struct CreateSupplierBill {
    pub(super) purchase_order: i64,
    pub(super) supplier_reference: Option<String>,
    pub(super) bill_date: Option<Date>,
}

/// The external id of the bill made: `{key}_bill`.
const MADE: &str = "bill";

impl Command for CreateSupplierBill {
    /// The bills the order had before.
    type Plan = HashSet<i64>;
    type Record = Invoice;
    const KIND: &'static str = "bill";
    const NAME: &'static str = "create_supplier_bill";
    const CAPABILITY: Capability = Capability::Finance;
    const MODEL: Model = MOVE;

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<HashSet<i64>, FlowError> {
        let order = PURCHASES.read(odoo, schema, &[self.purchase_order]).await?;
        let order =
            order.first().ok_or_else(|| FlowError::NotFound(format!("purchaseOrders/{}", self.purchase_order)))?;
        if !order.confirmed {
            return Err(FlowError::Unmet {
                reason: "ORDER_NOT_CONFIRMED",
                message: format!("{} is not a confirmed purchase order: only those are billed", order.number),
            });
        }
        if !order.to_invoice {
            return Err(FlowError::Unmet {
                reason: "NOTHING_TO_BILL",
                message: format!("nothing to bill on {}: everything received is billed", order.number),
            });
        }
        Ok(order.invoices.iter().copied().collect())
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        earlier: HashSet<i64>,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let made = odoo.call(billing::create_bill(self.purchase_order)).await;
        let now = PURCHASES.read(odoo, schema, &[self.purchase_order]).await?;
        let new: Vec<i64> =
            now.iter().flat_map(|o| o.invoices.iter().copied()).filter(|b| !earlier.contains(b)).collect();
        let new = ir_model_data::unclaimed(odoo, schema, MOVE, &new).await?;
        for bill in &new {
            undo.push(format!("the new bill {bill}"), account_move::remove(*bill));
        }
        made.map_err(refusal)?;
        let bill = *new.first().ok_or_else(|| FlowError::Refused("Odoo made no bill".into()))?;
        let date = self.bill_date.unwrap_or_else(today);
        let details = account_move::set_bill_details(schema, bill, self.supplier_reference.as_deref(), Some(date));
        odoo.call(details).await.map_err(refusal)?;
        ir_model_data::create(odoo, schema, &[(key.record_name(MADE).as_str(), MOVE.name, bill)]).await?;
        Ok(bill)
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        Ok(ir_model_data::find(odoo, schema, &key.record_name(MADE), MOVE).await?)
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, _replayed: bool) -> Result<Invoice, FlowError> {
        one(odoo, schema, record).await
    }

    fn reverse(record: i64) -> Vec<crate::OdooCall> {
        account_move::remove(record)
    }
}
