//! `product.product`: products (variants) by SKU (`default_code`), and the stock quantities Odoo
//! computes for them within a warehouse or location context.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::{DecodeError, Field, Model, Odoo, Record, Row, Schema};
use crate::{
    OdooError, SearchOptions,
    models::{Product, Ref},
};

pub(crate) const PRODUCT: Model = Model::new("product.product", "product");
pub(crate) const SKU: Field = PRODUCT.field("default_code");
const NAME: Field = PRODUCT.field("name");
pub(crate) const DISPLAY_NAME: Field = PRODUCT.field("display_name");
const BARCODE: Field = PRODUCT.field("barcode");
pub(crate) const UOM: Field = PRODUCT.field("uom_id");
const LIST_PRICE: Field = PRODUCT.field("list_price");
pub(crate) const STORABLE: Field = PRODUCT.field("is_storable").from("stock");
const SALE_OK: Field = PRODUCT.field("sale_ok");
const PURCHASE_OK: Field = PRODUCT.field("purchase_ok");
const ACTIVE: Field = PRODUCT.field("active");
/// Whether stock of the product is kept in lots or serial numbers (`none`, `lot`, `serial`).
const TRACKING: Field = PRODUCT.field("tracking").from("stock");
pub(crate) const UPDATED: Field = PRODUCT.field("write_date");

pub(crate) const FIELDS: &[Field] =
    &[SKU, NAME, DISPLAY_NAME, BARCODE, UOM, LIST_PRICE, STORABLE, SALE_OK, PURCHASE_OK, ACTIVE, UPDATED];

const ON_HAND: Field = PRODUCT.field("qty_available").from("stock");
const FREE: Field = PRODUCT.field("free_qty").from("stock");
const INCOMING: Field = PRODUCT.field("incoming_qty").from("stock");
const OUTGOING: Field = PRODUCT.field("outgoing_qty").from("stock");
const FORECAST: Field = PRODUCT.field("virtual_available").from("stock");

/// What a stock read asks for: the product, its unit, and its quantities in the context's scope.
pub(crate) const STOCK_FIELDS: &[Field] = &[SKU, DISPLAY_NAME, UOM, ON_HAND, FREE, INCOMING, OUTGOING, FORECAST];

/// The context key that scopes stock quantities to one warehouse.
pub(crate) fn in_warehouse(warehouse: i64) -> Map<String, Value> {
    Map::from_iter([("warehouse_id".to_owned(), json!(warehouse))])
}

/// Archived records read too (to tell "archived" from "unknown").
pub(crate) fn with_archived() -> Map<String, Value> {
    Map::from_iter([("active_test".to_owned(), json!(false))])
}

/// A product as the catalogue shows it, prices in `currency`.
pub(crate) fn decode(row: &Row<'_>, currency: &str) -> Result<Product, DecodeError> {
    Ok(Product {
        id: row.id(),
        sku: row.text(&SKU)?.map(str::to_owned),
        name: row.text(&NAME)?.unwrap_or_default().to_owned(),
        display_name: row.text(&DISPLAY_NAME)?.unwrap_or_default().to_owned(),
        barcode: row.text(&BARCODE)?.map(str::to_owned),
        uom: row.reference(&UOM)?,
        list_price: row.amount(&LIST_PRICE, currency)?,
        is_storable: row.boolean(&STORABLE)?,
        sale_ok: row.boolean(&SALE_OK)?,
        purchase_ok: row.boolean(&PURCHASE_OK)?,
        active: row.boolean(&ACTIVE)?,
        updated_at: row.datetime(&UPDATED)?,
    })
}

/// A product's quantities as Odoo computed them within a warehouse, before rounding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StockRow {
    pub(crate) product: Ref,
    pub(crate) sku: Option<String>,
    pub(crate) uom: Ref,
    pub(crate) on_hand: Decimal,
    pub(crate) free: Decimal,
    pub(crate) incoming: Decimal,
    pub(crate) outgoing: Decimal,
    pub(crate) forecast: Decimal,
}

pub(crate) fn decode_stock(row: &Row<'_>) -> Result<StockRow, DecodeError> {
    Ok(StockRow {
        product: Ref { id: row.id(), name: row.text(&DISPLAY_NAME)?.unwrap_or_default().to_owned() },
        sku: row.text(&SKU)?.map(str::to_owned),
        uom: row.reference(&UOM)?,
        on_hand: row.decimal(&ON_HAND)?,
        free: row.decimal(&FREE)?,
        incoming: row.decimal(&INCOMING)?,
        outgoing: row.decimal(&OUTGOING)?,
        forecast: row.decimal(&FORECAST)?,
    })
}

