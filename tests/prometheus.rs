//! The dashboard and the alert rules against a real Prometheus (Debian's `prometheus` package, which
//! `tests/run` installs): Prometheus scrapes odoo-mesh's admin port while a scenario runs, then every
//! expression of the Grafana dashboard and the query of every alert must return data, so neither can
//! chart or watch a series nobody emits. `promtool` checks the rules and runs their unit tests.

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use common::{Harness, a_customer, a_delivery, partner, qty, stocked_skus, unique, wait};
use odoo_mesh::proto::{finance::v1 as fin, inventory::v1 as inv, order::v1 as order, shipment::v1 as ship};
use odoo_simulator::{Fault, FaultRule};
use serde_json::{Value, json};

const DASHBOARD: &str = "deploy/grafana/odoo-mesh-dashboard.json";
const ALERTS: &str = "deploy/prometheus/alerts.yml";
const ALERT_TESTS: &str = "deploy/prometheus/alerts_test.yml";
const PROMETHEUS_RULE: &str = "deploy/kubernetes/base/prometheusrule.yaml";

/// The scrape job's name, which the dashboard's `$job` variable selects.
const JOB: &str = "odoo-mesh";
/// What the dashboard's `$__rate_interval` becomes: several one-second scrapes.
const RATE_INTERVAL: &str = "1m";
/// How long one expression may take to return data once the scenario has run.
const PATIENCE: Duration = Duration::from_secs(30);

fn repo_file(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// A Prometheus tool, from `$PROMETHEUS`/`$PROMTOOL` or the `PATH`. Missing is a failure, not a skip.
fn tool(name: &str) -> PathBuf {
    let from_env = std::env::var_os(name.to_uppercase()).map(PathBuf::from);
    let on_path = || {
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    };
    from_env.or_else(on_path).unwrap_or_else(|| {
        panic!(
            "`{name}` is missing: tests/run installs it (apt-get install prometheus), or set ${}",
            name.to_uppercase()
        )
    })
}

fn run_promtool(args: &[&str]) {
    let output = Command::new(tool("promtool")).args(args).current_dir(repo_file(".")).output().expect("promtool runs");
    assert!(
        output.status.success(),
        "promtool {}:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn yaml(path: &str) -> serde_norway::Value {
    let text = std::fs::read_to_string(repo_file(path)).expect("file reads");
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn promtool_accepts_the_alert_rules_and_each_alert_fires_and_stays_quiet_as_its_unit_tests_say() {
    run_promtool(&["check", "rules", ALERTS]);
    run_promtool(&["test", "rules", ALERT_TESTS]);
}

#[test]
fn the_prometheus_operator_gets_the_same_alert_rules_as_plain_prometheus() {
    let plain = yaml(ALERTS);
    let operator = yaml(PROMETHEUS_RULE);
    assert_eq!(operator["kind"].as_str(), Some("PrometheusRule"));
    assert_eq!(operator["spec"]["groups"], plain["groups"], "{PROMETHEUS_RULE} and {ALERTS} differ");
}

#[test]
fn every_alert_has_a_severity_a_runbook_and_a_test() {
    let tests = std::fs::read_to_string(repo_file(ALERT_TESTS)).expect("alert tests");
    let runbook = std::fs::read_to_string(repo_file("deploy/README.md")).expect("deploy README");
    for rule in alert_rules() {
        let name = rule["alert"].as_str().expect("alert name");
        assert!(
            ["critical", "warning"].contains(&rule["labels"]["severity"].as_str().unwrap_or_default()),
            "{name}: severity"
        );
        for annotation in ["summary", "description", "runbook_url"] {
            assert!(rule["annotations"][annotation].as_str().is_some(), "{name}: {annotation}");
        }
        let anchor = format!("#{}", name.to_lowercase());
        assert!(
            rule["annotations"]["runbook_url"].as_str().is_some_and(|url| url.ends_with(&anchor)),
            "{name}: runbook_url"
        );
        assert!(runbook.contains(&format!("### {name}\n")), "deploy/README.md has no runbook section for {name}");
        assert!(tests.contains(&format!("alertname: {name}\n")), "{ALERT_TESTS} does not test {name}");
    }
}

fn alert_rules() -> Vec<serde_norway::Value> {
    let plain = yaml(ALERTS);
    let groups = plain["groups"].as_sequence().expect("groups");
    groups.iter().flat_map(|group| group["rules"].as_sequence().expect("rules").clone()).collect()
}

/// An alert's query: its expression without the final top-level comparison with a threshold.
fn alert_query(expr: &str) -> String {
    let bytes = expr.as_bytes();
    let mut depth = 0_i32;
    let mut split = None;
    for (i, &byte) in bytes.iter().enumerate() {
        match byte {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' => depth -= 1,
            b'>' | b'<' | b'=' | b'!' if depth == 0 && split.is_none_or(|s| i > s + 1) => {
                // `>=`, `<=`, `==` and `!=` are one operator: keep where it starts.
                split = Some(i);
            }
            _ => {}
        }
    }
    let at = split.unwrap_or_else(|| panic!("`{expr}` is not `<query> <comparison> <threshold>`"));
    expr[..at].trim().to_owned()
}

#[test]
fn an_alert_query_is_its_expression_without_the_threshold() {
    assert_eq!(alert_query("min by (job) (up{code=~\"a|b\"}) < 1"), "min by (job) (up{code=~\"a|b\"})");
    assert_eq!(alert_query("sum(rate(x[5m])) / sum(rate(y[5m])) >= 0.05"), "sum(rate(x[5m])) / sum(rate(y[5m]))");
    assert_eq!(alert_query("time() - max(t) > 120"), "time() - max(t)");
}

/// Every expression the dashboard charts, with its variables filled in.
fn dashboard_queries() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo_file(DASHBOARD)).expect("dashboard");
    let dashboard: Value = serde_json::from_str(&text).expect("dashboard is JSON");
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().expect("expr");
            let filled = expr.replace("$__rate_interval", RATE_INTERVAL).replace("$job", JOB);
            assert!(!filled.contains('$'), "a dashboard variable the test does not know: {expr}");
            queries.push((format!("dashboard panel {:?}", panel["title"].as_str().unwrap_or_default()), filled));
        }
    }
    queries
}

