//! Record ids as callers send them: in resource names (`salesOrders/42`) or as raw numbers
//! (`LineAcknowledgement.line_id`). Odoo's ids are PostgreSQL `integer`s, 1 to 2,147,483,647; a
//! larger one makes PostgreSQL fail a query (`psycopg2.errors.NumericValueOutOfRange`, which
//! would reach the caller as INTERNAL), so it never leaves the edge: every id out of that range,
//! like any malformed name, is INVALID_ARGUMENT with a violation naming the field.

use super::echo::echo;
use crate::error::FieldViolation;

/// The largest id PostgreSQL's `integer` holds.
pub(crate) const MAX_ID: i64 = i32::MAX as i64;

/// The id of a resource name `collection/{id}`: decimal digits without a sign or leading zero,
/// 1 to [`MAX_ID`].
pub(crate) fn parse_resource_name(field: &str, name: &str, collection: &str) -> Result<i64, FieldViolation> {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(digits)
        .filter(|id| (1..=MAX_ID).contains(id))
        .ok_or_else(|| {
            FieldViolation::new(
                field,
                format!(
                    "must be a resource name like {collection}/42, with an id from 1 to {MAX_ID}, got {}",
                    echo(name)
                ),
            )
        })
}

/// A raw id: 1 to [`MAX_ID`].
pub(crate) fn id(field: &str, id: i64) -> Result<i64, FieldViolation> {
    if (1..=MAX_ID).contains(&id) {
        Ok(id)
    } else {
        Err(FieldViolation::new(field, format!("must be an id from 1 to {MAX_ID}, got {id}")))
    }
}

/// Plain decimal digits, no sign, no leading zero; at most 10 of them (enough for [`MAX_ID`]).
fn digits(text: &str) -> Option<i64> {
    let plain = !text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit());
    if !plain || text.starts_with('0') {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn resource_names_round_trip_and_reject_junk() {
        assert_eq!(parse_resource_name("warehouse", "warehouses/7", "warehouses"), Ok(7));
        assert_eq!(parse_resource_name("warehouse", "warehouses/2147483647", "warehouses"), Ok(MAX_ID));
        for bad in [
            "warehouses/",
            "warehouses/x",
            "products/7",
            "warehouses/-1",
            "warehouses/0",
            "warehouses/+7",
            "warehouses/07",
            "warehouses/7 ",
            "warehouses7",
            "warehouses/2147483648",
            "warehouses/9999999999",
            "",
        ] {
            let violation = parse_resource_name("warehouse", bad, "warehouses").expect_err(bad);
            assert_eq!(violation.field, "warehouse");
        }
    }

    proptest! {
        #[test]
        fn every_id_in_range_round_trips(id in 1..=MAX_ID) {
            prop_assert_eq!(parse_resource_name("name", &format!("salesOrders/{id}"), "salesOrders"), Ok(id));
            prop_assert_eq!(self::id("lines[0].line_id", id), Ok(id));
        }

        #[test]
        fn every_id_out_of_range_is_refused_naming_the_field(
            id in prop_oneof![i64::MIN..=0, (MAX_ID + 1)..=i64::MAX],
        ) {
            let named = parse_resource_name("customer.partner", &format!("partners/{id}"), "partners");
            prop_assert_eq!(named.expect_err("out of range").field, "customer.partner");
            prop_assert_eq!(self::id("lines[2].line_id", id).expect_err("out of range").field, "lines[2].line_id");
        }

        #[test]
        fn junk_is_refused_with_a_small_message_never_a_panic(junk in any::<String>(), repeat in 1usize..500) {
            let junk = junk.repeat(repeat);
            match parse_resource_name("name", &junk, "purchaseOrders") {
                Ok(id) => prop_assert_eq!(format!("purchaseOrders/{id}"), junk),
                Err(violation) => {
                    prop_assert_eq!(violation.field, "name");
                    prop_assert!(violation.description.len() < 900);
                }
            }
        }
    }
}
