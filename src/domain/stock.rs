//! Stock of one SKU as stored in the `inventory` KV bucket.
//!
//! Holds are recorded per order inside the record, so reserving, committing
//! and releasing are each one compare-and-set write and are idempotent: a
//! replayed reserve finds its hold, a replayed release or commit finds none.
//!
//! Two runs of one order's saga can overlap (a paused instance resumes
//! after JetStream redelivered its message). Idempotency alone is not
//! enough then: a stale run could re-create a hold the newer run already
//! committed. Every change therefore names its [`Run`]: the revision of the
//! order record it acts on (a token that grows with every order write) and
//! whether the order is *contested* (a second run started). Contested runs
//! leave a [`Fence`] per order; a change from an older token is refused as
//! [`StockChange::Superseded`], and a reserve after the hold was settled is
//! always refused. Uncontested orders (the normal case) leave no fence, so
//! the record stays small; fences are pruned after [`FENCE_RETENTION_SECS`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a fence outlives its last change. A run older than half of
/// this never writes stock (see the inventory actor), so a pruned fence
/// cannot let a stale run through.
pub const FENCE_RETENTION_SECS: i64 = 600;

/// At most this many fences per record; the oldest settled ones go first.
const MAX_FENCES: usize = 5_000;

/// Stock of one SKU. `available` can be sold; `reserved` is the sum of holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRecord {
    pub available: u64,
    pub reserved: u64,
    /// order id → quantity held for it.
    #[serde(default)]
    pub holds: BTreeMap<String, u32>,
    /// order id → newest run of a contested order that touched this SKU.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fences: BTreeMap<String, Fence>,
}

/// The newest run of a contested order seen by this record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fence {
    /// Order record revision the run acted on.
    pub token: u64,
    /// Unix seconds of the last change (for pruning).
    pub at: i64,
    /// The hold was committed or released: never reserve again.
    #[serde(default)]
    pub settled: bool,
}

/// Who asks for a stock change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Revision of the order record the saga step is based on.
    pub token: u64,
    /// Another run of this order's saga may be running.
    pub contested: bool,
    /// Unix seconds now (fence timestamps and pruning).
    pub now: i64,
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
    /// A newer run of the order owns its stock: nothing changed.
    Superseded,
}

impl StockRecord {
    /// Holds `quantity` for `order_id` unless it already holds stock.
    pub fn reserve(&mut self, order_id: &str, quantity: u32, run: Run) -> StockChange {
        if self.fences.get(order_id).is_some_and(|f| f.settled || f.token > run.token) {
            return StockChange::Superseded;
        }
        if self.holds.contains_key(order_id) {
            return self.fence(order_id, run, false);
        }
        let wanted = u64::from(quantity);
        if self.available < wanted {
            return StockChange::Insufficient;
        }
        self.available -= wanted;
        self.reserved += wanted;
        self.holds.insert(order_id.to_string(), quantity);
        self.fence(order_id, run, false);
        StockChange::Applied
    }

    /// Undoes this run's reservation (another item was short); the order
    /// stays unsettled.
    pub fn unreserve(&mut self, order_id: &str, run: Run) -> StockChange {
        self.settle(order_id, run, true, false)
    }

    /// Turns the order's hold into a sale (stock leaves the building).
    pub fn commit(&mut self, order_id: &str, run: Run) -> StockChange {
        self.settle(order_id, run, false, true)
    }

    /// Returns the order's hold to `available`.
    pub fn release(&mut self, order_id: &str, run: Run) -> StockChange {
        self.settle(order_id, run, true, true)
    }

    /// Drops fences older than [`FENCE_RETENTION_SECS`] whose order holds
    /// nothing here, then the oldest settled ones beyond [`MAX_FENCES`].
    pub fn prune(&mut self, now: i64) {
        let holds = &self.holds;
        self.fences.retain(|id, f| holds.contains_key(id) || now - f.at < FENCE_RETENTION_SECS);
        if self.fences.len() > MAX_FENCES {
            let mut settled: Vec<(i64, String)> =
                self.fences.iter().filter(|(_, f)| f.settled).map(|(id, f)| (f.at, id.clone())).collect();
            settled.sort();
            let excess = self.fences.len() - MAX_FENCES;
            for (_, id) in settled.into_iter().take(excess) {
                self.fences.remove(&id);
            }
        }
    }

    fn settle(&mut self, order_id: &str, run: Run, restock: bool, settled: bool) -> StockChange {
        if self.fences.get(order_id).is_some_and(|f| f.token > run.token) {
            return StockChange::Superseded;
        }
        let fenced = self.fence(order_id, run, settled);
        match self.holds.remove(order_id) {
            Some(q) => {
                self.reserved = self.reserved.saturating_sub(u64::from(q));
                if restock {
                    self.available += u64::from(q);
                }
                StockChange::Applied
            }
            None => fenced,
        }
    }

