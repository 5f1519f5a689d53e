//! ShipmentService: deliveries, receipts and returns — listing, validation, carrier tracking,
//! returns and suppliers' advance shipping notices. Handlers convert the request once, call the
//! adapter's shipment flow, and map its errors; every write is audited.

pub(crate) mod convert;

use std::sync::Arc;

use odoo_adapter::{
    Shipments,
    models::{Shipment, ShipmentKind},
};
use tonic::{Request, Response, Status};

use crate::{
    ApiError, TokenKey,
    audit::{AuditLog, Pending},
    authz::{self, Caller},
    backends::Backends,
    convert::{resource_name, watch_opening},
    edge::token::PageToken,
    proto::shipment::v1::{self as pb, shipment_service_server::ShipmentService},
    stream::Stream,
    watch::Watch,
};

/// The gRPC face of shipments.
pub struct ShipmentApi {
    backends: Arc<Backends>,
    audit: Arc<AuditLog>,
    watch: Watch<Shipment>,
    tokens: TokenKey,
}

impl ShipmentApi {
    pub fn new(backends: Arc<Backends>, audit: Arc<AuditLog>, watch: Watch<Shipment>, tokens: TokenKey) -> Self {
        Self { backends, audit, watch, tokens }
    }

    /// The shipments of the Odoo user acting for this caller.
    fn shipments(&self, caller: &Caller) -> &Shipments {
        &self.backends.for_caller(caller).shipments
    }

    /// Starts the audit record of a mutating call.
    fn audit<T>(&self, request: &Request<T>, method: &'static str, request_id: Option<&str>) -> Pending {
        let model = self.shipments(&authz::caller(request)).odoo_model();
        self.audit.begin(request, method, request_id, model)
    }
}

/// The counter name of a shipment's kind.
fn kind_label(kind: ShipmentKind) -> &'static str {
    match kind {
        ShipmentKind::Delivery => "delivery",
        ShipmentKind::Receipt => "receipt",
        ShipmentKind::Return => "return",
        ShipmentKind::Internal => "internal",
    }
}

#[tonic::async_trait]
impl ShipmentService for ShipmentApi {
    type WatchShipmentsStream = Stream<pb::WatchShipmentsResponse>;

