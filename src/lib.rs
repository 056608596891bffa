//! order-service: event-driven order processing on actix actors and NATS
//! JetStream.
//!
//! ```text
//! HTTP (actix-web) ─► IntakeActor ─► JetStreamPublisher ─► ORDER.created
//!                                                              │
//! JetStreamConsumer (durable "order-saga") ◄──────────────────┘
//!   └─► WorkerActor pool (bounded mailboxes)
//!         └─► OrderActor (one per order: saga, then ack/nak)
//!               ├─► InventoryActor (supervised, KV "inventory")
//!               ├─► PaymentActor   (supervised, PaymentGateway)
//!               └─► JetStreamPublisher ─► ORDER.* events; KV "orders"
//! ```
//! Module map: `domain` (pure rules), `contracts` (protobuf), `bridge`
//! (everything NATS), `actors`, `http`, `ops` (the operator read side),
//! plus `error` (the `Error<Kind>` shape and the one transient/permanent
//! classification), `allocator`, `config`, `telemetry`, `metrics`,
//! `readiness`, `shutdown` and `startup`. See README.md and actors.md.

pub mod actors;
pub mod allocator;
pub mod bridge;
pub mod config;
pub mod contracts;
pub mod domain;
pub mod error;
pub mod http;
pub mod metrics;
pub mod ops;
pub mod readiness;
pub mod shutdown;
pub mod startup;
pub mod telemetry;
