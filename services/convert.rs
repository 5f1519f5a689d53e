//! Conversions every service shares at the protobuf edge: resource names, page tokens, exact money
//! and quantities, timestamps.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
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
/// resume token and a heartbeat flag (WatchSalesOrders, WatchShipments). The initial state ends
/// with a heartbeat, the resumable point after it; initial records carry no token.
pub(crate) fn record_event<T, P, M>(
    event: Event<'_, T>,
    record: impl Fn(&T) -> P,
    message: impl Fn(Option<P>, i64, String, bool) -> M,
) -> M {
    let revision = |r: u64| i64::try_from(r).unwrap_or(i64::MAX);
    match event {
        Event::Snapshot(item) => message(Some(record(item)), 0, String::new(), false),
        Event::SnapshotEnd(position) | Event::Heartbeat(position) => {
            message(None, revision(position.revision), position.encode(), true)
        }
        Event::Changed(change) => {
            message(Some(record(&change.item)), revision(change.revision), change.token.encode(), false)
        }
        Event::Replayed { item, revision: at, token } => {
            message(Some(record(item)), revision(at), token.encode(), false)
        }
    }
}

pub(crate) fn resource_name(collection: &str, id: i64) -> String {
    format!("{collection}/{id}")
}

/// Parses `collection/{id}`; the violation names `field` and says what was expected.
pub(crate) fn parse_resource_name(field: &str, name: &str, collection: &str) -> Result<i64, FieldViolation> {
    name.strip_prefix(collection)
        .and_then(|rest| rest.strip_prefix('/'))
        .and_then(|id| id.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            FieldViolation::new(field, format!("must be a resource name like {collection}/42, got {name:?}"))
        })
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

/// A timestamp Odoo can store: years 1 to 9999. Odoo keeps datetimes to the second; a fraction
/// is dropped there.
pub(crate) fn parse_timestamp(field: &str, ts: &prost_types::Timestamp) -> Result<OffsetDateTime, FieldViolation> {
    let out_of_range = || FieldViolation::new(field, "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z");
    if !(0..1_000_000_000).contains(&ts.nanos) {
        return Err(FieldViolation::new(field, "nanos must be from 0 to 999,999,999"));
    }
    let nanos = i128::from(ts.seconds) * 1_000_000_000 + i128::from(ts.nanos);
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos).map_err(|_| out_of_range())?;
    if !(odoo_adapter::EARLIEST_ODOO_DATETIME..=odoo_adapter::LATEST_ODOO_DATETIME).contains(&at) {
        return Err(out_of_range());
    }
    Ok(at)
}

/// Validates `page_size`: 0 means the default.
pub(crate) fn page_size(size: i32) -> Result<usize, FieldViolation> {
    match size {
        0 => Ok(DEFAULT_PAGE_SIZE as usize),
        1..=MAX_PAGE_SIZE => Ok(size as usize),
        _ => Err(FieldViolation::new("page_size", format!("must be between 0 and {MAX_PAGE_SIZE}, got {size}"))),
    }
}

/// A page token: the last id returned and a fingerprint of the filters it belongs to, so a token
/// cannot be replayed with other filters. Opaque to clients.
pub(crate) struct PageToken {
    pub(crate) after_id: i64,
}

impl PageToken {
    pub(crate) fn encode(after_id: i64, filters: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("v1:{after_id}:{:016x}", fingerprint(filters)))
    }

    /// An empty token is the first page.
    pub(crate) fn decode(token: &str, filters: &str) -> Result<Self, FieldViolation> {
        if token.is_empty() {
            return Ok(Self { after_id: 0 });
        }
        let invalid = || FieldViolation::new("page_token", "not a page token of this query: start again without one");
        let text = URL_SAFE_NO_PAD.decode(token).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(invalid)?;
        let mut parts = text.split(':');
        let (Some("v1"), Some(after), Some(hash), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        if hash != format!("{:016x}", fingerprint(filters)) {
            return Err(invalid());
        }
        Ok(Self { after_id: after.parse().map_err(|_| invalid())? })
    }
}

/// FNV-1a: a hash that stays the same across processes and releases.
fn fingerprint(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn resource_names_round_trip_and_reject_junk() {
        assert_eq!(parse_resource_name("warehouse", "warehouses/7", "warehouses"), Ok(7));
        for bad in ["warehouses/", "warehouses/x", "products/7", "warehouses/-1", "warehouses7", ""] {
            let violation = parse_resource_name("warehouse", bad, "warehouses").expect_err(bad);
            assert_eq!(violation.field, "warehouse");
        }
    }

    #[test]
    fn page_tokens_are_bound_to_their_filters() {
        let token = PageToken::encode(42, "sku_prefix=FURN");
        assert_eq!(PageToken::decode(&token, "sku_prefix=FURN").map(|t| t.after_id), Ok(42));
        assert!(PageToken::decode(&token, "sku_prefix=E-COM").is_err());
        assert!(PageToken::decode("garbage!", "").is_err());
        assert_eq!(PageToken::decode("", "anything").map(|t| t.after_id), Ok(0));
    }

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
