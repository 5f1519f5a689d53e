//! The one typed configuration of `odoo-mesh serve`: from flags, then environment variables, then an
//! optional TOML file, then the defaults below. Secrets are read from files or environment only.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};
use clap::Args;
use odoo_adapter::{
    BreakerConfig, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_CONCURRENCY, DEFAULT_QUEUE_TIMEOUT, DEFAULT_REQUEST_TIMEOUT,
    OdooConfig, Protocol, Secret,
};
use serde::Deserialize;

use crate::watch::{CaptureSettings, Retention, StreamSettings};

/// Where gRPC is served by default.
pub const DEFAULT_LISTEN: &str = "0.0.0.0:50051";
/// Where health and metrics are served by default.
pub const DEFAULT_ADMIN_LISTEN: &str = "0.0.0.0:9090";
/// How often Odoo is probed for the health status.
pub const DEFAULT_HEALTH_INTERVAL: Duration = Duration::from_secs(5);
/// The Odoo login when none is configured.
pub const DEFAULT_ODOO_LOGIN: &str = "admin";
/// How often certificate and policy files are checked for changes.
pub const DEFAULT_RELOAD_INTERVAL: Duration = Duration::from_secs(2);
/// How long a shutdown lets in-flight calls finish: under Kubernetes' default 30 s termination grace.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// How often the watched views poll Odoo for changes (a webhook makes it sooner).
pub const DEFAULT_WATCH_POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How far behind its newest stamp every poll looks again: at least Odoo's `limit_time_real`
/// (120 s by default), the longest a transaction can stay open before it commits.
pub const DEFAULT_WATCH_OVERLAP: Duration = Duration::from_secs(180);
/// How often the watched views are compared with all of Odoo.
pub const DEFAULT_WATCH_RECONCILE_INTERVAL: Duration = Duration::from_secs(600);
/// How old a resume token may be.
pub const DEFAULT_WATCH_RETENTION: Duration = Duration::from_secs(3600);
/// The most changes a view's log keeps, whatever the retention.
pub const DEFAULT_WATCH_LOG_CAPACITY: usize = 100_000;
/// How often an idle watch stream gets a heartbeat.
pub const DEFAULT_WATCH_HEARTBEAT: Duration = Duration::from_secs(15);
/// How many revisions a stream may fall behind before it is ended as too slow.
pub const DEFAULT_WATCH_MAX_LAG: u64 = 10_000;
/// Events buffered per watch stream.
pub const WATCH_BUFFER: usize = 64;
/// After an Odoo webhook, the wait before polling: Odoo calls from inside its transaction, which
/// usually commits within milliseconds.
pub const WEBHOOK_POLL_DELAY: Duration = Duration::from_millis(50);
/// After an Odoo webhook, a second poll this much later, for a transaction slower to commit.
pub const WEBHOOK_FOLLOW_UP: Duration = Duration::from_secs(1);

