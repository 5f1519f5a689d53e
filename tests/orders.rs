//! Order capture end to end. Scenarios run against the simulator and, when configured, a real
//! Odoo; the fault tests (concurrent duplicates, lost responses, replicas) need the simulator.

mod common;

use common::{a_customer, available, partner, qty, stocked_skus, unique};

use odoo_mesh::proto::{
    common::v1::{Address, Money},
    order::v1::{self as pb, partner_selector::Selector},
};
use odoo_simulator::{Fault, FaultRule};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tonic::Code;
use tonic_types::StatusExt;

/// A partner to buy from.
async fn a_supplier(harness: &common::Harness) -> i64 {
    let rows = harness
        .direct()
        .execute(
            "res.partner",
            "search_read",
            json!([[["is_company", "=", true], ["supplier_rank", ">", 0]]]),
            json!({"fields": ["id"], "limit": 1, "order": "id"}),
        )
        .await;
    match rows[0]["id"].as_i64() {
        Some(id) => id,
        None => a_customer(harness).await,
    }
}

fn order_request(
    request_id: &str,
    customer: i64,
    warehouse: &str,
    lines: &[(&str, &str)],
) -> pb::CreateSalesOrderRequest {
    pb::CreateSalesOrderRequest {
        request_id: request_id.into(),
        customer: partner(customer),
        warehouse: warehouse.into(),
        customer_reference: request_id.into(),
        lines: lines
            .iter()
            .map(|(sku, q)| pb::SalesOrderLineInput { sku: (*sku).into(), quantity: qty(q), ..Default::default() })
            .collect(),
        ..Default::default()
    }
}

/// A request for one unit of a stocked product, for a demo customer, under a fresh request id.
async fn an_order_of_one(harness: &common::Harness, name: &str) -> (String, pb::CreateSalesOrderRequest) {
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 2, 1).await;
    let request_id = unique(name);
    let request = order_request(&request_id, customer, &warehouse, &[(&stock[0].0, "1")]);
    (request_id, request)
}

async fn count_orders(harness: &common::Harness, reference: &str) -> i64 {
    harness
        .direct()
        .execute("sale.order", "search_count", json!([[["client_order_ref", "=", reference]]]), json!({}))
        .await
        .as_i64()
        .expect("count")
}

scenario!(a_sales_order_is_created_once_per_request_id);
async fn a_sales_order_is_created_once_per_request_id(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 3, 2).await;
    let request_id = unique("once");
    let request = order_request(&request_id, customer, &warehouse, &[(&stock[0].0, "2"), (&stock[1].0, "1")]);
    let first = orders.create_sales_order(request.clone()).await.expect("created").into_inner();
    let order = first.sales_order.expect("order");
    assert!(!first.replayed);
    assert_eq!(order.state(), pb::SalesOrderState::Quotation);
    assert_eq!(order.lines.len(), 2);
    assert_eq!(order.lines[0].sku, stock[0].0);
    assert!(order.amount_total.as_ref().is_some_and(|m| m.units > 0 || m.nanos > 0), "priced by Odoo");

    let again = orders.create_sales_order(request.clone()).await.expect("replayed").into_inner();
    assert!(again.replayed);
    assert_eq!(again.sales_order.expect("order").id, order.id);
    assert_eq!(count_orders(harness, &request_id).await, 1, "exactly one order in Odoo");

    let mut changed = request;
    changed.lines[0].quantity = qty("3");
    let status = orders.create_sales_order(changed).await.expect_err("different payload");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(status.get_error_details().error_info().map(|i| i.reason.as_str()), Some("REQUEST_ID_REUSED"));
    let got = orders
        .get_sales_order(pb::GetSalesOrderRequest { name: order.name.clone() })
        .await
        .expect("get")
        .into_inner()
        .sales_order
        .expect("order");
    assert_eq!(
        got.lines[0].quantity.as_ref().map(|q| q.value.as_str()),
        Some("2"),
        "the refused payload changed nothing"
    );
}

scenario!(confirming_reserves_stock_and_cancelling_releases_it);
async fn confirming_reserves_stock_and_cancelling_releases_it(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 3, 1).await;
    let sku = &stock[0].0;
    let before = available(harness, &warehouse, sku).await;
    let mut request = order_request(&unique("confirm"), customer, &warehouse, &[(sku, "2")]);
    request.confirm = true;
    let order = orders.create_sales_order(request).await.expect("created").into_inner().sales_order.expect("order");
    assert_eq!(order.state(), pb::SalesOrderState::Confirmed);
    assert_eq!(order.delivery_status(), pb::DeliveryStatus::Pending);
    assert!(!order.shipments.is_empty(), "confirmation creates the delivery");
    assert_eq!(available(harness, &warehouse, sku).await, before - Decimal::TWO, "two units reserved");

    let confirmed_again = orders
        .confirm_sales_order(pb::ConfirmSalesOrderRequest { name: order.name.clone() })
        .await
        .expect("idempotent");
    assert_eq!(confirmed_again.into_inner().sales_order.expect("order").state(), pb::SalesOrderState::Confirmed);

    let reason = unique("customer changed their mind");
    let cancelled = orders
        .cancel_sales_order(pb::CancelSalesOrderRequest { name: order.name.clone(), reason: reason.clone() })
        .await
        .expect("cancelled");
    assert_eq!(cancelled.into_inner().sales_order.expect("order").state(), pb::SalesOrderState::Cancelled);
    assert_eq!(available(harness, &warehouse, sku).await, before, "the reservation is released");
    orders
        .cancel_sales_order(pb::CancelSalesOrderRequest { name: order.name.clone(), reason: String::new() })
        .await
        .expect("cancelling twice is fine");
    let messages = harness
        .direct()
        .execute(
            "mail.message",
            "search_count",
            json!([[["model", "=", "sale.order"], ["res_id", "=", order.id], ["body", "ilike", reason]]]),
            json!({}),
        )
        .await;
    assert_eq!(messages, json!(1), "the reason is on the order");

    let refused = orders
        .confirm_sales_order(pb::ConfirmSalesOrderRequest { name: order.name })
        .await
        .expect_err("cancelled orders cannot be confirmed");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("is cancelled and cannot be confirmed"), "{}", refused.message());
}

