//! Per-call telemetry as a tower layer: every gRPC call gets a request id (the caller's
//! `x-request-id`, or a new one, returned in the response), a tracing span carrying it and the
//! caller's W3C `traceparent`, and Prometheus metrics by service, method and gRPC code.

use std::{
    future::Future,
    pin::Pin,
    sync::atomic::{AtomicU64, Ordering},
    task::{Context, Poll},
    time::Instant,
};

use http::HeaderValue;
use tower::{Layer, Service};
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";
const TRACEPARENT: &str = "traceparent";

/// A request id unique within this process and unlikely to collide across replicas.
fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{:x}-{:x}-{:x}", nanos, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// The request id of a call, for handlers that log or pass it on.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

#[derive(Clone, Default)]
pub struct TelemetryLayer;

impl<S> Layer<S> for TelemetryLayer {
    type Service = Telemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Telemetry { inner }
    }
}

#[derive(Clone)]
pub struct Telemetry<S> {
    inner: S,
}

/// The gRPC code of a response: in the headers of a trailers-only (error) response, else OK
/// (a failure after the first message shows in trailers, which unary calls do not use).
fn grpc_code(headers: &http::HeaderMap) -> tonic::Code {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

impl<S, B> Service<http::Request<B>> for Telemetry<S>
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
        let path = request.uri().path().trim_start_matches('/').to_owned();
        let (service, method) =
            path.split_once('/').map_or((path.clone(), String::new()), |(s, m)| (s.to_owned(), m.to_owned()));
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map_or_else(new_request_id, str::to_owned);
        let traceparent =
            request.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        request.extensions_mut().insert(RequestId(request_id.clone()));
        let span = tracing::info_span!("grpc", %request_id, %service, %method, traceparent = %traceparent);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let labels = [("service", service), ("method", method)];
        metrics::gauge!("odoo_mesh_grpc_requests_in_flight", &labels).increment(1.0);
        let started = Instant::now();
        Box::pin(
            async move {
                let result = inner.call(request).await;
                metrics::gauge!("odoo_mesh_grpc_requests_in_flight", &labels).decrement(1.0);
                let code = match &result {
                    Ok(response) => grpc_code(response.headers()),
                    Err(_) => tonic::Code::Internal,
                };
                let elapsed = started.elapsed();
                let [(_, service), (_, method)] = &labels;
                let with_code =
                    [("service", service.clone()), ("method", method.clone()), ("code", format!("{code:?}"))];
                metrics::counter!("odoo_mesh_grpc_requests_total", &with_code).increment(1);
                metrics::histogram!("odoo_mesh_grpc_request_duration_seconds", &with_code)
                    .record(elapsed.as_secs_f64());
                tracing::debug!(code = ?code, elapsed_ms = elapsed.as_millis() as u64, "grpc call finished");
                result.map(|mut response| {
                    if let Ok(value) = HeaderValue::from_str(&request_id) {
                        response.headers_mut().insert(REQUEST_ID, value);
                    }
                    response
                })
            }
            .instrument(span),
        )
    }
}
