//! CreateCreditNote: a posted invoice (or bill) reversed through Odoo's reversal wizard, in full
//! or for given quantities per line (the draft's other lines removed, the given ones set before
//! posting), named under the request's key (`{key}_cn`), posted last when asked. Posted, Odoo
//! reconciles it with its invoice.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::Serialize;

use super::{
    invoicing::{first, post_drafts},
    one,
};
use crate::{
    command::{Command, FlowError, Key, Undo, refusal},
    models::{Invoice, InvoiceKind, InvoiceState, PaymentState},
    odoo::{
        Capability, Model, Odoo, Schema,
        account_move::{self, MOVE},
        ir_model_data, move_reversal,
    },
    resolve::Violations,
};

/// A credit note as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditNoteDraft {
    pub invoice: i64,
    pub reason: String,
    /// Quantities to credit per invoice line; empty for the whole invoice.
    pub lines: Vec<(i64, Decimal)>,
    pub post: bool,
}

pub(crate) struct Plan {
    journal: i64,
    /// The invoice's product lines, in order: the credit note's come in the same order.
    lines: Vec<i64>,
    earlier: HashSet<i64>,
}

/// The external id of the credit note made: `{key}_cn`.
const MADE: &str = "cn";

impl Command for CreditNoteDraft {
    type Plan = Plan;
    type Record = Invoice;
    const KIND: &'static str = "cn";
    const NAME: &'static str = "create_credit_note";
    const CAPABILITY: Capability = Capability::Finance;
    const MODEL: Model = MOVE;

    fn target(&self) -> i64 {
        self.invoice
    }

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let invoice = one(odoo, schema, self.invoice).await?;
        let number = invoice.number.clone().unwrap_or_else(|| format!("invoices/{}", invoice.id));
        if !matches!(invoice.kind, InvoiceKind::CustomerInvoice | InvoiceKind::SupplierBill) {
            return Err(FlowError::Invalid(vec![crate::command::Violation::new(
                "invoice",
                format!("{number} is not an invoice or a bill: a credit note reverses one"),
            )]));
        }
        if invoice.state != InvoiceState::Posted {
            return Err(FlowError::Unmet {
                reason: "INVOICE_NOT_POSTED",
                message: format!("{number} is not posted: only a posted invoice is reversed"),
            });
        }
        if invoice.payment_state == PaymentState::Reversed {
            return Err(FlowError::Unmet {
                reason: "ALREADY_REVERSED",
                message: format!("{number} is already reversed"),
            });
        }
        let mut violations = Violations::default();
        let mut seen = HashSet::new();
        for (i, (line_id, quantity)) in self.lines.iter().enumerate() {
            let Some(line) = invoice.lines.iter().find(|l| l.id == *line_id) else {
                violations.add(format!("lines[{i}].line_id"), format!("{line_id} is not a line of {number}"));
                continue;
            };
            if !seen.insert(line_id) {
                violations.add(format!("lines[{i}]"), format!("line {line_id} is given twice"));
            }
            if *quantity > line.quantity {
                violations.add(
                    format!("lines[{i}].quantity.value"),
                    format!("{quantity} is more than the {} invoiced on that line", line.quantity),
                );
            }
        }
        let journal = invoice.journal.ok_or_else(|| FlowError::Refused(format!("{number} has no journal")))?;
        let plan = Plan {
            journal,
            lines: invoice.lines.iter().map(|l| l.id).collect(),
            earlier: invoice.credit_notes.iter().copied().collect(),
        };
        violations.finish(plan)
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let opened = odoo.call(move_reversal::open(schema, self.invoice, plan.journal, &self.reason)).await;
        let wizard = first(&opened.map_err(refusal)?)?;
        let refunded = odoo.call(move_reversal::refund(wizard, self.invoice)).await;
        let new = self.unclaimed_since(odoo, schema, &plan.earlier).await?;
        for note in &new {
            undo.push(format!("the new credit note {note}"), account_move::remove(*note));
        }
        refunded.map_err(refusal)?;
        let made = *new.first().ok_or_else(|| FlowError::Refused("Odoo made no credit note".into()))?;
        if !self.lines.is_empty() {
            let note = one(odoo, schema, made).await?;
            let quantities: Vec<(i64, Option<Decimal>)> = note
                .lines
                .iter()
                .zip(&plan.lines)
                .map(|(credited, original)| {
                    (credited.id, self.lines.iter().find(|(l, _)| l == original).map(|(_, q)| *q))
                })
                .collect();
            odoo.call(account_move::set_line_quantities(schema, made, &quantities)).await.map_err(refusal)?;
        }
        ir_model_data::create(odoo, schema, &[(key.record_name(MADE).as_str(), MOVE.name, made)]).await?;
        if self.post {
            post_drafts(odoo, schema, &[made]).await?;
        }
        Ok(made)
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        Ok(ir_model_data::find(odoo, schema, &key.record_name(MADE), MOVE).await?)
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, replayed: bool) -> Result<Invoice, FlowError> {
        if replayed && self.post {
            post_drafts(odoo, schema, &[record]).await?;
        }
        one(odoo, schema, record).await
    }

    fn reverse(record: i64) -> Vec<crate::OdooCall> {
        account_move::remove(record)
    }
}

impl CreditNoteDraft {
    /// The invoice's credit notes made since `earlier` that no odoo-mesh command named.
    async fn unclaimed_since(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        earlier: &HashSet<i64>,
    ) -> Result<Vec<i64>, FlowError> {
        let now = one(odoo, schema, self.invoice).await?;
        let new: Vec<i64> = now.credit_notes.into_iter().filter(|n| !earlier.contains(n)).collect();
        Ok(ir_model_data::unclaimed(odoo, schema, MOVE, &new).await?)
    }
}
