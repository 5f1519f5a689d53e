//! InventoryService's protobuf edge: requests become validated domain queries (every bad field
//! reported at once), domain results become responses.

use std::{
    collections::HashSet,
    time::{Duration, SystemTime},
};

use odoo_adapter::{
    adjustments::MAX_COUNTS,
    models::{
        Adjustment, Count, Location, Product, ProductLevel, ProductPage, ProductQuery, SkuStock, StockFigures,
        Warehouse,
    },
};
use time::OffsetDateTime;

use crate::{
    ApiError,
    convert::{money, page_size, quantity, record_ref, resource_name, timestamp, watch_opening},
    edge::{
        checks::Checks,
        id::parse_resource_name,
        limits::{self, MAX_ITEMS},
        timestamp::parse_timestamp,
        token::{PageToken, TokenKey},
    },
    error::FieldViolation,
    proto::inventory::v1 as pb,
    watch::{Event, Opening},
};

/// The most SKUs one GetStockLevels call may ask for.
pub const MAX_SKUS_PER_CALL: usize = 1000;

/// A validated GetStockLevels request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockQuery {
    /// Distinct SKUs in request order.
    pub skus: Vec<String>,
    /// Warehouse ids; empty for all.
    pub warehouses: Vec<i64>,
    /// How old an answer from the watched view may be; zero reads Odoo.
    pub max_staleness: Duration,
}

impl TryFrom<pb::GetStockLevelsRequest> for StockQuery {
    type Error = ApiError;

    fn try_from(request: pb::GetStockLevelsRequest) -> Result<Self, Self::Error> {
        let mut violations = Vec::new();
        if request.skus.is_empty() {
            violations.push(FieldViolation::new("skus", "at least one SKU is required"));
        }
        if request.skus.len() > MAX_SKUS_PER_CALL {
            violations.push(FieldViolation::new(
                "skus",
                format!("at most {MAX_SKUS_PER_CALL} SKUs per call, got {}", request.skus.len()),
            ));
        }
        if let Err(v) = limits::items("warehouses", request.warehouses.len(), MAX_ITEMS) {
            violations.push(v);
        }
        if !violations.is_empty() {
            // Too many items: not worth looking at each one.
            return Err(ApiError::InvalidArgument(violations));
        }
        let mut seen = HashSet::new();
        let mut skus = Vec::with_capacity(request.skus.len());
        for (i, sku) in request.skus.into_iter().enumerate() {
            if let Err(v) = sku_text(&format!("skus[{i}]"), &sku) {
                violations.push(v);
            } else if seen.insert(sku.clone()) {
                skus.push(sku);
            }
        }
        let mut warehouses = Vec::new();
        for (i, name) in request.warehouses.iter().enumerate() {
            match parse_resource_name(&format!("warehouses[{i}]"), name, "warehouses") {
                Ok(id) if !warehouses.contains(&id) => warehouses.push(id),
                Ok(_) => {}
                Err(v) => violations.push(v),
            }
        }
        let max_staleness = match request.max_staleness.map(Duration::try_from) {
            None => Duration::ZERO,
            Some(Ok(staleness)) => staleness,
            Some(Err(_)) => {
                violations.push(FieldViolation::new("max_staleness", "must not be negative"));
                Duration::ZERO
            }
        };
        if violations.is_empty() {
            Ok(Self { skus, warehouses, max_staleness })
        } else {
            Err(ApiError::InvalidArgument(violations))
        }
    }
}

/// A SKU as a caller sends it: not blank, within [`limits::SKU`].
fn sku_text(field: &str, sku: &str) -> Result<(), FieldViolation> {
    if sku.trim().is_empty() {
        return Err(FieldViolation::new(field, "must not be empty"));
    }
    limits::text(field, sku, limits::SKU)
}

/// Which product GetProduct asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductRef {
    Sku(String),
    Id(i64),
}

impl TryFrom<pb::GetProductRequest> for ProductRef {
    type Error = ApiError;

    fn try_from(request: pb::GetProductRequest) -> Result<Self, Self::Error> {
        use pb::get_product_request::Product;
        match request.product {
            Some(Product::Sku(sku)) => {
                sku_text("sku", &sku)?;
                Ok(Self::Sku(sku))
            }
            Some(Product::Name(name)) => Ok(Self::Id(parse_resource_name("name", &name, "products")?)),
            None => Err(FieldViolation::new("product", "give either sku or name").into()),
        }
    }
}

