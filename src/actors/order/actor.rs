//! `OrderActor`: owns one order for the duration of its saga, then stops,
//! so idle orders hold no memory. A panic in the saga is contained and
//! reported as a transient error (the delivery is redelivered and the saga
//! resumes from the state recorded in KV).

use actix::{Actor, ActorContext, ActorFutureExt, AtomicResponse, Context, Handler, WrapFuture};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use super::{SagaDeps, SagaError, saga};
use crate::actors::supervision::panic_message;
use crate::domain::Order;
use crate::telemetry::TraceContext;
use tracing::Instrument;

/// Drive the order to a terminal status (or as far as possible).
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Order, SagaError>")]
pub struct RunSaga {
    /// The order as carried by `ORDER.created` (used if KV has no record).
    pub order: Order,
    /// The consumer span's context: the saga continues the order's trace.
    pub trace: TraceContext,
    /// JetStream delivery count of the message that asked for this run.
    pub delivered: i64,
    /// Delivered before or replayed: an older run may still be alive.
    pub rerun: bool,
}

#[derive(Debug)]
pub struct OrderActor {
    deps: Arc<SagaDeps>,
}

impl OrderActor {
    /// `deps` is shared: cloning `SagaDeps` allocates per actor address.
    pub fn new(deps: Arc<SagaDeps>) -> Self {
        Self { deps }
    }
}

impl Actor for OrderActor {
    type Context = Context<Self>;
}

impl Handler<RunSaga> for OrderActor {
    // Atomic: one saga run at a time per order actor.
    type Result = AtomicResponse<Self, Result<Order, SagaError>>;

    fn handle(&mut self, msg: RunSaga, _ctx: &mut Context<Self>) -> Self::Result {
        let deps = self.deps.clone();
        let metrics = deps.metrics.clone();
        let trace_id = msg.trace.trace_id().unwrap_or_default().to_string();
        let span = tracing::info_span!("order.saga", order_id = %msg.order.order_id, trace_id);
        msg.trace.parent(&span);
        let run = async move { saga::run(&deps, msg.order, msg.delivered, msg.rerun).await }.instrument(span);
        let guarded = AssertUnwindSafe(run).catch_unwind().into_actor(self);
        AtomicResponse::new(Box::pin(guarded.map(move |result, _act, ctx| {
            ctx.stop();
            result.unwrap_or_else(|panic| {
                let message = panic_message(&*panic);
                tracing::error!(panic = %message, "panic contained in order saga");
                metrics.panicked("order");
                Err(SagaError::Transient(format!("saga panicked: {message}")))
            })
        })))
    }
}
