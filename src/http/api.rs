//! The operator JSON API behind the dashboard (bearer-guarded when
//! `ADMIN_TOKEN` is set): `/api/overview`, `/api/actors`,
//! `/api/orders/{id}/timeline` and `POST /api/actors/{name}/crash` (fault
//! injection, only when enabled). `/api/stream` is in `stream.rs`, the
//! order list in `order_list.rs`.

use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use super::{ApiError, AppState, openapi};
use crate::actors::intake::GetTimeline;
use crate::bridge::GetConsumerHealth;
use crate::domain::OrderId;

const HISTORY_SECS: usize = 300;

async fn consumer(state: &AppState) -> Value {
    match state.ops.consumer.send(GetConsumerHealth).await {
        Ok(Ok(health)) => {
            state.metrics.consumer_pending.set(health.pending as i64);
            state.metrics.consumer_ack_pending.set(health.ack_pending as i64);
            state.metrics.throughput.observe_pending(health.pending);
            json!(health)
        }
        Ok(Err(e)) => json!({"error": e.to_string()}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

pub(super) async fn overview_json(state: &AppState) -> Value {
    let failing = state.readiness.failing();
    json!({
        "ready": failing.is_empty(),
        "failing": failing,
        "nats": {"connected": state.readiness.is_connected("nats")},
        "consumer": consumer(state).await,
        "orders": {
            "in_progress": state.ops.tracker.in_progress(),
            "stuck_after_secs": state.ops.stuck_after.as_secs(),
            "stuck": state.ops.tracker.stuck(state.ops.stuck_after),
        },
        "throughput": state.metrics.throughput.recent(HISTORY_SECS),
        "admin": admin_json(state),
        "dashboard_streams": {
            "clients": state.ops.stream.clients(),
            "max_clients": state.ops.stream.max_clients(),
            "snapshots_built": state.ops.stream.built(),
        },
    })
}

/// How admin routes are protected, so the dashboard can say when it is
/// only the loopback rule.
fn admin_json(state: &AppState) -> Value {
    let token = state.admin_token.is_some();
    json!({
        "token_set": token,
        "access": if token { "bearer token (ADMIN_TOKEN)" } else { "loopback clients only (no ADMIN_TOKEN)" },
    })
}

pub(super) fn actors_json(state: &AppState) -> Value {
    let (queued, in_flight) = state.ops.pool.totals();
    let capacity = state.ops.pool.size() * state.ops.pool.mailbox_bound();
    let running = |up: bool| if up { "running" } else { "stopped" };
    json!({
        "root": "order-service",
        "system": [
            {"name": "intake", "kind": "IntakeActor", "status": running(state.intake.connected())},
            {"name": "consumer", "kind": "JetStreamConsumer", "status": running(state.ops.consumer.connected())},
            {"name": "dead-letters", "kind": "DeadLetterActor", "status": running(state.dead_letters.connected())},
        ],
        "supervised": state.ops.tree.snapshots(),
        "pool": {
            "workers": state.ops.pool.view(),
            "size": state.ops.pool.size(),
            "mailbox_bound": state.ops.pool.mailbox_bound(),
            "queued": queued,
            "in_flight": in_flight,
            "capacity": capacity,
            "utilisation_percent": (in_flight.max(0) as usize * 100).checked_div(capacity).unwrap_or(0),
        },
        "order_actors": state.ops.tracker.in_progress(),
        "fault_injection": state.ops.fault_injection,
    })
}

#[utoipa::path(get, path = "/api/overview", operation_id = "overview", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "This instance's overview.", body = openapi::Overview),
        openapi::AdminReadErrors))]
pub(super) async fn overview(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(overview_json(&state).await))
}

#[utoipa::path(get, path = "/api/actors", operation_id = "actor_tree", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The actor tree.", body = openapi::ActorTree), openapi::AdminReadErrors))]
pub(super) async fn actors(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(actors_json(&state)))
}

#[utoipa::path(get, path = "/api/orders/{id}/timeline", operation_id = "order_timeline", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The order id (a lower-case UUID); any other text is 404.")),
    responses((status = 200, description = "The order's stored record and events.", body = openapi::Timeline),
        openapi::AdminLookupErrors))]
pub(super) async fn timeline(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound(format!("no order with id {}", path.as_str()));
    let order_id = OrderId::parse(&path).ok_or_else(not_found)?;
    let timeline = state.intake.send(GetTimeline { order_id }).await??.ok_or_else(not_found)?;
    let trace_url = timeline
        .order
        .trace_id
        .as_ref()
        .map(|id| format!("{}/trace/{id}", state.ops.jaeger_ui_url.trim_end_matches('/')));
    let mut body = json!(timeline);
    body["trace_url"] = json!(trace_url);
    // A provider token is not for operators' eyes.
    if let Some(order) = body.get_mut("order").and_then(Value::as_object_mut) {
        order.remove("payment_token");
    }
    Ok(HttpResponse::Ok().json(body))
}

/// Fault injection: panic the named supervised actor (404 unless
/// `FAULT_INJECTION=true`). Answers once the actor has crashed.
#[utoipa::path(post, path = "/api/actors/{name}/crash", operation_id = "crash_actor", tag = "admin", security(("bearer" = [])),
    params(("name" = String, Path, description = "`inventory` or `payment`; 404 unless `FAULT_INJECTION=true`.")),
    responses((status = 202, description = "The actor was told to panic.", body = openapi::CrashResult),
        openapi::CrashErrors))]
pub(super) async fn crash(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !state.ops.fault_injection {
        return Err(ApiError::NotFound("fault injection is disabled (FAULT_INJECTION=true enables it)".into()));
    }
    let reason = format!("crash requested through the API for {}", path.as_str());
    let msg = crate::actors::supervision::InjectPanic { reason };
    let result = match path.as_str() {
        "inventory" => state.ops.inventory.send(msg).await,
        "payment" => state.ops.payment.send(msg).await,
        other => return Err(ApiError::NotFound(format!("no supervised actor named {other}"))),
    };
    Ok(HttpResponse::Accepted().json(json!({"actor": path.as_str(), "crashed": matches!(result, Ok(Err(_)))})))
}
