//! CreateInvoice: what sales orders have to invoice (or a down payment on them) through Odoo's
//! invoicing wizard, the new drafts named under the request's key (`{key}_i{n}`), posted last
//! when asked. Odoo decides what is due — ordered or delivered quantities by each product's
//! invoicing policy, a credit note when more was invoiced than delivered.

use std::collections::HashSet;

use serde::Serialize;

use super::{one, several};
use crate::{
    command::{Command, FlowError, Key, Undo, refusal},
    models::{Invoice, InvoiceState},
    odoo::{
        Capability, Model, Odoo, Schema,
        account_move::{self, MOVE},
        billing::{Billing, SALES},
        ir_model_data,
        sale_invoicing::{self, Invoicing},
    },
    resolve::Violations,
};

#[derive(Debug, Serialize)]
pub(super) struct CreateInvoice {
    pub(super) orders: Vec<i64>,
    pub(super) what: Invoicing,
    pub(super) post: bool,
}

/// The invoices the orders had before.
pub(super) struct Plan {
    earlier: HashSet<i64>,
}

/// The external ids of the invoices made: `{key}_i{n}`.
const INVOICE: &str = "i";

impl Command for CreateInvoice {
    type Plan = Plan;
    type Record = Vec<Invoice>;
    const KIND: &'static str = "inv";
    const NAME: &'static str = "create_invoice";
    const CAPABILITY: Capability = Capability::Finance;
    const MODEL: Model = MOVE;

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let found = SALES.read(odoo, schema, &self.orders).await?;
        let mut violations = Violations::default();
        let mut orders: Vec<&Billing> = Vec::new();
        for (i, id) in self.orders.iter().enumerate() {
            match found.iter().find(|o| o.id == *id) {
                Some(order) => orders.push(order),
                None => violations.add(format!("sales_orders[{i}]"), format!("no sales order salesOrders/{id}")),
            }
        }
        violations.finish(())?;
        if let Some(draft) = orders.iter().find(|o| !o.confirmed) {
            return Err(FlowError::Unmet {
                reason: "ORDER_NOT_CONFIRMED",
                message: format!("{} is not a confirmed order: only confirmed orders are invoiced", draft.number),
            });
        }
        if self.what == Invoicing::Due && !orders.iter().any(|o| o.to_invoice) {
            let numbers: Vec<&str> = orders.iter().map(|o| o.number.as_str()).collect();
            return Err(FlowError::Unmet {
                reason: "NOTHING_TO_INVOICE",
                message: format!(
                    "nothing to invoice on {}: everything ordered is invoiced, or — for products invoiced on \
                     delivery — nothing more was delivered",
                    numbers.join(", ")
                ),
            });
        }
        Ok(Plan { earlier: orders.iter().flat_map(|o| o.invoices.iter().copied()).collect() })
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let opened = odoo.call(sale_invoicing::open(schema, &self.orders, self.what)).await.map_err(refusal)?;
        let wizard = first(&opened)?;
        let made = odoo.call(sale_invoicing::create_invoices(wizard, &self.orders)).await;
        // Whatever the answer, the orders' invoices say what was made (an answer lost after Odoo
        // committed included).
        let new = self.made_since_surely(odoo, schema, &plan.earlier).await?;
        for invoice in &new {
            undo.push(format!("the new invoice {invoice}"), account_move::remove(*invoice));
        }
        made.map_err(refusal)?;
        let Some(first) = new.first().copied() else {
            return Err(FlowError::Refused("Odoo made no invoice".into()));
        };
        self.name(odoo, schema, key, &new).await?;
        if self.post {
            post_drafts(odoo, schema, &new).await?;
        }
        Ok(first)
    }

    /// The invoices named under the key; or, when the owner stopped between Odoo making them and
    /// naming them, the orders' invoices made since the key was claimed that no command named —
    /// adopted, and named now.
    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        let rows = ir_model_data::with_prefix(odoo, schema, &key.name).await?;
        let prefix = key.record_name(INVOICE);
        if let Some(named) = rows.iter().find(|x| x.model == MOVE.name && x.name.starts_with(&prefix)) {
            return Ok(Some(named.res_id));
        }
        let Some(claimed) = rows.iter().find(|x| x.name == key.name).and_then(|x| x.created) else {
            return Ok(None);
        };
        let orders = SALES.read(odoo, schema, &self.orders).await?;
        let mut all: Vec<i64> = orders.iter().flat_map(|o| o.invoices.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        let since = crate::odoo::made_since(odoo, schema, MOVE, &all, claimed).await?;
        let adopted = ir_model_data::unclaimed(odoo, schema, MOVE, &since).await?;
        let Some(first) = adopted.first().copied() else { return Ok(None) };
        self.name(odoo, schema, key, &adopted).await?;
        Ok(Some(first))
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, replayed: bool) -> Result<Vec<Invoice>, FlowError> {
        let siblings = ir_model_data::siblings(odoo, schema, MOVE, record, INVOICE).await?;
        let ids: Vec<i64> = match siblings.is_empty() {
            true => vec![record],
            false => siblings.into_iter().map(|(_, id)| id).collect(),
        };
        if replayed && self.post {
            // An earlier call may have stopped before posting.
            post_drafts(odoo, schema, &ids).await?;
        }
        several(odoo, schema, &ids).await
    }

    fn reverse(record: i64) -> Vec<crate::OdooCall> {
        account_move::remove(record)
    }
}

