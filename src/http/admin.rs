//! Admin routes: `GET /dlq` lists dead letters, `POST /dlq/{id}/replay`
//! re-drives one. Guarded by `ADMIN_TOKEN` when set.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use super::{ApiError, AppState, openapi};
use crate::bridge::{ListDeadLetters, ReplayDeadLetter, Replayed};

const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 1000;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ListQuery {
    /// How many, newest first: 100 when absent, clamped to 1-1000.
    #[param(minimum = 0)]
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/dlq", operation_id = "list_dead_letters", tag = "admin", params(ListQuery), security(("bearer" = [])),
    responses((status = 200, description = "Dead letters, newest first.", body = openapi::DeadLetterList),
        openapi::ListDeadLettersErrors))]
pub(super) async fn list(query: web::Query<ListQuery>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let letters = state.dead_letters.send(ListDeadLetters { limit }).await??;
    Ok(HttpResponse::Ok().json(json!({ "dead_letters": letters })))
}

#[utoipa::path(post, path = "/dlq/{id}/replay", operation_id = "replay_dead_letter", tag = "admin", security(("bearer" = [])),
    params(("id" = u64, Path, description = "The dead letter's id; any other text is 404.")),
    responses((status = 202, description = "Re-published on `ORDER.replayed`; the dead letter is deleted.",
        body = Replayed), openapi::AdminLookupErrors))]
pub(super) async fn replay(path: web::Path<u64>, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let replayed = state.dead_letters.send(ReplayDeadLetter { id }).await??;
    let replayed = replayed.ok_or_else(|| ApiError::NotFound(format!("no dead letter with id {id}")))?;
    Ok(HttpResponse::Accepted().json(replayed))
}
