//! The one place where failures become gRPC statuses: a code, a message for humans, and
//! `google.rpc` details for programs (`BadRequest` naming every bad field, `ErrorInfo` with a
//! stable reason, `RetryInfo` when waiting helps, `ResourceInfo` for what was not found).

use std::time::Duration;

use odoo_adapter::{FlowError, OdooError, TransportFailure};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every error odoo-mesh reports.
pub(crate) const ERROR_DOMAIN: &str = "odoo-mesh";

/// The reason of every business rule Odoo enforced, whichever step met it.
const ODOO_REFUSED: &str = "ODOO_REFUSED";

/// How long a client should wait before retrying when Odoo is unreachable.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldViolation {
    /// Path of the field, for example `skus[3]`.
    pub field: String,
    pub description: String,
}

impl FieldViolation {
    pub(crate) fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed; every bad field is listed.
    #[error("invalid request: {}", .0.iter().map(|v| format!("{}: {}", v.field, v.description)).collect::<Vec<_>>().join("; "))]
    InvalidArgument(Vec<FieldViolation>),
    /// The request names a record that does not exist.
    #[error("{kind} {name} not found")]
    NotFound { kind: &'static str, name: String },
    /// The request is valid but the state refuses it; `reason` is stable for programs.
    #[error("{message}")]
    FailedPrecondition { reason: &'static str, message: String },
    /// The request id was used before with a different payload.
    #[error("{message}")]
    AlreadyExists { reason: &'static str, message: String },
    /// The state refuses the request for these reasons, each about one subject (`lines[2]`).
    #[error("{message}")]
    Preconditions { reason: &'static str, message: String, violations: Vec<(String, String)> },
    /// An earlier call with the same request id is still being carried out.
    #[error("{message}")]
    InProgress { message: String },
    /// The capability exists in the contract but not yet in this release.
    #[error("{method} is not available yet: {capability} comes in a later release of odoo-mesh")]
    Unimplemented { method: &'static str, capability: &'static str },
    /// A watch cannot start before its view has been read from Odoo once.
    #[error("the {stream} watch is still loading its view from odoo; retry shortly")]
    WatchNotReady { stream: &'static str },
    /// The resume token is older than the history kept; the client must list again.
    #[error("the resume token is older than the {} kept; start again with send_initial", humantime::format_duration(*.retention))]
    ResumeTokenExpired { retention: Duration },
    /// The server ended a watch stream; the client resumes with the token.
    #[error("{message}")]
    StreamEnded { code: Code, reason: &'static str, message: String, resume_token: String },
    #[error(transparent)]
    Odoo(#[from] OdooError),
}

impl From<FlowError> for ApiError {
    fn from(error: FlowError) -> Self {
        match error {
            FlowError::Invalid(violations) => Self::InvalidArgument(
                violations.into_iter().map(|v| FieldViolation::new(v.field, v.description)).collect(),
            ),
            FlowError::Shortfall(shortfalls) => Self::Preconditions {
                reason: "INSUFFICIENT_STOCK",
                message: format!("{} line(s) exceed what is available to promise", shortfalls.len()),
                violations: shortfalls
                    .into_iter()
                    .map(|s| {
                        (
                            format!("lines[{}]", s.line_index),
                            format!(
                                "{}: requested {}, available {} {}",
                                s.sku,
                                s.requested.normalize(),
                                s.available,
                                s.unit_of_measure
                            ),
                        )
                    })
                    .collect(),
            },
            FlowError::RequestIdReused(request_id) => Self::AlreadyExists {
                reason: "REQUEST_ID_REUSED",
                message: format!("request_id {request_id:?} was already used with a different payload"),
            },
            in_progress @ FlowError::InProgress(_) => Self::InProgress { message: in_progress.to_string() },
            FlowError::Refused(message) => Self::FailedPrecondition { reason: ODOO_REFUSED, message },
            FlowError::NotFound(name) => Self::NotFound { kind: "order", name },
            FlowError::Odoo(odoo) => Self::Odoo(odoo),
        }
    }
}

impl From<FieldViolation> for ApiError {
    fn from(v: FieldViolation) -> Self {
        Self::InvalidArgument(vec![v])
    }
}

impl From<Vec<FieldViolation>> for ApiError {
    fn from(v: Vec<FieldViolation>) -> Self {
        Self::InvalidArgument(v)
    }
}

fn with_info(code: Code, message: String, reason: &str) -> Status {
    Status::with_error_details(code, message, ErrorDetails::with_error_info(reason, ERROR_DOMAIN, []))
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let message = error.to_string();
        match error {
            ApiError::InvalidArgument(violations) => Status::with_error_details(
                Code::InvalidArgument,
                message,
                ErrorDetails::with_bad_request(
                    violations
                        .into_iter()
                        .map(|v| tonic_types::FieldViolation::new(v.field, v.description))
                        .collect::<Vec<_>>(),
                ),
            ),
            ApiError::NotFound { kind, name } => Status::with_error_details(
                Code::NotFound,
                message,
                ErrorDetails::with_resource_info(kind, name, "", ""),
            ),
            ApiError::FailedPrecondition { reason, .. } => with_info(Code::FailedPrecondition, message, reason),
            ApiError::AlreadyExists { reason, .. } => with_info(Code::AlreadyExists, message, reason),
            ApiError::Preconditions { reason, violations, .. } => {
                let mut details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, []);
                for (subject, description) in violations {
                    details.add_precondition_failure_violation(reason, subject, description);
                }
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            ApiError::InProgress { .. } => {
                let mut details = ErrorDetails::with_retry_info(Some(RETRY_DELAY));
                details.set_error_info("REQUEST_IN_PROGRESS", ERROR_DOMAIN, []);
                Status::with_error_details(Code::Aborted, message, details)
            }
            ApiError::Unimplemented { .. } => with_info(Code::Unimplemented, message, "NOT_YET_AVAILABLE"),
            ApiError::WatchNotReady { .. } => {
                let mut details = ErrorDetails::with_retry_info(Some(RETRY_DELAY));
                details.set_error_info("WATCH_VIEW_LOADING", ERROR_DOMAIN, []);
                Status::with_error_details(Code::Unavailable, message, details)
            }
            ApiError::ResumeTokenExpired { .. } => with_info(Code::FailedPrecondition, message, "RESUME_TOKEN_EXPIRED"),
            ApiError::StreamEnded { code, reason, resume_token, .. } => {
                let mut details = ErrorDetails::with_retry_info(Some(Duration::ZERO));
                details.set_error_info(reason, ERROR_DOMAIN, [("resume_token".to_owned(), resume_token)]);
                Status::with_error_details(code, message, details)
            }
            ApiError::Odoo(odoo) => odoo_status(odoo),
        }
    }
}

/// Odoo's failures by kind. Odoo's own words are kept where they help the caller (business rules),
/// and replaced where they would leak internals (tracebacks never reach this point).
/// tonic refuses a message over its size limit (4 MiB) with `OUT_OF_RANGE`, but gRPC's code for
/// it is `RESOURCE_EXHAUSTED`. Our services never answer `OUT_OF_RANGE`, so any such response is
/// tonic's size check.
pub(crate) fn remap_oversize_message(response: http::Response<tonic::body::Body>) -> http::Response<tonic::body::Body> {
    match Status::from_header_map(response.headers()) {
        Some(status) if status.code() == Code::OutOfRange => {
            let message = format!("the message is too large ({})", status.message());
            with_info(Code::ResourceExhausted, message, "MESSAGE_TOO_LARGE").into_http()
        }
        _ => response,
    }
}

fn odoo_status(error: OdooError) -> Status {
    let unavailable = |reason: &str, message: String| {
        let mut details = ErrorDetails::with_retry_info(Some(RETRY_DELAY));
        details.set_error_info(reason, ERROR_DOMAIN, []);
        Status::with_error_details(Code::Unavailable, message, details)
    };
    match error {
        OdooError::AccessDenied => {
            unavailable("ODOO_CREDENTIALS_REJECTED", "odoo rejected odoo-mesh's credentials".into())
        }
        OdooError::AccessError { message } => with_info(Code::PermissionDenied, message, "ODOO_ACCESS_ERROR"),
        OdooError::UserError { message } | OdooError::ValidationError { message } => {
            with_info(Code::FailedPrecondition, message, ODOO_REFUSED)
        }
        OdooError::Unsupported { message } => with_info(Code::FailedPrecondition, message, "ODOO_CAPABILITY_MISSING"),
        OdooError::MissingRecord { message } => with_info(Code::NotFound, message, "ODOO_RECORD_MISSING"),
        // Data in Odoo that odoo-mesh did not write and cannot represent: not odoo-mesh's fault nor
        // the caller's, and no retry helps until someone corrects the record in Odoo.
        OdooError::UnreadableRecord(odd) => {
            let mut metadata = std::collections::HashMap::from([
                ("model".to_owned(), odd.model.to_owned()),
                ("id".to_owned(), odd.id.to_string()),
                ("field".to_owned(), odd.field.to_owned()),
            ]);
            if let Some((model, id)) = odd.part_of {
                metadata.insert("part_of".to_owned(), format!("{model}/{id}"));
            }
            let message = format!(
                "odoo holds a value odoo-mesh cannot read: {odd}; correct it in odoo (until then the record is left \
                 out of lists and watches)"
            );
            Status::with_error_details(
                Code::FailedPrecondition,
                message,
                ErrorDetails::with_error_info("ODOO_RECORD_UNREADABLE", ERROR_DOMAIN, metadata),
            )
        }
        OdooError::ConcurrencyFailure { .. } => {
            let mut details = ErrorDetails::with_retry_info(Some(RETRY_DELAY));
            details.set_error_info("ODOO_CONCURRENT_UPDATE", ERROR_DOMAIN, []);
            Status::with_error_details(
                Code::Aborted,
                "odoo refused the change because of a concurrent update; retry",
                details,
            )
        }
        OdooError::Transport { failure: TransportFailure::Timeout, .. } => {
            with_info(Code::DeadlineExceeded, "odoo did not answer in time".into(), "ODOO_TIMEOUT")
        }
        OdooError::Transport { failure, .. } => {
            unavailable("ODOO_UNREACHABLE", format!("odoo is unreachable ({failure:?})"))
        }
        OdooError::DatabaseUnavailable { .. } => {
            unavailable("ODOO_DATABASE_UNAVAILABLE", "odoo's database is unavailable".into())
        }
        OdooError::CircuitOpen { retry_after } => {
            let mut details = ErrorDetails::with_retry_info(Some(retry_after));
            details.set_error_info("ODOO_CIRCUIT_OPEN", ERROR_DOMAIN, []);
            let message = format!("odoo was found down; calls fail fast for {retry_after:?}");
            Status::with_error_details(Code::Unavailable, message, details)
        }
        OdooError::Overloaded { waited } => {
            let mut details = ErrorDetails::with_retry_info(Some(RETRY_DELAY));
            details.set_error_info("ODOO_AT_CAPACITY", ERROR_DOMAIN, []);
            let message = format!("odoo is at capacity (no slot within {waited:?}); retry later");
            Status::with_error_details(Code::ResourceExhausted, message, details)
        }
        // The start-up check vouched for what each RPC needs: Odoo changed since (a module
        // uninstalled, an upgrade). The server's state refuses the call, not the caller.
        e @ (OdooError::UnknownModel { .. } | OdooError::UnknownMethod { .. } | OdooError::UnknownField { .. }) => {
            tracing::error!(error = %e, "odoo lacks what odoo-mesh checked at start; run `odoo-mesh check`");
            with_info(
                Code::FailedPrecondition,
                format!("odoo lacks what this call needs ({e}); `odoo-mesh check` tells what changed"),
                "ODOO_SCHEMA_MISMATCH",
            )
        }
        e @ (OdooError::InvalidCall { .. } | OdooError::Protocol { .. } | OdooError::Unknown { .. }) => {
            tracing::error!(error = %e, "unexpected odoo failure");
            with_info(
                Code::Internal,
                "odoo failed unexpectedly; the odoo-mesh logs have details".into(),
                "ODOO_UNEXPECTED",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_field_is_listed_in_bad_request() {
        let status = Status::from(ApiError::InvalidArgument(vec![
            FieldViolation::new("skus", "at least one SKU is required"),
            FieldViolation::new("warehouses[0]", "must look like warehouses/{id}"),
        ]));
        assert_eq!(status.code(), Code::InvalidArgument);
        let details = status.get_error_details();
        let fields: Vec<&str> =
            details.bad_request().expect("BadRequest").field_violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["skus", "warehouses[0]"]);
    }

    #[test]
    fn odoo_failures_map_to_their_codes() {
        let cases = [
            (
                OdooError::UserError { message: "Some orders are not in a state requiring confirmation.".into() },
                Code::FailedPrecondition,
            ),
            (OdooError::AccessError { message: "no".into() }, Code::PermissionDenied),
            (OdooError::MissingRecord { message: "gone".into() }, Code::NotFound),
            (OdooError::ConcurrencyFailure { message: "race".into() }, Code::Aborted),
            (
                OdooError::Transport { failure: TransportFailure::HttpStatus(503), message: String::new() },
                Code::Unavailable,
            ),
            (
                OdooError::Transport { failure: TransportFailure::Timeout, message: String::new() },
                Code::DeadlineExceeded,
            ),
            (OdooError::Unknown { name: "x".into(), message: "y".into() }, Code::Internal),
        ];
        for (error, code) in cases {
            assert_eq!(Status::from(ApiError::Odoo(error.clone())).code(), code, "{error:?}");
        }
        let status = Status::from(ApiError::Odoo(OdooError::UserError {
            message: "Some orders are not in a state requiring confirmation.".into(),
        }));
        assert_eq!(status.message(), "Some orders are not in a state requiring confirmation.");
        let unreachable = Status::from(ApiError::Odoo(OdooError::Transport {
            failure: TransportFailure::Connect,
            message: String::new(),
        }));
        assert!(unreachable.get_error_details().retry_info().is_some(), "UNAVAILABLE carries RetryInfo");
    }

    #[test]
    fn an_undecodable_record_is_a_named_precondition_saying_what_to_correct_in_odoo() {
        let odd = odoo_adapter::DecodeError {
            model: "sale.order.line",
            id: 173,
            field: "product_uom_qty",
            expected: "a number of at most 28 digits before the decimal point",
            found: Some("1.0000000000000027e+30".into()),
            part_of: Some(("sale.order", 130)),
        };
        let status = Status::from(ApiError::Odoo(OdooError::UnreadableRecord(odd)));
        assert_eq!(status.code(), Code::FailedPrecondition);
        let details = status.get_error_details();
        let info = details.error_info().expect("ErrorInfo");
        assert_eq!(info.reason, "ODOO_RECORD_UNREADABLE");
        let named: Vec<(&str, &str)> = ["model", "id", "field", "part_of"]
            .iter()
            .map(|k| (*k, info.metadata.get(*k).map_or("", String::as_str)))
            .collect();
        assert_eq!(
            named,
            [("model", "sale.order.line"), ("id", "173"), ("field", "product_uom_qty"), ("part_of", "sale.order/130")]
        );
        assert!(status.message().contains("1.0000000000000027e+30"), "{}", status.message());
        assert!(status.message().contains("correct it in odoo"), "{}", status.message());
    }
}
