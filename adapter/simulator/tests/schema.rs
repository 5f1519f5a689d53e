//! Checks every field the simulator serves for a model against the `fields_get` recorded from a real
//! Odoo of the same version (`../shared/odoo-schema/odoo{18,19}-fields.json`): the field must exist
//! there with the same type, relation and storage. Models the recordings do not cover are listed
//! here by name, so a new model is either recorded or declared unrecorded on purpose.

use std::path::{Path, PathBuf};

use odoo_simulator::{OdooVersion, SimConfig, Simulator};
use serde_json::{Map, Value, json};

/// Models the simulator serves that the recordings do not cover, in both versions...
const UNRECORDED: &[&str] = &[
    "account.fiscal.position",
    "account.partial.reconcile",
    "account.payment.method.line",
    "confirm.stock.sms",
    "ir.model",
    "ir.model.fields",
    "mail.message.subtype",
    "product.category",
    "product.pricelist.item",
    "res.country",
    "res.groups",
    "stock.backorder.confirmation.line",
    "stock.inventory.conflict",
];
/// ...and in one of them: 18's unit categories, packages and tracking wizard, 19's renamed packages.
const UNRECORDED_18: &[&str] = &["stock.quant.package", "stock.track.confirmation", "uom.category"];
const UNRECORDED_19: &[&str] = &["stock.package"];

fn recording(version: OdooVersion) -> Map<String, Value> {
    let base = std::env::var_os("ODOO_TRANSCRIPTS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let path = base.join(format!("odoo-schema/odoo{}-fields.json", version.major()));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the recorded schema is needed at {}: {e}", path.display()));
    match serde_json::from_str(&text).expect("the recorded schema is JSON") {
        Value::Object(models) => models,
        other => panic!("the recorded schema is an object of models, not {other}"),
    }
}

/// `fields_get` of a model over JSON-RPC, as a client sees it.
async fn fields_get(client: &reqwest::Client, url: &str, model: &str) -> Map<String, Value> {
    let body = json!({"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
        "service": "object", "method": "execute_kw",
        "args": ["odoo", 2, "admin", model, "fields_get", [], {"attributes": ["type", "relation", "store"]}],
    }});
    let answer: Value = client
        .post(format!("{url}/jsonrpc"))
        .json(&body)
        .send()
        .await
        .expect("the simulator answers")
        .json()
        .await
        .expect("a JSON-RPC answer");
    match answer.get("result") {
        Some(Value::Object(fields)) => fields.clone(),
        _ => panic!("fields_get of {model} failed: {answer}"),
    }
}

/// What differs between the fields served for a model and the recorded ones.
fn differences(model: &str, served: &Map<String, Value>, recorded: &Map<String, Value>) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, field) in served {
        let Some(truth) = recorded.get(name) else {
            problems.push(format!("{model}.{name}: not a field of this version"));
            continue;
        };
        for attribute in ["type", "relation", "store"] {
            let (ours, theirs) = (field.get(attribute), truth.get(attribute));
            if ours != theirs {
                problems.push(format!(
                    "{model}.{name}: {attribute} is {} here but {} in Odoo",
                    ours.map_or("unset".to_owned(), Value::to_string),
                    theirs.map_or("unset".to_owned(), Value::to_string)
                ));
            }
        }
    }
    problems
}

async fn check(version: OdooVersion, unrecorded_here: &[&str]) {
    let unrecorded: Vec<&str> = UNRECORDED.iter().chain(unrecorded_here).copied().collect();
    let sim = Simulator::new(SimConfig { version, ..SimConfig::default() });
    let served: Vec<String> = sim
        .search_read("ir.model", &json!([]), &["model"], Map::new())
        .expect("the simulator lists its models")
        .iter()
        .filter_map(|m| m["model"].as_str().map(str::to_owned))
        .collect();
    let running = sim.start("127.0.0.1:0".parse().expect("address")).await.expect("simulator starts");
    let client = reqwest::Client::new();
    let recorded = recording(version);
    let mut problems = Vec::new();
    let mut compared = 0;
    for model in &served {
        match recorded.get(model).and_then(Value::as_object) {
            Some(truth) => {
                let fields = fields_get(&client, &running.url(), model).await;
                compared += fields.len();
                problems.extend(differences(model, &fields, truth));
            }
            None if unrecorded.contains(&model.as_str()) => {}
            None => problems.push(format!("{model}: not in the recording, nor listed as unrecorded")),
        }
    }
    for model in &unrecorded {
        if !served.iter().any(|m| m == model) {
            problems.push(format!("{model}: listed as unrecorded but not served"));
        }
    }
    assert!(served.len() > 30 && compared > 400, "too few models ({}) or fields ({compared}) compared", served.len());
    assert!(
        problems.is_empty(),
        "{} fields differ from Odoo {}:\n{}",
        problems.len(),
        version.major(),
        problems.join("\n")
    );
}

#[tokio::test]
async fn every_field_served_for_odoo_18_exists_there_with_its_type_relation_and_storage() {
    check(OdooVersion::V18, UNRECORDED_18).await;
}

#[tokio::test]
async fn every_field_served_for_odoo_19_exists_there_with_its_type_relation_and_storage() {
    check(OdooVersion::V19, UNRECORDED_19).await;
}
