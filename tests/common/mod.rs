//! The integration-test harness: odoo-mesh in-process on 127.0.0.1:0, over mutual TLS with
//! certificates made at test time, in front of either the in-process Odoo simulator or a real Odoo
//! named by `ODOO_URL`, `ODOO_DB`, `ODOO_USER` and `ODOO_API_KEY` (or `ODOO_PASSWORD`).
#![allow(dead_code, unreachable_pub)]

pub mod demo;
pub mod wait;

use std::{path::PathBuf, time::Duration};

use odoo_adapter::{DEFAULT_CONNECT_TIMEOUT, OdooConfig, Protocol, Secret};
use odoo_mesh::{
    config::{Config, LogFormat, Transport, WatchConfig},
    pki::{DemoPki, PkiFiles},
    proto::inventory::v1::inventory_service_client::InventoryServiceClient,
    server::{self, RunningServer},
    tls::TlsFiles,
};
use odoo_simulator::{RunningSimulator, SeedUser, SimConfig, Simulator};
use serde_json::{Value, json};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

/// Which Odoo the scenario runs against.
pub enum Backend {
    Simulator(RunningSimulator),
    /// Another odoo-mesh replica in front of the same simulator as another harness.
    SharedSimulator(Simulator),
    RealOdoo,
}

pub struct Harness {
    pub server: Option<RunningServer>,
    pub backend: Backend,
    pub pki: DemoPki,
    pub files: PkiFiles,
    pub odoo: OdooConfig,
    pub dir: PathBuf,
    /// Another harness whose simulator this one uses.
    keep_alive: Option<Box<Harness>>,
    /// Where the server listens, known after it has been taken to be shut down.
    grpc_addr: std::net::SocketAddr,
    admin_addr: std::net::SocketAddr,
}

const SIM_DB: &str = "odoo-mesh-test";
/// The simulator's API key doubles as a canary: `tests/run` fails if it shows in any test output.
pub const CANARY_KEY: &str = "canary-0d00-5ec2e7-api-key";
const SIM_KEY: &str = CANARY_KEY;

/// The real Odoo named by the environment, if any.
pub fn real_odoo() -> Option<OdooConfig> {
    let url = std::env::var("ODOO_URL").ok().filter(|v| !v.is_empty())?;
    let database = std::env::var("ODOO_DB").ok()?;
    let secret = std::env::var("ODOO_API_KEY").or_else(|_| std::env::var("ODOO_PASSWORD")).ok()?;
    Some(OdooConfig {
        url,
        database,
        login: std::env::var("ODOO_USER").unwrap_or_else(|_| "admin".into()),
        secret: Secret::new(secret),
        secret_file: None,
        protocol: Protocol::Auto,
        connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        request_timeout: Duration::from_secs(30),
        max_concurrency: odoo_adapter::DEFAULT_MAX_CONCURRENCY,
        queue_timeout: odoo_adapter::DEFAULT_QUEUE_TIMEOUT,
        breaker: odoo_adapter::BreakerConfig::default(),
    })
}

pub const REAL_ODOO_SKIPPED: &str =
    "skipped against a real Odoo: set ODOO_URL, ODOO_DB, ODOO_USER and ODOO_API_KEY (or ODOO_PASSWORD) to run it there";

/// Notes a scenario not run against a real Odoo. cargo hides a passing test's output, so the
/// note also goes to the file `tests/run` names in `ODOO_MESH_SKIPPED_LOG`, which it counts and
/// reports once at the end: a green run without Odoo must not look like a run against Odoo.
pub fn real_odoo_skipped(scenario: &str) {
    eprintln!("{scenario}: {REAL_ODOO_SKIPPED}");
    if let Some(path) = std::env::var_os("ODOO_MESH_SKIPPED_LOG") {
        use std::io::Write;
        let file = std::fs::OpenOptions::new().append(true).create(true).open(path);
        if let Ok(mut file) = file {
            let _ = writeln!(file, "{scenario}");
        }
    }
}

