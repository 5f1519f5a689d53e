//! Move lines (`stock.move.line`, module `stock`): what a move takes from where, in which lot. Since
//! Odoo 17 a line's `quantity` is both what it reserved and what will be moved, and a move's
//! `quantity` is the sum of its lines. A line reserves its quantity on the quant of its product,
//! location and lot; validating it moves the stock between quants. Lines are kept in the
//! product's unit.

use serde_json::{Map, Value, json};

use super::{stock_lot, stock_move, stock_quant};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        now,
        registry::{Info, Model},
        row,
    },
};

pub(crate) const LINE: &str = "stock.move.line";

/// What a line holds on its quant, and where: kept beside the row so that a line whose location
/// or lot changes gives back exactly what it took.
const RESERVED: &str = "__reserved";
const RESERVED_AT: &str = "__reserved_at";

pub(crate) struct StockMoveLine;

impl Model for StockMoveLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(LINE, "Product Moves (Stock Move Line)", "stock", "result_package_id desc, id")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        let package = stock_quant::package_model(version);
        f.stored("move_id", Many2one("stock.move"), "Stock Operation")
            .stored("picking_id", Many2one("stock.picking"), "Transfer")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("product_uom_id", Many2one("uom.uom"), "Unit")
            .stored("location_id", Many2one("stock.location"), "From")
            .stored("location_dest_id", Many2one("stock.location"), "To")
            .stored("quantity", Float, "Quantity")
            .digits("quantity", super::PRODUCT_UNIT_DIGITS)
            .stored_computed("quantity_product_uom", Float, "Quantity in Product UoM")
            .stored("picked", Boolean, "Picked")
            .stored_computed("state", selection(stock_move::MOVE_STATE), "Status")
            .stored("lot_id", Many2one(stock_lot::LOT), "Lot/Serial Number")
            .stored("lot_name", Char, "Lot/Serial Number Name")
            .computed("tracking", selection(super::product::TRACKING), "Product with Tracking")
            .computed("picking_code", selection(super::warehouse::PICKING_CODE), "Type of Operation")
            .stored("package_id", Many2one(package), "Source Package")
            .stored("result_package_id", Many2one(package), "Destination Package")
            .stored("owner_id", Many2one("res.partner"), "From Owner")
            .stored("date", Datetime, "Date")
            .stored("company_id", Many2one("res.company"), "Company");
        // The transfer's reference: stored in 18, related in 19.
        match version {
            OdooVersion::V18 => f.stored_computed("reference", Char, "Reference"),
            OdooVersion::V19 => f.computed("reference", Char, "Reference"),
        };
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let mv = db.get_i64(LINE, id, "move_id");
        Some(match field {
            "quantity_product_uom" => json!(db.get_f64(LINE, id, "quantity")),
            "state" => mv.map_or(json!("draft"), |m| db.get("stock.move", m, "state")),
            "tracking" => json!(super::product::tracking(db, product(db, id))),
            "picking_code" => mv
                .and_then(|m| db.get_i64("stock.move", m, "picking_type_id"))
                .map_or(Value::Bool(false), |t| db.get("stock.picking.type", t, "code")),
            "reference" => mv.map_or(Value::Bool(false), |m| db.get("stock.move", m, "reference")),
            _ => return None,
        })
    }

    /// A line added by hand takes its move's product, unit, transfer and locations, reserves what
    /// it can, and counts in its move's quantity.
    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        let Some(mv) = db.get_i64(LINE, id, "move_id") else { return Ok(()) };
        for (field, from) in [
            ("product_id", "product_id"),
            ("picking_id", "picking_id"),
            ("location_id", "location_id"),
            ("location_dest_id", "location_dest_id"),
            ("company_id", "company_id"),
        ] {
            if db.get_i64(LINE, id, field).is_none() {
                db.set(LINE, id, field, db.get("stock.move", mv, from));
            }
        }
        if db.get_i64(LINE, id, "product_uom_id").is_none() {
            db.set(LINE, id, "product_uom_id", db.get("product.product", product(db, id), "uom_id"));
        }
        if db.get_str(LINE, id, "date").is_empty() {
            db.set(LINE, id, "date", json!(now()));
        }
        Ok(())
    }

    fn after_create(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        rereserve(db, id);
        if let Some(mv) = db.get_i64(LINE, id, "move_id") {
            stock_move::sync_quantity(db, mv);
        }
        Ok(())
    }

    /// A changed quantity, place or lot moves the line's reservation along, and its move's quantity
    /// follows.
    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        if !["quantity", "location_id", "lot_id", "move_id"].iter().any(|k| vals.contains_key(*k)) {
            return Ok(());
        }
        for line in ids {
            rereserve(db, *line);
            if let Some(mv) = db.get_i64(LINE, *line, "move_id") {
                stock_move::sync_quantity(db, mv);
            }
        }
        Ok(())
    }

    fn before_unlink(&self, db: &Database, _env: &Env, ids: &[i64]) -> SimResult<()> {
        if ids.iter().any(|l| is_done(db, *l)) {
            return Err(SimError::user(
                "You can not delete product moves if the picking is done. You can only correct the done quantities.",
            ));
        }
        Ok(())
    }

    /// Deleted lines give their reservation back and leave their move's quantity.
    fn on_unlink(&self, db: &mut Database, ids: &[i64]) {
        for line in ids {
            release(db, *line);
            db.set(LINE, *line, "quantity", json!(0.0));
            if let Some(mv) = db.get_i64(LINE, *line, "move_id") {
                stock_move::sync_quantity(db, mv);
            }
        }
    }
}

