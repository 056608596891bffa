//! `PaymentActor`: captures payments through the configured gateway.
//!
//! It is called only by a saga run that holds the order's payment claim
//! (kept in the order record, see `domain::payment`), so at most one
//! attempt per order calls the provider at a time; the run records the
//! outcome with the order's next status.
//!
//! Transient errors are retried here with exponential backoff and jitter,
//! always with the same idempotency key (the order id); if they persist the
//! caller gets a transient error and the saga message is redelivered later —
//! an unknown outcome never becomes a decline. Once the instance is
//! stopping, no provider call starts (neither a first call nor a retry, and
//! a backoff wait ends early): the call in flight finishes or times out,
//! and the caller gets a transient error. Supervised: a panic is contained,
//! counted and the actor restarts with the same `Addr`.

use actix::{Actor, AsyncContext, Context, Handler, ResponseFuture, Supervised};
use backon::{ExponentialBuilder, Retryable};
use futures::FutureExt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

use super::{ChargeRequest, PaymentError, PaymentErrorKind, PaymentGateway, PaymentOutcome};
use crate::actors::supervision::{self, SupervisedChild};
use crate::metrics::Metrics;
use crate::shutdown::Stopping;
use crate::telemetry::TraceContext;
use tracing::Instrument;

/// Charge the customer for an order (idempotent per order); the answer
/// goes to `reply`. The handler returns at once, so the sender holds no
/// request future while the provider decides (seconds, thousands of orders
/// at once); if the call is abandoned (shutdown) `reply` is dropped and the
/// receiver sees the channel closed.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct CapturePayment {
    pub request: ChargeRequest,
    pub trace: TraceContext,
    pub reply: PaymentReply,
}

/// The answer to a [`CapturePayment`].
pub type PaymentAnswer = Result<PaymentOutcome, PaymentError>;

/// Where a [`CapturePayment`] answer goes.
pub type PaymentReply = oneshot::Sender<PaymentAnswer>;

#[derive(Debug)]
pub struct PaymentActor {
    calls: Arc<Calls>,
    child: Arc<SupervisedChild>,
}

/// What every capture needs, shared by the actor and its calls in flight
/// (one pointer per call, not a copy of each handle).
#[derive(Debug)]
struct Calls {
    gateway: Arc<dyn PaymentGateway>,
    metrics: Arc<Metrics>,
    /// Set at shutdown: no provider call starts after it.
    stopping: Stopping,
}

impl PaymentActor {
    pub fn new(
        gateway: Arc<dyn PaymentGateway>,
        child: Arc<SupervisedChild>,
        metrics: Arc<Metrics>,
        stopping: Stopping,
    ) -> Self {
        Self { calls: Arc::new(Calls { gateway, metrics, stopping }), child }
    }
}

/// How long a payment claim protects an attempt's call: one call and its
/// first retry at `call_timeout` each, and 5 s. A holder still retrying
/// after that may overlap with a takeover, which is safe because both use
/// the same provider Idempotency-Key (the lease only avoids needless
/// overlap).
pub fn claim_lease(call_timeout: Duration) -> Duration {
    call_timeout * 2 + Duration::from_secs(5)
}

impl Actor for PaymentActor {
    type Context = Context<Self>;
}

impl Supervised for PaymentActor {
    fn restarting(&mut self, ctx: &mut Context<Self>) {
        self.child.restarting(ctx);
    }
}

/// Calls after the first one (which has no retry machinery).
const MAX_RETRIES: usize = 5;
const MIN_RETRY_DELAY: Duration = Duration::from_millis(100);

/// Delays between the retries (after the first retry, which waits
/// `MIN_RETRY_DELAY`): 100 ms doubling with jitter, at most 3 s.
fn backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(MIN_RETRY_DELAY)
        .with_max_delay(Duration::from_secs(3))
        .with_max_times(MAX_RETRIES - 1)
        .with_jitter()
}