/// How long the read that tells what the wizard made is asked again while Odoo fails: without
/// it a made invoice could be left unnamed and its key freed, and the retry told there is
/// nothing to invoice. The command runs on a task of its own, so this waits on no caller.
const READ_BACK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(120);

impl CreateInvoice {
    /// Names `invoices` under the key: `{key}_i{n}`.
    async fn name(&self, odoo: &Odoo, schema: &Schema, key: &Key, invoices: &[i64]) -> Result<(), FlowError> {
        let names: Vec<(String, i64)> =
            invoices.iter().enumerate().map(|(n, id)| (key.record_name(&format!("{INVOICE}{n}")), *id)).collect();
        let rows: Vec<(&str, &str, i64)> = names.iter().map(|(name, id)| (name.as_str(), MOVE.name, *id)).collect();
        ir_model_data::create(odoo, schema, &rows).await?;
        Ok(())
    }

    /// `made_since`, asked again while Odoo's failure is a passing one (see `READ_BACK_PATIENCE`).
    async fn made_since_surely(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        earlier: &HashSet<i64>,
    ) -> Result<Vec<i64>, FlowError> {
        let give_up = tokio::time::Instant::now() + READ_BACK_PATIENCE;
        let mut pause = std::time::Duration::from_millis(200);
        loop {
            match self.made_since(odoo, schema, earlier).await {
                Err(FlowError::Odoo(error))
                    if (error.is_transient() || matches!(error, crate::OdooError::CircuitOpen { .. }))
                        && tokio::time::Instant::now() < give_up =>
                {
                    tracing::warn!(%error, "reading back the invoices the wizard made; asking again");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(5));
                }
                answer => return answer,
            }
        }
    }

    /// The orders' invoices made since `earlier` that no odoo-mesh command named yet.
    async fn made_since(&self, odoo: &Odoo, schema: &Schema, earlier: &HashSet<i64>) -> Result<Vec<i64>, FlowError> {
        let now = SALES.read(odoo, schema, &self.orders).await?;
        let mut new: Vec<i64> =
            now.iter().flat_map(|o| o.invoices.iter().copied()).filter(|i| !earlier.contains(i)).collect();
        new.sort_unstable();
        new.dedup();
        Ok(ir_model_data::unclaimed(odoo, schema, MOVE, &new).await?)
    }
}

/// The id a wizard's `create` answered.
pub(super) fn first(answer: &serde_json::Value) -> Result<i64, FlowError> {
    ir_model_data::ids_of(answer)
        .first()
        .copied()
        .ok_or_else(|| FlowError::Odoo(crate::OdooError::Protocol { message: "Odoo made no wizard".into() }))
}

/// Posts those of these invoices still in draft, in one call (one transaction: all or none). If
/// the answer is lost, what Odoo has says whether they were posted.
pub(super) async fn post_drafts(odoo: &Odoo, schema: &Schema, ids: &[i64]) -> Result<(), FlowError> {
    let drafts: Vec<i64> =
        several(odoo, schema, ids).await?.iter().filter(|i| i.state == InvoiceState::Draft).map(|i| i.id).collect();
    if drafts.is_empty() {
        return Ok(());
    }
    match odoo.call(account_move::post(&drafts)).await {
        Ok(_) => Ok(()),
        Err(error) => match one(odoo, schema, drafts[0]).await {
            Ok(invoice) if invoice.state == InvoiceState::Posted => Ok(()),
            _ => Err(refusal(error)),
        },
    }
}
