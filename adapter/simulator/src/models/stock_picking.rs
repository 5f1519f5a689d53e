//! Transfers (`stock.picking`, module `stock`, extended by `sale_stock`, `purchase_stock` and
//! `stock_delivery`): their state follows their moves; `button_validate` moves what was picked,
//! returns the backorder wizard on a partial pick, and makes backorders.

use serde_json::{Value, json};

use super::{
    context_ids, mail,
    stock_move::{self, OPEN_MOVE_STATES},
    warehouse::PICKING_CODE,
};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        methods::{Outcome, sig},
        now,
        registry::{Info, Method, Model},
    },
};

const PICKING_STATE: &[(&str, &str)] = &[
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
];
const PRIORITY: &[(&str, &str)] = &[("0", "Normal"), ("1", "Urgent")];

pub(crate) struct Picking;

impl Model for Picking {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.picking", "Transfer", "stock", "priority desc, scheduled_date asc, id desc")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Reference")
            .stored("state", selection(PICKING_STATE), "Status")
            .default("state", json!("draft"))
            .stored("picking_type_id", Many2one("stock.picking.type"), "Operation Type")
            .required("picking_type_id")
            .computed("picking_type_code", selection(PICKING_CODE), "Type of Operation")
            .stored("partner_id", Many2one("res.partner"), "Contact")
            .stored("origin", Char, "Source Document")
            .stored("location_id", Many2one("stock.location"), "Source Location")
            .stored("location_dest_id", Many2one("stock.location"), "Destination Location")
            .stored("move_ids", One2many("stock.move", "picking_id"), "Stock Moves")
            .stored("scheduled_date", Datetime, "Scheduled Date")
            .stored("date_deadline", Datetime, "Deadline")
            .stored("date_done", Datetime, "Date of Transfer")
            .stored("priority", selection(PRIORITY), "Priority")
            .default("priority", json!("0"))
            .stored("backorder_id", Many2one("stock.picking"), "Back Order of")
            .stored("backorder_ids", One2many("stock.picking", "backorder_id"), "Back Orders")
            .stored("return_id", Many2one("stock.picking"), "Return of")
            .stored("return_ids", One2many("stock.picking", "return_id"), "Returns")
            .computed("return_count", Integer, "# Returns")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(1));
        if version == OdooVersion::V18 {
            f.stored("move_ids_without_package", One2many("stock.move", "picking_id"), "Stock moves not in package");
        }
        f.addon("sale_stock").stored("sale_id", Many2one("sale.order"), "Sales Order");
        // Related to the moves' purchase lines in Odoo; the simulator keeps it on the transfer.
        f.addon("purchase_stock").related("purchase_id", Many2one("purchase.order"), "Purchase Orders");
        f.addon("stock_delivery").stored("carrier_id", Many2one("delivery.carrier"), "Carrier").stored(
            "carrier_tracking_ref",
            Char,
            "Tracking Reference",
        );
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "picking_type_code" => db
                .get_i64("stock.picking", id, "picking_type_id")
                .map_or(Value::Bool(false), |t| db.get("stock.picking.type", t, "code")),
            "return_count" => json!(db.ids_where("stock.picking", "return_id", id).len()),
            _ => return None,
        })
    }

    /// A transfer created directly takes its type's locations and the type's next name.
    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        let picking_type = db.get_i64("stock.picking", id, "picking_type_id").unwrap_or_default();
        let code = db.get_str("stock.picking.type", picking_type, "code");
        for (field, default, usage) in [
            ("location_id", "default_location_src_id", "supplier"),
            ("location_dest_id", "default_location_dest_id", "customer"),
        ] {
            if db.get_i64("stock.picking", id, field).is_some() {
                continue;
            }
            // Receipts come from vendors and deliveries go to customers when the type does not say.
            let location = db.get_i64("stock.picking.type", picking_type, default).or_else(|| {
                let virtual_side = (field == "location_id") == (code == "incoming");
                virtual_side.then(|| location_of_usage(db, usage)).flatten()
            });
            db.set("stock.picking", id, field, location.map_or(json!(false), |l| json!(l)));
        }
        if db.get_str("stock.picking", id, "name").is_empty() {
            db.set("stock.picking", id, "name", json!(next_name(db, picking_type)));
        }
        if db.get_str("stock.picking", id, "scheduled_date").is_empty() {
            db.set("stock.picking", id, "scheduled_date", json!(now()));
        }
        Ok(())
    }

    fn methods(&self, db: &Database) -> Vec<Method> {
        let mut methods = vec![
            Method {
                name: "button_validate",
                signature: sig(false, &[], 0, false, false),
                on_records: true,
                run: |db, env, args| button_validate(db, env, args.ids).map(Outcome::Value),
            },
            Method {
                name: "action_confirm",
                signature: sig(false, &[], 0, false, false),
                on_records: true,
                run: |db, _env, args| action_confirm(db, args.ids).map(Outcome::Value),
            },
        ];
        methods.extend(mail::message_post(db));
        methods
    }
}