/// Calls the provider, with retries. A block over its two inputs, not an
/// `async fn`: an `async fn` future keeps its parameters twice (as
/// received and as locals), and this future is held for the whole call.
#[allow(clippy::manual_async_fn)]
fn capture(calls: Arc<Calls>, request: ChargeRequest) -> impl Future<Output = Result<PaymentOutcome, PaymentError>> {
    async move { call_with_retries(&calls, &request).await }
}

/// The first attempt runs without the retry machinery: that is where
/// nearly every call waits (on a slow provider, thousands at once), so its
/// state stays small; only after a transient failure are the retries,
/// with their backoff state, built (boxed). `request` by reference: no
/// call copies it.
async fn call_with_retries(calls: &Calls, request: &ChargeRequest) -> Result<PaymentOutcome, PaymentError> {
    match call(calls, request).await {
        Err(e) if e.is_transient() && !calls.stopping.is_set() => {
            log_retry(&e, MIN_RETRY_DELAY);
            Box::pin(retry(calls, request)).await
        }
        decided => decided,
    }
}

/// Up to `MAX_RETRIES` more calls with backoff and jitter, first after the
/// minimum delay; none once stopping (its waits end early).
async fn retry(calls: &Calls, request: &ChargeRequest) -> Result<PaymentOutcome, PaymentError> {
    pause(calls.stopping.clone(), MIN_RETRY_DELAY).await;
    let stopping = calls.stopping.clone();
    (|| call(calls, request))
        .retry(backoff())
        .sleep(move |delay| pause(stopping.clone(), delay))
        .when(|e| e.is_transient() && !calls.stopping.is_set())
        .notify(log_retry)
        .await
}

/// Waits `delay`, or until the instance is stopping if that comes first.
async fn pause(stopping: Stopping, delay: Duration) {
    tokio::select! {
        () = tokio::time::sleep(delay) => {},
        () = stopping.wait() => {},
    }
}

fn log_retry(error: &PaymentError, after: Duration) {
    tracing::warn!(%error, ?after, "payment call failed; retrying with the same idempotency key");
}

/// One provider call, counted by outcome; none once stopping.
async fn call(calls: &Calls, request: &ChargeRequest) -> Result<PaymentOutcome, PaymentError> {
    if calls.stopping.is_set() {
        return Err(PaymentError::unavailable("not called: the instance is stopping"));
    }
    let result = calls.gateway.charge(request).await;
    calls.metrics.payment_call(match &result {
        Ok(PaymentOutcome::Captured { .. }) => "captured",
        Ok(PaymentOutcome::Declined { .. }) => "declined",
        Err(_) => "transient_error",
    });
    result
}

impl Handler<CapturePayment> for PaymentActor {
    type Result = ();

    /// The call runs as a task of its own (panics contained), which sends
    /// the answer; a receiver that is gone (its order actor stopped) is
    /// nothing to report: the next run asks the provider again with the
    /// same key.
    fn handle(&mut self, msg: CapturePayment, ctx: &mut Context<Self>) {
        let span = tracing::info_span!(
            "payment.capture",
            order_id = %msg.request.order_id,
            trace_id = msg.trace.trace_id().unwrap_or_default(),
            amount_minor = msg.request.amount_minor
        );
        msg.trace.parent(&span);
        let fut = capture(self.calls.clone(), msg.request).instrument(span);
        let reply = msg.reply;
        let guarded = supervision::guard(ctx.address(), self.child.clone(), fut, |m| {
            Err(PaymentError::with_source(PaymentErrorKind::Crashed, m))
        });
        actix::spawn(guarded.map(move |outcome| {
            let _ = reply.send(outcome);
        }));
    }
}

impl Handler<supervision::Restart> for PaymentActor {
    type Result = ();

    fn handle(&mut self, _msg: supervision::Restart, ctx: &mut Context<Self>) {
        supervision::restart(ctx);
    }
}

impl Handler<supervision::InjectPanic> for PaymentActor {
    type Result = ResponseFuture<Result<(), String>>;

    fn handle(&mut self, msg: supervision::InjectPanic, ctx: &mut Context<Self>) -> Self::Result {
        supervision::inject_panic(ctx.address(), self.child.clone(), msg)
    }
}