fn temp_dir() -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("odoo-mesh-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// A fresh simulator serving on a free port, and how odoo-mesh reaches it.
async fn fresh_simulator(version: odoo_simulator::OdooVersion) -> (RunningSimulator, OdooConfig) {
    fresh_simulator_lacking(version, &[]).await
}

/// A fresh simulator without these Odoo modules (and those that depend on them).
async fn fresh_simulator_lacking(
    version: odoo_simulator::OdooVersion,
    missing: &[&str],
) -> (RunningSimulator, OdooConfig) {
    let sim = Simulator::new(SimConfig {
        version,
        database: SIM_DB.into(),
        admin: SeedUser { login: "admin".into(), password: "admin".into(), api_key: SIM_KEY.into() },
        missing_modules: missing.iter().map(|m| (*m).to_owned()).collect(),
    })
    .start("127.0.0.1:0".parse().expect("addr"))
    .await
    .expect("simulator starts");
    let odoo = OdooConfig {
        url: sim.url(),
        database: SIM_DB.into(),
        login: "admin".into(),
        secret: Secret::new(SIM_KEY),
        secret_file: None,
        protocol: Protocol::Auto,
        connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        request_timeout: Duration::from_secs(5),
        max_concurrency: odoo_adapter::DEFAULT_MAX_CONCURRENCY,
        queue_timeout: odoo_adapter::DEFAULT_QUEUE_TIMEOUT,
        breaker: odoo_adapter::BreakerConfig::default(),
    };
    (sim, odoo)
}

impl Harness {
    /// odoo-mesh in front of a fresh simulator.
    pub async fn simulator() -> Self {
        Self::simulator_with(odoo_simulator::OdooVersion::V19).await
    }

    pub async fn simulator_with(version: odoo_simulator::OdooVersion) -> Self {
        let (sim, odoo) = fresh_simulator(version).await;
        Self::start(Backend::Simulator(sim), odoo).await
    }

    /// odoo-mesh in front of the real Odoo of the environment.
    pub async fn real(odoo: OdooConfig) -> Self {
        Self::start(Backend::RealOdoo, odoo).await
    }

    /// odoo-mesh in front of the real Odoo of the environment, with settings adjusted by `tune`.
    pub async fn real_tuned(odoo: OdooConfig, tune: impl FnOnce(&mut Config)) -> Self {
        Self::start_tuned(Backend::RealOdoo, odoo, None, Vec::new(), tune).await
    }

    /// Another odoo-mesh process in front of the same Odoo, with settings adjusted by `tune`.
    pub async fn another_replica_tuned(&self, tune: impl FnOnce(&mut Config)) -> Harness {
        let backend = match &self.backend {
            Backend::Simulator(sim) => Backend::SharedSimulator(sim.simulator().clone()),
            Backend::SharedSimulator(sim) => Backend::SharedSimulator(sim.clone()),
            Backend::RealOdoo => Backend::RealOdoo,
        };
        Self::start_tuned(backend, self.odoo.clone(), None, Vec::new(), tune).await
    }

    /// odoo-mesh in front of a fresh simulator, with Odoo client settings adjusted by `tune`.
    pub async fn simulator_tuned(tune: impl FnOnce(&mut Config)) -> Self {
        Self::simulator_of(odoo_simulator::OdooVersion::V19, tune).await
    }

    /// odoo-mesh in front of a fresh simulator that lacks some Odoo modules.
    pub async fn simulator_lacking(version: odoo_simulator::OdooVersion, missing: &[&str]) -> Self {
        let (sim, odoo) = fresh_simulator_lacking(version, missing).await;
        Self::start(Backend::Simulator(sim), odoo).await
    }

    /// odoo-mesh in front of a fresh simulator of one Odoo version, with settings adjusted by `tune`.
    pub async fn simulator_of(version: odoo_simulator::OdooVersion, tune: impl FnOnce(&mut Config)) -> Self {
        let (sim, odoo) = fresh_simulator(version).await;
        Self::start_tuned(Backend::Simulator(sim), odoo, None, Vec::new(), tune).await
    }

    /// odoo-mesh serving plaintext gRPC, as behind a mesh sidecar; `trust_sidecar` makes it take
    /// identities from `x-forwarded-client-cert` on local connections.
    pub async fn simulator_plaintext(trust_sidecar: bool) -> Self {
        let harness = Self::simulator().await;
        let Backend::Simulator(sim) = &harness.backend else { unreachable!("a simulator harness") };
        let backend = Backend::SharedSimulator(sim.simulator().clone());
        let odoo = harness.odoo.clone();
        let mut plain = Self::start_with(backend, odoo, Some(trust_sidecar)).await;
        // Keep the simulator serving for the plaintext server's lifetime.
        plain.keep_alive = Some(Box::new(harness));
        plain
    }

    async fn start(backend: Backend, odoo: OdooConfig) -> Self {
        Self::start_with(backend, odoo, None).await
    }

    /// odoo-mesh in front of a fresh simulator, where callers matching `identities` act as the
    /// Odoo user `login` whose API key is read from `key_file`.
    pub async fn simulator_with_odoo_user(identities: &[&str], login: &str, key_file: PathBuf) -> Self {
        let base = Self::simulator().await;
        let Backend::Simulator(sim) = &base.backend else { unreachable!("a simulator harness") };
        let backend = Backend::SharedSimulator(sim.simulator().clone());
        let mapped = OdooConfig {
            login: login.to_owned(),
            secret: Secret::from_file(&key_file).expect("key file"),
            secret_file: Some(key_file),
            ..base.odoo.clone()
        };
        let credentials = vec![(identities.iter().map(|i| (*i).to_owned()).collect(), mapped)];
        let mut harness = Self::start_full(backend, base.odoo.clone(), None, credentials).await;
        harness.keep_alive = Some(Box::new(base));
        harness
    }

    async fn start_with(backend: Backend, odoo: OdooConfig, plaintext: Option<bool>) -> Self {
        Self::start_full(backend, odoo, plaintext, Vec::new()).await
    }

    async fn start_full(
        backend: Backend,
        odoo: OdooConfig,
        plaintext: Option<bool>,
        odoo_credentials: Vec<(Vec<String>, OdooConfig)>,
    ) -> Self {
        Self::start_tuned(backend, odoo, plaintext, odoo_credentials, |_| {}).await
    }

    async fn start_tuned(
        backend: Backend,
        odoo: OdooConfig,
        plaintext: Option<bool>,
        odoo_credentials: Vec<(Vec<String>, OdooConfig)>,
        tune: impl FnOnce(&mut Config),
    ) -> Self {
        odoo_mesh::observability::init_logging(LogFormat::Text);
        let dir = temp_dir();
        let pki = DemoPki::generate().expect("certificates");
        let files = pki.write_to(&dir).expect("certificates written");
        let mut config = Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            admin_listen: "127.0.0.1:0".parse().expect("addr"),
            transport: match plaintext {
                Some(trust_forwarded_client_cert) => Transport::Plaintext { trust_forwarded_client_cert },
                None => Transport::MutualTls(TlsFiles {
                    cert: files.server_cert.clone(),
                    key: files.server_key.clone(),
                    client_ca: files.ca.clone(),
                }),
            },
            odoo,
            health_interval: Duration::from_millis(100),
            log_format: LogFormat::Text,
            policy: Some(files.policy.clone()),
            reload_interval: Duration::from_millis(100),
            shutdown_grace: Duration::from_secs(5),
            audit_log: Some(dir.join("audit.jsonl")),
            odoo_credentials,
            watch: WatchConfig::default(),
            otlp_endpoint: None,
        };
        tune(&mut config);
        let server = server::start(&config).await.expect("odoo-mesh starts");
        let (grpc_addr, admin_addr) = (server.grpc_addr, server.admin_addr);
        Self {
            server: Some(server),
            backend,
            pki,
            files,
            odoo: config.odoo,
            dir,
            keep_alive: None,
            grpc_addr,
            admin_addr,
        }
    }

    pub fn grpc_port(&self) -> u16 {
        self.grpc_addr.port()
    }

    pub fn admin_port(&self) -> u16 {
        self.admin_addr.port()
    }

    /// Starts shutting the server down, as SIGTERM does; the handle resolves when it has stopped.
    pub fn begin_shutdown(&mut self) -> tokio::task::JoinHandle<anyhow::Result<()>> {
        tokio::spawn(self.server.take().expect("running").shutdown())
    }

    /// Waits until the watched stock view has been loaded, so its background reads of Odoo are
    /// over before a test that counts or limits Odoo calls begins.
    pub async fn stock_view_loaded(&self) {
        use odoo_mesh::proto::inventory::v1 as pb;
        let mut inventory = self.inventory().await;
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        let sku = inventory
            .list_products(pb::ListProductsRequest { page_size: 1, ..Default::default() })
            .await
            .expect("products")
            .into_inner()
            .products
            .remove(0)
            .sku;
        loop {
            let answer = inventory
                .get_stock_levels(pb::GetStockLevelsRequest {
                    skus: vec![sku.clone()],
                    warehouses: Vec::new(),
                    max_staleness: Some(prost_types::Duration { seconds: 3600, nanos: 0 }),
                })
                .await
                .expect("levels")
                .into_inner();
            if answer.source() == pb::StockSource::WatchedView {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "the stock view never loaded");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The gRPC health of a service (`""` for the server) as the admin port reports it now.
    pub async fn admin_health(&self, service: &str) -> tonic_health::pb::health_check_response::ServingStatus {
        use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
        let channel = Channel::from_shared(format!("http://127.0.0.1:{}", self.admin_port()))
            .expect("uri")
            .connect()
            .await
            .expect("admin connects");
        let answer = HealthClient::new(channel)
            .check(HealthCheckRequest { service: service.into() })
            .await
            .expect("health answers");
        answer.into_inner().status()
    }

    /// The audit trail so far, a JSON object per mutating call.
    pub fn audit_records(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(self.dir.join("audit.jsonl")).unwrap_or_default();
        text.lines().map(|line| serde_json::from_str(line).expect("an audit record is a JSON line")).collect()
    }

    /// The Prometheus exposition the admin port serves right now.
    pub async fn metrics(&self) -> String {
        let url = format!("http://127.0.0.1:{}/metrics", self.admin_port());
        reqwest::get(url).await.expect("metrics answer").text().await.expect("metrics text")
    }

    pub fn simulator_handle(&self) -> &Simulator {
        match &self.backend {
            Backend::Simulator(sim) => sim.simulator(),
            Backend::SharedSimulator(sim) => sim,
            Backend::RealOdoo => panic!("this test needs the simulator"),
        }
    }

    /// A second odoo-mesh process (a replica, or this one restarted) in front of the same Odoo.
    pub async fn another_replica(&self) -> Harness {
        self.another_replica_tuned(|_| {}).await
    }

    pub async fn orders(&self) -> odoo_mesh::proto::order::v1::order_service_client::OrderServiceClient<Channel> {
        odoo_mesh::proto::order::v1::order_service_client::OrderServiceClient::new(self.channel().await)
    }

    pub async fn finance(
        &self,
    ) -> odoo_mesh::proto::finance::v1::finance_service_client::FinanceServiceClient<Channel> {
        odoo_mesh::proto::finance::v1::finance_service_client::FinanceServiceClient::new(self.channel().await)
    }

    pub async fn shipments(
        &self,
    ) -> odoo_mesh::proto::shipment::v1::shipment_service_client::ShipmentServiceClient<Channel> {
        odoo_mesh::proto::shipment::v1::shipment_service_client::ShipmentServiceClient::new(self.channel().await)
    }

    /// A client channel over mutual TLS with the harness's client certificate.
    pub async fn channel(&self) -> Channel {
        self.channel_with(Some((&self.pki.client.cert, &self.pki.client.key)), &self.pki.ca_pem)
            .await
            .expect("connects")
    }

    /// A channel with any (or no) client identity, trusting `ca_pem` for the server.
    pub async fn channel_with(
        &self,
        identity: Option<(&str, &str)>,
        ca_pem: &str,
    ) -> Result<Channel, tonic::transport::Error> {
        let mut tls = ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca_pem)).domain_name("localhost");
        if let Some((cert, key)) = identity {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        Channel::from_shared(format!("https://127.0.0.1:{}", self.grpc_port()))
            .expect("uri")
            .tls_config(tls)?
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
    }

    pub async fn inventory(&self) -> InventoryServiceClient<Channel> {
        InventoryServiceClient::new(self.channel().await)
    }

    /// Odoo called directly over JSON-RPC, independently of odoo-mesh, to check what it answers.
    pub fn direct(&self) -> DirectOdoo {
        DirectOdoo::new(self.odoo.clone())
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
        if let Some(other) = self.keep_alive.take() {
            Box::pin(other.stop()).await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A plain JSON-RPC client for checking Odoo's own answers.
pub struct DirectOdoo {
    config: OdooConfig,
    http: reqwest::Client,
}

impl DirectOdoo {
    pub fn new(config: OdooConfig) -> Self {
        Self { config, http: reqwest::Client::new() }
    }

    /// Odoo's result, or its error (or the transport's) as an answer to report.
    async fn rpc(&self, service: &str, method: &str, args: Value) -> Result<Value, Value> {
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 1});
        let sent = self.http.post(format!("{}/jsonrpc", self.config.url)).json(&body).send().await;
        let answer: Value = match sent {
            Ok(response) => response.json().await.map_err(|e| json!(e.to_string()))?,
            Err(e) => return Err(json!(e.to_string())),
        };
        match answer.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(answer["result"].clone()),
        }
    }

    pub async fn execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Value {
        match self.try_execute(model, method, args, kwargs).await {
            Ok(result) => result,
            Err(error) => panic!("direct odoo call failed: {error}"),
        }
    }

    /// `execute`, answering Odoo's error instead of failing the test (for cleaning up).
    pub async fn try_execute(&self, model: &str, method: &str, args: Value, kwargs: Value) -> Result<Value, Value> {
        let credentials = json!([self.config.database, self.config.login, self.config.secret.expose(), {}]);
        let uid = self.rpc("common", "authenticate", credentials).await?;
        self.rpc(
            "object",
            "execute_kw",
            json!([self.config.database, uid, self.config.secret.expose(), model, method, args, kwargs]),
        )
        .await
    }
}

/// Declares a scenario test twice: against the simulator, and against the real Odoo of the
/// environment (skipped with a message when none is configured).
/// A request id (and order reference) no earlier run has used, even against a long-lived Odoo.
pub fn unique(prefix: &str) -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{prefix}-{nanos:x}-{}", N.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

pub fn qty(value: &str) -> Option<odoo_mesh::proto::common::v1::Quantity> {
    Some(odoo_mesh::proto::common::v1::Quantity { value: value.into(), unit_of_measure: String::new() })
}

pub fn partner(id: i64) -> Option<odoo_mesh::proto::order::v1::PartnerSelector> {
    Some(odoo_mesh::proto::order::v1::PartnerSelector {
        selector: Some(odoo_mesh::proto::order::v1::partner_selector::Selector::Partner(format!("partners/{id}"))),
    })
}

/// A company partner to sell to, found in Odoo itself.
pub async fn a_customer(harness: &Harness) -> i64 {
    let rows = harness
        .direct()
        .execute(
            "res.partner",
            "search_read",
            json!([[["is_company", "=", true], ["customer_rank", ">", 0]]]),
            json!({"fields": ["id"], "limit": 1, "order": "id"}),
        )
        .await;
    rows[0]["id"].as_i64().expect("a customer exists")
}

/// Declares a scenario test three times: against the Odoo 18 simulator (JSON-RPC), the Odoo 19
/// simulator (JSON-2), and the real Odoo of the environment (skipped, and counted, when none is
/// configured).
#[macro_export]
macro_rules! scenario {
    ($name:ident) => {
        scenario!($name, |_| {});
    };
    // With the server's settings adjusted by `$tune`, on every backend.
    ($name:ident, $tune:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_odoo18_simulator() {
                let harness = $crate::common::Harness::simulator_of(odoo_simulator::OdooVersion::V18, $tune).await;
                super::$name(&harness).await;
                harness.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_odoo19_simulator() {
                let harness = $crate::common::Harness::simulator_of(odoo_simulator::OdooVersion::V19, $tune).await;
                super::$name(&harness).await;
                harness.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_real_odoo() {
                let Some(odoo) = $crate::common::real_odoo() else {
                    $crate::common::real_odoo_skipped(concat!(module_path!(), "::", stringify!($name)));
                    return;
                };
                let harness = $crate::common::Harness::real_tuned(odoo, $tune).await;
                super::$name(&harness).await;
                harness.stop().await;
            }
        }
    };
}

/// Declares a test that needs the simulator (its faults, its internals) twice: against its Odoo 18
/// flavour (JSON-RPC) and its Odoo 19 flavour (JSON-2).
#[macro_export]
macro_rules! on_both_simulators {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_odoo18_simulator() {
                let harness = $crate::common::Harness::simulator_with(odoo_simulator::OdooVersion::V18).await;
                super::$name(&harness).await;
                harness.stop().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_odoo19_simulator() {
                let harness = $crate::common::Harness::simulator_with(odoo_simulator::OdooVersion::V19).await;
                super::$name(&harness).await;
                harness.stop().await;
            }
        }
    };
}

/// The fields a `google.rpc.BadRequest` names, in order.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map_or_else(Vec::new, |b| b.field_violations.iter().map(|v| v.field.clone()).collect())
}

