//! Warehouse execution end to end: deliveries and receipts validated in full or in part, carrier
//! tracking, returns, suppliers' advance shipping notices. Scenarios run on both simulator
//! flavours and, when configured, a real Odoo; the fault tests need the simulator.

mod common;

use common::{a_delivery, a_receipt, level, qty, unique, wait};

use odoo_mesh::proto::{
    order::v1 as orders,
    shipment::v1::{self as pb, shipment_service_client::ShipmentServiceClient},
};
use odoo_simulator::{Fault, FaultRule};
use rust_decimal::Decimal;
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

type Client = ShipmentServiceClient<Channel>;

fn decimal(q: &Option<odoo_mesh::proto::common::v1::Quantity>) -> Decimal {
    q.as_ref().expect("quantity").value.parse().expect("decimal")
}

fn done(line: &pb::ShipmentLine, quantity: &str) -> pb::LineQuantity {
    pb::LineQuantity { line_id: line.id, quantity: qty(quantity), ..Default::default() }
}

fn validation(
    shipment: &pb::Shipment,
    lines: Vec<pb::LineQuantity>,
    policy: pb::BackorderPolicy,
) -> pb::ValidateShipmentRequest {
    pb::ValidateShipmentRequest {
        request_id: unique("validate"),
        name: shipment.name.clone(),
        lines,
        backorder_policy: policy.into(),
        as_announced: false,
    }
}

async fn delivered(harness: &common::Harness, order: &str) -> Vec<Decimal> {
    let order = harness
        .orders()
        .await
        .get_sales_order(orders::GetSalesOrderRequest { name: order.into() })
        .await
        .expect("order")
        .into_inner()
        .sales_order
        .expect("order");
    order.lines.iter().map(|l| decimal(&l.delivered)).collect()
}

scenario!(a_delivery_validated_in_full_ships_everything_and_stock_follows);
async fn a_delivery_validated_in_full_ships_everything_and_stock_follows(harness: &common::Harness) {
    let (order, delivery, warehouse) = a_delivery(harness, &["3", "2"]).await;
    let sku = delivery.lines[0].sku.clone();
    let on_hand = decimal(&level(harness, &warehouse, &sku).await.on_hand);

    let validated = harness
        .shipments()
        .await
        .validate_shipment(validation(&delivery, Vec::new(), pb::BackorderPolicy::Create))
        .await
        .expect("validated")
        .into_inner();
    let shipment = validated.shipment.expect("shipment");
    assert_eq!(shipment.state(), pb::ShipmentState::Done);
    assert!(validated.backorder.is_empty(), "nothing left to ship");
    assert_eq!(shipment.lines.iter().map(|l| decimal(&l.done)).collect::<Vec<_>>(), [Decimal::from(3), Decimal::TWO]);
    assert_eq!(decimal(&level(harness, &warehouse, &sku).await.on_hand), on_hand - Decimal::from(3));
    assert_eq!(delivered(harness, &order.name).await, [Decimal::from(3), Decimal::TWO]);
}

scenario!(a_partial_validation_leaves_a_backorder_or_closes_the_rest);
async fn a_partial_validation_leaves_a_backorder_or_closes_the_rest(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (order, delivery, _) = a_delivery(harness, &["10", "4"]).await;
    // A WMS names lines by SKU as often as by id.
    let by_sku = pb::LineQuantity { sku: delivery.lines[1].sku.clone(), quantity: qty("4"), ..Default::default() };
    let lines = vec![done(&delivery.lines[0], "6"), by_sku];
    let validated = shipments
        .validate_shipment(validation(&delivery, lines, pb::BackorderPolicy::Create))
        .await
        .expect("validated")
        .into_inner();
    assert_eq!(validated.shipment.as_ref().map(|s| s.state()), Some(pb::ShipmentState::Done));
    assert!(!validated.backorder.is_empty(), "the rest waits in a backorder");
    let backorder = shipments
        .get_shipment(pb::GetShipmentRequest { name: validated.backorder.clone() })
        .await
        .expect("backorder")
        .into_inner()
        .shipment
        .expect("shipment");
    assert_eq!(backorder.backorder_of, delivery.name);
    assert_eq!(backorder.lines.iter().map(|l| decimal(&l.demand)).collect::<Vec<_>>(), [Decimal::from(4)]);
    assert_eq!(delivered(harness, &order.name).await, [Decimal::from(6), Decimal::from(4)]);

    // The backorder is shipped short and its rest closed: no third shipment.
    let closed = shipments
        .validate_shipment(validation(&backorder, vec![done(&backorder.lines[0], "1")], pb::BackorderPolicy::Cancel))
        .await
        .expect("validated")
        .into_inner();
    assert!(closed.backorder.is_empty(), "the rest is cancelled, not kept");
    assert_eq!(delivered(harness, &order.name).await, [Decimal::from(7), Decimal::from(4)]);
}

