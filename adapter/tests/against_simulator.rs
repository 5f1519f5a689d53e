//! The adapter against the simulator, over both wire formats: same answers, same typed errors.

use std::sync::Arc;

use odoo_adapter::{
    Inventory, Odoo, OdooCall, OdooClient, OdooConfig, OdooError, Protocol, Secret, TransportFailure, models::SkuStock,
};
use odoo_simulator::{Fault, FaultRule, OdooVersion, RunningSimulator, SeedUser, SimConfig, Simulator};
use serde_json::json;

const KEY: &str = "adapter-test-key";

async fn simulator(version: OdooVersion) -> RunningSimulator {
    let config = SimConfig {
        version,
        database: "dist".into(),
        admin: SeedUser { login: "admin".into(), password: "admin-pw".into(), api_key: KEY.into() },
        ..SimConfig::default()
    };
    Simulator::new(config).start("127.0.0.1:0".parse().expect("addr")).await.expect("simulator starts")
}

fn client(sim: &RunningSimulator, protocol: Protocol, secret: &str) -> OdooClient {
    OdooClient::new(config(sim, protocol, secret)).expect("client builds")
}

/// The model layer over a client with the right key.
fn odoo(sim: &RunningSimulator, protocol: Protocol) -> Arc<Odoo> {
    Arc::new(Odoo::new(Arc::new(client(sim, protocol, KEY))))
}

fn config(sim: &RunningSimulator, protocol: Protocol, secret: &str) -> OdooConfig {
    OdooConfig {
        url: sim.url(),
        database: "dist".into(),
        login: "admin".into(),
        secret: Secret::new(secret),
        secret_file: None,
        protocol,
        connect_timeout: std::time::Duration::from_secs(2),
        request_timeout: std::time::Duration::from_secs(5),
        max_concurrency: odoo_adapter::DEFAULT_MAX_CONCURRENCY,
        queue_timeout: odoo_adapter::DEFAULT_QUEUE_TIMEOUT,
        breaker: odoo_adapter::BreakerConfig::default(),
    }
}

#[tokio::test]
async fn protocol_is_detected_from_the_server_version() {
    let v18 = simulator(OdooVersion::V18).await;
    let v19 = simulator(OdooVersion::V19).await;
    assert_eq!(client(&v18, Protocol::Auto, KEY).protocol().await.expect("detects"), "jsonrpc");
    assert_eq!(client(&v19, Protocol::Auto, KEY).protocol().await.expect("detects"), "json2");
}

#[tokio::test]
async fn both_wire_formats_read_the_same_stock() {
    // Odoo 19 serves both formats. Odoo 18 has the same stock, but its units are other records
    // (ids, rounding): compared there is the product counted in Units.
    let v18 = simulator(OdooVersion::V18).await;
    let v19 = simulator(OdooVersion::V19).await;
    let mut answers = Vec::new();
    for (sim, protocol) in [(&v19, Protocol::Json2), (&v19, Protocol::JsonRpc), (&v18, Protocol::JsonRpc)] {
        let inventory = Inventory::new(odoo(sim, protocol));
        let warehouses = inventory.warehouses().await.expect("warehouses");
        let skus = vec!["E-COM11".to_owned(), "DST-STR-23".to_owned(), "NOPE-404".to_owned()];
        answers.push(inventory.stock_levels(&skus, &warehouses).await.expect("stock levels"));
    }
    assert_eq!(answers[0], answers[1], "JSON-2 and JSON-RPC answer alike on one server");
    assert_eq!(answers[0][0], answers[2][0], "Odoo 18 and 19 count a product in Units alike");
    let (_, stock) = &answers[0][0];
    let SkuStock::Found { levels, .. } = stock else { panic!("E-COM11 exists: {stock:?}") };
    let (_, main) = &levels[0];
    assert_eq!(main.on_hand.to_string(), "33");
    assert_eq!(main.reserved.to_string(), "15");
    assert_eq!(main.available.to_string(), "18");
    assert_eq!(main.forecast.to_string(), "138");
    assert_eq!(answers[0][2].1, SkuStock::NotFound);
}

