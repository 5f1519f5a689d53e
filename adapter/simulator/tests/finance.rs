//! Invoicing, payments, credit notes and bills as the simulated Odoo 18 (JSON-RPC) and Odoo 19
//! (JSON-2) do them, each test on both: invoices from ordered and from delivered quantities,
//! down payments deducted by the final invoice, partial then full payment, credit notes after a
//! return and from the reversal wizard, a supplier bill after a short receipt, and amounts to the
//! cent. Behaviours rest on the recordings (`../shared/odoo-transcripts/` 078-100,
//! `../shared/odoo19-transcripts/` 24-30 and 52); expected amounts are worked out by hand from
//! Odoo 18's taxes computation (`account.tax._get_tax_details`, `round_per_line`: the line's base
//! rounded to the currency, then each tax amount).

mod client;

use client::Odoo;
use odoo_simulator::{Fault, FaultRule, OdooVersion};
use serde_json::{Value, json};

const VERSIONS: [OdooVersion; 2] = [OdooVersion::V18, OdooVersion::V19];

/// Seeded records: customers on the public price list without payment terms (Gemini Furniture)
/// and with "End of Following Month" (Azure Interior), a vendor; products invoiced on delivery
/// (Pedal Bin, 47.00, cost 29.14, 22 in WH/Stock) and on order (Ergonomic Office Chair, 289.00);
/// the 15% sales tax excluded from prices (1), the 15% purchase tax (2) and the 15% sales tax
/// included in prices (3); JPY, inactive, with no decimals at 150 per USD.
const GEMINI: i64 = 10;
const AZURE_INTERIOR: i64 = 15;
const VENDOR: i64 = 40;
const PEDAL_BIN: i64 = 20;
const OFFICE_CHAIR: i64 = 50;
const SALES_TAX: i64 = 1;
const INCLUDED_TAX: i64 = 3;
const JPY: i64 = 25;

const NONE: Value = Value::Null;

/// A confirmed sales order of `(product, quantity)` lines; the order and its lines.
async fn sell(odoo: &Odoo, customer: i64, lines: &[(i64, f64)]) -> (i64, Vec<i64>) {
    let lines: Vec<Value> = lines.iter().map(|(p, q)| json!({"product_id": p, "product_uom_qty": q})).collect();
    sell_lines(odoo, json!({"partner_id": customer}), &lines).await
}

/// A confirmed sales order with these header values and line values.
async fn sell_lines(odoo: &Odoo, mut header: Value, lines: &[Value]) -> (i64, Vec<i64>) {
    header["order_line"] = json!(lines.iter().map(|l| json!([0, 0, l])).collect::<Vec<_>>());
    let order = odoo.create("sale.order", header, NONE).await;
    odoo.ok("sale.order", "action_confirm", &[order], json!({}), NONE).await;
    let lines = odoo.search_read("sale.order.line", json!([["order_id", "=", order]]), &["id"]).await;
    (order, lines.iter().filter_map(|l| l["id"].as_i64()).collect())
}

/// Delivers `quantity` of the Pedal Bins of an order, without a backorder.
async fn deliver(odoo: &Odoo, order: i64, quantity: f64) {
    let open = json!([["sale_line_id.order_id", "=", order], ["product_id", "=", PEDAL_BIN], ["state", "!=", "done"]]);
    let moves = odoo.search_read("stock.move", open, &["picking_id"]).await;
    let picking = moves[0]["picking_id"][0].as_i64().expect("a delivery");
    let mv = moves[0]["id"].as_i64().expect("a move");
    odoo.write("stock.move", &[mv], json!({"quantity": quantity, "picked": true})).await;
    let context = json!({"skip_backorder": true, "picking_ids_not_to_backorder": [picking], "skip_sms": true});
    odoo.ok("stock.picking", "button_validate", &[picking], json!({}), context).await;
}

/// The context of the invoicing wizard on one order.
fn on_order(order: i64) -> Value {
    json!({"active_model": "sale.order", "active_ids": [order], "active_id": order})
}

/// The context of the payment and reversal wizards on entries.
fn on_moves(moves: &[i64]) -> Value {
    json!({"active_model": "account.move", "active_ids": moves})
}

/// Runs the invoicing wizard with these values on one order; the action it answers.
async fn invoice_order(odoo: &Odoo, order: i64, values: Value) -> client::Answer {
    let wizard = odoo.create("sale.advance.payment.inv", values, on_order(order)).await;
    odoo.call("sale.advance.payment.inv", "create_invoices", &[wizard], json!({}), on_order(order)).await
}

/// A regular invoice of what an order has to invoice; its id.
async fn regular_invoice(odoo: &Odoo, order: i64) -> i64 {
    let action = invoice_order(odoo, order, json!({"advance_payment_method": "delivered"})).await;
    let action = action.expect("invoiced").expect("an action");
    assert_eq!(action["res_model"], "account.move", "{:?}: {action}", odoo.version);
    action["res_id"].as_i64().expect("one invoice opened")
}

async fn post(odoo: &Odoo, mv: i64) {
    let posted = odoo.call("account.move", "action_post", &[mv], json!({}), NONE).await;
    assert_eq!(posted, Ok(Some(json!(false))), "{:?}: action_post answers false", odoo.version);
}

/// Registers a payment of these wizard values on entries, not redirected; the wizard.
async fn pay(odoo: &Odoo, moves: &[i64], values: Value) -> i64 {
    let wizard = odoo.create("account.payment.register", values, on_moves(moves)).await;
    let mut context = on_moves(moves);
    context["dont_redirect_to_payments"] = json!(true);
    let paid = odoo.call("account.payment.register", "action_create_payments", &[wizard], json!({}), context).await;
    assert_eq!(paid, Ok(Some(json!(true))), "{:?}: not redirected", odoo.version);
    wizard
}

