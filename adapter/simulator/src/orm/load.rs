//! `Model.load(fields, data)`: Odoo's import. Rows of strings under column paths (`partner_id/.id`,
//! `order_line/product_id/.id`, `id` for an external id), continuation rows adding one2many lines,
//! external ids kept in `ir.model.data`. It upserts by external id — or, with context
//! `mode=update` on ids created `noupdate`, leaves existing records untouched. Row problems come back
//! as `messages` with `ids: false` and nothing written.

use serde_json::{Map, Value, json};

use super::{Database, EXTERNAL_IDS, Env, ModelDef, Row, domain, fields::FieldType};
use crate::error::SimError;

/// One column of the import.
#[derive(Debug, Clone)]
enum Column {
    /// `id`: the record's external id.
    Xid,
    /// `field`, `field/.id` or `field/id` on the record itself.
    Field { name: String, reference: Reference },
    /// `o2m/...`: a column of a one2many line.
    Line { o2m: String, column: Box<Column> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reference {
    Value,
    DatabaseId,
    ExternalId,
}

fn parse_column(model: &ModelDef, path: &str) -> Result<Column, SimError> {
    let parts: Vec<&str> = path.split('/').collect();
    let invalid = || SimError::value(format!("Invalid field name '{}'", parts.first().copied().unwrap_or_default()));
    match parts.as_slice() {
        ["id"] => Ok(Column::Xid),
        [name, rest @ ..] => {
            let field = model.field(name).ok_or_else(invalid)?;
            let reference = match rest {
                [] => Reference::Value,
                [".id"] => Reference::DatabaseId,
                ["id"] if !matches!(field.ftype, FieldType::One2many(..)) => Reference::ExternalId,
                _ => Reference::Value,
            };
            match (&field.ftype, rest) {
                (FieldType::One2many(..), [_, ..]) => {
                    Ok(Column::Line { o2m: (*name).to_owned(), column: Box::new(Column::Xid) })
                }
                _ => Ok(Column::Field { name: (*name).to_owned(), reference }),
            }
        }
        [] => Err(invalid()),
    }
}

/// The cells of one one2many line: its row and (column path, text) pairs.
type LineCells = (usize, Vec<(String, String)>);

/// One record to import: its external id, values, and lines per one2many.
#[derive(Debug, Default)]
struct Record {
    first_row: usize,
    last_row: usize,
    xid: Option<String>,
    values: Vec<(String, Reference, String)>,
    lines: Vec<(String, Vec<LineCells>)>,
}

/// An import problem, reported like Odoo's `load` messages.
fn message(record: &Record, index: usize, field: Option<(&str, &str)>, text: &str) -> Value {
    let mut m = Map::new();
    m.insert("rows".into(), json!({"from": record.first_row, "to": record.last_row}));
    m.insert("type".into(), json!("error"));
    m.insert("record".into(), json!(index));
    if let Some((name, label)) = field {
        m.insert("field".into(), json!(name));
        m.insert("field_name".into(), json!(label));
    }
    m.insert("message".into(), json!(text));
    Value::Object(m)
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null | Value::Bool(false) => String::new(),
        other => other.to_string(),
    }
}

pub(crate) fn qualified(xid: &str, env: &Env) -> String {
    if xid.contains('.') {
        xid.to_owned()
    } else {
        let module = env.context.get("module").and_then(Value::as_str).unwrap_or("__import__");
        format!("{module}.{xid}")
    }
}

/// The record an external id points at, if the id exists for this model.
fn resolve_xid(db: &Database, model: &str, xid: &str) -> Option<(i64, i64, bool)> {
    let (module, name) = xid.split_once('.')?;
    db.table(EXTERNAL_IDS).rows.iter().find_map(|(id, r)| {
        let text = |k: &str| r.get(k).and_then(Value::as_str);
        (text("module") == Some(module) && text("name") == Some(name) && text("model") == Some(model)).then(|| {
            (
                *id,
                r.get("res_id").and_then(Value::as_i64).unwrap_or_default(),
                r.get("noupdate").and_then(Value::as_bool).unwrap_or(false),
            )
        })
    })
}

/// The header external ids a `load` would create: the simulator uses them to reproduce the
/// serialization failure of concurrent imports of the same new record.
pub(crate) fn new_header_xids(db: &Database, model: &str, params: &Map<String, Value>, env: &Env) -> Vec<String> {
    let fields: Vec<String> =
        params.get("fields").and_then(Value::as_array).map(|a| a.iter().map(cell).collect()).unwrap_or_default();
    let Some(column) = fields.iter().position(|f| f == "id") else { return Vec::new() };
    params
        .get("data")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r.as_array().and_then(|r| r.get(column)).map(cell))
                .filter(|x| !x.is_empty())
                .map(|x| qualified(&x, env))
                .filter(|x| resolve_xid(db, model, x).is_none())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn load(
    db: &mut Database,
    env: &Env,
    model: &ModelDef,
    params: &Map<String, Value>,
) -> Result<Value, SimError> {
    let fields: Vec<String> =
        params.get("fields").and_then(Value::as_array).map(|a| a.iter().map(cell).collect()).unwrap_or_default();
    let rows: Vec<Vec<String>> = params
        .get("data")
        .and_then(Value::as_array)
        .map(|rows| {
            rows.iter().map(|r| r.as_array().map(|c| c.iter().map(cell).collect()).unwrap_or_default()).collect()
        })
        .unwrap_or_default();
    let mut columns = Vec::with_capacity(fields.len());
    for path in &fields {
        let mut column = parse_column(model, path)?;
        if let Column::Line { o2m, .. } = &column {
            let comodel = db.model(model.field(o2m).and_then(|f| f.ftype.relation()).unwrap_or_default())?;
            let rest = path.split_once('/').map_or("", |(_, rest)| rest);
            column = Column::Line { o2m: o2m.clone(), column: Box::new(parse_column(comodel, rest)?) };
        }
        columns.push(column);
    }
    let records = group(&columns, &rows);
    let update_mode = env.context.get("mode").and_then(Value::as_str) == Some("update");
    let noupdate = env.context.get("noupdate").and_then(Value::as_bool).unwrap_or(false);
    // Work on a copy: any problem leaves the database exactly as it was.
    let mut scratch = db.clone();
    let mut ids = Vec::new();
    let mut messages = Vec::new();
    for (index, record) in records.iter().enumerate() {
        match import_record(&mut scratch, env, model, record, update_mode, noupdate) {
            Ok(id) => ids.push(id),
            Err(problems) => messages.extend(problems.into_iter().map(|(field, text, moreinfo)| {
                let label = field.as_deref().and_then(|f| model.field(f)).map(|f| f.string);
                let mut m = message(record, index, field.as_deref().zip(label), &text);
                if let (Some(info), Some(m)) = (moreinfo, m.as_object_mut()) {
                    m.insert("moreinfo".into(), info);
                }
                m
            })),
        }
    }
    if !messages.is_empty() {
        return Ok(json!({"ids": false, "messages": messages, "nextrow": 0}));
    }
    *db = scratch;
    Ok(json!({"ids": ids, "messages": [], "nextrow": 0}))
}

/// Splits rows into records: a row with any header cell filled starts a record; the others only
/// add one2many lines to the current one.
fn group(columns: &[Column], rows: &[Vec<String>]) -> Vec<Record> {
    let mut records: Vec<Record> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let header_filled = columns.iter().zip(row).any(|(c, v)| !matches!(c, Column::Line { .. }) && !v.is_empty());
        if header_filled || records.is_empty() {
            records.push(Record { first_row: r, last_row: r, ..Record::default() });
        }
        let record = records.last_mut().expect("a record was just pushed");
        record.last_row = r;
        let mut line_cells: Vec<(String, Vec<(String, String)>)> = Vec::new();
        // An empty cell is not "unset": Odoo writes False (0 for numbers) into that field.
        let filled_lines: Vec<&String> = columns
            .iter()
            .zip(row)
            .filter_map(|(c, v)| match c {
                Column::Line { o2m, .. } if !v.is_empty() => Some(o2m),
                _ => None,
            })
            .collect();
        for (column, value) in columns.iter().zip(row) {
            match column {
                Column::Xid if !value.is_empty() => record.xid = Some(value.clone()),
                Column::Field { name, reference } if header_filled => {
                    record.values.push((name.clone(), *reference, value.clone()));
                }
                Column::Line { o2m, column } if filled_lines.contains(&o2m) => {
                    let path = match column.as_ref() {
                        Column::Xid => "id".to_owned(),
                        Column::Field { name, reference: Reference::DatabaseId } => format!("{name}/.id"),
                        Column::Field { name, reference: Reference::ExternalId } => format!("{name}/id"),
                        Column::Field { name, .. } => name.clone(),
                        Column::Line { .. } => continue,
                    };
                    match line_cells.iter_mut().find(|(o, _)| o == o2m) {
                        Some((_, cells)) => cells.push((path, value.clone())),
                        None => line_cells.push((o2m.clone(), vec![(path, value.clone())])),
                    }
                }
                _ => {}
            }
        }
        for (o2m, cells) in line_cells {
            match record.lines.iter_mut().find(|(o, _)| *o == o2m) {
                Some((_, lines)) => lines.push((r, cells)),
                None => record.lines.push((o2m, vec![(r, cells)])),
            }
        }
    }
    records
}

