//! Added latency of pass-through reads: `GetProduct` by SKU, `GetStockLevels` of one SKU read
//! from Odoo (`max_staleness` unset) and `GetSalesOrder`, through odoo-mesh over mutual TLS,
//! against the same Odoo reads sent directly to the same simulator by the same kind of client
//! (`load::reads`: the models, methods, domains, fields and contexts odoo-mesh's adapter uses),
//! for Odoo 18 over JSON-RPC and Odoo 19 over JSON-2 (odoo-mesh picks the wire by the version;
//! the direct client speaks the same one). odoo-mesh runs as a process pinned to core 0 with one
//! Tokio worker; the simulator and both clients run on core 1.
//!
//! Two loads. A closed loop at concurrency 1, through odoo-mesh and direct in alternating blocks
//! so that noise falls on both alike. An open loop at fixed rates below saturation, each call
//! timed from its scheduled send time, so that a stall delays the calls behind it in the figures
//! too (no coordinated omission). Printed: p50, p99 and p99.9 of both, their difference — what
//! odoo-mesh adds — beside the targets (0.1 ms at p50, 0.5 ms at p99), and the Odoo calls per
//! request of both, by `model.method`, from odoo-mesh's metrics and the direct client's count.
//! `cargo bench --bench latency` (`-- --smoke` for a short run that only proves it works).

mod load;

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    time::{Duration, Instant},
};

use bytes::Bytes;
use load::{
    SKU,
    client::{Call, connect, unary, unary_reply},
    create_sales_order,
    jsonrpc::{Direct, Wire},
    odoo_calls_by_method, open_loop,
    process::{self, LOAD_CORE, SERVER_CORE},
    reads,
    stack::Stack,
    summary::{ms, percentile, percentiles_ms},
};
use odoo_mesh::proto::{
    inventory::v1::{GetProductRequest, GetStockLevelsRequest, get_product_request::Product},
    order::v1::{CreateSalesOrderResponse, GetSalesOrderRequest},
};
use prost::Message;
use serde_json::{Value, json};

/// What odoo-mesh may add, in milliseconds.
const TARGET_P50_MS: f64 = 0.1;
const TARGET_P99_MS: f64 = 0.5;
/// The lines of the sales order read, when one is created: three stocked products by SKU.
const ORDER_LINES: [(&str, &str); 3] = [(SKU, "1"), ("E-COM07", "2"), ("FURN_0789", "1")];
/// The Odoo versions measured: 18 (JSON-RPC) and 19 (JSON-2).
const ODOO_VERSIONS: [u8; 2] = [18, 19];

struct Settings {
    /// Calls of each path per read before measuring.
    warm_up: usize,
    /// Closed loop: alternating blocks, and calls per block.
    blocks: usize,
    block: usize,
    /// Open loop: calls per second, and rounds of each path at each rate, alternating.
    rates: &'static [f64],
    rounds: usize,
    round: Duration,
}

fn main() {
    if let Some(code) = process::pin_self_to_load_core() {
        std::process::exit(code);
    }
    let settings = if std::env::args().any(|a| a == "--smoke") {
        Settings { warm_up: 10, blocks: 2, block: 25, rates: &[200.0], rounds: 1, round: Duration::from_millis(250) }
    } else {
        Settings {
            warm_up: 200,
            blocks: 8,
            block: 500,
            rates: &[200.0, 1000.0],
            rounds: 5,
            round: Duration::from_secs(1),
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        println!("added latency: reads through odoo-mesh (mutual TLS) vs the same Odoo calls sent directly to the simulator");
        if cfg!(debug_assertions) {
            println!("(a debug build, as in tests/run's smoke run: the figures prove the benchmark runs, not how fast)");
        }
        println!(
            "(odoo-mesh on core {SERVER_CORE} with one Tokio worker; simulator and clients on core {LOAD_CORE}; targets: added p50 ≤ {TARGET_P50_MS} ms, p99 ≤ {TARGET_P99_MS} ms)"
        );
        for major in ODOO_VERSIONS {
            flavour(major, &settings).await;
        }
    });
}

/// One of the reads, as a gRPC call and as its direct Odoo calls.
#[derive(Clone, Copy)]
enum Read {
    Product,
    Stock,
    SalesOrder { id: i64 },
}

impl Read {
    fn rpc(self) -> &'static str {
        match self {
            Self::Product => "GetProduct",
            Self::Stock => "GetStockLevels",
            Self::SalesOrder { .. } => "GetSalesOrder",
        }
    }

    fn call(self) -> Call {
        match self {
            Self::Product => Call::new(
                "/odoomesh.inventory.v1.InventoryService/GetProduct",
                &GetProductRequest { product: Some(Product::Sku(SKU.into())) },
            ),
            Self::Stock => Call::new(
                "/odoomesh.inventory.v1.InventoryService/GetStockLevels",
                &GetStockLevelsRequest { skus: vec![SKU.into()], warehouses: Vec::new(), max_staleness: None },
            ),
            Self::SalesOrder { id } => Call::new(
                "/odoomesh.order.v1.OrderService/GetSalesOrder",
                &GetSalesOrderRequest { name: format!("salesOrders/{id}") },
            ),
        }
    }

    /// The same read sent directly; panics unless Odoo found what odoo-mesh finds.
    async fn direct(self, direct: &Direct, major: u8) {
        match self {
            Self::Product => {
                assert_eq!(reads::product_by_sku(direct, SKU).await.len(), 1, "one product with SKU {SKU}");
            }
            Self::Stock => {
                for rows in reads::stock_levels(direct, &[SKU.to_owned()]).await {
                    assert_eq!(rows.len(), 1, "the stock of {SKU} in each warehouse");
                }
            }
            Self::SalesOrder { id } => {
                assert_eq!(reads::sales_order(direct, major, id).await.0["id"], json!(id), "sales order {id}");
            }
        }
    }
}