/// A create that may be refused: by position on 18 (as odoo-mesh calls it), by name on 19.
async fn try_create(odoo: &Odoo, model: &str, values: Value, context: Value) -> client::Answer {
    match odoo.version {
        OdooVersion::V18 => {
            let envelope =
                client::jsonrpc(&odoo.sim, model, "create", json!([[values]]), json!({"context": context})).await;
            match envelope.get("error") {
                Some(error) => Err(client::OdooException {
                    name: error["data"]["name"].as_str().unwrap_or_default().to_owned(),
                    message: error["data"]["message"].as_str().unwrap_or_default().to_owned(),
                }),
                None => Ok(envelope.get("result").cloned()),
            }
        }
        OdooVersion::V19 => odoo.call(model, "create", &[], json!({"vals_list": [values]}), context).await,
    }
}

const AMOUNTS: [&str; 6] =
    ["state", "payment_state", "amount_untaxed", "amount_tax", "amount_total", "amount_residual"];

/// An entry's state, payment state, untaxed amount, taxes, total and residual.
async fn amounts(odoo: &Odoo, mv: i64) -> Value {
    let mut read = odoo.read("account.move", mv, &AMOUNTS).await;
    read.as_object_mut().map(|r| r.remove("id"));
    read
}

fn expected(state: &str, payment_state: &str, untaxed: f64, tax: f64, total: f64, residual: f64) -> Value {
    json!({"state": state, "payment_state": payment_state, "amount_untaxed": untaxed, "amount_tax": tax,
        "amount_total": total, "amount_residual": residual})
}

/// The product lines of an entry: product, quantity, unit price, subtotal and total.
async fn product_lines(odoo: &Odoo, mv: i64) -> Vec<Value> {
    let domain = json!([["move_id", "=", mv], ["display_type", "=", "product"]]);
    odoo.search_read(
        "account.move.line",
        domain,
        &["product_id", "quantity", "price_unit", "price_subtotal", "price_total"],
    )
    .await
}

#[tokio::test]
async fn ordered_quantities_are_invoiced_at_once_and_delivered_ones_as_they_ship() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        // The office chair is invoiced on order: nothing shipped, 2 to invoice.
        let (order, lines) = sell(&odoo, GEMINI, &[(OFFICE_CHAIR, 2.0), (PEDAL_BIN, 10.0)]).await;
        let line = odoo.read("sale.order.line", lines[0], &["qty_to_invoice", "qty_invoiced", "invoice_status"]).await;
        assert_eq!((line["qty_to_invoice"].clone(), line["invoice_status"].clone()), (json!(2.0), json!("to invoice")));
        assert_eq!(odoo.read("sale.order", order, &["invoice_status"]).await["invoice_status"], "to invoice");
        let first = regular_invoice(&odoo, order).await;
        let invoice = odoo
            .read("account.move", first, &["name", "move_type", "invoice_origin", "invoice_line_ids", "invoice_date"])
            .await;
        let draft_name = if version == OdooVersion::V18 { json!("/") } else { json!(false) };
        assert_eq!(invoice["name"], draft_name, "{version:?}: a draft's name");
        assert_eq!(
            (invoice["move_type"].clone(), invoice["invoice_date"].clone()),
            (json!("out_invoice"), json!(false))
        );
        assert_eq!(invoice["invoice_line_ids"].as_array().map(Vec::len), Some(1), "{version:?}: product lines only");
        // 2 x 289.00 = 578.00; 15% of it 86.70.
        assert_eq!(amounts(&odoo, first).await, expected("draft", "not_paid", 578.0, 86.7, 664.7, 664.7));
        let order_read = odoo.read("sale.order", order, &["invoice_ids", "invoice_status"]).await;
        assert_eq!(order_read["invoice_ids"], json!([first]));
        assert_eq!(order_read["invoice_status"], "no", "{version:?}: the bins wait for delivery");
        post(&odoo, first).await;
        let posted =
            odoo.read("account.move", first, &["name", "invoice_date", "invoice_date_due", "payment_reference"]).await;
        let name = posted["name"].as_str().expect("a number").to_owned();
        assert!(name.starts_with("INV/") && name.len() == "INV/2026/00001".len(), "{version:?}: {name}");
        assert_eq!(posted["invoice_date"], posted["invoice_date_due"], "{version:?}: dated today, no payment term");
        assert_eq!(posted["payment_reference"], json!(name));

        // The bins are invoiced as delivered: 6 of 10.
        deliver(&odoo, order, 6.0).await;
        let second = regular_invoice(&odoo, order).await;
        let lines = product_lines(&odoo, second).await;
        assert_eq!(lines.len(), 1);
        assert_eq!((lines[0]["quantity"].clone(), lines[0]["price_subtotal"].clone()), (json!(6.0), json!(282.0)));
        // 6 x 47.00 = 282.00; 15% of it 42.30.
        assert_eq!(amounts(&odoo, second).await, expected("draft", "not_paid", 282.0, 42.3, 324.3, 324.3));
        let order_read = odoo.read("sale.order", order, &["invoice_ids", "invoice_status"]).await;
        assert_eq!(order_read["invoice_ids"].as_array().map(Vec::len), Some(2));
        assert_eq!(order_read["invoice_status"], "no", "{version:?}: recording 087, until the rest ships");

        // Nothing left: the wizard refuses, as recordings 088 and 52 show.
        let refused = invoice_order(&odoo, order, json!({"advance_payment_method": "delivered"})).await;
        let refused = refused.expect_err("nothing to invoice");
        assert_eq!(refused.name, "odoo.exceptions.UserError");
        assert!(refused.message.starts_with("Cannot create an invoice. No items are available to invoice."));
    }
}

