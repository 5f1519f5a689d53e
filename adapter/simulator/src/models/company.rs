//! `res.company` (module `base`; `account` adds its credit limit and tax settings, `stock_sms` the
//! delivery SMS settings).

use serde_json::json;

use crate::orm::{
    Database, OdooVersion,
    fields::{FieldType::*, Fields, selection},
    registry::{Info, Model},
};

/// Whether prices include taxes by default (`account_price_include`, and a tax's
/// `price_include_override`).
pub(crate) const PRICE_INCLUDE: &[(&str, &str)] = &[("tax_included", "Tax Included"), ("tax_excluded", "Tax Excluded")];

/// The one company of the simulated database.
pub(crate) const COMPANY: i64 = 1;

/// The company's currency, in which journal items keep their balances.
pub(crate) fn company_currency(db: &Database) -> i64 {
    db.get_i64("res.company", COMPANY, "currency_id").unwrap_or(1)
}

pub(crate) struct Company;

impl Model for Company {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("res.company", "Companies", "base", "sequence, name").public()
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Company Name")
            .stored("partner_id", Many2one("res.partner"), "Partner")
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .stored("sequence", Integer, "Sequence");
        f.addon("account")
            .stored("account_use_credit_limit", Boolean, "Sales Credit Limit")
            .default("account_use_credit_limit", json!(false))
            .stored("account_price_include", selection(PRICE_INCLUDE), "Default Sales Price Include")
            .required("account_price_include")
            .default("account_price_include", json!("tax_excluded"));
        super::stock_sms::company_fields(version, f);
    }
}
