//! Inventory adjustments from a WMS cycle count (InventoryService.AdjustInventory): counts applied
//! all or none, what each changed, idempotent by request id, and never applied over a count made
//! in Odoo or stock that moved since. Scenarios run on both simulator flavours and, when
//! configured, a real Odoo; the fault tests need the simulator.

mod common;

use std::time::Duration;

use common::{bad_fields, unique, wait};
use odoo_mesh::proto::{
    common::v1::Quantity,
    inventory::v1::{self as pb, inventory_service_client::InventoryServiceClient},
};
use odoo_simulator::{Fault, FaultRule};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

type Client = InventoryServiceClient<Channel>;

/// Stock to count: a storable, untracked product no other test moves, in a warehouse's stock
/// location.
struct Subject {
    sku: String,
    product: i64,
    location: i64,
    warehouse: String,
}

impl Subject {
    fn count(&self, counted: &str) -> pb::InventoryCount {
        pb::InventoryCount {
            sku: self.sku.clone(),
            location: format!("locations/{}", self.location),
            counted: Some(Quantity { value: counted.into(), unit_of_measure: String::new() }),
            counted_at: None,
        }
    }

    /// What the warehouse has on hand, as an adjustment's answer says.
    fn on_hand(&self, answer: &pb::AdjustInventoryResponse) -> Decimal {
        let item = answer.levels.iter().find(|l| l.sku == self.sku).expect("levels of the counted SKU");
        let level = item.levels.iter().find(|l| l.warehouse.as_ref().is_some_and(|w| w.name == self.warehouse));
        decimal(&level.expect("the warehouse's level").on_hand)
    }
}

/// The `nth` storable, untracked product that sells little (under 20 free to promise, so the
/// order and shipment scenarios never pick it), counted in the first warehouse's stock location.
/// Counts a failed earlier run left pending on it are withdrawn first.
async fn subject(harness: &common::Harness, nth: usize) -> Subject {
    let mut client = harness.inventory().await;
    let warehouse = client
        .list_warehouses(pb::ListWarehousesRequest {})
        .await
        .expect("warehouses")
        .into_inner()
        .warehouses
        .remove(0);
    let location = warehouse.stock_location.as_ref().expect("a stock location").id;
    let odoo = harness.direct();
    let rows = odoo
        .execute(
            "product.product",
            "search_read",
            json!([[["is_storable", "=", true], ["tracking", "=", "none"], ["default_code", "!=", false]]]),
            json!({"fields": ["default_code", "free_qty"], "order": "id", "context": {"warehouse_id": warehouse.id}}),
        )
        .await;
    let quiet: Vec<&Value> = rows
        .as_array()
        .expect("products")
        .iter()
        .filter(|r| r["free_qty"].as_f64().is_some_and(|q| q < 20.0))
        .collect();
    let row = quiet.get(nth).unwrap_or_else(|| panic!("at least {} quiet storable products", nth + 1));
    let product = row["id"].as_i64().expect("id");
    let pending = odoo
        .execute(
            "stock.quant",
            "search",
            json!([[
                ["product_id", "=", product],
                ["location_id", "=", location],
                ["inventory_quantity_set", "=", true]
            ]]),
            json!({}),
        )
        .await;
    if pending.as_array().is_some_and(|p| !p.is_empty()) {
        odoo.execute("stock.quant", "action_clear_inventory_quantity", json!([pending]), json!({})).await;
    }
    Subject { sku: row["default_code"].as_str().expect("sku").to_owned(), product, location, warehouse: warehouse.name }
}

fn decimal(q: &Option<Quantity>) -> Decimal {
    q.as_ref().expect("quantity").value.parse().expect("decimal")
}

fn request(counts: Vec<pb::InventoryCount>) -> pb::AdjustInventoryRequest {
    pb::AdjustInventoryRequest { request_id: unique("count"), counts }
}

async fn adjust(client: &mut Client, request: pb::AdjustInventoryRequest) -> pb::AdjustInventoryResponse {
    client.adjust_inventory(request).await.expect("adjusted").into_inner()
}

/// The subjects of a conflict refusal, after checking it is one.
fn conflicting(status: &tonic::Status) -> Vec<String> {
    assert_eq!(status.code(), Code::FailedPrecondition, "{}", status.message());
    let details = status.get_error_details();
    assert_eq!(details.error_info().map(|i| i.reason.as_str()), Some("COUNT_CONFLICT"));
    details.precondition_failure().map_or_else(Vec::new, |p| p.violations.iter().map(|v| v.subject.clone()).collect())
}

/// The count pending on the subject's quant in Odoo, if any.
async fn pending_count(harness: &common::Harness, subject: &Subject) -> Option<f64> {
    let quants = harness
        .direct()
        .execute(
            "stock.quant",
            "search_read",
            json!([[["product_id", "=", subject.product], ["location_id", "=", subject.location]]]),
            json!({"fields": ["inventory_quantity", "inventory_quantity_set"]}),
        )
        .await;
    quants
        .as_array()
        .expect("quants")
        .iter()
        .find(|q| q["inventory_quantity_set"].as_bool() == Some(true))
        .and_then(|q| q["inventory_quantity"].as_f64())
}

