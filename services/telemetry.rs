//! Per-call telemetry as a tower layer: every gRPC call gets a request id (the caller's
//! `x-request-id`, or a new one, returned in the response), a tracing span carrying it and the
//! caller's W3C `traceparent`, and Prometheus metrics by service, method and gRPC code.
//!
//! A call is counted when its response body ends, not when its headers leave: a stream's status
//! comes in the trailers after its last message (a watch ended as too slow is not "OK"), and a
//! stream the client abandons counts as `Cancelled`.

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{
        Arc, LazyLock, OnceLock,
        atomic::{AtomicU64, Ordering},
    },
    task::{Context, Poll},
    time::Instant,
};

use bytes::Bytes;
use http::HeaderValue;
use http_body::{Body, Frame};
use parking_lot::RwLock;
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
    // The process id once: `std::process::id` is a system call every time.
    static PID: LazyLock<u32> = LazyLock::new(std::process::id);
    format!("{:x}-{:x}-{:x}", nanos, *PID, COUNTER.fetch_add(1, Ordering::Relaxed))
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

/// Methods with metrics of their own; calls to any further path (a client probing random names)
/// share the `unknown` labels, so no caller can grow the number of series without bound.
const MAX_METHODS: usize = 512;

/// The metric handles of one method, registered once: looking each up in the registry by its
/// labels on every call would cost more than the cached read it times.
struct MethodMetrics {
    service: Arc<str>,
    method: Arc<str>,
    in_flight: metrics::Gauge,
    cached_reads: metrics::Histogram,
    /// Counts calls of a method the contracts mark deprecated (`crate::deprecation`).
    deprecated_calls: Option<metrics::Counter>,
    /// Calls and durations by gRPC code (0 to 16), registered on first use.
    by_code: [OnceLock<(metrics::Counter, metrics::Histogram)>; 17],
}

impl MethodMetrics {
    fn new(service: &str, method: &str) -> Self {
        let labels = [("service", service.to_owned()), ("method", method.to_owned())];
        let deprecated = crate::deprecation::is_deprecated(&format!("/{service}/{method}"));
        Self {
            deprecated_calls: deprecated.then(|| metrics::counter!("odoo_mesh_deprecated_calls_total", &labels)),
            service: service.into(),
            method: method.into(),
            in_flight: metrics::gauge!("odoo_mesh_grpc_requests_in_flight", &labels),
            cached_reads: metrics::histogram!("odoo_mesh_cached_read_duration_seconds", &labels),
            by_code: std::array::from_fn(|_| OnceLock::new()),
        }
    }

    /// The handles of one method, by its request path (`/package.Service/Method`).
    fn of(path: &str) -> Arc<Self> {
        static METHODS: LazyLock<RwLock<HashMap<String, Arc<MethodMetrics>>>> = LazyLock::new(RwLock::default);
        if let Some(known) = METHODS.read().get(path) {
            return known.clone();
        }
        let mut methods = METHODS.write();
        if methods.len() >= MAX_METHODS {
            return methods
                .entry("unknown".to_owned())
                .or_insert_with(|| Arc::new(Self::new("unknown", "unknown")))
                .clone();
        }
        let (service, method) = path.trim_start_matches('/').split_once('/').unwrap_or((path, ""));
        methods.entry(path.to_owned()).or_insert_with(|| Arc::new(Self::new(service, method))).clone()
    }

    fn finished(&self, code: tonic::Code) -> &(metrics::Counter, metrics::Histogram) {
        self.by_code[(code as usize).min(16)].get_or_init(|| {
            let labels = [
                ("service", self.service.to_string()),
                ("method", self.method.to_string()),
                ("code", format!("{code:?}")),
            ];
            (
                metrics::counter!("odoo_mesh_grpc_requests_total", &labels),
                metrics::histogram!("odoo_mesh_grpc_request_duration_seconds", &labels),
            )
        })
    }
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
    metrics: Arc<MethodMetrics>,
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
        let elapsed = self.started.elapsed();
        self.metrics.in_flight.decrement(1.0);
        let (calls, durations) = self.metrics.finished(code);
        calls.increment(1);
        durations.record(elapsed.as_secs_f64());
        if self.cached {
            self.metrics.cached_reads.record(elapsed.as_secs_f64());
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
        let metrics = MethodMetrics::of(request.uri().path());
        let request_id = request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map_or_else(new_request_id, str::to_owned);
        request.extensions_mut().insert(RequestId(request_id.clone()));
        let (service, method) = (&*metrics.service, &*metrics.method);
        let span = tracing::info_span!("grpc", %request_id, %service, %method, traceparent = tracing::field::Empty);
        if let Some(traceparent) = request.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()) {
            span.record("traceparent", traceparent);
            // With span export on, the span joins the caller's trace.
            let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(request.headers())));
            let _ = tracing_opentelemetry::OpenTelemetrySpanExt::set_parent(&span, parent);
        }
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        metrics.in_flight.increment(1.0);
        if let Some(deprecated_calls) = &metrics.deprecated_calls {
            deprecated_calls.increment(1);
        }
        let started = Instant::now();
        let call_span = span.clone();
        Box::pin(
            async move {
                let result = inner.call(request).await;
                let mut finish = Finish { metrics, started, code: None, cached: false, span: call_span };
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
