//! Per-call telemetry as a tower layer: every gRPC call gets a request id (the caller's
//! `x-request-id`, or a new one, returned in the response), a tracing span carrying it and the
//! caller's W3C `traceparent`, and Prometheus metrics by service, method and gRPC code.
//!
//! A call is counted when its response body ends, not when its headers leave: a stream's status
//! comes in the trailers after its last message (a watch ended as too slow is not "OK"), and a
//! stream the client abandons counts as `Cancelled`.

use std::{
    future::Future,
    pin::Pin,
    sync::atomic::{AtomicU64, Ordering},
    task::{Context, Poll},
    time::Instant,
};

use bytes::Bytes;
use http::HeaderValue;
use http_body::{Body, Frame};
use tower::{Layer, Service};
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";
const TRACEPARENT: &str = "traceparent";

/// Request headers as OpenTelemetry's propagators read them.
struct Headers<'a>(&'a http::HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// A request id unique within this process and unlikely to collide across replicas.
fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{:x}-{:x}-{:x}", nanos, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// Marks a response answered from the watched view rather than Odoo (a handler puts it in the
/// response's extensions): its call is also timed in `odoo_mesh_cached_read_duration_seconds`,
/// the latency of cached reads, which would otherwise be lost among the reads that wait for Odoo.
#[derive(Debug, Clone, Copy)]
pub struct CachedRead;

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

/// The gRPC code in headers or trailers, if they carry one.
fn grpc_code(headers: &http::HeaderMap) -> Option<tonic::Code> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(tonic::Code::from_i32)
}

/// Records a call once, when its response body is done or dropped.
struct Finish {
    labels: [(&'static str, String); 2],
    started: Instant,
    /// From a trailers-only response's headers, or from the trailers; none yet while streaming.
    code: Option<tonic::Code>,
    /// Answered from the watched view (`CachedRead`).
    cached: bool,
    span: tracing::Span,
}

impl Drop for Finish {
    fn drop(&mut self) {
        // A body dropped before its trailers: the client went away.
        let code = self.code.unwrap_or(tonic::Code::Cancelled);
        let [(_, service), (_, method)] = &self.labels;
        metrics::gauge!("odoo_mesh_grpc_requests_in_flight", &self.labels).decrement(1.0);
        let with_code = [("service", service.clone()), ("method", method.clone()), ("code", format!("{code:?}"))];
        let elapsed = self.started.elapsed();
        metrics::counter!("odoo_mesh_grpc_requests_total", &with_code).increment(1);
        metrics::histogram!("odoo_mesh_grpc_request_duration_seconds", &with_code).record(elapsed.as_secs_f64());
        if self.cached {
            metrics::histogram!("odoo_mesh_cached_read_duration_seconds", &self.labels).record(elapsed.as_secs_f64());
        }
        let _entered = self.span.enter();
        tracing::debug!(code = ?code, elapsed_ms = elapsed.as_millis() as u64, "grpc call finished");
    }
}

/// A response body that reads the status from the trailers as they pass.
struct Observed {
    inner: tonic::body::Body,
    finish: Option<Finish>,
}

impl Body for Observed {
    type Data = Bytes;
    type Error = tonic::Status;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, tonic::Status>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(trailers), Some(finish)) = (frame.trailers_ref(), self.finish.as_mut()) {
                    finish.code = grpc_code(trailers).or(Some(tonic::Code::Ok));
                }
            }
            Poll::Ready(None) => {
                if let Some(mut finish) = self.finish.take() {
                    finish.code.get_or_insert(tonic::Code::Ok);
                }
            }
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
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
        // With span export on, the span joins the caller's trace.
        let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(request.headers())));
        let _ = tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(&span, parent);
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let labels = [("service", service), ("method", method)];
        metrics::gauge!("odoo_mesh_grpc_requests_in_flight", &labels).increment(1.0);
        let started = Instant::now();
        let call_span = span.clone();
        Box::pin(
            async move {
                let result = inner.call(request).await;
                let mut finish = Finish { labels, started, code: None, cached: false, span: call_span };
                match result {
                    Ok(response) => {
                        finish.code = grpc_code(response.headers());
                        finish.cached = response.extensions().get::<CachedRead>().is_some();
                        let (mut parts, body) = response.into_parts();
                        if let Ok(value) = HeaderValue::from_str(&request_id) {
                            parts.headers.insert(REQUEST_ID, value);
                        }
                        let body = tonic::body::Body::new(Observed { inner: body, finish: Some(finish) });
                        Ok(http::Response::from_parts(parts, body))
                    }
                    Err(error) => {
                        finish.code = Some(tonic::Code::Internal);
                        Err(error)
                    }
                }
            }
            .instrument(span),
        )
    }
}
