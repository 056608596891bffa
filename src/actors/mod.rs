//! The domain actors: one folder per family. The broker actors
//! (`JetStreamConsumer`, `JetStreamPublisher`, `DeadLetterActor`) live in
//! `bridge/`, the only module that sees async-nats.
//!
//! - `intake`: accepts orders (idempotency + `ORDER.created`) and answers queries.
//! - `order`: one `OrderActor` per order, running its saga.
//! - `inventory`, `payment`: supervised service actors.
//! - `pool`: the worker pool that settles JetStream deliveries.
//! - `supervision`: panic containment and restart accounting.
//!
//! See `actors.md` for the tree, mailbox bounds and restart rules.

pub mod intake;
pub mod inventory;
pub mod order;
pub mod payment;
pub mod pool;
pub mod supervision;