scenario!(a_validation_happens_once_per_request_id_and_never_twice);
async fn a_validation_happens_once_per_request_id_and_never_twice(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (_, delivery, _) = a_delivery(harness, &["2"]).await;
    let request = validation(&delivery, Vec::new(), pb::BackorderPolicy::Create);
    let first = shipments.validate_shipment(request.clone()).await.expect("validated").into_inner();
    let again = shipments.validate_shipment(request.clone()).await.expect("replayed").into_inner();
    assert!(!first.replayed && again.replayed);
    assert_eq!(again.shipment.map(|s| s.state()), Some(pb::ShipmentState::Done));

    let other = pb::ValidateShipmentRequest { lines: vec![done(&delivery.lines[0], "1")], ..request };
    let reused = shipments.validate_shipment(other).await.expect_err("another payload");
    assert_eq!(reused.code(), Code::AlreadyExists, "{}", reused.message());
    let twice = shipments
        .validate_shipment(validation(&delivery, Vec::new(), pb::BackorderPolicy::Create))
        .await
        .expect_err("done already");
    assert_eq!(twice.code(), Code::FailedPrecondition, "{}", twice.message());
    assert!(twice.message().contains("already done"), "{}", twice.message());
}

scenario!(a_bad_validation_names_every_problem_and_changes_nothing);
async fn a_bad_validation_names_every_problem_and_changes_nothing(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (_, delivery, _) = a_delivery(harness, &["5", "5"]).await;
    let line = &delivery.lines[0];
    let lines = vec![
        pb::LineQuantity { line_id: 2_000_000_000, quantity: qty("1"), ..Default::default() },
        done(line, "0.001"),
        pb::LineQuantity {
            sku: String::new(),
            line_id: delivery.lines[1].id,
            quantity: Some(odoo_mesh::proto::common::v1::Quantity {
                value: "1".into(),
                unit_of_measure: "Dozens".into(),
            }),
        },
        done(line, "1"),
        pb::LineQuantity { sku: "NO-SUCH-SKU".into(), quantity: qty("1"), ..Default::default() },
    ];
    let refused = shipments
        .validate_shipment(validation(&delivery, lines, pb::BackorderPolicy::Create))
        .await
        .expect_err("invalid");
    assert_eq!(refused.code(), Code::InvalidArgument, "{}", refused.message());
    assert_eq!(
        common::bad_fields(&refused),
        [
            "lines[0].line_id",
            "lines[1].quantity.value",
            "lines[2].quantity.unit_of_measure",
            "lines[3]",
            "lines[4].sku"
        ]
    );
    let after = shipments
        .get_shipment(pb::GetShipmentRequest { name: delivery.name.clone() })
        .await
        .expect("shipment")
        .into_inner()
        .shipment
        .expect("shipment");
    assert_eq!(after.lines, delivery.lines, "nothing was written");
}

fn event(milestone: pb::TrackingMilestone, seconds: i64, carrier_event_id: &str) -> pb::TrackingEvent {
    pb::TrackingEvent {
        milestone: milestone.into(),
        event_time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
        location: "Brussels hub".into(),
        description: String::new(),
        carrier_event_id: carrier_event_id.into(),
    }
}

async fn record(
    shipments: &mut Client,
    shipment: &pb::Shipment,
    request_id: &str,
    event: pb::TrackingEvent,
) -> pb::Shipment {
    shipments
        .record_tracking_event(pb::RecordTrackingEventRequest {
            request_id: request_id.into(),
            name: shipment.name.clone(),
            event: Some(event),
        })
        .await
        .expect("recorded")
        .into_inner()
        .shipment
        .expect("shipment")
}

