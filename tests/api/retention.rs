//! Retention of the KV buckets: order records (with their payment and
//! idempotency claims) expire `ORDER_RETENTION_DAYS` after their last change (the broker's `max_age`),
//! stock records never do, and a changed setting reaches existing buckets
//! at the next start without losing what they hold.

use std::time::Duration;

use async_nats::jetstream;

use crate::helpers::{order_body, spawn_app_with};
use support::nats::NatsServer;

const DAY: Duration = Duration::from_secs(86_400);

/// `max_age` of the stream behind each bucket, in days.
async fn retention_days(nats_url: &str) -> [(&'static str, u64); 2] {
    let js = jetstream::new(async_nats::connect(nats_url).await.expect("connect to nats"));
    let mut days = [("orders", 0), ("inventory", 0)];
    for (bucket, max_age) in &mut days {
        let mut stream = js.get_stream(format!("KV_{bucket}")).await.expect("bucket stream");
        let info = stream.info().await.expect("bucket stream info");
        *max_age = info.config.max_age.as_secs() / DAY.as_secs();
    }
    days
}

#[actix_web::test]
async fn order_records_get_the_configured_retention_and_stock_keeps_forever() {
    let nats = NatsServer::start().await;
    let app = spawn_app_with(&nats, |s| s.retention.orders = Some(DAY * 45)).await;

    assert_eq!(retention_days(nats.url()).await, [("orders", 45), ("inventory", 0)]);
    app.shutdown().await;
}

#[actix_web::test]
async fn a_changed_retention_reaches_existing_buckets_at_the_next_start_and_keeps_their_records() {
    let nats = NatsServer::start().await;
    let forever = spawn_app_with(&nats, |s| s.retention.orders = None).await;
    forever.stock("SKU-R", 5).await;
    let order_id = forever.place_order(&order_body("cust-r", &[("SKU-R", 1, 900)], "tok_visa")).await;
    let before = forever.wait_terminal(&order_id).await;
    assert_eq!(retention_days(nats.url()).await[..1], [("orders", 0)]);
    forever.shutdown().await;

    let bounded = spawn_app_with(&nats, |s| s.retention.orders = Some(DAY * 31)).await;

    assert_eq!(retention_days(nats.url()).await, [("orders", 31), ("inventory", 0)]);
    let after: serde_json::Value = bounded.get_order(&order_id).await.json().await.expect("order json");
    assert_eq!(after, before, "the order record survives the change");
    assert_eq!(bounded.stock_levels("SKU-R").await, (4, 0), "stock records survive too");
    bounded.shutdown().await;
}
