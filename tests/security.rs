//! Who gets in and what they may do: the certificate matrix, the authorization policy (default deny,
//! operations apart, reload), spoofed identity headers, mesh mode, certificate rotation under load,
//! and the audit trail.

mod common;

use std::{
    future::Future,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use odoo_mesh::{
    pki::{DEMO_CLIENT_ID, Pem},
    proto::{inventory::v1 as inv, order::v1 as pb},
};
use odoo_simulator::{Fault, FaultRule, Rights};
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio_stream::StreamExt;
use tonic::{Code, transport::Channel};
use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient};
use tonic_types::StatusExt;

use common::wait;

const STOREFRONT: &str = "spiffe://odoo-mesh.local/ns/shop/sa/storefront";

async fn list_warehouses(channel: Channel) -> Result<(), tonic::Status> {
    inv::inventory_service_client::InventoryServiceClient::new(channel)
        .list_warehouses(inv::ListWarehousesRequest {})
        .await
        .map(|_| ())
}

/// A call with this certificate: `Err(None)` when the TLS handshake is refused.
async fn call_with(harness: &common::Harness, pem: &Pem) -> Result<(), Option<tonic::Status>> {
    let channel = harness.channel_with(Some((&pem.cert, &pem.key)), &harness.pki.ca_pem).await.map_err(|_| None)?;
    match list_warehouses(channel).await {
        Ok(()) => Ok(()),
        // A refused handshake surfaces as a transport failure on the first call: with TLS 1.3 the
        // client learns of it only when the server closes the connection.
        Err(status) if std::error::Error::source(&status).is_some() => Err(None),
        Err(status) => Err(Some(status)),
    }
}

/// Whether the server lets this certificate list warehouses now.
async fn allowed(harness: &common::Harness, pem: &Pem) -> bool {
    call_with(harness, pem).await.is_ok()
}

/// Whether the server refuses the harness's own client now.
async fn harness_client_denied(harness: &common::Harness) -> bool {
    matches!(list_warehouses(harness.channel().await).await, Err(status) if status.code() == Code::PermissionDenied)
}

/// How long a test waits for the server to pick up a changed file (the harness has it look every
/// 100 ms).
const RELOAD_PATIENCE: Duration = Duration::from_secs(10);

/// Writes a new policy and waits until `in_force`, a call the new policy answers differently from
/// the old one, shows the server applying it.
async fn reload_policy<F, Fut>(harness: &common::Harness, text: &str, in_force: &str, probe: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    std::fs::write(&harness.files.policy, text).expect("policy written");
    wait::until(in_force, RELOAD_PATIENCE, probe).await;
}

