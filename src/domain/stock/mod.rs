//! Stock of one SKU as stored in the `inventory` KV bucket.
//!
//! The record keeps counters (`available`, `reserved`), a short journal and
//! fences; it does not list the orders that hold stock. An order's hold is
//! shown by the order's own record: from `STOCK_RESERVED` until its stock
//! is committed or released. So the record's size, and the cost of every
//! write, does not grow with the orders in flight.
//!
//! **Journal.** A step of the saga writes twice: the stock change here, then
//! the order's new status. Between the two, a crash would leave a rerun
//! unable to tell whether the change was applied, so each change leaves a
//! [`JournalEntry`] under its order id (`reserved`, `committed`,
//! `released`). A replayed change finds its entry and is `AlreadyDone`.
//! Once the order record shows the step's outcome, the saga *confirms* the
//! entry and it is dropped; the confirmation changes no stock and rides on
//! the SKU's next write. A run only asks for a change while the order
//! record is at that step, so a change whose entry was confirmed away is
//! never asked again, except by a stale run, which the fences stop.
//!
//! **Fences.** Two runs of one order's saga can overlap (a paused instance
//! resumes after JetStream redelivered its message). Every change carries a
//! [`StockStamp`]: the revision of the order record its run acts on (a token
//! that grows with every order write) and whether the order is *contested*
//! (a second run started). Contested runs leave a [`Fence`] per order; a change from
//! an older token is refused as [`StockChange::Superseded`], and a reserve
//! after the hold was settled is always refused. Uncontested orders (the
//! normal case) leave no fence; fences are pruned after
//! [`FENCE_RETENTION_SECS`].

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// How long a fence outlives its last change. A run older than half of
/// this never writes stock (see the inventory actor), so a pruned fence
/// cannot let a stale run through.
pub const FENCE_RETENTION_SECS: i64 = 600;

/// At most this many fences per record; the oldest settled ones go first.
const MAX_FENCES: usize = 5_000;

/// Stock of one SKU. `available` can be sold; `reserved` is held by orders
/// that are not settled yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockRecord {
    pub available: u64,
    pub reserved: u64,
    /// order id → its last change here that its order record does not show yet.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub journal: BTreeMap<String, JournalEntry>,
    /// order id → newest run of a contested order that touched this SKU.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fences: BTreeMap<String, Fence>,
    /// List price in minor units; when set, orders must carry it as their
    /// unit price (checked at intake).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_minor: Option<i64>,
}

/// The counters and price of a record, without its journal and fences:
/// what a change's caller is told (cheap to copy however many orders are
/// in flight).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StockLevels {
    pub available: u64,
    pub reserved: u64,
    pub price_minor: Option<i64>,
}

/// Which step of an order changed this record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockStep {
    /// Stock was held for the order.
    Reserved,
    /// The hold was sold.
    Committed,
    /// The hold went back to `available`.
    Released,
}

/// A change not yet confirmed by the order record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub step: StockStep,
    pub quantity: u32,
    /// Unix seconds of the change (for operators: how old a leftover is).
    pub at: i64,
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

