//! Payments (`account.payment`) and the wizard registering them on invoices and bills
//! (`account.payment.register`, module `account`).
//!
//! The wizard is created with context `{active_model: "account.move", active_ids}` and takes what
//! is left to pay of those entries' receivable or payable items: the residual as the amount, the
//! first bank journal and its manual method, today, and a memo from the document.
//! `action_create_payments` makes the payment(s), posts each as an entry of the bank journal (a
//! line on its outstanding account, one on the customer's receivable), reconciles them with the
//! documents, and answers an action on the payment — or `true` with context
//! `dont_redirect_to_payments`. In Odoo Community a fully reconciled invoice is `paid` at once
//! (no `in_payment` without bank reconciliation), as both versions recorded.

use serde_json::{Map, Value, json};

use super::{
    account::{self, JOURNAL, METHOD_LINE, PAYMENT_TYPE, or_false},
    account_move::{self, LINE, MOVE, OUTSTANDING, PAYABLE, RECEIVABLE},
    company::{COMPANY, company_currency},
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

pub(crate) const PAYMENT: &str = "account.payment";
const WIZARD: &str = "account.payment.register";

const STATE: &[(&str, &str)] = &[
    ("draft", "Draft"),
    ("in_process", "In Process"),
    ("paid", "Paid"),
    ("canceled", "Canceled"),
    ("rejected", "Rejected"),
];
const PARTNER_TYPE: &[(&str, &str)] = &[("customer", "Customer"), ("supplier", "Vendor")];
const WIZARD_PAYMENT_TYPE: &[(&str, &str)] = &[("outbound", "Send Money"), ("inbound", "Receive Money")];
const DIFFERENCE_HANDLING: &[(&str, &str)] = &[("open", "Keep open"), ("reconcile", "Mark as fully paid")];
const INSTALLMENTS_MODE: &[(&str, &str)] = &[
    ("next", "Next Installment"),
    ("overdue", "Overdue Amount"),
    ("before_date", "Before Next Payment Date"),
    ("full", "Full Amount"),
];

pub(crate) struct Payment;

impl Model for Payment {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(PAYMENT, "Payments", "account", "date desc, name desc")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Number")
            .stored("state", selection(STATE), "Status")
            .required("state")
            .default("state", json!("draft"))
            .stored("amount", Monetary, "Amount")
            .stored("payment_type", selection(PAYMENT_TYPE), "Payment Type")
            .required("payment_type")
            .default("payment_type", json!("inbound"))
            .stored("partner_type", selection(PARTNER_TYPE), "Partner Type")
            .required("partner_type")
            .default("partner_type", json!("customer"))
            .stored("partner_id", Many2one("res.partner"), "Customer/Vendor")
            .stored("journal_id", Many2one(JOURNAL), "Journal")
            .required("journal_id")
            .stored("payment_method_line_id", Many2one(METHOD_LINE), "Payment Method")
            .stored("date", Date, "Date")
            .required("date")
            .stored("memo", Char, "Memo")
            .stored("payment_reference", Char, "Payment Reference")
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .stored("company_id", Many2one("res.company"), "Company")
            .required("company_id")
            .default("company_id", json!(COMPANY))
            .stored("move_id", Many2one(MOVE), "Journal Entry")
            .stored("invoice_ids", Many2many(MOVE), "Invoices")
            .stored_computed("is_reconciled", Boolean, "Is Reconciled")
            .stored_computed("is_matched", Boolean, "Is Matched With a Bank Statement")
            .computed("reconciled_invoice_ids", Many2many(MOVE), "Reconciled Invoices")
            .computed("reconciled_invoices_count", Integer, "# Reconciled Invoices")
            .computed("reconciled_bill_ids", Many2many(MOVE), "Reconciled Bills")
            .computed("reconciled_bills_count", Integer, "# Reconciled Bills")
            .computed("amount_signed", Monetary, "Amount Signed")
            .stored_computed("amount_company_currency_signed", Monetary, "Amount Company Currency Signed");
        mail::thread_fields(f);
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let reconciled = |sale: bool| -> Vec<i64> {
            reconciled_documents(db, id)
                .into_iter()
                .filter(|m| account_move::is_sale(&db.get_str(MOVE, *m, "move_type")) == sale)
                .collect()
        };
        let amount = db.get_f64(PAYMENT, id, "amount");
        let signed = if db.get_str(PAYMENT, id, "payment_type") == "outbound" { -amount } else { amount };
        Some(match field {
            "is_reconciled" => json!(is_reconciled(db, id)),
            "is_matched" => json!(false),
            "reconciled_invoice_ids" => json!(reconciled(true)),
            "reconciled_invoices_count" => json!(reconciled(true).len()),
            "reconciled_bill_ids" => json!(reconciled(false)),
            "reconciled_bills_count" => json!(reconciled(false).len()),
            "amount_signed" => json!(signed),
            "amount_company_currency_signed" => {
                let currency = db.get_i64(PAYMENT, id, "currency_id").unwrap_or_else(|| company_currency(db));
                json!(currency::to_company(db, signed, currency))
            }
            _ => return mail::compute_thread(db, PAYMENT, id, field),
        })
    }

    fn display_name(&self, db: &Database, _env: &Env, id: i64) -> Option<String> {
        let name = db.get_str(PAYMENT, id, "name");
        Some(if name.is_empty() { "Draft Payment".to_owned() } else { name })
    }

    fn fills_required(&self, field: &str) -> bool {
        matches!(field, "journal_id" | "date")
    }

    /// The first bank journal, its manual method for the payment's direction, today, the
    /// company's currency.
    fn complete(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        if db.get_i64(PAYMENT, id, "journal_id").is_none() {
            db.set(PAYMENT, id, "journal_id", or_false(account::journal_of_type(db, "bank")));
        }
        if db.get_str(PAYMENT, id, "date").is_empty() {
            db.set(PAYMENT, id, "date", json!(today()));
        }
        if db.get_i64(PAYMENT, id, "currency_id").is_none() {
            let journal = db.get_i64(PAYMENT, id, "journal_id").unwrap_or_default();
            let currency = db.get_i64(JOURNAL, journal, "currency_id").unwrap_or_else(|| company_currency(db));
            db.set(PAYMENT, id, "currency_id", json!(currency));
        }
        if db.get_i64(PAYMENT, id, "payment_method_line_id").is_none() {
            let journal = db.get_i64(PAYMENT, id, "journal_id").unwrap_or_default();
            let method = account::method_line(db, journal, &db.get_str(PAYMENT, id, "payment_type"));
            db.set(PAYMENT, id, "payment_method_line_id", or_false(method));
        }
        Ok(())
    }

    fn methods(&self, db: &Database) -> Vec<Method> {
        let on_records =
            |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        let mut methods = vec![on_records(
            "action_post",
            (|db, _env, args| {
                for payment in args.ids {
                    post(db, *payment)?;
                }
                Ok(Outcome::Value(json!(false)))
            }) as fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>,
        )];
        methods.extend(mail::message_post(db));
        methods
    }
}

