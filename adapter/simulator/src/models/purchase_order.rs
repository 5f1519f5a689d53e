//! Purchase orders and their lines (module `purchase`, extended by `purchase_stock`): amounts and
//! statuses computed from lines and receipts, confirmation creating the receipt, cancellation.
//! Odoo 19 renamed the line's unit and taxes (`product_uom_id`, `tax_ids`), dropped the `done`
//! state (locking is the `locked` boolean) and the reminder flag, and added `acknowledged`.

use serde_json::{Map, Value, json};

use super::{
    account, ids, mail,
    procurement::{self, Flow},
    round2,
    sale_order::{
        complete_line, complete_order, invoice_status, line_fields, order_currency, picking_status, remove_lines,
    },
    stock_picking, uom,
};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        methods::{Outcome, sig},
        now,
        registry::{Args, Info, Method, Model},
    },
};

const STATE_18: &[(&str, &str)] = &[
    ("draft", "RFQ"),
    ("sent", "RFQ Sent"),
    ("to approve", "To Approve"),
    ("purchase", "Purchase Order"),
    ("done", "Locked"),
    ("cancel", "Cancelled"),
];
const STATE_19: &[(&str, &str)] = &[
    ("draft", "RFQ"),
    ("sent", "RFQ Sent"),
    ("to approve", "To Approve"),
    ("purchase", "Purchase Order"),
    ("cancel", "Cancelled"),
];
const PRIORITY: &[(&str, &str)] = &[("0", "Normal"), ("1", "Urgent")];
const RECEIPT_STATUS: &[(&str, &str)] =
    &[("pending", "Not Received"), ("partial", "Partially Received"), ("full", "Fully Received")];
const INVOICE_STATUS: &[(&str, &str)] =
    &[("no", "Nothing to Bill"), ("to invoice", "Waiting Bills"), ("invoiced", "Fully Billed")];
const RECEIVED_METHOD: &[(&str, &str)] = &[("manual", "Manual"), ("stock_moves", "Stock Moves")];

fn states(version: OdooVersion) -> &'static [(&'static str, &'static str)] {
    match version {
        OdooVersion::V18 => STATE_18,
        OdooVersion::V19 => STATE_19,
    }
}

pub(crate) struct PurchaseOrder;

impl Model for PurchaseOrder {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("purchase.order", "Purchase Order", "purchase", "priority desc, id desc")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Order Reference")
            .stored("partner_id", Many2one("res.partner"), "Vendor")
            .required("partner_id")
            .stored("partner_ref", Char, "Vendor Reference")
            .stored("origin", Char, "Source Document")
            .stored("state", selection(states(version)), "Status")
            .default("state", json!("draft"))
            .stored("priority", selection(PRIORITY), "Priority")
            .default("priority", json!("0"))
            .stored("date_order", Datetime, "Order Deadline")
            .stored("date_approve", Datetime, "Confirmation Date")
            .stored_computed("date_planned", Datetime, "Expected Arrival")
            .stored("order_line", One2many("purchase.order.line", "order_id"), "Order Lines")
            .stored_computed("currency_id", Many2one("res.currency"), "Currency")
            .stored_computed("amount_untaxed", Monetary, "Untaxed Amount")
            .stored_computed("amount_tax", Monetary, "Taxes")
            .stored_computed("amount_total", Monetary, "Total")
            .stored_computed("invoice_status", selection(INVOICE_STATUS), "Billing Status")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(1));
        match version {
            OdooVersion::V18 => {
                f.stored("mail_reminder_confirmed", Boolean, "Reminder Confirmed").stored(
                    "notes",
                    Html,
                    "Terms and Conditions",
                );
            }
            OdooVersion::V19 => {
                f.stored("note", Html, "Terms and Conditions")
                    .stored("acknowledged", Boolean, "Acknowledged")
                    .default("acknowledged", json!(false))
                    .stored("locked", Boolean, "Locked")
                    .default("locked", json!(false));
            }
        }
        f.addon("purchase_stock")
            .stored("picking_type_id", Many2one("stock.picking.type"), "Deliver To")
            .default("picking_type_id", json!(1))
            .stored_computed("picking_ids", Many2many("stock.picking"), "Receptions")
            .computed("incoming_picking_count", Integer, "Incoming Shipment count")
            .stored_computed("receipt_status", selection(RECEIPT_STATUS), "Receipt Status");
        mail::thread_fields(f);
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let lines = db.ids_where("purchase.order.line", "order_id", id);
        let sum =
            |pick: fn((f64, f64)) -> f64| json!(round2(lines.iter().map(|l| pick(line_amounts(db, *l))).sum::<f64>()));
        let pickings = || db.ids_where("stock.picking", "purchase_id", id);
        Some(match field {
            "currency_id" => json!(order_currency(db, "purchase.order", id)),
            "amount_untaxed" => sum(|(s, _)| s),
            "amount_tax" => sum(|(_, t)| t),
            "amount_total" => sum(|(s, t)| s + t),
            "date_planned" => date_planned(db, id).map_or(Value::Bool(false), Value::from),
            "picking_ids" => {
                let mut pickings = pickings();
                pickings.reverse();
                json!(pickings)
            }
            "incoming_picking_count" => json!(pickings().len()),
            "receipt_status" => picking_status(db, &pickings()),
            "invoice_status" => {
                let confirmed = matches!(db.get_str("purchase.order", id, "state").as_str(), "purchase" | "done");
                invoice_status(
                    &lines,
                    confirmed,
                    |l| qty_to_invoice(db, l),
                    |l| db.get_f64("purchase.order.line", l, "qty_invoiced"),
                )
            }
            _ => return mail::compute_thread(db, "purchase.order", id, field),
        })
    }

    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        complete_order(db, "purchase.order", "P", id);
        Ok(())
    }

    fn before_unlink(&self, db: &Database, _env: &Env, ids: &[i64]) -> SimResult<()> {
        if ids.iter().any(|o| db.get_str("purchase.order", *o, "state") != "cancel") {
            return Err(SimError::user("In order to delete a purchase order, you must cancel it first."));
        }
        Ok(())
    }

    fn on_unlink(&self, db: &mut Database, ids: &[i64]) {
        remove_lines(db, "purchase.order.line", ids);
    }

    fn methods(&self, db: &Database) -> Vec<Method> {
        let on_records =
            |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        let mut methods = vec![
            on_records("button_confirm", button_confirm as fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>),
            on_records("button_cancel", button_cancel),
        ];
        if db.version == OdooVersion::V19 {
            methods.push(on_records("action_acknowledge", action_acknowledge));
        }
        methods.extend(mail::message_post(db));
        methods
    }
}