/// Flags of `odoo-mesh serve`. Every flag can also come from the environment variable shown, or from
/// the same key (without the `--`, dashes as underscores) in the `--config` file.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// TOML file with any of the settings below; flags and environment win over it.
    #[arg(long, env = "ODOO_MESH_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address of the gRPC listener [default: 0.0.0.0:50051].
    #[arg(long, env = "ODOO_MESH_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Address of the plaintext admin listener: gRPC health, /metrics, /live, /ready [default: 0.0.0.0:9090].
    #[arg(long, env = "ODOO_MESH_ADMIN_LISTEN")]
    pub admin_listen: Option<SocketAddr>,
    /// PEM file of the server certificate chain.
    #[arg(long, env = "ODOO_MESH_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// PEM file of the server private key.
    #[arg(long, env = "ODOO_MESH_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// PEM file of the CA bundle client certificates must chain to; client certificates are required.
    #[arg(long, env = "ODOO_MESH_CLIENT_CA")]
    pub client_ca: Option<PathBuf>,
    /// Serve gRPC without TLS. Only behind a mesh sidecar that already terminates mutual TLS.
    #[arg(long, env = "ODOO_MESH_PLAINTEXT", num_args = 0..=1, default_missing_value = "true")]
    pub plaintext: Option<bool>,
    /// With --plaintext: take callers' identities from the sidecar's x-forwarded-client-cert header
    /// (only on connections from the local host).
    #[arg(long, env = "ODOO_MESH_TRUST_FORWARDED_CLIENT_CERT", num_args = 0..=1, default_missing_value = "true")]
    pub trust_forwarded_client_cert: Option<bool>,
    /// Authorization policy file (TOML); without one every business method is denied.
    #[arg(long, env = "ODOO_MESH_POLICY")]
    pub policy: Option<PathBuf>,
    /// File the audit trail is appended to as JSON lines (it always goes to the log too).
    #[arg(long, env = "ODOO_MESH_AUDIT_LOG")]
    pub audit_log: Option<PathBuf>,
    /// How often certificate and policy files are checked for changes [default: 2s].
    #[arg(long, env = "ODOO_MESH_RELOAD_INTERVAL", value_parser = humantime::parse_duration)]
    pub reload_interval: Option<Duration>,
    /// How long a shutdown (SIGTERM) lets in-flight calls finish before closing them [default: 20s].
    #[arg(long, env = "ODOO_MESH_SHUTDOWN_GRACE", value_parser = humantime::parse_duration)]
    pub shutdown_grace: Option<Duration>,
    /// Base URL of Odoo, for example https://erp.example.com.
    #[arg(long, env = "ODOO_URL")]
    pub odoo_url: Option<String>,
    /// Odoo database name.
    #[arg(long, env = "ODOO_DB")]
    pub odoo_db: Option<String>,
    /// Login of the Odoo user odoo-mesh acts as [default: admin].
    #[arg(long, env = "ODOO_USER")]
    pub odoo_user: Option<String>,
    /// File holding that user's API key (the API key may also come from ODOO_API_KEY).
    #[arg(long, env = "ODOO_API_KEY_FILE")]
    pub odoo_api_key_file: Option<PathBuf>,
    /// File holding that user's password, for JSON-RPC without an API key (or ODOO_PASSWORD).
    #[arg(long, env = "ODOO_PASSWORD_FILE")]
    pub odoo_password_file: Option<PathBuf>,
    /// Odoo wire format: auto, jsonrpc or json2 [default: auto, JSON-2 from Odoo 19].
    #[arg(long, env = "ODOO_PROTOCOL")]
    pub odoo_protocol: Option<Protocol>,
    /// Time to open a connection to Odoo, for example 3s [default: 3s].
    #[arg(long, env = "ODOO_CONNECT_TIMEOUT", value_parser = humantime::parse_duration)]
    pub odoo_connect_timeout: Option<Duration>,
    /// Time for one Odoo call [default: 30s].
    #[arg(long, env = "ODOO_REQUEST_TIMEOUT", value_parser = humantime::parse_duration)]
    pub odoo_request_timeout: Option<Duration>,
    /// Most Odoo calls in progress at once; set it to Odoo's worker capacity [default: 8].
    #[arg(long, env = "ODOO_MAX_CONCURRENCY")]
    pub odoo_max_concurrency: Option<usize>,
    /// Longest wait for a free Odoo slot before a call gets RESOURCE_EXHAUSTED [default: 2s].
    #[arg(long, env = "ODOO_QUEUE_TIMEOUT", value_parser = humantime::parse_duration)]
    pub odoo_queue_timeout: Option<Duration>,
    /// Consecutive failures finding Odoo down after which calls fail fast [default: 5].
    #[arg(long, env = "ODOO_BREAKER_FAILURES")]
    pub odoo_breaker_failures: Option<u32>,
    /// How long calls fail fast before Odoo is tried again [default: 5s].
    #[arg(long, env = "ODOO_BREAKER_COOLDOWN", value_parser = humantime::parse_duration)]
    pub odoo_breaker_cooldown: Option<Duration>,
    /// How often Odoo is probed for health [default: 5s].
    #[arg(long, env = "ODOO_MESH_HEALTH_INTERVAL", value_parser = humantime::parse_duration)]
    pub health_interval: Option<Duration>,
    /// How often watched views poll Odoo for changes [default: 2s]
    #[arg(long, env = "ODOO_MESH_WATCH_POLL_INTERVAL", value_parser = humantime::parse_duration)]
    pub watch_poll_interval: Option<Duration>,
    /// How far behind the newest change every poll looks again; at least Odoo's limit_time_real [default: 3m]
    #[arg(long, env = "ODOO_MESH_WATCH_OVERLAP", value_parser = humantime::parse_duration)]
    pub watch_overlap: Option<Duration>,
    /// How often watched views are reconciled with all of Odoo [default: 10m]
    #[arg(long, env = "ODOO_MESH_WATCH_RECONCILE_INTERVAL", value_parser = humantime::parse_duration)]
    pub watch_reconcile_interval: Option<Duration>,
    /// How old a resume token may be before the client must list again [default: 1h]
    #[arg(long, env = "ODOO_MESH_WATCH_RETENTION", value_parser = humantime::parse_duration)]
    pub watch_retention: Option<Duration>,
    /// The most changes kept per watched view [default: 100000]
    #[arg(long, env = "ODOO_MESH_WATCH_LOG_CAPACITY")]
    pub watch_log_capacity: Option<usize>,
    /// Heartbeat interval of idle watch streams [default: 15s]
    #[arg(long, env = "ODOO_MESH_WATCH_HEARTBEAT", value_parser = humantime::parse_duration)]
    pub watch_heartbeat: Option<Duration>,
    /// Revisions a watch stream may fall behind before it is ended as too slow [default: 10000]
    #[arg(long, env = "ODOO_MESH_WATCH_MAX_LAG")]
    pub watch_max_lag: Option<u64>,
    /// File holding the shared secret Odoo's webhook must present (or ODOO_MESH_WEBHOOK_SECRET); no webhook without it
    #[arg(long, env = "ODOO_MESH_WEBHOOK_SECRET_FILE")]
    pub webhook_secret_file: Option<PathBuf>,
    /// Log format: text or json [default: json].
    #[arg(long, env = "ODOO_MESH_LOG_FORMAT")]
    pub log_format: Option<LogFormat>,
    /// OpenTelemetry collector to export spans to over OTLP/HTTP, e.g. http://otel-collector:4318 [default: no export]
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    pub otlp_endpoint: Option<String>,
}

