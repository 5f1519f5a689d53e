//! The Odoo adapter: everything odoo-mesh knows about Odoo and nothing about protobuf. It speaks
//! JSON-RPC (Odoo 16-18) or JSON-2 (Odoo 19+) behind one client, decodes Odoo's errors into one
//! typed error, and reads Odoo's records into plain Rust models.

mod batch;
mod breaker;
mod changes;
mod client;
mod coalesce;
mod config;
mod error;
mod fields;
mod governor;
mod inventory;
pub mod models;
mod orders;
mod retry;
mod secret;
mod shipments;
mod transport;

pub use breaker::BreakerConfig;
pub use changes::{ChangeFeed, Changed, Polled, SALES_ORDER_SOURCES, SHIPMENT_SOURCES, STOCK_SOURCES, Source};
pub use client::{OdooClient, SearchOptions};
pub use config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, OdooConfig, Protocol};
pub use error::{OdooError, TransportFailure};
pub use fields::{odoo_datetime, round_to_precision};
pub use governor::{DEFAULT_MAX_CONCURRENCY, DEFAULT_QUEUE_TIMEOUT, Priority};
pub use inventory::Inventory;
pub use orders::{OrderError, Orders, Violation, XID_MODULE, idempotency_key};
pub use secret::Secret;
pub use shipments::Shipments;
pub use transport::{OdooCall, ServerVersion};
