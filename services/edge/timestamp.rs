//! Timestamps a caller sends: instants Odoo can store, years 1 to 9999 (Python's `datetime`).
//! Odoo keeps datetimes to the second; a fraction is dropped there, as the contract says.

use odoo_adapter::{EARLIEST_ODOO_DATETIME, LATEST_ODOO_DATETIME};
use time::OffsetDateTime;

use crate::error::FieldViolation;

/// The instant of `ts`, or a violation naming `field`.
pub(crate) fn parse_timestamp(field: &str, ts: &prost_types::Timestamp) -> Result<OffsetDateTime, FieldViolation> {
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(FieldViolation::new(field, "nanos must be from 0 to 999,999,999"));
    }
    let out_of_range = || FieldViolation::new(field, "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
    let nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| out_of_range())?;
    if !(EARLIEST_ODOO_DATETIME..=LATEST_ODOO_DATETIME).contains(&at) {
        return Err(out_of_range());
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any timestamp is either an instant Odoo can store, the one sent, or refused naming the
        /// field; never a panic.
        #[test]
        fn a_timestamp_is_storable_as_sent_or_refused(seconds in any::<i64>(), nanos in any::<i32>()) {
            let ts = prost_types::Timestamp { seconds, nanos };
            match parse_timestamp("commitment_time", &ts) {
                Ok(at) => {
                    prop_assert!((EARLIEST_ODOO_DATETIME..=LATEST_ODOO_DATETIME).contains(&at));
                    prop_assert_eq!((at.unix_timestamp(), at.nanosecond()), (seconds, nanos as u32));
                }
                Err(violation) => prop_assert_eq!(violation.field, "commitment_time"),
            }
        }
    }

    #[test]
    fn odoos_range_is_accepted_to_its_ends() {
        let at = |seconds| prost_types::Timestamp { seconds, nanos: 0 };
        assert!(parse_timestamp("t", &at(EARLIEST_ODOO_DATETIME.unix_timestamp())).is_ok());
        assert!(parse_timestamp("t", &at(LATEST_ODOO_DATETIME.unix_timestamp())).is_ok());
        assert!(parse_timestamp("t", &at(LATEST_ODOO_DATETIME.unix_timestamp() + 1)).is_err());
        assert!(parse_timestamp("t", &at(EARLIEST_ODOO_DATETIME.unix_timestamp() - 1)).is_err());
    }
}
