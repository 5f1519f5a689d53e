//! gRPC health and `/ready`: a service is SERVING only while Odoo answers and has what that
//! service needs (a module may be missing: its RPCs answer FAILED_PRECONDITION, its health says
//! NOT_SERVING, and `/ready` says why). One probe per process feeds both listeners. When Odoo comes
//! back after being down, what it has is asked again: it may have been upgraded meanwhile.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use arc_swap::ArcSwapOption;
use odoo_adapter::{Availability, Capability, OdooError, Report};
use tonic_health::{ServingStatus, server::HealthReporter};

use crate::backends::Backends;

/// The whole server's health name.
const SERVER: &str = "";
const INVENTORY: &str = "odoomesh.inventory.v1.InventoryService";
const ORDER: &str = "odoomesh.order.v1.OrderService";
const SHIPMENT: &str = "odoomesh.shipment.v1.ShipmentService";
const FINANCE: &str = "odoomesh.finance.v1.FinanceService";

/// The gRPC service names health is reported for; "" is the server as a whole.
pub(crate) const SERVICES: [&str; 5] = [SERVER, INVENTORY, ORDER, SHIPMENT, FINANCE];

/// The health name for liveness probes: SERVING for as long as the process answers, whatever Odoo
/// does and also while draining. Restarting odoo-mesh cannot bring Odoo back, and restarting every
/// replica at once would throw away their watched views just when Odoo returns.
pub(crate) const LIVENESS: &str = "liveness";

/// The capabilities a service's RPCs stand on: it serves while any of them is available.
fn needs(service: &str) -> &'static [Capability] {
    match service {
        INVENTORY => &[Capability::Inventory],
        ORDER => &[Capability::SalesOrders, Capability::PurchaseOrders],
        SHIPMENT => &[Capability::Shipments],
        _ => &Capability::ALL,
    }
}

/// Whether Odoo answered the last probe, and what it has.
#[derive(Debug, Clone, Default)]
pub(crate) struct OdooHealth(Arc<State>);

#[derive(Debug, Default)]
struct State {
    up: AtomicBool,
    report: ArcSwapOption<Report>,
}

impl OdooHealth {
    /// Whether odoo-mesh can serve anything: Odoo answers and something it offers is available.
    pub(crate) fn is_up(&self) -> bool {
        self.0.up.load(Ordering::Relaxed)
    }

    /// Why `/ready` says what it says, for a person reading the probe's output.
    pub(crate) fn explain(&self) -> String {
        let report = self.0.report.load_full();
        match (self.is_up(), report) {
            (false, Some(report)) if !report.capabilities.iter().any(|(_, a)| a.is_available()) => {
                format!("not ready: nothing odoo-mesh offers can be used on this odoo\n{report}")
            }
            (false, _) => "not ready: odoo unavailable".to_owned(),
            (true, Some(report)) if !report.complete() => format!("ready, with parts unavailable\n{report}"),
            (true, _) => "ready".to_owned(),
        }
    }
}

/// Probes Odoo every `interval` until the task is aborted.
/// The settings to look at when the health probe fails this way.
fn settings_to_check(error: &OdooError) -> &'static str {
    match error {
        OdooError::AccessDenied => "--odoo-user and its key (--odoo-api-key-file, ODOO_API_KEY)",
        OdooError::DatabaseUnavailable { .. } => "--odoo-db (ODOO_DB)",
        _ => "--odoo-url (ODOO_URL) and the network to it",
    }
}

pub(crate) async fn probe(backends: Arc<Backends>, reporter: HealthReporter, health: OdooHealth, interval: Duration) {
    let odoo = backends.default_odoo();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut published: Option<BTreeMap<&str, ServingStatus>> = None;
    let mut was_up = false;
    loop {
        ticker.tick().await;
        // While the breaker is open callers get UNAVAILABLE: health says so too. Once Odoo has
        // answered, a probe finding every read slot taken is not sent (Odoo's limit holds for
        // probes too): Odoo is busy with our calls, whose failures the breaker counts.
        let answers = match odoo.client().probe_version(was_up).await {
            Some(Ok(_)) => !odoo.client().circuit_open(),
            Some(Err(error)) => {
                let url = &odoo.client().config().url;
                tracing::warn!(%error, %url, check = settings_to_check(&error), "odoo is not answering: not ready until it does");
                false
            }
            None => was_up && !odoo.client().circuit_open(),
        };
        if answers && !was_up {
            backends.forget_schemas();
        }
        was_up = answers;
        let report = match answers {
            true => match odoo.schema().await {
                Ok(schema) => Some(schema.report()),
                Err(error) => {
                    tracing::warn!(%error, "could not ask odoo what it has");
                    None
                }
            },
            false => None,
        };
        let statuses: BTreeMap<&str, ServingStatus> =
            SERVICES.iter().map(|service| (*service, status(report.as_ref(), service))).collect();
        let up = statuses.get(SERVER) == Some(&ServingStatus::Serving);
        metrics::gauge!("odoo_mesh_odoo_up").set(if answers { 1.0 } else { 0.0 });
        health.0.up.store(up, Ordering::Relaxed);
        if let Some(report) = report {
            for (capability, availability) in &report.capabilities {
                let available = if availability.is_available() { 1.0 } else { 0.0 };
                metrics::gauge!("odoo_mesh_odoo_capability_available", "capability" => capability.title())
                    .set(available);
            }
            health.0.report.store(Some(Arc::new(report)));
        }
        // Publish changes only: every published status is an update to each Watch stream.
        if published.as_ref() != Some(&statuses) {
            tracing::info!(odoo_up = answers, ready = up, "odoo health changed");
            for (service, status) in &statuses {
                reporter.set_service_status(*service, *status).await;
            }
            published = Some(statuses);
        }
    }
}

/// A service's status: serving while Odoo answers and one of the capabilities it needs is available.
fn status(report: Option<&Report>, service: &str) -> ServingStatus {
    let Some(report) = report else { return ServingStatus::NotServing };
    let available = |c: &Capability| {
        report
            .capabilities
            .iter()
            .any(|(capability, availability)| capability == c && availability == &Availability::Available)
    };
    if needs(service).iter().any(available) { ServingStatus::Serving } else { ServingStatus::NotServing }
}

/// Reports every service NOT_SERVING and `/ready` as failing for good: the process is draining.
/// The probe must be stopped first, or its next answer would undo this.
pub(crate) async fn drain(reporter: &HealthReporter, health: &OdooHealth) {
    health.0.up.store(false, Ordering::Relaxed);
    for service in SERVICES {
        reporter.set_service_status(service, ServingStatus::NotServing).await;
    }
}
