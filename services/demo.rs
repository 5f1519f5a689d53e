//! `odoo-mesh demo`: the whole service on the embedded Odoo simulator, over mutual TLS with
//! throwaway certificates, and grpcurl commands that work as printed.

use std::{
    net::{Ipv4Addr, SocketAddr, SocketAddrV4},
    path::PathBuf,
    time::Duration,
};

use anyhow::Context;
use clap::Args;
use odoo_adapter::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, OdooConfig, Protocol, Secret};
use odoo_simulator::{OdooVersion, SeedUser, SimConfig, Simulator};
use tokio::net::TcpListener;

use crate::{
    config::{Config, LogFormat, Transport, WatchConfig},
    listen::{self, Listeners},
    observability, pki, server,
    tls::TlsFiles,
};

/// The demo Odoo's database and credentials (the simulator's, never a real Odoo's).
pub const DEMO_DATABASE: &str = "odoo-mesh-demo";
pub const DEMO_LOGIN: &str = "admin";
pub const DEMO_PASSWORD: &str = "admin";
pub const DEMO_API_KEY: &str = "odoo-mesh-demo-key";

/// Where the demo listens unless told otherwise; a default port already taken (a developer's own
/// Odoo on 8069, say) falls back to a free one, and the demo prints which.
pub const DEMO_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 50051));
pub const DEMO_ADMIN_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 9090));
pub const DEMO_ODOO_LISTEN: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8069));

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Directory for the throwaway CA, server and client certificates [default: a new one in the temp dir].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Address of the gRPC listener (mutual TLS) [default: 127.0.0.1:50051, or a free port when taken].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Address of the admin listener: health and metrics, plaintext [default: 127.0.0.1:9090, or a free port when taken].
    #[arg(long)]
    pub admin_listen: Option<SocketAddr>,
    /// Address of the embedded Odoo simulator, to look at with curl [default: 127.0.0.1:8069, or a free port when taken].
    #[arg(long)]
    pub odoo_listen: Option<SocketAddr>,
    /// Odoo version the simulator presents: 18 (JSON-RPC) or 19 (JSON-2).
    #[arg(long, default_value_t = 19, value_parser = clap::value_parser!(u8).range(18..=19))]
    pub odoo_version: u8,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    observability::init_logging(LogFormat::Text);
    let version = OdooVersion::from_major(args.odoo_version).context("odoo version must be 18 or 19")?;
    let (grpc, grpc_moved) = bind(args.listen, DEMO_LISTEN, "--listen").await?;
    let (admin, admin_moved) = bind(args.admin_listen, DEMO_ADMIN_LISTEN, "--admin-listen").await?;
    let (odoo, odoo_moved) = bind(args.odoo_listen, DEMO_ODOO_LISTEN, "--odoo-listen").await?;
    let simulator = Simulator::new(SimConfig {
        version,
        database: DEMO_DATABASE.into(),
        admin: SeedUser { login: DEMO_LOGIN.into(), password: DEMO_PASSWORD.into(), api_key: DEMO_API_KEY.into() },
        ..SimConfig::default()
    });
    let odoo = simulator.start_on(odoo).context("starting the odoo simulator")?;

    let dir = args.dir.unwrap_or_else(|| std::env::temp_dir().join(format!("odoo-mesh-demo-{}", std::process::id())));
    let files = pki::DemoPki::generate()?
        .write_to(&dir)
        .with_context(|| format!("writing certificates to {}", dir.display()))?;
    let listeners = Listeners { grpc, admin };
    let config = Config {
        listen: listeners.grpc.local_addr()?,
        admin_listen: listeners.admin.local_addr()?,
        transport: Transport::MutualTls(TlsFiles {
            cert: files.server_cert.clone(),
            key: files.server_key.clone(),
            client_ca: files.ca.clone(),
        }),
        odoo: OdooConfig {
            url: odoo.url(),
            database: DEMO_DATABASE.into(),
            login: DEMO_LOGIN.into(),
            secret: Secret::new(DEMO_API_KEY),
            secret_file: None,
            protocol: Protocol::Auto,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_concurrency: odoo_adapter::DEFAULT_MAX_CONCURRENCY,
            queue_timeout: odoo_adapter::DEFAULT_QUEUE_TIMEOUT,
            breaker: odoo_adapter::BreakerConfig::default(),
        },
        health_interval: Duration::from_secs(2),
        // A demo should feel live: poll the simulator every half second.
        watch: {
            let mut watch = WatchConfig::default();
            watch.capture.poll_interval = Duration::from_millis(500);
            watch
        },
        log_format: LogFormat::Text,
        policy: Some(files.policy.clone()),
        reload_interval: crate::config::DEFAULT_RELOAD_INTERVAL,
        // Ctrl-C in a terminal: stop promptly.
        shutdown_grace: Duration::from_secs(2),
        audit_log: None,
        odoo_credentials: Vec::new(),
        otlp_endpoint: None,
    };
    let mut running = server::start_on(&config, listeners).await?;
    let tls = format!(
        "-cacert {} -cert {} -key {}",
        files.ca.display(),
        files.client_cert.display(),
        files.client_key.display()
    );
    let target = format!("localhost:{}", running.grpc_addr.port());
    println!(
        r#"
odoo-mesh demo is running on an embedded Odoo {major} simulator ({odoo_url}, database {DEMO_DATABASE}).

  gRPC, mutual TLS        {target}{grpc_moved}
  health and metrics      localhost:{admin}{admin_moved}
  Odoo simulator          {odoo_url}{odoo_moved}

Certificates (throwaway, for this demo only) are in {dir}.

Try it with grpcurl:

  grpcurl {tls} {target} list
  grpcurl {tls} {target} describe odoomesh.inventory.v1.StockLevel
  grpcurl {tls} {target} odoomesh.inventory.v1.InventoryService/ListWarehouses
  grpcurl {tls} -d '{{"skus": ["FURN_5555", "E-COM11", "DST-STR-23", "NO-SUCH-SKU"]}}' {target} odoomesh.inventory.v1.InventoryService/GetStockLevels
  grpcurl {tls} -d '{{"sku_prefix": "WHS-", "page_size": 5}}' {target} odoomesh.inventory.v1.InventoryService/ListProducts

Capture a sales order (the request_id makes retries safe: send it twice, get one order), then
confirm, list and cancel it:

  grpcurl {tls} -d '{{"request_id": "demo-order-1", "customer": {{"reference": "C01006"}}, "customer_reference": "PO-DEMO-1", "lines": [{{"sku": "E-COM11", "quantity": {{"value": "2"}}}}, {{"sku": "FURN_5555", "quantity": {{"value": "1"}}}}]}}' {target} odoomesh.order.v1.OrderService/CreateSalesOrder
  grpcurl {tls} -d '{{"name": "salesOrders/1"}}' {target} odoomesh.order.v1.OrderService/ConfirmSalesOrder
  grpcurl {tls} -d '{{"customer_reference": "PO-DEMO-1"}}' {target} odoomesh.order.v1.OrderService/ListSalesOrders
  grpcurl {tls} -d '{{"name": "salesOrders/1", "reason": "demo over"}}' {target} odoomesh.order.v1.OrderService/CancelSalesOrder

Watch stock as it moves. Start the watch (it runs until Ctrl-C), then, in another terminal, take
and confirm an order (its reservation streams in) and ship it in two parts, the carrier reporting
along the way; the ids are those the answers name, if you ran the commands above in order (the
order's delivery is shipments/2, the backorder of its first part shipments/3):

  grpcurl {tls} -d '{{"skus": ["E-COM11"], "send_initial": true}}' {target} odoomesh.inventory.v1.InventoryService/WatchStockLevels
  grpcurl {tls} -d '{{"request_id": "demo-order-2", "customer": {{"reference": "C01006"}}, "confirm": true, "lines": [{{"sku": "E-COM11", "quantity": {{"value": "3"}}}}]}}' {target} odoomesh.order.v1.OrderService/CreateSalesOrder
  grpcurl {tls} -d '{{"request_id": "demo-ship-1", "name": "shipments/2", "lines": [{{"sku": "E-COM11", "quantity": {{"value": "2"}}}}]}}' {target} odoomesh.shipment.v1.ShipmentService/ValidateShipment
  grpcurl {tls} -d '{{"name": "shipments/2", "tracking_references": ["1Z999AA10123456784"]}}' {target} odoomesh.shipment.v1.ShipmentService/SetTracking
  grpcurl {tls} -d '{{"request_id": "demo-track-1", "name": "shipments/2", "event": {{"milestone": "TRACKING_MILESTONE_PICKED_UP", "event_time": "2027-01-04T09:00:00Z", "location": "Brussels hub", "carrier_event_id": "DEMO-1"}}}}' {target} odoomesh.shipment.v1.ShipmentService/RecordTrackingEvent
  grpcurl {tls} -d '{{"request_id": "demo-track-2", "name": "shipments/2", "event": {{"milestone": "TRACKING_MILESTONE_DELIVERED", "event_time": "2027-01-05T14:30:00Z", "location": "Ghent", "carrier_event_id": "DEMO-2"}}}}' {target} odoomesh.shipment.v1.ShipmentService/RecordTrackingEvent
  grpcurl {tls} -d '{{"request_id": "demo-ship-2", "name": "shipments/3"}}' {target} odoomesh.shipment.v1.ShipmentService/ValidateShipment
  grpcurl {tls} -d '{{"name": "salesOrders/2"}}' {target} odoomesh.order.v1.OrderService/GetSalesOrder

Buy more: a purchase order, the supplier's advance shipping notice for its receipt (shipments/4),
and the goods received as announced:

  grpcurl {tls} -d '{{"request_id": "demo-po-1", "supplier": {{"reference": "C01006"}}, "confirm": true, "lines": [{{"sku": "E-COM11", "quantity": {{"value": "10"}}}}]}}' {target} odoomesh.order.v1.OrderService/CreatePurchaseOrder
  grpcurl {tls} -d '{{"request_id": "demo-asn-1", "name": "shipments/4", "supplier_reference": "DESADV-1", "expected_time": "2027-01-06T08:00:00Z", "lines": [{{"sku": "E-COM11", "quantity": {{"value": "10"}}}}]}}' {target} odoomesh.shipment.v1.ShipmentService/RecordAdvanceShippingNotice
  grpcurl {tls} -d '{{"request_id": "demo-receive-1", "name": "shipments/4", "as_announced": true}}' {target} odoomesh.shipment.v1.ShipmentService/ValidateShipment
  grpcurl {tls} -d '{{"skus": ["E-COM11"]}}' {target} odoomesh.inventory.v1.InventoryService/GetStockLevels

Bill the order shipped above and get paid: its customer's balance (Azure Interior, partners/15),
the invoice of what was delivered, posted (invoices/1), the bank's payment, and the balance again:

  grpcurl {tls} -d '{{"customer": "partners/15"}}' {target} odoomesh.finance.v1.FinanceService/GetCustomerBalance
  grpcurl {tls} -d '{{"request_id": "demo-invoice-1", "sales_orders": ["salesOrders/2"], "post": true}}' {target} odoomesh.finance.v1.FinanceService/CreateInvoice
  grpcurl {tls} -d '{{"customer": "partners/15"}}' {target} odoomesh.finance.v1.FinanceService/GetCustomerBalance
  grpcurl {tls} -d '{{"request_id": "demo-pay-1", "invoices": ["invoices/1"], "memo": "bank transfer 2027-001"}}' {target} odoomesh.finance.v1.FinanceService/RegisterPayment
  grpcurl {tls} -d '{{"customer": "partners/15"}}' {target} odoomesh.finance.v1.FinanceService/GetCustomerBalance

Operations:

  grpcurl -plaintext localhost:{admin} grpc.health.v1.Health/Check
  curl -s localhost:{admin}/metrics

Press Ctrl-C to stop.
"#,
        major = version.major(),
        odoo_url = odoo.url(),
        dir = dir.display(),
        admin = running.admin_addr.port(),
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => running.shutdown().await,
        result = running.wait() => result,
    }
}

/// The listener of a demo address: the one given, else the default or, when that port is taken,
/// a free one — with a note for the banner saying so.
async fn bind(given: Option<SocketAddr>, default: SocketAddr, setting: &str) -> anyhow::Result<(TcpListener, String)> {
    if let Some(addr) = given {
        return Ok((listen::bind(addr, setting).await?, String::new()));
    }
    let (listener, fell_back) = listen::bind_or_free_port(default, setting).await?;
    let note = match fell_back {
        true => format!("   (port {} is taken; {setting} chooses)", default.port()),
        false => String::new(),
    };
    Ok((listener, note))
}
