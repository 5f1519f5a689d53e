//! OrderService: sales and purchase orders, captured idempotently into Odoo. Handlers convert the
//! request once, call the adapter's order flow, and map its errors.

mod convert;

use std::sync::Arc;

use odoo_adapter::Orders;
use tonic::{Request, Response, Status};

use crate::{
    ApiError,
    proto::order::v1::{self as pb, order_service_server::OrderService},
    unavailable::Stream,
};

/// Idempotency keys are scoped per calling identity once identities exist; until then one scope.
const DEFAULT_SCOPE: &str = "";

/// Business counters: orders created, and duplicates that were answered without creating one.
fn count_capture(kind: &'static str, replayed: bool) {
    if replayed {
        metrics::counter!("odoo_mesh_duplicate_orders_prevented_total", "kind" => kind).increment(1);
    } else {
        metrics::counter!("odoo_mesh_orders_created_total", "kind" => kind).increment(1);
    }
}

/// The gRPC face of orders.
pub struct OrderApi {
    orders: Arc<Orders>,
}

impl OrderApi {
    pub fn new(orders: Arc<Orders>) -> Self {
        Self { orders }
    }
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn create_sales_order(
        &self,
        request: Request<pb::CreateSalesOrderRequest>,
    ) -> Result<Response<pb::CreateSalesOrderResponse>, Status> {
        let draft = convert::sales_order_draft(request.get_ref())?;
        let captured = self.orders.create_sales_order(&draft, DEFAULT_SCOPE).await.map_err(ApiError::from)?;
        tracing::info!(request_id = %draft.request_id, order = captured.record.id, replayed = captured.replayed, "sales order captured");
        count_capture("sales", captured.replayed);
        Ok(Response::new(pb::CreateSalesOrderResponse {
            sales_order: Some(convert::sales_order(&captured.record)),
            replayed: captured.replayed,
            shortfalls: captured.shortfalls.iter().map(convert::shortfall).collect(),
        }))
    }

    async fn get_sales_order(
        &self,
        request: Request<pb::GetSalesOrderRequest>,
    ) -> Result<Response<pb::GetSalesOrderResponse>, Status> {
        let id = convert::sales_order_name(&request.into_inner().name)?;
        let order = self.orders.sales_order(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::GetSalesOrderResponse { sales_order: Some(convert::sales_order(&order)) }))
    }

    async fn list_sales_orders(
        &self,
        request: Request<pb::ListSalesOrdersRequest>,
    ) -> Result<Response<pb::ListSalesOrdersResponse>, Status> {
        let (query, filters) = convert::sales_order_query(request.get_ref())?;
        let (orders, more) = self.orders.sales_orders(&query).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListSalesOrdersResponse {
            next_page_token: convert::next_token(more, orders.last().map(|o| o.id), &filters),
            sales_orders: orders.iter().map(convert::sales_order).collect(),
        }))
    }

    async fn confirm_sales_order(
        &self,
        request: Request<pb::ConfirmSalesOrderRequest>,
    ) -> Result<Response<pb::ConfirmSalesOrderResponse>, Status> {
        let id = convert::sales_order_name(&request.into_inner().name)?;
        let order = self.orders.confirm_sales_order(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ConfirmSalesOrderResponse { sales_order: Some(convert::sales_order(&order)) }))
    }

    async fn cancel_sales_order(
        &self,
        request: Request<pb::CancelSalesOrderRequest>,
    ) -> Result<Response<pb::CancelSalesOrderResponse>, Status> {
        let request = request.into_inner();
        let id = convert::sales_order_name(&request.name)?;
        let order = self.orders.cancel_sales_order(id, request.reason.trim()).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::CancelSalesOrderResponse { sales_order: Some(convert::sales_order(&order)) }))
    }

    type WatchSalesOrdersStream = Stream<pb::WatchSalesOrdersResponse>;

    async fn watch_sales_orders(
        &self,
        _: Request<pb::WatchSalesOrdersRequest>,
    ) -> Result<Response<Self::WatchSalesOrdersStream>, Status> {
        Err(ApiError::Unimplemented { method: "WatchSalesOrders", capability: "order change feeds" }.into())
    }

    async fn create_purchase_order(
        &self,
        request: Request<pb::CreatePurchaseOrderRequest>,
    ) -> Result<Response<pb::CreatePurchaseOrderResponse>, Status> {
        let draft = convert::purchase_order_draft(request.get_ref())?;
        let captured = self.orders.create_purchase_order(&draft, DEFAULT_SCOPE).await.map_err(ApiError::from)?;
        tracing::info!(request_id = %draft.request_id, order = captured.record.id, replayed = captured.replayed, "purchase order captured");
        count_capture("purchase", captured.replayed);
        Ok(Response::new(pb::CreatePurchaseOrderResponse {
            purchase_order: Some(convert::purchase_order(&captured.record)),
            replayed: captured.replayed,
        }))
    }

    async fn get_purchase_order(
        &self,
        request: Request<pb::GetPurchaseOrderRequest>,
    ) -> Result<Response<pb::GetPurchaseOrderResponse>, Status> {
        let id = convert::purchase_order_name(&request.into_inner().name)?;
        let order = self.orders.purchase_order(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::GetPurchaseOrderResponse { purchase_order: Some(convert::purchase_order(&order)) }))
    }

    async fn list_purchase_orders(
        &self,
        request: Request<pb::ListPurchaseOrdersRequest>,
    ) -> Result<Response<pb::ListPurchaseOrdersResponse>, Status> {
        let (query, filters) = convert::purchase_order_query(request.get_ref())?;
        let (orders, more) = self.orders.purchase_orders(&query).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListPurchaseOrdersResponse {
            next_page_token: convert::next_token(more, orders.last().map(|o| o.id), &filters),
            purchase_orders: orders.iter().map(convert::purchase_order).collect(),
        }))
    }

    async fn confirm_purchase_order(
        &self,
        request: Request<pb::ConfirmPurchaseOrderRequest>,
    ) -> Result<Response<pb::ConfirmPurchaseOrderResponse>, Status> {
        let id = convert::purchase_order_name(&request.into_inner().name)?;
        let order = self.orders.confirm_purchase_order(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ConfirmPurchaseOrderResponse { purchase_order: Some(convert::purchase_order(&order)) }))
    }

    async fn acknowledge_purchase_order(
        &self,
        request: Request<pb::AcknowledgePurchaseOrderRequest>,
    ) -> Result<Response<pb::AcknowledgePurchaseOrderResponse>, Status> {
        let (id, request_id, lines) = convert::acknowledgement(request.get_ref())?;
        let captured = self
            .orders
            .acknowledge_purchase_order(id, &request_id, DEFAULT_SCOPE, &lines)
            .await
            .map_err(ApiError::from)?;
        Ok(Response::new(pb::AcknowledgePurchaseOrderResponse {
            purchase_order: Some(convert::purchase_order(&captured.record)),
            replayed: captured.replayed,
        }))
    }
}
