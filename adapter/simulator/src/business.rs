//! Business rules and side effects of the models that have them: what Odoo adds on top of the
//! generic ORM (constraints, records created along with others, refusals).

use serde_json::{Map, Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{Database, Env, Row},
};

/// Whether Odoo fills this required field itself when a create leaves it out.
pub(crate) fn has_default(model: &str, field: &str) -> bool {
    matches!((model, field), ("stock.warehouse", "code"))
}

pub(crate) fn before_create(db: &Database, model: &str, vals: &Map<String, Value>, env: &Env) -> SimResult<()> {
    if model == "ir.model.data" {
        let text = |k: &str| vals.get(k).and_then(Value::as_str).unwrap_or_default();
        let (module, name) = (text("module"), text("name"));
        let taken = db.table(model).rows.values().any(|r| {
            r.get("module").and_then(Value::as_str) == Some(module)
                && r.get("name").and_then(Value::as_str) == Some(name)
        });
        if taken {
            return Err(SimError::validation(format!(
                "The operation cannot be completed: duplicate key value violates unique constraint \"ir_model_data_module_name_uniq_index\"\nDETAIL:  Key (module, name)=({module}, {name}) already exists.\n"
            )));
        }
    }
    if model == "stock.warehouse" {
        let company = vals.get("company_id").and_then(Value::as_i64).unwrap_or_else(|| user_company(db, env.uid));
        check_warehouse_unique(db, None, company, vals)?;
    }
    Ok(())
}

pub(crate) fn before_write(
    db: &Database,
    model: &str,
    ids: &[i64],
    vals: &Map<String, Value>,
    _env: &Env,
) -> SimResult<()> {
    if model == "stock.warehouse" {
        for id in ids {
            let company = db.row(model, *id).and_then(|r| r.get("company_id")?.as_i64()).unwrap_or(1);
            check_warehouse_unique(db, Some(*id), company, vals)?;
        }
    }
    if model == "res.partner"
        && let Some(parent) = vals.get("parent_id").and_then(Value::as_i64)
    {
        for id in ids {
            if db.descendants("res.partner", &[*id]).contains(&parent) {
                return Err(SimError::validation("You cannot create recursive Partner hierarchies."));
            }
        }
    }
    Ok(())
}

pub(crate) fn before_unlink(db: &Database, model: &str, ids: &[i64], _env: &Env) -> SimResult<()> {
    if model == "stock.location" {
        let used = db.table("stock.quant").rows.values().any(|q| {
            q.get("location_id").and_then(Value::as_i64).is_some_and(|l| ids.contains(&l))
                && q.get("quantity").and_then(Value::as_f64).unwrap_or_default() != 0.0
        });
        if used {
            return Err(SimError::user("You cannot delete a location that contains products."));
        }
    }
    Ok(())
}

pub(crate) fn after_create(db: &mut Database, model: &str, id: i64, env: &Env) -> SimResult<()> {
    match model {
        "stock.warehouse" => create_warehouse_locations(db, id, env),
        "res.users" => secure_user(db, id),
        _ => {}
    }
    Ok(())
}

/// Odoo never stores or returns a password in clear; a user created without groups gets no
/// business rights (the recordings provoke `AccessError` with such a user).
fn secure_user(db: &mut Database, id: i64) {
    let Some(row) = db.tables.get_mut("res.users").and_then(|t| t.rows.get_mut(&id)) else {
        return;
    };
    if let Some(password) = row.remove("password") {
        row.insert("__password".into(), password);
    }
    let has_groups = row.get("groups_id").and_then(Value::as_array).is_some_and(|g| !g.is_empty());
    row.insert("__rights".into(), json!(has_groups));
}

fn user_company(db: &Database, uid: i64) -> i64 {
    db.row("res.users", uid).and_then(|r| r.get("company_id")?.as_i64()).unwrap_or(1)
}

fn check_warehouse_unique(db: &Database, own: Option<i64>, company: i64, vals: &Map<String, Value>) -> SimResult<()> {
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
fn create_warehouse_locations(db: &mut Database, wh: i64, env: &Env) {
    let Some(row) = db.row("stock.warehouse", wh).cloned() else {
        return;
    };
    let code = row.get("code").and_then(Value::as_str).map(str::to_owned).unwrap_or_else(|| {
        let name = row.get("name").and_then(Value::as_str).unwrap_or("WH");
        name.chars().filter(|c| c.is_alphanumeric()).take(5).collect::<String>().to_uppercase()
    });
    let company = row.get("company_id").and_then(Value::as_i64).unwrap_or_else(|| user_company(db, env.uid));
    let next = |model: &'static str, db: &mut Database, fields: Row| {
        let id = db.table(model).next_id.max(1);
        db.insert_raw(model, id, fields);
        id
    };
    let loc = |name: &str, parent: Option<i64>, usage: &str, active: bool| -> Row {
        let mut r = Row::new();
        r.insert("name".into(), json!(name));
        r.insert("location_id".into(), parent.map_or(json!(false), |p| json!(p)));
        r.insert("usage".into(), json!(usage));
        r.insert("company_id".into(), json!(company));
        r.insert("active".into(), json!(active));
        r
    };
    let view = next("stock.location", db, loc(&code, None, "view", true));
    let stock = next("stock.location", db, loc("Stock", Some(view), "internal", true));
    let input = next("stock.location", db, loc("Input", Some(view), "internal", false));
    let output = next("stock.location", db, loc("Output", Some(view), "internal", false));
    let picking_type = |name: &str, code_kind: &str, prefix: &str, src: Option<i64>, dst: Option<i64>| -> Row {
        let mut r = Row::new();
        r.insert("name".into(), json!(name));
        r.insert("code".into(), json!(code_kind));
        r.insert("sequence_code".into(), json!(prefix));
        r.insert("warehouse_id".into(), json!(wh));
        r.insert("default_location_src_id".into(), src.map_or(json!(false), |s| json!(s)));
        r.insert("default_location_dest_id".into(), dst.map_or(json!(false), |d| json!(d)));
        r.insert("company_id".into(), json!(company));
        r
    };
    let in_type = next("stock.picking.type", db, picking_type("Receipts", "incoming", "IN", None, Some(stock)));
    let out_type =
        next("stock.picking.type", db, picking_type("Delivery Orders", "outgoing", "OUT", Some(stock), None));
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
