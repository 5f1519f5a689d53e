//! Odd records in Odoo: a record holding a value odoo-mesh cannot decode (here a quantity of
//! 1e30, beyond what a decimal holds, which Odoo accepts through `write`) is left out of lists,
//! pages and watches, named when asked for alone, and counted — it never takes down what it is
//! read with. The odd values are written through Odoo's own API, as any Odoo client could, so
//! the scenarios run the same on the simulators and a real Odoo; what they make is undone at the
//! end, even when they fail.

mod common;

use std::{collections::HashMap, time::Duration};

use common::{DirectOdoo, Harness, a_customer, partner, qty, stocked_skus, unique, wait};
use odoo_adapter::OdooConfig;
use odoo_mesh::{
    config::Config,
    proto::{
        inventory::v1::{self as inv, SkuStatus, WatchEventType},
        order::v1::{self as pb, SalesOrderState},
        shipment::v1::{self as ship, shipment_service_client::ShipmentServiceClient},
    },
};
use serde_json::{Value, json};
use tonic::{Code, Streaming};
use tonic_types::StatusExt;

/// More than a decimal holds: Odoo stores it, and sends it back as `1e+30`.
const HOSTILE: f64 = 1e30;

/// How long a test waits for what must come.
const PATIENCE: Duration = Duration::from_secs(20);

/// Quick polls, so watches see changes within a second.
fn fast(config: &mut Config) {
    config.watch.capture.poll_interval = Duration::from_millis(200);
    config.watch.retention.overlap = Duration::from_secs(5);
    config.watch.stream.heartbeat = Duration::from_millis(400);
}

/// Calls made in Odoo when the test ends, last registered first, whether it passed or not: odd
/// records left in a shared Odoo would spoil later runs and everyone else's reads.
struct Cleanup {
    odoo: OdooConfig,
    steps: Vec<(&'static str, &'static str, Value, Value)>,
}

impl Cleanup {
    fn new(harness: &Harness) -> Self {
        Self { odoo: harness.odoo.clone(), steps: Vec::new() }
    }

    /// Cancels and deletes a sales order (with its deliveries, which Odoo keeps once cancelled).
    fn sales_order(&mut self, id: i64) {
        self.steps.push(("sale.order", "unlink", json!([[id]]), json!({})));
        self.steps.push(("stock.picking", "unlink", json!([[["sale_id", "=", id]]]), json!({"search": true})));
        let context = json!({"context": {"disable_cancel_warning": true}});
        self.steps.push(("sale.order", "action_cancel", json!([[id]]), context));
    }

    fn delete(&mut self, model: &'static str, id: i64) {
        self.steps.push((model, "unlink", json!([[id]]), json!({})));
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (odoo, steps) = (self.odoo.clone(), std::mem::take(&mut self.steps));
        // Drop cannot await, and may run while a failed test unwinds: a runtime of its own.
        let cleaning = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
            runtime.block_on(async {
                let odoo = DirectOdoo::new(odoo);
                for (model, method, args, kwargs) in steps.into_iter().rev() {
                    let (args, kwargs) = match kwargs.get("search") {
                        // Ids found now: a delivery is made when its order is confirmed.
                        Some(_) => {
                            let ids = odoo.try_execute(model, "search", args, json!({})).await.unwrap_or_default();
                            (json!([ids]), json!({}))
                        }
                        None => (args, kwargs),
                    };
                    if let Err(error) = odoo.try_execute(model, method, args, kwargs).await {
                        eprintln!("cleanup: {model}.{method} failed: {error}");
                    }
                }
            });
        });
        let _ = cleaning.join();
    }
}

/// Writes the hostile quantity on every line of a sales order, as an Odoo client could.
async fn make_hostile(odoo: &DirectOdoo, order: i64) {
    let read = odoo.execute("sale.order", "read", json!([[order]]), json!({"fields": ["order_line"]})).await;
    let lines = read[0]["order_line"].clone();
    odoo.execute("sale.order.line", "write", json!([lines, {"product_uom_qty": HOSTILE}]), json!({})).await;
}

/// The `ErrorInfo` of a status: its reason and metadata.
fn error_info(status: &tonic::Status) -> (String, HashMap<String, String>) {
    let info = status.get_error_details().error_info().cloned().expect("ErrorInfo");
    (info.reason, info.metadata)
}

