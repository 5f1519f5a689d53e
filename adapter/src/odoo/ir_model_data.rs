//! `ir.model.data`: external ids. odoo-mesh keeps its idempotency keys here, in Odoo itself — so
//! every replica and every restart sees them — and imports records under external ids with `load`,
//! which with `mode=update` on ids created `noupdate` is create-only: an existing record is
//! returned untouched (checked against a real Odoo 18).

use serde_json::{Map, Value, json};

use super::{Field, Model, Odoo, Row, Schema};
use crate::{OdooCall, OdooError, SearchOptions};

pub(crate) const XID: Model = Model::new("ir.model.data", "base");
const MODULE: Field = XID.field("module");
const NAME: Field = XID.field("name");
const MODEL: Field = XID.field("model");
const RES_ID: Field = XID.field("res_id");
const CREATED: Field = XID.field("create_date");

pub(crate) const FIELDS: &[Field] = &[MODULE, NAME, MODEL, RES_ID, CREATED];

/// The `ir.model.data` module odoo-mesh's external ids live in.
pub const XID_MODULE: &str = "__odoo_mesh__";

/// Whether the Odoo user may read external ids (and so write them: Odoo grants all four together,
/// to Administration / Access Rights).
pub(crate) async fn keys_allowed(client: &crate::OdooClient) -> Result<bool, OdooError> {
    let probe = OdooCall::new(XID.name, "search_count")
        .param("domain", json!([[MODULE.name, "=", XID_MODULE], ["id", "=", 0]]));
    match client.call(probe).await {
        Ok(_) => Ok(true),
        Err(OdooError::AccessError { .. }) => Ok(false),
        Err(error) => Err(error),
    }
}

/// The full external id of one of odoo-mesh's names, as `load` takes it.
pub(crate) fn qualified(name: &str) -> String {
    format!("{XID_MODULE}.{name}")
}

/// One of odoo-mesh's external ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Xid {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) model: String,
    pub(crate) res_id: i64,
    pub(crate) created: Option<time::OffsetDateTime>,
}

/// odoo-mesh's external ids whose name starts with `prefix` (taken literally).
pub(crate) async fn with_prefix(odoo: &Odoo, schema: &Schema, prefix: &str) -> Result<Vec<Xid>, OdooError> {
    let domain = json!([schema.term(&MODULE, "=", XID_MODULE), schema.prefix(&NAME, prefix)]);
    let rows = odoo.search(schema, XID, domain, FIELDS, &SearchOptions::ordered("id"), Map::new()).await?;
    rows.iter()
        .map(|r| {
            let row = Row::new(XID, r)?;
            Ok(Xid {
                id: row.id(),
                name: row.text(&NAME)?.unwrap_or_default().to_owned(),
                model: row.text(&MODEL)?.unwrap_or_default().to_owned(),
                res_id: row.integer(&RES_ID)?,
                created: row.datetime(&CREATED)?,
            })
        })
        .collect()
}

/// The record odoo-mesh's external id `name` names, if it exists.
pub(crate) async fn find(odoo: &Odoo, schema: &Schema, name: &str, model: Model) -> Result<Option<i64>, OdooError> {
    let domain = json!([
        schema.term(&MODULE, "=", XID_MODULE),
        schema.term(&NAME, "=", name),
        schema.term(&MODEL, "=", model.name)
    ]);
    let rows = odoo.search(schema, XID, domain, &[RES_ID], &SearchOptions::default().limit(1), Map::new()).await?;
    rows.first().map(|r| Ok(Row::new(XID, r)?.integer(&RES_ID)?)).transpose()
}

/// The name of odoo-mesh's external id for a record of `model`, if it has one.
pub(crate) async fn name_of(odoo: &Odoo, schema: &Schema, model: Model, id: i64) -> Result<Option<String>, OdooError> {
    let domain = json!([
        schema.term(&MODULE, "=", XID_MODULE),
        schema.term(&MODEL, "=", model.name),
        schema.term(&RES_ID, "=", id)
    ]);
    let rows = odoo.search(schema, XID, domain, &[NAME], &SearchOptions::default().limit(1), Map::new()).await?;
    rows.first().map(|r| Ok(Row::new(XID, r)?.text(&NAME)?.unwrap_or_default().to_owned())).transpose()
}

