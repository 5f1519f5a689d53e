//! What the example does, as a service on odoo-mesh would start: connect over mutual TLS, watch
//! the stock of a product, sell some of it exactly once, and see the reservation arrive on the
//! watch.

use std::{
    error::Error,
    path::PathBuf,
    time::{SystemTime, UNIX_EPOCH},
};

use odoo_mesh_client::{
    Clients, Tls,
    proto::{
        common::v1::{Address, Quantity},
        inventory::v1::{
            GetStockLevelsRequest, ListProductsRequest, ListWarehousesRequest, SkuStatus, StockLevel, WatchEventType,
            inventory_service_client::InventoryServiceClient,
        },
        order::v1::{CreateSalesOrderRequest, NewPartner, PartnerSelector, SalesOrderLineInput, partner_selector},
    },
    tonic::transport::Channel,
};

use crate::{
    orders::{RetryPolicy, create_sales_order},
    stock::StockWatch,
};

/// Where odoo-mesh is and what to do there.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// `https://host:port` of odoo-mesh's gRPC listener.
    pub(crate) target: String,
    /// A directory with `ca.pem` (the CA of odoo-mesh's certificate), `client.pem` and `client.key`
    /// (this client's), as `odoo-mesh demo` writes them.
    pub(crate) certs: PathBuf,
    /// The name on the server's certificate, when the target's host is not it.
    pub(crate) domain: Option<String>,
    /// The product to sell and watch; else the first with stock.
    pub(crate) sku: Option<String>,
    /// The customer's e-mail: the partner with it, or a new one.
    pub(crate) customer_email: String,
    /// Resume the stock watch after this token, printed by an earlier run, instead of starting
    /// with the current levels.
    pub(crate) resume_token: Option<String>,
    /// How the order is retried.
    pub(crate) retry: RetryPolicy,
    /// Keep watching (and printing) after the reservation arrived.
    pub(crate) follow: bool,
}

/// What a run did.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) order: String,
    /// Whether the answer replayed an earlier try's work (its answer was lost, its deadline passed).
    pub(crate) replayed: bool,
    pub(crate) request_id: String,
    pub(crate) sku: String,
    pub(crate) warehouse: String,
    /// The product's levels as the watch delivered them after the order.
    pub(crate) level: StockLevel,
}

/// The quantity the example sells.
const QUANTITY: &str = "1";

pub(crate) async fn run(settings: &Settings) -> Result<Outcome, Box<dyn Error>> {
    let certs = &settings.certs;
    let mut tls = Tls::from_pem_files(certs.join("ca.pem"), certs.join("client.pem"), certs.join("client.key"))?;
    if let Some(domain) = &settings.domain {
        tls = tls.domain_name(domain);
    }
    let mut clients = Clients::connect(&settings.target, &tls).await?;
    let warehouse = clients
        .inventory
        .list_warehouses(ListWarehousesRequest {})
        .await?
        .into_inner()
        .warehouses
        .into_iter()
        .next()
        .ok_or("odoo has no warehouse")?
        .name;
    let sku = match &settings.sku {
        Some(sku) => sku.clone(),
        None => a_stocked_sku(&mut clients.inventory, &warehouse).await?,
    };

    // What is reserved now, as Odoo says: the order's reservation shows as more than this.
    let reserved_before = reserved(&levels_now(&mut clients.inventory, &sku, &warehouse).await?);

    // Watch before selling, so that the order's reservation arrives as a change.
    let mut watch = StockWatch::new(clients.inventory.clone(), vec![sku.clone()], vec![warehouse.clone()]);
    if let Some(token) = &settings.resume_token {
        watch = watch.resuming_after(token.clone());
        println!("watching {sku} in {warehouse}, resuming after the token given");
    } else {
        loop {
            let event = watch.next().await?;
            if event.r#type() == WatchEventType::SnapshotEnd {
                break;
            }
        }
        let level = watch.level(&sku, &warehouse).ok_or("the snapshot has no levels of the product")?;
        println!("watching {sku} in {warehouse}: {}", describe(level));
    }

    // The request_id is chosen once, before the first try; every retry sends the same.
    let request_id = format!("rust-client-{}", SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos());
    let request = order_request(&request_id, &settings.customer_email, &sku, &warehouse);
    // An invalid order comes back with every bad field named (OrderError::Invalid), printed by main.
    let created = create_sales_order(&mut clients.orders, &request, &settings.retry).await?;
    let order = created.sales_order.map(|order| order.name).unwrap_or_default();
    let replayed = created.replayed;
    let how = if replayed { "already created by an earlier try" } else { "created" };
    println!("order {order} {how} (request_id {request_id})");

    let wanted = reserved_before + QUANTITY.parse::<f64>()?;
    let level = loop {
        let event = watch.next().await?;
        if event.r#type() != WatchEventType::Changed || event.sku != sku {
            continue;
        }
        let Some(level) = event.level else { continue };
        println!("revision {}: {sku} {}", watch.revision(), describe(&level));
        // Odoo's quantities are decimals in text; a float is enough to compare them here.
        if reserved(&level) >= wanted {
            break level;
        }
    };
    if settings.follow {
        // Until the watch fails for good (or the process is stopped).
        loop {
            let event = watch.next().await?;
            if let Some(level) = &event.level {
                println!("revision {}: {} {}", watch.revision(), event.sku, describe(level));
            }
        }
    }
    // A service keeps this token (with what it learnt from the events) to resume after a restart.
    println!("resume token: {}", watch.resume_token());
    Ok(Outcome { order, replayed, request_id, sku, warehouse, level })
}

