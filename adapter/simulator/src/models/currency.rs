//! Currencies (`res.currency`, module `base`): each rounds its amounts to its own precision (USD
//! and EUR to cents, JPY to units, KWD to thousandths), and converts to the company's currency at
//! its rate — the currency's units for one unit of the company's (Odoo's `rate`), kept as the
//! latest and only rate.

use serde_json::{Value, json};

use super::company::company_currency;
use crate::orm::{
    Database, Env, OdooVersion,
    fields::{FieldType::*, Fields},
    float::{self, Rounding},
    registry::{Info, Model},
};

const CURRENCY: &str = "res.currency";

pub(crate) struct Currency;

impl Model for Currency {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(CURRENCY, "Currency", "base", "active desc, name").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Currency")
            .stored("full_name", Char, "Name")
            .stored("symbol", Char, "Symbol")
            .stored("rounding", Float, "Rounding Factor")
            .stored("decimal_places", Integer, "Decimal Places")
            .computed("rate", Float, "Current Rate")
            .computed("inverse_rate", Float, "Inverse Rate")
            .stored("active", Boolean, "Active");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "rate" => json!(rate(db, id)),
            "inverse_rate" => json!(1.0 / rate(db, id)),
            _ => return None,
        })
    }
}

/// The smallest amount of a currency (0.01 for cents).
pub(crate) fn rounding(db: &Database, currency: i64) -> f64 {
    db.row(CURRENCY, currency).and_then(|r| r.get("rounding")?.as_f64()).filter(|r| *r > 0.0).unwrap_or(0.01)
}

/// `res.currency.round`: an amount rounded half away from zero to the currency's precision.
pub(crate) fn round(db: &Database, currency: i64, amount: f64) -> f64 {
    float::round(amount, rounding(db, currency), Rounding::HalfUp)
}

/// `res.currency.is_zero`: the amount rounds to nothing in this currency.
pub(crate) fn is_zero(db: &Database, currency: i64, amount: f64) -> bool {
    float::is_zero(amount, rounding(db, currency))
}

/// The currency's units for one unit of the company's currency.
pub(crate) fn rate(db: &Database, currency: i64) -> f64 {
    db.row(CURRENCY, currency).and_then(|r| r.get("__rate")?.as_f64()).filter(|r| *r > 0.0).unwrap_or(1.0)
}

/// `res.currency._convert`: an amount in one currency in another, rounded to the latter.
pub(crate) fn convert(db: &Database, amount: f64, from: i64, to: i64) -> f64 {
    if from == to {
        return round(db, to, amount);
    }
    round(db, to, amount / rate(db, from) * rate(db, to))
}

/// An amount in the company's currency.
pub(crate) fn to_company(db: &Database, amount: f64, from: i64) -> f64 {
    convert(db, amount, from, company_currency(db))
}

/// The currencies of the seed, with Odoo's own ids (the position of each in `base`'s data): the
/// company's USD, active; EUR, JPY (no decimals) and KWD (three decimals) inactive until a price
/// list or invoice needs them. (id, code, name, symbol, rounding, units per USD).
const SEEDED: [(i64, &str, &str, &str, f64, f64); 4] = [
    (1, "USD", "United States dollar", "$", 0.01, 1.0),
    (25, "JPY", "Japanese yen", "¥", 1.0, 150.0),
    (93, "KWD", "Kuwaiti dinar", " د.ك ", 0.001, 0.307),
    (125, "EUR", "Euro", "€", 0.01, 0.92),
];

pub(crate) fn seed(db: &mut Database) {
    for (id, code, name, symbol, rounding, rate) in SEEDED {
        let decimals = (-rounding.log10()).round().max(0.0);
        db.insert_raw(
            CURRENCY,
            id,
            crate::orm::row(&[
                ("name", json!(code)),
                ("full_name", json!(name)),
                ("symbol", json!(symbol)),
                ("rounding", json!(rounding)),
                ("decimal_places", json!(decimals as i64)),
                ("active", json!(id == 1)),
                ("__rate", json!(rate)),
            ]),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{convert, round};
    use crate::{models::tests::database_of, orm::OdooVersion};

    #[test]
    fn each_currency_rounds_to_its_own_precision_and_converts_at_its_rate() {
        let db = database_of(OdooVersion::V18, &[]);
        let (usd, jpy, kwd) = (1, 25, 93);
        assert_eq!(round(&db, usd, 10.005), 10.01);
        assert_eq!(round(&db, jpy, 1234.5), 1235.0);
        assert_eq!(round(&db, kwd, 1.0005), 1.001);
        assert_eq!(convert(&db, 1500.0, jpy, usd), 10.0);
        assert_eq!(convert(&db, 10.0, usd, jpy), 1500.0);
    }
}
