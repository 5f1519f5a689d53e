//! The backorder wizard (`stock.backorder.confirmation` and its lines, module `stock`) that
//! `button_validate` opens on a partial pick. Created with the action's context, it gets a line
//! per transfer of `default_pick_ids` (to backorder). It only acts on the context's
//! `button_validate_picking_ids`: created and processed without it, `process` answers `true` and
//! does nothing, as in Odoo. Each step is its own call (and, over JSON-2, its own transaction).

use serde_json::json;

use super::{context_ids, ids, stock_picking};
use crate::{
    error::SimResult,
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
        row,
    },
};

const WIZARD: &str = "stock.backorder.confirmation";
const LINE: &str = "stock.backorder.confirmation.line";

pub(crate) struct BackorderConfirmation;

impl Model for BackorderConfirmation {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(WIZARD, "Backorder Confirmation", "stock", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("pick_ids", Many2many("stock.picking"), "Pick")
            .stored("show_transfers", Boolean, "Show Transfers")
            .stored(
                "backorder_confirmation_line_ids",
                One2many(LINE, "backorder_confirmation_id"),
                "Backorder Confirmation Lines",
            );
    }

    /// Odoo's `default_get`: transfers given by the context's `default_pick_ids` (not by the values)
    /// get a line each, to backorder.
    fn after_create(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        if !env.context.contains_key("default_pick_ids")
            || !db.ids_where(LINE, "backorder_confirmation_id", id).is_empty()
        {
            return Ok(());
        }
        for picking in ids(&db.get(WIZARD, id, "pick_ids")) {
            db.insert(
                LINE,
                row(&[
                    ("backorder_confirmation_id", json!(id)),
                    ("picking_id", json!(picking)),
                    ("to_backorder", json!(true)),
                ]),
            );
        }
        Ok(())
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

/// Validates the transfers of the context, putting what was not picked on backorders — except for
/// transfers whose line says not to backorder. Answers what `button_validate` answers.
fn process(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let pickings = context_ids(env.context.get("button_validate_picking_ids"));
    if pickings.is_empty() {
        return Ok(Outcome::Value(json!(true)));
    }
    let not_to_backorder: Vec<i64> = args
        .ids
        .iter()
        .flat_map(|w| db.ids_where(LINE, "backorder_confirmation_id", *w))
        .filter(|l| !db.get_bool(LINE, *l, "to_backorder"))
        .filter_map(|l| db.get_i64(LINE, l, "picking_id"))
        .collect();
    let mut env = env.clone();
    env.context.insert("skip_backorder".into(), json!(true));
    if !not_to_backorder.is_empty() {
        env.context.insert("picking_ids_not_to_backorder".into(), json!(not_to_backorder));
    }
    stock_picking::button_validate(db, &env, &pickings).map(Outcome::Value)
}

/// Validates the transfers of the context and drops what was not picked (no backorder for the
/// wizard's transfers).
fn process_cancel_backorder(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let pickings = context_ids(env.context.get("button_validate_picking_ids"));
    if pickings.is_empty() {
        return Ok(Outcome::Value(json!(true)));
    }
    let wizard_pickings: Vec<i64> = args.ids.iter().flat_map(|w| ids(&db.get(WIZARD, *w, "pick_ids"))).collect();
    let mut env = env.clone();
    env.context.insert("skip_backorder".into(), json!(true));
    env.context.insert("picking_ids_not_to_backorder".into(), json!(wizard_pickings));
    stock_picking::button_validate(db, &env, &pickings).map(Outcome::Value)
}

/// A line of the backorder wizard: one transfer and whether to backorder its rest.
pub(crate) struct BackorderConfirmationLine;

impl Model for BackorderConfirmationLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(LINE, "Backorder Confirmation Line", "stock", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("backorder_confirmation_id", Many2one(WIZARD), "Immediate Transfer")
            .stored("picking_id", Many2one("stock.picking"), "Transfer")
            .stored("to_backorder", Boolean, "To Backorder");
    }
}
