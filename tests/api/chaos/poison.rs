//! Scenario 6: poison messages are published straight into the `ORDERS`
//! stream on `ORDER.created` while valid orders flow: bytes that are not
//! protobuf (with and without an `Order-Id` header), `OrderCreated`
//! payloads with invalid fields, and a valid payload under another
//! order's `Order-Id` header. Each must be dead-lettered on its first
//! delivery with its reason (`GET /dlq`), never retried, and never block
//! the valid orders behind it, which all end normally.

use std::time::Duration;

use async_nats::HeaderMap;
use order_service::contracts::proto::{Money, OrderCreated, OrderItem};
use prost::Message as _;
use serde_json::Value;

use super::harness::{World, bounded, service_env, set_up, start_load};
use super::invariants::Expectations;
use super::load::LoadPlan;
use super::observe::{self};
use super::service;
use support::nats::NatsCluster;

/// One poison message: what it is, its `Order-Id` header, its payload and
/// the text its dead-letter reason must contain.
struct Poison {
    what: &'static str,
    header: Option<String>,
    payload: Vec<u8>,
    reason: &'static str,
}

#[actix_web::test]
async fn poison_messages_are_dead_lettered_once_without_blocking_valid_orders() {
    bounded("poison", run()).await;
}

async fn run() {
    let (mut scenario, nats, provider) = set_up("poison", NatsCluster::single()).await;
    let service = service::start("order-service", &service_env(&nats.urls(), &provider.url)).await;
    let (api, load) = start_load("poison", &[&service], LoadPlan::steady(Duration::from_secs(8)), 5).await;

    let js = observe::jetstream(&nats.urls()).await.expect("jetstream for the injector");
    let mut expect = Expectations::default();
    let mut injected = Vec::new();
    for (i, poison) in poisons().into_iter().enumerate() {
        let mut headers = HeaderMap::new();
        if let Some(order_id) = &poison.header {
            headers.insert("Order-Id", order_id.as_str());
        }
        let ack = js.publish_with_headers("ORDER.created", headers, poison.payload.clone().into()).await;
        let sequence = ack.expect("publish poison").await.expect("poison stored").sequence;
        scenario.fault(&format!("poison seq {sequence}: {}", poison.what));
        expect.injected.insert(sequence);
        expect.dead_letters.insert(sequence);
        injected.push((sequence, poison));
        if i % 2 == 1 {
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
    }
    let report = load.finish().await;

    let world = World { api: &api, nats_urls: nats.urls(), provider: &provider, services: vec![&service] };
    let seen = scenario.finish(world, report, expect).await;
    for (sequence, poison) in &injected {
        let letter = seen.dead_letters.iter().find(|l| l["original_sequence"] == *sequence);
        let letter = letter.unwrap_or_else(|| panic!("{} (seq {sequence}) not in GET /dlq", poison.what));
        assert_dead_letter(letter, poison);
    }
}

fn assert_dead_letter(letter: &Value, poison: &Poison) {
    let reason = letter["reason"].as_str().unwrap_or_default();
    assert!(reason.contains(poison.reason), "{}: reason {reason:?} lacks {:?}", poison.what, poison.reason);
    assert_eq!(letter["delivered"], 1, "{} was retried before it was dead-lettered: {letter}", poison.what);
    assert_eq!(letter["original_subject"], "ORDER.created", "{letter}");
    assert_eq!(letter["order_id"].as_str(), poison.header.as_deref(), "{}: original headers kept", poison.what);
}

fn poisons() -> Vec<Poison> {
    let id = || uuid::Uuid::now_v7().to_string();
    let (own, other, tampered) = (id(), id(), id());
    vec![
        Poison { what: "bytes that are not protobuf", header: Some(id()), payload: vec![0xff; 5], reason: "poison" },
        Poison { what: "not protobuf, no headers", header: None, payload: vec![0xff, 0x00, 0x13], reason: "poison" },
        Poison { what: "quantity 0", header: Some(own.clone()), payload: created(&own, 0, 0), reason: "quantity" },
        Poison {
            what: "order id not a UUID",
            header: Some("not-a-uuid".into()),
            payload: created("not-a-uuid", 1, 100),
            reason: "order_id",
        },
        Poison {
            what: "total not the items' sum",
            header: Some(tampered.clone()),
            payload: created(&tampered, 2, 1),
            reason: "total",
        },
        Poison {
            what: "Order-Id header of another order",
            header: Some(other),
            payload: created(&own, 1, 100),
            reason: "does not match",
        },
    ]
}

/// An `OrderCreated` for one CHAOS-A item at 100 per unit.
fn created(order_id: &str, quantity: u32, total: i64) -> Vec<u8> {
    OrderCreated {
        order_id: order_id.into(),
        customer_id: "poison".into(),
        items: vec![OrderItem { sku: "CHAOS-A".into(), quantity, unit_price_minor: 100 }],
        total: Some(Money { amount_minor: total, currency: "USD".into() }),
        occurred_at: Some(prost_types::Timestamp { seconds: 1_767_225_600, nanos: 0 }),
    }
    .encode_to_vec()
}
