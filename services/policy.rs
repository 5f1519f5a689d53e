//! Who may call what: a TOML file mapping identities to gRPC methods, default deny, reloaded when it
//! changes (a broken edit keeps the previous policy).
//!
//! ```toml
//! # Health and reflection; default: every authenticated caller.
//! operations = ["**"]
//!
//! [[allow]]
//! identities = ["spiffe://shop.example/ns/web/sa/storefront", "spiffe://shop.example/ns/wms/sa/*"]
//! methods = ["odoomesh.inventory.v1.InventoryService/*", "odoomesh.order.v1.OrderService/CreateSalesOrder"]
//! ```
//!
//! Identity patterns: exact, `*` for one path segment of a SPIFFE ID (or one label of a DNS name),
//! a trailing `**` for everything below (`spiffe://shop.example/**` is a whole trust domain), and
//! `anonymous` for callers without an identity (plaintext without a trusted mesh header). Method
//! patterns: `package.Service/Method`, `package.Service/*`, or `*`.

use std::{path::PathBuf, sync::Arc, time::Duration};

use arc_swap::ArcSwap;
use serde::Deserialize;

/// The services operators need without business rights.
pub const OPERATIONS_SERVICES: [&str; 3] =
    ["grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];

/// The identity text of a caller without one.
pub const ANONYMOUS: &str = "anonymous";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default = "all_authenticated")]
    operations: Vec<String>,
    #[serde(default)]
    allow: Vec<Rule>,
}

fn all_authenticated() -> Vec<String> {
    vec!["**".into()]
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    identities: Vec<String>,
    methods: Vec<String>,
}

/// A parsed policy.
#[derive(Debug, Clone)]
pub struct Policy {
    file: PolicyFile,
}

impl Default for Policy {
    /// No rules: business methods are denied, operations open to authenticated callers.
    fn default() -> Self {
        Self { file: PolicyFile { operations: all_authenticated(), allow: Vec::new() } }
    }
}

impl Policy {
    pub fn parse(text: &str) -> Result<Self, String> {
        toml::from_str(text).map(|file| Self { file }).map_err(|e| e.to_string())
    }

    /// Whether `identity` (or [`ANONYMOUS`]) may call `method` (`package.Service/Method`).
    pub fn allows(&self, identity: &str, method: &str) -> bool {
        let service = method.split('/').next().unwrap_or_default();
        if OPERATIONS_SERVICES.contains(&service) {
            return self.file.operations.iter().any(|p| identity_matches(p, identity));
        }
        self.file.allow.iter().any(|rule| {
            rule.identities.iter().any(|p| identity_matches(p, identity))
                && rule.methods.iter().any(|p| method_matches(p, method))
        })
    }
}

/// Whether an identity matches a pattern (see the module documentation).
pub(crate) fn identity_matches(pattern: &str, identity: &str) -> bool {
    if pattern == identity {
        return true;
    }
    // Only an explicit `anonymous` lets callers without identity in; wildcards never do.
    if identity == ANONYMOUS {
        return false;
    }
    if pattern == "**" {
        return true;
    }
    // SPIFFE IDs match by path segment, DNS names by label.
    let (pattern_parts, identity_parts): (Vec<&str>, Vec<&str>) =
        match (pattern.strip_prefix("spiffe://"), identity.strip_prefix("spiffe://")) {
            (Some(p), Some(i)) => (p.split('/').collect(), i.split('/').collect()),
            (None, None) => (pattern.split('.').collect(), identity.split('.').collect()),
            _ => return false,
        };
    let mut i = 0;
    for (n, part) in pattern_parts.iter().enumerate() {
        match *part {
            "**" if n + 1 == pattern_parts.len() => return true,
            "*" if i < identity_parts.len() && !identity_parts[i].is_empty() => i += 1,
            exact if identity_parts.get(i) == Some(&exact) => i += 1,
            _ => return false,
        }
    }
    i == identity_parts.len()
}

fn method_matches(pattern: &str, method: &str) -> bool {
    pattern == "*"
        || pattern == method
        || pattern.strip_suffix("/*").is_some_and(|service| method.split('/').next() == Some(service))
}

/// The policy in force, following its file.
pub struct PolicyStore {
    path: Option<PathBuf>,
    current: ArcSwap<Policy>,
    last_text: std::sync::Mutex<Option<String>>,
}

