//! ShipmentService: deliveries, receipts and returns. The contract is complete; `WatchShipments`
//! is available, the other RPCs come in a later release.

mod convert;

use odoo_adapter::models::{Shipment, ShipmentKind};
use tonic::{Request, Response, Status};

use crate::{
    ApiError,
    convert::watch_opening,
    proto::shipment::v1::{self as pb, shipment_service_server::ShipmentService},
    unavailable::{Stream, unavailable_service},
    watch::Watch,
};

/// The gRPC face of shipments.
pub struct ShipmentApi {
    watch: Watch<Shipment>,
}

impl ShipmentApi {
    pub fn new(watch: Watch<Shipment>) -> Self {
        Self { watch }
    }
}

unavailable_service! {
    impl ShipmentService for ShipmentApi;
    stream WatchShipmentsStream = Stream<pb::WatchShipmentsResponse>;
    rpc list_shipments(pb::ListShipmentsRequest) -> pb::ListShipmentsResponse => "ListShipments", "shipments";
    rpc get_shipment(pb::GetShipmentRequest) -> pb::GetShipmentResponse => "GetShipment", "shipments";
    rpc validate_shipment(pb::ValidateShipmentRequest) -> pb::ValidateShipmentResponse => "ValidateShipment", "shipment validation";
    rpc set_tracking(pb::SetTrackingRequest) -> pb::SetTrackingResponse => "SetTracking", "carrier tracking";
    rpc record_tracking_event(pb::RecordTrackingEventRequest) -> pb::RecordTrackingEventResponse => "RecordTrackingEvent", "carrier tracking";
    rpc create_return(pb::CreateReturnRequest) -> pb::CreateReturnResponse => "CreateReturn", "returns";
    {
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
}
