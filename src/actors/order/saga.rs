//! The saga loop: load (or create) the order record, then run steps until
//! the status is terminal. State lives only in the `orders` KV bucket, so a
//! crash at any point resumes from the last recorded status.
//!
//! The payment step pauses the run: [`run`] returns
//! [`Progress::AwaitingPayment`] with the order and the channel the
//! provider's answer arrives on, and the order actor calls [`resume`] with
//! it. While a slow provider decides, an order holds that pause and its
//! actor, not a suspended saga future.
//!
//! Per step: effect (idempotent) → record the new status with CAS → publish
//! its events. Before running a step, events of the recorded status that
//! may not have been published are re-published (deduplicated by
//! `Nats-Msg-Id`). A CAS conflict means another runner moved the order:
//! reload and continue from its state.

use actix::Addr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::oneshot;
use tracing::{Instrument, Span};

use super::claim::{self, ClaimToken, Claimed};
use super::{SagaError, load, steps};
use crate::actors::inventory::{InventoryActor, OrderRevision};
use crate::actors::payment::{CapturePayment, PaymentActor, PaymentAnswer, PaymentError};
use crate::bridge::{BridgeErrorKind, JetStreamPublisher, JsonKv, PublishEvent, Versioned};
use crate::contracts::OrderEvent;
use crate::domain::{Order, OrderStatus};
use crate::metrics::Metrics;
use crate::telemetry::TraceContext;

/// What a saga needs: the order store and the actors it talks to.
#[derive(Debug, Clone)]
pub struct SagaDeps {
    pub orders: JsonKv<Order>,
    pub inventory: Addr<InventoryActor>,
    pub payment: Addr<PaymentActor>,
    pub publisher: Addr<JetStreamPublisher>,
    pub metrics: Arc<Metrics>,
    pub tracker: Arc<crate::ops::OrderTracker>,
    /// How long a payment claim protects an attempt's call.
    pub payment_lease: std::time::Duration,
}

/// Where a saga run stopped.
#[derive(Debug)]
pub(super) enum Progress {
    /// A terminal status is recorded and its events are published.
    Finished,
    /// The provider is deciding the payment: [`resume`] with its answer.
    /// Nothing of the run's future is kept meanwhile, only this.
    AwaitingPayment { paused: Box<AwaitingPayment>, answer: oneshot::Receiver<PaymentAnswer> },
}

/// An order paused at the payment step.
#[derive(Debug)]
pub(super) struct AwaitingPayment {
    current: Versioned<Order>,
    /// When the step started (its duration, and `since` for the next one).
    started: Instant,
    /// The step's span: the payment call is its child.
    span: Span,
    /// This run's payment claim.
    claim: ClaimToken,
}

/// Runs the saga of `order` until it is terminal or waits on the provider.
/// `rerun`: the message was delivered before (or replayed), so an older
/// run may still be alive. `order` is boxed and consumed by the first read.
pub(super) async fn run(
    deps: &SagaDeps,
    order: Box<Order>,
    delivered: i64,
    rerun: bool,
) -> Result<Progress, SagaError> {
    // Sub-futures are boxed: the saga future's size is the largest of its
    // states.
    let (mut current, duplicate) = Box::pin(load::load_or_create(deps, order, delivered)).await?;
    // Saved with the next write (operators see how often the saga re-ran).
    current.value.deliveries = current.value.deliveries.max(delivered);
    if rerun || duplicate {
        current = Box::pin(load::contest(deps, current)).await?;
        // An earlier run may have died before confirming its last step.
        steps::confirm_stock(deps, &current.value);
    }
    drive(deps, current, Instant::now(), claim::new_token()).await
}

