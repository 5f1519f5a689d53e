//! The violation collector every request's conversion uses, so a request's every problem is
//! reported at once, and the checks all services share: request ids, bounded texts and lists,
//! timestamps, quantities, resource names, pages.

use rust_decimal::Decimal;
use time::OffsetDateTime;

use super::{
    decimal,
    id::parse_resource_name,
    limits,
    timestamp::parse_timestamp,
    token::{PageToken, TokenKey},
};
use crate::{ApiError, convert::page_size, error::FieldViolation, proto::common::v1 as common};

/// Collects violations while converting, so a request's every problem is reported at once.
#[derive(Default)]
pub(crate) struct Checks(Vec<FieldViolation>);

impl Checks {
    /// How many problems were found so far.
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn fail(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push(FieldViolation::new(field, description));
    }

    pub(crate) fn take<T>(&mut self, result: Result<T, FieldViolation>) -> Option<T> {
        result.map_err(|v| self.0.push(v)).ok()
    }

    pub(crate) fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.0.is_empty() { Ok(value) } else { Err(ApiError::InvalidArgument(self.0)) }
    }

    pub(crate) fn request_id(&mut self, request_id: &str) -> String {
        let trimmed = request_id.trim();
        if trimmed.is_empty() {
            self.fail("request_id", "required: a unique id per order (a UUID is best), reused when retrying");
        } else {
            self.take(limits::text("request_id", request_id, limits::REQUEST_ID));
        }
        trimmed.to_owned()
    }

    /// A required text of at most `max` characters, trimmed.
    pub(crate) fn text(&mut self, field: &str, value: &str, max: usize) -> Option<String> {
        self.take(limits::text(field, value, max))?;
        let value = value.trim();
        if value.is_empty() {
            self.fail(field, "must not be empty");
            None
        } else {
            Some(value.to_owned())
        }
    }

    /// An optional text of at most `max` characters, trimmed; `None` when blank or refused.
    pub(crate) fn optional(&mut self, field: &str, value: &str, max: usize) -> Option<String> {
        self.take(limits::text(field, value, max))?;
        Some(value.trim().to_owned()).filter(|t| !t.is_empty())
    }

    /// Whether a repeated field is within `max` items; past it, its items are not looked at.
    pub(crate) fn items(&mut self, field: &str, count: usize, max: usize) -> bool {
        self.take(limits::items(field, count, max)).is_some()
    }

    pub(crate) fn time(&mut self, field: &str, value: Option<&prost_types::Timestamp>) -> Option<OffsetDateTime> {
        value.and_then(|ts| self.take(parse_timestamp(field, ts)))
    }

    /// A quantity that must be a positive decimal; its unit is optional.
    pub(crate) fn quantity(&mut self, field: &str, q: Option<&common::Quantity>) -> (Decimal, Option<String>) {
        self.quantity_of(field, q, decimal::quantity)
    }

    /// A counted quantity, zero or more; its unit is optional.
    pub(crate) fn counted(&mut self, field: &str, q: Option<&common::Quantity>) -> (Decimal, Option<String>) {
        self.quantity_of(field, q, decimal::counted)
    }

    fn quantity_of(
        &mut self,
        field: &str,
        q: Option<&common::Quantity>,
        parse: fn(&str, &str) -> Result<Decimal, FieldViolation>,
    ) -> (Decimal, Option<String>) {
        let Some(q) = q else {
            self.fail(field, "required");
            return (Decimal::ZERO, None);
        };
        let unit = self.optional(&format!("{field}.unit_of_measure"), &q.unit_of_measure, limits::UNIT_OF_MEASURE);
        let value = self.take(parse(&format!("{field}.value"), &q.value)).unwrap_or_default();
        (value, unit)
    }

    /// An optional date, "YYYY-MM-DD" as Odoo keeps dates; `None` when empty or refused.
    pub(crate) fn date(&mut self, field: &str, text: &str) -> Option<time::Date> {
        if text.is_empty() {
            return None;
        }
        let format = time::macros::format_description!("[year]-[month]-[day]");
        match time::Date::parse(text, &format) {
            Ok(date) if (2000..=2999).contains(&date.year()) => Some(date),
            _ => {
                self.fail(
                    field,
                    format!("must be a date \"YYYY-MM-DD\" from year 2000 to 2999, got {}", super::echo::echo(text)),
                );
                None
            }
        }
    }

    /// An amount of money, not negative, with its currency code.
    pub(crate) fn money(&mut self, field: &str, money: &common::Money) -> Option<(Decimal, String)> {
        let value = self.take(decimal::price(field, money));
        let code = self.take(limits::currency_code(&format!("{field}.currency_code"), &money.currency_code));
        Some((value?, code?))
    }

    pub(crate) fn optional_name(&mut self, field: &str, name: &str, collection: &str) -> Option<i64> {
        if name.trim().is_empty() { None } else { self.take(parse_resource_name(field, name, collection)) }
    }

    pub(crate) fn page(&mut self, page_size_value: i32, token: &str, filters: &str, tokens: &TokenKey) -> (usize, i64) {
        let limit = self.take(page_size(page_size_value)).unwrap_or_default();
        let after_id = self.take(PageToken::decode(tokens, token, filters)).unwrap_or_default();
        (limit, after_id)
    }
}
