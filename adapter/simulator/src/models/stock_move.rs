//! Stock moves (module `stock`, extended by `sale_stock` and `purchase_stock`): reservation from
//! quants through move lines, a move's `quantity` as the sum of its lines (writing it adds or takes
//! back lines and their reservations), and validation — moving what was picked, splitting off or
//! cancelling the rest. A move's demand and quantity are in the move's unit (`product_uom`);
//! reservation and quants work in the product's unit (`product_qty`), converted as Odoo does.

use serde_json::{Map, Value, json};

use super::{stock_move_line, stock_quant, uom};
use crate::{
    error::SimResult,
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        now,
        registry::{Info, Model},
    },
};

const MOVE: &str = "stock.move";

pub(crate) const MOVE_STATE: &[(&str, &str)] = &[
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
];
const PROCURE_METHOD: &[(&str, &str)] =
    &[("make_to_stock", "Default: Take From Stock"), ("make_to_order", "Advanced: Apply Procurement Rules")];
const PRIORITY: &[(&str, &str)] = &[("0", "Normal"), ("1", "Urgent")];

/// Moves in these states still wait to be done.
pub(crate) const OPEN_MOVE_STATES: [&str; 5] = ["draft", "waiting", "confirmed", "partially_available", "assigned"];

/// Quantities closer than this are equal (Odoo compares at the unit's rounding, 0.01 here).
const EPSILON: f64 = 1e-6;

/// Location kinds whose stock is not counted, so moves out of them reserve nothing (Odoo's
/// `should_bypass_reservation`).
const UNCOUNTED_USAGES: [&str; 4] = ["supplier", "customer", "inventory", "production"];

pub(crate) struct StockMove;

