//! The idempotency ledger, kept in Odoo's `ir.model.data` so every replica and every restart
//! sees it. A command's key (a hash of the caller's scope and `request_id`) names three rows:
//!
//! - `{key}` — the claim: created together with the fingerprint row in one transaction, under a
//!   unique index, so exactly one of any number of concurrent duplicates owns the command;
//! - `{key}_fp_{fingerprint}` — the payload the key was first used with;
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
}

fn hex(bytes: &[u8], len: usize) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()[..len].to_owned()
}

/// The key a request id maps to, scoped to the calling identity: two services cannot collide on
/// each other's ids.
pub fn idempotency_key(scope: &str, request_id: &str) -> String {
    hex(&Sha256::digest(format!("{scope}\0{request_id}").as_bytes()), 32)
}

impl Key {
    pub(crate) fn new(kind: &str, scope: &str, request_id: &str, payload: &impl Serialize) -> Self {
        let fingerprint = hex(&Sha256::digest(serde_json::to_vec(payload).unwrap_or_default()), 16);
        Self { name: format!("{kind}_{}", idempotency_key(scope, request_id)), fingerprint }
    }

    fn fingerprint_row(&self) -> String {
        format!("{}_fp_{}", self.name, self.fingerprint)
    }

    fn done_row(&self) -> String {
        format!("{}_done", self.name)
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
    Claimed {
        since: Option<OffsetDateTime>,
        /// The claim's rows, to release them when a takeover fails.
        rows: Vec<i64>,
    },
    /// Finished: the record the command produced.
    Done { record: i64 },
}

/// Reads a key's rows (one read) and says where the command stands.
pub(crate) async fn lookup(odoo: &Odoo, schema: &Schema, key: &Key) -> Result<Entry, OdooError> {
    let rows = ir_model_data::with_prefix(odoo, schema, &key.name).await?;
    Ok(entry(key, &rows))
}

fn entry(key: &Key, rows: &[ir_model_data::Xid]) -> Entry {
    let suffix = |row: &ir_model_data::Xid| row.name.strip_prefix(&key.name).map(str::to_owned);
    let mut prints = Vec::new();
    let (mut claim, mut done) = (None, None);
    for row in rows {
        let Some(rest) = suffix(row) else { continue };
        match rest.as_str() {
            "" => claim = Some(row),
            "_done" => done = Some(row.res_id),
            // An earlier release's claim: the record row says all there is to know.
            "_created" => {}
            _ => {
                if let Some(print) = rest.strip_prefix("_fp_") {
                    prints.push(print.to_owned());
                } else if let Some(print) = legacy_fingerprint(&rest) {
                    prints.push(print.to_owned());
                }
            }
        }
    }
    if !prints.is_empty() && !prints.contains(&key.fingerprint) {
        return Entry::OtherPayload;
    }
    if let Some(record) = done {
        return Entry::Done { record };
    }
    let Some(claim) = claim else { return Entry::Free };
    let new_layout = rows.iter().any(|r| r.name == key.fingerprint_row());
    if !new_layout && claim.res_id != 0 {
        // An earlier release: the claim row was the record itself, finished or interrupted
        // between creating and confirming; replaying it finishes it either way.
        return Entry::Done { record: claim.res_id };
    }
    let rows = rows.iter().filter(|r| r.name == key.name || r.name == key.fingerprint_row()).map(|r| r.id).collect();
    Entry::Claimed { since: claim.created, rows }
}

/// An earlier release's line id `_{fingerprint}_l{n}`: 16 hex digits, then the line number.
/// (This release's records are `_{what}` and `_{what}_l{n}`, never hex.)
fn legacy_fingerprint(rest: &str) -> Option<&str> {
    let (print, line) = rest.strip_prefix('_')?.split_once("_l")?;
    let hex = print.len() == 16 && print.chars().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase());
    (hex && !line.is_empty() && line.chars().all(|c| c.is_ascii_digit())).then_some(print)
}

/// Claims a key for this call: the claim and the fingerprint in one transaction, under a unique
/// index. `Ok(None)` when another call holds it. `target` is the record the command acts on (0
/// when it creates one).
pub(crate) async fn claim(
    odoo: &Odoo,
    schema: &Schema,
    key: &Key,
    model: Model,
    target: i64,
) -> Result<Option<Vec<i64>>, OdooError> {
    let fingerprint = key.fingerprint_row();
    let rows = [(key.name.as_str(), model.name, target), (fingerprint.as_str(), model.name, target)];
    ir_model_data::create(odoo, schema, &rows).await
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
        assert_eq!(entry(&k, &claimed), Entry::Claimed { since: None, rows: vec![1, 2] });
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
        assert_eq!(entry(&k, &rows), Entry::Claimed { since: None, rows: vec![1, 2] });
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
    }
}
