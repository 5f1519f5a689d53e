//! odoo-mesh: typed, versioned gRPC APIs over Odoo for the services of a distribution business.
//!
//! A request enters through tonic (`server`), is converted from protobuf once at the edge (each
//! service's `convert` module), runs as a domain call on the adapter (`odoo_adapter`), which turns
//! it into Odoo JSON-RPC or JSON-2, and Odoo's answer or error comes back as a gRPC status through
//! one table (`error`).

pub mod admin;
pub mod audit;
pub mod authz;
pub mod backends;
pub mod check;
pub mod codec;
pub mod config;
mod convert;
pub mod deadline;
pub mod demo;
mod deprecation;
mod edge;
mod error;
pub mod finance;
#[doc(hidden)]
pub mod fuzzing;
mod health;
pub mod identity;
pub mod inventory;
mod io;
pub mod listen;
pub mod observability;
pub mod order;
pub mod pki;
pub mod policy;
pub mod server;
pub mod shipment;
mod stream;
pub mod telemetry;
pub mod tls;
pub mod watch;

/// odoo-mesh's API: the messages, enums and clients of the client crate (`odoo_mesh_client`), and
/// the service traits generated from `proto/` by `build.rs`.
#[allow(unreachable_pub, clippy::all, clippy::pedantic, missing_docs)]
pub mod proto {
    pub mod common {
        pub mod v1 {
            pub use odoo_mesh_client::proto::common::v1::*;
        }
    }
    pub mod inventory {
        pub mod v1 {
            pub use odoo_mesh_client::proto::inventory::v1::*;
            tonic::include_proto!("odoomesh.inventory.v1");
        }
    }
    pub mod order {
        pub mod v1 {
            pub use odoo_mesh_client::proto::order::v1::*;
            tonic::include_proto!("odoomesh.order.v1");
        }
    }
    pub mod shipment {
        pub mod v1 {
            pub use odoo_mesh_client::proto::shipment::v1::*;
            tonic::include_proto!("odoomesh.shipment.v1");
        }
    }
    pub mod finance {
        pub mod v1 {
            pub use odoo_mesh_client::proto::finance::v1::*;
            tonic::include_proto!("odoomesh.finance.v1");
        }
    }

    /// Every odoo-mesh message and service, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/odoomesh_descriptor.bin"));
}

pub use edge::TokenKey;
pub use error::ApiError;
