//! The reference: a bare tonic server answering gRPC health checks, with tonic's own rustls mutual
//! TLS when given the demo PKI's directory — the most a tonic server does on one core.

use std::{net::SocketAddr, path::Path};

use tonic::transport::{Certificate, Identity, Server, ServerTlsConfig};

/// Serves until killed: `--bare-server ADDR [PKI_DIR]`.
pub(crate) async fn serve(addr: SocketAddr, pki: Option<&Path>) {
    let (_reporter, health) = tonic_health::server::health_reporter();
    let mut builder = Server::builder();
    if let Some(dir) = pki {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("pki file");
        let tls = ServerTlsConfig::new()
            .identity(Identity::from_pem(read("server.pem"), read("server.key")))
            .client_ca_root(Certificate::from_pem(read("ca.pem")));
        builder = builder.tls_config(tls).expect("tls config");
    }
    builder.add_service(health).serve(addr).await.expect("bare server");
}
