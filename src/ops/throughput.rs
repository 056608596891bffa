//! Throughput, end-to-end latency, deliveries in flight and the saga
//! consumer's backlog per second over the last minutes, for the dashboard's
//! charts. A sampler task closes one [`Sample`] per second. The backlog is
//! known only in seconds when someone read the consumer's info (the
//! dashboard stream does, once a second); other seconds have none.

use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;

/// Seconds of history kept (10 minutes).
const HISTORY: usize = 600;

/// One second of activity.
#[derive(Debug, Clone, Serialize)]
pub struct Sample {
    /// Unix seconds at the end of the interval.
    pub t: i64,
    pub accepted: u64,
    pub completed: u64,
    pub failed: u64,
    /// End-to-end latency (created → terminal) percentiles, milliseconds.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Saga deliveries being settled by the worker pool at the tick.
    pub in_flight: i64,
    /// Saga messages not yet delivered (consumer pending), when observed.
    pub consumer_pending: Option<u64>,
}

/// No backlog observed in the current second.
const UNOBSERVED: u64 = u64::MAX;

#[derive(Debug)]
pub struct Throughput {
    accepted: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    pending: AtomicU64,
    latencies_ms: Mutex<Vec<f64>>,
    history: Mutex<VecDeque<Sample>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    // Hundredths of a millisecond are all a chart can show.
    sorted.get(rank.min(sorted.len() - 1)).map(|ms| (ms * 100.0).round() / 100.0)
}

impl Default for Throughput {
    fn default() -> Self {
        Self {
            accepted: AtomicU64::default(),
            completed: AtomicU64::default(),
            failed: AtomicU64::default(),
            pending: AtomicU64::new(UNOBSERVED),
            latencies_ms: Mutex::default(),
            history: Mutex::default(),
        }
    }
}

impl Throughput {
    pub fn accepted(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
    }

    /// An order finished; `latency_ms` from created to terminal.
    pub fn finished(&self, completed: bool, latency_ms: f64) {
        let counter = if completed { &self.completed } else { &self.failed };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut latencies = lock(&self.latencies_ms);
        // Bound memory under extreme load: a sample of 10k per second is plenty.
        if latencies.len() < 10_000 {
            latencies.push(latency_ms);
        }
    }

    /// The consumer's backlog as just read.
    pub fn observe_pending(&self, pending: u64) {
        self.pending.store(pending.min(UNOBSERVED - 1), Ordering::Relaxed);
    }

    /// Closes the current second (called by the sampler once per second)
    /// with the deliveries in flight now.
    pub fn tick(&self, in_flight: i64) {
        let mut latencies = std::mem::take(&mut *lock(&self.latencies_ms));
        latencies.sort_by(f64::total_cmp);
        let sample = Sample {
            t: OffsetDateTime::now_utc().unix_timestamp(),
            accepted: self.accepted.swap(0, Ordering::Relaxed),
            completed: self.completed.swap(0, Ordering::Relaxed),
            failed: self.failed.swap(0, Ordering::Relaxed),
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
            in_flight,
            consumer_pending: Some(self.pending.swap(UNOBSERVED, Ordering::Relaxed)).filter(|p| *p != UNOBSERVED),
        };
        let mut history = lock(&self.history);
        if history.len() == HISTORY {
            history.pop_front();
        }
        history.push_back(sample);
    }

    /// The last `seconds` samples, oldest first.
    pub fn recent(&self, seconds: usize) -> Vec<Sample> {
        let history = lock(&self.history);
        history.iter().skip(history.len().saturating_sub(seconds)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tick_closes_the_second_with_counts_and_percentiles() {
        let t = Throughput::default();
        t.accepted();
        t.accepted();
        for ms in [1.0, 2.0, 3.0, 100.014037] {
            t.finished(true, ms);
        }
        t.finished(false, 5.0);
        t.observe_pending(7);
        t.tick(3);
        let s = &t.recent(10)[0];
        assert_eq!((s.accepted, s.completed, s.failed), (2, 4, 1));
        assert_eq!(s.p99_ms, Some(100.01), "rounded to hundredths");
        assert_eq!((s.in_flight, s.consumer_pending), (3, Some(7)));
        t.tick(0);
        assert_eq!(t.recent(10)[1].accepted, 0);
        assert_eq!(t.recent(10)[1].consumer_pending, None, "not observed in that second");
    }
}
