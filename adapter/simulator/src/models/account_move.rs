//! Journal entries and their items (`account.move`, `account.move.line`, module `account`; `sale`
//! and `purchase` link items to order lines), and the partial reconciliations between items
//! (`account.partial.reconcile`).
//!
//! An invoice, bill or credit note keeps its product lines as given and its other lines in step
//! with them while it is a draft, as Odoo's `_sync_dynamic_lines` does: one tax line per tax and one
//! receivable (or payable) line for the total, due when its payment term says. Each item keeps its
//! amount in the document's currency and its balance in the company's, rounded as Odoo rounds them,
//! so the totals are Odoo's to the cent. Posting numbers the entry in its journal's sequence and
//! freezes it; paying or crediting it reconciles its receivable line with the other entry's, and
//! its residual and payment state follow from those reconciliations.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{
    account::{self, JOURNAL, or_false},
    account_tax::{self, Mode},
    company::company_currency,
    currency, ids, mail,
};
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

pub(crate) const MOVE: &str = "account.move";
pub(crate) const LINE: &str = "account.move.line";
pub(crate) const PARTIAL: &str = "account.partial.reconcile";

const MOVE_TYPE: &[(&str, &str)] = &[
    ("entry", "Journal Entry"),
    ("out_invoice", "Customer Invoice"),
    ("out_refund", "Customer Credit Note"),
    ("in_invoice", "Vendor Bill"),
    ("in_refund", "Vendor Credit Note"),
    ("out_receipt", "Sales Receipt"),
    ("in_receipt", "Purchase Receipt"),
];
const STATE: &[(&str, &str)] = &[("draft", "Draft"), ("posted", "Posted"), ("cancel", "Cancelled")];
const PAYMENT_STATE: &[(&str, &str)] = &[
    ("not_paid", "Not Paid"),
    ("in_payment", "In Payment"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("reversed", "Reversed"),
    ("blocked", "Blocked"),
    ("invoicing_legacy", "Invoicing App Legacy"),
];
const AUTO_POST: &[(&str, &str)] =
    &[("no", "No"), ("at_date", "At Date"), ("monthly", "Monthly"), ("quarterly", "Quarterly"), ("yearly", "Yearly")];
const DISPLAY_TYPE: &[(&str, &str)] = &[
    ("product", "Product"),
    ("cogs", "Cost of Goods Sold"),
    ("tax", "Tax"),
    ("discount", "Discount"),
    ("rounding", "Rounding"),
    ("payment_term", "Payment Term"),
    ("line_section", "Section"),
    ("line_note", "Note"),
    ("epd", "Early Payment Discount"),
];

/// The kind of account an item is booked on (`account_id.account_type`), kept as `__account_type`
/// since the simulator has no chart of accounts: what decides reconciliation and credit.
pub(crate) const RECEIVABLE: &str = "asset_receivable";
pub(crate) const PAYABLE: &str = "liability_payable";
/// A bank journal's outstanding receipts or payments: reconcilable, matched by a bank statement.
pub(crate) const OUTSTANDING: &str = "asset_current";
const INCOME: &str = "income";
const EXPENSE: &str = "expense";
const TAX_ACCOUNT: &str = "liability_current";

/// Marks an entry whose lines are being created with it: their tax and receivable lines are made
/// once, after them.
const CREATING: &str = "__creating";

/// Fields a posted entry keeps (`account.move.write`'s `unmodifiable_fields`).
const POSTED_FIELDS: [&str; 10] = [
    "invoice_line_ids",
    "line_ids",
    "invoice_date",
    "date",
    "partner_id",
    "partner_bank_id",
    "invoice_payment_term_id",
    "currency_id",
    "fiscal_position_id",
    "invoice_cash_rounding_id",
];

/// An item's fields that change amounts: frozen once the entry is posted.
const AMOUNT_FIELDS: [&str; 6] = ["quantity", "price_unit", "discount", "tax_ids", "product_id", "balance"];

pub(crate) fn is_invoice(move_type: &str) -> bool {
    move_type != "entry" && !move_type.is_empty()
}

pub(crate) fn is_sale(move_type: &str) -> bool {
    move_type.starts_with("out_")
}

pub(crate) fn is_purchase(move_type: &str) -> bool {
    move_type.starts_with("in_")
}

/// Money comes in: customer invoices and receipts, vendor credit notes.
pub(crate) fn is_inbound(move_type: &str) -> bool {
    matches!(move_type, "out_invoice" | "in_refund" | "out_receipt")
}

/// Odoo's `direction_sign`: -1 for inbound documents (their product lines are credits), else 1.
fn direction_sign(move_type: &str) -> f64 {
    if move_type == "entry" || !is_inbound(move_type) { 1.0 } else { -1.0 }
}

/// `TYPE_REVERSE_MAP`: what reverses a document.
pub(crate) fn reverse_type(move_type: &str) -> &'static str {
    match move_type {
        "out_invoice" | "out_receipt" => "out_refund",
        "out_refund" => "out_invoice",
        "in_invoice" | "in_receipt" => "in_refund",
        "in_refund" => "in_invoice",
        _ => "entry",
    }
}

pub(crate) struct Move;

