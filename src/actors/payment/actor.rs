//! `PaymentActor`: captures payments through the configured gateway, at
//! most once per order.
//!
//! Before calling the provider it claims the order's record in the
//! `payments` bucket (create-if-absent / CAS); a recorded CAPTURED or
//! DECLINED is answered without calling; a live claim held by another
//! attempt (redelivery, second replica, paused process) answers "busy". The
//! outcome is recorded after the call.
//!
//! Transient errors are retried here with exponential backoff and jitter,
//! always with the same idempotency key (the order id); if they persist the
//! caller gets a transient error and the saga message is redelivered later —
//! an unknown outcome never becomes a decline. Supervised: a panic is
//! contained, counted and the actor restarts with the same `Addr`.

use actix::{Actor, AsyncContext, Context, Handler, ResponseFuture, Supervised};
use backon::{ExponentialBuilder, Retryable};
use std::sync::Arc;
use std::time::Duration;

use super::claim::{self, Claim};
use super::{ChargeRequest, PaymentError, PaymentGateway, PaymentOutcome};
use crate::actors::supervision::{self, SupervisedChild};
use crate::bridge::JsonKv;
use crate::domain::PaymentRecord;
use crate::metrics::Metrics;
use crate::telemetry::TraceContext;
use tracing::Instrument;

/// Charge the customer for an order (idempotent per order).
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<PaymentOutcome, PaymentError>")]
pub struct CapturePayment {
    pub request: ChargeRequest,
    pub trace: TraceContext,
}

#[derive(Debug)]
pub struct PaymentActor {
    gateway: Arc<dyn PaymentGateway>,
    payments: JsonKv<PaymentRecord>,
    /// How long a claim protects an in-progress call.
    lease: Duration,
    metrics: Arc<Metrics>,
    child: Arc<SupervisedChild>,
}

impl PaymentActor {
    /// `call_timeout` is the provider timeout. The claim lease covers one
    /// call and its first retry; a holder still retrying after that may
    /// overlap with a takeover, which is safe because both use the same
    /// provider Idempotency-Key (the lease only avoids needless overlap).
    pub fn new(
        gateway: Arc<dyn PaymentGateway>,
        payments: JsonKv<PaymentRecord>,
        call_timeout: Duration,
        child: Arc<SupervisedChild>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let lease = call_timeout * 2 + Duration::from_secs(5);
        Self { gateway, payments, lease, metrics, child }
    }
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

async fn capture(
    gateway: Arc<dyn PaymentGateway>,
    payments: JsonKv<PaymentRecord>,
    lease: Duration,
    metrics: Arc<Metrics>,
    request: ChargeRequest,
) -> Result<PaymentOutcome, PaymentError> {
    let key = request.order_id.clone();
    // The claim futures are boxed: this future waits on the provider call,
    // so it should not also carry their size (see `bridge::kv`).
    let held = match Box::pin(claim::take(&payments, &key, lease)).await? {
        Claim::Done(outcome) => return Ok(outcome),
        Claim::Held(held) => held,
    };
    let result = call_with_retries(gateway, metrics, &request).await;
    Box::pin(claim::record(&payments, &key, held, &result)).await;
    result
}

/// The first attempt runs without the retry machinery: that is where
/// nearly every call waits (on a slow provider, thousands at once), so its
/// state stays small; only after a transient failure are the retries,
/// with their backoff state, built (boxed). `request` by reference: this
/// future should not carry a second copy of it.
async fn call_with_retries(
    gateway: Arc<dyn PaymentGateway>,
    metrics: Arc<Metrics>,
    request: &ChargeRequest,
) -> Result<PaymentOutcome, PaymentError> {
    match call(&*gateway, &metrics, request.clone()).await {
        Err(e) if e.is_transient() => {
            log_retry(&e, MIN_RETRY_DELAY);
            Box::pin(retry(&*gateway, &metrics, request)).await
        }
        decided => decided,
    }
}

/// Up to `MAX_RETRIES` more calls with backoff and jitter, first after the
/// minimum delay.
async fn retry(
    gateway: &dyn PaymentGateway,
    metrics: &Metrics,
    request: &ChargeRequest,
) -> Result<PaymentOutcome, PaymentError> {
    tokio::time::sleep(MIN_RETRY_DELAY).await;
    (|| call(gateway, metrics, request.clone()))
        .retry(backoff())
        .when(PaymentError::is_transient)
        .notify(log_retry)
        .await
}

fn log_retry(error: &PaymentError, after: Duration) {
    tracing::warn!(%error, ?after, "payment call failed; retrying with the same idempotency key");
}

/// One provider call, counted by outcome.
async fn call(
    gateway: &dyn PaymentGateway,
    metrics: &Metrics,
    request: ChargeRequest,
) -> Result<PaymentOutcome, PaymentError> {
    let result = gateway.charge(request).await;
    metrics.payment_call(match &result {
        Ok(PaymentOutcome::Captured { .. }) => "captured",
        Ok(PaymentOutcome::Declined { .. }) => "declined",
        Err(_) => "transient_error",
    });
    result
}

impl Handler<CapturePayment> for PaymentActor {
    type Result = ResponseFuture<Result<PaymentOutcome, PaymentError>>;

    fn handle(&mut self, msg: CapturePayment, ctx: &mut Context<Self>) -> Self::Result {
        let span = tracing::info_span!(
            "payment.capture",
            order_id = %msg.request.order_id,
            trace_id = msg.trace.trace_id().unwrap_or_default(),
            amount_minor = msg.request.amount_minor
        );
        msg.trace.parent(&span);
        let fut = capture(self.gateway.clone(), self.payments.clone(), self.lease, self.metrics.clone(), msg.request)
            .instrument(span);
        supervision::contain(ctx.address(), self.child.clone(), fut, |m| Err(PaymentError::Crashed(m)))
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
