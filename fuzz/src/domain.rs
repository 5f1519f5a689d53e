//! The simulator's domains (`adapter/simulator/src/orm/domain.rs`, evaluated by `orm/search.rs`)
//! against a plain evaluator written here, over the products of the simulator's seed. Property:
//! any JSON is searched or refused without a panic, and a domain within what the plain evaluator
//! knows — prefix `&`, `|`, `!` with implicit `&`; comparisons, `in`, and `like` without
//! wildcards on a product's own text and number fields — selects the same records, or is refused
//! by both.

use std::{cmp::Ordering, sync::LazyLock};

use odoo_simulator::{SimConfig, Simulator};
use serde_json::{Map, Value, json};

const MODEL: &str = "product.product";
const TEXT_FIELDS: [&str; 3] = ["name", "default_code", "barcode"];
const NUMBER_FIELDS: [&str; 3] = ["id", "list_price", "weight"];

/// Archived products too: the `active` filter is not what is compared.
fn context() -> Map<String, Value> {
    let mut context = Map::new();
    context.insert("active_test".into(), json!(false));
    context
}

struct Fixture {
    simulator: Simulator,
    records: Vec<Map<String, Value>>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let simulator = Simulator::new(SimConfig::default());
    let fields: Vec<&str> = TEXT_FIELDS.iter().chain(&NUMBER_FIELDS).copied().collect();
    let records = simulator
        .search_read(MODEL, &json!([]), &fields, context())
        .expect("the seed's products")
        .into_iter()
        .filter_map(|r| r.as_object().cloned())
        .collect();
    Fixture { simulator, records }
});

/// A domain as JSON.
pub fn domain(data: &[u8]) {
    let Ok(domain) = serde_json::from_slice::<Value>(data) else { return };
    let fixture = &*FIXTURE;
    let searched = fixture.simulator.search_read(MODEL, &domain, &["id"], context());
    let Some(expected) = reference(&domain, &fixture.records) else { return };
    match (searched, expected) {
        (Ok(found), Some(expected)) => {
            let mut found: Vec<i64> = found.iter().filter_map(|r| r.get("id").and_then(Value::as_i64)).collect();
            found.sort_unstable();
            assert_eq!(found, expected, "{domain}");
        }
        (Err(_), None) => {}
        (Ok(_), None) => panic!("a malformed domain searched: {domain}"),
        (Err(error), Some(_)) => panic!("a well-formed domain refused: {domain}: {error:?}"),
    }
}

