//! ShipmentService's protobuf edge: requests become validated domain values (every bad field
//! reported at once), shipments become messages.

use odoo_adapter::{
    AsnDraft, Validation,
    models::{
        Asn, Captured, LineQuantity, Milestone, Rest, Shipment, ShipmentKind, ShipmentQuery, ShipmentState,
        TrackingEvent,
    },
};
use rust_decimal::Decimal;

use crate::{
    ApiError,
    convert::{quantity, record_event, record_ref, resource_name, timestamp},
    edge::{
        checks::Checks,
        id::{self, parse_resource_name},
        limits::{self, MAX_ITEMS, MAX_LINES},
        token::TokenKey,
    },
    proto::shipment::v1 as pb,
    watch::Event,
};

/// At most this many parcels' tracking references on one shipment.
const MAX_PARCELS: usize = 100;

/// The kind a watch or a listing asks for; `None` for every kind.
pub(crate) fn kind_filter(kind: pb::ShipmentKind) -> Option<ShipmentKind> {
    match kind {
        pb::ShipmentKind::Unspecified => None,
        pb::ShipmentKind::Delivery => Some(ShipmentKind::Delivery),
        pb::ShipmentKind::Receipt => Some(ShipmentKind::Receipt),
        pb::ShipmentKind::Return => Some(ShipmentKind::Return),
    }
}

const STATES: [(pb::ShipmentState, ShipmentState); 6] = [
    (pb::ShipmentState::Draft, ShipmentState::Draft),
    (pb::ShipmentState::Waiting, ShipmentState::Waiting),
    (pb::ShipmentState::Confirmed, ShipmentState::Confirmed),
    (pb::ShipmentState::Ready, ShipmentState::Ready),
    (pb::ShipmentState::Done, ShipmentState::Done),
    (pb::ShipmentState::Cancelled, ShipmentState::Cancelled),
];

const MILESTONES: [(pb::TrackingMilestone, Milestone); 7] = [
    (pb::TrackingMilestone::PickedUp, Milestone::PickedUp),
    (pb::TrackingMilestone::InTransit, Milestone::InTransit),
    (pb::TrackingMilestone::OutForDelivery, Milestone::OutForDelivery),
    (pb::TrackingMilestone::Delivered, Milestone::Delivered),
    (pb::TrackingMilestone::FailedAttempt, Milestone::FailedAttempt),
    (pb::TrackingMilestone::Exception, Milestone::Exception),
    (pb::TrackingMilestone::Returning, Milestone::Returning),
];

fn state(state: ShipmentState) -> pb::ShipmentState {
    STATES.iter().find(|(_, s)| *s == state).map_or(pb::ShipmentState::Unspecified, |(p, _)| *p)
}

fn milestone(milestone: Milestone) -> pb::TrackingMilestone {
    MILESTONES.iter().find(|(_, m)| *m == milestone).map_or(pb::TrackingMilestone::Unspecified, |(p, _)| *p)
}

pub(crate) fn shipment_name(field: &str, name: &str) -> Result<i64, ApiError> {
    Ok(parse_resource_name(field, name, "shipments")?)
}

/// Validates ListShipments; also returns the filters' text that page tokens are bound to.
pub(crate) fn shipment_query(
    request: &pb::ListShipmentsRequest,
    tokens: &TokenKey,
) -> Result<(ShipmentQuery, String), ApiError> {
    let mut checks = Checks::default();
    let filters = format!(
        "kind={};states={:?};order={:?};warehouse={:?};carrier={:?};updated={:?}",
        request.kind,
        request.states,
        request.order,
        request.warehouse,
        request.carrier,
        request.updated_since.as_ref().map(|t| (t.seconds, t.nanos)),
    );
    let (limit, after_id) = checks.page(request.page_size, &request.page_token, &filters, tokens);
    let kind = match pb::ShipmentKind::try_from(request.kind) {
        Ok(kind) => kind_filter(kind),
        Err(_) => {
            checks.fail("kind", "unknown kind");
            None
        }
    };
    let mut states = Vec::new();
    let given = if checks.items("states", request.states.len(), MAX_ITEMS) { &request.states[..] } else { &[] };
    for (i, value) in given.iter().enumerate() {
        match pb::ShipmentState::try_from(*value).ok().and_then(|p| STATES.iter().find(|(s, _)| *s == p)) {
            Some((_, domain)) => states.push(*domain),
            None => checks.fail(format!("states[{i}]"), "unknown or unspecified state"),
        }
    }
    let (sales_order, purchase_order) = match request.order.trim() {
        "" => (None, None),
        order if order.starts_with("salesOrders/") => (checks.optional_name("order", order, "salesOrders"), None),
        order => (None, checks.optional_name("order", order, "purchaseOrders")),
    };
    let query = ShipmentQuery {
        after_id,
        limit,
        kind,
        states,
        sales_order,
        purchase_order,
        warehouse: checks.optional_name("warehouse", &request.warehouse, "warehouses"),
        carrier: checks.optional_name("carrier", &request.carrier, "carriers"),
        updated_since: checks.time("updated_since", request.updated_since.as_ref()),
    };
    checks.finish((query, filters))
}

