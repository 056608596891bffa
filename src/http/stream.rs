//! `GET /api/stream` (admin): server-sent events, one `snapshot` of the
//! overview and the actors per second. One sampler builds each snapshot
//! once for every client ([`SnapshotHub`](crate::ops::SnapshotHub)). Past
//! `DASHBOARD_STREAM_CLIENTS` concurrent clients the answer is 503 with
//! `Retry-After`; a client's place is freed when its connection closes.

use actix_web::{HttpResponse, web};
use futures::StreamExt;

use super::{ApiError, AppState, openapi};
use crate::ops;

/// One SSE `snapshot` event.
async fn frame(state: web::Data<AppState>) -> web::Bytes {
    let snapshot = ops::snapshot_json(&state.ops_sources()).await;
    web::Bytes::from(format!("event: snapshot\ndata: {snapshot}\n\n"))
}

#[utoipa::path(get, path = "/api/stream", operation_id = "snapshot_stream", tag = "admin", security(("bearer" = [])),
    responses((status = 200, description = "Server-sent events without end: one `snapshot` event \
        (`{\"overview\", \"actors\"}`) per second.", body = String, content_type = "text/event-stream"),
        openapi::StreamErrors))]
pub(super) async fn stream(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let hub = state.ops.stream.clone();
    let Some(slot) = hub.admit() else {
        let max = hub.max_clients();
        return Err(ApiError::Unavailable(format!(
            "{max} dashboard streams are open (DASHBOARD_STREAM_CLIENTS); try again later"
        )));
    };
    hub.start_sampler_once(|| {
        // Runs for the life of the HTTP worker that started it.
        let (hub, state) = (hub.clone(), state.clone());
        actix::spawn(async move { hub.run_sampler(|| frame(state.clone())).await });
    });
    let frames = futures::stream::unfold((hub.subscribe(), slot), |(mut reader, slot)| async move {
        reader.changed().await.ok()?;
        let frame = reader.borrow_and_update().clone();
        Some((Ok::<_, actix_web::Error>(frame), (reader, slot)))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .streaming(frames.boxed_local()))
}
