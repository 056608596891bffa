//! `IntakeActor`: the only path by which an order enters the system.
//!
//! An order is accepted exactly when JetStream acknowledges its
//! `ORDER.created` and its order record (which alone holds the payment
//! token) is written; only then is the HTTP 202 sent. NATS down → the
//! publish fails fast and the caller answers 503 (see [`accept`] for what
//! a 503 can leave behind; a keyed order's record without its event is
//! published by the retry, see `idempotent`).

use actix::{Actor, Addr, Context, Handler, ResponseFuture};
use std::sync::Arc;
use time::OffsetDateTime;

pub(super) use super::error::{IntakeError, IntakeErrorKind};
use super::idempotent;
use crate::bridge::{BridgeError, BridgeErrorKind, JetStreamPublisher, JsonKv, Nats, PublishEvent};
use crate::contracts::OrderEvent;
use crate::domain::{Order, OrderId, ValidOrder};
use crate::metrics::Metrics;
use crate::telemetry::TraceContext;
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use tracing::Instrument;

/// Accept a validated order.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Placement, IntakeError>")]
pub struct PlaceOrder {
    pub order: ValidOrder,
    pub idempotency_key: Option<String>,
    /// The HTTP request's trace: `ORDER.created` continues it.
    pub trace: TraceContext,
}

/// Read an order record.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<Option<Order>, IntakeError>")]
pub struct GetOrder {
    pub order_id: OrderId,
}

/// An accepted order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub order_id: OrderId,
    /// `false` when an earlier request with the same Idempotency-Key
    /// already created this order.
    pub created: bool,
}

/// Shared handles for placing orders.
#[derive(Debug, Clone)]
pub(super) struct IntakeDeps {
    pub(super) orders: JsonKv<Order>,
    pub(super) publisher: Addr<JetStreamPublisher>,
    pub(super) metrics: Arc<Metrics>,
}

#[derive(Debug)]
pub struct IntakeActor {
    deps: IntakeDeps,
    /// The longest an accept may take before the caller gets 503
    /// (`INTAKE_TIMEOUT_MS`).
    timeout: std::time::Duration,
    /// For operator queries (payment records, event metadata).
    pub(super) nats: Nats,
}

impl IntakeActor {
    pub fn new(nats: Nats, publisher: Addr<JetStreamPublisher>, metrics: Arc<Metrics>) -> Self {
        let deps = IntakeDeps { orders: nats.orders.clone(), publisher, metrics };
        Self { deps, timeout: std::time::Duration::from_secs(2), nats }
    }

    /// Answers 503 when an accept takes longer than `timeout`: the order
    /// may still be stored (as when a PubAck is lost), so clients retry
    /// with their Idempotency-Key.
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Actor for IntakeActor {
    type Context = Context<Self>;
}

impl Handler<PlaceOrder> for IntakeActor {
    type Result = ResponseFuture<Result<Placement, IntakeError>>;

    fn handle(&mut self, msg: PlaceOrder, _ctx: &mut Context<Self>) -> Self::Result {
        // Fail fast (503 in milliseconds) instead of waiting for KV timeouts.
        if !self.nats.is_connected() {
            return Box::pin(futures::future::ready(Err(IntakeError::caused_by(
                IntakeErrorKind::Unavailable,
                BridgeError::new(BridgeErrorKind::Disconnected),
            ))));
        }
        let deps = self.deps.clone();
        let span = tracing::info_span!(
            "order.place",
            order_id = tracing::field::Empty,
            trace_id = tracing::field::Empty,
            idempotent = msg.idempotency_key.is_some()
        );
        msg.trace.parent(&span);
        let place = async move {
            match msg.idempotency_key {
                Some(key) => idempotent::place(&deps, msg.order, &key).await,
                None => {
                    let order = new_order(OrderId::generate(), msg.order, OffsetDateTime::now_utc());
                    let order_id = order.order_id.clone();
                    accept(&deps, order).await?;
                    Ok(Placement { order_id, created: true })
                }
            }
        };
        let timeout = self.timeout;
        let place = async move {
            tokio::time::timeout(timeout, place).await.unwrap_or_else(|_| {
                Err(IntakeError::with_source(
                    IntakeErrorKind::Unavailable,
                    format!("NATS did not store the order within {timeout:?}"),
                ))
            })
        };
        // A panic here answers 500 instead of closing the intake mailbox.
        let contained = AssertUnwindSafe(place.instrument(span)).catch_unwind().map(|result| {
            result.unwrap_or_else(|panic| {
                let message = crate::actors::supervision::panic_message(&*panic);
                tracing::error!(panic = %message, "panic contained while placing an order");
                Err(IntakeError::with_source(IntakeErrorKind::Internal, format!("panic: {message}")))
            })
        });
        Box::pin(contained)
    }
}

impl Handler<GetOrder> for IntakeActor {
    type Result = ResponseFuture<Result<Option<Order>, IntakeError>>;

