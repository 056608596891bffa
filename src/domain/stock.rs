//! Stock of one SKU as stored in the `inventory` KV bucket.
//!
//! Holds are recorded per order inside the record, so reserving, committing
//! and releasing are each one compare-and-set write and are idempotent: a
//! replayed reserve finds its hold, a replayed release or commit finds none.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Stock of one SKU. `available` can be sold; `reserved` is the sum of holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRecord {
    pub available: u64,
    pub reserved: u64,
    /// order id → quantity held for it.
    #[serde(default)]
    pub holds: BTreeMap<String, u32>,
}

/// What a stock operation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockChange {
    /// The record changed and must be written.
    Applied,
    /// Already done earlier (replay): nothing to write.
    AlreadyDone,
    /// Not enough available stock: nothing changed.
    Insufficient,
}

impl StockRecord {
    /// Holds `quantity` for `order_id` unless it already holds stock.
    pub fn reserve(&mut self, order_id: &str, quantity: u32) -> StockChange {
        if self.holds.contains_key(order_id) {
            return StockChange::AlreadyDone;
        }
        let wanted = u64::from(quantity);
        if self.available < wanted {
            return StockChange::Insufficient;
        }
        self.available -= wanted;
        self.reserved += wanted;
        self.holds.insert(order_id.to_string(), quantity);
        StockChange::Applied
    }

    /// Turns the order's hold into a sale (stock leaves the building).
    pub fn commit(&mut self, order_id: &str) -> StockChange {
        match self.holds.remove(order_id) {
            Some(q) => {
                self.reserved = self.reserved.saturating_sub(u64::from(q));
                StockChange::Applied
            }
            None => StockChange::AlreadyDone,
        }
    }

    /// Returns the order's hold to `available`.
    pub fn release(&mut self, order_id: &str) -> StockChange {
        match self.holds.remove(order_id) {
            Some(q) => {
                self.reserved = self.reserved.saturating_sub(u64::from(q));
                self.available += u64::from(q);
                StockChange::Applied
            }
            None => StockChange::AlreadyDone,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(available: u64) -> StockRecord {
        StockRecord { available, ..Default::default() }
    }

    #[test]
    fn given_enough_stock_when_reserved_then_moved_to_reserved() {
        let mut s = stock(5);
        assert_eq!(s.reserve("o1", 3), StockChange::Applied);
        assert_eq!((s.available, s.reserved), (2, 3));
    }

    #[test]
    fn given_a_hold_when_reserve_is_replayed_then_nothing_changes() {
        let mut s = stock(5);
        s.reserve("o1", 3);
        assert_eq!(s.reserve("o1", 3), StockChange::AlreadyDone);
        assert_eq!((s.available, s.reserved), (2, 3));
    }

    #[test]
    fn given_short_stock_when_reserved_then_insufficient_and_unchanged() {
        let mut s = stock(2);
        assert_eq!(s.reserve("o1", 3), StockChange::Insufficient);
        assert_eq!(s, stock(2));
    }

    #[test]
    fn given_a_hold_when_released_twice_then_stock_returns_once() {
        let mut s = stock(5);
        s.reserve("o1", 3);
        assert_eq!(s.release("o1"), StockChange::Applied);
        assert_eq!(s.release("o1"), StockChange::AlreadyDone);
        assert_eq!((s.available, s.reserved), (5, 0));
    }

    #[test]
    fn given_a_hold_when_committed_then_stock_is_sold() {
        let mut s = stock(5);
        s.reserve("o1", 3);
        assert_eq!(s.commit("o1"), StockChange::Applied);
        assert_eq!(s.commit("o1"), StockChange::AlreadyDone);
        assert_eq!((s.available, s.reserved), (2, 0));
    }
}
