//! The return wizard (`stock.return.picking` and its lines, module `stock`): created on a done
//! transfer (context `active_model`/`active_id`), it lists one line per done move with quantity 0;
//! `action_create_returns` makes the return transfer from the lines given a quantity, reserved at
//! once, its moves linked to the moves they return and to the order lines they came from.

use serde_json::{Value, json};

use super::{stock_move, stock_picking, warehouse::PICKING_CODE};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
        row,
    },
};

const WIZARD: &str = "stock.return.picking";
const LINE: &str = "stock.return.picking.line";

pub(crate) struct ReturnPicking;

impl Model for ReturnPicking {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(WIZARD, "Return Picking", "stock", "id")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("picking_id", Many2one("stock.picking"), "Picking")
            .stored("product_return_moves", One2many(LINE, "wizard_id"), "Moves")
            .computed("company_id", Many2one("res.company"), "Company");
        if version == OdooVersion::V19 {
            f.computed("picking_type_code", selection(PICKING_CODE), "Picking Type Code");
        }
    }

    fn compute(&self, db: &Database, env: &Env, id: i64, field: &str) -> Option<Value> {
        let picking = db.get_i64(WIZARD, id, "picking_id").unwrap_or_default();
        Some(match field {
            "company_id" => db.get("stock.picking", picking, "company_id"),
            "picking_type_code" => stock_picking::Picking.compute(db, env, picking, "picking_type_code")?,
            _ => return None,
        })
    }

    /// The transfer comes from the context; each of its done moves gets a line to return nothing yet.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        if db.get_i64(WIZARD, id, "picking_id").is_none()
            && env.context.get("active_model").and_then(Value::as_str) == Some("stock.picking")
        {
            db.set(WIZARD, id, "picking_id", env.context.get("active_id").cloned().unwrap_or(Value::Bool(false)));
        }
        let Some(picking) = db.get_i64(WIZARD, id, "picking_id") else { return Ok(()) };
        if db.get_str("stock.picking", picking, "state") != "done" {
            return Err(SimError::user("You may only return Done pickings."));
        }
        for mv in db.ids_where("stock.move", "picking_id", picking) {
            if db.get_str("stock.move", mv, "state") != "done" {
                continue;
            }
            db.insert(
                LINE,
                row(&[
                    ("wizard_id", json!(id)),
                    ("move_id", json!(mv)),
                    ("product_id", db.get("stock.move", mv, "product_id")),
                    ("quantity", json!(0.0)),
                    ("to_refund", json!(true)),
                ]),
            );
        }
        Ok(())
    }

    fn methods(&self, db: &Database) -> Vec<Method> {
        let on_records =
            |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        let mut methods = vec![on_records(
            "action_create_returns",
            create_returns as fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>,
        )];
        if db.version == OdooVersion::V19 {
            methods.push(on_records("action_create_returns_all", create_returns_all));
        }
        methods
    }
}

/// What a line's move still has to return: its quantity less what earlier returns took back.
fn returnable(db: &Database, mv: i64) -> f64 {
    let returned: f64 = db
        .ids_where("stock.move", "origin_returned_move_id", mv)
        .into_iter()
        .filter(|r| db.get_str("stock.move", *r, "state") != "cancel")
        .map(|r| db.get_f64("stock.move", r, "product_uom_qty"))
        .sum();
    db.get_f64("stock.move", mv, "quantity") - returned
}

/// Odoo 19's `action_create_returns_all`: every line returns all it still can.
fn create_returns_all(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    for wizard in args.ids {
        for line in db.ids_where(LINE, "wizard_id", *wizard) {
            let mv = db.get_i64(LINE, line, "move_id").unwrap_or_default();
            db.set(LINE, line, "quantity", json!(returnable(db, mv)));
        }
    }
    create_returns(db, env, args)
}