/// odoo-mesh as the bench reaches it: one HTTP/2 connection over mutual TLS, and its metrics.
struct Mesh {
    stack: Stack,
    sender: h2::client::SendRequest<Bytes>,
    authority: String,
}

impl Mesh {
    async fn call(&self, call: &Call) {
        unary(self.sender.clone(), "https", &self.authority, call).await.expect("odoo-mesh answers");
    }

    fn admin(&self) -> SocketAddr {
        self.stack.admin
    }
}

/// Measures every read against one simulated Odoo version, and prints what it found.
async fn flavour(major: u8, settings: &Settings) {
    let stack = Stack::start_odoo(&format!("latency-{major}"), major).await;
    stack.ready(&Read::Product.call()).await;
    let wire = Wire::of_version(major);
    let direct = Direct::connect(stack.sim.addr(), wire).await;
    let sender = connect(&stack.target).await;
    let mesh = Mesh { authority: stack.target.addr.to_string(), stack, sender };
    let (id, number, lines) = order_with_lines(&mesh.stack, &mesh).await;

    println!();
    println!("Odoo {major} over {} (odoo-mesh and the direct client alike)", wire.name());
    println!("  sales order {number} (salesOrders/{id}, {lines} lines); SKU {SKU}; every warehouse");
    let all = [Read::Product, Read::Stock, Read::SalesOrder { id }];
    for read in all {
        for _ in 0..settings.warm_up {
            mesh.call(&read.call()).await;
            read.direct(&direct, major).await;
        }
    }

    println!(
        "  closed loop, concurrency 1: {} calls each, in alternating blocks of {}",
        settings.blocks * settings.block,
        settings.block
    );
    println!("                                        p50        p99      p99.9");
    let mut calls = Vec::new();
    for read in all {
        let counts = Counts::start(&mesh, &direct).await;
        let (through, straight) = closed_loop(&mesh, &direct, major, read, settings).await;
        calls.push((read, counts.per_request(&mesh, &direct, through.len()).await));
        print_figures(read.rpc(), through, straight);
    }

    println!("  Odoo calls per request in the closed loop, by model.method: odoo-mesh (its metric) | direct (counted)");
    for (read, (mesh_calls, direct_calls)) in &calls {
        print_calls(read.rpc(), mesh_calls, direct_calls);
    }

    for &rate in settings.rates {
        println!(
            "  open loop, {rate:.0} calls/s, {} rounds of {:.2} s each alternating, timed from the scheduled send",
            settings.rounds,
            settings.round.as_secs_f64()
        );
        for read in all {
            open_loop_at(&mesh, &direct, major, read, rate, settings).await;
        }
    }
}

/// `read` at `rate` through odoo-mesh and direct, in alternating rounds.
async fn open_loop_at(mesh: &Mesh, direct: &Direct, major: u8, read: Read, rate: f64, settings: &Settings) {
    let counts = Counts::start(mesh, direct).await;
    let call = read.call();
    let (mut through, mut straight) = (Vec::new(), Vec::new());
    let (mut lag_mesh, mut lag_direct) = (Vec::new(), Vec::new());
    for _ in 0..settings.rounds {
        let sender = std::slice::from_ref(&mesh.sender);
        let run = open_loop::run(&mesh.stack.target, sender, |_| call.clone(), rate, settings.round).await;
        assert!(run.outcomes.iter().all(|o| o.code == Some(0)), "every {} answered OK", read.rpc());
        through.extend(run.outcomes.iter().map(|o| o.latency));
        lag_mesh.extend(run.lateness);
        let run = open_loop::schedule(rate, settings.round, |_| read.direct(direct, major)).await;
        straight.extend(run.done.into_iter().map(|(_, latency)| latency));
        lag_direct.extend(run.lateness);
    }
    let (mesh_calls, direct_calls) = counts.per_request(mesh, direct, through.len()).await;
    print_figures(read.rpc(), through, straight);
    println!(
        "    {:<16} Odoo calls per request {:.2} | {:.2}; sender lag p99 {:.3} | {:.3} ms",
        "",
        mesh_calls.values().sum::<f64>(),
        direct_calls.values().sum::<f64>(),
        lag_p99(&mut lag_mesh),
        lag_p99(&mut lag_direct),
    );
}

