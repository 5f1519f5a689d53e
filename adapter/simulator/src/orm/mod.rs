//! The in-memory database and Odoo's generic ORM over it: the registry of models per version,
//! search with domains and orders, read with many2one pairs and computed fields, create/write with
//! x2many commands, unlink, `load`, access rules. It knows no business model: models plug in
//! through the registry (`registry::Model`).

pub(crate) mod domain;
pub(crate) mod fields;
pub(crate) mod float;
pub(crate) mod load;
pub(crate) mod methods;
mod read;
pub(crate) mod registry;
mod search;
mod write;

use std::{collections::BTreeMap, sync::Arc};

use serde_json::{Map, Value, json};

use crate::error::{SimError, SimResult};
pub(crate) use registry::{ModelDef, Registry};

/// The stored values of one record, by field name. Many2one values are ids (or `false`), x2many
/// values are lists of ids. Keys starting with `__` are the simulator's own (passwords, translations).
pub(crate) type Row = Map<String, Value>;

#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub(crate) next_id: i64,
    pub(crate) rows: BTreeMap<i64, Row>,
}

/// Which major version of Odoo is simulated: its fields, messages and shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OdooVersion {
    V18,
    V19,
}

impl OdooVersion {
    /// The version with this major number, if simulated.
    pub fn from_major(major: u8) -> Option<Self> {
        match major {
            18 => Some(Self::V18),
            19 => Some(Self::V19),
            _ => None,
        }
    }

    pub fn major(self) -> i64 {
        match self {
            Self::V18 => 18,
            Self::V19 => 19,
        }
    }
}

/// The base models the ORM itself relies on, as Odoo's does: users for access rights and
/// external ids for `load`.
pub(crate) const USERS: &str = "res.users";
pub(crate) const EXTERNAL_IDS: &str = "ir.model.data";

/// The whole state of the simulated Odoo database.
#[derive(Debug, Clone)]
pub(crate) struct Database {
    pub(crate) registry: Arc<Registry>,
    pub(crate) tables: BTreeMap<&'static str, Table>,
    pub(crate) version: OdooVersion,
    /// The running transaction's time when it began earlier than now (`Fault::LateCommit`).
    pub(crate) clock: Option<String>,
    /// Fields the running call wrote, per record: what automation rules trigger on.
    pub(crate) touched: Vec<(&'static str, i64, String)>,
}

/// Who calls and with which context.
#[derive(Debug, Clone)]
pub(crate) struct Env {
    pub(crate) uid: i64,
    pub(crate) context: Map<String, Value>,
}

impl Env {
    pub(crate) fn new(uid: i64) -> Self {
        Self { uid, context: Map::new() }
    }

    pub(crate) fn lang(&self) -> Option<&str> {
        self.context.get("lang").and_then(Value::as_str)
    }

    pub(crate) fn active_test(&self) -> bool {
        self.context.get("active_test").and_then(Value::as_bool).unwrap_or(true)
    }

    /// A context flag such as `skip_backorder` or `inventory_mode`.
    pub(crate) fn flag(&self, key: &str) -> bool {
        self.context.get(key).and_then(Value::as_bool).unwrap_or(false)
    }
}

/// What an access check is for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Access {
    Read,
    Write,
    Create,
    Unlink,
}

/// A row from field-value pairs, for records business rules create.
pub(crate) fn row(pairs: &[(&str, Value)]) -> Row {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}

pub(crate) fn now() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
    time::OffsetDateTime::now_utc().format(&format).unwrap_or_default()
}

/// Today's date, as Odoo's `fields.Date.today()` (UTC).
pub(crate) fn today() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::OffsetDateTime::now_utc().date().format(&format).unwrap_or_default()
}

impl Database {
    pub(crate) fn new(registry: Registry) -> Self {
        let tables = registry.models.keys().map(|k| (*k, Table { next_id: 1, rows: BTreeMap::new() })).collect();
        let version = registry.version;
        Self { registry: Arc::new(registry), tables, version, clock: None, touched: Vec::new() }
    }

    pub(crate) fn model(&self, name: &str) -> SimResult<&ModelDef> {
        self.registry.model(name)
    }

