//! Odoo's JSON-RPC endpoint (`POST /jsonrpc`): the `common`, `object` and `db` services, with the
//! envelope, HTTP statuses and error bodies of a real Odoo 18 (error code 200) or 19 (code 0).

use bytes::Bytes;
use hyper::{Method, StatusCode};
use serde_json::{Map, Value, json};

use super::{Dropped, HttpResponse};
use crate::{
    Admission, Call, Execution, OdooVersion, Simulator,
    error::{ACCESS_DENIED, ACCESS_ERROR, Raised, SimError, TYPE_ERROR, USER_ERROR},
    orm::domain::python_repr,
    orm::methods::{self, Outcome},
};

const WRONG_TYPE: &str =
    "Request inferred type is compatible with [&#39;http&#39;] but &#39;/jsonrpc&#39; is type=&#39;json&#39;.";

pub(crate) async fn handle(
    sim: &Simulator,
    method: &Method,
    content_type: &str,
    body: &Bytes,
) -> Result<HttpResponse, Dropped> {
    if method != Method::POST || !content_type.starts_with("application/json") {
        return Ok(super::werkzeug_page(StatusCode::BAD_REQUEST, WRONG_TYPE));
    }
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return Ok(super::html_response(StatusCode::BAD_REQUEST, "Invalid JSON data"));
    };
    let Value::Object(request) = request else {
        return Ok(super::html_response(StatusCode::BAD_REQUEST, "Invalid JSON-RPC data"));
    };
    let id = request.get("id").cloned().unwrap_or(Value::Null);
    let params = request.get("params").and_then(Value::as_object).cloned().unwrap_or_default();
    let code = if sim.config().version == OdooVersion::V18 { 200 } else { 0 };
    let answer = |result: Result<Outcome, Raised>| {
        let mut envelope = Map::new();
        envelope.insert("jsonrpc".into(), json!("2.0"));
        envelope.insert("id".into(), id.clone());
        match result {
            Ok(Outcome::Value(v)) => {
                envelope.insert("result".into(), v);
            }
            Ok(Outcome::Created { ids, single }) => {
                envelope.insert("result".into(), if single { json!(ids.first()) } else { json!(ids) });
            }
            Ok(Outcome::Nothing) => {}
            Err(raised) => {
                envelope.insert(
                    "error".into(),
                    json!({
                        "code": code,
                        "message": "Odoo Server Error",
                        "data": {
                            "name": raised.name,
                            "debug": super::traceback(&raised.name, &raised.message),
                            "message": raised.message,
                            "arguments": [raised.message],
                            "context": {},
                        }
                    }),
                );
            }
        }
        super::json_response(StatusCode::OK, &Value::Object(envelope))
    };
    let service = params.get("service").and_then(Value::as_str).unwrap_or_default().to_owned();
    let function = params.get("method").and_then(Value::as_str).unwrap_or_default().to_owned();
    let Some(args) = params.get("args").cloned() else {
        return Ok(answer(Err(Raised::new(
            TYPE_ERROR,
            "RPC.jsonrpc() missing 1 required positional argument: 'args'",
        ))));
    };
    let args = match args {
        Value::Array(a) => a,
        other => vec![other],
    };
    let reply = match service.as_str() {
        "common" => common(sim, &function, &args).await?,
        "object" if function == "execute_kw" || function == "execute" => execute_kw(sim, &function, args).await?,
        "object" => Reply::Answer(Err(Raised::new("builtins.NameError", format!("Method not available {function}")))),
        "db" => Reply::Answer(Err(Raised::new(ACCESS_DENIED, "Access Denied"))),
        _ => Reply::Answer(Err(Raised::new("builtins.KeyError", service.clone()))),
    };
    Ok(match reply {
        Reply::Answer(result) => answer(result),
        Reply::Page(status) => super::proxy_page(status),
    })
}

