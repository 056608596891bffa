//! Stuck-order detection: this instance's view of the orders it has worked
//! on and not finished, with when each last progressed. An order that has
//! not progressed for `STUCK_ORDER_SECS` is reported (gauge
//! `order_service_stuck_orders` + one warning log per order), never
//! silently forgotten. Entries leave on a terminal status or when the order
//! is dead-lettered (then it is listed by `GET /dlq`).

use serde::Serialize;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::{OrderId, OrderStatus};

#[derive(Debug)]
struct Tracked {
    status: OrderStatus,
    since: Instant,
    reported: bool,
}

/// A stuck order as reported to operators.
#[derive(Debug, Clone, Serialize)]
pub struct StuckOrder {
    pub order_id: String,
    pub status: OrderStatus,
    pub stuck_for_secs: u64,
}

#[derive(Debug, Default)]
pub struct OrderTracker {
    orders: Mutex<HashMap<OrderId, Tracked>>,
}

impl OrderTracker {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<OrderId, Tracked>> {
        self.orders.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The order is at `status` now (a change of status is progress).
    pub fn progress(&self, order_id: &OrderId, status: OrderStatus) {
        if status.is_terminal() {
            return self.finished(order_id);
        }
        let mut orders = self.lock();
        let entry =
            orders.entry(order_id.clone()).or_insert(Tracked { status, since: Instant::now(), reported: false });
        if entry.status != status {
            *entry = Tracked { status, since: Instant::now(), reported: false };
        }
    }

    pub fn finished(&self, order_id: &OrderId) {
        self.lock().remove(order_id);
    }

    pub fn in_progress(&self) -> usize {
        self.lock().len()
    }

    /// Orders without progress for `threshold`; logs each once.
    pub fn stuck(&self, threshold: Duration) -> Vec<StuckOrder> {
        let now = Instant::now();
        let mut out = Vec::new();
        for (id, t) in self.lock().iter_mut().filter(|(_, t)| now.duration_since(t.since) >= threshold) {
            let stuck_for_secs = now.duration_since(t.since).as_secs();
            if !t.reported {
                tracing::warn!(order_id = %id, status = %t.status, stuck_for_secs, "order has not progressed");
                t.reported = true;
            }
            out.push(StuckOrder { order_id: id.to_string(), status: t.status, stuck_for_secs });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_without_progress_is_reported_and_a_finished_one_is_not() {
        let tracker = OrderTracker::default();
        let (a, b) = (OrderId::generate(), OrderId::generate());
        tracker.progress(&a, OrderStatus::StockReserved);
        tracker.progress(&b, OrderStatus::Pending);
        tracker.progress(&b, OrderStatus::Completed);
        let stuck = tracker.stuck(Duration::ZERO);
        assert_eq!(stuck.len(), 1);
        assert_eq!(stuck[0].order_id, a.to_string());
    }

    #[test]
    fn progress_resets_the_clock() {
        let tracker = OrderTracker::default();
        let a = OrderId::generate();
        tracker.progress(&a, OrderStatus::Pending);
        tracker.progress(&a, OrderStatus::StockReserved);
        assert!(tracker.stuck(Duration::from_secs(60)).is_empty());
    }
}
