//! Units of measure (module `uom`) and Odoo's conversion between them, which changed shape in 19.
//!
//! Odoo 18 groups units in `uom.category` records, each with one reference unit; a unit's `factor`
//! says how many of it make one reference unit (Dozens: 1/12), and converting divides by the source
//! factor and multiplies by the target's: `qty / from.factor * to.factor`, refused across categories.
//! Odoo 19 has no categories: each unit is `relative_factor` × `relative_uom_id`, forming trees,
//! and the stored `factor` is the unit's size in its tree's root unit (Dozens: 12, kg: 1000 with root
//! g), so converting is `qty * from.factor / to.factor` — and 19 no longer checks that both units
//! share a tree. `rounding` is a field per unit in 18, computed from the "Product Unit" decimal
//! precision (0.01) for every unit in 19.

use serde_json::{Value, json};

pub(crate) use crate::orm::float::{Rounding, round};
use crate::{
    error::{SimError, SimResult},
    orm::{
        Database, Env, OdooVersion,
        fields::{FieldType::*, Fields, selection},
        registry::{Info, Model},
    },
};

const UOM_TYPE: &[(&str, &str)] = &[
    ("bigger", "Bigger than the reference Unit of Measure"),
    ("reference", "Reference Unit of Measure for this category"),
    ("smaller", "Smaller than the reference Unit of Measure"),
];

/// Odoo 19's rounding of every unit: the "Product Unit" decimal precision (2 digits).
const PRODUCT_UNIT_ROUNDING: f64 = 0.01;

pub(crate) struct UomCategory;

impl Model for UomCategory {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("uom.category", "Product UoM Categories", "uom", "name").public()
    }

    fn exists_in(&self, version: OdooVersion) -> bool {
        version == OdooVersion::V18
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Unit of Measure Category").translated("name");
    }
}

pub(crate) struct Uom;

impl Model for Uom {
    fn info(&self, version: OdooVersion) -> Info {
        match version {
            OdooVersion::V18 => Info::new("uom.uom", "Product Unit of Measure", "uom", "factor DESC, id").public(),
            // Units form trees along their reference unit.
            OdooVersion::V19 => Info::new("uom.uom", "Product Unit of Measure", "uom", "sequence, relative_uom_id, id")
                .parent("relative_uom_id")
                .public(),
        }
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Unit of Measure")
            .translated("name")
            .required("name")
            .stored("active", Boolean, "Active");
        match version {
            OdooVersion::V18 => {
                f.stored("category_id", Many2one("uom.category"), "Category")
                    .stored("factor", Float, "Ratio")
                    .computed("factor_inv", Float, "Bigger Ratio")
                    .stored("rounding", Float, "Rounding Precision")
                    .stored("uom_type", selection(UOM_TYPE), "Type")
                    .default("factor", json!(1.0))
                    .default("rounding", json!(0.01))
                    .default("uom_type", json!("reference"));
            }
            OdooVersion::V19 => {
                f.stored("relative_factor", Float, "Contains")
                    .stored("relative_uom_id", Many2one("uom.uom"), "Reference Unit")
                    .stored("related_uom_ids", One2many("uom.uom", "relative_uom_id"), "Related UoMs")
                    .stored_computed("factor", Float, "Absolute Quantity")
                    .computed("rounding", Float, "Rounding Precision")
                    .stored("sequence", Integer, "Sequence")
                    .stored_computed("parent_path", Char, "Parent Path")
                    .default("relative_factor", json!(1.0));
            }
        }
    }

    fn compute(&self, db: &Database, _env: &Env, id: i64, field: &str) -> Option<Value> {
        Some(match field {
            "factor_inv" => {
                let factor = db.get_f64("uom.uom", id, "factor");
                json!(if factor == 0.0 { 0.0 } else { 1.0 / factor })
            }
            "factor" => json!(factor(db, id)),
            "rounding" => json!(PRODUCT_UNIT_ROUNDING),
            "parent_path" => {
                let mut chain = db.ancestors("uom.uom", "relative_uom_id", id);
                chain.reverse();
                json!(chain.iter().map(|u| format!("{u}/")).collect::<String>())
            }
            _ => return None,
        })
    }
}

