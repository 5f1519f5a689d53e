//! Odoo's computed stock quantities on `product.product`, scoped by the `warehouse_id`/`warehouse`
//! and `location` context keys exactly as `_get_domain_locations` does: a warehouse means every
//! internal location under its view location, a location means it and its children, and no context
//! means every internal location of every warehouse.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::{
    domain,
    orm::{Database, Env},
};

/// Moves in these states are still to happen and count as incoming or outgoing.
const PENDING_MOVE_STATES: [&str; 4] = ["waiting", "confirmed", "partially_available", "assigned"];

/// Computes a non-stored field that depends on stock; `None` for every other field.
pub(crate) fn computed(db: &Database, model: &str, id: i64, field: &str, env: &Env) -> Option<Value> {
    match (model, field) {
        ("product.product", "qty_available" | "free_qty" | "incoming_qty" | "outgoing_qty" | "virtual_available") => {
            let q = product_quantities(db, id, env);
            let rounding = product_rounding(db, id);
            let value = match field {
                "qty_available" => q.on_hand,
                "free_qty" => q.free,
                "incoming_qty" => q.incoming,
                "outgoing_qty" => q.outgoing,
                _ => q.on_hand + q.incoming - q.outgoing,
            };
            Some(json!(round_to(value, rounding)))
        }
        // Moves are in their product's unit here: the demand is the real quantity.
        ("stock.move", "product_qty") => Some(db.get("stock.move", id, "product_uom_qty")),
        ("stock.quant", "available_quantity") => {
            let row = db.row(model, id)?;
            let f = |k: &str| row.get(k).and_then(Value::as_f64).unwrap_or_default();
            Some(json!(f("quantity") - f("reserved_quantity")))
        }
        _ => None,
    }
}

/// Stock figures of one product within the context's scope.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Quantities {
    pub(crate) on_hand: f64,
    pub(crate) free: f64,
    pub(crate) incoming: f64,
    pub(crate) outgoing: f64,
}

pub(crate) fn product_quantities(db: &Database, product: i64, env: &Env) -> Quantities {
    let scope = scope_locations(db, env);
    let mut q = Quantities::default();
    for row in db.table("stock.quant").rows.values() {
        if row.get("product_id").and_then(Value::as_i64) != Some(product) {
            continue;
        }
        let Some(loc) = row.get("location_id").and_then(Value::as_i64) else {
            continue;
        };
        if !scope.contains(&loc) {
            continue;
        }
        let quantity = row.get("quantity").and_then(Value::as_f64).unwrap_or_default();
        let reserved = row.get("reserved_quantity").and_then(Value::as_f64).unwrap_or_default();
        q.on_hand += quantity;
        q.free += quantity - reserved;
    }
    for row in db.table("stock.move").rows.values() {
        if row.get("product_id").and_then(Value::as_i64) != Some(product) {
            continue;
        }
        let state = row.get("state").and_then(Value::as_str).unwrap_or_default();
        if !PENDING_MOVE_STATES.contains(&state) {
            continue;
        }
        let qty = row.get("product_uom_qty").and_then(Value::as_f64).unwrap_or_default();
        let src = row.get("location_id").and_then(Value::as_i64).is_some_and(|l| scope.contains(&l));
        let dst = row.get("location_dest_id").and_then(Value::as_i64).is_some_and(|l| scope.contains(&l));
        match (src, dst) {
            (false, true) => q.incoming += qty,
            (true, false) => q.outgoing += qty,
            _ => {}
        }
    }
    q
}

/// The internal locations the context points at.
pub(crate) fn scope_locations(db: &Database, env: &Env) -> BTreeSet<i64> {
    let roots: Vec<i64> = if let Some(loc) = env.context.get("location").filter(|v| !domain::is_empty(v)) {
        resolve(db, "stock.location", loc, env)
    } else if let Some(wh) =
        ["warehouse_id", "warehouse"].iter().find_map(|k| env.context.get(*k).filter(|v| !domain::is_empty(v)))
    {
        resolve(db, "stock.warehouse", wh, env)
            .into_iter()
            .filter_map(|w| db.row("stock.warehouse", w)?.get("view_location_id")?.as_i64())
            .collect()
    } else {
        db.table("stock.warehouse").rows.values().filter_map(|w| w.get("view_location_id")?.as_i64()).collect()
    };
    db.descendants("stock.location", &roots)
        .into_iter()
        .filter(|l| {
            db.row("stock.location", *l).and_then(|r| r.get("usage")).and_then(Value::as_str) == Some("internal")
        })
        .collect()
}

/// Ids from a context value that may be an id, a list of ids, or a name to match.
fn resolve(db: &Database, model: &str, value: &Value, env: &Env) -> Vec<i64> {
    match value {
        Value::Number(n) => n.as_i64().into_iter().collect(),
        Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
        Value::String(name) => db
            .table(model)
            .rows
            .keys()
            .copied()
            .filter(|id| domain::like(&db.display_name(model, *id, env), &format!("%{name}%"), true))
            .collect(),
        _ => Vec::new(),
    }
}

fn product_rounding(db: &Database, product: i64) -> f64 {
    db.row("product.product", product)
        .and_then(|r| r.get("uom_id")?.as_i64())
        .and_then(|uom| db.row("uom.uom", uom)?.get("rounding")?.as_f64())
        .unwrap_or(0.01)
}

/// Odoo's `float_round` with a rounding precision, half away from zero.
pub(crate) fn round_to(value: f64, rounding: f64) -> f64 {
    if rounding <= 0.0 {
        return value;
    }
    let steps = value / rounding;
    let rounded = steps.abs().round().copysign(steps);
    rounded * rounding
}
