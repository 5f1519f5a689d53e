//! Conversions every service shares at the protobuf edge: resource names, exact money and
//! quantities, timestamps, watch events. What callers send is bounded and parsed in `edge`.

use odoo_adapter::models::{Amount, Ref};
use rust_decimal::Decimal;
use time::OffsetDateTime;

use crate::{
    error::FieldViolation,
    proto::common::v1 as common,
    watch::{Event, Opening},
};

/// Largest `page_size` a List call accepts.
pub(crate) const MAX_PAGE_SIZE: i32 = 1000;
/// `page_size` when the caller leaves it at zero.
pub(crate) const DEFAULT_PAGE_SIZE: i32 = 100;

/// Where a watch starts: `resume_token` and `send_initial` exclude each other.
pub(crate) fn watch_opening(resume_token: String, send_initial: bool) -> Result<Opening, FieldViolation> {
    match (resume_token.is_empty(), send_initial) {
        (true, false) => Ok(Opening::Now),
        (true, true) => Ok(Opening::Snapshot),
        (false, false) => Ok(Opening::Resume(resume_token)),
        (false, true) => Err(FieldViolation::new(
            "send_initial",
            "a resumed watch continues where it stopped; send either resume_token or send_initial",
        )),
    }
}

/// A watch event as the message of a stream that carries one record per event, with a revision, a
/// resume token (sealed, as the stream hands it) and a heartbeat flag (WatchSalesOrders,
/// WatchShipments). The initial state ends with a heartbeat, the resumable point after it;
/// initial records carry no token.
pub(crate) fn record_event<T, P, M>(
    event: Event<'_, T>,
    resume_token: String,
    record: impl Fn(&T) -> P,
    message: impl Fn(Option<P>, i64, String, bool) -> M,
) -> M {
    let revision = |r: u64| i64::try_from(r).unwrap_or(i64::MAX);
    match event {
        Event::Snapshot(item) => message(Some(record(item)), 0, String::new(), false),
        Event::SnapshotEnd(position) | Event::Heartbeat(position) => {
            message(None, revision(position.revision), resume_token, true)
        }
        Event::Changed(change) => message(Some(record(&change.item)), revision(change.revision), resume_token, false),
        Event::Replayed { item, revision: at, .. } => message(Some(record(item)), revision(at), resume_token, false),
    }
}

pub(crate) fn resource_name(collection: &str, id: i64) -> String {
    format!("{collection}/{id}")
}

pub(crate) fn record_ref(collection: &str, r: &Ref) -> common::RecordRef {
    common::RecordRef { name: resource_name(collection, r.id), id: r.id, display_name: r.name.clone() }
}

pub(crate) fn quantity(value: Decimal, unit_of_measure: &str) -> common::Quantity {
    common::Quantity { value: value.normalize().to_string(), unit_of_measure: unit_of_measure.to_owned() }
}

/// Exact money: whole units and nanos with the same sign, as google.type.Money.
pub(crate) fn money(amount: &Amount) -> common::Money {
    let value = amount.value.round_dp(9);
    let units = value.trunc();
    let nanos = ((value - units) * Decimal::from(1_000_000_000)).trunc();
    common::Money {
        currency_code: amount.currency.clone(),
        units: i64::try_from(units).unwrap_or(if value.is_sign_negative() { i64::MIN } else { i64::MAX }),
        nanos: i32::try_from(nanos).unwrap_or_default(),
    }
}

pub(crate) fn timestamp(at: OffsetDateTime) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds: at.unix_timestamp(), nanos: i32::try_from(at.nanosecond()).unwrap_or_default() }
}

/// Validates `page_size`: 0 means the default.
pub(crate) fn page_size(size: i32) -> Result<usize, FieldViolation> {
    match size {
        0 => Ok(DEFAULT_PAGE_SIZE as usize),
        1..=MAX_PAGE_SIZE => Ok(size as usize),
        _ => Err(FieldViolation::new("page_size", format!("must be between 0 and {MAX_PAGE_SIZE}, got {size}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn money_is_exact(units in -1_000_000_000i64..1_000_000_000, cents in 0i64..100) {
            let value = Decimal::new(units * 100 + if units < 0 { -cents } else { cents }, 2);
            let m = money(&Amount { value, currency: "USD".into() });
            let back = Decimal::from(m.units) + Decimal::new(i64::from(m.nanos), 9);
            prop_assert_eq!(back, value);
            prop_assert!(m.units == 0 || m.nanos == 0 || (m.units > 0) == (m.nanos > 0));
        }

        #[test]
        fn quantities_print_without_float_artefacts(milli in -10_000_000i64..10_000_000) {
            let q = quantity(Decimal::new(milli, 3), "kg");
            prop_assert_eq!(q.value.parse::<Decimal>().ok(), Some(Decimal::new(milli, 3)));
            prop_assert!(!q.value.contains('e'));
        }
    }
}
