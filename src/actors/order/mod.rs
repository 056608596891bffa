//! One `OrderActor` per order, running the order's saga:
//! reserve stock → capture payment → complete, or release stock → fail.

mod actor;
mod saga;
mod steps;
mod tracker;

pub use actor::{OrderActor, RunSaga};
pub use saga::{SagaDeps, SagaError};
pub use tracker::{OrderTracker, StuckOrder};