/// The earliest expected arrival of the order's lines.
pub(crate) fn date_planned(db: &Database, order: i64) -> Option<String> {
    db.ids_where("purchase.order.line", "order_id", order)
        .iter()
        .map(|l| db.get_str("purchase.order.line", *l, "date_planned"))
        .filter(|d| !d.is_empty())
        .min()
}

fn line_amounts(db: &Database, line: i64) -> (f64, f64) {
    let line_model = "purchase.order.line";
    let subtotal = round2(db.get_f64(line_model, line, "product_qty") * db.get_f64(line_model, line, "price_unit"));
    let tax =
        round2(subtotal * account::tax_rate(db, &ids(&db.get(line_model, line, Flow::Purchase.tax_field(db.version)))));
    (subtotal, tax)
}

/// Bills follow received quantities (the default control policy).
fn qty_to_invoice(db: &Database, line: i64) -> f64 {
    procurement::done_quantity(db, Flow::Purchase, line) - db.get_f64("purchase.order.line", line, "qty_invoiced")
}

/// `button_confirm`: the order becomes a purchase order (18 and 19 alike, unless the company locks
/// confirmed orders) and its receipt is created; a confirmed order is left as it is silently.
fn button_confirm(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    for id in args.ids {
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
            procurement::sync_line_moves(db, Flow::Purchase, line)?;
        }
    }
    Ok(Outcome::Value(json!(true)))
}

fn button_cancel(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    for id in args.ids {
        let pickings = db.ids_where("stock.picking", "purchase_id", *id);
        if pickings.iter().any(|p| db.get_str("stock.picking", *p, "state") == "done") {
            let name = db.get_str("purchase.order", *id, "name");
            return Err(SimError::user(format!(
                "Unable to cancel purchase order {name} as some receptions have already been done."
            )));
        }
    }
    for id in args.ids {
        for picking in db.ids_where("stock.picking", "purchase_id", *id) {
            stock_picking::cancel(db, picking);
        }
        db.set("purchase.order", *id, "state", json!("cancel"));
        db.set("purchase.order", *id, "mail_reminder_confirmed", json!(false));
    }
    Ok(Outcome::Value(json!(true)))
}

/// Odoo 19's `action_acknowledge`: the vendor acknowledged the order.
fn action_acknowledge(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    for id in args.ids {
        db.set("purchase.order", *id, "acknowledged", json!(true));
    }
    Ok(Outcome::Value(json!(true)))
}