    /// Whether an Odoo module is installed.
    pub(crate) fn installed(&self, module: &str) -> bool {
        self.registry.installed(module)
    }

    pub(crate) fn table(&self, model: &str) -> &Table {
        static EMPTY: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        self.tables.get(model).unwrap_or_else(|| EMPTY.get_or_init(Table::default))
    }

    pub(crate) fn table_mut(&mut self, model: &str) -> SimResult<&mut Table> {
        self.tables.get_mut(model).ok_or_else(|| SimError::UnknownModel(model.to_owned()))
    }

    pub(crate) fn row(&self, model: &str, id: i64) -> Option<&Row> {
        self.table(model).rows.get(&id)
    }

    pub(crate) fn exists(&self, model: &str, id: i64) -> bool {
        self.row(model, id).is_some()
    }

    fn stamp(&self) -> String {
        self.clock.clone().unwrap_or_else(now)
    }

    /// Inserts a record exactly as given (seed data), keeping ids stable. Fields the model lacks in
    /// this version or installation are dropped, so one seed serves every registry.
    pub(crate) fn insert_raw(&mut self, model: &str, id: i64, mut row: Row) {
        let Ok(def) = self.registry.model(model) else { return };
        row.retain(|k, _| k.starts_with("__") || def.fields.contains_key(k.as_str()));
        let stamp = self.stamp();
        row.entry("create_date").or_insert_with(|| json!(stamp));
        row.entry("write_date").or_insert_with(|| json!(stamp));
        if def.has_active() {
            row.entry("active").or_insert(json!(true));
        }
        let name = def.name;
        let table = self.tables.entry(name).or_default();
        table.next_id = table.next_id.max(id + 1);
        table.rows.insert(id, row);
    }

    /// Inserts a record created by a business rule (no access check, no hooks); returns its id.
    pub(crate) fn insert(&mut self, model: &str, row: Row) -> i64 {
        let id = self.table(model).next_id.max(1);
        self.insert_raw(model, id, row);
        id
    }

    /// Deletes a record without hooks, as a business rule does for records it owns.
    pub(crate) fn remove(&mut self, model: &str, id: i64) {
        if let Some(table) = self.tables.get_mut(model) {
            table.rows.remove(&id);
        }
    }

    /// A stored value as kept in the row (`false` when unset), for business rules.
    pub(crate) fn get(&self, model: &str, id: i64, field: &str) -> Value {
        self.row(model, id).and_then(|r| r.get(field)).cloned().unwrap_or(Value::Bool(false))
    }

    pub(crate) fn get_i64(&self, model: &str, id: i64, field: &str) -> Option<i64> {
        self.get(model, id, field).as_i64()
    }

    pub(crate) fn get_f64(&self, model: &str, id: i64, field: &str) -> f64 {
        self.get(model, id, field).as_f64().unwrap_or_default()
    }

    pub(crate) fn get_str(&self, model: &str, id: i64, field: &str) -> String {
        self.get(model, id, field).as_str().unwrap_or_default().to_owned()
    }

    pub(crate) fn get_bool(&self, model: &str, id: i64, field: &str) -> bool {
        self.get(model, id, field).as_bool().unwrap_or(false)
    }

    /// Sets a stored value and bumps `write_date`, as an ORM write by a business rule does.
    /// A field the model lacks in this version is left alone.
    pub(crate) fn set(&mut self, model: &str, id: i64, field: &str, value: Value) {
        let Ok(def) = self.registry.model(model) else { return };
        if !def.fields.contains_key(field) {
            return;
        }
        let name = def.name;
        let stamp = self.stamp();
        if let Some(row) = self.tables.get_mut(name).and_then(|t| t.rows.get_mut(&id)) {
            row.insert(field.to_owned(), value);
            row.insert("write_date".to_owned(), json!(stamp));
            self.touched.push((name, id, field.to_owned()));
        }
    }

    /// Keeps a value of the simulator's own (a `__` key) in a record's row, without the ORM's
    /// bookkeeping.
    pub(crate) fn set_private(&mut self, model: &str, id: i64, key: &str, value: Value) {
        if let Some(row) = self.tables.get_mut(model).and_then(|t| t.rows.get_mut(&id)) {
            row.insert(key.to_owned(), value);
        }
    }

