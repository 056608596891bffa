//! Test support of `order-service`, written once and shared by every test
//! (after the nats.rs repository's `nats-server` test crate):
//!
//! - [`nats`]: a real nats-server per test (random port, temp store, one
//!   process or a 3-node cluster) that a test can stop and start again;
//! - [`provider`]: a fake payment provider over real HTTP with scripted
//!   failures and hangs that records every request and charge;
//! - [`service`]: the real `order-service` binary, configured through its
//!   environment, that a test can kill, restart, freeze and thaw;
//! - [`process`]: the child processes and signals under both launchers;
//! - [`http`]: a test HTTP client, a loopback server for fakes, `/health` waits.
//!
//! Everything panics with the relevant log on failure: it runs in tests.

pub mod http;
pub mod nats;
pub mod process;
pub mod provider;
pub mod service;