/// The same settings in a TOML file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub admin_listen: Option<SocketAddr>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub client_ca: Option<PathBuf>,
    pub plaintext: Option<bool>,
    pub trust_forwarded_client_cert: Option<bool>,
    pub policy: Option<PathBuf>,
    pub audit_log: Option<PathBuf>,
    #[serde(default, with = "humantime_serde_opt")]
    pub reload_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    pub shutdown_grace: Option<Duration>,
    pub odoo_url: Option<String>,
    pub odoo_db: Option<String>,
    pub odoo_user: Option<String>,
    pub odoo_api_key_file: Option<PathBuf>,
    pub odoo_password_file: Option<PathBuf>,
    pub odoo_protocol: Option<String>,
    #[serde(default, with = "humantime_serde_opt")]
    pub odoo_connect_timeout: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    pub odoo_request_timeout: Option<Duration>,
    pub odoo_max_concurrency: Option<usize>,
    #[serde(default, with = "humantime_serde_opt")]
    pub odoo_queue_timeout: Option<Duration>,
    pub odoo_breaker_failures: Option<u32>,
    #[serde(default, with = "humantime_serde_opt")]
    pub odoo_breaker_cooldown: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    pub health_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    pub watch_poll_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    pub watch_overlap: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    pub watch_reconcile_interval: Option<Duration>,
    #[serde(default, with = "humantime_serde_opt")]
    pub watch_retention: Option<Duration>,
    pub watch_log_capacity: Option<usize>,
    #[serde(default, with = "humantime_serde_opt")]
    pub watch_heartbeat: Option<Duration>,
    pub watch_max_lag: Option<u64>,
    pub webhook_secret_file: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub otlp_endpoint: Option<String>,
    /// Identities acting in Odoo as their own Odoo user (file only).
    #[serde(default)]
    pub odoo_credentials: Vec<OdooCredentials>,
}

