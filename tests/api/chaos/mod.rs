//! The chaos suite: real `order-service` processes, real nats-server
//! processes (one node or a 3-node cluster), a scripted payment provider
//! that records every charge, and an in-process TCP fault proxy. Each
//! scenario drives orders from retrying clients while it injects one kind
//! of fault, waits until the system is quiet, then checks the invariants
//! of the README's guarantees and prints one line of figures.
//!
//! Run: `NATS_SERVER_BIN=.tools/nats-server cargo test --test api chaos -- --nocapture`.
//!
//! Support: the `support` crate's `NatsCluster` (one node or three),
//! processes and `FakePaymentProvider` (with a `FaultPlan`); `service`,
//! `proxy`, `load` (the clients), `observe` (reading what the system
//! recorded), `invariants` (the checks) and `harness` (set-up and
//! the final report shared by the scenarios). Every other module is one
//! scenario.

mod harness;
mod invariants;
mod load;
mod observe;
pub(crate) mod proxy;
mod service;

mod cluster;
mod nats_restart;
mod paused_instance;
mod payment_faults;
mod poison;
mod scale_out;
mod service_kill;
