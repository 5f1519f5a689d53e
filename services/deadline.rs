//! The caller's deadline bounds the whole call, Odoo included. tonic enforces `grpc-timeout` too,
//! but answers `CANCELLED` from outside our layers; this layer ends the call a moment earlier with
//! `DEADLINE_EXCEEDED`, the code the caller's situation calls for. Ending it drops the handler's
//! future: nothing more is sent to Odoo for the call, and a request already sent runs to its end
//! holding its Odoo slot (Odoo's worker would carry on with it anyway; see the adapter's client).

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::time::Instant;

use tower::{Layer, Service};

/// How much earlier than the caller's deadline this layer answers, so it wins over tonic's timer
/// (which fires at the deadline itself) even when a busy runtime wakes both timers late: 5 ms lost
/// that race now and then on a loaded 2-core machine.
const MARGIN: Duration = Duration::from_millis(25);

/// Parses gRPC's `grpc-timeout` header: an integer of at most 8 digits and a unit (H, M, S, m, u, n).
pub fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

/// When this layer ends the call, for handlers that must tell a call dropped at its deadline from
/// one its caller abandoned (the audit trail).
#[derive(Debug, Clone, Copy)]
pub struct CallDeadline(pub Instant);

impl CallDeadline {
    /// Whether this layer has ended (or is ending) the call now.
    pub fn passed(self) -> bool {
        Instant::now() >= self.0
    }
}

#[derive(Clone, Default)]
pub struct DeadlineLayer;

impl<S> Layer<S> for DeadlineLayer {
    type Service = Deadline<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Deadline { inner }
    }
}

#[derive(Clone)]
pub struct Deadline<S> {
    inner: S,
}

impl<S, B> Service<http::Request<B>> for Deadline<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let budget = request.headers().get("grpc-timeout").and_then(|v| v.to_str().ok()).and_then(parse_grpc_timeout);
        let cut = budget.map(|b| b.saturating_sub(MARGIN));
        if let Some(cut) = cut {
            request.extensions_mut().insert(CallDeadline(Instant::now() + cut));
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let call = inner.call(request);
        let (Some(budget), Some(cut)) = (budget, cut) else { return Box::pin(call) };
        Box::pin(async move {
            match tokio::time::timeout(cut, call).await {
                Ok(result) => result,
                Err(_) => {
                    metrics::counter!("odoo_mesh_deadlines_exceeded_total").increment(1);
                    Ok(tonic::Status::deadline_exceeded(format!("the call's deadline of {budget:?} passed"))
                        .into_http())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grpc_timeouts_parse_as_the_spec_says() {
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("3S"), Some(Duration::from_secs(3)));
        assert_eq!(parse_grpc_timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_grpc_timeout("99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in ["", "m", "123456789S", "12x", "-1S"] {
            assert_eq!(parse_grpc_timeout(bad), None, "{bad}");
        }
    }
}
