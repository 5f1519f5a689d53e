//! Accounting models the flows touch (module `account`): taxes, payment terms, fiscal positions and
//! journal entries (no invoicing yet).

use serde_json::Value;

use crate::orm::{
    Database, Env, OdooVersion,
    fields::{FieldType::*, Fields, selection},
    registry::{Info, Model},
};

const TAX_USE: &[(&str, &str)] = &[("sale", "Sales"), ("purchase", "Purchases"), ("none", "None")];
const AMOUNT_TYPE: &[(&str, &str)] = &[("percent", "Percentage of Price"), ("fixed", "Fixed")];

pub(crate) struct Tax;

impl Model for Tax {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("account.tax", "Tax", "account", "sequence,id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Tax Name")
            .stored("amount", Float, "Amount")
            .stored("amount_type", selection(AMOUNT_TYPE), "Tax Computation")
            .stored("type_tax_use", selection(TAX_USE), "Tax Type")
            .computed("price_include", Boolean, "Included in Price")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active");
    }

    /// Every seeded tax is excluded from the price (`price_include_override` unset).
    fn compute(&self, _db: &Database, _env: &Env, _id: i64, field: &str) -> Option<Value> {
        (field == "price_include").then_some(Value::Bool(false))
    }
}

/// The combined percentage of taxes (only percent taxes exist in the seed).
pub(crate) fn tax_rate(db: &Database, taxes: &[i64]) -> f64 {
    taxes.iter().map(|t| db.get_f64("account.tax", *t, "amount")).sum::<f64>() / 100.0
}

pub(crate) struct PaymentTerm;

impl Model for PaymentTerm {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("account.payment.term", "Payment Terms", "account", "sequence, id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Payment Terms")
            .stored("sequence", Integer, "Sequence")
            .stored("active", Boolean, "Active");
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

pub(crate) struct Move;

impl Model for Move {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("account.move", "Journal Entry", "account", "date desc, name desc, id desc")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Number")
            .stored("partner_id", Many2one("res.partner"), "Partner")
            .stored("date", Date, "Date")
            .stored("company_id", Many2one("res.company"), "Company");
    }
}
