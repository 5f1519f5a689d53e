//! Overload: ten times more calls than Odoo can serve. Odoo (the simulator, as a process) takes
//! 20 ms for every product read; odoo-mesh may have 4 calls in flight toward it, so Odoo serves
//! at most 4 / 20 ms = 200 calls per second, and the load offers 2,000: `GetProduct` by SKU, a
//! pass-through read that goes to Odoo every time, each for a SKU of its own so that no two are
//! coalesced into one Odoo read (no product has them: Odoo finds none, and the answer is
//! NOT_FOUND after the read). Open loop over mutual TLS: calls leave at the fixed rate whatever
//! the answers, so a queue shows in the times. odoo-mesh runs pinned to core 0 with one Tokio
//! worker; the load and the simulator run on core 1.
//!
//! Twice: with the default queue timeout (a call waits up to 2 s for a free Odoo slot before it
//! is refused) and with a short one (10 ms), to show what the refusals' time follows. Reports
//! the most calls Odoo had in flight at once (the simulator counts them), the times of admitted
//! calls (answered after Odoo) and of refused ones (RESOURCE_EXHAUSTED or UNAVAILABLE), and
//! odoo-mesh's resident memory. `cargo bench --bench overload` (`-- --smoke` for a short run).

mod load;

use std::{path::Path, time::Duration};

use load::{
    Fixture,
    client::{Call, Target, connect, mutual_tls, until_answered},
    memory::{self, Memory},
    open_loop::{self, Outcome},
    process::{self, LOAD_CORE, SERVER_CORE, Server, free_addr},
    sim::Sim,
    summary::{median, ms, percentile},
};
use odoo_mesh::proto::inventory::v1::{GetProductRequest, get_product_request::Product};
use odoo_simulator::{Fault, FaultRule};
use tonic::Code;

const GET_PRODUCT: &str = "/odoomesh.inventory.v1.InventoryService/GetProduct";
/// `--odoo-max-concurrency`: the Odoo workers odoo-mesh may keep busy.
const LIMIT: u64 = 4;
/// How long Odoo takes for a product read.
const ODOO_LATENCY: Duration = Duration::from_millis(20);
/// Offered load, as a multiple of what Odoo serves.
const OVERLOAD: f64 = 10.0;
/// HTTP/2 connections the load is spread over: enough streams (256 each) for every queued call.
const CONNECTIONS: usize = 32;
const REJECTION_P99_TARGET: Duration = Duration::from_millis(1);

struct Settings {
    rounds: usize,
    /// How long each round offers the load.
    round: Duration,
    /// A round of load first, not measured (none in a smoke run).
    warm_up: Duration,
    /// Whether the short queue timeout is measured too. Not in a smoke run: in a debug build the
    /// calls odoo-mesh makes at start outlast it, refuse each other, and it never becomes ready.
    short_queue: bool,
}

/// A configuration of odoo-mesh's admission.
struct Admission {
    name: &'static str,
    /// `--odoo-queue-timeout`, when not the default.
    queue_timeout: Option<&'static str>,
    /// The longest a call waits for a slot: after this, calls still queued are refused.
    longest_wait: Duration,
}

/// What one round came to.
struct Round {
    admitted: Vec<Duration>,
    rejected: Vec<Duration>,
    /// Calls that ended otherwise (another gRPC code, or none).
    other: Vec<Option<u32>>,
    /// How late calls left against the schedule: the load generator's own lag (p99).
    lateness_p99: Duration,
}

fn main() {
    process::run_pinned(|smoke| async move {
        let settings = if smoke {
            Settings { rounds: 1, round: Duration::from_millis(300), warm_up: Duration::ZERO, short_queue: false }
        } else {
            Settings { rounds: 3, round: Duration::from_secs(5), warm_up: Duration::from_secs(1), short_queue: true }
        };
        run(&settings).await;
    });
}

async fn run(settings: &Settings) {
    let fixture = Fixture::new("overload");
    let capacity = LIMIT as f64 / ODOO_LATENCY.as_secs_f64();
    let offered = capacity * OVERLOAD;
    println!(
        "overload: {offered:.0} GetProduct calls/s offered, {OVERLOAD}x what Odoo serves ({LIMIT} calls in flight x {} ms each = {capacity:.0}/s)",
        ODOO_LATENCY.as_millis()
    );
    if cfg!(debug_assertions) {
        println!("(a debug build, as in the CI smoke run: the figures prove the benchmark runs, not how fast)");
    }
    println!(
        "(odoo-mesh on core {SERVER_CORE} with one Tokio worker, --odoo-max-concurrency={LIMIT}, mutual TLS; simulator and open-loop load on core {LOAD_CORE}, {CONNECTIONS} connections; every call a SKU of its own; medians of {} rounds of {:?})",
        settings.rounds, settings.round
    );
    println!("(reads may use 3/4 of the slots, so at most {} product reads run at once)", LIMIT * 3 / 4);
    let default =
        Admission { name: "default queue timeout (2 s)", queue_timeout: None, longest_wait: Duration::from_secs(2) };
    // Not zero: with no wait at all, the calls odoo-mesh makes at start (the views' loads, the
    // capability check) take each other's slots, are refused together again at every retry, and
    // it never becomes ready.
    let short =
        Admission { name: "queue timeout 10 ms", queue_timeout: Some("10ms"), longest_wait: Duration::from_millis(10) };
    overload(&fixture, &default, offered, settings).await;
    if settings.short_queue {
        overload(&fixture, &short, offered, settings).await;
    }
}

