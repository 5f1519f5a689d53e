//! Writes: `CreateSalesOrder` through odoo-mesh over mutual TLS against the same order created
//! directly in the simulator as JSON-RPC, call for call what odoo-mesh's adapter sends: the
//! idempotency ledger's lookup (`ir.model.data`), the customer by reference, its price list and
//! currency, the default warehouse, the products by SKU, the ledger's claim, the order's `load`,
//! the ledger's "done", and the read-back of the order, its lines and their SKUs. odoo-mesh runs
//! as a process pinned to core 0 with one Tokio worker; the simulator and the clients on core 1.
//!
//! Printed: latency at concurrency 1 (p50/p99/p99.9, the variants measured in short alternating
//! blocks so that noise and the simulator's growing database — it copies all of it for every write,
//! so each order makes the next write slower — fall on all alike), throughput at a higher
//! concurrency (closed loop, medians of rounds), the Odoo calls per order, and the cost of the
//! idempotency check. `request_id` is required by the API, so odoo-mesh cannot be asked to skip
//! the check: its cost is shown by the direct client with and without the ledger's three calls,
//! and by a replay (an already used `request_id`, answered from the ledger and a read-back).
//! `cargo bench --bench writes` (`-- --smoke` for a short run that only proves it works).

mod load;

use std::{
    collections::BTreeMap,
    future::Future,
    time::{Duration, Instant},
};

use bytes::Bytes;
use load::{
    CUSTOMER_REF,
    client::{Call, connect, unary_reply},
    create_sales_order,
    jsonrpc::Direct,
    odoo_calls_by_method, odoo_seconds_by_method,
    process::{self, LOAD_CORE, SERVER_CORE},
    reads,
    sim::DEFAULT_ODOO,
    stack::Stack,
    summary::{median, percentiles_ms},
};
use odoo_mesh::proto::order::v1::CreateSalesOrderResponse;
use prost::Message;
use serde_json::{Value, json};

/// The order: a demo customer by reference (`CUSTOMER_REF`), two stocked products by SKU, the
/// default warehouse.
const LINES: [(&str, &str); 2] = [("FURN_0096", "1"), ("E-COM07", "2")];
/// Orders in flight at once for the throughput figure.
const CONCURRENCY: usize = 8;

/// What the adapter sends (`ir_model_data`, `product::orderable`, `sale_order`'s fields and lines).
const XID_MODULE: &str = "__odoo_mesh__";
const XID_FIELDS: [&str; 5] = ["module", "name", "model", "res_id", "create_date"];
const PRODUCT_FIELDS: [&str; 8] =
    ["default_code", "display_name", "active", "sale_ok", "purchase_ok", "uom_id", "is_storable", "tracking"];
const LOAD_COLUMNS: [&str; 7] = [
    "id",
    "partner_id/.id",
    "warehouse_id/.id",
    "order_line/id",
    "order_line/product_id/.id",
    "order_line/product_uom_qty",
    "order_line/product_uom/.id",
];

struct Settings {
    /// Orders each way before measuring.
    warm_up: usize,
    /// Alternating latency blocks, and calls of each variant per block.
    blocks: usize,
    block: usize,
    /// Throughput rounds, and how long each side of a round runs (after a warm-up of a fifth).
    rounds: usize,
    measure: Duration,
}

/// The variants timed one call at a time.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Variant {
    /// CreateSalesOrder with a new request_id.
    Mesh,
    /// The same calls sent directly.
    Direct,
    /// The same calls without the ledger's lookup, claim and "done".
    DirectNoLedger,
    /// CreateSalesOrder with a request_id used before (same payload): a replay.
    MeshReplay,
    /// A replay's calls sent directly: the ledger's lookup and the read-back.
    DirectReplay,
}

impl Variant {
    const ALL: [Self; 5] = [Self::Mesh, Self::Direct, Self::DirectNoLedger, Self::MeshReplay, Self::DirectReplay];

    fn label(self) -> &'static str {
        match self {
            Self::Mesh => "through odoo-mesh, new request_id",
            Self::Direct => "direct, the same calls",
            Self::DirectNoLedger => "direct, without the ledger's calls",
            Self::MeshReplay => "through odoo-mesh, replayed request_id",
            Self::DirectReplay => "direct, a replay's calls",
        }
    }
}

