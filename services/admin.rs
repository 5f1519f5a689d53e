//! The plaintext admin listener: gRPC health with reflection (the kubelet's gRPC probe cannot present
//! a client certificate, and operators can `grpcurl -plaintext` it), Prometheus `/metrics`, and
//! `/live` and `/ready` for HTTP probes, and the endpoint Odoo's "Send Webhook Notification"
//! automations call to say that stock changed.

use std::sync::Arc;

use axum::{
    Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    routing::{get, post},
};
use metrics_exporter_prometheus::PrometheusHandle;
use odoo_adapter::Secret;
use subtle::ConstantTimeEq;
use tokio::net::TcpListener;

use crate::{health::OdooHealth, watch::Poke};

#[derive(Clone)]
struct AdminState {
    prometheus: PrometheusHandle,
    health: OdooHealth,
    webhook: Option<Arc<Webhook>>,
}

/// Odoo's webhook: a shared secret (Odoo cannot sign, so it travels in the URL's query, or as a
/// bearer token from other senders) and the views it wakes.
struct Webhook {
    secret: Secret,
    views: Vec<Arc<dyn Poke>>,
}

#[derive(serde::Deserialize)]
struct WebhookQuery {
    token: Option<String>,
}

/// Accepts a webhook call at once (Odoo waits for it inside its transaction, for one second at
/// most) and asks for a poll. The body is never read as data: Odoo sends it before it commits,
/// even for transactions that then roll back, so only a fresh read from Odoo is trusted.
async fn accept_webhook(
    State(state): State<AdminState>,
    Query(query): Query<WebhookQuery>,
    headers: HeaderMap,
) -> StatusCode {
    let Some(webhook) = &state.webhook else {
        return StatusCode::NOT_FOUND;
    };
    let bearer =
        headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let presented = query.token.as_deref().or(bearer).unwrap_or_default();
    let expected = webhook.secret.expose();
    if !bool::from(presented.as_bytes().ct_eq(expected.as_bytes())) {
        metrics::counter!("odoo_mesh_watch_webhooks_total", "outcome" => "rejected").increment(1);
        tracing::warn!("odoo webhook call with a wrong or missing secret refused");
        return StatusCode::UNAUTHORIZED;
    }
    metrics::counter!("odoo_mesh_watch_webhooks_total", "outcome" => "accepted").increment(1);
    for view in &webhook.views {
        view.poke();
    }
    StatusCode::OK
}

/// The admin router, with the gRPC health service mounted beside the HTTP endpoints.
pub(crate) fn router(
    health_service: tonic_health::pb::health_server::HealthServer<impl tonic_health::pb::health_server::Health>,
    reflection_v1: tonic_reflection::server::v1::ServerReflectionServer<
        impl tonic_reflection::server::v1::ServerReflection,
    >,
    reflection_v1alpha: tonic_reflection::server::v1alpha::ServerReflectionServer<
        impl tonic_reflection::server::v1alpha::ServerReflection,
    >,
    prometheus: PrometheusHandle,
    health: OdooHealth,
    webhook: Option<(Secret, Vec<Arc<dyn Poke>>)>,
) -> Router {
    let grpc = tonic::service::Routes::new(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .into_axum_router();
    let http = Router::new()
        .route("/metrics", get(|State(s): State<AdminState>| async move { s.prometheus.render() }))
        .route("/live", get(|| async { "ok" }))
        .route("/odoo/webhook", post(accept_webhook))
        .route(
            "/ready",
            get(|State(s): State<AdminState>| async move {
                let status = if s.health.is_up() { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
                (status, s.health.explain())
            }),
        )
        .with_state(AdminState {
            prometheus,
            health,
            webhook: webhook.map(|(secret, views)| Arc::new(Webhook { secret, views })),
        });
    grpc.merge(http)
}

pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
