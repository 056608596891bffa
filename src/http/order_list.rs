//! `GET /api/orders` (admin): the operator's order list, newest first.
//! Filters: `status` (repeatable or comma-separated), `reason`,
//! `customer_id`, `since`/`until` (RFC 3339, created time; default the last
//! hour), `limit` (1–500, default 50) and `cursor` (from `next_cursor`).
//!
//! Malformed parameters answer 400 `bad_request`. The read is bounded
//! (`ORDER_QUERY_MAX_RECORDS` records, [`ORDER_QUERY_DEADLINE`]): a window
//! whose records cannot be read within them answers 422
//! `window_too_wide`, asking for a narrower window.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{ApiError, AppState, openapi};
use crate::actors::intake::ListOrders;
use crate::bridge::ScanError;
use crate::domain::{FailureReason, OrderStatus};
use crate::ops::{Cursor, OrderQuery};

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 500;
const DEFAULT_WINDOW: time::Duration = time::Duration::hours(1);
/// Longest time one query reads (BENCHMARKS.md has the cost per record).
pub const ORDER_QUERY_DEADLINE: Duration = Duration::from_secs(3);

const STATUSES: [OrderStatus; 6] = [
    OrderStatus::Pending,
    OrderStatus::StockReserved,
    OrderStatus::PaymentCaptured,
    OrderStatus::Compensating,
    OrderStatus::Completed,
    OrderStatus::Failed,
];

fn bad(message: String) -> ApiError {
    ApiError::Malformed("bad_request", message)
}

fn status(text: &str) -> Result<OrderStatus, ApiError> {
    STATUSES.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text)).ok_or_else(|| {
        let known: Vec<&str> = STATUSES.iter().map(|s| s.as_str()).collect();
        bad(format!("unknown status {text:?}; one of {}", known.join(", ")))
    })
}

fn instant(name: &str, text: &str) -> Result<OffsetDateTime, ApiError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad(format!("{name} must be an RFC 3339 time, got {text:?}")))
}

/// The query from the URL's parameters; `now` closes a window left open.
fn parse(raw: &str, now: OffsetDateTime) -> Result<OrderQuery, ApiError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(raw).map_err(|e| bad(e.to_string()))?;
    let (mut since, mut until) = (None, None);
    let mut query = OrderQuery {
        statuses: Vec::new(),
        reason: None,
        customer_id: None,
        since: now,
        until: now,
        limit: DEFAULT_LIMIT,
        cursor: None,
    };
    for (key, value) in pairs.into_inner() {
        match key.as_str() {
            "status" => {
                for s in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                    query.statuses.push(status(s)?);
                }
            }
            "reason" => {
                let reason = FailureReason::parse(&value.to_ascii_uppercase());
                query.reason = Some(reason.ok_or_else(|| bad(format!("unknown failure reason {value:?}")))?);
            }
            "customer_id" => query.customer_id = Some(value),
            "since" => since = Some(instant("since", &value)?),
            "until" => until = Some(instant("until", &value)?),
            "limit" => {
                let limit = value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n));
                query.limit = limit.ok_or_else(|| bad(format!("limit must be 1 to {MAX_LIMIT}, got {value:?}")))?;
            }
            "cursor" => {
                query.cursor =
                    Some(Cursor::parse(&value).ok_or_else(|| bad("cursor is not one this API returned".into()))?)
            }
            other => return Err(bad(format!("unknown query parameter {other:?}"))),
        }
    }
    query.until = until.unwrap_or(now);
    query.since = since.unwrap_or(query.until - DEFAULT_WINDOW);
    if query.since > query.until {
        return Err(bad("since is after until".into()));
    }
    Ok(query)
}

fn scan_error(e: ScanError) -> ApiError {
    match e {
        ScanError::TooWide { .. } | ScanError::TimedOut(_) => {
            ApiError::Invalid("window_too_wide", format!("{e}; narrow the window (a later since)"))
        }
        ScanError::Bridge(e) => ApiError::from(e),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

#[utoipa::path(get, path = "/api/orders", operation_id = "list_orders", tag = "admin", security(("bearer" = [])),
    params(openapi::OrderListQuery),
    responses((status = 200, description = "One page of orders, newest first.", body = openapi::OrderList),
        openapi::OrderListErrors))]
pub(super) async fn list(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let query = parse(req.query_string(), OffsetDateTime::now_utc())?;
    let window = json!({"since": rfc3339(query.since), "until": rfc3339(query.until)});
    let listing = state.intake.send(ListOrders { query, limits: state.ops.order_query }).await?.map_err(scan_error)?;
    let mut body = json!(listing.page);
    body["window"] = window;
    body["scanned"] = json!(listing.scanned);
    Ok(HttpResponse::Ok().json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        instant("now", "2026-12-06T05:00:00Z").expect("time")
    }

    #[test]
    fn statuses_may_repeat_or_be_comma_separated_and_the_window_defaults_to_the_last_hour() {
        let q = parse("status=failed,COMPLETED&status=PENDING&reason=out_of_stock", now()).expect("valid");
        assert_eq!(q.statuses, vec![OrderStatus::Failed, OrderStatus::Completed, OrderStatus::Pending]);
        assert_eq!(q.reason, Some(FailureReason::OutOfStock));
        assert_eq!((q.since, q.until, q.limit), (now() - DEFAULT_WINDOW, now(), DEFAULT_LIMIT));
    }

    #[test]
    fn malformed_parameters_are_refused() {
        for raw in ["status=LOST", "reason=BORED", "since=yesterday", "limit=0", "limit=501", "cursor=abc", "x=1"] {
            assert!(matches!(parse(raw, now()), Err(ApiError::Malformed("bad_request", _))), "{raw}");
        }
        let backwards = "since=2026-12-06T05:00:00Z&until=2026-12-06T04:00:00Z";
        assert!(parse(backwards, now()).is_err(), "since after until");
    }
}