/// The records a command named `{key}_{tag}{n}` (n = 0, 1, ...), by `n`: given one of them,
/// `record`, all of them. Empty when `record` has no such name.
pub(crate) async fn siblings(
    odoo: &Odoo,
    schema: &Schema,
    model: Model,
    record: i64,
    tag: &str,
) -> Result<Vec<(usize, i64)>, OdooError> {
    let Some(name) = name_of(odoo, schema, model, record).await? else { return Ok(Vec::new()) };
    let Some((key, _)) = name.rsplit_once(&format!("_{tag}")) else { return Ok(Vec::new()) };
    let prefix = format!("{key}_{tag}");
    let mut found: Vec<(usize, i64)> = with_prefix(odoo, schema, &prefix)
        .await?
        .iter()
        .filter(|x| x.model == model.name)
        .filter_map(|x| Some((x.name.strip_prefix(&prefix)?.parse().ok()?, x.res_id)))
        .collect();
    found.sort_unstable();
    Ok(found)
}

/// Those of `candidates` no odoo-mesh command named: records a command made whose answer was lost
/// before it could name them.
pub(crate) async fn unclaimed(
    odoo: &Odoo,
    schema: &Schema,
    model: Model,
    candidates: &[i64],
) -> Result<Vec<i64>, OdooError> {
    let named = records_of(odoo, schema, model, candidates).await?;
    Ok(candidates.iter().copied().filter(|c| !named.contains(c)).collect())
}

/// Those of these records of `model` that odoo-mesh made (that have one of its external ids).
pub(crate) async fn records_of(odoo: &Odoo, schema: &Schema, model: Model, ids: &[i64]) -> Result<Vec<i64>, OdooError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let domain = json!([
        schema.term(&MODULE, "=", XID_MODULE),
        schema.term(&MODEL, "=", model.name),
        schema.term(&RES_ID, "in", json!(ids))
    ]);
    let rows = odoo.search(schema, XID, domain, &[RES_ID], &SearchOptions::default(), Map::new()).await?;
    Ok(rows.iter().filter_map(|r| Row::new(XID, r).ok()?.integer(&RES_ID).ok()).collect())
}

/// Creates external ids in one transaction: all or none. `Ok(None)` when one of the names exists
/// already (the unique index refused it): someone else got there first.
pub(crate) async fn create(
    odoo: &Odoo,
    schema: &Schema,
    rows: &[(&str, &str, i64)],
) -> Result<Option<Vec<i64>>, OdooError> {
    let vals: Vec<Value> = rows
        .iter()
        .map(|(name, model, res_id)| {
            Value::Object(schema.vals([
                (&MODULE, json!(XID_MODULE)),
                (&NAME, json!(name)),
                (&MODEL, json!(model)),
                (&RES_ID, json!(res_id)),
                (&NOUPDATE, json!(true)),
            ]))
        })
        .collect();
    match odoo.call(OdooCall::new(XID.name, "create").param("vals_list", Value::Array(vals))).await {
        Ok(ids) => Ok(Some(ids_of(&ids))),
        // PostgreSQL names the index whatever the language of its messages.
        Err(OdooError::ValidationError { message }) if message.contains("ir_model_data_module_name_uniq_index") => {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}

const NOUPDATE: Field = XID.field("noupdate");

/// Removes external ids (not the records they name).
pub(crate) fn unlink(ids: &[i64]) -> OdooCall {
    OdooCall::new(XID.name, "unlink").ids(ids.to_vec())
}

/// A `create` answers one id or a list of ids, depending on the wire format.
pub(crate) fn ids_of(value: &Value) -> Vec<i64> {
    match value {
        Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
        other => other.as_i64().into_iter().collect(),
    }
}

/// The outcome of a create-only import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Loaded {
    /// The record's id: created now, or found under its external id.
    Record(i64),
    /// Odoo refused the rows; its messages.
    Refused(Vec<String>),
}

/// How often an import that lost a race with a concurrent import of the same new external id is
/// tried again: the winner's record is then found under the id.
const RACE_RETRIES: u32 = 8;
const RACE_BACKOFF: std::time::Duration = std::time::Duration::from_millis(40);

/// `load` of `rows` under `columns`, create-only. Datetime cells are naive UTC: without `tz` in
/// the context, Odoo's import reads them in the user's time zone (recording 83 of Odoo 19, and
/// `ir.fields.converter._input_tz` in 18), shifting every date by hours.
pub(crate) async fn load(
    odoo: &Odoo,
    model: Model,
    columns: &[String],
    rows: Vec<Vec<String>>,
) -> Result<Loaded, OdooError> {
    for _ in 0..RACE_RETRIES {
        let call = OdooCall::new(model.name, "load")
            .param("fields", json!(columns))
            .param("data", json!(rows))
            .context("mode", json!("update"))
            .context("noupdate", json!(true))
            .context("tz", json!("UTC"));
        let result = odoo.call(call).await?;
        if let Some(id) =
            result.get("ids").and_then(Value::as_array).and_then(|ids| ids.first()).and_then(Value::as_i64)
        {
            return Ok(Loaded::Record(id));
        }
        let messages: Vec<String> = result
            .get("messages")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter_map(|m| m.get("message").and_then(Value::as_str).map(str::to_owned)).collect())
            .unwrap_or_default();
        // PostgreSQL's serialization failure, reported in `messages`: a concurrent import of
        // the same new external id won; the next try finds its record.
        if !messages.iter().any(|m| m.contains("could not serialize access")) {
            return Ok(Loaded::Refused(messages));
        }
        tokio::time::sleep(RACE_BACKOFF).await;
    }
    Err(OdooError::ConcurrencyFailure {
        message: format!("importing into {} kept colliding with a concurrent import", model.name),
    })
}

