//! A lean closed-loop gRPC load generator on raw HTTP/2 (`h2`), plaintext or mutual TLS: a fixed
//! request, encoded once, sent on `streams` concurrent streams of each of `connections`
//! connections for a while. It does no more per call than read the answer and its status, so the
//! server, not the client, is what runs out of CPU first.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{Request, header};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, pem::PemObject};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

/// Where the load goes and how to reach it.
#[derive(Clone)]
pub(crate) struct Target {
    pub(crate) addr: SocketAddr,
    pub(crate) tls: Option<Arc<rustls::ClientConfig>>,
}

impl Target {
    /// The URI scheme of requests to it.
    pub(crate) fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }
}

/// A client certificate and the CA to trust, from PEM files (the demo PKI's layout).
pub(crate) fn mutual_tls(ca: &str, cert: &str, key: &str) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
        roots.add(cert.expect("ca pem")).expect("ca");
    }
    let chain: Vec<_> = CertificateDer::pem_slice_iter(cert.as_bytes()).map(|c| c.expect("cert pem")).collect();
    let key = PrivateKeyDer::from_pem_slice(key.as_bytes()).expect("key pem");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("tls versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client certificate");
    config.alpn_protocols = vec![b"h2".to_vec()];
    Arc::new(config)
}

/// One unary gRPC method and its encoded request message.
#[derive(Clone)]
pub(crate) struct Call {
    pub(crate) path: &'static str,
    /// The length-prefixed gRPC frame.
    pub(crate) frame: Bytes,
}

impl Call {
    pub(crate) fn new(path: &'static str, message: &impl prost::Message) -> Self {
        let encoded = message.encode_to_vec();
        let mut frame = Vec::with_capacity(5 + encoded.len());
        frame.push(0);
        frame.extend_from_slice(&u32::try_from(encoded.len()).expect("small message").to_be_bytes());
        frame.extend_from_slice(&encoded);
        Self { path, frame: Bytes::from(frame) }
    }
}

/// What a run completed.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Completed {
    pub(crate) ok: u64,
    pub(crate) failed: u64,
    pub(crate) elapsed: Duration,
}

impl Completed {
    pub(crate) fn per_second(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }
}

/// Runs `call` in a closed loop for `duration` on `connections` × `streams`.
pub(crate) async fn closed_loop(
    target: &Target,
    call: &Call,
    connections: usize,
    streams: usize,
    duration: Duration,
) -> Completed {
    let mut senders = Vec::new();
    for _ in 0..connections {
        senders.push(connect(target).await);
    }
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = Vec::new();
    for sender in &senders {
        for _ in 0..streams {
            let (sender, call, authority, scheme) =
                (sender.clone(), call.clone(), target.addr.to_string(), target.scheme());
            tasks.push(tokio::spawn(async move {
                let mut done = Completed::default();
                while Instant::now() < deadline {
                    match unary(sender.clone(), scheme, &authority, &call).await {
                        Ok(()) => done.ok += 1,
                        Err(_) => done.failed += 1,
                    }
                }
                done
            }));
        }
    }
    let mut total = Completed::default();
    for task in tasks {
        let done = task.await.expect("load task");
        total.ok += done.ok;
        total.failed += done.failed;
    }
    total.elapsed = started.elapsed();
    total
}

/// Sends one call and reads its answer; an error unless gRPC status 0 ends it.
pub(crate) async fn unary(
    sender: h2::client::SendRequest<Bytes>,
    scheme: &str,
    authority: &str,
    call: &Call,
) -> Result<(), String> {
    exchange(sender, scheme, authority, call, false).await?.ok().map(drop)
}

/// Sends one call and returns its answer's message without the gRPC prefix (a unary answer is
/// one message); an error unless gRPC status 0 ends it.
pub(crate) async fn unary_reply(
    sender: h2::client::SendRequest<Bytes>,
    scheme: &str,
    authority: &str,
    call: &Call,
) -> Result<Bytes, String> {
    let mut frame = exchange(sender, scheme, authority, call, true).await?.ok()?;
    Ok(if frame.len() >= 5 { frame.split_off(5) } else { frame })
}

