//! Lanes of the group commit: per SKU, the changes waiting for the next
//! write, the confirmations waiting to ride on it, and whether a writer is
//! running. Single-threaded (the inventory actor's arbiter), so taking a
//! batch and handing the lane back never race.
//!
//! A writer that panics (a bug in a change) frees its lane on the way out
//! and drops the waiting changes: their callers see the write abandoned (a
//! transient error) instead of waiting forever.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use tokio::sync::oneshot;

use super::InventoryError;
use super::store::Answer;
use crate::domain::{StockChange, StockLevels, StockRecord, StockStep};

/// A change of one record; called again if the batch is decided again.
pub(super) type ChangeFn = Box<dyn FnMut(&mut StockRecord) -> StockChange>;

/// A confirmation: drop this order's journal entry of this step.
pub(super) type Confirmation = (String, StockStep);

/// A change waiting for its SKU's next write.
pub(super) struct Waiting {
    pub(super) change: ChangeFn,
    pub(super) reply: oneshot::Sender<Answer>,
}

#[derive(Default)]
struct Lane {
    queue: Vec<Waiting>,
    confirms: Vec<Confirmation>,
    /// A writer is running.
    writing: bool,
    /// A delayed flush of the confirmations is scheduled.
    flush_scheduled: bool,
    /// Write the confirmations even if no change applies.
    flush_due: bool,
}

#[derive(Clone, Default)]
pub(super) struct Lanes(Rc<RefCell<HashMap<String, Lane>>>);

impl std::fmt::Debug for Lanes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes").field("busy", &self.0.borrow().len()).finish()
    }
}

impl Lanes {
    /// Queues `waiting`; true if the caller must start the lane's writer.
    pub(super) fn enqueue(&self, sku: &str, waiting: Waiting) -> bool {
        let mut lanes = self.0.borrow_mut();
        let lane = lanes.entry(sku.to_string()).or_default();
        lane.queue.push(waiting);
        !std::mem::replace(&mut lane.writing, true)
    }

    /// Queues a confirmation; true if the caller must schedule a flush.
    pub(super) fn confirm(&self, sku: &str, order_id: String, step: StockStep) -> bool {
        let mut lanes = self.0.borrow_mut();
        let lane = lanes.entry(sku.to_string()).or_default();
        lane.confirms.push((order_id, step));
        !std::mem::replace(&mut lane.flush_scheduled, true)
    }

    /// A scheduled flush is due; true if the caller must start the writer.
    pub(super) fn flush(&self, sku: &str) -> bool {
        let mut lanes = self.0.borrow_mut();
        let Some(lane) = lanes.get_mut(sku) else { return false };
        lane.flush_scheduled = false;
        if lane.confirms.is_empty() {
            if !lane.writing && lane.queue.is_empty() {
                lanes.remove(sku);
            }
            return false;
        }
        lane.flush_due = true;
        !std::mem::replace(&mut lane.writing, true)
    }

    /// The writer's hold on `sku`'s lane (started by `enqueue` or `flush`).
    pub(super) fn writing(&self, sku: &str) -> Writing {
        Writing { lanes: self.clone(), sku: sku.to_string() }
    }
}

/// A running writer's hold on its lane; dropping it frees the lane.
pub(super) struct Writing {
    lanes: Lanes,
    sku: String,
}

impl Writing {
    /// Everything queued, or `None` when there is nothing left to write.
    pub(super) fn next(&mut self) -> Option<Batch> {
        let mut lanes = self.lanes.0.borrow_mut();
        let lane = lanes.get_mut(&self.sku)?;
        if lane.queue.is_empty() && !lane.flush_due {
            return None;
        }
        let force = std::mem::take(&mut lane.flush_due);
        Some(Batch { waiting: std::mem::take(&mut lane.queue), confirms: std::mem::take(&mut lane.confirms), force })
    }

    /// Confirmations a batch did not write wait for the next one.
    pub(super) fn requeue(&mut self, confirms: Vec<Confirmation>) {
        if let Some(lane) = self.lanes.0.borrow_mut().get_mut(&self.sku) {
            lane.confirms.extend(confirms);
        }
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        let Ok(mut lanes) = self.lanes.0.try_borrow_mut() else { return };
        let Some(lane) = lanes.get_mut(&self.sku) else { return };
        lane.writing = false;
        if std::thread::panicking() {
            lane.queue.clear();
        }
        if lane.queue.is_empty() && lane.confirms.is_empty() && !lane.flush_scheduled {
            lanes.remove(&self.sku);
        }
    }
}

/// One group commit: the changes in arrival order and the confirmations.
pub(super) struct Batch {
    waiting: Vec<Waiting>,
    confirms: Vec<Confirmation>,
    force: bool,
}

/// Each change's outcome on one copy of the record.
pub(super) struct Outcomes {
    changes: Vec<StockChange>,
    /// The record changed and must be written.
    pub(super) write: bool,
}

impl Batch {
    /// Applies every change, then the confirmations, to `record`.
    pub(super) fn apply(&mut self, record: &mut StockRecord) -> Outcomes {
        let changes: Vec<StockChange> = self.waiting.iter_mut().map(|w| (w.change)(record)).collect();
        let confirmed =
            self.confirms.iter().filter(|(id, step)| record.confirm(id, *step) == StockChange::Applied).count();
        let write = changes.contains(&StockChange::Applied) || (self.force && confirmed > 0);
        Outcomes { changes, write }
    }

    /// Answers each change with its outcome and the record's `levels`;
    /// returns the confirmations that were not written.
    pub(super) fn answer(self, outcomes: Outcomes, levels: StockLevels) -> Vec<Confirmation> {
        for (waiting, outcome) in self.waiting.into_iter().zip(outcomes.changes) {
            let _ = waiting.reply.send(Ok((outcome, levels)));
        }
        match outcomes.write || self.force {
            true => Vec::new(),
            false => self.confirms,
        }
    }

    /// Fails every change with `error`; returns the confirmations.
    pub(super) fn fail(self, error: InventoryError) -> Vec<Confirmation> {
        for waiting in self.waiting {
            let _ = waiting.reply.send(Err(error.clone()));
        }
        self.confirms
    }
}
