//! InventoryService: warehouses, locations, products and stock levels, read from Odoo through the
//! adapter. Handlers only convert, call the flow below, and map errors.

pub(crate) mod convert;

use std::{sync::Arc, time::Duration};

use odoo_adapter::{
    FlowError, Inventory,
    models::{ProductLevel, ProductLookup, Ref, SkuStock, Warehouse},
};
use time::OffsetDateTime;
use tonic::{Request, Response, Status};

use crate::{
    ApiError, TokenKey,
    audit::AuditLog,
    authz,
    backends::Backends,
    edge::echo::echo,
    proto::inventory::v1::{self as pb, inventory_service_server::InventoryService},
    stream::Stream,
    telemetry::CachedRead,
    watch::{StockView, Watch},
};

pub use convert::{MAX_SKUS_PER_CALL, MAX_SKUS_PER_WATCH, ProductRef, StockQuery, StockWatchQuery};

/// The gRPC face of inventory.
pub struct InventoryApi {
    backends: Arc<Backends>,
    audit: Arc<AuditLog>,
    stock: Arc<StockView>,
    watch: Watch<ProductLevel>,
    /// Seals and opens page tokens.
    tokens: TokenKey,
}

/// The inventory of the Odoo user acting for the caller of `request`.
fn inventory_for<'a, T>(backends: &'a Backends, request: &Request<T>) -> &'a Inventory {
    &backends.for_caller(&authz::caller(request)).inventory
}

impl InventoryApi {
    pub fn new(
        backends: Arc<Backends>,
        audit: Arc<AuditLog>,
        stock: Arc<StockView>,
        watch: Watch<ProductLevel>,
        tokens: TokenKey,
    ) -> Self {
        Self { backends, audit, stock, watch, tokens }
    }
}

async fn warehouses_named(inventory: &Inventory, ids: &[i64]) -> Result<Vec<Warehouse>, ApiError> {
    {
        let all = inventory.warehouses().await?;
        if ids.is_empty() {
            return Ok(all);
        }
        ids.iter()
            .map(|id| {
                all.iter()
                    .find(|w| w.id == *id)
                    .cloned()
                    .ok_or_else(|| ApiError::NotFound { kind: "warehouse", name: format!("warehouses/{id}") })
            })
            .collect()
    }
}

async fn stock_levels(
    inventory: &Inventory,
    query: StockQuery,
) -> Result<(Vec<(String, SkuStock)>, OffsetDateTime), ApiError> {
    {
        let warehouses = warehouses_named(inventory, &query.warehouses).await?;
        let read_at = OffsetDateTime::now_utc();
        Ok((inventory.stock_levels(&query.skus, &warehouses).await?, read_at))
    }
}

async fn product(inventory: &Inventory, which: ProductRef) -> Result<odoo_adapter::models::Product, ApiError> {
    {
        match which {
            ProductRef::Sku(sku) => match inventory.product_by_sku(&sku).await? {
                ProductLookup::Found(product) => Ok(*product),
                ProductLookup::NotFound => {
                    Err(ApiError::NotFound { kind: "product", name: format!("sku {}", echo(&sku)) })
                }
                ProductLookup::Ambiguous(ids) => Err(ApiError::FailedPrecondition {
                    reason: "SKU_AMBIGUOUS",
                    message: format!(
                        "several products carry SKU {} (ids {}); ask by resource name instead",
                        echo(&sku),
                        ids.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                    ),
                }),
            },
            ProductRef::Id(id) => inventory
                .product_by_id(id)
                .await?
                .ok_or_else(|| ApiError::NotFound { kind: "product", name: format!("products/{id}") }),
        }
    }
}

