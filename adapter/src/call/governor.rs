//! The Odoo governor: a bound on concurrent Odoo calls, sized to Odoo's workers. Calls that
//! capture orders or move money may use every slot; reads and bulk listings together three
//! quarters, bulk listings alone half — so lower classes can never take the slots the critical
//! calls need. Waiting is bounded: past the queue timeout a call is refused at once rather than
//! queued forever — and a call that would find, on arrival, more callers ahead of it than its
//! slots can serve within the queue timeout (at the Odoo call time seen so far) is refused on
//! arrival: under sustained overload a refusal comes in microseconds, not after the timeout, and
//! the queue (and the memory it holds) stays as long as it can usefully be.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

    fn index(self) -> usize {
        self as usize
    }
}

/// Slots toward Odoo.
#[derive(Debug)]
pub(crate) struct Governor {
    all: Arc<Semaphore>,
    reads: Arc<Semaphore>,
    bulk: Arc<Semaphore>,
    /// Slots of each priority (critical, read, bulk): what serves its queue.
    slots: [usize; 3],
    /// Calls of each priority waiting for a slot.
    waiting: [AtomicUsize; 3],
    /// How long a call holds its slot, a moving average in nanoseconds; 0 until one has run.
    service_nanos: Arc<AtomicU64>,
    queue_timeout: Duration,
}

/// Held while a call runs. It owns its permits, so a call whose caller stopped waiting can keep
/// its slot until Odoo has answered (see `OdooClient::attempt`).
#[derive(Debug)]
pub(crate) struct Slot {
    _bulk: Option<OwnedSemaphorePermit>,
    _reads: Option<OwnedSemaphorePermit>,
    _all: OwnedSemaphorePermit,
    service_nanos: Arc<AtomicU64>,
    admitted: Instant,
}

impl Drop for Slot {
    fn drop(&mut self) {
        served_in(&self.service_nanos, self.admitted.elapsed());
    }
}

impl Governor {
    pub(crate) fn new(max_concurrency: usize, queue_timeout: Duration) -> Self {
        let limit = max_concurrency.max(1);
        let slots = [limit, (limit * 3 / 4).max(1), (limit / 2).max(1)];
        Self {
            all: Arc::new(Semaphore::new(slots[0])),
            reads: Arc::new(Semaphore::new(slots[1])),
            bulk: Arc::new(Semaphore::new(slots[2])),
            slots,
            waiting: Default::default(),
            service_nanos: Arc::default(),
            queue_timeout,
        }
    }

    /// Waits for a slot, at most the queue timeout; refuses at once when the callers ahead could
    /// not all be served within it.
    pub(crate) async fn admit(&self, priority: Priority) -> Result<Slot, OdooError> {
        let started = Instant::now();
        let label = priority.label();
        let waiting = Waiting::new(self, priority);
        if waiting.ahead > 0 && self.expected_wait(priority, waiting.ahead) > self.queue_timeout {
            drop(waiting);
            metrics::counter!("odoo_mesh_odoo_governor_rejected_total", "priority" => label).increment(1);
            return Err(OdooError::Overloaded { waited: started.elapsed() });
        }
        let overloaded = |_| OdooError::Overloaded { waited: started.elapsed() };
        let acquire = async {
            // Nested caps: a bulk call holds a bulk and a read permit, a read a read permit.
            let bulk = match priority {
                Priority::Bulk => Some(self.bulk.clone().acquire_owned().await.map_err(overloaded)?),
                _ => None,
            };
            let reads = match priority {
                Priority::Critical => None,
                _ => Some(self.reads.clone().acquire_owned().await.map_err(overloaded)?),
            };
            let all = self.all.clone().acquire_owned().await.map_err(overloaded)?;
            Ok(self.slot(bulk, reads, all))
        };
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

    /// A slot if one is free now, without queueing.
    pub(crate) fn try_admit(&self, priority: Priority) -> Option<Slot> {
        let bulk = match priority {
            Priority::Bulk => Some(self.bulk.clone().try_acquire_owned().ok()?),
            _ => None,
        };
        let reads = match priority {
            Priority::Critical => None,
            _ => Some(self.reads.clone().try_acquire_owned().ok()?),
        };
        let all = self.all.clone().try_acquire_owned().ok()?;
        Some(self.slot(bulk, reads, all))
    }

    fn slot(
        &self,
        bulk: Option<OwnedSemaphorePermit>,
        reads: Option<OwnedSemaphorePermit>,
        all: OwnedSemaphorePermit,
    ) -> Slot {
        Slot {
            _bulk: bulk,
            _reads: reads,
            _all: all,
            service_nanos: self.service_nanos.clone(),
            admitted: Instant::now(),
        }
    }

    /// How long a call would wait behind `ahead` others of its priority: they leave its slots
    /// one slot-time at a time, a slot-time being the Odoo call time seen so far (none seen: no
    /// wait is predicted, and the queue timeout alone bounds the wait).
    fn expected_wait(&self, priority: Priority, ahead: usize) -> Duration {
        let service = Duration::from_nanos(self.service_nanos.load(Ordering::Relaxed));
        let rounds = ahead.div_ceil(self.slots[priority.index()]);
        service.saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX))
    }
}

