//! Sales orders and their lines (module `sale`, extended by `sale_stock`): amounts and statuses
//! computed from lines and deliveries, confirmation launching the delivery (with stock reserved at
//! once), cancellation releasing reservations, and the unlink rules.

use serde_json::{Map, Value, json};

use super::{
    account_tax::{self, Mode},
    currency, ids, mail,
    procurement::{self, Flow},
    product, sale_invoicing, stock_picking,
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

const ORDER_STATE: &[(&str, &str)] =
    &[("draft", "Quotation"), ("sent", "Quotation Sent"), ("sale", "Sales Order"), ("cancel", "Cancelled")];
const DELIVERY_STATUS: &[(&str, &str)] = &[
    ("pending", "Not Delivered"),
    ("started", "Started"),
    ("partial", "Partially Delivered"),
    ("full", "Fully Delivered"),
];
pub(crate) const INVOICE_STATUS: &[(&str, &str)] = &[
    ("upselling", "Upselling Opportunity"),
    ("invoiced", "Fully Invoiced"),
    ("to invoice", "To Invoice"),
    ("no", "Nothing to Invoice"),
];

/// Sections and notes among order lines.
pub(crate) const LINE_DISPLAY_TYPE: &[(&str, &str)] = &[("line_section", "Section"), ("line_note", "Note")];
const LINE_INVOICE_STATUS: &[(&str, &str)] = &[
    ("upselling", "Upselling Opportunity"),
    ("invoiced", "Fully Invoiced"),
    ("to invoice", "To Invoice"),
    ("no", "Nothing to Invoice"),
];

pub(crate) struct SaleOrder;

impl Model for SaleOrder {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("sale.order", "Sales Order", "sale", "date_order desc, id desc")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Order Reference")
            .stored("partner_id", Many2one("res.partner"), "Customer")
            .required("partner_id")
            .stored("partner_invoice_id", Many2one("res.partner"), "Invoice Address")
            .stored("partner_shipping_id", Many2one("res.partner"), "Delivery Address")
            .stored("client_order_ref", Char, "Customer Reference")
            .stored("origin", Char, "Source Document")
            .stored("state", selection(ORDER_STATE), "Status")
            .default("state", json!("draft"))
            .stored("locked", Boolean, "Locked")
            .default("locked", json!(false))
            .stored("date_order", Datetime, "Order Date")
            .stored("commitment_date", Datetime, "Delivery Date")
            .stored("pricelist_id", Many2one("product.pricelist"), "Pricelist")
            .stored_computed("currency_id", Many2one("res.currency"), "Currency")
            .stored("order_line", One2many("sale.order.line", "order_id"), "Order Lines")
            .stored("payment_term_id", Many2one("account.payment.term"), "Payment Terms")
            .computed("invoice_ids", Many2many("account.move"), "Invoices")
            .computed("invoice_count", Integer, "Invoice Count")
            .computed("amount_invoiced", Monetary, "Already invoiced")
            .computed("amount_to_invoice", Monetary, "Un-invoiced Balance")
            .stored_computed("amount_untaxed", Monetary, "Untaxed Amount")
            .stored_computed("amount_tax", Monetary, "Taxes")
            .stored_computed("amount_total", Monetary, "Total")
            .stored_computed("invoice_status", selection(INVOICE_STATUS), "Invoice Status")
            .stored("note", Html, "Terms and conditions")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(1));
        f.addon("sale_stock")
            .stored("warehouse_id", Many2one("stock.warehouse"), "Warehouse")
            .default("warehouse_id", json!(1))
            .stored("picking_ids", One2many("stock.picking", "sale_id"), "Transfers")
            .stored_computed("delivery_status", selection(DELIVERY_STATUS), "Delivery Status")
            .stored_computed("effective_date", Datetime, "Effective Date");
        mail::thread_fields(f);
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "currency_id" => json!(order_currency(db, "sale.order", id)),
            "amount_untaxed" | "amount_tax" | "amount_total" => json!(amount(db, id, field)),
            "delivery_status" => delivery_status(db, id),
            "effective_date" => effective_date(db, id),
            "invoice_status" => json!(sale_invoicing::order_invoice_status(db, id)),
            "invoice_ids" => json!(sale_invoicing::order_invoices(db, id)),
            "invoice_count" => json!(sale_invoicing::order_invoices(db, id).len()),
            "amount_invoiced" => json!(sale_invoicing::order_invoiced(db, id)),
            "amount_to_invoice" => {
                let currency = order_currency(db, "sale.order", id);
                json!(currency::round(db, currency, sale_invoicing::order_amount_to_invoice(db, id)))
            }
            _ => return mail::compute_thread(db, "sale.order", id, field),
        })
    }

    /// What Odoo fills from the order's own values: its name, date, addresses and price list.
    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        complete_order(db, "sale.order", "S", id);
        let partner = db.get_i64("sale.order", id, "partner_id").unwrap_or_default();
        for address in ["partner_invoice_id", "partner_shipping_id"] {
            if db.get_i64("sale.order", id, address).is_none() {
                db.set("sale.order", id, address, json!(partner));
            }
        }
        if db.get_i64("sale.order", id, "pricelist_id").is_none() {
            let pricelist = db.get_i64("res.partner", partner, "property_product_pricelist").unwrap_or(1);
            db.set("sale.order", id, "pricelist_id", json!(pricelist));
        }
        if db.installed("account") && db.row("sale.order", id).is_some_and(|r| !r.contains_key("payment_term_id")) {
            db.set("sale.order", id, "payment_term_id", db.get("res.partner", partner, "property_payment_term_id"));
        }
        Ok(())
    }

    fn before_write(&self, db: &Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        if vals.contains_key("pricelist_id") && ids.iter().any(|o| db.get_str("sale.order", *o, "state") == "sale") {
            return Err(SimError::user("You cannot change the pricelist of a confirmed order !"));
        }
        Ok(())
    }

    fn before_unlink(&self, db: &Database, _env: &Env, ids: &[i64]) -> SimResult<()> {
        if ids.iter().any(|o| !matches!(db.get_str("sale.order", *o, "state").as_str(), "draft" | "cancel")) {
            return Err(SimError::user(
                "You can not delete a sent quotation or a confirmed sales order. You must first cancel it.",
            ));
        }
        Ok(())
    }

    /// The lines go with the order (`ondelete='cascade'`).
    fn on_unlink(&self, db: &mut Database, ids: &[i64]) {
        remove_lines(db, "sale.order.line", ids);
    }

    fn write_parameter(&self) -> &'static str {
        "values"
    }

    fn methods(&self, db: &Database) -> Vec<Method> {
        let on_records =
            |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        let mut methods = vec![
            on_records("action_confirm", action_confirm as fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>),
            on_records("action_cancel", action_cancel),
            on_records("action_draft", action_draft),
        ];
        methods.extend(mail::message_post(db));
        methods
    }
}

