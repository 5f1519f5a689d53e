//! Authorization as a tower layer in front of every gRPC service: find the caller's identity, ask
//! the policy, and either pass the call on (with the identity in its extensions, for audit and
//! idempotency scopes) or answer `PERMISSION_DENIED` naming the method and the identity as seen.

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
};

use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo};
use tower::{Layer, Service};

use crate::{
    identity::{self, Identity},
    policy::{ANONYMOUS, PolicyStore},
};

/// Envoy's header carrying the client certificate a mesh sidecar verified.
const FORWARDED_CLIENT_CERT: &str = "x-forwarded-client-cert";

/// The verified caller of a request; `None` for an anonymous caller.
#[derive(Debug, Clone)]
pub struct Caller(pub Option<Identity>);

impl Caller {
    /// The identity as policies and logs name it.
    pub fn name(&self) -> &str {
        self.0.as_ref().map_or(ANONYMOUS, Identity::as_str)
    }
}

/// The caller of a gRPC request, as the authorization layer recorded it.
pub fn caller<T>(request: &tonic::Request<T>) -> Caller {
    request.extensions().get::<Caller>().cloned().unwrap_or(Caller(None))
}

/// Where identities come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// The verified TLS client certificate.
    ClientCertificate,
    /// Plaintext behind a mesh sidecar: `x-forwarded-client-cert`, only from the local hop.
    TrustedMeshHeader,
    /// Plaintext without a trusted sidecar: every caller is anonymous.
    None,
}

#[derive(Clone)]
pub struct AuthzLayer {
    policy: Arc<PolicyStore>,
    source: IdentitySource,
}

impl AuthzLayer {
    pub fn new(policy: Arc<PolicyStore>, source: IdentitySource) -> Self {
        Self { policy, source }
    }
}

impl<S> Layer<S> for AuthzLayer {
    type Service = Authz<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authz { inner, policy: self.policy.clone(), source: self.source }
    }
}

#[derive(Clone)]
pub struct Authz<S> {
    inner: S,
    policy: Arc<PolicyStore>,
    source: IdentitySource,
}

impl<S> Authz<S> {
    fn identify<B>(&self, request: &http::Request<B>) -> Result<Option<Identity>, String> {
        match self.source {
            IdentitySource::ClientCertificate => {
                let certs =
                    request.extensions().get::<TlsConnectInfo<TcpConnectInfo>>().and_then(TlsConnectInfo::peer_certs);
                let Some(leaf) = certs.as_ref().and_then(|c| c.first()) else { return Ok(None) };
                identity::from_certificate(leaf).map(Some).map_err(|e| e.to_string())
            }
            IdentitySource::TrustedMeshHeader => {
                let local = request
                    .extensions()
                    .get::<TcpConnectInfo>()
                    .and_then(TcpConnectInfo::remote_addr)
                    .is_some_and(|addr| addr.ip().is_loopback());
                if !local {
                    return Ok(None);
                }
                Ok(request
                    .headers()
                    .get(FORWARDED_CLIENT_CERT)
                    .and_then(|v| v.to_str().ok())
                    .and_then(identity::from_forwarded_client_cert))
            }
            IdentitySource::None => Ok(None),
        }
    }
}

type BoxFuture<T, E> = Pin<Box<dyn Future<Output = Result<T, E>> + Send>>;

impl<S, B> Service<http::Request<B>> for Authz<S>
where
    S: Service<http::Request<B>, Response = http::Response<tonic::body::Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().trim_start_matches('/').to_owned();
        let caller = match self.identify(&request) {
            Ok(identity) => Caller(identity),
            Err(reason) => {
                let status = tonic::Status::permission_denied(format!(
                    "the client certificate names no usable identity: {reason}"
                ));
                return Box::pin(async move { Ok(status.into_http()) });
            }
        };
        // A header naming an identity is only ever read from a trusted local sidecar; never pass it on.
        request.headers_mut().remove(FORWARDED_CLIENT_CERT);
        if !self.policy.current().allows(caller.name(), &method) {
            tracing::warn!(identity = caller.name(), %method, "call denied by policy");
            metrics::counter!("odoo_mesh_authz_denied_total").increment(1);
            let status = tonic::Status::permission_denied(format!("{} may not call {method}", caller.name()));
            return Box::pin(async move { Ok(status.into_http()) });
        }
        request.extensions_mut().insert(caller);
        // The clone that was polled ready serves this call; the fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(inner.call(request))
    }
}