/// `action_create_returns`: the return transfer, and the action opening it.
fn create_returns(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let [wizard] = args.ids else {
        return Err(SimError::value(format!("Expected singleton: {WIZARD}({:?})", args.ids)));
    };
    let picking = db.get_i64(WIZARD, *wizard, "picking_id").unwrap_or_default();
    let lines: Vec<i64> = db
        .ids_where(LINE, "wizard_id", *wizard)
        .into_iter()
        .filter(|l| db.get_f64(LINE, *l, "quantity") > 0.0)
        .collect();
    if lines.is_empty() {
        return Err(SimError::user("Please specify at least one non-zero quantity."));
    }
    let returned = return_picking(db, picking);
    for line in lines {
        let original = db.get_i64(LINE, line, "move_id").unwrap_or_default();
        let mut copy = row(&[
            ("reference", db.get("stock.picking", returned, "name")),
            ("name", db.get("stock.move", original, "name")),
            ("product_id", db.get("stock.move", original, "product_id")),
            ("product_uom_qty", db.get(LINE, line, "quantity")),
            ("quantity", json!(0.0)),
            ("product_uom", db.get("stock.move", original, "product_uom")),
            ("picked", json!(false)),
            ("state", json!("draft")),
            ("location_id", db.get("stock.picking", returned, "location_id")),
            ("location_dest_id", db.get("stock.picking", returned, "location_dest_id")),
            ("picking_id", json!(returned)),
            ("picking_type_id", db.get("stock.picking", returned, "picking_type_id")),
            ("partner_id", db.get("stock.picking", returned, "partner_id")),
            ("origin_returned_move_id", json!(original)),
            ("to_refund", db.get(LINE, line, "to_refund")),
            ("date", json!(crate::orm::now())),
            ("company_id", json!(1)),
            ("sequence", json!(10)),
        ]);
        // The return counts against the order line the move served.
        for link in ["sale_line_id", "purchase_line_id"] {
            copy.insert(link.into(), db.get("stock.move", original, link));
        }
        db.insert("stock.move", copy);
    }
    // Odoo confirms the return and reserves at once.
    for mv in db.ids_where("stock.move", "picking_id", returned) {
        stock_move::confirm(db, mv);
    }
    stock_picking::refresh_state(db, returned);
    Ok(Outcome::Value(json!({
        "name": "Returned Picking",
        "view_mode": "form",
        "res_model": "stock.picking",
        "res_id": returned,
        "type": "ir.actions.act_window",
        "context": env.context,
    })))
}

/// The return transfer, as Odoo copies the transfer: of the type's return type (receipts for
/// deliveries), between the same locations the other way round (into the return type's own
/// destination when it is a receipt), for the same order and carrier.
fn return_picking(db: &mut Database, picking: i64) -> i64 {
    let original_type = db.get_i64("stock.picking", picking, "picking_type_id").unwrap_or_default();
    let picking_type =
        db.get_i64("stock.picking.type", original_type, "return_picking_type_id").unwrap_or(original_type);
    let destination = match db.get_str("stock.picking.type", picking_type, "code").as_str() {
        "incoming" => db.get("stock.picking.type", picking_type, "default_location_dest_id"),
        _ => db.get("stock.picking", picking, "location_id"),
    };
    let mut values = row(&[
        ("name", json!(stock_picking::next_name(db, picking_type))),
        ("state", json!("draft")),
        ("picking_type_id", json!(picking_type)),
        ("partner_id", db.get("stock.picking", picking, "partner_id")),
        ("origin", json!(format!("Return of {}", db.get_str("stock.picking", picking, "name")))),
        ("location_id", db.get("stock.picking", picking, "location_dest_id")),
        ("location_dest_id", destination),
        ("scheduled_date", json!(crate::orm::now())),
        ("move_type", db.get("stock.picking", picking, "move_type")),
        ("priority", json!("0")),
        ("is_locked", json!(true)),
        ("return_id", json!(picking)),
        ("company_id", db.get("stock.picking", picking, "company_id")),
    ]);
    for link in ["sale_id", "purchase_id", "carrier_id"] {
        values.insert(link.into(), db.get("stock.picking", picking, link));
    }
    db.insert("stock.picking", values)
}

