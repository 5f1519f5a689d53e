//! What `sale_stock` and `purchase_stock` do when an order line is confirmed or changed: the line
//! gets a move on the order's open transfer (a delivery from the order's warehouse, or a receipt
//! into the purchase order's operation type), created on first need, and later changes of quantity
//! or date follow on the open move. As Odoo does without `stock.propagate_uom`, moves carry the
//! product's unit, the line's quantity converted into it.

use serde_json::{Value, json};

use super::{
    stock_move::{self, OPEN_MOVE_STATES},
    stock_picking, uom,
};
use crate::{
    error::SimResult,
    orm::{Database, OdooVersion, now, row},
};

/// Which kind of order a line belongs to, and the names its models use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Sale,
    Purchase,
}

impl Flow {
    pub(crate) fn order_model(self) -> &'static str {
        match self {
            Self::Sale => "sale.order",
            Self::Purchase => "purchase.order",
        }
    }

    pub(crate) fn line_model(self) -> &'static str {
        match self {
            Self::Sale => "sale.order.line",
            Self::Purchase => "purchase.order.line",
        }
    }

    /// The move's link to its line.
    pub(crate) fn move_link(self) -> &'static str {
        match self {
            Self::Sale => "sale_line_id",
            Self::Purchase => "purchase_line_id",
        }
    }

    /// The transfer's link to its order.
    pub(crate) fn picking_link(self) -> &'static str {
        match self {
            Self::Sale => "sale_id",
            Self::Purchase => "purchase_id",
        }
    }

    /// The line's taxes: named per model in 18, `tax_ids` on both in 19.
    pub(crate) fn tax_field(self, version: OdooVersion) -> &'static str {
        match (self, version) {
            (Self::Sale, OdooVersion::V18) => "tax_id",
            (Self::Purchase, OdooVersion::V18) => "taxes_id",
            (_, OdooVersion::V19) => "tax_ids",
        }
    }

    /// The ordered quantity, in the line's unit.
    fn quantity_field(self) -> &'static str {
        match self {
            Self::Sale => "product_uom_qty",
            Self::Purchase => "product_qty",
        }
    }

    /// The module linking the orders to stock: without it, orders make no transfers.
    fn bridge(self) -> &'static str {
        match self {
            Self::Sale => "sale_stock",
            Self::Purchase => "purchase_stock",
        }
    }

    /// Stock leaves the warehouse for a sale and enters it for a purchase.
    fn outgoing(self) -> bool {
        self == Self::Sale
    }

    fn confirmed(self, db: &Database, order: i64) -> bool {
        let state = db.get_str(self.order_model(), order, "state");
        match self {
            Self::Sale => state == "sale",
            Self::Purchase => matches!(state.as_str(), "purchase" | "done"),
        }
    }
}

/// The field of an order line's unit, on sale and purchase lines alike.
pub(crate) fn uom_field(version: OdooVersion) -> &'static str {
    match version {
        OdooVersion::V18 => "product_uom",
        OdooVersion::V19 => "product_uom_id",
    }
}

/// The line's unit.
pub(crate) fn line_unit(db: &Database, flow: Flow, line: i64) -> Option<i64> {
    db.get_i64(flow.line_model(), line, uom_field(db.version))
}

/// The quantity done moves brought to (or, for returns, back from) the line's destination, in
/// the line's unit: delivered for a sale, received for a purchase.
pub(crate) fn done_quantity(db: &Database, flow: Flow, line: i64) -> f64 {
    if !db.installed(flow.bridge()) {
        return 0.0;
    }
    let unit = line_unit(db, flow, line).unwrap_or_default();
    db.ids_where("stock.move", flow.move_link(), line)
        .into_iter()
        .filter(|m| db.get_str("stock.move", *m, "state") == "done")
        .map(|m| {
            let move_unit = db.get_i64("stock.move", m, "product_uom").unwrap_or_default();
            let qty = db.get_f64("stock.move", m, "quantity");
            let qty = uom::convert(db, qty, move_unit, unit, uom::Rounding::HalfUp).unwrap_or(qty);
            let dest = db.get_i64("stock.move", m, "location_dest_id").unwrap_or_default();
            let internal = db.get_str("stock.location", dest, "usage") == "internal";
            // A delivery leaves the warehouse; a receipt enters it; the opposite direction is a
            // return, which counts only when it is to be refunded.
            match (flow.outgoing() != internal, db.get_bool("stock.move", m, "to_refund")) {
                (true, _) => qty,
                (false, true) => -qty,
                (false, false) => 0.0,
            }
        })
        .sum()
}

