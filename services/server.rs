//! Assembles and runs odoo-mesh: the gRPC listener (mutual TLS, reflection, health, the four
//! services) and the admin listener, over one Odoo client.

use std::{net::SocketAddr, path::Path, sync::Arc, time::Duration};

use anyhow::Context;
use odoo_adapter::{Finance, Sales, Shipments};
use tokio::{
    net::{TcpListener, TcpStream},
    sync::watch,
    task::{JoinHandle, JoinSet},
};
use tokio_stream::{StreamExt, wrappers::ReceiverStream};
use tonic_health::server::HealthReporter;
use tower::util::MapResponseLayer;

use crate::{
    TokenKey, admin,
    audit::AuditLog,
    authz::{AuthzLayer, IdentitySource},
    backends::Backends,
    config::{Config, Transport},
    deadline::DeadlineLayer,
    error::remap_oversize_message,
    finance::FinanceApi,
    health::{self, OdooHealth},
    inventory::InventoryApi,
    io::BatchedWrites,
    listen::Listeners,
    observability,
    order::OrderApi,
    policy::PolicyStore,
    proto,
    shipment::ShipmentApi,
    telemetry::TelemetryLayer,
    tls::ReloadingTls,
    watch::{Hub, Poke, RecordView, StockView, Watch, Watched},
};

/// How long the admin listener and background tasks get to stop once gRPC has drained.
const ADMIN_STOP_GRACE: Duration = Duration::from_secs(1);

/// A running odoo-mesh. Dropping it does not stop it; call `shutdown`.
pub struct RunningServer {
    pub grpc_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    shutdown_grace: Duration,
    reporter: HealthReporter,
    odoo_health: OdooHealth,
    probe: JoinHandle<()>,
    stop_grpc: watch::Sender<bool>,
    grpc: JoinHandle<anyhow::Result<()>>,
    /// The admin listener and the background watchers, stopped after gRPC has drained.
    stop_rest: watch::Sender<bool>,
    rest: JoinSet<anyhow::Result<()>>,
}

impl RunningServer {
    /// Drains: health turns NOT_SERVING at once (load balancers and the kubelet stop sending), the
    /// gRPC listener stops accepting and tells open connections to go away (HTTP/2 GOAWAY, so
    /// clients retry their next call elsewhere), and in-flight calls finish — for at most the
    /// configured grace, after which the rest are closed. The admin port keeps answering until then.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        tracing::info!(grace = ?self.shutdown_grace, "draining: NOT_SERVING, refusing new calls, finishing in-flight ones");
        self.probe.abort();
        health::drain(&self.reporter, &self.odoo_health).await;
        let _ = self.stop_grpc.send(true);
        let drained = match tokio::time::timeout(self.shutdown_grace, &mut self.grpc).await {
            Ok(joined) => flatten(joined),
            Err(_) => {
                tracing::warn!(grace = ?self.shutdown_grace, "calls still in flight after the grace period; closing them");
                self.grpc.abort();
                Ok(())
            }
        };
        let _ = self.stop_rest.send(true);
        if tokio::time::timeout(ADMIN_STOP_GRACE, async {
            while let Some(joined) = self.rest.join_next().await {
                flatten(joined)?;
            }
            anyhow::Ok(())
        })
        .await
        .is_err()
        {
            self.rest.abort_all();
        }
        tracing::info!("odoo-mesh stopped");
        drained
    }

    /// Resolves when a listener fails or stops on its own; serving normally, it never does.
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        tokio::select! {
            joined = &mut self.grpc => flatten(joined),
            Some(joined) = self.rest.join_next() => flatten(joined),
        }
    }
}

fn flatten(joined: Result<anyhow::Result<()>, tokio::task::JoinError>) -> anyhow::Result<()> {
    match joined {
        Ok(result) => result,
        Err(join) if join.is_cancelled() => Ok(()),
        Err(join) => Err(join.into()),
    }
}

