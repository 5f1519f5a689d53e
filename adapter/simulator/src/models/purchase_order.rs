//! Purchase orders and their lines (module `purchase`, extended by `purchase_stock`): amounts and
//! statuses computed from lines and receipts, confirmation creating the receipt, cancellation.
//! Odoo 19 renamed the line's unit and taxes (`product_uom_id`, `tax_ids`), dropped the `done`
//! state (locking is the `locked` boolean) and the reminder flag, and added `acknowledged`.

use serde_json::{Map, Value, json};

use super::{
    account_move::{self, LINE, MOVE},
    currency, ids, mail,
    procurement::{self, Flow},
    sale_order::{
        complete_line, complete_order, line_fields, order_currency, order_line_amounts, picking_status, remove_lines,
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
            .stored_computed("invoice_ids", Many2many(MOVE), "Bills")
            .stored_computed("invoice_count", Integer, "Bill Count")
            .stored("payment_term_id", Many2one("account.payment.term"), "Payment Terms")
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
        let currency = order_currency(db, "purchase.order", id);
        let sum = |pick: fn((f64, f64)) -> f64| {
            json!(currency::round(db, currency, lines.iter().map(|l| pick(line_amounts(db, *l))).sum::<f64>()))
        };
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
            "invoice_status" => json!(invoice_status(db, id)),
            "invoice_ids" => json!(bills(db, id)),
            "invoice_count" => json!(bills(db, id).len()),
            _ => return mail::compute_thread(db, "purchase.order", id, field),
        })
    }

    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        complete_order(db, "purchase.order", "P", id);
        if db.row("purchase.order", id).is_some_and(|r| !r.contains_key("payment_term_id")) {
            let partner = db.get_i64("purchase.order", id, "partner_id").unwrap_or_default();
            db.set(
                "purchase.order",
                id,
                "payment_term_id",
                db.get("res.partner", partner, "property_supplier_payment_term_id"),
            );
        }
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
            on_records("action_create_invoice", action_create_invoice),
            on_records("action_view_invoice", |db, _env, args| {
                let invoices: Vec<i64> = args.ids.iter().flat_map(|o| bills(db, *o)).collect();
                Ok(Outcome::Value(action_view_invoice(db, &invoices)))
            }),
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
    let order = db.get_i64("purchase.order.line", line, "order_id").unwrap_or_default();
    order_line_amounts(db, Flow::Purchase, line, order_currency(db, "purchase.order", order))
}

/// The bill lines of a purchase line.
fn bill_lines(db: &Database, line: i64) -> Vec<i64> {
    db.ids_where(LINE, "purchase_line_id", line)
}

/// What bills (less refunds) count for the line, drafts included, cancelled ones not.
fn qty_invoiced(db: &Database, line: i64) -> f64 {
    let unit = procurement::line_unit(db, Flow::Purchase, line).unwrap_or_default();
    account_move::invoiced_quantity(db, bill_lines(db, line), unit)
}

/// On confirmed orders, what the product's control policy says is billable less what is billed:
/// ordered quantities (`purchase`), or received ones (`receive`, the default for goods).
fn qty_to_invoice(db: &Database, line: i64) -> f64 {
    let line_model = "purchase.order.line";
    let order = db.get_i64(line_model, line, "order_id").unwrap_or_default();
    if !matches!(db.get_str("purchase.order", order, "state").as_str(), "purchase" | "done") {
        return 0.0;
    }
    let product = db.get_i64(line_model, line, "product_id").unwrap_or_default();
    let billable = if db.get_str("product.product", product, "purchase_method") == "purchase" {
        db.get_f64(line_model, line, "product_qty")
    } else {
        procurement::done_quantity(db, Flow::Purchase, line)
    };
    billable - qty_invoiced(db, line)
}

/// `purchase.order._get_invoiced`: something to bill, everything billed, or nothing.
fn invoice_status(db: &Database, order: i64) -> &'static str {
    if !matches!(db.get_str("purchase.order", order, "state").as_str(), "purchase" | "done") {
        return "no";
    }
    let lines = db.ids_where("purchase.order.line", "order_id", order);
    let nothing_left = |l: &i64| super::is_zero_quantity(qty_to_invoice(db, *l));
    if !lines.iter().all(nothing_left) {
        "to invoice"
    } else if !bills(db, order).is_empty() {
        "invoiced"
    } else {
        "no"
    }
}

/// The order's bills and refunds.
fn bills(db: &Database, order: i64) -> Vec<i64> {
    let mut moves = Vec::new();
    for line in db.ids_where("purchase.order.line", "order_id", order) {
        for bill_line in bill_lines(db, line) {
            let mv = db.get_i64(LINE, bill_line, "move_id").unwrap_or_default();
            if !moves.contains(&mv) {
                moves.push(mv);
            }
        }
    }
    moves
}