impl Model for StockMove {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(MOVE, "Stock Move", "stock", "sequence, id")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("reference", Char, "Reference")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("product_uom_qty", Float, "Demand")
            .stored_computed("product_qty", Float, "Real Quantity")
            .stored("quantity", Float, "Quantity")
            .digits("product_uom_qty", super::PRODUCT_UNIT_DIGITS)
            .digits("quantity", super::PRODUCT_UNIT_DIGITS)
            .stored("product_uom", Many2one("uom.uom"), "Unit")
            .stored("picked", Boolean, "Picked")
            .stored("is_inventory", Boolean, "Inventory")
            .stored("state", selection(MOVE_STATE), "Status")
            .stored("location_id", Many2one("stock.location"), "Source Location")
            .stored("location_dest_id", Many2one("stock.location"), "Destination Location")
            .stored("picking_id", Many2one("stock.picking"), "Transfer")
            .stored("picking_type_id", Many2one("stock.picking.type"), "Operation Type")
            .stored("partner_id", Many2one("res.partner"), "Destination Address ")
            .stored("move_line_ids", One2many(stock_move_line::LINE, "move_id"), "Move Lines")
            .stored("origin", Char, "Source Document")
            .stored("origin_returned_move_id", Many2one(MOVE), "Origin return move")
            .stored("returned_move_ids", One2many(MOVE, "origin_returned_move_id"), "All returned moves")
            .stored("to_refund", Boolean, "Update quantities on SO/PO")
            .stored("date", Datetime, "Date Scheduled")
            .stored("reservation_date", Date, "Date to Reserve")
            .stored("procure_method", selection(PROCURE_METHOD), "Supply Method")
            .stored("priority", selection(PRIORITY), "Priority")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .default("state", json!("draft"))
            .default("procure_method", json!("make_to_stock"))
            .default("priority", json!("0"))
            .default("sequence", json!(10))
            .default("company_id", json!(1));
        // Odoo 19 dropped the move's description.
        if version == OdooVersion::V18 {
            f.stored("name", Char, "Description");
        }
        f.addon("sale_stock").stored("sale_line_id", Many2one("sale.order.line"), "Sale Line");
        f.addon("purchase_stock").stored("purchase_line_id", Many2one("purchase.order.line"), "Purchase Order Line");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        (field == "product_qty").then(|| json!(product_qty(db, id)))
    }

    /// "Origin/Code: Source>Destination", as Odoo shows a move.
    fn display_name(&self, db: &Database, _env: &Env, id: i64) -> Option<String> {
        let origin = db
            .get_i64(MOVE, id, "picking_id")
            .map(|p| db.get_str("stock.picking", p, "origin"))
            .filter(|o| !o.is_empty())
            .map_or(String::new(), |o| format!("{o}/"));
        let product = db.get_i64(MOVE, id, "product_id").unwrap_or_default();
        let code = db.get_str("product.product", product, "default_code");
        let code = if code.is_empty() { String::new() } else { format!("{code}: ") };
        let location = |field: &str| {
            db.get_i64(MOVE, id, field).map(|l| db.get_str("stock.location", l, "name")).unwrap_or_default()
        };
        Some(format!("{origin}{code}{}>{}", location("location_id"), location("location_dest_id")))
    }

    /// A move created on a transfer takes the transfer's locations, type and partner, and the
    /// product's unit, as Odoo's defaults and onchanges give them.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        let product = db.get_i64(MOVE, id, "product_id").unwrap_or_default();
        if db.get_i64(MOVE, id, "product_uom").is_none() {
            db.set(MOVE, id, "product_uom", db.get("product.product", product, "uom_id"));
        }
        if let Some(picking) = db.get_i64(MOVE, id, "picking_id") {
            for (field, from) in [
                ("location_id", "location_id"),
                ("location_dest_id", "location_dest_id"),
                ("picking_type_id", "picking_type_id"),
                ("partner_id", "partner_id"),
                ("reference", "name"),
            ] {
                if !db.row(MOVE, id).is_some_and(|r| r.get(field).is_some_and(|v| v != &Value::Bool(false))) {
                    db.set(MOVE, id, field, db.get("stock.picking", picking, from));
                }
            }
        }
        if db.get_str(MOVE, id, "date").is_empty() {
            db.set(MOVE, id, "date", json!(now()));
        }
        if db.get_str(MOVE, id, "name").is_empty() {
            db.set(MOVE, id, "name", json!(db.display_name("product.product", product, env)));
        }
        Ok(())
    }

    /// Writing `quantity` adds or takes back move lines (and their reservations), as Odoo's inverse
    /// of the field does; writing `picked` marks the lines too.
    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        for mv in ids {
            if matches!(db.get_str(MOVE, *mv, "state").as_str(), "done" | "cancel" | "draft") {
                continue;
            }
            if vals.contains_key("quantity") {
                set_quantity(db, *mv, db.get_f64(MOVE, *mv, "quantity"));
            }
            if vals.contains_key("picked") {
                let picked = db.get(MOVE, *mv, "picked");
                for line in stock_move_line::of_move(db, *mv) {
                    db.set(stock_move_line::LINE, line, "picked", picked.clone());
                }
            }
        }
        Ok(())
    }

    /// The lines go with the move.
    fn on_unlink(&self, db: &mut Database, ids: &[i64]) {
        for mv in ids {
            for line in stock_move_line::of_move(db, *mv) {
                stock_move_line::release(db, line);
                db.remove(stock_move_line::LINE, line);
            }
        }
    }
}

/// A move's demand in the product's unit (`stock.move.product_qty`).
pub(crate) fn product_qty(db: &Database, mv: i64) -> f64 {
    let demand = db.get_f64(MOVE, mv, "product_uom_qty");
    to_product_unit(db, mv, demand)
}

/// A quantity in the move's unit, in the product's unit.
fn to_product_unit(db: &Database, mv: i64, qty: f64) -> f64 {
    let (from, to) = units(db, mv);
    uom::convert(db, qty, from, to, uom::Rounding::HalfUp).unwrap_or(qty)
}

/// A quantity in the product's unit, in the move's unit.
fn to_move_unit(db: &Database, mv: i64, qty: f64) -> f64 {
    let (move_unit, product_unit) = units(db, mv);
    uom::convert(db, qty, product_unit, move_unit, uom::Rounding::HalfUp).unwrap_or(qty)
}

