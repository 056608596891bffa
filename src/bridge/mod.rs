//! The JetStream bridge: the only part of the crate that sees async-nats,
//! and the one home of the broker actors (`JetStreamConsumer`,
//! `JetStreamPublisher`, `DeadLetterActor`); the domain actors live in
//! `actors/`.
//!
//! Owns the connection, the `ORDERS` and `DEAD_LETTERS` streams, the KV
//! buckets (orders, inventory) and their retention, the durable saga
//! consumer and the publisher.
//! Errors are [`BridgeError`]s (an [`crate::error::Error`] of
//! [`BridgeErrorKind`], keeping the async-nats error as its source),
//! classified by `is_transient()`; transient ones
//! are retried here (publishes) or by the caller's redelivery.

mod buckets;
mod consumer;
mod dead_letters;
mod delivery;
mod error;
mod headers;
mod kv;
mod order_scan;
mod publisher;
mod setup;
pub mod subjects;

pub use consumer::{ConsumerHealth, GetConsumerHealth, JetStreamConsumer, StopPulling};
pub use dead_letters::{
    DeadLetter, DeadLetterActor, DeadLetterContent, DeadLetterView, ListDeadLetters, ReplayDeadLetter, Replayed,
};
pub use delivery::{Delivery, HandleDelivery, HeldDelivery};
pub use error::{AtKey, BridgeError, BridgeErrorKind};
pub use headers::msg_id;
pub use kv::{JsonKv, Versioned};
pub use order_scan::{ScanError, ScanLimits, ScanStats};
pub use publisher::{JetStreamPublisher, PubAck, PublishEvent};
pub use setup::{Nats, StoredEvent, connect};