/// A sales order with lines: the first of the simulator's data with two or more (its demo data
/// has none), else one created through odoo-mesh for the demo customer. Its id, number and count
/// of lines.
async fn order_with_lines(stack: &Stack, mesh: &Mesh) -> (i64, String, usize) {
    let kwargs = json!({"fields": ["name", "order_line"], "order": "id"});
    let orders = stack.sim.execute("sale.order", "search_read", json!([[]]), kwargs).await;
    let lines = |order: &Value| order["order_line"].as_array().map_or(0, Vec::len);
    if let Some(order) = orders.as_array().into_iter().flatten().find(|order| lines(order) >= 2) {
        return (
            order["id"].as_i64().expect("an id"),
            order["name"].as_str().unwrap_or_default().to_owned(),
            lines(order),
        );
    }
    let call = create_sales_order(&format!("latency-{}", std::process::id()), &ORDER_LINES);
    let reply = unary_reply(mesh.sender.clone(), "https", &mesh.authority, &call).await.expect("an order created");
    let order = CreateSalesOrderResponse::decode(reply).expect("a reply").sales_order.expect("the order");
    (order.id, order.number, order.lines.len())
}

async fn closed_loop(
    mesh: &Mesh,
    direct: &Direct,
    major: u8,
    read: Read,
    settings: &Settings,
) -> (Vec<Duration>, Vec<Duration>) {
    let call = read.call();
    let (mut through, mut straight) = (Vec::new(), Vec::new());
    for _ in 0..settings.blocks {
        for _ in 0..settings.block {
            let started = Instant::now();
            mesh.call(&call).await;
            through.push(started.elapsed());
        }
        for _ in 0..settings.block {
            let started = Instant::now();
            read.direct(direct, major).await;
            straight.push(started.elapsed());
        }
    }
    (through, straight)
}

/// Odoo calls by `model.method` at the start of a measurement: odoo-mesh's, and the direct client's.
struct Counts {
    mesh: BTreeMap<String, f64>,
    direct: BTreeMap<String, u64>,
}

type PerRequest = BTreeMap<String, f64>;

impl Counts {
    async fn start(mesh: &Mesh, direct: &Direct) -> Self {
        Self { mesh: odoo_calls_by_method(mesh.admin()).await, direct: direct.calls_by_method() }
    }

    /// The calls made since, per request of `requests` made by each.
    async fn per_request(&self, mesh: &Mesh, direct: &Direct, requests: usize) -> (PerRequest, PerRequest) {
        let n = requests as f64;
        let mesh_calls = odoo_calls_by_method(mesh.admin())
            .await
            .into_iter()
            .map(|(method, count)| (method.clone(), (count - self.mesh.get(&method).copied().unwrap_or(0.0)) / n))
            .filter(|(_, per)| *per > 0.0)
            .collect();
        let direct_calls = direct
            .calls_by_method()
            .into_iter()
            .map(|(method, count)| {
                (method.clone(), (count - self.direct.get(&method).copied().unwrap_or(0)) as f64 / n)
            })
            .filter(|(_, per)| *per > 0.0)
            .collect();
        (mesh_calls, direct_calls)
    }
}

fn print_calls(rpc: &str, mesh: &PerRequest, direct: &PerRequest) {
    let same =
        mesh.len() == direct.len() && mesh.iter().all(|(m, n)| direct.get(m).is_some_and(|d| (n - d).abs() < 0.005));
    println!(
        "    {rpc:<16} {:.2} | {:.2}{}",
        mesh.values().sum::<f64>(),
        direct.values().sum::<f64>(),
        if same { "" } else { "   (DIFFERENT calls)" }
    );
    let methods: std::collections::BTreeSet<&String> = mesh.keys().chain(direct.keys()).collect();
    for method in methods {
        let count = |calls: &PerRequest| calls.get(method).copied().unwrap_or(0.0);
        println!("      {method:<34} {:.2} | {:.2}", count(mesh), count(direct));
    }
}

/// p50, p99 and p99.9 through odoo-mesh, direct, and their difference beside the targets.
fn print_figures(rpc: &str, mut through: Vec<Duration>, mut straight: Vec<Duration>) {
    let (a, b) = (percentiles_ms(&mut through), percentiles_ms(&mut straight));
    let row = |label: &str, p: [f64; 3]| format!("{label:<13} {:>7.3} ms {:>7.3} ms {:>7.3} ms", p[0], p[1], p[2]);
    let added = [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
    let verdict = |value: f64, target: f64| if value <= target { "met" } else { "MISSED" };
    println!("    {rpc:<16} {}", row("through", a));
    println!("    {:<16} {}", "", row("direct", b));
    println!(
        "    {:<16} {}   p50 ≤ {TARGET_P50_MS} ms {}, p99 ≤ {TARGET_P99_MS} ms {}",
        "",
        row("added", added),
        verdict(added[0], TARGET_P50_MS),
        verdict(added[1], TARGET_P99_MS)
    );
}

/// How late the 99th percentile of sends left against the schedule, in milliseconds.
fn lag_p99(lateness: &mut [Duration]) -> f64 {
    lateness.sort_unstable();
    ms(percentile(lateness, 0.99))
}
