//! Odoo's answers as the adapter decodes them: the envelopes and error bodies of both wire
//! formats, and the records of each model's decoder. Properties: a batch is decoded record by
//! record — each record decoded or left out, never failing the others — unless a record lacks its
//! id or a field asked for (odoo-mesh's mistake, not Odoo's data); an error becomes a status a
//! client can receive.

use odoo_adapter::{
    OdooError,
    fuzzing::{READERS, Reader, json2_answer, jsonrpc_answer},
};
use serde_json::{Map, Value};

use crate::{assert_status_fits, split_choice};

/// HTTP statuses Odoo (or what stands in front of it) answers with.
const STATUSES: [u16; 10] = [200, 400, 401, 403, 404, 422, 500, 502, 503, 504];

/// The first byte picks a model's decoder (`READERS`), the rest is what `search_read` or `read`
/// answered: a JSON list of records (or one record).
pub fn odoo_records(data: &[u8]) {
    let Some((index, json)) = split_choice(data, READERS.len()) else { return };
    let Ok(value) = serde_json::from_slice::<Value>(json) else { return };
    if let Some(records) = records(value) {
        check_batch(&READERS[index], &records);
    }
}

/// The first byte picks the wire format (bit 0: JSON-2, else JSON-RPC) and, for JSON-2, whether
/// the answer says it is JSON (bit 1); the second the HTTP status; the rest is the body. An answer
/// that is a list of records goes on to every model's decoder.
pub fn odoo_envelopes(data: &[u8]) {
    let [flags, status, body @ ..] = data else { return };
    let status = STATUSES[usize::from(*status) % STATUSES.len()];
    let answer = if flags & 1 == 0 { jsonrpc_answer(status, body) } else { json2_answer(status, flags & 2 == 0, body) };
    match answer {
        Ok(value) => {
            assert_eq!(status, 200, "an answer taken from an http {status}");
            if let Some(records) = records(value) {
                for reader in READERS {
                    check_batch(reader, &records);
                }
            }
        }
        Err(error) => check_error(error),
    }
}

/// The records of an answer, when it is a list of them (or one).
fn records(value: Value) -> Option<Vec<Map<String, Value>>> {
    match value {
        Value::Object(record) => Some(vec![record]),
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(record) => Some(record),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn check_batch(reader: &Reader, records: &[Map<String, Value>]) {
    match reader.decode(records) {
        Ok(batch) => {
            assert_eq!(batch.decoded + batch.unreadable, records.len(), "{}: a record lost", reader.name);
            let last = records.last().and_then(|r| r.get("id")).and_then(Value::as_i64);
            assert_eq!(batch.last_id, last, "{}: the last id read", reader.name);
        }
        Err(error) => {
            assert!(matches!(error, OdooError::Protocol { .. }), "{}: a batch failed by {error:?}", reader.name);
            check_error(error);
        }
    }
}

fn check_error(error: OdooError) {
    assert_status_fits(&odoo_mesh::fuzzing::odoo_error_status(error));
}
