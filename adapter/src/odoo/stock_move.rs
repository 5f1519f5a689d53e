//! `stock.move`: a product moving between locations — the lines of a shipment, and what makes
//! stock incoming or outgoing before it moves. Odoo 19 dropped its `name`; odoo-mesh never reads it.

use rust_decimal::Decimal;
use serde_json::{Map, json};

use super::{DecodeError, Decoded, Field, Model, Odoo, Row, Schema, product};
use crate::{OdooError, SearchOptions, models::Ref};

pub(crate) const MOVE: Model = Model::new("stock.move", "stock");
pub(crate) const PRODUCT: Field = MOVE.field("product_id");
/// The demand, in the move's unit.
pub(crate) const DEMAND: Field = MOVE.field("product_uom_qty");
/// The demand in the product's unit.
const PRODUCT_QUANTITY: Field = MOVE.field("product_qty");
/// Reserved, or picked once `picked`, in the move's unit.
pub(crate) const QUANTITY: Field = MOVE.field("quantity");
const UNIT: Field = MOVE.field("product_uom");
pub(crate) const PICKED: Field = MOVE.field("picked");
pub(crate) const STATE: Field = MOVE.field("state");
const SOURCE: Field = MOVE.field("location_id");
const DESTINATION: Field = MOVE.field("location_dest_id");
pub(crate) const PICKING: Field = MOVE.field("picking_id");
pub(crate) const UPDATED: Field = MOVE.field("write_date");

pub(crate) const FIELDS: &[Field] =
    &[PRODUCT, DEMAND, PRODUCT_QUANTITY, QUANTITY, UNIT, PICKED, STATE, SOURCE, DESTINATION, PICKING, UPDATED];

/// Moves in these states are still to happen: their goods count as incoming or outgoing.
const PENDING: [&str; 4] = ["waiting", "confirmed", "partially_available", "assigned"];

/// A move still to happen, in the product's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingMove {
    pub(crate) product: i64,
    pub(crate) from: Option<i64>,
    pub(crate) to: Option<i64>,
    pub(crate) quantity: Decimal,
}

/// The moves of these products still to happen. A move that cannot be decoded is left out and
/// reported as a part of its product, whose levels it would falsify.
pub(crate) async fn pending_of(
    odoo: &Odoo,
    schema: &Schema,
    products: &[i64],
    options: &SearchOptions,
) -> Result<Decoded<PendingMove>, OdooError> {
    let domain = json!([schema.term(&PRODUCT, "in", json!(products)), schema.term(&STATE, "in", json!(PENDING))]);
    let fields = [PRODUCT, SOURCE, DESTINATION, PRODUCT_QUANTITY];
    let rows = odoo.search(schema, MOVE, domain, &fields, options, Map::new()).await?;
    odoo.decode_each(MOVE, &rows, |row| {
        let product = row.reference(&PRODUCT)?.id;
        let of_product = |e: DecodeError| e.part_of(product::PRODUCT.name, product);
        Ok(PendingMove {
            product,
            from: row.many2one(&SOURCE).map_err(of_product)?.map(|l| l.id),
            to: row.many2one(&DESTINATION).map_err(of_product)?.map(|l| l.id),
            quantity: row.decimal(&PRODUCT_QUANTITY).map_err(of_product)?,
        })
    })
}

/// A move as a shipment line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) id: i64,
    pub(crate) product: Ref,
    pub(crate) demand: Decimal,
    pub(crate) quantity: Decimal,
    pub(crate) unit: Option<Ref>,
    pub(crate) picked: bool,
    pub(crate) done: bool,
}

pub(crate) fn decode_line(row: &Row<'_>) -> Result<Line, DecodeError> {
    Ok(Line {
        id: row.id(),
        product: row.reference(&PRODUCT)?,
        demand: row.decimal(&DEMAND)?.normalize(),
        quantity: row.decimal(&QUANTITY)?.normalize(),
        unit: row.many2one(&UNIT)?,
        picked: row.boolean(&PICKED)?,
        done: row.text(&STATE)? == Some("done"),
    })
}

/// The fields a shipment line reads.
pub(crate) const LINE_FIELDS: &[Field] = &[PRODUCT, DEMAND, QUANTITY, UNIT, PICKED, STATE];

/// Sets what is done of a move: `quantity` picked (in the move's unit), or nothing picked.
pub(crate) fn set_done(schema: &Schema, id: i64, quantity: Decimal, picked: bool) -> crate::OdooCall {
    let vals = schema.vals([(&QUANTITY, super::decimal_value(quantity)), (&PICKED, json!(picked))]);
    super::write(MOVE, id, vals)
}

/// Whether the move applied a count.
const INVENTORY: Field = MOVE.field("is_inventory");

pub(crate) const COUNT_FIELDS: &[Field] = &[PRODUCT, SOURCE, DESTINATION, PRODUCT_QUANTITY, INVENTORY, STATE];

/// The newest move's id: moves made after it have greater ones.
pub(crate) async fn last_id(odoo: &Odoo, schema: &Schema) -> Result<i64, OdooError> {
    let options = SearchOptions::ordered("id desc").limit(1);
    let rows = odoo.search(schema, MOVE, json!([]), &[], &options, Map::new()).await?;
    Ok(rows.first().and_then(|r| r.get("id")).and_then(serde_json::Value::as_i64).unwrap_or(0))
}

/// A done move that applied a count, in the product's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CountMove {
    pub(crate) id: i64,
    pub(crate) product: i64,
    pub(crate) from: Option<i64>,
    pub(crate) to: Option<i64>,
    pub(crate) quantity: Decimal,
}

impl CountMove {
    /// What the move changed in `location`: positive into it, negative out of it.
    pub(crate) fn change_in(&self, location: i64) -> Decimal {
        if self.to == Some(location) { self.quantity } else { -self.quantity }
    }

    /// Whether it moved stock in or out of `location`.
    pub(crate) fn touches(&self, location: i64) -> bool {
        self.to == Some(location) || self.from == Some(location)
    }
}

pub(crate) fn decode_count(row: &Row<'_>) -> Result<CountMove, DecodeError> {
    Ok(CountMove {
        id: row.id(),
        product: row.reference(&PRODUCT)?.id,
        from: row.many2one(&SOURCE)?.map(|l| l.id),
        to: row.many2one(&DESTINATION)?.map(|l| l.id),
        quantity: row.decimal(&PRODUCT_QUANTITY)?,
    })
}

/// The done count moves of these products made after move `after`.
pub(crate) async fn counts_after(
    odoo: &Odoo,
    schema: &Schema,
    after: i64,
    products: &[i64],
) -> Result<Vec<CountMove>, OdooError> {
    let domain = json!([
        ["id", ">", after],
        schema.term(&PRODUCT, "in", json!(products)),
        schema.term(&INVENTORY, "=", true),
        schema.term(&STATE, "=", "done")
    ]);
    let rows = odoo.search(schema, MOVE, domain, COUNT_FIELDS, &SearchOptions::ordered("id"), Map::new()).await?;
    rows.iter().map(|r| Ok(decode_count(&Row::new(MOVE, r)?)?)).collect()
}

/// These count moves, those that still exist.
pub(crate) async fn count_moves(odoo: &Odoo, schema: &Schema, ids: &[i64]) -> Result<Vec<CountMove>, OdooError> {
    let rows = odoo.read(schema, MOVE, ids, COUNT_FIELDS).await?;
    rows.iter().map(|r| Ok(decode_count(&Row::new(MOVE, r)?)?)).collect()
}
