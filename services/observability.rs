//! Logs, traces and metrics. The Prometheus recorder is process-wide (the `metrics` facade allows
//! one), so it is installed once and shared by every server in the process (tests start several).
//! Spans go to an OpenTelemetry collector over OTLP/HTTP when an endpoint is configured.

use std::{io::IsTerminal, sync::OnceLock};

use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::{EnvFilter, Layer, Registry, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::LogFormat;

/// The bucket bounds (seconds) of each duration histogram, chosen for what it measures. Each is
/// exported as a Prometheus histogram, whose `_bucket` series aggregate across replicas (a summary's
/// quantiles do not). The README's metric notes explain each choice.
pub const HISTOGRAM_BUCKETS: &[(&str, &[f64])] = &[
    // A gRPC call: sub-millisecond for answers from the watched view and for refusals (denied,
    // invalid, breaker open), milliseconds to seconds through Odoo, up to the Odoo request timeout
    // (30 s) plus a queue wait and retries. A stream's whole life lands in +Inf.
    (
        "odoo_mesh_grpc_request_duration_seconds",
        &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0],
    ),
    // A read answered from the watched view: memory only, tens of microseconds when healthy.
    (
        "odoo_mesh_cached_read_duration_seconds",
        &[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0],
    ),
    // One Odoo call: a few milliseconds for a read on a near Odoo, seconds for a confirmation or an
    // invoice posting, tens of seconds up to the request timeout.
    (
        "odoo_mesh_odoo_call_duration_seconds",
        &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0],
    ),
    // Waiting for an Odoo slot: immediate (microseconds) while Odoo has capacity, then up to the
    // queue timeout (2 s by default), when the call is refused.
    (
        "odoo_mesh_odoo_governor_wait_seconds",
        &[0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0],
    ),
    // From the poll that found a change to a stream: milliseconds of fan-out (a fifth of a second
    // for 10,000 streams), seconds for a consumer that falls behind.
    (
        "odoo_mesh_watch_delivery_lag_seconds",
        &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0],
    ),
];

/// Buckets for a histogram missing from `HISTOGRAM_BUCKETS` (a test requires every one to be
/// there), so that none is ever exported as a summary.
const FALLBACK_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0];

/// Counters whose label values are known in advance, exported at 0 from the start with each of
/// them (Prometheus's advice: avoid missing metrics): a panel of rare events reads 0, not "no
/// data", and an alert on a counter's first increase sees one. Counters labelled with what Odoo
/// or a caller names (models, methods, currencies) appear with their first increase.
const COUNTERS_AT_ZERO: &[(&str, &str, &[&str])] = &[
    ("odoo_mesh_deadlines_exceeded_total", "", &[]),
    ("odoo_mesh_odoo_governor_rejected_total", "priority", &["critical", "read", "bulk"]),
    ("odoo_mesh_odoo_retry_budget_exhausted_total", "", &[]),
    ("odoo_mesh_odoo_coalesced_calls_total", "", &[]),
    ("odoo_mesh_odoo_batched_reads_total", "", &[]),
    ("odoo_mesh_odoo_breaker_rejected_total", "", &[]),
    ("odoo_mesh_odoo_breaker_opened_total", "", &[]),
    ("odoo_mesh_orders_created_total", "kind", &["sales", "purchase"]),
    ("odoo_mesh_duplicate_orders_prevented_total", "kind", &["sales", "purchase"]),
    ("odoo_mesh_commands_unread_total", "command", COMMANDS),
    ("odoo_mesh_shipments_validated_total", "kind", SHIPMENT_KINDS),
    ("odoo_mesh_backorders_created_total", "kind", SHIPMENT_KINDS),
    ("odoo_mesh_tracking_events_total", "outcome", &["recorded", "duplicate"]),
    ("odoo_mesh_returns_created_total", "", &[]),
    ("odoo_mesh_asns_recorded_total", "", &[]),
    ("odoo_mesh_inventory_counts_total", "outcome", &["applied", "conflict"]),
    ("odoo_mesh_invoices_created_total", "kind", INVOICE_KINDS),
    ("odoo_mesh_invoices_posted_total", "kind", INVOICE_KINDS),
    ("odoo_mesh_payments_registered_total", "", &[]),
    ("odoo_mesh_credit_notes_created_total", "", &[]),
    (
        "odoo_mesh_finance_duplicates_prevented_total",
        "method",
        &["CreateInvoice", "PostInvoice", "RegisterPayment", "CreateCreditNote", "CreateSupplierBill"],
    ),
    ("odoo_mesh_authz_denied_total", "", &[]),
    ("odoo_mesh_tls_handshake_failures_total", "", &[]),
    ("odoo_mesh_tls_reloads_total", "outcome", &["success", "failure"]),
    ("odoo_mesh_policy_reloads_total", "outcome", &["success", "failure"]),
    ("odoo_mesh_watch_webhooks_total", "outcome", &["accepted", "rejected"]),
];