fn main() {
    if let Some(code) = process::pin_self_to_load_core() {
        std::process::exit(code);
    }
    let settings = if std::env::args().any(|a| a == "--smoke") {
        Settings { warm_up: 2, blocks: 1, block: 5, rounds: 1, measure: Duration::from_millis(300) }
    } else {
        Settings { warm_up: 10, blocks: 30, block: 10, rounds: 3, measure: Duration::from_secs(2) }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(&settings));
}

async fn run(settings: &Settings) {
    let stack = Stack::start("writes").await;
    stack.ready(&order_call("warm-up")).await;
    let (server, admin) = (&stack.mesh, stack.admin);
    let mesh = Mesh { sender: connect(&stack.target).await, authority: stack.target.addr.to_string() };
    let direct = Orders { direct: Direct::login(stack.sim.addr()).await };
    let mut ids = Ids::default();

    // Warm both paths: connections, odoo-mesh's schema, currencies and units.
    for _ in 0..settings.warm_up {
        mesh.create(&ids.next()).await;
        direct.create(&ids.next(), true).await;
    }

    let mut samples: BTreeMap<Variant, Vec<Duration>> = BTreeMap::new();
    let (mut mesh_used, mut direct_used): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let (mut fresh_calls, mut replay_calls) = (BTreeMap::new(), BTreeMap::new());
    // Seconds odoo-mesh waited for Odoo during its creates, by call; its CPU for creates and replays.
    let mut fresh_seconds = BTreeMap::new();
    let mut cpu: BTreeMap<Variant, Duration> = BTreeMap::new();
    for _ in 0..settings.blocks {
        for variant in Variant::ALL {
            let (before, waited) = (odoo_calls_by_method(admin).await, odoo_seconds_by_method(admin).await);
            let cpu_before = server.cpu_time();
            for i in 0..settings.block {
                let key = ids.next();
                let took = match variant {
                    Variant::Mesh => timed(mesh.create(&key)).await,
                    Variant::Direct => timed(direct.create(&key, true)).await,
                    Variant::DirectNoLedger => timed(direct.create(&key, false)).await,
                    Variant::MeshReplay => timed(mesh.replay(&mesh_used[i])).await,
                    Variant::DirectReplay => timed(direct.replay(&direct_used[i])).await,
                };
                samples.entry(variant).or_default().push(took);
                match variant {
                    Variant::Mesh => mesh_used.push(key),
                    Variant::Direct => direct_used.push(key),
                    _ => {}
                }
            }
            *cpu.entry(variant).or_default() += server.cpu_time() - cpu_before;
            let spent = difference(&odoo_calls_by_method(admin).await, &before);
            match variant {
                Variant::Mesh => {
                    add(&mut fresh_calls, &spent);
                    add(&mut fresh_seconds, &difference(&odoo_seconds_by_method(admin).await, &waited));
                }
                Variant::MeshReplay => add(&mut replay_calls, &spent),
                _ => {}
            }
        }
        // Replays reuse this block's keys; the next block makes new ones.
        mesh_used.clear();
        direct_used.clear();
    }

    let (mut mesh_rates, mut direct_rates) = (Vec::new(), Vec::new());
    for _ in 0..settings.rounds {
        let warm_up = settings.measure / 5;
        closed_loop(CONCURRENCY, warm_up, &mut ids, |key| mesh.create_owned(key)).await;
        mesh_rates.push(closed_loop(CONCURRENCY, settings.measure, &mut ids, |key| mesh.create_owned(key)).await);
        closed_loop(CONCURRENCY, warm_up, &mut ids, |key| direct.create_owned(key)).await;
        direct_rates.push(closed_loop(CONCURRENCY, settings.measure, &mut ids, |key| direct.create_owned(key)).await);
    }

    let calls = Spent { fresh: fresh_calls, fresh_seconds, replay: replay_calls, cpu };
    report(settings, &mut samples, &calls, (median(mesh_rates), median(direct_rates)));
}

