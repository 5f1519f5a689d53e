//! The Odoo governor: a bound on concurrent Odoo calls, sized to Odoo's workers. Calls that
//! capture orders or move money may use every slot; reads and bulk listings together three
//! quarters, bulk listings alone half — so lower classes can never take the slots the critical
//! calls need. Waiting is bounded: past the queue timeout a call is refused at once rather than
//! queued forever.

use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

use crate::{OdooCall, OdooError};

/// Default bound on concurrent Odoo calls: a small Odoo runs a handful of workers.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;
/// Default longest wait for a slot.
pub const DEFAULT_QUEUE_TIMEOUT: Duration = Duration::from_secs(2);

/// How urgent a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    /// Order capture, money, every write.
    Critical,
    /// Reads of a few records (stock levels, a product, an order).
    Read,
    /// Large listings.
    Bulk,
}

impl Priority {
    /// Writes and actions are critical; reads of more than 100 records, and background reads, are bulk.
    pub fn of(call: &OdooCall) -> Self {
        match call.method.as_str() {
            _ if call.background => Self::Bulk,
            "search_read" | "read" | "search" | "search_count" | "name_search" | "fields_get" | "read_group" => {
                if call.params.get("limit").and_then(serde_json::Value::as_u64).is_some_and(|l| l > 100) {
                    Self::Bulk
                } else {
                    Self::Read
                }
            }
            _ => Self::Critical,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Critical => "critical",
            Self::Read => "read",
            Self::Bulk => "bulk",
        }
    }
}

/// Slots toward Odoo.
#[derive(Debug)]
pub(crate) struct Governor {
    all: Semaphore,
    reads: Semaphore,
    bulk: Semaphore,
    queue_timeout: Duration,
}

/// Held while a call runs.
#[derive(Debug)]
pub(crate) struct Slot<'a> {
    _bulk: Option<SemaphorePermit<'a>>,
    _reads: Option<SemaphorePermit<'a>>,
    _all: SemaphorePermit<'a>,
}

impl Governor {
    pub(crate) fn new(max_concurrency: usize, queue_timeout: Duration) -> Self {
        let limit = max_concurrency.max(1);
        Self {
            all: Semaphore::new(limit),
            reads: Semaphore::new((limit * 3 / 4).max(1)),
            bulk: Semaphore::new((limit / 2).max(1)),
            queue_timeout,
        }
    }

    /// Waits for a slot, at most the queue timeout.
    pub(crate) async fn admit(&self, priority: Priority) -> Result<Slot<'_>, OdooError> {
        let started = Instant::now();
        let overloaded = |_| OdooError::Overloaded { waited: started.elapsed() };
        let acquire = async {
            // Nested caps: a bulk call holds a bulk and a read permit, a read a read permit.
            let bulk = match priority {
                Priority::Bulk => Some(self.bulk.acquire().await.map_err(overloaded)?),
                _ => None,
            };
            let reads = match priority {
                Priority::Critical => None,
                _ => Some(self.reads.acquire().await.map_err(overloaded)?),
            };
            let all = self.all.acquire().await.map_err(overloaded)?;
            Ok(Slot { _bulk: bulk, _reads: reads, _all: all })
        };
        let label = priority.label();
        let waiting = Waiting::new(label);
        let result = match tokio::time::timeout(self.queue_timeout, acquire).await {
            Ok(slot) => slot,
            Err(_) => Err(OdooError::Overloaded { waited: started.elapsed() }),
        };
        drop(waiting);
        metrics::histogram!("odoo_mesh_odoo_governor_wait_seconds", "priority" => label)
            .record(started.elapsed().as_secs_f64());
        if result.is_err() {
            metrics::counter!("odoo_mesh_odoo_governor_rejected_total", "priority" => label).increment(1);
        }
        result
    }
}

/// Counts a call in the queue-depth gauge while it waits; a guard, so a call cancelled while
/// waiting (its caller's deadline passed) leaves the queue too.
struct Waiting(&'static str);

impl Waiting {
    fn new(priority: &'static str) -> Self {
        metrics::gauge!("odoo_mesh_odoo_governor_waiting", "priority" => priority).increment(1.0);
        Self(priority)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        metrics::gauge!("odoo_mesh_odoo_governor_waiting", "priority" => self.0).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn critical_calls_keep_slots_that_reads_and_bulk_cannot_take() {
        let governor = Governor::new(4, Duration::from_millis(50));
        let bulk: Vec<_> = futures::future::join_all((0..4).map(|_| governor.admit(Priority::Bulk))).await;
        assert_eq!(bulk.iter().filter(|s| s.is_ok()).count(), 2, "bulk may use half the slots");
        let reads = governor.admit(Priority::Read).await.expect("a read fits beside the bulk calls");
        assert!(
            matches!(governor.admit(Priority::Read).await, Err(OdooError::Overloaded { .. })),
            "reads and bulk together are capped at three quarters"
        );
        let critical = governor.admit(Priority::Critical).await.expect("the last slot is there for critical calls");
        assert!(
            matches!(governor.admit(Priority::Critical).await, Err(OdooError::Overloaded { .. })),
            "every slot is taken now"
        );
        drop((bulk, reads, critical));
    }

    #[test]
    fn writes_are_critical_and_big_reads_are_bulk() {
        assert_eq!(Priority::of(&OdooCall::new("sale.order", "load")), Priority::Critical);
        assert_eq!(
            Priority::of(&OdooCall::new("product.product", "search_read").param("limit", json!(10))),
            Priority::Read
        );
        assert_eq!(
            Priority::of(&OdooCall::new("product.product", "search_read").param("limit", json!(1001))),
            Priority::Bulk
        );
    }
}
