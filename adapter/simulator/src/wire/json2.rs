//! Odoo 19's JSON-2 API (`POST /json/2/<model>/<method>`, bearer API key, named arguments, bare
//! results, real HTTP statuses) and its `/web/version` endpoint.

use bytes::Bytes;
use hyper::{HeaderMap, Method, StatusCode, header, http::request::Parts};
use serde_json::{Map, Value, json};

use super::{Dropped, HttpResponse};
use crate::{
    Admission, Call, Execution, Simulator,
    error::{ACCESS_ERROR, Raised, SimError},
    orm::methods::{self, Outcome},
};

const DID_YOU_MEAN: &str = "Did you mean POST /json/2/<model>/<method>?";
const NOT_AUTHENTICATED: &str = "User not authenticated, use an API Key with a Bearer Authorization header.";

pub(crate) fn version(sim: &Simulator, method: &Method, _path: &str) -> HttpResponse {
    if method == Method::POST {
        return super::werkzeug_page(StatusCode::BAD_REQUEST, "Session expired (invalid CSRF token)");
    }
    let major = sim.config().version.major();
    super::json_response(
        StatusCode::OK,
        &json!({"version_info": [major, 0, 0, "final", 0, ""], "version": format!("{major}.0")}),
    )
}

fn werkzeug(status: StatusCode, name: &str, message: &str) -> HttpResponse {
    let code = status.as_u16();
    super::json_response(
        status,
        &json!({"name": name, "message": message, "arguments": [message, code], "context": {}, "debug": super::traceback(name, message)}),
    )
}

fn raised(status: StatusCode, raised: &Raised) -> HttpResponse {
    super::json_response(
        status,
        &json!({"name": raised.name, "message": raised.message, "arguments": [raised.message], "context": {}, "debug": super::traceback(&raised.name, &raised.message)}),
    )
}

fn unauthorized(message: &str) -> HttpResponse {
    let mut response = werkzeug(StatusCode::UNAUTHORIZED, "werkzeug.exceptions.Unauthorized", message);
    response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer "));
    response
}

pub(crate) async fn handle(
    sim: &Simulator,
    parts: &Parts,
    content_type: &str,
    body: &Bytes,
) -> Result<HttpResponse, Dropped> {
    let segments: Vec<&str> =
        parts.uri.path().trim_start_matches("/json/2").split('/').filter(|s| !s.is_empty()).collect();
    let [model, method] = segments.as_slice() else {
        return Ok(werkzeug(StatusCode::NOT_FOUND, "werkzeug.exceptions.NotFound", DID_YOU_MEAN));
    };
    if parts.method != Method::POST {
        return Ok(werkzeug(StatusCode::NOT_FOUND, "werkzeug.exceptions.NotFound", DID_YOU_MEAN));
    }
    if let Some(db) = parts.headers.get("x-odoo-database").and_then(|v| v.to_str().ok())
        && !sim.database_matches(db)
    {
        return Ok(super::html_response(
            StatusCode::NOT_FOUND,
            "<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>\n",
        ));
    }
    let uid = match bearer(&parts.headers) {
        None => return Ok(unauthorized(NOT_AUTHENTICATED)),
        Some(key) => match sim.uid_for_key(&key) {
            Some(uid) => uid,
            None => return Ok(unauthorized("Invalid apikey")),
        },
    };
    if !body.is_empty() && !content_type.starts_with("application/json") {
        return Ok(super::werkzeug_page(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Request inferred type is compatible with [&#39;http&#39;] but /json/2/&lt;path:subpath&gt; is type=&#39;json2&#39;.",
        ));
    }
    let parsed = if body.is_empty() { Ok(Value::Object(Map::new())) } else { serde_json::from_slice::<Value>(body) };
    let mut kwargs = match parsed {
        Ok(Value::Object(map)) => map,
        // Odoo 19 silently ignores a body that is not an object: the method runs with no arguments.
        Ok(_) => Map::new(),
        Err(error) => {
            return Ok(werkzeug(
                StatusCode::BAD_REQUEST,
                "werkzeug.exceptions.BadRequest",
                &format!("could not parse the body as json: {error}"),
            ));
        }
    };
    let ids_given = kwargs.contains_key("ids");
    let ids: Vec<i64> = match kwargs.remove("ids") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_i64).collect(),
        Some(Value::Number(n)) => n.as_i64().into_iter().collect(),
        // A string or anything else selects no record at all (Odoo answers `[]`).
        _ => Vec::new(),
    };
    let context = match kwargs.remove("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(c)) => c,
        Some(_) => {
            return Ok(raised(
                StatusCode::INTERNAL_SERVER_ERROR,
                &Raised::new(
                    "builtins.ValueError",
                    "dictionary update sequence element #0 has length 1; 2 is required",
                ),
            ));
        }
    };
    let prepared = (|| -> Result<(methods::Signature, Map<String, Value>), SimError> {
        sim.model_exists(model)?;
        if method.starts_with('_') {
            return Err(SimError::PrivateMethod { model: (*model).to_owned(), method: (*method).to_owned() });
        }
        let sig = sim.signature(model, method)?;
        if sig.model_level && ids_given {
            return Err(SimError::IdsOnModelMethod { model: (*model).to_owned(), method: (*method).to_owned() });
        }
        let params = methods::bind(&sig, method, Vec::new(), std::mem::take(&mut kwargs))?;
        Ok((sig, params))
    })();
    let (sig, params) = match prepared {
        Ok(p) => p,
        Err(error) => return Ok(render(error)),
    };
    let (lose_response, stamped_at) = match sim.admit(model, method).await {
        Admission::Stop(Execution::Drop) => return Err(Dropped),
        Admission::Stop(Execution::HttpStatus(status)) => return Ok(super::proxy_page(status)),
        Admission::Stop(Execution::Failed(error)) => return Ok(render(error)),
        Admission::Proceed { lose_response, stamped_at } => (lose_response, stamped_at),
    };
    let result =
        sim.execute(Call { uid, model, method, ids, params, context, readonly: sig.readonly, stamped_at }).await;
    if lose_response {
        return Err(Dropped);
    }
    Ok(match result {
        Ok(Outcome::Value(v)) => super::json_response(StatusCode::OK, &v),
        Ok(Outcome::Created { ids, .. }) => super::json_response(StatusCode::OK, &json!(ids)),
        Ok(Outcome::Nothing) => super::json_response(StatusCode::OK, &Value::Null),
        Err(error) => render(error),
    })
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim().to_owned())
}

