//! What `sale` adds to invoicing: how much of each order line is invoiced and still to invoice,
//! the orders' invoices and invoice status, `sale.order._create_invoices`, and the wizard that
//! calls it (`sale.advance.payment.inv`).
//!
//! Create the wizard with context `{active_model: "sale.order", active_ids, active_id}` and an
//! `advance_payment_method`: "delivered" invoices what each line's invoicing policy says (ordered,
//! or delivered, quantities less what is already invoiced, drafts included), deducting down
//! payments; a negative quantity (a return after invoicing) makes the invoice a credit note.
//! "percentage" (`amount`) and "fixed" (`fixed_amount`) make a down payment: a down payment line
//! on the order, invoiced alone, which the final invoice deducts. `create_invoices` answers an
//! action on the invoice(s); nothing to invoice is a `UserError`.

use serde_json::{Map, Value, json};

use super::{
    account_move::{self, LINE, MOVE},
    account_tax::{self, Mode},
    currency, ids,
    procurement::{self, Flow},
};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        float,
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
        row, today,
    },
};

const WIZARD: &str = "sale.advance.payment.inv";
const ORDER: &str = "sale.order";
const ORDER_LINE: &str = "sale.order.line";

const METHOD: &[(&str, &str)] = &[
    ("delivered", "Regular invoice"),
    ("percentage", "Down payment (percentage)"),
    ("fixed", "Down payment (fixed amount)"),
];

/// Quantities compare at the "Product Unit of Measure" precision.
const QUANTITY_PRECISION: f64 = 0.01;

/// `sale.order._nothing_to_invoice_error_message`.
const NOTHING_TO_INVOICE: &str = "Cannot create an invoice. No items are available to invoice.\n\nTo resolve this issue, please ensure that:\n   \u{2022} The products have been delivered before attempting to invoice them.\n   \u{2022} The invoicing policy of the product is configured correctly.\n\nIf you want to invoice based on ordered quantities instead:\n   \u{2022} For consumable or storable products, open the product, go to the 'General Information' tab and change the 'Invoicing Policy' from 'Delivered Quantities' to 'Ordered Quantities'.\n   \u{2022} For services (and other products), change the 'Invoicing Policy' to 'Prepaid/Fixed Price'.\n";

/// The invoicing wizard (`sale.advance.payment.inv`).
pub(crate) struct AdvancePaymentInv;

impl Model for AdvancePaymentInv {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(WIZARD, "Sales Advance Payment Invoice", "sale", "id")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("advance_payment_method", selection(METHOD), "Create Invoice")
            .required("advance_payment_method")
            .default("advance_payment_method", json!("delivered"))
            .stored("sale_order_ids", Many2many(ORDER), "Sale Order")
            .computed("count", Integer, "Order Count")
            .computed("has_down_payments", Boolean, "Has down payments")
            .stored("deduct_down_payments", Boolean, "Deduct down payments")
            .default("deduct_down_payments", json!(true))
            .stored("consolidated_billing", Boolean, "Consolidated Billing")
            .default("consolidated_billing", json!(true))
            .stored("amount", Float, "Down Payment")
            .stored("fixed_amount", Monetary, "Down Payment Amount (Fixed)")
            .stored_computed("currency_id", Many2one("res.currency"), "Currency")
            .stored_computed("company_id", Many2one("res.company"), "Company")
            .computed("amount_invoiced", Monetary, "Already invoiced")
            .computed("display_draft_invoice_warning", Boolean, "Display Draft Invoice Warning");
        if version == OdooVersion::V18 {
            f.computed("amount_to_invoice", Monetary, "Amount to invoice").computed(
                "display_invoice_amount_warning",
                Boolean,
                "Display Invoice Amount Warning",
            );
        }
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let orders = ids(&db.get(WIZARD, id, "sale_order_ids"));
        let only = |field: &str| match orders.as_slice() {
            [order] => db.get(ORDER, *order, field),
            _ => Value::Bool(false),
        };
        let sum = |amount: fn(&Database, i64) -> f64| orders.iter().map(|o| amount(db, *o)).sum::<f64>();
        Some(match field {
            "count" => json!(orders.len()),
            "has_down_payments" => json!(orders.iter().any(|o| {
                db.ids_where(ORDER_LINE, "order_id", *o).iter().any(|l| db.get_bool(ORDER_LINE, *l, "is_downpayment"))
            })),
            "currency_id" => match orders.as_slice() {
                [order] => json!(super::sale_order::order_currency(db, ORDER, *order)),
                _ => Value::Bool(false),
            },
            "company_id" => only("company_id"),
            "amount_invoiced" => json!(sum(order_amount_invoiced)),
            "amount_to_invoice" => json!(sum(order_amount_to_invoice)),
            "display_invoice_amount_warning" => {
                let asked = if db.get_str(WIZARD, id, "advance_payment_method") == "percentage" {
                    let total: f64 = orders.iter().map(|o| super::sale_order::amount(db, *o, "amount_total")).sum();
                    db.get_f64(WIZARD, id, "amount") / 100.0 * total
                } else {
                    db.get_f64(WIZARD, id, "fixed_amount")
                };
                json!(asked > sum(order_amount_to_invoice))
            }
            "display_draft_invoice_warning" => json!(
                orders.iter().flat_map(|o| order_invoices(db, *o)).any(|m| db.get_str(MOVE, m, "state") == "draft")
            ),
            _ => return None,
        })
    }

    /// The orders come from the context's `active_ids`.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        if db.row(WIZARD, id).is_some_and(|r| !r.contains_key("sale_order_ids")) {
            db.set(WIZARD, id, "sale_order_ids", json!(super::context_ids(env.context.get("active_ids"))));
        }
        Ok(())
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        vec![Method {
            name: "create_invoices",
            signature: sig(false, &[], 0, false, false),
            on_records: true,
            run: wizard_create_invoices,
        }]
    }
}