/// Callers matching `identities` act in Odoo as `login`, with that user's key or password.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OdooCredentials {
    pub identities: Vec<String>,
    pub login: String,
    pub api_key_file: Option<PathBuf>,
    pub password_file: Option<PathBuf>,
}

mod humantime_serde_opt {
    use serde::{Deserialize, Deserializer};
    use std::time::Duration;

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|s| humantime::parse_duration(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    #[default]
    Json,
}

/// How gRPC is secured.
#[derive(Debug, Clone)]
pub enum Transport {
    /// Mutual TLS: the server presents its certificate, clients must present one from the client CA.
    MutualTls(crate::tls::TlsFiles),
    /// No TLS, for a mesh sidecar that terminates mutual TLS itself; identities come from its
    /// forwarded-client-cert header only when trusted.
    Plaintext { trust_forwarded_client_cert: bool },
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub transport: Transport,
    pub odoo: OdooConfig,
    pub health_interval: Duration,
    pub log_format: LogFormat,
    /// The authorization policy file; `None` denies every business method.
    pub policy: Option<PathBuf>,
    /// The audit file, in addition to the log.
    pub audit_log: Option<PathBuf>,
    /// Identity patterns mapped to the Odoo user they act as; others act as `odoo`'s user.
    pub odoo_credentials: Vec<(Vec<String>, OdooConfig)>,
    pub reload_interval: Duration,
    pub shutdown_grace: Duration,
    pub watch: WatchConfig,
    /// Where spans are exported (OTLP/HTTP); none when unset.
    pub otlp_endpoint: Option<String>,
}

/// How watched views follow Odoo and how their streams behave.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    pub capture: CaptureSettings,
    pub retention: Retention,
    pub stream: StreamSettings,
    /// The secret Odoo's webhook presents; the webhook endpoint is off without one.
    pub webhook_secret: Option<Secret>,
}

impl Default for WatchConfig {
    fn default() -> Self {
        Self {
            capture: CaptureSettings {
                poll_interval: DEFAULT_WATCH_POLL_INTERVAL,
                reconcile_interval: DEFAULT_WATCH_RECONCILE_INTERVAL,
                webhook_delay: WEBHOOK_POLL_DELAY,
                webhook_follow_up: WEBHOOK_FOLLOW_UP,
            },
            retention: Retention {
                window: DEFAULT_WATCH_RETENTION,
                capacity: DEFAULT_WATCH_LOG_CAPACITY,
                overlap: DEFAULT_WATCH_OVERLAP,
            },
            stream: StreamSettings {
                heartbeat: DEFAULT_WATCH_HEARTBEAT,
                max_lag: DEFAULT_WATCH_MAX_LAG,
                buffer: WATCH_BUFFER,
            },
            webhook_secret: None,
        }
    }
}