/// A unit's `factor` as the version stores it.
fn factor(db: &Database, uom: i64) -> f64 {
    match db.version {
        OdooVersion::V18 => db.get_f64("uom.uom", uom, "factor"),
        // The size in the root unit of the tree: the product of the relative factors up to it.
        OdooVersion::V19 => db
            .ancestors("uom.uom", "relative_uom_id", uom)
            .iter()
            .map(|u| db.row("uom.uom", *u).and_then(|r| r.get("relative_factor")?.as_f64()).unwrap_or(1.0))
            .product(),
    }
}

/// A unit's rounding precision.
pub(crate) fn rounding(db: &Database, uom: i64) -> f64 {
    match db.version {
        OdooVersion::V18 => db.row("uom.uom", uom).and_then(|r| r.get("rounding")?.as_f64()).unwrap_or(0.01),
        OdooVersion::V19 => PRODUCT_UNIT_ROUNDING,
    }
}

/// `uom.uom._compute_quantity`: `qty` in unit `from` expressed in unit `to`, rounded to `to`'s
/// precision. Odoo 18 refuses units of different categories; Odoo 19 converts through the factors
/// whatever the trees.
pub(crate) fn convert(db: &Database, qty: f64, from: i64, to: i64, method: Rounding) -> SimResult<f64> {
    if qty == 0.0 || !db.exists("uom.uom", from) || !db.exists("uom.uom", to) {
        return Ok(qty);
    }
    let (amount, method) = if from == to {
        // Odoo 18 rounds a "conversion" to the same unit half-up whatever was asked.
        (qty, if db.version == OdooVersion::V18 { Rounding::HalfUp } else { method })
    } else {
        match db.version {
            OdooVersion::V18 => {
                let (from_category, to_category) =
                    (db.get_i64("uom.uom", from, "category_id"), db.get_i64("uom.uom", to, "category_id"));
                if from_category != to_category {
                    return Err(SimError::user(format!(
                        "The unit of measure {} defined on the order line doesn't belong to the same category as the unit of measure {} defined on the product. Please correct the unit of measure defined on the order line or on the product. They should belong to the same category.",
                        db.get_str("uom.uom", from, "name"),
                        db.get_str("uom.uom", to, "name")
                    )));
                }
                (qty / factor(db, from) * factor(db, to), method)
            }
            OdooVersion::V19 => (qty * factor(db, from) / factor(db, to), method),
        }
    };
    Ok(round(amount, rounding(db, to), method))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{Rounding, convert};
    use crate::{
        error::SimError,
        models::tests::{call, confirm_order_with, database_of, env},
        orm::OdooVersion,
    };

    #[test]
    fn odoo_18_converts_within_a_category_through_inverse_ratios() {
        let db = database_of(OdooVersion::V18, &[]);
        let (units, dozens, kg, g) = (1, 2, 3, 6);
        assert_eq!(convert(&db, 2.0, dozens, units, Rounding::HalfUp), Ok(24.0));
        assert_eq!(convert(&db, 30.0, units, dozens, Rounding::HalfUp), Ok(2.5));
        assert_eq!(convert(&db, 1.5, kg, g, Rounding::HalfUp), Ok(1500.0));
        let Err(SimError::Raise(refused)) = convert(&db, 1.0, kg, units, Rounding::HalfUp) else {
            panic!("kg and Units are in different categories")
        };
        assert_eq!(refused.name, "odoo.exceptions.UserError");
        assert!(refused.message.starts_with("The unit of measure kg defined on the order line doesn't belong to the same category as the unit of measure Units"));
    }

    #[test]
    fn odoo_19_converts_through_each_units_size_in_its_root_unit() {
        let db = database_of(OdooVersion::V19, &[]);
        let (units, dozens, g, kg, lb) = (1, 3, 15, 16, 19);
        assert_eq!(convert(&db, 2.0, dozens, units, Rounding::HalfUp), Ok(24.0));
        assert_eq!(convert(&db, 1.5, kg, g, Rounding::HalfUp), Ok(1500.0));
        assert_eq!(convert(&db, 1.0, lb, kg, Rounding::HalfUp), Ok(0.45), "453.592 g, at 19's 0.01 rounding");
        // Odoo 19 no longer refuses units of different trees: the factors decide.
        assert_eq!(convert(&db, 2.0, kg, units, Rounding::HalfUp), Ok(2000.0));
        let m = db.model("uom.uom").expect("uom.uom");
        let read = db
            .read(
                m,
                &[9, 19],
                Some(&["factor".to_owned(), "rounding".to_owned(), "relative_uom_id".to_owned()]),
                &env(),
            )
            .expect("read");
        assert_eq!(read[0]["factor"], json!(1000.0), "m is 100 cm of 10 mm");
        assert_eq!(read[0]["relative_uom_id"], json!([8, "cm"]), "an active unit under an inactive one");
        assert_eq!(read[1]["rounding"], json!(0.01));
        let count = |active_test: bool| {
            let mut env = env();
            env.context.insert("active_test".into(), json!(active_test));
            db.search(m, &json!([]), 0, None, None, &env).expect("search").len()
        };
        assert_eq!((count(true), count(false)), (20, 30));
    }

    #[test]
    fn an_order_line_in_another_unit_moves_the_products_unit() {
        for (version, dozens) in [(OdooVersion::V18, 2), (OdooVersion::V19, 3)] {
            let mut db = database_of(version, &[]);
            let unit = crate::models::procurement::uom_field(version);
            let line = json!({"product_id": 12, "product_uom_qty": 2, unit: dozens});
            let order = call(
                &mut db,
                &env(),
                "sale.order",
                "create",
                &[],
                &json!({"vals_list": [{"partner_id": 9, "order_line": [[0, 0, line]]}]}),
            )
            .expect("create");
            let order = order[0].as_i64().expect("order id");
            call(&mut db, &env(), "sale.order", "action_confirm", &[order], &json!({})).expect("confirm");
            let line = db.ids_where("sale.order.line", "order_id", order)[0];
            let mv = db.ids_where("stock.move", "sale_line_id", line)[0];
            assert_eq!(db.get_i64("stock.move", mv, "product_uom"), Some(1), "{version:?}: the product's unit");
            assert_eq!(db.get_f64("stock.move", mv, "product_uom_qty"), 24.0);
            assert_eq!(db.get_str("stock.move", mv, "state"), "assigned", "45 desks in WH/Stock, reserved in Units");
            let picking = db.get_i64("stock.move", mv, "picking_id").expect("delivery");
            call(&mut db, &env(), "stock.picking", "button_validate", &[picking], &json!({})).expect("validate");
            let delivered =
                call(&mut db, &env(), "sale.order.line", "read", &[line], &json!({"fields": ["qty_delivered"]}))
                    .expect("read");
            assert_eq!(delivered[0]["qty_delivered"], json!(2.0), "{version:?}: back in the line's dozens");
        }
    }

    #[test]
    fn odoo_18_refuses_to_confirm_a_line_in_a_unit_of_another_category() {
        let mut db = database_of(OdooVersion::V18, &[]);
        // A line in kg is accepted on a quotation; confirming it is not.
        let refused = confirm_order_with(&mut db, &json!({"product_id": 20, "product_uom_qty": 2, "product_uom": 3}));
        assert!(matches!(refused, Err(SimError::Raise(ref r)) if r.name == "odoo.exceptions.UserError"), "{refused:?}");
    }
}