/// `create_invoices`: a regular invoice of the orders, or a down payment invoice of the one
/// order; the action opening it.
fn wizard_create_invoices(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let [wizard] = args.ids else {
        return Err(SimError::value(format!("Expected singleton: {WIZARD}({:?})", args.ids)));
    };
    let method = db.get_str(WIZARD, *wizard, "advance_payment_method");
    let positive = match method.as_str() {
        "percentage" => db.get_f64(WIZARD, *wizard, "amount") > 0.0,
        "fixed" => db.get_f64(WIZARD, *wizard, "fixed_amount") > 0.0,
        _ => true,
    };
    if !positive {
        return Err(SimError::user("The value of the down payment amount must be positive."));
    }
    let orders = ids(&db.get(WIZARD, *wizard, "sale_order_ids"));
    let invoices = if method == "delivered" {
        let final_invoice = db.get_bool(WIZARD, *wizard, "deduct_down_payments");
        let grouped = !db.get_bool(WIZARD, *wizard, "consolidated_billing");
        create_invoices(db, env, &orders, final_invoice, grouped)?
    } else {
        let [order] = orders.as_slice() else {
            return Err(SimError::value(format!("Expected singleton: {ORDER}({orders:?})")));
        };
        vec![down_payment_invoice(db, env, *wizard, *order)?]
    };
    Ok(Outcome::Value(action_view_invoice(db, &orders, &invoices)))
}

/// The journal items invoicing an order line, in Odoo's order of items (date, then number,
/// newest first).
fn invoice_lines(db: &Database, sale_line: i64) -> Vec<i64> {
    let mut lines: Vec<i64> = db
        .table(LINE)
        .rows
        .iter()
        .filter(|(_, r)| r.get("sale_line_ids").is_some_and(|v| ids(v).contains(&sale_line)))
        .map(|(id, _)| *id)
        .collect();
    sort_items(db, &mut lines);
    lines
}

/// Journal items in Odoo's order: by date, then number, newest first.
fn sort_items(db: &Database, items: &mut [i64]) {
    let key = |l: &i64| {
        let mv = db.get_i64(LINE, *l, "move_id").unwrap_or_default();
        (db.get_str(MOVE, mv, "date"), db.get_str(MOVE, mv, "name"))
    };
    items.sort_by(|a, b| key(b).cmp(&key(a)).then(a.cmp(b)));
}

/// `sale.order.line.invoice_lines`.
pub(crate) fn line_invoice_lines(db: &Database, sale_line: i64) -> Value {
    json!(invoice_lines(db, sale_line))
}

/// What invoices (less credit notes) count for the line, drafts included, cancelled ones not.
pub(crate) fn qty_invoiced(db: &Database, sale_line: i64) -> f64 {
    let unit = procurement::line_unit(db, Flow::Sale, sale_line).unwrap_or_default();
    account_move::invoiced_quantity(db, invoice_lines(db, sale_line), unit)
}

