//! Stock moves and move lines (module `stock`, extended by `sale_stock` and `purchase_stock`):
//! reservation from quants, and moving stock when a move is done. A move's demand and quantity are
//! in the move's unit (`product_uom`); reservation and quants work in the product's unit
//! (`product_qty`), converted as Odoo does.

use serde_json::{Value, json};

use super::{stock_quant, uom};
use crate::{
    error::SimResult,
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        now,
        registry::{Info, Model},
        row,
    },
};

pub(crate) const MOVE_STATE: &[(&str, &str)] = &[
    ("draft", "New"),
    ("waiting", "Waiting Another Move"),
    ("confirmed", "Waiting Availability"),
    ("partially_available", "Partially Available"),
    ("assigned", "Available"),
    ("done", "Done"),
    ("cancel", "Cancelled"),
];

/// Moves in these states still wait to be done.
pub(crate) const OPEN_MOVE_STATES: [&str; 5] = ["draft", "waiting", "confirmed", "partially_available", "assigned"];

pub(crate) struct StockMove;

impl Model for StockMove {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.move", "Stock Move", "stock", "sequence, id")
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
            .stored("move_line_ids", One2many("stock.move.line", "move_id"), "Move Lines")
            .stored("origin", Char, "Source Document")
            .stored("origin_returned_move_id", Many2one("stock.move"), "Origin return move")
            .stored("returned_move_ids", One2many("stock.move", "origin_returned_move_id"), "All returned moves")
            .stored("to_refund", Boolean, "Update quantities on SO/PO")
            .stored("date", Datetime, "Date Scheduled")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .default("state", json!("draft"))
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
            .get_i64("stock.move", id, "picking_id")
            .map(|p| db.get_str("stock.picking", p, "origin"))
            .filter(|o| !o.is_empty())
            .map_or(String::new(), |o| format!("{o}/"));
        let product = db.get_i64("stock.move", id, "product_id").unwrap_or_default();
        let code = db.get_str("product.product", product, "default_code");
        let code = if code.is_empty() { String::new() } else { format!("{code}: ") };
        let location = |field: &str| {
            db.get_i64("stock.move", id, field).map(|l| db.get_str("stock.location", l, "name")).unwrap_or_default()
        };
        Some(format!("{origin}{code}{}>{}", location("location_id"), location("location_dest_id")))
    }

    /// A move created on a transfer takes the transfer's locations, type and partner, and the
    /// product's unit, as Odoo's defaults and onchanges give them.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        let product = db.get_i64("stock.move", id, "product_id").unwrap_or_default();
        if db.get_i64("stock.move", id, "product_uom").is_none() {
            db.set("stock.move", id, "product_uom", db.get("product.product", product, "uom_id"));
        }
        if let Some(picking) = db.get_i64("stock.move", id, "picking_id") {
            for (field, from) in [
                ("location_id", "location_id"),
                ("location_dest_id", "location_dest_id"),
                ("picking_type_id", "picking_type_id"),
                ("partner_id", "partner_id"),
                ("reference", "name"),
            ] {
                if !db.row("stock.move", id).is_some_and(|r| r.get(field).is_some_and(|v| v != &Value::Bool(false))) {
                    db.set("stock.move", id, field, db.get("stock.picking", picking, from));
                }
            }
        }
        if db.get_str("stock.move", id, "date").is_empty() {
            db.set("stock.move", id, "date", json!(now()));
        }
        if db.get_str("stock.move", id, "name").is_empty() {
            db.set("stock.move", id, "name", json!(db.display_name("product.product", product, env)));
        }
        Ok(())
    }
}

/// A move's demand in the product's unit (`stock.move.product_qty`).
pub(crate) fn product_qty(db: &Database, mv: i64) -> f64 {
    let demand = db.get_f64("stock.move", mv, "product_uom_qty");
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
    let product = db.get_i64("stock.move", mv, "product_id").unwrap_or_default();
    (
        db.get_i64("stock.move", mv, "product_uom").unwrap_or_default(),
        db.get_i64("product.product", product, "uom_id").unwrap_or_default(),
    )
}