#[tokio::test]
async fn stock_for_many_skus_costs_one_call_per_warehouse() {
    let sim = simulator(OdooVersion::V18).await;
    let inventory = Inventory::new(odoo(&sim, Protocol::JsonRpc));
    let warehouses = inventory.warehouses().await.expect("warehouses");
    let skus: Vec<String> = (0..1000).map(|i| format!("SKU-{i}")).chain(["E-COM11".to_owned()]).collect();
    let before = sim.simulator().call_count("product.product", "search_read");
    inventory.stock_levels(&skus, &warehouses).await.expect("stock levels");
    let after = sim.simulator().call_count("product.product", "search_read");
    assert_eq!(after - before, warehouses.len() as u64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_stock_reads_merge_into_fewer_calls_and_answer_each_caller_alone() {
    let sim = simulator(OdooVersion::V18).await;
    let inventory = Inventory::new(odoo(&sim, Protocol::JsonRpc));
    let warehouses = inventory.warehouses().await.expect("warehouses");
    let requests: Vec<Vec<String>> = [
        ["E-COM11", "E-COM12"],
        ["E-COM12", "FURN_0096"],
        ["FURN_5555", "NOPE-404"],
        ["E-COM07", "E-COM11"],
        ["FURN_8855", "E-COM13"],
    ]
    .iter()
    .map(|pair| pair.iter().map(|sku| (*sku).to_owned()).collect())
    .collect();
    let mut alone = Vec::new();
    for skus in &requests {
        alone.push(inventory.stock_levels(skus, &warehouses).await.expect("stock levels"));
    }

    let before = sim.simulator().call_count("product.product", "search_read");
    let together =
        futures::future::join_all(requests.iter().map(|skus| inventory.stock_levels(skus, &warehouses))).await;
    let reads = sim.simulator().call_count("product.product", "search_read") - before;

    // A lone read goes at once; the callers who come during it go together in the next read.
    let one_each = (requests.len() * warehouses.len()) as u64;
    assert!(reads < one_each, "fewer Odoo reads than one per caller and warehouse: {reads} of {one_each}");
    for (answer, expected) in together.into_iter().zip(alone) {
        assert_eq!(answer.expect("stock levels"), expected, "each caller gets exactly its own SKUs");
    }
}

#[tokio::test]
async fn wrong_credentials_are_access_denied_on_both_formats() {
    let v18 = simulator(OdooVersion::V18).await;
    let v19 = simulator(OdooVersion::V19).await;
    for (sim, protocol) in [(&v18, Protocol::JsonRpc), (&v19, Protocol::Json2)] {
        let error = client(sim, protocol, "wrong")
            .call(OdooCall::new("res.partner", "search_count").param("domain", json!([])))
            .await;
        assert_eq!(error, Err(OdooError::AccessDenied), "{protocol:?}");
    }
}

#[tokio::test]
async fn odoo_errors_decode_to_typed_errors_without_the_traceback() {
    let v18 = simulator(OdooVersion::V18).await;
    let v19 = simulator(OdooVersion::V19).await;
    for (sim, protocol) in [(&v18, Protocol::JsonRpc), (&v19, Protocol::Json2)] {
        let odoo = client(sim, protocol, KEY);
        let unknown = odoo.call(OdooCall::new("x_nope.model", "search_read").param("domain", json!([]))).await;
        assert_eq!(unknown, Err(OdooError::UnknownModel { model: "x_nope.model".into() }), "{protocol:?}");
        let missing = odoo
            .call(OdooCall::new("res.partner", "write").ids(vec![999_999]).param("vals", json!({"name": "x"})))
            .await;
        assert!(matches!(missing, Err(OdooError::MissingRecord { .. })), "{protocol:?}: {missing:?}");
        let field =
            odoo.call(OdooCall::new("res.partner", "search_read").param("domain", json!([["nope", "=", 1]]))).await;
        let Err(error) = field else { panic!("unknown field must fail") };
        assert!(matches!(error, OdooError::UnknownField { .. }), "{protocol:?}: {error:?}");
        assert!(!error.to_string().contains("Traceback"), "{error}");
        let duplicate = odoo
            .call(OdooCall::new("stock.warehouse", "create").param("vals_list", json!([{"name": "Dup", "code": "WH"}])))
            .await;
        assert!(matches!(duplicate, Err(OdooError::ValidationError { .. })), "{protocol:?}: {duplicate:?}");
    }
}

#[tokio::test]
async fn injected_faults_surface_as_transport_and_concurrency_errors() {
    let sim = simulator(OdooVersion::V18).await;
    let odoo = client(&sim, Protocol::JsonRpc, KEY);
    odoo.protocol().await.expect("detected before faults");
    let count = || OdooCall::new("res.partner", "search_count").param("domain", json!([]));
    let faults = sim.simulator().faults();

    // Reads are retried: these faults last until cleared.
    faults.inject(FaultRule::always(Fault::HttpStatus { status: 502 }).on("res.partner", "search_count"));
    let error = odoo.call(count()).await.expect_err("502");
    faults.clear();
    assert_eq!(
        error,
        OdooError::Transport { failure: TransportFailure::HttpStatus(502), message: "odoo answered http 502".into() }
    );
    assert!(error.is_transient());

    faults.inject(FaultRule::always(Fault::SerializationFailure).on("res.partner", "search_count"));
    assert!(matches!(odoo.call(count()).await, Err(OdooError::ConcurrencyFailure { .. })));
    faults.clear();

    faults.inject(FaultRule::always(Fault::DropConnection).on("res.partner", "search_count"));
    let dropped = odoo.call(count()).await.expect_err("dropped");
    faults.clear();
    assert!(matches!(dropped, OdooError::Transport { .. }) && dropped.is_transient(), "{dropped:?}");

    faults.inject(
        FaultRule::times(Fault::OdooError { name: "odoo.exceptions.UserError".into(), message: "Nope.".into() }, 1)
            .on("res.partner", "search_count"),
    );
    assert_eq!(odoo.call(count()).await, Err(OdooError::UserError { message: "Nope.".into() }));

    assert!(odoo.call(count()).await.is_ok(), "faults are used up");
}

#[tokio::test]
async fn a_read_is_retried_through_a_blip_and_a_plain_write_never() {
    let sim = simulator(OdooVersion::V18).await;
    let odoo = client(&sim, Protocol::JsonRpc, KEY);
    odoo.protocol().await.expect("detected before faults");
    let faults = sim.simulator().faults();

    faults.inject(FaultRule::times(Fault::DropConnection, 1).on("res.partner", "search_count"));
    let count = OdooCall::new("res.partner", "search_count").param("domain", json!([]));
    odoo.call(count).await.expect("the read is tried again");
    assert_eq!(sim.simulator().call_count("res.partner", "search_count"), 2);

    faults.inject(FaultRule::times(Fault::DropConnection, 1).on("res.partner", "create"));
    let create = OdooCall::new("res.partner", "create").param("vals_list", json!([{"name": "Once Ltd"}]));
    let written = odoo.call(create).await;
    assert!(matches!(written, Err(OdooError::Transport { .. })), "{written:?}");
    assert_eq!(sim.simulator().call_count("res.partner", "create"), 1, "a write runs at most once");
}

#[tokio::test]
async fn the_retry_budget_bounds_attempts_while_odoo_keeps_failing() {
    let sim = simulator(OdooVersion::V18).await;
    // The breaker would stop the calls first; this test is about the budget alone.
    let breaker = odoo_adapter::BreakerConfig { failures: u32::MAX, ..Default::default() };
    let odoo = OdooClient::new(OdooConfig { breaker, ..config(&sim, Protocol::JsonRpc, KEY) }).expect("client");
    odoo.protocol().await.expect("detected before faults");
    sim.simulator()
        .faults()
        .inject(FaultRule::always(Fault::HttpStatus { status: 503 }).on("res.partner", "search_count"));
    let calls = 100;
    for _ in 0..calls {
        let count = OdooCall::new("res.partner", "search_count").param("domain", json!([]));
        odoo.call(count).await.expect_err("odoo is down");
    }
    let attempts = sim.simulator().call_count("res.partner", "search_count");
    // Unbounded, three attempts a call would make 300. The budget allows one retry a second
    // (ten in reserve) plus one for every five calls.
    assert!(attempts > calls, "some calls were retried: {attempts}");
    assert!(attempts <= calls + 10 + calls / 5 + 2, "{attempts} attempts for {calls} calls");
}

#[tokio::test]
async fn a_lost_response_still_commits() {
    let sim = simulator(OdooVersion::V19).await;
    let odoo = client(&sim, Protocol::Json2, KEY);
    sim.simulator().faults().inject(FaultRule::times(Fault::LoseResponse, 1).on("res.partner", "create"));
    let lost = odoo
        .call(OdooCall::new("res.partner", "create").param("vals_list", json!([{"name": "Lost Response Ltd"}])))
        .await;
    assert!(matches!(lost, Err(OdooError::Transport { .. })), "{lost:?}");
    let found = sim
        .simulator()
        .search_read("res.partner", &json!([["name", "=", "Lost Response Ltd"]]), &["id"], Default::default())
        .expect("search");
    assert_eq!(found.len(), 1, "the create committed although its answer was lost");
}

#[test]
fn client_debug_output_hides_the_secret() {
    let odoo = OdooClient::new(OdooConfig {
        url: "http://127.0.0.1:1".into(),
        database: "dist".into(),
        login: "admin".into(),
        secret: Secret::new("canary-5e7c2b"),
        secret_file: None,
        protocol: Protocol::JsonRpc,
        connect_timeout: std::time::Duration::from_secs(1),
        request_timeout: std::time::Duration::from_secs(1),
        max_concurrency: odoo_adapter::DEFAULT_MAX_CONCURRENCY,
        queue_timeout: odoo_adapter::DEFAULT_QUEUE_TIMEOUT,
        breaker: odoo_adapter::BreakerConfig::default(),
    })
    .expect("client builds");
    assert!(!format!("{odoo:?}").contains("canary-5e7c2b"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_reads_in_flight_together_share_one_odoo_call() {
    let sim = simulator(OdooVersion::V18).await;
    let odoo = client(&sim, Protocol::JsonRpc, KEY);
    odoo.protocol().await.expect("detected");
    let count = |name: &str| OdooCall::new("res.partner", "search_count").param("domain", json!([["name", "=", name]]));
    // The first call is slow, so the others arrive while it is in flight.
    sim.simulator()
        .faults()
        .inject(FaultRule::times(Fault::Latency { millis: 300 }, 1).on("res.partner", "search_count"));
    let same = futures::future::join_all((0..20).map(|_| odoo.call(count("Azure Interior"))));
    let other = async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        odoo.call(count("Deco Addict")).await
    };
    let (answers, other) = tokio::join!(same, other);
    let first = answers[0].clone().expect("answered");
    assert!(answers.iter().all(|a| a.as_ref() == Ok(&first)), "everyone got the same answer");
    other.expect("a different read runs on its own");
    assert_eq!(sim.simulator().call_count("res.partner", "search_count"), 2, "one call for twenty, one for the other");

    // Once answered, the next identical read goes to Odoo again: nothing is cached.
    odoo.call(count("Azure Interior")).await.expect("answered");
    assert_eq!(sim.simulator().call_count("res.partner", "search_count"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_first_reader_leaves_the_others_to_call_odoo_themselves() {
    let sim = simulator(OdooVersion::V18).await;
    let odoo = client(&sim, Protocol::JsonRpc, KEY);
    odoo.protocol().await.expect("detected");
    let count = || OdooCall::new("res.partner", "search_count").param("domain", json!([]));
    sim.simulator()
        .faults()
        .inject(FaultRule::times(Fault::Latency { millis: 500 }, 1).on("res.partner", "search_count"));
    let impatient = tokio::time::timeout(std::time::Duration::from_millis(100), odoo.call(count()));
    let patient = async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        odoo.call(count()).await
    };
    let (impatient, patient) = tokio::join!(impatient, patient);
    assert!(impatient.is_err(), "the first reader gave up");
    patient.expect("the second reader got its answer anyway");
}

#[tokio::test]
async fn a_call_whose_caller_gave_up_keeps_its_odoo_slot_until_odoo_answers() {
    // Odoo's worker carries on with a call whose client went away: with a limit of one, the next
    // call must wait for it, or Odoo would be working on two of our calls at once.
    let sim = simulator(OdooVersion::V18).await;
    let odoo = OdooClient::new(OdooConfig { max_concurrency: 1, ..config(&sim, Protocol::JsonRpc, KEY) })
        .expect("client builds");
    odoo.protocol().await.expect("detected");
    sim.simulator()
        .faults()
        .inject(FaultRule::times(Fault::Latency { millis: 300 }, 1).on("res.partner", "search_count"));
    let count = OdooCall::new("res.partner", "search_count").param("domain", json!([]));
    let gave_up = tokio::time::timeout(std::time::Duration::from_millis(50), odoo.call(count)).await;
    assert!(gave_up.is_err(), "the first caller gave up while Odoo worked");
    let next = OdooCall::new("res.partner", "search_read").param("domain", json!([])).param("limit", json!(1));
    odoo.call(next).await.expect("the next call is served once Odoo is done with the first");
    assert_eq!(sim.simulator().max_in_flight(), 1, "Odoo never had more calls of ours than the limit");
}