/// The documents its entry's receivable or payable items reconciled.
fn reconciled_documents(db: &Database, payment: i64) -> Vec<i64> {
    let Some(mv) = db.get_i64(PAYMENT, payment, "move_id") else { return Vec::new() };
    account_move::counterpart_moves(db, mv)
        .into_iter()
        .filter(|m| account_move::is_invoice(&db.get_str(MOVE, *m, "move_type")))
        .collect()
}

/// Nothing of the payment is left to reconcile with a document.
fn is_reconciled(db: &Database, payment: i64) -> bool {
    let Some(mv) = db.get_i64(PAYMENT, payment, "move_id") else { return false };
    let currency = db.get_i64(PAYMENT, payment, "currency_id").unwrap_or_else(|| company_currency(db));
    account_move::counterpart_lines(db, mv)
        .into_iter()
        .all(|l| currency::is_zero(db, currency, account_move::residuals(db, l).1))
}

/// `action_post` of a payment: its entry in the bank journal — the amount on the outstanding
/// account, its opposite on the partner's receivable (or payable) — posted and numbered with the
/// journal's payment prefix ("PBNK1/2026/00001"), which names the payment. A payment is then in
/// process, and paid once the invoices it pays are.
pub(crate) fn post(db: &mut Database, payment: i64) -> SimResult<()> {
    if db.get_i64(PAYMENT, payment, "move_id").is_some() {
        db.set(PAYMENT, payment, "state", json!("in_process"));
        return Ok(());
    }
    let values = db.row(PAYMENT, payment).cloned().unwrap_or_default();
    let get = |field: &str| values.get(field).cloned().unwrap_or(Value::Bool(false));
    let currency = get("currency_id").as_i64().unwrap_or_else(|| company_currency(db));
    let inbound = db.get_str(PAYMENT, payment, "payment_type") == "inbound";
    let amount = db.get_f64(PAYMENT, payment, "amount");
    let liquidity = if inbound { amount } else { -amount };
    let partner = get("partner_id").as_i64().map(|p| super::partner::commercial_partner(db, p));
    let memo = db.get_str(PAYMENT, payment, "memo");
    let method = get("payment_method_line_id").as_i64().map(|m| db.get_str(METHOD_LINE, m, "name"));
    let label = method.unwrap_or_else(|| "No Payment Method".to_owned());
    let label = if memo.is_empty() { label } else { format!("{label}: {memo}") };
    let mv = db.insert(
        MOVE,
        row(&[
            ("move_type", json!("entry")),
            ("state", json!("draft")),
            ("name", if db.version == OdooVersion::V18 { json!("/") } else { json!(false) }),
            ("date", get("date")),
            ("ref", get("memo")),
            ("journal_id", get("journal_id")),
            ("company_id", get("company_id")),
            ("partner_id", get("partner_id")),
            ("currency_id", json!(currency)),
            ("origin_payment_id", json!(payment)),
            ("auto_post", json!("no")),
        ]),
    );
    let counterpart = if db.get_str(PAYMENT, payment, "partner_type") == "supplier" { PAYABLE } else { RECEIVABLE };
    for (amount_currency, account_type) in [(liquidity, OUTSTANDING), (-liquidity, counterpart)] {
        let line = db.insert(
            LINE,
            row(&[
                ("move_id", json!(mv)),
                ("display_type", json!("product")),
                ("name", json!(label)),
                ("quantity", json!(1.0)),
                ("sequence", json!(10)),
                ("amount_currency", json!(amount_currency)),
                ("balance", json!(currency::to_company(db, amount_currency, currency))),
                ("currency_id", json!(currency)),
                ("partner_id", or_false(partner)),
                ("date_maturity", get("date")),
            ]),
        );
        db.set_private(LINE, line, "__account_type", json!(account_type));
    }
    db.set(PAYMENT, payment, "move_id", json!(mv));
    account_move::post(db, &[mv])?;
    db.set(PAYMENT, payment, "name", db.get(MOVE, mv, "name"));
    db.set(PAYMENT, payment, "state", json!("in_process"));
    Ok(())
}