/// Validates ListProducts; also returns the filters' text that page tokens are bound to.
pub(crate) fn product_query(
    request: &pb::ListProductsRequest,
    tokens: &TokenKey,
) -> Result<(ProductQuery, String), ApiError> {
    let mut violations = Vec::new();
    let limit = page_size(request.page_size).map_err(|v| violations.push(v)).unwrap_or_default();
    if let Err(v) = limits::text("sku_prefix", &request.sku_prefix, limits::SKU) {
        violations.push(v);
    }
    let updated_since = match &request.updated_since {
        Some(ts) => parse_timestamp("updated_since", ts).map_err(|v| violations.push(v)).ok(),
        None => None,
    };
    let filters = format!(
        "sku_prefix={:?};updated_since={:?};archived={}",
        request.sku_prefix,
        request.updated_since.as_ref().map(|t| (t.seconds, t.nanos)),
        request.include_archived
    );
    let after_id =
        PageToken::decode(tokens, &request.page_token, &filters).map_err(|v| violations.push(v)).unwrap_or_default();
    if !violations.is_empty() {
        return Err(ApiError::InvalidArgument(violations));
    }
    let sku_prefix = Some(request.sku_prefix.clone()).filter(|p| !p.is_empty());
    Ok((
        ProductQuery { after_id, limit, sku_prefix, updated_since, include_archived: request.include_archived },
        filters,
    ))
}

pub(crate) fn optional_warehouse(name: &str) -> Result<Option<i64>, FieldViolation> {
    if name.is_empty() { Ok(None) } else { parse_resource_name("warehouse", name, "warehouses").map(Some) }
}

pub(super) fn warehouse(w: &Warehouse) -> pb::Warehouse {
    pb::Warehouse {
        name: resource_name("warehouses", w.id),
        id: w.id,
        code: w.code.clone(),
        display_name: w.name.clone(),
        company: w.company.as_ref().map(|c| record_ref("companies", c)),
        stock_location: w.stock_location.as_ref().map(|l| record_ref("locations", l)),
    }
}

pub(super) fn location(l: &Location) -> pb::Location {
    pb::Location {
        name: resource_name("locations", l.id),
        id: l.id,
        complete_name: l.complete_name.clone(),
        warehouse: l.warehouse.as_ref().map(|w| record_ref("warehouses", w)),
        parent: l.parent.as_ref().map(|p| record_ref("locations", p)),
    }
}

pub(super) fn product(p: &Product) -> pb::Product {
    pb::Product {
        name: resource_name("products", p.id),
        id: p.id,
        sku: p.sku.clone().unwrap_or_default(),
        display_name: p.display_name.clone(),
        barcode: p.barcode.clone().unwrap_or_default(),
        unit_of_measure: p.uom.name.clone(),
        list_price: Some(money(&p.list_price)),
        is_storable: p.is_storable,
        sale_ok: p.sale_ok,
        purchase_ok: p.purchase_ok,
        active: p.active,
        update_time: p.updated_at.map(timestamp),
    }
}

pub(super) fn product_page(page: &ProductPage, filters: &str, tokens: &TokenKey) -> pb::ListProductsResponse {
    let next_page_token = match (page.more, page.last_id) {
        (true, Some(last)) => PageToken::encode(tokens, last, filters),
        _ => String::new(),
    };
    pb::ListProductsResponse { products: page.products.iter().map(product).collect(), next_page_token }
}

fn level(warehouse: &odoo_adapter::models::Ref, figures: &StockFigures, uom: &str) -> pb::StockLevel {
    pb::StockLevel {
        warehouse: Some(super::warehouse_ref(warehouse)),
        on_hand: Some(quantity(figures.on_hand, uom)),
        reserved: Some(quantity(figures.reserved, uom)),
        available_to_promise: Some(quantity(figures.available, uom)),
        incoming: Some(quantity(figures.incoming, uom)),
        outgoing: Some(quantity(figures.outgoing, uom)),
        forecast: Some(quantity(figures.forecast, uom)),
    }
}

pub(super) fn stock_levels(
    items: &[(String, SkuStock)],
    source: pb::StockSource,
    read_at: OffsetDateTime,
) -> pb::GetStockLevelsResponse {
    let items = items
        .iter()
        .map(|(sku, stock)| match stock {
            SkuStock::Found { product, uom, levels } => pb::SkuStockLevels {
                sku: sku.clone(),
                status: pb::SkuStatus::Found.into(),
                product: Some(record_ref("products", product)),
                levels: levels.iter().map(|(wh, figures)| level(wh, figures, &uom.name)).collect(),
            },
            SkuStock::NotFound => {
                pb::SkuStockLevels { sku: sku.clone(), status: pb::SkuStatus::NotFound.into(), ..Default::default() }
            }
            SkuStock::Ambiguous { .. } => {
                pb::SkuStockLevels { sku: sku.clone(), status: pb::SkuStatus::Ambiguous.into(), ..Default::default() }
            }
            SkuStock::Unreadable { product } => pb::SkuStockLevels {
                sku: sku.clone(),
                status: pb::SkuStatus::Unreadable.into(),
                product: Some(record_ref("products", product)),
                levels: Vec::new(),
            },
        })
        .collect();
    pb::GetStockLevelsResponse { items, source: source.into(), read_time: Some(timestamp(read_at)) }
}

