//! `Idempotency-Key`: one order per key and body, sequentially, concurrently
//! and across a service restart; a reused key with another body is refused.

use futures::future::join_all;
use serde_json::Value;

use crate::events::created_order_ids;
use crate::helpers::{assert_error_shape, order_body, spawn_app, test_settings};
use support::nats::NatsServer;

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

/// The state a crash leaves between intake's record write and the PubAck:
/// the order record (the key's claim), but no `ORDER.created`. A repeat
/// must publish the event (a record alone proves nothing) and the order
/// must then run to the end.
#[actix_web::test]
async fn a_pending_claim_whose_event_was_never_stored_is_published_by_the_repeat() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;
    let body = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");
    let order_id = leave_a_crashed_intake_behind(&nats, &body, "key-crashed").await;
    assert_eq!(created_order_ids(&app.nats_url).await, Vec::<String>::new());

    let (status, id) = status_and_id(app.post_order(&body, Some("key-crashed")).await).await;

    assert_eq!((status, id.as_str()), (200, order_id.as_str()));
    assert_eq!(app.wait_terminal(&order_id).await["status"], "COMPLETED");
    assert_eq!(created_order_ids(&app.nats_url).await, [order_id]);
}

/// Writes the order record (the key's claim) a crashed intake would leave.
async fn leave_a_crashed_intake_behind(nats: &NatsServer, body: &Value, key: &str) -> String {
    use order_service::domain::{NewOrder, Order, fingerprint, order_id_for_key};
    let valid = serde_json::from_value::<NewOrder>(body.clone()).expect("body").validate().expect("valid");
    let handles = order_service::bridge::connect(&test_settings(nats.url())).await.expect("connect to NATS");
    let (order_id, now) = (order_id_for_key(key), time::OffsetDateTime::now_utc());
    let body = fingerprint(&valid);
    let mut record =
        Order::pending(order_id.clone(), valid.customer_id, valid.items, valid.currency, valid.payment_token, now);
    record.idempotency = Some(body);
    handles.orders.create(order_id.as_str(), &record).await.expect("record written");
    order_id.to_string()
}

/// The key's claim is the order record: the order id is derived from the
/// key, the record keeps the body's fingerprint, and no bucket of its own
/// is written.
#[actix_web::test]
async fn a_keyed_order_is_its_own_claim_in_the_order_record() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;
    let body = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa");

    let (status, id) = status_and_id(app.post_order(&body, Some("key-merged")).await).await;

    assert_eq!((status, id.as_str()), (202, order_service::domain::order_id_for_key("key-merged").as_str()));
    let js = async_nats::jetstream::new(async_nats::connect(nats.url()).await.expect("connect"));
    let record = js.get_key_value("orders").await.expect("orders").get(&id).await.expect("read").expect("record");
    let record: Value = serde_json::from_slice(&record).expect("order json");
    assert!(record["idempotency"].as_str().is_some_and(|f| f.len() == 64), "{record}");
    assert!(js.get_key_value("idempotency").await.is_err(), "no separate idempotency bucket");
}
