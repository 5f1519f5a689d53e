//! What differs between the simulated Odoo 18 and 19 as a client sees it: a field one version lacks
//! fails the way that Odoo fails, wherever it is named (read fields, domains, values, import
//! columns, orders), in each wire format's envelope; and modules left uninstalled take their models
//! and fields with them.

mod client;

use client::{json2, jsonrpc, rpc_error, start};
use odoo_simulator::OdooVersion;
use serde_json::{Value, json};

#[tokio::test]
async fn odoo_19_refuses_18s_line_fields_as_it_does_over_json2() {
    let sim = start(OdooVersion::V19, &[]).await;
    let value_error = |message: String| (500, json!("builtins.ValueError"), json!(message));
    let answer = |(status, body): (u16, Value)| (status, body["name"].clone(), body["message"].clone());

    let read = json2(&sim, "sale.order.line", "search_read", json!({"domain": [], "fields": ["product_uom"]})).await;
    assert_eq!(answer(read), value_error("Invalid field 'product_uom' on 'sale.order.line'".into()));

    let domain =
        json2(&sim, "sale.order.line", "search_read", json!({"domain": [["tax_id", "=", 1]], "fields": ["name"]}))
            .await;
    assert_eq!(
        answer(domain),
        value_error("Invalid field sale.order.line.tax_id in condition ('tax_id', '=', 1)".into())
    );

    let order = json2(&sim, "purchase.order.line", "search_read", json!({"domain": [], "order": "product_uom"})).await;
    assert_eq!(answer(order), value_error("Invalid field 'product_uom' on model 'purchase.order.line'".into()));

    let lines =
        json!([[0, 0, {"product_id": 20, "product_qty": 1, "product_uom": 1, "date_planned": "2027-01-15 09:00:00"}]]);
    let create =
        json2(&sim, "purchase.order", "create", json!({"vals_list": [{"partner_id": 40, "order_line": lines}]})).await;
    assert_eq!(answer(create), value_error("Invalid field 'product_uom' on model 'purchase.order.line'".into()));

    let write = json2(&sim, "purchase.order", "write", json!({"ids": [1], "vals": {"notes": "x"}})).await;
    assert_eq!(write.0, 404, "no purchase order 1 yet: {write:?}");
    let (status, created) = json2(&sim, "purchase.order", "create", json!({"vals_list": [{"partner_id": 40}]})).await;
    assert_eq!(status, 200, "{created}");
    let write = json2(&sim, "purchase.order", "write", json!({"ids": created, "vals": {"notes": "x"}})).await;
    assert_eq!(answer(write), value_error("Invalid field 'notes' on model 'purchase.order'".into()));

    let load = json2(
        &sim,
        "sale.order",
        "load",
        json!({"fields": ["partner_id/.id", "order_line/product_uom/.id"], "data": [["9", "1"]]}),
    )
    .await;
    assert_eq!(answer(load), value_error("Invalid field name 'product_uom'".into()));

    let moves = json2(&sim, "stock.move", "search_read", json!({"domain": [], "fields": ["name"], "limit": 1})).await;
    assert_eq!(answer(moves), value_error("Invalid field 'name' on 'stock.move'".into()));
}

#[tokio::test]
async fn legacy_jsonrpc_on_19_refuses_them_with_error_code_0() {
    let sim = start(OdooVersion::V19, &[]).await;
    let envelope =
        jsonrpc(&sim, "res.partner", "search_read", json!([[]]), json!({"fields": ["mobile"], "limit": 1})).await;
    assert_eq!(rpc_error(&envelope), (0, "builtins.ValueError", "Invalid field 'mobile' on 'res.partner'"));
}

#[tokio::test]
async fn odoo_18_refuses_19s_names_in_its_own_words() {
    let sim = start(OdooVersion::V18, &[]).await;
    let read = jsonrpc(&sim, "product.product", "search_read", json!([[]]), json!({"fields": ["uom_ids"]})).await;
    assert_eq!(rpc_error(&read), (200, "builtins.ValueError", "Invalid field 'uom_ids' on model 'product.product'"));
    let no_line =
        jsonrpc(&sim, "sale.order.line", "search_read", json!([[]]), json!({"fields": ["product_uom_id"]})).await;
    assert_eq!(
        rpc_error(&no_line),
        (200, "builtins.ValueError", "Invalid field 'product_uom_id' on model 'sale.order.line'"),
        "refused even when nothing matches"
    );
    let domain = jsonrpc(&sim, "res.users", "search", json!([[["group_ids", "in", [1]]]]), json!({})).await;
    assert_eq!(
        rpc_error(&domain),
        (200, "builtins.ValueError", "Invalid field res.users.group_ids in leaf ('group_ids', 'in', [1])")
    );
    let create =
        jsonrpc(&sim, "purchase.order", "create", json!([{"partner_id": 40, "acknowledged": true}]), json!({})).await;
    assert_eq!(
        rpc_error(&create),
        (200, "builtins.ValueError", "Invalid field 'acknowledged' on model 'purchase.order'")
    );
    let load =
        jsonrpc(&sim, "uom.uom", "load", json!([["name", "relative_factor"], [["Crate", "6"]]]), json!({})).await;
    assert_eq!(rpc_error(&load), (200, "builtins.ValueError", "Invalid field name 'relative_factor'"));
}

