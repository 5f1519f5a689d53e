//! Remote-callable methods of the generic ORM: their Python signatures (so argument binding fails
//! the way Odoo's does) and what each one does; models add theirs through the registry. Both wire
//! formats bind their arguments here and then call `execute`.

use serde_json::{Map, Value, json};

use std::sync::Arc;

use super::{Access, Database, Env, ModelDef, fields::FieldType, registry::Args};
use crate::error::{Raised, SERIALIZATION_FAILURE, SimError, SimResult};

/// A method's Python signature, as far as binding needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signature {
    /// `@api.model`: called on the model, never with ids.
    pub(crate) model_level: bool,
    /// Parameter names after `self`, in order.
    pub(crate) params: &'static [&'static str],
    /// How many leading parameters have no default.
    pub(crate) required: usize,
    /// Accepts `**kwargs` (unknown keywords fail later, inside the method).
    pub(crate) var_kwargs: bool,
    /// `@api.readonly`: cannot change data.
    pub(crate) readonly: bool,
}

pub(crate) const fn sig(
    model_level: bool,
    params: &'static [&'static str],
    required: usize,
    var_kwargs: bool,
    readonly: bool,
) -> Signature {
    Signature { model_level, params, required, var_kwargs, readonly }
}

/// The signature of a method of the generic ORM, or of one the model adds.
pub(crate) fn signature(db: &Database, model: &ModelDef, method: &str) -> Option<Signature> {
    Some(match method {
        "search" => sig(true, &["domain", "offset", "limit", "order"], 1, false, true),
        "search_read" => sig(true, &["domain", "fields", "offset", "limit", "order"], 0, true, true),
        "search_count" => sig(true, &["domain", "limit"], 1, false, true),
        "read" => sig(false, &["fields", "load"], 0, false, true),
        "create" => sig(true, &["vals_list"], 1, false, false),
        // Some models override `write(self, values)`: the keyword `vals` fails there.
        "write" if model.behaviour.write_parameter() == "values" => sig(false, &["values"], 1, false, false),
        "write" => sig(false, &["vals"], 1, false, false),
        "unlink" => sig(false, &[], 0, false, false),
        "fields_get" => sig(true, &["allfields", "attributes"], 0, false, true),
        "name_search" => sig(true, &["name", "domain", "operator", "limit"], 0, false, true),
        "read_group" => {
            sig(true, &["domain", "fields", "groupby", "offset", "limit", "orderby", "lazy"], 3, false, true)
        }
        "exists" => sig(false, &[], 0, false, true),
        "load" => sig(true, &["fields", "data"], 2, false, false),
        _ => return model.behaviour.methods(db).into_iter().find(|m| m.name == method).map(|m| m.signature),
    })
}

/// What a method returned: a plain value, or records (rendered as an id or ids depending on the
/// wire format and on how `create` was called).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Value(Value),
    Created {
        ids: Vec<i64>,
        single: bool,
    },
    /// The method returned `None`: JSON-RPC then has no `result` key at all.
    Nothing,
}

/// Binds positional and keyword arguments to parameter names, like Python's `Signature.bind`.
pub(crate) fn bind(
    sig: &Signature,
    method: &str,
    positional: Vec<Value>,
    mut keywords: Map<String, Value>,
) -> SimResult<Map<String, Value>> {
    if positional.len() > sig.params.len() {
        return Err(SimError::type_error(format!(
            "{method}() takes {} positional arguments but {} were given",
            sig.params.len() + 1,
            positional.len() + 1
        )));
    }
    let mut bound = Map::new();
    for (name, value) in sig.params.iter().zip(positional) {
        if keywords.contains_key(*name) {
            return Err(SimError::type_error(format!("{method}() got multiple values for argument '{name}'")));
        }
        bound.insert((*name).to_owned(), value);
    }
    // Odoo 17 and older called name_search's domain `args`; keep accepting it.
    if method == "name_search"
        && let Some(args) = keywords.remove("args")
    {
        keywords.entry("domain").or_insert(args);
    }
    for (name, value) in keywords {
        if sig.params.contains(&name.as_str()) {
            bound.insert(name, value);
        } else {
            return Err(SimError::UnexpectedKeyword {
                method: method.to_owned(),
                keyword: name,
                strict: !sig.var_kwargs,
            });
        }
    }
    if let Some(missing) = sig.params[..sig.required].iter().find(|p| !bound.contains_key(**p)) {
        return Err(SimError::MissingArgument { method: method.to_owned(), param: missing });
    }
    Ok(bound)
}

fn usize_arg(params: &Map<String, Value>, name: &str) -> Option<usize> {
    params.get(name).and_then(Value::as_u64).map(|v| v as usize)
}

fn fields_arg(params: &Map<String, Value>, name: &str) -> Option<Vec<String>> {
    params.get(name).and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
}

