//! Searching: domains evaluated against records (following relations, `child_of`, names of
//! related records), the `active` filter, and orders with PostgreSQL's NULL placement.

use std::{cmp::Ordering, collections::BTreeMap};

use serde_json::{Value, json};

use super::{
    Access, Database, Env, ModelDef, OdooVersion,
    domain::{self, Domain, Leaf, Op},
    fields::FieldType,
};
use crate::error::{SimError, SimResult};

impl Database {
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
        if let Some(literal) = id_beyond_integer(&domain) {
            return Err(SimError::integer_out_of_range(&literal));
        }
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

    /// Whether one record matches a domain (a field's own domain, say); a domain that does not
    /// parse or evaluate matches nothing.
    pub(crate) fn satisfies(&self, model: &str, id: i64, domain: &Value, env: &Env) -> bool {
        let (Ok(model), Ok(domain)) = (self.model(model), domain::parse(domain)) else { return false };
        self.matches(model, id, &domain, env).unwrap_or(false)
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
                    let parent = self.model(comodel).ok().and_then(|m| m.parent_field).unwrap_or("parent_id");
                    roots.iter().flat_map(|r| self.ancestors(comodel, parent, *r)).collect()
                };
                values.iter().filter_map(Value::as_i64).any(|v| set.contains(&v))
            }
        })
    }

    pub(super) fn sort(&self, model: &ModelDef, ids: &mut [i64], order: &str, env: &Env) -> SimResult<()> {
        let mut keys: Vec<(String, bool)> = Vec::new();
        for part in order.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut words = part.split_whitespace();
            let field = words.next().unwrap_or_default().trim_matches('"').to_owned();
            let desc = words.next().is_some_and(|w| w.eq_ignore_ascii_case("desc"));
            if model.field(&field).is_none() {
                return Err(super::invalid_field(model.name, &field));
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
}

/// The first id compared with a value PostgreSQL's `integer` cannot hold, as that value's text.
/// Odoo sends such a comparison on `id` (or a path ending in `id`) to PostgreSQL as a quoted
/// literal, which PostgreSQL must cast to `integer` and cannot; `in` lists and many2one values
/// go as numbers and just match nothing (verified on Odoo 18: `[('id', '=', 9999999999)]` fails,
/// `[('id', 'in', [9999999999])]` and `read([9999999999])` answer nothing).
fn id_beyond_integer(domain: &Domain) -> Option<String> {
    match domain {
        Domain::True | Domain::False => None,
        Domain::Not(d) => id_beyond_integer(d),
        Domain::And(a, b) | Domain::Or(a, b) => id_beyond_integer(a).or_else(|| id_beyond_integer(b)),
        Domain::Leaf(leaf) => {
            let compared = matches!(leaf.op, Op::Eq | Op::Ne | Op::Lt | Op::Gt | Op::Le | Op::Ge);
            let literal = match &leaf.value {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                _ => return None,
            };
            let fits = literal.parse::<i128>().map_or(true, |v| i32::try_from(v).is_ok());
            (compared && leaf.path.last().is_some_and(|f| f == "id") && !fits).then_some(literal)
        }
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