/// Renders a failure with JSON-2's statuses.
fn render(error: SimError) -> HttpResponse {
    let not_found = |m: String| werkzeug(StatusCode::NOT_FOUND, "werkzeug.exceptions.NotFound", &m);
    let unprocessable =
        |m: String| werkzeug(StatusCode::UNPROCESSABLE_ENTITY, "werkzeug.exceptions.UnprocessableEntity", &m);
    match error {
        SimError::Raise(r) => {
            let status = match r.name.as_str() {
                crate::error::USER_ERROR | crate::error::VALIDATION_ERROR => StatusCode::UNPROCESSABLE_ENTITY,
                crate::error::ACCESS_ERROR => StatusCode::FORBIDDEN,
                crate::error::MISSING_ERROR => StatusCode::NOT_FOUND,
                crate::error::ACCESS_DENIED => StatusCode::UNAUTHORIZED,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            raised(status, &r)
        }
        SimError::UnknownModel(model) => not_found(format!("the model '{model}' does not exist")),
        SimError::UnknownMethod { model, method } => not_found(format!("The method '{model}.{method}' does not exist")),
        SimError::PrivateMethod { model, method } => raised(
            StatusCode::FORBIDDEN,
            &Raised::new(
                ACCESS_ERROR,
                format!("Private methods (such as '{model}.{method}') cannot be called remotely."),
            ),
        ),
        SimError::MissingArgument { param, .. } => unprocessable(format!("missing a required argument: '{param}'")),
        SimError::UnexpectedKeyword { keyword, strict: true, .. } => {
            unprocessable(format!("got an unexpected keyword argument '{keyword}'"))
        }
        SimError::UnexpectedKeyword { keyword, strict: false, .. } => raised(
            StatusCode::INTERNAL_SERVER_ERROR,
            &Raised::new(
                "builtins.TypeError",
                format!("BaseModel._read_format() got an unexpected keyword argument '{keyword}'"),
            ),
        ),
        SimError::IdsOnModelMethod { model, method } => unprocessable(format!("cannot call {model}.{method} with ids")),
    }
}
