//! `WorkerActor`: takes one `ORDER.created` delivery at a time from its
//! bounded mailbox and settles it asynchronously:
//!
//! - undecodable or invalid payload → poison: logged, counted, terminated
//!   (never redelivered, never blocks the orders behind it);
//! - saga reached a terminal status → ack;
//! - transient failure → nak with a delay growing with the delivery count;
//! - permanent failure → nak with the longest delay and an error log (the
//!   order is never dropped; an operator must look at it).
//!
//! While a saga runs, the worker sends in-progress acks every third of
//! ack_wait so JetStream does not redeliver a slow but healthy order.

use actix::{Actor, Addr, Arbiter, AsyncContext, Context, Handler, Recipient, WrapFuture};
use std::sync::Arc;
use std::time::Duration;

use crate::actors::order::{OrderActor, RunSaga, SagaDeps};
use crate::bridge::{Delivery, DeliveryHandler};
use crate::contracts::order_from_created;

const MAX_NAK_DELAY: Duration = Duration::from_secs(60);

#[derive(Debug)]
pub struct WorkerActor {
    deps: SagaDeps,
    ack_wait: Duration,
}

impl Actor for WorkerActor {
    type Context = Context<Self>;
}

impl Handler<DeliveryHandler> for WorkerActor {
    type Result = ();

    fn handle(&mut self, msg: DeliveryHandler, ctx: &mut Context<Self>) {
        let (deps, ack_wait) = (self.deps.clone(), self.ack_wait);
        ctx.spawn(settle(deps, ack_wait, msg.delivery).into_actor(self));
    }
}

/// Starts `size` workers over up to `threads` arbiters; returns their
/// recipients and the arbiters (kept alive by the caller).
pub fn start_pool(
    deps: &SagaDeps,
    size: usize,
    mailbox: usize,
    ack_wait: Duration,
    threads: usize,
) -> (Vec<Recipient<DeliveryHandler>>, Vec<Arbiter>) {
    let arbiters: Vec<Arbiter> = (0..threads.clamp(1, size))
        .map(|_| Arbiter::new())
        .collect();
    let workers = (0..size)
        .map(|i| {
            let deps = deps.clone();
            let addr: Addr<WorkerActor> =
                WorkerActor::start_in_arbiter(&arbiters[i % arbiters.len()].handle(), move |ctx| {
                    ctx.set_mailbox_capacity(mailbox);
                    WorkerActor { deps, ack_wait }
                });
            addr.recipient()
        })
        .collect();
    (workers, arbiters)
}

async fn settle(deps: SagaDeps, ack_wait: Duration, delivery: Delivery) {
    let delivery = Arc::new(delivery);
    if delivery.delivered() > 1 {
        deps.metrics.redeliveries.inc();
    }
    let order = match order_from_created(delivery.payload()) {
        Ok(order) => order,
        Err(e) => return poison(&deps, &delivery, &e.to_string()).await,
    };
    let order_id = order.order_id.clone();
    let keepalive = actix::spawn(keep_alive(delivery.clone(), ack_wait));
    deps.metrics.deliveries_in_flight.inc();
    let result = OrderActor::new(deps.clone())
        .start()
        .send(RunSaga { order })
        .await;
    deps.metrics.deliveries_in_flight.dec();
    keepalive.abort();
    let settled = match result {
        Ok(Ok(_)) => delivery.ack().await,
        Ok(Err(e)) => {
            let delay = retry_delay(delivery.delivered(), e.is_transient());
            match e.is_transient() {
                true => tracing::warn!(%order_id, error = %e, ?delay, "saga paused; will retry"),
                false => {
                    tracing::error!(%order_id, error = %e, ?delay, "saga cannot proceed; needs an operator")
                }
            }
            delivery.nak(delay).await
        }
        Err(e) => delivery
            .nak(retry_delay(delivery.delivered(), true))
            .await
            .and(Err(crate::bridge::BridgeError::Unavailable(e.to_string()))),
    };
    if let Err(e) = settled {
        // JetStream redelivers after ack_wait; the saga is idempotent.
        tracing::warn!(%order_id, error = %e, "could not settle delivery; it will be redelivered");
    }
}

async fn poison(deps: &SagaDeps, delivery: &Delivery, reason: &str) {
    deps.metrics.poison_messages.inc();
    tracing::error!(subject = delivery.subject(), seq = delivery.stream_sequence(), order_id = ?delivery.order_id(), reason, "poison message terminated");
    if let Err(e) = delivery.terminate().await {
        tracing::warn!(error = %e, "could not terminate poison message");
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
fn retry_delay(delivered: i64, transient: bool) -> Duration {
    if !transient {
        return MAX_NAK_DELAY;
    }
    let exponent = delivered.clamp(1, 7) as u32 - 1;
    Duration::from_secs(1u64 << exponent).min(MAX_NAK_DELAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delay_grows_and_is_capped() {
        assert_eq!(retry_delay(1, true), Duration::from_secs(1));
        assert_eq!(retry_delay(3, true), Duration::from_secs(4));
        assert_eq!(retry_delay(50, true), MAX_NAK_DELAY);
        assert_eq!(retry_delay(1, false), MAX_NAK_DELAY);
    }
}
