//! Writes the seed corpus, `fuzz/corpus/<target>/`, from Odoo's real answers (the transcripts in
//! `../shared/odoo-transcripts/` and `../shared/odoo19-transcripts/`, beside the repository), and
//! from requests, tokens, headers, policies, configs and domains like the tests'. Files are named
//! by a hash of their bytes, so running it again adds only what is new. Ignored by default (the
//! corpus is committed); to regenerate:
//!
//! ```sh
//! cargo test -p odoo-mesh-fuzz --test seed -- --ignored
//! ```
//!
//! A test rather than a binary: `cargo fuzz build` instruments every binary of the crate, and one
//! without libFuzzer would not link.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    time::{Duration, UNIX_EPOCH},
};

use odoo_adapter::fuzzing::READERS;
use odoo_mesh::{
    fuzzing::{CONVERSIONS, page_token, token_key},
    proto::{common::v1 as common, inventory::v1 as ipb, order::v1 as opb},
    watch::token::ResumeToken,
};
use prost::Message;
use serde_json::{Value, json};

#[test]
#[ignore = "writes the seed corpus: run with --ignored to regenerate it"]
fn regenerate_the_seed_corpus() -> std::io::Result<()> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR"));
    let shared = fuzz.join("../../shared");
    let mut corpus = Corpus { root: fuzz.join("corpus"), written: 0 };
    let exchanges = transcripts(&shared)?;
    requests(&mut corpus)?;
    odoo(&mut corpus, &exchanges)?;
    tokens(&mut corpus)?;
    headers(&mut corpus)?;
    policies(&mut corpus)?;
    configs(&mut corpus)?;
    domains(&mut corpus, &exchanges)?;
    println!("{} seed files written under {}", corpus.written, corpus.root.display());
    Ok(())
}

struct Corpus {
    root: PathBuf,
    written: usize,
}

impl Corpus {
    fn add(&mut self, target: &str, bytes: &[u8]) -> std::io::Result<()> {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir)?;
        // FNV-1a: a stable name, the same bytes the same file.
        let hash =
            bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3));
        let path = dir.join(format!("{hash:016x}"));
        if !path.exists() {
            std::fs::write(path, bytes)?;
            self.written += 1;
        }
        Ok(())
    }

    fn add_with(&mut self, target: &str, first: u8, rest: &[u8]) -> std::io::Result<()> {
        self.add(target, &[&[first], rest].concat())
    }
}

/// One recorded exchange with Odoo: what was asked (model, domain) and answered.
struct Exchange {
    json2: bool,
    model: Option<String>,
    domain: Option<Value>,
    status: u16,
    is_json: bool,
    body: Vec<u8>,
}

