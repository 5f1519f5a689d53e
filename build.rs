//! Compiles `proto/` into Rust without a system `protoc`: protox parses the files, tonic-prost-build
//! generates the code, and the encoded descriptor set is kept for gRPC server reflection.

use std::{env, path::PathBuf};

const PROTO_ROOT: &str = "proto";
const SERVICES: [&str; 4] = [
    "proto/odoomesh/inventory/v1/inventory_service.proto",
    "proto/odoomesh/order/v1/order_service.proto",
    "proto/odoomesh/shipment/v1/shipment_service.proto",
    "proto/odoomesh/finance/v1/finance_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let descriptors = protox::compile(SERVICES, [PROTO_ROOT])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("odoomesh_descriptor.bin"), prost::Message::encode_to_vec(&descriptors))?;
    // Every service and client encodes with odoo-mesh's codec (services/codec.rs: lean buffers).
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .codec_path("crate::codec::LeanCodec")
        .compile_fds(descriptors)?;
    Ok(())
}