/// The first location of a usage (the vendors' or the customers' virtual location).
pub(crate) fn location_of_usage(db: &Database, usage: &str) -> Option<i64> {
    db.table("stock.location").rows.keys().copied().find(|l| db.get_str("stock.location", *l, "usage") == usage)
}

/// "WH/IN/00012": the warehouse code, the type's prefix and a number per type.
pub(crate) fn next_name(db: &Database, picking_type: i64) -> String {
    let warehouse = db.get_i64("stock.picking.type", picking_type, "warehouse_id").unwrap_or(1);
    let sequence = db.ids_where("stock.picking", "picking_type_id", picking_type).len() + 1;
    format!(
        "{}/{}/{sequence:05}",
        db.get_str("stock.warehouse", warehouse, "code"),
        db.get_str("stock.picking.type", picking_type, "sequence_code")
    )
}

/// `stock.picking.action_confirm`: draft moves wait for stock and reserve what they can.
fn action_confirm(db: &mut Database, ids: &[i64]) -> SimResult<Value> {
    for picking in ids {
        for mv in db.ids_where("stock.move", "picking_id", *picking) {
            if db.get_str("stock.move", mv, "state") == "draft" {
                db.set("stock.move", mv, "state", json!("confirmed"));
                stock_move::reserve(db, mv);
            }
        }
        refresh_state(db, *picking);
    }
    Ok(json!(true))
}

/// A transfer's state from its moves' states.
pub(crate) fn refresh_state(db: &mut Database, picking: i64) {
    let states: Vec<String> = db
        .ids_where("stock.move", "picking_id", picking)
        .into_iter()
        .map(|m| db.get_str("stock.move", m, "state"))
        .filter(|s| s != "cancel")
        .collect();
    let state = if states.is_empty() {
        "cancel"
    } else if states.iter().all(|s| s == "done") {
        "done"
    } else if states.iter().all(|s| s == "draft") {
        "draft"
    } else if states.iter().all(|s| s == "assigned" || s == "done") {
        "assigned"
    } else {
        "confirmed"
    };
    db.set("stock.picking", picking, "state", json!(state));
}

/// Cancels a transfer that is not done, releasing its reservations.
pub(crate) fn cancel(db: &mut Database, picking: i64) {
    if db.get_str("stock.picking", picking, "state") == "done" {
        return;
    }
    for mv in db.ids_where("stock.move", "picking_id", picking) {
        if db.get_str("stock.move", mv, "state") != "done" {
            stock_move::unreserve(db, mv);
            db.set("stock.move", mv, "state", json!("cancel"));
        }
    }
    db.set("stock.picking", picking, "state", json!("cancel"));
}

fn open_moves(db: &Database, picking: i64) -> Vec<i64> {
    db.ids_where("stock.move", "picking_id", picking)
        .into_iter()
        .filter(|m| OPEN_MOVE_STATES.contains(&db.get_str("stock.move", *m, "state").as_str()))
        .collect()
}

