//! What the load benchmarks share: the pinned server processes, the reference server, the load
//! generator, and the files and flags odoo-mesh is started with.
#![allow(dead_code)]

pub(crate) mod bare;
pub(crate) mod client;
pub(crate) mod memory;
pub(crate) mod open_loop;
pub(crate) mod process;
pub(crate) mod sim;
pub(crate) mod stream;
pub(crate) mod summary;

use std::{net::SocketAddr, path::PathBuf};

use odoo_mesh::pki::{DEMO_CLIENT_ID, DemoPki, PkiFiles};

/// A product of the simulator's demo data, with stock in the first warehouse.
pub(crate) const SKU: &str = "FURN_0096";
/// The simulator's API key for its administrator (`odoo-mesh sim`'s default).
pub(crate) const DEMO_API_KEY: &str = "odoo-mesh-demo-key";

/// Certificates, a policy letting the demo client (and, in plaintext, anyone) use the inventory
/// service, and the Odoo key file, in a directory removed when dropped.
pub(crate) struct Fixture {
    pub(crate) dir: PathBuf,
    pub(crate) pki: DemoPki,
    pub(crate) files: PkiFiles,
    policy: PathBuf,
    key: PathBuf,
}

impl Fixture {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-{name}-{}", std::process::id()));
        let pki = DemoPki::generate().expect("certificates");
        let files = pki.write_to(&dir).expect("certificates written");
        let allowed = format!("[\"{DEMO_CLIENT_ID}\", \"anonymous\"]");
        let rules = format!(
            "operations = {allowed}\n\n[[allow]]\nidentities = {allowed}\nmethods = [\"odoomesh.inventory.v1.InventoryService/*\"]\n"
        );
        let (policy, key) = (dir.join("bench-policy.toml"), dir.join("odoo-api-key"));
        std::fs::write(&policy, rules).expect("policy");
        std::fs::write(&key, DEMO_API_KEY).expect("key");
        Self { dir, pki, files, policy, key }
    }

    /// `odoo-mesh serve` flags: gRPC on `addr` (mutual TLS or plaintext), admin on `admin`, in
    /// front of the simulator at `sim`.
    pub(crate) fn serve_args(&self, addr: SocketAddr, admin: SocketAddr, sim: SocketAddr, tls: bool) -> Vec<String> {
        let path = |p: &PathBuf| p.display().to_string();
        let mut args = vec![
            "serve".to_owned(),
            format!("--listen={addr}"),
            format!("--admin-listen={admin}"),
            format!("--policy={}", path(&self.policy)),
            format!("--odoo-url=http://{sim}"),
            "--odoo-db=odoo".to_owned(),
            "--odoo-user=admin".to_owned(),
            format!("--odoo-api-key-file={}", path(&self.key)),
        ];
        if tls {
            args.push(format!("--tls-cert={}", path(&self.files.server_cert)));
            args.push(format!("--tls-key={}", path(&self.files.server_key)));
            args.push(format!("--client-ca={}", path(&self.files.ca)));
        } else {
            args.push("--plaintext".to_owned());
        }
        args
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Calls odoo-mesh has made to Odoo so far, from the metrics on its admin port.
pub(crate) async fn odoo_calls(admin: SocketAddr) -> f64 {
    let text = reqwest::get(format!("http://{admin}/metrics")).await.expect("metrics").text().await.expect("text");
    text.lines()
        .filter(|line| line.starts_with("odoo_mesh_odoo_calls_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}
