//! `account.payment`, and Odoo's payment wizard `account.payment.register`: created with the
//! invoices as the context's active records, its defaults (amount = what is due, the first bank
//! journal, today) come from them (recordings 089–090); `action_create_payments` answers an action
//! on the payment it made (091), or `true` with `dont_redirect_to_payments` (094).

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use time::Date;

use super::{DecodeError, Field, Model, Row, Schema, account_move, currency::Currencies};
use crate::{OdooCall, models::Payment};

pub(crate) const PAYMENT: Model = Model::new("account.payment", "account");
const NUMBER: Field = PAYMENT.field("name");
const AMOUNT: Field = PAYMENT.field("amount");
const CURRENCY: Field = PAYMENT.field("currency_id");
const DATE: Field = PAYMENT.field("date");
const PARTNER: Field = PAYMENT.field("partner_id");
const PAYMENT_JOURNAL: Field = PAYMENT.field("journal_id");
const MEMO: Field = PAYMENT.field("memo");

pub(crate) const FIELDS: &[Field] = &[NUMBER, AMOUNT, CURRENCY, DATE, PARTNER, PAYMENT_JOURNAL, MEMO, CREATED];

pub(crate) fn decode(row: &Row<'_>, currencies: &Currencies) -> Result<Payment, DecodeError> {
    let currency = row.reference(&CURRENCY)?.id;
    Ok(Payment {
        id: row.id(),
        number: row.text(&NUMBER)?.filter(|n| *n != "/").map(str::to_owned),
        amount: currencies.amount(row.decimal(&AMOUNT)?, currency),
        partner: row.many2one(&PARTNER)?,
        date: account_move::date(row, &DATE)?,
        journal: row.many2one(&PAYMENT_JOURNAL)?,
        memo: row.text(&MEMO)?.map(str::to_owned),
    })
}

const CREATED: Field = PAYMENT.field("create_date");

pub(crate) const WIZARD: Model = Model::new("account.payment.register", "account");
const PAY_AMOUNT: Field = WIZARD.field("amount");
const PAY_DATE: Field = WIZARD.field("payment_date");
const PAY_JOURNAL: Field = WIZARD.field("journal_id");
const PAY_MEMO: Field = WIZARD.field("communication");
const PAY_CURRENCY: Field = WIZARD.field("currency_id");
const DIFFERENCE: Field = WIZARD.field("payment_difference_handling");
/// One payment for several invoices (Odoo makes one per invoice otherwise).
const GROUPED: Field = WIZARD.field("group_payment");

pub(crate) const WIZARD_FIELDS: &[Field] =
    &[PAY_AMOUNT, PAY_DATE, PAY_JOURNAL, PAY_MEMO, PAY_CURRENCY, DIFFERENCE, GROUPED];

/// What a payment says; unset parts take the wizard's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Registration {
    pub(crate) amount: Option<(Decimal, i64)>,
    pub(crate) date: Option<Date>,
    pub(crate) journal: Option<i64>,
    pub(crate) memo: Option<String>,
}

/// The wizard's context: the invoices paid are its active records.
fn paying(call: OdooCall, invoices: &[i64]) -> OdooCall {
    call.context("active_model", json!(account_move::MOVE.name)).context("active_ids", json!(invoices))
}

/// Opens the payment wizard on posted invoices with what the payment says. A partial amount
/// leaves the rest open (`payment_difference_handling` "open"), never written off.
pub(crate) fn open(schema: &Schema, invoices: &[i64], payment: &Registration) -> OdooCall {
    let mut vals = Map::new();
    if invoices.len() > 1 {
        vals.extend(schema.vals([(&GROUPED, json!(true))]));
    }
    if let Some((amount, currency)) = payment.amount {
        vals.extend(schema.vals([
            (&PAY_AMOUNT, super::decimal_value(amount)),
            (&PAY_CURRENCY, json!(currency)),
            (&DIFFERENCE, json!("open")),
        ]));
    }
    if let Some(date) = payment.date {
        vals.extend(schema.vals([(&PAY_DATE, json!(account_move::odoo_date(date)))]));
    }
    if let Some(journal) = payment.journal {
        vals.extend(schema.vals([(&PAY_JOURNAL, json!(journal))]));
    }
    if let Some(memo) = &payment.memo {
        vals.extend(schema.vals([(&PAY_MEMO, json!(memo))]));
    }
    paying(OdooCall::new(WIZARD.name, "create").param("vals_list", json!([Value::Object(vals)])), invoices)
}

/// Registers the payment; Odoo answers an action on it.
pub(crate) fn create_payments(wizard: i64, invoices: &[i64]) -> OdooCall {
    paying(OdooCall::new(WIZARD.name, "action_create_payments").ids(vec![wizard]), invoices)
}

/// The payment an `action_create_payments` answer names, when it names one.
pub(crate) fn made(answer: &Value) -> Option<i64> {
    answer.get("res_id").and_then(Value::as_i64)
}

/// The calls that undo a payment: back to draft, then cancelled (Odoo keeps cancelled payments
/// rather than deleting posted numbers).
pub(crate) fn remove(id: i64) -> Vec<OdooCall> {
    vec![
        OdooCall::new(PAYMENT.name, "action_draft").ids(vec![id]),
        OdooCall::new(PAYMENT.name, "action_cancel").ids(vec![id]),
    ]
}

pub(crate) const JOURNAL: Model = Model::new("account.journal", "account");
const JOURNAL_KIND: Field = JOURNAL.field("type");
pub(crate) const JOURNAL_FIELDS: &[Field] = &[JOURNAL_KIND];

/// Whether journal `id` takes payments (a bank or cash journal); `None` when there is none.
pub(crate) async fn takes_payments(
    odoo: &super::Odoo,
    schema: &Schema,
    id: i64,
) -> Result<Option<bool>, crate::OdooError> {
    let rows = odoo.read(schema, JOURNAL, &[id], JOURNAL_FIELDS).await?;
    rows.first().map(|r| Ok(matches!(Row::new(JOURNAL, r)?.text(&JOURNAL_KIND)?, Some("bank" | "cash")))).transpose()
}
