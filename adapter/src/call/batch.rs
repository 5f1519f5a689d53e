//! Stock reads for the same warehouse are merged into one Odoo read of all their SKUs; each
//! caller then picks its own rows. A read starts at once when none is in flight for its warehouse
//! (a lone caller waits for nothing); reads that arrive while one is in flight gather into the
//! next batch, which starts when that one ends or `WINDOW` after it opened, whichever is first —
//! so a caller in it waits at most the window. Under a storefront burst, Odoo answers a couple of
//! `search_read`s per warehouse instead of one per request. A batch that would grow past `MAX_SKUS` is not joined: that caller reads on its own.
//! If the caller running a batch is cancelled, its other callers read on their own too.

use std::{
    collections::{BTreeSet, HashMap},
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::watch;

use crate::{OdooError, odoo::Record};

/// Longest a batch gathers behind the one in flight: the most a caller waits for batching.
pub(crate) const WINDOW: Duration = Duration::from_millis(2);
/// Largest SKU set read at once (GetStockLevels accepts 1,000 per call).
const MAX_SKUS: usize = 5_000;

type Rows = Result<Arc<Vec<Record>>, OdooError>;

/// The answer of one batch, for the callers in it; `None` until it is read.
type Answer = watch::Receiver<Option<Rows>>;

#[derive(Debug, Default)]
pub(crate) struct StockBatcher {
    /// Warehouses with a read in flight (the latest, when a gathered batch started before the
    /// one ahead of it ended).
    lanes: Mutex<HashMap<i64, Lane>>,
}

#[derive(Debug)]
struct Lane {
    /// The batch being read.
    in_flight: Answer,
    /// The batch gathering behind it.
    next: Option<Next>,
}

#[derive(Debug)]
struct Next {
    skus: BTreeSet<String>,
    rows: Answer,
}

enum Role {
    /// Reads at once: no read in flight for the warehouse.
    Lead(watch::Sender<Option<Rows>>),
    /// Opened the next batch: reads it once the one in flight has ended, or the window passed.
    LeadNext(watch::Sender<Option<Rows>>, Answer),
    Join(Answer),
    Alone,
}

impl StockBatcher {
    /// The rows of `read(skus)` for `warehouse`, read together with other callers' SKUs.
    pub(crate) async fn read<F, Fut>(&self, warehouse: i64, skus: &[String], read: F) -> Rows
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<Record>, OdooError>>,
    {
        let role = {
            let mut lanes = self.lanes.lock().expect("batch lock");
            match lanes.get_mut(&warehouse) {
                None => {
                    let (tx, rx) = watch::channel(None);
                    lanes.insert(warehouse, Lane { in_flight: rx, next: None });
                    Role::Lead(tx)
                }
                Some(Lane { next: Some(next), .. }) if next.skus.len() + skus.len() <= MAX_SKUS => {
                    next.skus.extend(skus.iter().cloned());
                    Role::Join(next.rows.clone())
                }
                Some(Lane { next: Some(_), .. }) => Role::Alone,
                Some(lane) => {
                    let (tx, rx) = watch::channel(None);
                    lane.next = Some(Next { skus: skus.iter().cloned().collect(), rows: rx });
                    Role::LeadNext(tx, lane.in_flight.clone())
                }
            }
        };
        match role {
            Role::Alone => read(skus.to_vec()).await.map(Arc::new),
            Role::Join(mut rows) => {
                metrics::counter!("odoo_mesh_odoo_batched_reads_total").increment(1);
                let shared = rows.wait_for(Option::is_some).await.ok().and_then(|rows| rows.clone());
                match shared {
                    Some(rows) => rows,
                    None => read(skus.to_vec()).await.map(Arc::new),
                }
            }
            Role::Lead(tx) => {
                let _lane = InFlight { batcher: self, warehouse, answer: tx.subscribe() };
                let rows = read(skus.to_vec()).await.map(Arc::new);
                let _ = tx.send(Some(rows.clone()));
                rows
            }
            Role::LeadNext(tx, mut ahead) => {
                let mut next = Gathering { batcher: self, warehouse, taken: false };
                // Ended or abandoned, the batch ahead leaves the warehouse to this one; a slow one
                // does not hold it past the window.
                tokio::select! {
                    _ = ahead.wait_for(Option::is_some) => {}
                    () = tokio::time::sleep(WINDOW) => {}
                }
                let batch = next.take(&tx).unwrap_or_else(|| skus.iter().cloned().collect());
                let _lane = InFlight { batcher: self, warehouse, answer: tx.subscribe() };
                let rows = read(batch.into_iter().collect()).await.map(Arc::new);
                let _ = tx.send(Some(rows.clone()));
                rows
            }
        }
    }
}

/// A batch in flight: when it ends (or its caller is cancelled), the warehouse is free again —
/// unless a later batch took the lane over, or a next one has gathered, whose leader will.
struct InFlight<'a> {
    batcher: &'a StockBatcher,
    warehouse: i64,
    answer: Answer,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut lanes = self.batcher.lanes.lock().expect("batch lock");
        let ours = |lane: &Lane| lane.in_flight.same_channel(&self.answer) && lane.next.is_none();
        if lanes.get(&self.warehouse).is_some_and(ours) {
            lanes.remove(&self.warehouse);
        }
    }
}

