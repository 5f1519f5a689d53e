//! The headers a caller controls, through the layers that read them: `grpc-timeout`
//! (`services/deadline.rs`), `x-request-id` and `traceparent` (`services/telemetry.rs`), and
//! `x-forwarded-client-cert` in mesh mode (`services/identity.rs`, `services/authz.rs`).
//! Properties: `grpc-timeout` reads as gRPC's grammar says and nothing else does; a call reaches
//! the service exactly when the policy allows the identity the header names (with that identity,
//! and without the header); the request id is the caller's when usable, else a new one, and the
//! response carries it.

use std::{
    net::SocketAddr,
    sync::{Arc, LazyLock, Mutex},
    time::Duration,
};

use http::{HeaderValue, Request, Response};
use odoo_mesh::{
    authz::{AuthzLayer, Caller, IdentitySource},
    deadline::parse_grpc_timeout,
    identity::from_forwarded_client_cert,
    policy::{ANONYMOUS, Policy, PolicyStore},
    telemetry::{RequestId, TelemetryLayer},
};
use tonic::transport::server::TcpConnectInfo;
use tower::{Layer, ServiceExt, service_fn};

/// The policy in force: a trust domain, a DNS zone, and callers without identity for one method.
const POLICY: &str = r#"
[[allow]]
identities = ["spiffe://fuzz.example/**", "*.fuzz.example"]
methods = ["odoomesh.inventory.v1.InventoryService/*"]

[[allow]]
identities = ["anonymous"]
methods = ["odoomesh.order.v1.OrderService/GetSalesOrder"]
"#;

static STORE: LazyLock<Arc<PolicyStore>> = LazyLock::new(|| {
    // Spans join the caller's trace through the W3C propagator, as `observability::init` sets it.
    opentelemetry::global::set_text_map_propagator(opentelemetry_sdk::propagation::TraceContextPropagator::new());
    let path = std::env::temp_dir().join(format!("odoo-mesh-fuzz-policy-{}.toml", std::process::id()));
    std::fs::write(&path, POLICY).expect("write the policy");
    PolicyStore::load(Some(path)).expect("the policy parses")
});

/// What the service behind the layers was handed.
#[derive(Debug, Default, Clone)]
struct Reached {
    caller: Option<Option<String>>,
    request_id: Option<String>,
    forwarded_header_kept: bool,
}

/// Newline-separated: `grpc-timeout`, `x-request-id`, `traceparent`, `x-forwarded-client-cert`,
/// the request's path.
pub fn headers(data: &[u8]) {
    let mut parts = data.split(|b| *b == b'\n');
    let mut next = || parts.next().unwrap_or_default();
    let (timeout, request_id, traceparent, forwarded, path) = (next(), next(), next(), next(), next());
    grpc_timeout(timeout);
    through_the_layers(request_id, traceparent, forwarded, path);
}

/// gRPC's grammar: 1 to 8 ASCII digits, then one of `HMSmun`. A `+` before the digits is taken
/// as tonic takes it (its own deadline reads the same header): the two must agree.
fn reference_timeout(text: &str) -> Option<Duration> {
    let (digits, unit) = text.split_at_checked(text.len().checked_sub(1)?)?;
    let unsigned = digits.strip_prefix('+').unwrap_or(digits);
    if digits.len() > 8 || unsigned.is_empty() || !unsigned.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let amount: u128 = unsigned.parse().ok()?;
    let nanos_per_unit: u128 = match unit {
        "H" => 3_600_000_000_000,
        "M" => 60_000_000_000,
        "S" => 1_000_000_000,
        "m" => 1_000_000,
        "u" => 1_000,
        "n" => 1,
        _ => return None,
    };
    // 99999999H is past u64 nanoseconds: counted in u128.
    let nanos = amount * nanos_per_unit;
    Some(Duration::new(u64::try_from(nanos / 1_000_000_000).ok()?, u32::try_from(nanos % 1_000_000_000).ok()?))
}

