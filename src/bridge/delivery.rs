//! A JetStream message handed to the worker pool ([`Delivery`]: payload,
//! headers) and what an order actor keeps of it while its saga runs
//! ([`HeldDelivery`]: the ack subject, the delivery counters and the pool
//! permit, about a quarter of the size). Both hold the pool permit until
//! they are settled or dropped.
//!
//! Dropping either without settling it is safe: JetStream redelivers the
//! message after ack_wait.

use async_nats::Subject;
use async_nats::jetstream::{self, AckKind};
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;

use super::{BridgeError, DeadLetter, DeadLetterContent, Nats, headers};

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
    nats: Nats,
    permit: OwnedSemaphorePermit,
}

/// What is needed to settle a delivery once its payload has been decoded.
/// Dead-lettering it reads the original back from the work stream.
#[derive(Debug)]
pub struct HeldDelivery {
    /// Acks are published on the shared connection.
    nats: Nats,
    /// `$JS.ACK.…`: where acks, naks and in-progress acks go.
    reply: Option<Subject>,
    subject: Subject,
    stream_sequence: u64,
    delivered: i64,
    _permit: OwnedSemaphorePermit,
}

/// Hand a delivery to a worker. The worker settles (acks or naks) it.
#[derive(Debug, actix::Message)]
#[rtype(result = "()")]
pub struct HandleDelivery {
    pub delivery: Delivery,
}

impl Delivery {
    pub(crate) fn new(message: jetstream::Message, nats: Nats, permit: OwnedSemaphorePermit) -> Self {
        Self { message: compact(message), nats, permit }
    }

    /// Keeps only what settling needs (payload and headers are dropped).
    pub fn into_held(self) -> HeldDelivery {
        let (stream_sequence, delivered) = (self.stream_sequence(), self.delivered());
        let message = self.message.message;
        HeldDelivery {
            nats: self.nats,
            reply: message.reply,
            subject: message.subject,
            stream_sequence,
            delivered,
            _permit: self.permit,
        }
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

    /// Everything needed to dead-letter this message, content included.
    pub fn dead_letter(&self, reason: String) -> DeadLetter {
        DeadLetter {
            subject: self.subject().to_string(),
            content: Some(DeadLetterContent::copy(self.payload(), self.message.headers.as_ref())),
            stream_sequence: self.stream_sequence(),
            delivered: self.delivered(),
            reason,
        }
    }
}

impl HeldDelivery {
    pub fn subject(&self) -> &str {
        self.subject.as_str()
    }

    /// How many times this message has been delivered (1 = first time).
    pub fn delivered(&self) -> i64 {
        self.delivered
    }

    /// Stream sequence of this message (0 if unknown).
    pub fn stream_sequence(&self) -> u64 {
        self.stream_sequence
    }

    /// A dead letter whose content the dead-letter actor reads back from the
    /// work stream at this delivery's sequence.
    pub fn dead_letter(&self, reason: String) -> DeadLetter {
        DeadLetter {
            subject: self.subject().to_string(),
            content: None,
            stream_sequence: self.stream_sequence,
            delivered: self.delivered,
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

    /// What `jetstream::Message::ack_with` does, on the shared client.
    async fn settle(&self, kind: AckKind) -> Result<(), BridgeError> {
        let Some(reply) = &self.reply else {
            return Err(BridgeError::unavailable("delivery has no ack subject"));
        };
        // Boxed: see `kv.rs`; the settle futures sit in every order's run.
        let publish = self.nats.client.publish(reply.clone(), kind.into());
        Box::pin(publish).await.map_err(BridgeError::unavailable)
    }
}