#[tonic::async_trait]
impl InventoryService for InventoryApi {
    async fn list_warehouses(
        &self,
        request: Request<pb::ListWarehousesRequest>,
    ) -> Result<Response<pb::ListWarehousesResponse>, Status> {
        let warehouses = inventory_for(&self.backends, &request).warehouses().await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListWarehousesResponse {
            warehouses: warehouses.iter().map(convert::warehouse).collect(),
        }))
    }

    async fn list_locations(
        &self,
        request: Request<pb::ListLocationsRequest>,
    ) -> Result<Response<pb::ListLocationsResponse>, Status> {
        let inventory = inventory_for(&self.backends, &request);
        let warehouse = convert::optional_warehouse(&request.get_ref().warehouse).map_err(ApiError::from)?;
        if let Some(id) = warehouse {
            warehouses_named(inventory, &[id]).await?;
        }
        let locations = inventory.locations(warehouse).await.map_err(ApiError::from)?;
        Ok(Response::new(pb::ListLocationsResponse { locations: locations.iter().map(convert::location).collect() }))
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        let (query, filters) = convert::product_query(request.get_ref(), &self.tokens)?;
        let page = inventory_for(&self.backends, &request).products(&query).await.map_err(ApiError::from)?;
        Ok(Response::new(convert::product_page(&page, &filters, &self.tokens)))
    }

    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> Result<Response<pb::GetProductResponse>, Status> {
        let inventory = inventory_for(&self.backends, &request);
        let which = ProductRef::try_from(request.get_ref().clone())?;
        let product = product(inventory, which).await?;
        Ok(Response::new(pb::GetProductResponse { product: Some(convert::product(&product)) }))
    }

    async fn get_stock_levels(
        &self,
        request: Request<pb::GetStockLevelsRequest>,
    ) -> Result<Response<pb::GetStockLevelsResponse>, Status> {
        let query = StockQuery::try_from(request.get_ref().clone())?;
        // The view is read with odoo-mesh's own Odoo user; callers mapped to their own user read Odoo.
        if !query.max_staleness.is_zero()
            && !self.backends.has_own_user(&authz::caller(&request))
            && let Some((items, fresh_at)) =
                self.stock.stock_levels(&query.skus, &query.warehouses, query.max_staleness)
        {
            let source = pb::StockSource::WatchedView;
            let mut response = Response::new(convert::stock_levels(&items, source, OffsetDateTime::from(fresh_at)));
            response.extensions_mut().insert(CachedRead);
            return Ok(response);
        }
        let inventory = inventory_for(&self.backends, &request);
        let (items, read_at) = stock_levels(inventory, query).await?;
        Ok(Response::new(convert::stock_levels(&items, pb::StockSource::Odoo, read_at)))
    }

    async fn adjust_inventory(
        &self,
        request: Request<pb::AdjustInventoryRequest>,
    ) -> Result<Response<pb::AdjustInventoryResponse>, Status> {
        let caller = authz::caller(&request);
        let inventory = inventory_for(&self.backends, &request);
        let audit = self.audit.begin(
            &request,
            "AdjustInventory",
            Some(&request.get_ref().request_id),
            inventory.counts_model(),
        );
        audit
            .around(async {
                let (request_id, counts) = convert::adjustment(request.get_ref())?;
                let captured = inventory.adjust(&request_id, counts, caller.name()).await.map_err(|error| {
                    if let FlowError::Conflicts(conflicts) = &error {
                        counted("conflict", conflicts.len());
                    }
                    ApiError::from(error)
                })?;
                let results = captured.record.as_ref().map(convert::count_results).unwrap_or_default();
                if !captured.replayed {
                    counted("applied", results.len());
                }
                let skus = distinct(results.iter().map(|r| r.sku.clone()));
                let (levels, _) =
                    stock_levels(inventory, StockQuery { skus, warehouses: Vec::new(), max_staleness: Duration::ZERO })
                        .await?;
                let levels = convert::stock_levels(&levels, pb::StockSource::Odoo, OffsetDateTime::now_utc()).items;
                let response = pb::AdjustInventoryResponse { levels, replayed: captured.replayed, results };
                Ok((Response::new(response), vec![captured.id], captured.replayed))
            })
            .await
    }

    type WatchStockLevelsStream = Stream<pb::WatchStockLevelsResponse>;

    async fn watch_stock_levels(
        &self,
        request: Request<pb::WatchStockLevelsRequest>,
    ) -> Result<Response<Self::WatchStockLevelsStream>, Status> {
        let query = StockWatchQuery::try_from(request.into_inner())?;
        self.watch.ready().await?;
        if let Some(unknown) = query.warehouses.iter().find(|id| !self.stock.has_warehouse(**id)) {
            return Err(ApiError::NotFound { kind: "warehouse", name: format!("warehouses/{unknown}") }.into());
        }
        if let Some(unknown) = query.locations.iter().find(|id| !self.stock.has_location(**id)) {
            return Err(ApiError::NotFound { kind: "internal location", name: format!("locations/{unknown}") }.into());
        }
        let opening = query.opening.clone();
        let stream = self.watch.open(opening, move |level| query.keeps(level), convert::watch_event).await?;
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Counts counted in `odoo_mesh_inventory_counts_total`, by outcome.
fn counted(outcome: &'static str, counts: usize) {
    metrics::counter!("odoo_mesh_inventory_counts_total", "outcome" => outcome).increment(counts as u64);
}

/// Each item once, in the order first seen.
fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    items.filter(|item| seen.insert(item.clone())).collect()
}

/// Reference used in stock answers for warehouses.
pub(crate) fn warehouse_ref(r: &Ref) -> crate::proto::common::v1::RecordRef {
    crate::convert::record_ref("warehouses", r)
}