/// Ordered (or delivered, by the product's invoicing policy) less invoiced, on confirmed orders.
pub(crate) fn qty_to_invoice(db: &Database, sale_line: i64) -> f64 {
    let order = db.get_i64(ORDER_LINE, sale_line, "order_id").unwrap_or_default();
    if db.get_str(ORDER, order, "state") != "sale" || !db.get_str(ORDER_LINE, sale_line, "display_type").is_empty() {
        return 0.0;
    }
    let product = db.get_i64(ORDER_LINE, sale_line, "product_id").unwrap_or_default();
    let base = if db.get_str("product.product", product, "invoice_policy") == "order" {
        db.get_f64(ORDER_LINE, sale_line, "product_uom_qty")
    } else {
        procurement::done_quantity(db, Flow::Sale, sale_line)
    };
    base - qty_invoiced(db, sale_line)
}

/// `sale.order.line.invoice_status`.
pub(crate) fn line_invoice_status(db: &Database, sale_line: i64) -> &'static str {
    let order = db.get_i64(ORDER_LINE, sale_line, "order_id").unwrap_or_default();
    let product = db.get_i64(ORDER_LINE, sale_line, "product_id").unwrap_or_default();
    let ordered = db.get_f64(ORDER_LINE, sale_line, "product_uom_qty");
    let delivered = procurement::done_quantity(db, Flow::Sale, sale_line);
    let compare = |a: f64, b: f64| {
        let (a, b) = (round_quantity(a), round_quantity(b));
        a.partial_cmp(&b).unwrap_or(std::cmp::Ordering::Equal)
    };
    if db.get_str(ORDER, order, "state") != "sale" {
        "no"
    } else if db.get_bool(ORDER_LINE, sale_line, "is_downpayment") && untaxed_amount_to_invoice(db, sale_line) == 0.0 {
        "invoiced"
    } else if !super::is_zero_quantity(qty_to_invoice(db, sale_line)) {
        "to invoice"
    } else if db.get_str("product.product", product, "invoice_policy") == "order"
        && ordered >= 0.0
        && compare(delivered, ordered).is_gt()
    {
        "upselling"
    } else if compare(qty_invoiced(db, sale_line), ordered).is_ge() {
        "invoiced"
    } else {
        "no"
    }
}

fn round_quantity(value: f64) -> f64 {
    float::round(value, QUANTITY_PRECISION, float::Rounding::HalfUp)
}

/// `sale.order.invoice_status`, from its lines other than down payments and sections.
pub(crate) fn order_invoice_status(db: &Database, order: i64) -> &'static str {
    if db.get_str(ORDER, order, "state") != "sale" {
        return "no";
    }
    let statuses: Vec<&str> = db
        .ids_where(ORDER_LINE, "order_id", order)
        .into_iter()
        .filter(|l| !db.get_bool(ORDER_LINE, *l, "is_downpayment"))
        .filter(|l| db.get_str(ORDER_LINE, *l, "display_type").is_empty())
        .map(|l| line_invoice_status(db, l))
        .collect();
    if statuses.contains(&"to invoice") {
        "to invoice"
    } else if !statuses.is_empty() && statuses.iter().all(|s| *s == "invoiced") {
        "invoiced"
    } else if !statuses.is_empty() && statuses.iter().all(|s| matches!(*s, "invoiced" | "upselling")) {
        "upselling"
    } else {
        "no"
    }
}

/// `sale.order.invoice_ids`: the customer invoices and credit notes of its lines, refunds first
/// when of the same day (by the items' order).
pub(crate) fn order_invoices(db: &Database, order: i64) -> Vec<i64> {
    let mut lines: Vec<i64> =
        db.ids_where(ORDER_LINE, "order_id", order).into_iter().flat_map(|l| invoice_lines(db, l)).collect();
    sort_items(db, &mut lines);
    let mut moves: Vec<i64> = Vec::new();
    for line in lines {
        let mv = db.get_i64(LINE, line, "move_id").unwrap_or_default();
        if matches!(db.get_str(MOVE, mv, "move_type").as_str(), "out_invoice" | "out_refund") && !moves.contains(&mv) {
            moves.push(mv);
        }
    }
    moves
}

/// The untaxed amount of the line's posted invoices less credit notes.
fn untaxed_amount_invoiced(db: &Database, sale_line: i64) -> f64 {
    posted_invoiced(db, sale_line, "price_subtotal")
}

/// What posted invoices of the line came to, signed (credit notes negative), in the order's currency.
fn posted_invoiced(db: &Database, sale_line: i64, field: &str) -> f64 {
    let order = db.get_i64(ORDER_LINE, sale_line, "order_id").unwrap_or_default();
    let order_currency = super::sale_order::order_currency(db, ORDER, order);
    invoice_lines(db, sale_line)
        .into_iter()
        .filter_map(|l| {
            let sign = account_move::posted_sign(db, l)?;
            let currency = db.get_i64(LINE, l, "currency_id").unwrap_or(order_currency);
            Some(sign * currency::convert(db, db.get_f64(LINE, l, field), currency, order_currency))
        })
        .sum()
}

