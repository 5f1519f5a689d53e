//! Inventory reads: warehouses, locations, products and per-warehouse stock, each in as few Odoo
//! round trips as the data allows (one per warehouse for a batch of up to 1,000 SKUs).

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use futures::future::try_join_all;
use rust_decimal::Decimal;
use serde_json::{Map, json};

use crate::{
    OdooError, SearchOptions,
    call::StockBatcher,
    models::{
        Location, Product, ProductLevel, ProductLevels, ProductLookup, ProductPage, ProductQuery, Ref, SkuStock,
        StockFigures, Warehouse,
    },
    odoo::{
        Capability, Decoded, Odoo, Record, Schema,
        product::{self, StockRow},
        round_to_precision, stock_move, stock_quant,
        uom::Units,
        warehouse,
    },
};

/// Products per stock read when the whole catalogue is read: well under Odoo's comfortable answer size.
const LEVELS_PAGE: usize = 1000;

/// Inventory queries over one Odoo user's connection.
#[derive(Debug)]
pub struct Inventory {
    odoo: Arc<Odoo>,
    batcher: StockBatcher,
}

impl Inventory {
    pub fn new(odoo: Arc<Odoo>) -> Self {
        Self { odoo, batcher: StockBatcher::default() }
    }

    pub(crate) fn odoo(&self) -> &Arc<Odoo> {
        &self.odoo
    }

    async fn schema(&self) -> Result<Arc<Schema>, OdooError> {
        self.odoo.ready(Capability::Inventory).await
    }

    pub async fn warehouses(&self) -> Result<Vec<Warehouse>, OdooError> {
        warehouse::all(&self.odoo, &*self.schema().await?).await
    }

    pub async fn locations(&self, warehouse: Option<i64>) -> Result<Vec<Location>, OdooError> {
        warehouse::locations(&self.odoo, &*self.schema().await?, warehouse).await
    }

    /// One page of products by ascending id; one that cannot be decoded is left out of it (and
    /// reported), and the next page starts after it all the same.
    pub async fn products(&self, query: &ProductQuery) -> Result<ProductPage, OdooError> {
        let schema = self.schema().await?;
        let domain = product::page_domain(&schema, query.after_id, query.sku_prefix.as_deref(), query.updated_since);
        let context = if query.include_archived { product::with_archived() } else { Map::new() };
        // One more than asked tells whether another page follows, without a count query.
        let options = SearchOptions::ordered("id asc").limit(query.limit + 1);
        let rows = self.odoo.search(&schema, product::PRODUCT, domain, product::FIELDS, &options, context).await?;
        let more = rows.len() > query.limit;
        let products = self.decode(&rows[..rows.len().min(query.limit)]).await?;
        Ok(ProductPage { products: products.items, more, last_id: products.last_id })
    }

    pub async fn product_by_sku(&self, sku: &str) -> Result<ProductLookup, OdooError> {
        let schema = self.schema().await?;
        let options = SearchOptions::ordered("id").limit(2);
        let domain = json!([schema.term(&product::SKU, "=", sku)]);
        let rows = self.odoo.search(&schema, product::PRODUCT, domain, product::FIELDS, &options, Map::new()).await?;
        match rows.as_slice() {
            [] => Ok(ProductLookup::NotFound),
            [_] => Ok(self
                .decode(&rows)
                .await?
                .single()?
                .map_or(ProductLookup::NotFound, |p| ProductLookup::Found(Box::new(p)))),
            _ => Ok(ProductLookup::Ambiguous(rows.iter().filter_map(|r| r.get("id")?.as_i64()).collect())),
        }
    }

    pub async fn product_by_id(&self, id: i64) -> Result<Option<Product>, OdooError> {
        let schema = self.schema().await?;
        // `read` returns archived records too, and silently nothing for a missing id.
        let rows = self.odoo.read(&schema, product::PRODUCT, &[id], product::FIELDS).await?;
        Ok(self.decode(&rows).await?.single()?)
    }

    /// Products as the catalogue shows them, prices in the company's currency.
    async fn decode(&self, rows: &[Record]) -> Result<Decoded<Product>, OdooError> {
        let currency = self.odoo.company_currency().await?;
        self.odoo.decode_each(product::PRODUCT, rows, |row| product::decode(row, &currency.name))
    }

