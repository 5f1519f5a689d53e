//! Decoding one record as Odoo returned it, field by field: `false` for empty, many2one as
//! `[id, display_name]`, floats that must become exact decimals, naive UTC datetimes as
//! "YYYY-MM-DD HH:MM:SS". A field that was not read, or holds something else than its type,
//! fails with the model, the record and the field, so one odd record can be told apart (and left
//! out of a batch: see `decoded`).

use std::str::FromStr;

use rust_decimal::{Decimal, prelude::FromPrimitive};
use serde_json::{Map, Number, Value};
use time::OffsetDateTime;

use super::{Field, Model, datetime::parse_odoo_datetime};
use crate::{
    OdooError,
    models::{Amount, Ref},
};

/// A record as Odoo's JSON has it.
pub(crate) type Record = Map<String, Value>;

/// The most characters of an odd value a report quotes.
const QUOTED: usize = 60;

/// A record that could not be decoded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    pub model: &'static str,
    /// The record's id (0 when even that was missing).
    pub id: i64,
    pub field: &'static str,
    pub expected: &'static str,
    /// What Odoo holds there, quoted and shortened; `None` when its answer lacks the field, which
    /// is odoo-mesh's mistake (it did not ask for it), not the record's.
    pub found: Option<String>,
    /// The record this one is part of (the order of a line), which cannot be read without it.
    pub part_of: Option<(&'static str, i64)>,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} record {}", self.model, self.id)?;
        if let Some((model, id)) = self.part_of {
            write!(f, " (of {model} record {id})")?;
        }
        match &self.found {
            Some(found) => write!(f, ": field {} holds {found}, expected {}", self.field, self.expected),
            None => write!(f, ": field {} is not in odoo's answer", self.field),
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// The error as that of a part of `model` record `id`.
    pub(crate) fn part_of(self, model: &'static str, id: i64) -> Self {
        Self { part_of: Some((model, id)), ..self }
    }

    /// Whether Odoo holds a value odoo-mesh cannot decode, rather than odoo-mesh having read
    /// the record wrongly.
    pub fn is_odd_value(&self) -> bool {
        self.found.is_some()
    }
}

/// An odd value in a record is the record's, and named as such; a field missing from Odoo's
/// answer is odoo-mesh's own mistake.
impl From<DecodeError> for OdooError {
    fn from(error: DecodeError) -> Self {
        if error.is_odd_value() {
            OdooError::UnreadableRecord(error)
        } else {
            OdooError::Protocol { message: error.to_string() }
        }
    }
}

/// One record of a model, read with the fields its module asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'a> {
    model: Model,
    id: i64,
    record: &'a Record,
}

impl<'a> Row<'a> {
    pub(crate) fn new(model: Model, record: &'a Record) -> Result<Self, DecodeError> {
        let id = record.get("id").and_then(Value::as_i64).ok_or_else(|| DecodeError {
            model: model.name,
            id: 0,
            field: "id",
            expected: "an integer",
            found: record.get("id").map(quote),
            part_of: None,
        })?;
        Ok(Self { model, id, record })
    }

    pub(crate) fn id(&self) -> i64 {
        self.id
    }

    pub(crate) fn mismatch(&self, field: &Field, expected: &'static str) -> DecodeError {
        DecodeError {
            model: self.model.name,
            id: self.id,
            field: field.name,
            expected,
            found: self.raw(field).map(quote),
            part_of: None,
        }
    }

