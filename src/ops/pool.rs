//! Worker pool occupancy: per worker, messages waiting in its mailbox and
//! deliveries it is settling. Updated with relaxed atomics on the hot path.

use serde::Serialize;
use std::sync::atomic::{AtomicI64, Ordering};

#[derive(Debug, Default)]
struct WorkerStats {
    queued: AtomicI64,
    in_flight: AtomicI64,
}

/// Occupancy of every worker.
#[derive(Debug)]
pub struct PoolStats {
    workers: Vec<WorkerStats>,
    mailbox_bound: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkerStatsView {
    pub worker: usize,
    pub mailbox_depth: i64,
    pub mailbox_bound: usize,
    pub in_flight: i64,
}

impl PoolStats {
    pub fn new(size: usize, mailbox_bound: usize) -> Self {
        Self { workers: (0..size).map(|_| WorkerStats::default()).collect(), mailbox_bound }
    }

    fn at(&self, worker: usize) -> Option<&WorkerStats> {
        self.workers.get(worker)
    }

    /// A message was put in `worker`'s mailbox.
    pub fn enqueued(&self, worker: usize) {
        if let Some(w) = self.at(worker) {
            w.queued.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `worker` took a message out of its mailbox and started settling it.
    pub fn started(&self, worker: usize) {
        if let Some(w) = self.at(worker) {
            w.queued.fetch_sub(1, Ordering::Relaxed);
            w.in_flight.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `worker` settled a delivery.
    pub fn finished(&self, worker: usize) {
        if let Some(w) = self.at(worker) {
            w.in_flight.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub fn size(&self) -> usize {
        self.workers.len()
    }

    pub fn mailbox_bound(&self) -> usize {
        self.mailbox_bound
    }

    /// Total queued and in-flight messages.
    pub fn totals(&self) -> (i64, i64) {
        self.workers
            .iter()
            .fold((0, 0), |(q, f), w| (q + w.queued.load(Ordering::Relaxed), f + w.in_flight.load(Ordering::Relaxed)))
    }

    pub fn view(&self) -> Vec<WorkerStatsView> {
        self.workers
            .iter()
            .enumerate()
            .map(|(worker, w)| WorkerStatsView {
                worker,
                mailbox_depth: w.queued.load(Ordering::Relaxed),
                mailbox_bound: self.mailbox_bound,
                in_flight: w.in_flight.load(Ordering::Relaxed),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_moves_from_mailbox_to_in_flight_to_done() {
        let stats = PoolStats::new(2, 8);
        stats.enqueued(1);
        assert_eq!(stats.totals(), (1, 0));
        stats.started(1);
        assert_eq!(stats.totals(), (0, 1));
        stats.finished(1);
        assert_eq!(stats.totals(), (0, 0));
        assert_eq!(stats.view()[1].mailbox_bound, 8);
    }
}
