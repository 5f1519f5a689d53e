//! The idempotency ledger, kept in Odoo's `ir.model.data` so every replica and every restart
//! sees it. A command's key (a hash of the caller's scope and `request_id`) names three rows:
//!
//! - `{key}` — the claim: created together with the fingerprint row in one transaction, under a
//!   unique index, so exactly one of any number of concurrent duplicates owns the command;
//! - `{key}_fp_{fingerprint}` — the payload the key was first used with;
//! - `{key}_t{n}` — a takeover of a claim whose owner died: the n-th, again under the unique
//!   index, so one call takes over however many retries find the claim stale;
//! - `{key}_done` — written last, pointing at the record the command produced.
//!
//! Keys written by earlier releases (the order itself under `{key}`, the payload in its lines'
//! ids `{key}_{fingerprint}_l{n}`, the claim `{key}_created`) are read too.

use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::{
    OdooError,
    odoo::{Model, Odoo, Schema, ir_model_data},
};

/// One command's key in the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// `{kind}_{hash}`: the claim's name and the prefix of the others.
    pub(crate) name: String,
    pub(crate) fingerprint: String,
    /// The fingerprint an earlier release gave the same payload (it ignored fields this one
    /// reads), compared with the keys that release wrote.
    pub(crate) legacy_fingerprint: Option<String>,
}

fn hex(bytes: &[u8], len: usize) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()[..len].to_owned()
}

/// The key a request id maps to, scoped to the calling identity: two services cannot collide on
/// each other's ids.
pub fn idempotency_key(scope: &str, request_id: &str) -> String {
    hex(&Sha256::digest(format!("{scope}\0{request_id}").as_bytes()), 32)
}

fn fingerprint(payload: &impl Serialize) -> String {
    hex(&Sha256::digest(serde_json::to_vec(payload).unwrap_or_default()), 16)
}

impl Key {
    pub(crate) fn new(kind: &str, scope: &str, request_id: &str, payload: &impl Serialize) -> Self {
        Self {
            name: format!("{kind}_{}", idempotency_key(scope, request_id)),
            fingerprint: fingerprint(payload),
            legacy_fingerprint: None,
        }
    }

    /// With the payload as an earlier release saw it.
    pub(crate) fn with_legacy(mut self, payload: Option<&impl Serialize>) -> Self {
        self.legacy_fingerprint = payload.map(fingerprint);
        self
    }

    fn fingerprint_row(&self) -> String {
        format!("{}_fp_{}", self.name, self.fingerprint)
    }

    fn done_row(&self) -> String {
        format!("{}_done", self.name)
    }

    fn takeover_row(&self, generation: u32) -> String {
        format!("{}_t{generation}", self.name)
    }

    /// The external id under which a record the command imports is created (`{key}_{what}`).
    pub(crate) fn record_name(&self, what: &str) -> String {
        format!("{}_{what}", self.name)
    }
}

/// What the ledger holds for a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Entry {
    /// Nothing: the command has not run (or was undone).
    Free,
    /// The key was used with another payload.
    OtherPayload,
    /// A call owns the command and has not finished — or died before finishing.
    Claimed(Claim),
    /// Finished: the record the command produced.
    Done { record: i64 },
}

/// A key's claim: since when its current owner holds it, and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    /// When the newest owner (first claim or takeover) took it.
    pub(crate) since: Option<OffsetDateTime>,
    /// 0 for the first claim, n for the n-th takeover.
    pub(crate) generation: u32,
}

