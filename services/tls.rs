//! Mutual TLS that follows certificate rotation. The server certificate, key and client CA bundle
//! are re-read whenever their contents change (cert-manager renewals, a mesh's rotation, or
//! Kubernetes' atomic `..data` symlink swap of a mounted Secret); new handshakes use the new ones,
//! open connections and streams keep theirs. A broken or mismatched replacement is refused: the
//! old credentials stay, the reason is logged and counted.

use std::{
    fmt,
    hash::{Hash, Hasher},
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use arc_swap::ArcSwap;
use rustls::{
    DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig, SignatureScheme,
    client::danger::HandshakeSignatureValid,
    pki_types::{CertificateDer, PrivateKeyDer, UnixTime, pem::PemObject},
    server::{
        WebPkiClientVerifier,
        danger::{ClientCertVerified, ClientCertVerifier},
    },
    sign::CertifiedKey,
};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, server::TlsStream};
use tokio_stream::{Stream, StreamExt, wrappers::ReceiverStream};

use crate::identity::{self, IdentityError};

/// How long a client may take to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The files mutual TLS is built from.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub client_ca: PathBuf,
}

/// Why credentials could not be (re)loaded.
#[derive(Debug, thiserror::Error)]
/// Each names the setting the file came from, so the message says what to change.
pub enum TlsError {
    #[error("{setting} {path}: cannot read it: {source}")]
    Read { setting: &'static str, path: String, source: std::io::Error },
    #[error("{setting} {path} holds no {what}")]
    Empty { setting: &'static str, path: String, what: &'static str },
    #[error("{setting} {path}: {reason}")]
    Invalid { setting: &'static str, path: String, reason: String },
    #[error("the private key of --tls-key does not match the certificate of --tls-cert")]
    Mismatch,
    #[error("tls configuration: {0}")]
    Config(String),
}

/// The settings the three files come from.
const CERT: &str = "--tls-cert";
const KEY: &str = "--tls-key";
const CLIENT_CA: &str = "--client-ca";

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read { setting, path: path.display().to_string(), source })
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server's credentials as loaded, plus a fingerprint of the files they came from.
struct Loaded {
    config: Arc<ServerConfig>,
    fingerprint: u64,
    /// When the server certificate expires, in seconds since the Unix epoch.
    not_after: i64,
}

impl Loaded {
    /// Exports when the certificate in use expires: an alert fires a week before, in case the
    /// renewal (cert-manager, a mesh) has stopped working.
    fn publish_expiry(&self) {
        #[allow(clippy::cast_precision_loss)] // seconds since 1970 fit an f64's 53 bits exactly
        let not_after = self.not_after as f64;
        metrics::gauge!("odoo_mesh_tls_certificate_expiry_timestamp_seconds").set(not_after);
    }
}

fn load(files: &TlsFiles) -> Result<Loaded, TlsError> {
    let (cert_pem, key_pem, ca_pem) =
        (read(CERT, &files.cert)?, read(KEY, &files.key)?, read(CLIENT_CA, &files.client_ca)?);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (&cert_pem, &key_pem, &ca_pem).hash(&mut hasher);
    let fingerprint = hasher.finish();
    let invalid = |setting: &'static str, path: &Path, e: &dyn fmt::Display| TlsError::Invalid {
        setting,
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| invalid(CERT, &files.cert, &e))?;
    if chain.is_empty() {
        return Err(TlsError::Empty { setting: CERT, path: files.cert.display().to_string(), what: "certificate" });
    }
    let (_, leaf) = x509_parser::parse_x509_certificate(&chain[0]).map_err(|e| invalid(CERT, &files.cert, &e))?;
    let not_after = leaf.validity().not_after.timestamp();
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| invalid(KEY, &files.key, &e))?;
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(&ca_pem) {
        roots
            .add(ca.map_err(|e| invalid(CLIENT_CA, &files.client_ca, &e))?)
            .map_err(|e| invalid(CLIENT_CA, &files.client_ca, &e))?;
    }
    if roots.is_empty() {
        return Err(TlsError::Empty {
            setting: CLIENT_CA,
            path: files.client_ca.display().to_string(),
            what: "CA certificate",
        });
    }
    let provider = provider();
    let signing_key = provider.key_provider.load_private_key(key).map_err(|e| invalid(KEY, &files.key, &e))?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().map_err(|_| TlsError::Mismatch)?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| TlsError::Config(e.to_string()))?;
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_client_cert_verifier(Arc::new(SvidVerifier(verifier)))
        .with_cert_resolver(Arc::new(SingleCert(Arc::new(certified))));
    // gRPC clients (grpc-go among them) insist on negotiating HTTP/2 through ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Loaded { config: Arc::new(config), fingerprint, not_after })
}

