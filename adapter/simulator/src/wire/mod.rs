//! The two wire formats, JSON-RPC (`jsonrpc`) and JSON-2 (`json2`), and what they share: HTTP
//! responses, error pages and the simulated traceback.

pub(crate) mod json2;
pub(crate) mod jsonrpc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode, header};
use serde_json::Value;

pub(crate) type HttpResponse = Response<Full<Bytes>>;

/// Hyper closes the connection when the service fails: that is how a dropped connection is simulated.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
pub(crate) struct Dropped;

pub(crate) fn json_response(status: StatusCode, body: &Value) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json; charset=utf-8"));
    response
}

pub(crate) fn html_response(status: StatusCode, body: impl Into<String>) -> HttpResponse {
    let mut response = Response::new(Full::new(Bytes::from(body.into())));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/html; charset=utf-8"));
    response
}

pub(crate) fn werkzeug_page(status: StatusCode, message: &str) -> HttpResponse {
    let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
    html_response(
        status,
        format!(
            "<!doctype html>\n<html lang=en>\n<title>{title}</title>\n<h1>{}</h1>\n<p>{message}</p>\n",
            status.canonical_reason().unwrap_or("")
        ),
    )
}

/// Odoo sends its full server traceback with every error; odoo-mesh must never pass it on.
pub(crate) fn traceback(name: &str, message: &str) -> String {
    format!(
        "Traceback (most recent call last):\n  File \"/opt/odoo/odoo/http.py\", line 1954, in _transactioning\n    return service_model.retrying(func, env=self.env)\n  File \"/opt/odoo/odoo/service/model.py\", line 137, in retrying\n    result = func()\n{name}: {message}\n"
    )
}

/// A proxy's error page for an injected HTTP status.
pub(crate) fn proxy_page(status: u16) -> HttpResponse {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    werkzeug_page(status, "injected by the odoo-mesh simulator")
}
