//! In-progress acks for the deliveries of one worker's running orders: one
//! timer per worker, not one per order (thousands of orders can wait on a
//! slow provider at once, and each timer is a few hundred bytes).
//!
//! A worker and the order actors it starts share one arbiter thread, so the
//! registry is single-threaded (`Rc`, `RefCell`). An order registers its
//! delivery when its run starts; dropping the [`Registration`] (when the
//! run settles, or if the actor is dropped) removes it. A failed in-progress
//! ack is only logged: JetStream then redelivers after `ack_wait`, and the
//! saga is idempotent.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use crate::bridge::HeldDelivery;

/// The deliveries of one worker's orders that are still running.
#[derive(Debug, Default)]
pub struct KeepAlive {
    held: RefCell<HashMap<u64, Weak<HeldDelivery>>>,
    next: Cell<u64>,
}

/// Keeps a delivery in its worker's [`KeepAlive`] until dropped.
#[derive(Debug)]
pub struct Registration {
    keep_alive: Rc<KeepAlive>,
    id: u64,
}

impl KeepAlive {
    /// Acknowledge `delivery` as in progress on every tick until the
    /// returned registration is dropped.
    pub fn register(self: &Rc<Self>, delivery: &Rc<HeldDelivery>) -> Registration {
        let id = self.next.get();
        self.next.set(id.wrapping_add(1));
        self.held.borrow_mut().insert(id, Rc::downgrade(delivery));
        Registration { keep_alive: self.clone(), id }
    }

    /// Sends an in-progress ack for every registered delivery (in a task of
    /// its own, on the current arbiter).
    pub fn tick(&self) {
        let due: Vec<Rc<HeldDelivery>> = self.held.borrow().values().filter_map(Weak::upgrade).collect();
        if due.is_empty() {
            return;
        }
        actix::spawn(async move {
            for delivery in due {
                if let Err(e) = delivery.in_progress().await {
                    tracing::debug!(error = %e, "in-progress ack failed");
                }
            }
        });
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.keep_alive.held.borrow_mut().remove(&self.id);
    }
}