/// A product's SKU and name as read, whatever else its record holds; `None` without a SKU.
pub(crate) fn identity(record: &Record) -> Option<(String, Ref)> {
    let row = Row::new(PRODUCT, record).ok()?;
    let name = row.text(&DISPLAY_NAME).ok().flatten().unwrap_or_default().to_owned();
    Some((row.text(&SKU).ok()??.to_owned(), Ref { id: row.id(), name }))
}

/// What an order line needs to know of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orderable {
    pub(crate) id: i64,
    pub(crate) sku: String,
    pub(crate) name: String,
    pub(crate) active: bool,
    pub(crate) sale_ok: bool,
    pub(crate) purchase_ok: bool,
    pub(crate) uom: Ref,
    pub(crate) storable: bool,
    /// Kept in lots or serial numbers.
    pub(crate) tracked: bool,
}

/// What `orderable` reads.
pub(crate) const ORDERABLE_FIELDS: &[Field] =
    &[SKU, DISPLAY_NAME, ACTIVE, SALE_OK, PURCHASE_OK, UOM, STORABLE, TRACKING];

/// Products carrying these SKUs, archived ones included, by id.
pub(crate) async fn orderable(odoo: &Odoo, schema: &Schema, skus: &[&str]) -> Result<Vec<Orderable>, OdooError> {
    let domain = json!([schema.term(&SKU, "in", json!(skus))]);
    let options = SearchOptions::ordered("id");
    let rows = odoo.search(schema, PRODUCT, domain, ORDERABLE_FIELDS, &options, with_archived()).await?;
    rows.iter()
        .map(|r| {
            let row = Row::new(PRODUCT, r)?;
            Ok(Orderable {
                id: row.id(),
                sku: row.text(&SKU)?.unwrap_or_default().to_owned(),
                name: row.text(&DISPLAY_NAME)?.unwrap_or_default().to_owned(),
                active: row.boolean(&ACTIVE)?,
                sale_ok: row.boolean(&SALE_OK)?,
                purchase_ok: row.boolean(&PURCHASE_OK)?,
                uom: row.reference(&UOM)?,
                storable: row.boolean(&STORABLE)?,
                tracked: row.text(&TRACKING)?.is_some_and(|t| t != "none"),
            })
        })
        .collect()
}

/// What is free to promise in a warehouse, per storable product among `ids` (others have no limit).
pub(crate) async fn free_in_warehouse(
    odoo: &Odoo,
    schema: &Schema,
    ids: &[i64],
    warehouse: i64,
) -> Result<Vec<(i64, Decimal)>, OdooError> {
    let domain = json!([["id", "in", ids], schema.term(&STORABLE, "=", true)]);
    let rows =
        odoo.search(schema, PRODUCT, domain, &[FREE], &SearchOptions::default(), in_warehouse(warehouse)).await?;
    rows.iter()
        .map(|r| {
            let row = Row::new(PRODUCT, r)?;
            Ok((row.id(), row.decimal(&FREE)?))
        })
        .collect()
}

/// The SKU of each of these products that has one (and can be read), in one read.
pub(crate) async fn skus(odoo: &Odoo, schema: &Schema, ids: &[i64]) -> Result<Vec<(i64, String)>, OdooError> {
    let rows = odoo.read(schema, PRODUCT, ids, &[SKU]).await?;
    let skus = odoo.decode_each(PRODUCT, &rows, |row| Ok(row.text(&SKU)?.map(|sku| (row.id(), sku.to_owned()))))?;
    Ok(skus.items.into_iter().flatten().collect())
}

/// Filters of a page of the catalogue, keyset-paged by id.
pub(crate) fn page_domain(
    schema: &Schema,
    after_id: i64,
    sku_prefix: Option<&str>,
    updated_since: Option<OffsetDateTime>,
) -> Value {
    let mut domain = vec![json!(["id", ">", after_id])];
    if let Some(prefix) = sku_prefix {
        domain.push(schema.prefix(&SKU, prefix));
    }
    if let Some(since) = updated_since {
        domain.push(schema.term(&UPDATED, ">=", super::odoo_datetime(since)));
    }
    Value::Array(domain)
}