/// What the line's amounts to invoice count: delivered quantities for products invoiced on
/// delivery, ordered ones otherwise.
fn policy_quantity(db: &Database, sale_line: i64) -> f64 {
    let product = db.get_i64(ORDER_LINE, sale_line, "product_id").unwrap_or_default();
    if db.get_str("product.product", product, "invoice_policy") == "delivery" {
        procurement::done_quantity(db, Flow::Sale, sale_line)
    } else {
        db.get_f64(ORDER_LINE, sale_line, "product_uom_qty")
    }
}

/// `untaxed_amount_to_invoice`: what the invoicing policy's quantity is worth untaxed, less what
/// posted invoices took.
fn untaxed_amount_to_invoice(db: &Database, sale_line: i64) -> f64 {
    let order = db.get_i64(ORDER_LINE, sale_line, "order_id").unwrap_or_default();
    if db.get_str(ORDER, order, "state") != "sale" {
        return 0.0;
    }
    let quantity = policy_quantity(db, sale_line);
    let price =
        db.get_f64(ORDER_LINE, sale_line, "price_unit") * (1.0 - db.get_f64(ORDER_LINE, sale_line, "discount") / 100.0);
    let taxes = ids(&db.get(ORDER_LINE, sale_line, Flow::Sale.tax_field(db.version)));
    let subtotal = if taxes.iter().any(|t| account_tax::price_include(db, *t)) {
        let currency = super::sale_order::order_currency(db, ORDER, order);
        account_tax::compute(db, &taxes, price, quantity, currency::rounding(db, currency), Mode::Normal).total_excluded
    } else {
        price * quantity
    };
    subtotal - untaxed_amount_invoiced(db, sale_line)
}

/// `sale.order.line.amount_invoiced`: the posted invoices' totals, credit notes deducted.
pub(crate) fn amount_invoiced(db: &Database, sale_line: i64) -> f64 {
    posted_invoiced(db, sale_line, "price_total")
}

/// `sale.order.line.amount_to_invoice`: the policy's quantity not yet on posted invoices, at the
/// line's unit price with taxes.
pub(crate) fn amount_to_invoice(db: &Database, sale_line: i64) -> f64 {
    let ordered = db.get_f64(ORDER_LINE, sale_line, "product_uom_qty");
    if ordered == 0.0 {
        return 0.0;
    }
    let quantity = policy_quantity(db, sale_line);
    let posted: f64 = invoice_lines(db, sale_line)
        .into_iter()
        .filter_map(|l| Some(account_move::posted_sign(db, l)? * db.get_f64(LINE, l, "quantity")))
        .sum();
    let unit_total = super::sale_order::line_total(db, sale_line) / ordered;
    unit_total * (1.0 - db.get_f64(ORDER_LINE, sale_line, "discount") / 100.0) * (quantity - posted)
}

fn order_amount_invoiced(db: &Database, order: i64) -> f64 {
    db.ids_where(ORDER_LINE, "order_id", order).into_iter().map(|l| amount_invoiced(db, l)).sum()
}

pub(crate) fn order_amount_to_invoice(db: &Database, order: i64) -> f64 {
    db.ids_where(ORDER_LINE, "order_id", order).into_iter().map(|l| amount_to_invoice(db, l)).sum()
}

/// The order's amount invoiced (`amount_invoiced`), rounded to its currency.
pub(crate) fn order_invoiced(db: &Database, order: i64) -> f64 {
    let currency = super::sale_order::order_currency(db, ORDER, order);
    currency::round(db, currency, order_amount_invoiced(db, order))
}

/// `_get_invoiceable_lines`: lines with something to invoice (negative quantities only for a
/// final invoice), their sections, notes; down payments last.
fn invoiceable_lines(db: &Database, order: i64, final_invoice: bool) -> Vec<i64> {
    let mut lines = Vec::new();
    let mut down_payments = Vec::new();
    let mut pending_section = None;
    let mut order_lines = db.ids_where(ORDER_LINE, "order_id", order);
    order_lines.sort_by_key(|l| (db.get_i64(ORDER_LINE, *l, "sequence").unwrap_or_default(), *l));
    for line in order_lines {
        let display_type = db.get_str(ORDER_LINE, line, "display_type");
        if display_type == "line_section" {
            pending_section = Some(line);
            continue;
        }
        let to_invoice = qty_to_invoice(db, line);
        if display_type != "line_note" && super::is_zero_quantity(to_invoice) {
            continue;
        }
        if to_invoice > 0.0 || (to_invoice < 0.0 && final_invoice) || display_type == "line_note" {
            if db.get_bool(ORDER_LINE, line, "is_downpayment") {
                down_payments.push(line);
                continue;
            }
            lines.extend(pending_section.take());
            lines.push(line);
        }
    }
    lines.extend(down_payments);
    lines
}

