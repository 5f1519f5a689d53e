//! Coalescing and batching of reads that must reach Odoo. A burst of N `GetStockLevels` calls
//! (`max_staleness` unset: odoo-mesh reads Odoo, not its watched view) is sent at once over mutual
//! TLS to odoo-mesh, a process pinned to core 0 with one Tokio worker, in front of the simulator
//! (its own process, on core 1 with the bench), which answers a warehouse list in 20 ms and a
//! stock read in 50 ms. Two bursts: N identical reads, and N overlapping ones (storefront pages
//! asking for different pairs of ten SKUs). The reference is the same N requests sent directly to
//! the simulator as JSON-RPC, with the same concurrency, each making the reads odoo-mesh's adapter
//! would make for it alone: the warehouses, then one `search_read` of the SKUs' stock per
//! warehouse. Printed: Odoo calls per request (from odoo-mesh's metrics, and counted by the direct
//! client), the burst's wall time and throughput, and the ratios, medians of several rounds.
//! `cargo bench --bench coalescing` (`-- --smoke` for a short run that only proves it works).

mod load;

use std::{
    future::Future,
    net::SocketAddr,
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures::future::join_all;
use load::{
    client::{Call, connect, unary},
    jsonrpc::Direct,
    odoo_calls,
    process::{self, LOAD_CORE, SERVER_CORE},
    reads,
    stack::Stack,
    summary::median,
};
use odoo_mesh::proto::inventory::v1::GetStockLevelsRequest;

/// Products of the simulator's demo data.
const SKUS: [&str; 10] = [
    "E-COM07",
    "E-COM08",
    "E-COM10",
    "E-COM11",
    "E-COM12",
    "E-COM13",
    "FURN_0096",
    "FURN_0789",
    "FURN_5555",
    "FURN_8855",
];
/// How long the simulator takes to list warehouses, and to read stock.
const WAREHOUSES_MILLIS: u64 = 20;
const STOCK_MILLIS: u64 = 50;
/// Streams per HTTP/2 connection: under odoo-mesh's cap of 256.
const STREAMS_PER_CONNECTION: usize = 200;
struct Settings {
    bursts: &'static [usize],
    rounds: usize,
}

/// Which SKUs each request of a burst asks for.
#[derive(Clone, Copy)]
enum Shape {
    /// Every request the same two SKUs.
    Identical,
    /// Request `i` a pair of its own: different pairs, overlapping SKUs.
    Overlapping,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Self::Identical => "identical",
            Self::Overlapping => "overlapping",
        }
    }

    fn skus(self, i: usize) -> Vec<String> {
        let pair = match self {
            Self::Identical => [SKUS[0], SKUS[6]],
            // The second SKU 1 to 9 places after the first: never the same one.
            Self::Overlapping => [SKUS[i % 10], SKUS[(i + 1 + (i / 10) % 9) % 10]],
        };
        pair.map(str::to_owned).to_vec()
    }
}

/// What one burst cost and took.
struct Burst {
    odoo_calls: f64,
    wall: Duration,
}

fn main() {
    if let Some(code) = process::pin_self_to_load_core() {
        std::process::exit(code);
    }
    let settings = if std::env::args().any(|a| a == "--smoke") {
        Settings { bursts: &[10], rounds: 1 }
    } else {
        Settings { bursts: &[10, 100, 1000], rounds: 5 }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(&settings));
}

