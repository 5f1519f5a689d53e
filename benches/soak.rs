//! The fault soak: a realistic mix of calls against odoo-mesh in front of the Odoo simulator, each
//! a process of its own, while Odoo misbehaves on a schedule, odoo-mesh is restarted and its
//! certificate rotated; then everything is checked against what Odoo holds.
//!
//! Driven: shoppers capturing sales orders (some confirmed in the same call), each retried with the
//! same `request_id` on the codes that say "try again" and sometimes sent again after it succeeded,
//! then confirming, validating the delivery, invoicing and paying it (each write under its own
//! `request_id`, retried the same way); a stock clerk's counts topping stock up (`AdjustInventory`);
//! stock watchers that drop their stream at random and resume with their token, and one that
//! consumes slowly and is expected to be ended as too slow (and then resumes) rather than to slow
//! anyone down. Faults, in a cycle of a minute: Odoo latency spikes, 502 and 503 from a proxy,
//! connections reset, writes that commit and lose their answer, serialization failures, a restart
//! of odoo-mesh (SIGTERM, drain, a fresh process on the same ports) and a rotation of its
//! certificate. The last part of the run is without faults, then the checks.
//!
//! Must be zero, or the soak exits 1 saying which: duplicate orders, validations, invoices and
//! payments in Odoo (and writes answered OK that Odoo does not hold); stock events lost (a
//! watcher's last levels that still differ from Odoo's once everything settled); panics and
//! crashes of odoo-mesh; Odoo calls in flight above `--odoo-max-concurrency`.
//!
//! `cargo bench --bench soak -- --duration 10m [--seed N]`; CI runs
//! `cargo test --bench soak -- --duration 150s` (a debug build).

mod load;

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    future::Future,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use load::{CUSTOMER_REF, memory, metric, process, stack::Stack, try_metric};
use odoo_mesh_client::{
    Clients, Retry, Tls, error_reason, field_violations,
    proto::{
        common::v1::Quantity,
        finance::v1::{CreateInvoiceRequest, RegisterPaymentRequest},
        inventory::v1::{
            AdjustInventoryRequest, AdjustInventoryResponse, GetStockLevelsRequest, InventoryCount, StockLevel,
            WatchEventType, WatchStockLevelsRequest,
        },
        order::v1::{
            ConfirmSalesOrderRequest, CreateSalesOrderRequest, GetSalesOrderRequest, PartnerSelector,
            SalesOrderLineInput, partner_selector::Selector,
        },
        shipment::v1::ValidateShipmentRequest,
    },
    resume_token,
    tonic::{Code, Request, Response, Status},
};
use odoo_simulator::{Fault, FaultRule};
use serde_json::{Value, json};

/// The products ordered, counted and watched: stocked in the first warehouse (some in the
/// second too), in units.
const SKUS: [&str; 6] = ["E-COM07", "DST-PAL-120", "E-COM12", "FURN_8855", "WHS-BIN-S", "PKG-BOX-M"];
/// The first warehouse's stock location (`WH/Stock`), where the clerk's counts top stock up.
const COUNTED_LOCATION: &str = "locations/8";
const COUNTED_QUANTITY: &str = "300";

/// The slow consumer: how long it takes over each event while the workload runs (slower than
/// stock changes then, so that odoo-mesh's buffer for it fills within a restart cycle; at full
/// speed afterwards, to catch up), and the most its stream holds unread (bytes, a few events), so
/// that it falls behind rather than its connection buffering for it.
const SLOW_CONSUMER_PAUSE: Duration = Duration::from_secs(3);
const SLOW_CONSUMER_WINDOW: u32 = 2048;
/// Concurrent shoppers, and fast stock watchers (besides the slow one).
const SHOPPERS: usize = 6;
const WATCHERS: usize = 4;

/// odoo-mesh's limit on Odoo calls in flight, checked against what the simulator saw.
const ODOO_MAX_CONCURRENCY: u64 = 4;
/// The flags the soak runs odoo-mesh with: polls often enough for watchers to settle quickly,
/// heartbeats that keep tokens fresh, a small lag allowance so the slow consumer is ended as too
/// slow within the run (a stream is measured only while its buffer is full, which the fast
/// watchers never fill), a quick drain and quick certificate reloads.
fn serve_flags() -> Vec<String> {
    [
        format!("--odoo-max-concurrency={ODOO_MAX_CONCURRENCY}"),
        "--odoo-request-timeout=5s".to_owned(),
        "--watch-poll-interval=250ms".to_owned(),
        "--watch-heartbeat=1s".to_owned(),
        "--watch-max-lag=5".to_owned(),
        "--shutdown-grace=5s".to_owned(),
        "--reload-interval=500ms".to_owned(),
        "--health-interval=1s".to_owned(),
    ]
    .into()
}

/// Each call's own deadline (`grpc-timeout`): a write that outlives it goes on in odoo-mesh and
/// the retry answers it.
const CALL_TIMEOUT: Duration = Duration::from_secs(8);
/// How long one call is retried before it is given up. Longer than a claim takes to go stale
/// (a minute at the soak's request timeout), so a command a stopped process left half-done is
/// taken over and finished by a retry.
const RETRY_PATIENCE: Duration = Duration::from_secs(150);
/// The cycle of faults, repeated while faults run.
const FAULT_CYCLE: Duration = Duration::from_secs(60);
/// How long everything may take to settle after the run before a watcher counts as having lost
/// events.
const SETTLE_PATIENCE: Duration = Duration::from_secs(90);

struct Settings {
    duration: Duration,
    seed: u64,
}

impl Settings {
    /// `--duration 150s` (humantime; 10 minutes without) and `--seed N` (the time without);
    /// anything else cargo passes (`--bench`) is ignored.
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let value = |name: &str| {
            args.iter().enumerate().find_map(|(i, arg)| match arg.strip_prefix(name) {
                Some("") => args.get(i + 1).cloned(),
                Some(rest) => rest.strip_prefix('=').map(str::to_owned),
                None => None,
            })
        };
        let duration = value("--duration").map_or(Duration::from_secs(600), |d| {
            humantime::parse_duration(&d).unwrap_or_else(|e| panic!("--duration {d}: {e}"))
        });
        let seed = value("--seed").map_or_else(
            || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_secs()),
            |s| s.parse().unwrap_or_else(|e| panic!("--seed {s}: {e}")),
        );
        Self { duration, seed }
    }

    /// Faults run for the first part of the run, leaving the rest quiet: at least 20 s, a tenth of
    /// a long run.
    fn faults_until(&self) -> Duration {
        self.duration.saturating_sub(Duration::from_secs(20).max(self.duration / 10))
    }
}

