//! Added latency of a pass-through read: `GetProduct` by SKU through odoo-mesh over mutual TLS,
//! against the same `product.product` `search_read` sent directly to the simulator as JSON-RPC,
//! one call at a time (closed loop, concurrency 1). odoo-mesh runs as a process pinned to core 0
//! with one Tokio worker; the simulator and both clients run on core 1. The two are measured in
//! alternating blocks so that noise falls on both alike; the difference of their percentiles is
//! what odoo-mesh adds. `cargo bench --bench latency` (`-- --smoke` for a short run).

mod load;

use std::time::{Duration, Instant};

use load::{
    DEMO_API_KEY, Fixture, SKU,
    client::{Call, Target, connect, mutual_tls, unary, until_answered},
    odoo_calls,
    process::{self, LOAD_CORE, SERVER_CORE, Server, free_addr},
};
use odoo_mesh::proto::inventory::v1::{GetProductRequest, get_product_request::Product};
use serde_json::{Value, json};

/// The fields odoo-mesh reads for a product (the adapter's `product::FIELDS`).
const PRODUCT_FIELDS: [&str; 11] = [
    "default_code",
    "name",
    "display_name",
    "barcode",
    "uom_id",
    "list_price",
    "is_storable",
    "sale_ok",
    "purchase_ok",
    "active",
    "write_date",
];

fn main() {
    if let Some(code) = process::pin_self_to_load_core() {
        std::process::exit(code);
    }
    let smoke = std::env::args().any(|a| a == "--smoke");
    let (blocks, block) = if smoke { (2, 25) } else { (8, 500) };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(blocks, block));
}

async fn run(blocks: usize, block: usize) {
    let fixture = Fixture::new("latency");
    let binary = std::path::Path::new(env!("CARGO_BIN_EXE_odoo-mesh"));
    let sim_addr = free_addr();
    let _sim = Server::start("simulator", sim_addr, LOAD_CORE, binary, &["sim".into(), format!("--listen={sim_addr}")]);
    let (addr, admin) = (free_addr(), free_addr());
    let _mesh = Server::start("odoo-mesh", addr, SERVER_CORE, binary, &fixture.serve_args(addr, admin, sim_addr, true));

    let pki = &fixture.pki;
    let target = Target { addr, tls: Some(mutual_tls(&pki.ca_pem, &pki.client.cert, &pki.client.key)) };
    let call = Call::new(
        "/odoomesh.inventory.v1.InventoryService/GetProduct",
        &GetProductRequest { product: Some(Product::Sku(SKU.into())) },
    );
    let authority = addr.to_string();
    until_answered(&target, &call).await;
    let sender = connect(&target).await;
    let direct = Direct::login(sim_addr).await;

    // Warm both paths (connections, Odoo's schema and currency in odoo-mesh) before measuring.
    for _ in 0..50 {
        unary(sender.clone(), "https", &authority, &call).await.expect("GetProduct");
        direct.read_product().await;
    }
    let calls_before = odoo_calls(admin).await;
    let (mut through, mut straight) = (Vec::new(), Vec::new());
    for _ in 0..blocks {
        for _ in 0..block {
            let started = Instant::now();
            unary(sender.clone(), "https", &authority, &call).await.expect("GetProduct");
            through.push(started.elapsed());
        }
        for _ in 0..block {
            let started = Instant::now();
            direct.read_product().await;
            straight.push(started.elapsed());
        }
    }
    let odoo_per_call = (odoo_calls(admin).await - calls_before) / through.len() as f64;

    println!("added latency: GetProduct by SKU through odoo-mesh (mutual TLS) vs the same search_read sent directly");
    if cfg!(debug_assertions) {
        println!("(a debug build, as in tests/run's smoke run: the figures prove the benchmark runs, not how fast)");
    }
    println!(
        "(odoo-mesh on core {SERVER_CORE} with one Tokio worker; simulator and clients on core {LOAD_CORE}; concurrency 1, {} calls each, in alternating blocks)",
        through.len()
    );
    let (a, b) = (percentiles(&mut through), percentiles(&mut straight));
    println!("                       p50        p99      p99.9");
    println!("  through odoo-mesh  {:>7.3} ms {:>7.3} ms {:>7.3} ms", a[0], a[1], a[2]);
    println!("  direct JSON-RPC    {:>7.3} ms {:>7.3} ms {:>7.3} ms", b[0], b[1], b[2]);
    println!(
        "  added              {:>7.3} ms {:>7.3} ms {:>7.3} ms   (targets: p50 ≤ 0.1 ms, p99 ≤ 0.5 ms); {odoo_per_call:.2} Odoo calls per GetProduct",
        a[0] - b[0],
        a[1] - b[1],
        a[2] - b[2]
    );
}

/// p50, p99 and p99.9 in milliseconds.
fn percentiles(samples: &mut [Duration]) -> [f64; 3] {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[index].as_secs_f64() * 1e3
    };
    [at(0.50), at(0.99), at(0.999)]
}

/// A JSON-RPC client of the simulator, as a service calling Odoo directly would be.
struct Direct {
    http: reqwest::Client,
    url: String,
    uid: i64,
}

impl Direct {
    async fn login(sim: std::net::SocketAddr) -> Self {
        let http = reqwest::Client::new();
        let url = format!("http://{sim}/jsonrpc");
        let direct = Self { http, url, uid: 0 };
        let uid = direct.call("common", "login", json!(["odoo", "admin", DEMO_API_KEY])).await;
        Self { uid: uid.as_i64().expect("a uid"), ..direct }
    }

    async fn read_product(&self) {
        let args = json!([
            "odoo",
            self.uid,
            DEMO_API_KEY,
            "product.product",
            "search_read",
            [[["default_code", "=", SKU]]],
            {"fields": PRODUCT_FIELDS, "limit": 2, "order": "id"}
        ]);
        let rows = self.call("object", "execute_kw", args).await;
        assert_eq!(rows.as_array().map(Vec::len), Some(1), "the product: {rows}");
    }

    async fn call(&self, service: &str, method: &str, args: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "method": "call", "params": {"service": service, "method": method, "args": args}, "id": 1});
        let answer: Value =
            self.http.post(&self.url).json(&body).send().await.expect("sent").json().await.expect("json");
        answer.get("result").cloned().unwrap_or_else(|| panic!("odoo refused: {answer}"))
    }
}