async fn common(sim: &Simulator, function: &str, args: &[Value]) -> Result<Reply, Dropped> {
    if !matches!(function, "version" | "authenticate" | "login") {
        return Ok(Reply::Answer(Err(Raised::new("builtins.Exception", format!("Method not found: {function}")))));
    }
    match sim.admit("common", function).await {
        Admission::Stop(Execution::Drop) => Err(Dropped),
        Admission::Stop(Execution::HttpStatus(status)) => Ok(Reply::Page(status)),
        Admission::Stop(Execution::Failed(error)) => Ok(Reply::Answer(Err(render(error, sim.config().version)))),
        Admission::Proceed { .. } => Ok(Reply::Answer(common_answer(sim, function, args))),
    }
}

fn common_answer(sim: &Simulator, function: &str, args: &[Value]) -> Result<Outcome, Raised> {
    let text = |i: usize| args.get(i).and_then(Value::as_str).unwrap_or_default();
    if function == "version" {
        let major = sim.config().version.major();
        return Ok(Outcome::Value(json!({
            "server_version": format!("{major}.0"),
            "server_version_info": [major, 0, 0, "final", 0, ""],
            "server_serie": format!("{major}.0"),
            "protocol_version": 1,
        })));
    }
    let needed = if function == "authenticate" { 4 } else { 3 };
    if args.len() < needed {
        let missing = ["db", "login", "password", "user_agent_env"][args.len()..needed]
            .iter()
            .map(|p| format!("'{p}'"))
            .collect::<Vec<_>>();
        let plural = if missing.len() == 1 { "" } else { "s" };
        return Err(Raised::new(
            TYPE_ERROR,
            format!(
                "exp_{function}() missing {} required positional argument{plural}: {}",
                missing.len(),
                missing.join(" and ")
            ),
        ));
    }
    if !sim.database_matches(text(0)) {
        return Err(no_database(text(0)));
    }
    Ok(Outcome::Value(sim.authenticate(text(1), text(2)).map_or(json!(false), |uid| json!(uid))))
}

fn no_database(db: &str) -> Raised {
    Raised::new(
        "psycopg2.OperationalError",
        format!("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"{db}\" does not exist\n"),
    )
}

/// An answer in the JSON-RPC envelope, or an HTTP error page from an injected fault.
enum Reply {
    Answer(Result<Outcome, Raised>),
    Page(u16),
}

/// `object.execute_kw(db, uid, password, model, method, args=[], kwargs={})`.
async fn execute_kw(sim: &Simulator, function: &str, mut args: Vec<Value>) -> Result<Reply, Dropped> {
    let version = sim.config().version;
    if args.len() < 5 {
        return Ok(Reply::Answer(Err(Raised::new(
            TYPE_ERROR,
            format!("{function}() missing required positional arguments"),
        ))));
    }
    let rest = args.split_off(5);
    let db = args[0].as_str().unwrap_or_default().to_owned();
    let uid = args[1].as_i64().unwrap_or_default();
    let secret = args[2].as_str().unwrap_or_default().to_owned();
    let model = args[3].as_str().unwrap_or_default().to_owned();
    let method = args[4].as_str().unwrap_or_default().to_owned();
    let (mut positional, kwargs) = if function == "execute" {
        (rest, Value::Object(Map::new()))
    } else {
        let mut rest = rest.into_iter();
        let positional = match rest.next() {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => Vec::new(),
            Some(other) => vec![other],
        };
        (positional, rest.next().unwrap_or(Value::Object(Map::new())))
    };
    match sim.admit(&model, &method).await {
        Admission::Stop(Execution::Drop) => Err(Dropped),
        Admission::Stop(Execution::HttpStatus(status)) => Ok(Reply::Page(status)),
        Admission::Stop(Execution::Failed(error)) => Ok(Reply::Answer(Err(render(error, version)))),
        Admission::Proceed { lose_response, stamped_at } => {
            let target = Target { model: &model, method: &method, stamped_at };
            let result = prepare_and_run(sim, version, &db, uid, &secret, target, &mut positional, kwargs).await;
            if lose_response {
                return Err(Dropped);
            }
            Ok(Reply::Answer(result))
        }
    }
}

