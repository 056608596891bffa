//! Admin routes: `GET /dlq` lists dead letters, `POST /dlq/{id}/replay`
//! re-drives one. Guarded by `ADMIN_TOKEN` when set.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState};
use crate::bridge::{ListDeadLetters, ReplayDeadLetter};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    limit: Option<usize>,
}

fn bridge_error(e: crate::bridge::BridgeError) -> ApiError {
    match e.is_transient() {
        true => ApiError::Unavailable(e.to_string()),
        false => ApiError::Internal(e.to_string()),
    }
}

pub(super) async fn list(query: web::Query<ListQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let letters = state.dead_letters.send(ListDeadLetters { limit }).await?.map_err(bridge_error)?;
    Ok(HttpResponse::Ok().json(json!({ "dead_letters": letters })))
}

pub(super) async fn replay(path: web::Path<u64>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let replayed = state.dead_letters.send(ReplayDeadLetter { id }).await?.map_err(bridge_error)?;
    let replayed = replayed.ok_or_else(|| ApiError::NotFound(format!("no dead letter with id {id}")))?;
    Ok(HttpResponse::Accepted().json(replayed))
}