pub(crate) struct ReturnPickingLine;

impl Model for ReturnPickingLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(LINE, "Return Picking Line", "stock", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("product_id", Many2one("product.product"), "Product")
            .stored("quantity", Float, "Quantity")
            .computed("move_quantity", Float, "Move Quantity")
            .computed("uom_id", Many2one("uom.uom"), "Unit of Measure")
            .stored("move_id", Many2one("stock.move"), "Move")
            .stored("to_refund", Boolean, "Update quantities on SO/PO")
            .stored("wizard_id", Many2one(WIZARD), "Wizard");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let mv = db.get_i64(LINE, id, "move_id").unwrap_or_default();
        Some(match field {
            "move_quantity" => json!(db.get_f64("stock.move", mv, "quantity")),
            "uom_id" => db.get("stock.move", mv, "product_uom"),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::{
        models::tests::{call, confirm_order_with, database_of, env},
        orm::{Env, OdooVersion},
    };

    #[test]
    fn a_partial_return_takes_stock_back_and_lowers_the_delivered_quantity() {
        for version in [OdooVersion::V18, OdooVersion::V19] {
            let mut db = database_of(version, &[]);
            let order =
                confirm_order_with(&mut db, &json!({"product_id": 12, "product_uom_qty": 10})).expect("confirmed");
            let delivery = db.ids_where("stock.picking", "sale_id", order)[0];
            call(&mut db, &env(), "stock.picking", "button_validate", &[delivery], &json!({})).expect("deliver");
            let mut on_delivery = Env::new(crate::seed::ADMIN_UID);
            on_delivery.context = json!({"active_model": "stock.picking", "active_id": delivery})
                .as_object()
                .cloned()
                .unwrap_or_default();
            let wizard =
                call(&mut db, &on_delivery, "stock.return.picking", "create", &[], &json!({"vals_list": [{}]}))
                    .expect("wizard")[0]
                    .as_i64()
                    .expect("wizard id");
            let line = db.ids_where("stock.return.picking.line", "wizard_id", wizard)[0];
            assert_eq!(
                db.get_f64("stock.return.picking.line", line, "quantity"),
                0.0,
                "{version:?}: nothing to return by default"
            );
            call(&mut db, &env(), "stock.return.picking.line", "write", &[line], &json!({"vals": {"quantity": 3}}))
                .expect("quantity");
            let action =
                call(&mut db, &on_delivery, "stock.return.picking", "action_create_returns", &[wizard], &json!({}))
                    .expect("return");
            let returned = action["res_id"].as_i64().expect("the return");
            assert_eq!(db.get_str("stock.picking", returned, "state"), "assigned");
            assert_eq!(
                db.get_str("stock.picking", returned, "origin"),
                format!("Return of {}", db.get_str("stock.picking", delivery, "name"))
            );
            call(&mut db, &env(), "stock.picking", "button_validate", &[returned], &json!({}))
                .expect("receive the return");
            let sale_line = db.ids_where("sale.order.line", "order_id", order)[0];
            let read =
                call(&mut db, &env(), "sale.order.line", "read", &[sale_line], &json!({"fields": ["qty_delivered"]}))
                    .expect("read");
            assert_eq!(read[0]["qty_delivered"], json!(7.0), "{version:?}");
            let quant = db
                .ids_where("stock.quant", "product_id", 12)
                .into_iter()
                .find(|q| db.get_i64("stock.quant", *q, "location_id") == Some(8));
            assert_eq!(quant.map(|q| db.get_f64("stock.quant", q, "quantity")), Some(38.0), "45 - 10 + 3 in WH/Stock");
        }
    }
}