/// An order's currency: its price list's, else the company's.
pub(crate) fn order_currency(db: &Database, model: &str, id: i64) -> i64 {
    let pricelist = db.get_i64(model, id, "pricelist_id");
    pricelist.and_then(|p| db.get_i64("product.pricelist", p, "currency_id")).unwrap_or(1)
}

/// The sequence name ("S00012") and order date Odoo gives a new order.
pub(crate) fn complete_order(db: &mut Database, model: &str, prefix: &str, id: i64) {
    if db.get_str(model, id, "name").is_empty() {
        db.set(model, id, "name", json!(format!("{prefix}{id:05}")));
    }
    if db.get_str(model, id, "date_order").is_empty() {
        db.set(model, id, "date_order", json!(now()));
    }
}

/// Deletes an order's lines along with it.
pub(crate) fn remove_lines(db: &mut Database, line_model: &str, orders: &[i64]) {
    for order in orders {
        for line in db.ids_where(line_model, "order_id", *order) {
            db.remove(line_model, line);
        }
    }
}

/// Odoo's stored `delivery_status`, from the transfers' states only (so a return does not make a
/// delivery partial again, and a delivery validated without backorder is "full" although short).
/// 18 calls a delivery "started" rather than "partial" while no line has anything delivered.
pub(crate) fn delivery_status(db: &Database, order: i64) -> Value {
    let status = picking_status(db, &db.ids_where("stock.picking", "sale_id", order));
    if db.version == OdooVersion::V18
        && status == json!("partial")
        && db
            .ids_where("sale.order.line", "order_id", order)
            .iter()
            .all(|l| procurement::done_quantity(db, Flow::Sale, *l) == 0.0)
    {
        return json!("started");
    }
    status
}