/// Runs a bound method. `ids` is empty for model-level calls.
pub(crate) fn execute(
    db: &mut Database,
    env: &Env,
    model_name: &str,
    method: &str,
    ids: &[i64],
    params: &Map<String, Value>,
) -> SimResult<Outcome> {
    let registry = Arc::clone(&db.registry);
    let model = registry.model(model_name)?;
    let null = Value::Null;
    let domain = params.get("domain").unwrap_or(&null);
    let order = params.get("order").and_then(Value::as_str);
    // `search` and `search_read` page and sort alike.
    let search_page = |db: &Database| {
        db.search(model, domain, usize_arg(params, "offset").unwrap_or(0), usize_arg(params, "limit"), order, env)
    };
    match method {
        "search" => Ok(Outcome::Value(json!(search_page(db)?))),
        "search_count" => {
            let found = db.search(model, domain, 0, usize_arg(params, "limit"), None, env)?;
            Ok(Outcome::Value(json!(found.len())))
        }
        "search_read" => {
            let fields = fields_arg(params, "fields");
            // As Odoo's `search_fetch`: the domain is checked as it searches, then the field names.
            let found = search_page(db)?;
            Ok(Outcome::Value(json!(db.read(model, &found, fields.as_deref(), env)?)))
        }
        "read" => Ok(Outcome::Value(json!(db.read(model, ids, fields_arg(params, "fields").as_deref(), env)?))),
        "exists" => Ok(Outcome::Value(json!(ids.iter().filter(|i| db.exists(model_name, **i)).collect::<Vec<_>>()))),
        "create" => {
            let (list, single) = match params.get("vals_list") {
                Some(Value::Object(vals)) => (vec![vals.clone()], true),
                Some(Value::Array(items)) => (
                    items
                        .iter()
                        .map(|v| {
                            v.as_object()
                                .cloned()
                                .ok_or_else(|| SimError::type_error("create() expects dictionaries of values"))
                        })
                        .collect::<SimResult<Vec<_>>>()?,
                    false,
                ),
                _ => {
                    return Err(SimError::type_error("create() expects a dictionary or a list of dictionaries"));
                }
            };
            let mut created = Vec::new();
            for vals in &list {
                created.push(db.create(model_name, vals, env)?);
            }
            Ok(Outcome::Created { ids: created, single })
        }
        "write" => {
            let vals = params
                .get("vals")
                .or_else(|| params.get("values"))
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            db.write(model_name, ids, &vals, env)?;
            Ok(Outcome::Value(json!(true)))
        }
        "unlink" => {
            db.unlink(model_name, ids, env)?;
            Ok(Outcome::Value(json!(true)))
        }
        "fields_get" => Ok(Outcome::Value(fields_get(model, params))),
        "name_search" => {
            let name = params.get("name").and_then(Value::as_str).unwrap_or_default();
            let operator = params.get("operator").and_then(Value::as_str).unwrap_or("ilike");
            let mut terms = params.get("domain").and_then(Value::as_array).cloned().unwrap_or_default();
            if !name.is_empty() {
                let field = if model.field("default_code").is_some() {
                    "display_name"
                } else if model.field("name").is_some() {
                    "name"
                } else {
                    "display_name"
                };
                terms.push(json!([field, operator, name]));
            }
            let limit = usize_arg(params, "limit").unwrap_or(100);
            let found = db.search(model, &Value::Array(terms), 0, Some(limit), None, env)?;
            Ok(Outcome::Value(json!(
                found.iter().map(|id| json!([id, db.display_name(model_name, *id, env)])).collect::<Vec<_>>()
            )))
        }
        "read_group" => read_group(db, model, params, env).map(Outcome::Value),
        "load" => super::load::load(db, env, model, params).map(Outcome::Value),
        _ => {
            let Some(added) = model.behaviour.methods(db).into_iter().find(|m| m.name == method) else {
                return Err(SimError::UnknownMethod { model: model_name.to_owned(), method: method.to_owned() });
            };
            if added.on_records {
                let missing: Vec<i64> = ids.iter().copied().filter(|i| !db.exists(model_name, *i)).collect();
                if !missing.is_empty() {
                    return Err(SimError::missing(model_name, &missing, env.uid));
                }
                db.check_access(model, Access::Write, env)?;
            }
            (added.run)(db, env, &Args { model: model_name, ids, params })
        }
    }
}

