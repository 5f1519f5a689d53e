//! Inventory adjustments from a WMS cycle count: counted quantities per SKU and location,
//! applied through Odoo's inventory mode (a count set on each quant, then applied in one call),
//! all or none. A count is never applied over what Odoo knows and the WMS did not: a count
//! pending in Odoo, stock that moved after the count was taken, or stock that moved while the
//! counts were being applied (Odoo's own conflict check) — each is reported, per count, and
//! nothing is applied.
//!
//! Odoo's inventory moves are the record of an adjustment: each applied count's move carries
//! odoo-mesh's external id `{key}_c{i}`, so a replay answers what each count changed.

use std::collections::{HashMap, HashSet};

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use crate::{
    Inventory,
    command::{self, Command, FlowError, Key, Undo, Violation, refusal},
    models::{Adjustment, Captured, Count, CountResult, Location, Ref},
    odoo::{
        Capability, Model, Odoo, Schema, ir_model_data,
        product::Orderable,
        stock_move::{self, CountMove, MOVE},
        stock_move_line,
        stock_quant::{self, Applied},
        warehouse,
    },
    resolve::{self, Purpose, Violations},
};

/// Counts in one call, at most.
pub const MAX_COUNTS: usize = 1000;

impl Inventory {
    /// Applies counted quantities once per request id (within the caller's scope).
    pub async fn adjust(
        &self,
        request_id: &str,
        counts: Vec<Count>,
        scope: &str,
    ) -> Result<Captured<Adjustment>, FlowError> {
        command::run(self.odoo(), AdjustInventory { counts }, request_id, scope).await
    }

    /// The Odoo model an adjustment's audit record names: the moves that apply the counts.
    pub fn counts_model(&self) -> &'static str {
        MOVE.name
    }
}

#[derive(Debug, Serialize)]
struct AdjustInventory {
    counts: Vec<Count>,
}

/// Each count's product, location and quantity (in the product's unit), and the names of the
/// internal locations.
struct Plan {
    counts: Vec<(i64, i64, Decimal)>,
    places: HashMap<i64, String>,
}

/// One adjustment at a time per process, from the conflict check to the counts applied: two
/// batches counting the same stock must not set each other's counts (Odoo keeps one per quant).
static APPLYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The external id of the move that applied count `i`: `{key}_c{i}`.
const COUNT_MOVE: &str = "c";

impl Command for AdjustInventory {
    type Plan = Plan;
    type Record = Adjustment;
    const KIND: &'static str = "adj";
    const NAME: &'static str = "adjust_inventory";
    const CAPABILITY: Capability = Capability::Inventory;
    const MODEL: Model = MOVE;

    async fn validate(&self, odoo: &Odoo, schema: &Schema) -> Result<Plan, FlowError> {
        let mut violations = Violations::default();
        let (products, locations) = self.named(odoo, schema, &mut violations).await?;
        let units = odoo.units().await?;
        let mut plan = Vec::with_capacity(self.counts.len());
        let mut seen = HashSet::new();
        for (i, (count, product)) in self.counts.iter().zip(&products).enumerate() {
            if !locations.contains_key(&count.location) {
                violations
                    .add(format!("counts[{i}].location"), format!("no internal location locations/{}", count.location));
            }
            let Some(product) = product else { continue };
            if !seen.insert((product.id, count.location)) {
                violations.add(
                    format!("counts[{i}]"),
                    format!("{} is counted twice in locations/{}", count.sku, count.location),
                );
            }
            resolve::same_unit(
                count.unit.as_deref(),
                &product.uom,
                &format!("counts[{i}].counted.unit_of_measure"),
                &mut violations,
            );
            let at = format!("counts[{i}].counted.value");
            resolve::storable_quantity(
                schema,
                &units,
                (&stock_move::QUANTITY, count.counted),
                product.uom.id,
                &at,
                &mut violations,
            );
            plan.push((product.id, count.location, count.counted));
        }
        let places = locations.into_iter().map(|(id, l)| (id, l.complete_name)).collect();
        violations.finish(Plan { counts: plan, places })
    }

