//! Money end to end: invoices from orders, payments (partial, retried, concurrent), credit notes,
//! supplier bills and customer balances — every amount equal to Odoo's to the cent. Scenarios run
//! on both simulator flavours and, when configured, a real Odoo.

mod common;

use common::{a_delivery, a_delivery_to, a_new_customer, a_receipt, qty, unique};
use odoo_mesh::proto::{
    common::v1::Money,
    finance::v1::{self as pb, finance_service_client::FinanceServiceClient},
    order::v1 as orders,
    shipment::v1 as shipments,
};
use rust_decimal::Decimal;
use serde_json::json;
use tonic::{Code, transport::Channel};
use tonic_types::StatusExt;

type Client = FinanceServiceClient<Channel>;

/// Money as an exact decimal.
fn amount(money: &Option<Money>) -> Decimal {
    let m = money.as_ref().expect("money");
    Decimal::from(m.units) + Decimal::new(i64::from(m.nanos), 9)
}

fn money(value: &str, currency: &str) -> Option<Money> {
    let d: Decimal = value.parse().expect("decimal");
    let units = d.trunc();
    let nanos = ((d - units) * Decimal::from(1_000_000_000)).trunc();
    Some(Money {
        currency_code: currency.into(),
        units: units.try_into().expect("units"),
        nanos: nanos.try_into().expect("nanos"),
    })
}

/// Ships everything of a confirmed order's delivery.
async fn ship_all(harness: &common::Harness, delivery: &shipments::Shipment) {
    harness
        .shipments()
        .await
        .validate_shipment(shipments::ValidateShipmentRequest {
            request_id: unique("ship"),
            name: delivery.name.clone(),
            ..Default::default()
        })
        .await
        .expect("shipped");
}

async fn invoice(client: &mut Client, order: &str, post: bool) -> pb::Invoice {
    let request = pb::CreateInvoiceRequest {
        request_id: unique("invoice"),
        sales_orders: vec![order.into()],
        post,
        down_payment: None,
    };
    let mut invoices = client.create_invoice(request).await.expect("invoiced").into_inner().invoices;
    assert_eq!(invoices.len(), 1, "one invoice: {invoices:?}");
    invoices.remove(0)
}

fn pay(invoice: &pb::Invoice, value: Option<&str>) -> pb::RegisterPaymentRequest {
    let currency = invoice.amount_total.as_ref().expect("total").currency_code.clone();
    pb::RegisterPaymentRequest {
        request_id: unique("pay"),
        invoices: vec![invoice.name.clone()],
        amount: value.and_then(|v| money(v, &currency)),
        memo: "bank transfer 4711".into(),
        ..Default::default()
    }
}

/// The invoice's amounts exactly as Odoo holds them, read directly.
async fn odoo_amounts(harness: &common::Harness, id: i64) -> [Decimal; 4] {
    let rows = harness
        .direct()
        .execute(
            "account.move",
            "read",
            json!([[id], ["amount_untaxed", "amount_tax", "amount_total", "amount_residual"]]),
            json!({}),
        )
        .await;
    let exact = |f: &str| -> Decimal { rows[0][f].to_string().parse::<Decimal>().expect("number").round_dp(2) };
    [exact("amount_untaxed"), exact("amount_tax"), exact("amount_total"), exact("amount_residual")]
}

fn amounts(invoice: &pb::Invoice) -> [Decimal; 4] {
    [
        amount(&invoice.amount_untaxed),
        amount(&invoice.amount_tax),
        amount(&invoice.amount_total),
        amount(&invoice.amount_residual),
    ]
}