/// What odoo-mesh's creates and replays cost Odoo during the latency blocks, by `model.method`.
struct Spent {
    fresh: BTreeMap<String, f64>,
    fresh_seconds: BTreeMap<String, f64>,
    replay: BTreeMap<String, f64>,
    /// odoo-mesh's CPU time during each variant's blocks.
    cpu: BTreeMap<Variant, Duration>,
}

fn report(
    settings: &Settings,
    samples: &mut BTreeMap<Variant, Vec<Duration>>,
    spent: &Spent,
    (mesh_rate, direct_rate): (f64, f64),
) {
    println!(
        "writes: CreateSalesOrder through odoo-mesh (mutual TLS) vs the same Odoo calls sent directly as JSON-RPC"
    );
    if cfg!(debug_assertions) {
        println!("(a debug build, as in tests/run's smoke run: the figures prove the benchmark runs, not how fast)");
    }
    let per_variant = settings.blocks * settings.block;
    println!(
        "(odoo-mesh on core {SERVER_CORE} with one Tokio worker; simulator and clients on core {LOAD_CORE}; an order of 2 lines for a customer by reference)"
    );
    println!(
        "(the simulator copies its whole database for every write: creates slow down as orders accumulate, alike for all variants)"
    );
    println!("  latency, concurrency 1, {per_variant} calls of each, in alternating blocks of {}:", settings.block);
    println!("    {:<40} {:>9} {:>9} {:>9}", "", "p50", "p99", "p99.9");
    let mut at = BTreeMap::new();
    for variant in Variant::ALL {
        let p = percentiles_ms(samples.get_mut(&variant).expect("measured"));
        println!("    {:<40} {:>6.3} ms {:>6.3} ms {:>6.3} ms", variant.label(), p[0], p[1], p[2]);
        at.insert(variant, p);
    }
    let added = |a: Variant, b: Variant| [0, 1, 2].map(|i| at[&a][i] - at[&b][i]);
    let show = |label: &str, d: [f64; 3]| {
        println!("    {label:<40} {:>6.3} ms {:>6.3} ms {:>6.3} ms", d[0], d[1], d[2]);
    };
    show("added by odoo-mesh to a create", added(Variant::Mesh, Variant::Direct));
    show("added by odoo-mesh to a replay", added(Variant::MeshReplay, Variant::DirectReplay));
    show("the ledger's calls (direct)", added(Variant::Direct, Variant::DirectNoLedger));
    let calls = |spent: &BTreeMap<String, f64>| spent.values().sum::<f64>() / per_variant as f64;
    let ledger = |spent: &BTreeMap<String, f64>| {
        spent.iter().filter(|(method, _)| method.starts_with("ir.model.data.")).map(|(_, n)| n).sum::<f64>()
            / per_variant as f64
    };
    println!(
        "  Odoo calls per create: {:.2} ({:.2} of them the ledger's); per replay: {:.2} ({:.2} the ledger's)",
        calls(&spent.fresh),
        ledger(&spent.fresh),
        calls(&spent.replay),
        ledger(&spent.replay)
    );
    let mut waits: Vec<(&String, f64)> =
        spent.fresh_seconds.iter().map(|(call, s)| (call, s * 1e3 / per_variant as f64)).collect();
    waits.sort_by(|a, b| b.1.total_cmp(&a.1));
    let slowest: Vec<String> = waits.iter().take(4).map(|(call, ms)| format!("{call} {ms:.1} ms")).collect();
    println!(
        "  odoo-mesh waits for Odoo {:.1} ms per create (mean); the longest: {}",
        waits.iter().map(|(_, ms)| ms).sum::<f64>(),
        slowest.join(", ")
    );
    let cpu_ms = |v: Variant| spent.cpu.get(&v).copied().unwrap_or_default().as_secs_f64() * 1e3 / per_variant as f64;
    println!(
        "  odoo-mesh CPU per create {:.2} ms, per replay {:.2} ms",
        cpu_ms(Variant::Mesh),
        cpu_ms(Variant::MeshReplay)
    );
    let p50 = |v: Variant| at[&v][0];
    println!(
        "  idempotency: the ledger's calls are {:.2} of a direct create's p50; a replay answers in {:.2} of a create's p50 through odoo-mesh",
        1.0 - p50(Variant::DirectNoLedger) / p50(Variant::Direct),
        p50(Variant::MeshReplay) / p50(Variant::Mesh)
    );
    println!(
        "  throughput, {CONCURRENCY} orders in flight, closed loop, medians of {} rounds of {:?}: odoo-mesh {mesh_rate:.0} orders/s, direct {direct_rate:.0} orders/s, ratio {:.2}",
        settings.rounds,
        settings.measure,
        mesh_rate / direct_rate
    );
}