/// The stock level of one SKU in one warehouse, read from Odoo through odoo-mesh.
pub async fn level(harness: &Harness, warehouse: &str, sku: &str) -> odoo_mesh::proto::inventory::v1::StockLevel {
    use odoo_mesh::proto::inventory::v1 as pb;
    let mut levels = harness
        .inventory()
        .await
        .get_stock_levels(pb::GetStockLevelsRequest {
            skus: vec![sku.into()],
            warehouses: vec![warehouse.into()],
            max_staleness: None,
        })
        .await
        .expect("levels")
        .into_inner();
    levels.items.remove(0).levels.remove(0)
}

/// Available-to-promise of one SKU in one warehouse.
pub async fn available(harness: &Harness, warehouse: &str, sku: &str) -> rust_decimal::Decimal {
    level(harness, warehouse, sku).await.available_to_promise.as_ref().expect("set").value.parse().expect("decimal")
}

/// Storable products with at least `min` available in the first warehouse: (sku, available).
pub async fn stocked_skus(harness: &Harness, min: i64, n: usize) -> (String, Vec<(String, rust_decimal::Decimal)>) {
    let mut inventory = harness.inventory().await;
    let warehouse = inventory
        .list_warehouses(odoo_mesh::proto::inventory::v1::ListWarehousesRequest {})
        .await
        .expect("warehouses")
        .into_inner()
        .warehouses
        .remove(0);
    let products = inventory
        .list_products(odoo_mesh::proto::inventory::v1::ListProductsRequest { page_size: 500, ..Default::default() })
        .await
        .expect("products")
        .into_inner()
        .products;
    let skus: Vec<String> =
        products.into_iter().filter(|p| p.is_storable && p.sale_ok && !p.sku.is_empty()).map(|p| p.sku).collect();
    let levels = inventory
        .get_stock_levels(odoo_mesh::proto::inventory::v1::GetStockLevelsRequest {
            skus,
            warehouses: vec![warehouse.name.clone()],
            max_staleness: None,
        })
        .await
        .expect("levels")
        .into_inner();
    let picked: Vec<(String, rust_decimal::Decimal)> = levels
        .items
        .into_iter()
        .filter(|i| i.status() == odoo_mesh::proto::inventory::v1::SkuStatus::Found)
        .filter_map(|i| {
            let available: rust_decimal::Decimal =
                i.levels.first()?.available_to_promise.as_ref()?.value.parse().ok()?;
            (available >= rust_decimal::Decimal::from(min)).then_some((i.sku, available))
        })
        .take(n)
        .collect();
    assert_eq!(picked.len(), n, "the database has {n} products with {min} available");
    (warehouse.name, picked)
}

