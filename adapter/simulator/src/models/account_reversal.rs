//! Credit notes from posted entries: the reversal wizard (`account.move.reversal`, module
//! `account`). Create it with context `{active_model: "account.move", active_ids}` and values
//! `reason` and `journal_id` — the journal is required and, not being precomputed, must be given
//! (both versions refuse the create without it, as PostgreSQL's NOT NULL does). `refund_moves`
//! makes a draft credit note per entry — its lines those of the entry, linked to the same order
//! lines, referenced "Reversal of: INV/..., reason", dated the wizard's date — and answers an
//! action on it; posting the credit note reconciles it with the entry. A partial credit note is
//! the draft with its lines' quantities lowered before posting. `modify_moves` posts the full
//! reversal at once and opens a new draft invoice copying the entry.

use serde_json::{Map, Value, json};

use super::{
    account::JOURNAL,
    account_move::{self, LINE, MOVE},
    company::COMPANY,
    ids,
};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
        today,
    },
};

const WIZARD: &str = "account.move.reversal";

/// The items a copy of an invoice keeps: its product, section and note lines, with their order
/// links (`include_business_fields`).
const COPIED_LINE_FIELDS: [&str; 13] = [
    "display_type",
    "sequence",
    "name",
    "product_id",
    "product_uom_id",
    "quantity",
    "price_unit",
    "discount",
    "tax_ids",
    "is_downpayment",
    "sale_line_ids",
    "purchase_line_id",
    "currency_id",
];

pub(crate) struct MoveReversal;

impl Model for MoveReversal {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new(WIZARD, "Account Move Reversal", "account", "id")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("move_ids", Many2many(MOVE), "Move")
            .stored("new_move_ids", Many2many(MOVE), "New Move")
            .stored("date", Date, "Reversal date")
            .stored("reason", Char, "Reason displayed on Credit Note")
            .stored("journal_id", Many2one(JOURNAL), "Journal")
            .required("journal_id")
            .stored("company_id", Many2one("res.company"), "Company")
            .required("company_id")
            .default("company_id", json!(COMPANY))
            .computed("residual", Monetary, "Residual")
            .computed("currency_id", Many2one("res.currency"), "Currency")
            .computed("move_type", Char, "Move Type")
            .computed("available_journal_ids", Many2many(JOURNAL), "Available Journal");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        let moves = ids(&db.get(WIZARD, id, "move_ids"));
        let single = |value: Value| if moves.len() == 1 { value } else { Value::Bool(false) };
        Some(match field {
            "residual" => {
                json!(if moves.len() == 1 { account_move::amount(db, moves[0], "amount_residual") } else { 0.0 })
            }
            "currency_id" => {
                let currencies: Vec<Value> = moves.iter().map(|m| db.get(MOVE, *m, "currency_id")).collect();
                if currencies.windows(2).all(|w| w[0] == w[1]) {
                    currencies.first().cloned().unwrap_or(Value::Bool(false))
                } else {
                    Value::Bool(false)
                }
            }
            "move_type" => match moves.first() {
                Some(mv) => single(db.get(MOVE, *mv, "move_type")),
                None => Value::Bool(false),
            },
            "available_journal_ids" => {
                let kinds: Vec<String> = moves
                    .iter()
                    .map(|m| db.get_str(JOURNAL, db.get_i64(MOVE, *m, "journal_id").unwrap_or_default(), "type"))
                    .collect();
                json!(
                    db.table(JOURNAL)
                        .rows
                        .keys()
                        .filter(|j| moves.is_empty() || kinds.contains(&db.get_str(JOURNAL, **j, "type")))
                        .collect::<Vec<_>>()
                )
            }
            _ => return None,
        })
    }

    /// `default_get`: the context's entries, which must be posted; today's date; a journal of
    /// their type.
    fn complete(&self, db: &mut Database, env: &Env, id: i64) -> SimResult<()> {
        if db.row(WIZARD, id).is_some_and(|r| !r.contains_key("move_ids"))
            && env.context.get("active_model").and_then(Value::as_str) == Some(MOVE)
        {
            db.set(WIZARD, id, "move_ids", json!(super::context_ids(env.context.get("active_ids"))));
        }
        let moves = ids(&db.get(WIZARD, id, "move_ids"));
        if moves.iter().any(|m| db.get_str(MOVE, *m, "state") != "posted") {
            return Err(SimError::user("You can only reverse posted moves."));
        }
        if db.get_str(WIZARD, id, "date").is_empty() {
            db.set(WIZARD, id, "date", json!(today()));
        }
        let journal = db.get_i64(WIZARD, id, "journal_id").unwrap_or_default();
        let kind = db.get_str(JOURNAL, journal, "type");
        if moves
            .iter()
            .any(|m| db.get_str(JOURNAL, db.get_i64(MOVE, *m, "journal_id").unwrap_or_default(), "type") != kind)
        {
            return Err(SimError::user("Journal should be the same type as the reversed entry."));
        }
        Ok(())
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        let on_records =
            |name, run| Method { name, signature: sig(false, &[], 0, false, false), on_records: true, run };
        vec![
            on_records(
                "refund_moves",
                (|db, env, args| reverse_moves(db, env, args, false))
                    as fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>,
            ),
            on_records("modify_moves", |db, env, args| reverse_moves(db, env, args, true)),
            on_records("reverse_moves", |db, env, args| {
                let modify = args.params.get("is_modify").and_then(Value::as_bool).unwrap_or(false);
                reverse_moves(db, env, args, modify)
            }),
        ]
    }
}