/// A parsed domain of the plain evaluator.
enum Node {
    Constant(bool),
    Not(Box<Node>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Leaf(Leaf),
}

struct Leaf {
    field: String,
    op: String,
    value: Value,
}

/// The sorted ids of the records `domain` selects: `Some(None)` when it is malformed, `None`
/// when it is beyond what this evaluator knows.
fn reference(domain: &Value, records: &[Map<String, Value>]) -> Option<Option<Vec<i64>>> {
    let terms = match domain {
        Value::Null | Value::Bool(false) => return Some(Some(ids(records, |_| true))),
        Value::Array(terms) => terms,
        _ => return Some(None),
    };
    let mut nodes = Vec::new();
    let mut rest = terms.as_slice();
    while !rest.is_empty() {
        match parse(&mut rest)? {
            Some(node) => nodes.push(node),
            None => return Some(None),
        }
    }
    Some(Some(ids(records, |r| nodes.iter().all(|n| eval(n, r)))))
}

fn ids(records: &[Map<String, Value>], keep: impl Fn(&Map<String, Value>) -> bool) -> Vec<i64> {
    let mut ids: Vec<i64> =
        records.iter().filter(|r| keep(r)).filter_map(|r| r.get("id").and_then(Value::as_i64)).collect();
    ids.sort_unstable();
    ids
}

/// One expression from the front of `terms`: `Some(None)` when an operator lacks operands.
fn parse(terms: &mut &[Value]) -> Option<Option<Node>> {
    let Some((term, rest)) = terms.split_first() else { return Some(None) };
    *terms = rest;
    Some(Some(match term.as_str() {
        Some("!") => match parse(terms)? {
            Some(a) => Node::Not(Box::new(a)),
            None => return Some(None),
        },
        Some(op @ ("&" | "|")) => {
            let Some(a) = parse(terms)? else { return Some(None) };
            let Some(b) = parse(terms)? else { return Some(None) };
            if op == "&" { Node::And(Box::new(a), Box::new(b)) } else { Node::Or(Box::new(a), Box::new(b)) }
        }
        _ => leaf(term)?,
    }))
}

/// A leaf this evaluator knows; `None` for any other.
fn leaf(term: &Value) -> Option<Node> {
    let [left, op, value] = term.as_array()?.as_slice() else { return None };
    let op = op.as_str()?;
    if let (Some(left), "=", Some(1)) = (left.as_i64(), op, value.as_i64()) {
        return Some(Node::Constant(left == 1));
    }
    let field = left.as_str()?;
    let text = TEXT_FIELDS.contains(&field);
    let number = NUMBER_FIELDS.contains(&field);
    if !text && !number {
        return None;
    }
    let plain = |v: &Value| v.as_str().is_some_and(|s| !s.contains(['%', '_', '\\']));
    let known = match op {
        "=" | "==" | "!=" | "<>" => (text && (value.is_string() || value == &json!(false))) || (number && fits(value)),
        "<" | ">" | "<=" | ">=" => (text && value.is_string()) || (number && fits(value)),
        "in" | "not in" => value.as_array().is_some_and(|items| {
            items.iter().all(|v| (text && (v.is_string() || v == &json!(false))) || (number && fits(v)))
        }),
        "like" | "ilike" | "not like" | "not ilike" | "=like" | "=ilike" => text && plain(value),
        _ => false,
    };
    known.then(|| Node::Leaf(Leaf { field: field.to_owned(), op: op.to_owned(), value: value.clone() }))
}

/// A number PostgreSQL compares with an `integer` id without failing (and any float).
fn fits(value: &Value) -> bool {
    value.as_i64().map_or(value.is_f64(), |n| i32::try_from(n).is_ok())
}

fn eval(node: &Node, record: &Map<String, Value>) -> bool {
    match node {
        Node::Constant(value) => *value,
        Node::Not(a) => !eval(a, record),
        Node::And(a, b) => eval(a, record) && eval(b, record),
        Node::Or(a, b) => eval(a, record) || eval(b, record),
        Node::Leaf(leaf) => {
            let stored = record.get(&leaf.field).unwrap_or(&Value::Null);
            // Odoo reads NULL as `false`.
            let stored = match stored {
                Value::Bool(false) | Value::Null => None,
                v => Some(v),
            };
            matches(stored, &leaf.op, &leaf.value)
        }
    }
}

/// SQL's meaning of each operator, NULL included: a negative operator holds for NULL.
fn matches(stored: Option<&Value>, op: &str, value: &Value) -> bool {
    let equal = |target: &Value| match (stored, target) {
        // `= False` holds for NULL and for an empty text.
        (None, Value::Bool(false)) => true,
        (Some(v), Value::Bool(false)) => v.as_str() == Some(""),
        (None, _) => false,
        (Some(Value::String(s)), Value::String(t)) => s == t,
        (Some(v), t) => match (v.as_f64(), t.as_f64()) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        },
    };
    let order = || match (stored?, value) {
        (Value::String(s), Value::String(t)) => Some(s.cmp(t)),
        (v, t) => v.as_f64()?.partial_cmp(&t.as_f64()?),
    };
    let text = || stored.and_then(Value::as_str);
    let needle = value.as_str().unwrap_or_default();
    let contains = |fold: bool| {
        text()
            .is_some_and(|s| if fold { s.to_lowercase().contains(&needle.to_lowercase()) } else { s.contains(needle) })
    };
    let list = || value.as_array().into_iter().flatten();
    match op {
        "=" | "==" => equal(value),
        "!=" | "<>" => !equal(value),
        "<" => order() == Some(Ordering::Less),
        ">" => order() == Some(Ordering::Greater),
        "<=" => matches!(order(), Some(Ordering::Less | Ordering::Equal)),
        ">=" => matches!(order(), Some(Ordering::Greater | Ordering::Equal)),
        "in" => list().any(equal),
        "not in" => !list().any(equal),
        "like" => contains(false),
        "ilike" => contains(true),
        "not like" => !contains(false),
        "not ilike" => !contains(true),
        "=like" => text() == Some(needle),
        "=ilike" => text().is_some_and(|s| s.to_lowercase() == needle.to_lowercase()),
        _ => false,
    }
}
