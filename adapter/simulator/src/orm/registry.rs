//! The registry, as Odoo's `odoo/modules/registry.py` builds it: every model the installed modules
//! define, with the fields those modules add, for one Odoo version. Models plug their behaviour in
//! through the `Model` trait; the ORM calls it and knows no model by name.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{
    Database, Env, OdooVersion,
    fields::{FieldDef, FieldType, Fields},
    methods::{Outcome, Signature},
};
use crate::error::{SimError, SimResult};

/// A method a model adds to the ORM's (`action_confirm`, `button_validate`, ...).
pub(crate) struct Method {
    pub(crate) name: &'static str,
    pub(crate) signature: Signature,
    /// Odoo checks that the records exist and that the caller may write them first.
    pub(crate) on_records: bool,
    pub(crate) run: fn(&mut Database, &Env, &Args<'_>) -> SimResult<Outcome>,
}

/// What a model method is called on and with.
pub(crate) struct Args<'a> {
    pub(crate) model: &'a str,
    /// Empty for model-level methods.
    pub(crate) ids: &'a [i64],
    pub(crate) params: &'a Map<String, Value>,
}

/// Where a model lives in Odoo and how its records are sorted and shown.
pub(crate) struct Info {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    /// The module defining the model (Odoo's `_name` in that module).
    pub(crate) module: &'static str,
    /// Default `order` of searches (Odoo's `_order`).
    pub(crate) order: &'static str,
    /// The many2one that forms the hierarchy `child_of` walks (Odoo's `_parent_name`).
    pub(crate) parent_field: Option<&'static str>,
    /// Readable by a user without business groups.
    pub(crate) public_read: bool,
}

impl Info {
    /// A model only users with business rights may read, without a hierarchy.
    pub(crate) const fn new(
        name: &'static str,
        description: &'static str,
        module: &'static str,
        order: &'static str,
    ) -> Self {
        Self { name, description, module, order, parent_field: None, public_read: false }
    }

    /// Readable by every user (master data).
    pub(crate) const fn public(mut self) -> Self {
        self.public_read = true;
        self
    }

    /// Records form a tree along this many2one.
    pub(crate) const fn parent(mut self, field: &'static str) -> Self {
        self.parent_field = Some(field);
        self
    }
}

/// One Odoo model: its fields per version, and what it adds to the generic ORM.
pub(crate) trait Model: Sync {
    fn info(&self, version: OdooVersion) -> Info;

    /// Whether the model exists in this version (`uom.category` is gone in 19, say).
    fn exists_in(&self, _version: OdooVersion) -> bool {
        true
    }

    /// The fields of the model in this version, each tagged with the module adding it.
    fn fields(&self, version: OdooVersion, f: &mut Fields);

    /// The value of a computed field; `None` for fields the model does not compute.
    fn compute(&self, _db: &Database, _env: &Env, _id: i64, _field: &str) -> Option<Value> {
        None
    }

    /// Odoo's `display_name`; `None` falls back to the `name` field.
    fn display_name(&self, _db: &Database, _env: &Env, _id: i64) -> Option<String> {
        None
    }

    /// Whether a create leaving this required field out gets a value from the model itself.
    fn fills_required(&self, _field: &str) -> bool {
        false
    }

    /// Replaces the ORM's create for these values (`Some`), or lets it run (`None`).
    fn create_instead(&self, _db: &mut Database, _env: &Env, _vals: &Map<String, Value>) -> Option<SimResult<i64>> {
        None
    }

    fn before_create(&self, _db: &Database, _env: &Env, _vals: &Map<String, Value>) -> SimResult<()> {
        Ok(())
    }

    /// Fills what Odoo computes from a new record's own values (its precomputed fields), once the
    /// row and its scalar values exist and before its x2many values are applied.
    fn complete(&self, _db: &mut Database, _env: &Env, _id: i64) -> SimResult<()> {
        Ok(())
    }

    /// Runs once the new record is complete, x2many values included.
    fn after_create(&self, _db: &mut Database, _env: &Env, _id: i64) -> SimResult<()> {
        Ok(())
    }

    fn before_write(&self, _db: &Database, _env: &Env, _ids: &[i64], _vals: &Map<String, Value>) -> SimResult<()> {
        Ok(())
    }

    fn after_write(&self, _db: &mut Database, _env: &Env, _ids: &[i64], _vals: &Map<String, Value>) -> SimResult<()> {
        Ok(())
    }

