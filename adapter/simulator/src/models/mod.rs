//! The Odoo models the simulator serves: one module per model (or small family of models), each
//! declaring its fields per version and the Odoo module adding each field, and its hooks, computed
//! fields and action methods. `MODELS` registers them all, as Odoo's registry does, and `MODULES`
//! says which Odoo module depends on which, so an uninstalled module takes its dependents along.

pub(crate) mod account;
pub(crate) mod account_move;
pub(crate) mod account_payment;
pub(crate) mod account_reversal;
pub(crate) mod account_tax;
pub(crate) mod automation;
pub(crate) mod company;
pub(crate) mod currency;
pub(crate) mod delivery;
pub(crate) mod ir_model;
pub(crate) mod ir_model_data;
pub(crate) mod location;
pub(crate) mod mail;
pub(crate) mod partner;
pub(crate) mod procurement;
pub(crate) mod product;
pub(crate) mod purchase_order;
pub(crate) mod sale_invoicing;
pub(crate) mod sale_order;
pub(crate) mod stock_backorder;
pub(crate) mod stock_lot;
pub(crate) mod stock_move;
pub(crate) mod stock_move_line;
pub(crate) mod stock_picking;
pub(crate) mod stock_quant;
pub(crate) mod stock_return;
pub(crate) mod stock_sms;
pub(crate) mod uom;
pub(crate) mod users;
pub(crate) mod warehouse;

/// The decimal places of Odoo's decimal precision settings in the demo data, which floats with
/// `digits` are rounded to when stored: "Product Unit of Measure" ("Product Unit" in 19),
/// "Product Price" and "Discount" are all 2 (read from a real Odoo 18).
pub(crate) const PRODUCT_UNIT_DIGITS: u32 = 2;
pub(crate) const PRODUCT_PRICE_DIGITS: u32 = 2;
pub(crate) const DISCOUNT_DIGITS: u32 = 2;

use serde_json::Value;

use crate::orm::registry::{Model, Module};

/// Every model the simulator knows; the registry keeps those of the installed modules.
pub(crate) static MODELS: &[&dyn Model] = &[
    &company::Company,
    &currency::Currency,
    &users::Users,
    &users::Groups,
    &partner::Partner,
    &partner::Country,
    &uom::UomCategory,
    &uom::Uom,
    &product::Category,
    &product::Product,
    &product::Pricelist,
    &product::PricelistItem,
    &account_tax::Tax,
    &account::PaymentTerm,
    &account::FiscalPosition,
    &account::Journal,
    &account::PaymentMethodLine,
    &account_move::Move,
    &account_move::MoveLine,
    &account_move::PartialReconcile,
    &account_payment::Payment,
    &account_payment::PaymentRegister,
    &account_reversal::MoveReversal,
    &warehouse::Warehouse,
    &warehouse::PickingType,
    &location::Location,
    &stock_quant::Quant,
    &stock_lot::Lot,
    &stock_quant::Package,
    &stock_quant::InventoryConflict,
    &stock_quant::TrackConfirmation,
    &stock_move::StockMove,
    &stock_move_line::StockMoveLine,
    &stock_picking::Picking,
    &stock_backorder::BackorderConfirmation,
    &stock_backorder::BackorderConfirmationLine,
    &stock_sms::ConfirmStockSms,
    &stock_return::ReturnPicking,
    &stock_return::ReturnPickingLine,
    &delivery::Carrier,
    &ir_model::IrModel,
    &ir_model::IrModelFields,
    &ir_model_data::IrModelData,
    &automation::ServerAction,
    &automation::Automation,
    &mail::Message,
    &mail::MessageSubtype,
    &sale_order::SaleOrder,
    &sale_order::SaleOrderLine,
    &sale_invoicing::AdvancePaymentInv,
    &purchase_order::PurchaseOrder,
    &purchase_order::PurchaseOrderLine,
];

/// The Odoo modules the simulator knows, with their dependencies (as their manifests declare
/// them, reduced to the modules simulated here).
pub(crate) static MODULES: &[Module] = &[
    Module { name: "base", depends: &[] },
    Module { name: "mail", depends: &["base"] },
    Module { name: "uom", depends: &["base"] },
    Module { name: "product", depends: &["mail", "uom"] },
    Module { name: "account", depends: &["product"] },
    Module { name: "stock", depends: &["product"] },
    Module { name: "stock_sms", depends: &["stock", "mail"] },
    Module { name: "sale", depends: &["account"] },
    Module { name: "purchase", depends: &["account"] },
    Module { name: "sale_stock", depends: &["sale", "stock"] },
    Module { name: "purchase_stock", depends: &["purchase", "stock"] },
    Module { name: "delivery", depends: &["sale"] },
    Module { name: "stock_delivery", depends: &["delivery", "stock"] },
    Module { name: "base_automation", depends: &["mail"] },
];

/// A quantity that rounds to nothing at the "Product Unit of Measure" precision.
pub(crate) fn is_zero_quantity(quantity: f64) -> bool {
    crate::orm::float::is_zero(quantity, 10f64.powi(-(PRODUCT_UNIT_DIGITS as i32)))
}

/// Odoo's rounding of monetary amounts to cents.
pub(crate) fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The ids in a stored x2many value.
pub(crate) fn ids(value: &Value) -> Vec<i64> {
    value.as_array().map(|a| a.iter().filter_map(Value::as_i64).collect()).unwrap_or_default()
}

/// Ids from a context value that may be one id or a list of them.
pub(crate) fn context_ids(value: Option<&Value>) -> Vec<i64> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_i64).collect(),
        Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