    /// The field's value under whichever of its names was read; `None` for an optional field the
    /// server lacks. A required field that is absent was not asked for: a bug, reported as such.
    fn value(&self, field: &Field) -> Result<Option<&'a Value>, DecodeError> {
        match field.names().find_map(|name| self.record.get(name)) {
            Some(Value::Null | Value::Bool(false)) => Ok(None),
            Some(value) => Ok(Some(value)),
            None if field.optional => Ok(None),
            None => Err(self.mismatch(field, "the field to be read")),
        }
    }

    /// A char, text or selection field; Odoo sends `false` for empty.
    pub(crate) fn text(&self, field: &Field) -> Result<Option<&'a str>, DecodeError> {
        match self.value(field)? {
            None => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(self.mismatch(field, "text")),
        }
    }

    pub(crate) fn boolean(&self, field: &Field) -> Result<bool, DecodeError> {
        match self.value(field)? {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(self.mismatch(field, "a boolean")),
        }
    }

    pub(crate) fn integer(&self, field: &Field) -> Result<i64, DecodeError> {
        match self.value(field)? {
            None => Ok(0),
            Some(value) => value.as_i64().ok_or_else(|| self.mismatch(field, "an integer")),
        }
    }

    /// An x2many: a list of ids.
    pub(crate) fn ids(&self, field: &Field) -> Result<Vec<i64>, DecodeError> {
        match self.value(field)? {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => {
                items.iter().map(|v| v.as_i64().ok_or_else(|| self.mismatch(field, "a list of ids"))).collect()
            }
            Some(_) => Err(self.mismatch(field, "a list of ids")),
        }
    }

    /// A many2one: `[id, display_name]` or `false`.
    pub(crate) fn many2one(&self, field: &Field) -> Result<Option<Ref>, DecodeError> {
        match self.value(field)? {
            None => Ok(None),
            Some(Value::Array(pair)) => {
                let id = pair.first().and_then(Value::as_i64).ok_or_else(|| self.mismatch(field, "[id, name]"))?;
                let name = pair.get(1).and_then(Value::as_str).unwrap_or_default().to_owned();
                Ok(Some(Ref { id, name }))
            }
            Some(_) => Err(self.mismatch(field, "[id, name]")),
        }
    }

    /// A many2one every record of the model has (an order's customer, a product's unit).
    pub(crate) fn reference(&self, field: &Field) -> Result<Ref, DecodeError> {
        self.many2one(field)?.ok_or_else(|| self.mismatch(field, "a record"))
    }

    /// A float field as an exact decimal. Odoo's JSON carries the shortest representation of the
    /// double ("15.8", "0.30000000000000004"); parsing that text keeps every digit Odoo sent, and
    /// the caller rounds to the precision the value is meant to have.
    pub(crate) fn decimal(&self, field: &Field) -> Result<Decimal, DecodeError> {
        match self.value(field)? {
            None => Ok(Decimal::ZERO),
            Some(Value::Number(n)) => decimal_of(n).ok_or_else(|| self.mismatch(field, IN_RANGE)),
            Some(_) => Err(self.mismatch(field, "a number")),
        }
    }

    /// A datetime field, which Odoo sends as naive UTC.
    pub(crate) fn datetime(&self, field: &Field) -> Result<Option<OffsetDateTime>, DecodeError> {
        match self.text(field)? {
            None => Ok(None),
            Some(text) => parse_odoo_datetime(text).map(Some).ok_or_else(|| self.mismatch(field, "a datetime")),
        }
    }

    /// A selection field, by the table of the values odoo-mesh knows; `None` when empty. A value
    /// it does not know (a module adds states, a newer Odoo values) is noted and decoded as
    /// `other`: the record is still served.
    pub(crate) fn selection<T: Copy>(
        &self,
        field: &Field,
        known: &[(&str, T)],
        other: T,
    ) -> Result<Option<T>, DecodeError> {
        let Some(text) = self.text(field)? else { return Ok(None) };
        Ok(Some(known.iter().find(|(name, _)| *name == text).map_or_else(
            || {
                self.unknown_value(field, text);
                other
            },
            |(_, value)| *value,
        )))
    }

    /// A monetary field in `currency`, to the precision odoo-mesh answers with.
    pub(crate) fn amount(&self, field: &Field, currency: &str) -> Result<Amount, DecodeError> {
        Ok(Amount { value: self.decimal(field)?.round_dp(6).normalize(), currency: currency.to_owned() })
    }

    /// Notes a value odoo-mesh does not know, served as "other".
    pub(crate) fn unknown_value(&self, field: &Field, value: &str) {
        tracing::warn!(
            model = self.model.name,
            id = self.id,
            field = field.name,
            value,
            "a value odoo-mesh does not know"
        );
    }

    /// The raw value, for change detection that compares values without decoding them.
    pub(crate) fn raw(&self, field: &Field) -> Option<&'a Value> {
        field.names().find_map(|name| self.record.get(name))
    }
}

/// What a decimal holds: Odoo's floats go far beyond (a `float` column takes 1e30, and Odoo's JSON
/// sends it as `1e+30`).
const IN_RANGE: &str = "a number of at most 28 digits before the decimal point";