/// The move's unit and its product's.
fn units(db: &Database, mv: i64) -> (i64, i64) {
    let product = db.get_i64(MOVE, mv, "product_id").unwrap_or_default();
    (
        db.get_i64(MOVE, mv, "product_uom").unwrap_or_default(),
        db.get_i64("product.product", product, "uom_id").unwrap_or_default(),
    )
}

/// Whether the move takes its product from where stock is not counted (a vendor, a customer, an
/// adjustment), or moves a product whose stock is not tracked: it then reserves nothing.
pub(crate) fn bypasses_reservation(db: &Database, mv: i64) -> bool {
    let product = db.get_i64(MOVE, mv, "product_id").unwrap_or_default();
    let source = db.get_i64(MOVE, mv, "location_id").unwrap_or_default();
    !db.get_bool("product.product", product, "is_storable")
        || UNCOUNTED_USAGES.contains(&db.get_str("stock.location", source, "usage").as_str())
}

/// What the move's lines hold, in the product's unit.
fn lines_quantity(db: &Database, mv: i64) -> f64 {
    stock_move_line::of_move(db, mv).iter().map(|l| db.get_f64(stock_move_line::LINE, *l, "quantity")).sum()
}

/// `_action_confirm` of a move: it waits for stock and reserves what it can; a quantity already
/// set (a draft move given one) becomes its lines instead.
pub(crate) fn confirm(db: &mut Database, mv: i64) {
    if db.get_str(MOVE, mv, "state") != "draft" {
        return;
    }
    db.set(MOVE, mv, "state", json!("confirmed"));
    let set = db.get_f64(MOVE, mv, "quantity");
    if set > 0.0 && stock_move_line::of_move(db, mv).is_empty() {
        set_quantity(db, mv, set);
    } else {
        reserve(db, mv);
    }
}

/// `_action_assign`: reserves what the move still needs. From where stock is counted, only what is
/// free in the source location and below it, oldest quant first, one line per location and lot;
/// elsewhere, the whole demand at once.
pub(crate) fn reserve(db: &mut Database, mv: i64) {
    let need = product_qty(db, mv) - lines_quantity(db, mv);
    if need > EPSILON {
        let source = db.get_i64(MOVE, mv, "location_id").unwrap_or_default();
        if bypasses_reservation(db, mv) {
            match stock_move_line::of_move(db, mv).first() {
                Some(line) => {
                    let held = db.get_f64(stock_move_line::LINE, *line, "quantity");
                    stock_move_line::set_quantity(db, *line, held + need);
                }
                None => {
                    stock_move_line::insert(db, mv, source, None, need);
                }
            }
        } else {
            let product = db.get_i64(MOVE, mv, "product_id").unwrap_or_default();
            let mut need = need;
            for (location, lot, free) in stock_quant::available(db, product, source) {
                if need <= EPSILON {
                    break;
                }
                let take = free.min(need);
                let same_place = stock_move_line::of_move(db, mv).into_iter().find(|l| {
                    db.get_i64(stock_move_line::LINE, *l, "location_id") == Some(location)
                        && db.get_i64(stock_move_line::LINE, *l, "lot_id") == lot
                        && !db.get_bool(stock_move_line::LINE, *l, "picked")
                });
                match same_place {
                    Some(line) => {
                        let held = db.get_f64(stock_move_line::LINE, line, "quantity");
                        stock_move_line::set_quantity(db, line, held + take);
                    }
                    None => {
                        let line = stock_move_line::insert(db, mv, location, lot, take);
                        stock_move_line::rereserve(db, line);
                    }
                }
                need -= take;
            }
        }
    }
    sync_quantity(db, mv);
}

/// `_do_unreserve`: a move not marked picked gives back its lines not picked and what they
/// reserved (checked on a real Odoo 18: a picked move keeps its reservation).
pub(crate) fn do_unreserve(db: &mut Database, mv: i64) {
    if db.get_bool(MOVE, mv, "picked") {
        return;
    }
    for line in stock_move_line::of_move(db, mv) {
        if !db.get_bool(stock_move_line::LINE, line, "picked") {
            stock_move_line::release(db, line);
            db.remove(stock_move_line::LINE, line);
        }
    }
    sync_quantity(db, mv);
}