/// Folds one call's slot time into the moving average (an eighth of the new sample).
fn served_in(service_nanos: &AtomicU64, held: Duration) {
    let sample = u64::try_from(held.as_nanos()).unwrap_or(u64::MAX);
    let average = service_nanos.load(Ordering::Relaxed);
    let next = if average == 0 { sample } else { average - average / 8 + sample / 8 };
    service_nanos.store(next, Ordering::Relaxed);
}

/// Counts a call among the waiting of its priority (and in the queue-depth gauge) while it waits;
/// a guard, so a call cancelled while waiting (its caller's deadline passed) leaves the queue too.
struct Waiting<'a> {
    governor: &'a Governor,
    priority: Priority,
    /// Calls of its priority already waiting when it came.
    ahead: usize,
}

impl<'a> Waiting<'a> {
    fn new(governor: &'a Governor, priority: Priority) -> Self {
        let ahead = governor.waiting[priority.index()].fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("odoo_mesh_odoo_governor_waiting", "priority" => priority.label()).increment(1.0);
        Self { governor, priority, ahead }
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.governor.waiting[self.priority.index()].fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("odoo_mesh_odoo_governor_waiting", "priority" => self.priority.label()).decrement(1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;
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

    #[tokio::test]
    async fn a_call_the_queue_cannot_serve_in_time_is_refused_on_arrival() {
        let governor = std::sync::Arc::new(Governor::new(1, Duration::from_millis(50)));
        let busy = governor.admit(Priority::Critical).await.expect("the one slot");
        // Nothing measured yet: a second caller queues, trusting the timeout.
        let queued = tokio::spawn({
            let governor = governor.clone();
            async move { governor.admit(Priority::Critical).await.is_ok() }
        });
        while governor.waiting[Priority::Critical.index()].load(Ordering::Relaxed) == 0 {
            tokio::task::yield_now().await;
        }
        // Odoo calls take 100 ms: one caller ahead means a wait past the 50 ms timeout.
        served_in(&governor.service_nanos, Duration::from_millis(100));
        let third = governor.admit(Priority::Critical).now_or_never();
        assert!(
            matches!(third, Some(Err(OdooError::Overloaded { .. }))),
            "refused at once, without waiting out the queue timeout"
        );
        drop(busy);
        assert!(queued.await.expect("joined"), "the caller already queued gets the freed slot");
        assert!(
            governor.admit(Priority::Critical).now_or_never().is_some_and(|slot| slot.is_ok()),
            "with no one ahead, a free slot is taken at once"
        );
    }

    #[tokio::test]
    async fn a_probe_takes_a_free_read_slot_or_none_never_queueing() {
        let governor = Governor::new(4, Duration::from_secs(2));
        let probe = governor.try_admit(Priority::Read).expect("a read slot is free");
        let reads: Vec<_> = futures::future::join_all((0..2).map(|_| governor.admit(Priority::Read))).await;
        assert!(reads.iter().all(Result::is_ok));
        assert!(governor.try_admit(Priority::Read).is_none(), "the three read slots are taken");
        drop(probe);
        assert!(governor.try_admit(Priority::Read).is_some(), "one is free again");
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