    async fn list_shipments(
        &self,
        request: Request<pb::ListShipmentsRequest>,
    ) -> Result<Response<pb::ListShipmentsResponse>, Status> {
        let (query, filters) = convert::shipment_query(request.get_ref(), &self.tokens)?;
        let page = self.shipments(&authz::caller(&request)).list(&query).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListShipmentsResponse {
            next_page_token: PageToken::next(&self.tokens, page.more, page.last_id, &filters),
            shipments: page.items.iter().map(convert::shipment).collect(),
        }))
    }

    async fn get_shipment(
        &self,
        request: Request<pb::GetShipmentRequest>,
    ) -> Result<Response<pb::GetShipmentResponse>, Status> {
        let id = convert::shipment_name("name", &request.get_ref().name)?;
        let shipment = self.shipments(&authz::caller(&request)).get(id).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::GetShipmentResponse { shipment: Some(convert::shipment(&shipment)) }))
    }

    async fn validate_shipment(
        &self,
        request: Request<pb::ValidateShipmentRequest>,
    ) -> Result<Response<pb::ValidateShipmentResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "ValidateShipment", Some(&request.get_ref().request_id));
        audit
            .around(async {
                let (id, request_id, validation) = convert::validation(request.get_ref())?;
                let captured = self
                    .shipments(&caller)
                    .validate(id, &request_id, validation, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                let backorder = captured.record.as_ref().and_then(|v| v.backorder);
                if let (false, Some(validated)) = (captured.replayed, &captured.record) {
                    let kind = kind_label(validated.shipment.kind);
                    metrics::counter!("odoo_mesh_shipments_validated_total", "kind" => kind).increment(1);
                    if backorder.is_some() {
                        metrics::counter!("odoo_mesh_backorders_created_total", "kind" => kind).increment(1);
                    }
                }
                let response = pb::ValidateShipmentResponse {
                    shipment: Some(convert::captured(&captured, |v| &v.shipment)),
                    backorder: backorder.map(|b| resource_name("shipments", b)).unwrap_or_default(),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                let ids = std::iter::once(captured.id).chain(backorder).collect();
                Ok((Response::new(response), ids, captured.replayed))
            })
            .await
    }

    async fn set_tracking(
        &self,
        request: Request<pb::SetTrackingRequest>,
    ) -> Result<Response<pb::SetTrackingResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "SetTracking", None);
        audit
            .around(async {
                let (id, carrier, references) = convert::tracking(request.get_ref())?;
                let shipment =
                    self.shipments(&caller).set_tracking(id, carrier, &references).await.map_err(ApiError::from)?;
                let response = pb::SetTrackingResponse { shipment: Some(convert::shipment(&shipment)) };
                Ok((Response::new(response), vec![id], false))
            })
            .await
    }

    async fn record_tracking_event(
        &self,
        request: Request<pb::RecordTrackingEventRequest>,
    ) -> Result<Response<pb::RecordTrackingEventResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "RecordTrackingEvent", Some(&request.get_ref().request_id));
        audit
            .around(async {
                let (id, request_id, event) = convert::tracking_event(request.get_ref())?;
                let captured = self
                    .shipments(&caller)
                    .record_tracking_event(id, &request_id, event, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                let response = pb::RecordTrackingEventResponse {
                    shipment: Some(convert::captured(&captured, |s| s)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn create_return(
        &self,
        request: Request<pb::CreateReturnRequest>,
    ) -> Result<Response<pb::CreateReturnResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "CreateReturn", Some(&request.get_ref().request_id));
        audit
            .around(async {
                let (id, request_id, lines, reason) = convert::return_request(request.get_ref())?;
                let captured = self
                    .shipments(&caller)
                    .create_return(id, &request_id, lines, reason, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                if !captured.replayed {
                    metrics::counter!("odoo_mesh_returns_created_total").increment(1);
                }
                let response = pb::CreateReturnResponse {
                    return_shipment: Some(convert::captured(&captured, |s| s)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn record_advance_shipping_notice(
        &self,
        request: Request<pb::RecordAdvanceShippingNoticeRequest>,
    ) -> Result<Response<pb::RecordAdvanceShippingNoticeResponse>, Status> {
        let caller = authz::caller(&request);
        let audit = self.audit(&request, "RecordAdvanceShippingNotice", Some(&request.get_ref().request_id));
        audit
            .around(async {
                let (id, request_id, notice) = convert::notice(request.get_ref())?;
                let captured = self
                    .shipments(&caller)
                    .record_asn(id, &request_id, notice, caller.name())
                    .await
                    .map_err(ApiError::from)?;
                if !captured.replayed {
                    metrics::counter!("odoo_mesh_asns_recorded_total").increment(1);
                }
                let response = pb::RecordAdvanceShippingNoticeResponse {
                    shipment: Some(convert::captured(&captured, |s| s)),
                    replayed: captured.replayed,
                    read_back_failed: captured.record.is_none(),
                };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    async fn watch_shipments(
        &self,
        request: Request<pb::WatchShipmentsRequest>,
    ) -> Result<Response<Self::WatchShipmentsStream>, Status> {
        let request = request.into_inner();
        let kind = convert::kind_filter(request.kind());
        let opening = watch_opening(request.resume_token, request.send_initial).map_err(ApiError::from)?;
        // Internal transfers (pick, pack) move goods within the company: not shipments.
        let keep = move |shipment: &Shipment| {
            shipment.kind != ShipmentKind::Internal && kind.is_none_or(|k: ShipmentKind| shipment.kind == k)
        };
        let stream = self.watch.open(opening, keep, convert::watch_event).await?;
        Ok(Response::new(Box::pin(stream)))
    }
}