fn product(db: &Database, line: i64) -> i64 {
    db.get_i64(LINE, line, "product_id").unwrap_or_default()
}

fn is_done(db: &Database, line: i64) -> bool {
    db.get_i64(LINE, line, "move_id").is_some_and(|m| db.get_str("stock.move", m, "state") == "done")
}

/// A new line of a move taking `quantity` (in the product's unit) from `location`, reserving
/// nothing yet.
pub(crate) fn insert(db: &mut Database, mv: i64, location: i64, lot: Option<i64>, quantity: f64) -> i64 {
    let product = db.get_i64("stock.move", mv, "product_id").unwrap_or_default();
    db.insert(
        LINE,
        row(&[
            ("move_id", json!(mv)),
            ("picking_id", db.get("stock.move", mv, "picking_id")),
            ("product_id", json!(product)),
            ("product_uom_id", db.get("product.product", product, "uom_id")),
            ("location_id", json!(location)),
            ("location_dest_id", db.get("stock.move", mv, "location_dest_id")),
            ("lot_id", lot.map_or(json!(false), |l| json!(l))),
            ("quantity", json!(quantity)),
            ("picked", db.get("stock.move", mv, "picked")),
            ("reference", db.get("stock.move", mv, "reference")),
            ("date", json!(now())),
            ("company_id", db.get("stock.move", mv, "company_id")),
        ]),
    )
}

/// The lines of a move, oldest first.
pub(crate) fn of_move(db: &Database, mv: i64) -> Vec<i64> {
    db.ids_where(LINE, "move_id", mv)
}

/// Gives back what a line holds on its quant.
pub(crate) fn release(db: &mut Database, line: i64) {
    let held = db.get_f64(LINE, line, RESERVED);
    if held <= 0.0 {
        return;
    }
    let at = db.get(LINE, line, RESERVED_AT);
    let location = at.get(0).and_then(Value::as_i64).unwrap_or_default();
    let lot = at.get(1).and_then(Value::as_i64);
    stock_quant::release(db, product(db, line), location, lot, held);
    db.set_private(LINE, line, RESERVED, json!(0.0));
}

