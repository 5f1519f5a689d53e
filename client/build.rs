//! Compiles `../proto` into the client side of odoo-mesh's API, without a system `protoc`: protox
//! parses the files and tonic-prost-build generates the messages, enums and clients. The server
//! (the root package's `build.rs`) reuses these messages through `extern_path` and generates only
//! its service traits.

use std::path::Path;

const PROTO_ROOT: &str = "../proto";
const SERVICES: [&str; 4] = [
    "odoomesh/inventory/v1/inventory_service.proto",
    "odoomesh/order/v1/order_service.proto",
    "odoomesh/shipment/v1/shipment_service.proto",
    "odoomesh/finance/v1/finance_service.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    let files = SERVICES.map(|file| Path::new(PROTO_ROOT).join(file));
    let descriptors = protox::compile(files, [PROTO_ROOT])?;
    tonic_prost_build::configure().build_client(true).build_server(false).compile_fds(descriptors)?;
    Ok(())
}