fn fields_get(model: &ModelDef, params: &Map<String, Value>) -> Value {
    let wanted = fields_arg(params, "allfields").filter(|f| !f.is_empty());
    let attributes = fields_arg(params, "attributes").filter(|a| !a.is_empty());
    let mut out = Map::new();
    for field in model.fields.values() {
        if wanted.as_ref().is_some_and(|w| !w.iter().any(|n| n == field.name)) {
            continue;
        }
        let mut desc = Map::new();
        desc.insert("type".into(), json!(field.ftype.name()));
        desc.insert("string".into(), json!(field.string));
        desc.insert("store".into(), json!(field.store));
        desc.insert("readonly".into(), json!(field.readonly));
        desc.insert("required".into(), json!(field.required));
        desc.insert("searchable".into(), json!(true));
        desc.insert("sortable".into(), json!(field.store));
        if let Some(rel) = field.ftype.relation() {
            desc.insert("relation".into(), json!(rel));
        }
        if let Some(places) = field.digits {
            desc.insert("digits".into(), json!([16, places]));
        }
        if let FieldType::Selection(options) = &field.ftype {
            desc.insert(
                "selection".into(),
                json!(options.pairs().iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>()),
            );
        }
        if let Some(attrs) = &attributes {
            desc.retain(|k, _| attrs.iter().any(|a| a == k));
        }
        out.insert(field.name.into(), Value::Object(desc));
    }
    Value::Object(out)
}

fn read_group(db: &Database, model: &ModelDef, params: &Map<String, Value>, env: &Env) -> SimResult<Value> {
    let null = Value::Null;
    let ids = db.search(model, params.get("domain").unwrap_or(&null), 0, None, None, env)?;
    let groupby: Vec<String> = match params.get("groupby") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(v) => fields_arg(&Map::from_iter([("g".to_owned(), v.clone())]), "g").unwrap_or_default(),
        None => vec![],
    };
    let lazy = params.get("lazy").and_then(Value::as_bool).unwrap_or(true);
    let groupby: Vec<String> = if lazy { groupby.into_iter().take(1).collect() } else { groupby };
    let aggregates: Vec<(String, String)> = fields_arg(params, "fields")
        .unwrap_or_default()
        .into_iter()
        .filter_map(|spec| {
            let (name, func) = spec.split_once(':').map_or((spec.as_str(), "sum"), |(n, f)| (n, f));
            let name = name.split('(').next().unwrap_or(name).to_owned();
            (!groupby.contains(&name)
                && model
                    .field(&name)
                    .is_some_and(|f| matches!(f.ftype, FieldType::Float | FieldType::Integer | FieldType::Monetary)))
            .then(|| (name, func.to_owned()))
        })
        .collect();
    for g in &groupby {
        if model.field(g).is_none() {
            return Err(super::invalid_field(model.name, g));
        }
    }
    let mut groups: Vec<(Vec<Value>, Vec<i64>)> = Vec::new();
    for id in ids {
        let key: Vec<Value> = groupby.iter().map(|g| db.output(model, id, g, env)).collect();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(id),
            None => groups.push((key, vec![id])),
        }
    }
    let base_domain = params.get("domain").and_then(Value::as_array).cloned().unwrap_or_default();
    Ok(json!(
        groups
            .into_iter()
            .map(|(key, members)| {
                let mut g = Map::new();
                let mut domain: Vec<Value> = Vec::new();
                for (field, value) in groupby.iter().zip(&key) {
                    g.insert(field.clone(), value.clone());
                    let raw = value.as_array().and_then(|p| p.first().cloned()).unwrap_or_else(|| value.clone());
                    domain.push(json!([field, "=", raw]));
                }
                let count_key = if lazy {
                    format!("{}_count", groupby.first().map_or("", String::as_str))
                } else {
                    "__count".to_owned()
                };
                g.insert(count_key, json!(members.len()));
                for (field, func) in &aggregates {
                    let values: Vec<f64> = members
                        .iter()
                        .map(|m| db.raw(model.name, *m, field, env).as_f64().unwrap_or_default())
                        .collect();
                    let v = match func.as_str() {
                        "max" => values.iter().copied().fold(f64::MIN, f64::max),
                        "min" => values.iter().copied().fold(f64::MAX, f64::min),
                        "avg" => values.iter().sum::<f64>() / values.len().max(1) as f64,
                        "count" => values.len() as f64,
                        _ => values.iter().sum(),
                    };
                    g.insert(field.clone(), json!(v));
                }
                let mut full: Vec<Value> = vec![json!("&"); base_domain.len().saturating_sub(1) + domain.len()];
                full.truncate(base_domain.len() + domain.len() - 1);
                full.extend(base_domain.iter().cloned());
                full.extend(domain);
                g.insert("__domain".into(), Value::Array(full));
                if lazy {
                    g.insert("__context".into(), json!({"group_by": []}));
                }
                Value::Object(g)
            })
            .collect::<Vec<_>>()
    ))
}

/// The error Odoo answers when a transaction loses a serialization race.
pub(crate) fn serialization_failure() -> SimError {
    SimError::Raise(Raised::new(SERIALIZATION_FAILURE, crate::error::SERIALIZATION_MESSAGE))
}