#[tokio::test]
async fn a_down_payment_is_invoiced_alone_and_deducted_by_the_final_invoice() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        // 10 bins: 470.00 untaxed, 70.50 tax, 540.50.
        let (order, _) = sell(&odoo, GEMINI, &[(PEDAL_BIN, 10.0)]).await;
        let refused = invoice_order(&odoo, order, json!({"advance_payment_method": "percentage", "amount": 0})).await;
        assert_eq!(refused.expect_err("refused").message, "The value of the down payment amount must be positive.");
        let action = invoice_order(&odoo, order, json!({"advance_payment_method": "percentage", "amount": 10}))
            .await
            .expect("a down payment")
            .expect("an action");
        let down_payment = action["res_id"].as_i64().expect("the down payment invoice");
        // 10% of 470.00 is 47.00, taxed like the line: 7.05.
        assert_eq!(amounts(&odoo, down_payment).await, expected("draft", "not_paid", 47.0, 7.05, 54.05, 54.05));
        let lines = product_lines(&odoo, down_payment).await;
        assert_eq!((lines[0]["quantity"].clone(), lines[0]["price_unit"].clone()), (json!(1.0), json!(47.0)));
        let order_lines = odoo
            .search_read(
                "sale.order.line",
                json!([["order_id", "=", order], ["is_downpayment", "=", true]]),
                &["display_type", "name", "product_uom_qty", "price_unit", "qty_invoiced"],
            )
            .await;
        assert_eq!(order_lines.len(), 2, "{version:?}: a section and the down payment line");
        assert_eq!(order_lines[0]["display_type"], "line_section");
        assert_eq!(order_lines[0]["name"], "Down Payments");
        assert!(
            order_lines[1]["name"].as_str().is_some_and(|n| n.starts_with("Down Payment: ") && n.ends_with(" (Draft)"))
        );
        assert_eq!(
            (order_lines[1]["product_uom_qty"].clone(), order_lines[1]["qty_invoiced"].clone()),
            (json!(0.0), json!(1.0))
        );
        post(&odoo, down_payment).await;
        let number = odoo.read("account.move", down_payment, &["name"]).await["name"].clone();
        let down_payment_line = order_lines[1]["id"].as_i64().expect("the line");
        let name = odoo.read("sale.order.line", down_payment_line, &["name"]).await["name"].clone();
        assert!(
            name.as_str().is_some_and(
                |n| n.starts_with(&format!("Down Payment (ref: {} on ", number.as_str().unwrap_or_default()))
            ),
            "{version:?}: {name}"
        );
        assert_eq!(
            odoo.read("sale.order", order, &["invoice_status"]).await["invoice_status"],
            "no",
            "nothing shipped"
        );

        // All shipped: the final invoice bills the bins and takes the down payment back.
        deliver(&odoo, order, 10.0).await;
        let last = regular_invoice(&odoo, order).await;
        let lines = product_lines(&odoo, last).await;
        let quantities: Vec<(Value, Value)> =
            lines.iter().map(|l| (l["quantity"].clone(), l["price_unit"].clone())).collect();
        assert_eq!(quantities, [(json!(10.0), json!(47.0)), (json!(-1.0), json!(47.0))], "{version:?}");
        // 470.00 - 47.00 = 423.00; 70.50 - 7.05 = 63.45: 540.50 less the 54.05 paid in advance.
        assert_eq!(amounts(&odoo, last).await, expected("draft", "not_paid", 423.0, 63.45, 486.45, 486.45));
        post(&odoo, last).await;
        let order_read = odoo.read("sale.order", order, &["invoice_status", "amount_invoiced", "invoice_ids"]).await;
        assert_eq!(order_read["invoice_status"], "invoiced", "{version:?}");
        assert_eq!(order_read["amount_invoiced"], json!(540.5));
        assert_eq!(order_read["invoice_ids"].as_array().map(Vec::len), Some(2));

        // A fixed down payment is the taxed amount asked: 100 of 540.50 is 86.96 + 13.04.
        let (order, _) = sell(&odoo, GEMINI, &[(PEDAL_BIN, 10.0)]).await;
        let action = invoice_order(&odoo, order, json!({"advance_payment_method": "fixed", "fixed_amount": 100}))
            .await
            .expect("a down payment")
            .expect("an action");
        let fixed = action["res_id"].as_i64().expect("the invoice");
        assert_eq!(amounts(&odoo, fixed).await, expected("draft", "not_paid", 86.96, 13.04, 100.0, 100.0));
    }
}

#[tokio::test]
async fn a_partial_payment_leaves_the_rest_due_and_the_second_pays_it() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let (order, _) = sell(&odoo, GEMINI, &[(PEDAL_BIN, 10.0)]).await;
        deliver(&odoo, order, 10.0).await;
        let invoice = regular_invoice(&odoo, order).await;
        post(&odoo, invoice).await;
        assert_eq!(odoo.read("res.partner", GEMINI, &["credit"]).await["credit"], json!(540.5), "{version:?}");
        let overdue = json!([
            ["move_type", "=", "out_invoice"],
            ["state", "=", "posted"],
            ["invoice_date_due", "<", "2999-01-01"],
            ["payment_state", "in", ["not_paid", "partial"]]
        ]);
        assert_eq!(
            odoo.search_read("account.move", overdue.clone(), &["id"]).await.len(),
            1,
            "{version:?}: searchable"
        );

        // The wizard's defaults (recordings 090 and 27): the residual, the bank journal, today.
        let wizard = odoo.create("account.payment.register", json!({}), on_moves(&[invoice])).await;
        let defaults = odoo
            .read(
                "account.payment.register",
                wizard,
                &["amount", "journal_id", "payment_method_line_id", "payment_difference_handling", "communication"],
            )
            .await;
        assert_eq!(defaults["amount"], json!(540.5));
        assert_eq!(defaults["journal_id"], json!([6, "Bank"]));
        assert_eq!(defaults["payment_method_line_id"], json!([1, "Manual Payment (Bank)"]));
        assert_eq!(defaults["payment_difference_handling"], "open");
        let number = odoo.read("account.move", invoice, &["name"]).await["name"].clone();
        assert_eq!(defaults["communication"], number, "{version:?}: no customer reference, the number");

        pay(&odoo, &[invoice], json!({"amount": 200.0, "payment_difference_handling": "open"})).await;
        assert_eq!(amounts(&odoo, invoice).await, expected("posted", "partial", 470.0, 70.5, 540.5, 340.5));
        assert_eq!(odoo.read("res.partner", GEMINI, &["credit"]).await["credit"], json!(340.5));
        let payments =
            odoo.read("account.move", invoice, &["matched_payment_ids"]).await["matched_payment_ids"].clone();
        let first = payments[0].as_i64().expect("a payment");
        let payment = odoo
            .read(
                "account.payment",
                first,
                &["state", "amount", "name", "is_reconciled", "reconciled_invoice_ids", "memo"],
            )
            .await;
        assert_eq!(payment["state"], "in_process", "{version:?}: the invoice is not paid yet");
        assert_eq!(payment["amount"], json!(200.0));
        assert!(payment["name"].as_str().is_some_and(|n| n.starts_with("PBNK1/")), "{payment}");
        assert_eq!(
            (payment["is_reconciled"].clone(), payment["reconciled_invoice_ids"].clone()),
            (json!(true), json!([invoice]))
        );

        // The rest, by default: paid at once (no in_payment in Community, recordings 092 and 27).
        let wizard = odoo.create("account.payment.register", json!({}), on_moves(&[invoice])).await;
        assert_eq!(odoo.read("account.payment.register", wizard, &["amount"]).await["amount"], json!(340.5));
        let action = odoo
            .ok("account.payment.register", "action_create_payments", &[wizard], json!({}), on_moves(&[invoice]))
            .await;
        assert_eq!(
            (action["res_model"].clone(), action["view_mode"].clone()),
            (json!("account.payment"), json!("form"))
        );
        assert_eq!(amounts(&odoo, invoice).await, expected("posted", "paid", 470.0, 70.5, 540.5, 0.0));
        assert_eq!(
            odoo.read("account.payment", first, &["state"]).await["state"],
            "paid",
            "{version:?}: both are paid now"
        );
        assert_eq!(odoo.read("res.partner", GEMINI, &["credit"]).await["credit"], json!(0.0));
        assert_eq!(odoo.search_read("account.move", overdue, &["id"]).await.len(), 0);

        let refused = try_create(&odoo, "account.payment.register", json!({}), on_moves(&[invoice])).await;
        assert!(
            refused
                .expect_err("nothing left")
                .message
                .starts_with("You can't register a payment because there is nothing left to pay")
        );
    }
}