impl Config {
    /// Merges flags and environment (already in `args`) over the file over the defaults.
    pub fn resolve(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        let listen = args.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("valid default"));
        let admin_listen = args
            .admin_listen
            .or(file.admin_listen)
            .unwrap_or_else(|| DEFAULT_ADMIN_LISTEN.parse().expect("valid default"));
        let plaintext = args.plaintext.or(file.plaintext).unwrap_or(false);
        let tls = (
            args.tls_cert.clone().or(file.tls_cert.clone()),
            args.tls_key.clone().or(file.tls_key.clone()),
            args.client_ca.clone().or(file.client_ca.clone()),
        );
        let trust_forwarded_client_cert =
            args.trust_forwarded_client_cert.or(file.trust_forwarded_client_cert).unwrap_or(false);
        let transport = match (plaintext, tls) {
            (true, (None, None, None)) => Transport::Plaintext { trust_forwarded_client_cert },
            (true, _) => bail!("--plaintext and TLS files were both given: choose one"),
            (false, _) if trust_forwarded_client_cert => {
                bail!("--trust-forwarded-client-cert only applies with --plaintext behind a mesh sidecar")
            }
            (false, (Some(cert), Some(key), Some(client_ca))) => {
                Transport::MutualTls(crate::tls::TlsFiles { cert, key, client_ca })
            }
            (false, _) => bail!(
                "mutual TLS needs --tls-cert, --tls-key and --client-ca (or --plaintext behind a mesh that does mTLS)"
            ),
        };
        let odoo = odoo_config(&args, &file)?;
        let mut config = Self {
            listen,
            admin_listen,
            transport,
            odoo,
            health_interval: args.health_interval.or(file.health_interval).unwrap_or(DEFAULT_HEALTH_INTERVAL),
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            policy: args.policy.or(file.policy),
            audit_log: args.audit_log.or(file.audit_log.clone()),
            odoo_credentials: Vec::new(),
            reload_interval: args.reload_interval.or(file.reload_interval).unwrap_or(DEFAULT_RELOAD_INTERVAL),
            shutdown_grace: args.shutdown_grace.or(file.shutdown_grace).unwrap_or(DEFAULT_SHUTDOWN_GRACE),
            watch: WatchConfig::default(),
            otlp_endpoint: args.otlp_endpoint.or(file.otlp_endpoint).filter(|e| !e.is_empty()),
        };
        let watch = &mut config.watch;
        watch.capture.poll_interval =
            args.watch_poll_interval.or(file.watch_poll_interval).unwrap_or(DEFAULT_WATCH_POLL_INTERVAL);
        watch.capture.reconcile_interval =
            args.watch_reconcile_interval.or(file.watch_reconcile_interval).unwrap_or(DEFAULT_WATCH_RECONCILE_INTERVAL);
        watch.retention = Retention {
            window: args.watch_retention.or(file.watch_retention).unwrap_or(DEFAULT_WATCH_RETENTION),
            capacity: args.watch_log_capacity.or(file.watch_log_capacity).unwrap_or(DEFAULT_WATCH_LOG_CAPACITY),
            overlap: args.watch_overlap.or(file.watch_overlap).unwrap_or(DEFAULT_WATCH_OVERLAP),
        };
        watch.stream.heartbeat = args.watch_heartbeat.or(file.watch_heartbeat).unwrap_or(DEFAULT_WATCH_HEARTBEAT);
        watch.stream.max_lag = args.watch_max_lag.or(file.watch_max_lag).unwrap_or(DEFAULT_WATCH_MAX_LAG);
        watch.webhook_secret = match args.webhook_secret_file.or(file.webhook_secret_file) {
            Some(path) => Some(
                Secret::from_file(&path)
                    .with_context(|| format!("--webhook-secret-file {}: cannot read it", path.display()))?,
            ),
            None => std::env::var("ODOO_MESH_WEBHOOK_SECRET").ok().filter(|v| !v.is_empty()).map(Secret::new),
        };
        if watch.retention.window <= watch.stream.heartbeat {
            bail!("--watch-retention must be longer than --watch-heartbeat, or idle clients' tokens expire");
        }
        for credentials in file.odoo_credentials {
            // Only from files: falling back to ODOO_API_KEY would silently act as the main user.
            if credentials.api_key_file.is_none() && credentials.password_file.is_none() {
                bail!("odoo credentials of {} need api_key_file or password_file", credentials.login);
            }
            let (secret, secret_file) = odoo_secret(credentials.api_key_file, credentials.password_file)
                .with_context(|| format!("odoo credentials of {}", credentials.login))?;
            let odoo = OdooConfig { login: credentials.login, secret, secret_file, ..config.odoo.clone() };
            config.odoo_credentials.push((credentials.identities, odoo));
        }
        Ok(config)
    }

    /// Only the settings that reach Odoo, for `odoo-mesh check`: the same flags, environment and
    /// file as `serve`, without what serving needs (TLS, policy).
    pub fn resolve_odoo(args: &ServeArgs) -> anyhow::Result<OdooConfig> {
        let file = match &args.config {
            Some(path) => load_file(path)?,
            None => FileConfig::default(),
        };
        odoo_config(args, &file)
    }
}

