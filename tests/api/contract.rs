//! The `ORDER.*` contract as a consumer sees it: every event of a completed
//! and of a declined order decodes with the `order-events` crate and carries
//! the order, the customer, the total and when its step happened, with the
//! stream headers; failure reasons are enums with the provider's text apart;
//! the payment token is never on the bus, so the order record that holds it
//! is required for a 202; a replay keeps the trace context; an
//! `ORDER.created` without its order record fails unpaid.

use async_nats::HeaderMap;
use async_nats::jetstream;
use order_events::v1::{FailureReason, Money, OrderCreated, OrderItem};
use order_events::{Event, EventKind, prost_types::Timestamp};
use prost::Message as _;
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;

use crate::events::{Event as StoredEvent, subjects};
use crate::helpers::{order_body, spawn_app, spawn_app_with};
use support::nats::NatsServer;
use support::provider::FakePaymentProvider;

const TOKEN: &str = "tok_contract_visa";
const DECLINE_TOKEN: &str = "tok_decline_contract";

fn seconds(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// Decodes every event of `order_id` and checks what every event carries.
fn decode_all(events: &[StoredEvent], order_id: &str, customer: &str, total: i64, since: i64) -> Vec<Event> {
    let mut last = Timestamp { seconds: since, nanos: 0 };
    let now = seconds(OffsetDateTime::now_utc());
    let mut decoded = Vec::new();
    for stored in events {
        let kind = EventKind::from_subject(&stored.subject).expect("an ORDER.* subject");
        let event = Event::decode(kind, &stored.payload).expect("payload decodes as its subject's message");
        let what = &stored.subject;
        assert_eq!(event.order_id(), order_id, "order_id of {what}");
        assert_eq!(event.customer_id(), customer, "customer_id of {what}");
        assert_eq!(event.total(), Some(&Money { amount_minor: total, currency: "USD".into() }), "total of {what}");
        let at = *event.occurred_at().expect("occurred_at");
        assert!((last.seconds, last.nanos) <= (at.seconds, at.nanos), "{what} occurred before the one before it");
        assert!(at.seconds <= now, "{what} occurred in the future");
        last = at;
        assert_eq!(stored.order_id.as_deref(), Some(order_id), "Order-Id header of {what}");
        assert_eq!(stored.msg_id, Some(format!("{order_id}:{}", kind.name())), "Nats-Msg-Id header of {what}");
        for token in [TOKEN, DECLINE_TOKEN] {
            let on_the_bus = stored.payload.windows(token.len()).any(|w| w == token.as_bytes());
            assert!(!on_the_bus, "{what} carries the payment token");
        }
        decoded.push(event);
    }
    decoded
}

#[actix_web::test]
async fn each_event_of_a_completed_order_carries_order_customer_total_and_time() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-C", 10).await;
    let since = seconds(OffsetDateTime::now_utc());

    let order_id = app.place_order(&order_body("cust-contract", &[("SKU-C", 3, 1250)], TOKEN)).await;
    assert_eq!(app.wait_terminal(&order_id).await["status"], "COMPLETED");
    let events = app.terminal_events(&order_id).await;

    let expected = ["ORDER.created", "ORDER.inventory_reserved", "ORDER.payment_captured", "ORDER.completed"];
    assert_eq!(subjects(&events), expected);
    let decoded = decode_all(&events, &order_id, "cust-contract", 3750, since);
    let [
        Event::Created(created),
        Event::InventoryReserved(reserved),
        Event::PaymentCaptured(captured),
        Event::Completed(completed),
    ] = decoded.as_slice()
    else {
        panic!("unexpected events: {decoded:?}");
    };
    let line = OrderItem { sku: "SKU-C".into(), quantity: 3, unit_price_minor: 1250 };
    assert_eq!((&created.items, &reserved.items), (&vec![line.clone()], &vec![line]));
    assert!(!captured.charge_id.is_empty());
    assert_eq!(completed.charge_id, captured.charge_id);
}

#[actix_web::test]
async fn each_event_of_a_declined_order_carries_the_reason_as_an_enum_and_the_provider_text_apart() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-D", 10).await;
    let since = seconds(OffsetDateTime::now_utc());

    let order_id = app.place_order(&order_body("cust-declined", &[("SKU-D", 2, 400)], DECLINE_TOKEN)).await;
    assert_eq!(app.wait_terminal(&order_id).await["failure_reason"], "PAYMENT_DECLINED");
    let events = app.terminal_events(&order_id).await;

    let decoded = decode_all(&events, &order_id, "cust-declined", 800, since);
    let [
        _,
        Event::InventoryReserved(_),
        Event::PaymentDeclined(declined),
        Event::InventoryReleased(released),
        Event::Failed(failed),
    ] = decoded.as_slice()
    else {
        panic!("unexpected events: {decoded:?}");
    };
    assert_eq!((declined.reason(), failed.reason()), (FailureReason::PaymentDeclined, FailureReason::PaymentDeclined));
    assert_eq!(declined.provider_reason, "card_declined (simulated)");
    assert_eq!(failed.provider_reason, declined.provider_reason);
    assert!(!failed.detail.is_empty(), "OrderFailed.detail is empty");
    assert_eq!(released.items.len(), 1);
}

