//! An id PostgreSQL's `integer` cannot hold, reaching the simulator as it would reach Odoo: what
//! a real Odoo 18 answers (recorded by hand against Odoo 18.0 community): a comparison on `id`
//! fails with `psycopg2.errors.NumericValueOutOfRange`, while `read`, `in` lists and many2one
//! values simply find nothing and a method on such a record finds it missing.

mod client;

use client::{json2, jsonrpc, rpc_error, start};
use odoo_simulator::OdooVersion;
use serde_json::json;

const BEYOND: i64 = 9_999_999_999;
const OUT_OF_RANGE: &str = "psycopg2.errors.NumericValueOutOfRange";

#[tokio::test]
async fn odoo_18_fails_a_comparison_with_an_id_beyond_integer_in_its_envelope() {
    let sim = start(OdooVersion::V18, &[]).await;
    let message = format!("value \"{BEYOND}\" is out of range for type integer\n");
    for domain in [
        json!([["id", "=", BEYOND]]),
        json!([["id", ">", BEYOND]]),
        json!([["id", "!=", -BEYOND]]),
        json!([["order_line.id", "=", BEYOND]]),
        json!([["id", "=", BEYOND.to_string()]]),
    ] {
        let answer = jsonrpc(&sim, "sale.order", "search_read", json!([domain]), json!({"fields": ["name"]})).await;
        let (code, name, said) = rpc_error(&answer);
        assert_eq!((code, name), (200, OUT_OF_RANGE), "{domain}");
        assert_eq!(said, message.replace(&BEYOND.to_string(), domain[0][2].to_string().trim_matches('"')));
    }
    let count = jsonrpc(&sim, "sale.order", "search_count", json!([[["id", "=", 2_147_483_648_i64]]]), json!({})).await;
    assert_eq!(rpc_error(&count).1, OUT_OF_RANGE, "one past the largest integer");

    for (method, args, kwargs) in [
        ("read", json!([[BEYOND]]), json!({"fields": ["name"]})),
        ("search", json!([[["id", "in", [BEYOND]]]]), json!({})),
        ("search", json!([[["partner_id", "=", BEYOND]]]), json!({})),
        ("search", json!([[["id", "=", 2_147_483_647]]]), json!({})),
    ] {
        let answer = jsonrpc(&sim, "sale.order", method, args.clone(), kwargs).await;
        assert_eq!(answer["result"], json!([]), "{method} {args}: {answer}");
    }
    let confirm = jsonrpc(&sim, "sale.order", "action_confirm", json!([[BEYOND]]), json!({})).await;
    assert_eq!(rpc_error(&confirm).1, "odoo.exceptions.MissingError");
}

#[tokio::test]
async fn odoo_19_fails_it_over_json2_with_a_server_error() {
    let sim = start(OdooVersion::V19, &[]).await;
    let (status, body) =
        json2(&sim, "sale.order", "search_read", json!({"domain": [["id", "=", BEYOND]], "fields": ["name"]})).await;
    assert_eq!(status, 500);
    assert_eq!(body["name"], OUT_OF_RANGE);
    assert_eq!(body["message"], format!("value \"{BEYOND}\" is out of range for type integer\n"));
    let (status, body) = json2(&sim, "sale.order", "read", json!({"ids": [BEYOND], "fields": ["name"]})).await;
    assert_eq!((status, body), (200, json!([])));
}
