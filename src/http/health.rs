//! `GET /health` (liveness), `GET /ready` (readiness) and `GET /metrics`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::AppState;

/// Liveness: the process is up and serving HTTP.
pub(super) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// 200 when NATS is connected, setup is done, supervised actors are alive
/// and the instance is not draining; else 503 with the failing checks.
pub(super) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let failing = state.readiness.failing();
    if failing.is_empty() {
        return HttpResponse::Ok().json(json!({"status": "ready"}));
    }
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(json!({"status": "not_ready", "reason": format!("failing: {}", failing.join(", ")), "failing": failing}))
}

pub(super) async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state.metrics.nats_connected.set(i64::from(state.readiness.is_connected("nats")));
    if let Ok(Ok(health)) = state.ops.consumer.send(crate::bridge::GetConsumerHealth).await {
        state.metrics.consumer_pending.set(health.pending as i64);
        state.metrics.consumer_ack_pending.set(health.ack_pending as i64);
    }
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.encode())
}