/// `reverse_moves`: the reversal of each entry, posted and reconciled with it when it cancels the
/// entry (`modify_moves`, or a plain journal entry), then for `modify_moves` a new draft copy; the
/// action opens what was made.
fn reverse_moves(db: &mut Database, env: &Env, args: &Args<'_>, modify: bool) -> SimResult<Outcome> {
    let [wizard] = args.ids else {
        return Err(SimError::value(format!("Expected singleton: {WIZARD}({:?})", args.ids)));
    };
    let date = db.get_str(WIZARD, *wizard, "date");
    let reason = db.get_str(WIZARD, *wizard, "reason");
    let journal = db.get(WIZARD, *wizard, "journal_id");
    let mut made = Vec::new();
    for mv in ids(&db.get(WIZARD, *wizard, "move_ids")) {
        let name = db.get_str(MOVE, mv, "name");
        let move_type = db.get_str(MOVE, mv, "move_type");
        let reference =
            if reason.is_empty() { format!("Reversal of: {name}") } else { format!("Reversal of: {name}, {reason}") };
        let defaults = Map::from_iter([
            ("ref".to_owned(), json!(reference)),
            ("date".to_owned(), json!(date)),
            ("invoice_date_due".to_owned(), json!(date)),
            ("invoice_date".to_owned(), if account_move::is_invoice(&move_type) { json!(date) } else { json!(false) }),
            ("journal_id".to_owned(), journal.clone()),
            ("invoice_payment_term_id".to_owned(), json!(false)),
            ("auto_post".to_owned(), json!(if date > today() { "at_date" } else { "no" })),
            ("move_type".to_owned(), json!(account_move::reverse_type(&move_type))),
            ("reversed_entry_id".to_owned(), json!(mv)),
        ]);
        let cancel = date <= today() && (modify || move_type == "entry");
        let reversal = copy_invoice(db, env, mv, defaults)?;
        if cancel {
            account_move::unreconcile(db, mv);
            account_move::post(db, &[reversal])?;
        }
        if modify {
            let again = Map::from_iter([("date".to_owned(), json!(date)), ("invoice_date".to_owned(), json!(false))]);
            made.push(copy_invoice(db, env, mv, again)?);
        } else {
            made.push(reversal);
        }
    }
    db.set(WIZARD, *wizard, "new_move_ids", json!(made));
    let mut action = json!({"name": "Reverse Moves", "type": "ir.actions.act_window", "res_model": MOVE});
    match made.as_slice() {
        [one] => {
            action["view_mode"] = json!("form");
            action["res_id"] = json!(one);
            action["context"] = json!({"default_move_type": db.get(MOVE, *one, "move_type")});
        }
        many => {
            action["view_mode"] = json!("list,form");
            action["domain"] = json!([["id", "in", many]]);
            let types: Vec<String> = many.iter().map(|m| db.get_str(MOVE, *m, "move_type")).collect();
            if let Some(first) = types.first()
                && types.iter().all(|t| t == first)
            {
                action["context"] = json!({"default_move_type": first});
            }
        }
    }
    Ok(Outcome::Value(action))
}

/// A draft copy of an entry with its product, section and note lines, overridden by `defaults`.
fn copy_invoice(db: &mut Database, env: &Env, mv: i64, defaults: Map<String, Value>) -> SimResult<i64> {
    let mut values = Map::new();
    for field in [
        "move_type",
        "partner_id",
        "partner_shipping_id",
        "currency_id",
        "invoice_origin",
        "ref",
        "narration",
        "fiscal_position_id",
        "journal_id",
        "invoice_payment_term_id",
    ] {
        values.insert(field.to_owned(), db.get(MOVE, mv, field));
    }
    // `sale` and `purchase` link items to order lines when they are installed.
    let line_fields: Vec<&str> = db.model(LINE)?.fields.keys().copied().collect();
    let lines: Vec<Value> = account_move::lines_of(db, mv)
        .into_iter()
        .filter(|l| matches!(db.get_str(LINE, *l, "display_type").as_str(), "product" | "line_section" | "line_note"))
        .map(|l| {
            let mut line = Map::new();
            for field in COPIED_LINE_FIELDS.into_iter().filter(|f| line_fields.contains(f)) {
                let value = db.get(LINE, l, field);
                let value = match field {
                    "tax_ids" | "sale_line_ids" => json!([[6, 0, ids(&value)]]),
                    _ => value,
                };
                line.insert(field.to_owned(), value);
            }
            json!([0, 0, line])
        })
        .collect();
    values.insert("invoice_line_ids".to_owned(), json!(lines));
    values.extend(defaults);
    values.retain(|field, value| {
        !(value == &Value::Bool(false) && field != "invoice_date" && field != "invoice_payment_term_id")
    });
    db.create(MOVE, &values, env)
}
