//! The Odoo adapter: everything odoo-mesh knows about Odoo and nothing about protobuf.
//!
//! - `call`: one client for JSON-RPC (Odoo 18) and JSON-2 (Odoo 19), guarded by a breaker, a
//!   governor, retries and read coalescing, with one typed error (`error`).
//! - `odoo`: the model layer — one module per Odoo model, the only place Odoo's field names,
//!   methods and states are written, resolved per connected server.
//! - `command`: the one mechanism behind every idempotent write.
//! - `sales`, `purchase`, `inventory`, `shipments`: the business flows, in plain Rust types
//!   (`models`); `changes`: the change feeds behind the watch streams.

pub mod adjustments;
mod call;
mod changes;
mod command;
mod config;
mod error;
pub mod finance;
#[doc(hidden)]
pub mod fuzzing;
mod inventory;
pub mod models;
mod odoo;
mod orders;
mod purchase;
mod resolve;
mod sales;
mod secret;
mod shipments;

pub use call::{
    BreakerConfig, DEFAULT_MAX_CONCURRENCY, DEFAULT_QUEUE_TIMEOUT, OdooCall, OdooClient, Priority, SearchOptions,
    ServerVersion,
};
pub use changes::{
    ChangeFeed, Changed, INVOICE_SOURCES, Polled, SALES_ORDER_SOURCES, SHIPMENT_SOURCES, STOCK_SOURCES, Source,
};
pub use command::{FlowError, Violation, ledger::idempotency_key};
pub use config::{DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, OdooConfig, Protocol};
pub use error::{OdooError, TransportFailure};
pub use finance::Finance;
pub use inventory::Inventory;
pub use odoo::{
    Availability, Capability, DecodeError, Odoo, Report, SUPPORTED_VERSIONS, Schema, ir_model_data::XID_MODULE,
    odoo_datetime, round_to_precision,
};
pub use odoo::{
    datetime::{EARLIEST as EARLIEST_ODOO_DATETIME, LATEST as LATEST_ODOO_DATETIME},
    purchase_order::PurchaseOrders,
    sale_order::SalesOrders,
};
pub use orders::Orders;
pub use purchase::Purchases;
pub use sales::Sales;
pub use secret::Secret;
pub use shipments::{AsnDraft, Shipments, Validated, Validation};