scenario!(a_delivered_order_is_invoiced_and_paid_in_two_parts);
async fn a_delivered_order_is_invoiced_and_paid_in_two_parts(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (order, delivery, _) = a_delivery_to(harness, a_new_customer(harness).await, &["3", "2"]).await;
    ship_all(harness, &delivery).await;
    let customer = order.customer.as_ref().expect("customer").name.clone();
    let before = client
        .get_customer_balance(pb::GetCustomerBalanceRequest { customer: customer.clone() })
        .await
        .expect("balance")
        .into_inner();

    let invoice = invoice(&mut client, &order.name, true).await;
    assert_eq!(invoice.state(), pb::InvoiceState::Posted);
    assert_eq!(invoice.kind(), pb::InvoiceKind::CustomerInvoice);
    assert!(!invoice.number.is_empty(), "posted invoices are numbered");
    assert_eq!(invoice.orders, std::slice::from_ref(&order.name));
    assert_eq!(invoice.lines.len(), 2);
    assert_eq!(amounts(&invoice), odoo_amounts(harness, invoice.id).await, "to the cent");
    let lines: Decimal = invoice.lines.iter().map(|l| amount(&l.subtotal)).sum();
    assert_eq!(lines, amount(&invoice.amount_untaxed));
    assert_eq!(amount(&invoice.amount_untaxed) + amount(&invoice.amount_tax), amount(&invoice.amount_total));

    let owed = client
        .get_customer_balance(pb::GetCustomerBalanceRequest { customer: customer.clone() })
        .await
        .expect("balance")
        .into_inner();
    assert_eq!(amount(&owed.balance), amount(&before.balance) + amount(&invoice.amount_total));

    // A first part, retried: registered once.
    let part = pay(&invoice, Some("10.00"));
    let paid = client.register_payment(part.clone()).await.expect("paid").into_inner();
    let after = &paid.invoices[0];
    assert_eq!(after.payment_state(), pb::PaymentState::Partial);
    assert_eq!(amount(&after.amount_residual), amount(&invoice.amount_total) - Decimal::from(10));
    assert_eq!(amount(&paid.payment.as_ref().expect("payment").amount), Decimal::from(10));
    let again = client.register_payment(part).await.expect("replayed").into_inner();
    assert!(again.replayed);
    assert_eq!(again.payment, paid.payment);
    let now = client.get_invoice(pb::GetInvoiceRequest { name: invoice.name.clone() }).await.expect("get");
    assert_eq!(now.into_inner().invoice.expect("invoice").payments.len(), 1, "one payment, not two");

    // The rest.
    let rest = client.register_payment(pay(&invoice, None)).await.expect("paid").into_inner();
    let settled = &rest.invoices[0];
    assert!(
        matches!(settled.payment_state(), pb::PaymentState::Paid | pb::PaymentState::InPayment),
        "{:?}",
        settled.payment_state()
    );
    assert_eq!(amount(&settled.amount_residual), Decimal::ZERO);
    let after =
        client.get_customer_balance(pb::GetCustomerBalanceRequest { customer }).await.expect("balance").into_inner();
    assert_eq!(amount(&after.balance), amount(&before.balance));

    // Nothing is left to invoice, and Odoo says why.
    let status = client
        .create_invoice(pb::CreateInvoiceRequest {
            request_id: unique("invoice"),
            sales_orders: vec![order.name.clone()],
            ..Default::default()
        })
        .await
        .expect_err("nothing to invoice");
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(status.get_error_details().error_info().map(|i| i.reason.as_str()), Some("NOTHING_TO_INVOICE"));
}

scenario!(concurrent_copies_of_a_payment_register_it_once);
async fn concurrent_copies_of_a_payment_register_it_once(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (order, delivery, _) = a_delivery(harness, &["2"]).await;
    ship_all(harness, &delivery).await;
    let invoice = invoice(&mut client, &order.name, true).await;
    let once = pay(&invoice, Some("5.00"));
    let copies = (0..5).map(|_| {
        let (mut client, once) = (client.clone(), once.clone());
        async move { client.register_payment(once).await.expect("paid").into_inner() }
    });
    let answers = futures::future::join_all(copies).await;
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1);
    assert!(answers.iter().all(|a| a.payment == answers[0].payment));
    let now = client.get_invoice(pb::GetInvoiceRequest { name: invoice.name.clone() }).await.expect("get").into_inner();
    let now = now.invoice.expect("invoice");
    assert_eq!(now.payments.len(), 1);
    assert_eq!(amount(&now.amount_residual), amount(&invoice.amount_total) - Decimal::from(5));
}

