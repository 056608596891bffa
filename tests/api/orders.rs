//! The order saga through the HTTP contract and the events it publishes:
//! happy path, order lookup, out of stock, no overselling.

use futures::future::join_all;
use order_service::contracts::proto::{FailureReason, OrderCompleted, OrderCreated, OrderFailed};
use prost::Message as _;
use serde_json::Value;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::events::subjects;
use crate::helpers::{assert_error_shape, order_body, spawn_app, spawn_app_with};
use support::nats::NatsServer;

#[actix_web::test]
async fn placed_order_completes_with_created_reserved_captured_completed_events_in_order() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 10).await;
    app.stock("SKU-B", 10).await;

    let body = order_body("cust-1", &[("SKU-A", 2, 1250), ("SKU-B", 1, 500)], "tok_visa");
    let order_id = app.place_order(&body).await;
    let order = app.wait_terminal(&order_id).await;
    let events = app.terminal_events(&order_id).await;

    assert_eq!(order["status"], "COMPLETED", "{order}");
    assert_eq!(
        subjects(&events),
        ["ORDER.created", "ORDER.inventory_reserved", "ORDER.payment_captured", "ORDER.completed"]
    );
    for event in &events {
        let suffix = event.subject.trim_start_matches("ORDER.");
        assert_eq!(event.order_id.as_deref(), Some(order_id.as_str()), "Order-Id of {}", event.subject);
        assert_eq!(event.msg_id, Some(format!("{order_id}:{suffix}")), "Nats-Msg-Id of {}", event.subject);
    }
    let created = OrderCreated::decode(events[0].payload.as_slice()).expect("OrderCreated payload");
    assert_eq!(created.order_id, order_id);
    assert_eq!(created.customer_id, "cust-1");
    let items: Vec<_> = created.items.iter().map(|i| (i.sku.as_str(), i.quantity, i.unit_price_minor)).collect();
    assert_eq!(items, [("SKU-A", 2, 1250), ("SKU-B", 1, 500)]);
    let total = created.total.expect("OrderCreated.total");
    assert_eq!((total.amount_minor, total.currency.as_str()), (3000, "USD"));
    let completed = OrderCompleted::decode(events[3].payload.as_slice()).expect("OrderCompleted payload");
    assert_eq!(completed.total.map(|t| t.amount_minor), Some(3000));
    assert!(!completed.charge_id.is_empty(), "OrderCompleted.charge_id is empty");
}

#[actix_web::test]
async fn accepted_order_has_location_header_and_full_representation() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 5).await;

    let response = app.post_order(&order_body("cust-7", &[("SKU-A", 3, 199)], "tok_visa"), None).await;
    assert_eq!(response.status().as_u16(), 202);
    let location = response.headers().get("Location").and_then(|v| v.to_str().ok()).map(String::from);
    let accepted: Value = response.json().await.expect("202 JSON");
    let order_id = accepted["order_id"].as_str().expect("order_id").to_string();
    assert_eq!(accepted["status"], "PENDING");
    let location = location.expect("Location header on 202");
    assert!(location.ends_with(&format!("/orders/{order_id}")), "Location {location}");

    let order = app.wait_terminal(&order_id).await;
    assert_eq!(order["order_id"], order_id.as_str());
    assert_eq!(order["customer_id"], "cust-7");
    assert_eq!(order["status"], "COMPLETED");
    assert!(order["failure_reason"].is_null(), "failure_reason of a completed order: {order}");
    assert_eq!(order["items"][0]["sku"], "SKU-A");
    assert_eq!(order["items"][0]["quantity"], 3);
    assert_eq!(order["items"][0]["unit_price_minor"], 199);
    assert_eq!(order["total_minor"], 597);
    assert_eq!(order["currency"], "USD");
    for field in ["created_at", "updated_at"] {
        let text = order[field].as_str().unwrap_or_else(|| panic!("{field} missing: {order}"));
        OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{field}={text}: {e}"));
    }
}

#[actix_web::test]
async fn unknown_order_is_404_with_json_error() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;

    let response = app.get_order(&uuid::Uuid::now_v7().to_string()).await;

    assert_eq!(response.status().as_u16(), 404);
    assert_error_shape(&response.json().await.expect("404 JSON"));
}

#[actix_web::test]
async fn order_beyond_stock_fails_out_of_stock_and_holds_nothing() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 1).await;

    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 2, 100)], "tok_visa")).await;
    let order = app.wait_terminal(&order_id).await;
    let events = app.terminal_events(&order_id).await;

    assert_eq!((order["status"].as_str(), order["failure_reason"].as_str()), (Some("FAILED"), Some("OUT_OF_STOCK")));
    assert_eq!(subjects(&events), ["ORDER.created", "ORDER.failed"]);
    let failed = OrderFailed::decode(events[1].payload.as_slice()).expect("OrderFailed payload");
    assert_eq!(failed.reason(), FailureReason::OutOfStock);
    app.assert_stock_eventually("SKU-A", (1, 0)).await;
}

