//! `odoo-mesh check`: asks an Odoo what odoo-mesh needs of it — its version, and every model, field
//! and method each capability uses — and prints what is usable and what is missing, in words a
//! person can act on. The same report is logged when `serve` starts.

use std::{process::ExitCode, sync::Arc};

use odoo_adapter::{Odoo, OdooClient, OdooConfig};

/// Exit code when something odoo-mesh offers cannot be used on this Odoo.
const INCOMPLETE: u8 = 1;
/// Exit code when Odoo could not be asked at all.
const UNREACHABLE: u8 = 2;

/// Settings that do not say how to reach Odoo: one line saying which, and the exit code of an
/// Odoo that cannot be asked.
pub fn unusable_settings(error: &anyhow::Error) -> ExitCode {
    eprintln!("odoo-mesh check: {error:#}");
    ExitCode::from(UNREACHABLE)
}

/// Prints the report for `config`'s Odoo to standard output; problems reaching it to standard error.
pub async fn run(config: OdooConfig) -> ExitCode {
    let (url, database) = (config.url.clone(), config.database.clone());
    let odoo = match OdooClient::new(config) {
        Ok(client) => Odoo::new(Arc::new(client)),
        Err(error) => {
            eprintln!("odoo-mesh check: cannot build a client for {url}: {error}");
            return ExitCode::from(UNREACHABLE);
        }
    };
    match odoo.schema().await {
        Ok(schema) => {
            let report = schema.report();
            print!("{url} database {database}: {report}");
            if report.complete() { ExitCode::SUCCESS } else { ExitCode::from(INCOMPLETE) }
        }
        Err(error) => {
            eprintln!("odoo-mesh check: could not ask {url} (database {database}): {error}");
            ExitCode::from(UNREACHABLE)
        }
    }
}
