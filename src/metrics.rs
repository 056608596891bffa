//! Prometheus metrics (text exposition at `GET /metrics`).
//!
//! One [`Metrics`] is created at start-up and shared by `Arc`; recording a
//! sample never fails and never blocks on I/O.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ActorLabel {
    pub actor: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabel {
    pub step: String,
}

/// Every metric the service exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub orders_accepted: Counter,
    pub orders_completed: Counter,
    pub orders_failed: Family<ReasonLabel, Counter>,
    pub order_e2e_seconds: Histogram,
    pub saga_step_seconds: Family<StepLabel, Histogram>,
    pub actor_restarts: Family<ActorLabel, Counter>,
    pub actor_panics: Family<ActorLabel, Counter>,
    pub actor_escalations: Family<ActorLabel, Counter>,
    pub stuck_orders: Gauge,
    pub payment_calls: Family<OutcomeLabel, Counter>,
    pub redeliveries: Counter,
    pub poison_messages: Counter,
    pub deliveries_in_flight: Gauge,
    pub nats_connected: Gauge,
    pub consumer_pending: Gauge,
    pub consumer_ack_pending: Gauge,
    pub pool_queued: Gauge,
    pub pool_utilisation_percent: Gauge,
    pub http_request_seconds: Family<HttpLabel, Histogram>,
    /// The operator read side's per-second history (not exported); held
    /// here so the order path records it through the `Metrics` it has.
    pub throughput: crate::ops::Throughput,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabel {
    pub method: String,
    pub route: String,
    pub status: u16,
}

fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

impl Metrics {
    pub fn new() -> Self {
        let mut m = Self {
            registry: Registry::with_prefix("order_service"),
            orders_accepted: Counter::default(),
            orders_completed: Counter::default(),
            orders_failed: Family::default(),
            order_e2e_seconds: latency_histogram(),
            saga_step_seconds: Family::new_with_constructor(latency_histogram),
            actor_restarts: Family::default(),
            actor_panics: Family::default(),
            actor_escalations: Family::default(),
            stuck_orders: Gauge::default(),
            payment_calls: Family::default(),
            redeliveries: Counter::default(),
            poison_messages: Counter::default(),
            deliveries_in_flight: Gauge::default(),
            nats_connected: Gauge::default(),
            consumer_pending: Gauge::default(),
            consumer_ack_pending: Gauge::default(),
            pool_queued: Gauge::default(),
            pool_utilisation_percent: Gauge::default(),
            http_request_seconds: Family::new_with_constructor(latency_histogram),
            throughput: crate::ops::Throughput::default(),
        };
        m.register();
        m
    }

    fn register(&mut self) {
        let r = &mut self.registry;
        r.register("orders_accepted", "Orders accepted (ORDER.created acknowledged)", self.orders_accepted.clone());
        r.register("orders_completed", "Orders that reached COMPLETED", self.orders_completed.clone());
        r.register("orders_failed", "Orders that reached FAILED, by reason", self.orders_failed.clone());
        r.register("order_end_to_end_seconds", "Created to terminal status", self.order_e2e_seconds.clone());
        r.register("saga_step_seconds", "Duration of one saga step", self.saga_step_seconds.clone());
        r.register("actor_restarts", "Supervised actor restarts, by actor", self.actor_restarts.clone());
        r.register("actor_panics", "Panics contained in actor code, by actor", self.actor_panics.clone());
        r.register("actor_escalations", "Restart-intensity escalations, by actor", self.actor_escalations.clone());
        r.register("stuck_orders", "Orders without progress for STUCK_ORDER_SECS", self.stuck_orders.clone());
        r.register("payment_calls", "Payment provider calls, by outcome", self.payment_calls.clone());
        r.register("redeliveries", "Saga messages delivered more than once", self.redeliveries.clone());
        r.register("dead_letters", "Messages moved to the DEAD_LETTERS stream", self.poison_messages.clone());
        r.register("deliveries_in_flight", "Saga messages held by the worker pool", self.deliveries_in_flight.clone());
        r.register("nats_connected", "1 when connected to NATS", self.nats_connected.clone());
        r.register("consumer_pending", "Saga messages not yet delivered", self.consumer_pending.clone());
        r.register("consumer_ack_pending", "Saga messages delivered, not yet acked", self.consumer_ack_pending.clone());
        r.register("pool_mailbox_depth", "Messages waiting in worker mailboxes", self.pool_queued.clone());
        r.register(
            "pool_utilisation_percent",
            "Deliveries held by the pool / its capacity",
            self.pool_utilisation_percent.clone(),
        );
        r.register("http_request_seconds", "HTTP request latency", self.http_request_seconds.clone());
    }

    /// Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        out
    }

    pub fn failed(&self, reason: &str) {
        self.orders_failed.get_or_create(&ReasonLabel { reason: reason.into() }).inc();
    }

    pub fn restarted(&self, actor: &str) {
        self.actor_restarts.get_or_create(&ActorLabel { actor: actor.into() }).inc();
    }

    pub fn panicked(&self, actor: &str) {
        self.actor_panics.get_or_create(&ActorLabel { actor: actor.into() }).inc();
    }

    pub fn escalated(&self, actor: &str) {
        self.actor_escalations.get_or_create(&ActorLabel { actor: actor.into() }).inc();
    }

    pub fn payment_call(&self, outcome: &str) {
        self.payment_calls.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc();
    }

    pub fn step(&self, step: &str, seconds: f64) {
        self.saga_step_seconds.get_or_create(&StepLabel { step: step.into() }).observe(seconds);
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_contains_recorded_samples() {
        let m = Metrics::new();
        m.orders_accepted.inc();
        m.failed("OUT_OF_STOCK");
        let text = m.encode();
        assert!(text.contains("order_service_orders_accepted_total 1"), "{text}");
        assert!(text.contains("reason=\"OUT_OF_STOCK\""), "{text}");
    }
}
