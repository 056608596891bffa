//! `StockStore`: read-modify-CAS on SKU records with a revision cache.
//!
//! The cache remembers the last record and revision this actor wrote or
//! read, so the common case (this instance is the only writer of a SKU) is
//! one KV write per change instead of a read and a write. The cache is only
//! a guess: a write with a stale revision fails the CAS and the record is
//! re-read, and a decision *not* to write (insufficient stock, nothing to
//! do) is only trusted after a fresh read.
//!
//! Changes to one SKU take turns within the process (FIFO): concurrent
//! changes of one record would race each other's CAS, all but one fail,
//! re-read and race again. Under load that fed on itself: slower round
//! trips meant more changes in flight per SKU, more conflicts, more round
//! trips, until changes ran out of attempts and orders were retried (seen
//! as 71–599 redeliveries in 1 of ~10 runs of the 50,000-order memory
//! benchmark). Other replicas still race through CAS, as before.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard};

use super::InventoryError;
use crate::bridge::{BridgeError, JsonKv, Versioned};
use crate::domain::{StockChange, StockRecord};

/// CAS attempts before reporting contention as a transient error.
const MAX_CAS_ATTEMPTS: usize = 64;

#[derive(Debug, Clone)]
pub(super) struct StockStore {
    kv: JsonKv<StockRecord>,
    cache: Rc<RefCell<HashMap<String, Versioned<StockRecord>>>>,
    /// A lock per SKU with a change in progress (removed when none waits).
    turns: Turns,
}

type Turns = Rc<RefCell<HashMap<String, Arc<Mutex<()>>>>>;

/// This change's turn on a SKU; the SKU's lock leaves the map when the last
/// holder or waiter is done.
struct Turn {
    turns: Turns,
    sku: String,
    lock: Arc<Mutex<()>>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Turn {
    async fn take(turns: &Turns, sku: &str) -> Self {
        let sku = sku.to_string();
        let existing = turns.borrow().get(&sku).cloned();
        let lock = existing.unwrap_or_else(|| {
            let lock = Arc::default();
            turns.borrow_mut().insert(sku.clone(), Arc::clone(&lock));
            lock
        });
        let mut turn = Self { turns: turns.clone(), sku, lock, guard: None };
        turn.guard = Some(turn.lock.clone().lock_owned().await);
        turn
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.guard.take();
        // Ours and the map's: nobody else holds or waits for this SKU.
        if Arc::strong_count(&self.lock) == 2 {
            self.turns.borrow_mut().remove(&self.sku);
        }
    }
}

impl StockStore {
    pub(super) fn new(kv: JsonKv<StockRecord>) -> Self {
        Self { kv, cache: Rc::default(), turns: Rc::default() }
    }

    /// Reads `sku` from KV (and refreshes the cache).
    pub(super) async fn read(&self, sku: &str) -> Result<Option<Versioned<StockRecord>>, InventoryError> {
        let fresh = self.kv.get(sku).await?;
        match &fresh {
            Some(v) => self.cache.borrow_mut().insert(sku.to_string(), v.clone()),
            None => self.cache.borrow_mut().remove(sku),
        };
        Ok(fresh)
    }

    fn cached(&self, sku: &str) -> Option<Versioned<StockRecord>> {
        self.cache.borrow().get(sku).cloned()
    }

    /// Applies `change` to `sku`'s record with compare-and-set, retrying on
    /// conflicts. No record = never stocked (zero available).
    pub(super) async fn modify(
        &self,
        sku: &str,
        mut change: impl FnMut(&mut StockRecord) -> StockChange,
    ) -> Result<(StockChange, StockRecord), InventoryError> {
        let _turn = Turn::take(&self.turns, sku).await;
        let mut from_cache = self.cached(sku);
        for _ in 0..MAX_CAS_ATTEMPTS {
            let trusted = from_cache.is_none();
            let current = match from_cache.take() {
                Some(cached) => Some(cached),
                None => self.read(sku).await?,
            };
            let (mut record, revision) = match current {
                Some(Versioned { value, revision }) => (value, Some(revision)),
                None => (StockRecord::default(), None),
            };
            let outcome = change(&mut record);
            if outcome != StockChange::Applied {
                if trusted {
                    return Ok((outcome, record));
                }
                continue; // re-decide on a fresh read
            }
            let written = match revision {
                Some(rev) => self.kv.update(sku, &record, rev).await,
                None => self.kv.create(sku, &record).await,
            };
            match written {
                Ok(revision) => {
                    self.cache.borrow_mut().insert(sku.to_string(), Versioned { value: record.clone(), revision });
                    return Ok((outcome, record));
                }
                Err(BridgeError::Conflict { .. } | BridgeError::AlreadyExists { .. }) => continue,
                Err(e) => {
                    self.cache.borrow_mut().remove(sku);
                    return Err(e.into());
                }
            }
        }
        Err(InventoryError::Unavailable(format!("too much contention on {sku}")))
    }
}
