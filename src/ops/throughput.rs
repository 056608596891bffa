//! Throughput and end-to-end latency per second over the last minutes, for
//! the dashboard's charts. A sampler task closes one [`Sample`] per second.

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
}

#[derive(Debug, Default)]
pub struct Throughput {
    accepted: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
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
    sorted.get(rank.min(sorted.len() - 1)).copied()
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

    /// Closes the current second (called by the sampler once per second).
    pub fn tick(&self) {
        let mut latencies = std::mem::take(&mut *lock(&self.latencies_ms));
        latencies.sort_by(f64::total_cmp);
        let sample = Sample {
            t: OffsetDateTime::now_utc().unix_timestamp(),
            accepted: self.accepted.swap(0, Ordering::Relaxed),
            completed: self.completed.swap(0, Ordering::Relaxed),
            failed: self.failed.swap(0, Ordering::Relaxed),
            p50_ms: percentile(&latencies, 50.0),
            p99_ms: percentile(&latencies, 99.0),
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
        for ms in [1.0, 2.0, 3.0, 100.0] {
            t.finished(true, ms);
        }
        t.finished(false, 5.0);
        t.tick();
        let s = &t.recent(10)[0];
        assert_eq!((s.accepted, s.completed, s.failed), (2, 4, 1));
        assert_eq!(s.p99_ms, Some(100.0));
        t.tick();
        assert_eq!(t.recent(10)[1].accepted, 0);
    }
}
