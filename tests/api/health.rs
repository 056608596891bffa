//! Operational endpoints: liveness, readiness and Prometheus metrics.

use crate::helpers::{order_body, spawn_app};
use crate::nats::NatsServer;

#[actix_web::test]
async fn health_and_ready_are_200_when_nats_is_up() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;

    assert_eq!(app.get("/health").await.status().as_u16(), 200);
    assert_eq!(app.get("/ready").await.status().as_u16(), 200);
}

#[actix_web::test]
async fn metrics_are_prometheus_text() {
    let nats = NatsServer::start().await;
    let app = spawn_app(&nats).await;
    app.stock("SKU-A", 1).await;
    let order_id = app.place_order(&order_body("cust-1", &[("SKU-A", 1, 100)], "tok_visa")).await;
    app.wait_terminal(&order_id).await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(
        content_type.starts_with("text/plain") || content_type.starts_with("application/openmetrics-text"),
        "Content-Type {content_type:?}"
    );
    let text = response.text().await.expect("metrics body");
    assert!(text.lines().any(|l| l.starts_with("# TYPE ")), "no # TYPE lines:\n{text}");
    let samples = text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty());
    for sample in samples {
        let value = sample.rsplit(' ').next().unwrap_or_default();
        assert!(value.parse::<f64>().is_ok(), "not a Prometheus sample: {sample:?}");
    }
}
