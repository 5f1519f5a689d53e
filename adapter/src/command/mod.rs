//! The one mechanism behind every idempotent write — sales and purchase orders and supplier
//! acknowledgements now; shipment validations, returns, adjustments, invoices, payments and
//! credit notes next. A flow plugs in its own validate, apply and read steps (`Command`);
//! `run` does the rest the same way for all of them:
//!
//! 1. look the key up in the ledger (in Odoo): another payload → refused; done → replay;
//!    claimed by a call still running → wait for it;
//! 2. validate against Odoo, every violation at once, before anything is written;
//! 3. claim the key (one of any number of concurrent duplicates wins);
//! 4. apply, every write pushing its undo; a failure undoes them all and frees the key;
//! 5. record the key done, and answer with the record as Odoo now has it.
//!
//! Steps 3 to 5 run on a task of their own: a caller that stops waiting (its deadline passed)
//! does not leave a command half-applied. A claim whose owner died is taken over once it is
//! older than `STALE_CLAIM`; a flow's steps are written to be safe to run twice (imports by
//! external id are create-only).

pub(crate) mod ledger;
mod refusal;
mod undo;

use std::{future::Future, sync::Arc, time::Duration};

use serde::Serialize;
use time::OffsetDateTime;

pub(crate) use ledger::Key;
pub(crate) use refusal::refusal;
pub(crate) use undo::Undo;

use crate::{
    OdooCall, OdooError,
    models::{Captured, Shortfall},
    odoo::{
        Capability, Model, Odoo, Schema,
        ir_model_data::{self, Loaded},
    },
};
use ledger::Entry;

/// A claim this old without its command finishing means its owner died: it may be taken over.
/// Far longer than any command takes, Odoo's request timeout included.
const STALE_CLAIM: Duration = Duration::from_secs(120);
/// How long a duplicate waits for the call that owns its key before answering "in progress".
const WAIT_FOR_OWNER: Duration = Duration::from_secs(10);
const FIRST_WAIT: Duration = Duration::from_millis(25);
const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// Why a business flow failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The request names things that do not exist or cannot be used; nothing was written.
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    /// Lines exceed what is available to promise, and the caller asked to refuse them.
    #[error("insufficient stock")]
    Shortfall(Vec<Shortfall>),
    /// The request id was used before with another payload.
    #[error("request_id {0:?} was already used with a different payload")]
    RequestIdReused(String),
    /// Another call with the same request id is still being carried out.
    #[error("request_id {0:?} is still being processed by an earlier call; retry shortly")]
    InProgress(String),
    /// Odoo refused the change by a business rule; its words are kept.
    #[error("{0}")]
    Refused(String),
    /// The record does not exist.
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Odoo(#[from] OdooError),
}

/// One invalid part of a request, by the request's own field path (`lines[2].sku`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

impl Violation {
    pub(crate) fn new(field: impl Into<String>, description: impl Into<String>) -> Self {
        Self { field: field.into(), description: description.into() }
    }
}

impl From<crate::odoo::DecodeError> for FlowError {
    fn from(error: crate::odoo::DecodeError) -> Self {
        Self::Odoo(error.into())
    }
}

/// One kind of idempotent write, as a flow defines it. It serializes as its payload: what a retry
/// must repeat exactly (the request without its `request_id`).
pub(crate) trait Command: Serialize + Send + Sync + Sized + 'static {
    /// What validation found that the writes need.
    type Plan: Send + 'static;
    /// What the caller gets back.
    type Record: Send + 'static;
    /// Names the command's keys in the ledger (`so`, `po`, `ack`).
    const KIND: &'static str;
    /// Names the command in metrics (`create_sales_order`).
    const NAME: &'static str;
    const CAPABILITY: Capability;
    /// The model of the record the command produces or acts on.
    const MODEL: Model;

    /// The record the command acts on; 0 when it creates one.
    fn target(&self) -> i64 {
        0
    }

    /// Checks the request against Odoo, reporting every violation at once; writes nothing.
    fn validate(&self, odoo: &Odoo, schema: &Schema) -> impl Future<Output = Result<Self::Plan, FlowError>> + Send;

    /// Warnings the answer carries (lines short of stock, when the caller asked to be told).
    fn shortfalls(_plan: &Self::Plan) -> Vec<Shortfall> {
        Vec::new()
    }

    /// The writes, each pushing onto `undo` what reverses it; returns the record produced.
    fn apply(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
        plan: Self::Plan,
        undo: &mut Undo,
    ) -> impl Future<Output = Result<i64, FlowError>> + Send;

    /// The record as Odoo has it now. On a replay, also finishes what an interrupted earlier
    /// call may have left undone.
    fn read(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        record: i64,
        replayed: bool,
    ) -> impl Future<Output = Result<Self::Record, FlowError>> + Send;
}

/// Carries out a command exactly once per request id (within the caller's scope): see the
/// module's documentation. Every outcome is counted in `odoo_mesh_commands_total`.
pub(crate) async fn run<C: Command>(
    odoo: &Arc<Odoo>,
    command: C,
    request_id: &str,
    scope: &str,
) -> Result<Captured<C::Record>, FlowError> {
    let result = once(odoo, command, request_id, scope).await;
    let outcome = match &result {
        Ok(captured) if captured.replayed => "replayed",
        Ok(_) => "applied",
        Err(FlowError::Invalid(_)) => "invalid",
        Err(FlowError::Shortfall(_)) => "short",
        Err(FlowError::RequestIdReused(_)) => "request_id_reused",
        Err(FlowError::InProgress(_)) => "in_progress",
        Err(FlowError::Refused(_)) => "refused",
        Err(FlowError::NotFound(_)) => "not_found",
        Err(FlowError::Odoo(_)) => "odoo_error",
    };
    metrics::counter!("odoo_mesh_commands_total", "command" => C::NAME, "outcome" => outcome).increment(1);
    result
}

