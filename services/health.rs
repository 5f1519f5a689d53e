//! gRPC health: every service is SERVING only while Odoo answers. One probe per process feeds the
//! health service on both listeners and the admin `/ready` endpoint.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use odoo_adapter::OdooClient;
use tonic_health::{ServingStatus, server::HealthReporter};

/// The gRPC service names health is reported for; "" is the server as a whole.
pub(crate) const SERVICES: [&str; 5] = [
    "",
    "odoomesh.inventory.v1.InventoryService",
    "odoomesh.order.v1.OrderService",
    "odoomesh.shipment.v1.ShipmentService",
    "odoomesh.finance.v1.FinanceService",
];

/// Whether Odoo answered the last probe.
#[derive(Debug, Clone, Default)]
pub(crate) struct OdooHealth(Arc<AtomicBool>);

impl OdooHealth {
    pub(crate) fn is_up(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Probes Odoo every `interval` until the task is aborted.
pub(crate) async fn probe(odoo: Arc<OdooClient>, reporter: HealthReporter, health: OdooHealth, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut first = true;
    loop {
        ticker.tick().await;
        // While the breaker is open callers get UNAVAILABLE: health says so too.
        let up = match odoo.version().await {
            Ok(_) => !odoo.circuit_open(),
            Err(error) => {
                tracing::warn!(%error, "odoo health probe failed");
                false
            }
        };
        metrics::gauge!("odoo_mesh_odoo_up").set(if up { 1.0 } else { 0.0 });
        // Publish changes only: every published status is an update to each Watch stream.
        if first || health.0.swap(up, Ordering::Relaxed) != up {
            health.0.store(up, Ordering::Relaxed);
            tracing::info!(odoo_up = up, "odoo health changed");
            report(&reporter, if up { ServingStatus::Serving } else { ServingStatus::NotServing }).await;
        }
        first = false;
    }
}

/// Reports every service NOT_SERVING and `/ready` as failing for good: the process is draining.
/// The probe must be stopped first, or its next answer would undo this.
pub(crate) async fn drain(reporter: &HealthReporter, health: &OdooHealth) {
    health.0.store(false, Ordering::Relaxed);
    report(reporter, ServingStatus::NotServing).await;
}

async fn report(reporter: &HealthReporter, status: ServingStatus) {
    for service in SERVICES {
        reporter.set_service_status(service, status).await;
    }
}
