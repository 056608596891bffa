//! Stopping the service inside one budget.
//!
//! `SHUTDOWN_TIMEOUT_SECS` is one budget for the whole stop, counted from
//! the signal: draining (HTTP requests, saga runs) gets the budget minus a
//! flush reserve; the NATS flush and then the telemetry flush share the
//! reserve, each bounded by what is left. The binary also arms a watchdog
//! that ends the process if the budget is overrun anyway (a bug, not a
//! path), so an orchestrator's grace period larger than the budget is
//! never reached.
//!
//! [`Stopping`] tells the payment actor and the saga settling that the
//! instance is stopping: no new provider call starts, and an interrupted
//! delivery is nak'd with [`SHUTDOWN_NAK_DELAY`] so another replica takes it
//! over soon. [`ShutdownHandle`] runs the stop sequence.

mod budget;
mod handle;

pub use budget::{SHUTDOWN_NAK_DELAY, ShutdownBudget, Stopping};
pub use handle::ShutdownHandle;
pub(crate) use handle::{ShutdownParts, wait_for_signal};