/// A payment in process becomes paid once every invoice it was registered for is (Odoo's
/// `_compute_state` without the accountant module).
pub(crate) fn refresh_states(db: &mut Database, moves: &[i64]) {
    let mut payments: Vec<i64> = Vec::new();
    for mv in moves {
        payments.extend(ids(&db.get(MOVE, *mv, "matched_payment_ids")));
        payments.extend(db.get_i64(MOVE, *mv, "origin_payment_id"));
    }
    payments.sort_unstable();
    payments.dedup();
    for payment in payments {
        let invoices = ids(&db.get(PAYMENT, payment, "invoice_ids"));
        if db.get_str(PAYMENT, payment, "state") == "in_process"
            && !invoices.is_empty()
            && invoices.iter().all(|m| account_move::payment_state(db, *m) == "paid")
        {
            db.set(PAYMENT, payment, "state", json!("paid"));
        }
    }
}

/// The payment registration wizard (`account.payment.register`).
pub(crate) struct PaymentRegister;

impl Model for PaymentRegister {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(WIZARD, "Pay", "account", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("line_ids", Many2many(LINE), "Journal items")
            .stored("amount", Monetary, "Amount")
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .stored("journal_id", Many2one(JOURNAL), "Journal")
            .stored("payment_method_line_id", Many2one(METHOD_LINE), "Payment Method")
            .stored("payment_date", Date, "Payment Date")
            .required("payment_date")
            .stored("communication", Char, "Memo")
            .stored("group_payment", Boolean, "Group Payments")
            .stored("can_edit_wizard", Boolean, "Can Edit Wizard")
            .stored("can_group_payments", Boolean, "Can Group Payments")
            .stored("installments_mode", selection(INSTALLMENTS_MODE), "Installments Mode")
            .stored("payment_difference_handling", selection(DIFFERENCE_HANDLING), "Payment Difference Handling")
            .computed("payment_difference", Monetary, "Payment Difference")
            .stored("writeoff_label", Char, "Label")
            .stored("payment_type", selection(WIZARD_PAYMENT_TYPE), "Payment Type")
            .stored("partner_type", selection(PARTNER_TYPE), "Partner Type")
            .stored("partner_id", Many2one("res.partner"), "Customer/Vendor")
            .stored("source_amount", Monetary, "Amount to Pay (company currency)")
            .stored("source_amount_currency", Monetary, "Amount to Pay (foreign currency)")
            .stored("source_currency_id", Many2one("res.currency"), "Source Currency")
            .stored("company_id", Many2one("res.company"), "Company")
            .computed("company_currency_id", Many2one("res.currency"), "Company Currency");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "payment_difference" => json!(payment_difference(db, id)),
            "company_currency_id" => json!(company_currency(db)),
            _ => return None,
        })
    }

    fn fills_required(&self, field: &str) -> bool {
        field == "payment_date"
    }

    /// `default_get` and the wizard's computed defaults: the open receivable or payable items of
    /// the context's entries, what is left to pay of them, the first bank journal, today.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        let given = db.row(WIZARD, id).cloned().unwrap_or_default();
        let lines = if given.contains_key("line_ids") {
            ids(&db.get(WIZARD, id, "line_ids"))
        } else {
            let lines = lines_to_pay(db, env)?;
            db.set(WIZARD, id, "line_ids", json!(lines));
            lines
        };
        let batches = batches(db, &lines);
        let Some(first) = batches.first() else {
            return Err(SimError::user(
                "You can't open the register payment wizard without at least one receivable/payable line.",
            ));
        };
        let single = batches.len() == 1;
        let first_line = first[0];
        let source_currency = db.get_i64(LINE, first_line, "currency_id").unwrap_or_else(|| company_currency(db));
        let source_amount: f64 = first.iter().map(|l| account_move::residuals(db, *l).0).sum::<f64>().abs();
        let source_amount_currency: f64 = first.iter().map(|l| account_move::residuals(db, *l).1).sum::<f64>().abs();
        let inbound = first.iter().map(|l| db.get_f64(LINE, *l, "balance")).sum::<f64>() > 0.0;
        let payable = db.get_str(LINE, first_line, "__account_type") == PAYABLE;
        let moves: Vec<i64> = first.iter().filter_map(|l| db.get_i64(LINE, *l, "move_id")).collect();
        let mut values: Vec<(&str, Value)> = vec![
            ("can_edit_wizard", json!(single)),
            (
                "can_group_payments",
                json!(first.len() != 1 && !(distinct(&moves).len() == 1 && is_document(db, moves[0]))),
            ),
            ("payment_type", json!(if inbound { "inbound" } else { "outbound" })),
            ("partner_type", json!(if payable { "supplier" } else { "customer" })),
            ("partner_id", if single { db.get(LINE, first_line, "partner_id") } else { json!(false) }),
            ("source_currency_id", json!(source_currency)),
            ("source_amount", json!(source_amount)),
            ("source_amount_currency", json!(source_amount_currency)),
            ("company_id", json!(COMPANY)),
            ("group_payment", json!(single && distinct(&moves).len() == 1)),
            ("installments_mode", json!("full")),
            ("payment_difference_handling", json!("open")),
            ("journal_id", or_false(account::journal_of_type(db, "bank"))),
            ("currency_id", json!(source_currency)),
            ("payment_date", json!(today())),
            ("communication", json!(communication(db, &lines))),
        ];
        values.retain(|(field, _)| !given.contains_key(*field) || db.get(WIZARD, id, field) == Value::Bool(false));
        for (field, value) in values {
            db.set(WIZARD, id, field, value);
        }
        if !given.contains_key("payment_method_line_id") {
            let journal = db.get_i64(WIZARD, id, "journal_id").unwrap_or_default();
            let method = account::method_line(db, journal, &db.get_str(WIZARD, id, "payment_type"));
            db.set(WIZARD, id, "payment_method_line_id", or_false(method));
        }
        if !given.contains_key("amount") {
            let currency = db.get_i64(WIZARD, id, "currency_id").unwrap_or(source_currency);
            let amount = if currency == source_currency {
                source_amount_currency
            } else {
                currency::convert(db, source_amount, company_currency(db), currency)
            };
            db.set(WIZARD, id, "amount", json!(amount));
        }
        Ok(())
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        vec![Method {
            name: "action_create_payments",
            signature: sig(false, &[], 0, false, false),
            on_records: true,
            run: create_payments,
        }]
    }
}