#[actix_web::test]
async fn order_for_never_stocked_sku_fails_out_of_stock() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;

    let order_id = app.place_order(&order_body("cust-1", &[("NEVER-STOCKED", 1, 100)], "tok_visa")).await;
    let order = app.wait_terminal(&order_id).await;

    assert_eq!((order["status"].as_str(), order["failure_reason"].as_str()), (Some("FAILED"), Some("OUT_OF_STOCK")));
}

#[actix_web::test]
async fn order_short_on_one_item_holds_no_stock_of_the_others() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 5).await;
    app.stock("SKU-B", 1).await;

    let body = order_body("cust-1", &[("SKU-A", 2, 100), ("SKU-B", 3, 100)], "tok_visa");
    let order_id = app.place_order(&body).await;
    let order = app.wait_terminal(&order_id).await;

    assert_eq!(order["failure_reason"], "OUT_OF_STOCK", "{order}");
    app.assert_stock_eventually("SKU-A", (5, 0)).await;
    app.assert_stock_eventually("SKU-B", (1, 0)).await;
}

#[actix_web::test]
async fn concurrent_orders_never_oversell() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-HOT", 5).await;

    let body = order_body("cust-rush", &[("SKU-HOT", 1, 999)], "tok_visa");
    let ids = join_all((0..20).map(|_| app.place_order(&body))).await;
    let orders = join_all(ids.iter().map(|id| app.wait_terminal(id))).await;

    let completed = orders.iter().filter(|o| o["status"] == "COMPLETED").count();
    let out_of_stock = orders.iter().filter(|o| o["failure_reason"] == "OUT_OF_STOCK").count();
    assert_eq!((completed, out_of_stock), (5, 15), "{orders:#?}");
    app.assert_stock_eventually("SKU-HOT", (0, 0)).await;
}

/// Hundreds of sagas changing one SKU at once take turns instead of racing
/// each other's CAS: none runs out of attempts, so none is retried.
#[actix_web::test]
async fn a_burst_of_orders_on_one_sku_completes_without_a_single_retry() {
    const BURST: usize = 300;
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-BURST", BURST as u64).await;

    let body = order_body("cust-burst", &[("SKU-BURST", 1, 100)], "tok_visa");
    let ids = join_all((0..BURST).map(|_| app.place_order(&body))).await;
    let orders = join_all(ids.iter().map(|id| app.wait_terminal(id))).await;

    let completed = orders.iter().filter(|o| o["status"] == "COMPLETED").count();
    assert_eq!(completed, BURST, "every order had stock");
    app.assert_stock_eventually("SKU-BURST", (0, 0)).await;
    let metrics = app.get("/metrics").await.text().await.expect("metrics body");
    let redeliveries = metrics.lines().find(|l| l.starts_with("order_service_redeliveries_total"));
    assert_eq!(redeliveries.and_then(|l| l.rsplit(' ').next()), Some("0"), "saga retries:\n{metrics}");
}

#[actix_web::test]
async fn orders_whose_payment_outlasts_ack_wait_are_kept_alive_and_never_redelivered() {
    let nats = NatsServer::start().await;
    // The payment takes three ack_waits: only the order actor's in-progress
    // acks, sent while it waits on the provider, keep JetStream from
    // redelivering the message to a second run.
    let app = spawn_app_with(&nats, |s| {
        s.saga.ack_wait = Duration::from_secs(1);
        s.payment.sim_latency = Duration::from_secs(3);
    })
    .await;
    app.stock("SKU-SLOW-PAY", 3).await;

    let body = order_body("cust-slow-pay", &[("SKU-SLOW-PAY", 1, 100)], "tok_visa");
    let ids = join_all((0..3).map(|_| app.place_order(&body))).await;
    let orders = join_all(ids.iter().map(|id| app.wait_terminal_within(id, Duration::from_secs(30)))).await;

    assert!(orders.iter().all(|o| o["status"] == "COMPLETED"), "{orders:#?}");
    let metrics = app.get("/metrics").await.text().await.expect("metrics body");
    let redeliveries = metrics.lines().find(|l| l.starts_with("order_service_redeliveries_total"));
    assert_eq!(redeliveries.and_then(|l| l.rsplit(' ').next()), Some("0"), "redelivered:\n{metrics}");
}

#[actix_web::test]
async fn orders_complete_and_never_oversell_with_the_worker_pool_on_two_arbiter_threads() {
    let nats = NatsServer::start().await;
    // The default (0) runs the pool on the system arbiter; this is the other layout.
    let app = spawn_app_with(&nats, |s| s.pool.threads = 2).await;
    app.stock("SKU-TWO-THREADS", 5).await;

    let body = order_body("cust-two-threads", &[("SKU-TWO-THREADS", 1, 999)], "tok_visa");
    let ids = join_all((0..12).map(|_| app.place_order(&body))).await;
    let orders = join_all(ids.iter().map(|id| app.wait_terminal(id))).await;

    let completed = orders.iter().filter(|o| o["status"] == "COMPLETED").count();
    let out_of_stock = orders.iter().filter(|o| o["failure_reason"] == "OUT_OF_STOCK").count();
    assert_eq!((completed, out_of_stock), (5, 7), "{orders:#?}");
    app.assert_stock_eventually("SKU-TWO-THREADS", (0, 0)).await;
}