fn reflection(descriptor_sets: &[&'static [u8]]) -> tonic_reflection::server::Builder<'static> {
    descriptor_sets.iter().fold(tonic_reflection::server::Builder::configure(), |builder, set| {
        builder.register_encoded_file_descriptor_set(set)
    })
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Binds both listeners and starts serving in the background.
pub async fn start(config: &Config) -> anyhow::Result<RunningServer> {
    start_on(config, Listeners::bind(config).await?).await
}

/// Starts serving on listeners already bound (the demo picks free ports when its defaults are taken).
pub async fn start_on(config: &Config, listeners: Listeners) -> anyhow::Result<RunningServer> {
    let prometheus = observability::prometheus();
    let backends = Arc::new(
        Backends::new(config.odoo.clone(), config.odoo_credentials.clone()).context("building the odoo clients")?,
    );

    let (reporter, health_service) = tonic_health::server::health_reporter();
    for service in health::SERVICES {
        reporter.set_service_status(service, tonic_health::ServingStatus::NotServing).await;
    }
    reporter.set_service_status(health::LIVENESS, tonic_health::ServingStatus::Serving).await;
    let odoo_health = OdooHealth::default();
    // The error details are registered too, so grpcurl can print google.rpc.BadRequest and friends.
    let descriptors =
        [proto::FILE_DESCRIPTOR_SET, tonic_health::pb::FILE_DESCRIPTOR_SET, tonic_types::pb::FILE_DESCRIPTOR_SET];
    let reflection_v1 = reflection(&descriptors).build_v1()?;
    // grpcurl before 1.9 only speaks v1alpha reflection.
    let reflection_v1alpha = reflection(&descriptors).build_v1alpha()?;

    let policy = PolicyStore::load(config.policy.clone()).map_err(anyhow::Error::msg)?;
    let audit = Arc::new(AuditLog::open(config.audit_log.as_deref()).with_context(|| {
        format!("--audit-log {}: cannot open it", config.audit_log.as_deref().unwrap_or(Path::new("")).display())
    })?);
    let (tls, identity_source) = match &config.transport {
        Transport::MutualTls(files) => (Some(ReloadingTls::load(files.clone())?), IdentitySource::ClientCertificate),
        Transport::Plaintext { trust_forwarded_client_cert: true } => (None, IdentitySource::TrustedMeshHeader),
        Transport::Plaintext { trust_forwarded_client_cert: false } => (None, IdentitySource::None),
    };
    if tls.is_none() {
        tracing::warn!("serving gRPC without TLS: only safe behind a mesh sidecar that enforces mutual TLS");
    }
    let (stop_grpc, grpc_stop_rx) = watch::channel(false);
    let stock_view = Arc::new(StockView::new(Arc::new(Hub::new(config.watch.retention))));
    let order_view = Arc::new(RecordView::<Sales>::new(Arc::new(Hub::new(config.watch.retention))));
    let shipment_view = Arc::new(RecordView::<Shipments>::new(Arc::new(Hub::new(config.watch.retention))));
    let invoice_view = Arc::new(RecordView::<Finance>::new(Arc::new(Hub::new(config.watch.retention))));
    // Page and resume tokens are sealed with a key every replica of the deployment derives alike.
    let tokens = TokenKey::for_deployment(&config.odoo);
    let stock_watch = streams_of("stock", &stock_view.hub, config, &grpc_stop_rx, &tokens);
    let order_watch = streams_of("sales_orders", &order_view.hub, config, &grpc_stop_rx, &tokens);
    let shipment_watch = streams_of("shipments", &shipment_view.hub, config, &grpc_stop_rx, &tokens);
    let invoice_watch = streams_of("invoices", &invoice_view.hub, config, &grpc_stop_rx, &tokens);
    let grpc =
        http2_hygiene(tonic::transport::Server::builder())
            // Outermost: every call, denied ones included, gets a request id, a span and metrics.
            .layer(TelemetryLayer)
            // The caller's deadline bounds the rest, Odoo included, and ends as DEADLINE_EXCEEDED.
            .layer(DeadlineLayer)
            // tonic's own refusals keep the codes gRPC specifies (oversize: RESOURCE_EXHAUSTED).
            .layer(MapResponseLayer::new(remap_oversize_message))
            // Every call passes the authorization policy next; denied calls never reach a service.
            .layer(AuthzLayer::new(policy.clone(), identity_source))
            .add_service(health_service.clone())
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha)
            .add_service(proto::inventory::v1::inventory_service_server::InventoryServiceServer::new(
                InventoryApi::new(backends.clone(), audit.clone(), stock_view.clone(), stock_watch, tokens.clone()),
            ))
            .add_service(proto::order::v1::order_service_server::OrderServiceServer::new(OrderApi::new(
                backends.clone(),
                audit.clone(),
                order_watch,
                tokens.clone(),
            )))
            .add_service(proto::shipment::v1::shipment_service_server::ShipmentServiceServer::new(ShipmentApi::new(
                backends.clone(),
                audit.clone(),
                shipment_watch,
                tokens.clone(),
            )))
            .add_service(proto::finance::v1::finance_service_server::FinanceServiceServer::new(FinanceApi::new(
                backends.clone(),
                audit,
                invoice_watch,
                tokens,
            )));

    let Listeners { grpc: grpc_listener, admin: admin_listener } = listeners;
    let grpc_addr = grpc_listener.local_addr()?;
    let admin_addr = admin_listener.local_addr()?;

    let grpc_stop = stopped(grpc_stop_rx.clone());
    let (stop_rest, rest_stop_rx) = watch::channel(false);
    let mut background = vec![tokio::spawn(policy.watch(config.reload_interval))];
    // One change capture per watched kind and process, whatever the number of watch streams.
    background.push(tokio::spawn({
        let (view, backends, settings) = (stock_view.clone(), backends.clone(), config.watch.capture);
        async move { view.capture(&backends.default_backend().inventory, backends.default_odoo(), settings).await }
    }));
    background.push(tokio::spawn({
        let (view, backends, settings) = (order_view.clone(), backends.clone(), config.watch.capture);
        async move { view.capture(&backends.default_backend().sales, backends.default_odoo(), settings).await }
    }));
    background.push(tokio::spawn({
        let (view, backends, settings) = (shipment_view.clone(), backends.clone(), config.watch.capture);
        async move { view.capture(&backends.default_backend().shipments, backends.default_odoo(), settings).await }
    }));
    background.push(tokio::spawn({
        let (view, backends, settings) = (invoice_view.clone(), backends.clone(), config.watch.capture);
        async move { view.capture(&backends.default_backend().finance, backends.default_odoo(), settings).await }
    }));
    let accepted = accept_until(grpc_listener, stopped(grpc_stop_rx));
    let grpc = match tls {
        Some(tls) => {
            background.push(tokio::spawn(tls.clone().watch(config.reload_interval)));
            let incoming = crate::tls::incoming(accepted, tls).map(|tls| tls.map(BatchedWrites));
            tokio::spawn(async move {
                grpc.serve_with_incoming_shutdown(incoming, grpc_stop).await.context("grpc listener")
            })
        }
        None => tokio::spawn(async move {
            let incoming = accepted.map(|tcp| tcp.map(BatchedWrites));
            grpc.serve_with_incoming_shutdown(incoming, grpc_stop).await.context("grpc listener")
        }),
    };
    let admin_descriptors = [tonic_health::pb::FILE_DESCRIPTOR_SET];
    let admin_router = admin::router(
        health_service,
        reflection(&admin_descriptors).build_v1()?,
        reflection(&admin_descriptors).build_v1alpha()?,
        prometheus,
        odoo_health.clone(),
        config.watch.webhook_secret.clone().map(|secret| {
            let views: Vec<Arc<dyn Poke>> =
                vec![stock_view.clone(), order_view.clone(), shipment_view.clone(), invoice_view.clone()];
            (secret, views)
        }),
    );
    let mut rest = JoinSet::new();
    let admin_stop = stopped(rest_stop_rx.clone());
    rest.spawn(async move { admin::serve(admin_listener, admin_router, admin_stop).await.context("admin listener") });
    let probe =
        tokio::spawn(health::probe(backends.clone(), reporter.clone(), odoo_health.clone(), config.health_interval));
    background.push(tokio::spawn(backends.watch_secrets(config.reload_interval)));
    let mut background_stop = rest_stop_rx;
    rest.spawn(async move {
        let _ = background_stop.wait_for(|stop| *stop).await;
        background.iter().for_each(tokio::task::JoinHandle::abort);
        Ok(())
    });
    tracing::info!(grpc = %grpc_addr, admin = %admin_addr, tls = matches!(config.transport, Transport::MutualTls(_)), "odoo-mesh serving");
    Ok(RunningServer {
        grpc_addr,
        admin_addr,
        shutdown_grace: config.shutdown_grace,
        reporter,
        odoo_health,
        probe,
        stop_grpc,
        grpc,
        stop_rest,
        rest,
    })
}

/// The streams of a watched view. They end, resumable, as soon as the drain starts: they would
/// otherwise hold it open.
fn streams_of<T: Watched>(
    name: &'static str,
    hub: &Arc<Hub<T>>,
    config: &Config,
    draining: &watch::Receiver<bool>,
    tokens: &TokenKey,
) -> Watch<T> {
    crate::watch::stream::export_resyncs_at_zero(name);
    Watch { name, hub: hub.clone(), settings: config.watch.stream, draining: draining.clone(), tokens: tokens.clone() }
}

/// Accepted connections until `stop`; then the listener is closed, so a draining server refuses
/// new connections at once instead of leaving them waiting unserved (tonic keeps its incoming
/// stream, and with it the socket, until the last connection has closed).
fn accept_until(
    listener: TcpListener,
    stop: impl Future<Output = ()> + Send + 'static,
) -> ReceiverStream<std::io::Result<TcpStream>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        tokio::pin!(stop);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    // gRPC messages are small and latency-bound: no Nagle delay.
                    let accepted = accepted.inspect(|(tcp, _)| drop(tcp.set_nodelay(true)));
                    if tx.send(accepted.map(|(tcp, _)| tcp)).await.is_err() {
                        return;
                    }
                }
                () = &mut stop => return,
            }
        }
    });
    ReceiverStream::new(rx)
}

/// Limits every gRPC connection lives under. Pings find dead peers behind NATs and load balancers;
/// a maximum age makes clients reconnect now and then, so new replicas get their share (the grace
/// lets calls and watch streams finish or resume elsewhere); the stream cap and the reset limits
/// keep one connection from taking the server down (HTTP/2 "rapid reset", CVE-2023-44487).
fn http2_hygiene(builder: tonic::transport::Server) -> tonic::transport::Server {
    builder
        .http2_keepalive_interval(Some(Duration::from_secs(30)))
        .http2_keepalive_timeout(Some(Duration::from_secs(10)))
        .max_connection_age(Duration::from_secs(30 * 60))
        .max_connection_age_grace(Duration::from_secs(5 * 60))
        .max_concurrent_streams(Some(256))
        .http2_max_pending_accept_reset_streams(Some(32))
        .http2_max_local_error_reset_streams(Some(256))
}
