//! `ir.model` and `ir.model.fields` (module `base`): the registry's models and fields as records,
//! which automation rules point at. Their ids are seeded from the registry (`seed_models`).

use serde_json::json;

use crate::orm::{
    Database, OdooVersion,
    fields::{FieldType::*, Fields},
    registry::{Info, Model},
};

pub(crate) struct IrModel;

impl Model for IrModel {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("ir.model", "Models", "base", "model")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("model", Char, "Model").stored("name", Char, "Model Description").required("model");
    }
}

pub(crate) struct IrModelFields;

impl Model for IrModelFields {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("ir.model.fields", "Fields", "base", "name")
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Field Name")
            .stored("model", Char, "Model Name")
            .stored("model_id", Many2one("ir.model"), "Model")
            .stored("field_description", Char, "Field Label")
            .required("name");
    }
}

/// The registry's models and fields as `ir.model` and `ir.model.fields` records. The ids the
/// recordings name (`stock.quant` and the fields its webhook rule uses) are kept.
pub(crate) fn seed_models(db: &mut Database) {
    const QUANT_MODEL: i64 = 523;
    const QUANT_FIELDS: [(&str, i64); 6] = [
        ("product_id", 6504),
        ("location_id", 6509),
        ("lot_id", 6513),
        ("quantity", 6518),
        ("reserved_quantity", 6519),
        ("write_date", 6538),
    ];
    let registry = std::sync::Arc::clone(&db.registry);
    let (mut next_model, mut next_field) = (600, 20_000);
    for (name, def) in &registry.models {
        let model_id = if *name == "stock.quant" {
            QUANT_MODEL
        } else {
            next_model += 1;
            next_model
        };
        let row = crate::orm::row(&[("model", json!(name)), ("name", json!(def.description))]);
        db.insert_raw("ir.model", model_id, row);
        for field in def.fields.values() {
            let known =
                QUANT_FIELDS.iter().find(|(f, _)| *name == "stock.quant" && *f == field.name).map(|(_, id)| *id);
            let field_id = known.unwrap_or_else(|| {
                next_field += 1;
                next_field
            });
            let row = crate::orm::row(&[
                ("name", json!(field.name)),
                ("model", json!(name)),
                ("model_id", json!(model_id)),
                ("field_description", json!(field.string)),
            ]);
            db.insert_raw("ir.model.fields", field_id, row);
        }
    }
}