scenario!(a_down_payment_is_deducted_from_the_final_invoice);
async fn a_down_payment_is_deducted_from_the_final_invoice(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (order, delivery, _) = a_delivery(harness, &["4"]).await;
    let down = client
        .create_invoice(pb::CreateInvoiceRequest {
            request_id: unique("down"),
            sales_orders: vec![order.name.clone()],
            post: true,
            down_payment: Some(pb::DownPayment { amount: Some(pb::down_payment::Amount::Percentage("25".into())) }),
        })
        .await
        .expect("down payment")
        .into_inner()
        .invoices
        .remove(0);
    let order_total = amount(&order.amount_total);
    assert_eq!(amount(&down.amount_total), (order_total / Decimal::from(4)).round_dp(2));
    ship_all(harness, &delivery).await;
    let last = invoice(&mut client, &order.name, true).await;
    assert_eq!(amount(&last.amount_total) + amount(&down.amount_total), order_total, "the down payment is deducted");
    assert_eq!(amounts(&last), odoo_amounts(harness, last.id).await);
}

scenario!(a_partial_credit_note_reverses_what_was_returned);
async fn a_partial_credit_note_reverses_what_was_returned(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (order, delivery, _) = a_delivery(harness, &["3"]).await;
    ship_all(harness, &delivery).await;
    let invoice = invoice(&mut client, &order.name, true).await;
    let line = &invoice.lines[0];
    let request = pb::CreateCreditNoteRequest {
        request_id: unique("credit"),
        invoice: invoice.name.clone(),
        reason: "one came back broken".into(),
        post: true,
        lines: vec![pb::CreditLine { line_id: line.id, quantity: qty("1") }],
    };
    let note = client.create_credit_note(request.clone()).await.expect("credited").into_inner();
    let note = note.credit_note.expect("credit note");
    assert_eq!(note.kind(), pb::InvoiceKind::CustomerCreditNote);
    assert_eq!(note.reversal_of, invoice.name);
    assert_eq!(note.lines.len(), 1);
    assert_eq!(amount(&note.lines[0].subtotal), amount(&line.unit_price));
    assert_eq!(amounts(&note), odoo_amounts(harness, note.id).await);
    let replay = client.create_credit_note(request).await.expect("replayed").into_inner();
    assert!(replay.replayed);
    assert_eq!(replay.credit_note.map(|n| n.id), Some(note.id));
    let now = client.get_invoice(pb::GetInvoiceRequest { name: invoice.name.clone() }).await.expect("get").into_inner();
    let now = now.invoice.expect("invoice");
    assert_eq!(now.credit_notes, std::slice::from_ref(&note.name));
    assert_eq!(amount(&now.amount_residual), amount(&invoice.amount_total) - amount(&note.amount_total));
}