/// A Prometheus server of its own, scraping one odoo-mesh every second.
struct Prometheus {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Prometheus {
    fn start(dir: &Path, admin_port: u16) -> Self {
        let dir = dir.join("prometheus");
        std::fs::create_dir_all(&dir).expect("prometheus dir");
        let config = format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             rule_files: [{rules:?}]\n\
             scrape_configs:\n  - job_name: {JOB}\n    static_configs: [{{targets: [\"127.0.0.1:{admin_port}\"]}}]\n",
            rules = repo_file(ALERTS),
        );
        std::fs::write(dir.join("prometheus.yml"), config).expect("config written");
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("log file");
        let child = Command::new(tool("prometheus"))
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        Self { child, url: format!("http://127.0.0.1:{port}"), dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    /// The `data` of an API answer, or the error Prometheus gave.
    async fn api(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, String> {
        let request = reqwest::Client::new().get(format!("{}{path}", self.url)).query(query);
        let body: Value = request.send().await.map_err(|e| e.to_string())?.json().await.map_err(|e| e.to_string())?;
        if body["status"] != "success" {
            return Err(format!("{}: {}", body["errorType"], body["error"]));
        }
        Ok(body["data"].clone())
    }

    /// The samples of an instant query, or the error Prometheus gave.
    async fn query(&self, promql: &str) -> Result<Vec<f64>, String> {
        let data = self.api("/api/v1/query", &[("query", promql)]).await?;
        let value_of = |pair: &Value| pair[1].as_str().and_then(|v| v.parse::<f64>().ok());
        Ok(match data["resultType"].as_str() {
            Some("vector") => {
                data["result"].as_array().into_iter().flatten().filter_map(|s| value_of(&s["value"])).collect()
            }
            Some("scalar") => value_of(&data["result"]).into_iter().collect(),
            _ => Vec::new(),
        })
    }

    /// How many times Prometheus has scraped odoo-mesh successfully so far.
    async fn scrapes(&self) -> usize {
        let query = format!("sum_over_time(up{{job=\"{JOB}\"}}[1h])");
        let samples = self.query(&query).await.unwrap_or_default();
        samples.first().map_or(0, |n| *n as usize)
    }

    /// Waits until Prometheus has scraped odoo-mesh successfully `scrapes` times.
    async fn scraped(&self, scrapes: usize) {
        wait::until("prometheus scrapes odoo-mesh", PATIENCE, || async { self.scrapes().await >= scrapes }).await;
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("addr").port()
}

/// A delivered, invoiced and paid order, and an order Odoo holds with a quantity odoo-mesh cannot
/// decode (left out of a listing, and counted): the business counters and the odd-records panel.
async fn business(harness: &Harness) {
    let (order, delivery, _) = a_delivery(harness, &["2"]).await;
    let validate =
        ship::ValidateShipmentRequest { request_id: unique("ship"), name: delivery.name, ..Default::default() };
    harness.shipments().await.validate_shipment(validate).await.expect("shipped");
    let mut finance = harness.finance().await;
    let invoicing = fin::CreateInvoiceRequest {
        request_id: unique("invoice"),
        sales_orders: vec![order.name],
        post: true,
        down_payment: None,
    };
    let invoice = finance.create_invoice(invoicing).await.expect("invoiced").into_inner().invoices.remove(0);
    let payment =
        fin::RegisterPaymentRequest { request_id: unique("pay"), invoices: vec![invoice.name], ..Default::default() };
    finance.register_payment(payment).await.expect("paid in full");

    let (warehouse, stocked) = stocked_skus(harness, 1, 1).await;
    let reference = unique("odd");
    let draft = order::CreateSalesOrderRequest {
        request_id: unique("odd"),
        customer: partner(a_customer(harness).await),
        warehouse,
        customer_reference: reference.clone(),
        lines: vec![order::SalesOrderLineInput { sku: stocked[0].0.clone(), quantity: qty("1"), ..Default::default() }],
        ..Default::default()
    };
    let mut orders = harness.orders().await;
    let odd = orders.create_sales_order(draft).await.expect("created").into_inner().sales_order.expect("an order");
    let odoo = harness.direct();
    let read = odoo.execute("sale.order", "read", json!([[odd.id]]), json!({"fields": ["order_line"]})).await;
    // More than a decimal holds: Odoo stores it through `write`, as any Odoo client could.
    odoo.execute("sale.order.line", "write", json!([read[0]["order_line"], {"product_uom_qty": 1e30}]), json!({}))
        .await;
    let listing = order::ListSalesOrdersRequest { customer_reference: reference, ..Default::default() };
    let page = orders.list_sales_orders(listing).await.expect("the listing answers").into_inner();
    assert!(page.sales_orders.is_empty(), "the odd order is left out: {:?}", page.sales_orders);
}

/// A round of everyday traffic: reads from the view and through Odoo, an order and its
/// duplicate (a stock change the watch delivers), and a read Odoo fails.
async fn traffic(
    harness: &Harness,
    watch: &mut tonic::Streaming<inv::WatchStockLevelsResponse>,
    sku: &str,
    warehouse: &str,
) {
    let mut inventory = harness.inventory().await;
    let cached = inv::GetStockLevelsRequest {
        skus: vec![sku.to_owned()],
        warehouses: vec![warehouse.to_owned()],
        max_staleness: Some(prost_types::Duration { seconds: 60, nanos: 0 }),
    };
    for _ in 0..20 {
        inventory.get_stock_levels(cached.clone()).await.expect("a read from the view");
    }
    inventory.list_warehouses(inv::ListWarehousesRequest {}).await.expect("a read through Odoo");

    let create = order::CreateSalesOrderRequest {
        request_id: unique("prometheus"),
        customer: partner(a_customer(harness).await),
        warehouse: warehouse.to_owned(),
        lines: vec![order::SalesOrderLineInput { sku: sku.to_owned(), quantity: qty("1"), ..Default::default() }],
        confirm: true,
        ..Default::default()
    };
    let mut orders = harness.orders().await;
    orders.create_sales_order(create.clone()).await.expect("order confirmed");
    orders.create_sales_order(create).await.expect("the duplicate gets the first order");
    tokio::time::timeout(PATIENCE, watch.message()).await.expect("a stock event in time").expect("a healthy stream");

    // Odoo fails a read: a server-side error for the error-ratio alert.
    let faults = harness.simulator_handle().faults();
    faults.inject(FaultRule::always(Fault::HttpStatus { status: 503 }).on("stock.warehouse", "search_read"));
    let failed = inventory.list_warehouses(inv::ListWarehousesRequest {}).await;
    faults.clear();
    assert_eq!(failed.expect_err("odoo fails").code(), tonic::Code::Unavailable);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_query_and_alert_query_returns_data_from_a_real_prometheus() {
    let harness = Harness::simulator_tuned(|config| {
        config.watch.capture.poll_interval = Duration::from_millis(200);
    })
    .await;
    let prometheus = Prometheus::start(&harness.dir, harness.admin_port());
    prometheus.scraped(1).await;
    business(&harness).await;
    harness.stock_view_loaded().await;
    let (warehouse, stocked) = stocked_skus(&harness, 5, 1).await;
    let sku = &stocked[0].0;
    let watch = inv::WatchStockLevelsRequest {
        skus: vec![sku.clone()],
        warehouses: vec![warehouse.clone()],
        ..Default::default()
    };
    let mut watch = harness.inventory().await.watch_stock_levels(watch).await.expect("watch opens").into_inner();
    // Two rounds with scrapes between: a series first seen after the traffic has no increase
    // (no rate, no quantile) until the second.
    for _ in 0..2 {
        let before = prometheus.scrapes().await;
        traffic(&harness, &mut watch, sku, &warehouse).await;
        prometheus.scraped(before + 2).await;
    }

    let alerts = alert_rules().into_iter().map(|rule| {
        let name = rule["alert"].as_str().expect("alert name").to_owned();
        (format!("alert {name}"), alert_query(rule["expr"].as_str().expect("expr")))
    });
    let (deprecated_calls, charted): (Vec<_>, Vec<_>) =
        dashboard_queries().into_iter().partition(|(_, promql)| promql.contains("odoo_mesh_deprecated_calls_total"));
    assert_eq!(deprecated_calls.len(), 1, "the dashboard charts calls of deprecated methods");
    let mut queries: Vec<_> = charted.into_iter().chain(alerts).collect();
    if any_method_deprecated() {
        queries.extend(deprecated_calls);
    } else {
        // No v1 method is deprecated: the traffic above, calls of current methods, counts nothing.
        for (source, promql) in &deprecated_calls {
            let samples = prometheus.query(promql).await.expect("the query runs");
            assert!(samples.is_empty(), "{source}: no deprecated method, yet {samples:?}");
        }
    }
    let without_data = without_data(&prometheus, queries).await;
    assert!(
        without_data.is_empty(),
        "{} queries returned no data:\n{}\nprometheus log:\n{}",
        without_data.len(),
        without_data.join("\n"),
        prometheus.log()
    );

    let rules = prometheus.api("/api/v1/rules", &[]).await.expect("rules API");
    let unhealthy: Vec<_> = rules["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|group| group["rules"].as_array().into_iter().flatten())
        .filter(|rule| rule["health"] != "ok")
        .map(|rule| format!("{}: {} {}", rule["name"], rule["health"], rule["lastError"]))
        .collect();
    assert!(unhealthy.is_empty(), "rules Prometheus could not evaluate: {unhealthy:?}");
    harness.stop().await;
}

/// Whether the contracts mark any method (or service) deprecated.
fn any_method_deprecated() -> bool {
    use prost::Message;
    let set = prost_types::FileDescriptorSet::decode(odoo_mesh::proto::FILE_DESCRIPTOR_SET).expect("descriptor set");
    set.file.iter().flat_map(|file| &file.service).any(|service| {
        service.options.as_ref().is_some_and(|o| o.deprecated())
            || service.method.iter().any(|method| method.options.as_ref().is_some_and(|o| o.deprecated()))
    })
}

/// The queries that return no finite sample (a NaN quantile charts nothing), each with why, once
/// every query has data or `PATIENCE` has passed.
async fn without_data(prometheus: &Prometheus, mut pending: Vec<(String, String)>) -> Vec<String> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let mut failures = Vec::new();
        let mut still_pending = Vec::new();
        for (source, promql) in pending {
            let why = match prometheus.query(&promql).await {
                Ok(samples) if samples.iter().any(|v| v.is_finite()) => continue,
                Ok(samples) if samples.is_empty() => "no series".to_owned(),
                Ok(samples) => format!("only NaN or infinite samples: {samples:?}"),
                Err(error) => error,
            };
            failures.push(format!("{source}: {promql}\n    {why}"));
            still_pending.push((source, promql));
        }
        if still_pending.is_empty() || std::time::Instant::now() > deadline {
            return failures;
        }
        pending = still_pending;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