/// Gives back all a move holds, picked or not, as cancelling (or changing an order line) does.
pub(crate) fn unreserve(db: &mut Database, mv: i64) {
    db.set(MOVE, mv, "picked", json!(false));
    for line in stock_move_line::of_move(db, mv) {
        db.set(stock_move_line::LINE, line, "picked", json!(false));
    }
    do_unreserve(db, mv);
}

/// Cancels a move that is not done, releasing its reservation.
pub(crate) fn cancel(db: &mut Database, mv: i64) {
    unreserve(db, mv);
    db.set(MOVE, mv, "state", json!("cancel"));
}

/// The move's quantity as the sum of its lines (in the move's unit), and its state from it.
pub(crate) fn sync_quantity(db: &mut Database, mv: i64) {
    let quantity = to_move_unit(db, mv, lines_quantity(db, mv));
    db.set(MOVE, mv, "quantity", json!(quantity));
    recompute_state(db, mv);
}

/// Odoo's `_recompute_state`: an open move is available when its quantity covers its demand,
/// partially available when it has some, waiting for stock otherwise.
fn recompute_state(db: &mut Database, mv: i64) {
    let state = db.get_str(MOVE, mv, "state");
    let quantity = db.get_f64(MOVE, mv, "quantity");
    if matches!(state.as_str(), "done" | "cancel") || (state == "draft" && quantity <= 0.0) {
        return;
    }
    let demand = db.get_f64(MOVE, mv, "product_uom_qty");
    let state = if quantity >= demand - EPSILON {
        "assigned"
    } else if quantity > EPSILON {
        "partially_available"
    } else {
        "confirmed"
    };
    db.set(MOVE, mv, "state", json!(state));
}

/// Odoo's `_set_quantity`: a lower quantity takes back the newest lines first (and what they
/// reserved); a higher one adds a line in the source location for the difference, reserving it
/// there.
pub(crate) fn set_quantity(db: &mut Database, mv: i64, quantity: f64) {
    let target = to_product_unit(db, mv, quantity);
    let current = lines_quantity(db, mv);
    if target < current - EPSILON {
        let mut excess = current - target;
        for line in stock_move_line::of_move(db, mv).into_iter().rev() {
            if excess <= EPSILON {
                break;
            }
            let held = db.get_f64(stock_move_line::LINE, line, "quantity");
            if held <= excess + EPSILON {
                stock_move_line::release(db, line);
                db.remove(stock_move_line::LINE, line);
            } else {
                stock_move_line::set_quantity(db, line, held - excess);
            }
            excess -= held.min(excess);
        }
    } else if target > current + EPSILON {
        let source = db.get_i64(MOVE, mv, "location_id").unwrap_or_default();
        let line = stock_move_line::insert(db, mv, source, None, target - current);
        stock_move_line::rereserve(db, line);
    }
    sync_quantity(db, mv);
}

/// What was picked on a move: its quantity once it is marked picked.
pub(crate) fn picked_quantity(db: &Database, mv: i64) -> f64 {
    if db.get_bool(MOVE, mv, "picked") { db.get_f64(MOVE, mv, "quantity") } else { 0.0 }
}