scenario!(an_invalid_order_names_every_problem_and_writes_nothing);
async fn an_invalid_order_names_every_problem_and_writes_nothing(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let reference = unique("invalid");
    let email = format!("{reference}@new-customer.example");
    let partners_before =
        harness.direct().execute("res.partner", "search_count", json!([[["email", "=", email]]]), json!({})).await;
    let request = pb::CreateSalesOrderRequest {
        request_id: reference.clone(),
        customer: Some(pb::PartnerSelector {
            selector: Some(Selector::NewPartner(pb::NewPartner {
                display_name: "Never Created Ltd".into(),
                is_company: true,
                address: Some(Address { email: email.clone(), city: "Springfield".into(), ..Default::default() }),
                ..Default::default()
            })),
        }),
        warehouse: warehouse.clone(),
        customer_reference: reference.clone(),
        lines: vec![
            pb::SalesOrderLineInput { sku: stock[0].0.clone(), quantity: qty("1"), ..Default::default() },
            pb::SalesOrderLineInput { sku: "NO-SUCH-SKU-9d2".into(), quantity: qty("1"), ..Default::default() },
            pb::SalesOrderLineInput { sku: stock[0].0.clone(), quantity: qty("-1"), ..Default::default() },
        ],
        pricelist: "pricelists/987654".into(),
        ..Default::default()
    };
    let status = orders.create_sales_order(request).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .expect("BadRequest")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, ["lines[2].quantity.value"], "shape problems are reported before Odoo is asked");

    let request = pb::CreateSalesOrderRequest {
        request_id: reference.clone(),
        customer: Some(pb::PartnerSelector { selector: Some(Selector::Reference("NO-SUCH-CUSTOMER-REF".into())) }),
        warehouse,
        customer_reference: reference.clone(),
        lines: vec![
            pb::SalesOrderLineInput { sku: stock[0].0.clone(), quantity: qty("1"), ..Default::default() },
            pb::SalesOrderLineInput { sku: "NO-SUCH-SKU-9d2".into(), quantity: qty("1"), ..Default::default() },
        ],
        pricelist: "pricelists/987654".into(),
        ..Default::default()
    };
    let status = orders.create_sales_order(request).await.expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .expect("BadRequest")
        .field_violations
        .iter()
        .map(|v| v.field.clone())
        .collect();
    assert_eq!(fields, ["customer", "pricelist", "lines[1].sku"], "every Odoo-side problem at once");
    assert_eq!(count_orders(harness, &reference).await, 0, "no quotation left behind");
    let partners_after =
        harness.direct().execute("res.partner", "search_count", json!([[["email", "=", email]]]), json!({})).await;
    assert_eq!(partners_before, partners_after, "no partner left behind");
}

scenario!(availability_can_refuse_or_flag_short_lines);
async fn availability_can_refuse_or_flag_short_lines(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let (sku, free) = &stock[0];
    let too_many = (*free + Decimal::from(1000)).to_string();
    let reference = unique("short");
    let mut request = order_request(&reference, customer, &warehouse, &[(sku, "1"), (sku, &too_many)]);
    request.availability_policy = pb::AvailabilityPolicy::Refuse.into();
    let status = orders.create_sales_order(request.clone()).await.expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    let details = status.get_error_details();
    let violations = &details.precondition_failure().expect("PreconditionFailure").violations;
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].subject, "lines[1]");
    assert_eq!(count_orders(harness, &reference).await, 0);

    request.request_id = unique("short-flag");
    request.availability_policy = pb::AvailabilityPolicy::Flag.into();
    let flagged = orders.create_sales_order(request).await.expect("created").into_inner();
    assert_eq!(flagged.shortfalls.len(), 1);
    assert_eq!(flagged.shortfalls[0].line_index, 1);
    assert_eq!(
        flagged.shortfalls[0].available.as_ref().map(|q| q.value.parse::<Decimal>().ok()),
        Some(Some(*free - Decimal::ONE))
    );
}

scenario!(listing_orders_while_creating_neither_skips_nor_repeats);
async fn listing_orders_while_creating_neither_skips_nor_repeats(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let reference = unique("paging");
    let mut created = Vec::new();
    for i in 0..5 {
        let mut request = order_request(&format!("{reference}-{i}"), customer, &warehouse, &[(&stock[0].0, "1")]);
        request.customer_reference = reference.clone();
        created.push(
            orders.create_sales_order(request).await.expect("created").into_inner().sales_order.expect("order").id,
        );
    }
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = orders
            .list_sales_orders(pb::ListSalesOrdersRequest {
                page_size: 2,
                page_token: token,
                customer_reference: reference.clone(),
                ..Default::default()
            })
            .await
            .expect("page")
            .into_inner();
        seen.extend(page.sales_orders.iter().map(|o| o.id));
        if seen.len() == 2 {
            let mut request = order_request(&format!("{reference}-late"), customer, &warehouse, &[(&stock[0].0, "1")]);
            request.customer_reference = reference.clone();
            created.push(
                orders.create_sales_order(request).await.expect("created").into_inner().sales_order.expect("order").id,
            );
        }
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(seen, created, "each order once, in creation order, the late one last");
    let quotations = orders
        .list_sales_orders(pb::ListSalesOrdersRequest {
            customer_reference: reference,
            states: vec![pb::SalesOrderState::Confirmed.into()],
            ..Default::default()
        })
        .await
        .expect("filtered")
        .into_inner();
    assert!(quotations.sales_orders.is_empty(), "none of them is confirmed");
}

scenario!(a_purchase_order_is_confirmed_and_acknowledged_by_the_supplier);
async fn a_purchase_order_is_confirmed_and_acknowledged_by_the_supplier(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let supplier = a_supplier(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 0, 1).await;
    let sku = &stock[0].0;
    let incoming_before = incoming(harness, &warehouse, sku).await;
    let request = pb::CreatePurchaseOrderRequest {
        request_id: unique("po"),
        supplier: partner(supplier),
        lines: vec![pb::PurchaseOrderLineInput {
            sku: sku.clone(),
            quantity: qty("20"),
            unit_price: Some(Money { currency_code: "USD".into(), units: 12, nanos: 500_000_000 }),
            expected_time: None,
        }],
        warehouse: warehouse.clone(),
        supplier_reference: "SUP-SO-7781".into(),
        confirm: true,
    };
    let created = orders.create_purchase_order(request.clone()).await.expect("created").into_inner();
    let order = created.purchase_order.expect("order");
    assert_eq!(order.state(), pb::PurchaseOrderState::Confirmed);
    assert_eq!(order.receipt_status(), pb::ReceiptStatus::Pending);
    assert!(!order.receipts.is_empty(), "confirmation creates the receipt");
    assert_eq!(incoming(harness, &warehouse, sku).await, incoming_before + Decimal::from(20));
    let replay = orders.create_purchase_order(request).await.expect("replayed").into_inner();
    assert!(replay.replayed);
    assert_eq!(replay.purchase_order.map(|o| o.id), Some(order.id));

    let line = order.lines[0].id;
    let promised = prost_types::Timestamp { seconds: 4_102_444_800, nanos: 0 };
    let ack = pb::AcknowledgePurchaseOrderRequest {
        request_id: unique("ack"),
        name: order.name.clone(),
        lines: vec![pb::LineAcknowledgement {
            line_id: line,
            confirmed_quantity: qty("15"),
            confirmed_time: Some(promised),
        }],
    };
    let acknowledged = orders.acknowledge_purchase_order(ack.clone()).await.expect("acknowledged").into_inner();
    let after = acknowledged.purchase_order.expect("order");
    assert!(after.acknowledged && !acknowledged.replayed);
    assert_eq!(after.lines[0].quantity.as_ref().map(|q| q.value.as_str()), Some("15"));
    assert_eq!(after.lines[0].expected_time.as_ref().map(|t| t.seconds), Some(4_102_444_800));
    assert_eq!(
        incoming(harness, &warehouse, sku).await,
        incoming_before + Decimal::from(15),
        "the receipt follows the supplier"
    );
    let again = orders.acknowledge_purchase_order(ack).await.expect("replayed").into_inner();
    assert!(again.replayed);
    let got = orders
        .get_purchase_order(pb::GetPurchaseOrderRequest { name: order.name.clone() })
        .await
        .expect("get")
        .into_inner();
    assert!(got.purchase_order.expect("order").lines[0].acknowledgement.is_some(), "visible in Get");

    let bad = orders
        .acknowledge_purchase_order(pb::AcknowledgePurchaseOrderRequest {
            request_id: unique("ack-bad"),
            name: order.name,
            lines: vec![pb::LineAcknowledgement {
                line_id: 987_654_321,
                confirmed_quantity: None,
                confirmed_time: None,
            }],
        })
        .await
        .expect_err("not a line of this order");
    assert_eq!(bad.code(), Code::InvalidArgument);
}

