//! Odoo domains: parsing the prefix-notation list (`&`, `|`, `!`, implicit `&` between terms) into a
//! tree, and the comparison rules of each operator. Evaluation against records lives in `orm`.

use serde_json::Value;

/// A comparison operator of a domain leaf.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    NotIn,
    Like,
    NotLike,
    ILike,
    NotILike,
    EqLike,
    EqILike,
    ChildOf,
    ParentOf,
}

impl Op {
    fn parse(op: &str) -> Option<Self> {
        Some(match op {
            "=" | "==" => Self::Eq,
            "!=" | "<>" => Self::Ne,
            "<" => Self::Lt,
            ">" => Self::Gt,
            "<=" => Self::Le,
            ">=" => Self::Ge,
            "in" => Self::In,
            "not in" => Self::NotIn,
            "like" => Self::Like,
            "not like" => Self::NotLike,
            "ilike" => Self::ILike,
            "not ilike" => Self::NotILike,
            "=like" => Self::EqLike,
            "=ilike" => Self::EqILike,
            "child_of" => Self::ChildOf,
            "parent_of" => Self::ParentOf,
            _ => return None,
        })
    }
}

/// One `(path, operator, value)` condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Leaf {
    pub(crate) path: Vec<String>,
    pub(crate) op: Op,
    pub(crate) value: Value,
    /// The leaf as sent, for error messages in Odoo's words.
    pub(crate) raw: Value,
}

/// A parsed domain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Domain {
    True,
    False,
    Leaf(Leaf),
    Not(Box<Domain>),
    And(Box<Domain>, Box<Domain>),
    Or(Box<Domain>, Box<Domain>),
}

/// Parses a domain as JSON; `null` and `[]` match everything.
pub(crate) fn parse(value: &Value) -> Result<Domain, String> {
    let terms = match value {
        Value::Null | Value::Bool(false) => return Ok(Domain::True),
        Value::Array(terms) => terms,
        other => return Err(format!("Invalid domain: {}", python_repr(other))),
    };
    // Evaluate the prefix notation from the end with a stack, as Odoo's normalisation does.
    let mut stack: Vec<Domain> = Vec::new();
    for term in terms.iter().rev() {
        match term.as_str() {
            Some("!") => {
                let a = stack.pop().ok_or("Domain operator '!' lacks an operand")?;
                stack.push(Domain::Not(Box::new(a)));
            }
            Some(op @ ("&" | "|")) => {
                let a = stack.pop().ok_or_else(|| format!("Domain operator '{op}' lacks operands"))?;
                let b = stack.pop().ok_or_else(|| format!("Domain operator '{op}' lacks operands"))?;
                let (a, b) = (Box::new(a), Box::new(b));
                stack.push(if op == "&" { Domain::And(a, b) } else { Domain::Or(a, b) });
            }
            _ => stack.push(parse_leaf(term)?),
        }
    }
    // Terms left side by side are joined with an implicit AND, in order.
    let mut result = Domain::True;
    while let Some(d) = stack.pop() {
        result = match result {
            Domain::True => d,
            r => Domain::And(Box::new(r), Box::new(d)),
        };
    }
    Ok(result)
}

fn parse_leaf(term: &Value) -> Result<Domain, String> {
    let bad = || format!("Invalid leaf {}", python_repr(term));
    let Value::Array(parts) = term else {
        return Err(bad());
    };
    let [left, op, right] = parts.as_slice() else {
        return Err(bad());
    };
    // Odoo's constant leaves TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1).
    if let (Some(l), Some("="), Some(1)) = (left.as_i64(), op.as_str(), right.as_i64()) {
        return Ok(if l == 1 { Domain::True } else { Domain::False });
    }
    let path = left.as_str().ok_or_else(bad)?;
    let op = op.as_str().and_then(Op::parse).ok_or_else(bad)?;
    Ok(Domain::Leaf(Leaf {
        path: path.split('.').map(str::to_owned).collect(),
        op,
        value: right.clone(),
        raw: term.clone(),
    }))
}

