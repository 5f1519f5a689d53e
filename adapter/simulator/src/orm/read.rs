//! Reading values: stored values, computed fields (asked of the model), display names, hierarchies,
//! and `read` with many2one pairs.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{Access, Database, Env, ModelDef, Row, fields::FieldType};
use crate::{error::SimResult, orm::domain};

impl Database {
    /// Odoo's `display_name`: the model's own, else its translated `name`, else `model,id`.
    pub(crate) fn display_name(&self, model: &str, id: i64, env: &Env) -> String {
        let Some(row) = self.row(model, id) else {
            return String::new();
        };
        let Ok(def) = self.model(model) else { return String::new() };
        if let Some(name) = def.behaviour.display_name(self, env, id) {
            return name;
        }
        if row.contains_key("name") { self.translated(row, "name", env) } else { format!("{model},{id}") }
    }

    /// A translatable value in the context's language.
    pub(crate) fn translated(&self, row: &Row, field: &str, env: &Env) -> String {
        let base = row.get(field).and_then(Value::as_str).unwrap_or_default();
        env.lang()
            .and_then(|lang| row.get(&format!("__{field}_{lang}")))
            .and_then(Value::as_str)
            .unwrap_or(base)
            .to_owned()
    }

    /// This record and its parents along `parent_field`, nearest first.
    pub(crate) fn ancestors(&self, model: &str, parent_field: &str, id: i64) -> Vec<i64> {
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
        let parent_field = self.model(model).ok().and_then(|m| m.parent_field);
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
        match field {
            "id" => return json!(id),
            "display_name" => return json!(self.display_name(model, id, env)),
            _ => {}
        }
        let Ok(def) = self.model(model) else { return Value::Bool(false) };
        let field_def = def.field(field);
        if field_def.is_some_and(|f| f.computed) {
            return def.behaviour.compute(self, env, id, field).unwrap_or(Value::Bool(false));
        }
        let Some(row) = self.row(model, id) else {
            return Value::Bool(false);
        };
        if let Some(FieldType::One2many(comodel, inverse)) = field_def.map(|f| &f.ftype) {
            let domain = field_def.and_then(|f| f.domain.as_ref());
            let mut ids: Vec<i64> = self
                .table(comodel)
                .rows
                .iter()
                .filter(|(_, r)| r.get(*inverse).and_then(Value::as_i64) == Some(id))
                .map(|(cid, _)| *cid)
                .filter(|cid| domain.is_none_or(|d| self.satisfies(comodel, *cid, d, env)))
                .collect();
            // Odoo lists a one2many in its comodel's default order.
            if let Ok(comodel) = self.model(comodel) {
                let _ = self.sort(comodel, &mut ids, comodel.order, env);
            }
            return json!(ids);
        }
        if field_def.is_some_and(|f| f.translate) {
            return json!(self.translated(row, field, env));
        }
        match row.get(field) {
            Some(v) => v.clone(),
            None => match field_def.map(|f| &f.ftype) {
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
            // `+ 0.0` makes -0.0 (Rust's sum of nothing) Python's 0.0.
            FieldType::Float | FieldType::Monetary => json!(raw.as_f64().unwrap_or(0.0) + 0.0),
            FieldType::Selection(_) | FieldType::Date | FieldType::Datetime if domain::is_empty(&raw) => {
                Value::Bool(false)
            }
            t if t.is_text() && domain::is_empty(&raw) => Value::Bool(false),
            _ => raw,
        }
    }

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
                return Err(self.invalid_read_field(model.name, f));
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
}
