//! `delivery.carrier`: the carriers a shipment can go with.

use serde_json::Map;

use super::{Field, Model, Odoo, Row, Schema};
use crate::{OdooError, SearchOptions};

pub(crate) const CARRIER: Model = Model::new("delivery.carrier", "delivery");
/// Optional: shipments work without module `delivery`, only carriers cannot be named then.
const NAME: Field = CARRIER.field("name").optional();

pub(crate) const FIELDS: &[Field] = &[NAME];

/// Whether there is such a carrier (archived ones included: a shipment may still name one).
pub(crate) async fn exists(odoo: &Odoo, schema: &Schema, id: i64) -> Result<bool, OdooError> {
    let domain = serde_json::json!([["id", "=", id]]);
    let options = SearchOptions::default().limit(1);
    let mut context = Map::new();
    context.insert("active_test".into(), false.into());
    let rows = odoo.search(schema, CARRIER, domain, &[], &options, context).await?;
    Ok(rows.iter().any(|r| Row::new(CARRIER, r).is_ok()))
}
