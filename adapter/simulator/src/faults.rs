//! Fault injection: rules that make the next matching calls slow, failing, or lost, so tests can
//! show how odoo-mesh behaves when Odoo misbehaves.

use std::time::Duration;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// The call is answered normally, after this delay.
    Latency { millis: u64 },
    /// The call fails with this Odoo exception (for example `odoo.exceptions.UserError`).
    OdooError { name: String, message: String },
    /// A proxy in front of Odoo answers this HTTP status with an HTML page; Odoo never sees the call.
    HttpStatus { status: u16 },
    /// The connection is closed before Odoo reads the call.
    DropConnection,
    /// The transaction loses a serialization race (PostgreSQL's "could not serialize access").
    SerializationFailure,
    /// The call commits, then the connection drops before the answer is sent.
    LoseResponse,
    /// A long transaction: the call's rows carry `write_date` of when it began (as PostgreSQL's
    /// transaction time does), but become visible only this much later, when it commits.
    LateCommit { millis: u64 },
}

/// A fault and the calls it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    pub fault: Fault,
    /// Only calls on this model (`common` for the JSON-RPC common service); any when unset.
    #[serde(default)]
    pub model: Option<String>,
    /// Only calls of this method; any when unset.
    #[serde(default)]
    pub method: Option<String>,
    /// Applies to this many calls, then is removed; forever when unset.
    #[serde(default)]
    pub times: Option<usize>,
}

impl FaultRule {
    /// A rule for every call, forever.
    pub fn always(fault: Fault) -> Self {
        Self { fault, model: None, method: None, times: None }
    }

    /// A rule for the next `n` calls.
    pub fn times(fault: Fault, n: usize) -> Self {
        Self { fault, model: None, method: None, times: Some(n) }
    }

    /// Restricts the rule to calls of one model and method.
    pub fn on(mut self, model: &str, method: &str) -> Self {
        self.model = Some(model.to_owned());
        self.method = Some(method.to_owned());
        self
    }

    fn matches(&self, model: &str, method: &str) -> bool {
        self.model.as_deref().is_none_or(|m| m == model) && self.method.as_deref().is_none_or(|m| m == method)
    }
}

/// The active rules.
#[derive(Debug, Default)]
pub struct Faults {
    rules: Mutex<Vec<FaultRule>>,
}

/// What to do with one call: wait first, then maybe fail.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub(crate) delay: Duration,
    pub(crate) failure: Option<Fault>,
}

impl Faults {
    pub fn inject(&self, rule: FaultRule) {
        self.rules.lock().push(rule);
    }

    pub fn clear(&self) {
        self.rules.lock().clear();
    }

    /// Consumes the rules that match this call: every latency adds up, the first failure wins.
    pub(crate) fn plan(&self, model: &str, method: &str) -> Plan {
        let mut plan = Plan::default();
        let mut rules = self.rules.lock();
        for rule in rules.iter_mut().filter(|r| r.matches(model, method)) {
            match &rule.fault {
                Fault::Latency { millis } => plan.delay += Duration::from_millis(*millis),
                failure if plan.failure.is_none() => plan.failure = Some(failure.clone()),
                _ => continue,
            }
            if let Some(n) = rule.times.as_mut() {
                *n = n.saturating_sub(1);
            }
        }
        rules.retain(|r| r.times != Some(0));
        plan
    }
}