pub(crate) struct PurchaseOrderLine;

impl Model for PurchaseOrderLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("purchase.order.line", "Purchase Order Line", "purchase", "order_id, sequence, id")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        line_fields(f, "purchase.order")
            .stored("product_qty", Float, "Quantity")
            .default("product_qty", json!(1.0))
            .stored_computed("product_uom_qty", Float, "Total Quantity")
            .stored(procurement::uom_field(version), Many2one("uom.uom"), "Unit")
            .stored("price_unit", Float, "Unit Price")
            .digits("product_qty", super::PRODUCT_UNIT_DIGITS)
            .digits("price_unit", super::PRODUCT_PRICE_DIGITS)
            .stored(Flow::Purchase.tax_field(version), Many2many("account.tax"), "Taxes")
            .stored("date_planned", Datetime, "Expected Arrival")
            .stored_computed("price_subtotal", Monetary, "Subtotal")
            .stored_computed("price_total", Monetary, "Total")
            .stored_computed("qty_received_method", selection(RECEIVED_METHOD), "Received Qty Method")
            .stored_computed("qty_received", Float, "Received Qty")
            .stored("qty_invoiced", Float, "Billed Qty")
            .stored_computed("qty_to_invoice", Float, "To Invoice Quantity")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(1));
        // The line's state follows its order's; 19 no longer stores it.
        match version {
            OdooVersion::V18 => f.stored_computed("state", selection(states(version)), "Status"),
            OdooVersion::V19 => f.computed("state", selection(states(version)), "Status"),
        };
        f.addon("purchase_stock").stored("move_ids", One2many("stock.move", "purchase_line_id"), "Reservation");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let line_model = "purchase.order.line";
        Some(match field {
            "price_subtotal" => json!(line_amounts(db, id).0),
            "price_total" => {
                let (s, t) = line_amounts(db, id);
                json!(round2(s + t))
            }
            // The ordered quantity in the product's unit.
            "product_uom_qty" => {
                let qty = db.get_f64(line_model, id, "product_qty");
                let product = db.get_i64(line_model, id, "product_id").unwrap_or_default();
                let product_unit = db.get_i64("product.product", product, "uom_id").unwrap_or_default();
                let line_unit = procurement::line_unit(db, Flow::Purchase, id).unwrap_or(product_unit);
                json!(uom::convert(db, qty, line_unit, product_unit, uom::Rounding::Up).unwrap_or(qty))
            }
            "qty_received_method" => {
                let product = db.get_i64(line_model, id, "product_id").unwrap_or_default();
                let goods = db.get_str("product.product", product, "type") == "consu";
                json!(if goods && db.installed("purchase_stock") { "stock_moves" } else { "manual" })
            }
            "qty_received" => json!(procurement::done_quantity(db, Flow::Purchase, id)),
            "qty_to_invoice" => json!(qty_to_invoice(db, id)),
            "state" => db
                .get_i64(line_model, id, "order_id")
                .map_or(Value::Bool(false), |o| db.get("purchase.order", o, "state")),
            _ => return None,
        })
    }

    /// A purchase line shows its description.
    fn display_name(&self, db: &Database, _env: &Env, id: i64) -> Option<String> {
        Some(db.get_str("purchase.order.line", id, "name"))
    }

    /// A new line gets its description, unit and taxes from the product, its price from the
    /// product's cost, and an expected arrival three days out.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        let line_model = "purchase.order.line";
        complete_line(db, env, line_model, id, "supplier_taxes_id", Flow::Purchase.tax_field(db.version));
        let product = db.get_i64(line_model, id, "product_id").unwrap_or_default();
        if db.row(line_model, id).is_some_and(|r| !r.contains_key("price_unit")) {
            db.set(line_model, id, "price_unit", json!(db.get_f64("product.product", product, "standard_price")));
        }
        if db.row(line_model, id).is_some_and(|r| !r.contains_key("date_planned")) {
            let in_three_days = time::OffsetDateTime::now_utc() + time::Duration::days(3);
            let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
            db.set(line_model, id, "date_planned", json!(in_three_days.format(&format).unwrap_or_default()));
        }
        Ok(())
    }

    fn after_create(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        procurement::sync_line_moves(db, Flow::Purchase, id)
    }

    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        if vals.contains_key("product_qty") || vals.contains_key("date_planned") {
            for id in ids {
                procurement::sync_line_moves(db, Flow::Purchase, *id)?;
            }
        }
        Ok(())
    }

    fn write_parameter(&self) -> &'static str {
        "values"
    }
}
