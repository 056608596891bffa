//! `StockStore`: group commit of changes to SKU records, with a revision
//! cache.
//!
//! Changes to one SKU queue in that SKU's lane. While a lane has work, one
//! task (its writer) takes everything queued, applies the changes in
//! arrival order to one copy of the record, each getting its own outcome
//! (applied, insufficient, superseded or already done), and writes the
//! record with one compare-and-set. Changes that arrive meanwhile form the
//! next batch. A hot SKU therefore costs one write per batch rather than one
//! per change, and within a process writes to one SKU never race each
//! other. Other replicas still race through CAS: a conflict re-reads the
//! record and decides the whole batch again on it, after a short random
//! pause so that two replicas do not collide in lockstep.
//!
//! Confirmations (see `domain::stock`) change no stock: they wait in the
//! lane and ride on its next write. With nothing else to write, the lane
//! writes them alone after [`CONFIRM_DELAY`]. Confirmations that were lost
//! are found by the sweep (`sweep`), which runs after a SKU's writes.
//!
//! The cache remembers the last record and revision this process wrote or
//! read, so the usual batch is one KV write and no read. It is only a
//! guess: a stale revision fails the CAS and the record is re-read, and a
//! batch that decides *not* to write is only trusted on a fresh read (a
//! batch that writes proves by its CAS that it decided on the current
//! record). A writer that fails (KV error, contention) fails its batch;
//! the callers' errors are transient.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use tokio::sync::oneshot;

use super::lane::{Batch, Confirmation, Lanes, Waiting};
use super::sweep::Sweeper;
use super::{InventoryError, InventoryErrorKind};
use crate::bridge::{BridgeErrorKind, JsonKv, Versioned};
use crate::domain::{Order, StockChange, StockLevels, StockRecord, StockStep};

/// CAS attempts per batch before reporting contention as a transient error.
const MAX_CAS_ATTEMPTS: usize = 64;

/// How long a confirmation waits for another change to ride on.
pub(super) const CONFIRM_DELAY: Duration = Duration::from_millis(500);

/// One change's answer: its outcome and the record's levels as written (or
/// read).
pub(super) type Answer = Result<(StockChange, StockLevels), InventoryError>;

#[derive(Debug, Clone)]
pub(super) struct StockStore {
    kv: JsonKv<StockRecord>,
    cache: Rc<RefCell<HashMap<String, Versioned<StockRecord>>>>,
    lanes: Lanes,
    sweeper: Rc<Sweeper>,
}

impl StockStore {
    /// Stock records in `kv`; leftover journal entries are checked against
    /// the order records in `orders`.
    pub(super) fn new(kv: JsonKv<StockRecord>, orders: JsonKv<Order>) -> Self {
        Self { kv, cache: Rc::default(), lanes: Lanes::default(), sweeper: Rc::new(Sweeper::new(orders)) }
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

    /// Applies `change` to `sku`'s record in the SKU's next group commit.
    /// No record = never stocked (zero available).
    pub(super) async fn modify(
        &self,
        sku: &str,
        change: impl FnMut(&mut StockRecord) -> StockChange + 'static,
    ) -> Answer {
        let (reply, answer) = oneshot::channel();
        if self.lanes.enqueue(sku, Waiting { change: Box::new(change), reply }) {
            actix::spawn(self.clone().write(sku.to_string()));
        }
        answer.await.map_err(|_| {
            InventoryError::with_source(InventoryErrorKind::Unavailable, format!("the write of {sku} was abandoned"))
        })?
    }

    /// Drops `order_id`'s journal entry of `step` from `sku` with the SKU's
    /// next write (at the latest after [`CONFIRM_DELAY`]). Fire and forget:
    /// a lost confirmation leaves an entry that costs bytes, not stock,
    /// until the sweep finds it.
    pub(super) fn confirm(&self, sku: &str, order_id: String, step: StockStep) {
        if self.lanes.confirm(sku, order_id, step) {
            let store = self.clone();
            let sku = sku.to_string();
            actix::spawn(async move {
                tokio::time::sleep(CONFIRM_DELAY).await;
                if store.lanes.flush(&sku) {
                    store.write(sku).await;
                }
            });
        }
    }

    /// The lane's writer: group commits until the lane is empty.
    async fn write(self, sku: String) {
        let mut writing = self.lanes.writing(&sku);
        while let Some(batch) = writing.next() {
            let rest = self.commit(&sku, batch).await;
            writing.requeue(rest);
        }
    }

    /// Decides and writes one batch; returns the confirmations left for later.
    async fn commit(&self, sku: &str, mut batch: Batch) -> Vec<Confirmation> {
        let mut from_cache = self.cache.borrow().get(sku).cloned();
        for attempt in 0..MAX_CAS_ATTEMPTS {
            let trusted = from_cache.is_none();
            let current = match from_cache.take() {
                Some(cached) => Some(cached),
                None => match self.read(sku).await {
                    Ok(fresh) => fresh,
                    Err(e) => return batch.fail(e),
                },
            };
            let (mut record, revision) = match current {
                Some(Versioned { value, revision }) => (value, Some(revision)),
                None => (StockRecord::default(), None),
            };
            let outcomes = batch.apply(&mut record);
            if !outcomes.write {
                if trusted {
                    return batch.answer(outcomes, record.levels());
                }
                continue; // re-decide on a fresh read
            }
            let written = match revision {
                Some(rev) => self.kv.update(sku, &record, rev).await,
                None => self.kv.create(sku, &record).await,
            };
            match written {
                Ok(revision) => {
                    let rest = batch.answer(outcomes, record.levels());
                    self.sweep(sku, &record);
                    self.cache.borrow_mut().insert(sku.to_string(), Versioned { value: record, revision });
                    return rest;
                }
                Err(e) if matches!(e.kind(), BridgeErrorKind::Conflict | BridgeErrorKind::AlreadyExists) => {
                    pause(attempt).await
                }
                Err(e) => {
                    self.cache.borrow_mut().remove(sku);
                    return batch.fail(e.into());
                }
            }
        }
        batch
            .fail(InventoryError::with_source(InventoryErrorKind::Unavailable, format!("too much contention on {sku}")))
    }

    /// Confirms the leftover journal entries of `record` whose orders show
    /// their step, if `sku` is due a sweep (see `sweep`). In the background.
    fn sweep(&self, sku: &str, record: &StockRecord) {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let due = self.sweeper.due(sku, record, now);
        if due.is_empty() {
            return;
        }
        let (store, sku) = (self.clone(), sku.to_string());
        actix::spawn(async move {
            let mut confirmed = 0;
            for (order_id, step) in due {
                if store.sweeper.shows(&order_id, step).await {
                    store.confirm(&sku, order_id, step);
                    confirmed += 1;
                }
            }
            if confirmed > 0 {
                tracing::info!(sku, confirmed, "leftover stock journal entries confirmed");
            }
        });
    }
}

/// After a lost CAS (another replica wrote the SKU): a random pause that
/// grows with the attempts, so replicas fall out of lockstep.
async fn pause(attempt: usize) {
    let ceiling = 1 + (attempt as u64).min(20);
    tokio::time::sleep(Duration::from_micros(rand::random_range(0..ceiling * 1000))).await;
}
