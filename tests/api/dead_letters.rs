//! Dead letters of orders that fail on every delivery: the last allowed
//! delivery (`MAX_DELIVER`) copies the original `ORDER.created` into
//! `DEAD_LETTERS` (the order actor keeps no payload, so the copy is read
//! back from the stream), terminates it, and a replay re-drives the order.

use async_nats::jetstream;
use serde_json::Value;
use std::time::Duration;

use crate::helpers::{eventually, order_body, spawn_app_with};
use support::nats::NatsServer;
use support::provider::FakePaymentProvider;

/// Two deliveries, each with the payment actor's full retry schedule (~3 s),
/// and the 1 s nak delay between them.
const DEAD_LETTERED_WITHIN: Duration = Duration::from_secs(60);

#[actix_web::test]
async fn an_order_failing_every_delivery_is_dead_lettered_with_its_original_event_and_replays_to_completion() {
    let provider = FakePaymentProvider::start();
    provider.fail_next(usize::MAX);
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| {
        s.payment.gateway_url = Some(provider.url.clone());
        s.saga.max_deliver = 2;
    })
    .await;
    app.stock("SKU-A", 5).await;
    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 2, 500)], "tok_visa")).await;

    let letter = eventually(
        || async {
            let body: Value = app.get("/dlq").await.json().await.ok()?;
            let letters = body["dead_letters"].as_array()?.clone();
            letters.into_iter().find(|l| l["order_id"] == order_id.as_str())
        },
        DEAD_LETTERED_WITHIN,
    )
    .await;

    assert_eq!(letter["delivered"], 2, "dead-lettered on the MAX_DELIVER-th delivery: {letter}");
    assert_eq!(letter["original_subject"], "ORDER.created", "{letter}");
    let reason = letter["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("max deliveries (2)"), "reason {reason:?}");
    let (original, copy) = stored_pair(nats.url(), &letter).await;
    assert_eq!(copy.payload, original.payload, "the dead letter carries the original OrderCreated payload");
    assert_eq!(header(&copy, "Order-Id"), Some(order_id.clone()), "original headers kept");
    assert_eq!(header(&copy, "Dlq-Original-Sequence"), Some(original.sequence.to_string()));
    let during: Value = app.get_order(&order_id).await.json().await.expect("order JSON");
    assert_eq!(during["status"], "STOCK_RESERVED", "an unknown payment outcome does not end the order: {during}");

    provider.fail_next(0);
    let id = letter["id"].as_u64().expect("dead letter id");
    let replay = app.admin(reqwest::Method::POST, &format!("/dlq/{id}/replay")).send().await.expect("POST replay");
    assert_eq!(replay.status().as_u16(), 202);
    let order = app.wait_terminal(&order_id).await;
    assert_eq!(order["status"], "COMPLETED", "{order}");
    assert_eq!(provider.charges(), 1, "charged once across the failed deliveries and the replay");
}

/// The `ORDER.created` message the letter names, and the letter itself, as stored.
async fn stored_pair(
    nats_url: &str,
    letter: &Value,
) -> (jetstream::message::StreamMessage, jetstream::message::StreamMessage) {
    let client = async_nats::connect(nats_url).await.expect("connect to NATS");
    let js = jetstream::new(client);
    let get = |stream: &'static str, sequence: u64| {
        let js = js.clone();
        async move {
            let stream = js.get_stream(stream).await.expect("stream");
            stream.get_raw_message(sequence).await.expect("stored message")
        }
    };
    let original = get("ORDERS", letter["original_sequence"].as_u64().expect("original_sequence")).await;
    let copy = get("DEAD_LETTERS", letter["id"].as_u64().expect("id")).await;
    (original, copy)
}

fn header(message: &jetstream::message::StreamMessage, name: &str) -> Option<String> {
    message.headers.get(name).map(|v| v.as_str().to_string())
}