/// Reserves what the source location can give (supplier locations always can), as Odoo does at
/// confirmation with the default "at confirmation" reservation method.
pub(crate) fn reserve(db: &mut Database, mv: i64) {
    let demand = product_qty(db, mv);
    let src = db.get_i64("stock.move", mv, "location_id").unwrap_or_default();
    let product = db.get_i64("stock.move", mv, "product_id").unwrap_or_default();
    let storable = db.get_bool("product.product", product, "is_storable");
    let from_stock = db.get_str("stock.location", src, "usage") == "internal";
    let mut reserved = 0.0;
    let mut lines = Vec::new();
    if from_stock && storable {
        let scope = db.descendants("stock.location", &[src]);
        let quants: Vec<i64> = db
            .ids_where("stock.quant", "product_id", product)
            .into_iter()
            .filter(|q| db.get_i64("stock.quant", *q, "location_id").is_some_and(|l| scope.contains(&l)))
            .collect();
        for quant in quants {
            let free =
                db.get_f64("stock.quant", quant, "quantity") - db.get_f64("stock.quant", quant, "reserved_quantity");
            let take = free.min(demand - reserved);
            if take <= 0.0 {
                continue;
            }
            db.set(
                "stock.quant",
                quant,
                "reserved_quantity",
                json!(db.get_f64("stock.quant", quant, "reserved_quantity") + take),
            );
            lines.push((db.get("stock.quant", quant, "location_id"), take));
            reserved += take;
        }
    } else {
        reserved = demand;
        lines.push((json!(src), demand));
    }
    for (location, quantity) in lines {
        db.insert(
            "stock.move.line",
            row(&[
                ("move_id", json!(mv)),
                ("picking_id", db.get("stock.move", mv, "picking_id")),
                ("product_id", json!(product)),
                ("product_uom_id", db.get("product.product", product, "uom_id")),
                ("location_id", location),
                ("location_dest_id", db.get("stock.move", mv, "location_dest_id")),
                ("quantity", json!(quantity)),
            ]),
        );
    }
    let state = if reserved >= demand && demand > 0.0 {
        "assigned"
    } else if reserved > 0.0 {
        "partially_available"
    } else {
        "confirmed"
    };
    db.set("stock.move", mv, "quantity", json!(to_move_unit(db, mv, reserved)));
    db.set("stock.move", mv, "state", json!(state));
}

/// Releases a move's reservation from the quants it holds.
pub(crate) fn unreserve(db: &mut Database, mv: i64) {
    for move_line in db.ids_where("stock.move.line", "move_id", mv) {
        let qty = db.get_f64("stock.move.line", move_line, "quantity");
        let location = db.get_i64("stock.move.line", move_line, "location_id");
        let product = db.get_i64("stock.move.line", move_line, "product_id").unwrap_or_default();
        if let Some(quant) = db
            .ids_where("stock.quant", "product_id", product)
            .into_iter()
            .find(|q| db.get_i64("stock.quant", *q, "location_id") == location)
        {
            let held = db.get_f64("stock.quant", quant, "reserved_quantity");
            db.set("stock.quant", quant, "reserved_quantity", json!((held - qty).max(0.0)));
        }
        db.remove("stock.move.line", move_line);
    }
    db.set("stock.move", mv, "quantity", json!(0.0));
}

/// What was picked on a move: its quantity once it is marked picked.
pub(crate) fn picked_quantity(db: &Database, mv: i64) -> f64 {
    if db.get_bool("stock.move", mv, "picked") { db.get_f64("stock.move", mv, "quantity") } else { 0.0 }
}

/// Takes `qty` (in the move's unit) out of the reserved source quants and puts it into the
/// destination's quant, when either side is an internal location; quants that empty are deleted,
/// as Odoo does.
pub(crate) fn move_stock(db: &mut Database, mv: i64, qty: f64) {
    let product = db.get_i64("stock.move", mv, "product_id").unwrap_or_default();
    let qty = to_product_unit(db, mv, qty);
    let mut left = qty;
    for move_line in db.ids_where("stock.move.line", "move_id", mv) {
        let held = db.get_f64("stock.move.line", move_line, "quantity");
        let taken = held.min(left);
        let location = db.get_i64("stock.move.line", move_line, "location_id").unwrap_or_default();
        if db.get_str("stock.location", location, "usage") == "internal" {
            adjust_quant(db, product, location, -taken, -held);
        }
        left -= taken;
        db.remove("stock.move.line", move_line);
    }
    let destination = db.get_i64("stock.move", mv, "location_dest_id").unwrap_or_default();
    if db.get_str("stock.location", destination, "usage") == "internal" {
        adjust_quant(db, product, destination, qty, 0.0);
    }
}

fn adjust_quant(db: &mut Database, product: i64, location: i64, quantity: f64, reserved: f64) {
    let quant = stock_quant::quant_at(db, product, location);
    let new_quantity = db.get_f64("stock.quant", quant, "quantity") + quantity;
    let new_reserved = (db.get_f64("stock.quant", quant, "reserved_quantity") + reserved).max(0.0);
    if new_quantity.abs() < 1e-9 && new_reserved.abs() < 1e-9 {
        db.remove("stock.quant", quant);
        return;
    }
    db.set("stock.quant", quant, "quantity", json!(new_quantity));
    db.set("stock.quant", quant, "reserved_quantity", json!(new_reserved));
}

pub(crate) struct StockMoveLine;

impl Model for StockMoveLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.move.line", "Product Moves (Stock Move Line)", "stock", "result_package_id desc, id")
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
            .stored("package_id", Many2one(package), "Source Package")
            .stored("result_package_id", Many2one(package), "Destination Package");
    }
}
