//! Shipments as Odoo holds them: a transfer (`stock.picking`) with its moves, the carrier's
//! milestones and the supplier's advance shipping notice odoo-mesh keeps in its chatter — read in
//! a few calls for any number of transfers. What changes them is in `validate`, `tracking`,
//! `returns` and `asn`, each a command of the one idempotent mechanism.

mod asn;
mod returns;
mod tracking;
mod validate;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use rust_decimal::Decimal;
use serde_json::Map;
use time::OffsetDateTime;

pub use self::{
    asn::AsnDraft,
    validate::{Validated, Validation},
};
use crate::{
    OdooError, SearchOptions,
    command::FlowError,
    models::{Asn, LineQuantity, Page, Ref, Shipment, ShipmentLine, ShipmentQuery, TrackingEvent},
    odoo::{Capability, Decoded, Odoo, Record, Schema, mail_message, product, stock_move, stock_picking, uom::Units},
    resolve::{Violations, same_unit, storable_quantity},
};

/// What a note holds: the kind of facts, for `mail_message::kept`.
const TRACKING_NOTES: &str = "tracking";
const ASN_NOTES: &str = "asn";

/// Shipments over one Odoo user's connection.
#[derive(Debug)]
pub struct Shipments {
    odoo: Arc<Odoo>,
}

impl Shipments {
    pub fn new(odoo: Arc<Odoo>) -> Self {
        Self { odoo }
    }

    /// The Odoo model shipments are records of, for audit records.
    pub fn odoo_model(&self) -> &'static str {
        stock_picking::PICKING.name
    }

    /// One shipment; one that cannot be decoded is refused, naming what to correct in Odoo.
    pub async fn get(&self, id: i64) -> Result<Shipment, FlowError> {
        let schema = self.odoo.ready(Capability::Shipments).await?;
        one(&self.odoo, &schema, id).await
    }

    /// One page of deliveries, receipts and returns by ascending id; one that cannot be decoded
    /// is left out of it, and the next page starts after it all the same.
    pub async fn list(&self, query: &ShipmentQuery) -> Result<Page<Shipment>, FlowError> {
        let schema = self.odoo.ready(Capability::Shipments).await?;
        let domain = stock_picking::page_domain(&self.odoo, &schema, query).await?;
        let fields = stock_picking::FIELDS;
        let (rows, more) = self.odoo.page(&schema, stock_picking::PICKING, domain, fields, query.limit).await?;
        let shipments = read(&self.odoo, &schema, &rows).await?;
        Ok(Page { items: shipments.items, more, last_id: shipments.last_id })
    }

    /// The shipments with these ids that exist and can be decoded (one that cannot is left out,
    /// and reported).
    pub async fn by_id(&self, ids: &[i64]) -> Result<Vec<Shipment>, OdooError> {
        let schema = self.odoo.ready(Capability::Shipments).await?;
        let rows = self.odoo.read(&schema, stock_picking::PICKING, ids, stock_picking::FIELDS).await?;
        Ok(read(&self.odoo, &schema, &rows).await?.items)
    }

    /// Shipments still open, and those changed since `since`, by id.
    pub async fn open_or_changed_since(&self, since: OffsetDateTime) -> Result<Vec<Shipment>, OdooError> {
        let schema = self.odoo.ready(Capability::Shipments).await?;
        let domain = stock_picking::open_or_changed_since(&schema, since);
        let options = SearchOptions::ordered("id").in_background();
        let rows = self
            .odoo
            .search(&schema, stock_picking::PICKING, domain, stock_picking::FIELDS, &options, Map::new())
            .await?;
        Ok(read(&self.odoo, &schema, &rows).await?.items)
    }
}

/// The lines of `shipment` that `given` names — by move id, or by SKU when the shipment has one
/// line of it — each with its quantity, checked: named once, in the line's unit, a quantity Odoo
/// stores as given. Each problem is a violation under `lines[i]`; each line comes with its `i`.
pub(crate) fn named_lines<'a>(
    shipment: &'a Shipment,
    given: &[LineQuantity],
    schema: &Schema,
    units: &Units,
    violations: &mut Violations,
) -> Vec<(usize, &'a ShipmentLine, Decimal)> {
    let mut seen = HashSet::new();
    let mut named = Vec::new();
    for (i, quantity) in given.iter().enumerate() {
        let line = match (&quantity.sku, quantity.line_id) {
            (Some(sku), 0) => {
                let of_sku: Vec<&ShipmentLine> =
                    shipment.lines.iter().filter(|l| l.sku.as_ref() == Some(sku)).collect();
                match of_sku.as_slice() {
                    [line] => Some(*line),
                    [] => {
                        violations.add(
                            format!("lines[{i}].sku"),
                            format!("no line of {} is for SKU {sku:?}", shipment.reference),
                        );
                        None
                    }
                    _ => {
                        let problem =
                            format!("several lines of {} are for SKU {sku:?}: name the line", shipment.reference);
                        violations.add(format!("lines[{i}].sku"), problem);
                        None
                    }
                }
            }
            (_, id) => {
                let line = shipment.lines.iter().find(|l| l.id == id);
                if line.is_none() {
                    violations
                        .add(format!("lines[{i}].line_id"), format!("{id} is not a line of {}", shipment.reference));
                }
                line
            }
        };
        let Some(line) = line else { continue };
        if !seen.insert(line.id) {
            violations.add(format!("lines[{i}]"), format!("line {} is given twice", line.id));
            continue;
        }
        let at = format!("lines[{i}].quantity.unit_of_measure");
        same_unit(quantity.unit_of_measure.as_deref(), &line.unit, &at, violations);
        let at = format!("lines[{i}].quantity.value");
        storable_quantity(schema, units, (&stock_move::QUANTITY, quantity.quantity), line.unit.id, &at, violations);
        named.push((i, line, quantity.quantity));
    }
    named
}

