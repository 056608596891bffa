//! `OrderActor`: owns one order's delivery for the duration of its saga
//! run. It runs the saga, keeps the delivery from being redelivered while
//! the saga waits (registered in its worker's in-progress acks, see
//! `keep_alive`), settles the delivery (see `settle`), then stops, so idle
//! orders hold no memory.
//!
//! The run goes in phases, each a future in the actor's context: the saga
//! until it finishes or asks for the payment; while the provider decides,
//! the actor holds only the pause (the order and the answer's channel) and
//! the answer arrives as the end of that wait; then the saga from the
//! answer; then settling.
//!
//! A panic in a saga phase is contained and reported as a transient error:
//! the delivery is nak'd and the saga resumes from the state recorded in KV.

use actix::{Actor, ActorContext, ActorFutureExt, Addr, AsyncContext, Context, WrapFuture};
use futures::FutureExt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::Arc;
use tokio::sync::oneshot::error::RecvError;
use tracing::{Instrument, Span};

use super::keep_alive::{KeepAlive, Registration};
use super::saga::{self, AwaitingPayment, Progress};
use super::settle::{self, SettleSettings};
use super::{SagaDeps, SagaError, SagaErrorKind};
use crate::actors::payment::PaymentAnswer;
use crate::actors::supervision::panic_message;
use crate::bridge::HeldDelivery;
use crate::domain::{Order, OrderId};
use crate::telemetry::TraceContext;

/// One delivery of `ORDER.created` / `ORDER.replayed`, decoded, for the
/// order actor to run and settle.
#[derive(Debug)]
pub struct Assignment {
    pub deps: Arc<SagaDeps>,
    pub settings: Arc<SettleSettings>,
    /// The pool worker that took the delivery (for its occupancy figures).
    pub worker: usize,
    pub delivery: HeldDelivery,
    /// The worker's in-progress acks, which the run's delivery joins.
    pub keep_alive: Rc<KeepAlive>,
    /// The order as carried by the event (used if KV has no record);
    /// dropped once the saga has read the order's record.
    pub order: Box<Order>,
    /// The publisher's trace, from the delivery's headers.
    pub trace: TraceContext,
}

#[derive(Debug)]
pub struct OrderActor {
    /// Until the actor starts.
    assignment: Option<Box<Assignment>>,
    /// From start until the delivery is settled.
    run: Option<Box<RunState>>,
}

/// What the actor keeps between the phases of a run.
#[derive(Debug)]
struct RunState {
    deps: Arc<SagaDeps>,
    settings: Arc<SettleSettings>,
    worker: usize,
    /// Shared with the worker's in-progress acks while registered.
    delivery: Rc<HeldDelivery>,
    order_id: OrderId,
    /// `order.consume` (continues the publisher's trace) and its child
    /// `order.saga`, open for the whole run.
    consume: Span,
    saga: Span,
    /// In the worker's in-progress acks until the run settles.
    keep_alive: Registration,
}

impl OrderActor {
    /// Starts the order's actor on the current arbiter; it stops by itself
    /// once the delivery is settled.
    pub fn start_run(assignment: Assignment) -> Addr<Self> {
        Self { assignment: Some(Box::new(assignment)), run: None }.start()
    }
}

impl Actor for OrderActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        let Some(assignment) = self.assignment.take() else {
            return ctx.stop();
        };
        let Assignment { deps, settings, worker, delivery, keep_alive, order, trace } = *assignment;
        let order_id = order.order_id.clone();
        let (consume, saga) = spans(&order_id, &delivery, trace);
        let delivery = Rc::new(delivery);
        let keep_alive = keep_alive.register(&delivery);
        deps.metrics.deliveries_in_flight.inc();
        let (delivered, rerun, shared) = (delivery.delivered(), is_rerun(&delivery), deps.clone());
        let first = async move { saga::run(&shared, order, delivered, rerun).await };
        let first = first.instrument(saga.clone());
        self.run = Some(Box::new(RunState { deps, settings, worker, delivery, order_id, consume, saga, keep_alive }));
        self.phase(ctx, first);
    }
}

impl OrderActor {
    /// Runs one phase of the saga (panics contained), then moves on.
    fn phase(&mut self, ctx: &mut Context<Self>, phase: impl Future<Output = Result<Progress, SagaError>> + 'static) {
        let Some(run) = &self.run else { return };
        let metrics = run.deps.metrics.clone();
        let phase = AssertUnwindSafe(phase).catch_unwind().map(move |result| {
            result.unwrap_or_else(|panic| {
                let message = panic_message(&*panic);
                tracing::error!(panic = %message, "panic contained in order saga");
                metrics.panicked("order");
                Err(SagaError::with_source(SagaErrorKind::Crashed, format!("saga panicked: {message}")))
            })
        });
        ctx.spawn(phase.into_actor(self).map(|result, act, ctx| act.progressed(result, ctx)));
    }

    fn progressed(&mut self, result: Result<Progress, SagaError>, ctx: &mut Context<Self>) {
        match result {
            Ok(Progress::Finished) => self.settle(Ok(()), ctx),
            Ok(Progress::AwaitingPayment { paused, answer }) => {
                ctx.spawn(answer.into_actor(self).map(move |answer, act, ctx| act.answered(paused, answer, ctx)));
            }
            Err(e) => self.settle(Err(e), ctx),
        }
    }

    /// The provider answered (or the call was abandoned): the saga goes on.
    fn answered(
        &mut self,
        paused: Box<AwaitingPayment>,
        answer: Result<PaymentAnswer, RecvError>,
        ctx: &mut Context<Self>,
    ) {
        let Some(run) = &self.run else { return };
        let deps = run.deps.clone();
        let next = async move { saga::resume(&deps, *paused, answer).await }.instrument(run.saga.clone());
        self.phase(ctx, next);
    }

    /// Acks, naks or dead-letters the delivery after the run ended with
    /// `result`, then stops.
    fn settle(&mut self, result: Result<(), SagaError>, ctx: &mut Context<Self>) {
        let Some(run) = self.run.take() else {
            return ctx.stop();
        };
        let RunState { deps, settings, worker, delivery, order_id, consume, keep_alive, .. } = *run;
        drop(keep_alive);
        deps.metrics.deliveries_in_flight.dec();
        let stats = settings.stats.clone();
        let metrics = deps.metrics.clone();
        let settling = async move {
            settle::after_run(&deps, &settings, &delivery, &order_id, result).await;
        };
        let settling = AssertUnwindSafe(settling.instrument(consume)).catch_unwind();
        ctx.spawn(settling.into_actor(self).map(move |result, _act, ctx| {
            if let Err(panic) = result {
                // JetStream redelivers.
                tracing::error!(panic = %panic_message(&*panic), "panic contained while settling a delivery");
                metrics.panicked("order");
            }
            stats.finished(worker);
            ctx.stop();
        }));
    }
}

/// `order.consume` continues the publisher's trace (from the headers); the
/// saga runs in its child `order.saga`.
fn spans(order_id: &OrderId, delivery: &HeldDelivery, trace: TraceContext) -> (Span, Span) {
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
    let saga = tracing::info_span!(parent: &consume, "order.saga", %order_id, trace_id);
    (consume, saga)
}

/// An older run of this order's saga may still be alive: the message was
/// delivered before, or it re-drives a dead letter.
fn is_rerun(delivery: &HeldDelivery) -> bool {
    delivery.delivered() > 1 || delivery.subject() == crate::bridge::subjects::REPLAY
}