/// Whether a refusal names `model` record `id` — itself, or as the record a refused part belongs to.
fn names_record(metadata: &HashMap<String, String>, model: &str, id: i64) -> bool {
    let own = metadata.get("model").is_some_and(|m| m == model) && metadata.get("id") == Some(&id.to_string());
    own || metadata.get("part_of") == Some(&format!("{model}/{id}"))
}

/// The sum of `odoo_mesh_undecodable_records_total` over the series of `model`.
async fn undecodable(harness: &Harness, model: &str) -> f64 {
    let exposition = harness.metrics().await;
    let series = format!("model=\"{model}\"");
    exposition
        .lines()
        .filter(|l| l.starts_with("odoo_mesh_undecodable_records_total{") && l.contains(&series))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A draft sales order of one unit of `sku`, made through odoo-mesh: (id, name).
async fn draft_order(harness: &Harness, customer: i64, warehouse: &str, sku: &str, reference: &str) -> (i64, String) {
    let request = pb::CreateSalesOrderRequest {
        request_id: unique(reference),
        customer: partner(customer),
        warehouse: warehouse.into(),
        customer_reference: reference.into(),
        lines: vec![pb::SalesOrderLineInput { sku: sku.into(), quantity: qty("1"), ..Default::default() }],
        ..Default::default()
    };
    let created = harness.orders().await.create_sales_order(request).await.expect("created").into_inner();
    let order = created.sales_order.expect("an order");
    (order.id, order.name)
}

scenario!(undecodable_sales_orders_are_left_out_of_pages_and_named_when_asked_for);
async fn undecodable_sales_orders_are_left_out_of_pages_and_named_when_asked_for(harness: &Harness) {
    let odoo = harness.direct();
    let mut cleanup = Cleanup::new(harness);
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let reference = unique("odd-orders");
    let mut created = Vec::new();
    for _ in 0..6 {
        let (id, _) = draft_order(harness, customer, &warehouse, &stock[0].0, &reference).await;
        cleanup.sales_order(id);
        created.push(id);
    }
    // Pages of two: the first keeps one order, the second none at all, the third both.
    let hostile = [created[1], created[2], created[3]];
    for id in hostile {
        make_hostile(&odoo, id).await;
    }

    let mut orders = harness.orders().await;
    let (seen, pages) = page_through(|page_token| {
        let request = pb::ListSalesOrdersRequest {
            page_size: 2,
            page_token,
            customer_reference: reference.clone(),
            ..Default::default()
        };
        let mut orders = orders.clone();
        async move {
            let page = orders.list_sales_orders(request).await.expect("every page answers").into_inner();
            (page.sales_orders.iter().map(|o| o.id).collect(), page.next_page_token)
        }
    })
    .await;
    let readable: Vec<i64> = created.iter().copied().filter(|id| !hostile.contains(id)).collect();
    assert_eq!(seen, readable, "every other order once, in order, past a page of odd ones");
    assert!(pages >= 3, "the page of odd orders did not end the listing");

    for id in hostile {
        let refused = orders
            .get_sales_order(pb::GetSalesOrderRequest { name: format!("salesOrders/{id}") })
            .await
            .expect_err("an odd order cannot be answered");
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        let (reason, metadata) = error_info(&refused);
        assert_eq!(reason, "ODOO_RECORD_UNREADABLE");
        assert!(names_record(&metadata, "sale.order", id), "{metadata:?}");
        assert!(metadata.contains_key("field"), "{metadata:?}");
        assert!(refused.message().contains("correct it in odoo"), "{}", refused.message());
    }
    let other = orders
        .get_sales_order(pb::GetSalesOrderRequest { name: format!("salesOrders/{}", created[0]) })
        .await
        .expect("another order answers")
        .into_inner();
    assert_eq!(other.sales_order.map(|o| o.id), Some(created[0]));
    assert!(undecodable(harness, "sale.order").await >= 1.0, "the odd orders are counted");
}

scenario!(the_sales_order_watch_goes_on_past_an_undecodable_order, crate::fast);
async fn the_sales_order_watch_goes_on_past_an_undecodable_order(harness: &Harness) {
    let odoo = harness.direct();
    let mut cleanup = Cleanup::new(harness);
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let mut orders = harness.orders().await;
    let mut stream =
        orders.watch_sales_orders(pb::WatchSalesOrdersRequest::default()).await.expect("opens").into_inner();

    let (odd, _) = draft_order(harness, customer, &warehouse, &stock[0].0, "odd-watched").await;
    cleanup.sales_order(odd);
    make_hostile(&odoo, odd).await;
    // The odd order changes again, so the watch reads it whether or not its lines' write did.
    odoo.execute("sale.order", "write", json!([[odd], {"note": "changed while odd"}]), json!({})).await;
    wait::until("the odd order is counted", PATIENCE, || async { undecodable(harness, "sale.order").await >= 1.0 })
        .await;

    let (next, name) = draft_order(harness, customer, &warehouse, &stock[0].0, "after-odd").await;
    cleanup.sales_order(next);
    orders
        .confirm_sales_order(pb::ConfirmSalesOrderRequest { name: format!("salesOrders/{next}") })
        .await
        .expect("confirmed");
    first(&mut stream, "the confirmation of the next order", |event: &pb::WatchSalesOrdersResponse| {
        event.sales_order.as_ref().is_some_and(|o| o.name == name && o.state() == SalesOrderState::Confirmed)
    })
    .await;
}

scenario!(an_undecodable_product_is_left_out_of_the_catalogue_and_named_when_asked_for);
async fn an_undecodable_product_is_left_out_of_the_catalogue_and_named_when_asked_for(harness: &Harness) {
    let odoo = harness.direct();
    let mut cleanup = Cleanup::new(harness);
    let prefix = unique("ODD").to_uppercase();
    let mut made = Vec::new();
    for n in 0..3 {
        let values =
            json!({"name": format!("odd catalogue {n}"), "default_code": format!("{prefix}-{n}"), "list_price": 5.0});
        let id = odoo.execute("product.product", "create", json!([values]), json!({})).await.as_i64().expect("id");
        cleanup.delete("product.product", id);
        made.push(id);
    }
    odoo.execute("product.product", "write", json!([[made[1]], {"list_price": HOSTILE}]), json!({})).await;

    let mut inventory = harness.inventory().await;
    let (seen, _) = page_through(|page_token| {
        let request =
            inv::ListProductsRequest { page_size: 1, page_token, sku_prefix: prefix.clone(), ..Default::default() };
        let mut inventory = inventory.clone();
        async move {
            let page = inventory.list_products(request).await.expect("every page answers").into_inner();
            (page.products.iter().map(|p| p.id).collect(), page.next_page_token)
        }
    })
    .await;
    assert_eq!(seen, [made[0], made[2]], "the others once each, past a page holding only the odd one");

    let refused = inventory.get_product(by_name(made[1])).await.expect_err("the odd product cannot be answered");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    let (reason, metadata) = error_info(&refused);
    assert_eq!(reason, "ODOO_RECORD_UNREADABLE");
    assert!(names_record(&metadata, "product.product", made[1]), "{metadata:?}");
    assert_eq!(metadata.get("field").map(String::as_str), Some("list_price"));
    inventory.get_product(by_name(made[0])).await.expect("another product answers");
    assert!(undecodable(harness, "product.product").await >= 1.0, "the odd product is counted");
}

fn by_name(product: i64) -> inv::GetProductRequest {
    inv::GetProductRequest { product: Some(inv::get_product_request::Product::Name(format!("products/{product}"))) }
}

scenario!(stock_and_shipment_watches_go_on_past_undecodable_stock, crate::fast);
async fn stock_and_shipment_watches_go_on_past_undecodable_stock(harness: &Harness) {
    let odoo = harness.direct();
    let mut cleanup = Cleanup::new(harness);
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 2, 1).await;
    let (other, available) = stock[0].clone();
    let mut inventory = harness.inventory().await;
    let mut levels = inventory
        .watch_stock_levels(inv::WatchStockLevelsRequest {
            skus: vec![other.clone()],
            warehouses: vec![warehouse.clone()],
            ..Default::default()
        })
        .await
        .expect("opens")
        .into_inner();
    let mut shipments = ShipmentServiceClient::new(harness.channel().await)
        .watch_shipments(ship::WatchShipmentsRequest {
            kind: ship::ShipmentKind::Delivery.into(),
            ..Default::default()
        })
        .await
        .expect("opens")
        .into_inner();

    // A product of its own, whose delivery of 1e30 units makes its outgoing and forecast
    // quantities, and the delivery's move, undecodable.
    let sku = unique("ODD-STOCK").to_uppercase();
    let values =
        json!({"name": "odd stock", "default_code": sku, "is_storable": true, "type": "consu", "list_price": 1.0});
    let product = odoo.execute("product.product", "create", json!([values]), json!({})).await.as_i64().expect("id");
    cleanup.delete("product.product", product);
    let line = json!([0, 0, {"product_id": product, "product_uom_qty": 1.0}]);
    let order = odoo
        .execute("sale.order", "create", json!([{"partner_id": customer, "order_line": [line]}]), json!({}))
        .await
        .as_i64()
        .expect("id");
    cleanup.sales_order(order);
    make_hostile(&odoo, order).await;
    odoo.execute("sale.order", "action_confirm", json!([[order]]), json!({})).await;
    wait::until("the odd stock is counted", PATIENCE, || async {
        undecodable(harness, "product.product").await >= 1.0
    })
    .await;

    let answer = inventory
        .get_stock_levels(inv::GetStockLevelsRequest {
            skus: vec![sku.clone(), other.clone()],
            warehouses: vec![warehouse.clone()],
            max_staleness: None,
        })
        .await
        .expect("the other SKU is answered")
        .into_inner();
    assert_eq!(answer.items[0].status(), SkuStatus::Unreadable, "{:?}", answer.items[0]);
    assert_eq!(answer.items[0].product.as_ref().map(|p| p.id), Some(product));
    assert_eq!(answer.items[1].status(), SkuStatus::Found, "{:?}", answer.items[1]);

    // Stock and deliveries of others still stream in.
    let (reserved, _) = draft_order(harness, customer, &warehouse, &other, "after-odd-stock").await;
    cleanup.sales_order(reserved);
    harness
        .orders()
        .await
        .confirm_sales_order(pb::ConfirmSalesOrderRequest { name: format!("salesOrders/{reserved}") })
        .await
        .expect("confirmed");
    first(&mut levels, "the reservation of the other SKU", |event: &inv::WatchStockLevelsResponse| {
        let to_promise = event.level.as_ref().and_then(|l| l.available_to_promise.as_ref());
        event.r#type() == WatchEventType::Changed
            && event.sku == other
            && to_promise.and_then(|q| q.value.parse().ok()) == Some(available - rust_decimal::Decimal::ONE)
    })
    .await;
    first(&mut shipments, "the delivery of the other SKU", |event: &ship::WatchShipmentsResponse| {
        let shipment = event.shipment.as_ref();
        assert!(shipment.is_none_or(|s| s.lines.iter().all(|l| l.sku != sku)), "the odd delivery is never sent");
        shipment.is_some_and(|s| s.lines.iter().any(|l| l.sku == other) && s.order == format!("salesOrders/{reserved}"))
    })
    .await;
}

/// Follows a list's page tokens to its end: the ids of every page in order, and how many pages.
async fn page_through<F, Fut>(mut page: F) -> (Vec<i64>, usize)
where
    F: FnMut(String) -> Fut,
    Fut: std::future::Future<Output = (Vec<i64>, String)>,
{
    let (mut seen, mut pages, mut token) = (Vec::new(), 0, String::new());
    loop {
        let (ids, next) = page(token).await;
        seen.extend(ids);
        pages += 1;
        if next.is_empty() {
            return (seen, pages);
        }
        assert!(pages < 20, "paging ends");
        token = next;
    }
}

/// Reads a stream until an event is `wanted`; fails naming `what` if none comes in time.
async fn first<M>(stream: &mut Streaming<M>, what: &str, wanted: impl Fn(&M) -> bool) -> M {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let event = tokio::time::timeout_at(deadline, stream.message())
            .await
            .unwrap_or_else(|_| panic!("no {what} in time"))
            .expect("the stream is healthy")
            .expect("the stream goes on");
        if wanted(&event) {
            return event;
        }
    }
}
