//! Products (module `product`, extended by `account`, `sale` and `stock`): variants with their
//! template's fields kept on the variant, categories, price lists, and the stock quantities `stock`
//! computes on products.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::{round2, uom};
use crate::orm::{
    Database, Env, OdooVersion, domain,
    fields::{FieldType::*, Fields, selection},
    registry::{Info, Model},
};

const PRODUCT_TYPE: &[(&str, &str)] = &[("consu", "Goods"), ("service", "Service"), ("combo", "Combo")];
/// How a product's units are told apart (`tracking`, module `stock`).
pub(crate) const TRACKING: &[(&str, &str)] =
    &[("serial", "By Unique Serial Number"), ("lot", "By Lots"), ("none", "By Quantity")];
const INVOICE_POLICY: &[(&str, &str)] = &[("order", "Ordered quantities"), ("delivery", "Delivered quantities")];
/// How bills are controlled (`purchase_method`): on ordered or on received quantities.
const PURCHASE_METHOD: &[(&str, &str)] =
    &[("purchase", "On ordered quantities"), ("receive", "On received quantities")];
const APPLIED_ON: &[(&str, &str)] = &[
    ("3_global", "All Products"),
    ("2_product_category", "Product Category"),
    ("1_product", "Product"),
    ("0_product_variant", "Product Variant"),
];
const COMPUTE_PRICE: &[(&str, &str)] = &[("fixed", "Fixed Price"), ("percentage", "Discount"), ("formula", "Formula")];

/// Moves in these states are still to happen and count as incoming or outgoing.
const PENDING_MOVE_STATES: [&str; 4] = ["waiting", "confirmed", "partially_available", "assigned"];

pub(crate) struct Product;

impl Model for Product {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("product.product", "Product Variant", "product", "default_code, name, id").public()
    }

    fn fields(&self, version: OdooVersion, f: &mut Fields) {
        // Most fields live on `product.template` in Odoo (not stored on the variant) but are written
        // through it; the simulator keeps them on the variant.
        f.related("name", Char, "Name")
            .translated("name")
            .required("name")
            .stored("default_code", Char, "Internal Reference")
            .stored("barcode", Char, "Barcode")
            .related("list_price", Float, "Sales Price")
            .stored("standard_price", Float, "Cost")
            .related("uom_id", Many2one("uom.uom"), "Unit")
            .related("categ_id", Many2one("product.category"), "Product Category")
            .related("type", selection(PRODUCT_TYPE), "Product Type")
            .related("sale_ok", Boolean, "Can be Sold")
            .related("purchase_ok", Boolean, "Can be Purchased")
            .stored("weight", Float, "Weight")
            .related("company_id", Many2one("res.company"), "Company")
            .stored("active", Boolean, "Active")
            .default("uom_id", json!(1))
            .default("categ_id", json!(1))
            .default("type", json!("consu"))
            .default("sale_ok", json!(true))
            .default("purchase_ok", json!(true))
            .default("list_price", json!(1.0));
        match version {
            OdooVersion::V18 => {
                f.related("uom_po_id", Many2one("uom.uom"), "Purchase Unit").default("uom_po_id", json!(1));
            }
            // Packagings: further units the product is sold or bought in.
            OdooVersion::V19 => {
                f.related("uom_ids", Many2many("uom.uom"), "Packagings");
            }
        }
        f.addon("account").related("taxes_id", Many2many("account.tax"), "Sales Taxes").related(
            "supplier_taxes_id",
            Many2many("account.tax"),
            "Purchase Taxes",
        );
        f.addon("sale")
            .related("invoice_policy", selection(INVOICE_POLICY), "Invoicing Policy")
            .default("invoice_policy", json!("order"));
        f.addon("purchase")
            .related("purchase_method", selection(PURCHASE_METHOD), "Control Policy")
            .default("purchase_method", json!("receive"));
        f.addon("stock")
            .related("is_storable", Boolean, "Track Inventory")
            .default("is_storable", json!(false))
            .related("tracking", selection(TRACKING), "Tracking")
            .default("tracking", json!("none"))
            .computed("qty_available", Float, "Quantity On Hand")
            .computed("virtual_available", Float, "Forecasted Quantity")
            .computed("free_qty", Float, "Free To Use Quantity ")
            .computed("incoming_qty", Float, "Incoming")
            .computed("outgoing_qty", Float, "Outgoing");
    }

    fn compute(&self, db: &Database, env: &Env, id: i64, field: &str) -> Option<Value> {
        let q = quantities(db, id, env);
        let value = match field {
            "qty_available" => q.on_hand,
            "free_qty" => q.free,
            "incoming_qty" => q.incoming,
            "outgoing_qty" => q.outgoing,
            "virtual_available" => q.on_hand + q.incoming - q.outgoing,
            _ => return None,
        };
        let unit = db.get_i64("product.product", id, "uom_id").unwrap_or_default();
        Some(json!(uom::round(value, uom::rounding(db, unit), uom::Rounding::HalfUp)))
    }

    fn display_name(&self, db: &Database, env: &Env, id: i64) -> Option<String> {
        let row = db.row("product.product", id)?;
        let name = db.translated(row, "name", env);
        Some(match row.get("default_code").and_then(Value::as_str) {
            Some(code) if !code.is_empty() => format!("[{code}] {name}"),
            _ => name,
        })
    }

    fn write_parameter(&self) -> &'static str {
        "values"
    }
}