#[tokio::test]
async fn a_return_after_invoicing_makes_the_next_invoice_a_credit_note() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let (order, lines) = sell(&odoo, GEMINI, &[(PEDAL_BIN, 5.0)]).await;
        deliver(&odoo, order, 5.0).await;
        let invoice = regular_invoice(&odoo, order).await;
        post(&odoo, invoice).await;
        // Two bins come back (recordings 095-097): delivered 3, invoiced 5, -2 to invoice.
        let delivery = odoo.search_read("stock.picking", json!([["sale_id", "=", order]]), &["id"]).await[0]["id"]
            .as_i64()
            .unwrap_or_default();
        let context = json!({"active_model": "stock.picking", "active_id": delivery, "active_ids": [delivery]});
        let wizard = odoo.create("stock.return.picking", json!({}), context.clone()).await;
        let line = odoo.read("stock.return.picking", wizard, &["product_return_moves"]).await["product_return_moves"]
            [0]
        .as_i64()
        .unwrap_or_default();
        odoo.write("stock.return.picking.line", &[line], json!({"quantity": 2})).await;
        let action = odoo.ok("stock.return.picking", "action_create_returns", &[wizard], json!({}), context).await;
        let returned = action["res_id"].as_i64().expect("the return");
        odoo.ok("stock.picking", "button_validate", &[returned], json!({}), json!({"skip_sms": true})).await;
        let line = odoo.read("sale.order.line", lines[0], &["qty_delivered", "qty_invoiced", "qty_to_invoice"]).await;
        assert_eq!(
            (line["qty_delivered"].clone(), line["qty_invoiced"].clone(), line["qty_to_invoice"].clone()),
            (json!(3.0), json!(5.0), json!(-2.0))
        );
        assert_eq!(odoo.read("sale.order", order, &["invoice_status"]).await["invoice_status"], "to invoice");

        // Recording 098: the regular invoice is a credit note of the 2 bins, not linked to the invoice.
        let refund = regular_invoice(&odoo, order).await;
        let read = odoo.read("account.move", refund, &["move_type", "reversed_entry_id", "invoice_origin"]).await;
        assert_eq!((read["move_type"].clone(), read["reversed_entry_id"].clone()), (json!("out_refund"), json!(false)));
        let lines_read = product_lines(&odoo, refund).await;
        assert_eq!(lines_read[0]["quantity"], json!(2.0), "{version:?}: a positive quantity on a credit note");
        // 2 x 47.00 = 94.00; 14.10 of tax.
        assert_eq!(amounts(&odoo, refund).await, expected("draft", "not_paid", 94.0, 14.1, 108.1, 108.1));
        post(&odoo, refund).await;
        let name = odoo.read("account.move", refund, &["name"]).await["name"].as_str().unwrap_or_default().to_owned();
        assert!(name.starts_with("RINV/"), "{version:?}: {name}");
        assert_eq!(amounts(&odoo, refund).await, expected("posted", "not_paid", 94.0, 14.1, 108.1, 108.1));
        let line = odoo.read("sale.order.line", lines[0], &["qty_invoiced", "qty_to_invoice"]).await;
        assert_eq!((line["qty_invoiced"].clone(), line["qty_to_invoice"].clone()), (json!(3.0), json!(0.0)));
        // What the customer owes: 270.25 invoiced less 108.10 credited.
        assert_eq!(odoo.read("res.partner", GEMINI, &["credit"]).await["credit"], json!(162.15));
    }
}

