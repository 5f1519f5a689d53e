//! RegisterPayment: a payment of posted invoices through Odoo's payment wizard — in full, or in
//! part leaving the rest due — named under the request's key (`{key}_payment`), so a retry,
//! concurrent copies or a lost answer never register it twice.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::Serialize;
use time::Date;

use super::{invoicing::first, several};
use crate::{
    command::{Command, FlowError, Key, Undo, refusal},
    models::{Invoice, InvoiceKind, InvoiceState, Payment, PaymentState},
    odoo::{
        Capability, Model, Odoo, Schema,
        account_payment::{self, PAYMENT, Registration},
        ir_model_data,
    },
    resolve::Violations,
};

/// A payment as the caller describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentDraft {
    pub invoices: Vec<i64>,
    /// The amount and its currency code; `None` pays everything due.
    pub amount: Option<(Decimal, String)>,
    pub date: Option<Date>,
    pub journal: Option<i64>,
    pub memo: Option<String>,
}

/// What the wizard is given, and the payments the invoices had before.
pub(crate) struct Plan {
    registration: Registration,
    earlier: HashSet<i64>,
}

/// The external id of the payment made: `{key}_payment`.
const MADE: &str = "payment";

impl Command for PaymentDraft {
    type Plan = Plan;
    type Record = (Payment, Vec<Invoice>);
    const KIND: &'static str = "pay";
    const NAME: &'static str = "register_payment";
    const CAPABILITY: Capability = Capability::Finance;
    const MODEL: Model = PAYMENT;

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let invoices = several(odoo, schema, &self.invoices).await?;
        let mut violations = Violations::default();
        for (i, id) in self.invoices.iter().enumerate() {
            if !invoices.iter().any(|inv| inv.id == *id) {
                violations.add(format!("invoices[{i}]"), format!("no invoice invoices/{id}"));
            }
        }
        violations.finish(())?;
        for invoice in &invoices {
            let number = invoice.number.as_deref().unwrap_or("a draft");
            if invoice.state != InvoiceState::Posted {
                return Err(FlowError::Unmet {
                    reason: "INVOICE_NOT_POSTED",
                    message: format!("invoices/{} ({number}) is not posted: only posted invoices are paid", invoice.id),
                });
            }
            if matches!(invoice.payment_state, PaymentState::Paid | PaymentState::InPayment | PaymentState::Reversed)
                || invoice.residual.value.is_zero()
            {
                return Err(FlowError::Unmet {
                    reason: "NOTHING_DUE",
                    message: format!("{number} has nothing left to pay"),
                });
            }
        }
        let first = &invoices[0];
        let mut violations = Violations::default();
        for (i, invoice) in invoices.iter().enumerate().skip(1) {
            if invoice.partner.as_ref().map(|p| p.id) != first.partner.as_ref().map(|p| p.id) {
                violations
                    .add(format!("invoices[{i}]"), "is another partner's: one payment pays one partner's invoices");
            }
            if direction(invoice.kind) != direction(first.kind) {
                violations.add(format!("invoices[{i}]"), "mixes money in and money out in one payment");
            }
            if invoice.currency_id != first.currency_id {
                violations.add(format!("invoices[{i}]"), "is in another currency than invoices[0]");
            }
        }
        let due: Decimal = invoices.iter().map(|i| i.residual.value).sum();
        let currencies = odoo.currencies(&[first.currency_id]).await?;
        let amount = match &self.amount {
            None => None,
            Some((amount, code)) => {
                if !code.eq_ignore_ascii_case(currencies.code(first.currency_id)) {
                    violations.add(
                        "amount.currency_code",
                        format!("the invoices are in {}; pay them in it", currencies.code(first.currency_id)),
                    );
                }
                if !currencies.is_exact(*amount, first.currency_id) {
                    violations.add(
                        "amount",
                        format!("{amount} is finer than {} keeps ({})", code, currencies.rounding(first.currency_id)),
                    );
                }
                if *amount > due {
                    violations.add("amount", format!("{amount} is more than the {due} {code} due"));
                }
                Some((*amount, first.currency_id))
            }
        };
        if let Some(journal) = self.journal {
            match account_payment::takes_payments(odoo, schema, journal).await? {
                None => violations.add("journal", format!("no journal journals/{journal}")),
                Some(false) => violations.add("journal", "is not a bank or cash journal"),
                Some(true) => {}
            }
        }
        let registration = Registration { amount, date: self.date, journal: self.journal, memo: self.memo.clone() };
        let earlier = invoices.iter().flat_map(|i| i.payment_ids.iter().copied()).collect();
        violations.finish(Plan { registration, earlier })
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let opened = odoo.call(account_payment::open(schema, &self.invoices, &plan.registration)).await;
        let wizard = first(&opened.map_err(refusal)?)?;
        let answer = odoo.call(account_payment::create_payments(wizard, &self.invoices)).await;
        // Lost after Odoo committed, the payment is the invoices' one new payment no command
        // named: it is adopted, never registered a second time.
        let made = match answer.as_ref().ok().and_then(account_payment::made) {
            Some(id) => id,
            None => match self.unclaimed_since(odoo, schema, &plan.earlier).await?.as_slice() {
                [one] => *one,
                several => {
                    for lost in several {
                        undo.push(format!("the payment {lost}, whose answer was lost"), account_payment::remove(*lost));
                    }
                    return Err(answer
                        .err()
                        .map_or_else(|| FlowError::Refused("Odoo registered no payment".into()), refusal));
                }
            },
        };
        undo.push(format!("the payment {made}"), account_payment::remove(made));
        // The name is the last write: found under the key, it tells a takeover all was done.
        ir_model_data::create(odoo, schema, &[(key.record_name(MADE).as_str(), PAYMENT.name, made)]).await?;
        Ok(made)
    }

    /// The payment named under the key; or, when the owner died between Odoo registering it and
    /// naming it, the one payment of these invoices made since the key was claimed that no
    /// command named.
    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        if let Some(named) = ir_model_data::find(odoo, schema, &key.record_name(MADE), PAYMENT).await? {
            return Ok(Some(named));
        }
        let rows = ir_model_data::with_prefix(odoo, schema, &key.name).await?;
        let Some(claimed) = rows.iter().find(|x| x.name == key.name).and_then(|x| x.created) else {
            return Ok(None);
        };
        let invoices = several(odoo, schema, &self.invoices).await?;
        let all: Vec<i64> = invoices.iter().flat_map(|i| i.payment_ids.iter().copied()).collect();
        let since = crate::odoo::made_since(odoo, schema, PAYMENT, &all, claimed).await?;
        Ok(match ir_model_data::unclaimed(odoo, schema, PAYMENT, &since).await?.as_slice() {
            [one] => Some(*one),
            _ => None,
        })
    }

    async fn read(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        record: i64,
        _replayed: bool,
    ) -> Result<(Payment, Vec<Invoice>), FlowError> {
        let rows = odoo.read(schema, PAYMENT, &[record], account_payment::FIELDS).await?;
        let currencies = odoo.currencies(&[]).await?;
        let payment = match rows.first() {
            Some(row) => account_payment::decode(&crate::odoo::Row::new(PAYMENT, row)?, &currencies)?,
            None => return Err(FlowError::NotFound(format!("payments/{record}"))),
        };
        Ok((payment, several(odoo, schema, &self.invoices).await?))
    }

    fn reverse(record: i64) -> Vec<crate::OdooCall> {
        account_payment::remove(record)
    }
}

impl PaymentDraft {
    /// The invoices' payments made since `earlier` that no odoo-mesh command named.
    async fn unclaimed_since(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        earlier: &HashSet<i64>,
    ) -> Result<Vec<i64>, FlowError> {
        let now = several(odoo, schema, &self.invoices).await?;
        let mut new: Vec<i64> =
            now.iter().flat_map(|i| i.payment_ids.iter().copied()).filter(|p| !earlier.contains(p)).collect();
        new.sort_unstable();
        new.dedup();
        Ok(ir_model_data::unclaimed(odoo, schema, PAYMENT, &new).await?)
    }
}

/// Money in (customer invoices, supplier refunds) or out.
fn direction(kind: InvoiceKind) -> bool {
    matches!(kind, InvoiceKind::CustomerInvoice | InvoiceKind::SupplierRefund)
}
