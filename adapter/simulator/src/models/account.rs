//! Accounting configuration (module `account`): journals with the prefixes their entries are
//! numbered with, payment terms and the due dates they give, fiscal positions, and the payment
//! methods of bank journals. Taxes live in `account_tax`, entries in `account_move`.

use serde_json::{Value, json};

use super::company::COMPANY;
use crate::orm::{
    Database, Env, OdooVersion,
    fields::{FieldType::*, Fields, selection},
    registry::{Info, Model},
    row,
};

pub(crate) const JOURNAL: &str = "account.journal";
const TERM: &str = "account.payment.term";
pub(crate) const METHOD_LINE: &str = "account.payment.method.line";

const JOURNAL_TYPE: &[(&str, &str)] = &[
    ("sale", "Sales"),
    ("purchase", "Purchase"),
    ("cash", "Cash"),
    ("bank", "Bank"),
    ("credit", "Credit Card"),
    ("general", "Miscellaneous"),
];
pub(crate) const PAYMENT_TYPE: &[(&str, &str)] = &[("outbound", "Send"), ("inbound", "Receive")];

pub(crate) struct Journal;

impl Model for Journal {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(JOURNAL, "Journal", "account", "sequence, type, code").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Journal Name")
            .required("name")
            .stored("code", Char, "Short Code")
            .required("code")
            .stored("type", selection(JOURNAL_TYPE), "Type")
            .required("type")
            .stored("company_id", Many2one("res.company"), "Company")
            .default("company_id", json!(COMPANY))
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .stored("sequence", Integer, "Sequence")
            .default("sequence", json!(10))
            .stored("refund_sequence", Boolean, "Dedicated Credit Note Sequence")
            .stored("payment_sequence", Boolean, "Dedicated Payment Sequence")
            .stored("active", Boolean, "Active");
    }
}

/// The first active journal of a type (Odoo's default journal of a document).
pub(crate) fn journal_of_type(db: &Database, kind: &str) -> Option<i64> {
    let mut journals: Vec<i64> = db
        .table(JOURNAL)
        .rows
        .keys()
        .copied()
        .filter(|j| db.get_str(JOURNAL, *j, "type") == kind && db.get_bool(JOURNAL, *j, "active"))
        .collect();
    journals.sort_by_key(|j| (db.get_i64(JOURNAL, *j, "sequence").unwrap_or_default(), *j));
    journals.first().copied()
}

/// Payment methods of bank and cash journals (`account.payment.method.line`): how money comes in
/// or goes out through the journal.
pub(crate) struct PaymentMethodLine;

impl Model for PaymentMethodLine {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(METHOD_LINE, "Payment Methods", "account", "sequence, id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Name")
            .stored("journal_id", Many2one(JOURNAL), "Journal")
            .stored("payment_type", selection(PAYMENT_TYPE), "Payment Type")
            .stored("sequence", Integer, "Sequence");
    }

    /// "Manual Payment (Bank)": the method and its journal.
    fn display_name(&self, db: &Database, _env: &Env, id: i64) -> Option<String> {
        let journal = db.get_i64(METHOD_LINE, id, "journal_id").unwrap_or_default();
        Some(format!("{} ({})", db.get_str(METHOD_LINE, id, "name"), db.get_str(JOURNAL, journal, "name")))
    }
}

/// The journal's first method for money going this way.
pub(crate) fn method_line(db: &Database, journal: i64, payment_type: &str) -> Option<i64> {
    db.ids_where(METHOD_LINE, "journal_id", journal)
        .into_iter()
        .find(|m| db.get_str(METHOD_LINE, *m, "payment_type") == payment_type)
}

pub(crate) struct PaymentTerm;

impl Model for PaymentTerm {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(TERM, "Payment Terms", "account", "sequence, id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Payment Terms")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active");
    }
}

