//! Warehouses and their operation types (module `stock`): a new warehouse gets its locations and
//! receipt and delivery types, and names and codes are unique per company.

use serde_json::{Map, Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion, Row,
        fields::{FieldType::*, Fields, selection},
        registry::{Info, Model},
    },
};

const RECEPTION_STEPS: &[(&str, &str)] = &[
    ("one_step", "Receive and Store (1 step)"),
    ("two_steps", "Receive then Store (2 steps)"),
    ("three_steps", "Receive, Quality Control, then Store (3 steps)"),
];
const DELIVERY_STEPS: &[(&str, &str)] = &[
    ("ship_only", "Deliver (1 step)"),
    ("pick_ship", "Pick then Deliver (2 steps)"),
    ("pick_pack_ship", "Pick, Pack, then Deliver (3 steps)"),
];
pub(crate) const PICKING_CODE: &[(&str, &str)] =
    &[("incoming", "Receipt"), ("outgoing", "Delivery"), ("internal", "Internal Transfer")];
const CREATE_BACKORDER: &[(&str, &str)] = &[("ask", "Ask"), ("always", "Always"), ("never", "Never")];
const RESERVATION_METHOD: &[(&str, &str)] =
    &[("at_confirm", "At Confirmation"), ("manual", "Manually"), ("by_date", "Before scheduled date")];

pub(crate) struct Warehouse;

impl Model for Warehouse {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.warehouse", "Warehouse", "stock", "sequence,id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Warehouse")
            .required("name")
            .stored("code", Char, "Short Name")
            .required("code")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("partner_id", Many2one("res.partner"), "Address")
            .stored("view_location_id", Many2one("stock.location"), "View Location")
            .stored("lot_stock_id", Many2one("stock.location"), "Location Stock")
            .stored("wh_input_stock_loc_id", Many2one("stock.location"), "Input Location")
            .stored("wh_output_stock_loc_id", Many2one("stock.location"), "Output Location")
            .stored("in_type_id", Many2one("stock.picking.type"), "In Type")
            .stored("out_type_id", Many2one("stock.picking.type"), "Out Type")
            .stored("reception_steps", selection(RECEPTION_STEPS), "Incoming Shipments")
            .default("reception_steps", json!("one_step"))
            .stored("delivery_steps", selection(DELIVERY_STEPS), "Outgoing Shipments")
            .default("delivery_steps", json!("ship_only"))
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active");
    }

    /// Odoo derives a missing code from the name.
    fn fills_required(&self, field: &str) -> bool {
        field == "code"
    }

    fn before_create(&self, db: &Database, env: &Env, vals: &Map<String, Value>) -> SimResult<()> {
        let company = vals.get("company_id").and_then(Value::as_i64).unwrap_or_else(|| user_company(db, env.uid));
        check_unique(db, None, company, vals)
    }

    fn after_create(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        create_locations(db, id, env);
        Ok(())
    }

    fn before_write(&self, db: &Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        for id in ids {
            let company = db.get_i64("stock.warehouse", *id, "company_id").unwrap_or(1);
            check_unique(db, Some(*id), company, vals)?;
        }
        Ok(())
    }
}

fn user_company(db: &Database, uid: i64) -> i64 {
    db.get_i64("res.users", uid, "company_id").unwrap_or(1)
}

fn check_unique(db: &Database, own: Option<i64>, company: i64, vals: &Map<String, Value>) -> SimResult<()> {
    for (key, what) in [("code", "short name"), ("name", "name")] {
        let Some(value) = vals.get(key).and_then(Value::as_str) else {
            continue;
        };
        let clash = db.table("stock.warehouse").rows.iter().any(|(id, row)| {
            Some(*id) != own
                && row.get("company_id").and_then(Value::as_i64) == Some(company)
                && row.get(key).and_then(Value::as_str) == Some(value)
        });
        if clash {
            return Err(SimError::validation(format!(
                "The operation cannot be completed: The {what} of the warehouse must be unique per company!"
            )));
        }
    }
    Ok(())
}

