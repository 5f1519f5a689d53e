//! `res.company` and `res.currency` (module `base`; `stock_sms` adds the delivery SMS settings).

use crate::orm::{
    OdooVersion,
    fields::{FieldType::*, Fields},
    registry::{Info, Model},
};

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
        super::stock_sms::company_fields(version, f);
    }
}

pub(crate) struct Currency;

impl Model for Currency {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("res.currency", "Currency", "base", "active desc, name").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Currency")
            .stored("symbol", Char, "Symbol")
            .stored("rounding", Float, "Rounding Factor")
            .stored("decimal_places", Integer, "Decimal Places")
            .stored("active", Boolean, "Active");
    }
}
