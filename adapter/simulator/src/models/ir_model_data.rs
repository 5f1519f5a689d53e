//! External ids (`ir.model.data`, module `base`): unique per (module, name), as `load` relies on.

use serde_json::{Map, Value, json};

use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields},
        registry::{Info, Model},
    },
};

pub(crate) struct IrModelData;

impl Model for IrModelData {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("ir.model.data", "Model Data", "base", "module, model, name")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("module", Char, "Module")
            .stored("name", Char, "External Identifier")
            .computed("complete_name", Char, "Complete ID")
            .stored("model", Char, "Model Name")
            .stored("res_id", Many2oneReference, "Record ID")
            .stored("noupdate", Boolean, "Non Updatable")
            .required("module")
            .required("name")
            .required("model");
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        (field == "complete_name").then(|| {
            json!(format!("{}.{}", db.get_str("ir.model.data", id, "module"), db.get_str("ir.model.data", id, "name")))
        })
    }

    /// PostgreSQL's unique index on (module, name) refuses a second external id of the same name.
    fn before_create(&self, db: &Database, _env: &Env, vals: &Map<String, Value>) -> SimResult<()> {
        let text = |k: &str| vals.get(k).and_then(Value::as_str).unwrap_or_default();
        let (module, name) = (text("module"), text("name"));
        let taken = db.table("ir.model.data").rows.values().any(|r| {
            r.get("module").and_then(Value::as_str) == Some(module)
                && r.get("name").and_then(Value::as_str) == Some(name)
        });
        if taken {
            return Err(SimError::validation(format!(
                "The operation cannot be completed: duplicate key value violates unique constraint \"ir_model_data_module_name_uniq_index\"\nDETAIL:  Key (module, name)=({module}, {name}) already exists.\n"
            )));
        }
        Ok(())
    }
}
