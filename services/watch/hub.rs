//! The watch cache of one kind of record (stock levels, orders, shipments): the current state of
//! every key, and a bounded log of changes, each with a revision. One capture task writes it; any
//! number of streams read it, each at its own cursor, so Odoo's load never depends on how many
//! clients watch (as Kubernetes' watch cache and etcd's watchable store do).
//!
//! The view and the log change together under one lock: a stream that takes a snapshot and the
//! revision it reflects can never miss, between the two, a change it would not also be sent.

use std::{
    collections::{BTreeMap, VecDeque},
    sync::Arc,
    time::{Duration, SystemTime},
};

use parking_lot::RwLock;
use tokio::sync::watch;

use super::token::ResumeToken;

/// A record kind that can be watched.
pub trait Watched: Clone + Send + Sync + 'static {
    /// Ordered, so that reads can take a range of keys (a product's levels) without a scan.
    type Key: Clone + Ord + Send + Sync;
    fn key(&self) -> Self::Key;
    /// The fields a client sees differ from `before` (all of them for a new key); empty when the
    /// two look the same to a client, which is then told nothing.
    fn changed_fields(&self, before: Option<&Self>) -> Vec<&'static str>;
}

/// One change as streams deliver it.
#[derive(Debug, Clone)]
pub struct Change<T> {
    pub revision: u64,
    pub item: T,
    pub changed_fields: Vec<&'static str>,
    /// When Odoo made the change (its `write_date`).
    pub change_time: SystemTime,
    /// When odoo-mesh found it: the start of the poll that saw it.
    pub detected_at: SystemTime,
    /// Where a client stands once it has this change and every one before it.
    pub token: ResumeToken,
}

/// How much history a hub keeps, and how far back a resume may reach.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    /// Tokens older than this are refused; log entries older than this are dropped.
    pub window: Duration,
    /// The log never holds more entries than this, whatever the window.
    pub capacity: usize,
    /// How long an Odoo transaction may stay open: its rows may surface this late. Polls re-read
    /// this far back, and resumes on another process look this far back.
    pub overlap: Duration,
}

/// Where a stream starts delivering the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// After this revision: the log still holds everything that came next.
    After(u64),
    /// The log cannot tell what the client missed (another process served it, before this one
    /// was watching): send the current state of every key, then continue from the live log.
    Replay,
}

/// Why a resume token cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResumeRefused {
    /// Older than the retention window: the client must list again.
    Expired,
    /// A revision this process never issued.
    Unknown,
}

/// The log no longer holds the entries after a cursor: the stream fell too far behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trimmed;

/// The changes after a cursor, at most one per key, and where the stream stands after them.
#[derive(Debug)]
pub struct Batch<T> {
    pub changes: Vec<Arc<Change<T>>>,
    pub through: ResumeToken,
}

struct State<T: Watched> {
    /// Every key's item, with when it last changed (or was loaded).
    current: BTreeMap<T::Key, (T, SystemTime)>,
    log: VecDeque<Arc<Change<T>>>,
    latest: u64,
    /// Revision of the last entry dropped from the log.
    trimmed_through: u64,
    /// Every change visible in Odoo at this moment is in the view (the start of the last poll).
    position: SystemTime,
    /// The log holds every change committed after this moment (view load or last trimmed entry).
    covers_since: SystemTime,
    loaded: bool,
}

/// The watch cache. Cheap to share behind an `Arc`.
pub struct Hub<T: Watched> {
    epoch: u64,
    retention: Retention,
    state: RwLock<State<T>>,
    latest: watch::Sender<u64>,
    loaded: watch::Sender<bool>,
    /// Why the view cannot be read at all (Odoo lacks the module it reads), while that holds.
    unavailable: parking_lot::Mutex<Option<String>>,
}

impl<T: Watched> Hub<T> {
    pub fn new(retention: Retention) -> Self {
        Self {
            // Tells this process's revisions from those of a restarted one or another replica.
            epoch: fastrand::u64(1..),
            retention,
            state: RwLock::new(State {
                current: BTreeMap::new(),
                log: VecDeque::new(),
                latest: 0,
                trimmed_through: 0,
                position: SystemTime::UNIX_EPOCH,
                covers_since: SystemTime::now(),
                loaded: false,
            }),
            latest: watch::channel(0).0,
            loaded: watch::channel(false).0,
            unavailable: parking_lot::Mutex::new(None),
        }
    }

