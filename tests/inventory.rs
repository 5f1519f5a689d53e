//! Inventory reads end to end: gRPC over mutual TLS → odoo-mesh → Odoo. Each scenario runs against
//! the simulator and, when configured, against a real Odoo; none depends on seed ids.

mod common;

use std::collections::{BTreeMap, HashSet};

use odoo_mesh::proto::inventory::v1::{self as pb, get_product_request::Product};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

fn decimal(q: Option<&odoo_mesh::proto::common::v1::Quantity>) -> Decimal {
    q.expect("quantity set").value.parse().expect("quantity is a decimal")
}

async fn warehouses(
    client: &mut pb::inventory_service_client::InventoryServiceClient<tonic::transport::Channel>,
) -> Vec<pb::Warehouse> {
    client.list_warehouses(pb::ListWarehousesRequest {}).await.expect("warehouses").into_inner().warehouses
}

/// Some products that have a SKU, read through the API.
async fn some_skus(harness: &common::Harness, n: i32) -> Vec<String> {
    let page = harness
        .inventory()
        .await
        .list_products(pb::ListProductsRequest { page_size: 200, ..Default::default() })
        .await
        .expect("lists")
        .into_inner();
    let skus: Vec<String> =
        page.products.into_iter().map(|p| p.sku).filter(|s| !s.is_empty()).take(n as usize).collect();
    assert!(!skus.is_empty(), "the database has products with SKUs");
    skus
}

scenario!(stock_levels_match_what_odoo_reports_per_warehouse);
async fn stock_levels_match_what_odoo_reports_per_warehouse(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let mut skus = some_skus(harness, 8).await;
    skus.push("NO-SUCH-SKU-7f3a".into());
    let answer = client
        .get_stock_levels(pb::GetStockLevelsRequest { skus: skus.clone(), ..Default::default() })
        .await
        .expect("reads")
        .into_inner();
    assert_eq!(answer.source(), pb::StockSource::Odoo);
    assert_eq!(
        answer.items.iter().map(|i| i.sku.clone()).collect::<Vec<_>>(),
        skus,
        "one item per SKU, in request order"
    );
    let unknown = answer.items.last().expect("items");
    assert_eq!(unknown.status(), pb::SkuStatus::NotFound);
    assert!(unknown.levels.is_empty());

    let warehouses = warehouses(&mut client).await;
    let odoo = harness.direct();
    for warehouse in &warehouses {
        let rows = odoo
            .execute(
                "product.product",
                "search_read",
                json!([[["default_code", "in", skus]]]),
                json!({"fields": ["default_code", "qty_available", "free_qty", "incoming_qty", "outgoing_qty", "virtual_available"], "context": {"warehouse_id": warehouse.id}}),
            )
            .await;
        let by_sku: BTreeMap<String, Value> = rows
            .as_array()
            .expect("records")
            .iter()
            .map(|r| (r["default_code"].as_str().unwrap_or_default().to_owned(), r.clone()))
            .collect();
        for item in answer.items.iter().filter(|i| i.status() == pb::SkuStatus::Found) {
            let level = item
                .levels
                .iter()
                .find(|l| l.warehouse.as_ref().is_some_and(|w| w.id == warehouse.id))
                .expect("a level per warehouse");
            let odoo_row = &by_sku[&item.sku];
            let odoo_qty =
                |f: &str| Decimal::from_f64_retain(odoo_row[f].as_f64().expect("number")).expect("finite").round_dp(3);
            assert_eq!(
                decimal(level.on_hand.as_ref()).round_dp(3),
                odoo_qty("qty_available"),
                "{} on hand in {}",
                item.sku,
                warehouse.code
            );
            assert_eq!(
                decimal(level.available_to_promise.as_ref()).round_dp(3),
                odoo_qty("free_qty"),
                "{} free in {}",
                item.sku,
                warehouse.code
            );
            assert_eq!(decimal(level.incoming.as_ref()).round_dp(3), odoo_qty("incoming_qty"));
            assert_eq!(decimal(level.outgoing.as_ref()).round_dp(3), odoo_qty("outgoing_qty"));
            assert_eq!(decimal(level.forecast.as_ref()).round_dp(3), odoo_qty("virtual_available"));
            assert_eq!(
                decimal(level.reserved.as_ref()),
                decimal(level.on_hand.as_ref()) - decimal(level.available_to_promise.as_ref()),
                "reserved is on hand minus available"
            );
        }
    }
}

scenario!(stock_levels_can_be_limited_to_one_warehouse);
async fn stock_levels_can_be_limited_to_one_warehouse(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let warehouses = warehouses(&mut client).await;
    let last = warehouses.last().expect("at least one warehouse");
    let skus = some_skus(harness, 3).await;
    let answer = client
        .get_stock_levels(pb::GetStockLevelsRequest { skus, warehouses: vec![last.name.clone()], ..Default::default() })
        .await
        .expect("reads")
        .into_inner();
    for item in answer.items {
        assert_eq!(item.levels.len(), 1);
        assert_eq!(item.levels[0].warehouse.as_ref().map(|w| w.id), Some(last.id));
    }
}

