//! The backorder wizard (`stock.backorder.confirmation`, module `stock`) that `button_validate`
//! opens on a partial pick. It only acts with the action's context (`button_validate_picking_ids`):
//! created and processed without it, `process` answers `true` and does nothing, as in Odoo.

use serde_json::json;

use super::{context_ids, stock_picking};
use crate::{
    error::SimResult,
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
    },
};

pub(crate) struct BackorderConfirmation;

impl Model for BackorderConfirmation {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.backorder.confirmation", "Backorder Confirmation", "stock", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("pick_ids", Many2many("stock.picking"), "Pick").stored("show_transfers", Boolean, "Show Transfers");
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        vec![
            Method { name: "process", signature: sig(false, &[], 0, false, false), on_records: true, run: process },
            Method {
                name: "process_cancel_backorder",
                signature: sig(false, &[], 0, false, false),
                on_records: true,
                run: process_cancel_backorder,
            },
        ]
    }
}

/// Validates the transfers of the context, putting what was not picked on backorders.
fn process(db: &mut Database, env: &Env, _args: &Args<'_>) -> SimResult<Outcome> {
    let pickings = context_ids(env.context.get("button_validate_picking_ids"));
    if pickings.is_empty() {
        return Ok(Outcome::Value(json!(true)));
    }
    let mut env = env.clone();
    env.context.insert("skip_backorder".into(), json!(true));
    stock_picking::button_validate(db, &env, &pickings).map(Outcome::Value)
}

/// Validates the transfers of the context and drops what was not picked (no backorder).
fn process_cancel_backorder(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let pickings = context_ids(env.context.get("button_validate_picking_ids"));
    if pickings.is_empty() {
        return Ok(Outcome::Value(json!(true)));
    }
    let wizard_pickings: Vec<i64> =
        args.ids.iter().flat_map(|w| super::ids(&db.get("stock.backorder.confirmation", *w, "pick_ids"))).collect();
    let mut env = env.clone();
    env.context.insert("skip_backorder".into(), json!(true));
    env.context.insert("picking_ids_not_to_backorder".into(), json!(wizard_pickings));
    stock_picking::button_validate(db, &env, &pickings).map(Outcome::Value)
}
