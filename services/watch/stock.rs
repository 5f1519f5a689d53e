//! The watched stock view: loaded once from Odoo, kept current by one capture task that polls
//! `stock.quant`/`stock.move` changes (sooner when Odoo's webhook says something happened), reads
//! the levels of the products touched, and publishes what really changed. A periodic
//! reconciliation re-reads everything and publishes any difference the polls missed — counted,
//! because in a correct system there is none.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
    time::{Duration, SystemTime},
};

use odoo_adapter::{
    ChangeFeed, Inventory, Odoo, OdooError, STOCK_SOURCES,
    models::{Location, ProductLevel, ProductLevels, SkuStock, StockFigures, Warehouse},
};
use parking_lot::RwLock;
use tokio::sync::Notify;

use super::hub::{Hub, Watched};

/// The stock figure fields, by their protobuf names.
const FIGURES: [&str; 6] = ["on_hand", "reserved", "available_to_promise", "incoming", "outgoing", "forecast"];

impl Watched for ProductLevel {
    /// Product, warehouse, and location (0 for the warehouse as a whole).
    type Key = (i64, i64, i64);

    fn key(&self) -> Self::Key {
        (self.product.id, self.warehouse.id, self.location.as_ref().map_or(0, |l| l.id))
    }

    fn changed_fields(&self, before: Option<&Self>) -> Vec<&'static str> {
        let Some(before) = before else {
            return FIGURES.to_vec();
        };
        let (a, b) = (&self.figures, &before.figures);
        let pairs = [
            (a.on_hand, b.on_hand),
            (a.reserved, b.reserved),
            (a.available, b.available),
            (a.incoming, b.incoming),
            (a.outgoing, b.outgoing),
            (a.forecast, b.forecast),
        ];
        FIGURES.iter().zip(pairs).filter(|(_, (now, then))| now != then).map(|(name, _)| *name).collect()
    }
}

/// How the capture task runs.
#[derive(Debug, Clone, Copy)]
pub struct CaptureSettings {
    pub poll_interval: Duration,
    pub reconcile_interval: Duration,
    /// After a webhook, how long to let Odoo commit before polling (it calls inside its transaction).
    pub webhook_delay: Duration,
    /// After a webhook, when to poll once more, for a transaction slower to commit.
    pub webhook_follow_up: Duration,
}

/// The stock view and what feeds it.
pub struct StockView {
    pub hub: Arc<Hub<ProductLevel>>,
    /// SKU → product ids in the view (Odoo does not keep SKUs unique).
    skus: RwLock<HashMap<String, Vec<i64>>>,
    warehouses: RwLock<Vec<Warehouse>>,
    /// The internal locations, which a watch may ask for.
    locations: RwLock<Vec<Location>>,
    /// Products whose stock Odoo holds in a form odoo-mesh cannot decode (reported as such): the
    /// view keeps their last readable levels, which it must not serve as current.
    unreadable: RwLock<HashSet<i64>>,
    wake: Notify,
}

impl StockView {
    pub fn new(hub: Arc<Hub<ProductLevel>>) -> Self {
        Self {
            hub,
            skus: RwLock::new(HashMap::new()),
            warehouses: RwLock::new(Vec::new()),
            locations: RwLock::new(Vec::new()),
            unreadable: RwLock::new(HashSet::new()),
            wake: Notify::new(),
        }
    }

    /// Whether the view knows this warehouse.
    pub fn has_warehouse(&self, id: i64) -> bool {
        self.warehouses.read().iter().any(|w| w.id == id)
    }

    /// Whether the view knows this internal location.
    pub fn has_location(&self, id: i64) -> bool {
        self.locations.read().iter().any(|l| l.id == id)
    }

    /// Asks for a poll now (Odoo's webhook fired). The payload is never trusted: the poll re-reads.
    pub fn poke(&self) {
        self.wake.notify_one();
    }

    /// Levels of these SKUs from the view, when it is at most `max_staleness` old and knows every
    /// SKU and warehouse asked for; `None` sends the caller to Odoo.
    pub fn stock_levels(
        &self,
        skus: &[String],
        warehouses: &[i64],
        max_staleness: Duration,
    ) -> Option<(Vec<(String, SkuStock)>, SystemTime)> {
        let fresh_at = self.hub.fresh_at()?;
        if SystemTime::now().duration_since(fresh_at).unwrap_or_default() > max_staleness {
            return None;
        }
        let index = self.skus.read();
        let unreadable = self.unreadable.read();
        let mut answers = Vec::with_capacity(skus.len());
        for sku in skus {
            let stock = match index.get(sku).map(Vec::as_slice) {
                // Odoo answers for a product the view cannot vouch for: as undecodable, today.
                None | Some([]) => return None,
                Some([product]) if unreadable.contains(product) => return None,
                Some([product]) => {
                    // The product's keys only, in warehouse order: no scan of the whole view.
                    let mut levels = self.hub.items_in((*product, i64::MIN, 0)..=(*product, i64::MAX, 0));
                    levels.retain(|l| l.location.is_none());
                    let chosen: Vec<&ProductLevel> = if warehouses.is_empty() {
                        levels.iter().collect()
                    } else {
                        warehouses
                            .iter()
                            .map(|wh| levels.iter().find(|l| l.warehouse.id == *wh))
                            .collect::<Option<_>>()?
                    };
                    let first = chosen.first()?;
                    SkuStock::Found {
                        product: first.product.clone(),
                        uom: first.uom.clone(),
                        levels: chosen.iter().map(|l| (l.warehouse.clone(), l.figures.clone())).collect(),
                    }
                }
                Some(ids) => SkuStock::Ambiguous { product_ids: ids.to_vec() },
            };
            answers.push((sku.clone(), stock));
        }
        Some((answers, fresh_at))
    }

