//! Secrets never show: the real binaries run with debug logging, one with a valid and one with a
//! rejected Odoo key, and neither key appears in their logs, in gRPC errors, or in metrics.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use odoo_mesh::proto::inventory::v1::{self as inv, inventory_service_client::InventoryServiceClient};

const BINARY: &str = env!("CARGO_BIN_EXE_odoo-mesh");
const GOOD_KEY: &str = "canary-good-7a1f93c2";
const BAD_KEY: &str = "canary-bad-52e0b7d4";
const PASSWORD: &str = "canary-password-c81d";

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the binary with stdout and stderr in `log`; returns once a line contains `until`.
fn start(args: &[&str], log: &std::path::Path, until: &str) -> (Process, String) {
    let out = std::fs::File::create(log).expect("log file");
    let child = Command::new(BINARY)
        .args(args)
        .env("RUST_LOG", "debug")
        .stdout(out.try_clone().expect("clone"))
        .stderr(out)
        .stdin(Stdio::null())
        .spawn()
        .expect("starts");
    let process = Process(child);
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(50));
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(until)) {
            return (process, line.to_owned());
        }
    }
    panic!("{args:?} never logged {until:?}:\n{}", std::fs::read_to_string(log).unwrap_or_default());
}

fn address(line: &str, key: &str) -> String {
    let json: serde_json::Value = serde_json::from_str(line).expect("json log line");
    json[key].as_str().expect("address").to_owned()
}

#[test]
fn secrets_never_show_in_logs_errors_or_metrics() {
    let dir = std::env::temp_dir().join(format!("odoo-mesh-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let (_sim, line) = start(
        &["sim", "--listen", "127.0.0.1:0", "--odoo-version", "19", "--api-key", GOOD_KEY, "--password", PASSWORD],
        &dir.join("sim.log"),
        "odoo simulator",
    );
    let url = line.split_whitespace().find(|w| w.starts_with("http://")).expect("url").to_owned();
    std::fs::write(dir.join("policy.toml"), "[[allow]]\nidentities = [\"anonymous\"]\nmethods = [\"*\"]\n")
        .expect("policy");
    let mut outputs = Vec::new();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    for (name, key) in [("good", GOOD_KEY), ("bad", BAD_KEY)] {
        let key_file = dir.join(format!("{name}.key"));
        std::fs::write(&key_file, format!("{key}\n")).expect("key file");
        let policy = dir.join("policy.toml");
        let (serve, line) = start(
            &[
                "serve",
                "--plaintext",
                "--listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
                "--odoo-url",
                &url,
                "--odoo-db",
                "odoo",
                "--odoo-api-key-file",
                key_file.to_str().expect("path"),
                "--policy",
                policy.to_str().expect("path"),
                "--log-format",
                "json",
            ],
            &dir.join(format!("serve-{name}.log")),
            "odoo-mesh serving",
        );
        let (grpc, admin) = (address(&line, "grpc"), address(&line, "admin"));
        runtime.block_on(async {
            let mut client = InventoryServiceClient::connect(format!("http://{grpc}")).await.expect("connects");
            let calls = [
                client.list_warehouses(inv::ListWarehousesRequest {}).await.map(|_| ()),
                client
                    .get_product(inv::GetProductRequest {
                        product: Some(inv::get_product_request::Product::Sku("NO-SUCH".into())),
                    })
                    .await
                    .map(|_| ()),
                client
                    .get_stock_levels(inv::GetStockLevelsRequest { skus: vec![String::new()], ..Default::default() })
                    .await
                    .map(|_| ()),
            ];
            for call in calls {
                if let Err(status) = call {
                    outputs.push(format!("{status:?} {}", status.message()));
                }
            }
            let metrics =
                reqwest::get(format!("http://{admin}/metrics")).await.expect("metrics").text().await.expect("text");
            outputs.push(metrics);
        });
        if name == "bad" {
            assert!(outputs.iter().any(|o| o.contains("Unavailable")), "the bad key was rejected: {outputs:?}");
        }
        drop(serve);
        outputs.push(std::fs::read_to_string(dir.join(format!("serve-{name}.log"))).expect("log"));
    }
    outputs.push(std::fs::read_to_string(dir.join("sim.log")).expect("log"));
    assert!(outputs.iter().any(|o| o.contains("DEBUG") || o.contains("\"level\":\"DEBUG\"")), "debug logging was on");
    for secret in [GOOD_KEY, BAD_KEY, PASSWORD] {
        for output in &outputs {
            assert!(!output.contains(secret), "a secret leaked:\n{output}");
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}
