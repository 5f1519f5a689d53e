//! What odoo-mesh reads from Odoo, as plain Rust types: no JSON, no protobuf.

use rust_decimal::Decimal;
use time::OffsetDateTime;

/// A reference to another record: its id and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub id: i64,
    pub name: String,
}

/// A unit of measure and the precision quantities in it are rounded to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uom {
    pub id: i64,
    pub name: String,
    pub rounding: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warehouse {
    pub id: i64,
    pub name: String,
    pub code: String,
    pub company: Option<Ref>,
    pub stock_location: Option<Ref>,
}

impl Warehouse {
    pub fn as_ref(&self) -> Ref {
        Ref { id: self.id, name: self.name.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub id: i64,
    pub complete_name: String,
    pub warehouse: Option<Ref>,
    pub parent: Option<Ref>,
}

/// An amount in a currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount {
    pub value: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub id: i64,
    pub sku: Option<String>,
    pub name: String,
    pub display_name: String,
    pub barcode: Option<String>,
    pub uom: Ref,
    pub list_price: Amount,
    pub is_storable: bool,
    pub sale_ok: bool,
    pub purchase_ok: bool,
    pub active: bool,
    pub updated_at: Option<OffsetDateTime>,
}

/// Stock figures of one product in one warehouse, rounded to the product's unit of measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockFigures {
    pub on_hand: Decimal,
    pub reserved: Decimal,
    pub available: Decimal,
    pub incoming: Decimal,
    pub outgoing: Decimal,
    pub forecast: Decimal,
}

/// The stock of one SKU across the warehouses asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkuStock {
    Found {
        product: Ref,
        uom: Ref,
        levels: Vec<(Ref, StockFigures)>,
    },
    NotFound,
    /// Several active products carry this SKU; Odoo does not enforce uniqueness.
    Ambiguous {
        product_ids: Vec<i64>,
    },
}

/// Filters and position of one page of products.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// Only products with an id above this (keyset paging: stable while products are created).
    pub after_id: i64,
    pub limit: usize,
    pub sku_prefix: Option<String>,
    pub updated_since: Option<OffsetDateTime>,
    pub include_archived: bool,
}

/// One page of products, and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductPage {
    pub products: Vec<Product>,
    pub more: bool,
}

/// The outcome of looking a product up by SKU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductLookup {
    Found(Box<Product>),
    NotFound,
    Ambiguous(Vec<i64>),
}