    /// Records `run` as the newest run of a contested order; `Applied` if
    /// that changed the record.
    fn fence(&mut self, order_id: &str, run: Run, settled: bool) -> StockChange {
        if !run.contested {
            return StockChange::AlreadyDone;
        }
        let old = self.fences.get(order_id).copied();
        let new = Fence {
            token: old.map_or(run.token, |f| f.token.max(run.token)),
            at: run.now,
            settled: settled || old.is_some_and(|f| f.settled),
        };
        if old.is_some_and(|f| f.token == new.token && f.settled == new.settled) {
            return StockChange::AlreadyDone;
        }
        self.fences.insert(order_id.to_string(), new);
        StockChange::Applied
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stock(available: u64) -> StockRecord {
        StockRecord { available, ..Default::default() }
    }

    /// An uncontested run acting on order revision `token`.
    fn run(token: u64) -> Run {
        Run { token, contested: false, now: 1_000 }
    }

    fn contested(token: u64) -> Run {
        Run { contested: true, ..run(token) }
    }

    #[test]
    fn given_enough_stock_when_reserved_then_moved_to_reserved() {
        let mut s = stock(5);
        assert_eq!(s.reserve("o1", 3, run(1)), StockChange::Applied);
        assert_eq!((s.available, s.reserved), (2, 3));
        assert!(s.fences.is_empty(), "uncontested orders leave no fence");
    }

    #[test]
    fn given_a_hold_when_reserve_is_replayed_then_nothing_changes() {
        let mut s = stock(5);
        s.reserve("o1", 3, run(1));
        assert_eq!(s.reserve("o1", 3, run(1)), StockChange::AlreadyDone);
        assert_eq!((s.available, s.reserved), (2, 3));
    }

    #[test]
    fn given_short_stock_when_reserved_then_insufficient_and_unchanged() {
        let mut s = stock(2);
        assert_eq!(s.reserve("o1", 3, run(1)), StockChange::Insufficient);
        assert_eq!(s, stock(2));
    }

    #[test]
    fn given_a_hold_when_released_twice_then_stock_returns_once() {
        let mut s = stock(5);
        s.reserve("o1", 3, run(1));
        assert_eq!(s.release("o1", run(4)), StockChange::Applied);
        assert_eq!(s.release("o1", run(4)), StockChange::AlreadyDone);
        assert_eq!((s.available, s.reserved), (5, 0));
    }

    #[test]
    fn given_a_hold_when_committed_then_stock_is_sold() {
        let mut s = stock(5);
        s.reserve("o1", 3, run(1));
        assert_eq!(s.commit("o1", run(4)), StockChange::Applied);
        assert_eq!(s.commit("o1", run(4)), StockChange::AlreadyDone);
        assert_eq!((s.available, s.reserved), (2, 0));
    }

    #[test]
    fn given_a_contested_order_committed_when_a_stale_run_reserves_then_superseded_and_unchanged() {
        let mut s = stock(5);
        s.reserve("o1", 3, contested(2));
        s.commit("o1", contested(4));
        let before = s.clone();
        // The first run read the order at revision 1 and was paused.
        assert_eq!(s.reserve("o1", 3, run(1)), StockChange::Superseded);
        assert_eq!(s, before);
        assert_eq!((s.available, s.reserved), (2, 0));
    }

    #[test]
    fn given_a_contested_order_when_reserved_again_at_any_token_after_settling_then_superseded() {
        let mut s = stock(5);
        s.reserve("o1", 3, contested(2));
        s.release("o1", contested(4));
        assert_eq!(s.reserve("o1", 3, contested(9)), StockChange::Superseded);
        assert_eq!((s.available, s.reserved), (5, 0));
    }

    #[test]
    fn given_a_newer_run_adopted_the_hold_when_the_older_run_undoes_it_then_superseded_and_held() {
        let mut s = stock(5);
        s.reserve("o1", 3, run(1));
        assert_eq!(s.reserve("o1", 3, contested(2)), StockChange::Applied, "the newer run fences the hold");
        assert_eq!(s.unreserve("o1", run(1)), StockChange::Superseded);
        assert_eq!((s.available, s.reserved), (2, 3));
    }

    #[test]
    fn given_an_old_fence_without_hold_when_pruned_then_dropped_and_a_held_one_kept() {
        let mut s = stock(5);
        s.reserve("o1", 1, contested(2));
        s.commit("o1", contested(3));
        s.reserve("o2", 1, contested(2));
        s.prune(1_000 + FENCE_RETENTION_SECS);
        assert_eq!(s.fences.keys().collect::<Vec<_>>(), vec!["o2"]);
    }

    #[test]
    fn a_record_without_fences_reads_and_writes_the_old_format() {
        let old = r#"{"available":4,"reserved":1,"holds":{"o1":1}}"#;
        let s: StockRecord = serde_json::from_str(old).expect("old format");
        assert_eq!(serde_json::to_string(&s).expect("json"), old);
    }
}