    fn index(&self, levels: &[ProductLevel]) {
        let mut index = self.skus.write();
        for level in levels {
            if let Some(sku) = &level.sku {
                let ids = index.entry(sku.clone()).or_default();
                if !ids.contains(&level.product.id) {
                    ids.push(level.product.id);
                }
            }
        }
    }

    /// The capture task: loads the view, then polls until the process stops.
    pub async fn capture(self: Arc<Self>, inventory: &Inventory, odoo: Arc<Odoo>, settings: CaptureSettings) {
        let mut changes = loop {
            let started = SystemTime::now();
            match self.load(inventory, started).await {
                Ok(()) => {
                    let _ = self.hub.set_unavailable(None);
                    let overlap = self.hub.retention().overlap;
                    break ChangeFeed::new(odoo.clone(), STOCK_SOURCES, overlap, started.into());
                }
                Err(error) => {
                    let missing = missing_capability(&error);
                    // A missing module is said once; it answers every watch until it is installed.
                    if self.hub.set_unavailable(missing.clone()) || missing.is_none() {
                        tracing::warn!(%error, "loading the stock view failed; retrying");
                    }
                    metrics::counter!("odoo_mesh_watch_polls_total", "stream" => "stock", "outcome" => "error")
                        .increment(1);
                    tokio::time::sleep(settings.poll_interval).await;
                }
            }
        };
        // Exported at zero from the start: the first difference, however far off, shows as an increase.
        metrics::counter!("odoo_mesh_watch_reconcile_differences_total", "stream" => "stock").increment(0);
        let mut next_reconcile = tokio::time::Instant::now() + settings.reconcile_interval;
        let mut clock = PollClock::new(&self.wake, settings);
        loop {
            clock.tick().await;
            let started = SystemTime::now();
            let reconcile = tokio::time::Instant::now() >= next_reconcile;
            let outcome = self.poll(inventory, &mut changes, started).await;
            let outcome = match (outcome, reconcile) {
                (Ok(()), true) => {
                    next_reconcile = tokio::time::Instant::now() + settings.reconcile_interval;
                    self.reconcile(inventory, started).await
                }
                (outcome, _) => outcome,
            };
            record_poll("stock", outcome.as_ref().map_err(ToString::to_string), started);
        }
    }

    /// Loads the view as Odoo is from `started` on.
    async fn load(&self, inventory: &Inventory, started: SystemTime) -> Result<(), OdooError> {
        self.refresh_places(inventory).await?;
        let levels = self.levels(inventory, None).await?;
        tracing::info!(keys = levels.len(), "stock view loaded");
        self.hub.load(levels, started);
        Ok(())
    }

    /// Re-reads the warehouses and internal locations there are now.
    async fn refresh_places(&self, inventory: &Inventory) -> Result<(), OdooError> {
        let warehouses = inventory.warehouses().await?;
        let locations = inventory.locations(None).await?;
        *self.warehouses.write() = warehouses;
        *self.locations.write() = locations;
        Ok(())
    }

    /// The levels of these products (every storable one when `None`) per warehouse and per
    /// internal location. A location the product has left altogether (its quant deleted, no move
    /// pending) is reported with zero levels, since Odoo no longer lists it. A product Odoo holds
    /// figures of that cannot be decoded is left out, and noted as such (see `unreadable`).
    async fn levels(&self, inventory: &Inventory, ids: Option<&[i64]>) -> Result<Vec<ProductLevel>, OdooError> {
        let warehouses = self.warehouses.read().clone();
        let ProductLevels { mut levels, unreadable } = inventory.product_levels(ids, &warehouses).await?;
        self.index(&levels);
        let locations = self.locations.read().clone();
        let by_location = inventory.location_levels(&levels, &locations).await?;
        let unreadable: HashSet<i64> = unreadable.into_iter().chain(by_location.unreadable).collect();
        let present: HashSet<_> = by_location.levels.iter().map(Watched::key).collect();
        let in_scope = |l: &ProductLevel| ids.is_none_or(|ids| ids.contains(&l.product.id));
        // A product that cannot be decoded has not left its locations: it is left as it was.
        let vanished = self.hub.items(&|l: &ProductLevel| {
            l.location.is_some() && in_scope(l) && !unreadable.contains(&l.product.id) && !present.contains(&l.key())
        });
        levels.extend(by_location.levels);
        levels.extend(vanished.into_iter().map(|l| ProductLevel { figures: StockFigures::default(), ..l }));
        let mut known = self.unreadable.write();
        match ids {
            None => known.clear(),
            Some(ids) => ids.iter().for_each(|id| {
                known.remove(id);
            }),
        }
        known.extend(unreadable);
        Ok(levels)
    }

