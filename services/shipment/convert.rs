//! ShipmentService's protobuf edge.

use odoo_adapter::models::{Shipment, ShipmentKind, ShipmentState};

use crate::{
    convert::{quantity, record_event, record_ref, resource_name, timestamp},
    proto::shipment::v1 as pb,
    watch::Event,
};

/// The kind a watch asks for; `None` for every kind.
pub(super) fn kind_filter(kind: pb::ShipmentKind) -> Option<ShipmentKind> {
    match kind {
        pb::ShipmentKind::Unspecified => None,
        pb::ShipmentKind::Delivery => Some(ShipmentKind::Delivery),
        pb::ShipmentKind::Receipt => Some(ShipmentKind::Receipt),
        pb::ShipmentKind::Return => Some(ShipmentKind::Return),
    }
}

fn state(state: ShipmentState) -> pb::ShipmentState {
    match state {
        ShipmentState::Draft => pb::ShipmentState::Draft,
        ShipmentState::Waiting => pb::ShipmentState::Waiting,
        ShipmentState::Confirmed => pb::ShipmentState::Confirmed,
        ShipmentState::Ready => pb::ShipmentState::Ready,
        ShipmentState::Done => pb::ShipmentState::Done,
        ShipmentState::Cancelled => pb::ShipmentState::Cancelled,
        ShipmentState::Other => pb::ShipmentState::Unspecified,
    }
}

pub(super) fn shipment(s: &Shipment) -> pb::Shipment {
    let kind = match s.kind {
        ShipmentKind::Delivery => pb::ShipmentKind::Delivery,
        ShipmentKind::Receipt => pb::ShipmentKind::Receipt,
        ShipmentKind::Return => pb::ShipmentKind::Return,
        ShipmentKind::Internal => pb::ShipmentKind::Unspecified,
    };
    let order = match (s.sales_order, s.purchase_order) {
        (Some(id), _) => resource_name("salesOrders", id),
        (None, Some(id)) => resource_name("purchaseOrders", id),
        (None, None) => String::new(),
    };
    pb::Shipment {
        name: resource_name("shipments", s.id),
        id: s.id,
        reference: s.reference.clone(),
        kind: kind.into(),
        state: state(s.state).into(),
        partner: s.partner.as_ref().map(|p| record_ref("partners", p)),
        order,
        lines: s
            .lines
            .iter()
            .map(|l| pb::ShipmentLine {
                id: l.id,
                product: Some(record_ref("products", &l.product)),
                sku: l.sku.clone().unwrap_or_default(),
                demand: Some(quantity(l.demand, &l.unit_of_measure)),
                quantity: Some(quantity(l.quantity, &l.unit_of_measure)),
                picked: l.picked,
            })
            .collect(),
        carrier: s.carrier.as_ref().map(|c| record_ref("carriers", c)),
        tracking_reference: s.tracking_reference.clone().unwrap_or_default(),
        backorder_of: s.backorder_of.map(|id| resource_name("shipments", id)).unwrap_or_default(),
        scheduled_time: s.scheduled.map(timestamp),
        done_time: s.done_at.map(timestamp),
        // Milestones are recorded by RecordTrackingEvent, which comes with the shipment service.
        tracking_events: Vec::new(),
    }
}

/// One shipment watch event as its protobuf message.
pub(super) fn watch_event(event: Event<'_, Shipment>, resume_token: String) -> pb::WatchShipmentsResponse {
    record_event(event, resume_token, shipment, |shipment, revision, resume_token, heartbeat| {
        pb::WatchShipmentsResponse { shipment, revision, resume_token, heartbeat }
    })
}
