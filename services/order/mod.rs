//! OrderService: sales and purchase orders, captured idempotently into Odoo. Handlers convert the
//! request once, call the adapter's order flow, and map its errors.

pub(crate) mod convert;

use std::sync::Arc;

use odoo_adapter::{Purchases, Sales, models::SalesOrder};
use tonic::{Request, Response, Status};

use crate::{
    ApiError, TokenKey,
    audit::AuditLog,
    authz::{self, Caller},
    backends::Backends,
    convert::watch_opening,
    edge::token::PageToken,
    proto::order::v1::{self as pb, order_service_server::OrderService},
    stream::Stream,
    watch::Watch,
};

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
    backends: Arc<Backends>,
    audit: Arc<AuditLog>,
    watch: Watch<SalesOrder>,
    /// Seals and opens page tokens.
    tokens: TokenKey,
}

impl OrderApi {
    pub fn new(backends: Arc<Backends>, audit: Arc<AuditLog>, watch: Watch<SalesOrder>, tokens: TokenKey) -> Self {
        Self { backends, audit, watch, tokens }
    }

    /// The sales orders of the Odoo user acting for this caller.
    fn sales(&self, caller: &Caller) -> &Sales {
        &self.backends.for_caller(caller).sales
    }

    /// The purchase orders of the Odoo user acting for this caller.
    fn purchases(&self, caller: &Caller) -> &Purchases {
        &self.backends.for_caller(caller).purchases
    }
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn create_sales_order(
        &self,
        request: Request<pb::CreateSalesOrderRequest>,
    ) -> Result<Response<pb::CreateSalesOrderResponse>, Status> {
        let caller = authz::caller(&request);
        let model = self.sales(&caller).odoo_model();
        let audit = self.audit.begin(&request, "CreateSalesOrder", Some(&request.get_ref().request_id), model);
        let request = request.into_inner();
        audit
            .around(async {
                let draft = convert::sales_order_draft(&request)?;
                // Keys are scoped to the caller: two services cannot collide on each other's ids.
                let captured = self.sales(&caller).create(draft, caller.name()).await.map_err(ApiError::from)?;
                count_capture("sales", captured.replayed);
                let response = pb::CreateSalesOrderResponse {
                    sales_order: Some(convert::captured_sales_order(&captured)),
                    replayed: captured.replayed,
                    shortfalls: captured.shortfalls.iter().map(convert::shortfall).collect(),
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn get_sales_order(
        &self,
        request: Request<pb::GetSalesOrderRequest>,
    ) -> Result<Response<pb::GetSalesOrderResponse>, Status> {
        let id = convert::sales_order_name(&request.get_ref().name)?;
        let order = self.sales(&authz::caller(&request)).get(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::GetSalesOrderResponse { sales_order: Some(convert::sales_order(&order)) }))
    }

    async fn list_sales_orders(
        &self,
        request: Request<pb::ListSalesOrdersRequest>,
    ) -> Result<Response<pb::ListSalesOrdersResponse>, Status> {
        let (query, filters) = convert::sales_order_query(request.get_ref(), &self.tokens)?;
        let page = self.sales(&authz::caller(&request)).list(&query).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListSalesOrdersResponse {
            next_page_token: PageToken::next(&self.tokens, page.more, page.last_id, &filters),
            sales_orders: page.items.iter().map(convert::sales_order).collect(),
        }))
    }

    async fn confirm_sales_order(
        &self,
        request: Request<pb::ConfirmSalesOrderRequest>,
    ) -> Result<Response<pb::ConfirmSalesOrderResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit.begin(&request, "ConfirmSalesOrder", None, self.sales(&caller).odoo_model());
        audit
            .around(async {
                let id = convert::sales_order_name(&request.get_ref().name)?;
                let order = self.sales(&caller).confirm(id).await.map_err(ApiError::from)?;
                Ok((
                    Response::new(pb::ConfirmSalesOrderResponse { sales_order: Some(convert::sales_order(&order)) }),
                    vec![id],
                    false,
                ))
            })
            .await
    }

