//! `OrderActor`: owns one order's delivery for the duration of its saga
//! run. It runs the saga, keeps the delivery from being redelivered while
//! the saga waits (in-progress acks), settles the delivery (see `settle`),
//! then stops, so idle orders hold no memory. The whole run is one future
//! inside the actor's context: no other task per order while it waits.
//!
//! A panic in the saga is contained and reported as a transient error: the
//! delivery is nak'd and the saga resumes from the state recorded in KV.

use actix::{Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, Context, WrapFuture};
use futures::FutureExt;
use futures::future::{Either, select};
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;

use super::settle::{self, SettleSettings};
use super::{SagaDeps, SagaError, saga};
use crate::actors::supervision::panic_message;
use crate::bridge::Delivery;
use crate::domain::Order;
use tracing::Instrument;

/// One delivery of `ORDER.created` / `ORDER.replayed`, decoded, for the
/// order actor to run and settle.
#[derive(Debug)]
pub struct Assignment {
    pub deps: Arc<SagaDeps>,
    pub settings: Arc<SettleSettings>,
    /// The pool worker that took the delivery (for its occupancy figures).
    pub worker: usize,
    pub delivery: Delivery,
    /// The order as carried by the event (used if KV has no record).
    pub order: Order,
}

#[derive(Debug)]
pub struct OrderActor {
    assignment: Option<Box<Assignment>>,
}

impl OrderActor {
    /// Starts the order's actor on the current arbiter; it stops by itself
    /// once the delivery is settled.
    pub fn start_run(assignment: Box<Assignment>) -> Addr<Self> {
        Self { assignment: Some(assignment) }.start()
    }
}

impl Actor for OrderActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let Some(assignment) = self.assignment.take() else {
            return ctx.stop();
        };
        let (stats, worker) = (assignment.settings.stats.clone(), assignment.worker);
        let metrics = assignment.deps.metrics.clone();
        // Boxed once: the actor's context holds only a pointer to the run.
        let run = Box::pin(AssertUnwindSafe(run(assignment)).catch_unwind());
        ctx.spawn(run.into_actor(self).map(move |result, _act, ctx| {
            if let Err(panic) = result {
                // Outside the saga (settling): JetStream redelivers.
                tracing::error!(panic = %panic_message(&*panic), "panic contained while settling a delivery");
                metrics.panicked("order");
            }
            stats.finished(worker);
            ctx.stop();
        }));
    }
}

/// The consumer span continues the publisher's trace (from the headers);
/// the saga and the settling run inside it.
async fn run(assignment: Box<Assignment>) {
    let (delivery, order) = (&assignment.delivery, &assignment.order);
    let trace = delivery.trace();
    let trace_id = trace.trace_id().unwrap_or_default().to_string();
    let span = tracing::info_span!(
        "order.consume",
        otel.kind = "consumer",
        order_id = %order.order_id,
        trace_id,
        subject = delivery.subject(),
        stream_sequence = delivery.stream_sequence(),
        delivered = delivery.delivered()
    );
    trace.parent(&span);
    run_and_settle(&assignment, trace_id).instrument(span).await
}

async fn run_and_settle(assignment: &Assignment, trace_id: String) {
    let Assignment { deps, settings, delivery, order, .. } = assignment;
    let span = tracing::info_span!("order.saga", order_id = %order.order_id, trace_id);
    let saga = AssertUnwindSafe(saga::run(deps, order, delivery.delivered(), is_rerun(delivery)).instrument(span));
    let saga = saga.catch_unwind().map(|result| {
        result.unwrap_or_else(|panic| {
            let message = panic_message(&*panic);
            tracing::error!(panic = %message, "panic contained in order saga");
            deps.metrics.panicked("order");
            Err(SagaError::Transient(format!("saga panicked: {message}")))
        })
    });
    deps.metrics.deliveries_in_flight.inc();
    let result = match select(pin!(saga), pin!(settle::keep_alive(delivery, settings.ack_wait))).await {
        Either::Left((result, _)) => result.map(|_| ()),
        Either::Right((never, _)) => match never {},
    };
    deps.metrics.deliveries_in_flight.dec();
    settle::after_run(deps, settings, delivery, &order.order_id, result).await;
}

/// An older run of this order's saga may still be alive: the message was
/// delivered before, or it re-drives a dead letter.
fn is_rerun(delivery: &Delivery) -> bool {
    delivery.delivered() > 1 || delivery.subject() == crate::bridge::subjects::REPLAY
}
