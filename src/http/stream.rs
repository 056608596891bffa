//! `GET /api/stream` (admin): server-sent events, one `snapshot` of the
//! overview and the actors per second. One sampler builds each snapshot
//! once for every client ([`SnapshotHub`](crate::ops::SnapshotHub)). Past
//! `DASHBOARD_STREAM_CLIENTS` concurrent clients the answer is 503 with
//! `Retry-After`; a client's place is freed when its connection closes.

use actix_web::{HttpResponse, web};
use futures::StreamExt;
use serde_json::json;
use std::time::Duration;

use super::api::{actors_json, overview_json};
use super::{ApiError, AppState, openapi};

const PERIOD: Duration = Duration::from_secs(1);

/// Builds a frame each second while anyone watches; runs for the life of
/// the HTTP worker that started it.
async fn sample(state: web::Data<AppState>) {
    let mut ticks = tokio::time::interval(PERIOD);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if !state.ops.stream.watched() {
            continue;
        }
        let snapshot = json!({"overview": overview_json(&state).await, "actors": actors_json(&state)});
        state.ops.stream.publish(web::Bytes::from(format!("event: snapshot\ndata: {snapshot}\n\n")));
    }
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
        actix::spawn(sample(state.clone()));
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
