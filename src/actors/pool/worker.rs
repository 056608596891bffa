//! `WorkerActor`: takes `ORDER.created` / `ORDER.replayed` deliveries from
//! its bounded mailbox and settles each asynchronously:
//!
//! - undecodable or invalid payload → poison: dead-lettered, then
//!   terminated (never redelivered, never blocks the orders behind it);
//! - saga reached a terminal status → ack;
//! - failure → nak with a delay growing with the delivery count (1 s … 60 s);
//!   on the last allowed delivery (`MAX_DELIVER`) → dead-lettered instead,
//!   so the order is visible to operators and can be replayed.
//!
//! If dead-lettering itself fails (NATS down) the message is nak'd: it is
//! never dropped. While a saga runs, the worker sends in-progress acks every
//! third of ack_wait so a slow but healthy order is not redelivered.

use actix::{Actor, Addr, Arbiter, Context, Handler, Recipient};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use crate::actors::order::{OrderActor, RunSaga, SagaDeps};
use crate::bridge::{DeadLetterActor, Delivery, DeliveryHandler};
use crate::contracts::{EventKind, order_from_created};
use crate::ops::PoolStats;
use crate::telemetry::TraceContext;
use tracing::Instrument;

const MAX_NAK_DELAY: Duration = Duration::from_secs(60);

/// Settings shared by every worker.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    pub ack_wait: Duration,
    pub max_deliver: i64,
    pub mailbox: usize,
    pub dead_letters: Addr<DeadLetterActor>,
    pub stats: Arc<PoolStats>,
}

#[derive(Debug)]
pub struct WorkerActor {
    index: usize,
    /// Shared: cloning `SagaDeps` allocates once per actor address in it.
    deps: Arc<SagaDeps>,
    settings: WorkerSettings,
}

impl Actor for WorkerActor {
    type Context = Context<Self>;
}

impl Handler<DeliveryHandler> for WorkerActor {
    type Result = ();

    fn handle(&mut self, msg: DeliveryHandler, _ctx: &mut Context<Self>) {
        let (deps, settings, index) = (self.deps.clone(), self.settings.clone(), self.index);
        settings.stats.started(index);
        let stats = settings.stats.clone();
        let metrics = deps.metrics.clone();
        let work = async move {
            // A panic while settling one delivery must not take the worker
            // (and its mailbox) down: contain it; JetStream redelivers.
            let delivery = Arc::new(msg.delivery);
            if let Err(panic) = AssertUnwindSafe(settle(deps, settings, delivery)).catch_unwind().await {
                let message = crate::actors::supervision::panic_message(&*panic);
                tracing::error!(worker = index, panic = %message, "panic contained while settling a delivery");
                metrics.panicked("worker");
            }
            stats.finished(index);
        };
        // A task of its own on this worker's arbiter, not `ctx.spawn`: an
        // actix context polls every future spawned into it on each wake-up,
        // which costs O(held deliveries) per event with thousands held.
        actix::spawn(work);
    }
}

/// Starts `size` workers over up to `threads` arbiters (0 = on the
/// caller's arbiter); returns their recipients and the arbiters (kept
/// alive by the caller).
pub fn start_pool(
    deps: &SagaDeps,
    settings: &WorkerSettings,
    size: usize,
    threads: usize,
) -> (Vec<Recipient<DeliveryHandler>>, Vec<Arbiter>) {
    let arbiters: Vec<Arbiter> = (0..threads.min(size)).map(|_| Arbiter::new()).collect();
    let deps = Arc::new(deps.clone());
    let workers = (0..size)
        .map(|i| {
            let (deps, settings) = (deps.clone(), settings.clone());
            // No arbiters: the workers share the caller's (system) thread.
            let arbiter = match arbiters.is_empty() {
                true => Arbiter::current(),
                false => arbiters[i % arbiters.len()].handle(),
            };
            let addr: Addr<WorkerActor> = WorkerActor::start_in_arbiter(&arbiter, move |ctx| {
                ctx.set_mailbox_capacity(settings.mailbox);
                WorkerActor { index: i, deps, settings }
            });
            addr.recipient()
        })
        .collect();
    (workers, arbiters)
}