/// Whether a value is Odoo's "empty" (`False`, `None`, empty string or list).
pub(crate) fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null | Value::Bool(false) => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Compares two scalar values for ordering; numbers numerically, strings lexically (which also
/// orders Odoo's "YYYY-MM-DD HH:MM:SS" dates correctly). `None` when they are not comparable.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Equality as SQL sees it after Odoo's conversions: `1 == 1.0`, and `False` equals every empty value.
pub(crate) fn equals(a: &Value, b: &Value) -> bool {
    if matches!(b, Value::Bool(false) | Value::Null) {
        return is_empty(a) || a == &Value::Bool(false);
    }
    if matches!(a, Value::Bool(false) | Value::Null) {
        return false;
    }
    compare(a, b) == Some(std::cmp::Ordering::Equal)
}

/// SQL `LIKE` matching with `%` and `_` wildcards and `\\` escaping the next character, as
/// PostgreSQL runs Odoo's `like` operators (`ilike` and `=ilike` case-insensitively).
pub fn like(text: &str, pattern: &str, case_insensitive: bool) -> bool {
    let (t, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (text.to_lowercase().chars().collect(), pattern.to_lowercase().chars().collect())
    } else {
        (text.chars().collect(), pattern.chars().collect())
    };
    // A backslash makes the next pattern character literal, as in PostgreSQL.
    let mut tokens: Vec<(char, bool)> = Vec::with_capacity(p.len());
    let mut chars = p.iter();
    while let Some(c) = chars.next() {
        match c {
            '\\' => tokens.push((chars.next().copied().unwrap_or('\\'), true)),
            c => tokens.push((*c, false)),
        }
    }
    let wild = |i: usize, c: char| tokens.get(i).is_some_and(|(tc, escaped)| !escaped && *tc == c);
    let literal = |i: usize, c: char| {
        tokens.get(i).is_some_and(|(tc, escaped)| (*escaped || (*tc != '%' && *tc != '_')) && *tc == c)
    };
    let p = &tokens;
    // Iterative wildcard matching with backtracking on the last '%'.
    let (mut ti, mut pi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if wild(pi, '_') || literal(pi, t[ti]) {
            ti += 1;
            pi += 1;
        } else if wild(pi, '%') {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while wild(pi, '%') {
        pi += 1;
    }
    pi == p.len()
}

/// Renders a JSON value the way Python's `repr` shows the same value, for Odoo-worded messages.
pub(crate) fn python_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) if items.len() == 3 && items[0].is_string() => {
            // Domain leaves arrive as lists but Odoo shows them as tuples.
            format!("({})", items.iter().map(python_repr).collect::<Vec<_>>().join(", "))
        }
        Value::Array(items) => format!("[{}]", items.iter().map(python_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter().map(|(k, v)| format!("'{k}': {}", python_repr(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn implicit_and_joins_terms_in_order() {
        let d = parse(&json!([["a", "=", 1], ["b", "=", 2]])).expect("parses");
        let Domain::And(a, b) = d else { panic!("expected an AND, got {d:?}") };
        assert!(matches!(*a, Domain::Leaf(Leaf { ref path, .. }) if path == &["a"]));
        assert!(matches!(*b, Domain::Leaf(Leaf { ref path, .. }) if path == &["b"]));
    }

    #[test]
    fn prefix_or_takes_the_next_two_terms() {
        let d = parse(&json!(["|", ["a", "=", 1], ["b", "=", 2], ["c", "=", 3]])).expect("parses");
        let Domain::And(or, c) = d else { panic!("expected AND(OR, c), got {d:?}") };
        assert!(matches!(*or, Domain::Or(..)));
        assert!(matches!(*c, Domain::Leaf(_)));
    }

    #[test]
    fn dangling_operator_is_an_error() {
        assert!(parse(&json!(["|", ["a", "=", 1]])).is_err());
        assert!(parse(&json!([["a", "~~", 1]])).is_err());
    }

    #[test]
    fn like_follows_sql_wildcards() {
        assert!(like("FURN_5555", "FURN%", false));
        assert!(like("FURN_5555", "furn_5555", true));
        assert!(!like("FURN_5555", "furn%", false));
        assert!(like("abc", "a_c", false));
        assert!(like("a%c", "a%c", false));
        assert!(!like("ab", "a_c", false));
        assert!(like("FURN_5555", "FURN\\_%", false));
        assert!(!like("FURNX5555", "FURN\\_%", false));
        assert!(like("100%", "100\\%", false));
    }

    #[test]
    fn python_repr_matches_odoo_messages() {
        assert_eq!(python_repr(&json!(["nope_field", "=", "x"])), "('nope_field', '=', 'x')");
        assert_eq!(python_repr(&json!([1, false, null])), "[1, False, None]");
    }

    proptest! {
        #[test]
        fn like_with_surrounding_percent_is_substring(hay in "[a-zA-Z0-9 ]{0,12}", needle in "[a-zA-Z0-9 ]{0,4}") {
            prop_assert_eq!(like(&hay, &format!("%{needle}%"), false), hay.contains(&needle));
            prop_assert_eq!(
                like(&hay, &format!("%{needle}%"), true),
                hay.to_lowercase().contains(&needle.to_lowercase())
            );
        }

        #[test]
        fn n_leaves_with_n_minus_one_ors_parse_to_one_tree(n in 1usize..8) {
            let mut terms: Vec<serde_json::Value> = vec![json!("|"); n - 1];
            terms.extend((0..n).map(|i| json!(["f", "=", i])));
            let d = parse(&serde_json::Value::Array(terms)).expect("parses");
            prop_assert!(n == 1 || matches!(d, Domain::Or(..)));
        }

        #[test]
        fn equality_is_numeric_across_int_and_float(x in -1000i64..1000) {
            prop_assert!(equals(&json!(x), &json!(x as f64)));
            prop_assert!(!equals(&json!(x), &json!(false)));
        }
    }
}
