//! The operator's order list: which records match a query, in which order
//! (newest created first, order id breaking ties), one page at a time
//! behind an opaque cursor, plus counts of every match by status and
//! failure reason. Pure: records are offered one by one (from a bounded
//! scan) and at most `limit + 1` rows are held, whatever the window holds.

use serde::Serialize;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use time::OffsetDateTime;

use crate::domain::{FailureReason, Order, OrderId, OrderStatus};

/// Which orders, created in `[since, until]`, and which page of them.
#[derive(Debug, Clone)]
pub struct OrderQuery {
    /// Any of these statuses; empty = every status.
    pub statuses: Vec<OrderStatus>,
    pub reason: Option<FailureReason>,
    pub customer_id: Option<String>,
    pub since: OffsetDateTime,
    pub until: OffsetDateTime,
    pub limit: usize,
    /// Only rows after this one (older) in list order.
    pub cursor: Option<Cursor>,
}

/// A position in the list: the last row of the previous page.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor {
    created_nanos: i128,
    order_id: OrderId,
}

impl Cursor {
    /// `<created_at unix nanos>_<order id>`; `None` when it is not one.
    pub fn parse(text: &str) -> Option<Self> {
        let (nanos, id) = text.split_once('_')?;
        Some(Self { created_nanos: nanos.parse().ok()?, order_id: OrderId::parse(id)? })
    }

    fn of(order: &Order) -> Self {
        Self { created_nanos: order.created_at.unix_timestamp_nanos(), order_id: order.order_id.clone() }
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.created_nanos, self.order_id)
    }
}

/// One order in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderRow {
    pub order_id: OrderId,
    pub customer_id: String,
    pub status: OrderStatus,
    pub failure_reason: Option<FailureReason>,
    pub total_minor: i64,
    pub currency: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// Created → terminal, or created → now while the order runs.
    pub elapsed_ms: i64,
    /// Saga deliveries so far.
    pub deliveries: i64,
}

impl OrderRow {
    fn of(order: Order, now: OffsetDateTime) -> Self {
        let end = if order.status.is_terminal() { order.updated_at } else { now };
        let elapsed_ms = i64::try_from((end - order.created_at).whole_milliseconds()).unwrap_or(i64::MAX).max(0);
        Self {
            elapsed_ms,
            currency: order.currency.as_str().to_string(),
            order_id: order.order_id,
            customer_id: order.customer_id,
            status: order.status,
            failure_reason: order.failure_reason,
            total_minor: order.total_minor,
            created_at: order.created_at,
            updated_at: order.updated_at,
            deliveries: order.deliveries,
        }
    }
}

/// One page of the list and what the whole query matched.
#[derive(Debug, Clone, Serialize)]
pub struct OrderPage {
    pub orders: Vec<OrderRow>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Orders matching the query in the window (every page).
    pub matched: u64,
    pub by_status: BTreeMap<&'static str, u64>,
    /// Matches that failed, by failure reason.
    pub by_reason: BTreeMap<&'static str, u64>,
}

struct Entry(Cursor, OrderRow);

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.cmp(&other.0)
    }
}

/// Collects a page from records offered in any order.
#[derive(Debug)]
pub struct PageBuilder {
    query: OrderQuery,
    now: OffsetDateTime,
    /// The newest `limit + 1` rows before the cursor; smallest on top.
    newest: BinaryHeap<Reverse<Entry>>,
    matched: u64,
    by_status: BTreeMap<&'static str, u64>,
    by_reason: BTreeMap<&'static str, u64>,
}

impl std::fmt::Debug for Entry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.to_string())
    }
}

impl PageBuilder {
    pub fn new(query: OrderQuery, now: OffsetDateTime) -> Self {
        let (by_status, by_reason) = (BTreeMap::new(), BTreeMap::new());
        Self { query, now, newest: BinaryHeap::new(), matched: 0, by_status, by_reason }
    }

    fn matches(&self, order: &Order) -> bool {
        let q = &self.query;
        (q.since..=q.until).contains(&order.created_at)
            && (q.statuses.is_empty() || q.statuses.contains(&order.status))
            && q.reason.is_none_or(|r| order.failure_reason == Some(r))
            && q.customer_id.as_ref().is_none_or(|c| *c == order.customer_id)
    }

    /// Counts `order` if it matches and keeps it if it may be on the page.
    pub fn offer(&mut self, order: Order) {
        if !self.matches(&order) {
            return;
        }
        self.matched += 1;
        *self.by_status.entry(order.status.as_str()).or_default() += 1;
        if let Some(reason) = order.failure_reason {
            *self.by_reason.entry(reason.as_str()).or_default() += 1;
        }
        let key = Cursor::of(&order);
        if self.query.cursor.as_ref().is_some_and(|c| key >= *c) {
            return;
        }
        self.newest.push(Reverse(Entry(key, OrderRow::of(order, self.now))));
        if self.newest.len() > self.query.limit + 1 {
            self.newest.pop();
        }
    }

    /// The page, newest first; `next_cursor` when more rows follow.
    pub fn finish(self) -> OrderPage {
        // Ascending order of Reverse = descending order of the rows.
        let mut rows: Vec<Entry> = self.newest.into_sorted_vec().into_iter().map(|Reverse(e)| e).collect();
        let more = rows.len() > self.query.limit;
        rows.truncate(self.query.limit);
        let next_cursor = more.then(|| rows.last().map(|e| e.0.to_string())).flatten();
        let orders = rows.into_iter().map(|e| e.1).collect();
        OrderPage { orders, next_cursor, matched: self.matched, by_status: self.by_status, by_reason: self.by_reason }
    }
}

#[cfg(test)]
#[path = "order_query_tests.rs"]
mod tests;
