//! Identical reads in flight at the same moment share one Odoo call: fifty storefront requests for
//! the same SKUs cost Odoo one `search_read`. The first caller runs the call; callers arriving while
//! it runs wait for its answer. The key leaves before the answer is shared, so a read that starts
//! after an answer exists goes to Odoo again: coalescing never serves stale data. Nor does it
//! break read-your-writes: a read never joins one that started before a write of this process
//! finished (which might predate the write's commit). If the first caller is cancelled (its
//! deadline passed), the others run the call themselves.

use std::{
    collections::HashMap,
    future::Future,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::{OdooCall, OdooError};

type Answer = Option<Result<Value, OdooError>>;

#[derive(Debug, Default)]
pub(crate) struct Coalescer {
    in_flight: Mutex<HashMap<String, watch::Receiver<Answer>>>,
    /// Writes finished so far: reads only share with reads that started after the same write.
    writes: AtomicU64,
}

/// What makes two calls the same: everything sent to Odoo (the client is per Odoo user).
pub(crate) fn key(call: &OdooCall) -> String {
    json!([call.model, call.method, call.ids, call.params, call.context]).to_string()
}

impl Coalescer {
    /// Records that a write finished: reads issued from now on see it, so they must not share the
    /// answer of a read that started earlier.
    pub(crate) fn wrote(&self) {
        self.writes.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) async fn run(
        &self,
        key: String,
        call: impl Future<Output = Result<Value, OdooError>>,
    ) -> Result<Value, OdooError> {
        let key = format!("{}:{key}", self.writes.load(Ordering::SeqCst));
        let joined = {
            let mut in_flight = self.in_flight.lock().expect("coalescer lock");
            match in_flight.get(&key) {
                Some(answer) => Err(answer.clone()),
                None => {
                    let (tx, rx) = watch::channel(None);
                    in_flight.insert(key.clone(), rx);
                    Ok(tx)
                }
            }
        };
        match joined {
            Ok(tx) => {
                let leave = Leave { coalescer: self, key };
                let result = call.await;
                drop(leave);
                let _ = tx.send(Some(result.clone()));
                result
            }
            Err(mut answer) => {
                metrics::counter!("odoo_mesh_odoo_coalesced_calls_total").increment(1);
                let shared = answer.wait_for(Option::is_some).await.ok().and_then(|answer| answer.clone());
                match shared {
                    Some(result) => result,
                    // The first caller was cancelled before Odoo answered.
                    None => call.await,
                }
            }
        }
    }
}

/// Removes the key when the first caller finishes or is cancelled.
struct Leave<'a> {
    coalescer: &'a Coalescer,
    key: String,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        self.coalescer.in_flight.lock().expect("coalescer lock").remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    #[tokio::test]
    async fn a_read_issued_after_a_write_never_shares_an_earlier_read() {
        let coalescer = Arc::new(Coalescer::default());
        let (release, gate) = tokio::sync::oneshot::channel::<()>();
        let early = tokio::spawn({
            let coalescer = coalescer.clone();
            async move {
                coalescer
                    .run("read".into(), async {
                        let _ = gate.await;
                        Ok(json!("before the write"))
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        let joiner = tokio::spawn({
            let coalescer = coalescer.clone();
            async move { coalescer.run("read".into(), async { Ok(json!("its own")) }).await }
        });
        tokio::time::sleep(Duration::from_millis(20)).await;

        coalescer.wrote();
        let after = tokio::time::timeout(
            Duration::from_secs(1),
            coalescer.run("read".into(), async { Ok(json!("after the write")) }),
        )
        .await
        .expect("does not wait for the read that began before the write");
        assert_eq!(after.expect("answered"), json!("after the write"), "not the answer of a read that began before");

        release.send(()).expect("released");
        assert_eq!(early.await.expect("joined").expect("answered"), json!("before the write"));
        assert_eq!(joiner.await.expect("joined").expect("answered"), json!("before the write"), "shared");
    }
}