/// Checks that what Odoo had after `then` still stands: counting `counts` again (as they were
/// counted then) changes nothing.
async fn stands(
    client: &mut Client,
    counts: Vec<pb::InventoryCount>,
    subject: &Subject,
    then: &pb::AdjustInventoryResponse,
) {
    let now = adjust(client, request(counts)).await;
    assert!(now.results.iter().all(|r| decimal(&r.difference).is_zero()), "a refused count was applied: {now:?}");
    assert_eq!(subject.on_hand(&now), subject.on_hand(then));
}

scenario!(a_count_sets_what_is_on_hand_and_says_what_it_changed);
async fn a_count_sets_what_is_on_hand_and_says_what_it_changed(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let subject = subject(harness, 0).await;

    let first = adjust(&mut client, request(vec![subject.count("7")])).await;
    assert!(!first.replayed);
    let result = &first.results[0];
    assert_eq!((result.sku.as_str(), decimal(&result.counted)), (subject.sku.as_str(), Decimal::from(7)));
    assert_eq!(decimal(&result.previous) + decimal(&result.difference), Decimal::from(7));
    assert_eq!(result.location.as_ref().map(|l| l.id), Some(subject.location));

    let again = request(vec![subject.count("5")]);
    let second = adjust(&mut client, again.clone()).await;
    let result = &second.results[0];
    assert_eq!(decimal(&result.previous), Decimal::from(7), "the first count was applied");
    assert_eq!(decimal(&result.difference), Decimal::from(-2));
    assert_eq!(subject.on_hand(&second), subject.on_hand(&first) - Decimal::from(2));

    // A retry answers the first result and applies nothing again.
    let replay = adjust(&mut client, again.clone()).await;
    assert!(replay.replayed);
    assert_eq!(replay.results, second.results);
    assert_eq!(subject.on_hand(&replay), subject.on_hand(&second));
    let reused = client
        .adjust_inventory(pb::AdjustInventoryRequest { counts: vec![subject.count("6")], ..again })
        .await
        .expect_err("another payload");
    assert_eq!(reused.code(), Code::AlreadyExists);

    // Finding nothing is a count too.
    let emptied = adjust(&mut client, request(vec![subject.count("0")])).await;
    assert_eq!(decimal(&emptied.results[0].difference), Decimal::from(-5));
}

scenario!(concurrent_duplicates_apply_a_count_once);
async fn concurrent_duplicates_apply_a_count_once(harness: &common::Harness) {
    let subject = subject(harness, 1).await;
    let mut client = harness.inventory().await;
    let base = adjust(&mut client, request(vec![subject.count("10")])).await;
    let once = request(vec![subject.count("13")]);
    let calls = (0..5).map(|_| {
        let (mut client, once) = (client.clone(), once.clone());
        async move { adjust(&mut client, once).await }
    });
    let answers = futures::future::join_all(calls).await;
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1, "one call applied, the others replayed");
    for answer in &answers {
        assert_eq!(decimal(&answer.results[0].difference), Decimal::from(3));
        assert_eq!(subject.on_hand(answer), subject.on_hand(&base) + Decimal::from(3));
    }
}

scenario!(counts_that_cannot_be_used_are_all_reported_and_none_is_applied);
async fn counts_that_cannot_be_used_are_all_reported_and_none_is_applied(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let subject = subject(harness, 2).await;
    let before = adjust(&mut client, request(vec![subject.count("4")])).await;

    // What the request alone shows wrong.
    let mut negative = subject.count("-1");
    negative.counted_at = Some(prost_types::Timestamp { seconds: 4_102_444_800, nanos: 0 });
    let malformed = pb::AdjustInventoryRequest {
        request_id: String::new(),
        counts: vec![
            subject.count("2"),
            negative,
            pb::InventoryCount { sku: " ".into(), location: "places/1".into(), ..subject.count("1") },
        ],
    };
    let status = client.adjust_inventory(malformed).await.expect_err("malformed");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&status),
        ["request_id", "counts[1].counted.value", "counts[1].counted_at", "counts[2].sku", "counts[2].location"]
    );

    // What only Odoo can tell: each reported, nothing applied.
    let without_stock = unique("SVC");
    let product = json!([{"name": "Installation service", "default_code": without_stock, "type": "service"}]);
    harness.direct().execute("product.product", "create", product, json!({})).await;
    let other = subject_beside(harness, &subject).await;
    let unusable = request(vec![
        subject.count("2"),
        pb::InventoryCount { sku: unique("NO-SUCH-SKU"), ..subject.count("1") },
        pb::InventoryCount { location: "locations/987654".into(), ..subject.count("1") },
        subject.count("3"),
        pb::InventoryCount {
            counted: Some(Quantity { value: "1".into(), unit_of_measure: "Dozens".into() }),
            ..other.count("1")
        },
        pb::InventoryCount { sku: without_stock, ..subject.count("1") },
    ]);
    let status = client.adjust_inventory(unusable).await.expect_err("unusable");
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        ["counts[1].sku", "counts[2].location", "counts[3]", "counts[4].counted.unit_of_measure", "counts[5].sku"]
    );
    stands(&mut client, vec![subject.count("4")], &subject, &before).await;
}