/// Request ids (and, for the direct client, ledger keys), new each time.
#[derive(Default)]
struct Ids(u64);

impl Ids {
    fn next(&mut self) -> String {
        self.0 += 1;
        format!("bench-{:08}", self.0)
    }
}

/// `CreateSalesOrder` of the bench's order under `request_id`.
fn order_call(request_id: &str) -> Call {
    create_sales_order(request_id, &LINES)
}

/// odoo-mesh over one connection.
struct Mesh {
    sender: h2::client::SendRequest<Bytes>,
    authority: String,
}

impl Mesh {
    async fn send(&self, request_id: &str) -> CreateSalesOrderResponse {
        let reply = unary_reply(self.sender.clone(), "https", &self.authority, &order_call(request_id))
            .await
            .unwrap_or_else(|e| panic!("CreateSalesOrder: {e}"));
        CreateSalesOrderResponse::decode(reply).expect("a CreateSalesOrderResponse")
    }

    async fn create(&self, request_id: &str) {
        let created = self.send(request_id).await;
        assert!(!created.replayed && created.sales_order.is_some(), "a new order");
    }

    async fn create_owned(&self, request_id: String) {
        self.create(&request_id).await;
    }

    async fn replay(&self, request_id: &str) {
        assert!(self.send(request_id).await.replayed, "a replay");
    }
}

/// Sales orders created directly, with the calls (and in the order) odoo-mesh's adapter makes.
struct Orders {
    direct: Direct,
}

