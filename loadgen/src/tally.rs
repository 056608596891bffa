//! `Tally`: order lifecycles as a scenario sees them — created, then
//! terminal with an outcome — with the measurement window, the throughput
//! of terminal orders inside it and the created → terminal latency.
//!
//! Fed by the event observer (service runs, stream timestamps) and by the
//! raw ceiling (its own clock), so both are counted the same way. Terminal
//! events for orders it never saw created, and repeated ones, are ignored.

use hdrhistogram::Histogram;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::report::{Outcomes, new_histogram};

/// How an order ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Completed,
    OutOfStock,
    PaymentDeclined,
    OtherFailure,
}

/// Nanoseconds since the Unix epoch, now.
pub(crate) fn now_ns() -> i128 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos()
}

#[derive(Debug)]
pub(crate) struct Tally {
    /// Created and not yet terminal: order id → created at (ns).
    pending: HashMap<String, i128>,
    /// `[start, end)` in Unix ns; `None` = not measuring yet.
    window: Option<(i128, i128)>,
    last_terminal_in_window: i128,
    pub(crate) created: u64,
    pub(crate) terminal: u64,
    pub(crate) terminal_in_window: u64,
    pub(crate) outcomes: Outcomes,
    /// Created → terminal in µs, for orders created inside the window.
    pub(crate) e2e_us: Histogram<u64>,
}

/// A tally shared between the tasks of a scenario.
pub(crate) type SharedTally = Arc<Mutex<Tally>>;

pub(crate) fn shared() -> SharedTally {
    Arc::new(Mutex::new(Tally {
        pending: HashMap::new(),
        window: None,
        last_terminal_in_window: 0,
        created: 0,
        terminal: 0,
        terminal_in_window: 0,
        outcomes: Outcomes::default(),
        e2e_us: new_histogram(),
    }))
}

pub(crate) fn lock(tally: &Mutex<Tally>) -> MutexGuard<'_, Tally> {
    tally.lock().unwrap_or_else(|p| p.into_inner())
}

impl Tally {
    pub(crate) fn created(&mut self, order_id: &str, at: i128) {
        if self.pending.insert(order_id.to_string(), at).is_none() {
            self.created += 1;
        }
    }

    /// The order was never created after all (its publish failed).
    pub(crate) fn forget(&mut self, order_id: &str) {
        if self.pending.remove(order_id).is_some() {
            self.created -= 1;
        }
    }

    pub(crate) fn terminal(&mut self, order_id: &str, at: i128, outcome: Outcome) {
        let Some(created_at) = self.pending.remove(order_id) else { return };
        self.terminal += 1;
        match outcome {
            Outcome::Completed => self.outcomes.completed += 1,
            Outcome::OutOfStock => self.outcomes.out_of_stock += 1,
            Outcome::PaymentDeclined => self.outcomes.payment_declined += 1,
            Outcome::OtherFailure => self.outcomes.other_failure += 1,
        }
        let Some((start, end)) = self.window else { return };
        if (start..end).contains(&at) {
            self.terminal_in_window += 1;
            self.last_terminal_in_window = self.last_terminal_in_window.max(at);
        }
        if (start..end).contains(&created_at) {
            let micros = ((at - created_at) / 1_000).max(1);
            self.e2e_us.saturating_record(u64::try_from(micros).unwrap_or(u64::MAX));
        }
    }

    /// Starts measuring now, for `length` (`None`: until the run ends).
    pub(crate) fn open_window(&mut self, length: Option<Duration>) {
        let start = now_ns();
        let end = length.map_or(i128::MAX, |l| start + l.as_nanos() as i128);
        self.window = Some((start, end));
    }

    /// Terminal orders per second inside the window. An open-ended window
    /// ends at its last terminal order.
    pub(crate) fn terminal_per_sec(&self) -> f64 {
        let Some((start, end)) = self.window else { return 0.0 };
        let end = if end == i128::MAX { self.last_terminal_in_window } else { end };
        let secs = (end - start) as f64 / 1e9;
        if secs <= 0.0 { 0.0 } else { self.terminal_in_window as f64 / secs }
    }

    /// Seen created and not terminal yet.
    pub(crate) fn unfinished(&self) -> u64 {
        self.pending.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_orders_are_paired_with_their_creation_once() {
        let tally = shared();
        let mut t = lock(&tally);
        t.open_window(Some(Duration::from_secs(3600)));
        let now = now_ns();
        t.created("a", now);
        t.created("b", now);
        t.terminal("a", now + 2_000_000, Outcome::Completed);
        t.terminal("a", now + 3_000_000, Outcome::Completed);
        t.terminal("unknown", now, Outcome::OutOfStock);
        assert_eq!((t.created, t.terminal, t.unfinished()), (2, 1, 1));
        assert_eq!(t.outcomes.completed, 1);
        assert_eq!(t.e2e_us.len(), 1);
        assert!((1_990..=2_010).contains(&t.e2e_us.max()));
    }
}