/// The method a call runs, and when its transaction began if earlier than now.
struct Target<'a> {
    model: &'a str,
    method: &'a str,
    stamped_at: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn prepare_and_run(
    sim: &Simulator,
    version: OdooVersion,
    db: &str,
    uid: i64,
    secret: &str,
    target: Target<'_>,
    positional: &mut Vec<Value>,
    kwargs: Value,
) -> Result<Outcome, Raised> {
    let Target { model, method, stamped_at } = target;
    if !sim.database_matches(db) {
        return Err(no_database(db));
    }
    sim.check_credentials(uid, secret).map_err(|e| render(e, version))?;
    let Value::Object(mut kwargs) = kwargs else {
        return Err(Raised::new(
            TYPE_ERROR,
            format!(
                "odoo.service.model.execute() argument after ** must be a mapping, not {}",
                crate::orm::json_type(&kwargs)
            ),
        ));
    };
    let context = match kwargs.remove("context") {
        Some(Value::Object(c)) => c,
        None | Some(Value::Null) => Map::new(),
        Some(other) => {
            return Err(Raised::new(
                "builtins.ValueError",
                format!("dictionary update sequence element #0 has length 1; 2 is required: {}", python_repr(&other)),
            ));
        }
    };
    let prepared = (|| -> Result<Bound, SimError> {
        if method.starts_with('_') {
            return Err(SimError::PrivateMethod { model: model.to_owned(), method: method.to_owned() });
        }
        let sig = sim.signature(model, method)?;
        let ids = if sig.model_level {
            Vec::new()
        } else if positional.is_empty() {
            return Err(SimError::type_error(format!("{method}() missing 1 required positional argument: 'self'")));
        } else {
            match positional.remove(0) {
                Value::Array(items) => items.iter().filter_map(Value::as_i64).collect(),
                Value::Number(n) => n.as_i64().into_iter().collect(),
                _ => Vec::new(),
            }
        };
        if method == "create" && positional.is_empty() && version == OdooVersion::V18 {
            // Odoo 18's call_kw looks at args[0] to tell a dict from a list before calling create.
            return Err(SimError::Raise(Raised::new("builtins.IndexError", "tuple index out of range")));
        }
        let params = methods::bind(&sig, method, std::mem::take(positional), kwargs)?;
        Ok((ids, params, sig.readonly))
    })();
    let (ids, params, readonly) = prepared.map_err(|e| render(e, version))?;
    sim.execute(Call { uid, model, method, ids, params, context, readonly, stamped_at })
        .await
        .map_err(|e| render(e, version))
}

/// A call's record ids, bound parameters, and whether it only reads.
type Bound = (Vec<i64>, Map<String, Value>, bool);

/// Renders a failure in JSON-RPC's words.
pub(crate) fn render(error: SimError, version: OdooVersion) -> Raised {
    match error {
        SimError::Raise(raised) => raised,
        SimError::UnknownModel(model) => Raised::new(USER_ERROR, format!("Object {model} doesn't exist")),
        SimError::UnknownMethod { model, method } => Raised::new(
            "builtins.AttributeError",
            format!("The method '{method}' does not exist on the model '{model}'"),
        ),
        SimError::PrivateMethod { model, method } => match version {
            OdooVersion::V18 => {
                Raised::new(ACCESS_ERROR, format!("Private methods (such as {method}) cannot be called remotely."))
            }
            OdooVersion::V19 => Raised::new(
                ACCESS_ERROR,
                format!("Private methods (such as '{model}.{method}') cannot be called remotely."),
            ),
        },
        SimError::MissingArgument { method, param } => {
            Raised::new(TYPE_ERROR, format!("BaseModel.{method}() missing 1 required positional argument: '{param}'"))
        }
        SimError::UnexpectedKeyword { method, keyword, strict } => {
            let function = if strict { format!("BaseModel.{method}") } else { "BaseModel._read_format".to_owned() };
            Raised::new(TYPE_ERROR, format!("{function}() got an unexpected keyword argument '{keyword}'"))
        }
        SimError::IdsOnModelMethod { model, method } => {
            Raised::new(TYPE_ERROR, format!("cannot call {model}.{method} with ids"))
        }
    }
}