scenario!(tracking_milestones_never_move_back_and_a_carrier_event_counts_once);
async fn tracking_milestones_never_move_back_and_a_carrier_event_counts_once(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (_, delivery, _) = a_delivery(harness, &["1"]).await;
    shipments
        .validate_shipment(validation(&delivery, Vec::new(), pb::BackorderPolicy::Create))
        .await
        .expect("validated");
    let tracked = shipments
        .set_tracking(pb::SetTrackingRequest {
            name: delivery.name.clone(),
            carrier: String::new(),
            tracking_reference: String::new(),
            tracking_references: vec!["1Z999AA10123456784".into(), "1Z999AA10123456785".into()],
        })
        .await
        .expect("tracking set after the shipment left")
        .into_inner()
        .shipment
        .expect("shipment");
    assert_eq!(tracked.tracking_references, ["1Z999AA10123456784", "1Z999AA10123456785"]);

    let event_id = unique("carrier-event");
    let delivered = record(
        &mut shipments,
        &delivery,
        &unique("trk"),
        event(pb::TrackingMilestone::Delivered, 1_900_000_000, &event_id),
    )
    .await;
    assert_eq!(delivered.milestone(), pb::TrackingMilestone::Delivered);
    // Reported late: it happened before delivery, and is kept in its place.
    let late = record(
        &mut shipments,
        &delivery,
        &unique("trk"),
        event(pb::TrackingMilestone::InTransit, 1_899_990_000, &unique("carrier-event")),
    )
    .await;
    assert_eq!(late.milestone(), pb::TrackingMilestone::Delivered, "a late event never moves the milestone back");
    assert_eq!(
        late.tracking_events.iter().map(|e| e.milestone()).collect::<Vec<_>>(),
        [pb::TrackingMilestone::InTransit, pb::TrackingMilestone::Delivered]
    );
    // The carrier sends the delivery again, under another request id, several times at once.
    let resent = (0..4).map(|_| {
        let (channel, delivery, event_id) = (harness.channel(), delivery.clone(), event_id.clone());
        async move {
            let mut shipments = ShipmentServiceClient::new(channel.await);
            record(
                &mut shipments,
                &delivery,
                &unique("trk"),
                event(pb::TrackingMilestone::Delivered, 1_900_000_000, &event_id),
            )
            .await
        }
    });
    for shipment in futures::future::join_all(resent).await {
        assert_eq!(shipment.tracking_events.len(), 2, "the same carrier event is recorded once");
    }
}

scenario!(a_partial_return_comes_back_and_the_order_follows);
async fn a_partial_return_comes_back_and_the_order_follows(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (order, delivery, _) = a_delivery(harness, &["5"]).await;
    shipments
        .validate_shipment(validation(&delivery, Vec::new(), pb::BackorderPolicy::Create))
        .await
        .expect("validated");
    let request = pb::CreateReturnRequest {
        request_id: unique("return"),
        name: delivery.name.clone(),
        lines: vec![done(&delivery.lines[0], "2")],
        reason: "Two arrived damaged".into(),
    };
    let created = shipments.create_return(request.clone()).await.expect("return").into_inner();
    let the_return = created.return_shipment.expect("return");
    assert_eq!(the_return.kind(), pb::ShipmentKind::Return);
    assert_eq!(the_return.return_of, delivery.name);
    assert_eq!(the_return.lines.iter().map(|l| decimal(&l.demand)).collect::<Vec<_>>(), [Decimal::TWO]);
    let again = shipments.create_return(request).await.expect("replayed").into_inner();
    assert!(again.replayed && again.return_shipment.map(|s| s.id) == Some(the_return.id), "one return");

    shipments
        .validate_shipment(validation(&the_return, Vec::new(), pb::BackorderPolicy::Create))
        .await
        .expect("received back");
    assert_eq!(delivered(harness, &order.name).await, [Decimal::from(3)], "the order counts what stayed delivered");
    let refused = shipments
        .create_return(pb::CreateReturnRequest {
            request_id: unique("return"),
            name: delivery.name.clone(),
            lines: vec![done(&delivery.lines[0], "6")],
            reason: String::new(),
        })
        .await
        .expect_err("more than left");
    assert_eq!(common::bad_fields(&refused), ["lines[0].quantity.value"]);
}