    fn handle(&mut self, msg: GetOrder, _ctx: &mut Context<Self>) -> Self::Result {
        let orders = self.deps.orders.clone();
        Box::pin(async move { Ok(orders.get(msg.order_id.as_str()).await?.map(|v| v.value)) })
    }
}

pub(super) fn new_order(order_id: OrderId, valid: ValidOrder, created_at: OffsetDateTime) -> Order {
    Order::pending(order_id, valid.customer_id, valid.items, valid.currency, valid.payment_token, created_at)
}

/// Publishes `ORDER.created` (fail fast) and writes the order record at
/// the same time, so `GET /orders/{id}` answers as soon as the client has
/// its 202 and the accept costs one round trip, not two. Returns whether
/// the stream stored a new message (false = deduplicated repeat).
///
/// Both are required: the record is the only place the payment token is
/// kept (the event does not carry it). If the publish fails, our record is
/// deleted again (only at the revision we wrote). If the record write
/// fails, the answer is 503 even though the event may be stored: the saga
/// then waits for the record, and without it fails the order unpaid
/// (`PAYMENT_TOKEN_MISSING`); a retry with the same Idempotency-Key in
/// the meantime writes the record and the order proceeds.
pub(super) async fn accept(deps: &IntakeDeps, mut order: Order) -> Result<bool, IntakeError> {
    let trace = stamp(&mut order);
    let key = order.order_id.as_str();
    let (stored, created) = futures::join!(publish_created(deps, &order, trace), deps.orders.create(key, &order));
    let stored = match stored {
        Ok(stored) => stored,
        Err(e) => {
            if let Ok(revision) = created {
                undo_record(deps, key, revision).await;
            }
            return Err(e);
        }
    };
    match created {
        Ok(_) => Ok(stored),
        Err(e) => {
            tracing::warn!(order_id = key, error = %e, "order record not written at intake; answering 503");
            Err(IntakeError::caused_by(IntakeErrorKind::Unavailable, e))
        }
    }
}

/// Names the order and this request's trace on the span, and the trace on
/// the order (for trace links); returns the trace `ORDER.created` continues.
pub(super) fn stamp(order: &mut Order) -> TraceContext {
    let span = tracing::Span::current();
    span.record("order_id", order.order_id.as_str());
    let trace = TraceContext::of(&span);
    order.trace_id = trace.trace_id().map(String::from);
    span.record("trace_id", order.trace_id.as_deref().unwrap_or_default());
    trace
}

/// Publishes `order`'s `ORDER.created` (fail fast; deduplicated by
/// `Nats-Msg-Id` within the stream's window). Returns whether the stream
/// stored a new message.
pub(super) async fn publish_created(
    deps: &IntakeDeps,
    order: &Order,
    trace: TraceContext,
) -> Result<bool, IntakeError> {
    let event = OrderEvent::created(order);
    let ack = deps.publisher.send(PublishEvent { event, retry: false, trace }).await??;
    if !ack.duplicate {
        deps.metrics.orders_accepted.inc();
        deps.metrics.throughput.accepted();
    }
    Ok(!ack.duplicate)
}

pub(super) async fn undo_record(deps: &IntakeDeps, key: &str, revision: u64) {
    if let Err(e) = deps.orders.delete_at(key, revision).await {
        tracing::warn!(order_id = key, error = %e, "order record of a refused order not deleted");
    }
}
