//! `stock.quant`: how much of a product lies in a location, and how much of that is reserved.

use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{Decoded, Field, Model, Odoo, Schema, product, warehouse};
use crate::{OdooCall, OdooError, SearchOptions};

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

// Inventory mode (recordings 019–023 of Odoo 18, 78 of 19): a count is set on the quant of a
// product and location (`create` reuses the quant when there is one), then applied.
const COUNTED: Field = QUANT.field("inventory_quantity");
const COUNT_PENDING: Field = QUANT.field("inventory_quantity_set");
const COUNTED_BY: Field = QUANT.field("user_id");
const LOT: Field = QUANT.field("lot_id");
const PACKAGE: Field = QUANT.field("package_id");
const OWNER: Field = QUANT.field("owner_id");

pub(crate) const COUNT_FIELDS: &[Field] =
    &[PRODUCT, LOCATION, QUANTITY, COUNTED, COUNT_PENDING, COUNTED_BY, LOT, PACKAGE, OWNER];

/// A quant as a count sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Counted {
    pub(crate) id: i64,
    pub(crate) product: i64,
    pub(crate) location: i64,
    pub(crate) quantity: Decimal,
    /// In a lot, a package, or owned by a third party: not loose stock.
    pub(crate) apart: bool,
    /// A count set in Odoo and not applied yet: its quantity and who counted.
    pub(crate) pending: Option<(Decimal, Option<String>)>,
}

/// The quants of these products in exactly these locations.
pub(crate) async fn counted_at(
    odoo: &Odoo,
    schema: &Schema,
    products: &[i64],
    locations: &[i64],
) -> Result<Vec<Counted>, OdooError> {
    let domain = json!([schema.term(&PRODUCT, "in", json!(products)), schema.term(&LOCATION, "in", json!(locations))]);
    let rows = odoo.search(schema, QUANT, domain, COUNT_FIELDS, &SearchOptions::ordered("id"), Map::new()).await?;
    rows.iter()
        .map(|r| {
            let row = super::Row::new(QUANT, r)?;
            let apart = [&LOT, &PACKAGE, &OWNER].into_iter().map(|f| row.many2one(f)).collect::<Result<Vec<_>, _>>()?;
            let pending = match row.boolean(&COUNT_PENDING)? {
                true => Some((row.decimal(&COUNTED)?, row.many2one(&COUNTED_BY)?.map(|u| u.name))),
                false => None,
            };
            Ok(Counted {
                id: row.id(),
                product: row.reference(&PRODUCT)?.id,
                location: row.reference(&LOCATION)?.id,
                quantity: row.decimal(&QUANTITY)?,
                apart: apart.iter().any(Option::is_some),
                pending,
            })
        })
        .collect()
}

/// Counting happens in Odoo's inventory mode.
fn counting(call: OdooCall) -> OdooCall {
    call.context("inventory_mode", json!(true))
}

/// Sets counted quantities, `(product, location, counted)` each, in one call; answers the quants,
/// in order. Nothing is applied yet.
pub(crate) fn count(schema: &Schema, counts: &[(i64, i64, Decimal)]) -> OdooCall {
    let vals: Vec<Value> = counts
        .iter()
        .map(|(product, location, counted)| {
            Value::Object(schema.vals([
                (&PRODUCT, json!(product)),
                (&LOCATION, json!(location)),
                (&COUNTED, super::decimal_value(*counted)),
            ]))
        })
        .collect();
    counting(OdooCall::new(QUANT.name, "create").param("vals_list", Value::Array(vals)))
}

/// Withdraws the counts set on these quants (what undoes `count`).
pub(crate) fn clear_counts(quants: &[i64]) -> OdooCall {
    counting(OdooCall::new(QUANT.name, "action_clear_inventory_quantity").ids(quants.to_vec()))
}

/// Applies the counts set on these quants, all or none.
pub(crate) fn apply_counts(quants: &[i64]) -> OdooCall {
    counting(OdooCall::new(QUANT.name, "action_apply_inventory").ids(quants.to_vec()))
}

/// What `apply_counts` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Applied {
    /// Nothing (Odoo's `None`: no `result` key on 18, `null` on 19): every count was applied.
    All,
    /// The conflict wizard: these quants moved since they were counted, and nothing was applied.
    Outdated(Vec<i64>),
    /// Another wizard (18's lot question): nothing was applied.
    Refused(String),
}

pub(crate) fn applied(answer: &Value) -> Applied {
    if answer.is_null() {
        return Applied::All;
    }
    let context = answer.get("context");
    match answer.get("res_model").and_then(Value::as_str) {
        Some("stock.inventory.conflict") => Applied::Outdated(super::ir_model_data::ids_of(
            context.and_then(|c| c.get("default_quant_to_fix_ids")).unwrap_or(&Value::Null),
        )),
        model => Applied::Refused(format!("Odoo asked a question instead of applying the counts ({model:?})")),
    }
}

/// Which of these quants still have a count pending (one read; those Odoo deleted have none).
pub(crate) async fn still_counted(odoo: &Odoo, schema: &Schema, quants: &[i64]) -> Result<Vec<i64>, OdooError> {
    let rows = odoo.read(schema, QUANT, quants, &[COUNT_PENDING]).await?;
    rows.iter()
        .filter_map(|r| {
            let row = super::Row::new(QUANT, r).ok()?;
            row.boolean(&COUNT_PENDING).map(|pending| pending.then(|| row.id())).transpose()
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(Into::into)
}
