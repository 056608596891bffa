//! Payment outcomes: declines compensate (release stock, FAILED), and the HTTP
//! gateway retries transient failures with one stable Idempotency-Key.

use order_service::contracts::proto::{FailureReason, OrderFailed, PaymentCaptured};
use prost::Message as _;

use crate::events::subjects;
use crate::helpers::{WAIT, eventually, order_body, spawn_app, spawn_app_with};
use support::nats::NatsServer;
use support::provider::FakePaymentProvider;

const DECLINE_EVENTS: [&str; 5] =
    ["ORDER.created", "ORDER.inventory_reserved", "ORDER.payment_declined", "ORDER.inventory_released", "ORDER.failed"];

#[actix_web::test]
async fn declined_payment_releases_reserved_stock() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;

    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 4, 100)], "tok_decline_card")).await;
    let order = app.wait_terminal(&order_id).await;
    let events = app.terminal_events(&order_id).await;

    assert_eq!(order["status"], "FAILED");
    assert_eq!(order["failure_reason"], "PAYMENT_DECLINED");
    assert_eq!(subjects(&events), DECLINE_EVENTS);
    let failed = OrderFailed::decode(events[4].payload.as_slice()).expect("OrderFailed payload");
    assert_eq!(failed.reason(), FailureReason::PaymentDeclined);
    app.assert_stock_eventually("SKU-A", (10, 0)).await;
}

#[actix_web::test]
async fn gateway_charges_once_with_the_order_details_and_completes() {
    let provider = FakePaymentProvider::start();
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.payment.gateway_url = Some(provider.url.clone())).await;
    app.stock("SKU-A", 10).await;

    let order_id = app.place_order(&order_body("cust-9", &[("SKU-A", 2, 750)], "tok_visa")).await;
    let order = app.wait_terminal(&order_id).await;
    let events = app.terminal_events(&order_id).await;

    assert_eq!(order["status"], "COMPLETED", "{order}");
    let requests = provider.requests();
    assert_eq!((requests.len(), provider.charges()), (1, 1));
    let body = &requests[0].body;
    assert_eq!(body["order_id"], order_id.as_str());
    assert_eq!(body["customer_id"], "cust-9");
    assert_eq!(body["amount_minor"], 1500);
    assert_eq!(body["currency"], "USD");
    assert_eq!(body["payment_token"], "tok_visa");
    assert!(requests[0].idempotency_key.as_ref().is_some_and(|k| !k.is_empty()), "Idempotency-Key missing");
    let captured = events.iter().find(|e| e.subject == "ORDER.payment_captured").expect("payment_captured event");
    let captured = PaymentCaptured::decode(captured.payload.as_slice()).expect("PaymentCaptured payload");
    assert_eq!(captured.charge_id, "ch_1", "charge_id must be the provider's");
}

#[actix_web::test]
async fn gateway_transient_failures_are_retried_with_the_same_idempotency_key() {
    let provider = FakePaymentProvider::start();
    provider.fail_next(3);
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.payment.gateway_url = Some(provider.url.clone())).await;
    app.stock("SKU-A", 10).await;

    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 1, 500)], "tok_visa")).await;
    let order = app.wait_terminal(&order_id).await;

    assert_eq!(order["status"], "COMPLETED", "{order}");
    let requests = provider.requests();
    assert!(requests.len() >= 4, "3 failures then a success, got {} requests", requests.len());
    let first_key = requests[0].idempotency_key.clone();
    assert!(first_key.is_some(), "Idempotency-Key missing");
    assert!(requests.iter().all(|r| r.idempotency_key == first_key), "keys changed across retries");
    assert_eq!(provider.charges(), 1);
    let events = app.terminal_events(&order_id).await;
    assert_eq!(events.iter().filter(|e| e.subject == "ORDER.payment_captured").count(), 1);
}

#[actix_web::test]
async fn gateway_402_fails_the_order_payment_declined_and_releases_stock() {
    let provider = FakePaymentProvider::start();
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.payment.gateway_url = Some(provider.url.clone())).await;
    app.stock("SKU-A", 3).await;

    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 3, 500)], "tok_decline_insufficient")).await;
    let order = app.wait_terminal(&order_id).await;
    let events = app.terminal_events(&order_id).await;

    assert_eq!(
        (order["status"].as_str(), order["failure_reason"].as_str()),
        (Some("FAILED"), Some("PAYMENT_DECLINED"))
    );
    assert_eq!(subjects(&events), DECLINE_EVENTS);
    assert_eq!(provider.requests().len(), 1, "a 402 is permanent: no retry");
    assert_eq!(provider.charges(), 0);
    app.assert_stock_eventually("SKU-A", (3, 0)).await;
}

#[actix_web::test]
async fn gateway_outage_keeps_the_order_pending_until_the_provider_answers() {
    let provider = FakePaymentProvider::start();
    provider.fail_next(usize::MAX);
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.payment.gateway_url = Some(provider.url.clone())).await;
    app.stock("SKU-A", 2).await;

    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 1, 500)], "tok_visa")).await;
    eventually(|| async { (provider.requests().len() >= 2).then_some(()) }, WAIT).await;
    let during: serde_json::Value = app.get_order(&order_id).await.json().await.expect("order JSON");
    assert!(
        !matches!(during["status"].as_str(), Some("FAILED" | "COMPLETED")),
        "an unknown payment outcome must not end the order: {during}"
    );
    provider.fail_next(0);
    let order = app.wait_terminal(&order_id).await;

    assert_eq!(order["status"], "COMPLETED", "{order}");
    assert_eq!(provider.charges(), 1);
}

#[actix_web::test]
async fn the_payment_claim_and_its_outcome_live_in_the_order_record() {
    let provider = FakePaymentProvider::start();
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.payment.gateway_url = Some(provider.url.clone())).await;
    app.stock("SKU-A", 10).await;

    let order_id = app.place_order(&order_body("cust-p", &[("SKU-A", 1, 300)], "tok_visa")).await;
    let order = app.wait_terminal(&order_id).await;

    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.expect("connect"));
    let orders = js.get_key_value("orders").await.expect("orders bucket");
    let stored = orders.get(&order_id).await.expect("read").expect("order record");
    let stored: serde_json::Value = serde_json::from_slice(&stored).expect("order json");
    let claim = &stored["payment"];
    assert_eq!((claim["state"].as_str(), claim["attempts"].as_u64()), (Some("CAPTURED"), Some(1)), "{stored}");
    assert_eq!(claim["charge_id"], order["charge_id"]);
    assert_eq!(provider.charges(), 1);
    assert!(js.get_key_value("payments").await.is_err(), "no separate payments bucket");
}
