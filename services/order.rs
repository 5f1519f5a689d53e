//! OrderService: sales and purchase orders. The contract is complete; order capture comes next.

use crate::{
    proto::order::v1::{self as pb, order_service_server::OrderService},
    unavailable::{Stream, unavailable_service},
};

/// The gRPC face of orders.
pub struct OrderApi;

unavailable_service! {
    impl OrderService for OrderApi;
    stream WatchSalesOrdersStream = Stream<pb::WatchSalesOrdersResponse>;
    rpc create_sales_order(pb::CreateSalesOrderRequest) -> pb::CreateSalesOrderResponse => "CreateSalesOrder", "order capture";
    rpc get_sales_order(pb::GetSalesOrderRequest) -> pb::GetSalesOrderResponse => "GetSalesOrder", "order capture";
    rpc list_sales_orders(pb::ListSalesOrdersRequest) -> pb::ListSalesOrdersResponse => "ListSalesOrders", "order capture";
    rpc confirm_sales_order(pb::ConfirmSalesOrderRequest) -> pb::ConfirmSalesOrderResponse => "ConfirmSalesOrder", "order capture";
    rpc cancel_sales_order(pb::CancelSalesOrderRequest) -> pb::CancelSalesOrderResponse => "CancelSalesOrder", "order capture";
    rpc watch_sales_orders(pb::WatchSalesOrdersRequest) -> Self::WatchSalesOrdersStream => "WatchSalesOrders", "order change feeds";
    rpc create_purchase_order(pb::CreatePurchaseOrderRequest) -> pb::CreatePurchaseOrderResponse => "CreatePurchaseOrder", "purchasing";
    rpc get_purchase_order(pb::GetPurchaseOrderRequest) -> pb::GetPurchaseOrderResponse => "GetPurchaseOrder", "purchasing";
    rpc list_purchase_orders(pb::ListPurchaseOrdersRequest) -> pb::ListPurchaseOrdersResponse => "ListPurchaseOrders", "purchasing";
    rpc confirm_purchase_order(pb::ConfirmPurchaseOrderRequest) -> pb::ConfirmPurchaseOrderResponse => "ConfirmPurchaseOrder", "purchasing";
    rpc acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest) -> pb::AcknowledgePurchaseOrderResponse => "AcknowledgePurchaseOrder", "purchasing";
}
