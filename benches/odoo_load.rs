//! What a burst of stock reads costs Odoo: the same requests read one after another, then all at
//! once. Coalescing and batching should make the burst cost about one Odoo read per warehouse,
//! and finish in about the time of one read. Prints its figures; run with
//! `cargo bench --bench odoo_load`.

use std::{sync::Arc, time::Instant};

mod common;

use odoo_adapter::{Inventory, Odoo, OdooClient};
use odoo_simulator::{Fault, FaultRule};

const REQUESTS: usize = 100;
const SKUS: [&str; 10] = [
    "E-COM07",
    "E-COM08",
    "E-COM10",
    "E-COM11",
    "E-COM12",
    "E-COM13",
    "FURN_0096",
    "FURN_0789",
    "FURN_5555",
    "FURN_8855",
];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let sim = common::simulator().await;
    // A product read with stock figures takes Odoo about 20 ms.
    sim.simulator()
        .faults()
        .inject(FaultRule::always(Fault::Latency { millis: 20 }).on("product.product", "search_read"));
    let odoo = OdooClient::new(common::odoo(&sim)).expect("client");
    let inventory = Inventory::new(Arc::new(Odoo::new(Arc::new(odoo))));
    let warehouses = inventory.warehouses().await.expect("warehouses");
    // Every caller asks for a different pair of SKUs, as storefront pages do.
    let requests: Vec<Vec<String>> =
        (0..REQUESTS).map(|i| vec![SKUS[i % 10].to_owned(), SKUS[(i / 10 + i + 1) % 10].to_owned()]).collect();
    let odoo_reads = || sim.simulator().call_count("product.product", "search_read");

    let (before, started) = (odoo_reads(), Instant::now());
    for skus in &requests {
        inventory.stock_levels(skus, &warehouses).await.expect("stock levels");
    }
    let (one_by_one_reads, one_by_one_time) = (odoo_reads() - before, started.elapsed());

    let (before, started) = (odoo_reads(), Instant::now());
    let burst = futures::future::join_all(requests.iter().map(|skus| inventory.stock_levels(skus, &warehouses))).await;
    assert!(burst.iter().all(Result::is_ok), "every read in the burst is answered");
    let (burst_reads, burst_time) = (odoo_reads() - before, started.elapsed());

    println!("{REQUESTS} stock reads of 2 SKUs over {} warehouses, Odoo answering in 20 ms:", warehouses.len());
    println!("  one by one: {one_by_one_reads:>4} Odoo reads in {one_by_one_time:>10.1?}");
    println!("  all at once: {burst_reads:>3} Odoo reads in {burst_time:>10.1?}");
    println!(
        "  burst / one by one: {:.3} of the Odoo reads, {:.3} of the time",
        burst_reads as f64 / one_by_one_reads as f64,
        burst_time.as_secs_f64() / one_by_one_time.as_secs_f64()
    );
}
