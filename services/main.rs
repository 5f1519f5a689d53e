//! The `odoo-mesh` command: `serve` in production, `check` to see what an Odoo offers, `demo` to
//! try it, `sim` for a standalone Odoo simulator.

use std::{net::SocketAddr, process::ExitCode};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use odoo_mesh::{
    config::{Config, ServeArgs},
    demo::{self, DemoArgs},
    observability, server,
};
use odoo_simulator::{OdooVersion, SeedUser, SimConfig, Simulator};

#[derive(Debug, Parser)]
#[command(
    name = "odoo-mesh",
    version,
    about = "Typed, governed gRPC APIs over Odoo: inventory, orders, shipments and finance."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the gRPC APIs in front of an Odoo server.
    Serve(Box<ServeArgs>),
    /// Check an Odoo server: its version, and whether each capability odoo-mesh offers can be used
    /// on it (modules installed, fields present). Takes serve's settings and uses the Odoo ones.
    /// Exits 1 when something is missing, 2 when Odoo cannot be asked.
    Check(Box<ServeArgs>),
    /// Run the whole service on an embedded Odoo simulator, with throwaway certificates.
    Demo(DemoArgs),
    /// Run the Odoo simulator alone (JSON-RPC, and JSON-2 when presenting Odoo 19).
    Sim(SimArgs),
}

#[derive(Debug, Args)]
struct SimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8069")]
    listen: SocketAddr,
    /// Odoo version to present: 18 or 19.
    #[arg(long, default_value_t = 18, value_parser = clap::value_parser!(u8).range(18..=19))]
    odoo_version: u8,
    /// Database name.
    #[arg(long, default_value = "odoo")]
    database: String,
    /// Login of the administrator.
    #[arg(long, default_value = demo::DEMO_LOGIN)]
    login: String,
    /// Password of the administrator (a simulator credential, not a real one).
    #[arg(long, default_value = demo::DEMO_PASSWORD)]
    password: String,
    /// API key of the administrator (a simulator credential, not a real one).
    #[arg(long, default_value = demo::DEMO_API_KEY)]
    api_key: String,
    /// An Odoo module to leave uninstalled (with the modules that depend on it), e.g. `purchase`;
    /// repeat for several. Shows how odoo-mesh answers an Odoo that lacks what it needs.
    #[arg(long = "missing-module", value_name = "MODULE")]
    missing_modules: Vec<String>,
}

/// A command that cannot start says why in one line naming the setting to change: no `Error:`
/// debug dump, no backtrace (whatever `RUST_BACKTRACE` says).
#[tokio::main]
async fn main() -> ExitCode {
    match run(Cli::parse().command).await {
        Ok(code) => code,
        Err(error) => {
            let message = format!("{error:#}");
            eprintln!("odoo-mesh: {}", message.lines().map(str::trim).collect::<Vec<_>>().join(" "));
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve(args) => serve(*args).await.map(|()| ExitCode::SUCCESS),
        Command::Check(args) => Ok(match Config::resolve_odoo(&args) {
            Ok(config) => odoo_mesh::check::run(config).await,
            Err(error) => odoo_mesh::check::unusable_settings(&error),
        }),
        Command::Demo(args) => demo::run(args).await.map(|()| ExitCode::SUCCESS),
        Command::Sim(args) => sim(args).await.map(|()| ExitCode::SUCCESS),
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = Config::resolve(args)?;
    // Flushes the spans not yet exported when serving ends.
    let _traces = observability::init(config.log_format, config.otlp_endpoint.as_deref())?;
    let mut running = server::start(&config).await?;
    tokio::select! {
        () = terminated() => running.shutdown().await,
        result = running.wait() => result,
    }
}

async fn sim(args: SimArgs) -> anyhow::Result<()> {
    observability::init_logging(odoo_mesh::config::LogFormat::Text);
    let version = OdooVersion::from_major(args.odoo_version).context("odoo version must be 18 or 19")?;
    let simulator = Simulator::new(SimConfig {
        version,
        database: args.database.clone(),
        admin: SeedUser { login: args.login.clone(), password: args.password, api_key: args.api_key },
        missing_modules: args.missing_modules.clone(),
    });
    let running = simulator.start_on(odoo_mesh::listen::bind(args.listen, "--listen").await?)?;
    println!(
        "odoo simulator (Odoo {}) at {} — database {:?}, login {:?}",
        version.major(),
        running.url(),
        args.database,
        args.login
    );
    terminated().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM (Kubernetes stops pods with SIGTERM).
async fn terminated() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