/// One shipment by id, on a schema already at hand.
pub(crate) async fn one(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Shipment, FlowError> {
    let rows = odoo.read(schema, stock_picking::PICKING, &[id], stock_picking::FIELDS).await?;
    read(odoo, schema, &rows).await?.single()?.ok_or_else(|| FlowError::NotFound(format!("shipments/{id}")))
}

/// Shipments from their rows; one whose transfer or one of whose moves cannot be decoded is left
/// out (a shipment missing a line would be a wrong one).
async fn read(odoo: &Odoo, schema: &Schema, rows: &[Record]) -> Result<Decoded<Shipment>, OdooError> {
    let pickings = odoo.decode_each(stock_picking::PICKING, rows, stock_picking::decode)?;
    let ids: Vec<i64> = pickings.items.iter().map(|p| p.id).collect();
    let move_ids: Vec<i64> = pickings.items.iter().flat_map(|p| p.moves.iter().copied()).collect();
    let owner: HashMap<i64, i64> = pickings.items.iter().flat_map(|p| p.moves.iter().map(|m| (*m, p.id))).collect();
    let (moves, tracking, asns) = futures::try_join!(
        odoo.read(schema, stock_move::MOVE, &move_ids, stock_move::LINE_FIELDS),
        mail_message::kept::<TrackingEvent>(odoo, schema, stock_picking::PICKING, &ids, TRACKING_NOTES),
        mail_message::kept::<Asn>(odoo, schema, stock_picking::PICKING, &ids, ASN_NOTES),
    )?;
    let Decoded { items: moves, unreadable: unreadable_moves, .. } =
        odoo.decode_each(stock_move::MOVE, &moves, |row| {
            let line = stock_move::decode_line(row);
            match owner.get(&row.id()) {
                Some(picking) => line.map_err(|e| e.part_of(stock_picking::PICKING.name, *picking)),
                None => line,
            }
        })?;
    let product_ids: Vec<i64> = moves.iter().map(|m| m.product.id).collect();
    let skus: HashMap<i64, String> = product::skus(odoo, schema, &product_ids).await?.into_iter().collect();
    let lines: HashMap<i64, ShipmentLine> = moves
        .into_iter()
        .map(|m| {
            let line = ShipmentLine {
                id: m.id,
                sku: skus.get(&m.product.id).cloned(),
                product: m.product,
                demand: m.demand,
                quantity: m.quantity,
                unit: m.unit.unwrap_or(Ref { id: 0, name: String::new() }),
                picked: m.picked,
                done: m.done,
            };
            (line.id, line)
        })
        .collect();
    let mut events: HashMap<i64, Vec<TrackingEvent>> = HashMap::new();
    for note in tracking {
        events.entry(note.document).or_default().push(note.facts);
    }
    // The latest notice of a receipt replaces the earlier ones.
    let notices: HashMap<i64, Asn> = asns.into_iter().map(|note| (note.document, note.facts)).collect();
    let shipments = pickings.map(|p| {
        let mut tracking_events = events.remove(&p.id).unwrap_or_default();
        tracking_events.sort_by_key(|e| e.at);
        Shipment {
            lines: p.moves.iter().filter_map(|id| lines.get(id).cloned()).collect(),
            asn: notices.get(&p.id).cloned(),
            tracking_events,
            id: p.id,
            reference: p.reference,
            kind: p.kind,
            state: p.state,
            partner: p.partner,
            sales_order: p.sales_order,
            purchase_order: p.purchase_order,
            carrier: p.carrier,
            tracking_references: p.tracking_references,
            backorder_of: p.backorder_of,
            backorders: p.backorders,
            return_of: p.return_of,
            returns: p.returns,
            scheduled: p.scheduled,
            done_at: p.done_at,
        }
    });
    Ok(shipments.without_unreadable_parts(&unreadable_moves, |s| s.id))
}