/// How a product is tracked: "none", "lot" or "serial".
pub(crate) fn tracking(db: &Database, product: i64) -> String {
    let tracking = db.get_str("product.product", product, "tracking");
    if tracking.is_empty() { "none".to_owned() } else { tracking }
}

/// Stock figures of one product within the context's scope.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Quantities {
    on_hand: f64,
    free: f64,
    incoming: f64,
    outgoing: f64,
}

/// Odoo's computed stock quantities on a product, scoped by the `warehouse_id`/`warehouse` and
/// `location` context keys as `_get_domain_locations` does. Pending moves count in the product's
/// unit (their `product_qty`).
fn quantities(db: &Database, product: i64, env: &Env) -> Quantities {
    let scope = scope_locations(db, env);
    let mut q = Quantities::default();
    for row in db.table("stock.quant").rows.values() {
        if row.get("product_id").and_then(Value::as_i64) != Some(product) {
            continue;
        }
        if !row.get("location_id").and_then(Value::as_i64).is_some_and(|l| scope.contains(&l)) {
            continue;
        }
        let quantity = row.get("quantity").and_then(Value::as_f64).unwrap_or_default();
        let reserved = row.get("reserved_quantity").and_then(Value::as_f64).unwrap_or_default();
        q.on_hand += quantity;
        q.free += quantity - reserved;
    }
    for mv in db.ids_where("stock.move", "product_id", product) {
        if !PENDING_MOVE_STATES.contains(&db.get_str("stock.move", mv, "state").as_str()) {
            continue;
        }
        let qty = super::stock_move::product_qty(db, mv);
        let src = db.get_i64("stock.move", mv, "location_id").is_some_and(|l| scope.contains(&l));
        let dst = db.get_i64("stock.move", mv, "location_dest_id").is_some_and(|l| scope.contains(&l));
        match (src, dst) {
            (false, true) => q.incoming += qty,
            (true, false) => q.outgoing += qty,
            _ => {}
        }
    }
    q
}

