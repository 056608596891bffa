//! Sweep of leftover journal entries.
//!
//! The saga confirms a journal entry once the order record shows its step
//! (`domain::stock`), and the confirmation is fire and forget: an instance
//! that crashes between the order write and the stock write that carries
//! the confirmation leaves the entry behind. It costs bytes in every later
//! write of the SKU, never stock.
//!
//! After a SKU's write, at most once per [`SWEEP_EVERY_SECS`] per SKU, the
//! entries older than [`LEFTOVER_AGE_SECS`] (a live saga confirms within
//! milliseconds) are checked against their order records: an entry whose
//! order record shows its step is confirmed, exactly as the saga would have
//! done. An order that does not show it (still at the step, dead-lettered,
//! or gone) keeps its entry. A failed read only postpones the check to the
//! next sweep.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::bridge::JsonKv;
use crate::domain::{Order, StockRecord, StockStep};

/// An entry this old was not confirmed by a live saga.
pub(super) const LEFTOVER_AGE_SECS: i64 = 60;

/// How often one SKU's journal is swept.
pub(super) const SWEEP_EVERY_SECS: i64 = 60;

/// Order records read per sweep of one SKU.
const MAX_CHECKS: usize = 64;

/// Which SKUs were swept when, and the order records to check against.
#[derive(Debug)]
pub(super) struct Sweeper {
    orders: JsonKv<Order>,
    swept_at: RefCell<HashMap<String, i64>>,
}

impl Sweeper {
    pub(super) fn new(orders: JsonKv<Order>) -> Self {
        Self { orders, swept_at: RefCell::default() }
    }

    /// The leftover entries of `record` to check, if `sku` is due a sweep
    /// at `now` (Unix seconds); marks it swept.
    pub(super) fn due(&self, sku: &str, record: &StockRecord, now: i64) -> Vec<(String, StockStep)> {
        let mut swept_at = self.swept_at.borrow_mut();
        if swept_at.get(sku).is_some_and(|at| now - at < SWEEP_EVERY_SECS) {
            return Vec::new();
        }
        swept_at.insert(sku.to_string(), now);
        record.entries_before(now - LEFTOVER_AGE_SECS, MAX_CHECKS)
    }

    /// Whether `order_id`'s record shows `step` (its entry may go).
    pub(super) async fn shows(&self, order_id: &str, step: StockStep) -> bool {
        match self.orders.get(order_id).await {
            Ok(order) => order.and_then(|o| o.value.stock_step_shown()) == Some(step),
            Err(e) => {
                tracing::debug!(order_id, error = %e, "leftover journal entry not checked; next sweep");
                false
            }
        }
    }
}