    fn before_unlink(&self, _db: &Database, _env: &Env, _ids: &[i64]) -> SimResult<()> {
        Ok(())
    }

    /// Deletes what goes with the records (`ondelete='cascade'` children).
    fn on_unlink(&self, _db: &mut Database, _ids: &[i64]) {}

    /// The name of `write`'s parameter: some models override `write(self, values)`.
    fn write_parameter(&self) -> &'static str {
        "vals"
    }

    /// The methods the model adds in this database's version and modules.
    fn methods(&self, _db: &Database) -> Vec<Method> {
        Vec::new()
    }
}

/// An Odoo module and the modules it depends on.
pub(crate) struct Module {
    pub(crate) name: &'static str,
    pub(crate) depends: &'static [&'static str],
}

/// One model as the registry serves it.
pub(crate) struct ModelDef {
    pub(crate) name: &'static str,
    pub(crate) description: &'static str,
    pub(crate) order: &'static str,
    pub(crate) parent_field: Option<&'static str>,
    pub(crate) public_read: bool,
    pub(crate) fields: BTreeMap<&'static str, FieldDef>,
    pub(crate) defaults: Vec<(&'static str, Value)>,
    pub(crate) behaviour: &'static dyn Model,
}

impl std::fmt::Debug for ModelDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModelDef").field("name", &self.name).finish_non_exhaustive()
    }
}

impl ModelDef {
    pub(crate) fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.get(name)
    }

    pub(crate) fn has_active(&self) -> bool {
        self.fields.contains_key("active")
    }
}

/// The models of one database: one Odoo version with some modules installed.
#[derive(Debug)]
pub(crate) struct Registry {
    pub(crate) version: OdooVersion,
    pub(crate) models: BTreeMap<&'static str, ModelDef>,
    installed: BTreeSet<&'static str>,
}

impl Registry {
    /// Builds the registry from every model and module the simulator knows, leaving out the
    /// modules named in `missing` and every module that depends on one of them.
    pub(crate) fn build(
        version: OdooVersion,
        models: &[&'static dyn Model],
        modules: &[Module],
        missing: &[String],
    ) -> Self {
        let mut installed: BTreeSet<&'static str> = modules.iter().map(|m| m.name).collect();
        installed.retain(|m| !missing.iter().any(|x| x == m));
        // A module whose dependency is gone cannot be installed either; repeat until stable.
        loop {
            let before = installed.len();
            let gone: Vec<&str> = modules
                .iter()
                .filter(|m| installed.contains(m.name) && m.depends.iter().any(|d| !installed.contains(d)))
                .map(|m| m.name)
                .collect();
            installed.retain(|m| !gone.contains(m));
            if installed.len() == before {
                break;
            }
        }
        let mut defs = BTreeMap::new();
        for model in models {
            let info = model.info(version);
            if !installed.contains(info.module) || !model.exists_in(version) {
                continue;
            }
            let mut fields = Fields::new(info.module);
            // The fields every model has (Odoo's magic columns and `display_name`).
            fields
                .stored_computed("id", FieldType::Integer, "ID")
                .computed("display_name", FieldType::Char, "Display Name")
                .stored("create_date", FieldType::Datetime, "Created on")
                .stored("write_date", FieldType::Datetime, "Last Updated on");
            model.fields(version, &mut fields);
            let Fields { fields, defaults, .. } = fields;
            let fields: BTreeMap<&'static str, FieldDef> =
                fields.into_iter().filter(|f| installed.contains(f.module)).map(|f| (f.name, f)).collect();
            let defaults = defaults.into_iter().filter(|(name, _)| fields.contains_key(name)).collect();
            defs.insert(
                info.name,
                ModelDef {
                    name: info.name,
                    description: info.description,
                    order: info.order,
                    parent_field: info.parent_field,
                    public_read: info.public_read,
                    fields,
                    defaults,
                    behaviour: *model,
                },
            );
        }
        Self { version, models: defs, installed }
    }

    pub(crate) fn model(&self, name: &str) -> SimResult<&ModelDef> {
        self.models.get(name).ok_or_else(|| SimError::UnknownModel(name.to_owned()))
    }

    /// Whether an Odoo module is installed in this database.
    pub(crate) fn installed(&self, module: &str) -> bool {
        self.installed.contains(module)
    }
}