impl Model for Move {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(MOVE, "Journal Entry", "account", "date desc, name desc, invoice_date desc, id desc")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Number")
            .stored("move_type", selection(MOVE_TYPE), "Type")
            .required("move_type")
            .default("move_type", json!("entry"))
            .stored("state", selection(STATE), "Status")
            .required("state")
            .default("state", json!("draft"))
            .stored_computed("payment_state", selection(PAYMENT_STATE), "Payment Status")
            .stored("date", Date, "Date")
            .required("date")
            .stored("invoice_date", Date, "Invoice/Bill Date")
            .stored("invoice_date_due", Date, "Due Date")
            .stored("partner_id", Many2one("res.partner"), "Partner")
            .stored_computed("commercial_partner_id", Many2one("res.partner"), "Commercial Entity")
            .stored("partner_shipping_id", Many2one("res.partner"), "Delivery Address")
            .stored("ref", Char, "Reference")
            .stored("payment_reference", Char, "Payment Reference")
            .stored("invoice_origin", Char, "Origin")
            .stored("narration", Html, "Terms and Conditions")
            .stored("journal_id", Many2one(JOURNAL), "Journal")
            .required("journal_id")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(super::company::COMPANY))
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .required("currency_id")
            .computed("company_currency_id", Many2one("res.currency"), "Company Currency")
            .stored("invoice_payment_term_id", Many2one("account.payment.term"), "Payment Terms")
            .stored("fiscal_position_id", Many2one("account.fiscal.position"), "Fiscal Position")
            .stored("line_ids", One2many(LINE, "move_id"), "Journal Items")
            .stored("invoice_line_ids", One2many(LINE, "move_id"), "Invoice lines")
            .domain("invoice_line_ids", json!([["display_type", "in", ["product", "line_section", "line_note"]]]))
            .stored_computed("amount_untaxed", Monetary, "Untaxed Amount")
            .stored_computed("amount_tax", Monetary, "Tax")
            .stored_computed("amount_total", Monetary, "Total")
            .stored_computed("amount_residual", Monetary, "Amount Due")
            .stored_computed("amount_untaxed_signed", Monetary, "Untaxed Amount Signed")
            .stored_computed("amount_tax_signed", Monetary, "Tax Signed")
            .stored_computed("amount_total_signed", Monetary, "Total Signed")
            .stored_computed("amount_residual_signed", Monetary, "Amount Due Signed")
            .stored_computed("amount_total_in_currency_signed", Monetary, "Total in Currency Signed")
            .stored("reversed_entry_id", Many2one(MOVE), "Reversal of")
            .stored("reversal_move_ids", One2many(MOVE, "reversed_entry_id"), "Reversal Move")
            .stored("matched_payment_ids", Many2many("account.payment"), "Matched Payments")
            .stored("origin_payment_id", Many2one("account.payment"), "Payment")
            .stored("auto_post", selection(AUTO_POST), "Auto-post")
            .required("auto_post")
            .default("auto_post", json!("no"))
            .stored("posted_before", Boolean, "Posted Before");
        match version {
            // What the partner owes, shown on the invoice (gone in 19).
            OdooVersion::V18 => f.computed("partner_credit", Monetary, "Partner Credit"),
            OdooVersion::V19 => {
                f.computed("reconciled_payment_ids", Many2many("account.payment"), "Reconciled Payments")
            }
        };
        mail::thread_fields(f);
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "payment_state" => json!(payment_state(db, id)),
            "commercial_partner_id" => {
                or_false(db.get_i64(MOVE, id, "partner_id").map(|p| super::partner::commercial_partner(db, p)))
            }
            "company_currency_id" => json!(company_currency(db)),
            "partner_credit" => {
                let partner = db.get_i64(MOVE, id, "partner_id").unwrap_or_default();
                json!(super::partner::credit(db, super::partner::commercial_partner(db, partner)))
            }
            "reconciled_payment_ids" => json!(reconciled_payments(db, id)),
            field if field.starts_with("amount_") => json!(amounts(db, id).get(field).copied().unwrap_or_default()),
            _ => return mail::compute_thread(db, MOVE, id, field),
        })
    }

    fn display_name(&self, db: &Database, _env: &Env, id: i64) -> Option<String> {
        Some(move_display_name(db, id))
    }

    fn fills_required(&self, field: &str) -> bool {
        matches!(field, "date" | "journal_id" | "currency_id")
    }

    /// Odoo's defaults for a new entry: the journal of its type, that journal's (or the company's)
    /// currency, the date, the partner's payment term; 18 names a draft "/".
    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        let move_type = db.get_str(MOVE, id, "move_type");
        if db.get_i64(MOVE, id, "journal_id").is_none() {
            let kind = if is_sale(&move_type) {
                "sale"
            } else if is_purchase(&move_type) {
                "purchase"
            } else {
                "general"
            };
            db.set(MOVE, id, "journal_id", or_false(account::journal_of_type(db, kind)));
        }
        if db.get_i64(MOVE, id, "currency_id").is_none() {
            let journal = db.get_i64(MOVE, id, "journal_id").unwrap_or_default();
            let currency = db.get_i64(JOURNAL, journal, "currency_id").unwrap_or_else(|| company_currency(db));
            db.set(MOVE, id, "currency_id", json!(currency));
        }
        if db.version == OdooVersion::V18 && db.get_str(MOVE, id, "name").is_empty() {
            db.set(MOVE, id, "name", json!("/"));
        }
        if db.row(MOVE, id).is_some_and(|r| !r.contains_key("invoice_payment_term_id")) {
            let partner = db.get_i64(MOVE, id, "partner_id").unwrap_or_default();
            let term = if is_sale(&move_type) {
                db.get_i64("res.partner", partner, "property_payment_term_id")
            } else if is_purchase(&move_type) {
                db.get_i64("res.partner", partner, "property_supplier_payment_term_id")
            } else {
                None
            };
            db.set(MOVE, id, "invoice_payment_term_id", or_false(term));
        }
        if db.get_str(MOVE, id, "date").is_empty() {
            let invoice_date = db.get_str(MOVE, id, "invoice_date");
            db.set(MOVE, id, "date", json!(if invoice_date.is_empty() { today() } else { invoice_date }));
        }
        // Its lines are created next; the dynamic ones follow once they all exist, as in Odoo.
        db.set_private(MOVE, id, CREATING, json!(true));
        Ok(())
    }

    fn after_create(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        if let Some(row) = db.tables.get_mut(MOVE).and_then(|t| t.rows.get_mut(&id)) {
            row.remove(CREATING);
        }
        sync(db, id);
        Ok(())
    }

    fn before_write(&self, db: &Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        for id in ids {
            let state =
                vals.get("state").and_then(Value::as_str).map_or_else(|| db.get_str(MOVE, *id, "state"), str::to_owned);
            let frozen: Vec<&str> = vals.keys().map(String::as_str).filter(|k| POSTED_FIELDS.contains(k)).collect();
            if state == "posted" && !frozen.is_empty() {
                return Err(SimError::user(format!(
                    "You cannot modify the following readonly fields on a posted move: {}",
                    frozen.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], _vals: &Map<String, Value>) -> SimResult<()> {
        for id in ids {
            sync(db, *id);
        }
        Ok(())
    }

    fn before_unlink(&self, db: &Database, _env: &Env, ids: &[i64]) -> SimResult<()> {
        for id in ids {
            if lines_of(db, *id).iter().any(|l| !partials_of(db, *l).is_empty()) {
                return Err(reconciled_entry(db, *id));
            }
        }
        Ok(())
    }

    /// The items go with the entry, and the down payment lines its order had for it (`sale`).
    fn on_unlink(&self, db: &mut Database, ids: &[i64]) {
        if db.installed("sale") {
            super::sale_invoicing::forget_down_payments(db, ids);
        }
        for id in ids {
            for line in lines_of(db, *id) {
                db.remove(LINE, line);
            }
        }
    }

    fn methods(&self, db: &Database) -> Vec<Method> {
        let on_records =
            |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        let mut methods = vec![
            on_records("action_post", action_post as fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>),
            on_records("button_draft", button_draft),
            on_records("button_cancel", button_cancel),
            on_records("action_register_payment", action_register_payment),
            on_records("action_reverse", action_reverse),
        ];
        methods.extend(mail::message_post(db));
        methods
    }
}

/// Odoo's `_get_move_display_name(show_ref=True)`: "Draft Invoice" while a draft, the number once
/// posted, and the reference in brackets.
fn move_display_name(db: &Database, id: i64) -> String {
    let mut name = String::new();
    if db.get_str(MOVE, id, "state") == "draft" {
        let label = match db.get_str(MOVE, id, "move_type").as_str() {
            "out_invoice" => "Draft Invoice",
            "out_refund" => "Draft Credit Note",
            "in_invoice" => "Draft Bill",
            "in_refund" => "Draft Vendor Credit Note",
            "out_receipt" => "Draft Sales Receipt",
            "in_receipt" => "Draft Purchase Receipt",
            _ => "Draft Entry",
        };
        name.push_str(label);
        name.push(' ');
    }
    let number = db.get_str(MOVE, id, "name");
    if !number.is_empty() && number != "/" {
        name.push_str(&number);
    }
    let reference = db.get_str(MOVE, id, "ref");
    if !reference.is_empty() {
        name.push_str(&format!(" ({})", shorten(&reference, 50)));
    }
    name
}

/// Python's `textwrap.shorten`: whitespace collapsed, cut at a word with " [...]" past `width`.
fn shorten(text: &str, width: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= width {
        return collapsed;
    }
    let mut kept = String::new();
    for word in collapsed.split(' ') {
        let candidate = if kept.is_empty() { word.to_owned() } else { format!("{kept} {word}") };
        if candidate.chars().count() + " [...]".len() > width {
            break;
        }
        kept = candidate;
    }
    format!("{kept} [...]").trim_start().to_owned()
}

/// The entry's items, in id order.
pub(crate) fn lines_of(db: &Database, mv: i64) -> Vec<i64> {
    db.ids_where(LINE, "move_id", mv)
}

fn lines_of_type(db: &Database, mv: i64, display_type: &str) -> Vec<i64> {
    lines_of(db, mv).into_iter().filter(|l| db.get_str(LINE, *l, "display_type") == display_type).collect()
}

/// An invoice's receivable or payable lines (its payment term lines), or a payment's.
pub(crate) fn counterpart_lines(db: &Database, mv: i64) -> Vec<i64> {
    lines_of(db, mv)
        .into_iter()
        .filter(|l| matches!(db.get_str(LINE, *l, "__account_type").as_str(), RECEIVABLE | PAYABLE))
        .collect()
}

/// Keeps a draft invoice's dynamic lines in step with its product lines (`_sync_dynamic_lines`):
/// each product line priced by its taxes, one tax line per tax, one receivable or payable line
/// for the total with the due date of the payment term. Posted entries are left as they are.
pub(crate) fn sync(db: &mut Database, mv: i64) {
    let move_type = db.get_str(MOVE, mv, "move_type");
    if db.get_str(MOVE, mv, "state") != "draft" || !is_invoice(&move_type) {
        return;
    }
    let currency = db.get_i64(MOVE, mv, "currency_id").unwrap_or_else(|| company_currency(db));
    let precision = currency::rounding(db, currency);
    let sign = direction_sign(&move_type);
    let partner = or_false(db.get_i64(MOVE, mv, "partner_id").map(|p| super::partner::commercial_partner(db, p)));
    let invoice_date = db.get_str(MOVE, mv, "invoice_date");
    if !invoice_date.is_empty() && db.get_str(MOVE, mv, "date") != invoice_date {
        db.set(MOVE, mv, "date", json!(invoice_date));
    }
    let mut per_tax: BTreeMap<i64, (f64, f64, f64)> = BTreeMap::new();
    let (mut total_currency, mut total_balance) = (0.0, 0.0);
    let products = lines_of_type(db, mv, "product");
    for line in &products {
        let price = db.get_f64(LINE, *line, "price_unit") * (1.0 - db.get_f64(LINE, *line, "discount") / 100.0);
        let taxes = ids(&db.get(LINE, *line, "tax_ids"));
        let details =
            account_tax::compute(db, &taxes, price, db.get_f64(LINE, *line, "quantity"), precision, Mode::Normal);
        let subtotal = currency::round(db, currency, details.total_excluded);
        let amount_currency = sign * subtotal;
        let balance = currency::to_company(db, amount_currency, currency);
        for (field, value) in [
            ("price_subtotal", json!(subtotal)),
            ("price_total", json!(currency::round(db, currency, details.total_included))),
            ("amount_currency", json!(amount_currency)),
            ("balance", json!(balance)),
            ("currency_id", json!(currency)),
            ("partner_id", partner.clone()),
        ] {
            db.set(LINE, *line, field, value);
        }
        total_currency += amount_currency;
        total_balance += balance;
        for tax in details.taxes {
            let entry = per_tax.entry(tax.tax).or_default();
            entry.0 += sign * tax.amount;
            entry.1 += currency::to_company(db, sign * tax.amount, currency);
            entry.2 += tax.base;
        }
    }
    let mut existing = lines_of_type(db, mv, "tax");
    for (tax, (amount_currency, balance, base)) in per_tax {
        if currency::is_zero(db, currency, amount_currency) {
            continue;
        }
        let line = match existing.iter().position(|l| db.get_i64(LINE, *l, "tax_line_id") == Some(tax)) {
            Some(at) => existing.remove(at),
            None => db.insert(
                LINE,
                row(&[
                    ("move_id", json!(mv)),
                    ("display_type", json!("tax")),
                    ("name", db.get("account.tax", tax, "name")),
                    ("tax_line_id", json!(tax)),
                    ("quantity", json!(1.0)),
                    ("sequence", json!(10)),
                    ("__account_type", json!(TAX_ACCOUNT)),
                ]),
            ),
        };
        let amount_currency = currency::round(db, currency, amount_currency);
        for (field, value) in [
            ("amount_currency", json!(amount_currency)),
            ("balance", json!(currency::round(db, company_currency(db), balance))),
            ("tax_base_amount", json!(currency::round(db, currency, base))),
            ("currency_id", json!(currency)),
            ("partner_id", partner.clone()),
        ] {
            db.set(LINE, line, field, value);
        }
        total_currency += amount_currency;
        total_balance += balance;
    }
    for stale in existing {
        db.remove(LINE, stale);
    }
    let due = due_date(db, mv);
    db.set(MOVE, mv, "invoice_date_due", json!(due));
    let terms = lines_of_type(db, mv, "payment_term");
    if products.is_empty() {
        terms.iter().for_each(|t| db.remove(LINE, *t));
        return;
    }
    let term = terms.first().copied().unwrap_or_else(|| {
        let account_type = if is_sale(&move_type) { RECEIVABLE } else { PAYABLE };
        db.insert(
            LINE,
            row(&[
                ("move_id", json!(mv)),
                ("display_type", json!("payment_term")),
                ("quantity", json!(1.0)),
                ("sequence", json!(10)),
                ("__account_type", json!(account_type)),
            ]),
        )
    });
    terms.iter().skip(1).for_each(|t| db.remove(LINE, *t));
    for (field, value) in [
        ("amount_currency", json!(currency::round(db, currency, -total_currency))),
        ("balance", json!(currency::round(db, company_currency(db), -total_balance))),
        ("date_maturity", json!(due)),
        ("currency_id", json!(currency)),
        ("partner_id", partner),
        ("name", json!(term_line_name(db, mv))),
    ] {
        db.set(LINE, term, field, value);
    }
}

/// When the invoice falls due: as its payment term says from the invoice date (today until there
/// is one), else the due date it has (today for a new one).
fn due_date(db: &Database, mv: i64) -> String {
    let invoice_date = db.get_str(MOVE, mv, "invoice_date");
    let reference = if invoice_date.is_empty() { today() } else { invoice_date };
    match db.get_i64(MOVE, mv, "invoice_payment_term_id") {
        Some(term) => account::due_date(db, term, &reference),
        None => {
            let due = db.get_str(MOVE, mv, "invoice_date_due");
            if due.is_empty() { reference } else { due }
        }
    }
}

/// The receivable line's label: the reference and the payment reference, or either.
fn term_line_name(db: &Database, mv: i64) -> String {
    let (reference, payment_reference) = (db.get_str(MOVE, mv, "ref"), db.get_str(MOVE, mv, "payment_reference"));
    match (reference.is_empty(), payment_reference.is_empty()) {
        (false, false) => format!("{reference} - {payment_reference}"),
        _ => payment_reference,
    }
}

/// The amounts of an entry (`_compute_amount`), from its items' amounts and residuals.
fn amounts(db: &Database, mv: i64) -> BTreeMap<&'static str, f64> {
    let move_type = db.get_str(MOVE, mv, "move_type");
    let invoice = is_invoice(&move_type);
    let (mut untaxed, mut untaxed_currency, mut tax, mut tax_currency) = (0.0, 0.0, 0.0, 0.0);
    let (mut residual, mut residual_currency, mut total, mut total_currency) = (0.0, 0.0, 0.0, 0.0);
    for line in lines_of(db, mv) {
        let (balance, amount_currency) = (db.get_f64(LINE, line, "balance"), db.get_f64(LINE, line, "amount_currency"));
        if !invoice {
            if balance > 0.0 {
                total += balance;
                total_currency += amount_currency;
            }
            continue;
        }
        match db.get_str(LINE, line, "display_type").as_str() {
            "tax" => {
                tax += balance;
                tax_currency += amount_currency;
                total += balance;
                total_currency += amount_currency;
            }
            "product" | "rounding" => {
                untaxed += balance;
                untaxed_currency += amount_currency;
                total += balance;
                total_currency += amount_currency;
            }
            "payment_term" => {
                let (company, in_currency) = residuals(db, line);
                residual += company;
                residual_currency += in_currency;
            }
            _ => {}
        }
    }
    let currency = db.get_i64(MOVE, mv, "currency_id").unwrap_or_else(|| company_currency(db));
    let company = company_currency(db);
    let sign = direction_sign(&move_type);
    let amount_total = currency::round(db, currency, sign * total_currency);
    let entry = move_type == "entry";
    BTreeMap::from([
        ("amount_untaxed", currency::round(db, currency, sign * untaxed_currency)),
        ("amount_tax", currency::round(db, currency, sign * tax_currency)),
        ("amount_total", amount_total),
        ("amount_residual", currency::round(db, currency, -sign * residual_currency)),
        ("amount_untaxed_signed", currency::round(db, company, -untaxed)),
        ("amount_tax_signed", currency::round(db, company, -tax)),
        ("amount_total_signed", currency::round(db, company, if entry { total.abs() } else { -total })),
        ("amount_residual_signed", currency::round(db, company, residual)),
        ("amount_total_in_currency_signed", if entry { amount_total.abs() } else { -(sign * amount_total) }),
    ])
}

/// One amount of an entry.
pub(crate) fn amount(db: &Database, mv: i64, field: &str) -> f64 {
    amounts(db, mv).get(field).copied().unwrap_or_default()
}

/// The partial reconciliations an item takes part in.
fn partials_of(db: &Database, line: i64) -> Vec<i64> {
    let mut partials = db.ids_where(PARTIAL, "debit_move_id", line);
    partials.extend(db.ids_where(PARTIAL, "credit_move_id", line));
    partials
}

/// An item's residual, in the company's currency and its own: its balance less what reconciled it.
pub(crate) fn residuals(db: &Database, line: i64) -> (f64, f64) {
    let (mut company, mut own) = (db.get_f64(LINE, line, "balance"), db.get_f64(LINE, line, "amount_currency"));
    for partial in db.ids_where(PARTIAL, "debit_move_id", line) {
        company -= db.get_f64(PARTIAL, partial, "amount");
        own -= db.get_f64(PARTIAL, partial, "debit_amount_currency");
    }
    for partial in db.ids_where(PARTIAL, "credit_move_id", line) {
        company += db.get_f64(PARTIAL, partial, "amount");
        own += db.get_f64(PARTIAL, partial, "credit_amount_currency");
    }
    let currency = db.get_i64(LINE, line, "currency_id").unwrap_or_else(|| company_currency(db));
    (currency::round(db, company_currency(db), company), currency::round(db, currency, own))
}

fn is_reconcilable(db: &Database, line: i64) -> bool {
    matches!(db.get_str(LINE, line, "__account_type").as_str(), RECEIVABLE | PAYABLE | OUTSTANDING)
}

/// Whether nothing is left open on an item.
fn is_reconciled(db: &Database, line: i64) -> bool {
    let (company, own) = residuals(db, line);
    let currency = db.get_i64(LINE, line, "currency_id").unwrap_or_else(|| company_currency(db));
    is_reconcilable(db, line)
        && currency::is_zero(db, company_currency(db), company)
        && currency::is_zero(db, currency, own)
}

/// The entries on the other side of an entry's receivable and payable lines' reconciliations.
pub(crate) fn counterpart_moves(db: &Database, mv: i64) -> Vec<i64> {
    let mut moves = Vec::new();
    for line in counterpart_lines(db, mv) {
        for partial in partials_of(db, line) {
            for side in ["debit_move_id", "credit_move_id"] {
                let other = db.get_i64(PARTIAL, partial, side).unwrap_or_default();
                let other_move = db.get_i64(LINE, other, "move_id").unwrap_or_default();
                if other_move != mv && !moves.contains(&other_move) {
                    moves.push(other_move);
                }
            }
        }
    }
    moves
}

/// Odoo's `_compute_payment_state` as Community has it (no `in_payment` without the accountant
/// module): paid when nothing is due; reversed when only credit notes settled it; partial when
/// something reconciled it; not paid otherwise.
pub(crate) fn payment_state(db: &Database, mv: i64) -> &'static str {
    let move_type = db.get_str(MOVE, mv, "move_type");
    if db.get_str(MOVE, mv, "state") != "posted" || !is_invoice(&move_type) {
        return "not_paid";
    }
    let currency = db.get_i64(MOVE, mv, "currency_id").unwrap_or_else(|| company_currency(db));
    let counterparts = counterpart_moves(db, mv);
    if currency::is_zero(db, currency, amount(db, mv, "amount_residual")) {
        if counterparts.iter().any(|m| db.get_i64(MOVE, *m, "origin_payment_id").is_some()) {
            return "paid";
        }
        let types: std::collections::BTreeSet<String> =
            counterparts.iter().map(|m| db.get_str(MOVE, *m, "move_type")).collect();
        let only =
            |wanted: &str| types.iter().any(|t| t == wanted) && types.iter().all(|t| t == wanted || t == "entry");
        let reversed = match move_type.as_str() {
            "out_invoice" | "out_receipt" => only("out_refund"),
            "in_invoice" | "in_receipt" => only("in_refund"),
            _ => !types.is_empty() && types.iter().all(|t| t == "entry"),
        };
        return if reversed { "reversed" } else { "paid" };
    }
    if counterparts.is_empty() { "not_paid" } else { "partial" }
}

/// The payments whose entries reconciled this one (19's `reconciled_payment_ids`).
fn reconciled_payments(db: &Database, mv: i64) -> Vec<i64> {
    counterpart_moves(db, mv).into_iter().filter_map(|m| db.get_i64(MOVE, m, "origin_payment_id")).collect()
}

/// Reconciles open receivable or payable items together, oldest first, each debit with the
/// credits until one side is settled (`account.move.line.reconcile`); the entries concerned are
/// touched, as Odoo rewrites their stored residuals and payment states.
pub(crate) fn reconcile(db: &mut Database, lines: &[i64]) {
    let open = |db: &Database, positive: bool| -> Vec<i64> {
        let mut open: Vec<i64> = lines
            .iter()
            .copied()
            .filter(|l| {
                let (company, own) = residuals(db, *l);
                if positive { company > 0.0 || own > 0.0 } else { company < 0.0 || own < 0.0 }
            })
            .collect();
        open.sort_by_key(|l| (db.get_str(LINE, *l, "date_maturity"), *l));
        open
    };
    let company = company_currency(db);
    loop {
        let (debits, credits) = (open(db, true), open(db, false));
        let (Some(debit), Some(credit)) = (debits.first().copied(), credits.first().copied()) else { break };
        let (debit_residual, debit_own) = residuals(db, debit);
        let (credit_residual, credit_own) = residuals(db, credit);
        let same_currency = db.get_i64(LINE, debit, "currency_id") == db.get_i64(LINE, credit, "currency_id");
        let (amount, debit_amount_currency, credit_amount_currency) = if same_currency {
            let own = debit_own.min(-credit_own);
            let company_part = |residual: f64, own_residual: f64| {
                if (own - own_residual.abs()).abs() < 1e-9 {
                    residual.abs()
                } else {
                    residual.abs() * own / own_residual.abs()
                }
            };
            let amount = company_part(debit_residual, debit_own).min(company_part(credit_residual, credit_own));
            (currency::round(db, company, amount), own, own)
        } else {
            let amount = debit_residual.min(-credit_residual);
            let own_part = |line: i64, residual: f64, own_residual: f64| {
                let line_currency = db.get_i64(LINE, line, "currency_id").unwrap_or(company);
                if (amount - residual.abs()).abs() < 1e-9 {
                    own_residual.abs()
                } else {
                    currency::round(db, line_currency, amount * own_residual.abs() / residual.abs())
                }
            };
            (amount, own_part(debit, debit_residual, debit_own), own_part(credit, credit_residual, credit_own))
        };
        if amount <= 0.0 && debit_amount_currency <= 0.0 {
            break;
        }
        db.insert(
            PARTIAL,
            row(&[
                ("debit_move_id", json!(debit)),
                ("credit_move_id", json!(credit)),
                ("amount", json!(amount)),
                ("debit_amount_currency", json!(debit_amount_currency)),
                ("credit_amount_currency", json!(credit_amount_currency)),
                ("company_id", json!(super::company::COMPANY)),
            ]),
        );
        for line in [debit, credit] {
            let mv = db.get_i64(LINE, line, "move_id").unwrap_or_default();
            db.touch(LINE, line);
            db.touch(MOVE, mv);
        }
    }
    let moves: Vec<i64> = lines.iter().filter_map(|l| db.get_i64(LINE, *l, "move_id")).collect();
    super::account_payment::refresh_states(db, &moves);
}

/// Undoes the reconciliations of an entry's items (`remove_move_reconcile`).
pub(crate) fn unreconcile(db: &mut Database, mv: i64) {
    let mut touched = vec![mv];
    for line in lines_of(db, mv) {
        for partial in partials_of(db, line) {
            for side in ["debit_move_id", "credit_move_id"] {
                let other = db.get_i64(PARTIAL, partial, side).unwrap_or_default();
                touched.extend(db.get_i64(LINE, other, "move_id"));
            }
            db.remove(PARTIAL, partial);
        }
    }
    for mv in touched {
        db.touch(MOVE, mv);
    }
}

/// The next number of a journal's sequence for an entry of this date: yearly for sales, bank and
/// cash journals ("INV/2026/00001"), monthly for the others ("BILL/2026/11/0001"), with its own
/// prefix for credit notes ("RINV/...") and payments ("PBNK1/...") where the journal says so
/// (`_get_starting_sequence`).
fn next_name(db: &Database, journal: i64, date: &str, refund: bool, payment: bool) -> String {
    let code = db.get_str(JOURNAL, journal, "code");
    let year = date.get(..4).unwrap_or("2026");
    let yearly = matches!(db.get_str(JOURNAL, journal, "type").as_str(), "sale" | "bank" | "cash" | "credit");
    let mut prefix =
        if yearly { format!("{code}/{year}/") } else { format!("{code}/{year}/{}/", date.get(5..7).unwrap_or("01")) };
    if refund && db.get_bool(JOURNAL, journal, "refund_sequence") {
        prefix.insert(0, 'R');
    }
    if payment && db.get_bool(JOURNAL, journal, "payment_sequence") {
        prefix.insert(0, 'P');
    }
    let last = db
        .table(MOVE)
        .rows
        .values()
        .filter_map(|r| r.get("name")?.as_str()?.strip_prefix(prefix.as_str())?.parse::<u32>().ok())
        .max()
        .unwrap_or(0);
    if yearly { format!("{prefix}{:05}", last + 1) } else { format!("{prefix}{:04}", last + 1) }
}

/// `action_post`: posts the entries and answers `false`.
fn action_post(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    post(db, args.ids)?;
    Ok(Outcome::Value(json!(false)))
}

/// `_post(soft=False)`: checks every entry (all problems in one `UserError`), dates a customer
/// invoice without a date today, numbers each entry, then reconciles credit notes with the
/// invoices they reverse.
pub(crate) fn post(db: &mut Database, moves: &[i64]) -> SimResult<()> {
    let mut problems: Vec<String> = Vec::new();
    let mut problem = |text: String| {
        if !problems.contains(&text) {
            problems.push(text);
        }
    };
    for mv in moves {
        let move_type = db.get_str(MOVE, *mv, "move_type");
        if is_invoice(&move_type) {
            let currency = db.get_i64(MOVE, *mv, "currency_id").unwrap_or_default();
            if amount(db, *mv, "amount_total") < 0.0
                && !currency::is_zero(db, currency, amount(db, *mv, "amount_total"))
            {
                problem("You cannot validate an invoice with a negative total amount. You should create a credit note instead. Use the action menu to transform it into a credit note or refund.".into());
            }
            if db.get_i64(MOVE, *mv, "partner_id").is_none() {
                problem(if is_sale(&move_type) {
                    "The field 'Customer' is required, please complete it to validate the Customer Invoice.".into()
                } else {
                    "The field 'Vendor' is required, please complete it to validate the Vendor Bill.".into()
                });
            }
            if db.get_str(MOVE, *mv, "invoice_date").is_empty() && is_purchase(&move_type) {
                problem("The Bill/Refund date is required to validate this document.".into());
            }
        }
        if matches!(db.get_str(MOVE, *mv, "state").as_str(), "posted" | "cancel") {
            let name = db.get(MOVE, *mv, "name");
            let name = name.as_str().map_or_else(|| "False".to_owned(), str::to_owned);
            problem(format!("The entry {name} (id {mv}) must be in draft."));
        }
        if !lines_of(db, *mv)
            .iter()
            .any(|l| !matches!(db.get_str(LINE, *l, "display_type").as_str(), "line_section" | "line_note"))
        {
            problem("You need to add a line before posting.".into());
        }
        let currency = db.get_i64(MOVE, *mv, "currency_id").unwrap_or_default();
        if !db.get_bool("res.currency", currency, "active") {
            problem(format!(
                "You cannot validate a document with an inactive currency: {}",
                db.get_str("res.currency", currency, "name")
            ));
        }
    }
    if !problems.is_empty() {
        return Err(SimError::user(problems.join("\n")));
    }
    for mv in moves {
        let move_type = db.get_str(MOVE, *mv, "move_type");
        if is_sale(&move_type) && db.get_str(MOVE, *mv, "invoice_date").is_empty() {
            db.set(MOVE, *mv, "invoice_date", json!(today()));
            sync(db, *mv);
        }
        let number = db.get_str(MOVE, *mv, "name");
        if number.is_empty() || number == "/" {
            let journal = db.get_i64(MOVE, *mv, "journal_id").unwrap_or_default();
            let refund = matches!(move_type.as_str(), "out_refund" | "in_refund");
            let payment = db.get_i64(MOVE, *mv, "origin_payment_id").is_some();
            let name = next_name(db, journal, &db.get_str(MOVE, *mv, "date"), refund, payment);
            db.set(MOVE, *mv, "name", json!(name));
        }
        if move_type == "out_invoice" && db.get_str(MOVE, *mv, "payment_reference").is_empty() {
            db.set(MOVE, *mv, "payment_reference", db.get(MOVE, *mv, "name"));
        }
        for term in lines_of_type(db, *mv, "payment_term") {
            db.set(LINE, term, "name", json!(term_line_name(db, *mv)));
        }
        db.set(MOVE, *mv, "state", json!("posted"));
        db.set(MOVE, *mv, "posted_before", json!(true));
        let partner = db.get_i64(MOVE, *mv, "partner_id").unwrap_or_default();
        let rank = if is_sale(&move_type) { "customer_rank" } else { "supplier_rank" };
        if is_invoice(&move_type) {
            for partner in [partner, super::partner::commercial_partner(db, partner)] {
                db.set("res.partner", partner, rank, json!(db.get_i64("res.partner", partner, rank).unwrap_or(0) + 1));
            }
        }
    }
    for mv in moves {
        if let Some(reversed) = db.get_i64(MOVE, *mv, "reversed_entry_id")
            && db.get_str(MOVE, reversed, "state") == "posted"
        {
            let mut lines = counterpart_lines(db, reversed);
            lines.extend(counterpart_lines(db, *mv));
            reconcile(db, &lines);
        }
    }
    state_changed(db, moves);
    Ok(())
}

/// What follows an entry's change of state: its order lines (`sale`, `purchase`) are rewritten.
fn state_changed(db: &mut Database, moves: &[i64]) {
    for mv in moves {
        for line in lines_of(db, *mv) {
            touch_origins(db, line);
        }
    }
    if db.installed("sale") {
        super::sale_invoicing::on_state_change(db, moves);
    }
}

/// `button_draft`: a posted or cancelled entry back to draft, its reconciliations undone.
fn button_draft(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    if args.ids.iter().any(|m| !matches!(db.get_str(MOVE, *m, "state").as_str(), "cancel" | "posted")) {
        return Err(SimError::user("Only posted/cancelled journal entries can be reset to draft."));
    }
    for mv in args.ids {
        unreconcile(db, *mv);
        db.set(MOVE, *mv, "state", json!("draft"));
        sync(db, *mv);
        super::account_payment::refresh_states(db, &[*mv]);
    }
    state_changed(db, args.ids);
    Ok(Outcome::Value(json!(false)))
}

/// `button_cancel`: posted entries go back to draft first; then all are cancelled.
fn button_cancel(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let posted: Vec<i64> = args.ids.iter().copied().filter(|m| db.get_str(MOVE, *m, "state") == "posted").collect();
    if !posted.is_empty() {
        button_draft(db, env, &Args { model: args.model, ids: &posted, params: args.params })?;
    }
    if args.ids.iter().any(|m| db.get_str(MOVE, *m, "state") != "draft") {
        return Err(SimError::user("Only draft journal entries can be cancelled."));
    }
    for mv in args.ids {
        db.set(MOVE, *mv, "auto_post", json!("no"));
        db.set(MOVE, *mv, "state", json!("cancel"));
    }
    state_changed(db, args.ids);
    Ok(Outcome::Value(json!(false)))
}

/// `action_register_payment`: the payment wizard's action for posted, unpaid documents.
fn action_register_payment(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    if args.ids.iter().any(|m| db.get_str(MOVE, *m, "state") != "posted") {
        return Err(SimError::user("You can only register payment for posted journal entries."));
    }
    if args.ids.iter().any(|m| !matches!(payment_state(db, *m), "not_paid" | "partial" | "in_payment")) {
        return Err(SimError::user("You can only register payments for (partially) unpaid documents."));
    }
    Ok(Outcome::Value(json!({
        "name": "Pay",
        "type": "ir.actions.act_window",
        "res_model": "account.payment.register",
        "view_mode": "form",
        "target": "new",
        "context": {"active_model": "account.move.line", "active_ids": args.ids.iter().flat_map(|m| counterpart_lines(db, *m)).collect::<Vec<_>>()},
    })))
}

/// `action_reverse`: the reversal wizard's action ("Credit Note" for invoices).
fn action_reverse(db: &mut Database, _env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let invoices = args.ids.iter().any(|m| is_invoice(&db.get_str(MOVE, *m, "move_type")));
    Ok(Outcome::Value(json!({
        "name": if invoices { "Credit Note" } else { "Reverse" },
        "type": "ir.actions.act_window",
        "res_model": "account.move.reversal",
        "view_mode": "form",
        "target": "new",
        "context": {"active_model": MOVE, "active_ids": args.ids},
    })))
}

/// `action_switch_move_type` of a document with a negative total: an invoice becomes a credit note
/// (a bill a refund) and loses its number, its product lines' quantities turned positive.
pub(crate) fn switch_move_type(db: &mut Database, mv: i64) {
    let move_type = db.get_str(MOVE, mv, "move_type");
    db.set(MOVE, mv, "move_type", json!(reverse_type(&move_type)));
    db.set(MOVE, mv, "name", if db.version == OdooVersion::V18 { json!("/") } else { json!(false) });
    for line in lines_of_type(db, mv, "product") {
        db.set(LINE, line, "quantity", json!(-db.get_f64(LINE, line, "quantity")));
    }
    sync(db, mv);
}

/// Adds an order's invoice values to those of its group (`key`: company, partner and currency,
/// or the order itself): grouped orders make one invoice of all their lines, references and
/// origins joined.
pub(crate) fn group_invoice_values(
    groups: &mut Vec<(Value, Map<String, Value>)>,
    key: Value,
    values: Map<String, Value>,
) {
    let Some((_, existing)) = groups.iter_mut().find(|(k, _)| *k == key) else {
        groups.push((key, values));
        return;
    };
    let mut lines = existing["invoice_line_ids"].as_array().cloned().unwrap_or_default();
    lines.extend(values["invoice_line_ids"].as_array().cloned().unwrap_or_default());
    existing.insert("invoice_line_ids".to_owned(), json!(lines));
    for field in ["ref", "invoice_origin"] {
        let joined = [existing[field].as_str().unwrap_or_default(), values[field].as_str().unwrap_or_default()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", ");
        existing.insert(field.to_owned(), json!(joined));
    }
}

/// +1 for an invoice or bill, -1 for a credit note or refund: how a document counts for the order
/// lines its items invoice.
fn document_sign(move_type: &str) -> f64 {
    if move_type.ends_with("_refund") { -1.0 } else { 1.0 }
}

/// The quantity items invoice for an order line, in its `unit`: invoices and bills count, credit
/// notes and refunds take back, drafts included, cancelled documents not (`_compute_qty_invoiced`).
pub(crate) fn invoiced_quantity(db: &Database, items: Vec<i64>, unit: i64) -> f64 {
    items
        .into_iter()
        .map(|l| {
            let mv = db.get_i64(LINE, l, "move_id").unwrap_or_default();
            if db.get_str(MOVE, mv, "state") == "cancel" {
                return 0.0;
            }
            let quantity = db.get_f64(LINE, l, "quantity");
            let from = db.get_i64(LINE, l, "product_uom_id").unwrap_or(unit);
            let converted = super::uom::convert(db, quantity, from, unit, super::uom::Rounding::Up).unwrap_or(quantity);
            document_sign(&db.get_str(MOVE, mv, "move_type")) * converted
        })
        .sum()
}

/// How a posted document counts an item for its order line (+1, or -1 for a credit note); `None`
/// while it is not posted.
pub(crate) fn posted_sign(db: &Database, item: i64) -> Option<f64> {
    let mv = db.get_i64(LINE, item, "move_id").unwrap_or_default();
    (db.get_str(MOVE, mv, "state") == "posted").then(|| document_sign(&db.get_str(MOVE, mv, "move_type")))
}

/// `_get_journal_items_full_name`: an order line's description, after its product's name unless
/// it already says it.
pub(crate) fn item_label(name: String, product_name: &str) -> String {
    if product_name.is_empty() || name.contains(product_name) { name } else { format!("{product_name} {name}") }
}

/// Odoo's refusal to change or delete reconciled items.
fn reconciled_entry(db: &Database, mv: i64) -> SimError {
    SimError::user(format!(
        "You cannot do this modification on a reconciled journal entry. You can just change some non legal fields or you must unreconcile first.\nJournal Entry (id): {} ({mv})",
        db.get_str(MOVE, mv, "name")
    ))
}

/// Journal items (`account.move.line`).
pub(crate) struct MoveLine;

impl Model for MoveLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(LINE, "Journal Item", "account", "date desc, move_name desc, id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("move_id", Many2one(MOVE), "Journal Entry")
            .required("move_id")
            .stored("display_type", selection(DISPLAY_TYPE), "Display Type")
            .required("display_type")
            .default("display_type", json!("product"))
            .stored("sequence", Integer, "Sequence")
            .default("sequence", json!(10))
            .stored("name", Char, "Label")
            .stored("product_id", Many2one("product.product"), "Product")
            .stored("product_uom_id", Many2one("uom.uom"), "Unit")
            .stored("quantity", Float, "Quantity")
            .default("quantity", json!(1.0))
            .stored("price_unit", Float, "Unit Price")
            .stored("discount", Float, "Discount (%)")
            .digits("quantity", super::PRODUCT_UNIT_DIGITS)
            .digits("price_unit", super::PRODUCT_PRICE_DIGITS)
            .digits("discount", super::DISCOUNT_DIGITS)
            .stored("tax_ids", Many2many("account.tax"), "Taxes")
            .stored("price_subtotal", Monetary, "Subtotal")
            .stored("price_total", Monetary, "Total")
            .stored("balance", Monetary, "Balance")
            .stored_computed("debit", Monetary, "Debit")
            .stored_computed("credit", Monetary, "Credit")
            .stored("amount_currency", Monetary, "Amount in Currency")
            .stored_computed("amount_residual", Monetary, "Residual Amount")
            .stored_computed("amount_residual_currency", Monetary, "Residual Amount in Currency")
            .stored_computed("reconciled", Boolean, "Reconciled")
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .required("currency_id")
            .stored_computed("company_currency_id", Many2one("res.currency"), "Company Currency")
            .stored_computed("company_id", Many2one("res.company"), "Company")
            .stored("partner_id", Many2one("res.partner"), "Partner")
            .stored_computed("date", Date, "Date")
            .stored("date_maturity", Date, "Due Date")
            .stored("tax_line_id", Many2one("account.tax"), "Originator Tax")
            .stored("tax_base_amount", Monetary, "Base Amount")
            .stored_computed("parent_state", selection(STATE), "Status")
            .computed("move_type", selection(MOVE_TYPE), "Type")
            .stored_computed("journal_id", Many2one(JOURNAL), "Journal")
            .stored_computed("move_name", Char, "Number")
            .stored_computed("payment_id", Many2one("account.payment"), "Originator Payment")
            .stored("is_downpayment", Boolean, "Is Downpayment")
            .stored("matched_debit_ids", One2many(PARTIAL, "credit_move_id"), "Matched Debits")
            .stored("matched_credit_ids", One2many(PARTIAL, "debit_move_id"), "Matched Credits");
        f.addon("sale").stored("sale_line_ids", Many2many("sale.order.line"), "Sales Order Lines");
        f.addon("purchase").stored("purchase_line_id", Many2one("purchase.order.line"), "Purchase Order Line");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let mv = db.get_i64(LINE, id, "move_id").unwrap_or_default();
        let balance = db.get_f64(LINE, id, "balance");
        Some(match field {
            "debit" => json!(balance.max(0.0)),
            "credit" => json!((-balance).max(0.0)),
            "amount_residual" if is_reconcilable(db, id) => json!(residuals(db, id).0),
            "amount_residual_currency" if is_reconcilable(db, id) => json!(residuals(db, id).1),
            "amount_residual" | "amount_residual_currency" => json!(0.0),
            "reconciled" => json!(is_reconciled(db, id)),
            "company_currency_id" => json!(company_currency(db)),
            "company_id" => db.get(MOVE, mv, "company_id"),
            "date" => db.get(MOVE, mv, "date"),
            "parent_state" => db.get(MOVE, mv, "state"),
            "move_type" => db.get(MOVE, mv, "move_type"),
            "journal_id" => db.get(MOVE, mv, "journal_id"),
            "move_name" => db.get(MOVE, mv, "name"),
            "payment_id" => db.get(MOVE, mv, "origin_payment_id"),
            _ => return None,
        })
    }

    /// The entry's number, its reference, and the item's label.
    fn display_name(&self, db: &Database, env: &Env, id: i64) -> Option<String> {
        let mv = db.get_i64(LINE, id, "move_id").unwrap_or_default();
        let reference = db.get_str(MOVE, mv, "ref");
        let mut label = db.get_str(LINE, id, "name");
        if label.is_empty()
            && let Some(product) = db.get_i64(LINE, id, "product_id")
        {
            label = db.display_name("product.product", product, env);
        }
        let parts = [
            db.get_str(MOVE, mv, "name"),
            if reference.is_empty() { reference } else { format!("({reference})") },
            label,
        ];
        Some(parts.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" "))
    }

    fn fills_required(&self, field: &str) -> bool {
        field == "currency_id"
    }

    /// A product line takes its label, unit, price and taxes from its product, for the document's
    /// side (sales price and taxes on invoices, cost and purchase taxes on bills), as Odoo's
    /// computed defaults of a new item do.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        let mv = db.get_i64(LINE, id, "move_id").unwrap_or_default();
        let move_currency = db.get_i64(MOVE, mv, "currency_id").unwrap_or_else(|| company_currency(db));
        if db.get_i64(LINE, id, "currency_id").is_none() {
            db.set(LINE, id, "currency_id", json!(move_currency));
        }
        if db.get_i64(LINE, id, "partner_id").is_none()
            && let Some(partner) = db.get_i64(MOVE, mv, "partner_id")
        {
            db.set(LINE, id, "partner_id", json!(super::partner::commercial_partner(db, partner)));
        }
        let Some(product) = db.get_i64(LINE, id, "product_id") else { return Ok(()) };
        if db.get_str(LINE, id, "display_type") != "product" {
            return Ok(());
        }
        let move_type = db.get_str(MOVE, mv, "move_type");
        let account_type = if is_purchase(&move_type) { EXPENSE } else { INCOME };
        db.set_private(LINE, id, "__account_type", json!(account_type));
        if db.get_str(LINE, id, "name").is_empty() && is_invoice(&move_type) {
            db.set(LINE, id, "name", json!(db.display_name("product.product", product, env)));
        }
        if db.get_i64(LINE, id, "product_uom_id").is_none() {
            db.set(LINE, id, "product_uom_id", db.get("product.product", product, "uom_id"));
        }
        let row = db.row(LINE, id).cloned().unwrap_or_default();
        if !row.contains_key("price_unit") {
            let price = if is_purchase(&move_type) {
                db.get_f64("product.product", product, "standard_price")
            } else {
                db.get_f64("product.product", product, "list_price")
            };
            db.set(LINE, id, "price_unit", json!(currency::convert(db, price, company_currency(db), move_currency)));
        }
        if !row.contains_key("tax_ids") {
            let taxes = if is_purchase(&move_type) { "supplier_taxes_id" } else { "taxes_id" };
            let taxes = if is_invoice(&move_type) { db.get("product.product", product, taxes) } else { json!([]) };
            db.set(LINE, id, "tax_ids", if taxes.is_array() { taxes } else { json!([]) });
        }
        Ok(())
    }

    fn after_create(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        let mv = db.get_i64(LINE, id, "move_id").unwrap_or_default();
        if db.row(MOVE, mv).is_some_and(|r| !r.contains_key(CREATING)) {
            sync(db, mv);
        }
        touch_origins(db, id);
        Ok(())
    }

    fn before_write(&self, db: &Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        for id in ids {
            let mv = db.get_i64(LINE, *id, "move_id").unwrap_or_default();
            if db.get_str(MOVE, mv, "state") != "posted" {
                continue;
            }
            if vals.contains_key("tax_ids") || vals.contains_key("tax_line_id") {
                return Err(SimError::user(
                    "You cannot modify the taxes related to a posted journal item, you should reset the journal entry to draft to do so.",
                ));
            }
            if AMOUNT_FIELDS.iter().any(|f| vals.contains_key(*f)) {
                return Err(SimError::user(
                    "You cannot modify the following readonly fields on a posted move: invoice_line_ids",
                ));
            }
        }
        Ok(())
    }

    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], _vals: &Map<String, Value>) -> SimResult<()> {
        for id in ids {
            sync(db, db.get_i64(LINE, *id, "move_id").unwrap_or_default());
            touch_origins(db, *id);
        }
        Ok(())
    }

    fn before_unlink(&self, db: &Database, _env: &Env, ids: &[i64]) -> SimResult<()> {
        for id in ids {
            let mv = db.get_i64(LINE, *id, "move_id").unwrap_or_default();
            if !partials_of(db, *id).is_empty() {
                return Err(reconciled_entry(db, mv));
            }
            if db.get_str(MOVE, mv, "state") == "posted" {
                return Err(SimError::user(
                    "You cannot modify the following readonly fields on a posted move: line_ids",
                ));
            }
        }
        Ok(())
    }

    /// The entry's other lines follow what is left of its product lines.
    fn on_unlink(&self, db: &mut Database, ids: &[i64]) {
        let mut moves = Vec::new();
        for id in ids {
            touch_origins(db, *id);
            moves.extend(db.get_i64(LINE, *id, "move_id"));
            db.remove(LINE, *id);
        }
        for mv in moves {
            sync(db, mv);
        }
    }
}

