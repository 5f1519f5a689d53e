//! Compiles `proto/` into the server side of odoo-mesh without a system `protoc`: protox parses
//! the files, tonic-prost-build generates the service traits, and the encoded descriptor set is
//! kept for gRPC server reflection. The messages, enums and clients are generated once, in the
//! client crate (`client/build.rs`), and reused here through `extern_path`.

use std::{env, path::PathBuf};

const PROTO_ROOT: &str = "proto";
const SERVICES: [&str; 4] = [
    "proto/odoomesh/inventory/v1/inventory_service.proto",
    "proto/odoomesh/order/v1/order_service.proto",
    "proto/odoomesh/shipment/v1/shipment_service.proto",
    "proto/odoomesh/finance/v1/finance_service.proto",
];
/// Every odoo-mesh package, each the client crate's module of the same name.
const PACKAGES: [&str; 5] = ["common", "inventory", "order", "shipment", "finance"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let descriptors = protox::compile(SERVICES, [PROTO_ROOT])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("odoomesh_descriptor.bin"), prost::Message::encode_to_vec(&descriptors))?;
    let mut builder = tonic_prost_build::configure()
        .build_client(false)
        .build_server(true)
        // Every service encodes with odoo-mesh's codec (services/codec.rs: lean buffers).
        .codec_path("crate::codec::LeanCodec");
    // google.protobuf stays prost-types' on both sides (prost-build's default), as the client's.
    for package in PACKAGES {
        builder =
            builder.extern_path(format!(".odoomesh.{package}.v1"), format!("::odoo_mesh_client::proto::{package}::v1"));
    }
    builder.compile_fds(descriptors)?;
    Ok(())
}