/// Instants on both sides of Brussels' 2027 changes of clock: 01:30 local before and 03:30 after
/// the spring change, and 02:30 local twice in autumn — the hour a naive local time cannot tell.
const AROUND_DST: [(&str, i64); 4] = [
    ("2027-03-28T00:30:00Z, winter time", 1_806_193_800),
    ("2027-03-28T01:30:00Z, summer time", 1_806_197_400),
    ("2027-10-31T00:30:00Z, the first 02:30", 1_824_942_600),
    ("2027-10-31T01:30:00Z, the second 02:30", 1_824_946_200),
];

fn at(seconds: i64) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp { seconds, nanos: 0 })
}

scenario!(dates_are_kept_to_the_second_whatever_odoos_time_zone);
/// Odoo's import reads datetimes in the user's time zone unless told otherwise (recording 83 of
/// Odoo 19; the demo admin is in Europe/Brussels): commitment, expected and confirmed dates must
/// come back exactly as given, on both sides of a change of clock.
async fn dates_are_kept_to_the_second_whatever_odoos_time_zone(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    for (when, seconds) in AROUND_DST {
        let mut request = order_request(&unique("dates"), customer, &warehouse, &[(&stock[0].0, "1")]);
        request.commitment_time = at(seconds);
        let order = orders.create_sales_order(request).await.expect("created").into_inner().sales_order.expect("order");
        assert_eq!(order.commitment_time, at(seconds), "the commitment date {when}");
    }

    let purchase = pb::CreatePurchaseOrderRequest {
        request_id: unique("dates-po"),
        supplier: partner(a_supplier(harness).await),
        lines: AROUND_DST
            .iter()
            .map(|(_, seconds)| pb::PurchaseOrderLineInput {
                sku: stock[0].0.clone(),
                quantity: qty("1"),
                unit_price: None,
                expected_time: at(*seconds),
            })
            .collect(),
        warehouse,
        confirm: true,
        ..Default::default()
    };
    let order =
        orders.create_purchase_order(purchase).await.expect("created").into_inner().purchase_order.expect("order");
    for ((when, seconds), line) in AROUND_DST.iter().zip(&order.lines) {
        assert_eq!(line.expected_time, at(*seconds), "the expected date {when}");
    }
    // The supplier moves every line to the other side of the autumn change.
    let acknowledgement = pb::AcknowledgePurchaseOrderRequest {
        request_id: unique("dates-ack"),
        name: order.name.clone(),
        lines: order
            .lines
            .iter()
            .map(|l| pb::LineAcknowledgement {
                line_id: l.id,
                confirmed_quantity: None,
                confirmed_time: at(AROUND_DST[3].1),
            })
            .collect(),
    };
    let acknowledged = orders
        .acknowledge_purchase_order(acknowledgement)
        .await
        .expect("acknowledged")
        .into_inner()
        .purchase_order
        .expect("order");
    assert!(acknowledged.lines.iter().all(|l| l.expected_time == at(AROUND_DST[3].1)), "{:?}", acknowledged.lines);
}

scenario!(dates_odoo_cannot_store_are_refused_naming_the_field);
async fn dates_odoo_cannot_store_are_refused_naming_the_field(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let year_10000 = 253_402_300_800;
    let year_0 = -62_135_596_801;
    for seconds in [year_10000, year_0] {
        let mut request = order_request(&unique("far"), customer, &warehouse, &[(&stock[0].0, "1")]);
        request.commitment_time = at(seconds);
        let refused = orders.create_sales_order(request).await.expect_err("out of Odoo's range");
        assert_eq!(refused.code(), Code::InvalidArgument, "{}", refused.message());
        assert_eq!(common::bad_fields(&refused), ["commitment_time"]);
    }
}

scenario!(a_line_in_another_unit_is_ordered_in_it_and_reserves_what_it_converts_to);
/// Odoo 18 converts within a unit's category (the stored factor is how many make one reference
/// unit); Odoo 19 within a tree (the factor is the size in the root unit): the same order must
/// reserve the same stock on both.
async fn a_line_in_another_unit_is_ordered_in_it_and_reserves_what_it_converts_to(harness: &common::Harness) {
    // A bigger unit of Units that this Odoo has active: Dozens in Odoo 18's demo data, Pack of 6 in 19's.
    let packs = harness
        .direct()
        .execute(
            "uom.uom",
            "search_read",
            json!([[["name", "in", ["Dozens", "Pack of 6"]]]]),
            json!({"fields": ["name"]}),
        )
        .await;
    let pack = packs[0]["name"].as_str().expect("a bigger unit of Units").to_owned();
    let size = if pack == "Dozens" { Decimal::from(12) } else { Decimal::from(6) };
    let (warehouse, sku) = stocked_in_units(harness, size * Decimal::TWO).await;
    let before = available(harness, &warehouse, &sku).await;
    let mut orders = harness.orders().await;
    let mut request = order_request(&unique("packs"), a_customer(harness).await, &warehouse, &[(&sku, "2")]);
    request.lines[0].quantity =
        Some(odoo_mesh::proto::common::v1::Quantity { value: "2".into(), unit_of_measure: pack.clone() });
    request.confirm = true;
    let order =
        orders.create_sales_order(request.clone()).await.expect("created").into_inner().sales_order.expect("order");
    let line = order.lines[0].quantity.as_ref().expect("quantity");
    assert_eq!((line.value.as_str(), line.unit_of_measure.as_str()), ("2", pack.as_str()), "ordered in {pack}");
    assert_eq!(available(harness, &warehouse, &sku).await, before - size * Decimal::TWO, "2 {pack} reserved as units");

    let too_many = ((before / size).floor() + Decimal::ONE).to_string();
    request.request_id = unique("packs-short");
    request.confirm = false;
    request.availability_policy = pb::AvailabilityPolicy::Flag.into();
    request.lines[0].quantity =
        Some(odoo_mesh::proto::common::v1::Quantity { value: too_many.clone(), unit_of_measure: pack.clone() });
    let flagged = orders.create_sales_order(request.clone()).await.expect("created").into_inner();
    let short = flagged.shortfalls.first().expect("more packs than there is stock");
    let requested: Decimal = short.requested.as_ref().expect("requested").value.parse().expect("decimal");
    assert_eq!(requested, too_many.parse::<Decimal>().expect("decimal") * size, "compared in the product's unit");

    request.request_id = unique("packs-bad");
    request.lines[0].quantity =
        Some(odoo_mesh::proto::common::v1::Quantity { value: "1".into(), unit_of_measure: "kg".into() });
    let status = orders.create_sales_order(request).await.expect_err("kg do not convert to units");
    assert_eq!(common::bad_fields(&status), ["lines[0].quantity.unit_of_measure"]);
}

