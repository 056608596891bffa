//! The shutdown budget with a hung payment provider: SIGTERM while the
//! provider holds its answer. The real binary starts no new payment call
//! after the signal, lets the call in flight time out, naks the delivery
//! with a short delay and exits 0 within one payment timeout plus the
//! flushes — far inside `SHUTDOWN_TIMEOUT_SECS`. The next instance then
//! completes the order with exactly one charge.
//!
//! And the budget holds when everything is slow at once: a payment call
//! longer than the budget and an OTLP collector that accepts connections but
//! never answers. The process still exits within `SHUTDOWN_TIMEOUT_SECS`,
//! the telemetry flush included.

use std::time::{Duration, Instant};

use crate::helpers::start_service;
use crate::helpers::{ApiClient, WAIT, eventually, order_body};
use support::nats::NatsServer;
use support::provider::FakePaymentProvider;

const PAYMENT_TIMEOUT: Duration = Duration::from_secs(2);
/// What the NATS and telemetry flushes may take together (`shutdown`).
const FLUSHES: Duration = Duration::from_secs(3);
/// Much longer than the expected stop, so only the hung call bounds it.
const SHUTDOWN_BUDGET_SECS: &str = "20";

#[actix_web::test]
async fn sigterm_while_the_provider_hangs_exits_within_one_payment_timeout_and_the_next_instance_charges_once() {
    let nats = NatsServer::start().await;
    let provider = FakePaymentProvider::start();
    provider.hold();
    let timeout_ms = PAYMENT_TIMEOUT.as_millis().to_string();
    let env = [
        ("NATS_URL", nats.url()),
        ("PAYMENT_GATEWAY_URL", provider.url.as_str()),
        ("PAYMENT_TIMEOUT_MS", timeout_ms.as_str()),
        ("SHUTDOWN_TIMEOUT_SECS", SHUTDOWN_BUDGET_SECS),
        ("ACK_WAIT_SECS", "30"),
    ];
    let mut first = start_service(&env).await;
    let api = ApiClient::new(first.address.clone(), nats.url());
    api.stock("SKU-H", 3).await;
    let order_id = api.place_order(&order_body("cust-hang", &[("SKU-H", 1, 700)], "tok_visa")).await;
    eventually(|| async { (!provider.requests().is_empty()).then_some(()) }, WAIT).await;

    let signalled = Instant::now();
    let exit = first.terminate(Duration::from_secs(30)).await;
    let stopped_in = signalled.elapsed();

    let exit = exit.unwrap_or_else(|| panic!("still running {stopped_in:?} after SIGTERM"));
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    assert!(stopped_in < PAYMENT_TIMEOUT + FLUSHES, "stopped in {stopped_in:?}");
    assert_eq!(provider.requests().len(), 1, "a payment call started after SIGTERM");

    provider.release();
    let second = start_service(&env).await;
    let api = ApiClient::new(second.address.clone(), nats.url());
    let order = api.wait_terminal(&order_id).await;
    assert_eq!(order["status"], "COMPLETED", "{order}");
    assert_eq!(provider.charges(), 1, "charges made for the order");
    let keys: Vec<_> = provider.requests().into_iter().map(|r| r.idempotency_key).collect();
    assert!(keys.iter().all(|k| k.as_deref() == Some(order_id.as_str())), "one idempotency key: {keys:?}");
}

/// The whole stop must fit this, flushes included.
const SMALL_BUDGET: Duration = Duration::from_secs(4);
/// Exit after the budget: process teardown (the watchdog fires at +0.5 s).
const EXIT_SLACK: Duration = Duration::from_secs(1);

#[actix_web::test]
async fn sigterm_with_a_call_and_a_telemetry_flush_longer_than_the_budget_exits_within_the_budget() {
    let nats = NatsServer::start().await;
    let provider = FakePaymentProvider::start();
    provider.hold();
    // Accepts connections (the kernel completes them) and never answers.
    let collector = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the silent collector");
    let otlp = format!("http://{}", collector.local_addr().expect("collector address"));
    let budget = SMALL_BUDGET.as_secs().to_string();
    let env = [
        ("NATS_URL", nats.url()),
        ("PAYMENT_GATEWAY_URL", provider.url.as_str()),
        ("PAYMENT_TIMEOUT_MS", "30000"),
        ("SHUTDOWN_TIMEOUT_SECS", budget.as_str()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.as_str()),
    ];
    let mut service = start_service(&env).await;
    let api = ApiClient::new(service.address.clone(), nats.url());
    api.stock("SKU-B", 1).await;
    api.place_order(&order_body("cust-budget", &[("SKU-B", 1, 100)], "tok_visa")).await;
    eventually(|| async { (!provider.requests().is_empty()).then_some(()) }, WAIT).await;

    let signalled = Instant::now();
    let exit = service.terminate(Duration::from_secs(30)).await;
    let stopped_in = signalled.elapsed();

    let exit = exit.unwrap_or_else(|| panic!("still running {stopped_in:?} after SIGTERM"));
    assert!(exit.success(), "exit after SIGTERM: {exit}");
    assert!(stopped_in < SMALL_BUDGET + EXIT_SLACK, "stopped in {stopped_in:?}, budget {SMALL_BUDGET:?}");
}
