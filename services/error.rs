//! The one place where failures become gRPC statuses: a code, a message for humans, and
//! `google.rpc` details for programs (`BadRequest` naming every bad field, `ErrorInfo` with a
//! stable reason, `RetryInfo` when waiting helps, `ResourceInfo` for what was not found).

use std::time::Duration;

use odoo_adapter::{FlowError, OdooError, TransportFailure};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use crate::edge::echo::{clip, echo};

/// The `ErrorInfo.domain` of every error odoo-mesh reports.
pub(crate) const ERROR_DOMAIN: &str = "odoo-mesh";

/// The reason of every business rule Odoo enforced, whichever step met it.
const ODOO_REFUSED: &str = "ODOO_REFUSED";

/// How long a client should wait before retrying when Odoo is unreachable.
const RETRY_DELAY: Duration = Duration::from_secs(1);

/// An error travels in HTTP/2 headers (`grpc-message`, `grpc-status-details-bin`), and gRPC
/// clients refuse headers over 16 KiB (hyper's default): a bigger error reaches the caller as a
/// broken stream, not as the error. So every error is bounded, whatever the request: its message
/// to this many bytes (percent-encoded, at most three times that)...
const MESSAGE_BUDGET: usize = 1024;
/// ...its listed violations (`BadRequest`, `PreconditionFailure`) to this many bytes (base64, a
/// third more); the violations past it are counted in the message, not listed...
const DETAILS_BUDGET: usize = 5 * 1024;
/// ...and each violation's field and description to these.
const FIELD_BUDGET: usize = 256;
const DESCRIPTION_BUDGET: usize = 1024;

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
    /// The request is malformed; every bad field is listed (as many as an error can carry).
    #[error("invalid request: {}", summary(.0.iter().map(|v| (v.field.as_str(), v.description.as_str()))))]
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
            FlowError::Conflicts(conflicts) => Self::Preconditions {
                reason: "COUNT_CONFLICT",
                message: format!(
                    "{} count(s) conflict with Odoo; nothing was applied: recount them and send again under a new request_id",
                    conflicts.len()
                ),
                violations: conflicts.into_iter().map(|c| (c.field, c.description)).collect(),
            },
            FlowError::RequestIdReused(request_id) => Self::AlreadyExists {
                reason: "REQUEST_ID_REUSED",
                message: format!("request_id {} was already used with a different payload", echo(&request_id)),
            },
            in_progress @ FlowError::InProgress(_) => Self::InProgress { message: in_progress.to_string() },
            FlowError::Unmet { reason, message } => Self::FailedPrecondition { reason, message },
            FlowError::Refused(message) => Self::FailedPrecondition { reason: ODOO_REFUSED, message },
            FlowError::NotFound(name) => Self::NotFound { kind: kind_of(&name), name },
            FlowError::Odoo(odoo) => Self::Odoo(odoo),
        }
    }
}

/// What a resource name names, as a person says it ("salesOrders/12" → "sales order").
fn kind_of(name: &str) -> &'static str {
    match name.split('/').next().unwrap_or_default() {
        "salesOrders" => "sales order",
        "purchaseOrders" => "purchase order",
        "shipments" => "shipment",
        "invoices" => "invoice",
        "payments" => "payment",
        "partners" => "partner",
        "products" => "product",
        _ => "record",
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

fn with_info(code: Code, mut message: String, reason: &str) -> Status {
    if message.len() > MESSAGE_BUDGET {
        message = clip(&message, MESSAGE_BUDGET).into_owned();
    }
    Status::with_error_details(code, message, ErrorDetails::with_error_info(reason, ERROR_DOMAIN, []))
}

/// The violations an error lists: each clipped, in order, as many as fit [`DETAILS_BUDGET`].
fn listed<'a>(violations: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    let mut used = 0;
    violations
        .into_iter()
        .map(|(field, description)| (clip(field, FIELD_BUDGET), clip(description, DESCRIPTION_BUDGET)))
        .take_while(|(field, description)| {
            // Each entry costs its texts and a few bytes of protobuf framing.
            used += field.len() + description.len() + 12;
            used <= DETAILS_BUDGET
        })
        .map(|(field, description)| (field.into_owned(), description.into_owned()))
        .collect()
}