scenario!(a_supplier_notice_is_received_as_announced_and_shows_what_came_short);
async fn a_supplier_notice_is_received_as_announced_and_shows_what_came_short(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (sku, receipt, warehouse) = a_receipt(harness, "10").await;
    let on_hand = decimal(&level(harness, &warehouse, &sku).await.on_hand);
    let expected = prost_types::Timestamp { seconds: 1_900_000_000, nanos: 0 };
    let notice = shipments
        .record_advance_shipping_notice(pb::RecordAdvanceShippingNoticeRequest {
            request_id: unique("asn"),
            name: receipt.name.clone(),
            supplier_reference: "DESADV-778".into(),
            expected_time: Some(expected),
            lines: vec![pb::AnnouncedQuantity { sku: sku.clone(), quantity: qty("8") }],
        })
        .await
        .expect("recorded")
        .into_inner()
        .shipment
        .expect("receipt");
    assert_eq!(notice.scheduled_time, Some(expected), "the receipt is planned for when the supplier says");
    let asn = notice.asn.expect("notice");
    assert_eq!((asn.supplier_reference.as_str(), decimal(&asn.lines[0].announced)), ("DESADV-778", Decimal::from(8)));

    let received = shipments
        .validate_shipment(pb::ValidateShipmentRequest {
            as_announced: true,
            ..validation(&receipt, Vec::new(), pb::BackorderPolicy::Create)
        })
        .await
        .expect("received")
        .into_inner();
    let shipment = received.shipment.expect("receipt");
    let line = &shipment.asn.expect("notice").lines[0];
    assert_eq!((decimal(&line.received), decimal(&line.difference)), (Decimal::from(8), Decimal::ZERO));
    assert!(!received.backorder.is_empty(), "the 2 not sent yet wait in a backorder");
    assert_eq!(decimal(&level(harness, &warehouse, &sku).await.on_hand), on_hand + Decimal::from(8));

    // A second receipt arrives short of its notice.
    let (sku, receipt, _) = a_receipt(harness, "10").await;
    shipments
        .record_advance_shipping_notice(pb::RecordAdvanceShippingNoticeRequest {
            request_id: unique("asn"),
            name: receipt.name.clone(),
            supplier_reference: String::new(),
            expected_time: None,
            lines: vec![pb::AnnouncedQuantity { sku, quantity: qty("10") }],
        })
        .await
        .expect("recorded");
    let short = shipments
        .validate_shipment(validation(&receipt, vec![done(&receipt.lines[0], "7")], pb::BackorderPolicy::Cancel))
        .await
        .expect("received")
        .into_inner()
        .shipment
        .expect("receipt");
    let line = &short.asn.expect("notice").lines[0];
    assert_eq!(decimal(&line.difference), Decimal::from(-3), "three short of the notice");
}

scenario!(the_shipment_watch_carries_milestones_as_they_arrive);
async fn the_shipment_watch_carries_milestones_as_they_arrive(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (_, delivery, _) = a_delivery(harness, &["1"]).await;
    let mut stream = shipments
        .watch_shipments(pb::WatchShipmentsRequest { kind: pb::ShipmentKind::Delivery.into(), ..Default::default() })
        .await
        .expect("watching")
        .into_inner();
    record(
        &mut shipments,
        &delivery,
        &unique("trk"),
        event(pb::TrackingMilestone::PickedUp, 1_900_000_000, &unique("e")),
    )
    .await;
    loop {
        let message = tokio::time::timeout(wait::PATIENCE, stream.message())
            .await
            .expect("an event in time")
            .expect("stream open")
            .expect("an event");
        if message
            .shipment
            .as_ref()
            .is_some_and(|s| s.id == delivery.id && s.milestone() == pb::TrackingMilestone::PickedUp)
        {
            break;
        }
    }
}

