//! The operator JSON API behind the dashboard (bearer-guarded when
//! `ADMIN_TOKEN` is set): `/api/overview`, `/api/actors`, `/api/orders/{id}/timeline` and
//! `POST /api/actors/{name}/crash` (fault injection, only when enabled).
//! Thin handlers: the views are built in [`crate::ops`]. `/api/stream` is
//! in `stream.rs`, the order list in `order_list.rs`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::{ApiError, AppState, openapi};
use crate::actors::intake::GetTimeline;
use crate::domain::OrderId;
use crate::ops;

#[utoipa::path(get, path = "/api/overview", operation_id = "overview", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "This instance's overview.", body = openapi::Overview),
        openapi::AdminReadErrors))]
pub(super) async fn overview(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ops::overview_json(&state.ops_sources()).await))
}

#[utoipa::path(get, path = "/api/actors", operation_id = "actor_tree", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "The actor tree.", body = openapi::ActorTree), openapi::AdminReadErrors))]
pub(super) async fn actors(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ops::actors_json(&state.ops_sources())))
}

#[utoipa::path(get, path = "/api/orders/{id}/timeline", operation_id = "order_timeline", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The order id (a lower-case UUID); any other text is 404.")),
    responses((status = 200, description = "The order's stored record and events.", body = openapi::Timeline),
        openapi::AdminLookupErrors))]
pub(super) async fn timeline(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let not_found = || ApiError::NotFound(format!("no order with id {}", path.as_str()));
    let order_id = OrderId::parse(&path).ok_or_else(not_found)?;
    let timeline = state.intake.send(GetTimeline { order_id }).await??.ok_or_else(not_found)?;
    Ok(HttpResponse::Ok().json(timeline.operator_json(&state.ops.jaeger_ui_url)))
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
