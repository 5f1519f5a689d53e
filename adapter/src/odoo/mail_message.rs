//! `mail.message`: chatter messages — and the notes odoo-mesh keeps on records for facts Odoo has
//! no field for (a carrier's tracking milestones, a supplier's advance shipping notice). A note is
//! what people read in the record's chatter, with the same facts as JSON in its last paragraph
//! for odoo-mesh to read back. Each is imported with `load` under an external id, create-only and
//! in one transaction, so the same fact is never noted twice — and only notes with odoo-mesh's
//! external ids are read back, never one a person typed to look like them.

use serde::{Serialize, de::DeserializeOwned};
use serde_json::{Map, json};
use time::OffsetDateTime;

use super::{
    Field, Model, Odoo, Record, Row, Schema,
    ir_model_data::{self, Import, Loaded},
};
use crate::{OdooCall, OdooError, SearchOptions};

pub(crate) const MESSAGE: Model = Model::new("mail.message", "mail");
/// The model of the record the message is on.
const DOCUMENT_MODEL: Field = MESSAGE.field("model");
/// The id of the record the message is on (a plain integer, not a many2one).
pub(crate) const DOCUMENT: Field = MESSAGE.field("res_id");
const BODY: Field = MESSAGE.field("body");
const SUBJECT: Field = MESSAGE.field("subject");
/// When it happened: a note takes the time of the fact it records.
const DATE: Field = MESSAGE.field("date");
const KIND: Field = MESSAGE.field("message_type");
const SUBTYPE: Field = MESSAGE.field("subtype_id");
pub(crate) const UPDATED: Field = MESSAGE.field("write_date");

pub(crate) const FIELDS: &[Field] = &[DOCUMENT_MODEL, DOCUMENT, BODY, SUBJECT, DATE, KIND, SUBTYPE, UPDATED];

/// A note, as opposed to a message sent to followers.
const NOTE_SUBTYPE: &str = "mail.mt_note";

/// Removes a chatter message (what undoes posting it).
pub(crate) fn unlink(id: i64) -> OdooCall {
    OdooCall::new(MESSAGE.name, "unlink").ids(vec![id])
}

/// Posts a note in a record's chatter (any model with `mail.thread`); Odoo answers the message's id.
pub(crate) fn post(model: Model, id: i64, body: &str) -> OdooCall {
    OdooCall::new(model.name, "message_post").ids(vec![id]).param("body", json!(body))
}

/// The messages on records of `model`.
pub(crate) fn on_model(schema: &Schema, model: Model) -> serde_json::Value {
    schema.term(&DOCUMENT_MODEL, "=", model.name)
}

/// A note to keep on a record.
#[derive(Debug, Clone)]
pub(crate) struct NewNote<'a, T> {
    /// What kind of facts it holds (`tracking`, `asn`): the marker of its last paragraph.
    pub(crate) kind: &'a str,
    pub(crate) subject: &'a str,
    /// When the facts happened.
    pub(crate) date: OffsetDateTime,
    /// What people read, a paragraph each.
    pub(crate) lines: &'a [String],
    pub(crate) facts: &'a T,
}

/// Imports a note on `(model, id)` under odoo-mesh's external id `name`, create-only: the same
/// name answers the note made the first time.
pub(crate) async fn keep<T: Serialize>(
    odoo: &Odoo,
    schema: &Schema,
    name: &str,
    (model, id): (Model, i64),
    note: &NewNote<'_, T>,
) -> Result<Loaded, OdooError> {
    let facts = serde_json::to_string(note.facts)
        .map_err(|error| OdooError::Protocol { message: format!("a note's facts: {error}") })?;
    let mut body: String = note.lines.iter().map(|line| format!("<p>{}</p>", escape(line))).collect();
    body.push_str(&format!("<p>{} {}</p>", marker(note.kind), escape(&facts)));
    let mut import = Import::new(name);
    import.value(schema, &DOCUMENT_MODEL, model.name);
    import.value(schema, &DOCUMENT, id.to_string());
    import.value(schema, &KIND, "comment");
    import.external(schema, &SUBTYPE, NOTE_SUBTYPE);
    import.value(schema, &SUBJECT, note.subject);
    import.value(schema, &DATE, super::odoo_datetime(note.date));
    import.value(schema, &BODY, body);
    ir_model_data::load(odoo, MESSAGE, &import.columns, vec![import.cells]).await
}

