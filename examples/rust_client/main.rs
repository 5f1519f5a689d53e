//! A Rust service's first steps on odoo-mesh, to start from: connect over mutual TLS, watch the
//! stock of a product with a watch that resumes after dropped streams, and sell some of it exactly
//! once (a `request_id`, retries honouring the server's `RetryInfo`, every bad field reported).
//!
//! ```sh
//! cargo run -- demo                     # odoo-mesh on a simulated Odoo; prints its certificate directory
//! cargo run --example rust_client -- --certs DIR [--target https://localhost:50051] [--sku SKU] [--follow]
//! ```
//!
//! Flags fall back to the environment: `ODOO_MESH_TARGET`, `ODOO_MESH_CERTS`, `ODOO_MESH_DOMAIN`.
//! It uses `odoo-mesh-client`, tokio and std only.

mod app;
mod orders;
mod stock;

use std::{env, path::PathBuf, process::ExitCode};

use crate::{app::Settings, orders::RetryPolicy};

const USAGE: &str = "usage: rust_client --certs DIR [--target URL] [--domain NAME] [--sku SKU] \
                     [--customer-email EMAIL] [--resume-token TOKEN] [--follow]";

#[tokio::main]
async fn main() -> ExitCode {
    let settings = match settings(env::args().skip(1)) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("rust_client: {error}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match app::run(&settings).await {
        Ok(outcome) => {
            let how = if outcome.replayed { ", replayed" } else { "" };
            println!(
                "done: order {} (request_id {}{how}); {} in {}: {}",
                outcome.order,
                outcome.request_id,
                outcome.sku,
                outcome.warehouse,
                app::describe(&outcome.level)
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rust_client: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The settings from the flags, then the environment, then the defaults.
fn settings(mut args: impl Iterator<Item = String>) -> Result<Settings, String> {
    let mut settings = Settings {
        target: env::var("ODOO_MESH_TARGET").unwrap_or_else(|_| "https://localhost:50051".into()),
        certs: env::var_os("ODOO_MESH_CERTS").map(PathBuf::from).unwrap_or_default(),
        domain: env::var("ODOO_MESH_DOMAIN").ok(),
        sku: None,
        customer_email: "rust-client@example.com".into(),
        resume_token: None,
        retry: RetryPolicy::default(),
        follow: false,
    };
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--target" => settings.target = value()?,
            "--certs" => settings.certs = value()?.into(),
            "--domain" => settings.domain = Some(value()?),
            "--sku" => settings.sku = Some(value()?),
            "--customer-email" => settings.customer_email = value()?,
            "--resume-token" => settings.resume_token = Some(value()?),
            "--follow" => settings.follow = true,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if settings.certs.as_os_str().is_empty() {
        return Err("--certs (or ODOO_MESH_CERTS) is required".into());
    }
    Ok(settings)
}
