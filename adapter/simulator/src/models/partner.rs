//! `res.partner` (module `base`, extended by `account` and `product`) and `res.country`.

use serde_json::{Map, Value, json};

use super::{account_move, company::company_currency, currency};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        registry::{Info, Model},
    },
};

const ADDRESS_TYPE: &[(&str, &str)] = &[
    ("contact", "Contact"),
    ("invoice", "Invoice Address"),
    ("delivery", "Delivery Address"),
    ("other", "Other Address"),
];

pub(crate) struct Partner;

impl Model for Partner {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("res.partner", "Contact", "base", "complete_name ASC, id DESC").parent("parent_id").public()
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Name")
            .required("name")
            .stored_computed("complete_name", Char, "Complete Name")
            .stored("ref", Char, "Reference")
            .stored("vat", Char, "Tax ID")
            .stored("email", Char, "Email")
            .stored("phone", Char, "Phone")
            .stored("street", Char, "Street")
            .stored("street2", Char, "Street2")
            .stored("city", Char, "City")
            .stored("zip", Char, "Zip")
            .computed("country_code", Char, "Country Code")
            .stored("country_id", Many2one("res.country"), "Country")
            .stored_computed("commercial_partner_id", Many2one("res.partner"), "Commercial Entity")
            .stored("is_company", Boolean, "Is a Company")
            .stored("type", selection(ADDRESS_TYPE), "Address Type")
            .default("type", json!("contact"))
            .stored("parent_id", Many2one("res.partner"), "Related Company")
            .stored("child_ids", One2many("res.partner", "parent_id"), "Contact")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("comment", Html, "Notes")
            .stored("active", Boolean, "Active");
        if version == OdooVersion::V18 {
            f.stored("mobile", Char, "Mobile");
        }
        f.addon("account")
            .stored("property_payment_term_id", Many2one("account.payment.term"), "Customer Payment Terms")
            .stored("property_account_position_id", Many2one("account.fiscal.position"), "Fiscal Position")
            .stored("property_supplier_payment_term_id", Many2one("account.payment.term"), "Vendor Payment Terms")
            .stored("customer_rank", Integer, "Customer Rank")
            .stored("supplier_rank", Integer, "Supplier Rank")
            .stored("credit_limit", Float, "Credit Limit")
            .computed("use_partner_credit_limit", Boolean, "Partner Limit")
            .computed("credit", Monetary, "Total Receivable")
            .computed("debit", Monetary, "Total Payable")
            .stored("invoice_ids", One2many("account.move", "partner_id"), "Invoices");
        // A company-dependent property: not a column of the partner's table.
        f.addon("product").related("property_product_pricelist", Many2one("product.pricelist"), "Pricelist");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "complete_name" => json!(complete_name(db, id)),
            "commercial_partner_id" => json!(commercial_partner(db, id)),
            "credit" => json!(credit(db, id)),
            "debit" => json!(-open_balance(db, id, account_move::PAYABLE)),
            // A limit of its own: different from the company's default (none).
            "use_partner_credit_limit" => json!(db.get_f64("res.partner", id, "credit_limit") != 0.0),
            "country_code" => match db.get_i64("res.partner", id, "country_id") {
                Some(country) => db.get("res.country", country, "code"),
                None => Value::Bool(false),
            },
            _ => return None,
        })
    }

    fn display_name(&self, db: &Database, _env: &Env, id: i64) -> Option<String> {
        Some(complete_name(db, id))
    }

    /// Turning the partner's own limit off puts the company's default back (Odoo's inverse).
    fn after_write(&self, db: &mut Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        if vals.get("use_partner_credit_limit").is_some_and(|v| !v.as_bool().unwrap_or(false)) {
            for id in ids {
                db.set("res.partner", *id, "credit_limit", json!(0.0));
            }
        }
        Ok(())
    }

    fn before_write(&self, db: &Database, _env: &Env, ids: &[i64], vals: &Map<String, Value>) -> SimResult<()> {
        if let Some(parent) = vals.get("parent_id").and_then(Value::as_i64) {
            for id in ids {
                if db.descendants("res.partner", &[*id]).contains(&parent) {
                    return Err(SimError::validation("You cannot create recursive Partner hierarchies."));
                }
            }
        }
        Ok(())
    }
}

/// "Company, Contact" for a contact of a company, the name otherwise.
fn complete_name(db: &Database, id: i64) -> String {
    // The contact's name after those of the parents it belongs to, up to the first company.
    let mut names = Vec::new();
    for partner in db.ancestors("res.partner", "parent_id", id).into_iter().filter(|p| db.exists("res.partner", *p)) {
        names.push(db.get_str("res.partner", partner, "name"));
        if db.get_bool("res.partner", partner, "is_company") {
            break;
        }
    }
    names.reverse();
    names.join(", ")
}

/// What a customer owes (`credit`): the open amounts of the posted receivable items booked on
/// them (their invoices less their credit notes and unreconciled payments), in the company's
/// currency. Items are booked on the commercial partner.
pub(crate) fn credit(db: &Database, partner: i64) -> f64 {
    open_balance(db, partner, account_move::RECEIVABLE)
}

/// The residuals of the partner's posted, unreconciled items of one kind of account.
fn open_balance(db: &Database, partner: i64, account_type: &str) -> f64 {
    let total: f64 = db
        .ids_where(account_move::LINE, "partner_id", partner)
        .into_iter()
        .filter(|l| db.get_str(account_move::LINE, *l, "__account_type") == account_type)
        .filter(|l| {
            let mv = db.get_i64(account_move::LINE, *l, "move_id").unwrap_or_default();
            db.get_str(account_move::MOVE, mv, "state") == "posted"
        })
        .map(|l| account_move::residuals(db, l).0)
        .sum();
    currency::round(db, company_currency(db), total)
}

/// The company a contact belongs to (itself when it is one, or has no parent).
pub(crate) fn commercial_partner(db: &Database, id: i64) -> i64 {
    let mut current = id;
    while !db.get_bool("res.partner", current, "is_company") {
        match db.get_i64("res.partner", current, "parent_id") {
            Some(parent) if parent != id => current = parent,
            _ => break,
        }
    }
    current
}

pub(crate) struct Country;

impl Model for Country {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("res.country", "Country", "base", "name").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Country Name").translated("name").stored("code", Char, "Country Code");
    }
}