/// One configuration: a fresh simulator and odoo-mesh, warmed up, then several rounds of load.
async fn overload(fixture: &Fixture, admission: &Admission, offered: f64, settings: &Settings) {
    let sim = Sim::start(LOAD_CORE).await;
    let (addr, admin) = (free_addr(), free_addr());
    let mut args = fixture.serve_args(addr, admin, sim.addr(), true);
    args.push(format!("--odoo-max-concurrency={LIMIT}"));
    if let Some(timeout) = admission.queue_timeout {
        args.push(format!("--odoo-queue-timeout={timeout}"));
    }
    let mesh = Server::start("odoo-mesh", addr, SERVER_CORE, Path::new(env!("CARGO_BIN_EXE_odoo-mesh")), &args);
    let pki = &fixture.pki;
    let target = Target { addr, tls: Some(mutual_tls(&pki.ca_pem, &pki.client.cert, &pki.client.key)) };
    until_answered(&target, &get_product(load::SKU)).await;
    let latency = u64::try_from(ODOO_LATENCY.as_millis()).expect("a short latency");
    sim.inject(&FaultRule::always(Fault::Latency { millis: latency }).on("product.product", "search_read")).await;
    let mut senders = Vec::new();
    for _ in 0..CONNECTIONS {
        senders.push(connect(&target).await);
    }
    // Every call a SKU no other call asks for, across warm-up and rounds.
    let mut next = 0_u64;
    let mut load = |duration: Duration| {
        let first = next;
        next += (offered * duration.as_secs_f64()).ceil() as u64 + 1;
        open_loop::run(&target, &senders, move |i| get_product(&format!("BENCH-{}", first + i)), offered, duration)
    };
    let drained = admission.longest_wait + ODOO_LATENCY * 10 + Duration::from_millis(500);

    if !settings.warm_up.is_zero() {
        load(settings.warm_up).await;
        tokio::time::sleep(drained).await;
    }
    let before = memory::of(mesh.pid());
    let mut rounds = Vec::new();
    for _ in 0..settings.rounds {
        let run = load(settings.round).await;
        rounds.push(classify(&run.outcomes, percentile(&run.lateness, 0.99)));
        tokio::time::sleep(drained).await;
    }
    let after = memory::of(mesh.pid());
    let max_in_flight = sim.stats().await.max_in_flight;
    report(admission, &rounds, max_in_flight, before, after);

    let other: usize = rounds.iter().map(|r| r.other.len()).sum();
    assert!(max_in_flight <= LIMIT, "Odoo had {max_in_flight} calls in flight at once, over the limit of {LIMIT}");
    assert_eq!(
        other,
        0,
        "calls ended neither admitted nor refused: {:?}",
        rounds.iter().flat_map(|r| &r.other).take(5).collect::<Vec<_>>()
    );
}

fn get_product(sku: &str) -> Call {
    Call::new(GET_PRODUCT, &GetProductRequest { product: Some(Product::Sku(sku.into())) })
}

/// Sorts a round's calls into admitted (answered after Odoo: OK, or NOT_FOUND as Odoo found no
/// such product), refused, and anything else.
fn classify(outcomes: &[Outcome], lateness_p99: Duration) -> Round {
    let mut round = Round { admitted: Vec::new(), rejected: Vec::new(), other: Vec::new(), lateness_p99 };
    for outcome in outcomes {
        match outcome.code.and_then(|code| i32::try_from(code).ok()).map(Code::from) {
            Some(Code::Ok | Code::NotFound) => round.admitted.push(outcome.latency),
            Some(Code::ResourceExhausted | Code::Unavailable) => round.rejected.push(outcome.latency),
            _ => round.other.push(outcome.code),
        }
    }
    round.admitted.sort_unstable();
    round.rejected.sort_unstable();
    round
}

fn report(admission: &Admission, rounds: &[Round], max_in_flight: u64, before: Memory, after: Memory) {
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let quantile = |pick: fn(&Round) -> &Vec<Duration>, q: f64| median(rounds.iter().map(|r| percentile(pick(r), q)));
    let (admitted_p50, admitted_p99) = (quantile(|r| &r.admitted, 0.50), quantile(|r| &r.admitted, 0.99));
    let (rejected_p50, rejected_p99) = (quantile(|r| &r.rejected, 0.50), quantile(|r| &r.rejected, 0.99));
    let admitted: usize = rounds.iter().map(|r| r.admitted.len()).sum();
    let rejected: usize = rounds.iter().map(|r| r.rejected.len()).sum();
    let lateness = median(rounds.iter().map(|r| r.lateness_p99));
    println!("  {}:", admission.name);
    println!(
        "    Odoo calls in flight at most: {max_in_flight} (target ≤ {LIMIT}, the configured limit) — {}",
        verdict(max_in_flight <= LIMIT)
    );
    println!(
        "    admitted {admitted:>6} calls   p50 {:>8.2} ms   p99 {:>8.2} ms   (bounded by the queue timeout + Odoo's {} ms)",
        ms(admitted_p50),
        ms(admitted_p99),
        ODOO_LATENCY.as_millis()
    );
    println!(
        "    refused  {rejected:>6} calls   p50 {:>8.2} ms   p99 {:>8.2} ms   (target p99 < {} ms) — {}",
        ms(rejected_p50),
        ms(rejected_p99),
        REJECTION_P99_TARGET.as_millis(),
        verdict(rejected > 0 && rejected_p99 < REJECTION_P99_TARGET)
    );
    println!(
        "    odoo-mesh resident memory: {} KiB before, {} KiB at the peak, {} KiB after; the load left {:.2} ms late at p99",
        before.resident,
        after.peak,
        after.resident,
        ms(lateness)
    );
}
