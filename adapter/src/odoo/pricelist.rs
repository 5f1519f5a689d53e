//! `product.pricelist`: which currency an order priced by it is in.

use super::{Field, Model, Odoo, Row, Schema};
use crate::{OdooError, models::Ref};

pub(crate) const PRICELIST: Model = Model::new("product.pricelist", "product");
const CURRENCY: Field = PRICELIST.field("currency_id");

pub(crate) const FIELDS: &[Field] = &[CURRENCY];

/// The currency of a price list; `None` when there is no such price list.
pub(crate) async fn currency(odoo: &Odoo, schema: &Schema, id: i64) -> Result<Option<Ref>, OdooError> {
    let rows = odoo.read(schema, PRICELIST, &[id], FIELDS).await?;
    match rows.first() {
        Some(row) => Ok(Some(Row::new(PRICELIST, row)?.reference(&CURRENCY)?)),
        None => Ok(None),
    }
}
