//! Span export: with an OTLP endpoint configured, each call's span reaches the collector inside
//! the caller's trace. A process of its own, because the log subscriber is installed once.

mod common;

use std::sync::Arc;

use axum::{Router, body::Bytes, extract::State, routing::post};
use odoo_mesh::{config::LogFormat, observability, proto::inventory::v1 as pb};
use parking_lot::Mutex;

/// The trace a caller says it is part of (the W3C example).
const TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";
const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/// A collector that keeps every OTLP/HTTP trace export it receives.
async fn collector() -> (String, Arc<Mutex<Vec<Bytes>>>) {
    let received = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new()
        .route(
            "/v1/traces",
            post(|State(received): State<Arc<Mutex<Vec<Bytes>>>>, body: Bytes| async move {
                received.lock().push(body);
                ""
            }),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("binds");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_calls_span_reaches_the_collector_in_the_callers_trace() {
    let (url, received) = collector().await;
    let export = observability::init(LogFormat::Text, Some(&url)).expect("exporter");
    let harness = common::Harness::simulator().await;
    let mut request = tonic::Request::new(pb::ListWarehousesRequest {});
    request.metadata_mut().insert("traceparent", TRACEPARENT.parse().expect("ascii"));
    harness.inventory().await.list_warehouses(request).await.expect("answers");
    harness.stop().await;
    drop(export);

    let trace_id = hex(TRACE_ID);
    let exports = received.lock();
    assert!(!exports.is_empty(), "spans were exported");
    assert!(
        exports.iter().any(|body| body.windows(trace_id.len()).any(|w| w == trace_id)),
        "a span carries the caller's trace id"
    );
    assert!(exports.iter().any(|body| body.windows(4).any(|w| w == b"grpc")), "the call's span is named grpc");
}
