//! Decoding Odoo's field values: `false` for empty, many2one as `[id, display_name]`, floats that
//! must become exact decimals, naive UTC datetimes as "YYYY-MM-DD HH:MM:SS".

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};
use time::{OffsetDateTime, PrimitiveDateTime, macros::format_description};

use crate::{OdooError, models::Ref};

pub(crate) type Record = Map<String, Value>;

fn mismatch(field: &str, expected: &str) -> OdooError {
    OdooError::Protocol { message: format!("field {field}: expected {expected}") }
}

pub(crate) fn id(record: &Record) -> Result<i64, OdooError> {
    record.get("id").and_then(Value::as_i64).ok_or_else(|| mismatch("id", "an integer"))
}

/// A char field; Odoo sends `false` for empty.
pub(crate) fn text(record: &Record, field: &str) -> Option<String> {
    record.get(field).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned)
}

pub(crate) fn boolean(record: &Record, field: &str) -> bool {
    record.get(field).and_then(Value::as_bool).unwrap_or(false)
}

/// An x2many: a list of ids.
pub(crate) fn id_list(record: &Record, field: &str) -> Vec<i64> {
    record
        .get(field)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_i64).collect())
        .unwrap_or_default()
}

/// A many2one: `[id, display_name]` or `false`.
pub(crate) fn many2one(record: &Record, field: &str) -> Result<Option<Ref>, OdooError> {
    match record.get(field) {
        None | Some(Value::Bool(false) | Value::Null) => Ok(None),
        Some(Value::Array(pair)) => {
            let id = pair.first().and_then(Value::as_i64).ok_or_else(|| mismatch(field, "[id, name]"))?;
            let name = pair.get(1).and_then(Value::as_str).unwrap_or_default().to_owned();
            Ok(Some(Ref { id, name }))
        }
        Some(_) => Err(mismatch(field, "[id, name]")),
    }
}

/// A float field as an exact decimal. Odoo's JSON carries the shortest representation of the
/// double ("15.8", "0.30000000000000004"); parsing that text keeps every digit Odoo sent, and the
/// caller rounds to the precision the value is meant to have.
pub(crate) fn decimal(record: &Record, field: &str) -> Result<Decimal, OdooError> {
    match record.get(field) {
        None | Some(Value::Bool(false) | Value::Null) => Ok(Decimal::ZERO),
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map_err(|_| mismatch(field, "a number")),
        Some(_) => Err(mismatch(field, "a number")),
    }
}

/// A datetime field, which Odoo sends as naive UTC.
pub(crate) fn datetime(record: &Record, field: &str) -> Result<Option<OffsetDateTime>, OdooError> {
    let Some(text) = text(record, field) else {
        return Ok(None);
    };
    parse_odoo_datetime(&text).map(Some).ok_or_else(|| mismatch(field, "a datetime"))
}

/// Parses Odoo's naive UTC "YYYY-MM-DD HH:MM:SS" (any fraction of a second is dropped).
pub(crate) fn parse_odoo_datetime(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(text.get(..19).unwrap_or(text), &format).ok().map(PrimitiveDateTime::assume_utc)
}

/// Formats a timestamp the way Odoo compares datetimes in domains.
pub fn odoo_datetime(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.format(&format).unwrap_or_default()
}

/// Rounds to a unit of measure's rounding precision (half away from zero, as Odoo's `float_round`),
/// and drops trailing zeros.
pub fn round_to_precision(value: Decimal, rounding: Decimal) -> Decimal {
    if rounding <= Decimal::ZERO {
        return value.normalize();
    }
    let steps = (value / rounding).round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    (steps * rounding).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn record(value: Value) -> Record {
        match value {
            Value::Object(map) => map,
            _ => Record::new(),
        }
    }

    #[test]
    fn float_artefacts_disappear_after_rounding() {
        let r = record(json!({"q": 0.30000000000000004, "big": 1.0000000002}));
        let hundredth = Decimal::new(1, 2);
        assert_eq!(round_to_precision(decimal(&r, "q").expect("number"), hundredth).to_string(), "0.3");
        assert_eq!(round_to_precision(decimal(&r, "big").expect("number"), hundredth).to_string(), "1");
    }

    #[test]
    fn rounding_follows_the_unit_precision() {
        let r = record(json!({"kg": 312.4555}));
        assert_eq!(round_to_precision(decimal(&r, "kg").expect("number"), Decimal::new(1, 3)).to_string(), "312.456");
        assert_eq!(round_to_precision(Decimal::new(75, 1), Decimal::new(5, 1)).to_string(), "7.5");
        assert_eq!(round_to_precision(Decimal::new(-25, 3), Decimal::new(1, 2)).to_string(), "-0.03");
    }

    #[test]
    fn many2one_and_empty_values_decode() {
        let r = record(json!({"uom_id": [1, "Units"], "lot_id": false, "name": false}));
        assert_eq!(many2one(&r, "uom_id").expect("valid"), Some(Ref { id: 1, name: "Units".into() }));
        assert_eq!(many2one(&r, "lot_id").expect("valid"), None);
        assert_eq!(text(&r, "name"), None);
        assert!(many2one(&record(json!({"x": "oops"})), "x").is_err());
    }

    #[test]
    fn odoo_datetimes_are_utc() {
        let r = record(json!({"write_date": "2026-11-23 04:09:06"}));
        let at = datetime(&r, "write_date").expect("valid").expect("set");
        assert_eq!(at.unix_timestamp(), 1_795_406_946);
        assert_eq!(odoo_datetime(at), "2026-11-23 04:09:06");
    }

    proptest! {
        #[test]
        fn rounded_quantities_are_multiples_of_the_precision(units in -1_000_000i64..1_000_000, noise in -4i64..5) {
            // A value within a few ulps of n/100 always rounds back to exactly n/100.
            let exact = units as f64 / 100.0;
            let noisy = f64::from_bits((exact.to_bits() as i64 + noise) as u64);
            let r = record(json!({"q": noisy}));
            let rounded = round_to_precision(decimal(&r, "q").expect("number"), Decimal::new(1, 2));
            prop_assert_eq!(rounded, Decimal::new(units, 2).normalize());
        }
    }
}
