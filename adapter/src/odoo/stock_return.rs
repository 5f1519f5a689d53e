//! `stock.return.picking`: Odoo's return wizard. Created with the done transfer as the context's
//! active record, its lines are computed then — one per move, with quantity 0 (recordings 095 of
//! Odoo 18, 76 of 19) — so each line's quantity is written before `action_create_returns`, which
//! makes the return in one call and answers an action naming it.

use serde_json::{Value, json};

use super::{Field, Model, Odoo, Row, Schema, stock_picking::PICKING};
use crate::{OdooCall, OdooError};

pub(crate) const WIZARD: Model = Model::new("stock.return.picking", "stock");
const LINES: Field = WIZARD.field("product_return_moves");
pub(crate) const LINE: Model = Model::new("stock.return.picking.line", "stock");
const MOVE: Field = LINE.field("move_id");
const QUANTITY: Field = LINE.field("quantity");

pub(crate) const FIELDS: &[Field] = &[LINES];
pub(crate) const LINE_FIELDS: &[Field] = &[MOVE, QUANTITY];

/// The context that makes the wizard return `picking`: it must come with every call.
fn returning(call: OdooCall, picking: i64) -> OdooCall {
    call.context("active_model", json!(PICKING.name))
        .context("active_id", json!(picking))
        .context("active_ids", json!([picking]))
}

/// Opens the wizard on a done transfer; Odoo refuses one that is not done.
pub(crate) async fn open(odoo: &Odoo, picking: i64) -> Result<i64, OdooError> {
    let call = returning(OdooCall::new(WIZARD.name, "create").param("vals_list", json!([{}])), picking);
    let answer = odoo.call(call).await?;
    super::ir_model_data::ids_of(&answer)
        .first()
        .copied()
        .ok_or_else(|| OdooError::Protocol { message: "the return wizard was not created".into() })
}

/// The wizard's lines: each line's id and the move it returns.
pub(crate) async fn lines(odoo: &Odoo, schema: &Schema, wizard: i64) -> Result<Vec<(i64, i64)>, OdooError> {
    let wizards = odoo.read(schema, WIZARD, &[wizard], FIELDS).await?;
    let ids = match wizards.first() {
        Some(row) => Row::new(WIZARD, row)?.ids(&LINES)?,
        None => Vec::new(),
    };
    let rows = odoo.read(schema, LINE, &ids, LINE_FIELDS).await?;
    rows.iter()
        .map(|r| {
            let row = Row::new(LINE, r)?;
            Ok((row.id(), row.reference(&MOVE)?.id))
        })
        .collect()
}

pub(crate) fn set_quantity(schema: &Schema, line: i64, quantity: rust_decimal::Decimal) -> OdooCall {
    super::write(LINE, line, schema.vals([(&QUANTITY, super::decimal_value(quantity))]))
}

/// Makes the return; Odoo answers an action on the new transfer.
pub(crate) fn create_returns(wizard: i64, picking: i64) -> OdooCall {
    returning(OdooCall::new(WIZARD.name, "action_create_returns").ids(vec![wizard]), picking)
}

/// The return an `action_create_returns` answer names.
pub(crate) fn made(answer: &Value) -> Option<i64> {
    answer.get("res_id").and_then(Value::as_i64)
}
