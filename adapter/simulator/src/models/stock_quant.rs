//! Quants (module `stock`): stock per product, location and lot, with Odoo's inventory mode
//! (context `inventory_mode`): counting sets `inventory_quantity` on the quant of a product and
//! location (reusing it if it exists), and `action_apply_inventory` turns the difference into a
//! done move from or to the virtual "Inventory adjustment" location, whose own quant goes negative —
//! unless the count is outdated (the stock moved since), when it answers the conflict wizard instead,
//! or, on 18, a tracked product is counted without a lot (the `stock.track.confirmation` wizard).
//! The functions below keep quants' quantities and reserved quantities for the moves' reservations
//! and validations. Also packages (`stock.quant.package` in 18, `stock.package` in 19).

use serde_json::{Map, Value, json};

use super::stock_move_line;
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
        row, today,
    },
};

const QUANT: &str = "stock.quant";

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

/// Quantities closer to zero than this are zero (Odoo compares at the unit's rounding).
const EPSILON: f64 = 1e-9;

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
        Info::new(QUANT, "Quants", "stock", "id").public()
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
            .computed("tracking", selection(super::product::TRACKING), "Product with Tracking")
            .stored("package_id", Many2one(package_model(version)), "Package")
            .stored("owner_id", Many2one("res.partner"), "Owner")
            .stored("company_id", Many2one("res.company"), "Company");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let f = |k: &str| db.get_f64(QUANT, id, k);
        Some(match field {
            "available_quantity" => json!(f("quantity") - f("reserved_quantity")),
            "is_outdated" => json!(is_outdated(db, id)),
            "tracking" => json!(super::product::tracking(db, db.get_i64(QUANT, id, "product_id").unwrap_or_default())),
            _ => return None,
        })
    }

    fn display_name(&self, db: &Database, env: &Env, id: i64) -> Option<String> {
        let product = db.get_i64(QUANT, id, "product_id").unwrap_or_default();
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
        vec![
            Method {
                name: "action_apply_inventory",
                signature: sig(false, &[], 0, false, false),
                on_records: true,
                run: |db, env, args| apply_inventory(db, env, args.ids),
            },
            Method {
                name: "action_clear_inventory_quantity",
                signature: sig(false, &[], 0, false, false),
                on_records: true,
                run: |db, _env, args| {
                    clear_counts(db, args.ids);
                    Ok(Outcome::Nothing)
                },
            },
        ]
    }
}

/// `stock.quant.action_clear_inventory_quantity`: withdraws the counts, applying nothing (an empty
/// quant stays until Odoo's clean-up, as in Odoo).
fn clear_counts(db: &mut Database, quants: &[i64]) {
    let existing: Vec<i64> = quants.iter().copied().filter(|q| db.exists(QUANT, *q)).collect();
    for quant in &existing {
        for (field, value) in [
            ("inventory_quantity", json!(0.0)),
            ("inventory_diff_quantity", json!(0.0)),
            ("inventory_quantity_set", json!(false)),
            ("user_id", json!(false)),
        ] {
            db.set(QUANT, *quant, field, value);
        }
    }
}

/// Whether the stock moved since the count: the counted difference no longer leads to the count.
fn is_outdated(db: &Database, quant: i64) -> bool {
    let f = |k: &str| db.get_f64(QUANT, quant, k);
    db.get_bool(QUANT, quant, "inventory_quantity_set")
        && (f("inventory_quantity") - f("inventory_diff_quantity") - f("quantity")).abs() > EPSILON
}