/// `stock.picking.button_validate`: moves what was picked. With nothing picked, every reserved
/// quantity counts as picked (as Odoo does); with nothing reserved either, a UserError. A partial
/// pick returns the backorder wizard's action and validates nothing, unless the context says
/// `skip_backorder` (the rest goes to a backorder, or is dropped for the transfers listed in
/// `picking_ids_not_to_backorder`).
pub(crate) fn button_validate(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<Value> {
    let skip_backorder = env.flag("skip_backorder");
    let no_backorder = context_ids(env.context.get("picking_ids_not_to_backorder"));
    let mut partial = Vec::new();
    for picking in ids {
        let moves = open_moves(db, *picking);
        if moves.iter().all(|m| db.get_f64("stock.move", *m, "quantity") <= 0.0) {
            return Err(SimError::user(
                "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities.",
            ));
        }
        if !moves.iter().any(|m| db.get_bool("stock.move", *m, "picked")) {
            for mv in &moves {
                if db.get_f64("stock.move", *mv, "quantity") > 0.0 {
                    db.set("stock.move", *mv, "picked", json!(true));
                }
            }
        }
        if moves.iter().any(|m| stock_move::picked_quantity(db, *m) < db.get_f64("stock.move", *m, "product_uom_qty")) {
            partial.push(*picking);
        }
    }
    if !partial.is_empty() && !skip_backorder {
        return Ok(json!({
            "name": "Create Backorder?",
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "res_model": "stock.backorder.confirmation",
            "views": [[898, "form"]],
            "view_id": 898,
            "target": "new",
            "context": {
                "button_validate_picking_ids": ids,
                "default_show_transfers": false,
                "default_pick_ids": ids.iter().map(|id| json!([4, id])).collect::<Vec<_>>(),
            },
        }));
    }
    for picking in ids {
        let order = db.get_i64("stock.picking", *picking, "sale_id");
        let status_before = order.map(|o| super::sale_order::delivery_status(db, o));
        for mv in open_moves(db, *picking) {
            let done = stock_move::picked_quantity(db, mv);
            let rest = db.get_f64("stock.move", mv, "product_uom_qty") - done;
            if done <= 0.0 {
                stock_move::unreserve(db, mv);
                db.set("stock.move", mv, "state", json!("cancel"));
                continue;
            }
            stock_move::move_stock(db, mv, done);
            db.set("stock.move", mv, "product_uom_qty", json!(done));
            db.set("stock.move", mv, "quantity", json!(done));
            db.set("stock.move", mv, "state", json!("done"));
            if rest > 0.0 && !no_backorder.contains(picking) {
                backorder_move(db, *picking, mv, rest);
            }
        }
        db.set("stock.picking", *picking, "date_done", json!(now()));
        refresh_state(db, *picking);
        // Odoo stores the order's delivery status; recomputing it stamps the order's write_date.
        if let Some(order) = order
            && Some(super::sale_order::delivery_status(db, order)) != status_before
        {
            db.touch("sale.order", order);
        }
    }
    Ok(json!(true))
}

/// Puts the rest of a partly done move on the transfer's backorder, created on first need.
fn backorder_move(db: &mut Database, picking: i64, mv: i64, rest: f64) {
    let existing = db.ids_where("stock.picking", "backorder_id", picking).into_iter().next();
    let backorder = existing.unwrap_or_else(|| {
        let mut copy = db.row("stock.picking", picking).cloned().unwrap_or_default();
        let picking_type = db.get_i64("stock.picking", picking, "picking_type_id").unwrap_or_default();
        copy.insert("name".into(), json!(next_name(db, picking_type)));
        copy.insert("backorder_id".into(), json!(picking));
        copy.insert("state".into(), json!("confirmed"));
        copy.insert("date_done".into(), json!(false));
        copy.remove("create_date");
        copy.remove("write_date");
        db.insert("stock.picking", copy)
    });
    let mut copy = db.row("stock.move", mv).cloned().unwrap_or_default();
    copy.insert("product_uom_qty".into(), json!(rest));
    copy.insert("quantity".into(), json!(0.0));
    copy.insert("picked".into(), json!(false));
    copy.insert("state".into(), json!("confirmed"));
    copy.insert("picking_id".into(), json!(backorder));
    copy.insert("reference".into(), db.get("stock.picking", backorder, "name"));
    copy.remove("create_date");
    copy.remove("write_date");
    let new_move = db.insert("stock.move", copy);
    stock_move::reserve(db, new_move);
    refresh_state(db, backorder);
}