/// The internal locations the context points at: a warehouse means every internal location under
/// its view location, a location means it and its children, no context every warehouse's.
fn scope_locations(db: &Database, env: &Env) -> BTreeSet<i64> {
    let roots: Vec<i64> = if let Some(loc) = env.context.get("location").filter(|v| !domain::is_empty(v)) {
        resolve(db, "stock.location", loc, env)
    } else if let Some(wh) =
        ["warehouse_id", "warehouse"].iter().find_map(|k| env.context.get(*k).filter(|v| !domain::is_empty(v)))
    {
        resolve(db, "stock.warehouse", wh, env)
            .into_iter()
            .filter_map(|w| db.get_i64("stock.warehouse", w, "view_location_id"))
            .collect()
    } else {
        db.table("stock.warehouse").rows.values().filter_map(|w| w.get("view_location_id")?.as_i64()).collect()
    };
    db.descendants("stock.location", &roots)
        .into_iter()
        .filter(|l| db.get_str("stock.location", *l, "usage") == "internal")
        .collect()
}

/// Ids from a context value that may be an id, a list of ids, or a name to match.
fn resolve(db: &Database, model: &str, value: &Value, env: &Env) -> Vec<i64> {
    match value {
        Value::Number(n) => n.as_i64().into_iter().collect(),
        Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
        Value::String(name) => db
            .table(model)
            .rows
            .keys()
            .copied()
            .filter(|id| domain::like(&db.display_name(model, *id, env), &format!("%{name}%"), true))
            .collect(),
        _ => Vec::new(),
    }
}

/// The price of a product under a price list: a percentage or fixed rule, else the list price.
/// The sales price is in the company's currency; a price list in another currency converts it.
pub(crate) fn pricelist_price(db: &Database, pricelist: Option<i64>, product: i64) -> f64 {
    let base = db.get_f64("product.product", product, "list_price");
    let Some(pricelist) = pricelist else { return base };
    let currency = db.get_i64("product.pricelist", pricelist, "currency_id");
    let company_currency = super::company::company_currency(db);
    let base = currency.map_or(base, |c| super::currency::convert(db, base, company_currency, c));
    let items = "product.pricelist.item";
    let rule = db.ids_where(items, "pricelist_id", pricelist).into_iter().find(|item| {
        match db.get_str(items, *item, "applied_on").as_str() {
            "0_product_variant" => db.get_i64(items, *item, "product_id") == Some(product),
            "3_global" => true,
            _ => false,
        }
    });
    match rule.map(|r| (db.get_str(items, r, "compute_price"), r)) {
        Some((kind, r)) if kind == "percentage" => round2(base * (1.0 - db.get_f64(items, r, "percent_price") / 100.0)),
        Some((kind, r)) if kind == "fixed" => db.get_f64(items, r, "fixed_price"),
        _ => base,
    }
}

pub(crate) struct Category;

impl Model for Category {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("product.category", "Product Category", "product", "complete_name").parent("parent_id").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Name").stored("complete_name", Char, "Complete Name").stored(
            "parent_id",
            Many2one("product.category"),
            "Parent Category",
        );
    }
}

pub(crate) struct Pricelist;

impl Model for Pricelist {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("product.pricelist", "Pricelist", "product", "sequence asc, id asc").public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("name", Char, "Pricelist Name")
            .stored("currency_id", Many2one("res.currency"), "Currency")
            .stored("company_id", Many2one("res.company"), "Company")
            .stored("sequence", Integer, "Sequence")
            .stored("item_ids", One2many("product.pricelist.item", "pricelist_id"), "Pricelist Rules")
            .stored("active", Boolean, "Active");
    }
}

pub(crate) struct PricelistItem;

impl Model for PricelistItem {
    fn info(&self, _version: OdooVersion) -> Info {
        Info::new("product.pricelist.item", "Pricelist Rule", "product", "applied_on, min_quantity desc, id desc")
            .public()
    }

    fn fields(&self, _version: OdooVersion, f: &mut Fields) {
        f.stored("pricelist_id", Many2one("product.pricelist"), "Pricelist")
            .stored("applied_on", selection(APPLIED_ON), "Apply On")
            .stored("product_id", Many2one("product.product"), "Product Variant")
            .stored("min_quantity", Float, "Min. Quantity")
            .stored("compute_price", selection(COMPUTE_PRICE), "Computation")
            .stored("fixed_price", Float, "Fixed Price")
            .stored("percent_price", Float, "Percentage Price");
    }
}