/// `stock.quant.create` in inventory mode: the quant of the product, location and lot (created
/// empty when there is none) gets the counted quantity; with `inventory_quantity_auto_apply`,
/// applied at once.
fn create_count(db: &mut Database, env: &Env, vals: &Map<String, Value>) -> SimResult<i64> {
    if vals.keys().any(|k| !COUNT_FIELDS.contains(&k.as_str())) {
        return Err(SimError::user("Quant's creation is restricted, you can't do this operation."));
    }
    let id_of = |field: &str| vals.get(field).and_then(Value::as_i64);
    let (product, location, lot) =
        (id_of("product_id").unwrap_or_default(), id_of("location_id").unwrap_or_default(), id_of("lot_id"));
    for (model, id) in [("product.product", Some(product)), ("stock.location", Some(location)), ("stock.lot", lot)] {
        if let Some(id) = id
            && !db.exists(model, id)
        {
            return Err(SimError::missing(model, &[id], env.uid));
        }
    }
    let auto_apply = vals.get("inventory_quantity_auto_apply").and_then(Value::as_f64);
    let counted = auto_apply.or_else(|| vals.get("inventory_quantity").and_then(Value::as_f64)).unwrap_or(0.0);
    let quant = quant_at(db, product, location, lot);
    count(db, quant, counted);
    db.set(QUANT, quant, "user_id", vals.get("user_id").cloned().unwrap_or(json!(env.uid)));
    if db.get_str(QUANT, quant, "inventory_date").is_empty() {
        db.set(QUANT, quant, "inventory_date", json!(today()));
    }
    if auto_apply.is_some() {
        apply(db, &[quant]);
    }
    Ok(quant)
}

fn count(db: &mut Database, quant: i64, counted: f64) {
    db.set(QUANT, quant, "inventory_quantity", json!(counted));
    db.set(QUANT, quant, "inventory_diff_quantity", json!(counted - db.get_f64(QUANT, quant, "quantity")));
    db.set(QUANT, quant, "inventory_quantity_set", json!(true));
}

