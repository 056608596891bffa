//! `JetStreamPublisher`: publishes order events and awaits the stream's
//! acknowledgement. Transient failures are retried with backoff and the
//! same `Nats-Msg-Id`, so a retry can never duplicate an event inside the
//! stream's duplicate window. Answers `BridgeError::new(BridgeErrorKind::Disconnected)` at once
//! when NATS is down, so callers can answer 503 instead of hanging.

use actix::{Actor, Context, Handler, ResponseFuture};
use backon::{ExponentialBuilder, Retryable};
use std::time::Duration;

use super::{BridgeError, BridgeErrorKind, Nats, headers, subjects};
use crate::contracts::OrderEvent;
use crate::telemetry::TraceContext;

/// Publish one event and wait for its PubAck.
#[derive(Debug, actix::Message)]
#[rtype(result = "Result<PubAck, BridgeError>")]
pub struct PublishEvent {
    pub event: OrderEvent,
    /// Retry transient failures (saga steps) or fail fast (HTTP intake).
    pub retry: bool,
    /// Written as `traceparent`/`tracestate` headers.
    pub trace: TraceContext,
}

/// The stream's acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PubAck {
    pub sequence: u64,
    /// The stream already had this `Nats-Msg-Id`: nothing new was stored.
    pub duplicate: bool,
}

/// Publishes events on `ORDER.*`.
#[derive(Debug)]
pub struct JetStreamPublisher {
    nats: Nats,
}

impl JetStreamPublisher {
    pub fn new(nats: Nats) -> Self {
        Self { nats }
    }
}

impl Actor for JetStreamPublisher {
    type Context = Context<Self>;
}

impl Handler<PublishEvent> for JetStreamPublisher {
    type Result = ResponseFuture<Result<PubAck, BridgeError>>;

    fn handle(&mut self, msg: PublishEvent, _ctx: &mut Context<Self>) -> Self::Result {
        let nats = self.nats.clone();
        Box::pin(async move {
            let attempt = || publish_once(&nats, &msg.event, &msg.trace);
            if !msg.retry {
                return attempt().await;
            }
            attempt
                .retry(publish_backoff())
                .when(BridgeError::is_transient)
                .notify(|e, after| tracing::warn!(error = %e, ?after, "publish failed; retrying"))
                .await
        })
    }
}

fn publish_backoff() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(50))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(8)
        .with_jitter()
}

async fn publish_once(nats: &Nats, event: &OrderEvent, trace: &TraceContext) -> Result<PubAck, BridgeError> {
    if !nats.is_connected() {
        return Err(BridgeError::new(BridgeErrorKind::Disconnected));
    }
    let subject = subjects::event(event.kind);
    let headers = headers::for_event(&event.order_id, event.kind, trace);
    let ack = nats
        .js
        .publish_with_headers(subject, headers, event.payload.clone().into())
        .await
        .map_err(classify)?
        .await
        .map_err(classify)?;
    Ok(PubAck { sequence: ack.sequence, duplicate: ack.duplicate })
}

fn classify(e: async_nats::jetstream::context::PublishError) -> BridgeError {
    use async_nats::jetstream::context::PublishErrorKind as Kind;
    match e.kind() {
        Kind::MaxPayloadExceeded | Kind::WrongLastMessageId | Kind::WrongLastSequence => BridgeError::rejected(e),
        _ => BridgeError::unavailable(e),
    }
}
