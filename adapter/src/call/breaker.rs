//! Circuit breaker toward Odoo. After `failures` consecutive calls that find Odoo down
//! (unreachable, 502/503/504, database unavailable), calls fail fast for `cooldown` instead of
//! each waiting for a timeout and piling onto a struggling server; after it, calls go through
//! again and the first answer from Odoo closes the breaker (a failure opens it again).
//! An Odoo that answers with a business error is up: that counts as a success.

use std::{
    fmt,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use failsafe::{
    StateMachine,
    backoff::{self, Constant},
    failure_policy::{self, ConsecutiveFailures},
};

use crate::OdooError;

/// When the breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures that open the breaker.
    pub failures: u32,
    /// How long it stays open before calls are tried again.
    pub cooldown: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failures: 5, cooldown: Duration::from_secs(5) }
    }
}

pub(crate) struct Breaker {
    machine: StateMachine<ConsecutiveFailures<Constant>, Observer>,
    observer: Observer,
}

impl fmt::Debug for Breaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Breaker").field("open", &self.is_open()).field("cooldown", &self.observer.cooldown).finish()
    }
}

impl Breaker {
    pub(crate) fn new(config: BreakerConfig) -> Self {
        let observer = Observer { cooldown: config.cooldown, open_until: Arc::default() };
        let machine = failsafe::Config::new()
            .failure_policy(failure_policy::consecutive_failures(
                config.failures.max(1),
                backoff::constant(config.cooldown),
            ))
            .instrument(observer.clone())
            .build();
        metrics::gauge!("odoo_mesh_odoo_breaker_open").set(0.0);
        Self { machine, observer }
    }

    /// Lets a call through, or refuses it at once while the breaker is open.
    pub(crate) fn admit(&self) -> Result<(), OdooError> {
        if self.machine.is_call_permitted() {
            Ok(())
        } else {
            metrics::counter!("odoo_mesh_odoo_breaker_rejected_total").increment(1);
            Err(OdooError::CircuitOpen { retry_after: self.observer.cooldown })
        }
    }

    pub(crate) fn record<T>(&self, result: &Result<T, OdooError>) {
        match result {
            Err(error) if error.means_odoo_is_down() => self.machine.on_error(),
            _ => self.machine.on_success(),
        }
    }

    /// Whether calls are being refused now. Time alone ends this (not a call), so health turns
    /// back to SERVING after the cooldown and lets the traffic in that will close the breaker.
    pub(crate) fn is_open(&self) -> bool {
        self.observer.open_until.lock().expect("breaker lock").is_some_and(|until| Instant::now() < until)
    }
}

/// Follows the state machine's transitions, for health and metrics.
#[derive(Debug, Clone)]
struct Observer {
    cooldown: Duration,
    open_until: Arc<Mutex<Option<Instant>>>,
}

impl failsafe::Instrument for Observer {
    fn on_call_rejected(&self) {}

    fn on_open(&self) {
        *self.open_until.lock().expect("breaker lock") = Some(Instant::now() + self.cooldown);
        tracing::warn!(cooldown = ?self.cooldown, "odoo looks down: failing calls fast");
        metrics::counter!("odoo_mesh_odoo_breaker_opened_total").increment(1);
        metrics::gauge!("odoo_mesh_odoo_breaker_open").set(1.0);
    }

    fn on_half_open(&self) {
        tracing::info!("trying odoo again");
    }

    fn on_closed(&self) {
        *self.open_until.lock().expect("breaker lock") = None;
        tracing::info!("odoo answers again");
        metrics::gauge!("odoo_mesh_odoo_breaker_open").set(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportFailure;

    fn down() -> Result<(), OdooError> {
        Err(OdooError::Transport { failure: TransportFailure::Connect, message: "refused".into() })
    }

    #[test]
    fn opens_after_consecutive_failures_and_closes_on_the_first_answer_after_the_cooldown() {
        let breaker = Breaker::new(BreakerConfig { failures: 3, cooldown: Duration::from_millis(50) });
        for _ in 0..2 {
            breaker.admit().expect("closed");
            breaker.record(&down());
        }
        breaker.record(&Err::<(), _>(OdooError::UserError { message: "odoo is up".into() }));
        for _ in 0..3 {
            breaker.admit().expect("a business error reset the count");
            breaker.record(&down());
        }
        assert!(breaker.is_open());
        assert!(matches!(breaker.admit(), Err(OdooError::CircuitOpen { .. })));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!breaker.is_open(), "the cooldown ends by itself");
        breaker.admit().expect("tried again");
        breaker.record(&Ok(()));
        breaker.admit().expect("closed again");
    }
}
