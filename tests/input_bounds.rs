//! Bad input stops at the edge: refused with INVALID_ARGUMENT naming the field, cheaply, with an
//! error of a few hundred bytes, and without a call to Odoo. Scenarios run against both simulators
//! and, when configured, a real Odoo.

mod common;

use std::collections::BTreeMap;

use common::{Backend, Harness, bad_fields, partner, qty};
use odoo_mesh::proto::{
    common::v1::Money,
    inventory::v1::{self as inv, get_product_request::Product},
    order::v1 as pb,
};
use tonic::{Code, Status};

/// An id PostgreSQL's `integer` cannot hold.
const BEYOND_INTEGER: &str = "9999999999";

fn line(sku: &str, quantity: &str) -> pb::SalesOrderLineInput {
    pb::SalesOrderLineInput { sku: sku.into(), quantity: qty(quantity), ..Default::default() }
}

fn sales_order(lines: Vec<pb::SalesOrderLineInput>) -> pb::CreateSalesOrderRequest {
    pb::CreateSalesOrderRequest {
        request_id: common::unique("edge"),
        customer: partner(1),
        lines,
        ..Default::default()
    }
}

/// The fields an INVALID_ARGUMENT names.
fn refused(result: Result<impl std::fmt::Debug, Status>) -> Vec<String> {
    let status = result.expect_err("refused");
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    bad_fields(&status)
}

/// The calls the simulator received by `model.method`; `None` against a real Odoo.
fn odoo_calls(harness: &Harness) -> Option<BTreeMap<String, u64>> {
    match harness.backend {
        Backend::RealOdoo => None,
        _ => Some(harness.simulator_handle().calls()),
    }
}

/// The calls among `calls` that read or write records of these models: not `fields_get`, which
/// odoo-mesh's start-up check of Odoo's schema may still be making in the background.
fn calls_of(calls: &Option<BTreeMap<String, u64>>, models: &[&str]) -> Vec<(String, u64)> {
    let of_models = |call: &str| {
        let (model, method) = call.rsplit_once('.').unwrap_or_default();
        models.contains(&model) && method != "fields_get"
    };
    calls.iter().flatten().filter(|(call, _)| of_models(call)).map(|(c, n)| (c.clone(), *n)).collect()
}

scenario!(a_decimal_in_another_syntax_is_refused_naming_the_field);
async fn a_decimal_in_another_syntax_is_refused_naming_the_field(harness: &Harness) {
    let mut orders = harness.orders().await;
    let quantities = ["1_000", "+1", " 1", "1e3", ".5", "1.1234567", "1000000000", "0", "-2"];
    let order = sales_order(quantities.iter().map(|q| line("E-COM11", q)).collect());
    let expected: Vec<String> = (0..quantities.len()).map(|i| format!("lines[{i}].quantity.value")).collect();
    assert_eq!(refused(orders.create_sales_order(order).await), expected);

    let mut discounted = line("E-COM11", "1");
    discounted.discount_percent = "10%".into();
    let mut priced = line("E-COM11", "1");
    // One billionth: finer than the 6 decimals Odoo's doubles keep for a price of this size.
    priced.unit_price = Some(Money { currency_code: "USD".into(), units: 1, nanos: 1 });
    let mut order = sales_order(vec![discounted, priced]);
    order.lines[1].discount_percent = "0".into();
    order.lines[0].unit_price = Some(Money { currency_code: "USD".into(), units: 1, nanos: 0 });
    assert_eq!(
        refused(orders.create_sales_order(order).await),
        ["lines[0].discount_percent", "lines[1].unit_price.nanos"]
    );
}

scenario!(an_id_beyond_postgres_integer_never_reaches_odoo);
async fn an_id_beyond_postgres_integer_never_reaches_odoo(harness: &Harness) {
    let before = odoo_calls(harness);
    let mut orders = harness.orders().await;
    let name = format!("purchaseOrders/{BEYOND_INTEGER}");
    let get = pb::GetPurchaseOrderRequest { name: name.clone() };
    assert_eq!(refused(orders.get_purchase_order(get).await), ["name"]);
    let confirm = pb::ConfirmPurchaseOrderRequest { name };
    assert_eq!(refused(orders.confirm_purchase_order(confirm).await), ["name"]);
    let acknowledge = pb::AcknowledgePurchaseOrderRequest {
        request_id: common::unique("ack"),
        name: "purchaseOrders/1".into(),
        lines: vec![pb::LineAcknowledgement {
            line_id: BEYOND_INTEGER.parse().expect("an i64"),
            confirmed_quantity: qty("1"),
            confirmed_time: None,
        }],
    };
    assert_eq!(refused(orders.acknowledge_purchase_order(acknowledge).await), ["lines[0].line_id"]);
    let list = pb::ListPurchaseOrdersRequest { supplier: format!("partners/{BEYOND_INTEGER}"), ..Default::default() };
    assert_eq!(refused(orders.list_purchase_orders(list).await), ["supplier"]);
    let get = pb::GetSalesOrderRequest { name: format!("salesOrders/{BEYOND_INTEGER}") };
    assert_eq!(refused(orders.get_sales_order(get).await), ["name"]);
    let levels = inv::GetStockLevelsRequest {
        skus: vec!["E-COM11".into()],
        warehouses: vec![format!("warehouses/{BEYOND_INTEGER}")],
        max_staleness: None,
    };
    assert_eq!(refused(harness.inventory().await.get_stock_levels(levels).await), ["warehouses[0]"]);

    // No background task reads purchase orders: any call to them would have been one of these.
    let purchases = ["purchase.order", "purchase.order.line"];
    assert_eq!(calls_of(&odoo_calls(harness), &purchases), calls_of(&before, &purchases), "odoo was never asked");
}

