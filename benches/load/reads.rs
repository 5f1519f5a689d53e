//! The Odoo reads odoo-mesh's adapter makes for a request, made directly by a `Direct` client:
//! the same models, methods, domains, fields, options and contexts (`adapter/src/inventory.rs`,
//! `adapter/src/orders.rs` and the `odoo/` model modules), so that a bench compares odoo-mesh with
//! exactly the Odoo work it does. Field names are this server's, as the adapter's schema resolves
//! them per version.

use futures::future::join_all;
use serde_json::{Map, Value, json};

use super::jsonrpc::Direct;

/// `product::FIELDS`: what a product is read with.
const PRODUCT_FIELDS: [&str; 11] = [
    "default_code",
    "name",
    "display_name",
    "barcode",
    "uom_id",
    "list_price",
    "is_storable",
    "sale_ok",
    "purchase_ok",
    "active",
    "write_date",
];
/// `warehouse::FIELDS`.
const WAREHOUSE_FIELDS: [&str; 5] = ["name", "code", "company_id", "lot_stock_id", "in_type_id"];
/// `product::STOCK_FIELDS`: a product's quantities in the context's warehouse.
const STOCK_FIELDS: [&str; 8] = [
    "default_code",
    "display_name",
    "uom_id",
    "qty_available",
    "free_qty",
    "incoming_qty",
    "outgoing_qty",
    "virtual_available",
];
/// `sale_order::FIELDS`.
const ORDER_FIELDS: [&str; 21] = [
    "name",
    "partner_id",
    "partner_invoice_id",
    "partner_shipping_id",
    "client_order_ref",
    "state",
    "delivery_status",
    "invoice_status",
    "order_line",
    "amount_untaxed",
    "amount_tax",
    "amount_total",
    "currency_id",
    "warehouse_id",
    "pricelist_id",
    "commitment_date",
    "picking_ids",
    "invoice_ids",
    "note",
    "create_date",
    "write_date",
];

/// `sale_order::LINE_FIELDS` on Odoo `major`: the line's unit is `product_uom` before 19.
fn line_fields(major: u8) -> [&'static str; 10] {
    let unit = if major >= 19 { "product_uom_id" } else { "product_uom" };
    [
        "product_id",
        "product_uom_qty",
        unit,
        "qty_delivered",
        "qty_invoiced",
        "price_unit",
        "discount",
        "price_subtotal",
        "display_type",
        "is_downpayment",
    ]
}

/// Named parameters from a JSON object.
fn params(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("parameters are an object, not {other}"),
    }
}

/// `GetProduct` by SKU (`Inventory::product_by_sku`): one `search_read` of products with that
/// SKU, two at most to tell an ambiguous SKU. The rows.
pub(crate) async fn product_by_sku(direct: &Direct, sku: &str) -> Vec<Value> {
    let query = json!({"domain": [["default_code", "=", sku]], "fields": PRODUCT_FIELDS, "limit": 2, "order": "id"});
    rows(direct.call("product.product", "search_read", None, params(query), Map::new()).await)
}

/// `GetStockLevels` read from Odoo (`max_staleness` zero; `Inventory::stock_levels` after
/// `warehouses`): every warehouse (not cached by odoo-mesh), then the SKUs' stock in each
/// warehouse, those reads at once. The rows of each warehouse.
pub(crate) async fn stock_levels(direct: &Direct, skus: &[String]) -> Vec<Vec<Value>> {
    let query = json!({"domain": [], "fields": WAREHOUSE_FIELDS, "order": "id"});
    let warehouses = rows(direct.call("stock.warehouse", "search_read", None, params(query), Map::new()).await);
    let reads = warehouses.iter().map(|warehouse| {
        let query = json!({"domain": [["default_code", "in", skus]], "fields": STOCK_FIELDS, "order": "id"});
        let context = params(json!({"warehouse_id": warehouse["id"]}));
        direct.call("product.product", "search_read", None, params(query), context)
    });
    join_all(reads).await.into_iter().map(rows).collect()
}

/// `GetSalesOrder` (`Orders::get`): the order, then its lines, then the SKUs of their products,
/// each a `read` (none for no ids, as the adapter skips it). The order's row and its lines'.
pub(crate) async fn sales_order(direct: &Direct, major: u8, id: i64) -> (Value, Vec<Value>) {
    let fields = params(json!({"fields": ORDER_FIELDS}));
    let order = rows(direct.call("sale.order", "read", Some(&[id]), fields, Map::new()).await).remove(0);
    let lines: Vec<i64> = order["order_line"].as_array().into_iter().flatten().filter_map(Value::as_i64).collect();
    if lines.is_empty() {
        return (order, Vec::new());
    }
    let fields = params(json!({"fields": line_fields(major)}));
    let lines = rows(direct.call("sale.order.line", "read", Some(&lines), fields, Map::new()).await);
    // A line without a product (a section, a note) has `false` there.
    let products: Vec<i64> = lines.iter().filter_map(|line| line["product_id"][0].as_i64()).collect();
    if !products.is_empty() {
        let fields = params(json!({"fields": ["default_code"]}));
        direct.call("product.product", "read", Some(&products), fields, Map::new()).await;
    }
    (order, lines)
}

fn rows(answer: Value) -> Vec<Value> {
    match answer {
        Value::Array(rows) => rows,
        other => panic!("odoo answered records, not {other}"),
    }
}