/// A stocked, sellable product counted in Units with at least `min` available in the first warehouse.
async fn stocked_in_units(harness: &common::Harness, min: Decimal) -> (String, String) {
    use odoo_mesh::proto::inventory::v1 as inv;
    let products = harness
        .inventory()
        .await
        .list_products(inv::ListProductsRequest { page_size: 500, ..Default::default() })
        .await
        .expect("products")
        .into_inner()
        .products;
    let in_units: Vec<String> = products
        .into_iter()
        .filter(|p| p.unit_of_measure == "Units" && p.is_storable && p.sale_ok)
        .map(|p| p.sku)
        .collect();
    let (warehouse, stock) = stocked_skus(harness, 0, 1).await;
    for sku in in_units.iter().filter(|s| !s.is_empty()) {
        if available(harness, &warehouse, sku).await >= min {
            return (warehouse, sku.clone());
        }
    }
    panic!("no product in Units has {min} available (first stocked: {stock:?})");
}

scenario!(a_price_in_another_currency_than_the_orders_is_refused);
async fn a_price_in_another_currency_than_the_orders_is_refused(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let company = harness
        .direct()
        .execute(
            "res.company",
            "search_read",
            json!([[]]),
            json!({"fields": ["currency_id"], "limit": 1, "order": "id"}),
        )
        .await;
    let own = company[0]["currency_id"][1].as_str().expect("the company has a currency").to_owned();
    let other = if own == "EUR" { "USD" } else { "EUR" };
    let reference = unique("currency");
    let mut request = order_request(&reference, customer, &warehouse, &[(&stock[0].0, "1"), (&stock[0].0, "2")]);
    request.lines[0].unit_price = Some(Money { currency_code: own.clone(), units: 10, nanos: 0 });
    request.lines[1].unit_price = Some(Money { currency_code: other.into(), units: 10, nanos: 0 });
    let status = orders.create_sales_order(request.clone()).await.expect_err("a price in another currency");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(common::bad_fields(&status), ["lines[1].unit_price.currency_code"]);
    assert_eq!(count_orders(harness, &reference).await, 0);

    request.lines[1].unit_price = Some(Money { currency_code: own.to_lowercase(), units: 10, nanos: 0 });
    let order = orders.create_sales_order(request).await.expect("prices in the order's currency").into_inner();
    let line = &order.sales_order.expect("order").lines[1];
    assert_eq!(line.unit_price.as_ref().map(|m| (m.currency_code.as_str(), m.units)), Some((own.as_str(), 10)));
}

scenario!(an_acknowledgement_request_id_reused_with_other_lines_is_refused);
async fn an_acknowledgement_request_id_reused_with_other_lines_is_refused(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let order = a_confirmed_purchase_order(harness, "20").await;
    let line = order.lines[0].id;
    let ack = |quantity: &str, request_id: &str| pb::AcknowledgePurchaseOrderRequest {
        request_id: request_id.into(),
        name: order.name.clone(),
        lines: vec![pb::LineAcknowledgement { line_id: line, confirmed_quantity: qty(quantity), confirmed_time: None }],
    };
    let request_id = unique("ack-reuse");
    let first = orders.acknowledge_purchase_order(ack("15", &request_id)).await.expect("acknowledged").into_inner();
    assert!(!first.replayed);
    let status = orders.acknowledge_purchase_order(ack("12", &request_id)).await.expect_err("other lines, same id");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(status.get_error_details().error_info().map(|i| i.reason.as_str()), Some("REQUEST_ID_REUSED"));
    let got = orders
        .get_purchase_order(pb::GetPurchaseOrderRequest { name: order.name.clone() })
        .await
        .expect("get")
        .into_inner()
        .purchase_order
        .expect("order");
    assert_eq!(got.lines[0].quantity.as_ref().map(|q| q.value.as_str()), Some("15"), "the refused one changed nothing");
}

/// A purchase order of one stocked SKU, confirmed.
async fn a_confirmed_purchase_order(harness: &common::Harness, quantity: &str) -> pb::PurchaseOrder {
    let (warehouse, stock) = stocked_skus(harness, 0, 1).await;
    let request = pb::CreatePurchaseOrderRequest {
        request_id: unique("po"),
        supplier: partner(a_supplier(harness).await),
        lines: vec![pb::PurchaseOrderLineInput {
            sku: stock[0].0.clone(),
            quantity: qty(quantity),
            ..Default::default()
        }],
        warehouse,
        confirm: true,
        ..Default::default()
    };
    let mut orders = harness.orders().await;
    orders.create_purchase_order(request).await.expect("created").into_inner().purchase_order.expect("order")
}

/// Chatter messages on a purchase order that say the supplier acknowledged it.
/// A supplier's acknowledgement confirming `quantity` on the order's first line.
fn confirming_first_line(
    order: &pb::PurchaseOrder,
    request_id: &str,
    quantity: &str,
) -> pb::AcknowledgePurchaseOrderRequest {
    pb::AcknowledgePurchaseOrderRequest {
        request_id: request_id.into(),
        name: order.name.clone(),
        lines: vec![pb::LineAcknowledgement {
            line_id: order.lines[0].id,
            confirmed_quantity: qty(quantity),
            confirmed_time: None,
        }],
    }
}

async fn acknowledgement_notes(harness: &common::Harness, order: i64) -> i64 {
    let domain =
        json!([["model", "=", "purchase.order"], ["res_id", "=", order], ["body", "ilike", "Supplier acknowledged"]]);
    harness.direct().execute("mail.message", "search_count", json!([domain]), json!({})).await.as_i64().expect("count")
}

async fn incoming(harness: &common::Harness, warehouse: &str, sku: &str) -> Decimal {
    common::level(harness, warehouse, sku).await.incoming.as_ref().expect("set").value.parse().expect("decimal")
}

