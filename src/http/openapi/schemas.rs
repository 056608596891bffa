//! Schemas of the bodies that handlers build with `json!` rather than from a
//! type (health, readiness, the operator API), and the `Idempotency-Key`
//! header. These types are descriptions only: never built, only their
//! derived schemas are used. The fuzz run (`make fuzz-api`) checks every
//! answer against them, so a body that drifts from its schema fails CI.
#![allow(dead_code)]

use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::bridge::DeadLetterView;
use crate::domain::{FailureReason, OrderStatus};

/// `GET /health`: always `ok` while the process serves HTTP.
#[derive(Debug, ToSchema)]
pub(in crate::http) struct Health {
    #[schema(pattern = "^ok$")]
    status: String,
}

/// `GET /ready`: `ready`, or `not_ready` with the failing checks.
#[derive(Debug, ToSchema)]
pub(in crate::http) struct Readiness {
    #[schema(pattern = "^(ready|not_ready)$")]
    status: String,
    /// `failing: <checks>` (only when not ready).
    reason: Option<String>,
    /// Failing checks: `nats`, `inventory`, `payment`, `consumer`, `streams`,
    /// `supervision`, `draining` (only when not ready).
    failing: Option<Vec<String>>,
}

/// `GET /dlq`: the newest dead letters first.
#[derive(Debug, ToSchema)]
pub(in crate::http) struct DeadLetterList {
    dead_letters: Vec<DeadLetterView>,
}

/// `GET /api/overview`: readiness, NATS, consumer, orders and throughput of
/// this instance (in memory).
#[derive(Debug, ToSchema)]
pub(in crate::http) struct Overview {
    ready: bool,
    failing: Vec<String>,
    nats: Value,
    consumer: Value,
    orders: Value,
    /// Per second, last 300 s: accepted, completed, failed, `p50_ms`,
    /// `p99_ms`, `in_flight`, `consumer_pending` (null when not read).
    throughput: Vec<Value>,
    /// `token_set` and how admin routes are protected (`access`).
    admin: Value,
    /// `/api/stream`: `clients`, `max_clients`, `snapshots_built`.
    dashboard_streams: Value,
}

/// `GET /api/actors`: the actor tree, the worker pool and its utilisation.
#[derive(Debug, ToSchema)]
pub(in crate::http) struct ActorTree {
    root: String,
    system: Vec<Value>,
    supervised: Vec<Value>,
    pool: Value,
    order_actors: u64,
}

/// `GET /api/orders/{id}/timeline`: the stored order record (without the
/// payment token), its events with stream sequences, the payment record and
/// a link into the trace UI.
#[derive(Debug, ToSchema)]
pub(in crate::http) struct Timeline {
    order: Value,
    events: Vec<Value>,
    payment: Option<Value>,
    trace_url: Option<String>,
}

/// `POST /api/actors/{name}/crash`: whether the actor panicked.
#[derive(Debug, ToSchema)]
pub(in crate::http) struct CrashResult {
    actor: String,
    crashed: bool,
}

/// The optional `Idempotency-Key` request header.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub(in crate::http) struct IdempotencyKey {
    /// 1-255 visible ASCII characters (surrounding blanks are trimmed). A
    /// repeat with the same body returns the same order (200); with another
    /// body it is refused (422 `idempotency_key_reused`). Kept as long as the order record.
    #[param(rename = "Idempotency-Key", nullable = false, min_length = 1, max_length = 255, pattern = "^[!-~]+$")]
    key: Option<String>,
}

/// The `{sku}` path segment.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path)]
pub(in crate::http) struct SkuPath {
    /// Dot-separated parts of `A-Z a-z 0-9 _ -`, 1-64 characters in all;
    /// anything else is 422 `invalid_sku`.
    #[param(min_length = 1, max_length = 64)]
    sku: String,
}

/// `GET /api/orders`: one page of the order list and what the query read.
#[derive(Debug, ToSchema)]
pub(in crate::http) struct OrderList {
    orders: Vec<Value>,
    /// Pass as `cursor` for the next page; null on the last one.
    next_cursor: Option<String>,
    matched: u64,
    by_status: Value,
    by_reason: Value,
    window: Value,
    scanned: u64,
}

/// The filters of `GET /api/orders`; any other parameter is 400.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub(in crate::http) struct OrderListQuery {
    /// Statuses to list (repeat the parameter, or separate with commas).
    status: Option<Vec<OrderStatus>>,
    /// Only `FAILED` orders with this reason.
    reason: Option<FailureReason>,
    customer_id: Option<String>,
    /// Created at or after (RFC 3339); default `until` minus one hour.
    #[param(format = DateTime)]
    since: Option<String>,
    /// Created at or before (RFC 3339); default now.
    #[param(format = DateTime)]
    until: Option<String>,
    /// Page size: 50 when absent.
    #[param(minimum = 1, maximum = 500)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^-?[0-9]+_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    cursor: Option<String>,
}