/// Reads a key's rows (one read) and says where the command stands.
pub(crate) async fn lookup(odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Entry, OdooError> {
    let rows = ir_model_data::with_prefix(odoo, schema, &key.name).await?;
    Ok(entry(key, &rows))
}

fn entry(key: &Key, rows: &[ir_model_data::Xid]) -> Entry {
    let (mut prints, mut legacy_prints) = (Vec::new(), Vec::new());
    let mut claims: Vec<(u32, &ir_model_data::Xid)> = Vec::new();
    let mut done = None;
    for row in rows {
        let Some(rest) = row.name.strip_prefix(&key.name) else { continue };
        if rest.is_empty() {
            claims.push((0, row));
        } else if rest == "_done" {
            done = Some(row.res_id);
        } else if let Some(print) = rest.strip_prefix("_fp_") {
            prints.push(print.to_owned());
        } else if let Some(generation) = rest.strip_prefix("_t").and_then(|n| n.parse::<u32>().ok()) {
            claims.push((generation, row));
        } else if let Some(print) = legacy_fingerprint(rest) {
            legacy_prints.push(print.to_owned());
        }
        // Anything else is a record the command imports (`_order`, `_customer`...), or an
        // earlier release's claim `_created`: the rows above say all there is to know.
    }
    let legacy = key.legacy_fingerprint.as_ref().unwrap_or(&key.fingerprint);
    if (!prints.is_empty() && !prints.contains(&key.fingerprint))
        || (!legacy_prints.is_empty() && !legacy_prints.contains(legacy))
    {
        return Entry::OtherPayload;
    }
    if let Some(record) = done {
        return Entry::Done { record };
    }
    let Some(&(generation, newest)) = claims.iter().max_by_key(|(generation, _)| *generation) else {
        return Entry::Free;
    };
    let first = claims.iter().find(|(generation, _)| *generation == 0).map(|(_, row)| *row);
    let new_layout = rows.iter().any(|r| r.name == key.fingerprint_row());
    if let Some(first) = first
        && !new_layout
        && first.res_id != 0
    {
        // An earlier release: the claim row was the record itself, finished or interrupted
        // between creating and confirming; replaying it finishes it either way.
        return Entry::Done { record: first.res_id };
    }
    Entry::Claimed(Claim { since: newest.created, generation })
}

/// An earlier release's line id `_{fingerprint}_l{n}`: 16 hex digits, then the line number.
/// (This release's records are `_{what}` and `_{what}_l{n}`, never hex.)
fn legacy_fingerprint(rest: &str) -> Option<&str> {
    let (print, line) = rest.strip_prefix('_')?.split_once("_l")?;
    let hex = print.len() == 16 && print.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    (hex && !line.is_empty() && line.chars().all(|c| c.is_ascii_digit())).then_some(print)
}

/// Claims a key for this call: the claim and the fingerprint in one transaction, under a unique
/// index. `false` when another call holds it. `target` is the record the command acts on (0
/// when it creates one).
pub(crate) async fn claim(
    odoo: &Odoo,
    schema: &Schema,
    key: &Key,
    model: Model,
    target: i64,
) -> Result<bool, OdooError> {
    let fingerprint = key.fingerprint_row();
    let rows = [(key.name.as_str(), model.name, target), (fingerprint.as_str(), model.name, target)];
    Ok(ir_model_data::create(odoo, schema, &rows).await?.is_some())
}

/// Takes over a stale claim: the next generation's row, under the unique index, so exactly one of
/// the retries that found it stale goes on. `false` when another one did.
pub(crate) async fn take_over(
    odoo: &Odoo,
    schema: &Schema,
    key: &Key,
    stale: &Claim,
    model: Model,
    target: i64,
) -> Result<bool, OdooError> {
    let name = key.takeover_row(stale.generation + 1);
    Ok(ir_model_data::create(odoo, schema, &[(name.as_str(), model.name, target)]).await?.is_some())
}

/// Frees a key whose command was undone: every row under it goes — the claim, and the external
/// ids of what the command imported (the records are gone; Odoo leaves the ids of a deleted
/// order's lines behind) — so the next call with it starts afresh.
pub(crate) async fn release(odoo: &Odoo, schema: &Schema, key: &Key) -> Result<(), OdooError> {
    let rows: Vec<i64> = ir_model_data::with_prefix(odoo, schema, &key.name).await?.iter().map(|r| r.id).collect();
    if rows.is_empty() {
        return Ok(());
    }
    odoo.call(ir_model_data::unlink(&rows)).await.map(|_| ())
}

/// Records that the command finished with `record`. Finishing twice (a takeover racing the first
/// owner) is no error.
pub(crate) async fn finish(
    odoo: &Odoo,
    schema: &Schema,
    key: &Key,
    model: Model,
    record: i64,
) -> Result<(), OdooError> {
    ir_model_data::create(odoo, schema, &[(key.done_row().as_str(), model.name, record)]).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xid(id: i64, name: &str, res_id: i64) -> ir_model_data::Xid {
        ir_model_data::Xid { id, name: name.into(), model: "sale.order".into(), res_id, created: None }
    }

    fn key() -> Key {
        Key::new("so", "spiffe://shop", "r-1", &["payload"])
    }

    #[test]
    fn keys_are_scoped_and_stable() {
        assert_eq!(idempotency_key("", "r-1"), idempotency_key("", "r-1"));
        assert_ne!(idempotency_key("", "r-1"), idempotency_key("spiffe://a", "r-1"));
        assert_eq!(idempotency_key("", "r-1").len(), 32);
        assert!(idempotency_key("", "weird id with spaces/and%").chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(key().fingerprint, Key::new("so", "spiffe://shop", "r-1", &["other"]).fingerprint);
    }

    #[test]
    fn a_key_moves_from_free_to_claimed_to_done() {
        let k = key();
        assert_eq!(entry(&k, &[]), Entry::Free);
        let claimed = [xid(1, &k.name, 0), xid(2, &k.fingerprint_row(), 0)];
        assert_eq!(entry(&k, &claimed), Entry::Claimed(Claim { since: None, generation: 0 }));
        let taken_over = [xid(1, &k.name, 0), xid(2, &k.fingerprint_row(), 0), xid(4, &k.takeover_row(1), 0)];
        assert_eq!(entry(&k, &taken_over), Entry::Claimed(Claim { since: None, generation: 1 }));
        let done = [xid(1, &k.name, 0), xid(2, &k.fingerprint_row(), 0), xid(3, &k.done_row(), 42)];
        assert_eq!(entry(&k, &done), Entry::Done { record: 42 });
    }

    #[test]
    fn records_imported_under_a_key_are_not_taken_for_a_payload() {
        let k = key();
        let rows = [
            xid(1, &k.name, 0),
            xid(2, &k.fingerprint_row(), 0),
            xid(3, &k.record_name("order"), 42),
            xid(4, &format!("{}_l0", k.record_name("order")), 7),
        ];
        assert_eq!(entry(&k, &rows), Entry::Claimed(Claim { since: None, generation: 0 }));
    }

    #[test]
    fn another_payload_under_the_same_key_is_told_apart() {
        let k = key();
        let other = Key::new("so", "spiffe://shop", "r-1", &["changed"]);
        let rows = [xid(1, &other.name, 0), xid(2, &other.fingerprint_row(), 0), xid(3, &other.done_row(), 42)];
        assert_eq!(entry(&k, &rows), Entry::OtherPayload);
    }

    #[test]
    fn keys_of_earlier_releases_replay_and_keep_their_payload() {
        let k = key();
        let legacy = |print: &str| {
            vec![
                xid(1, &k.name, 42),
                xid(2, &format!("{}_{print}_l0", k.name), 7),
                xid(3, &format!("{}_created", k.name), 42),
            ]
        };
        assert_eq!(entry(&k, &legacy(&k.fingerprint)), Entry::Done { record: 42 });
        assert_eq!(entry(&k, &legacy("0123456789abcdef")), Entry::OtherPayload);
        // A field this release reads and the earlier one ignored does not make a retry "another payload".
        let richer = Key::new("so", "spiffe://shop", "r-1", &["payload", "EUR"]).with_legacy(Some(&["payload"]));
        let earlier = Key::new("so", "spiffe://shop", "r-1", &["payload"]);
        let rows = [xid(1, &richer.name, 42), xid(2, &format!("{}_{}_l0", richer.name, earlier.fingerprint), 7)];
        assert_eq!(entry(&richer, &rows), Entry::Done { record: 42 });
    }
}