/// How to reach Odoo: flags and environment over the file over the defaults.
fn odoo_config(args: &ServeArgs, file: &FileConfig) -> anyhow::Result<OdooConfig> {
    let protocol = match (args.odoo_protocol, &file.odoo_protocol) {
        (Some(p), _) => p,
        (None, Some(text)) => text.parse().map_err(|error| anyhow::anyhow!("odoo_protocol in --config: {error}"))?,
        (None, None) => Protocol::Auto,
    };
    let url =
        args.odoo_url.clone().or(file.odoo_url.clone()).context("the Odoo URL is required (--odoo-url or ODOO_URL)")?;
    let database = args
        .odoo_db
        .clone()
        .or(file.odoo_db.clone())
        .context("the Odoo database is required (--odoo-db or ODOO_DB)")?;
    check_odoo_url(&url)?;
    let (secret, secret_file) = odoo_secret(
        args.odoo_api_key_file.clone().or(file.odoo_api_key_file.clone()),
        args.odoo_password_file.clone().or(file.odoo_password_file.clone()),
    )?;
    Ok(OdooConfig {
        url,
        database,
        login: args.odoo_user.clone().or(file.odoo_user.clone()).unwrap_or_else(|| DEFAULT_ODOO_LOGIN.into()),
        secret,
        secret_file,
        protocol,
        connect_timeout: args.odoo_connect_timeout.or(file.odoo_connect_timeout).unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        request_timeout: args.odoo_request_timeout.or(file.odoo_request_timeout).unwrap_or(DEFAULT_REQUEST_TIMEOUT),
        max_concurrency: args.odoo_max_concurrency.or(file.odoo_max_concurrency).unwrap_or(DEFAULT_MAX_CONCURRENCY),
        queue_timeout: args.odoo_queue_timeout.or(file.odoo_queue_timeout).unwrap_or(DEFAULT_QUEUE_TIMEOUT),
        breaker: BreakerConfig {
            failures: args
                .odoo_breaker_failures
                .or(file.odoo_breaker_failures)
                .unwrap_or(BreakerConfig::default().failures),
            cooldown: args
                .odoo_breaker_cooldown
                .or(file.odoo_breaker_cooldown)
                .unwrap_or(BreakerConfig::default().cooldown),
        },
    })
}

/// An Odoo URL must say how to reach Odoo; a mistake shows at start, not at the first call.
fn check_odoo_url(url: &str) -> anyhow::Result<()> {
    let uri: http::Uri = url.parse().map_err(|error| anyhow::anyhow!("--odoo-url {url:?}: {error}"))?;
    match (uri.scheme_str(), uri.host()) {
        (Some("http" | "https"), Some(_)) => Ok(()),
        _ => bail!("--odoo-url {url:?}: not an http(s) URL of Odoo, for example https://erp.example.com"),
    }
}

fn load_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--config {}: cannot read it", path.display()))?;
    toml::from_str(&text).map_err(|error| file_error(path, &text, &error))
}

