//! The saga loop: load (or create) the order record, then run steps until
//! the status is terminal. State lives only in the `orders` KV bucket, so a
//! crash at any point resumes from the last recorded status.
//!
//! Per step: effect (idempotent) → record the new status with CAS → publish
//! its events. Before running a step, events of the recorded status that
//! may not have been published are re-published (deduplicated by
//! `Nats-Msg-Id`). A CAS conflict means another runner moved the order:
//! reload and continue from its state.

use actix::Addr;
use std::sync::Arc;
use std::time::Instant;

use super::steps;
use crate::actors::inventory::{InventoryActor, SagaRun};
use crate::actors::payment::PaymentActor;
use crate::bridge::{BridgeError, JetStreamPublisher, JsonKv, PublishEvent, Versioned};
use crate::contracts::OrderEvent;
use crate::domain::Order;
use crate::metrics::Metrics;
use crate::telemetry::TraceContext;
use tracing::Instrument;

/// What a saga needs: the order store and the actors it talks to.
#[derive(Debug, Clone)]
pub struct SagaDeps {
    pub orders: JsonKv<Order>,
    pub inventory: Addr<InventoryActor>,
    pub payment: Addr<PaymentActor>,
    pub publisher: Addr<JetStreamPublisher>,
    pub metrics: Arc<Metrics>,
    pub tracker: Arc<super::OrderTracker>,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SagaError {
    /// Try again later (NATS, provider or an actor unavailable).
    #[error("saga step failed transiently: {0}")]
    Transient(String),
    /// Retrying cannot help (corrupt record, impossible transition).
    #[error("saga cannot proceed: {0}")]
    Permanent(String),
}

impl SagaError {
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

impl From<BridgeError> for SagaError {
    fn from(e: BridgeError) -> Self {
        match e.is_transient() {
            true => Self::Transient(e.to_string()),
            false => Self::Permanent(e.to_string()),
        }
    }
}

impl From<actix::MailboxError> for SagaError {
    fn from(e: actix::MailboxError) -> Self {
        Self::Transient(format!("actor unavailable: {e}"))
    }
}

/// Runs the saga of `order` to a terminal status. `rerun`: the message
/// was delivered before (or replayed), so an older run may still be alive.
/// `order` is boxed and consumed by the first read: the run does not keep
/// a second copy of the order while it waits on a step.
pub(super) async fn run(deps: &SagaDeps, order: Box<Order>, delivered: i64, rerun: bool) -> Result<Order, SagaError> {
    let mut since = Instant::now();
    // Sub-futures are boxed: the saga future's size is the largest of its
    // states, and it is held while a step waits (on a slow payment,
    // thousands of orders at once).
    let (mut current, duplicate) = Box::pin(load_or_create(deps, order)).await?;
    // Saved with the next write (operators see how often the saga re-ran).
    current.value.deliveries = current.value.deliveries.max(delivered);
    if rerun || duplicate {
        current = Box::pin(contest(deps, current)).await?;
    }
    loop {
        deps.tracker.progress(&current.value.order_id, current.value.status);
        if !current.value.events_published {
            let events = OrderEvent::announcing(&current.value);
            Box::pin(publish(deps, &mut current.value, events)).await?;
            if current.value.status.is_terminal() {
                current = Box::pin(mark_published(deps, current)).await?;
            }
        }
        if current.value.status.is_terminal() {
            return Ok(current.value);
        }
        let before = Instant::now();
        current = match Box::pin(step(deps, &current, since)).await {
            Ok(next) => next,
            Err(e) => {
                Box::pin(keep_published_events(deps, &current)).await;
                return Err(e);
            }
        };
        since = before;
    }
}

/// Marks the order contested with a write of its own, so this run's token
/// (the new revision) is newer than any older run's: stock changes of the
/// older run are refused from then on (see `domain::stock`).
async fn contest(deps: &SagaDeps, mut current: Versioned<Order>) -> Result<Versioned<Order>, SagaError> {
    while !current.value.status.is_terminal() {
        current.value.contested = true;
        let (saved, ours) = save(deps, current.value, current.revision).await?;
        if ours {
            return Ok(saved);
        }
        current = saved;
    }
    Ok(current)
}

/// Before giving up on this run, records the sequences of events already
/// published for the current status, so the redelivered run does not
/// publish them again even after the stream's duplicate window (best effort:
/// a failed write only means a deduplicated re-publish later).
async fn keep_published_events(deps: &SagaDeps, current: &Versioned<Order>) {
    let key = current.value.order_id.to_string();
    if let Err(e) = deps.orders.update(&key, &current.value, current.revision).await {
        tracing::debug!(order_id = %key, error = %e, "could not record published events before retry");
    }
}

/// Runs the step for the current status and records its outcome.
/// `since`: no later than when `current` was read.
async fn step(deps: &SagaDeps, current: &Versioned<Order>, since: Instant) -> Result<Versioned<Order>, SagaError> {
    let started = Instant::now();
    let name = current.value.status.as_str();
    let span = tracing::info_span!("saga.step", step = name, order_id = %current.value.order_id);
    let run = SagaRun { token: current.revision, contested: current.value.contested, loaded_at: since };
    let mut next = steps::advance(deps, &current.value, run).instrument(span.clone()).await?;
    deps.metrics.step(name, started.elapsed().as_secs_f64());
    if current.value.status.has_single_outcome() {
        // No branch here, so announcing before recording cannot contradict a
        // later run; it saves the separate "events published" write.
        let events = OrderEvent::announcing(&next);
        Box::pin(publish(deps, &mut next, events)).instrument(span.clone()).await?;
        next.events_published = true;
    }
    let (saved, ours) = Box::pin(save(deps, next, current.revision)).instrument(span).await?;
    if ours && saved.value.status.is_terminal() && saved.value.events_published {
        record_terminal(deps, &saved.value);
    }
    Ok(saved)
}

/// The order record, created from the event if intake has not written it.
/// A found record gets the `ORDER.created` reference from `order` if it
/// lacks it (intake writes its record before it knows the sequence); it is
/// saved with the next write. The flag says the record names another
/// `ORDER.created` message than this one: the event was published twice
/// (a repeat after the duplicate window), so an older run may be alive.
async fn load_or_create(deps: &SagaDeps, order: Box<Order>) -> Result<(Versioned<Order>, bool), SagaError> {
    let key = order.order_id.to_string();
    if let Some(mut found) = deps.orders.get(&key).await? {
        let mut duplicate = false;
        if let Some(created) = order.events.into_iter().next() {
            match found.value.events.iter().find(|e| e.event == created.event) {
                Some(recorded) => duplicate = recorded.sequence != created.sequence,
                None => found.value.events.insert(0, created),
            }
        }
        return Ok((found, duplicate));
    }
    match deps.orders.create(&key, &order).await {
        Ok(revision) => Ok((Versioned { value: *order, revision }, false)),
        Err(BridgeError::AlreadyExists { .. }) => Ok((reload(deps, &key).await?, false)),
        Err(e) => Err(e.into()),
    }
}

async fn reload(deps: &SagaDeps, key: &str) -> Result<Versioned<Order>, SagaError> {
    deps.orders.get(key).await?.ok_or_else(|| SagaError::Transient(format!("order {key} vanished")))
}

/// Records `next` if the record is still at `revision`; on conflict,
/// continues from whatever the other writer recorded.
/// The flag says whether our write won.
async fn save(deps: &SagaDeps, next: Order, revision: u64) -> Result<(Versioned<Order>, bool), SagaError> {
    let key = next.order_id.to_string();
    match deps.orders.update(&key, &next, revision).await {
        Ok(revision) => Ok((Versioned { value: next, revision }, true)),
        Err(BridgeError::Conflict { .. }) => {
            tracing::info!(order_id = %key, "order moved concurrently; reloading");
            Ok((reload(deps, &key).await?, false))
        }
        Err(e) => Err(e.into()),
    }
}

async fn mark_published(deps: &SagaDeps, current: Versioned<Order>) -> Result<Versioned<Order>, SagaError> {
    let mut order = current.value;
    order.events_published = true;
    let (saved, ours) = save(deps, order, current.revision).await?;
    if ours {
        record_terminal(deps, &saved.value);
    }
    Ok(saved)
}

fn record_terminal(deps: &SagaDeps, order: &Order) {
    match order.failure_reason {
        None => {
            deps.metrics.orders_completed.inc();
        }
        Some(reason) => deps.metrics.failed(reason.as_str()),
    }
    let elapsed = (order.updated_at - order.created_at).as_seconds_f64().max(0.0);
    deps.metrics.order_e2e_seconds.observe(elapsed);
    deps.metrics.throughput.finished(order.failure_reason.is_none(), elapsed * 1000.0);
    tracing::info!(order_id = %order.order_id, status = %order.status, reason = ?order.failure_reason, "order finished");
}

/// Publishes `events` in order (per-order event order is preserved) and
/// remembers their stream sequences on `order` (saved with the next write).
async fn publish(deps: &SagaDeps, order: &mut Order, events: Vec<OrderEvent>) -> Result<(), SagaError> {
    for event in events {
        let name = event.kind.name();
        // Already published and recorded by an earlier run of this saga.
        if order.events.iter().any(|e| e.event == name) {
            continue;
        }
        let trace = TraceContext::current();
        // Boxed so the saga future does not carry the request's size while it
        // waits on other steps (see `bridge::kv`).
        let ack = Box::pin(deps.publisher.send(PublishEvent { event, retry: true, trace })).await??;
        order.record_event(name, ack.sequence);
    }
    Ok(())
}
