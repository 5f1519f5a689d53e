//! Sales and purchase orders as Odoo 18 runs them: amounts and statuses computed from lines and
//! transfers, confirmation creating the delivery (with stock reserved at once) or the receipt,
//! cancellation releasing reservations, and the unlink rules.

use serde_json::{Map, Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{Database, Env, now, row},
};

/// Moves in these states still wait to be done.
const OPEN_MOVE_STATES: [&str; 5] = ["draft", "waiting", "confirmed", "partially_available", "assigned"];

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn ids(value: &Value) -> Vec<i64> {
    value.as_array().map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default()
}

/// The percentage of the taxes on a line (only percent taxes exist in the seed).
fn tax_rate(db: &Database, tax_ids: &[i64]) -> f64 {
    tax_ids.iter().map(|t| db.get_f64("account.tax", *t, "amount")).sum::<f64>() / 100.0
}

fn line_amounts(db: &Database, model: &str, id: i64) -> (f64, f64) {
    let (qty_field, tax_field) =
        if model == "sale.order.line" { ("product_uom_qty", "tax_id") } else { ("product_qty", "taxes_id") };
    let discount = if model == "sale.order.line" { db.get_f64(model, id, "discount") } else { 0.0 };
    let subtotal =
        round2(db.get_f64(model, id, qty_field) * db.get_f64(model, id, "price_unit") * (1.0 - discount / 100.0));
    let tax = round2(subtotal * tax_rate(db, &ids(&db.get(model, id, tax_field))));
    (subtotal, tax)
}

/// Quantity moved by done moves of a sale or purchase line, net of returns.
fn done_quantity(db: &Database, link_field: &str, line: i64) -> f64 {
    db.ids_where("stock.move", link_field, line)
        .into_iter()
        .filter(|m| db.get_str("stock.move", *m, "state") == "done")
        .map(|m| {
            let qty = db.get_f64("stock.move", m, "quantity");
            let dest = db.get_i64("stock.move", m, "location_dest_id").unwrap_or_default();
            let internal = db.get_str("stock.location", dest, "usage") == "internal";
            // A delivery leaves the warehouse; a receipt enters it; the opposite direction is a return.
            if (link_field == "sale_line_id") != internal { qty } else { -qty }
        })
        .sum()
}

fn picking_status(db: &Database, pickings: &[i64], partial: &str) -> Value {
    let live: Vec<String> =
        pickings.iter().map(|p| db.get_str("stock.picking", *p, "state")).filter(|s| s != "cancel").collect();
    if live.is_empty() {
        Value::Bool(false)
    } else if live.iter().all(|s| s == "done") {
        json!("full")
    } else if live.iter().any(|s| s == "done") {
        json!(partial)
    } else {
        json!("pending")
    }
}

fn invoice_status(db: &Database, lines: &[i64], line_model: &str, confirmed: bool) -> Value {
    if !confirmed {
        return json!("no");
    }
    let to_invoice: Vec<f64> = lines.iter().map(|l| qty_to_invoice(db, line_model, *l)).collect();
    if to_invoice.iter().any(|q| *q > 0.0) {
        json!("to invoice")
    } else if !lines.is_empty() && lines.iter().all(|l| db.get_f64(line_model, *l, "qty_invoiced") > 0.0) {
        json!("invoiced")
    } else {
        json!("no")
    }
}

fn qty_to_invoice(db: &Database, model: &str, line: i64) -> f64 {
    let invoiced = db.get_f64(model, line, "qty_invoiced");
    if model == "sale.order.line" {
        let product = db.get_i64(model, line, "product_id").unwrap_or_default();
        let base = if db.get_str("product.product", product, "invoice_policy") == "order" {
            db.get_f64(model, line, "product_uom_qty")
        } else {
            done_quantity(db, "sale_line_id", line)
        };
        base - invoiced
    } else {
        done_quantity(db, "purchase_line_id", line) - invoiced
    }
}