/// Continues a run paused at the payment step with the provider's answer
/// (`Err`: the call was abandoned).
pub(super) async fn resume(
    deps: &SagaDeps,
    paused: AwaitingPayment,
    answer: Result<PaymentAnswer, oneshot::error::RecvError>,
) -> Result<Progress, SagaError> {
    let AwaitingPayment { mut current, started, span, claim } = paused;
    let answer = answer.unwrap_or_else(|_| Err(PaymentError::unavailable("the payment call was abandoned")));
    let recorded = match answer {
        Ok(outcome) => match steps::apply(&current.value, steps::payment_outcome(outcome.clone())) {
            Ok(mut next) => {
                claim::settle(&mut next, &outcome);
                Box::pin(record(deps, &current, next, started).instrument(span)).await
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(SagaError::from(e)),
    };
    match recorded {
        Ok(next) => drive(deps, next, started, claim).await,
        Err(e) => {
            claim::unknown(&mut current.value, claim, &e);
            Box::pin(keep_published_events(deps, &current)).await;
            Err(e)
        }
    }
}

/// Runs steps from `current` until the order is terminal or waits on the
/// provider. `since`: no later than when `current` was read; `claim`: this
/// run's payment claim token.
async fn drive(
    deps: &SagaDeps,
    mut current: Versioned<Order>,
    mut since: Instant,
    claim: ClaimToken,
) -> Result<Progress, SagaError> {
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
            return Ok(Progress::Finished);
        }
        if current.value.status == OrderStatus::StockReserved && steps::can_pay(&current.value) {
            match Box::pin(claim::hold(deps, current, claim)).await? {
                Claimed::Held(held) => return Ok(request_payment(deps, held, claim)),
                Claimed::Moved(moved) => {
                    current = moved;
                    continue;
                }
            }
        }
        let before = Instant::now();
        current = match Box::pin(step(deps, &current, since, claim)).await {
            Ok(next) => next,
            Err(e) => {
                Box::pin(keep_published_events(deps, &current)).await;
                return Err(e);
            }
        };
        since = before;
    }
}

/// Starts the payment step: asks the payment actor to charge the order
/// (idempotency key = order id), the answer to arrive on the returned
/// channel. A payment actor that is gone drops the request, and with it
/// the reply channel: the run then resumes with the call abandoned
/// (transient).
fn request_payment(deps: &SagaDeps, current: Versioned<Order>, claim: ClaimToken) -> Progress {
    let span = step_span(&current.value);
    let (reply, answer) = oneshot::channel();
    let request = steps::charge_request(&current.value);
    let trace = span.in_scope(TraceContext::current);
    deps.payment.do_send(CapturePayment { request, trace, reply });
    let paused = Box::new(AwaitingPayment { current, started: Instant::now(), span, claim });
    Progress::AwaitingPayment { paused, answer }
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

fn step_span(order: &Order) -> Span {
    tracing::info_span!("saga.step", step = order.status.as_str(), order_id = %order.order_id)
}

/// Runs the step for the current status and records its outcome; an order
/// reaching `STOCK_RESERVED` gets this run's payment claim with that write.
/// `since`: no later than when `current` was read.
async fn step(
    deps: &SagaDeps,
    current: &Versioned<Order>,
    since: Instant,
    claim: ClaimToken,
) -> Result<Versioned<Order>, SagaError> {
    let started = Instant::now();
    let span = step_span(&current.value);
    let revision = OrderRevision { token: current.revision, contested: current.value.contested, loaded_at: since };
    let mut next = steps::advance(deps, &current.value, revision).instrument(span.clone()).await?;
    if next.status == OrderStatus::StockReserved {
        claim::take(&mut next, claim, time::OffsetDateTime::now_utc());
    }
    Box::pin(record(deps, current, next, started)).instrument(span).await
}

/// Records `next`, the outcome of the step that started at `started` from
/// `current`, publishing its events first if the step has a single outcome.
async fn record(
    deps: &SagaDeps,
    current: &Versioned<Order>,
    mut next: Order,
    started: Instant,
) -> Result<Versioned<Order>, SagaError> {
    deps.metrics.step(current.value.status.as_str(), started.elapsed().as_secs_f64());
    if current.value.status.has_single_outcome() {
        // No branch here, so announcing before recording cannot contradict a
        // later run; it saves the separate "events published" write.
        let events = OrderEvent::announcing(&next);
        Box::pin(publish(deps, &mut next, events)).await?;
        next.events_published = true;
    }
    let (saved, ours) = Box::pin(save(deps, next, current.revision)).await?;
    if ours && saved.value.status.is_terminal() && saved.value.events_published {
        record_terminal(deps, &saved.value);
    }
    if current.value.status.changes_stock() {
        steps::confirm_stock(deps, &saved.value);
    }
    Ok(saved)
}

/// Records `next` if the record is still at `revision`; on conflict,
/// continues from whatever the other writer recorded.
/// The flag says whether our write won.
pub(super) async fn save(deps: &SagaDeps, next: Order, revision: u64) -> Result<(Versioned<Order>, bool), SagaError> {
    let key = next.order_id.to_string();
    match deps.orders.update(&key, &next, revision).await {
        Ok(revision) => Ok((Versioned { value: next, revision }, true)),
        Err(e) if e.kind() == BridgeErrorKind::Conflict => {
            tracing::info!(order_id = %key, "order moved concurrently; reloading");
            Ok((load::reload(deps, &key).await?, false))
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