impl PolicyStore {
    /// Loads the policy file (or the default policy when there is none).
    pub fn load(path: Option<PathBuf>) -> Result<Arc<Self>, String> {
        let (policy, text) = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|e| format!("reading policy {}: {e}", p.display()))?;
                (Policy::parse(&text).map_err(|e| format!("policy {}: {e}", p.display()))?, Some(text))
            }
            None => (Policy::default(), None),
        };
        Ok(Arc::new(Self { path, current: ArcSwap::from_pointee(policy), last_text: std::sync::Mutex::new(text) }))
    }

    pub fn current(&self) -> Arc<Policy> {
        self.current.load_full()
    }

    /// Re-reads the file; a policy that does not parse is refused and the previous one kept.
    pub fn reload(&self) {
        let Some(path) = &self.path else { return };
        let Ok(text) = std::fs::read_to_string(path) else { return };
        let mut last = self.last_text.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if last.as_deref() == Some(text.as_str()) {
            return;
        }
        match Policy::parse(&text) {
            Ok(policy) => {
                self.current.store(Arc::new(policy));
                tracing::info!(path = %path.display(), "authorization policy reloaded");
                metrics::counter!("odoo_mesh_policy_reloads_total", "outcome" => "success").increment(1);
            }
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "new authorization policy refused; keeping the previous one");
                metrics::counter!("odoo_mesh_policy_reloads_total", "outcome" => "failure").increment(1);
            }
        }
        *last = Some(text);
    }

    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            let this = self.clone();
            let _ = tokio::task::spawn_blocking(move || this.reload()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"
operations = ["spiffe://shop.example/ns/ops/**"]

[[allow]]
identities = ["spiffe://shop.example/ns/web/sa/storefront", "spiffe://shop.example/ns/wms/sa/*"]
methods = ["odoomesh.inventory.v1.InventoryService/*", "odoomesh.order.v1.OrderService/CreateSalesOrder"]

[[allow]]
identities = ["*.billing.internal", "anonymous"]
methods = ["odoomesh.finance.v1.FinanceService/GetInvoice"]
"#;

    #[test]
    fn rules_match_identities_and_methods() {
        let policy = Policy::parse(POLICY).expect("parses");
        let web = "spiffe://shop.example/ns/web/sa/storefront";
        assert!(policy.allows(web, "odoomesh.inventory.v1.InventoryService/GetStockLevels"));
        assert!(policy.allows(web, "odoomesh.order.v1.OrderService/CreateSalesOrder"));
        assert!(!policy.allows(web, "odoomesh.order.v1.OrderService/CancelSalesOrder"), "default deny");
        assert!(
            policy.allows(
                "spiffe://shop.example/ns/wms/sa/picker",
                "odoomesh.inventory.v1.InventoryService/ListWarehouses"
            )
        );
        assert!(!policy.allows(
            "spiffe://shop.example/ns/wms/sa/picker/extra",
            "odoomesh.inventory.v1.InventoryService/ListWarehouses"
        ));
        assert!(
            !policy.allows(
                "spiffe://evil.example/ns/wms/sa/picker",
                "odoomesh.inventory.v1.InventoryService/ListWarehouses"
            )
        );
        assert!(policy.allows("ledger.billing.internal", "odoomesh.finance.v1.FinanceService/GetInvoice"));
        assert!(!policy.allows("a.b.billing.internal", "odoomesh.finance.v1.FinanceService/GetInvoice"));
        assert!(policy.allows(ANONYMOUS, "odoomesh.finance.v1.FinanceService/GetInvoice"));
    }

    #[test]
    fn operations_are_separate_from_business_rights() {
        let policy = Policy::parse(POLICY).expect("parses");
        assert!(policy.allows("spiffe://shop.example/ns/ops/sa/sre", "grpc.health.v1.Health/Check"));
        assert!(!policy.allows(
            "spiffe://shop.example/ns/web/sa/storefront",
            "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
        ));
        let default = Policy::default();
        assert!(default.allows("anyone.example", "grpc.health.v1.Health/Check"));
        assert!(!default.allows("anyone.example", "odoomesh.inventory.v1.InventoryService/ListWarehouses"));
        assert!(!default.allows(ANONYMOUS, "grpc.health.v1.Health/Check"), "wildcards never admit the anonymous");
    }

    #[test]
    fn a_broken_policy_is_an_error() {
        assert!(Policy::parse("[[allow]]\nidentities = \"not a list\"").is_err());
        assert!(Policy::parse("allowed = []").is_err(), "unknown keys are refused");
    }
}