/// An order of [`QUANTITY`] of `sku` from `warehouse`, confirmed, for the customer with this
/// e-mail (a new partner if none has it), under `request_id`; the same id is the order's reference.
pub(crate) fn order_request(
    request_id: &str,
    customer_email: &str,
    sku: &str,
    warehouse: &str,
) -> CreateSalesOrderRequest {
    CreateSalesOrderRequest {
        request_id: request_id.into(),
        customer: Some(PartnerSelector {
            selector: Some(partner_selector::Selector::NewPartner(NewPartner {
                display_name: "Rust client example".into(),
                address: Some(Address { email: customer_email.into(), ..Default::default() }),
                ..Default::default()
            })),
        }),
        warehouse: warehouse.into(),
        lines: vec![SalesOrderLineInput {
            sku: sku.into(),
            quantity: Some(Quantity { value: QUANTITY.into(), unit_of_measure: String::new() }),
            ..Default::default()
        }],
        customer_reference: request_id.into(),
        confirm: true,
        ..Default::default()
    }
}

/// The first storable, sellable product with stock available in `warehouse`.
async fn a_stocked_sku(
    inventory: &mut InventoryServiceClient<Channel>,
    warehouse: &str,
) -> Result<String, Box<dyn Error>> {
    let products = inventory
        .list_products(ListProductsRequest { page_size: 200, ..Default::default() })
        .await?
        .into_inner()
        .products;
    let skus = products.into_iter().filter(|p| p.is_storable && p.sale_ok && !p.sku.is_empty()).map(|p| p.sku);
    let request =
        GetStockLevelsRequest { skus: skus.collect(), warehouses: vec![warehouse.into()], max_staleness: None };
    let levels = inventory.get_stock_levels(request).await?.into_inner();
    levels
        .items
        .into_iter()
        .filter(|item| item.status() == SkuStatus::Found)
        .find(|item| item.levels.first().is_some_and(|level| available(level) >= 1.0))
        .map(|item| item.sku)
        .ok_or_else(|| format!("no product has stock in {warehouse}").into())
}

async fn levels_now(
    inventory: &mut InventoryServiceClient<Channel>,
    sku: &str,
    warehouse: &str,
) -> Result<StockLevel, Box<dyn Error>> {
    let request =
        GetStockLevelsRequest { skus: vec![sku.into()], warehouses: vec![warehouse.into()], max_staleness: None };
    let item = inventory.get_stock_levels(request).await?.into_inner().items.into_iter().next();
    let item = item.filter(|item| item.status() == SkuStatus::Found).ok_or_else(|| format!("no product {sku}"))?;
    Ok(item.levels.into_iter().next().ok_or_else(|| format!("no levels of {sku} in {warehouse}"))?)
}

fn number(quantity: Option<&Quantity>) -> f64 {
    quantity.and_then(|q| q.value.parse().ok()).unwrap_or_default()
}

fn reserved(level: &StockLevel) -> f64 {
    number(level.reserved.as_ref())
}

fn available(level: &StockLevel) -> f64 {
    number(level.available_to_promise.as_ref())
}

/// A product's levels in words.
pub(crate) fn describe(level: &StockLevel) -> String {
    let unit = level.on_hand.as_ref().map(|q| q.unit_of_measure.as_str()).unwrap_or_default();
    format!(
        "on hand {}, reserved {}, available {} {unit}",
        number(level.on_hand.as_ref()),
        reserved(level),
        available(level)
    )
}
