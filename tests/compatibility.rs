//! What odoo-mesh says about the Odoo it finds. A module missing there makes the RPCs that need it
//! answer FAILED_PRECONDITION naming the module, health and `/ready` say why, and everything else
//! keeps working — on both Odoo versions.

mod common;

use std::time::Duration;

use common::{a_customer, partner, qty, stocked_skus, unique, wait};
use odoo_mesh::proto::order::v1 as pb;
use odoo_simulator::OdooVersion;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_types::StatusExt;

const ORDER_SERVICE: &str = "odoomesh.order.v1.OrderService";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odoo_without_purchase_serves_sales_and_names_the_missing_module() {
    for version in [OdooVersion::V18, OdooVersion::V19] {
        let harness = common::Harness::simulator_lacking(version, &["purchase"]).await;
        let mut orders = harness.orders().await;

        let refused = orders
            .list_purchase_orders(pb::ListPurchaseOrdersRequest::default())
            .await
            .expect_err("no purchase module");
        assert_eq!(refused.code(), Code::FailedPrecondition, "{version:?}: {}", refused.message());
        assert!(refused.message().contains("module `purchase` is not installed"), "{}", refused.message());
        let reason = refused.get_error_details().error_info().map(|i| i.reason.clone());
        assert_eq!(reason.as_deref(), Some("ODOO_CAPABILITY_MISSING"));
        let create = pb::CreatePurchaseOrderRequest {
            request_id: unique("no-purchase"),
            supplier: partner(a_customer(&harness).await),
            lines: vec![pb::PurchaseOrderLineInput { sku: "E-COM11".into(), quantity: qty("1"), ..Default::default() }],
            ..Default::default()
        };
        let refused = orders.create_purchase_order(create).await.expect_err("no purchase module");
        assert_eq!(refused.code(), Code::FailedPrecondition);

        let (warehouse, stock) = stocked_skus(&harness, 1, 1).await;
        let sale = pb::CreateSalesOrderRequest {
            request_id: unique("sales-still"),
            customer: partner(a_customer(&harness).await),
            warehouse,
            lines: vec![pb::SalesOrderLineInput { sku: stock[0].0.clone(), quantity: qty("1"), ..Default::default() }],
            ..Default::default()
        };
        orders.create_sales_order(sale).await.expect("sales orders work without purchase");

        let serving = || async { harness.admin_health(ORDER_SERVICE).await == ServingStatus::Serving };
        wait::until("the order service serves sales orders", Duration::from_secs(10), serving).await;
        let ready = reqwest::get(format!("http://127.0.0.1:{}/ready", harness.admin_port())).await.expect("ready");
        assert_eq!(ready.status(), 200, "ready: most of odoo-mesh works");
        let why = ready.text().await.expect("body");
        assert!(why.contains("purchase orders are unavailable") && why.contains("`purchase`"), "{why}");
        harness.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odoo_without_sale_stock_says_so_for_sales_and_their_watch() {
    let harness = common::Harness::simulator_lacking(OdooVersion::V19, &["sale_stock"]).await;
    let mut orders = harness.orders().await;
    let refused = orders
        .get_sales_order(pb::GetSalesOrderRequest { name: "salesOrders/1".into() })
        .await
        .expect_err("deliveries of orders come with sale_stock");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("`sale_stock`"), "{}", refused.message());
    let watch = orders
        .watch_sales_orders(pb::WatchSalesOrdersRequest { send_initial: true, ..Default::default() })
        .await
        .expect_err("the order watch cannot load its view");
    assert_eq!(watch.code(), Code::FailedPrecondition, "not 'still loading' forever: {}", watch.message());
    assert!(watch.message().contains("`sale_stock`"), "{}", watch.message());
    harness.stop().await;
}
