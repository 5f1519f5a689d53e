//! The one syntax of the decimal strings callers send (`Quantity.value`, `discount_percent`), the
//! bounds of every decimal and price they send, and nothing else: no other code parses a
//! caller's decimal.
//!
//! **Syntax**: `-?(0|[1-9][0-9]*)(\.[0-9]+)?` — digits without a leading zero, then optionally a
//! point and digits. No `+`, no `_` separators, no spaces, no exponent, no `.5` or `5.` (a point
//! always has digits on both sides). The `-` is part of the syntax, but every field that takes a
//! decimal today refuses negatives with its own words ("must be greater than zero").
//!
//! **Bounds**: below 10^9 in magnitude, at most 6 digits after the point; prices (`Money`) the same:
//! `units` below 10^9, `nanos` a multiple of 1,000. Why: Odoo carries quantities and prices as
//! JSON numbers, IEEE doubles, which hold any decimal of at most 15 significant digits exactly
//! (DBL_DIG): the double nearest it prints back, shortest form, as the same decimal. 9 whole digits
//! and 6 decimals are 15. Beyond them Odoo would store another number than the caller sent, so
//! such a value is refused, never rounded.

use rust_decimal::Decimal;

use super::echo::echo;
use crate::{error::FieldViolation, proto::common::v1::Money};

/// Digits before the point: magnitudes below 10^9.
pub(crate) const MAX_WHOLE_DIGITS: usize = 9;
/// Digits after the point.
pub(crate) const MAX_FRACTION_DIGITS: usize = 6;
/// The largest whole units of a price.
const MAX_UNITS: i64 = 999_999_999;
/// Nanos are billionths: a multiple of this has at most [`MAX_FRACTION_DIGITS`] decimals.
const NANOS_STEP: i32 = 1_000;

/// What a refused decimal string is told.
const SYNTAX: &str = "must be a decimal number like \"12\" or \"0.25\": digits, optionally a \".\" and 1 to 6 \
                      digits, below 1000000000; no sign, spaces, \"_\" or exponent";