/// The next batch while it gathers: its leader takes it to read, or, cancelled before that,
/// closes it so that the callers in it read on their own.
struct Gathering<'a> {
    batcher: &'a StockBatcher,
    warehouse: i64,
    taken: bool,
}

impl Gathering<'_> {
    /// Takes the batch's SKUs and makes it the one in flight; no one can join it any more.
    fn take(&mut self, rows: &watch::Sender<Option<Rows>>) -> Option<BTreeSet<String>> {
        self.taken = true;
        let mut lanes = self.batcher.lanes.lock().expect("batch lock");
        // The lane stays while its next batch gathers: neither end of a batch removes it then.
        let lane = lanes.get_mut(&self.warehouse)?;
        lane.in_flight = rows.subscribe();
        lane.next.take().map(|next| next.skus)
    }
}

impl Drop for Gathering<'_> {
    fn drop(&mut self) {
        if !self.taken {
            let mut lanes = self.batcher.lanes.lock().expect("batch lock");
            if let Some(lane) = lanes.get_mut(&self.warehouse) {
                lane.next = None;
                // The batch ahead already ended: nothing is in flight any more.
                if lane.in_flight.borrow().is_some() || lane.in_flight.has_changed().is_err() {
                    lanes.remove(&self.warehouse);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use futures::FutureExt;
    use serde_json::json;

    use super::*;

    /// A read that answers one row per SKU, after `millis` (at once for 0).
    async fn rows(skus: Vec<String>, millis: u64) -> Result<Vec<Record>, OdooError> {
        if millis > 0 {
            tokio::time::sleep(Duration::from_millis(millis)).await;
        }
        Ok(skus.into_iter().map(|sku| Record::from_iter([("default_code".to_owned(), json!(sku))])).collect())
    }

    #[tokio::test]
    async fn a_cancelled_leader_leaves_the_others_to_read_alone_and_no_batch_behind() {
        let batcher = StockBatcher::default();
        let (a, b) = (["A".to_owned()], ["B".to_owned()]);
        // The leader's read takes 200 ms; it gives up after 10, once the follower has joined.
        let leader = tokio::time::timeout(Duration::from_millis(10), batcher.read(1, &a, |s| rows(s, 200)));
        let follower = async {
            tokio::task::yield_now().await;
            batcher.read(1, &b, |s| rows(s, 0)).await
        };
        let (leader, follower) = tokio::join!(leader, follower);
        assert!(leader.is_err(), "the leader gave up");
        let follower = follower.expect("the follower read on its own");
        let codes: Vec<_> = follower.iter().map(|r| r["default_code"].clone()).collect();
        assert_eq!(codes, [json!("B")], "read alone, once the leader was cancelled");
        assert!(batcher.lanes.lock().expect("lock").is_empty(), "no batch left behind");
    }

    #[tokio::test]
    async fn a_lone_read_goes_to_odoo_at_once() {
        let batcher = StockBatcher::default();
        let read = batcher.read(1, &["A".to_owned()], |s| rows(s, 0)).now_or_never();
        assert!(read.is_some_and(|rows| rows.is_ok()), "no batching window to wait out");
        assert!(batcher.lanes.lock().expect("lock").is_empty(), "the warehouse is free again");
    }

    #[tokio::test]
    async fn reads_arriving_while_one_is_in_flight_go_together_in_the_next() {
        let batcher = StockBatcher::default();
        let reads = AtomicUsize::new(0);
        let read = |skus: &'static [&'static str]| {
            let skus: Vec<String> = skus.iter().map(|s| (*s).to_owned()).collect();
            let (batcher, reads) = (&batcher, &reads);
            async move {
                let rows = batcher
                    .read(1, &skus, |batch| {
                        reads.fetch_add(1, Ordering::Relaxed);
                        rows(batch, 20)
                    })
                    .await
                    .expect("rows");
                rows.iter()
                    .filter(|r| skus.contains(&r["default_code"].as_str().unwrap_or_default().to_owned()))
                    .count()
            }
        };
        let first = read(&["A"]);
        let later = async {
            tokio::task::yield_now().await;
            futures::future::join_all([read(&["B", "C"]), read(&["C", "D"]), read(&["E"])]).await
        };
        let (first, later) = tokio::join!(first, later);
        assert_eq!(first, 1);
        assert_eq!(later, [2, 2, 1], "each caller finds its own SKUs in the shared rows");
        assert_eq!(reads.load(Ordering::Relaxed), 2, "the first read, then one for everyone who came during it");
        assert!(batcher.lanes.lock().expect("lock").is_empty(), "the warehouse is free again");
    }

    #[tokio::test]
    async fn a_slow_read_ahead_holds_the_next_batch_no_longer_than_the_window() {
        let (batcher, a, b) = (StockBatcher::default(), ["A".to_owned()], ["B".to_owned()]);
        let slow = batcher.read(1, &a, |s| rows(s, 5_000));
        let next = async {
            tokio::task::yield_now().await;
            tokio::time::timeout(Duration::from_secs(1), batcher.read(1, &b, |s| rows(s, 0))).await
        };
        tokio::select! {
            _ = slow => panic!("the slow read ends after the next batch"),
            read = next => assert!(read.is_ok_and(|rows| rows.is_ok()), "read once the window passed"),
        }
    }
}
