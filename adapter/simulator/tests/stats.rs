//! The simulator's own statistics, read over HTTP by benchmarks that run it as a process: how many
//! calls Odoo would have served at once must count a call for as long as a worker would be busy
//! with it, an injected delay included.

mod client;

use std::time::Duration;

use client::{jsonrpc, start};
use odoo_simulator::{Fault, FaultRule, OdooVersion};
use serde_json::{Value, json};

#[tokio::test]
async fn slow_calls_in_progress_together_count_as_in_flight_for_their_whole_duration() {
    let sim = start(OdooVersion::V18, &[]).await;
    sim.simulator()
        .faults()
        .inject(FaultRule::always(Fault::Latency { millis: 200 }).on("product.product", "search_count"));
    let count = || jsonrpc(&sim, "product.product", "search_count", json!([[]]), json!({}));
    let answers = futures::future::join_all([count(), count(), count()]).await;
    assert!(answers.iter().all(|a| a["result"].is_u64()), "{answers:?}");

    let stats: Value =
        reqwest::get(format!("{}/__sim/stats", sim.url())).await.expect("answered").json().await.expect("json");
    assert_eq!(stats["max_in_flight"], json!(3), "three calls sleeping together: {stats}");
    assert_eq!(stats["in_flight"], json!(0), "none left: {stats}");
    assert_eq!(stats["calls"]["product.product.search_count"], json!(3), "{stats}");
    assert_eq!(sim.simulator().max_in_flight(), 3);
}

#[tokio::test]
async fn one_call_at_a_time_is_never_more_than_one_in_flight() {
    let sim = start(OdooVersion::V18, &[]).await;
    for _ in 0..3 {
        jsonrpc(&sim, "product.product", "search_count", json!([[]]), json!({})).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(sim.simulator().max_in_flight(), 1);
}
