//! Crash safety of the real binary: SIGKILL mid-saga, start it again on the
//! same NATS, and every accepted order still finishes exactly once.

use std::time::Duration;

use futures::future::join_all;

use crate::helpers::start_service;
use crate::helpers::{ApiClient, WAIT, eventually, order_body};
use support::nats::NatsServer;
use support::provider::FakePaymentProvider;

#[actix_web::test]
async fn service_killed_during_payment_completes_the_order_after_restart_with_one_charge() {
    let provider = FakePaymentProvider::start();
    let nats = NatsServer::start().await;
    let env = [
        ("NATS_URL", nats.url()),
        ("PAYMENT_GATEWAY_URL", provider.url.as_str()),
        ("ACK_WAIT_SECS", "2"),
        ("PAYMENT_TIMEOUT_MS", "1000"),
    ];
    let mut first = start_service(&env).await;
    let api = ApiClient::new(first.address.clone(), nats.url());
    api.stock("SKU-A", 3).await;
    provider.hold();

    let order_id = api.place_order(&order_body("cust-1", &[("SKU-A", 1, 4200)], "tok_visa")).await;
    eventually(|| async { (!provider.requests().is_empty()).then_some(()) }, WAIT).await;
    first.kill();
    assert_eq!(provider.charges(), 1, "the provider charged before the crash");
    provider.release();
    let second = start_service(&env).await;
    let api = ApiClient::new(second.address.clone(), nats.url());
    // The crashed attempt's payment claim fences retries until its lease
    // (6 provider timeouts + 20 s) expires, then the saga's nak back-off
    // (2, 4, 8, 16 s) decides when the next attempt comes: allow for both.
    let order = api.wait_terminal_within(&order_id, Duration::from_secs(60)).await;

    assert_eq!(order["status"], "COMPLETED", "{order}");
    assert_eq!(provider.charges(), 1, "exactly one charge across the crash");
    let requests = provider.requests();
    assert!(requests.len() >= 2, "the payment call was retried after the restart");
    assert!(requests.iter().all(|r| r.idempotency_key == requests[0].idempotency_key), "key changed");
    let events = api.terminal_events(&order_id).await;
    for subject in ["ORDER.created", "ORDER.inventory_reserved", "ORDER.payment_captured", "ORDER.completed"] {
        let count = events.iter().filter(|e| e.subject == subject).count();
        assert_eq!(count, 1, "{subject} published {count} times");
    }
    api.assert_stock_eventually("SKU-A", (2, 0)).await;
}

#[actix_web::test]
async fn service_killed_with_orders_in_flight_loses_none_after_restart() {
    let nats = NatsServer::start().await;
    let env = [("NATS_URL", nats.url()), ("ACK_WAIT_SECS", "2"), ("PAYMENT_SIM_LATENCY_MS", "300")];
    let mut first = start_service(&env).await;
    let api = ApiClient::new(first.address.clone(), nats.url());
    api.stock("SKU-A", 100).await;

    let bodies: Vec<_> = (0..10).map(|i| order_body(&format!("cust-{i}"), &[("SKU-A", 1, 100)], "tok_visa")).collect();
    let ids = join_all(bodies.iter().map(|b| api.place_order(b))).await;
    first.kill();
    let second = start_service(&env).await;
    let api = ApiClient::new(second.address.clone(), nats.url());
    let orders = join_all(ids.iter().map(|id| api.wait_terminal(id))).await;

    assert!(orders.iter().all(|o| o["status"] == "COMPLETED"), "{orders:#?}");
    for id in &ids {
        let events = api.terminal_events(id).await;
        let of = |subject: &str| events.iter().filter(|e| e.subject == subject).count();
        assert_eq!((of("ORDER.created"), of("ORDER.completed")), (1, 1), "events of {id}");
    }
    api.assert_stock_eventually("SKU-A", (90, 0)).await;
}
