//! Creating a sales order exactly once. The order carries a `request_id` chosen before the first
//! try and kept for every retry: odoo-mesh writes the order once and answers later tries with it
//! (`replayed`), so a retry after a lost answer or a passed deadline never makes a second order.

use std::{fmt, time::Duration};

use odoo_mesh_client::{
    FieldViolation, Retry, error_reason, field_violations,
    proto::order::v1::{CreateSalesOrderRequest, CreateSalesOrderResponse, order_service_client::OrderServiceClient},
    tonic::{Code, Request, Status, transport::Channel},
};

/// The longest wait between tries when the server does not say.
const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// How hard to try before giving up.
#[derive(Debug, Clone)]
pub(crate) struct RetryPolicy {
    /// Calls made at most, the first included.
    pub(crate) attempts: u32,
    /// How long one call may take; sent as its gRPC deadline. The server finishes (or undoes) a
    /// write whose caller stopped waiting, and the next try answers it.
    pub(crate) timeout: Duration,
    /// The first wait when the server does not say how long (a lost connection, a passed
    /// deadline); doubled after each.
    pub(crate) backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self { attempts: 5, timeout: Duration::from_secs(30), backoff: Duration::from_millis(200) }
    }
}

/// Why no order came of a request.
#[derive(Debug)]
pub(crate) enum OrderError {
    /// The request is wrong: every bad field, with what is wrong with it. Nothing was written.
    Invalid { message: String, violations: Vec<FieldViolation> },
    /// Refused for a reason that another try cannot change (the customer unknown, not enough
    /// stock under `AVAILABILITY_POLICY_REFUSE`, the `request_id` used for another order...).
    Refused(Status),
    /// Every try failed with something worth trying again; the last failure.
    GaveUp { attempts: u32, last: Status },
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { message, violations } if violations.is_empty() => write!(f, "invalid order: {message}"),
            Self::Invalid { violations, .. } => {
                write!(f, "invalid order:")?;
                for violation in violations {
                    write!(f, "\n  {}: {}", violation.field, violation.description)?;
                }
                Ok(())
            }
            Self::Refused(status) => {
                let reason = error_reason(status).unwrap_or_default();
                write!(f, "order refused ({:?} {reason}): {}", status.code(), status.message())
            }
            Self::GaveUp { attempts, last } => {
                write!(f, "no answer after {attempts} tries ({:?}): {}", last.code(), last.message())
            }
        }
    }
}

impl std::error::Error for OrderError {}

/// Creates the order `request` describes, trying again with the same `request_id` while the
/// failure is one that another try can get past: what the server asks to wait (`RetryInfo`) it
/// waits, otherwise a backoff.
pub(crate) async fn create_sales_order(
    orders: &mut OrderServiceClient<Channel>,
    request: &CreateSalesOrderRequest,
    policy: &RetryPolicy,
) -> Result<CreateSalesOrderResponse, OrderError> {
    let mut backoff = policy.backoff;
    let mut attempt = 1;
    loop {
        let mut call = Request::new(request.clone());
        call.set_timeout(policy.timeout);
        let status = match orders.create_sales_order(call).await {
            Ok(response) => return Ok(response.into_inner()),
            Err(status) => status,
        };
        if status.code() == Code::InvalidArgument {
            let violations = field_violations(&status);
            return Err(OrderError::Invalid { message: status.message().to_owned(), violations });
        }
        let wait = match Retry::of(&status) {
            Retry::After(delay) => delay,
            Retry::Backoff => {
                let wait = backoff;
                backoff = (backoff * 2).min(MAX_BACKOFF);
                wait
            }
            Retry::Never => return Err(OrderError::Refused(status)),
        };
        if attempt >= policy.attempts {
            return Err(OrderError::GaveUp { attempts: attempt, last: status });
        }
        eprintln!(
            "order {}: try {attempt} failed ({:?}: {}); trying again in {wait:?}",
            request.request_id,
            status.code(),
            status.message()
        );
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}
