//! `account.move.reversal`: Odoo's credit note wizard. Created with the posted invoice as the
//! context's active record and a `journal_id` in its values (Odoo requires one, recordings 099 of
//! 18 and 29 of 19), `refund_moves` makes the draft credit note and answers an action on it. Once
//! posted, the credit note is reconciled with its invoice (100).

use serde_json::json;

use super::{Field, Model, Schema, account_move::MOVE};
use crate::OdooCall;

pub(crate) const WIZARD: Model = Model::new("account.move.reversal", "account");
const REASON: Field = WIZARD.field("reason");
const JOURNAL: Field = WIZARD.field("journal_id");

pub(crate) const FIELDS: &[Field] = &[REASON, JOURNAL];

fn reversing(call: OdooCall, invoice: i64) -> OdooCall {
    call.context("active_model", json!(MOVE.name)).context("active_ids", json!([invoice]))
}

pub(crate) fn open(schema: &Schema, invoice: i64, journal: i64, reason: &str) -> OdooCall {
    let vals = schema.vals([(&REASON, json!(reason)), (&JOURNAL, json!(journal))]);
    reversing(OdooCall::new(WIZARD.name, "create").param("vals_list", json!([vals])), invoice)
}

pub(crate) fn refund(wizard: i64, invoice: i64) -> OdooCall {
    reversing(OdooCall::new(WIZARD.name, "refund_moves").ids(vec![wizard]), invoice)
}