/// `_prepare_invoice_line`: an invoice line for what the order line has to invoice.
fn invoice_line_values(db: &Database, env: &Env, line: i64, sequence: i64) -> Value {
    let product = db.get_i64(ORDER_LINE, line, "product_id");
    let name = db.get_str(ORDER_LINE, line, "name");
    let display_name = product.map(|p| db.display_name("product.product", p, env)).unwrap_or_default();
    let name = account_move::item_label(name, &display_name);
    let display_type = db.get_str(ORDER_LINE, line, "display_type");
    json!([0, 0, {
        "display_type": if display_type.is_empty() { "product".to_owned() } else { display_type },
        "sequence": sequence,
        "name": name,
        "product_id": product.map_or(json!(false), |p| json!(p)),
        "product_uom_id": db.get(ORDER_LINE, line, procurement::uom_field(db.version)),
        "quantity": qty_to_invoice(db, line),
        "discount": db.get_f64(ORDER_LINE, line, "discount"),
        "price_unit": db.get_f64(ORDER_LINE, line, "price_unit"),
        "tax_ids": [[6, 0, ids(&db.get(ORDER_LINE, line, Flow::Sale.tax_field(db.version)))]],
        "sale_line_ids": [[4, line]],
        "is_downpayment": db.get_bool(ORDER_LINE, line, "is_downpayment"),
    }])
}

/// `sale.order._prepare_invoice`: the invoice's header from the order.
fn invoice_values(db: &Database, order: i64) -> Map<String, Value> {
    let get = |field: &str| db.get(ORDER, order, field);
    let reference = db.get_str(ORDER, order, "client_order_ref");
    Map::from_iter([
        ("ref".to_owned(), json!(reference)),
        ("move_type".to_owned(), json!("out_invoice")),
        ("narration".to_owned(), get("note")),
        ("currency_id".to_owned(), json!(super::sale_order::order_currency(db, ORDER, order))),
        ("partner_id".to_owned(), get("partner_invoice_id")),
        ("partner_shipping_id".to_owned(), get("partner_shipping_id")),
        ("invoice_origin".to_owned(), get("name")),
        ("invoice_payment_term_id".to_owned(), get("payment_term_id")),
        ("company_id".to_owned(), get("company_id")),
        ("invoice_line_ids".to_owned(), json!([])),
    ])
}

/// `sale.order._create_invoices(grouped, final)`: one invoice per customer and currency (per
/// order when grouped) of what the orders have to invoice; with `final`, invoices coming to a
/// negative total become credit notes.
pub(crate) fn create_invoices(
    db: &mut Database,
    env: &Env,
    orders: &[i64],
    final_invoice: bool,
    grouped: bool,
) -> SimResult<Vec<i64>> {
    let mut invoices: Vec<(Value, Map<String, Value>)> = Vec::new();
    let mut sequence = 0;
    for order in orders {
        let lines = invoiceable_lines(db, *order, final_invoice);
        if !lines.iter().any(|l| db.get_str(ORDER_LINE, *l, "display_type").is_empty()) {
            continue;
        }
        let mut values = invoice_values(db, *order);
        let mut commands = Vec::new();
        let mut section_added = false;
        for line in lines {
            if !section_added && db.get_bool(ORDER_LINE, line, "is_downpayment") {
                commands.push(json!([0, 0, {
                    "display_type": "line_section", "name": "Down Payments", "sequence": sequence,
                    "quantity": 0, "price_unit": 0, "discount": 0,
                }]));
                section_added = true;
                sequence += 1;
            }
            commands.push(invoice_line_values(db, env, line, sequence));
            sequence += 1;
        }
        values.insert("invoice_line_ids".to_owned(), json!(commands));
        let key = if grouped {
            json!(order)
        } else {
            json!([values["company_id"], values["partner_id"], values["currency_id"]])
        };
        account_move::group_invoice_values(&mut invoices, key, values);
    }
    if invoices.is_empty() {
        return Err(SimError::user(NOTHING_TO_INVOICE));
    }
    let mut moves = Vec::new();
    for (_, values) in invoices {
        let invoice = db.create(MOVE, &values, env)?;
        if final_invoice && account_move::amount(db, invoice, "amount_total") < 0.0 {
            account_move::switch_move_type(db, invoice);
        }
        moves.push(invoice);
    }
    for order in orders {
        db.touch(ORDER, *order);
    }
    Ok(moves)
}

