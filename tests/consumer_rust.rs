//! The Rust example (`examples/rust_client/`), the very code a service would start from, against
//! odoo-mesh on the Odoo 18 and 19 simulators: over mutual TLS from certificate files, an order
//! created once however often it is sent, and a stock watch that gets what changed while its
//! connection was down.

mod common;

#[path = "../examples/rust_client/app.rs"]
#[allow(dead_code)]
mod app;
#[path = "../examples/rust_client/orders.rs"]
#[allow(dead_code)]
mod orders;
#[path = "../examples/rust_client/stock.rs"]
#[allow(dead_code)]
mod stock;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::{Harness, a_delivery, stocked_skus, unique};
use odoo_mesh_client::{
    Clients, Tls,
    proto::{
        common::v1::Quantity,
        inventory::v1::WatchEventType,
        shipment::v1::{BackorderPolicy, ValidateShipmentRequest},
    },
};
use odoo_simulator::{Fault, FaultRule};
use parking_lot::Mutex;
use serde_json::json;
use tokio::{net::TcpListener, task::JoinHandle};

use crate::{
    app::Settings,
    orders::{OrderError, RetryPolicy, create_sales_order},
    stock::StockWatch,
};

/// How long a test waits for what must come.
const PATIENCE: Duration = Duration::from_secs(20);

/// The example's settings for this harness: its certificate files, the server's certificate
/// checked for `localhost` though reached at 127.0.0.1.
fn settings(harness: &Harness, retry: RetryPolicy) -> Settings {
    Settings {
        target: format!("https://127.0.0.1:{}", harness.grpc_port()),
        certs: harness.files.ca.parent().expect("the certificates' directory").to_owned(),
        domain: Some("localhost".into()),
        sku: None,
        customer_email: format!("{}@rust-client.example", unique("customer")),
        resume_token: None,
        retry,
        follow: false,
    }
}

fn tls(harness: &Harness) -> Tls {
    let files = &harness.files;
    Tls::from_pem_files(&files.ca, &files.client_cert, &files.client_key)
        .expect("certificates")
        .domain_name("localhost")
}

async fn orders_with_reference(harness: &Harness, reference: &str) -> i64 {
    let count = json!([[["client_order_ref", "=", reference]]]);
    harness.direct().execute("sale.order", "search_count", count, json!({})).await.as_i64().expect("a count")
}

fn quantity(quantity: Option<&Quantity>) -> f64 {
    quantity.expect("quantity set").value.parse().expect("a decimal")
}

on_both_simulators!(the_example_sells_once_though_it_retries_and_sees_the_reservation);
async fn the_example_sells_once_though_it_retries_and_sees_the_reservation(harness: &Harness) {
    // Odoo slower than the example's deadline for the order's import: its first try gets
    // DEADLINE_EXCEEDED while odoo-mesh finishes the order, and a retry answers that order.
    harness
        .simulator_handle()
        .faults()
        .inject(FaultRule::times(Fault::Latency { millis: 2000 }, 1).on("sale.order", "load"));
    let retry = RetryPolicy { attempts: 10, timeout: Duration::from_secs(1), backoff: Duration::from_millis(200) };
    let settings = settings(harness, retry.clone());
    let outcome =
        tokio::time::timeout(PATIENCE * 2, app::run(&settings)).await.expect("in time").expect("the example runs");

    assert!(outcome.replayed, "the first try made the order, a retry answered it");
    assert_eq!(orders_with_reference(harness, &outcome.request_id).await, 1);
    assert!(quantity(outcome.level.reserved.as_ref()) >= 1.0, "the watch saw the reservation: {:?}", outcome.level);

    // Sent again, as after a crash that lost the answer: the same order, still one.
    let request = app::order_request(&outcome.request_id, &settings.customer_email, &outcome.sku, &outcome.warehouse);
    let mut clients = Clients::connect(&settings.target, &tls(harness)).await.expect("connects");
    let again = create_sales_order(&mut clients.orders, &request, &retry).await.expect("answered");
    assert!(again.replayed);
    assert_eq!(again.sales_order.expect("the order").name, outcome.order);
    assert_eq!(orders_with_reference(harness, &outcome.request_id).await, 1);

    // A wrong request names each bad field; nothing is retried or written.
    let mut wrong = app::order_request(&unique("wrong"), &settings.customer_email, &outcome.sku, &outcome.warehouse);
    wrong.lines[0].quantity = Some(Quantity { value: "1e3".into(), unit_of_measure: String::new() });
    match create_sales_order(&mut clients.orders, &wrong, &retry).await {
        Err(OrderError::Invalid { violations, .. }) => {
            let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
            assert_eq!(fields, ["lines[0].quantity.value"]);
        }
        other => panic!("expected the bad field named, got {other:?}"),
    }
}

