//! `res.partner` (module `base`, extended by `account` and `product`) and `res.country`.

use serde_json::{Map, Value, json};

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
            .stored("customer_rank", Integer, "Customer Rank")
            .stored("supplier_rank", Integer, "Supplier Rank")
            .stored("credit_limit", Float, "Credit Limit");
        // A company-dependent property: not a column of the partner's table.
        f.addon("product").related("property_product_pricelist", Many2one("product.pricelist"), "Pricelist");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "complete_name" => json!(complete_name(db, id)),
            "commercial_partner_id" => json!(commercial_partner(db, id)),
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

/// The company a contact belongs to (itself when it is one, or has no parent).
fn commercial_partner(db: &Database, id: i64) -> i64 {
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
