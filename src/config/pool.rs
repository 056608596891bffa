//! The `pool` section: how many worker actors drive sagas, on how many
//! threads, and the bound of every bounded mailbox.

use super::parse::Parser;
use crate::ops::PoolStats;

/// The worker pool's size and mailbox bound.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// `WORKER_POOL_SIZE`: worker actors in the pool.
    pub size: usize,
    /// `WORKER_THREADS`: arbiter threads for the pool; 0 (default) = the
    /// workers share the system arbiter's thread (fewer thread hops per
    /// order: same peak throughput, less CPU per order on 2 cores).
    pub threads: usize,
    /// `MAILBOX_CAPACITY`: bound of every bounded mailbox (workers, services);
    /// also how many orders one worker may hold in flight.
    pub mailbox_capacity: usize,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self { size: 10, threads: 0, mailbox_capacity: 64 }
    }
}

impl PoolSettings {
    pub(super) fn read(p: &mut Parser<'_>) -> Self {
        let d = Self::default();
        Self {
            size: p.bounded("WORKER_POOL_SIZE", d.size, 1, 1024),
            threads: p.bounded("WORKER_THREADS", d.threads, 0, 64),
            mailbox_capacity: p.bounded("MAILBOX_CAPACITY", d.mailbox_capacity, 1, 1 << 20),
        }
    }

    /// Most deliveries the whole pool holds at once.
    pub fn capacity(&self) -> usize {
        self.size * self.mailbox_capacity
    }

    /// The pool's shared counters, sized for this pool.
    pub fn stats(&self) -> PoolStats {
        PoolStats::new(self.size, self.mailbox_capacity)
    }
}
