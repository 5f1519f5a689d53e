//! Messages (`mail.message`, module `mail`) and the chatter that every model inheriting
//! `mail.thread` has: `message_ids`, and `message_post`, which answers the new message's id. As on
//! a real Odoo 18: a posted plain-text body is escaped and wrapped in a paragraph (`body_is_html`
//! keeps it as given), a post is a "notification" with the "Note" subtype unless told otherwise,
//! and messages may also be created directly or through `load` with an external id (a "comment"
//! by default, without subtype), their author being the caller's partner.

use serde_json::{Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        methods::{Outcome, sig},
        now,
        registry::{Args, Info, Method, Model},
        row,
    },
};

const MESSAGE: &str = "mail.message";
const SUBTYPE: &str = "mail.message.subtype";

const MESSAGE_TYPE: &[(&str, &str)] = &[
    ("email", "Incoming Email"),
    ("comment", "Comment"),
    ("email_outgoing", "Outgoing Email"),
    ("notification", "System notification"),
    ("auto_comment", "Automated Targeted Notification"),
    ("user_notification", "User Specific Notification"),
];

/// The subtypes of module `mail`'s data, by external id: (xmlid, id, name, internal).
const SUBTYPES: [(&str, i64, &str, bool); 2] =
    [("mail.mt_comment", 1, "Discussions", false), ("mail.mt_note", 2, "Note", true)];
const NOTE: i64 = 2;

pub(crate) struct Message;

impl Model for Message {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(MESSAGE, "Message", "mail", "id desc")
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("model", Char, "Related Document Model")
            .stored("res_id", Many2oneReference, "Related Document ID")
            .stored("body", Html, "Contents")
            .stored("subject", Char, "Subject")
            .stored("message_type", selection(MESSAGE_TYPE), "Type")
            .default("message_type", json!("comment"))
            .stored("subtype_id", Many2one(SUBTYPE), "Subtype")
            .stored("author_id", Many2one("res.partner"), "Author")
            .stored("email_from", Char, "From")
            .stored("date", Datetime, "Date")
            .stored("is_internal", Boolean, "Employee Only");
        // The document's name: stored in 18, computed in 19.
        match version {
            OdooVersion::V18 => f.stored_computed("record_name", Char, "Message Record Name"),
            OdooVersion::V19 => f.computed("record_name", Char, "Message Record Name"),
        };
    }

    fn compute(&self, db: &Database, env: &Env, id: i64, field: &str) -> Option<Value> {
        (field == "record_name").then(|| {
            let model = db.get_str(MESSAGE, id, "model");
            match db.get_i64(MESSAGE, id, "res_id") {
                Some(res_id) if !model.is_empty() && db.exists(&model, res_id) => {
                    json!(db.display_name(&model, res_id, env))
                }
                _ => Value::Bool(false),
            }
        })
    }

    /// A message made directly is dated now and written by the caller.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        if db.get_i64(MESSAGE, id, "author_id").is_none() {
            db.set(MESSAGE, id, "author_id", author(db, env));
        }
        if db.get_str(MESSAGE, id, "email_from").is_empty() {
            db.set(MESSAGE, id, "email_from", email_from(db, env));
        }
        if db.get_str(MESSAGE, id, "date").is_empty() {
            db.set(MESSAGE, id, "date", json!(now()));
        }
        Ok(())
    }
}

/// Message subtypes (`mail.message.subtype`): the "Discussions" and "Note" of module `mail`.
pub(crate) struct MessageSubtype;

impl Model for MessageSubtype {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(SUBTYPE, "Message subtypes", "mail", "sequence, id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Message Type")
            .stored("internal", Boolean, "Internal Only")
            .stored("sequence", Integer, "Sequence");
    }
}

/// Seeds the subtypes of module `mail`'s data, with their external ids (`load` names a message's
/// subtype by them: `subtype_id/id` = `mail.mt_note`).
pub(crate) fn seed_subtypes(db: &mut Database) {
    for (xmlid, id, name, internal) in SUBTYPES {
        db.insert_raw(
            SUBTYPE,
            id,
            row(&[("name", json!(name)), ("internal", json!(internal)), ("sequence", json!(id))]),
        );
        let (module, name) = xmlid.split_once('.').unwrap_or(("mail", xmlid));
        db.insert(
            crate::orm::EXTERNAL_IDS,
            row(&[
                ("module", json!(module)),
                ("name", json!(name)),
                ("model", json!(SUBTYPE)),
                ("res_id", json!(id)),
                ("noupdate", json!(true)),
            ]),
        );
    }
}

