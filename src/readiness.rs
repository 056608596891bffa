//! Readiness: whether this instance should receive traffic.
//!
//! Ready means NATS is connected, the stream and buckets were set up, every
//! supervised actor is alive, and the instance is not draining. Each check
//! is a cheap closure evaluated on every `GET /ready`.

use std::sync::atomic::{AtomicBool, Ordering};

type Probe = Box<dyn Fn() -> bool + Send + Sync>;

pub struct Readiness {
    checks: Vec<(&'static str, Probe)>,
    draining: AtomicBool,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.checks.iter().map(|(n, _)| *n).collect();
        f.debug_struct("Readiness").field("checks", &names).finish()
    }
}

impl Readiness {
    pub fn new() -> Self {
        Self { checks: Vec::new(), draining: AtomicBool::new(false) }
    }

    /// Adds a named check; `probe` returns `true` when healthy.
    pub fn with_check(mut self, name: &'static str, probe: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        self.checks.push((name, Box::new(probe)));
        self
    }

    /// From now on report not ready (graceful drain).
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// The names of failing checks; empty when ready.
    pub fn failing(&self) -> Vec<&'static str> {
        let mut failing: Vec<_> = self.checks.iter().filter(|(_, probe)| !probe()).map(|(n, _)| *n).collect();
        if self.draining.load(Ordering::SeqCst) {
            failing.push("draining");
        }
        failing
    }

    pub fn is_connected(&self, name: &str) -> bool {
        self.checks.iter().filter(|(n, _)| *n == name).all(|(_, probe)| probe())
    }
}

impl Default for Readiness {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_checks_and_draining_are_reported_by_name() {
        let r = Readiness::new().with_check("nats", || false).with_check("payment", || true);
        assert_eq!(r.failing(), vec!["nats"]);
        r.start_draining();
        assert_eq!(r.failing(), vec!["nats", "draining"]);
    }
}
