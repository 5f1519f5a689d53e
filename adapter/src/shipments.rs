//! Shipments as Odoo holds them: a transfer (`stock.picking`) with its moves, read in three calls
//! (transfers, moves, SKUs) for any number of transfers.

use std::{collections::HashMap, sync::Arc};

use serde_json::Map;
use time::OffsetDateTime;

use crate::{
    OdooError, SearchOptions,
    models::{Shipment, ShipmentLine},
    odoo::{Capability, Decoded, Odoo, Record, Schema, product, stock_move, stock_picking},
};

/// Shipment reads over one Odoo user's connection.
#[derive(Debug)]
pub struct Shipments {
    odoo: Arc<Odoo>,
}

impl Shipments {
    pub fn new(odoo: Arc<Odoo>) -> Self {
        Self { odoo }
    }

    /// The shipments with these ids that exist and can be decoded (one that cannot is left out,
    /// and reported).
    pub async fn by_id(&self, ids: &[i64]) -> Result<Vec<Shipment>, OdooError> {
        let schema = self.odoo.ready(Capability::Shipments).await?;
        let rows = self.odoo.read(&schema, stock_picking::PICKING, ids, stock_picking::FIELDS).await?;
        Ok(self.shipments(&schema, &rows).await?.items)
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
        Ok(self.shipments(&schema, &rows).await?.items)
    }

    /// Shipments from their rows; one whose transfer or one of whose moves cannot be decoded is
    /// left out (a shipment missing a line would be a wrong one).
    async fn shipments(&self, schema: &Schema, rows: &[Record]) -> Result<Decoded<Shipment>, OdooError> {
        let pickings = self.odoo.decode_each(stock_picking::PICKING, rows, stock_picking::decode)?;
        let move_ids: Vec<i64> = pickings.items.iter().flat_map(|p| p.moves.iter().copied()).collect();
        let owner: HashMap<i64, i64> = pickings.items.iter().flat_map(|p| p.moves.iter().map(|m| (*m, p.id))).collect();
        let moves = self.odoo.read(schema, stock_move::MOVE, &move_ids, stock_move::LINE_FIELDS).await?;
        let Decoded { items: moves, unreadable: unreadable_moves, .. } =
            self.odoo.decode_each(stock_move::MOVE, &moves, |row| {
                let line = stock_move::decode_line(row);
                match owner.get(&row.id()) {
                    Some(picking) => line.map_err(|e| e.part_of(stock_picking::PICKING.name, *picking)),
                    None => line,
                }
            })?;
        let product_ids: Vec<i64> = moves.iter().map(|m| m.product.id).collect();
        let skus: HashMap<i64, String> = product::skus(&self.odoo, schema, &product_ids).await?.into_iter().collect();
        let lines: HashMap<i64, ShipmentLine> = moves
            .into_iter()
            .map(|m| {
                let line = ShipmentLine {
                    id: m.id,
                    sku: skus.get(&m.product.id).cloned(),
                    product: m.product,
                    demand: m.demand,
                    quantity: m.quantity,
                    unit_of_measure: m.unit.map(|u| u.name).unwrap_or_default(),
                    picked: m.picked,
                };
                (line.id, line)
            })
            .collect();
        let shipments = pickings.map(|p| Shipment {
            lines: p.moves.iter().filter_map(|id| lines.get(id).cloned()).collect(),
            id: p.id,
            reference: p.reference,
            kind: p.kind,
            state: p.state,
            partner: p.partner,
            sales_order: p.sales_order,
            purchase_order: p.purchase_order,
            carrier: p.carrier,
            tracking_reference: p.tracking_reference,
            backorder_of: p.backorder_of,
            scheduled: p.scheduled,
            done_at: p.done_at,
        });
        Ok(shipments.without_unreadable_parts(&unreadable_moves, |s| s.id))
    }
}