    async fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Plan,
        undo: &mut Undo,
    ) -> Result<i64, FlowError> {
        let _one_at_a_time = APPLYING.lock().await;
        self.conflicts(odoo, schema, &plan).await?;
        let before = stock_move::last_id(odoo, schema).await?;
        let quants = match odoo.call(stock_quant::count(schema, &plan.counts)).await {
            Ok(answer) => ir_model_data::ids_of(&answer),
            Err(error) => {
                // The answer may be lost after Odoo set the counts: validation found none pending
                // on these quants, so those pending now are this call's.
                let (products, locations): (Vec<i64>, Vec<i64>) = plan.counts.iter().map(|(p, l, _)| (*p, *l)).unzip();
                if let Ok(found) = stock_quant::counted_at(odoo, schema, &products, &locations).await {
                    let set: Vec<i64> = found.iter().filter(|q| q.pending.is_some()).map(|q| q.id).collect();
                    undo.push("the counts whose answer was lost", vec![stock_quant::clear_counts(&set)]);
                }
                return Err(refusal(error));
            }
        };
        undo.push("the counts set", vec![stock_quant::clear_counts(&quants)]);
        match odoo.call(stock_quant::apply_counts(&quants)).await {
            Ok(answer) => match stock_quant::applied(&answer) {
                Applied::All => {}
                Applied::Outdated(moved) => {
                    // Odoo names the quants that moved; should it not, every count is in doubt.
                    let conflicts = quants
                        .iter()
                        .enumerate()
                        .filter(|(_, q)| moved.is_empty() || moved.contains(q))
                        .map(|(i, _)| {
                            Violation::new(
                                format!("counts[{i}]"),
                                "the stock moved while the counts were being applied",
                            )
                        })
                        .collect();
                    return Err(FlowError::Conflicts(conflicts));
                }
                Applied::Refused(message) => return Err(FlowError::Refused(message)),
            },
            // Lost with the counts applied (none is pending any more), the adjustment is done.
            Err(error) => match stock_quant::still_counted(odoo, schema, &quants).await {
                Ok(pending) if pending.is_empty() => {
                    tracing::warn!(%error, "applying counts answered nothing, but Odoo applied them");
                }
                _ => return Err(refusal(error)),
            },
        }
        Ok(self.link(odoo, schema, key, &plan.counts, before).await)
    }

    async fn recover(&self, odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Option<i64>, FlowError> {
        let linked = ir_model_data::with_prefix(odoo, schema, &key.record_name(COUNT_MOVE)).await?;
        Ok(linked.first().map(|x| x.res_id))
    }

    async fn read(&self, odoo: &Odoo, schema: &Schema, record: i64, _replayed: bool) -> Result<Adjustment, FlowError> {
        let mut violations = Violations::default();
        let (products, locations) = self.named(odoo, schema, &mut violations).await?;
        let moves = linked_moves(odoo, schema, record).await?;
        let results = self
            .counts
            .iter()
            .zip(products)
            .enumerate()
            .filter_map(|(i, (count, product))| {
                let product = product?;
                let location = locations.get(&count.location).map_or_else(
                    || Ref { id: count.location, name: String::new() },
                    |l| Ref { id: l.id, name: l.complete_name.clone() },
                );
                let change = moves.get(&i).map(|mv| {
                    let difference = mv.change_in(count.location);
                    (count.counted - difference, difference)
                });
                Some(CountResult {
                    sku: count.sku.clone(),
                    product: Ref { id: product.id, name: product.name.clone() },
                    uom: product.uom,
                    location,
                    counted: count.counted,
                    change,
                })
            })
            .collect();
        Ok(Adjustment { results })
    }
}

impl AdjustInventory {
    /// The product of each count (a violation for each that has none) and the internal locations.
    async fn named(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        violations: &mut Violations,
    ) -> Result<(Vec<Option<Orderable>>, HashMap<i64, Location>), FlowError> {
        let skus: Vec<&str> = self.counts.iter().map(|c| c.sku.as_str()).collect();
        let (products, locations) = futures::try_join!(
            resolve::products(odoo, schema, ("counts", &skus), Purpose::Count, violations),
            warehouse::locations(odoo, schema, None),
        )?;
        Ok((products, locations.into_iter().map(|l| (l.id, l)).collect()))
    }

