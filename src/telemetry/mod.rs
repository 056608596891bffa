//! Logging and tracing: subscriber set-up and OTLP export ([`init`]), and
//! W3C trace-context propagation ([`TraceContext`]) across NATS headers,
//! actor mailboxes and outbound HTTP, so one order is one trace.

mod context;
mod init;

pub use context::TraceContext;
pub use init::{Telemetry, TelemetryError, ids_only_provider, init, trace_layer};
