//! The one integration test binary of `order-service`.
//!
//! Every test starts its own nats-server (from `NATS_SERVER_BIN`) on a random
//! port with a temporary store, then the service: in process through
//! `Application` (most tests) or as the real `order-service` binary (restart
//! tests). Support code lives in the `support` crate (tests/support: the
//! nats-server launcher, the fake payment provider, the service launcher),
//! `helpers`, `events`, `otlp` (a trace collector) and
//! `browser` (headless Chromium over the DevTools protocol); every other
//! module is a group of contract tests.

mod browser;
mod events;
mod helpers;
mod otlp;

mod chaos;

mod conservation;
mod console_api;
mod console_browser;
mod contract;
mod dashboard_browser;
mod dead_letter_count;
mod dead_letters;
mod docs;
mod drain;
mod example_consumer;
mod group_commit;
mod health;
mod hostile;
mod idempotency;
mod inventory;
mod nats_security;
mod openapi;
mod orders;
mod outage;
mod partition;
mod payment;
mod restart;
mod retention;
mod shutdown;
mod shutdown_budget;
mod stale_runs;
mod tracing_otlp;
mod validation;
