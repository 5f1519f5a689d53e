//! Writing: create and write with Odoo's value conversions and x2many commands, unlink; each
//! calls the model's hooks around the generic work.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Access, Database, EXTERNAL_IDS, Env, ModelDef, Row, domain, fields::FieldType, json_type};
use crate::error::{SimError, SimResult};

/// The values a create writes: those given, then Odoo's `default_get` — a `default_<field>` context
/// key, else the field's own default.
fn with_defaults(model: &ModelDef, vals: &Map<String, Value>, env: &Env) -> Map<String, Value> {
    let mut vals = vals.clone();
    for field in model.fields.keys() {
        if let Some(value) = env.context.get(&format!("default_{field}")) {
            vals.entry(*field).or_insert_with(|| value.clone());
        }
    }
    for (field, value) in &model.defaults {
        vals.entry(*field).or_insert_with(|| value.clone());
    }
    vals
}

impl Database {
    pub(crate) fn create(&mut self, model: &str, vals: &Map<String, Value>, env: &Env) -> SimResult<i64> {
        let registry = Arc::clone(&self.registry);
        let model = registry.model(model)?;
        self.check_access(model, Access::Create, env)?;
        // Odoo refuses a field the model lacks before anything is written.
        if let Some(unknown) = vals.keys().find(|k| model.field(k).is_none()) {
            return Err(super::invalid_field(model.name, unknown));
        }
        if let Some(created) = model.behaviour.create_instead(self, env, vals) {
            return created;
        }
        let vals = with_defaults(model, vals, env);
        for f in model.fields.values().filter(|f| f.required && f.store) {
            if domain::is_empty(vals.get(f.name).unwrap_or(&Value::Null)) && !model.behaviour.fills_required(f.name) {
                return Err(super::missing_required_column(
                    self.version,
                    model.description,
                    model.name,
                    f.string,
                    f.name,
                ));
            }
        }
        model.behaviour.before_create(self, env, &vals)?;
        let id = {
            let table = self.table_mut(model.name)?;
            let id = table.next_id.max(1);
            table.next_id = id + 1;
            id
        };
        let stamp = self.stamp();
        let mut row = Row::new();
        row.insert("create_date".into(), json!(stamp));
        row.insert("write_date".into(), json!(stamp));
        row.insert("__create_uid".into(), json!(env.uid));
        if model.has_active() {
            row.insert("active".into(), json!(true));
        }
        self.table_mut(model.name)?.rows.insert(id, row);
        let x2many = self.assign(model, id, &vals, env)?;
        // What Odoo computes from the record's own values (an order's price list, say) must exist
        // before its lines are priced.
        model.behaviour.complete(self, env, id)?;
        self.apply_x2many(model, id, x2many, env)?;
        model.behaviour.after_create(self, env, id)?;
        self.touched.extend(vals.keys().map(|field| (model.name, id, field.to_string())));
        Ok(id)
    }

    pub(crate) fn write(&mut self, model: &str, ids: &[i64], vals: &Map<String, Value>, env: &Env) -> SimResult<()> {
        let registry = Arc::clone(&self.registry);
        let model = registry.model(model)?;
        self.check_access(model, Access::Write, env)?;
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !self.exists(model.name, *id)).collect();
        if !missing.is_empty() {
            return Err(SimError::missing(model.name, &missing, env.uid));
        }
        if let Some(unknown) = vals.keys().find(|k| model.field(k).is_none()) {
            return Err(super::invalid_field(model.name, unknown));
        }
        model.behaviour.before_write(self, env, ids, vals)?;
        let stamp = self.stamp();
        for id in ids {
            let x2many = self.assign(model, *id, vals, env)?;
            self.apply_x2many(model, *id, x2many, env)?;
            if let Some(row) = self.table_mut(model.name)?.rows.get_mut(id) {
                row.insert("write_date".into(), json!(stamp));
            }
            self.touched.extend(vals.keys().map(|field| (model.name, *id, field.clone())));
        }
        model.behaviour.after_write(self, env, ids, vals)
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
                return Err(super::invalid_field(model.name, name));
            };
            if field.computed {
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
                    Value::Number(n) => json!(float_round(n.as_f64().unwrap_or_default(), field.digits)),
                    Value::Bool(false) | Value::Null => json!(0.0),
                    Value::String(s) => {
                        let value = s
                            .trim()
                            .parse::<f64>()
                            .map_err(|_| SimError::value(format!("could not convert string to float: '{s}'")))?;
                        json!(float_round(value, field.digits))
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
                    Some(s) if options.accepts(s) => json!(s),
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
                        let child = self.create(comodel_name, &vals, env)?;
                        current.push(child);
                    }
                    (Some(1), _) => self.write(comodel_name, &[target], &vals, env)?,
                    (Some(2), _) => {
                        self.unlink(comodel_name, &[target], env)?;
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

    pub(crate) fn unlink(&mut self, model: &str, ids: &[i64], env: &Env) -> SimResult<()> {
        let registry = Arc::clone(&self.registry);
        let model = registry.model(model)?;
        self.check_access(model, Access::Unlink, env)?;
        let missing: Vec<i64> = ids.iter().copied().filter(|id| !self.exists(model.name, *id)).collect();
        if !missing.is_empty() {
            return Err(SimError::missing(model.name, &missing, env.uid));
        }
        model.behaviour.before_unlink(self, env, ids)?;
        model.behaviour.on_unlink(self, ids);
        let table = self.table_mut(model.name)?;
        for id in ids {
            table.rows.remove(id);
        }
        // Deleting a record deletes its external ids.
        if let Some(xids) = self.tables.get_mut(EXTERNAL_IDS) {
            xids.rows.retain(|_, r| {
                !(r.get("model").and_then(Value::as_str) == Some(model.name)
                    && r.get("res_id").and_then(Value::as_i64).is_some_and(|i| ids.contains(&i)))
            });
        }
        Ok(())
    }
}

/// What Odoo stores of a float field with `digits`: rounded half away from zero to that many
/// places, as `float_round` does (so 1.005 rounds to 1.01 although the double is 1.00499...).
/// Without digits, as given.
fn float_round(value: f64, digits: Option<u32>) -> f64 {
    let Some(places) = digits else { return value };
    super::float::round(value, 10f64.powi(-i32::try_from(places).unwrap_or(0)), super::float::Rounding::HalfUp)
}

#[cfg(test)]
mod tests {
    use super::float_round;

    #[test]
    fn floats_with_digits_are_stored_as_odoos_float_round_leaves_them() {
        assert_eq!(float_round(12.345, Some(2)), 12.35);
        assert_eq!(float_round(1.005, Some(2)), 1.01, "the double below 1.005 still rounds up");
        assert_eq!(float_round(-2.675, Some(2)), -2.68, "half away from zero");
        assert_eq!(float_round(0.001, Some(2)), 0.0, "a thousandth of a Unit is nothing");
        let huge = float_round(1e30, Some(2));
        assert!(huge != 1e30 && (huge / 1e30 - 1.0).abs() < 1e-12, "a little off, as on a real Odoo 18: {huge}");
        assert_eq!(float_round(0.123_456_7, None), 0.123_456_7, "no digits, no rounding");
    }
}