#[actix_web::test]
async fn a_replayed_dead_letter_keeps_its_order_id_and_trace_context() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let js = jetstream::new(async_nats::connect(nats.url()).await.expect("connect to NATS"));
    let order_id = uuid::Uuid::now_v7().to_string();
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let mut headers = HeaderMap::new();
    headers.insert("Order-Id", order_id.as_str());
    headers.insert("traceparent", traceparent);
    headers.insert("Nats-Msg-Id", format!("dlq:ORDER.created:{order_id}").as_str());
    let payload = created_payload(&order_id);
    let ack = js.publish_with_headers("DLQ.ORDER.created", headers, payload.into()).await.expect("publish");
    let id = ack.await.expect("dead letter stored").sequence;

    let replay = app.client.post(format!("{}/dlq/{id}/replay", app.address)).json(&json!({})).send().await;
    let replay: Value = replay.expect("POST replay").json().await.expect("replay JSON");
    let sequence = replay["sequence"].as_u64().expect("replayed sequence");

    let stream = js.get_stream("ORDERS").await.expect("ORDERS");
    let replayed = stream.get_raw_message(sequence).await.expect("replayed message");
    let header = |name: &str| replayed.headers.get(name).map(|v| v.as_str().to_string());
    assert_eq!(replayed.subject.as_str(), "ORDER.replayed");
    assert_eq!(header("Order-Id"), Some(order_id.clone()));
    assert_eq!(header("Nats-Msg-Id"), Some(format!("{order_id}:replayed:{id}")));
    assert_eq!(header("traceparent").as_deref(), Some(traceparent));
}

#[actix_web::test]
async fn an_order_event_without_its_order_record_fails_unpaid_with_payment_token_missing() {
    let provider = FakePaymentProvider::start();
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.payment.gateway_url = Some(provider.url.clone())).await;
    app.stock("SKU-C", 10).await;
    let js = jetstream::new(async_nats::connect(nats.url()).await.expect("connect to NATS"));
    let order_id = uuid::Uuid::now_v7().to_string();
    let mut headers = HeaderMap::new();
    headers.insert("Order-Id", order_id.as_str());
    headers.insert("Nats-Msg-Id", format!("{order_id}:created").as_str());
    let sent = js.publish_with_headers("ORDER.created", headers, created_payload(&order_id).into()).await;
    sent.expect("publish").await.expect("ORDER.created stored");

    // The saga waits for the record over five deliveries (1 + 2 + 4 + 8 s).
    let order = app.wait_terminal_within(&order_id, Duration::from_secs(45)).await;
    assert_eq!(
        (order["status"].as_str(), order["failure_reason"].as_str()),
        (Some("FAILED"), Some("PAYMENT_TOKEN_MISSING"))
    );
    let events = app.terminal_events(&order_id).await;
    assert_eq!(subjects(&events), ["ORDER.created", "ORDER.failed"]);
    let failed = Event::decode(EventKind::Failed, &events[1].payload).expect("OrderFailed");
    assert!(matches!(failed, Event::Failed(f) if f.reason() == FailureReason::PaymentTokenMissing));
    assert!(provider.requests().is_empty(), "the provider was called for an order without a token");
    app.assert_stock_eventually("SKU-C", (10, 0)).await;
}

#[actix_web::test]
async fn an_order_whose_record_cannot_be_written_is_refused_with_503() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-C", 10).await;
    let js = jetstream::new(async_nats::connect(nats.url()).await.expect("connect to NATS"));
    let mut records = js.get_stream("KV_orders").await.expect("orders bucket stream");
    let mut sealed = records.info().await.expect("bucket info").config.clone();
    sealed.sealed = true;
    js.update_stream(sealed).await.expect("seal the orders bucket");

    let response = app.post_order(&order_body("cust-sealed", &[("SKU-C", 1, 1250)], TOKEN), None).await;

    assert_eq!(response.status().as_u16(), 503);
    assert!(response.headers().contains_key("retry-after"), "503 without Retry-After");
    let body: Value = response.json().await.expect("error JSON");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
}

/// A valid `OrderCreated` for one SKU-C at 1250 for `order_id`.
fn created_payload(order_id: &str) -> Vec<u8> {
    OrderCreated {
        order_id: order_id.into(),
        customer_id: "cust-no-record".into(),
        items: vec![OrderItem { sku: "SKU-C".into(), quantity: 1, unit_price_minor: 1250 }],
        total: Some(Money { amount_minor: 1250, currency: "USD".into() }),
        occurred_at: Some(Timestamp { seconds: seconds(OffsetDateTime::now_utc()), nanos: 0 }),
    }
    .encode_to_vec()
}