async fn once<C: Command>(
    odoo: &Arc<Odoo>,
    command: C,
    request_id: &str,
    scope: &str,
) -> Result<Captured<C::Record>, FlowError> {
    let schema = odoo.ready(C::CAPABILITY).await?;
    let key = Key::new(C::KIND, scope, request_id, &command);
    let mut waited = Duration::ZERO;
    loop {
        let takeover = match ledger::lookup(odoo, &schema, &key).await? {
            Entry::Free => None,
            Entry::OtherPayload => return Err(FlowError::RequestIdReused(request_id.to_owned())),
            Entry::Done { record } => {
                let record = command.read(odoo, &schema, record, true).await?;
                return Ok(Captured { record, replayed: true, shortfalls: Vec::new() });
            }
            Entry::Claimed { since, rows } if is_stale(since) => {
                tracing::warn!(key = %key.name, ?since, "taking over a command whose first call never finished");
                Some(rows)
            }
            Entry::Claimed { .. } => {
                let Some(pause) = next_wait(waited) else {
                    return Err(FlowError::InProgress(request_id.to_owned()));
                };
                tokio::time::sleep(pause).await;
                waited += pause;
                continue;
            }
        };
        let plan = command.validate(odoo, &schema).await?;
        let claim = match takeover {
            Some(rows) => rows,
            None => match ledger::claim(odoo, &schema, &key, C::MODEL, command.target()).await? {
                Some(rows) => rows,
                // A concurrent duplicate claimed it first: wait for its outcome.
                None => continue,
            },
        };
        let task = tokio::spawn(execute(odoo.clone(), schema, command, key, claim, plan));
        return task.await.unwrap_or_else(|failure| {
            tracing::error!(%failure, "a command task failed");
            Err(FlowError::Odoo(OdooError::Protocol { message: "the command stopped unexpectedly".into() }))
        });
    }
}

/// Steps 4 and 5, owning the key.
async fn execute<C: Command>(
    odoo: Arc<Odoo>,
    schema: Arc<Schema>,
    command: C,
    key: Key,
    claim: Vec<i64>,
    plan: C::Plan,
) -> Result<Captured<C::Record>, FlowError> {
    let mut undo = Undo::default();
    undo.push("the claim of the idempotency key", vec![ir_model_data::unlink(&claim)]);
    let shortfalls = C::shortfalls(&plan);
    let record = match command.apply(&odoo, &schema, &key, plan, &mut undo).await {
        Ok(record) => record,
        Err(error) => {
            undo.run(&odoo).await;
            return Err(error);
        }
    };
    if let Err(error) = ledger::finish(&odoo, &schema, &key, C::MODEL, record).await {
        // The writes stand; a retry takes the claim over once it is stale and finishes the key.
        tracing::error!(key = %key.name, record, %error, "a command's writes are done but its key could not be marked done");
    }
    let record = command.read(&odoo, &schema, record, false).await?;
    Ok(Captured { record, replayed: false, shortfalls })
}

/// Imports a record create-only under odoo-mesh's external id `name` and pushes what reverses it —
/// also when the answer was lost after Odoo committed it (the external id finds it then), so a
/// failed command never leaves it behind.
pub(crate) async fn import(
    odoo: &Odoo,
    schema: &Schema,
    undo: &mut Undo,
    model: Model,
    name: &str,
    load: impl Future<Output = Result<Loaded, OdooError>>,
    reverse: impl Fn(i64) -> Vec<OdooCall>,
) -> Result<i64, FlowError> {
    match load.await {
        Ok(Loaded::Record(id)) => {
            undo.push(format!("the new {} {name}", model.name), reverse(id));
            Ok(id)
        }
        Ok(Loaded::Refused(messages)) => Err(FlowError::Refused(messages.join("; "))),
        Err(error) => {
            match ir_model_data::find(odoo, schema, name, model).await {
                Ok(Some(id)) => undo.push(format!("the new {} {name}, whose answer was lost", model.name), reverse(id)),
                Ok(None) => {}
                Err(lookup) => tracing::warn!(%name, error = %lookup, "could not tell whether a lost import committed"),
            }
            Err(error.into())
        }
    }
}

fn is_stale(since: Option<OffsetDateTime>) -> bool {
    since.is_none_or(|at| OffsetDateTime::now_utc() - at > STALE_CLAIM)
}

/// The next pause while waiting for a key's owner: doubling from `FIRST_WAIT`, at most
/// `LONGEST_WAIT`, until `WAIT_FOR_OWNER` has passed.
fn next_wait(waited: Duration) -> Option<Duration> {
    if waited >= WAIT_FOR_OWNER {
        return None;
    }
    Some((waited + FIRST_WAIT).min(LONGEST_WAIT).min(WAIT_FOR_OWNER - waited))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_for_an_owner_backs_off_and_gives_up() {
        let mut waited = Duration::ZERO;
        let mut pauses = Vec::new();
        while let Some(pause) = next_wait(waited) {
            pauses.push(pause);
            waited += pause;
        }
        assert_eq!(pauses[..3], [FIRST_WAIT, FIRST_WAIT * 2, FIRST_WAIT * 4]);
        assert!(pauses.iter().all(|p| *p <= LONGEST_WAIT));
        assert_eq!(waited, WAIT_FOR_OWNER);
    }

    #[test]
    fn claims_go_stale_after_their_owner_had_all_the_time_it_needed() {
        let now = OffsetDateTime::now_utc();
        assert!(!is_stale(Some(now)));
        assert!(is_stale(Some(now - STALE_CLAIM - Duration::from_secs(1))));
    }
}