fn grpc_timeout(bytes: &[u8]) {
    // As the layer reads it (a header value that is visible ASCII)...
    if let Some(text) = HeaderValue::from_bytes(bytes).ok().as_ref().and_then(|v| v.to_str().ok()) {
        assert_eq!(parse_grpc_timeout(text), reference_timeout(text), "grpc-timeout {text:?}");
    }
    // ...and as any text, which the function takes.
    let text = String::from_utf8_lossy(bytes);
    assert_eq!(parse_grpc_timeout(&text), reference_timeout(&text), "grpc-timeout {text:?}");
}

fn through_the_layers(request_id: &[u8], traceparent: &[u8], forwarded: &[u8], path: &[u8]) {
    let path = std::str::from_utf8(path)
        .ok()
        .filter(|p| p.starts_with('/') && p.parse::<http::Uri>().is_ok())
        .unwrap_or("/odoomesh.inventory.v1.InventoryService/ListWarehouses");
    let mut request = Request::builder().uri(path).body(()).expect("a valid path");
    let headers = request.headers_mut();
    for (name, value) in
        [("x-request-id", request_id), ("traceparent", traceparent), ("x-forwarded-client-cert", forwarded)]
    {
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.insert(name, value);
        }
    }
    let local: SocketAddr = "127.0.0.1:40000".parse().expect("an address");
    request.extensions_mut().insert(TcpConnectInfo { local_addr: Some(local), remote_addr: Some(local) });

    let sent_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let identity = request
        .headers()
        .get("x-forwarded-client-cert")
        .and_then(|v| v.to_str().ok())
        .and_then(from_forwarded_client_cert);
    if let (Some(identity), Some(header)) = (&identity, request.headers().get("x-forwarded-client-cert")) {
        let header = header.to_str().expect("read as text above");
        assert!(header.contains(identity.as_str().trim_matches('"')), "{identity} is not in {header:?}");
    }
    let name = identity.as_ref().map_or(ANONYMOUS, |i| i.as_str());
    // The policy judges the request's path, never its query string (as the authz layer reads it).
    let method = request.uri().path().trim_start_matches('/').to_owned();
    let method = method.as_str();
    let allowed = Policy::parse(POLICY).expect("the policy parses").allows(name, method);

    let reached = Arc::new(Mutex::new(None::<Reached>));
    let seen = reached.clone();
    let service = service_fn(move |request: Request<()>| {
        let seen = seen.clone();
        async move {
            let caller = request.extensions().get::<Caller>().map(|c| c.0.as_ref().map(|i| i.as_str().to_owned()));
            *seen.lock().expect("not poisoned") = Some(Reached {
                caller,
                request_id: request.extensions().get::<RequestId>().map(|r| r.0.clone()),
                forwarded_header_kept: request.headers().contains_key("x-forwarded-client-cert"),
            });
            Ok::<_, std::convert::Infallible>(Response::new(tonic::body::Body::empty()))
        }
    });
    let authz = AuthzLayer::new(STORE.clone(), IdentitySource::TrustedMeshHeader).layer(service);
    let stack = TelemetryLayer.layer(authz);
    let response = futures::executor::block_on(stack.oneshot(request)).expect("infallible");

    let reached = reached.lock().expect("not poisoned").take();
    assert_eq!(reached.is_some(), allowed, "{name} calling {method}: allowed {allowed}");
    let answered_id = response.headers().get("x-request-id").map(|v| v.to_str().expect("ascii").to_owned());
    let answered_id = answered_id.expect("every response carries a request id");
    match sent_id.filter(|id| !id.is_empty() && id.len() <= 128) {
        Some(sent) => assert_eq!(answered_id, sent, "the caller's request id"),
        None => assert!(!answered_id.is_empty() && answered_id.len() <= 128, "a new request id {answered_id:?}"),
    }
    if let Some(reached) = reached {
        assert_eq!(reached.caller, Some(identity.map(|i| i.as_str().to_owned())), "the caller as identified");
        assert_eq!(reached.request_id.as_deref(), Some(answered_id.as_str()), "one request id");
        assert!(!reached.forwarded_header_kept, "the forwarded identity header passed on");
    }
}