#[tokio::test]
async fn an_uninstalled_module_takes_its_models_and_the_fields_it_adds() {
    let sim = start(OdooVersion::V18, &["purchase"]).await;
    let search = jsonrpc(&sim, "purchase.order", "search_read", json!([[]]), json!({"limit": 1})).await;
    assert_eq!(rpc_error(&search), (200, "odoo.exceptions.UserError", "Object purchase.order doesn't exist"));
    let fields = |envelope: Value| -> Vec<String> {
        envelope["result"].as_object().map(|f| f.keys().cloned().collect()).unwrap_or_default()
    };
    // `purchase_stock` depends on `purchase`: its fields go too.
    let picking = fields(jsonrpc(&sim, "stock.picking", "fields_get", json!([]), json!({})).await);
    assert!(picking.contains(&"sale_id".to_owned()) && !picking.contains(&"purchase_id".to_owned()), "{picking:?}");
    let moves = fields(jsonrpc(&sim, "stock.move", "fields_get", json!([]), json!({})).await);
    assert!(moves.contains(&"sale_line_id".to_owned()) && !moves.contains(&"purchase_line_id".to_owned()));
    // Sales still deliver.
    let order = json!([{"partner_id": 9, "order_line": [[0, 0, {"product_id": 20, "product_uom_qty": 2}]]}]);
    let created = jsonrpc(&sim, "sale.order", "create", order, json!({})).await;
    let id = created["result"].as_i64().expect("a sale order");
    let confirmed = jsonrpc(&sim, "sale.order", "action_confirm", json!([[id]]), json!({})).await;
    assert_eq!(confirmed["result"], json!(true), "{confirmed}");

    let sim = start(OdooVersion::V19, &["purchase"]).await;
    let (status, body) = json2(&sim, "purchase.order", "search_read", json!({"domain": [], "limit": 1})).await;
    assert_eq!((status, body["message"].as_str()), (404, Some("the model 'purchase.order' does not exist")));
}

#[tokio::test]
async fn without_sale_stock_orders_make_no_deliveries() {
    let sim = start(OdooVersion::V19, &["sale_stock"]).await;
    let lines = json!([[0, 0, {"product_id": 20, "product_uom_qty": 2}]]);
    let (_, created) =
        json2(&sim, "sale.order", "create", json!({"vals_list": [{"partner_id": 9, "order_line": lines}]})).await;
    let (status, _) = json2(&sim, "sale.order", "action_confirm", json!({"ids": created})).await;
    assert_eq!(status, 200);
    let (_, orders) = json2(&sim, "sale.order", "read", json!({"ids": created, "fields": ["state"]})).await;
    assert_eq!(orders[0]["state"], "sale");
    let (status, body) = json2(&sim, "sale.order", "read", json!({"ids": created, "fields": ["picking_ids"]})).await;
    assert_eq!((status, body["message"].as_str()), (500, Some("Invalid field 'picking_ids' on 'sale.order'")));
    let (_, moves) = json2(&sim, "stock.move", "search_count", json!({"domain": [["product_id", "=", 20], ["state", "=", "assigned"], ["location_dest_id.usage", "=", "customer"]]})).await;
    assert_eq!(moves, json!(1), "only the seeded delivery of E-COM10 from EAST");
}

#[tokio::test]
async fn odoo_19_purchase_orders_are_acknowledged_and_never_done() {
    let sim = start(OdooVersion::V19, &[]).await;
    let (_, fields) =
        json2(&sim, "purchase.order", "fields_get", json!({"allfields": ["state"], "attributes": ["selection"]})).await;
    let states: Vec<&str> =
        fields["state"]["selection"].as_array().into_iter().flatten().filter_map(|s| s[0].as_str()).collect();
    assert_eq!(states, ["draft", "sent", "to approve", "purchase", "cancel"]);
    let line = json!({"product_id": 20, "product_qty": 5, "product_uom_id": 1, "tax_ids": [[6, 0, [2]]], "date_planned": "2027-01-15 09:00:00"});
    let (_, order) = json2(
        &sim,
        "purchase.order",
        "create",
        json!({"vals_list": [{"partner_id": 40, "order_line": [[0, 0, line]]}]}),
    )
    .await;
    assert_eq!(json2(&sim, "purchase.order", "button_confirm", json!({"ids": order})).await, (200, json!(true)));
    assert_eq!(json2(&sim, "purchase.order", "action_acknowledge", json!({"ids": order})).await, (200, json!(true)));
    let (_, read) = json2(
        &sim,
        "purchase.order",
        "read",
        json!({"ids": order, "fields": ["state", "locked", "acknowledged", "amount_tax"]}),
    )
    .await;
    assert_eq!(
        read[0],
        json!({"id": order[0], "state": "purchase", "locked": false, "acknowledged": true, "amount_tax": 21.86}),
        "15% of 5 × 29.14 is 21.855, which Odoo's float_round takes half up"
    );

    let sim = start(OdooVersion::V18, &[]).await;
    let refused = jsonrpc(&sim, "purchase.order", "action_acknowledge", json!([[1]]), json!({})).await;
    assert_eq!(rpc_error(&refused).1, "builtins.AttributeError", "18 has no acknowledgement");
}