fn distinct(values: &[i64]) -> Vec<i64> {
    let mut values = values.to_vec();
    values.sort_unstable();
    values.dedup();
    values
}

fn is_document(db: &Database, mv: i64) -> bool {
    account_move::is_invoice(&db.get_str(MOVE, mv, "move_type"))
}

/// The items the wizard pays, from its context (`default_get`), refused as Odoo refuses them.
fn lines_to_pay(db: &Database, env: &Env) -> SimResult<Vec<i64>> {
    let active = super::context_ids(env.context.get("active_ids"));
    let lines: Vec<i64> = match env.context.get("active_model").and_then(Value::as_str) {
        Some("account.move") => active.iter().flat_map(|m| account_move::lines_of(db, *m)).collect(),
        Some("account.move.line") => active,
        _ => {
            return Err(SimError::user(
                "The register payment wizard should only be called on account.move or account.move.line records.",
            ));
        }
    };
    let open: Vec<i64> = lines
        .into_iter()
        .filter(|l| matches!(db.get_str(LINE, *l, "__account_type").as_str(), RECEIVABLE | PAYABLE))
        .filter(|l| {
            let currency = db.get_i64(LINE, *l, "currency_id").unwrap_or_else(|| company_currency(db));
            !currency::is_zero(db, currency, account_move::residuals(db, *l).1)
        })
        .collect();
    if open.is_empty() {
        return Err(SimError::user(
            "You can't register a payment because there is nothing left to pay on the selected journal items.",
        ));
    }
    let kinds = distinct(
        &open.iter().map(|l| i64::from(db.get_str(LINE, *l, "__account_type") == PAYABLE)).collect::<Vec<_>>(),
    );
    if kinds.len() > 1 {
        return Err(SimError::user(
            "You can't register payments for both inbound and outbound moves at the same time.",
        ));
    }
    Ok(open)
}

