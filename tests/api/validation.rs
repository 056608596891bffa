//! Bad `POST /orders` requests get a JSON error (400 malformed, 422 invalid,
//! 413 too large) and publish nothing.

use serde_json::{Value, json};

use crate::events::created_order_ids;
use crate::helpers::{TestApp, assert_error_shape, order_body, spawn_app};
use support::nats::NatsServer;

fn item(sku: &str, quantity: i64, price: i64) -> Value {
    json!({"sku": sku, "quantity": quantity, "unit_price_minor": price})
}

async fn post_raw(app: &TestApp, content_type: &str, body: impl Into<String>) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/orders", app.address))
        .header("Content-Type", content_type)
        .body(body.into())
        .send()
        .await
        .expect("POST /orders");
    let status = response.status().as_u16();
    let text = response.text().await.expect("response body");
    let json = serde_json::from_str(&text).unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text:?}"));
    (status, json)
}

/// Places a valid order after the rejected ones and asserts it is the only
/// order in the stream: anything the rejected requests published would be
/// in the stream before its events.
async fn assert_nothing_published(app: &TestApp) {
    assert_eq!(app.stream_message_count().await, 0, "rejected requests published events");
    app.stock("SKU-A", 1).await;
    let sentinel = app.place_order(&order_body("cust-ok", &[("SKU-A", 1, 100)], "tok_visa")).await;
    app.terminal_events(&sentinel).await;
    assert_eq!(created_order_ids(&app.nats_url).await, [sentinel]);
}

#[actix_web::test]
async fn invalid_values_are_422_with_json_error_and_publish_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let cases = [
        ("empty customer_id", json!({"customer_id": "", "items": [item("SKU-A", 1, 100)]})),
        ("blank customer_id", json!({"customer_id": "   ", "items": [item("SKU-A", 1, 100)]})),
        ("overlong customer_id", json!({"customer_id": "c".repeat(10_000), "items": [item("SKU-A", 1, 100)]})),
        ("empty items", json!({"customer_id": "cust-1", "items": []})),
        ("quantity 0", json!({"customer_id": "cust-1", "items": [item("SKU-A", 0, 100)]})),
        ("negative price", json!({"customer_id": "cust-1", "items": [item("SKU-A", 1, -1)]})),
        ("empty sku", json!({"customer_id": "cust-1", "items": [item("", 1, 100)]})),
    ];

    for (case, body) in cases {
        let (status, json) = post_raw(&app, "application/json", body.to_string()).await;
        assert_eq!(status, 422, "{case}: {json}");
        assert_error_shape(&json);
    }
    assert_nothing_published(&app).await;
}

#[actix_web::test]
async fn malformed_json_is_400_with_json_error_and_publishes_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;

    for body in ["{\"customer_id\": ", "not json at all", "{\"customer_id\": \"c\",}", ""] {
        let (status, json) = post_raw(&app, "application/json", body).await;
        assert_eq!(status, 400, "{body:?}: {json}");
        assert_error_shape(&json);
    }
    assert_nothing_published(&app).await;
}

#[actix_web::test]
async fn wrongly_typed_fields_are_rejected_with_json_error_and_publish_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let cases = [
        json!({"customer_id": "cust-1", "items": [{"sku": "SKU-A", "quantity": "two", "unit_price_minor": 1}]}),
        json!({"customer_id": "cust-1", "items": [{"sku": "SKU-A", "quantity": 1, "unit_price_minor": 9.99}]}),
        json!({"customer_id": "cust-1", "items": [{"sku": "SKU-A", "quantity": -1, "unit_price_minor": 1}]}),
        json!({"customer_id": 7, "items": [item("SKU-A", 1, 100)]}),
        json!({"items": [item("SKU-A", 1, 100)]}),
        json!([1, 2, 3]),
    ];

    for body in cases {
        let (status, json) = post_raw(&app, "application/json", body.to_string()).await;
        assert!(status == 400 || status == 422, "{body}: {status} {json}");
        assert_error_shape(&json);
    }
    assert_nothing_published(&app).await;
}

#[actix_web::test]
async fn non_json_content_type_is_rejected_with_json_error_and_publishes_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let valid = order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa").to_string();

    let (status, json) = post_raw(&app, "text/plain", valid).await;

    assert!(status == 400 || status == 415, "text/plain answered {status}: {json}");
    assert_error_shape(&json);
    assert_nothing_published(&app).await;
}

#[actix_web::test]
async fn body_over_64_kib_is_413_with_json_error_and_publishes_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    let huge = json!({"customer_id": "c".repeat(70 * 1024), "items": [item("SKU-A", 1, 100)]});

    let (status, json) = post_raw(&app, "application/json", huge.to_string()).await;

    assert_eq!(status, 413, "{json}");
    assert_error_shape(&json);
    assert_nothing_published(&app).await;
}