/// Reserves the line's whole quantity on the quant of its product, location and lot, after giving
/// back what it held (as Odoo does when a line is created or changed by hand: automatic reservation
/// makes lines of what is free only); done lines and moves that need no reservation (from a vendor
/// or customer, or of a product not tracked in stock) hold nothing.
pub(crate) fn rereserve(db: &mut Database, line: i64) {
    release(db, line);
    let Some(mv) = db.get_i64(LINE, line, "move_id") else { return };
    if is_done(db, line) || stock_move::bypasses_reservation(db, mv) {
        return;
    }
    let location = db.get_i64(LINE, line, "location_id").unwrap_or_default();
    let lot = db.get_i64(LINE, line, "lot_id");
    let quantity = db.get_f64(LINE, line, "quantity");
    stock_quant::reserve(db, product(db, line), location, lot, quantity);
    db.set_private(LINE, line, RESERVED, json!(quantity));
    db.set_private(LINE, line, RESERVED_AT, json!([location, lot]));
}

/// Sets a line's quantity and moves its reservation along.
pub(crate) fn set_quantity(db: &mut Database, line: i64, quantity: f64) {
    db.set(LINE, line, "quantity", json!(quantity));
    rereserve(db, line);
}

/// Gives tracked products the lots their validation needs, as Odoo's `_action_done` of move lines
/// does: a line with a lot is fine; on an operation type creating lots, a `lot_name` finds or makes
/// the lot; otherwise the validation stops with a UserError naming the products. Inventory moves
/// and operation types using no lots need none.
pub(crate) fn assign_lots(db: &mut Database, env: &Env, lines: &[i64]) -> SimResult<()> {
    let mut missing: Vec<String> = Vec::new();
    let mut to_create: Vec<i64> = Vec::new();
    for line in lines {
        let product = product(db, *line);
        if db.get_f64(LINE, *line, "quantity") <= 0.0
            || super::product::tracking(db, product) == "none"
            || db.get_i64(LINE, *line, "lot_id").is_some()
        {
            continue;
        }
        let mv = db.get_i64(LINE, *line, "move_id").unwrap_or_default();
        let picking_type = db.get_i64("stock.move", mv, "picking_type_id");
        let Some(picking_type) = picking_type else {
            if !db.get_bool("stock.move", mv, "is_inventory") {
                missing.push(db.display_name("product.product", product, env));
            }
            continue;
        };
        let (create, existing) = (
            db.get_bool("stock.picking.type", picking_type, "use_create_lots"),
            db.get_bool("stock.picking.type", picking_type, "use_existing_lots"),
        );
        if !create && !existing {
            continue;
        }
        if create && !db.get_str(LINE, *line, "lot_name").is_empty() {
            to_create.push(*line);
        } else {
            missing.push(db.display_name("product.product", product, env));
        }
    }
    if !missing.is_empty() {
        let products: Vec<String> = missing.iter().map(|p| format!("- {p}")).collect();
        return Err(SimError::user(format!(
            "You need to supply a Lot/Serial Number for product:\n{}",
            products.join("\n")
        )));
    }
    for line in to_create {
        let lot = stock_lot::named_or_new(db, product(db, line), &db.get_str(LINE, line, "lot_name"));
        db.set(LINE, line, "lot_id", json!(lot));
    }
    Ok(())
}

/// Validates a line: its reservation is given back and its quantity leaves the source quant for
/// the destination's (in the same lot), wherever they are — virtual locations keep quants too.
pub(crate) fn done(db: &mut Database, line: i64) {
    release(db, line);
    let quantity = db.get_f64(LINE, line, "quantity");
    let product = product(db, line);
    let lot = db.get_i64(LINE, line, "lot_id");
    let from = db.get_i64(LINE, line, "location_id").unwrap_or_default();
    let to = db.get_i64(LINE, line, "location_dest_id").unwrap_or_default();
    stock_quant::add_quantity(db, product, from, lot, -quantity);
    stock_quant::add_quantity(db, product, to, lot, quantity);
    db.set(LINE, line, "date", json!(now()));
}