/// The items grouped into payments: by partner, account and currency (`_compute_batches`).
fn batches(db: &Database, lines: &[i64]) -> Vec<Vec<i64>> {
    let mut batches: Vec<((Value, String, Value), Vec<i64>)> = Vec::new();
    for line in lines {
        let key = (
            db.get(LINE, *line, "partner_id"),
            db.get_str(LINE, *line, "__account_type"),
            db.get(LINE, *line, "currency_id"),
        );
        match batches.iter_mut().find(|(k, _)| *k == key) {
            Some((_, batch)) => batch.push(*line),
            None => batches.push((key, vec![*line])),
        }
    }
    batches.into_iter().map(|(_, lines)| lines).collect()
}

/// The memo of a payment of these items (`_get_communication`): Odoo 18 takes the receivable
/// line's label ("PO-MESH-1001 - INV/2026/00005"), else the document's reference or number;
/// Odoo 19 the document's payment reference or number ("INV/2026/00010").
fn communication(db: &Database, lines: &[i64]) -> String {
    let moves = distinct(&lines.iter().filter_map(|l| db.get_i64(LINE, *l, "move_id")).collect::<Vec<_>>());
    let [mv] = moves.as_slice() else { return String::new() };
    let first_non_empty = |candidates: Vec<String>| candidates.into_iter().find(|c| !c.is_empty()).unwrap_or_default();
    let (reference, name) = (db.get_str(MOVE, *mv, "ref"), db.get_str(MOVE, *mv, "name"));
    match db.version {
        OdooVersion::V18 => {
            let label = if lines.len() == 1 { db.get_str(LINE, lines[0], "name") } else { String::new() };
            first_non_empty(vec![label, reference, name])
        }
        OdooVersion::V19 => first_non_empty(vec![db.get_str(MOVE, *mv, "payment_reference"), reference, name]),
    }
}

