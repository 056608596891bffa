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
use std::time::Duration;

use super::settle::{self, SettleSettings};
use super::{SagaDeps, SagaError, saga};
use crate::actors::supervision::panic_message;
use crate::bridge::HeldDelivery;
use crate::domain::Order;
use crate::telemetry::TraceContext;
use tracing::Instrument;

/// One delivery of `ORDER.created` / `ORDER.replayed`, decoded, for the
/// order actor to run and settle.
#[derive(Debug)]
pub struct Assignment {
    pub deps: Arc<SagaDeps>,
    pub settings: Arc<SettleSettings>,
    /// The pool worker that took the delivery (for its occupancy figures).
    pub worker: usize,
    /// Boxed, like `order`: the run's future holds pointers, not copies.
    pub delivery: Box<HeldDelivery>,
    /// The order as carried by the event (used if KV has no record);
    /// dropped once the saga has read the order's record.
    pub order: Box<Order>,
    /// The publisher's trace, from the delivery's headers.
    pub trace: TraceContext,
}

#[derive(Debug)]
pub struct OrderActor {
    assignment: Option<Assignment>,
}

impl OrderActor {
    /// Starts the order's actor on the current arbiter; it stops by itself
    /// once the delivery is settled.
    pub fn start_run(assignment: Assignment) -> Addr<Self> {
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
        // Boxed: the actor's context holds only a pointer to the run.
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
async fn run(assignment: Assignment) {
    let Assignment { deps, settings, delivery, order, trace, .. } = assignment;
    let order_id = order.order_id.clone();
    let trace_id = trace.trace_id().unwrap_or_default().to_string();
    let consume = tracing::info_span!(
        "order.consume",
        otel.kind = "consumer",
        %order_id,
        trace_id,
        subject = delivery.subject(),
        stream_sequence = delivery.stream_sequence(),
        delivered = delivery.delivered()
    );
    trace.parent(&consume);
    drop(trace);
    let saga = tracing::info_span!(parent: &consume, "order.saga", %order_id, trace_id);
    let result = run_saga(&deps, &delivery, order, settings.ack_wait).instrument(saga).await;
    settle::after_run(&deps.metrics, &settings, &delivery, &order_id, result).instrument(consume).await;
}

/// Runs the saga (panics contained) while keeping the delivery alive.
async fn run_saga(
    deps: &SagaDeps,
    delivery: &HeldDelivery,
    order: Box<Order>,
    ack_wait: Duration,
) -> Result<(), SagaError> {
    let saga = AssertUnwindSafe(saga::run(deps, order, delivery.delivered(), is_rerun(delivery))).catch_unwind();
    let saga = saga.map(|result| {
        result.unwrap_or_else(|panic| {
            let message = panic_message(&*panic);
            tracing::error!(panic = %message, "panic contained in order saga");
            deps.metrics.panicked("order");
            Err(SagaError::Transient(format!("saga panicked: {message}")))
        })
    });
    deps.metrics.deliveries_in_flight.inc();
    let result = match select(pin!(saga), pin!(settle::keep_alive(delivery, ack_wait))).await {
        Either::Left((result, _)) => result.map(|_| ()),
        Either::Right((never, _)) => match never {},
    };
    deps.metrics.deliveries_in_flight.dec();
    result
}

/// An older run of this order's saga may still be alive: the message was
/// delivered before, or it re-drives a dead letter.
fn is_rerun(delivery: &HeldDelivery) -> bool {
    delivery.delivered() > 1 || delivery.subject() == crate::bridge::subjects::REPLAY
}
