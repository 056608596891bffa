//! Supervision on top of actix.
//!
//! actix's `Supervisor` restarts an actor after `ctx.stop()` with the same
//! `Addr`, immediately and without limit, and a panic in a handler would
//! drop the actor without restart. This module adds:
//!
//! - [`contain`]: catch a handler's panic, record it, stop the actor so its
//!   `Supervisor` restarts it, and answer the caller with an error;
//! - [`SupervisedChild`]: a per-child [`RestartPolicy`] — exponential backoff
//!   between restarts and restart intensity (at most N restarts in a
//!   window). Past the limit the child *escalates*: it stays down for a
//!   cool-down, the service reports not ready and the saga consumer pauses
//!   instead of burning redeliveries; then it restarts with a clean slate.
//! - [`SupervisionTree`]: the children, for readiness and operators.

mod child;
mod contain;
mod policy;

pub use child::{ChildSnapshot, ChildStatus, SupervisedChild, SupervisionTree};
pub use contain::{InjectPanic, Restart, contain, guard, inject_panic, panic_message, restart};
pub use policy::{RestartDecision, RestartPolicy};
