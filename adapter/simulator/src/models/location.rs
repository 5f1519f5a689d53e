//! Stock locations (module `stock`): a tree whose full names and warehouses Odoo computes and stores.

use serde_json::{Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        registry::{Info, Model},
    },
};

const USAGE: &[(&str, &str)] = &[
    ("supplier", "Vendor"),
    ("view", "View"),
    ("internal", "Internal Location"),
    ("customer", "Customer"),
    ("inventory", "Inventory Loss"),
    ("production", "Production"),
    ("transit", "Transit Location"),
];

pub(crate) struct Location;

impl Model for Location {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.location", "Inventory Locations", "stock", "complete_name, id").parent("location_id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Location Name")
            .stored_computed("complete_name", Char, "Full Location Name")
            .stored("usage", selection(USAGE), "Location Type")
            .default("usage", json!("internal"))
            .stored("location_id", Many2one("stock.location"), "Parent Location")
            .stored("child_ids", One2many("stock.location", "location_id"), "Contains")
            .stored_computed("warehouse_id", Many2one("stock.warehouse"), "Warehouse")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("barcode", Char, "Barcode")
            .stored("active", Boolean, "Active");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "complete_name" => json!(complete_name(db, id)),
            "warehouse_id" => warehouse(db, id).map_or(Value::Bool(false), |w| json!(w)),
            _ => return None,
        })
    }

    fn display_name(&self, db: &Database, _env: &Env, id: i64) -> Option<String> {
        Some(complete_name(db, id))
    }

    fn write_parameter(&self) -> &'static str {
        "values"
    }

    fn before_unlink(&self, db: &Database, _env: &Env, ids: &[i64]) -> SimResult<()> {
        let used = db.table("stock.quant").rows.values().any(|q| {
            q.get("location_id").and_then(Value::as_i64).is_some_and(|l| ids.contains(&l))
                && q.get("quantity").and_then(Value::as_f64).unwrap_or_default() != 0.0
        });
        if used {
            return Err(SimError::user("You cannot delete a location that contains products."));
        }
        Ok(())
    }
}

/// "WH/Stock/Shelf 2": the names of the location and its parents, from the top.
pub(crate) fn complete_name(db: &Database, id: i64) -> String {
    let mut chain = db.ancestors("stock.location", "location_id", id);
    chain.retain(|l| db.exists("stock.location", *l));
    chain.reverse();
    chain.iter().map(|l| db.get_str("stock.location", *l, "name")).collect::<Vec<_>>().join("/")
}

/// The warehouse whose view location contains this location.
fn warehouse(db: &Database, id: i64) -> Option<i64> {
    let ancestors = db.ancestors("stock.location", "location_id", id);
    db.table("stock.warehouse").rows.iter().find_map(|(wh, row)| {
        let view = row.get("view_location_id").and_then(Value::as_i64)?;
        ancestors.contains(&view).then_some(*wh)
    })
}