use odoo_mesh::proto::{order::v1 as orders, shipment::v1 as shipment};

/// A confirmed sales order of `quantities` of stocked products, and its delivery.
pub async fn a_delivery(harness: &Harness, quantities: &[&str]) -> (orders::SalesOrder, shipment::Shipment, String) {
    a_delivery_to(harness, a_customer(harness).await, quantities).await
}

/// A customer of its own, whose balance no other test moves.
pub async fn a_new_customer(harness: &Harness) -> i64 {
    let partner = json!([{"name": unique("Customer"), "is_company": true, "customer_rank": 1}]);
    let created = harness.direct().execute("res.partner", "create", partner, json!({})).await;
    created.as_i64().or_else(|| created[0].as_i64()).expect("a new partner")
}

/// A confirmed sales order to `customer` of `quantities` of stocked products, and its delivery.
pub async fn a_delivery_to(
    harness: &Harness,
    customer: i64,
    quantities: &[&str],
) -> (orders::SalesOrder, shipment::Shipment, String) {
    let (warehouse, stock) = stocked_skus(harness, 20, quantities.len()).await;
    let request = orders::CreateSalesOrderRequest {
        request_id: unique("ship"),
        customer: partner(customer),
        warehouse: warehouse.clone(),
        lines: stock
            .iter()
            .zip(quantities)
            .map(|((sku, _), q)| orders::SalesOrderLineInput {
                sku: sku.clone(),
                quantity: qty(q),
                ..Default::default()
            })
            .collect(),
        confirm: true,
        ..Default::default()
    };
    let order = harness.orders().await.create_sales_order(request).await.expect("order").into_inner();
    let order = order.sales_order.expect("order");
    let delivery = the_shipment_of(harness, &order.name, shipment::ShipmentKind::Delivery).await;
    (order, delivery, warehouse)
}