/// A config file's mistake in one line: where, and what. An unknown key is named without the
/// list of every key toml would append: `serve --help` has them.
fn file_error(path: &Path, text: &str, error: &toml::de::Error) -> anyhow::Error {
    let line = error.span().map_or(1, |span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let message = error.message().lines().next().unwrap_or_default();
    let message = match message.split_once(", expected one of") {
        Some((unknown, _)) => format!(
            "{} (a key is a flag of `odoo-mesh serve --help` without `--`, dashes as underscores)",
            unknown.replacen("unknown field", "unknown key", 1)
        ),
        None => message.to_owned(),
    };
    anyhow::anyhow!("--config {} line {line}: {message}", path.display())
}

/// The Odoo API key or password: key file, then `ODOO_API_KEY`, then password file, then
/// `ODOO_PASSWORD`; with the file it came from, to follow rotations.
fn odoo_secret(key_file: Option<PathBuf>, password_file: Option<PathBuf>) -> anyhow::Result<(Secret, Option<PathBuf>)> {
    let from_file = |path: PathBuf, setting: &str| {
        Secret::from_file(&path)
            .map(|s| (s, Some(path.clone())))
            .with_context(|| format!("{setting} {}: cannot read it", path.display()))
    };
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty()).map(|v| (Secret::new(v), None));
    if let Some(path) = key_file {
        return from_file(path, "--odoo-api-key-file");
    }
    if let Some(secret) = env("ODOO_API_KEY") {
        return Ok(secret);
    }
    if let Some(path) = password_file {
        return from_file(path, "--odoo-password-file");
    }
    env("ODOO_PASSWORD").context(
        "Odoo credentials are required: --odoo-api-key-file, ODOO_API_KEY, --odoo-password-file or ODOO_PASSWORD",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ServeArgs {
        ServeArgs {
            odoo_url: Some("http://odoo:8069".into()),
            odoo_db: Some("prod".into()),
            plaintext: Some(true),
            ..ServeArgs::default()
        }
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let key = dir.join("key");
        std::fs::write(&key, "file-key\n").expect("write key");
        let file = dir.join("config.toml");
        std::fs::write(&file, format!("listen = \"127.0.0.1:7000\"\nadmin_listen = \"127.0.0.1:7001\"\nodoo_request_timeout = \"2s\"\nodoo_api_key_file = {:?}\n", key)).expect("write config");
        let config = Config::resolve(ServeArgs {
            config: Some(file),
            listen: Some("127.0.0.1:8000".parse().expect("addr")),
            ..args()
        })
        .expect("resolves");
        assert_eq!(config.listen.port(), 8000, "flag wins");
        assert_eq!(config.admin_listen.port(), 7001, "file wins over default");
        assert_eq!(config.odoo.request_timeout, Duration::from_secs(2));
        assert_eq!(config.odoo.connect_timeout, DEFAULT_CONNECT_TIMEOUT);
        assert_eq!(config.odoo.secret.expose(), "file-key", "trailing newline dropped");
        assert!(!format!("{config:?}").contains("file-key"), "secrets never in Debug");
    }

    #[test]
    fn tls_is_required_unless_plaintext_is_explicit() {
        let error =
            Config::resolve(ServeArgs { plaintext: None, odoo_api_key_file: Some("/nonexistent".into()), ..args() })
                .expect_err("no tls");
        assert!(error.to_string().contains("mutual TLS"), "{error}");
    }

    #[test]
    fn an_unknown_key_in_the_file_is_refused_in_one_line_naming_it() {
        let text = "listen = \"127.0.0.1:7000\"\nlistne = \"x\"\n";
        let error = toml::from_str::<FileConfig>(text).expect_err("unknown key");
        let message = file_error(Path::new("/etc/odoo-mesh.toml"), text, &error).to_string();
        assert_eq!(
            message,
            "--config /etc/odoo-mesh.toml line 2: unknown key `listne` (a key is a flag of `odoo-mesh serve --help` \
             without `--`, dashes as underscores)"
        );
    }
}