/// A new warehouse gets its view, stock, input and output locations and its receipt and delivery
/// operation types, as Odoo's `stock.warehouse.create` does.
fn create_locations(db: &mut Database, wh: i64, env: &Env) {
    let Some(row) = db.row("stock.warehouse", wh).cloned() else {
        return;
    };
    let code = row.get("code").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| {
        let name = row.get("name").and_then(Value::as_str).unwrap_or("WH");
        name.chars().filter(|c| c.is_alphanumeric()).take(5).collect::<String>().to_uppercase()
    });
    let company = row.get("company_id").and_then(Value::as_i64).unwrap_or_else(|| user_company(db, env.uid));
    let location = |name: &str, parent: Option<i64>, usage: &str, active: bool| -> Row {
        crate::orm::row(&[
            ("name", json!(name)),
            ("location_id", parent.map_or(json!(false), |p| json!(p))),
            ("usage", json!(usage)),
            ("company_id", json!(company)),
            ("active", json!(active)),
        ])
    };
    let view = db.insert("stock.location", location(&code, None, "view", true));
    let stock = db.insert("stock.location", location("Stock", Some(view), "internal", true));
    let input = db.insert("stock.location", location("Input", Some(view), "internal", false));
    let output = db.insert("stock.location", location("Output", Some(view), "internal", false));
    let in_type = db.insert("stock.picking.type", picking_type(wh, company, Receipts, stock));
    let out_type = db.insert("stock.picking.type", picking_type(wh, company, Deliveries, stock));
    link_returns(db, in_type, out_type);
    if let Some(row) = db.tables.get_mut("stock.warehouse").and_then(|t| t.rows.get_mut(&wh)) {
        for (k, v) in [
            ("code", json!(code)),
            ("company_id", json!(company)),
            ("view_location_id", json!(view)),
            ("lot_stock_id", json!(stock)),
            ("wh_input_stock_loc_id", json!(input)),
            ("wh_output_stock_loc_id", json!(output)),
            ("in_type_id", json!(in_type)),
            ("out_type_id", json!(out_type)),
        ] {
            row.insert(k.into(), v);
        }
        row.entry("reception_steps").or_insert(json!("one_step"));
        row.entry("delivery_steps").or_insert(json!("ship_only"));
    }
}

/// The two operation types every warehouse gets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Operation {
    Receipts,
    Deliveries,
}
use Operation::{Deliveries, Receipts};

/// A warehouse's receipt or delivery type, into or out of its stock location: receipts may create
/// lots, deliveries use existing ones; both ask before making a backorder and reserve at
/// confirmation.
pub(crate) fn picking_type(warehouse: i64, company: i64, operation: Operation, stock: i64) -> Row {
    let (name, code, prefix, src, dst) = match operation {
        Receipts => ("Receipts", "incoming", "IN", json!(false), json!(stock)),
        Deliveries => ("Delivery Orders", "outgoing", "OUT", json!(stock), json!(false)),
    };
    crate::orm::row(&[
        ("name", json!(name)),
        ("code", json!(code)),
        ("sequence_code", json!(prefix)),
        ("warehouse_id", json!(warehouse)),
        ("default_location_src_id", src),
        ("default_location_dest_id", dst),
        ("company_id", json!(company)),
        ("create_backorder", json!("ask")),
        ("reservation_method", json!("at_confirm")),
        ("use_create_lots", json!(matches!(operation, Receipts))),
        ("use_existing_lots", json!(matches!(operation, Deliveries))),
    ])
}

/// Each type's returns are made with the other: a delivery comes back as a receipt and a
/// receipt goes back as a delivery.
pub(crate) fn link_returns(db: &mut Database, in_type: i64, out_type: i64) {
    db.set("stock.picking.type", in_type, "return_picking_type_id", json!(out_type));
    db.set("stock.picking.type", out_type, "return_picking_type_id", json!(in_type));
}

pub(crate) struct PickingType;

impl Model for PickingType {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.picking.type", "Picking Type", "stock", "sequence, id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Operation Type")
            .stored("code", selection(PICKING_CODE), "Type of Operation")
            .stored("sequence_code", Char, "Sequence Prefix")
            .stored("warehouse_id", Many2one("stock.warehouse"), "Warehouse")
            .stored("default_location_src_id", Many2one("stock.location"), "Default Source Location")
            .stored("default_location_dest_id", Many2one("stock.location"), "Default Destination Location")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .stored("create_backorder", selection(CREATE_BACKORDER), "Create Backorder")
            .default("create_backorder", json!("ask"))
            .stored("reservation_method", selection(RESERVATION_METHOD), "Reservation Method")
            .default("reservation_method", json!("at_confirm"))
            .stored("use_create_lots", Boolean, "Create New Lots/Serial Numbers")
            .stored("use_existing_lots", Boolean, "Use Existing Lots/Serial Numbers")
            .stored("return_picking_type_id", Many2one("stock.picking.type"), "Operation Type for Returns")
            .stored("active", Boolean, "Active");
    }

    /// "Warehouse: Operation Type".
    fn display_name(&self, db: &Database, env: &Env, id: i64) -> Option<String> {
        let name = db.get_str("stock.picking.type", id, "name");
        Some(match db.get_i64("stock.picking.type", id, "warehouse_id") {
            Some(wh) => format!("{}: {name}", db.display_name("stock.warehouse", wh, env)),
            None => name,
        })
    }
}
