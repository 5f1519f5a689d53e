//! Stock reads for the same warehouse that arrive within a few milliseconds of each other are
//! merged into one Odoo read of all their SKUs; each caller then picks its own rows. Under a
//! storefront burst, Odoo answers one `search_read` per warehouse instead of one per request.
//! A batch that would grow past `MAX_SKUS` is not joined: that caller reads on its own. If the
//! caller running a batch is cancelled, the others read on their own too.

use std::{
    collections::{BTreeSet, HashMap},
    future::Future,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::watch;

use crate::{OdooError, odoo::Record};

/// How long a batch stays open for more SKUs: the latency every stock read pays for batching.
pub(crate) const WINDOW: Duration = Duration::from_millis(2);
/// Largest SKU set read at once (GetStockLevels accepts 1,000 per call).
const MAX_SKUS: usize = 5_000;

type Rows = Result<Arc<Vec<Record>>, OdooError>;

#[derive(Debug, Default)]
pub(crate) struct StockBatcher {
    open: Mutex<HashMap<i64, Open>>,
}

#[derive(Debug)]
struct Open {
    skus: BTreeSet<String>,
    rows: watch::Receiver<Option<Rows>>,
}

impl StockBatcher {
    /// The rows of `read(skus)` for `warehouse`, read together with other callers' SKUs.
    pub(crate) async fn read<F, Fut>(&self, warehouse: i64, skus: &[String], read: F) -> Rows
    where
        F: FnOnce(Vec<String>) -> Fut,
        Fut: Future<Output = Result<Vec<Record>, OdooError>>,
    {
        let role = {
            let mut open = self.open.lock().expect("batch lock");
            match open.get_mut(&warehouse) {
                Some(batch) if batch.skus.len() + skus.len() <= MAX_SKUS => {
                    batch.skus.extend(skus.iter().cloned());
                    Role::Join(batch.rows.clone())
                }
                Some(_) => Role::Alone,
                None => {
                    let (tx, rx) = watch::channel(None);
                    open.insert(warehouse, Open { skus: skus.iter().cloned().collect(), rows: rx });
                    Role::Lead(tx)
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
                let mut close = Close { batcher: self, warehouse, closed: false };
                tokio::time::sleep(WINDOW).await;
                let batch = close.close().unwrap_or_else(|| skus.iter().cloned().collect());
                let rows = read(batch.into_iter().collect()).await.map(Arc::new);
                let _ = tx.send(Some(rows.clone()));
                rows
            }
        }
    }
}

enum Role {
    Lead(watch::Sender<Option<Rows>>),
    Join(watch::Receiver<Option<Rows>>),
    Alone,
}

/// Closes the leader's batch: when the window ends, or when the leader is cancelled before that.
/// Once closed, the warehouse's next batch is someone else's: dropping must not remove it.
struct Close<'a> {
    batcher: &'a StockBatcher,
    warehouse: i64,
    closed: bool,
}

impl Close<'_> {
    /// Takes the batch's SKUs; no one can join it any more.
    fn close(&mut self) -> Option<BTreeSet<String>> {
        self.closed = true;
        self.batcher.open.lock().expect("batch lock").remove(&self.warehouse).map(|batch| batch.skus)
    }
}

impl Drop for Close<'_> {
    fn drop(&mut self) {
        if !self.closed {
            self.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A read that answers one row per SKU, after `millis`.
    async fn rows(skus: Vec<String>, millis: u64) -> Result<Vec<Record>, OdooError> {
        tokio::time::sleep(Duration::from_millis(millis)).await;
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
        assert_eq!(codes, [json!("B")], "read alone, after the leader was cancelled");
        assert!(batcher.open.lock().expect("lock").is_empty(), "no batch left behind");
    }
}
