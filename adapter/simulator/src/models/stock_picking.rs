//! Transfers (`stock.picking`, module `stock`, extended by `sale_stock`, `purchase_stock`,
//! `stock_delivery` and `stock_sms`): their state follows their moves; `action_assign` reserves;
//! `button_validate` runs Odoo's pre-validation wizards (the backorder question on a partial pick,
//! then the one-time SMS question on a customer delivery) and otherwise moves what was picked,
//! making backorders of the rest unless told not to.

use serde_json::{Map, Value, json};

use super::{
    context_ids, mail,
    stock_move::{self, OPEN_MOVE_STATES},
    stock_move_line, stock_sms,
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

const PICKING: &str = "stock.picking";

const PICKING_STATE: &[(&str, &str)] = &[
    ("draft", "Draft"),
    ("waiting", "Waiting Another Operation"),
    ("confirmed", "Waiting"),
    ("assigned", "Ready"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
];
const PRIORITY: &[(&str, &str)] = &[("0", "Normal"), ("1", "Urgent")];
const MOVE_TYPE: &[(&str, &str)] = &[("direct", "As soon as possible"), ("one", "When all products are ready")];

/// The stored order statuses a validation may change, by the transfer's link to its order.
const ORDER_STATUS: [(&str, &str, &str); 2] =
    [("sale_id", "sale.order", "delivery_status"), ("purchase_id", "purchase.order", "receipt_status")];

pub(crate) struct Picking;

impl Model for Picking {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(PICKING, "Transfer", "stock", "priority desc, scheduled_date asc, id desc")
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
            .stored("move_line_ids", One2many(stock_move_line::LINE, "picking_id"), "Operations")
            .stored("move_type", selection(MOVE_TYPE), "Shipping Policy")
            .default("move_type", json!("direct"))
            .stored("scheduled_date", Datetime, "Scheduled Date")
            .stored("date_deadline", Datetime, "Deadline")
            .stored("date_done", Datetime, "Date of Transfer")
            .stored("priority", selection(PRIORITY), "Priority")
            .default("priority", json!("0"))
            .stored("user_id", Many2one("res.users"), "Responsible")
            .stored("note", Html, "Notes")
            .stored("is_locked", Boolean, "Is Locked")
            .default("is_locked", json!(true))
            .stored("backorder_id", Many2one(PICKING), "Back Order of")
            .stored("backorder_ids", One2many(PICKING, "backorder_id"), "Back Orders")
            .stored("return_id", Many2one(PICKING), "Return of")
            .stored("return_ids", One2many(PICKING, "return_id"), "Returns")
            .computed("return_count", Integer, "# Returns")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(1));
        if version == OdooVersion::V18 {
            f.stored("move_ids_without_package", One2many("stock.move", "picking_id"), "Stock moves not in package")
                .stored(
                    "move_line_ids_without_package",
                    One2many(stock_move_line::LINE, "picking_id"),
                    "Operations without package",
                );
        }
        mail::thread_fields(f);
        f.addon("sale_stock").stored("sale_id", Many2one("sale.order"), "Sales Order");
        // Related to the moves' purchase lines in Odoo; the simulator keeps it on the transfer.
        f.addon("purchase_stock").related("purchase_id", Many2one("purchase.order"), "Purchase Orders");
        // A plain text field: writable before and after the transfer is done.
        f.addon("stock_delivery").stored("carrier_id", Many2one("delivery.carrier"), "Carrier").stored(
            "carrier_tracking_ref",
            Char,
            "Tracking Reference",
        );
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "picking_type_code" => db
                .get_i64(PICKING, id, "picking_type_id")
                .map_or(Value::Bool(false), |t| db.get("stock.picking.type", t, "code")),
            "return_count" => json!(db.ids_where(PICKING, "return_id", id).len()),
            _ => return mail::compute_thread(db, PICKING, id, field),
        })
    }

    /// A transfer created directly takes its type's locations and the type's next name.
    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        let picking_type = db.get_i64(PICKING, id, "picking_type_id").unwrap_or_default();
        let code = db.get_str("stock.picking.type", picking_type, "code");
        for (field, default, usage) in [
            ("location_id", "default_location_src_id", "supplier"),
            ("location_dest_id", "default_location_dest_id", "customer"),
        ] {
            if db.get_i64(PICKING, id, field).is_some() {
                continue;
            }
            // Receipts come from vendors and deliveries go to customers when the type does not say.
            let location = db.get_i64("stock.picking.type", picking_type, default).or_else(|| {
                let virtual_side = (field == "location_id") == (code == "incoming");
                virtual_side.then(|| location_of_usage(db, usage)).flatten()
            });
            db.set(PICKING, id, field, location.map_or(json!(false), |l| json!(l)));
        }
        if db.get_str(PICKING, id, "name").is_empty() {
            db.set(PICKING, id, "name", json!(next_name(db, picking_type)));
        }
        if db.get_str(PICKING, id, "scheduled_date").is_empty() {
            db.set(PICKING, id, "scheduled_date", json!(now()));
        }
        Ok(())
    }

    fn methods(&self, db: &Database) -> Vec<Method> {
        let on_records =
            |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        let mut methods = vec![
            on_records(
                "button_validate",
                (|db, env, args| button_validate(db, env, args.ids).map(Outcome::Value))
                    as fn(&mut Database, &Env, &crate::orm::registry::Args<'_>) -> SimResult<Outcome>,
            ),
            on_records("action_confirm", |db, _env, args| {
                action_confirm(db, args.ids);
                Ok(Outcome::Value(json!(true)))
            }),
            on_records("action_assign", |db, _env, args| action_assign(db, args.ids).map(Outcome::Value)),
            on_records("action_cancel", |db, _env, args| {
                for picking in args.ids {
                    cancel(db, *picking);
                }
                Ok(Outcome::Value(json!(true)))
            }),
            on_records("do_unreserve", |db, _env, args| {
                do_unreserve(db, args.ids)?;
                Ok(Outcome::Nothing)
            }),
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
    let sequence = db.ids_where(PICKING, "picking_type_id", picking_type).len() + 1;
    format!(
        "{}/{}/{sequence:05}",
        db.get_str("stock.warehouse", warehouse, "code"),
        db.get_str("stock.picking.type", picking_type, "sequence_code")
    )
}

fn moves_of(db: &Database, picking: i64) -> Vec<i64> {
    db.ids_where("stock.move", "picking_id", picking)
}

fn open_moves(db: &Database, picking: i64) -> Vec<i64> {
    moves_of(db, picking)
        .into_iter()
        .filter(|m| OPEN_MOVE_STATES.contains(&db.get_str("stock.move", *m, "state").as_str()))
        .collect()
}

/// `stock.picking.action_confirm`: draft moves wait for stock and reserve what they can.
fn action_confirm(db: &mut Database, ids: &[i64]) {
    for picking in ids {
        for mv in moves_of(db, *picking) {
            stock_move::confirm(db, mv);
        }
        refresh_state(db, *picking);
    }
}

/// `stock.picking.action_assign` ("Check Availability"): open moves reserve what they still need;
/// draft transfers are confirmed first.
fn action_assign(db: &mut Database, ids: &[i64]) -> SimResult<Value> {
    let drafts: Vec<i64> = ids.iter().copied().filter(|p| db.get_str(PICKING, *p, "state") == "draft").collect();
    action_confirm(db, &drafts);
    let moves: Vec<i64> = ids
        .iter()
        .flat_map(|p| open_moves(db, *p))
        .filter(|m| db.get_str("stock.move", *m, "state") != "draft")
        .collect();
    if moves.is_empty() {
        return Err(SimError::user("Nothing to check the availability for."));
    }
    for mv in moves {
        stock_move::reserve(db, mv);
    }
    for picking in ids {
        refresh_state(db, *picking);
    }
    Ok(json!(true))
}

/// `stock.picking.do_unreserve`: open moves not marked picked give their reservations back.
fn do_unreserve(db: &mut Database, ids: &[i64]) -> SimResult<()> {
    for picking in ids {
        for mv in moves_of(db, *picking) {
            match db.get_str("stock.move", mv, "state").as_str() {
                "done" => return Err(SimError::user("You cannot unreserve a stock move that has been set to 'Done'.")),
                "cancel" => {}
                _ => stock_move::do_unreserve(db, mv),
            }
        }
        refresh_state(db, *picking);
    }
    Ok(())
}

/// A transfer's state from its moves', as Odoo's `_compute_state`: draft while any move is, done
/// once all are done or cancelled; from a vendor or customer always ready; otherwise ready as soon
/// as something is reserved (the default "as soon as possible" policy) or once everything is
/// ("when all products are ready").
pub(crate) fn refresh_state(db: &mut Database, picking: i64) {
    let moves = moves_of(db, picking);
    let states: Vec<String> = moves.iter().map(|m| db.get_str("stock.move", *m, "state")).collect();
    let source = db.get_i64(PICKING, picking, "location_id").unwrap_or_default();
    let state = if states.is_empty() || states.iter().any(|s| s == "draft") {
        "draft"
    } else if states.iter().all(|s| s == "cancel") {
        "cancel"
    } else if states.iter().all(|s| s == "cancel" || s == "done") {
        "done"
    } else if ["supplier", "customer", "inventory", "production"]
        .contains(&db.get_str("stock.location", source, "usage").as_str())
    {
        "assigned"
    } else {
        relevant_state(db, picking, &moves)
    };
    db.set(PICKING, picking, "state", json!(state));
}

/// Odoo's `_get_relevant_state_among_moves`, turned into the transfer's state.
fn relevant_state(db: &Database, picking: i64, moves: &[i64]) -> &'static str {
    let rank = |s: &str| match s {
        "assigned" => 4,
        "waiting" => 3,
        "partially_available" => 2,
        "confirmed" => 1,
        _ => 0,
    };
    let mut todo: Vec<(i32, f64, String)> = moves
        .iter()
        .map(|m| (db.get_str("stock.move", *m, "state"), db.get_f64("stock.move", *m, "product_uom_qty")))
        .filter(|(s, demand)| s != "cancel" && s != "done" && !(s == "assigned" && *demand == 0.0))
        .map(|(s, demand)| (rank(&s), demand, s))
        .collect();
    todo.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let Some((first, last)) = todo.first().zip(todo.last()) else { return "assigned" };
    let state_of = |s: &str| match s {
        "assigned" | "partially_available" => "assigned",
        "waiting" => "waiting",
        _ => "confirmed",
    };
    if db.get_str(PICKING, picking, "move_type") == "one" {
        if todo.iter().all(|t| t.1 == 0.0) {
            return "assigned";
        }
        return if matches!(first.2.as_str(), "confirmed" | "partially_available") {
            "confirmed"
        } else {
            state_of(&first.2)
        };
    }
    if first.2 != "assigned" && todo.iter().any(|t| t.2 == "assigned" || t.2 == "partially_available") {
        return "assigned";
    }
    if last.2 == "confirmed" && last.1 == 0.0 { "assigned" } else { state_of(&last.2) }
}

/// Cancels a transfer that is not done, releasing its reservations.
pub(crate) fn cancel(db: &mut Database, picking: i64) {
    if db.get_str(PICKING, picking, "state") == "done" {
        return;
    }
    for mv in moves_of(db, picking) {
        if db.get_str("stock.move", mv, "state") != "done" {
            stock_move::cancel(db, mv);
        }
    }
    db.set(PICKING, picking, "state", json!("cancel"));
}

/// `stock.picking.button_validate`. Draft transfers are confirmed and take their demand as done;
/// the sanity checks refuse a transfer without moves, with nothing reserved or picked, or with a
/// tracked product picked without its lot. With nothing marked picked, everything with a quantity
/// counts as picked (and stays so). Then the pre-validation wizards, each answering its action and
/// validating nothing: the backorder question when something was picked short (unless the context
/// says `skip_backorder`), and the SMS question (unless `skip_sms`). Otherwise the transfers are
/// done — those in `picking_ids_not_to_backorder` without a backorder — and the answer is `true`.
pub(crate) fn button_validate(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<Value> {
    let drafts: Vec<i64> = ids.iter().copied().filter(|p| db.get_str(PICKING, *p, "state") == "draft").collect();
    action_confirm(db, &drafts);
    for picking in &drafts {
        for mv in open_moves(db, *picking) {
            if db.get_f64("stock.move", mv, "quantity") == 0.0 && db.get_f64("stock.move", mv, "product_uom_qty") != 0.0
            {
                stock_move::set_quantity(db, mv, db.get_f64("stock.move", mv, "product_uom_qty"));
            }
        }
    }
    if !env.flag("skip_sanity_check") {
        sanity_check(db, env, ids)?;
    }
    let mut env = env.clone();
    if context_ids(env.context.get("button_validate_picking_ids")).is_empty() {
        env.context.insert("button_validate_picking_ids".into(), json!(ids));
    }
    if let Some(wizard) = pre_validation_wizard(db, &env, ids)? {
        return Ok(wizard);
    }
    let not_to_backorder = context_ids(env.context.get("picking_ids_not_to_backorder"));
    let type_policy = |db: &Database, picking: i64| {
        let picking_type = db.get_i64(PICKING, picking, "picking_type_id").unwrap_or_default();
        db.get_str("stock.picking.type", picking_type, "create_backorder")
    };
    let (without, with): (Vec<i64>, Vec<i64>) = ids.iter().partition(|p| {
        let policy = type_policy(db, **p);
        policy == "never" || (not_to_backorder.contains(p) && policy != "always")
    });
    action_done(db, &env, &without, true)?;
    action_done(db, &env, &with, false)?;
    Ok(json!(true))
}

/// `_sanity_check`: what Odoo refuses before asking anything.
fn sanity_check(db: &Database, env: &Env, ids: &[i64]) -> SimResult<()> {
    let single = ids.len() <= 1;
    let empty: Vec<i64> = ids.iter().copied().filter(|p| moves_of(db, *p).is_empty()).collect();
    let nothing_reserved = ids.iter().any(|p| {
        !moves_of(db, *p).is_empty()
            && open_moves(db, *p).iter().all(|m| db.get_f64("stock.move", *m, "quantity").abs() < 1e-9)
    });
    let mut without_lots: Vec<i64> = Vec::new();
    let mut pickings_without_lots: Vec<String> = Vec::new();
    for picking in ids {
        let picking_type = db.get_i64(PICKING, *picking, "picking_type_id").unwrap_or_default();
        let uses_lots = db.get_bool("stock.picking.type", picking_type, "use_create_lots")
            || db.get_bool("stock.picking.type", picking_type, "use_existing_lots");
        if !uses_lots {
            continue;
        }
        for line in db.ids_where(stock_move_line::LINE, "picking_id", *picking) {
            let product = db.get_i64(stock_move_line::LINE, line, "product_id").unwrap_or_default();
            let lacks_lot = super::product::tracking(db, product) != "none"
                && db.get_bool(stock_move_line::LINE, line, "picked")
                && db.get_f64(stock_move_line::LINE, line, "quantity") > 0.0
                && db.get_i64(stock_move_line::LINE, line, "lot_id").is_none()
                && db.get_str(stock_move_line::LINE, line, "lot_name").is_empty();
            if lacks_lot {
                if !without_lots.contains(&product) {
                    without_lots.push(product);
                }
                let name = db.get_str(PICKING, *picking, "name");
                if !pickings_without_lots.contains(&name) {
                    pickings_without_lots.push(name);
                }
            }
        }
    }
    let products =
        without_lots.iter().map(|p| db.display_name("product.product", *p, env)).collect::<Vec<_>>().join(", ");
    if single {
        if !empty.is_empty() {
            return Err(SimError::user(
                "You can’t validate an empty transfer. Please add some products to move before proceeding.",
            ));
        }
        if nothing_reserved {
            return Err(SimError::user(
                "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities.",
            ));
        }
        if !without_lots.is_empty() {
            return Err(SimError::user(format!("You need to supply a Lot/Serial number for products {products}.")));
        }
        return Ok(());
    }
    let mut message = String::new();
    if !empty.is_empty() {
        let names: Vec<String> = empty.iter().map(|p| db.get_str(PICKING, *p, "name")).collect();
        message.push_str(&format!("Transfers {}: Please add some items to move.", names.join(", ")));
    }
    if !without_lots.is_empty() {
        message.push_str(&format!(
            "\n\nTransfers {}: You need to supply a Lot/Serial number for products {products}.",
            pickings_without_lots.join(", ")
        ));
    }
    if message.is_empty() { Ok(()) } else { Err(SimError::user(message.trim_start().to_owned())) }
}

/// `_pre_action_done_hook`: marks everything picked when nothing is, then asks the backorder
/// question, then (module `stock_sms`) the SMS question; `None` when validation may go on.
fn pre_validation_wizard(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<Option<Value>> {
    for picking in ids {
        let moves = moves_of(db, *picking);
        let has_quantity = moves.iter().any(|m| db.get_f64("stock.move", *m, "quantity") != 0.0);
        let has_pick = moves.iter().any(|m| db.get_bool("stock.move", *m, "picked"));
        if has_quantity && !has_pick {
            for mv in moves {
                db.set("stock.move", mv, "picked", json!(true));
                for line in stock_move_line::of_move(db, mv) {
                    db.set(stock_move_line::LINE, line, "picked", json!(true));
                }
            }
        }
    }
    if !env.flag("skip_backorder") {
        let short: Vec<i64> = ids.iter().copied().filter(|p| needs_backorder(db, *p)).collect();
        if !short.is_empty() {
            return Ok(Some(backorder_wizard(db.version, &env.context, &short, ids.len() > 1)));
        }
    }
    if db.installed("stock_sms") && !env.flag("skip_sms") {
        return Ok(stock_sms::warn(db, env, ids));
    }
    Ok(None)
}

/// `_check_backorder`: a transfer whose type asks, with a move not picked or picked short.
fn needs_backorder(db: &Database, picking: i64) -> bool {
    let picking_type = db.get_i64(PICKING, picking, "picking_type_id").unwrap_or_default();
    let policy = db.get_str("stock.picking.type", picking_type, "create_backorder");
    if !(policy.is_empty() || policy == "ask") {
        return false;
    }
    moves_of(db, picking).iter().filter(|m| db.get_str("stock.move", **m, "state") != "cancel").any(|m| {
        let demand = db.get_f64("stock.move", *m, "product_uom_qty");
        (demand != 0.0 && !db.get_bool("stock.move", *m, "picked"))
            || stock_move::picked_quantity(db, *m) < demand - 1e-9
    })
}

/// The backorder wizard's action: its context (the call's, plus what the wizard needs) must be
/// sent back when creating and processing the wizard. The form's view id is that of the recorded
/// servers' databases.
fn backorder_wizard(
    version: OdooVersion,
    context: &Map<String, Value>,
    pickings: &[i64],
    show_transfers: bool,
) -> Value {
    let view = match version {
        OdooVersion::V18 => 898,
        OdooVersion::V19 => 939,
    };
    let mut context = context.clone();
    context.insert("default_show_transfers".into(), json!(show_transfers));
    context.insert("default_pick_ids".into(), json!(pickings.iter().map(|id| json!([4, id])).collect::<Vec<_>>()));
    json!({
        "name": "Create Backorder?",
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": "stock.backorder.confirmation",
        "views": [[view, "form"]],
        "view_id": view,
        "target": "new",
        "context": context,
    })
}

/// `stock.picking._action_done`: the open moves are done (see `stock_move::action_done`), the rest
/// goes to a backorder unless `cancel_backorder`, the transfer gets its date, and moves waiting for
/// what a receipt brought in reserve it.
fn action_done(db: &mut Database, env: &Env, pickings: &[i64], cancel_backorder: bool) -> SimResult<()> {
    if pickings.is_empty() {
        return Ok(());
    }
    let statuses: Vec<(&str, i64, Value)> = order_statuses(db, pickings);
    let moves: Vec<i64> = pickings.iter().flat_map(|p| open_moves(db, *p)).collect();
    let done = stock_move::action_done(db, env, &moves, cancel_backorder)?;
    if !cancel_backorder {
        for picking in pickings {
            if done.iter().any(|m| db.get_i64("stock.move", *m, "picking_id") == Some(*picking)) {
                create_backorder(db, env, *picking);
            }
        }
    }
    let stamp = now();
    for picking in pickings {
        db.set(PICKING, *picking, "date_done", json!(stamp));
        db.set(PICKING, *picking, "priority", json!("0"));
        refresh_state(db, *picking);
    }
    let arrived: Vec<i64> = done
        .iter()
        .copied()
        .filter(|m| {
            db.get_i64("stock.move", *m, "picking_type_id").is_some_and(|t| {
                matches!(db.get_str("stock.picking.type", t, "code").as_str(), "incoming" | "internal")
            })
        })
        .collect();
    for mv in stock_move::trigger_assign(db, &arrived) {
        if let Some(picking) = db.get_i64("stock.move", mv, "picking_id") {
            refresh_state(db, picking);
        }
    }
    // Odoo stores the orders' delivery and receipt statuses; recomputing one stamps the order.
    for (model, order, before) in statuses {
        let field = ORDER_STATUS.iter().find(|(_, m, _)| *m == model).map_or("", |(_, _, f)| *f);
        let status = db.model(model).ok().and_then(|m| m.behaviour.compute(db, env, order, field));
        if status.as_ref() != Some(&before) {
            db.touch(model, order);
        }
    }
    Ok(())
}

/// The delivery or receipt status of the orders these transfers serve, before they change.
fn order_statuses(db: &Database, pickings: &[i64]) -> Vec<(&'static str, i64, Value)> {
    let env = Env::new(crate::seed::ADMIN_UID);
    let mut statuses = Vec::new();
    for picking in pickings {
        for (link, model, field) in ORDER_STATUS {
            let Ok(def) = db.model(model) else { continue };
            if let Some(order) = db.get_i64(PICKING, *picking, link)
                && !statuses.iter().any(|(m, o, _)| *m == model && *o == order)
            {
                let status = def.behaviour.compute(db, &env, order, field).unwrap_or(Value::Bool(false));
                statuses.push((model, order, status));
            }
        }
    }
    statuses
}

/// `_create_backorder`: what is left open on a validated transfer moves to a copy of it (named by
/// its type's sequence, `backorder_id` pointing back), unpicked, and reserves what it can; the
/// transfer's chatter says so.
fn create_backorder(db: &mut Database, env: &Env, picking: i64) -> Option<i64> {
    let left = open_moves(db, picking);
    if left.is_empty() {
        return None;
    }
    let mut copy = db.row(PICKING, picking).cloned().unwrap_or_default();
    let picking_type = db.get_i64(PICKING, picking, "picking_type_id").unwrap_or_default();
    for (field, value) in [
        ("name", json!(next_name(db, picking_type))),
        ("backorder_id", json!(picking)),
        ("state", json!("confirmed")),
        ("date_done", json!(false)),
        ("user_id", json!(false)),
        ("carrier_tracking_ref", json!(false)),
    ] {
        copy.insert(field.into(), value);
    }
    copy.retain(|k, _| !matches!(k.as_str(), "create_date" | "write_date") && !k.starts_with("__"));
    let backorder = db.insert(PICKING, copy);
    let reference = db.get(PICKING, backorder, "name");
    for mv in left {
        db.set("stock.move", mv, "picking_id", json!(backorder));
        db.set("stock.move", mv, "picked", json!(false));
        db.set("stock.move", mv, "reference", reference.clone());
        for line in stock_move_line::of_move(db, mv) {
            db.set(stock_move_line::LINE, line, "picking_id", json!(backorder));
            db.set(stock_move_line::LINE, line, "picked", json!(false));
            db.set(stock_move_line::LINE, line, "reference", reference.clone());
        }
        if db.get_str("stock.move", mv, "state") != "draft" {
            stock_move::reserve(db, mv);
        }
    }
    refresh_state(db, backorder);
    mail::note(
        db,
        env,
        PICKING,
        picking,
        &format!("The backorder {} has been created.", mail::html_link(db, PICKING, backorder)),
    );
    Some(backorder)
}
