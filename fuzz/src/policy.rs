//! The policy file (`services/policy.rs`). Properties: any text parses or is refused with a
//! message; a parsed policy answers any identity and method; a caller without identity is let in
//! only where a policy names `anonymous` itself — no wildcard ever matches it.

use odoo_mesh::policy::{ANONYMOUS, OPERATIONS_SERVICES, Policy};

/// NUL-separated: the policy's text, an identity, a method (`package.Service/Method`).
pub fn policy(data: &[u8]) {
    let mut parts = data.splitn(3, |b| *b == 0);
    let mut next = || String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let (text, identity, method) = (next(), next(), next());
    let Ok(policy) = Policy::parse(&text) else { return };
    let methods = [
        method.as_str(),
        "odoomesh.inventory.v1.InventoryService/ListWarehouses",
        "odoomesh.order.v1.OrderService/CreateSalesOrder",
        "grpc.health.v1.Health/Check",
    ];
    let names_anonymous = names_anonymous(&text);
    for method in methods {
        policy.allows(&identity, method);
        if policy.allows(ANONYMOUS, method) {
            assert!(names_anonymous, "anonymous let into {method} by a wildcard: {text:?}");
        }
    }
    // Operations follow `operations`, whatever the business rules say.
    for service in OPERATIONS_SERVICES {
        policy.allows(&identity, &format!("{service}/Check"));
    }
}

/// Whether the policy names `anonymous` as an identity pattern.
fn names_anonymous(text: &str) -> bool {
    fn any_string(value: &toml::Value) -> bool {
        match value {
            toml::Value::String(s) => s == ANONYMOUS,
            toml::Value::Array(items) => items.iter().any(any_string),
            toml::Value::Table(table) => table.values().any(any_string),
            _ => false,
        }
    }
    text.parse::<toml::Table>().is_ok_and(|table| table.values().any(any_string))
}