    /// Every count Odoo holds something against: a count pending there, stock kept apart (lots,
    /// packages, a third party's) where loose stock was counted, stock moved since the count.
    async fn conflicts(&self, odoo: &Odoo, schema: &Schema, plan: &Plan) -> Result<(), FlowError> {
        let (products, places): (Vec<i64>, Vec<i64>) = plan.counts.iter().map(|(p, l, _)| (*p, *l)).unzip();
        let since = self.counts.iter().filter_map(|c| c.counted_at).min();
        let (quants, moved) = futures::try_join!(stock_quant::counted_at(odoo, schema, &products, &places), async {
            match since {
                Some(since) => stock_move_line::moved_since(odoo, schema, &products, &places, since).await,
                None => Ok(Vec::new()),
            }
        },)?;
        let place = |id: i64| plan.places.get(&id).cloned().unwrap_or_else(|| format!("locations/{id}"));
        let (mut apart, mut conflicts) = (Violations::default(), Vec::new());
        for (i, ((product, location, _), count)) in plan.counts.iter().zip(&self.counts).enumerate() {
            let here: Vec<_> = quants.iter().filter(|q| q.product == *product && q.location == *location).collect();
            if here.iter().any(|q| q.apart) {
                apart.add(
                    format!("counts[{i}]"),
                    format!(
                        "{} in {} is kept in lots, packages or for a third party; counts are of loose stock",
                        count.sku,
                        place(*location)
                    ),
                );
            }
            if let Some((counted, by)) = here.iter().find_map(|q| q.pending.clone()) {
                let by = by.map(|u| format!(" by {u}")).unwrap_or_default();
                let description = format!(
                    "{} in {} was counted in Odoo{by} ({} found) and that count is not applied yet",
                    count.sku,
                    place(*location),
                    counted.normalize()
                );
                conflicts.push(Violation::new(format!("counts[{i}]"), description));
                continue;
            }
            let Some(taken) = count.counted_at else { continue };
            let since_count =
                moved.iter().filter(|m| m.product == *product && m.at.is_some_and(|at| at >= truncated(taken)));
            if let Some(m) = since_count.into_iter().find(|m| m.from == Some(*location) || m.to == Some(*location)) {
                let direction = if m.to == Some(*location) { "into" } else { "out of" };
                let when = m.at.map(|at| crate::odoo::odoo_datetime(at) + " UTC").unwrap_or_default();
                let description = format!(
                    "{} moved {direction} {} at {when} ({}), after the count was taken",
                    count.sku,
                    place(*location),
                    m.reference
                );
                conflicts.push(Violation::new(format!("counts[{i}]"), description));
            }
        }
        apart.finish(())?;
        if conflicts.is_empty() { Ok(()) } else { Err(FlowError::Conflicts(conflicts)) }
    }

    /// Ties each count to the inventory move that applied it (external ids `{key}_c{i}`), so a
    /// replay can answer what it changed; the first one's move is the command's record. The
    /// counts are applied whatever happens here: a failure only costs the replay that detail.
    async fn link(&self, odoo: &Odoo, schema: &Schema, key: &Key, plan: &[(i64, i64, Decimal)], before: i64) -> i64 {
        let products: Vec<i64> = plan.iter().map(|(p, _, _)| *p).collect();
        let moves = match stock_move::counts_after(odoo, schema, before, &products).await {
            Ok(moves) => moves,
            Err(error) => {
                tracing::warn!(%error, "the counts are applied, but their moves could not be read");
                return 0;
            }
        };
        let mut taken = HashSet::new();
        let names: Vec<(String, i64)> = plan
            .iter()
            .enumerate()
            .filter_map(|(i, (product, location, _))| {
                let mv =
                    moves.iter().find(|m| m.product == *product && m.touches(*location) && !taken.contains(&m.id))?;
                taken.insert(mv.id);
                Some((key.record_name(&format!("{COUNT_MOVE}{i}")), mv.id))
            })
            .collect();
        let rows: Vec<(&str, &str, i64)> = names.iter().map(|(name, id)| (name.as_str(), MOVE.name, *id)).collect();
        if let Err(error) = ir_model_data::create(odoo, schema, &rows).await {
            tracing::warn!(%error, "the counts are applied, but their moves could not be tied to the request");
        }
        names.first().map_or(0, |(_, id)| *id)
    }
}

/// The moves tied to an adjustment whose first move is `record`, by count.
async fn linked_moves(odoo: &Odoo, schema: &Schema, record: i64) -> Result<HashMap<usize, CountMove>, FlowError> {
    let linked = ir_model_data::siblings(odoo, schema, MOVE, record, COUNT_MOVE).await?;
    let ids: Vec<i64> = linked.iter().map(|(_, id)| *id).collect();
    let index: HashMap<i64, usize> = linked.into_iter().map(|(i, id)| (id, i)).collect();
    let moves = stock_move::count_moves(odoo, schema, &ids).await?;
    Ok(moves.into_iter().filter_map(|m| Some((*index.get(&m.id)?, m))).collect())
}

/// Odoo keeps whole seconds.
fn truncated(at: OffsetDateTime) -> OffsetDateTime {
    at.replace_nanosecond(0).unwrap_or(at)
}
