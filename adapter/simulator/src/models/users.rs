//! `res.users` and `res.groups` (module `base`): users carry the simulator's own credentials and
//! business rights beside Odoo's fields.

use serde_json::{Value, json};

use crate::{
    error::SimResult,
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, Options},
        methods::{Outcome, sig},
        registry::{Args, Info, Method, Model},
    },
};

/// The languages installed in the simulated database.
const LANGUAGES: &[(&str, &str)] = &[("en_US", "English (US)"), ("fr_FR", "French / Français")];

/// The user's groups: `groups_id` in 18, `group_ids` in 19.
pub(crate) fn groups_field(version: OdooVersion) -> &'static str {
    match version {
        OdooVersion::V18 => "groups_id",
        OdooVersion::V19 => "group_ids",
    }
}

pub(crate) struct Users;

impl Model for Users {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("res.users", "User", "base", "name, login").public()
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        // `name`, `lang` and `tz` live on the user's partner in Odoo; the simulator keeps them here.
        f.related("name", Char, "Name")
            .stored("login", Char, "Login")
            .required("login")
            .related("password", Char, "Password")
            .stored("partner_id", Many2one("res.partner"), "Related Partner")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("company_ids", Many2many("res.company"), "Companies")
            .stored(groups_field(version), Many2many("res.groups"), "Groups")
            .related("lang", Selection(Options::Fixed(LANGUAGES)), "Language")
            .related("tz", Selection(Options::TimeZones), "Timezone")
            .stored("share", Boolean, "Share User")
            .stored("active", Boolean, "Active");
    }

    /// Odoo never stores or returns a password in clear; a user created without groups gets no
    /// business rights (the recordings provoke `AccessError` with such a user).
    fn after_create(&self, db: &mut Database, _env: &Env, id: i64) -> SimResult<()> {
        let groups = groups_field(db.version);
        let Some(row) = db.tables.get_mut("res.users").and_then(|t| t.rows.get_mut(&id)) else {
            return Ok(());
        };
        if let Some(password) = row.remove("password") {
            row.insert("__password".into(), password);
        }
        let has_groups = row.get(groups).and_then(Value::as_array).is_some_and(|g| !g.is_empty());
        row.insert("__rights".into(), json!(has_groups));
        Ok(())
    }

    fn methods(&self, _db: &Database) -> Vec<Method> {
        vec![Method {
            name: "context_get",
            signature: sig(true, &[], 0, false, true),
            on_records: false,
            run: context_get,
        }]
    }
}

/// `res.users.context_get()`: the caller's language, time zone and uid.
fn context_get(db: &mut Database, env: &Env, _args: &Args<'_>) -> SimResult<Outcome> {
    let row = db.row("res.users", env.uid);
    let text = |k: &str, d: &str| row.and_then(|r| r.get(k)).and_then(Value::as_str).unwrap_or(d).to_owned();
    Ok(Outcome::Value(json!({"lang": text("lang", "en_US"), "tz": text("tz", "Europe/Brussels"), "uid": env.uid})))
}

pub(crate) struct Groups;

impl Model for Groups {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("res.groups", "Access Groups", "base", "name").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Name").translated("name");
    }
}