async fn run(settings: &Settings) {
    let stack = Stack::start("coalescing").await;
    stack.ready(&stock_call(&Shape::Identical.skus(0))).await;
    stack.sim.slow_down("stock.warehouse", "search_read", WAREHOUSES_MILLIS).await;
    stack.sim.slow_down("product.product", "search_read", STOCK_MILLIS).await;
    let largest = settings.bursts.iter().copied().max().unwrap_or(1);
    let mut senders = Vec::new();
    for _ in 0..largest.div_ceil(STREAMS_PER_CONNECTION) {
        senders.push(connect(&stack.target).await);
    }
    let mesh = Mesh { senders, authority: stack.target.addr.to_string(), admin: stack.admin };
    let direct = &stack.sim.direct;

    println!(
        "coalescing: N stock reads at once through odoo-mesh (mutual TLS) vs the same reads sent directly as JSON-RPC"
    );
    if cfg!(debug_assertions) {
        println!("(a debug build, as in tests/run's smoke run: the figures prove the benchmark runs, not how fast)");
    }
    println!(
        "(odoo-mesh on core {SERVER_CORE} with one Tokio worker; simulator and clients on core {LOAD_CORE}; Odoo lists warehouses in {WAREHOUSES_MILLIS} ms, reads stock in {STOCK_MILLIS} ms; medians of {} rounds)",
        settings.rounds
    );
    println!(
        "  {:<12} {:>5}   {:>21}   {:>23}   {:>21}",
        "burst", "N", "Odoo calls / request", "wall time of the burst", "requests/s"
    );
    println!(
        "  {:<12} {:>5}   {:>6} {:>6} {:>7}   {:>7} {:>7} {:>7}   {:>6} {:>6} {:>7}",
        "", "", "mesh", "direct", "ratio", "mesh", "direct", "ratio", "mesh", "direct", "ratio"
    );
    for shape in [Shape::Identical, Shape::Overlapping] {
        for &n in settings.bursts {
            let calls: Vec<Call> = (0..n).map(|i| stock_call(&shape.skus(i))).collect();
            // Warm both paths at this size: connections, and the simulator's pool for the direct client.
            mesh.burst(&calls).await;
            burst_direct(direct, shape, n).await;
            let (mut through, mut straight) = (Vec::new(), Vec::new());
            for _ in 0..settings.rounds {
                through.push(mesh.burst(&calls).await);
                straight.push(burst_direct(direct, shape, n).await);
            }
            print_row(shape.name(), n, &through, &straight);
        }
    }
}

/// A stock read of `skus` in every warehouse that odoo-mesh must answer from Odoo.
fn stock_call(skus: &[String]) -> Call {
    Call::new(
        "/odoomesh.inventory.v1.InventoryService/GetStockLevels",
        &GetStockLevelsRequest { skus: skus.to_vec(), warehouses: Vec::new(), max_staleness: None },
    )
}

/// odoo-mesh, reached over a few connections, and its metrics.
struct Mesh {
    senders: Vec<h2::client::SendRequest<Bytes>>,
    authority: String,
    admin: SocketAddr,
}

impl Mesh {
    /// Sends every call at once, each on its own stream, and waits for all the answers.
    async fn burst(&self, calls: &[Call]) -> Burst {
        let before = odoo_calls(self.admin).await;
        let wall = timed(join_all(calls.iter().enumerate().map(|(i, call)| {
            let sender = self.senders[i % self.senders.len()].clone();
            async move { unary(sender, "https", &self.authority, call).await.expect("GetStockLevels") }
        })))
        .await;
        Burst { odoo_calls: odoo_calls(self.admin).await - before, wall }
    }
}

/// The same burst sent directly: `n` services at once, each making the adapter's reads itself.
async fn burst_direct(direct: &Direct, shape: Shape, n: usize) -> Burst {
    let before = direct.calls();
    let wall = timed(join_all((0..n).map(|i| read_stock_directly(direct, shape.skus(i))))).await;
    Burst { odoo_calls: (direct.calls() - before) as f64, wall }
}

/// What the adapter's `stock_levels` reads for one request (`load::reads`).
async fn read_stock_directly(direct: &Direct, skus: Vec<String>) {
    for rows in reads::stock_levels(direct, &skus).await {
        assert_eq!(rows.len(), skus.len(), "the stock of each SKU: {rows:?}");
    }
}

async fn timed<T>(work: impl Future<Output = T>) -> Duration {
    let started = Instant::now();
    work.await;
    started.elapsed()
}

fn print_row(shape: &str, n: usize, through: &[Burst], straight: &[Burst]) {
    let calls = |bursts: &[Burst]| median(bursts.iter().map(|b| b.odoo_calls / n as f64));
    let wall = |bursts: &[Burst]| median(bursts.iter().map(|b| b.wall.as_secs_f64() * 1e3));
    let (calls_mesh, calls_direct) = (calls(through), calls(straight));
    let (wall_mesh, wall_direct) = (wall(through), wall(straight));
    let (rate_mesh, rate_direct) = (n as f64 / wall_mesh * 1e3, n as f64 / wall_direct * 1e3);
    println!(
        "  {shape:<12} {n:>5}   {calls_mesh:>6.3} {calls_direct:>6.2} {:>7.4}   {wall_mesh:>5.0}ms {wall_direct:>5.0}ms {:>7.2}   {rate_mesh:>6.0} {rate_direct:>6.0} {:>7.2}",
        calls_mesh / calls_direct,
        wall_mesh / wall_direct,
        rate_mesh / rate_direct
    );
}