/// The most SKUs one watch may filter on.
pub const MAX_SKUS_PER_WATCH: usize = 10_000;

/// A validated WatchStockLevels request.
#[derive(Debug, Clone)]
pub struct StockWatchQuery {
    /// Only these SKUs; empty for all.
    pub skus: HashSet<String>,
    /// Only these warehouse ids; empty for all.
    pub warehouses: Vec<i64>,
    /// By these internal locations instead of by warehouse; empty for warehouses.
    pub locations: Vec<i64>,
    pub opening: Opening,
}

impl TryFrom<pb::WatchStockLevelsRequest> for StockWatchQuery {
    type Error = ApiError;

    fn try_from(request: pb::WatchStockLevelsRequest) -> Result<Self, Self::Error> {
        let mut violations = Vec::new();
        if request.skus.len() > MAX_SKUS_PER_WATCH {
            violations.push(FieldViolation::new(
                "skus",
                format!("at most {MAX_SKUS_PER_WATCH} SKUs per watch, got {}", request.skus.len()),
            ));
        }
        for (field, count) in [("warehouses", request.warehouses.len()), ("locations", request.locations.len())] {
            if let Err(v) = limits::items(field, count, MAX_ITEMS) {
                violations.push(v);
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        for (i, sku) in request.skus.iter().enumerate() {
            if let Err(v) = sku_text(&format!("skus[{i}]"), sku) {
                violations.push(v);
            }
        }
        let mut warehouses = Vec::new();
        for (i, name) in request.warehouses.iter().enumerate() {
            match parse_resource_name(&format!("warehouses[{i}]"), name, "warehouses") {
                Ok(id) => warehouses.push(id),
                Err(v) => violations.push(v),
            }
        }
        let mut locations = Vec::new();
        for (i, name) in request.locations.iter().enumerate() {
            match parse_resource_name(&format!("locations[{i}]"), name, "locations") {
                Ok(id) => locations.push(id),
                Err(v) => violations.push(v),
            }
        }
        if !request.locations.is_empty() && !request.warehouses.is_empty() {
            violations.push(FieldViolation::new("locations", "watch by warehouses or by locations, not both"));
        }
        let opening = watch_opening(request.resume_token, request.send_initial).unwrap_or_else(|violation| {
            violations.push(violation);
            Opening::Now
        });
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        Ok(Self { skus: request.skus.into_iter().collect(), warehouses, locations, opening })
    }
}

impl StockWatchQuery {
    /// Whether a level belongs to this watch.
    pub fn keeps(&self, level: &ProductLevel) -> bool {
        let place = match &level.location {
            None => {
                self.locations.is_empty()
                    && (self.warehouses.is_empty() || self.warehouses.contains(&level.warehouse.id))
            }
            Some(location) => self.locations.contains(&location.id),
        };
        place && (self.skus.is_empty() || level.sku.as_ref().is_some_and(|sku| self.skus.contains(sku)))
    }
}

/// One watch event as its protobuf message.
pub(super) fn watch_event(event: Event<'_, ProductLevel>, resume_token: String) -> pb::WatchStockLevelsResponse {
    let levels = |item: &ProductLevel, kind: pb::WatchEventType| pb::WatchStockLevelsResponse {
        r#type: kind.into(),
        product: Some(record_ref("products", &item.product)),
        sku: item.sku.clone().unwrap_or_default(),
        level: Some(level(&item.warehouse, &item.figures, &item.uom.name)),
        location: item.location.as_ref().map(|l| record_ref("locations", l)),
        ..Default::default()
    };
    let stamp = |at: SystemTime| Some(timestamp(OffsetDateTime::from(at)));
    match event {
        Event::Snapshot(item) => levels(item, pb::WatchEventType::Snapshot),
        Event::SnapshotEnd(position) => pb::WatchStockLevelsResponse {
            r#type: pb::WatchEventType::SnapshotEnd.into(),
            revision: revision(position.revision),
            resume_token,
            ..Default::default()
        },
        Event::Changed(change) => pb::WatchStockLevelsResponse {
            changed_fields: change.changed_fields.iter().map(|f| (*f).to_owned()).collect(),
            change_time: stamp(change.change_time),
            revision: revision(change.revision),
            resume_token,
            ..levels(&change.item, pb::WatchEventType::Changed)
        },
        Event::Replayed { item, revision: at, .. } => pb::WatchStockLevelsResponse {
            revision: revision(at),
            resume_token,
            ..levels(item, pb::WatchEventType::Changed)
        },
        Event::Heartbeat(position) => pb::WatchStockLevelsResponse {
            r#type: pb::WatchEventType::Heartbeat.into(),
            revision: revision(position.revision),
            resume_token,
            ..Default::default()
        },
    }
}

fn revision(revision: u64) -> i64 {
    i64::try_from(revision).unwrap_or(i64::MAX)
}

/// How far ahead of this server's clock a count may say it was taken (clocks drift).
const COUNT_CLOCK_SKEW: time::Duration = time::Duration::minutes(1);

/// A validated AdjustInventory request: its request id and counts.
pub(crate) fn adjustment(request: &pb::AdjustInventoryRequest) -> Result<(String, Vec<Count>), ApiError> {
    let mut checks = Checks::default();
    let request_id = checks.request_id(&request.request_id);
    if request.counts.is_empty() {
        checks.fail("counts", "at least one count is required");
    }
    let mut counts = Vec::new();
    if checks.items("counts", request.counts.len(), MAX_COUNTS) {
        let latest = OffsetDateTime::now_utc() + COUNT_CLOCK_SKEW;
        for (i, count) in request.counts.iter().enumerate() {
            let sku = checks.take(sku_text(&format!("counts[{i}].sku"), &count.sku)).map(|()| count.sku.trim());
            let location =
                checks.take(parse_resource_name(&format!("counts[{i}].location"), &count.location, "locations"));
            let (counted, unit) = checks.counted(&format!("counts[{i}].counted"), count.counted.as_ref());
            let field = format!("counts[{i}].counted_at");
            let counted_at = checks.time(&field, count.counted_at.as_ref());
            if counted_at.is_some_and(|at| at > latest) {
                checks.fail(field, "is in the future: give the time the count was taken");
            }
            if let (Some(sku), Some(location)) = (sku, location) {
                counts.push(Count { sku: sku.to_owned(), location, counted, unit, counted_at });
            }
        }
    }
    checks.finish((request_id, counts))
}

/// What each count changed.
pub(super) fn count_results(adjustment: &Adjustment) -> Vec<pb::CountResult> {
    adjustment
        .results
        .iter()
        .map(|r| {
            let (previous, difference) = r.change.map_or((None, None), |(previous, difference)| {
                (Some(quantity(previous, &r.uom.name)), Some(quantity(difference, &r.uom.name)))
            });
            pb::CountResult {
                sku: r.sku.clone(),
                product: Some(record_ref("products", &r.product)),
                location: Some(record_ref("locations", &r.location)),
                counted: Some(quantity(r.counted, &r.uom.name)),
                previous,
                difference,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(skus: &[&str], warehouses: &[&str]) -> pb::GetStockLevelsRequest {
        pb::GetStockLevelsRequest {
            skus: skus.iter().map(|s| (*s).to_owned()).collect(),
            warehouses: warehouses.iter().map(|s| (*s).to_owned()).collect(),
            max_staleness: None,
        }
    }

    fn violations(error: ApiError) -> Vec<String> {
        match error {
            ApiError::InvalidArgument(v) => v.into_iter().map(|v| v.field).collect(),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let error = StockQuery::try_from(request(&["A", "", "B", " "], &["warehouses/1", "wh/2", "warehouses/x"]))
            .expect_err("invalid");
        assert_eq!(violations(error), ["skus[1]", "skus[3]", "warehouses[1]", "warehouses[2]"]);
    }

    #[test]
    fn duplicate_skus_are_answered_once_in_request_order() {
        let query = StockQuery::try_from(request(&["B", "A", "B"], &["warehouses/2", "warehouses/2"])).expect("valid");
        assert_eq!(query.skus, ["B", "A"]);
        assert_eq!(query.warehouses, [2]);
    }

    #[test]
    fn sku_count_is_bounded() {
        assert_eq!(violations(StockQuery::try_from(request(&[], &[])).expect_err("empty")), ["skus"]);
        let many: Vec<String> = (0..=MAX_SKUS_PER_CALL).map(|i| format!("S{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(violations(StockQuery::try_from(request(&refs, &[])).expect_err("too many")), ["skus"]);
    }

    #[test]
    fn get_product_needs_a_sku_or_a_name() {
        assert!(ProductRef::try_from(pb::GetProductRequest { product: None }).is_err());
        let by_name =
            pb::GetProductRequest { product: Some(pb::get_product_request::Product::Name("products/44".into())) };
        assert_eq!(ProductRef::try_from(by_name).expect("valid"), ProductRef::Id(44));
    }
}
