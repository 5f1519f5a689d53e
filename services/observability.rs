//! Logs, traces and metrics. The Prometheus recorder is process-wide (the `metrics` facade allows
//! one), so it is installed once and shared by every server in the process (tests start several).
//! Spans go to an OpenTelemetry collector over OTLP/HTTP when an endpoint is configured.

use std::sync::OnceLock;

use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::LogFormat;

/// The process's Prometheus recorder; installed on first use.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; the handle still renders ours.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Installs the log subscriber: `RUST_LOG` filters (default `info`).
pub fn init_logging(format: LogFormat) {
    // Without an exporter nothing can fail but a second installation, which keeps the first.
    let _ = init(format, None);
}

/// Installs the log subscriber and, with an OTLP endpoint (`http://collector:4318`), exports
/// spans there; a call's span joins the caller's trace when it sent a W3C `traceparent`.
/// Keep the returned guard alive: dropping it flushes the spans not yet sent.
pub fn init(format: LogFormat, otlp_endpoint: Option<&str>) -> anyhow::Result<TraceExport> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let logs = match format {
        LogFormat::Json => fmt::layer().json().flatten_event(true).with_target(false).boxed(),
        LogFormat::Text => fmt::layer().compact().with_target(false).boxed(),
    };
    let provider = otlp_endpoint.map(tracer_provider).transpose()?;
    let traces = provider.as_ref().map(|p| tracing_opentelemetry::layer().with_tracer(p.tracer("odoo-mesh")));
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    // Already installed (several servers in one process): keep the first.
    let _ = Registry::default().with(filter).with(logs).with(traces).try_init();
    Ok(TraceExport { provider })
}

/// Builds the exporter on a thread of its own: its blocking HTTP client must not live inside the
/// async runtime.
fn tracer_provider(endpoint: &str) -> anyhow::Result<SdkTracerProvider> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/').trim_end_matches("/v1/traces"));
    std::thread::spawn(move || {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(url.clone())
            .build()
            .with_context(|| format!("building the OTLP exporter for {url}"))?;
        let resource = opentelemetry_sdk::Resource::builder().with_service_name("odoo-mesh").build();
        Ok(SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource).build())
    })
    .join()
    .map_err(|_| anyhow::anyhow!("building the OTLP exporter panicked"))?
}

/// Flushes and stops span export when dropped.
pub struct TraceExport {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TraceExport {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            // Off the async runtime, for the same reason the exporter was built off it.
            let _ = std::thread::spawn(move || provider.shutdown()).join();
        }
    }
}