/// How many times, in this process, a changed file was refused (`failure`) or taken (`success`)
/// by the reloader counting in `series` (`odoo_mesh_policy_reloads_total`, ...).
async fn reloads(harness: &common::Harness, series: &str, outcome: &str) -> f64 {
    let series = format!("{series}{{outcome=\"{outcome}\"}}");
    let metrics = harness.metrics().await;
    metrics.lines().find_map(|line| line.strip_prefix(series.as_str())?.trim().parse().ok()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_certificate_matrix() {
    let harness = common::Harness::simulator().await;
    let ca = &harness.pki.ca;
    let now = time::OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    let storefront = ca.client("storefront", &[], vec![STOREFRONT.into()]).expect("cert");
    reload_policy(
        &harness,
        &format!(
            "[[allow]]\nidentities = [\"{STOREFRONT}\"]\nmethods = [\"odoomesh.inventory.v1.InventoryService/*\"]\n"
        ),
        "the new policy serves the storefront",
        || allowed(&harness, &storefront),
    )
    .await;

    let expired = ca.client_valid_between(STOREFRONT, now - day * 10, now - day).expect("cert");
    let outcome = call_with(&harness, &expired).await;
    assert!(matches!(outcome, Err(None)), "expired certificate refused at the handshake: {outcome:?}");

    let future = ca.client_valid_between(STOREFRONT, now + day, now + day * 10).expect("cert");
    assert!(matches!(call_with(&harness, &future).await, Err(None)), "not-yet-valid certificate refused");

    let two_uris = ca
        .client("two", &[], vec![STOREFRONT.into(), "spiffe://odoo-mesh.local/ns/shop/sa/other".into()])
        .expect("cert");
    assert!(matches!(call_with(&harness, &two_uris).await, Err(None)), "two URI SANs refused");

    let stranger = odoo_mesh::pki::CertificateAuthority::new("another CA")
        .expect("ca")
        .client("x", &[], vec![STOREFRONT.into()])
        .expect("cert");
    assert!(matches!(call_with(&harness, &stranger).await, Err(None)), "another CA refused");

    let no_rights = ca.client("wms", &["wms.odoo-mesh.local"], vec![]).expect("cert");
    let status =
        call_with(&harness, &no_rights).await.expect_err("denied").expect("a gRPC status, not a refused handshake");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert_eq!(
        status.message(),
        "wms.odoo-mesh.local may not call odoomesh.inventory.v1.InventoryService/ListWarehouses"
    );

    let orders = pb::order_service_client::OrderServiceClient::new(
        harness.channel_with(Some((&storefront.cert, &storefront.key)), &harness.pki.ca_pem).await.expect("connects"),
    )
    .get_sales_order(pb::GetSalesOrderRequest { name: "salesOrders/1".into() })
    .await
    .expect_err("not in the policy");
    assert_eq!(orders.code(), Code::PermissionDenied, "rights are per method");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_policy_denies_everything_but_health_answers() {
    let harness = common::Harness::simulator().await;
    list_warehouses(harness.channel().await).await.expect("allowed by the harness policy");
    reload_policy(&harness, "", "the empty policy denies the harness client (default deny)", || {
        harness_client_denied(&harness)
    })
    .await;
    let health = HealthClient::new(harness.channel().await)
        .check(HealthCheckRequest { service: String::new() })
        .await
        .expect("health answers");
    assert_eq!(health.into_inner().status(), ServingStatus::Serving);

    // A broken edit keeps the policy in force.
    reload_policy(
        &harness,
        &format!("[[allow]]\nidentities = [\"{DEMO_CLIENT_ID}\"]\nmethods = [\"*\"]\n"),
        "the harness client is allowed again",
        || async { list_warehouses(harness.channel().await).await.is_ok() },
    )
    .await;
    // Only the refusal tells that the broken file was read. The count is the process's, but no other
    // test of this file writes a policy that does not parse.
    let refused = reloads(&harness, "odoo_mesh_policy_reloads_total", "failure").await;
    reload_policy(
        &harness,
        "[[allow]\nthis is not toml",
        "the server has read and refused the broken policy",
        || async { reloads(&harness, "odoo_mesh_policy_reloads_total", "failure").await > refused },
    )
    .await;
    list_warehouses(harness.channel().await).await.expect("the previous policy still applies");
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_headers_sent_by_clients_are_ignored() {
    let harness = common::Harness::simulator().await;
    reload_policy(
        &harness,
        &format!("[[allow]]\nidentities = [\"{STOREFRONT}\"]\nmethods = [\"*\"]\n"),
        "the storefront-only policy denies the harness client",
        || harness_client_denied(&harness),
    )
    .await;
    // The harness client is not the storefront, whatever it claims.
    let mut client = inv::inventory_service_client::InventoryServiceClient::new(harness.channel().await);
    let mut request = tonic::Request::new(inv::ListWarehousesRequest {});
    request.metadata_mut().insert("x-forwarded-client-cert", format!("URI={STOREFRONT}").parse().expect("header"));
    request.metadata_mut().insert("x-odoo-mesh-identity", STOREFRONT.parse().expect("header"));
    let status = client.list_warehouses(request).await.expect_err("spoofing does not work");
    assert_eq!(status.code(), Code::PermissionDenied);
    assert!(status.message().starts_with(DEMO_CLIENT_ID), "{}", status.message());
    harness.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mesh_mode_trusts_the_local_sidecar_header_only_when_configured() {
    for trusted in [true, false] {
        let harness = common::Harness::simulator_plaintext(trusted).await;
        let channel = Channel::from_shared(format!("http://127.0.0.1:{}", harness.grpc_port()))
            .expect("uri")
            .connect()
            .await
            .expect("connects");
        let mut client = inv::inventory_service_client::InventoryServiceClient::new(channel);
        // The second rule only shows when the policy is in force: untrusted, every caller is
        // anonymous, and the storefront rule alone would change nothing such a caller sees.
        let policy = format!(
            "[[allow]]\nidentities = [\"{STOREFRONT}\"]\nmethods = [\"*\"]\n\n\
             [[allow]]\nidentities = [\"anonymous\"]\nmethods = [\"odoomesh.inventory.v1.InventoryService/GetProduct\"]\n"
        );
        reload_policy(&harness, &policy, "the new policy lets anonymous callers ask for a product", || {
            let mut client = client.clone();
            async move {
                // No product named: the call gets past authorization and fails validation.
                let answer = client.get_product(inv::GetProductRequest { product: None }).await;
                matches!(answer, Err(status) if status.code() == Code::InvalidArgument)
            }
        })
        .await;
        let mut request = tonic::Request::new(inv::ListWarehousesRequest {});
        let header = format!("By=spiffe://odoo-mesh.local/ns/erp/sa/odoo-mesh;Hash=abc;URI={STOREFRONT}");
        request.metadata_mut().insert("x-forwarded-client-cert", header.parse().expect("header"));
        let result = client.list_warehouses(request).await;
        if trusted {
            result.expect("the sidecar's identity is honoured");
        } else {
            let status = result.expect_err("an untrusted header is ignored");
            assert_eq!(status.code(), Code::PermissionDenied);
            assert!(status.message().starts_with("anonymous"), "{}", status.message());
        }
        let unsigned = client.list_warehouses(inv::ListWarehousesRequest {}).await.expect_err("no identity, no rights");
        assert_eq!(unsigned.code(), Code::PermissionDenied);
        harness.stop().await;
    }
}

/// The leaf certificate the server presents to a new handshake.
async fn presented_certificate(harness: &common::Harness) -> Vec<u8> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from_pem_slice(harness.pki.ca_pem.as_bytes()).expect("ca")).expect("root");
    let client = &harness.pki.client;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_client_auth_cert(
            vec![CertificateDer::from_pem_slice(client.cert.as_bytes()).expect("cert")],
            rustls::pki_types::PrivateKeyDer::from_pem_slice(client.key.as_bytes()).expect("key"),
        )
        .expect("client auth");
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", harness.grpc_port())).await.expect("tcp");
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .expect("handshake");
    tls.get_ref().1.peer_certificates().expect("server certificate")[0].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_rotate_under_load_without_dropping_calls_or_streams() {
    let harness = common::Harness::simulator().await;
    let before = presented_certificate(&harness).await;

    // Four clients call continuously, each on its own connection.
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let channel = harness.channel().await;
        let (stop, calls, failures) = (stop.clone(), calls.clone(), failures.clone());
        workers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match list_warehouses(channel.clone()).await {
                    Ok(()) => calls.fetch_add(1, Ordering::Relaxed),
                    Err(_) => failures.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    // And one stream stays open: health Watch.
    let mut watch = HealthClient::new(harness.channel().await)
        .watch(HealthCheckRequest { service: "odoomesh.inventory.v1.InventoryService".into() })
        .await
        .expect("watch")
        .into_inner();
    // The first message is the status as it stands: on a busy machine, before the first health
    // probe of Odoo has finished.
    tokio::time::timeout(Duration::from_secs(5), async {
        while watch.next().await.expect("open").expect("status").status() != ServingStatus::Serving {}
    })
    .await
    .expect("the stream reports SERVING");

    let rotated = harness.pki.ca.server(&["localhost", "127.0.0.1"]).expect("new server certificate");
    std::fs::write(&harness.files.server_cert, &rotated.cert).expect("write cert");
    std::fs::write(&harness.files.server_key, &rotated.key).expect("write key");
    let after = CertificateDer::from_pem_slice(rotated.cert.as_bytes()).expect("pem").to_vec();
    assert_ne!(before, after, "a new certificate");
    wait::until("new handshakes see the new certificate", RELOAD_PATIENCE, || async {
        presented_certificate(&harness).await == after
    })
    .await;

    // A corrupt replacement is refused (and counted): the rotated certificate stays in use. The count
    // is the process's, but no other test of this file corrupts a certificate.
    let refused = reloads(&harness, "odoo_mesh_tls_reloads_total", "failure").await;
    std::fs::write(&harness.files.server_key, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
        .expect("corrupt");
    wait::until("the server has read and refused the corrupt key", RELOAD_PATIENCE, || async {
        reloads(&harness, "odoo_mesh_tls_reloads_total", "failure").await > refused
    })
    .await;
    assert_eq!(presented_certificate(&harness).await, after, "the previous credentials stay");

    // The stream opened before the rotation still delivers.
    harness.simulator_handle().faults().inject(FaultRule::always(Fault::DropConnection).on("common", "version"));
    let update = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .expect("an update")
        .expect("open")
        .expect("status");
    assert_eq!(update.status(), ServingStatus::NotServing, "only changes are published");

    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.expect("worker");
    }
    drop(watch);
    assert!(calls.load(Ordering::Relaxed) > 20, "the clients kept calling");
    assert_eq!(failures.load(Ordering::Relaxed), 0, "zero failed calls during rotation");
    harness.stop().await;
}

/// An order for one desk from the demo customer Deco Addict.
fn one_desk_order(request_id: &str) -> pb::CreateSalesOrderRequest {
    pb::CreateSalesOrderRequest {
        request_id: request_id.into(),
        customer: Some(pb::PartnerSelector {
            selector: Some(pb::partner_selector::Selector::Partner("partners/15".into())),
        }),
        lines: vec![pb::SalesOrderLineInput {
            sku: "E-COM11".into(),
            quantity: Some(odoo_mesh::proto::common::v1::Quantity {
                value: "1".into(),
                unit_of_measure: String::new(),
            }),
            ..Default::default()
        }],
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutating_call_is_audited_and_keys_are_scoped_per_caller() {
    let harness = common::Harness::simulator().await;
    let other = harness
        .pki
        .ca
        .client("erp-bridge", &[], vec!["spiffe://odoo-mesh.local/ns/erp/sa/bridge".into()])
        .expect("cert");
    reload_policy(
        &harness,
        &format!(
            "[[allow]]\nidentities = [\"{DEMO_CLIENT_ID}\", \"spiffe://odoo-mesh.local/ns/erp/sa/bridge\"]\nmethods = [\"*\"]\n"
        ),
        "the new policy serves the bridge",
        // A read, which is not audited: the trail below holds only the calls made for it.
        || allowed(&harness, &other),
    )
    .await;
    let request = one_desk_order("shared-request-id-1");
    let mut mine = harness.orders().await;
    let first = mine.create_sales_order(request.clone()).await.expect("created").into_inner();
    let replay = mine.create_sales_order(request.clone()).await.expect("replayed").into_inner();
    assert!(replay.replayed);
    let mut theirs = pb::order_service_client::OrderServiceClient::new(
        harness.channel_with(Some((&other.cert, &other.key)), &harness.pki.ca_pem).await.expect("connects"),
    );
    let separate = theirs.create_sales_order(request).await.expect("created").into_inner();
    assert!(!separate.replayed, "another caller's request id is another key");
    assert_ne!(separate.sales_order.as_ref().map(|o| o.id), first.sales_order.as_ref().map(|o| o.id));
    let refused = mine
        .cancel_sales_order(pb::CancelSalesOrderRequest { name: "salesOrders/x".into(), reason: String::new() })
        .await;
    assert_eq!(refused.expect_err("bad name").code(), Code::InvalidArgument);

    let records = harness.audit_records();
    assert_eq!(records.len(), 4, "{records:?}");
    let order_id = first.sales_order.expect("order").id;
    assert_eq!(records[0]["identity"], DEMO_CLIENT_ID);
    assert_eq!(records[0]["method"], "CreateSalesOrder");
    assert_eq!(records[0]["request_id"], "shared-request-id-1");
    assert_eq!(records[0]["odoo_model"], "sale.order");
    assert_eq!(records[0]["odoo_ids"], serde_json::json!([order_id]));
    assert_eq!(records[0]["outcome"], "OK");
    assert_eq!(records[0]["replayed"], false);
    assert_eq!(records[1]["replayed"], true, "replays are marked");
    assert_eq!(records[2]["identity"], "spiffe://odoo-mesh.local/ns/erp/sa/bridge");
    assert_eq!(records[3]["method"], "CancelSalesOrder");
    assert_eq!(records[3]["outcome"], "InvalidArgument");
    harness.stop().await;
}

/// A server mapping the storefront to an Odoo user of its own, with the user's API key in a
/// mounted file, and a channel as the storefront once the policy lets it in.
struct ActingAs {
    harness: common::Harness,
    uid: i64,
    key_file: std::path::PathBuf,
    channel: Channel,
}

impl ActingAs {
    /// The user `login`, created in Odoo with `rights` and the API key `{login}-key-1`.
    async fn storefront_as(login: &str, rights: Rights) -> Self {
        let dir = std::env::temp_dir().join(format!("odoo-mesh-{login}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let key_file = dir.join(format!("{login}.key"));
        let key = format!("{login}-key-1");
        std::fs::write(&key_file, format!("{key}\n")).expect("key");
        let harness = common::Harness::simulator_with_odoo_user(
            &["spiffe://odoo-mesh.local/ns/shop/**"],
            login,
            key_file.clone(),
        )
        .await;
        let uid = harness.simulator_handle().add_user(login, "unused-password", &key, rights);
        let storefront = harness.pki.ca.client("storefront", &[], vec![STOREFRONT.into()]).expect("cert");
        reload_policy(
            &harness,
            &format!("[[allow]]\nidentities = [\"{STOREFRONT}\", \"{DEMO_CLIENT_ID}\"]\nmethods = [\"*\"]\n"),
            "the new policy lets the storefront, acting as its user, read warehouses",
            || allowed(&harness, &storefront),
        )
        .await;
        let channel = harness
            .channel_with(Some((&storefront.cert, &storefront.key)), &harness.pki.ca_pem)
            .await
            .expect("connects");
        Self { harness, uid, key_file, channel }
    }

    fn orders(&self) -> pb::order_service_client::OrderServiceClient<Channel> {
        pb::order_service_client::OrderServiceClient::new(self.channel.clone())
    }

    async fn stop(self) {
        self.harness.stop().await;
        if let Some(dir) = self.key_file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapped_identities_act_as_their_own_odoo_user_and_follow_key_rotation() {
    // A bot user without sales rights, as an administrator would set one up in Odoo.
    let bot = ActingAs::storefront_as("storefront-bot", Rights::None).await;
    let denied = bot
        .orders()
        .list_sales_orders(pb::ListSalesOrdersRequest::default())
        .await
        .expect_err("Odoo's access rules apply");
    assert_eq!(denied.code(), Code::PermissionDenied, "{}", denied.message());
    bot.harness
        .orders()
        .await
        .list_sales_orders(pb::ListSalesOrdersRequest::default())
        .await
        .expect("unmapped callers act as the service user");

    // The key is rotated in Odoo, then in the mounted file: calls work again without a restart.
    bot.harness.simulator_handle().set_api_key(bot.uid, "storefront-bot-key-2");
    let stale = list_warehouses(bot.channel.clone()).await.expect_err("old key refused");
    assert_eq!(stale.code(), Code::Unavailable, "{}", stale.message());
    assert!(!stale.message().contains("bot-key"), "keys never reach clients: {}", stale.message());
    std::fs::write(&bot.key_file, "storefront-bot-key-2\n").expect("rotate");
    wait::until("the new key is used", RELOAD_PATIENCE, || {
        let channel = bot.channel.clone();
        async move { list_warehouses(channel).await.is_ok() }
    })
    .await;
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_odoo_user_without_access_rights_reads_but_writes_name_the_missing_group() {
    // Sales rights, but not Administration / Access Rights: no external ids, so no idempotency keys.
    let clerk = ActingAs::storefront_as("clerk", Rights::Business).await;
    let mut orders = clerk.orders();
    orders.list_sales_orders(pb::ListSalesOrdersRequest::default()).await.expect("reads need no keys");

    let refused = orders.create_sales_order(one_desk_order("clerk-order-1")).await.expect_err("no keys, no writes");
    assert_eq!(refused.code(), Code::FailedPrecondition, "{}", refused.message());
    assert!(refused.message().contains("Administration / Access Rights"), "{}", refused.message());
    let reason = refused.get_error_details().error_info().map(|i| i.reason.clone());
    assert_eq!(reason.as_deref(), Some("ODOO_CAPABILITY_MISSING"));
    let writes = ["sale.order.create", "sale.order.load", "ir.model.data.create", "ir.model.data.load"];
    let calls = clerk.harness.simulator_handle().calls();
    assert!(writes.iter().all(|w| !calls.contains_key(*w)), "nothing is written: {calls:?}");
    clerk.stop().await;
}
