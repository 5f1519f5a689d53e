//! What operators and callers see when Odoo misbehaves: health follows Odoo, errors come back as
//! typed statuses without Odoo's internals, and the admin port serves health and metrics.

mod common;

use std::time::Duration;

use odoo_mesh::proto::inventory::v1 as pb;
use odoo_simulator::{Fault, FaultRule};
use tonic::Code;
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_types::StatusExt;

use common::wait;

const INVENTORY: &str = "odoomesh.inventory.v1.InventoryService";
/// The health name the Kubernetes manifests' liveness probes ask for.
const LIVENESS: &str = "liveness";

async fn eventually(harness: &common::Harness, want: ServingStatus) {
    let what = format!("the inventory service's health is {want:?}");
    wait::until(&what, Duration::from_secs(5), || async { harness.admin_health(INVENTORY).await == want }).await;
}

#[tokio::test]
async fn health_is_serving_only_while_odoo_answers() {
    let harness = common::Harness::simulator().await;
    eventually(&harness, ServingStatus::Serving).await;
    harness.simulator_handle().faults().inject(FaultRule::always(Fault::DropConnection).on("common", "version"));
    eventually(&harness, ServingStatus::NotServing).await;
    let ready = reqwest::get(format!("http://127.0.0.1:{}/ready", harness.admin_port())).await.expect("ready answers");
    assert_eq!(ready.status(), 503);
    assert_eq!(harness.admin_health(LIVENESS).await, ServingStatus::Serving, "odoo being down is no reason to restart");
    harness.simulator_handle().faults().clear();
    eventually(&harness, ServingStatus::Serving).await;
    // The same health service answers on the mutual-TLS port.
    let status = HealthClient::new(harness.channel().await)
        .check(HealthCheckRequest { service: String::new() })
        .await
        .expect("answers");
    assert_eq!(status.into_inner().status(), ServingStatus::Serving);
    harness.stop().await;
}

#[tokio::test]
async fn odoo_failures_become_typed_statuses_without_odoo_internals() {
    // Each case is a lasting failure (reads are retried through a single one); the breaker would
    // open after a few of them, and that has its own test.
    let harness = common::Harness::simulator_tuned(|config| config.odoo.breaker.failures = u32::MAX).await;
    let mut client = harness.inventory().await;
    let faults = harness.simulator_handle().faults();
    let request = || pb::GetStockLevelsRequest { skus: vec!["E-COM11".into()], ..Default::default() };
    client.get_stock_levels(request()).await.expect("works before faults");

    let cases = [
        (
            Fault::OdooError {
                name: "odoo.exceptions.UserError".into(),
                message: "The warehouse is locked for inventory.".into(),
            },
            Code::FailedPrecondition,
        ),
        (
            Fault::OdooError {
                name: "odoo.exceptions.AccessError".into(),
                message: "You are not allowed to access 'Product' records.".into(),
            },
            Code::PermissionDenied,
        ),
        (Fault::HttpStatus { status: 503 }, Code::Unavailable),
        (Fault::DropConnection, Code::Unavailable),
        (Fault::SerializationFailure, Code::Aborted),
        (Fault::OdooError { name: "builtins.KeyError".into(), message: "'x'".into() }, Code::Internal),
    ];
    for (fault, code) in cases {
        faults.inject(FaultRule::always(fault.clone()).on("product.product", "search_read"));
        let status = client.get_stock_levels(request()).await.expect_err("fault surfaces");
        faults.clear();
        assert_eq!(status.code(), code, "{fault:?}: {}", status.message());
        assert!(
            !status.message().contains("Traceback") && !status.message().contains("/opt/odoo"),
            "{}",
            status.message()
        );
        let details = status.get_error_details();
        assert!(details.error_info().is_some_and(|i| i.domain == "odoo-mesh"), "{fault:?} carries an ErrorInfo");
        if code == Code::Unavailable {
            assert!(details.retry_info().is_some(), "UNAVAILABLE tells when to retry");
        }
    }
    let status = {
        faults.inject(
            FaultRule::times(
                Fault::OdooError {
                    name: "odoo.exceptions.UserError".into(),
                    message: "The warehouse is locked for inventory.".into(),
                },
                1,
            )
            .on("product.product", "search_read"),
        );
        client.get_stock_levels(request()).await.expect_err("user error")
    };
    assert_eq!(status.message(), "The warehouse is locked for inventory.", "business refusals keep Odoo's words");
    client.get_stock_levels(request()).await.expect("works again once the faults are used up");
    harness.stop().await;
}