/// `stock.move._action_done`: moves what was picked. A move with nothing picked is cancelled when
/// no backorder is wanted (and kept for the backorder otherwise); a move picked short is split —
/// the rest becomes a new waiting move on the same transfer — unless no backorder is wanted, when
/// it keeps its demand. Tracked products get their lots first (or the validation fails). Returns
/// the moves done.
pub(crate) fn action_done(db: &mut Database, env: &Env, moves: &[i64], cancel_backorder: bool) -> SimResult<Vec<i64>> {
    let moves: Vec<i64> =
        moves.iter().copied().filter(|m| OPEN_MOVE_STATES.contains(&db.get_str(MOVE, *m, "state").as_str())).collect();
    for mv in &moves {
        if db.get_str(MOVE, *mv, "state") == "draft" {
            confirm(db, *mv);
        }
    }
    for mv in &moves {
        let picked = db.get_bool(MOVE, *mv, "picked");
        if picked {
            for line in stock_move_line::of_move(db, *mv) {
                if !db.get_bool(stock_move_line::LINE, line, "picked") {
                    stock_move_line::release(db, line);
                    db.remove(stock_move_line::LINE, line);
                }
            }
            sync_quantity(db, *mv);
        }
        let nothing = db.get_f64(MOVE, *mv, "quantity") <= 0.0 || !picked;
        if nothing
            && !db.get_bool(MOVE, *mv, "is_inventory")
            && (cancel_backorder || db.get_f64(MOVE, *mv, "product_uom_qty") <= 0.0)
        {
            cancel(db, *mv);
        }
    }
    let todo: Vec<i64> = moves
        .into_iter()
        .filter(|m| {
            db.get_str(MOVE, *m, "state") != "cancel"
                && db.get_f64(MOVE, *m, "quantity") > 0.0
                && db.get_bool(MOVE, *m, "picked")
        })
        .collect();
    let lines: Vec<i64> = todo.iter().flat_map(|m| stock_move_line::of_move(db, *m)).collect();
    stock_move_line::assign_lots(db, env, &lines)?;
    if !cancel_backorder {
        for mv in &todo {
            split_rest(db, *mv);
        }
    }
    for line in lines {
        stock_move_line::done(db, line);
    }
    let stamp = now();
    for mv in &todo {
        db.set(MOVE, *mv, "state", json!("done"));
        db.set(MOVE, *mv, "date", json!(stamp));
    }
    Ok(todo)
}

/// Splits off what a move did not pick: a new waiting move for the rest, on the same transfer
/// (a backorder takes it); the move keeps what it picked as its demand.
fn split_rest(db: &mut Database, mv: i64) {
    let demand = db.get_f64(MOVE, mv, "product_uom_qty");
    let quantity = db.get_f64(MOVE, mv, "quantity");
    if quantity >= demand - EPSILON {
        return;
    }
    let mut rest = db.row(MOVE, mv).cloned().unwrap_or_default();
    for (field, value) in [
        ("product_uom_qty", json!(super::round2(demand - quantity))),
        ("quantity", json!(0.0)),
        ("picked", json!(false)),
        ("state", json!("confirmed")),
    ] {
        rest.insert(field.into(), value);
    }
    rest.remove("create_date");
    rest.remove("write_date");
    db.insert(MOVE, rest);
    db.set(MOVE, mv, "product_uom_qty", json!(quantity));
}

/// Moves of products whose stock arrived in a location reserve it, as Odoo's `_trigger_assign`
/// does after a receipt or an internal transfer: moves waiting for stock out of that very
/// location, of operation types reserving at confirmation, urgent and oldest first.
pub(crate) fn trigger_assign(db: &mut Database, done_moves: &[i64]) -> Vec<i64> {
    let arrivals: Vec<(Option<i64>, Option<i64>)> = done_moves
        .iter()
        .map(|m| (db.get_i64(MOVE, *m, "product_id"), db.get_i64(MOVE, *m, "location_dest_id")))
        .collect();
    let mut waiting: Vec<i64> = db
        .table(MOVE)
        .rows
        .keys()
        .copied()
        .filter(|m| {
            matches!(db.get_str(MOVE, *m, "state").as_str(), "confirmed" | "partially_available")
                && db.get_str(MOVE, *m, "procure_method") != "make_to_order"
                && db
                    .get_i64(MOVE, *m, "picking_type_id")
                    .is_some_and(|t| db.get_str("stock.picking.type", t, "reservation_method") == "at_confirm")
                && arrivals.contains(&(db.get_i64(MOVE, *m, "product_id"), db.get_i64(MOVE, *m, "location_id")))
        })
        .collect();
    waiting.sort_by_key(|m| (std::cmp::Reverse(db.get_str(MOVE, *m, "priority")), db.get_str(MOVE, *m, "date"), *m));
    for mv in &waiting {
        reserve(db, *mv);
    }
    waiting
}
