//! Retries of Odoo calls that are safe to repeat: reads, and `load` under an external id (create
//! only, so a repeat finds the record the first attempt made: how `request_id` makes order capture
//! idempotent). Every other write runs once: a lost answer does not say whether it ran.
//!
//! Only failures that say "try again" are retried — connection refused or reset, 502/503/504,
//! PostgreSQL's serialization failure, the database briefly down — never a timeout (Odoo is slow,
//! not gone), with exponential backoff and full jitter, and only while tower's retry budget allows:
//! under a broad outage the budget runs dry and Odoo sees hardly more calls than callers make.

use std::time::Duration;

use tower::retry::budget::{Budget, TpsBudget};

use crate::{OdooCall, OdooError, Priority, TransportFailure};

/// Attempts per call, the first included.
const MAX_ATTEMPTS: u32 = 3;
/// Backoff before the second attempt; doubled for each further one, before jitter.
const BASE_BACKOFF: Duration = Duration::from_millis(25);

#[derive(Debug)]
pub(crate) struct Retries {
    budget: TpsBudget,
}

impl Retries {
    pub(crate) fn new() -> Self {
        // Over any 10 s: one retry a second, plus one for every five calls.
        Self { budget: TpsBudget::new(Duration::from_secs(10), 1, 0.2) }
    }

    /// Counts a call toward the budget; every call earns a fraction of a retry.
    pub(crate) fn deposit(&self) {
        self.budget.deposit();
    }

    /// How long to wait before attempt `attempt + 1`, or `None` when the failure is final.
    pub(crate) fn backoff(&self, call: &OdooCall, error: &OdooError, attempt: u32) -> Option<Duration> {
        if attempt >= MAX_ATTEMPTS || !safe_to_repeat(call) || !worth_repeating(error) {
            return None;
        }
        if !self.budget.withdraw() {
            metrics::counter!("odoo_mesh_odoo_retry_budget_exhausted_total").increment(1);
            return None;
        }
        metrics::counter!("odoo_mesh_odoo_retries_total", "model" => call.model.clone(), "method" => call.method.clone())
            .increment(1);
        let ceiling = BASE_BACKOFF * 2u32.pow(attempt - 1);
        Some(ceiling.mul_f64(fastrand::f64()))
    }
}

fn safe_to_repeat(call: &OdooCall) -> bool {
    Priority::of(call) != Priority::Critical || (call.method == "load" && create_only(call))
}

/// `load` in update mode with `noupdate` never touches an existing record.
fn create_only(call: &OdooCall) -> bool {
    call.context.get("noupdate").and_then(serde_json::Value::as_bool) == Some(true)
}

fn worth_repeating(error: &OdooError) -> bool {
    match error {
        OdooError::Transport { failure: TransportFailure::Timeout, .. } => false,
        OdooError::Overloaded { .. } | OdooError::CircuitOpen { .. } => false,
        other => other.is_transient(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refused() -> OdooError {
        OdooError::Transport { failure: TransportFailure::Connect, message: "refused".into() }
    }

    #[test]
    fn reads_and_create_only_loads_are_retried_other_writes_never() {
        let retries = Retries::new();
        let read = OdooCall::new("stock.quant", "search_read");
        let load = OdooCall::new("sale.order", "load").context("noupdate", json!(true));
        let write = OdooCall::new("sale.order", "action_confirm").ids(vec![1]);
        assert!(retries.backoff(&read, &refused(), 1).is_some());
        assert!(retries.backoff(&load, &refused(), 1).is_some());
        assert!(retries.backoff(&write, &refused(), 1).is_none());
        assert!(retries.backoff(&OdooCall::new("sale.order", "load"), &refused(), 1).is_none());
    }

    #[test]
    fn only_failures_that_say_try_again_are_retried_and_only_so_often() {
        let retries = Retries::new();
        let read = OdooCall::new("stock.quant", "search_read");
        let timeout = OdooError::Transport { failure: TransportFailure::Timeout, message: "slow".into() };
        assert!(retries.backoff(&read, &timeout, 1).is_none());
        assert!(retries.backoff(&read, &OdooError::UserError { message: "no".into() }, 1).is_none());
        assert!(retries.backoff(&read, &refused(), MAX_ATTEMPTS).is_none());
        let backoff = retries.backoff(&read, &refused(), 2).expect("retried");
        assert!(backoff <= BASE_BACKOFF * 2, "{backoff:?}");
    }
}
