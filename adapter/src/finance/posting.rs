//! PostInvoice: a draft invoice, bill or credit note posted — numbered, and owed from then on.

use serde::Serialize;

use super::{invoicing::post_drafts, one};
use crate::{
    command::{Command, FlowError, Key, Undo},
    models::{Invoice, InvoiceState},
    odoo::{Capability, Model, Odoo, Schema, account_move::MOVE},
};

#[derive(Debug, Serialize)]
pub(super) struct PostInvoice {
    pub(super) invoice: i64,
}

impl Command for PostInvoice {
    type Plan = ();
    type Record = Invoice;
    const KIND: &'static str = "post";
    const NAME: &'static str = "post_invoice";
    const CAPABILITY: Capability = Capability::Finance;
    const MODEL: Model = MOVE;

    fn target(&self) -> i64 {
        self.invoice
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<(), FlowError> {
        let invoice = one(odoo, schema, self.invoice).await?;
        let number = invoice.number.as_deref().unwrap_or("the invoice");
        match invoice.state {
            InvoiceState::Draft => Ok(()),
            InvoiceState::Posted => {
                Err(FlowError::Unmet { reason: "ALREADY_POSTED", message: format!("{number} is already posted") })
            }
            InvoiceState::Cancelled | InvoiceState::Other => Err(FlowError::Unmet {
                reason: "INVOICE_CANCELLED",
                message: format!("invoices/{} is cancelled: only a draft can be posted", self.invoice),
            }),
        }
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        _key: &Key,
        (): (),
        _undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        post_drafts(odoo, schema, &[self.invoice]).await?;
        Ok(self.invoice)
    }

    /// A dead owner got as far as posting when the invoice is posted.
    async fn recover(&self, odoo: &Odoo, schema: &Schema, _key: &Key) -> Result<Option<i64>, FlowError> {
        let invoice = one(odoo, schema, self.invoice).await?;
        Ok((invoice.state == InvoiceState::Posted).then_some(self.invoice))
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, _replayed: bool) -> Result<Invoice, FlowError> {
        one(odoo, schema, record).await
    }
}
