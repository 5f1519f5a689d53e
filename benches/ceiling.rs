//! The ceiling: how close cached stock reads through odoo-mesh come to a bare tonic server on the
//! same core. Both run as processes pinned to core 0 with one Tokio worker; the load (4 HTTP/2
//! connections × 10 streams, closed loop, one fixed request) runs on core 1; plaintext (mesh mode)
//! and mutual TLS. Rounds alternate the two servers so that noise falls on both alike; the figures
//! are medians, and the ratios are the point. Also: server CPU per call, and the Odoo calls made
//! while the reads ran (only the view's polls: reads are answered from memory).
//! `cargo bench --bench ceiling` (add `-- --smoke` for a short run that only proves it works).

mod load;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use load::{
    Fixture, SKU,
    client::{Call, Completed, Target, closed_loop, mutual_tls, until_answered},
    odoo_calls,
    process::{self, LOAD_CORE, SERVER_CORE, Server, free_addr},
    summary::median,
};
use odoo_mesh::proto::inventory::v1::GetStockLevelsRequest;

const CONNECTIONS: usize = 4;
const STREAMS: usize = 10;

struct Settings {
    rounds: usize,
    warm_up: Duration,
    measure: Duration,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--bare-server") {
        let addr = args[at + 1].parse().expect("address");
        let pki = args.get(at + 2).map(PathBuf::from);
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
        runtime.block_on(load::bare::serve(addr, pki.as_deref()));
        return;
    }
    if let Some(code) = process::pin_self_to_load_core() {
        std::process::exit(code);
    }
    let settings = if args.iter().any(|a| a == "--smoke") {
        Settings { rounds: 1, warm_up: Duration::from_millis(100), measure: Duration::from_millis(300) }
    } else {
        Settings { rounds: 3, warm_up: Duration::from_secs(1), measure: Duration::from_secs(4) }
    };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(run(&settings));
}

async fn run(settings: &Settings) {
    let fixture = Fixture::new("ceiling");
    let mesh_binary = Path::new(env!("CARGO_BIN_EXE_odoo-mesh"));
    let sim_addr = free_addr();
    let _sim =
        Server::start("simulator", sim_addr, LOAD_CORE, mesh_binary, &["sim".into(), format!("--listen={sim_addr}")]);
    let mesh = |name: &'static str, tls: bool| {
        let (addr, admin) = (free_addr(), free_addr());
        (Server::start(name, addr, SERVER_CORE, mesh_binary, &fixture.serve_args(addr, admin, sim_addr, tls)), admin)
    };
    let bare = |name: &'static str, tls: bool| {
        let addr = free_addr();
        let mut args = vec!["--bare-server".to_owned(), addr.to_string()];
        if tls {
            args.push(fixture.dir.display().to_string());
        }
        Server::start(name, addr, SERVER_CORE, &std::env::current_exe().expect("own path"), &args)
    };
    let (mesh_plain, admin_plain) = mesh("odoo-mesh", false);
    let (mesh_tls, admin_tls) = mesh("odoo-mesh", true);
    let (bare_plain, bare_tls) = (bare("bare tonic", false), bare("bare tonic", true));

    let pki = &fixture.pki;
    let client_tls = mutual_tls(&pki.ca_pem, &pki.client.cert, &pki.client.key);
    let health = Call::new("/grpc.health.v1.Health/Check", &tonic_health::pb::HealthCheckRequest::default());
    let stock = Call::new(
        "/odoomesh.inventory.v1.InventoryService/GetStockLevels",
        &GetStockLevelsRequest {
            skus: vec![SKU.into()],
            warehouses: Vec::new(),
            max_staleness: Some(prost_types::Duration { seconds: 60, nanos: 0 }),
        },
    );

    println!("ceiling: cached GetStockLevels through odoo-mesh vs a bare tonic health check");
    if cfg!(debug_assertions) {
        println!("(a debug build, as in tests/run's smoke run: the figures prove the benchmark runs, not how fast)");
    }
    println!(
        "(servers on core {SERVER_CORE} with one Tokio worker, load on core {LOAD_CORE}: {CONNECTIONS} connections x {STREAMS} streams, closed loop; medians of {} rounds of {:?})",
        settings.rounds, settings.measure
    );
    for (transport, tls, bare, mesh, admin) in [
        ("plaintext", None, &bare_plain, &mesh_plain, admin_plain),
        ("mutual TLS", Some(client_tls.clone()), &bare_tls, &mesh_tls, admin_tls),
    ] {
        let bare_target = Target { addr: bare.addr, tls: tls.clone() };
        let mesh_target = Target { addr: mesh.addr, tls };
        until_answered(&bare_target, &health).await;
        until_answered(&mesh_target, &stock).await;
        let odoo_before = odoo_calls(admin).await;
        let (mut bare_runs, mut mesh_runs) = (Vec::new(), Vec::new());
        for _ in 0..settings.rounds {
            bare_runs.push(measure(bare, &bare_target, &health, settings).await);
            mesh_runs.push(measure(mesh, &mesh_target, &stock, settings).await);
        }
        let odoo_during = odoo_calls(admin).await - odoo_before;
        let (bare_rate, bare_cpu) = medians(&bare_runs);
        let (mesh_rate, mesh_cpu) = medians(&mesh_runs);
        let reads: u64 = mesh_runs.iter().map(|(done, _)| done.ok).sum();
        println!("  {transport}:");
        println!("    bare tonic health check    {bare_rate:>9.0} calls/s   {bare_cpu:>6.1} µs server CPU per call");
        println!("    odoo-mesh cached stock read {mesh_rate:>8.0} calls/s   {mesh_cpu:>6.1} µs server CPU per call");
        println!(
            "    ratio {:.2} of the bare server's throughput (target ≥ 0.75), {:.2}x its CPU per call; {odoo_during:.0} Odoo calls during {reads} reads (the view's polls)",
            mesh_rate / bare_rate,
            mesh_cpu / bare_cpu
        );
        let failed: u64 = bare_runs.iter().chain(&mesh_runs).map(|(done, _)| done.failed).sum();
        assert_eq!(failed, 0, "{transport}: calls failed under load");
    }
}

/// One warmed-up run: what it completed, and the server's CPU per completed call.
async fn measure(server: &Server, target: &Target, call: &Call, settings: &Settings) -> (Completed, Duration) {
    closed_loop(target, call, CONNECTIONS, STREAMS, settings.warm_up).await;
    let cpu_before = server.cpu_time();
    let done = closed_loop(target, call, CONNECTIONS, STREAMS, settings.measure).await;
    let cpu = server.cpu_time() - cpu_before;
    let per_call = cpu.checked_div(u32::try_from(done.ok.max(1)).unwrap_or(u32::MAX)).unwrap_or_default();
    (done, per_call)
}

/// Median throughput (calls/s) and median CPU per call (µs).
fn medians(runs: &[(Completed, Duration)]) -> (f64, f64) {
    let rates = median(runs.iter().map(|(done, _)| done.per_second()));
    let cpu = median(runs.iter().map(|(_, per_call)| per_call.as_secs_f64() * 1e6));
    (rates, cpu)
}
