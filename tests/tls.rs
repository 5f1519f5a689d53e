//! Mutual TLS: only clients with a certificate from the configured CA get in.

mod common;

use odoo_mesh::{pki::CertificateAuthority, proto::inventory::v1 as pb};

async fn list_warehouses(channel: tonic::transport::Channel) -> Result<(), tonic::Status> {
    pb::inventory_service_client::InventoryServiceClient::new(channel)
        .list_warehouses(pb::ListWarehousesRequest {})
        .await
        .map(|_| ())
}

/// A handshake refusal shows either when connecting or, as a transport failure, on the first call
/// (not as a gRPC status: that would mean the connection was accepted).
async fn refused(harness: &common::Harness, identity: Option<(&str, &str)>) -> bool {
    match harness.channel_with(identity, &harness.pki.ca_pem).await {
        Err(_) => true,
        Ok(channel) => list_warehouses(channel).await.is_err_and(|status| std::error::Error::source(&status).is_some()),
    }
}

#[tokio::test]
async fn a_client_with_a_certificate_from_the_ca_is_served() {
    let harness = common::Harness::simulator().await;
    list_warehouses(harness.channel().await).await.expect("served");
    harness.stop().await;
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused() {
    let harness = common::Harness::simulator().await;
    assert!(refused(&harness, None).await, "no client certificate must fail the handshake");
    harness.stop().await;
}

#[tokio::test]
async fn a_client_with_a_certificate_from_another_ca_is_refused() {
    let harness = common::Harness::simulator().await;
    let stranger = CertificateAuthority::new("some other CA")
        .expect("ca")
        .client("intruder", &["intruder.local"], vec![])
        .expect("client cert");
    assert!(
        refused(&harness, Some((&stranger.cert, &stranger.key))).await,
        "a foreign certificate must fail the handshake"
    );
    harness.stop().await;
}

#[tokio::test]
async fn a_server_certificate_is_checked_by_clients_too() {
    let harness = common::Harness::simulator().await;
    let other_ca = CertificateAuthority::new("not the server's CA").expect("ca");
    let client = &harness.pki.client;
    let result = match harness.channel_with(Some((&client.cert, &client.key)), &other_ca.cert_pem).await {
        Err(_) => true,
        Ok(channel) => list_warehouses(channel).await.is_err_and(|status| std::error::Error::source(&status).is_some()),
    };
    assert!(result, "a client that does not trust the server's CA must not talk to it");
    harness.stop().await;
}
