//! Automation rules (`base.automation`) with "Send Webhook Notification" actions, as Odoo 18 runs
//! them: when a call creates or writes a trigger field of a record matching the rule's domain, the
//! action POSTs `{_action, _id, _model, id, <fields>}` to its URL — from inside the transaction,
//! so also for a call that then fails and rolls back, with a one-second timeout and no retry.

use serde_json::{Map, Value, json};

use crate::{
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        registry::{Info, Model},
    },
    seed,
};

/// What a server action does (`ir.actions.server.state`).
const SERVER_ACTION_STATES: &[(&str, &str)] = &[
    ("object_write", "Update Record"),
    ("next_activity", "Create Activity"),
    ("mail_post", "Send Email"),
    ("sms", "Send SMS"),
    ("followers", "Add Followers"),
    ("remove_followers", "Remove Followers"),
    ("object_create", "Create Record"),
    ("code", "Execute Code"),
    ("webhook", "Send Webhook Notification"),
    ("multi", "Execute Existing Actions"),
];
const USAGE: &[(&str, &str)] = &[("ir_actions_server", "Server Action"), ("base_automation", "Automation Rule")];
const TRIGGER: &[(&str, &str)] = &[
    ("on_create_or_write", "On create and edit"),
    ("on_create", "On create"),
    ("on_write", "On save"),
    ("on_unlink", "On deletion"),
];

pub(crate) struct ServerAction;

impl Model for ServerAction {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("ir.actions.server", "Server Actions", "base", "sequence, name")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Action Name")
            .required("name")
            .stored("model_id", Many2one("ir.model"), "Model")
            .stored("state", selection(SERVER_ACTION_STATES), "Type")
            .default("state", json!("object_write"))
            .stored("usage", selection(USAGE), "Usage")
            .default("usage", json!("ir_actions_server"))
            .stored("webhook_url", Char, "Webhook URL")
            .stored("webhook_field_ids", Many2many("ir.model.fields"), "Webhook Fields")
            .computed("webhook_sample_payload", Text, "Sample Payload")
            .stored("sequence", Integer, "Sequence");
        f.addon("base_automation").stored("base_automation_id", Many2one("base.automation"), "Automation Rule");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        (field == "webhook_sample_payload").then(|| sample_payload(db, id).unwrap_or(Value::Bool(false)))
    }
}

pub(crate) struct Automation;

impl Model for Automation {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("base.automation", "Automation Rule", "base_automation", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Automation Rule Name")
            .stored("model_id", Many2one("ir.model"), "Model")
            .stored("trigger", selection(TRIGGER), "Trigger")
            .stored("trigger_field_ids", Many2many("ir.model.fields"), "Trigger Fields")
            .stored("filter_domain", Char, "Apply on")
            .stored("action_server_ids", One2many("ir.actions.server", "base_automation_id"), "Actions")
            .stored("active", Boolean, "Active")
            .required("name")
            .required("model_id")
            .required("trigger");
    }
}

/// One notification to send.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub(crate) url: String,
    pub(crate) body: Value,
}

/// The notifications the writes of the current call trigger.
pub(crate) fn due(db: &Database) -> Vec<Webhook> {
    let mut hooks = Vec::new();
    let env = Env::new(seed::ADMIN_UID);
    for (rule, row) in &db.table("base.automation").rows {
        let active = row.get("active").and_then(Value::as_bool).unwrap_or(true);
        let trigger = row.get("trigger").and_then(Value::as_str).unwrap_or_default();
        if !active || !matches!(trigger, "on_create_or_write" | "on_write" | "on_create") {
            continue;
        }
        let model =
            db.get_str("ir.model", db.get_i64("base.automation", *rule, "model_id").unwrap_or_default(), "model");
        let triggers = field_names(db, &db.get("base.automation", *rule, "trigger_field_ids"));
        let mut records: Vec<i64> = db
            .touched
            .iter()
            .filter(|(m, _, field)| *m == model && (triggers.is_empty() || triggers.contains(field)))
            .map(|(_, id, _)| *id)
            .collect();
        records.sort_unstable();
        records.dedup();
        let domain = python_domain(&db.get_str("base.automation", *rule, "filter_domain"));
        for record in records {
            if !db.exists(&model, record) || !matches_domain(db, &model, record, &domain, &env) {
                continue;
            }
            for action in db.ids_where("ir.actions.server", "base_automation_id", *rule) {
                if db.get_str("ir.actions.server", action, "state") != "webhook" {
                    continue;
                }
                hooks.push(Webhook {
                    url: db.get_str("ir.actions.server", action, "webhook_url"),
                    body: payload(db, action, &model, record),
                });
            }
        }
    }
    hooks
}

/// What the action sends about one record: its id and the chosen fields, many2one as a bare id.
fn payload(db: &Database, action: i64, model: &str, record: i64) -> Value {
    let mut body = Map::new();
    body.insert("_action".into(), json!(format!("Send Webhook Notification(#{action})")));
    body.insert("_id".into(), json!(record));
    body.insert("_model".into(), json!(model));
    body.insert("id".into(), json!(record));
    for field in field_names(db, &db.get("ir.actions.server", action, "webhook_field_ids")) {
        body.insert(field.clone(), db.get(model, record, &field));
    }
    Value::Object(body)
}

/// `webhook_sample_payload`: the payload for the model's first record.
fn sample_payload(db: &Database, action: i64) -> Option<Value> {
    let model = db.get_str("ir.model", db.get_i64("ir.actions.server", action, "model_id")?, "model");
    let first = db.table(&model).rows.keys().next().copied().unwrap_or(1);
    let mut body = payload(db, action, &model, first);
    if let Some(map) = body.as_object_mut() {
        map.remove("_action");
        map.remove("_id");
        map.insert("_name".into(), json!(db.get_str("ir.actions.server", action, "name")));
    }
    Some(json!(serde_json::to_string_pretty(&body).unwrap_or_default()))
}

fn field_names(db: &Database, ids: &Value) -> Vec<String> {
    ids.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_i64)
        .map(|id| db.get_str("ir.model.fields", id, "name"))
        .collect()
}

/// A Python domain literal, such as `[('location_id.usage', '=', 'internal')]`, as JSON.
fn python_domain(text: &str) -> Value {
    let json = text
        .replace('\'', "\"")
        .replace('(', "[")
        .replace(')', "]")
        .replace("True", "true")
        .replace("False", "false")
        .replace("None", "null");
    serde_json::from_str(&json).unwrap_or_else(|_| json!([]))
}

fn matches_domain(db: &Database, model: &str, record: i64, domain: &Value, env: &Env) -> bool {
    let Ok(def) = db.model(model) else { return false };
    let mut terms = domain.as_array().cloned().unwrap_or_default();
    terms.push(json!(["id", "=", record]));
    db.search(def, &Value::Array(terms), 0, None, None, env).is_ok_and(|ids| !ids.is_empty())
}
