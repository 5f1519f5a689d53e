//! How fast one stock change reaches every subscriber of one replica, and what that costs Odoo.
//! Opens N WatchStockLevels streams (plaintext gRPC, many streams per connection, as behind a
//! mesh sidecar), changes one quant in the simulator, pokes the webhook, and measures when each
//! stream receives the change — then compares Odoo's calls with the same change and one stream.
//! Prints its figures; run with `cargo bench --bench watch_fanout`.

use std::time::{Duration, Instant};

mod common;

use odoo_adapter::Secret;
use odoo_mesh::{
    config::{Config, LogFormat, Transport, WatchConfig},
    proto::inventory::v1::{WatchEventType, WatchStockLevelsRequest, inventory_service_client::InventoryServiceClient},
    server,
};
use odoo_simulator::Simulator;
use serde_json::{Map, json};
use tonic::transport::{Channel, Endpoint};

/// Streams per HTTP/2 connection: under the server's cap of 256.
const STREAMS_PER_CONNECTION: usize = 200;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sim = common::simulator().await;
    let dir = std::env::temp_dir().join(format!("odoo-mesh-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let policy = dir.join("policy.toml");
    std::fs::write(
        &policy,
        "[[allow]]\nidentities = [\"anonymous\"]\nmethods = [\"odoomesh.inventory.v1.InventoryService/*\"]\n",
    )
    .expect("policy");
    let mut watch = WatchConfig::default();
    // Only the webhook brings the change: the poll interval is out of the picture.
    watch.capture.poll_interval = Duration::from_secs(60);
    watch.webhook_secret = Some(Secret::new("bench-hook"));
    watch.stream.heartbeat = Duration::from_secs(60);
    let config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        transport: Transport::Plaintext { trust_forwarded_client_cert: false },
        odoo: common::odoo(&sim),
        health_interval: Duration::from_secs(5),
        log_format: LogFormat::Text,
        policy: Some(policy),
        audit_log: None,
        odoo_credentials: Vec::new(),
        reload_interval: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(2),
        watch,
        otlp_endpoint: None,
    };
    let running = server::start(&config).await.expect("odoo-mesh");
    let target = format!("http://{}", running.grpc_addr);
    let hook = format!("http://{}/odoo/webhook?token=bench-hook", running.admin_addr);

    println!("one stock change, delivered through Odoo's webhook to N streams of one replica (2 cores):");
    for (round, subscribers) in [1usize, 1_000, 10_000].into_iter().enumerate() {
        let (latencies, odoo_calls) = fan_out(&sim.simulator().clone(), &target, &hook, subscribers, round).await;
        let at = |q: f64| latencies[((latencies.len() as f64 - 1.0) * q).round() as usize];
        println!(
            "  {subscribers:>6} streams: p50 {:>8.1?}  p99 {:>8.1?}  max {:>8.1?}  Odoo calls for the change: {odoo_calls}",
            at(0.5),
            at(0.99),
            latencies.last().copied().unwrap_or_default(),
        );
    }
    let _ = std::fs::remove_dir_all(dir);
    running.shutdown().await.expect("shutdown");
}

/// Opens `subscribers` streams, makes one change, returns each stream's delay (sorted) and the
/// Odoo calls the change cost.
async fn fan_out(sim: &Simulator, target: &str, hook: &str, subscribers: usize, round: usize) -> (Vec<Duration>, u64) {
    let channels: Vec<Channel> =
        futures::future::join_all((0..subscribers.div_ceil(STREAMS_PER_CONNECTION)).map(|_| async {
            Endpoint::from_shared(target.to_owned()).expect("uri").connect().await.expect("connects")
        }))
        .await;
    let mut streams = Vec::with_capacity(subscribers);
    for i in 0..subscribers {
        let mut client = InventoryServiceClient::new(channels[i / STREAMS_PER_CONNECTION].clone());
        let request = WatchStockLevelsRequest { skus: vec!["E-COM10".into()], ..Default::default() };
        streams.push(client.watch_stock_levels(request).await.expect("watch").into_inner());
    }
    let calls_before: u64 = sim.calls().values().sum();
    let quant = sim
        .search_read(
            "stock.quant",
            &json!([["product_id.default_code", "=", "E-COM10"]]),
            &["id", "quantity"],
            Map::new(),
        )
        .expect("quants")
        .remove(0);
    let quantity = quant["quantity"].as_f64().unwrap_or_default() + 1.0 + round as f64;
    let changed_at = Instant::now();
    sim.write(
        "stock.quant",
        &[quant["id"].as_i64().expect("id")],
        &Map::from_iter([("quantity".into(), json!(quantity))]),
    )
    .expect("written");
    reqwest::Client::new().post(hook).send().await.expect("webhook");
    let waits = streams.into_iter().map(|mut stream| async move {
        loop {
            let event = stream.message().await.expect("healthy").expect("open");
            if event.r#type() == WatchEventType::Changed {
                return changed_at.elapsed();
            }
        }
    });
    let mut latencies = futures::future::join_all(waits).await;
    latencies.sort();
    let calls_after: u64 = sim.calls().values().sum();
    (latencies, calls_after - calls_before)
}
