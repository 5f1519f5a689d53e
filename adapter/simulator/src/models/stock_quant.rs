//! Quants (module `stock`): stock per product and location, with Odoo's inventory mode (context
//! `inventory_mode`): counting sets `inventory_quantity` on the quant of a product and location
//! (reusing it if it exists), and `action_apply_inventory` turns the difference into a done move
//! from or to the virtual "Inventory adjustment" location, whose own quant goes negative — unless
//! the count is outdated (the stock moved since), when it answers the conflict wizard instead.
//! Also lots and packages (`stock.quant.package` in 18, `stock.package` in 19).

use serde_json::{Map, Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
        row,
    },
};

/// The fields a quant may be created with in inventory mode.
const COUNT_FIELDS: [&str; 12] = [
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

/// The model of packages: renamed in 19.
pub(crate) fn package_model(version: OdooVersion) -> &'static str {
    match version {
        OdooVersion::V18 => "stock.quant.package",
        OdooVersion::V19 => "stock.package",
    }
}

pub(crate) struct Quant;

impl Model for Quant {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.quant", "Quants", "stock", "id").public()
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("product_id", Many2one("product.product"), "Product")
            .stored("location_id", Many2one("stock.location"), "Location")
            .stored("quantity", Float, "Quantity")
            .stored("reserved_quantity", Float, "Reserved Quantity")
            .computed("available_quantity", Float, "Available Quantity")
            .stored("inventory_quantity", Float, "Counted Quantity")
            .stored("inventory_diff_quantity", Float, "Difference")
            .stored("inventory_quantity_set", Boolean, "Inventory Quantity Set")
            .computed("is_outdated", Boolean, "Quantity has been moved since last count")
            // Written only to count and apply at once (an inverse, never stored).
            .related("inventory_quantity_auto_apply", Float, "Inventoried Quantity")
            .stored("user_id", Many2one("res.users"), "Assigned To")
            .stored("inventory_date", Date, "Scheduled Date")
            .stored("lot_id", Many2one("stock.lot"), "Lot/Serial Number")
            .stored("package_id", Many2one(package_model(version)), "Package")
            .stored("owner_id", Many2one("res.partner"), "Owner")
            .stored("company_id", Many2one("res.company"), "Company");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let f = |k: &str| db.get_f64("stock.quant", id, k);
        Some(match field {
            "available_quantity" => json!(f("quantity") - f("reserved_quantity")),
            "is_outdated" => json!(is_outdated(db, id)),
            _ => return None,
        })
    }

    fn display_name(&self, db: &Database, env: &Env, id: i64) -> Option<String> {
        let product = db.get_i64("stock.quant", id, "product_id").unwrap_or_default();
        Some(db.display_name("product.product", product, env))
    }

    /// In inventory mode, creating a quant counts the product in the location.
    fn create_instead(&self, db: &mut Database, env: &Env, vals: &Map<String, Value>) -> Option<SimResult<i64>> {
        let counting = env.flag("inventory_mode")
            && ["inventory_quantity", "inventory_quantity_auto_apply"].iter().any(|f| vals.contains_key(*f));
        counting.then(|| create_count(db, env, vals))
    }

    /// A written count moves the difference and the "set" flag along.
    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        if let Some(counted) = vals.get("inventory_quantity").and_then(Value::as_f64) {
            for quant in ids {
                count(db, *quant, counted);
            }
        }
        Ok(())
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        vec![Method {
            name: "action_apply_inventory",
            signature: sig(false, &[], 0, false, false),
            on_records: true,
            run: |db, env, args| apply_inventory(db, env, args.ids),
        }]
    }
}

/// Whether the stock moved since the count: the counted difference no longer leads to the count.
fn is_outdated(db: &Database, quant: i64) -> bool {
    let f = |k: &str| db.get_f64("stock.quant", quant, k);
    db.get_bool("stock.quant", quant, "inventory_quantity_set")
        && (f("inventory_quantity") - f("inventory_diff_quantity") - f("quantity")).abs() > 1e-9
}

/// `stock.quant.create` in inventory mode: the quant of the product and location (created empty
/// when there is none) gets the counted quantity; with `inventory_quantity_auto_apply`, applied.
fn create_count(db: &mut Database, env: &Env, vals: &Map<String, Value>) -> SimResult<i64> {
    if vals.keys().any(|k| !COUNT_FIELDS.contains(&k.as_str())) {
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

/// `stock.quant.action_apply_inventory`: applies the counts and returns nothing (Odoo's `None`),
/// or, when a count is outdated, applies nothing and returns the conflict wizard's action.
fn apply_inventory(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<Outcome> {
    let outdated: Vec<i64> = ids.iter().copied().filter(|q| is_outdated(db, *q)).collect();
    if !outdated.is_empty() {
        let mut context = env.context.clone();
        context.insert("default_quant_ids".into(), json!(ids));
        context.insert("default_quant_to_fix_ids".into(), json!(outdated));
        return Ok(Outcome::Value(json!({
            "name": "Conflict in Inventory Adjustment",
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "views": [[false, "form"]],
            "res_model": "stock.inventory.conflict",
            "target": "new",
            "context": context,
        })));
    }
    apply(db, ids);
    Ok(Outcome::Nothing)
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

/// The wizard `action_apply_inventory` opens on outdated counts (`stock.inventory.conflict`).
pub(crate) struct InventoryConflict;

impl Model for InventoryConflict {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.inventory.conflict", "Conflict in Inventory", "stock", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("quant_ids", Many2many("stock.quant"), "Quants").stored(
            "quant_to_fix_ids",
            Many2many("stock.quant"),
            "Conflicts",
        );
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        vec![
            Method {
                name: "action_keep_counted_quantity",
                signature: sig(false, &[], 0, false, false),
                on_records: true,
                run: keep_counted,
            },
            Method {
                name: "action_keep_difference",
                signature: sig(false, &[], 0, false, false),
                on_records: true,
                run: keep_difference,
            },
        ]
    }
}

fn conflict_quants(db: &Database, args: &Args<'_>) -> Vec<i64> {
    args.ids.iter().flat_map(|w| super::ids(&db.get("stock.inventory.conflict", *w, "quant_ids"))).collect()
}

/// Applies the counts as counted: the difference is recomputed from the current quantity.
fn keep_counted(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let quants = conflict_quants(db, args);
    for quant in &quants {
        let counted = db.get_f64("stock.quant", *quant, "inventory_quantity");
        count(db, *quant, counted);
    }
    apply_inventory(db, env, &quants)
}

/// Applies the differences as counted: the count is moved by what happened since.
fn keep_difference(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let quants = conflict_quants(db, args);
    for quant in &quants {
        let counted = db.get_f64("stock.quant", *quant, "quantity")
            + db.get_f64("stock.quant", *quant, "inventory_diff_quantity");
        count(db, *quant, counted);
    }
    apply_inventory(db, env, &quants)
}

pub(crate) struct Lot;

impl Model for Lot {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.lot", "Lot/Serial", "stock", "name, id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Lot/Serial Number");
    }
}

/// Packages: `stock.quant.package` in 18, `stock.package` in 19.
pub(crate) struct Package;

impl Model for Package {
    fn info(&self, version: OdooVersion) -> Info {
        Info::new(package_model(version), "Packages", "stock", "name")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Package Reference");
    }
}
