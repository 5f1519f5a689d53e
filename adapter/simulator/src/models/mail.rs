//! Messages (`mail.message`, module `mail`) and the chatter's `message_post`, which every model
//! inheriting `mail.thread` offers.

use serde_json::json;

use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
        row,
    },
};

pub(crate) struct Message;

impl Model for Message {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("mail.message", "Message", "mail", "id desc")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("model", Char, "Related Document Model")
            .stored("res_id", Many2oneReference, "Related Document ID")
            .stored("body", Html, "Contents")
            .stored(
                "message_type",
                selection(&[("comment", "Comment"), ("notification", "System notification")]),
                "Type",
            )
            .stored("author_id", Many2one("res.partner"), "Author");
    }
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

/// `message_post(body=...)`: a note in the record's chatter; returns the message id.
fn post(db: &mut Database, env: &Env, args: &Args<'_>) -> SimResult<Outcome> {
    let [id] = args.ids else {
        return Err(SimError::value(format!("Expected singleton: {}({:?})", args.model, args.ids)));
    };
    let author = db.get_i64("res.users", env.uid, "partner_id").map_or(json!(false), |p| json!(p));
    let body = args.params.get("body").cloned().unwrap_or(json!(""));
    let message_type = args.params.get("message_type").cloned().unwrap_or(json!("notification"));
    let message = db.insert(
        "mail.message",
        row(&[
            ("model", json!(args.model)),
            ("res_id", json!(id)),
            ("body", body),
            ("message_type", message_type),
            ("author_id", author),
        ]),
    );
    Ok(Outcome::Value(json!(message)))
}
