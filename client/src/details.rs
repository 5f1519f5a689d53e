//! What odoo-mesh's errors tell a program, read from their `google.rpc` details: the bad fields of
//! an `INVALID_ARGUMENT` (`BadRequest`), the stable reason of a refusal (`ErrorInfo`, domain
//! `odoo-mesh`), when to try again (`RetryInfo`), and the resume token of an ended watch stream.

use std::time::Duration;

use tonic::{Code, Status};
use tonic_types::{FieldViolation, PreconditionViolation, StatusExt};

/// Every field a refused request got wrong (`lines[0].quantity.value`, `skus[3]`...), with what
/// is wrong with it; empty when the status names none.
pub fn field_violations(status: &Status) -> Vec<FieldViolation> {
    status.get_details_bad_request().map(|bad| bad.field_violations).unwrap_or_default()
}

/// Each state that refused the request (`FAILED_PRECONDITION`): a line short of stock, a count
/// that conflicts with Odoo; `subject` names the request's part (`lines[2]`, `counts[0]`).
pub fn precondition_violations(status: &Status) -> Vec<PreconditionViolation> {
    status.get_details_precondition_failure().map(|failure| failure.violations).unwrap_or_default()
}

/// How long the server asks to wait before trying again (`RetryInfo`), if it said.
pub fn retry_delay(status: &Status) -> Option<Duration> {
    status.get_details_retry_info().and_then(|info| info.retry_delay)
}

/// The stable reason of the error (`ErrorInfo.reason`: `REQUEST_ID_REUSED`, `INSUFFICIENT_STOCK`,
/// `RESUME_TOKEN_EXPIRED`...), which programs can match on where the message is for people.
pub fn error_reason(status: &Status) -> Option<String> {
    status.get_details_error_info().map(|info| info.reason)
}

/// The token to resume an ended watch stream with, which odoo-mesh puts in the `ErrorInfo`
/// metadata when it ends a stream itself (a draining server, a consumer too slow).
pub fn resume_token(status: &Status) -> Option<String> {
    status.get_details_error_info().and_then(|mut info| info.metadata.remove("resume_token"))
}

/// Whether sending a call again can succeed, for a call that is safe to repeat: a read, or a write
/// with the same `request_id` (odoo-mesh then answers the first result instead of doing it twice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Send it again after this long, as the server asked (`RetryInfo`): Odoo unreachable or at
    /// capacity, an earlier call with the same `request_id` still at work, a concurrent update.
    After(Duration),
    /// Send it again after a backoff of the caller's choosing: the server could not say when (the
    /// connection failed, a deadline passed — the write may have been done, and the retry answers
    /// it).
    Backoff,
    /// Sending the same request again cannot help: it is wrong, refused or not allowed.
    Never,
}

impl Retry {
    /// What to do about `status`. `UNAVAILABLE`, `DEADLINE_EXCEEDED` and `ABORTED` are worth
    /// another try; `RESOURCE_EXHAUSTED` only with `RetryInfo` (Odoo at capacity — not a message
    /// too large, which stays too large); every other code never.
    pub fn of(status: &Status) -> Self {
        let delay = retry_delay(status);
        match (status.code(), delay) {
            (Code::Unavailable | Code::DeadlineExceeded | Code::Aborted | Code::ResourceExhausted, Some(delay)) => {
                Self::After(delay)
            }
            (Code::Unavailable | Code::DeadlineExceeded | Code::Aborted, None) => Self::Backoff,
            _ => Self::Never,
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::ErrorDetails;

    use super::*;

    fn with(code: Code, details: ErrorDetails) -> Status {
        Status::with_error_details(code, "an error", details)
    }

    #[test]
    fn every_bad_field_is_read_back_in_order() {
        let status = with(
            Code::InvalidArgument,
            ErrorDetails::with_bad_request(vec![
                FieldViolation::new("lines[0].quantity.value", "not a decimal"),
                FieldViolation::new("request_id", "required"),
            ]),
        );
        let read: Vec<(String, String)> =
            field_violations(&status).into_iter().map(|v| (v.field, v.description)).collect();
        assert_eq!(
            read,
            [
                ("lines[0].quantity.value".to_owned(), "not a decimal".to_owned()),
                ("request_id".to_owned(), "required".to_owned())
            ]
        );
        assert!(field_violations(&Status::invalid_argument("no details")).is_empty());
    }

    #[test]
    fn a_shortfall_names_its_line() {
        let mut details = ErrorDetails::with_error_info("INSUFFICIENT_STOCK", "odoo-mesh", []);
        details.add_precondition_failure_violation("INSUFFICIENT_STOCK", "lines[1]", "requested 5, available 2");
        let status = with(Code::FailedPrecondition, details);
        let violations = precondition_violations(&status);
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].subject, "lines[1]");
        assert_eq!(error_reason(&status).as_deref(), Some("INSUFFICIENT_STOCK"));
        assert_eq!(Retry::of(&status), Retry::Never);
    }

    #[test]
    fn the_servers_delay_is_honoured_where_it_gives_one() {
        let mut details = ErrorDetails::with_retry_info(Some(Duration::from_secs(1)));
        details.set_error_info("ODOO_UNREACHABLE", "odoo-mesh", []);
        let unavailable = with(Code::Unavailable, details.clone());
        assert_eq!(retry_delay(&unavailable), Some(Duration::from_secs(1)));
        assert_eq!(Retry::of(&unavailable), Retry::After(Duration::from_secs(1)));
        assert_eq!(Retry::of(&with(Code::ResourceExhausted, details.clone())), Retry::After(Duration::from_secs(1)));
        assert_eq!(Retry::of(&with(Code::Aborted, details)), Retry::After(Duration::from_secs(1)));
    }

    #[test]
    fn without_a_delay_only_transient_failures_are_retried() {
        assert_eq!(Retry::of(&Status::unavailable("connection refused")), Retry::Backoff);
        assert_eq!(Retry::of(&Status::deadline_exceeded("timeout expired")), Retry::Backoff);
        let too_large =
            with(Code::ResourceExhausted, ErrorDetails::with_error_info("MESSAGE_TOO_LARGE", "odoo-mesh", []));
        assert_eq!(Retry::of(&too_large), Retry::Never);
        for code in [Code::InvalidArgument, Code::AlreadyExists, Code::PermissionDenied, Code::NotFound, Code::Internal]
        {
            assert_eq!(Retry::of(&Status::new(code, "no")), Retry::Never, "{code:?}");
        }
    }

    #[test]
    fn an_ended_stream_carries_its_resume_token() {
        let mut details = ErrorDetails::with_retry_info(Some(Duration::ZERO));
        details.set_error_info("SERVER_DRAINING", "odoo-mesh", [("resume_token".to_owned(), "t0k".to_owned())]);
        let status = with(Code::Unavailable, details);
        assert_eq!(resume_token(&status).as_deref(), Some("t0k"));
        assert_eq!(Retry::of(&status), Retry::After(Duration::ZERO));
        assert_eq!(resume_token(&Status::unavailable("gone")), None);
    }
}
