//! The in-memory database and Odoo's generic ORM over it: search with domains and orders, read with
//! many2one pairs and computed fields, create/write with x2many commands, unlink, access rules.

use std::{cmp::Ordering, collections::BTreeMap, collections::BTreeSet, sync::Arc};

use serde_json::{Map, Value, json};

use crate::{
    domain::{self, Domain, Leaf, Op},
    error::{SimError, SimResult},
    schema::{FieldType, ModelDef},
};

/// The stored values of one record, by field name. Many2one values are ids (or `false`), x2many
/// values are lists of ids. Keys starting with `__` are the simulator's own (passwords, translations).
pub(crate) type Row = Map<String, Value>;

#[derive(Debug, Clone, Default)]
pub(crate) struct Table {
    pub(crate) next_id: i64,
    pub(crate) rows: BTreeMap<i64, Row>,
}

/// Which major version of Odoo is simulated; a few messages and shapes differ.
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

/// The whole state of the simulated Odoo database.
#[derive(Debug, Clone)]
pub(crate) struct Database {
    pub(crate) schema: Arc<BTreeMap<&'static str, ModelDef>>,
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
    pub(crate) fn lang(&self) -> Option<&str> {
        self.context.get("lang").and_then(Value::as_str)
    }

    fn active_test(&self) -> bool {
        self.context.get("active_test").and_then(Value::as_bool).unwrap_or(true)
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

impl Database {
    pub(crate) fn new(version: OdooVersion) -> Self {
        let schema = crate::schema::models();
        let tables = schema.keys().map(|k| (*k, Table { next_id: 1, rows: BTreeMap::new() })).collect();
        Self { schema: Arc::new(schema), tables, version, clock: None, touched: Vec::new() }
    }

    pub(crate) fn model(&self, name: &str) -> SimResult<&ModelDef> {
        self.schema.get(name).ok_or_else(|| SimError::UnknownModel(name.to_owned()))
    }

    pub(crate) fn table(&self, model: &str) -> &Table {
        static EMPTY: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
        self.tables.get(model).unwrap_or_else(|| EMPTY.get_or_init(Table::default))
    }

    fn table_mut(&mut self, model: &str) -> SimResult<&mut Table> {
        self.tables.get_mut(model).ok_or_else(|| SimError::UnknownModel(model.to_owned()))
    }

    pub(crate) fn row(&self, model: &str, id: i64) -> Option<&Row> {
        self.table(model).rows.get(&id)
    }

    pub(crate) fn exists(&self, model: &str, id: i64) -> bool {
        self.row(model, id).is_some()
    }

    /// Inserts a record exactly as given (seed data), keeping ids stable.
    pub(crate) fn insert_raw(&mut self, model: &'static str, id: i64, mut row: Row) {
        let stamp = self.clock.clone().unwrap_or_else(now);
        row.entry("create_date").or_insert_with(|| json!(stamp));
        row.entry("write_date").or_insert_with(|| json!(stamp));
        if self.schema.get(model).is_some_and(ModelDef::has_active) {
            row.entry("active").or_insert(json!(true));
        }
        let table = self.tables.entry(model).or_default();
        table.next_id = table.next_id.max(id + 1);
        table.rows.insert(id, row);
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

    /// Sets a stored value and bumps `write_date`, as an ORM write by a business rule does.
    pub(crate) fn set(&mut self, model: &str, id: i64, field: &str, value: Value) {
        let stamp = self.clock.clone().unwrap_or_else(now);
        if let Some((name, table)) = self.tables.iter_mut().find(|(name, _)| **name == model)
            && let Some(row) = table.rows.get_mut(&id)
        {
            row.insert(field.to_owned(), value);
            row.insert("write_date".to_owned(), json!(stamp));
            self.touched.push((name, id, field.to_owned()));
        }
    }

    /// Stamps `write_date`, as the ORM does when it stores a recomputed field.
    pub(crate) fn touch(&mut self, model: &str, id: i64) {
        let stamp = self.clock.clone().unwrap_or_else(now);
        if let Some(row) = self.tables.get_mut(model).and_then(|t| t.rows.get_mut(&id)) {
            row.insert("write_date".to_owned(), json!(stamp));
        }
    }

    /// Inserts a record created by a business rule (no access check, no hooks); returns its id.
    pub(crate) fn insert(&mut self, model: &'static str, row: Row) -> i64 {
        let id = self.table(model).next_id.max(1);
        self.insert_raw(model, id, row);
        id
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

    pub(crate) fn user_has_rights(&self, uid: i64) -> bool {
        self.row("res.users", uid).and_then(|r| r.get("__rights")).and_then(Value::as_bool).unwrap_or(false)
    }

    pub(crate) fn check_access(&self, model: &ModelDef, access: Access, env: &Env) -> SimResult<()> {
        if self.user_has_rights(env.uid) || (matches!(access, Access::Read) && model.public_read) {
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

    fn invalid_field(&self, model: &str, field: &str) -> SimError {
        match self.version {
            OdooVersion::V18 => SimError::value(format!("Invalid field '{field}' on model '{model}'")),
            OdooVersion::V19 => SimError::value(format!("Invalid field '{field}' on '{model}'")),
        }
    }

    // ---- values -------------------------------------------------------------------------------

    pub(crate) fn display_name(&self, model: &str, id: i64, env: &Env) -> String {
        let Some(row) = self.row(model, id) else {
            return String::new();
        };
        let text = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        match model {
            "product.product" => {
                let name = self.translated(row, "name", env);
                match row.get("default_code").and_then(Value::as_str) {
                    Some(code) if !code.is_empty() => format!("[{code}] {name}"),
                    _ => name,
                }
            }
            "stock.location" => self.location_complete_name(id),
            "res.partner" => self.partner_complete_name(id),
            "stock.picking.type" => {
                let wh = row.get("warehouse_id").and_then(Value::as_i64);
                match wh {
                    Some(wh) => format!("{}: {}", self.display_name("stock.warehouse", wh, env), text("name")),
                    None => text("name"),
                }
            }
            "stock.quant" | "stock.move" => {
                let product = row.get("product_id").and_then(Value::as_i64).unwrap_or_default();
                match row.get("reference").and_then(Value::as_str) {
                    Some(r) => r.to_owned(),
                    None => self.display_name("product.product", product, env),
                }
            }
            _ if row.contains_key("name") => self.translated(row, "name", env),
            _ => format!("{model},{id}"),
        }
    }

    fn translated(&self, row: &Row, field: &str, env: &Env) -> String {
        let base = row.get(field).and_then(Value::as_str).unwrap_or_default();
        env.lang()
            .and_then(|lang| row.get(&format!("__{field}_{lang}")))
            .and_then(Value::as_str)
            .unwrap_or(base)
            .to_owned()
    }

    pub(crate) fn location_complete_name(&self, id: i64) -> String {
        let Some(row) = self.row("stock.location", id) else {
            return String::new();
        };
        let name = row.get("name").and_then(Value::as_str).unwrap_or_default();
        let parent = row.get("location_id").and_then(Value::as_i64);
        let usage = row.get("usage").and_then(Value::as_str).unwrap_or_default();
        match parent {
            Some(p) if usage != "view" || self.row("stock.location", p).is_some() => {
                let parent_name = self.location_complete_name(p);
                if parent_name.is_empty() { name.to_owned() } else { format!("{parent_name}/{name}") }
            }
            _ => name.to_owned(),
        }
    }

    fn partner_complete_name(&self, id: i64) -> String {
        let Some(row) = self.row("res.partner", id) else {
            return String::new();
        };
        let name = row.get("name").and_then(Value::as_str).unwrap_or_default();
        let is_company = row.get("is_company").and_then(Value::as_bool).unwrap_or(false);
        match row.get("parent_id").and_then(Value::as_i64) {
            Some(parent) if !is_company => {
                format!("{}, {name}", self.partner_complete_name(parent))
            }
            _ => name.to_owned(),
        }
    }

    /// The warehouse whose view location contains this location (stored computed in Odoo).
    pub(crate) fn location_warehouse(&self, id: i64) -> Option<i64> {
        let ancestors = self.ancestors("stock.location", "location_id", id);
        self.table("stock.warehouse").rows.iter().find_map(|(wh, row)| {
            let view = row.get("view_location_id").and_then(Value::as_i64)?;
            ancestors.contains(&view).then_some(*wh)
        })
    }

    fn ancestors(&self, model: &str, parent_field: &str, id: i64) -> Vec<i64> {
        let mut chain = vec![id];
        let mut current = id;
        while let Some(parent) = self.row(model, current).and_then(|r| r.get(parent_field)).and_then(Value::as_i64) {
            if chain.contains(&parent) {
                break;
            }
            chain.push(parent);
            current = parent;
        }
        chain
    }

    /// The ids of these records and of all their descendants along the model's parent field.
    pub(crate) fn descendants(&self, model: &str, roots: &[i64]) -> BTreeSet<i64> {
        let parent_field = self.schema.get(model).and_then(|m| m.parent_field);
        let mut result: BTreeSet<i64> = roots.iter().copied().filter(|id| self.exists(model, *id)).collect();
        let Some(parent_field) = parent_field else {
            return result;
        };
        loop {
            let before = result.len();
            for (id, row) in &self.table(model).rows {
                if row.get(parent_field).and_then(Value::as_i64).is_some_and(|p| result.contains(&p)) {
                    result.insert(*id);
                }
            }
            if result.len() == before {
                return result;
            }
        }
    }

    /// A field's value as domains and orders see it: many2one as an id, computed fields computed.
    pub(crate) fn raw(&self, model: &str, id: i64, field: &str, env: &Env) -> Value {
        if field == "id" {
            return json!(id);
        }
        if let Some(v) = crate::stock::computed(self, model, id, field, env) {
            return v;
        }
        if let Some(v) = crate::sales::computed(self, model, id, field) {
            return v;
        }
        if (model, field) == ("ir.actions.server", "webhook_sample_payload") {
            return crate::automation::sample_payload(self, id).unwrap_or(json!(false));
        }
        match (model, field) {
            (_, "display_name") => return json!(self.display_name(model, id, env)),
            ("stock.location", "complete_name") => return json!(self.location_complete_name(id)),
            ("stock.location", "warehouse_id") => {
                return self.location_warehouse(id).map_or(json!(false), |w| json!(w));
            }
            ("res.partner", "complete_name") => return json!(self.partner_complete_name(id)),
            _ => {}
        }
        let Some(row) = self.row(model, id) else {
            return Value::Bool(false);
        };
        let def = self.schema.get(model).and_then(|m| m.field(field));
        if let Some(FieldType::One2many(comodel, inverse)) = def.map(|f| &f.ftype) {
            let ids: Vec<i64> = self
                .table(comodel)
                .rows
                .iter()
                .filter(|(_, r)| r.get(*inverse).and_then(Value::as_i64) == Some(id))
                .map(|(cid, _)| *cid)
                .collect();
            return json!(ids);
        }
        if def.is_some_and(|f| f.translate) {
            return json!(self.translated(row, field, env));
        }
        match row.get(field) {
            Some(v) => v.clone(),
            None => match def.map(|f| &f.ftype) {
                Some(FieldType::Float | FieldType::Monetary) => json!(0.0),
                Some(FieldType::Integer) => json!(0),
                Some(FieldType::Many2many(_)) => json!([]),
                _ => Value::Bool(false),
            },
        }
    }

    /// A field's value as `read` returns it.
    pub(crate) fn output(&self, model: &ModelDef, id: i64, field: &str, env: &Env) -> Value {
        let raw = self.raw(model.name, id, field, env);
        let Some(def) = model.field(field) else {
            return raw;
        };
        match &def.ftype {
            FieldType::Many2one(comodel) => match raw.as_i64() {
                Some(rid) if self.exists(comodel, rid) => {
                    json!([rid, self.display_name(comodel, rid, env)])
                }
                _ => Value::Bool(false),
            },
            FieldType::Float | FieldType::Monetary => json!(raw.as_f64().unwrap_or(0.0)),
            FieldType::Char | FieldType::Text | FieldType::Selection(_) | FieldType::Date | FieldType::Datetime
                if domain::is_empty(&raw) =>
            {
                Value::Bool(false)
            }
            _ => raw,
        }
    }

    // ---- search -------------------------------------------------------------------------------

    pub(crate) fn search(
        &self,
        model: &ModelDef,
        domain_json: &Value,
        offset: usize,
        limit: Option<usize>,
        order: Option<&str>,
        env: &Env,
    ) -> SimResult<Vec<i64>> {
        self.check_access(model, Access::Read, env)?;
        let domain = domain::parse(domain_json).map_err(SimError::value)?;
        self.validate_domain(model, &domain)?;
        let filter_active = model.has_active() && env.active_test() && !mentions_active(&domain);
        let mut ids = Vec::new();
        for id in self.table(model.name).rows.keys() {
            if filter_active && self.raw(model.name, *id, "active", env) != Value::Bool(true) {
                continue;
            }
            if self.matches(model, *id, &domain, env)? {
                ids.push(*id);
            }
        }
        self.sort(model, &mut ids, order.unwrap_or(model.order), env)?;
        Ok(ids.into_iter().skip(offset).take(limit.unwrap_or(usize::MAX)).collect())
    }

    fn validate_domain(&self, model: &ModelDef, domain: &Domain) -> SimResult<()> {
        match domain {
            Domain::True | Domain::False => Ok(()),
            Domain::Not(d) => self.validate_domain(model, d),
            Domain::And(a, b) | Domain::Or(a, b) => {
                self.validate_domain(model, a)?;
                self.validate_domain(model, b)
            }
            Domain::Leaf(leaf) => {
                let mut current = model;
                for (i, part) in leaf.path.iter().enumerate() {
                    let Some(field) = current.field(part) else {
                        let repr = domain::python_repr(&leaf.raw);
                        let word = if self.version == OdooVersion::V18 { "leaf" } else { "condition" };
                        return Err(SimError::value(format!("Invalid field {}.{part} in {word} {repr}", current.name)));
                    };
                    if i + 1 < leaf.path.len() {
                        let Some(rel) = field.ftype.relation() else {
                            return Err(SimError::value(format!(
                                "Invalid path {} on {}",
                                leaf.path.join("."),
                                model.name
                            )));
                        };
                        current = self.model(rel)?;
                    }
                }
                Ok(())
            }
        }
    }

    fn matches(&self, model: &ModelDef, id: i64, domain: &Domain, env: &Env) -> SimResult<bool> {
        Ok(match domain {
            Domain::True => true,
            Domain::False => false,
            Domain::Not(d) => !self.matches(model, id, d, env)?,
            Domain::And(a, b) => self.matches(model, id, a, env)? && self.matches(model, id, b, env)?,
            Domain::Or(a, b) => self.matches(model, id, a, env)? || self.matches(model, id, b, env)?,
            Domain::Leaf(leaf) => self.leaf_matches(model, id, leaf, 0, env)?,
        })
    }

    fn leaf_matches(&self, model: &ModelDef, id: i64, leaf: &Leaf, depth: usize, env: &Env) -> SimResult<bool> {
        let name = &leaf.path[depth];
        let field = model.field(name).map(|f| f.ftype.clone()).unwrap_or(FieldType::Integer);
        let value = self.raw(model.name, id, name, env);
        let last = depth + 1 == leaf.path.len();
        if !last {
            // Follow the relation: a many2one is one record, an x2many matches if any record does.
            let comodel = self.model(field.relation().unwrap_or_default())?;
            let ids: Vec<i64> = match &value {
                Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
                v => v.as_i64().into_iter().collect(),
            };
            if ids.is_empty() {
                // A null many2one satisfies only negative conditions, as SQL's LEFT JOIN does.
                return Ok(matches!(leaf.op, Op::Ne | Op::NotIn | Op::NotLike | Op::NotILike)
                    || (leaf.op == Op::Eq && domain::is_empty(&leaf.value)));
            }
            for rid in ids {
                if self.leaf_matches(comodel, rid, leaf, depth + 1, env)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        self.compare_leaf(&field, &value, leaf, env)
    }

    fn compare_leaf(&self, field: &FieldType, value: &Value, leaf: &Leaf, env: &Env) -> SimResult<bool> {
        let target = &leaf.value;
        // Relational fields compared with a name match the related record's display name.
        if let (Some(comodel), Value::String(text)) = (field.relation(), target)
            && !matches!(leaf.op, Op::ChildOf | Op::ParentOf)
        {
            let ids: Vec<i64> = match value {
                Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
                v => v.as_i64().into_iter().collect(),
            };
            let names: Vec<String> = ids.iter().map(|i| self.display_name(comodel, *i, env)).collect();
            let any = |f: &dyn Fn(&str) -> bool| names.iter().any(|n| f(n));
            return Ok(match leaf.op {
                Op::Eq => any(&|n| n == text),
                Op::Ne => !any(&|n| n == text),
                Op::Like => any(&|n| domain::like(n, &format!("%{text}%"), false)),
                Op::ILike => any(&|n| domain::like(n, &format!("%{text}%"), true)),
                Op::NotLike => !any(&|n| domain::like(n, &format!("%{text}%"), false)),
                Op::NotILike => !any(&|n| domain::like(n, &format!("%{text}%"), true)),
                Op::EqLike => any(&|n| domain::like(n, text, false)),
                Op::EqILike => any(&|n| domain::like(n, text, true)),
                _ => false,
            });
        }
        let values: Vec<Value> = match value {
            Value::Array(items) if field.is_x2many() => items.clone(),
            v => vec![v.clone()],
        };
        let text_of = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        let like = |pattern: String, ci: bool| {
            values.iter().any(|v| text_of(v).is_some_and(|t| domain::like(&t, &pattern, ci)))
        };
        let needle = target.as_str().map(str::to_owned).unwrap_or_else(|| text_of(target).unwrap_or_default());
        let list: Vec<Value> = match target {
            Value::Array(items) => items.clone(),
            Value::Bool(false) | Value::Null => vec![],
            v => vec![v.clone()],
        };
        let ordered =
            |want: &[Ordering]| values.iter().any(|v| domain::compare(v, target).is_some_and(|o| want.contains(&o)));
        let any_eq = |t: &Value| {
            if field.is_x2many() && matches!(t, Value::Bool(false)) {
                return values.is_empty();
            }
            values.iter().any(|v| domain::equals(v, t))
        };
        Ok(match leaf.op {
            Op::Eq => any_eq(target),
            Op::Ne => !any_eq(target),
            Op::Lt => ordered(&[Ordering::Less]),
            Op::Gt => ordered(&[Ordering::Greater]),
            Op::Le => ordered(&[Ordering::Less, Ordering::Equal]),
            Op::Ge => ordered(&[Ordering::Greater, Ordering::Equal]),
            Op::In => list.iter().any(any_eq),
            Op::NotIn => !list.iter().any(any_eq),
            Op::Like => like(format!("%{needle}%"), false),
            Op::ILike => like(format!("%{needle}%"), true),
            Op::NotLike => !like(format!("%{needle}%"), false),
            Op::NotILike => !like(format!("%{needle}%"), true),
            Op::EqLike => like(needle, false),
            Op::EqILike => like(needle, true),
            Op::ChildOf | Op::ParentOf => {
                let comodel = field.relation().unwrap_or_default();
                let roots: Vec<i64> = list.iter().filter_map(Value::as_i64).collect();
                let set = if leaf.op == Op::ChildOf {
                    self.descendants(comodel, &roots)
                } else {
                    let parent = self.schema.get(comodel).and_then(|m| m.parent_field).unwrap_or("parent_id");
                    roots.iter().flat_map(|r| self.ancestors(comodel, parent, *r)).collect()
                };
                values.iter().filter_map(Value::as_i64).any(|v| set.contains(&v))
            }
        })
    }

    fn sort(&self, model: &ModelDef, ids: &mut [i64], order: &str, env: &Env) -> SimResult<()> {
        let mut keys: Vec<(String, bool)> = Vec::new();
        for part in order.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let field = words.next().unwrap_or_default().trim_matches('"').to_owned();
            let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
            if field != "id" && model.field(&field).is_none() {
                return Err(SimError::value(format!("Invalid field {field:?} on model {:?}", model.name)));
            }
            keys.push((field, desc));
        }
        let sort_value = |id: i64, field: &str| -> Value {
            let raw = self.raw(model.name, id, field, env);
            match model.field(field).map(|f| &f.ftype) {
                Some(FieldType::Many2one(comodel)) => match raw.as_i64() {
                    Some(rid) => json!(self.display_name(comodel, rid, env)),
                    None => Value::Null,
                },
                _ if raw == Value::Bool(false) && field != "active" => Value::Null,
                _ => raw,
            }
        };
        let cache: BTreeMap<i64, Vec<Value>> =
            ids.iter().map(|id| (*id, keys.iter().map(|(f, _)| sort_value(*id, f)).collect())).collect();
        ids.sort_by(|a, b| {
            for (i, (_, desc)) in keys.iter().enumerate() {
                let (va, vb) = (&cache[a][i], &cache[b][i]);
                // PostgreSQL puts NULLs last when ascending, first when descending.
                let ord = match (va.is_null(), vb.is_null()) {
                    (true, true) => Ordering::Equal,
                    (true, false) => Ordering::Greater,
                    (false, true) => Ordering::Less,
                    _ => domain::compare(va, vb).unwrap_or(Ordering::Equal),
                };
                let ord = if *desc { ord.reverse() } else { ord };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            a.cmp(b)
        });
        Ok(())
    }

    // ---- read ---------------------------------------------------------------------------------

    /// Reads records; ids that do not exist are silently left out, as Odoo does.
    pub(crate) fn read(
        &self,
        model: &ModelDef,
        ids: &[i64],
        fields: Option<&[String]>,
        env: &Env,
    ) -> SimResult<Vec<Value>> {
        self.check_access(model, Access::Read, env)?;
        let all: Vec<String>;
        let fields = match fields {
            Some(f) if !f.is_empty() => f,
            _ => {
                all = model.fields.keys().map(|k| (*k).to_owned()).collect();
                &all
            }
        };
        for f in fields {
            if model.field(f).is_none() {
                return Err(self.invalid_field(model.name, f));
            }
        }
        Ok(ids
            .iter()
            .filter(|id| self.exists(model.name, **id))
            .map(|id| {
                let mut record = Map::new();
                record.insert("id".into(), json!(id));
                for f in fields.iter().filter(|f| *f != "id") {
                    record.insert(f.clone(), self.output(model, *id, f, env));
                }
                Value::Object(record)
            })
            .collect())
    }

    // ---- write --------------------------------------------------------------------------------

    pub(crate) fn create(&mut self, model: &ModelDef, vals: &Map<String, Value>, env: &Env) -> SimResult<i64> {
        self.check_access(model, Access::Create, env)?;
        for f in model.fields.values().filter(|f| f.required && f.store) {
            if domain::is_empty(vals.get(f.name).unwrap_or(&Value::Null))
                && !crate::business::has_default(model.name, f.name)
            {
                return Err(SimError::validation(format!(
                    "The operation cannot be completed: Missing required value for the field '{}' ({}).\nModel: {} ({})\n- create/update: a mandatory field is not set.",
                    f.string, f.name, model.description, model.name
                )));
            }
        }
        crate::business::before_create(self, model.name, vals, env)?;
        let id = {
            let table = self.table_mut(model.name)?;
            let id = table.next_id.max(1);
            table.next_id = id + 1;
            id
        };
        let stamp = self.clock.clone().unwrap_or_else(now);
        let mut row = Row::new();
        row.insert("create_date".into(), json!(stamp));
        row.insert("write_date".into(), json!(stamp));
        row.insert("__create_uid".into(), json!(env.uid));
        if model.has_active() {
            row.insert("active".into(), json!(true));
        }
        self.table_mut(model.name)?.rows.insert(id, row);
        let mut vals = vals.clone();
        for (field, value) in &model.defaults {
            vals.entry(*field).or_insert_with(|| value.clone());
        }
        let x2many = self.assign(model, id, &vals, env)?;
        // Header defaults (an order's price list, say) must exist before its lines are priced.
        crate::sales::after_create(self, model.name, id);
        self.apply_x2many(model, id, x2many, env)?;
        crate::business::after_create(self, model.name, id, env)?;
        self.touched.extend(vals.keys().map(|field| (model.name, id, field.to_string())));
        Ok(id)
    }

    pub(crate) fn write(
        &mut self,
        model: &ModelDef,
        ids: &[i64],
        vals: &Map<String, Value>,
        env: &Env,
    ) -> SimResult<()> {
        self.check_access(model, Access::Write, env)?;
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !self.exists(model.name, *id)).collect();
        if !missing.is_empty() {
            return Err(SimError::missing(model.name, &missing, env.uid));
        }
        crate::business::before_write(self, model.name, ids, vals, env)?;
        crate::sales::before_write(self, model.name, ids, vals)?;
        let stamp = self.clock.clone().unwrap_or_else(now);
        for id in ids {
            let x2many = self.assign(model, *id, vals, env)?;
            self.apply_x2many(model, *id, x2many, env)?;
            if let Some(row) = self.table_mut(model.name)?.rows.get_mut(id) {
                row.insert("write_date".into(), json!(stamp));
            }
            self.touched.extend(vals.keys().map(|field| (model.name, *id, field.clone())));
        }
        crate::sales::after_write(self, model.name, ids, vals);
        Ok(())
    }

    /// Writes scalar and many2one values; returns the x2many commands to apply once the row exists.
    fn assign(
        &mut self,
        model: &ModelDef,
        id: i64,
        vals: &Map<String, Value>,
        env: &Env,
    ) -> SimResult<Vec<(String, Value)>> {
        let mut x2many = Vec::new();
        for (name, value) in vals {
            let Some(field) = model.field(name) else {
                return Err(self.invalid_field(model.name, name));
            };
            if !field.store || name == "id" {
                continue;
            }
            let stored = match &field.ftype {
                FieldType::One2many(..) | FieldType::Many2many(_) => {
                    x2many.push((name.clone(), value.clone()));
                    continue;
                }
                FieldType::Many2one(comodel) => match value {
                    Value::Number(n) => {
                        let rid = n.as_i64().unwrap_or_default();
                        if !self.exists(comodel, rid) {
                            return Err(SimError::missing(comodel, &[rid], env.uid));
                        }
                        json!(rid)
                    }
                    Value::Array(pair) if pair.first().and_then(Value::as_i64).is_some() => {
                        json!(pair[0].as_i64())
                    }
                    _ => Value::Bool(false),
                },
                FieldType::Float | FieldType::Monetary => match value {
                    Value::Number(n) => json!(n.as_f64().unwrap_or_default()),
                    Value::Bool(false) | Value::Null => json!(0.0),
                    Value::String(s) => {
                        json!(
                            s.trim()
                                .parse::<f64>()
                                .map_err(|_| SimError::value(format!("could not convert string to float: '{s}'")))?
                        )
                    }
                    other => {
                        return Err(SimError::type_error(format!(
                            "float() argument must be a string or a real number, not '{}'",
                            json_type(other)
                        )));
                    }
                },
                FieldType::Integer => match value {
                    Value::Number(n) => json!(n.as_f64().unwrap_or_default() as i64),
                    Value::Bool(false) | Value::Null => json!(0),
                    other => {
                        return Err(SimError::type_error(format!(
                            "int() argument must be a string or a number, not '{}'",
                            json_type(other)
                        )));
                    }
                },
                FieldType::Boolean => json!(!domain::is_empty(value) && value != &json!(0)),
                FieldType::Selection(options) => match value.as_str() {
                    Some(s) if options.iter().any(|(k, _)| *k == s) => json!(s),
                    None if domain::is_empty(value) => Value::Bool(false),
                    _ => {
                        return Err(SimError::value(format!(
                            "Wrong value for {}.{}: {}",
                            model.name,
                            name,
                            domain::python_repr(value)
                        )));
                    }
                },
                _ => value.clone(),
            };
            if let Some(row) = self.table_mut(model.name)?.rows.get_mut(&id) {
                row.insert(name.clone(), stored);
            }
        }
        Ok(x2many)
    }

    fn apply_x2many(&mut self, model: &ModelDef, id: i64, commands: Vec<(String, Value)>, env: &Env) -> SimResult<()> {
        for (name, value) in commands {
            let Some(field) = model.field(&name).cloned() else {
                continue;
            };
            let comodel_name = field.ftype.relation().unwrap_or_default();
            let comodel = self.model(comodel_name)?.clone();
            let inverse = match &field.ftype {
                FieldType::One2many(_, inverse) => Some(*inverse),
                _ => None,
            };
            let mut current: Vec<i64> = self
                .raw(model.name, id, &name, env)
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_i64).collect())
                .unwrap_or_default();
            let Value::Array(cmds) = value else {
                return Err(SimError::value(format!(
                    "Wrong value for {}.{name}: {}",
                    model.name,
                    domain::python_repr(&value)
                )));
            };
            for cmd in cmds {
                let parts = cmd.as_array().cloned().unwrap_or_default();
                let code = parts.first().and_then(Value::as_i64);
                let target = parts.get(1).and_then(Value::as_i64).unwrap_or_default();
                let empty = Map::new();
                let vals = parts.get(2).and_then(Value::as_object).unwrap_or(&empty).clone();
                match (code, cmd.as_i64()) {
                    (Some(0), _) => {
                        let mut vals = vals;
                        if let Some(inv) = inverse {
                            vals.insert(inv.into(), json!(id));
                        }
                        let child = self.create(&comodel, &vals, env)?;
                        current.push(child);
                    }
                    (Some(1), _) => self.write(&comodel, &[target], &vals, env)?,
                    (Some(2), _) => {
                        self.unlink(&comodel, &[target], env)?;
                        current.retain(|c| *c != target);
                    }
                    (Some(3), _) => current.retain(|c| *c != target),
                    (Some(4), _) | (None, Some(_)) => {
                        let target = cmd.as_i64().unwrap_or(target);
                        if !current.contains(&target) {
                            current.push(target);
                        }
                    }
                    (Some(5), _) => current.clear(),
                    (Some(6), _) => {
                        current = parts
                            .get(2)
                            .and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_i64).collect())
                            .unwrap_or_default();
                    }
                    _ => {
                        return Err(SimError::value(format!("Invalid x2many command {}", domain::python_repr(&cmd))));
                    }
                }
            }
            match inverse {
                Some(inv) => {
                    for child in &current {
                        if let Some(row) = self.table_mut(comodel_name)?.rows.get_mut(child) {
                            row.insert(inv.into(), json!(id));
                        }
                    }
                }
                None => {
                    if let Some(row) = self.table_mut(model.name)?.rows.get_mut(&id) {
                        row.insert(name.clone(), json!(current));
                    }
                }
            }
        }
        Ok(())
    }

    pub(crate) fn unlink(&mut self, model: &ModelDef, ids: &[i64], env: &Env) -> SimResult<()> {
        self.check_access(model, Access::Unlink, env)?;
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !self.exists(model.name, *id)).collect();
        if !missing.is_empty() {
            return Err(SimError::missing(model.name, &missing, env.uid));
        }
        crate::business::before_unlink(self, model.name, ids, env)?;
        crate::sales::before_unlink(self, model.name, ids)?;
        crate::sales::cascade_unlink(self, model.name, ids);
        let table = self.table_mut(model.name)?;
        for id in ids {
            table.rows.remove(id);
        }
        // Deleting a record deletes its external ids.
        if let Some(xids) = self.tables.get_mut("ir.model.data") {
            xids.rows.retain(|_, r| {
                !(r.get("model").and_then(Value::as_str) == Some(model.name)
                    && r.get("res_id").and_then(Value::as_i64).is_some_and(|i| ids.contains(&i)))
            });
        }
        Ok(())
    }
}

fn mentions_active(domain: &Domain) -> bool {
    match domain {
        Domain::Leaf(leaf) => leaf.path.first().is_some_and(|p| p == "active"),
        Domain::Not(d) => mentions_active(d),
        Domain::And(a, b) | Domain::Or(a, b) => mentions_active(a) || mentions_active(b),
        _ => false,
    }
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::{Database, Env, OdooVersion};
    use crate::seed::{SeedUser, seed};

    fn database() -> Database {
        let mut db = Database::new(OdooVersion::V18);
        seed(&mut db, &SeedUser { login: "admin".into(), password: "admin".into(), api_key: "key".into() });
        db
    }

    fn env() -> Env {
        Env { uid: crate::seed::ADMIN_UID, context: serde_json::Map::new() }
    }

    fn search(db: &Database, domain: &Value) -> BTreeSet<i64> {
        let model = db.model("product.product").expect("model");
        db.search(model, domain, 0, None, None, &env()).expect("search").into_iter().collect()
    }

    /// Leaves over fields of every kind the services filter on.
    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            (0.0f64..1000.0).prop_map(|p| json!(["list_price", ">", p])),
            (0.0f64..1000.0).prop_map(|p| json!(["list_price", "<=", p])),
            "[A-Z]{1,3}".prop_map(|p| json!(["default_code", "=like", format!("{p}%")])),
            "[a-z]{1,3}".prop_map(|p| json!(["name", "ilike", p])),
            prop::collection::vec(1i64..5, 0..3).prop_map(|ids| json!(["uom_id", "in", ids])),
            Just(json!(["uom_id.name", "=", "Units"])),
            Just(json!(["categ_id", "child_of", [2]])),
            (1i64..120).prop_map(|id| json!(["id", ">=", id])),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn or_is_union_and_is_intersection_not_is_complement(a in leaf(), b in leaf()) {
            let db = database();
            let all = search(&db, &json!([]));
            let (sa, sb) = (search(&db, &json!([a])), search(&db, &json!([b])));
            prop_assert_eq!(search(&db, &json!(["|", a, b])), sa.union(&sb).copied().collect::<BTreeSet<_>>());
            prop_assert_eq!(search(&db, &json!([a, b])), sa.intersection(&sb).copied().collect::<BTreeSet<_>>());
            prop_assert_eq!(search(&db, &json!(["&", a, b])), sa.intersection(&sb).copied().collect::<BTreeSet<_>>());
            prop_assert_eq!(search(&db, &json!(["!", a])), all.difference(&sa).copied().collect::<BTreeSet<_>>());
        }

        #[test]
        fn in_is_the_union_of_equalities(ids in prop::collection::vec(1i64..120, 0..6)) {
            let db = database();
            let union: BTreeSet<i64> = ids.iter().flat_map(|id| search(&db, &json!([["id", "=", id]]))).collect();
            let all = search(&db, &json!([]));
            let complement: BTreeSet<i64> = all.difference(&union).copied().collect();
            prop_assert_eq!(search(&db, &json!([["id", "in", &ids]])), union);
            prop_assert_eq!(search(&db, &json!([["id", "not in", ids]])), complement);
        }
    }

    #[test]
    fn child_of_walks_the_location_tree() {
        let db = database();
        let model = db.model("stock.location").expect("model");
        let under_wh =
            db.search(model, &json!([["location_id", "child_of", 7]]), 0, None, None, &env()).expect("search");
        assert!(under_wh.contains(&17), "Shelf 2 is under WH through WH/Stock");
        assert!(!under_wh.contains(&28), "EAST/Stock is not under WH");
    }

    #[test]
    fn archived_records_hide_unless_asked_for() {
        let mut db = database();
        let model = db.model("product.product").expect("model").clone();
        db.write(&model, &[44], &serde_json::Map::from_iter([("active".to_owned(), json!(false))]), &env())
            .expect("archive");
        assert!(!search(&db, &json!([])).contains(&44));
        let mut everything = env();
        everything.context.insert("active_test".into(), json!(false));
        assert!(db.search(&model, &json!([]), 0, None, None, &everything).expect("search").contains(&44));
        assert!(search(&db, &json!([["active", "=", false]])).contains(&44), "a domain on active disables the filter");
    }

    #[test]
    fn lang_context_translates_names() {
        let db = database();
        let model = db.model("product.product").expect("model");
        let mut french = env();
        french.context.insert("lang".into(), json!("fr_FR"));
        let read = db.read(model, &[20], Some(&["name".to_owned(), "uom_id".to_owned()]), &french).expect("read");
        assert_eq!(read[0]["name"], "Poubelle à pédale");
        assert_eq!(read[0]["uom_id"], json!([1, "Unités"]));
    }

    #[test]
    fn quantities_follow_the_warehouse_and_location_context() {
        let db = database();
        let model = db.model("product.product").expect("model");
        let fields = [
            "qty_available".to_owned(),
            "free_qty".to_owned(),
            "incoming_qty".to_owned(),
            "outgoing_qty".to_owned(),
            "virtual_available".to_owned(),
        ];
        let read = |context: Value| {
            let env = Env { uid: crate::seed::ADMIN_UID, context: context.as_object().cloned().unwrap_or_default() };
            db.read(model, &[20], Some(&fields), &env).expect("read").remove(0)
        };
        // E-COM10: 22 in WH/Stock, 10 in EAST/Stock of which 4 reserved for a delivery out of EAST.
        assert_eq!(read(json!({}))["qty_available"], json!(32.0));
        assert_eq!(read(json!({"warehouse_id": 1}))["qty_available"], json!(22.0));
        assert_eq!(read(json!({"warehouse_id": 2}))["free_qty"], json!(6.0));
        assert_eq!(read(json!({"warehouse_id": 2}))["outgoing_qty"], json!(4.0));
        assert_eq!(read(json!({"warehouse_id": "Newark"}))["qty_available"], json!(10.0));
        assert_eq!(read(json!({"location": 28}))["virtual_available"], json!(6.0));
        assert_eq!(read(json!({"location": 17}))["qty_available"], json!(0.0));
    }
}
