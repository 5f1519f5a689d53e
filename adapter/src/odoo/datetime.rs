//! The one conversion of instants to and from Odoo. Odoo stores datetimes as naive UTC to the
//! second ("YYYY-MM-DD HH:MM:SS") and compares them as text; its import (`load`) alone reads them
//! in the user's time zone, which is why every import odoo-mesh makes says `tz=UTC`
//! (`ir_model_data::load`).

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, macros::format_description};

/// The first and last instants Odoo can store: Python's `datetime` spans years 1 to 9999.
pub const EARLIEST: OffsetDateTime = PrimitiveDateTime::new(
    match Date::from_calendar_date(1, Month::January, 1) {
        Ok(date) => date,
        Err(_) => panic!("a valid date"),
    },
    Time::MIDNIGHT,
)
.assume_utc();
pub const LATEST: OffsetDateTime = PrimitiveDateTime::new(
    match Date::from_calendar_date(9999, Month::December, 31) {
        Ok(date) => date,
        Err(_) => panic!("a valid date"),
    },
    match Time::from_hms(23, 59, 59) {
        Ok(time) => time,
        Err(_) => panic!("a valid time"),
    },
)
.assume_utc();

/// Parses Odoo's naive UTC "YYYY-MM-DD HH:MM:SS" (any fraction of a second is dropped).
pub(crate) fn parse_odoo_datetime(text: &str) -> Option<OffsetDateTime> {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    PrimitiveDateTime::parse(text.get(..19).unwrap_or(text), &format).ok().map(PrimitiveDateTime::assume_utc)
}

/// Formats an instant the way Odoo stores and compares datetimes: naive UTC, to the second.
/// Callers pass only instants from `EARLIEST` to `LATEST` (the edge refuses others).
pub fn odoo_datetime(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    at.format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any storable instant, in any offset, reaches Odoo as its UTC wall time and comes back
        /// as the same instant, to the second.
        #[test]
        fn storable_instants_round_trip_to_the_second(
            seconds in EARLIEST.unix_timestamp()..=LATEST.unix_timestamp(),
            nanos in 0u32..1_000_000_000,
            offset_minutes in -(23 * 60 + 59)..=(23 * 60 + 59i32),
        ) {
            let instant = OffsetDateTime::from_unix_timestamp(seconds).expect("in range")
                + time::Duration::nanoseconds(i64::from(nanos));
            let offset = UtcOffset::from_whole_seconds(offset_minutes * 60).expect("offset");
            let text = odoo_datetime(instant.to_offset(offset));
            prop_assert_eq!(text.len(), 19, "{}", text);
            let back = parse_odoo_datetime(&text).expect("parses");
            prop_assert_eq!(back, instant.replace_nanosecond(0).expect("whole second"));
        }
    }

    #[test]
    fn odoos_range_is_pythons() {
        assert_eq!(odoo_datetime(EARLIEST), "0001-01-01 00:00:00");
        assert_eq!(odoo_datetime(LATEST), "9999-12-31 23:59:59");
        assert_eq!(parse_odoo_datetime("9999-12-31 23:59:59"), Some(LATEST));
    }
}