/// A note odoo-mesh kept, read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note<T> {
    pub(crate) id: i64,
    /// The record it is on.
    pub(crate) document: i64,
    pub(crate) facts: T,
}

/// The notes of `kind` odoo-mesh kept on these records of `model`, oldest first. A note whose
/// facts cannot be read (edited in Odoo since) is left out and logged.
pub(crate) async fn kept<T: DeserializeOwned>(
    odoo: &Odoo,
    schema: &Schema,
    model: Model,
    ids: &[i64],
    kind: &str,
) -> Result<Vec<Note<T>>, OdooError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let domain = json!([
        schema.term(&DOCUMENT_MODEL, "=", model.name),
        schema.term(&DOCUMENT, "in", json!(ids)),
        schema.term(&BODY, "ilike", marker(kind)),
    ]);
    let rows =
        odoo.search(schema, MESSAGE, domain, &[DOCUMENT, BODY], &SearchOptions::ordered("id"), Map::new()).await?;
    let message_ids: Vec<i64> = rows.iter().filter_map(|r| Row::new(MESSAGE, r).ok().map(|r| r.id())).collect();
    let ours = ir_model_data::records_of(odoo, schema, MESSAGE, &message_ids).await?;
    Ok(rows.iter().filter_map(|row| read_note(row, kind, &ours)).collect())
}

fn read_note<T: DeserializeOwned>(record: &Record, kind: &str, ours: &[i64]) -> Option<Note<T>> {
    let row = Row::new(MESSAGE, record).ok()?;
    if !ours.contains(&row.id()) {
        return None;
    }
    let body = row.text(&BODY).ok().flatten().unwrap_or_default();
    let facts = body.rsplit_once(&marker(kind)).and_then(|(_, rest)| rest.split("</p>").next());
    let parsed = facts.and_then(|text| serde_json::from_str(&html_escape::decode_html_entities(text)).ok());
    if parsed.is_none() {
        tracing::warn!(message = row.id(), kind, "a note odoo-mesh kept was edited in Odoo and can no longer be read");
    }
    Some(Note { id: row.id(), document: row.integer(&DOCUMENT).ok()?, facts: parsed? })
}

/// What starts the paragraph holding a note's facts.
fn marker(kind: &str) -> String {
    format!("odoo-mesh:{kind}")
}

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    proptest! {
        /// Whatever text the facts hold, they read back as written — also once Odoo's sanitizer
        /// has turned the escaped quotes back into quotes, as a real Odoo 18 does.
        #[test]
        fn a_notes_facts_read_back_as_written(text in ".*", sanitized in any::<bool>()) {
            let facts = json!({"location": text});
            let escaped = escape(&serde_json::to_string(&facts).expect("json"));
            let stored = if sanitized { escaped.replace("&quot;", "\"") } else { escaped };
            let record: Record = serde_json::from_value(json!({
                "id": 7, "res_id": 3, "body": format!("<p>Delivered</p><p>odoo-mesh:tracking {stored}</p>"),
            })).expect("record");
            let note: Option<Note<Value>> = read_note(&record, "tracking", &[7]);
            prop_assert_eq!(note.map(|n| n.facts), Some(facts));
        }
    }

    #[test]
    fn only_odoo_meshs_own_notes_are_read() {
        let record: Record = serde_json::from_value(json!({
            "id": 8, "res_id": 3, "body": "<p>odoo-mesh:tracking {\"milestone\": \"delivered\"}</p>",
        }))
        .expect("record");
        assert_eq!(read_note::<Value>(&record, "tracking", &[7]), None, "typed by a person: no external id of ours");
        assert!(read_note::<Value>(&record, "tracking", &[8]).is_some());
    }
}
