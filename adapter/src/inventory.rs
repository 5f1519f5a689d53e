//! Inventory reads: warehouses, locations, products and per-warehouse stock, each in as few Odoo
//! round trips as the data allows (one per warehouse for a batch of up to 1,000 SKUs).

use std::{collections::HashMap, sync::Arc};

use futures::future::try_join_all;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use tokio::sync::{OnceCell, RwLock};

use crate::{
    OdooClient, OdooError, SearchOptions,
    batch::StockBatcher,
    fields::{self, Record},
    models::{
        Amount, Location, Product, ProductLevel, ProductLookup, ProductPage, ProductQuery, Ref, SkuStock, StockFigures,
        Warehouse,
    },
};

const PRODUCT_FIELDS: &[&str] = &[
    "id",
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
const STOCK_FIELDS: &[&str] = &[
    "id",
    "default_code",
    "display_name",
    "uom_id",
    "qty_available",
    "free_qty",
    "incoming_qty",
    "outgoing_qty",
    "virtual_available",
];

/// Inventory queries over one Odoo client, with the few lookups that never change cached.
#[derive(Debug)]
pub struct Inventory {
    odoo: Arc<OdooClient>,
    currency: OnceCell<String>,
    uom_rounding: RwLock<HashMap<i64, Decimal>>,
    batcher: StockBatcher,
}

impl Inventory {
    pub fn new(odoo: Arc<OdooClient>) -> Self {
        Self {
            odoo,
            currency: OnceCell::new(),
            uom_rounding: RwLock::new(HashMap::new()),
            batcher: StockBatcher::default(),
        }
    }

    pub async fn warehouses(&self) -> Result<Vec<Warehouse>, OdooError> {
        let options = SearchOptions::ordered("id");
        let rows = self
            .odoo
            .search_read(
                "stock.warehouse",
                json!([]),
                &["id", "name", "code", "company_id", "lot_stock_id"],
                &options,
                Map::new(),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Warehouse {
                    id: fields::id(r)?,
                    name: fields::text(r, "name").unwrap_or_default(),
                    code: fields::text(r, "code").unwrap_or_default(),
                    company: fields::many2one(r, "company_id")?,
                    stock_location: fields::many2one(r, "lot_stock_id")?,
                })
            })
            .collect()
    }

    pub async fn locations(&self, warehouse: Option<i64>) -> Result<Vec<Location>, OdooError> {
        let mut domain = vec![json!(["usage", "=", "internal"])];
        if let Some(wh) = warehouse {
            domain.push(json!(["warehouse_id", "=", wh]));
        }
        let options = SearchOptions::ordered("id");
        let rows = self
            .odoo
            .search_read(
                "stock.location",
                Value::Array(domain),
                &["id", "complete_name", "location_id", "warehouse_id"],
                &options,
                Map::new(),
            )
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Location {
                    id: fields::id(r)?,
                    complete_name: fields::text(r, "complete_name").unwrap_or_default(),
                    warehouse: fields::many2one(r, "warehouse_id")?,
                    parent: fields::many2one(r, "location_id")?,
                })
            })
            .collect()
    }

    /// One page of products by ascending id.
    pub async fn products(&self, query: &ProductQuery) -> Result<ProductPage, OdooError> {
        let mut domain = vec![json!(["id", ">", query.after_id])];
        if let Some(prefix) = &query.sku_prefix {
            domain.push(json!(["default_code", "=like", format!("{}%", escape_like(prefix))]));
        }
        if let Some(since) = query.updated_since {
            domain.push(json!(["write_date", ">=", fields::odoo_datetime(since)]));
        }
        let mut context = Map::new();
        if query.include_archived {
            context.insert("active_test".into(), json!(false));
        }
        // One more than asked tells whether another page follows, without a count query.
        let options = SearchOptions::ordered("id asc").limit(query.limit + 1);
        let rows =
            self.odoo.search_read("product.product", Value::Array(domain), PRODUCT_FIELDS, &options, context).await?;
        let more = rows.len() > query.limit;
        let mut products = Vec::with_capacity(rows.len().min(query.limit));
        for row in rows.iter().take(query.limit) {
            products.push(self.product(row).await?);
        }
        Ok(ProductPage { products, more })
    }

    pub async fn product_by_sku(&self, sku: &str) -> Result<ProductLookup, OdooError> {
        let options = SearchOptions::ordered("id").limit(2);
        let rows = self
            .odoo
            .search_read("product.product", json!([["default_code", "=", sku]]), PRODUCT_FIELDS, &options, Map::new())
            .await?;
        match rows.as_slice() {
            [] => Ok(ProductLookup::NotFound),
            [row] => Ok(ProductLookup::Found(Box::new(self.product(row).await?))),
            _ => Ok(ProductLookup::Ambiguous(rows.iter().filter_map(|r| fields::id(r).ok()).collect())),
        }
    }

    pub async fn product_by_id(&self, id: i64) -> Result<Option<Product>, OdooError> {
        // `read` returns archived records too, and silently nothing for a missing id.
        let rows = self.odoo.read("product.product", vec![id], PRODUCT_FIELDS).await?;
        match rows.first() {
            Some(row) => Ok(Some(self.product(row).await?)),
            None => Ok(None),
        }
    }

    async fn product(&self, r: &Record) -> Result<Product, OdooError> {
        Ok(Product {
            id: fields::id(r)?,
            sku: fields::text(r, "default_code"),
            name: fields::text(r, "name").unwrap_or_default(),
            display_name: fields::text(r, "display_name").unwrap_or_default(),
            barcode: fields::text(r, "barcode"),
            uom: fields::many2one(r, "uom_id")?
                .ok_or_else(|| OdooError::Protocol { message: "product without unit of measure".into() })?,
            list_price: Amount {
                value: fields::decimal(r, "list_price")?.round_dp(6).normalize(),
                currency: self.currency().await?.to_owned(),
            },
            is_storable: fields::boolean(r, "is_storable"),
            sale_ok: fields::boolean(r, "sale_ok"),
            purchase_ok: fields::boolean(r, "purchase_ok"),
            active: fields::boolean(r, "active"),
            updated_at: fields::datetime(r, "write_date")?,
        })
    }

    /// The company currency, which product prices are expressed in.
    async fn currency(&self) -> Result<&str, OdooError> {
        self.currency
            .get_or_try_init(|| async {
                let options = SearchOptions::ordered("id").limit(1);
                let rows =
                    self.odoo.search_read("res.company", json!([]), &["currency_id"], &options, Map::new()).await?;
                let currency = rows.first().map(|r| fields::many2one(r, "currency_id")).transpose()?.flatten();
                Ok::<_, OdooError>(currency.map(|c| c.name).unwrap_or_else(|| "USD".into()))
            })
            .await
            .map(String::as_str)
    }

    /// Rounding precision of a unit of measure, read once per unit.
    async fn rounding(&self, uom: i64) -> Result<Decimal, OdooError> {
        if let Some(r) = self.uom_rounding.read().await.get(&uom) {
            return Ok(*r);
        }
        let rows = self
            .odoo
            .search_read(
                "uom.uom",
                json!([]),
                &["id", "rounding"],
                &SearchOptions::default(),
                Map::from_iter([("active_test".to_owned(), json!(false))]),
            )
            .await?;
        let mut cache = self.uom_rounding.write().await;
        for row in &rows {
            cache.insert(fields::id(row)?, fields::decimal(row, "rounding")?);
        }
        Ok(cache.get(&uom).copied().unwrap_or(Decimal::new(1, 2)))
    }

    /// Stock of each SKU in each warehouse: one Odoo read per warehouse, run concurrently.
    pub async fn stock_levels(
        &self,
        skus: &[String],
        warehouses: &[Warehouse],
    ) -> Result<Vec<(String, SkuStock)>, OdooError> {
        let options = SearchOptions::ordered("id");
        let reads = warehouses.iter().map(|wh| {
            self.batcher.read(wh.id, skus, |batch| {
                let context = Map::from_iter([("warehouse_id".to_owned(), json!(wh.id))]);
                let domain = json!([["default_code", "in", batch]]);
                self.odoo.search_read("product.product", domain, STOCK_FIELDS, &options, context)
            })
        });
        let per_warehouse = try_join_all(reads).await?;
        let mut by_sku: HashMap<String, Vec<i64>> = HashMap::new();
        if let Some(first) = per_warehouse.first() {
            for row in first.iter() {
                if let Some(code) = fields::text(row, "default_code") {
                    by_sku.entry(code).or_default().push(fields::id(row)?);
                }
            }
        }
        let mut result = Vec::with_capacity(skus.len());
        for sku in skus {
            let stock = match by_sku.get(sku).map(Vec::as_slice) {
                None | Some([]) => SkuStock::NotFound,
                Some([id]) => self.levels_of(*id, warehouses, &per_warehouse).await?,
                Some(ids) => SkuStock::Ambiguous { product_ids: ids.to_vec() },
            };
            result.push((sku.clone(), stock));
        }
        Ok(result)
    }

    async fn levels_of(
        &self,
        id: i64,
        warehouses: &[Warehouse],
        per_warehouse: &[Arc<Vec<Record>>],
    ) -> Result<SkuStock, OdooError> {
        let mut product = None;
        let mut levels = Vec::with_capacity(warehouses.len());
        for (wh, rows) in warehouses.iter().zip(per_warehouse) {
            let Some(row) = rows.iter().find(|r| fields::id(r).ok() == Some(id)) else {
                continue;
            };
            let (uom, figures) = self.figures(row).await?;
            levels.push((wh.as_ref(), figures));
            product.get_or_insert((Ref { id, name: fields::text(row, "display_name").unwrap_or_default() }, uom));
        }
        Ok(match product {
            Some((product, uom)) => SkuStock::Found { product, uom, levels },
            None => SkuStock::NotFound,
        })
    }

    /// A product row read with a warehouse context, as figures rounded to its unit of measure.
    async fn figures(&self, row: &Record) -> Result<(Ref, StockFigures), OdooError> {
        let uom = fields::many2one(row, "uom_id")?
            .ok_or_else(|| OdooError::Protocol { message: "product without unit of measure".into() })?;
        let rounding = self.rounding(uom.id).await?;
        let q = |f: &str| fields::decimal(row, f);
        let (on_hand, free) = (q("qty_available")?, q("free_qty")?);
        let round = |d: Decimal| fields::round_to_precision(d, rounding);
        let figures = StockFigures {
            on_hand: round(on_hand),
            reserved: round(on_hand - free),
            available: round(free),
            incoming: round(q("incoming_qty")?),
            outgoing: round(q("outgoing_qty")?),
            forecast: round(q("virtual_available")?),
        };
        Ok((uom, figures))
    }

    /// Stock of storable products in each warehouse: those with these ids, or every one when
    /// `ids` is `None` (read in pages, so a large catalogue never becomes one huge answer).
    pub async fn product_levels(
        &self,
        ids: Option<&[i64]>,
        warehouses: &[Warehouse],
    ) -> Result<Vec<ProductLevel>, OdooError> {
        let mut levels = Vec::new();
        for wh in warehouses {
            let context = Map::from_iter([("warehouse_id".to_owned(), json!(wh.id))]);
            let mut rows = Vec::new();
            match ids {
                Some(ids) => {
                    for chunk in ids.chunks(LEVELS_PAGE) {
                        let domain = json!([["id", "in", chunk], ["is_storable", "=", true]]);
                        let options = SearchOptions::ordered("id").in_background();
                        rows.extend(
                            self.odoo
                                .search_read("product.product", domain, STOCK_FIELDS, &options, context.clone())
                                .await?,
                        );
                    }
                }
                None => loop {
                    let after = rows.last().map(fields::id).transpose()?.unwrap_or(0);
                    let domain = json!([["id", ">", after], ["is_storable", "=", true]]);
                    let options = SearchOptions::ordered("id").limit(LEVELS_PAGE).in_background();
                    let page = self
                        .odoo
                        .search_read("product.product", domain, STOCK_FIELDS, &options, context.clone())
                        .await?;
                    let last_page = page.len() < LEVELS_PAGE;
                    rows.extend(page);
                    if last_page {
                        break;
                    }
                },
            }
            for row in &rows {
                let (uom, figures) = self.figures(row).await?;
                levels.push(ProductLevel {
                    product: Ref { id: fields::id(row)?, name: fields::text(row, "display_name").unwrap_or_default() },
                    sku: fields::text(row, "default_code"),
                    uom,
                    warehouse: wh.as_ref(),
                    location: None,
                    figures,
                });
            }
        }
        Ok(levels)
    }
}