/// The stamp a stock change carries: which saga run asks for it, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockStamp {
    /// Revision of the order record the saga step is based on.
    pub token: u64,
    /// Another run of this order's saga may be running.
    pub contested: bool,
    /// Unix seconds now (journal and fence timestamps, pruning).
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
    pub fn levels(&self) -> StockLevels {
        StockLevels { available: self.available, reserved: self.reserved, price_minor: self.price_minor }
    }

    /// Holds `quantity` for `order_id` unless it already holds stock here.
    pub fn reserve(&mut self, order_id: &str, quantity: u32, stamp: StockStamp) -> StockChange {
        if self.fences.get(order_id).is_some_and(|f| f.settled || f.token > stamp.token) {
            return StockChange::Superseded;
        }
        match self.journal.get(order_id).map(|e| e.step) {
            Some(StockStep::Reserved) => return self.fence(order_id, stamp, false),
            Some(StockStep::Committed | StockStep::Released) => return StockChange::Superseded,
            None => {}
        }
        let wanted = u64::from(quantity);
        if self.available < wanted {
            return StockChange::Insufficient;
        }
        self.available -= wanted;
        self.reserved += wanted;
        self.log(order_id, StockStep::Reserved, quantity, stamp);
        self.fence(order_id, stamp, false);
        StockChange::Applied
    }

    /// Undoes this run's reservation (another item was short, or failed);
    /// the order stays unsettled and may reserve again.
    pub fn unreserve(&mut self, order_id: &str, stamp: StockStamp) -> StockChange {
        if self.fences.get(order_id).is_some_and(|f| f.token > stamp.token) {
            return StockChange::Superseded;
        }
        let fenced = self.fence(order_id, stamp, false);
        match self.journal.get(order_id).copied() {
            Some(JournalEntry { step: StockStep::Reserved, quantity, .. }) => {
                self.journal.remove(order_id);
                self.restock(u64::from(quantity));
                StockChange::Applied
            }
            _ => fenced,
        }
    }

    /// Turns the order's hold of `quantity` into a sale.
    pub fn commit(&mut self, order_id: &str, quantity: u32, stamp: StockStamp) -> StockChange {
        self.settle(order_id, quantity, stamp, StockStep::Committed)
    }

    /// Returns the order's hold of `quantity` to `available`.
    pub fn release(&mut self, order_id: &str, quantity: u32, stamp: StockStamp) -> StockChange {
        self.settle(order_id, quantity, stamp, StockStep::Released)
    }

    /// The order record shows the outcome of `step`: its journal entry is no
    /// longer needed. `Applied` if an entry was dropped.
    pub fn confirm(&mut self, order_id: &str, step: StockStep) -> StockChange {
        match self.journal.get(order_id) {
            Some(entry) if entry.step == step => {
                self.journal.remove(order_id);
                StockChange::Applied
            }
            _ => StockChange::AlreadyDone,
        }
    }

    /// Journal entries written at or before `at` (Unix seconds), oldest
    /// first, at most `limit`: confirmations that are late or were lost.
    pub fn entries_before(&self, at: i64, limit: usize) -> Vec<(String, StockStep)> {
        let mut old: Vec<(i64, &String, StockStep)> =
            self.journal.iter().filter(|(_, e)| e.at <= at).map(|(id, e)| (e.at, id, e.step)).collect();
        old.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        old.into_iter().take(limit).map(|(_, id, step)| (id.clone(), step)).collect()
    }

    /// Drops fences older than [`FENCE_RETENTION_SECS`] whose order has no
    /// journal entry here, then the oldest settled ones beyond [`MAX_FENCES`].
    pub fn prune(&mut self, now: i64) {
        let journal = &self.journal;
        self.fences.retain(|id, f| journal.contains_key(id) || now - f.at < FENCE_RETENTION_SECS);
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

    /// Settles the hold as `step` (committed or released). The caller's
    /// order record shows the hold (the order is past `STOCK_RESERVED`), so
    /// without a journal entry the hold is still there; an entry of the
    /// same step means this is a replay.
    fn settle(&mut self, order_id: &str, quantity: u32, stamp: StockStamp, step: StockStep) -> StockChange {
        if self.fences.get(order_id).is_some_and(|f| f.token > stamp.token) {
            return StockChange::Superseded;
        }
        let entry = self.journal.get(order_id).copied();
        match entry.map(|e| e.step) {
            Some(done) if done == step => return self.fence(order_id, stamp, true),
            Some(StockStep::Committed | StockStep::Released) => return StockChange::Superseded,
            // A contested order's hold was settled and its entry confirmed
            // away: a second run settling it again (both at the same order
            // revision) must not return or sell the stock twice.
            None if self.fences.get(order_id).is_some_and(|f| f.settled) => return StockChange::AlreadyDone,
            Some(StockStep::Reserved) | None => {}
        }
        let quantity = entry.map_or(quantity, |e| e.quantity);
        self.reserved = self.reserved.saturating_sub(u64::from(quantity));
        if step == StockStep::Released {
            self.available += u64::from(quantity);
        }
        self.log(order_id, step, quantity, stamp);
        self.fence(order_id, stamp, true);
        StockChange::Applied
    }

    fn restock(&mut self, quantity: u64) {
        self.reserved = self.reserved.saturating_sub(quantity);
        self.available += quantity;
    }

    fn log(&mut self, order_id: &str, step: StockStep, quantity: u32, stamp: StockStamp) {
        self.journal.insert(order_id.to_string(), JournalEntry { step, quantity, at: stamp.now });
    }

    /// Records `stamp` as the newest run of a contested order; `Applied` if
    /// that changed the record.
    fn fence(&mut self, order_id: &str, stamp: StockStamp, settled: bool) -> StockChange {
        if !stamp.contested {
            return StockChange::AlreadyDone;
        }
        let old = self.fences.get(order_id).copied();
        let new = Fence {
            token: old.map_or(stamp.token, |f| f.token.max(stamp.token)),
            at: stamp.now,
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
mod tests;