impl Orders {
    /// Creates the bench's order under ledger key `so_{request_id}`; `ledger: false` leaves out
    /// the ledger's lookup, claim and "done" (the import under external ids stays).
    async fn create(&self, request_id: &str, ledger: bool) -> i64 {
        let key = format!("so_{request_id}");
        if ledger {
            assert!(self.ledger(&key).await.is_empty(), "a new key");
        }
        let search = |model: &'static str, kwargs: Value| self.direct.execute(model, "search_read", json!([]), kwargs);
        let read = |model: &'static str, id: i64, fields: Value| {
            self.direct.execute(model, "read", json!([[id]]), json!({"fields": fields}))
        };
        let partners = search(
            "res.partner",
            json!({"domain": [["ref", "=", CUSTOMER_REF]], "fields": ["id"], "limit": 2, "order": "id"}),
        )
        .await;
        let customer = partners[0]["id"].as_i64().expect("the customer");
        let defaults = read("res.partner", customer, json!(["property_product_pricelist"])).await;
        let pricelist = defaults[0]["property_product_pricelist"][0].as_i64().expect("a price list");
        read("product.pricelist", pricelist, json!(["currency_id"])).await;
        let warehouses =
            search("stock.warehouse", json!({"domain": [], "fields": ["id"], "limit": 1, "order": "sequence, id"}))
                .await;
        let warehouse = warehouses[0]["id"].as_i64().expect("a warehouse");
        let skus: Vec<&str> = LINES.iter().map(|(sku, _)| *sku).collect();
        let products = search(
            "product.product",
            json!({"domain": [["default_code", "in", skus]], "fields": PRODUCT_FIELDS, "order": "id", "context": {"active_test": false}}),
        )
        .await;
        if ledger {
            let fingerprint = format!("{key}_fp_0123456789abcdef");
            self.write_ledger(&[(&key, 0), (&fingerprint, 0)]).await;
        }
        let rows: Vec<Value> = LINES
            .iter()
            .enumerate()
            .map(|(i, (sku, quantity))| {
                let product = products
                    .as_array()
                    .expect("products")
                    .iter()
                    .find(|p| p["default_code"] == *sku)
                    .expect("the product");
                let line = [
                    format!("{XID_MODULE}.{key}_order_l{i}"),
                    product["id"].to_string(),
                    (*quantity).to_owned(),
                    product["uom_id"][0].to_string(),
                ];
                let header = if i == 0 {
                    [format!("{XID_MODULE}.{key}_order"), customer.to_string(), warehouse.to_string()]
                } else {
                    Default::default()
                };
                let mut row = header.to_vec();
                row.extend(line);
                json!(row)
            })
            .collect();
        let loaded = self
            .direct
            .execute(
                "sale.order",
                "load",
                json!([]),
                json!({"fields": LOAD_COLUMNS, "data": rows, "context": {"mode": "update", "noupdate": true, "tz": "UTC"}}),
            )
            .await;
        let order = loaded["ids"][0].as_i64().unwrap_or_else(|| panic!("the order: {loaded}"));
        if ledger {
            self.write_ledger(&[(&format!("{key}_done"), order)]).await;
        }
        self.read_back(order).await;
        order
    }

    async fn create_owned(&self, request_id: String) {
        self.create(&request_id, true).await;
    }

    /// What answers a replay of `request_id`: the ledger says "done", then the read-back.
    async fn replay(&self, request_id: &str) {
        let key = format!("so_{request_id}");
        let rows = self.ledger(&key).await;
        let done = rows.iter().find(|r| r["name"] == format!("{key}_done")).expect("a done key");
        self.read_back(done["res_id"].as_i64().expect("the order")).await;
    }

    /// The ledger's rows under `key` (one `search_read`, by prefix).
    async fn ledger(&self, key: &str) -> Vec<Value> {
        let domain = json!([["module", "=", XID_MODULE], ["name", "=like", format!("{}%", key.replace('_', "\\_"))]]);
        let rows = self
            .direct
            .execute(
                "ir.model.data",
                "search_read",
                json!([]),
                json!({"domain": domain, "fields": XID_FIELDS, "order": "id"}),
            )
            .await;
        rows.as_array().cloned().unwrap_or_default()
    }

    async fn write_ledger(&self, rows: &[(&str, i64)]) {
        let vals: Vec<Value> = rows
            .iter()
            .map(|(name, res_id)| json!({"module": XID_MODULE, "name": name, "model": "sale.order", "res_id": res_id, "noupdate": true}))
            .collect();
        self.direct.execute("ir.model.data", "create", json!([vals]), json!({})).await;
    }

    /// The order, its lines, and their products' SKUs, as odoo-mesh answers it (`load::reads`).
    async fn read_back(&self, order: i64) {
        let (_, lines) = reads::sales_order(&self.direct, DEFAULT_ODOO, order).await;
        let products = lines.iter().filter(|line| line["product_id"][0].is_i64()).count();
        assert_eq!(products, LINES.len(), "the order's lines");
    }
}

/// Runs `create` with new request ids on `concurrency` loops for `duration`: orders per second.
async fn closed_loop<'a, F, Fut>(concurrency: usize, duration: Duration, ids: &mut Ids, create: F) -> f64
where
    F: Fn(String) -> Fut + 'a,
    Fut: Future<Output = ()> + 'a,
{
    let started = Instant::now();
    let deadline = started + duration;
    let mut done = 0_u64;
    let mut in_flight = futures::stream::FuturesUnordered::new();
    for _ in 0..concurrency {
        in_flight.push(create(ids.next()));
    }
    while futures::StreamExt::next(&mut in_flight).await.is_some() {
        done += 1;
        if Instant::now() < deadline {
            in_flight.push(create(ids.next()));
        }
    }
    done as f64 / started.elapsed().as_secs_f64()
}

async fn timed<T>(work: impl Future<Output = T>) -> Duration {
    let started = Instant::now();
    work.await;
    started.elapsed()
}

fn difference(after: &BTreeMap<String, f64>, before: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or_default()))
        .filter(|(_, v)| *v > 0.0)
        .collect()
}

fn add(total: &mut BTreeMap<String, f64>, more: &BTreeMap<String, f64>) {
    for (k, v) in more {
        *total.entry(k.clone()).or_default() += v;
    }
}
