//! Inventory mode on `stock.quant` (context `inventory_mode`), as Odoo 18 does it: counting sets
//! `inventory_quantity` on the quant of a product and location (reusing it if it exists), and
//! `action_apply_inventory` turns the difference into a done move from or to the virtual
//! "Inventory adjustment" location, whose own quant goes negative.

use serde_json::{Map, Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{Database, Env, row},
};

/// The fields a quant may be created with in inventory mode.
const CREATE_FIELDS: [&str; 12] = [
    "product_id",
    "owner_id",
    "inventory_quantity",
    "inventory_quantity_auto_apply",
    "inventory_diff_quantity",
    "inventory_date",
    "user_id",
    "inventory_quantity_set",
    "is_outdated",
    "lot_id",
    "location_id",
    "package_id",
];

/// Whether a call on quants runs in inventory mode.
pub(crate) fn is_inventory_mode(env: &Env) -> bool {
    env.context.get("inventory_mode").and_then(Value::as_bool).unwrap_or(false)
}

/// Whether `create` values ask for a count rather than a plain quant.
pub(crate) fn is_count(env: &Env, vals: &Map<String, Value>) -> bool {
    is_inventory_mode(env)
        && ["inventory_quantity", "inventory_quantity_auto_apply"].iter().any(|f| vals.contains_key(*f))
}

/// `stock.quant.create` in inventory mode: the quant of the product and location (created empty
/// when there is none) gets the counted quantity; with `inventory_quantity_auto_apply`, applied.
pub(crate) fn create_count(db: &mut Database, env: &Env, vals: &Map<String, Value>) -> SimResult<i64> {
    if vals.keys().any(|k| !CREATE_FIELDS.contains(&k.as_str())) {
        return Err(SimError::user("Quant's creation is restricted, you can't do this operation."));
    }
    let product = vals.get("product_id").and_then(Value::as_i64).unwrap_or_default();
    let location = vals.get("location_id").and_then(Value::as_i64).unwrap_or_default();
    for (model, id) in [("product.product", product), ("stock.location", location)] {
        if !db.exists(model, id) {
            return Err(SimError::missing(model, &[id], env.uid));
        }
    }
    let auto_apply = vals.get("inventory_quantity_auto_apply").and_then(Value::as_f64);
    let counted = auto_apply.or_else(|| vals.get("inventory_quantity").and_then(Value::as_f64)).unwrap_or(0.0);
    let quant = quant_at(db, product, location);
    count(db, quant, counted);
    db.set("stock.quant", quant, "user_id", vals.get("user_id").cloned().unwrap_or(json!(env.uid)));
    if auto_apply.is_some() {
        apply(db, &[quant]);
    }
    Ok(quant)
}

/// After a `write` of counted quantities: the difference and the "set" flag follow.
pub(crate) fn after_write(db: &mut Database, ids: &[i64], vals: &Map<String, Value>) {
    if let Some(counted) = vals.get("inventory_quantity").and_then(Value::as_f64) {
        for quant in ids {
            count(db, *quant, counted);
        }
    }
}

fn count(db: &mut Database, quant: i64, counted: f64) {
    db.set("stock.quant", quant, "inventory_quantity", json!(counted));
    db.set(
        "stock.quant",
        quant,
        "inventory_diff_quantity",
        json!(counted - db.get_f64("stock.quant", quant, "quantity")),
    );
    db.set("stock.quant", quant, "inventory_quantity_set", json!(true));
}

/// `stock.quant.action_apply_inventory`: returns nothing (Odoo's `None`).
pub(crate) fn action_apply_inventory(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<()> {
    let missing: Vec<i64> = ids.iter().copied().filter(|q| !db.exists("stock.quant", *q)).collect();
    if !missing.is_empty() {
        return Err(SimError::missing("stock.quant", &missing, env.uid));
    }
    apply(db, ids);
    Ok(())
}

fn apply(db: &mut Database, quants: &[i64]) {
    let adjustment = db
        .table("stock.location")
        .rows
        .keys()
        .copied()
        .find(|l| db.get_str("stock.location", *l, "usage") == "inventory")
        .unwrap_or_default();
    for quant in quants {
        let diff = db.get_f64("stock.quant", *quant, "inventory_diff_quantity");
        let product = db.get_i64("stock.quant", *quant, "product_id").unwrap_or_default();
        let location = db.get_i64("stock.quant", *quant, "location_id").unwrap_or_default();
        let user = db.get_i64("stock.quant", *quant, "user_id");
        let mut name = if diff == 0.0 { "Product Quantity Confirmed" } else { "Product Quantity Updated" }.to_owned();
        if let Some(user) = user {
            name = format!(
                "{name} ({})",
                db.get_str("res.partner", db.get_i64("res.users", user, "partner_id").unwrap_or_default(), "name")
            );
        }
        let (from, to) = if diff > 0.0 { (adjustment, location) } else { (location, adjustment) };
        let stamp = db.get("stock.quant", *quant, "write_date");
        db.insert(
            "stock.move",
            row(&[
                ("reference", json!(name)),
                ("name", json!(name)),
                ("product_id", json!(product)),
                ("product_uom_qty", json!(diff.abs())),
                ("quantity", json!(diff.abs())),
                ("product_uom", db.get("product.product", product, "uom_id")),
                ("picked", json!(true)),
                ("is_inventory", json!(true)),
                ("state", json!("done")),
                ("location_id", json!(from)),
                ("location_dest_id", json!(to)),
                ("date", stamp),
                ("company_id", json!(1)),
                ("sequence", json!(10)),
            ]),
        );
        db.set("stock.quant", *quant, "quantity", json!(db.get_f64("stock.quant", *quant, "quantity") + diff));
        let counterpart = quant_at(db, product, adjustment);
        db.set(
            "stock.quant",
            counterpart,
            "quantity",
            json!(db.get_f64("stock.quant", counterpart, "quantity") - diff),
        );
        for (field, value) in [
            ("inventory_quantity", json!(0.0)),
            ("inventory_diff_quantity", json!(0.0)),
            ("inventory_quantity_set", json!(false)),
            ("user_id", json!(false)),
        ] {
            db.set("stock.quant", *quant, field, value);
        }
    }
}

/// The quant of a product in a location, created empty when there is none.
pub(crate) fn quant_at(db: &mut Database, product: i64, location: i64) -> i64 {
    let existing = db
        .ids_where("stock.quant", "product_id", product)
        .into_iter()
        .find(|q| db.get_i64("stock.quant", *q, "location_id") == Some(location));
    existing.unwrap_or_else(|| {
        db.insert(
            "stock.quant",
            row(&[
                ("product_id", json!(product)),
                ("location_id", json!(location)),
                ("quantity", json!(0.0)),
                ("reserved_quantity", json!(0.0)),
                ("inventory_quantity", json!(0.0)),
                ("inventory_diff_quantity", json!(0.0)),
                ("inventory_quantity_set", json!(false)),
                ("company_id", json!(1)),
            ]),
        )
    })
}
