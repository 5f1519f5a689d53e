//! Odoo's `odoo/tools/float_utils.py`: rounding to a precision (a unit's rounding, a currency's
//! rounding, a field's digits) the way Odoo 18 does it, so that quantities and amounts come out to
//! the same last digit.

/// How a value is rounded to its precision (Odoo's `rounding_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// Away from zero (`UP`, `_compute_quantity`'s default).
    Up,
    /// Half away from zero (`HALF-UP`, the default everywhere else).
    HalfUp,
}

/// Odoo 18's `float_round(value, precision_rounding=precision, rounding_method=method)`: the value
/// is a multiple of `precision` after. A precision below 1 is inverted first (0.01 multiplies by
/// 100 rather than divides by 0.01), and an epsilon scaled to the value's magnitude (2^-50 of it)
/// tips binary representation errors (2.675 is 2.67499999...) the intended way.
pub(crate) fn round(value: f64, precision: f64, method: Rounding) -> f64 {
    if precision <= 0.0 || value == 0.0 || !value.is_finite() {
        return value;
    }
    // Inverting a small precision reduces rounding errors: 0.01 multiplies by 100.
    let inverted = precision < 1.0;
    let factor = if inverted { invert(precision) } else { precision };
    let normalized = if inverted { value * factor } else { value / factor };
    let epsilon = 2f64.powf(normalized.abs().log2() - 50.0);
    let rounded = match method {
        Rounding::HalfUp => (normalized + epsilon.copysign(normalized)).round(),
        Rounding::Up => (normalized + (1.0 - epsilon).copysign(normalized)).trunc(),
    };
    if inverted { rounded / factor } else { rounded * factor }
}

/// Odoo's `float_is_zero`: the value rounds to zero at this precision.
pub(crate) fn is_zero(value: f64, precision: f64) -> bool {
    value == 0.0 || round(value, precision, Rounding::HalfUp).abs() < precision
}

/// Odoo's `float_invert`: 1/x through the decimal representation, so that 0.01 gives exactly 100.
fn invert(value: f64) -> f64 {
    let text = format!("{value:.15e}");
    let Some((coefficient, exponent)) = text.split_once('e') else { return 1.0 / value };
    let (Ok(coefficient), Ok(exponent)) = (coefficient.parse::<f64>(), exponent.parse::<i32>()) else {
        return 1.0 / value;
    };
    format!("{coefficient}e{}", -exponent).parse::<f64>().map_or(1.0 / value, |v| v / (coefficient * coefficient))
}

#[cfg(test)]
mod tests {
    use super::{Rounding, invert, is_zero, round};

    #[test]
    fn half_up_rounds_ties_away_from_zero_despite_binary_errors() {
        assert_eq!(round(2.675, 0.01, Rounding::HalfUp), 2.68);
        assert_eq!(round(1.005, 0.01, Rounding::HalfUp), 1.01);
        assert_eq!(round(-2.675, 0.01, Rounding::HalfUp), -2.68);
        assert_eq!(round(0.5, 1.0, Rounding::HalfUp), 1.0);
        assert_eq!(round(-1.5, 1.0, Rounding::HalfUp), -2.0);
        assert_eq!(round(1.0005, 0.001, Rounding::HalfUp), 1.001);
        assert_eq!(round(0.999, 0.01, Rounding::HalfUp), 1.0);
    }

    #[test]
    fn up_rounds_away_from_zero_but_not_on_a_binary_error() {
        assert_eq!(round(2.341, 0.01, Rounding::Up), 2.35);
        assert_eq!(round(2.34, 0.01, Rounding::Up), 2.34);
        assert!((round(0.1 + 0.2, 0.1, Rounding::Up) - 0.3).abs() < 1e-12);
    }

    #[test]
    fn small_precisions_are_inverted_exactly() {
        assert_eq!(invert(0.01), 100.0);
        assert_eq!(invert(0.001), 1000.0);
        assert!(is_zero(0.004, 0.01));
        assert!(!is_zero(0.005, 0.01));
    }
}