#[tokio::test]
async fn the_admin_port_serves_metrics_and_liveness() {
    let harness = common::Harness::simulator().await;
    let mut request = tonic::Request::new(pb::ListWarehousesRequest {});
    request.metadata_mut().insert("x-request-id", "req-4711".parse().expect("header"));
    let response = harness.inventory().await.list_warehouses(request).await.expect("a call to count");
    assert_eq!(
        response.metadata().get("x-request-id").and_then(|v| v.to_str().ok()),
        Some("req-4711"),
        "the request id comes back"
    );
    let generated = harness.inventory().await.list_warehouses(pb::ListWarehousesRequest {}).await.expect("a call");
    assert!(generated.metadata().get("x-request-id").is_some(), "a request id is made up when the caller sends none");
    let denied =
        harness.inventory().await.get_product(pb::GetProductRequest { product: None }).await.expect_err("invalid");
    assert_eq!(denied.code(), tonic::Code::InvalidArgument);
    let base = format!("http://127.0.0.1:{}", harness.admin_port());
    let live = reqwest::get(format!("{base}/live")).await.expect("live answers");
    assert_eq!(live.status(), 200);
    let metrics = reqwest::get(format!("{base}/metrics")).await.expect("metrics answer").text().await.expect("text");
    assert!(
        metrics.contains(r#"odoo_mesh_odoo_calls_total{model="stock.warehouse",method="search_read",outcome="ok"}"#),
        "{metrics}"
    );
    assert!(metrics.contains("odoo_mesh_odoo_call_duration_seconds"), "{metrics}");
    assert!(
        metrics.contains(r#"odoo_mesh_grpc_requests_total{service="odoomesh.inventory.v1.InventoryService",method="ListWarehouses",code="Ok"}"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"odoo_mesh_grpc_requests_total{service="odoomesh.inventory.v1.InventoryService",method="GetProduct",code="InvalidArgument"}"#),
        "{metrics}"
    );
    assert!(metrics.contains("odoo_mesh_grpc_request_duration_seconds"), "{metrics}");
    harness.stop().await;
}

#[tokio::test]
async fn odoo_18_over_json_rpc_serves_the_same_api() {
    let harness = common::Harness::simulator_with(odoo_simulator::OdooVersion::V18).await;
    let answer = harness
        .inventory()
        .await
        .get_stock_levels(pb::GetStockLevelsRequest { skus: vec!["E-COM11".into()], ..Default::default() })
        .await
        .expect("reads")
        .into_inner();
    assert_eq!(answer.items[0].status(), pb::SkuStatus::Found);
    assert!(harness.simulator_handle().call_count("common", "authenticate") >= 1, "JSON-RPC authenticates");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_callers_deadline_bounds_the_odoo_call_and_ends_as_deadline_exceeded() {
    let harness = common::Harness::simulator().await;
    let mut client = harness.inventory().await;
    client.list_warehouses(pb::ListWarehousesRequest {}).await.expect("warm");
    harness
        .simulator_handle()
        .faults()
        .inject(FaultRule::times(Fault::Latency { millis: 3000 }, 1).on("stock.warehouse", "search_read"));
    let mut request = tonic::Request::new(pb::ListWarehousesRequest {});
    request.set_timeout(Duration::from_millis(300));
    let started = std::time::Instant::now();
    let status = client.list_warehouses(request).await.expect_err("too slow");
    assert_eq!(status.code(), Code::DeadlineExceeded, "{}", status.message());
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "answered at the deadline, not when Odoo finished: {:?}",
        started.elapsed()
    );
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_the_size_limit_is_resource_exhausted_and_never_reaches_odoo() {
    let harness = common::Harness::simulator().await;
    let mut client = harness.inventory().await;
    harness.stock_view_loaded().await;
    let odoo_calls_before = harness.simulator_handle().call_count("product.product", "search_read");
    // 5,000 SKUs of 1 KiB: about 5 MiB, over the 4 MiB limit.
    let skus = (0..5_000).map(|i| format!("{i:0>1024}")).collect();
    let status =
        client.get_stock_levels(pb::GetStockLevelsRequest { skus, ..Default::default() }).await.expect_err("too large");
    assert_eq!(status.code(), Code::ResourceExhausted, "{}", status.message());
    let info = status.get_error_details().error_info().cloned().expect("error info");
    assert_eq!(info.reason, "MESSAGE_TOO_LARGE");
    assert_eq!(harness.simulator_handle().call_count("product.product", "search_read"), odoo_calls_before);
    let metrics = harness.metrics().await;
    assert!(
        metrics.lines().any(|line| line.starts_with("odoo_mesh_grpc_requests_total")
            && line.contains(r#"method="GetStockLevels""#)
            && line.contains(r#"code="ResourceExhausted""#)),
        "{metrics}"
    );
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_ten_times_the_load_odoo_never_sees_more_than_its_limit() {
    let harness = common::Harness::simulator_tuned(|config| {
        config.odoo.max_concurrency = 2;
        config.odoo.queue_timeout = Duration::from_millis(150);
    })
    .await;
    harness.stock_view_loaded().await;
    // Each product read keeps an Odoo worker busy for 100 ms.
    harness
        .simulator_handle()
        .faults()
        .inject(FaultRule::always(Fault::Latency { millis: 100 }).on("product.product", "search_read"));
    let channel = harness.channel().await;
    // Twenty callers listing products by different prefixes: identical reads would share one Odoo
    // call, and stock reads would be batched into one.
    let calls = (0..20).map(|i| {
        let mut client = pb::inventory_service_client::InventoryServiceClient::new(channel.clone());
        async move {
            let started = std::time::Instant::now();
            let result = client
                .list_products(pb::ListProductsRequest {
                    page_size: 10,
                    sku_prefix: format!("E-COM{i}"),
                    ..Default::default()
                })
                .await;
            (result.map(|_| ()), started.elapsed())
        }
    });
    let outcomes = futures::future::join_all(calls).await;
    let admitted = outcomes.iter().filter(|(r, _)| r.is_ok()).count();
    let refused: Vec<_> = outcomes.iter().filter_map(|(r, t)| r.as_ref().err().map(|s| (s, t))).collect();
    assert!(admitted >= 2, "admitted calls complete: {admitted}");
    assert!(!refused.is_empty(), "the overload is refused, not queued forever");
    for (status, elapsed) in &refused {
        assert_eq!(status.code(), Code::ResourceExhausted, "{}", status.message());
        assert!(status.get_error_details().retry_info().is_some(), "tells when to retry");
        assert!(**elapsed < Duration::from_millis(1000), "refused quickly: {elapsed:?}");
    }
    assert!(
        harness.simulator_handle().max_in_flight() <= 2,
        "Odoo saw {} calls at once",
        harness.simulator_handle().max_in_flight()
    );
    let metrics = harness.metrics().await;
    assert!(metrics.contains("odoo_mesh_odoo_governor_rejected_total"), "{metrics}");
    assert!(metrics.contains(r#"odoo_mesh_odoo_governor_waiting{priority="read"} 0"#), "the queue empties: {metrics}");
    harness.stop().await;
}

/// Starts a warehouse listing that Odoo takes `millis` to answer, and returns once Odoo has it.
async fn call_in_flight(
    harness: &common::Harness,
    millis: u64,
) -> tokio::task::JoinHandle<Result<tonic::Response<pb::ListWarehousesResponse>, tonic::Status>> {
    let mut client = harness.inventory().await;
    client.list_warehouses(pb::ListWarehousesRequest {}).await.expect("warm");
    let odoo = harness.simulator_handle();
    let reads = odoo.call_count("stock.warehouse", "search_read");
    odoo.faults().inject(FaultRule::times(Fault::Latency { millis }, 1).on("stock.warehouse", "search_read"));
    let call = tokio::spawn(async move { client.list_warehouses(pb::ListWarehousesRequest {}).await });
    wait::until("odoo has received the warehouse listing", Duration::from_secs(1), || async {
        odoo.call_count("stock.warehouse", "search_read") > reads
    })
    .await;
    call
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_reports_not_serving_refuses_new_connections_and_finishes_calls_in_flight() {
    let mut harness = common::Harness::simulator().await;
    eventually(&harness, ServingStatus::Serving).await;
    let in_flight = call_in_flight(&harness, 1000).await;

    let stopped = harness.begin_shutdown();
    wait::until("the draining server reports NOT_SERVING", Duration::from_secs(1), || async {
        harness.admin_health("").await == ServingStatus::NotServing
    })
    .await;
    assert_eq!(harness.admin_health(INVENTORY).await, ServingStatus::NotServing);
    assert_eq!(
        harness.admin_health(LIVENESS).await,
        ServingStatus::Serving,
        "a drain is not killed by its liveness probe"
    );
    let ready = reqwest::get(format!("http://127.0.0.1:{}/ready", harness.admin_port())).await.expect("ready answers");
    assert_eq!(ready.status(), reqwest::StatusCode::SERVICE_UNAVAILABLE);
    let refused = harness.channel_with(Some((&harness.pki.client.cert, &harness.pki.client.key)), &harness.pki.ca_pem);
    assert!(refused.await.is_err(), "a draining server takes no new connections");
    assert!(!in_flight.is_finished(), "all of that happened while a call was still in flight");

    let answer = in_flight.await.expect("call task").expect("the call in flight completes");
    assert!(!answer.into_inner().warehouses.is_empty());
    tokio::time::timeout(Duration::from_secs(2), stopped)
        .await
        .expect("stops as soon as the last call is done")
        .expect("shutdown task")
        .expect("clean shutdown");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_ends_within_the_grace_period_even_when_a_call_does_not() {
    let mut harness =
        common::Harness::simulator_tuned(|config| config.shutdown_grace = Duration::from_millis(300)).await;
    let _in_flight = call_in_flight(&harness, 5000).await;

    let started = std::time::Instant::now();
    harness.begin_shutdown().await.expect("shutdown task").expect("shutdown");
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "waited for the call: {took:?}");
    assert!(took < Duration::from_millis(2500), "bounded by the grace period: {took:?}");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_breaker_fails_fast_while_odoo_is_down_and_recovers_after_the_cooldown() {
    let harness = common::Harness::simulator_tuned(|config| {
        config.odoo.breaker = odoo_adapter::BreakerConfig { failures: 3, cooldown: Duration::from_secs(1) };
    })
    .await;
    let mut client = harness.inventory().await;
    harness.stock_view_loaded().await;
    eventually(&harness, ServingStatus::Serving).await;
    // A proxy answers 503 three times: Odoo looks down.
    harness
        .simulator_handle()
        .faults()
        .inject(FaultRule::times(Fault::HttpStatus { status: 503 }, 3).on("stock.warehouse", "search_read"));
    for _ in 0..3 {
        let status = client.list_warehouses(pb::ListWarehousesRequest {}).await.expect_err("odoo is down");
        assert_eq!(status.code(), Code::Unavailable, "{}", status.message());
    }

    // Odoo would answer now, but the breaker is open: calls fail fast without trying it.
    let status = client.list_warehouses(pb::ListWarehousesRequest {}).await.expect_err("failing fast");
    assert_eq!(status.code(), Code::Unavailable, "{}", status.message());
    let details = status.get_error_details();
    assert_eq!(details.error_info().expect("error info").reason, "ODOO_CIRCUIT_OPEN");
    assert!(details.retry_info().is_some(), "tells when to retry");
    eventually(&harness, ServingStatus::NotServing).await;

    // After the cooldown, health recovers and the next call goes through and closes the breaker.
    eventually(&harness, ServingStatus::Serving).await;
    client.list_warehouses(pb::ListWarehousesRequest {}).await.expect("odoo answers again");
    client.list_warehouses(pb::ListWarehousesRequest {}).await.expect("the breaker is closed");
    let metrics = harness.metrics().await;
    assert!(metrics.contains("odoo_mesh_odoo_breaker_opened_total"), "{metrics}");
    assert!(metrics.contains("odoo_mesh_odoo_breaker_rejected_total"), "{metrics}");
    harness.stop().await;
}
