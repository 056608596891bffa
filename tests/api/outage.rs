//! NATS outage: orders are refused with 503 + Retry-After, readiness drops,
//! liveness stays up, and nothing half-accepted appears after recovery. A
//! dead-letter replay answers 404 only when JetStream says there is no such
//! message; when NATS can't say (down, or the read fails) it is a 503.

use serde_json::Value;

use crate::events::created_order_ids;
use crate::helpers::{WAIT, assert_error_shape, eventually, order_body, spawn_app};
use support::nats::NatsServer;

#[actix_web::test]
async fn nats_outage_answers_503_with_retry_after_and_publishes_nothing() {
    let mut nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 5).await;
    assert_eq!(app.get("/ready").await.status().as_u16(), 200, "ready before the outage");
    let body = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");

    nats.stop();
    eventually(|| async { (app.get("/ready").await.status().as_u16() == 503).then_some(()) }, WAIT).await;
    let response = app.post_order(&body, Some("key-during-outage")).await;

    assert_eq!(response.status().as_u16(), 503);
    let retry_after = response.headers().get("Retry-After").and_then(|v| v.to_str().ok());
    let retry_after: u64 = retry_after.and_then(|v| v.trim().parse().ok()).expect("Retry-After: <seconds>");
    assert!(retry_after > 0, "Retry-After must be positive");
    assert_error_shape(&response.json().await.expect("503 JSON"));
    let ready = app.get("/ready").await;
    assert_eq!(ready.status().as_u16(), 503);
    let reason: Value = ready.json().await.expect("/ready 503 carries a JSON reason");
    assert!(reason.is_object(), "{reason}");
    assert_eq!(app.get("/health").await.status().as_u16(), 200, "liveness must not depend on NATS");

    nats.restart().await;
    eventually(|| async { (app.get("/ready").await.status().as_u16() == 200).then_some(()) }, WAIT).await;
    // Anything buffered during the outage is flushed on reconnect, before
    // this order's events.
    let sentinel = app.place_order(&order_body("cust-2", &[("SKU-A", 1, 100)], "tok_visa")).await;
    app.terminal_events(&sentinel).await;
    assert_eq!(created_order_ids(&app.nats_url).await, [sentinel], "the refused order was published");
}

#[actix_web::test]
async fn order_refused_during_outage_can_be_retried_with_its_key_after_recovery() {
    let mut nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 5).await;
    let body = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");

    nats.stop();
    eventually(|| async { (app.get("/ready").await.status().as_u16() == 503).then_some(()) }, WAIT).await;
    let refused = app.post_order(&body, Some("key-retry")).await;
    assert_eq!(refused.status().as_u16(), 503);
    nats.restart().await;
    eventually(|| async { (app.get("/ready").await.status().as_u16() == 200).then_some(()) }, WAIT).await;
    let retried = app.post_order(&body, Some("key-retry")).await;

    assert!(retried.status().is_success(), "retry after recovery answered {}", retried.status());
    let json: Value = retried.json().await.expect("JSON");
    let order_id = json["order_id"].as_str().expect("order_id").to_string();
    let order = app.wait_terminal(&order_id).await;
    assert_eq!(order["status"], "COMPLETED", "{order}");
    assert_eq!(created_order_ids(&app.nats_url).await, [order_id]);
}

#[actix_web::test]
async fn dead_letter_replay_during_an_outage_answers_503_with_retry_after_not_404() {
    let mut nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let replay = || app.client.post(format!("{}/dlq/1/replay", app.address)).header("content-type", "application/json");
    assert_eq!(replay().send().await.expect("replay").status().as_u16(), 404, "no dead letter 1 yet");

    nats.stop();
    eventually(|| async { (app.get("/ready").await.status().as_u16() == 503).then_some(()) }, WAIT).await;
    let response = replay().send().await.expect("replay during the outage");

    assert_eq!(response.status().as_u16(), 503);
    let retry_after = response.headers().get("Retry-After").and_then(|v| v.to_str().ok());
    assert!(retry_after.and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|s| s > 0), "{retry_after:?}");
    assert_error_shape(&response.json().await.expect("503 JSON"));
}

#[actix_web::test]
async fn dead_letter_replay_of_an_id_jetstream_rejects_is_404_not_an_outage() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let replay = app.client.post(format!("{}/dlq/0/replay", app.address)).header("content-type", "application/json");

    let response = replay.send().await.expect("replay of id 0");

    assert_eq!(response.status().as_u16(), 404);
    assert_error_shape(&response.json().await.expect("404 JSON"));
}

/// The default user may do everything but read dead letters: reading one
/// fails (times out) although the stream is there.
const NO_DEAD_LETTER_READS: &str = r#"
accounts {
    APP {
        jetstream: enabled
        users: [{
            user: app, password: app,
            permissions: { publish: { deny: ["$JS.API.STREAM.MSG.GET.DEAD_LETTERS"] } }
        }]
    }
}
no_auth_user: app
"#;

#[actix_web::test]
async fn dead_letter_replay_whose_read_fails_answers_503_not_404() {
    let nats = NatsServer::start_with_config(NO_DEAD_LETTER_READS).await;
    let app = spawn_app(&nats).await;
    let replay = app.client.post(format!("{}/dlq/1/replay", app.address)).header("content-type", "application/json");

    let response = replay.send().await.expect("replay");

    assert_eq!(response.status().as_u16(), 503, "the dead letter may exist: not a 404");
    assert!(response.headers().contains_key("Retry-After"));
    assert_error_shape(&response.json().await.expect("503 JSON"));
}