    async fn poll(
        &self,
        inventory: &Inventory,
        changes: &mut ChangeFeed,
        started: SystemTime,
    ) -> Result<(), OdooError> {
        let polled = changes.poll().await?;
        if polled.records.is_empty() {
            changes.confirm(polled);
            self.hub.advance(started);
            return Ok(());
        }
        let ids: Vec<i64> = polled.records.keys().copied().collect();
        let levels = self.levels(inventory, Some(&ids)).await?;
        let stamped = stamp(levels, &polled.records, started);
        let published = self.hub.apply(stamped, started);
        tracing::debug!(products = ids.len(), published = published.len(), "stock changes applied");
        changes.confirm(polled);
        Ok(())
    }

    /// Re-reads every level; whatever differs from the view is published and counted.
    async fn reconcile(&self, inventory: &Inventory, started: SystemTime) -> Result<(), OdooError> {
        self.refresh_places(inventory).await?;
        let levels = self.levels(inventory, None).await?;
        let missed = levels
            .iter()
            .filter(|l| self.hub.get(&l.key()).is_some_and(|known| !l.changed_fields(Some(&known)).is_empty()))
            .count();
        self.hub.apply(levels.into_iter().map(|l| (l, started)).collect(), started);
        if missed > 0 {
            tracing::warn!(missed, "reconciliation found stock changes the polls had not seen");
        }
        metrics::counter!("odoo_mesh_watch_reconcile_differences_total", "stream" => "stock")
            .increment(u64::try_from(missed).unwrap_or(u64::MAX));
        Ok(())
    }
}

/// When a capture polls: every poll interval; and after a webhook's poke, soon (once Odoo, which
/// calls from inside its transaction, has had a moment to commit) and once more a little later,
/// for a transaction slower to commit.
pub(super) struct PollClock<'a> {
    wake: &'a Notify,
    settings: CaptureSettings,
    follow_up: Option<tokio::time::Instant>,
}

impl<'a> PollClock<'a> {
    pub(super) fn new(wake: &'a Notify, settings: CaptureSettings) -> Self {
        Self { wake, settings, follow_up: None }
    }

    /// Waits until the next poll is due.
    pub(super) async fn tick(&mut self) {
        let due = self.follow_up;
        let follow_up = async move {
            match due {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = tokio::time::sleep(self.settings.poll_interval) => {}
            () = follow_up => self.follow_up = None,
            () = self.wake.notified() => {
                tokio::time::sleep(self.settings.webhook_delay).await;
                self.follow_up = Some(tokio::time::Instant::now() + self.settings.webhook_follow_up);
            }
        }
    }
}

/// Counts a poll that started at `started`; a successful one dates the view.
pub(super) fn record_poll(stream: &'static str, outcome: Result<&(), String>, started: SystemTime) {
    let label = if outcome.is_ok() { "ok" } else { "error" };
    metrics::counter!("odoo_mesh_watch_polls_total", "stream" => stream, "outcome" => label).increment(1);
    match outcome {
        Ok(()) => {
            let at = started.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            metrics::gauge!("odoo_mesh_watch_view_updated_timestamp_seconds", "stream" => stream).set(at.as_secs_f64());
        }
        Err(error) => tracing::warn!(stream, %error, "change poll failed; the view is not advancing"),
    }
}

/// Pairs each level with when Odoo changed its product (the newest `write_date` that touched it).
fn stamp(
    levels: Vec<ProductLevel>,
    changed: &BTreeMap<i64, time::OffsetDateTime>,
    fallback: SystemTime,
) -> Vec<(ProductLevel, SystemTime)> {
    levels
        .into_iter()
        .map(|level| {
            let at = changed.get(&level.product.id).map_or(fallback, |at| SystemTime::from(*at));
            (level, at)
        })
        .collect()
}

/// Why a view cannot be read from this Odoo at all, when that is why a load failed.
pub(super) fn missing_capability(error: &OdooError) -> Option<String> {
    match error {
        OdooError::Unsupported { message } => Some(message.clone()),
        _ => None,
    }
}