#[tokio::test]
async fn the_reversal_wizard_credits_part_of_a_partly_paid_invoice() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let (order, lines) = sell(&odoo, GEMINI, &[(PEDAL_BIN, 10.0)]).await;
        deliver(&odoo, order, 10.0).await;
        let invoice = regular_invoice(&odoo, order).await;
        post(&odoo, invoice).await;
        pay(&odoo, &[invoice], json!({"amount": 100.0, "payment_difference_handling": "open"})).await;

        // The journal is required (recording 29): without it, the NOT NULL refusal.
        let refused = try_create(&odoo, "account.move.reversal", json!({"reason": "damaged"}), on_moves(&[invoice]))
            .await
            .expect_err("refused");
        assert_eq!(refused.name, "odoo.exceptions.ValidationError", "{version:?}");
        assert!(refused.message.contains("(journal_id)"), "{version:?}: {}", refused.message);
        let wizard = odoo
            .create("account.move.reversal", json!({"reason": "damaged", "journal_id": 1}), on_moves(&[invoice]))
            .await;
        let read = odoo.read("account.move.reversal", wizard, &["move_ids", "residual"]).await;
        assert_eq!((read["move_ids"].clone(), read["residual"].clone()), (json!([invoice]), json!(440.5)));
        let action = odoo.ok("account.move.reversal", "refund_moves", &[wizard], json!({}), on_moves(&[invoice])).await;
        assert_eq!(action["context"], json!({"default_move_type": "out_refund"}));
        let credit_note = action["res_id"].as_i64().expect("the credit note");
        let number =
            odoo.read("account.move", invoice, &["name"]).await["name"].as_str().unwrap_or_default().to_owned();
        let read = odoo.read("account.move", credit_note, &["state", "move_type", "ref", "reversed_entry_id"]).await;
        assert_eq!(read["ref"], json!(format!("Reversal of: {number}, damaged")));
        assert_eq!(read["reversed_entry_id"][0], json!(invoice));
        assert_eq!((read["state"].clone(), read["move_type"].clone()), (json!("draft"), json!("out_refund")));

        // Only 4 of the 10 bins are credited: the draft's line says so before posting.
        let line = product_lines(&odoo, credit_note).await[0]["id"].as_i64().expect("a line");
        odoo.write("account.move.line", &[line], json!({"quantity": 4})).await;
        // 4 x 47.00 = 188.00; 28.20 of tax.
        assert_eq!(amounts(&odoo, credit_note).await, expected("draft", "not_paid", 188.0, 28.2, 216.2, 216.2));
        post(&odoo, credit_note).await;
        // Posting reconciles it with the invoice (recording 100): 540.50 - 100 - 216.20 left due.
        assert_eq!(amounts(&odoo, credit_note).await, expected("posted", "paid", 188.0, 28.2, 216.2, 0.0));
        assert_eq!(amounts(&odoo, invoice).await, expected("posted", "partial", 470.0, 70.5, 540.5, 224.3));
        let read = odoo.read("account.move", invoice, &["reversal_move_ids"]).await;
        assert_eq!(read["reversal_move_ids"], json!([credit_note]));
        // The credit note counts against the order: 6 invoiced, 4 to invoice again.
        let line = odoo.read("sale.order.line", lines[0], &["qty_invoiced", "qty_to_invoice"]).await;
        assert_eq!((line["qty_invoiced"].clone(), line["qty_to_invoice"].clone()), (json!(6.0), json!(4.0)));
        let order_read = odoo.read("sale.order", order, &["invoice_ids", "invoice_status"]).await;
        assert_eq!(order_read["invoice_status"], "to invoice");
        assert_eq!(order_read["invoice_ids"], json!([credit_note, invoice]), "{version:?}: recording 30's order");

        // Crediting the rest settles the invoice: the payment and the credit notes paid it.
        let wizard = odoo.create("account.move.reversal", json!({"journal_id": 1}), on_moves(&[invoice])).await;
        let action = odoo.ok("account.move.reversal", "refund_moves", &[wizard], json!({}), on_moves(&[invoice])).await;
        let rest = action["res_id"].as_i64().expect("a credit note");
        let line = product_lines(&odoo, rest).await[0]["id"].as_i64().expect("a line");
        odoo.write("account.move.line", &[line], json!({"quantity": 6})).await;
        post(&odoo, rest).await;
        let rest_read = amounts(&odoo, rest).await;
        assert_eq!(
            rest_read,
            expected("posted", "partial", 282.0, 42.3, 324.3, 100.0),
            "{version:?}: what was paid comes back"
        );
        assert_eq!(amounts(&odoo, invoice).await["payment_state"], "paid");
    }
}

#[tokio::test]
async fn an_unpaid_invoice_credited_in_full_is_reversed() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let (order, _) = sell(&odoo, GEMINI, &[(OFFICE_CHAIR, 1.0)]).await;
        let invoice = regular_invoice(&odoo, order).await;
        post(&odoo, invoice).await;
        let wizard = odoo
            .create("account.move.reversal", json!({"reason": "cancelled", "journal_id": 1}), on_moves(&[invoice]))
            .await;
        let action = odoo.ok("account.move.reversal", "refund_moves", &[wizard], json!({}), on_moves(&[invoice])).await;
        let credit_note = action["res_id"].as_i64().expect("the credit note");
        post(&odoo, credit_note).await;
        assert_eq!(amounts(&odoo, invoice).await["payment_state"], "reversed", "{version:?}");
        assert_eq!(amounts(&odoo, credit_note).await["payment_state"], "paid");
        assert_eq!(odoo.read("res.partner", GEMINI, &["credit"]).await["credit"], json!(0.0));
    }
}

