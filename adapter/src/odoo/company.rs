//! `res.company`, and the company of the Odoo user odoo-mesh acts as (`res.users`): the currency
//! prices are in unless a price list says otherwise.

use serde_json::Value;

use super::{Field, Model, Odoo, Row, Schema};
use crate::{OdooCall, OdooError, models::Ref};

pub(crate) const COMPANY: Model = Model::new("res.company", "base");
const CURRENCY: Field = COMPANY.field("currency_id");

pub(crate) const USER: Model = Model::new("res.users", "base");
const USER_COMPANY: Field = USER.field("company_id");

pub(crate) const FIELDS: &[Field] = &[CURRENCY, USER_COMPANY];

/// The currency of the company the Odoo user works in (its current company, as Odoo's
/// `env.company`): what orders are in when nothing else says.
pub(crate) async fn currency(odoo: &Odoo, schema: &Schema) -> Result<Ref, OdooError> {
    let context = odoo.call(OdooCall::new(USER.name, "context_get")).await?;
    let uid = context.get("uid").and_then(Value::as_i64).ok_or_else(|| missing("the user's id"))?;
    let users = odoo.read(schema, USER, &[uid], &[USER_COMPANY]).await?;
    let user = users.first().ok_or_else(|| missing("the user"))?;
    let company = Row::new(USER, user)?.reference(&USER_COMPANY)?;
    let companies = odoo.read(schema, COMPANY, &[company.id], &[CURRENCY]).await?;
    let company = companies.first().ok_or_else(|| missing("the user's company"))?;
    Ok(Row::new(COMPANY, company)?.reference(&CURRENCY)?)
}

fn missing(what: &str) -> OdooError {
    OdooError::Protocol { message: format!("odoo did not answer with {what}") }
}