/// Quantities per line (`lines[i]`), at most `MAX_LINES`.
fn line_quantities(checks: &mut Checks, lines: &[pb::LineQuantity]) -> Vec<LineQuantity> {
    if !checks.items("lines", lines.len(), MAX_LINES) {
        return Vec::new();
    }
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let sku = checks.optional(&format!("lines[{i}].sku"), &line.sku, limits::SKU);
            let line_id = match (line.line_id, &sku) {
                (0, Some(_)) => 0,
                (0, None) => {
                    checks.fail(format!("lines[{i}].line_id"), "required: the line's id, or its sku");
                    0
                }
                (id, None) => checks.take(id::id(&format!("lines[{i}].line_id"), id)).unwrap_or_default(),
                (_, Some(_)) => {
                    checks.fail(format!("lines[{i}].sku"), "name the line by line_id or by sku, not both");
                    0
                }
            };
            let (quantity, unit_of_measure) = checks.quantity(&format!("lines[{i}].quantity"), line.quantity.as_ref());
            LineQuantity { line_id, sku, quantity, unit_of_measure }
        })
        .collect()
}

pub(crate) fn validation(request: &pb::ValidateShipmentRequest) -> Result<(i64, String, Validation), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let id = checks.take(parse_resource_name("name", &request.name, "shipments")).unwrap_or_default();
    let lines = line_quantities(&mut checks, &request.lines);
    let rest = match pb::BackorderPolicy::try_from(request.backorder_policy) {
        Ok(pb::BackorderPolicy::Unspecified | pb::BackorderPolicy::Create) => Rest::Backorder,
        Ok(pb::BackorderPolicy::Cancel) => Rest::Cancel,
        Err(_) => {
            checks.fail("backorder_policy", "unknown policy");
            Rest::Backorder
        }
    };
    checks.finish((id, request_id, Validation { lines, rest, as_announced: request.as_announced }))
}

/// The shipment, carrier and parcels' references of a SetTracking.
pub(crate) fn tracking(request: &pb::SetTrackingRequest) -> Result<(i64, Option<i64>, Vec<String>), ApiError> {
    let mut checks = Checks::default();
    let id = checks.take(parse_resource_name("name", &request.name, "shipments")).unwrap_or_default();
    let carrier = checks.optional_name("carrier", &request.carrier, "carriers");
    let mut references = Vec::new();
    if let Some(reference) = checks.optional("tracking_reference", &request.tracking_reference, limits::SKU) {
        references.push(reference);
    }
    if checks.items("tracking_references", request.tracking_references.len(), MAX_PARCELS) {
        for (i, reference) in request.tracking_references.iter().enumerate() {
            let field = format!("tracking_references[{i}]");
            if let Some(reference) = checks.text(&field, reference, limits::SKU) {
                if reference.contains(',') {
                    checks.fail(field, "a reference holds no comma: Odoo separates parcels with them");
                } else {
                    references.push(reference);
                }
            }
        }
    }
    checks.finish((id, carrier, references))
}

pub(crate) fn tracking_event(
    request: &pb::RecordTrackingEventRequest,
) -> Result<(i64, String, TrackingEvent), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let id = checks.take(parse_resource_name("name", &request.name, "shipments")).unwrap_or_default();
    let default = pb::TrackingEvent::default();
    let event = request.event.as_ref().unwrap_or_else(|| {
        checks.fail("event", "required");
        &default
    });
    let milestone = pb::TrackingMilestone::try_from(event.milestone)
        .ok()
        .and_then(|p| MILESTONES.iter().find(|(m, _)| *m == p))
        .map(|(_, m)| *m);
    if milestone.is_none() && request.event.is_some() {
        checks.fail("event.milestone", "required: one of the milestones");
    }
    let at = checks.time("event.event_time", event.event_time.as_ref());
    if event.event_time.is_none() && request.event.is_some() {
        checks.fail("event.event_time", "required: when it happened, by the carrier's clock");
    }
    let event = TrackingEvent {
        milestone: milestone.unwrap_or(Milestone::InTransit),
        at: at.unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
        location: checks.optional("event.location", &event.location, limits::NAME).unwrap_or_default(),
        description: checks.optional("event.description", &event.description, limits::REASON).unwrap_or_default(),
        carrier_event_id: checks
            .optional("event.carrier_event_id", &event.carrier_event_id, limits::REQUEST_ID)
            .unwrap_or_default(),
    };
    checks.finish((id, request_id, event))
}

pub(crate) fn return_request(
    request: &pb::CreateReturnRequest,
) -> Result<(i64, String, Vec<LineQuantity>, String), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let id = checks.take(parse_resource_name("name", &request.name, "shipments")).unwrap_or_default();
    let lines = line_quantities(&mut checks, &request.lines);
    let reason = checks.optional("reason", &request.reason, limits::REASON).unwrap_or_default();
    checks.finish((id, request_id, lines, reason))
}