/// Computed fields of orders, lines, transfers, partners and external ids.
pub(crate) fn computed(db: &Database, model: &str, id: i64, field: &str) -> Option<Value> {
    let order_lines = |line_model: &str| db.ids_where(line_model, "order_id", id);
    let sum_lines = |line_model: &str, pick: fn((f64, f64)) -> f64| {
        json!(round2(order_lines(line_model).iter().map(|l| pick(line_amounts(db, line_model, *l))).sum::<f64>()))
    };
    Some(match (model, field) {
        ("sale.order" | "purchase.order", "currency_id") => {
            let pricelist = db.get_i64(model, id, "pricelist_id");
            json!(pricelist.and_then(|p| db.get_i64("product.pricelist", p, "currency_id")).unwrap_or(1))
        }
        ("sale.order", "amount_untaxed") => sum_lines("sale.order.line", |(s, _)| s),
        ("sale.order", "amount_tax") => sum_lines("sale.order.line", |(_, t)| t),
        ("sale.order", "amount_total") => sum_lines("sale.order.line", |(s, t)| s + t),
        ("purchase.order", "amount_untaxed") => sum_lines("purchase.order.line", |(s, _)| s),
        ("purchase.order", "amount_tax") => sum_lines("purchase.order.line", |(_, t)| t),
        ("purchase.order", "amount_total") => sum_lines("purchase.order.line", |(s, t)| s + t),
        ("sale.order", "delivery_status") => {
            picking_status(db, &db.ids_where("stock.picking", "sale_id", id), "partial")
        }
        ("purchase.order", "receipt_status") => {
            picking_status(db, &db.ids_where("stock.picking", "purchase_id", id), "partial")
        }
        ("sale.order", "invoice_status") => invoice_status(
            db,
            &order_lines("sale.order.line"),
            "sale.order.line",
            db.get_str(model, id, "state") == "sale",
        ),
        ("purchase.order", "invoice_status") => {
            let confirmed = matches!(db.get_str(model, id, "state").as_str(), "purchase" | "done");
            invoice_status(db, &order_lines("purchase.order.line"), "purchase.order.line", confirmed)
        }
        ("purchase.order", "date_planned") => {
            let dates: Vec<String> = order_lines("purchase.order.line")
                .iter()
                .map(|l| db.get_str("purchase.order.line", *l, "date_planned"))
                .filter(|d| !d.is_empty())
                .collect();
            dates.into_iter().min().map_or(Value::Bool(false), Value::from)
        }
        ("purchase.order", "incoming_picking_count") => json!(db.ids_where("stock.picking", "purchase_id", id).len()),
        ("sale.order.line" | "purchase.order.line", "price_subtotal") => json!(line_amounts(db, model, id).0),
        ("sale.order.line", "price_tax") => json!(line_amounts(db, model, id).1),
        ("sale.order.line" | "purchase.order.line", "price_total") => {
            let (s, t) = line_amounts(db, model, id);
            json!(round2(s + t))
        }
        ("sale.order.line", "qty_delivered") => json!(done_quantity(db, "sale_line_id", id)),
        ("purchase.order.line", "qty_received") => json!(done_quantity(db, "purchase_line_id", id)),
        ("sale.order.line" | "purchase.order.line", "qty_to_invoice") => json!(qty_to_invoice(db, model, id)),
        ("sale.order.line" | "purchase.order.line", "state") => {
            let order_model = if model == "sale.order.line" { "sale.order" } else { "purchase.order" };
            db.get_i64(model, id, "order_id").map_or(Value::Bool(false), |o| db.get(order_model, o, "state"))
        }
        ("stock.picking", "picking_type_code") => db
            .get_i64(model, id, "picking_type_id")
            .map_or(Value::Bool(false), |t| db.get("stock.picking.type", t, "code")),
        ("res.partner", "commercial_partner_id") => {
            let mut current = id;
            while !db.get("res.partner", current, "is_company").as_bool().unwrap_or(false) {
                match db.get_i64("res.partner", current, "parent_id") {
                    Some(parent) => current = parent,
                    None => break,
                }
            }
            json!(current)
        }
        ("ir.model.data", "complete_name") => {
            json!(format!("{}.{}", db.get_str(model, id, "module"), db.get_str(model, id, "name")))
        }
        _ => return None,
    })
}

