//! What the load benchmarks share: the pinned server processes, the reference server, the load
//! generator, and the files and flags odoo-mesh is started with.
#![allow(dead_code)]

pub(crate) mod bare;
pub(crate) mod client;
pub(crate) mod jsonrpc;
pub(crate) mod memory;
pub(crate) mod open_loop;
pub(crate) mod process;
pub(crate) mod reads;
pub(crate) mod sim;
pub(crate) mod stack;
pub(crate) mod stream;
pub(crate) mod summary;

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf, time::Duration};

use odoo_mesh::pki::{DEMO_CLIENT_ID, DemoPki, PkiFiles};

/// A product of the simulator's demo data, with stock in the first warehouse.
pub(crate) const SKU: &str = "FURN_0096";
/// A customer of the simulator's demo data, by its reference.
pub(crate) const CUSTOMER_REF: &str = "C01000";
/// `CreateSalesOrder` under `request_id` for the demo customer (`CUSTOMER_REF`), with `lines` of
/// (SKU, quantity in the product's unit), in the default warehouse.
pub(crate) fn create_sales_order(request_id: &str, lines: &[(&str, &str)]) -> client::Call {
    use odoo_mesh::proto::{
        common::v1::Quantity,
        order::v1::{CreateSalesOrderRequest, PartnerSelector, SalesOrderLineInput, partner_selector::Selector},
    };
    let request = CreateSalesOrderRequest {
        request_id: request_id.to_owned(),
        customer: Some(PartnerSelector { selector: Some(Selector::Reference(CUSTOMER_REF.into())) }),
        lines: lines
            .iter()
            .map(|(sku, quantity)| SalesOrderLineInput {
                sku: (*sku).into(),
                quantity: Some(Quantity { value: (*quantity).into(), unit_of_measure: String::new() }),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    };
    client::Call::new("/odoomesh.order.v1.OrderService/CreateSalesOrder", &request)
}

/// The simulator's API key for its administrator (`odoo-mesh sim`'s default).
pub(crate) const DEMO_API_KEY: &str = "odoo-mesh-demo-key";

/// Certificates, a policy letting the demo client (and, in plaintext, anyone) use every business
/// service, and the Odoo key file, in a directory removed when dropped.
pub(crate) struct Fixture {
    pub(crate) dir: PathBuf,
    pub(crate) pki: DemoPki,
    pub(crate) files: PkiFiles,
    policy: PathBuf,
    key: PathBuf,
}

impl Fixture {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-{name}-{}", std::process::id()));
        let pki = DemoPki::generate().expect("certificates");
        let files = pki.write_to(&dir).expect("certificates written");
        let allowed = format!("[\"{DEMO_CLIENT_ID}\", \"anonymous\"]");
        let rules = format!(
            "operations = {allowed}\n\n[[allow]]\nidentities = {allowed}\nmethods = [\"odoomesh.inventory.v1.InventoryService/*\", \"odoomesh.order.v1.OrderService/*\", \"odoomesh.shipment.v1.ShipmentService/*\", \"odoomesh.finance.v1.FinanceService/*\"]\n"
        );
        let (policy, key) = (dir.join("bench-policy.toml"), dir.join("odoo-api-key"));
        std::fs::write(&policy, rules).expect("policy");
        std::fs::write(&key, DEMO_API_KEY).expect("key");
        Self { dir, pki, files, policy, key }
    }

    /// Replaces the server's certificate and key with a new pair from the same CA, as a
    /// certificate manager renewing it would (each file replaced whole, by a rename). odoo-mesh
    /// picks them up at its next `--reload-interval`; clients trusting the CA see no difference.
    pub(crate) fn rotate_server_certificate(&self) {
        let pair = self.pki.ca.server(&["localhost", "127.0.0.1", "::1"]).expect("a new server certificate");
        for (path, contents) in [(&self.files.server_key, &pair.key), (&self.files.server_cert, &pair.cert)] {
            let fresh = path.with_extension("new");
            std::fs::write(&fresh, contents).expect("certificate written");
            std::fs::rename(&fresh, path).expect("certificate replaced");
        }
    }

    /// `odoo-mesh serve` flags: gRPC on `addr` (mutual TLS or plaintext), admin on `admin`, in
    /// front of the simulator at `sim`.
    pub(crate) fn serve_args(&self, addr: SocketAddr, admin: SocketAddr, sim: SocketAddr, tls: bool) -> Vec<String> {
        let path = |p: &PathBuf| p.display().to_string();
        let mut args = vec![
            "serve".to_owned(),
            format!("--listen={addr}"),
            format!("--admin-listen={admin}"),
            format!("--policy={}", path(&self.policy)),
            format!("--odoo-url=http://{sim}"),
            "--odoo-db=odoo".to_owned(),
            "--odoo-user=admin".to_owned(),
            format!("--odoo-api-key-file={}", path(&self.key)),
        ];
        if tls {
            args.push(format!("--tls-cert={}", path(&self.files.server_cert)));
            args.push(format!("--tls-key={}", path(&self.files.server_key)));
            args.push(format!("--client-ca={}", path(&self.files.ca)));
        } else {
            args.push("--plaintext".to_owned());
        }
        args
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Calls odoo-mesh has made to Odoo so far, from the metrics on its admin port.
pub(crate) async fn odoo_calls(admin: SocketAddr) -> f64 {
    odoo_calls_by_method(admin).await.values().sum()
}

/// Calls odoo-mesh has made to Odoo so far, by `model.method` (every outcome together).
pub(crate) async fn odoo_calls_by_method(admin: SocketAddr) -> BTreeMap<String, f64> {
    by_method(admin, "odoo_mesh_odoo_calls_total").await
}

/// Seconds odoo-mesh has waited for Odoo's answers so far, by `model.method`.
pub(crate) async fn odoo_seconds_by_method(admin: SocketAddr) -> BTreeMap<String, f64> {
    by_method(admin, "odoo_mesh_odoo_call_duration_seconds_sum").await
}

/// A metric of Odoo calls summed by its `model` and `method` labels.
async fn by_method(admin: SocketAddr, name: &str) -> BTreeMap<String, f64> {
    let mut sums = BTreeMap::new();
    for (labels, value) in metric(admin, name).await {
        let label = |name: &str| labels.get(name).cloned().unwrap_or_default();
        *sums.entry(format!("{}.{}", label("model"), label("method"))).or_default() += value;
    }
    sums
}

/// Every series of a counter or gauge on odoo-mesh's admin port: its labels and its value.
pub(crate) async fn metric(admin: SocketAddr, name: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    try_metric(admin, name).await.unwrap_or_else(|| panic!("metrics of {admin}"))
}

/// As [`metric`], or `None` when the admin port does not answer (odoo-mesh restarting).
pub(crate) async fn try_metric(admin: SocketAddr, name: &str) -> Option<Vec<(BTreeMap<String, String>, f64)>> {
    let text = reqwest::get(format!("http://{admin}/metrics")).await.ok()?.text().await.ok()?;
    let series = text
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?;
            let (labels, value) = rest.rsplit_once(' ')?;
            let labels = match labels.strip_prefix('{').and_then(|l| l.strip_suffix('}')) {
                Some(inner) => inner
                    .split("\",")
                    .filter_map(|pair| {
                        let (key, value) = pair.split_once("=\"")?;
                        Some((key.to_owned(), value.trim_end_matches('"').to_owned()))
                    })
                    .collect(),
                None if labels.is_empty() => BTreeMap::new(),
                None => return None,
            };
            Some((labels, value.parse::<f64>().ok()?))
        })
        .collect();
    Some(series)
}

/// Waits until odoo-mesh has stopped calling Odoo for `quiet` (its views loaded at start).
pub(crate) async fn until_quiet(admin: SocketAddr, quiet: Duration) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut last = odoo_calls(admin).await;
    loop {
        tokio::time::sleep(quiet).await;
        let now = odoo_calls(admin).await;
        if now == last {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "odoo-mesh kept calling odoo for a minute");
        last = now;
    }
}