/// Arguments are small on purpose: they live in the future for the whole
/// saga (see `bridge::kv` on future sizes).
async fn settle(deps: Arc<SagaDeps>, settings: WorkerSettings, delivery: Arc<Delivery>) {
    if delivery.delivered() > 1 {
        deps.metrics.redeliveries.inc();
    }
    let mut order = match order_from_created(delivery.payload()) {
        Ok(order) if delivery.order_id().is_some_and(|h| h != order.order_id.as_str()) => {
            let reason = "Order-Id header does not match the payload".to_string();
            return Box::pin(dead_letter(&deps, &settings, &delivery, reason)).await;
        }
        Ok(order) => order,
        Err(e) => return Box::pin(dead_letter(&deps, &settings, &delivery, format!("poison: {e}"))).await,
    };
    if delivery.subject() != crate::bridge::subjects::REPLAY {
        // Intake writes its record while publishing, before it knows the
        // sequence: the saga records it from here.
        order.record_event(EventKind::Created.name(), delivery.stream_sequence());
    }
    let order_id = order.order_id.clone();
    let trace = delivery.trace();
    let trace_id = trace.trace_id().unwrap_or_default().to_string();
    let span = tracing::info_span!(
        "order.consume",
        otel.kind = "consumer",
        order_id = %order_id,
        trace_id,
        subject = delivery.subject(),
        stream_sequence = delivery.stream_sequence(),
        delivered = delivery.delivered()
    );
    trace.parent(&span);
    let keepalive = actix::spawn(keep_alive(delivery.clone(), settings.ack_wait));
    deps.metrics.deliveries_in_flight.inc();
    let trace = TraceContext::of(&span);
    let run = RunSaga { order, trace, delivered: delivery.delivered(), rerun: is_rerun(&delivery) };
    // Boxed: the request carries the order inline (see `bridge::kv`).
    let result = Box::pin(OrderActor::new(deps.clone()).start().send(run)).instrument(span).await;
    deps.metrics.deliveries_in_flight.dec();
    keepalive.abort();
    let error = match result {
        Ok(Ok(_)) => return log_settle(delivery.ack().await, &order_id),
        Ok(Err(e)) => e.to_string(),
        Err(e) => format!("order actor unavailable: {e}"),
    };
    if delivery.delivered() >= settings.max_deliver {
        let reason = format!("max deliveries ({}) reached; last error: {error}", settings.max_deliver);
        return Box::pin(dead_letter(&deps, &settings, &delivery, reason)).await;
    }
    let delay = retry_delay(delivery.delivered());
    tracing::warn!(%order_id, trace_id, error, ?delay, delivered = delivery.delivered(), "saga paused; will retry");
    log_settle(delivery.nak(delay).await, &order_id);
}

/// An older run of this order's saga may still be alive: the message was
/// delivered before, or it re-drives a dead letter.
fn is_rerun(delivery: &Delivery) -> bool {
    delivery.delivered() > 1 || delivery.subject() == crate::bridge::subjects::REPLAY
}

fn log_settle(result: Result<(), crate::bridge::BridgeError>, order_id: &crate::domain::OrderId) {
    if let Err(e) = result {
        // JetStream redelivers after ack_wait; the saga is idempotent.
        tracing::warn!(%order_id, error = %e, "could not settle delivery; it will be redelivered");
    }
}

async fn dead_letter(deps: &SagaDeps, settings: &WorkerSettings, delivery: &Delivery, reason: String) {
    deps.metrics.poison_messages.inc();
    let sent = settings.dead_letters.send(delivery.dead_letter(reason)).await;
    let settled = match sent {
        Ok(Ok(_)) => delivery.terminate().await,
        Ok(Err(e)) => Err(e),
        Err(e) => Err(crate::bridge::BridgeError::Unavailable(e.to_string())),
    };
    if let Err(e) = settled {
        tracing::warn!(error = %e, seq = delivery.stream_sequence(), "dead-lettering failed; message kept for retry");
        let _ = delivery.nak(MAX_NAK_DELAY).await;
    }
}

async fn keep_alive(delivery: Arc<Delivery>, ack_wait: Duration) {
    let period = (ack_wait / 3).max(Duration::from_millis(200));
    loop {
        tokio::time::sleep(period).await;
        if let Err(e) = delivery.in_progress().await {
            tracing::debug!(error = %e, "in-progress ack failed");
        }
    }
}

/// Exponential in the delivery count: 1 s, 2 s, 4 s … capped at 60 s.
fn retry_delay(delivered: i64) -> Duration {
    let exponent = delivered.clamp(1, 7) as u32 - 1;
    Duration::from_secs(1u64 << exponent).min(MAX_NAK_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay(1), Duration::from_secs(1));
        assert_eq!(retry_delay(3), Duration::from_secs(4));
        assert_eq!(retry_delay(50), MAX_NAK_DELAY);
    }
}
