//! `GET /health` (liveness), `GET /ready` (readiness) and `GET /metrics`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::{AppState, openapi};

/// Liveness: the process is up and serving HTTP.
#[utoipa::path(get, path = "/health", operation_id = "health", tag = "operations",
    responses((status = 200, description = "The process serves HTTP.", body = openapi::Health)))]
pub(super) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// 200 when NATS is connected, setup is done, supervised actors are alive
/// and the instance is not draining; else 503 with the failing checks.
#[utoipa::path(get, path = "/ready", operation_id = "ready", tag = "operations", responses(
    (status = 200, description = "Every readiness check passes.", body = openapi::Readiness),
    (status = 503, description = "Some check fails; `failing` names them.", body = openapi::Readiness,
        headers(("Retry-After" = i64, description = "Seconds to wait before asking again.")))))]
pub(super) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let failing = state.readiness.failing();
    if failing.is_empty() {
        return HttpResponse::Ok().json(json!({"status": "ready"}));
    }
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "1"))
        .json(json!({"status": "not_ready", "reason": format!("failing: {}", failing.join(", ")), "failing": failing}))
}

#[utoipa::path(get, path = "/metrics", operation_id = "metrics", tag = "operations", responses((status = 200,
    description = "Every metric, named `order_service_*`.", body = String,
    content_type = "application/openmetrics-text")))]
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
