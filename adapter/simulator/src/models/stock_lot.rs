//! Lots and serial numbers (`stock.lot`, module `stock`): one name per product, made when a receipt
//! of a tracked product is validated with `lot_name` on its lines, or created directly; the
//! quantity a lot holds is that of its quants in internal locations.

use serde_json::{Map, Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields},
        registry::{Info, Model},
        row,
    },
};

pub(crate) const LOT: &str = "stock.lot";

pub(crate) struct Lot;

impl Model for Lot {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(LOT, "Lot/Serial", "stock", "name, id")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Lot/Serial Number")
            .required("name")
            .stored("product_id", Many2one("product.product"), "Product")
            .required("product_id")
            .stored("ref", Char, "Internal Reference")
            .stored("note", Html, "Description")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("quant_ids", One2many("stock.quant", "lot_id"), "Quants")
            .computed("product_qty", Float, "On Hand Quantity");
        // The lot's unit is its product's: stored in 18, computed in 19.
        match version {
            OdooVersion::V18 => f.stored_computed("product_uom_id", Many2one("uom.uom"), "Unit of Measure"),
            OdooVersion::V19 => f.computed("product_uom_id", Many2one("uom.uom"), "Unit"),
        };
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "product_uom_id" => {
                db.get_i64(LOT, id, "product_id").map_or(Value::Bool(false), |p| db.get("product.product", p, "uom_id"))
            }
            "product_qty" => json!(
                db.ids_where("stock.quant", "lot_id", id)
                    .into_iter()
                    .filter(|q| db.get_i64("stock.quant", *q, "location_id").is_some_and(|l| db.get_str(
                        "stock.location",
                        l,
                        "usage"
                    ) == "internal"))
                    .map(|q| db.get_f64("stock.quant", q, "quantity"))
                    .sum::<f64>()
            ),
            _ => return None,
        })
    }

    /// Odoo's constraint: a product has each lot or serial number once.
    fn before_create(&self, db: &Database, _env: &Env, vals: &Map<String, Value>) -> SimResult<()> {
        let product = vals.get("product_id").and_then(Value::as_i64).unwrap_or_default();
        let name = vals.get("name").and_then(Value::as_str).unwrap_or_default();
        match named(db, product, name) {
            Some(_) => Err(duplicate(db, product, name)),
            None => Ok(()),
        }
    }
}

/// The lot of a product with this name.
pub(crate) fn named(db: &Database, product: i64, name: &str) -> Option<i64> {
    db.ids_where(LOT, "product_id", product).into_iter().find(|l| db.get_str(LOT, *l, "name") == name)
}

/// The lot of a product with this name, made when there is none (validating a receipt with
/// `lot_name` on its lines).
pub(crate) fn named_or_new(db: &mut Database, product: i64, name: &str) -> i64 {
    named(db, product, name).unwrap_or_else(|| {
        db.insert(LOT, row(&[("name", json!(name)), ("product_id", json!(product)), ("company_id", json!(1))]))
    })
}

fn duplicate(db: &Database, product: i64, name: &str) -> SimError {
    let env = Env::new(crate::seed::ADMIN_UID);
    SimError::validation(format!(
        "The combination of lot/serial number and product must be unique within a company including when no company is defined.\nThe following combinations contain duplicates:\n - Product: {}, Lot/Serial Number: {name}",
        db.display_name("product.product", product, &env)
    ))
}