#[tokio::test]
async fn a_supplier_bill_follows_what_was_received_and_needs_its_date() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let unit = if version == OdooVersion::V18 { "product_uom" } else { "product_uom_id" };
        let line = json!({"product_id": PEDAL_BIN, "product_qty": 10, unit: 1, "date_planned": "2027-01-15 09:00:00"});
        let order =
            odoo.create("purchase.order", json!({"partner_id": VENDOR, "order_line": [[0, 0, line]]}), NONE).await;
        odoo.ok("purchase.order", "button_confirm", &[order], json!({}), NONE).await;
        let refused = odoo.call("purchase.order", "action_create_invoice", &[order], json!({}), NONE).await;
        let refused = refused.expect_err("nothing received yet");
        assert_eq!(refused.name, "odoo.exceptions.UserError");
        assert!(refused.message.starts_with("There is no invoiceable line."), "{version:?}");

        // 6 of the 10 arrive; the rest is not expected any more.
        let receipt = odoo.search_read("stock.picking", json!([["purchase_id", "=", order]]), &["move_ids"]).await;
        let (picking, mv) =
            (receipt[0]["id"].as_i64().unwrap_or_default(), receipt[0]["move_ids"][0].as_i64().unwrap_or_default());
        odoo.write("stock.move", &[mv], json!({"quantity": 6, "picked": true})).await;
        let context = json!({"skip_backorder": true, "picking_ids_not_to_backorder": [picking]});
        odoo.ok("stock.picking", "button_validate", &[picking], json!({}), context).await;
        assert_eq!(odoo.read("purchase.order", order, &["invoice_status"]).await["invoice_status"], "to invoice");

        let action = odoo.ok("purchase.order", "action_create_invoice", &[order], json!({}), NONE).await;
        let bill = action["res_id"].as_i64().expect("one bill");
        let read = odoo.read("account.move", bill, &["move_type", "invoice_origin", "journal_id", "partner_id"]).await;
        assert_eq!((read["move_type"].clone(), read["partner_id"][0].clone()), (json!("in_invoice"), json!(VENDOR)));
        assert_eq!(read["journal_id"][0], json!(2), "{version:?}: the purchase journal");
        let lines = product_lines(&odoo, bill).await;
        assert_eq!((lines[0]["quantity"].clone(), lines[0]["price_unit"].clone()), (json!(6.0), json!(29.14)));
        // 6 x 29.14 = 174.84; 15% is 26.226, so 26.23.
        assert_eq!(amounts(&odoo, bill).await, expected("draft", "not_paid", 174.84, 26.23, 201.07, 201.07));
        let purchase_line = odoo
            .search_read(
                "purchase.order.line",
                json!([["order_id", "=", order]]),
                &["qty_invoiced", "qty_to_invoice", "invoice_lines"],
            )
            .await;
        assert_eq!(
            (purchase_line[0]["qty_invoiced"].clone(), purchase_line[0]["qty_to_invoice"].clone()),
            (json!(6.0), json!(0.0))
        );
        let order_read = odoo.read("purchase.order", order, &["invoice_status", "invoice_ids", "invoice_count"]).await;
        assert_eq!(
            (order_read["invoice_status"].clone(), order_read["invoice_ids"].clone()),
            (json!("invoiced"), json!([bill]))
        );

        // A bill is posted only with its date (Odoo's `_post`).
        let refused = odoo.call("account.move", "action_post", &[bill], json!({}), NONE).await.expect_err("no date");
        assert_eq!(refused.message, "The Bill/Refund date is required to validate this document.");
        odoo.write("account.move", &[bill], json!({"invoice_date": "2026-11-20", "ref": "BNW-7731"})).await;
        post(&odoo, bill).await;
        let name = odoo.read("account.move", bill, &["name"]).await["name"].as_str().unwrap_or_default().to_owned();
        assert_eq!(name, "BILL/2026/11/0001", "{version:?}: purchase journals number by month");
        let refused =
            odoo.call("account.move", "write", &[bill], json!({"vals": {"invoice_date": "2026-11-21"}}), NONE).await;
        assert!(
            refused
                .expect_err("posted")
                .message
                .starts_with("You cannot modify the following readonly fields on a posted move")
        );

        pay(&odoo, &[bill], json!({})).await;
        assert_eq!(amounts(&odoo, bill).await, expected("posted", "paid", 174.84, 26.23, 201.07, 0.0));
        let payment = odoo.read("account.move", bill, &["matched_payment_ids"]).await["matched_payment_ids"][0]
            .as_i64()
            .unwrap_or_default();
        let payment = odoo
            .read("account.payment", payment, &["payment_type", "partner_type", "memo", "reconciled_bill_ids"])
            .await;
        assert_eq!(
            (payment["payment_type"].clone(), payment["partner_type"].clone()),
            (json!("outbound"), json!("supplier"))
        );
        assert_eq!(payment["memo"], "BNW-7731", "{version:?}: a bill's reference");
        assert_eq!(payment["reconciled_bill_ids"], json!([bill]));
        assert_eq!(odoo.read("res.partner", VENDOR, &["debit"]).await["debit"], json!(0.0));
        let again = odoo.call("purchase.order", "action_create_invoice", &[order], json!({}), NONE).await;
        assert!(again.is_err(), "{version:?}: nothing more to bill");
    }
}

#[tokio::test]
async fn three_lines_at_a_third_round_each_line_as_odoo_does() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        // A 10% tax shows round_per_line: each line's 0.033 is 0.03, 0.09 in all (not 0.10).
        let tax = odoo
            .create(
                "account.tax",
                json!({"name": "10%", "amount": 10, "amount_type": "percent", "type_tax_use": "sale"}),
                NONE,
            )
            .await;
        let taxes = if version == OdooVersion::V18 { "tax_id" } else { "tax_ids" };
        let line =
            json!({"product_id": OFFICE_CHAIR, "product_uom_qty": 1, "price_unit": 0.333, taxes: [[6, 0, [tax]]]});
        let (order, lines) =
            sell_lines(&odoo, json!({"partner_id": GEMINI}), &[line.clone(), line.clone(), line]).await;
        let price = odoo.read("sale.order.line", lines[0], &["price_unit", "price_subtotal", "price_tax"]).await;
        assert_eq!(price["price_unit"], json!(0.33), "{version:?}: Product Price has 2 digits");
        // `price_tax` is a plain float, the rounded total less the rounded subtotal, as in Odoo.
        assert_eq!((price["price_subtotal"].clone(), price["price_tax"].clone()), (json!(0.33), json!(0.36 - 0.33)));
        let order_amounts = odoo.read("sale.order", order, &["amount_untaxed", "amount_tax", "amount_total"]).await;
        assert_eq!(order_amounts["amount_tax"], json!(0.09));
        let invoice = regular_invoice(&odoo, order).await;
        assert_eq!(amounts(&odoo, invoice).await, expected("draft", "not_paid", 0.99, 0.09, 1.08, 1.08));
        let tax_lines = odoo
            .search_read(
                "account.move.line",
                json!([["move_id", "=", invoice], ["display_type", "=", "tax"]]),
                &["tax_line_id", "balance", "tax_base_amount"],
            )
            .await;
        assert_eq!(tax_lines.len(), 1, "{version:?}: one tax line per tax");
        assert_eq!(
            (tax_lines[0]["balance"].clone(), tax_lines[0]["tax_base_amount"].clone()),
            (json!(-0.09), json!(0.99))
        );
    }
}