scenario!(an_edited_or_foreign_page_token_is_refused);
async fn an_edited_or_foreign_page_token_is_refused(harness: &Harness) {
    let mut inventory = harness.inventory().await;
    let first = inv::ListProductsRequest { page_size: 1, ..Default::default() };
    let token = inventory.list_products(first.clone()).await.expect("a page").into_inner().next_page_token;
    assert!(!token.is_empty(), "more than one product");
    let next = |page_token: String| inv::ListProductsRequest { page_token, ..first.clone() };
    inventory.list_products(next(token.clone())).await.expect("the token as issued reads the next page");

    let middle = token.len() / 2;
    let flipped = if token.as_bytes()[middle] == b'A' { "B" } else { "A" };
    let edits = [
        format!("{}{flipped}{}", &token[..middle], &token[middle + 1..]),
        token[..token.len() - 1].to_owned(),
        format!("{token}A"),
        "not a token".to_owned(),
    ];
    for edited in edits {
        let refusal = inventory.list_products(next(edited.clone())).await;
        assert_eq!(refused(refusal), ["page_token"], "{edited}");
    }
    let other_filters = inv::ListProductsRequest { sku_prefix: "E".into(), page_token: token.clone(), ..first.clone() };
    assert_eq!(refused(inventory.list_products(other_filters).await), ["page_token"]);
    let other_listing = pb::ListSalesOrdersRequest { page_token: token, ..Default::default() };
    assert_eq!(refused(harness.orders().await.list_sales_orders(other_listing).await), ["page_token"]);
}

scenario!(a_100000_character_sku_is_answered_with_a_small_error);
async fn a_100000_character_sku_is_answered_with_a_small_error(harness: &Harness) {
    let sku = "X".repeat(100_000);
    let small = |status: &Status| {
        let size = status.message().len() + status.details().len();
        assert!(size < 512, "{size} bytes: {}", status.message());
    };
    let mut inventory = harness.inventory().await;
    let levels = inv::GetStockLevelsRequest { skus: vec![sku.clone()], warehouses: Vec::new(), max_staleness: None };
    let status = inventory.get_stock_levels(levels).await.expect_err("too long");
    assert_eq!(bad_fields(&status), ["skus[0]"]);
    small(&status);
    let product = inv::GetProductRequest { product: Some(Product::Sku(sku.clone())) };
    let status = inventory.get_product(product).await.expect_err("too long");
    assert_eq!(bad_fields(&status), ["sku"]);
    small(&status);
    let status = harness.orders().await.create_sales_order(sales_order(vec![line(&sku, "1")])).await.expect_err("long");
    assert_eq!(bad_fields(&status), ["lines[0].sku"]);
    small(&status);
}

scenario!(an_order_of_1001_lines_is_refused_before_odoo);
async fn an_order_of_1001_lines_is_refused_before_odoo(harness: &Harness) {
    let before = odoo_calls(harness);
    let mut orders = harness.orders().await;
    let lines = vec![line("E-COM11", "1"); 1001];
    assert_eq!(refused(orders.create_sales_order(sales_order(lines)).await), ["lines"]);
    let purchase = pb::CreatePurchaseOrderRequest {
        request_id: common::unique("edge"),
        supplier: partner(1),
        lines: vec![
            pb::PurchaseOrderLineInput { sku: "E-COM11".into(), quantity: qty("1"), ..Default::default() };
            1001
        ],
        ..Default::default()
    };
    assert_eq!(refused(orders.create_purchase_order(purchase).await), ["lines"]);
    let acknowledgement = pb::AcknowledgePurchaseOrderRequest {
        request_id: common::unique("ack"),
        name: "purchaseOrders/1".into(),
        lines: vec![pb::LineAcknowledgement { line_id: 1, confirmed_quantity: qty("1"), confirmed_time: None }; 1001],
    };
    assert_eq!(refused(orders.acknowledge_purchase_order(acknowledgement).await), ["lines"]);
    // Nothing in the background reads purchase orders or order lines.
    let purchases = ["purchase.order", "purchase.order.line", "sale.order.line"];
    assert_eq!(calls_of(&odoo_calls(harness), &purchases), calls_of(&before, &purchases), "odoo was never asked");
}

scenario!(an_order_whose_every_line_is_wrong_gets_an_error_a_client_can_read);
async fn an_order_whose_every_line_is_wrong_gets_an_error_a_client_can_read(harness: &Harness) {
    // A thousand violations would make an error of 100 KB, more than a gRPC client accepts in
    // headers (16 KiB): the client would see a broken stream instead. The error lists what fits.
    let lines = vec![line(&"X".repeat(129), "1_000"); 1000];
    let status = harness.orders().await.create_sales_order(sales_order(lines)).await.expect_err("every line is bad");
    assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
    let fields = bad_fields(&status);
    assert_eq!(fields[..2], ["lines[0].sku", "lines[0].quantity.value"]);
    assert!(fields.len() < 2000, "not every one of the 2000 violations is listed");
    assert!(status.message().ends_with(" more"), "{}", status.message());
}
