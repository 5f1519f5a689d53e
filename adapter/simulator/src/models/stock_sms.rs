//! The one-time SMS question of module `stock_sms` (auto-installed with `stock` and `sms`): until a
//! company has answered it, validating a customer delivery whose contact has a phone creates a
//! `confirm.stock.sms` wizard and answers its action (with `res_id`) instead of validating. Its
//! answers record the company's choice and validate the context's transfers; `skip_sms: true` in
//! `button_validate`'s context avoids the question. The company's switch is
//! `stock_move_sms_validation` in 18, `stock_text_confirmation` with `stock_confirmation_type` "sms"
//! in 19 (recordings 16 and 17 of Odoo 19; Odoo 18's `stock_sms` source).

use serde_json::{Value, json};

use super::{context_ids, ids, stock_picking};
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

const WIZARD: &str = "confirm.stock.sms";

/// The company's field switching delivery SMS on.
fn sms_switch(version: OdooVersion) -> &'static str {
    match version {
        OdooVersion::V18 => "stock_move_sms_validation",
        OdooVersion::V19 => "stock_text_confirmation",
    }
}

/// Whether a company sends delivery confirmations by SMS.
fn sends_sms(db: &Database, company: i64) -> bool {
    db.get_bool("res.company", company, sms_switch(db.version))
        && (db.version == OdooVersion::V18 || db.get_str("res.company", company, "stock_confirmation_type") == "sms")
}

/// `_check_warn_sms` and `_action_generate_warn_sms_wizard`: the wizard's action when one of the
/// transfers is a customer delivery to a contact with a phone, of a company that sends SMS and was
/// never asked.
pub(crate) fn warn(db: &mut Database, env: &Env, pickings: &[i64]) -> Option<Value> {
    let to_warn: Vec<i64> = pickings
        .iter()
        .copied()
        .filter(|p| {
            let company = db.get_i64("stock.picking", *p, "company_id").unwrap_or(1);
            let partner = db.get_i64("stock.picking", *p, "partner_id").unwrap_or_default();
            let has_phone = ["phone", "mobile"].iter().any(|f| !db.get_str("res.partner", partner, f).is_empty());
            sends_sms(db, company)
                && !db.get_bool("res.company", company, "has_received_warning_stock_sms")
                && picking_code(db, *p) == "outgoing"
                && has_phone
        })
        .collect();
    if to_warn.is_empty() {
        return None;
    }
    let wizard = db.insert(WIZARD, row(&[("pick_ids", json!(to_warn))]));
    // The form's view id in the recorded servers' databases.
    let view = match db.version {
        OdooVersion::V18 => 1171,
        OdooVersion::V19 => 1178,
    };
    Some(json!({
        "name": "SMS",
        "type": "ir.actions.act_window",
        "view_mode": "form",
        "res_model": WIZARD,
        "views": [[view, "form"]],
        "view_id": view,
        "target": "new",
        "res_id": wizard,
        "context": env.context,
    }))
}

fn picking_code(db: &Database, picking: i64) -> String {
    db.get_i64("stock.picking", picking, "picking_type_id")
        .map(|t| db.get_str("stock.picking.type", t, "code"))
        .unwrap_or_default()
}

pub(crate) struct ConfirmStockSms;

impl Model for ConfirmStockSms {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(WIZARD, "Confirm Stock SMS", "stock_sms", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("pick_ids", Many2many("stock.picking"), "Pick");
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        let answer = |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        vec![
            answer(
                "send_sms",
                (|db, env, args| answer_sms(db, env, args, true))
                    as fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>,
            ),
            answer("dont_send_sms", |db, env, args| answer_sms(db, env, args, false)),
        ]
    }
}

/// `send_sms` / `dont_send_sms`: the companies of the wizard's transfers are asked no more (and,
/// declining, stop sending SMS); then the context's transfers are validated, answering what
/// `button_validate` answers.
fn answer_sms(db: &mut Database, env: &Env, args: &Args<'_>, send: bool) -> SimResult<Outcome> {
    let [wizard] = args.ids else {
        return Err(SimError::value(format!("Expected singleton: {WIZARD}({:?})", args.ids)));
    };
    let companies: Vec<i64> = ids(&db.get(WIZARD, *wizard, "pick_ids"))
        .into_iter()
        .filter_map(|p| db.get_i64("stock.picking", p, "company_id"))
        .collect();
    for company in companies {
        if db.get_bool("res.company", company, "has_received_warning_stock_sms") {
            continue;
        }
        db.set("res.company", company, "has_received_warning_stock_sms", json!(true));
        if !send {
            db.set("res.company", company, sms_switch(db.version), json!(false));
        }
    }
    let pickings = context_ids(env.context.get("button_validate_picking_ids"));
    stock_picking::button_validate(db, env, &pickings).map(Outcome::Value)
}

/// The company settings `stock_sms` reads and writes, by version.
pub(crate) fn company_fields(version: OdooVersion, f: &mut Fields) {
    match version {
        OdooVersion::V18 => {
            f.addon("stock_sms")
                .stored("stock_move_sms_validation", Boolean, "SMS Confirmation")
                .default("stock_move_sms_validation", json!(true));
        }
        OdooVersion::V19 => {
            f.addon("stock")
                .stored("stock_text_confirmation", Boolean, "Stock Text Confirmation")
                .stored("stock_confirmation_type", selection(&[("sms", "SMS")]), "Stock Confirmation Type")
                .default("stock_text_confirmation", json!(true))
                .default("stock_confirmation_type", json!("sms"));
        }
    }
    f.addon("stock_sms").stored("has_received_warning_stock_sms", Boolean, "Has Received Warning Stock Sms");
}
