//! `uom.uom`: units of measure, their rounding, and conversion between them — which differs by
//! version. Odoo 18 groups units in categories and stores `factor` as how many of a unit make one
//! reference unit of the category (`qty / from.factor * to.factor`); Odoo 19 has no categories:
//! units form a tree by `relative_uom_id`, and `factor` is the unit's size in the tree's root unit
//! (`qty * from.factor / to.factor`; recording 82 of Odoo 19).

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Map, json};

use super::{Field, Model, Odoo, Schema};
use crate::{OdooError, SearchOptions};

pub(crate) const UOM: Model = Model::new("uom.uom", "uom");
const NAME: Field = UOM.field("name");
const ROUNDING: Field = UOM.field("rounding");
const FACTOR: Field = UOM.field("factor");
const ACTIVE: Field = UOM.field("active");
/// Odoo 18: units convert within a category.
const CATEGORY: Field = UOM.field("category_id").optional();
/// Odoo 19: units convert within a tree.
const PARENT: Field = UOM.field("relative_uom_id").optional();

pub(crate) const FIELDS: &[Field] = &[NAME, ROUNDING, FACTOR, ACTIVE, CATEGORY, PARENT];

/// The rounding Odoo applies when a unit says nothing (its decimal precision "Product Unit").
const DEFAULT_ROUNDING: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// Digits kept of a converted quantity before rounding it up: Odoo 18 stores 1/12 as a float,
/// and 2 / 0.08333333333333333 must be 24, not 24.01.
const NOISE_DIGITS: u32 = 9;

/// How a server's `factor` relates units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    /// Odoo 18: how many of the unit make one reference unit of its category.
    PerReference,
    /// Odoo 19: the unit's size in the root unit of its tree.
    RootSize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Unit {
    name: String,
    rounding: Decimal,
    factor: Decimal,
    /// Units convert only within a family: the category (18) or the tree's root (19).
    family: i64,
    /// Archived units still convert (19's trees pass through some), but are not offered to callers.
    active: bool,
}

/// Every unit of the server, archived ones included (19 trees pass through inactive units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Units {
    units: HashMap<i64, Unit>,
    scale: Scale,
}

impl Units {
    pub(crate) async fn read(odoo: &Odoo, schema: &Schema) -> Result<Self, OdooError> {
        let context = Map::from_iter([("active_test".to_owned(), json!(false))]);
        let rows = odoo.search(schema, UOM, json!([]), FIELDS, &SearchOptions::ordered("id"), context).await?;
        let scale = if schema.name(&PARENT).is_some() { Scale::RootSize } else { Scale::PerReference };
        // A unit that cannot be decoded is left out (and reported): its quantities are then
        // rounded to the default precision and do not convert, rather than every stock read failing.
        let decoded = odoo.decode_each(UOM, &rows, |row| {
            let rounding = row.decimal(&ROUNDING)?;
            let family = match scale {
                Scale::PerReference => row.many2one(&CATEGORY)?.map_or(row.id(), |c| c.id),
                Scale::RootSize => row.id(),
            };
            let unit = Unit {
                name: row.text(&NAME)?.unwrap_or_default().to_owned(),
                rounding: if rounding > Decimal::ZERO { rounding } else { DEFAULT_ROUNDING },
                factor: row.decimal(&FACTOR)?,
                family,
                active: row.boolean(&ACTIVE)?,
            };
            Ok((row.id(), row.many2one(&PARENT)?.map(|p| p.id), unit))
        })?;
        let mut parents = HashMap::new();
        let mut units = HashMap::new();
        for (id, parent, unit) in decoded.items {
            parents.insert(id, parent);
            units.insert(id, unit);
        }
        if scale == Scale::RootSize {
            for (id, unit) in &mut units {
                unit.family = root(*id, &parents);
            }
        }
        Ok(Self { units, scale })
    }

    pub(crate) fn name(&self, unit: i64) -> &str {
        self.units.get(&unit).map_or("", |u| u.name.as_str())
    }

    /// What Odoo stores of `quantity` in `unit`: rounded to the unit's precision. The quantity when
    /// that leaves it as it is; else what it would become (zero for a thousandth of a Unit).
    pub(crate) fn storable(&self, quantity: Decimal, unit: i64) -> Result<Decimal, Decimal> {
        let stored = super::round_to_precision(quantity, self.rounding(unit));
        if stored == quantity.normalize() { Ok(stored) } else { Err(stored) }
    }

    /// The precision quantities in a unit are rounded to.
    pub(crate) fn rounding(&self, unit: i64) -> Decimal {
        self.units.get(&unit).map_or(DEFAULT_ROUNDING, |u| u.rounding)
    }

    /// The active unit called `name` (as people write it: any case) that quantities in `of` convert to.
    pub(crate) fn compatible(&self, name: &str, of: i64) -> Result<i64, UnitProblem> {
        let family = self.units.get(&of).map(|u| u.family);
        let named: Vec<(&i64, &Unit)> =
            self.units.iter().filter(|(_, u)| u.active && u.name.eq_ignore_ascii_case(name.trim())).collect();
        if named.is_empty() {
            return Err(UnitProblem::Unknown);
        }
        named.iter().find(|(_, u)| Some(u.family) == family).map(|(id, _)| **id).ok_or(UnitProblem::Incompatible)
    }

