//! The one integration test binary of `order-service`.
//!
//! Every test starts its own nats-server (from `NATS_SERVER_BIN`) on a random
//! port with a temporary store, then the service: in process through
//! `Application` (most tests) or as the real `order-service` binary (restart
//! tests). Support code lives in `helpers`, `nats`, `events`,
//! `payment_fake` and `service_process`; every other module is a group of
//! contract tests.

mod events;
mod helpers;
mod nats;
mod payment_fake;
mod service_process;

mod conservation;
mod health;
mod idempotency;
mod inventory;
mod orders;
mod outage;
mod payment;
mod restart;
mod shutdown;
mod validation;