/// A decimal string in the one syntax, within the bounds; `None` for anything else. Never panics.
pub(crate) fn parse(text: &str) -> Option<Decimal> {
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match unsigned.split_once('.') {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (unsigned, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let whole_ok = digits(whole) && whole.len() <= MAX_WHOLE_DIGITS && (whole == "0" || !whole.starts_with('0'));
    let fraction_ok = fraction.is_none_or(|f| digits(f) && f.len() <= MAX_FRACTION_DIGITS);
    if !(whole_ok && fraction_ok) {
        return None;
    }
    Decimal::from_str_exact(text).ok()
}

fn refused(field: &str, text: &str, why: &str) -> FieldViolation {
    FieldViolation::new(field, format!("{why}, got {}", echo(text)))
}

/// A quantity: a decimal greater than zero.
pub(crate) fn quantity(field: &str, text: &str) -> Result<Decimal, FieldViolation> {
    match parse(text) {
        Some(value) if value > Decimal::ZERO => Ok(value.normalize()),
        Some(_) => Err(refused(field, text, "must be greater than zero")),
        None => Err(refused(field, text, SYNTAX)),
    }
}

/// A counted quantity: a decimal of zero or more (a count may find nothing).
pub(crate) fn counted(field: &str, text: &str) -> Result<Decimal, FieldViolation> {
    match parse(text) {
        Some(value) if !text.starts_with('-') => Ok(value.normalize()),
        Some(_) => Err(refused(field, text, "must be zero or more")),
        None => Err(refused(field, text, SYNTAX)),
    }
}

/// A percentage: a decimal from 0 to 100.
pub(crate) fn percent(field: &str, text: &str) -> Result<Decimal, FieldViolation> {
    match parse(text) {
        Some(value) if !text.starts_with('-') && value <= Decimal::ONE_HUNDRED => Ok(value.normalize()),
        Some(_) => Err(refused(field, text, "must be from 0 to 100")),
        None => Err(refused(field, text, SYNTAX)),
    }
}

/// A price: `units` and `nanos` as google.type.Money, not negative, within the bounds above. Its
/// currency is checked apart (`limits::currency_code`).
pub(crate) fn price(field: &str, money: &Money) -> Result<Decimal, FieldViolation> {
    let Money { units, nanos, .. } = *money;
    if !(-999_999_999..=999_999_999).contains(&nanos) || (units > 0 && nanos < 0) || (units < 0 && nanos > 0) {
        return Err(FieldViolation::new(
            format!("{field}.nanos"),
            format!("must be within ±999999999 and have the sign of units, got {nanos}"),
        ));
    }
    if units < 0 || nanos < 0 {
        return Err(FieldViolation::new(field, "must not be negative"));
    }
    if units > MAX_UNITS {
        return Err(FieldViolation::new(
            format!("{field}.units"),
            format!("must be below 1000000000 (Odoo keeps 15 significant digits), got {units}"),
        ));
    }
    if nanos % NANOS_STEP != 0 {
        return Err(FieldViolation::new(
            format!("{field}.nanos"),
            format!(
                "at most {MAX_FRACTION_DIGITS} decimals: must be a multiple of {NANOS_STEP} (Odoo keeps 15 \
                 significant digits), got {nanos}"
            ),
        ));
    }
    Ok((Decimal::from(units) + Decimal::new(i64::from(nanos), 9)).normalize())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What Odoo does to a decimal: a JSON double, printed back in its shortest form.
    fn through_odoo(value: Decimal) -> Option<Decimal> {
        let double: f64 = value.to_string().parse().ok()?;
        Decimal::from_str_exact(&double.to_string()).ok()
    }

    /// Strings in the syntax, within the bounds.
    fn accepted() -> impl Strategy<Value = String> {
        (any::<bool>(), 0u64..1_000_000_000, proptest::option::of("[0-9]{1,6}")).prop_map(
            |(negative, whole, fraction)| {
                let sign = if negative { "-" } else { "" };
                match fraction {
                    Some(fraction) => format!("{sign}{whole}.{fraction}"),
                    None => format!("{sign}{whole}"),
                }
            },
        )
    }

    #[test]
    fn the_documented_examples() {
        for (text, value) in
            [("12", "12"), ("0.25", "0.25"), ("999999999.999999", "999999999.999999"), ("-3.5", "-3.5")]
        {
            assert_eq!(parse(text), Some(value.parse().expect("decimal")), "{text}");
        }
        for bad in [
            "+1",
            "1_000",
            " 1",
            "1 ",
            "1e3",
            "1E3",
            ".5",
            "5.",
            "01",
            "1.1234567",
            "1000000000",
            "",
            "-",
            "1,5",
            "NaN",
            "１",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn quantities_are_positive_and_percentages_within_0_to_100() {
        assert_eq!(quantity("q", "2.5"), Ok(Decimal::new(25, 1)));
        for bad in ["0", "-1", "0.000"] {
            assert_eq!(
                quantity("q", bad).expect_err(bad).description,
                format!("must be greater than zero, got {bad:?}")
            );
        }
        assert_eq!(percent("d", "100"), Ok(Decimal::ONE_HUNDRED));
        assert!(percent("d", "100.000001").is_err());
        assert!(percent("d", "-0").is_err());
    }

    #[test]
    fn prices_are_refused_beyond_the_bounds_never_rounded() {
        let money = |units, nanos| Money { currency_code: String::new(), units, nanos };
        assert_eq!(price("p", &money(12, 500_000_000)), Ok(Decimal::new(125, 1)));
        assert_eq!(price("p", &money(999_999_999, 999_999_000)), Ok("999999999.999999".parse().expect("decimal")));
        assert_eq!(price("p", &money(1, 1)).expect_err("too fine").field, "p.nanos");
        assert_eq!(price("p", &money(1_000_000_000, 0)).expect_err("too big").field, "p.units");
        assert_eq!(price("p", &money(1, -5)).expect_err("signs differ").field, "p.nanos");
        assert_eq!(price("p", &money(-1, 0)).expect_err("negative").field, "p");
    }

    proptest! {
        /// Every decimal the edge accepts reaches Odoo and comes back as the very same number.
        #[test]
        fn every_accepted_decimal_survives_odoos_doubles(text in accepted()) {
            let value = parse(&text).expect("in the syntax");
            prop_assert_eq!(through_odoo(value), Some(value));
        }

        #[test]
        fn every_accepted_price_survives_odoos_doubles(units in 0i64..1_000_000_000, micros in 0i32..1_000_000) {
            let money = Money { currency_code: "EUR".into(), units, nanos: micros * 1_000 };
            let value = price("p", &money).expect("within bounds");
            prop_assert_eq!(through_odoo(value), Some(value));
        }

        #[test]
        fn every_refused_class_is_refused(text in accepted(), at in any::<prop::sample::Index>()) {
            let unsigned = text.trim_start_matches('-');
            let cut = at.index(unsigned.len() + 1);
            for bad in [
                format!("+{unsigned}"),
                format!("{}_{}", &unsigned[..cut], &unsigned[cut..]),
                format!(" {text}"),
                format!("{text} "),
                format!("{text}e3"),
                format!("{text}E-2"),
                format!("{}{}1234567", unsigned, if unsigned.contains('.') { "" } else { "." }),
                format!("1{:0>9}", unsigned.split('.').next().unwrap_or_default()),
                format!(".{}", unsigned.replace('.', "")),
            ] {
                prop_assert_eq!(parse(&bad), None, "{:?} was accepted", bad);
            }
        }

        #[test]
        fn prices_finer_or_larger_than_the_bounds_are_refused(units in 0i64..i64::MAX, nanos in 0i32..1_000_000_000) {
            let money = Money { currency_code: String::new(), units, nanos };
            prop_assert_eq!(price("p", &money).is_ok(), units < 1_000_000_000 && nanos % 1_000 == 0);
        }

        #[test]
        fn parsing_anything_never_panics_and_accepts_only_the_syntax(text in any::<String>()) {
            if let Some(value) = parse(&text) {
                prop_assert!(text.len() <= 17);
                prop_assert_eq!(through_odoo(value), Some(value));
            }
            let _ = quantity("q", &text);
            let _ = percent("d", &text);
        }
    }
}