/// Fills what Odoo computes when orders and lines are created.
pub(crate) fn after_create(db: &mut Database, model: &str, id: i64) {
    let stamp = now();
    match model {
        "sale.order" | "purchase.order" => {
            let prefix = if model == "sale.order" { "S" } else { "P" };
            if db.get_str(model, id, "name").is_empty() {
                db.set(model, id, "name", json!(format!("{prefix}{id:05}")));
            }
            if db.get_str(model, id, "date_order").is_empty() {
                db.set(model, id, "date_order", json!(stamp));
            }
            if model == "sale.order" {
                let partner = db.get_i64(model, id, "partner_id").unwrap_or_default();
                for address in ["partner_invoice_id", "partner_shipping_id"] {
                    if db.get_i64(model, id, address).is_none() {
                        db.set(model, id, address, json!(partner));
                    }
                }
                if db.get_i64(model, id, "pricelist_id").is_none() {
                    let pricelist = db.get_i64("res.partner", partner, "property_product_pricelist").unwrap_or(1);
                    db.set(model, id, "pricelist_id", json!(pricelist));
                }
            }
        }
        "sale.order.line" | "purchase.order.line" => {
            let product = db.get_i64(model, id, "product_id").unwrap_or_default();
            if db.get_str(model, id, "name").is_empty() {
                let env = Env { uid: 1, context: Map::new() };
                db.set(model, id, "name", json!(db.display_name("product.product", product, &env)));
            }
            if db.get_i64(model, id, "product_uom").is_none() {
                db.set(model, id, "product_uom", db.get("product.product", product, "uom_id"));
            }
            let (tax_field, product_taxes) =
                if model == "sale.order.line" { ("tax_id", "taxes_id") } else { ("taxes_id", "supplier_taxes_id") };
            if db.row(model, id).is_some_and(|r| !r.contains_key(tax_field)) {
                db.set(model, id, tax_field, db.get("product.product", product, product_taxes));
            }
            if db.row(model, id).is_some_and(|r| !r.contains_key("price_unit")) {
                let price = if model == "sale.order.line" {
                    let order = db.get_i64(model, id, "order_id").unwrap_or_default();
                    list_price(db, db.get_i64("sale.order", order, "pricelist_id"), product)
                } else {
                    db.get_f64("product.product", product, "standard_price")
                };
                db.set(model, id, "price_unit", json!(price));
            }
            if model == "purchase.order.line" && db.row(model, id).is_some_and(|r| !r.contains_key("date_planned")) {
                let in_three_days = time::OffsetDateTime::now_utc() + time::Duration::days(3);
                let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
                db.set(model, id, "date_planned", json!(in_three_days.format(&format).unwrap_or_default()));
            }
            sync_line_moves(db, model, id);
        }
        _ => {}
    }
}

/// The price of a product under a price list: a percentage or fixed rule, else the list price.
fn list_price(db: &Database, pricelist: Option<i64>, product: i64) -> f64 {
    let base = db.get_f64("product.product", product, "list_price");
    let Some(pricelist) = pricelist else { return base };
    let rule = db.ids_where("product.pricelist.item", "pricelist_id", pricelist).into_iter().find(|item| {
        match db.get_str("product.pricelist.item", *item, "applied_on").as_str() {
            "0_product_variant" => db.get_i64("product.pricelist.item", *item, "product_id") == Some(product),
            "3_global" => true,
            _ => false,
        }
    });
    match rule.map(|r| (db.get_str("product.pricelist.item", r, "compute_price"), r)) {
        Some((kind, r)) if kind == "percentage" => {
            round2(base * (1.0 - db.get_f64("product.pricelist.item", r, "percent_price") / 100.0))
        }
        Some((kind, r)) if kind == "fixed" => db.get_f64("product.pricelist.item", r, "fixed_price"),
        _ => base,
    }
}

pub(crate) fn before_write(db: &Database, model: &str, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
    if model == "sale.order"
        && vals.contains_key("pricelist_id")
        && ids.iter().any(|o| db.get_str(model, *o, "state") == "sale")
    {
        return Err(SimError::user("You cannot change the pricelist of a confirmed order !"));
    }
    Ok(())
}

pub(crate) fn after_write(db: &mut Database, model: &str, ids: &[i64], vals: &Map<String, Value>) {
    if model == "stock.quant" {
        crate::inventory::after_write(db, ids, vals);
    }
    let touches_demand = ["product_uom_qty", "product_qty", "date_planned"].iter().any(|f| vals.contains_key(*f));
    if matches!(model, "sale.order.line" | "purchase.order.line") && touches_demand {
        for id in ids {
            sync_line_moves(db, model, *id);
        }
    }
}

