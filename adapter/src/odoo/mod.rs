//! The Odoo model layer: one module per Odoo model odoo-mesh uses — the only place its field
//! names, methods and states are written — over one handle that knows the connected server. Field
//! names are resolved once per connection from the server's own `fields_get` (`schema`), so flows
//! never choose a name by version; they speak the typed records and enums these modules decode.

pub(crate) mod datetime;
pub(crate) mod decoded;
mod field;
mod matching;
mod row;
mod schema;

pub(crate) mod account_move;
pub(crate) mod account_payment;
pub(crate) mod billing;
pub(crate) mod carrier;
pub(crate) mod company;
pub(crate) mod currency;
pub(crate) mod ir_model_data;
pub(crate) mod mail_message;
pub(crate) mod move_reversal;
pub(crate) mod orders;
pub(crate) mod partner;
pub(crate) mod pricelist;
pub(crate) mod product;
pub(crate) mod purchase_order;
pub(crate) mod sale_invoicing;
pub(crate) mod sale_order;
pub(crate) mod stock_move;
pub(crate) mod stock_move_line;
pub(crate) mod stock_picking;
pub(crate) mod stock_quant;
pub(crate) mod stock_return;
pub(crate) mod uom;
pub(crate) mod warehouse;

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

pub use datetime::odoo_datetime;
pub(crate) use datetime::parse_odoo_datetime;
pub(crate) use decoded::Decoded;
pub(crate) use field::{Field, Method, Model};
pub(crate) use matching::Case;
pub use row::{DecodeError, round_to_precision};
pub(crate) use row::{Record, Row};
pub use schema::{Availability, Capability, Report, SUPPORTED_VERSIONS, Schema};

use crate::{OdooCall, OdooClient, OdooError, SearchOptions};

/// One Odoo database as one Odoo user sees it: the client, and what the server has.
#[derive(Debug)]
pub struct Odoo {
    client: Arc<OdooClient>,
    schema: ArcSwapOption<Schema>,
    /// One load at a time; callers arriving meanwhile share its result.
    loading: tokio::sync::Mutex<()>,
    /// Reference data that changes about never, read once per schema.
    units: ArcSwapOption<uom::Units>,
    currencies: ArcSwapOption<currency::Currencies>,
    currency: ArcSwapOption<crate::models::Ref>,
    /// The records found undecodable, each reported once.
    unreadable: decoded::Unreadable,
}

impl Odoo {
    pub fn new(client: Arc<OdooClient>) -> Self {
        Self {
            client,
            schema: ArcSwapOption::empty(),
            loading: tokio::sync::Mutex::new(()),
            units: ArcSwapOption::empty(),
            currencies: ArcSwapOption::empty(),
            currency: ArcSwapOption::empty(),
            unreadable: decoded::Unreadable::default(),
        }
    }

    pub fn client(&self) -> &Arc<OdooClient> {
        &self.client
    }

    /// What the server has, asked on first need and kept for the connection. A failed ask is not
    /// kept: the next call asks again.
    pub async fn schema(&self) -> Result<Arc<Schema>, OdooError> {
        if let Some(schema) = self.schema.load_full() {
            return Ok(schema);
        }
        let _loading = self.loading.lock().await;
        if let Some(schema) = self.schema.load_full() {
            return Ok(schema);
        }
        let schema = Arc::new(Schema::load(&self.client).await?);
        tracing::info!(version = %schema.version().text, report = %schema.report(), "odoo schema checked");
        self.schema.store(Some(schema.clone()));
        Ok(schema)
    }

    /// Forgets the schema, so the next call asks again: Odoo came back and may have been upgraded.
    pub fn forget_schema(&self) {
        self.schema.store(None);
        self.units.store(None);
        self.currencies.store(None);
        self.currency.store(None);
    }

    /// Every unit of measure, read once.
    pub(crate) async fn units(&self) -> Result<Arc<uom::Units>, OdooError> {
        if let Some(units) = self.units.load_full() {
            return Ok(units);
        }
        let units = Arc::new(uom::Units::read(self, &*self.schema().await?).await?);
        self.units.store(Some(units.clone()));
        Ok(units)
    }

    /// Every currency with its rounding, read once — again when a record names one not seen yet.
    pub(crate) async fn currencies(&self, needed: &[i64]) -> Result<Arc<currency::Currencies>, OdooError> {
        if let Some(known) = self.currencies.load_full().filter(|c| needed.iter().all(|id| c.knows(*id))) {
            return Ok(known);
        }
        let currencies = Arc::new(currency::Currencies::read(self, &*self.schema().await?).await?);
        self.currencies.store(Some(currencies.clone()));
        Ok(currencies)
    }

    /// The main company's currency, read once: what prices are in unless a price list says otherwise.
    pub(crate) async fn company_currency(&self) -> Result<crate::models::Ref, OdooError> {
        if let Some(currency) = self.currency.load_full() {
            return Ok((*currency).clone());
        }
        let currency = company::currency(self, &*self.schema().await?).await?;
        self.currency.store(Some(Arc::new(currency.clone())));
        Ok(currency)
    }