/// A down payment invoice (`_create_invoices` of the wizard for "percentage" and "fixed"): the
/// order gets a "Down Payments" section (once) and a down payment line per set of taxes, priced
/// at that share of the lines' untaxed totals; the invoice bills one of each.
fn down_payment_invoice(db: &mut Database, env: &Env, wizard: i64, order: i64) -> SimResult<i64> {
    let percentage = db.get_str(WIZARD, wizard, "advance_payment_method") == "percentage";
    let ratio = if percentage {
        db.get_f64(WIZARD, wizard, "amount") / 100.0
    } else {
        let total = super::sale_order::amount(db, order, "amount_total");
        if total == 0.0 { 1.0 } else { db.get_f64(WIZARD, wizard, "fixed_amount") / total }
    };
    let currency = super::sale_order::order_currency(db, ORDER, order);
    let tax_field = Flow::Sale.tax_field(db.version);
    let order_lines = db.ids_where(ORDER_LINE, "order_id", order);
    let next_sequence = order_lines
        .iter()
        .map(|l| db.get_i64(ORDER_LINE, *l, "sequence").unwrap_or_default())
        .max()
        .map_or(10, |s| s + 1);
    if !order_lines.iter().any(|l| {
        db.get_bool(ORDER_LINE, *l, "is_downpayment") && !db.get_str(ORDER_LINE, *l, "display_type").is_empty()
    }) {
        db.insert(
            ORDER_LINE,
            row(&[
                ("order_id", json!(order)),
                ("display_type", json!("line_section")),
                ("is_downpayment", json!(true)),
                ("name", json!("Down Payments")),
                ("product_uom_qty", json!(0.0)),
                ("price_unit", json!(0.0)),
                ("sequence", json!(next_sequence)),
                ("company_id", db.get(ORDER, order, "company_id")),
            ]),
        );
    }
    // One down payment line per set of (non-fixed) taxes, worth that share of their lines.
    let mut groups: Vec<(Vec<i64>, f64)> = Vec::new();
    for line in order_lines {
        if !db.get_str(ORDER_LINE, line, "display_type").is_empty() || db.get_bool(ORDER_LINE, line, "is_downpayment") {
            continue;
        }
        let mut taxes: Vec<i64> = ids(&db.get(ORDER_LINE, line, tax_field))
            .into_iter()
            .filter(|t| db.get_str("account.tax", *t, "amount_type") != "fixed")
            .collect();
        taxes.sort_unstable();
        let price =
            db.get_f64(ORDER_LINE, line, "price_unit") * (1.0 - db.get_f64(ORDER_LINE, line, "discount") / 100.0);
        let quantity = db.get_f64(ORDER_LINE, line, "product_uom_qty");
        let precision = currency::rounding(db, currency);
        let base = account_tax::compute(db, &taxes, price, quantity, precision, Mode::TotalExcluded).total_excluded;
        match groups.iter_mut().find(|(t, _)| *t == taxes) {
            Some((_, total)) => *total += base,
            None => groups.push((taxes, base)),
        }
    }
    let description = if percentage {
        format!("Down payment of {}%", python_float(db.get_f64(WIZARD, wizard, "amount")))
    } else {
        "Down Payment".to_owned()
    };
    let mut values = invoice_values(db, order);
    let mut commands = Vec::new();
    for (taxes, base) in groups {
        if currency::is_zero(db, currency, base) {
            continue;
        }
        let price = currency::round(db, currency, base * ratio);
        let line = db.insert(
            ORDER_LINE,
            row(&[
                ("order_id", json!(order)),
                ("is_downpayment", json!(true)),
                ("name", json!(format!("Down Payment: {} (Draft)", us_date(&today())))),
                ("product_uom_qty", json!(0.0)),
                ("price_unit", json!(price)),
                ("discount", json!(0.0)),
                (tax_field, json!(taxes)),
                ("sequence", json!(next_sequence)),
                ("company_id", db.get(ORDER, order, "company_id")),
            ]),
        );
        commands.push(json!([0, 0, {
            "display_type": "product", "sequence": next_sequence, "name": description, "quantity": 1.0,
            "discount": 0.0, "price_unit": price, "tax_ids": [[6, 0, taxes]], "sale_line_ids": [[4, line]],
            "is_downpayment": true,
        }]));
    }
    values.insert("invoice_line_ids".to_owned(), json!(commands));
    let invoice = db.create(MOVE, &values, env)?;
    db.touch(ORDER, order);
    Ok(invoice)
}