/// What the amount leaves unpaid (or overpays), in the wizard's currency.
fn payment_difference(db: &Database, wizard: i64) -> f64 {
    let currency = db.get_i64(WIZARD, wizard, "currency_id").unwrap_or_else(|| company_currency(db));
    let source_currency = db.get_i64(WIZARD, wizard, "source_currency_id").unwrap_or(currency);
    let due = if currency == source_currency {
        db.get_f64(WIZARD, wizard, "source_amount_currency")
    } else {
        currency::convert(db, db.get_f64(WIZARD, wizard, "source_amount"), company_currency(db), currency)
    };
    currency::round(db, currency, due - db.get_f64(WIZARD, wizard, "amount"))
}

/// `action_create_payments`: one payment from the wizard's values when it pays one document (or
/// groups them), else one per document at its residual; each posted and reconciled with what it
/// pays.
fn create_payments(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let [wizard] = args.ids else {
        return Err(SimError::value(format!("Expected singleton: {WIZARD}({:?})", args.ids)));
    };
    let get = |db: &Database, field: &str| db.get(WIZARD, *wizard, field);
    let lines = ids(&get(db, "line_ids"));
    let batches = batches(db, &lines);
    let edit_mode = db.get_bool(WIZARD, *wizard, "can_edit_wizard")
        && batches.first().is_some_and(|b| b.len() == 1 || db.get_bool(WIZARD, *wizard, "group_payment"));
    let mut to_process: Vec<(Map<String, Value>, Vec<i64>)> = Vec::new();
    if edit_mode {
        if db.get_str(WIZARD, *wizard, "payment_difference_handling") == "reconcile"
            && !currency::is_zero(db, get(db, "currency_id").as_i64().unwrap_or(1), payment_difference(db, *wizard))
        {
            // Writing the difference off needs an account, which the wizard was not given.
            return Err(write_off_without_account(db));
        }
        let values = Map::from_iter([
            ("date".to_owned(), get(db, "payment_date")),
            ("amount".to_owned(), get(db, "amount")),
            ("payment_type".to_owned(), get(db, "payment_type")),
            ("partner_type".to_owned(), get(db, "partner_type")),
            ("memo".to_owned(), get(db, "communication")),
            ("journal_id".to_owned(), get(db, "journal_id")),
            ("currency_id".to_owned(), get(db, "currency_id")),
            ("partner_id".to_owned(), get(db, "partner_id")),
            ("payment_method_line_id".to_owned(), get(db, "payment_method_line_id")),
        ]);
        to_process.push((values, batches[0].clone()));
    } else {
        let grouped = db.get_bool(WIZARD, *wizard, "group_payment");
        let groups: Vec<Vec<i64>> =
            if grouped { batches } else { batches.into_iter().flatten().map(|l| vec![l]).collect() };
        for group in groups {
            let balance: f64 = group.iter().map(|l| account_move::residuals(db, *l).0).sum();
            let amount: f64 = group.iter().map(|l| account_move::residuals(db, *l).1).sum();
            let payment_type = if balance > 0.0 { "inbound" } else { "outbound" };
            let journal = get(db, "journal_id");
            let method = account::method_line(db, journal.as_i64().unwrap_or_default(), payment_type);
            let payable = db.get_str(LINE, group[0], "__account_type") == PAYABLE;
            let values = Map::from_iter([
                ("date".to_owned(), get(db, "payment_date")),
                ("amount".to_owned(), json!(amount.abs())),
                ("payment_type".to_owned(), json!(payment_type)),
                ("partner_type".to_owned(), json!(if payable { "supplier" } else { "customer" })),
                ("memo".to_owned(), json!(communication(db, &group))),
                ("journal_id".to_owned(), journal),
                ("currency_id".to_owned(), db.get(LINE, group[0], "currency_id")),
                ("partner_id".to_owned(), db.get(LINE, group[0], "partner_id")),
                ("payment_method_line_id".to_owned(), or_false(method)),
            ]);
            to_process.push((values, group));
        }
    }
    let mut payments = Vec::new();
    for (values, lines) in to_process {
        let payment = db.create(PAYMENT, &values, env)?;
        post(db, payment)?;
        let documents = distinct(&lines.iter().filter_map(|l| db.get_i64(LINE, *l, "move_id")).collect::<Vec<_>>());
        db.set(PAYMENT, payment, "invoice_ids", json!(documents));
        for document in &documents {
            let mut matched = ids(&db.get(MOVE, *document, "matched_payment_ids"));
            matched.push(payment);
            db.set(MOVE, *document, "matched_payment_ids", json!(matched));
        }
        let posted: Vec<i64> = lines
            .iter()
            .copied()
            .filter(|l| {
                let mv = db.get_i64(LINE, *l, "move_id").unwrap_or_default();
                db.get_str(MOVE, mv, "state") == "posted"
            })
            .collect();
        if !posted.is_empty() {
            let mv = db.get_i64(PAYMENT, payment, "move_id").unwrap_or_default();
            let mut to_reconcile = account_move::counterpart_lines(db, mv);
            to_reconcile.extend(posted);
            account_move::reconcile(db, &to_reconcile);
        }
        payments.push(payment);
    }
    if env.flag("dont_redirect_to_payments") {
        return Ok(Outcome::Value(json!(true)));
    }
    let mut action = json!({
        "name": "Payments",
        "type": "ir.actions.act_window",
        "res_model": PAYMENT,
        "context": {"create": false},
    });
    match payments.as_slice() {
        [payment] => {
            action["view_mode"] = json!("form");
            action["res_id"] = json!(payment);
        }
        _ => {
            action["view_mode"] = json!("list,form");
            action["domain"] = json!([["id", "in", payments]]);
        }
    }
    Ok(Outcome::Value(action))
}

/// The write-off line of a payment marked fully paid has no account: PostgreSQL's NOT NULL on
/// `account_move_line.account_id` refuses it, in each version's words.
fn write_off_without_account(db: &Database) -> SimError {
    crate::orm::missing_required_column(db.version, "Journal Item", LINE, "Account", "account_id")
}