/// Makes a confirmed line's transfer match it: creates the move (and the transfer) the first
/// time, and follows later changes of quantity or date on the open move.
pub(crate) fn sync_line_moves(db: &mut Database, flow: Flow, line: i64) -> SimResult<()> {
    let line_model = flow.line_model();
    let Some(order) = db.get_i64(line_model, line, "order_id") else { return Ok(()) };
    let product = db.get_i64(line_model, line, "product_id").unwrap_or_default();
    if !db.installed(flow.bridge())
        || !flow.confirmed(db, order)
        || db.get_str("product.product", product, "type") != "consu"
    {
        return Ok(());
    }
    let product_unit = db.get_i64("product.product", product, "uom_id").unwrap_or_default();
    let line_unit = line_unit(db, flow, line).unwrap_or(product_unit);
    let ordered = db.get_f64(line_model, line, flow.quantity_field());
    let remaining = (ordered - done_quantity(db, flow, line)).max(0.0);
    // Odoo 18 refuses a line unit of another category here, at confirmation.
    let demand = uom::convert(db, remaining, line_unit, product_unit, uom::Rounding::HalfUp)?;
    let open: Vec<i64> = db
        .ids_where("stock.move", flow.move_link(), line)
        .into_iter()
        .filter(|m| OPEN_MOVE_STATES.contains(&db.get_str("stock.move", *m, "state").as_str()))
        .collect();
    if let Some(mv) = open.first().copied() {
        stock_move::unreserve(db, mv);
        db.set("stock.move", mv, "product_uom_qty", json!(demand));
        if flow == Flow::Purchase {
            db.set("stock.move", mv, "date", db.get(line_model, line, "date_planned"));
        }
        stock_move::reserve(db, mv);
        if let Some(picking) = db.get_i64("stock.move", mv, "picking_id") {
            stock_picking::refresh_state(db, picking);
        }
        return Ok(());
    }
    if demand <= 0.0 {
        return Ok(());
    }
    let picking = open_picking(db, flow, order);
    let date = match flow {
        Flow::Sale => db.get("stock.picking", picking, "scheduled_date"),
        Flow::Purchase => db.get(line_model, line, "date_planned"),
    };
    let mv = db.insert(
        "stock.move",
        row(&[
            ("reference", db.get("stock.picking", picking, "name")),
            ("name", db.get(line_model, line, "name")),
            ("product_id", json!(product)),
            ("product_uom_qty", json!(demand)),
            ("quantity", json!(0.0)),
            ("product_uom", json!(product_unit)),
            ("picked", json!(false)),
            ("state", json!("confirmed")),
            ("location_id", db.get("stock.picking", picking, "location_id")),
            ("location_dest_id", db.get("stock.picking", picking, "location_dest_id")),
            ("picking_id", json!(picking)),
            ("picking_type_id", db.get("stock.picking", picking, "picking_type_id")),
            ("partner_id", db.get("stock.picking", picking, "partner_id")),
            (flow.move_link(), json!(line)),
            ("date", date),
            ("company_id", json!(1)),
            ("sequence", json!(10)),
        ]),
    );
    stock_move::reserve(db, mv);
    stock_picking::refresh_state(db, picking);
    Ok(())
}

/// The order's open transfer, created on first need.
fn open_picking(db: &mut Database, flow: Flow, order: i64) -> i64 {
    let order_model = flow.order_model();
    if let Some(existing) = db
        .ids_where("stock.picking", flow.picking_link(), order)
        .into_iter()
        .find(|p| !matches!(db.get_str("stock.picking", *p, "state").as_str(), "done" | "cancel"))
    {
        return existing;
    }
    let location = |db: &Database, usage: &str| {
        stock_picking::location_of_usage(db, usage).map_or(Value::Bool(false), |l| json!(l))
    };
    let (picking_type, src, dst, partner, origin, scheduled) = match flow {
        Flow::Sale => {
            let warehouse = db.get_i64(order_model, order, "warehouse_id").unwrap_or(1);
            let reference = db.get_str(order_model, order, "client_order_ref");
            let name = db.get_str(order_model, order, "name");
            let commitment = db.get_str(order_model, order, "commitment_date");
            (
                db.get_i64("stock.warehouse", warehouse, "out_type_id").unwrap_or(2),
                db.get("stock.warehouse", warehouse, "lot_stock_id"),
                location(db, "customer"),
                db.get(order_model, order, "partner_shipping_id"),
                if reference.is_empty() { name } else { format!("{name} - {reference}") },
                if commitment.is_empty() { now() } else { commitment },
            )
        }
        Flow::Purchase => {
            let picking_type = db.get_i64(order_model, order, "picking_type_id").unwrap_or(1);
            let planned = super::purchase_order::date_planned(db, order);
            (
                picking_type,
                location(db, "supplier"),
                db.get("stock.picking.type", picking_type, "default_location_dest_id"),
                db.get(order_model, order, "partner_id"),
                db.get_str(order_model, order, "name"),
                planned.unwrap_or_else(now),
            )
        }
    };
    db.insert(
        "stock.picking",
        row(&[
            ("name", json!(stock_picking::next_name(db, picking_type))),
            ("state", json!("confirmed")),
            ("picking_type_id", json!(picking_type)),
            ("partner_id", partner),
            ("origin", json!(origin)),
            ("location_id", src),
            ("location_dest_id", dst),
            ("scheduled_date", json!(scheduled.clone())),
            ("date_deadline", json!(scheduled)),
            ("priority", json!("0")),
            (flow.picking_link(), json!(order)),
            ("company_id", json!(1)),
        ]),
    )
}
