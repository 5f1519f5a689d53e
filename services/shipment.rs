//! ShipmentService: deliveries, receipts and returns. The contract is complete; the implementation
//! comes in a later release.

use crate::{
    proto::shipment::v1::{self as pb, shipment_service_server::ShipmentService},
    unavailable::{Stream, unavailable_service},
};

/// The gRPC face of shipments.
pub struct ShipmentApi;

unavailable_service! {
    impl ShipmentService for ShipmentApi;
    stream WatchShipmentsStream = Stream<pb::WatchShipmentsResponse>;
    rpc list_shipments(pb::ListShipmentsRequest) -> pb::ListShipmentsResponse => "ListShipments", "shipments";
    rpc get_shipment(pb::GetShipmentRequest) -> pb::GetShipmentResponse => "GetShipment", "shipments";
    rpc validate_shipment(pb::ValidateShipmentRequest) -> pb::ValidateShipmentResponse => "ValidateShipment", "shipment validation";
    rpc set_tracking(pb::SetTrackingRequest) -> pb::SetTrackingResponse => "SetTracking", "carrier tracking";
    rpc record_tracking_event(pb::RecordTrackingEventRequest) -> pb::RecordTrackingEventResponse => "RecordTrackingEvent", "carrier tracking";
    rpc create_return(pb::CreateReturnRequest) -> pb::CreateReturnResponse => "CreateReturn", "returns";
    rpc watch_shipments(pb::WatchShipmentsRequest) -> Self::WatchShipmentsStream => "WatchShipments", "shipment change feeds";
}