/// A float as Python's `%s` shows it: "10.0", "12.5".
fn python_float(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e16 { format!("{value:.1}") } else { format!("{value}") }
}

/// A date as Odoo's `format_date` shows it in English (US): "11/23/2026".
fn us_date(date: &str) -> String {
    match (date.get(..4), date.get(5..7), date.get(8..10)) {
        (Some(year), Some(month), Some(day)) => format!("{month}/{day}/{year}"),
        _ => date.to_owned(),
    }
}

/// `sale.order.action_view_invoice`: Odoo's "Invoices" action, on the one invoice made (or a
/// domain of them), with the order's defaults in its context — as each version recorded it.
pub(crate) fn action_view_invoice(db: &Database, orders: &[i64], invoices: &[i64]) -> Value {
    let mut context = Map::from_iter([("default_move_type".to_owned(), json!("out_invoice"))]);
    if let [order] = orders {
        let partner = db.get_i64(ORDER, *order, "partner_id").unwrap_or_default();
        let term = db
            .get_i64(ORDER, *order, "payment_term_id")
            .or_else(|| db.get_i64("res.partner", partner, "property_payment_term_id"));
        context.insert("default_partner_id".into(), json!(partner));
        context.insert("default_partner_shipping_id".into(), db.get(ORDER, *order, "partner_shipping_id"));
        context.insert("default_invoice_payment_term_id".into(), term.map_or(Value::Null, |t| json!(t)));
        if db.version == OdooVersion::V18 {
            context.insert("default_invoice_origin".into(), db.get(ORDER, *order, "name"));
        }
    }
    if invoices.is_empty() {
        return json!({"type": "ir.actions.act_window_close", "context": context});
    }
    let (action_id, list_view, form_view, search_view) = match db.version {
        OdooVersion::V18 => (262, 709, 716, 719),
        OdooVersion::V19 => (261, 737, 743, 746),
    };
    let receipts = if db.version == OdooVersion::V19 { ", 'out_receipt'" } else { "" };
    let mut action = json!({
        "id": action_id,
        "name": "Invoices",
        "type": "ir.actions.act_window",
        "xml_id": "account.action_move_out_invoice_type",
        "path": "invoicing",
        "help": "<p class=\"o_view_nocontent_smiling_face\">\n                Create a customer invoice\n              </p><p>\n                Create invoices, register payments and keep track of the discussions with your customers.\n              </p>\n            ",
        "binding_model_id": false,
        "binding_type": "action",
        "binding_view_types": "list,form",
        "display_name": "Invoices",
        "view_id": [list_view, "account.out.invoice.list"],
        "domain": format!("[('move_type', 'in', ['out_invoice', 'out_refund'{receipts}])]"),
        "context": context,
        "res_model": MOVE,
        "target": "current",
        "view_mode": "list,kanban,form,activity",
        "mobile_view_mode": "kanban",
        "views": [[list_view, "list"], [false, "kanban"], [form_view, "form"], [false, "activity"]],
        "limit": 80,
        "search_view_id": [search_view, "account.invoice.select"],
        "embedded_action_ids": [],
        "filter": false,
    });
    match db.version {
        OdooVersion::V18 => action["groups_id"] = json!([]),
        OdooVersion::V19 => {
            action["group_ids"] = json!([]);
            action["cache"] = json!(true);
        }
    }
    match invoices {
        [invoice] => {
            action["views"] = json!([[form_view, "form"], [list_view, "list"], [false, "kanban"], [false, "activity"]]);
            action["res_id"] = json!(invoice);
        }
        many => action["domain"] = json!([["id", "in", many]]),
    }
    action
}

