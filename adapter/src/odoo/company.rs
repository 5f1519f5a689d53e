//! `res.company`: the currency prices are in unless a price list says otherwise.

use serde_json::{Map, json};

use super::{Field, Model, Odoo, Row, Schema};
use crate::{OdooError, SearchOptions, models::Ref};

pub(crate) const COMPANY: Model = Model::new("res.company", "base");
const CURRENCY: Field = COMPANY.field("currency_id");

pub(crate) const FIELDS: &[Field] = &[CURRENCY];

/// The currency of the main company (the first by Odoo's order).
pub(crate) async fn currency(odoo: &Odoo, schema: &Schema) -> Result<Ref, OdooError> {
    let options = SearchOptions::default().limit(1);
    let rows = odoo.search(schema, COMPANY, json!([]), FIELDS, &options, Map::new()).await?;
    let row = rows.first().ok_or_else(|| OdooError::Protocol { message: "odoo has no company".into() })?;
    Ok(Row::new(COMPANY, row)?.reference(&CURRENCY)?)
}