/// `stock.quant.action_apply_inventory`: applies the counts and returns nothing (Odoo's `None`),
/// or, when a count is outdated, applies nothing and returns the conflict wizard's action; 18 also
/// stops at its tracking wizard when a tracked product was counted without a lot where there was
/// none.
fn apply_inventory(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<Outcome> {
    let mut context = env.context.clone();
    context.insert("default_quant_ids".into(), json!(ids));
    let wizard = |name: &str, model: &str, context: Map<String, Value>| {
        Outcome::Value(json!({
            "name": name,
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "views": [[false, "form"]],
            "res_model": model,
            "target": "new",
            "context": context,
        }))
    };
    let outdated: Vec<i64> = ids.iter().copied().filter(|q| is_outdated(db, *q)).collect();
    if !outdated.is_empty() {
        context.insert("default_quant_to_fix_ids".into(), json!(outdated));
        return Ok(wizard("Conflict in Inventory Adjustment", "stock.inventory.conflict", context));
    }
    if db.version == OdooVersion::V18 {
        let mut untracked: Vec<i64> = Vec::new();
        for quant in ids {
            let product = db.get_i64(QUANT, *quant, "product_id").unwrap_or_default();
            let f = |k: &str| db.get_f64(QUANT, *quant, k);
            let nothing = [f("inventory_diff_quantity"), f("inventory_quantity"), f("quantity")]
                .iter()
                .all(|v| v.abs() < EPSILON);
            if !nothing
                && super::product::tracking(db, product) != "none"
                && db.get_i64(QUANT, *quant, "lot_id").is_none()
                && (f("inventory_quantity") - f("quantity")).abs() > EPSILON
                && f("quantity").abs() < EPSILON
                && !untracked.contains(&product)
            {
                untracked.push(product);
            }
        }
        if !untracked.is_empty() {
            context.insert("default_product_ids".into(), json!(untracked));
            return Ok(wizard("Tracked Products in Inventory Adjustment", "stock.track.confirmation", context));
        }
    }
    apply(db, ids);
    Ok(Outcome::Nothing)
}

/// Applies counted differences: a done inventory move (with its done line) per quant, from or to
/// the virtual adjustment location; then the counts are cleared and the next count is scheduled.
fn apply(db: &mut Database, quants: &[i64]) {
    let adjustment = db
        .table("stock.location")
        .rows
        .keys()
        .copied()
        .find(|l| db.get_str("stock.location", *l, "usage") == "inventory")
        .unwrap_or_default();
    for quant in quants {
        let diff = db.get_f64(QUANT, *quant, "inventory_diff_quantity");
        let product = db.get_i64(QUANT, *quant, "product_id").unwrap_or_default();
        let location = db.get_i64(QUANT, *quant, "location_id").unwrap_or_default();
        let lot = db.get_i64(QUANT, *quant, "lot_id");
        let user = db.get_i64(QUANT, *quant, "user_id");
        let mut name = if diff == 0.0 { "Product Quantity Confirmed" } else { "Product Quantity Updated" }.to_owned();
        if let Some(user) = user {
            name = format!(
                "{name} ({})",
                db.get_str("res.partner", db.get_i64("res.users", user, "partner_id").unwrap_or_default(), "name")
            );
        }
        let (from, to) = if diff > 0.0 { (adjustment, location) } else { (location, adjustment) };
        let stamp = db.get(QUANT, *quant, "write_date");
        let mv = db.insert(
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
        let line = stock_move_line::insert(db, mv, from, lot, diff.abs());
        db.set(stock_move_line::LINE, line, "picked", json!(true));
        stock_move_line::done(db, line);
        let next = next_inventory_date(db, location);
        for (field, value) in [
            ("inventory_quantity", json!(0.0)),
            ("inventory_diff_quantity", json!(0.0)),
            ("inventory_quantity_set", json!(false)),
            ("user_id", json!(false)),
            ("inventory_date", next),
        ] {
            db.set(QUANT, *quant, field, value);
        }
    }
}

/// The company's annual inventory day (31 December in the demo data) after today, for internal
/// locations; other locations are not counted.
fn next_inventory_date(db: &Database, location: i64) -> Value {
    if db.get_str("stock.location", location, "usage") != "internal" {
        return Value::Bool(false);
    }
    let now = time::OffsetDateTime::now_utc().date();
    let year = if (now.month(), now.day()) == (time::Month::December, 31) { now.year() + 1 } else { now.year() };
    json!(format!("{year}-12-31"))
}

/// The quant of a product in a location and lot, if there is one.
pub(crate) fn find(db: &Database, product: i64, location: i64, lot: Option<i64>) -> Option<i64> {
    db.ids_where(QUANT, "product_id", product)
        .into_iter()
        .find(|q| db.get_i64(QUANT, *q, "location_id") == Some(location) && db.get_i64(QUANT, *q, "lot_id") == lot)
}

/// The quant of a product in a location and lot, created empty when there is none.
pub(crate) fn quant_at(db: &mut Database, product: i64, location: i64, lot: Option<i64>) -> i64 {
    find(db, product, location, lot).unwrap_or_else(|| {
        db.insert(
            QUANT,
            row(&[
                ("product_id", json!(product)),
                ("location_id", json!(location)),
                ("lot_id", lot.map_or(json!(false), |l| json!(l))),
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

/// Changes what is on hand of a storable product in a location and lot (negative quantities
/// included, as Odoo keeps them); a quant left with nothing on hand, reserved or counted is
/// deleted.
pub(crate) fn add_quantity(db: &mut Database, product: i64, location: i64, lot: Option<i64>, quantity: f64) {
    if quantity.abs() < EPSILON || !db.get_bool("product.product", product, "is_storable") {
        return;
    }
    let quant = quant_at(db, product, location, lot);
    db.set(QUANT, quant, "quantity", json!(db.get_f64(QUANT, quant, "quantity") + quantity));
    drop_if_empty(db, quant);
}

/// Reserves `quantity` on the quant of exactly this location and lot (made if there is none), as
/// Odoo 18's `_update_reserved_quantity` does: it does not look at what is free there, so a line
/// asking for more than is on hand reserves beyond it.
pub(crate) fn reserve(db: &mut Database, product: i64, location: i64, lot: Option<i64>, quantity: f64) {
    if quantity.abs() < EPSILON {
        return;
    }
    let quant = quant_at(db, product, location, lot);
    db.set(QUANT, quant, "reserved_quantity", json!(db.get_f64(QUANT, quant, "reserved_quantity") + quantity));
}

/// Gives back a reservation.
pub(crate) fn release(db: &mut Database, product: i64, location: i64, lot: Option<i64>, quantity: f64) {
    if quantity.abs() < EPSILON {
        return;
    }
    if let Some(quant) = find(db, product, location, lot) {
        let held = db.get_f64(QUANT, quant, "reserved_quantity");
        db.set(QUANT, quant, "reserved_quantity", json!((held - quantity).max(0.0)));
        drop_if_empty(db, quant);
    }
}

/// What is free of a product in and under a location: `(location, lot, free)` per quant, oldest
/// quant first (Odoo's default removal strategy is first in, first out).
pub(crate) fn available(db: &Database, product: i64, location: i64) -> Vec<(i64, Option<i64>, f64)> {
    let scope = db.descendants("stock.location", &[location]);
    db.ids_where(QUANT, "product_id", product)
        .into_iter()
        .filter_map(|q| {
            let at = db.get_i64(QUANT, q, "location_id").filter(|l| scope.contains(l))?;
            let free = db.get_f64(QUANT, q, "quantity") - db.get_f64(QUANT, q, "reserved_quantity");
            (free > EPSILON).then(|| (at, db.get_i64(QUANT, q, "lot_id"), free))
        })
        .collect()
}

fn drop_if_empty(db: &mut Database, quant: i64) {
    let f = |k: &str| db.get_f64(QUANT, quant, k);
    if f("quantity").abs() < EPSILON
        && f("reserved_quantity").abs() < EPSILON
        && !db.get_bool(QUANT, quant, "inventory_quantity_set")
    {
        db.remove(QUANT, quant);
    }
}

/// The wizard `action_apply_inventory` opens on outdated counts (`stock.inventory.conflict`).
pub(crate) struct InventoryConflict;

impl Model for InventoryConflict {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.inventory.conflict", "Conflict in Inventory", "stock", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("quant_ids", Many2many(QUANT), "Quants").stored("quant_to_fix_ids", Many2many(QUANT), "Conflicts");
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

fn wizard_quants(db: &Database, model: &str, args: &Args<'_>) -> Vec<i64> {
    args.ids.iter().flat_map(|w| super::ids(&db.get(model, *w, "quant_ids"))).collect()
}

/// Applies the counts as counted: the difference is recomputed from the current quantity.
fn keep_counted(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let quants = wizard_quants(db, "stock.inventory.conflict", args);
    for quant in &quants {
        let counted = db.get_f64(QUANT, *quant, "inventory_quantity");
        count(db, *quant, counted);
    }
    apply_inventory(db, env, &quants)
}

/// Applies the differences as counted: the count is moved by what happened since.
fn keep_difference(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let quants = wizard_quants(db, "stock.inventory.conflict", args);
    for quant in &quants {
        let counted = db.get_f64(QUANT, *quant, "quantity") + db.get_f64(QUANT, *quant, "inventory_diff_quantity");
        count(db, *quant, counted);
    }
    apply_inventory(db, env, &quants)
}

/// Odoo 18's wizard for tracked products counted without a lot (`stock.track.confirmation`):
/// confirming applies the counts anyway. Odoo 19 no longer asks.
pub(crate) struct TrackConfirmation;

impl Model for TrackConfirmation {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("stock.track.confirmation", "Stock Track Confirmation", "stock", "id")
    }

    fn exists_in(&self, version: OdooVersion) -> bool {
        version == OdooVersion::V18
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("quant_ids", Many2many(QUANT), "Quants").stored(
            "product_ids",
            Many2many("product.product"),
            "Products",
        );
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        vec![Method {
            name: "action_confirm",
            signature: sig(false, &[], 0, false, false),
            on_records: true,
            run: |db, _env, args| {
                let quants = wizard_quants(db, "stock.track.confirmation", args);
                apply(db, &quants);
                Ok(Outcome::Nothing)
            },
        }]
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