/// The violations in words, as many as fit [`MESSAGE_BUDGET`], then how many more there are.
fn summary<'a>(violations: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> String {
    let total = violations.len();
    let mut text = String::new();
    for (shown, (field, description)) in violations.enumerate() {
        let item = format!("{field}: {description}");
        let room = (MESSAGE_BUDGET - 40).saturating_sub(text.len());
        if shown > 0 && item.len() + 2 > room {
            text.push_str(&format!("; and {} more", total - shown));
            break;
        }
        if shown > 0 {
            text.push_str("; ");
        }
        text.push_str(&clip(&item, room));
    }
    text
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Self {
        let message = clip(&error.to_string(), MESSAGE_BUDGET).into_owned();
        match error {
            ApiError::InvalidArgument(violations) => Status::with_error_details(
                Code::InvalidArgument,
                message,
                ErrorDetails::with_bad_request(
                    listed(violations.iter().map(|v| (v.field.as_str(), v.description.as_str())))
                        .into_iter()
                        .map(|(field, description)| tonic_types::FieldViolation::new(field, description))
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
                for (subject, description) in listed(violations.iter().map(|(s, d)| (s.as_str(), d.as_str()))) {
                    details.add_precondition_failure_violation(reason, subject, description);
                }
                Status::with_error_details(Code::FailedPrecondition, message, details)
            }
            ApiError::InProgress { .. } => {
                let mut details = ErrorDetails::with_retry_info(Some(RETRY_DELAY));
                details.set_error_info("REQUEST_IN_PROGRESS", ERROR_DOMAIN, []);
                Status::with_error_details(Code::Aborted, message, details)
            }
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
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::*;

    /// What a client must accept of an error: its headers, as HTTP/2 counts them (RFC 7540 §6.5.2).
    pub(crate) fn header_bytes(status: &Status) -> usize {
        let response = status.clone().into_http::<tonic::body::Body>();
        response.headers().iter().map(|(name, value)| name.as_str().len() + value.len() + 32).sum()
    }

    /// Under hyper's 16 KiB, with room for the response's other headers.
    pub(crate) const MAX_ERROR_HEADERS: usize = 12 * 1024;

    proptest! {
        /// However many violations a request has and however long what they say, the error fits
        /// what a client accepts, and lists at least the first.
        #[test]
        fn an_error_stays_small_whatever_it_reports(
            violations in prop::collection::vec((any::<String>(), any::<String>(), 1usize..300), 1..60),
            copies in 1usize..100,
        ) {
            let violations: Vec<FieldViolation> = violations
                .iter()
                .cycle()
                .take(violations.len() * copies)
                .map(|(field, description, repeat)| FieldViolation::new(field.repeat(*repeat), description.repeat(*repeat)))
                .collect();
            let status = Status::from(ApiError::InvalidArgument(violations.clone()));
            prop_assert!(header_bytes(&status) < MAX_ERROR_HEADERS, "{} bytes", header_bytes(&status));
            let details = status.get_error_details();
            let listed = &details.bad_request().expect("BadRequest").field_violations;
            prop_assert!(!listed.is_empty());
            prop_assert!(violations[0].field.starts_with(listed[0].field.trim_end_matches('…')));

            let shortfalls = ApiError::Preconditions {
                reason: "INSUFFICIENT_STOCK",
                message: "lines exceed what is available".into(),
                violations: violations.into_iter().map(|v| (v.field, v.description)).collect(),
            };
            let status = Status::from(shortfalls);
            prop_assert!(header_bytes(&status) < MAX_ERROR_HEADERS, "{} bytes", header_bytes(&status));
        }

        #[test]
        fn odoos_own_words_are_bounded_too(message in any::<String>(), repeat in 1usize..2000) {
            let status = Status::from(ApiError::Odoo(OdooError::UserError { message: message.repeat(repeat) }));
            prop_assert!(header_bytes(&status) < MAX_ERROR_HEADERS);
        }
    }

    #[test]
    fn the_violations_past_the_budget_are_counted_in_the_message() {
        let violations = (0..1000)
            .map(|i| FieldViolation::new(format!("lines[{i}].sku"), "at most 128 characters, got 129"))
            .collect();
        let status = Status::from(ApiError::InvalidArgument(violations));
        assert!(status.message().starts_with("invalid request: lines[0].sku: at most 128 characters, got 129; "));
        assert!(status.message().ends_with(" more"), "{}", status.message());
    }

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
