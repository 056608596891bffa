//! The shutdown budget (`SHUTDOWN_TIMEOUT_SECS`, split into the drain and
//! the two flushes) and the "stopping" signal; see the module index.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// What the flushes may take together at most (NATS a third, telemetry the
/// rest); never more than half the budget.
const FLUSH_RESERVE: Duration = Duration::from_secs(3);

/// Nak delay of a delivery whose run was cut short by shutdown.
pub const SHUTDOWN_NAK_DELAY: Duration = Duration::from_secs(1);

/// How much past the budget the watchdog waits before ending the process.
const WATCHDOG_GRACE: Duration = Duration::from_millis(500);

/// One shutdown budget, started by the first [`ShutdownBudget::start`].
#[derive(Debug)]
pub struct ShutdownBudget {
    total: Duration,
    started: OnceLock<Instant>,
}

impl ShutdownBudget {
    pub fn new(total: Duration) -> Self {
        Self { total, started: OnceLock::new() }
    }

    /// Starts the budget now (later calls keep the first start).
    pub fn start(&self) -> Instant {
        *self.started.get_or_init(Instant::now)
    }

    /// When everything, flushes included, must be done.
    pub fn deadline(&self) -> Instant {
        self.start() + self.total
    }

    fn flush_reserve(&self) -> Duration {
        FLUSH_RESERVE.min(self.total / 2)
    }

    /// When draining (HTTP requests, saga runs) must be done.
    pub fn drain_deadline(&self) -> Instant {
        self.deadline() - self.flush_reserve()
    }

    /// When the NATS flush must be done: the telemetry flush keeps two
    /// thirds of the reserve.
    pub fn nats_flush_deadline(&self) -> Instant {
        self.deadline() - self.flush_reserve() * 2 / 3
    }

    /// Time left until `deadline` (zero once past).
    pub fn left_until(deadline: Instant) -> Duration {
        deadline.saturating_duration_since(Instant::now())
    }

    /// Time left of the whole budget.
    pub fn remaining(&self) -> Duration {
        Self::left_until(self.deadline())
    }

    /// Ends the process with status 1 if it is still running shortly after
    /// the deadline (for the binary only: it exits the whole process).
    pub fn arm_watchdog(self: &Arc<Self>) {
        let budget = Arc::clone(self);
        let spawned = std::thread::Builder::new().name("shutdown-watchdog".into()).spawn(move || {
            std::thread::sleep(budget.remaining() + WATCHDOG_GRACE);
            tracing::error!(budget = ?budget.total, "shutdown budget overrun; exiting now");
            std::process::exit(1);
        });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "could not start the shutdown watchdog");
        }
    }
}

/// Set once when shutdown starts; cheap to clone and to check.
#[derive(Debug, Clone)]
pub struct Stopping(Arc<watch::Sender<bool>>);

impl Default for Stopping {
    fn default() -> Self {
        Self(Arc::new(watch::Sender::new(false)))
    }
}

impl Stopping {
    pub fn set(&self) {
        self.0.send_replace(true);
    }

    pub fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once set (at once if already set).
    pub async fn wait(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|set| *set).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drain_and_flushes_fit_inside_the_budget() {
        let budget = ShutdownBudget::new(Duration::from_secs(25));
        let start = budget.start();
        assert_eq!(budget.drain_deadline() - start, Duration::from_secs(22));
        assert_eq!(budget.nats_flush_deadline() - start, Duration::from_secs(23));
        assert_eq!(budget.deadline() - start, Duration::from_secs(25));
    }

    #[test]
    fn a_small_budget_keeps_half_for_draining() {
        let budget = ShutdownBudget::new(Duration::from_secs(2));
        let start = budget.start();
        assert_eq!(budget.drain_deadline() - start, Duration::from_secs(1));
        assert!(budget.nats_flush_deadline() < budget.deadline());
    }

    #[test]
    fn the_budget_starts_once() {
        let budget = ShutdownBudget::new(Duration::from_secs(5));
        let first = budget.start();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(budget.start(), first);
    }

    #[tokio::test]
    async fn stopping_wakes_waiters_set_before_or_after() {
        let stopping = Stopping::default();
        assert!(!stopping.is_set());
        let waiter = tokio::spawn({
            let stopping = stopping.clone();
            async move { stopping.wait().await }
        });
        stopping.set();
        waiter.await.expect("waiter");
        stopping.wait().await;
        assert!(stopping.is_set());
    }
}
