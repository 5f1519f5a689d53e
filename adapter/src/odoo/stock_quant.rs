//! `stock.quant`: how much of a product lies in a location, and how much of that is reserved.

use rust_decimal::Decimal;
use serde_json::{Map, json};

use super::{Decoded, Field, Model, Odoo, Schema, product, warehouse};
use crate::{OdooError, SearchOptions};

pub(crate) const QUANT: Model = Model::new("stock.quant", "stock");
pub(crate) const PRODUCT: Field = QUANT.field("product_id");
pub(crate) const LOCATION: Field = QUANT.field("location_id");
pub(crate) const QUANTITY: Field = QUANT.field("quantity");
pub(crate) const RESERVED: Field = QUANT.field("reserved_quantity");
pub(crate) const UPDATED: Field = QUANT.field("write_date");

pub(crate) const FIELDS: &[Field] = &[PRODUCT, LOCATION, QUANTITY, RESERVED, UPDATED];

/// A domain term keeping quants of internal locations only: counterpart quants in virtual
/// locations (inventory adjustment, customers) say nothing about a warehouse's stock.
pub(crate) fn internal_only(schema: &Schema) -> serde_json::Value {
    let location = schema.name(&LOCATION).unwrap_or(LOCATION.name);
    let usage = schema.name(&warehouse::USAGE).unwrap_or(warehouse::USAGE.name);
    json!([format!("{location}.{usage}"), "=", warehouse::INTERNAL])
}

/// One quant, in the product's unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Quant {
    pub(crate) product: i64,
    pub(crate) location: Option<i64>,
    pub(crate) quantity: Decimal,
    pub(crate) reserved: Decimal,
}

/// The quants of these products in internal locations. A quant that cannot be decoded is left
/// out and reported as a part of its product, whose levels it would falsify.
pub(crate) async fn internal_of(
    odoo: &Odoo,
    schema: &Schema,
    products: &[i64],
    options: &SearchOptions,
) -> Result<Decoded<Quant>, OdooError> {
    let domain = json!([schema.term(&PRODUCT, "in", json!(products)), internal_only(schema)]);
    let rows = odoo.search(schema, QUANT, domain, FIELDS, options, Map::new()).await?;
    odoo.decode_each(QUANT, &rows, |row| {
        let product = row.reference(&PRODUCT)?.id;
        let of_product = |e: super::DecodeError| e.part_of(product::PRODUCT.name, product);
        Ok(Quant {
            product,
            location: row.many2one(&LOCATION).map_err(of_product)?.map(|l| l.id),
            quantity: row.decimal(&QUANTITY).map_err(of_product)?,
            reserved: row.decimal(&RESERVED).map_err(of_product)?,
        })
    })
}