fn author(db: &Database, env: &Env) -> Value {
    db.get_i64("res.users", env.uid, "partner_id").map_or(json!(false), |p| json!(p))
}

fn email_from(db: &Database, env: &Env) -> Value {
    let partner = db.get_i64("res.users", env.uid, "partner_id").unwrap_or_default();
    let email = db.get_str("res.partner", partner, "email");
    if email.is_empty() {
        return Value::Bool(false);
    }
    json!(format!("\"{}\" <{email}>", db.get_str("res.partner", partner, "name")))
}

/// The chatter's fields, for a model inheriting `mail.thread`.
pub(crate) fn thread_fields(f: &mut Fields) {
    f.addon("mail").stored_computed("message_ids", One2many(MESSAGE, "res_id"), "Messages");
}

/// The chatter's computed fields: the record's messages, newest first.
pub(crate) fn compute_thread(db: &Database, model: &str, id: i64, field: &str) -> Option<Value> {
    (field == "message_ids").then(|| {
        let mut messages: Vec<i64> = db
            .ids_where(MESSAGE, "res_id", id)
            .into_iter()
            .filter(|m| db.get_str(MESSAGE, *m, "model") == model)
            .collect();
        messages.reverse();
        json!(messages)
    })
}

/// `mail.thread.message_post`, for the models that inherit the chatter (when `mail` is installed).
pub(crate) fn message_post(db: &Database) -> Option<Method> {
    db.installed("mail").then_some(Method {
        name: "message_post",
        signature: sig(
            false,
            &["body", "subject", "message_type", "subtype_xmlid", "partner_ids", "body_is_html"],
            0,
            true,
            false,
        ),
        on_records: true,
        run: post,
    })
}

/// `message_post(body=...)`: a message in the record's chatter; returns its id.
fn post(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let [id] = args.ids else {
        return Err(SimError::value(format!("Expected singleton: {}({:?})", args.model, args.ids)));
    };
    let text = match args.params.get("body") {
        Some(Value::String(text)) => text.clone(),
        _ => String::new(),
    };
    let as_html = args.params.get("body_is_html").is_some_and(|v| v.as_bool() == Some(true));
    let body = if as_html || text.is_empty() { text } else { format!("<p>{}</p>", escape(&text)) };
    let message_type = args.params.get("message_type").and_then(Value::as_str).unwrap_or("notification");
    if !MESSAGE_TYPE.iter().any(|(k, _)| *k == message_type) {
        return Err(SimError::value(format!("Wrong value for mail.message.message_type: '{message_type}'")));
    }
    let subtype = match args.params.get("subtype_xmlid").and_then(Value::as_str) {
        Some(xmlid) => SUBTYPES
            .iter()
            .find(|s| s.0 == xmlid)
            .map(|s| s.1)
            .ok_or_else(|| SimError::value(format!("External ID not found in the system: {xmlid}")))?,
        None => NOTE,
    };
    let message = insert(db, env, args.model, *id, &body, message_type, subtype);
    if let Some(subject) = args.params.get("subject").and_then(Value::as_str) {
        db.set(MESSAGE, message, "subject", json!(subject));
    }
    Ok(Outcome::Value(json!(message)))
}

fn insert(db: &mut Database, env: &Env, model: &str, id: i64, body: &str, message_type: &str, subtype: i64) -> i64 {
    db.insert(
        MESSAGE,
        row(&[
            ("model", json!(model)),
            ("res_id", json!(id)),
            ("body", json!(body)),
            ("message_type", json!(message_type)),
            ("subtype_id", json!(subtype)),
            ("author_id", author(db, env)),
            ("email_from", email_from(db, env)),
            ("date", json!(now())),
            ("is_internal", json!(false)),
        ]),
    )
}

/// A note a business rule posts in a record's chatter (a backorder made, say); `body` is HTML.
pub(crate) fn note(db: &mut Database, env: &Env, model: &str, id: i64, body: &str) {
    if db.installed("mail") {
        insert(db, env, model, id, body, "notification", NOTE);
    }
}

/// Odoo's `_get_html_link`: a link to a record, as notes name them.
pub(crate) fn html_link(db: &Database, model: &str, id: i64) -> String {
    format!(
        "<a href=\"#\" data-oe-model=\"{model}\" data-oe-id=\"{id}\">{}</a>",
        escape(&db.get_str(model, id, "name"))
    )
}

/// What `message_post` escapes of a plain-text body.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