/// The commands of the idempotent-write mechanism (`odoo_adapter::command`), by name.
const COMMANDS: &[&str] = &[
    "create_sales_order",
    "create_purchase_order",
    "acknowledge_purchase_order",
    "adjust_inventory",
    "validate_shipment",
    "record_tracking_event",
    "record_asn",
    "create_return",
    "create_invoice",
    "post_invoice",
    "register_payment",
    "create_credit_note",
    "create_supplier_bill",
];
const SHIPMENT_KINDS: &[&str] = &["delivery", "receipt", "return", "internal"];
const INVOICE_KINDS: &[&str] =
    &["customer_invoice", "customer_credit_note", "supplier_bill", "supplier_refund", "other"];

fn export_counters_at_zero() {
    for (name, label, values) in COUNTERS_AT_ZERO {
        if values.is_empty() {
            metrics::counter!(*name).increment(0);
        }
        for value in *values {
            metrics::counter!(*name, *label => *value).increment(0);
        }
    }
}

/// The recorder, with every histogram's buckets.
fn recorder() -> metrics_exporter_prometheus::PrometheusRecorder {
    // Only an empty bucket list is refused, and none of the constant ones is empty.
    let mut builder = PrometheusBuilder::new().set_buckets(FALLBACK_BUCKETS).expect("non-empty buckets");
    for (name, buckets) in HISTOGRAM_BUCKETS {
        builder =
            builder.set_buckets_for_metric(Matcher::Full((*name).to_owned()), buckets).expect("non-empty buckets");
    }
    builder.build_recorder()
}

/// The process's Prometheus recorder; installed on first use.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; the handle still renders ours.
            let _ = metrics::set_global_recorder(recorder);
            export_counters_at_zero();
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
        // Colours for a terminal only: piped into a file or another program they are noise.
        LogFormat::Text => fmt::layer().compact().with_target(false).with_ansi(std::io::stdout().is_terminal()).boxed(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_duration_is_exported_as_a_histogram_with_its_own_buckets() {
        let recorder = recorder();
        // Not a metric of the service: named outside the macro, where the README's checks look.
        let unlisted = "odoo_mesh_not_listed_seconds";
        metrics::with_local_recorder(&recorder, || {
            for (name, _) in HISTOGRAM_BUCKETS {
                metrics::histogram!(*name).record(0.003);
            }
            metrics::histogram!(unlisted).record(0.003);
        });
        let exposition = recorder.handle().render();
        for (name, buckets) in HISTOGRAM_BUCKETS {
            assert!(buckets.windows(2).all(|pair| pair[0] < pair[1]), "{name}: bounds increase");
            assert!(exposition.contains(&format!("# TYPE {name} histogram")), "{name}:\n{exposition}");
            for bound in *buckets {
                assert!(exposition.contains(&format!("{name}_bucket{{le=\"{bound}\"}}")), "{name} le={bound}");
            }
        }
        assert!(
            exposition.contains("# TYPE odoo_mesh_not_listed_seconds histogram"),
            "a histogram without its own buckets is still no summary:\n{exposition}"
        );
        assert!(!exposition.contains("summary"), "{exposition}");
    }
}
