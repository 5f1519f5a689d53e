//! `stock.move.line`: what exactly moved, from and to which location, and when — the detail a
//! count is checked against ("did this stock move after it was counted?").

use serde_json::{Map, json};
use time::OffsetDateTime;

use super::{Field, Model, Odoo, Row, Schema};
use crate::{OdooError, SearchOptions};

pub(crate) const MOVE_LINE: Model = Model::new("stock.move.line", "stock");
const PRODUCT: Field = MOVE_LINE.field("product_id");
const SOURCE: Field = MOVE_LINE.field("location_id");
const DESTINATION: Field = MOVE_LINE.field("location_dest_id");
/// When a done line was done.
const DATE: Field = MOVE_LINE.field("date");
const STATE: Field = MOVE_LINE.field("state");
/// The transfer's name, or the count's.
const REFERENCE: Field = MOVE_LINE.field("reference");

pub(crate) const FIELDS: &[Field] = &[PRODUCT, SOURCE, DESTINATION, DATE, STATE, REFERENCE];

/// Stock that moved, in or out of a location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Moved {
    pub(crate) product: i64,
    pub(crate) from: Option<i64>,
    pub(crate) to: Option<i64>,
    pub(crate) at: Option<OffsetDateTime>,
    pub(crate) reference: String,
}

/// What of these products moved in or out of these locations after `since`, oldest first.
pub(crate) async fn moved_since(
    odoo: &Odoo,
    schema: &Schema,
    products: &[i64],
    locations: &[i64],
    since: OffsetDateTime,
) -> Result<Vec<Moved>, OdooError> {
    let domain = json!([
        schema.term(&PRODUCT, "in", json!(products)),
        schema.term(&STATE, "=", "done"),
        // Odoo keeps whole seconds: a move in the second of the count may have followed it.
        schema.term(&DATE, ">=", super::odoo_datetime(since)),
        "|",
        schema.term(&SOURCE, "in", json!(locations)),
        schema.term(&DESTINATION, "in", json!(locations))
    ]);
    let rows = odoo.search(schema, MOVE_LINE, domain, FIELDS, &SearchOptions::ordered("date, id"), Map::new()).await?;
    rows.iter()
        .map(|r| {
            let row = Row::new(MOVE_LINE, r)?;
            Ok(Moved {
                product: row.reference(&PRODUCT)?.id,
                from: row.many2one(&SOURCE)?.map(|l| l.id),
                to: row.many2one(&DESTINATION)?.map(|l| l.id),
                at: row.datetime(&DATE)?,
                reference: row.text(&REFERENCE)?.unwrap_or_default().to_owned(),
            })
        })
        .collect()
}