scenario!(a_short_receipt_is_billed_for_what_came);
async fn a_short_receipt_is_billed_for_what_came(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (_, receipt, _) = a_receipt(harness, "5").await;
    harness
        .shipments()
        .await
        .validate_shipment(shipments::ValidateShipmentRequest {
            request_id: unique("receive"),
            name: receipt.name.clone(),
            lines: vec![shipments::LineQuantity {
                line_id: receipt.lines[0].id,
                quantity: qty("3"),
                ..Default::default()
            }],
            backorder_policy: shipments::BackorderPolicy::Cancel.into(),
            as_announced: false,
        })
        .await
        .expect("received");
    let request = pb::CreateSupplierBillRequest {
        request_id: unique("bill"),
        purchase_order: receipt.order.clone(),
        supplier_reference: unique("SUP-INV"),
        bill_date: String::new(),
    };
    let bill = client.create_supplier_bill(request).await.expect("billed").into_inner().bill.expect("bill");
    assert_eq!(bill.kind(), pb::InvoiceKind::SupplierBill);
    assert_eq!(bill.state(), pb::InvoiceState::Draft);
    assert_eq!(bill.lines.iter().map(|l| l.quantity.as_ref().expect("qty").value.clone()).collect::<Vec<_>>(), ["3"]);
    let posted = client
        .post_invoice(pb::PostInvoiceRequest { request_id: unique("post"), name: bill.name.clone() })
        .await
        .expect("posted")
        .into_inner()
        .invoice
        .expect("bill");
    assert_eq!(posted.state(), pb::InvoiceState::Posted);
    let again = client
        .post_invoice(pb::PostInvoiceRequest { request_id: unique("post"), name: bill.name.clone() })
        .await
        .expect_err("posted already");
    assert_eq!(again.code(), Code::FailedPrecondition);
    let paid = client.register_payment(pay(&posted, None)).await.expect("paid").into_inner();
    assert_eq!(amount(&paid.invoices[0].amount_residual), Decimal::ZERO);
    assert_eq!(amounts(&paid.invoices[0]), odoo_amounts(harness, bill.id).await);
}

scenario!(bad_finance_requests_name_every_bad_field);
async fn bad_finance_requests_name_every_bad_field(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let status = client
        .register_payment(pb::RegisterPaymentRequest {
            request_id: String::new(),
            invoices: vec!["invoices/x".into()],
            amount: money("-1", "EURO"),
            payment_date: "2026-13-01".into(),
            ..Default::default()
        })
        .await
        .expect_err("bad");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        common::bad_fields(&status),
        ["request_id", "invoices[0]", "amount", "amount.currency_code", "payment_date"]
    );
    let missing =
        client.get_invoice(pb::GetInvoiceRequest { name: "invoices/987654321".into() }).await.expect_err("none");
    assert_eq!(missing.code(), Code::NotFound);
}

scenario!(billing_systems_watch_invoices_get_posted_and_paid);
async fn billing_systems_watch_invoices_get_posted_and_paid(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let customer = a_new_customer(harness).await;
    let (order, delivery, _) = a_delivery_to(harness, customer, &["2"]).await;
    ship_all(harness, &delivery).await;
    let mut stream = client
        .watch_invoices(pb::WatchInvoicesRequest {
            kind: pb::InvoiceKind::CustomerInvoice.into(),
            partner: format!("partners/{customer}"),
            ..Default::default()
        })
        .await
        .expect("watching")
        .into_inner();
    let invoice = invoice(&mut client, &order.name, true).await;
    client.register_payment(pay(&invoice, Some("1.00"))).await.expect("paid");
    let mut seen = Vec::new();
    while !seen.contains(&pb::PaymentState::Partial) {
        let message = tokio::time::timeout(common::wait::PATIENCE, stream.message())
            .await
            .expect("an event in time")
            .expect("stream open")
            .expect("an event");
        if let Some(event) = message.invoice {
            assert_eq!(event.id, invoice.id, "only the customer's invoices");
            assert!(!message.resume_token.is_empty());
            seen.push(event.payment_state());
        }
    }
}