scenario!(product_pages_neither_skip_nor_repeat_while_products_are_created);
async fn product_pages_neither_skip_nor_repeat_while_products_are_created(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let odoo = harness.direct();
    let expected: Vec<i64> =
        serde_json::from_value(odoo.execute("product.product", "search", json!([[]]), json!({"order": "id"})).await)
            .expect("ids");
    let mut seen = Vec::new();
    let mut token = String::new();
    let mut created = None;
    loop {
        let page = client
            .list_products(pb::ListProductsRequest { page_size: 7, page_token: token.clone(), ..Default::default() })
            .await
            .expect("page")
            .into_inner();
        seen.extend(page.products.iter().map(|p| p.id));
        if created.is_none() {
            // A product created mid-listing appears once, at the end, and shifts nothing.
            let id = odoo
                .execute(
                    "product.product",
                    "create",
                    json!([{"name": "Mid-listing Widget", "default_code": "MESH-TEST-MID"}]),
                    json!({}),
                )
                .await;
            created = Some(id.as_i64().expect("new id"));
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let created = created.expect("created");
    odoo.execute("product.product", "unlink", json!([[created]]), json!({})).await;
    let unique: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no product repeated across pages");
    let mut with_new = expected.clone();
    with_new.push(created);
    assert_eq!(seen, with_new, "every product once, by id, the new one last");
}

scenario!(products_filter_by_sku_prefix_and_update_time);
async fn products_filter_by_sku_prefix_and_update_time(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let sku = some_skus(harness, 1).await.remove(0);
    let prefix: String = sku.chars().take(3).collect();
    let page = client
        .list_products(pb::ListProductsRequest { sku_prefix: prefix.clone(), page_size: 1000, ..Default::default() })
        .await
        .expect("lists")
        .into_inner();
    assert!(page.products.iter().any(|p| p.sku == sku));
    assert!(page.products.iter().all(|p| p.sku.starts_with(&prefix)), "only the prefix");

    let future = prost_types::Timestamp { seconds: 4_102_444_800, nanos: 0 };
    let none = client
        .list_products(pb::ListProductsRequest { updated_since: Some(future), ..Default::default() })
        .await
        .expect("lists")
        .into_inner();
    assert!(none.products.is_empty(), "nothing was updated after 2100");

    let token = first_token(&mut client).await;
    let other_filter = client
        .list_products(pb::ListProductsRequest { sku_prefix: "ZZZ".into(), page_token: token, ..Default::default() })
        .await
        .expect_err("a token is bound to its filters");
    assert_eq!(other_filter.code(), Code::InvalidArgument);
    assert_eq!(
        other_filter.get_error_details().bad_request().expect("BadRequest").field_violations[0].field,
        "page_token"
    );
}

async fn first_token(
    client: &mut pb::inventory_service_client::InventoryServiceClient<tonic::transport::Channel>,
) -> String {
    client
        .list_products(pb::ListProductsRequest { page_size: 1, ..Default::default() })
        .await
        .expect("lists")
        .into_inner()
        .next_page_token
}

scenario!(a_product_is_found_by_sku_and_by_name_alike);
async fn a_product_is_found_by_sku_and_by_name_alike(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let sku = some_skus(harness, 1).await.remove(0);
    let by_sku = client
        .get_product(pb::GetProductRequest { product: Some(Product::Sku(sku.clone())) })
        .await
        .expect("by sku")
        .into_inner()
        .product
        .expect("product");
    let by_name = client
        .get_product(pb::GetProductRequest { product: Some(Product::Name(by_sku.name.clone())) })
        .await
        .expect("by name")
        .into_inner()
        .product
        .expect("product");
    assert_eq!(by_sku, by_name);
    assert_eq!(by_sku.sku, sku);
    let price = by_sku.list_price.expect("price");
    assert_eq!(price.currency_code.len(), 3, "ISO currency code");

    let missing = client
        .get_product(pb::GetProductRequest { product: Some(Product::Sku("NO-SUCH-SKU-7f3a".into())) })
        .await
        .expect_err("unknown");
    assert_eq!(missing.code(), Code::NotFound);
    let malformed = client
        .get_product(pb::GetProductRequest { product: Some(Product::Name("product/1".into())) })
        .await
        .expect_err("malformed");
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(malformed.get_error_details().bad_request().expect("BadRequest").field_violations[0].field, "name");
}

scenario!(warehouses_and_their_locations_are_listed);
async fn warehouses_and_their_locations_are_listed(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let warehouses = warehouses(&mut client).await;
    assert!(!warehouses.is_empty());
    for warehouse in &warehouses {
        assert!(!warehouse.code.is_empty() && warehouse.name == format!("warehouses/{}", warehouse.id));
        let locations = client
            .list_locations(pb::ListLocationsRequest { warehouse: warehouse.name.clone() })
            .await
            .expect("locations")
            .into_inner()
            .locations;
        let stock = warehouse.stock_location.as_ref().expect("stock location");
        assert!(locations.iter().any(|l| l.id == stock.id), "{} lists its stock location", warehouse.code);
        assert!(locations.iter().all(|l| l.warehouse.as_ref().map(|w| w.id) == Some(warehouse.id)));
    }
    let unknown = client
        .list_locations(pb::ListLocationsRequest { warehouse: "warehouses/987654".into() })
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
}

scenario!(a_bad_stock_request_names_every_bad_field);
async fn a_bad_stock_request_names_every_bad_field(harness: &common::Harness) {
    let mut client = harness.inventory().await;
    let status = client
        .get_stock_levels(pb::GetStockLevelsRequest {
            skus: vec!["OK".into(), String::new()],
            warehouses: vec!["warehouses/x".into()],
            max_staleness: Some(prost_types::Duration { seconds: -1, nanos: 0 }),
        })
        .await
        .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(common::bad_fields(&status), ["skus[1]", "warehouses[0]", "max_staleness"]);
    let too_many = client
        .get_stock_levels(pb::GetStockLevelsRequest {
            skus: (0..1001).map(|i| format!("S{i}")).collect(),
            ..Default::default()
        })
        .await
        .expect_err("too many");
    assert_eq!(too_many.code(), Code::InvalidArgument);
}
