//! [`ShutdownHandle`]: the stop sequence, inside the budget. Stopping (no
//! new payment call) → not ready → stop pulling → stop HTTP (in-flight
//! requests finish) → wait for in-flight sagas to settle until the drain
//! deadline (unsettled ones are redelivered to another replica) → flush
//! NATS until its deadline → stop worker arbiters; `main` then flushes
//! telemetry with what is left.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::{Addr, Arbiter};
use actix_web::dev::ServerHandle;

use super::{ShutdownBudget, Stopping};
use crate::bridge::{JetStreamConsumer, Nats, StopPulling};
use crate::readiness::Readiness;

/// Stops the application gracefully; cloneable, usable from any task.
#[derive(Clone)]
pub struct ShutdownHandle {
    inner: Arc<ShutdownParts>,
}

/// What the stop sequence acts on (built by `startup`).
pub(crate) struct ShutdownParts {
    pub(crate) server: ServerHandle,
    pub(crate) consumer: Addr<JetStreamConsumer>,
    pub(crate) readiness: Arc<Readiness>,
    pub(crate) nats: Nats,
    pub(crate) in_flight: Box<dyn Fn() -> usize + Send + Sync>,
    pub(crate) budget: Arc<ShutdownBudget>,
    pub(crate) stopping: Stopping,
    pub(crate) arbiters: std::sync::Mutex<Vec<Arbiter>>,
}

impl std::fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownHandle").finish_non_exhaustive()
    }
}

impl ShutdownHandle {
    pub(crate) fn new(parts: ShutdownParts) -> Self {
        Self { inner: Arc::new(parts) }
    }

    /// The budget, started by the signal (or by `shutdown`).
    pub fn budget(&self) -> Arc<ShutdownBudget> {
        self.inner.budget.clone()
    }

    /// The process got SIGTERM/SIGINT: the budget starts now, watched.
    pub(crate) fn signalled(&self) {
        self.inner.budget.start();
        self.inner.budget.arm_watchdog();
        tracing::info!(budget = ?self.inner.budget.remaining(), "shutdown signal received; draining");
    }

    /// Drains and stops the application (idempotent), inside the shutdown
    /// budget: draining until its deadline, then the NATS flush until its
    /// own; what is left is `main`'s, for the telemetry flush.
    pub async fn shutdown(&self) {
        let parts = &self.inner;
        let started = parts.budget.start();
        parts.stopping.set();
        parts.readiness.start_draining();
        let _ = parts.consumer.send(StopPulling).await;
        let drain_deadline = parts.budget.drain_deadline();
        let http_stopped = tokio::time::timeout_at(drain_deadline.into(), parts.server.stop(true)).await;
        if http_stopped.is_err() {
            tracing::warn!("HTTP requests still running at the drain deadline");
        }
        while (parts.in_flight)() > 0 && Instant::now() < drain_deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left = (parts.in_flight)();
        if left > 0 {
            tracing::warn!(left, "drain deadline reached; unsettled orders will be redelivered");
        }
        flush_nats(&parts.nats, ShutdownBudget::left_until(parts.budget.nats_flush_deadline())).await;
        let arbiters = std::mem::take(&mut *parts.arbiters.lock().unwrap_or_else(|p| p.into_inner()));
        for arbiter in arbiters {
            arbiter.stop();
        }
        tracing::info!(elapsed = ?started.elapsed(), "shutdown complete");
    }
}

/// Bounded: while NATS is unreachable a flush would wait for the reconnect
/// forever; whatever was not acknowledged is redelivered.
async fn flush_nats(nats: &Nats, within: Duration) {
    match tokio::time::timeout(within, nats.flush()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "NATS flush at shutdown failed"),
        Err(_) => tracing::warn!(timeout = ?within, "NATS flush at shutdown timed out (NATS unreachable?)"),
    }
}

/// SIGTERM or SIGINT (Ctrl-C).
pub(crate) async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {},
                    _ = tokio::signal::ctrl_c() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