    /// Records why the view cannot be read from this Odoo (`None` once it can); whether that is news.
    pub fn set_unavailable(&self, reason: Option<String>) -> bool {
        let mut unavailable = self.unavailable.lock();
        let changed = *unavailable != reason;
        *unavailable = reason;
        changed
    }

    /// Why the view cannot be read from this Odoo, if it cannot.
    pub fn unavailable(&self) -> Option<String> {
        self.unavailable.lock().clone()
    }

    pub fn retention(&self) -> Retention {
        self.retention
    }

    /// Replaces the view with Odoo's state as read from `at` on; the log starts from there.
    pub fn load(&self, items: Vec<T>, at: SystemTime) {
        let mut state = self.state.write();
        state.current = items.into_iter().map(|item| (item.key(), (item, at))).collect();
        state.position = at;
        state.covers_since = at;
        state.loaded = true;
        drop(state);
        self.loaded.send_replace(true);
    }

    /// Waits until the view has been loaded once, for at most `patience`; false if it was not.
    pub async fn loaded_within(&self, patience: Duration) -> bool {
        let mut loaded = self.loaded.subscribe();
        matches!(tokio::time::timeout(patience, loaded.wait_for(|l| *l)).await, Ok(Ok(_)))
    }

    /// Applies what a poll that started at `detected_at` read; items that look the same as the
    /// view's become nothing, the others become changes. Returns the changes published.
    pub fn apply(&self, items: Vec<(T, SystemTime)>, detected_at: SystemTime) -> Vec<Arc<Change<T>>> {
        let mut state = self.state.write();
        let before = state.position;
        let mut published = Vec::new();
        for (item, change_time) in items {
            let key = item.key();
            let changed_fields = item.changed_fields(state.current.get(&key).map(|(known, _)| known));
            if changed_fields.is_empty() {
                continue;
            }
            state.latest += 1;
            let change = Arc::new(Change {
                revision: state.latest,
                item: item.clone(),
                changed_fields,
                change_time,
                detected_at,
                token: ResumeToken { epoch: self.epoch, revision: state.latest, position: before },
            });
            state.current.insert(key, (item, detected_at));
            state.log.push_back(change.clone());
            published.push(change);
        }
        state.position = state.position.max(detected_at);
        self.trim(&mut state);
        let latest = state.latest;
        drop(state);
        if !published.is_empty() {
            self.latest.send_replace(latest);
        }
        published
    }

    /// Records that a poll starting at `at` found nothing new.
    pub fn advance(&self, at: SystemTime) {
        let mut state = self.state.write();
        state.position = state.position.max(at);
        self.trim(&mut state);
    }

    fn trim(&self, state: &mut State<T>) {
        let horizon = SystemTime::now().checked_sub(self.retention.window).unwrap_or(SystemTime::UNIX_EPOCH);
        while let Some(oldest) = state.log.front() {
            if state.log.len() <= self.retention.capacity && oldest.detected_at >= horizon {
                break;
            }
            state.trimmed_through = oldest.revision;
            state.covers_since = state.covers_since.max(oldest.detected_at);
            state.log.pop_front();
        }
    }

    /// Where a stream that has everything up to now stands.
    pub fn position(&self) -> ResumeToken {
        let state = self.state.read();
        ResumeToken { epoch: self.epoch, revision: state.latest, position: state.position }
    }

    /// When the view last caught up with Odoo (`None` before it was first loaded).
    pub fn fresh_at(&self) -> Option<SystemTime> {
        let state = self.state.read();
        state.loaded.then_some(state.position)
    }

    /// The current items the filter keeps, and the position they reflect, read together.
    pub fn snapshot(&self, keep: &dyn Fn(&T) -> bool) -> (Vec<T>, ResumeToken) {
        let state = self.state.read();
        let items = state.current.values().map(|(item, _)| item).filter(|item| keep(item)).cloned().collect();
        (items, ResumeToken { epoch: self.epoch, revision: state.latest, position: state.position })
    }

