//! The one mechanism behind every idempotent write — sales and purchase orders and supplier
//! acknowledgements now; shipment validations, returns, adjustments, invoices, payments and
//! credit notes next. A flow plugs in its own validate, apply and read steps (`Command`);
//! `run` does the rest the same way for all of them:
//!
//! 1. look the key up in the ledger (in Odoo): another payload → refused; done → replay;
//!    claimed by a call still running → wait for it;
//! 2. validate against Odoo, every violation at once, before anything is written;
//! 3. claim the key (one of any number of concurrent duplicates wins; the others wait for it);
//! 4. apply, every write pushing its undo; a failure undoes them all and, once all is undone,
//!    frees the key;
//! 5. record the key done, and answer with the record as Odoo now has it.
//!
//! Steps 3 to 5 run on a task of their own: a caller that stops waiting (its deadline passed)
//! does not leave a command half-applied. A claim whose owner died (the process was killed) goes
//! stale after ten Odoo request timeouts; one retry then takes it over — atomically, as a new
//! generation of the claim — and first asks the command what the dead owner got as far as
//! producing (`Command::recover`): that is finished (a replay's read) rather than done again.

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

/// A claim older than this many Odoo request timeouts without its command finishing means its
/// owner died: no command makes that many Odoo calls one after the other.
const STALE_AFTER_TIMEOUTS: u32 = 10;
/// And never sooner than this, whatever the request timeout.
const STALE_AT_LEAST: Duration = Duration::from_secs(60);
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
    /// What the request would change conflicts with what Odoo holds (a count made there
    /// meanwhile); each conflict names its part of the request. Nothing was written.
    #[error("the request conflicts with Odoo")]
    Conflicts(Vec<Violation>),
    /// The request id was used before with another payload.
    #[error("request_id {0:?} was already used with a different payload")]
    RequestIdReused(String),
    /// Another call with the same request id is still being carried out.
    #[error("request_id {0:?} is still being processed by an earlier call; retry shortly")]
    InProgress(String),
    /// The record is not in a state the request can apply to (a posted invoice posted again,
    /// nothing left to invoice); `reason` is stable for programs.
    #[error("{message}")]
    Unmet { reason: &'static str, message: String },
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

    /// The payload as the previous release fingerprinted it, when this one reads more of the
    /// request (so a retry across the upgrade still matches its key).
    fn earlier_payload(&self) -> Option<Self> {
        None
    }

    /// The record an earlier owner of the key got as far as producing before it died, found by
    /// what `apply` leaves in Odoo (an external id under the key); a takeover finishes from there.
    fn recover(
        &self,
        odoo: &Odoo,
        schema: &Schema,
        key: &Key,
    ) -> impl Future<Output = Result<Option<i64>, FlowError>> + Send;

    /// What undoes a recovered record when finishing it is refused.
    fn reverse(_record: i64) -> Vec<OdooCall> {
        Vec::new()
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
        Err(FlowError::Conflicts(_)) => "conflict",
        Err(FlowError::RequestIdReused(_)) => "request_id_reused",
        Err(FlowError::InProgress(_)) => "in_progress",
        Err(FlowError::Unmet { .. }) => "unmet",
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
    schema.require_keys()?;
    let key = Key::new(C::KIND, scope, request_id, &command).with_legacy(command.earlier_payload().as_ref());
    let command = Arc::new(command);
    let stale_after = (odoo.client().config().request_timeout * STALE_AFTER_TIMEOUTS).max(STALE_AT_LEAST);
    let mut waited = Duration::ZERO;
    loop {
        let owning = match ledger::lookup(odoo, &schema, &key).await? {
            Entry::Free => Owning::Fresh(command.validate(odoo, &schema).await?),
            Entry::OtherPayload => return Err(FlowError::RequestIdReused(request_id.to_owned())),
            Entry::Done { record: id } => {
                let record = read_back(odoo, &schema, &*command, id, true).await?;
                return Ok(Captured { id, record, replayed: true, shortfalls: Vec::new() });
            }
            Entry::Claimed(claim) if is_stale(claim.since, stale_after) => Owning::TakeOver(claim),
            Entry::Claimed(_) => Owning::Wait,
        };
        if !matches!(owning, Owning::Wait) {
            let task = tokio::spawn(own(odoo.clone(), schema.clone(), command.clone(), key.clone(), owning));
            let owned = task.await.unwrap_or_else(|failure| {
                tracing::error!(%failure, "a command task failed");
                Some(Err(FlowError::Odoo(OdooError::Protocol { message: "the command stopped unexpectedly".into() })))
            });
            if let Some(result) = owned {
                return result;
            }
        }
        // Another call owns the key: wait for its outcome.
        let Some(pause) = next_wait(waited) else {
            return Err(FlowError::InProgress(request_id.to_owned()));
        };
        tokio::time::sleep(pause).await;
        waited += pause;
    }
}

/// How a call comes to own a key.
enum Owning<P> {
    /// The key is free and the request valid: claim it, then apply.
    Fresh(P),
    /// The key's owner died: take its claim over, then finish what it did or do it all.
    TakeOver(ledger::Claim),
    /// Another call owns it.
    Wait,
}

/// Steps 3 to 5, on a task of their own. `None` when another call claimed the key first.
async fn own<C: Command>(
    odoo: Arc<Odoo>,
    schema: Arc<Schema>,
    command: Arc<C>,
    key: Key,
    owning: Owning<C::Plan>,
) -> Option<Result<Captured<C::Record>, FlowError>> {
    let (claim, plan) = match owning {
        Owning::Fresh(plan) => (ledger::claim(&odoo, &schema, &key, C::MODEL, command.target()).await, Some(plan)),
        Owning::TakeOver(stale) => {
            tracing::warn!(key = %key.name, since = ?stale.since, "taking over a command whose owner never finished");
            (ledger::take_over(&odoo, &schema, &key, &stale, C::MODEL, command.target()).await, None)
        }
        Owning::Wait => return None,
    };
    match claim {
        Ok(true) => Some(execute(&odoo, &schema, &*command, &key, plan).await),
        Ok(false) => None,
        Err(error) => Some(Err(error.into())),
    }
}

/// Applies the command, owning its key — or, taking over a dead owner's claim, finishes what it
/// got as far as producing — and marks the key done.
async fn execute<C: Command>(
    odoo: &Odoo,
    schema: &Schema,
    command: &C,
    key: &Key,
    plan: Option<C::Plan>,
) -> Result<Captured<C::Record>, FlowError> {
    let plan = match plan {
        Some(plan) => plan,
        None => {
            if let Some(record) = command.recover(odoo, schema, key).await? {
                return finish_recovered(odoo, schema, command, key, record).await;
            }
            match command.validate(odoo, schema).await {
                Ok(plan) => plan,
                Err(error) => {
                    release(odoo, schema, key).await;
                    return Err(error);
                }
            }
        }
    };
    let shortfalls = C::shortfalls(&plan);
    let mut undo = Undo::default();
    let id = match command.apply(odoo, schema, key, plan, &mut undo).await {
        Ok(id) => id,
        Err(error) => {
            // Only a command undone in full frees its key; otherwise the claim stays, goes stale,
            // and a takeover finds what was left.
            if undo.run(odoo).await {
                release(odoo, schema, key).await;
            }
            return Err(error);
        }
    };
    mark_done::<C>(odoo, schema, key, id).await;
    let record = read_back(odoo, schema, command, id, false).await?;
    Ok(Captured { id, record, replayed: false, shortfalls })
}

/// Reads back what a done command wrote. A refusal (finishing an earlier release's confirmation)
/// or a record deleted since is the answer; any other failure is not — the write stands, and the
/// caller hears of it by id rather than believing nothing happened.
async fn read_back<C: Command>(
    odoo: &Odoo,
    schema: &Schema,
    command: &C,
    id: i64,
    replayed: bool,
) -> Result<Option<C::Record>, FlowError> {
    match command.read(odoo, schema, id, replayed).await {
        Ok(record) => Ok(Some(record)),
        Err(error @ (FlowError::Refused(_) | FlowError::Unmet { .. } | FlowError::NotFound(_))) => Err(error),
        Err(error) => {
            tracing::warn!(model = C::MODEL.name, id, %error, "a command's write stands but could not be read back");
            metrics::counter!("odoo_mesh_commands_unread_total", "command" => C::NAME).increment(1);
            Ok(None)
        }
    }
}

/// Finishes a record a dead owner produced (a replay's read does: confirming an order it had
/// not confirmed yet). Refused, it is undone; another failure leaves it for the next takeover.
async fn finish_recovered<C: Command>(
    odoo: &Odoo,
    schema: &Schema,
    command: &C,
    key: &Key,
    record: i64,
) -> Result<Captured<C::Record>, FlowError> {
    match command.read(odoo, schema, record, true).await {
        Ok(found) => {
            mark_done::<C>(odoo, schema, key, record).await;
            Ok(Captured { id: record, record: Some(found), replayed: true, shortfalls: Vec::new() })
        }
        Err(refused @ FlowError::Refused(_)) => {
            let mut undo = Undo::default();
            undo.push(format!("the {} a dead owner left", C::MODEL.name), C::reverse(record));
            if undo.run(odoo).await {
                release(odoo, schema, key).await;
            }
            Err(refused)
        }
        Err(error) => Err(error),
    }
}

/// Marks the key done with `record`. If that fails the writes stand all the same: the claim
/// goes stale, and the takeover finds the record and finishes the key.
async fn mark_done<C: Command>(odoo: &Odoo, schema: &Schema, key: &Key, record: i64) {
    if let Err(error) = ledger::finish(odoo, schema, key, C::MODEL, record).await {
        tracing::error!(key = %key.name, record, %error, "a command's writes are done but its key could not be marked done");
    }
}

/// Frees a key whose command was undone in full.
async fn release(odoo: &Odoo, schema: &Schema, key: &Key) {
    if let Err(error) = ledger::release(odoo, schema, key).await {
        tracing::warn!(%error, "an undone command's key could not be freed; it is taken over once stale");
    }
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

fn is_stale(since: Option<OffsetDateTime>, after: Duration) -> bool {
    since.is_none_or(|at| OffsetDateTime::now_utc() - at > after)
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
        let (now, after) = (OffsetDateTime::now_utc(), Duration::from_secs(300));
        assert!(!is_stale(Some(now), after));
        assert!(is_stale(Some(now - after - Duration::from_secs(1)), after));
    }
}