/// The order lines an item invoices, and their orders, change when it does: Odoo rewrites their
/// stored invoiced quantities and statuses, moving their `write_date`.
pub(crate) fn touch_origins(db: &mut Database, line: i64) {
    for sale_line in ids(&db.get(LINE, line, "sale_line_ids")) {
        db.touch("sale.order.line", sale_line);
        if let Some(order) = db.get_i64("sale.order.line", sale_line, "order_id") {
            db.touch("sale.order", order);
        }
    }
    if let Some(purchase_line) = db.get_i64(LINE, line, "purchase_line_id") {
        db.touch("purchase.order.line", purchase_line);
        if let Some(order) = db.get_i64("purchase.order.line", purchase_line, "order_id") {
            db.touch("purchase.order", order);
        }
    }
}

/// Partial reconciliations (`account.partial.reconcile`): an amount of a debit item settled by a
/// credit item, in the company's currency and in each item's own.
pub(crate) struct PartialReconcile;

impl Model for PartialReconcile {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(PARTIAL, "Partial Reconcile", "account", "id desc")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("debit_move_id", Many2one(LINE), "Debit line")
            .stored("credit_move_id", Many2one(LINE), "Credit line")
            .stored("amount", Monetary, "Amount")
            .stored("debit_amount_currency", Monetary, "Debit amount in currency")
            .stored("credit_amount_currency", Monetary, "Credit amount in currency")
            .stored("company_id", Many2one("res.company"), "Company");
    }
}

#[cfg(test)]
mod tests {
    use super::{next_name, shorten};
    use crate::{models::tests::database_of, orm::OdooVersion};

    #[test]
    fn sales_journals_number_by_year_and_purchase_journals_by_month() {
        let db = database_of(OdooVersion::V18, &[]);
        assert_eq!(next_name(&db, 1, "2026-11-23", false, false), "INV/2026/00001");
        assert_eq!(next_name(&db, 1, "2026-11-23", true, false), "RINV/2026/00001");
        assert_eq!(next_name(&db, 2, "2026-11-23", false, false), "BILL/2026/11/0001");
        assert_eq!(next_name(&db, 2, "2026-11-23", true, false), "RBILL/2026/11/0001");
        assert_eq!(next_name(&db, 6, "2026-11-23", false, true), "PBNK1/2026/00001");
    }

    #[test]
    fn long_references_are_shortened_at_a_word() {
        assert_eq!(shorten("PO-MESH-1002", 50), "PO-MESH-1002");
        let long = "a reference that goes on and on well past the fifty characters Odoo shows";
        assert_eq!(
            shorten(long, 50),
            "a reference that goes on and on well past [...]",
            "as Python's textwrap.shorten"
        );
    }
}