#[tokio::test]
async fn a_price_including_its_tax_is_split_as_odoo_splits_it() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let taxes = if version == OdooVersion::V18 { "tax_id" } else { "tax_ids" };
        let included = odoo.read("account.tax", INCLUDED_TAX, &["price_include", "price_include_override"]).await;
        assert_eq!(
            (included["price_include"].clone(), included["price_include_override"].clone()),
            (json!(true), json!("tax_included"))
        );
        // 21.53 with 15% included: 21.53 / 1.15 x 0.15 = 2.808..., so 2.81 and 18.72, per line.
        let line = json!({"product_id": OFFICE_CHAIR, "product_uom_qty": 1, "price_unit": 21.53, taxes: [[6, 0, [INCLUDED_TAX]]]});
        let (order, _) = sell_lines(&odoo, json!({"partner_id": GEMINI}), &[line.clone(), line]).await;
        let order_amounts = odoo.read("sale.order", order, &["amount_untaxed", "amount_tax", "amount_total"]).await;
        assert_eq!(
            order_amounts,
            json!({"id": order, "amount_untaxed": 37.44, "amount_tax": 5.62, "amount_total": 43.06})
        );
        let invoice = regular_invoice(&odoo, order).await;
        let lines = product_lines(&odoo, invoice).await;
        assert_eq!((lines[0]["price_subtotal"].clone(), lines[0]["price_total"].clone()), (json!(18.72), json!(21.53)));
        assert_eq!(
            amounts(&odoo, invoice).await,
            expected("draft", "not_paid", 37.44, 5.62, 43.06, 43.06),
            "{version:?}"
        );
        // Mixed with the excluded tax on another line, each keeps its own way.
        let excluded =
            json!({"product_id": OFFICE_CHAIR, "product_uom_qty": 1, "price_unit": 100, taxes: [[6, 0, [SALES_TAX]]]});
        let included = json!({"product_id": OFFICE_CHAIR, "product_uom_qty": 1, "price_unit": 115, taxes: [[6, 0, [INCLUDED_TAX]]]});
        let (order, _) = sell_lines(&odoo, json!({"partner_id": GEMINI}), &[excluded, included]).await;
        let order_amounts = odoo.read("sale.order", order, &["amount_untaxed", "amount_tax", "amount_total"]).await;
        assert_eq!(
            order_amounts,
            json!({"id": order, "amount_untaxed": 200.0, "amount_tax": 30.0, "amount_total": 230.0})
        );
    }
}

#[tokio::test]
async fn an_invoice_in_yen_has_no_decimals_and_books_dollars_at_the_rate() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let pricelist = odoo.create("product.pricelist", json!({"name": "Japan", "currency_id": JPY}), NONE).await;
        // 3 x 1234.50 is 3703.50, which the yen rounds to 3704; 15% of it 555.6, so 556.
        let line = json!({"product_id": OFFICE_CHAIR, "product_uom_qty": 3, "price_unit": 1234.5});
        let header = json!({"partner_id": GEMINI, "pricelist_id": pricelist});
        let (order, _) = sell_lines(&odoo, header, &[line]).await;
        let order_read =
            odoo.read("sale.order", order, &["currency_id", "amount_untaxed", "amount_tax", "amount_total"]).await;
        assert_eq!(order_read["currency_id"], json!([JPY, "JPY"]));
        assert_eq!(
            (order_read["amount_untaxed"].clone(), order_read["amount_tax"].clone()),
            (json!(3704.0), json!(556.0))
        );
        let invoice = regular_invoice(&odoo, order).await;
        assert_eq!(amounts(&odoo, invoice).await, expected("draft", "not_paid", 3704.0, 556.0, 4260.0, 4260.0));
        // Journal items keep dollars, each converted and rounded: 24.69 + 3.71.
        let signed =
            odoo.read("account.move", invoice, &["amount_total_signed", "amount_untaxed_signed", "currency_id"]).await;
        assert_eq!(
            (signed["amount_untaxed_signed"].clone(), signed["amount_total_signed"].clone()),
            (json!(24.69), json!(28.4))
        );
        // An inactive currency cannot be posted; active, it can.
        let refused =
            odoo.call("account.move", "action_post", &[invoice], json!({}), NONE).await.expect_err("inactive");
        assert_eq!(refused.message, "You cannot validate a document with an inactive currency: JPY", "{version:?}");
        odoo.write("res.currency", &[JPY], json!({"active": true})).await;
        post(&odoo, invoice).await;
        assert_eq!(
            odoo.read("res.partner", GEMINI, &["credit"]).await["credit"],
            json!(28.4),
            "{version:?}: in dollars"
        );
        let wizard = odoo.create("account.payment.register", json!({}), on_moves(&[invoice])).await;
        let read = odoo.read("account.payment.register", wizard, &["amount", "currency_id"]).await;
        assert_eq!((read["amount"].clone(), read["currency_id"].clone()), (json!(4260.0), json!([JPY, "JPY"])));
        odoo.ok("account.payment.register", "action_create_payments", &[wizard], json!({}), on_moves(&[invoice])).await;
        assert_eq!(amounts(&odoo, invoice).await["payment_state"], "paid");
        assert_eq!(odoo.read("res.partner", GEMINI, &["credit"]).await["credit"], json!(0.0));
    }
}

