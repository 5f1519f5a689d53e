//! How to reach Odoo.

use std::time::Duration;

use crate::Secret;

/// Which of Odoo's wire formats to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Protocol {
    /// Ask the server its version: JSON-2 from Odoo 19 on, JSON-RPC before.
    #[default]
    Auto,
    /// `/jsonrpc` with `execute_kw` (Odoo 16 to 18; deprecated from 19).
    JsonRpc,
    /// `/json/2/<model>/<method>` with a bearer API key (Odoo 19 and later).
    Json2,
}

impl std::str::FromStr for Protocol {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "jsonrpc" | "json-rpc" => Ok(Self::JsonRpc),
            "json2" | "json-2" => Ok(Self::Json2),
            other => Err(format!("unknown odoo protocol {other:?}: use auto, jsonrpc or json2")),
        }
    }
}

/// Everything the adapter needs to talk to one Odoo database.
#[derive(Debug, Clone)]
pub struct OdooConfig {
    /// Base URL of the Odoo server, for example `https://erp.example.com`.
    pub url: String,
    /// The database name; sent with every call.
    pub database: String,
    /// The login of the Odoo user odoo-mesh acts as.
    pub login: String,
    /// That user's API key (required for JSON-2) or password.
    pub secret: Secret,
    /// The file `secret` was read from, re-read when it changes (key rotation without a restart).
    pub secret_file: Option<std::path::PathBuf>,
    pub protocol: Protocol,
    /// Time allowed to open a TCP (and TLS) connection to Odoo.
    pub connect_timeout: Duration,
    /// Time allowed for one whole call.
    pub request_timeout: Duration,
    /// Most Odoo calls in progress at once (Odoo's worker capacity).
    pub max_concurrency: usize,
    /// Longest wait for a free slot before a call is refused.
    pub queue_timeout: Duration,
    /// When to stop calling an Odoo that is down, and for how long.
    pub breaker: crate::BreakerConfig,
}

/// Default time to open a connection to Odoo.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// Default time for one Odoo call; Odoo's own worker limit is far longer, our callers' patience is not.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