type Problems = Vec<(Option<String>, String, Option<Value>)>;

/// A line ready to write: its one2many field, model, external id and values.
type LineToWrite = (String, &'static str, Option<String>, Map<String, Value>);

/// Converts a column's text into the value Odoo would write.
fn convert(
    db: &Database,
    env: &Env,
    model: &ModelDef,
    name: &str,
    reference: Reference,
    text: &str,
    label_prefix: &str,
) -> Result<Value, (String, Option<Value>)> {
    let Some(field) = model.field(name) else { return Err((format!("Invalid field name '{name}'"), None)) };
    if text.is_empty() {
        return Ok(Value::Bool(false));
    }
    let label = format!("{label_prefix}{}", field.string);
    // Odoo points the client at the records it could have chosen from.
    let possible = |comodel: &str| {
        json!({
            "name": "Possible Values",
            "type": "ir.actions.act_window",
            "target": "new",
            "view_mode": "list,form",
            "views": [[false, "list"], [false, "form"]],
            "context": {"create": false},
            "help": "See all possible values",
            "res_model": "ir.model.data",
            "domain": [["model", "=", comodel]],
        })
    };
    match (reference, &field.ftype) {
        (Reference::DatabaseId, FieldType::Many2one(comodel)) => match text.parse::<i64>() {
            Ok(id) if db.exists(comodel, id) => Ok(json!(id)),
            _ => Err((
                format!("No matching record found for database id '{text}' in field '{label}'"),
                Some(possible(comodel)),
            )),
        },
        (Reference::ExternalId, FieldType::Many2one(comodel)) => resolve_xid(db, comodel, &qualified(text, env))
            .filter(|(_, res_id, _)| db.exists(comodel, *res_id))
            .map(|(_, res_id, _)| json!(res_id))
            .ok_or_else(|| {
                (
                    format!("No matching record found for external id '{text}' in field '{label}'"),
                    Some(possible(comodel)),
                )
            }),
        (_, FieldType::Many2one(comodel)) => {
            let matches: Vec<i64> = db
                .table(comodel)
                .rows
                .keys()
                .copied()
                .filter(|id| db.display_name(comodel, *id, env) == text)
                .collect();
            matches.first().map(|id| json!(id)).ok_or_else(|| {
                (format!("No matching record found for name '{text}' in field '{label}'"), Some(possible(comodel)))
            })
        }
        (_, FieldType::Float | FieldType::Monetary) => text
            .trim()
            .parse::<f64>()
            .map(|f| json!(f))
            .map_err(|_| (format!("'{text}' does not seem to be a number for field '{label}'"), None)),
        // A many2one_reference is imported as the integer it is (Odoo's `_str_to_many2one_reference`).
        (_, FieldType::Integer | FieldType::Many2oneReference) => text
            .trim()
            .parse::<i64>()
            .map(|i| json!(i))
            .map_err(|_| (format!("'{text}' does not seem to be an integer for field '{label}'"), None)),
        (_, FieldType::Boolean) => Ok(json!(matches!(text.to_lowercase().as_str(), "1" | "true" | "yes"))),
        (_, FieldType::Datetime) => local_to_utc(text.trim(), &input_tz(db, env))
            .map(|utc| json!(utc))
            .ok_or_else(|| (format!("'{text}' does not seem to be a valid datetime for field '{label}'"), None)),
        (_, FieldType::Date) => jiff::civil::Date::strptime("%Y-%m-%d", text.trim())
            .map(|_| json!(text.trim()))
            .map_err(|_| (format!("'{text}' does not seem to be a valid date for field '{label}'"), None)),
        _ => Ok(json!(text)),
    }
}

/// The time zone an import reads datetimes in, as `ir.fields.converter._input_tz` picks it: the
/// context's `tz`, else the user's, else UTC (names the time zone database lacks are skipped).
fn input_tz(db: &Database, env: &Env) -> jiff::tz::TimeZone {
    let user_tz = db.get_str(super::USERS, env.uid, "tz");
    [env.context.get("tz").and_then(Value::as_str), Some(user_tz.as_str())]
        .into_iter()
        .flatten()
        .find_map(|name| jiff::tz::TimeZone::get(name).ok())
        .unwrap_or(jiff::tz::TimeZone::UTC)
}

/// A naive local datetime (or date) in `tz` as Odoo stores it: naive UTC. An ambiguous or skipped
/// local time takes the later instant, as pytz's `localize(is_dst=False)` does around DST changes.
fn local_to_utc(text: &str, tz: &jiff::tz::TimeZone) -> Option<String> {
    let local = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", text)
        .or_else(|_| {
            jiff::civil::Date::strptime("%Y-%m-%d", text).map(|d| d.to_datetime(jiff::civil::Time::midnight()))
        })
        .ok()?;
    let instant = tz.to_ambiguous_timestamp(local).later().ok()?;
    Some(instant.to_zoned(jiff::tz::TimeZone::UTC).datetime().strftime("%Y-%m-%d %H:%M:%S").to_string())
}

fn register_xid(db: &mut Database, xid: &str, model: &str, res_id: i64, noupdate: bool) {
    let (module, name) = xid.split_once('.').unwrap_or(("__import__", xid));
    let row: Row = [
        ("module", json!(module)),
        ("name", json!(name)),
        ("model", json!(model)),
        ("res_id", json!(res_id)),
        ("noupdate", json!(noupdate)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    db.insert(EXTERNAL_IDS, row);
}

fn import_record(
    db: &mut Database,
    env: &Env,
    model: &ModelDef,
    record: &Record,
    update_mode: bool,
    noupdate: bool,
) -> Result<i64, Problems> {
    let mut problems: Problems = Vec::new();
    let mut vals = Map::new();
    for (name, reference, text) in &record.values {
        match convert(db, env, model, name, *reference, text, "") {
            Ok(v) => {
                vals.insert(name.clone(), v);
            }
            Err((e, info)) => problems.push((Some(name.clone()), e, info)),
        }
    }
    let mut lines: Vec<LineToWrite> = Vec::new();
    for (o2m, rows) in &record.lines {
        let field = model.field(o2m).cloned();
        let Some(FieldType::One2many(comodel_name, _)) = field.as_ref().map(|f| f.ftype.clone()) else { continue };
        let registry = std::sync::Arc::clone(&db.registry);
        let comodel = registry.model(comodel_name).map_err(|e| vec![(None, format!("{e:?}"), None)])?;
        let prefix = format!("{}/", field.as_ref().map_or("", |f| f.string));
        for (_, cells) in rows {
            let mut line_vals = Map::new();
            let mut line_xid = None;
            for (path, text) in cells {
                let (name, reference) = match path.split_once('/') {
                    None if path == "id" => {
                        line_xid = Some(qualified(text, env));
                        continue;
                    }
                    None => (path.as_str(), Reference::Value),
                    Some((name, ".id")) => (name, Reference::DatabaseId),
                    Some((name, _)) => (name, Reference::ExternalId),
                };
                match convert(db, env, comodel, name, reference, text, &prefix) {
                    Ok(v) => {
                        line_vals.insert(name.to_owned(), v);
                    }
                    Err((e, info)) => problems.push((Some(o2m.clone()), e, info)),
                }
            }
            lines.push((o2m.clone(), comodel_name, line_xid, line_vals));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let to_problem = |e: SimError| match e {
        SimError::Raise(r) => vec![(None, r.message, None)],
        other => vec![(None, format!("{other:?}"), None)],
    };
    let xid = record.xid.as_deref().map(|x| qualified(x, env));
    let existing = xid.as_deref().and_then(|x| resolve_xid(db, model.name, x)).filter(|(imd, res_id, _)| {
        let alive = db.exists(model.name, *res_id);
        if !alive && let Some(table) = db.tables.get_mut(EXTERNAL_IDS) {
            // An external id whose record is gone is dropped and the record created again.
            table.rows.remove(imd);
        }
        alive
    });
    let id = match existing {
        // Created `noupdate` and imported in update mode: Odoo leaves the record as it is.
        Some((_, res_id, true)) if update_mode => return Ok(res_id),
        Some((_, res_id, _)) => {
            db.write(model.name, &[res_id], &vals, env).map_err(to_problem)?;
            res_id
        }
        None => {
            for required in model.fields.values().filter(|f| f.required && f.store) {
                if domain::is_empty(vals.get(required.name).unwrap_or(&Value::Null)) {
                    return Err(vec![(
                        Some(required.name.to_owned()),
                        format!("Missing required value for the field '{}' ({})", required.string, required.name),
                        None,
                    )]);
                }
            }
            let id = db.create(model.name, &vals, env).map_err(to_problem)?;
            if let Some(x) = &xid {
                register_xid(db, x, model.name, id, noupdate);
            }
            id
        }
    };
    for (o2m, comodel_name, line_xid, mut line_vals) in lines {
        let inverse = match model.field(&o2m).map(|f| &f.ftype) {
            Some(FieldType::One2many(_, inverse)) => *inverse,
            _ => continue,
        };
        line_vals.insert(inverse.to_owned(), json!(id));
        match line_xid
            .as_deref()
            .and_then(|x| resolve_xid(db, comodel_name, x))
            .filter(|(_, r, _)| db.exists(comodel_name, *r))
        {
            Some((_, line_id, line_noupdate)) => {
                if !(update_mode && line_noupdate) {
                    db.write(comodel_name, &[line_id], &line_vals, env).map_err(to_problem)?;
                }
            }
            None => {
                let line_id = db.create(comodel_name, &line_vals, env).map_err(to_problem)?;
                if let Some(x) = &line_xid {
                    register_xid(db, x, comodel_name, line_id, noupdate);
                }
            }
        }
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::local_to_utc;

    fn brussels(local: &str) -> Option<String> {
        local_to_utc(local, &jiff::tz::TimeZone::get("Europe/Brussels").expect("tz database"))
    }

    #[test]
    fn local_times_become_utc_with_the_offset_of_their_date() {
        assert_eq!(brussels("2027-06-15 10:00:00").as_deref(), Some("2027-06-15 08:00:00"), "summer: UTC+2");
        assert_eq!(brussels("2027-01-15 10:00:00").as_deref(), Some("2027-01-15 09:00:00"), "winter: UTC+1");
        assert_eq!(brussels("2027-01-15").as_deref(), Some("2027-01-14 23:00:00"), "a date is its midnight");
        assert_eq!(brussels("15/01/2027"), None);
    }

    #[test]
    fn around_dst_changes_the_standard_offset_wins_as_with_pytz_is_dst_false() {
        // 02:30 happens twice on 2026-10-25 (CEST then CET): the CET one.
        assert_eq!(brussels("2026-10-25 02:30:00").as_deref(), Some("2026-10-25 01:30:00"));
        // 02:30 does not happen on 2026-03-29: read with CET, as pytz does.
        assert_eq!(brussels("2026-03-29 02:30:00").as_deref(), Some("2026-03-29 01:30:00"));
    }
}
