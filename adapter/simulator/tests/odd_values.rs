//! Values Odoo accepts but odoo-mesh cannot decode are held and answered as Odoo answers them: a
//! float field takes 1e30 through `write` (a real Odoo 18 does, and answers it as
//! `1.0000000000000027e+30` once rounded to the unit), it comes back as a JSON number in
//! exponent notation, and what is computed from it (the order's amounts) grows with it. This is
//! what the scenario tests of odoo-mesh's tolerance of odd records rely on.

use odoo_simulator::{OdooVersion, RunningSimulator, SimConfig, Simulator};
use serde_json::{Value, json};

async fn start(version: OdooVersion) -> RunningSimulator {
    let config = SimConfig { version, ..SimConfig::default() };
    Simulator::new(config).start("127.0.0.1:0".parse().expect("address")).await.expect("simulator starts")
}

/// A JSON-RPC `execute_kw` call's result, with the answer's text.
async fn call(sim: &RunningSimulator, model: &str, method: &str, args: Value, kwargs: Value) -> (Value, String) {
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw", "args": ["odoo", 2, "admin", model, method, args, kwargs],
    }});
    let response =
        reqwest::Client::new().post(format!("{}/jsonrpc", sim.url())).json(&body).send().await.expect("answer");
    let text = response.text().await.expect("a body");
    let envelope: Value = serde_json::from_str(&text).expect("JSON");
    assert!(envelope.get("error").is_none(), "{envelope}");
    (envelope["result"].clone(), text)
}

#[tokio::test]
async fn a_quantity_beyond_a_decimals_range_is_held_and_answered_as_odoo_does() {
    for version in [OdooVersion::V18, OdooVersion::V19] {
        let sim = start(version).await;
        let line = json!([0, 0, {"product_id": 20, "product_uom_qty": 1}]);
        let (order, _) =
            call(&sim, "sale.order", "create", json!([{"partner_id": 40, "order_line": [line]}]), json!({})).await;
        let (read, _) = call(&sim, "sale.order", "read", json!([[order]]), json!({"fields": ["order_line"]})).await;
        let lines = read[0]["order_line"].clone();
        let (written, _) =
            call(&sim, "sale.order.line", "write", json!([lines, {"product_uom_qty": 1e30}]), json!({})).await;
        assert_eq!(written, json!(true), "{version:?}: odoo takes it");

        let (read, text) =
            call(&sim, "sale.order.line", "read", json!([lines]), json!({"fields": ["product_uom_qty"]})).await;
        let held = read[0]["product_uom_qty"].as_f64().expect("a number");
        assert!(
            (held / 1e30 - 1.0).abs() < 1e-12,
            "{version:?}: 1e30, give or take its rounding to 2 places: {held:e}"
        );
        assert!(text.contains("e+30"), "{version:?}: a JSON number in exponent notation, as Python writes it: {text}");
        let (read, _) = call(&sim, "sale.order", "read", json!([[order]]), json!({"fields": ["amount_untaxed"]})).await;
        let untaxed = read[0]["amount_untaxed"].as_f64().expect("a number");
        assert!(untaxed >= 1e30, "{version:?}: the amounts follow, {untaxed:e}");
    }
}