scenario!(a_count_pending_in_odoo_is_never_overwritten);
async fn a_count_pending_in_odoo_is_never_overwritten(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let subject = subject(harness, 3).await;
    let other = subject_beside(harness, &subject).await;
    let before = adjust(&mut client, request(vec![subject.count("6"), other.count("2")])).await;
    // A person counts the same stock in Odoo and has not applied it yet.
    let odoo = harness.direct();
    let counted = json!([{"product_id": subject.product, "location_id": subject.location, "inventory_quantity": 3}]);
    let quant =
        odoo.execute("stock.quant", "create", json!([counted]), json!({"context": {"inventory_mode": true}})).await;

    let status =
        client.adjust_inventory(request(vec![other.count("9"), subject.count("8")])).await.expect_err("conflict");
    assert_eq!(conflicting(&status), ["counts[1]"]);
    assert!(
        status
            .get_error_details()
            .precondition_failure()
            .is_some_and(|p| p.violations[0].description.contains("counted in Odoo"))
    );
    assert_eq!(pending_count(harness, &subject).await, Some(3.0), "the count made in Odoo is kept as it was");

    odoo.execute("stock.quant", "action_clear_inventory_quantity", json!([quant]), json!({})).await;
    stands(&mut client, vec![subject.count("6"), other.count("2")], &subject, &before).await;
}

/// Another quiet product, counted in the same place as `subject`.
async fn subject_beside(harness: &common::Harness, subject: &Subject) -> Subject {
    let mut other = self::subject(harness, 4).await;
    assert_ne!(other.sku, subject.sku);
    other.location = subject.location;
    other
}

scenario!(stock_that_moved_after_the_count_was_taken_is_a_conflict);
async fn stock_that_moved_after_the_count_was_taken_is_a_conflict(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let subject = subject(harness, 5).await;
    let taken = prost_types::Timestamp::from(std::time::SystemTime::now() - Duration::from_secs(1));
    // The stock moves after the WMS counted it: here, a count applied in between.
    let moved = adjust(&mut client, request(vec![subject.count("11")])).await;

    let stale = pb::InventoryCount { counted_at: Some(taken), ..subject.count("12") };
    let status = client.adjust_inventory(request(vec![stale])).await.expect_err("stale");
    assert_eq!(conflicting(&status), ["counts[0]"]);
    stands(&mut client, vec![subject.count("11")], &subject, &moved).await;
}

on_both_simulators!(stock_that_moves_while_counts_are_applied_is_a_conflict);
async fn stock_that_moves_while_counts_are_applied_is_a_conflict(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let subject = subject(harness, 0).await;
    adjust(&mut client, request(vec![subject.count("10")])).await;
    let simulator = harness.simulator_handle();
    let applying = simulator.call_count("stock.quant", "action_apply_inventory");
    simulator
        .faults()
        .inject(FaultRule::times(Fault::Latency { millis: 1500 }, 1).on("stock.quant", "action_apply_inventory"));
    let counting = tokio::spawn({
        let (mut client, count) = (client.clone(), subject.count("14"));
        async move { client.adjust_inventory(request(vec![count])).await }
    });
    wait::until("the counts are being applied", Duration::from_secs(10), || async {
        simulator.call_count("stock.quant", "action_apply_inventory") > applying
    })
    .await;
    // A delivery takes one away in the meantime.
    let quants = harness
        .direct()
        .execute(
            "stock.quant",
            "search_read",
            json!([[["product_id", "=", subject.product], ["location_id", "=", subject.location]]]),
            json!({"fields": ["quantity"]}),
        )
        .await;
    let quant = quants[0]["id"].as_i64().expect("the quant");
    harness.direct().execute("stock.quant", "write", json!([[quant], {"quantity": 9.0}]), json!({})).await;

    let status = counting.await.expect("the call ends").expect_err("conflict");
    assert_eq!(conflicting(&status), ["counts[0]"]);
    assert_eq!(pending_count(harness, &subject).await, None, "the count set was withdrawn");
    let moved = adjust(&mut client, request(vec![subject.count("9")])).await;
    assert_eq!(decimal(&moved.results[0].difference), Decimal::ZERO, "what moved stands");
}

on_both_simulators!(a_lost_answer_to_applying_the_counts_is_not_an_error);
async fn a_lost_answer_to_applying_the_counts_is_not_an_error(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let subject = subject(harness, 0).await;
    let before = adjust(&mut client, request(vec![subject.count("10")])).await;
    harness
        .simulator_handle()
        .faults()
        .inject(FaultRule::times(Fault::LoseResponse, 1).on("stock.quant", "action_apply_inventory"));
    let once = request(vec![subject.count("12")]);
    let applied = adjust(&mut client, once.clone()).await;
    assert_eq!(decimal(&applied.results[0].difference), Decimal::from(2));
    assert_eq!(subject.on_hand(&applied), subject.on_hand(&before) + Decimal::from(2));
    let replay = adjust(&mut client, once).await;
    assert!(replay.replayed);
    assert_eq!(replay.results, applied.results);
}