/// What `sale` does when invoices change state: a down payment line's description follows its
/// invoice ("Down Payment: date (Draft)", "Down Payment (ref: INV/... on date)"), and once posted
/// its price and taxes are those of its posted down payment invoices.
pub(crate) fn on_state_change(db: &mut Database, moves: &[i64]) {
    let mut down_payments: Vec<i64> = Vec::new();
    for mv in moves {
        for line in account_move::lines_of(db, *mv) {
            for sale_line in ids(&db.get(LINE, line, "sale_line_ids")) {
                if db.get_bool(ORDER_LINE, sale_line, "is_downpayment")
                    && db.get_str(ORDER_LINE, sale_line, "display_type").is_empty()
                    && !down_payments.contains(&sale_line)
                {
                    down_payments.push(sale_line);
                }
            }
        }
    }
    for sale_line in down_payments {
        let name = down_payment_description(db, sale_line);
        db.set(ORDER_LINE, sale_line, "name", json!(name));
        let order = db.get_i64(ORDER_LINE, sale_line, "order_id").unwrap_or_default();
        if db.get_bool(ORDER, order, "locked") {
            continue;
        }
        // Invoices of the order's other lines are not down payment invoices.
        let real: Vec<i64> = db
            .ids_where(ORDER_LINE, "order_id", order)
            .into_iter()
            .filter(|l| *l != sale_line && !db.get_bool(ORDER_LINE, *l, "is_downpayment"))
            .flat_map(|l| invoice_lines(db, l))
            .filter_map(|l| db.get_i64(LINE, l, "move_id"))
            .collect();
        let lines = invoice_lines(db, sale_line);
        let price: f64 = lines
            .iter()
            .filter_map(|l| {
                let mv = db.get_i64(LINE, *l, "move_id").unwrap_or_default();
                (db.get_str(MOVE, mv, "state") == "posted" && !real.contains(&mv)).then(|| {
                    let sign = if db.get_str(MOVE, mv, "move_type") == "out_invoice" { 1.0 } else { -1.0 };
                    sign * db.get_f64(LINE, *l, "price_unit")
                })
            })
            .sum();
        if lines
            .iter()
            .any(|l| db.get_str(MOVE, db.get_i64(LINE, *l, "move_id").unwrap_or_default(), "state") == "posted")
        {
            db.set(ORDER_LINE, sale_line, "price_unit", json!(price));
            let taxes: Vec<i64> = lines.iter().flat_map(|l| ids(&db.get(LINE, *l, "tax_ids"))).collect();
            let mut taxes = taxes;
            taxes.sort_unstable();
            taxes.dedup();
            db.set(ORDER_LINE, sale_line, Flow::Sale.tax_field(db.version), json!(taxes));
        }
    }
}

/// `_get_downpayment_description` of a down payment line.
fn down_payment_description(db: &Database, sale_line: i64) -> String {
    let lines = invoice_lines(db, sale_line);
    let state = |l: &i64| db.get_str(MOVE, db.get_i64(LINE, *l, "move_id").unwrap_or_default(), "state");
    if lines.iter().all(|l| state(l) == "draft") {
        let created = db.get_str(ORDER_LINE, sale_line, "create_date");
        return format!("Down Payment: {} (Draft)", us_date(created.get(..10).unwrap_or_default()));
    }
    if lines.iter().all(|l| state(l) == "cancel") {
        return "Down Payment (Cancelled)".to_owned();
    }
    let mut invoices: Vec<i64> = lines
        .iter()
        .filter(|l| db.get_f64(LINE, **l, "quantity") >= 0.0)
        .filter_map(|l| db.get_i64(LINE, *l, "move_id"))
        .filter(|m| db.get_str(MOVE, *m, "move_type") == "out_invoice")
        .collect();
    invoices.dedup();
    match invoices.as_slice() {
        [invoice] => {
            let (reference, date) =
                (db.get_str(MOVE, *invoice, "payment_reference"), db.get_str(MOVE, *invoice, "invoice_date"));
            if reference.is_empty() || date.is_empty() {
                "Down Payment".to_owned()
            } else {
                format!("Down Payment (ref: {reference} on {})", us_date(&date))
            }
        }
        _ => "Down Payment".to_owned(),
    }
}

/// `sale`'s `account.move.unlink`: down payment lines invoiced only by the deleted invoices go.
pub(crate) fn forget_down_payments(db: &mut Database, moves: &[i64]) {
    let mut candidates: Vec<i64> = Vec::new();
    for mv in moves {
        for line in account_move::lines_of(db, *mv) {
            candidates.extend(ids(&db.get(LINE, line, "sale_line_ids")));
        }
    }
    for sale_line in candidates {
        let only_these = invoice_lines(db, sale_line)
            .iter()
            .all(|l| db.get_i64(LINE, *l, "move_id").is_some_and(|m| moves.contains(&m)));
        if db.get_bool(ORDER_LINE, sale_line, "is_downpayment") && only_these {
            db.remove(ORDER_LINE, sale_line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{python_float, us_date};

    #[test]
    fn descriptions_show_numbers_and_dates_as_odoo_does() {
        assert_eq!(python_float(10.0), "10.0");
        assert_eq!(python_float(12.5), "12.5");
        assert_eq!(us_date("2026-11-23"), "11/23/2026");
    }
}