    /// Stock of each SKU in each warehouse: one Odoo read per warehouse, run concurrently.
    pub async fn stock_levels(
        &self,
        skus: &[String],
        warehouses: &[Warehouse],
    ) -> Result<Vec<(String, SkuStock)>, OdooError> {
        let schema = self.schema().await?;
        let options = SearchOptions::ordered("id");
        let reads = warehouses.iter().map(|wh| {
            self.batcher.read(wh.id, skus, |batch| {
                let domain = json!([schema.term(&product::SKU, "in", json!(batch))]);
                let context = product::in_warehouse(wh.id);
                self.odoo.search(&schema, product::PRODUCT, domain, product::STOCK_FIELDS, &options, context)
            })
        });
        let read = try_join_all(reads).await?;
        // A product whose figures cannot be decoded in some warehouse is answered as such, not
        // with the levels of the others alone.
        let mut unreadable = HashSet::new();
        let mut per_warehouse: Vec<Vec<StockRow>> = Vec::with_capacity(read.len());
        for rows in &read {
            let decoded = self.odoo.decode_each(product::PRODUCT, rows, product::decode_stock)?;
            unreadable.extend(decoded.unreadable.iter().map(|e| e.id));
            per_warehouse.push(decoded.items);
        }
        let units = self.odoo.units().await?;
        // SKUs as read, so that a product whose figures cannot be decoded is still found by its SKU.
        let mut by_sku: HashMap<String, Vec<Ref>> = HashMap::new();
        for (sku, product) in read.first().into_iter().flat_map(|rows| rows.iter()).filter_map(product::identity) {
            by_sku.entry(sku).or_default().push(product);
        }
        Ok(skus
            .iter()
            .map(|sku| {
                let stock = match by_sku.get(sku.as_str()).map(Vec::as_slice) {
                    None | Some([]) => SkuStock::NotFound,
                    Some([product]) if unreadable.contains(&product.id) => {
                        SkuStock::Unreadable { product: product.clone() }
                    }
                    Some([product]) => levels_of(product.id, warehouses, &per_warehouse, &units),
                    Some(products) => SkuStock::Ambiguous { product_ids: products.iter().map(|p| p.id).collect() },
                };
                (sku.clone(), stock)
            })
            .collect())
    }

    /// Stock of storable products in each warehouse: those with these ids, or every one when
    /// `ids` is `None` (read in pages, so a large catalogue never becomes one huge answer). A
    /// product whose figures cannot be decoded in a warehouse is left out, and named.
    pub async fn product_levels(
        &self,
        ids: Option<&[i64]>,
        warehouses: &[Warehouse],
    ) -> Result<ProductLevels, OdooError> {
        let schema = self.schema().await?;
        let units = self.odoo.units().await?;
        let storable = schema.term(&product::STORABLE, "=", true);
        let mut found = ProductLevels::default();
        for wh in warehouses {
            let mut pages: Vec<Decoded<StockRow>> = Vec::new();
            match ids {
                Some(ids) => {
                    for chunk in ids.chunks(LEVELS_PAGE) {
                        let domain = json!([["id", "in", chunk], storable]);
                        pages.push(self.stock_page(&schema, wh.id, domain, SearchOptions::ordered("id")).await?);
                    }
                }
                None => loop {
                    // After the last product read, decoded or not.
                    let after = pages.last().and_then(|p| p.last_id).unwrap_or(0);
                    let domain = json!([["id", ">", after], storable]);
                    let page = self
                        .stock_page(&schema, wh.id, domain, SearchOptions::ordered("id").limit(LEVELS_PAGE))
                        .await?;
                    let last_page = page.read() < LEVELS_PAGE;
                    pages.push(page);
                    if last_page {
                        break;
                    }
                },
            }
            for page in pages {
                found.unreadable.extend(page.unreadable.iter().map(|e| e.id));
                found.levels.extend(page.items.into_iter().map(|row| ProductLevel {
                    figures: figures(&row, units.rounding(row.uom.id)),
                    product: row.product,
                    sku: row.sku,
                    uom: row.uom,
                    warehouse: wh.as_ref(),
                    location: None,
                }));
            }
        }
        found.unreadable.sort_unstable();
        found.unreadable.dedup();
        Ok(found)
    }

    /// One background read of products' stock in a warehouse.
    async fn stock_page(
        &self,
        schema: &Schema,
        warehouse: i64,
        domain: serde_json::Value,
        options: SearchOptions,
    ) -> Result<Decoded<StockRow>, OdooError> {
        let context = product::in_warehouse(warehouse);
        let options = options.in_background();
        let rows = self.odoo.search(schema, product::PRODUCT, domain, product::STOCK_FIELDS, &options, context).await?;
        self.odoo.decode_each(product::PRODUCT, &rows, product::decode_stock)
    }