/// "full" when every live transfer is done, "partial" when some are, "pending" otherwise.
pub(crate) fn picking_status(db: &Database, pickings: &[i64]) -> Value {
    let live: Vec<String> =
        pickings.iter().map(|p| db.get_str("stock.picking", *p, "state")).filter(|s| s != "cancel").collect();
    if live.is_empty() {
        Value::Bool(false)
    } else if live.iter().all(|s| s == "done") {
        json!("full")
    } else if live.iter().any(|s| s == "done") {
        json!("partial")
    } else {
        json!("pending")
    }
}

/// When the first delivery to the customer was done.
fn effective_date(db: &Database, order: i64) -> Value {
    db.ids_where("stock.picking", "sale_id", order)
        .into_iter()
        .filter(|p| db.get_str("stock.picking", *p, "state") == "done")
        .filter(|p| {
            db.get_i64("stock.picking", *p, "location_dest_id")
                .is_some_and(|l| db.get_str("stock.location", l, "usage") == "customer")
        })
        .map(|p| db.get_str("stock.picking", p, "date_done"))
        .filter(|d| !d.is_empty())
        .min()
        .map_or(Value::Bool(false), Value::from)
}

/// The order's untaxed amount, taxes or total: its lines' (Odoo rounds each line's taxes).
pub(crate) fn amount(db: &Database, order: i64, field: &str) -> f64 {
    let currency = order_currency(db, "sale.order", order);
    let total: f64 = db
        .ids_where("sale.order.line", "order_id", order)
        .into_iter()
        .filter(|l| db.get_str("sale.order.line", *l, "display_type").is_empty())
        .map(|l| {
            let (subtotal, tax) = line_amounts(db, l);
            match field {
                "amount_untaxed" => subtotal,
                "amount_tax" => tax,
                _ => subtotal + tax,
            }
        })
        .sum();
    currency::round(db, currency, total)
}

/// A sale line's subtotal and taxes, in the order's currency.
fn line_amounts(db: &Database, line: i64) -> (f64, f64) {
    let order = db.get_i64("sale.order.line", line, "order_id").unwrap_or_default();
    order_line_amounts(db, Flow::Sale, line, order_currency(db, "sale.order", order))
}

/// A sale line's total, taxes included.
pub(crate) fn line_total(db: &Database, line: i64) -> f64 {
    let (subtotal, tax) = line_amounts(db, line);
    subtotal + tax
}

/// An order line's subtotal and taxes (`_compute_amount`): its quantity at its discounted price,
/// through its taxes, rounded to the currency.
pub(crate) fn order_line_amounts(db: &Database, flow: Flow, line: i64, currency: i64) -> (f64, f64) {
    let line_model = flow.line_model();
    let quantity = match flow {
        Flow::Sale => db.get_f64(line_model, line, "product_uom_qty"),
        Flow::Purchase => db.get_f64(line_model, line, "product_qty"),
    };
    let price = db.get_f64(line_model, line, "price_unit") * (1.0 - db.get_f64(line_model, line, "discount") / 100.0);
    let taxes = ids(&db.get(line_model, line, flow.tax_field(db.version)));
    let details = account_tax::compute(db, &taxes, price, quantity, currency::rounding(db, currency), Mode::Normal);
    let subtotal = currency::round(db, currency, details.total_excluded);
    (subtotal, currency::round(db, currency, details.total_included) - subtotal)
}

