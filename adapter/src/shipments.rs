//! Shipments as Odoo holds them: a transfer (`stock.picking`) with its moves, read in two calls
//! for any number of transfers.

use std::{collections::HashMap, sync::Arc};

use serde_json::{Map, json};
use time::OffsetDateTime;

use crate::{
    OdooClient, OdooError, SearchOptions,
    fields::{self, Record},
    models::{Shipment, ShipmentKind, ShipmentLine},
};

const PICKING_FIELDS: &[&str] = &[
    "id",
    "name",
    "state",
    "picking_type_code",
    "partner_id",
    "sale_id",
    "purchase_id",
    "move_ids",
    "carrier_id",
    "carrier_tracking_ref",
    "backorder_id",
    "return_id",
    "scheduled_date",
    "date_done",
];
const MOVE_FIELDS: &[&str] = &["id", "product_id", "product_uom_qty", "quantity", "product_uom", "picked"];

/// Shipment reads over one Odoo client.
#[derive(Debug)]
pub struct Shipments {
    odoo: Arc<OdooClient>,
}

impl Shipments {
    pub fn new(odoo: Arc<OdooClient>) -> Self {
        Self { odoo }
    }

    /// The shipments with these ids that exist.
    pub async fn by_id(&self, ids: &[i64]) -> Result<Vec<Shipment>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.odoo.read("stock.picking", ids.to_vec(), PICKING_FIELDS).await?;
        self.shipments_from(&rows).await
    }

    /// Shipments still open, and those changed since `since`, by id.
    pub async fn open_or_changed_since(&self, since: OffsetDateTime) -> Result<Vec<Shipment>, OdooError> {
        let domain =
            json!(["|", ["state", "not in", ["done", "cancel"]], ["write_date", ">=", fields::odoo_datetime(since)]]);
        let options = SearchOptions::ordered("id").in_background();
        let rows = self.odoo.search_read("stock.picking", domain, PICKING_FIELDS, &options, Map::new()).await?;
        self.shipments_from(&rows).await
    }

    async fn shipments_from(&self, rows: &[Record]) -> Result<Vec<Shipment>, OdooError> {
        let move_ids: Vec<i64> = rows.iter().flat_map(|r| fields::id_list(r, "move_ids")).collect();
        let moves =
            if move_ids.is_empty() { Vec::new() } else { self.odoo.read("stock.move", move_ids, MOVE_FIELDS).await? };
        let product_ids: Vec<i64> =
            moves.iter().filter_map(|m| fields::many2one(m, "product_id").ok().flatten().map(|p| p.id)).collect();
        let skus: HashMap<i64, String> = if product_ids.is_empty() {
            HashMap::new()
        } else {
            let products = self.odoo.read("product.product", product_ids, &["default_code"]).await?;
            products.iter().filter_map(|p| Some((fields::id(p).ok()?, fields::text(p, "default_code")?))).collect()
        };
        let lines: HashMap<i64, ShipmentLine> = moves
            .iter()
            .map(|m| {
                let product = fields::many2one(m, "product_id")?
                    .ok_or_else(|| OdooError::Protocol { message: "move without product".into() })?;
                let line = ShipmentLine {
                    id: fields::id(m)?,
                    sku: skus.get(&product.id).cloned(),
                    product,
                    demand: fields::decimal(m, "product_uom_qty")?.normalize(),
                    quantity: fields::decimal(m, "quantity")?.normalize(),
                    unit_of_measure: fields::many2one(m, "product_uom")?.map(|u| u.name).unwrap_or_default(),
                    picked: fields::boolean(m, "picked"),
                };
                Ok((line.id, line))
            })
            .collect::<Result<_, OdooError>>()?;
        rows.iter()
            .map(|r| {
                let kind = match fields::text(r, "picking_type_code").as_deref() {
                    _ if fields::many2one(r, "return_id")?.is_some() => ShipmentKind::Return,
                    Some("incoming") => ShipmentKind::Receipt,
                    Some("outgoing") => ShipmentKind::Delivery,
                    _ => ShipmentKind::Internal,
                };
                Ok(Shipment {
                    id: fields::id(r)?,
                    reference: fields::text(r, "name").unwrap_or_default(),
                    kind,
                    state: fields::text(r, "state").unwrap_or_default(),
                    partner: fields::many2one(r, "partner_id")?,
                    sales_order: fields::many2one(r, "sale_id")?.map(|o| o.id),
                    purchase_order: fields::many2one(r, "purchase_id")?.map(|o| o.id),
                    lines: fields::id_list(r, "move_ids").iter().filter_map(|id| lines.get(id).cloned()).collect(),
                    carrier: fields::many2one(r, "carrier_id")?,
                    tracking_reference: fields::text(r, "carrier_tracking_ref"),
                    backorder_of: fields::many2one(r, "backorder_id")?.map(|b| b.id),
                    scheduled: fields::datetime(r, "scheduled_date")?,
                    done_at: fields::datetime(r, "date_done")?,
                })
            })
            .collect()
    }
}