/// Sends one call and reads its answer to the end: the gRPC status code it ended with, if any.
pub(crate) async fn status_of(
    sender: h2::client::SendRequest<Bytes>,
    scheme: &str,
    authority: &str,
    call: &Call,
) -> Result<Option<u32>, String> {
    let answer = exchange(sender, scheme, authority, call, false).await?;
    Ok(answer.status.and_then(|s| s.to_str().ok()?.parse().ok()))
}

/// How a call ended: its status and message, and its body when it was kept.
struct Answer {
    status: Option<http::HeaderValue>,
    message: Option<http::HeaderValue>,
    body: Bytes,
}

impl Answer {
    fn ok(self) -> Result<Bytes, String> {
        match self.status.as_ref().map(http::HeaderValue::as_bytes) {
            Some(b"0") => Ok(self.body),
            other => Err(format!("grpc-status {other:?}: {:?}", self.message)),
        }
    }
}

/// One call; the answer's body is kept only when asked for (the load loops only count).
async fn exchange(
    sender: h2::client::SendRequest<Bytes>,
    scheme: &str,
    authority: &str,
    call: &Call,
    keep: bool,
) -> Result<Answer, String> {
    let mut sender = sender.ready().await.map_err(|e| e.to_string())?;
    let (response, mut body) =
        sender.send_request(post(scheme, authority, call.path), false).map_err(|e| e.to_string())?;
    body.send_data(call.frame.clone(), true).map_err(|e| e.to_string())?;
    let response = response.await.map_err(|e| e.to_string())?;
    let status = response.headers().get("grpc-status").cloned();
    let mut body = response.into_body();
    let mut kept = bytes::BytesMut::new();
    while let Some(chunk) = body.data().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        let _ = body.flow_control().release_capacity(chunk.len());
        if keep {
            kept.extend_from_slice(&chunk);
        }
    }
    let trailers = body.trailers().await.map_err(|e| e.to_string())?;
    let message = trailers.as_ref().and_then(|t| t.get("grpc-message").cloned());
    let status = trailers.and_then(|t| t.get("grpc-status").cloned()).or(status);
    Ok(Answer { status, message, body: kept.freeze() })
}

/// The HTTP/2 request of a gRPC call of `path`.
pub(crate) fn post(scheme: &str, authority: &str, path: &str) -> Request<()> {
    Request::post(format!("{scheme}://{authority}{path}"))
        .header(header::CONTENT_TYPE, "application/grpc")
        .header(header::TE, "trailers")
        .body(())
        .expect("request")
}

/// An HTTP/2 connection to the target, its driver spawned.
pub(crate) async fn connect(target: &Target) -> h2::client::SendRequest<Bytes> {
    try_connect(target).await.unwrap_or_else(|e| panic!("connects to {}: {e}", target.addr))
}

/// An HTTP/2 connection to the target, or why there is none (yet).
pub(crate) async fn try_connect(target: &Target) -> Result<h2::client::SendRequest<Bytes>, String> {
    let tcp = TcpStream::connect(target.addr).await.map_err(|e| e.to_string())?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    match &target.tls {
        None => handshake(tcp).await,
        Some(config) => {
            let name = ServerName::IpAddress(target.addr.ip().into());
            let tls = TlsConnector::from(config.clone()).connect(name, tcp).await.map_err(|e| e.to_string())?;
            handshake(tls).await
        }
    }
}

/// Waits until the target answers `call` with OK (odoo-mesh: once its view has loaded).
pub(crate) async fn until_answered(target: &Target, call: &Call) {
    let authority = target.addr.to_string();
    super::process::until("the server answers", Duration::from_secs(60), || async {
        let Ok(Ok(sender)) = tokio::time::timeout(Duration::from_secs(1), try_connect(target)).await else {
            return false;
        };
        unary(sender, target.scheme(), &authority, call).await.is_ok()
    })
    .await;
}

async fn handshake<T>(io: T) -> Result<h2::client::SendRequest<Bytes>, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = h2::client::Builder::new()
        .initial_window_size(1 << 20)
        .initial_connection_window_size(1 << 24)
        .handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}