pub(crate) fn notice(request: &pb::RecordAdvanceShippingNoticeRequest) -> Result<(i64, String, AsnDraft), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    let id = checks.take(parse_resource_name("name", &request.name, "shipments")).unwrap_or_default();
    if request.lines.is_empty() {
        checks.fail("lines", "at least one line is required");
    }
    let given = if checks.items("lines", request.lines.len(), MAX_LINES) { &request.lines[..] } else { &[] };
    let lines = given
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let sku = checks.text(&format!("lines[{i}].sku"), &line.sku, limits::SKU).unwrap_or_default();
            let (quantity, _) = checks.quantity(&format!("lines[{i}].quantity"), line.quantity.as_ref());
            (sku, quantity)
        })
        .collect();
    let draft = AsnDraft {
        supplier_reference: checks
            .optional("supplier_reference", &request.supplier_reference, limits::ORDER_REFERENCE)
            .unwrap_or_default(),
        expected: checks.time("expected_time", request.expected_time.as_ref()),
        lines,
    };
    checks.finish((id, request_id, draft))
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
    let names = |ids: &[i64]| ids.iter().map(|id| resource_name("shipments", *id)).collect();
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
            .map(|l| {
                let unit = l.unit.name.as_str();
                let (reserved, done) = if l.done { (Decimal::ZERO, l.quantity) } else { (l.quantity, Decimal::ZERO) };
                pb::ShipmentLine {
                    id: l.id,
                    product: Some(record_ref("products", &l.product)),
                    sku: l.sku.clone().unwrap_or_default(),
                    demand: Some(quantity(l.demand, unit)),
                    quantity: Some(quantity(l.quantity, unit)),
                    picked: l.picked,
                    reserved: Some(quantity(reserved, unit)),
                    done: Some(quantity(done, unit)),
                }
            })
            .collect(),
        carrier: s.carrier.as_ref().map(|c| record_ref("carriers", c)),
        tracking_reference: s.tracking_references.join(","),
        tracking_references: s.tracking_references.clone(),
        backorder_of: s.backorder_of.map(|id| resource_name("shipments", id)).unwrap_or_default(),
        backorders: names(&s.backorders),
        return_of: s.return_of.map(|id| resource_name("shipments", id)).unwrap_or_default(),
        returns: names(&s.returns),
        scheduled_time: s.scheduled.map(timestamp),
        done_time: s.done_at.map(timestamp),
        tracking_events: s.tracking_events.iter().map(tracking_event_message).collect(),
        milestone: s.milestone().map_or(pb::TrackingMilestone::Unspecified, milestone).into(),
        asn: s.asn.as_ref().map(|asn| notice_message(s, asn)),
    }
}

fn tracking_event_message(event: &TrackingEvent) -> pb::TrackingEvent {
    pb::TrackingEvent {
        milestone: milestone(event.milestone).into(),
        event_time: Some(timestamp(event.at)),
        location: event.location.clone(),
        description: event.description.clone(),
        carrier_event_id: event.carrier_event_id.clone(),
    }
}

/// A notice next to what arrived: done, or picked while the receipt is open.
fn notice_message(receipt: &Shipment, asn: &Asn) -> pb::AdvanceShippingNotice {
    pb::AdvanceShippingNotice {
        supplier_reference: asn.supplier_reference.clone(),
        expected_time: asn.expected.map(timestamp),
        lines: asn
            .lines
            .iter()
            .map(|announced| {
                let line = receipt.lines.iter().find(|l| l.id == announced.line_id);
                let received = line.filter(|l| l.done || l.picked).map_or(Decimal::ZERO, |l| l.quantity);
                let unit = line.map_or("", |l| l.unit.name.as_str());
                pb::AnnouncedLine {
                    line_id: announced.line_id,
                    sku: announced.sku.clone(),
                    announced: Some(quantity(announced.quantity, unit)),
                    received: Some(quantity(received, unit)),
                    difference: Some(quantity(received - announced.quantity, unit)),
                }
            })
            .collect(),
    }
}

/// A written shipment as its answer: whole, or only its name and id when it could not be read.
pub(super) fn captured<T>(captured: &Captured<T>, whole: impl Fn(&T) -> &Shipment) -> pb::Shipment {
    captured.record.as_ref().map_or_else(
        || pb::Shipment { name: resource_name("shipments", captured.id), id: captured.id, ..Default::default() },
        |record| shipment(whole(record)),
    )
}

/// One shipment watch event as its protobuf message.
pub(super) fn watch_event(event: Event<'_, Shipment>, resume_token: String) -> pb::WatchShipmentsResponse {
    record_event(event, resume_token, shipment, |shipment, revision, resume_token, heartbeat| {
        pb::WatchShipmentsResponse { shipment, revision, resume_token, heartbeat }
    })
}