#[tokio::test]
async fn payment_terms_date_what_is_due_and_the_customer_balance_follows_the_credit_limit() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let (order, _) = sell(&odoo, AZURE_INTERIOR, &[(OFFICE_CHAIR, 1.0)]).await;
        let action = invoice_order(&odoo, order, json!({"advance_payment_method": "delivered"}))
            .await
            .expect("ok")
            .expect("action");
        assert_eq!(action["context"]["default_invoice_payment_term_id"], json!(6), "{version:?}: recording 24");
        let invoice = action["res_id"].as_i64().expect("the invoice");
        odoo.write("account.move", &[invoice], json!({"invoice_date": "2026-11-23"})).await;
        let read = odoo.read("account.move", invoice, &["invoice_payment_term_id", "invoice_date_due"]).await;
        assert_eq!(read["invoice_date_due"], "2026-12-31", "{version:?}: end of the following month, recording 25");
        // A limit of the partner's own is one different from the company's default (none).
        let partner = odoo.read("res.partner", GEMINI, &["credit_limit", "use_partner_credit_limit"]).await;
        assert_eq!(
            (partner["credit_limit"].clone(), partner["use_partner_credit_limit"].clone()),
            (json!(0.0), json!(false))
        );
        odoo.write("res.partner", &[GEMINI], json!({"credit_limit": 1000})).await;
        assert_eq!(
            odoo.read("res.partner", GEMINI, &["use_partner_credit_limit"]).await["use_partner_credit_limit"],
            json!(true)
        );
        odoo.write("res.partner", &[GEMINI], json!({"use_partner_credit_limit": false})).await;
        assert_eq!(odoo.read("res.partner", GEMINI, &["credit_limit"]).await["credit_limit"], json!(0.0));
        odoo.write("res.company", &[1], json!({"account_use_credit_limit": true})).await;
        assert_eq!(
            odoo.read("res.company", 1, &["account_use_credit_limit"]).await["account_use_credit_limit"],
            json!(true)
        );
        // Overdue, as the adapter asks: posted, due before today, not (fully) paid.
        post(&odoo, invoice).await;
        let overdue = json!([
            ["move_type", "=", "out_invoice"],
            ["state", "=", "posted"],
            ["invoice_date_due", "<", "2027-01-01"],
            ["payment_state", "in", ["not_paid", "partial"]]
        ]);
        let found = odoo.search_read("account.move", overdue, &["invoice_date_due"]).await;
        assert_eq!(found.iter().filter_map(|m| m["id"].as_i64()).collect::<Vec<_>>(), [invoice], "{version:?}");
    }
}

async fn write_date(odoo: &Odoo, mv: i64) -> Value {
    odoo.read("account.move", mv, &["write_date"]).await["write_date"].clone()
}

#[tokio::test]
async fn every_change_of_an_invoice_moves_its_write_date() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let (order, _) = sell(&odoo, GEMINI, &[(OFFICE_CHAIR, 1.0)]).await;
        let invoice = regular_invoice(&odoo, order).await;
        let mut last = write_date(&odoo, invoice).await;
        for step in ["post", "pay"] {
            tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
            match step {
                "post" => post(&odoo, invoice).await,
                _ => {
                    pay(&odoo, &[invoice], json!({"amount": 10.0})).await;
                }
            }
            let now = write_date(&odoo, invoice).await;
            assert!(now.as_str() > last.as_str(), "{version:?}: {step} moved write_date from {last} to {now}");
            last = now;
        }
    }
}

/// A call sent as odoo-mesh sends it, which may get no answer at all (`Err`) when the connection
/// drops before or after Odoo ran it.
async fn raw_call(
    odoo: &Odoo,
    model: &str,
    method: &str,
    ids: &[i64],
    context: Value,
) -> Result<Value, reqwest::Error> {
    let client = reqwest::Client::new();
    let request = match odoo.version {
        OdooVersion::V18 => client.post(format!("{}/jsonrpc", odoo.sim.url())).json(&json!({
            "jsonrpc": "2.0", "method": "call", "id": 1, "params": {"service": "object", "method": "execute_kw",
            "args": ["odoo", 2, "admin", model, method, [ids], {"context": context}]},
        })),
        OdooVersion::V19 => client
            .post(format!("{}/json/2/{model}/{method}", odoo.sim.url()))
            .bearer_auth(client::KEY)
            .json(&json!({"ids": ids, "context": context})),
    };
    request.send().await?.json().await
}

#[tokio::test]
async fn the_wizards_run_through_fault_injection_like_every_call() {
    for version in VERSIONS {
        let odoo = Odoo::start(version).await;
        let (order, _) = sell(&odoo, GEMINI, &[(OFFICE_CHAIR, 1.0)]).await;
        // The connection drops before Odoo reads `create_invoices`: nothing is invoiced.
        let wizard = odoo.create("sale.advance.payment.inv", json!({}), on_order(order)).await;
        let faults = odoo.simulator().faults();
        faults.inject(FaultRule::times(Fault::DropConnection, 1).on("sale.advance.payment.inv", "create_invoices"));
        assert!(
            raw_call(&odoo, "sale.advance.payment.inv", "create_invoices", &[wizard], on_order(order)).await.is_err()
        );
        assert_eq!(odoo.read("sale.order", order, &["invoice_ids"]).await["invoice_ids"], json!([]), "{version:?}");
        let invoice = regular_invoice(&odoo, order).await;
        post(&odoo, invoice).await;

        // The payment commits, then its answer is lost: the invoice is paid all the same.
        let wizard = odoo.create("account.payment.register", json!({}), on_moves(&[invoice])).await;
        faults
            .inject(FaultRule::times(Fault::LoseResponse, 1).on("account.payment.register", "action_create_payments"));
        let lost =
            raw_call(&odoo, "account.payment.register", "action_create_payments", &[wizard], on_moves(&[invoice]))
                .await;
        assert!(lost.is_err(), "{version:?}: no answer");
        assert_eq!(amounts(&odoo, invoice).await["payment_state"], "paid", "{version:?}: committed");

        // A credit note's refusal by Odoo rolls the call back.
        let wizard = odoo.create("account.move.reversal", json!({"journal_id": 1}), on_moves(&[invoice])).await;
        let fault = Fault::OdooError { name: "odoo.exceptions.UserError".into(), message: "busy".into() };
        faults.inject(FaultRule::times(fault, 1).on("account.move.reversal", "refund_moves"));
        let refused =
            odoo.call("account.move.reversal", "refund_moves", &[wizard], json!({}), on_moves(&[invoice])).await;
        assert_eq!(refused.expect_err("refused").message, "busy");
        assert_eq!(odoo.read("account.move", invoice, &["reversal_move_ids"]).await["reversal_move_ids"], json!([]));
        assert_eq!(odoo.simulator().call_count("account.move.reversal", "refund_moves"), 1);
    }
}
