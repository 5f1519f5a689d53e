//! `res.currency`: each currency's code and rounding — an amount is answered to its currency's
//! precision (0 decimals for JPY, 2 for EUR, 3 for KWD), as Odoo shows and reconciles it.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::json;

use super::{Field, Model, Odoo, Row, Schema, product::with_archived, round_to_precision};
use crate::{OdooError, SearchOptions, models::Amount};

pub(crate) const CURRENCY: Model = Model::new("res.currency", "base");
const CODE: Field = CURRENCY.field("name");
const ROUNDING: Field = CURRENCY.field("rounding");

pub(crate) const FIELDS: &[Field] = &[CODE, ROUNDING];

/// Every currency of the server, active or not (a record keeps its currency when it is archived).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Currencies {
    by_id: HashMap<i64, (String, Decimal)>,
}

impl Currencies {
    pub(crate) async fn read(odoo: &Odoo, schema: &Schema) -> Result<Self, OdooError> {
        let rows =
            odoo.search(schema, CURRENCY, json!([]), FIELDS, &SearchOptions::ordered("id"), with_archived()).await?;
        let mut by_id = HashMap::new();
        for r in &rows {
            let row = Row::new(CURRENCY, r)?;
            by_id.insert(row.id(), (row.text(&CODE)?.unwrap_or_default().to_owned(), row.decimal(&ROUNDING)?));
        }
        Ok(Self { by_id })
    }

    pub(crate) fn knows(&self, id: i64) -> bool {
        self.by_id.contains_key(&id)
    }

    /// The currency's code ("EUR").
    pub(crate) fn code(&self, id: i64) -> &str {
        self.by_id.get(&id).map_or("", |(code, _)| code)
    }

    /// The smallest amount of the currency (0.01 for EUR, 1 for JPY); a cent when unknown.
    pub(crate) fn rounding(&self, id: i64) -> Decimal {
        self.by_id.get(&id).map_or(Decimal::new(1, 2), |(_, rounding)| *rounding)
    }

    /// `value` in currency `id`, rounded as the currency says.
    pub(crate) fn amount(&self, value: Decimal, id: i64) -> Amount {
        Amount { value: round_to_precision(value, self.rounding(id)), currency: self.code(id).to_owned() }
    }

    /// Amounts in currency `id`.
    pub(crate) fn amounts_in(&self, id: i64) -> InCurrency<'_> {
        InCurrency { currencies: self, id }
    }

    /// Whether `value` is a whole number of the currency's smallest amounts.
    pub(crate) fn is_exact(&self, value: Decimal, id: i64) -> bool {
        let rounding = self.rounding(id);
        rounding.is_zero() || (value / rounding).fract().is_zero()
    }
}

/// Amounts in one currency.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InCurrency<'a> {
    currencies: &'a Currencies,
    id: i64,
}

impl InCurrency<'_> {
    pub(crate) fn amount(&self, value: Decimal) -> Amount {
        self.currencies.amount(value, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currencies() -> Currencies {
        let by_id = [(1, ("EUR", "0.01")), (2, ("JPY", "1")), (3, ("KWD", "0.001"))]
            .into_iter()
            .map(|(id, (code, rounding))| (id, (code.to_owned(), rounding.parse().expect("decimal"))))
            .collect();
        Currencies { by_id }
    }

    #[test]
    fn amounts_are_rounded_as_their_currency_says() {
        let c = currencies();
        let odd: Decimal = "1234.5649999".parse().expect("decimal");
        assert_eq!(c.amount(odd, 1).value.to_string(), "1234.56");
        assert_eq!(c.amount(odd, 2).value.to_string(), "1235");
        assert_eq!(c.amount(odd, 3).value.to_string(), "1234.565");
        assert_eq!(c.amount(odd, 2).currency, "JPY");
        // Three lines of 0.333 make 0.999, which a cent rounding keeps at 1.00.
        let three: Decimal = ["0.333", "0.333", "0.333"].iter().map(|v| v.parse::<Decimal>().expect("decimal")).sum();
        assert_eq!(c.amount(three, 1).value, Decimal::ONE);
    }

    #[test]
    fn only_whole_smallest_units_are_exact() {
        let c = currencies();
        assert!(c.is_exact("10.50".parse().expect("decimal"), 1));
        assert!(!c.is_exact("10.505".parse().expect("decimal"), 1));
        assert!(!c.is_exact("10.5".parse().expect("decimal"), 2));
        assert!(c.is_exact("10.505".parse().expect("decimal"), 3));
    }
}
