//! The order list's parameters and answer: the [`OrderQuery`] from
//! `GET /api/orders`'s URL — `status` (repeatable or comma-separated),
//! `reason`, `customer_id`, `since`/`until` (RFC 3339, created time;
//! default the last hour), `limit` (1–500, default 50) and `cursor` (from
//! `next_cursor`) — and the page as JSON with its window and the records
//! read. A malformed parameter is a [`BadQuery`] naming it. The read
//! itself (bounded by `ORDER_QUERY_MAX_RECORDS` and
//! [`ORDER_QUERY_DEADLINE`]) is the intake actor's `ListOrders`.

use actix_web::web;
use serde_json::{Value, json};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Cursor, OrderPage, OrderQuery};
use crate::domain::{FailureReason, OrderStatus};

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

/// A parameter of the order list that is not one it understands.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadQuery(pub String);

fn status(text: &str) -> Result<OrderStatus, BadQuery> {
    STATUSES.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text)).ok_or_else(|| {
        let known: Vec<&str> = STATUSES.iter().map(|s| s.as_str()).collect();
        BadQuery(format!("unknown status {text:?}; one of {}", known.join(", ")))
    })
}

fn instant(name: &str, text: &str) -> Result<OffsetDateTime, BadQuery> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| BadQuery(format!("{name} must be an RFC 3339 time, got {text:?}")))
}

/// The query from the URL's parameters; `now` closes a window left open.
pub fn parse_query(raw: &str, now: OffsetDateTime) -> Result<OrderQuery, BadQuery> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(raw).map_err(|e| BadQuery(e.to_string()))?;
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
                query.reason = Some(reason.ok_or_else(|| BadQuery(format!("unknown failure reason {value:?}")))?);
            }
            "customer_id" => query.customer_id = Some(value),
            "since" => since = Some(instant("since", &value)?),
            "until" => until = Some(instant("until", &value)?),
            "limit" => {
                let limit = value.parse().ok().filter(|n| (1..=MAX_LIMIT).contains(n));
                query.limit =
                    limit.ok_or_else(|| BadQuery(format!("limit must be 1 to {MAX_LIMIT}, got {value:?}")))?;
            }
            "cursor" => {
                query.cursor =
                    Some(Cursor::parse(&value).ok_or_else(|| BadQuery("cursor is not one this API returned".into()))?)
            }
            other => return Err(BadQuery(format!("unknown query parameter {other:?}"))),
        }
    }
    query.until = until.unwrap_or(now);
    query.since = since.unwrap_or(query.until - DEFAULT_WINDOW);
    if query.since > query.until {
        return Err(BadQuery("since is after until".into()));
    }
    Ok(query)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// A page and how many records were read to build it.
#[derive(Debug, Clone)]
pub struct Listing {
    pub page: OrderPage,
    pub scanned: u64,
}

impl Listing {
    /// The `GET /api/orders` body: the page, the `query`'s window and the
    /// records read.
    pub fn to_json(&self, query_window: (OffsetDateTime, OffsetDateTime)) -> Value {
        let (since, until) = query_window;
        let mut body = json!(self.page);
        body["window"] = json!({"since": rfc3339(since), "until": rfc3339(until)});
        body["scanned"] = json!(self.scanned);
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> OffsetDateTime {
        instant("now", "2026-12-06T05:00:00Z").expect("time")
    }

    #[test]
    fn statuses_may_repeat_or_be_comma_separated_and_the_window_defaults_to_the_last_hour() {
        let q = parse_query("status=failed,COMPLETED&status=PENDING&reason=out_of_stock", now()).expect("valid");
        assert_eq!(q.statuses, vec![OrderStatus::Failed, OrderStatus::Completed, OrderStatus::Pending]);
        assert_eq!(q.reason, Some(FailureReason::OutOfStock));
        assert_eq!((q.since, q.until, q.limit), (now() - DEFAULT_WINDOW, now(), DEFAULT_LIMIT));
    }

    #[test]
    fn malformed_parameters_are_refused() {
        for raw in ["status=LOST", "reason=BORED", "since=yesterday", "limit=0", "limit=501", "cursor=abc", "x=1"] {
            assert!(matches!(parse_query(raw, now()), Err(BadQuery(_))), "{raw}");
        }
        let backwards = "since=2026-12-06T05:00:00Z&until=2026-12-06T04:00:00Z";
        assert!(parse_query(backwards, now()).is_err(), "since after until");
    }
}