    /// `quantity` in `from` expressed in `to`, as Odoo's `_compute_quantity` does: rounded up to
    /// `to`'s precision (after dropping the noise of a factor stored as a float, as Odoo's
    /// `float_round` does with its epsilon); `None` when the units do not convert.
    pub(crate) fn convert(&self, quantity: Decimal, from: i64, to: i64) -> Option<Decimal> {
        if from == to {
            return Some(quantity);
        }
        let (a, b) = (self.units.get(&from)?, self.units.get(&to)?);
        if a.family != b.family || a.factor.is_zero() || b.factor.is_zero() {
            return None;
        }
        let converted = match self.scale {
            Scale::PerReference => quantity.checked_div(a.factor)?.checked_mul(b.factor)?,
            Scale::RootSize => quantity.checked_mul(a.factor)?.checked_div(b.factor)?,
        };
        let steps = (converted.round_dp(NOISE_DIGITS) / b.rounding)
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::AwayFromZero);
        Some((steps * b.rounding).normalize())
    }
}

/// Why a unit named by a caller cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitProblem {
    /// No unit has that name.
    Unknown,
    /// Units of that name exist, but none converts to the product's.
    Incompatible,
}

/// The root of a unit's tree (a cycle, which Odoo forbids, stops at the unit where it closes).
fn root(id: i64, parents: &HashMap<i64, Option<i64>>) -> i64 {
    let mut at = id;
    let mut seen = vec![id];
    while let Some(Some(parent)) = parents.get(&at) {
        if seen.contains(parent) {
            break;
        }
        seen.push(*parent);
        at = *parent;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// A quantity is storable exactly when it is a whole number of its unit's rounding steps,
        /// and then Odoo keeps it as it is.
        #[test]
        fn only_whole_steps_of_a_units_precision_are_stored_as_given(
            millis in 1i64..10_000_000,
            rounding in prop_oneof![Just(Decimal::new(1, 2)), Just(Decimal::new(1, 3)), Just(Decimal::ONE), Just(Decimal::new(5, 1))],
        ) {
            let units = Units {
                units: HashMap::from([(1, Unit { rounding, ..unit("Units", Decimal::ONE, 1) })]),
                scale: Scale::PerReference,
            };
            let quantity = Decimal::new(millis, 3);
            let whole_steps = (quantity / rounding).fract().is_zero();
            match units.storable(quantity, 1) {
                Ok(stored) => prop_assert!(whole_steps && stored == quantity.normalize()),
                Err(stored) => prop_assert!(!whole_steps && stored != quantity.normalize()),
            }
        }
    }

    fn unit(name: &str, factor: Decimal, family: i64) -> Unit {
        Unit { name: name.into(), rounding: Decimal::new(1, 2), factor, family, active: true }
    }

    #[test]
    fn odoo_18_divides_by_the_ratio_to_the_reference_unit() {
        // Units (reference, 1) and Dozens (1/12 of a Dozen make a Unit: factor 0.0833...).
        let units = Units {
            units: HashMap::from([
                (1, unit("Units", Decimal::ONE, 1)),
                (2, unit("Dozens", Decimal::ONE / Decimal::from(12), 1)),
                (3, unit("kg", Decimal::ONE, 2)),
            ]),
            scale: Scale::PerReference,
        };
        assert_eq!(units.convert(Decimal::TWO, 2, 1), Some(Decimal::from(24)));
        assert_eq!(units.convert(Decimal::from(6), 1, 2), Some(Decimal::new(5, 1)));
        let stored_as_float = Units {
            units: HashMap::from([
                (1, unit("Units", Decimal::ONE, 1)),
                (2, unit("Dozens", "0.08333333333333333".parse().expect("decimal"), 1)),
            ]),
            scale: Scale::PerReference,
        };
        assert_eq!(
            stored_as_float.convert(Decimal::TWO, 2, 1),
            Some(Decimal::from(24)),
            "a float factor's noise is not a unit more"
        );
        assert_eq!(
            units.convert(Decimal::ONE, 1, 2),
            Some(Decimal::new(9, 2)),
            "rounded up to the hundredth, as Odoo does"
        );
        assert_eq!(units.convert(Decimal::ONE, 1, 3), None, "units of different categories never convert");
        assert_eq!(units.compatible("dozens", 1), Ok(2));
        assert_eq!(units.compatible("kg", 1), Err(UnitProblem::Incompatible));
        assert_eq!(units.compatible("furlong", 1), Err(UnitProblem::Unknown));
    }

    #[test]
    fn odoo_19_multiplies_by_the_size_in_the_root_unit() {
        // g is the root, kg is 1000 g; Units root, Dozens 12 Units (recording 82).
        let parents = HashMap::from([(10, None), (11, Some(10)), (1, None), (2, Some(1))]);
        let units = Units {
            units: HashMap::from([
                (10, unit("g", Decimal::ONE, root(10, &parents))),
                (11, unit("kg", Decimal::from(1000), root(11, &parents))),
                (1, unit("Units", Decimal::ONE, root(1, &parents))),
                (2, unit("Dozens", Decimal::from(12), root(2, &parents))),
            ]),
            scale: Scale::RootSize,
        };
        assert_eq!(units.convert(Decimal::TWO, 2, 1), Some(Decimal::from(24)));
        assert_eq!(units.convert(Decimal::new(25, 1), 11, 10), Some(Decimal::from(2500)));
        assert_eq!(units.convert(Decimal::ONE, 11, 1), None);
    }
}