/// A JSON number as an exact decimal, `None` beyond a decimal's range (±7.9e28: rust_decimal
/// answers an error there, never a panic). A magnitude below its 28 decimal places (1e-30) is
/// rounded to them — to zero, far below any precision Odoo shows a quantity or amount with.
fn decimal_of(number: &Number) -> Option<Decimal> {
    parse_decimal(&number.to_string())
        .or_else(|| number.as_f64().filter(|f| f.abs() < 1.0).and_then(Decimal::from_f64).map(|d| d.normalize()))
}

/// A JSON number's text as an exact decimal (plain or scientific notation).
fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text).or_else(|_| Decimal::from_scientific(text)).ok()
}

/// A value as a report quotes it: its JSON, shortened.
fn quote(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(QUOTED) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
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

    const THING: Model = Model::new("x.thing", "base");
    const Q: Field = THING.field("q");
    const UOM: Field = THING.field("uom_id");
    const NAME: Field = THING.field("name");
    const AT: Field = THING.field("write_date");
    const RENAMED: Field = THING.field("product_uom_id").before_19("product_uom");
    const EXTRA: Field = THING.field("only_sometimes").optional();

    #[test]
    fn numbers_are_decoded_as_odoo_wrote_them_not_through_a_float() {
        // 17 significant digits: an f64 keeps 1234567.8901234567 as 1234567.890123457.
        let text = r#"{"id": 1, "q": 1234567.8901234567}"#;
        let r: Record = serde_json::from_str(text).expect("json");
        let exact = Row::new(THING, &r).expect("id").decimal(&Q).expect("decimal");
        assert_eq!(exact.to_string(), "1234567.8901234567");
        let through_a_float = Decimal::from_f64(1_234_567.890_123_456_7).expect("finite");
        assert_ne!(exact, through_a_float, "an f64 round trip would have changed it");
    }

    fn record(value: Value) -> Record {
        match value {
            Value::Object(map) => map,
            _ => Record::new(),
        }
    }

    fn decimal_of(value: f64) -> Decimal {
        let r = record(json!({"id": 1, "q": value}));
        Row::new(THING, &r).expect("id").decimal(&Q).expect("number")
    }

    #[test]
    fn a_selection_value_odoo_mesh_does_not_know_is_served_as_other() {
        const KNOWN: &[(&str, u8)] = &[("draft", 1), ("done", 2)];
        let other = 0;
        let decode = |value: Value| {
            let r = record(json!({"id": 1, "name": value}));
            Row::new(THING, &r).expect("id").selection(&NAME, KNOWN, other).expect("text")
        };
        assert_eq!(decode(json!("done")), Some(2));
        assert_eq!(decode(json!("to approve by the board")), Some(other), "a module's own state");
        assert_eq!(decode(json!(false)), None, "Odoo's empty selection");
    }

    #[test]
    fn float_artefacts_disappear_after_rounding() {
        let hundredth = Decimal::new(1, 2);
        assert_eq!(round_to_precision(decimal_of(0.300_000_000_000_000_04), hundredth).to_string(), "0.3");
        assert_eq!(round_to_precision(decimal_of(1.000_000_000_2), hundredth).to_string(), "1");
    }

    #[test]
    fn rounding_follows_the_unit_precision() {
        assert_eq!(round_to_precision(decimal_of(312.4555), Decimal::new(1, 3)).to_string(), "312.456");
        assert_eq!(round_to_precision(Decimal::new(75, 1), Decimal::new(5, 1)).to_string(), "7.5");
        assert_eq!(round_to_precision(Decimal::new(-25, 3), Decimal::new(1, 2)).to_string(), "-0.03");
    }

    #[test]
    fn many2one_and_empty_values_decode() {
        let r = record(json!({"id": 3, "uom_id": [1, "Units"], "name": false}));
        let row = Row::new(THING, &r).expect("id");
        assert_eq!(row.many2one(&UOM).expect("valid"), Some(Ref { id: 1, name: "Units".into() }));
        assert_eq!(row.text(&NAME).expect("valid"), None);
        let odd = record(json!({"id": 4, "uom_id": "oops"}));
        let error = Row::new(THING, &odd).expect("id").many2one(&UOM).expect_err("not a pair");
        assert_eq!((error.model, error.id, error.field), ("x.thing", 4, "uom_id"));
    }

    #[test]
    fn a_field_is_found_under_either_of_its_names() {
        let v18 = record(json!({"id": 1, "product_uom": [2, "Dozens"]}));
        let v19 = record(json!({"id": 1, "product_uom_id": [2, "Dozens"]}));
        for r in [&v18, &v19] {
            assert_eq!(Row::new(THING, r).expect("id").reference(&RENAMED).expect("unit").name, "Dozens");
        }
    }

    #[test]
    fn a_required_field_that_was_not_read_is_an_error_an_optional_one_is_empty() {
        let r = record(json!({"id": 9}));
        let row = Row::new(THING, &r).expect("id");
        assert!(row.text(&NAME).is_err(), "a required field missing from the answer is never silently empty");
        assert_eq!(row.boolean(&EXTRA), Ok(false));
    }

    #[test]
    fn numbers_beyond_a_decimals_range_are_a_decode_error_naming_the_value() {
        for huge in [1e30, -1e30, 1.000_000_000_000_002_7e30, 8e28, 1e300, f64::MAX] {
            let r = record(json!({"id": 7, "q": huge}));
            let error = Row::new(THING, &r).expect("id").decimal(&Q).expect_err("beyond range");
            assert_eq!((error.model, error.id, error.field), ("x.thing", 7, "q"));
            assert!(error.is_odd_value(), "the record's, not odoo-mesh's: {error}");
            assert_eq!(error.found.as_deref().and_then(|f| f.parse::<f64>().ok()), Some(huge));
        }
    }

    #[test]
    fn numbers_below_a_decimals_places_round_to_zero() {
        for tiny in [1e-30, -1e-30, 1.5e-29, 5e-324] {
            assert_eq!(decimal_of(tiny), Decimal::ZERO, "{tiny:e}");
        }
        assert_eq!(decimal_of(1.5e-28).to_string(), "0.0000000000000000000000000002");
    }

    #[test]
    fn a_field_missing_from_the_answer_is_odoo_meshs_mistake_not_the_records() {
        let r = record(json!({"id": 9}));
        let error = Row::new(THING, &r).expect("id").text(&NAME).expect_err("not read");
        assert!(!error.is_odd_value());
        assert!(matches!(OdooError::from(error), OdooError::Protocol { .. }));
        let odd = record(json!({"id": 9, "name": 12}));
        let error = Row::new(THING, &odd).expect("id").text(&NAME).expect_err("a number");
        assert!(matches!(OdooError::from(error), OdooError::UnreadableRecord(_)));
    }

    #[test]
    fn odoo_datetimes_are_utc() {
        let r = record(json!({"id": 1, "write_date": "2026-11-23 04:09:06"}));
        let at = Row::new(THING, &r).expect("id").datetime(&AT).expect("valid").expect("set");
        assert_eq!(at.unix_timestamp(), 1_795_406_946);
        assert_eq!(crate::odoo::odoo_datetime(at), "2026-11-23 04:09:06");
    }

    proptest! {
        /// Whatever float Odoo holds, decoding it answers (never panics): exactly when it is
        /// within a decimal's range, give or take the last digit of its text.
        #[test]
        fn any_float_decodes_or_is_refused_without_panic(bits in any::<u64>()) {
            let value = f64::from_bits(bits);
            prop_assume!(value.is_finite());
            let r = record(json!({"id": 1, "q": value}));
            let decoded = Row::new(THING, &r).expect("id").decimal(&Q);
            if value.abs() < 7.9e28 {
                prop_assert!(decoded.is_ok(), "{value:e}");
            }
            if value.abs() > 7.93e28 {
                prop_assert!(decoded.is_err(), "{value:e}");
            }
        }

        #[test]
        fn rounded_quantities_are_multiples_of_the_precision(units in -1_000_000i64..1_000_000, noise in -4i64..5) {
            // A value within a few ulps of n/100 always rounds back to exactly n/100.
            let exact = units as f64 / 100.0;
            let noisy = f64::from_bits((exact.to_bits() as i64 + noise) as u64);
            let rounded = round_to_precision(decimal_of(noisy), Decimal::new(1, 2));
            prop_assert_eq!(rounded, Decimal::new(units, 2).normalize());
        }
    }
}