scenario!(a_customer_balance_shows_what_is_overdue_and_the_credit_left);
async fn a_customer_balance_shows_what_is_overdue_and_the_credit_left(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let customer = a_new_customer(harness).await;
    let (order, delivery, _) = a_delivery_to(harness, customer, &["1"]).await;
    ship_all(harness, &delivery).await;
    let draft = invoice(&mut client, &order.name, false).await;
    // Invoiced two months ago, due a month ago, as an accountant may have entered it.
    let today = time::OffsetDateTime::now_utc().date();
    let dates = json!({
        "invoice_date": (today - time::Duration::days(60)).to_string(),
        "invoice_date_due": (today - time::Duration::days(30)).to_string(),
    });
    harness.direct().execute("account.move", "write", json!([[draft.id], dates]), json!({})).await;
    let limit = json!({"credit_limit": 100.0, "use_partner_credit_limit": true});
    harness.direct().execute("res.partner", "write", json!([[customer], limit]), json!({})).await;
    let posted = client
        .post_invoice(pb::PostInvoiceRequest { request_id: unique("post"), name: draft.name.clone() })
        .await
        .expect("posted")
        .into_inner()
        .invoice
        .expect("invoice");
    let total = amount(&posted.amount_total);

    let balance = client
        .get_customer_balance(pb::GetCustomerBalanceRequest { customer: format!("partners/{customer}") })
        .await
        .expect("balance")
        .into_inner();
    assert_eq!(amount(&balance.balance), total);
    assert_eq!(amount(&balance.overdue), total);
    assert_eq!(amount(&balance.credit_limit), Decimal::from(100));
    assert_eq!(amount(&balance.remaining_credit), Decimal::from(100) - total);
    assert_eq!(balance.over_limit, total > Decimal::from(100));

    let overdue = client
        .list_invoices(pb::ListInvoicesRequest {
            partner: format!("partners/{customer}"),
            overdue: true,
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .invoices;
    assert_eq!(overdue.iter().map(|i| i.id).collect::<Vec<_>>(), [posted.id]);
    assert_eq!(posted.due_date, (today - time::Duration::days(30)).to_string());
}

on_both_simulators!(a_payment_whose_answer_was_lost_is_registered_once);
async fn a_payment_whose_answer_was_lost_is_registered_once(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (order, delivery, _) = a_delivery(harness, &["2"]).await;
    ship_all(harness, &delivery).await;
    let invoice = invoice(&mut client, &order.name, true).await;
    harness.simulator_handle().faults().inject(
        odoo_simulator::FaultRule::times(odoo_simulator::Fault::LoseResponse, 1)
            .on("account.payment.register", "action_create_payments"),
    );
    let once = pay(&invoice, Some("3.00"));
    let paid = client.register_payment(once.clone()).await.expect("registered despite the lost answer").into_inner();
    assert_eq!(amount(&paid.invoices[0].amount_residual), amount(&invoice.amount_total) - Decimal::from(3));
    let again = client.register_payment(once).await.expect("replayed").into_inner();
    assert!(again.replayed);
    assert_eq!(again.invoices[0].payments.len(), 1, "one payment");
}

on_both_simulators!(an_invoice_whose_answer_was_lost_is_undone_and_made_by_the_retry);
async fn an_invoice_whose_answer_was_lost_is_undone_and_made_by_the_retry(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (order, delivery, _) = a_delivery(harness, &["2"]).await;
    ship_all(harness, &delivery).await;
    harness.simulator_handle().faults().inject(
        odoo_simulator::FaultRule::times(odoo_simulator::Fault::LoseResponse, 1)
            .on("sale.advance.payment.inv", "create_invoices"),
    );
    let request = pb::CreateInvoiceRequest {
        request_id: unique("invoice"),
        sales_orders: vec![order.name.clone()],
        post: true,
        down_payment: None,
    };
    let lost = client.create_invoice(request.clone()).await.expect_err("the answer was lost");
    assert_eq!(lost.code(), Code::Unavailable, "{}", lost.message());
    let made = client.create_invoice(request).await.expect("the retry invoices").into_inner();
    assert!(!made.replayed);
    assert_eq!(made.invoices.len(), 1);
    let all = client
        .list_invoices(pb::ListInvoicesRequest {
            partner: made.invoices[0].partner.as_ref().expect("partner").name.clone(),
            ..Default::default()
        })
        .await
        .expect("listed")
        .into_inner()
        .invoices;
    let of_order: Vec<_> = all.iter().filter(|i| i.orders.contains(&order.name)).collect();
    assert_eq!(of_order.len(), 1, "the lost one was undone: {of_order:?}");
}

on_both_simulators!(an_invoice_odoo_made_is_named_and_answered_though_reading_it_back_fails_for_a_while);
async fn an_invoice_odoo_made_is_named_and_answered_though_reading_it_back_fails_for_a_while(
    harness: &common::Harness,
) {
    let mut client = harness.finance().await;
    let (order, delivery, _) = a_delivery(harness, &["2"]).await;
    ship_all(harness, &delivery).await;
    let sim = harness.simulator_handle().clone();
    // The wizard takes a while; while it does, a proxy starts failing the orders' reads.
    sim.faults().inject(
        odoo_simulator::FaultRule::times(odoo_simulator::Fault::Latency { millis: 300 }, 1)
            .on("sale.advance.payment.inv", "create_invoices"),
    );
    let request = pb::CreateInvoiceRequest {
        request_id: unique("invoice"),
        sales_orders: vec![order.name.clone()],
        post: false,
        down_payment: None,
    };
    let invoicing = tokio::spawn({
        let (mut client, request) = (client.clone(), request.clone());
        async move { client.create_invoice(request).await }
    });
    common::wait::until("the wizard is at work", common::wait::PATIENCE, || {
        let sim = sim.clone();
        async move { sim.call_count("sale.advance.payment.inv", "create_invoices") > 0 }
    })
    .await;
    sim.faults().inject(
        odoo_simulator::FaultRule::times(odoo_simulator::Fault::HttpStatus { status: 503 }, 12)
            .on("sale.order", "read"),
    );
    let made = invoicing.await.expect("joined").expect("invoiced once Odoo answers again").into_inner();
    assert_eq!(made.invoices.len(), 1);
    let again = client.create_invoice(request).await.expect("the retry is answered").into_inner();
    assert!(again.replayed, "the same request_id replays the invoice Odoo made");
    assert_eq!(again.invoices[0].name, made.invoices[0].name);
}

scenario!(one_payment_settles_several_invoices_of_a_customer);
async fn one_payment_settles_several_invoices_of_a_customer(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let customer = a_new_customer(harness).await;
    let mut invoices = Vec::new();
    for quantity in ["1", "2"] {
        let (order, delivery, _) = a_delivery_to(harness, customer, &[quantity]).await;
        ship_all(harness, &delivery).await;
        invoices.push(invoice(&mut client, &order.name, true).await);
    }
    let request = pb::RegisterPaymentRequest {
        request_id: unique("pay"),
        invoices: invoices.iter().map(|i| i.name.clone()).collect(),
        ..Default::default()
    };
    let paid = client.register_payment(request).await.expect("paid").into_inner();
    let payment = paid.payment.expect("payment");
    let total: Decimal = invoices.iter().map(|i| amount(&i.amount_total)).sum();
    assert_eq!(amount(&payment.amount), total);
    for invoice in &paid.invoices {
        assert_eq!(amount(&invoice.amount_residual), Decimal::ZERO);
        assert_eq!(invoice.payments.iter().map(|p| p.id).collect::<Vec<_>>(), [payment.id]);
    }
}

/// A confirmed order to a customer of its own of `quantity` of a new product invoiced by
/// `policy` ("order" or "delivery"), and its delivery.
async fn an_order_invoiced_on(
    harness: &common::Harness,
    policy: &str,
    quantity: &str,
) -> (orders::SalesOrder, shipments::Shipment) {
    // A product of its own, counted into stock through AdjustInventory.
    let sku = unique("INV-POLICY").to_uppercase();
    let product = json!([{
        "name": format!("Invoiced on {policy}"), "default_code": sku, "type": "consu", "is_storable": true,
        "invoice_policy": policy, "list_price": 12.5, "sale_ok": true,
    }]);
    harness.direct().execute("product.product", "create", product, json!({})).await;
    let mut inventory = harness.inventory().await;
    let warehouse = inventory
        .list_warehouses(odoo_mesh::proto::inventory::v1::ListWarehousesRequest {})
        .await
        .expect("warehouses")
        .into_inner()
        .warehouses
        .remove(0);
    let stock = warehouse.stock_location.expect("a stock location");
    inventory
        .adjust_inventory(odoo_mesh::proto::inventory::v1::AdjustInventoryRequest {
            request_id: unique("count"),
            counts: vec![odoo_mesh::proto::inventory::v1::InventoryCount {
                sku: sku.clone(),
                location: stock.name,
                counted: qty("50"),
                counted_at: None,
            }],
        })
        .await
        .expect("stocked");
    let request = orders::CreateSalesOrderRequest {
        request_id: unique("so"),
        customer: common::partner(a_new_customer(harness).await),
        lines: vec![orders::SalesOrderLineInput { sku, quantity: qty(quantity), ..Default::default() }],
        warehouse: warehouse.name,
        confirm: true,
        ..Default::default()
    };
    let order = harness.orders().await.create_sales_order(request).await.expect("order").into_inner();
    let order = order.sales_order.expect("order");
    let delivery = common::the_shipment_of(harness, &order.name, shipments::ShipmentKind::Delivery).await;
    (order, delivery)
}

scenario!(what_is_invoiced_follows_each_products_invoicing_policy);
async fn what_is_invoiced_follows_each_products_invoicing_policy(harness: &common::Harness) {
    let mut client = harness.finance().await;
    // Invoiced on order: before anything ships.
    let (ordered, _) = an_order_invoiced_on(harness, "order", "4").await;
    let on_order = invoice(&mut client, &ordered.name, false).await;
    assert_eq!(on_order.lines[0].quantity.as_ref().map(|q| q.value.as_str()), Some("4"));
    // Invoiced on delivery: nothing until it ships, then what shipped.
    let (delivered, delivery) = an_order_invoiced_on(harness, "delivery", "5").await;
    let status = client
        .create_invoice(pb::CreateInvoiceRequest {
            request_id: unique("invoice"),
            sales_orders: vec![delivered.name.clone()],
            ..Default::default()
        })
        .await
        .expect_err("nothing delivered yet");
    assert_eq!(status.get_error_details().error_info().map(|i| i.reason.as_str()), Some("NOTHING_TO_INVOICE"));
    harness
        .shipments()
        .await
        .validate_shipment(shipments::ValidateShipmentRequest {
            request_id: unique("ship"),
            name: delivery.name.clone(),
            lines: vec![shipments::LineQuantity {
                line_id: delivery.lines[0].id,
                quantity: qty("3"),
                ..Default::default()
            }],
            backorder_policy: shipments::BackorderPolicy::Create.into(),
            as_announced: false,
        })
        .await
        .expect("shipped in part");
    let on_delivery = invoice(&mut client, &delivered.name, true).await;
    assert_eq!(on_delivery.lines[0].quantity.as_ref().map(|q| q.value.as_str()), Some("3"));
}

scenario!(a_return_after_invoicing_is_credited_by_the_next_invoicing);
async fn a_return_after_invoicing_is_credited_by_the_next_invoicing(harness: &common::Harness) {
    let mut client = harness.finance().await;
    let (order, delivery) = an_order_invoiced_on(harness, "delivery", "3").await;
    ship_all(harness, &delivery).await;
    let invoiced = invoice(&mut client, &order.name, true).await;
    let mut ship = harness.shipments().await;
    let returned = ship
        .create_return(shipments::CreateReturnRequest {
            request_id: unique("return"),
            name: delivery.name.clone(),
            lines: vec![shipments::LineQuantity {
                line_id: delivery.lines[0].id,
                quantity: qty("1"),
                ..Default::default()
            }],
            reason: "one came back".into(),
        })
        .await
        .expect("return")
        .into_inner()
        .return_shipment
        .expect("return");
    ship_all(harness, &returned).await;
    let credit = invoice(&mut client, &order.name, true).await;
    assert_eq!(credit.kind(), pb::InvoiceKind::CustomerCreditNote, "more was invoiced than stayed delivered");
    assert_eq!(credit.lines[0].quantity.as_ref().map(|q| q.value.as_str()), Some("1"));
    assert_eq!(amount(&credit.amount_untaxed), amount(&invoiced.lines[0].unit_price));
    assert_eq!(amounts(&credit), odoo_amounts(harness, credit.id).await);
}
