//! `stock.warehouse`, `stock.location` and `stock.picking.type`: where stock is kept and which
//! operations move it in and out of a warehouse.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::{DecodeError, Field, Model, Odoo, Row, Schema};
use crate::{
    OdooError, SearchOptions,
    models::{Location, Ref, Warehouse},
};

pub(crate) const WAREHOUSE: Model = Model::new("stock.warehouse", "stock");
const NAME: Field = WAREHOUSE.field("name");
const CODE: Field = WAREHOUSE.field("code");
const COMPANY: Field = WAREHOUSE.field("company_id");
const STOCK_LOCATION: Field = WAREHOUSE.field("lot_stock_id");
const RECEIPT_TYPE: Field = WAREHOUSE.field("in_type_id");

pub(crate) const FIELDS: &[Field] = &[NAME, CODE, COMPANY, STOCK_LOCATION, RECEIPT_TYPE];
/// Odoo's own order of warehouses: the first is the default one.
const ORDER: &str = "sequence, id";

pub(crate) const LOCATION: Model = Model::new("stock.location", "stock");
const COMPLETE_NAME: Field = LOCATION.field("complete_name");
const PARENT: Field = LOCATION.field("location_id");
const LOCATION_WAREHOUSE: Field = LOCATION.field("warehouse_id");
pub(crate) const USAGE: Field = LOCATION.field("usage");

pub(crate) const LOCATION_FIELDS: &[Field] = &[COMPLETE_NAME, PARENT, LOCATION_WAREHOUSE, USAGE];
/// Locations that hold a company's own stock (not suppliers', customers' or virtual ones).
pub(crate) const INTERNAL: &str = "internal";

pub(crate) const PICKING_TYPE: Model = Model::new("stock.picking.type", "stock");
const TYPE_WAREHOUSE: Field = PICKING_TYPE.field("warehouse_id");

pub(crate) const PICKING_TYPE_FIELDS: &[Field] = &[TYPE_WAREHOUSE];

pub(crate) fn warehouse(row: &Row<'_>) -> Result<Warehouse, DecodeError> {
    Ok(Warehouse {
        id: row.id(),
        name: row.text(&NAME)?.unwrap_or_default().to_owned(),
        code: row.text(&CODE)?.unwrap_or_default().to_owned(),
        company: row.many2one(&COMPANY)?,
        stock_location: row.many2one(&STOCK_LOCATION)?,
    })
}

pub(crate) async fn all(odoo: &Odoo, schema: &Schema) -> Result<Vec<Warehouse>, OdooError> {
    let options = SearchOptions::ordered("id");
    let rows = odoo.search(schema, WAREHOUSE, json!([]), FIELDS, &options, Map::new()).await?;
    Ok(odoo.decode_each(WAREHOUSE, &rows, warehouse)?.items)
}

/// The warehouse Odoo picks when an order names none.
pub(crate) async fn default(odoo: &Odoo, schema: &Schema) -> Result<Option<i64>, OdooError> {
    let options = SearchOptions::ordered(ORDER).limit(1);
    let rows = odoo.search(schema, WAREHOUSE, json!([]), &[], &options, Map::new()).await?;
    rows.first().map(|r| Ok(Row::new(WAREHOUSE, r)?.id())).transpose()
}

/// A warehouse by id, if it exists.
pub(crate) async fn by_id(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Option<Warehouse>, OdooError> {
    let rows = odoo.read(schema, WAREHOUSE, &[id], FIELDS).await?;
    Ok(odoo.decode_each(WAREHOUSE, &rows, warehouse)?.single()?)
}

/// The operation type that receives goods into a warehouse.
pub(crate) async fn receipt_type(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Option<Option<i64>>, OdooError> {
    let rows = odoo.read(schema, WAREHOUSE, &[id], &[RECEIPT_TYPE]).await?;
    rows.first().map(|r| Ok(Row::new(WAREHOUSE, r)?.many2one(&RECEIPT_TYPE)?.map(|t| t.id))).transpose()
}

/// The operation types (receipts, deliveries, ...) of a warehouse.
pub(crate) async fn picking_types_of(odoo: &Odoo, schema: &Schema, warehouse: i64) -> Result<Vec<i64>, OdooError> {
    let domain = json!([schema.term(&TYPE_WAREHOUSE, "=", warehouse)]);
    let rows = odoo.search(schema, PICKING_TYPE, domain, &[], &SearchOptions::ordered("id"), Map::new()).await?;
    rows.iter().map(|r| Ok(Row::new(PICKING_TYPE, r)?.id())).collect()
}

/// The warehouse of each of these operation types.
pub(crate) async fn of_picking_types(
    odoo: &Odoo,
    schema: &Schema,
    types: &[i64],
) -> Result<HashMap<i64, Ref>, OdooError> {
    let rows = odoo.read(schema, PICKING_TYPE, types, PICKING_TYPE_FIELDS).await?;
    let types =
        odoo.decode_each(PICKING_TYPE, &rows, |row| Ok(row.many2one(&TYPE_WAREHOUSE)?.map(|w| (row.id(), w))))?;
    Ok(types.items.into_iter().flatten().collect())
}

/// Internal locations, of one warehouse or all.
pub(crate) async fn locations(
    odoo: &Odoo,
    schema: &Schema,
    warehouse: Option<i64>,
) -> Result<Vec<Location>, OdooError> {
    let mut domain = vec![schema.term(&USAGE, "=", INTERNAL)];
    if let Some(wh) = warehouse {
        domain.push(schema.term(&LOCATION_WAREHOUSE, "=", wh));
    }
    let options = SearchOptions::ordered("id");
    let rows = odoo.search(schema, LOCATION, Value::Array(domain), LOCATION_FIELDS, &options, Map::new()).await?;
    let locations = odoo.decode_each(LOCATION, &rows, |row| {
        Ok(Location {
            id: row.id(),
            complete_name: row.text(&COMPLETE_NAME)?.unwrap_or_default().to_owned(),
            warehouse: row.many2one(&LOCATION_WAREHOUSE)?,
            parent: row.many2one(&PARENT)?,
        })
    })?;
    Ok(locations.items)
}