fn transcripts(shared: &Path) -> std::io::Result<Vec<Exchange>> {
    let mut exchanges = Vec::new();
    for (dir, json2) in [("odoo-transcripts", false), ("odoo19-transcripts", true)] {
        let Ok(entries) = std::fs::read_dir(shared.join(dir)) else {
            eprintln!("no {dir} in {}: its seeds are left out", shared.display());
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        paths.sort();
        for path in paths {
            let Ok(transcript) = serde_json::from_slice::<Value>(&std::fs::read(&path)?) else { continue };
            let (Some(request), Some(response)) = (transcript.get("request"), transcript.get("response")) else {
                continue;
            };
            let pairs: Vec<(&Value, &Value)> = match (request, response) {
                (Value::Array(requests), Value::Array(responses)) => requests.iter().zip(responses).collect(),
                _ => vec![(request, response)],
            };
            let status = transcript.get("http_status").and_then(Value::as_u64).unwrap_or(200);
            for (request, response) in pairs {
                exchanges.push(if json2 {
                    json2_exchange(request, response)
                } else {
                    jsonrpc_exchange(request, response, status)
                });
            }
        }
    }
    Ok(exchanges)
}

fn jsonrpc_exchange(request: &Value, response: &Value, status: u64) -> Exchange {
    let args = request.pointer("/params/args");
    Exchange {
        json2: false,
        model: args.and_then(|a| a.get(3)).and_then(Value::as_str).map(str::to_owned),
        domain: args.and_then(|a| a.pointer("/5/0")).cloned(),
        status: u16::try_from(status).unwrap_or(200),
        is_json: true,
        body: serde_json::to_vec(response).unwrap_or_default(),
    }
}

fn json2_exchange(request: &Value, response: &Value) -> Exchange {
    let url = request.get("url").and_then(Value::as_str).unwrap_or_default();
    let model = url.split("/json/2/").nth(1).and_then(|rest| rest.split('/').next()).map(str::to_owned);
    let content_type = response.pointer("/headers/Content-Type").and_then(Value::as_str).unwrap_or_default();
    let body = match response.get("body") {
        Some(Value::String(text)) => text.clone().into_bytes(),
        Some(body) => serde_json::to_vec(body).unwrap_or_default(),
        None => Vec::new(),
    };
    Exchange {
        json2: true,
        model,
        domain: request.pointer("/body/domain").cloned(),
        status: response.get("status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()).unwrap_or(200),
        is_json: content_type.starts_with("application/json"),
        body,
    }
}

/// Requests like the tests' for the main RPCs, and for every RPC its empty message and messages
/// of a few fields (names, SKUs, numbers) in the first places.
fn requests(corpus: &mut Corpus) -> std::io::Result<()> {
    let index =
        |rpc: &str| u8::try_from(CONVERSIONS.iter().position(|c| c.rpc.ends_with(rpc)).expect(rpc)).expect("few");
    let quantity = |value: &str| Some(common::Quantity { value: value.into(), unit_of_measure: String::new() });
    let line =
        |sku: &str, q: &str| opb::SalesOrderLineInput { sku: sku.into(), quantity: quantity(q), ..Default::default() };
    let customer = |name: &str| {
        Some(opb::PartnerSelector { selector: Some(opb::partner_selector::Selector::Partner(name.into())) })
    };
    let orders = [
        opb::CreateSalesOrderRequest {
            request_id: "order-1".into(),
            customer: customer("partners/7"),
            warehouse: "warehouses/1".into(),
            customer_reference: "PO-1".into(),
            lines: vec![line("FURN_5555", "1"), line("E-COM11", "2.125")],
            ..Default::default()
        },
        opb::CreateSalesOrderRequest {
            request_id: "order-2".into(),
            customer: Some(opb::PartnerSelector {
                selector: Some(opb::partner_selector::Selector::NewPartner(opb::NewPartner {
                    display_name: "Never Created Ltd".into(),
                    is_company: true,
                    address: Some(common::Address {
                        email: "buyer@example.com".into(),
                        city: "Springfield".into(),
                        ..Default::default()
                    }),
                    ..Default::default()
                })),
            }),
            lines: vec![line("FURN_5555", "1"), line("NO-SUCH-SKU", "-1"), line("", "1e3"), line("X\0Y", "0.5")],
            pricelist: "pricelists/987654".into(),
            ..Default::default()
        },
    ];
    for order in orders {
        corpus.add_with("requests", index("/CreateSalesOrder"), &order.encode_to_vec())?;
    }
    let stock = ipb::GetStockLevelsRequest {
        skus: vec!["FURN_5555".into(), "E-COM11".into(), "FURN_5555".into()],
        warehouses: vec!["warehouses/1".into(), "warehouses/+2".into()],
        ..Default::default()
    };
    corpus.add_with("requests", index("/GetStockLevels"), &stock.encode_to_vec())?;
    let watch =
        ipb::WatchStockLevelsRequest { skus: vec!["FURN_5555".into()], send_initial: true, ..Default::default() };
    corpus.add_with("requests", index("/WatchStockLevels"), &watch.encode_to_vec())?;
    let sealed = ResumeToken { epoch: 1, revision: 42, position: UNIX_EPOCH + Duration::from_secs(1_800_000_000) };
    let watch =
        opb::WatchSalesOrdersRequest { resume_token: sealed.seal(&token_key(), "sales_orders"), send_initial: false };
    corpus.add_with("requests", index("/WatchSalesOrders"), &watch.encode_to_vec())?;

    // Field by field: a string, a number, a nested message, in the first places of each message.
    let texts = ["salesOrders/42", "partners/07", "ab\0c"];
    for (i, conversion) in CONVERSIONS.iter().enumerate() {
        let i = u8::try_from(i).expect("few RPCs");
        corpus.add_with("requests", i, &[])?;
        for field in 1..=2u8 {
            for text in texts {
                let mut bytes = vec![field << 3 | 2, u8::try_from(text.len()).expect("short")];
                bytes.extend_from_slice(text.as_bytes());
                corpus.add_with("requests", i, &bytes)?;
            }
            corpus.add_with("requests", i, &[field << 3, 7])?;
        }
        let _ = conversion;
    }
    Ok(())
}

/// Odoo's answers: each exchange's body as its wire format and status give it, and the records
/// it holds for the decoders of its model.
fn odoo(corpus: &mut Corpus, exchanges: &[Exchange]) -> std::io::Result<()> {
    const STATUSES: [u16; 10] = [200, 400, 401, 403, 404, 422, 500, 502, 503, 504];
    // Small answers only: libFuzzer mutates short inputs best, and the corpus stays small.
    for exchange in exchanges.iter().filter(|e| e.body.len() <= 16 * 1024) {
        let status = u8::try_from(STATUSES.iter().position(|s| *s == exchange.status).unwrap_or(0)).expect("few");
        let flags = if exchange.json2 { 1 | if exchange.is_json { 0 } else { 2 } } else { 0 };
        corpus.add("odoo_envelopes", &[&[flags, status][..], &exchange.body].concat())?;
        let Some(model) = &exchange.model else { continue };
        let Ok(body) = serde_json::from_slice::<Value>(&exchange.body) else { continue };
        let records = if exchange.json2 { Some(&body) } else { body.get("result") };
        let Some(records @ Value::Array(items)) = records else { continue };
        if items.is_empty() || !items.iter().all(Value::is_object) {
            continue;
        }
        for (i, reader) in READERS.iter().enumerate() {
            if reader.name.split(' ').next() == Some(model.as_str()) {
                let json = serde_json::to_vec(records).unwrap_or_default();
                corpus.add_with("odoo_records", u8::try_from(i).expect("few readers"), &json)?;
            }
        }
    }
    // Records of every model with every value odd in turn, and the envelopes' edge cases.
    for (i, _) in READERS.iter().enumerate() {
        let i = u8::try_from(i).expect("few readers");
        for record in [json!([]), json!([{"id": 1}]), json!({"id": false}), json!([{"id": 7, "name": 1e30}])] {
            corpus.add_with("odoo_records", i, &serde_json::to_vec(&record).unwrap_or_default())?;
        }
    }
    for body in [
        json!({"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "message": "Odoo Server Error", "data": {"name": "odoo.exceptions.AccessDenied", "message": "Access Denied"}}}),
        json!({"jsonrpc": "2.0", "id": 1}),
        json!({"name": "werkzeug.exceptions.NotFound", "message": "404 Not Found"}),
    ] {
        let body = serde_json::to_vec(&body).unwrap_or_default();
        corpus.add("odoo_envelopes", &[&[0, 0][..], &body].concat())?;
        corpus.add("odoo_envelopes", &[&[1, 6][..], &body].concat())?;
    }
    corpus.add("odoo_envelopes", b"\x01\x07<html>502 Bad Gateway</html>")?;
    corpus.add("odoo_envelopes", b"\x00\x00not json")?;
    Ok(())
}

fn tokens(corpus: &mut Corpus) -> std::io::Result<()> {
    let key = token_key();
    for (id, filters) in [(1, ""), (42, "sku_prefix=FURN"), (i64::from(i32::MAX), "state=sale;customer=7")] {
        let token = page_token(&key, id, filters);
        corpus.add("tokens", format!("\x00{token}\n{filters}").as_bytes())?;
        corpus.add("tokens", format!("\x00{token}\nother").as_bytes())?;
    }
    for stream in ["stock", "sales_orders", "shipments", "invoices"] {
        let sealed = ResumeToken { epoch: 3, revision: 9, position: UNIX_EPOCH + Duration::from_secs(1_800_000_000) };
        corpus.add("tokens", format!("\x01{}\n{stream}", sealed.seal(&key, stream)).as_bytes())?;
    }
    for junk in ["", "garbage!", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "====", "a\nb"] {
        corpus.add("tokens", format!("\x00{junk}").as_bytes())?;
        corpus.add("tokens", format!("\x01{junk}").as_bytes())?;
    }
    corpus.add("tokens", b"\x02\x00\x00\x00\x2a\x00\x00\x00\x00\x0fsku_prefix=FURN\x03\x41")?;
    corpus.add("tokens", b"\x02\x00\x00\x00\x2a\x00\x00\x00\x00\x00\xff\x00")?;
    corpus.add("tokens", b"\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x09\x00\x00\x01\x8c\x00\x00\x00\x00\x05stock\x04\x42")?;
    Ok(())
}

fn headers(corpus: &mut Corpus) -> std::io::Result<()> {
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let forwarded = [
        r#"By=spiffe://mesh/ns/a/sa/x;URI=spiffe://mesh/ns/old/sa/y,By=spiffe://mesh/ns/odoo/sa/mesh;Hash=abc;Subject="";URI=spiffe://fuzz.example/ns/shop/sa/web;DNS=web.shop"#,
        "Hash=abc;DNS=wms.fuzz.example",
        "URI=spiffe://other.example/sa/x",
        "garbage",
        "",
    ];
    let paths = [
        "/odoomesh.inventory.v1.InventoryService/ListWarehouses",
        "/odoomesh.order.v1.OrderService/GetSalesOrder",
        "/grpc.health.v1.Health/Check",
    ];
    let timeouts = ["250m", "3S", "1H", "99999999n", "100000000n", "", "5", "1x", "-1S"];
    let long_id = "x".repeat(129);
    for (i, timeout) in timeouts.iter().enumerate() {
        let request_id = ["req-1", "", long_id.as_str()][i % 3];
        let header = forwarded[i % forwarded.len()];
        let path = paths[i % paths.len()];
        corpus.add("headers", format!("{timeout}\n{request_id}\n{traceparent}\n{header}\n{path}").as_bytes())?;
    }
    corpus.add("headers", format!("1S\nreq\n00-zz\n{}\n/", forwarded[1]).as_bytes())?;
    Ok(())
}

fn policies(corpus: &mut Corpus) -> std::io::Result<()> {
    let readme = r#"operations = ["**"]

[[allow]]
identities = ["spiffe://shop.example/ns/web/sa/storefront"]
methods = ["odoomesh.inventory.v1.InventoryService/*", "odoomesh.order.v1.OrderService/CreateSalesOrder",
           "odoomesh.order.v1.OrderService/GetSalesOrder"]

[[allow]]
identities = ["spiffe://shop.example/ns/wms/sa/*"]
methods = ["odoomesh.inventory.v1.InventoryService/*", "odoomesh.shipment.v1.ShipmentService/*"]

[[allow]]
identities = ["*.billing.internal"]
methods = ["odoomesh.finance.v1.FinanceService/*"]
"#;
    let cases: [(&str, &str, &str); 6] = [
        (readme, "spiffe://shop.example/ns/wms/sa/picker", "odoomesh.shipment.v1.ShipmentService/GetShipment"),
        (readme, "anonymous", "odoomesh.inventory.v1.InventoryService/ListWarehouses"),
        (readme, "a.billing.internal", "odoomesh.finance.v1.FinanceService/GetInvoice"),
        ("operations = []\n[[allow]]\nidentities = [\"anonymous\"]\nmethods = [\"*\"]\n", "anonymous", "x/y"),
        (
            "[[allow]]\nidentities = [\"spiffe://shop.example/**\"]\nmethods = [\"*\"]\n",
            "spiffe://shop.example/",
            "a/b",
        ),
        ("allow = 5\nunknown = true\n", "", ""),
    ];
    for (text, identity, method) in cases {
        corpus.add("policy", format!("{text}\0{identity}\0{method}").as_bytes())?;
    }
    Ok(())
}

fn configs(corpus: &mut Corpus) -> std::io::Result<()> {
    let texts = [
        "listen = \"127.0.0.1:7000\"\nadmin_listen = \"127.0.0.1:7001\"\nodoo_request_timeout = \"2s\"\nodoo_api_key_file = \"/run/key\"\nodoo_url = \"http://odoo:8069\"\nodoo_db = \"prod\"\nplaintext = true\n",
        "listen = \"127.0.0.1:7000\"\nlistne = \"x\"\n",
        "odoo_url = \"https://erp.example.com\"\nodoo_db = \"prod\"\nodoo_password_file = \"/run/pw\"\ntls_cert = \"/c\"\ntls_key = \"/k\"\nclient_ca = \"/ca\"\nwatch_retention = \"1s\"\nwatch_heartbeat = \"5s\"\n",
        "odoo_url = \"ftp://odoo\"\nodoo_db = \"x\"\nplaintext = true\nodoo_api_key_file = \"/k\"\n",
        "odoo_url = \"http://odoo:8069\"\nodoo_db = \"prod\"\nplaintext = true\nodoo_api_key_file = \"/k\"\nodoo_protocol = \"json2\"\n\n[[odoo_credentials]]\nidentities = [\"spiffe://shop.example/ns/web/**\"]\nlogin = \"storefront-bot\"\napi_key_file = \"/etc/odoo-mesh/odoo/storefront-bot.key\"\n",
        "odoo_url = \"http://odoo:8069\"\nodoo_db = \"prod\"\nplaintext = true\nodoo_api_key_file = \"/k\"\n[[odoo_credentials]]\nidentities = []\nlogin = \"nobody\"\n",
        "plaintext = true\ntrust_forwarded_client_cert = true\nodoo_url = \"http://o\"\nodoo_db = \"d\"\nodoo_api_key_file = \"/k\"\nodoo_protocol = \"bogus\"\n",
        "reload_interval = \"forever\"\n",
        "listen = [\n",
    ];
    for text in texts {
        corpus.add("config", text.as_bytes())?;
    }
    Ok(())
}

fn domains(corpus: &mut Corpus, exchanges: &[Exchange]) -> std::io::Result<()> {
    let mut seen = BTreeSet::new();
    for domain in exchanges.iter().filter_map(|e| e.domain.as_ref()) {
        let text = serde_json::to_string(domain).unwrap_or_default();
        if seen.insert(text.clone()) {
            corpus.add("domain", text.as_bytes())?;
        }
    }
    for domain in [
        json!([]),
        json!(null),
        json!([["default_code", "=", "FURN_5555"]]),
        json!(["|", ["default_code", "=like", "FURN_5555"], ["name", "ilike", "desk"]]),
        json!(["!", ["barcode", "=", false], ["list_price", ">=", 100]]),
        json!([
            "&",
            ["weight", "<", 1.5],
            "|",
            ["id", "in", [1, 2, 44]],
            ["default_code", "not in", ["E-COM11", false]]
        ]),
        json!([["name", "not ilike", "chair"], ["default_code", "!=", false], [1, "=", 1]]),
        json!([["id", "<=", 20], [0, "=", 1]]),
        json!(["|", ["name", "like", "Desk"]]),
        json!([["categ_id.name", "ilike", "all"]]),
        json!([["id", "=", 9_999_999_999_i64]]),
        json!([["default_code", "~~", "x"]]),
        json!([["name", "like", "%a_b\\%"]]),
    ] {
        corpus.add("domain", serde_json::to_string(&domain).unwrap_or_default().as_bytes())?;
    }
    Ok(())
}