pub(crate) fn before_unlink(db: &Database, model: &str, ids: &[i64]) -> SimResult<()> {
    for id in ids {
        let state = db.get_str(model, *id, "state");
        match model {
            "sale.order" if !matches!(state.as_str(), "draft" | "cancel") => {
                return Err(SimError::user(
                    "You can not delete a sent quotation or a confirmed sales order. You must first cancel it.",
                ));
            }
            "purchase.order" if state != "cancel" => {
                return Err(SimError::user("In order to delete a purchase order, you must cancel it first."));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Unlinking an order takes its lines with it (`ondelete='cascade'`).
pub(crate) fn cascade_unlink(db: &mut Database, model: &str, ids: &[i64]) {
    let line_model = match model {
        "sale.order" => "sale.order.line",
        "purchase.order" => "purchase.order.line",
        _ => return,
    };
    for id in ids {
        for line in db.ids_where(line_model, "order_id", *id) {
            if let Some(table) = db.tables.get_mut(line_model) {
                table.rows.remove(&line);
            }
        }
    }
}

// ---- confirmation and cancellation --------------------------------------------------------------

pub(crate) fn action_confirm(db: &mut Database, ids: &[i64]) -> SimResult<Value> {
    for id in ids {
        if !matches!(db.get_str("sale.order", *id, "state").as_str(), "draft" | "sent") {
            return Err(SimError::user("Some orders are not in a state requiring confirmation."));
        }
        if db
            .ids_where("sale.order.line", "order_id", *id)
            .iter()
            .any(|l| db.get_i64("sale.order.line", *l, "product_id").is_none())
        {
            return Err(SimError::user("A line on these orders missing a product, you cannot confirm it."));
        }
    }
    for id in ids {
        db.set("sale.order", *id, "state", json!("sale"));
        db.set("sale.order", *id, "date_order", json!(now()));
        for line in db.ids_where("sale.order.line", "order_id", *id) {
            sync_line_moves(db, "sale.order.line", line);
        }
    }
    Ok(json!(true))
}

pub(crate) fn action_cancel(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<Value> {
    if ids.iter().any(|o| db.get("sale.order", *o, "locked").as_bool().unwrap_or(false)) {
        return Err(SimError::user("You cannot cancel a locked order. Please unlock it first."));
    }
    let skip_wizard = env.context.get("disable_cancel_warning").and_then(Value::as_bool).unwrap_or(false);
    if !skip_wizard && ids.iter().any(|o| db.get_str("sale.order", *o, "state") != "draft") {
        // Odoo opens the cancellation wizard instead of cancelling a sent or confirmed order.
        return Ok(json!({
            "name": "Cancel Sales Order",
            "view_mode": "form",
            "res_model": "sale.order.cancel",
            "type": "ir.actions.act_window",
            "context": {"default_order_id": ids.first(), "mark_so_as_canceled": true},
            "target": "new",
        }));
    }
    for id in ids {
        for picking in db.ids_where("stock.picking", "sale_id", *id) {
            cancel_picking(db, picking);
        }
        db.set("sale.order", *id, "state", json!("cancel"));
    }
    Ok(json!(true))
}

pub(crate) fn action_draft(db: &mut Database, ids: &[i64]) -> SimResult<Value> {
    for id in ids {
        if matches!(db.get_str("sale.order", *id, "state").as_str(), "cancel" | "sent") {
            db.set("sale.order", *id, "state", json!("draft"));
        }
    }
    Ok(json!(true))
}

pub(crate) fn button_confirm(db: &mut Database, ids: &[i64]) -> SimResult<Value> {
    for id in ids {
        // A confirmed order is silently left as it is (recorded: `true`, no error).
        if !matches!(db.get_str("purchase.order", *id, "state").as_str(), "draft" | "sent") {
            continue;
        }
        let undated = db
            .ids_where("purchase.order.line", "order_id", *id)
            .into_iter()
            .any(|l| db.get_str("purchase.order.line", l, "date_planned").is_empty());
        if undated {
            // The receipt's moves need a date: Odoo's NOT NULL constraint refuses them.
            return Err(SimError::validation(
                "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: Stock Move (stock.move)\nField: Date Scheduled (date)\n",
            ));
        }
        db.set("purchase.order", *id, "state", json!("purchase"));
        db.set("purchase.order", *id, "date_approve", json!(now()));
        for line in db.ids_where("purchase.order.line", "order_id", *id) {
            sync_line_moves(db, "purchase.order.line", line);
        }
    }
    Ok(json!(true))
}

pub(crate) fn button_cancel(db: &mut Database, ids: &[i64]) -> SimResult<Value> {
    for id in ids {
        let pickings = db.ids_where("stock.picking", "purchase_id", *id);
        if pickings.iter().any(|p| db.get_str("stock.picking", *p, "state") == "done") {
            let name = db.get_str("purchase.order", *id, "name");
            return Err(SimError::user(format!(
                "Unable to cancel purchase order {name} as some receptions have already been done."
            )));
        }
    }
    for id in ids {
        for picking in db.ids_where("stock.picking", "purchase_id", *id) {
            cancel_picking(db, picking);
        }
        db.set("purchase.order", *id, "state", json!("cancel"));
        db.set("purchase.order", *id, "mail_reminder_confirmed", json!(false));
    }
    Ok(json!(true))
}

/// `message_post(body=...)`: a note in the record's chatter; returns the message id.
pub(crate) fn message_post(
    db: &mut Database,
    env: &Env,
    model: &'static str,
    ids: &[i64],
    params: &Map<String, Value>,
) -> SimResult<Value> {
    let [id] = ids else { return Err(SimError::value(format!("Expected singleton: {model}({ids:?})"))) };
    let author = db.get_i64("res.users", env.uid, "partner_id").map_or(json!(false), |p| json!(p));
    let body = params.get("body").cloned().unwrap_or(json!(""));
    let message_type = params.get("message_type").cloned().unwrap_or(json!("notification"));
    let message = db.insert(
        "mail.message",
        row(&[
            ("model", json!(model)),
            ("res_id", json!(id)),
            ("body", body),
            ("message_type", message_type),
            ("author_id", author),
        ]),
    );
    Ok(json!(message))
}

fn cancel_picking(db: &mut Database, picking: i64) {
    if db.get_str("stock.picking", picking, "state") == "done" {
        return;
    }
    for mv in db.ids_where("stock.move", "picking_id", picking) {
        if db.get_str("stock.move", mv, "state") != "done" {
            unreserve(db, mv);
            db.set("stock.move", mv, "state", json!("cancel"));
        }
    }
    db.set("stock.picking", picking, "state", json!("cancel"));
}

// ---- transfers ----------------------------------------------------------------------------------

/// Makes a confirmed order line's transfer match it: creates the move (and the transfer) the first
/// time, and follows later changes of quantity or date on the open move, as Odoo's procurement does.
fn sync_line_moves(db: &mut Database, model: &str, line: i64) {
    let sale = model == "sale.order.line";
    let order_model = if sale { "sale.order" } else { "purchase.order" };
    let Some(order) = db.get_i64(model, line, "order_id") else { return };
    let confirmed = if sale {
        db.get_str(order_model, order, "state") == "sale"
    } else {
        matches!(db.get_str(order_model, order, "state").as_str(), "purchase" | "done")
    };
    let product = db.get_i64(model, line, "product_id").unwrap_or_default();
    if !confirmed || db.get_str("product.product", product, "type") != "consu" {
        return;
    }
    let link = if sale { "sale_line_id" } else { "purchase_line_id" };
    let ordered = db.get_f64(model, line, if sale { "product_uom_qty" } else { "product_qty" });
    let done = done_quantity(db, link, line);
    let open: Vec<i64> = db
        .ids_where("stock.move", link, line)
        .into_iter()
        .filter(|m| OPEN_MOVE_STATES.contains(&db.get_str("stock.move", *m, "state").as_str()))
        .collect();
    let demand = (ordered - done).max(0.0);
    if let Some(mv) = open.first().copied() {
        unreserve(db, mv);
        db.set("stock.move", mv, "product_uom_qty", json!(demand));
        if !sale {
            db.set("stock.move", mv, "date", db.get(model, line, "date_planned"));
        }
        reserve(db, mv);
        if let Some(picking) = db.get_i64("stock.move", mv, "picking_id") {
            refresh_picking_state(db, picking);
        }
        return;
    }
    if demand <= 0.0 {
        return;
    }
    let picking = open_picking(db, order_model, order);
    let (src, dst) =
        (db.get("stock.picking", picking, "location_id"), db.get("stock.picking", picking, "location_dest_id"));
    let date =
        if sale { db.get("stock.picking", picking, "scheduled_date") } else { db.get(model, line, "date_planned") };
    let mv = db.insert(
        "stock.move",
        row(&[
            ("reference", db.get("stock.picking", picking, "name")),
            ("name", db.get(model, line, "name")),
            ("product_id", json!(product)),
            ("product_uom_qty", json!(demand)),
            ("quantity", json!(0.0)),
            ("product_uom", db.get(model, line, "product_uom")),
            ("picked", json!(false)),
            ("state", json!("confirmed")),
            ("location_id", src),
            ("location_dest_id", dst),
            ("picking_id", json!(picking)),
            ("picking_type_id", db.get("stock.picking", picking, "picking_type_id")),
            ("partner_id", db.get("stock.picking", picking, "partner_id")),
            (link, json!(line)),
            ("date", date),
            ("company_id", json!(1)),
            ("sequence", json!(10)),
        ]),
    );
    reserve(db, mv);
    refresh_picking_state(db, picking);
}

/// The order's open transfer, created on first need: a delivery from the order's warehouse, or a
/// receipt into the purchase order's operation type.
fn open_picking(db: &mut Database, order_model: &str, order: i64) -> i64 {
    let link = if order_model == "sale.order" { "sale_id" } else { "purchase_id" };
    if let Some(existing) = db
        .ids_where("stock.picking", link, order)
        .into_iter()
        .find(|p| !matches!(db.get_str("stock.picking", *p, "state").as_str(), "done" | "cancel"))
    {
        return existing;
    }
    let location_of_usage = |db: &Database, usage: &str| {
        db.table("stock.location").rows.keys().copied().find(|l| db.get_str("stock.location", *l, "usage") == usage)
    };
    let (picking_type, src, dst, partner, origin, scheduled) = if order_model == "sale.order" {
        let warehouse = db.get_i64(order_model, order, "warehouse_id").unwrap_or(1);
        let reference = db.get_str(order_model, order, "client_order_ref");
        let name = db.get_str(order_model, order, "name");
        let commitment = db.get_str(order_model, order, "commitment_date");
        (
            db.get_i64("stock.warehouse", warehouse, "out_type_id").unwrap_or(2),
            db.get("stock.warehouse", warehouse, "lot_stock_id"),
            location_of_usage(db, "customer").map_or(json!(false), |l| json!(l)),
            db.get(order_model, order, "partner_shipping_id"),
            if reference.is_empty() { name } else { format!("{name} - {reference}") },
            if commitment.is_empty() { now() } else { commitment },
        )
    } else {
        let picking_type = db.get_i64(order_model, order, "picking_type_id").unwrap_or(1);
        let planned = computed(db, order_model, order, "date_planned").and_then(|v| v.as_str().map(str::to_owned));
        (
            picking_type,
            location_of_usage(db, "supplier").map_or(json!(false), |l| json!(l)),
            db.get("stock.picking.type", picking_type, "default_location_dest_id"),
            db.get(order_model, order, "partner_id"),
            db.get_str(order_model, order, "name"),
            planned.unwrap_or_else(now),
        )
    };
    let warehouse = db.get_i64("stock.picking.type", picking_type, "warehouse_id").unwrap_or(1);
    let prefix = format!(
        "{}/{}/",
        db.get_str("stock.warehouse", warehouse, "code"),
        db.get_str("stock.picking.type", picking_type, "sequence_code")
    );
    let sequence = db.ids_where("stock.picking", "picking_type_id", picking_type).len() + 1;
    db.insert(
        "stock.picking",
        row(&[
            ("name", json!(format!("{prefix}{sequence:05}"))),
            ("state", json!("confirmed")),
            ("picking_type_id", json!(picking_type)),
            ("partner_id", partner),
            ("origin", json!(origin)),
            ("location_id", src),
            ("location_dest_id", dst),
            ("scheduled_date", json!(scheduled.clone())),
            ("date_deadline", json!(scheduled)),
            ("priority", json!("0")),
            (link, json!(order)),
            ("company_id", json!(1)),
        ]),
    )
}

/// Reserves what the source location can give (supplier locations always can), as Odoo does at
/// confirmation with the default "at confirmation" reservation method.
fn reserve(db: &mut Database, mv: i64) {
    let demand = db.get_f64("stock.move", mv, "product_uom_qty");
    let src = db.get_i64("stock.move", mv, "location_id").unwrap_or_default();
    let product = db.get_i64("stock.move", mv, "product_id").unwrap_or_default();
    let storable = db.get("product.product", product, "is_storable").as_bool().unwrap_or(false);
    let from_stock = db.get_str("stock.location", src, "usage") == "internal";
    let mut reserved = 0.0;
    if from_stock && storable {
        let scope = db.descendants("stock.location", &[src]);
        let quants: Vec<i64> = db
            .ids_where("stock.quant", "product_id", product)
            .into_iter()
            .filter(|q| db.get_i64("stock.quant", *q, "location_id").is_some_and(|l| scope.contains(&l)))
            .collect();
        for quant in quants {
            let free =
                db.get_f64("stock.quant", quant, "quantity") - db.get_f64("stock.quant", quant, "reserved_quantity");
            let take = free.min(demand - reserved);
            if take <= 0.0 {
                continue;
            }
            db.set(
                "stock.quant",
                quant,
                "reserved_quantity",
                json!(db.get_f64("stock.quant", quant, "reserved_quantity") + take),
            );
            let location = db.get("stock.quant", quant, "location_id");
            db.insert(
                "stock.move.line",
                row(&[
                    ("move_id", json!(mv)),
                    ("picking_id", db.get("stock.move", mv, "picking_id")),
                    ("product_id", json!(product)),
                    ("location_id", location),
                    ("location_dest_id", db.get("stock.move", mv, "location_dest_id")),
                    ("quantity", json!(take)),
                ]),
            );
            reserved += take;
        }
    } else {
        reserved = demand;
        db.insert(
            "stock.move.line",
            row(&[
                ("move_id", json!(mv)),
                ("picking_id", db.get("stock.move", mv, "picking_id")),
                ("product_id", json!(product)),
                ("location_id", json!(src)),
                ("location_dest_id", db.get("stock.move", mv, "location_dest_id")),
                ("quantity", json!(demand)),
            ]),
        );
    }
    let state = if reserved >= demand && demand > 0.0 {
        "assigned"
    } else if reserved > 0.0 {
        "partially_available"
    } else {
        "confirmed"
    };
    db.set("stock.move", mv, "quantity", json!(reserved));
    db.set("stock.move", mv, "state", json!(state));
}

/// Releases a move's reservation from the quants it holds.
fn unreserve(db: &mut Database, mv: i64) {
    for move_line in db.ids_where("stock.move.line", "move_id", mv) {
        let qty = db.get_f64("stock.move.line", move_line, "quantity");
        let location = db.get_i64("stock.move.line", move_line, "location_id");
        let product = db.get_i64("stock.move.line", move_line, "product_id").unwrap_or_default();
        if let Some(quant) = db
            .ids_where("stock.quant", "product_id", product)
            .into_iter()
            .find(|q| db.get_i64("stock.quant", *q, "location_id") == location)
        {
            let held = db.get_f64("stock.quant", quant, "reserved_quantity");
            db.set("stock.quant", quant, "reserved_quantity", json!((held - qty).max(0.0)));
        }
        if let Some(table) = db.tables.get_mut("stock.move.line") {
            table.rows.remove(&move_line);
        }
    }
    db.set("stock.move", mv, "quantity", json!(0.0));
}

fn refresh_picking_state(db: &mut Database, picking: i64) {
    let states: Vec<String> = db
        .ids_where("stock.move", "picking_id", picking)
        .into_iter()
        .map(|m| db.get_str("stock.move", m, "state"))
        .filter(|s| s != "cancel")
        .collect();
    let state = if states.is_empty() {
        "cancel"
    } else if states.iter().all(|s| s == "done") {
        "done"
    } else if states.iter().all(|s| s == "assigned" || s == "done") {
        "assigned"
    } else {
        "confirmed"
    };
    db.set("stock.picking", picking, "state", json!(state));
}

// ---- validation ---------------------------------------------------------------------------------

/// `stock.picking.button_validate`: moves what was picked. With nothing picked, every reserved
/// quantity counts as picked (as Odoo 18 does); with nothing reserved either, a UserError. A
/// partial pick returns the backorder wizard's action and validates nothing, unless the context
/// says `skip_backorder` (the rest goes to a backorder, or is dropped for the pickings listed in
/// `picking_ids_not_to_backorder`).
pub(crate) fn button_validate(db: &mut Database, env: &Env, ids: &[i64]) -> SimResult<Value> {
    let skip_backorder = env.context.get("skip_backorder").and_then(Value::as_bool).unwrap_or(false);
    let no_backorder = ids_in(env.context.get("picking_ids_not_to_backorder"));
    let open_moves = |db: &Database, picking: i64| -> Vec<i64> {
        db.ids_where("stock.move", "picking_id", picking)
            .into_iter()
            .filter(|m| !matches!(db.get_str("stock.move", *m, "state").as_str(), "done" | "cancel"))
            .collect()
    };
    let mut partial = Vec::new();
    for picking in ids {
        let moves = open_moves(db, *picking);
        if moves.iter().all(|m| db.get_f64("stock.move", *m, "quantity") <= 0.0) {
            return Err(SimError::user(
                "You cannot validate a transfer if no quantities are reserved. To force the transfer, encode quantities.",
            ));
        }
        if !moves.iter().any(|m| db.get("stock.move", *m, "picked").as_bool().unwrap_or(false)) {
            for mv in &moves {
                if db.get_f64("stock.move", *mv, "quantity") > 0.0 {
                    db.set("stock.move", *mv, "picked", json!(true));
                }
            }
        }
        if moves.iter().any(|m| picked_quantity(db, *m) < db.get_f64("stock.move", *m, "product_uom_qty")) {
            partial.push(*picking);
        }
    }
    if !partial.is_empty() && !skip_backorder {
        return Ok(json!({
            "name": "Create Backorder?",
            "type": "ir.actions.act_window",
            "view_mode": "form",
            "res_model": "stock.backorder.confirmation",
            "views": [[898, "form"]],
            "view_id": 898,
            "target": "new",
            "context": {
                "button_validate_picking_ids": ids,
                "default_show_transfers": false,
                "default_pick_ids": ids.iter().map(|id| json!([4, id])).collect::<Vec<_>>(),
            },
        }));
    }
    for picking in ids {
        let order = db.get_i64("stock.picking", *picking, "sale_id");
        let status_before = order.and_then(|o| computed(db, "sale.order", o, "delivery_status"));
        for mv in open_moves(db, *picking) {
            let done = picked_quantity(db, mv);
            let rest = db.get_f64("stock.move", mv, "product_uom_qty") - done;
            if done <= 0.0 {
                unreserve(db, mv);
                db.set("stock.move", mv, "state", json!("cancel"));
                continue;
            }
            move_stock(db, mv, done);
            db.set("stock.move", mv, "product_uom_qty", json!(done));
            db.set("stock.move", mv, "quantity", json!(done));
            db.set("stock.move", mv, "state", json!("done"));
            if rest > 0.0 && !no_backorder.contains(picking) {
                backorder_move(db, *picking, mv, rest);
            }
        }
        db.set("stock.picking", *picking, "date_done", json!(now()));
        refresh_picking_state(db, *picking);
        // Odoo stores the order's delivery status; recomputing it stamps the order's write_date.
        if let Some(order) = order
            && computed(db, "sale.order", order, "delivery_status") != status_before
        {
            db.touch("sale.order", order);
        }
    }
    Ok(json!(true))
}

fn ids_in(value: Option<&Value>) -> Vec<i64> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_i64).collect(),
        Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
        _ => Vec::new(),
    }
}

/// What was picked on a move: its quantity once it is marked picked.
fn picked_quantity(db: &Database, mv: i64) -> f64 {
    if db.get("stock.move", mv, "picked").as_bool().unwrap_or(false) {
        db.get_f64("stock.move", mv, "quantity")
    } else {
        0.0
    }
}

/// Takes `qty` out of the reserved source quants and puts it into the destination's quant, when
/// either side is an internal location; quants that empty are deleted, as Odoo does.
fn move_stock(db: &mut Database, mv: i64, qty: f64) {
    let product = db.get_i64("stock.move", mv, "product_id").unwrap_or_default();
    let mut left = qty;
    for move_line in db.ids_where("stock.move.line", "move_id", mv) {
        let taken = db.get_f64("stock.move.line", move_line, "quantity").min(left);
        let location = db.get_i64("stock.move.line", move_line, "location_id").unwrap_or_default();
        if db.get_str("stock.location", location, "usage") == "internal" {
            adjust_quant(db, product, location, -taken, -db.get_f64("stock.move.line", move_line, "quantity"));
        }
        left -= taken;
        if let Some(table) = db.tables.get_mut("stock.move.line") {
            table.rows.remove(&move_line);
        }
    }
    let destination = db.get_i64("stock.move", mv, "location_dest_id").unwrap_or_default();
    if db.get_str("stock.location", destination, "usage") == "internal" {
        adjust_quant(db, product, destination, qty, 0.0);
    }
}

fn adjust_quant(db: &mut Database, product: i64, location: i64, quantity: f64, reserved: f64) {
    let quant = crate::inventory::quant_at(db, product, location);
    let new_quantity = db.get_f64("stock.quant", quant, "quantity") + quantity;
    let new_reserved = (db.get_f64("stock.quant", quant, "reserved_quantity") + reserved).max(0.0);
    if new_quantity.abs() < 1e-9 && new_reserved.abs() < 1e-9 {
        if let Some(table) = db.tables.get_mut("stock.quant") {
            table.rows.remove(&quant);
        }
        return;
    }
    db.set("stock.quant", quant, "quantity", json!(new_quantity));
    db.set("stock.quant", quant, "reserved_quantity", json!(new_reserved));
}

/// Puts the rest of a partly done move on the picking's backorder, created on first need.
fn backorder_move(db: &mut Database, picking: i64, mv: i64, rest: f64) {
    let existing = db.ids_where("stock.picking", "backorder_id", picking).into_iter().next();
    let backorder = existing.unwrap_or_else(|| {
        let mut copy = db.row("stock.picking", picking).cloned().unwrap_or_default();
        let name = format!("{}-BO", db.get_str("stock.picking", picking, "name"));
        copy.insert("name".into(), json!(name));
        copy.insert("backorder_id".into(), json!(picking));
        copy.insert("state".into(), json!("confirmed"));
        copy.insert("date_done".into(), json!(false));
        copy.remove("create_date");
        copy.remove("write_date");
        db.insert("stock.picking", copy)
    });
    let mut copy = db.row("stock.move", mv).cloned().unwrap_or_default();
    copy.insert("product_uom_qty".into(), json!(rest));
    copy.insert("quantity".into(), json!(0.0));
    copy.insert("picked".into(), json!(false));
    copy.insert("state".into(), json!("confirmed"));
    copy.insert("picking_id".into(), json!(backorder));
    copy.remove("create_date");
    copy.remove("write_date");
    let new_move = db.insert("stock.move", copy);
    reserve(db, new_move);
    refresh_picking_state(db, backorder);
}