    /// Stock in each of `locations` (internal ones), counting the locations below it as Odoo's
    /// `location` context does, for the products of `products` (their warehouse levels, which
    /// name them, their SKU and unit). Computed from quants and pending moves: two reads, however
    /// many locations there are. A product one of whose quants or moves cannot be decoded is
    /// left out, and named: its sums would be wrong.
    pub async fn location_levels(
        &self,
        products: &[ProductLevel],
        locations: &[Location],
    ) -> Result<ProductLevels, OdooError> {
        let mut ids: Vec<i64> = products.iter().map(|p| p.product.id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(ProductLevels::default());
        }
        let schema = self.schema().await?;
        let background = SearchOptions::ordered("id").in_background();
        let (quants, moves) = futures::try_join!(
            stock_quant::internal_of(&self.odoo, &schema, &ids, &background),
            stock_move::pending_of(&self.odoo, &schema, &ids, &background),
        )?;
        let broken: HashSet<i64> = quants
            .unreadable
            .iter()
            .chain(&moves.unreadable)
            .filter_map(|e| e.part_of.filter(|(model, _)| *model == product::PRODUCT.name).map(|(_, id)| id))
            .collect();
        let (quants, moves) = (quants.items, moves.items);

        // Each internal location with the internal locations above it (itself included).
        let parent: HashMap<i64, Option<i64>> =
            locations.iter().map(|l| (l.id, l.parent.as_ref().map(|p| p.id))).collect();
        let within = |location: Option<i64>| -> Vec<i64> {
            let mut chain = Vec::new();
            let mut at = location;
            while let Some(id) = at.filter(|id| parent.contains_key(id) && !chain.contains(id)) {
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
            for at in within(quant.location) {
                let entry = sums.entry(quant.product).or_default().entry(at).or_default();
                entry.on_hand += quant.quantity;
                entry.reserved += quant.reserved;
            }
        }
        for mv in &moves {
            let (from, to) = (within(mv.from), within(mv.to));
            for at in to.iter().filter(|l| !from.contains(l)) {
                sums.entry(mv.product).or_default().entry(*at).or_default().incoming += mv.quantity;
            }
            for at in from.iter().filter(|l| !to.contains(l)) {
                sums.entry(mv.product).or_default().entry(*at).or_default().outgoing += mv.quantity;
            }
        }

        let units = self.odoo.units().await?;
        let places: HashMap<i64, &Location> = locations.iter().map(|l| (l.id, l)).collect();
        let mut levels = Vec::new();
        let mut done = HashSet::new();
        for known in products.iter().filter(|p| !broken.contains(&p.product.id) && done.insert(p.product.id)) {
            let round = |d: Decimal| round_to_precision(d, units.rounding(known.uom.id));
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
        let mut unreadable: Vec<i64> = broken.into_iter().collect();
        unreadable.sort_unstable();
        Ok(ProductLevels { levels, unreadable })
    }
}

/// One product's levels across the warehouses, from the rows each warehouse's read returned.
fn levels_of(id: i64, warehouses: &[Warehouse], per_warehouse: &[Vec<StockRow>], units: &Units) -> SkuStock {
    let mut product = None;
    let mut levels = Vec::with_capacity(warehouses.len());
    for (wh, rows) in warehouses.iter().zip(per_warehouse) {
        let Some(row) = rows.iter().find(|r| r.product.id == id) else { continue };
        levels.push((wh.as_ref(), figures(row, units.rounding(row.uom.id))));
        product.get_or_insert((row.product.clone(), row.uom.clone()));
    }
    match product {
        Some((product, uom)) => SkuStock::Found { product, uom, levels },
        None => SkuStock::NotFound,
    }
}

/// A product's figures in a warehouse, rounded to its unit of measure.
fn figures(row: &StockRow, rounding: Decimal) -> StockFigures {
    let round = |d: Decimal| round_to_precision(d, rounding);
    StockFigures {
        on_hand: round(row.on_hand),
        reserved: round(row.on_hand - row.free),
        available: round(row.free),
        incoming: round(row.incoming),
        outgoing: round(row.outgoing),
        forecast: round(row.forecast),
    }
}