    /// Stamps `write_date`, as the ORM does when it stores a recomputed field.
    pub(crate) fn touch(&mut self, model: &str, id: i64) {
        let stamp = self.stamp();
        if let Some(row) = self.tables.get_mut(model).and_then(|t| t.rows.get_mut(&id)) {
            row.insert("write_date".to_owned(), json!(stamp));
        }
    }

    /// Ids of the records of `model` whose stored `field` holds `value`.
    pub(crate) fn ids_where(&self, model: &str, field: &str, value: i64) -> Vec<i64> {
        self.table(model)
            .rows
            .iter()
            .filter(|(_, r)| r.get(field).and_then(Value::as_i64) == Some(value))
            .map(|(id, _)| *id)
            .collect()
    }

    fn user_flag(&self, uid: i64, flag: &str) -> Option<bool> {
        self.row(USERS, uid).and_then(|r| r.get(flag)).and_then(Value::as_bool)
    }

    pub(crate) fn user_has_rights(&self, uid: i64) -> bool {
        self.user_flag(uid, "__rights").unwrap_or(false)
    }

    /// External ids are for Administration / Access Rights alone (base's `ir.model.access.csv`
    /// grants internal users nothing on `ir.model.data`).
    fn user_has_access_rights(&self, uid: i64) -> bool {
        self.user_flag(uid, "__access_rights").unwrap_or_else(|| self.user_has_rights(uid))
    }

    pub(crate) fn check_access(&self, model: &ModelDef, access: Access, env: &Env) -> SimResult<()> {
        let allowed = if model.name == "ir.model.data" {
            self.user_has_access_rights(env.uid)
        } else {
            self.user_has_rights(env.uid) || (matches!(access, Access::Read) && model.public_read)
        };
        if allowed {
            return Ok(());
        }
        let verb = match (self.version, access) {
            (_, Access::Read) | (OdooVersion::V18, _) => "access",
            (_, Access::Write) => "modify",
            (_, Access::Create) => "create",
            (_, Access::Unlink) => "delete",
        };
        Err(SimError::access(format!(
            "You are not allowed to {verb} '{}' ({}) records.\n\nThis operation is allowed for the following groups:\n\t- Inventory/Administrator\n\t- Sales/Administrator\n\nContact your administrator to request access if necessary.",
            model.description, model.name
        )))
    }

    /// A name in `fields` that the model lacks, as `read` and `search_read` refuse it.
    pub(crate) fn invalid_read_field(&self, model: &str, field: &str) -> SimError {
        match self.version {
            OdooVersion::V18 => invalid_field(model, field),
            OdooVersion::V19 => SimError::value(format!("Invalid field '{field}' on '{model}'")),
        }
    }
}

/// What a user may do, as Odoo's groups grant it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rights {
    /// No groups: `AccessError` on everything but reading public master data.
    None,
    /// Sales, purchase and inventory rights, but not Administration / Access Rights: no external ids.
    Business,
    /// Everything, like the demo administrator.
    Administrator,
}

/// A required column left empty, as PostgreSQL's NOT NULL refuses it and each version words it.
pub(crate) fn missing_required_column(
    version: OdooVersion,
    description: &str,
    model: &str,
    string: &str,
    field: &str,
) -> SimError {
    SimError::validation(match version {
        OdooVersion::V18 => format!(
            "The operation cannot be completed:\n- Create/update: a mandatory field is not set.\n- Delete: another model requires the record being deleted. If possible, archive it instead.\n\nModel: {description} ({model})\nField: {string} ({field})\n"
        ),
        OdooVersion::V19 => format!(
            "The operation cannot be completed: Missing required value for the field '{string}' ({field}).\nModel: '{description}' ({model})\n- create/update: a mandatory field is not set\n- delete: another model requires the record being deleted, you can archive it instead\n"
        ),
    })
}

/// A name the model lacks in create or write values, or in an order (both versions say it so).
pub(crate) fn invalid_field(model: &str, field: &str) -> SimError {
    SimError::value(format!("Invalid field '{field}' on model '{model}'"))
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}