    async fn cancel_sales_order(
        &self,
        request: Request<pb::CancelSalesOrderRequest>,
    ) -> Result<Response<pb::CancelSalesOrderResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit.begin(&request, "CancelSalesOrder", None, self.sales(&caller).odoo_model());
        audit
            .around(async {
                let (id, reason) = convert::cancellation(request.get_ref())?;
                let order = self.sales(&caller).cancel(id, &reason).await.map_err(ApiError::from)?;
                Ok((
                    Response::new(pb::CancelSalesOrderResponse { sales_order: Some(convert::sales_order(&order)) }),
                    vec![id],
                    false,
                ))
            })
            .await
    }

    type WatchSalesOrdersStream = Stream<pb::WatchSalesOrdersResponse>;

    async fn watch_sales_orders(
        &self,
        request: Request<pb::WatchSalesOrdersRequest>,
    ) -> Result<Response<Self::WatchSalesOrdersStream>, Status> {
        let request = request.into_inner();
        let opening = watch_opening(request.resume_token, request.send_initial).map_err(ApiError::from)?;
        let stream = self.watch.open(opening, |_| true, convert::watch_event).await?;
        Ok(Response::new(Box::pin(stream)))
    }

    async fn create_purchase_order(
        &self,
        request: Request<pb::CreatePurchaseOrderRequest>,
    ) -> Result<Response<pb::CreatePurchaseOrderResponse>, Status> {
        let caller = authz::caller(&request);
        let model = self.purchases(&caller).odoo_model();
        let audit = self.audit.begin(&request, "CreatePurchaseOrder", Some(&request.get_ref().request_id), model);
        let request = request.into_inner();
        audit
            .around(async {
                let draft = convert::purchase_order_draft(&request)?;
                let captured = self.purchases(&caller).create(draft, caller.name()).await.map_err(ApiError::from)?;
                count_capture("purchase", captured.replayed);
                let response = pb::CreatePurchaseOrderResponse {
                    purchase_order: Some(convert::captured_purchase_order(&captured)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn get_purchase_order(
        &self,
        request: Request<pb::GetPurchaseOrderRequest>,
    ) -> Result<Response<pb::GetPurchaseOrderResponse>, Status> {
        let id = convert::purchase_order_name(&request.get_ref().name)?;
        let order = self.purchases(&authz::caller(&request)).get(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::GetPurchaseOrderResponse { purchase_order: Some(convert::purchase_order(&order)) }))
    }

    async fn list_purchase_orders(
        &self,
        request: Request<pb::ListPurchaseOrdersRequest>,
    ) -> Result<Response<pb::ListPurchaseOrdersResponse>, Status> {
        let (query, filters) = convert::purchase_order_query(request.get_ref(), &self.tokens)?;
        let page = self.purchases(&authz::caller(&request)).list(&query).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListPurchaseOrdersResponse {
            next_page_token: PageToken::next(&self.tokens, page.more, page.last_id, &filters),
            purchase_orders: page.items.iter().map(convert::purchase_order).collect(),
        }))
    }

    async fn confirm_purchase_order(
        &self,
        request: Request<pb::ConfirmPurchaseOrderRequest>,
    ) -> Result<Response<pb::ConfirmPurchaseOrderResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit.begin(&request, "ConfirmPurchaseOrder", None, self.purchases(&caller).odoo_model());
        audit
            .around(async {
                let id = convert::purchase_order_name(&request.get_ref().name)?;
                let order = self.purchases(&caller).confirm(id).await.map_err(ApiError::from)?;
                Ok((
                    Response::new(pb::ConfirmPurchaseOrderResponse {
                        purchase_order: Some(convert::purchase_order(&order)),
                    }),
                    vec![id],
                    false,
                ))
            })
            .await
    }

    async fn acknowledge_purchase_order(
        &self,
        request: Request<pb::AcknowledgePurchaseOrderRequest>,
    ) -> Result<Response<pb::AcknowledgePurchaseOrderResponse>, Status> {
        let caller = authz::caller(&request);
        let model = self.purchases(&caller).odoo_model();
        let audit = self.audit.begin(&request, "AcknowledgePurchaseOrder", Some(&request.get_ref().request_id), model);
        let request = request.into_inner();
        audit
            .around(async {
                let (id, request_id, lines) = convert::acknowledgement(&request)?;
                let captured = self
                    .purchases(&caller)
                    .acknowledge(id, &request_id, lines, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                let response = pb::AcknowledgePurchaseOrderResponse {
                    purchase_order: Some(convert::captured_purchase_order(&captured)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }
}