/// A TCP relay to odoo-mesh whose connections can be cut, as a network failure would.
struct Relay {
    port: u16,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    accepted: Arc<AtomicUsize>,
    listener: JoinHandle<()>,
}

impl Relay {
    async fn to(port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let relay_port = listener.local_addr().expect("address").port();
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (open, count) = (connections.clone(), accepted.clone());
        let listener = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                open.lock().push(tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Self { port: relay_port, connections, accepted, listener }
    }

    /// Drops every connection open now; later ones are relayed again.
    fn cut(&self) {
        for connection in self.connections.lock().drain(..) {
            connection.abort();
        }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.listener.abort();
    }
}

on_both_simulators!(a_stock_change_made_while_the_connection_was_down_arrives_after_resuming);
async fn a_stock_change_made_while_the_connection_was_down_arrives_after_resuming(harness: &Harness) {
    let (_, delivery, warehouse) = a_delivery(harness, &["1"]).await;
    let sku = delivery.lines[0].sku.clone();
    let relay = Relay::to(harness.grpc_port()).await;
    let clients = Clients::connect(&format!("127.0.0.1:{}", relay.port), &tls(harness)).await.expect("connects");
    let mut watch = StockWatch::new(clients.inventory.clone(), vec![sku.clone()], vec![warehouse.clone()]);
    let end = tokio::time::timeout(PATIENCE, async {
        loop {
            let event = watch.next().await.expect("the watch goes on");
            if event.r#type() == WatchEventType::SnapshotEnd {
                return event;
            }
        }
    })
    .await
    .expect("the snapshot in time");
    let on_hand = quantity(watch.level(&sku, &warehouse).expect("the snapshot's levels").on_hand.as_ref());
    assert_eq!(watch.resume_token(), end.resume_token);

    // The connection drops; while it is down the delivery leaves the warehouse.
    relay.cut();
    let validation = ValidateShipmentRequest {
        request_id: unique("left"),
        name: delivery.name.clone(),
        backorder_policy: BackorderPolicy::Create.into(),
        ..Default::default()
    };
    harness.shipments().await.validate_shipment(validation).await.expect("validated");

    // The watch opens a new stream after its token and gets the change, not a new snapshot.
    let change = tokio::time::timeout(PATIENCE, async {
        loop {
            let event = watch.next().await.expect("the watch goes on");
            assert_ne!(event.r#type(), WatchEventType::Snapshot, "resumed, not started over: {event:?}");
            let level = event.level.as_ref().filter(|_| event.r#type() == WatchEventType::Changed);
            if level.is_some_and(|level| quantity(level.on_hand.as_ref()) == on_hand - 1.0) {
                return event;
            }
        }
    })
    .await
    .expect("the change made while the connection was down arrives");
    assert!(relay.accepted() >= 2, "the watch reconnected");
    assert!(change.change_time.is_some(), "from the server's log of changes");
    assert_ne!(watch.resume_token(), end.resume_token, "the token moved on");
}

on_both_simulators!(a_token_the_server_cannot_resume_from_starts_the_watch_over_with_a_snapshot);
async fn a_token_the_server_cannot_resume_from_starts_the_watch_over_with_a_snapshot(harness: &Harness) {
    let (warehouse, stocked) = stocked_skus(harness, 1, 1).await;
    let sku = stocked[0].0.clone();
    let clients =
        Clients::connect(&format!("127.0.0.1:{}", harness.grpc_port()), &tls(harness)).await.expect("connects");
    let mut watch = StockWatch::new(clients.inventory.clone(), vec![sku.clone()], vec![warehouse.clone()])
        .resuming_after("a token of another deployment".into());
    let first = tokio::time::timeout(PATIENCE, watch.next()).await.expect("in time").expect("the watch goes on");
    assert_eq!(first.r#type(), WatchEventType::Snapshot, "{first:?}");
    assert_eq!(first.sku, sku);
    tokio::time::timeout(PATIENCE, async {
        while watch.next().await.expect("the watch goes on").r#type() != WatchEventType::SnapshotEnd {}
    })
    .await
    .expect("the snapshot ends");
    assert!(!watch.resume_token().is_empty());
}
