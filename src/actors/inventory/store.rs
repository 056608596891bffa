//! `StockStore`: read-modify-CAS on SKU records with a revision cache.
//!
//! The cache remembers the last record and revision this actor wrote or
//! read, so the common case (this instance is the only writer of a SKU) is
//! one KV write per change instead of a read and a write. The cache is only
//! a guess: a write with a stale revision fails the CAS and the record is
//! re-read, and a decision *not* to write (insufficient stock, nothing to
//! do) is only trusted after a fresh read.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::InventoryError;
use crate::bridge::{BridgeError, JsonKv, Versioned};
use crate::domain::{StockChange, StockRecord};

/// CAS attempts before reporting contention as a transient error.
const MAX_CAS_ATTEMPTS: usize = 64;

#[derive(Debug, Clone)]
pub(super) struct StockStore {
    kv: JsonKv<StockRecord>,
    cache: Rc<RefCell<HashMap<String, Versioned<StockRecord>>>>,
}

impl StockStore {
    pub(super) fn new(kv: JsonKv<StockRecord>) -> Self {
        Self { kv, cache: Rc::default() }
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
