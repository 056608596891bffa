//! `Idempotency-Key`: one order per key and body, sequentially, concurrently
//! and across a service restart; a reused key with another body is refused.

use futures::future::join_all;
use serde_json::Value;

use crate::events::created_order_ids;
use crate::helpers::{assert_error_shape, order_body, spawn_app};
use crate::nats::NatsServer;

async fn status_and_id(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let json: Value = response.json().await.expect("JSON body");
    (status, json["order_id"].as_str().unwrap_or_default().to_string())
}

#[actix_web::test]
async fn repeated_request_with_same_key_returns_the_same_order_once() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;
    let body = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");

    let (first_status, first_id) = status_and_id(app.post_order(&body, Some("key-seq-1")).await).await;
    let (second_status, second_id) = status_and_id(app.post_order(&body, Some("key-seq-1")).await).await;

    assert_eq!((first_status, second_status), (202, 200));
    assert!(!first_id.is_empty());
    assert_eq!(second_id, first_id);
    app.wait_terminal(&first_id).await;
    assert_eq!(created_order_ids(&app.nats_url).await, [first_id]);
}

#[actix_web::test]
async fn concurrent_requests_with_same_key_create_one_order() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;
    let body = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");

    let responses = join_all((0..10).map(|_| app.post_order(&body, Some("key-burst")))).await;
    let answers = join_all(responses.into_iter().map(status_and_id)).await;

    assert!(answers.iter().all(|(s, _)| *s == 200 || *s == 202), "{answers:?}");
    let id = answers[0].1.clone();
    assert!(answers.iter().all(|(_, i)| *i == id && !i.is_empty()), "{answers:?}");
    app.wait_terminal(&id).await;
    assert_eq!(created_order_ids(&app.nats_url).await, [id]);
    app.assert_stock_eventually("SKU-A", (9, 0)).await;
}

#[actix_web::test]
async fn same_key_with_a_different_body_is_422_and_publishes_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;
    let first = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");
    let other = order_body("cust-1", &[("SKU-A", 2, 100)], "tok_visa");

    let (_, id) = status_and_id(app.post_order(&first, Some("key-reuse")).await).await;
    app.wait_terminal(&id).await;
    let response = app.post_order(&other, Some("key-reuse")).await;

    assert_eq!(response.status().as_u16(), 422);
    let code = assert_error_shape(&response.json().await.expect("422 JSON"));
    assert_eq!(code, "idempotency_key_reused");
    // Barrier: a later order's events come after anything the refused one
    // could have published.
    let sentinel = app.place_order(&order_body("cust-2", &[("SKU-A", 1, 100)], "tok_visa")).await;
    app.terminal_events(&sentinel).await;
    assert_eq!(created_order_ids(&app.nats_url).await, [id, sentinel]);
}

#[actix_web::test]
async fn same_key_after_a_service_restart_returns_the_same_order() {
    let nats = NatsServer::start().await;
    let body = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");
    let first_app = spawn_app(&nats).await;
    first_app.stock("SKU-A", 10).await;
    let (_, first_id) = status_and_id(first_app.post_order(&body, Some("key-restart")).await).await;
    first_app.wait_terminal(&first_id).await;
    first_app.shutdown().await;

    let second_app = spawn_app(&nats).await;
    let (status, second_id) = status_and_id(second_app.post_order(&body, Some("key-restart")).await).await;

    assert!(status == 200 || status == 202, "status {status}");
    assert_eq!(second_id, first_id);
    assert_eq!(created_order_ids(&second_app.nats_url).await, [first_id]);
}
