//! A JetStream message handed to the worker pool, with the ack operations
//! the saga needs and the pool permit it holds until it is settled.
//!
//! Dropping a `Delivery` without settling it is safe: JetStream redelivers
//! it after ack_wait.

use async_nats::Subject;
use async_nats::jetstream::{self, AckKind};
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

use super::{BridgeError, headers};

/// Copies the payload and subjects out of the client's read buffer. They
/// are views into it, so one held delivery would otherwise keep a whole
/// buffer chunk alive (thousands of deliveries wait on slow payments).
fn compact(mut js: jetstream::Message) -> jetstream::Message {
    let m = &mut js.message;
    m.payload = bytes::Bytes::copy_from_slice(&m.payload);
    m.subject = Subject::from(m.subject.as_str().to_string());
    m.reply = m.reply.take().map(|r| Subject::from(r.as_str().to_string()));
    js
}

/// One message from the saga consumer.
#[derive(Debug)]
pub struct Delivery {
    message: jetstream::Message,
    _permit: OwnedSemaphorePermit,
}

/// Hand a delivery to a worker. The worker settles (acks or naks) it.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct DeliveryHandler {
    pub delivery: Delivery,
}

impl Delivery {
    pub(crate) fn new(message: jetstream::Message, permit: OwnedSemaphorePermit) -> Self {
        Self { message: compact(message), _permit: permit }
    }

    pub fn payload(&self) -> &[u8] {
        &self.message.payload
    }

    pub fn subject(&self) -> &str {
        self.message.subject.as_str()
    }

    /// The `Order-Id` header, if present.
    pub fn order_id(&self) -> Option<&str> {
        let headers = self.message.headers.as_ref()?;
        headers.get(headers::ORDER_ID).map(|v| v.as_str())
    }

    /// The trace context the publisher wrote into the headers.
    pub fn trace(&self) -> crate::telemetry::TraceContext {
        let pairs = self.message.headers.iter().flat_map(|h| h.iter()).filter_map(|(name, values)| {
            let value = values.first()?;
            Some((name.as_ref(), value.as_str()))
        });
        crate::telemetry::TraceContext::from_pairs(pairs)
    }

    /// How many times this message has been delivered (1 = first time).
    pub fn delivered(&self) -> i64 {
        self.message.info().map(|i| i.delivered).unwrap_or(1)
    }

    /// Stream sequence of this message (0 if unknown).
    pub fn stream_sequence(&self) -> u64 {
        self.message.info().map(|i| i.stream_sequence).unwrap_or(0)
    }

    /// Everything needed to dead-letter this message.
    pub fn dead_letter(&self, reason: String) -> super::DeadLetter {
        let headers = self
            .message
            .headers
            .iter()
            .flat_map(|h| h.iter())
            .flat_map(|(name, values)| values.iter().map(move |v| (name.to_string(), v.as_str().to_string())))
            .collect();
        super::DeadLetter {
            subject: self.subject().to_string(),
            payload: self.payload().to_vec(),
            headers,
            stream_sequence: self.stream_sequence(),
            delivered: self.delivered(),
            reason,
        }
    }

    /// Done: the work is durably recorded.
    pub async fn ack(&self) -> Result<(), BridgeError> {
        self.settle(AckKind::Ack).await
    }

    /// Not now: redeliver after `delay` (a bare nak would redeliver at once).
    pub async fn nak(&self, delay: Duration) -> Result<(), BridgeError> {
        self.settle(AckKind::Nak(Some(delay))).await
    }

    /// Still working: extend ack_wait.
    pub async fn in_progress(&self) -> Result<(), BridgeError> {
        self.settle(AckKind::Progress).await
    }

    /// Never redeliver (poison message, recorded elsewhere first).
    pub async fn terminate(&self) -> Result<(), BridgeError> {
        self.settle(AckKind::Term).await
    }

    async fn settle(&self, kind: AckKind) -> Result<(), BridgeError> {
        // Boxed: see `kv.rs`; the settle futures sit in every worker task.
        Box::pin(self.message.ack_with(kind)).await.map_err(|e| BridgeError::Unavailable(e.to_string()))
    }
}