    /// The schema, once it is known that `capability` can be used on this server.
    pub(crate) async fn ready(&self, capability: Capability) -> Result<Arc<Schema>, OdooError> {
        let schema = self.schema().await?;
        schema.require(capability)?;
        Ok(schema)
    }

    pub(crate) async fn call(&self, call: OdooCall) -> Result<Value, OdooError> {
        self.noted(self.client.call(call).await)
    }

    /// Odoo lacking a model, field or method the schema vouched for means it changed (a module
    /// uninstalled, an upgrade): the next call asks it again.
    fn noted<T>(&self, result: Result<T, OdooError>) -> Result<T, OdooError> {
        if let Err(OdooError::UnknownModel { .. } | OdooError::UnknownField { .. } | OdooError::UnknownMethod { .. }) =
            &result
        {
            self.forget_schema();
        }
        result
    }

    /// Decodes records of `model` one by one: a record that cannot be decoded is left out and
    /// reported once, never failing the others (see `decoded`).
    pub(crate) fn decode_each<T>(
        &self,
        model: Model,
        records: &[Record],
        decode: impl FnMut(&Row<'_>) -> Result<T, DecodeError>,
    ) -> Result<Decoded<T>, OdooError> {
        self.unreadable.decode_each(model, records, decode)
    }

    /// `search_read` of `fields` under this server's names.
    pub(crate) async fn search(
        &self,
        schema: &Schema,
        model: Model,
        domain: Value,
        fields: &[Field],
        options: &SearchOptions,
        context: Map<String, Value>,
    ) -> Result<Vec<Record>, OdooError> {
        self.noted(self.client.search_read(model.name, domain, &names(schema, fields), options, context).await)
    }

    /// One page of records by ascending id — stable while records are created, when the domain
    /// starts after the last id of the page before — and whether more follow (one more is read
    /// than asked for, instead of a count).
    pub(crate) async fn page(
        &self,
        schema: &Schema,
        model: Model,
        domain: Value,
        fields: &[Field],
        limit: usize,
    ) -> Result<(Vec<Record>, bool), OdooError> {
        let options = SearchOptions::ordered("id asc").limit(limit + 1);
        let mut rows = self.search(schema, model, domain, fields, &options, Map::new()).await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, more))
    }

    /// `read` of `fields` under this server's names; ids that do not exist are left out.
    pub(crate) async fn read(
        &self,
        schema: &Schema,
        model: Model,
        ids: &[i64],
        fields: &[Field],
    ) -> Result<Vec<Record>, OdooError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.noted(self.client.read(model.name, ids.to_vec(), &names(schema, fields)).await)
    }
}

/// The names to read; never none, which Odoo would take as "every field".
fn names(schema: &Schema, fields: &[Field]) -> Vec<&'static str> {
    let mut names = schema.names(fields);
    if names.is_empty() {
        names.push("id");
    }
    names
}

impl Schema {
    /// A domain term on a field, under this server's name for it.
    pub(crate) fn term(&self, field: &Field, operator: &str, value: impl Into<Value>) -> Value {
        json!([self.name(field).unwrap_or(field.name), operator, value.into()])
    }

    /// Values to write, under this server's names; fields the server lacks are left out.
    pub(crate) fn vals<const N: usize>(&self, pairs: [(&Field, Value); N]) -> Map<String, Value> {
        pairs.into_iter().filter_map(|(field, value)| Some((self.name(field)?.to_owned(), value))).collect()
    }
}

/// A decimal as an import cell: exact, without trailing zeros.
pub(crate) fn decimal_cell(value: Decimal) -> String {
    value.normalize().to_string()
}

/// A decimal as a JSON number for `create`/`write` (Odoo's float fields take nothing else).
pub(crate) fn decimal_value(value: Decimal) -> Value {
    value.normalize().to_string().parse::<f64>().map_or(Value::Null, |f| json!(f))
}

/// Writes values on one record.
pub(crate) fn write(model: Model, id: i64, vals: Map<String, Value>) -> OdooCall {
    OdooCall::new(model.name, "write").ids(vec![id]).param("vals", Value::Object(vals))
}

/// Those of `ids` (records of `model`) created at or after `since`: what Odoo made for a command
/// whose owner stopped before naming it.
pub(crate) async fn made_since(
    odoo: &Odoo,
    schema: &Schema,
    model: Model,
    ids: &[i64],
    since: time::OffsetDateTime,
) -> Result<Vec<i64>, OdooError> {
    let created = model.field("create_date");
    let rows = odoo.read(schema, model, ids, &[created]).await?;
    let mut made = Vec::new();
    for r in &rows {
        let row = Row::new(model, r)?;
        if row.datetime(&created)?.is_some_and(|at| at >= since) {
            made.push(row.id());
        }
    }
    Ok(made)
}