/// Always presents the one server certificate.
#[derive(Debug)]
struct SingleCert(Arc<CertifiedKey>);

impl rustls::server::ResolvesServerCert for SingleCert {
    fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// WebPKI client verification, plus the X.509-SVID rule that a certificate names one identity:
/// a certificate with several URI SANs is refused at the handshake.
#[derive(Debug)]
struct SvidVerifier(Arc<dyn ClientCertVerifier>);

impl ClientCertVerifier for SvidVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self.0.verify_client_cert(end_entity, intermediates, now)?;
        if let Err(error @ IdentityError::SeveralUris(_)) = identity::from_certificate(end_entity) {
            tracing::warn!(%error, "client certificate refused");
            return Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure));
        }
        Ok(verified)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }

    fn client_auth_mandatory(&self) -> bool {
        true
    }
}

/// Mutual-TLS credentials that follow their files.
pub struct ReloadingTls {
    files: TlsFiles,
    current: ArcSwap<ServerConfig>,
    fingerprint: std::sync::Mutex<u64>,
}

impl ReloadingTls {
    /// Loads the credentials; fails if the files are not usable now.
    pub fn load(files: TlsFiles) -> Result<Arc<Self>, TlsError> {
        let loaded = load(&files)?;
        loaded.publish_expiry();
        Ok(Arc::new(Self {
            files,
            current: ArcSwap::new(loaded.config),
            fingerprint: std::sync::Mutex::new(loaded.fingerprint),
        }))
    }

    /// Re-reads the files; swaps in new credentials when they changed and are valid.
    pub fn reload(&self) {
        match load(&self.files) {
            Ok(loaded) => {
                let mut fingerprint = self.fingerprint.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if *fingerprint != loaded.fingerprint {
                    *fingerprint = loaded.fingerprint;
                    loaded.publish_expiry();
                    self.current.store(loaded.config);
                    tracing::info!(cert = %self.files.cert.display(), "tls credentials reloaded");
                    metrics::counter!("odoo_mesh_tls_reloads_total", "outcome" => "success").increment(1);
                }
            }
            Err(error) => {
                // Count each broken state once, not at every poll.
                let mut fingerprint = self.fingerprint.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                let marker = u64::MAX;
                if *fingerprint != marker {
                    tracing::warn!(%error, "new tls credentials refused; keeping the previous ones");
                    metrics::counter!("odoo_mesh_tls_reloads_total", "outcome" => "failure").increment(1);
                    *fingerprint = marker;
                }
            }
        }
    }

    /// Polls the files until the task is dropped. Polling sees symlink swaps that file events miss.
    pub async fn watch(self: Arc<Self>, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let this = self.clone();
            // File reads block: keep them off the async workers.
            let _ = tokio::task::spawn_blocking(move || this.reload()).await;
        }
    }

    fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.current.load_full())
    }
}

