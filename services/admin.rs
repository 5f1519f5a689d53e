//! The plaintext admin listener: gRPC health with reflection (the kubelet's gRPC probe cannot present
//! a client certificate, and operators can `grpcurl -plaintext` it), Prometheus `/metrics`, and
//! `/live` and `/ready` for HTTP probes.

use axum::{Router, extract::State, http::StatusCode, routing::get};
use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;

use crate::health::OdooHealth;

#[derive(Clone)]
struct AdminState {
    prometheus: PrometheusHandle,
    health: OdooHealth,
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
) -> Router {
    let grpc = tonic::service::Routes::new(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .into_axum_router();
    let http = Router::new()
        .route("/metrics", get(|State(s): State<AdminState>| async move { s.prometheus.render() }))
        .route("/live", get(|| async { "ok" }))
        .route(
            "/ready",
            get(|State(s): State<AdminState>| async move {
                if s.health.is_up() {
                    (StatusCode::OK, "ready")
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, "odoo unavailable")
                }
            }),
        )
        .with_state(AdminState { prometheus, health });
    grpc.merge(http)
}

pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router).with_graceful_shutdown(shutdown).await
}