    /// Items of the view matching `keep`, without a position (for reads, not streams).
    pub fn items(&self, keep: &dyn Fn(&T) -> bool) -> Vec<T> {
        self.state.read().current.values().map(|(item, _)| item).filter(|item| keep(item)).cloned().collect()
    }

    /// Items of the view whose keys fall in `keys`, in key order, without a position.
    pub fn items_in(&self, keys: impl std::ops::RangeBounds<T::Key>) -> Vec<T> {
        self.state.read().current.range(keys).map(|(_, (item, _))| item.clone()).collect()
    }

    /// The view's item under `key`.
    pub fn get(&self, key: &T::Key) -> Option<T> {
        self.state.read().current.get(key).map(|(item, _)| item.clone())
    }

    /// Drops keys that have not changed since `cutoff` from the view (for kinds whose view holds
    /// recent records only, such as orders); a later change brings a key back.
    pub fn forget_unchanged_since(&self, cutoff: SystemTime) {
        self.state.write().current.retain(|_, (_, changed)| *changed >= cutoff);
    }

    /// Wakes when a change is published.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.latest.subscribe()
    }

    /// How many revisions a cursor is behind the newest.
    pub fn lag(&self, cursor: u64) -> u64 {
        self.state.read().latest.saturating_sub(cursor)
    }

    /// The changes after `cursor` that `keep` selects, the newest per key (so a stream that fell
    /// behind catches up with the latest state instead of replaying every step), in revision order.
    pub fn since(&self, cursor: u64, keep: &dyn Fn(&T) -> bool) -> Result<Batch<T>, Trimmed> {
        let state = self.state.read();
        if cursor < state.trimmed_through {
            return Err(Trimmed);
        }
        let skip = usize::try_from(cursor - state.trimmed_through).unwrap_or(usize::MAX);
        let mut slots: Vec<Option<Arc<Change<T>>>> = Vec::new();
        let mut slot_of: BTreeMap<T::Key, usize> = BTreeMap::new();
        for change in state.log.iter().skip(skip).filter(|c| keep(&c.item)) {
            let key = change.item.key();
            let merged = match slot_of.get(&key).and_then(|slot| slots[*slot].take()) {
                Some(earlier) => {
                    let mut fields = earlier.changed_fields.clone();
                    fields.extend(change.changed_fields.iter().filter(|f| !earlier.changed_fields.contains(f)));
                    Arc::new(Change { changed_fields: fields, ..(**change).clone() })
                }
                None => change.clone(),
            };
            slot_of.insert(key, slots.len());
            slots.push(Some(merged));
        }
        Ok(Batch {
            changes: slots.into_iter().flatten().collect(),
            through: ResumeToken { epoch: self.epoch, revision: state.latest, position: state.position },
        })
    }

    /// Where a stream resuming from `token` starts.
    pub fn start_at(&self, token: &ResumeToken, now: SystemTime) -> Result<Start, ResumeRefused> {
        if now.duration_since(token.position).unwrap_or_default() > self.retention.window {
            return Err(ResumeRefused::Expired);
        }
        let state = self.state.read();
        if token.epoch == self.epoch {
            if token.revision > state.latest {
                return Err(ResumeRefused::Unknown);
            }
            if token.revision >= state.trimmed_through {
                return Ok(Start::After(token.revision));
            }
        }
        // Another process (or this one, beyond its log) issued the token. Everything the client
        // lacks was committed after its position, by transactions that started at most an
        // overlap earlier: if this log reaches back that far, it holds all of it.
        let since = token.position.checked_sub(self.retention.overlap).unwrap_or(SystemTime::UNIX_EPOCH);
        if state.covers_since > since {
            return Ok(Start::Replay);
        }
        let seen_before = state.log.partition_point(|c| c.detected_at < since);
        Ok(Start::After(match seen_before {
            0 => state.trimmed_through,
            n => state.log[n - 1].revision,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Level {
        sku: &'static str,
        qty: i64,
    }

    impl Watched for Level {
        type Key = &'static str;
        fn key(&self) -> Self::Key {
            self.sku
        }
        fn changed_fields(&self, before: Option<&Self>) -> Vec<&'static str> {
            if before == Some(self) { vec![] } else { vec!["qty"] }
        }
    }

    fn retention() -> Retention {
        Retention { window: Duration::from_secs(3600), capacity: 1000, overlap: Duration::from_secs(60) }
    }

    fn at(secs: u64) -> SystemTime {
        SystemTime::now() - Duration::from_secs(600) + Duration::from_secs(secs)
    }

    fn publish(hub: &Hub<Level>, sku: &'static str, qty: i64, secs: u64) {
        hub.apply(vec![(Level { sku, qty }, at(secs))], at(secs));
    }

    fn delivered(hub: &Hub<Level>, cursor: u64) -> Vec<(&'static str, i64, u64)> {
        let batch = hub.since(cursor, &|_| true).expect("in the log");
        batch.changes.iter().map(|c| (c.item.sku, c.item.qty, c.revision)).collect()
    }

    #[test]
    fn only_real_changes_are_published() {
        let hub = Hub::new(retention());
        hub.load(vec![Level { sku: "A", qty: 1 }], at(0));
        publish(&hub, "A", 1, 1);
        assert!(delivered(&hub, 0).is_empty());
        publish(&hub, "A", 2, 2);
        assert_eq!(delivered(&hub, 0), [("A", 2, 1)]);
    }

    #[test]
    fn a_lagging_cursor_gets_the_newest_state_per_key_in_revision_order() {
        let hub = Hub::new(retention());
        hub.load(vec![], at(0));
        publish(&hub, "A", 1, 1);
        publish(&hub, "B", 1, 2);
        publish(&hub, "A", 2, 3);
        assert_eq!(delivered(&hub, 0), [("B", 1, 2), ("A", 2, 3)]);
        assert_eq!(delivered(&hub, 2), [("A", 2, 3)]);
    }

    #[test]
    fn a_token_of_this_process_resumes_at_its_revision() {
        let hub = Hub::new(retention());
        hub.load(vec![], at(0));
        publish(&hub, "A", 1, 1);
        publish(&hub, "B", 1, 2);
        let first = hub.since(0, &|_| true).expect("in the log").changes[0].token;
        assert_eq!(hub.start_at(&first, at(3)), Ok(Start::After(1)));
    }

    #[test]
    fn a_token_of_another_process_resumes_from_its_position_minus_the_overlap() {
        let old: Hub<Level> = Hub::new(retention());
        old.load(vec![], at(0));
        let new = Hub::new(retention());
        new.load(vec![], at(0));
        for (i, sku) in ["A", "B", "C"].into_iter().enumerate() {
            publish(&new, sku, 1, 100 * (i as u64 + 1));
        }
        // The client had everything up to second 250 from the old process: the new one resends
        // what it saw from 250 - 60 on.
        let token = ResumeToken { epoch: old.epoch, revision: 7, position: at(250) };
        assert_eq!(new.start_at(&token, at(400)), Ok(Start::After(1)));
    }

    #[test]
    fn a_process_that_started_after_the_position_replays_its_view() {
        let hub: Hub<Level> = Hub::new(retention());
        hub.load(vec![], at(300));
        let token = ResumeToken { epoch: 0, revision: 7, position: at(250) };
        assert_eq!(hub.start_at(&token, at(400)), Ok(Start::Replay));
    }

    #[test]
    fn tokens_beyond_the_window_or_from_the_future_are_refused() {
        let hub: Hub<Level> = Hub::new(Retention { window: Duration::from_secs(60), ..retention() });
        hub.load(vec![], at(0));
        let stale = ResumeToken { epoch: hub.epoch, revision: 0, position: at(0) };
        assert_eq!(hub.start_at(&stale, at(100)), Err(ResumeRefused::Expired));
        let future = ResumeToken { epoch: hub.epoch, revision: 9, position: at(100) };
        assert_eq!(hub.start_at(&future, at(100)), Err(ResumeRefused::Unknown));
    }

    #[test]
    fn a_cursor_behind_a_trimmed_log_is_told_so() {
        let hub = Hub::new(Retention { capacity: 2, ..retention() });
        hub.load(vec![], at(0));
        for (i, sku) in ["A", "B", "C"].into_iter().enumerate() {
            publish(&hub, sku, 1, i as u64 + 1);
        }
        assert!(hub.since(0, &|_| true).is_err());
        assert_eq!(delivered(&hub, 1), [("B", 1, 2), ("C", 1, 3)]);
    }
}