/// Completes TLS handshakes on accepted TCP connections concurrently, yielding established
/// streams; one slow or failing client never holds up the others. Ends when `accepted` does.
pub fn incoming(
    mut accepted: impl Stream<Item = std::io::Result<TcpStream>> + Send + Unpin + 'static,
    tls: Arc<ReloadingTls>,
) -> ReceiverStream<std::io::Result<TlsStream<TcpStream>>> {
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(async move {
        loop {
            let tcp = tokio::select! {
                next = accepted.next() => match next {
                    Some(Ok(tcp)) => tcp,
                    Some(Err(error)) => {
                        tracing::warn!(%error, "accept failed");
                        continue;
                    }
                    None => return,
                },
                () = tx.closed() => return,
            };
            let peer = tcp.peer_addr().map(|addr| addr.to_string()).unwrap_or_default();
            let acceptor = tls.acceptor();
            let tx = tx.clone();
            tokio::spawn(async move {
                match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(stream)) => {
                        let _ = tx.send(Ok(stream)).await;
                    }
                    Ok(Err(error)) => {
                        tracing::debug!(%peer, %error, "tls handshake failed");
                        metrics::counter!("odoo_mesh_tls_handshake_failures_total").increment(1);
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "tls handshake timed out");
                        metrics::counter!("odoo_mesh_tls_handshake_failures_total").increment(1);
                    }
                }
            });
        }
    });
    ReceiverStream::new(rx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::CertificateAuthority;

    /// Lays the files out as Kubernetes mounts a Secret: `tls.crt -> ..data/tls.crt`, with
    /// `..data -> ..<version>` swapped atomically on update.
    fn mount(dir: &Path, version: &str, cert: &str, key: &str, ca: &str) {
        let versioned = dir.join(version);
        std::fs::create_dir_all(&versioned).expect("dir");
        std::fs::write(versioned.join("tls.crt"), cert).expect("cert");
        std::fs::write(versioned.join("tls.key"), key).expect("key");
        std::fs::write(versioned.join("ca.crt"), ca).expect("ca");
        let staging = dir.join("..data_tmp");
        let _ = std::fs::remove_file(&staging);
        std::os::unix::fs::symlink(version, &staging).expect("symlink");
        std::fs::rename(&staging, dir.join("..data")).expect("atomic swap");
        for name in ["tls.crt", "tls.key", "ca.crt"] {
            let link = dir.join(name);
            if link.symlink_metadata().is_err() {
                std::os::unix::fs::symlink(format!("..data/{name}"), link).expect("symlink");
            }
        }
    }

    fn files(dir: &Path) -> TlsFiles {
        TlsFiles { cert: dir.join("tls.crt"), key: dir.join("tls.key"), client_ca: dir.join("ca.crt") }
    }

    #[test]
    fn a_kubernetes_secret_swap_is_picked_up_and_a_mismatched_key_is_refused() {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let ca = CertificateAuthority::new("test").expect("ca");
        let first = ca.server(&["localhost"]).expect("cert");
        mount(&dir, "..2026_11_23_01", &first.cert, &first.key, &ca.cert_pem);
        let tls = ReloadingTls::load(files(&dir)).expect("loads");
        let original = tls.current.load_full();

        tls.reload();
        assert!(Arc::ptr_eq(&original, &tls.current.load_full()), "unchanged files change nothing");

        let second = ca.server(&["localhost"]).expect("cert");
        mount(&dir, "..2026_11_23_02", &second.cert, &second.key, &ca.cert_pem);
        tls.reload();
        let rotated = tls.current.load_full();
        assert!(!Arc::ptr_eq(&original, &rotated), "the swapped secret is in use");

        // A valid key that belongs to another certificate is refused; the rotated one stays.
        let third = ca.server(&["localhost"]).expect("cert");
        mount(&dir, "..2026_11_23_03", &third.cert, &second.key, &ca.cert_pem);
        tls.reload();
        assert!(Arc::ptr_eq(&rotated, &tls.current.load_full()), "a mismatched key keeps the previous credentials");
        assert!(matches!(load(&files(&dir)), Err(TlsError::Mismatch)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// The exported expiry of the certificate in use, as a local recorder saw it.
    fn exported_expiry(recorder: &metrics_exporter_prometheus::PrometheusRecorder) -> Option<i64> {
        recorder.handle().render().lines().find_map(|line| {
            let value = line.strip_prefix("odoo_mesh_tls_certificate_expiry_timestamp_seconds ")?;
            value.parse::<f64>().ok().map(|v| v as i64)
        })
    }

    #[test]
    fn the_certificate_expiry_is_exported_at_load_and_follows_each_reload() {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-tls-expiry-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let ca = CertificateAuthority::new("test").expect("ca");
        let in_a_year = time::OffsetDateTime::now_utc().replace_nanosecond(0).expect("ns") + time::Duration::days(365);
        let first = ca.server_valid_until(&["localhost"], in_a_year).expect("cert");
        mount(&dir, "..2026_11_23_01", &first.cert, &first.key, &ca.cert_pem);
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let tls = metrics::with_local_recorder(&recorder, || ReloadingTls::load(files(&dir))).expect("loads");
        assert_eq!(exported_expiry(&recorder), Some(in_a_year.unix_timestamp()), "exported at load");

        let in_three_days = in_a_year - time::Duration::days(362);
        let renewed = ca.server_valid_until(&["localhost"], in_three_days).expect("cert");
        mount(&dir, "..2026_11_23_02", &renewed.cert, &renewed.key, &ca.cert_pem);
        metrics::with_local_recorder(&recorder, || tls.reload());
        assert_eq!(exported_expiry(&recorder), Some(in_three_days.unix_timestamp()), "updated by the reload");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
