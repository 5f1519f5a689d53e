//! The Rust client of odoo-mesh: its v1 messages and service clients, the mutual-TLS channel, and
//! helpers to read the `google.rpc` details of its errors.
//!
//! It depends on what a client needs and nothing of the server (no Odoo adapter, no tonic server).
//! [`tonic`] and [`prost_types`] are re-exported, so a service needs no versions of its own to name
//! a [`Status`](tonic::Status) or a [`Timestamp`](prost_types::Timestamp).
//!
//! ```no_run
//! use odoo_mesh_client::{Clients, Retry, Tls, field_violations, proto::inventory::v1 as inventory};
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! // The CA that signed odoo-mesh's certificate, then this service's own certificate and key.
//! let tls = Tls::from_pem_files("certs/ca.pem", "certs/client.pem", "certs/client.key")?;
//! let mut clients = Clients::connect("https://odoo-mesh.internal:50051", &tls).await?;
//! let request = inventory::GetStockLevelsRequest { skus: vec!["FURN_5555".into()], ..Default::default() };
//! match clients.inventory.get_stock_levels(request).await {
//!     Ok(levels) => println!("{:?}", levels.into_inner().items),
//!     Err(status) => {
//!         for violation in field_violations(&status) {
//!             eprintln!("{}: {}", violation.field, violation.description);
//!         }
//!         if let Retry::After(delay) = Retry::of(&status) {
//!             eprintln!("try again in {delay:?}");
//!         }
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The server's certificate is checked for the target's host; [`Tls::domain_name`] names another
//! (`odoo-mesh demo`'s certificate is for `localhost`). Writes that take a `request_id` (creating
//! orders, validating shipments, payments...) are safe to send again with the same id:
//! [`Retry::of`] says when that can help and how long to wait. The repository's
//! `examples/rust_client/` shows a whole service's start: an order created exactly once, and a
//! stock watch that resumes after dropped streams.

mod channel;
mod details;

pub use channel::{Clients, Error, Tls, connect};
pub use details::{Retry, error_reason, field_violations, precondition_violations, resume_token, retry_delay};
pub use tonic_types::{FieldViolation, PreconditionViolation};
pub use {prost_types, tonic};

/// One module per odoo-mesh package, holding what `build.rs` generated for its `v1`.
macro_rules! packages {
    ($($(#[doc = $doc:literal])* $name:ident: $package:literal;)*) => {$(
        $(#[doc = $doc])*
        pub mod $name {
            pub mod v1 {
                tonic::include_proto!($package);
            }
        }
    )*};
}

/// Code generated from odoo-mesh's `proto/`: one module per package, with its messages, enums
/// and the client of its service (`inventory_service_client::InventoryServiceClient`...).
#[allow(unreachable_pub, clippy::all, clippy::pedantic, missing_docs)]
pub mod proto {
    packages! {
        /// Types shared by every service: `Money`, `Quantity`, `Address`, `RecordRef`.
        common: "odoomesh.common.v1";
        /// `InventoryService`: warehouses, products, stock levels, adjustments, the stock watch.
        inventory: "odoomesh.inventory.v1";
        /// `OrderService`: sales and purchase orders.
        order: "odoomesh.order.v1";
        /// `ShipmentService`: deliveries, receipts, returns, tracking.
        shipment: "odoomesh.shipment.v1";
        /// `FinanceService`: invoices, payments, credit notes, supplier bills, balances.
        finance: "odoomesh.finance.v1";
    }
}