fn main() {
    let settings = Settings::from_args();
    process::run_pinned(|_| async move {
        let failures = soak(&settings).await;
        if !failures.is_empty() {
            eprintln!("soak FAILED (seed {}):", settings.seed);
            for failure in &failures {
                eprintln!("  - {failure}");
            }
            std::process::exit(1);
        }
        println!("soak passed (seed {})", settings.seed);
    });
}

/// What the workload did and saw, shared by its tasks.
#[derive(Default)]
struct Tally {
    /// Calls by RPC and outcome code.
    calls: Mutex<BTreeMap<(&'static str, String), u64>>,
    orders: Mutex<Vec<Case>>,
    validations: Mutex<Vec<Case>>,
    invoices: Mutex<Vec<Case>>,
    payments: Mutex<Vec<Case>>,
    /// Writes sent again after they succeeded, and those answered as something else than a replay
    /// of the first (must be 0).
    resent: AtomicU64,
    resent_not_replayed: Mutex<Vec<String>>,
    /// Calls given up on after `RETRY_PATIENCE`, by RPC.
    given_up: Mutex<BTreeMap<&'static str, u64>>,
    /// Calls that ended in an error after their retries: by RPC, code and reason, with the
    /// message of the first.
    refused: Mutex<Refusals>,
}

/// By RPC and "code reason": how many, and the first few (what, tries, message).
type Refusals = BTreeMap<(&'static str, String), (u64, Vec<String>)>;

/// One write and its `request_id`: the record it names (the order's resource name for an order,
/// a validation and an invoice, the invoice's for a payment) and whether it was answered OK.
#[derive(Debug, Clone)]
struct Case {
    request_id: String,
    order_id: i64,
    ok: bool,
    /// Answered an error that says not to try again (not given up on after retries).
    refused: bool,
}

impl Case {
    fn of<T>(request_id: &str, order_id: i64, answer: &Result<T, Status>) -> Self {
        let refused = answer.as_ref().err().is_some_and(|s| Retry::of(s) == Retry::Never && !broken_connection(s));
        Self { request_id: request_id.to_owned(), order_id, ok: answer.is_ok(), refused }
    }
}

impl Tally {
    fn count(&self, rpc: &'static str, code: Code) {
        let mut calls = self.calls.lock().expect("tally");
        *calls.entry((rpc, format!("{code:?}"))).or_default() += 1;
    }

    /// Notes a call that failed for good: `what` it was about (a request_id, a record), the codes
    /// of its tries, and the last status.
    fn refuse(&self, rpc: &'static str, what: &str, tries: &[Code], status: &Status) {
        let reason = error_reason(status).unwrap_or_default();
        let mut refused = self.refused.lock().expect("tally");
        let entry = refused.entry((rpc, format!("{:?} {reason}", status.code()))).or_default();
        entry.0 += 1;
        if entry.1.len() < 3 {
            let message: String = status.message().chars().take(160).collect();
            entry.1.push(format!("{what}, tries {tries:?}: {message}"));
        }
    }
}

/// Sends a call until it succeeds, the same request each time: again after what `RetryInfo` asks
/// or a backoff on the codes that say so (and on a broken connection, which shows as `UNKNOWN`,
/// `CANCELLED` or `INTERNAL` from the client's side), for at most `RETRY_PATIENCE`.
async fn retried<T, F, Fut>(tally: &Tally, rpc: &'static str, what: &str, mut send: F) -> Result<T, Status>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>, Status>>,
{
    let deadline = Instant::now() + RETRY_PATIENCE;
    let mut backoff = Duration::from_millis(100);
    let mut tries = Vec::new();
    loop {
        let status = match send().await {
            Ok(response) => {
                tally.count(rpc, Code::Ok);
                return Ok(response.into_inner());
            }
            Err(status) => status,
        };
        tally.count(rpc, status.code());
        tries.push(status.code());
        let wait = match Retry::of(&status) {
            Retry::After(delay) => delay.max(Duration::from_millis(20)),
            Retry::Backoff => backoff,
            Retry::Never if broken_connection(&status) => backoff,
            Retry::Never => {
                tally.refuse(rpc, what, &tries, &status);
                return Err(status);
            }
        };
        if Instant::now() + wait > deadline {
            *tally.given_up.lock().expect("tally").entry(rpc).or_default() += 1;
            tally.refuse(rpc, what, &tries, &status);
            return Err(status);
        }
        tokio::time::sleep(wait).await;
        backoff = (backoff * 2).min(Duration::from_secs(3));
    }
}

/// A status the client made up because the connection broke (not one odoo-mesh sent, which would
/// carry `ErrorInfo`).
fn broken_connection(status: &Status) -> bool {
    matches!(status.code(), Code::Unknown | Code::Cancelled | Code::Internal) && error_reason(status).is_none()
}

fn with_timeout<T>(message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.set_timeout(CALL_TIMEOUT);
    request
}

/// The workload's shared state.
struct Ctx {
    clients: Clients,
    tally: Tally,
    seed: u64,
    /// Set when shoppers and the clerk should finish what they are doing and stop.
    stopping: AtomicBool,
}

/// A shopper: captures orders one after the other, and takes most of them through delivery,
/// invoice and payment.
async fn shopper(ctx: Arc<Ctx>, number: usize) {
    let mut rng = fastrand::Rng::with_seed(ctx.seed.wrapping_mul(1000).wrapping_add(number as u64));
    let mut sequence = 0;
    while !ctx.stopping.load(Ordering::Relaxed) {
        sequence += 1;
        let request_id = format!("soak-{}-{number}-{sequence}", ctx.seed);
        business_event(&ctx, &mut rng, &request_id).await;
        tokio::time::sleep(Duration::from_millis(rng.u64(20..200))).await;
    }
}

/// One cart: the order, then (mostly) its delivery, invoice and payment.
async fn business_event(ctx: &Ctx, rng: &mut fastrand::Rng, request_id: &str) {
    let tally = &ctx.tally;
    let lines = (0..rng.usize(1..=2))
        .map(|i| SalesOrderLineInput {
            sku: SKUS[(rng.usize(..SKUS.len()) + i) % SKUS.len()].into(),
            quantity: Some(Quantity { value: rng.u32(1..=3).to_string(), unit_of_measure: String::new() }),
            ..Default::default()
        })
        .collect();
    let confirm = rng.bool();
    let request = CreateSalesOrderRequest {
        request_id: request_id.to_owned(),
        customer: Some(PartnerSelector { selector: Some(Selector::Reference(CUSTOMER_REF.into())) }),
        lines,
        customer_reference: request_id.to_owned(),
        confirm,
        ..Default::default()
    };
    let create = |request: CreateSalesOrderRequest| {
        let mut client = ctx.clients.orders.clone();
        async move { client.create_sales_order(with_timeout(request)).await }
    };
    let created = retried(tally, "CreateSalesOrder", request_id, || create(request.clone())).await;
    let order = created.as_ref().ok().and_then(|c| c.sales_order.clone());
    let mut case = Case::of(request_id, 0, &created);
    if let Some(order) = &order {
        case.order_id = order.id;
    }
    tally.orders.lock().expect("tally").push(case.clone());
    let Some(order) = order else { return };
    if rng.f32() < 0.2 {
        resend(
            tally,
            "CreateSalesOrder",
            request_id,
            &order.name,
            || create(request.clone()),
            |again| (again.replayed, again.sales_order.map(|o| o.name).unwrap_or_default()),
        )
        .await;
    }
    if !confirm {
        let confirm = || {
            let mut client = ctx.clients.orders.clone();
            let request = ConfirmSalesOrderRequest { name: order.name.clone() };
            async move { client.confirm_sales_order(with_timeout(request)).await }
        };
        if retried(tally, "ConfirmSalesOrder", &order.name, confirm).await.is_err() {
            return;
        }
    }
    if rng.f32() < 0.15 {
        return; // Confirmed, left for the warehouse another day.
    }
    let read = || {
        let mut client = ctx.clients.orders.clone();
        let request = GetSalesOrderRequest { name: order.name.clone() };
        async move { client.get_sales_order(with_timeout(request)).await }
    };
    let Ok(read) = retried(tally, "GetSalesOrder", &order.name, read).await else { return };
    let Some(delivery) = read.sales_order.and_then(|o| o.shipments.into_iter().next()) else { return };

    let validation = ValidateShipmentRequest {
        request_id: format!("{request_id}-ship"),
        name: delivery.clone(),
        ..Default::default()
    };
    let validate = |request: ValidateShipmentRequest| {
        let mut client = ctx.clients.shipments.clone();
        async move { client.validate_shipment(with_timeout(request)).await }
    };
    let validated = retried(tally, "ValidateShipment", &validation.request_id, || validate(validation.clone())).await;
    let case = Case::of(&validation.request_id, order.id, &validated);
    tally.validations.lock().expect("tally").push(case);
    let Ok(validated) = validated else { return };
    if rng.f32() < 0.2 {
        let first = validated.shipment.map(|s| s.name).unwrap_or_default();
        resend(
            tally,
            "ValidateShipment",
            &validation.request_id,
            &first,
            || validate(validation.clone()),
            |again| (again.replayed, again.shipment.map(|s| s.name).unwrap_or_default()),
        )
        .await;
    }
    if rng.f32() < 0.1 {
        return;
    }

    let invoicing = CreateInvoiceRequest {
        request_id: format!("{request_id}-inv"),
        sales_orders: vec![order.name.clone()],
        post: true,
        down_payment: None,
    };
    let invoice = || {
        let mut client = ctx.clients.finance.clone();
        let request = invoicing.clone();
        async move { client.create_invoice(with_timeout(request)).await }
    };
    let invoiced = retried(tally, "CreateInvoice", &invoicing.request_id, invoice).await;
    let case = Case::of(&invoicing.request_id, order.id, &invoiced);
    tally.invoices.lock().expect("tally").push(case);
    let Some(invoice) = invoiced.ok().and_then(|i| i.invoices.into_iter().next()) else { return };

    let payment = RegisterPaymentRequest {
        request_id: format!("{request_id}-pay"),
        invoices: vec![invoice.name.clone()],
        memo: format!("{request_id}-pay"),
        ..Default::default()
    };
    let pay = |request: RegisterPaymentRequest| {
        let mut client = ctx.clients.finance.clone();
        async move { client.register_payment(with_timeout(request)).await }
    };
    let paid = retried(tally, "RegisterPayment", &payment.request_id, || pay(payment.clone())).await;
    let case = Case::of(&payment.request_id, order.id, &paid);
    tally.payments.lock().expect("tally").push(case);
    if let Ok(paid) = paid
        && rng.f32() < 0.2
    {
        let first = paid.payment.map(|p| p.name).unwrap_or_default();
        resend(
            tally,
            "RegisterPayment",
            &payment.request_id,
            &first,
            || pay(payment.clone()),
            |again| (again.replayed, again.payment.map(|p| p.name).unwrap_or_default()),
        )
        .await;
    }
}

/// Sends a write that succeeded again, as a client that missed the answer would: it must be
/// answered as a replay naming the same record.
async fn resend<T, F, Fut>(
    tally: &Tally,
    rpc: &'static str,
    request_id: &str,
    first: &str,
    send: F,
    replay: impl FnOnce(T) -> (bool, String),
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Response<T>, Status>>,
{
    tally.resent.fetch_add(1, Ordering::Relaxed);
    let Ok(again) = retried(tally, rpc, request_id, send).await else { return };
    let (replayed, name) = replay(again);
    if !replayed || name != first {
        let what = format!("{rpc} {request_id}: first {first}, sent again {name} (replayed: {replayed})");
        tally.resent_not_replayed.lock().expect("tally").push(what);
    }
}

/// A stock clerk: every few seconds, a count of one product in `WH/Stock` that tops it up, so
/// deliveries keep finding stock (and watchers see stock rise as well as fall).
async fn clerk(ctx: Arc<Ctx>) {
    let mut rng = fastrand::Rng::with_seed(ctx.seed ^ 0x00c1_e4c0);
    let mut sequence = 0;
    while !ctx.stopping.load(Ordering::Relaxed) {
        sequence += 1;
        let _ = top_up(&ctx, sequence, &[SKUS[rng.usize(..SKUS.len())]]).await;
        tokio::time::sleep(Duration::from_millis(rng.u64(1000..3000))).await;
    }
}

/// Counts `skus` at `COUNTED_QUANTITY` in `WH/Stock`, the clerk's `sequence`-th count (0 before the
/// workload, so that the first orders find stock to reserve: Odoo does not reserve an order
/// confirmed short when stock arrives later).
async fn top_up(ctx: &Ctx, sequence: u64, skus: &[&str]) -> Result<AdjustInventoryResponse, Status> {
    let request = AdjustInventoryRequest {
        request_id: format!("soak-{}-count-{sequence}", ctx.seed),
        counts: skus
            .iter()
            .map(|sku| InventoryCount {
                sku: (*sku).into(),
                location: COUNTED_LOCATION.into(),
                counted: Some(Quantity { value: COUNTED_QUANTITY.into(), unit_of_measure: String::new() }),
                counted_at: None,
            })
            .collect(),
    };
    let count = || {
        let mut client = ctx.clients.inventory.clone();
        let request = request.clone();
        async move { client.adjust_inventory(with_timeout(request)).await }
    };
    retried(&ctx.tally, "AdjustInventory", &request.request_id, count).await
}

/// The levels of one product in one warehouse, as compared: every figure's decimal text.
type Levels = [String; 6];
/// (SKU, warehouse resource name).
type Key = (String, String);

fn levels(level: &StockLevel) -> Levels {
    let text = |q: &Option<Quantity>| q.as_ref().map(|q| q.value.clone()).unwrap_or_default();
    [
        text(&level.on_hand),
        text(&level.reserved),
        text(&level.available_to_promise),
        text(&level.incoming),
        text(&level.outgoing),
        text(&level.forecast),
    ]
}

/// What one watcher has seen.
#[derive(Default)]
struct Watched {
    /// The newest levels per key.
    levels: BTreeMap<Key, Levels>,
    events: u64,
    /// Streams it dropped itself and resumed with its token.
    resumed: u64,
    /// Streams that ended under it (drain, broken connection) and were resumed with a token.
    ended: u64,
    /// Streams ended as too slow (`CONSUMER_TOO_SLOW`).
    too_slow: u64,
    /// Times it had to list again from scratch (token expired or refused).
    resyncs: u64,
    /// How its streams ended, by code and reason.
    endings: BTreeMap<String, u64>,
}

/// A stock watcher of every SKU in every warehouse. A fast one drops its stream at random (after
/// 2 to 20 s) and resumes with its token; the slow one takes `slow` over each event until the
/// workload is over.
async fn watcher(
    channel: Clients,
    seed: u64,
    slow: Option<Duration>,
    seen: Arc<Mutex<Watched>>,
    workload_over: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut client = channel.inventory;
    let mut token = String::new();
    let mut backoff = Duration::from_millis(100);
    while !stop.load(Ordering::Relaxed) {
        let request = WatchStockLevelsRequest {
            skus: SKUS.iter().map(|s| (*s).to_owned()).collect(),
            send_initial: token.is_empty(),
            resume_token: token.clone(),
            ..Default::default()
        };
        let life = if slow.is_some() { Duration::MAX } else { Duration::from_millis(rng.u64(2000..20000)) };
        let until = Instant::now().checked_add(life);
        let ended = match client.watch_stock_levels(request).await {
            Ok(stream) => {
                let mut stream = stream.into_inner();
                loop {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let wait = until.map_or(Duration::from_secs(1), |u| u.saturating_duration_since(Instant::now()));
                    if wait.is_zero() {
                        seen.lock().expect("watched").resumed += 1;
                        break None;
                    }
                    match tokio::time::timeout(wait.min(Duration::from_secs(1)), stream.message()).await {
                        Err(_) => continue,
                        Ok(Ok(Some(event))) => {
                            backoff = Duration::from_millis(100);
                            if !event.resume_token.is_empty() {
                                token.clone_from(&event.resume_token);
                            }
                            if let (WatchEventType::Snapshot | WatchEventType::Changed, Some(level)) =
                                (event.r#type(), &event.level)
                            {
                                let warehouse = level.warehouse.as_ref().map(|w| w.name.clone()).unwrap_or_default();
                                let mut seen = seen.lock().expect("watched");
                                seen.levels.insert((event.sku.clone(), warehouse), levels(level));
                                seen.events += 1;
                            }
                            if let Some(pause) = slow
                                && !workload_over.load(Ordering::Relaxed)
                            {
                                tokio::time::sleep(pause).await;
                            }
                        }
                        Ok(Ok(None)) => break Some(Status::unavailable("the stream ended without a status")),
                        Ok(Err(status)) => break Some(status),
                    }
                }
            }
            Err(status) => Some(status),
        };
        let Some(status) = ended else { continue };
        let ending = format!("{:?} {}", status.code(), error_reason(&status).unwrap_or_default());
        *seen.lock().expect("watched").endings.entry(ending).or_default() += 1;
        if must_list_again(&status) {
            seen.lock().expect("watched").resyncs += 1;
            token.clear();
            continue;
        }
        if error_reason(&status).as_deref() == Some("CONSUMER_TOO_SLOW") {
            seen.lock().expect("watched").too_slow += 1;
        } else {
            seen.lock().expect("watched").ended += 1;
        }
        if let Some(resume) = resume_token(&status) {
            token = resume;
        }
        let wait = match Retry::of(&status) {
            Retry::After(delay) => delay,
            _ => backoff,
        };
        backoff = (backoff * 2).min(Duration::from_secs(2));
        tokio::time::sleep(wait).await;
    }
}

/// Whether a watch cannot resume from its token and must list again (`send_initial`).
fn must_list_again(status: &Status) -> bool {
    match status.code() {
        Code::FailedPrecondition => error_reason(status).as_deref() == Some("RESUME_TOKEN_EXPIRED"),
        Code::InvalidArgument => field_violations(status).iter().any(|v| v.field == "resume_token"),
        _ => false,
    }
}

/// The write methods whose answer a `lose_response` fault loses after Odoo committed them.
const WRITE_METHODS: [&str; 7] = [
    "load",
    "action_confirm",
    "button_validate",
    "create_invoices",
    "action_post",
    "action_create_payments",
    "action_apply_inventory",
];

/// One step of the fault cycle.
#[derive(Debug, Clone, Copy)]
enum Step {
    LatencySpike,
    BadGateway,
    ServiceUnavailable,
    ConnectionResets,
    LostAnswers,
    SerializationFailures,
    Restart,
    Rotation,
    Clear,
}

/// The cycle: (offset in the cycle, step).
const SCHEDULE: [(u64, Step); 9] = [
    (0, Step::LatencySpike),
    (6, Step::BadGateway),
    (12, Step::ServiceUnavailable),
    (18, Step::ConnectionResets),
    (24, Step::LostAnswers),
    (30, Step::SerializationFailures),
    (38, Step::Restart),
    (46, Step::Rotation),
    (52, Step::Clear),
];

/// What the fault schedule did.
#[derive(Default)]
struct Disruptions {
    steps: BTreeMap<String, u64>,
    /// How each stopped odoo-mesh ended (`None`: it did not end within the patience and was
    /// killed).
    restarts: Vec<Option<std::process::ExitStatus>>,
    /// Rotations, and those after which odoo-mesh reported a successful reload.
    rotations: u64,
    rotations_reloaded: u64,
    /// The highest peak resident memory (KiB) of any odoo-mesh process.
    peak_rss_kib: u64,
    /// odoo-mesh processes that ended without being asked to (a crash).
    crashes: u64,
    /// Differences the periodic reconciliation of odoo-mesh's watched views found (changes its
    /// polls missed), summed over the processes.
    reconcile_differences: f64,
}

impl Disruptions {
    /// Notes what the running odoo-mesh reports before it is stopped.
    async fn before_stopping(&mut self, stack: &mut Stack) {
        if stack.mesh.exited().is_some() {
            return;
        }
        self.peak_rss_kib = self.peak_rss_kib.max(memory::of(stack.mesh.pid()).peak);
        let series = try_metric(stack.admin, "odoo_mesh_watch_reconcile_differences_total").await;
        self.reconcile_differences += series.unwrap_or_default().iter().map(|(_, v)| v).sum::<f64>();
    }
}

fn rule(fault: Fault, method: Option<&str>, times: usize) -> FaultRule {
    FaultRule { fault, model: None, method: method.map(str::to_owned), times: Some(times) }
}

/// Runs the fault cycle until `until` after `start`, then clears every fault.
async fn disrupt(stack: &mut Stack, start: Instant, until: Duration, disruptions: &mut Disruptions) {
    let mut cycle = 0u64;
    'cycles: loop {
        for (offset, step) in SCHEDULE {
            let at = FAULT_CYCLE * u32::try_from(cycle).expect("cycles") + Duration::from_secs(offset);
            if at >= until {
                break 'cycles;
            }
            while start.elapsed() < at {
                watch_process(stack, disruptions).await;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            apply(stack, step, disruptions).await;
            *disruptions.steps.entry(format!("{step:?}")).or_default() += 1;
        }
        cycle += 1;
    }
    stack.sim.clear_faults().await;
    while start.elapsed() < until {
        watch_process(stack, disruptions).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Notes odoo-mesh's memory, and starts it again if it ended by itself (a crash: counted).
async fn watch_process(stack: &mut Stack, disruptions: &mut Disruptions) {
    if let Some(status) = stack.mesh.exited() {
        eprintln!("odoo-mesh ended by itself: {status}");
        disruptions.crashes += 1;
        stack.restart_mesh(Duration::from_secs(30)).await;
        return;
    }
    let memory = memory::of(stack.mesh.pid());
    disruptions.peak_rss_kib = disruptions.peak_rss_kib.max(memory.peak);
}

async fn apply(stack: &mut Stack, step: Step, disruptions: &mut Disruptions) {
    let sim = &stack.sim;
    match step {
        Step::LatencySpike => sim.inject(&rule(Fault::Latency { millis: 1500 }, None, 40)).await,
        Step::BadGateway => sim.inject(&rule(Fault::HttpStatus { status: 502 }, None, 8)).await,
        Step::ServiceUnavailable => sim.inject(&rule(Fault::HttpStatus { status: 503 }, None, 8)).await,
        Step::ConnectionResets => sim.inject(&rule(Fault::DropConnection, None, 8)).await,
        Step::LostAnswers => {
            for method in WRITE_METHODS {
                sim.inject(&rule(Fault::LoseResponse, Some(method), 1)).await;
            }
        }
        Step::SerializationFailures => {
            sim.inject(&rule(Fault::SerializationFailure, None, 6)).await;
            sim.inject(&rule(Fault::SerializationFailure, Some("load"), 3)).await;
        }
        Step::Restart => {
            disruptions.before_stopping(stack).await;
            let ended = stack.restart_mesh(Duration::from_secs(30)).await;
            disruptions.restarts.push(ended);
        }
        Step::Rotation => {
            let before = tls_reloads(stack.admin).await;
            stack.fixture().rotate_server_certificate();
            disruptions.rotations += 1;
            let admin = stack.admin;
            let reloaded = tokio::time::timeout(Duration::from_secs(10), async {
                while tls_reloads(admin).await <= before {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
            .await;
            if reloaded.is_ok() {
                disruptions.rotations_reloaded += 1;
            }
        }
        Step::Clear => sim.clear_faults().await,
    }
}

/// Successful certificate reloads of the running odoo-mesh (0 when its admin port does not answer).
async fn tls_reloads(admin: std::net::SocketAddr) -> f64 {
    let series = try_metric(admin, "odoo_mesh_tls_reloads_total").await.unwrap_or_default();
    series.iter().filter(|(labels, _)| labels.get("outcome").is_some_and(|o| o == "success")).map(|(_, v)| v).sum()
}

/// The soak: returns what failed (empty when every must-be-zero counter is zero).
async fn soak(settings: &Settings) -> Vec<String> {
    println!(
        "fault soak: {:?}, seed {} (again: --seed {}), faults for the first {:?}",
        settings.duration,
        settings.seed,
        settings.seed,
        settings.faults_until()
    );
    let mut stack = Stack::start_with("soak", load::sim::DEFAULT_ODOO, &serve_flags(), true).await;
    let fixture = stack.fixture();
    let tls =
        Tls::from_pem(&fixture.pki.ca_pem, &fixture.pki.client.cert, &fixture.pki.client.key).domain_name("localhost");
    let target = format!("https://{}", stack.target.addr);
    // A channel of its own per client; `window` limits what its streams hold unread (HTTP/2's
    // flow-control window), as a consumer on a slow link would.
    let (tls, target) = (&tls, &target);
    let connect = |window: Option<u32>| async move {
        let deadline = Instant::now() + Duration::from_secs(60);
        let endpoint = tls.endpoint(target).expect("endpoint").initial_stream_window_size(window);
        loop {
            match endpoint.connect().await {
                Ok(channel) => return Clients::new(channel),
                Err(error) if Instant::now() > deadline => panic!("odoo-mesh accepts connections: {error}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    };
    let clients = connect(None).await;
    until_serving(&clients).await;

    let ctx = Arc::new(Ctx {
        clients: clients.clone(),
        tally: Tally::default(),
        seed: settings.seed,
        stopping: AtomicBool::new(false),
    });
    let (workload_over, stop_watching) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let mut watched = Vec::new();
    let mut watchers = Vec::new();
    for number in 0..=WATCHERS {
        let seen = Arc::new(Mutex::new(Watched::default()));
        let slow = (number == WATCHERS).then_some(SLOW_CONSUMER_PAUSE);
        let window = slow.map(|_| SLOW_CONSUMER_WINDOW);
        let seed = settings.seed.wrapping_add(7919 * (number as u64 + 1));
        watchers.push(tokio::spawn(watcher(
            connect(window).await,
            seed,
            slow,
            seen.clone(),
            workload_over.clone(),
            stop_watching.clone(),
        )));
        watched.push(seen);
    }
    top_up(&ctx, 0, &SKUS).await.expect("stock topped up");
    let mut workers: Vec<_> = (0..SHOPPERS).map(|n| tokio::spawn(shopper(ctx.clone(), n))).collect();
    workers.push(tokio::spawn(clerk(ctx.clone())));

    let start = Instant::now();
    let mut disruptions = Disruptions::default();
    disrupt(&mut stack, start, settings.faults_until(), &mut disruptions).await;
    while start.elapsed() < settings.duration {
        watch_process(&mut stack, &mut disruptions).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ctx.stopping.store(true, Ordering::Relaxed);
    let mut unfinished = 0;
    let finish_by = Instant::now() + RETRY_PATIENCE + Duration::from_secs(30);
    for worker in workers {
        let left = finish_by.saturating_duration_since(Instant::now());
        if tokio::time::timeout(left, worker).await.is_err() {
            unfinished += 1;
        }
    }
    let workload_time = start.elapsed();
    workload_over.store(true, Ordering::Relaxed);
    watch_process(&mut stack, &mut disruptions).await;

    // Settled: every watcher's levels equal Odoo's, or the patience is spent.
    let settle_start = Instant::now();
    let mut differing = Vec::new();
    while settle_start.elapsed() < SETTLE_PATIENCE {
        let truth = odoo_levels(&clients).await;
        differing = watched
            .iter()
            .enumerate()
            .flat_map(|(i, seen)| {
                let seen = seen.lock().expect("watched");
                truth
                    .iter()
                    .filter(|(key, levels)| seen.levels.get(*key) != Some(levels))
                    .map(|(key, levels)| format!("watcher {i}: {key:?} is {:?}, odoo {levels:?}", seen.levels.get(key)))
                    .collect::<Vec<_>>()
            })
            .collect();
        if differing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let settled_in = settle_start.elapsed();
    stop_watching.store(true, Ordering::Relaxed);
    for watcher in watchers {
        watcher.abort();
    }
    watch_process(&mut stack, &mut disruptions).await;
    let sim_stats = stack.sim.stats().await;
    let resyncs = metric(stack.admin, "odoo_mesh_watch_resyncs_total").await;

    // odoo-mesh's own view against Odoo's figures read directly.
    let direct_differences = direct_stock_differences(&stack, &clients).await;
    let checks = check_odoo(&stack, &ctx.tally, settings.seed).await;

    // Stop odoo-mesh as at a restart: a clean exit is expected.
    disruptions.before_stopping(&mut stack).await;
    let last = stack.mesh.terminate(Duration::from_secs(30)).await;
    disruptions.restarts.push(last);
    let panics = panics_in(stack.mesh_log());

    let mut report = Report::default();
    report.line(&format!(
        "ran {:.0?} (faults for {:.0?}), then settled in {settled_in:.1?}",
        workload_time,
        settings.faults_until()
    ));
    report.calls(&ctx.tally);
    report.line(&format!("fault steps: {:?}", disruptions.steps));
    report.checks(&checks);
    let resent = ctx.tally.resent.load(Ordering::Relaxed);
    let not_replayed = ctx.tally.resent_not_replayed.lock().expect("tally").clone();
    report.line(&format!("writes sent again after success: {resent}"));
    report.must_be_zero("writes sent again not answered as a replay of the first", &not_replayed);
    let given_up = ctx.tally.given_up.lock().expect("tally").clone();
    report.line(&format!(
        "calls given up after {RETRY_PATIENCE:?} of retries: {given_up:?}; tasks unfinished: {unfinished}"
    ));
    report.line("calls that ended in an error (after retries), with the first few:");
    for ((rpc, what), (n, examples)) in ctx.tally.refused.lock().expect("tally").iter() {
        report.line(&format!("  {rpc} {what}: {n}"));
        for example in examples {
            report.line(&format!("    {example}"));
        }
    }
    for (i, seen) in watched.iter().enumerate() {
        let seen = seen.lock().expect("watched");
        report.line(&format!(
            "watcher {i}{}: {} events, {} dropped and resumed, {} ended and resumed, {} ended as too slow, {} listed again; ended by {:?}",
            if i == WATCHERS { " (slow)" } else { "" },
            seen.events,
            seen.resumed,
            seen.ended,
            seen.too_slow,
            seen.resyncs,
            seen.endings
        ));
    }
    report.line(&format!("odoo-mesh's resyncs (last process): {}", series(&resyncs)));
    if disruptions.reconcile_differences > 0.0 {
        report.failures.push(format!(
            "odoo-mesh's reconciliation found {} stock differences its polls had missed (must be 0)",
            disruptions.reconcile_differences
        ));
    }
    report.must_be_zero("stock events lost (a watcher's levels differing from odoo's after settling)", &differing);
    report.line(&format!(
        "stock differences odoo-mesh's reconciliation found (polls missed): {}",
        disruptions.reconcile_differences
    ));
    report.must_be_zero("odoo-mesh's stock levels differing from odoo's figures read directly", &direct_differences);
    let slow = watched[WATCHERS].lock().expect("watched");
    if slow.too_slow == 0 {
        report.line("note: the slow consumer was never ended as too slow");
    }
    drop(slow);
    report.line(&format!(
        "restarts: {} (how each process ended: {:?}); certificate rotations: {} ({} reloaded)",
        disruptions.restarts.len() - 1,
        disruptions.restarts.iter().map(|s| s.map_or("killed".to_owned(), |s| s.to_string())).collect::<Vec<_>>(),
        disruptions.rotations,
        disruptions.rotations_reloaded
    ));
    let unclean: Vec<String> = disruptions
        .restarts
        .iter()
        .filter(|s| !s.is_some_and(|s| s.success()))
        .map(|s| {
            format!(
                "odoo-mesh stopped with SIGTERM ended {}",
                s.map_or("only when killed".to_owned(), |s| s.to_string())
            )
        })
        .chain((0..disruptions.crashes).map(|_| "odoo-mesh ended by itself".to_owned()))
        .collect();
    report.must_be_zero("panics of odoo-mesh", &panics);
    report.must_be_zero("unclean ends of odoo-mesh", &unclean);
    let rotations_missed = disruptions.rotations - disruptions.rotations_reloaded;
    if rotations_missed > 0 {
        report.failures.push(format!("{rotations_missed} certificate rotations not reloaded within 10 s"));
    }
    report.line(&format!("odoo-mesh peak resident memory: {:.1} MiB", disruptions.peak_rss_kib as f64 / 1024.0));
    report.line(&format!(
        "odoo's most calls in flight: {} (odoo-mesh's --odoo-max-concurrency: {ODOO_MAX_CONCURRENCY}); odoo calls: {}",
        sim_stats.max_in_flight, sim_stats.calls
    ));
    // A call odoo-mesh gave up on keeps its slot until Odoo answers (Odoo's worker carries on),
    // so Odoo never sees more than the limit.
    if sim_stats.max_in_flight > ODOO_MAX_CONCURRENCY {
        report.failures.push(format!(
            "odoo had {} calls in flight, above odoo-mesh's --odoo-max-concurrency {ODOO_MAX_CONCURRENCY}",
            sim_stats.max_in_flight
        ));
    }
    print!("{}", report.text);
    report.failures
}

/// Waits until odoo-mesh answers a stock read (its views loaded, Odoo reachable).
async fn until_serving(clients: &Clients) {
    process::until("odoo-mesh serves", Duration::from_secs(60), || async {
        let mut client = clients.inventory.clone();
        let request = GetStockLevelsRequest { skus: vec![SKUS[0].into()], ..Default::default() };
        client.get_stock_levels(with_timeout(request)).await.is_ok()
    })
    .await;
}

/// Odoo's levels of every SKU in every warehouse, read through odoo-mesh (which reads Odoo for
/// it: no `max_staleness`); empty if the read fails.
async fn odoo_levels(clients: &Clients) -> BTreeMap<Key, Levels> {
    let mut client = clients.inventory.clone();
    let request = GetStockLevelsRequest { skus: SKUS.iter().map(|s| (*s).to_owned()).collect(), ..Default::default() };
    let Ok(answer) = client.get_stock_levels(with_timeout(request)).await else { return BTreeMap::new() };
    let mut levels = BTreeMap::new();
    for item in answer.into_inner().items {
        for level in &item.levels {
            let warehouse = level.warehouse.as_ref().map(|w| w.name.clone()).unwrap_or_default();
            levels.insert((item.sku.clone(), warehouse), self::levels(level));
        }
    }
    // Never compare against nothing: a failed read keeps everyone waiting.
    if levels.is_empty() {
        levels.insert(("(odoo not read)".into(), String::new()), Default::default());
    }
    levels
}

/// Where odoo-mesh's on-hand figures differ from `qty_available` read from Odoo directly.
async fn direct_stock_differences(stack: &Stack, clients: &Clients) -> Vec<String> {
    let through_mesh = odoo_levels(clients).await;
    let mut differences = Vec::new();
    for ((sku, warehouse), levels) in &through_mesh {
        let Some(id) = warehouse.strip_prefix("warehouses/").and_then(|id| id.parse::<i64>().ok()) else {
            differences.push(format!("{sku}: no warehouse in {warehouse:?}"));
            continue;
        };
        let rows = stack
            .sim
            .execute(
                "product.product",
                "search_read",
                json!([[["default_code", "=", sku]]]),
                json!({"fields": ["qty_available"], "context": {"warehouse_id": id}}),
            )
            .await;
        let direct = rows[0]["qty_available"].as_f64().unwrap_or(f64::NAN);
        let mesh: f64 = levels[0].parse().unwrap_or(f64::NAN);
        if (direct - mesh).abs() > 1e-6 {
            differences.push(format!("{sku} in {warehouse}: odoo-mesh {mesh}, odoo {direct}"));
        }
    }
    differences
}

/// What Odoo holds of the soak's writes.
struct Checks {
    /// Lines: what was sent and found, per kind.
    summary: Vec<String>,
    /// Must-be-zero findings, by what they are.
    findings: Vec<(String, Vec<String>)>,
}

/// Reads back from Odoo what every `request_id` made.
async fn check_odoo(stack: &Stack, tally: &Tally, seed: u64) -> Checks {
    let sim = &stack.sim;
    let prefix = format!("soak-{seed}-");
    let orders = tally.orders.lock().expect("tally").clone();
    let validations = tally.validations.lock().expect("tally").clone();
    let invoices = tally.invoices.lock().expect("tally").clone();
    let payments = tally.payments.lock().expect("tally").clone();
    let mut summary = Vec::new();
    let mut findings = Vec::new();

    // Orders: one per request_id (its customer_reference), none missing that was answered OK.
    let order = OnePerRequest { kind: "orders", model: "sale.order", field: "client_order_ref" };
    let rows = order.check(sim, &prefix, &orders, &["invoice_ids"], &mut summary, &mut findings).await;

    // Validations: each order's first delivery validated at most once — no order with more done
    // deliveries than one, no line delivered beyond what was ordered.
    let validated: BTreeSet<i64> = validations.iter().map(|c| c.order_id).collect();
    let pickings = sim
        .execute(
            "stock.picking",
            "search_read",
            json!([[["sale_id", "in", validated.iter().collect::<Vec<_>>()], ["state", "=", "done"]]]),
            json!({"fields": ["sale_id", "name"]}),
        )
        .await;
    let mut done_per_order: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for picking in pickings.as_array().cloned().unwrap_or_default() {
        let order = picking["sale_id"][0].as_i64().unwrap_or_default();
        done_per_order.entry(order).or_default().push(picking["name"].as_str().unwrap_or_default().to_owned());
    }
    let lines = sim
        .execute(
            "sale.order.line",
            "search_read",
            json!([[["order_id", "in", validated.iter().collect::<Vec<_>>()]]]),
            json!({"fields": ["order_id", "product_uom_qty", "qty_delivered"]}),
        )
        .await;
    let mut twice: Vec<String> = done_per_order
        .iter()
        .filter(|(_, done)| done.len() > 1)
        .map(|(order, done)| format!("sale.order {order}: deliveries done {done:?}"))
        .collect();
    for line in lines.as_array().cloned().unwrap_or_default() {
        let (ordered, delivered) =
            (line["product_uom_qty"].as_f64().unwrap_or_default(), line["qty_delivered"].as_f64().unwrap_or_default());
        if delivered > ordered + 1e-9 {
            twice.push(format!("sale.order {}: a line delivered {delivered} of {ordered}", line["order_id"][0]));
        }
    }
    let unvalidated: Vec<String> = validations
        .iter()
        .filter(|c| c.ok && !done_per_order.contains_key(&c.order_id))
        .map(|c| format!("{} answered OK, order {} has no done delivery", c.request_id, c.order_id))
        .collect();
    summary.push(format!(
        "validations: {} request_ids, {} answered OK, {} orders with a done delivery",
        validations.len(),
        validations.iter().filter(|c| c.ok).count(),
        done_per_order.len()
    ));
    let refused: Vec<String> = validations
        .iter()
        .filter(|c| c.refused && done_per_order.contains_key(&c.order_id))
        .map(|c| format!("{}: order {} has a done delivery", c.request_id, c.order_id))
        .collect();
    findings.push(("duplicate validations".into(), twice));
    findings.push(("validations answered OK but not done in odoo".into(), unvalidated));
    findings.push(("validations done in odoo whose caller was refused".into(), refused));
    // What Odoo holds of the first few validations refused, to tell Odoo's reasons from ours.
    for case in validations.iter().filter(|c| !c.ok).take(3) {
        let moves = sim
            .execute(
                "stock.move",
                "search_read",
                json!([[["sale_line_id.order_id", "=", case.order_id]]]),
                json!({"fields": ["picking_id", "product_id", "state", "product_uom_qty", "quantity"]}),
            )
            .await;
        summary.push(format!("  refused {} (sale.order {}): moves {moves}", case.request_id, case.order_id));
    }

    // Invoices: at most one per order (each is invoiced under one request_id, in full).
    let invoiced: BTreeSet<i64> = invoices.iter().map(|c| c.order_id).collect();
    let invoice_dups: Vec<String> = rows
        .iter()
        .filter(|row| invoiced.contains(&row["id"].as_i64().unwrap_or_default()))
        .filter(|row| row["invoice_ids"].as_array().is_some_and(|ids| ids.len() > 1))
        .map(|row| format!("{}: invoices {}", row["client_order_ref"], row["invoice_ids"]))
        .collect();
    let has_invoice = |order: i64| {
        rows.iter().any(|row| {
            row["id"].as_i64() == Some(order) && row["invoice_ids"].as_array().is_some_and(|i| !i.is_empty())
        })
    };
    let uninvoiced: Vec<String> =
        invoices.iter().filter(|c| c.ok && !has_invoice(c.order_id)).map(|c| c.request_id.clone()).collect();
    let refused: Vec<String> = invoices
        .iter()
        .filter(|c| c.refused && has_invoice(c.order_id))
        .map(|c| format!("{}: order {} is invoiced", c.request_id, c.order_id))
        .collect();
    summary.push(format!(
        "invoices: {} request_ids, {} answered OK",
        invoices.len(),
        invoices.iter().filter(|c| c.ok).count()
    ));
    findings.push(("duplicate invoices".into(), invoice_dups));
    findings.push(("invoices answered OK but absent from odoo".into(), uninvoiced));
    findings.push(("invoices in odoo whose caller was refused".into(), refused));

    // Payments: one per request_id (its memo).
    let payment = OnePerRequest { kind: "payments", model: "account.payment", field: "memo" };
    payment.check(sim, &prefix, &payments, &[], &mut summary, &mut findings).await;
    Checks { summary, findings }
}

/// Records that carry the `request_id` they were made under in one of their fields.
struct OnePerRequest {
    /// What they are, plural ("orders").
    kind: &'static str,
    model: &'static str,
    field: &'static str,
}

impl OnePerRequest {
    /// Reads the records whose field starts with `prefix` (with `fields` besides it and the id),
    /// notes what was sent and found in `summary`, and in `findings` the request_ids with more
    /// than one record and those answered OK with none. The records read.
    async fn check(
        &self,
        sim: &load::sim::Sim,
        prefix: &str,
        cases: &[Case],
        fields: &[&str],
        summary: &mut Vec<String>,
        findings: &mut Vec<(String, Vec<String>)>,
    ) -> Vec<Value> {
        let mut read = vec![self.field];
        read.extend_from_slice(fields);
        let domain = json!([[[self.field, "=like", format!("{prefix}%")]]]);
        let rows = sim.execute(self.model, "search_read", domain, json!({ "fields": read })).await;
        let rows = rows.as_array().cloned().unwrap_or_default();
        let found = group(&rows, self.field);
        summary.push(format!(
            "{}: {} request_ids, {} answered OK, {} in odoo",
            self.kind,
            cases.len(),
            cases.iter().filter(|c| c.ok).count(),
            found.len()
        ));
        let duplicates = found.iter().filter(|(_, n)| **n > 1).map(|(id, n)| format!("{id}: {n} records")).collect();
        let missing = cases.iter().filter(|c| c.ok && !found.contains_key(&c.request_id)).map(|c| c.request_id.clone());
        let refused =
            cases.iter().filter(|c| c.refused && found.contains_key(&c.request_id)).map(|c| c.request_id.clone());
        findings.push((format!("duplicate {}", self.kind), duplicates));
        findings.push((format!("{} answered OK but absent from odoo", self.kind), missing.collect()));
        findings.push((format!("{} in odoo whose caller was refused", self.kind), refused.collect()));
        rows
    }
}

/// Rows by the text of one field.
fn group(rows: &[Value], field: &str) -> BTreeMap<String, usize> {
    let mut groups = BTreeMap::new();
    for row in rows {
        *groups.entry(row[field].as_str().unwrap_or_default().to_owned()).or_default() += 1;
    }
    groups
}

/// The lines of odoo-mesh's logs that say it panicked.
fn panics_in(log: Option<&std::path::Path>) -> Vec<String> {
    let text = log.and_then(|log| std::fs::read_to_string(log).ok()).unwrap_or_default();
    text.lines().filter(|line| line.contains("panicked at")).map(str::to_owned).collect()
}

fn series(series: &[(BTreeMap<String, String>, f64)]) -> String {
    let shown: Vec<String> =
        series.iter().filter(|(_, value)| *value > 0.0).map(|(labels, value)| format!("{labels:?}={value}")).collect();
    if shown.is_empty() { "none".to_owned() } else { shown.join(", ") }
}

/// The printed report and the must-be-zero counters that were not.
#[derive(Default)]
struct Report {
    text: String,
    failures: Vec<String>,
}

impl Report {
    fn line(&mut self, line: &str) {
        let _ = writeln!(self.text, "{line}");
    }

    fn calls(&mut self, tally: &Tally) {
        let calls = tally.calls.lock().expect("tally").clone();
        let mut by_rpc: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for ((rpc, code), n) in &calls {
            by_rpc.entry(rpc).or_default().push(format!("{code} {n}"));
        }
        let total: u64 = calls.values().sum();
        self.line(&format!("calls: {total}"));
        for (rpc, outcomes) in by_rpc {
            self.line(&format!("  {rpc:<18} {}", outcomes.join(", ")));
        }
    }

    fn checks(&mut self, checks: &Checks) {
        for line in &checks.summary {
            self.line(line);
        }
        for (what, found) in &checks.findings {
            self.must_be_zero(what, found);
        }
    }

    /// Prints the count of `what` and, when not zero, the first few instances, and fails.
    fn must_be_zero(&mut self, what: &str, found: &[String]) {
        self.line(&format!("{what}: {}", found.len()));
        if found.is_empty() {
            return;
        }
        for instance in found.iter().take(10) {
            self.line(&format!("    {instance}"));
        }
        self.failures.push(format!("{what}: {} (must be 0)", found.len()));
    }
}