fn action_confirm(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    for id in args.ids {
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
    for id in args.ids {
        db.set("sale.order", *id, "state", json!("sale"));
        db.set("sale.order", *id, "date_order", json!(now()));
        for line in db.ids_where("sale.order.line", "order_id", *id) {
            procurement::sync_line_moves(db, Flow::Sale, line)?;
        }
    }
    Ok(Outcome::Value(json!(true)))
}

fn action_cancel(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    if args.ids.iter().any(|o| db.get_bool("sale.order", *o, "locked")) {
        return Err(SimError::user("You cannot cancel a locked order. Please unlock it first."));
    }
    let skip_wizard = env.flag("disable_cancel_warning");
    if !skip_wizard && args.ids.iter().any(|o| db.get_str("sale.order", *o, "state") != "draft") {
        // Odoo opens the cancellation wizard instead of cancelling a sent or confirmed order.
        return Ok(Outcome::Value(json!({
            "name": "Cancel Sales Order",
            "view_mode": "form",
            "res_model": "sale.order.cancel",
            "type": "ir.actions.act_window",
            "context": {"default_order_id": args.ids.first(), "mark_so_as_canceled": true},
            "target": "new",
        })));
    }
    for id in args.ids {
        for picking in db.ids_where("stock.picking", "sale_id", *id) {
            stock_picking::cancel(db, picking);
        }
        db.set("sale.order", *id, "state", json!("cancel"));
    }
    Ok(Outcome::Value(json!(true)))
}

fn action_draft(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    for id in args.ids {
        if matches!(db.get_str("sale.order", *id, "state").as_str(), "cancel" | "sent") {
            db.set("sale.order", *id, "state", json!("draft"));
        }
    }
    Ok(Outcome::Value(json!(true)))
}

pub(crate) struct SaleOrderLine;

impl Model for SaleOrderLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("sale.order.line", "Sales Order Line", "sale", "order_id, sequence, id")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        line_fields(f, "sale.order")
            .stored("product_uom_qty", Float, "Quantity")
            .default("product_uom_qty", json!(1.0))
            .stored(procurement::uom_field(version), Many2one("uom.uom"), "Unit")
            .stored("price_unit", Float, "Unit Price")
            .stored("discount", Float, "Discount (%)")
            .stored("is_downpayment", Boolean, "Is a down payment")
            .digits("product_uom_qty", super::PRODUCT_UNIT_DIGITS)
            .digits("price_unit", super::PRODUCT_PRICE_DIGITS)
            .digits("discount", super::DISCOUNT_DIGITS)
            .stored(Flow::Sale.tax_field(version), Many2many("account.tax"), "Taxes")
            .stored_computed("price_subtotal", Monetary, "Subtotal")
            .stored_computed("price_tax", Float, "Total Tax")
            .stored_computed("price_total", Monetary, "Total")
            .stored("display_type", selection(LINE_DISPLAY_TYPE), "Display Type")
            .stored("is_downpayment", Boolean, "Is a down payment")
            .stored_computed("qty_invoiced", Float, "Invoiced Quantity")
            .stored_computed("qty_to_invoice", Float, "Quantity To Invoice")
            .stored_computed("invoice_lines", Many2many("account.move.line"), "Invoice Lines")
            .stored_computed("invoice_status", selection(LINE_INVOICE_STATUS), "Invoice Status")
            .computed("amount_invoiced", Monetary, "Invoiced Amount")
            .computed("amount_to_invoice", Monetary, "Un-invoiced Balance")
            .stored("customer_lead", Float, "Lead Time")
            .stored_computed("state", selection(ORDER_STATE), "Order Status")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(1));
        f.addon("sale_stock").stored_computed("qty_delivered", Float, "Delivery Quantity").stored(
            "move_ids",
            One2many("stock.move", "sale_line_id"),
            "Stock Moves",
        );
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "price_subtotal" => json!(line_amounts(db, id).0),
            "price_tax" => json!(line_amounts(db, id).1),
            "price_total" => json!(line_total(db, id)),
            "qty_delivered" => json!(procurement::done_quantity(db, Flow::Sale, id)),
            "qty_to_invoice" => json!(sale_invoicing::qty_to_invoice(db, id)),
            "qty_invoiced" => json!(sale_invoicing::qty_invoiced(db, id)),
            "invoice_lines" => sale_invoicing::line_invoice_lines(db, id),
            "invoice_status" => json!(sale_invoicing::line_invoice_status(db, id)),
            "amount_invoiced" => json!(sale_invoicing::amount_invoiced(db, id)),
            "amount_to_invoice" => json!(sale_invoicing::amount_to_invoice(db, id)),
            "state" => db
                .get_i64("sale.order.line", id, "order_id")
                .map_or(Value::Bool(false), |o| db.get("sale.order", o, "state")),
            _ => return None,
        })
    }

    /// "S00012 - [CODE] Product (Customer)", as Odoo shows a sale line.
    fn display_name(&self, db: &Database, env: &Env, id: i64) -> Option<String> {
        let order = db.get_i64("sale.order.line", id, "order_id").unwrap_or_default();
        let partner = db.get_i64("sale.order", order, "partner_id").unwrap_or_default();
        Some(format!(
            "{} - {} ({})",
            db.get_str("sale.order", order, "name"),
            db.get_str("sale.order.line", id, "name"),
            db.display_name("res.partner", partner, env)
        ))
    }

    /// A new line gets its description, unit, taxes and price from the product and price list.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        let line_model = "sale.order.line";
        let product = db.get_i64(line_model, id, "product_id").unwrap_or_default();
        complete_line(db, env, line_model, id, "taxes_id", Flow::Sale.tax_field(db.version));
        if db.row(line_model, id).is_some_and(|r| !r.contains_key("price_unit")) {
            let order = db.get_i64(line_model, id, "order_id").unwrap_or_default();
            let price = product::pricelist_price(db, db.get_i64("sale.order", order, "pricelist_id"), product);
            db.set(line_model, id, "price_unit", json!(price));
        }
        Ok(())
    }

    fn after_create(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        procurement::sync_line_moves(db, Flow::Sale, id)
    }

    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        if vals.contains_key("product_uom_qty") {
            for id in ids {
                procurement::sync_line_moves(db, Flow::Sale, *id)?;
            }
        }
        Ok(())
    }

    fn write_parameter(&self) -> &'static str {
        "values"
    }
}