/// When an amount under this payment term falls due, from the invoice date: its one line's number
/// of days, after the date or after the end of its month or of the next month
/// (`account.payment.term.line._get_due_date`; the seed's terms have one line each).
pub(crate) fn due_date(db: &Database, term: i64, date_ref: &str) -> String {
    let Ok(reference) = date_ref.parse::<jiff::civil::Date>() else { return date_ref.to_owned() };
    let days = db.row(TERM, term).and_then(|r| r.get("__nb_days")?.as_i64()).unwrap_or_default();
    let end_of_month = |d: jiff::civil::Date| d.last_of_month();
    let start = match db.get_str(TERM, term, "__delay_type").as_str() {
        "days_after_end_of_month" => end_of_month(reference),
        "days_after_end_of_next_month" => {
            reference.first_of_month().checked_add(jiff::Span::new().months(1)).map_or(reference, end_of_month)
        }
        _ => reference,
    };
    start.checked_add(jiff::Span::new().days(days)).map_or_else(|_| date_ref.to_owned(), |d| d.to_string())
}

/// The payment terms of `account`'s data, with their ids: (id, name, days, delay type).
const TERMS: [(i64, &str, i64, &str); 6] = [
    (1, "Immediate Payment", 0, "days_after"),
    (2, "15 Days", 15, "days_after"),
    (3, "21 Days", 21, "days_after"),
    (4, "30 Days", 30, "days_after"),
    (5, "45 Days", 45, "days_after"),
    (6, "End of Following Month", 0, "days_after_end_of_next_month"),
];

/// The journals of the recordings (sales 1, purchases 2, bank 6 with its manual payment methods)
/// in each version's names, and the payment terms of `account`'s data.
pub(crate) fn seed(db: &mut Database) {
    let (sales, purchases) = match db.version {
        OdooVersion::V18 => ("Customer Invoices", "Vendor Bills"),
        OdooVersion::V19 => ("Sales", "Purchases"),
    };
    for (id, name, code, kind, refunds, payments) in [
        (1, sales, "INV", "sale", true, false),
        (2, purchases, "BILL", "purchase", true, false),
        (3, "Miscellaneous Operations", "MISC", "general", false, false),
        (6, "Bank", "BNK1", "bank", false, true),
        (7, "Cash", "CSH1", "cash", false, true),
    ] {
        db.insert_raw(
            JOURNAL,
            id,
            row(&[
                ("name", json!(name)),
                ("code", json!(code)),
                ("type", json!(kind)),
                ("company_id", json!(COMPANY)),
                ("sequence", json!(id)),
                ("refund_sequence", json!(refunds)),
                ("payment_sequence", json!(payments)),
            ]),
        );
    }
    for (id, journal, payment_type) in [(1, 6, "inbound"), (2, 6, "outbound"), (3, 7, "inbound"), (4, 7, "outbound")] {
        db.insert_raw(
            METHOD_LINE,
            id,
            row(&[
                ("name", json!("Manual Payment")),
                ("journal_id", json!(journal)),
                ("payment_type", json!(payment_type)),
                ("sequence", json!(10)),
            ]),
        );
    }
    for (id, name, days, delay) in TERMS {
        db.insert_raw(
            TERM,
            id,
            row(&[
                ("name", json!(name)),
                ("sequence", json!(id)),
                ("__nb_days", json!(days)),
                ("__delay_type", json!(delay)),
            ]),
        );
    }
}

pub(crate) struct FiscalPosition;

impl Model for FiscalPosition {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("account.fiscal.position", "Fiscal Position", "account", "sequence").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Fiscal Position")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active");
    }
}

/// A stored value or `false`, for fields that may be unset.
pub(crate) fn or_false(id: Option<i64>) -> Value {
    id.map_or(Value::Bool(false), |i| json!(i))
}

#[cfg(test)]
mod tests {
    use super::due_date;
    use crate::{models::tests::database_of, orm::OdooVersion};

    #[test]
    fn payment_terms_give_due_dates_after_the_invoice_date_or_its_next_month() {
        let db = database_of(OdooVersion::V18, &[]);
        assert_eq!(due_date(&db, 1, "2026-11-23"), "2026-11-23");
        assert_eq!(due_date(&db, 4, "2026-11-23"), "2026-12-23");
        assert_eq!(due_date(&db, 6, "2026-11-23"), "2026-12-31", "recording 25 of Odoo 19");
        assert_eq!(due_date(&db, 6, "2027-01-31"), "2027-02-28");
    }
}
