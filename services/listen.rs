//! Binding the listeners, with errors that name the setting to change.

use std::net::SocketAddr;

use anyhow::anyhow;
use tokio::net::TcpListener;

use crate::config::Config;

/// The gRPC and admin listeners, bound before anything is served.
pub struct Listeners {
    pub grpc: TcpListener,
    pub admin: TcpListener,
}

impl Listeners {
    /// Binds the two addresses of `odoo-mesh serve`.
    pub async fn bind(config: &Config) -> anyhow::Result<Self> {
        Ok(Self {
            grpc: bind(config.listen, "--listen or ODOO_MESH_LISTEN").await?,
            admin: bind(config.admin_listen, "--admin-listen or ODOO_MESH_ADMIN_LISTEN").await?,
        })
    }
}

/// A listener on `addr`; the error, in one line, names `setting`, where another address is chosen.
pub async fn bind(addr: SocketAddr, setting: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|error| cannot_listen(addr, &error, setting))
}

/// A listener on `addr` or, when that port is taken, on a free one of the same interface: for
/// the demo, whose default ports a developer's own Odoo (8069) or other services often hold.
/// Says whether it fell back.
pub async fn bind_or_free_port(addr: SocketAddr, setting: &str) -> anyhow::Result<(TcpListener, bool)> {
    match TcpListener::bind(addr).await {
        Ok(listener) => Ok((listener, false)),
        Err(error) if error.kind() == std::io::ErrorKind::AddrInUse && addr.port() != 0 => {
            Ok((bind(SocketAddr::new(addr.ip(), 0), setting).await?, true))
        }
        Err(error) => Err(cannot_listen(addr, &error, setting)),
    }
}

fn cannot_listen(addr: SocketAddr, error: &std::io::Error, setting: &str) -> anyhow::Error {
    anyhow!("cannot listen on {addr}: {error}; choose another with {setting}")
}
