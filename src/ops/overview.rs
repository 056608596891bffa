//! The dashboard's JSON views of this instance: the overview (readiness,
//! the saga consumer, orders in progress and stuck, the throughput history,
//! how admin routes are protected, dashboard streams), the actor tree with
//! the worker pool, and the per-second snapshot `/api/stream` sends (both).
//! Built from in-memory handles; the consumer's health is asked of its
//! actor, and when that fails the `consumer` field holds `{"error"}` while
//! the rest is still answered.

use actix::Addr;
use serde_json::{Value, json};

use super::OpsView;
use crate::actors::intake::IntakeActor;
use crate::bridge::{DeadLetterActor, GetConsumerHealth};
use crate::metrics::Metrics;
use crate::readiness::Readiness;

/// Seconds of throughput history in the overview.
const HISTORY_SECS: usize = 300;

/// What the views read, borrowed from the HTTP state.
#[derive(Debug, Clone, Copy)]
pub struct Sources<'a> {
    pub view: &'a OpsView,
    pub readiness: &'a Readiness,
    pub metrics: &'a Metrics,
    pub intake: &'a Addr<IntakeActor>,
    pub dead_letters: &'a Addr<DeadLetterActor>,
    /// Whether `ADMIN_TOKEN` is set.
    pub admin_token_set: bool,
}

/// The consumer's health; records its backlog in the gauges and the
/// throughput history on the way.
async fn consumer(s: &Sources<'_>) -> Value {
    match s.view.consumer.send(GetConsumerHealth).await {
        Ok(Ok(health)) => {
            s.metrics.consumer_pending.set(health.pending as i64);
            s.metrics.consumer_ack_pending.set(health.ack_pending as i64);
            s.metrics.throughput.observe_pending(health.pending);
            json!(health)
        }
        Ok(Err(e)) => json!({"error": e.to_string()}),
        Err(e) => json!({"error": e.to_string()}),
    }
}

/// `GET /api/overview`.
pub async fn overview_json(s: &Sources<'_>) -> Value {
    let failing = s.readiness.failing();
    let (view, stream) = (s.view, &s.view.stream);
    json!({
        "ready": failing.is_empty(),
        "failing": failing,
        "nats": {"connected": s.readiness.is_connected("nats")},
        "consumer": consumer(s).await,
        "orders": {
            "in_progress": view.tracker.in_progress(),
            "stuck_after_secs": view.stuck_after.as_secs(),
            "stuck": view.tracker.stuck(view.stuck_after),
        },
        "throughput": s.metrics.throughput.recent(HISTORY_SECS),
        "admin": admin_json(s.admin_token_set),
        "dashboard_streams": {
            "clients": stream.clients(),
            "max_clients": stream.max_clients(),
            "snapshots_built": stream.built(),
        },
    })
}

/// How admin routes are protected, so the dashboard can say when it is
/// only the loopback rule.
fn admin_json(token: bool) -> Value {
    json!({
        "token_set": token,
        "access": if token { "bearer token (ADMIN_TOKEN)" } else { "loopback clients only (no ADMIN_TOKEN)" },
    })
}

/// `GET /api/actors`.
pub fn actors_json(s: &Sources<'_>) -> Value {
    let pool = &s.view.pool;
    let (queued, in_flight) = pool.totals();
    let capacity = pool.size() * pool.mailbox_bound();
    let running = |up: bool| if up { "running" } else { "stopped" };
    json!({
        "root": "order-service",
        "system": [
            {"name": "intake", "kind": "IntakeActor", "status": running(s.intake.connected())},
            {"name": "consumer", "kind": "JetStreamConsumer", "status": running(s.view.consumer.connected())},
            {"name": "dead-letters", "kind": "DeadLetterActor", "status": running(s.dead_letters.connected())},
        ],
        "supervised": s.view.tree.snapshots(),
        "pool": {
            "workers": pool.view(),
            "size": pool.size(),
            "mailbox_bound": pool.mailbox_bound(),
            "queued": queued,
            "in_flight": in_flight,
            "capacity": capacity,
            "utilisation_percent": (in_flight.max(0) as usize * 100).checked_div(capacity).unwrap_or(0),
        },
        "order_actors": s.view.tracker.in_progress(),
        "fault_injection": s.view.fault_injection,
    })
}

/// One `/api/stream` snapshot: `{"overview", "actors"}`.
pub async fn snapshot_json(s: &Sources<'_>) -> Value {
    json!({"overview": overview_json(s).await, "actors": actors_json(s)})
}