/// The one open shipment of an order of this kind.
pub async fn the_shipment_of(harness: &Harness, order: &str, kind: shipment::ShipmentKind) -> shipment::Shipment {
    let listed = harness
        .shipments()
        .await
        .list_shipments(shipment::ListShipmentsRequest { order: order.into(), kind: kind.into(), ..Default::default() })
        .await
        .expect("listed")
        .into_inner();
    let mut open: Vec<shipment::Shipment> =
        listed.shipments.into_iter().filter(|s| s.state() != shipment::ShipmentState::Done).collect();
    assert_eq!(open.len(), 1, "one open {kind:?} of {order}: {open:?}");
    open.remove(0)
}

/// A confirmed purchase order of `quantity` of a stocked product, and its receipt.
pub async fn a_receipt(harness: &Harness, quantity: &str) -> (String, shipment::Shipment, String) {
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let supplier = a_customer(harness).await;
    let request = orders::CreatePurchaseOrderRequest {
        request_id: unique("po"),
        supplier: partner(supplier),
        warehouse: warehouse.clone(),
        lines: vec![orders::PurchaseOrderLineInput {
            sku: stock[0].0.clone(),
            quantity: qty(quantity),
            ..Default::default()
        }],
        confirm: true,
        ..Default::default()
    };
    let order = harness.orders().await.create_purchase_order(request).await.expect("po").into_inner();
    let order = order.purchase_order.expect("po");
    let receipt = the_shipment_of(harness, &order.name, shipment::ShipmentKind::Receipt).await;
    (stock[0].0.clone(), receipt, warehouse)
}
