//! The mutual-TLS channel to odoo-mesh: the CA that signed its certificate, this client's
//! certificate and key, and one HTTP/2 connection that every service client shares.

use std::{
    fmt,
    path::{Path, PathBuf},
    time::Duration,
};

use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use crate::proto::{
    finance::v1::finance_service_client::FinanceServiceClient,
    inventory::v1::inventory_service_client::InventoryServiceClient,
    order::v1::order_service_client::OrderServiceClient, shipment::v1::shipment_service_client::ShipmentServiceClient,
};

/// How long connecting may take before it fails (`UNAVAILABLE` on a call over a lazy channel).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A watch stream can idle between heartbeats for as long as the server is configured to: HTTP/2
/// pings find a connection that died silently (a NAT or load balancer forgetting it), so the
/// stream ends with an error to resume from instead of waiting forever.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);
const KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS side of a connection to odoo-mesh, which requires a client certificate.
#[derive(Clone)]
pub struct Tls {
    ca: Certificate,
    identity: Identity,
    domain: Option<String>,
}

impl Tls {
    /// From PEM text: the CA bundle that signed the server's certificate, then this client's
    /// certificate chain and private key.
    pub fn from_pem(ca: impl AsRef<[u8]>, cert: impl AsRef<[u8]>, key: impl AsRef<[u8]>) -> Self {
        Self { ca: Certificate::from_pem(ca), identity: Identity::from_pem(cert, key), domain: None }
    }

    /// From PEM files, as [`Tls::from_pem`] (for example the `ca.pem`, `client.pem` and
    /// `client.key` that `odoo-mesh demo` writes).
    pub fn from_pem_files(ca: impl AsRef<Path>, cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Self::from_pem(read(ca.as_ref())?, read(cert.as_ref())?, read(key.as_ref())?))
    }

    /// The name the server's certificate must carry, when it is not the target's host (a server
    /// certificate for `localhost` reached as `127.0.0.1`, or through a load balancer).
    #[must_use]
    pub fn domain_name(mut self, name: impl Into<String>) -> Self {
        self.domain = Some(name.into());
        self
    }

    /// An endpoint to `target` (`https://host:port`, or `host:port`) over this TLS, to adjust
    /// (timeouts, limits) before connecting, or to connect lazily.
    pub fn endpoint(&self, target: &str) -> Result<Endpoint, Error> {
        let uri = if target.contains("://") { target.to_owned() } else { format!("https://{target}") };
        let mut tls = ClientTlsConfig::new().ca_certificate(self.ca.clone()).identity(self.identity.clone());
        if let Some(domain) = &self.domain {
            tls = tls.domain_name(domain.clone());
        }
        let invalid = |source| Error::Target { target: target.to_owned(), source };
        Ok(Endpoint::from_shared(uri)
            .map_err(invalid)?
            .tls_config(tls)
            .map_err(invalid)?
            .connect_timeout(CONNECT_TIMEOUT)
            .http2_keep_alive_interval(KEEP_ALIVE_INTERVAL)
            .keep_alive_timeout(KEEP_ALIVE_TIMEOUT)
            .keep_alive_while_idle(true))
    }
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the private key.
        f.debug_struct("Tls").field("domain", &self.domain).finish_non_exhaustive()
    }
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| Error::Read { path: path.to_owned(), source })
}

/// A channel to odoo-mesh at `target`, connected once (so a wrong address or certificate shows at
/// start). Afterwards the channel reconnects by itself when the connection drops; calls made while
/// it cannot fail with `UNAVAILABLE`.
pub async fn connect(target: &str, tls: &Tls) -> Result<Channel, Error> {
    let endpoint = tls.endpoint(target)?;
    endpoint.connect().await.map_err(|source| Error::Connect { target: target.to_owned(), source })
}

/// A client of each odoo-mesh service, all over one channel (clones are cheap and share it).
#[derive(Debug, Clone)]
pub struct Clients {
    pub inventory: InventoryServiceClient<Channel>,
    pub orders: OrderServiceClient<Channel>,
    pub shipments: ShipmentServiceClient<Channel>,
    pub finance: FinanceServiceClient<Channel>,
}

impl Clients {
    /// The four clients over `channel`.
    pub fn new(channel: Channel) -> Self {
        Self {
            inventory: InventoryServiceClient::new(channel.clone()),
            orders: OrderServiceClient::new(channel.clone()),
            shipments: ShipmentServiceClient::new(channel.clone()),
            finance: FinanceServiceClient::new(channel),
        }
    }

    /// The four clients over a channel to `target`, as [`connect`] makes it.
    pub async fn connect(target: &str, tls: &Tls) -> Result<Self, Error> {
        Ok(Self::new(connect(target, tls).await?))
    }
}

/// Why a channel could not be set up.
#[derive(Debug)]
pub enum Error {
    /// A certificate or key file could not be read.
    Read { path: PathBuf, source: std::io::Error },
    /// The target is not a URI, or tonic refused the TLS settings for it.
    Target { target: String, source: tonic::transport::Error },
    /// Connecting failed: nothing listens there, the server's certificate is not trusted, or the
    /// server refused this client's.
    Connect { target: String, source: tonic::transport::Error },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Target { target, source } => write!(f, "cannot use target {target}: {}", chain(source)),
            Self::Connect { target, source } => write!(f, "cannot connect to {target}: {}", chain(source)),
        }
    }
}

impl std::error::Error for Error {}

/// An error and its causes, since tonic's transport error alone says only "transport error".
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_cannot_be_read_is_named() {
        let error = Tls::from_pem_files("/nonexistent/ca.pem", "client.pem", "client.key").expect_err("no such file");
        assert!(error.to_string().starts_with("cannot read /nonexistent/ca.pem: "), "{error}");
    }

    #[test]
    fn the_private_key_never_shows_in_debug_output() {
        // Not a key: a marker standing in for the key file's bytes, which must not be shown.
        let tls = Tls::from_pem("CA", "CERT", "key-material-canary").domain_name("localhost");
        let shown = format!("{tls:?}");
        assert!(!shown.contains("key-material-canary"), "{shown}");
        assert!(shown.contains("localhost"), "{shown}");
    }
}