/// The fields every order line starts with: its order, position, description and product.
pub(crate) fn line_fields<'f>(f: &'f mut Fields, order_model: &'static str) -> &'f mut Fields {
    f.stored("order_id", Many2one(order_model), "Order Reference")
        .required("order_id")
        .stored("sequence", Integer, "Sequence")
        .stored("name", Text, "Description")
        .stored("product_id", Many2one("product.product"), "Product")
        .required("product_id")
        .stored("display_type", selection(LINE_DISPLAY), "Display Type")
}

/// Lines that are not goods: sections and notes.
const LINE_DISPLAY: &[(&str, &str)] = &[("line_section", "Section"), ("line_note", "Note")];

/// What a new order line takes from its product when the caller leaves it out: its description
/// (the product's display name), unit, and taxes (from `product_taxes` into `line_taxes`).
pub(crate) fn complete_line(
    db: &mut Database,
    env: &Env,
    line_model: &str,
    id: i64,
    product_taxes: &str,
    line_taxes: &str,
) {
    let product = db.get_i64(line_model, id, "product_id").unwrap_or_default();
    if db.get_str(line_model, id, "name").is_empty() {
        db.set(line_model, id, "name", json!(db.display_name("product.product", product, env)));
    }
    let unit = procurement::uom_field(db.version);
    if db.get_i64(line_model, id, unit).is_none() {
        db.set(line_model, id, unit, db.get("product.product", product, "uom_id"));
    }
    if db.row(line_model, id).is_some_and(|r| !r.contains_key(line_taxes)) {
        db.set(line_model, id, line_taxes, db.get("product.product", product, product_taxes));
    }
}