impl Inventory {
    /// Stock in each of `locations` (internal ones), counting the locations below it as Odoo's
    /// `location` context does, for the products of `products` (their warehouse levels, which
    /// name them, their SKU and unit). Computed from quants and pending moves: two reads, however
    /// many locations there are.
    pub async fn location_levels(
        &self,
        products: &[ProductLevel],
        locations: &[Location],
    ) -> Result<Vec<ProductLevel>, OdooError> {
        let mut ids: Vec<i64> = products.iter().map(|p| p.product.id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let background = SearchOptions::ordered("id").in_background();
        let quants = self.odoo.search_read(
            "stock.quant",
            json!([["product_id", "in", ids], ["location_id.usage", "=", "internal"]]),
            &["product_id", "location_id", "quantity", "reserved_quantity"],
            &background,
            Map::new(),
        );
        let moves = self.odoo.search_read(
            "stock.move",
            json!([
                ["product_id", "in", ids],
                ["state", "in", ["waiting", "confirmed", "partially_available", "assigned"]]
            ]),
            &["product_id", "location_id", "location_dest_id", "product_uom_qty"],
            &background,
            Map::new(),
        );
        let (quants, moves) = futures::try_join!(quants, moves)?;

        // Each internal location with the internal locations above it (itself included).
        let parent: HashMap<i64, Option<i64>> =
            locations.iter().map(|l| (l.id, l.parent.as_ref().map(|p| p.id))).collect();
        let within = |location: Option<i64>| -> Vec<i64> {
            let mut chain = Vec::new();
            let mut at = location;
            while let Some(id) = at.filter(|id| parent.contains_key(id)) {
                chain.push(id);
                at = parent.get(&id).copied().flatten();
            }
            chain
        };
        #[derive(Default)]
        struct Sums {
            on_hand: Decimal,
            reserved: Decimal,
            incoming: Decimal,
            outgoing: Decimal,
        }
        let mut sums: HashMap<i64, HashMap<i64, Sums>> = HashMap::new();
        for quant in &quants {
            let Some(product) = fields::many2one(quant, "product_id")? else { continue };
            let location = fields::many2one(quant, "location_id")?.map(|l| l.id);
            for at in within(location) {
                let entry = sums.entry(product.id).or_default().entry(at).or_default();
                entry.on_hand += fields::decimal(quant, "quantity")?;
                entry.reserved += fields::decimal(quant, "reserved_quantity")?;
            }
        }
        for mv in &moves {
            let Some(product) = fields::many2one(mv, "product_id")? else { continue };
            let from = within(fields::many2one(mv, "location_id")?.map(|l| l.id));
            let to = within(fields::many2one(mv, "location_dest_id")?.map(|l| l.id));
            let qty = fields::decimal(mv, "product_uom_qty")?;
            for at in to.iter().filter(|l| !from.contains(l)) {
                sums.entry(product.id).or_default().entry(*at).or_default().incoming += qty;
            }
            for at in from.iter().filter(|l| !to.contains(l)) {
                sums.entry(product.id).or_default().entry(*at).or_default().outgoing += qty;
            }
        }

        let places: HashMap<i64, &Location> = locations.iter().map(|l| (l.id, l)).collect();
        let mut levels = Vec::new();
        let mut done = std::collections::HashSet::new();
        for known in products.iter().filter(|p| done.insert(p.product.id)) {
            let rounding = self.rounding(known.uom.id).await?;
            let round = |d: Decimal| fields::round_to_precision(d, rounding);
            for (at, s) in sums.get(&known.product.id).into_iter().flatten() {
                let Some(location) = places.get(at) else { continue };
                levels.push(ProductLevel {
                    warehouse: location.warehouse.clone().unwrap_or(Ref { id: 0, name: String::new() }),
                    location: Some(Ref { id: location.id, name: location.complete_name.clone() }),
                    figures: StockFigures {
                        on_hand: round(s.on_hand),
                        reserved: round(s.reserved),
                        available: round(s.on_hand - s.reserved),
                        incoming: round(s.incoming),
                        outgoing: round(s.outgoing),
                        forecast: round(s.on_hand + s.incoming - s.outgoing),
                    },
                    ..known.clone()
                });
            }
        }
        Ok(levels)
    }
}

/// Products per stock read when the whole catalogue is read: well under Odoo's comfortable answer size.
const LEVELS_PAGE: usize = 1000;

/// Escapes LIKE wildcards so a SKU prefix matches literally.
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