/// The columns and first row of an import, built field by field under this server's names.
#[derive(Debug, Default)]
pub(crate) struct Import {
    pub(crate) columns: Vec<String>,
    pub(crate) cells: Vec<String>,
}

impl Import {
    /// A record imported under odoo-mesh's external id `name`.
    pub(crate) fn new(name: &str) -> Self {
        Self { columns: vec!["id".into()], cells: vec![qualified(name)] }
    }

    /// A plain value.
    pub(crate) fn value(&mut self, schema: &Schema, field: &Field, value: impl Into<String>) {
        self.columns.push(schema.name(field).unwrap_or(field.name).to_owned());
        self.cells.push(value.into());
    }

    /// A relation by database id.
    pub(crate) fn record(&mut self, schema: &Schema, field: &Field, id: i64) {
        self.columns.push(format!("{}/.id", schema.name(field).unwrap_or(field.name)));
        self.cells.push(id.to_string());
    }

    /// A relation by external id (`module.name`).
    pub(crate) fn external(&mut self, schema: &Schema, field: &Field, xid: &str) {
        self.columns.push(format!("{}/id", schema.name(field).unwrap_or(field.name)));
        self.cells.push(xid.to_owned());
    }

    /// A value when there is one: an empty cell would make Odoo write 0 or false (checked on Odoo
    /// 18), where leaving the column out lets Odoo compute it.
    pub(crate) fn optional(&mut self, schema: &Schema, field: &Field, value: Option<String>) {
        if let Some(value) = value {
            self.value(schema, field, value);
        }
    }

    /// The columns and rows of this record with its one2many lines: the record fills the first
    /// row; each line adds its cells after it, on the same row for the first line and on rows of
    /// their own after that (Odoo's continuation rows).
    pub(crate) fn with_lines(self, lines: LineTable) -> (Vec<String>, Vec<Vec<String>>) {
        let mut columns = self.columns;
        columns.extend(lines.columns);
        let width = self.cells.len();
        let rows = lines
            .rows
            .into_iter()
            .enumerate()
            .map(|(i, cells)| {
                let mut row = if i == 0 { self.cells.clone() } else { vec![String::new(); width] };
                row.extend(cells);
                row
            })
            .collect();
        (columns, rows)
    }
}

/// The one2many lines of an import, column by column; each line under its own external id
/// (`{record}_l{n}`), so a line is never created twice.
#[derive(Debug)]
pub(crate) struct LineTable {
    prefix: String,
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl LineTable {
    pub(crate) fn new(schema: &Schema, lines: &Field, record: &str, count: usize) -> Self {
        let prefix = schema.name(lines).unwrap_or(lines.name).to_owned();
        Self {
            columns: vec![format!("{prefix}/id")],
            rows: (0..count).map(|i| vec![qualified(&format!("{record}_l{i}"))]).collect(),
            prefix,
        }
    }

    /// A column of plain values, one per line.
    pub(crate) fn value(&mut self, schema: &Schema, field: &Field, cells: impl IntoIterator<Item = String>) {
        self.column(format!("{}/{}", self.prefix, schema.name(field).unwrap_or(field.name)), cells);
    }

    /// A column of relations by database id, one per line.
    pub(crate) fn record(&mut self, schema: &Schema, field: &Field, ids: impl IntoIterator<Item = i64>) {
        let name = format!("{}/{}/.id", self.prefix, schema.name(field).unwrap_or(field.name));
        self.column(name, ids.into_iter().map(|id| id.to_string()));
    }

    /// A column: one cell per line, so no cell can land in another line's column.
    fn column(&mut self, name: String, cells: impl IntoIterator<Item = String>) {
        self.columns.push(name);
        let mut cells = cells.into_iter();
        for row in &mut self.rows {
            row.push(cells.next().unwrap_or_default());
        }
        debug_assert!(cells.next().is_none(), "more cells than lines");
    }
}