// ---- faults: these need the simulator ---------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_duplicates_make_one_order() {
    let harness = common::Harness::simulator().await;
    let (request_id, mut request) = an_order_of_one(&harness, "fifty").await;
    request.confirm = true;
    let calls = (0..50).map(|_| {
        let request = request.clone();
        let channel = harness.channel();
        async move {
            let mut client = pb::order_service_client::OrderServiceClient::new(channel.await);
            client.create_sales_order(request).await.map(tonic::Response::into_inner)
        }
    });
    let answers = futures::future::join_all(calls).await;
    let ids: std::collections::HashSet<i64> = answers
        .iter()
        .map(|a| a.as_ref().expect("every duplicate succeeds").sales_order.as_ref().expect("order").id)
        .collect();
    assert_eq!(ids.len(), 1, "all 50 callers got the same order");
    assert_eq!(answers.iter().filter(|a| a.as_ref().is_ok_and(|r| !r.replayed)).count(), 1, "one creation, 49 replays");
    assert_eq!(count_orders(&harness, &request_id).await, 1);
    let pickings = harness
        .simulator_handle()
        .search_read("stock.picking", &json!([["origin", "ilike", request_id]]), &["id"], Default::default())
        .expect("search");
    assert_eq!(pickings.len(), 1, "one delivery: the truck leaves once");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_duplicate_acknowledgements_are_recorded_once() {
    let harness = common::Harness::simulator().await;
    let order = a_confirmed_purchase_order(&harness, "20").await;
    let request = confirming_first_line(&order, &unique("ack-race"), "18");
    let calls = (0..10).map(|_| {
        let (request, channel) = (request.clone(), harness.channel());
        async move {
            let mut client = pb::order_service_client::OrderServiceClient::new(channel.await);
            client.acknowledge_purchase_order(request).await.map(tonic::Response::into_inner)
        }
    });
    let answers = futures::future::join_all(calls).await;
    let done: Vec<bool> = answers.iter().map(|a| !a.as_ref().expect("every duplicate succeeds").replayed).collect();
    assert_eq!(done.iter().filter(|d| **d).count(), 1, "one call recorded it, the others replayed");
    assert_eq!(acknowledgement_notes(&harness, order.id).await, 1, "the supplier's answer is in the chatter once");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_purchase_confirmation_leaves_no_purchase_order() {
    let harness = common::Harness::simulator().await;
    let (warehouse, stock) = stocked_skus(&harness, 0, 1).await;
    let reference = unique("po-refused");
    let request = pb::CreatePurchaseOrderRequest {
        request_id: reference.clone(),
        supplier: partner(a_supplier(&harness).await),
        lines: vec![pb::PurchaseOrderLineInput { sku: stock[0].0.clone(), quantity: qty("3"), ..Default::default() }],
        warehouse,
        supplier_reference: reference.clone(),
        confirm: true,
    };
    let refusal = "The vendor is blocked: no purchase can be confirmed.";
    let faults = harness.simulator_handle().faults();
    faults.inject(
        FaultRule::always(Fault::OdooError { name: "odoo.exceptions.UserError".into(), message: refusal.into() })
            .on("purchase.order", "button_confirm"),
    );
    let mut orders = harness.orders().await;
    let status = orders.create_purchase_order(request.clone()).await.expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(status.message(), refusal, "Odoo's words");
    assert_eq!(status.get_error_details().error_info().map(|i| i.reason.as_str()), Some("ODOO_REFUSED"));
    let left = harness
        .simulator_handle()
        .search_read("purchase.order", &json!([["partner_ref", "=", reference]]), &["id"], Default::default())
        .expect("search");
    assert!(left.is_empty(), "the unconfirmable order was undone: {left:?}");

    faults.clear();
    let created = orders.create_purchase_order(request).await.expect("the key was freed").into_inner();
    assert!(!created.replayed);
    assert_eq!(created.purchase_order.expect("order").state(), pb::PurchaseOrderState::Confirmed);
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn odoos_refusals_carry_one_reason_whichever_step_met_them() {
    let harness = common::Harness::simulator().await;
    let customer = a_customer(&harness).await;
    let (warehouse, stock) = stocked_skus(&harness, 2, 1).await;
    let refusal = "The customer is on credit hold.";
    harness.simulator_handle().faults().inject(
        FaultRule::always(Fault::OdooError { name: "odoo.exceptions.UserError".into(), message: refusal.into() })
            .on("sale.order", "action_confirm"),
    );
    let mut orders = harness.orders().await;
    let mut confirmed = order_request(&unique("hold"), customer, &warehouse, &[(&stock[0].0, "1")]);
    confirmed.confirm = true;
    let at_create = orders.create_sales_order(confirmed).await.expect_err("refused while creating");
    let quotation = order_request(&unique("hold-later"), customer, &warehouse, &[(&stock[0].0, "1")]);
    let order =
        orders.create_sales_order(quotation).await.expect("a quotation").into_inner().sales_order.expect("order");
    let at_confirm = orders
        .confirm_sales_order(pb::ConfirmSalesOrderRequest { name: order.name })
        .await
        .expect_err("refused while confirming");
    for status in [&at_create, &at_confirm] {
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(status.message(), refusal);
        assert_eq!(status.get_error_details().error_info().map(|i| i.reason.as_str()), Some("ODOO_REFUSED"));
    }
    harness.stop().await;
}

/// The ledger rows of a request id (`{kind}_{key}...`), as the simulator holds them: (id, name).
fn ledger_rows(harness: &common::Harness, kind: &str, request_id: &str) -> Vec<(i64, String)> {
    let key = odoo_adapter::idempotency_key(odoo_mesh::pki::DEMO_CLIENT_ID, request_id);
    let domain = json!([["module", "=", odoo_adapter::XID_MODULE], ["name", "=like", format!("{kind}\\_{key}%")]]);
    let rows = harness.simulator_handle().search_read("ir.model.data", &domain, &["name"], Default::default());
    rows.expect("ledger")
        .iter()
        .map(|r| (r["id"].as_i64().expect("id"), r["name"].as_str().expect("name").to_owned()))
        .collect()
}

/// Makes a command look as its owner left it when it died: the key not marked done, and claimed
/// an hour ago (long past going stale).
fn as_if_its_owner_died(harness: &common::Harness, kind: &str, request_id: &str) {
    let sim = harness.simulator_handle();
    for (id, name) in ledger_rows(harness, kind, request_id) {
        let vals = if name.ends_with("_done") {
            json!({"name": format!("gone_{id}")})
        } else {
            json!({"create_date": "2020-01-01 00:00:00"})
        };
        sim.write("ir.model.data", &[id], vals.as_object().expect("values")).expect("ledger edited");
    }
}

/// A confirming order whose owner died between importing the draft and confirming it — Odoo
/// unreachable even to undo — so the draft is left and its key claimed, long stale.
async fn an_order_left_by_a_dead_owner(harness: &common::Harness, name: &str) -> (String, pb::CreateSalesOrderRequest) {
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 2, 1).await;
    let request_id = unique(name);
    let mut request = order_request(&request_id, customer, &warehouse, &[(&stock[0].0, "1")]);
    request.confirm = true;
    let faults = harness.simulator_handle().faults();
    for method in ["action_confirm", "action_cancel", "unlink"] {
        faults.inject(FaultRule::always(Fault::DropConnection).on("sale.order", method));
    }
    let failed = harness.orders().await.create_sales_order(request.clone()).await.expect_err("odoo unreachable");
    assert_eq!(failed.code(), Code::Unavailable, "{}", failed.message());
    faults.clear();
    assert_eq!(count_orders(harness, &request_id).await, 1, "a draft is left, its undo having failed too");
    assert!(!ledger_rows(harness, "so", &request_id).is_empty(), "its key stays claimed: it was not undone in full");
    as_if_its_owner_died(harness, "so", &request_id);
    (request_id, request)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_whose_owner_died_is_finished_by_the_next_retry_not_done_twice() {
    let harness = common::Harness::simulator().await;
    let (request_id, request) = an_order_left_by_a_dead_owner(&harness, "dead-owner").await;

    let mut orders = harness.orders().await;
    let retry = orders.create_sales_order(request.clone()).await.expect("taken over").into_inner();
    let order = retry.sales_order.expect("order");
    assert!(retry.replayed, "the order the dead owner made, not a new one");
    assert_eq!(order.state(), pb::SalesOrderState::Confirmed, "its confirmation finished");
    assert_eq!(count_orders(&harness, &request_id).await, 1);
    let again = orders.create_sales_order(request).await.expect("replayed").into_inner();
    assert!(again.replayed && again.sales_order.map(|o| o.id) == Some(order.id), "and the key is done now");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_over_order_whose_confirmation_odoo_refuses_is_undone() {
    let harness = common::Harness::simulator().await;
    let (request_id, request) = an_order_left_by_a_dead_owner(&harness, "dead-refused").await;
    let refusal = "The customer is on credit hold.";
    harness.simulator_handle().faults().inject(
        FaultRule::times(Fault::OdooError { name: "odoo.exceptions.UserError".into(), message: refusal.into() }, 1)
            .on("sale.order", "action_confirm"),
    );

    let mut orders = harness.orders().await;
    let status = orders.create_sales_order(request.clone()).await.expect_err("refused");
    assert_eq!((status.code(), status.message()), (Code::FailedPrecondition, refusal));
    assert_eq!(count_orders(&harness, &request_id).await, 0, "the dead owner's draft was undone");
    assert!(
        ledger_rows(&harness, "so", &request_id).is_empty(),
        "and the key freed: {:?}",
        ledger_rows(&harness, "so", &request_id)
    );
    let created = orders.create_sales_order(request).await.expect("created afresh").into_inner();
    assert!(!created.replayed);
    assert_eq!(count_orders(&harness, &request_id).await, 1);
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_over_acknowledgement_that_was_recorded_is_not_posted_again() {
    let harness = common::Harness::simulator().await;
    let order = a_confirmed_purchase_order(&harness, "20").await;
    let request_id = unique("ack-dead");
    let request = confirming_first_line(&order, &request_id, "18");
    let mut orders = harness.orders().await;
    orders.acknowledge_purchase_order(request.clone()).await.expect("acknowledged");
    as_if_its_owner_died(&harness, "ack", &request_id);
    let retry = orders.acknowledge_purchase_order(request).await.expect("taken over").into_inner();
    assert!(retry.replayed);
    assert_eq!(acknowledgement_notes(&harness, order.id).await, 1, "the note the dead owner posted, once");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_answers_are_lost_is_undone_and_its_retry_creates_it_once() {
    let harness = common::Harness::simulator().await;
    let (request_id, request) = an_order_of_one(&harness, "lost").await;
    let faults = harness.simulator_handle().faults();
    faults.inject(FaultRule::always(Fault::LoseResponse).on("sale.order", "load"));
    let mut orders = harness.orders().await;
    let lost = orders.create_sales_order(request.clone()).await.expect_err("every answer was lost");
    faults.clear();
    assert_eq!(lost.code(), Code::Unavailable, "{}", lost.message());
    assert_eq!(count_orders(&harness, &request_id).await, 0, "the call failed, so what Odoo committed was undone");
    let retry = orders.create_sales_order(request.clone()).await.expect("retry").into_inner();
    assert!(!retry.replayed, "the retry did the work");
    let again = orders.create_sales_order(request).await.expect("replay").into_inner();
    assert!(again.replayed);
    assert_eq!(count_orders(&harness, &request_id).await, 1, "one order in the end");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_lost_response_is_recovered_without_the_caller_noticing() {
    let harness = common::Harness::simulator().await;
    let (request_id, request) = an_order_of_one(&harness, "blip").await;
    let loads = harness.simulator_handle().call_count("sale.order", "load");
    harness.simulator_handle().faults().inject(FaultRule::times(Fault::LoseResponse, 1).on("sale.order", "load"));
    let created = harness.orders().await.create_sales_order(request).await.expect("created").into_inner();
    assert!(created.sales_order.is_some() && !created.replayed, "created for this call");
    assert_eq!(harness.simulator_handle().call_count("sale.order", "load"), loads + 2, "the load was repeated");
    assert_eq!(count_orders(&harness, &request_id).await, 1, "and found the order the first one made");
    harness.stop().await;
}

on_both_simulators!(a_committed_order_that_cannot_be_read_back_is_answered_by_id_and_audited);
async fn a_committed_order_that_cannot_be_read_back_is_answered_by_id_and_audited(harness: &common::Harness) {
    let (request_id, mut request) = an_order_of_one(harness, "unread").await;
    request.confirm = true;
    let faults = harness.simulator_handle().faults();
    faults.inject(FaultRule::always(Fault::DropConnection).on("sale.order", "read"));
    let mut orders = harness.orders().await;
    let created = orders.create_sales_order(request.clone()).await.expect("the order stands").into_inner();
    faults.clear();

    assert!(created.read_back_failed && !created.replayed, "{created:?}");
    let order = created.sales_order.expect("what is known of it");
    assert_eq!(order.name, format!("salesOrders/{}", order.id));
    assert_eq!(count_orders(harness, &request_id).await, 1);
    let audited =
        harness.audit_records().into_iter().find(|r| r["request_id"] == request_id.as_str()).expect("audited");
    assert_eq!((audited["outcome"].as_str(), audited["odoo_ids"].clone()), (Some("OK"), json!([order.id])));
    let whole = common::wait::until_some("Odoo answers reads again", common::wait::PATIENCE, || {
        let mut orders = orders.clone();
        let name = order.name.clone();
        async move { orders.get_sales_order(pb::GetSalesOrderRequest { name }).await.ok() }
    })
    .await
    .into_inner()
    .sales_order
    .expect("order");
    assert_eq!(whole.state(), pb::SalesOrderState::Confirmed, "it was confirmed before the read failed");
    let replay = orders.create_sales_order(request).await.expect("replayed").into_inner();
    assert!(replay.replayed && !replay.read_back_failed);
    assert_eq!(replay.sales_order.map(|o| o.id), Some(order.id));
}

on_both_simulators!(a_create_dropped_at_its_deadline_is_audited_and_finishes_all_the_same);
async fn a_create_dropped_at_its_deadline_is_audited_and_finishes_all_the_same(harness: &common::Harness) {
    let (request_id, request) = an_order_of_one(harness, "late").await;
    let slow = Fault::Latency { millis: 1500 };
    harness.simulator_handle().faults().inject(FaultRule::times(slow, 1).on("sale.order", "load"));
    let mut orders = harness.orders().await;
    let mut late = tonic::Request::new(request.clone());
    late.set_timeout(std::time::Duration::from_millis(500));
    let ended = orders.create_sales_order(late).await.expect_err("the deadline passes while Odoo imports");
    assert_eq!(ended.code(), Code::DeadlineExceeded, "{}", ended.message());

    let audited = harness.audit_records().into_iter().find(|r| r["request_id"] == request_id.as_str());
    let audited = audited.expect("a call dropped at its deadline is audited");
    assert_eq!(audited["outcome"], "DeadlineExceeded");
    assert_eq!(audited["odoo_ids"], json!([]), "what it wrote is not known yet");
    // The command goes on without its caller; its order is traced by the request id.
    common::wait::until("the order is imported", common::wait::PATIENCE, || async {
        count_orders(harness, &request_id).await == 1
    })
    .await;
    let retry = orders.create_sales_order(request).await.expect("the retry").into_inner();
    assert!(retry.replayed, "the retry finds it");
    assert_eq!(count_orders(harness, &request_id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_replica_or_a_restart_sees_the_same_key() {
    let first = common::Harness::simulator().await;
    let customer = a_customer(&first).await;
    let (warehouse, stock) = stocked_skus(&first, 2, 1).await;
    let request_id = unique("replica");
    let request = order_request(&request_id, customer, &warehouse, &[(&stock[0].0, "1")]);
    let created = first.orders().await.create_sales_order(request.clone()).await.expect("created").into_inner();
    let second = first.another_replica().await;
    let replayed = second.orders().await.create_sales_order(request).await.expect("replayed").into_inner();
    assert!(replayed.replayed);
    assert_eq!(replayed.sales_order.map(|o| o.id), created.sales_order.map(|o| o.id));
    assert_eq!(count_orders(&first, &request_id).await, 1);
    second.stop().await;
    first.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_confirmation_leaves_no_quotation_and_no_partner() {
    let harness = common::Harness::simulator().await;
    let (warehouse, stock) = stocked_skus(&harness, 2, 1).await;
    let request_id = unique("refused");
    let email = format!("{request_id}@example.com");
    let mut request = order_request(&request_id, 0, &warehouse, &[(&stock[0].0, "1")]);
    request.customer = Some(pb::PartnerSelector {
        selector: Some(Selector::NewPartner(pb::NewPartner {
            display_name: "Short-lived Customer".into(),
            address: Some(Address { email: email.clone(), ..Default::default() }),
            ..Default::default()
        })),
    });
    request.confirm = true;
    let message = "The customer is blocked for new orders.";
    harness.simulator_handle().faults().inject(
        FaultRule::times(Fault::OdooError { name: "odoo.exceptions.UserError".into(), message: message.into() }, 1)
            .on("sale.order", "action_confirm"),
    );
    let status = harness.orders().await.create_sales_order(request).await.expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(status.message(), message, "Odoo's words, not a traceback");
    assert_eq!(count_orders(&harness, &request_id).await, 0, "no quotation left behind");
    let partners = harness
        .simulator_handle()
        .search_read("res.partner", &json!([["email", "=", email]]), &["id"], Default::default())
        .expect("search");
    assert!(partners.is_empty(), "no partner left behind: {partners:?}");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_customer_is_created_once_with_its_delivery_address() {
    let harness = common::Harness::simulator().await;
    let (warehouse, stock) = stocked_skus(&harness, 2, 1).await;
    let request_id = unique("newcust");
    let email = format!("{request_id}@shop.example");
    let mut request = order_request(&request_id, 0, &warehouse, &[(&stock[0].0, "1")]);
    request.customer = Some(pb::PartnerSelector {
        selector: Some(Selector::NewPartner(pb::NewPartner {
            display_name: "Fresh Retail Ltd".into(),
            is_company: true,
            address: Some(Address {
                email: email.clone(),
                city: "Leeds".into(),
                country_code: "GB".into(),
                ..Default::default()
            }),
            ..Default::default()
        })),
    });
    request.delivery_address = Some(Address {
        contact_name: "Fresh Retail Dock 4".into(),
        street: "1 Quay St".into(),
        city: "Hull".into(),
        ..Default::default()
    });
    let mut orders = harness.orders().await;
    let order =
        orders.create_sales_order(request.clone()).await.expect("created").into_inner().sales_order.expect("order");
    assert_eq!(order.customer.as_ref().map(|c| c.display_name.as_str()), Some("Fresh Retail Ltd"));
    assert!(order.delivery_address.as_ref().is_some_and(|d| d.display_name.contains("Fresh Retail Dock 4")));
    orders.create_sales_order(request).await.expect("replayed");
    let partners: Vec<Value> = harness
        .simulator_handle()
        .search_read("res.partner", &json!([["email", "=", email]]), &["id"], Default::default())
        .expect("search");
    assert_eq!(partners.len(), 1, "the customer was created once");
    harness.stop().await;
}

scenario!(a_draft_purchase_order_is_confirmed_once_and_listed);
async fn a_draft_purchase_order_is_confirmed_once_and_listed(harness: &common::Harness) {
    let mut orders = harness.orders().await;
    let supplier = a_supplier(harness).await;
    // Another product than the other purchase scenario's: on a real Odoo both run at once.
    let (_, stock) = stocked_skus(harness, 0, 2).await;
    let request = pb::CreatePurchaseOrderRequest {
        request_id: unique("po-draft"),
        supplier: partner(supplier),
        lines: vec![pb::PurchaseOrderLineInput { sku: stock[1].0.clone(), quantity: qty("4"), ..Default::default() }],
        ..Default::default()
    };
    let order =
        orders.create_purchase_order(request).await.expect("created").into_inner().purchase_order.expect("order");
    assert_eq!(order.state(), pb::PurchaseOrderState::Rfq);
    assert!(order.receipts.is_empty());
    for _ in 0..2 {
        let confirmed = orders
            .confirm_purchase_order(pb::ConfirmPurchaseOrderRequest { name: order.name.clone() })
            .await
            .expect("confirmed");
        let confirmed = confirmed.into_inner().purchase_order.expect("order");
        assert_eq!(confirmed.state(), pb::PurchaseOrderState::Confirmed);
        assert_eq!(confirmed.receipts.len(), 1, "confirming twice makes one receipt");
    }
    let listed = orders
        .list_purchase_orders(pb::ListPurchaseOrdersRequest {
            supplier: format!("partners/{supplier}"),
            states: vec![pb::PurchaseOrderState::Confirmed.into()],
            page_size: 1000,
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner();
    assert!(listed.purchase_orders.iter().any(|o| o.id == order.id));
    assert!(listed.purchase_orders.iter().all(|o| o.state() == pb::PurchaseOrderState::Confirmed));
    let bad = orders
        .get_purchase_order(pb::GetPurchaseOrderRequest { name: "purchaseOrders/987654321".into() })
        .await
        .expect_err("missing");
    assert_eq!(bad.code(), Code::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_whose_goods_left_cannot_be_cancelled() {
    let harness = common::Harness::simulator().await;
    let customer = a_customer(&harness).await;
    let (warehouse, stock) = stocked_skus(&harness, 2, 1).await;
    let mut request = order_request(&unique("shipped"), customer, &warehouse, &[(&stock[0].0, "1")]);
    request.confirm = true;
    let mut orders = harness.orders().await;
    let order = orders.create_sales_order(request).await.expect("created").into_inner().sales_order.expect("order");
    let picking: i64 = order.shipments[0].trim_start_matches("shipments/").parse().expect("id");
    // The warehouse ships it (validation arrives with ShipmentService; here Odoo's state is set).
    harness
        .simulator_handle()
        .write("stock.picking", &[picking], &serde_json::Map::from_iter([("state".to_owned(), json!("done"))]))
        .expect("shipped");
    let status = orders
        .cancel_sales_order(pb::CancelSalesOrderRequest { name: order.name, reason: "too late".into() })
        .await
        .expect_err("refused");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert!(status.message().contains("already delivered"), "{}", status.message());
}

/// A partner made directly in Odoo, as its users would.
async fn a_partner_with(harness: &common::Harness, name: &str, email: &str, reference: &str) -> i64 {
    let values = json!({"name": name, "email": email, "ref": reference, "customer_rank": 1});
    harness.direct().execute("res.partner", "create", json!([values]), json!({})).await.as_i64().expect("created")
}

/// Whom an order for a customer given by `selector` is booked on — or the field refused.
async fn booked_on(
    harness: &common::Harness,
    warehouse: &str,
    sku: &str,
    selector: Selector,
) -> Result<i64, Vec<String>> {
    let mut request = order_request(&unique("who"), 0, warehouse, &[(sku, "1")]);
    request.customer = Some(pb::PartnerSelector { selector: Some(selector) });
    match harness.orders().await.create_sales_order(request).await {
        Ok(created) => Ok(created.into_inner().sales_order.and_then(|o| o.customer).expect("customer").id),
        Err(status) => {
            assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
            Err(common::bad_fields(&status))
        }
    }
}

scenario!(selectors_match_exactly_what_they_say);
/// `%`, `_` and `\` in what a caller types are characters, not patterns: an order is never booked
/// on another customer whose e-mail or reference the text would match as a LIKE pattern.
async fn selectors_match_exactly_what_they_say(harness: &common::Harness) {
    let (warehouse, stock) = stocked_skus(harness, 1, 1).await;
    let sku = stock[0].0.as_str();
    let domain = format!("{}.example", unique("exact"));
    let underscore = a_partner_with(harness, "Under Score", &format!("a_b@{domain}"), &format!("R_{domain}")).await;
    let letter = a_partner_with(harness, "Let Ter", &format!("axb@{domain}"), &format!("RX{domain}")).await;
    let email = |text: &str| Selector::Email(text.to_owned());

    assert_eq!(booked_on(harness, &warehouse, sku, email(&format!("a_b@{domain}"))).await, Ok(underscore));
    assert_eq!(booked_on(harness, &warehouse, sku, email(&format!("AXB@{}", domain.to_uppercase()))).await, Ok(letter));
    assert_eq!(
        booked_on(harness, &warehouse, sku, email(&format!("a%@{domain}"))).await,
        Err(vec!["customer".to_owned()]),
        "a % is a character"
    );
    let reference = |text: String| Selector::Reference(text);
    assert_eq!(booked_on(harness, &warehouse, sku, reference(format!("R_{domain}"))).await, Ok(underscore));
    assert_eq!(
        booked_on(harness, &warehouse, sku, reference(format!("r_{domain}"))).await,
        Err(vec!["customer".to_owned()]),
        "references match in their case"
    );

    // New details reuse the one partner with that e-mail, and refuse to guess among several.
    let new_partner = |email: String| {
        Selector::NewPartner(pb::NewPartner {
            display_name: "Someone New".into(),
            address: Some(Address { email, ..Default::default() }),
            ..Default::default()
        })
    };
    assert_eq!(booked_on(harness, &warehouse, sku, new_partner(format!("axb@{domain}"))).await, Ok(letter));
    a_partner_with(harness, "Let Ter (duplicate)", &format!("axb@{domain}"), "").await;
    assert_eq!(
        booked_on(harness, &warehouse, sku, new_partner(format!("axb@{domain}"))).await,
        Err(vec!["customer.new_partner.address.email".to_owned()])
    );
    let with_that_email = harness
        .direct()
        .execute("res.partner", "search_count", json!([[["email", "=", format!("axb@{domain}")]]]), json!({}))
        .await;
    assert_eq!(with_that_email, json!(2), "no third partner was made");
}

scenario!(numbers_odoo_would_round_are_refused);
/// Odoo rounds a stored quantity to its unit's precision and a float to its field's decimal
/// precision (0.01 of a Unit, two decimals of prices and discounts in the demo data): a thousandth
/// of a Unit would be a line of nothing, 1.005 a line of 1.01, 12.345 a price nobody asked for.
async fn numbers_odoo_would_round_are_refused(harness: &common::Harness) {
    let customer = a_customer(harness).await;
    let (warehouse, stock) = stocked_skus(harness, 2, 1).await;
    let sku = stock[0].0.as_str();
    let mut request =
        order_request(&unique("tiny"), customer, &warehouse, &[(sku, "0.001"), (sku, "1.005"), (sku, "2.5")]);
    let price = |units, nanos| Some(Money { currency_code: String::new(), units, nanos });
    let prices = [price(10, 0), price(12, 345_000_000), price(7, 500_000_000)];
    for (line, (unit_price, discount)) in request.lines.iter_mut().zip(prices.into_iter().zip(["5", "2.5", "10.125"])) {
        (line.unit_price, line.discount_percent) = (unit_price, discount.to_owned());
    }
    let refused = harness.orders().await.create_sales_order(request).await.expect_err("rounded away");
    assert_eq!(refused.code(), Code::InvalidArgument, "{}", refused.message());
    assert_eq!(
        common::bad_fields(&refused),
        ["lines[0].quantity.value", "lines[1].unit_price", "lines[1].quantity.value", "lines[2].discount_percent"]
    );

    let order = a_confirmed_purchase_order(harness, "20").await;
    let acknowledgement = confirming_first_line(&order, &unique("tiny-ack"), "19.999");
    let refused = harness.orders().await.acknowledge_purchase_order(acknowledgement).await.expect_err("rounded");
    assert_eq!(common::bad_fields(&refused), ["lines[0].confirmed_quantity.value"]);
}