on_both_simulators!(a_validation_odoo_never_finished_is_undone_and_its_retry_completes_it);
/// The done quantities are written, then Odoo cannot be reached for the validation itself: the
/// moves are put back as they were, and the retry validates.
async fn a_validation_odoo_never_finished_is_undone_and_its_retry_completes_it(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (_, delivery, _) = a_delivery(harness, &["4"]).await;
    let request = validation(&delivery, vec![done(&delivery.lines[0], "3")], pb::BackorderPolicy::Create);
    let faults = harness.simulator_handle().faults();
    faults.inject(FaultRule::always(Fault::DropConnection).on("stock.picking", "button_validate"));
    let failed = shipments.validate_shipment(request.clone()).await.expect_err("Odoo unreachable");
    faults.clear();
    assert_eq!(failed.code(), Code::Unavailable, "{}", failed.message());
    let untouched = shipments
        .get_shipment(pb::GetShipmentRequest { name: delivery.name.clone() })
        .await
        .expect("shipment")
        .into_inner()
        .shipment
        .expect("shipment");
    assert_eq!(untouched.lines, delivery.lines, "the done quantities were put back");
    assert_ne!(untouched.state(), pb::ShipmentState::Done);

    let retried = shipments.validate_shipment(request).await.expect("validated").into_inner();
    assert_eq!(retried.shipment.map(|s| s.state()), Some(pb::ShipmentState::Done));
    assert!(!retried.backorder.is_empty());
    let reason = failed.get_error_details().error_info().map(|i| i.reason.clone());
    assert!(reason.is_some(), "an Odoo outage carries its reason");
}

on_both_simulators!(a_validation_whose_answer_was_lost_is_answered_as_done);
/// Odoo validates, then the answer is lost: the call finds the shipment done and answers it (the
/// fault soak's retries were refused "already done" before), and a retry replays it.
async fn a_validation_whose_answer_was_lost_is_answered_as_done(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (_, delivery, _) = a_delivery(harness, &["4"]).await;
    let request = validation(&delivery, vec![done(&delivery.lines[0], "3")], pb::BackorderPolicy::Create);
    let faults = harness.simulator_handle().faults();
    faults.inject(FaultRule::times(Fault::LoseResponse, 1).on("stock.picking", "button_validate"));
    let validated = shipments.validate_shipment(request.clone()).await.expect("validated").into_inner();
    faults.clear();
    assert_eq!(validated.shipment.map(|s| s.state()), Some(pb::ShipmentState::Done));
    assert!(!validated.backorder.is_empty(), "the rest went to a backorder");
    let again = shipments.validate_shipment(request).await.expect("replayed").into_inner();
    assert!(again.replayed);
    assert_eq!(again.backorder, validated.backorder);
}

on_both_simulators!(a_return_whose_answer_was_lost_is_found_not_made_twice);
/// Odoo makes the return, and the answer naming it is lost: the call finds the one new return no
/// command named, and a retry replays it — one return in the end.
async fn a_return_whose_answer_was_lost_is_found_not_made_twice(harness: &common::Harness) {
    let mut shipments = harness.shipments().await;
    let (_, delivery, _) = a_delivery(harness, &["3"]).await;
    shipments
        .validate_shipment(validation(&delivery, Vec::new(), pb::BackorderPolicy::Create))
        .await
        .expect("validated");
    let faults = harness.simulator_handle().faults();
    faults.inject(FaultRule::times(Fault::LoseResponse, 1).on("stock.return.picking", "action_create_returns"));
    let request = pb::CreateReturnRequest {
        request_id: unique("return"),
        name: delivery.name.clone(),
        lines: Vec::new(),
        reason: String::new(),
    };
    let created = shipments.create_return(request.clone()).await.expect("found").into_inner();
    let again = shipments.create_return(request).await.expect("replayed").into_inner();
    assert!(again.replayed);
    assert_eq!(created.return_shipment.map(|s| s.id), again.return_shipment.map(|s| s.id));
    let delivery = shipments
        .get_shipment(pb::GetShipmentRequest { name: delivery.name.clone() })
        .await
        .expect("delivery")
        .into_inner()
        .shipment
        .expect("delivery");
    assert_eq!(delivery.returns.len(), 1, "one return: {:?}", delivery.returns);
}