/// `action_create_invoice`: a draft bill of what each order has to bill (received quantities
/// by default), one per vendor and currency; a negative total makes it a refund. Answers the
/// action opening it.
fn action_create_invoice(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let mut bills_by_key: Vec<(Value, Map<String, Value>)> = Vec::new();
    let mut sequence = 10;
    for order in args.ids {
        if invoice_status(db, *order) != "to invoice" {
            continue;
        }
        let get = |field: &str| db.get("purchase.order", *order, field);
        let reference = db.get_str("purchase.order", *order, "partner_ref");
        let mut commands = Vec::new();
        for line in db.ids_where("purchase.order.line", "order_id", *order) {
            let to_bill = qty_to_invoice(db, line);
            if super::is_zero_quantity(to_bill) {
                continue;
            }
            let product = db.get_i64("purchase.order.line", line, "product_id");
            let name = db.get_str("purchase.order.line", line, "name");
            let display_name = product.map(|p| db.display_name("product.product", p, env)).unwrap_or_default();
            let name = account_move::item_label(name, &display_name);
            commands.push(json!([0, 0, {
                "display_type": "product",
                "sequence": sequence,
                "name": name,
                "product_id": product.map_or(json!(false), |p| json!(p)),
                "product_uom_id": db.get("purchase.order.line", line, procurement::uom_field(db.version)),
                "quantity": to_bill,
                "price_unit": db.get_f64("purchase.order.line", line, "price_unit"),
                "tax_ids": [[6, 0, ids(&db.get("purchase.order.line", line, Flow::Purchase.tax_field(db.version)))]],
                "purchase_line_id": line,
            }]));
            sequence += 1;
        }
        let currency = json!(order_currency(db, "purchase.order", *order));
        let key = json!([get("company_id"), get("partner_id"), currency]);
        let values = Map::from_iter([
            ("ref".to_owned(), json!(reference)),
            ("move_type".to_owned(), json!("in_invoice")),
            ("narration".to_owned(), get(if db.version == OdooVersion::V18 { "notes" } else { "note" })),
            ("currency_id".to_owned(), currency),
            ("partner_id".to_owned(), get("partner_id")),
            ("payment_reference".to_owned(), json!(reference)),
            ("invoice_origin".to_owned(), get("name")),
            ("invoice_payment_term_id".to_owned(), get("payment_term_id")),
            ("company_id".to_owned(), get("company_id")),
            ("invoice_line_ids".to_owned(), json!(commands)),
        ]);
        account_move::group_invoice_values(&mut bills_by_key, key, values);
    }
    if bills_by_key.is_empty() {
        return Err(SimError::user(
            "There is no invoiceable line. If a product has a control policy based on received quantity, please make sure that a quantity has been received.",
        ));
    }
    let mut bills = Vec::new();
    for (_, values) in bills_by_key {
        let bill = db.create(MOVE, &values, env)?;
        if account_move::amount(db, bill, "amount_total") < 0.0 {
            account_move::switch_move_type(db, bill);
        }
        bills.push(bill);
    }
    Ok(Outcome::Value(action_view_invoice(db, &bills)))
}

/// `purchase.order.action_view_invoice`: Odoo's "Bills" action on the bill (or a domain of them).
/// Not recorded: its view ids are left out (`false`), its context is the action's own text.
fn action_view_invoice(db: &Database, bills: &[i64]) -> Value {
    if bills.is_empty() {
        return json!({"type": "ir.actions.act_window_close"});
    }
    let receipts = if db.version == OdooVersion::V19 { ", 'in_receipt'" } else { "" };
    let mut action = json!({
        "name": "Bills",
        "type": "ir.actions.act_window",
        "xml_id": "account.action_move_in_invoice_type",
        "path": "bills",
        "display_name": "Bills",
        "res_model": MOVE,
        "domain": format!("[('move_type', 'in', ['in_invoice', 'in_refund'{receipts}])]"),
        "context": "{'search_default_in_invoice': 1, 'default_move_type': 'in_invoice', 'display_account_trust': True}",
        "target": "current",
        "view_mode": "list,kanban,form,activity",
        "views": [[false, "list"], [false, "kanban"], [false, "form"], [false, "activity"]],
        "limit": 80,
    });
    match bills {
        [bill] => {
            action["views"] = json!([[false, "form"], [false, "list"], [false, "kanban"], [false, "activity"]]);
            action["res_id"] = json!(bill);
        }
        many => action["domain"] = json!([["id", "in", many]]),
    }
    action
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
            return Err(crate::orm::missing_required_column(
                db.version,
                "Stock Move",
                "stock.move",
                "Date Scheduled",
                "date",
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
            .stored_computed("price_tax", Float, "Tax")
            .stored_computed("price_total", Monetary, "Total")
            .stored_computed("qty_received_method", selection(RECEIVED_METHOD), "Received Qty Method")
            .stored_computed("qty_received", Float, "Received Qty")
            .stored_computed("qty_invoiced", Float, "Billed Qty")
            .stored("invoice_lines", One2many(LINE, "purchase_line_id"), "Bill Lines")
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
            "price_tax" => json!(line_amounts(db, id).1),
            "price_total" => {
                let (subtotal, tax) = line_amounts(db, id);
                json!(subtotal + tax)
            }
            "qty_invoiced" => json!(qty_invoiced(db, id)),
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
